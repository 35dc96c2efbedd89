//! PostgreSQL: the catalog ([`discover`]), logical decoding through a slot ([`pgoutput`]) and
//! COPY's binary format ([`copy_binary`]).

mod checks;
mod checksum;
pub mod copy_binary;
pub mod copy_text;
pub mod copy_tuples;
pub mod discover;
mod evaluate;
mod pages;
pub mod pgoutput;
mod setaside;
mod switch;
mod tx_copy;
mod write;

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

    fn ident_quote(&self) -> crate::sqltext::IdentQuote {
        crate::sqltext::IdentQuote::Double
    }

    fn as_text(&self, x: &str) -> String {
        format!("({x})::text")
    }

    async fn pages(&self, conn: &Connection, schema: &str, table: &str) -> Option<u64> {
        pages::pages(conn, schema, table).await
    }

    async fn share_snapshot(&self, conn: &Connection) -> Option<super::SharedSnapshot> {
        pages::share_snapshot(conn).await
    }

    fn keys_after_load(&self) -> bool {
        true
    }

    fn commits_with_rows(&self) -> bool {
        true
    }

    fn adds_unchecked_constraints(&self) -> bool {
        true
    }

    fn text_holds_nul(&self) -> bool {
        false
    }

    fn tables_by_schema(&self) -> bool {
        true
    }

    fn change_log(&self) -> Option<&'static dyn ChangeLog> {
        Some(&Postgres)
    }

    fn checksum(&self) -> Option<&'static dyn super::checksum::Checksum> {
        Some(&Postgres)
    }

    fn evaluate(&self) -> Option<&'static dyn super::evaluate::Evaluate> {
        Some(&Postgres)
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

    fn sends_generated(&self) -> bool {
        false
    }

    async fn forget(&self, conn: &Connection, task: &str) -> Result<Option<String>> {
        let existed = pgoutput::still_there(conn, task).await?.is_none();
        // (A publication left without its slot goes too.)
        pgoutput::drop_slot(conn, task).await?;
        Ok(existed.then(|| {
            format!(
                "replication slot and publication {}",
                pgoutput::slot_name(task)
            )
        }))
    }

    async fn release(&self, conn: &Connection, task: &str, at: &Position) {
        pgoutput::release(conn, task, at).await
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
