//! MariaDB's global transaction ids: a GTID or a GTID state placed in the binary log (where a
//! task starts, or where its checkpoint stands on another server after a failover), and the
//! state the capture follows through the log.

use crate::endpoints::Connection;
use crate::engines::change::Position;
use crate::error::{Error, Result};

/// A MariaDB GTID `domain-server-seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gtid {
    pub domain: u32,
    pub server: u32,
    pub seq: u64,
}

impl Gtid {
    pub fn parse(s: &str) -> Option<Gtid> {
        let mut it = s.trim().split('-');
        let g = Gtid {
            domain: it.next()?.parse().ok()?,
            server: it.next()?.parse().ok()?,
            seq: it.next()?.parse().ok()?,
        };
        it.next().is_none().then_some(g)
    }
}

impl std::fmt::Display for Gtid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{}", self.domain, self.server, self.seq)
    }
}

/// The sequence number `state` (a GTID position such as `0-1-40,1-2-7`) holds for `domain`.
fn seq_in(state: &str, domain: u32) -> Option<u64> {
    state
        .split(',')
        .filter_map(Gtid::parse)
        .find(|g| g.domain == domain)
        .map(|g| g.seq)
}

/// Where the transaction MariaDB's GTID `gtid` names ends in the binary log: replication from
/// there reads the transaction after it, as a replica whose `gtid_slave_pos` is `gtid` would.
/// The binary log holding it is found by the GTID state at the start of each one
/// (`BINLOG_GTID_POS`), then its events are read (`SHOW BINLOG EVENTS`) up to the transaction's
/// end, which is checked against `BINLOG_GTID_POS` again.
pub async fn gtid_position(conn: &Connection, gtid: &str) -> Result<Position> {
    let bad = |reason: String| Error::InvalidEndpoint {
        endpoint: format!("{}: start position {gtid}", conn.endpoint.label()),
        reason,
    };
    let g = Gtid::parse(gtid).ok_or_else(|| {
        bad("a MariaDB GTID is domain-server-sequence, e.g. 0-1-42 (one domain); MySQL's uuid:n GTIDs are not supported yet: give the binary log file:pos".into())
    })?;
    let logs = conn
        .query("listing the binary logs", "SHOW BINARY LOGS")
        .await?;
    let files: Vec<String> = logs
        .iter()
        .filter_map(|r| r.at(0).map(str::to_string))
        .collect();
    // The newest log that starts before the GTID: the GTID is in it, or not written yet.
    let mut holder = None;
    let mut oldest_state = None;
    for f in files.iter().rev() {
        let state = gtid_state(conn, f, 4).await.map_err(|e| {
            bad(format!(
                "the server cannot map GTIDs to positions (MariaDB's BINLOG_GTID_POS): {e}"
            ))
        })?;
        if seq_in(&state, g.domain).is_none_or(|s| s < g.seq) {
            holder = Some(f.clone());
            break;
        }
        oldest_state = Some(state);
    }
    let Some(file) = holder else {
        return Err(bad(format!(
            "GTID {g} is older than every binary log on the server (the oldest, {}, starts after {}): the changes after it are purged. Reload the task (full load and CDC), or start from a position the server still has",
            files.first().map(String::as_str).unwrap_or("none"),
            oldest_state.unwrap_or_default()
        )));
    };
    // Its events, a page at a time, up to the end of the GTID's transaction.
    let lit = crate::engines::values::text_literal(conn.endpoint.engine, &file);
    let mut from = 4u64;
    // Inside the GTID's transaction: whether it began with BEGIN (else a DDL: one statement).
    let mut inside: Option<bool> = None;
    let mut end = None;
    'pages: loop {
        let rows = conn
            .query(
                "reading the binary log's events",
                &format!("SHOW BINLOG EVENTS IN {lit} FROM {from} LIMIT 5000"),
            )
            .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let (kind, info) = (r.at(2).unwrap_or(""), r.at(5).unwrap_or(""));
            let next: u64 = r.at(4).and_then(|p| p.parse().ok()).unwrap_or(0);
            match inside {
                // "BEGIN GTID 0-1-42", "GTID 0-1-42" (DDL), perhaps with " cid=..." after.
                None if kind == "Gtid"
                    && info
                        .split_whitespace()
                        .skip_while(|w| *w != "GTID")
                        .nth(1)
                        .and_then(Gtid::parse)
                        == Some(g) =>
                {
                    inside = Some(info.starts_with("BEGIN"));
                }
                Some(true)
                    if kind == "Xid"
                        || (kind == "Query" && (info == "COMMIT" || info == "ROLLBACK")) =>
                {
                    end = Some(next);
                    break 'pages;
                }
                Some(false) if kind == "Query" => {
                    end = Some(next);
                    break 'pages;
                }
                _ => {}
            }
            from = next;
        }
        if rows.len() < 5000 || from == 0 {
            break;
        }
    }
    let Some(pos) = end else {
        return Err(bad(format!(
            "GTID {g} is not in the server's binary logs ({file} is the last to start before it): it has not been written yet, or belongs to another server's log. Give a GTID this server has logged (SELECT @@gtid_binlog_pos), or a file:pos"
        )));
    };
    let there = gtid_state(conn, &file, pos).await?;
    if seq_in(&there, g.domain) != Some(g.seq) {
        return Err(bad(format!(
            "GTID {g} was found at {file}:{pos}, but the server's GTID state there is {there:?}: give the file:pos instead"
        )));
    }
    Ok(Position::Binlog { file, pos })
}

/// Where the GTID state `state` (`0-1-40,1-2-7`: a replica's `gtid_slave_pos`, or a task's
/// checkpoint) stands in the binary log: replication from there reads what comes after it in
/// every domain. One domain: [`gtid_position`]. Several: the latest of the ends of their
/// GTIDs (a domain whose GTID is in no log still held is left to the check), which holds only
/// if the server's state there (`BINLOG_GTID_POS`) is `state` exactly; a log whose domains
/// come in another order (parallel replication) has no such position, and it says so.
pub async fn gtid_state_position(conn: &Connection, state: &str) -> Result<Position> {
    let all: Vec<Gtid> = state.split(',').filter_map(Gtid::parse).collect();
    let bad = |reason: String| Error::InvalidEndpoint {
        endpoint: format!("{}: GTID state {state}", conn.endpoint.label()),
        reason,
    };
    if all.len() != state.split(',').count() || all.is_empty() {
        return Err(bad(
            "a MariaDB GTID state is domain-server-sequence for each domain, comma separated (e.g. 0-1-42,1-2-7); MySQL's uuid:n GTIDs are not supported yet: give the binary log file:pos".into(),
        ));
    }
    if let [one] = all.as_slice() {
        return gtid_position(conn, &one.to_string()).await;
    }
    let mut latest: Option<Position> = None;
    let mut missing = vec![];
    for g in &all {
        match gtid_position(conn, &g.to_string()).await {
            Ok(p) if latest.as_ref().is_none_or(|l| !l.reached(&p)) => latest = Some(p),
            Ok(_) => {}
            Err(e) => missing.push(format!("{g}: {e}")),
        }
    }
    let Some(p) = latest else {
        return Err(bad(format!(
            "none of its GTIDs is in the server's binary logs ({})",
            missing.join("; ")
        )));
    };
    let there = gtid_state_at(conn, &p).await?.unwrap_or_default();
    if there != normal_state(state) {
        return Err(bad(format!(
            "its domains' transactions come in another order in this server's binary log: at {p}, where the last of them ends, the server's state is {there:?}{}; no position holds the state exactly (reload the task, or give a file:pos)",
            if missing.is_empty() {
                String::new()
            } else {
                format!(" ({})", missing.join("; "))
            }
        )));
    }
    Ok(p)
}

/// MariaDB's GTID state at `file:pos` (`BINLOG_GTID_POS`; empty before any GTID).
pub(super) async fn gtid_state(conn: &Connection, file: &str, pos: u64) -> Result<String> {
    let sql = format!(
        "SELECT BINLOG_GTID_POS({}, {pos})",
        crate::engines::values::text_literal(conn.endpoint.engine, file)
    );
    Ok(conn
        .query_scalar("reading the GTID state of the binary log", &sql)
        .await?
        .unwrap_or_default())
}

/// A GTID state (`0-1-40,1-2-7`) with its domains in order, as the capture and the checkpoint
/// keep it (the server lists them in its own order).
pub fn normal_state(state: &str) -> String {
    GtidState::parse(state).text
}

/// The GTID state the capture follows through the log: the last GTID of each domain.
#[derive(Default)]
pub(super) struct GtidState {
    domains: std::collections::BTreeMap<u32, Gtid>,
    pub(super) text: String,
}

impl GtidState {
    pub(super) fn parse(state: &str) -> GtidState {
        let mut s = GtidState::default();
        for g in state.split(',').filter_map(Gtid::parse) {
            s.domains.insert(g.domain, g);
        }
        s.text = s.render();
        s
    }

    pub(super) fn render(&self) -> String {
        let all: Vec<String> = self.domains.values().map(Gtid::to_string).collect();
        all.join(",")
    }

    /// A MariaDB GTID event (type 162): its body starts with the sequence number (8 bytes)
    /// and the domain (4 bytes), little-endian; the server is the event's.
    pub(super) fn read_event(&mut self, server: u32, body: &[u8]) {
        let (Some(seq), Some(domain)) = (body.get(0..8), body.get(8..12)) else {
            return;
        };
        let seq = u64::from_le_bytes(seq.try_into().unwrap_or_default());
        let domain = u32::from_le_bytes(domain.try_into().unwrap_or_default());
        self.domains.insert(
            domain,
            Gtid {
                domain,
                server,
                seq,
            },
        );
        self.text = self.render();
    }
}

/// The GTID state (MariaDB) at `p`, in domain order: None when the server has no such
/// position (its file is not there); Err when the server could not be asked.
pub async fn gtid_state_at(conn: &Connection, p: &Position) -> Result<Option<String>> {
    let Position::Binlog { file, pos } = p else {
        return Ok(None);
    };
    let s = gtid_state(conn, file, *pos).await?;
    Ok((!s.is_empty()).then(|| normal_state(&s)))
}

/// The GTID state (MariaDB) at `p`, for the user's reference; None on servers without it, and
/// for a position of another log (a PostgreSQL LSN: nothing is asked).
pub async fn gtid_at(conn: &Connection, p: &Position) -> Option<String> {
    gtid_state_at(conn, p).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_gtids_and_gtid_states_parse() {
        let g = Gtid::parse("0-1-42").expect("a GTID");
        assert_eq!((g.domain, g.server, g.seq), (0, 1, 42));
        assert_eq!(g.to_string(), "0-1-42");
        for bad in ["0-1", "0-1-x", "0-1-2-3", "3E11FA47-71CA-11E1-9E33:5", ""] {
            assert_eq!(Gtid::parse(bad), None, "{bad}");
        }
        assert_eq!(seq_in("0-1-40,1-2-7", 1), Some(7));
        assert_eq!(seq_in("0-1-40,1-2-7", 0), Some(40));
        assert_eq!(seq_in("0-1-40", 2), None);
        assert_eq!(seq_in("", 0), None);
    }
}
