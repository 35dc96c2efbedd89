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

use super::apply::{self, Applier, Checkpoint};
use super::cached::{self, Cached, Load};
use super::checks::{self, Status};
use super::control;
use super::{Captured, Position, StartAt, StopAt, TableMeta, TaskType, Txn};
use super::{CdcStats, ReplicationPhase, TableCounts};
use crate::endpoints::Connection;
use crate::engines::{ChangeLog, values};
use crate::error::{Error, Result};
use crate::tasks::deferred;
use crate::tasks::{Summary, Task, TaskEvent};
mod replicate;
use replicate::*;

/// Changes per applied batch (one target transaction) at most.
const BATCH_CHANGES: usize = 5_000;

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
    let Some(log) = crate::engines::of(source.endpoint.engine).change_log() else {
        let c = checks::run(source, &[]).await;
        let why = c
            .iter()
            .find(|c| c.status == Status::Failed)
            .map(|c| format!("{} ({})", c.detail, c.fix))
            .unwrap_or_default();
        return Err(fail(source, format!("replication is not possible: {why}")));
    };
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
        Some(StartAt::Gtid(g)) => {
            let p = log.gtid_position(source, &g).await?;
            step(format!("GTID {g} ends at {p} in the binary log"));
            Some(p)
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
        && checkpoint
            .as_ref()
            .is_none_or(|c| c.phase == ReplicationPhase::FullLoad)
    {
        let p0 = match &checkpoint {
            Some(c) => c.position.clone(),
            None => {
                let p = start_position(task, source, log, &events).await?;
                // (Its GTID state: a failover during the load finds the load's start by it.)
                let gtid = log.gtid_at(source, &p).await;
                let c = Checkpoint {
                    position: p.clone(),
                    phase: ReplicationPhase::FullLoad,
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
        let now = start_position(task, source, log, &events).await?;
        // A slot begins where it was created: an earlier position cannot be read.
        let p = match start {
            Some(p) if log.reads_back() || p.reached(&now) => p,
            _ => now,
        };
        let gtid = log.gtid_at(source, &p).await;
        let c = Checkpoint {
            position: p,
            phase: ReplicationPhase::Cdc,
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
        log,
        load: gate.clone(),
        read_during_load: std::sync::Mutex::new(None),
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
            Ok(_) => log
                .current_position(source)
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
    /// The source's change log.
    log: &'static dyn ChangeLog,
    /// The full load running beside replication (full-load-and-cdc, until it ends).
    load: Option<Arc<cached::LoadGate>>,
    /// The furthest an earlier session of this run read while the full load ran (the
    /// checkpoint stays at its start meanwhile): what it read of loaded tables is on the
    /// target, and a session reading the log again applies changes up to there idempotently.
    read_during_load: std::sync::Mutex<Option<Position>>,
}

impl Session<'_> {
    /// Notes that a session read the log up to `end`.
    fn note_read(&self, end: &Position) {
        let mut r = self
            .read_during_load
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if r.as_ref().is_none_or(|p| !p.reached(end)) {
            *r = Some(end.clone());
        }
    }

    /// The end of the replay after the full load: where the load ended, or further where an
    /// earlier session already applied changes.
    fn replay_end(&self, load_end: Position) -> Position {
        let r = self
            .read_during_load
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match r.as_ref() {
            Some(read) if read.reached(&load_end) => read.clone(),
            _ => load_end,
        }
    }

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

/// What a replication idle before its stop has seen of the source: since when it has been past
/// the stop with nothing more read, asked at most once a second.
pub(crate) struct Quiet {
    since: Option<Instant>,
    last_probe: Instant,
}

impl Quiet {
    pub(crate) fn new() -> Quiet {
        Quiet {
            since: None,
            last_probe: Instant::now(),
        }
    }

    /// Something was read: the quiet starts again.
    pub(crate) fn heard(&mut self) {
        self.since = None;
    }

    /// Asked while nothing comes: why the replication ends, once the source has been past the
    /// stop `st` for a second with nothing more read (every transaction before it has been).
    pub(crate) async fn past(
        &mut self,
        st: &StopAt,
        source: &Connection,
        log: &dyn ChangeLog,
    ) -> Option<String> {
        if self.last_probe.elapsed() < Duration::from_secs(1) {
            return None;
        }
        self.last_probe = Instant::now();
        match quiet_past(st, source, log).await {
            Ok(true) => match self.since {
                Some(since) if since.elapsed() >= Duration::from_secs(1) => Some(format!(
                    "reached its stop ({st}): the source went past it with nothing more for the task"
                )),
                Some(_) => None,
                None => {
                    self.since = Some(Instant::now());
                    None
                }
            },
            Ok(false) => {
                self.since = None;
                None
            }
            Err(e) => {
                tracing::warn!(target: "tugboat::cdc", "checking the stop: {e}");
                None
            }
        }
    }
}

/// Whether the source is past the stop `s` now: its log position is at or beyond it, or (a
/// time) this machine's clock is more than a second beyond it.
async fn quiet_past(s: &StopAt, source: &Connection, log: &dyn ChangeLog) -> Result<bool> {
    Ok(match s {
        StopAt::CommitTime(ms) => (now_unix() * 1000.0) as i64 > ms + 1000,
        StopAt::Position(p) => log.current_position(source).await?.reached(p),
    })
}

/// Where a capture starting now begins: the log's end, or the task's replication slot (made
/// with a publication of the task's tables when missing).
async fn start_position(
    task: &Task,
    source: &Connection,
    log: &dyn ChangeLog,
    events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
) -> Result<Position> {
    let mut tables = Vec::new();
    if log.publishes_tables() {
        let engine = source.endpoint.engine;
        let catalog = crate::engines::discover::discover(source, &Default::default()).await?;
        let plans = crate::tasks::plan_tables(&task.mappings, &catalog, engine, engine)?;
        tables = plans
            .iter()
            .map(|p| format!("{}.{}", p.source_schema, p.source_table))
            .collect();
        if tables.is_empty() {
            return Err(fail(source, "the task selects no table".into()));
        }
    }
    let started = log.start(source, &task.name, &tables).await?;
    if let Some(what) = started.created {
        events(TaskEvent::Step(format!(
            "created {what} at {} (it keeps WAL until the task applies it; drop it with the task)",
            started.position
        )));
    }
    Ok(started.position)
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
fn phase_after(cp: &Checkpoint, end: &Position) -> (ReplicationPhase, Option<Position>) {
    use ReplicationPhase as P;
    match (cp.phase, &cp.replay_until) {
        (P::FullLoad, _) => (P::FullLoad, None),
        (P::Replay, Some(u)) if !end.reached(u) => (P::Replay, Some(u.clone())),
        (P::Replay, Some(u)) => (P::Cdc, Some(u.clone())),
        _ => (P::Cdc, None),
    }
}
