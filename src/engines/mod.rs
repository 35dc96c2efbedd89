//! The database engines Tugboat reads and writes, one folder each ([`postgres`], [`mysql`],
//! [`sqlite`]; [`parquet`] stands for the data lake, which is no database, and refuses),
//! behind small traits: a [`Backend`] reads its catalog and, where the engine has
//! one, gives its [`ChangeLog`] (where the log is, whether a position can still be read, the
//! capture of committed transactions from a position). [`of`] is the registry: the one place
//! that picks an implementation by [`Engine`]. What every engine shares sits beside them:
//! [`change`] (what a capture produces and the channel that carries it), [`checks`] (a
//! premigration check's outcome), [`discover`] (the front
//! of catalog reading), [`values`] and [`spatial`] (values in the full load's canonical text).
//!
//! Adding an engine: a folder with a unit struct implementing [`Backend`], [`Probes`] and
//! [`Reload`] (and [`ChangeLog`] if it can replicate), an arm in [`of`], its variant in
//! [`Engine`].

pub mod change;
pub mod checks;
pub mod checksum;
pub mod discover;
pub mod evaluate;
pub mod mysql;
pub mod parquet;
pub mod postgres;
pub mod rows;
pub mod setaside;
pub mod spatial;
pub mod sqlite;
pub mod switch;
pub mod values;
pub mod write;

use std::collections::HashMap;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::endpoints::{Connection, Engine};
use crate::error::Result;
use change::{Feed, Position, TableMeta};
use discover::DiscoverOptions;

/// One engine as Tugboat uses it: its catalog and change log here, what the premigration
/// checks ask of it ([`Probes`], in its `checks.rs`) and what a reload does to a table
/// ([`Reload`], in its `setaside.rs`).
#[async_trait]
pub trait Backend: Probes + Reload + write::Write + switch::Switch + Send + Sync {
    /// Reads the connected database's catalog (schemas, tables, views, routines, ...) into the
    /// neutral model, unsorted and without exact counts (see [`discover::discover`]).
    async fn catalog(
        &self,
        conn: &Connection,
        options: &DiscoverOptions,
    ) -> Result<crate::model::Catalog>;

    /// Its change log, when replication from it is possible.
    fn change_log(&self) -> Option<&'static dyn ChangeLog>;

    /// How it evaluates a task's filters and computed columns over replicated rows (an
    /// engine changes can be captured from).
    fn evaluate(&self) -> Option<&'static dyn evaluate::Evaluate> {
        None
    }

    /// How it checksums rows by key range inside the database, where it can.
    fn checksum(&self) -> Option<&'static dyn checksum::Checksum> {
        None
    }

    /// Whether it builds a primary key faster over a loaded table than row by row while it
    /// loads (PostgreSQL: a third of TPC-H lineitem's load), so keys come after the load.
    fn keys_after_load(&self) -> bool {
        false
    }

    /// Whether its writer of one stream commits a statement with the rows it loaded, in one
    /// transaction ([`write::TableWriter::finish_with`]).
    fn commits_with_rows(&self) -> bool {
        false
    }

    /// Whether the key ranges of one table are best written side by side (PostgreSQL's COPY),
    /// or one after another (InnoDB's clustered index takes one stream faster: TPC-H
    /// lineitem from PostgreSQL into MariaDB 27.5 s in six ranges at once, 26.3 s as one).
    fn writes_ranges_side_by_side(&self) -> bool {
        true
    }

    /// Whether its text values can hold NUL characters (PostgreSQL's cannot).
    fn text_holds_nul(&self) -> bool {
        true
    }

    /// Whether its columns hold only values of their declared types (a SQLite column can hold
    /// any value).
    fn typed_columns(&self) -> bool {
        true
    }

    /// Whether a target table of the task is looked for in its own schema only (PostgreSQL);
    /// elsewhere the connected database holds the task's tables whatever schema they had.
    fn tables_by_schema(&self) -> bool {
        false
    }

    /// Whether a foreign key or check can be added without checking the rows already there,
    /// and checked later (PostgreSQL's `NOT VALID`, then `VALIDATE CONSTRAINT`).
    fn adds_unchecked_constraints(&self) -> bool {
        false
    }

    /// The schema unqualified names are in on this connection, where the engine has one to
    /// ask (MySQL's current database).
    async fn current_schema(&self, _conn: &Connection) -> Option<String> {
        None
    }

    /// The schema a target table planned in `planned` is in here, as its catalog names it
    /// (`current`: [`Self::current_schema`], for tables planned without one).
    fn schema_here(&self, planned: &str, current: &str) -> String {
        if planned.is_empty() {
            current.to_string()
        } else {
            planned.to_string()
        }
    }

    /// Whether a DDL statement commits the transaction it runs in (MySQL, MariaDB).
    fn ddl_commits(&self) -> bool {
        false
    }

    /// The quote its identifiers take.
    fn ident_quote(&self) -> crate::sqltext::IdentQuote;

    /// The name table `table` of schema `schema` has here (SQLite, which has no schemas, gives
    /// other schemas' tables the schema as a prefix, as the converter names them).
    fn table_name(&self, _schema: &str, table: &str) -> String {
        table.to_string()
    }

    /// Expression `x` as text, as a query returns it to be read as text.
    /// The pages of source table `schema.table` when a full load can read it in page ranges,
    /// each without reading the rest (PostgreSQL 14 and later); None: not split so.
    async fn pages(&self, _conn: &Connection, _schema: &str, _table: &str) -> Option<u64> {
        None
    }

    /// A snapshot of the source that other sessions can read in, held until dropped; None:
    /// the engine shares none.
    async fn share_snapshot(&self, _conn: &Connection) -> Option<SharedSnapshot> {
        None
    }

    fn as_text(&self, x: &str) -> String {
        format!("CAST({x} AS CHAR)")
    }

    /// A source table `schema.table`, quoted and qualified for reading it.
    fn source_table_sql(&self, schema: &str, table: &str) -> String {
        self.table_sql(schema, table)
    }

    /// A table (its name here: [`Self::table_name`]) quoted and qualified for statements.
    fn table_sql(&self, schema: &str, name: &str) -> String {
        let q = |s| crate::sqltext::quoted_ident(s, self.ident_quote());
        match schema {
            "" => q(name),
            s => format!("{}.{}", q(s), q(name)),
        }
    }
}

/// What the premigration checks ask of an engine.
#[async_trait]
pub trait Probes {
    /// Whether the connected user may create schemas and tables here, and what that was
    /// judged from.
    async fn may_create(&self, conn: &Connection) -> (bool, String);

    /// Whether the connection is encrypted (TLS); None where there is no connection to
    /// encrypt (a file).
    async fn encrypted(&self, conn: &Connection) -> Option<bool>;

    /// Every enabled trigger of the connected database, or None when they cannot be read.
    async fn triggers(&self, conn: &Connection) -> Option<Vec<checks::TriggerOn>>;

    /// Whether replication's sessions here can turn the target's triggers off for themselves
    /// (PostgreSQL's `session_replication_role`, which takes a superuser), and if not, how to
    /// keep triggers from acting on replicated changes.
    async fn silences_triggers(&self, conn: &Connection) -> Result<(), &'static str>;
}

/// What a reload does to a target table: what it sets aside first and how it empties it.
#[async_trait]
pub trait Reload {
    /// The foreign keys of other tables that reference `t`, with how a reload of `t` sets
    /// each aside and puts it back (or checks it).
    async fn keys_referencing(
        &self,
        conn: &Connection,
        t: &setaside::TargetTable,
    ) -> Result<Vec<setaside::SetAside>>;

    /// `t`'s own triggers, with how a reload sets each aside (it would act on the loaded rows
    /// a second time) and puts it back as it was.
    async fn triggers_of(
        &self,
        conn: &Connection,
        t: &setaside::TargetTable,
    ) -> Result<Vec<setaside::SetAside>>;

    /// Empties `t` for a reload, or only its rows matching `filter` (` WHERE ...`, a key
    /// range), never cascading to other tables.
    async fn empty(
        &self,
        conn: &Connection,
        t: &setaside::TargetTable,
        filter: &str,
    ) -> std::result::Result<(), crate::error::DbFailure>;
}

/// Where a capture for a task starts, made ready on the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    pub position: Position,
    /// What was created on the source for it (a replication slot), to say so once.
    pub created: Option<String>,
}

/// A checkpoint placed again on the server the source endpoint points at now (a failover to a
/// replica holding the same transactions at other positions).
#[derive(Debug, Clone, PartialEq)]
pub struct Relocated {
    pub position: Position,
    /// The end of the changes to apply idempotently, when the checkpoint was in that phase.
    pub replay_until: Option<Position>,
}

/// Why a checkpoint could not be placed: the server did not answer (ask again later), or the
/// log cannot give those transactions (the task must be reloaded: the text says why).
#[derive(Debug)]
pub enum NotPlaced {
    Unanswered(crate::error::Error),
    Lost(String),
}

/// A source's change log: the binary log of MySQL/MariaDB, PostgreSQL's WAL through a slot.
#[async_trait]
pub trait ChangeLog: Send + Sync {
    /// How a position of this log is written, for messages ("an LSN (X/Y)").
    fn position_form(&self) -> &'static str;

    /// Whether a position before the current one can be read (a binary log can; a slot only
    /// from where it was created).
    fn reads_back(&self) -> bool;

    /// Whether [`Self::start`] needs the task's tables (a publication names them).
    fn publishes_tables(&self) -> bool {
        false
    }

    /// The premigration checks of `conn` as a source of this log: its settings (binary log
    /// format, wal_level...), free slots, the privileges replication needs.
    async fn checks(&self, conn: &Connection) -> Vec<checks::Check>;

    /// The checks of the tables a task replicates from this log (PostgreSQL: the replica
    /// identity of a table without a key, or with a source filter).
    async fn table_checks(
        &self,
        _conn: &Connection,
        _tables: &[checks::Replicated],
    ) -> Vec<checks::Check> {
        vec![]
    }

    /// The log's current end: where a capture starting now would begin.
    async fn current_position(&self, conn: &Connection) -> Result<Position>;

    /// Makes the source ready to capture `tables` (`schema.table`) for `task` and says where
    /// the capture starts (the log's end, or the task's slot).
    async fn start(&self, conn: &Connection, task: &str, tables: &[String]) -> Result<Started>;

    /// Why the capture of `task` can no longer read from `at` (a purged log file, a dropped
    /// slot), or None when it can.
    async fn lost(&self, conn: &Connection, task: &str, at: &Position) -> Result<Option<String>>;

    /// Whether a change carries the values of generated columns (PostgreSQL's logical
    /// decoding does not send them).
    fn sends_generated(&self) -> bool {
        true
    }

    /// Called once `task`'s capture has been stopped: lets go of what it held on the source
    /// (PostgreSQL: a slot function its server session may still be running after the client
    /// stopped, which keeps the slot busy; the slot then moved to `at`, the checkpoint the
    /// target holds). At most a few seconds; what it cannot do is only logged.
    async fn release(&self, _conn: &Connection, _task: &str, _at: &Position) {}

    /// Removes what `task` keeps on the source for its capture (a slot); what it removed.
    async fn forget(&self, _conn: &Connection, _task: &str) -> Result<Option<String>> {
        Ok(None)
    }

    /// The log's global transaction id state at `p`, where it has one (MariaDB).
    async fn gtid_at(&self, _conn: &Connection, _p: &Position) -> Option<String> {
        None
    }

    /// Where the transactions up to the GTID state `state` end in this log.
    async fn gtid_position(&self, _conn: &Connection, state: &str) -> Result<Position> {
        Err(crate::error::Error::InvalidEndpoint {
            endpoint: "start position".into(),
            reason: format!(
                "{state} is a MariaDB GTID: this source's log starts at {}",
                self.position_form()
            ),
        })
    }

    /// Places a checkpoint (`at`, with the GTID state recorded there) on the server the source
    /// points at now: None when it is this server's already. `replaying`: the checkpoint is
    /// in the replay of changes made during the full load.
    async fn relocate(
        &self,
        _conn: &Connection,
        _at: &Position,
        _gtid: Option<&str>,
        _replaying: bool,
        _say: &(dyn Fn(String) + Send + Sync),
    ) -> std::result::Result<Option<Relocated>, NotPlaced> {
        Ok(None)
    }

    /// Reads the log from `from` and sends each committed transaction touching `tables` (keyed
    /// by lower-case `schema.table`) to `tx` until `tx` closes or the capture fails (then a
    /// [`change::Captured::Failed`] says why). `confirmed` brings back what the target
    /// committed; `ahead`: read on past it (the checkpoint stays put during a full load).
    #[allow(clippy::too_many_arguments)]
    async fn capture(
        &self,
        conn: Connection,
        task: String,
        from: Position,
        tables: HashMap<String, TableMeta>,
        tx: Feed,
        confirmed: mpsc::UnboundedReceiver<Position>,
        ahead: bool,
    );
}

/// The implementation for `engine`: the registry.
pub fn of(engine: Engine) -> &'static dyn Backend {
    match engine {
        Engine::Postgres => &postgres::Postgres,
        Engine::MySql | Engine::MariaDb => &mysql::MySql,
        Engine::Sqlite => &sqlite::Sqlite,
        Engine::Parquet => &parquet::Parquet,
    }
}

/// A snapshot other sessions of the source read in ([`Backend::share_snapshot`]): its id,
/// valid while this is held.
pub struct SharedSnapshot {
    pub id: String,
    pub(crate) _held: Box<dyn std::any::Any + Send + Sync>,
}
