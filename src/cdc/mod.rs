//! Ongoing replication (change data capture): the source's changes, read from its log, applied
//! to the target until the user cuts over.
//!
//! The data path is the full load's: a capture per source engine ([`binlog`] for MySQL and
//! MariaDB) reads committed transactions in commit order as [`Txn`]s of row [`Change`]s in the
//! full load's canonical text ([`crate::tasks::values`]), a bounded channel carries them, and
//! [`apply`] writes them to the target in transactional batches, each committing the source
//! position it reached into `tugboat_cdc_checkpoint` on the target in the same transaction. A
//! task stopped or killed anywhere starts again from that checkpoint: no change is lost or
//! applied twice.
//!
//! A full-load-and-cdc task records the source position before the full load starts and
//! captures from there while the load runs ([`cached`]): a table's changes wait until that
//! table is loaded (DMS's cached changes), then apply as they come. Changes the full load
//! already saw are met again; until the capture passes the position at which the load ended,
//! each change is applied idempotently (an insert or update writes the whole row by its key, a
//! delete of a row already gone is no conflict), so every row converges to its last image on
//! the source. From there on changes apply strictly, and a row missing or a duplicate key is a
//! conflict for the task's error policy. [`checks`] are the premigration checks shown before a
//! task starts.

pub mod apply;
pub mod binlog;
pub mod cached;
pub mod checks;
pub mod deferred;
pub mod pglogical;
pub mod run;
pub mod transform;

use serde::{Deserialize, Serialize};

pub use run::{CdcStats, run_cdc};

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
    }
}

/// What a task does (DMS's migration types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TaskType {
    /// Copy the tables once.
    #[default]
    FullLoad,
    /// Copy the tables, then replicate the changes made since the copy began, until stopped.
    FullLoadAndCdc,
    /// Replicate changes from now (or a given position) until stopped.
    Cdc,
}

impl TaskType {
    pub fn parse(s: &str) -> Option<TaskType> {
        match s {
            "full-load" => Some(TaskType::FullLoad),
            "full-load-and-cdc" => Some(TaskType::FullLoadAndCdc),
            "cdc" => Some(TaskType::Cdc),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TaskType::FullLoad => "full-load",
            TaskType::FullLoadAndCdc => "full-load-and-cdc",
            TaskType::Cdc => "cdc",
        }
    }

    pub fn captures(self) -> bool {
        self != TaskType::FullLoad
    }
}

/// Where a replicating task stops by itself (DMS's CDC stop position): every transaction up to
/// it is applied, none after it, and the task stops at that checkpoint as if it had been
/// stopped there; started again it goes on from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopAt {
    /// After the last transaction that ends at or before this position of the source's log.
    Position(Position),
    /// After the last transaction the source committed at or before this time (milliseconds
    /// since the Unix epoch). The binary log's commit times have whole seconds.
    CommitTime(i64),
}

impl StopAt {
    /// Reads a binary log `file:pos`, an LSN `X/Y`, or a time in RFC 3339 with its offset
    /// (`2026-12-02T14:30:00Z`, `2026-12-02T15:30:00+01:00`).
    pub fn parse(s: &str) -> std::result::Result<StopAt, String> {
        let s = s.trim();
        if let Ok(t) = s.parse::<jiff::Timestamp>() {
            return Ok(StopAt::CommitTime(t.as_millisecond()));
        }
        let looks_like_time = s.len() >= 5
            && s.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && s.as_bytes()[4] == b'-';
        if looks_like_time {
            return Err(format!(
                "'{s}' is not a time Tugboat can read: write it in RFC 3339 with its offset, e.g. 2026-12-02T14:30:00Z"
            ));
        }
        Position::parse(s).map(StopAt::Position).ok_or_else(|| {
            format!(
                "'{s}' is neither a position (binary log file:pos, an LSN X/Y) nor a time (2026-12-02T14:30:00Z)"
            )
        })
    }

    /// Whether the transaction ending at `end`, committed at `commit_ms`, lies past the stop
    /// (it is not applied).
    pub fn passed_by(&self, end: &Position, commit_ms: i64) -> bool {
        match self {
            StopAt::Position(p) => end.reached(p) && end != p,
            StopAt::CommitTime(ms) => commit_ms > *ms,
        }
    }

    /// Whether a task whose checkpoint is `at` is at the stop itself.
    pub fn reached_by(&self, at: &Position) -> bool {
        matches!(self, StopAt::Position(p) if at.reached(p))
    }

    /// Whether this stop can be met on a source of `engine` (a position of its own log).
    pub fn fits(&self, engine: crate::endpoints::Engine) -> bool {
        match self {
            StopAt::CommitTime(_) => true,
            StopAt::Position(p) => p.fits(engine),
        }
    }
}

impl std::fmt::Display for StopAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopAt::Position(p) => write!(f, "position {p}"),
            StopAt::CommitTime(ms) => match jiff::Timestamp::from_millisecond(*ms) {
                Ok(t) => write!(f, "commit time {t}"),
                Err(_) => write!(f, "commit time {ms} ms"),
            },
        }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Insert,
    Update,
    Delete,
}

/// One row changed, with its values in the source table's column order (canonical text, None
/// for NULL).
#[derive(Debug, Clone, PartialEq)]
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

/// Where a cdc task without a checkpoint starts: a position of the source's log, or a MariaDB
/// GTID (resolved to its binary log position on the source).
#[derive(Debug, Clone, PartialEq)]
pub enum StartAt {
    At(Position),
    Gtid(String),
}

impl StartAt {
    pub fn parse(s: &str) -> Option<StartAt> {
        // MySQL's GTID (server uuid:transactions) is no file:pos, and not supported yet.
        let uuid = |u: &str| {
            u.len() == 36
                && u.split('-').map(str::len).eq([8, 4, 4, 4, 12])
                && u.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        };
        if s.split_once(':').is_some_and(|(u, _)| uuid(u.trim())) {
            return None;
        }
        if let Some(p) = Position::parse(s) {
            return Some(StartAt::At(p));
        }
        // A GTID, or a GTID state of several domains (`0-1-42,1-2-7`).
        let all: Option<Vec<binlog::Gtid>> = s.split(',').map(binlog::Gtid::parse).collect();
        all.filter(|g| !g.is_empty()).map(|g| {
            let text: Vec<String> = g.iter().map(|x| x.to_string()).collect();
            StartAt::Gtid(text.join(","))
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_positions_are_positions_gtids_or_gtid_states() {
        assert_eq!(
            StartAt::parse("binlog.000002:4"),
            Some(StartAt::At(Position::Binlog {
                file: "binlog.000002".into(),
                pos: 4
            }))
        );
        assert_eq!(
            StartAt::parse("0-1-42"),
            Some(StartAt::Gtid("0-1-42".into()))
        );
        assert_eq!(
            StartAt::parse("0-1-42, 1-2-7"),
            Some(StartAt::Gtid("0-1-42,1-2-7".into()))
        );
        assert_eq!(StartAt::parse("0-1-42,"), None);
        assert_eq!(
            StartAt::parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:23"),
            None
        );
    }

    #[test]
    fn stop_positions_and_times_parse_and_bound_transactions() {
        let t = StopAt::parse("2026-12-02T15:30:00+01:00").expect("a time with an offset");
        assert_eq!(t, StopAt::CommitTime(1_796_221_800_000));
        assert_eq!(StopAt::parse("2026-12-02T14:30:00Z"), Ok(t.clone()));
        let at = Position::Lsn(10);
        assert!(
            !t.passed_by(&at, 1_796_221_800_000),
            "committed at the stop"
        );
        assert!(t.passed_by(&at, 1_796_221_800_001), "committed after it");
        let e = StopAt::parse("2026-12-02 14:30").expect_err("no offset, no T");
        assert!(e.contains("RFC 3339"), "{e}");

        let p = StopAt::parse("binlog.000009:4567").expect("binlog position");
        let before = Position::parse("binlog.000009:4000").unwrap();
        let same = Position::parse("binlog.000009:4567").unwrap();
        let next_file = Position::parse("binlog.000010:120").unwrap();
        assert!(!p.passed_by(&before, 0) && !p.passed_by(&same, 0));
        assert!(p.passed_by(&next_file, 0));
        assert!(p.reached_by(&same) && !p.reached_by(&before));
        assert!(p.fits(crate::endpoints::Engine::MariaDb));
        assert!(!p.fits(crate::endpoints::Engine::Postgres));
        let lsn = StopAt::parse("0/16B3748").expect("an LSN");
        assert!(lsn.fits(crate::endpoints::Engine::Postgres));
        assert!(StopAt::parse("tomorrow").is_err());
    }

    #[test]
    fn positions_print_parse_and_order() {
        let a = Position::parse("binlog.000009:4567").expect("binlog position");
        assert_eq!(a.to_string(), "binlog.000009:4567");
        let b = Position::parse("binlog.000010:4").expect("binlog position");
        assert!(b.reached(&a) && !a.reached(&b) && a.reached(&a));
        let l = Position::parse("1/6B3748").expect("lsn");
        assert_eq!(l, Position::Lsn((1 << 32) | 0x6B3748));
        assert_eq!(l.to_string(), "1/6B3748");
        assert!(!l.reached(&a));
        assert_eq!(Position::parse("nonsense"), None);
        assert_eq!(Position::parse(":12"), None);
    }
}
