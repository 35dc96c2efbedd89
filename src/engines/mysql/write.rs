//! MySQL's and MariaDB's side of a full load: multi-row INSERTs of at most a few megabytes on
//! one session, run one by one in one transaction per batch, with foreign-key checks off
//! (tables load in any order) and values of TIMESTAMP columns in UTC; the same session
//! settings for applying replicated changes.

use async_trait::async_trait;

use super::MySql;
use crate::endpoints::session::Session;
use crate::endpoints::{Connection, Engine};
use crate::engines::write::{
    BatchRun, InsertSession, Inserts, TableWriter, Write, WriteTarget, apply_session_with,
};
use crate::error::DbFailure;

/// What a writing session sets first: values of TIMESTAMP columns travel in UTC, and foreign
/// keys are not checked (tables load, and changes apply, in any order).
static SESSION: InsertSession = InsertSession {
    setup: "SET time_zone = '+00:00', FOREIGN_KEY_CHECKS = 0",
    restore: "SET FOREIGN_KEY_CHECKS = 1",
    run: BatchRun::Statements,
    engine: Engine::MySql,
};

#[async_trait]
impl Write for MySql {
    async fn table_writer(
        &self,
        conn: &Connection,
        table: WriteTarget,
        per_batch: bool,
    ) -> Result<Box<dyn TableWriter>, DbFailure> {
        // Rows refused one by one (the log policy) need batches; a load in one piece streams.
        if !per_batch && let Some(w) = super::load_data::LoadData::open(conn, &table).await {
            return Ok(Box::new(w));
        }
        Inserts::open(conn, table, &SESSION).await
    }

    async fn apply_session(
        &self,
        conn: &Connection,
    ) -> Result<(Session, Option<String>), DbFailure> {
        apply_session_with(conn, SESSION.setup).await
    }

    fn begin(&self) -> &'static str {
        "START TRANSACTION"
    }

    async fn fast_load(&self, conn: &Connection) -> Option<Result<String, String>> {
        Some(match super::load_data::refusal(conn).await {
            None => Ok("LOAD DATA LOCAL INFILE, streamed".into()),
            Some(why) => Err(why),
        })
    }

    fn upsert(&self, keys: &[&str], others: &[&str]) -> String {
        // A no-op update of the key when every column is in it.
        let set: Vec<String> = if others.is_empty() {
            vec![format!("{0} = {0}", keys[0])]
        } else {
            others
                .iter()
                .map(|c| format!("{c} = VALUES({c})"))
                .collect()
        };
        format!(" ON DUPLICATE KEY UPDATE {}", set.join(", "))
    }
}
