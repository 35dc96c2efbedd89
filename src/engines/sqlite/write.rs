//! SQLite's side of a full load: multi-row INSERTs, one script and one transaction per batch,
//! with foreign-key checks off (tables load in any order); the same for applying changes.

use async_trait::async_trait;

use super::Sqlite;
use crate::endpoints::session::Session;
use crate::endpoints::{Connection, Engine};
use crate::engines::rows::Rows;
use crate::engines::write::{
    RowFormat, TableWriter, Write, WriteTarget, give_back, insert_head, insert_statements,
    session_with,
};
use crate::error::DbFailure;

/// What a writing session sets first.
const SESSION: &str = "PRAGMA foreign_keys = OFF";

#[async_trait]
impl Write for Sqlite {
    async fn table_writer(
        &self,
        conn: &Connection,
        table: WriteTarget,
        _per_batch: bool,
    ) -> Result<Box<dyn TableWriter>, DbFailure> {
        Ok(Box::new(Script {
            session: session_with(conn, SESSION).await?,
            head: insert_head(&table),
            table,
        }))
    }

    async fn apply_session(
        &self,
        conn: &Connection,
    ) -> Result<(Session, Option<String>), DbFailure> {
        let mut s = session_with(conn, SESSION).await?;
        s.close_on_drop();
        Ok((s, None))
    }
}

/// A batch as one script of INSERTs in a transaction.
struct Script {
    session: Session,
    table: WriteTarget,
    head: String,
}

#[async_trait]
impl TableWriter for Script {
    fn stream(&self) -> Option<&dyn RowFormat> {
        None
    }

    async fn write(&mut self, rows: &Rows) -> Result<u64, DbFailure> {
        let mut sql = String::from("BEGIN;\n");
        for s in insert_statements(Engine::Sqlite, &self.head, rows, &self.table.kinds) {
            sql.push_str(&s);
            sql.push_str(";\n");
        }
        sql.push_str("COMMIT");
        let bytes = sql.len() as u64;
        if let Err(e) = self.session.run(sql).await {
            crate::error::logged(
                "rolling back the refused batch",
                self.session.execute("ROLLBACK").await,
            );
            return Err(e.into());
        }
        Ok(bytes)
    }

    async fn close(self: Box<Self>) {
        give_back(self.session, "PRAGMA foreign_keys = ON").await;
    }
}
