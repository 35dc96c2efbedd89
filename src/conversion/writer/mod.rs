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
use super::names::{Names, literal, quote_for};
use super::rules::RuleSet;
use crate::assessment::codes::Code;
use crate::assessment::{ActionItem, Category, ObjectReport, Phase, Report, TargetStatement};
use crate::ddl::{Dialect, ObjectKind};
use crate::model::*;

mod code;
mod collation;
mod indexes;
mod keys;
mod routines;
mod table;
mod triggers;
mod types;

use code::*;
use collation::*;
use indexes::*;
use keys::*;
use routines::*;
use table::*;
use triggers::*;
use types::*;

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
    code: Code,
    category: Category,
    message: String,
    fix: &str,
    fragment: Option<String>,
    line: Option<usize>,
) -> ActionItem {
    ActionItem {
        code: code.as_str().into(),
        category,
        message,
        fragment,
        fix: fix.into(),
        line,
        effort_minutes: rules.effort(code.as_str(), category).per_occurrence_minutes,
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
                        Code::TB2013,
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
                    Code::TB2003,
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
        code: Code,
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
                        Code::TB1504,
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
            Code::TB1120,
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
            Code::TB1120,
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
                Code::TB1001,
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
            Code::TB1002,
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
    let mut groups: Vec<(String, bool, usize, usize)> = vec![];
    for p in problems {
        let key: String = p.message.split(':').next().unwrap_or_default().to_string();
        match groups.iter_mut().find(|g| g.0 == key && g.1 == p.kept) {
            Some(g) => g.2 += 1,
            None => groups.push((key, p.kept, 1, p.line)),
        }
    }
    for (message, kept, count, line) in groups {
        let mut o = cx.report(ObjectKind::Other, "", "data statements", None);
        o.source_line = Some(line);
        let mut a = if kept {
            item(
                rules,
                Code::TB1004,
                Category::Simple,
                format!(
                    "{count} data statement(s) converted with a warning: {message} (first at line {line})"
                ),
                "Check these rows on the target after the apply",
                None,
                Some(line),
            )
        } else {
            item(
                rules,
                Code::TB1003,
                Category::Simple,
                format!(
                    "{count} data statement(s) not converted: {message} (first at line {line})"
                ),
                "Load this data with a migration task or by hand",
                None,
                Some(line),
            )
        };
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
