//! MySQL and MariaDB evaluate a task's filters over rows given as a UNION ALL of typed
//! literals (with their character sets and collations), in a UTC session.

use super::MySql;
use crate::endpoints::Engine;
use crate::engines::evaluate::{Evaluate, Input, Shape, select_list};
use crate::engines::values::{self, Kind};

impl Evaluate for MySql {
    fn query(&self, shape: &Shape, rows: &[&[Option<String>]]) -> String {
        let q = |n: &str| values::quote(Engine::MySql, n);
        // The rows take the table's name: an expression may qualify its columns with it.
        let alias = q(&shape.alias);
        let mut sql = select_list(shape, &format!("CAST({alias}.tugboat_row AS CHAR)"));
        sql.push_str(" FROM (");
        for (n, row) in rows.iter().enumerate() {
            if n > 0 {
                sql.push_str(" UNION ALL ");
            }
            sql.push_str(&format!("SELECT {n}"));
            if n == 0 {
                sql.push_str(" AS tugboat_row");
            }
            for i in &shape.inputs {
                sql.push_str(", ");
                typed(i, row.get(i.at).cloned().flatten().as_deref(), &mut sql);
                if n == 0 {
                    sql.push_str(" AS ");
                    sql.push_str(&q(&i.name));
                }
            }
        }
        sql.push_str(&format!(") AS {alias}"));
        // The session in UTC, as the full load's reader has it.
        format!("SET time_zone = '+00:00'; {sql}")
    }
}

/// Canonical value `v` of input `i` as a literal of its column's type on the source.
fn typed(i: &Input, v: Option<&str>, out: &mut String) {
    let engine = Engine::MySql;
    let Some(v) = v else {
        out.push_str("NULL");
        return;
    };
    let text = |out: &mut String| values::push_sql_literal(out, engine, Some(v), Kind::Text);
    let cast = |out: &mut String, ty: &str| {
        out.push_str("CAST(");
        text(out);
        out.push_str(" AS ");
        out.push_str(ty);
        out.push(')');
    };
    let plain_integer = {
        let d = v.strip_prefix('-').unwrap_or(v);
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
    };
    match i.kind {
        Kind::Integer | Kind::Bool if plain_integer => out.push_str(v),
        Kind::Integer | Kind::Bool => cast(out, "SIGNED"),
        Kind::Decimal => match i.ty.precision {
            Some(p) => {
                let p = p.clamp(1, 65);
                let s = i.ty.scale.unwrap_or(0).min(38).min(p);
                cast(out, &format!("DECIMAL({p},{s})"))
            }
            // A decimal literal is an exact DECIMAL of its own digits.
            None if is_decimal(v) => out.push_str(v),
            None => cast(out, "DECIMAL(65,30)"),
        },
        Kind::Float => cast(out, "DOUBLE"),
        Kind::Date => cast(out, "DATE"),
        Kind::Time => cast(out, "TIME(6)"),
        Kind::Timestamp | Kind::TimestampTz => cast(out, "DATETIME(6)"),
        Kind::Binary | Kind::Bit(_) => values::push_sql_literal(out, engine, Some(v), i.kind),
        _ => match (&i.charset, &i.collation) {
            (Some(cs), coll) => {
                out.push_str("CONVERT(");
                text(out);
                out.push_str(&format!(" USING {cs})"));
                if let Some(c) = coll {
                    out.push_str(&format!(" COLLATE {c}"));
                }
            }
            (None, _) => text(out),
        },
    }
}

/// `v` is a plain decimal number (`-12.50`).
fn is_decimal(v: &str) -> bool {
    let d = v.strip_prefix('-').unwrap_or(v);
    let (whole, frac) = d.split_once('.').unwrap_or((d, "0"));
    !whole.is_empty()
        && !frac.is_empty()
        && whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
}
