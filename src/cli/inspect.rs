//! The readable summary `tugboat inspect` prints.

use std::fmt::Write;

use crate::model::*;

pub use crate::units::human_bytes;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn render(c: &Catalog) -> String {
    let mut o = String::new();
    let n = c.counts();
    let _ = writeln!(
        o,
        "{} · {}",
        c.server.as_deref().unwrap_or("?"),
        if c.database.is_empty() {
            "(all databases)"
        } else {
            &c.database
        }
    );
    let _ = writeln!(
        o,
        "Objects: {}, {} ({}), {}, {}, {}, {}, {}, {}",
        plural(n.schemas, "schema", "schemas"),
        plural(n.tables, "table", "tables"),
        plural(n.columns, "column", "columns"),
        plural(n.views, "view", "views"),
        plural(n.procedures, "procedure", "procedures"),
        plural(n.functions, "function", "functions"),
        plural(n.triggers, "trigger", "triggers"),
        plural(n.sequences, "sequence", "sequences"),
        plural(n.types, "type", "types"),
    );
    let _ = writeln!(
        o,
        "Keys:    {}, {}, {}, {}, {}",
        plural(n.primary_keys, "primary key", "primary keys"),
        plural(
            n.unique_constraints,
            "unique constraint",
            "unique constraints"
        ),
        plural(n.check_constraints, "check constraint", "check constraints"),
        plural(n.indexes, "index", "indexes"),
        plural(n.foreign_keys, "foreign key", "foreign keys"),
    );
    for s in &c.schemas {
        let _ = writeln!(o, "\nSchema {}", s.name);
        for t in &s.types {
            let what = match &t.kind {
                UserTypeKind::Enum { values } => format!("ENUM ({})", values.join(", ")),
                UserTypeKind::Domain { base, .. } => format!("DOMAIN over {base}"),
                UserTypeKind::Composite { attributes } => {
                    format!("COMPOSITE of {} attributes", attributes.len())
                }
            };
            let _ = writeln!(o, "  TYPE {} {what}", t.name);
        }
        for t in &s.tables {
            let rows = t
                .stats
                .exact_rows
                .map(|r| format!("{r} rows"))
                .or(t.stats.estimated_rows.map(|r| format!("~{r} rows")));
            let size = t.stats.size_bytes.map(human_bytes);
            let meta: Vec<String> = [rows, size, t.storage.clone()]
                .into_iter()
                .flatten()
                .collect();
            let _ = writeln!(
                o,
                "  TABLE {}{}",
                t.name,
                if meta.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", meta.join(", "))
                }
            );
            let width = t.columns.iter().map(|c| c.name.len()).max().unwrap_or(0);
            let twidth = t
                .columns
                .iter()
                .map(|c| c.data_type.declared.len())
                .max()
                .unwrap_or(0);
            for col in &t.columns {
                let mut extra = vec![];
                if !col.nullable {
                    extra.push("NOT NULL".to_string());
                }
                if let Some(d) = &col.default {
                    extra.push(format!("DEFAULT {d}"));
                }
                extra.extend(col.properties());
                let _ = writeln!(
                    o,
                    "    {:<width$}  {:<twidth$}  {}",
                    col.name,
                    col.data_type.declared,
                    extra.join("  ")
                );
            }
            if let Some(pk) = &t.primary_key {
                let _ = writeln!(o, "    PRIMARY KEY ({})", pk.columns.join(", "));
            }
            for u in &t.unique_constraints {
                let _ = writeln!(
                    o,
                    "    UNIQUE {}({})",
                    name_prefix(&u.name),
                    u.columns.join(", ")
                );
            }
            for ch in &t.check_constraints {
                let _ = writeln!(o, "    CHECK {}({})", name_prefix(&ch.name), ch.expression);
            }
            for i in &t.indexes {
                let _ = writeln!(o, "    {}", i.describe());
            }
            for f in &t.foreign_keys {
                let target = match &f.referenced_schema {
                    Some(s) => format!("{s}.{}", f.referenced_table),
                    None => f.referenced_table.clone(),
                };
                let _ = writeln!(
                    o,
                    "    FOREIGN KEY {}({}) REFERENCES {target} ({}) ON UPDATE {} ON DELETE {}",
                    name_prefix(&f.name),
                    f.columns.join(", "),
                    f.referenced_columns.join(", "),
                    f.on_update.sql(),
                    f.on_delete.sql()
                );
            }
        }
        for v in &s.views {
            let _ = writeln!(
                o,
                "  {}VIEW {} ({} columns)",
                if v.materialized { "MATERIALIZED " } else { "" },
                v.name,
                v.columns.len()
            );
        }
        for r in &s.routines {
            let params: Vec<String> = r
                .parameters
                .iter()
                .map(|p| {
                    format!(
                        "{} {} {}",
                        p.mode,
                        p.name.as_deref().unwrap_or(""),
                        p.data_type
                    )
                    .replace("  ", " ")
                })
                .collect();
            let kind = if r.kind == RoutineKind::Procedure {
                "PROCEDURE"
            } else {
                "FUNCTION"
            };
            let ret = r
                .return_type
                .as_ref()
                .map(|t| format!(" RETURNS {t}"))
                .unwrap_or_default();
            let lines = r.body.lines().count();
            let _ = writeln!(
                o,
                "  {kind} {}({}){ret}  [{} lines]",
                r.name,
                params.join(", "),
                lines
            );
        }
        for t in &s.triggers {
            let events: Vec<String> = t
                .events
                .iter()
                .map(|e| format!("{e:?}").to_uppercase())
                .collect();
            let timing = match t.timing {
                TriggerTiming::Before => "BEFORE",
                TriggerTiming::After => "AFTER",
                TriggerTiming::InsteadOf => "INSTEAD OF",
            };
            let _ = writeln!(
                o,
                "  TRIGGER {} {timing} {} ON {}",
                t.name,
                events.join(" OR "),
                t.table
            );
        }
        for q in &s.sequences {
            let owned = q
                .owned_by
                .as_ref()
                .map(|x| format!(" OWNED BY {x}"))
                .unwrap_or_default();
            let next = q
                .next_value
                .map(|v| format!(" next {v}"))
                .unwrap_or_default();
            let _ = writeln!(o, "  SEQUENCE {}{next}{owned}", q.name);
        }
    }
    o
}

fn name_prefix(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!("{n} ")).unwrap_or_default()
}
