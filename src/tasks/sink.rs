//! Target writers: PostgreSQL through COPY (one COPY per table, fed batch by batch), MySQL and
//! MariaDB through multi-row INSERTs of at most a few megabytes, SQLite through multi-row
//! INSERTs, one transaction per batch. Foreign-key checks are off on the loading session
//! (MySQL, SQLite), as DMS does, since tables load in any order.

use super::mappings::TablePlan;
use super::rows::Rows;
use super::{ErrorPolicy, Prepared, ZeroDates};
use crate::endpoints::connect::Pool;
use crate::endpoints::{Connection, Engine};
use crate::engines::postgres::copy_binary::{self, BinType};
use crate::engines::values::{self, Kind, pg_copy_field};
use crate::error::{Cause, DbFailure, Error, Result};

/// The target table's name as it is on an engine (see [`crate::engines::Backend::table_name`]).
pub fn target_table_name(engine: Engine, p: &TablePlan) -> String {
    crate::engines::of(engine).table_name(&p.target_schema, &p.target_table)
}

/// The target table, quoted and qualified.
pub fn target_sql(engine: Engine, p: &TablePlan, actual_name: &str) -> String {
    crate::engines::of(engine).table_sql(&p.target_schema, actual_name)
}

fn write_error(conn: &Connection, p: &Prepared, e: DbFailure) -> Error {
    Error::Query {
        endpoint: conn.endpoint.label(),
        context: format!("loading {} into {}", p.label, p.target_sql),
        message: e.message,
        cause: e.cause,
    }
}

/// Empties the target table, or only its key range when `p` loads one range.
pub async fn empty(conn: &Connection, p: &Prepared) -> Result<()> {
    let filter = match &p.range {
        Some(r) => format!(
            " WHERE {}",
            r.conditions(&p.columns[r.column].1).join(" AND ")
        ),
        None => String::new(),
    };
    // Never CASCADE: a parent reloaded must not empty children that are already complete.
    let t = crate::engines::setaside::TargetTable {
        sql: p.target_sql.clone(),
        schema: p.plan.target_schema.clone(),
        name: target_table_name(conn.endpoint.engine, &p.plan),
    };
    crate::engines::of(conn.endpoint.engine)
        .empty(conn, &t, &filter)
        .await
        .map_err(|e| write_error(conn, p, e))
}

/// Rows in the target table.
pub async fn count(conn: &Connection, p: &Prepared) -> Result<i64> {
    let v = conn
        .query_scalar(
            &format!("counting {}", p.target_sql),
            &format!("SELECT count(*) FROM {}", p.target_sql),
        )
        .await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// What [`fix_row`] changed in a row, by the task's settings.
#[derive(Default)]
struct Fixed {
    zero_dates: u64,
    lobs_cut: u64,
    nuls_removed: u64,
}

/// What [`fix_value`] can do to the values of a column, decided once per table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fixes {
    /// Nothing: the values go as read.
    None,
    /// Only the NUL-character policy applies.
    Nul,
    /// A date: MySQL's zero dates and the NUL-character policy are all that can apply.
    Date,
    All,
}

fn fixes(p: &Prepared, i: usize) -> Fixes {
    let lob = p.lob_limit.is_some() && p.lobs.get(i).copied().unwrap_or(false);
    if !lob && p.columns[i].2 == Kind::Date {
        Fixes::Date
    } else if lob || !values::fix_is_identity(p.columns[i].2) {
        Fixes::All
    } else if p.nul.is_some() && p.holds_text(i) {
        Fixes::Nul
    } else {
        Fixes::None
    }
}

/// Value `v` of column `i` fixed up for the target: the LOB cut to the limit, NUL characters
/// by the policy, the canonical form for the target's kind (see [`values::fix_str`]); a zero
/// date becomes NULL (None) under [`ZeroDates::Null`]; only what `how` (the column's
/// [`fixes`]) says can apply is tried. What it changed is counted in `f`.
fn fix_value<'a>(
    p: &Prepared,
    (i, how): (usize, Fixes),
    v: &'a str,
    zero: ZeroDates,
    f: &mut Fixed,
    clean: &'a mut Option<String>,
) -> std::result::Result<Option<(std::borrow::Cow<'a, str>, &'static str)>, String> {
    if how == Fixes::None {
        return Ok(Some((std::borrow::Cow::Borrowed(v), "")));
    }
    let (col, _, from, to) = &p.columns[i];
    let mut v = v;
    if let Some(cut) = p.lob_cut(i, v) {
        v = cut;
        f.lobs_cut += 1;
    }
    *clean = p.nul_fix(i, v)?;
    if clean.is_some() {
        f.nuls_removed += 1;
    }
    let v = clean.as_deref().unwrap_or(v);
    if how == Fixes::Nul {
        return Ok(Some((std::borrow::Cow::Borrowed(v), "")));
    }
    match values::fix_str(v, *from, *to) {
        Ok(fixed) => Ok(Some(fixed)),
        Err(e) if e.starts_with("zero date") && zero == ZeroDates::Null => {
            f.zero_dates += 1;
            Ok(None)
        }
        Err(e) => Err(format!("column {col}: {e}")),
    }
}

/// Row `r` of `rows` fixed up for the target ([`fix_value`]) and appended to `out`; on an
/// error nothing of the row is left in `out`.
fn fix_row(
    rows: &Rows,
    r: usize,
    p: &Prepared,
    (zero, how): (ZeroDates, &[Fixes]),
    out: &mut Rows,
) -> std::result::Result<Fixed, String> {
    let mut f = Fixed::default();
    for (i, v) in rows.row(r).enumerate() {
        let mut clean = None;
        match v.map(|v| fix_value(p, (i, how[i]), v, zero, &mut f, &mut clean)) {
            None | Some(Ok(None)) => out.push(None),
            Some(Ok(Some((fixed, suffix)))) => out.push_with(&fixed, suffix),
            Some(Err(e)) => {
                out.drop_partial();
                return Err(e);
            }
        }
    }
    Ok(f)
}

/// Row `r` of `rows` fixed up for the target ([`fix_value`]) and appended to `buf` as a line
/// of COPY text; on an error nothing of the row is left in `buf`.
fn copy_row(
    rows: &Rows,
    r: usize,
    p: &Prepared,
    (zero, how): (ZeroDates, &[Fixes]),
    buf: &mut String,
) -> std::result::Result<Fixed, String> {
    let start = buf.len();
    let mut f = Fixed::default();
    for (i, v) in rows.row(r).enumerate() {
        if i > 0 {
            buf.push('\t');
        }
        let to = p.columns[i].3;
        let mut clean = None;
        match v.map(|v| fix_value(p, (i, how[i]), v, zero, &mut f, &mut clean)) {
            None | Some(Ok(None)) => pg_copy_field(None, to, buf),
            Some(Ok(Some((fixed, suffix)))) => {
                pg_copy_field(Some(&fixed), to, buf);
                buf.push_str(suffix);
            }
            Some(Err(e)) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    }
    buf.push('\n');
    Ok(f)
}

/// Row `r` of `rows` fixed up for the target ([`fix_value`]) and appended to `buf` in COPY's
/// binary format, column `i` encoded as `types[i]`; on an error nothing of the row is left in
/// `buf`.
fn copy_row_binary(
    rows: &Rows,
    r: usize,
    p: &Prepared,
    (zero, how): (ZeroDates, &[Fixes]),
    types: &[BinType],
    buf: &mut Vec<u8>,
) -> std::result::Result<Fixed, String> {
    let start = buf.len();
    let mut f = Fixed::default();
    copy_binary::push_row_head(buf, types.len());
    for (i, v) in rows.row(r).enumerate() {
        // The usual cases first, without fix_value's result travelling through memory (through
        // fix_value, Tugboat took 19.2 s of CPU on the TPC-H load instead of 17.5 s): nothing
        // to fix, or text without a NUL character, or a date that is not a zero date.
        if let Some(v) = v
            && match how[i] {
                Fixes::None => true,
                Fixes::Nul => !v.as_bytes().contains(&0),
                Fixes::Date => !values::is_zero_date(v) && !v.as_bytes().contains(&0),
                Fixes::All => false,
            }
        {
            if let Err(e) = copy_binary::push_value(buf, types[i], v) {
                buf.truncate(start);
                return Err(format!("column {}: {e}", p.columns[i].0));
            }
            continue;
        }
        let mut clean = None;
        let pushed = match v.map(|v| fix_value(p, (i, how[i]), v, zero, &mut f, &mut clean)) {
            None | Some(Ok(None)) => {
                copy_binary::push_null(buf);
                Ok(())
            }
            Some(Ok(Some((fixed, "")))) => copy_binary::push_value(buf, types[i], &fixed)
                .map_err(|e| format!("column {}: {e}", p.columns[i].0)),
            Some(Ok(Some((fixed, suffix)))) => {
                copy_binary::push_value(buf, types[i], &format!("{fixed}{suffix}"))
                    .map_err(|e| format!("column {}: {e}", p.columns[i].0))
            }
            Some(Err(e)) => Err(e),
        };
        if let Err(e) = pushed {
            buf.truncate(start);
            return Err(e);
        }
    }
    Ok(f)
}

/// The COPY statement that loads the table's columns, in text or binary format.
fn copy_sql(p: &Prepared, binary: bool) -> String {
    let cols: Vec<&str> = p.columns.iter().map(|c| c.1.as_str()).collect();
    let format = if binary { " (FORMAT binary)" } else { "" };
    format!(
        "COPY {} ({}) FROM STDIN{format}",
        p.target_sql,
        cols.join(", ")
    )
}

/// How each column of `p` is encoded in COPY's binary format, when every one of them can be
/// ([`BinType::for_column`], from the target table's column types); None: COPY text.
/// `TUGBOAT_PG_COPY=text` in the environment asks for text (to compare the two).
async fn binary_types(pool: &sqlx::PgPool, p: &Prepared) -> Option<Vec<BinType>> {
    if std::env::var("TUGBOAT_PG_COPY").is_ok_and(|v| v == "text") {
        return None;
    }
    let columns: Vec<(String, i64, bool)> = sqlx::query_as(
        "SELECT a.attname::text, \
                (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)::int8, \
                t.typtype = 'e' \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(&p.target_sql)
    .fetch_all(pool)
    .await
    .ok()?;
    p.target_columns
        .iter()
        .zip(&p.columns)
        .map(|(name, c)| {
            let (_, oid, is_enum) = columns.iter().find(|t| &t.0 == name)?;
            BinType::for_column(u32::try_from(*oid).ok()?, *is_enum, c.3, p.typed_source)
        })
        .collect()
}

/// What a writing session of MySQL/MariaDB sets first: values of TIMESTAMP columns travel in
/// UTC, and foreign keys are not checked (tables load, and changes apply, in any order).
pub const WRITER_SESSION_MYSQL: &str = "SET time_zone = '+00:00', FOREIGN_KEY_CHECKS = 0";
/// The same for SQLite.
pub const WRITER_SESSION_SQLITE: &str = "PRAGMA foreign_keys = OFF";

/// A connection set up for loading one table.
enum Writer {
    /// One COPY per batch (each batch its own transaction), so refused rows can be found.
    Pg(sqlx::PgPool),
    /// One COPY for the whole table, fed batch by batch: no commit per batch. In binary format
    /// when the column types are known ([`binary_types`]).
    PgStream(
        sqlx::PgPool,
        Option<sqlx::postgres::PgCopyIn<sqlx::pool::PoolConnection<sqlx::Postgres>>>,
        Option<Vec<BinType>>,
    ),
    My(sqlx::pool::PoolConnection<sqlx::MySql>),
    Lite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

impl Writer {
    async fn open(conn: &Connection, per_batch: bool) -> std::result::Result<Writer, DbFailure> {
        Ok(match &conn.pool {
            Pool::Postgres(pool) if per_batch => Writer::Pg(pool.clone()),
            Pool::Postgres(pool) => Writer::PgStream(pool.clone(), None, None),
            Pool::MySql(pool) => {
                let mut c = pool.acquire().await?;
                sqlx::raw_sql(WRITER_SESSION_MYSQL).execute(&mut *c).await?;
                Writer::My(c)
            }
            Pool::Sqlite(pool) => {
                let mut c = pool.acquire().await?;
                sqlx::raw_sql(WRITER_SESSION_SQLITE)
                    .execute(&mut *c)
                    .await?;
                Writer::Lite(c)
            }
        })
    }

    /// Writes `rows` all or nothing; returns the bytes sent.
    async fn write(&mut self, p: &Prepared, rows: &Rows) -> std::result::Result<u64, DbFailure> {
        let cols: Vec<&str> = p.columns.iter().map(|c| c.1.as_str()).collect();
        let kinds: Vec<Kind> = p.columns.iter().map(|c| c.3).collect();
        let head = format!("INSERT INTO {} ({}) VALUES ", p.target_sql, cols.join(", "));
        let copy_text = || {
            let mut buf = String::with_capacity(rows.bytes() + rows.len() * kinds.len() * 2);
            for r in 0..rows.len() {
                for (i, v) in rows.row(r).enumerate() {
                    if i > 0 {
                        buf.push('\t');
                    }
                    pg_copy_field(v, kinds[i], &mut buf);
                }
                buf.push('\n');
            }
            buf
        };
        match self {
            Writer::PgStream(..) => Err("the streaming COPY is fed row by row".into()),
            Writer::Pg(pool) => {
                use sqlx::postgres::PgPoolCopyExt;
                let buf = copy_text();
                let bytes = buf.len() as u64;
                let mut copy = pool.copy_in_raw(&copy_sql(p, false)).await?;
                if let Err(e) = copy.send(buf.into_bytes()).await {
                    return Err(e.into());
                }
                copy.finish().await?;
                Ok(bytes)
            }
            Writer::My(c) => {
                let mut bytes = 0;
                let statements = statements(Engine::MySql, &head, rows, &kinds);
                if statements.len() > 1 {
                    sqlx::raw_sql("START TRANSACTION").execute(&mut **c).await?;
                }
                for sql in &statements {
                    bytes += sql.len() as u64;
                    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&mut **c)
                        .await
                    {
                        if statements.len() > 1 {
                            crate::error::logged(
                                "rolling back the refused batch",
                                sqlx::raw_sql("ROLLBACK").execute(&mut **c).await,
                            );
                        }
                        return Err(e.into());
                    }
                }
                if statements.len() > 1 {
                    sqlx::raw_sql("COMMIT").execute(&mut **c).await?;
                }
                Ok(bytes)
            }
            Writer::Lite(c) => {
                let mut sql = String::from("BEGIN;\n");
                for s in statements(Engine::Sqlite, &head, rows, &kinds) {
                    sql.push_str(&s);
                    sql.push_str(";\n");
                }
                sql.push_str("COMMIT");
                let bytes = sql.len() as u64;
                if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut **c)
                    .await
                {
                    crate::error::logged(
                        "rolling back the refused batch",
                        sqlx::raw_sql("ROLLBACK").execute(&mut **c).await,
                    );
                    return Err(e.into());
                }
                Ok(bytes)
            }
        }
    }

    /// Sends rows made by [`copy_row`] (or [`copy_row_binary`]) on the streaming COPY, opened
    /// by the first call; returns the bytes sent.
    async fn send_copy(
        &mut self,
        p: &Prepared,
        buf: Vec<u8>,
    ) -> std::result::Result<u64, DbFailure> {
        let Writer::PgStream(pool, copy, types) = self else {
            return Err("not a streaming COPY".into());
        };
        use sqlx::postgres::PgPoolCopyExt;
        if copy.is_none() {
            let mut c = pool.copy_in_raw(&copy_sql(p, types.is_some())).await?;
            if types.is_some() {
                c.send(copy_binary::HEADER).await?;
            }
            *copy = Some(c);
        }
        let bytes = buf.len() as u64;
        if let Some(c) = copy.as_mut() {
            c.send(buf).await?;
        }
        Ok(bytes)
    }

    /// Ends the load: the streaming COPY is committed here.
    async fn finish(&mut self) -> std::result::Result<(), DbFailure> {
        if let Writer::PgStream(_, copy, types) = self
            && let Some(mut c) = copy.take()
        {
            if types.is_some() {
                c.send(copy_binary::TRAILER).await?;
            }
            c.finish().await?;
        }
        Ok(())
    }

    async fn close(mut self) {
        match &mut self {
            // The pooled session goes back as it came, or not at all (closed: nothing else
            // may write through a session without its foreign-key checks).
            Writer::My(c) => {
                let r = sqlx::raw_sql("SET FOREIGN_KEY_CHECKS = 1")
                    .execute(&mut **c)
                    .await;
                if crate::error::logged("turning foreign-key checks back on", r).is_none() {
                    c.close_on_drop();
                }
            }
            Writer::Lite(c) => {
                let r = sqlx::raw_sql("PRAGMA foreign_keys = ON")
                    .execute(&mut **c)
                    .await;
                if crate::error::logged("turning foreign-key checks back on", r).is_none() {
                    c.close_on_drop();
                }
            }
            Writer::Pg(_) => {}
            Writer::PgStream(_, copy, _) => {
                if let Some(c) = copy.take() {
                    crate::error::logged(
                        "ending the interrupted COPY",
                        c.abort("the load stopped").await,
                    );
                }
            }
        }
    }
}

/// What [`write`] did.
#[derive(Debug, Default, Clone)]
pub struct Written {
    pub rows: u64,
    pub zero_dates: u64,
    /// Rows refused by the target and logged in `tugboat_apply_exceptions`.
    pub exceptions: u64,
    /// The first refused rows: (error, values as JSON).
    pub refused: Vec<(String, String)>,
    /// LOB values cut to the task's limit.
    pub lobs_truncated: u64,
    /// Text values whose NUL characters were removed.
    pub nuls_removed: u64,
}

/// Writes every batch from `rx`, one transaction per batch. Under [`ErrorPolicy::LogAndContinue`]
/// a batch the target refuses is written again row by row, and each row it refuses is kept in
/// `tugboat_apply_exceptions` (with the error and its values) instead of stopping the table.
pub async fn write(
    conn: &Connection,
    task: &str,
    p: &Prepared,
    mut rx: tokio::sync::mpsc::Receiver<Rows>,
    zero: ZeroDates,
    policy: ErrorPolicy,
    mut progress: impl FnMut(u64, u64),
) -> Result<Written> {
    let err = |e: DbFailure| write_error(conn, p, e);
    let mut w = Writer::open(conn, policy == ErrorPolicy::LogAndContinue)
        .await
        .map_err(&err)?;
    if let Writer::PgStream(pool, _, types) = &mut w {
        *types = binary_types(pool, p).await;
    }
    let how: Vec<Fixes> = (0..p.columns.len()).map(|i| fixes(p, i)).collect();
    let mut done = Written::default();
    let mut bytes = 0u64;
    let log = policy == ErrorPolicy::LogAndContinue;
    let mut result = Ok(());
    'batches: while let Some(batch) = rx.recv().await {
        // The streaming COPY (every policy but `log`): each row is fixed straight into COPY
        // text, no copy of the batch in between.
        if let Writer::PgStream(_, _, types) = &w {
            let room = batch.bytes() + batch.len() * batch.width() * 4;
            let mut fixed = Fixed::default();
            let mut tally = |f: std::result::Result<Fixed, String>| {
                f.map(|f| {
                    fixed.zero_dates += f.zero_dates;
                    fixed.lobs_cut += f.lobs_cut;
                    fixed.nuls_removed += f.nuls_removed;
                })
            };
            let made = match types {
                Some(types) => {
                    let mut buf = Vec::with_capacity(room);
                    (0..batch.len())
                        .try_for_each(|r| {
                            tally(copy_row_binary(&batch, r, p, (zero, &how), types, &mut buf))
                        })
                        .map(|()| buf)
                }
                None => {
                    let mut text = String::with_capacity(room);
                    (0..batch.len())
                        .try_for_each(|r| tally(copy_row(&batch, r, p, (zero, &how), &mut text)))
                        .map(|()| text.into_bytes())
                }
            };
            done.zero_dates += fixed.zero_dates;
            done.lobs_truncated += fixed.lobs_cut;
            done.nuls_removed += fixed.nuls_removed;
            let buf = match made {
                Ok(buf) => buf,
                Err(e) => {
                    result = Err(err(e.into()));
                    break 'batches;
                }
            };
            match w.send_copy(p, buf).await {
                Ok(b) => {
                    bytes += b;
                    done.rows += batch.len() as u64;
                }
                Err(e) => {
                    result = Err(err(e));
                    break;
                }
            }
            progress(done.rows, bytes);
            continue;
        }
        let mut rows = Rows::new(batch.width(), batch.len());
        let mut exceptions: Vec<(String, Vec<Option<String>>)> = vec![];
        for r in 0..batch.len() {
            match fix_row(&batch, r, p, (zero, &how), &mut rows) {
                Ok(f) => {
                    done.zero_dates += f.zero_dates;
                    done.lobs_truncated += f.lobs_cut;
                    done.nuls_removed += f.nuls_removed;
                }
                Err(e) if log => exceptions.push((e, batch.row_vec(r))),
                Err(e) => {
                    result = Err(err(e.into()));
                    break 'batches;
                }
            }
        }
        drop(batch);
        match w.write(p, &rows).await {
            Ok(b) => {
                bytes += b;
                done.rows += rows.len() as u64;
            }
            // A lost connection is no refused row: the table fails (and is retried).
            Err(e) if !log || e.cause == Cause::Connection => {
                result = Err(err(e));
                break;
            }
            Err(_) => {
                for r in 0..rows.len() {
                    match w.write(p, &rows.one(r)).await {
                        Ok(b) => {
                            bytes += b;
                            done.rows += 1;
                        }
                        Err(e) if e.cause == Cause::Connection => {
                            result = Err(err(e));
                            break 'batches;
                        }
                        Err(e) => exceptions.push((e.message, rows.row_vec(r))),
                    }
                }
            }
        }
        if !exceptions.is_empty() {
            done.exceptions += exceptions.len() as u64;
            for (e, row) in &exceptions {
                if done.refused.len() < 20 {
                    done.refused
                        .push((e.clone(), serde_json::to_string(row).unwrap_or_default()));
                }
            }
            if let Err(e) = record_exceptions(conn, task, &p.label, &exceptions).await {
                result = Err(e);
                break;
            }
        }
        progress(done.rows, bytes);
    }
    if result.is_ok() {
        result = w.finish().await.map_err(&err);
    }
    w.close().await;
    result?;
    Ok(done)
}

/// Keeps refused rows in `tugboat_apply_exceptions` on the target.
async fn record_exceptions(
    conn: &Connection,
    task: &str,
    table: &str,
    rows: &[(String, Vec<Option<String>>)],
) -> Result<()> {
    let sql = exceptions_sql(conn.endpoint.engine, task, table, rows);
    conn.execute(&sql).await.map_err(|e| {
        Error::query(
            conn.endpoint.label(),
            "recording refused rows in tugboat_apply_exceptions",
            &e,
        )
    })?;
    Ok(())
}

/// The INSERT keeping `rows` (error, values) of `table` in `tugboat_apply_exceptions`.
pub fn exceptions_sql(
    engine: Engine,
    task: &str,
    table: &str,
    rows: &[(String, Vec<Option<String>>)],
) -> String {
    let lit = |s: &str| values::text_literal(engine, s);
    let now = super::state::now();
    let values: Vec<String> = rows
        .iter()
        .map(|(e, row)| {
            format!(
                "({}, {}, {}, {}, {})",
                lit(task),
                lit(table),
                lit(e),
                lit(&serde_json::to_string(row).unwrap_or_default()),
                lit(&now)
            )
        })
        .collect();
    format!(
        "INSERT INTO tugboat_apply_exceptions (task, table_name, error, row_values, logged_at) VALUES {}",
        values.join(", ")
    )
}

/// Multi-row INSERTs of at most ~4 MB (below MySQL's default max_allowed_packet).
fn statements(engine: Engine, head: &str, batch: &Rows, kinds: &[Kind]) -> Vec<String> {
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
