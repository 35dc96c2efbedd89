//! MySQL's and MariaDB's side of a full load: multi-row INSERTs of at most a few megabytes on
//! one session, in one transaction per batch, with foreign-key checks off (tables load in any
//! order) and values of TIMESTAMP columns in UTC; the same session settings for applying
//! replicated changes.

use async_trait::async_trait;

use super::MySql;
use crate::endpoints::session::Session;
use crate::endpoints::{Connection, Engine};
use crate::engines::rows::Rows;
use crate::engines::write::{
    RowFormat, TableWriter, Write, WriteTarget, give_back, insert_head, insert_statements,
    session_with,
};
use crate::error::DbFailure;

/// What a writing session sets first: values of TIMESTAMP columns travel in UTC, and foreign
/// keys are not checked (tables load, and changes apply, in any order).
const SESSION: &str = "SET time_zone = '+00:00', FOREIGN_KEY_CHECKS = 0";

#[async_trait]
impl Write for MySql {
    async fn table_writer(
        &self,
        conn: &Connection,
        table: WriteTarget,
        _per_batch: bool,
    ) -> Result<Box<dyn TableWriter>, DbFailure> {
        Ok(Box::new(Inserts {
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
        // Foreign-key checks off: never back to the pool (a foreign key created on it later
        // would not check the rows).
        s.close_on_drop();
        Ok((s, None))
    }
}

/// Multi-row INSERTs, a transaction around the statements of one batch.
struct Inserts {
    session: Session,
    table: WriteTarget,
    head: String,
}

#[async_trait]
impl TableWriter for Inserts {
    fn stream(&self) -> Option<&dyn RowFormat> {
        None
    }

    async fn write(&mut self, rows: &Rows) -> Result<u64, DbFailure> {
        let statements = insert_statements(Engine::MySql, &self.head, rows, &self.table.kinds);
        let several = statements.len() > 1;
        if several {
            self.session.execute("START TRANSACTION").await?;
        }
        let mut bytes = 0;
        for sql in statements {
            bytes += sql.len() as u64;
            if let Err(e) = self.session.run(sql).await {
                if several {
                    crate::error::logged(
                        "rolling back the refused batch",
                        self.session.execute("ROLLBACK").await,
                    );
                }
                return Err(e.into());
            }
        }
        if several {
            self.session.execute("COMMIT").await?;
        }
        Ok(bytes)
    }

    async fn close(self: Box<Self>) {
        // The pooled session goes back as it came, or not at all (closed: nothing else may
        // write through a session without its foreign-key checks).
        give_back(self.session, "SET FOREIGN_KEY_CHECKS = 1").await;
    }
}
