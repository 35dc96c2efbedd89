//! SQLite's side of a cut-over: a lock file beside the database per task, no read-only switch
//! another process would obey, and the counters of AUTOINCREMENT tables (`sqlite_sequence`; a
//! plain rowid key takes the highest value plus one by itself).

use async_trait::async_trait;

use super::Sqlite;
use crate::endpoints::Connection;
use crate::engines::switch::{Counter, ReadOnly, Switch, TaskLock, file_safe};
use crate::engines::values::text_literal;
use crate::error::{Error, Result};

#[async_trait]
impl Switch for Sqlite {
    async fn task_lock(&self, conn: &Connection, task: &str) -> Result<Option<TaskLock>> {
        let db = &conn.endpoint.database;
        if db.is_empty() || db.contains(":memory:") {
            // Nothing another process could open.
            return Ok(Some(TaskLock::none()));
        }
        let path = format!("{db}.tugboat-{}.lock", file_safe(task));
        let failed = |e: std::io::Error| Error::InvalidEndpoint {
            endpoint: conn.endpoint.label(),
            reason: format!("cannot open the task's lock file {path}: {e}"),
        };
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(failed)?;
        match f.try_lock() {
            Ok(()) => Ok(Some(TaskLock::file(f))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(failed(e)),
        }
    }

    async fn make_read_only(&self, conn: &Connection) -> Result<ReadOnly> {
        Err(Error::InvalidEndpoint {
            endpoint: conn.endpoint.label(),
            reason: "SQLite has no switch that makes other processes read-only: stop the application's writes yourself".into(),
        })
    }

    async fn undo_read_only(&self, _conn: &Connection) -> Result<()> {
        Ok(())
    }

    async fn is_read_only(&self, _conn: &Connection) -> Result<bool> {
        Ok(false)
    }

    async fn counters(&self, conn: &Connection, _schemas: &[String]) -> Result<Vec<Counter>> {
        let has = conn
            .query(
                "looking for sqlite_sequence",
                "SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_sequence'",
            )
            .await?;
        if has.first().and_then(|r| r.i64("n")).unwrap_or(0) == 0 {
            return Ok(vec![]);
        }
        let rows = conn
            .query(
                "reading sqlite_sequence",
                "SELECT name, seq FROM sqlite_sequence ORDER BY name",
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Counter {
                schema: String::new(),
                table: r.s("name"),
                column: "rowid".into(),
                sequence: String::new(),
                sequence_schema: String::new(),
                next: r.i64("seq").unwrap_or(0) + 1,
            })
            .collect())
    }

    async fn set_counter(&self, conn: &Connection, c: &Counter, next: i64) -> Result<()> {
        let sql = format!(
            "UPDATE sqlite_sequence SET seq = {} WHERE name = {}",
            next - 1,
            text_literal(conn.endpoint.engine, &c.table)
        );
        conn.query(&format!("setting {}", c.label()), &sql).await?;
        Ok(())
    }
}
