//! Keys, checks, foreign keys and indexes of a table for the target (SQLite's inside CREATE TABLE).

use super::*;

/// SQLite takes checks, unique constraints and foreign keys only in CREATE TABLE.
pub(super) fn sqlite_table_constraints(cx: &Ctx, s: &Schema, t: &Table) -> Vec<String> {
    let mut out = vec![];
    let cols = |v: &[String]| {
        v.iter()
            .map(|c| cx.names.ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let named = |n: &Option<String>| {
        n.as_ref()
            .map(|n| format!("CONSTRAINT {} ", cx.names.ident(n)))
            .unwrap_or_default()
    };
    for u in &t.unique_constraints {
        out.push(format!(
            "    {}UNIQUE ({})",
            named(&u.name),
            cols(&u.columns)
        ));
    }
    for c in &t.check_constraints {
        let e = target_expr(cx, t, s, &c.expression);
        let e = if e.trim_start().starts_with('(') {
            e
        } else {
            format!("({e})")
        };
        out.push(format!("    {}CHECK {e}", named(&c.name)));
    }
    for f in &t.foreign_keys {
        let ref_schema = f
            .referenced_schema
            .clone()
            .unwrap_or_else(|| s.name.clone());
        let ref_cols = referenced_columns(cx, f);
        out.push(format!(
            "    {}FOREIGN KEY ({}) REFERENCES {} ({}) ON UPDATE {} ON DELETE {}",
            named(&f.name),
            cols(&f.columns),
            cx.names.qualified(&ref_schema, &f.referenced_table),
            cols(&ref_cols),
            f.on_update.sql(),
            f.on_delete.sql()
        ));
    }
    out
}

/// The referenced columns of a foreign key (the referenced table's primary key when omitted).
pub(super) fn referenced_columns(cx: &Ctx, f: &ForeignKey) -> Vec<String> {
    if !f.referenced_columns.is_empty() {
        return f.referenced_columns.clone();
    }
    cx.src
        .catalog
        .schemas
        .iter()
        .flat_map(|x| x.tables.iter())
        .find(|x| x.name.eq_ignore_ascii_case(&f.referenced_table))
        .and_then(|x| x.primary_key.as_ref().map(|p| p.columns.clone()))
        .unwrap_or_default()
}

pub(super) fn constraints_and_indexes(cx: &mut Ctx, s: &Schema, t: &Table) {
    let on = On {
        qt: cx.names.qualified(&s.name, &t.name),
        target_schema: cx.names.schema(&s.name),
    };
    // SQLite: unique constraints, checks and foreign keys are in the CREATE TABLE.
    if cx.target != Dialect::Sqlite {
        unique_constraints(cx, s, t, &on);
        check_constraints(cx, s, t, &on);
        foreign_keys(cx, s, t, &on);
    }
    indexes(cx, s, t, &on);
}

/// What a table's constraints and indexes are written against.
struct On {
    /// The table, quoted and qualified on the target.
    qt: String,
    /// Its schema's name on the target.
    target_schema: String,
}

/// Columns `v` quoted for the target, comma-separated.
fn cols(cx: &Ctx, v: &[String]) -> String {
    v.iter()
        .map(|c| cx.names.ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Unique constraints, added after the data.
fn unique_constraints(cx: &mut Ctx, s: &Schema, t: &Table, on: &On) {
    let (qt, target_schema, target) = (&on.qt, &on.target_schema, cx.target);
    for (i, u) in t.unique_constraints.iter().enumerate() {
        let wanted = u
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_key", t.name, u.columns.join("_")));
        let name = if target == Dialect::MySql {
            cx.names.name(&wanted)
        } else {
            cx.names.unique_relation(target_schema, &t.name, &wanted)
        };
        let mut o = cx.report(
            ObjectKind::Constraint,
            &s.name,
            u.name
                .as_deref()
                .unwrap_or(&format!("{} unique #{}", t.name, i + 1)),
            Some(&t.name),
        );
        o.source_line = cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line);
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: format!(
                "ALTER TABLE {qt} ADD CONSTRAINT {} UNIQUE ({})",
                cx.names.quote(&name),
                cols(cx, &u.columns)
            ),
        });
        if let Some(sql) = pg_ci_unique(cx, s, t, &u.columns, &name) {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql,
            });
        }
        cx.push(o);
    }
}

/// `CONSTRAINT name ` for a check or foreign key of `t`, the name made unique where the target
/// wants it: MySQL 8 names checks and foreign keys per schema, PostgreSQL per table (a name
/// used twice on one table gets the table's name in front).
fn constraint_clause(cx: &mut Ctx, on: &On, t: &Table, name: &str) -> String {
    let ns = if cx.target == Dialect::MySql {
        format!("{}\u{0}constraints", on.target_schema)
    } else {
        format!("{}\u{0}{}\u{0}constraints", on.target_schema, t.name)
    };
    let name = cx.names.unique_relation(&ns, &t.name, name);
    format!("CONSTRAINT {} ", cx.names.quote(&name))
}

/// Check constraints, added after the data.
fn check_constraints(cx: &mut Ctx, s: &Schema, t: &Table, on: &On) {
    let qt = &on.qt;
    for (i, c) in t.check_constraints.iter().enumerate() {
        let label = c
            .name
            .clone()
            .unwrap_or_else(|| format!("{} check #{}", t.name, i + 1));
        let mut o = cx.report(ObjectKind::Constraint, &s.name, &label, Some(&t.name));
        o.source_line = cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line);
        let e = target_expr(cx, t, s, &c.expression);
        let e = if e.trim_start().starts_with('(') {
            e
        } else {
            format!("({e})")
        };
        // Unnamed constraints get PostgreSQL's style of name, so a re-run finds them.
        let name = c
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_check{}", t.name, i + 1));
        let name = constraint_clause(cx, on, t, &name);
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: format!("ALTER TABLE {qt} ADD {name}CHECK {e}"),
        });
        cx.push(o);
    }
}

/// Foreign keys, added after the data, with their actions.
fn foreign_keys(cx: &mut Ctx, s: &Schema, t: &Table, on: &On) {
    let (qt, target) = (&on.qt, cx.target);
    for (i, f) in t.foreign_keys.iter().enumerate() {
        let label = f
            .name
            .clone()
            .unwrap_or_else(|| format!("{} foreign key #{}", t.name, i + 1));
        let mut o = cx.report(ObjectKind::Constraint, &s.name, &label, Some(&t.name));
        o.source_line = o
            .source_line
            .or_else(|| cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line));
        let ref_schema = f
            .referenced_schema
            .clone()
            .unwrap_or_else(|| s.name.clone());
        let ref_cols = referenced_columns(cx, f);
        let name = f
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_fkey", t.name, f.columns.join("_")));
        let name = constraint_clause(cx, on, t, &name);
        let mut actions = [f.on_update, f.on_delete];
        let not_null = f.columns.iter().any(|c| {
            t.columns
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(c) && !x.nullable)
        });
        // Actions InnoDB refuses become NO ACTION, each said.
        let refused = [
            (
                ReferentialAction::SetNull,
                not_null,
                Code::TB1418,
                "SET NULL on a NOT NULL column (PostgreSQL accepts it and fails when it fires; MySQL refuses it)",
                "Make the column nullable if rows should outlive their parent",
            ),
            (
                ReferentialAction::SetDefault,
                true,
                Code::TB1414,
                "InnoDB has no SET DEFAULT",
                "Set the default in a trigger if the application relies on it",
            ),
        ];
        for (from, applies, code, why, fix) in refused {
            if target != Dialect::MySql || !applies {
                continue;
            }
            for a in actions.iter_mut().filter(|a| **a == from) {
                *a = ReferentialAction::NoAction;
                let item = cx.action(
                    &o,
                    code,
                    Category::Simple,
                    format!("Foreign key {label}: {why}; NO ACTION used"),
                    fix,
                    None,
                );
                o.action_items.push(item);
            }
        }
        if ref_cols.is_empty() {
            // `REFERENCES t` with no columns names t's primary key: unknown here.
            let a = cx.action(
                &o,
                Code::TB1420,
                Category::Medium,
                format!(
                    "Foreign key {label} references table {} without naming its columns, and the source defines no such table with a primary key: the key is not created",
                    f.referenced_table
                ),
                "Name the referenced columns, or convert the script that defines the table with this one",
                None,
            );
            o.action_items.push(a);
            cx.push(o);
            continue;
        }
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: format!(
                "ALTER TABLE {qt} ADD {name}FOREIGN KEY ({}) REFERENCES {} ({}) ON UPDATE {} ON DELETE {}",
                cols(cx, &f.columns),
                cx.names.qualified(&ref_schema, &f.referenced_table),
                cols(cx, &ref_cols),
                actions[0].sql(),
                actions[1].sql()
            ),
        });
        cx.push(o);
    }
}

/// Indexes that are not a constraint's.
fn indexes(cx: &mut Ctx, s: &Schema, t: &Table, on: &On) {
    let (qt, target_schema, target) = (&on.qt, &on.target_schema, cx.target);
    for ix in &t.indexes {
        let name = if target == Dialect::MySql {
            cx.names.name(&ix.name)
        } else {
            cx.names.unique_relation(target_schema, &t.name, &ix.name)
        };
        let mut o = cx.report(ObjectKind::Index, &s.name, &ix.name, Some(&t.name));
        if o.source_line.is_none() {
            o.source_line = cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line);
        }
        if ix.ignore_dup_key && cx.src.dialect != target {
            let a = cx.action(
                &o,
                Code::TB1124,
                Category::Medium,
                format!(
                    "Index {} has IGNORE_DUP_KEY = ON: SQL Server skips an inserted row whose key is already there (with a warning); {} refuses the insert",
                    ix.name,
                    target.label()
                ),
                "Use INSERT ... ON CONFLICT DO NOTHING (PostgreSQL), INSERT IGNORE (MySQL) or INSERT OR IGNORE (SQLite) where the application relies on it",
                None,
            );
            o.action_items.push(a);
        }
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
                        &o,
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
                        &o,
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
        if target == Dialect::MySql {
            if let Some(sql) = mysql_index(cx, &mut o, ix, qt, &name, parts, has_expression) {
                o.target.push(TargetStatement {
                    phase: Phase::PostData,
                    sql,
                });
            }
            cx.push(o);
            continue;
        }
        let (using, parts) = match method.as_str() {
            "fulltext" if target == Dialect::Sqlite => {
                let a = cx.action(&o, Code::TB1110, Category::Medium, format!("FULLTEXT index {} not created: SQLite's full-text search is a separate FTS5 virtual table", ix.name), "Create an FTS5 table over these columns and query it with MATCH", None);
                o.action_items.push(a);
                cx.push(o);
                continue;
            }
            "spatial" if target == Dialect::Sqlite => {
                let a = cx.action(&o, Code::TB1115, Category::Medium, format!("Spatial index {} not created: SQLite has no spatial index without SpatiaLite", ix.name), "Use SpatiaLite's R*Tree indexes", None);
                o.action_items.push(a);
                cx.push(o);
                continue;
            }
            "gin" | "gist" | "brin" | "spgist" if target == Dialect::Sqlite => {
                let a = cx.action(&o, Code::TB1417, Category::Medium, format!("Index {}: SQLite has no {method} indexes; not created", ix.name), "Use an FTS5 table for text search, or an index on the values the queries compare", None);
                o.action_items.push(a);
                cx.push(o);
                continue;
            }
            _ if target == Dialect::Sqlite => {
                if let Some(why) = sqlite_unindexable(cx, s, ix) {
                    let a = cx.action(&o, Code::TB1415, Category::Medium, format!("Expression index {} not created: {why}", ix.name), "Add a generated column computing the value and index it, or index the columns the queries compare", None);
                    o.action_items.push(a);
                    cx.push(o);
                    continue;
                }
                (String::new(), parts)
            }
            "fulltext" => {
                let cols: Vec<String> = ix
                    .parts
                    .iter()
                    .filter_map(|p| p.column.as_ref())
                    .map(|c| format!("coalesce({}, '')", cx.names.ident(c)))
                    .collect();
                let a = cx.action(&o, Code::TB1110, Category::Simple, format!("FULLTEXT index {} becomes a GIN index on to_tsvector", ix.name), "Queries must use to_tsvector(...) @@ to_tsquery(...) instead of MATCH ... AGAINST", None);
                o.action_items.push(a);
                (
                    " USING gin".to_string(),
                    vec![format!(
                        "to_tsvector('simple', {})",
                        cols.join(" || ' ' || ")
                    )],
                )
            }
            "spatial" if !cx.rules.options.postgis => {
                let a = cx.action(&o, Code::TB1115, Category::Medium, format!("Spatial index {} not created: spatial columns are stored as bytea without PostGIS", ix.name), "Install PostGIS, set postgis: true and convert again", None);
                o.action_items.push(a);
                cx.push(o);
                continue;
            }
            "spatial" => (" USING gist".to_string(), parts),
            "" | "btree" => (String::new(), parts),
            m => (format!(" USING {m}"), parts),
        };
        let predicate = ix
            .predicate
            .as_ref()
            .map(|p| {
                if cx.src.dialect == target {
                    format!(" WHERE {p}")
                } else {
                    format!(" WHERE {}", target_expr(cx, t, s, p))
                }
            })
            .unwrap_or_default();
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: format!(
                "CREATE {}INDEX IF NOT EXISTS {} ON {qt}{using} ({}){predicate}",
                if ix.unique { "UNIQUE " } else { "" },
                cx.names.quote(&name),
                parts.join(", ")
            ),
        });
        let plain: Option<Vec<String>> = ix.parts.iter().map(|p| p.column.clone()).collect();
        if let (true, true, Some(columns)) = (ix.unique, ix.predicate.is_none(), plain)
            && let Some(sql) = pg_ci_unique(cx, s, t, &columns, &name)
        {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql,
            });
        }
        cx.push(o);
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
pub(super) fn mysql_index(
    cx: &Ctx,
    o: &mut ObjectReport,
    ix: &Index,
    qt: &str,
    name: &str,
    parts: Vec<String>,
    has_expression: bool,
) -> Option<String> {
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
        "fulltext" => "FULLTEXT ",
        "spatial" => "SPATIAL ",
        _ if ix.unique => "UNIQUE ",
        _ => "",
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
    Some(format!(
        "CREATE {kind}INDEX {} ON {qt} ({})",
        cx.names.quote(name),
        parts.join(", ")
    ))
}
