//! SQLite: the catalog ([`discover`]). It has no change log to replicate from.

pub mod discover;
mod setaside;

use async_trait::async_trait;

use super::discover::DiscoverOptions;
use super::{Backend, ChangeLog};
use crate::endpoints::Connection;
use crate::error::Result;

/// SQLite.
pub struct Sqlite;

#[async_trait]
impl Backend for Sqlite {
    async fn catalog(
        &self,
        conn: &Connection,
        options: &DiscoverOptions,
    ) -> Result<crate::model::Catalog> {
        discover::discover(conn, options).await
    }

    fn change_log(&self) -> Option<&'static dyn ChangeLog> {
        None
    }

    /// The file's folder is writable (the file is made there).
    async fn may_create(&self, conn: &Connection) -> (bool, String) {
        let path = std::path::Path::new(&conn.endpoint.database);
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let ok = tokio::fs::metadata(dir)
            .await
            .is_ok_and(|m| !m.permissions().readonly());
        (
            ok,
            format!("the folder {} is writable: {ok}", dir.display()),
        )
    }

    async fn encrypted(&self, _conn: &Connection) -> Option<bool> {
        None
    }

    async fn triggers(&self, conn: &Connection) -> Option<Vec<crate::engines::checks::TriggerOn>> {
        crate::engines::checks::triggers(
            conn,
            "SELECT 'main', tbl_name, name FROM sqlite_master WHERE type = 'trigger'",
        )
        .await
    }

    async fn silences_triggers(&self, _conn: &Connection) -> std::result::Result<(), &'static str> {
        Err(
            "drop the triggers on the target until cut-over (this engine cannot turn them off for one session), then create them again",
        )
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

    fn table_name(&self, schema: &str, table: &str) -> String {
        if schema.is_empty() || schema == "main" {
            table.to_string()
        } else {
            format!("{schema}_{table}")
        }
    }

    /// One file, one namespace: the name alone.
    fn table_sql(&self, _schema: &str, name: &str) -> String {
        crate::engines::values::quote(crate::endpoints::Engine::Sqlite, name)
    }

    /// DELETE with the session's key checks off (the keys referencing it are checked after).
    async fn empty(
        &self,
        conn: &Connection,
        t: &crate::engines::setaside::TargetTable,
        filter: &str,
    ) -> std::result::Result<(), crate::error::DbFailure> {
        conn.execute(&format!(
            "PRAGMA foreign_keys = OFF; DELETE FROM {}{filter}; PRAGMA foreign_keys = ON",
            t.sql
        ))
        .await?;
        Ok(())
    }
}
