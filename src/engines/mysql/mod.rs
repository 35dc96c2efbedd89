//! MySQL and MariaDB: the catalog ([`discover`]), the binary log read as a replica
//! ([`binlog`]) and MariaDB's GTIDs in it ([`gtid`]).

pub mod binlog;
mod checks;
mod checksum;
pub mod discover;
mod evaluate;
pub mod gtid;
mod load_data;
mod setaside;
mod switch;
mod write;

use std::collections::HashMap;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::change::{Feed, Position, TableMeta};
use super::discover::DiscoverOptions;
use super::{Backend, ChangeLog, NotPlaced, Relocated, Started};
use crate::endpoints::Connection;
use crate::error::Result;
pub use gtid::Gtid;

/// MySQL and MariaDB.
pub struct MySql;

#[async_trait]
impl Backend for MySql {
    fn writes_ranges_side_by_side(&self) -> bool {
        false
    }

    async fn catalog(
        &self,
        conn: &Connection,
        options: &DiscoverOptions,
    ) -> Result<crate::model::Catalog> {
        discover::discover(conn, options).await
    }

    fn ident_quote(&self) -> crate::sqltext::IdentQuote {
        crate::sqltext::IdentQuote::Backtick
    }

    fn change_log(&self) -> Option<&'static dyn ChangeLog> {
        Some(&MySql)
    }

    fn ddl_commits(&self) -> bool {
        true
    }

    async fn current_schema(&self, conn: &Connection) -> Option<String> {
        super::checks::value(conn, "SELECT DATABASE()").await
    }

    fn checksum(&self) -> Option<&'static dyn super::checksum::Checksum> {
        Some(&MySql)
    }

    fn evaluate(&self) -> Option<&'static dyn super::evaluate::Evaluate> {
        Some(&MySql)
    }
}

/// A replica id for this task's binary log reader, stable per task and away from the small ids
/// servers are given.
fn server_id(task: &str) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for b in task.bytes() {
        h = (h ^ b as u32).wrapping_mul(16_777_619);
    }
    1_000_000 + h % 1_000_000_000
}

#[async_trait]
impl ChangeLog for MySql {
    fn position_form(&self) -> &'static str {
        "a binary log file:pos"
    }

    fn reads_back(&self) -> bool {
        true
    }

    async fn checks(&self, conn: &Connection) -> Vec<crate::engines::checks::Check> {
        let mut out = vec![];
        checks::mysql(conn, &mut out).await;
        out
    }

    async fn current_position(&self, conn: &Connection) -> Result<Position> {
        binlog::current_position(conn).await
    }

    async fn start(&self, conn: &Connection, _task: &str, _tables: &[String]) -> Result<Started> {
        Ok(Started {
            position: binlog::current_position(conn).await?,
            created: None,
        })
    }

    async fn lost(&self, conn: &Connection, _task: &str, at: &Position) -> Result<Option<String>> {
        binlog::still_there(conn, at).await
    }

    async fn gtid_at(&self, conn: &Connection, p: &Position) -> Option<String> {
        gtid::gtid_at(conn, p).await
    }

    async fn gtid_position(&self, conn: &Connection, state: &str) -> Result<Position> {
        gtid::gtid_state_position(conn, state).await
    }

    /// A checkpoint whose GTID state this server's log does not have at that position: the
    /// task points at another server now (a failover to a replica). Its log holds the same
    /// transactions elsewhere: the GTID finds where.
    async fn relocate(
        &self,
        conn: &Connection,
        at: &Position,
        gtid: Option<&str>,
        replaying: bool,
        say: &(dyn Fn(String) + Send + Sync),
    ) -> std::result::Result<Option<Relocated>, NotPlaced> {
        let Some(g) = gtid else { return Ok(None) };
        // (A server that cannot be asked now is asked again: not a sign of another server.)
        let here = gtid::gtid_state_at(conn, at)
            .await
            .map_err(NotPlaced::Unanswered)?;
        if here.as_deref() == Some(gtid::normal_state(g).as_str()) {
            return Ok(None);
        }
        match gtid::gtid_state_position(conn, g).await {
            Ok(p) => {
                say(format!(
                    "the checkpoint {at} is not this server's (its binary log differs there: a failover?); GTID {g} ends at {p} in this server's log: replicating from there"
                ));
                // The replay of the changes made during the full load ends where the old
                // server's log ended then, a place this log does not name: it goes on
                // (idempotently) up to this log's end now, which is past it.
                let replay_until = if replaying {
                    let end = binlog::current_position(conn)
                        .await
                        .map_err(NotPlaced::Unanswered)?;
                    say(format!(
                        "the changes up to {end} apply idempotently (this server's log end: past the full load's)"
                    ));
                    Some(end)
                } else {
                    None
                };
                Ok(Some(Relocated {
                    position: p,
                    replay_until,
                }))
            }
            Err(e) => {
                // Its file purged from this server's log: say so first.
                let purged = binlog::still_there(conn, at).await.ok().flatten();
                Err(NotPlaced::Lost(match purged {
                    Some(why) => {
                        format!("{why} (GTID {g} cannot be placed in the log either: {e})")
                    }
                    None => format!(
                        "the checkpoint {at} (after GTID {g}) is not in this server's binary log, and the GTID cannot be placed in it ({e}); reload the task"
                    ),
                }))
            }
        }
    }

    async fn capture(
        &self,
        conn: Connection,
        task: String,
        from: Position,
        tables: HashMap<String, TableMeta>,
        tx: Feed,
        confirmed: mpsc::UnboundedReceiver<Position>,
        _ahead: bool,
    ) {
        // The binary log keeps no place for the reader: nothing to confirm back.
        drop(confirmed);
        binlog::capture(&conn, server_id(&task), from, tables, tx).await
    }
}
