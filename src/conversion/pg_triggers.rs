//! PostgreSQL triggers for MySQL/MariaDB and SQLite targets. A PostgreSQL trigger runs a
//! PL/pgSQL function; where that function only sets columns of the new row (`NEW.col :=
//! expr`, optionally under IF/ELSE) and returns, it is written as the target's own trigger:
//! on MySQL one BEFORE trigger per event that `SET`s `NEW` (MySQL triggers take one event
//! each; `UPDATE OF cols` and `WHEN` become an IF around the body); on SQLite an AFTER trigger
//! that updates the row it fired for (SQLite cannot assign to NEW). Anything else is refused
//! with the reason, and reported by the caller.

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
                Some("NEW") | Some("NULL") | Some("OLD") => continue,
                _ => return Err(format!("unsupported RETURN: {p}")),
            }
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

/// The columns of `UPDATE OF a, b` in a trigger definition.
fn update_of(definition: &str) -> Vec<String> {
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
    let stmts = parse(function_body)?;
    if stmts.is_empty() {
        return Err("the trigger function does nothing the target can express".into());
    }
    if tr.timing != TriggerTiming::Before {
        return Err("only BEFORE triggers that set NEW columns are converted".into());
    }
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
            TriggerEvent::Delete => return Err("a DELETE trigger cannot set NEW".into()),
            TriggerEvent::Truncate => {
                return Err(format!(
                    "TRUNCATE triggers do not exist on {}",
                    target.label()
                ));
            }
        };
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
            out.push(format!(
                "CREATE TRIGGER {} BEFORE {ev_name} ON {table} FOR EACH ROW\nBEGIN\n{}\nEND",
                names.ident(&name),
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
                }
            }
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
            let when = when
                .as_ref()
                .map(|w| format!(" WHEN {w}"))
                .unwrap_or_default();
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
        assert_eq!(s.len(), 2, "{s:?}");
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
