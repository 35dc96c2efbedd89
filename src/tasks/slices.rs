//! Tables without an integer key loaded in slices side by side, so that no big table is one
//! stream: a PostgreSQL source's table by page ranges (CTID), all read in one snapshot that
//! the first session exports and the others take (as PeerDB and pgcopydb do), and other
//! sources' tables by boundaries of their primary key sampled in key order.
//!
//! A slice's rows are picked on the source ([`Slice::conditions`]). Slices of a key are
//! recorded (`tugboat_slice_state`) in key order as the walk finds them: a slice that fails is
//! retried alone, and a run that stops loads again only the slices that did not finish. Into
//! PostgreSQL each slice is one COPY whose transaction also records the slice finished, so a
//! slice not recorded finished has none of its rows there. Into MySQL and SQLite (a
//! transaction per batch) its rows are emptied first by key ([`empty_slice`]): the slice's
//! keys read from the source, deleted on the target by equality, since another engine may
//! order the key by another collation and a range there would not be the same rows. Page
//! ranges do not carry over (another run reads another snapshot, where rows may have moved to
//! other pages): a table in page slices (or of a key into PostgreSQL under `--error-policy
//! log`, a transaction per batch) that fails, or a run stopped in the middle of one, loads the
//! whole table again.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

use super::copy::{copy, with_retries};
use super::load::Ctx;
use super::progress::Totals;
use super::*;
use crate::error::Result;
use values::Kind;

/// Sessions holding a snapshot other sessions read in: each is a source connection idle in its
/// transaction while the table's slices load.
pub(crate) const SHARED_SNAPSHOTS: usize = 4;

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
    /// The key's columns, by position among the table's columns as loaded.
    columns: Vec<usize>,
    /// The key's columns, quoted.
    quoted: Vec<String>,
    /// The key's columns read as canonical text.
    canonical: Vec<String>,
    step: u64,
    parts: u64,
}

impl KeyWalk {
    /// The slice of the rows from key `from` up to `to`.
    fn slice(&self, from: Option<Vec<String>>, to: Option<Vec<String>>) -> Slice {
        Slice::Keys {
            columns: self.quoted.clone(),
            from,
            to,
        }
    }
}

/// How table `p` is sliced (None: loaded in one stream): about `partition_rows` rows a slice,
/// 16 at most, when it has no integer key to load in key ranges and is big enough.
pub(super) async fn plan(ctx: &Ctx, p: &Prepared) -> Option<Plan> {
    plan_for(&ctx.source, ctx.settings.partition_rows, p).await
}

/// [`plan`] of a table read from `source`, about `per` rows a slice.
async fn plan_for(source: &Connection, per: u64, p: &Prepared) -> Option<Plan> {
    let est = p.estimated_rows.unwrap_or(0).max(0) as u64;
    if per == 0 || est < per.saturating_mul(2) || p.range.is_some() || p.slice.is_some() {
        return None;
    }
    let parts = est.div_ceil(per).clamp(2, 16);
    let backend = crate::engines::of(source.endpoint.engine);
    let (schema, table) = (&p.plan.source_schema, &p.plan.source_table);
    if let Some(pages) = backend.pages(source, schema, table).await {
        let s = page_slices(pages, parts);
        return (!s.is_empty()).then_some(Plan::Pages(s));
    }
    key_walk(source.endpoint.engine, p, parts, est).map(Plan::Keys)
}

/// The slices a table without an integer key is read in side by side by a target that writes
/// each on its own (a lake's load), all found before any is read: PostgreSQL page ranges (to be
/// read in one snapshot, [`Slice::Pages`]), or ranges of another key found by walking it; none
/// when the table is small or does not split. A walk that fails ends there, its last slice
/// open (said in the log).
pub(crate) async fn slices_of(source: &Connection, per: u64, p: &Prepared) -> Vec<Slice> {
    let w = match plan_for(source, per, p).await {
        None => return vec![],
        Some(Plan::Pages(s)) => return s,
        Some(Plan::Keys(w)) => w,
    };
    let mut out = vec![];
    let mut prev = None;
    for _ in 1..w.parts {
        match next_bound(source, p, &w, prev.clone()).await {
            Ok(Some(b)) => {
                out.push(w.slice(prev, Some(b.clone())));
                prev = Some(b);
            }
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(target: "tugboat::tasks", "{}: its last slice holds the rest of the table: {e}", p.label);
                break;
            }
        }
    }
    if out.is_empty() {
        return vec![];
    }
    out.push(w.slice(prev, None));
    out
}

/// The primary key's columns of `p` as a walk along it quotes them (what its slices'
/// [`Slice::Keys`] hold); None when it does not split by key.
pub(crate) fn walk_columns(engine: Engine, p: &Prepared) -> Option<Vec<String>> {
    key_walk(engine, p, 2, 2).map(|w| w.quoted)
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
        columns: cols.clone(),
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
    source: &Connection,
    p: &Prepared,
    w: &KeyWalk,
    prev: Option<Vec<String>>,
) -> Result<Option<Vec<String>>> {
    let after = w.slice(prev, None);
    let sql = format!(
        "{} ORDER BY {} LIMIT 1 OFFSET {}",
        keys_sql(source.endpoint.engine, p, w, &after),
        w.quoted.join(", "),
        w.step
    );
    let rows = source
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

/// One slice to load: its place in the table, its rows, and whether an earlier run may have
/// written some of them (emptied first).
struct Part {
    part: usize,
    slice: Slice,
    again: bool,
}

/// The slices of `plan`, as a stream: the unfinished slices an earlier run recorded (`kept`),
/// then a key walk's each as soon as its upper bound is found (its rows load while the walk
/// goes on), from the last bound recorded; the last open, so every row is in one. A walk that
/// fails ends there, its last slice open (said in the log).
fn slice_stream<'a>(
    ctx: &'a Ctx,
    p: &'a Prepared,
    plan: Plan,
    (kept, record): (&[state::SliceState], Option<usize>),
) -> futures_util::stream::BoxStream<'a, Result<Part>> {
    use futures_util::StreamExt;
    let w = match plan {
        Plan::Pages(s) => {
            let parts = s.into_iter().enumerate().map(|(part, slice)| {
                Ok(Part {
                    part,
                    slice,
                    again: false,
                })
            });
            return futures_util::stream::iter(parts).boxed();
        }
        Plan::Keys(w) => w,
    };
    let again: Vec<Result<Part>> = kept
        .iter()
        .filter(|k| k.state != state::Stored::Completed)
        .map(|k| {
            Ok(Part {
                part: k.part,
                slice: w.slice(k.from.clone(), k.to.clone()),
                again: true,
            })
        })
        .collect();
    // Where the walk goes on: after the last slice found (none: it had reached the end).
    let start = match kept.last() {
        None => Some((None, 1u64)),
        Some(last) => last.to.clone().map(|b| (Some(b), kept.len() as u64 + 1)),
    };
    let walk = futures_util::stream::unfold(start, move |at| {
        let w = w.clone();
        async move {
            let (prev, k) = at?;
            let part = (k - 1) as usize;
            let (to, next) = if k >= w.parts {
                (None, None)
            } else {
                match next_bound(&ctx.source, p, &w, prev.clone()).await {
                    Ok(Some(b)) => (Some(b.clone()), Some((Some(b), k + 1))),
                    Ok(None) => (None, None),
                    Err(e) => {
                        tracing::warn!(target: "tugboat::tasks", "{}: its last slice holds the rest of the table: {e}", p.label);
                        (None, None)
                    }
                }
            };
            // Recorded here, in key order, before any of its rows is written: the slices
            // recorded always meet without a gap, whenever the run stops.
            if let Some(planned) = record {
                let s = state::SliceState {
                    part,
                    parts: planned,
                    from: prev.clone(),
                    to: to.clone(),
                    state: state::Stored::Loading,
                    rows: 0,
                };
                let _file = ctx.file.read().await;
                if let Err(e) = state::set_slice(&ctx.target, &ctx.task, &p.label, &s).await {
                    return Some((Err(e), None));
                }
            }
            let slice = w.slice(prev, to);
            Some((
                Ok(Part {
                    part,
                    slice,
                    again: false,
                }),
                next,
            ))
        }
    });
    futures_util::stream::iter(again).chain(walk).boxed()
}

/// The walk along `p`'s key that slices recorded by an earlier run (`kept`) belong to: None
/// when its key is not one that slices any more (the table's key changed), and the table is
/// loaded afresh.
pub(super) fn resume(ctx: &Ctx, p: &Prepared, kept: &[state::SliceState]) -> Option<Plan> {
    let first = kept.first()?;
    // Slices numbered from 0 without a gap, each starting where the one before ended.
    let meet = kept.iter().enumerate().all(|(i, k)| {
        k.part == i && (i == 0 || kept[i - 1].to.is_some() && kept[i - 1].to == k.from)
    });
    if !meet || first.from.is_some() || !slices_load_alone(ctx) {
        return None;
    }
    let est = p.estimated_rows.unwrap_or(0).max(0) as u64;
    let w = key_walk(
        ctx.source.endpoint.engine,
        p,
        first.parts.max(2) as u64,
        est,
    )?;
    let width = w.quoted.len();
    let fits = |b: &Option<Vec<String>>| b.as_ref().is_none_or(|b| b.len() == width);
    kept.iter()
        .all(|k| fits(&k.from) && fits(&k.to))
        .then_some(Plan::Keys(w))
}

/// Whether the slices of `plan` are recorded and loaded again one by one: slices of a key, into
/// a target whose tables have their key while they load (MySQL, SQLite: a slice that may have
/// written rows is emptied by its keys first) or whose slices' records commit with their rows
/// ([`committed_with_rows`]: PostgreSQL, which gets a table's key once it is loaded, where
/// deleting a slice's keys would scan the whole table for each batch of them).
pub(super) fn one_by_one(ctx: &Ctx, plan: &Plan) -> bool {
    matches!(plan, Plan::Keys(_)) && slices_load_alone(ctx)
}

/// Whether a slice of a key can be loaded again alone on this target: its table has its key
/// while it loads (a slice is emptied by its keys first), or its record commits with its rows.
fn slices_load_alone(ctx: &Ctx) -> bool {
    !crate::engines::of(ctx.target.endpoint.engine).keys_after_load() || committed_with_rows(ctx)
}

/// Whether each slice's record commits in the transaction of its rows (PostgreSQL's COPY, one
/// stream per slice; not under `--error-policy log`, a transaction per batch): a slice not
/// recorded finished has none of its rows on the target, and is loaded again without emptying.
pub(super) fn committed_with_rows(ctx: &Ctx) -> bool {
    crate::engines::of(ctx.target.endpoint.engine).commits_with_rows()
        && ctx.settings.error_policy != ErrorPolicy::LogAndContinue
}

/// The SELECT of the keys (as canonical text) of `p`'s rows in slice `s` of walk `w`, on the
/// source, under the task's source filters.
fn keys_sql(engine: Engine, p: &Prepared, w: &KeyWalk, s: &Slice) -> String {
    let mut conds = source::filter_conditions(engine, &p.plan.filters);
    conds.extend(s.conditions(engine));
    format!(
        "SELECT {} FROM {}{}",
        w.canonical.join(", "),
        source::source_table(engine, p),
        source::where_of(&conds)
    )
}

/// Deletes from the target the rows of slice `s` of walk `w` as the source holds them: the
/// slice's keys read from the source and deleted on the target by equality, 500 at a time (a
/// range of the key would not be the same rows there: another engine may order it by another
/// collation). A row the source no longer has is not found so: it stays, and validation names
/// it.
async fn empty_slice(ctx: &Ctx, p: &Prepared, w: &KeyWalk, s: &Slice) -> Result<()> {
    let te = ctx.target.endpoint.engine;
    let sql = keys_sql(ctx.source.endpoint.engine, p, w, s);
    let mut reader = source::Reader::spawn(&ctx.source, &p.label, sql, w.columns.len(), 500);
    let names: Vec<String> = w
        .columns
        .iter()
        .map(|&i| values::quote(te, &p.target_columns[i]))
        .collect();
    while let Some(batch) = reader.next_rows().await {
        let keys: Vec<Vec<String>> = (0..batch.len())
            .map(|r| {
                w.columns
                    .iter()
                    .enumerate()
                    .map(|(j, &i)| {
                        let (_, _, from, to) = p.columns[i];
                        // The key as the load wrote it (NUL characters removed...).
                        let mut v = batch.get(r, j).map(str::to_string);
                        p.as_written(i, &mut v);
                        let v = values::to_target(v.as_deref(), from, to).unwrap_or(None);
                        values::sql_literal(te, v.as_deref(), to)
                    })
                    .collect()
            })
            .collect();
        if keys.is_empty() {
            continue;
        }
        let mut c: Vec<String> = p.owned_rows(te).into_iter().collect();
        c.push(crate::engines::of(te).in_list(&names, &keys));
        let sql = format!("DELETE FROM {}{}", p.target_sql, source::where_of(&c));
        ctx.target.execute(&sql).await.map_err(|e| {
            crate::error::Error::query(
                ctx.target.endpoint.label(),
                format!("emptying a slice of {}", p.target_sql),
                &e,
            )
        })?;
    }
    reader.finish().await
}

/// Loads table `p` in the slices of `plan`, each as its own copy (one permit each), side by
/// side or one after another as the target takes them best; slices of a key that an earlier
/// run recorded (`kept`) are skipped when finished and emptied and loaded again when not. Page
/// slices read in one snapshot shared by all; without one (the source would not export it),
/// the table is read in one stream.
pub(super) async fn load_slices(
    ctx: &Ctx,
    p: &Prepared,
    plan: Plan,
    kept: Vec<state::SliceState>,
) -> Result<sink::Written> {
    use futures_util::StreamExt;
    let pages = matches!(plan, Plan::Pages(_));
    // The walk, when its slices are recorded, emptied and retried one by one.
    let walk = match &plan {
        Plan::Keys(w) if one_by_one(ctx, &plan) => Some(w.clone()),
        _ => None,
    };
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
    let planned = kept.first().map_or(plan.parts(), |k| k.parts);
    let done: Vec<&state::SliceState> = kept
        .iter()
        .filter(|k| k.state == state::Stored::Completed)
        .collect();
    let done_rows: u64 = done.iter().map(|k| k.rows.max(0) as u64).sum();
    if kept.is_empty() {
        tracing::info!(target: "tugboat::tasks", "{label}: loaded in {planned} slices side by side ({}){}", if pages { "page ranges" } else { "ranges of its primary key" }, if shared.is_some() { ", all read in one snapshot" } else { "" });
    } else {
        tracing::info!(target: "tugboat::tasks", "{label}: resumed: {} of its slices finished by an earlier run ({done_rows} rows), {} loaded again, the rest of its key walked on", done.len(), kept.len() - done.len());
    }
    let totals = Totals::from_rows(done_rows);
    let (started, finished) = (AtomicUsize::new(done.len()), AtomicUsize::new(done.len()));
    let snapshot = shared.as_ref().map(|s| s.id.clone());
    let ranges = |done| {
        (ctx.events)(TaskEvent::Ranges {
            table: label.to_string(),
            parts: started.load(Relaxed).max(planned),
            done,
        })
    };
    ranges(done.len());
    let record = walk.is_some().then_some(planned);
    let work = slice_stream(ctx, p, plan, (&kept, record)).map(|part| {
        let (totals, finished, ranges, started) = (&totals, &finished, &ranges, &started);
        let walk = walk.as_ref();
        started.fetch_add(1, Relaxed);
        let snapshot = snapshot.clone();
        async move {
            let part = part?;
            let mut q = p.clone();
            q.slice = Some(part.slice.clone());
            q.snapshot = snapshot;
            let _permit = ctx.sem.clone().acquire_owned().await.ok();
            if ctx.cancelled() {
                return Ok(sink::Written::default());
            }
            let w = load_part(ctx, &q, walk, &part, planned, totals).await;
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
    let mut total = sink::Written {
        rows: done_rows,
        ..Default::default()
    };
    // Rows of slices an earlier run loaded were not hashed: no digest of the table then.
    let mut digest = (p.digest.is_some() && done.is_empty()).then(super::digest::Digest::default);
    let mut first_error = None;
    for w in outcomes {
        match w {
            Ok(w) => total.absorb(w, &mut digest),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    total.digest = digest;
    first_error.map_or(Ok(total), Err)
}

/// What a slice's copy reports: its rows and bytes (`share`) added to its table's `totals`.
fn reporter<'a>(
    ctx: &'a Ctx,
    label: &'a str,
    totals: &'a Totals,
    share: &'a super::progress::Share,
) -> impl FnMut(u64, u64) + 'a {
    move |rows, bytes| {
        let (rows, bytes) = totals.add(share, rows, bytes);
        (ctx.events)(TaskEvent::Progress {
            table: label.to_string(),
            rows,
            bytes,
        })
    }
}

/// Loads one slice (`q` reads its rows): a slice of a key (emptied first when an earlier run
/// may have written some of its rows), retried alone when a connection is
/// lost, and recorded finished or failed; a page slice as it is (the table is retried whole).
async fn load_part(
    ctx: &Ctx,
    q: &Prepared,
    walk: Option<&KeyWalk>,
    part: &Part,
    planned: usize,
    totals: &Totals,
) -> Result<sink::Written> {
    let (task, label) = (ctx.task.as_str(), q.label.as_str());
    let progress = |share| reporter(ctx, label, totals, share);
    let share = super::progress::Share::default();
    let (Some(w), Slice::Keys { from, to, .. }) = (walk, &part.slice) else {
        return copy(ctx, q, progress(&share)).await;
    };
    let record = |state, rows| state::SliceState {
        part: part.part,
        parts: planned,
        from: from.clone(),
        to: to.clone(),
        state,
        rows,
    };
    // (Recorded as loading by the walk that found it, or by the run before. The file lock of a
    // SQLite target is taken for each statement here, never across the copy, which takes it.)
    let atomic = committed_with_rows(ctx);
    if part.again && !atomic {
        let _file = ctx.file.read().await;
        empty_slice(ctx, q, w, &part.slice).await?;
    }
    let mut with_record = q.clone();
    if atomic {
        with_record.slice_record = Some((task.to_string(), record(state::Stored::Completed, 0)));
    }
    let (share, q) = (&share, &with_record);
    let outcome = with_retries(ctx, label, |attempt| async move {
        if attempt > 0 {
            // Loaded again from the start: what it had counted is taken back.
            totals.take_back(share);
            if !atomic {
                let _file = ctx.file.read().await;
                empty_slice(ctx, q, w, &part.slice).await?;
            }
        }
        copy(ctx, q, progress(share)).await
    })
    .await;
    let recorded = match &outcome {
        // (A slice whose rows commit with its record is recorded finished already.)
        Ok(_) if ctx.cancelled() || atomic => Ok(()),
        Ok(written) => {
            let done = record(state::Stored::Completed, written.rows as i64);
            let _file = ctx.file.read().await;
            state::set_slice(&ctx.target, task, label, &done).await
        }
        Err(_) => {
            let failed = record(state::Stored::Error, 0);
            let _file = ctx.file.read().await;
            state::set_slice(&ctx.target, task, label, &failed).await
        }
    };
    if let Err(x) = recorded {
        tracing::warn!(target: "tugboat::tasks", "{label}: slice {}'s state was not recorded: {x}", part.part + 1);
        if outcome.is_ok() {
            return Err(x);
        }
    }
    outcome
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
