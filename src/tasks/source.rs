//! Source readers: one streaming SELECT per table (inside the source database every value is
//! turned into its canonical text, see [`super::values`]), rows sent on in batches through a
//! bounded channel. PostgreSQL reads in a REPEATABLE READ snapshot; MySQL/MariaDB in a
//! consistent-snapshot transaction with the session in UTC; SQLite in one read transaction on
//! a thread of its own ([`crate::engines::sqlite::read`]).

use futures_util::StreamExt;
use sqlx::Row;

use super::Prepared;
use super::mappings::FilterOp;
use crate::endpoints::connect::Pool;
use crate::endpoints::{Connection, Engine};
use crate::engines::postgres::{copy_text, copy_tuples};
use crate::engines::rows::{Batch as Sendable, CopyForm, Lines, RawRows, Rows};
use crate::engines::values::quote;
use crate::error::{DbFailure, Error, Result};

/// `schema.table` of the source, quoted.
pub fn source_table(engine: Engine, p: &Prepared) -> String {
    crate::engines::of(engine).source_table_sql(&p.plan.source_schema, &p.plan.source_table)
}

/// The conditions of `filters` (combined with AND), in `engine`'s SQL over the source
/// table's columns.
pub fn filter_conditions(engine: Engine, filters: &[super::mappings::Filter]) -> Vec<String> {
    filters
        .iter()
        .map(|f| {
            let c = quote(engine, &f.column);
            let lit = |x: Option<&str>| {
                x.map(|x| crate::engines::values::text_literal(engine, x))
                    .unwrap_or_else(|| "NULL".into())
            };
            let (v, e) = (lit(f.value.as_deref()), lit(f.end.as_deref()));
            match f.op {
                FilterOp::Eq => format!("{c} = {v}"),
                FilterOp::Noteq => format!("{c} <> {v}"),
                FilterOp::Gte => format!("{c} >= {v}"),
                FilterOp::Lte => format!("{c} <= {v}"),
                FilterOp::Between => format!("{c} BETWEEN {v} AND {e}"),
                FilterOp::Notbetween => format!("{c} NOT BETWEEN {v} AND {e}"),
                FilterOp::Null => format!("{c} IS NULL"),
                FilterOp::Notnull => format!("{c} IS NOT NULL"),
            }
        })
        .collect()
}

/// The WHERE clause of the table's source filters.
pub fn where_clause(engine: Engine, p: &Prepared) -> String {
    let mut conds = filter_conditions(engine, &p.plan.filters);
    if let Some(r) = &p.range {
        conds.extend(r.conditions(&quote(engine, &p.columns[r.column].0)));
    }
    if let Some(s) = &p.slice {
        conds.extend(s.conditions(engine));
    }
    where_of(&conds)
}

/// ` WHERE` and `conds` joined by AND; nothing without conditions.
pub fn where_of(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    }
}

/// The SELECT that reads the table, each column as its canonical text.
pub fn select(engine: Engine, p: &Prepared) -> String {
    select_of(engine, p, |i| p.source_value(engine, i))
}

/// The SELECT that reads the table's columns as they are (for a target of the same types,
/// `tasks::raw`).
pub fn select_as_is(engine: Engine, p: &Prepared) -> String {
    select_of(engine, p, |i| quote(engine, &p.columns[i].0))
}

fn select_of(engine: Engine, p: &Prepared, column: impl Fn(usize) -> String) -> String {
    let cols: Vec<String> = (0..p.columns.len()).map(column).collect();
    format!(
        "SELECT {} FROM {}{}",
        cols.join(", "),
        source_table(engine, p),
        where_clause(engine, p)
    )
}

type Batch = Vec<Vec<Option<String>>>;

/// A batch is sent on when it holds this many bytes of text, whatever its row count, so wide
/// rows (LOBs) keep memory bounded too.
const BATCH_BYTES: usize = 16 << 20;

/// How one value of a row goes into the batch: MySQL's as bytes (checked for UTF-8 once per
/// batch). (PostgreSQL is read through COPY, SQLite through rusqlite: see [`read_sql`].)
trait PushValue: sqlx::Database {
    fn push_value(row: &Self::Row, i: usize, buf: &mut RawRows) -> std::result::Result<(), String>;
}

impl PushValue for sqlx::MySql {
    fn push_value(row: &Self::Row, i: usize, buf: &mut RawRows) -> std::result::Result<(), String> {
        buf.push_bytes(
            row.try_get_unchecked::<Option<&[u8]>, _>(i)
                .map_err(|e| e.to_string())?,
        );
        Ok(())
    }
}

async fn stream<'c, E, DB, T: Sent>(
    exec: E,
    sql: String,
    n: usize,
    batch: usize,
    tx: &tokio::sync::mpsc::Sender<T>,
    cancel: &std::sync::atomic::AtomicBool,
) -> std::result::Result<(), DbFailure>
where
    E: sqlx::Executor<'c, Database = DB>,
    DB: PushValue,
{
    let mut rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch(exec);
    let mut buf = RawRows::new(n, batch);
    while let Some(row) = rows.next().await {
        let row = row?;
        for i in 0..n {
            DB::push_value(&row, i, &mut buf).map_err(DbFailure::from)?;
        }
        if pass_on(&mut buf, batch, tx, cancel).await? == Flow::Stop {
            return Ok(());
        }
    }
    pass_last(buf, tx).await
}

/// What a reader sends on: batches of values, and a PostgreSQL source's COPY lines where the
/// receiver takes them as they are ([`Sendable`]); parsed into values otherwise.
pub trait Sent: From<Rows> + Send + 'static {
    fn lines(l: Lines) -> std::result::Result<Self, DbFailure>;
}

impl Sent for Rows {
    fn lines(l: Lines) -> std::result::Result<Self, DbFailure> {
        copy_text::lines_to_rows(&l).map_err(DbFailure::from)
    }
}

impl Sent for Sendable {
    fn lines(l: Lines) -> std::result::Result<Self, DbFailure> {
        Ok(Sendable::Lines(l))
    }
}

/// Whether a reader goes on.
#[derive(PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

/// Sends the rows of `buf` on once they make a batch (`batch` rows, or [`BATCH_BYTES`]),
/// leaving an empty buffer with room for as many; Stop when the task is cancelled or the writer
/// stopped (it reports why).
async fn pass_on<T: Sent>(
    buf: &mut RawRows,
    batch: usize,
    tx: &tokio::sync::mpsc::Sender<T>,
    cancel: &std::sync::atomic::AtomicBool,
) -> std::result::Result<Flow, DbFailure> {
    if buf.len() < batch && buf.bytes() < BATCH_BYTES {
        return Ok(Flow::Go);
    }
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(Flow::Stop);
    }
    let room = (buf.bytes() + buf.bytes() / 8).min(BATCH_BYTES + (1 << 20));
    let empty = RawRows::with_room(buf.width(), batch, room);
    let full = std::mem::replace(buf, empty)
        .finish()
        .map_err(DbFailure::from)?;
    Ok(if tx.send(full.into()).await.is_err() {
        Flow::Stop
    } else {
        Flow::Go
    })
}

/// Sends the last rows of `buf` on. (A writer that stopped reports why.)
async fn pass_last<T: Sent>(
    buf: RawRows,
    tx: &tokio::sync::mpsc::Sender<T>,
) -> std::result::Result<(), DbFailure> {
    if !buf.is_empty() {
        drop(tx.send(buf.finish().map_err(DbFailure::from)?.into()).await);
    }
    Ok(())
}

/// Streams the table's rows into `tx` in batches of `batch` rows.
pub async fn read<T: Sent>(
    conn: &Connection,
    p: &Prepared,
    batch: usize,
    tx: tokio::sync::mpsc::Sender<T>,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<()> {
    let engine = conn.endpoint.engine;
    let sql = match p.raw {
        // The columns as they are, for a target with the same types.
        Some(super::raw::Raw::Same) => select_as_is(engine, p),
        _ => select(engine, p),
    };
    let form = p.raw.map_or(Form::Values, |r| Form::Lines(r.form()));
    let mut q = Select::new(sql, p.columns.len(), form);
    q.snapshot = p.snapshot.clone();
    read_select(conn, &p.label, q, batch, tx, cancel).await
}

/// A SELECT of `n` text columns, read in a snapshot of its own or in `snapshot` (PostgreSQL:
/// exported by another transaction).
struct Select {
    sql: String,
    n: usize,
    snapshot: Option<String>,
    form: Form,
}

impl Select {
    /// `sql` of `n` columns, in a snapshot of its own.
    fn new(sql: String, n: usize, form: Form) -> Select {
        Select {
            sql,
            n,
            snapshot: None,
            form,
        }
    }
}

/// How a PostgreSQL reader passes its rows on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Parsed into values.
    Values,
    /// As COPY sends them, in text or binary (see `tasks::raw`).
    Lines(CopyForm),
}

/// Streams the rows of any SELECT of `n` text columns into `tx`, in one consistent snapshot.
pub async fn read_sql<T: Sent>(
    conn: &Connection,
    what: &str,
    sql: String,
    n: usize,
    batch: usize,
    tx: tokio::sync::mpsc::Sender<T>,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<()> {
    let q = Select::new(sql, n, Form::Values);
    read_select(conn, what, q, batch, tx, cancel).await
}

/// Streams the rows of a SELECT of `n` columns of a PostgreSQL database as binary COPY
/// tuples (`tasks::raw`) into `tx`.
pub async fn read_tuples(
    conn: &Connection,
    what: &str,
    (sql, n): (String, usize),
    batch: usize,
    tx: tokio::sync::mpsc::Sender<Sendable>,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<()> {
    let q = Select::new(sql, n, Form::Lines(CopyForm::Binary));
    read_select(conn, what, q, batch, tx, cancel).await
}

async fn read_select<T: Sent>(
    conn: &Connection,
    what: &str,
    q: Select,
    batch: usize,
    tx: tokio::sync::mpsc::Sender<T>,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<()> {
    let Select {
        sql,
        n,
        snapshot,
        form,
    } = q;
    let err = |e: DbFailure| Error::Query {
        endpoint: conn.endpoint.label(),
        context: format!("reading {what}"),
        message: e.message,
        cause: e.cause,
    };
    let r = match &conn.pool {
        Pool::Postgres(pool) => {
            copy_out(pool, (sql, snapshot), (n, batch, form), &tx, &cancel).await
        }
        Pool::MySql(pool) => {
            let begin =
                "SET time_zone = '+00:00'; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
            in_snapshot(pool, begin, sql, n, batch, &tx, &cancel).await
        }
        Pool::Sqlite(pool) => {
            let read = crate::engines::sqlite::read::FileRead {
                path: pool.connect_options().get_filename().to_path_buf(),
                sql,
                n,
                batch,
                max_bytes: BATCH_BYTES,
                busy: pool.options().get_acquire_timeout(),
            };
            crate::engines::sqlite::read::read(read, tx, cancel).await
        }
    };
    r.map_err(err)
}

/// Runs `sql` on one connection of `pool` between `begin` and COMMIT, streaming its rows.
async fn in_snapshot<DB, T: Sent>(
    pool: &sqlx::Pool<DB>,
    begin: &str,
    sql: String,
    n: usize,
    batch: usize,
    tx: &tokio::sync::mpsc::Sender<T>,
    cancel: &std::sync::atomic::AtomicBool,
) -> std::result::Result<(), DbFailure>
where
    DB: PushValue,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let mut c = pool.acquire().await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(begin.to_string()))
        .execute(&mut *c)
        .await?;
    let r = stream(&mut *c, sql, n, batch, tx, cancel).await;
    crate::error::logged(
        "ending the read-only snapshot",
        sqlx::raw_sql("COMMIT").execute(&mut *c).await,
    );
    r
}

/// PostgreSQL: the rows of `sql` (a SELECT) through `COPY (...) TO STDOUT` in text format, in
/// one read-only snapshot (its own, or `snapshot`, exported by another transaction), parsed
/// here ([`copy_text::copy_text_row`]) rather than decoded value by value from row messages;
/// or passed on as the server sends them ([`Lines`], in text or binary, see `tasks::raw`).
async fn copy_out<T: Sent>(
    pool: &sqlx::PgPool,
    (sql, snapshot): (String, Option<String>),
    (n, batch, form): (usize, usize, Form),
    tx: &tokio::sync::mpsc::Sender<T>,
    cancel: &std::sync::atomic::AtomicBool,
) -> std::result::Result<(), DbFailure> {
    let mut c = pool.acquire().await?;
    let mut begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_string();
    if let Some(id) = snapshot {
        begin.push_str(&format!(
            "; SET TRANSACTION SNAPSHOT {}",
            crate::engines::values::text_literal(crate::endpoints::Engine::Postgres, &id)
        ));
    }
    // The values' text whatever the database's defaults, as another server reads it back the
    // same (sqlx's sessions already set DateStyle ISO, TimeZone UTC and the float digits), by
    // every reader alike. Without JIT: a big table's rows read out column by column gain
    // nothing from compiled expressions, and compiling them took longer (two halves of TPC-H
    // lineitem read at once: 3.4–3.5 s with it, 3.2 s without).
    begin.push_str(&format!(
        "; SET LOCAL IntervalStyle = postgres; SET LOCAL bytea_output = hex; {NO_JIT}",
    ));
    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(begin))
        .execute(&mut *c)
        .await
    {
        // (A snapshot no longer exported leaves the transaction begun: not kept open.)
        crate::error::logged(
            "ending a snapshot not taken",
            sqlx::raw_sql("ROLLBACK").execute(&mut *c).await,
        );
        return Err(e.into());
    }
    let r = async {
        let binary = if form == Form::Lines(CopyForm::Binary) {
            " (FORMAT binary)"
        } else {
            ""
        };
        let sql = sql.trim().trim_end_matches(';');
        let stream = c
            .copy_out_raw(&format!("COPY ({sql}) TO STDOUT{binary}"))
            .await?;
        match form {
            Form::Values => parse_lines(stream, (n, batch), tx, cancel).await,
            Form::Lines(f) => pass_lines(stream, (n, batch, f), tx, cancel).await,
        }
    }
    .await;
    crate::error::logged(
        "ending the read-only snapshot",
        sqlx::raw_sql("COMMIT").execute(&mut *c).await,
    );
    r
}

type CopyStream<'c> =
    futures_util::stream::BoxStream<'c, std::result::Result<bytes::Bytes, sqlx::Error>>;

/// COPY's rows parsed into values, sent on in batches.
async fn parse_lines<T: Sent>(
    mut stream: CopyStream<'_>,
    (n, batch): (usize, usize),
    tx: &tokio::sync::mpsc::Sender<T>,
    cancel: &std::sync::atomic::AtomicBool,
) -> std::result::Result<(), DbFailure> {
    let mut buf = RawRows::new(n, batch);
    // A row cut between two messages (PostgreSQL sends one row per message).
    let mut pending: Vec<u8> = vec![];
    let mut scratch = vec![];
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let data: &[u8] = if pending.is_empty() {
            &chunk
        } else {
            pending.extend_from_slice(&chunk);
            &pending
        };
        let mut rest = data;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            copy_text::copy_text_row(&rest[..end], n, &mut buf, &mut scratch)
                .map_err(DbFailure::from)?;
            rest = &rest[end + 1..];
        }
        pending = rest.to_vec();
        if pass_on(&mut buf, batch, tx, cancel).await? == Flow::Stop {
            return Ok(());
        }
    }
    if !pending.is_empty() {
        return Err(DbFailure::from(
            "COPY ended in the middle of a row".to_string(),
        ));
    }
    pass_last(buf, tx).await
}

/// COPY's rows passed on as the server sends them, in batches of `batch` rows (or
/// [`BATCH_BYTES`]), whole rows only.
async fn pass_lines<T: Sent>(
    mut stream: CopyStream<'_>,
    (n, batch, form): (usize, usize, CopyForm),
    tx: &tokio::sync::mpsc::Sender<T>,
    cancel: &std::sync::atomic::AtomicBool,
) -> std::result::Result<(), DbFailure> {
    let fresh = |room: usize| Lines {
        width: n,
        bytes: Vec::with_capacity(room),
        rows: 0,
        form,
    };
    let mut buf = fresh(1 << 20);
    let mut tuples = copy_tuples::Splitter::new(n);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if form == CopyForm::Binary {
            buf.rows += tuples.push(&chunk, &mut buf.bytes)?;
        } else {
            buf.rows += memchr::memchr_iter(b'\n', &chunk).count();
            buf.bytes.extend_from_slice(&chunk);
        }
        let whole = form == CopyForm::Binary || buf.bytes.ends_with(b"\n");
        if (buf.rows >= batch || buf.bytes.len() >= BATCH_BYTES) && whole {
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(());
            }
            let room = (buf.bytes.len() + buf.bytes.len() / 8).min(BATCH_BYTES + (1 << 20));
            let full = std::mem::replace(&mut buf, fresh(room));
            if tx.send(T::lines(full)?).await.is_err() {
                return Ok(());
            }
        }
    }
    if form == CopyForm::Binary {
        tuples.finish()?;
    } else if !buf.bytes.is_empty() && !buf.bytes.ends_with(b"\n") {
        return Err(DbFailure::from(
            "COPY ended in the middle of a row".to_string(),
        ));
    }
    if buf.rows > 0 {
        drop(tx.send(T::lines(buf)?).await);
    }
    Ok(())
}

/// A reader of one SELECT of text columns running in the background (see [`read_sql`]): its
/// batches arrive on `rx`; [`Reader::finish`] gives its outcome once `rx` is drained.
pub struct Reader {
    rx: tokio::sync::mpsc::Receiver<Rows>,
    handle: tokio::task::JoinHandle<Result<()>>,
    endpoint: String,
}

impl Reader {
    /// Starts reading `sql` (`n` text columns) from `conn` in batches of `batch` rows.
    pub fn spawn(conn: &Connection, what: &str, sql: String, n: usize, batch: usize) -> Reader {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let (c, what) = (conn.clone(), what.to_string());
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        Reader {
            rx,
            handle: tokio::spawn(
                async move { read_sql(&c, &what, sql, n, batch, tx, cancel).await },
            ),
            endpoint: conn.endpoint.label(),
        }
    }

    /// The next batch of rows; None once every row was read (or the reader failed: see
    /// [`Reader::finish`]).
    pub async fn next(&mut self) -> Option<Batch> {
        self.rx.recv().await.map(Rows::into_vecs)
    }

    /// The next batch of rows as read; None once every row was read.
    pub async fn next_rows(&mut self) -> Option<Rows> {
        self.rx.recv().await
    }

    /// The reader's outcome (an error of the query, or the reader stopping).
    pub async fn finish(self) -> Result<()> {
        drop(self.rx);
        match self.handle.await {
            Ok(r) => r,
            Err(e) => Err(Error::InvalidEndpoint {
                endpoint: self.endpoint,
                reason: format!("a reader stopped: {e}"),
            }),
        }
    }

    /// Every row, collected (for small results).
    pub async fn collect(mut self) -> Result<Batch> {
        let mut out = vec![];
        while let Some(b) = self.next().await {
            out.extend(b);
        }
        self.finish().await?;
        Ok(out)
    }
}

/// The smallest and largest value of integer column `col` (quoted) of `table` (quoted, with
/// its `filter`, a WHERE clause or nothing); None when the table is empty.
pub async fn key_span(
    conn: &Connection,
    table: &str,
    filter: &str,
    col: &str,
) -> Result<Option<(i128, i128)>> {
    let cast = |x: String| crate::engines::of(conn.endpoint.engine).as_text(&x);
    let rows = conn
        .query(
            &format!("finding the key span of {table}"),
            &format!(
                "SELECT {}, {} FROM {table}{filter}",
                cast(format!("min({col})")),
                cast(format!("max({col})"))
            ),
        )
        .await?;
    let bound = |i| {
        rows.first()
            .and_then(|r| r.at(i))
            .and_then(|v| v.parse::<i128>().ok())
    };
    Ok(bound(0).zip(bound(1)))
}

/// Turns JIT off for the transaction, on servers that have it (PostgreSQL 11 and later: `SET
/// jit` fails on older ones), and returns no row (it comes before a query whose first row is
/// read). The CASE keeps `set_config` from being called for another setting's row.
const NO_JIT: &str = "SELECT 1 FROM pg_settings WHERE name = 'jit' AND CASE WHEN name = 'jit' \
     THEN set_config('jit', 'off', true) IS NULL ELSE false END";

/// Rows of the table on the source (with the task's filters).
pub async fn count(conn: &Connection, p: &Prepared) -> Result<i64> {
    let engine = conn.endpoint.engine;
    // PostgreSQL: a key range counted through the key's index. Its planner chose a parallel
    // scan of the whole table, filtered, and compiled it (JIT): 1.3 s for a sixth of TPC-H's
    // lineitem, with two workers, against 0.2 s through the index; once per range.
    let through_index = if engine == Engine::Postgres && p.range.is_some() {
        &format!("SET LOCAL enable_seqscan = off; {NO_JIT}; ")
    } else {
        ""
    };
    let v = conn
        .query_scalar(
            &format!("counting {}", p.label),
            &format!(
                "{through_index}SELECT count(*) FROM {}{}",
                source_table(engine, p),
                where_clause(engine, p)
            ),
        )
        .await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}
