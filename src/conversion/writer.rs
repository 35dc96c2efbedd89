//! The DDL writer: the neutral model as DDL for a target engine (PostgreSQL, MySQL/MariaDB or
//! SQLite), with an action item for everything that is not converted automatically. Where the
//! targets differ (identity columns, enums, comments, inline or separate constraints, index
//! features, character sets), the difference is a `match` on `Ctx::target` in the function
//! that writes that part, so each kind of object is written in one place.
//!
//! Pre-data: schemas (databases on MySQL), types, sequences, tables with their primary keys
//! (and, on SQLite, their checks, unique constraints and foreign keys, which SQLite only takes
//! in CREATE TABLE). Post-data: unique constraints, checks, foreign keys, secondary indexes,
//! triggers that emulate ON UPDATE, views, routines, triggers, sequence values after the load.

use std::collections::BTreeSet;

use super::Source;
use super::expr::{self, Default as Def};
use super::names::{Names, quote_for};
use super::rules::RuleSet;
use crate::assessment::{ActionItem, Category, ObjectReport, Phase, Report, TargetStatement};
use crate::ddl::{Dialect, ObjectKind};
use crate::model::*;

struct Ctx<'a> {
    src: &'a Source,
    target: Dialect,
    /// MySQL: text columns that are part of a key, and the varchar length they get there.
    key_text: std::collections::HashMap<usize, usize>,
    /// (lower-case schema, lower-case table) → table, for references.
    tables: std::collections::HashMap<(String, String), &'a Table>,
    rules: &'a RuleSet,
    names: Names,
    objects: Vec<ObjectReport>,
}

fn item(
    rules: &RuleSet,
    code: &str,
    category: Category,
    message: String,
    fix: &str,
    fragment: Option<String>,
    line: Option<usize>,
) -> ActionItem {
    ActionItem {
        code: code.into(),
        category,
        message,
        fragment,
        fix: fix.into(),
        line,
        effort_minutes: rules.effort(code, category).per_occurrence_minutes,
    }
}

impl Ctx<'_> {
    /// A converted trigger's statements and warnings into `o`, or why it was not converted.
    fn trigger_outcome(
        &self,
        o: &mut ObjectReport,
        name: &str,
        text: &str,
        converted: Result<(Vec<String>, Vec<String>), String>,
        fix: &str,
    ) {
        // A trigger that writes to what the target will not have fails when it fires.
        let converted = converted.and_then(|c| match self.unwritable_tables(text) {
            missing if missing.is_empty() => Ok(c),
            missing => Err(format!(
                "it writes to {}, which {} not created on the target",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            )),
        });
        match converted {
            Ok((statements, warnings)) => {
                for sql in statements {
                    o.target.push(TargetStatement {
                        phase: Phase::PostData,
                        sql,
                    });
                }
                for w in warnings {
                    let a = self.action(
                        o,
                        "TB2013",
                        Category::Simple,
                        format!("Trigger {name}: {w}"),
                        "Check the trigger's behaviour on the target",
                        None,
                    );
                    o.action_items.push(a);
                }
            }
            Err(why) => {
                let a = self.action(
                    o,
                    "TB2003",
                    Category::Complex,
                    format!("Trigger not converted: {why}"),
                    fix,
                    Some(first_line(text)),
                );
                o.action_items.push(a);
            }
        }
    }

    /// Tables a trigger or routine body writes to (INSERT INTO, UPDATE, DELETE FROM, REPLACE
    /// INTO) that the source does not define as tables the target will have (virtual tables,
    /// names defined nowhere). Names of a trigger's transition tables do not count.
    fn unwritable_tables(&self, text: &str) -> Vec<String> {
        let t = crate::ddl::classify::tokens(text, usize::MAX);
        let word = |i: usize| t.get(i).filter(|x| !x.punct).map(|x| x.upper.as_str());
        let mut out: Vec<String> = vec![];
        for i in 0..t.len() {
            let at = match (word(i), word(i + 1)) {
                (Some("INSERT" | "REPLACE"), Some("INTO")) | (Some("DELETE"), Some("FROM")) => {
                    i + 2
                }
                (Some("UPDATE"), Some(_)) => i + 1,
                _ => continue,
            };
            // The last part of a dotted name.
            let mut j = at;
            while t.get(j + 1).is_some_and(|x| x.upper == ".") && word(j + 2).is_some() {
                j += 2;
            }
            // An UPDATE statement names its table before SET (a trigger's `UPDATE ON t`, a
            // cursor's `FOR UPDATE` do not).
            if word(i) == Some("UPDATE") && word(j + 1) != Some("SET") && word(j + 2) != Some("SET")
            {
                continue;
            }
            let Some(name) = t.get(j).filter(|x| !x.punct).map(|x| x.raw.to_lowercase()) else {
                continue;
            };
            if matches!(
                name.as_str(),
                "inserted" | "deleted" | "new" | "old" | "set"
            ) {
                continue;
            }
            let real = self
                .tables
                .iter()
                .any(|((_, n), tb)| *n == name && tb.storage.as_deref() != Some("virtual table"));
            let view = self
                .src
                .catalog
                .schemas
                .iter()
                .any(|s| s.views.iter().any(|v| v.name.eq_ignore_ascii_case(&name)));
            if !real && !view && !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    fn report(
        &self,
        kind: ObjectKind,
        schema: &str,
        name: &str,
        table: Option<&str>,
    ) -> ObjectReport {
        let origin = self.src.origin(kind, name);
        ObjectReport {
            kind,
            schema: schema.to_string(),
            name: name.to_string(),
            table: table.map(str::to_string),
            category: Category::Automatic,
            source_line: origin.map(|o| o.line),
            source_sql: origin.map(|o| o.sql.clone()),
            target: vec![],
            action_items: vec![],
            lines_of_code: 0,
            edited: false,
            verified: None,
        }
    }

    fn push(&mut self, mut o: ObjectReport) {
        o.recompute_category();
        self.objects.push(o);
    }

    fn action(
        &self,
        o: &ObjectReport,
        code: &str,
        category: Category,
        message: String,
        fix: &str,
        fragment: Option<String>,
    ) -> ActionItem {
        item(
            self.rules,
            code,
            category,
            message,
            fix,
            fragment,
            o.source_line,
        )
    }
}

/// How the conversion of `src` with `rules` names things on the target (for tasks that load
/// the data into the converted tables).
pub fn target_names(src: &Source, rules: &RuleSet) -> Names {
    let target = rules.target;
    let mut names = Names::for_target(target, rules.options.fold_case, &rules.options.schema_map);
    let used: Vec<&Schema> = src
        .catalog
        .schemas
        .iter()
        .filter(|s| {
            !(s.tables.is_empty()
                && s.views.is_empty()
                && s.routines.is_empty()
                && s.sequences.is_empty()
                && s.types.is_empty())
        })
        .collect();
    if target != Dialect::Postgres && used.len() == 1 {
        names.default_mapping(&used[0].name, "");
    }
    names
}

/// Converts the source's model to DDL for the rules' target and assesses it.
pub fn convert(src: &Source, rules: &RuleSet, folded: &super::fold::Folded) -> Report {
    let target = rules.target;
    let tables = src
        .catalog
        .schemas
        .iter()
        .flat_map(|s| {
            s.tables
                .iter()
                .map(move |t| ((s.name.to_lowercase(), t.name.to_lowercase()), t))
        })
        .collect();
    // A source with one schema in use goes into the target connection's database (MySQL) or
    // file (SQLite).
    let names = target_names(src, rules);
    let mut cx = Ctx {
        src,
        target,
        key_text: Default::default(),
        tables,
        rules,
        names,
        objects: vec![],
    };
    let cat = &src.catalog;
    if target == Dialect::MySql {
        cx.key_text = key_text_columns(&cx);
    }

    // Schemas.
    let mut schemas = BTreeSet::new();
    for s in &cat.schemas {
        let t = cx.names.schema(&s.name);
        if t != cx.names.default_schema() && schemas.insert(t.clone()) {
            let mut o = cx.report(ObjectKind::Schema, &s.name, &s.name, None);
            match target {
                Dialect::MySql => o.target.push(TargetStatement {
                    phase: Phase::PreData,
                    sql: format!(
                        "CREATE DATABASE IF NOT EXISTS {} DEFAULT CHARACTER SET utf8mb4",
                        cx.names.quote(&t)
                    ),
                }),
                Dialect::Sqlite => {
                    let a = cx.action(
                        &o,
                        "TB1504",
                        Category::Simple,
                        format!(
                            "SQLite has one namespace per file: the tables of schema {} are created with the prefix {t}_",
                            s.name
                        ),
                        "Keep the prefixed names, or convert each schema into its own SQLite file (schema_map)",
                        None,
                    );
                    o.action_items.push(a);
                }
                _ => o.target.push(TargetStatement {
                    phase: Phase::PreData,
                    sql: format!("CREATE SCHEMA IF NOT EXISTS {}", cx.names.quote(&t)),
                }),
            }
            cx.push(o);
        }
        for tb in &s.tables {
            cx.names.claim(&t, &cx.names.name(&tb.name));
        }
    }
    for s in &cat.schemas {
        for ty in &s.types {
            user_type(&mut cx, s, ty);
        }
        for q in &s.sequences {
            sequence(&mut cx, s, q);
        }
    }
    // Sequences and triggers that only numbered rows: now identity columns.
    for (schema, name, owner) in &folded.sequences {
        let mut o = cx.report(ObjectKind::Sequence, schema, name, None);
        let a = cx.action(
            &o,
            "TB1120",
            Category::Automatic,
            format!("Sequence numbering {owner} through a trigger: the column is an identity column on the target"),
            "None needed",
            None,
        );
        o.action_items.push(a);
        cx.push(o);
    }
    for (schema, name, table, column, gone) in &folded.triggers {
        if !gone {
            continue;
        }
        let mut o = cx.report(ObjectKind::Trigger, schema, name, Some(table));
        o.lines_of_code = o
            .source_sql
            .as_deref()
            .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
            .unwrap_or(0);
        let a = cx.action(
            &o,
            "TB1120",
            Category::Automatic,
            format!("Trigger only numbered {table}.{column} from a sequence: the column is an identity column on the target"),
            "None needed",
            None,
        );
        o.action_items.push(a);
        cx.push(o);
    }
    for s in &cat.schemas {
        for t in &s.tables {
            table(&mut cx, s, t);
        }
    }
    for s in &cat.schemas {
        for t in &s.tables {
            constraints_and_indexes(&mut cx, s, t);
        }
    }
    for s in &cat.schemas {
        code_objects(&mut cx, s);
    }
    let first = cat
        .schemas
        .first()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    script_only_objects(&mut cx, &first);
    // Objects the parser could not read.
    for so in &src.objects {
        if let Some(err) = &so.parse_error
            && !matches!(so.kind, ObjectKind::View | ObjectKind::MaterializedView)
        {
            let schema = so.name.schema.clone().unwrap_or_default();
            let mut o = cx.report(
                so.kind,
                &schema,
                &so.name.name,
                so.table.as_ref().map(|t| t.name.as_str()),
            );
            o.source_line = Some(so.line);
            o.source_sql = Some(so.sql.clone());
            let a = cx.action(
                &o,
                "TB1001",
                Category::Complex,
                format!("The {} could not be read: {err}", so.kind.label()),
                "Convert this statement by hand, or fix the source so it parses",
                Some(first_line(&so.sql)),
            );
            o.action_items.push(a);
            cx.push(o);
        }
    }
    for (line, what, err) in &src.unparsed {
        let mut o = cx.report(ObjectKind::Other, "", what, None);
        o.source_line = Some(*line);
        o.action_items.push(item(
            rules,
            "TB1002",
            Category::Medium,
            format!("Statement not converted: {err}"),
            "Check whether it matters on the target and convert it by hand",
            None,
            Some(*line),
        ));
        cx.push(o);
    }

    // The script's INSERTs, with the same names and types as the schema.
    let (data, problems) = super::data::convert_inserts(src, &cx.names, |schema, table, column| {
        let t = cat
            .schemas
            .iter()
            .filter(|s| s.name == schema)
            .flat_map(|s| s.tables.iter())
            .find(|t| t.name == table)?;
        let c = t
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(column))?;
        Some(final_type(&cx, c))
    });
    // Data problems, grouped by kind: one entry per distinct problem, with its count.
    let mut groups: Vec<(String, usize, usize)> = vec![];
    for p in problems {
        let key: String = p.message.split(':').next().unwrap_or_default().to_string();
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1 += 1,
            None => groups.push((key, 1, p.line)),
        }
    }
    for (message, count, line) in groups {
        let mut o = cx.report(ObjectKind::Other, "", "data statements", None);
        o.source_line = Some(line);
        let mut a = item(
            rules,
            "TB1003",
            Category::Simple,
            format!("{count} data statement(s) not converted: {message} (first at line {line})"),
            "Load this data with a migration task or by hand",
            None,
            Some(line),
        );
        a.effort_minutes *= count as f64;
        o.action_items.push(a);
        cx.push(o);
    }
    let mut report = Report {
        report_version: Report::VERSION,
        source: src.name.clone(),
        source_dialect: src.dialect,
        target_dialect: target,
        statements: src.statements.clone(),
        objects: cx.objects,
        summary: vec![],
        total_effort_minutes: 0.0,
        data,
        verification: None,
        ledger: vec![],
    };
    report.summarise(|code, category| rules.effort(code, category).learning_minutes);
    report
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or_default();
    if l.len() > 160 {
        format!(
            "{}…",
            &l[..l
                .char_indices()
                .take(160)
                .last()
                .map(|(i, _)| i)
                .unwrap_or(0)]
        )
    } else {
        l.to_string()
    }
}

fn user_type(cx: &mut Ctx, s: &Schema, ty: &UserType) {
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
                "TB1407",
                Category::Automatic,
                "Enum type: each column of this type becomes a MySQL ENUM with the same values"
                    .to_string(),
            ),
            UserTypeKind::Enum { .. } => (
                "TB1407",
                Category::Automatic,
                "Enum type: each column of this type becomes text with a CHECK listing the values"
                    .to_string(),
            ),
            UserTypeKind::Domain { checks, .. } if !checks.is_empty() => (
                "TB1408",
                Category::Simple,
                format!(
                    "Domain: columns of this type take its base type; its checks ({}) are not carried over",
                    checks.join(" ")
                ),
            ),
            UserTypeKind::Domain { .. } => (
                "TB1408",
                Category::Automatic,
                "Domain: columns of this type take its base type".to_string(),
            ),
            UserTypeKind::Composite { .. } => (
                "TB1409",
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
    match &ty.kind {
        UserTypeKind::Enum { values } => {
            let v: Vec<String> = values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
                .collect();
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

fn sequence(cx: &mut Ctx, s: &Schema, q: &Sequence) {
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
                "TB1410",
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
                "TB1410",
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
            "TB1411",
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
                    "SELECT setval('{}', {next}, false)",
                    name.replace('\'', "''")
                )
            },
        });
    }
    cx.push(o);
}

/// The sequence a PostgreSQL primary-key column takes its values from (`DEFAULT
/// nextval('film_film_id_seq'::regclass)`), when it is the table's first key column.
fn numbering_sequence(t: &Table, col: &Column) -> Option<String> {
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
fn is_integer_type(target: Dialect, ty: &str) -> bool {
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
fn quoted_values(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The PostgreSQL enum values or domain base type of a user type of a PostgreSQL source.
fn pg_user_type<'a>(cx: &Ctx<'a>, t: &DataType) -> Option<&'a UserType> {
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
fn column_type(cx: &Ctx, o: &ObjectReport, col: &Column) -> (String, Vec<ActionItem>) {
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
            "TB1403",
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
            return (format!("enum({})", quoted_values(&values)), items);
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
                    &a.code,
                    a.category,
                    format!("{}: {}", col.name, a.message),
                    &a.fix,
                    Some(t.declared.clone()),
                ));
            }
            // MySQL cannot index TEXT/BLOB without a prefix: key columns become varchar.
            if let Some(&len) = cx.key_text.get(&(col as *const Column as usize))
                && matches!(
                    ty.as_str(),
                    "longtext" | "mediumtext" | "text" | "tinytext" | "json"
                )
            {
                items.push(cx.action(
                    o,
                    "TB1412",
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
                "TB1100",
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
fn key_text_columns(cx: &Ctx) -> std::collections::HashMap<usize, usize> {
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
fn target_expr(cx: &Ctx, t: &Table, s: &Schema, e: &str) -> String {
    if cx.src.dialect == cx.target && cx.target == Dialect::Postgres {
        return e.to_string();
    }
    let target_schema = cx.names.schema(&s.name);
    super::view::convert_expression_with_booleans(
        e,
        cx.src.dialect,
        &cx.names,
        &target_schema,
        &boolean_columns(cx, t),
    )
    .unwrap_or_else(|_| expr::requote_for(e, cx.names.fold, cx.target))
}

/// A SQLite virtual table (FTS5, R*Tree...): the same module on SQLite, an action item elsewhere
/// (full-text search is a tsvector column with a GIN index on PostgreSQL, a FULLTEXT index on
/// MySQL).
fn virtual_table(cx: &mut Ctx, mut o: ObjectReport, t: &Table) {
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
            "TB1122",
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
fn column_ci(cx: &Ctx, t: &Table, col: &Column) -> Option<bool> {
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
fn pg_ci_unique(
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
fn case_insensitive_collations(cx: &Ctx, t: &Table) -> Vec<String> {
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

fn table(cx: &mut Ctx, s: &Schema, t: &Table) {
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
            "TB1117",
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
    let qt = cx.names.qualified(&s.name, &t.name);
    let target_schema = cx.names.schema(&s.name);
    if cx.names.too_long(&t.name) {
        let a = cx.action(
            &o,
            "TB1108",
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
            && cx.rules.options.enum_as == super::rules::EnumStyle::NativeEnum;
        if native_enum {
            let type_name = cx
                .names
                .qualified(&s.name, &format!("{}_{}", t.name, col.name));
            types.push(format!(
                "CREATE TYPE {type_name} AS ENUM ({})",
                quoted_values(&col.data_type.values)
            ));
            ty = type_name;
        }
        o.action_items.extend(items);
        // A foreign-key column takes the type of the column it references, so the key can be created.
        if let Some(ref_ty) = referenced_type(cx, s, t, col).filter(|r| *r != ty) {
            let a = cx.action(
                &o,
                "TB1116",
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
                        "TB1413",
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
                "TB1112",
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
                        "TB1502",
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
                    "TB1503",
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
                "TB1419",
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
                    "TB1113",
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
                    "TB1114",
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
                        "TB1105"
                    } else {
                        "TB1107"
                    };
                    let a = cx.action(
                        &o,
                        code,
                        if code == "TB1105" {
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
            line.push_str(&format!(" CHECK ({cname} IN ({}))", quoted_values(&values)));
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
                    "TB1106",
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
                Dialect::MySql => line.push_str(&format!(" COMMENT '{}'", mysql_string(c))),
                Dialect::Sqlite => line.push_str(&format!(" /* {} */", c.replace("*/", "* /"))),
                _ => {}
            }
        }
        lines.push(line);
        if identity.is_some() && target == Dialect::Postgres {
            // Past the highest key loaded, and never back below a position the data set
            // (pg_dump's setval after deleted rows): nextval gives the sequence's next number.
            let seq = format!(
                "pg_get_serial_sequence('{}', '{}')",
                qt.replace('\'', "''"),
                cx.names.name(&col.name).replace('\'', "''")
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
                opts.push_str(&format!(" COMMENT='{}'", mysql_string(c)));
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
        let name = qt.trim_matches('"').replace('\'', "''");
        o.target.push(TargetStatement {
            phase: Phase::PreData,
            sql: format!(
                "INSERT INTO sqlite_sequence (name, seq) SELECT '{name}', {} WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{name}')",
                n - 1
            ),
        });
    }
    if target == Dialect::Postgres {
        if let Some(c) = &t.comment {
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql: format!("COMMENT ON TABLE {qt} IS '{}'", c.replace('\'', "''")),
            });
        }
        for col in t.columns.iter().filter(|c| c.comment.is_some()) {
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql: format!(
                    "COMMENT ON COLUMN {qt}.{} IS '{}'",
                    cx.names.ident(&col.name),
                    col.comment.clone().unwrap_or_default().replace('\'', "''")
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

/// A string literal's content for MySQL (backslashes are escapes there).
fn mysql_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "''")
}

/// A default for MySQL: CURRENT_TIMESTAMP with the column's fractional seconds, literals of
/// TEXT, BLOB and JSON columns in parentheses (MySQL takes only expressions there).
fn mysql_default(v: &str, ty: &str) -> String {
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

/// The collation of a table on a MySQL target: the source's where it is MySQL, case-insensitive
/// where the source compared case-insensitively (SQL Server), binary otherwise (PostgreSQL,
/// SQLite and Oracle compare text case-sensitively, and unique keys must accept what they did).
fn mysql_collation(cx: &Ctx, t: &Table) -> String {
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

/// SQLite takes checks, unique constraints and foreign keys only in CREATE TABLE.
fn sqlite_table_constraints(cx: &Ctx, s: &Schema, t: &Table) -> Vec<String> {
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
fn referenced_columns(cx: &Ctx, f: &ForeignKey) -> Vec<String> {
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

fn constraints_and_indexes(cx: &mut Ctx, s: &Schema, t: &Table) {
    let qt = cx.names.qualified(&s.name, &t.name);
    let target_schema = cx.names.schema(&s.name);
    let target = cx.target;
    let cols = |cx: &Ctx, v: &[String]| {
        v.iter()
            .map(|c| cx.names.ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // SQLite: unique constraints, checks and foreign keys are in the CREATE TABLE.
    if target != Dialect::Sqlite {
        for (i, u) in t.unique_constraints.iter().enumerate() {
            let wanted = u
                .name
                .clone()
                .unwrap_or_else(|| format!("{}_{}_key", t.name, u.columns.join("_")));
            let name = if target == Dialect::MySql {
                cx.names.name(&wanted)
            } else {
                cx.names.unique_relation(&target_schema, &t.name, &wanted)
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
            // MySQL 8 names checks and foreign keys per schema; PostgreSQL per table (a
            // name used twice on one table gets the table's name in front).
            let name = if target == Dialect::MySql {
                let ns = format!("{target_schema}\u{0}constraints");
                cx.names.unique_relation(&ns, &t.name, &name)
            } else {
                let ns = format!("{target_schema}\u{0}{}\u{0}constraints", t.name);
                cx.names.unique_relation(&ns, &t.name, &name)
            };
            let name = format!("CONSTRAINT {} ", cx.names.quote(&name));
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql: format!("ALTER TABLE {qt} ADD {name}CHECK {e}"),
            });
            cx.push(o);
        }
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
            // MySQL 8 names checks and foreign keys per schema; PostgreSQL per table (a
            // name used twice on one table gets the table's name in front).
            let name = if target == Dialect::MySql {
                let ns = format!("{target_schema}\u{0}constraints");
                cx.names.unique_relation(&ns, &t.name, &name)
            } else {
                let ns = format!("{target_schema}\u{0}{}\u{0}constraints", t.name);
                cx.names.unique_relation(&ns, &t.name, &name)
            };
            let name = format!("CONSTRAINT {} ", cx.names.quote(&name));
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
                    "TB1418",
                    "SET NULL on a NOT NULL column (PostgreSQL accepts it and fails when it fires; MySQL refuses it)",
                    "Make the column nullable if rows should outlive their parent",
                ),
                (
                    ReferentialAction::SetDefault,
                    true,
                    "TB1414",
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
                    "TB1420",
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
    for ix in &t.indexes {
        let name = if target == Dialect::MySql {
            cx.names.name(&ix.name)
        } else {
            cx.names.unique_relation(&target_schema, &t.name, &ix.name)
        };
        let mut o = cx.report(ObjectKind::Index, &s.name, &ix.name, Some(&t.name));
        if o.source_line.is_none() {
            o.source_line = cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line);
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
                        "TB1111",
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
                        "TB1121",
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
            if let Some(sql) = mysql_index(cx, &mut o, ix, &qt, &name, parts, has_expression) {
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
                let a = cx.action(&o, "TB1110", Category::Medium, format!("FULLTEXT index {} not created: SQLite's full-text search is a separate FTS5 virtual table", ix.name), "Create an FTS5 table over these columns and query it with MATCH", None);
                o.action_items.push(a);
                cx.push(o);
                continue;
            }
            "spatial" if target == Dialect::Sqlite => {
                let a = cx.action(&o, "TB1115", Category::Medium, format!("Spatial index {} not created: SQLite has no spatial index without SpatiaLite", ix.name), "Use SpatiaLite's R*Tree indexes", None);
                o.action_items.push(a);
                cx.push(o);
                continue;
            }
            _ if target == Dialect::Sqlite => (String::new(), parts),
            "fulltext" => {
                let cols: Vec<String> = ix
                    .parts
                    .iter()
                    .filter_map(|p| p.column.as_ref())
                    .map(|c| format!("coalesce({}, '')", cx.names.ident(c)))
                    .collect();
                let a = cx.action(&o, "TB1110", Category::Simple, format!("FULLTEXT index {} becomes a GIN index on to_tsvector", ix.name), "Queries must use to_tsvector(...) @@ to_tsquery(...) instead of MATCH ... AGAINST", None);
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
                let a = cx.action(&o, "TB1115", Category::Medium, format!("Spatial index {} not created: spatial columns are stored as bytea without PostGIS", ix.name), "Install PostGIS, set postgis: true and convert again", None);
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

/// An index on a MySQL target, or None (with the reason as an action item) where MySQL cannot
/// hold it: expression indexes (MariaDB has none), partial unique indexes.
fn mysql_index(
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
            "TB1415",
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
                "TB1416",
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
            "TB1416",
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
            "TB1417",
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
            "TB1417",
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

/// Views, routines, triggers and other code objects: converted where the body allows, each
/// one that is not explained.
fn code_objects(cx: &mut Ctx, s: &Schema) {
    let target = cx.target;
    let loc = |t: &str| t.lines().filter(|l| !l.trim().is_empty()).count();
    for v in &s.views {
        let kind = if v.materialized {
            ObjectKind::MaterializedView
        } else {
            ObjectKind::View
        };
        let mut o = cx.report(kind, &s.name, &v.name, None);
        if o.source_sql.is_none() {
            o.source_sql = Some(format!(
                "-- view definition as read from the catalog\n{}",
                v.definition
            ));
        }
        o.lines_of_code = loc(&v.definition);
        if v.materialized && target != Dialect::Postgres {
            let a = cx.action(
                &o,
                "TB2015",
                Category::Simple,
                format!(
                    "{} has no materialized views: created as a plain view",
                    target.label()
                ),
                "Use a table refreshed by a scheduled job if the query is slow",
                None,
            );
            o.action_items.push(a);
        }
        if cx.src.dialect == Dialect::Postgres && target == Dialect::Postgres {
            let name = cx.names.qualified(&s.name, &v.name);
            let sql = if v.materialized {
                format!(
                    "CREATE MATERIALIZED VIEW IF NOT EXISTS {name} AS\n{}",
                    v.definition.trim_end_matches(';')
                )
            } else {
                format!(
                    "CREATE OR REPLACE VIEW {name} AS\n{}",
                    v.definition.trim_end_matches(';')
                )
            };
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql,
            });
        } else {
            let source_sql = cx
                .src
                .origin(kind, &v.name)
                .map(|x| x.sql.clone())
                .unwrap_or_else(|| v.definition.clone());
            let target_schema = cx.names.schema(&s.name);
            // Columns that became boolean in every table that has them.
            let booleans: Vec<String> = {
                let mut yes = std::collections::BTreeSet::new();
                let mut no = std::collections::BTreeSet::new();
                for t in cx.src.catalog.schemas.iter().flat_map(|x| x.tables.iter()) {
                    let b = boolean_columns(cx, t);
                    for c in &t.columns {
                        let n = c.name.to_lowercase();
                        if b.contains(&c.name) {
                            yes.insert(n);
                        } else {
                            no.insert(n);
                        }
                    }
                }
                yes.difference(&no).cloned().collect()
            };
            match super::view::convert_view_with_booleans(
                &source_sql,
                cx.src.dialect,
                &cx.names,
                &target_schema,
                &booleans,
            ) {
                Ok(cv) => {
                    let name = cx.names.qualified(&s.name, &v.name);
                    let cols = if v.columns.is_empty() || cx.src.origin(kind, &v.name).is_none() {
                        String::new()
                    } else {
                        format!(
                            " ({})",
                            v.columns
                                .iter()
                                .map(|c| cx.names.ident(c))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    let create = if target == Dialect::Sqlite {
                        "CREATE VIEW IF NOT EXISTS"
                    } else {
                        "CREATE OR REPLACE VIEW"
                    };
                    o.target.push(TargetStatement {
                        phase: Phase::PostData,
                        sql: format!("{create} {name}{cols} AS\n{}", cv.query),
                    });
                    for w in cv.warnings {
                        let (code, cat, fix) = if w.starts_with("GROUP BY without") {
                            (
                                "TB2014",
                                Category::Medium,
                                "Add the columns to GROUP BY, or aggregate them (min/max)",
                            )
                        } else {
                            (
                                "TB2011",
                                Category::Simple,
                                "Check the view's results on the target",
                            )
                        };
                        let a =
                            cx.action(&o, code, cat, format!("View {}: {w}", v.name), fix, None);
                        o.action_items.push(a);
                    }
                }
                Err(e) => {
                    let a = cx.action(
                        &o,
                        "TB2001",
                        Category::Medium,
                        format!("View query could not be parsed: {e}"),
                        "Rewrite the query for the target by hand",
                        Some(first_line(&v.definition)),
                    );
                    o.action_items.push(a);
                }
            }
        }
        cx.push(o);
    }
    for r in &s.routines {
        let kind = if r.kind == RoutineKind::Procedure {
            ObjectKind::Procedure
        } else {
            ObjectKind::Function
        };
        let mut o = cx.report(kind, &s.name, &r.name, None);
        if o.source_sql.is_none() {
            o.source_sql = r.definition.clone().or_else(|| Some(r.body.clone()));
        }
        o.lines_of_code = loc(r.definition.as_deref().unwrap_or(&r.body));
        let trigger_function = cx.src.dialect == Dialect::Postgres
            && target != Dialect::Postgres
            && (r
                .return_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("trigger"))
                || r.definition.as_deref().is_some_and(|d| {
                    let words: Vec<String> = d
                        .split_whitespace()
                        .take(64)
                        .map(str::to_ascii_uppercase)
                        .collect();
                    words
                        .windows(2)
                        .any(|w| w[0] == "RETURNS" && w[1] == "TRIGGER")
                }));
        if trigger_function {
            let a = cx.action(
                &o,
                "TB2017",
                Category::Automatic,
                format!("Trigger function: {} triggers carry their body themselves; each trigger using it is converted (or explained) on its own", target.label()),
                "None needed",
                None,
            );
            o.action_items.push(a);
        } else if target == Dialect::Sqlite {
            let a = cx.action(
                &o,
                "TB2016",
                Category::NotConvertible,
                "SQLite has no stored procedures or functions".into(),
                "Move the logic into the application (or register an application-defined function)",
                Some(first_line(r.definition.as_deref().unwrap_or(&r.body))),
            );
            o.action_items.push(a);
        } else if cx.src.dialect == target && r.definition.is_some() {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql: r
                    .definition
                    .clone()
                    .unwrap_or_default()
                    .trim_end()
                    .trim_end_matches(';')
                    .to_string(),
            });
        } else if matches!(
            cx.src.dialect,
            Dialect::MySql | Dialect::Oracle | Dialect::MsSql
        ) && target == Dialect::Postgres
            && r.definition.is_some()
        {
            let converted = match cx.src.dialect {
                Dialect::Oracle => oracle_routine(cx, s, r),
                Dialect::MsSql => tsql_routine(cx, s, r),
                _ => routine(cx, s, r),
            };
            match converted {
                Ok((sql, warnings)) => {
                    o.target.push(TargetStatement {
                        phase: Phase::PostData,
                        sql,
                    });
                    for w in warnings {
                        let (code, cat) = if w.contains("no known PostgreSQL equivalent") {
                            ("TB2012", Category::Medium)
                        } else {
                            ("TB2011", Category::Simple)
                        };
                        let a = cx.action(
                            &o,
                            code,
                            cat,
                            format!("{} {}: {w}", kind.label(), r.name),
                            "Check the routine on the target before use",
                            None,
                        );
                        o.action_items.push(a);
                    }
                }
                Err(why) => {
                    let a = cx.action(
                        &o,
                        "TB2002",
                        Category::Complex,
                        format!("{} not converted: {why}", kind.label()),
                        "Rewrite the body in PL/pgSQL",
                        Some(first_line(r.definition.as_deref().unwrap_or(&r.body))),
                    );
                    o.action_items.push(a);
                }
            }
        } else {
            let a = cx.action(
                &o,
                "TB2002",
                Category::Complex,
                format!(
                    "{} routine bodies are not converted to {} yet",
                    cx.src.dialect.label(),
                    target.label()
                ),
                "Rewrite the body for the target",
                Some(first_line(r.definition.as_deref().unwrap_or(&r.body))),
            );
            o.action_items.push(a);
        }
        cx.push(o);
    }
    for tr in &s.triggers {
        let mut o = cx.report(ObjectKind::Trigger, &s.name, &tr.name, Some(&tr.table));
        if o.source_sql.is_none() {
            o.source_sql = tr.definition.clone().or_else(|| Some(tr.body.clone()));
        }
        let text = tr.definition.clone().unwrap_or_else(|| tr.body.clone());
        o.lines_of_code = loc(&text);
        if tr.disabled && target != Dialect::Postgres {
            let a = cx.action(
                &o,
                "TB2018",
                Category::Simple,
                format!(
                    "The trigger is disabled on the source and {} cannot disable a trigger: it is not created",
                    target.label()
                ),
                "Create it by hand when it should run",
                Some(first_line(&text)),
            );
            o.action_items.push(a);
            cx.push(o);
            continue;
        }
        if cx.src.dialect == target && tr.definition.is_some() {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql: text,
            });
        } else if cx.src.dialect == Dialect::Postgres {
            // PostgreSQL trigger names are per table; MySQL's and SQLite's per schema.
            let mut renamed = tr.clone();
            let ns = format!("{}\u{0}triggers", cx.names.schema(&s.name));
            renamed.name = cx.names.unique_relation(&ns, &tr.table, &tr.name);
            let converted = pg_trigger_function(cx, tr).and_then(|body| {
                super::pg_triggers::convert(
                    &renamed,
                    &body,
                    target,
                    &cx.names,
                    &cx.names.schema(&s.name),
                    &cx.names.qualified(&s.name, &tr.table),
                )
            });
            cx.trigger_outcome(
                &mut o,
                &tr.name,
                &text,
                converted,
                "Write the trigger for the target by hand",
            );
        } else if matches!(
            cx.src.dialect,
            Dialect::MySql | Dialect::Sqlite | Dialect::Oracle | Dialect::MsSql
        ) && target == Dialect::Postgres
        {
            let converted = if cx.src.dialect == Dialect::MsSql {
                tsql_trigger(cx, s, tr, &text)
            } else {
                trigger(cx, s, tr, &text)
            };
            cx.trigger_outcome(
                &mut o,
                &tr.name,
                &text,
                converted,
                "Write the PL/pgSQL trigger function by hand",
            );
        } else if matches!(
            (cx.src.dialect, target),
            (Dialect::MySql, Dialect::Sqlite) | (Dialect::Sqlite, Dialect::MySql)
        ) {
            let converted = table_writing_trigger(cx, s, tr, &text);
            cx.trigger_outcome(
                &mut o,
                &tr.name,
                &text,
                converted,
                "Write the trigger for the target by hand",
            );
        } else {
            let a = cx.action(
                &o,
                "TB2003",
                Category::Complex,
                format!(
                    "{} trigger bodies are not converted to {} yet",
                    cx.src.dialect.label(),
                    target.label()
                ),
                "Write the trigger for the target by hand",
                Some(first_line(&text)),
            );
            o.action_items.push(a);
        }
        if tr.disabled && target == Dialect::Postgres && !o.target.is_empty() {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql: format!(
                    "ALTER TABLE {} DISABLE TRIGGER {}",
                    cx.names.qualified(&s.name, &tr.table),
                    cx.names.ident(&tr.name)
                ),
            });
        }
        cx.push(o);
    }
}

/// Objects a script defines that have no model of their own (packages, synonyms, events,
/// extensions): reported once, with what to do about them.
fn script_only_objects(cx: &mut Ctx, schema: &str) {
    let s_name = schema.to_string();
    let loc = |t: &str| t.lines().filter(|l| !l.trim().is_empty()).count();
    let known: Vec<(ObjectKind, String)> = cx
        .src
        .objects
        .iter()
        .filter(|o| {
            matches!(
                o.kind,
                ObjectKind::Package
                    | ObjectKind::PackageBody
                    | ObjectKind::Synonym
                    | ObjectKind::Event
                    | ObjectKind::Extension
            )
        })
        .map(|o| (o.kind, o.name.name.clone()))
        .collect();
    // A live PostgreSQL source's extensions, for a PostgreSQL target.
    let mut known = known;
    if cx.target == Dialect::Postgres && cx.src.dialect == Dialect::Postgres {
        for (name, _) in &cx.src.catalog.extensions {
            if !known
                .iter()
                .any(|(k, n)| *k == ObjectKind::Extension && n == name)
            {
                known.push((ObjectKind::Extension, name.clone()));
            }
        }
    }
    for (kind, name) in known {
        let mut o = cx.report(kind, &s_name, &name, None);
        o.lines_of_code = o.source_sql.as_deref().map(loc).unwrap_or(0);
        if kind == ObjectKind::Extension
            && cx.target == Dialect::Postgres
            && cx.src.dialect == Dialect::Postgres
        {
            // PostgreSQL to PostgreSQL: the extension is created first (verification
            // then proves the target server has it).
            let installed = cx
                .src
                .catalog
                .extensions
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.clone());
            let schema = installed.or_else(|| {
                let t = o.source_sql.as_deref()?;
                let words: Vec<&str> = t.split_whitespace().collect();
                let at = words.windows(2).position(|w| {
                    w[0].eq_ignore_ascii_case("WITH") && w[1].eq_ignore_ascii_case("SCHEMA")
                })?;
                words
                    .get(at + 2)
                    .map(|w| w.trim_end_matches(';').trim_matches('"').to_string())
            });
            let with = schema
                .map(|x| format!(" WITH SCHEMA {}", cx.names.quote(&cx.names.schema(&x))))
                .unwrap_or_default();
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql: format!(
                    "CREATE EXTENSION IF NOT EXISTS {}{with}",
                    quote_for(Dialect::Postgres, &name)
                ),
            });
            cx.push(o);
            continue;
        }
        let (code, cat, msg, fix) = match kind {
            ObjectKind::Package | ObjectKind::PackageBody => (
                "TB2004",
                Category::NotConvertible,
                "Oracle packages have no equivalent on the target",
                "Move the package's routines into a schema of functions; package state needs a table or session variables",
            ),
            ObjectKind::Synonym => (
                "TB2005",
                Category::Simple,
                "Synonyms have no equivalent on the target",
                "Use a view (or the search_path on PostgreSQL)",
            ),
            ObjectKind::Extension => (
                "TB2006",
                Category::Simple,
                "Extension must be installed on the target",
                "CREATE EXTENSION on the target",
            ),
            _ => (
                "TB2007",
                Category::Complex,
                "Scheduled events have no equivalent on the target",
                "Use pg_cron or an external scheduler",
            ),
        };
        let a = cx.action(
            &o,
            code,
            cat,
            msg.into(),
            fix,
            o.source_sql.as_deref().map(first_line),
        );
        o.action_items.push(a);
        cx.push(o);
    }
}

/// The target type a column gets, identity columns being integers.
fn final_type(cx: &Ctx, col: &Column) -> String {
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
fn referenced_type(cx: &Ctx, s: &Schema, t: &Table, col: &Column) -> Option<String> {
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
fn not_serial(ty: &str) -> String {
    match ty.to_ascii_lowercase().as_str() {
        "serial" | "serial4" => "integer".into(),
        "bigserial" | "serial8" => "bigint".into(),
        "smallserial" | "serial2" => "smallint".into(),
        _ => ty.to_string(),
    }
}

/// A MySQL or SQLite trigger as a PL/pgSQL function and a CREATE TRIGGER.
fn trigger(
    cx: &Ctx,
    s: &Schema,
    tr: &Trigger,
    text: &str,
) -> Result<(Vec<String>, Vec<String>), String> {
    let target_schema = cx.names.schema(&s.name);
    let (body, condition) = if cx.src.dialect == Dialect::Sqlite
        && text.to_ascii_uppercase().trim_start().starts_with("CREATE")
    {
        let t = crate::discovery::sqlite::parse_trigger(&tr.name, &tr.table, text);
        (t.body, t.condition)
    } else if cx.src.dialect == Dialect::Sqlite {
        (tr.body.clone(), tr.condition.clone())
    } else if cx.src.dialect == Dialect::Oracle {
        let text = super::procedural::oracle_new_old(text);
        let upper = text.to_ascii_uppercase();
        let begin =
            crate::sqltext::find_keyword(&upper, "BEGIN", 0).ok_or("no BEGIN in the trigger")?;
        // `WHEN (condition)` before the body.
        let when = crate::sqltext::find_keyword(&upper[..begin], "WHEN", 0)
            .map(|w| text[w + 4..begin].trim().to_string());
        (text[begin..].to_string(), when)
    } else {
        (super::procedural::trigger_body(text), None)
    };
    let b = super::procedural::convert_body(
        &body,
        cx.src.dialect,
        &cx.names,
        &target_schema,
        cx.rules,
    )?;
    let mut warnings = b.warnings;
    let func = cx.names.qualified(&s.name, &format!("{}_fn", tr.name));
    // A BEFORE row trigger's return value decides whether the row is written: NEW for
    // inserts and updates, OLD for deletes (NEW is NULL there, and would skip the delete).
    let returns = match (tr.timing, tr.events.as_slice()) {
        (TriggerTiming::After, _) => "RETURN NULL;",
        (_, [TriggerEvent::Delete]) => "RETURN OLD;",
        (_, e) if e.contains(&TriggerEvent::Delete) => {
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n    RETURN NEW;"
        }
        _ => "RETURN NEW;",
    };
    let declare = if b.declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", b.declare.join("\n    "))
    };
    let function = format!(
        "CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $$\n{declare}BEGIN\n    {}\n    {returns}\nEND\n$$",
        b.statements.join("\n    ")
    );
    let timing = match tr.timing {
        TriggerTiming::Before => "BEFORE",
        TriggerTiming::After => "AFTER",
        TriggerTiming::InsteadOf => "INSTEAD OF",
    };
    let events: Vec<&str> = tr
        .events
        .iter()
        .map(|e| match e {
            TriggerEvent::Insert => "INSERT",
            TriggerEvent::Update => "UPDATE",
            TriggerEvent::Delete => "DELETE",
            TriggerEvent::Truncate => "TRUNCATE",
        })
        .collect();
    let when = match &condition {
        Some(c) => {
            let (e, w) =
                super::view::convert_expression(c, cx.src.dialect, &cx.names, &target_schema)?;
            warnings.extend(w);
            format!(" WHEN ({e})")
        }
        None => String::new(),
    };
    let table = cx.names.qualified(&s.name, &tr.table);
    let create = format!(
        "CREATE TRIGGER {} {timing} {} ON {table} FOR EACH {}{when} EXECUTE FUNCTION {func}()",
        cx.names.ident(&tr.name),
        events.join(" OR "),
        if tr.for_each_row { "ROW" } else { "STATEMENT" }
    );
    Ok((vec![function, create], warnings))
}

/// A MySQL trigger for SQLite, or a SQLite trigger for MySQL, whose body only writes tables
/// (INSERT, UPDATE, DELETE, with NEW./OLD. values): the same statements, rewritten for the
/// target, with the same timing and event. A MySQL body that is one IF around them becomes the
/// SQLite trigger's WHEN, and a SQLite WHEN (or UPDATE OF columns) an IF around the MySQL body.
/// Anything else (SET NEW, variables, calls) is refused with the reason.
fn table_writing_trigger(
    cx: &Ctx,
    s: &Schema,
    tr: &Trigger,
    text: &str,
) -> Result<(Vec<String>, Vec<String>), String> {
    use super::procedural::statements;
    let target_schema = cx.names.schema(&s.name);
    let (body, mut condition) = if cx.src.dialect == Dialect::Sqlite {
        let t = crate::discovery::sqlite::parse_trigger(&tr.name, &tr.table, text);
        (t.body, t.condition)
    } else {
        let b = super::procedural::trigger_body(text);
        let up = b.to_ascii_uppercase();
        let inner =
            if up.starts_with("BEGIN") && up.trim_end().trim_end_matches(';').ends_with("END") {
                let end = up.trim_end().trim_end_matches(';').len() - 3;
                b[5..end].to_string()
            } else {
                b
            };
        (inner, None)
    };
    let mut pieces = statements(&body);
    // MySQL: one IF around the whole body.
    if cx.src.dialect == Dialect::MySql
        && pieces.len() >= 2
        && pieces[0].to_ascii_uppercase().starts_with("IF")
        && pieces
            .last()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("END IF"))
    {
        let first = pieces.remove(0);
        pieces.pop();
        let up = first.to_ascii_uppercase();
        let then = crate::sqltext::find_keyword(&up, "THEN", 0).ok_or("IF without THEN")?;
        let rest = first[then + 4..].trim().to_string();
        condition = Some(first[2..then].trim().to_string());
        if !rest.is_empty() {
            pieces.insert(0, rest);
        }
    }
    let mut out = vec![];
    let mut warnings = vec![];
    for p in &pieces {
        let up = p.trim_start().to_ascii_uppercase();
        if !["INSERT", "UPDATE", "DELETE", "REPLACE"]
            .iter()
            .any(|k| up.starts_with(k))
        {
            return Err(format!(
                "only triggers that write other tables are converted to {} (this one has: {})",
                cx.target.label(),
                first_line(p)
            ));
        }
        let (sql, w) =
            super::view::convert_statement(p, cx.src.dialect, &cx.names, &target_schema)?;
        warnings.extend(w);
        out.push(format!("    {sql};"));
    }
    if out.is_empty() {
        return Err("the trigger does nothing".into());
    }
    let timing = match tr.timing {
        TriggerTiming::Before => "BEFORE",
        TriggerTiming::After => "AFTER",
        TriggerTiming::InsteadOf => return Err("INSTEAD OF triggers are not converted".into()),
    };
    let [event] = tr.events.as_slice() else {
        return Err("a trigger on several events is not converted".into());
    };
    let event = match event {
        TriggerEvent::Insert => "INSERT",
        TriggerEvent::Update => "UPDATE",
        TriggerEvent::Delete => "DELETE",
        TriggerEvent::Truncate => return Err("TRUNCATE triggers do not exist here".into()),
    };
    let cols = if event == "UPDATE" {
        super::pg_triggers::update_of(tr.definition.as_deref().unwrap_or(text))
    } else {
        vec![]
    };
    let condition = match &condition {
        Some(c) => {
            let (e, w) =
                super::view::convert_expression(c, cx.src.dialect, &cx.names, &target_schema)?;
            warnings.extend(w);
            Some(e)
        }
        None => None,
    };
    let name = cx.names.ident(&tr.name);
    let table = cx.names.qualified(&s.name, &tr.table);
    let sql = if cx.target == Dialect::Sqlite {
        let of = if cols.is_empty() {
            String::new()
        } else {
            let c: Vec<String> = cols.iter().map(|c| cx.names.ident(c)).collect();
            format!(" OF {}", c.join(", "))
        };
        let when = condition.map(|c| format!(" WHEN {c}")).unwrap_or_default();
        format!(
            "CREATE TRIGGER IF NOT EXISTS {name} {timing} {event}{of} ON {table} FOR EACH ROW{when}\nBEGIN\n{}\nEND",
            out.join("\n")
        )
    } else {
        let mut conds: Vec<String> = condition.into_iter().collect();
        if !cols.is_empty() {
            conds.push(
                cols.iter()
                    .map(|c| {
                        let c = cx.names.ident(c);
                        format!("NOT (NEW.{c} <=> OLD.{c})")
                    })
                    .collect::<Vec<_>>()
                    .join(" OR "),
            );
        }
        let body = if conds.is_empty() {
            out.join("\n")
        } else {
            let c: Vec<String> = conds.iter().map(|c| format!("({c})")).collect();
            format!(
                "    IF {} THEN\n{}\n    END IF;",
                c.join(" AND "),
                out.iter()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        };
        format!(
            "CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW\nBEGIN\n{body}\nEND"
        )
    };
    Ok((vec![sql], warnings))
}

/// The PL/pgSQL body of the function a PostgreSQL trigger executes.
fn pg_trigger_function(cx: &Ctx, tr: &Trigger) -> Result<String, String> {
    let text = tr.definition.as_deref().unwrap_or(&tr.body);
    let up = text.to_ascii_uppercase();
    let p = up
        .find("EXECUTE FUNCTION ")
        .map(|p| p + 17)
        .or_else(|| up.find("EXECUTE PROCEDURE ").map(|p| p + 18))
        .ok_or("no EXECUTE FUNCTION in the trigger")?;
    let call = &text[p..];
    let name = call[..call.find('(').unwrap_or(call.len())].trim();
    let short = crate::sqltext::unquote_ident(name.rsplit('.').next().unwrap_or(name));
    let r = cx
        .src
        .catalog
        .schemas
        .iter()
        .flat_map(|s| s.routines.iter())
        .find(|r| r.name.eq_ignore_ascii_case(&short))
        .ok_or_else(|| format!("its function {name} is not in the source"))?;
    if !r
        .language
        .as_deref()
        .is_none_or(|l| l.eq_ignore_ascii_case("plpgsql"))
    {
        return Err(format!("its function {name} is not PL/pgSQL"));
    }
    if !call[call.find('(').unwrap_or(0)..]
        .trim_start_matches('(')
        .trim_start()
        .starts_with(')')
    {
        return Err(format!("its function {name} takes trigger arguments"));
    }
    Ok(r.body.clone())
}

/// The columns of `t` whose target type is boolean.
fn boolean_columns(cx: &Ctx, t: &Table) -> Vec<String> {
    t.columns
        .iter()
        .filter(|c| {
            matches!(
                final_type(cx, c).as_str(),
                "boolean" | "tinyint(1)" | "BOOLEAN"
            )
        })
        .map(|c| c.name.clone())
        .collect()
}

/// A MySQL procedure or function as a PL/pgSQL one.
fn routine(cx: &Ctx, s: &Schema, r: &Routine) -> Result<(String, Vec<String>), String> {
    let text = r.definition.clone().unwrap_or_default();
    let h = super::procedural::routine_header(&text)?;
    let target_schema = cx.names.schema(&s.name);
    let map = |ty: &str| -> Result<String, String> {
        cx.rules
            .map_type(&crate::sqltext::parse_declared_type(ty))
            .map(|x| x.0)
            .ok_or_else(|| format!("no mapping for the type {ty}"))
    };
    let mut params = vec![];
    for (mode, name, ty) in &h.parameters {
        let t = map(ty)?;
        params.push(if r.kind == RoutineKind::Procedure || mode != "IN" {
            format!("{mode} {} {t}", cx.names.ident(name))
        } else {
            format!("{} {t}", cx.names.ident(name))
        });
    }
    let b = super::procedural::convert_body(
        &h.body,
        cx.src.dialect,
        &cx.names,
        &target_schema,
        cx.rules,
    )?;
    let declare = if b.declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", b.declare.join("\n    "))
    };
    let name = cx.names.qualified(&s.name, &r.name);
    let body = format!(
        "$$\n{declare}BEGIN\n    {}\nEND\n$$",
        b.statements.join("\n    ")
    );
    let sql = match r.kind {
        RoutineKind::Function => {
            let returns = map(h.returns.as_deref().ok_or("a function without RETURNS")?)?;
            let volatility = if r.deterministic == Some(true) {
                " STABLE"
            } else {
                ""
            };
            format!(
                "CREATE OR REPLACE FUNCTION {name}({}) RETURNS {returns} LANGUAGE plpgsql{volatility} AS {body}",
                params.join(", ")
            )
        }
        RoutineKind::Procedure => format!(
            "CREATE OR REPLACE PROCEDURE {name}({}) LANGUAGE plpgsql AS {body}",
            params.join(", ")
        ),
    };
    Ok((sql, b.warnings))
}

/// A PL/SQL type as PL/pgSQL writes it: `%TYPE` / `%ROWTYPE` anchors kept (PostgreSQL reads
/// them), the rest through the type rules.
fn plsql_type(cx: &Ctx, ty: &str) -> Result<String, String> {
    let up = ty.to_ascii_uppercase();
    if up.ends_with("%TYPE") || up.ends_with("%ROWTYPE") {
        let p = ty.find('%').unwrap_or(ty.len());
        let anchor = ty[..p]
            .split('.')
            .map(|x| cx.names.ident(&crate::sqltext::unquote_ident(x)))
            .collect::<Vec<_>>()
            .join(".");
        return Ok(format!("{anchor}{}", &up[p..]));
    }
    if matches!(up.as_str(), "BOOLEAN" | "PLS_INTEGER" | "BINARY_INTEGER") {
        return Ok(if up == "BOOLEAN" {
            "boolean"
        } else {
            "integer"
        }
        .into());
    }
    cx.rules
        .map_type(&crate::sqltext::parse_declared_type(ty))
        .map(|x| x.0)
        .ok_or_else(|| format!("no mapping for the type {ty}"))
}

/// An Oracle procedure or function as a PL/pgSQL one.
fn oracle_routine(cx: &Ctx, s: &Schema, r: &Routine) -> Result<(String, Vec<String>), String> {
    let text = super::procedural::oracle_new_old(&r.definition.clone().unwrap_or_default());
    let h = super::procedural::oracle_routine(&text)?;
    let target_schema = cx.names.schema(&s.name);
    let expr =
        |e: &str| super::view::convert_expression(e, Dialect::Oracle, &cx.names, &target_schema);
    let mut warnings = vec![];
    let mut params = vec![];
    for (mode, name, ty, default) in &h.parameters {
        let t = plsql_type(cx, ty)?;
        let d = match default {
            Some(d) => {
                let (e, w) = expr(d)?;
                warnings.extend(w);
                format!(" DEFAULT {e}")
            }
            None => String::new(),
        };
        params.push(if mode == "IN" {
            format!("{} {t}{d}", cx.names.ident(name))
        } else {
            format!("{mode} {} {t}{d}", cx.names.ident(name))
        });
    }
    let mut declare = vec![];
    for d in &h.declarations {
        let up = d.to_ascii_uppercase();
        let first = up.split_whitespace().next().unwrap_or_default().to_string();
        if first == "CURSOR" {
            let is = crate::sqltext::find_keyword(&up, "IS", 0).ok_or("CURSOR without IS")?;
            let name = d[6..is].trim();
            if name.contains('(') {
                return Err("cursors with parameters are not converted yet".into());
            }
            let (q, w) = super::view::convert_statement(
                d[is + 2..].trim(),
                Dialect::Oracle,
                &cx.names,
                &target_schema,
            )?;
            warnings.extend(w);
            declare.push(format!("{} CURSOR FOR {q};", cx.names.ident(name)));
            continue;
        }
        if matches!(
            first.as_str(),
            "TYPE" | "SUBTYPE" | "PRAGMA" | "FUNCTION" | "PROCEDURE"
        ) || up.split_whitespace().nth(1) == Some("EXCEPTION")
        {
            return Err(format!("the declaration {first} ... is not converted yet"));
        }
        let (decl, init) = match find_assign(d) {
            Some((a, b)) => (a, Some(b)),
            None => (d.as_str(), None),
        };
        let mut words: Vec<&str> = decl.split_whitespace().collect();
        if words.len() < 2 {
            return Err(format!("unreadable declaration: {d}"));
        }
        let name = words.remove(0);
        let constant = words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("CONSTANT"));
        if constant {
            words.remove(0);
        }
        let not_null = decl.to_ascii_uppercase().contains("NOT NULL");
        let ty: Vec<&str> = words
            .iter()
            .take_while(|w| !w.eq_ignore_ascii_case("NOT"))
            .copied()
            .collect();
        let t = plsql_type(cx, &ty.join(" "))?;
        let init = match init {
            Some(i) => {
                let (e, w) = expr(i)?;
                warnings.extend(w);
                format!(" := {e}")
            }
            None => String::new(),
        };
        declare.push(format!(
            "{}{} {t}{}{init};",
            cx.names.ident(name),
            if constant { " CONSTANT" } else { "" },
            if not_null { " NOT NULL" } else { "" }
        ));
    }
    let b = super::procedural::convert_body(
        &h.body,
        Dialect::Oracle,
        &cx.names,
        &target_schema,
        cx.rules,
    )?;
    warnings.extend(b.warnings);
    declare.extend(b.declare);
    let declare = if declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", declare.join("\n    "))
    };
    let name = cx.names.qualified(&s.name, &r.name);
    let body = format!(
        "$$\n{declare}BEGIN\n    {}\nEND\n$$",
        b.statements.join("\n    ")
    );
    let sql = match r.kind {
        RoutineKind::Function => {
            let returns = plsql_type(cx, h.returns.as_deref().ok_or("a function without RETURN")?)?;
            format!(
                "CREATE OR REPLACE FUNCTION {name}({}) RETURNS {returns} LANGUAGE plpgsql AS {body}",
                params.join(", ")
            )
        }
        RoutineKind::Procedure => format!(
            "CREATE OR REPLACE PROCEDURE {name}({}) LANGUAGE plpgsql AS {body}",
            params.join(", ")
        ),
    };
    Ok((sql, warnings))
}

/// A T-SQL procedure or scalar function as a PL/pgSQL one; result sets come back through
/// INOUT refcursor parameters.
fn tsql_routine(cx: &Ctx, s: &Schema, r: &Routine) -> Result<(String, Vec<String>), String> {
    let text = r.definition.clone().unwrap_or_default();
    let (params, returns, body) = super::tsql::header(&text)?;
    let target_schema = cx.names.schema(&s.name);
    let map = |ty: &str| -> Result<String, String> {
        cx.rules
            .map_type(&crate::sqltext::parse_declared_type(ty))
            .map(|x| x.0)
            .ok_or_else(|| format!("no mapping for the type {ty}"))
    };
    let context = if r.kind == RoutineKind::Function {
        if returns
            .as_deref()
            .is_some_and(|t| t.to_ascii_uppercase().starts_with("TABLE") || t.starts_with('@'))
        {
            return Err("table-valued functions are not converted yet".into());
        }
        super::tsql::Context::Function
    } else {
        super::tsql::Context::Procedure
    };
    let b = super::tsql::convert_body(&body, context, &cx.names, &target_schema, cx.rules)?;
    let mut warnings = b.warnings;
    let mut ps = vec![];
    for (mode, name, ty, default) in &params {
        let t = map(ty)?;
        let d = match default {
            Some(d) => {
                let (e, w) =
                    super::view::convert_expression(d, Dialect::MsSql, &cx.names, &target_schema)?;
                warnings.extend(w);
                format!(" DEFAULT {e}")
            }
            None => String::new(),
        };
        ps.push(if mode == "IN" {
            format!("{name} {t}{d}")
        } else {
            format!("{mode} {name} {t}{d}")
        });
    }
    for i in 1..=b.result_sets {
        ps.push(format!("INOUT result{i} refcursor DEFAULT NULL"));
    }
    if b.result_sets > 0 {
        warnings.push(format!(
            "returns {} result set(s) through INOUT refcursor parameter(s) result1...: callers run CALL and then FETCH ALL FROM the returned cursor, in one transaction",
            b.result_sets
        ));
    }
    let declare = if b.declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", b.declare.join("\n    "))
    };
    let name = cx.names.qualified(&s.name, &r.name);
    let body = format!(
        "$$\n{declare}BEGIN\n    {}\nEND\n$$",
        b.statements.join("\n    ")
    );
    let sql = match context {
        super::tsql::Context::Function => format!(
            "CREATE OR REPLACE FUNCTION {name}({}) RETURNS {} LANGUAGE plpgsql AS {body}",
            ps.join(", "),
            map(returns.as_deref().ok_or("a function without RETURNS")?)?
        ),
        _ => format!(
            "CREATE OR REPLACE PROCEDURE {name}({}) LANGUAGE plpgsql AS {body}",
            ps.join(", ")
        ),
    };
    Ok((sql, warnings))
}

/// A T-SQL trigger as a PL/pgSQL function and one statement-level trigger per event, whose
/// transition tables are named `inserted` and `deleted` as in SQL Server.
fn tsql_trigger(
    cx: &Ctx,
    s: &Schema,
    tr: &Trigger,
    text: &str,
) -> Result<(Vec<String>, Vec<String>), String> {
    if tr.timing == TriggerTiming::InsteadOf {
        return Err("INSTEAD OF triggers are not converted yet".into());
    }
    let clean = super::procedural::strip_comments(text);
    let upper = clean.to_ascii_uppercase();
    // The body follows the AS after the event list.
    let on = crate::sqltext::find_keyword(&upper, "ON", 0).ok_or("no ON in the trigger")?;
    let as_pos =
        crate::sqltext::find_keyword(&upper, "AS", on).ok_or("no AS before the trigger body")?;
    let target_schema = cx.names.schema(&s.name);
    let b = super::tsql::convert_body(
        &clean[as_pos + 2..],
        super::tsql::Context::Trigger,
        &cx.names,
        &target_schema,
        cx.rules,
    )?;
    let mut warnings = b.warnings;
    let body_up = clean[as_pos..].to_ascii_lowercase();
    let func = cx.names.qualified(&s.name, &format!("{}_fn", tr.name));
    let declare = if b.declare.is_empty() {
        String::new()
    } else {
        format!("DECLARE\n    {}\n", b.declare.join("\n    "))
    };
    let mut out = vec![format!(
        "CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $$\n{declare}BEGIN\n    {}\n    RETURN NULL;\nEND\n$$",
        b.statements.join("\n    ")
    )];
    let table = cx.names.qualified(&s.name, &tr.table);
    for ev in &tr.events {
        let (event, refs, suffix) = match ev {
            TriggerEvent::Insert => ("INSERT", "NEW TABLE AS inserted", "insert"),
            TriggerEvent::Update => (
                "UPDATE",
                "OLD TABLE AS deleted NEW TABLE AS inserted",
                "update",
            ),
            TriggerEvent::Delete => ("DELETE", "OLD TABLE AS deleted", "delete"),
            TriggerEvent::Truncate => return Err("TRUNCATE triggers do not exist in T-SQL".into()),
        };
        let missing = match ev {
            TriggerEvent::Insert => "deleted",
            TriggerEvent::Delete => "inserted",
            _ => "",
        };
        if !missing.is_empty() && body_up.contains(missing) {
            warnings.push(format!(
                "the body reads {missing}, which PostgreSQL does not provide for {event}: that query fails there"
            ));
        }
        let name = if tr.events.len() > 1 {
            format!("{}_{suffix}", tr.name)
        } else {
            tr.name.clone()
        };
        out.push(format!(
            "CREATE TRIGGER {} AFTER {event} ON {table} REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {func}()",
            cx.names.ident(&name)
        ));
    }
    Ok((out, warnings))
}

/// `decl := init` or `decl DEFAULT init` in a PL/SQL declaration.
fn find_assign(d: &str) -> Option<(&str, &str)> {
    if let Some(p) = d.find(":=") {
        return Some((&d[..p], d[p + 2..].trim()));
    }
    let up = d.to_ascii_uppercase();
    crate::sqltext::find_keyword(&up, "DEFAULT", 0).map(|p| (&d[..p], d[p + 7..].trim()))
}

/// A table as read from a live catalog, written as DDL for the side-by-side view.
fn catalog_ddl(t: &Table) -> String {
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
