//! The target side of a full load, as every engine offers it ([`Write`]): a [`TableWriter`]
//! per table that takes batches of rows all or nothing (multi-row INSERTs, a COPY per batch)
//! or one stream of encoded rows for the whole table (PostgreSQL's COPY, in text or binary
//! format, encoded by its [`RowFormat`]), and the session replication applies changes on.
//! What a task does with values before they are written (its LOB, NUL and zero-date policies)
//! and with rows the target refuses is the task's (`tasks::sink`); how they are written is here.

use async_trait::async_trait;

use super::rows::Rows;
use super::values::{self, Kind};
use crate::endpoints::Connection;
use crate::endpoints::session::Session;
use crate::error::DbFailure;

/// The table a [`TableWriter`] loads.
#[derive(Debug, Clone)]
pub struct WriteTarget {
    /// Quoted and qualified for the target.
    pub sql: String,
    /// The columns written, quoted, in the order of the rows' values.
    pub columns: Vec<String>,
    /// The same columns' names as they are on the target (unquoted).
    pub names: Vec<String>,
    /// The canonical kind of each column's values.
    pub kinds: Vec<Kind>,
    /// The source's columns hold only values of their declared types (a SQLite column can
    /// hold any value).
    pub typed_source: bool,
}

/// How the rows of a streamed load are encoded, value by value, into the bytes sent.
pub trait RowFormat: Send + Sync {
    /// Starts a row of `width` values.
    fn row_start(&self, buf: &mut Vec<u8>, width: usize);
    /// Value `v` (None: NULL) of column `i`, followed by `suffix` (text the value is completed
    /// with, such as a time zone), in the target's encoding for that column.
    fn value(
        &self,
        buf: &mut Vec<u8>,
        i: usize,
        v: Option<&str>,
        suffix: &str,
    ) -> Result<(), String>;
    /// Ends a row.
    fn row_end(&self, buf: &mut Vec<u8>);
}

/// Writes one table's rows on its target.
#[async_trait]
pub trait TableWriter: Send {
    /// The encoding of rows sent as one stream for the whole table ([`Self::send`]); None when
    /// rows go as batches, each all or nothing ([`Self::write`]).
    fn stream(&self) -> Option<&dyn RowFormat>;

    /// Writes `rows` all or nothing; returns the bytes sent.
    async fn write(&mut self, rows: &Rows) -> Result<u64, DbFailure>;

    /// Sends rows encoded by [`Self::stream`]'s format; returns the bytes sent.
    async fn send(&mut self, _encoded: Vec<u8>) -> Result<u64, DbFailure> {
        Err("this writer takes batches, not a stream".into())
    }

    /// Ends the load (a stream is committed here).
    async fn finish(&mut self) -> Result<(), DbFailure> {
        Ok(())
    }

    /// Gives the connection back (or closes it when its session cannot be put back as it was).
    async fn close(self: Box<Self>);
}

/// How an engine takes writes.
#[async_trait]
pub trait Write {
    /// The writer of one table's load. `per_batch`: each batch its own transaction, so that
    /// the rows of a refused batch can be written again one by one.
    async fn table_writer(
        &self,
        conn: &Connection,
        table: WriteTarget,
        per_batch: bool,
    ) -> Result<Box<dyn TableWriter>, DbFailure>;

    /// A session set up for applying replicated changes (the target's triggers and foreign
    /// keys kept from acting on them where the engine allows), never given back to the pool;
    /// with a warning to give once when the engine refused part of that set-up.
    async fn apply_session(
        &self,
        conn: &Connection,
    ) -> Result<(Session, Option<String>), DbFailure>;
}

/// A session from `conn`'s pool with `setup` run on it first.
pub async fn session_with(conn: &Connection, setup: &'static str) -> Result<Session, DbFailure> {
    let mut s = conn.pool.session().await?;
    s.execute(setup).await?;
    Ok(s)
}

/// Puts a loading session's foreign-key checks back on (`restore`) before it goes back to the
/// pool; a session where that fails is closed instead.
pub async fn give_back(mut s: Session, restore: &'static str) {
    let r = s.execute(restore).await;
    if crate::error::logged("turning foreign-key checks back on", r).is_none() {
        s.close_on_drop();
    }
}

/// The head of the INSERT that loads `t`'s columns.
pub fn insert_head(t: &WriteTarget) -> String {
    format!("INSERT INTO {} ({}) VALUES ", t.sql, t.columns.join(", "))
}

/// `batch` as multi-row INSERTs (each after `head`) of at most ~4 MB, below MySQL's default
/// `max_allowed_packet`, values as `engine`'s literals.
pub fn insert_statements(
    engine: crate::endpoints::Engine,
    head: &str,
    batch: &Rows,
    kinds: &[Kind],
) -> Vec<String> {
    const MAX: usize = 4 << 20;
    let mut out = vec![];
    let mut sql = String::with_capacity((batch.bytes() + head.len()).min(MAX) + 1024);
    sql.push_str(head);
    let mut n = 0;
    let mut tuple = String::new();
    for r in 0..batch.len() {
        tuple.clear();
        tuple.push('(');
        for (i, v) in batch.row(r).enumerate() {
            if i > 0 {
                tuple.push_str(", ");
            }
            values::push_sql_literal(&mut tuple, engine, v, kinds[i]);
        }
        tuple.push(')');
        if n > 0 && sql.len() + tuple.len() > MAX {
            out.push(std::mem::replace(&mut sql, String::from(head)));
            n = 0;
        }
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&tuple);
        n += 1;
    }
    if n > 0 {
        out.push(sql);
    }
    out
}
