//! SQLite's side of a full load: multi-row INSERTs, one script and one transaction per batch,
//! with foreign-key checks off (tables load in any order); the same for applying changes.

use async_trait::async_trait;

use super::Sqlite;
use crate::endpoints::session::Session;
use crate::endpoints::{Connection, Engine};
use crate::engines::write::{
    BatchRun, InsertSession, Inserts, TableWriter, Write, WriteTarget, apply_session_with,
};
use crate::error::DbFailure;

static SESSION: InsertSession = InsertSession {
    setup: "PRAGMA foreign_keys = OFF",
    restore: "PRAGMA foreign_keys = ON",
    run: BatchRun::Script,
    engine: Engine::Sqlite,
};

#[async_trait]
impl Write for Sqlite {
    async fn table_writer(
        &self,
        conn: &Connection,
        table: WriteTarget,
        _per_batch: bool,
    ) -> Result<Box<dyn TableWriter>, DbFailure> {
        Inserts::open(conn, table, &SESSION).await
    }

    async fn apply_session(
        &self,
        conn: &Connection,
    ) -> Result<(Session, Option<String>), DbFailure> {
        apply_session_with(conn, SESSION.setup).await
    }

    fn rows_in(&self) -> &'static str {
        // SQLite compares a row value with a subquery's rows, not with a list of rows.
        "VALUES "
    }

    fn defer_keys(&self) -> Option<&'static str> {
        Some("PRAGMA defer_foreign_keys = ON")
    }

    fn truncate_sql(&self, table: &str) -> String {
        // SQLite has no TRUNCATE.
        format!("DELETE FROM {table}")
    }

    fn one_row(&self, table: &str, filter: &str) -> String {
        format!("rowid = (SELECT rowid FROM {table} WHERE {filter} LIMIT 1)")
    }
}
