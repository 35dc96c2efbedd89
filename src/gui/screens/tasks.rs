//! The Tasks screen: the project's migration tasks, each with its endpoints, settings and table
//! mappings (selection and transformation rules, edited in [`super::mappings`]), and a preview
//! of the tables and columns selected. Edits go into the project; Start hands the task to the
//! Monitor screen.

use egui::RichText;

use crate::gui::app::AppState;
use crate::gui::style;
use crate::tasks::mappings::TableMappings;
use crate::tasks::{ErrorPolicy, NulChars, Prepare, Settings, Task, ValidateMode, ZeroDates};

#[derive(Default)]
pub struct TasksScreen {
    pub selected: Option<usize>,
    /// The selected task's table mappings, edited in place.
    mappings: super::mappings::MappingsEditor,
    loaded_for: Option<usize>,
    /// The source catalog read for the preview, and the discovery under way.
    preview_catalog: Option<(String, Result<Box<crate::model::Catalog>, String>)>,
    pub preview_request: Option<crate::runtime::RequestId>,
    /// The plan shown, and what it was computed from (mappings and the target's engine): the
    /// plan is recomputed when they change, not every frame.
    preview_plan: Option<PreviewPlan>,
    /// The id of the task a delete is being confirmed for.
    confirm_delete: Option<String>,
}

type PreviewPlan = (
    (TableMappings, crate::endpoints::Engine),
    Result<Vec<crate::tasks::mappings::TablePlan>, String>,
);

impl TasksScreen {
    /// The source catalog for the mappings preview arrived.
    pub fn on_event(&mut self, event: crate::runtime::Event) {
        if Some(event.request) != self.preview_request {
            return;
        }
        if let crate::runtime::EventKind::Discovered(r) = event.kind {
            self.preview_request = None;
            self.preview_catalog = Some((event.endpoint, r));
            self.preview_plan = None;
        }
    }

    /// Which tables and columns the task selects and how they are named on the target.
    fn preview(&mut self, ui: &mut egui::Ui, state: &mut AppState, t: &Task) {
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            ui.strong("Mappings preview");
            let busy = self.preview_request.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new("Read the source catalog"))
                .on_hover_text("Discover the source endpoint's tables (in the background) to preview the selection")
                .clicked()
            {
                match state.project.task_endpoint(&t.source) {
                    Some(e) => {
                        self.preview_request = Some(state.runtime.submit(
                            crate::runtime::Command::Discover {
                                endpoint: e.clone(),
                                password: state.secrets.get(&e.id),
                                options: Default::default(),
                            },
                        ));
                    }
                    None => state.message = Some(("the task has no source endpoint: choose one".into(), true)),
                }
            }
            if busy {
                style::busy(ui);
            }
        });
        let Some((endpoint, catalog)) = &self.preview_catalog else {
            return;
        };
        if endpoint != &t.source {
            ui.label(
                RichText::new("The catalog read is another endpoint's: read it again.")
                    .color(style::MUTED),
            );
            return;
        }
        let catalog = match catalog {
            Ok(c) => c,
            Err(e) => {
                ui.colored_label(style::ERROR, e);
                return;
            }
        };
        let engine = |r: &str| state.project.task_endpoint(r).map(|e| e.engine);
        let (Some(se), Some(te)) = (engine(&t.source), engine(&t.target)) else {
            return;
        };
        let key = (t.mappings.clone(), te);
        if self.preview_plan.as_ref().is_none_or(|(k, _)| *k != key) {
            let plan =
                crate::tasks::plan_tables(&t.mappings, catalog, se, te).map_err(|e| e.to_string());
            self.preview_plan = Some((key, plan));
        }
        let plans = match self.preview_plan.as_ref().map(|p| &p.1) {
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                ui.colored_label(style::ERROR, e);
                return;
            }
            None => return,
        };
        let total: usize = catalog.schemas.iter().map(|s| s.tables.len()).sum();
        ui.label(format!("{} of {total} source tables selected", plans.len()));
        egui_extras::TableBuilder::new(ui)
            .id_salt("mappings_preview")
            .max_scroll_height(320.0)
            .striped(true)
            .column(egui_extras::Column::initial(200.0).resizable(true))
            .column(egui_extras::Column::initial(200.0).resizable(true))
            .column(egui_extras::Column::initial(70.0))
            .column(egui_extras::Column::remainder())
            .header(20.0, |mut h| {
                for c in [
                    "Source table",
                    "Target table",
                    "Rows",
                    "Columns (source -> target)",
                ] {
                    h.col(|ui| {
                        ui.strong(c);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, plans.len(), |mut row| {
                    let p = &plans[row.index()];
                    row.col(|ui| {
                        ui.label(format!("{}.{}", p.source_schema, p.source_table));
                    });
                    row.col(|ui| {
                        ui.label(if p.target_schema.is_empty() {
                            p.target_table.clone()
                        } else {
                            format!("{}.{}", p.target_schema, p.target_table)
                        });
                    });
                    row.col(|ui| {
                        ui.label(
                            p.table
                                .stats
                                .estimated_rows
                                .map(|n| n.to_string())
                                .unwrap_or_default(),
                        );
                    });
                    row.col(|ui| {
                        let cols: Vec<String> = p
                            .columns
                            .iter()
                            .map(|c| match (&c.expression, &c.data_type) {
                                (Some(e), _) => format!("+{} = {e}", c.target),
                                (None, Some(dt)) => format!("{} -> {} {dt}", c.source, c.target),
                                _ if c.source != c.target => {
                                    format!("{} -> {}", c.source, c.target)
                                }
                                _ => c.target.clone(),
                            })
                            .collect();
                        let removed = p.table.columns.len()
                            - p.columns.iter().filter(|c| c.expression.is_none()).count();
                        let mut text = cols.join(", ");
                        if removed > 0 {
                            text.push_str(&format!("  ({removed} removed)"));
                        }
                        if !p.filters.is_empty() {
                            text.push_str(&format!("  [{} filters]", p.filters.len()));
                        }
                        ui.add(egui::Label::new(&text).truncate())
                            .on_hover_text(text);
                    });
                });
            });
    }

    /// Draws the screen; returns the index of a task to start.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &mut AppState) -> Option<usize> {
        ui.label(style::heading("Migration tasks"));
        ui.label(
            RichText::new("A task moves the selected tables from a source endpoint to a target endpoint: the target schema is created through the converter, the tables load in parallel, and each is validated. Started again, it resumes.")
                .color(style::MUTED),
        );
        ui.add_space(6.0);
        egui::Panel::left("task_list")
            .resizable(true)
            .default_size(240.0)
            .show(ui, |ui| {
                if ui.button("New task").clicked() {
                    let source = state
                        .project
                        .endpoints
                        .iter()
                        .find(|e| e.role == crate::endpoints::Role::Source)
                        .map(|e| e.id.clone())
                        .unwrap_or_default();
                    let target = state
                        .project
                        .endpoints
                        .iter()
                        .find(|e| e.role == crate::endpoints::Role::Target)
                        .map(|e| e.id.clone())
                        .unwrap_or_default();
                    let n = state.project.tasks.len() + 1;
                    state.project.tasks.push(Task {
                        id: String::new(),
                        name: format!("task {n}"),
                        source,
                        target,
                        mappings: TableMappings::all(),
                        settings: Settings::default(),
                        task_type: Default::default(),
                        stop_at: None,
                    });
                    state.project.ensure_ids();
                    self.selected = Some(state.project.tasks.len() - 1);
                    state.dirty = true;
                }
                ui.separator();
                let name = |r: &str| {
                    state
                        .project
                        .task_endpoint(r)
                        .map_or_else(|| "(no endpoint)".to_string(), |e| e.name.clone())
                };
                for (i, t) in state.project.tasks.iter().enumerate() {
                    let label = format!("{}\n{} to {}", t.name, name(&t.source), name(&t.target));
                    if ui
                        .selectable_label(self.selected == Some(i), label)
                        .clicked()
                    {
                        self.selected = Some(i);
                    }
                }
                if state.project.tasks.is_empty() {
                    ui.label(RichText::new("No task yet.").color(style::MUTED));
                }
            });
        if self.selected.is_none() && !state.project.tasks.is_empty() {
            self.selected = Some(0);
        }
        let Some(i) = self.selected.filter(|i| *i < state.project.tasks.len()) else {
            ui.label("Select a task, or create one.");
            return None;
        };
        if self.loaded_for != Some(i) {
            self.mappings.reset();
            self.loaded_for = Some(i);
        }
        egui::ScrollArea::both()
            .id_salt("task_form_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| self.form(ui, state, i))
            .inner
    }

    /// The form of task `i`: endpoints, settings, mappings, preview; returns `Some(i)` when
    /// it is to start.
    fn form(&mut self, ui: &mut egui::Ui, state: &mut AppState, i: usize) -> Option<usize> {
        let mut start = None;
        // (id, name, name and URL, role)
        let choices: Vec<(String, String, String, crate::endpoints::Role)> = state
            .project
            .endpoints
            .iter()
            .map(|e| (e.id.clone(), e.name.clone(), e.label(), e.role))
            .collect();
        let mut changed = false;
        let mut delete = false;
        let source_engine = state
            .project
            .task_endpoint(&state.project.tasks[i].source)
            .map(|e| e.engine);
        let into_lake = state
            .project
            .task_endpoint(&state.project.tasks[i].target)
            .is_some_and(|e| e.engine == crate::endpoints::Engine::Parquet);
        let name_problem = state.project.task_name_problem(i);
        // The task's actions first, where a narrow window still shows them.
        ui.horizontal_wrapped(|ui| {
            if ui.button("Start in the Monitor").clicked() {
                start = Some(i);
            }
            if ui.button("Delete task").clicked() {
                self.confirm_delete = Some(state.project.tasks[i].id.clone());
            }
        });
        if self.confirm_delete.as_deref() == Some(state.project.tasks[i].id.as_str()) {
            ui.group(|ui| {
                ui.label(format!(
                    "Delete task “{}” from the project? What it loaded stays on the target, with its state (run `tugboat drop-task` to remove that).",
                    state.project.tasks[i].name
                ));
                ui.horizontal(|ui| {
                    if ui.button("Yes, delete the task").clicked() {
                        delete = true;
                        self.confirm_delete = None;
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm_delete = None;
                    }
                });
            });
        }
        ui.add_space(6.0);
        {
            let t = &mut state.project.tasks[i];
            egui::Grid::new("task_form")
                .num_columns(2)
                .spacing([12.0, 8.0])
                .show(ui, |ui| {
                    let l = ui.label("Name");
                    changed |= ui.text_edit_singleline(&mut t.name).labelled_by(l.id).changed();
                    ui.end_row();
                    if let Some(problem) = &name_problem {
                        ui.label("");
                        ui.colored_label(style::ERROR, problem);
                        ui.end_row();
                    }
                    for (label, value, role) in [
                        ("Source", &mut t.source, crate::endpoints::Role::Source),
                        ("Target", &mut t.target, crate::endpoints::Role::Target),
                    ] {
                        let l = ui.label(label);
                        // The name in the box, the name and URL in its list and tooltip.
                        let chosen = choices.iter().find(|(id, ..)| id == value);
                        let shown = chosen.map_or("(choose an endpoint)", |(_, n, ..)| n.as_str());
                        egui::ComboBox::from_id_salt(label)
                            .selected_text(shown)
                            .show_ui(ui, |ui| {
                                for (id, _, l, r) in &choices {
                                    if *r == role {
                                        changed |= ui.selectable_value(value, id.clone(), l).changed();
                                    }
                                }
                            })
                            .response
                            .on_hover_text(chosen.map_or("", |(_, _, l, _)| l.as_str()))
                            .labelled_by(l.id);
                        ui.end_row();
                    }
                    let l = ui.label("Migration type");
                    {
                        use crate::cdc::TaskType;
                        let label = |k: TaskType| match k {
                            TaskType::FullLoad => "full load",
                            TaskType::FullLoadAndCdc => "full load, then ongoing replication",
                            TaskType::Cdc => "ongoing replication only",
                        };
                        egui::ComboBox::from_id_salt("task_type")
                            .selected_text(label(t.task_type))
                            .show_ui(ui, |ui| {
                                for k in [TaskType::FullLoad, TaskType::FullLoadAndCdc, TaskType::Cdc] {
                                    changed |= ui.selectable_value(&mut t.task_type, k, label(k)).changed();
                                }
                            })
                            .response
                            .labelled_by(l.id);
                    }
                    ui.end_row();
                    if t.task_type.captures() {
                        ui.label("");
                        match source_engine {
                            Some(crate::endpoints::Engine::Sqlite) => {
                                ui.colored_label(
                                    ui.visuals().error_fg_color,
                                    "SQLite keeps no log of changes another program can read: this source allows a full load only",
                                );
                            }
                            _ => {
                                ui.label(
                                    "Runs until stopped (or its stop, below); premigration checks (binary log or wal_level,\nprivileges, keys, target triggers) are shown when it starts. Started again, it resumes from its checkpoint.",
                                );
                            }
                        }
                        ui.end_row();
                        let l = ui.label("Stop at");
                        ui.vertical(|ui| {
                            let mut text = t.stop_at.clone().unwrap_or_default();
                            let r = ui
                                .add(
                                    egui::TextEdit::singleline(&mut text)
                                        .hint_text("empty: until stopped")
                                        .desired_width(360.0),
                                )
                                .labelled_by(l.id);
                            if r.changed() {
                                t.stop_at = (!text.is_empty()).then_some(text);
                                changed = true;
                            }
                            match t.stop_at.as_deref().map(crate::cdc::StopAt::parse) {
                                None => {
                                    ui.weak("a binary log file:pos, an LSN X/Y, or a commit time such as 2026-12-02T14:30:00Z");
                                }
                                Some(Ok(stop)) if source_engine.is_some_and(|e| !stop.fits(e)) => {
                                    ui.colored_label(
                                        ui.visuals().error_fg_color,
                                        format!("{stop} is not a position of this source's log"),
                                    );
                                }
                                Some(Ok(stop)) => {
                                    ui.label(format!(
                                        "applies every transaction up to {stop}, none after it, then stops at that checkpoint"
                                    ));
                                }
                                Some(Err(e)) => {
                                    ui.colored_label(ui.visuals().error_fg_color, e);
                                }
                            }
                        });
                        ui.end_row();
                    }
                    let loads_beside_cdc = t.task_type == crate::cdc::TaskType::FullLoadAndCdc;
                    let s = &mut t.settings;
                    // Nothing a Parquet target does.
                    if !into_lake {
                        let l = ui.label("Target tables");
                        egui::ComboBox::from_id_salt("prepare")
                            .selected_text(match s.prepare {
                                Prepare::DoNothing => "load into them as they are",
                                Prepare::Truncate => "empty them first",
                                Prepare::DropAndCreate => "drop and create them",
                            })
                            .show_ui(ui, |ui| {
                                changed |= ui.selectable_value(&mut s.prepare, Prepare::Truncate, "empty them first").changed();
                                changed |= ui.selectable_value(&mut s.prepare, Prepare::DropAndCreate, "drop and create them").changed();
                                changed |= ui.selectable_value(&mut s.prepare, Prepare::DoNothing, "load into them as they are").changed();
                            })
                            .response
                            .labelled_by(l.id);
                        ui.end_row();
                        ui.label("");
                        changed |= ui
                            .checkbox(&mut s.create_schema, "Create the schema")
                            .on_hover_text("Tables through the converter before the load; keys, indexes and triggers after it")
                            .changed();
                        ui.end_row();
                    }
                    let l = ui.label("Tables in parallel");
                    changed |= ui
                        .add(egui::Slider::new(&mut s.max_parallel_tables, 1..=16))
                        .labelled_by(l.id)
                        .changed();
                    ui.end_row();
                    // Nothing a Parquet target does.
                    if !into_lake {
                        let l = ui.label("Split big tables");
                        ui.horizontal(|ui| {
                            changed |= ui
                                .add(egui::DragValue::new(&mut s.partition_rows).range(0..=1_000_000_000).speed(10_000))
                                .labelled_by(l.id)
                                .on_hover_text("Tables of at least twice this many rows load in parts of about this many rows, in parallel: ranges of an integer primary key, else slices (PostgreSQL page ranges, or ranges of sampled key values); 0: never")
                                .changed();
                            ui.label("rows per part");
                        });
                        ui.end_row();
                        if loads_beside_cdc {
                            let l = ui.label("Cached changes");
                            ui.horizontal(|ui| {
                                changed |= ui
                                    .add(egui::DragValue::new(&mut s.cached_changes).range(1..=100_000_000).speed(1_000))
                                    .labelled_by(l.id)
                                    .on_hover_text("Changes held in memory at most while their tables load; a table whose changes go beyond has them read again from the log once it is loaded")
                                    .changed();
                                ui.label("changes,");
                                changed |= ui
                                    .add(egui::DragValue::new(&mut s.cached_changes_mb).range(1..=1_000_000).speed(16))
                                    .on_hover_text("MiB those changes take in memory at most; a table whose changes go beyond has them read again from the log once it is loaded")
                                    .changed();
                                ui.label("MiB in memory at most while their tables load");
                            });
                            ui.end_row();
                        }
                        let l = ui.label("LOBs");
                        ui.horizontal(|ui| {
                            let mut limited = s.lob_max_kb.is_some();
                            if ui
                                .checkbox(&mut limited, "limit to")
                                .labelled_by(l.id)
                                .on_hover_text("Limited LOB mode: longer text and binary LOB values are cut to the limit, and every cut is counted")
                                .changed()
                            {
                                s.lob_max_kb = limited.then_some(64);
                                changed = true;
                            }
                            if let Some(kb) = &mut s.lob_max_kb {
                                changed |= ui.add(egui::DragValue::new(kb).range(1..=1_048_576)).changed();
                                ui.label("KiB");
                            } else {
                                ui.label(RichText::new("(full LOB mode: nothing is cut)").color(style::MUTED));
                            }
                        });
                        ui.end_row();
                    }
                    let l = ui.label("Rows per batch");
                    changed |= ui
                        .add(egui::DragValue::new(&mut s.batch_rows).range(1..=1_000_000))
                        .labelled_by(l.id)
                        .changed();
                    ui.end_row();
                    if into_lake {
                        let l = ui.label("Parquet files");
                        ui.horizontal(|ui| {
                            changed |= ui
                                .add(egui::DragValue::new(&mut s.file_mb).range(1..=4_096))
                                .labelled_by(l.id)
                                .on_hover_text("A table's files are about this size")
                                .changed();
                            ui.label("MiB each; changes written every");
                            changed |= ui
                                .add(egui::DragValue::new(&mut s.cdc_flush_secs).range(1..=86_400))
                                .on_hover_text("A batch of change files per table at least this often (or once the changes reach the file size)")
                                .changed();
                            ui.label("s");
                        });
                        ui.end_row();
                    }
                    let l = ui.label("Validation");
                    egui::ComboBox::from_id_salt("validate")
                        .selected_text(match s.validate {
                            ValidateMode::Rows => "every row (checksums, then differing rows)",
                            ValidateMode::Counts => "count rows",
                            ValidateMode::None => "none",
                        })
                        .show_ui(ui, |ui| {
                            changed |= ui.selectable_value(&mut s.validate, ValidateMode::Rows, "every row (checksums, then differing rows)").changed();
                            changed |= ui.selectable_value(&mut s.validate, ValidateMode::Counts, "count rows").changed();
                            changed |= ui.selectable_value(&mut s.validate, ValidateMode::None, "none").changed();
                        })
                        .response
                        .labelled_by(l.id);
                    ui.end_row();
                    // Nothing a Parquet target does.
                    if !into_lake {
                        let l = ui.label("Rows the target refuses");
                        egui::ComboBox::from_id_salt("error_policy")
                            .selected_text(match s.error_policy {
                                ErrorPolicy::SuspendTable => "stop that table",
                                ErrorPolicy::StopTask => "stop the task",
                                ErrorPolicy::LogAndContinue => "keep them in tugboat_apply_exceptions and go on",
                            })
                            .show_ui(ui, |ui| {
                                changed |= ui.selectable_value(&mut s.error_policy, ErrorPolicy::SuspendTable, "stop that table").changed();
                                changed |= ui.selectable_value(&mut s.error_policy, ErrorPolicy::StopTask, "stop the task").changed();
                                changed |= ui.selectable_value(&mut s.error_policy, ErrorPolicy::LogAndContinue, "keep them in tugboat_apply_exceptions and go on").changed();
                            })
                            .response
                            .labelled_by(l.id);
                        ui.end_row();
                    }
                    let l = ui.label("MySQL zero dates");
                    egui::ComboBox::from_id_salt("zero_dates")
                        .selected_text(match s.zero_dates {
                            ZeroDates::Null => "load as NULL (counted)",
                            ZeroDates::Error => "fail the table",
                        })
                        .show_ui(ui, |ui| {
                            changed |= ui.selectable_value(&mut s.zero_dates, ZeroDates::Null, "load as NULL (counted)").changed();
                            changed |= ui.selectable_value(&mut s.zero_dates, ZeroDates::Error, "fail the table").changed();
                        })
                        .response
                        .labelled_by(l.id);
                    ui.end_row();
                    if !into_lake {
                        let l = ui.label("NUL characters in text").on_hover_text(
                            "PostgreSQL cannot store U+0000 in text; MySQL, MariaDB and SQLite can",
                        );
                        egui::ComboBox::from_id_salt("nul_chars")
                            .selected_text(match s.nul_chars {
                                NulChars::Error => "refuse the row (error policy)",
                                NulChars::Remove => "remove them (counted)",
                            })
                            .show_ui(ui, |ui| {
                                changed |= ui.selectable_value(&mut s.nul_chars, NulChars::Error, "refuse the row (error policy)").changed();
                                changed |= ui.selectable_value(&mut s.nul_chars, NulChars::Remove, "remove them (counted)").changed();
                            })
                            .response
                            .labelled_by(l.id);
                        ui.end_row();
                    }
                });
            ui.add_space(8.0);
            egui::CollapsingHeader::new("Table mappings")
                .default_open(true)
                .show(ui, |ui| {
                    changed |= self.mappings.ui(ui, &mut t.mappings);
                });
            if changed {
                state.dirty = true;
            }
            let snapshot = t.clone();
            self.preview(ui, state, &snapshot);
        }
        if delete {
            state.project.tasks.remove(i);
            self.selected = None;
            self.loaded_for = None;
            state.dirty = true;
        }
        start
    }
}
