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

use futures_util::StreamExt;

use super::transform::Shaper;
use super::{Change, Op, Position, TableCounts, Txn};
use crate::endpoints::connect::Pool;
use crate::endpoints::{Connection, Engine};
use crate::engines::change::TableMeta;
use crate::engines::change::query_error;
use crate::engines::values;
use crate::error::{Error, Result};
use crate::tasks::{ErrorPolicy, Prepared};

pub const CHECKPOINT: &str = "tugboat_cdc_checkpoint";
use crate::tasks::state::SUSPENDED;

/// The task's place in its life: loading (changes are replayed from `position` once the load
/// ends), replaying (idempotent up to `replay_until`) or following changes strictly.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub position: Position,
    pub phase: String,
    pub replay_until: Option<Position>,
    pub changes: u64,
    /// The source's GTID state at `position` (MariaDB), when the capture knew it: a task
    /// pointed at another server holding the same transactions (after a failover) goes on
    /// from there.
    pub gtid: Option<String>,
}

/// Creates the checkpoint table if needed and reads the task's checkpoint.
pub async fn checkpoint(target: &Connection, task: &str) -> Result<Option<Checkpoint>> {
    target
        .query(
            &format!("creating {CHECKPOINT}"),
            &format!(
                "CREATE TABLE IF NOT EXISTS {CHECKPOINT} (task varchar(200) NOT NULL PRIMARY KEY, position varchar(400) NOT NULL, phase varchar(20) NOT NULL, replay_until varchar(400), source_commit bigint, changes bigint NOT NULL, updated_at varchar(40) NOT NULL, source_gtid varchar(400))"
            ),
        )
        .await?;
    target
        .query(
            &format!("creating {SUSPENDED}"),
            &format!(
                "CREATE TABLE IF NOT EXISTS {SUSPENDED} (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, reason text NOT NULL, suspended_at varchar(40) NOT NULL, PRIMARY KEY (task, table_name))"
            ),
        )
        .await?;
    target
        .query(
            &format!("creating {}", crate::tasks::deferred::TABLE),
            &crate::tasks::deferred::create_table(),
        )
        .await?;
    // A checkpoint table from before GTIDs were kept gains the column.
    if target
        .query(
            "probing the checkpoint's GTID",
            &format!("SELECT source_gtid FROM {CHECKPOINT} WHERE 1 = 0"),
        )
        .await
        .is_err()
    {
        target
            .query(
                &format!("adding source_gtid to {CHECKPOINT}"),
                &format!("ALTER TABLE {CHECKPOINT} ADD COLUMN source_gtid varchar(400)"),
            )
            .await?;
    }
    let lit = |s: &str| values::text_literal(target.endpoint.engine, s);
    let rows = target
        .query(
            &format!("reading {CHECKPOINT}"),
            &format!(
                "SELECT position, phase, replay_until, changes, source_gtid FROM {CHECKPOINT} WHERE task = {}",
                lit(task)
            ),
        )
        .await?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let position = Position::parse(&r.s("position")).ok_or_else(|| Error::InvalidEndpoint {
        endpoint: target.endpoint.label(),
        reason: format!(
            "{CHECKPOINT} holds position {:?} for task {task}, which is not a position",
            r.s("position")
        ),
    })?;
    Ok(Some(Checkpoint {
        position,
        phase: r.s("phase"),
        replay_until: r.opt("replay_until").and_then(|p| Position::parse(&p)),
        changes: r.i64("changes").unwrap_or(0).max(0) as u64,
        gtid: r.opt("source_gtid").filter(|g| !g.is_empty()),
    }))
}

/// Writes the task's checkpoint outside any batch (at the start, between phases), replacing
/// the one there in one transaction: a stop in between never leaves the task without one.
pub async fn set_checkpoint(target: &Connection, task: &str, c: &Checkpoint) -> Result<()> {
    let lit = |s: &str| values::text_literal(target.endpoint.engine, s);
    let until = c
        .replay_until
        .as_ref()
        .map(|p| lit(&p.to_string()))
        .unwrap_or_else(|| "NULL".into());
    let sql = format!(
        "DELETE FROM {CHECKPOINT} WHERE task = {t};\nINSERT INTO {CHECKPOINT} (task, position, phase, replay_until, source_commit, changes, updated_at, source_gtid) VALUES ({t}, {}, {}, {until}, NULL, {}, {}, {})",
        lit(&c.position.to_string()),
        lit(&c.phase),
        c.changes,
        lit(&crate::tasks::state::now()),
        c.gtid.as_deref().map(lit).unwrap_or("NULL".into()),
        t = lit(task),
    );
    target
        .execute_in_transaction(&sql)
        .await
        .map_err(|e| query_error(target, &format!("writing {CHECKPOINT}"), e))?;
    Ok(())
}

/// Forgets the task's checkpoint (the task is reloaded from scratch).
pub async fn clear_checkpoint(target: &Connection, task: &str) -> Result<()> {
    let _ = checkpoint(target, task).await?;
    let t = values::text_literal(target.endpoint.engine, task);
    target
        .query(
            &format!("clearing {CHECKPOINT}"),
            &format!("DELETE FROM {CHECKPOINT} WHERE task = {t}"),
        )
        .await?;
    Ok(())
}

/// Where a target column's value comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Src {
    /// The source row's column of this index.
    Row(usize),
    /// The task's computed column of this index ([`Change::computed`]).
    Computed(usize),
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

enum ApplyConn {
    Pg(sqlx::pool::PoolConnection<sqlx::Postgres>),
    My(sqlx::pool::PoolConnection<sqlx::MySql>),
    Lite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

impl ApplyConn {
    /// Runs `sql` (one or more statements); the rows each one affected, in order.
    async fn run(&mut self, sql: String) -> std::result::Result<Vec<u64>, String> {
        let sql = sqlx::AssertSqlSafe(sql);
        let mut out = vec![];
        macro_rules! collect {
            ($c:expr) => {{
                let mut s = sqlx::raw_sql(sql).execute_many(&mut **$c);
                while let Some(r) = s.next().await {
                    out.push(r.map_err(|e| e.to_string())?.rows_affected());
                }
            }};
        }
        match self {
            ApplyConn::Pg(c) => collect!(c),
            ApplyConn::My(c) => collect!(c),
            ApplyConn::Lite(c) => collect!(c),
        }
        Ok(out)
    }

    /// Closes the connection instead of giving it back to the pool.
    fn discard(self) {
        match self {
            ApplyConn::Pg(c) => drop(c.detach()),
            ApplyConn::My(c) => drop(c.detach()),
            ApplyConn::Lite(c) => drop(c.detach()),
        }
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
            for (i, c) in p.columns.iter().enumerate() {
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
            let key = p
                .plan
                .table
                .primary_key
                .as_ref()
                .map(|k| {
                    k.columns
                        .iter()
                        .filter_map(|kc| p.columns.iter().position(|c| &c.0 == kc))
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
            let err = |e| query_error(target, "opening the connection that applies changes", e);
            let c = match &self.target.pool {
                Pool::Postgres(p) => {
                    let mut c = p.acquire().await.map_err(&err)?;
                    // Replicated changes are the source's own effects: the target's triggers
                    // (converted from the source's, which already ran there) and foreign keys
                    // must not act on them again (DMS does the same). The connection never
                    // goes back to the pool with this setting.
                    c.close_on_drop();
                    if let Err(e) = sqlx::raw_sql("SET session_replication_role = replica")
                        .execute(&mut *c)
                        .await
                        && !self.role_warned
                    {
                        self.role_warned = true;
                        tracing::warn!(target: "tugboat::cdc", "{}: cannot set session_replication_role ({e}): the target's triggers and foreign keys act on replicated changes; connect as a superuser, or disable the triggers until cut-over", target.endpoint.label());
                    }
                    ApplyConn::Pg(c)
                }
                Pool::MySql(p) => {
                    let mut c = p.acquire().await.map_err(&err)?;
                    // Foreign-key checks off: never back to the pool (a foreign key created
                    // on it later would not check the rows).
                    c.close_on_drop();
                    sqlx::raw_sql(crate::tasks::sink::WRITER_SESSION_MYSQL)
                        .execute(&mut *c)
                        .await
                        .map_err(&err)?;
                    ApplyConn::My(c)
                }
                Pool::Sqlite(p) => {
                    let mut c = p.acquire().await.map_err(&err)?;
                    c.close_on_drop();
                    sqlx::raw_sql(crate::tasks::sink::WRITER_SESSION_SQLITE)
                        .execute(&mut *c)
                        .await
                        .map_err(&err)?;
                    ApplyConn::Lite(c)
                }
            };
            self.conn = Some(c);
        }
        self.conn.as_mut().ok_or_else(|| Error::InvalidEndpoint {
            endpoint: self.target.endpoint.label(),
            reason: "no connection".into(),
        })
    }

    /// The values of `row` for the target's columns, fixed as the full load fixes them;
    /// `computed`: the change's computed values ([`Change::computed`]).
    fn target_values(
        t: &TableApply,
        row: &[Option<String>],
        computed: &[Option<String>],
    ) -> std::result::Result<Vec<Option<String>>, String> {
        let mut out = Vec::with_capacity(t.src.len());
        for (i, &s) in t.src.iter().enumerate() {
            let mut v = match s {
                Src::Row(at) => row.get(at).cloned().flatten(),
                Src::Computed(k) => computed.get(k).cloned().flatten(),
            };
            let (_, _, from, to) = &t.p.columns[i];
            values::fix(&mut v, *from, *to)
                .map_err(|e| format!("column {}: {e}", t.p.columns[i].0))?;
            t.p.truncate_lob(i, &mut v);
            t.p.fix_nul(i, &mut v)?;
            out.push(v);
        }
        Ok(out)
    }

    fn lit(&self, t: &TableApply, i: usize, v: &Option<String>, out: &mut String) {
        values::push_sql_literal(
            out,
            self.target.endpoint.engine,
            v.as_deref(),
            t.p.columns[i].3,
        );
    }

    /// `WHERE` identifying the row with values `v`: the key, or every column but the computed
    /// ones (their values are computed for the row after only).
    fn where_sql(&self, t: &TableApply, v: &[Option<String>]) -> String {
        let e = self.target.endpoint.engine;
        let cols: Vec<usize> = if t.key.is_empty() {
            (0..t.p.columns.len())
                .filter(|&i| matches!(t.src[i], Src::Row(_)))
                .collect()
        } else {
            t.key.clone()
        };
        let mut s = String::new();
        for (n, &i) in cols.iter().enumerate() {
            if n > 0 {
                s.push_str(" AND ");
            }
            s.push_str(&t.p.columns[i].1);
            match &v[i] {
                None => s.push_str(" IS NULL"),
                Some(_) if t.key.is_empty() && e == Engine::Postgres => {
                    s.push_str(" IS NOT DISTINCT FROM ");
                    self.lit(t, i, &v[i], &mut s);
                }
                Some(_) => {
                    s.push_str(" = ");
                    self.lit(t, i, &v[i], &mut s);
                }
            }
        }
        s
    }

    /// The row `WHERE` names, one row only when the table has no key.
    fn one_row(&self, t: &TableApply, w: &str) -> String {
        if !t.key.is_empty() {
            return w.to_string();
        }
        let ts = &t.p.target_sql;
        match self.target.endpoint.engine {
            Engine::Postgres => format!("ctid = (SELECT ctid FROM {ts} WHERE {w} LIMIT 1)"),
            Engine::Sqlite => format!("rowid = (SELECT rowid FROM {ts} WHERE {w} LIMIT 1)"),
            _ => format!("{w} LIMIT 1"),
        }
    }

    fn insert_part(&self, t: &TableApply, v: &[Option<String>], upsert: bool) -> Part {
        let cols: Vec<&str> = t.p.columns.iter().map(|c| c.1.as_str()).collect();
        let head = format!(
            "INSERT INTO {} ({}) VALUES ",
            t.p.target_sql,
            cols.join(", ")
        );
        let mut item = String::from("(");
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                item.push_str(", ");
            }
            self.lit(t, i, x, &mut item);
        }
        item.push(')');
        let mut tail = String::new();
        if upsert && !t.key.is_empty() {
            let others: Vec<&str> = (0..cols.len())
                .filter(|i| !t.key.contains(i))
                .map(|i| cols[i])
                .collect();
            let keys: Vec<&str> = t.key.iter().map(|&i| cols[i]).collect();
            match self.target.endpoint.engine {
                Engine::MySql | Engine::MariaDb => {
                    // A no-op update of the key when every column is in it.
                    let set: Vec<String> = if others.is_empty() {
                        vec![format!("{0} = {0}", keys[0])]
                    } else {
                        others
                            .iter()
                            .map(|c| format!("{c} = VALUES({c})"))
                            .collect()
                    };
                    tail = format!(" ON DUPLICATE KEY UPDATE {}", set.join(", "));
                }
                _ if others.is_empty() => {
                    tail = format!(" ON CONFLICT ({}) DO NOTHING", keys.join(", "));
                }
                _ => {
                    let set: Vec<String> = others
                        .iter()
                        .map(|c| format!("{c} = excluded.{c}"))
                        .collect();
                    tail = format!(
                        " ON CONFLICT ({}) DO UPDATE SET {}",
                        keys.join(", "),
                        set.join(", ")
                    );
                }
            }
        }
        // Rows of a table without a key never clash; with one, a key twice in one statement
        // would (PostgreSQL refuses to upsert a row twice in one command).
        let key = if t.key.is_empty() {
            format!("{item}#{}", v.len())
        } else {
            t.key.iter().map(|&i| format!("{:?}|", v[i])).collect()
        };
        Part {
            head,
            item,
            tail,
            key,
        }
    }

    /// The statements for `c`; `idempotent`: a change the target may already reflect.
    fn statements(
        &self,
        c: &Change,
        change: usize,
        idempotent: bool,
        out: &mut Vec<Statement>,
    ) -> std::result::Result<(), Conflict> {
        let Some(t) = self.tables.get(&c.table) else {
            return Ok(());
        };
        if t.suspended.is_some() {
            return Ok(());
        }
        let conflict = |error: String, row: &Option<Vec<Option<String>>>| Conflict {
            table: c.table.clone(),
            error,
            values: row.clone().unwrap_or_default(),
        };
        let before = c
            .before
            .as_ref()
            .map(|r| Self::target_values(t, r, &[]))
            .transpose()
            .map_err(|e| conflict(e, &c.before))?;
        let after = c
            .after
            .as_ref()
            .map(|r| Self::target_values(t, r, &c.computed))
            .transpose()
            .map_err(|e| conflict(e, &c.after))?;
        let st = |sql: String, one_row: bool, values: Vec<Option<String>>| Statement {
            table: c.table.clone(),
            sql,
            one_row,
            values,
            op: c.op,
            change,
            part: None,
        };
        let ins = |part: Part, values: Vec<Option<String>>| Statement {
            table: c.table.clone(),
            sql: format!("{}{}{}", part.head, part.item, part.tail),
            one_row: false,
            values,
            op: c.op,
            change,
            part: Some(part),
        };
        // Columns the source left out as unchanged: not written.
        let skip: Vec<usize> = (0..t.src.len())
            .filter(|&i| matches!(t.src[i], Src::Row(s) if c.unchanged.contains(&s)))
            .collect();
        let upsert_ok = idempotent && !t.key.is_empty() && skip.is_empty();
        match (c.op, before, after) {
            (Op::Insert, _, Some(a)) => {
                out.push(ins(self.insert_part(t, &a, upsert_ok), a));
            }
            (Op::Update, Some(b), Some(a)) => {
                if upsert_ok {
                    let key_changed = t.key.iter().any(|&i| a[i] != b[i]);
                    if key_changed {
                        let w = self.where_sql(t, &b);
                        out.push(st(
                            format!("DELETE FROM {} WHERE {w}", t.p.target_sql),
                            false,
                            b,
                        ));
                    }
                    out.push(ins(self.insert_part(t, &a, true), a));
                } else {
                    let set: Vec<String> = (0..t.p.columns.len())
                        .filter(|i| !skip.contains(i))
                        .map(|i| {
                            let mut s = format!("{} = ", t.p.columns[i].1);
                            self.lit(t, i, &a[i], &mut s);
                            s
                        })
                        .collect();
                    let w = self.one_row(t, &self.where_sql(t, &b));
                    out.push(st(
                        format!("UPDATE {} SET {} WHERE {w}", t.p.target_sql, set.join(", ")),
                        !idempotent,
                        a,
                    ));
                }
            }
            (Op::Delete, Some(b), _) => {
                let w = self.one_row(t, &self.where_sql(t, &b));
                let mut s = st(
                    format!("DELETE FROM {} WHERE {w}", t.p.target_sql),
                    !idempotent,
                    b,
                );
                // By a one-column key: `DELETE ... WHERE k IN (...)` for a run of them.
                if let [k] = t.key[..]
                    && s.values[k].is_some()
                {
                    let mut item = String::new();
                    self.lit(t, k, &s.values[k], &mut item);
                    s.part = Some(Part {
                        head: format!(
                            "DELETE FROM {} WHERE {} IN (",
                            t.p.target_sql, t.p.columns[k].1
                        ),
                        key: item.clone(),
                        item,
                        tail: ")".into(),
                    });
                }
                out.push(s);
            }
            _ => {
                return Err(conflict(
                    "a change without the row images it needs".into(),
                    &c.after,
                ));
            }
        }
        Ok(())
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
        phase: &str,
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
            lit(phase),
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
            sql.push_str(if matches!(engine, Engine::MySql | Engine::MariaDb) {
                "START TRANSACTION;\n"
            } else {
                "BEGIN;\n"
            });
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
        let fast = self.conn().await?.run(sql).await;
        let ok = match &fast {
            Ok(affected) if affected.len() == expect.len() + lead => expect
                .iter()
                .zip(&affected[lead..])
                .all(|(e, n)| e.is_none_or(|e| e == *n)),
            _ => false,
        };
        // The transaction is open from here on, unless the BEGIN itself failed.
        let began = !opened || matches!(&fast, Ok(a) if a.len() >= lead);
        if !began {
            self.rollback_all().await;
            return Err(self.err(match fast {
                Err(e) => e,
                Ok(_) => "the transaction did not start".into(),
            }));
        }
        if !ok {
            // Slow path: one statement at a time, each in a savepoint.
            let back = self
                .conn()
                .await?
                .run("ROLLBACK TO SAVEPOINT tugboat_batch".into())
                .await;
            if let Err(e) = back {
                self.rollback_all().await;
                return Err(self.err(e));
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
                match c.run(s.sql.clone()).await {
                    Ok(n) => {
                        if s.one_row && n.first() != Some(&1) {
                            failed.insert(s.change);
                            conflicts.push(Conflict {
                                table: s.table.clone(),
                                error: "found no row to change on the target".into(),
                                values: s.values.clone(),
                            });
                        }
                        let _ = c.run("RELEASE SAVEPOINT tugboat_change".into()).await;
                    }
                    Err(e) => {
                        let _ = c.run("ROLLBACK TO SAVEPOINT tugboat_change".into()).await;
                        failed.insert(s.change);
                        conflicts.push(Conflict {
                            table: s.table.clone(),
                            error: e,
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

    /// Adds to the target table of `label` the columns `table` (its definition on the source
    /// now) has beyond the ones replicated so far, converted as the schema converter converts
    /// them; from then on changes carry them. Err: why it could not (the table is suspended).
    pub async fn add_columns(
        &mut self,
        label: &str,
        table: &crate::model::Table,
        source_engine: Engine,
    ) -> std::result::Result<(), String> {
        let engine = self.target.endpoint.engine;
        let Some(t) = self.tables.get(label) else {
            return Ok(());
        };
        let (target_sql, source_schema) = (t.p.target_sql.clone(), t.p.plan.source_schema.clone());
        let mut cols: Vec<&crate::model::Column> = table.columns.iter().collect();
        cols.sort_by_key(|c| c.ordinal);
        let new: Vec<(usize, &crate::model::Column)> = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| !t.p.plan.table.columns.iter().any(|o| o.name == c.name))
            .map(|(i, c)| (i, *c))
            .collect();
        // The converter's column definitions for the target.
        let dialect = |e: Engine| match e {
            Engine::Postgres => crate::ddl::Dialect::Postgres,
            Engine::Sqlite => crate::ddl::Dialect::Sqlite,
            _ => crate::ddl::Dialect::MySql,
        };
        let mut catalog = crate::model::Catalog {
            engine: Some(source_engine),
            ..Default::default()
        };
        let mut one = table.clone();
        one.foreign_keys.clear();
        catalog.schemas.push(crate::model::Schema {
            name: source_schema,
            tables: vec![one],
            ..Default::default()
        });
        let src = crate::conversion::Source::from_catalog("", catalog);
        let rules = crate::conversion::RuleSet::shipped(dialect(source_engine), dialect(engine))
            .map_err(|e| e.to_string())?;
        let report =
            crate::conversion::convert(&src, dialect(engine), &rules).map_err(|e| e.to_string())?;
        let create = report
            .objects
            .iter()
            .flat_map(|o| o.target.iter())
            .find(|s| s.sql.starts_with("CREATE TABLE"))
            .map(|s| s.sql.clone())
            .ok_or("the converter gave no table definition")?;
        let mut added = vec![];
        for (at, c) in &new {
            let line = create
                .lines()
                .map(|l| l.trim().trim_end_matches(','))
                .find(|l| {
                    l.split_whitespace().next().is_some_and(|w| {
                        w.trim_matches(['"', '`', '[', ']'])
                            .eq_ignore_ascii_case(&c.name)
                    })
                })
                .ok_or_else(|| format!("column {} not found in the converted definition", c.name))?
                .to_string();
            let name = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_matches(['"', '`', '[', ']'])
                .to_string();
            let sql = format!("ALTER TABLE {target_sql} ADD COLUMN {line}");
            // Inside the open transaction of a large source transaction (never on MySQL, whose
            // ALTER commits): a failure must not abort what that transaction holds.
            let guarded = self.open.is_some();
            let run = if guarded {
                format!("SAVEPOINT tugboat_ddl;\n{sql}")
            } else {
                sql.clone()
            };
            let conn = self.conn().await.map_err(|e| e.to_string())?;
            if let Err(e) = conn.run(run).await {
                if guarded {
                    let _ = conn.run("ROLLBACK TO SAVEPOINT tugboat_ddl".into()).await;
                }
                return Err(format!("{sql}: {e}"));
            }
            tracing::info!(target: "tugboat::cdc", "{label}: {sql}");
            let ty = crate::sqltext::parse_declared_type(
                line.split_whitespace().nth(1).unwrap_or("text"),
            );
            added.push((*at, (*c).clone(), name, values::kind(engine, &ty)));
        }
        let Some(t) = self.tables.get_mut(label) else {
            return Ok(());
        };
        for (at, c, name, kind) in added {
            t.p.columns.push((
                c.name.clone(),
                values::quote(engine, &name),
                values::kind(source_engine, &c.data_type),
                kind,
            ));
            t.p.target_columns.push(name);
            t.p.source_exprs.push(None);
            t.p.lobs.push(values::is_lob(&c.data_type));
            t.src.push(Src::Row(at));
        }
        t.p.plan.table = table.clone();
        self.counts.entry(label.to_string()).or_default().ddls += 1;
        Ok(())
    }

    /// Empties the target table of `table` (a TRUNCATE on the source).
    pub async fn truncate(&mut self, table: &str) -> Result<()> {
        if let Some(t) = self.tables.get(table) {
            let sql = match self.target.endpoint.engine {
                // Inside the open transaction of a large source transaction (MySQL's TRUNCATE
                // would commit it).
                _ if self.open.is_some() => format!("DELETE FROM {}", t.p.target_sql),
                Engine::Sqlite => format!("DELETE FROM {}", t.p.target_sql),
                _ => format!("TRUNCATE TABLE {}", t.p.target_sql),
            };
            self.conn().await?.run(sql).await.map_err(|e| self.err(e))?;
            self.counts.entry(table.to_string()).or_default().ddls += 1;
        }
        Ok(())
    }

    /// Gives the connection back.
    pub fn close(&mut self) {
        self.conn = None;
    }
}
