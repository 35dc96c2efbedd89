//! PostgreSQL: the catalog ([`discover`]), logical decoding through a slot ([`pgoutput`]) and
//! COPY's binary format ([`copy_binary`]).

mod checks;
pub mod copy_binary;
pub mod discover;
pub mod pgoutput;
mod setaside;

use std::collections::HashMap;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::change::{Feed, Position, TableMeta};
use super::discover::DiscoverOptions;
use super::{Backend, ChangeLog, Started};
use crate::endpoints::Connection;
use crate::error::Result;

/// PostgreSQL.
pub struct Postgres;

#[async_trait]
impl Backend for Postgres {
    async fn catalog(
        &self,
        conn: &Connection,
        options: &DiscoverOptions,
    ) -> Result<crate::model::Catalog> {
        discover::discover(conn, options).await
    }

    fn change_log(&self) -> Option<&'static dyn ChangeLog> {
        Some(&Postgres)
    }

    async fn may_create(&self, conn: &Connection) -> (bool, String) {
        checks::may_create(conn).await
    }

    async fn encrypted(&self, conn: &Connection) -> Option<bool> {
        Some(checks::encrypted(conn).await)
    }

    async fn triggers(&self, conn: &Connection) -> Option<Vec<crate::engines::checks::TriggerOn>> {
        checks::triggers(
            conn,
            "SELECT n.nspname, c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'",
        )
        .await
    }

    async fn silences_triggers(&self, conn: &Connection) -> std::result::Result<(), &'static str> {
        let superuser = crate::engines::checks::value(
            conn,
            "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user",
        )
        .await;
        if superuser.as_deref() == Some("true") {
            Ok(())
        } else {
            Err(
                "connect to the target as a superuser (the applier then turns triggers off for its session), or ALTER TABLE ... DISABLE TRIGGER until cut-over",
            )
        }
    }

    async fn keys_referencing(
        &self,
        conn: &Connection,
        t: &crate::engines::setaside::TargetTable,
    ) -> Result<Vec<crate::engines::setaside::SetAside>> {
        setaside::keys_referencing(conn, t).await
    }

    async fn triggers_of(
        &self,
        conn: &Connection,
        t: &crate::engines::setaside::TargetTable,
    ) -> Result<Vec<crate::engines::setaside::SetAside>> {
        setaside::triggers_of(conn, t).await
    }

    fn table_sql(&self, schema: &str, name: &str) -> String {
        let e = crate::endpoints::Engine::Postgres;
        match schema {
            "" => crate::engines::values::quote(e, name),
            s => format!(
                "{}.{}",
                crate::engines::values::quote(e, s),
                crate::engines::values::quote(e, name)
            ),
        }
    }

    /// TRUNCATE the whole table; DELETE a range, or a table other tables reference (which
    /// fails if child rows still point at its rows).
    async fn empty(
        &self,
        conn: &Connection,
        t: &crate::engines::setaside::TargetTable,
        filter: &str,
    ) -> std::result::Result<(), crate::error::DbFailure> {
        if filter.is_empty() && conn.execute(&format!("TRUNCATE {}", t.sql)).await.is_ok() {
            return Ok(());
        }
        conn.execute(&format!("DELETE FROM {}{filter}", t.sql))
            .await?;
        Ok(())
    }
}

#[async_trait]
impl ChangeLog for Postgres {
    fn position_form(&self) -> &'static str {
        "an LSN (X/Y)"
    }

    fn reads_back(&self) -> bool {
        false
    }

    fn publishes_tables(&self) -> bool {
        true
    }

    async fn checks(&self, conn: &Connection) -> Vec<crate::engines::checks::Check> {
        let mut out = vec![];
        checks::postgres(conn, &mut out).await;
        out
    }

    async fn table_checks(
        &self,
        conn: &Connection,
        tables: &[crate::engines::checks::Replicated],
    ) -> Vec<crate::engines::checks::Check> {
        checks::replica_identity(conn, tables).await
    }

    async fn current_position(&self, conn: &Connection) -> Result<Position> {
        pgoutput::current_position(conn).await
    }

    /// The task's replication slot, created with its publication of the task's tables when
    /// missing.
    async fn start(&self, conn: &Connection, task: &str, tables: &[String]) -> Result<Started> {
        let (position, created) = pgoutput::ensure_slot(conn, task, tables).await?;
        Ok(Started {
            position,
            created: created.then(|| format!("replication slot {}", pgoutput::slot_name(task))),
        })
    }

    async fn lost(&self, conn: &Connection, task: &str, _at: &Position) -> Result<Option<String>> {
        pgoutput::still_there(conn, task).await
    }

    async fn capture(
        &self,
        conn: Connection,
        task: String,
        from: Position,
        tables: HashMap<String, TableMeta>,
        tx: Feed,
        confirmed: mpsc::UnboundedReceiver<Position>,
        ahead: bool,
    ) {
        pgoutput::capture(&conn, &task, from, tables, tx, confirmed, ahead).await
    }
}
