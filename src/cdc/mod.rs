//! Ongoing replication (change data capture): the source's changes, read from its log, applied
//! to the target until the user cuts over.
//!
//! The data path is the full load's: a capture per source engine (its
//! [`crate::engines::ChangeLog`]) reads committed transactions in commit order as [`Txn`]s of row [`Change`]s in the
//! full load's canonical text ([`crate::engines::values`]), a bounded channel carries them, and
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
pub mod cached;
pub mod checks;
pub mod control;
pub mod run;
pub mod transform;

pub use crate::engines::change::{
    Captured, Change, Feed, IN_FLIGHT_CHANGES, Intake, Op, PART_CHANGES, Position, TableMeta, Txn,
    feed,
};
pub use crate::tasks::replication::{CdcStats, ReplicationPhase, TableCounts, TaskType};
pub use run::run_cdc;

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
        let all: Option<Vec<crate::engines::mysql::Gtid>> = s
            .split(',')
            .map(crate::engines::mysql::Gtid::parse)
            .collect();
        all.filter(|g| !g.is_empty()).map(|g| {
            let text: Vec<String> = g.iter().map(|x| x.to_string()).collect();
            StartAt::Gtid(text.join(","))
        })
    }
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
