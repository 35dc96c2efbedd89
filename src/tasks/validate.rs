//! Validation after the load: every row compared, not just counted.
//!
//! Between two database servers (PostgreSQL, MySQL/MariaDB), a table with an integer primary
//! key is compared by checksums first (data-diff's idea): each database computes, for ranges of
//! about 10,000 keys, the count and the sum of a hash of every row, its values normalised to
//! the same text on both sides; only the ranges whose checksums differ are read and compared
//! row by row, narrowing down to the differing rows and their keys. Columns whose text cannot
//! be made the same inside both databases (floats, JSON, arrays, bits, kinds that change on the
//! way) are compared by reading them (with the key) from both sides.
//!
//! The row-by-row comparison (all of a table when SQLite is on either side) reads both tables in
//! key order with the same canonical text the load uses, merges them on the key, and compares
//! each value after normalising what engines spell differently (hex case, trailing zeros of
//! decimals and fractions, JSON spacing and key order, booleans, bits). Rows missing on the
//! target, extra there, and different are counted; the first ones are kept in
//! `tugboat_validation_failures` on the target with their keys. Tables without a primary key,
//! or whose key is not made of integers (whose order could differ between engines), are read
//! from both sides and hashed into segments by their key (`by_hash`), the differing segments
//! matched row by row.

mod by_hash;
mod checksums;

use super::digest::{Digest, Hasher, Segments, Side};
use super::source::{Reader, key_span};
use super::{KeyRange, Prepared};
use crate::endpoints::Connection;
use crate::endpoints::Engine;
use crate::engines::checksum::{self, Checksum};
use crate::engines::values::{Kind, as_read, quote, select_expr, to_target};
use crate::error::Result;
use checksums::checksums;

/// How a table was validated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Method {
    /// Every row compared on the primary key.
    Rows,
    /// Key ranges checksummed inside both databases, differing ranges compared row by row.
    Checksums { segments: u64, differing: u64 },
    /// Every row read back from the target and hashed against the rows as the load wrote
    /// them, by key range; differing ranges compared row by row with the source.
    ReadBack { segments: u64, differing: u64 },
    /// Every row hashed into segments by its key's values (the whole row without a key), on
    /// both sides (or read back against the rows as the load wrote them); the differing
    /// segments compared row by row (tables whose key is not made of integers, or that have
    /// none).
    Hashed {
        segments: u64,
        differing: u64,
        read_back: bool,
    },
    /// Counts and a whole-table checksum, with the reason (no primary key...).
    TableChecksum(String),
    /// Counts only, with the reason.
    CountsOnly(String),
}

/// The outcome of validating one table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Validation {
    pub method: Method,
    pub source_rows: i64,
    pub target_rows: i64,
    pub missing: u64,
    pub extra: u64,
    pub different: u64,
    /// The whole-table checksums differ (tables compared without a key).
    #[serde(default)]
    pub checksum_differs: bool,
    /// The first failures: (key, what, columns that differ), as kept on the target.
    #[serde(default)]
    pub failures: Vec<(String, String, String)>,
    /// For each failure above, the differing values on each side (`col: source 'a', target 'b'`;
    /// empty for a missing or extra row).
    #[serde(default)]
    pub differences: Vec<String>,
}

impl Validation {
    /// A comparison by `method` of tables of these counts, nothing found different yet.
    pub fn new(method: Method, source_rows: i64, target_rows: i64) -> Validation {
        Validation {
            method,
            source_rows,
            target_rows,
            missing: 0,
            extra: 0,
            different: 0,
            checksum_differs: false,
            failures: vec![],
            differences: vec![],
        }
    }

    pub fn ok(&self) -> bool {
        self.source_rows == self.target_rows
            && !self.checksum_differs
            && self.missing == 0
            && self.extra == 0
            && self.different == 0
    }
}

/// A value as the Exceptions pane shows it: quoted, cut to 80 characters; NULL as NULL.
fn shown(v: Option<&str>) -> String {
    match v {
        None => "NULL".into(),
        Some(v) if v.chars().count() > 80 => {
            format!("'{}…'", v.chars().take(80).collect::<String>())
        }
        Some(v) => format!("'{v}'"),
    }
}

/// Failures kept per table.
const KEEP: usize = 100;

/// A value as compared: the same for every engine's spelling of it.
pub fn normalise(v: Option<&str>, k: Kind) -> Option<String> {
    v.map(|v| normal(v, k).into_owned())
}

/// A JSON value with its whole numbers spelled as integers wherever they were written
/// (`1e3`, `1000.0` and `1000` alike: PostgreSQL's jsonb writes MariaDB's `1e3` as `1000`), its
/// other numbers as the doubles they read as.
fn json_numbers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(x) = n.as_f64()
                && n.is_f64()
                && x.fract() == 0.0
                && x.abs() < 9.0e15
            {
                *v = Value::from(x as i64);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(json_numbers),
        Value::Object(o) => o.values_mut().for_each(json_numbers),
        _ => {}
    }
}

/// Value `v` as compared ([`normalise`]), borrowed from `v` where it is spelled so already
/// (nearly always: validation hashes every row of a table through this).
pub fn normal(v: &str, k: Kind) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match k {
        Kind::Binary | Kind::Geometry | Kind::MyGeometry => {
            if v.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(v.to_ascii_lowercase())
            } else {
                Cow::Borrowed(v)
            }
        }
        Kind::PgGeo(_) => Cow::Owned(crate::engines::spatial::normalise_pg(v)),
        Kind::Json | Kind::Array => match serde_json::from_str::<serde_json::Value>(v) {
            Ok(mut j) => {
                json_numbers(&mut j);
                Cow::Owned(j.to_string())
            }
            Err(_) => Cow::Borrowed(v),
        },
        Kind::Bool => match v {
            "1" | "t" | "true" => Cow::Borrowed("1"),
            "0" | "f" | "false" => Cow::Borrowed("0"),
            o => Cow::Borrowed(o),
        },
        Kind::Decimal => {
            let mut s = v.trim().trim_start_matches('+');
            if s.contains('.') {
                s = s.trim_end_matches('0').trim_end_matches('.');
            }
            Cow::Borrowed(if s == "-0" { "0" } else { s })
        }
        Kind::Float => match v.parse::<f64>() {
            Ok(0.0) => Cow::Borrowed("0"),
            Ok(f) => Cow::Owned(format!("{f:e}")),
            Err(_) => Cow::Borrowed(v),
        },
        Kind::Timestamp | Kind::TimestampTz | Kind::Time => {
            // (A BC year's era, last in PostgreSQL's output, kept aside.)
            let (s, era) = crate::engines::values::split_era(v);
            let s = s.trim_end_matches("+00").trim_end_matches("+00:00");
            let t = match s.split_once('.') {
                // The seconds and the fraction without its trailing zeros, or the seconds.
                Some((a, f)) => {
                    let f = f.trim_end_matches('0');
                    if f.is_empty() {
                        a
                    } else {
                        &s[..a.len() + 1 + f.len()]
                    }
                }
                None => s,
            };
            if era.is_empty() {
                Cow::Borrowed(t)
            } else {
                Cow::Owned(format!("{t}{era}"))
            }
        }
        Kind::Bit(_) | Kind::BitString => match u64::from_str_radix(v, 2) {
            Ok(n) => Cow::Owned(n.to_string()),
            Err(_) => Cow::Borrowed(v),
        },
        _ => Cow::Borrowed(v),
    }
}

pub(super) fn integer_key(p: &Prepared) -> Option<Vec<usize>> {
    let pk = p.plan.table.primary_key.as_ref()?;
    let mut out = vec![];
    for c in &pk.columns {
        let i = p.columns.iter().position(|x| x.0.eq_ignore_ascii_case(c))?;
        if p.columns[i].2 != Kind::Integer {
            return None;
        }
        out.push(i);
    }
    (!out.is_empty()).then_some(out)
}

fn key_of(row: &[Option<String>], key: &[usize]) -> Vec<i128> {
    key.iter()
        .map(|&i| {
            row[i]
                .as_deref()
                .and_then(|v| v.parse::<i128>().ok())
                .unwrap_or(i128::MIN)
        })
        .collect()
}

/// (key, what, columns that differ, their values on each side).
type Failures = Vec<(String, &'static str, String, String)>;

/// Compares the table on both sides.
pub async fn validate(
    task: &str,
    source: &Connection,
    target: &Connection,
    p: &Prepared,
    source_rows: i64,
    target_rows: i64,
) -> Result<Validation> {
    let mut v = Validation::new(Method::Rows, source_rows, target_rows);
    let mut failures: Failures = vec![];
    match integer_key(p) {
        None => by_hash::compare(source, target, p, &mut v, &mut failures).await?,
        Some(_) => {
            let servers = [source, target]
                .iter()
                .all(|c| crate::engines::of(c.endpoint.engine).checksum().is_some());
            let done = if servers {
                match checksums(source, target, p, &mut v, &mut failures).await {
                    Ok(()) => true,
                    Err(e) => {
                        // Not a verdict: the rows are compared one by one instead.
                        tracing::warn!(target: "tugboat::tasks::validate", "{}: checksums could not be computed ({e}); comparing every row", p.label);
                        v.missing = 0;
                        v.extra = 0;
                        v.different = 0;
                        v.method = Method::Rows;
                        failures.clear();
                        false
                    }
                }
            } else {
                false
            };
            if !done {
                merge(source, target, p, &|_| false, true, &mut v, &mut failures).await?;
            }
        }
    }
    conclude(task, target, p, v, failures).await
}

/// Compares the target's rows with the rows as the load wrote them (`written`, hashed by key
/// segment while they were written, [`super::digest`]): the target's rows are read back and
/// hashed the same way, and only the segments whose sums differ are compared row by row with
/// the source, down to each row's key. No second read of the source when all is equal.
pub async fn against_digest(
    task: &str,
    source: &Connection,
    target: &Connection,
    p: &Prepared,
    written: &Digest,
) -> Result<Validation> {
    let key = written.key;
    let stored = read_back(target, p, written).await?;
    let differing = written.differing(&stored);
    let method = Method::ReadBack {
        segments: written.segment_count(&stored),
        differing: differing.len() as u64,
    };
    let mut v = Validation::new(method, written.rows() as i64, stored.rows() as i64);
    if integer_key(p).is_none() {
        // A key not made of integers (or none) orders differently on other engines: its rows
        // were placed by a hash of their key.
        v.method = Method::Hashed {
            segments: written.segment_count(&stored),
            differing: differing.len() as u64,
            read_back: true,
        };
    }
    let mut failures: Failures = vec![];
    if !differing.is_empty() {
        tracing::info!(target: "tugboat::tasks::validate", "{}: {} of its segments differ from the rows as written: compared row by row", p.label, differing.len());
        match (integer_key(p), key) {
            (Some(_), Some(s @ Segments::Integer { column: k, .. }))
                if differing.len() <= DRILL_MAX && !differing.contains(&i128::MIN) =>
            {
                let mut ordered = vec![k];
                ordered.extend((0..p.columns.len()).filter(|&i| i != k));
                for seg in &differing {
                    let range = s.bounds(*seg).map(|(from, to)| (Some(from), Some(to)));
                    let q = subset(p, &ordered, range);
                    merge(source, target, &q, &|_| false, true, &mut v, &mut failures).await?;
                }
            }
            (Some(_), _) => {
                merge(source, target, p, &|_| false, true, &mut v, &mut failures).await?;
            }
            (None, _) => {
                let sums = (written, &stored);
                by_hash::drill(source, target, p, sums, &mut v, &mut failures).await?;
            }
        }
    }
    conclude(task, target, p, v, failures).await
}

/// Rows of a table read back in two key ranges at once (its key is built by then): the end of
/// a big table's load is the target's one query and its hashing otherwise. (Not from SQLite,
/// where a range is read through the key's index, row by row: a scan of the whole file is
/// faster.)
const READ_BACK_SPLIT: u64 = 1_000_000;

/// The target's rows of `p` read back and hashed ([`super::digest::Side::Stored`]) in the
/// segments of the rows as `written`.
async fn read_back(target: &Connection, p: &Prepared, written: &Digest) -> Result<Digest> {
    let mut parts = vec![p.clone()];
    if let Some(s @ Segments::Integer { column, .. }) = written.key
        && written.rows() > READ_BACK_SPLIT
        && target.endpoint.engine != Engine::Sqlite
        && let (Some(first), Some(last)) = (
            written.segments.keys().find(|&&k| k != i128::MIN),
            written.segments.keys().last(),
        )
        && last > first
        && let Some((_, middle)) = s.bounds(first + (last - first) / 2)
    {
        parts = [(None, Some(middle)), (Some(middle), None)]
            .into_iter()
            .map(|(from, to)| {
                let mut q = p.clone();
                q.range = Some(KeyRange { column, from, to });
                q
            })
            .collect();
    }
    let reads = parts.into_iter().map(|q| {
        let (target, key, as_is) = (target.clone(), written.key, written.as_is);
        let json = written.json.clone();
        tokio::spawn(async move {
            let mut h = Hasher::new(&q, Side::Stored, key);
            if as_is {
                // Binary tuples written as the source's columns were: read back the same way.
                h.hash_tuples(json);
                read_tuples_back(&target, &q, &mut h).await?;
                return Ok::<_, crate::error::Error>(h.finish());
            }
            let sql = target_select(target.endpoint.engine, &q);
            let mut reader = Reader::spawn(&target, &q.target_sql, sql, q.columns.len(), 10_000);
            while let Some(rows) = reader.next_rows().await {
                h.add(&rows);
            }
            reader.finish().await?;
            Ok::<_, crate::error::Error>(h.finish())
        })
    });
    let mut stored = Digest {
        key: written.key,
        ..Default::default()
    };
    for r in futures_util::future::join_all(reads).await {
        let d = r.map_err(|e| crate::error::Error::InvalidEndpoint {
            endpoint: target.endpoint.label(),
            reason: format!("reading {} back stopped: {e}", p.target_sql),
        })??;
        stored.absorb(&d);
    }
    Ok(stored)
}

/// The target's rows of `q`, its columns as they are in binary COPY tuples, into `h`.
async fn read_tuples_back(target: &Connection, q: &Prepared, h: &mut Hasher<'_>) -> Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sql = (target_select_as_is(q), q.columns.len());
    let read = super::source::read_tuples(target, &q.target_sql, sql, 10_000, tx, cancel);
    let hash = async {
        while let Some(b) = rx.recv().await {
            if let crate::engines::rows::Batch::Lines(lines) = b {
                h.add_tuples(&lines);
            }
        }
    };
    let (r, ()) = tokio::join!(read, hash);
    r
}

/// Keeps the failures found on the target and in the outcome.
async fn conclude(
    task: &str,
    target: &Connection,
    p: &Prepared,
    mut v: Validation,
    failures: Failures,
) -> Result<Validation> {
    if !failures.is_empty() {
        record(target, task, &p.label, &failures).await?;
    }
    v.failures = failures
        .iter()
        .take(20)
        .map(|(k, f, c, _)| (k.clone(), f.to_string(), c.clone()))
        .collect();
    v.differences = failures.iter().take(20).map(|f| f.3.clone()).collect();
    Ok(v)
}

/// `p` with only the columns `cols` (in that order), reading the key range `range` of column
/// `cols[0]` when given.
fn subset(p: &Prepared, cols: &[usize], range: Option<(Option<i128>, Option<i128>)>) -> Prepared {
    let mut q = p.clone();
    q.columns = cols.iter().map(|&i| p.columns[i].clone()).collect();
    q.target_columns = cols.iter().map(|&i| p.target_columns[i].clone()).collect();
    q.lobs = cols
        .iter()
        .map(|&i| p.lobs.get(i).copied().unwrap_or(false))
        .collect();
    q.source_exprs = cols
        .iter()
        .map(|&i| p.source_exprs.get(i).cloned().flatten())
        .collect();
    q.range = range.map(|(from, to)| KeyRange {
        column: 0,
        from,
        to,
    });
    q
}

/// Reads `p` from both sides in key order and compares row by row. Rows whose first key value
/// `skip` returns true for are passed over; without `count_missing`, rows on one side only are
/// passed over too (another pass counts them).
async fn merge(
    source: &Connection,
    target: &Connection,
    p: &Prepared,
    skip: &(dyn Fn(i128) -> bool + Sync),
    count_missing: bool,
    v: &mut Validation,
    failures: &mut Failures,
) -> Result<()> {
    let Some(key) = integer_key(p) else {
        return Ok(());
    };
    // Qualified with the table: PostgreSQL names `col::text` after the column, and an
    // unqualified ORDER BY would sort that text.
    let src_table = super::source::source_table(source.endpoint.engine, p);
    let order_src: Vec<String> = key
        .iter()
        .map(|&i| {
            format!(
                "{src_table}.{}",
                quote(source.endpoint.engine, &p.columns[i].0)
            )
        })
        .collect();
    let order_tgt: Vec<String> = key
        .iter()
        .map(|&i| {
            format!(
                "{}.{}",
                p.target_sql,
                quote(target.endpoint.engine, &p.target_columns[i])
            )
        })
        .collect();
    let src_sql = format!(
        "{} ORDER BY {}",
        super::source::select(source.endpoint.engine, p),
        order_src.join(", ")
    );
    let tgt_sql = format!(
        "{} ORDER BY {}",
        target_select(target.endpoint.engine, p),
        order_tgt.join(", ")
    );
    let n = p.columns.len();
    let mut sr = Reader::spawn(source, &p.label, src_sql, n, 2_000);
    let mut tr = Reader::spawn(target, &p.target_sql, tgt_sql, n, 2_000);
    let mut sbuf: std::collections::VecDeque<Vec<Option<String>>> = Default::default();
    let mut tbuf: std::collections::VecDeque<Vec<Option<String>>> = Default::default();
    let mut s_done = false;
    let mut t_done = false;
    let keytext = |row: &[Option<String>]| {
        key.iter()
            .map(|&i| row[i].clone().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(",")
    };
    let skipped = |row: &[Option<String>]| skip(key_of(row, &key)[0]);
    let note =
        |failures: &mut Failures, row: &[Option<String>], what, cols: String, values: String| {
            if failures.len() < KEEP {
                failures.push((keytext(row), what, cols, values));
            }
        };
    loop {
        if sbuf.is_empty() && !s_done {
            match sr.next().await {
                Some(b) => sbuf.extend(b),
                None => s_done = true,
            }
        }
        if tbuf.is_empty() && !t_done {
            match tr.next().await {
                Some(b) => tbuf.extend(b),
                None => t_done = true,
            }
        }
        let (s, t) = (sbuf.front(), tbuf.front());
        let only = match (s, t) {
            (None, None) if s_done && t_done => break,
            (None, None) => continue,
            (Some(_), None) if !t_done => continue,
            (None, Some(_)) if !s_done => continue,
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (Some(s), Some(t)) => match key_of(s, &key).cmp(&key_of(t, &key)) {
                std::cmp::Ordering::Less => Some(true),
                std::cmp::Ordering::Greater => Some(false),
                std::cmp::Ordering::Equal => None,
            },
        };
        match (only, s, t) {
            (Some(true), Some(s), _) => {
                if count_missing && !skipped(s) {
                    v.missing += 1;
                    note(
                        failures,
                        s,
                        "missing on target",
                        String::new(),
                        String::new(),
                    );
                }
                sbuf.pop_front();
            }
            (Some(false), _, Some(t)) => {
                if count_missing && !skipped(t) {
                    v.extra += 1;
                    note(failures, t, "extra on target", String::new(), String::new());
                }
                tbuf.pop_front();
            }
            (None, Some(s), Some(t)) => {
                if !skipped(s) {
                    let (diff, values) = compare_row(p, s, t);
                    if !diff.is_empty() {
                        v.different += 1;
                        note(failures, s, "different", diff.join(", "), values.join("; "));
                    }
                }
                sbuf.pop_front();
                tbuf.pop_front();
            }
            _ => {}
        }
    }
    sr.finish().await?;
    tr.finish().await?;
    Ok(())
}

/// The columns whose values differ between row `s` as read from the source and row `t` as read
/// back from the target (what the load would have written compared with what the target
/// holds), with their values on each side (`col: source 'a', target 'b'`).
fn compare_row(
    p: &Prepared,
    s: &[Option<String>],
    t: &[Option<String>],
) -> (Vec<String>, Vec<String>) {
    let mut diff = vec![];
    let mut values = vec![];
    for (i, (sv, tv)) in s.iter().zip(t.iter()).enumerate() {
        let (_, _, from, to) = p.columns[i];
        // What the load would have written (zero dates to NULL, LOBs cut...).
        let mut sv = sv.clone();
        p.as_written(i, &mut sv);
        let written = to_target(sv.as_deref(), from, to).unwrap_or(None);
        // A char(n) read back without its padding, as `::text` would give it.
        let tv = tv.as_deref().map(|v| as_read(v, to));
        if normalise(written.as_deref(), to) != normalise(tv, to) {
            diff.push(p.target_columns[i].clone());
            values.push(format!(
                "{}: source {}, target {}",
                p.target_columns[i],
                shown(written.as_deref()),
                shown(tv)
            ));
        }
    }
    (diff, values)
}

/// The SELECT reading `p`'s columns on the target (`engine`) as canonical text.
fn target_select(engine: Engine, p: &Prepared) -> String {
    target_select_of(engine, p, |(c, name)| select_expr(engine, name, c.3))
}

/// The SELECT reading `p`'s columns on a PostgreSQL target as they are, for rows hashed as
/// binary tuples (`Digest::as_is`).
fn target_select_as_is(p: &Prepared) -> String {
    target_select_of(Engine::Postgres, p, |(_, name)| {
        quote(Engine::Postgres, name)
    })
}

fn target_select_of(
    engine: Engine,
    p: &Prepared,
    column: impl Fn((&(String, String, Kind, Kind), &String)) -> String,
) -> String {
    let cols: Vec<String> = p
        .columns
        .iter()
        .zip(&p.target_columns)
        .map(column)
        .collect();
    format!(
        "SELECT {} FROM {}{}",
        cols.join(", "),
        p.target_sql,
        super::sink::target_filter(engine, p)
    )
}

/// Rows per checksummed key range.
pub(super) const SEGMENT_ROWS: i64 = 10_000;
/// Differing ranges compared one by one; with more, the whole table is compared in one pass.
const DRILL_MAX: usize = 16;

/// Keeps failures in `tugboat_validation_failures` (replacing the table's earlier ones).
async fn record(
    target: &Connection,
    task: &str,
    table: &str,
    failures: &[(String, &str, String, String)],
) -> Result<()> {
    let lit = |s: &str| crate::engines::values::text_literal(target.endpoint.engine, s);
    let q = |e: sqlx::Error| {
        crate::error::Error::query(target.endpoint.label(), "recording validation failures", &e)
    };
    target
        .execute(&format!(
            "DELETE FROM tugboat_validation_failures WHERE task = {} AND table_name = {}",
            lit(task),
            lit(table)
        ))
        .await
        .map_err(q)?;
    let rows: Vec<String> = failures
        .iter()
        .map(|(k, f, c, _)| {
            format!(
                "({}, {}, {}, {}, {})",
                lit(task),
                lit(table),
                lit(k),
                lit(f),
                lit(c)
            )
        })
        .collect();
    target
        .execute(&format!(
            "INSERT INTO tugboat_validation_failures (task, table_name, key_value, failure, columns_differing) VALUES {}",
            rows.join(", ")
        ))
        .await
        .map_err(q)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_compares_as_values_whatever_its_spelling() {
        // MariaDB keeps JSON as written; PostgreSQL's jsonb orders keys, decodes escapes and
        // writes numbers as numerics.
        assert_eq!(
            normal(
                r#"{"b": [1e3, 0.1, "\u00e9", 2.50, 1.0, -0], "a": null}"#,
                Kind::Json
            ),
            normal(
                r#"{"a": null, "b": [1000, 0.1, "é", 2.5, 1, 0]}"#,
                Kind::Json
            )
        );
        assert_ne!(normal("[1.5]", Kind::Json), normal("[1.25]", Kind::Json));
        assert_ne!(
            normal(r#"{"a": 1}"#, Kind::Json),
            normal(r#"{"a": "1"}"#, Kind::Json)
        );
    }

    #[test]
    fn spellings_of_the_same_value_compare_equal() {
        let n = |v: &str, k| normalise(Some(v), k);
        assert_eq!(n("00FF", Kind::Binary), n("00ff", Kind::Binary));
        assert_eq!(
            n("{\"b\":1, \"a\": [1,2]}", Kind::Json),
            n("{\"a\": [1, 2], \"b\": 1}", Kind::Json)
        );
        assert_eq!(n("1.50", Kind::Decimal), n("1.5", Kind::Decimal));
        assert_ne!(n("1.51", Kind::Decimal), n("1.5", Kind::Decimal));
        assert_eq!(n("t", Kind::Bool), n("1", Kind::Bool));
        assert_eq!(
            n("2024-01-02 03:04:05.500000+00", Kind::TimestampTz),
            n("2024-01-02 03:04:05.5", Kind::TimestampTz)
        );
        assert_eq!(n("0.1", Kind::Float), n("0.10000000000000000", Kind::Float));
        assert_eq!(
            n("0044-03-15 10:00:00.125000+00 BC", Kind::TimestampTz),
            n("0044-03-15 10:00:00.125 BC", Kind::TimestampTz)
        );
        assert_ne!(
            n("0044-03-15 10:00:00 BC", Kind::Timestamp),
            n("0044-03-15 10:00:00", Kind::Timestamp)
        );
        assert_eq!(n("00101", Kind::BitString), n("101", Kind::BitString));
    }
}
