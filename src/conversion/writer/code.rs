//! A schema's code objects (views, routines, triggers) and what a script defines without a model of its own (packages, synonyms, events, extensions).

use super::*;

/// Views, routines, triggers and other code objects: converted where the body allows, each
/// one that is not explained.
pub(super) fn code_objects(cx: &mut Ctx, s: &Schema) {
    let target = cx.target;
    let loc = |t: &str| t.lines().filter(|l| !l.trim().is_empty()).count();
    for v in &s.views {
        let kind = if v.materialized {
            ObjectKind::MaterializedView
        } else {
            ObjectKind::View
        };
        let mut o = cx.report(kind, &s.name, &v.name, None);
        if o.source_sql.is_none() {
            o.source_sql = Some(format!(
                "-- view definition as read from the catalog\n{}",
                v.definition
            ));
        }
        o.lines_of_code = loc(&v.definition);
        if v.materialized && target != Dialect::Postgres {
            let a = cx.action(
                &o,
                Code::TB2015,
                Category::Simple,
                format!(
                    "{} has no materialized views: created as a plain view",
                    target.label()
                ),
                "Use a table refreshed by a scheduled job if the query is slow",
                None,
            );
            o.action_items.push(a);
        }
        if cx.src.dialect == Dialect::Postgres && target == Dialect::Postgres {
            let name = cx.names.qualified(&s.name, &v.name);
            let sql = if v.materialized {
                format!(
                    "CREATE MATERIALIZED VIEW IF NOT EXISTS {name} AS\n{}",
                    v.definition.trim_end_matches(';')
                )
            } else {
                format!(
                    "CREATE OR REPLACE VIEW {name} AS\n{}",
                    v.definition.trim_end_matches(';')
                )
            };
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql,
            });
        } else {
            let source_sql = cx
                .src
                .origin(kind, &v.name)
                .map(|x| x.sql.clone())
                .unwrap_or_else(|| v.definition.clone());
            let target_schema = cx.names.schema(&s.name);
            // Columns that became boolean in every table that has them.
            let booleans: Vec<String> = {
                let mut yes = std::collections::BTreeSet::new();
                let mut no = std::collections::BTreeSet::new();
                for t in cx.src.catalog.schemas.iter().flat_map(|x| x.tables.iter()) {
                    let b = boolean_columns(cx, t);
                    for c in &t.columns {
                        let n = c.name.to_lowercase();
                        if b.contains(&c.name) {
                            yes.insert(n);
                        } else {
                            no.insert(n);
                        }
                    }
                }
                yes.difference(&no).cloned().collect()
            };
            let texts = sqlite_text_columns(cx);
            match crate::conversion::view::convert_view_with_booleans(
                &source_sql,
                cx.src.dialect,
                &cx.names,
                &target_schema,
                &booleans,
                &texts,
            ) {
                Ok(cv) => {
                    let name = cx.names.qualified(&s.name, &v.name);
                    let cols = if v.columns.is_empty() || cx.src.origin(kind, &v.name).is_none() {
                        String::new()
                    } else {
                        format!(
                            " ({})",
                            v.columns
                                .iter()
                                .map(|c| cx.names.ident(c))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    let create = if target == Dialect::Sqlite {
                        "CREATE VIEW IF NOT EXISTS"
                    } else {
                        "CREATE OR REPLACE VIEW"
                    };
                    o.target.push(TargetStatement {
                        phase: Phase::PostData,
                        sql: format!("{create} {name}{cols} AS\n{}", cv.query),
                    });
                    for w in cv.warnings {
                        let (code, cat, fix) = if w.starts_with("GROUP BY without") {
                            (
                                Code::TB2014,
                                Category::Medium,
                                "Add the columns to GROUP BY, or aggregate them (min/max)",
                            )
                        } else {
                            (
                                Code::TB2011,
                                Category::Simple,
                                "Check the view's results on the target",
                            )
                        };
                        let a =
                            cx.action(&o, code, cat, format!("View {}: {w}", v.name), fix, None);
                        o.action_items.push(a);
                    }
                }
                Err(e) => {
                    let a = cx.action(
                        &o,
                        Code::TB2001,
                        Category::Medium,
                        format!("View query could not be parsed: {e}"),
                        "Rewrite the query for the target by hand",
                        Some(first_line(&v.definition)),
                    );
                    o.action_items.push(a);
                }
            }
        }
        cx.push(o);
    }
    for r in &s.routines {
        let kind = if r.kind == RoutineKind::Procedure {
            ObjectKind::Procedure
        } else {
            ObjectKind::Function
        };
        let mut o = cx.report(kind, &s.name, &r.name, None);
        if o.source_sql.is_none() {
            o.source_sql = r.definition.clone().or_else(|| Some(r.body.clone()));
        }
        o.lines_of_code = loc(r.definition.as_deref().unwrap_or(&r.body));
        let trigger_function = cx.src.dialect == Dialect::Postgres
            && target != Dialect::Postgres
            && (r
                .return_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("trigger"))
                || r.definition.as_deref().is_some_and(|d| {
                    let words: Vec<String> = d
                        .split_whitespace()
                        .take(64)
                        .map(str::to_ascii_uppercase)
                        .collect();
                    words
                        .windows(2)
                        .any(|w| w[0] == "RETURNS" && w[1] == "TRIGGER")
                }));
        if trigger_function {
            let a = cx.action(
                &o,
                Code::TB2017,
                Category::Automatic,
                format!("Trigger function: {} triggers carry their body themselves; each trigger using it is converted (or explained) on its own", target.label()),
                "None needed",
                None,
            );
            o.action_items.push(a);
        } else if target == Dialect::Sqlite {
            let a = cx.action(
                &o,
                Code::TB2016,
                Category::NotConvertible,
                "SQLite has no stored procedures or functions".into(),
                "Move the logic into the application (or register an application-defined function)",
                Some(first_line(r.definition.as_deref().unwrap_or(&r.body))),
            );
            o.action_items.push(a);
        } else if cx.src.dialect == target && r.definition.is_some() {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql: r
                    .definition
                    .clone()
                    .unwrap_or_default()
                    .trim_end()
                    .trim_end_matches(';')
                    .to_string(),
            });
        } else if matches!(
            cx.src.dialect,
            Dialect::MySql | Dialect::Oracle | Dialect::MsSql
        ) && target == Dialect::Postgres
            && r.definition.is_some()
        {
            let converted = match cx.src.dialect {
                Dialect::Oracle => oracle_routine(cx, s, r),
                Dialect::MsSql => tsql_routine(cx, s, r),
                _ => routine(cx, s, r),
            };
            match converted {
                Ok((sql, warnings)) => {
                    o.target.push(TargetStatement {
                        phase: Phase::PostData,
                        sql,
                    });
                    for w in warnings {
                        let (code, cat) = if w.contains("no known PostgreSQL equivalent") {
                            (Code::TB2012, Category::Medium)
                        } else {
                            (Code::TB2011, Category::Simple)
                        };
                        let a = cx.action(
                            &o,
                            code,
                            cat,
                            format!("{} {}: {w}", kind.label(), r.name),
                            "Check the routine on the target before use",
                            None,
                        );
                        o.action_items.push(a);
                    }
                }
                Err(why) => {
                    let a = cx.action(
                        &o,
                        Code::TB2002,
                        Category::Complex,
                        format!("{} not converted: {why}", kind.label()),
                        "Rewrite the body in PL/pgSQL",
                        Some(first_line(r.definition.as_deref().unwrap_or(&r.body))),
                    );
                    o.action_items.push(a);
                }
            }
        } else {
            let a = cx.action(
                &o,
                Code::TB2002,
                Category::Complex,
                format!(
                    "{} routine bodies are not converted to {} yet",
                    cx.src.dialect.label(),
                    target.label()
                ),
                "Rewrite the body for the target",
                Some(first_line(r.definition.as_deref().unwrap_or(&r.body))),
            );
            o.action_items.push(a);
        }
        cx.push(o);
    }
    for tr in &s.triggers {
        let mut o = cx.report(ObjectKind::Trigger, &s.name, &tr.name, Some(&tr.table));
        if o.source_sql.is_none() {
            o.source_sql = tr.definition.clone().or_else(|| Some(tr.body.clone()));
        }
        let text = tr.definition.clone().unwrap_or_else(|| tr.body.clone());
        o.lines_of_code = loc(&text);
        if tr.disabled && target != Dialect::Postgres {
            let a = cx.action(
                &o,
                Code::TB2018,
                Category::Simple,
                format!(
                    "The trigger is disabled on the source and {} cannot disable a trigger: it is not created",
                    target.label()
                ),
                "Create it by hand when it should run",
                Some(first_line(&text)),
            );
            o.action_items.push(a);
            cx.push(o);
            continue;
        }
        if cx.src.dialect == target && tr.definition.is_some() {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql: text,
            });
        } else if cx.src.dialect == Dialect::Postgres {
            // PostgreSQL trigger names are per table; MySQL's and SQLite's per schema.
            let mut renamed = tr.clone();
            let ns = format!("{}\u{0}triggers", cx.names.schema(&s.name));
            renamed.name = cx.names.unique_relation(&ns, &tr.table, &tr.name);
            let converted = pg_trigger_function(cx, tr).and_then(|body| {
                crate::conversion::pg_triggers::convert(
                    &renamed,
                    &body,
                    target,
                    &cx.names,
                    &cx.names.schema(&s.name),
                    &cx.names.qualified(&s.name, &tr.table),
                )
            });
            cx.trigger_outcome(
                &mut o,
                &tr.name,
                &text,
                converted,
                "Write the trigger for the target by hand",
            );
        } else if matches!(
            cx.src.dialect,
            Dialect::MySql | Dialect::Sqlite | Dialect::Oracle | Dialect::MsSql
        ) && target == Dialect::Postgres
        {
            let converted = if cx.src.dialect == Dialect::MsSql {
                tsql_trigger(cx, s, tr, &text)
            } else {
                trigger(cx, s, tr, &text)
            };
            cx.trigger_outcome(
                &mut o,
                &tr.name,
                &text,
                converted,
                "Write the PL/pgSQL trigger function by hand",
            );
        } else if matches!(
            (cx.src.dialect, target),
            (Dialect::MySql, Dialect::Sqlite) | (Dialect::Sqlite, Dialect::MySql)
        ) {
            let converted = table_writing_trigger(cx, s, tr, &text);
            cx.trigger_outcome(
                &mut o,
                &tr.name,
                &text,
                converted,
                "Write the trigger for the target by hand",
            );
        } else {
            let a = cx.action(
                &o,
                Code::TB2003,
                Category::Complex,
                format!(
                    "{} trigger bodies are not converted to {} yet",
                    cx.src.dialect.label(),
                    target.label()
                ),
                "Write the trigger for the target by hand",
                Some(first_line(&text)),
            );
            o.action_items.push(a);
        }
        // Said in the report: the trigger's timing changed, its effect did not.
        if cx.src.dialect == Dialect::Sqlite
            && target != Dialect::Sqlite
            && !o.target.is_empty()
            && let Some(stamps) = crate::conversion::self_update::self_update(s, tr)
        {
            let cols: Vec<&str> = stamps.iter().map(|(c, _)| c.as_str()).collect();
            let a = cx.action(
                &o,
                Code::TB2019,
                Category::Automatic,
                format!(
                    "AFTER trigger updating the row it fired for: a BEFORE trigger setting NEW.{} instead, which writes the same row ({} cannot update that row from an AFTER trigger: {})",
                    cols.join(", NEW."),
                    target.label(),
                    if target == Dialect::MySql {
                        "a trigger may not write its own table"
                    } else {
                        "an UPDATE there fires the table's UPDATE triggers again, without end"
                    }
                ),
                "None needed",
                None,
            );
            o.action_items.push(a);
        }
        if tr.disabled && target == Dialect::Postgres && !o.target.is_empty() {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql: format!(
                    "ALTER TABLE {} DISABLE TRIGGER {}",
                    cx.names.qualified(&s.name, &tr.table),
                    cx.names.ident(&tr.name)
                ),
            });
        }
        cx.push(o);
    }
}

/// Objects a script defines that have no model of their own (packages, synonyms, events,
/// extensions): reported once, with what to do about them.
pub(super) fn script_only_objects(cx: &mut Ctx, schema: &str) {
    let s_name = schema.to_string();
    let loc = |t: &str| t.lines().filter(|l| !l.trim().is_empty()).count();
    let known: Vec<(ObjectKind, String)> = cx
        .src
        .objects
        .iter()
        .filter(|o| {
            matches!(
                o.kind,
                ObjectKind::Package
                    | ObjectKind::PackageBody
                    | ObjectKind::Synonym
                    | ObjectKind::Event
                    | ObjectKind::Extension
            )
        })
        .map(|o| (o.kind, o.name.name.clone()))
        .collect();
    // A live PostgreSQL source's extensions, for a PostgreSQL target.
    let mut known = known;
    if cx.target == Dialect::Postgres && cx.src.dialect == Dialect::Postgres {
        for (name, _) in &cx.src.catalog.extensions {
            if !known
                .iter()
                .any(|(k, n)| *k == ObjectKind::Extension && n == name)
            {
                known.push((ObjectKind::Extension, name.clone()));
            }
        }
    }
    for (kind, name) in known {
        let mut o = cx.report(kind, &s_name, &name, None);
        o.lines_of_code = o.source_sql.as_deref().map(loc).unwrap_or(0);
        if kind == ObjectKind::Extension
            && cx.target == Dialect::Postgres
            && cx.src.dialect == Dialect::Postgres
        {
            // PostgreSQL to PostgreSQL: the extension is created first (verification
            // then proves the target server has it).
            let installed = cx
                .src
                .catalog
                .extensions
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.clone());
            let schema = installed.or_else(|| {
                let t = o.source_sql.as_deref()?;
                let words: Vec<&str> = t.split_whitespace().collect();
                let at = words.windows(2).position(|w| {
                    w[0].eq_ignore_ascii_case("WITH") && w[1].eq_ignore_ascii_case("SCHEMA")
                })?;
                words
                    .get(at + 2)
                    .map(|w| crate::sqltext::unquote_ident(w.trim_end_matches(';')))
            });
            let with = schema
                .map(|x| format!(" WITH SCHEMA {}", cx.names.quote(&cx.names.schema(&x))))
                .unwrap_or_default();
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql: format!(
                    "CREATE EXTENSION IF NOT EXISTS {}{with}",
                    quote_for(Dialect::Postgres, &name)
                ),
            });
            cx.push(o);
            continue;
        }
        let (code, cat, msg, fix) = match kind {
            ObjectKind::Package | ObjectKind::PackageBody => (
                Code::TB2004,
                Category::NotConvertible,
                "Oracle packages have no equivalent on the target",
                "Move the package's routines into a schema of functions; package state needs a table or session variables",
            ),
            ObjectKind::Synonym => (
                Code::TB2005,
                Category::Simple,
                "Synonyms have no equivalent on the target",
                "Use a view (or the search_path on PostgreSQL)",
            ),
            ObjectKind::Extension => (
                Code::TB2006,
                Category::Simple,
                "Extension must be installed on the target",
                "CREATE EXTENSION on the target",
            ),
            _ => (
                Code::TB2007,
                Category::Complex,
                "Scheduled events have no equivalent on the target",
                "Use pg_cron or an external scheduler",
            ),
        };
        let a = cx.action(
            &o,
            code,
            cat,
            msg.into(),
            fix,
            o.source_sql.as_deref().map(first_line),
        );
        o.action_items.push(a);
        cx.push(o);
    }
}

/// For a SQLite source and a PostgreSQL target: the columns of text affinity (lower case,
/// `table.column`, and `column` when it is text in every table that has it), where SQLite
/// compares `col = 1` as text and PostgreSQL refuses it.
fn sqlite_text_columns(cx: &Ctx) -> Vec<String> {
    if cx.src.dialect != Dialect::Sqlite || cx.target != Dialect::Postgres {
        return vec![];
    }
    let mut yes = std::collections::BTreeSet::new();
    let mut no = std::collections::BTreeSet::new();
    let mut qualified = vec![];
    for t in cx.src.catalog.schemas.iter().flat_map(|x| x.tables.iter()) {
        for c in &t.columns {
            let ty = c.data_type.name.to_ascii_uppercase();
            let text =
                !ty.contains("INT") && ["CHAR", "CLOB", "TEXT"].iter().any(|k| ty.contains(k));
            let name = c.name.to_lowercase();
            if text {
                qualified.push(format!("{}.{name}", t.name.to_lowercase()));
                yes.insert(name);
            } else {
                no.insert(name);
            }
        }
    }
    qualified.extend(yes.difference(&no).cloned());
    qualified
}
