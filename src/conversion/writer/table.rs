//! One table's CREATE TABLE for the target: columns, types, defaults, identity, generated columns, comments.

use super::*;

pub(super) fn table(cx: &mut Ctx, s: &Schema, t: &Table) {
    let mut o = cx.report(ObjectKind::Table, &s.name, &t.name, None);
    if t.storage.as_deref() == Some("virtual table") {
        virtual_table(cx, o, t);
        return;
    }
    if o.source_sql.is_none() {
        o.source_sql = Some(catalog_ddl(t));
    }
    let target = cx.target;
    // Case-insensitive collations compare 'a' = 'A' in MySQL/SQL Server; PostgreSQL's and
    // SQLite's defaults do not. (MySQL targets get a collation that matches the source.)
    let ci = case_insensitive_collations(cx, t);
    if !ci.is_empty() && cx.src.dialect != target && target != Dialect::MySql {
        let (default, fix) = if target == Dialect::Sqlite {
            (
                "COLLATE NOCASE on its columns, which ignores the case of ASCII letters only (accents and other letters compare as written)",
                "Check comparisons on non-ASCII text",
            )
        } else {
            (
                "PostgreSQL's case-sensitive default (its unique keys get a unique index on lower(), so they refuse what the source refused, but = and LIKE compare case)",
                "Use citext, lower() in comparisons, or a nondeterministic ICU collation where case must not matter",
            )
        };
        let a = cx.action(
            &o,
            Code::TB1117,
            Category::Simple,
            if target == Dialect::Sqlite {
                format!(
                    "Case-insensitive collation {} becomes {default}",
                    ci.join(", ")
                )
            } else {
                format!(
                    "Case-insensitive collation {} becomes {default}: 'a' = 'A' no longer holds",
                    ci.join(", ")
                )
            },
            fix,
            None,
        );
        o.action_items.push(a);
    }
    if let Some(parents) = t
        .storage
        .as_deref()
        .and_then(|x| x.strip_prefix("inherits "))
        && target != Dialect::Postgres
    {
        let a = cx.action(
            &o,
            Code::TB1123,
            Category::Simple,
            format!(
                "The table inherits from {parents}: {} has no table inheritance, so it is created with all its columns, but its rows are no longer part of {parents} (a query on {parents} does not see them)",
                target.label()
            ),
            "Query the parent and its child tables together where the application reads the parent, or merge them",
            None,
        );
        o.action_items.push(a);
    }
    for part in &t.unread {
        let a = cx.action(
            &o,
            Code::TB1125,
            Category::Medium,
            format!("{part}; the table is created without it"),
            "Write the constraint for the target by hand (on PostgreSQL an EXCLUDE constraint can stay as it is; elsewhere a trigger or an application check)",
            Some(part.clone()),
        );
        o.action_items.push(a);
    }
    let qt = cx.names.qualified(&s.name, &t.name);
    let target_schema = cx.names.schema(&s.name);
    if cx.names.too_long(&t.name) {
        let a = cx.action(
            &o,
            Code::TB1108,
            Category::Simple,
            format!(
                "Table name {} is longer than {} allows; shortened to {}",
                t.name,
                target.label(),
                cx.names.name(&t.name)
            ),
            "Keep the shortened name or choose one",
            None,
        );
        o.action_items.push(a);
    }
    let mut lines = vec![];
    // Enum types created before the table (option enum_as: NativeEnum).
    let mut types = vec![];
    let mut post = vec![];
    let pk_cols: Vec<String> = t
        .primary_key
        .as_ref()
        .map(|p| p.columns.clone())
        .unwrap_or_default();
    // SQLite numbers rows only through an INTEGER PRIMARY KEY column, written on the column.
    let mut pk_inline = false;
    // MySQL takes one AUTO_INCREMENT column per table: the first key column if it numbers
    // rows, else the first numbering column.
    let numbers = |c: &Column| {
        c.identity.is_some()
            || (cx.src.dialect == Dialect::Postgres
                && (c.data_type.name.ends_with("serial") || numbering_sequence(t, c).is_some()))
    };
    let mysql_auto: Option<String> = t
        .columns
        .iter()
        .filter(|c| numbers(c))
        .find(|c| {
            pk_cols
                .first()
                .is_some_and(|p| p.eq_ignore_ascii_case(&c.name))
        })
        .or_else(|| t.columns.iter().find(|c| numbers(c)))
        .map(|c| c.name.clone());
    for col in &t.columns {
        let (mut ty, items) = column_type(cx, &o, col);
        let native_enum = target == Dialect::Postgres
            && cx.src.dialect != Dialect::Postgres
            && col.data_type.name == "enum"
            && !col.data_type.values.is_empty()
            && cx.rules.options.enum_as == crate::conversion::rules::EnumStyle::NativeEnum;
        if native_enum {
            let type_name = cx
                .names
                .qualified(&s.name, &format!("{}_{}", t.name, col.name));
            types.push(format!(
                "CREATE TYPE {type_name} AS ENUM ({})",
                quoted_values(target, &col.data_type.values)
            ));
            ty = type_name;
        }
        o.action_items.extend(items);
        // A foreign-key column takes the type of the column it references, so the key can be created.
        if let Some(ref_ty) = referenced_type(cx, s, t, col).filter(|r| *r != ty) {
            let a = cx.action(
                &o,
                Code::TB1116,
                Category::Simple,
                format!(
                    "Column {} takes the type {ref_ty} of the column it references (was {ty})",
                    col.name
                ),
                "None needed",
                None,
            );
            o.action_items.push(a);
            ty = ref_ty;
        }
        let cname = cx.names.ident(&col.name);
        let mut line = format!("    {cname} ");
        // A PostgreSQL script's serial types, and primary keys numbered by nextval(), number
        // rows like identity columns.
        let serial = (target != Dialect::Postgres
            && col.identity.is_none()
            && (col.data_type.name.ends_with("serial") || numbering_sequence(t, col).is_some()))
        .then(|| Identity::Serial {
            sequence: String::new(),
        });
        let mut identity = match col.identity.as_ref().or(serial.as_ref()) {
            Some(Identity::AutoIncrement { .. })
            | Some(Identity::Rowid { .. })
            | Some(Identity::Serial { .. })
                if target != Dialect::Postgres =>
            {
                Some(String::new())
            }
            Some(Identity::AutoIncrement {
                next_value: Some(n),
            }) if *n > 1 => Some(format!("GENERATED BY DEFAULT AS IDENTITY (START WITH {n})")),
            Some(Identity::AutoIncrement { .. }) | Some(Identity::Rowid { .. }) => {
                Some("GENERATED BY DEFAULT AS IDENTITY".to_string())
            }
            Some(Identity::Identity {
                always,
                start,
                increment,
            }) => {
                let mut opts = vec![];
                if let Some(s) = start.filter(|s| *s != 1) {
                    opts.push(format!("START WITH {s}"));
                }
                if let Some(i) = increment.filter(|i| *i != 1) {
                    opts.push(format!("INCREMENT BY {i}"));
                }
                if target != Dialect::Postgres && !opts.is_empty() {
                    let a = cx.action(
                        &o,
                        Code::TB1413,
                        Category::Simple,
                        format!(
                            "Identity column {}: {} is not kept ({} numbers from 1 by 1; after the load it continues after the highest value)",
                            col.name,
                            opts.join(" "),
                            target.label()
                        ),
                        "None needed unless the numbering scheme matters",
                        None,
                    );
                    o.action_items.push(a);
                }
                let always = *always && cx.src.dialect == Dialect::Postgres;
                Some(if target != Dialect::Postgres {
                    String::new()
                } else {
                    format!(
                        "GENERATED {} AS IDENTITY{}",
                        if always { "ALWAYS" } else { "BY DEFAULT" },
                        if opts.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", opts.join(" "))
                        }
                    )
                })
            }
            _ => None,
        };
        if identity.is_some() && !is_integer_type(target, &ty) {
            let big = if target == Dialect::Sqlite {
                "INTEGER"
            } else {
                "bigint"
            };
            let a = cx.action(
                &o,
                Code::TB1112,
                Category::Simple,
                format!(
                    "Identity column {} mapped to {ty}, which cannot be an identity; {big} used",
                    col.name
                ),
                "Check the value range",
                None,
            );
            o.action_items.push(a);
            ty = big.into();
        }
        if identity.is_some() && target == Dialect::Sqlite {
            let only_pk = pk_cols.len() == 1 && pk_cols[0].eq_ignore_ascii_case(&col.name);
            if only_pk {
                // The column's own mapping (TEXT for BIGINT UNSIGNED...) gives way to the rowid.
                let prefix = format!("{}: ", col.name);
                if !is_integer_type(target, &ty) {
                    o.action_items.retain(|a| !a.message.starts_with(&prefix));
                    let a = cx.action(
                        &o,
                        Code::TB1502,
                        Category::Simple,
                        format!(
                            "Column {} numbers the rows: it becomes INTEGER PRIMARY KEY AUTOINCREMENT, which holds values up to 9223372036854775807 (was {})",
                            col.name, col.data_type.declared
                        ),
                        "None needed unless ids beyond 2^63 exist",
                        None,
                    );
                    o.action_items.push(a);
                }
                ty = "INTEGER".into();
                let autoinc = !matches!(
                    col.identity,
                    Some(Identity::Rowid {
                        autoincrement: false
                    })
                );
                identity = Some(format!(
                    "PRIMARY KEY{}",
                    if autoinc { " AUTOINCREMENT" } else { "" }
                ));
                pk_inline = true;
            } else {
                let a = cx.action(
                    &o,
                    Code::TB1503,
                    Category::Medium,
                    format!(
                        "Identity column {}: SQLite numbers rows only for a single-column INTEGER PRIMARY KEY; values must be given on insert",
                        col.name
                    ),
                    "Make the column the primary key, or fill it from the application",
                    None,
                );
                o.action_items.push(a);
                identity = None;
            }
        }
        if target == Dialect::MySql
            && identity.is_some()
            && mysql_auto.as_deref() != Some(col.name.as_str())
        {
            let a = cx.action(
                &o,
                Code::TB1419,
                Category::Simple,
                format!(
                    "Identity column {}: MySQL allows one AUTO_INCREMENT column per table ({} is); values must be given on insert",
                    col.name,
                    mysql_auto.clone().unwrap_or_default()
                ),
                "Fill the column from the application or a trigger",
                None,
            );
            o.action_items.push(a);
            identity = None;
        }
        if target == Dialect::MySql && identity.is_some() {
            identity = Some("AUTO_INCREMENT".into());
            if pk_cols
                .first()
                .is_none_or(|p| !p.eq_ignore_ascii_case(&col.name))
            {
                // InnoDB wants the AUTO_INCREMENT column first in some key.
                lines.push(format!("    KEY ({cname})"));
            }
        }
        line.push_str(&ty);
        // Case sensitivity as on the source, column by column.
        match (target, column_ci(cx, t, col)) {
            (Dialect::Sqlite, Some(true)) if cx.src.dialect != Dialect::Sqlite => {
                line.push_str(" COLLATE NOCASE")
            }
            (Dialect::Sqlite, Some(true)) if col.collation.is_some() => {
                line.push_str(" COLLATE NOCASE")
            }
            (Dialect::MySql, Some(ci)) if ci != mysql_collation(cx, t).contains("_ci") => line
                .push_str(if ci {
                    " COLLATE utf8mb4_general_ci"
                } else {
                    " COLLATE utf8mb4_bin"
                }),
            _ => {}
        }
        if let Some(g) = &col.generated {
            let e = target_expr(cx, t, s, &g.expression);
            let stored = g.stored || target == Dialect::Postgres;
            line.push_str(&format!(
                " GENERATED ALWAYS AS ({e}) {}",
                if stored { "STORED" } else { "VIRTUAL" }
            ));
            let fragment = Some(g.expression.clone());
            if !g.stored && target == Dialect::Postgres {
                let a = cx.action(
                    &o,
                    Code::TB1113,
                    Category::Simple,
                    format!("Virtual generated column {} becomes a stored one", col.name),
                    "None needed; it now takes disk space",
                    fragment.clone(),
                );
                o.action_items.push(a);
            }
            if cx.src.dialect != target {
                let a = cx.action(
                    &o,
                    Code::TB1114,
                    Category::Simple,
                    format!(
                        "Generated column {}: check that its expression means the same on {}",
                        col.name,
                        target.label()
                    ),
                    "Test the expression on the target",
                    fragment,
                );
                o.action_items.push(a);
            }
        }
        let in_pk = pk_cols.iter().any(|p| p.eq_ignore_ascii_case(&col.name));
        if target == Dialect::Sqlite
            && let Some(id) = identity.as_ref().filter(|i| i.starts_with("PRIMARY"))
        {
            line.push_str(&format!(" {id}"));
        } else {
            if let Some(id) = identity.as_ref().filter(|i| !i.is_empty())
                && target == Dialect::Postgres
            {
                line.push_str(&format!(" {id}"));
            }
            if !col.nullable || in_pk {
                line.push_str(" NOT NULL");
            }
        }
        if target == Dialect::MySql && identity.is_some() {
            line.push_str(" AUTO_INCREMENT");
        }
        if col.generated.is_none()
            && identity.is_none()
            && let Some(d) = &col.default
        {
            match expr::convert_default(d, &ty, cx.src.dialect, cx.rules) {
                Def::Value(v) => {
                    let mut v = if cx.src.dialect == target {
                        v
                    } else {
                        expr::requote_for(&v, cx.names.fold, target)
                    };
                    if target == Dialect::MySql {
                        v = mysql_default(&v, &ty);
                    } else if target == Dialect::Sqlite && v.contains('(') && !v.starts_with('(') {
                        v = format!("({v})");
                    }
                    line.push_str(&format!(" DEFAULT {v}"));
                }
                Def::None => {}
                Def::Dropped(why) => {
                    let code = if why.contains("zero date") {
                        Code::TB1105
                    } else {
                        Code::TB1107
                    };
                    let a = cx.action(
                        &o,
                        code,
                        if code == Code::TB1105 {
                            Category::Simple
                        } else {
                            Category::Medium
                        },
                        format!("Column {}: {why}; the default is not created", col.name),
                        "Set a default by hand if one is needed",
                        Some(d.clone()),
                    );
                    o.action_items.push(a);
                }
            }
        }
        let values = if col.data_type.name == "enum"
            || (cx.src.dialect == Dialect::Postgres && col.data_type.type_schema.is_some())
        {
            col.data_type.values.clone()
        } else {
            vec![]
        };
        if !values.is_empty() && !native_enum && target != Dialect::MySql && !ty.contains('.') {
            line.push_str(&format!(
                " CHECK ({cname} IN ({}))",
                quoted_values(target, &values)
            ));
        }
        if let Some(u) = &col.on_update {
            let value = match expr::convert_default(u, &ty, cx.src.dialect, cx.rules) {
                Def::Value(v) => v,
                _ => "CURRENT_TIMESTAMP".into(),
            };
            let trig_name = format!("{}_{}_on_update", t.name, col.name);
            match target {
                Dialect::MySql => {
                    line.push_str(&format!(" ON UPDATE {}", mysql_default(&value, &ty)))
                }
                Dialect::Sqlite => {
                    post.push(format!(
                        "CREATE TRIGGER IF NOT EXISTS {} AFTER UPDATE ON {qt} FOR EACH ROW WHEN NEW.{cname} IS OLD.{cname}\nBEGIN\n    UPDATE {qt} SET {cname} = {value} WHERE rowid = NEW.rowid;\nEND",
                        cx.names.ident(&trig_name)
                    ));
                }
                _ => {
                    let func = cx.names.qualified(&s.name, &trig_name);
                    let trig = cx.names.ident(&trig_name);
                    post.push(format!(
                        "CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF NEW.{cname} IS NOT DISTINCT FROM OLD.{cname} THEN\n        NEW.{cname} := {value};\n    END IF;\n    RETURN NEW;\nEND\n$$"
                    ));
                    post.push(format!(
                        "CREATE TRIGGER {trig} BEFORE UPDATE ON {qt} FOR EACH ROW EXECUTE FUNCTION {func}()"
                    ));
                }
            }
            if target != Dialect::MySql {
                let a = cx.action(
                    &o,
                    Code::TB1106,
                    Category::Simple,
                    format!(
                        "ON UPDATE {u} of column {} is emulated by a trigger",
                        col.name
                    ),
                    "None needed; review the generated trigger",
                    None,
                );
                o.action_items.push(a);
            }
        }
        // MySQL's UNSIGNED refuses negative numbers; the wider signed type elsewhere would take
        // them: a check keeps the rule.
        if col.data_type.unsigned
            && target != Dialect::MySql
            && col.generated.is_none()
            && identity.is_none()
            && !ty.to_ascii_lowercase().starts_with("bool")
        {
            line.push_str(&format!(" CHECK ({cname} >= 0)"));
        }
        if let Some(c) = &col.comment {
            match target {
                Dialect::MySql => line.push_str(&format!(" COMMENT {}", literal(target, c))),
                Dialect::Sqlite => line.push_str(&format!(" /* {} */", c.replace("*/", "* /"))),
                _ => {}
            }
        }
        lines.push(line);
        if identity.is_some() && target == Dialect::Postgres {
            // Past the highest key loaded, and never back below a position the data set
            // (pg_dump's setval after deleted rows): nextval gives the sequence's next number.
            let seq = format!(
                "pg_get_serial_sequence({}, {})",
                literal(target, &qt),
                literal(target, &cx.names.name(&col.name))
            );
            post.push(format!(
                "SELECT setval({seq}, greatest(coalesce(max({cname}), 0) + 1, nextval({seq})), false) FROM {qt}"
            ));
        }
    }
    if let Some(pk) = &t.primary_key
        && !pk_inline
    {
        let cols: Vec<String> = pk.columns.iter().map(|c| cx.names.ident(c)).collect();
        let name = pk
            .name
            .as_ref()
            .filter(|n| !n.eq_ignore_ascii_case("PRIMARY") && target != Dialect::MySql)
            .map(|n| {
                let n = cx.names.unique_relation(&target_schema, &t.name, n);
                format!("CONSTRAINT {} ", cx.names.quote(&n))
            })
            .unwrap_or_default();
        if target == Dialect::Postgres && cx.rules.options.keys_after_load {
            post.insert(
                0,
                format!(
                    "ALTER TABLE {qt} ADD {name}PRIMARY KEY ({})",
                    cols.join(", ")
                ),
            );
        } else {
            lines.push(format!("    {name}PRIMARY KEY ({})", cols.join(", ")));
        }
    }
    if target == Dialect::Sqlite {
        lines.extend(sqlite_table_constraints(cx, s, t));
    }
    for sql in types {
        o.target.push(TargetStatement {
            phase: Phase::PreData,
            sql,
        });
    }
    // Where the source's numbering stands (MySQL AUTO_INCREMENT=n, an identity's START WITH).
    let next_id = t
        .columns
        .iter()
        .find(|c| {
            mysql_auto.as_deref() == Some(c.name.as_str())
                || (target == Dialect::Sqlite && pk_inline && pk_cols[0] == c.name)
        })
        .and_then(|c| match &c.identity {
            Some(Identity::AutoIncrement { next_value }) => *next_value,
            Some(Identity::Identity { start, .. }) => *start,
            _ => None,
        })
        .filter(|n| *n > 1);
    let options = match target {
        Dialect::MySql => {
            let mut opts = format!(
                " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={}",
                mysql_collation(cx, t)
            );
            if let Some(n) = next_id {
                opts.push_str(&format!(" AUTO_INCREMENT={n}"));
            }
            if let Some(c) = &t.comment {
                opts.push_str(&format!(" COMMENT={}", literal(target, c)));
            }
            opts
        }
        _ => String::new(),
    };
    o.target.push(TargetStatement {
        phase: Phase::PreData,
        sql: format!(
            "CREATE TABLE IF NOT EXISTS {qt} (\n{}\n){options}",
            lines.join(",\n")
        ),
    });
    if target == Dialect::Sqlite
        && pk_inline
        && let Some(n) = next_id
    {
        let name = literal(target, &cx.names.name(&t.name));
        o.target.push(TargetStatement {
            phase: Phase::PreData,
            sql: format!(
                "INSERT INTO sqlite_sequence (name, seq) SELECT {name}, {} WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {name})",
                n - 1
            ),
        });
    }
    if target == Dialect::Postgres {
        if let Some(c) = &t.comment {
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql: format!("COMMENT ON TABLE {qt} IS {}", literal(target, c)),
            });
        }
        for col in t.columns.iter().filter(|c| c.comment.is_some()) {
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql: format!(
                    "COMMENT ON COLUMN {qt}.{} IS {}",
                    cx.names.ident(&col.name),
                    literal(target, col.comment.as_deref().unwrap_or_default())
                ),
            });
        }
    }
    for p in post {
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: p,
        });
    }
    cx.push(o);
}

/// A default for MySQL: CURRENT_TIMESTAMP with the column's fractional seconds, literals of
/// TEXT, BLOB and JSON columns in parentheses (MySQL takes only expressions there).
pub(super) fn mysql_default(v: &str, ty: &str) -> String {
    let upper = v.to_ascii_uppercase();
    if upper == "CURRENT_TIMESTAMP" || upper == "CURRENT_TIMESTAMP()" {
        if let Some(fsp) = ty
            .strip_prefix("datetime(")
            .or_else(|| ty.strip_prefix("timestamp("))
            .and_then(|r| r.strip_suffix(')'))
            .filter(|f| *f != "0")
        {
            return format!("CURRENT_TIMESTAMP({fsp})");
        }
        return "CURRENT_TIMESTAMP".into();
    }
    let lob = ["text", "blob", "json", "geometry"]
        .iter()
        .any(|x| ty.contains(x));
    if lob && !v.starts_with('(') {
        format!("({v})")
    } else {
        v.to_string()
    }
}
