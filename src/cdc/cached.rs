//! DMS's cached changes: how a full-load-and-cdc task replicates while its full load runs.
//!
//! The capture reads from the position recorded before the load, alongside it. Each change
//! goes by the state of its table's load ([`LoadGate`], fed by the load's events):
//! - not started: held for [`GRACE`], then dropped, since the load reads the table later and
//!   sees the change there (the load marks a table started before it reads a row of it, and
//!   the state is read again for every change routed). The grace covers a commit the log
//!   shows before the database does (MariaDB writes its binary log before the storage engine
//!   commits; PostgreSQL decodes a commit record before the transaction is visible): a table
//!   started within it takes those changes into its cache;
//! - being loaded: cached ([`Cached`]), since the load may or may not have seen it;
//! - loaded (rows in, primary key built): the cached changes are applied, in source commit
//!   order, then the table's changes apply as they come.
//!
//! Every change applied before the load ends may already be on the target, so it applies
//! idempotently (an insert or update writes the whole row by its key, a delete of a row
//! already gone is no conflict), and the checkpoint stays at the load's start: a task stopped
//! or killed during its load captures again from there, with the tables already loaded
//! taking every change again (each converges to its last image). Once the load has ended and
//! every cache is applied, the checkpoint moves to where the capture has read and the replay
//! goes on idempotently up to the position at which the load ended.
//!
//! The caches hold at most [`CACHE_CHANGES`] changes and [`CACHE_MB`] MiB of their values
//! (both settings of the task), whatever the load's length, the rows' width and the source's
//! write rate. A table whose changes would go beyond it overflows: its cache is let
//! go and its changes are counted, not kept; once it is loaded, the session reads the log again
//! from the checkpoint (still the load's start), and the table, loaded now, takes every change
//! from there. The capture never waits for the load (a replica that stops reading is cut off
//! by the server).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Change, Position, Txn};
use crate::tasks::TaskEvent;
pub use crate::tasks::replication::{CACHE_CHANGES, CACHE_MB};

/// The memory a change takes while it waits, about: its values and what holds them.
pub fn weight(c: &Change) -> usize {
    let values = |v: &Option<Vec<Option<String>>>| {
        v.as_ref().map_or(0, |v| {
            v.iter()
                .map(|x| 24 + x.as_ref().map_or(0, String::len))
                .sum::<usize>()
        })
    };
    let computed: usize = c
        .computed
        .iter()
        .map(|x| 24 + x.as_ref().map_or(0, String::len))
        .sum();
    std::mem::size_of::<Change>() + c.table.len() + values(&c.before) + values(&c.after) + computed
}

/// How long a change to a table whose load has not started is held before it is dropped.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Where a table's full load stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// Not started: the load reads it later, the changes until then included.
    Pending,
    /// Being read (or loaded in part by a run before): its changes are cached.
    Loading,
    /// Loaded, with its key: its changes apply.
    Ready,
}

/// The full load's progress as replication sees it, shared between the load (which reports
/// through [`LoadGate::observe`]) and the replication sessions.
#[derive(Debug, Default)]
pub struct LoadGate {
    state: Mutex<GateState>,
    /// Bumped on every change of `state`: a session reads the states again only then.
    version: AtomicU64,
}

#[derive(Debug, Default, Clone)]
struct GateState {
    tables: HashMap<String, Load>,
    /// The target tables exist (a session can read them).
    schema_ready: bool,
    /// The load ended: where the source's log was then, or why the load did not finish.
    end: Option<std::result::Result<Position, String>>,
}

impl LoadGate {
    /// `loaded_before`: the tables an earlier run of the task loaded in part or in whole
    /// (their rows on the target were read before this capture began: they cache from the
    /// start).
    pub fn new(loaded_before: impl IntoIterator<Item = String>) -> LoadGate {
        let g = LoadGate::default();
        if let Ok(mut s) = g.state.lock() {
            s.tables = loaded_before
                .into_iter()
                .map(|t| (t, Load::Loading))
                .collect();
        }
        g
    }

    fn update(&self, f: impl FnOnce(&mut GateState)) {
        if let Ok(mut s) = self.state.lock() {
            f(&mut s);
        }
        self.version.fetch_add(1, Ordering::SeqCst);
    }

    /// Follows the load's events: a table started, loaded with its key, or failed.
    pub fn observe(&self, e: &TaskEvent) {
        match e {
            TaskEvent::SchemaReady => self.update(|s| s.schema_ready = true),
            TaskEvent::TableStarted { table } | TaskEvent::TableSkipped { table, .. } => self
                .update(|s| {
                    s.tables.insert(table.clone(), Load::Loading);
                }),
            TaskEvent::TableReady { table } => self.update(|s| {
                s.tables.insert(table.clone(), Load::Ready);
            }),
            _ => {}
        }
    }

    /// The load ended (Err: it did not finish, and why).
    pub fn finished(&self, end: std::result::Result<Position, String>) {
        self.update(|s| s.end = Some(end));
    }

    fn read(&self) -> (u64, GateState) {
        // The version first: a state read after it is at least as new.
        let v = self.version.load(Ordering::SeqCst);
        let s = self.state.lock().map(|s| s.clone()).unwrap_or_default();
        (v, s)
    }

    // (These two are polled: they read one field, not a copy of every table's state.)
    pub fn schema_ready(&self) -> bool {
        self.state.lock().is_ok_and(|s| s.schema_ready)
    }

    pub fn end(&self) -> Option<std::result::Result<Position, String>> {
        self.state.lock().ok().and_then(|s| s.end.clone())
    }
}

/// One replication session's caches during the load (a new session, reading again from the
/// load's start, starts with none).
pub struct Cached {
    gate: std::sync::Arc<LoadGate>,
    /// The load's states as of `version`.
    view: GateState,
    version: u64,
    /// Per table, the changes waiting for its load, with their transactions' ends and commit
    /// times, in commit order, and when each was read.
    held: HashMap<String, Vec<(std::time::Instant, Txn)>>,
    total: usize,
    /// The [`weight`] of what `held` holds.
    bytes: usize,
    /// Tables whose changes are no longer followed (suspended): dropped.
    dropped: HashSet<String>,
    /// Changes held at most, and their weight at most.
    limit: usize,
    limit_bytes: usize,
    /// How long a change to a table not started is held ([`GRACE`]).
    grace: std::time::Duration,
    /// Tables whose cache overflowed, with the changes counted since: read again from the log
    /// once they are loaded.
    overflowed: HashMap<String, u64>,
    /// An overflowed table is loaded: the session should read the log again from its
    /// checkpoint.
    reread: bool,
}

impl Cached {
    /// `limit`: changes held at most, all tables together; `limit_bytes`: their [`weight`]
    /// at most.
    pub fn new(gate: std::sync::Arc<LoadGate>, limit: usize, limit_bytes: usize) -> Cached {
        let (version, view) = gate.read();
        Cached {
            limit,
            limit_bytes,
            bytes: 0,
            grace: GRACE,
            gate,
            view,
            version,
            held: HashMap::new(),
            total: 0,
            dropped: HashSet::new(),
            overflowed: HashMap::new(),
            reread: false,
        }
    }

    /// Reads the load's states again if they changed. Returns the cached changes of the
    /// tables loaded since (to apply before anything read later), oldest first per table.
    pub fn refresh(&mut self) -> Vec<Txn> {
        if self.gate.version.load(Ordering::SeqCst) == self.version {
            return vec![];
        }
        (self.version, self.view) = self.gate.read();
        // Tables still not started: what they held past the grace goes.
        for t in self.in_state(self.held.keys(), Load::Pending) {
            self.expire(&t);
        }
        for t in self.in_state(self.overflowed.keys(), Load::Ready) {
            self.overflowed.remove(&t);
            self.reread = true;
        }
        let mut out = vec![];
        for t in self.in_state(self.held.keys(), Load::Ready) {
            if let Some(txns) = self.held.remove(&t) {
                self.let_go(&txns);
                out.extend(txns.into_iter().map(|x| x.1));
            }
        }
        out
    }

    /// Counts `txns` out of the caches.
    fn let_go(&mut self, txns: &[(std::time::Instant, Txn)]) {
        for (_, t) in txns {
            self.total -= t.changes.len();
            self.bytes -= t.changes.iter().map(weight).sum::<usize>();
        }
    }

    /// Those of `tables` whose load is at `want`.
    fn in_state<'a>(&self, tables: impl Iterator<Item = &'a String>, want: Load) -> Vec<String> {
        tables.filter(|t| self.state(t) == want).cloned().collect()
    }

    /// Drops what a table not started holds from longer ago than the grace.
    fn expire(&mut self, table: &str) {
        let Some(held) = self.held.get_mut(table) else {
            return;
        };
        let old = held
            .iter()
            .take_while(|x| x.0.elapsed() >= self.grace)
            .count();
        let gone: Vec<_> = held.drain(..old).collect();
        if held.is_empty() {
            self.held.remove(table);
        }
        self.let_go(&gone);
    }

    /// The load of `table` as this session last read it. A table the load does not know is
    /// not the task's: the applier decides.
    pub fn state(&self, table: &str) -> Load {
        match self.view.tables.get(table) {
            Some(l) => *l,
            None if self.view.end.is_some() => Load::Ready,
            None => Load::Pending,
        }
    }

    /// Routes `changes` (of a transaction ending at `end`, just read) by the load's states as
    /// they are now: (the caches of tables loaded since, to apply first; the changes that apply
    /// now). The changes of tables being loaded are cached, those of tables not started held
    /// for the grace.
    pub fn route(
        &mut self,
        changes: Vec<Change>,
        end: &Position,
        commit_ms: i64,
    ) -> (Vec<Txn>, Vec<Change>) {
        let released = self.refresh();
        let now = std::time::Instant::now();
        let mut keep = vec![];
        for c in changes {
            if self.dropped.contains(&c.table) {
                continue;
            }
            match self.state(&c.table) {
                Load::Ready => keep.push(c),
                load => {
                    if load == Load::Pending {
                        self.expire(&c.table);
                    }
                    if let Some(n) = self.overflowed.get_mut(&c.table) {
                        *n += 1;
                        continue;
                    }
                    let w = weight(&c);
                    if self.total >= self.limit || self.bytes + w > self.limit_bytes {
                        // Let this table's cache go: its changes are read again later.
                        let gone = self.held.remove(&c.table).unwrap_or_default();
                        let n: usize = gone.iter().map(|x| x.1.changes.len()).sum();
                        self.let_go(&gone);
                        tracing::info!(target: "tugboat::cdc", "{}: more than the cache holds changed during its load: its changes are read again from the log once it is loaded", c.table);
                        self.overflowed.insert(c.table.clone(), n as u64 + 1);
                        continue;
                    }
                    let held = self.held.entry(c.table.clone()).or_default();
                    match held.last_mut() {
                        Some((_, t)) if &t.end == end && t.commit_ms == commit_ms => {
                            t.changes.push(c)
                        }
                        _ => held.push((
                            now,
                            Txn {
                                end: end.clone(),
                                commit_ms,
                                changes: vec![c],
                            },
                        )),
                    }
                    self.total += 1;
                    self.bytes += w;
                }
            }
        }
        (released, keep)
    }

    /// Stops caching `table` and forgets what it held (the table is suspended).
    pub fn drop_table(&mut self, table: &str) {
        if let Some(txns) = self.held.remove(table) {
            self.let_go(&txns);
        }
        self.dropped.insert(table.to_string());
    }

    /// Changes cached, all tables together.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Their [`weight`].
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// A table whose cache overflowed is loaded now: its changes must be read again from
    /// the checkpoint.
    pub fn reread(&self) -> bool {
        self.reread
    }

    /// Changes waiting for `table`'s load (cached, or counted to be read again).
    pub fn of(&self, table: &str) -> u64 {
        self.held
            .get(table)
            .map_or(0, |t| t.iter().map(|x| x.1.changes.len() as u64).sum())
            + self.overflowed.get(table).copied().unwrap_or(0)
    }

    /// How the load ended, as of the last [`Cached::refresh`].
    pub fn end(&self) -> Option<&std::result::Result<Position, String>> {
        self.view.end.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdc::Op;

    fn change(table: &str, id: &str) -> Change {
        Change {
            table: table.into(),
            op: Op::Insert,
            before: None,
            after: Some(vec![Some(id.into())]),
            unchanged: vec![],
            before_complete: false,
            computed: vec![],
            tolerant: false,
        }
    }

    fn ids(txns: &[Txn]) -> Vec<String> {
        txns.iter()
            .flat_map(|t| t.changes.iter())
            .map(|c| {
                format!(
                    "{}:{}",
                    c.table,
                    c.after.as_ref().unwrap()[0].as_ref().unwrap()
                )
            })
            .collect()
    }

    #[test]
    fn changes_wait_for_their_table_and_come_out_in_order() {
        let gate = std::sync::Arc::new(LoadGate::new(["s.old".to_string()]));
        let mut c = Cached::new(gate.clone(), CACHE_CHANGES, CACHE_MB << 20);
        let p = |n| Position::Lsn(n);
        // s.a not started: held for the grace; s.old loaded in part before: cached.
        let (_, kept) = c.route(vec![change("s.a", "1"), change("s.old", "1")], &p(1), 1);
        assert!(kept.is_empty());
        assert_eq!((c.of("s.a"), c.of("s.old")), (1, 1));
        gate.observe(&TaskEvent::TableStarted {
            table: "s.a".into(),
        });
        // Started within the grace: what it held is its cache now.
        let (released, kept) = c.route(vec![change("s.a", "2"), change("s.old", "2")], &p(2), 2);
        assert!(released.is_empty() && kept.is_empty());
        c.route(vec![change("s.a", "3")], &p(3), 3);
        assert_eq!(c.total(), 5);
        gate.observe(&TaskEvent::TableReady {
            table: "s.a".into(),
        });
        // Loaded: its cache comes out first, in order, with the change read now after it.
        let (released, kept) = c.route(vec![change("s.a", "4"), change("s.old", "3")], &p(4), 4);
        assert_eq!(ids(&released), ["s.a:1", "s.a:2", "s.a:3"]);
        assert_eq!(
            released.iter().map(|t| t.end.clone()).collect::<Vec<_>>(),
            [p(1), p(2), p(3)]
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(c.of("s.old"), 3);
        c.drop_table("s.old");
        assert_eq!(c.total(), 0);
        assert!(c.route(vec![change("s.old", "4")], &p(5), 5).1.is_empty());
        assert_eq!(c.total(), 0);
        // Beyond the caches' size a table's changes are counted, not kept, and read again
        // once it is loaded.
        gate.observe(&TaskEvent::TableStarted {
            table: "s.b".into(),
        });
        gate.observe(&TaskEvent::TableStarted {
            table: "s.c".into(),
        });
        let many: Vec<Change> = (0..CACHE_CHANGES)
            .map(|i| change("s.b", &i.to_string()))
            .collect();
        c.route(many, &p(6), 6);
        assert_eq!(c.total(), CACHE_CHANGES);
        c.route(vec![change("s.c", "1"), change("s.c", "2")], &p(7), 7);
        assert_eq!((c.total(), c.of("s.c")), (CACHE_CHANGES, 2));
        gate.observe(&TaskEvent::TableReady {
            table: "s.c".into(),
        });
        assert!(c.refresh().is_empty());
        assert!(c.reread());
        gate.observe(&TaskEvent::TableReady {
            table: "s.b".into(),
        });
        assert_eq!(
            c.refresh().iter().map(|t| t.changes.len()).sum::<usize>(),
            CACHE_CHANGES
        );
        assert_eq!(c.total(), 0);
        // A table the load never named, once the load has ended: the applier's to judge.
        gate.finished(Ok(p(9)));
        assert_eq!(c.route(vec![change("s.other", "1")], &p(6), 6).1.len(), 1);
    }

    #[test]
    fn wide_rows_overflow_the_caches_by_their_size_not_their_count() {
        let gate = std::sync::Arc::new(LoadGate::default());
        gate.observe(&TaskEvent::TableStarted {
            table: "s.wide".into(),
        });
        gate.observe(&TaskEvent::TableStarted {
            table: "s.narrow".into(),
        });
        // 1 MiB at most: ten changes of 200 KiB values do not fit, whatever their count.
        let mut c = Cached::new(gate.clone(), CACHE_CHANGES, 1 << 20);
        let p = |n| Position::Lsn(n);
        let blob = "x".repeat(200 << 10);
        for i in 0..10 {
            c.route(vec![change("s.wide", &format!("{i}{blob}"))], &p(i), 1);
            assert!(c.bytes() <= 1 << 20, "{}", c.bytes());
        }
        // The table let its cache go once the next change did not fit; its changes are
        // counted, to be read again.
        assert_eq!((c.total(), c.bytes(), c.of("s.wide")), (0, 0, 10));
        c.route(vec![change("s.narrow", "1")], &p(11), 2);
        assert_eq!(c.total(), 1);
        assert_eq!(c.bytes(), weight(&change("s.narrow", "1")));
        gate.observe(&TaskEvent::TableReady {
            table: "s.wide".into(),
        });
        assert!(c.refresh().is_empty());
        assert!(c.reread());
        gate.observe(&TaskEvent::TableReady {
            table: "s.narrow".into(),
        });
        assert_eq!(ids(&c.refresh()), ["s.narrow:1"]);
        assert_eq!((c.total(), c.bytes()), (0, 0));
    }

    #[test]
    fn a_table_not_started_lets_its_changes_go_after_the_grace() {
        let gate = std::sync::Arc::new(LoadGate::default());
        let mut c = Cached::new(gate.clone(), CACHE_CHANGES, CACHE_MB << 20);
        c.grace = std::time::Duration::from_millis(50);
        let p = |n| Position::Lsn(n);
        c.route(vec![change("s.late", "1")], &p(1), 1);
        assert_eq!(c.of("s.late"), 1);
        std::thread::sleep(std::time::Duration::from_millis(80));
        c.route(vec![change("s.late", "2")], &p(2), 2);
        // The first is older than the grace: the load, started later, reads it.
        assert_eq!((c.of("s.late"), c.total()), (1, 1));
        gate.observe(&TaskEvent::TableStarted {
            table: "s.late".into(),
        });
        gate.observe(&TaskEvent::TableReady {
            table: "s.late".into(),
        });
        assert_eq!(ids(&c.refresh()), ["s.late:2"]);
    }
}
