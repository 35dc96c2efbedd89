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

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

use super::load::{Ctx, copy};
use super::progress::Totals;
use super::*;
use crate::error::Result;
use values::Kind;

/// Sessions holding a snapshot other sessions read in: each is a source connection idle in its
/// transaction while the table's slices load.
pub(super) const SHARED_SNAPSHOTS: usize = 4;

/// How a table is sliced: page ranges known at once, or ranges of its key whose bounds are
/// found while the first slices load.
#[derive(Clone)]
pub(super) enum Plan {
    Pages(Vec<Slice>),
    Keys(KeyWalk),
}

impl Plan {
    /// Slices planned (a key walk may find fewer: a table smaller than estimated).
    fn parts(&self) -> usize {
        match self {
            Plan::Pages(s) => s.len(),
            Plan::Keys(w) => w.parts as usize,
        }
    }
}

/// The walk along a table's primary key that finds its slices' bounds, each the key of the
/// row `step` rows after the previous bound in key order.
#[derive(Clone)]
pub(super) struct KeyWalk {
    /// The key's columns, quoted.
    quoted: Vec<String>,
    /// The key's columns read as canonical text.
    canonical: Vec<String>,
    step: u64,
    parts: u64,
}

/// How table `p` is sliced (None: loaded in one stream): about `partition_rows` rows a slice,
/// 16 at most, when it has no integer key to load in key ranges and is big enough.
pub(super) async fn plan(ctx: &Ctx, p: &Prepared) -> Option<Plan> {
    let per = ctx.settings.partition_rows;
    let est = p.estimated_rows.unwrap_or(0).max(0) as u64;
    if per == 0 || est < per.saturating_mul(2) || p.range.is_some() || p.slice.is_some() {
        return None;
    }
    let parts = est.div_ceil(per).clamp(2, 16);
    let backend = crate::engines::of(ctx.source.endpoint.engine);
    let (schema, table) = (&p.plan.source_schema, &p.plan.source_table);
    if let Some(pages) = backend.pages(&ctx.source, schema, table).await {
        let s = page_slices(pages, parts);
        return (!s.is_empty()).then_some(Plan::Pages(s));
    }
    key_walk(ctx.source.endpoint.engine, p, parts, est).map(Plan::Keys)
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
            | Kind::Char
            | Kind::Date
            | Kind::Time
            | Kind::Timestamp
            | Kind::TimestampTz
    )
}

/// The walk along `p`'s primary key for `parts` slices of an `est`-row table; None when it has
/// no key, or one of a kind that does not split.
fn key_walk(engine: Engine, p: &Prepared, parts: u64, est: u64) -> Option<KeyWalk> {
    let key = p.plan.table.primary_key.as_ref()?;
    let mut cols = vec![];
    for name in &key.columns {
        let i = p
            .columns
            .iter()
            .position(|c| c.0.eq_ignore_ascii_case(name))?;
        let computed = p.source_exprs.get(i).is_some_and(Option::is_some);
        if !splits_by(p.columns[i].2) || computed {
            return None;
        }
        cols.push(i);
    }
    if cols.is_empty() {
        return None;
    }
    Some(KeyWalk {
        quoted: cols
            .iter()
            .map(|&i| values::quote(engine, &p.columns[i].0))
            .collect(),
        canonical: cols
            .iter()
            .map(|&i| values::select_expr(engine, &p.columns[i].0, p.columns[i].2))
            .collect(),
        step: (est / parts).max(1),
        parts,
    })
}

/// The next bound of walk `w` after `prev` (None: from the start): the key `w.step` rows on in
/// key order; None past the table's end.
async fn next_bound(
    ctx: &Ctx,
    p: &Prepared,
    w: &KeyWalk,
    prev: Option<Vec<String>>,
) -> Result<Option<Vec<String>>> {
    let engine = ctx.source.endpoint.engine;
    let after = Slice::Keys {
        columns: w.quoted.clone(),
        from: prev,
        to: None,
    };
    let mut conds = source::filter_conditions(engine, &p.plan.filters);
    conds.extend(after.conditions(engine));
    let sql = format!(
        "SELECT {} FROM {}{} ORDER BY {} LIMIT 1 OFFSET {}",
        w.canonical.join(", "),
        source::source_table(engine, p),
        source::where_of(&conds),
        w.quoted.join(", "),
        w.step
    );
    let rows = ctx
        .source
        .query(
            &format!("finding where the slices of {} end", p.label),
            &sql,
        )
        .await?;
    Ok(rows.first().and_then(|row| {
        (0..w.quoted.len())
            .map(|i| row.at(i).map(str::to_string))
            .collect()
    }))
}

/// The slices of `plan`, as a stream: a key walk's each as soon as its upper bound is found
/// (its rows load while the walk goes on); the last open, so every row is in one. A walk
/// that fails ends there, its last slice open (said in the log).
fn slice_stream<'a>(
    ctx: &'a Ctx,
    p: &'a Prepared,
    plan: Plan,
) -> futures_util::stream::BoxStream<'a, Slice> {
    use futures_util::StreamExt;
    match plan {
        Plan::Pages(s) => futures_util::stream::iter(s).boxed(),
        Plan::Keys(w) => {
            futures_util::stream::unfold(Some((None, 1u64)), move |at| {
                let w = w.clone();
                async move {
                    let (prev, k) = at?;
                    let columns = w.quoted.clone();
                    let open = |from| Slice::Keys {
                        columns: columns.clone(),
                        from,
                        to: None,
                    };
                    if k >= w.parts {
                        return Some((open(prev), None));
                    }
                    match next_bound(ctx, p, &w, prev.clone()).await {
                        Ok(Some(b)) => {
                            let s = Slice::Keys {
                                columns: columns.clone(),
                                from: prev,
                                to: Some(b.clone()),
                            };
                            Some((s, Some((Some(b), k + 1))))
                        }
                        Ok(None) => Some((open(prev), None)),
                        Err(e) => {
                            tracing::warn!(target: "tugboat::tasks", "{}: its last slice holds the rest of the table: {e}", p.label);
                            Some((open(prev), None))
                        }
                    }
                }
            })
            .boxed()
        }
    }
}

/// Loads table `p` in the slices of `plan`, each as its own copy (one permit each), side by
/// side or one after another as the target takes them best. Page slices read in one snapshot
/// shared by all; without one (the source would not export it), the table is read in one
/// stream.
pub(super) async fn load_slices(ctx: &Ctx, p: &Prepared, plan: Plan) -> Result<sink::Written> {
    use futures_util::StreamExt;
    let pages = matches!(plan, Plan::Pages(_));
    let backend = crate::engines::of(ctx.source.endpoint.engine);
    // (Only PostgreSQL shares snapshots: no permit taken for the others.)
    let (_holding, shared) = if ctx.source.endpoint.engine == Engine::Postgres {
        let permit = ctx.snapshots.clone().acquire_owned().await.ok();
        (permit, backend.share_snapshot(&ctx.source).await)
    } else {
        (None, None)
    };
    let label = p.label.as_str();
    let progress = |rows, bytes| {
        (ctx.events)(TaskEvent::Progress {
            table: label.to_string(),
            rows,
            bytes,
        })
    };
    if pages && shared.is_none() {
        tracing::info!(target: "tugboat::tasks", "{label}: loaded in one stream: the source shares no snapshot to read its pages in");
        let _permit = ctx.sem.clone().acquire_owned().await.ok();
        return copy(ctx, p, progress).await;
    }
    let planned = plan.parts();
    tracing::info!(target: "tugboat::tasks", "{label}: loaded in {planned} slices side by side ({}){}", if pages { "page ranges" } else { "ranges of its primary key" }, if shared.is_some() { ", all read in one snapshot" } else { "" });
    let totals = Totals::default();
    let (started, finished) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let snapshot = shared.as_ref().map(|s| s.id.clone());
    let ranges = |done| {
        (ctx.events)(TaskEvent::Ranges {
            table: label.to_string(),
            parts: started.load(Relaxed).max(planned),
            done,
        })
    };
    ranges(0);
    let work = slice_stream(ctx, p, plan).map(|s| {
        let mut q = p.clone();
        q.slice = Some(s);
        q.snapshot = snapshot.clone();
        let (totals, finished, ranges, started) = (&totals, &finished, &ranges, &started);
        started.fetch_add(1, Relaxed);
        async move {
            let _permit = ctx.sem.clone().acquire_owned().await.ok();
            if ctx.cancelled() {
                return Ok(sink::Written::default());
            }
            let share = Default::default();
            let w = copy(ctx, &q, |rows, bytes| {
                let (rows, bytes) = totals.add(&share, rows, bytes);
                progress(rows, bytes);
            })
            .await;
            if w.is_ok() && !ctx.cancelled() {
                ranges(finished.fetch_add(1, Relaxed) + 1);
            } else if w.is_err() && ctx.settings.error_policy == ErrorPolicy::StopTask {
                ctx.cancel.store(true, Relaxed);
            }
            w
        }
    });
    let side_by_side = crate::engines::of(ctx.target.endpoint.engine).writes_ranges_side_by_side();
    let width = if side_by_side { 16 } else { 1 };
    let outcomes: Vec<_> = work.buffer_unordered(width).collect().await;
    drop(shared);
    // The slices found, once the walk is done (fewer than planned in a smaller table).
    let found = started.load(Relaxed);
    if found != planned {
        (ctx.events)(TaskEvent::Ranges {
            table: label.to_string(),
            parts: found,
            done: finished.load(Relaxed),
        });
    }
    let mut total = sink::Written::default();
    let mut digest = p.digest.is_some().then(super::digest::Digest::default);
    for w in outcomes {
        total.absorb(w?, &mut digest);
    }
    total.digest = digest;
    Ok(total)
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
