//! Replication into a data lake: the source's change log captured as for a database target,
//! its changes written as change files per table (see [`super::changes`]) every
//! `cdc_flush_secs` or once they hold `file_mb` MiB, at a transaction's end (a large
//! transaction's changes go into its batch's files as they come, [`super::pending`]). A batch of files
//! is made visible before the checkpoint beside them (`_tugboat/<task>/checkpoint.json`) moves
//! past its changes, and the files of a batch the checkpoint does not name are deleted when the
//! task starts again: a kill at any moment loses or repeats no change. A full-load-and-cdc task
//! records where the log is before its full load and writes the changes from there once the
//! tables are loaded: applying the load's files, then the changes in `_seq` order by key,
//! gives the source's rows (a change made during the load may already be in its files).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::Lake;
use super::changes::TableChanges;
use super::checkpoint::{LakeCheckpoint, checkpoint, drop_unfinished};
use super::load::state_path;
use super::plan::LakeTable;
use super::shaping::{self, meta_of};
use crate::cdc::run::CdcSummary;
use crate::cdc::{CdcStats, ReplicationPhase, TaskType};
use crate::endpoints::Connection;
use crate::engines::ChangeLog;
use crate::engines::change::{Captured, Position};
use crate::error::{Error, Result};
use crate::tasks::{Task, TaskEvent};

/// Captures that fail in a row, without a batch written between them, before the task stops.
const STRIKES: u32 = 5;

fn failed(task: &Task, reason: String) -> Error {
    Error::Invalid {
        what: format!("task {}", task.name),
        reason,
    }
}

/// Runs a full-load-and-cdc or cdc task from `source` into `lake` until `cancel` is set.
pub async fn run(
    task: &Task,
    task_type: TaskType,
    source: &Connection,
    lake: &Lake,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<AtomicBool>,
) -> Result<CdcSummary> {
    let step = |m: String| events(TaskEvent::Step(m));
    let Some(log) = crate::engines::of(source.endpoint.engine).change_log() else {
        return Err(failed(
            task,
            format!(
                "{} keeps no change log Tugboat reads",
                source.endpoint.engine
            ),
        ));
    };
    let stop = super::stop::Stop::of(task, source.endpoint.engine).map_err(|e| failed(task, e))?;
    let tables = super::plan::tables(task, source, lake, &events).await?;
    step("premigration checks".into());
    let prepared: Vec<_> = tables.iter().map(|t| t.prepared.clone()).collect();
    let found = crate::cdc::checks::run(source, &prepared).await;
    if let Some(c) = found
        .iter()
        .find(|c| c.status == crate::cdc::checks::Status::Failed)
    {
        return Err(failed(
            task,
            format!(
                "premigration check {} failed: {}; fix: {}",
                c.name, c.detail, c.fix
            ),
        ));
    }
    let cp_path = state_path(lake, &task.name, "checkpoint.json");
    let mut cp = checkpoint(task, task_type, source, lake, log, &tables, &cp_path, &step).await?;
    let position = Position::parse(&cp.position).ok_or_else(|| {
        failed(
            task,
            format!("checkpoint {} is not a position", cp.position),
        )
    })?;
    if let Some(why) = log.lost(source, &task.name, &position).await? {
        return Err(failed(
            task,
            format!(
                "its changes from {position} can no longer be read: {why}; start it again from an empty folder"
            ),
        ));
    }
    let mut full_load = None;
    if cp.phase == ReplicationPhase::FullLoad {
        step(format!(
            "full load; the changes from {position} on are written once it is done"
        ));
        let mut t = task.clone();
        t.settings.validate = crate::tasks::ValidateMode::None;
        let summary = super::load::run_tables(
            &t,
            source,
            lake,
            tables.clone(),
            events.clone(),
            cancel.clone(),
        )
        .await?;
        if summary.failed() > 0 || cancel.load(Ordering::Relaxed) {
            return Ok(CdcSummary {
                task: task.name.clone(),
                task_type,
                full_load: Some(summary),
                checks: found,
                stats: CdcStats::default(),
                stop_reason: "the full load did not finish".into(),
            });
        }
        full_load = Some(summary);
        cp.phase = ReplicationPhase::Cdc;
        lake.put_json(&cp_path, &cp).await?;
    }
    let mut w = Writer::new(task, source, lake, tables, cp, cp_path)?;
    w.stop = stop;
    let stop_reason = w.replicate(log, &events, &cancel).await?;
    Ok(CdcSummary {
        task: task.name.clone(),
        task_type,
        full_load,
        checks: found,
        stats: w.stats,
        stop_reason,
    })
}

/// What the per-second figures are computed from.
#[derive(Debug, Default)]
struct Rates {
    /// `_seq` and changes written at the last report.
    seq: u64,
    applied: u64,
    /// The commit time of the last transaction read, and of the last one written.
    read_commit_ms: i64,
    written_commit_ms: i64,
}

/// The changes on their way to the lake.
struct Writer<'a> {
    task: &'a Task,
    source: &'a Connection,
    lake: &'a Lake,
    cp: LakeCheckpoint,
    cp_path: object_store::path::Path,
    /// By lower-case source `schema.table`.
    tables: HashMap<String, TableChanges>,
    /// The end of the last transaction taken.
    taken: Option<Position>,
    /// When the oldest change not written was taken.
    since: Option<Instant>,
    /// `_seq` of the last change taken.
    seq: u64,
    /// The changes of a large transaction read so far (its commit time comes at its end).
    open: super::pending::Pending,
    /// Tells the capture what the lake holds (a slot then lets its WAL go).
    confirm: Option<tokio::sync::mpsc::UnboundedSender<Position>>,
    /// A change the lake cannot take: starting again cannot help.
    fatal: bool,
    /// The task's source filters and add-column expressions, evaluated on the source for the
    /// changes of the tables that have them (as a database target's replication does).
    shaper: Option<crate::cdc::transform::Shaper>,
    /// Where it ends by itself, and once reached, why.
    stop: Option<super::stop::Stop>,
    stop_reason: Option<String>,
    rates: Rates,
    stats: CdcStats,
}

impl<'a> Writer<'a> {
    fn new(
        task: &'a Task,
        source: &'a Connection,
        lake: &'a Lake,
        tables: Vec<LakeTable>,
        cp: LakeCheckpoint,
        cp_path: object_store::path::Path,
    ) -> Result<Writer<'a>> {
        let (cp_seq, cp_changes) = (cp.seq, cp.changes);
        let mut by_name = HashMap::new();
        for t in tables {
            let meta = meta_of(source, &t);
            let changes = TableChanges::new(t, &meta).map_err(|e| failed(task, e))?;
            by_name.insert(changes.table.label().to_lowercase(), changes);
        }
        let shaper = shaping::shaper(source, &by_name)?;
        Ok(Writer {
            task,
            source,
            lake,
            seq: cp.seq,
            stats: CdcStats {
                checkpoint: cp.position.clone(),
                applied: cp.changes,
                ..Default::default()
            },
            cp,
            cp_path,
            tables: by_name,
            taken: None,
            since: None,
            open: super::pending::Pending::new(held_limit(task)),
            confirm: None,
            fatal: false,
            shaper,
            stop: None,
            stop_reason: None,
            rates: Rates {
                seq: cp_seq,
                applied: cp_changes,
                ..Default::default()
            },
        })
    }

    /// Captures from the checkpoint and writes until stopped; why it stopped. A capture that
    /// fails starts again from the checkpoint after 1, 2, 4... s (a slot still held by the
    /// session of a process killed a moment ago), up to [`STRIKES`] times in a row without a
    /// batch written; a change the lake cannot take stops the task at once.
    async fn replicate(
        &mut self,
        log: &'static dyn ChangeLog,
        events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
        cancel: &AtomicBool,
    ) -> Result<String> {
        let mut strikes = 0;
        loop {
            let from = Position::parse(&self.cp.position).ok_or_else(|| {
                failed(
                    self.task,
                    format!("checkpoint {} is not a position", self.cp.position),
                )
            })?;
            if let Some(why) = self.stop.as_ref().and_then(|s| s.before_start(&from)) {
                return Ok(why);
            }
            let batch = self.cp.batch;
            // Files of batches the checkpoint does not name (a kill, a write that failed
            // half-way): their changes are captured and written again.
            for t in self.tables.values() {
                drop_unfinished(self.lake, &t.table, batch).await?;
            }
            let e = match self.session(log, from.clone(), events, cancel).await {
                Ok(why) => return Ok(why),
                Err(e) => e,
            };
            // What was taken and not written is captured again (files of the batch under way
            // given up).
            self.forget_taken().await;
            if self.fatal || cancel.load(Ordering::Relaxed) {
                return Err(e);
            }
            if let Some(why) = log.lost(self.source, &self.task.name, &from).await? {
                return Err(failed(
                    self.task,
                    format!("{e}; its changes can no longer be read: {why}"),
                ));
            }
            strikes = if self.cp.batch > batch {
                1
            } else {
                strikes + 1
            };
            if strikes > STRIKES {
                return Err(e);
            }
            let wait = 1u64 << (strikes - 1);
            events(TaskEvent::Step(format!(
                "{e}; starting again from {} in {wait} s",
                self.cp.position
            )));
            let until = Instant::now() + Duration::from_secs(wait);
            while Instant::now() < until {
                if cancel.load(Ordering::Relaxed) {
                    return Ok("stopped".into());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Lets go of the changes taken and not written: they are captured again.
    async fn forget_taken(&mut self) {
        for t in self.tables.values_mut() {
            t.clear();
            t.abort().await;
        }
        self.open.clear();
        self.taken = None;
        self.since = None;
        self.seq = self.cp.seq;
    }

    /// One capture from `from`, written until stopped (why) or until it fails.
    async fn session(
        &mut self,
        log: &'static dyn ChangeLog,
        from: Position,
        events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
        cancel: &AtomicBool,
    ) -> Result<String> {
        let (feed, mut intake) = crate::engines::change::feed();
        let (confirm, confirmed) = tokio::sync::mpsc::unbounded_channel();
        self.confirm = Some(confirm);
        let capture = {
            let (c, task, metas) = (
                self.source.clone(),
                self.task.name.clone(),
                shaping::metas(self.source, &self.tables),
            );
            tokio::spawn(async move {
                log.capture(c, task, from, metas, feed, confirmed, false)
                    .await
            })
        };
        events(TaskEvent::Step(format!(
            "writing the changes from {} every {} s (or {} MiB)",
            self.cp.position, self.task.settings.cdc_flush_secs, self.task.settings.file_mb
        )));
        let mut said = Instant::now();
        let mut followed = Instant::now();
        let r = loop {
            if cancel.load(Ordering::Relaxed) {
                break Ok("stopped".to_string());
            }
            let got = tokio::time::timeout(Duration::from_millis(200), intake.recv()).await;
            let step = match got {
                Err(_) if self.since.is_none() && self.open.is_empty() && intake.is_empty() => {
                    if let Some(s) = self.stop.as_mut().filter(|_| self.stop_reason.is_none()) {
                        self.stop_reason = s.probe(self.source, log).await;
                    }
                    Ok(())
                }
                Err(_) => Ok(()),
                Ok(None) => Err(failed(
                    self.task,
                    "the capture of the source's changes stopped".into(),
                )),
                Ok(Some(c)) => self.take(c, events).await,
            };
            if let Err(e) = step {
                break Err(e);
            }
            if let Some(why) = &self.stop_reason {
                break Ok(why.clone());
            }
            if self.due() {
                if let Err(e) = self.flush(events).await {
                    break Err(e);
                }
            } else if self.since.is_none()
                && intake.is_empty()
                && let Some((p, _)) = intake.read_through()
                && self.cp.position != p.to_string()
                && followed.elapsed()
                    > Duration::from_secs(self.task.settings.cdc_flush_secs.max(1))
            {
                followed = Instant::now();
                // Read through the stop with nothing for the task: it ends, its checkpoint
                // where it is (never past the stop).
                self.stop_reason = self.stop.as_ref().and_then(|s| s.read_through(&p));
                if self.stop_reason.is_some() {
                    continue;
                }
                // Nothing to write: the checkpoint follows the log (a slot lets its WAL go).
                let next = LakeCheckpoint {
                    position: p.to_string(),
                    ..self.cp.clone()
                };
                self.taken = Some(p.clone());
                if let Err(e) = self.save(next, p).await {
                    break Err(e);
                }
            }
            if said.elapsed() >= Duration::from_secs(1) {
                let secs = said.elapsed().as_secs_f64();
                said = Instant::now();
                self.report(intake.changes() as u64, secs, events);
            }
        };
        // What was taken is written before stopping (a failure writes nothing more).
        let r = match r {
            Ok(why) => self.flush(events).await.map(|()| why),
            Err(e) => Err(e),
        };
        drop(intake);
        capture.abort();
        // Ended (its connection dropped) before the slot is released, up to the checkpoint
        // kept (`self.cp` moves only once kept).
        if let Err(e) = capture.await
            && !e.is_cancelled()
        {
            tracing::debug!(target: "tugboat::tasks", "the capture ended: {e}");
        }
        if let Some(at) = Position::parse(&self.cp.position) {
            log.release(self.source, &self.task.name, &at).await;
        }
        r
    }

    /// The figures of the last `secs` seconds, as a database target's replication gives them.
    fn report(&mut self, backlog: u64, secs: f64, events: &Arc<dyn Fn(TaskEvent) + Send + Sync>) {
        let now_ms = now_ms();
        let lag = |ms: i64| {
            if ms > 0 {
                (now_ms - ms).max(0) as f64 / 1000.0
            } else {
                0.0
            }
        };
        let s = &mut self.stats;
        s.incoming_per_s = (self.seq - self.rates.seq) as f64 / secs;
        s.applied_per_s = (s.applied - self.rates.applied) as f64 / secs;
        s.source_latency_s = lag(self.rates.read_commit_ms);
        s.target_latency_s = lag(self.rates.written_commit_ms);
        s.backlog = backlog + (self.seq - self.cp.seq);
        s.ready_to_cut_over = false;
        self.rates.seq = self.seq;
        self.rates.applied = s.applied;
        events(TaskEvent::Cdc(Box::new(s.clone())));
    }

    /// Whether the changes held are to be written now.
    fn due(&self) -> bool {
        let bytes: usize = self.tables.values().map(TableChanges::batch_bytes).sum();
        self.since.is_some_and(|s| {
            s.elapsed() >= Duration::from_secs(self.task.settings.cdc_flush_secs)
                || bytes as u64 >= self.task.settings.file_mb << 20
        })
    }

    async fn take(
        &mut self,
        c: Captured,
        events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
    ) -> Result<()> {
        if let Some(s) = &mut self.stop {
            s.heard();
        }
        // Past the stop: neither it nor what was read of it is written (a TRUNCATE or a
        // column added after the stop no more than a transaction).
        let at = match &c {
            Captured::Txn(t) => Some((&t.end, t.commit_ms)),
            Captured::Ddl { end, commit_ms, .. } => Some((end, *commit_ms)),
            Captured::ColumnsAdded { end, .. } => Some((end, 0)),
            _ => None,
        };
        if let (Some(s), Some((end, commit_ms))) = (&self.stop, at)
            && let Some(why) = s.passed_by(end, commit_ms)
        {
            self.open.clear();
            self.stop_reason = Some(why);
            return Ok(());
        }
        match c {
            Captured::Txn(t) => self.take_txn(t).await,
            Captured::Part(changes) => {
                let aside = self.open.spilled();
                self.open.push(changes).map_err(|e| failed(self.task, e))?;
                if aside == 0 && self.open.spilled() > 0 {
                    events(TaskEvent::Step(
                        "a large transaction: its changes are held aside on this machine (a temporary file) until its end brings its commit time".into(),
                    ));
                }
                Ok(())
            }
            Captured::Ddl {
                sql,
                table: Some(table),
                commit_ms,
                ..
            } if sql.to_ascii_uppercase().starts_with("TRUNCATE")
                && self.tables.contains_key(&table.to_lowercase()) =>
            {
                self.emptied(&table, commit_ms, events).await
            }
            Captured::Ddl { sql, table, .. } => {
                events(TaskEvent::Step(format!(
                    "DDL on the source{}: {sql}",
                    table.map(|t| format!(" ({t})")).unwrap_or_default()
                )));
                Ok(())
            }
            Captured::ColumnsAdded { label, table, .. } => {
                self.columns_added(&label, &table, events).await
            }
            Captured::TableChanged { table, reason } => Err(failed(
                self.task,
                format!("{table} changed on the source: {reason}"),
            )),
            Captured::Failed(why) => Err(failed(self.task, why)),
        }
    }

    /// A transaction read: its changes (those held of it first) as the task's filters and
    /// expressions make them, added to the tables' changes; a large one's go into its batch's
    /// files as they come.
    async fn take_txn(&mut self, t: crate::engines::change::Txn) -> Result<()> {
        let parts = self.open.take_with(t.changes);
        for part in parts.map_err(|e| failed(self.task, e))? {
            let part = part.map_err(|e| failed(self.task, e))?;
            let changes = match &self.shaper {
                Some(shaper) => {
                    match shaping::shape(shaper, part, &t.end, t.commit_ms).await? {
                        Ok(shaped) => shaped,
                        Err(refused) => {
                            // The lake has no table to keep refused rows in: the task stops
                            // before them.
                            self.fatal = true;
                            return Err(failed(self.task, refused));
                        }
                    }
                }
                None => part,
            };
            self.add(&changes, t.commit_ms)?;
            // A large transaction's changes go to its batch's files as they come (the
            // checkpoint moves once it is all written).
            let held: usize = self.tables.values().map(TableChanges::bytes).sum();
            if held >= held_limit(self.task) {
                self.write_held().await?;
            }
        }
        self.stats.read_position = t.end.to_string();
        self.rates.read_commit_ms = t.commit_ms;
        self.taken = Some(t.end);
        Ok(())
    }

    fn add(&mut self, changes: &[crate::engines::change::Change], commit_ms: i64) -> Result<()> {
        for c in changes {
            let Some(t) = self.tables.get_mut(&c.table.to_lowercase()) else {
                continue;
            };
            if let Err(e) = t.add(c, commit_ms, &mut self.seq) {
                self.fatal = true;
                return Err(failed(self.task, e));
            }
            let counts = self.counts_of(&c.table);
            match c.op {
                crate::engines::change::Op::Insert => counts.inserts += 1,
                crate::engines::change::Op::Update => counts.updates += 1,
                crate::engines::change::Op::Delete => counts.deletes += 1,
            }
            self.since.get_or_insert_with(Instant::now);
        }
        Ok(())
    }

    /// A table got columns on the source: the changes so far are written with the old
    /// columns, the next files have the new ones (and so does its schema file).
    async fn columns_added(
        &mut self,
        label: &str,
        table: &crate::model::Table,
        events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
    ) -> Result<()> {
        let key = label.to_lowercase();
        let Some(old) = self.tables.get(&key) else {
            return Ok(());
        };
        let mut plan = old.table.prepared.plan.clone();
        let mut catalog = crate::model::Catalog::default();
        catalog.schemas.push(crate::model::Schema {
            name: plan.source_schema.clone(),
            tables: vec![table.clone()],
            ..Default::default()
        });
        if let Some(p) = crate::tasks::mappings::plan(
            &self.task.mappings,
            &catalog,
            |n| n.to_string(),
            |s| s.to_string(),
        )?
        .into_iter()
        .next()
        {
            plan = p;
        }
        let rules = super::types::LakeRules::shipped(crate::ddl::Dialect::of_engine(
            self.source.endpoint.engine,
        ))?;
        let t = super::plan::table(&plan, self.source, self.lake, &rules)?;
        // What was taken is written first, the batch's files under the old columns (not
        // mid-transaction: a definition change comes between transactions; some of a large
        // one's files may be written already: `flush` ends their batch).
        self.flush(events).await?;
        self.lake
            .put_json(&t.dir.clone().join("_schema.json"), &t.schema)
            .await?;
        events(TaskEvent::Step(format!(
            "{label}: columns added on the source; the next change files have them ({})",
            t.schema
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
        let meta = meta_of(self.source, &t);
        let changes = TableChanges::new(t, &meta).map_err(|e| failed(self.task, e))?;
        self.tables.insert(key, changes);
        // Its filter and expressions read the captured row by its columns' places.
        self.shaper = shaping::shaper(self.source, &self.tables)?;
        Ok(())
    }

    /// The changes counted for `table` (source `schema.table`).
    fn counts_of(&mut self, table: &str) -> &mut crate::tasks::replication::TableCounts {
        let tables = &mut self.stats.tables;
        let i = match tables.iter().position(|(n, _)| n == table) {
            Some(i) => i,
            None => {
                tables.push((table.to_string(), Default::default()));
                tables.len() - 1
            }
        };
        &mut tables[i].1
    }

    /// `label` emptied on the source (TRUNCATE), committed at `commit_ms` (0: not known): what
    /// was taken before is written, then a delete of each of its rows the lake holds, as a
    /// batch of its own (see [`super::emptied`]); the checkpoint stays before the TRUNCATE,
    /// which read again finds nothing more to delete.
    async fn emptied(
        &mut self,
        label: &str,
        commit_ms: i64,
        events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
    ) -> Result<()> {
        let key = label.to_lowercase();
        // Its changes earlier in a transaction still open went with its rows.
        self.open.drop_table(&key);
        self.flush(events).await?;
        let Some(t) = self.tables.get(&key) else {
            return Ok(());
        };
        let batch = self.cp.batch + 1;
        // (A PostgreSQL TRUNCATE read in a large transaction's parts: its commit is to come.)
        let ms = if commit_ms > 0 { commit_ms } else { now_ms() };
        let mut seq = self.seq;
        let file_mb = self.task.settings.file_mb;
        let written =
            super::emptied::write_deletes(self.lake, &t.table, batch, file_mb, ms, &mut seq)
                .await
                .map_err(|e| failed(self.task, e))?;
        let Some(n) = written else {
            tracing::warn!(target: "tugboat::tasks", "{label}: emptied on the source (TRUNCATE), but it has no primary key (or the task does not map one of its key's columns) to write deletes by: its rows stay in the lake; reload the table (--reload {label})");
            events(TaskEvent::Step(format!(
                "{label}: emptied on the source (TRUNCATE); WITHOUT a key to delete its rows by, the lake still holds them: reload the table (--reload {label})"
            )));
            return Ok(());
        };
        if n == 0 {
            events(TaskEvent::Step(format!(
                "{label}: emptied on the source (TRUNCATE); the lake holds none of its rows"
            )));
            return Ok(());
        }
        let at = Position::parse(&self.cp.position).ok_or_else(|| {
            failed(
                self.task,
                format!("checkpoint {} is not a position", self.cp.position),
            )
        })?;
        let next = LakeCheckpoint {
            batch,
            seq,
            changes: self.cp.changes + n,
            ..self.cp.clone()
        };
        self.save(next, at).await?;
        self.seq = seq;
        self.stats.applied = self.cp.changes;
        self.counts_of(label).deletes += n;
        events(TaskEvent::Step(format!(
            "{label}: emptied on the source (TRUNCATE): a delete of each of its {n} rows written as batch {batch}"
        )));
        Ok(())
    }

    /// Writes the changes held as the next batch, then the checkpoint past them.
    async fn flush(&mut self, events: &Arc<dyn Fn(TaskEvent) + Send + Sync>) -> Result<()> {
        let Some(end) = self.taken.clone() else {
            return Ok(());
        };
        if self.since.is_none() {
            return Ok(());
        }
        let batch = self.cp.batch + 1;
        self.write_held().await?;
        let mut files = 0;
        for t in self.tables.values_mut() {
            let names = t.finish_batch().await.map_err(|e| failed(self.task, e))?;
            files += names.len();
        }
        // (A value refused by its type fails the write the same way each time: the retries
        // end it after a few tries.)
        let changes = self.seq - self.cp.seq;
        let next = LakeCheckpoint {
            batch,
            seq: self.seq,
            changes: self.cp.changes + changes,
            position: end.to_string(),
            ..self.cp.clone()
        };
        self.save(next, end).await?;
        self.since = None;
        self.stats.applied = self.cp.changes;
        self.rates.written_commit_ms = self.rates.read_commit_ms;
        events(TaskEvent::Step(format!(
            "batch {batch}: {changes} changes in {files} files, up to {}",
            self.cp.position
        )));
        Ok(())
    }

    /// Writes the changes held into the files of the batch under way, left open, the
    /// checkpoint where it is (a kill before the batch's checkpoint: its files are deleted at
    /// the next start and its changes captured again).
    async fn write_held(&mut self) -> Result<()> {
        let batch = self.cp.batch + 1;
        let zero_null = self.task.settings.zero_dates == crate::tasks::ZeroDates::Null;
        for t in self.tables.values_mut().filter(|t| !t.is_empty()) {
            t.append(self.lake, batch, self.task.settings.file_mb, zero_null)
                .await
                .map_err(|e| failed(self.task, e))?;
        }
        Ok(())
    }

    /// Makes `next` the checkpoint: kept beside the data, then the task's (never before it is
    /// kept: the slot is moved up to it, see `session`).
    async fn save(&mut self, next: LakeCheckpoint, at: Position) -> Result<()> {
        self.lake.put_json(&self.cp_path, &next).await?;
        self.cp = next;
        self.stats.checkpoint = self.cp.position.clone();
        // A capture that needs no confirmation (a binary log) has let its end go.
        if let Some(c) = &self.confirm
            && c.send(at).is_err()
        {
            tracing::debug!(target: "tugboat::tasks", "the capture takes no confirmation");
        }
        Ok(())
    }
}

/// The bytes of a large transaction's changes held in memory at most, waiting for its end and
/// waiting to be written ([`super::pending::HELD_BYTES`], less with smaller files).
fn held_limit(task: &Task) -> usize {
    super::pending::HELD_BYTES.min((task.settings.file_mb << 20) as usize)
}

/// Milliseconds since 1970 now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
