//! Procedures and functions for the target: MySQL, Oracle PL/SQL and T-SQL routines as PL/pgSQL.

use super::*;

/// A MySQL procedure or function as a PL/pgSQL one.
pub(super) fn routine(cx: &Ctx, s: &Schema, r: &Routine) -> Result<(String, Vec<String>), String> {
    let text = r.definition.clone().unwrap_or_default();
    let h = crate::conversion::procedural::routine_header(&text)?;
    let target_schema = cx.names.schema(&s.name);
    let map = |ty: &str| -> Result<String, String> {
        cx.rules
            .map_type(&crate::sqltext::parse_declared_type(ty))
            .map(|x| x.0)
            .ok_or_else(|| format!("no mapping for the type {ty}"))
    };
    let mut params = vec![];
    for (mode, name, ty) in &h.parameters {
        let t = map(ty)?;
        params.push(if r.kind == RoutineKind::Procedure || mode != "IN" {
            format!("{mode} {} {t}", cx.names.ident(name))
        } else {
            format!("{} {t}", cx.names.ident(name))
        });
    }
    let b = crate::conversion::procedural::convert_body(
        &h.body,
        cx.src.dialect,
        &cx.names,
        &target_schema,
        cx.rules,
    )?;
    let declare = if b.declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", b.declare.join("\n    "))
    };
    let name = cx.names.qualified(&s.name, &r.name);
    let body = format!(
        "$$\n{declare}BEGIN\n    {}\nEND\n$$",
        b.statements.join("\n    ")
    );
    let sql = match r.kind {
        RoutineKind::Function => {
            let returns = map(h.returns.as_deref().ok_or("a function without RETURNS")?)?;
            let volatility = if r.deterministic == Some(true) {
                " STABLE"
            } else {
                ""
            };
            format!(
                "CREATE OR REPLACE FUNCTION {name}({}) RETURNS {returns} LANGUAGE plpgsql{volatility} AS {body}",
                params.join(", ")
            )
        }
        RoutineKind::Procedure => format!(
            "CREATE OR REPLACE PROCEDURE {name}({}) LANGUAGE plpgsql AS {body}",
            params.join(", ")
        ),
    };
    Ok((sql, b.warnings))
}

/// A PL/SQL type as PL/pgSQL writes it: `%TYPE` / `%ROWTYPE` anchors kept (PostgreSQL reads
/// them), the rest through the type rules.
pub(super) fn plsql_type(cx: &Ctx, ty: &str) -> Result<String, String> {
    let up = ty.to_ascii_uppercase();
    if up.ends_with("%TYPE") || up.ends_with("%ROWTYPE") {
        let p = ty.find('%').unwrap_or(ty.len());
        let anchor = ty[..p]
            .split('.')
            .map(|x| cx.names.ident(&crate::sqltext::unquote_ident(x)))
            .collect::<Vec<_>>()
            .join(".");
        return Ok(format!("{anchor}{}", &up[p..]));
    }
    if matches!(up.as_str(), "BOOLEAN" | "PLS_INTEGER" | "BINARY_INTEGER") {
        return Ok(if up == "BOOLEAN" {
            "boolean"
        } else {
            "integer"
        }
        .into());
    }
    cx.rules
        .map_type(&crate::sqltext::parse_declared_type(ty))
        .map(|x| x.0)
        .ok_or_else(|| format!("no mapping for the type {ty}"))
}

/// An Oracle procedure or function as a PL/pgSQL one.
pub(super) fn oracle_routine(
    cx: &Ctx,
    s: &Schema,
    r: &Routine,
) -> Result<(String, Vec<String>), String> {
    let text =
        crate::conversion::procedural::oracle_new_old(&r.definition.clone().unwrap_or_default());
    let h = crate::conversion::procedural::oracle_routine(&text)?;
    let target_schema = cx.names.schema(&s.name);
    let expr = |e: &str| {
        crate::conversion::view::convert_expression(e, Dialect::Oracle, &cx.names, &target_schema)
    };
    let mut warnings = vec![];
    let mut params = vec![];
    for (mode, name, ty, default) in &h.parameters {
        let t = plsql_type(cx, ty)?;
        let d = match default {
            Some(d) => {
                let (e, w) = expr(d)?;
                warnings.extend(w);
                format!(" DEFAULT {e}")
            }
            None => String::new(),
        };
        params.push(if mode == "IN" {
            format!("{} {t}{d}", cx.names.ident(name))
        } else {
            format!("{mode} {} {t}{d}", cx.names.ident(name))
        });
    }
    let mut declare = vec![];
    for d in &h.declarations {
        let up = d.to_ascii_uppercase();
        let first = up.split_whitespace().next().unwrap_or_default().to_string();
        if first == "CURSOR" {
            let is = crate::sqltext::find_keyword(&up, "IS", 0).ok_or("CURSOR without IS")?;
            let name = d[6..is].trim();
            if name.contains('(') {
                return Err("cursors with parameters are not converted yet".into());
            }
            let (q, w) = crate::conversion::view::convert_statement(
                d[is + 2..].trim(),
                Dialect::Oracle,
                &cx.names,
                &target_schema,
            )?;
            warnings.extend(w);
            declare.push(format!("{} CURSOR FOR {q};", cx.names.ident(name)));
            continue;
        }
        if matches!(
            first.as_str(),
            "TYPE" | "SUBTYPE" | "PRAGMA" | "FUNCTION" | "PROCEDURE"
        ) || up.split_whitespace().nth(1) == Some("EXCEPTION")
        {
            return Err(format!("the declaration {first} ... is not converted yet"));
        }
        let (decl, init) = match find_assign(d) {
            Some((a, b)) => (a, Some(b)),
            None => (d.as_str(), None),
        };
        let mut words: Vec<&str> = decl.split_whitespace().collect();
        if words.len() < 2 {
            return Err(format!("unreadable declaration: {d}"));
        }
        let name = words.remove(0);
        let constant = words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("CONSTANT"));
        if constant {
            words.remove(0);
        }
        let not_null = decl.to_ascii_uppercase().contains("NOT NULL");
        let ty: Vec<&str> = words
            .iter()
            .take_while(|w| !w.eq_ignore_ascii_case("NOT"))
            .copied()
            .collect();
        let t = plsql_type(cx, &ty.join(" "))?;
        let init = match init {
            Some(i) => {
                let (e, w) = expr(i)?;
                warnings.extend(w);
                format!(" := {e}")
            }
            None => String::new(),
        };
        declare.push(format!(
            "{}{} {t}{}{init};",
            cx.names.ident(name),
            if constant { " CONSTANT" } else { "" },
            if not_null { " NOT NULL" } else { "" }
        ));
    }
    let b = crate::conversion::procedural::convert_body(
        &h.body,
        Dialect::Oracle,
        &cx.names,
        &target_schema,
        cx.rules,
    )?;
    warnings.extend(b.warnings);
    declare.extend(b.declare);
    let declare = if declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", declare.join("\n    "))
    };
    let name = cx.names.qualified(&s.name, &r.name);
    let body = format!(
        "$$\n{declare}BEGIN\n    {}\nEND\n$$",
        b.statements.join("\n    ")
    );
    let sql = match r.kind {
        RoutineKind::Function => {
            let returns = plsql_type(cx, h.returns.as_deref().ok_or("a function without RETURN")?)?;
            format!(
                "CREATE OR REPLACE FUNCTION {name}({}) RETURNS {returns} LANGUAGE plpgsql AS {body}",
                params.join(", ")
            )
        }
        RoutineKind::Procedure => format!(
            "CREATE OR REPLACE PROCEDURE {name}({}) LANGUAGE plpgsql AS {body}",
            params.join(", ")
        ),
    };
    Ok((sql, warnings))
}

/// A T-SQL procedure or scalar function as a PL/pgSQL one; result sets come back through
/// INOUT refcursor parameters.
pub(super) fn tsql_routine(
    cx: &Ctx,
    s: &Schema,
    r: &Routine,
) -> Result<(String, Vec<String>), String> {
    let text = r.definition.clone().unwrap_or_default();
    let (params, returns, body) = crate::conversion::tsql::header(&text)?;
    let target_schema = cx.names.schema(&s.name);
    let map = |ty: &str| -> Result<String, String> {
        cx.rules
            .map_type(&crate::sqltext::parse_declared_type(ty))
            .map(|x| x.0)
            .ok_or_else(|| format!("no mapping for the type {ty}"))
    };
    let context = if r.kind == RoutineKind::Function {
        if returns
            .as_deref()
            .is_some_and(|t| t.to_ascii_uppercase().starts_with("TABLE") || t.starts_with('@'))
        {
            return Err("table-valued functions are not converted yet".into());
        }
        crate::conversion::tsql::Context::Function
    } else {
        crate::conversion::tsql::Context::Procedure
    };
    let b =
        crate::conversion::tsql::convert_body(&body, context, &cx.names, &target_schema, cx.rules)?;
    let mut warnings = b.warnings;
    let mut ps = vec![];
    for (mode, name, ty, default) in &params {
        let t = map(ty)?;
        let d = match default {
            Some(d) => {
                let (e, w) = crate::conversion::view::convert_expression(
                    d,
                    Dialect::MsSql,
                    &cx.names,
                    &target_schema,
                )?;
                warnings.extend(w);
                format!(" DEFAULT {e}")
            }
            None => String::new(),
        };
        ps.push(if mode == "IN" {
            format!("{name} {t}{d}")
        } else {
            format!("{mode} {name} {t}{d}")
        });
    }
    for i in 1..=b.result_sets {
        ps.push(format!("INOUT result{i} refcursor DEFAULT NULL"));
    }
    if b.result_sets > 0 {
        warnings.push(format!(
            "returns {} result set(s) through INOUT refcursor parameter(s) result1...: callers run CALL and then FETCH ALL FROM the returned cursor, in one transaction",
            b.result_sets
        ));
    }
    let declare = if b.declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", b.declare.join("\n    "))
    };
    let name = cx.names.qualified(&s.name, &r.name);
    let body = format!(
        "$$\n{declare}BEGIN\n    {}\nEND\n$$",
        b.statements.join("\n    ")
    );
    let sql = match context {
        crate::conversion::tsql::Context::Function => format!(
            "CREATE OR REPLACE FUNCTION {name}({}) RETURNS {} LANGUAGE plpgsql AS {body}",
            ps.join(", "),
            map(returns.as_deref().ok_or("a function without RETURNS")?)?
        ),
        _ => format!(
            "CREATE OR REPLACE PROCEDURE {name}({}) LANGUAGE plpgsql AS {body}",
            ps.join(", ")
        ),
    };
    Ok((sql, warnings))
}
