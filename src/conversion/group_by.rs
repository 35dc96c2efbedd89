//! MySQL's loose GROUP BY: selected columns of tables that are not grouped, which PostgreSQL refuses unless they depend on a grouped primary key.

use std::collections::BTreeSet;

use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Query};

/// Selected columns of a MySQL GROUP BY query whose table is not among the grouped columns'
/// tables (so PostgreSQL will refuse them unless grouped).
pub(crate) fn loose_group_by(q: &Query) -> Vec<String> {
    let sqlparser::ast::SetExpr::Select(sel) = q.body.as_ref() else {
        return vec![];
    };
    let sqlparser::ast::GroupByExpr::Expressions(group, _) = &sel.group_by else {
        return vec![];
    };
    if group.is_empty() {
        return vec![];
    }
    let qualifier = |e: &Expr| match e {
        Expr::CompoundIdentifier(v) if v.len() >= 2 => Some(v[v.len() - 2].value.to_lowercase()),
        _ => None,
    };
    let grouped: BTreeSet<String> = group.iter().filter_map(qualifier).collect();
    let grouped_text: BTreeSet<String> =
        group.iter().map(|e| e.to_string().to_lowercase()).collect();
    let mut out = vec![];
    for item in &sel.projection {
        let e = match item {
            sqlparser::ast::SelectItem::UnnamedExpr(e)
            | sqlparser::ast::SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => continue,
        };
        if grouped_text.contains(&e.to_string().to_lowercase()) {
            continue;
        }
        let mut refs = vec![];
        column_refs(e, &mut refs);
        for r in refs {
            if let Some(q) = qualifier(&r)
                && !grouped.contains(&q)
                && !grouped_text.contains(&r.to_string().to_lowercase())
                && !out.contains(&r.to_string())
            {
                out.push(r.to_string());
            }
        }
    }
    out
}

/// Qualified column references in `e`, outside aggregate calls.
pub(crate) fn column_refs(e: &Expr, out: &mut Vec<Expr>) {
    const AGGREGATES: [&str; 9] = [
        "sum",
        "count",
        "avg",
        "min",
        "max",
        "group_concat",
        "string_agg",
        "bit_and",
        "bit_or",
    ];
    match e {
        Expr::CompoundIdentifier(v) if v.len() >= 2 => out.push(e.clone()),
        Expr::Function(f) => {
            if AGGREGATES.contains(&f.name.to_string().to_lowercase().as_str()) {
                return;
            }
            if let FunctionArguments::List(l) = &f.args {
                for a in &l.args {
                    if let FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) = a {
                        column_refs(x, out);
                    }
                }
            }
        }
        Expr::BinaryOp { left, right, .. } => {
            column_refs(left, out);
            column_refs(right, out);
        }
        Expr::Nested(x) | Expr::UnaryOp { expr: x, .. } | Expr::Cast { expr: x, .. } => {
            column_refs(x, out)
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            if let Some(o) = operand {
                column_refs(o, out);
            }
            for c in conditions {
                column_refs(&c.condition, out);
                column_refs(&c.result, out);
            }
            if let Some(x) = else_result {
                column_refs(x, out);
            }
        }
        _ => {}
    }
}
