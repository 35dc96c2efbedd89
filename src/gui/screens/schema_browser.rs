//! The schema browser: a tree of a connected endpoint's catalog (schemas → tables, views,
//! routines, triggers, sequences, types, with counts and row estimates) and the details of the
//! selected object (a table's columns, keys and indexes; the text of views, routines, triggers).

use std::collections::HashMap;

use egui::RichText;

use crate::gui::style;
use crate::model::*;

/// The selected object: (kind, schema, name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Table(String, String),
    View(String, String),
    Routine(String, String),
    Trigger(String, String),
    Sequence(String, String),
    Type(String, String),
}

/// The state of an exact row count.
#[derive(Debug, Clone, PartialEq)]
pub enum CountState {
    Counting,
    Done(i64),
    Failed(String),
}

/// What the user asked the browser for.
#[derive(Debug, Clone, PartialEq)]
pub enum BrowserAction {
    CountRows { schema: String, table: String },
}

#[derive(Default)]
pub struct SchemaBrowser {
    pub selection: Option<Selection>,
    pub filter: String,
}

fn rows_text(t: &Table) -> String {
    match (t.stats.exact_rows, t.stats.estimated_rows) {
        (Some(n), _) => format!("{} rows", style::thousands(n)),
        (None, Some(n)) => format!("~{} rows", style::thousands(n)),
        _ => "rows unknown".into(),
    }
}

impl SchemaBrowser {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        catalog: &Catalog,
        counts: &HashMap<(String, String), CountState>,
    ) -> Option<BrowserAction> {
        let mut action = None;
        egui::Panel::left("schema_tree")
            .resizable(true)
            .default_size(290.0)
            .min_size(220.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let l = ui.label("Filter");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.filter)
                            .hint_text("object name")
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(l.id);
                });
                egui::ScrollArea::vertical()
                    .id_salt("tree_scroll")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        self.tree(ui, catalog);
                    });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::both()
                .id_salt("details_scroll")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    action = self.details(ui, catalog, counts);
                });
        });
        action
    }

    fn matches(&self, name: &str) -> bool {
        self.filter.is_empty() || name.to_lowercase().contains(&self.filter.to_lowercase())
    }

    fn tree(&mut self, ui: &mut egui::Ui, catalog: &Catalog) {
        let single = catalog.schemas.len() == 1;
        for s in &catalog.schemas {
            let c = s.tables.len()
                + s.views.len()
                + s.routines.len()
                + s.triggers.len()
                + s.sequences.len()
                + s.types.len();
            egui::CollapsingHeader::new(
                RichText::new(format!("{}  ({c} objects)", s.name)).strong(),
            )
            .id_salt(("schema", &s.name))
            .default_open(single)
            .show(ui, |ui| {
                self.group(
                    ui,
                    s,
                    "Tables",
                    s.tables
                        .iter()
                        .map(|t| (t.name.clone(), rows_text(t)))
                        .collect(),
                    Selection::Table,
                );
                self.group(
                    ui,
                    s,
                    "Views",
                    s.views
                        .iter()
                        .map(|v| (v.name.clone(), String::new()))
                        .collect(),
                    Selection::View,
                );
                self.group(
                    ui,
                    s,
                    "Routines",
                    s.routines
                        .iter()
                        .map(|r| {
                            (
                                r.name.clone(),
                                if r.kind == RoutineKind::Procedure {
                                    "procedure"
                                } else {
                                    "function"
                                }
                                .to_string(),
                            )
                        })
                        .collect(),
                    Selection::Routine,
                );
                self.group(
                    ui,
                    s,
                    "Triggers",
                    s.triggers
                        .iter()
                        .map(|t| (t.name.clone(), format!("on {}", t.table)))
                        .collect(),
                    Selection::Trigger,
                );
                self.group(
                    ui,
                    s,
                    "Sequences",
                    s.sequences
                        .iter()
                        .map(|q| (q.name.clone(), String::new()))
                        .collect(),
                    Selection::Sequence,
                );
                self.group(
                    ui,
                    s,
                    "Types",
                    s.types
                        .iter()
                        .map(|t| (t.name.clone(), String::new()))
                        .collect(),
                    Selection::Type,
                );
            });
        }
    }

    fn group(
        &mut self,
        ui: &mut egui::Ui,
        schema: &Schema,
        title: &str,
        items: Vec<(String, String)>,
        make: impl Fn(String, String) -> Selection,
    ) {
        let shown: Vec<&(String, String)> = items.iter().filter(|(n, _)| self.matches(n)).collect();
        let header = if shown.len() == items.len() {
            format!("{title} ({})", items.len())
        } else {
            format!("{title} ({} of {})", shown.len(), items.len())
        };
        egui::CollapsingHeader::new(header)
            .id_salt(("group", &schema.name, title))
            .default_open(title == "Tables" || !self.filter.is_empty())
            .open(if self.filter.is_empty() {
                None
            } else {
                Some(!shown.is_empty())
            })
            .show(ui, |ui| {
                if items.is_empty() {
                    ui.label(RichText::new("none").color(style::MUTED));
                }
                for (name, note) in shown {
                    let sel = make(schema.name.clone(), name.clone());
                    let selected = self.selection.as_ref() == Some(&sel);
                    ui.horizontal(|ui| {
                        if ui.selectable_label(selected, name).clicked() {
                            self.selection = Some(sel);
                        }
                        if !note.is_empty() {
                            ui.label(RichText::new(note).color(style::MUTED).small());
                        }
                    });
                }
            });
    }

    fn details(
        &mut self,
        ui: &mut egui::Ui,
        catalog: &Catalog,
        counts: &HashMap<(String, String), CountState>,
    ) -> Option<BrowserAction> {
        let Some(sel) = self.selection.clone() else {
            let c = catalog.counts();
            ui.label(style::heading(
                catalog.server.as_deref().unwrap_or("Catalog"),
            ));
            ui.label(format!(
                "{} tables · {} views · {} procedures · {} functions · {} triggers · {} sequences · {} types",
                c.tables, c.views, c.procedures, c.functions, c.triggers, c.sequences, c.types
            ));
            ui.label(format!(
                "{} primary keys · {} unique constraints · {} checks · {} indexes · {} foreign keys",
                c.primary_keys, c.unique_constraints, c.check_constraints, c.indexes, c.foreign_keys
            ));
            ui.add_space(6.0);
            ui.label(
                RichText::new("Select an object in the tree to see its details.")
                    .color(style::MUTED),
            );
            return None;
        };
        let find_schema = |s: &str| catalog.schema(s);
        match sel {
            Selection::Table(s, t) => {
                let table =
                    find_schema(&s).and_then(|sc| sc.tables.iter().find(|x| x.name == t))?;
                return table_details(ui, &s, table, counts.get(&(s.clone(), t.clone())));
            }
            Selection::View(s, v) => {
                if let Some(view) =
                    find_schema(&s).and_then(|sc| sc.views.iter().find(|x| x.name == v))
                {
                    ui.label(style::heading(&format!(
                        "{}VIEW {s}.{v}",
                        if view.materialized {
                            "MATERIALIZED "
                        } else {
                            ""
                        }
                    )));
                    ui.label(format!("Columns: {}", view.columns.join(", ")));
                    code(ui, &view.definition);
                }
            }
            Selection::Routine(s, r) => {
                if let Some(rt) =
                    find_schema(&s).and_then(|sc| sc.routines.iter().find(|x| x.name == r))
                {
                    let kind = if rt.kind == RoutineKind::Procedure {
                        "PROCEDURE"
                    } else {
                        "FUNCTION"
                    };
                    ui.label(style::heading(&format!("{kind} {s}.{r}")));
                    for p in &rt.parameters {
                        ui.label(format!(
                            "  {} {} {}",
                            p.mode,
                            p.name.as_deref().unwrap_or("(unnamed)"),
                            p.data_type
                        ));
                    }
                    if let Some(ret) = &rt.return_type {
                        ui.label(format!("Returns {ret}"));
                    }
                    if let Some(l) = &rt.language {
                        ui.label(format!("Language {l}"));
                    }
                    code(ui, rt.definition.as_deref().unwrap_or(&rt.body));
                }
            }
            Selection::Trigger(s, t) => {
                if let Some(tr) =
                    find_schema(&s).and_then(|sc| sc.triggers.iter().find(|x| x.name == t))
                {
                    ui.label(style::heading(&format!("TRIGGER {s}.{t}")));
                    let events: Vec<String> = tr
                        .events
                        .iter()
                        .map(|e| format!("{e:?}").to_uppercase())
                        .collect();
                    ui.label(format!(
                        "{:?} {} ON {} FOR EACH {}",
                        tr.timing,
                        events.join(" OR "),
                        tr.table,
                        if tr.for_each_row { "ROW" } else { "STATEMENT" }
                    ));
                    if let Some(c) = &tr.condition {
                        ui.label(format!("WHEN {c}"));
                    }
                    code(ui, tr.definition.as_deref().unwrap_or(&tr.body));
                }
            }
            Selection::Sequence(s, q) => {
                if let Some(seq) =
                    find_schema(&s).and_then(|sc| sc.sequences.iter().find(|x| x.name == q))
                {
                    ui.label(style::heading(&format!("SEQUENCE {s}.{q}")));
                    egui::Grid::new("seq_grid")
                        .num_columns(2)
                        .striped(true)
                        .show(ui, |ui| {
                            let f = |v: Option<i64>| {
                                v.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
                            };
                            for (k, v) in [
                                ("Type", seq.data_type.clone().unwrap_or_default()),
                                ("Start", f(seq.start)),
                                ("Increment", f(seq.increment)),
                                ("Minimum", f(seq.min_value)),
                                ("Maximum", f(seq.max_value)),
                                ("Cycle", seq.cycle.to_string()),
                                ("Last value", f(seq.last_value)),
                                ("Next value", f(seq.next_value)),
                                (
                                    "Owned by",
                                    seq.owned_by.clone().unwrap_or_else(|| "—".into()),
                                ),
                            ] {
                                ui.label(k);
                                ui.label(v);
                                ui.end_row();
                            }
                        });
                }
            }
            Selection::Type(s, t) => {
                if let Some(ty) =
                    find_schema(&s).and_then(|sc| sc.types.iter().find(|x| x.name == t))
                {
                    ui.label(style::heading(&format!("TYPE {s}.{t}")));
                    match &ty.kind {
                        UserTypeKind::Enum { values } => {
                            ui.label(format!(
                                "ENUM ({})",
                                values
                                    .iter()
                                    .map(|v| format!("'{v}'"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                        UserTypeKind::Domain {
                            base,
                            nullable,
                            default,
                            checks,
                        } => {
                            ui.label(format!(
                                "DOMAIN over {base}{}",
                                if *nullable { "" } else { " NOT NULL" }
                            ));
                            if let Some(d) = default {
                                ui.label(format!("DEFAULT {d}"));
                            }
                            for c in checks {
                                ui.label(c);
                            }
                        }
                        UserTypeKind::Composite { attributes } => {
                            for (n, t) in attributes {
                                ui.label(format!("{n} {t}"));
                            }
                        }
                    }
                }
            }
        }
        None
    }
}

fn code(ui: &mut egui::Ui, text: &str) {
    ui.add_space(6.0);
    let mut t = text;
    ui.add(
        egui::TextEdit::multiline(&mut t)
            .code_editor()
            .desired_width(f32::INFINITY)
            .desired_rows(8),
    );
}

fn table_details(
    ui: &mut egui::Ui,
    schema: &str,
    t: &Table,
    count: Option<&CountState>,
) -> Option<BrowserAction> {
    let mut action = None;
    ui.label(style::heading(&format!("TABLE {schema}.{}", t.name)));
    ui.horizontal_wrapped(|ui| {
        ui.label(match t.stats.estimated_rows {
            Some(n) => format!("~{} rows (estimate)", style::thousands(n)),
            None => "no row estimate".into(),
        });
        if let Some(b) = t.stats.size_bytes {
            ui.label(format!("· {}", style::human_bytes(b)));
        }
        if let Some(s) = &t.storage {
            ui.label(format!("· {s}"));
        }
        if let Some(c) = &t.default_collation {
            ui.label(format!("· {c}"));
        }
        ui.separator();
        match count {
            Some(CountState::Counting) => {
                style::busy(ui);
                ui.label("Counting…");
            }
            Some(CountState::Done(n)) => {
                ui.label(RichText::new(format!("{} rows (exact)", style::thousands(*n))).strong());
            }
            Some(CountState::Failed(e)) => {
                ui.colored_label(style::ERROR, e);
            }
            None => {}
        }
        if !matches!(count, Some(CountState::Counting)) && ui.button("Count rows").clicked() {
            action = Some(BrowserAction::CountRows {
                schema: schema.to_string(),
                table: t.name.clone(),
            });
        }
    });
    if let Some(c) = &t.comment {
        ui.label(RichText::new(c).italics());
    }
    ui.add_space(6.0);
    let clipped = |ui: &mut egui::Ui, text: &str, mono: bool| {
        let rt = if mono {
            RichText::new(text).monospace()
        } else {
            RichText::new(text)
        };
        ui.add(egui::Label::new(rt).truncate()).on_hover_text(text);
    };
    egui_extras::TableBuilder::new(ui)
        .id_salt(("columns", schema, &t.name))
        .striped(true)
        .vscroll(false)
        .column(egui_extras::Column::exact(28.0))
        .column(
            egui_extras::Column::initial(140.0)
                .at_least(80.0)
                .resizable(true)
                .clip(true),
        )
        .column(
            egui_extras::Column::initial(170.0)
                .at_least(80.0)
                .resizable(true)
                .clip(true),
        )
        .column(egui_extras::Column::exact(72.0))
        .column(
            egui_extras::Column::initial(130.0)
                .at_least(60.0)
                .resizable(true)
                .clip(true),
        )
        .column(egui_extras::Column::remainder().at_least(120.0).clip(true))
        .header(20.0, |mut h| {
            for title in ["#", "Column", "Type", "Null", "Default", "Details"] {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|mut body| {
            for c in &t.columns {
                body.row(20.0, |mut row| {
                    row.col(|ui| {
                        ui.label(c.ordinal.to_string());
                    });
                    let pk = t
                        .primary_key
                        .as_ref()
                        .is_some_and(|p| p.columns.contains(&c.name));
                    row.col(|ui| {
                        if pk {
                            ui.label(RichText::new(format!("{}  (PK)", c.name)).strong());
                        } else {
                            clipped(ui, &c.name, false);
                        }
                    });
                    row.col(|ui| clipped(ui, &c.data_type.declared, true));
                    row.col(|ui| {
                        ui.label(if c.nullable { "NULL" } else { "NOT NULL" });
                    });
                    row.col(|ui| clipped(ui, c.default.as_deref().unwrap_or(""), true));
                    row.col(|ui| clipped(ui, &column_details(c), false));
                });
            }
        });
    ui.add_space(8.0);
    ui.strong("Keys and constraints");
    if let Some(pk) = &t.primary_key {
        ui.label(format!(
            "PRIMARY KEY {}({})",
            opt_name(&pk.name),
            pk.columns.join(", ")
        ));
    } else {
        ui.colored_label(style::WARN, "No primary key");
    }
    for u in &t.unique_constraints {
        ui.label(format!(
            "UNIQUE {}({})",
            opt_name(&u.name),
            u.columns.join(", ")
        ));
    }
    for c in &t.check_constraints {
        ui.label(format!("CHECK {}({})", opt_name(&c.name), c.expression));
    }
    for f in &t.foreign_keys {
        ui.label(format!(
            "FOREIGN KEY {}({}) REFERENCES {}{} ({})  ON UPDATE {}  ON DELETE {}",
            opt_name(&f.name),
            f.columns.join(", "),
            f.referenced_schema
                .as_ref()
                .map(|s| format!("{s}."))
                .unwrap_or_default(),
            f.referenced_table,
            f.referenced_columns.join(", "),
            f.on_update.sql(),
            f.on_delete.sql()
        ));
    }
    ui.add_space(8.0);
    ui.strong(format!("Indexes ({})", t.indexes.len()));
    for i in &t.indexes {
        ui.label(i.describe());
    }
    action
}

fn opt_name(n: &Option<String>) -> String {
    n.as_ref().map(|n| format!("{n} ")).unwrap_or_default()
}

/// Identity, generation, automatic update, collation and comment of a column, in one line.
fn column_details(c: &Column) -> String {
    let mut extra = c.properties();
    if let Some(cs) = &c.collation {
        extra.push(cs.clone());
    }
    if !c.data_type.values.is_empty() && c.data_type.name != "enum" && c.data_type.name != "set" {
        extra.push(format!("values: {}", c.data_type.values.join(", ")));
    }
    if let Some(cm) = &c.comment {
        extra.push(format!("“{cm}”"));
    }
    extra.join(" · ")
}
