//! What a replication session does with what the capture reads besides transactions: the
//! parts of a large transaction (applied in a target transaction left open), DDL (a TRUNCATE
//! applied, anything else suspending the table), columns added, a table changed, a failed
//! capture; and the stats it reports once a second.

use super::*;
use crate::engines::change::Change;

impl Replication<'_, '_> {
    /// Handles `after` (read after the pending batch, now committed); the position to commit
    /// as the checkpoint once it is handled, if any.
    pub(super) async fn handle(&mut self, after: Option<Captured>) -> Result<Option<Position>> {
        match after {
            Some(Captured::Part(changes)) => {
                self.part(changes).await?;
                Ok(None)
            }
            Some(Captured::Ddl {
                end, table, sql, ..
            }) => {
                self.read_end = end.clone();
                self.ddl(table, &sql).await?;
                Ok(Some(end))
            }
            Some(Captured::ColumnsAdded { end, label, table }) => {
                if self.applier.is_tracked(&label) {
                    self.columns_added(&label, &table, &end).await;
                }
                Ok(Some(end))
            }
            Some(Captured::TableChanged { table, reason }) if self.applier.is_tracked(&table) => {
                self.applier.suspend(&table, reason);
                if let Some(c) = self.cache.as_mut() {
                    c.drop_table(&table);
                }
                Ok(None)
            }
            Some(Captured::Failed(e)) => Err(fail(self.s.source, e)),
            _ => Ok(None),
        }
    }

    /// The first changes of a large transaction: applied in a target transaction left open
    /// until its end arrives.
    async fn part(&mut self, changes: Vec<Change>) -> Result<()> {
        self.read_window += changes.len() as u64;
        let changes = match self.cache.as_mut() {
            Some(c) => {
                // The caches of tables loaded since go first.
                let (released, keep) = c.route(changes, &self.read_end, 0);
                let mut all: Vec<_> = released.into_iter().flat_map(|x| x.changes).collect();
                all.extend(keep);
                all
            }
            None => changes,
        };
        let n = changes.len() as u64;
        if n > 0 {
            let idempotent = self.cp.phase == ReplicationPhase::Replay || self.cache.is_some();
            self.applier.apply_part(changes, idempotent).await?;
        }
        self.applied_window += n;
        Ok(())
    }

    /// DDL on `table`: a TRUNCATE is applied; anything else suspends the table (its shape is
    /// no longer what the load and the applier were planned with).
    async fn ddl(&mut self, table: Option<String>, sql: &str) -> Result<()> {
        let Some(t) = table.filter(|t| self.applier.is_tracked(t)) else {
            return Ok(());
        };
        let truncate = sql.to_ascii_uppercase().starts_with("TRUNCATE");
        match not_loaded(&self.cache, &t) {
            // A table the load has not started reads as it is then: a TRUNCATE is in it.
            Some(Load::Pending) if truncate => {}
            // Anything else changes what the load was planned with.
            Some(_) => {
                self.applier.suspend(
                    &t,
                    format!(
                        "the source ran DDL on it during its full load ({sql}); reload the table"
                    ),
                );
                if let Some(c) = self.cache.as_mut() {
                    c.drop_table(&t);
                }
            }
            None if truncate => self.applier.truncate(&t).await?,
            None => self.applier.suspend(
                &t,
                format!("the source ran DDL on it ({sql}); reload the table"),
            ),
        }
        Ok(())
    }

    /// Columns added to `label` on the source: added on the target too, unless the table is
    /// still loading or the target would commit an open transaction half-applied (then the
    /// table is suspended).
    async fn columns_added(&mut self, label: &str, table: &crate::model::Table, end: &Position) {
        let target = crate::engines::of(self.s.target.endpoint.engine);
        if not_loaded(&self.cache, label).is_some() {
            self.read_end = end.clone();
            self.applier.suspend(
                label,
                "columns were added on the source during its full load; reload the table".into(),
            );
            if let Some(c) = self.cache.as_mut() {
                c.drop_table(label);
            }
        } else if self.applier.is_open() && target.ddl_commits() {
            // Inside a source transaction held open on the target: an ALTER there would
            // commit half of it.
            self.applier.suspend(
                label,
                format!(
                    "columns were added on the source inside a large transaction; {} cannot add them on the target without committing it half-applied; reload the table",
                    self.s.target.endpoint.engine.label()
                ),
            );
        } else if let Err(why) = self
            .applier
            .add_columns(label, table, self.s.source.endpoint.engine)
            .await
        {
            self.applier.suspend(
                label,
                format!("columns added on the source could not be added on the target: {why}; reload the table"),
            );
        }
    }

    /// The stats of the last window (rates, latencies, backlog, per-table counts, whether the
    /// task is ready to cut over) sent as a [`TaskEvent::Cdc`]; deferred checks start once
    /// replication has caught up.
    pub(super) fn report(
        &mut self,
        stop: bool,
        read_through: &Option<(Position, Instant)>,
        stats: &mut CdcStats,
    ) {
        // The rates of a whole window (a stop cuts the last one short: the previous stand).
        if self.window.elapsed() >= Duration::from_secs(1) {
            let secs = self.window.elapsed().as_secs_f64();
            stats.incoming_per_s = self.read_window as f64 / secs;
            stats.applied_per_s = self.applied_window as f64 / secs;
            (self.read_window, self.applied_window) = (0, 0);
            self.window = Instant::now();
        }
        let idle = self.pending.is_empty() && self.rx.is_empty();
        if idle && self.last_commit > 0 {
            stats.target_latency_s = stats
                .target_latency_s
                .min(now_unix() - self.last_commit as f64 / 1000.0);
        }
        // Nothing waits and the capture has just read to the end of the log with nothing for
        // the task (a heartbeat, an empty read): the target is as current as that news,
        // however long ago the last change of its tables was.
        if let Some((through, at)) = read_through
            && idle
            && !self.applier.is_open()
            && through.reached(&self.cp.position)
        {
            let age = at.elapsed().as_secs_f64();
            stats.source_latency_s = stats.source_latency_s.min(age);
            stats.target_latency_s = stats.target_latency_s.min(age);
        }
        stats.phase = self.cp.phase;
        stats.checkpoint = self.cp.position.to_string();
        let cached = self.cache.as_ref().map_or(0, Cached::total);
        stats.backlog = (self.pending_changes + self.rx.changes() + cached) as u64;
        stats.applied = self.applier.applied;
        stats.tables = self.table_counts();
        stats.open_transaction = self.applier.open_changes() as u64;
        let caught_up = self.cp.phase == ReplicationPhase::Cdc
            && stats.backlog == 0
            && stats.open_transaction == 0
            && stats.target_latency_s < 2.0;
        if caught_up && !stop {
            let events = self.s.events.clone();
            self.deferred
                .start(self.s.target, &self.s.task.name, events);
        }
        let checks = self.deferred.progress();
        stats.constraints_pending = checks.pending;
        stats.constraint_failures = checks.failures;
        stats.ready_to_cut_over = caught_up && checks.read && stats.constraints_pending == 0;
        (self.s.events)(TaskEvent::Cdc(Box::new(stats.clone())));
    }

    /// Each table's counts, with its cached changes and load state, by name.
    fn table_counts(&self) -> Vec<(String, TableCounts)> {
        let mut tables: Vec<(String, TableCounts)> = self
            .applier
            .counts
            .iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                v.cached = self.cache.as_ref().map_or(0, |c| c.of(k));
                v.load = match not_loaded(&self.cache, k) {
                    Some(Load::Pending) => Some("before load".into()),
                    Some(_) => Some("loading".into()),
                    None => None,
                };
                (k.clone(), v)
            })
            .collect();
        tables.sort_by(|a, b| a.0.cmp(&b.0));
        tables
    }
}
