//! Small facts about expressions the view rewriter asks: the expression inside parentheses,
//! whether an expression is surely text, and a type name for a target's CAST.

use super::*;

/// The expression inside any parentheses.
pub(super) fn innermost(e: &mut Expr) -> &mut Expr {
    match e {
        Expr::Nested(i) => innermost(i),
        other => other,
    }
}

/// Whether `e` is text for sure: a string literal, or a concatenation.
pub(super) fn is_string(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => matches!(
            v.value,
            sqlparser::ast::Value::SingleQuotedString(_)
                | sqlparser::ast::Value::NationalStringLiteral(_)
        ),
        Expr::Nested(i) => is_string(i),
        Expr::BinaryOp {
            op: sqlparser::ast::BinaryOperator::StringConcat,
            ..
        } => true,
        _ => false,
    }
}

/// A T-SQL or MySQL cast target as PostgreSQL spells it.
pub(super) fn cast_type(t: &str) -> String {
    let lower = t.to_ascii_lowercase().replace(['[', ']', '"'], "");
    let base = lower
        .split('(')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let args = lower
        .find('(')
        .map(|p| lower[p..].to_string())
        .unwrap_or_default();
    match base.as_str() {
        "money" => "numeric(19,4)".into(),
        "smallmoney" => "numeric(10,4)".into(),
        "int" | "integer" | "signed" | "signed integer" => "integer".into(),
        "tinyint" => "smallint".into(),
        "unsigned" | "unsigned integer" => "numeric(20)".into(),
        "bit" => "boolean".into(),
        "datetime" | "smalldatetime" | "datetime2" => "timestamp".into(),
        "datetimeoffset" => "timestamptz".into(),
        "float" | "double" => "double precision".into(),
        "nvarchar" | "varchar" | "nchar" | "char" if args.contains("max") || args.is_empty() => {
            "text".into()
        }
        "nvarchar" => format!("varchar{args}"),
        "nchar" => format!("char{args}"),
        "ntext" | "text" => "text".into(),
        "uniqueidentifier" => "uuid".into(),
        "binary" | "varbinary" | "image" => "bytea".into(),
        _ => lower,
    }
}
