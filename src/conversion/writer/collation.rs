//! Case sensitivity kept across engines (collations per column, COLLATE NOCASE, unique keys on lower()), and SQLite virtual tables.

use super::*;

/// A SQLite virtual table (FTS5, R*Tree...): the same module on SQLite, an action item elsewhere
/// (full-text search is a tsvector column with a GIN index on PostgreSQL, a FULLTEXT index on
/// MySQL).
pub(super) fn virtual_table(cx: &mut Ctx, mut o: ObjectReport, t: &Table) {
    let definition = t.comment.clone().unwrap_or_default();
    if o.source_sql.is_none() {
        o.source_sql = Some(definition.clone());
    }
    if cx.target == Dialect::Sqlite && cx.src.dialect == Dialect::Sqlite && !definition.is_empty() {
        o.target.push(TargetStatement {
            phase: Phase::PreData,
            sql: definition.trim().trim_end_matches(';').to_string(),
        });
    } else {
        let module = definition
            .to_ascii_lowercase()
            .split_once(" using ")
            .map(|(_, m)| m.split('(').next().unwrap_or_default().trim().to_string())
            .unwrap_or_else(|| "a module".into());
        let a = cx.action(
            &o,
            Code::TB1122,
            Category::Medium,
            format!(
                "SQLite virtual table {} ({module}) has no {} equivalent and is not created; what writes to it or reads it must change too",
                t.name,
                cx.target.label()
            ),
            "Full-text search: a tsvector column with a GIN index (PostgreSQL) or a FULLTEXT index (MySQL) on the table it indexes",
            Some(first_line(&definition)),
        );
        o.action_items.push(a);
    }
    cx.push(o);
}

/// Whether text column `col` compares without regard to case on the source: a `_ci` or
/// NOCASE collation of its own or its table's, else MySQL's and SQL Server's server default.
/// None for columns that hold no text.
pub(super) fn column_ci(cx: &Ctx, t: &Table, col: &Column) -> Option<bool> {
    let n = col.data_type.name.to_ascii_lowercase();
    let text = n.contains("char") || n.contains("text") || n.contains("clob") || n == "enum";
    if !text || col.data_type.array_dims > 0 {
        return None;
    }
    let ci = |c: &str| {
        let c = c.to_ascii_lowercase();
        c.contains("_ci") || c == "nocase"
    };
    Some(match (&col.collation, &t.default_collation) {
        (Some(c), _) => ci(c),
        (None, Some(d)) => ci(d),
        (None, None) => matches!(cx.src.dialect, Dialect::MySql | Dialect::MsSql),
    })
}

/// PostgreSQL: a unique index on `lower()` of the case-insensitive text columns of a key, so
/// the key refuses what the source refused ('a' and 'A'); None when no column ignores case.
pub(super) fn pg_ci_unique(
    cx: &mut Ctx,
    s: &Schema,
    t: &Table,
    columns: &[String],
    name: &str,
) -> Option<String> {
    if cx.target != Dialect::Postgres || cx.src.dialect == Dialect::Postgres {
        return None;
    }
    let ci = |c: &str| {
        t.columns
            .iter()
            .find(|x| x.name.eq_ignore_ascii_case(c))
            .and_then(|x| column_ci(cx, t, x))
            .unwrap_or(false)
    };
    if !columns.iter().any(|c| ci(c)) {
        return None;
    }
    let parts: Vec<String> = columns
        .iter()
        .map(|c| {
            if ci(c) {
                format!("lower({})", cx.names.ident(c))
            } else {
                cx.names.ident(c)
            }
        })
        .collect();
    let target_schema = cx.names.schema(&s.name);
    let ix = cx
        .names
        .unique_relation(&target_schema, &t.name, &format!("{name}_ci"));
    Some(format!(
        "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({})",
        cx.names.quote(&ix),
        cx.names.qualified(&s.name, &t.name),
        parts.join(", ")
    ))
}

/// `schema.table`, for messages.
pub(super) fn case_insensitive_collations(cx: &Ctx, t: &Table) -> Vec<String> {
    let ci: Vec<String> = t
        .default_collation
        .iter()
        .chain(t.columns.iter().filter_map(|c| c.collation.as_ref()))
        .filter(|c| {
            let c = c.to_ascii_lowercase();
            c.contains("_ci") || c == "nocase"
        })
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Scripts without COLLATE get the server default: case-insensitive in MySQL and SQL Server.
    let has_text = t.columns.iter().any(|c| {
        let n = c.data_type.name.as_str();
        n.contains("char") || n.contains("text") || n == "enum" || n == "set"
    });
    if ci.is_empty()
        && t.default_collation.is_none()
        && has_text
        && matches!(cx.src.dialect, Dialect::MySql | Dialect::MsSql)
    {
        vec![if cx.src.dialect == Dialect::MySql {
            "the server default (utf8mb4_general_ci)".to_string()
        } else {
            "the server default (SQL_Latin1_General_CP1_CI_AS)".to_string()
        }]
    } else {
        ci
    }
}

/// The collation of a table on a MySQL target: the source's where it is MySQL, case-insensitive
/// where the source compared case-insensitively (SQL Server), binary otherwise (PostgreSQL,
/// SQLite and Oracle compare text case-sensitively, and unique keys must accept what they did).
pub(super) fn mysql_collation(cx: &Ctx, t: &Table) -> String {
    match cx.src.dialect {
        Dialect::MySql => t
            .default_collation
            .clone()
            .filter(|c| c.starts_with("utf8mb4"))
            .unwrap_or_else(|| "utf8mb4_general_ci".into()),
        Dialect::MsSql => "utf8mb4_general_ci".into(),
        _ => "utf8mb4_bin".into(),
    }
}
