//! Triggers for the target: MySQL, SQLite, Oracle and T-SQL triggers as PL/pgSQL functions, PostgreSQL trigger functions found for the MySQL/SQLite converter, and MySQL ↔ SQLite triggers that write other tables.

use super::*;

/// A MySQL or SQLite trigger as a PL/pgSQL function and a CREATE TRIGGER.
pub(super) fn trigger(
    cx: &Ctx,
    s: &Schema,
    tr: &Trigger,
    text: &str,
) -> Result<(Vec<String>, Vec<String>), String> {
    let target_schema = cx.names.schema(&s.name);
    if cx.src.dialect == Dialect::Sqlite
        && let Some(stamps) = crate::conversion::self_update::self_update(s, tr)
    {
        return stamp_trigger(cx, s, tr, &stamps);
    }
    let (body, condition) = if cx.src.dialect == Dialect::Sqlite
        && text.to_ascii_uppercase().trim_start().starts_with("CREATE")
    {
        let t = crate::engines::sqlite::discover::parse_trigger(&tr.name, &tr.table, text);
        (t.body, t.condition)
    } else if cx.src.dialect == Dialect::Sqlite {
        (tr.body.clone(), tr.condition.clone())
    } else if cx.src.dialect == Dialect::Oracle {
        let text = crate::conversion::procedural::oracle_new_old(text);
        let upper = text.to_ascii_uppercase();
        let begin =
            crate::sqltext::find_keyword(&upper, "BEGIN", 0).ok_or("no BEGIN in the trigger")?;
        // `WHEN (condition)` before the body.
        let when = crate::sqltext::find_keyword(&upper[..begin], "WHEN", 0)
            .map(|w| text[w + 4..begin].trim().to_string());
        (text[begin..].to_string(), when)
    } else {
        (crate::conversion::procedural::trigger_body(text), None)
    };
    sqlite_rowid(cx, &body)?;
    let b = crate::conversion::procedural::convert_body(
        &body,
        cx.src.dialect,
        &cx.names,
        &target_schema,
        cx.rules,
    )?;
    let mut warnings = b.warnings;
    let func = cx.names.qualified(&s.name, &format!("{}_fn", tr.name));
    // A BEFORE row trigger's return value decides whether the row is written: NEW for
    // inserts and updates, OLD for deletes (NEW is NULL there, and would skip the delete).
    let returns = match (tr.timing, tr.events.as_slice()) {
        (TriggerTiming::After, _) => "RETURN NULL;",
        (_, [TriggerEvent::Delete]) => "RETURN OLD;",
        (_, e) if e.contains(&TriggerEvent::Delete) => {
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n    RETURN NEW;"
        }
        _ => "RETURN NEW;",
    };
    let declare = if b.declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", b.declare.join("\n    "))
    };
    let function = format!(
        "CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $$\n{declare}BEGIN\n    {}\n    {returns}\nEND\n$$",
        b.statements.join("\n    ")
    );
    let timing = match tr.timing {
        TriggerTiming::Before => "BEFORE",
        TriggerTiming::After => "AFTER",
        TriggerTiming::InsteadOf => "INSTEAD OF",
    };
    let events: Vec<&str> = tr
        .events
        .iter()
        .map(|e| match e {
            TriggerEvent::Insert => "INSERT",
            TriggerEvent::Update => "UPDATE",
            TriggerEvent::Delete => "DELETE",
            TriggerEvent::Truncate => "TRUNCATE",
        })
        .collect();
    let when = match &condition {
        Some(c) => {
            let (e, w) = crate::conversion::view::convert_expression(
                c,
                cx.src.dialect,
                &cx.names,
                &target_schema,
            )?;
            warnings.extend(w);
            format!(" WHEN ({e})")
        }
        None => String::new(),
    };
    let table = cx.names.qualified(&s.name, &tr.table);
    let create = format!(
        "CREATE TRIGGER {} {timing} {} ON {table} FOR EACH {}{when} EXECUTE FUNCTION {func}()",
        cx.names.ident(&tr.name),
        events.join(" OR "),
        if tr.for_each_row { "ROW" } else { "STATEMENT" }
    );
    Ok((vec![function, create], warnings))
}

/// A MySQL trigger for SQLite, or a SQLite trigger for MySQL, whose body only writes tables
/// (INSERT, UPDATE, DELETE, with NEW./OLD. values): the same statements, rewritten for the
/// target, with the same timing and event. A MySQL body that is one IF around them becomes the
/// SQLite trigger's WHEN, and a SQLite WHEN (or UPDATE OF columns) an IF around the MySQL body.
/// Anything else (SET NEW, variables, calls) is refused with the reason.
pub(super) fn table_writing_trigger(
    cx: &Ctx,
    s: &Schema,
    tr: &Trigger,
    text: &str,
) -> Result<(Vec<String>, Vec<String>), String> {
    use crate::conversion::procedural::statements;
    let target_schema = cx.names.schema(&s.name);
    if cx.src.dialect == Dialect::Sqlite
        && let Some(stamps) = crate::conversion::self_update::self_update(s, tr)
    {
        return stamp_trigger(cx, s, tr, &stamps);
    }
    let (body, mut condition) = if cx.src.dialect == Dialect::Sqlite {
        let t = crate::engines::sqlite::discover::parse_trigger(&tr.name, &tr.table, text);
        (t.body, t.condition)
    } else {
        let b = crate::conversion::procedural::trigger_body(text);
        let up = b.to_ascii_uppercase();
        let inner =
            if up.starts_with("BEGIN") && up.trim_end().trim_end_matches(';').ends_with("END") {
                let end = up.trim_end().trim_end_matches(';').len() - 3;
                b[5..end].to_string()
            } else {
                b
            };
        (inner, None)
    };
    sqlite_rowid(cx, &body)?;
    let mut pieces = statements(&body);
    // MySQL: one IF around the whole body.
    if cx.src.dialect == Dialect::MySql
        && pieces.len() >= 2
        && pieces[0].to_ascii_uppercase().starts_with("IF")
        && pieces
            .last()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("END IF"))
    {
        let first = pieces.remove(0);
        pieces.pop();
        let up = first.to_ascii_uppercase();
        let then = crate::sqltext::find_keyword(&up, "THEN", 0).ok_or("IF without THEN")?;
        let rest = first[then + 4..].trim().to_string();
        condition = Some(first[2..then].trim().to_string());
        if !rest.is_empty() {
            pieces.insert(0, rest);
        }
    }
    let mut out = vec![];
    let mut warnings = vec![];
    for p in &pieces {
        let up = p.trim_start().to_ascii_uppercase();
        if !["INSERT", "UPDATE", "DELETE", "REPLACE"]
            .iter()
            .any(|k| up.starts_with(k))
        {
            return Err(format!(
                "only triggers that write other tables are converted to {} (this one has: {})",
                cx.target.label(),
                first_line(p)
            ));
        }
        if cx.target == Dialect::MySql && written_table(p).eq_ignore_ascii_case(&tr.table) {
            return Err(format!(
                "MySQL refuses a trigger that writes the table it fires on ({})",
                first_line(p)
            ));
        }
        let (sql, w) = crate::conversion::view::convert_statement(
            p,
            cx.src.dialect,
            &cx.names,
            &target_schema,
        )?;
        warnings.extend(w);
        out.push(format!("    {sql};"));
    }
    if out.is_empty() {
        return Err("the trigger does nothing".into());
    }
    let timing = match tr.timing {
        TriggerTiming::Before => "BEFORE",
        TriggerTiming::After => "AFTER",
        TriggerTiming::InsteadOf => return Err("INSTEAD OF triggers are not converted".into()),
    };
    let [event] = tr.events.as_slice() else {
        return Err("a trigger on several events is not converted".into());
    };
    let event = match event {
        TriggerEvent::Insert => "INSERT",
        TriggerEvent::Update => "UPDATE",
        TriggerEvent::Delete => "DELETE",
        TriggerEvent::Truncate => return Err("TRUNCATE triggers do not exist here".into()),
    };
    let cols = if event == "UPDATE" {
        crate::conversion::pg_triggers::update_of(tr.definition.as_deref().unwrap_or(text))
    } else {
        vec![]
    };
    let condition = match &condition {
        Some(c) => {
            let (e, w) = crate::conversion::view::convert_expression(
                c,
                cx.src.dialect,
                &cx.names,
                &target_schema,
            )?;
            warnings.extend(w);
            Some(e)
        }
        None => None,
    };
    // A MySQL trigger lives in its table's database.
    let name = if cx.target == Dialect::MySql {
        cx.names.qualified(&s.name, &tr.name)
    } else {
        cx.names.ident(&tr.name)
    };
    let table = cx.names.qualified(&s.name, &tr.table);
    let sql = if cx.target == Dialect::Sqlite {
        let of = if cols.is_empty() {
            String::new()
        } else {
            let c: Vec<String> = cols.iter().map(|c| cx.names.ident(c)).collect();
            format!(" OF {}", c.join(", "))
        };
        let when = condition.map(|c| format!(" WHEN {c}")).unwrap_or_default();
        format!(
            "CREATE TRIGGER IF NOT EXISTS {name} {timing} {event}{of} ON {table} FOR EACH ROW{when}\nBEGIN\n{}\nEND",
            out.join("\n")
        )
    } else {
        let mut conds: Vec<String> = condition.into_iter().collect();
        conds.extend(update_of_changed(cx, &cols));
        let body = if conds.is_empty() {
            out.join("\n")
        } else {
            let c: Vec<String> = conds.iter().map(|c| format!("({c})")).collect();
            format!(
                "    IF {} THEN\n{}\n    END IF;",
                c.join(" AND "),
                out.iter()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        };
        format!(
            "CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW\nBEGIN\n{body}\nEND"
        )
    };
    Ok((vec![sql], warnings))
}

/// SQLite's `UPDATE OF a, b` as a MySQL condition: one of them changed.
fn update_of_changed(cx: &Ctx, cols: &[String]) -> Option<String> {
    (!cols.is_empty()).then(|| {
        cols.iter()
            .map(|c| {
                let c = cx.names.ident(c);
                format!("NOT (NEW.{c} <=> OLD.{c})")
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    })
}

/// Refuses a SQLite trigger body that names `rowid`, which no other engine has.
fn sqlite_rowid(cx: &Ctx, body: &str) -> Result<(), String> {
    let up = body.to_ascii_uppercase();
    if cx.src.dialect == Dialect::Sqlite
        && ["ROWID", "_ROWID_"]
            .iter()
            .any(|k| crate::sqltext::find_keyword(&up, k, 0).is_some())
    {
        return Err(format!(
            "the trigger uses SQLite's rowid, which {} has not: name the row by its key",
            cx.target.label()
        ));
    }
    Ok(())
}

/// The table an INSERT, UPDATE, DELETE or REPLACE writes (its last name part, unquoted).
fn written_table(statement: &str) -> String {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let up: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let at = match up.first().map(String::as_str) {
        Some("UPDATE") => up.iter().position(|w| {
            ![
                "UPDATE",
                "OR",
                "IGNORE",
                "REPLACE",
                "ROLLBACK",
                "ABORT",
                "FAIL",
                "LOW_PRIORITY",
            ]
            .contains(&w.as_str())
        }),
        Some("DELETE") => up.iter().position(|w| w == "FROM").map(|i| i + 1),
        Some("INSERT" | "REPLACE") => up.iter().position(|w| w == "INTO").map(|i| i + 1),
        _ => None,
    };
    at.and_then(|i| words.get(i))
        .map(|w| {
            let name = w.split('(').next().unwrap_or_default();
            name.rsplit('.')
                .next()
                .unwrap_or_default()
                .trim_matches(|c| matches!(c, '"' | '`' | '[' | ']'))
                .to_string()
        })
        .unwrap_or_default()
}

/// A SQLite trigger that stamps its own row (see [`crate::conversion::self_update`]) as a
/// BEFORE trigger assigning `NEW.column`, with the same events, UPDATE OF columns and WHEN.
fn stamp_trigger(
    cx: &Ctx,
    s: &Schema,
    tr: &Trigger,
    stamps: &[(String, String)],
) -> Result<(Vec<String>, Vec<String>), String> {
    let target_schema = cx.names.schema(&s.name);
    let mut warnings = vec![];
    let mut sets = vec![];
    for (col, value) in stamps {
        let (v, w) = crate::conversion::view::convert_expression(
            value,
            Dialect::Sqlite,
            &cx.names,
            &target_schema,
        )?;
        warnings.extend(w);
        let c = cx.names.ident(col);
        sets.push(if cx.target == Dialect::Postgres {
            format!("NEW.{c} := {v};")
        } else {
            format!("SET NEW.{c} = {v};")
        });
    }
    let (_, when) = crate::conversion::self_update::sqlite_body(tr);
    let mut conds = vec![];
    if let Some(c) = &when {
        let (e, w) = crate::conversion::view::convert_expression(
            c,
            Dialect::Sqlite,
            &cx.names,
            &target_schema,
        )?;
        warnings.extend(w);
        conds.push(format!("({e})"));
    }
    let cols = crate::conversion::pg_triggers::update_of(tr.definition.as_deref().unwrap_or(""));
    let events: Vec<&str> = tr
        .events
        .iter()
        .map(|e| match e {
            TriggerEvent::Insert => "INSERT",
            _ => "UPDATE",
        })
        .collect();
    // A MySQL trigger lives in its table's database.
    let name = if cx.target == Dialect::MySql {
        cx.names.qualified(&s.name, &tr.name)
    } else {
        cx.names.ident(&tr.name)
    };
    let table = cx.names.qualified(&s.name, &tr.table);
    if cx.target == Dialect::Postgres {
        let func = cx.names.qualified(&s.name, &format!("{}_fn", tr.name));
        let function = format!(
            "CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    {}\n    RETURN NEW;\nEND\n$$",
            sets.join("\n    ")
        );
        let of = if cols.is_empty() {
            String::new()
        } else {
            let c: Vec<String> = cols.iter().map(|c| cx.names.ident(c)).collect();
            format!(" OF {}", c.join(", "))
        };
        let when = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHEN ({})", conds.join(" AND "))
        };
        let create = format!(
            "CREATE TRIGGER {name} BEFORE {}{of} ON {table} FOR EACH ROW{when} EXECUTE FUNCTION {func}()",
            events.join(" OR ")
        );
        return Ok((vec![function, create], warnings));
    }
    let [event] = events.as_slice() else {
        return Err("a trigger on several events is not converted".into());
    };
    conds.extend(update_of_changed(cx, &cols));
    let body = if conds.is_empty() {
        format!("    {}", sets.join("\n    "))
    } else {
        format!(
            "    IF {} THEN\n        {}\n    END IF;",
            conds.join(" AND "),
            sets.join("\n        ")
        )
    };
    Ok((
        vec![format!(
            "CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW\nBEGIN\n{body}\nEND"
        )],
        warnings,
    ))
}

/// The PL/pgSQL body of the function a PostgreSQL trigger executes.
pub(super) fn pg_trigger_function(cx: &Ctx, tr: &Trigger) -> Result<String, String> {
    let text = tr.definition.as_deref().unwrap_or(&tr.body);
    let up = text.to_ascii_uppercase();
    let p = up
        .find("EXECUTE FUNCTION ")
        .map(|p| p + 17)
        .or_else(|| up.find("EXECUTE PROCEDURE ").map(|p| p + 18))
        .ok_or("no EXECUTE FUNCTION in the trigger")?;
    let call = &text[p..];
    let name = call[..call.find('(').unwrap_or(call.len())].trim();
    let short = crate::sqltext::unquote_ident(name.rsplit('.').next().unwrap_or(name));
    let r = cx
        .src
        .catalog
        .schemas
        .iter()
        .flat_map(|s| s.routines.iter())
        .find(|r| r.name.eq_ignore_ascii_case(&short))
        .ok_or_else(|| format!("its function {name} is not in the source"))?;
    if !r
        .language
        .as_deref()
        .is_none_or(|l| l.eq_ignore_ascii_case("plpgsql"))
    {
        return Err(format!("its function {name} is not PL/pgSQL"));
    }
    if !call[call.find('(').unwrap_or(0)..]
        .trim_start_matches('(')
        .trim_start()
        .starts_with(')')
    {
        return Err(format!("its function {name} takes trigger arguments"));
    }
    Ok(r.body.clone())
}

/// The columns of `t` whose target type is boolean.
pub(super) fn boolean_columns(cx: &Ctx, t: &Table) -> Vec<String> {
    t.columns
        .iter()
        .filter(|c| {
            matches!(
                final_type(cx, c).as_str(),
                "boolean" | "tinyint(1)" | "BOOLEAN"
            )
        })
        .map(|c| c.name.clone())
        .collect()
}

/// A T-SQL trigger as a PL/pgSQL function and one statement-level trigger per event, whose
/// transition tables are named `inserted` and `deleted` as in SQL Server.
pub(super) fn tsql_trigger(
    cx: &Ctx,
    s: &Schema,
    tr: &Trigger,
    text: &str,
) -> Result<(Vec<String>, Vec<String>), String> {
    if tr.timing == TriggerTiming::InsteadOf {
        return Err("INSTEAD OF triggers are not converted yet".into());
    }
    let clean = crate::conversion::procedural::strip_comments(text);
    let upper = clean.to_ascii_uppercase();
    // The body follows the AS after the event list.
    let on = crate::sqltext::find_keyword(&upper, "ON", 0).ok_or("no ON in the trigger")?;
    let as_pos =
        crate::sqltext::find_keyword(&upper, "AS", on).ok_or("no AS before the trigger body")?;
    let target_schema = cx.names.schema(&s.name);
    let b = crate::conversion::tsql::convert_body(
        &clean[as_pos + 2..],
        crate::conversion::tsql::Context::Trigger,
        &cx.names,
        &target_schema,
        cx.rules,
    )?;
    let mut warnings = b.warnings;
    let body_up = clean[as_pos..].to_ascii_lowercase();
    let func = cx.names.qualified(&s.name, &format!("{}_fn", tr.name));
    let declare = if b.declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", b.declare.join("\n    "))
    };
    let mut out = vec![format!(
        "CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $$\n{declare}BEGIN\n    {}\n    RETURN NULL;\nEND\n$$",
        b.statements.join("\n    ")
    )];
    let table = cx.names.qualified(&s.name, &tr.table);
    for ev in &tr.events {
        let (event, refs, suffix) = match ev {
            TriggerEvent::Insert => ("INSERT", "NEW TABLE AS inserted", "insert"),
            TriggerEvent::Update => (
                "UPDATE",
                "OLD TABLE AS deleted NEW TABLE AS inserted",
                "update",
            ),
            TriggerEvent::Delete => ("DELETE", "OLD TABLE AS deleted", "delete"),
            TriggerEvent::Truncate => return Err("TRUNCATE triggers do not exist in T-SQL".into()),
        };
        let missing = match ev {
            TriggerEvent::Insert => "deleted",
            TriggerEvent::Delete => "inserted",
            _ => "",
        };
        if !missing.is_empty() && body_up.contains(missing) {
            warnings.push(format!(
                "the body reads {missing}, which PostgreSQL does not provide for {event}: that query fails there"
            ));
        }
        let name = if tr.events.len() > 1 {
            format!("{}_{suffix}", tr.name)
        } else {
            tr.name.clone()
        };
        out.push(format!(
            "CREATE TRIGGER {} AFTER {event} ON {table} REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {func}()",
            cx.names.ident(&name)
        ));
    }
    Ok((out, warnings))
}

/// `decl := init` or `decl DEFAULT init` in a PL/SQL declaration.
pub(super) fn find_assign(d: &str) -> Option<(&str, &str)> {
    if let Some(p) = d.find(":=") {
        return Some((&d[..p], d[p + 2..].trim()));
    }
    let up = d.to_ascii_uppercase();
    crate::sqltext::find_keyword(&up, "DEFAULT", 0).map(|p| (&d[..p], d[p + 7..].trim()))
}
