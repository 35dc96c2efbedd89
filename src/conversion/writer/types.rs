//! Column types, user types (enums, domains) and sequences for the target, and the expressions of defaults and checks.

use super::*;

pub(super) fn user_type(cx: &mut Ctx, s: &Schema, ty: &UserType) {
    let kind = if matches!(ty.kind, UserTypeKind::Domain { .. }) {
        ObjectKind::Domain
    } else {
        ObjectKind::Type
    };
    let mut o = cx.report(kind, &s.name, &ty.name, None);
    let name = cx.names.qualified(&s.name, &ty.name);
    if cx.target != Dialect::Postgres {
        // No user-defined types: the columns that use them carry the definition.
        let (code, category, message) = match &ty.kind {
            UserTypeKind::Enum { .. } if cx.target == Dialect::MySql => (
                Code::TB1407,
                Category::Automatic,
                "Enum type: each column of this type becomes a MySQL ENUM with the same values"
                    .to_string(),
            ),
            UserTypeKind::Enum { .. } => (
                Code::TB1407,
                Category::Automatic,
                "Enum type: each column of this type becomes text with a CHECK listing the values"
                    .to_string(),
            ),
            UserTypeKind::Domain { .. } => (
                Code::TB1408,
                Category::Automatic,
                "Domain: columns of this type take its base type, with its NOT NULL, its default and its checks (as checks of their tables)".to_string(),
            ),
            UserTypeKind::Composite { .. } => (
                Code::TB1409,
                Category::Medium,
                format!("Composite types do not exist on {}", cx.target.label()),
            ),
        };
        let a = cx.action(
            &o,
            code,
            category,
            message,
            "Add the checks to the tables by hand if they matter",
            None,
        );
        o.action_items.push(a);
        cx.push(o);
        return;
    }
    // A SQL Server alias type named like a table: its columns took its base type already
    // (see the script reader), and PostgreSQL types share the tables' namespace.
    if cx.src.dialect == Dialect::MsSql
        && matches!(ty.kind, UserTypeKind::Domain { .. })
        && s.tables
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(&ty.name))
    {
        let a = cx.action(
            &o,
            Code::TB1408,
            Category::Automatic,
            format!(
                "Alias type {} not created as a domain: a table has its name, and PostgreSQL types share the tables' namespace; its columns take its base type",
                ty.name
            ),
            "None needed",
            None,
        );
        o.action_items.push(a);
        cx.push(o);
        return;
    }
    match &ty.kind {
        UserTypeKind::Enum { values } => {
            let v: Vec<String> = values.iter().map(|v| literal(cx.target, v)).collect();
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql: format!("CREATE TYPE {name} AS ENUM ({})", v.join(", ")),
            });
        }
        UserTypeKind::Domain {
            base,
            nullable,
            default,
            checks,
        } => {
            // A SQL Server alias type's base is in the source's spelling.
            let base = if cx.src.dialect == Dialect::Postgres {
                base.clone()
            } else {
                cx.rules
                    .map_type(&crate::sqltext::parse_declared_type(base))
                    .map(|x| x.0)
                    .unwrap_or_else(|| base.clone())
            };
            let mut sql = format!("CREATE DOMAIN {name} AS {base}");
            if let Some(d) = default {
                sql.push_str(&format!(" DEFAULT {d}"));
            }
            if !nullable {
                sql.push_str(" NOT NULL");
            }
            for c in checks {
                sql.push_str(&format!(" {c}"));
            }
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql,
            });
        }
        UserTypeKind::Composite { attributes } => {
            let a: Vec<String> = attributes
                .iter()
                .map(|(n, t)| format!("{} {t}", cx.names.ident(n)))
                .collect();
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql: format!("CREATE TYPE {name} AS ({})", a.join(", ")),
            });
        }
    }
    cx.push(o);
}

pub(super) fn sequence(cx: &mut Ctx, s: &Schema, q: &Sequence) {
    let mut o = cx.report(ObjectKind::Sequence, &s.name, &q.name, None);
    if cx.target != Dialect::Postgres {
        let user = s.tables.iter().find_map(|t| {
            t.columns
                .iter()
                .find(|c| numbering_sequence(t, c).is_some_and(|n| n.eq_ignore_ascii_case(&q.name)))
                .map(|c| format!("{}.{}", t.name, c.name))
        });
        if let Some(owner) = q.owned_by.as_ref().or(user.as_ref()) {
            let a = cx.action(
                &o,
                Code::TB1410,
                Category::Automatic,
                format!(
                    "Sequence of the serial column {owner}: becomes its {}",
                    if cx.target == Dialect::MySql {
                        "AUTO_INCREMENT"
                    } else {
                        "INTEGER PRIMARY KEY AUTOINCREMENT (when it is the primary key)"
                    }
                ),
                "None needed",
                None,
            );
            o.action_items.push(a);
            cx.push(o);
            return;
        }
        if cx.target == Dialect::Sqlite {
            let a = cx.action(
                &o,
                Code::TB1410,
                Category::Medium,
                "SQLite has no sequences".into(),
                "Use an INTEGER PRIMARY KEY AUTOINCREMENT column, or a one-row table of counters",
                None,
            );
            o.action_items.push(a);
            cx.push(o);
            return;
        }
        let a = cx.action(
            &o,
            Code::TB1411,
            Category::Simple,
            "Sequences exist in MariaDB (10.3 and later) but not in MySQL".into(),
            "On MySQL, use an AUTO_INCREMENT column or a table of counters",
            None,
        );
        o.action_items.push(a);
    }
    let target_schema = cx.names.schema(&s.name);
    cx.names.claim(&target_schema, &cx.names.name(&q.name));
    let name = cx.names.qualified(&s.name, &q.name);
    let mut sql = format!("CREATE SEQUENCE IF NOT EXISTS {name}");
    if let Some(t) = &q.data_type
        && matches!(t.as_str(), "smallint" | "integer" | "bigint")
        && cx.target == Dialect::Postgres
    {
        sql.push_str(&format!(" AS {t}"));
    }
    if let Some(i) = q.increment {
        sql.push_str(&format!(" INCREMENT BY {i}"));
    }
    // MariaDB's range is one short of 64 bits at each end: its defaults cover the rest.
    let mariadb = cx.target == Dialect::MySql;
    if let Some(m) = q.min_value.filter(|m| !mariadb || *m > i64::MIN + 1) {
        sql.push_str(&format!(" MINVALUE {m}"));
    }
    if let Some(m) = q.max_value.filter(|m| !mariadb || *m < i64::MAX - 1) {
        sql.push_str(&format!(" MAXVALUE {m}"));
    }
    if let Some(st) = q.start {
        sql.push_str(&format!(" START WITH {st}"));
    }
    if q.cycle {
        sql.push_str(" CYCLE");
    }
    o.target.push(TargetStatement {
        phase: Phase::PreData,
        sql,
    });
    if let Some(next) = q.next_value.filter(|n| Some(*n) != q.start) {
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: if cx.target == Dialect::MySql {
                format!("SELECT SETVAL({name}, {next}, 0)")
            } else {
                format!(
                    "SELECT setval({}, {next}, false)",
                    literal(cx.target, &name)
                )
            },
        });
    }
    cx.push(o);
}

/// The sequence a PostgreSQL primary-key column takes its values from (`DEFAULT
/// nextval('film_film_id_seq'::regclass)`), when it is the table's first key column.
pub(super) fn numbering_sequence(t: &Table, col: &Column) -> Option<String> {
    let d = col.default.as_deref()?.trim();
    let rest = d
        .strip_prefix("nextval(")
        .or_else(|| d.strip_prefix("NEXTVAL("))?;
    let first_pk = t.primary_key.as_ref()?.columns.first()?;
    if !first_pk.eq_ignore_ascii_case(&col.name) {
        return None;
    }
    let name = rest.trim_start().strip_prefix('\'')?;
    let name = &name[..name.find('\'')?];
    let last = name.rsplit('.').next()?;
    Some(crate::sqltext::unquote_ident(last))
}

/// Whether `ty` (a target type) is an integer type that can number rows.
pub(super) fn is_integer_type(target: Dialect, ty: &str) -> bool {
    let t = ty.to_ascii_lowercase();
    let base = t.split(['(', ' ']).next().unwrap_or_default();
    match target {
        Dialect::MySql => {
            matches!(
                base,
                "tinyint" | "smallint" | "mediumint" | "int" | "bigint"
            ) && !t.starts_with("tinyint(1)")
        }
        Dialect::Sqlite => base.contains("int"),
        _ => matches!(base, "smallint" | "integer" | "bigint"),
    }
}

/// `'a', 'b'` for a list of enum values.
pub(super) fn quoted_values(target: Dialect, values: &[String]) -> String {
    values
        .iter()
        .map(|v| literal(target, v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The PostgreSQL enum values or domain base type of a user type of a PostgreSQL source.
pub(super) fn pg_user_type<'a>(cx: &Ctx<'a>, t: &DataType) -> Option<&'a UserType> {
    let schema = t.type_schema.as_deref()?;
    cx.src
        .catalog
        .schemas
        .iter()
        .filter(|s| s.name == schema)
        .flat_map(|s| s.types.iter())
        .find(|u| u.name == t.name)
}

/// The target type of a column, and any action items the mapping raises.
pub(super) fn column_type(cx: &Ctx, o: &ObjectReport, col: &Column) -> (String, Vec<ActionItem>) {
    let mut items = vec![];
    let t = &col.data_type;
    let pg_user = cx.src.dialect == Dialect::Postgres
        && t.type_schema.as_deref().is_some_and(|s| s != "pg_catalog");
    // User-defined types of a PostgreSQL source keep their (mapped) schema.
    if pg_user && cx.target == Dialect::Postgres {
        let schema = t.type_schema.clone().unwrap_or_default();
        return (
            format!(
                "{}{}",
                cx.names.qualified(&schema, &t.name),
                "[]".repeat(t.array_dims as usize)
            ),
            items,
        );
    }
    if cx.target != Dialect::Postgres && t.array_dims > 0 {
        items.push(cx.action(
            o,
            Code::TB1403,
            Category::Simple,
            format!(
                "Column {}: {} has no arrays; the values are stored as JSON arrays",
                col.name,
                cx.target.label()
            ),
            "Use JSON functions to read the elements, or a child table",
            Some(t.declared.clone()),
        ));
        return (
            if cx.target == Dialect::MySql {
                "json"
            } else {
                "JSON"
            }
            .into(),
            items,
        );
    }
    // Enum values: from a MySQL enum or a PostgreSQL enum type.
    let values: Vec<String> = if t.name == "enum" || pg_user {
        t.values.clone()
    } else {
        vec![]
    };
    if !values.is_empty() {
        if cx.target == Dialect::MySql {
            return (
                format!("enum({})", quoted_values(cx.target, &values)),
                items,
            );
        }
        let max = values
            .iter()
            .map(|v| v.chars().count())
            .max()
            .unwrap_or(1)
            .max(1);
        return (
            if cx.target == Dialect::Sqlite {
                "TEXT".into()
            } else {
                format!("varchar({max})")
            },
            items,
        );
    }
    // A domain of a PostgreSQL source: its base type.
    let domain_base = if pg_user {
        match pg_user_type(cx, t).map(|u| &u.kind) {
            Some(UserTypeKind::Domain { base, .. }) => {
                Some(crate::sqltext::parse_declared_type(base))
            }
            _ => None,
        }
    } else {
        None
    };
    let t = domain_base.as_ref().unwrap_or(t);
    match cx.rules.map_type(t) {
        Some((mut ty, action)) => {
            if let Some(a) = action {
                items.push(cx.action(
                    o,
                    a.code,
                    a.category,
                    format!("{}: {}", col.name, a.message),
                    &a.fix,
                    Some(t.declared.clone()),
                ));
            }
            // MySQL cannot index TEXT/BLOB without a prefix: key columns become varchar (or
            // varbinary).
            let lower = ty.to_ascii_lowercase();
            if cx.target == Dialect::MySql
                && let Some(&len) = cx.key_text.get(&(col as *const Column as usize))
                && matches!(
                    lower.as_str(),
                    "tinyblob" | "blob" | "mediumblob" | "longblob"
                )
            {
                // TINYBLOB holds 255 bytes at most: varbinary(255) keeps every value whole.
                let len = if lower == "tinyblob" { 255 } else { len };
                items.push(cx.action(
                    o,
                    Code::TB1412,
                    Category::Simple,
                    format!(
                        "Column {} is part of a key and MySQL cannot index {ty} whole: varbinary({len}) instead; a longer value is an error at load, never cut",
                        col.name
                    ),
                    "Check the longest value (SELECT max(length(col))) and widen or keep",
                    Some(t.declared.clone()),
                ));
                ty = format!("varbinary({len})");
            }
            // utf8mb4 takes up to 4 bytes a character: a varchar longer than 16,383 cannot
            // be declared (a latin1 varchar(64000) of the source, say). mediumtext holds it.
            if cx.target == Dialect::MySql
                && let Some(n) = lower
                    .strip_prefix("varchar(")
                    .and_then(|r| r.strip_suffix(')'))
                    .and_then(|n| n.parse::<u32>().ok())
                && n > 16_383
                && !cx.key_text.contains_key(&(col as *const Column as usize))
            {
                items.push(cx.action(
                    o,
                    Code::TB1421,
                    Category::Simple,
                    format!(
                        "Column {}: varchar({n}) does not fit MySQL's row in utf8mb4 (16,383 characters at most): mediumtext instead, which holds every value",
                        col.name
                    ),
                    "None needed unless the application relies on the length limit",
                    Some(t.declared.clone()),
                ));
                ty = "mediumtext".into();
            }
            if let Some(&len) = cx.key_text.get(&(col as *const Column as usize))
                && matches!(
                    ty.as_str(),
                    "longtext" | "mediumtext" | "text" | "tinytext" | "json"
                )
            {
                items.push(cx.action(
                    o,
                    Code::TB1412,
                    Category::Simple,
                    format!(
                        "Column {} is part of a key and MySQL cannot index {ty} whole: varchar({len}) instead; a longer value is an error at load, never cut",
                        col.name
                    ),
                    "Check the longest value (SELECT max(length(col))) and widen or keep",
                    Some(t.declared.clone()),
                ));
                ty = format!("varchar({len})");
            }
            (ty, items)
        }
        None => {
            let text = if cx.target == Dialect::MySql {
                "longtext"
            } else if cx.target == Dialect::Sqlite {
                "TEXT"
            } else {
                "text"
            };
            items.push(cx.action(
                o,
                Code::TB1100,
                Category::Medium,
                format!(
                    "Column {}: no mapping for type {}; kept as text",
                    col.name, t.declared
                ),
                "Add a type rule to conversion-rules, or pick the target type by hand",
                Some(t.declared.clone()),
            ));
            (text.into(), items)
        }
    }
}

/// MySQL: the columns that are part of a primary key, unique constraint, index or foreign key
/// (either side), by address, with the varchar length a text column gets there (InnoDB keys
/// hold 3072 bytes: 768 utf8mb4 characters, shared by the key's columns).
pub(super) fn key_text_columns(cx: &Ctx) -> std::collections::HashMap<usize, usize> {
    let mut out: std::collections::HashMap<usize, usize> = Default::default();
    for s in &cx.src.catalog.schemas {
        for t in &s.tables {
            let mut keys: Vec<(Vec<String>, &Table)> = vec![];
            if let Some(pk) = &t.primary_key {
                keys.push((pk.columns.clone(), t));
            }
            for u in &t.unique_constraints {
                keys.push((u.columns.clone(), t));
            }
            for ix in t.indexes.iter().filter(|i| {
                matches!(
                    i.method.as_deref(),
                    None | Some("") | Some("btree") | Some("hash")
                ) && i.parts.iter().all(|p| p.prefix_length.is_none())
            }) {
                keys.push((
                    ix.parts.iter().filter_map(|p| p.column.clone()).collect(),
                    t,
                ));
            }
            for f in &t.foreign_keys {
                keys.push((f.columns.clone(), t));
                let rs = f.referenced_schema.as_deref().unwrap_or(&s.name);
                if let Some(rt) = cx
                    .tables
                    .get(&(rs.to_lowercase(), f.referenced_table.to_lowercase()))
                {
                    let cols = if f.referenced_columns.is_empty() {
                        rt.primary_key
                            .as_ref()
                            .map(|p| p.columns.clone())
                            .unwrap_or_default()
                    } else {
                        f.referenced_columns.clone()
                    };
                    keys.push((cols, rt));
                }
            }
            for (cols, table) in keys {
                let n = cols.len().max(1);
                let len = (768 / n).clamp(64, 768);
                for c in &cols {
                    if let Some(col) = table
                        .columns
                        .iter()
                        .find(|x| x.name.eq_ignore_ascii_case(c))
                    {
                        let e = out.entry(col as *const Column as usize).or_insert(len);
                        *e = (*e).min(len);
                    }
                }
            }
        }
    }
    out
}

/// An expression of the source as the target writes it (checks, generated columns, predicates).
pub(super) fn target_expr(cx: &Ctx, t: &Table, s: &Schema, e: &str) -> String {
    if cx.src.dialect == cx.target && cx.target == Dialect::Postgres {
        return e.to_string();
    }
    let target_schema = cx.names.schema(&s.name);
    crate::conversion::view::convert_expression_with_booleans(
        e,
        cx.src.dialect,
        &cx.names,
        &target_schema,
        &boolean_columns(cx, t),
    )
    .unwrap_or_else(|_| expr::requote_for(e, cx.names.fold, cx.target))
}

/// The target type a column gets, identity columns being integers.
pub(super) fn final_type(cx: &Ctx, col: &Column) -> String {
    let dummy = cx.report(ObjectKind::Table, "", "", None);
    let ty = column_type(cx, &dummy, col).0;
    if col.identity.is_some() && cx.target == Dialect::Sqlite {
        "INTEGER".into()
    } else if col.identity.is_some() && !is_integer_type(cx.target, &ty) {
        "bigint".into()
    } else {
        ty
    }
}

/// For a column in a foreign key, the target type of the referenced column.
pub(super) fn referenced_type(cx: &Ctx, s: &Schema, t: &Table, col: &Column) -> Option<String> {
    for f in &t.foreign_keys {
        let Some(k) = f
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(&col.name))
        else {
            continue;
        };
        let ref_schema = f.referenced_schema.as_deref().unwrap_or(&s.name);
        let rt = *cx
            .tables
            .get(&(ref_schema.to_lowercase(), f.referenced_table.to_lowercase()))?;
        let ref_col_name = f.referenced_columns.get(k).cloned().or_else(|| {
            rt.primary_key
                .as_ref()
                .and_then(|p| p.columns.get(k).cloned())
        })?;
        let rc = rt
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&ref_col_name))?;
        if std::ptr::eq(rc, col) {
            return None;
        }
        return Some(not_serial(&final_type(cx, rc)));
    }
    None
}

/// PostgreSQL's serial pseudo-types are integers plus a sequence: a column that refers to
/// one gets the integer alone.
pub(super) fn not_serial(ty: &str) -> String {
    match ty.to_ascii_lowercase().as_str() {
        "serial" | "serial4" => "integer".into(),
        "bigserial" | "serial8" => "bigint".into(),
        "smallserial" | "serial2" => "smallint".into(),
        _ => ty.to_string(),
    }
}

/// A table as read from a live catalog, written as DDL for the side-by-side view.
pub(super) fn catalog_ddl(t: &Table) -> String {
    let mut lines: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            let mut l = format!("    {} {}", c.name, c.data_type.declared);
            if !c.nullable {
                l.push_str(" NOT NULL");
            }
            if let Some(d) = &c.default {
                l.push_str(&format!(" DEFAULT {d}"));
            }
            for p in c.properties() {
                l.push_str(&format!(" {p}"));
            }
            l
        })
        .collect();
    if let Some(pk) = &t.primary_key {
        lines.push(format!("    PRIMARY KEY ({})", pk.columns.join(", ")));
    }
    format!(
        "-- as read from the catalog\nCREATE TABLE {} (\n{}\n)",
        t.name,
        lines.join(",\n")
    )
}
