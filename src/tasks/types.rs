//! What a task is and what it gives back: settings and their choices, the task, table states and events, a table's result and the run's summary, a table prepared for loading and its key ranges.

use super::*;

/// How target tables are prepared before the load (DMS's TargetTablePrepMode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Prepare {
    /// Load into the tables as they are.
    DoNothing,
    /// Drop the tables and create them again (with the schema converter).
    DropAndCreate,
    /// Empty the tables first.
    #[default]
    Truncate,
}

/// What happens to a MySQL zero date (`0000-00-00`), which no other engine can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ZeroDates {
    /// Loaded as NULL, and counted.
    #[default]
    Null,
    /// The table fails with the row named.
    Error,
}

/// What happens to a NUL character (U+0000) in text bound for PostgreSQL, which cannot store
/// one (MySQL, MariaDB and SQLite text can hold it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NulChars {
    /// The row goes to the error policy, with the column named.
    #[default]
    Error,
    /// The NUL characters are removed, and every value so changed is counted.
    Remove,
}

/// What happens when the target refuses rows (DMS's error handling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorPolicy {
    /// The whole task stops (tables not finished are reloaded next time).
    StopTask,
    /// The table stops in the error state; the other tables go on.
    #[default]
    SuspendTable,
    /// Refused rows are kept in `tugboat_apply_exceptions` on the target and the load goes on.
    LogAndContinue,
}

/// How tables are validated after the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ValidateMode {
    None,
    /// Row counts on both sides.
    Counts,
    /// Counts, then every row compared on the primary key.
    #[default]
    Rows,
}

/// Task settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub prepare: Prepare,
    /// Create missing target tables through the schema converter, and post-data (keys,
    /// indexes, triggers, sequence values) after the load.
    pub create_schema: bool,
    pub max_parallel_tables: usize,
    /// Rows per batch (one channel message, one INSERT statement or COPY chunk).
    pub batch_rows: usize,
    pub zero_dates: ZeroDates,
    /// NUL characters in text for a PostgreSQL target.
    pub nul_chars: NulChars,
    pub error_policy: ErrorPolicy,
    /// Validation after the load.
    pub validate: ValidateMode,
    /// Limited LOB mode (DMS's LobMaxSize): LOB values longer than this many KiB are cut to
    /// it, and every cut is counted and reported. None: full LOB mode, nothing is cut.
    pub lob_max_kb: Option<u64>,
    /// Retries of a table (or key range) whose connection to either side was lost, after 1, 2,
    /// 4... seconds; the table is emptied and loaded again each time.
    pub retries: u32,
    /// Tables of at least twice this many rows (estimated) are loaded in parts of about this
    /// many rows, in parallel: key ranges of an integer primary key, else slices
    /// ([`Slice`]). 0: never split.
    pub partition_rows: u64,
    /// Full load and CDC: changes held in memory at most, all tables together, while their
    /// tables load (DMS's cached changes); a table whose changes go beyond has them read again
    /// from the log once it is loaded.
    pub cached_changes: usize,
    /// Full load and CDC: MiB those changes take in memory at most (as for `cached_changes`).
    pub cached_changes_mb: usize,
    /// Parquet targets: a table's files are about this many MiB each.
    pub file_mb: u64,
    /// Parquet targets: replicated changes are written at least this often (seconds).
    pub cdc_flush_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            prepare: Prepare::Truncate,
            create_schema: true,
            max_parallel_tables: 4,
            batch_rows: 5_000,
            zero_dates: ZeroDates::Null,
            nul_chars: NulChars::Error,
            error_policy: ErrorPolicy::SuspendTable,
            validate: ValidateMode::Rows,
            partition_rows: 1_000_000,
            lob_max_kb: None,
            retries: 5,
            cached_changes: super::replication::CACHE_CHANGES,
            cached_changes_mb: super::replication::CACHE_MB,
            file_mb: 64,
            cdc_flush_secs: 60,
        }
    }
}

/// A migration task as kept in a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Stable within the project: kept on rename (see [`crate::project::Project::ensure_ids`]).
    #[serde(default)]
    pub id: String,
    pub name: String,
    /// The source and target endpoints' ids in the project. A project file written by hand (or
    /// before ids) may name the endpoints instead: loading turns names into ids.
    pub source: String,
    pub target: String,
    /// Every table when left out.
    #[serde(default = "TableMappings::all")]
    pub mappings: TableMappings,
    #[serde(default)]
    pub settings: Settings,
    /// Full load, full load then ongoing replication, or replication only.
    #[serde(default)]
    pub task_type: super::replication::TaskType,
    /// A replicating task stops by itself once every transaction up to this is applied: a
    /// binary log `file:pos`, an LSN `X/Y` or a commit time (`2026-12-02T14:30:00Z`, see
    /// [`crate::cdc::StopAt`]). None: it runs until stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_at: Option<String>,
}

/// DMS's table states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableState {
    BeforeLoad,
    FullLoad,
    Completed,
    Error,
    Cancelled,
}

impl TableState {
    pub fn label(self) -> &'static str {
        match self {
            TableState::BeforeLoad => "Before load",
            TableState::FullLoad => "Full load",
            TableState::Completed => "Table completed",
            TableState::Error => "Table error",
            TableState::Cancelled => "Table cancelled",
        }
    }
}

/// What a running task reports.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskEvent {
    /// The plan: (source schema.table, target name, estimated rows) per table.
    Planned(Vec<(String, String, Option<i64>)>),
    Step(String),
    /// The target tables exist (created if the task creates the schema): rows start to move.
    SchemaReady,
    TableStarted {
        table: String,
    },
    Progress {
        table: String,
        rows: u64,
        bytes: u64,
    },
    TableSkipped {
        table: String,
        rows: u64,
    },
    TableDone {
        table: String,
        rows: u64,
        seconds: f64,
        zero_dates: u64,
        /// LOB values cut to the limit.
        lobs_truncated: u64,
        /// Text values whose NUL characters were removed.
        nuls_removed: u64,
    },
    TableFailed {
        table: String,
        error: String,
    },
    /// A table is loaded and has its primary key on the target (built after the load on
    /// PostgreSQL): changes can be applied to it by key.
    TableReady {
        table: String,
    },
    /// A table loads in `parts` key ranges, `done` of them finished.
    Ranges {
        table: String,
        parts: usize,
        done: usize,
    },
    Validated {
        table: String,
        source_rows: i64,
        target_rows: i64,
        /// DMS's words: Validated, Mismatched records, No primary key...
        state: String,
        /// Rows missing, extra or different.
        mismatched: u64,
        /// The first failures: (key, what, columns that differ).
        failures: Vec<(String, String, String)>,
    },
    /// A replicating task's figures, about once a second.
    Cdc(Box<super::replication::CdcStats>),
    /// Rows the target refused, kept in `tugboat_apply_exceptions` (the first ones of a table).
    RowsRefused {
        table: String,
        /// (error, values as JSON)
        rows: Vec<(String, String)>,
        total: u64,
    },
}

impl TaskEvent {
    /// The plan of a load: each table's source `schema.table`, its target (schema and table
    /// joined by `sep`: `.` in a database, `/` in a lake's folders) and its estimated rows.
    pub fn planned(plans: &[super::mappings::TablePlan], sep: &str) -> TaskEvent {
        TaskEvent::Planned(
            plans
                .iter()
                .map(|p| {
                    (
                        format!("{}.{}", p.source_schema, p.source_table),
                        format!("{}{sep}{}", p.target_schema, p.target_table),
                        p.table.stats.estimated_rows,
                    )
                })
                .collect(),
        )
    }
}

/// The outcome of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableResult {
    pub source: String,
    pub target: String,
    pub state: TableState,
    pub rows: u64,
    pub seconds: f64,
    /// Loaded by an earlier run and not touched.
    pub skipped: bool,
    pub zero_dates: u64,
    /// LOB values cut to the task's LOB limit.
    #[serde(default)]
    pub lobs_truncated: u64,
    /// Text values whose NUL characters were removed (PostgreSQL targets, `nul_chars: remove`).
    #[serde(default)]
    pub nuls_removed: u64,
    /// Rows passed to the target as the source's COPY text lines, not parsed into values and
    /// encoded again (`tasks::raw`).
    #[serde(default)]
    pub rows_as_lines: u64,
    /// Rows refused by the target and kept in `tugboat_apply_exceptions`.
    #[serde(default)]
    pub exceptions: u64,
    /// Of those, rows whose key another source's row holds (a consolidation).
    #[serde(default)]
    pub collisions: u64,
    pub error: Option<String>,
    /// (source rows, target rows) when validated.
    pub validation: Option<(i64, i64)>,
    /// The row-by-row comparison, when validated.
    #[serde(default)]
    pub validation_detail: Option<validate::Validation>,
    /// (source rows, target rows) counted range by range as each key range was loaded, while
    /// the others loaded: the table's counts, taken off the end of its load.
    #[serde(skip)]
    pub counted: Option<(i64, i64)>,
    /// Every row as written, hashed by key segment while it loaded ([`super::digest`]).
    #[serde(skip)]
    pub digest: Option<super::digest::Digest>,
}

impl TableResult {
    /// A table from `source` to `target` before its load: nothing done yet.
    pub fn new(source: String, target: String) -> TableResult {
        TableResult {
            source,
            target,
            state: TableState::BeforeLoad,
            rows: 0,
            seconds: 0.0,
            skipped: false,
            zero_dates: 0,
            lobs_truncated: 0,
            nuls_removed: 0,
            rows_as_lines: 0,
            exceptions: 0,
            collisions: 0,
            error: None,
            validation: None,
            validation_detail: None,
            counted: None,
            digest: None,
        }
    }

    /// DMS's validation words.
    pub fn validation_state(&self) -> &'static str {
        match (&self.validation_detail, self.validation) {
            (Some(d), _) if !d.ok() => "Mismatched records",
            (Some(d), _) => match &d.method {
                validate::Method::Rows
                | validate::Method::Checksums { .. }
                | validate::Method::ReadBack { .. }
                | validate::Method::Hashed { .. } => "Validated",
                validate::Method::TableChecksum(r) if r.starts_with("No primary key") => {
                    "No primary key (counts and checksums match)"
                }
                validate::Method::TableChecksum(_) => "Validated (table checksum)",
                validate::Method::CountsOnly(r) if r.starts_with("No primary key") => {
                    "No primary key (counts match)"
                }
                validate::Method::CountsOnly(_) => "Validated (counts)",
            },
            (None, None) => "Not validated",
            (None, Some((s, t))) if s == t => "Validated (counts)",
            (None, Some(_)) => "Mismatched records",
        }
    }

    /// Rows missing on the target, extra there, or different.
    pub fn mismatched(&self) -> u64 {
        self.validation_detail
            .as_ref()
            .map(|d| d.missing + d.extra + d.different)
            .unwrap_or(0)
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub task: String,
    pub tables: Vec<TableResult>,
    pub seconds: f64,
    /// The process's peak resident memory at the end of the run, in bytes (Linux).
    #[serde(default)]
    pub peak_memory: Option<u64>,
    /// Schema statements (keys, indexes, triggers, views...) that failed on the target.
    #[serde(default)]
    pub schema_failures: Vec<SchemaFailure>,
    /// Views and routines the task did not create, each with why.
    #[serde(default)]
    pub left_out: Vec<LeftOut>,
}

/// A view or routine a task does not create on the target, and why (it needs work in Schema
/// conversion, or names a table the task does not load, or the task renames tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftOut {
    /// "view public.film_list".
    pub object: String,
    pub reason: String,
}

/// A schema statement of a task that failed on the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaFailure {
    /// "index public.film_title_idx".
    pub object: String,
    pub statement: String,
    pub error: String,
    /// Recorded to be tried again once replication has caught up (full load and CDC): not a
    /// failure of the load itself.
    pub deferred: bool,
}

/// This process's resident memory now and at its peak, in bytes (from /proc on Linux; None
/// elsewhere).
pub fn memory_in_use() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()
            .map(|k| k * 1024)
    };
    Some((kb("VmRSS:")?, kb("VmHWM:")?))
}

impl Summary {
    /// Tables that failed or do not match, plus schema statements that failed for good: what
    /// makes the task unfinished.
    pub fn problems(&self) -> usize {
        self.failed() + self.schema_failures.iter().filter(|f| !f.deferred).count()
    }

    pub fn failed(&self) -> usize {
        self.tables
            .iter()
            .filter(|t| {
                t.state == TableState::Error
                    || t.validation.is_some_and(|(s, t)| s != t)
                    || t.validation_detail.as_ref().is_some_and(|d| !d.ok())
            })
            .count()
    }
}

/// One table ready to move: the plan, the target's spelling and each column's kinds.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub plan: TablePlan,
    pub label: String,
    /// The target table, quoted and qualified for the target engine.
    pub target_sql: String,
    /// (source column, target column quoted, source kind, target kind)
    pub columns: Vec<(String, String, Kind, Kind)>,
    /// The target columns' names as they are on the target (unquoted), in the same order.
    pub target_columns: Vec<String>,
    pub estimated_rows: Option<i64>,
    /// The key range this copy loads, when the table is loaded in ranges.
    pub range: Option<KeyRange>,
    /// Per column: the source SQL computing it (columns added by a transformation), or None.
    pub source_exprs: Vec<Option<String>>,
    /// Per column: a LOB (text, blob, bytea, clob... columns of unbounded size).
    pub lobs: Vec<bool>,
    /// Limited LOB mode: LOB values longer than this many bytes are cut to it (and counted).
    pub lob_limit: Option<u64>,
    /// The target cannot hold NUL characters in text (PostgreSQL): what to do with them.
    pub nul: Option<NulChars>,
    /// The primary key to build once the table is loaded (PostgreSQL tables the task creates).
    pub key_sql: Option<String>,
    /// The source's columns hold only values of their declared types (MySQL, PostgreSQL; a
    /// SQLite column can hold any value).
    pub typed_source: bool,
    /// The other tasks writing the target table (a consolidation), as the run started: a row
    /// refused for its key there is a collision with another source's row.
    pub shared_with: Vec<String>,
    /// Rows hashed as they are written ([`super::digest`]), in segments of this key column
    /// and width (None: the table as one segment); None: not hashed.
    pub digest: Option<Option<super::digest::Segments>>,
    /// The slice this copy loads, when a table without an integer key is loaded in slices.
    pub slice: Option<Slice>,
    /// A snapshot of the source this copy reads in (PostgreSQL: exported by
    /// `pg_export_snapshot()`), shared by the slices of one table.
    pub snapshot: Option<String>,
    /// The source's COPY lines go to the target as they are, not parsed into values and
    /// encoded again ([`super::raw`]).
    pub raw: Option<super::raw::Raw>,
    /// A slice's record (task, slice) to commit with its rows, as finished with their count
    /// (targets whose writer `commits_with_rows`, `tasks::slices`).
    pub slice_record: Option<(String, super::state::SliceState)>,
}

impl Prepared {
    /// `message`, the target's refusal of a row, said as a collision when the row's key is
    /// already there and other tasks write the table (another source's row holds the key).
    pub fn collision(&self, message: &str, cause: crate::error::Cause) -> Option<String> {
        (cause == crate::error::Cause::Duplicate && !self.shared_with.is_empty()).then(|| {
            format!(
                "key collision with another source's row (task {} writes this table too): {message}",
                self.shared_with.join(", ")
            )
        })
    }

    /// Consolidation: the index of the column telling this task's rows apart, and its value.
    pub fn owner(&self) -> Option<(usize, &str)> {
        let o = self.plan.owner.as_ref()?;
        let i = self
            .target_columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(&o.column))?;
        Some((i, o.value.as_str()))
    }

    /// Consolidation: the condition on the target (`engine`) selecting the rows this task owns
    /// (`"source_db" = 'eu'`); None when the task owns the whole table.
    pub fn owned_rows(&self, engine: Engine) -> Option<String> {
        let (i, value) = self.owner()?;
        Some(format!(
            "{} = {}",
            values::quote(engine, &self.target_columns[i]),
            values::text_literal(engine, value)
        ))
    }

    /// Cuts LOB value `v` of column `i` to the LOB limit (at a character boundary; binary values
    /// travel as hex, two digits a byte); true when it was cut.
    pub fn truncate_lob(&self, i: usize, v: &mut Option<String>) -> bool {
        let Some(s) = v.as_mut() else {
            return false;
        };
        match self.lob_cut(i, s).map(str::len) {
            Some(n) => {
                s.truncate(n);
                true
            }
            None => false,
        }
    }

    /// [`Prepared::truncate_lob`] of a borrowed value: the part kept, when it is cut.
    pub fn lob_cut<'a>(&self, i: usize, s: &'a str) -> Option<&'a str> {
        let (Some(limit), Some(true)) = (self.lob_limit, self.lobs.get(i)) else {
            return None;
        };
        let max = if self.columns[i].2 == Kind::Binary {
            limit.saturating_mul(2)
        } else {
            limit
        } as usize;
        if s.len() <= max {
            return None;
        }
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        Some(&s[..end])
    }

    /// Whether the target must have value `v` of column `i` changed by the task's settings
    /// before it can hold it: LOBs cut to the limit, NUL characters removed. Validation
    /// compares the source's values so changed.
    pub fn alters(&self, i: usize) -> bool {
        (self.lob_limit.is_some() && self.lobs.get(i).copied().unwrap_or(false))
            || self.nul == Some(NulChars::Remove) && self.holds_text(i)
    }

    /// Value `v` of column `i` as the load writes it by the task's settings (LOB cut, NUL
    /// characters removed), for comparing with the target.
    pub fn as_written(&self, i: usize, v: &mut Option<String>) {
        self.truncate_lob(i, v);
        if let Err(why) = self.fix_nul(i, v) {
            // The target cannot hold the value: it stays as it is, and the comparison finds it.
            tracing::trace!(target: "tugboat::tasks", "column {i}: {why}");
        }
    }

    /// Whether column `i` is text on the target (NUL characters matter there).
    pub(super) fn holds_text(&self, i: usize) -> bool {
        !matches!(
            self.columns[i].3,
            Kind::Binary | Kind::Integer | Kind::Decimal | Kind::Float | Kind::Bool | Kind::Bit(_)
        )
    }

    /// Removes NUL characters from value `v` of column `i` when the task says so. Ok(true):
    /// some were removed; Err: the target cannot hold the value (the error policy decides).
    pub fn fix_nul(&self, i: usize, v: &mut Option<String>) -> std::result::Result<bool, String> {
        let Some(s) = v.as_mut() else {
            return Ok(false);
        };
        match self.nul_fix(i, s)? {
            Some(clean) => {
                *s = clean;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// [`Prepared::fix_nul`] of a borrowed value: the value without its NUL characters, when
    /// it had some and the task removes them.
    pub fn nul_fix(&self, i: usize, s: &str) -> std::result::Result<Option<String>, String> {
        let Some(policy) = self.nul else {
            return Ok(None);
        };
        if !self.holds_text(i) || !s.as_bytes().contains(&0) {
            return Ok(None);
        }
        match policy {
            NulChars::Remove => Ok(Some(s.replace('\0', ""))),
            NulChars::Error => Err(format!(
                "column {}: the text holds a NUL character (U+0000), which PostgreSQL cannot store (task setting \"NUL characters\": remove them, or keep this error)",
                self.columns[i].0
            )),
        }
    }

    /// The SELECT-list expression reading column `i` on the source as canonical text (as the
    /// reader takes it: [`values::select_sql`]).
    pub fn source_value(&self, engine: Engine, i: usize) -> String {
        self.source_sql(engine, i, values::select_sql)
    }

    /// Column `i`'s canonical text computed on the source itself, for checksums computed there
    /// ([`values::canonical_sql`]).
    pub fn source_canonical(&self, engine: Engine, i: usize) -> String {
        self.source_sql(engine, i, values::canonical_sql)
    }

    fn source_sql(&self, engine: Engine, i: usize, f: fn(Engine, &str, Kind) -> String) -> String {
        let (c, _, k, _) = &self.columns[i];
        match self.source_exprs.get(i) {
            Some(Some(e)) => f(engine, &format!("({e})"), *k),
            _ => f(engine, &values::quote(engine, c), *k),
        }
    }
}

/// A range of a table's first primary-key column (integers), loaded on its own, in parallel
/// with the table's other ranges.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyRange {
    /// The key column's index in [`Prepared::columns`].
    pub column: usize,
    /// Inclusive; None: from the start.
    pub from: Option<i128>,
    /// Exclusive; None: to the end.
    pub to: Option<i128>,
}

impl KeyRange {
    /// The WHERE conditions on column `col` (quoted).
    pub fn conditions(&self, col: &str) -> Vec<String> {
        let mut out = vec![];
        if let Some(f) = self.from {
            out.push(format!("{col} >= {f}"));
        }
        if let Some(t) = self.to {
            out.push(format!("{col} < {t}"));
        }
        out
    }
}

/// A part of a table without an integer key, loaded on its own beside the table's other
/// slices. Its rows are picked on the source only: a slice's rows cannot be told apart on the
/// target (pages do not carry over, and another engine orders keys by another collation), so
/// a slice is never emptied or counted alone: the table is, as a whole.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Slice {
    /// PostgreSQL: the rows on pages `from..to` of the table (by CTID); None: open.
    Pages { from: Option<u64>, to: Option<u64> },
    /// The rows whose primary key (its columns, quoted) lies from `from` (inclusive) to `to`
    /// (exclusive), both tuples of the key's values as the source spells them; None: open.
    Keys {
        columns: Vec<String>,
        from: Option<Vec<String>>,
        to: Option<Vec<String>>,
    },
}

impl Slice {
    /// The WHERE conditions picking the slice's rows on the source (`engine`). The `to` of one
    /// slice and the `from` of the next are the same literals, so the source itself puts each
    /// row in exactly one slice, whatever its collation or the bounds' spelling.
    pub fn conditions(&self, engine: Engine) -> Vec<String> {
        let mut out = vec![];
        match self {
            Slice::Pages { from, to } => {
                if let Some(f) = from {
                    out.push(format!("ctid >= '({f},0)'::tid"));
                }
                if let Some(t) = to {
                    out.push(format!("ctid < '({t},0)'::tid"));
                }
            }
            Slice::Keys { columns, from, to } => {
                let lits = |v: &[String]| -> Vec<String> {
                    v.iter().map(|x| values::text_literal(engine, x)).collect()
                };
                if let Some(f) = from {
                    out.push(tuple_cmp(columns, &lits(f), ">"));
                }
                if let Some(t) = to {
                    out.push(tuple_cmp(columns, &lits(t), "<"));
                }
            }
        }
        out
    }
}

/// `(c1, c2, ...) >= (v1, v2, ...)` (`op` ">"; "<" for `<`), spelled out column by column so
/// every engine can use the key's index for its first column:
/// `c1 >= v1 AND (c1 > v1 OR (c2 >= v2))` and so on.
fn tuple_cmp(columns: &[String], values: &[String], op: &str) -> String {
    let n = columns.len().min(values.len());
    if n == 0 {
        return "1 = 1".into();
    }
    let last = match op {
        ">" => ">=",
        _ => "<",
    };
    let mut inner = format!("{} {last} {}", columns[n - 1], values[n - 1]);
    for i in (0..n - 1).rev() {
        inner = format!(
            "({c} {op} {v} OR ({c} = {v} AND {inner}))",
            c = columns[i],
            v = values[i]
        );
    }
    if n > 1 {
        let lead = match op {
            ">" => ">=",
            _ => "<=",
        };
        format!("{} {lead} {} AND {inner}", columns[0], values[0])
    } else {
        inner
    }
}
