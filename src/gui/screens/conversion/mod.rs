//! The Schema conversion screen: pick a source (a DDL script or a project endpoint), assess it
//! in the background, see the summary chart per object kind, browse objects with their action
//! items and source and converted SQL side by side, save the report, and apply the converted
//! schema to a target endpoint with per-statement results.

use std::path::PathBuf;

use egui::{Color32, RichText};

use crate::assessment::{Category, Report};
use crate::conversion::apply::{Applied, StatementResult};
use crate::ddl::Dialect;
use crate::gui::app::AppState;
use crate::gui::style;
use crate::runtime::{AssessSource, Command, Event, EventKind, RequestId};

mod codes;
mod summary;
mod tabs;

/// The colour of a category, from green (automatic) to red (not convertible).
/// The Okabe-Ito colours, told apart with every common colour-vision deficiency: bluish green
/// (automatic), sky blue, yellow, orange, vermillion (not convertible).
pub fn category_color(c: Category) -> Color32 {
    match c {
        Category::Automatic => Color32::from_rgb(0, 158, 115),
        Category::Simple => Color32::from_rgb(86, 180, 233),
        Category::Medium => Color32::from_rgb(240, 228, 66),
        Category::Complex => Color32::from_rgb(230, 159, 0),
        Category::NotConvertible => Color32::from_rgb(213, 94, 0),
    }
}

/// Source dialect, target dialect and rules folder of a loaded rule set.
type RulesKey = (Dialect, Dialect, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Script,
    Endpoint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Objects,
    Codes,
    Apply,
    Rules,
}

pub struct ConversionScreen {
    pub source_kind: SourceKind,
    pub script_path: String,
    /// None: detect.
    pub dialect: Option<Dialect>,
    /// Endpoint ids (stable when the list changes).
    pub source_endpoint: Option<String>,
    pub target_endpoint: Option<String>,
    /// The target engine; None: that of the project's first target endpoint (else PostgreSQL).
    pub target: Option<Dialect>,
    pub rules_dir: String,
    pub running: Option<RequestId>,
    /// What the report shown was assessed from (source, script, dialect, target): when any of
    /// it changes, the report and the apply results are cleared rather than shown as current.
    assessed_for: Option<String>,
    pub report: Option<Box<Report>>,
    pub error: Option<String>,
    pub selected: Option<usize>,
    pub filter: String,
    pub category_filter: Option<Category>,
    pub with_data: bool,
    /// Drop the target objects before creating them again.
    pub recreate: bool,
    /// Apply schema was clicked: confirming.
    confirm_apply: bool,
    /// The apply results show failures only.
    failures_only: bool,
    pub applying: Option<RequestId>,
    pub apply_progress: (usize, usize),
    pub applied: Option<Result<Vec<Applied>, String>>,
    pub message: Option<String>,
    /// A declared source type to try against the rules.
    pub try_type: String,
    /// The rules shown in the Type rules tab, loaded once per (source, target, folder).
    rules_cache: Option<(RulesKey, Result<crate::conversion::RuleSet, String>)>,
    /// The object whose converted SQL is being edited, and the text.
    pub editing: Option<(usize, String)>,
    /// A report just arrived: the project's edits are still to be applied to it.
    fresh: bool,
    tab: Tab,
    /// The native dialog choosing the script.
    open_dialog: Option<crate::gui::files::Browse>,
    /// F5 was pressed on this screen: assess again.
    pub refresh: bool,
    /// "Create a task from this assessment" was clicked (handled with the project at hand).
    create_task_asked: bool,
    /// The id of a task just created from the assessment: the app opens it on the Tasks screen.
    pub created_task: Option<String>,
    /// Save report…: the path asked, then the report written in the background.
    save_prompt: Option<crate::gui::files::PathPrompt>,
    saving: Option<(PathBuf, crate::gui::files::Job<crate::error::Result<()>>)>,
}

impl Default for ConversionScreen {
    fn default() -> Self {
        ConversionScreen {
            source_kind: SourceKind::Endpoint,
            script_path: String::new(),
            dialect: None,
            source_endpoint: None,
            target_endpoint: None,
            target: None,
            rules_dir: String::new(),
            running: None,
            report: None,
            error: None,
            selected: None,
            filter: String::new(),
            category_filter: None,
            with_data: false,
            recreate: false,
            confirm_apply: false,
            failures_only: false,
            applying: None,
            apply_progress: (0, 0),
            applied: None,
            message: None,
            try_type: "tinyint(1)".into(),
            rules_cache: None,
            editing: None,
            fresh: false,
            tab: Tab::Objects,
            open_dialog: None,
            save_prompt: None,
            saving: None,
            create_task_asked: false,
            refresh: false,
            assessed_for: None,
            created_task: None,
        }
    }
}

impl ConversionScreen {
    pub fn on_event(&mut self, event: Event) {
        match event.kind {
            EventKind::Assessed(r) if self.running == Some(event.request) => {
                self.running = None;
                match r {
                    Ok(rep) => {
                        self.report = Some(rep);
                        self.fresh = true;
                        self.editing = None;
                        self.error = None;
                        self.selected = None;
                        self.applied = None;
                    }
                    Err(e) => self.error = Some(e),
                }
            }
            EventKind::ApplyProgress { done, total } if self.applying == Some(event.request) => {
                self.apply_progress = (done, total)
            }
            EventKind::SchemaApplied(r) if self.applying == Some(event.request) => {
                self.applying = None;
                self.applied = Some(r);
            }
            _ => {}
        }
    }

    /// What an assessment is made from, as one comparable string.
    fn inputs(&self) -> String {
        format!(
            "{:?}|{:?}|{}|{:?}|{:?}|{}",
            self.source_kind,
            self.source_endpoint,
            self.script_path,
            self.dialect,
            self.target,
            self.rules_dir
        )
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        self.poll_dialogs(ui.ctx());
        if self.report.is_some()
            && self.running.is_none()
            && self
                .assessed_for
                .as_ref()
                .is_some_and(|k| *k != self.inputs())
        {
            self.report = None;
            self.applied = None;
            self.message = Some("The source or the target changed: press Assess again".into());
        }
        if std::mem::take(&mut self.create_task_asked) {
            self.create_task(state);
        }
        // Sensible defaults: the project's first source, its first target endpoint's engine, and
        // that endpoint for applying.
        if self.target.is_none() {
            self.target = Some(
                state
                    .project
                    .endpoints
                    .iter()
                    .find(|e| e.role == crate::endpoints::Role::Target && e.engine.is_database())
                    .map(|e| engine_dialect(e.engine))
                    .unwrap_or(Dialect::Postgres),
            );
        }
        let target = self.target.unwrap_or(Dialect::Postgres);
        if state.project.ensure_ids() {
            state.dirty = true;
        }
        // A selection whose endpoint was deleted (or is no longer a target of this engine)
        // is dropped, never replaced by whatever now sits at its place in the list.
        let is_target = |e: &crate::endpoints::Endpoint| {
            e.role == crate::endpoints::Role::Target
                && e.engine.is_database()
                && engine_dialect(e.engine) == target
        };
        if self
            .source_endpoint
            .as_deref()
            .is_some_and(|id| state.project.endpoint_by_id(id).is_none())
        {
            self.source_endpoint = None;
        }
        if self
            .target_endpoint
            .as_deref()
            .is_some_and(|id| !state.project.endpoint_by_id(id).is_some_and(is_target))
        {
            self.target_endpoint = None;
        }
        if self.source_endpoint.is_none() {
            self.source_endpoint = state
                .project
                .endpoints
                .iter()
                .find(|e| e.role == crate::endpoints::Role::Source)
                .map(|e| e.id.clone());
        }
        if self.target_endpoint.is_none() {
            self.target_endpoint = state
                .project
                .endpoints
                .iter()
                .find(|e| is_target(e))
                .map(|e| e.id.clone());
        }
        egui::Panel::top("conversion_source").show(ui, |ui| self.source_bar(ui, state));
        if let Some(e) = &self.error {
            ui.colored_label(style::ERROR, format!("Assessment failed: {e}"));
        }
        if self.fresh {
            self.fresh = false;
            if let Some(r) = self.report.as_mut() {
                let n = r.apply_edits(&state.project.conversion.edits);
                if n > 0 {
                    self.message = Some(format!("{n} edited object(s) from the project applied"));
                }
            }
        }
        let Some(mut report) = self.report.take() else {
            if self.running.is_none() && self.error.is_none() {
                if let Some(m) = &self.message {
                    ui.label(m);
                }
                ui.label(RichText::new("Choose a source and press Assess: every object is listed with what converts automatically and what needs work.").color(style::MUTED));
            }
            return;
        };
        egui::Panel::top("conversion_summary").show(ui, |ui| self.summary(ui, &report));
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, Tab::Objects, "Objects and action items");
            ui.selectable_value(&mut self.tab, Tab::Codes, "Action items by code");
            ui.selectable_value(&mut self.tab, Tab::Apply, "Apply to target");
            ui.selectable_value(&mut self.tab, Tab::Rules, "Type rules");
        });
        ui.separator();
        match self.tab {
            Tab::Objects => self.objects(ui, state, &mut report),
            Tab::Codes => codes::by_code(ui, &report),
            Tab::Apply => self.apply(ui, state, &report),
            Tab::Rules => self.rules(ui, &report),
        }
        self.report = Some(report);
    }

    /// A task from the assessed source endpoint to the apply target: every table, replication
    /// after the load unless the source is SQLite.
    fn create_task(&mut self, state: &mut AppState) {
        let endpoint = |id: &Option<String>| {
            id.as_deref()
                .and_then(|id| state.project.endpoint_by_id(id))
                .cloned()
        };
        let (Some(s), Some(t)) = (
            endpoint(&self.source_endpoint).filter(|_| self.source_kind == SourceKind::Endpoint),
            endpoint(&self.target_endpoint),
        ) else {
            self.message = Some(
                "A task needs a source endpoint (not a script) and a target endpoint: choose one under Apply to target".into(),
            );
            return;
        };
        let base = format!("{} to {}", s.name, t.name);
        let name = (1..)
            .map(|i| {
                if i == 1 {
                    base.clone()
                } else {
                    format!("{base} ({i})")
                }
            })
            .find(|n| !state.project.tasks.iter().any(|t| &t.name == n))
            .unwrap_or(base);
        state.project.tasks.push(crate::tasks::Task {
            id: String::new(),
            name: name.clone(),
            source: s.id.clone(),
            target: t.id.clone(),
            mappings: crate::tasks::mappings::TableMappings::all(),
            settings: Default::default(),
            task_type: if s.engine == crate::endpoints::Engine::Sqlite {
                crate::cdc::TaskType::FullLoad
            } else {
                crate::cdc::TaskType::FullLoadAndCdc
            },
            stop_at: None,
        });
        state.project.ensure_ids();
        state.dirty = true;
        self.created_task = state.project.tasks.last().map(|t| t.id.clone());
        self.message = Some(format!("Task “{name}” created"));
    }

    fn poll_dialogs(&mut self, ctx: &egui::Context) {
        use crate::gui::files::{Browsed, Job, NO_DIALOG, Prompted};
        if let Some(b) = &self.open_dialog {
            match b.poll() {
                Browsed::Waiting => {}
                Browsed::Chosen(p) => {
                    self.script_path = p.display().to_string();
                    self.open_dialog = None;
                }
                Browsed::Nothing => self.open_dialog = None,
                Browsed::Unavailable => {
                    self.message = Some(NO_DIALOG.into());
                    self.open_dialog = None;
                }
            }
        }
        if let Some(prompt) = &mut self.save_prompt {
            match prompt.ui(ctx) {
                Prompted::Waiting => {}
                Prompted::Cancelled => self.save_prompt = None,
                Prompted::Chosen(p) => {
                    if let Some(rep) = self.report.clone() {
                        let path = p.clone();
                        let job =
                            Job::spawn(ctx, move || crate::assessment::export::write(&rep, &path));
                        self.saving = Some((p, job));
                    }
                }
            }
        }
        if let Some((p, job)) = &self.saving
            && let Some(r) = job.poll()
        {
            match r {
                Ok(()) => {
                    self.message = Some(format!("Report saved to {}", p.display()));
                    self.save_prompt = None;
                }
                Err(e) => {
                    let m = e.to_string();
                    tracing::error!(target: "tugboat::conversion", "{m}");
                    if let Some(prompt) = &mut self.save_prompt {
                        prompt.fail(m.clone());
                    }
                    self.message = Some(m);
                }
            }
            self.saving = None;
        }
    }

    fn source_bar(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        ui.label(style::heading("Schema conversion"));
        ui.horizontal(|ui| {
            ui.radio_value(
                &mut self.source_kind,
                SourceKind::Endpoint,
                "Source endpoint",
            );
            ui.radio_value(&mut self.source_kind, SourceKind::Script, "Script file");
        });
        // Wraps on a narrow window: Assess stays in reach.
        ui.horizontal_wrapped(|ui| {
            match self.source_kind {
                SourceKind::Endpoint => {
                    let l = ui.label("Source");
                    let current = self
                        .source_endpoint
                        .as_deref()
                        .and_then(|id| state.project.endpoint_by_id(id))
                        .map(|e| e.name.clone())
                        .unwrap_or_else(|| "choose…".into());
                    egui::ComboBox::from_id_salt("conv_source")
                        .selected_text(current)
                        .show_ui(ui, |ui| {
                            for e in &state.project.endpoints {
                                ui.selectable_value(
                                    &mut self.source_endpoint,
                                    Some(e.id.clone()),
                                    e.label(),
                                );
                            }
                        })
                        .response
                        .labelled_by(l.id);
                }
                SourceKind::Script => {
                    let l = ui.label("Script");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.script_path)
                            .hint_text("/path/to/schema.sql")
                            .desired_width(360.0),
                    )
                    .labelled_by(l.id);
                    if ui.button("Browse…").clicked() {
                        self.open_dialog = Some(crate::gui::files::Browse::open(
                            ui.ctx(),
                            "SQL script",
                            &[("SQL script", &["sql", "ddl", "txt"])],
                            None,
                        ));
                    }
                    let l = ui.label("Dialect");
                    egui::ComboBox::from_id_salt("conv_dialect")
                        .selected_text(self.dialect.map(|d| d.label()).unwrap_or("detect"))
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut self.dialect, None, "detect");
                            for d in Dialect::ALL {
                                ui.selectable_value(&mut self.dialect, Some(d), d.label());
                            }
                        })
                        .response
                        .labelled_by(l.id);
                }
            }
            let l = ui.label("Target");
            let before = self.target;
            egui::ComboBox::from_id_salt("conv_target_engine")
                .selected_text(self.target.unwrap_or(Dialect::Postgres).label())
                .show_ui(ui, |ui| {
                    for d in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
                        ui.selectable_value(&mut self.target, Some(d), d.label());
                    }
                })
                .response
                .labelled_by(l.id);
            if self.target != before {
                // Another engine: pick a matching endpoint to apply to, and fresh rules.
                self.target_endpoint = None;
                self.rules_cache = None;
            }
            // A label and its field wrap together.
            ui.horizontal(|ui| {
                let l = ui.label("Rules folder");
                ui.add(
                    egui::TextEdit::singleline(&mut self.rules_dir)
                        .hint_text("optional overrides")
                        .desired_width(160.0),
                )
                .labelled_by(l.id);
            });
            let ready = match self.source_kind {
                SourceKind::Endpoint => self
                    .source_endpoint
                    .as_deref()
                    .is_some_and(|id| state.project.endpoint_by_id(id).is_some()),
                SourceKind::Script => !self.script_path.trim().is_empty(),
            };
            if ui
                .add_enabled(ready && self.running.is_none(), egui::Button::new("Assess"))
                .on_hover_text("F5")
                .clicked()
                || (ready && self.running.is_none() && std::mem::take(&mut self.refresh))
            {
                self.rules_cache = None;
                let source = match self.source_kind {
                    SourceKind::Endpoint => {
                        let Some(e) = self
                            .source_endpoint
                            .as_deref()
                            .and_then(|id| state.project.endpoint_by_id(id))
                            .cloned()
                        else {
                            return;
                        };
                        let password = state.secrets.get(&e.id);
                        AssessSource::Endpoint {
                            endpoint: e,
                            password,
                        }
                    }
                    SourceKind::Script => AssessSource::Script {
                        path: PathBuf::from(self.script_path.trim()),
                        dialect: self.dialect,
                    },
                };
                let rules_dir = (!self.rules_dir.trim().is_empty())
                    .then(|| PathBuf::from(self.rules_dir.trim()));
                self.error = None;
                let target = self.target.unwrap_or(Dialect::Postgres);
                // Verified on the target endpoint chosen for this engine, if any.
                let verify_on = self
                    .target_endpoint
                    .as_deref()
                    .and_then(|id| state.project.endpoint_by_id(id))
                    .filter(|e| engine_dialect(e.engine) == target && target != Dialect::Sqlite)
                    .map(|e| (e.clone(), state.secrets.get(&e.id)));
                self.assessed_for = Some(self.inputs());
                self.running = Some(state.runtime.submit(Command::Assess {
                    source,
                    target,
                    rules_dir,
                    edits: state.project.conversion.edits.clone(),
                    verify_on,
                }));
            }
            if self.running.is_some() {
                style::busy(ui);
                ui.label("Assessing…");
            }
        });
    }

    fn objects(&mut self, ui: &mut egui::Ui, state: &mut AppState, r: &mut Report) {
        egui::Panel::left("conv_objects")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let l = ui.label("Filter");
                    ui.add(egui::TextEdit::singleline(&mut self.filter).desired_width(130.0))
                        .labelled_by(l.id);
                    let l = ui.label("Category");
                    egui::ComboBox::from_id_salt("conv_cat")
                        .selected_text(self.category_filter.map(|c| c.label()).unwrap_or("all"))
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut self.category_filter, None, "all");
                            for c in Category::ALL {
                                ui.selectable_value(&mut self.category_filter, Some(c), c.label());
                            }
                        })
                        .response
                        .labelled_by(l.id);
                });
                if ui.button("Next problem").clicked() {
                    let start = self.selected.map(|i| i + 1).unwrap_or(0);
                    self.selected = (start..r.objects.len())
                        .chain(0..start)
                        .find(|&i| !r.objects[i].action_items.is_empty());
                }
                egui::ScrollArea::vertical()
                    .id_salt("conv_obj_scroll")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        let f = self.filter.to_lowercase();
                        for (i, o) in r.objects.iter().enumerate() {
                            if self.category_filter.is_some_and(|c| c != o.category)
                                || (!f.is_empty() && !o.name.to_lowercase().contains(&f))
                            {
                                continue;
                            }
                            ui.horizontal(|ui| {
                                style::status_dot(ui, category_color(o.category));
                                let label = format!("{} {}", o.kind.label(), o.name);
                                if ui
                                    .selectable_label(self.selected == Some(i), label)
                                    .clicked()
                                {
                                    self.selected = Some(i);
                                }
                            });
                        }
                    });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let Some(index) = self.selected.filter(|i| *i < r.objects.len()) else {
                ui.label(RichText::new("Select an object to see its action items and its source and converted SQL.").color(style::MUTED));
                return;
            };
            let o = r.objects[index].clone();
            egui::ScrollArea::vertical().id_salt("conv_detail").auto_shrink([false, false]).show(ui, |ui| {
                ui.label(style::heading(&format!("{} {}{}", o.kind.label(), if o.schema.is_empty() { String::new() } else { format!("{}.", o.schema) }, o.name)));
                ui.horizontal(|ui| {
                    ui.colored_label(category_color(o.category), o.category.label());
                    if o.edited {
                        ui.label(RichText::new("· converted SQL edited by hand (kept in the project)").strong());
                    }
                });
                if let Some(l) = o.source_line {
                    ui.label(RichText::new(format!("{}, line {l}", r.source)).color(style::MUTED));
                }
                for a in &o.action_items {
                    ui.group(|ui| {
                        ui.horizontal_wrapped(|ui| {
                            ui.colored_label(category_color(a.category), RichText::new(&a.code).strong());
                            ui.label(&a.message);
                        });
                        ui.label(RichText::new(format!("Fix: {}  ·  about {:.0} min", a.fix, a.effort_minutes)).color(style::MUTED));
                        if let Some(frag) = &a.fragment {
                            ui.label(RichText::new(frag).monospace().small());
                        }
                    });
                }
                ui.add_space(6.0);
                let converted = if o.target.is_empty() {
                    String::new()
                } else {
                    o.target.iter().map(|t| format!("{};", t.sql)).collect::<Vec<_>>().join("\n\n")
                };
                let mut save = None;
                let mut revert = false;
                let target_label = r.target_dialect.label();
                ui.columns(2, |cols| {
                    cols[0].strong("Source");
                    let mut src = o.source_sql.as_deref().unwrap_or("(from the live catalog)");
                    let mut layouter = |ui: &egui::Ui, buf: &dyn egui::TextBuffer, wrap: f32| ui.fonts_mut(|f| f.layout_job(style::sql_layout_job(ui, buf.as_str(), wrap)));
                    cols[0].add(egui::TextEdit::multiline(&mut src).code_editor().desired_width(f32::INFINITY).desired_rows(12).layouter(&mut layouter));
                    cols[1].horizontal(|ui| {
                        ui.strong(target_label);
                        match &self.editing {
                            Some((i, _)) if *i == index => {
                                if ui.button("Save edit").clicked() {
                                    save = self.editing.as_ref().map(|(_, t)| t.clone());
                                }
                                if ui.button("Cancel").clicked() {
                                    self.editing = None;
                                }
                            }
                            _ => {
                                if ui.button("Edit SQL").clicked() {
                                    self.editing = Some((index, converted.clone()));
                                }
                                if o.edited && ui.button("Revert to the converter's SQL").clicked() {
                                    revert = true;
                                }
                            }
                        }
                    });
                    match &mut self.editing {
                        Some((i, text)) if *i == index => {
                            let mut layouter = |ui: &egui::Ui, buf: &dyn egui::TextBuffer, wrap: f32| ui.fonts_mut(|f| f.layout_job(style::sql_layout_job(ui, buf.as_str(), wrap)));
                            cols[1].add(egui::TextEdit::multiline(text).code_editor().desired_width(f32::INFINITY).desired_rows(12).layouter(&mut layouter));
                        }
                        _ => {
                            let shown = if converted.is_empty() { "(not converted: see the action items, or write it with Edit SQL)".to_string() } else { converted.clone() };
                            let mut c = shown.as_str();
                            let mut layouter = |ui: &egui::Ui, buf: &dyn egui::TextBuffer, wrap: f32| ui.fonts_mut(|f| f.layout_job(style::sql_layout_job(ui, buf.as_str(), wrap)));
                            cols[1].add(egui::TextEdit::multiline(&mut c).code_editor().desired_width(f32::INFINITY).desired_rows(12).layouter(&mut layouter));
                        }
                    }
                });
                if let Some(sql) = save {
                    let edit = crate::project::ObjectEdit { kind: o.kind, schema: o.schema.clone(), name: o.name.clone(), sql };
                    let edits = &mut state.project.conversion.edits;
                    edits.retain(|e| !(e.kind == edit.kind && e.schema == edit.schema && e.name == edit.name));
                    edits.push(edit.clone());
                    state.dirty = true;
                    r.apply_edits(std::slice::from_ref(&edit));
                    self.editing = None;
                    self.message = Some("Edit saved in the project; it survives re-conversion".into());
                }
                if revert {
                    state.project.conversion.edits.retain(|e| !(e.kind == o.kind && e.schema == o.schema && e.name == o.name));
                    state.dirty = true;
                    self.message = Some("Edit removed; press Assess to get the converter's SQL back".into());
                }
            });
        });
    }
}

/// The SQL dialect of an engine.
fn engine_dialect(e: crate::endpoints::Engine) -> Dialect {
    Dialect::of_engine(e)
}
