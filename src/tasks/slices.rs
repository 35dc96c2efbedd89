//! Tables without an integer key loaded in slices side by side, so that no big table is one
//! stream: a PostgreSQL source's table by page ranges (CTID), all read in one snapshot that
//! the first session exports and the others take (as PeerDB and pgcopydb do), and other
//! sources' tables by boundaries of their primary key sampled in key order.
//!
//! A slice's rows are picked on the source only ([`Slice::conditions`]): its rows cannot be
//! told apart on the target (pages do not carry over, and another engine may order the key by
//! another collation). So a slice is never emptied, counted or retried alone: a failure loads
//! the whole table again, and a run stopped in the middle of a table loads that table whole on
//! the next run, as a table loaded in one stream is.

use std::sync::Arc;

use super::load::{Ctx, Totals, copy};
use super::*;
use crate::error::Result;
use values::Kind;

/// Sessions holding a snapshot other sessions read in: each is a source connection idle in its
/// transaction while the table's slices load.
pub(super) const SHARED_SNAPSHOTS: usize = 4;

/// The slices of table `p` (none: loaded in one stream): about `partition_rows` rows each, 16
/// at most, when the table has no integer key to load in key ranges and is big enough.
pub(super) async fn slices(ctx: &Ctx, p: &Prepared) -> Vec<Slice> {
    let per = ctx.settings.partition_rows;
    let est = p.estimated_rows.unwrap_or(0).max(0) as u64;
    if per == 0 || est < per.saturating_mul(2) || p.range.is_some() || p.slice.is_some() {
        return vec![];
    }
    let parts = est.div_ceil(per).clamp(2, 16);
    let backend = crate::engines::of(ctx.source.endpoint.engine);
    let (schema, table) = (&p.plan.source_schema, &p.plan.source_table);
    if let Some(pages) = backend.pages(&ctx.source, schema, table).await {
        return page_slices(pages, parts);
    }
    match key_slices(ctx, p, parts, est).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(target: "tugboat::tasks", "{}: loaded in one stream (its key's boundaries were not read: {e})", p.label);
            vec![]
        }
    }
}

/// `parts` equal page ranges of a table of `pages` pages; the first and last open, so rows on
/// pages added since are read too.
fn page_slices(pages: u64, parts: u64) -> Vec<Slice> {
    let width = pages / parts;
    if width == 0 {
        return vec![];
    }
    (0..parts)
        .map(|k| Slice::Pages {
            from: (k > 0).then_some(k * width),
            to: (k + 1 < parts).then_some((k + 1) * width),
        })
        .collect()
}

/// Whether a key column of kind `k` orders its values as a text literal of them compares on
/// the source (binary, floats, JSON and the like do not split well, or at all).
fn splits_by(k: Kind) -> bool {
    matches!(
        k,
        Kind::Integer
            | Kind::Decimal
            | Kind::Text
            | Kind::Date
            | Kind::Time
            | Kind::Timestamp
            | Kind::TimestampTz
    )
}

/// Slices by the table's primary key: each boundary the key of the row about `est / parts`
/// rows after the previous one in key order (one walk of the key's index in all).
async fn key_slices(ctx: &Ctx, p: &Prepared, parts: u64, est: u64) -> Result<Vec<Slice>> {
    let Some(key) = &p.plan.table.primary_key else {
        return Ok(vec![]);
    };
    let engine = ctx.source.endpoint.engine;
    let mut cols = vec![];
    for name in &key.columns {
        match p
            .columns
            .iter()
            .position(|c| c.0.eq_ignore_ascii_case(name))
        {
            Some(i)
                if splits_by(p.columns[i].2)
                    && p.source_exprs.get(i).is_none_or(Option::is_none) =>
            {
                cols.push(i)
            }
            _ => return Ok(vec![]),
        }
    }
    if cols.is_empty() {
        return Ok(vec![]);
    }
    let quoted: Vec<String> = cols
        .iter()
        .map(|&i| values::quote(engine, &p.columns[i].0))
        .collect();
    let canonical: Vec<String> = cols
        .iter()
        .map(|&i| values::select_expr(engine, &p.columns[i].0, p.columns[i].2))
        .collect();
    let step = (est / parts).max(1);
    let mut bounds: Vec<Vec<String>> = vec![];
    for _ in 1..parts {
        let after = Slice::Keys {
            columns: quoted.clone(),
            from: bounds.last().cloned(),
            to: None,
        };
        let mut q = p.clone();
        q.slice = Some(after);
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY {} LIMIT 1 OFFSET {step}",
            canonical.join(", "),
            source::source_table(engine, &q),
            source::where_clause(engine, &q),
            quoted.join(", ")
        );
        let rows = ctx
            .source
            .query(&format!("sampling the key of {}", p.label), &sql)
            .await?;
        let Some(row) = rows.first() else { break };
        let Some(bound) = (0..cols.len())
            .map(|i| row.at(i).map(str::to_string))
            .collect::<Option<Vec<String>>>()
        else {
            break;
        };
        bounds.push(bound);
    }
    if bounds.is_empty() {
        return Ok(vec![]);
    }
    let n = bounds.len() + 1;
    Ok((0..n)
        .map(|k| Slice::Keys {
            columns: quoted.clone(),
            from: (k > 0).then(|| bounds[k - 1].clone()),
            to: (k + 1 < n).then(|| bounds[k].clone()),
        })
        .collect())
}

/// Loads table `p` in `slices`, each as its own copy (one permit each), side by side or one
/// after another as the target takes them best. Page slices read in one snapshot shared by
/// all; without one (the source would not export it), the table is read in one stream.
pub(super) async fn load_slices(
    ctx: &Ctx,
    p: &Prepared,
    slices: Vec<Slice>,
) -> Result<sink::Written> {
    let pages = matches!(slices.first(), Some(Slice::Pages { .. }));
    let backend = crate::engines::of(ctx.source.endpoint.engine);
    let sharing = ctx.source.endpoint.engine == crate::endpoints::Engine::Postgres;
    let _holding = match sharing {
        true => ctx.snapshots.clone().acquire_owned().await.ok(),
        false => None,
    };
    let shared = match sharing {
        true => backend.share_snapshot(&ctx.source).await,
        false => None,
    };
    let label = p.label.as_str();
    if pages && shared.is_none() {
        tracing::info!(target: "tugboat::tasks", "{label}: loaded in one stream: the source shares no snapshot to read its pages in");
        let _permit = ctx.sem.clone().acquire_owned().await.ok();
        return copy(ctx, p, |rows, bytes| {
            (ctx.events)(TaskEvent::Progress {
                table: label.to_string(),
                rows,
                bytes,
            })
        })
        .await;
    }
    let parts = slices.len();
    tracing::info!(target: "tugboat::tasks", "{label}: loaded in {parts} slices side by side ({}){}", if pages { "page ranges" } else { "ranges of its primary key" }, if shared.is_some() { ", all read in one snapshot" } else { "" });
    let totals = Arc::new(Totals::default());
    let finished = std::sync::atomic::AtomicUsize::new(0);
    (ctx.events)(TaskEvent::Ranges {
        table: p.label.clone(),
        parts,
        done: 0,
    });
    let work = slices.into_iter().map(|s| {
        let mut q = p.clone();
        q.slice = Some(s);
        q.snapshot = shared.as_ref().map(|s| s.id.clone());
        let (totals, finished) = (totals.clone(), &finished);
        async move {
            let _permit = ctx.sem.clone().acquire_owned().await.ok();
            if ctx.cancelled() {
                return Ok(sink::Written::default());
            }
            let share = Default::default();
            let w = copy(ctx, &q, |rows, bytes| {
                let (rows, bytes) = totals.add(&share, rows, bytes);
                (ctx.events)(TaskEvent::Progress {
                    table: label.to_string(),
                    rows,
                    bytes,
                });
            })
            .await;
            if w.is_ok() && !ctx.cancelled() {
                let done = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                (ctx.events)(TaskEvent::Ranges {
                    table: label.to_string(),
                    parts,
                    done,
                });
            } else if w.is_err() && ctx.settings.error_policy == ErrorPolicy::StopTask {
                ctx.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            w
        }
    });
    let outcomes = if backend_side_by_side(ctx) {
        futures_util::future::join_all(work).await
    } else {
        let mut out = vec![];
        for w in work {
            out.push(w.await);
        }
        out
    };
    drop(shared);
    let mut total = sink::Written::default();
    let mut digest = p.digest.is_some().then(super::digest::Digest::default);
    for w in outcomes {
        total.absorb(w?, &mut digest);
    }
    total.digest = digest;
    Ok(total)
}

/// Whether the target writes a table's parts side by side.
fn backend_side_by_side(ctx: &Ctx) -> bool {
    crate::engines::of(ctx.target.endpoint.engine).writes_ranges_side_by_side()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_slices_cover_every_page_once() {
        let s = page_slices(1000, 3);
        assert_eq!(
            s,
            vec![
                Slice::Pages {
                    from: None,
                    to: Some(333)
                },
                Slice::Pages {
                    from: Some(333),
                    to: Some(666)
                },
                Slice::Pages {
                    from: Some(666),
                    to: None
                },
            ]
        );
        assert!(page_slices(2, 3).is_empty());
    }

    #[test]
    fn key_slices_meet_without_gap_or_overlap() {
        let cols = vec!["\"a\"".to_string(), "\"b\"".to_string()];
        let bound = Some(vec!["x'1".to_string(), "7".to_string()]);
        let lower = Slice::Keys {
            columns: cols.clone(),
            from: None,
            to: bound.clone(),
        };
        let upper = Slice::Keys {
            columns: cols,
            from: bound,
            to: None,
        };
        assert_eq!(
            lower.conditions(crate::endpoints::Engine::Postgres),
            vec![
                "\"a\" <= 'x''1' AND (\"a\" < 'x''1' OR (\"a\" = 'x''1' AND \"b\" < '7'))"
                    .to_string()
            ]
        );
        assert_eq!(
            upper.conditions(crate::endpoints::Engine::Postgres),
            vec![
                "\"a\" >= 'x''1' AND (\"a\" > 'x''1' OR (\"a\" = 'x''1' AND \"b\" >= '7'))"
                    .to_string()
            ]
        );
    }
}
