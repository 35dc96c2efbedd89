//! Procedural code into PL/pgSQL: MySQL, SQLite and Oracle trigger and routine bodies made of
//! assignments, INSERT / UPDATE / DELETE, SELECT INTO, IF / ELSIF blocks, loops (MySQL LOOP,
//! REPEAT, WHILE with LEAVE / ITERATE; PL/SQL LOOP, WHILE, FOR over ranges, queries and
//! cursors, EXIT WHEN), local variables, cursors (MySQL's CONTINUE HANDLER FOR NOT FOUND is
//! emulated after each FETCH and SELECT INTO), SIGNAL / RAISE_APPLICATION_ERROR, DBMS_OUTPUT,
//! procedure calls and exception blocks. Anything else is refused with the reason, so the
//! object gets an action item instead of wrong code.

use super::names::Names;
use super::rules::RuleSet;
use super::view::{convert_expression, convert_statement};
use crate::ddl::Dialect;
use crate::ddl::split::words;
use crate::sqltext::{find_keyword, split_top_level};
mod oracle;
pub use oracle::*;

/// A converted body: DECLARE lines and statements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    pub declare: Vec<String>,
    pub statements: Vec<String>,
    pub warnings: Vec<String>,
    /// MySQL `DECLARE CONTINUE HANDLER FOR NOT FOUND SET v = x`: the PL/pgSQL statement run
    /// when a FETCH or SELECT INTO finds no row.
    pub not_found: Option<String>,
}

/// Splits procedural text at top-level `;` (outside quotes and parentheses).
pub(crate) fn statements(body: &str) -> Vec<String> {
    let mut out = vec![];
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in body.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                ';' if depth == 0 => {
                    if !cur.trim().is_empty() {
                        out.push(cur.trim().to_string());
                    }
                    cur.clear();
                    continue;
                }
                _ => {}
            },
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The body of a trigger: after `FOR EACH ROW` (and MySQL's FOLLOWS/PRECEDES) in a CREATE
/// TRIGGER statement, or the text itself when it is already a body.
pub fn trigger_body(text: &str) -> String {
    let upper = text.to_ascii_uppercase();
    if !upper.trim_start().starts_with("CREATE") {
        return text.trim().to_string();
    }
    let Some(p) = find_keyword(&upper, "ROW", 0) else {
        return text.to_string();
    };
    let rest = text[p + 3..].trim_start();
    let w = words(rest, 2);
    if matches!(w.first().map(String::as_str), Some("FOLLOWS" | "PRECEDES")) {
        return rest
            .split_whitespace()
            .skip(2)
            .collect::<Vec<_>>()
            .join(" ");
    }
    rest.trim().to_string()
}

/// Converts one `;`-separated piece of a body, which may open or close an IF block.
fn convert_piece(
    st: &str,
    dialect: Dialect,
    names: &Names,
    schema: &str,
    rules: &RuleSet,
    out: &mut Body,
) -> Result<(), String> {
    let st = st.trim();
    // MySQL `label: LOOP ...` → PL/pgSQL `<<label>> LOOP ...`.
    if let Some(colon) = st.find(':')
        && !st[colon..].starts_with(":=")
        && st[..colon]
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !st[..colon].trim().is_empty()
    {
        let rest = st[colon + 1..].trim();
        let up = rest.to_ascii_uppercase();
        if up.starts_with("LOOP") || up.starts_with("WHILE") || up.starts_with("REPEAT") {
            out.statements
                .push(format!("<<{}>>", st[..colon].trim().to_lowercase()));
            return convert_piece(rest, dialect, names, schema, rules, out);
        }
    }
    let w = words(st, 3);
    let first = w.first().map(String::as_str).unwrap_or("");
    let conv = |sql: &str| convert_statement(sql, dialect, names, schema);
    let expr = |sql: &str| convert_expression(sql, dialect, names, schema);
    let upper = st.to_ascii_uppercase();
    match first {
        "IF" | "ELSEIF" | "ELSIF" => {
            let then =
                find_keyword(&upper, "THEN", 0).ok_or_else(|| format!("IF without THEN: {st}"))?;
            let cond = st[first.len()..then].trim();
            let (cond, warnings) = expr(cond)?;
            out.warnings.extend(warnings);
            out.statements.push(format!(
                "{} {cond} THEN",
                if first == "IF" { "IF" } else { "ELSIF" }
            ));
            then_rest(&st[then + 4..], dialect, names, schema, rules, out)?;
        }
        "ELSE" => {
            out.statements.push("ELSE".into());
            then_rest(&st[4..], dialect, names, schema, rules, out)?;
        }
        "LOOP" | "REPEAT" => {
            out.statements.push("LOOP".into());
            then_rest(&st[first.len()..], dialect, names, schema, rules, out)?;
        }
        "UNTIL" => {
            // UNTIL cond END REPEAT [label]
            let e = find_keyword(&upper, "END", 0).ok_or("UNTIL without END REPEAT")?;
            let (cond, warnings) = expr(st[5..e].trim())?;
            out.warnings.extend(warnings);
            let label = st[e..].split_whitespace().nth(2).unwrap_or("");
            out.statements.push(format!("EXIT WHEN {cond};"));
            out.statements.push(end_loop(label));
        }
        "END" if w.get(1).is_some_and(|x| x == "LOOP") => {
            let label = st.split_whitespace().nth(2).unwrap_or("");
            out.statements.push(end_loop(label));
        }
        "LEAVE" | "ITERATE" => {
            let label = st.split_whitespace().nth(1).unwrap_or("").to_lowercase();
            out.statements.push(format!(
                "{} {label};",
                if first == "LEAVE" { "EXIT" } else { "CONTINUE" }
            ));
        }
        "EXIT" | "CONTINUE" => match find_keyword(&upper, "WHEN", 0) {
            Some(p) => {
                let (cond, warnings) = expr(st[p + 4..].trim())?;
                out.warnings.extend(warnings);
                out.statements
                    .push(format!("{} WHEN {cond};", st[..p].trim()));
            }
            None => out.statements.push(format!("{st};")),
        },
        "OPEN" | "CLOSE" => {
            if find_keyword(&upper, "FOR", 0).is_some() {
                return Err("OPEN ... FOR (cursor variables) is not converted yet".into());
            }
            out.statements.push(format!("{};", st.to_lowercase()));
        }
        "FETCH" => {
            out.statements.push(format!("{st};"));
            if let Some(nf) = &out.not_found {
                out.statements
                    .push(format!("IF NOT FOUND THEN {nf} END IF;"));
            }
        }
        "FOR" if dialect == Dialect::Oracle => {
            // FOR i IN 1..n LOOP / FOR r IN (SELECT ...) LOOP / FOR r IN cursor LOOP
            let i = find_keyword(&upper, "IN", 0).ok_or("FOR without IN")?;
            let l = upper.rfind("LOOP").ok_or("FOR without LOOP")?;
            let var = st[3..i].trim().to_lowercase();
            let what = st[i + 2..l].trim();
            let rest = st[l + 4..].trim();
            if what.starts_with('(') {
                let inner = what.trim_start_matches('(').trim_end_matches(')');
                let (q, warnings) = conv(inner)?;
                out.warnings.extend(warnings);
                out.declare.push(format!("{var} record;"));
                out.statements.push(format!("FOR {var} IN {q} LOOP"));
            } else if what.contains("..") {
                let (lo, hi) = what.split_once("..").unwrap_or((what, what));
                let (lo, w1) = expr(lo.trim().trim_start_matches("REVERSE").trim())?;
                let (hi, w2) = expr(hi.trim())?;
                out.warnings.extend(w1);
                out.warnings.extend(w2);
                let rev = if what.to_ascii_uppercase().starts_with("REVERSE") {
                    "REVERSE "
                } else {
                    ""
                };
                out.statements
                    .push(format!("FOR {var} IN {rev}{lo}..{hi} LOOP"));
            } else {
                out.declare.push(format!("{var} record;"));
                out.statements
                    .push(format!("FOR {var} IN {} LOOP", what.to_lowercase()));
            }
            then_rest(rest, dialect, names, schema, rules, out)?;
        }
        "BEGIN" => {
            out.statements.push("BEGIN".into());
            then_rest(&st[5..], dialect, names, schema, rules, out)?;
        }
        "EXCEPTION" => {
            out.statements.push("EXCEPTION".into());
            then_rest(&st[9..], dialect, names, schema, rules, out)?;
        }
        "WHEN" if dialect == Dialect::Oracle => {
            let then = find_keyword(&upper, "THEN", 0).ok_or("WHEN without THEN")?;
            out.statements
                .push(format!("WHEN {} THEN", st[4..then].trim().to_lowercase()));
            then_rest(&st[then + 4..], dialect, names, schema, rules, out)?;
        }
        "END" if w.len() == 1 => out.statements.push("END;".into()),
        "COMMIT" | "ROLLBACK" => out.statements.push(format!("{first};")),
        "RAISE_APPLICATION_ERROR" => {
            let open = st
                .find('(')
                .ok_or("RAISE_APPLICATION_ERROR without arguments")?;
            let close = crate::sqltext::matching_paren(st, open).ok_or("unbalanced call")?;
            let args = split_top_level(&st[open + 1..close]);
            let msg = args
                .get(1)
                .ok_or("RAISE_APPLICATION_ERROR without a message")?;
            let (msg, warnings) = expr(msg)?;
            out.warnings.extend(warnings);
            out.statements.push(format!(
                "RAISE EXCEPTION '%', {msg} USING HINT = 'ORA{}';",
                args[0].trim()
            ));
        }
        _ if upper.starts_with("DBMS_OUTPUT.PUT_LINE") => {
            let open = st.find('(').ok_or("PUT_LINE without arguments")?;
            let close = crate::sqltext::matching_paren(st, open).ok_or("unbalanced call")?;
            let (e, warnings) = expr(&st[open + 1..close])?;
            out.warnings.extend(warnings);
            out.statements.push(format!("RAISE NOTICE '%', {e};"));
        }
        "END" if w.get(1).is_some_and(|x| x == "IF") => {
            out.statements.push("END IF;".into());
            // Anything after `END IF` belongs to the next piece (no `;` in between is invalid).
        }
        "SET" => {
            // SET a = x, NEW.b = y
            for assign in split_top_level(st[3..].trim()) {
                let Some((lhs, rhs)) = assign.split_once('=') else {
                    return Err(format!("unreadable assignment: {assign}"));
                };
                let (rhs, warnings) = expr(rhs.trim())?;
                out.warnings.extend(warnings);
                let lhs = crate::conversion::expr::requote(lhs.trim(), names.fold);
                out.statements.push(format!("{lhs} := {rhs};"));
            }
        }
        "INSERT" | "UPDATE" | "DELETE" => {
            let (sql, warnings) = conv(st)?;
            out.warnings.extend(warnings);
            out.statements.push(format!("{sql};"));
        }
        "REPLACE" => {
            return Err(
                "REPLACE INTO has no direct PL/pgSQL equivalent (use INSERT ... ON CONFLICT)"
                    .into(),
            );
        }
        "SELECT" => {
            if find_keyword(&upper, "INTO", 0).is_none() {
                return Err("a SELECT that returns rows to the caller (a result set) has no PL/pgSQL equivalent in a function or procedure".into());
            }
            let (sql, warnings) = conv(st)?;
            out.warnings.extend(warnings);
            out.statements.push(format!("{sql};"));
            if let Some(nf) = &out.not_found {
                out.statements
                    .push(format!("IF NOT FOUND THEN {nf} END IF;"));
            }
        }
        "RETURN" => {
            let (e, warnings) = expr(st[6..].trim())?;
            out.warnings.extend(warnings);
            out.statements.push(format!("RETURN {e};"));
        }
        "WHILE" => {
            let d =
                find_keyword(&upper, "DO", 0).ok_or_else(|| format!("WHILE without DO: {st}"))?;
            let (cond, warnings) = expr(st[5..d].trim())?;
            out.warnings.extend(warnings);
            out.statements.push(format!("WHILE {cond} LOOP"));
            then_rest(&st[d + 2..], dialect, names, schema, rules, out)?;
        }
        "END" if w.get(1).is_some_and(|x| x == "WHILE") => out.statements.push("END LOOP;".into()),
        "DECLARE" => {
            let rest = st[7..].trim();
            let up = rest.to_ascii_uppercase();
            let compact = up.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some(set) = compact
                .strip_prefix("CONTINUE HANDLER FOR NOT FOUND SET ")
                .map(|_| {
                    let p = up.find(" SET ").unwrap_or(0) + 5;
                    rest[p..].trim().to_string()
                })
            {
                // Run after each FETCH and SELECT INTO that finds no row.
                let (lhs, rhs) = set.split_once('=').ok_or("unreadable handler")?;
                let (rhs, warnings) = expr(rhs.trim())?;
                out.warnings.extend(warnings);
                out.not_found = Some(format!(
                    "{} := {rhs};",
                    crate::conversion::expr::requote(lhs.trim(), names.fold)
                ));
                return Ok(());
            }
            if up.split_whitespace().nth(1) == Some("CURSOR") {
                // DECLARE c CURSOR FOR SELECT ...
                let f = find_keyword(&up, "FOR", 0).ok_or("CURSOR without FOR")?;
                let name = rest.split_whitespace().next().unwrap_or("c").to_lowercase();
                let (q, warnings) = conv(rest[f + 3..].trim())?;
                out.warnings.extend(warnings);
                out.declare.push(format!("{name} CURSOR FOR {q};"));
                return Ok(());
            }
            if compact.starts_with("EXIT HANDLER FOR NOT FOUND RETURN NULL")
                || compact.starts_with("CONTINUE HANDLER FOR NOT FOUND")
            {
                // PL/pgSQL's SELECT INTO leaves NULL when no row is found: the same effect.
                out.warnings.push("the NOT FOUND handler is dropped: SELECT INTO without STRICT leaves the variable NULL".into());
                return Ok(());
            }
            if up.contains("HANDLER") || up.contains("CONDITION") {
                return Err("error handlers other than NOT FOUND are not converted yet".into());
            }
            let (vars, tail) = rest
                .split_once(' ')
                .ok_or_else(|| format!("unreadable DECLARE: {st}"))?;
            let (ty, default) = match find_keyword(&tail.to_ascii_uppercase(), "DEFAULT", 0) {
                Some(p) => (tail[..p].trim(), Some(tail[p + 7..].trim())),
                None => (tail.trim(), None),
            };
            let dt = crate::sqltext::parse_declared_type(ty);
            let target = rules
                .map_type(&dt)
                .map(|x| x.0)
                .ok_or_else(|| format!("no mapping for the variable type {ty}"))?;
            for v in vars.split(',') {
                let d = match default {
                    Some(d) => format!(" := {}", expr(d)?.0),
                    None => String::new(),
                };
                out.declare
                    .push(format!("{} {target}{d};", names.ident(v.trim())));
            }
        }
        "SIGNAL" => {
            let msg = st
                .split_once("MESSAGE_TEXT")
                .map(|(_, m)| m.trim().trim_start_matches('=').trim().to_string())
                .unwrap_or_else(|| "'error'".into());
            out.statements.push(format!("RAISE EXCEPTION {msg};"));
        }
        "" => {}
        _ if find_top_level(st, ":=").is_some() => {
            // PL/SQL assignment: target := expression
            let p = find_top_level(st, ":=").unwrap_or(0);
            let (rhs, warnings) = expr(st[p + 2..].trim())?;
            out.warnings.extend(warnings);
            let lhs = crate::conversion::expr::requote(st[..p].trim(), names.fold);
            out.statements.push(format!("{lhs} := {rhs};"));
        }
        "NULL" => out.statements.push("NULL;".into()),
        // An Oracle procedure call: `name;` or `name(args);`.
        _ if dialect == Dialect::Oracle && is_call(st) => {
            let (name, args) = match st.find('(') {
                Some(p) => (&st[..p], st[p..].trim()),
                None => (st, "()"),
            };
            let (args, warnings) = if args == "()" {
                (String::new(), vec![])
            } else {
                let inner = &args[1..args.len() - 1];
                let mut v = vec![];
                let mut w = vec![];
                for a in split_top_level(inner) {
                    let (e, ww) = expr(&a)?;
                    v.push(e);
                    w.extend(ww);
                }
                (v.join(", "), w)
            };
            out.warnings.extend(warnings);
            let name = name.trim();
            let target = if name.contains('.') || schema.is_empty() {
                name.split('.')
                    .map(|p| names.ident(p))
                    .collect::<Vec<_>>()
                    .join(".")
            } else {
                format!("{}.{}", names.quote(schema), names.ident(name))
            };
            out.statements.push(format!("CALL {target}({args});"));
        }
        other => return Err(format!("statement {other} is not converted yet")),
    }
    Ok(())
}

/// Whether `st` is a bare procedure call: a (dotted) name, optionally with arguments.
fn is_call(st: &str) -> bool {
    let name_end = st.find('(').unwrap_or(st.len());
    let name = st[..name_end].trim();
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$' | '#'))
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let args_ok =
        name_end == st.len() || crate::sqltext::matching_paren(st, name_end) == Some(st.len() - 1);
    name_ok && args_ok
}

/// Converts what follows a keyword in the same piece (`ELSE x := 1`, `LOOP FETCH ...`).
fn then_rest(
    rest: &str,
    dialect: Dialect,
    names: &Names,
    schema: &str,
    rules: &RuleSet,
    out: &mut Body,
) -> Result<(), String> {
    let rest = rest.trim();
    if rest.is_empty() {
        Ok(())
    } else {
        convert_piece(rest, dialect, names, schema, rules, out)
    }
}

/// `END LOOP [label];`
fn end_loop(label: &str) -> String {
    if label.is_empty() {
        "END LOOP;".into()
    } else {
        format!("END LOOP {};", label.to_lowercase())
    }
}

/// Position of `needle` in `s` outside quotes and parentheses.
fn find_top_level(s: &str, needle: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth == 0 && s[i..].starts_with(needle) => return Some(i),
                _ => {}
            },
        }
    }
    None
}

/// Oracle `:NEW` / `:OLD` bind-style references as PL/pgSQL's `NEW` / `OLD`.
pub fn oracle_new_old(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = false;
    let b = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = b[i];
        if c == b'\'' {
            quote = !quote;
        }
        if !quote && c == b':' {
            let rest = &text[i + 1..];
            let up = rest
                .get(..3)
                .map(|x| x.to_ascii_uppercase())
                .unwrap_or_default();
            if up == "NEW" || up == "OLD" {
                out.push_str(&up);
                i += 4;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Removes `#`, `--` and `/* */` comments (outside quotes) from procedural text.
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                out.push(c);
            }
            '#' => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

/// A MySQL routine's header: parameters (mode, name, type), return type and body.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutineHeader {
    pub parameters: Vec<(String, String, String)>,
    pub returns: Option<String>,
    pub body: String,
}

/// Reads `CREATE [DEFINER=...] PROCEDURE|FUNCTION name (params) [RETURNS type] [characteristics] body`.
pub fn routine_header(text: &str) -> Result<RoutineHeader, String> {
    let text = strip_comments(text);
    let open = text.find('(').ok_or("no parameter list")?;
    let close = crate::sqltext::matching_paren(&text, open).ok_or("unbalanced parameter list")?;
    let mut parameters = vec![];
    for p in split_top_level(&text[open + 1..close]) {
        let mut words: Vec<&str> = p.split_whitespace().collect();
        let mode = match words.first().map(|w| w.to_ascii_uppercase()) {
            Some(m) if matches!(m.as_str(), "IN" | "OUT" | "INOUT") => {
                words.remove(0);
                m
            }
            _ => "IN".to_string(),
        };
        if words.len() < 2 {
            return Err(format!("unreadable parameter: {p}"));
        }
        let name = crate::sqltext::unquote_ident(words[0]);
        parameters.push((mode, name, words[1..].join(" ")));
    }
    let rest = &text[close + 1..];
    let upper = rest.to_ascii_uppercase();
    let begin = find_keyword(&upper, "BEGIN", 0);
    let returns = find_keyword(&upper, "RETURNS", 0).map(|r| {
        let end = [
            "DETERMINISTIC",
            "NOT",
            "READS",
            "MODIFIES",
            "NO",
            "CONTAINS",
            "SQL",
            "COMMENT",
            "LANGUAGE",
            "BEGIN",
            "RETURN",
        ]
        .iter()
        .filter_map(|k| find_keyword(&upper, k, r + 7))
        .min()
        .unwrap_or(rest.len());
        rest[r + 7..end].trim().to_string()
    });
    let body = match begin {
        Some(b) => rest[b..].to_string(),
        None => {
            // A single-statement body after the characteristics.
            let r = find_keyword(
                &upper,
                "RETURN",
                returns
                    .as_ref()
                    .map(|_| find_keyword(&upper, "RETURNS", 0).unwrap_or(0) + 7)
                    .unwrap_or(0),
            )
            .ok_or("no routine body found")?;
            rest[r..].to_string()
        }
    };
    Ok(RoutineHeader {
        parameters,
        returns,
        body,
    })
}

/// Converts a MySQL/SQLite procedural body (`BEGIN ... END` or one statement).
pub fn convert_body(
    body: &str,
    dialect: Dialect,
    names: &Names,
    schema: &str,
    rules: &RuleSet,
) -> Result<Body, String> {
    let mut text = strip_comments(body)
        .trim()
        .trim_end_matches(';')
        .trim()
        .to_string();
    let upper = text.to_ascii_uppercase();
    // BEGIN ... END [name]
    if upper.starts_with("BEGIN")
        && let Some(end) = upper.rfind("END")
        && upper[end + 3..]
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '"' || c == '$')
        && upper[..end].ends_with(|c: char| c.is_whitespace() || c == ';')
    {
        text = text[5..end].to_string();
    }
    // SQLite `WHEN` conditions are handled by the caller.
    let mut out = Body::default();
    for st in statements(&text) {
        convert_piece(&st, dialect, names, schema, rules, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_trigger_bodies() {
        let names = Names::new(true, &Default::default());
        let rules = RuleSet::shipped(Dialect::MySql, Dialect::Postgres).unwrap();
        let t = "CREATE TRIGGER `ins_film` AFTER INSERT ON `film` FOR EACH ROW BEGIN\n    INSERT INTO film_text (film_id, title, description)\n        VALUES (new.film_id, new.title, new.description);\n  END";
        let b = convert_body(&trigger_body(t), Dialect::MySql, &names, "sakila", &rules).unwrap();
        assert_eq!(
            b.statements,
            [
                "INSERT INTO sakila.film_text (film_id, title, description) VALUES (new.film_id, new.title, new.description);"
            ]
        );
        let b = convert_body(
            "SET NEW.create_date = NOW()",
            Dialect::MySql,
            &names,
            "sakila",
            &rules,
        )
        .unwrap();
        assert_eq!(b.statements, ["NEW.create_date := NOW();"]);
        let e = convert_body(
            "BEGIN DECLARE EXIT HANDLER FOR SQLEXCEPTION ROLLBACK; END",
            Dialect::MySql,
            &names,
            "s",
            &rules,
        )
        .unwrap_err();
        assert!(e.contains("handlers"), "{e}");
    }
}

#[cfg(test)]
mod routine_tests {
    use super::*;

    #[test]
    fn reads_mysql_routine_headers() {
        let h = routine_header(
            "CREATE DEFINER=`root`@`localhost` FUNCTION `f`(p_id INT, OUT p_n DECIMAL(5,2)) RETURNS decimal(5,2)\n    DETERMINISTIC READS SQL DATA\nBEGIN # comment\n  RETURN 1; END",
        )
        .unwrap();
        assert_eq!(
            h.parameters,
            [
                ("IN".into(), "p_id".into(), "INT".into()),
                ("OUT".into(), "p_n".into(), "DECIMAL(5,2)".into())
            ]
        );
        assert_eq!(h.returns.as_deref(), Some("decimal(5,2)"));
        assert!(h.body.starts_with("BEGIN"));
        assert!(!h.body.contains("comment"));
    }

    #[test]
    fn converts_control_flow_and_select_into() {
        let names = Names::new(true, &Default::default());
        let rules = RuleSet::shipped(Dialect::MySql, Dialect::Postgres).unwrap();
        let body = "BEGIN\n DECLARE n INT DEFAULT 0;\n SELECT COUNT(*) INTO n FROM t WHERE a = 1;\n WHILE n > 0 DO SET n = n - 1; END WHILE;\n IF n = 0 THEN RETURN TRUE; ELSEIF n < 0 THEN RETURN NULL; ELSE RETURN FALSE; END IF;\nEND";
        let b = convert_body(body, Dialect::MySql, &names, "s", &rules).unwrap();
        assert_eq!(b.declare, ["n integer := 0;"]);
        assert_eq!(
            b.statements,
            [
                "SELECT COUNT(*) INTO n FROM s.t WHERE a = 1;",
                "WHILE n > 0 LOOP",
                "n := n - 1;",
                "END LOOP;",
                "IF n = 0 THEN",
                "RETURN true;",
                "ELSIF n < 0 THEN",
                "RETURN NULL;",
                "ELSE",
                "RETURN false;",
                "END IF;"
            ]
        );
        let e = convert_body(
            "BEGIN SELECT a FROM t; END",
            Dialect::MySql,
            &names,
            "s",
            &rules,
        )
        .unwrap_err();
        assert!(e.contains("result set"), "{e}");
    }
}
