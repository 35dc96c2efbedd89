//! The readable summary `tugboat inspect` prints.

use crate::model::*;

pub use crate::units::human_bytes;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn render(c: &Catalog) -> String {
    let mut o = String::new();
    let n = c.counts();
    o.push_str(&format!(
        "{} · {}\n",
        c.server.as_deref().unwrap_or("?"),
        if c.database.is_empty() {
            "(all databases)"
        } else {
            &c.database
        }
    ));
    o.push_str(&format!(
        "Objects: {}, {} ({}), {}, {}, {}, {}, {}, {}\n",
        plural(n.schemas, "schema", "schemas"),
        plural(n.tables, "table", "tables"),
        plural(n.columns, "column", "columns"),
        plural(n.views, "view", "views"),
        plural(n.procedures, "procedure", "procedures"),
        plural(n.functions, "function", "functions"),
        plural(n.triggers, "trigger", "triggers"),
        plural(n.sequences, "sequence", "sequences"),
        plural(n.types, "type", "types")
    ));
    o.push_str(&format!(
        "Keys:    {}, {}, {}, {}, {}\n",
        plural(n.primary_keys, "primary key", "primary keys"),
        plural(
            n.unique_constraints,
            "unique constraint",
            "unique constraints"
        ),
        plural(n.check_constraints, "check constraint", "check constraints"),
        plural(n.indexes, "index", "indexes"),
        plural(n.foreign_keys, "foreign key", "foreign keys")
    ));
    for s in &c.schemas {
        o.push_str(&format!("\nSchema {}\n", s.name));
        for t in &s.types {
            let what = match &t.kind {
                UserTypeKind::Enum { values } => format!("ENUM ({})", values.join(", ")),
                UserTypeKind::Domain { base, .. } => format!("DOMAIN over {base}"),
                UserTypeKind::Composite { attributes } => {
                    format!("COMPOSITE of {} attributes", attributes.len())
                }
            };
            o.push_str(&format!("  TYPE {} {what}\n", t.name));
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
            o.push_str(&format!(
                "  TABLE {}{}\n",
                t.name,
                if meta.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", meta.join(", "))
                }
            ));
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
                o.push_str(&format!(
                    "    {:<width$}  {:<twidth$}  {}\n",
                    col.name,
                    col.data_type.declared,
                    extra.join("  ")
                ));
            }
            if let Some(pk) = &t.primary_key {
                o.push_str(&format!("    PRIMARY KEY ({})\n", pk.columns.join(", ")));
            }
            for u in &t.unique_constraints {
                o.push_str(&format!(
                    "    UNIQUE {}({})\n",
                    name_prefix(&u.name),
                    u.columns.join(", ")
                ));
            }
            for ch in &t.check_constraints {
                o.push_str(&format!(
                    "    CHECK {}({})\n",
                    name_prefix(&ch.name),
                    ch.expression
                ));
            }
            for i in &t.indexes {
                o.push_str(&format!("    {}\n", i.describe()));
            }
            for f in &t.foreign_keys {
                let target = match &f.referenced_schema {
                    Some(s) => format!("{s}.{}", f.referenced_table),
                    None => f.referenced_table.clone(),
                };
                o.push_str(&format!(
                    "    FOREIGN KEY {}({}) REFERENCES {target} ({}) ON UPDATE {} ON DELETE {}\n",
                    name_prefix(&f.name),
                    f.columns.join(", "),
                    f.referenced_columns.join(", "),
                    f.on_update.sql(),
                    f.on_delete.sql()
                ));
            }
        }
        for v in &s.views {
            o.push_str(&format!(
                "  {}VIEW {} ({} columns)\n",
                if v.materialized { "MATERIALIZED " } else { "" },
                v.name,
                v.columns.len()
            ));
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
            o.push_str(&format!(
                "  {kind} {}({}){ret}  [{} lines]\n",
                r.name,
                params.join(", "),
                lines
            ));
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
            o.push_str(&format!(
                "  TRIGGER {} {timing} {} ON {}\n",
                t.name,
                events.join(" OR "),
                t.table
            ));
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
            o.push_str(&format!("  SEQUENCE {}{next}{owned}\n", q.name));
        }
    }
    o
}

fn name_prefix(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!("{n} ")).unwrap_or_default()
}
