//! What a capture produces, whatever the engine: a [`Position`] in the source's log, committed
//! [`Txn`]s of row [`Change`]s in the full load's canonical text, DDL seen in the log
//! ([`Captured`]), a captured table's columns ([`TableMeta`]), and the bounded channel ([`feed`]) that carries them to the applier.

use super::values::Kind;
use serde::{Deserialize, Serialize};

/// A failure on `conn` while `context`, for what is not an sqlx error (an answer that cannot
/// be read); sqlx errors come through [`Connection::query`] with their context.
pub(crate) fn query_error(
    conn: &crate::endpoints::Connection,
    context: &str,
    e: impl std::fmt::Display,
) -> crate::error::Error {
    crate::error::Error::Query {
        endpoint: conn.endpoint.label(),
        context: context.into(),
        message: e.to_string(),
        cause: crate::error::Cause::Statement,
    }
}

/// A place in the source's log: the end of a committed transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Position {
    /// A MySQL/MariaDB binary log file and the offset just past an event in it.
    Binlog { file: String, pos: u64 },
    /// A PostgreSQL WAL location.
    Lsn(u64),
}

impl Position {
    /// Parses `file:pos` (binary log) or `X/Y` (LSN), as [`std::fmt::Display`] prints them.
    pub fn parse(s: &str) -> Option<Position> {
        let s = s.trim();
        if let Some((hi, lo)) = s.split_once('/') {
            let hi = u64::from_str_radix(hi, 16).ok()?;
            let lo = u64::from_str_radix(lo, 16).ok()?;
            return Some(Position::Lsn((hi << 32) | lo));
        }
        let (file, pos) = s.rsplit_once(':')?;
        if file.is_empty() {
            return None;
        }
        Some(Position::Binlog {
            file: file.to_string(),
            pos: pos.parse().ok()?,
        })
    }

    /// Whether `self` is at or past `other` (positions of the same log).
    /// Whether this is a position of a log a source of `engine` has (an LSN for PostgreSQL,
    /// a binary log position for MySQL and MariaDB).
    pub fn fits(&self, engine: crate::endpoints::Engine) -> bool {
        use crate::endpoints::Engine;
        match self {
            Position::Lsn(_) => engine == Engine::Postgres,
            Position::Binlog { .. } => matches!(engine, Engine::MySql | Engine::MariaDb),
        }
    }

    pub fn reached(&self, other: &Position) -> bool {
        match (self, other) {
            (Position::Lsn(a), Position::Lsn(b)) => a >= b,
            (Position::Binlog { file: f1, pos: p1 }, Position::Binlog { file: f2, pos: p2 }) => {
                (binlog_seq(f1), *p1) >= (binlog_seq(f2), *p2)
            }
            _ => false,
        }
    }
}

/// The sequence number of a binary log file (`binlog.000012` is 12).
fn binlog_seq(file: &str) -> u64 {
    file.rsplit('.')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Binlog { file, pos } => write!(f, "{file}:{pos}"),
            Position::Lsn(l) => write!(f, "{:X}/{:X}", l >> 32, l & 0xFFFF_FFFF),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Op {
    Insert,
    Update,
    Delete,
}

/// One row changed, with its values in the source table's column order (canonical text, None
/// for NULL).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// `schema.table` on the source.
    pub table: String,
    pub op: Op,
    /// The row before (updates, deletes).
    pub before: Option<Vec<Option<String>>>,
    /// The row after (inserts, updates).
    pub after: Option<Vec<Option<String>>>,
    /// Columns (source indices) an update left as they were without sending their value
    /// (PostgreSQL's unchanged TOAST values): not written.
    pub unchanged: Vec<usize>,
    /// `before` holds every column's value (a MySQL full row image, PostgreSQL's old row under
    /// REPLICA IDENTITY FULL); otherwise only its key's values are sure.
    pub before_complete: bool,
    /// The values of the columns the task adds by an expression, computed on the source from
    /// `after` (see [`transform`]), in the table's column order.
    pub computed: Vec<Option<String>>,
    /// The target may hold the row or not (a source filter could not tell whether the row was
    /// in it before): applied idempotently.
    pub tolerant: bool,
}

/// A source transaction's changes are sent on in parts of this many while it is read, so a
/// large one is never held whole in memory (see [`Captured::Part`]).
pub const PART_CHANGES: usize = 10_000;

/// What a capture reads: a committed transaction's row changes, or a statement changing a
/// table's definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Captured {
    Txn(Txn),
    /// The next changes of a transaction still being read (a large one), in order: the target
    /// applies them in a transaction it leaves open; the transaction's last changes and its
    /// end follow as a [`Captured::Txn`], with which the target commits it.
    Part(Vec<Change>),
    /// DDL on the source (`schema.table` when it names one), at `end`.
    Ddl {
        end: Position,
        table: Option<String>,
        sql: String,
        commit_ms: i64,
    },
    /// Columns were added to a table on the source (at `end`): `table` is its definition now.
    ColumnsAdded {
        end: Position,
        label: String,
        table: Box<crate::model::Table>,
    },
    /// A table's definition on the source no longer matches the one the task read (a column
    /// added or dropped before or during the capture): its changes stop, the rest go on.
    TableChanged {
        table: String,
        reason: String,
    },
    /// The capture cannot go on (a purged log, a dropped slot...): what to do is in the text.
    Failed(String),
}

/// Changes read from the source and not yet taken by the applier, at most: the capture waits
/// when this many are in the channel, so a reader faster than the target holds a bounded
/// amount of memory (a few parts), whatever the size of the source's transactions.
pub const IN_FLIGHT_CHANGES: usize = 3 * PART_CHANGES;

/// Where the capture has read the log to, and when (see [`Feed::read_through`]).
type ReadThrough = std::sync::Arc<std::sync::Mutex<Option<(Position, std::time::Instant)>>>;

/// The source's GTID state at positions the capture reported, in log order (see
/// [`Feed::gtid_at`]).
type Gtids = std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<(Position, String)>>>;

/// GTID states kept for positions not checkpointed yet, at most (older ones are let go: a
/// checkpoint there is kept without its GTID).
const GTIDS_KEPT: usize = 200_000;

/// The capture's end of the channel to the applier, bounded by changes
/// ([`IN_FLIGHT_CHANGES`]) rather than by messages.
#[derive(Clone)]
pub struct Feed {
    tx: tokio::sync::mpsc::Sender<Captured>,
    room: std::sync::Arc<tokio::sync::Semaphore>,
    through: ReadThrough,
    gtids: Gtids,
}

/// The applier's end of the channel (see [`Feed`]).
pub struct Intake {
    rx: tokio::sync::mpsc::Receiver<Captured>,
    room: std::sync::Arc<tokio::sync::Semaphore>,
    through: ReadThrough,
    gtids: Gtids,
}

/// The channel from a capture to the applier.
pub fn feed() -> (Feed, Intake) {
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let room = std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT_CHANGES));
    let through = std::sync::Arc::new(std::sync::Mutex::new(None));
    let gtids: Gtids = Default::default();
    (
        Feed {
            tx,
            room: room.clone(),
            through: through.clone(),
            gtids: gtids.clone(),
        },
        Intake {
            rx,
            room,
            through,
            gtids,
        },
    )
}

/// The changes a message carries, as counted against [`IN_FLIGHT_CHANGES`].
fn weight(c: &Captured) -> usize {
    match c {
        Captured::Txn(t) => t.changes.len(),
        Captured::Part(p) => p.len(),
        _ => 0,
    }
    .min(IN_FLIGHT_CHANGES)
}

impl Feed {
    /// Sends `c` once there is room for its changes. Err: the applier is gone.
    pub async fn send(&self, c: Captured) -> std::result::Result<(), ()> {
        let n = weight(&c) as u32;
        if n > 0 {
            self.room.acquire_many(n).await.map_err(|_| ())?.forget();
        }
        self.tx.send(c).await.map_err(|_| ())
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// The capture has read the log up to `p` and sent every change before it (the rest of
    /// the log there concerns no table of the task).
    pub fn read_through(&self, p: Position) {
        if let Ok(mut t) = self.through.lock() {
            *t = Some((p, std::time::Instant::now()));
        }
    }

    /// The source's GTID state at `p` (MariaDB), for the checkpoint there: a task can follow
    /// its source to another server holding the same transactions (a failover).
    pub fn gtid_at(&self, p: &Position, state: &str) {
        if let Ok(mut g) = self.gtids.lock() {
            if g.back().is_some_and(|(q, _)| q == p) {
                return;
            }
            g.push_back((p.clone(), state.to_string()));
            if g.len() > GTIDS_KEPT {
                g.pop_front();
            }
        }
    }
}

/// A capture waiting for room is told the applier is gone.
impl Drop for Intake {
    fn drop(&mut self) {
        self.room.close();
    }
}

impl Intake {
    pub async fn recv(&mut self) -> Option<Captured> {
        let c = self.rx.recv().await?;
        self.room.add_permits(weight(&c));
        Some(c)
    }

    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// How far the capture has read with nothing more sent (see [`Feed::read_through`]), and
    /// when it said so. Read it before checking that the channel is empty: then every change
    /// before it was taken.
    pub fn read_through(&self) -> Option<(Position, std::time::Instant)> {
        self.through.lock().ok().and_then(|t| t.clone())
    }

    /// The GTID state the capture reported at `p`, if any; what came before `p` is let go
    /// (checkpoints only move on).
    pub fn gtid_of(&self, p: &Position) -> Option<String> {
        let mut g = self.gtids.lock().ok()?;
        while g.front().is_some_and(|(q, _)| q != p && p.reached(q)) {
            g.pop_front();
        }
        g.front().filter(|(q, _)| q == p).map(|(_, s)| s.clone())
    }

    /// Changes waiting in the channel.
    pub fn changes(&self) -> usize {
        IN_FLIGHT_CHANGES.saturating_sub(self.room.available_permits())
    }
}

/// One committed source transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Txn {
    /// Where it ends in the log: restarting from here reads the next transaction.
    pub end: Position,
    /// Its commit time on the source (Unix milliseconds; MySQL and MariaDB log whole seconds).
    pub commit_ms: i64,
    pub changes: Vec<Change>,
}

/// A captured table's columns in their order on the source.
#[derive(Debug, Clone)]
pub struct TableMeta {
    /// `schema.table` as the task names it.
    pub label: String,
    pub columns: Vec<(String, Kind, crate::model::DataType)>,
    /// Per column: computed by the source (PostgreSQL's logical decoding leaves these out).
    pub generated: Vec<bool>,
}

impl TableMeta {
    pub fn of(
        label: &str,
        t: &crate::model::Table,
        kind: impl Fn(&crate::model::DataType) -> Kind,
    ) -> TableMeta {
        let mut cols: Vec<_> = t.columns.iter().collect();
        cols.sort_by_key(|c| c.ordinal);
        TableMeta {
            label: label.to_string(),
            generated: cols.iter().map(|c| c.generated.is_some()).collect(),
            columns: cols
                .into_iter()
                .map(|c| (c.name.clone(), kind(&c.data_type), c.data_type.clone()))
                .collect(),
        }
    }
}
