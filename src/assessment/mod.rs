//! The assessment report, in AWS SCT's terms: every object with its category (the highest of its
//! action items), every action item with a stable code, where it comes from, the fragment, a
//! suggested fix and the estimated effort; a summary per object kind. Exports live in [`export`].

pub mod codes;
pub mod export;
pub mod order;

use serde::{Deserialize, Serialize};

use crate::ddl::parse::StatementCounts;
use crate::ddl::{Dialect, ObjectKind};

/// How much work an object needs, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Category {
    /// Converted automatically.
    Automatic,
    /// Simple action: minutes of work.
    Simple,
    /// Medium-complexity action.
    Medium,
    /// Complex action: a rewrite.
    Complex,
    /// No equivalent on the target.
    NotConvertible,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Automatic,
        Category::Simple,
        Category::Medium,
        Category::Complex,
        Category::NotConvertible,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Category::Automatic => "converted automatically",
            Category::Simple => "simple action",
            Category::Medium => "medium-complexity action",
            Category::Complex => "complex action",
            Category::NotConvertible => "not convertible",
        }
    }
}

/// One thing a person must look at or do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionItem {
    /// Stable code, e.g. `TB1101`.
    pub code: String,
    pub category: Category,
    pub message: String,
    /// The offending source fragment.
    pub fragment: Option<String>,
    pub fix: String,
    /// Source line (scripts), when known.
    pub line: Option<usize>,
    /// Estimated minutes for this occurrence.
    pub effort_minutes: f64,
}

/// When a converted statement is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Phase {
    /// Schemas, types, sequences, tables with primary keys: before the data load.
    PreData,
    /// Secondary indexes, unique and foreign keys, checks, triggers, views, routines, sequence
    /// values: after the data load.
    PostData,
}

/// One converted statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetStatement {
    pub phase: Phase,
    pub sql: String,
}

/// One source object and its conversion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectReport {
    pub kind: ObjectKind,
    pub schema: String,
    pub name: String,
    /// The table of an index, constraint or trigger.
    pub table: Option<String>,
    pub category: Category,
    pub source_line: Option<usize>,
    pub source_sql: Option<String>,
    pub target: Vec<TargetStatement>,
    pub action_items: Vec<ActionItem>,
    /// Lines of source code (code objects).
    pub lines_of_code: usize,
    /// The target SQL is the user's edit (kept in the project), not the converter's.
    #[serde(default)]
    pub edited: bool,
    /// Whether its statements ran on a real engine of the target's kind ([`Report::verification`]
    /// says which): `Some(false)` when one failed (an action item TB1900 says how), `None` when
    /// not verified.
    #[serde(default)]
    pub verified: Option<bool>,
}

impl ObjectReport {
    /// The highest category of the action items (automatic when there are none).
    pub fn recompute_category(&mut self) {
        self.category = self
            .action_items
            .iter()
            .map(|a| a.category)
            .max()
            .unwrap_or(Category::Automatic);
    }
}

/// Counts per category for one object kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KindSummary {
    pub kind: String,
    pub code_object: bool,
    pub total: usize,
    /// Indexed like [`Category::ALL`].
    pub per_category: [usize; 5],
    pub lines_of_code: usize,
    pub effort_minutes: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Version of this JSON layout (see docs/report-schema.md).
    pub report_version: u32,
    pub source: String,
    pub source_dialect: Dialect,
    pub target_dialect: Dialect,
    pub statements: Option<StatementCounts>,
    pub objects: Vec<ObjectReport>,
    pub summary: Vec<KindSummary>,
    /// Sum of per-occurrence effort plus one learning effort per action-item code.
    pub total_effort_minutes: f64,
    /// The script's INSERT statements, converted (applied between pre-data and post-data).
    #[serde(default)]
    pub data: Vec<DataStatement>,
    /// The engine the converted statements were proven on, or `None`: unverified.
    #[serde(default)]
    pub verification: Option<Verification>,
    /// Every statement of a script source and what became of it (empty for live sources).
    #[serde(default)]
    pub ledger: Vec<LedgerEntry>,
}

/// One source statement and its one outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub line: usize,
    /// What it is: "CREATE TABLE actor", "INSERT film", "SET".
    pub statement: String,
    pub outcome: LedgerOutcome,
}

/// What became of a source statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LedgerOutcome {
    /// Converted into these objects (or folded into them: an ALTER TABLE, a COMMENT), all
    /// converted automatically.
    Converted { objects: Vec<String> },
    /// Converted into these objects, some of which carry action items (or not converted at
    /// all, with the action item saying why).
    ActionItem {
        objects: Vec<String>,
        codes: Vec<String>,
    },
    /// A data statement (INSERT, UPDATE, DELETE, COPY, a sequence position): applied with
    /// `--with-data` when converted, else an action item TB1003 says why not.
    Data { table: String, converted: bool },
    /// Left out on purpose, with the reason (USE, SET, GRANT, DROP...).
    Ignored { reason: String },
    /// Nothing says what became of it: a defect of Tugboat's (tests require none).
    Unaccounted,
}

impl LedgerOutcome {
    pub const LABELS: [&'static str; 5] = [
        "converted",
        "with action items",
        "data",
        "ignored on purpose",
        "unaccounted",
    ];

    /// Index in [`LedgerOutcome::LABELS`].
    pub fn index(&self) -> usize {
        match self {
            LedgerOutcome::Converted { .. } => 0,
            LedgerOutcome::ActionItem { .. } => 1,
            LedgerOutcome::Data { .. } => 2,
            LedgerOutcome::Ignored { .. } => 3,
            LedgerOutcome::Unaccounted => 4,
        }
    }

    /// One line for tables and CSV.
    pub fn describe(&self) -> String {
        match self {
            LedgerOutcome::Converted { objects } => format!("converted: {}", objects.join(", ")),
            LedgerOutcome::ActionItem { objects, codes } => {
                format!("action items {}: {}", codes.join(", "), objects.join(", "))
            }
            LedgerOutcome::Data { table, converted } => format!(
                "data for {table}{}",
                if *converted {
                    ""
                } else {
                    " (not converted: TB1003)"
                }
            ),
            LedgerOutcome::Ignored { reason } => format!("ignored: {reason}"),
            LedgerOutcome::Unaccounted => "UNACCOUNTED".into(),
        }
    }
}

/// How a report's conversion was proven: every statement applied, in dependency order, on a
/// real engine of the target's kind, in a scratch area that was then removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Product and version, e.g. "PostgreSQL 15.19" or "SQLite 3.46.0 (in memory)".
    pub engine: String,
    /// Where: "a transaction rolled back", "scratch database tugboat_verify_...".
    pub scratch: String,
    pub statements: usize,
    pub statements_failed: usize,
    /// Objects with a failed statement (each has an action item TB1900).
    pub objects_failed: usize,
    /// Objects whose statements could not be run there (e.g. edited by hand where the scratch
    /// area renames schemas): reported as unverified.
    pub objects_unverified: usize,
    pub millis: u64,
}

impl Verification {
    /// "verified on PostgreSQL 15.19: 812 statements in 1.4 s, 3 objects failed".
    pub fn summary(&self) -> String {
        let mut s = format!(
            "verified on {}: {} statements in {:.1} s, {} object(s) failed",
            self.engine,
            self.statements,
            self.millis as f64 / 1000.0,
            self.objects_failed
        );
        if self.objects_unverified > 0 {
            s.push_str(&format!(", {} not verifiable", self.objects_unverified));
        }
        s
    }
}

impl Report {
    pub const VERSION: u32 = 1;

    /// Builds the summary and totals from the objects; `learning` gives each code's one-time effort.
    pub fn summarise(&mut self, learning: impl Fn(&str, Category) -> f64) {
        let mut kinds: Vec<KindSummary> = vec![];
        for o in &self.objects {
            let label = o.kind.label().to_string();
            let i = match kinds.iter().position(|k| k.kind == label) {
                Some(i) => i,
                None => {
                    kinds.push(KindSummary {
                        kind: label,
                        code_object: o.kind.is_code(),
                        ..Default::default()
                    });
                    kinds.len() - 1
                }
            };
            let k = &mut kinds[i];
            k.total += 1;
            k.per_category[o.category as usize] += 1;
            k.lines_of_code += o.lines_of_code;
            k.effort_minutes += o.action_items.iter().map(|a| a.effort_minutes).sum::<f64>();
        }
        kinds.sort_by(|a, b| (a.code_object, &a.kind).cmp(&(b.code_object, &b.kind)));
        let mut codes: Vec<(String, Category)> = self
            .objects
            .iter()
            .flat_map(|o| o.action_items.iter().map(|a| (a.code.clone(), a.category)))
            .collect();
        codes.sort();
        codes.dedup_by(|a, b| a.0 == b.0);
        let learning_total: f64 = codes.iter().map(|(c, cat)| learning(c, *cat)).sum();
        self.total_effort_minutes =
            kinds.iter().map(|k| k.effort_minutes).sum::<f64>() + learning_total;
        self.summary = kinds;
    }

    /// Statements per ledger outcome (indexed like [`LedgerOutcome::LABELS`]).
    pub fn ledger_totals(&self) -> [usize; 5] {
        let mut out = [0; 5];
        for e in &self.ledger {
            out[e.outcome.index()] += 1;
        }
        out
    }

    /// Objects per category over the whole report.
    pub fn per_category(&self) -> [usize; 5] {
        let mut out = [0; 5];
        for o in &self.objects {
            out[o.category as usize] += 1;
        }
        out
    }

    /// Replaces the converter's output with the user's edits (matched by kind, schema, name).
    /// Returns how many edits found their object.
    pub fn apply_edits(&mut self, edits: &[ObjectEdit]) -> usize {
        let mut applied = 0;
        for e in edits {
            if let Some(o) = self
                .objects
                .iter_mut()
                .find(|o| o.kind == e.kind && o.schema == e.schema && o.name == e.name)
            {
                let sql = e.sql.trim().trim_end_matches(';').to_string();
                if o.target.len() == 1 && o.target[0].sql == sql {
                    // Already this edit (applied before verification): nothing changes.
                    o.edited = true;
                    applied += 1;
                    continue;
                }
                // The verification was of the converter's SQL, not this (a failure's action
                // item stays: the edit is the user's answer to it).
                if o.verified.take().is_some()
                    && let Some(v) = self.verification.as_mut()
                {
                    v.objects_unverified += 1;
                }
                let phase = o
                    .target
                    .first()
                    .map(|t| t.phase)
                    .unwrap_or(if o.kind.is_code() {
                        Phase::PostData
                    } else {
                        Phase::PreData
                    });
                o.target = vec![TargetStatement { phase, sql }];
                o.edited = true;
                applied += 1;
            }
        }
        applied
    }

    /// All converted statements of a phase, in dependency order (with the data statements
    /// between the phases when `with_data`).
    pub fn script(&self, phase: Option<Phase>, with_data: bool) -> String {
        let mut out = String::new();
        match &self.verification {
            Some(v) => out.push_str(&format!("-- {}\n", v.summary())),
            None => out.push_str("-- not verified on a target engine\n"),
        }
        for p in [Phase::PreData, Phase::PostData] {
            if phase.is_some_and(|x| x != p) {
                continue;
            }
            if p == Phase::PostData && with_data && !self.data.is_empty() {
                out.push_str(&format!(
                    "-- data: {} statements, {} rows --\n",
                    self.data.len(),
                    self.data.iter().map(|d| d.rows).sum::<usize>()
                ));
                for d in &self.data {
                    out.push_str(&d.sql);
                    out.push_str(";\n");
                }
                out.push('\n');
            }
            out.push_str(&format!(
                "-- {} --\n",
                if p == Phase::PreData {
                    "pre-data: schemas, types, sequences, tables"
                } else {
                    "post-data: keys, indexes, triggers, views, routines, sequence values"
                }
            ));
            for (oi, si) in order::ordered(self, p) {
                out.push_str(&self.objects[oi].target[si].sql);
                out.push_str(";\n");
            }
            out.push('\n');
        }
        out
    }
}

/// One converted data statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataStatement {
    pub table: String,
    pub rows: usize,
    pub sql: String,
    /// Source line.
    pub line: usize,
}

/// The user's SQL for one object of a conversion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectEdit {
    pub kind: crate::ddl::ObjectKind,
    pub schema: String,
    pub name: String,
    pub sql: String,
}
