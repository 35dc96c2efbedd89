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
    /// The kind of each column's source column.
    pub from: Vec<Kind>,
    /// The source's columns hold only values of their declared types (a SQLite column can
    /// hold any value).
    pub typed_source: bool,
    /// Other tasks write the table too (a consolidation): its foreign keys may already be
    /// there, created by one of them, while this task's rows of parent and child tables arrive
    /// in any order; the writer does not check them where the engine allows.
    pub shared: bool,
    /// The rows come as a PostgreSQL source's COPY rows, in this form
    /// ([`TableWriter::send_lines`]).
    pub lines: Option<super::rows::CopyForm>,
    /// The load ends with [`TableWriter::finish_with`]: its rows commit with a statement
    /// (engines whose `commits_with_rows`).
    pub commit_with: bool,
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
    /// Some when each row this format encodes is, byte for byte, what the target gives back of
    /// the row it stores (read back as PostgreSQL's binary COPY tuples of the same columns),
    /// but for the columns listed, whose values the target gives back in a normal form of its
    /// own (jsonb): the rows as written can be hashed as encoded (those columns as their JSON's
    /// normal form) and compared with the target's so read. `key`: the column rows are placed
    /// by, an integer.
    fn stored_tuples(&self, _key: usize) -> Option<Vec<usize>> {
        None
    }
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

    /// Whether [`Self::send_lines`] takes a PostgreSQL source's COPY rows of this form.
    fn takes_lines(&self, _form: super::rows::CopyForm) -> bool {
        false
    }

    /// Sends whole COPY rows of a PostgreSQL source (`tasks::raw`), of the form the writer
    /// takes; returns the bytes sent.
    async fn send_lines(&mut self, _lines: Vec<u8>) -> Result<u64, DbFailure> {
        Err("this writer takes values, not COPY lines".into())
    }

    /// Ends the load (a stream is committed here).
    async fn finish(&mut self) -> Result<(), DbFailure> {
        Ok(())
    }

    /// Ends the load with `statement` run in its transaction: both commit, or neither does
    /// (a writer opened for [`WriteTarget::commit_with`]).
    async fn finish_with(&mut self, _statement: String) -> Result<(), DbFailure> {
        Err("this writer commits its rows alone".into())
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

    /// Builds a loaded table's primary key with `key_sql` (see
    /// [`crate::engines::Backend::keys_after_load`]) unless it has one (an earlier run built
    /// it); whether it built it.
    async fn key_after_load(
        &self,
        _conn: &Connection,
        _table: &str,
        _key_sql: &str,
    ) -> crate::error::Result<bool> {
        Ok(false)
    }

    /// A session set up for applying replicated changes (the target's triggers and foreign
    /// keys kept from acting on them where the engine allows), never given back to the pool;
    /// with a warning to give once when the engine refused part of that set-up.
    async fn apply_session(
        &self,
        conn: &Connection,
    ) -> Result<(Session, Option<String>), DbFailure>;

    /// The statement that makes the foreign keys of the tables it creates inline checked at
    /// COMMIT instead of row by row, in a transaction (SQLite), where the engine cannot create
    /// them after the data.
    fn defer_keys(&self) -> Option<&'static str> {
        None
    }

    /// The target's fast load path and whether it is open: Some(Ok(how)) used, Some(Err(why
    /// not)) when the writer falls back to a slower one; None when the engine has only one.
    async fn fast_load(&self, _conn: &Connection) -> Option<Result<String, String>> {
        None
    }

    /// The statement that starts a transaction.
    fn begin(&self) -> &'static str {
        "BEGIN"
    }

    /// The statement that empties `table` (quoted) as a replicated TRUNCATE does.
    fn truncate_sql(&self, table: &str) -> String {
        format!("TRUNCATE TABLE {table}")
    }

    /// How a row of a table without a key is compared with a value (not NULL) when a change
    /// names it by all its values.
    fn keyless_equals(&self) -> &'static str {
        " = "
    }

    /// One row of `table` among those `filter` selects (a table without a key can hold the
    /// same row twice; a change updates or deletes one of them).
    fn one_row(&self, _table: &str, filter: &str) -> String {
        format!("{filter} LIMIT 1")
    }

    /// The condition that a row's `columns` (quoted) are one of `rows` (literals, a list per
    /// row): `c IN (v1, v2)`, `(c1, c2) IN ((v1, v2), (v3, v4))`.
    fn in_list(&self, columns: &[String], rows: &[Vec<String>]) -> String {
        if columns.len() == 1 {
            let v: Vec<&str> = rows
                .iter()
                .filter_map(|r| r.first())
                .map(String::as_str)
                .collect();
            return format!("{} IN ({})", columns[0], v.join(", "));
        }
        let v: Vec<String> = rows.iter().map(|r| format!("({})", r.join(", "))).collect();
        format!(
            "({}) IN ({}{})",
            columns.join(", "),
            self.rows_in(),
            v.join(", ")
        )
    }

    /// What comes before a list of row values that a row value is compared with by IN.
    fn rows_in(&self) -> &'static str {
        ""
    }

    /// What makes an INSERT of a row whose key (`keys`, quoted) may already be there write
    /// `others` (the other columns) instead: `ON CONFLICT ... DO UPDATE`.
    fn upsert(&self, keys: &[&str], others: &[&str]) -> String {
        if others.is_empty() {
            return format!(" ON CONFLICT ({}) DO NOTHING", keys.join(", "));
        }
        let set: Vec<String> = others
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            keys.join(", "),
            set.join(", ")
        )
    }
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

/// A session from `conn`'s pool set up by `setup` for applying replicated changes, never
/// given back to the pool (foreign-key checks off must not reach a later user of it).
pub async fn apply_session_with(
    conn: &Connection,
    setup: &'static str,
) -> Result<(Session, Option<String>), DbFailure> {
    let mut s = session_with(conn, setup).await?;
    s.close_on_drop();
    Ok((s, None))
}

/// How an engine that is loaded with multi-row INSERTs runs a batch's statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchRun {
    /// One at a time, in a transaction when there are several (each one packet: MySQL's
    /// `max_allowed_packet` bounds a statement, not a transaction).
    Statements,
    /// As one script (`BEGIN; ...; COMMIT`).
    Script,
}

/// What an engine loaded with multi-row INSERTs says about its sessions.
pub struct InsertSession {
    /// Run first on the loading session (foreign-key checks off...).
    pub setup: &'static str,
    /// Run before the session goes back to the pool (checks back on).
    pub restore: &'static str,
    pub run: BatchRun,
    /// The engine whose literals the values are written as.
    pub engine: crate::endpoints::Engine,
}

/// A table loaded with multi-row INSERTs on one session, each batch all or nothing.
pub struct Inserts {
    session: Session,
    how: &'static InsertSession,
    kinds: Vec<Kind>,
    head: String,
}

impl Inserts {
    /// Opens the loading session of `table`.
    pub async fn open(
        conn: &Connection,
        table: WriteTarget,
        how: &'static InsertSession,
    ) -> Result<Box<dyn TableWriter>, DbFailure> {
        Ok(Box::new(Inserts {
            session: session_with(conn, how.setup).await?,
            head: format!(
                "INSERT INTO {} ({}) VALUES ",
                table.sql,
                table.columns.join(", ")
            ),
            kinds: table.kinds,
            how,
        }))
    }

    async fn rollback(&mut self) {
        crate::error::logged(
            "rolling back the refused batch",
            self.session.execute("ROLLBACK").await,
        );
    }
}

#[async_trait]
impl TableWriter for Inserts {
    fn stream(&self) -> Option<&dyn RowFormat> {
        None
    }

    async fn write(&mut self, rows: &Rows) -> Result<u64, DbFailure> {
        let statements = insert_statements(self.how.engine, &self.head, rows, &self.kinds);
        if self.how.run == BatchRun::Script {
            let mut sql = format!("{};\n", super::of(self.how.engine).begin());
            for s in statements {
                sql.push_str(&s);
                sql.push_str(";\n");
            }
            sql.push_str("COMMIT");
            let bytes = sql.len() as u64;
            if let Err(e) = self.session.run(sql).await {
                self.rollback().await;
                return Err(e.into());
            }
            return Ok(bytes);
        }
        let several = statements.len() > 1;
        if several {
            let begin = super::of(self.how.engine).begin();
            self.session.execute(begin).await?;
        }
        let mut bytes = 0;
        for sql in statements {
            bytes += sql.len() as u64;
            if let Err(e) = self.session.run(sql).await {
                if several {
                    self.rollback().await;
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
        give_back(self.session, self.how.restore).await;
    }
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
