//! The replication loop of a task: capture read into batches, cached changes released as their
//! tables load, each batch applied in one target transaction with the checkpoint, stops at the
//! task's stop position, and recovery when a side stops answering.
//!
//! One session is a [`Replication`]: opened from the target's checkpoint ([`open`]), then
//! turned ([`Replication::turn`]) until it stops, must read the log again, or fails. A turn is a
//! fixed sequence of named steps; the order matters (what is pending is committed before a
//! large transaction's parts or a DDL are handled, the checkpoint moves only when nothing is
//! open or waiting).

mod events;

use super::*;
use crate::engines::NotPlaced;
use crate::engines::change::Intake;

/// One session: from the target's checkpoint, capture and apply until the task stops, the log
/// must be read again ([`Ended`]), or it fails.
pub(super) async fn replicate(
    s: &Session<'_>,
    stats: &mut CdcStats,
    found: &mut Vec<checks::Check>,
    first: bool,
) -> std::result::Result<Ended, Failure> {
    let mut r = open(s, found, first).await?;
    *stats = CdcStats {
        phase: r.cp.phase,
        checkpoint: r.cp.position.to_string(),
        read_position: r.cp.position.to_string(),
        ..Default::default()
    };
    let outcome = loop {
        match r.turn(stats).await {
            Ok(Turn::Again) => {}
            Ok(Turn::Stop) => break Ok(false),
            Ok(Turn::ReadAgain) => break Ok(true),
            Err(e) => break Err(e),
        }
    };
    if r.cache.is_some() {
        s.note_read(&r.read_end);
    }
    r.reader.abort();
    // Ended (its connection dropped) before the slot is released.
    if let Err(e) = (&mut r.reader).await
        && !e.is_cancelled()
    {
        tracing::debug!(target: "tugboat::cdc", "the capture ended: {e}");
    }
    s.log.release(s.source, &s.task.name, &r.cp.position).await;
    r.deferred.stop();
    // A large transaction's parts with its end never read: rolled back, read again on resume.
    r.applier.abort_open().await;
    r.applier.close();
    match outcome {
        Err(error) => Err(Failure {
            fatal: r.applier.stopped_by_policy,
            progressed: r.applier.applied > r.started_with,
            error,
        }),
        Ok(true) => Ok(Ended::ReadAgain),
        Ok(false) => {
            // At an ordered stop: said on the target, where the one who ordered it waits.
            if r.order.is_some() && r.stop_reason.is_some() {
                control::reached(s.target, &s.task.name, &r.cp.position)
                    .await
                    .map_err(Failure::retry)?;
            }
            let stop_reason = r.stop_reason.unwrap_or_else(|| "stopped".into());
            // A MariaDB source: the checkpoint's GTID too, for a replica or another task to
            // start at.
            let gtid = s.log.gtid_at(s.source, &r.cp.position).await;
            (s.events)(TaskEvent::Step(format!(
                "stopped at checkpoint {}{} ({stop_reason})",
                r.cp.position,
                gtid.map(|g| format!(" (GTID {g})")).unwrap_or_default()
            )));
            Ok(Ended::Stopped(stop_reason))
        }
    }
}

/// What a turn of the loop ended with.
enum Turn {
    Again,
    Stop,
    ReadAgain,
}

/// A replication session under way.
struct Replication<'a, 'b> {
    s: &'a Session<'b>,
    cp: Checkpoint,
    applier: Applier,
    /// While the full load runs: its tables' changes wait for their load (see `cached`).
    cache: Option<Cached>,
    /// Constraints the full load left for once replication has caught up.
    deferred: deferred::Runner,
    rx: Intake,
    /// What the target committed goes back to the capture (a PostgreSQL slot moves past it).
    confirm: mpsc::UnboundedSender<Position>,
    reader: tokio::task::JoinHandle<()>,
    /// The task's stop (none while the full load runs: the checkpoint stays at its start).
    stop_at: Option<StopAt>,
    /// Set once the task reaches its stop (`stop_at`); the loop then ends like a stop.
    stop_reason: Option<String>,
    /// A stop ordered on the target (a cut-over's), once read: it is the task's stop.
    order: Option<control::StopOrder>,
    last_order_poll: Instant,
    /// The end of the last transaction (or DDL) read: everything before it is applied, cached
    /// or left to the full load.
    read_end: Position,
    pending: Vec<Txn>,
    pending_changes: usize,
    read_window: u64,
    applied_window: u64,
    window: Instant,
    last_commit: i64,
    last_idle_checkpoint: Instant,
    /// Idle, with the source already past the stop, since when.
    quiet: super::Quiet,
    /// Changes applied when the session started.
    started_with: u64,
}

/// Opens a session: the checkpoint read (and placed anew after a failover), the tables as the
/// full load wrote them, the applier, the caches of a running full load, the capture started.
async fn open<'a, 'b>(
    s: &'a Session<'b>,
    found: &mut Vec<checks::Check>,
    first: bool,
) -> std::result::Result<Replication<'a, 'b>, Failure> {
    let (task, source, target, log) = (s.task, s.source, s.target, s.log);
    let step = |m: String| (s.events)(TaskEvent::Step(m));
    let cp = checkpoint(s).await?;
    // Tables as the full load wrote them (nothing on the target changes here).
    let prepared = crate::tasks::prepared(task, source, target, &s.events)
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
            let meta = TableMeta::of(&p.label, &p.plan.table, |t| {
                values::kind(source.endpoint.engine, t)
            });
            (p.label.to_lowercase(), meta)
        })
        .collect();
    let policy = task.settings.error_policy;
    let mut applier = Applier::new(source, target, &task.name, policy, &prepared, &metas)
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
    let cache = cache_for(s, &cp);
    applier.all_idempotent = cache.is_some();
    step(format!(
        "replicating from {} ({})",
        cp.position,
        what_is_replicated(&cp, cache.as_ref())
    ));
    let (tx, rx) = crate::cdc::feed();
    let (confirm, confirmed) = mpsc::unbounded_channel::<Position>();
    let reader = {
        // While the full load runs the checkpoint stays put: read ahead of it.
        let ahead = cache.is_some();
        let (source, from, name) = (source.clone(), cp.position.clone(), task.name.clone());
        tokio::spawn(
            async move {
                log.capture(source, name, from, metas, tx, confirmed, ahead)
                    .await
            }
            .in_current_span(),
        )
    };
    let (order, stop_at) = stop_of(s, cache.is_some()).await?;
    let stop_reason = stop_at
        .as_ref()
        .filter(|st| st.reached_by(&cp.position))
        .map(|st| format!("reached its stop ({st}) before it started"));
    Ok(Replication {
        s,
        started_with: cp.changes,
        read_end: cp.position.clone(),
        cp,
        applier,
        cache,
        deferred: deferred::Runner::default(),
        rx,
        confirm,
        reader,
        stop_at,
        stop_reason,
        order,
        last_order_poll: Instant::now(),
        pending: vec![],
        pending_changes: 0,
        read_window: 0,
        applied_window: 0,
        window: Instant::now(),
        last_commit: 0,
        last_idle_checkpoint: Instant::now(),
        quiet: super::Quiet::new(),
    })
}

/// The session's stop: one ordered on the target (a cut-over's), else the task's own; none
/// while the full load runs (`loading`: the checkpoint stays at its start).
async fn stop_of(
    s: &Session<'_>,
    loading: bool,
) -> std::result::Result<(Option<control::StopOrder>, Option<StopAt>), Failure> {
    let order = control::stop_order(s.target, &s.task.name)
        .await
        .map_err(Failure::retry)?;
    if let Some(o) = &order {
        (s.events)(TaskEvent::Step(format!(
            "ordered to stop at {} ({})",
            o.at, o.reason
        )));
    }
    let stop_at = match &order {
        Some(o) => Some(StopAt::Position(o.at.clone())),
        None => s.stop_at.clone(),
    }
    .filter(|_| !loading);
    Ok((order, stop_at))
}

/// The task's checkpoint on the target, placed anew when the source's log does not have it
/// (a failover), and refused when the log no longer holds it.
async fn checkpoint(s: &Session<'_>) -> std::result::Result<Checkpoint, Failure> {
    let (task, source, target, log) = (s.task, s.source, s.target, s.log);
    let step = |m: String| (s.events)(TaskEvent::Step(m));
    let mut cp = match apply::checkpoint(target, &task.name).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            let why = format!(
                "the checkpoint of task {} is gone from the target",
                task.name
            );
            return Err(Failure::fatal(fail(target, why)));
        }
        Err(e) => return Err(Failure::retry(e)),
    };
    // A checkpoint this server's log does not have at that position: the task points at
    // another server now (a failover); the log may place it anew.
    let replaying = cp.phase == ReplicationPhase::Replay;
    match log
        .relocate(source, &cp.position, cp.gtid.as_deref(), replaying, &step)
        .await
    {
        Ok(None) => {}
        Ok(Some(moved)) => {
            cp.position = moved.position;
            if moved.replay_until.is_some() {
                cp.replay_until = moved.replay_until;
            }
        }
        Err(NotPlaced::Unanswered(e)) => return Err(Failure::retry(e)),
        Err(NotPlaced::Lost(why)) => return Err(Failure::fatal(fail(source, why))),
    }
    let gone = log.lost(source, &task.name, &cp.position).await;
    if let Some(why) = gone.map_err(Failure::retry)? {
        return Err(Failure::fatal(fail(source, why)));
    }
    Ok(cp)
}

/// The caches of changes to tables the full load has not loaded yet, while it runs.
fn cache_for(s: &Session<'_>, cp: &Checkpoint) -> Option<Cached> {
    let t = &s.task.settings;
    let gate = s
        .load
        .as_ref()
        .filter(|_| cp.phase == ReplicationPhase::FullLoad)?;
    Some(Cached::new(
        gate.clone(),
        t.cached_changes.max(1),
        t.cached_changes_mb.max(1).saturating_mul(1 << 20),
    ))
}

/// What the session replicates, by its phase.
fn what_is_replicated(cp: &Checkpoint, cache: Option<&Cached>) -> &'static str {
    match cp.phase {
        ReplicationPhase::FullLoad if cache.and_then(Cached::end).is_some() => {
            "the full load is done: its tables take the changes made during it"
        }
        ReplicationPhase::FullLoad => {
            "while the full load runs: changes wait for their table's load"
        }
        ReplicationPhase::Replay => "changes made during the full load first",
        ReplicationPhase::Cdc => "ongoing changes",
    }
}

impl Replication<'_, '_> {
    /// One turn: what is read applied, the checkpoint moved, the stats reported.
    async fn turn(&mut self, stats: &mut CdcStats) -> Result<Turn> {
        self.release_loaded().await?;
        let stop = self.s.cancel.load(Ordering::Relaxed) || self.stop_reason.is_some();
        let got = if stop { None } else { self.receive().await };
        let mut flush = stop || got.is_none() || self.pending_changes >= BATCH_CHANGES;
        if got.is_some() {
            self.quiet.heard();
        }
        let after = self.take(got, stats, &mut flush).await?;
        if flush && !self.pending.is_empty() {
            self.apply_pending(stats).await?;
        }
        self.poll_order(stop).await;
        self.probe_stop(stop).await;
        // Read before checking the channel is empty.
        let read_through = self.rx.read_through();
        let mut checkpoint_at = self.idle_checkpoint(&read_through, after.is_none());
        if let Some(end) = self.handle(after).await? {
            checkpoint_at = Some(end);
        }
        // (Inside an open transaction the checkpoint moves with that transaction's end;
        // during the full load it stays at its start.)
        if let Some(end) = checkpoint_at.filter(|_| !self.applier.is_open() && self.cache.is_none())
        {
            self.move_checkpoint(end).await?;
            stats.read_position = self.cp.position.to_string();
        }
        if !stop {
            self.end_of_load().await?;
        }
        if !stop && self.read_again() {
            return Ok(Turn::ReadAgain);
        }
        if self.window.elapsed() >= Duration::from_secs(1) || stop {
            self.report(stop, &read_through, stats);
        }
        Ok(if stop { Turn::Stop } else { Turn::Again })
    }

    /// Tables loaded since: their cached changes go first. A full load that ended without
    /// finishing stops the task.
    async fn release_loaded(&mut self) -> Result<()> {
        let Some(c) = self.cache.as_mut() else {
            return Ok(());
        };
        let ready = c.refresh();
        if let Some(Err(why)) = c.end() {
            self.stop_reason.get_or_insert(why.clone());
        }
        let applier = &mut self.applier;
        self.applied_window +=
            release(applier, &mut self.pending, &mut self.pending_changes, ready).await?;
        Ok(())
    }

    /// What the capture has read, waiting a moment for it.
    async fn receive(&mut self) -> Option<Captured> {
        match tokio::time::timeout(Duration::from_millis(100), self.rx.recv()).await {
            Ok(Some(c)) => Some(c),
            Ok(None) => Some(Captured::Failed("the binary log reader stopped".into())),
            Err(_) => None,
        }
    }

    /// A transaction read goes to the pending batch (or, past the stop, ends the task);
    /// anything else is returned, to be handled once the batch is committed.
    async fn take(
        &mut self,
        got: Option<Captured>,
        stats: &mut CdcStats,
        flush: &mut bool,
    ) -> Result<Option<Captured>> {
        match got {
            Some(Captured::Txn(t))
                if self
                    .stop_at
                    .as_ref()
                    .is_some_and(|st| st.passed_by(&t.end, t.commit_ms)) =>
            {
                // Past the stop: not applied (nor the parts of it the target holds open); what
                // is pending goes, then the task stops.
                self.applier.abort_open().await;
                if let Some(st) = &self.stop_at {
                    self.stop_reason = Some(format!(
                        "reached its stop ({st}): the next transaction ends at {}",
                        t.end
                    ));
                }
                *flush = true;
                Ok(None)
            }
            Some(Captured::Txn(t)) => {
                self.take_txn(t, stats).await?;
                // Apply what is there as soon as nothing more is waiting: under load the next
                // batch grows while this one is applied.
                *flush |= self.pending_changes >= BATCH_CHANGES || self.rx.is_empty();
                Ok(None)
            }
            Some(other) => {
                *flush = true;
                Ok(Some(other))
            }
            None => Ok(None),
        }
    }

    /// A transaction read: to the pending batch, its changes to tables still loading cached.
    async fn take_txn(&mut self, mut t: Txn, stats: &mut CdcStats) -> Result<()> {
        self.read_window += t.changes.len() as u64;
        stats.read_position = t.end.to_string();
        self.read_end = t.end.clone();
        stats.source_latency_s = (now_unix() - t.commit_ms as f64 / 1000.0).max(0.0);
        if let Some(c) = self.cache.as_mut() {
            // Routed by the load's states as they are now, after the read; the caches of
            // tables loaded since go first.
            let (released, keep) = c.route(std::mem::take(&mut t.changes), &t.end, t.commit_ms);
            t.changes = keep;
            let applier = &mut self.applier;
            self.applied_window += release(
                applier,
                &mut self.pending,
                &mut self.pending_changes,
                released,
            )
            .await?;
        }
        self.pending_changes += t.changes.len();
        // (Empty, it still commits the target transaction its parts opened.)
        if self.cache.is_none() || !t.changes.is_empty() || self.applier.is_open() {
            self.pending.push(t);
        }
        Ok(())
    }

    /// The pending batch applied in one target transaction with the checkpoint (during the
    /// full load the checkpoint stays at its start).
    async fn apply_pending(&mut self, stats: &mut CdcStats) -> Result<()> {
        let end = self
            .pending
            .last()
            .filter(|_| self.cache.is_none())
            .map(|t| t.end.clone())
            .unwrap_or(self.cp.position.clone());
        let (phase, until) = phase_after(&self.cp, &end);
        let gtid = self.rx.gtid_of(&end);
        self.applier
            .apply(&self.pending, &end, gtid, phase, until.as_ref())
            .await?;
        self.applied_window += self.pending_changes as u64;
        let newest = self.pending.iter().map(|t| t.commit_ms).max();
        self.last_commit = newest.unwrap_or(self.last_commit).max(self.last_commit);
        self.cp.position = end;
        self.cp.phase = phase;
        self.cp.replay_until = until;
        confirm_to(&self.confirm, &self.cp.position);
        self.pending.clear();
        self.pending_changes = 0;
        stats.target_latency_s = (now_unix() - self.last_commit as f64 / 1000.0).max(0.0);
        self.note_stop_reached();
        Ok(())
    }

    /// The checkpoint has reached the task's stop: the task stops.
    fn note_stop_reached(&mut self) {
        if let Some(st) = self
            .stop_at
            .as_ref()
            .filter(|st| st.reached_by(&self.cp.position))
        {
            self.stop_reason
                .get_or_insert(format!("reached its stop ({st})"));
        }
    }

    /// Four times a second: a stop ordered on the target since (a cut-over's) becomes the
    /// task's stop.
    async fn poll_order(&mut self, stop: bool) {
        if stop
            || self.order.is_some()
            || self.cache.is_some()
            || self.last_order_poll.elapsed() < Duration::from_millis(250)
        {
            return;
        }
        self.last_order_poll = Instant::now();
        // (The session's start made the table: `stop_of`.)
        match control::read_order(self.s.target, &self.s.task.name).await {
            Ok(Some(o)) => {
                (self.s.events)(TaskEvent::Step(format!(
                    "ordered to stop at {} ({})",
                    o.at, o.reason
                )));
                self.stop_at = Some(StopAt::Position(o.at.clone()));
                self.order = Some(o);
                self.quiet.heard();
                self.note_stop_reached();
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(target: "tugboat::cdc", "reading the task's orders: {e}"),
        }
    }

    /// Nothing read for a while: the stop may lie where the source has nothing for the task.
    async fn probe_stop(&mut self, stop: bool) {
        let Some(st) = &self.stop_at else {
            return;
        };
        if self.stop_reason.is_some()
            || stop
            || !self.pending.is_empty()
            || self.applier.is_open()
            || !self.rx.is_empty()
        {
            return;
        }
        // (Still nothing a second after the source was seen past the stop: every transaction
        // before the stop has been read, the reader is idle.)
        self.stop_reason = self.quiet.past(st, self.s.source, self.s.log).await;
    }

    /// Nothing for the task in the log up to where the capture has read: the checkpoint moves
    /// there (the replay ends when it passes the full load's end; a slot stops keeping WAL for
    /// other tables' changes).
    fn idle_checkpoint(
        &mut self,
        read_through: &Option<(Position, Instant)>,
        nothing_after: bool,
    ) -> Option<Position> {
        let (through, _) = read_through.as_ref()?;
        let cp = &self.cp;
        let idle = nothing_after
            && self.pending.is_empty()
            && !self.applier.is_open()
            && self.rx.is_empty()
            && through.reached(&cp.position)
            && self.stop_reason.is_none()
            && self.cache.is_none();
        let due = (cp.phase == ReplicationPhase::Replay
            && cp.replay_until.as_ref().is_none_or(|u| through.reached(u)))
            || (*through != cp.position
                && self.last_idle_checkpoint.elapsed() >= Duration::from_secs(5));
        let before_stop = self
            .stop_at
            .as_ref()
            .is_none_or(|st| !st.passed_by(through, 0));
        if !(idle && due && before_stop) {
            return None;
        }
        self.last_idle_checkpoint = Instant::now();
        Some(through.clone())
    }

    /// The checkpoint committed at `end` (a DDL's position, or where the log was read through
    /// with nothing for the task).
    async fn move_checkpoint(&mut self, end: Position) -> Result<()> {
        let (phase, until) = phase_after(&self.cp, &end);
        let gtid = self.rx.gtid_of(&end);
        self.applier
            .apply(&[], &end, gtid, phase, until.as_ref())
            .await?;
        self.cp.position = end;
        self.cp.phase = phase;
        self.cp.replay_until = until;
        confirm_to(&self.confirm, &self.cp.position);
        self.note_stop_reached();
        Ok(())
    }

    /// The full load has ended and every cache is applied: everything read so far is on the
    /// target. The checkpoint moves to it; the replay goes on to where the load ended.
    async fn end_of_load(&mut self) -> Result<()> {
        let Some(Ok(load_end)) = self
            .cache
            .as_ref()
            .filter(|c| c.total() == 0 && !c.reread())
            .and_then(Cached::end)
        else {
            return Ok(());
        };
        if !self.pending.is_empty() || self.applier.is_open() {
            return Ok(());
        }
        self.cp.phase = ReplicationPhase::Replay;
        // (Beyond the load's end where an earlier session applied changes: they come again.)
        let load_end = self.s.replay_end(load_end.clone());
        self.cp.replay_until = Some(load_end.clone());
        let (phase, until) = phase_after(&self.cp, &self.read_end);
        let gtid = self.rx.gtid_of(&self.read_end);
        self.applier
            .apply(&[], &self.read_end, gtid, phase, until.as_ref())
            .await?;
        self.cp.position = self.read_end.clone();
        self.cp.phase = phase;
        self.cp.replay_until = until;
        confirm_to(&self.confirm, &self.cp.position);
        (self.s.events)(TaskEvent::Step(format!(
            "every table loaded and its cached changes applied: replicating from {} (idempotently up to {load_end})",
            self.cp.position
        )));
        self.cache = None;
        self.applier.all_idempotent = false;
        self.stop_at = self.s.stop_at.clone();
        Ok(())
    }

    /// A table whose changes overflowed the caches is loaded: read the log again from the
    /// checkpoint, that table's changes included.
    fn read_again(&self) -> bool {
        let due = self.cache.as_ref().is_some_and(Cached::reread)
            && self.pending.is_empty()
            && !self.applier.is_open();
        if due {
            (self.s.events)(TaskEvent::Step(format!(
                "a table whose changes overflowed the cache during its load is loaded: reading the log again from {}",
                self.cp.position
            )));
        }
        due
    }
}

/// Tells the capture what the target committed (a PostgreSQL slot moves past it). A capture
/// that has ended cannot be told: its end is reported through its handle.
fn confirm_to(confirm: &mpsc::UnboundedSender<Position>, p: &Position) {
    if confirm.send(p.clone()).is_err() {
        tracing::debug!(target: "tugboat::cdc", "the capture has ended: {p} not confirmed to it");
    }
}
