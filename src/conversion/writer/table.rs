//! One table's CREATE TABLE for the target: columns, types, defaults, identity, generated columns, comments.

use super::*;

mod columns;
use columns::column;

pub(super) fn table(cx: &mut Ctx, s: &Schema, t: &Table) {
    let mut o = cx.report(ObjectKind::Table, &s.name, &t.name, None);
    if t.storage.as_deref() == Some("virtual table") {
        virtual_table(cx, o, t);
        return;
    }
    if o.source_sql.is_none() {
        o.source_sql = Some(catalog_ddl(t));
    }
    table_notes(cx, &mut o, t);
    let sh = Shape::of(cx, s, t);
    let mut b = Built::default();
    for col in &t.columns {
        column(cx, &mut o, &sh, col, &mut b);
    }
    primary_key(cx, &sh, &mut b);
    print(cx, o, &sh, b);
}

/// The facts about a table that its columns are converted with.
struct Shape<'a> {
    s: &'a Schema,
    t: &'a Table,
    /// The table's name on the target, quoted and qualified.
    qt: String,
    /// Its primary key's columns.
    pk_cols: Vec<String>,
    /// MySQL takes one AUTO_INCREMENT column per table: the first key column if it numbers
    /// rows, else the first numbering column.
    mysql_auto: Option<String>,
}

impl<'a> Shape<'a> {
    fn of(cx: &Ctx, s: &'a Schema, t: &'a Table) -> Shape<'a> {
        let pk_cols: Vec<String> = t
            .primary_key
            .as_ref()
            .map(|p| p.columns.clone())
            .unwrap_or_default();
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
        Shape {
            s,
            t,
            qt: cx.names.qualified(&s.name, &t.name),
            pk_cols,
            mysql_auto,
        }
    }
}

/// What the columns add up to, printed by [`print`].
#[derive(Default)]
struct Built {
    /// The CREATE TABLE's lines: columns, then keys.
    lines: Vec<String>,
    /// Enum types created before the table (option enum_as: NativeEnum).
    types: Vec<String>,
    /// Statements after the data: ON UPDATE triggers, sequence positions, a key built late.
    post: Vec<String>,
    /// SQLite: the primary key is written on its column (INTEGER PRIMARY KEY), the only way
    /// SQLite numbers rows.
    pk_inline: bool,
}

/// How a column numbers rows on the target.
#[derive(Debug, Clone, PartialEq)]
enum Numbering {
    /// Numbered, the target's clause not decided yet (MySQL's AUTO_INCREMENT and SQLite's
    /// rowid are decided by the table's other columns).
    Undecided,
    /// PostgreSQL's `GENERATED ALWAYS|BY DEFAULT AS IDENTITY (options)`.
    Identity { always: bool, options: Vec<String> },
    /// SQLite's `INTEGER PRIMARY KEY [AUTOINCREMENT]`, written on the column.
    RowidKey { autoincrement: bool },
    /// MySQL's `AUTO_INCREMENT`.
    AutoIncrement,
}

/// A column as it is being converted.
struct Col<'a> {
    col: &'a Column,
    /// Its type on the target.
    ty: String,
    /// Its name on the target, quoted.
    cname: String,
    /// How it numbers rows on the target, if it does.
    identity: Option<Numbering>,
    /// Its type is an enum type created for it.
    native_enum: bool,
}

/// What a table's conversion changes about it as a whole (case-insensitive collations,
/// inheritance, constraints not read, a name too long), as action items.
fn table_notes(cx: &mut Ctx, o: &mut ObjectReport, t: &Table) {
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
            o,
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
            o,
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
            o,
            Code::TB1125,
            Category::Medium,
            format!("{part}; the table is created without it"),
            "Write the constraint for the target by hand (on PostgreSQL an EXCLUDE constraint can stay as it is; elsewhere a trigger or an application check)",
            Some(part.clone()),
        );
        o.action_items.push(a);
    }
    if cx.names.too_long(&t.name) {
        let a = cx.action(
            o,
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
}

/// The primary key: on its own line of the CREATE TABLE, or (PostgreSQL, keys after the load)
/// added after the data.
fn primary_key(cx: &mut Ctx, sh: &Shape, b: &mut Built) {
    let (target, s, t, qt) = (cx.target, sh.s, sh.t, &sh.qt);
    let target_schema = cx.names.schema(&s.name);
    if let Some(pk) = &t.primary_key
        && !b.pk_inline
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
            b.post.insert(
                0,
                format!(
                    "ALTER TABLE {qt} ADD {name}PRIMARY KEY ({})",
                    cols.join(", ")
                ),
            );
        } else {
            b.lines
                .push(format!("    {name}PRIMARY KEY ({})", cols.join(", ")));
        }
    }
}

/// The table's statements: its enum types, the CREATE TABLE with its options, SQLite's
/// numbering position, PostgreSQL's comments, then what comes after the data.
fn print(cx: &mut Ctx, mut o: ObjectReport, sh: &Shape, b: Built) {
    let (target, s, t, qt) = (cx.target, sh.s, sh.t, &sh.qt);
    let (pk_cols, mysql_auto) = (&sh.pk_cols, &sh.mysql_auto);
    let Built {
        mut lines,
        types,
        post,
        pk_inline,
    } = b;
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
