//! A table's indexes for the target: each planned as a typed [`IndexDef`] (or refused with the
//! reason as an action item) and printed for the target dialect in one place.

use super::keys::On;
use super::*;

/// What kind of index the target is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexKind {
    Plain,
    Unique,
    /// MySQL's FULLTEXT (on PostgreSQL a full-text index is a GIN index over `to_tsvector`).
    FullText,
    /// MySQL's SPATIAL (on PostgreSQL a GiST index).
    Spatial,
}

/// A CREATE INDEX for the target, every part already spelled for it.
#[derive(Debug, Clone, PartialEq)]
struct IndexDef {
    kind: IndexKind,
    /// The index's name, unquoted.
    name: String,
    /// The table, quoted and qualified on the target.
    table: String,
    /// An access method other than the default B-tree (PostgreSQL's `USING`).
    method: Option<String>,
    /// Key parts: quoted columns or parenthesised expressions, with their order and prefix.
    parts: Vec<String>,
    /// A partial index's condition.
    predicate: Option<String>,
}

impl IndexDef {
    /// The statement on `target`. PostgreSQL and SQLite are given IF NOT EXISTS (a second
    /// apply is a no-op); MySQL has no such clause for indexes.
    fn print(&self, names: &Names, target: Dialect) -> String {
        let name = names.quote(&self.name);
        let parts = self.parts.join(", ");
        if target == Dialect::MySql {
            let kind = match self.kind {
                IndexKind::Plain => "",
                IndexKind::Unique => "UNIQUE ",
                IndexKind::FullText => "FULLTEXT ",
                IndexKind::Spatial => "SPATIAL ",
            };
            return format!("CREATE {kind}INDEX {name} ON {} ({parts})", self.table);
        }
        let unique = if self.kind == IndexKind::Unique {
            "UNIQUE "
        } else {
            ""
        };
        let using = self
            .method
            .as_ref()
            .map(|m| format!(" USING {m}"))
            .unwrap_or_default();
        let predicate = self
            .predicate
            .as_ref()
            .map(|p| format!(" WHERE {p}"))
            .unwrap_or_default();
        format!(
            "CREATE {unique}INDEX IF NOT EXISTS {name} ON {}{using} ({parts}){predicate}",
            self.table
        )
    }
}

/// Indexes that are not a constraint's.
pub(super) fn indexes(cx: &mut Ctx, s: &Schema, t: &Table, on: &On) {
    for ix in &t.indexes {
        let name = if cx.target == Dialect::MySql {
            cx.names.name(&ix.name)
        } else {
            cx.names
                .unique_relation(&on.target_schema, &t.name, &ix.name)
        };
        let mut o = cx.report(ObjectKind::Index, &s.name, &ix.name, Some(&t.name));
        if o.source_line.is_none() {
            o.source_line = cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line);
        }
        ignore_dup_key(cx, &mut o, ix);
        let (parts, has_expression) = key_parts(cx, &mut o, s, t, ix);
        let planned = if cx.target == Dialect::MySql {
            mysql_index(cx, &mut o, ix, parts, has_expression)
        } else {
            pg_sqlite_index(cx, &mut o, s, ix, parts)
        };
        if let Some((kind, method, parts)) = planned {
            let predicate = match (&ix.predicate, cx.target) {
                // MySQL has no partial indexes (said by mysql_index).
                (_, Dialect::MySql) | (None, _) => None,
                (Some(p), target) if cx.src.dialect == target => Some(p.clone()),
                (Some(p), _) => Some(target_expr(cx, t, s, p)),
            };
            let def = IndexDef {
                kind,
                name: name.clone(),
                table: on.qt.clone(),
                method,
                parts,
                predicate,
            };
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql: def.print(&cx.names, cx.target),
            });
            ci_unique(cx, &mut o, s, t, ix, &name);
        }
        cx.push(o);
    }
}

/// SQL Server's IGNORE_DUP_KEY has no counterpart: said as an action item.
fn ignore_dup_key(cx: &Ctx, o: &mut ObjectReport, ix: &Index) {
    if !ix.ignore_dup_key || cx.src.dialect == cx.target {
        return;
    }
    let a = cx.action(
        o,
        Code::TB1124,
        Category::Medium,
        format!(
            "Index {} has IGNORE_DUP_KEY = ON: SQL Server skips an inserted row whose key is already there (with a warning); {} refuses the insert",
            ix.name,
            cx.target.label()
        ),
        "Use INSERT ... ON CONFLICT DO NOTHING (PostgreSQL), INSERT IGNORE (MySQL) or INSERT OR IGNORE (SQLite) where the application relies on it",
        None,
    );
    o.action_items.push(a);
}

/// The index's key parts spelled for the target (prefix lengths and operator classes kept
/// where the target has them, otherwise dropped with an action item), and whether any part is
/// an expression converted from another dialect.
fn key_parts(
    cx: &Ctx,
    o: &mut ObjectReport,
    s: &Schema,
    t: &Table,
    ix: &Index,
) -> (Vec<String>, bool) {
    let target = cx.target;
    let method = ix.method.clone().unwrap_or_default();
    let mut parts = vec![];
    let mut has_expression = false;
    for p in &ix.parts {
        let mut text = match (&p.column, &p.expression) {
            (Some(c), _) => cx.names.ident(c),
            (None, Some(e)) if cx.src.dialect == target => e.clone(),
            (None, Some(e)) => {
                has_expression = true;
                format!("({})", target_expr(cx, t, s, e))
            }
            _ => continue,
        };
        match p.prefix_length {
            Some(n) if target == Dialect::MySql => text.push_str(&format!("({n})")),
            Some(_) if method != "fulltext" => {
                let a = cx.action(
                    o,
                    Code::TB1111,
                    Category::Simple,
                    format!(
                        "Index {}: prefix length on {} dropped; the whole value is indexed",
                        ix.name,
                        p.column.clone().unwrap_or_default()
                    ),
                    "Use an expression index on left(col, n) if values are long",
                    None,
                );
                o.action_items.push(a);
            }
            _ => {}
        }
        // An operator class means something on PostgreSQL only (from PostgreSQL).
        if let Some(op) = &p.operator_class {
            if target == Dialect::Postgres && cx.src.dialect == Dialect::Postgres {
                text.push_str(&format!(" {op}"));
            } else {
                let a = cx.action(
                    o,
                    Code::TB1121,
                    Category::Simple,
                    format!("Index {}: operator class {op} dropped", ix.name),
                    "Check that the index still serves the queries it was made for",
                    None,
                );
                o.action_items.push(a);
            }
        }
        if p.descending {
            text.push_str(" DESC");
        }
        parts.push(text);
    }
    (parts, has_expression)
}

/// What a planned index is: its kind, its access method and its key parts.
type Planned = Option<(IndexKind, Option<String>, Vec<String>)>;

/// An index on a PostgreSQL or SQLite target, or None (with the reason as an action item)
/// where the target cannot hold it.
fn pg_sqlite_index(
    cx: &Ctx,
    o: &mut ObjectReport,
    s: &Schema,
    ix: &Index,
    parts: Vec<String>,
) -> Planned {
    let method = ix.method.clone().unwrap_or_default();
    let kind = if ix.unique {
        IndexKind::Unique
    } else {
        IndexKind::Plain
    };
    let refuse = |o: &mut ObjectReport, code, why: String, how: &str| {
        let a = cx.action(o, code, Category::Medium, why, how, None);
        o.action_items.push(a);
        None
    };
    if cx.target == Dialect::Sqlite {
        return match method.as_str() {
            "fulltext" => refuse(
                o,
                Code::TB1110,
                format!(
                    "FULLTEXT index {} not created: SQLite's full-text search is a separate FTS5 virtual table",
                    ix.name
                ),
                "Create an FTS5 table over these columns and query it with MATCH",
            ),
            "spatial" => refuse(
                o,
                Code::TB1115,
                format!(
                    "Spatial index {} not created: SQLite has no spatial index without SpatiaLite",
                    ix.name
                ),
                "Use SpatiaLite's R*Tree indexes",
            ),
            "gin" | "gist" | "brin" | "spgist" => refuse(
                o,
                Code::TB1417,
                format!(
                    "Index {}: SQLite has no {method} indexes; not created",
                    ix.name
                ),
                "Use an FTS5 table for text search, or an index on the values the queries compare",
            ),
            _ => match sqlite_unindexable(cx, s, ix) {
                Some(why) => refuse(
                    o,
                    Code::TB1415,
                    format!("Expression index {} not created: {why}", ix.name),
                    "Add a generated column computing the value and index it, or index the columns the queries compare",
                ),
                None => Some((kind, None, parts)),
            },
        };
    }
    match method.as_str() {
        "fulltext" => {
            let cols: Vec<String> = ix
                .parts
                .iter()
                .filter_map(|p| p.column.as_ref())
                .map(|c| format!("coalesce({}, '')", cx.names.ident(c)))
                .collect();
            let a = cx.action(
                o,
                Code::TB1110,
                Category::Simple,
                format!(
                    "FULLTEXT index {} becomes a GIN index on to_tsvector",
                    ix.name
                ),
                "Queries must use to_tsvector(...) @@ to_tsquery(...) instead of MATCH ... AGAINST",
                None,
            );
            o.action_items.push(a);
            let vector = format!("to_tsvector('simple', {})", cols.join(" || ' ' || "));
            Some((kind, Some("gin".into()), vec![vector]))
        }
        "spatial" if !cx.rules.options.postgis => refuse(
            o,
            Code::TB1115,
            format!(
                "Spatial index {} not created: spatial columns are stored as bytea without PostGIS",
                ix.name
            ),
            "Install PostGIS, set postgis: true and convert again",
        ),
        "spatial" => Some((kind, Some("gist".into()), parts)),
        "" | "btree" => Some((kind, None, parts)),
        m => Some((kind, Some(m.to_string()), parts)),
    }
}

/// A unique index of plain columns under a case-insensitive source collation also needs its
/// PostgreSQL case-insensitive counterpart (see `pg_ci_unique`).
fn ci_unique(cx: &mut Ctx, o: &mut ObjectReport, s: &Schema, t: &Table, ix: &Index, name: &str) {
    if cx.target == Dialect::MySql {
        return;
    }
    let plain: Option<Vec<String>> = ix.parts.iter().map(|p| p.column.clone()).collect();
    if let (true, true, Some(columns)) = (ix.unique, ix.predicate.is_none(), plain)
        && let Some(sql) = pg_ci_unique(cx, s, t, &columns, name)
    {
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql,
        });
    }
}

/// Why an expression index cannot be made on SQLite (an expression that uses what SQLite does
/// not have, such as `to_tsvector`, `normalize` or a `::regconfig` cast), or None.
fn sqlite_unindexable(cx: &Ctx, s: &Schema, ix: &Index) -> Option<String> {
    let schema = cx.names.schema(&s.name);
    for e in ix.parts.iter().filter_map(|p| p.expression.as_ref()) {
        match crate::conversion::view::convert_expression(e, cx.src.dialect, &cx.names, &schema) {
            Err(err) => return Some(err),
            Ok((sql, warnings)) => {
                if let Some(w) = warnings
                    .into_iter()
                    .find(|w| w.contains("may not exist") || w.contains("no known"))
                {
                    // The index is not made: what the warning says of the call, without
                    // its "kept as written".
                    return Some(w.split("; kept").next().unwrap_or_default().to_string());
                }
                if sql.contains("::") {
                    return Some(format!("{sql} keeps a PostgreSQL cast SQLite cannot read"));
                }
            }
        }
    }
    None
}

/// An index on a MySQL target, or None (with the reason as an action item) where MySQL cannot
/// hold it: expression indexes (MariaDB has none), partial unique indexes.
fn mysql_index(
    cx: &Ctx,
    o: &mut ObjectReport,
    ix: &Index,
    parts: Vec<String>,
    has_expression: bool,
) -> Planned {
    let method = ix.method.clone().unwrap_or_default();
    if has_expression {
        let a = cx.action(
            o,
            Code::TB1415,
            Category::Medium,
            format!("Expression index {} not created: MariaDB cannot index expressions (MySQL 8.0.13 can, as a functional key part)", ix.name),
            "Add a generated column with the expression and index it",
            None,
        );
        o.action_items.push(a);
        return None;
    }
    if let Some(p) = &ix.predicate {
        if ix.unique {
            let a = cx.action(
                o,
                Code::TB1416,
                Category::Medium,
                format!("Partial unique index {} not created: MySQL has no partial indexes, and a full unique index would reject rows the source accepts", ix.name),
                "Enforce the rule with a generated column (NULL outside the condition) under a unique index",
                Some(p.clone()),
            );
            o.action_items.push(a);
            return None;
        }
        let a = cx.action(
            o,
            Code::TB1416,
            Category::Simple,
            format!(
                "Partial index {}: MySQL has no partial indexes; the index covers every row",
                ix.name
            ),
            "None needed; the index is larger",
            Some(p.clone()),
        );
        o.action_items.push(a);
    }
    let kind = match method.as_str() {
        "fulltext" => IndexKind::FullText,
        "spatial" => IndexKind::Spatial,
        _ if ix.unique => IndexKind::Unique,
        _ => IndexKind::Plain,
    };
    if matches!(method.as_str(), "gin" | "gist" | "brin" | "spgist") {
        let a = cx.action(
            o,
            Code::TB1417,
            Category::Medium,
            format!("Index {}: MySQL has no {method} indexes; not created", ix.name),
            "Use a FULLTEXT index (text search) or a SPATIAL index (geometry) where that is what it served",
            None,
        );
        o.action_items.push(a);
        return None;
    }
    if !matches!(method.as_str(), "" | "btree" | "fulltext" | "spatial") {
        let a = cx.action(
            o,
            Code::TB1417,
            Category::Simple,
            format!("Index {}: method {method} becomes a B-tree index", ix.name),
            "Check the queries that relied on it",
            None,
        );
        o.action_items.push(a);
    }
    Some((kind, None, parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn def(kind: IndexKind, method: Option<&str>, predicate: Option<&str>) -> IndexDef {
        IndexDef {
            kind,
            name: "by name".into(),
            table: "t".into(),
            method: method.map(String::from),
            parts: vec!["a".into(), "b DESC".into()],
            predicate: predicate.map(String::from),
        }
    }

    #[test]
    fn an_index_prints_as_each_target_spells_it() {
        let pg = Names::for_target(Dialect::Postgres, true, &BTreeMap::new());
        let my = Names::for_target(Dialect::MySql, true, &BTreeMap::new());
        let lite = Names::for_target(Dialect::Sqlite, true, &BTreeMap::new());
        assert_eq!(
            def(IndexKind::Unique, Some("gin"), Some("a > 0")).print(&pg, Dialect::Postgres),
            "CREATE UNIQUE INDEX IF NOT EXISTS \"by name\" ON t USING gin (a, b DESC) WHERE a > 0"
        );
        assert_eq!(
            def(IndexKind::Plain, None, Some("a > 0")).print(&lite, Dialect::Sqlite),
            "CREATE INDEX IF NOT EXISTS \"by name\" ON t (a, b DESC) WHERE a > 0"
        );
        // MySQL: the kind is a keyword before INDEX; no IF NOT EXISTS, no USING, no WHERE.
        assert_eq!(
            def(IndexKind::FullText, None, None).print(&my, Dialect::MySql),
            "CREATE FULLTEXT INDEX `by name` ON t (a, b DESC)"
        );
        assert_eq!(
            def(IndexKind::Spatial, None, None).print(&my, Dialect::MySql),
            "CREATE SPATIAL INDEX `by name` ON t (a, b DESC)"
        );
    }
}
