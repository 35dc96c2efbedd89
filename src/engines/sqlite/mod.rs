//! SQLite: the catalog ([`discover`]). It has no change log to replicate from.

pub mod discover;

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
}
