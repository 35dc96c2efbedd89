//! A table's load on the target side, by the task's rules: values fixed up for the target
//! (LOBs cut, NUL characters, zero dates) and written through the target engine's
//! [`TableWriter`] (COPY, multi-row INSERTs: see [`crate::engines::write`]); under the `log`
//! error policy, the rows the target refuses found one by one and kept in
//! `tugboat_apply_exceptions`.

use super::mappings::TablePlan;
use super::raw::Raw;
use super::state;
use super::{ErrorPolicy, Prepared, ZeroDates};
use crate::endpoints::{Connection, Engine};
use crate::engines::postgres::copy_text;
use crate::engines::rows::{Batch, CopyForm, Lines, Rows};
use crate::engines::values::{self, Kind};
use crate::engines::write::{RowFormat, TableWriter, WriteTarget};
use crate::error::{Cause, DbFailure, Error, Result};

/// The target table's name as it is on an engine (see [`crate::engines::Backend::table_name`]).
pub fn target_table_name(engine: Engine, p: &TablePlan) -> String {
    crate::engines::of(engine).table_name(&p.target_schema, &p.target_table)
}

/// The target table, quoted and qualified.
pub fn target_sql(engine: Engine, p: &TablePlan, actual_name: &str) -> String {
    crate::engines::of(engine).table_sql(&p.target_schema, actual_name)
}

fn write_error(conn: &Connection, p: &Prepared, mut e: DbFailure) -> Error {
    if let Some(m) = p.collision(&e.message, e.cause) {
        e.message = m;
    }
    e.at(
        conn.endpoint.label(),
        format!("loading {} into {}", p.label, p.target_sql),
    )
}

/// Empties the target table, or only its key range when `p` loads one range.
pub async fn empty(conn: &Connection, p: &Prepared) -> Result<()> {
    let filter = target_filter(conn.endpoint.engine, p);
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

/// ` WHERE ...` selecting the target rows `p` loads: its key range, and the rows of its source
/// in a table several sources load; empty when it loads the whole table.
pub fn target_filter(engine: Engine, p: &Prepared) -> String {
    let mut conds: Vec<String> = p.owned_rows(engine).into_iter().collect();
    if let Some(r) = &p.range {
        conds.extend(r.conditions(&p.columns[r.column].1));
    }
    super::source::where_of(&conds)
}

/// Rows of the target table that `p` loads (see [`target_filter`]).
pub async fn count(conn: &Connection, p: &Prepared) -> Result<i64> {
    let v = conn
        .query_scalar(
            &format!("counting {}", p.target_sql),
            &format!(
                "SELECT count(*) FROM {}{}",
                p.target_sql,
                target_filter(conn.endpoint.engine, p)
            ),
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

/// Row `r` of `rows` fixed up for the target ([`fix_value`]) and appended to `buf` in the
/// streaming writer's `format`; on an error nothing of the row is left in `buf`.
fn encode_row(
    rows: &Rows,
    r: usize,
    p: &Prepared,
    (zero, how): (ZeroDates, &[Fixes]),
    format: &dyn RowFormat,
    buf: &mut Vec<u8>,
) -> std::result::Result<Fixed, String> {
    let start = buf.len();
    let mut f = Fixed::default();
    format.row_start(buf, how.len());
    for (i, v) in rows.row(r).enumerate() {
        // The usual cases first, without fix_value's result travelling through memory (through
        // fix_value, Tugboat took 19.2 s of CPU on the TPC-H load instead of 17.5 s): nothing
        // to fix, or text without a NUL character, or a date that is not a zero date.
        let pushed = match v {
            Some(v)
                if match how[i] {
                    Fixes::None => true,
                    Fixes::Nul => !v.as_bytes().contains(&0),
                    Fixes::Date => !values::is_zero_date(v) && !v.as_bytes().contains(&0),
                    Fixes::All => false,
                } =>
            {
                format.value(buf, i, Some(v), "")
            }
            _ => {
                let mut clean = None;
                match v.map(|v| fix_value(p, (i, how[i]), v, zero, &mut f, &mut clean)) {
                    None | Some(Ok(None)) => format.value(buf, i, None, ""),
                    Some(Ok(Some((fixed, suffix)))) => format.value(buf, i, Some(&fixed), suffix),
                    Some(Err(e)) => {
                        buf.truncate(start);
                        return Err(e);
                    }
                }
            }
        };
        if let Err(e) = pushed {
            buf.truncate(start);
            return Err(format!("column {}: {e}", p.columns[i].0));
        }
    }
    format.row_end(buf);
    Ok(f)
}

/// What the target's writer needs to know of the table `p` loads.
fn write_target(p: &Prepared) -> WriteTarget {
    WriteTarget {
        sql: p.target_sql.clone(),
        columns: p.columns.iter().map(|c| c.1.clone()).collect(),
        names: p.target_columns.clone(),
        kinds: p.columns.iter().map(|c| c.3).collect(),
        from: p.columns.iter().map(|c| c.2).collect(),
        typed_source: p.typed_source,
        shared: p.owner().is_some(),
        lines: p.raw.map(Raw::form),
        commit_with: p.slice_record.is_some(),
    }
}

/// What [`write`] did.
#[derive(Debug, Default, Clone)]
pub struct Written {
    pub rows: u64,
    pub zero_dates: u64,
    /// Rows refused by the target and logged in `tugboat_apply_exceptions`.
    pub exceptions: u64,
    /// Of those, rows whose key another source's row holds ([`Prepared::collision`]).
    pub collisions: u64,
    /// The first refused rows: (error, values as JSON).
    pub refused: Vec<(String, String)>,
    /// LOB values cut to the task's limit.
    pub lobs_truncated: u64,
    /// Text values whose NUL characters were removed.
    pub nuls_removed: u64,
    /// Rows sent as the source's COPY lines ([`super::raw`]).
    pub as_lines: u64,
    /// The reader stopped before its end and nothing written was kept (rows that commit with
    /// a record, `Prepared::slice_record`).
    pub stopped: bool,
    /// (source rows, target rows) of key ranges counted as each was loaded.
    pub counted: Option<(i64, i64)>,
    /// The rows as written, hashed by key segment (when the table asks for it and no row was
    /// refused).
    pub digest: Option<super::digest::Digest>,
}

impl Written {
    /// Adds what a part of the same table wrote (a key range or a slice); `digest`, the
    /// table's sums, absorbs the part's (None once a part has none).
    pub fn absorb(&mut self, w: Written, digest: &mut Option<super::digest::Digest>) {
        *digest = match (digest.take(), &w.digest) {
            (Some(mut d), Some(x)) => {
                d.absorb(x);
                Some(d)
            }
            _ => None,
        };
        self.rows += w.rows;
        self.zero_dates += w.zero_dates;
        self.exceptions += w.exceptions;
        self.collisions += w.collisions;
        self.lobs_truncated += w.lobs_truncated;
        self.nuls_removed += w.nuls_removed;
        self.as_lines += w.as_lines;
        self.stopped |= w.stopped;
        self.refused.extend(w.refused);
    }
}

/// Said by the reader once it has read every row ([`write`]).
pub type Whole = tokio::sync::oneshot::Receiver<()>;

/// Writes every batch from `rx`, one transaction per batch. Under [`ErrorPolicy::LogAndContinue`]
/// a batch the target refuses is written again row by row, and each row it refuses is kept in
/// `tugboat_apply_exceptions` (with the error and its values) instead of stopping the table.
pub async fn write(
    (conn, task): (&Connection, &str),
    p: &Prepared,
    (mut rx, whole): (tokio::sync::mpsc::Receiver<Batch>, Option<Whole>),
    zero: ZeroDates,
    policy: ErrorPolicy,
    mut progress: impl FnMut(u64, u64),
) -> Result<Written> {
    let err = |e: DbFailure| write_error(conn, p, e);
    let log = policy == ErrorPolicy::LogAndContinue;
    let mut w = crate::engines::of(conn.endpoint.engine)
        .table_writer(conn, write_target(p), log)
        .await
        .map_err(&err)?;
    let how: Vec<Fixes> = (0..p.columns.len()).map(|i| fixes(p, i)).collect();
    let mut done = Written::default();
    let mut bytes = 0u64;
    let mut result = Ok(());
    let mut hasher = p.digest.map(|key| hasher_for(p, key, w.as_ref()));
    while let Some(batch) = rx.recv().await {
        let step = match batch {
            Batch::Lines(lines) if w.takes_lines(lines.form) => {
                let sent = send_lines(w.as_mut(), lines, hasher.as_mut(), &mut done).await;
                sent.map_err(&err)
            }
            // Text lines for a writer of values (LOAD DATA refused): parsed. (Binary tuples
            // only a PostgreSQL COPY of the same types reads: an error.)
            other => match into_rows(other) {
                Ok(rows) => {
                    let fix = (zero, how.as_slice(), log);
                    let (h, done) = (hasher.as_mut(), &mut done);
                    write_rows(conn, task, (w.as_mut(), p), fix, rows, h, done).await
                }
                Err(e) => Err(err(e)),
            },
        };
        match step {
            Ok(b) => bytes += b,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
        progress(done.rows, bytes);
    }
    // Rows that commit with a record: none kept unless the reader read them all.
    if let Some(whole) = whole
        && result.is_ok()
        && whole.await.is_err()
    {
        w.close().await;
        done.rows = 0;
        done.stopped = true;
        done.digest = None;
        return Ok(done);
    }
    if result.is_ok() {
        result = finish(w.as_mut(), conn, p, done.rows).await.map_err(&err);
    }
    w.close().await;
    result?;
    // Rows refused are not on the target: such a table is compared without the digest.
    done.digest = hasher
        .filter(|_| done.exceptions == 0)
        .map(super::digest::Hasher::finish);
    Ok(done)
}

/// The hasher of the rows `p` writes through `w`, in segments `key`: of the binary tuples
/// written where they are what the target stores (`RowFormat::stored_tuples`) or the source's
/// own (`Raw::Same`), of values otherwise (and under `TUGBOAT_DIGEST=values`, to compare).
fn hasher_for<'a>(
    p: &'a Prepared,
    key: Option<super::digest::Segments>,
    w: &dyn TableWriter,
) -> super::digest::Hasher<'a> {
    let mut h = super::digest::Hasher::new(p, super::digest::Side::Written, key);
    let as_values = std::env::var("TUGBOAT_DIGEST").is_ok_and(|v| v == "values");
    let stored = (h.integer_column().zip(w.stream()))
        .and_then(|(k, f)| f.stored_tuples(k))
        .filter(|_| !as_values);
    if p.raw == Some(Raw::Same) || stored.is_some() {
        h.hash_tuples(stored.unwrap_or_default());
        tracing::debug!(target: "tugboat::tasks", "{}: rows hashed as the binary rows the target stores", p.label);
    }
    h
}

/// Ends the load of `p` on `w`: a slice's rows committed with its record, as finished with
/// `rows` rows (`Prepared::slice_record`), other loads committed alone.
async fn finish(
    w: &mut dyn TableWriter,
    conn: &Connection,
    p: &Prepared,
    rows: u64,
) -> std::result::Result<(), DbFailure> {
    let Some((task, s)) = &p.slice_record else {
        return w.finish().await;
    };
    let done = state::SliceState {
        state: state::Stored::Completed,
        rows: rows as i64,
        ..s.clone()
    };
    w.finish_with(state::slice_sql(
        conn.endpoint.engine,
        task,
        &p.label,
        &done,
    ))
    .await
}

/// A batch as values: text lines parsed.
fn into_rows(batch: Batch) -> std::result::Result<Rows, DbFailure> {
    match batch {
        Batch::Rows(rows) => Ok(rows),
        Batch::Lines(lines) if lines.form == CopyForm::Binary => {
            Err("the target's writer does not take the source's binary COPY rows".into())
        }
        Batch::Lines(lines) => copy_text::lines_to_rows(&lines).map_err(DbFailure::from),
    }
}

/// Writes one batch of values (hashed first when the table asks for it); the bytes sent.
async fn write_rows(
    conn: &Connection,
    task: &str,
    (w, p): (&mut dyn TableWriter, &Prepared),
    (zero, how, log): (ZeroDates, &[Fixes], bool),
    batch: Rows,
    hasher: Option<&mut super::digest::Hasher<'_>>,
    done: &mut Written,
) -> Result<u64> {
    let err = |e: DbFailure| write_error(conn, p, e);
    let hasher = match hasher {
        Some(h) if !h.tuples() => {
            h.add(&batch);
            None
        }
        h => h,
    };
    if w.stream().is_some() {
        stream_batch(w, p, (zero, how), &batch, hasher, done)
            .await
            .map_err(&err)
    } else {
        let fixed = fix_batch(p, (zero, how), batch, log, done).map_err(&err)?;
        write_batch(conn, task, w, p, fixed, log, done).await
    }
}

/// Sends a PostgreSQL source's COPY rows as they are (hashed first when the table asks for
/// it: binary tuples as they are, text lines parsed); the bytes sent.
async fn send_lines(
    w: &mut dyn TableWriter,
    lines: Lines,
    hasher: Option<&mut super::digest::Hasher<'_>>,
    done: &mut Written,
) -> std::result::Result<u64, DbFailure> {
    match hasher {
        Some(h) if lines.form == CopyForm::Binary => h.add_tuples(&lines),
        Some(h) => h.add(&copy_text::lines_to_rows(&lines)?),
        None => {}
    }
    let rows = lines.rows as u64;
    let sent = w.send_lines(lines.bytes).await?;
    done.rows += rows;
    done.as_lines += rows;
    Ok(sent)
}

/// Rows refused before or by the target: (error, values).
type Refused = Vec<(String, Vec<Option<String>>)>;

/// The streaming writer's step: each row of `batch` fixed straight into the writer's format,
/// no copy of the batch in between (each hashed as encoded into `tuples`, when given), and
/// sent; the bytes sent.
async fn stream_batch(
    w: &mut dyn TableWriter,
    p: &Prepared,
    fix: (ZeroDates, &[Fixes]),
    batch: &Rows,
    mut tuples: Option<&mut super::digest::Hasher<'_>>,
    done: &mut Written,
) -> std::result::Result<u64, DbFailure> {
    let mut buf = Vec::with_capacity(batch.bytes() + batch.len() * batch.width() * 4);
    if let Some(format) = w.stream() {
        for r in 0..batch.len() {
            let start = buf.len();
            let f = encode_row(batch, r, p, fix, format, &mut buf)?;
            if let Some(h) = tuples.as_deref_mut() {
                h.add_encoded(&buf[start..], batch, r);
            }
            done.zero_dates += f.zero_dates;
            done.lobs_truncated += f.lobs_cut;
            done.nuls_removed += f.nuls_removed;
        }
    }
    let sent = w.send(buf).await?;
    done.rows += batch.len() as u64;
    Ok(sent)
}

/// `batch` fixed up for the target ([`fix_row`]), with the rows that could not be (under the
/// `log` policy; otherwise the first of them fails the table).
fn fix_batch(
    p: &Prepared,
    fix: (ZeroDates, &[Fixes]),
    batch: Rows,
    log: bool,
    done: &mut Written,
) -> std::result::Result<(Rows, Refused), DbFailure> {
    let mut rows = Rows::new(batch.width(), batch.len());
    let mut refused = vec![];
    for r in 0..batch.len() {
        match fix_row(&batch, r, p, fix, &mut rows) {
            Ok(f) => {
                done.zero_dates += f.zero_dates;
                done.lobs_truncated += f.lobs_cut;
                done.nuls_removed += f.nuls_removed;
            }
            Err(e) if log => refused.push((e, batch.row_vec(r))),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((rows, refused))
}

/// Writes `rows` all or nothing; when the target refuses them under the `log` policy (the
/// writer was opened per batch), row by row, keeping each row it refuses, with those refused
/// before (`refused`), in `tugboat_apply_exceptions`. The bytes sent.
async fn write_batch(
    conn: &Connection,
    task: &str,
    w: &mut dyn TableWriter,
    p: &Prepared,
    (rows, mut refused): (Rows, Refused),
    log: bool,
    done: &mut Written,
) -> Result<u64> {
    let err = |e: DbFailure| write_error(conn, p, e);
    let mut bytes = 0;
    match w.write(&rows).await {
        Ok(b) => {
            bytes += b;
            done.rows += rows.len() as u64;
        }
        // A lost connection is no refused row: the table fails (and is retried).
        Err(e) if !log || e.cause == Cause::Connection => return Err(err(e)),
        Err(_) => {
            for r in 0..rows.len() {
                match w.write(&rows.one(r)).await {
                    Ok(b) => {
                        bytes += b;
                        done.rows += 1;
                    }
                    Err(e) if e.cause == Cause::Connection => return Err(err(e)),
                    Err(e) => match p.collision(&e.message, e.cause) {
                        Some(m) => {
                            done.collisions += 1;
                            refused.push((m, rows.row_vec(r)));
                        }
                        None => refused.push((e.message, rows.row_vec(r))),
                    },
                }
            }
        }
    }
    if !refused.is_empty() {
        done.exceptions += refused.len() as u64;
        for (e, row) in &refused {
            if done.refused.len() < 20 {
                done.refused
                    .push((e.clone(), serde_json::to_string(row).unwrap_or_default()));
            }
        }
        record_exceptions(conn, task, &p.label, &refused).await?;
    }
    Ok(bytes)
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
