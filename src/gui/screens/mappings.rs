//! The table-mappings editor of the Tasks screen: a task's selection rules (include / exclude
//! / explicit by schema and table pattern, with source filters per column) and transformation
//! rules (rename, prefixes, suffixes, case, remove-column, add-column, change-data-type and
//! source-column (consolidation) on schemas, tables and columns), in DMS's vocabulary, edited in place. Rules apply in order;
//! bad rules are shown by the preview below it, before anything runs. AWS DMS's JSON table
//! mappings can be imported.

use std::path::PathBuf;

use egui::RichText;

use crate::gui::style;
use crate::tasks::mappings::{
    Filter, FilterOp, Selection, SelectionAction, TableMappings, Target, TransformAction,
    Transformation,
};

type ImportJob = (
    PathBuf,
    crate::gui::files::Job<Result<TableMappings, String>>,
);

#[derive(Default)]
pub struct MappingsEditor {
    /// The selection rule whose filters are open.
    open_filters: Option<usize>,
    /// A DMS JSON file being asked for.
    import: Option<crate::gui::files::PathPrompt>,
    /// The file being read and parsed in the background.
    reading: Option<ImportJob>,
    /// The outcome of the last import.
    pub message: Option<(String, bool)>,
}

const ACTIONS: [(&str, &str); 11] = [
    ("rename", "rename to"),
    ("add-prefix", "add prefix"),
    ("remove-prefix", "remove prefix"),
    ("add-suffix", "add suffix"),
    ("remove-suffix", "remove suffix"),
    ("convert-lowercase", "lower case"),
    ("convert-uppercase", "upper case"),
    ("remove-column", "remove column"),
    ("add-column", "add column"),
    ("change-data-type", "change data type"),
    ("source-column", "source column"),
];

fn action_index(a: &TransformAction) -> usize {
    match a {
        TransformAction::Rename(_) => 0,
        TransformAction::AddPrefix(_) => 1,
        TransformAction::RemovePrefix(_) => 2,
        TransformAction::AddSuffix(_) => 3,
        TransformAction::RemoveSuffix(_) => 4,
        TransformAction::ConvertLowercase => 5,
        TransformAction::ConvertUppercase => 6,
        TransformAction::RemoveColumn => 7,
        TransformAction::AddColumn { .. } => 8,
        TransformAction::ChangeDataType(_) => 9,
        TransformAction::SourceColumn { .. } => 10,
    }
}

/// The action at `i` of [`ACTIONS`], keeping the text of `old` where it has one.
fn action_at(i: usize, old: &TransformAction) -> TransformAction {
    let text = match old {
        TransformAction::Rename(s)
        | TransformAction::AddPrefix(s)
        | TransformAction::RemovePrefix(s)
        | TransformAction::AddSuffix(s)
        | TransformAction::RemoveSuffix(s)
        | TransformAction::ChangeDataType(s) => s.clone(),
        TransformAction::AddColumn { data_type, .. } => data_type.clone(),
        TransformAction::SourceColumn { value } => value.clone(),
        _ => String::new(),
    };
    match i {
        0 => TransformAction::Rename(text),
        1 => TransformAction::AddPrefix(text),
        2 => TransformAction::RemovePrefix(text),
        3 => TransformAction::AddSuffix(text),
        4 => TransformAction::RemoveSuffix(text),
        5 => TransformAction::ConvertLowercase,
        6 => TransformAction::ConvertUppercase,
        7 => TransformAction::RemoveColumn,
        8 => TransformAction::AddColumn {
            data_type: if text.is_empty() {
                "varchar(100)".into()
            } else {
                text
            },
            expression: String::new(),
        },
        9 => TransformAction::ChangeDataType(text),
        _ => TransformAction::SourceColumn { value: text },
    }
}

const OPS: [(FilterOp, &str); 8] = [
    (FilterOp::Eq, "="),
    (FilterOp::Noteq, "<>"),
    (FilterOp::Gte, ">="),
    (FilterOp::Lte, "<="),
    (FilterOp::Between, "between"),
    (FilterOp::Notbetween, "not between"),
    (FilterOp::Null, "is null"),
    (FilterOp::Notnull, "is not null"),
];

fn op_label(op: FilterOp) -> &'static str {
    OPS.iter()
        .find(|(o, _)| *o == op)
        .map(|x| x.1)
        .unwrap_or("=")
}

/// A single-line text field named for accessibility (`name` is what a screen reader and the
/// tests find it by).
fn field(ui: &mut egui::Ui, value: &mut String, width: f32, name: &str, hint: &str) -> bool {
    let r = ui.add(
        egui::TextEdit::singleline(value)
            .desired_width(width)
            .hint_text(hint),
    );
    r.widget_info(named(egui::Role::TextInput, name.to_string()));
    r.changed()
}

/// The accessible name of an unlabelled widget (what a screen reader and the tests find).
fn named(role: egui::Role, name: String) -> impl Fn() -> egui::WidgetInfo {
    move || egui::WidgetInfo::labeled(role, true, &name)
}

/// Small buttons that move or delete rule `i` of `len`; what was asked.
enum RowAction {
    Up,
    Down,
    Delete,
}

fn row_buttons(ui: &mut egui::Ui, i: usize, len: usize, what: &str) -> Option<RowAction> {
    let mut out = None;
    if ui
        .add_enabled(i > 0, egui::Button::new("up").small())
        .on_hover_text(format!("Move {what} {} up", i + 1))
        .clicked()
    {
        out = Some(RowAction::Up);
    }
    if ui
        .add_enabled(i + 1 < len, egui::Button::new("down").small())
        .on_hover_text(format!("Move {what} {} down", i + 1))
        .clicked()
    {
        out = Some(RowAction::Down);
    }
    if ui
        .small_button("delete")
        .on_hover_text(format!("Delete {what} {}", i + 1))
        .clicked()
    {
        out = Some(RowAction::Delete);
    }
    out
}

fn apply_row<T>(rules: &mut Vec<T>, i: usize, a: RowAction) {
    match a {
        RowAction::Up if i > 0 => rules.swap(i, i - 1),
        RowAction::Down if i + 1 < rules.len() => rules.swap(i, i + 1),
        RowAction::Delete => {
            rules.remove(i);
        }
        _ => {}
    }
}

impl MappingsEditor {
    /// Forgets what belongs to the task shown before.
    pub fn reset(&mut self) {
        self.open_filters = None;
        self.message = None;
    }

    /// Draws the editor for `m`; true when a rule changed.
    pub fn ui(&mut self, ui: &mut egui::Ui, m: &mut TableMappings) -> bool {
        let mut changed = self.poll_import(ui.ctx(), m);
        ui.horizontal(|ui| {
            ui.strong("Selection rules");
            ui.label(
                RichText::new("applied in order; % any run of characters, _ one character")
                    .color(style::MUTED),
            );
        });
        changed |= self.selection(ui, &mut m.selection);
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.strong("Transformation rules");
            ui.label(
                RichText::new("names on the target, columns removed, added or retyped")
                    .color(style::MUTED),
            );
        });
        changed |= transformations(ui, &mut m.transformations);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    self.import.is_none(),
                    egui::Button::new("Import DMS table mappings…"),
                )
                .on_hover_text("Replace these rules with an AWS DMS table-mapping JSON file")
                .clicked()
            {
                self.import = Some(crate::gui::files::PathPrompt::open(
                    "Import DMS table mappings",
                    &[("DMS table mappings", &["json"])],
                    String::new(),
                ));
            }
            if let Some((text, error)) = &self.message {
                if *error {
                    ui.colored_label(style::ERROR, text);
                } else {
                    ui.label(RichText::new(text).color(style::MUTED));
                }
            }
        });
        changed
    }

    /// Asks for the DMS JSON file, reads it in the background, and takes its rules.
    fn poll_import(&mut self, ctx: &egui::Context, m: &mut TableMappings) -> bool {
        use crate::gui::files::{Job, Prompted};
        if let Some(prompt) = &mut self.import {
            match prompt.ui(ctx) {
                Prompted::Waiting => {}
                Prompted::Cancelled => self.import = None,
                Prompted::Chosen(path) => {
                    let p = path.clone();
                    let job = Job::spawn(ctx, move || {
                        std::fs::read_to_string(&p)
                            .map_err(|e| format!("{}: {e}", p.display()))
                            .and_then(|text| {
                                TableMappings::from_dms_json(&text, &p.display().to_string())
                                    .map_err(|e| e.to_string())
                            })
                    });
                    self.reading = Some((path, job));
                }
            }
        }
        let Some((path, job)) = &self.reading else {
            return false;
        };
        let Some(read) = job.poll() else {
            return false;
        };
        let path = path.clone();
        self.reading = None;
        match read {
            Ok(new) => {
                self.message = Some((
                    format!(
                        "Imported {} selection and {} transformation rules from {}",
                        new.selection.len(),
                        new.transformations.len(),
                        path.display()
                    ),
                    false,
                ));
                *m = new;
                self.open_filters = None;
                self.import = None;
                true
            }
            Err(e) => {
                if let Some(prompt) = &mut self.import {
                    prompt.fail(e.clone());
                }
                self.message = Some((e, true));
                false
            }
        }
    }

    fn selection(&mut self, ui: &mut egui::Ui, rules: &mut Vec<Selection>) -> bool {
        let mut changed = false;
        let mut row_action = None;
        let len = rules.len();
        for (i, r) in rules.iter_mut().enumerate() {
            let n = i + 1;
            let open = self.open_filters == Some(i);
            ui.horizontal(|ui| {
                // The name fields share what the action, filters and row buttons leave, so the
                // row fits a 1024-pixel window.
                let spare = (ui.available_width() - 370.0).max(0.0);
                let (schema_w, table_w) = (
                    (spare * 0.4).clamp(70.0, 130.0),
                    (spare * 0.6).clamp(90.0, 180.0),
                );
                egui::ComboBox::from_id_salt(("selection_action", i))
                    .width(90.0)
                    .selected_text(match r.action {
                        SelectionAction::Include => "include",
                        SelectionAction::Exclude => "exclude",
                        SelectionAction::Explicit => "explicit",
                    })
                    .show_ui(ui, |ui| {
                        for (a, l) in [
                            (SelectionAction::Include, "include"),
                            (SelectionAction::Exclude, "exclude"),
                            (SelectionAction::Explicit, "explicit"),
                        ] {
                            changed |= ui.selectable_value(&mut r.action, a, l).changed();
                        }
                    })
                    .response
                    .widget_info(named(
                        egui::Role::ComboBox,
                        format!("Selection rule {n} action"),
                    ));
                changed |= field(
                    ui,
                    &mut r.schema,
                    schema_w,
                    &format!("Selection rule {n} schema"),
                    "schema",
                );
                ui.label(".");
                changed |= field(
                    ui,
                    &mut r.table,
                    table_w,
                    &format!("Selection rule {n} table"),
                    "table",
                );
                let label = match r.filters.len() {
                    0 => "filters…".to_string(),
                    1 => "1 filter…".to_string(),
                    k => format!("{k} filters…"),
                };
                if ui
                    .selectable_label(open, label)
                    .on_hover_text("Source filters: only the rows that pass them are moved")
                    .clicked()
                {
                    self.open_filters = if open { None } else { Some(i) };
                }
                if let Some(a) = row_buttons(ui, i, len, "selection rule") {
                    row_action = Some((i, a));
                }
            });
            if open {
                ui.indent(("filters_of", i), |ui| {
                    changed |= filters(ui, n, &mut r.filters);
                });
            }
        }
        if let Some((i, a)) = row_action {
            apply_row(rules, i, a);
            self.open_filters = None;
            changed = true;
        }
        if ui.button("Add selection rule").clicked() {
            rules.push(Selection {
                action: SelectionAction::Include,
                schema: "%".into(),
                table: "%".into(),
                filters: vec![],
            });
            changed = true;
        }
        if rules.iter().all(|r| r.action == SelectionAction::Exclude) {
            ui.colored_label(
                style::WARN,
                "No include rule: the task would select no table.",
            );
        }
        changed
    }
}

/// The source filters of selection rule `n`.
fn filters(ui: &mut egui::Ui, n: usize, fs: &mut Vec<Filter>) -> bool {
    let mut changed = false;
    let mut delete = None;
    for (k, f) in fs.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            let name = format!("Rule {n} filter {} ", k + 1);
            changed |= field(ui, &mut f.column, 110.0, &format!("{name}column"), "column");
            egui::ComboBox::from_id_salt(("filter_op", n, k))
                .width(90.0)
                .selected_text(op_label(f.op))
                .show_ui(ui, |ui| {
                    for (o, l) in OPS {
                        changed |= ui.selectable_value(&mut f.op, o, l).changed();
                    }
                })
                .response
                .widget_info(named(egui::Role::ComboBox, format!("{name}operator")));
            if !matches!(f.op, FilterOp::Null | FilterOp::Notnull) {
                let mut v = f.value.clone().unwrap_or_default();
                if field(ui, &mut v, 100.0, &format!("{name}value"), "value") {
                    f.value = Some(v);
                    changed = true;
                }
            }
            if matches!(f.op, FilterOp::Between | FilterOp::Notbetween) {
                ui.label("and");
                let mut v = f.end.clone().unwrap_or_default();
                if field(ui, &mut v, 100.0, &format!("{name}end"), "end") {
                    f.end = Some(v);
                    changed = true;
                }
            }
            if ui
                .small_button("delete")
                .on_hover_text(format!("Delete {name}"))
                .clicked()
            {
                delete = Some(k);
            }
        });
    }
    if let Some(k) = delete {
        fs.remove(k);
        changed = true;
    }
    if ui.small_button("Add filter").clicked() {
        fs.push(Filter {
            column: String::new(),
            op: FilterOp::Eq,
            value: Some(String::new()),
            end: None,
        });
        changed = true;
    }
    changed
}

fn transformations(ui: &mut egui::Ui, rules: &mut Vec<Transformation>) -> bool {
    let mut changed = false;
    let mut row_action = None;
    let len = rules.len();
    for (i, r) in rules.iter_mut().enumerate() {
        let n = i + 1;
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::from_id_salt(("transform_target", i))
                .width(70.0)
                .selected_text(match r.target {
                    Target::Schema => "schema",
                    Target::Table => "table",
                    Target::Column => "column",
                })
                .show_ui(ui, |ui| {
                    for (t, l) in [
                        (Target::Schema, "schema"),
                        (Target::Table, "table"),
                        (Target::Column, "column"),
                    ] {
                        changed |= ui.selectable_value(&mut r.target, t, l).changed();
                    }
                })
                .response
                .widget_info(named(
                    egui::Role::ComboBox,
                    format!("Transformation rule {n} applies to"),
                ));
            let name = format!("Transformation rule {n} ");
            changed |= field(ui, &mut r.schema, 110.0, &format!("{name}schema"), "schema");
            if r.target != Target::Schema {
                changed |= field(ui, &mut r.table, 140.0, &format!("{name}table"), "table");
            }
            if r.target == Target::Column {
                changed |= field(ui, &mut r.column, 120.0, &format!("{name}column"), "column");
            }
            let current = action_index(&r.action);
            let mut chosen = current;
            egui::ComboBox::from_id_salt(("transform_action", i))
                .width(130.0)
                .selected_text(ACTIONS[current].1)
                .show_ui(ui, |ui| {
                    for (k, (_, l)) in ACTIONS.iter().enumerate() {
                        let column_only = k >= 7;
                        if column_only && r.target != Target::Column {
                            continue;
                        }
                        ui.selectable_value(&mut chosen, k, *l);
                    }
                })
                .response
                .widget_info(named(egui::Role::ComboBox, format!("{name}action")));
            if chosen != current {
                r.action = action_at(chosen, &r.action);
                changed = true;
            }
            match &mut r.action {
                TransformAction::Rename(s) => {
                    changed |= field(ui, s, 160.0, &format!("{name}new name"), "new name");
                }
                TransformAction::AddPrefix(s)
                | TransformAction::RemovePrefix(s)
                | TransformAction::AddSuffix(s)
                | TransformAction::RemoveSuffix(s) => {
                    changed |= field(ui, s, 160.0, &format!("{name}text"), "text");
                }
                TransformAction::ChangeDataType(s) => {
                    changed |= field(ui, s, 160.0, &format!("{name}type"), "e.g. varchar(100)");
                }
                TransformAction::SourceColumn { value } => {
                    changed |= field(
                        ui,
                        value,
                        160.0,
                        &format!("{name}value"),
                        "this source's name, e.g. shop_eu",
                    );
                }
                TransformAction::AddColumn {
                    data_type,
                    expression,
                } => {
                    changed |= field(ui, data_type, 110.0, &format!("{name}type"), "type");
                    changed |= field(
                        ui,
                        expression,
                        220.0,
                        &format!("{name}expression"),
                        "expression in the source's SQL",
                    );
                }
                _ => {}
            }
            if let Some(a) = row_buttons(ui, i, len, "transformation rule") {
                row_action = Some((i, a));
            }
        });
    }
    if let Some((i, a)) = row_action {
        apply_row(rules, i, a);
        changed = true;
    }
    if ui.button("Add transformation rule").clicked() {
        rules.push(Transformation {
            target: Target::Table,
            schema: "%".into(),
            table: "%".into(),
            column: "%".into(),
            action: TransformAction::ConvertLowercase,
        });
        changed = true;
    }
    changed
}
