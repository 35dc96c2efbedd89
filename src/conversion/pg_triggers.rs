//! PostgreSQL triggers for MySQL/MariaDB and SQLite targets. A PostgreSQL trigger runs a
//! PL/pgSQL function; where that function sets columns of the new row (`NEW.col := expr`),
//! writes other tables (INSERT, UPDATE, DELETE), branches with IF/ELSE and returns the row
//! that goes on, it is written as the target's own trigger, one per event (MySQL triggers take
//! one event each): `TG_OP` becomes the event's name, and IFs on it are decided per event.
//! On MySQL, `UPDATE OF cols` and `WHEN` become an IF around the body. SQLite cannot assign to
//! NEW: assignments become an AFTER trigger that updates the row it fired for, and table
//! writes keep their timing (SQLite has no IF: only bodies whose IFs are decided by the event).
//! A function that skips or replaces the row (`RETURN NULL` or `RETURN OLD` where NEW goes on)
//! has no equivalent and is refused with the reason, reported by the caller.

use super::names::Names;
use crate::ddl::Dialect;
use crate::model::{Trigger, TriggerEvent, TriggerTiming};
use crate::sqltext::find_keyword;

/// One statement of a simple trigger function.
#[derive(Debug, Clone, PartialEq)]
enum Stmt {
    /// NEW.column := expression
    Assign(String, String),
    If(String, Vec<Stmt>, Vec<Stmt>),
    /// INSERT, UPDATE or DELETE on a table.
    Dml(String),
    /// RETURN NEW / OLD / NULL.
    Return(String),
}

/// Parses the statements of a PL/pgSQL trigger function body (between BEGIN and END).
fn parse(body: &str) -> Result<Vec<Stmt>, String> {
    let text = super::procedural::strip_comments(body);
    let upper = text.to_ascii_uppercase();
    if find_keyword(&upper, "DECLARE", 0)
        .is_some_and(|d| find_keyword(&upper, "BEGIN", 0).is_none_or(|b| d < b))
    {
        return Err("the trigger function declares variables".into());
    }
    let begin = find_keyword(&upper, "BEGIN", 0).ok_or("no BEGIN in the trigger function")?;
    let end = upper.rfind("END").ok_or("no END in the trigger function")?;
    if end <= begin {
        return Err("no END in the trigger function".into());
    }
    // "IF c THEN a" and "ELSE b" pieces split so that each keyword stands alone.
    let mut pieces = vec![];
    for p in super::procedural::statements(&text[begin + 5..end]) {
        let up = p.to_ascii_uppercase();
        if up.starts_with("IF ") || up.starts_with("IF(") {
            let then = find_keyword(&up, "THEN", 0).ok_or("IF without THEN")?;
            pieces.push(p[..then + 4].trim().to_string());
            let rest = p[then + 4..].trim();
            if !rest.is_empty() {
                pieces.push(rest.to_string());
            }
        } else if up.starts_with("ELSE") && !up.starts_with("ELSIF") {
            pieces.push("ELSE".into());
            let rest = p[4..].trim();
            if !rest.is_empty() {
                pieces.push(rest.to_string());
            }
        } else {
            pieces.push(p);
        }
    }
    let mut i = 0;
    let stmts = block(&pieces, &mut i, false)?;
    if i < pieces.len() {
        return Err(format!("unexpected {}", pieces[i]));
    }
    Ok(stmts)
}

/// Statements until the end of the list, or until ELSE / END IF when `nested`.
fn block(pieces: &[String], i: &mut usize, nested: bool) -> Result<Vec<Stmt>, String> {
    let mut out = vec![];
    while *i < pieces.len() {
        let p = pieces[*i].trim().to_string();
        let up = p.to_ascii_uppercase();
        if up == "END IF" || up == "ELSE" {
            if nested {
                return Ok(out);
            }
            return Err(format!("unexpected {p}"));
        }
        *i += 1;
        if up.starts_with("ELSIF") {
            return Err("ELSIF is not converted".into());
        }
        if up.starts_with("RETURN") {
            match up.split_whitespace().nth(1) {
                Some(r @ ("NEW" | "NULL" | "OLD")) => {
                    out.push(Stmt::Return(r.to_string()));
                    continue;
                }
                _ => return Err(format!("unsupported RETURN: {p}")),
            }
        }
        if ["INSERT ", "UPDATE ", "DELETE "]
            .iter()
            .any(|k| up.starts_with(k))
        {
            out.push(Stmt::Dml(p.clone()));
            continue;
        }
        if up.starts_with("IF") && up.ends_with("THEN") {
            let cond = p[2..p.len() - 4].trim().to_string();
            let then_branch = block(pieces, i, true)?;
            let mut else_branch = vec![];
            if pieces
                .get(*i)
                .is_some_and(|x| x.eq_ignore_ascii_case("ELSE"))
            {
                *i += 1;
                else_branch = block(pieces, i, true)?;
            }
            if !pieces
                .get(*i)
                .is_some_and(|x| x.eq_ignore_ascii_case("END IF"))
            {
                return Err("IF without END IF".into());
            }
            *i += 1;
            out.push(Stmt::If(cond, then_branch, else_branch));
            continue;
        }
        // NEW.col := expr  /  NEW.col = expr
        let (lhs, rhs) = match p.find(":=") {
            Some(k) => (&p[..k], &p[k + 2..]),
            None => match p.find('=') {
                Some(k) => (&p[..k], &p[k + 1..]),
                None => return Err(format!("statement not converted: {p}")),
            },
        };
        let lhs = lhs.trim();
        let Some(col) = lhs
            .strip_prefix("NEW.")
            .or_else(|| lhs.strip_prefix("new."))
        else {
            return Err(format!("statement not converted: {p}"));
        };
        out.push(Stmt::Assign(
            crate::sqltext::unquote_ident(col),
            rhs.trim().to_string(),
        ));
    }
    if nested {
        return Err("IF without END IF".into());
    }
    Ok(out)
}

/// `TG_OP` as the event's name.
fn with_tg_op(text: &str, event: &str) -> String {
    let mut out = text.to_string();
    let mut from = 0;
    while let Some(p) = find_keyword(&out.to_ascii_uppercase(), "TG_OP", from) {
        out.replace_range(p..p + 5, &format!("'{event}'"));
        from = p + event.len() + 2;
    }
    out
}

/// A condition on the event alone (`TG_OP = 'DELETE'`, `<>`, `IN (...)`), decided for `event`.
fn decided(cond: &str, event: &str) -> Option<bool> {
    let c: String = cond
        .to_ascii_uppercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let c = c.trim_start_matches('(').trim_end_matches(')').trim();
    let rest = c.strip_prefix("TG_OP")?.trim_start();
    let list = |s: &str| -> Vec<String> {
        s.trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split(',')
            .map(|v| v.trim().trim_matches('\'').to_string())
            .collect()
    };
    if let Some(v) = rest.strip_prefix("NOT IN") {
        return Some(!list(v).iter().any(|x| x == event));
    }
    if let Some(v) = rest.strip_prefix("IN") {
        return Some(list(v).iter().any(|x| x == event));
    }
    for (op, eq) in [("<>", false), ("!=", false), ("=", true)] {
        if let Some(v) = rest.strip_prefix(op) {
            let v = v.trim().trim_matches('\'');
            if v.contains(' ') {
                return None;
            }
            return Some((v == event) == eq);
        }
    }
    None
}

/// The statements as they run for `event`: IFs on the event decided, `TG_OP` replaced.
fn specialise(stmts: &[Stmt], event: &str) -> Vec<Stmt> {
    let mut out = vec![];
    for s in stmts {
        match s {
            Stmt::If(c, a, b) => match decided(c, event) {
                Some(decision) => {
                    out.extend(specialise(if decision { a } else { b }, event));
                    // A branch that returned: nothing after the IF runs.
                    if matches!(out.last(), Some(Stmt::Return(_))) {
                        break;
                    }
                }
                None => out.push(Stmt::If(
                    with_tg_op(c, event),
                    specialise(a, event),
                    specialise(b, event),
                )),
            },
            Stmt::Assign(c, e) => out.push(Stmt::Assign(c.clone(), with_tg_op(e, event))),
            Stmt::Dml(d) => out.push(Stmt::Dml(with_tg_op(d, event))),
            Stmt::Return(r) => {
                out.push(Stmt::Return(r.clone()));
                // What follows a RETURN never runs.
                break;
            }
        }
    }
    out
}

/// Checks that every RETURN of a BEFORE trigger lets the row go on unchanged (NEW for inserts
/// and updates, OLD for deletes) and ends its block; then drops them.
fn plain_returns(stmts: Vec<Stmt>, event: TriggerEvent, before: bool) -> Result<Vec<Stmt>, String> {
    let n = stmts.len();
    let mut out = vec![];
    for (i, s) in stmts.into_iter().enumerate() {
        match s {
            Stmt::Return(r) => {
                let goes_on = if event == TriggerEvent::Delete {
                    "OLD"
                } else {
                    "NEW"
                };
                if before && r != goes_on {
                    return Err(format!(
                        "RETURN {r} in a BEFORE trigger {} the row; the target cannot",
                        if r == "NULL" { "skips" } else { "replaces" }
                    ));
                }
                if i + 1 != n {
                    return Err("a RETURN before the end of the function is not converted".into());
                }
            }
            Stmt::If(c, a, b) => out.push(Stmt::If(
                c,
                plain_returns(a, event, before)?,
                plain_returns(b, event, before)?,
            )),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The columns of `UPDATE OF a, b` in a trigger definition.
pub(crate) fn update_of(definition: &str) -> Vec<String> {
    let up = definition.to_ascii_uppercase();
    let Some(p) = up.find("UPDATE OF ") else {
        return vec![];
    };
    let rest = &definition[p + 10..];
    let end = rest.to_ascii_uppercase().find(" ON ").unwrap_or(rest.len());
    let cols = rest[..end].split(" OR ").next().unwrap_or_default();
    cols.split(',')
        .map(|c| crate::sqltext::unquote_ident(c.trim()))
        .filter(|c| !c.is_empty())
        .collect()
}

/// SQLite's ` OF a, b` and ` WHEN cond` of a trigger header.
fn sqlite_of_when(cols: &[String], when: Option<&str>, names: &Names) -> (String, String) {
    let of = if cols.is_empty() {
        String::new()
    } else {
        format!(
            " OF {}",
            cols.iter()
                .map(|c| names.ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let when = when.map(|w| format!(" WHEN {w}")).unwrap_or_default();
    (of, when)
}

fn has_assign(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Assign(..) => true,
        Stmt::If(_, a, b) => has_assign(a) || has_assign(b),
        _ => false,
    })
}

fn expr(e: &str, names: &Names, schema: &str) -> Result<(String, Vec<String>), String> {
    super::view::convert_expression(e, Dialect::Postgres, names, schema)
}

fn mysql_body(
    stmts: &[Stmt],
    names: &Names,
    schema: &str,
    indent: usize,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, String> {
    let pad = " ".repeat(indent);
    let mut out = vec![];
    for s in stmts {
        match s {
            Stmt::Assign(c, e) => {
                let (e, w) = expr(e, names, schema)?;
                warnings.extend(w);
                out.push(format!("{pad}SET NEW.{} = {e};", names.ident(c)));
            }
            Stmt::If(cond, a, b) => {
                let (c, w) = expr(cond, names, schema)?;
                warnings.extend(w);
                out.push(format!("{pad}IF {c} THEN"));
                out.extend(mysql_body(a, names, schema, indent + 4, warnings)?);
                if !b.is_empty() {
                    out.push(format!("{pad}ELSE"));
                    out.extend(mysql_body(b, names, schema, indent + 4, warnings)?);
                }
                out.push(format!("{pad}END IF;"));
            }
            Stmt::Dml(d) => {
                let (d, w) = super::view::convert_statement(d, Dialect::Postgres, names, schema)?;
                warnings.extend(w);
                out.push(format!("{pad}{d};"));
            }
            Stmt::Return(_) => {}
        }
    }
    Ok(out)
}

/// `tr` (whose function body is `function_body`) as target triggers, with warnings.
pub fn convert(
    tr: &Trigger,
    function_body: &str,
    target: Dialect,
    names: &Names,
    schema: &str,
    table: &str,
) -> Result<(Vec<String>, Vec<String>), String> {
    if !tr.for_each_row {
        return Err(format!(
            "statement-level triggers do not exist on {}",
            target.label()
        ));
    }
    let parsed = parse(function_body)?;
    if parsed.is_empty() {
        return Err("the trigger function does nothing the target can express".into());
    }
    if tr.timing == TriggerTiming::InsteadOf {
        return Err(format!(
            "INSTEAD OF triggers are not converted for {}",
            target.label()
        ));
    }
    let before = tr.timing == TriggerTiming::Before;
    let definition = tr.definition.clone().unwrap_or_default();
    let mut warnings = vec![];
    let when = match &tr.condition {
        Some(c) => {
            let (e, w) = expr(c, names, schema)?;
            warnings.extend(w);
            Some(e)
        }
        None => None,
    };
    let mut out = vec![];
    let events: Vec<TriggerEvent> = tr.events.clone();
    for ev in &events {
        let (ev_name, suffix) = match ev {
            TriggerEvent::Insert => ("INSERT", "insert"),
            TriggerEvent::Update => ("UPDATE", "update"),
            TriggerEvent::Delete => ("DELETE", "delete"),
            TriggerEvent::Truncate => {
                return Err(format!(
                    "TRUNCATE triggers do not exist on {}",
                    target.label()
                ));
            }
        };
        let stmts = plain_returns(specialise(&parsed, ev_name), *ev, before)?;
        let assigns = has_assign(&stmts);
        if assigns && (!before || *ev == TriggerEvent::Delete) {
            return Err("only BEFORE INSERT and UPDATE triggers can set NEW".into());
        }
        if stmts.is_empty() {
            continue;
        }
        let name = if events.len() > 1 {
            format!("{}_{suffix}", tr.name)
        } else {
            tr.name.clone()
        };
        let cols = if *ev == TriggerEvent::Update {
            update_of(&definition)
        } else {
            vec![]
        };
        if target == Dialect::MySql {
            let mut conds = vec![];
            if !cols.is_empty() {
                conds.push(
                    cols.iter()
                        .map(|c| {
                            let c = names.ident(c);
                            format!("NOT (NEW.{c} <=> OLD.{c})")
                        })
                        .collect::<Vec<_>>()
                        .join(" OR "),
                );
            }
            if let Some(w) = &when {
                conds.push(w.clone());
            }
            let body = if conds.is_empty() {
                mysql_body(&stmts, names, schema, 4, &mut warnings)?
            } else {
                let cond = conds
                    .iter()
                    .map(|c| format!("({c})"))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let mut b = vec![format!("    IF {cond} THEN")];
                b.extend(mysql_body(&stmts, names, schema, 8, &mut warnings)?);
                b.push("    END IF;".into());
                b
            };
            // A MySQL trigger lives in its table's database.
            let qualified = if schema.is_empty() {
                names.ident(&name)
            } else {
                format!("{}.{}", names.quote(schema), names.ident(&name))
            };
            out.push(format!(
                "CREATE TRIGGER {} {} {ev_name} ON {table} FOR EACH ROW\nBEGIN\n{}\nEND",
                qualified,
                if before { "BEFORE" } else { "AFTER" },
                body.join("\n")
            ));
        } else if !assigns {
            // SQLite: table writes keep their timing; IF has no equivalent.
            let mut body = vec![];
            for s in &stmts {
                match s {
                    Stmt::Dml(d) => {
                        let (d, w) =
                            super::view::convert_statement(d, Dialect::Postgres, names, schema)?;
                        warnings.extend(w);
                        body.push(format!("    {d};"));
                    }
                    _ => return Err("IF in a trigger is not converted for SQLite".into()),
                }
            }
            let (of, when) = sqlite_of_when(&cols, when.as_deref(), names);
            out.push(format!(
                "CREATE TRIGGER IF NOT EXISTS {} {} {ev_name}{of} ON {table} FOR EACH ROW{when}\nBEGIN\n{}\nEND",
                names.ident(&name),
                if before { "BEFORE" } else { "AFTER" },
                body.join("\n")
            ));
        } else {
            // SQLite: an AFTER trigger updating the row; only plain assignments.
            let mut sets = vec![];
            for s in &stmts {
                match s {
                    Stmt::Assign(c, e) => {
                        let (e, w) = expr(e, names, schema)?;
                        warnings.extend(w);
                        sets.push(format!("{} = {e}", names.ident(c)));
                    }
                    Stmt::If(..) => {
                        return Err("IF in a trigger is not converted for SQLite".into());
                    }
                    Stmt::Dml(_) => {
                        return Err(
                            "a SQLite trigger cannot both set NEW and write other tables in order"
                                .into(),
                        );
                    }
                    Stmt::Return(_) => {}
                }
            }
            let (of, when) = sqlite_of_when(&cols, when.as_deref(), names);
            out.push(format!(
                "CREATE TRIGGER IF NOT EXISTS {} AFTER {ev_name}{of} ON {table} FOR EACH ROW{when}\nBEGIN\n    UPDATE {table} SET {} WHERE rowid = NEW.rowid;\nEND",
                names.ident(&name),
                sets.join(", ")
            ));
            warnings.push("SQLite cannot change NEW before the write: the row is updated right after it, by an AFTER trigger".into());
        }
    }
    warnings.sort();
    warnings.dedup();
    Ok((out, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_bodies_parse_and_others_are_refused() {
        let b = "\nBEGIN\n  NEW.name := btrim(NEW.name);\n  IF NEW.qty < 0 THEN NEW.qty := 0; ELSE NEW.flag := true; END IF;\n  RETURN NEW;\nEND\n";
        let s = parse(b).unwrap();
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!(s[2], Stmt::Return("NEW".into()));
        assert_eq!(s[0], Stmt::Assign("name".into(), "btrim(NEW.name)".into()));
        match &s[1] {
            Stmt::If(c, a, e) => {
                assert_eq!(c, "NEW.qty < 0");
                assert_eq!(a.len(), 1);
                assert_eq!(e.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse("BEGIN PERFORM pg_notify('x', 'y'); RETURN NEW; END").is_err());
        let audit = parse("BEGIN INSERT INTO log VALUES (OLD.id, lower(TG_OP)); IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END").unwrap();
        let del = plain_returns(specialise(&audit, "DELETE"), TriggerEvent::Delete, true).unwrap();
        assert_eq!(
            del,
            vec![Stmt::Dml(
                "INSERT INTO log VALUES (OLD.id, lower('DELETE'))".into()
            )]
        );
        let upd = plain_returns(specialise(&audit, "UPDATE"), TriggerEvent::Update, true).unwrap();
        assert_eq!(
            upd,
            vec![Stmt::Dml(
                "INSERT INTO log VALUES (OLD.id, lower('UPDATE'))".into()
            )]
        );
        let skip = parse("BEGIN IF NEW.qty < 0 THEN RETURN NULL; END IF; RETURN NEW; END").unwrap();
        assert!(plain_returns(specialise(&skip, "INSERT"), TriggerEvent::Insert, true).is_err());
        assert!(parse("DECLARE n int; BEGIN NEW.a := 1; RETURN NEW; END").is_err());
    }

    #[test]
    fn update_of_columns() {
        assert_eq!(
            update_of(
                "CREATE TRIGGER t BEFORE INSERT OR UPDATE OF name, \"Kind\" ON fleet.boats FOR EACH ROW"
            ),
            vec!["name".to_string(), "Kind".to_string()]
        );
    }
}
