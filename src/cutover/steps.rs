//! The steps of a switch, each a method of [`Run`]: done again when an earlier run did not
//! finish it, reused (with what it recorded) when it did.

use super::*;
use crate::cdc::apply::{self, Checkpoint};
use crate::cdc::checks::Status::{self, Failed, Passed};
use crate::runner::Mode;

impl Run<'_, '_> {
    fn earlier(&self, step: Step) -> Option<&Entry> {
        self.done.iter().find(|e| e.step == step && e.done)
    }

    /// Says a step found done by an earlier run; true if so.
    fn reuse(&self, step: Step) -> bool {
        let Some(e) = self.earlier(step) else {
            return false;
        };
        (self.events)(Event::Done {
            step,
            seconds: e.seconds,
            detail: e.detail.clone(),
            earlier: true,
        });
        true
    }

    async fn record(&self, step: Step, started: Instant, detail: &str, value: &str) -> Result<()> {
        let took = started.elapsed();
        kill_point(step);
        journal::write(
            self.sides.d,
            &self.sides.x.name,
            step,
            true,
            took,
            detail,
            value,
        )
        .await?;
        (self.events)(Event::Done {
            step,
            seconds: took.as_secs_f64(),
            detail: detail.to_string(),
            earlier: false,
        });
        Ok(())
    }

    fn task_events(&self) -> Arc<dyn Fn(TaskEvent) + Send + Sync> {
        let ev = self.events.clone();
        Arc::new(move |e| ev(Event::Task(e)))
    }

    fn note(&self, s: String) {
        (self.events)(Event::Note(s));
    }

    /// Readiness: what stands in the way of the switch (empty: nothing).
    pub(super) async fn readiness(&mut self) -> Result<Vec<String>> {
        let started = Instant::now();
        (self.events)(Event::Started(Step::Readiness));
        let mut findings = self.replication_findings().await?;
        findings.extend(self.then_findings().await);
        if self.opts.writes == Writes::MakeReadOnly
            && let Err(e) = crate::engines::of(self.sides.s.endpoint.engine)
                .is_read_only(self.sides.s)
                .await
        {
            findings.push((
                Failed,
                format!("whether the source is read-only cannot be read: {e}"),
            ));
        }
        for (status, what) in &findings {
            (self.events)(Event::Finding {
                status: *status,
                what: what.clone(),
            });
        }
        let failed: Vec<String> = findings
            .into_iter()
            .filter(|(status, _)| *status == Failed)
            .map(|(_, w)| w)
            .collect();
        match (failed.is_empty(), self.opts.dry_run) {
            (true, false) => self.record(Step::Readiness, started, "ready", "").await?,
            // A dry run says its verdict and writes nothing.
            (ready, _) => (self.events)(Event::Done {
                step: Step::Readiness,
                seconds: started.elapsed().as_secs_f64(),
                detail: match ready {
                    true => "ready".into(),
                    false => format!("not ready: {} finding(s) failed", failed.len()),
                },
                earlier: false,
            }),
        }
        Ok(failed)
    }

    /// The task's replication: in its last phase, nothing suspended, no check left.
    async fn replication_findings(&self) -> Result<Vec<(Status, String)>> {
        let Sides { x, s, d, .. } = *self.sides;
        let mut out = vec![];
        if !x.task_type.captures() {
            out.push((Failed, format!("task {} is a full-load task: nothing replicates the changes made since its load", x.name)));
            return Ok(out);
        }
        if self.earlier(Step::CatchUp).is_some() {
            out.push((
                Passed,
                format!("task {} stopped at the switch in an earlier run", x.name),
            ));
            return Ok(out);
        }
        match apply::checkpoint(d, &x.name).await? {
            None => out.push((
                Failed,
                format!(
                    "task {} has no checkpoint on {}: it has not replicated yet",
                    x.name,
                    d.endpoint.label()
                ),
            )),
            Some(c) if c.phase != ReplicationPhase::Cdc => out.push((
                Failed,
                format!(
                    "task {} is still in its {} phase: run it until it replicates ongoing changes",
                    x.name,
                    c.phase.as_str()
                ),
            )),
            Some(c) => {
                let log = crate::engines::of(s.endpoint.engine).change_log();
                let now = match log {
                    Some(l) => l
                        .current_position(s)
                        .await
                        .map(|p| p.to_string())
                        .unwrap_or_else(|e| format!("unknown ({e})")),
                    None => "unknown".into(),
                };
                out.push((Passed, format!("task {} replicates ongoing changes: checkpoint {}, the source's log at {now}", x.name, c.position)));
            }
        }
        let running = crate::engines::of(d.endpoint.engine)
            .task_lock(d, &x.name)
            .await?
            .is_none();
        out.push((Passed, if running {
            format!("task {} is running (another session holds its lock): it is ordered to stop at the switch", x.name)
        } else {
            format!("task {} is not running: the switch runs it here up to the switch", x.name)
        }));
        let suspended = suspended(d, &x.name).await?;
        if !suspended.is_empty() {
            out.push((
                Failed,
                format!(
                    "tables suspended (their changes are not applied): {}; reload them first",
                    suspended.join(", ")
                ),
            ));
        }
        let pending = crate::tasks::deferred::pending(d, &x.name).await?;
        if !pending.is_empty() {
            out.push((Failed, format!("{} constraint(s) left for after the load are not checked yet (they run once replication has caught up)", pending.len())));
        }
        out.extend(self.shared_findings().await?);
        Ok(out)
    }

    /// Tables other tasks write too (a consolidation): this task's rows must be told apart by
    /// its source column, to be compared and replicated back.
    async fn shared_findings(&self) -> Result<Vec<(Status, String)>> {
        let Sides { x, s, d, .. } = *self.sides;
        let tables = crate::tasks::prepared(x, s, d, &self.task_events()).await?;
        let mut out = vec![];
        for p in tables.iter().filter(|p| !p.shared_with.is_empty()) {
            let others = p.shared_with.join(", ");
            out.push(match p.owned_rows(d.endpoint.engine) {
                Some(rows) => (
                    Passed,
                    format!(
                        "{}: consolidated with task {others}; this task's rows ({rows}) are compared and replicated back",
                        p.target_sql
                    ),
                ),
                None => (
                    Failed,
                    format!(
                        "{}: task {others} writes it too and task {} has no source column: its rows can be neither compared nor replicated back alone (add a source-column rule and reload)",
                        p.target_sql, x.name
                    ),
                ),
            });
        }
        Ok(out)
    }

    /// The other direction: D can be replicated from, and S can take the changes.
    async fn then_findings(&self) -> Vec<(Status, String)> {
        let Sides { y, s, d, .. } = *self.sides;
        if !self.opts.then {
            return vec![(
                Passed,
                format!("task {} is not placed (asked not to)", y.name),
            )];
        }
        let mut out = vec![];
        for c in crate::cdc::checks::run(d, &[]).await {
            let fix = match c.status {
                Passed => String::new(),
                _ => format!("; fix: {}", c.fix),
            };
            out.push((
                c.status,
                format!("{} as the source of {}: {}{fix}", name(d), y.name, c.detail),
            ));
        }
        match crate::tasks::prepared(y, d, s, &self.task_events()).await {
            Err(e) => out.push((Failed, format!("task {}'s tables: {e}", y.name))),
            Ok(tables) => {
                out.push((
                    Passed,
                    format!("task {} replicates {} table(s) back", y.name, tables.len()),
                ));
                for c in crate::cdc::checks::target_triggers(s, &tables).await {
                    // (A warning: the old database's triggers would act on the changes
                    // replicated back; the DBA decides.)
                    out.push((
                        c.status,
                        format!("{} as the target of {}: {}", name(s), y.name, c.detail),
                    ));
                }
            }
        }
        out
    }

    pub(super) async fn stop_writes(&mut self) -> Result<()> {
        if self.reuse(Step::StopWrites) {
            return Ok(());
        }
        let started = Instant::now();
        (self.events)(Event::Started(Step::StopWrites));
        let s = self.sides.s;
        let (detail, value) = match self.opts.writes {
            Writes::Stopped => (
                format!(
                    "the application's writes to {} stopped by the DBA",
                    s.endpoint.label()
                ),
                String::new(),
            ),
            Writes::MakeReadOnly => {
                let ro = crate::engines::of(s.endpoint.engine)
                    .make_read_only(s)
                    .await?;
                self.note(format!(
                    "{} is read-only; to undo by hand: {}",
                    s.endpoint.label(),
                    ro.undo
                ));
                (format!("{}: {}", s.endpoint.label(), ro.done), ro.undo)
            }
        };
        self.record(Step::StopWrites, started, &detail, &value)
            .await
    }

    pub(super) async fn source_position(&mut self) -> Result<Position> {
        if let Some(e) = self.earlier(Step::SourcePosition)
            && let Some(p) = Position::parse(&e.value)
        {
            self.reuse(Step::SourcePosition);
            return Ok(p);
        }
        let started = Instant::now();
        (self.events)(Event::Started(Step::SourcePosition));
        let s = self.sides.s;
        let log = crate::engines::of(s.endpoint.engine)
            .change_log()
            .ok_or_else(|| refused(self.sides.x, "the source has no change log"))?;
        let p = log.current_position(s).await?;
        let gtid = log
            .gtid_at(s, &p)
            .await
            .map(|g| format!(" (GTID {g})"))
            .unwrap_or_default();
        self.record(
            Step::SourcePosition,
            started,
            &format!("{p}{gtid}"),
            &p.to_string(),
        )
        .await?;
        Ok(p)
    }

    /// Every change up to `p` applied: the task ordered to stop there, wherever it runs (run
    /// here when it runs nowhere).
    pub(super) async fn catch_up(&mut self, p: &Position) -> Result<()> {
        if self.reuse(Step::CatchUp) {
            return Ok(());
        }
        let started = Instant::now();
        (self.events)(Event::Started(Step::CatchUp));
        let Sides { x, s, d, .. } = *self.sides;
        let why = format!("switched to {} at {p}", d.endpoint.label());
        control::order_stop(d, &x.name, p, &why).await?;
        let mut ran_here = false;
        let mut last_note = Instant::now();
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(refused(x, "stopped while waiting for replication"));
            }
            let reached = control::read_order(d, &x.name)
                .await?
                .and_then(|o| o.reached);
            let lock = crate::engines::of(d.endpoint.engine)
                .task_lock(d, &x.name)
                .await?;
            match (reached, lock) {
                (Some(at), Some(_)) => {
                    let detail = format!(
                        "task {} stopped at {at}{}",
                        x.name,
                        if ran_here { " (run here)" } else { "" }
                    );
                    return self
                        .record(Step::CatchUp, started, &detail, &at.to_string())
                        .await;
                }
                (None, Some(lock)) if !ran_here => {
                    ran_here = true;
                    self.note(format!(
                        "task {} is not running: running it here up to {p}",
                        x.name
                    ));
                    let mode = Mode::Replicate {
                        task_type: x.task_type,
                        start: None,
                    };
                    // (Run holding the lock just taken: no other run can start in between.)
                    let (ev, cancel) = (self.task_events(), self.cancel.clone());
                    crate::runner::run_holding(Some(lock), x, s, d, mode, &[], ev, cancel).await?;
                }
                (None, Some(_)) => {
                    return Err(refused(
                        x,
                        &format!("task {} stopped before it reached {p}: see its log", x.name),
                    ));
                }
                (_, None) => {
                    if started.elapsed() > self.opts.catch_up {
                        let cp = apply::checkpoint(d, &x.name)
                            .await?
                            .map(|c| c.position.to_string())
                            .unwrap_or_default();
                        return Err(refused(
                            x,
                            &format!(
                                "task {} did not reach {p} in {} s (its checkpoint is at {cp}); writes may not have stopped, or it is not replicating",
                                x.name,
                                self.opts.catch_up.as_secs()
                            ),
                        ));
                    }
                    if last_note.elapsed() >= Duration::from_secs(5) {
                        last_note = Instant::now();
                        let cp = apply::checkpoint(d, &x.name)
                            .await?
                            .map(|c| c.position.to_string())
                            .unwrap_or_default();
                        self.note(format!(
                            "waiting for task {} to apply every change up to {p} (checkpoint {cp})",
                            x.name
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
        }
    }

    /// The tables compared by checksums while nothing changes: any difference refuses.
    pub(super) async fn validate(&mut self) -> Result<()> {
        if self.reuse(Step::Validate) {
            return Ok(());
        }
        let started = Instant::now();
        (self.events)(Event::Started(Step::Validate));
        let Sides { x, s, d, .. } = *self.sides;
        let mut t = x.clone();
        t.settings.validate = crate::tasks::ValidateMode::Rows;
        let summary =
            crate::tasks::validate_only(&t, s, d, self.task_events(), self.cancel.clone()).await?;
        let differ: Vec<String> = summary
            .tables
            .iter()
            .filter(|r| {
                r.error.is_some()
                    || r.validation.is_none()
                    || r.validation.is_some_and(|(a, b)| a != b)
                    || r.validation_detail.as_ref().is_some_and(|v| !v.ok())
            })
            .map(|r| match (&r.error, r.validation) {
                (Some(e), _) => format!("{} ({e})", r.source),
                (None, None) => format!("{} (not compared: see the log)", r.source),
                _ => r.source.clone(),
            })
            .collect();
        if !differ.is_empty() {
            return Err(refused(
                x,
                &format!(
                    "the tables differ at the switch: {} (the differing keys are in tugboat_validation_failures on {}); writes may not have stopped on {}. Nothing was switched: fix it and run the switch again",
                    differ.join(", "),
                    d.endpoint.label(),
                    s.endpoint.label()
                ),
            ));
        }
        let rows: i64 = summary
            .tables
            .iter()
            .filter_map(|r| r.validation.map(|v| v.0))
            .sum();
        let detail = format!("{} table(s), {rows} row(s): equal", summary.tables.len());
        self.record(Step::Validate, started, &detail, "").await
    }

    pub(super) async fn counters(&mut self) -> Result<()> {
        if self.reuse(Step::Counters) {
            return Ok(());
        }
        let started = Instant::now();
        (self.events)(Event::Started(Step::Counters));
        let Sides { x, s, d, .. } = *self.sides;
        let tables = crate::tasks::prepared(x, s, d, &self.task_events()).await?;
        let plans: Vec<_> = tables.into_iter().map(|p| p.plan).collect();
        let moved = counters::set(&plans, s, d).await?;
        for m in &moved {
            self.note(m.to_string());
        }
        let changed = moved.iter().filter(|m| m.next != m.was).count();
        let detail = format!(
            "{} counter(s) on {}, {changed} moved",
            moved.len(),
            d.endpoint.label()
        );
        self.record(Step::Counters, started, &detail, "").await
    }

    /// Where Y starts: D's log now (a new slot for it), its checkpoint placed on S.
    pub(super) async fn then_start(&mut self) -> Result<Option<Position>> {
        let Sides { y, s, d, .. } = *self.sides;
        if !self.opts.then {
            return Ok(None);
        }
        if let Some(e) = self.earlier(Step::ReversePosition)
            && let Some(q) = Position::parse(&e.value)
        {
            self.reuse(Step::ReversePosition);
            return Ok(Some(q));
        }
        let started = Instant::now();
        (self.events)(Event::Started(Step::ReversePosition));
        let log = crate::engines::of(d.endpoint.engine)
            .change_log()
            .ok_or_else(|| {
                refused(
                    self.sides.x,
                    "the target has no change log to replicate back from",
                )
            })?;
        let tables: Vec<String> = crate::tasks::prepared(y, d, s, &self.task_events())
            .await?
            .iter()
            .map(|p| format!("{}.{}", p.plan.source_schema, p.plan.source_table))
            .collect();
        // What an earlier cycle left for Y (a slot at an old position) goes first.
        if let Some(gone) = log.forget(d, &y.name).await? {
            self.note(format!(
                "dropped {gone}, left by an earlier run of {}",
                y.name
            ));
        }
        let q = log.start(d, &y.name, &tables).await?.position;
        let gtid = log.gtid_at(d, &q).await;
        let c = Checkpoint {
            position: q.clone(),
            phase: ReplicationPhase::Cdc,
            replay_until: None,
            changes: 0,
            gtid,
        };
        // (Reading it first makes the tables on a database Y never wrote to.)
        apply::checkpoint(s, &y.name).await?;
        apply::set_checkpoint(s, &y.name, &c).await?;
        control::withdraw(s, &y.name).await?;
        let detail = format!("task {} starts at {q} on {}", y.name, d.endpoint.label());
        self.record(Step::ReversePosition, started, &detail, &q.to_string())
            .await?;
        Ok(Some(q))
    }

    /// The switch is done: X's capture on S forgotten, D writable again if an earlier switch
    /// the other way made it read-only, that switch's journal cleared.
    pub(super) async fn switched(&mut self) -> Result<()> {
        let started = Instant::now();
        (self.events)(Event::Started(Step::Switched));
        let Sides { x, y, s, d } = *self.sides;
        if let Some(log) = crate::engines::of(s.endpoint.engine).change_log()
            && let Some(gone) = log.forget(s, &x.name).await?
        {
            self.note(format!(
                "dropped {gone}: task {} is stopped at the switch and nothing would read it",
                x.name
            ));
        }
        let other = journal::read(s, &y.name).await?;
        if other
            .iter()
            .any(|e| e.step == Step::StopWrites && e.done && !e.value.is_empty())
        {
            crate::engines::of(d.endpoint.engine)
                .undo_read_only(d)
                .await?;
            self.note(format!(
                "{} is writable again (an earlier switch had made it read-only)",
                d.endpoint.label()
            ));
        }
        journal::clear(s, &y.name).await?;
        let detail = format!("the application may write to {} now", d.endpoint.label());
        self.record(Step::Switched, started, &detail, "").await
    }
}

/// An endpoint as a finding names it: its name in the project, else its label.
fn name(c: &Connection) -> String {
    match c.endpoint.name.as_str() {
        "" => c.endpoint.label(),
        n => n.to_string(),
    }
}

/// The tables of `task` suspended on `target`.
async fn suspended(target: &Connection, task: &str) -> Result<Vec<String>> {
    use crate::tasks::state::SUSPENDED;
    // (Reading the checkpoint makes the table when the task never replicated.)
    apply::checkpoint(target, task).await?;
    let rows = target
        .query(
            &format!("reading {SUSPENDED}"),
            &format!(
                "SELECT table_name FROM {SUSPENDED} WHERE task = {}",
                crate::engines::values::text_literal(target.endpoint.engine, task)
            ),
        )
        .await?;
    Ok(rows.iter().map(|r| r.s("table_name")).collect())
}
