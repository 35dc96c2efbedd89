//! The replication loop of a task: capture read into batches, cached changes released as their
//! tables load, each batch applied in one target transaction with the checkpoint, stops at the
//! task's stop position, and recovery when a side stops answering.

use super::*;
use crate::engines::NotPlaced;

/// One session: from the target's checkpoint, capture and apply until the task stops, the log
/// must be read again ([`Ended`]), or it fails.
pub(super) async fn replicate(
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
        log,
        load,
    } = s;
    let (source, target, log) = (*source, *target, *log);
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
    // A checkpoint this server's log does not have at that position: the task points at
    // another server now (a failover); the log may place it anew.
    match log
        .relocate(
            source,
            &cp.position,
            cp.gtid.as_deref(),
            cp.phase == ReplicationPhase::Replay,
            &step,
        )
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
    let mut cache = load
        .as_ref()
        .filter(|_| cp.phase == ReplicationPhase::FullLoad)
        .map(|g| {
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
        match cp.phase {
            ReplicationPhase::FullLoad if cache.as_ref().and_then(Cached::end).is_some() => {
                "the full load is done: its tables take the changes made during it"
            }
            ReplicationPhase::FullLoad => {
                "while the full load runs: changes wait for their table's load"
            }
            ReplicationPhase::Replay => "changes made during the full load first",
            ReplicationPhase::Cdc => "ongoing changes",
        }
    ));
    let (tx, mut rx) = crate::cdc::feed();
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
                log.capture(source, name, from, metas, tx, confirmed, ahead)
                    .await
            }
            .in_current_span(),
        )
    };

    *stats = CdcStats {
        phase: cp.phase,
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
                .apply(&pending, &end, rx.gtid_of(&end), phase, until.as_ref())
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
            confirm_to(&confirm, &cp.position);
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
            match quiet_past(s, source, log).await {
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
            && ((cp.phase == ReplicationPhase::Replay
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
                        .apply_part(
                            changes,
                            cp.phase == ReplicationPhase::Replay || cache.is_some(),
                        )
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
                    && target.endpoint.engine == crate::endpoints::Engine::MySql =>
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
                .apply(&[], &end, rx.gtid_of(&end), phase, until.as_ref())
                .await
            {
                outcome = Err(e);
                break;
            }
            cp.position = end;
            cp.phase = phase;
            cp.replay_until = until;
            stats.read_position = cp.position.to_string();
            confirm_to(&confirm, &cp.position);
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
            cp.phase = ReplicationPhase::Replay;
            cp.replay_until = Some(load_end.clone());
            let (phase, until) = phase_after(&cp, &read_end);
            if let Err(e) = applier
                .apply(&[], &read_end, rx.gtid_of(&read_end), phase, until.as_ref())
                .await
            {
                outcome = Err(e);
                break;
            }
            cp.position = read_end.clone();
            cp.phase = phase;
            cp.replay_until = until;
            confirm_to(&confirm, &cp.position);
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
            stats.phase = cp.phase;
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
            let caught_up = cp.phase == ReplicationPhase::Cdc
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
    let gtid = log.gtid_at(source, &cp.position).await;
    step(format!(
        "stopped at checkpoint {}{} ({stop_reason})",
        cp.position,
        gtid.map(|g| format!(" (GTID {g})")).unwrap_or_default()
    ));
    Ok(Ended::Stopped(stop_reason))
}

/// Tells the capture what the target committed (a PostgreSQL slot moves past it). A capture
/// that has ended cannot be told: its end is reported through its handle.
fn confirm_to(confirm: &mpsc::UnboundedSender<Position>, p: &Position) {
    if confirm.send(p.clone()).is_err() {
        tracing::debug!(target: "tugboat::cdc", "the capture has ended: {p} not confirmed to it");
    }
}
