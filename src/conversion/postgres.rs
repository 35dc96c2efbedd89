//! DDL for a PostgreSQL target. Pre-data: schemas, types, sequences, tables with their primary
//! keys. Post-data: unique constraints, checks, foreign keys, secondary indexes, triggers that
//! emulate MySQL's ON UPDATE, and sequence values after the load.

use std::collections::BTreeSet;

use super::Source;
use super::expr::{self, Default as Def};
use super::names::{Names, quote_pg};
use super::rules::RuleSet;
use crate::assessment::{ActionItem, Category, ObjectReport, Phase, Report, TargetStatement};
use crate::ddl::{Dialect, ObjectKind};
use crate::model::*;

struct Ctx<'a> {
    src: &'a Source,
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

/// Converts the source's model to PostgreSQL DDL and assesses it.
pub fn convert(src: &Source, rules: &RuleSet) -> Report {
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
    let mut cx = Ctx {
        src,
        tables,
        rules,
        names: Names::new(rules.options.fold_case, &rules.options.schema_map),
        objects: vec![],
    };
    let cat = &src.catalog;

    // Schemas.
    let mut schemas = BTreeSet::new();
    for s in &cat.schemas {
        let t = cx.names.schema(&s.name);
        if t != "public" && schemas.insert(t.clone()) {
            let mut o = cx.report(ObjectKind::Schema, &s.name, &s.name, None);
            o.target.push(TargetStatement {
                phase: Phase::PreData,
                sql: format!("CREATE SCHEMA IF NOT EXISTS {}", quote_pg(&t)),
            });
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
        target_dialect: Dialect::Postgres,
        statements: src.statements.clone(),
        objects: cx.objects,
        summary: vec![],
        total_effort_minutes: 0.0,
        data,
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
    let target_schema = cx.names.schema(&s.name);
    cx.names.claim(&target_schema, &cx.names.name(&q.name));
    let name = cx.names.qualified(&s.name, &q.name);
    let mut sql = format!("CREATE SEQUENCE IF NOT EXISTS {name}");
    if let Some(t) = &q.data_type
        && matches!(t.as_str(), "smallint" | "integer" | "bigint")
    {
        sql.push_str(&format!(" AS {t}"));
    }
    if let Some(i) = q.increment {
        sql.push_str(&format!(" INCREMENT BY {i}"));
    }
    if let Some(m) = q.min_value {
        sql.push_str(&format!(" MINVALUE {m}"));
    }
    if let Some(m) = q.max_value {
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
            sql: format!(
                "SELECT setval('{}', {next}, false)",
                name.replace('\'', "''")
            ),
        });
    }
    cx.push(o);
}

/// The target type of a column, and any action items the mapping raises.
fn column_type(cx: &Ctx, o: &ObjectReport, col: &Column) -> (String, Vec<ActionItem>) {
    let mut items = vec![];
    let t = &col.data_type;
    // User-defined types of a PostgreSQL source keep their (mapped) schema.
    if cx.src.dialect == Dialect::Postgres
        && t.type_schema.as_deref().is_some_and(|s| s != "pg_catalog")
    {
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
    if (t.name == "enum") && !t.values.is_empty() {
        let max = t
            .values
            .iter()
            .map(|v| v.chars().count())
            .max()
            .unwrap_or(1)
            .max(1);
        return (format!("varchar({max})"), items);
    }
    match cx.rules.map_type(t) {
        Some((ty, action)) => {
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
            (ty, items)
        }
        None => {
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
            ("text".into(), items)
        }
    }
}

fn table(cx: &mut Ctx, s: &Schema, t: &Table) {
    let mut o = cx.report(ObjectKind::Table, &s.name, &t.name, None);
    if o.source_sql.is_none() {
        o.source_sql = Some(catalog_ddl(t));
    }
    // Case-insensitive collations compare 'a' = 'A' in MySQL/SQL Server; PostgreSQL's default does not.
    let ci: Vec<String> = t
        .default_collation
        .iter()
        .chain(t.columns.iter().filter_map(|c| c.collation.as_ref()))
        .filter(|c| c.to_ascii_lowercase().contains("_ci"))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Scripts without COLLATE get the server default: case-insensitive in MySQL and SQL Server.
    let has_text = t.columns.iter().any(|c| {
        let n = c.data_type.name.as_str();
        n.contains("char") || n.contains("text") || n == "enum" || n == "set"
    });
    let ci = if ci.is_empty()
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
    };
    if !ci.is_empty() && cx.src.dialect != Dialect::Postgres {
        let a = cx.action(
            &o,
            "TB1117",
            Category::Simple,
            format!("Case-insensitive collation {} becomes PostgreSQL's case-sensitive default: 'a' = 'A' no longer holds", ci.join(", ")),
            "Use citext, lower() in comparisons, or a nondeterministic ICU collation where case must not matter",
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
                "Table name {} is longer than 63 bytes; shortened to {}",
                t.name,
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
    for col in &t.columns {
        let (mut ty, items) = column_type(cx, &o, col);
        let native_enum = cx.src.dialect != Dialect::Postgres
            && col.data_type.name == "enum"
            && !col.data_type.values.is_empty()
            && cx.rules.options.enum_as == super::rules::EnumStyle::NativeEnum;
        if native_enum {
            let type_name = cx
                .names
                .qualified(&s.name, &format!("{}_{}", t.name, col.name));
            let v: Vec<String> = col
                .data_type
                .values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
                .collect();
            types.push(format!(
                "CREATE TYPE {type_name} AS ENUM ({})",
                v.join(", ")
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
        let identity = match &col.identity {
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
                let always = *always && cx.src.dialect == Dialect::Postgres;
                Some(format!(
                    "GENERATED {} AS IDENTITY{}",
                    if always { "ALWAYS" } else { "BY DEFAULT" },
                    if opts.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", opts.join(" "))
                    }
                ))
            }
            _ => None,
        };
        if identity.is_some() && !matches!(ty.as_str(), "smallint" | "integer" | "bigint") {
            let a = cx.action(
                &o,
                "TB1112",
                Category::Simple,
                format!(
                    "Identity column {} mapped to {ty}, which cannot be an identity; bigint used",
                    col.name
                ),
                "Check the value range",
                None,
            );
            o.action_items.push(a);
            ty = "bigint".into();
        }
        line.push_str(&ty);
        if let Some(g) = &col.generated {
            let target_schema_for_expr = cx.names.schema(&s.name);
            let e = if cx.src.dialect == Dialect::Postgres {
                g.expression.clone()
            } else {
                super::view::convert_expression(
                    &g.expression,
                    cx.src.dialect,
                    &cx.names,
                    &target_schema_for_expr,
                )
                .map(|x| x.0)
                .unwrap_or_else(|_| expr::requote(&g.expression, cx.names.fold))
            };
            line.push_str(&format!(" GENERATED ALWAYS AS ({e}) STORED"));
            let fragment = Some(g.expression.clone());
            if !g.stored {
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
            if cx.src.dialect != Dialect::Postgres {
                let a = cx.action(&o, "TB1114", Category::Simple, format!("Generated column {}: check that its expression means the same on PostgreSQL", col.name), "Test the expression on the target", fragment);
                o.action_items.push(a);
            }
        }
        if let Some(id) = &identity {
            line.push_str(&format!(" {id}"));
        }
        if !col.nullable || pk_cols.iter().any(|p| p.eq_ignore_ascii_case(&col.name)) {
            line.push_str(" NOT NULL");
        }
        if col.generated.is_none()
            && identity.is_none()
            && let Some(d) = &col.default
        {
            match expr::convert_default(d, &ty, cx.src.dialect, cx.rules) {
                Def::Value(v) => line.push_str(&format!(
                    " DEFAULT {}",
                    if cx.src.dialect == Dialect::Postgres {
                        v
                    } else {
                        expr::requote(&v, cx.names.fold)
                    }
                )),
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
        if col.data_type.name == "enum" && !col.data_type.values.is_empty() && !native_enum {
            let v: Vec<String> = col
                .data_type
                .values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
                .collect();
            line.push_str(&format!(" CHECK ({cname} IN ({}))", v.join(", ")));
        }
        lines.push(line);
        if let Some(u) = &col.on_update {
            let func = cx
                .names
                .qualified(&s.name, &format!("{}_{}_on_update", t.name, col.name));
            let trig = quote_pg(&cx.names.name(&format!("{}_{}_on_update", t.name, col.name)));
            let value = match expr::convert_default(u, &ty, cx.src.dialect, cx.rules) {
                Def::Value(v) => v,
                _ => "CURRENT_TIMESTAMP".into(),
            };
            post.push(format!(
                "CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF NEW.{cname} IS NOT DISTINCT FROM OLD.{cname} THEN\n        NEW.{cname} := {value};\n    END IF;\n    RETURN NEW;\nEND\n$$"
            ));
            post.push(format!(
                "CREATE TRIGGER {trig} BEFORE UPDATE ON {qt} FOR EACH ROW EXECUTE FUNCTION {func}()"
            ));
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
        if identity.is_some() {
            post.push(format!(
                "SELECT setval(pg_get_serial_sequence('{}', '{}'), coalesce(max({cname}), 0) + 1, false) FROM {qt}",
                qt.replace('\'', "''"),
                cx.names.name(&col.name).replace('\'', "''")
            ));
        }
    }
    if let Some(pk) = &t.primary_key {
        let cols: Vec<String> = pk.columns.iter().map(|c| cx.names.ident(c)).collect();
        let name = pk
            .name
            .as_ref()
            .filter(|n| !n.eq_ignore_ascii_case("PRIMARY"))
            .map(|n| {
                format!(
                    "CONSTRAINT {} ",
                    quote_pg(&cx.names.unique_relation(&target_schema, &t.name, n))
                )
            })
            .unwrap_or_default();
        lines.push(format!("    {name}PRIMARY KEY ({})", cols.join(", ")));
    }
    for sql in types {
        o.target.push(TargetStatement {
            phase: Phase::PreData,
            sql,
        });
    }
    o.target.push(TargetStatement {
        phase: Phase::PreData,
        sql: format!(
            "CREATE TABLE IF NOT EXISTS {qt} (\n{}\n)",
            lines.join(",\n")
        ),
    });
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
    for p in post {
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: p,
        });
    }
    cx.push(o);
}

fn constraints_and_indexes(cx: &mut Ctx, s: &Schema, t: &Table) {
    let qt = cx.names.qualified(&s.name, &t.name);
    let target_schema = cx.names.schema(&s.name);
    let cols = |cx: &Ctx, v: &[String]| {
        v.iter()
            .map(|c| cx.names.ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (i, u) in t.unique_constraints.iter().enumerate() {
        let wanted = u
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_key", t.name, u.columns.join("_")));
        let name = cx.names.unique_relation(&target_schema, &t.name, &wanted);
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
                quote_pg(&name),
                cols(cx, &u.columns)
            ),
        });
        cx.push(o);
    }
    for (i, c) in t.check_constraints.iter().enumerate() {
        let label = c
            .name
            .clone()
            .unwrap_or_else(|| format!("{} check #{}", t.name, i + 1));
        let mut o = cx.report(ObjectKind::Constraint, &s.name, &label, Some(&t.name));
        o.source_line = cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line);
        let e = if cx.src.dialect == Dialect::Postgres {
            c.expression.clone()
        } else {
            super::view::convert_expression_with_booleans(
                &c.expression,
                cx.src.dialect,
                &cx.names,
                &target_schema,
                &boolean_columns(cx, t),
            )
            .unwrap_or_else(|_| expr::requote(&c.expression, cx.names.fold))
        };
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
        let name = format!("CONSTRAINT {} ", quote_pg(&cx.names.name(&name)));
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
        let mut ref_cols = f.referenced_columns.clone();
        if ref_cols.is_empty() {
            ref_cols = cx
                .src
                .catalog
                .schemas
                .iter()
                .flat_map(|x| x.tables.iter())
                .find(|x| x.name.eq_ignore_ascii_case(&f.referenced_table))
                .and_then(|x| x.primary_key.as_ref().map(|p| p.columns.clone()))
                .unwrap_or_default();
        }
        let name = f
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_fkey", t.name, f.columns.join("_")));
        let name = format!("CONSTRAINT {} ", quote_pg(&cx.names.name(&name)));
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: format!(
                "ALTER TABLE {qt} ADD {name}FOREIGN KEY ({}) REFERENCES {} ({}) ON UPDATE {} ON DELETE {}",
                cols(cx, &f.columns),
                cx.names.qualified(&ref_schema, &f.referenced_table),
                cols(cx, &ref_cols),
                f.on_update.sql(),
                f.on_delete.sql()
            ),
        });
        cx.push(o);
    }
    for ix in &t.indexes {
        let name = cx.names.unique_relation(&target_schema, &t.name, &ix.name);
        let mut o = cx.report(ObjectKind::Index, &s.name, &ix.name, Some(&t.name));
        if o.source_line.is_none() {
            o.source_line = cx.src.origin(ObjectKind::Table, &t.name).map(|x| x.line);
        }
        let method = ix.method.clone().unwrap_or_default();
        let mut parts = vec![];
        for p in &ix.parts {
            let mut text = match (&p.column, &p.expression) {
                (Some(c), _) => cx.names.ident(c),
                (None, Some(e)) if cx.src.dialect == Dialect::Postgres => e.clone(),
                (None, Some(e)) => format!("({})", expr::requote(e, cx.names.fold)),
                _ => continue,
            };
            if p.prefix_length.is_some() && method != "fulltext" {
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
            if p.descending {
                text.push_str(" DESC");
            }
            parts.push(text);
        }
        let (using, parts) = match method.as_str() {
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
                if cx.src.dialect == Dialect::Postgres {
                    format!(" WHERE {p}")
                } else {
                    let e = super::view::convert_expression_with_booleans(
                        p,
                        cx.src.dialect,
                        &cx.names,
                        &target_schema,
                        &boolean_columns(cx, t),
                    )
                    .unwrap_or_else(|_| expr::requote(p, cx.names.fold));
                    format!(" WHERE {e}")
                }
            })
            .unwrap_or_default();
        o.target.push(TargetStatement {
            phase: Phase::PostData,
            sql: format!(
                "CREATE {}INDEX IF NOT EXISTS {} ON {qt}{using} ({}){predicate}",
                if ix.unique { "UNIQUE " } else { "" },
                quote_pg(&name),
                parts.join(", ")
            ),
        });
        cx.push(o);
    }
}

/// Views, routines, triggers and other code objects: not converted yet, each explained.
fn code_objects(cx: &mut Ctx, s: &Schema) {
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
        if cx.src.dialect == Dialect::Postgres {
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
            match super::view::convert_view(&source_sql, cx.src.dialect, &cx.names, &target_schema)
            {
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
                    o.target.push(TargetStatement {
                        phase: Phase::PostData,
                        sql: format!("CREATE OR REPLACE VIEW {name}{cols} AS\n{}", cv.query),
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
                        "Rewrite the query for PostgreSQL by hand",
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
        if cx.src.dialect == Dialect::Postgres && r.definition.is_some() {
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
        } else if cx.src.dialect == Dialect::MySql && r.definition.is_some() {
            match routine(cx, s, r) {
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
                format!("{} bodies are not converted yet", cx.src.dialect.label()),
                "Rewrite the body in PL/pgSQL",
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
        if cx.src.dialect == Dialect::Postgres && tr.definition.is_some() {
            o.target.push(TargetStatement {
                phase: Phase::PostData,
                sql: text,
            });
        } else if matches!(
            cx.src.dialect,
            Dialect::MySql | Dialect::Sqlite | Dialect::Oracle
        ) {
            match trigger(cx, s, tr, &text) {
                Ok((statements, warnings)) => {
                    for sql in statements {
                        o.target.push(TargetStatement {
                            phase: Phase::PostData,
                            sql,
                        });
                    }
                    for w in warnings {
                        let a = cx.action(
                            &o,
                            "TB2013",
                            Category::Simple,
                            format!("Trigger {}: {w}", tr.name),
                            "Check the trigger's behaviour on the target",
                            None,
                        );
                        o.action_items.push(a);
                    }
                }
                Err(why) => {
                    let a = cx.action(
                        &o,
                        "TB2003",
                        Category::Complex,
                        format!("Trigger not converted: {why}"),
                        "Write the PL/pgSQL trigger function by hand",
                        Some(first_line(&text)),
                    );
                    o.action_items.push(a);
                }
            }
        } else {
            let a = cx.action(
                &o,
                "TB2003",
                Category::Complex,
                format!(
                    "{} trigger bodies are not converted yet",
                    cx.src.dialect.label()
                ),
                "Write a PL/pgSQL trigger function and a CREATE TRIGGER",
                Some(first_line(&text)),
            );
            o.action_items.push(a);
        }
        cx.push(o);
    }
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
    if s.name
        == cx
            .src
            .catalog
            .schemas
            .first()
            .map(|x| x.name.clone())
            .unwrap_or_default()
    {
        for (kind, name) in known {
            let mut o = cx.report(kind, &s.name, &name, None);
            o.lines_of_code = o.source_sql.as_deref().map(loc).unwrap_or(0);
            let (code, cat, msg, fix) = match kind {
                ObjectKind::Package | ObjectKind::PackageBody => (
                    "TB2004",
                    Category::NotConvertible,
                    "Oracle packages have no PostgreSQL equivalent",
                    "Move the package's routines into a schema of functions; package state needs a table or session variables",
                ),
                ObjectKind::Synonym => (
                    "TB2005",
                    Category::Simple,
                    "Synonyms have no PostgreSQL equivalent",
                    "Use the search_path or a view",
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
                    "Scheduled events have no PostgreSQL equivalent",
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
}

/// The target type a column gets, identity columns being integers.
fn final_type(cx: &Ctx, col: &Column) -> String {
    let dummy = cx.report(ObjectKind::Table, "", "", None);
    let ty = column_type(cx, &dummy, col).0;
    if col.identity.is_some() && !matches!(ty.as_str(), "smallint" | "integer" | "bigint") {
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
        return Some(final_type(cx, rc));
    }
    None
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
    let returns = match (tr.timing, tr.events.as_slice()) {
        (TriggerTiming::After, _) => "RETURN NULL;",
        (_, [TriggerEvent::Delete]) => "RETURN OLD;",
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
        quote_pg(&cx.names.name(&tr.name)),
        events.join(" OR "),
        if tr.for_each_row { "ROW" } else { "STATEMENT" }
    );
    Ok((vec![function, create], warnings))
}

/// The columns of `t` whose target type is boolean.
fn boolean_columns(cx: &Ctx, t: &Table) -> Vec<String> {
    t.columns
        .iter()
        .filter(|c| final_type(cx, c) == "boolean")
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
