//! A replication task's life: premigration checks, the full load (full-load-and-cdc) with the
//! start position recorded before it, then the capture → apply loop until the user stops it,
//! reporting [`CdcStats`] about once a second.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tracing::Instrument;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::apply::{self, Applier, Checkpoint, TableCounts};
use super::binlog::{self, TableMeta};
use super::cached::{self, Cached, Load};
use super::checks::{self, Status};
use super::deferred;
use super::pglogical;
use super::{Captured, Position, StartAt, StopAt, TaskType, Txn};
use crate::endpoints::{Connection, Engine};
use crate::error::{Error, Result};
use crate::tasks::{Summary, Task, TaskEvent, values};

/// Changes per applied batch (one target transaction) at most.
const BATCH_CHANGES: usize = 5_000;

/// What a replicating task reports.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CdcStats {
    /// `full-load`, `replay` (changes made during the full load) or `cdc`.
    pub phase: String,
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
    /// yet (see [`deferred`]): the task is not ready to cut over before.
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

/// The outcome of a replicating task that stopped cleanly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CdcSummary {
    pub task: String,
    pub task_type: TaskType,
    pub full_load: Option<Summary>,
    pub checks: Vec<checks::Check>,
    pub stats: CdcStats,
    /// Why it stopped: `stopped` (asked to), or how it reached its stop.
    #[serde(default)]
    pub stop_reason: String,
}

fn fail(endpoint: &Connection, reason: String) -> Error {
    Error::InvalidEndpoint {
        endpoint: endpoint.endpoint.label(),
        reason,
    }
}

/// A replica id for this task's binary log reader, stable per task and away from the small ids
/// servers are given.
fn server_id(task: &str) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for b in task.bytes() {
        h = (h ^ b as u32).wrapping_mul(16_777_619);
    }
    1_000_000 + h % 1_000_000_000
}

fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Runs a full-load-and-cdc or cdc task until `cancel` is set (then it stops at a checkpoint
/// and returns), a change the error policy does not allow, or a capture that cannot go on.
/// `start`: for a cdc task without a checkpoint, the position to start from (default: now).
/// The task's `stop_at` ends it by itself once every transaction up to it is applied.
pub async fn run_cdc(
    task: &Task,
    task_type: TaskType,
    source: &Connection,
    target: &Connection,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<AtomicBool>,
    start: Option<StartAt>,
) -> Result<CdcSummary> {
    let step = |m: String| events(TaskEvent::Step(m));
    let pg = source.endpoint.engine == Engine::Postgres;
    if source.endpoint.engine == Engine::Sqlite {
        let c = checks::run(source, &[]).await;
        let why = c
            .iter()
            .find(|c| c.status == Status::Failed)
            .map(|c| format!("{} ({})", c.detail, c.fix))
            .unwrap_or_default();
        return Err(fail(source, format!("replication is not possible: {why}")));
    }
    let stop_at = task
        .stop_at
        .as_deref()
        .map(StopAt::parse)
        .transpose()
        .map_err(|reason| Error::InvalidEndpoint {
            endpoint: format!("task {}: stop at", task.name),
            reason,
        })?;
    if let Some(s) = stop_at.as_ref().filter(|s| !s.fits(source.endpoint.engine)) {
        return Err(fail(
            source,
            format!("the stop ({s}) is not a position of this source's log"),
        ));
    }
    let mut checkpoint = apply::checkpoint(target, &task.name).await?;
    // A start given by the user: a position of this source's log (a GTID found in it).
    let start = match start {
        None => None,
        Some(_) if checkpoint.is_some() => {
            step("the start position is not used: the task resumes from its checkpoint".into());
            None
        }
        Some(StartAt::Gtid(g)) if !pg => {
            let p = binlog::gtid_state_position(source, &g).await?;
            step(format!("GTID {g} ends at {p} in the binary log"));
            Some(p)
        }
        Some(StartAt::Gtid(g)) => {
            return Err(fail(
                source,
                format!(
                    "the start position {g} is a MariaDB GTID: a PostgreSQL source starts at an LSN (X/Y)"
                ),
            ));
        }
        Some(StartAt::At(p)) if !p.fits(source.endpoint.engine) => {
            return Err(fail(
                source,
                format!("the start position {p} is not a position of this source's log"),
            ));
        }
        Some(StartAt::At(p)) => Some(p),
    };
    step("premigration checks".into());
    let mut found = checks::run(source, &[]).await;
    report_checks(&step, &found);
    if let Some(c) = found.iter().find(|c| c.status == Status::Failed) {
        return Err(fail(
            source,
            format!(
                "premigration check {} failed: {}; fix: {}",
                c.name, c.detail, c.fix
            ),
        ));
    }

    // Where the changes start.
    let mut gate = None;
    let mut load = None;
    if task_type == TaskType::FullLoadAndCdc
        && checkpoint.as_ref().is_none_or(|c| c.phase == "full-load")
    {
        let p0 = match &checkpoint {
            Some(c) => c.position.clone(),
            None => {
                let p = start_position(task, source, &events).await?;
                // (Its GTID state: a failover during the load finds the load's start by it.)
                let gtid = binlog::gtid_at(source, &p).await;
                let c = Checkpoint {
                    position: p.clone(),
                    phase: "full-load".into(),
                    replay_until: None,
                    changes: 0,
                    gtid,
                };
                apply::set_checkpoint(target, &task.name, &c).await?;
                checkpoint = Some(c);
                p
            }
        };
        step(format!(
            "full load, with the changes from {p0} on captured meanwhile: a table's changes during its load are cached and applied once it is loaded"
        ));
        // The source is in use during the load: a comparison now would find the changes
        // made meanwhile. Validate once it is ready to cut over.
        let mut t = task.clone();
        if t.settings.validate != crate::tasks::ValidateMode::None {
            t.settings.validate = crate::tasks::ValidateMode::None;
            step(
                "no validation after this full load: the source changes meanwhile and replication applies those changes; validate once replication is ready to cut over"
                    .into(),
            );
        }
        // Tables an earlier run loaded (in part or whole) hold rows read before the capture
        // starts again: their changes are cached from the start.
        crate::tasks::state::ensure(target).await?;
        let before = crate::tasks::state::tables(target, &task.name).await?;
        gate = Some(Arc::new(cached::LoadGate::new(before)));
        load = Some(t);
    }
    // Set on the target: every session starts from the checkpoint there.
    if checkpoint.is_none() {
        let now = start_position(task, source, &events).await?;
        // A slot begins where it was created: an earlier position cannot be read.
        let p = match start {
            Some(p) if !pg || p.reached(&now) => p,
            _ => now,
        };
        let gtid = binlog::gtid_at(source, &p).await;
        let c = Checkpoint {
            position: p,
            phase: "cdc".into(),
            replay_until: None,
            changes: 0,
            gtid,
        };
        apply::set_checkpoint(target, &task.name, &c).await?;
    }
    let session = Session {
        task,
        source,
        target,
        events: events.clone(),
        cancel: cancel.clone(),
        stop_at,
        pg,
        load: gate.clone(),
    };
    let mut stats = CdcStats::default();
    let (Some(gate), Some(load)) = (gate, load) else {
        let stop_reason = recover(&session, &mut stats, &mut found).await?;
        return Ok(CdcSummary {
            task: task.name.clone(),
            task_type,
            full_load: None,
            checks: found,
            stats,
            stop_reason,
        });
    };

    // The full load and replication side by side (see `cached`).
    let load_cancel = Arc::new(AtomicBool::new(false));
    let load_events: Arc<dyn Fn(TaskEvent) + Send + Sync> = {
        let (g, ev) = (gate.clone(), events.clone());
        Arc::new(move |e: TaskEvent| {
            g.observe(&e);
            ev(e)
        })
    };
    let loading = async {
        let r = crate::tasks::run_with(
            &load,
            source,
            target,
            load_events,
            load_cancel.clone(),
            true,
        )
        .await;
        let end = match &r {
            Ok(s) if s.failed() > 0 => Err("the full load failed".to_string()),
            Ok(_) if load_cancel.load(Ordering::Relaxed) => Err("stopped".to_string()),
            Ok(_) if pg => pglogical::current_position(source)
                .await
                .map_err(|e| e.to_string()),
            Ok(_) => binlog::current_position(source)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Ok(p) = &end {
            step(format!(
                "full load done; the changes up to {p} (the log's end when it finished) apply idempotently, then strictly"
            ));
        }
        gate.finished(end);
        r
    };
    let replicating = async {
        // The target tables exist once the load has prepared them.
        while !gate.schema_ready() && gate.end().is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let r = match gate.end() {
            Some(Err(why)) if !gate.schema_ready() => Ok(why),
            _ => recover(&session, &mut stats, &mut found).await,
        };
        // Replication cannot go on: nor can the load.
        load_cancel.store(true, Ordering::Relaxed);
        r
    };
    // A stop asked for reaches the load too.
    let forward = async {
        while gate.end().is_none() {
            if cancel.load(Ordering::Relaxed) {
                load_cancel.store(true, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let (summary, replicated, ()) = tokio::join!(loading, replicating, forward);
    let summary = summary?;
    let stop_reason = match (replicated, summary.failed()) {
        (Err(e), _) => return Err(e),
        (Ok(_), n) if n > 0 => "the full load failed".to_string(),
        (Ok(r), _) => r,
    };
    Ok(CdcSummary {
        task: task.name.clone(),
        task_type,
        full_load: Some(summary),
        checks: found,
        stats,
        stop_reason,
    })
}

/// What a replication session needs (one session runs from the target's checkpoint until a
/// stop or a failure).
struct Session<'a> {
    task: &'a Task,
    source: &'a Connection,
    target: &'a Connection,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<AtomicBool>,
    stop_at: Option<StopAt>,
    pg: bool,
    /// The full load running beside replication (full-load-and-cdc, until it ends).
    load: Option<Arc<cached::LoadGate>>,
}

impl Session<'_> {
    /// The task is asked to stop, or its full load ended without finishing (replication
    /// stops with it, at its checkpoint).
    fn stopping(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
            || self
                .load
                .as_ref()
                .is_some_and(|g| matches!(g.end(), Some(Err(_))))
    }
}

/// Why a session ended before its stop.
struct Failure {
    error: Error,
    /// Starting again cannot help (the log is gone, the error policy stops the task...).
    fatal: bool,
    /// Changes were applied before it failed.
    progressed: bool,
}

/// How a session ended without failing.
enum Ended {
    /// The task stopped (asked to, or at its stop): why.
    Stopped(String),
    /// A table whose changes overflowed the caches during the full load is loaded: a new
    /// session reads the log again from the checkpoint, that table's changes included.
    ReadAgain,
}

impl Failure {
    fn fatal(error: Error) -> Failure {
        Failure {
            error,
            fatal: true,
            progressed: false,
        }
    }

    fn retry(error: Error) -> Failure {
        Failure {
            error,
            fatal: false,
            progressed: false,
        }
    }
}

/// Failures in a row (with nothing applied between them) while both databases answer, before
/// the task gives up.
const STRIKES: u32 = 3;

/// Runs sessions until one stops: after a failure that is not fatal, a new session starts from
/// the target's checkpoint (exactly what a restart of the process does). While the source or
/// the target does not answer, it waits for it (1, 2, 4... up to 30 s between tries) for as
/// long as it takes, or until the task is stopped; a failure while both answer is tried again
/// [`STRIKES`] times before the task stops with it.
async fn recover(
    s: &Session<'_>,
    stats: &mut CdcStats,
    found: &mut Vec<checks::Check>,
) -> Result<String> {
    let mut strikes = 0;
    let mut first = true;
    loop {
        let f = match replicate(s, stats, found, first).await {
            Ok(Ended::Stopped(reason)) => return Ok(reason),
            Ok(Ended::ReadAgain) => {
                first = false;
                continue;
            }
            Err(f) => f,
        };
        first = false;
        if f.fatal {
            return Err(f.error);
        }
        if f.progressed {
            strikes = 0;
        }
        tracing::warn!(target: "tugboat::cdc", "replication failed: {}", f.error);
        let mut wait = 1u64;
        let mut outage = false;
        loop {
            let down = match (answers(s.source).await, answers(s.target).await) {
                (false, _) => Some(s.source),
                (_, false) => Some(s.target),
                _ => None,
            };
            let Some(down) = down else { break };
            outage = true;
            let why = format!(
                "{} does not answer ({}); trying again in {wait} s, then replicating from the checkpoint",
                down.endpoint.label(),
                f.error
            );
            if !wait_before_retry(s, stats, why, wait).await {
                return Ok(stopped_during_outage(s, stats).await);
            }
            wait = (wait * 2).min(30);
        }
        if !outage {
            strikes += 1;
            if strikes > STRIKES {
                return Err(f.error);
            }
            let wait = 1u64 << (strikes - 1);
            let why = format!(
                "replication stopped ({}); starting again from the checkpoint in {wait} s{}",
                f.error,
                if strikes > 1 {
                    format!(" (failed again with nothing applied: try {strikes} of {STRIKES})")
                } else {
                    String::new()
                }
            );
            if !wait_before_retry(s, stats, why, wait).await {
                return Ok(stopped_during_outage(s, stats).await);
            }
        }
    }
}

/// Tells the monitors replication is paused (nothing flows; not ready to cut over) and why,
/// then waits `secs` seconds. False: the task was stopped meanwhile.
async fn wait_before_retry(s: &Session<'_>, stats: &mut CdcStats, why: String, secs: u64) -> bool {
    stats.waiting = Some(why.clone());
    stats.ready_to_cut_over = false;
    stats.incoming_per_s = 0.0;
    stats.applied_per_s = 0.0;
    stats.open_transaction = 0;
    (s.events)(TaskEvent::Cdc(Box::new(stats.clone())));
    (s.events)(TaskEvent::Step(why));
    pause(s, secs).await
}

/// Whether `c` answers a trivial query within 5 s.
async fn answers(c: &Connection) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(5), c.query_scalar("probe", "SELECT 1")).await,
        Ok(Ok(_))
    )
}

/// Sleeps `secs` seconds, or less if the task is stopped: false then.
async fn pause(s: &Session<'_>, secs: u64) -> bool {
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        if s.stopping() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    !s.stopping()
}

/// A stop asked for while the task waited for a database: it stops at its checkpoint.
async fn stopped_during_outage(s: &Session<'_>, stats: &mut CdcStats) -> String {
    if let Ok(Some(cp)) = apply::checkpoint(s.target, &s.task.name).await {
        stats.checkpoint = cp.position.to_string();
    }
    (s.events)(TaskEvent::Step(format!(
        "stopped at checkpoint {} (stopped while waiting for a database)",
        stats.checkpoint
    )));
    "stopped while waiting for a database".into()
}

/// One session: from the target's checkpoint, capture and apply until the task stops, the log
/// must be read again ([`Ended`]), or it fails.
async fn replicate(
    s: &Session<'_>,
    stats: &mut CdcStats,
    found: &mut Vec<checks::Check>,
    first: bool,
) -> std::result::Result<Ended, Failure> {
    let Session {
        task,
        source,
        target,
        events,
        cancel,
        stop_at: task_stop,
        pg,
        load,
    } = s;
    let (source, target, pg) = (*source, *target, *pg);
    let step = |m: String| events(TaskEvent::Step(m));
    let mut cp = match apply::checkpoint(target, &task.name).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Err(Failure::fatal(fail(
                target,
                format!(
                    "the checkpoint of task {} is gone from the target",
                    task.name
                ),
            )));
        }
        Err(e) => return Err(Failure::retry(e)),
    };
    // A MariaDB checkpoint whose GTID this server's log does not have at that position: the
    // task points at another server now (a failover to a replica). Its log holds the same
    // transactions elsewhere: the GTID finds where.
    if !pg && let Some(g) = cp.gtid.clone() {
        // (A server that cannot be asked now is asked again: not a sign of another server.)
        let here = binlog::gtid_state_at(source, &cp.position)
            .await
            .map_err(Failure::retry)?;
        if here.as_deref() != Some(binlog::normal_state(&g).as_str()) {
            match binlog::gtid_state_position(source, &g).await {
                Ok(p) => {
                    step(format!(
                        "the checkpoint {} is not this server's (its binary log differs there: a failover?); GTID {g} ends at {p} in this server's log: replicating from there",
                        cp.position
                    ));
                    cp.position = p;
                    // The replay of the changes made during the full load ends where the old
                    // server's log ended then, a place this log does not name: it goes on
                    // (idempotently) up to this log's end now, which is past it.
                    if cp.phase == "replay" {
                        let end = binlog::current_position(source)
                            .await
                            .map_err(Failure::retry)?;
                        step(format!(
                            "the changes up to {end} apply idempotently (this server's log end: past the full load's)"
                        ));
                        cp.replay_until = Some(end);
                    }
                }
                Err(e) => {
                    // Its file purged from this server's log: say so first.
                    let purged = binlog::still_there(source, &cp.position)
                        .await
                        .ok()
                        .flatten();
                    return Err(Failure::fatal(fail(
                        source,
                        match purged {
                            Some(why) => {
                                format!("{why} (GTID {g} cannot be placed in the log either: {e})")
                            }
                            None => format!(
                                "the checkpoint {} (after GTID {g}) is not in this server's binary log, and the GTID cannot be placed in it ({e}); reload the task",
                                cp.position
                            ),
                        },
                    )));
                }
            }
        }
    }
    let gone = if pg {
        pglogical::still_there(source, &task.name).await
    } else {
        binlog::still_there(source, &cp.position).await
    };
    if let Some(why) = gone.map_err(Failure::retry)? {
        return Err(Failure::fatal(fail(source, why)));
    }

    // Tables as the full load wrote them (nothing on the target changes here).
    let prepared = crate::tasks::prepared(task, source, target, events)
        .await
        .map_err(Failure::retry)?;
    if first {
        let mut keys = checks::keys(&prepared);
        keys.extend(checks::replica_identity(source, &prepared).await);
        keys.extend(checks::target_triggers(target, &prepared).await);
        report_checks(&step, &keys);
        found.extend(keys);
    }
    let metas: HashMap<String, TableMeta> = prepared
        .iter()
        .map(|p| {
            (
                p.label.to_lowercase(),
                TableMeta::of(&p.label, &p.plan.table, |t| {
                    values::kind(source.endpoint.engine, t)
                }),
            )
        })
        .collect();
    let mut applier = Applier::new(
        source,
        target,
        &task.name,
        task.settings.error_policy,
        &prepared,
        &metas,
    )
    .map_err(Failure::fatal)?;
    applier.applied = cp.changes;
    for (table, why) in applier
        .restore_suspensions()
        .await
        .map_err(Failure::retry)?
    {
        step(format!(
            "{table} stays suspended ({why}): its changes since were not applied; reload the table"
        ));
    }
    // While the full load runs: its tables' changes wait for their load (see `cached`).
    let mut cache = load.as_ref().filter(|_| cp.phase == "full-load").map(|g| {
        let s = &task.settings;
        Cached::new(
            g.clone(),
            s.cached_changes.max(1),
            s.cached_changes_mb.max(1).saturating_mul(1 << 20),
        )
    });
    applier.all_idempotent = cache.is_some();
    // Constraints the full load left for once replication has caught up.
    let mut deferred = deferred::Runner::default();
    step(format!(
        "replicating from {} ({})",
        cp.position,
        match cp.phase.as_str() {
            "full-load" if cache.as_ref().and_then(Cached::end).is_some() => {
                "the full load is done: its tables take the changes made during it"
            }
            "full-load" => "while the full load runs: changes wait for their table's load",
            "replay" => "changes made during the full load first",
            _ => "ongoing changes",
        }
    ));
    let (tx, mut rx) = super::feed();
    // What the target committed goes back to the capture (a PostgreSQL slot moves past it).
    let (confirm, confirmed) = mpsc::unbounded_channel::<Position>();
    let reader = {
        // While the full load runs the checkpoint stays put: read ahead of it.
        let ahead = cache.is_some();
        let source = source.clone();
        let from = cp.position.clone();
        let name = task.name.clone();
        tokio::spawn(
            async move {
                if pg {
                    pglogical::capture(&source, &name, from, metas, tx, confirmed, ahead).await
                } else {
                    drop(confirmed);
                    binlog::capture(&source, server_id(&name), from, metas, tx).await
                }
            }
            .in_current_span(),
        )
    };

    *stats = CdcStats {
        phase: cp.phase.clone(),
        checkpoint: cp.position.to_string(),
        read_position: cp.position.to_string(),
        ..Default::default()
    };
    let started_with = cp.changes;
    let mut reread = false;
    // The end of the last transaction (or DDL) read: everything before it is applied, cached
    // or left to the full load.
    let mut read_end = cp.position.clone();
    // No stop while the full load runs (the checkpoint stays at its start).
    let no_stop = None;
    let mut stop_at = if cache.is_some() { &no_stop } else { task_stop };
    let mut pending: Vec<Txn> = vec![];
    let mut pending_changes = 0usize;
    let (mut read_window, mut applied_window) = (0u64, 0u64);
    let mut window = Instant::now();
    let mut last_commit = 0i64;
    let mut outcome: Result<()> = Ok(());
    // Set once the task reaches its stop (`stop_at`); the loop then ends like a stop.
    let mut stop_reason: Option<String> = stop_at
        .as_ref()
        .filter(|s| s.reached_by(&cp.position))
        .map(|s| format!("reached its stop ({s}) before it started"));
    let mut last_idle_checkpoint = Instant::now();
    // Idle, with the source already past the stop, since then (see `quiet_past`).
    let mut quiet_since: Option<Instant> = None;
    let mut last_probe = Instant::now();
    loop {
        if let Some(c) = cache.as_mut() {
            // Tables loaded since: their cached changes go first.
            let ready = c.refresh();
            match release(&mut applier, &mut pending, &mut pending_changes, ready).await {
                Ok(n) => applied_window += n,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
            if let Some(Err(why)) = c.end() {
                stop_reason.get_or_insert(why.clone());
            }
        }
        let stop = cancel.load(Ordering::Relaxed) || stop_reason.is_some();
        let got = if stop {
            None
        } else {
            match tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
                Ok(Some(c)) => Some(c),
                Ok(None) => Some(Captured::Failed("the binary log reader stopped".into())),
                Err(_) => None,
            }
        };
        let mut flush = stop || got.is_none() || pending_changes >= BATCH_CHANGES;
        let mut after: Option<Captured> = None;
        if got.is_some() {
            quiet_since = None;
        }
        match got {
            Some(Captured::Txn(t))
                if stop_at
                    .as_ref()
                    .is_some_and(|s| s.passed_by(&t.end, t.commit_ms)) =>
            {
                // Past the stop: not applied (nor the parts of it the target holds open); what
                // is pending goes, then the task stops.
                applier.abort_open().await;
                if let Some(s) = &stop_at {
                    stop_reason = Some(format!(
                        "reached its stop ({s}): the next transaction ends at {}",
                        t.end
                    ));
                }
                flush = true;
            }
            Some(Captured::Txn(mut t)) => {
                read_window += t.changes.len() as u64;
                stats.read_position = t.end.to_string();
                read_end = t.end.clone();
                stats.source_latency_s = (now_unix() - t.commit_ms as f64 / 1000.0).max(0.0);
                if let Some(c) = cache.as_mut() {
                    // Routed by the load's states as they are now, after the read; the caches
                    // of tables loaded since go first.
                    let (released, keep) =
                        c.route(std::mem::take(&mut t.changes), &t.end, t.commit_ms);
                    t.changes = keep;
                    match release(&mut applier, &mut pending, &mut pending_changes, released).await
                    {
                        Ok(n) => applied_window += n,
                        Err(e) => {
                            outcome = Err(e);
                            break;
                        }
                    }
                }
                pending_changes += t.changes.len();
                // (Empty, it still commits the target transaction its parts opened.)
                if cache.is_none() || !t.changes.is_empty() || applier.is_open() {
                    pending.push(t);
                }
                // Apply what is there as soon as nothing more is waiting: under load the next
                // batch grows while this one is applied.
                flush |= pending_changes >= BATCH_CHANGES || rx.is_empty();
            }
            Some(other) => {
                flush = true;
                after = Some(other);
            }
            None => {}
        }
        if flush && !pending.is_empty() {
            // (During the full load the checkpoint stays at its start.)
            let end = pending
                .last()
                .filter(|_| cache.is_none())
                .map(|t| t.end.clone())
                .unwrap_or(cp.position.clone());
            let (phase, until) = phase_after(&cp, &end);
            if let Err(e) = applier
                .apply(&pending, &end, rx.gtid_of(&end), &phase, until.as_ref())
                .await
            {
                outcome = Err(e);
                break;
            }
            applied_window += pending_changes as u64;
            last_commit = pending
                .iter()
                .map(|t| t.commit_ms)
                .max()
                .unwrap_or(last_commit)
                .max(last_commit);
            cp.position = end;
            cp.phase = phase;
            cp.replay_until = until;
            let _ = confirm.send(cp.position.clone());
            pending.clear();
            pending_changes = 0;
            stats.target_latency_s = (now_unix() - last_commit as f64 / 1000.0).max(0.0);
            if let Some(s) = stop_at.as_ref().filter(|s| s.reached_by(&cp.position)) {
                stop_reason.get_or_insert(format!("reached its stop ({s})"));
            }
        }
        // Nothing read for a while: the stop may lie where the source has nothing for the task.
        if let Some(s) = &stop_at
            && stop_reason.is_none()
            && !stop
            && pending.is_empty()
            && !applier.is_open()
            && rx.is_empty()
            && last_probe.elapsed() >= Duration::from_secs(1)
        {
            last_probe = Instant::now();
            match quiet_past(s, source, pg).await {
                Ok(true) => match quiet_since {
                    // Still nothing a second after the source was seen past the stop: every
                    // transaction before the stop has been read (the reader is idle).
                    Some(since) if since.elapsed() >= Duration::from_secs(1) => {
                        stop_reason = Some(format!(
                            "reached its stop ({s}): the source went past it with nothing more for the task"
                        ));
                    }
                    Some(_) => {}
                    None => quiet_since = Some(Instant::now()),
                },
                Ok(false) => quiet_since = None,
                Err(e) => tracing::warn!(target: "tugboat::cdc", "checking the stop: {e}"),
            }
        }
        // A DDL's position, committed as the checkpoint once it is handled.
        let mut checkpoint_at = None;
        // Nothing for the task in the log up to where the capture has read: the checkpoint
        // moves there (the replay ends when it passes the full load's end; a slot stops keeping
        // WAL for other tables' changes). Read before checking the channel is empty.
        let read_through = rx.read_through();
        if let Some((through, _)) = read_through.clone()
            && after.is_none()
            && pending.is_empty()
            && !applier.is_open()
            && rx.is_empty()
            && through.reached(&cp.position)
            && stop_reason.is_none()
            && cache.is_none()
            && ((cp.phase == "replay"
                && cp.replay_until.as_ref().is_none_or(|u| through.reached(u)))
                || (through != cp.position
                    && last_idle_checkpoint.elapsed() >= Duration::from_secs(5)))
            && stop_at.as_ref().is_none_or(|s| !s.passed_by(&through, 0))
        {
            last_idle_checkpoint = Instant::now();
            checkpoint_at = Some(through);
        }
        match after {
            Some(Captured::Part(changes)) => {
                // The first changes of a large transaction: applied in a target transaction
                // left open until its end arrives (what was pending was committed above).
                read_window += changes.len() as u64;
                let changes = match cache.as_mut() {
                    Some(c) => {
                        // The caches of tables loaded since go first.
                        let (released, keep) = c.route(changes, &read_end, 0);
                        let mut all: Vec<_> =
                            released.into_iter().flat_map(|x| x.changes).collect();
                        all.extend(keep);
                        all
                    }
                    None => changes,
                };
                let n = changes.len() as u64;
                if n > 0
                    && let Err(e) = applier
                        .apply_part(changes, cp.phase == "replay" || cache.is_some())
                        .await
                {
                    outcome = Err(e);
                    break;
                }
                applied_window += n;
            }
            Some(Captured::Ddl {
                end, table, sql, ..
            }) => {
                read_end = end.clone();
                let truncate = sql.to_ascii_uppercase().starts_with("TRUNCATE");
                let waiting = table.as_ref().and_then(|t| not_loaded(&cache, t));
                if let Some(t) = table.clone().filter(|t| applier.is_tracked(t))
                    && let Some(load) = waiting
                {
                    // A table the load has not started reads as it is then: a TRUNCATE is
                    // in it. Anything else changes what the load was planned with.
                    if !(truncate && load == Load::Pending) {
                        applier.suspend(
                            &t,
                            format!("the source ran DDL on it during its full load ({sql}); reload the table"),
                        );
                        if let Some(c) = cache.as_mut() {
                            c.drop_table(&t);
                        }
                    }
                } else if let Some(t) = table.filter(|t| applier.is_tracked(t)) {
                    if truncate {
                        if let Err(e) = applier.truncate(&t).await {
                            outcome = Err(e);
                            break;
                        }
                    } else {
                        applier.suspend(
                            &t,
                            format!("the source ran DDL on it ({sql}); reload the table"),
                        );
                    }
                }
                checkpoint_at = Some(end);
            }
            Some(Captured::ColumnsAdded { end, label, .. })
                if applier.is_tracked(&label) && not_loaded(&cache, &label).is_some() =>
            {
                read_end = end.clone();
                applier.suspend(
                    &label,
                    "columns were added on the source during its full load; reload the table"
                        .into(),
                );
                if let Some(c) = cache.as_mut() {
                    c.drop_table(&label);
                }
                checkpoint_at = Some(end);
            }
            Some(Captured::ColumnsAdded { end, label, .. })
                if applier.is_open()
                    && applier.is_tracked(&label)
                    && target.endpoint.engine == Engine::MySql =>
            {
                // Inside a source transaction held open on the target: an ALTER there would
                // commit half of it.
                applier.suspend(
                    &label,
                    "columns were added on the source inside a large transaction; MariaDB/MySQL cannot add them on the target without committing it half-applied; reload the table".into(),
                );
                checkpoint_at = Some(end);
            }
            Some(Captured::ColumnsAdded { end, label, table }) => {
                if applier.is_tracked(&label)
                    && let Err(why) = applier
                        .add_columns(&label, &table, source.endpoint.engine)
                        .await
                {
                    applier.suspend(
                        &label,
                        format!("columns added on the source could not be added on the target: {why}; reload the table"),
                    );
                }
                checkpoint_at = Some(end);
            }
            Some(Captured::TableChanged { table, reason }) if applier.is_tracked(&table) => {
                applier.suspend(&table, reason);
                if let Some(c) = cache.as_mut() {
                    c.drop_table(&table);
                }
            }
            Some(Captured::Failed(e)) => {
                outcome = Err(fail(source, e));
                break;
            }
            _ => {}
        }
        // (Inside an open transaction the checkpoint moves with that transaction's end; during
        // the full load it stays at its start.)
        if let Some(end) = checkpoint_at.filter(|_| !applier.is_open() && cache.is_none()) {
            let (phase, until) = phase_after(&cp, &end);
            if let Err(e) = applier
                .apply(&[], &end, rx.gtid_of(&end), &phase, until.as_ref())
                .await
            {
                outcome = Err(e);
                break;
            }
            cp.position = end;
            cp.phase = phase;
            cp.replay_until = until;
            stats.read_position = cp.position.to_string();
            let _ = confirm.send(cp.position.clone());
            if let Some(s) = stop_at.as_ref().filter(|s| s.reached_by(&cp.position)) {
                stop_reason.get_or_insert(format!("reached its stop ({s})"));
            }
        }
        // The full load has ended and every cache is applied: everything read so far is on the
        // target. The checkpoint moves to it; the replay goes on to where the load ended.
        if let Some(Ok(load_end)) = cache
            .as_ref()
            .filter(|c| c.total() == 0 && !c.reread())
            .and_then(Cached::end)
            && pending.is_empty()
            && !applier.is_open()
            && !stop
        {
            cp.phase = "replay".into();
            cp.replay_until = Some(load_end.clone());
            let (phase, until) = phase_after(&cp, &read_end);
            if let Err(e) = applier
                .apply(
                    &[],
                    &read_end,
                    rx.gtid_of(&read_end),
                    &phase,
                    until.as_ref(),
                )
                .await
            {
                outcome = Err(e);
                break;
            }
            cp.position = read_end.clone();
            cp.phase = phase;
            cp.replay_until = until;
            let _ = confirm.send(cp.position.clone());
            step(format!(
                "every table loaded and its cached changes applied: replicating from {} (idempotently up to {load_end})",
                cp.position
            ));
            cache = None;
            applier.all_idempotent = false;
            stop_at = task_stop;
        }
        // A table whose changes overflowed the caches is loaded: read the log again from the
        // checkpoint, that table's changes included.
        if cache.as_ref().is_some_and(Cached::reread)
            && pending.is_empty()
            && !applier.is_open()
            && !stop
        {
            step(format!(
                "a table whose changes overflowed the cache during its load is loaded: reading the log again from {}",
                cp.position
            ));
            reread = true;
            break;
        }
        if window.elapsed() >= Duration::from_secs(1) || stop {
            // The rates of a whole window (a stop cuts the last one short: the previous stand).
            if window.elapsed() >= Duration::from_secs(1) {
                let secs = window.elapsed().as_secs_f64();
                stats.incoming_per_s = read_window as f64 / secs;
                stats.applied_per_s = applied_window as f64 / secs;
                (read_window, applied_window) = (0, 0);
                window = Instant::now();
            }
            if pending.is_empty() && rx.is_empty() && last_commit > 0 {
                stats.target_latency_s = stats
                    .target_latency_s
                    .min(now_unix() - last_commit as f64 / 1000.0);
            }
            // Nothing waits and the capture has just read to the end of the log with nothing
            // for the task (a heartbeat, an empty read): the target is as current as that
            // news, however long ago the last change of its tables was.
            if let Some((through, at)) = &read_through
                && pending.is_empty()
                && rx.is_empty()
                && !applier.is_open()
                && through.reached(&cp.position)
            {
                let age = at.elapsed().as_secs_f64();
                stats.source_latency_s = stats.source_latency_s.min(age);
                stats.target_latency_s = stats.target_latency_s.min(age);
            }
            stats.phase = cp.phase.clone();
            stats.checkpoint = cp.position.to_string();
            let cached = cache.as_ref().map_or(0, Cached::total);
            stats.backlog = (pending_changes + rx.changes() + cached) as u64;
            stats.applied = applier.applied;
            let mut tables: Vec<(String, TableCounts)> = applier
                .counts
                .iter()
                .map(|(k, v)| {
                    let mut v = v.clone();
                    v.cached = cache.as_ref().map_or(0, |c| c.of(k));
                    v.load = match not_loaded(&cache, k) {
                        Some(Load::Pending) => Some("before load".into()),
                        Some(_) => Some("loading".into()),
                        None => None,
                    };
                    (k.clone(), v)
                })
                .collect();
            tables.sort_by(|a, b| a.0.cmp(&b.0));
            stats.tables = tables;
            stats.open_transaction = applier.open_changes() as u64;
            let caught_up = cp.phase == "cdc"
                && stats.backlog == 0
                && stats.open_transaction == 0
                && stats.target_latency_s < 2.0;
            if caught_up && !stop {
                deferred.start(target, &task.name, (*events).clone());
            }
            let checks = deferred.progress();
            stats.constraints_pending = checks.pending;
            stats.constraint_failures = checks.failures;
            stats.ready_to_cut_over = caught_up && checks.read && stats.constraints_pending == 0;
            events(TaskEvent::Cdc(Box::new(stats.clone())));
        }
        if stop {
            break;
        }
    }
    reader.abort();
    deferred.stop();
    // A large transaction's parts with its end never read: rolled back, read again on resume.
    applier.abort_open().await;
    applier.close();
    if let Err(error) = outcome {
        return Err(Failure {
            fatal: applier.stopped_by_policy,
            progressed: applier.applied > started_with,
            error,
        });
    }
    if reread {
        return Ok(Ended::ReadAgain);
    }
    let stop_reason = stop_reason.unwrap_or_else(|| "stopped".into());
    // A MariaDB source: the checkpoint's GTID too, for a replica or another task to start at.
    let gtid = binlog::gtid_at(source, &cp.position).await;
    step(format!(
        "stopped at checkpoint {}{} ({stop_reason})",
        cp.position,
        gtid.map(|g| format!(" (GTID {g})")).unwrap_or_default()
    ));
    Ok(Ended::Stopped(stop_reason))
}

/// The cached changes of tables loaded since (`released`) go to the target before anything
/// read after them: into the target transaction a large source transaction holds open (then
/// the count applied is returned), or ahead in `pending`.
async fn release(
    applier: &mut Applier,
    pending: &mut Vec<Txn>,
    pending_changes: &mut usize,
    released: Vec<Txn>,
) -> Result<u64> {
    let n: usize = released.iter().map(|t| t.changes.len()).sum();
    if n == 0 {
        return Ok(0);
    }
    if applier.is_open() {
        let changes = released.into_iter().flat_map(|t| t.changes).collect();
        applier.apply_part(changes, true).await?;
        return Ok(n as u64);
    }
    *pending_changes += n;
    pending.extend(released);
    Ok(0)
}

/// The load state of `table` if the full load is running and has not loaded it yet.
fn not_loaded(cache: &Option<Cached>, table: &str) -> Option<Load> {
    cache
        .as_ref()
        .map(|c| c.state(table))
        .filter(|l| *l != Load::Ready)
}

/// Whether the source is past the stop `s` now: its log position is at or beyond it, or (a
/// time) this machine's clock is more than a second beyond it.
async fn quiet_past(s: &StopAt, source: &Connection, pg: bool) -> Result<bool> {
    Ok(match s {
        StopAt::CommitTime(ms) => (now_unix() * 1000.0) as i64 > ms + 1000,
        StopAt::Position(p) => {
            let now = if pg {
                pglogical::current_position(source).await?
            } else {
                binlog::current_position(source).await?
            };
            now.reached(p)
        }
    })
}

/// Where a capture starting now begins: the binary log's position, or the task's replication
/// slot (created with its publication of the task's tables when missing).
async fn start_position(
    task: &Task,
    source: &Connection,
    events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
) -> Result<Position> {
    if source.endpoint.engine != Engine::Postgres {
        return binlog::current_position(source).await;
    }
    let catalog = crate::discovery::discover(source, &Default::default()).await?;
    let plans =
        crate::tasks::plan_tables(&task.mappings, &catalog, Engine::Postgres, Engine::Postgres)?;
    let tables: Vec<String> = plans
        .iter()
        .map(|p| format!("{}.{}", p.source_schema, p.source_table))
        .collect();
    if tables.is_empty() {
        return Err(fail(source, "the task selects no table".into()));
    }
    let (p, created) = pglogical::ensure_slot(source, &task.name, &tables).await?;
    if created {
        events(TaskEvent::Step(format!(
            "created replication slot {} at {p} (it keeps WAL until the task applies it; drop it with the task)",
            pglogical::slot_name(&task.name)
        )));
    }
    Ok(p)
}

fn report_checks(step: &impl Fn(String), found: &[checks::Check]) {
    for c in found {
        let word = match c.status {
            Status::Passed => "passed",
            Status::Warning => "WARNING",
            Status::Failed => "FAILED",
        };
        let fix = if c.fix.is_empty() {
            String::new()
        } else {
            format!(" (fix: {})", c.fix)
        };
        step(format!("check {}: {word}: {}{fix}", c.name, c.detail));
    }
}

/// The phase once the changes up to `end` are applied: the replay of changes made during the
/// full load ends when it reaches the position at which the load ended.
fn phase_after(cp: &Checkpoint, end: &Position) -> (String, Option<Position>) {
    if cp.phase == "full-load" {
        return ("full-load".into(), None);
    }
    match &cp.replay_until {
        Some(u) if cp.phase == "replay" && !end.reached(u) => ("replay".into(), Some(u.clone())),
        Some(u) if cp.phase == "replay" => ("cdc".into(), Some(u.clone())),
        _ => ("cdc".into(), None),
    }
}
