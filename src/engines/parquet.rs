//! The data lake (Parquet files) in the engines registry. It is not a database: no connection is
//! ever opened to it (`Connection::open` refuses it), so none of these is reached through one;
//! each database operation asked of it anyway is refused with why, never done halfway. The lake
//! itself is `crate::lake`.

use async_trait::async_trait;

use super::checks::TriggerOn;
use super::discover::DiscoverOptions;
use super::setaside::{SetAside, TargetTable};
use super::switch::{Counter, ReadOnly, Switch, TaskLock};
use super::write::{TableWriter, Write, WriteTarget};
use super::{Backend, ChangeLog, Probes, Reload};
use crate::endpoints::Connection;
use crate::endpoints::session::Session;
use crate::error::{DbFailure, Error, Result};

/// The Parquet target in the registry.
pub struct Parquet;

const WHY: &str = "a Parquet target is a folder of files, not a database";

fn refused<T>(what: &str) -> Result<T> {
    Err(Error::Invalid {
        what: what.to_string(),
        reason: WHY.into(),
    })
}

fn failure<T>(what: &str) -> std::result::Result<T, DbFailure> {
    Err(DbFailure::from(format!("{what}: {WHY}")))
}

#[async_trait]
impl Backend for Parquet {
    async fn catalog(&self, _: &Connection, _: &DiscoverOptions) -> Result<crate::model::Catalog> {
        refused("reading a catalog")
    }

    fn change_log(&self) -> Option<&'static dyn ChangeLog> {
        None
    }

    fn ident_quote(&self) -> crate::sqltext::IdentQuote {
        crate::sqltext::IdentQuote::Double
    }
}

#[async_trait]
impl Probes for Parquet {
    async fn may_create(&self, _: &Connection) -> (bool, String) {
        (false, WHY.into())
    }

    async fn encrypted(&self, _: &Connection) -> Option<bool> {
        None
    }

    async fn triggers(&self, _: &Connection) -> Option<Vec<TriggerOn>> {
        None
    }

    async fn silences_triggers(&self, _: &Connection) -> std::result::Result<(), &'static str> {
        Err(WHY)
    }
}

#[async_trait]
impl Reload for Parquet {
    async fn keys_referencing(&self, _: &Connection, _: &TargetTable) -> Result<Vec<SetAside>> {
        refused("reading foreign keys")
    }

    async fn triggers_of(&self, _: &Connection, _: &TargetTable) -> Result<Vec<SetAside>> {
        refused("reading triggers")
    }

    async fn empty(
        &self,
        _: &Connection,
        _: &TargetTable,
        _: &str,
    ) -> std::result::Result<(), DbFailure> {
        failure("emptying a table")
    }
}

#[async_trait]
impl Write for Parquet {
    async fn table_writer(
        &self,
        _: &Connection,
        _: WriteTarget,
        _: bool,
    ) -> std::result::Result<Box<dyn TableWriter>, DbFailure> {
        failure("writing rows with SQL")
    }

    async fn apply_session(
        &self,
        _: &Connection,
    ) -> std::result::Result<(Session, Option<String>), DbFailure> {
        failure("applying changes with SQL")
    }
}

#[async_trait]
impl Switch for Parquet {
    async fn task_lock(&self, _: &Connection, _: &str) -> Result<Option<TaskLock>> {
        refused("locking a task")
    }

    async fn make_read_only(&self, _: &Connection) -> Result<ReadOnly> {
        refused("making it read-only")
    }

    async fn undo_read_only(&self, _: &Connection) -> Result<()> {
        refused("making it writable")
    }

    async fn is_read_only(&self, _: &Connection) -> Result<bool> {
        refused("asking whether it is read-only")
    }

    async fn counters(&self, _: &Connection, _: &[String]) -> Result<Vec<Counter>> {
        refused("reading counters")
    }

    async fn set_counter(&self, _: &Connection, _: &Counter, _: i64) -> Result<()> {
        refused("moving a counter")
    }
}
