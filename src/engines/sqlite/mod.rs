//! SQLite: the catalog ([`discover`]). It has no change log to replicate from.

mod checks;
pub mod discover;
pub mod read;
mod setaside;
mod switch;
mod write;

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

    fn ident_quote(&self) -> crate::sqltext::IdentQuote {
        crate::sqltext::IdentQuote::Double
    }

    fn as_text(&self, x: &str) -> String {
        format!("CAST({x} AS TEXT)")
    }

    fn typed_columns(&self) -> bool {
        false
    }

    fn schema_here(&self, _planned: &str, _current: &str) -> String {
        // One database per file, always `main` (other schemas' tables carry a prefix).
        "main".to_string()
    }

    fn source_table_sql(&self, _schema: &str, table: &str) -> String {
        // One database per file: no schema to qualify with.
        self.table_sql("", table)
    }

    fn change_log(&self) -> Option<&'static dyn ChangeLog> {
        None
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
        crate::sqltext::quoted_ident(name, self.ident_quote())
    }
}
