//! Applying captured changes to the target: each batch of source transactions is one target
//! transaction holding the row statements and the new checkpoint in `tugboat_cdc_checkpoint`,
//! so the target's data and the position it reflects never disagree. The statements of a batch
//! go in one round trip; when one fails (a duplicate key, a value the target refuses) the batch
//! runs again statement by statement inside savepoints, so the failing change is found and goes
//! to the task's error policy while the others apply.
//!
//! Values pass through the full load's fixes ([`crate::engines::values::fix`], LOB limit, NUL
//! policy) and literals, so a change writes exactly what a full load of the row would.

use std::collections::{HashMap, HashSet};

use super::transform::Shaper;
use super::{Change, Op, Position, TableCounts, Txn};
use crate::endpoints::session::Session;
use crate::endpoints::{Connection, Engine};
use crate::engines::change::TableMeta;
use crate::engines::change::query_error;
use crate::engines::values;
use crate::error::{Error, Result};
use crate::tasks::replication::ReplicationPhase;
use crate::tasks::state::SUSPENDED;
use crate::tasks::{ErrorPolicy, Prepared};
mod checkpoint;
pub use checkpoint::*;
mod ddl;
mod statements;

/// Where a target column's value comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Src {
    /// The source row's column of this index.
    Row(usize),
    /// The task's computed column of this index ([`Change::computed`]).
    Computed(usize),
    /// The task's source column (consolidation): its value on every row.
    Owner,
}

/// One captured table as the applier writes it.
struct TableApply {
    p: Prepared,
    /// For each of `p.columns`: where its value comes from.
    src: Vec<Src>,
    /// Indices into `p.columns` of the primary key (empty: none, every column identifies).
    key: Vec<usize>,
    suspended: Option<String>,
}

/// A change that could not be applied as it should.
#[derive(Debug, Clone)]
struct Conflict {
    table: String,
    error: String,
    values: Vec<Option<String>>,
}

/// The target session replication applies changes on ([`crate::engines::write::Write::apply_session`]).
struct ApplyConn(Session);

impl ApplyConn {
    /// Runs `sql` (one or more statements); the rows each one affected, in order.
    async fn run(&mut self, sql: String) -> std::result::Result<Vec<u64>, String> {
        self.0.run(sql).await.map_err(|e| e.to_string())
    }

    /// [`ApplyConn::run`], the failure with its cause (a key already there...).
    async fn run_typed(
        &mut self,
        sql: String,
    ) -> std::result::Result<Vec<u64>, (String, crate::error::Cause)> {
        self.0
            .run(sql)
            .await
            .map_err(|e| (e.to_string(), crate::error::Cause::of(&e)))
    }

    /// Closes the connection instead of giving it back to the pool.
    fn discard(self) {
        self.0.discard();
    }
}

pub struct Applier {
    target: Connection,
    /// The target transaction holding parts of a large source transaction, still open.
    open: Option<Open>,
    /// The task's filters and computed columns, evaluated on the source.
    shaper: Option<Shaper>,
    task: String,
    policy: ErrorPolicy,
    tables: HashMap<String, TableApply>,
    conn: Option<ApplyConn>,
    pub counts: HashMap<String, TableCounts>,
    pub applied: u64,
    /// A change the error policy (stop-task) does not allow stopped the task.
    pub stopped_by_policy: bool,
    /// Every change may already be on the target (the full load is still running): all apply
    /// idempotently.
    pub all_idempotent: bool,
    /// The target refused `session_replication_role` once (said once).
    role_warned: bool,
    /// Tables suspended since the last checkpoint, recorded in [`SUSPENDED`] with the next.
    new_suspensions: Vec<(String, String)>,
}

/// What a target transaction holds so far (or one [`Applier::stage`] added to it), counted
/// once it commits.
#[derive(Default)]
struct Open {
    conflicts: Vec<Conflict>,
    /// Each change applied: its table and what it did.
    applied: Vec<(String, Op)>,
    /// Changes read from the source.
    read: usize,
}

impl Open {
    fn add(&mut self, s: Open) {
        self.conflicts.extend(s.conflicts);
        self.applied.extend(s.applied);
        self.read += s.read;
    }
}

/// What one change becomes on the target.
struct Statement {
    table: String,
    sql: String,
    /// Strict update or delete: exactly one row must be affected.
    one_row: bool,
    values: Vec<Option<String>>,
    op: Op,
    /// The change it comes from (an update that moves a key gives two statements), by its
    /// place in the batch.
    change: usize,
    /// How it merges with its neighbours of the same shape into one statement.
    part: Option<Part>,
}

/// A statement as `head`, one `item`, `tail`: consecutive ones with the same head and tail
/// (and different `key`s) are sent as one, `head item, item... tail`.
struct Part {
    head: String,
    item: String,
    tail: String,
    key: String,
}

impl Applier {
    /// An applier for `prepared` tables, whose source rows come in `metas`' column order;
    /// filters and computed columns are evaluated on `source`.
    pub fn new(
        source: &Connection,
        target: &Connection,
        task: &str,
        policy: ErrorPolicy,
        prepared: &[Prepared],
        metas: &HashMap<String, TableMeta>,
    ) -> Result<Applier> {
        let mut tables = HashMap::new();
        for p in prepared {
            let meta =
                metas
                    .get(&p.label.to_lowercase())
                    .ok_or_else(|| Error::InvalidEndpoint {
                        endpoint: target.endpoint.label(),
                        reason: format!("{}: no capture for the table", p.label),
                    })?;
            let mut src = vec![];
            let mut computed = 0;
            let owner = p.owner().map(|o| o.0);
            for (i, c) in p.columns.iter().enumerate() {
                if owner == Some(i) {
                    src.push(Src::Owner);
                    continue;
                }
                if p.source_exprs.get(i).is_some_and(Option::is_some) {
                    src.push(Src::Computed(computed));
                    computed += 1;
                    continue;
                }
                let at = meta
                    .columns
                    .iter()
                    .position(|m| m.0 == c.0)
                    .ok_or_else(|| Error::InvalidEndpoint {
                        endpoint: target.endpoint.label(),
                        reason: format!("{}: column {} is not in the capture", p.label, c.0),
                    })?;
                src.push(Src::Row(at));
            }
            // In a table several sources load, a row is its source's and its key's.
            let key = p
                .plan
                .table
                .primary_key
                .as_ref()
                .map(|k| {
                    owner
                        .into_iter()
                        .chain(
                            k.columns
                                .iter()
                                .filter_map(|kc| p.columns.iter().position(|c| &c.0 == kc)),
                        )
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            tables.insert(
                p.label.clone(),
                TableApply {
                    p: p.clone(),
                    src,
                    key,
                    suspended: None,
                },
            );
        }
        Ok(Applier {
            shaper: Shaper::new(source, prepared, metas)?,
            open: None,
            target: target.clone(),
            task: task.to_string(),
            policy,
            tables,
            conn: None,
            // Every table, with nothing yet: the monitors list the quiet ones too.
            counts: prepared
                .iter()
                .map(|p| (p.label.clone(), TableCounts::default()))
                .collect(),
            applied: 0,
            stopped_by_policy: false,
            all_idempotent: false,
            role_warned: false,
            new_suspensions: vec![],
        })
    }

    /// Stops applying `table`'s changes, with the reason (a DDL, a conflict).
    pub fn suspend(&mut self, table: &str, why: String) {
        if let Some(t) = self.tables.get_mut(table) {
            tracing::warn!(target: "tugboat::cdc", "{table}: suspended: {why}");
            if t.suspended.is_none() {
                self.new_suspensions.push((table.to_string(), why.clone()));
            }
            t.suspended = Some(why.clone());
            self.counts.entry(table.to_string()).or_default().suspended = Some(why);
        }
    }

    /// Suspends again the tables an earlier session suspended (kept in [`SUSPENDED`]): their
    /// changes since were left out, so they stay suspended until reloaded. Returns them with
    /// why.
    pub async fn restore_suspensions(&mut self) -> Result<Vec<(String, String)>> {
        let lit = |s: &str| values::text_literal(self.target.endpoint.engine, s);
        let rows = self
            .target
            .query(
                &format!("reading {SUSPENDED}"),
                &format!(
                    "SELECT table_name, reason FROM {SUSPENDED} WHERE task = {}",
                    lit(&self.task)
                ),
            )
            .await?;
        let mut out = vec![];
        for r in &rows {
            let (table, why) = (r.s("table_name"), r.s("reason"));
            if let Some(t) = self.tables.get_mut(&table) {
                t.suspended = Some(why.clone());
                self.counts.entry(table.clone()).or_default().suspended = Some(why.clone());
                out.push((table, why));
            }
        }
        Ok(out)
    }

    pub fn is_tracked(&self, table: &str) -> bool {
        self.tables
            .get(table)
            .is_some_and(|t| t.suspended.is_none())
    }

    async fn conn(&mut self) -> Result<&mut ApplyConn> {
        if self.conn.is_none() {
            let target = &self.target;
            let (c, warning) = crate::engines::of(target.endpoint.engine)
                .apply_session(target)
                .await
                .map_err(|e| {
                    e.at(
                        target.endpoint.label(),
                        "opening the connection that applies changes",
                    )
                })?;
            if let Some(w) = warning
                && !self.role_warned
            {
                self.role_warned = true;
                tracing::warn!(target: "tugboat::cdc", "{w}");
            }
            let c = ApplyConn(c);
            self.conn = Some(c);
        }
        self.conn.as_mut().ok_or_else(|| Error::InvalidEndpoint {
            endpoint: self.target.endpoint.label(),
            reason: "no connection".into(),
        })
    }

    /// Applies `txns` (in order) and moves the checkpoint to `position` in the same target
    /// transaction (the one parts of a large transaction opened, if any). `replay_until`:
    /// changes before it may already be on the target (they are applied idempotently). Err:
    /// the task must stop (the batch is rolled back).
    pub async fn apply(
        &mut self,
        txns: &[Txn],
        position: &Position,
        gtid: Option<String>,
        phase: ReplicationPhase,
        replay_until: Option<&Position>,
    ) -> Result<()> {
        let staged = self.stage(txns, replay_until, false).await?;
        let mut open = self.open.take().unwrap_or_default();
        open.add(staged);
        let engine = self.target.endpoint.engine;
        // The checkpoint and the exceptions, in the same transaction.
        let lit = |s: &str| values::text_literal(engine, s);
        let now = crate::tasks::state::now();
        let mut tail = String::new();
        for c in &open.conflicts {
            tail.push_str(&crate::tasks::sink::exceptions_sql(
                engine,
                &self.task,
                &c.table,
                &[(c.error.clone(), c.values.clone())],
            ));
            tail.push_str(";\n");
        }
        for (table, why) in &self.new_suspensions {
            let (t, tb) = (lit(&self.task), lit(table));
            tail.push_str(&format!(
                "DELETE FROM {SUSPENDED} WHERE task = {t} AND table_name = {tb};\nINSERT INTO {SUSPENDED} (task, table_name, reason, suspended_at) VALUES ({t}, {tb}, {}, {});\n",
                lit(why),
                lit(&now)
            ));
        }
        let changes = self.applied + open.read as u64;
        let commit = txns
            .last()
            .map(|t| t.commit_ms.to_string())
            .unwrap_or("NULL".into());
        tail.push_str(&format!(
            "UPDATE {CHECKPOINT} SET position = {}, phase = {}, replay_until = {}, source_commit = {commit}, changes = {changes}, updated_at = {}, source_gtid = {} WHERE task = {};\nCOMMIT",
            lit(&position.to_string()),
            lit(phase.as_str()),
            replay_until.map(|p| lit(&p.to_string())).unwrap_or("NULL".into()),
            lit(&now),
            gtid.as_deref().map(lit).unwrap_or("NULL".into()),
            lit(&self.task)
        ));
        if let Err(e) = self.conn().await?.run(tail).await {
            self.rollback_all().await;
            return Err(self.err(e));
        }
        for (table, op) in open.applied {
            let c = self.counts.entry(table).or_default();
            match op {
                Op::Insert => c.inserts += 1,
                Op::Update => c.updates += 1,
                Op::Delete => c.deletes += 1,
            }
        }
        self.applied = changes;
        self.new_suspensions.clear();
        for c in open.conflicts {
            tracing::warn!(target: "tugboat::cdc", "{}: {} (kept in tugboat_apply_exceptions)", c.table, c.error);
            self.counts.entry(c.table.clone()).or_default().exceptions += 1;
            if self.policy == ErrorPolicy::SuspendTable {
                self.suspend(
                    &c.table,
                    format!("a change could not be applied: {}", c.error),
                );
            }
        }
        Ok(())
    }

    /// Applies `changes`, the first changes of a large source transaction still being read,
    /// inside a target transaction left open: the rest of it and the checkpoint follow with
    /// [`Applier::apply`], so the target commits the source transaction whole or not at all
    /// (see [`Applier::abort_open`]) while the source transaction is never held whole in
    /// memory. `idempotent`: the target may already hold these changes (the replay phase).
    pub async fn apply_part(
        &mut self,
        changes: Vec<super::Change>,
        idempotent: bool,
    ) -> Result<()> {
        let txn = Txn {
            end: Position::Lsn(0),
            commit_ms: 0,
            changes,
        };
        let staged = self
            .stage(std::slice::from_ref(&txn), None, idempotent)
            .await?;
        self.open.get_or_insert_with(Default::default).add(staged);
        Ok(())
    }

    /// Whether parts of a source transaction are applied in a target transaction still open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// How many changes the target transaction still open holds (0: none is open).
    pub fn open_changes(&self) -> usize {
        self.open.as_ref().map_or(0, |o| o.read)
    }

    /// Rolls back what parts of a source transaction applied (the task stops before the
    /// transaction's end, or the transaction lies past the task's stop).
    pub async fn abort_open(&mut self) {
        if self.open.is_some() {
            self.rollback_all().await;
        }
    }

    /// Runs the statements of `txns` inside the target transaction (opened here if need be):
    /// all at once first, one by one inside savepoints if that fails. `all_idempotent`: every
    /// change may already be on the target. Err (rolled back): the task must stop.
    async fn stage(
        &mut self,
        txns: &[Txn],
        replay_until: Option<&Position>,
        all_idempotent: bool,
    ) -> Result<Open> {
        let mut stmts = vec![];
        let mut conflicts = vec![];
        let mut changes = 0;
        // Every change read counts as read, whatever the filters leave of it.
        let read: usize = txns.iter().map(|t| t.changes.len()).sum();
        let shaped = match &self.shaper {
            Some(s) => s.shape(txns).await?,
            None => None,
        };
        let txns = match &shaped {
            Some((shaped, refused)) => {
                conflicts.extend(refused.iter().map(|r| Conflict {
                    table: r.table.clone(),
                    error: r.error.clone(),
                    values: r.values.clone(),
                }));
                shaped.as_slice()
            }
            None => txns,
        };
        for t in txns {
            let idempotent = all_idempotent
                || self.all_idempotent
                || replay_until.is_some_and(|u| !t.end.reached(u) || &t.end == u);
            for c in &t.changes {
                let idempotent = idempotent || c.tolerant;
                if let Err(k) = self.statements(c, changes, idempotent, &mut stmts) {
                    conflicts.push(k);
                }
                changes += 1;
            }
        }
        // Changes whose statement the target refused (by their place in the batch).
        let mut failed = HashSet::new();
        let engine = self.target.endpoint.engine;
        // Fast path: every statement at once, runs of inserts (and of deletes by key) of one
        // table merged; any row count not as expected sends the batch down the slow path, which
        // finds the change at fault. A savepoint keeps what parts of the transaction applied
        // before.
        let mut sql = String::new();
        if self.open.is_none() {
            sql.push_str(crate::engines::of(engine).begin());
            sql.push_str(";\n");
        }
        let opened = !sql.is_empty();
        sql.push_str("SAVEPOINT tugboat_batch");
        let lead = if opened { 2 } else { 1 };
        let mut expect: Vec<Option<u64>> = vec![];
        let mut i = 0;
        while i < stmts.len() {
            sql.push_str(";\n");
            let Some(p) = &stmts[i].part else {
                sql.push_str(&stmts[i].sql);
                expect.push(stmts[i].one_row.then_some(1));
                i += 1;
                continue;
            };
            let strict = stmts[i].one_row || (stmts[i].op == Op::Insert && p.tail.is_empty());
            let mut keys = HashSet::new();
            let mut n = 0u64;
            sql.push_str(&p.head);
            while let Some(q) = stmts.get(i).and_then(|s| s.part.as_ref())
                && q.head == p.head
                && q.tail == p.tail
                && stmts[i].one_row == stmts[i.saturating_sub(n as usize)].one_row
                && n < 2_000
                && keys.insert(q.key.as_str())
            {
                if n > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&q.item);
                n += 1;
                i += 1;
            }
            sql.push_str(&p.tail);
            expect.push(strict.then_some(n));
        }
        let fast = self.conn().await?.run_typed(sql).await;
        let ok = match &fast {
            Ok(affected) if affected.len() == expect.len() + lead => expect
                .iter()
                .zip(&affected[lead..])
                .all(|(e, n)| e.is_none_or(|e| e == *n)),
            _ => false,
        };
        // A lost connection is no refused change: the batch fails (and is applied again).
        if let Err((e, crate::error::Cause::Connection)) = &fast {
            let e = e.clone();
            self.rollback_all().await;
            return Err(self.err(e));
        }
        if !ok {
            // Slow path: one statement at a time, each in a savepoint. A statement the target
            // refused (a duplicate key, a value it cannot take) failed the batch: back to the
            // savepoint, which is there unless the BEGIN itself failed.
            let back = self
                .conn()
                .await?
                .run("ROLLBACK TO SAVEPOINT tugboat_batch".into())
                .await;
            if let Err(e) = back {
                self.rollback_all().await;
                return Err(self.err(match fast {
                    Err((first, _)) => first,
                    Ok(_) => e,
                }));
            }
            for s in &stmts {
                let saved = self
                    .conn()
                    .await?
                    .run("SAVEPOINT tugboat_change".into())
                    .await;
                if let Err(e) = saved {
                    self.rollback_all().await;
                    return Err(self.err(e));
                }
                let c = self.conn().await?;
                match c.run_typed(s.sql.clone()).await {
                    Ok(n) => {
                        if s.one_row && n.first() != Some(&1) {
                            failed.insert(s.change);
                            conflicts.push(Conflict {
                                table: s.table.clone(),
                                error: "found no row to change on the target".into(),
                                values: s.values.clone(),
                            });
                        }
                        crate::error::logged(
                            "releasing the change's savepoint",
                            c.run("RELEASE SAVEPOINT tugboat_change".into()).await,
                        );
                    }
                    Err((e, cause)) => {
                        crate::error::logged(
                            "rolling back the refused change",
                            c.run("ROLLBACK TO SAVEPOINT tugboat_change".into()).await,
                        );
                        failed.insert(s.change);
                        // In a consolidation: a collision with another source's row.
                        let error = self
                            .tables
                            .get(&s.table)
                            .and_then(|t| t.p.collision(&e, cause))
                            .unwrap_or(e);
                        conflicts.push(Conflict {
                            table: s.table.clone(),
                            error,
                            values: s.values.clone(),
                        });
                    }
                }
            }
        }
        if !conflicts.is_empty() && self.policy == ErrorPolicy::StopTask {
            self.rollback_all().await;
            self.stopped_by_policy = true;
            let c = &conflicts[0];
            return Err(Error::Query {
                endpoint: self.target.endpoint.label(),
                context: format!("applying a change to {}", c.table),
                message: format!(
                    "{} (values {}); the task stops (error policy stop-task) at checkpoint before this batch",
                    c.error,
                    serde_json::to_string(&c.values).unwrap_or_default()
                ),
                cause: crate::error::Cause::Statement,
            });
        }
        // Each change once (a key-moving update is a delete and an insert).
        let mut applied = vec![];
        for (i, s) in stmts.iter().enumerate() {
            let first = i == 0 || stmts[i - 1].change != s.change;
            if first && !failed.contains(&s.change) {
                applied.push((s.table.clone(), s.op));
            }
        }
        if self.open.is_none() {
            // Open until [`Applier::apply`] commits it.
            self.open = Some(Open::default());
        }
        Ok(Open {
            conflicts,
            applied,
            read,
        })
    }

    /// Rolls the target transaction back (the task stops, or the batch failed). A connection
    /// the ROLLBACK fails on is in an unknown state: it is closed, not given back to the pool.
    async fn rollback_all(&mut self) {
        self.open = None;
        if let Some(c) = self.conn.as_mut()
            && c.run("ROLLBACK".into()).await.is_err()
            && let Some(c) = self.conn.take()
        {
            c.discard();
        }
    }

    fn err(&self, e: String) -> Error {
        Error::Query {
            endpoint: self.target.endpoint.label(),
            context: "applying changes".into(),
            message: e,
            cause: crate::error::Cause::Statement,
        }
    }

    /// Gives the connection back.
    pub fn close(&mut self) {
        self.conn = None;
    }
}
