//! What a replicating task is and reports, as the task definition, the runner, the app and the
//! CLI read it: its type ([`TaskType`]), its phase, its figures ([`CdcStats`]) and each table's
//! counts ([`TableCounts`]). The replication itself is [`crate::cdc`], above this.

use serde::{Deserialize, Serialize};

/// Where a replicating task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicationPhase {
    /// The full load runs; changes wait for their table's load.
    FullLoad,
    /// The changes made during the full load apply (idempotently) up to where it ended.
    Replay,
    /// Ongoing changes apply strictly.
    #[default]
    Cdc,
}

impl ReplicationPhase {
    /// As the checkpoint table and the reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicationPhase::FullLoad => "full-load",
            ReplicationPhase::Replay => "replay",
            ReplicationPhase::Cdc => "cdc",
        }
    }

    pub fn parse(s: &str) -> Option<ReplicationPhase> {
        [Self::FullLoad, Self::Replay, Self::Cdc]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

impl std::fmt::Display for ReplicationPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a task does (DMS's migration types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TaskType {
    /// Copy the tables once.
    #[default]
    FullLoad,
    /// Copy the tables, then replicate the changes made since the copy began, until stopped.
    FullLoadAndCdc,
    /// Replicate changes from now (or a given position) until stopped.
    Cdc,
}

impl TaskType {
    pub fn label(self) -> &'static str {
        match self {
            TaskType::FullLoad => "full-load",
            TaskType::FullLoadAndCdc => "full-load-and-cdc",
            TaskType::Cdc => "cdc",
        }
    }

    pub fn captures(self) -> bool {
        self != TaskType::FullLoad
    }
}

/// Changes held in the caches at most (all tables together), unless the task says otherwise
/// ([`crate::tasks::Settings::cached_changes`]).
pub const CACHE_CHANGES: usize = 100_000;

/// MiB of changes (their values, as held) the caches hold at most, all tables together, unless
/// the task says otherwise ([`crate::tasks::Settings::cached_changes_mb`]).
pub const CACHE_MB: usize = 512;

/// What a replicating task reports.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CdcStats {
    pub phase: ReplicationPhase,
    /// The last position read from the source.
    pub read_position: String,
    /// The last position committed on the target (where a restart resumes).
    pub checkpoint: String,
    pub incoming_per_s: f64,
    pub applied_per_s: f64,
    /// Source commit → read, and source commit → applied, in seconds (the source's commit
    /// times have whole seconds).
    pub source_latency_s: f64,
    pub target_latency_s: f64,
    /// Changes read and not yet applied.
    pub backlog: u64,
    pub applied: u64,
    pub tables: Vec<(String, TableCounts)>,
    /// Nothing waits to be applied and the target is less than 2 s behind.
    pub ready_to_cut_over: bool,
    /// Changes of a large source transaction whose end is not read yet: applied on the target
    /// in a transaction still open (committed with that end, rolled back if the task stops).
    #[serde(default)]
    pub open_transaction: u64,
    /// Replication paused until it starts again by itself: why (a database does not answer,
    /// or a failure about to be tried again).
    #[serde(default)]
    pub waiting: Option<String>,
    /// Constraints the full load left to check once replication has caught up, not checked
    /// yet (see [`super::deferred`]): the task is not ready to cut over before.
    #[serde(default)]
    pub constraints_pending: u64,
    /// Those checked that do not hold: the object, the server's words and what to do.
    #[serde(default)]
    pub constraint_failures: Vec<String>,
}

impl CdcStats {
    /// The figures on one line (progress lines, the Monitor's status).
    pub fn line(&self) -> String {
        let (i, u, d): (u64, u64, u64) = self.tables.iter().fold((0, 0, 0), |a, (_, t)| {
            (a.0 + t.inserts, a.1 + t.updates, a.2 + t.deletes)
        });
        format!(
            "{}: read {} applied {} ({} changes: {i} inserts, {u} updates, {d} deletes); {:.0} in/s, {:.0} applied/s; latency source {:.1} s, target {:.1} s; backlog {}{}{}{}{}{}",
            self.phase,
            self.read_position,
            self.checkpoint,
            self.applied,
            self.incoming_per_s,
            self.applied_per_s,
            self.source_latency_s,
            self.target_latency_s,
            self.backlog,
            match self.tables.iter().map(|t| t.1.cached).sum::<u64>() {
                0 => String::new(),
                n => format!(" ({n} cached until their table is loaded)"),
            },
            if self.open_transaction > 0 {
                format!(
                    "; inside a large source transaction: {} of its changes applied, uncommitted",
                    self.open_transaction
                )
            } else {
                String::new()
            },
            match self.constraints_pending {
                0 => String::new(),
                n => format!("; {n} constraints to check once caught up"),
            },
            match self.constraint_failures.len() {
                0 => String::new(),
                1 => "; 1 constraint does not hold (see the log)".into(),
                n => format!("; {n} constraints do not hold (see the log)"),
            },
            match (&self.waiting, self.ready_to_cut_over) {
                (Some(w), _) => format!("; paused: {w}"),
                (None, true) => "; ready to cut over".into(),
                (None, false) => String::new(),
            }
        )
    }
}

/// Per table counts of what was applied.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableCounts {
    pub inserts: u64,
    pub updates: u64,
    pub deletes: u64,
    pub ddls: u64,
    /// Conflicts and refused changes, kept in `tugboat_apply_exceptions`.
    pub exceptions: u64,
    /// Why the table's changes are no longer applied.
    pub suspended: Option<String>,
    /// Changes waiting for the table's full load to finish (DMS's cached changes).
    #[serde(default)]
    pub cached: u64,
    /// While the full load runs and has not loaded the table: `before load` (the load will
    /// read its changes) or `loading` (its changes are cached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<String>,
}
