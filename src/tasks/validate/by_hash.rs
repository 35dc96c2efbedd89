//! Tables whose key is not made of integers, or that have no key, compared down to the row.
//!
//! Such a key's order can differ between engines (text under another collation, a case-blind
//! one on MySQL), so a key range read on one side is not the same rows on the other. Instead
//! each side places every row in a segment by a hash of its key's values as compared
//! ([`Segments::Hashed`]; of the whole row without a key): the same row lands in the same
//! segment whatever the engine, and sums per segment say which segments differ. Only those
//! segments' rows are then kept, read from both sides in any order, and matched by key (by their
//! whole value without a key, counted: a row twice on one side is one row too many there), so a
//! changed value, a missing or an extra row is found down to its key as with integer keys.

use std::collections::{HashMap, HashSet};

use super::{Failures, KEEP, Method, Validation, compare_row, shown, target_select};
use crate::endpoints::Connection;
use crate::error::Result;
use crate::tasks::Prepared;
use crate::tasks::digest::{Digest, Hasher, Segments, Side};
use crate::tasks::source::Reader;

/// Rows kept per side at most, over the differing segments compared: beyond, the segments left
/// are said to differ without their rows.
const DRILL_ROWS: u64 = 200_000;

/// Rows of the segments compared, by key as compared: every row with that key on one side.
type Kept = HashMap<Vec<u8>, Vec<Vec<Option<String>>>>;

/// Every batch of `p`'s rows read from `conn` by `sql`, handed to `each` with a hasher of
/// `side` in segments `key`; the hasher at the end.
async fn read<'p>(
    conn: &Connection,
    p: &'p Prepared,
    (side, key): (Side, Segments),
    sql: String,
    mut each: impl FnMut(&mut Hasher<'p>, &crate::engines::rows::Rows),
) -> Result<Hasher<'p>> {
    let what = if side == Side::Written {
        &p.label
    } else {
        &p.target_sql
    };
    let mut reader = Reader::spawn(conn, what, sql, p.columns.len(), 10_000);
    let mut h = Hasher::new(p, side, Some(key));
    while let Some(rows) = reader.next_rows().await {
        each(&mut h, &rows);
    }
    reader.finish().await?;
    Ok(h)
}

/// Every row of `p` read from `conn` by `sql` and hashed from `side` into segments `key`.
async fn digest_of(
    conn: &Connection,
    p: &Prepared,
    side: Side,
    key: Segments,
    sql: String,
) -> Result<Digest> {
    let h = read(conn, p, (side, key), sql, |h, rows| h.add(rows)).await?;
    Ok(h.finish())
}

/// Compares `p` on both sides, every row read from each and hashed by key
/// ([`Method::Hashed`]); the segments that differ compared row by row.
pub(super) async fn compare(
    source: &Connection,
    target: &Connection,
    p: &Prepared,
    v: &mut Validation,
    failures: &mut Failures,
) -> Result<()> {
    let key = Segments::hashed(Some(v.source_rows.max(v.target_rows)));
    let src_sql = crate::tasks::source::select(source.endpoint.engine, p);
    let tgt_sql = target_select(target.endpoint.engine, p);
    let (a, b) = tokio::join!(
        digest_of(source, p, Side::Written, key, src_sql),
        digest_of(target, p, Side::Stored, key, tgt_sql)
    );
    let (a, b) = (a?, b?);
    v.method = Method::Hashed {
        segments: a.segment_count(&b),
        differing: a.differing(&b).len() as u64,
        read_back: false,
    };
    drill(source, target, p, (&a, &b), v, failures).await
}

/// Finds the rows of the segments where `sums` (rows as written or on the source, rows on the
/// target) differ: both sides read again, the rows of those segments kept (at most
/// [`DRILL_ROWS`] a side; the segments beyond said to differ) and matched by key.
pub(super) async fn drill(
    source: &Connection,
    target: &Connection,
    p: &Prepared,
    sums: (&Digest, &Digest),
    v: &mut Validation,
    failures: &mut Failures,
) -> Result<()> {
    let Some(key) = sums.0.key else {
        v.checksum_differs = true;
        return Ok(());
    };
    let differing = sums.0.differing(sums.1);
    let rows_in = |d: &Digest, s: &i128| d.segments.get(s).map_or(0, |x| x.rows);
    let mut chosen = HashSet::new();
    let mut kept = 0u64;
    for s in &differing {
        let n = rows_in(sums.0, s).max(rows_in(sums.1, s));
        if !chosen.is_empty() && kept + n > DRILL_ROWS {
            break;
        }
        chosen.insert(*s);
        kept += n;
    }
    if chosen.is_empty() {
        return Ok(());
    }
    let src_sql = crate::tasks::source::select(source.endpoint.engine, p);
    let tgt_sql = target_select(target.endpoint.engine, p);
    let (a, b) = tokio::join!(
        rows_of(source, p, Side::Written, key, &chosen, src_sql),
        rows_of(target, p, Side::Stored, key, &chosen, tgt_sql)
    );
    match_rows(p, &a?, &b?, v, failures);
    let left = differing.len() - chosen.len();
    if left > 0 {
        v.checksum_differs = true;
        tracing::warn!(target: "tugboat::tasks::validate", "{}: {left} more of its segments differ; their rows were not compared one by one (the first {} were)", p.label, chosen.len());
    }
    Ok(())
}

/// The rows of `p` on `conn` (read by `sql`, placed from `side`) in the segments `chosen`.
async fn rows_of(
    conn: &Connection,
    p: &Prepared,
    side: Side,
    key: Segments,
    chosen: &HashSet<i128>,
    sql: String,
) -> Result<Kept> {
    let mut kept = Kept::new();
    read(conn, p, (side, key), sql, |h, rows| {
        for r in 0..rows.len() {
            let (segment, _) = h.place(rows, r);
            if chosen.contains(&segment) {
                kept.entry(h.key().to_vec())
                    .or_default()
                    .push(rows.row_vec(r));
            }
        }
    })
    .await?;
    Ok(kept)
}

/// Matches the kept rows of the source (`a`) and the target (`b`) by key: rows paired on a key
/// are compared value by value; the rest are missing on the target or extra there.
fn match_rows(p: &Prepared, a: &Kept, b: &Kept, v: &mut Validation, failures: &mut Failures) {
    let key_cols = crate::tasks::digest::key_columns(p);
    let name = |row: &[Option<String>]| -> String {
        if key_cols.is_empty() {
            let all: Vec<String> = row.iter().map(|x| shown(x.as_deref())).collect();
            let s = format!("({})", all.join(", "));
            if s.chars().count() > 200 {
                format!("{}…", s.chars().take(200).collect::<String>())
            } else {
                s
            }
        } else {
            (0..row.len())
                .filter(|&i| key_cols[i])
                .map(|i| row[i].clone().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(",")
        }
    };
    let mut keys: Vec<&Vec<u8>> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let empty = vec![];
    for k in keys {
        let (s, t) = (a.get(k).unwrap_or(&empty), b.get(k).unwrap_or(&empty));
        let mut note = |row: &[Option<String>], what, cols: String, values: String| {
            if failures.len() < KEEP {
                failures.push((name(row), what, cols, values));
            }
        };
        for (sr, tr) in s.iter().zip(t) {
            let (cols, values) = compare_row(p, sr, tr);
            if !cols.is_empty() {
                v.different += 1;
                note(sr, "different", cols.join(", "), values.join("; "));
            }
        }
        for sr in s.iter().skip(t.len()) {
            v.missing += 1;
            note(sr, "missing on target", String::new(), String::new());
        }
        for tr in t.iter().skip(s.len()) {
            v.extra += 1;
            note(tr, "extra on target", String::new(), String::new());
        }
    }
}
