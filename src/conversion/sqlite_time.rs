//! SQLite's date and time functions (`datetime`, `date`, `time`, `strftime`, `unixepoch`), with
//! `'now'` and their modifiers (`'+7 days'`, `'start of month'`, `'localtime'`...), written
//! for PostgreSQL and MySQL/MariaDB: in defaults, views and trigger bodies alike.
//!
//! SQLite's `'now'` is UTC, so it becomes UTC on the target (`now() AT TIME ZONE 'utc'`,
//! `UTC_TIMESTAMP()`), and `'localtime'` right after it the server's local time. What cannot be
//! said the same way (an unknown modifier, a format with no equivalent) gives `None`: the caller
//! keeps the call and reports it.

use crate::ddl::Dialect;

/// A moment being built, as target SQL.
struct Moment {
    sql: String,
    /// Still SQLite's `'now'` with no modifier applied (so `'localtime'` may follow).
    bare_now: bool,
}

/// `'text'` → `text`.
fn unquote(s: &str) -> Option<String> {
    let s = s.trim();
    s.strip_prefix('\'')?
        .strip_suffix('\'')
        .map(|x| x.replace("''", "'"))
}

/// The time value argument (`'now'`, a literal, or an expression) as a moment.
fn start(value: &str, target: Dialect) -> Moment {
    let pg = target == Dialect::Postgres;
    match unquote(value).map(|v| v.to_ascii_lowercase()).as_deref() {
        Some("now") => Moment {
            sql: if pg {
                "(now() AT TIME ZONE 'utc')".into()
            } else {
                "UTC_TIMESTAMP()".into()
            },
            bare_now: true,
        },
        _ => Moment {
            sql: if pg {
                format!("({value})::timestamp")
            } else {
                format!("CAST({value} AS DATETIME)")
            },
            bare_now: false,
        },
    }
}

/// Applies one modifier; `None` for one with no equivalent here.
fn modify(m: Moment, modifier: &str, target: Dialect) -> Option<Moment> {
    let pg = target == Dialect::Postgres;
    let text = unquote(modifier)?.trim().to_ascii_lowercase();
    let sql = match text.as_str() {
        "localtime" if m.bare_now => {
            if pg {
                "LOCALTIMESTAMP".into()
            } else {
                "NOW()".into()
            }
        }
        "start of day" if pg => format!("date_trunc('day', {})", m.sql),
        "start of month" if pg => format!("date_trunc('month', {})", m.sql),
        "start of year" if pg => format!("date_trunc('year', {})", m.sql),
        "start of day" => format!("CAST(DATE({}) AS DATETIME)", m.sql),
        "start of month" => format!("CAST(DATE_FORMAT({}, '%Y-%m-01') AS DATETIME)", m.sql),
        "start of year" => format!("CAST(DATE_FORMAT({}, '%Y-01-01') AS DATETIME)", m.sql),
        _ => {
            // `+7 days`, `-1 hour`, `+30 seconds`.
            let (number, unit) = text.split_once(char::is_whitespace)?;
            let n: f64 = number.parse().ok()?;
            let unit = unit.trim().trim_end_matches('s');
            if !["second", "minute", "hour", "day", "month", "year"].contains(&unit) {
                return None;
            }
            let whole = n.fract() == 0.0;
            if !whole && unit != "second" {
                return None;
            }
            let n = number.trim_start_matches('+');
            if pg {
                format!("({} + interval '{n} {unit}')", m.sql)
            } else {
                format!(
                    "TIMESTAMPADD({}, {n}, {})",
                    unit.to_ascii_uppercase(),
                    m.sql
                )
            }
        }
    };
    Some(Moment {
        sql,
        bare_now: false,
    })
}

/// A `strftime` format as PostgreSQL's `to_char` or MySQL's `DATE_FORMAT` pattern.
fn format_pattern(format: &str, target: Dialect) -> Option<String> {
    let pg = target == Dialect::Postgres;
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            if pg && c.is_ascii_alphabetic() {
                // Letters are patterns in to_char: quoted to stay text.
                out.push('"');
                out.push(c);
                out.push('"');
            } else if c == '\'' {
                out.push_str("''");
            } else {
                out.push(c);
            }
            continue;
        }
        let p = match (chars.next()?, pg) {
            ('Y', true) => "YYYY",
            ('m', true) => "MM",
            ('d', true) => "DD",
            ('H', true) => "HH24",
            ('M', true) => "MI",
            ('S', true) => "SS",
            ('j', true) => "DDD",
            ('Y', false) => "%Y",
            ('m', false) => "%m",
            ('d', false) => "%d",
            ('H', false) => "%H",
            ('M', false) => "%i",
            ('S', false) => "%s",
            ('j', false) => "%j",
            ('%', _) => "%",
            _ => return None,
        };
        out.push_str(p);
    }
    Some(out)
}

/// SQLite's `name(args)` for `target`, or `None` when it is not a date/time call this knows.
pub fn convert(name: &str, args: &[String], target: Dialect) -> Option<String> {
    if !matches!(target, Dialect::Postgres | Dialect::MySql) {
        return None;
    }
    let pg = target == Dialect::Postgres;
    let name = name.to_ascii_lowercase();
    let (format, rest) = match name.as_str() {
        "strftime" => (Some(unquote(args.first()?)?), &args[1..]),
        "datetime" | "date" | "time" | "unixepoch" => (None, args),
        _ => return None,
    };
    let value = rest.first().map(String::as_str).unwrap_or("'now'");
    let mut m = start(value, target);
    for modifier in rest.iter().skip(1) {
        m = modify(m, modifier, target)?;
    }
    let epoch = |sql: &str| {
        if pg {
            format!("CAST(extract(epoch FROM {sql}) AS bigint)")
        } else {
            format!("TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {sql})")
        }
    };
    Some(match (name.as_str(), format.as_deref()) {
        ("datetime", _) | ("strftime", Some("%Y-%m-%d %H:%M:%S")) if pg => {
            format!("CAST({} AS timestamp(0))", m.sql)
        }
        ("datetime", _) | ("strftime", Some("%Y-%m-%d %H:%M:%S")) => {
            format!("CAST({} AS DATETIME)", m.sql)
        }
        ("date", _) | ("strftime", Some("%Y-%m-%d")) if pg => format!("CAST({} AS date)", m.sql),
        ("date", _) | ("strftime", Some("%Y-%m-%d")) => format!("CAST({} AS DATE)", m.sql),
        ("time", _) | ("strftime", Some("%H:%M:%S")) if pg => {
            format!("CAST({} AS time(0))", m.sql)
        }
        ("time", _) | ("strftime", Some("%H:%M:%S")) => format!("CAST({} AS TIME)", m.sql),
        ("unixepoch", _) | ("strftime", Some("%s")) => epoch(&m.sql),
        ("strftime", Some(f)) => {
            let p = format_pattern(f, target)?;
            if pg {
                format!("to_char({}, '{p}')", m.sql)
            } else {
                format!("DATE_FORMAT({}, '{p}')", m.sql)
            }
        }
        _ => return None,
    })
}

/// A whole expression that is one such call (a column default), for `target`.
pub fn convert_text(sql: &str, target: Dialect) -> Option<String> {
    use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments};
    let e = sqlparser::parser::Parser::new(&sqlparser::dialect::SQLiteDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_expr()
        .ok()?;
    let Expr::Function(f) = e else {
        return None;
    };
    let mut args = vec![];
    if let FunctionArguments::List(l) = &f.args {
        for a in &l.args {
            let FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) = a else {
                return None;
            };
            args.push(x.to_string());
        }
    }
    convert(&f.name.to_string(), &args, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(sql: &str, t: Dialect) -> Option<String> {
        convert_text(sql, t)
    }

    #[test]
    fn now_with_modifiers_for_postgres_and_mysql() {
        let pg = Dialect::Postgres;
        let my = Dialect::MySql;
        assert_eq!(
            c("datetime('now')", pg).as_deref(),
            Some("CAST((now() AT TIME ZONE 'utc') AS timestamp(0))")
        );
        assert_eq!(
            c("datetime('now', '+7 days')", my).as_deref(),
            Some("CAST(TIMESTAMPADD(DAY, 7, UTC_TIMESTAMP()) AS DATETIME)")
        );
        assert_eq!(
            c("date('now', 'localtime')", pg).as_deref(),
            Some("CAST(LOCALTIMESTAMP AS date)")
        );
        assert_eq!(
            c("strftime('%s', 'now')", my).as_deref(),
            Some("TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP())")
        );
        assert_eq!(
            c("strftime('%Y/%m', d, 'start of month')", pg).as_deref(),
            Some("to_char(date_trunc('month', (d)::timestamp), 'YYYY/MM')")
        );
        // Not said the same way: left to the caller to report.
        assert_eq!(c("datetime('now', 'weekday 0')", pg), None);
        assert_eq!(c("datetime(d, 'localtime')", pg), None);
        assert_eq!(c("strftime('%W', 'now')", my), None);
        assert_eq!(c("upper(x)", my), None);
    }
}
