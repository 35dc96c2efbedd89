//! PostgreSQL evaluates a task's filters over rows given as a VALUES list of typed literals.

use super::Postgres;
use crate::endpoints::Engine;
use crate::engines::evaluate::{Evaluate, Input, Shape, select_list};
use crate::engines::values::{self, Kind};

impl Evaluate for Postgres {
    fn query(&self, shape: &Shape, rows: &[&[Option<String>]]) -> String {
        let q = |n: &str| values::quote(Engine::Postgres, n);
        // The rows take the table's name: an expression may qualify its columns with it.
        let alias = q(&shape.alias);
        let mut sql = select_list(shape, &format!("{alias}.tugboat_row::text"));
        sql.push_str(" FROM (VALUES ");
        for (n, row) in rows.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("({n}"));
            for i in &shape.inputs {
                sql.push_str(", ");
                typed(i, row.get(i.at).cloned().flatten().as_deref(), &mut sql);
            }
            sql.push(')');
        }
        let names: Vec<String> = std::iter::once("tugboat_row".to_string())
            .chain(shape.inputs.iter().map(|i| q(&i.name)))
            .collect();
        sql.push_str(&format!(") AS {alias}({})", names.join(", ")));
        sql
    }
}

/// Canonical value `v` of input `i` as a literal of its column's type on the source.
fn typed(i: &Input, v: Option<&str>, out: &mut String) {
    let engine = Engine::Postgres;
    let ty = match &i.ty.type_schema {
        Some(s) if s != "pg_catalog" => {
            format!(
                "{}.{}",
                values::quote(engine, s),
                values::quote(engine, &i.ty.name)
            )
        }
        _ if !i.ty.declared.is_empty() => i.ty.declared.clone(),
        _ => i.ty.name.clone(),
    };
    out.push_str("CAST(");
    match v {
        Some(v) if i.kind == Kind::TimestampTz && !v.ends_with("infinity") => {
            values::push_sql_literal(out, engine, Some(&format!("{v}+00")), Kind::Text)
        }
        Some(v) if i.kind == Kind::Binary => {
            values::push_sql_literal(out, engine, Some(v), Kind::Binary)
        }
        v => values::push_sql_literal(out, engine, v, Kind::Text),
    }
    out.push_str(" AS ");
    out.push_str(&ty);
    out.push(')');
    if let Some(c) = &i.collation {
        out.push_str(" COLLATE ");
        out.push_str(&values::quote(engine, c));
    }
}
