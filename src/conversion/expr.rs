//! Expressions in DDL (defaults, checks, generated columns, index expressions): identifier
//! quoting carried over to the target, and default values mapped through the rules' functions.

use super::names::{quote_for, quote_pg};
use super::rules::RuleSet;
use crate::ddl::Dialect;

/// Rewrites identifier quoting for PostgreSQL: `` `x` ``, `[x]` and `"x"` become the target
/// spelling of `x` (folded when `fold`); string literals are kept as they are.
pub fn requote(expr: &str, fold: bool) -> String {
    requote_for(expr, fold, Dialect::Postgres)
}

/// [`requote`] for any target's quoting.
pub fn requote_for(expr: &str, fold: bool, target: Dialect) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\'' {
                        if chars.peek() == Some(&'\'') {
                            out.push(chars.next().unwrap_or('\''));
                        } else {
                            break;
                        }
                    }
                }
            }
            '`' | '[' | '"' => {
                let close = if c == '[' { ']' } else { c };
                let mut name = String::new();
                for d in chars.by_ref() {
                    if d == close {
                        break;
                    }
                    name.push(d);
                }
                let name = if fold { name.to_lowercase() } else { name };
                out.push_str(&if target == Dialect::Postgres {
                    quote_pg(&name)
                } else {
                    quote_for(target, &name)
                });
            }
            _ => out.push(c),
        }
    }
    out
}

/// Outcome of converting a default value.
#[derive(Debug, Clone, PartialEq)]
pub enum Default {
    /// The target default expression.
    Value(String),
    /// No default on the target (source default was NULL).
    None,
    /// Dropped, with the reason (a MySQL zero date, an unknown function...).
    Dropped(String),
}

/// Converts a source default for a column of `target_type`.
pub fn convert_default(raw: &str, target_type: &str, dialect: Dialect, rules: &RuleSet) -> Default {
    let mut d = raw.trim().to_string();
    // SQL Server wraps defaults in parentheses: ((0)), ('abc'), (getdate()).
    while d.starts_with('(') && crate::sqltext::matching_paren(&d, 0) == Some(d.len() - 1) {
        d = d[1..d.len() - 1].trim().to_string();
    }
    let target = rules.target;
    if dialect == target {
        return Default::Value(d);
    }
    if dialect == Dialect::Postgres {
        // 'abc'::character varying, 0::numeric, '{}'::jsonb: the literal without the cast.
        while let Some(p) = top_level_cast(&d) {
            d = d[..p].trim().to_string();
            while d.starts_with('(') && crate::sqltext::matching_paren(&d, 0) == Some(d.len() - 1) {
                d = d[1..d.len() - 1].trim().to_string();
            }
        }
        // ('now'::text)::date: the time of the insert.
        if matches!(d.to_ascii_lowercase().as_str(), "'now'" | "'today'") {
            let f = if target_type.to_ascii_lowercase().starts_with("date")
                && !target_type.to_ascii_lowercase().starts_with("datetime")
            {
                "current_date"
            } else {
                "now"
            };
            if let Some(v) = rules.functions.get(f) {
                return Default::Value(v.clone());
            }
        }
        if d.to_ascii_lowercase().starts_with("nextval(") {
            return Default::Dropped(format!(
                "sequence default {d}: {} has no sequences here",
                target.label()
            ));
        }
    }
    let lower = d.to_ascii_lowercase();
    let boolean = matches!(target_type, "boolean" | "tinyint(1)" | "BOOLEAN");
    let (yes, no) = if target == Dialect::Postgres {
        ("true", "false")
    } else {
        ("1", "0")
    };
    if lower == "null" {
        return Default::None;
    }
    let unquoted = d
        .strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .map(|x| x.replace("''", "'"));
    if boolean {
        let v = unquoted.clone().unwrap_or_else(|| lower.clone());
        match v.as_str() {
            "0" | "b'0'" | "false" | "f" => return Default::Value(no.into()),
            "1" | "b'1'" | "true" | "t" => return Default::Value(yes.into()),
            _ => {}
        }
    }
    let tt = target_type.to_ascii_lowercase();
    let temporal = ["timestamp", "date", "time", "datetime", "interval"]
        .iter()
        .any(|t| tt.starts_with(t));
    if d.parse::<f64>().is_ok() || (d.starts_with('-') && d[1..].parse::<f64>().is_ok()) {
        if temporal && target != Dialect::Sqlite {
            // SQLite's `DATETIME DEFAULT 0`: a number that means no moment on the target.
            return Default::Dropped(format!(
                "numeric default {d} on a date/time column has no {} equivalent",
                target.label()
            ));
        }
        return Default::Value(d);
    }
    if let Some(text) = unquoted {
        let zero = text.starts_with("0000-00-00");
        if zero && (dialect == Dialect::MySql || (temporal && target == Dialect::Postgres)) {
            return Default::Dropped(format!(
                "{} zero date {d} has no {} equivalent",
                dialect.label(),
                target.label()
            ));
        }
        return Default::Value(crate::sqltext::string_literal(
            &text,
            crate::sqltext::Escapes::Standard,
        ));
    }
    if let Some(bits) = lower.strip_prefix("b'") {
        return Default::Value(match target {
            Dialect::Postgres => format!("B'{bits}"),
            Dialect::MySql => format!("b'{bits}"),
            _ => i64::from_str_radix(bits.trim_end_matches('\''), 2)
                .map(|v| v.to_string())
                .unwrap_or_else(|_| format!("'{bits}")),
        });
    }
    if let Some(v) = rules.functions.get(&lower) {
        return Default::Value(v.clone());
    }
    if dialect == Dialect::Sqlite
        && let Some(v) = super::sqlite_time::convert_text(&d, target)
    {
        // MySQL takes an expression default in parentheses.
        return Default::Value(if target == Dialect::MySql {
            format!("({v})")
        } else {
            v
        });
    }
    let name = lower
        .split('(')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    if let Some(v) = rules.functions.get(&name) {
        return Default::Value(v.clone());
    }
    if matches!(lower.as_str(), "true" | "false") {
        return Default::Value(if lower == "true" { yes } else { no }.into());
    }
    Default::Dropped(format!(
        "default expression {d} has no known {} equivalent",
        target.label()
    ))
}

/// The position of a PostgreSQL `::type` cast at the top level of `s` (outside quotes and
/// parentheses), where the rest of `s` is the type name.
fn top_level_cast(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let (mut depth, mut quoted, mut found) = (0i32, false, None);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            b':' if !quoted && depth == 0 && b.get(i + 1) == Some(&b':') => {
                found = Some(i);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    let p = found?;
    let ty = s[p + 2..].trim();
    (!ty.is_empty()
        && ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _[]().,\"".contains(c)))
    .then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requotes_identifiers_but_not_strings() {
        assert_eq!(
            requote("`Price` > 0 AND [Qty] < 'a`b' AND \"X\" = 'it''s'", true),
            "price > 0 AND qty < 'a`b' AND x = 'it''s'"
        );
        assert_eq!(
            requote("`order` IS NOT NULL", true),
            "\"order\" IS NOT NULL"
        );
    }

    #[test]
    fn defaults_map_through_the_rules() {
        let my = RuleSet::shipped(Dialect::MySql, Dialect::Postgres).unwrap();
        assert_eq!(
            convert_default("current_timestamp()", "timestamptz(0)", Dialect::MySql, &my),
            Default::Value("CURRENT_TIMESTAMP".into())
        );
        assert_eq!(
            convert_default("'1'", "boolean", Dialect::MySql, &my),
            Default::Value("true".into())
        );
        assert_eq!(
            convert_default("4.99", "numeric(4,2)", Dialect::MySql, &my),
            Default::Value("4.99".into())
        );
        assert_eq!(
            convert_default("NULL", "text", Dialect::MySql, &my),
            Default::None
        );
        assert!(matches!(
            convert_default("'0000-00-00 00:00:00'", "timestamp(0)", Dialect::MySql, &my),
            Default::Dropped(_)
        ));
        let ms = RuleSet::shipped(Dialect::MsSql, Dialect::Postgres).unwrap();
        assert_eq!(
            convert_default("(getdate())", "timestamp(3)", Dialect::MsSql, &ms),
            Default::Value("LOCALTIMESTAMP".into())
        );
        assert_eq!(
            convert_default("((0))", "integer", Dialect::MsSql, &ms),
            Default::Value("0".into())
        );
        assert_eq!(
            convert_default("(newid())", "uuid", Dialect::MsSql, &ms),
            Default::Value("gen_random_uuid()".into())
        );
    }

    #[test]
    fn postgres_defaults_for_mysql_and_sqlite() {
        let my = RuleSet::shipped(Dialect::Postgres, Dialect::MySql).unwrap();
        let d = |raw: &str, ty: &str| convert_default(raw, ty, Dialect::Postgres, &my);
        assert_eq!(
            d("'draft'::character varying", "varchar(20)"),
            Default::Value("'draft'".into())
        );
        assert_eq!(d("true", "tinyint(1)"), Default::Value("1".into()));
        assert_eq!(
            d("now()", "datetime(6)"),
            Default::Value("CURRENT_TIMESTAMP".into())
        );
        assert_eq!(
            d("(0)::numeric", "decimal(5,2)"),
            Default::Value("0".into())
        );
        assert!(matches!(
            d("nextval('s'::regclass)", "int"),
            Default::Dropped(_)
        ));
        let lite = RuleSet::shipped(Dialect::Postgres, Dialect::Sqlite).unwrap();
        assert_eq!(
            convert_default("false", "BOOLEAN", Dialect::Postgres, &lite),
            Default::Value("0".into())
        );
    }
}
