//! Moving rows: a worker per table (or key range), each copy a reader and a writer
//! (`tasks::copy`, with its retries), and the validation that follows each table.

use std::sync::Arc;
use std::time::Instant;

use super::copy::{copy, with_retries};
use super::progress::{Share, Totals};
use super::*;
use crate::endpoints::Connection;
use crate::error::{Error, Result};
use values::Kind;

/// What every table worker of a run shares.
pub(super) struct Ctx {
    pub(super) task: String,
    pub(super) source: Connection,
    pub(super) target: Connection,
    pub(super) settings: Settings,
    pub(super) events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    pub(super) cancel: Arc<std::sync::atomic::AtomicBool>,
    /// One permit per copy (a table, or one key range of a table) or validation running.
    pub(super) sem: Arc<tokio::sync::Semaphore>,
    /// A connection was lost for good (retries exhausted): post-data is not attempted.
    pub(super) lost: std::sync::atomic::AtomicBool,
    /// Rows are hashed as they are written, and validation compares the target with that
    /// ([`super::digest`]): `--validate rows` of a load no replication changes afterwards.
    pub(super) digests: bool,
    /// A SQLite target is one file with one writer: a long read there (a table read back for
    /// its validation) holds a writer's commit off past its busy timeout ("database is
    /// locked"). Each copy holds this shared; a SQLite target's validation holds it alone.
    pub(super) file: tokio::sync::RwLock<()>,
    /// One permit per table whose slices read in a snapshot one source session holds open
    /// ([`super::slices`]): a bound on the source's connections so held.
    pub(super) snapshots: Arc<tokio::sync::Semaphore>,
}

impl Ctx {
    pub(super) fn new(
        task: &Task,
        source: &Connection,
        target: &Connection,
        events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
        cancel: &Arc<std::sync::atomic::AtomicBool>,
        replicated: bool,
    ) -> Arc<Ctx> {
        Arc::new(Ctx {
            task: task.name.clone(),
            source: source.clone(),
            target: target.clone(),
            settings: task.settings.clone(),
            events: events.clone(),
            cancel: cancel.clone(),
            sem: Arc::new(tokio::sync::Semaphore::new(
                task.settings.max_parallel_tables.max(1),
            )),
            lost: Default::default(),
            digests: !replicated && task.settings.validate == ValidateMode::Rows,
            file: tokio::sync::RwLock::new(()),
            snapshots: Arc::new(tokio::sync::Semaphore::new(super::slices::SHARED_SNAPSHOTS)),
        })
    }

    pub(super) fn cancelled(&self) -> bool {
        self.cancel.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Loads one table, then validates it while other tables still load.
pub(super) async fn table_worker(ctx: Arc<Ctx>, p: Prepared) -> TableResult {
    // Taken by the load once it knows the table needs loading: a table loaded by an earlier
    // run is skipped (and replication told it is ready) without waiting for one.
    let mut permit = None;
    let mut r = load_table(&ctx, &p, &mut permit).await;
    let validate = ctx.settings.validate != ValidateMode::None;
    // Both counts (full scans) run while the target builds the key: the rows do not change.
    // A table loaded in key ranges was counted range by range as they were loaded.
    let mut counts = r.counted.map(|(s, t)| (Ok(s), Ok(t)));
    if r.state == TableState::Completed
        && !ctx.cancelled()
        && let Some(sql) = &p.key_sql
    {
        // A table loaded in one copy keeps its permit for its key: a small table loaded beside
        // a big one gets its key (and its replicated changes) without waiting behind the big
        // one's ranges.
        let _permit = match permit.take() {
            Some(p) => Some(p),
            // A table skipped has its key from the earlier run, mostly: a look, no build.
            None if r.skipped => None,
            None => ctx.sem.clone().acquire_owned().await.ok(),
        };
        let hashed = r.digest.is_some();
        let count = async {
            if validate && counts.is_none() && !hashed {
                let (s, t) =
                    tokio::join!(source::count(&ctx.source, &p), sink::count(&ctx.target, &p));
                Some((s, t))
            } else {
                None
            }
        };
        let (key, count) = tokio::join!(ensure_key(&ctx, &p, sql), count);
        if count.is_some() {
            counts = count;
        }
        if let Err(e) = key {
            tracing::error!(target: "tugboat::tasks", "{}: {e}", p.label);
            (ctx.events)(TaskEvent::TableFailed {
                table: p.label.clone(),
                error: e.to_string(),
            });
            r.error = Some(e.to_string());
            r.state = TableState::Error;
        }
    }
    drop(permit);
    if r.state == TableState::Completed && !ctx.cancelled() {
        (ctx.events)(TaskEvent::TableReady {
            table: p.label.clone(),
        });
    }
    if ctx.settings.validate != ValidateMode::None
        && r.state == TableState::Completed
        && !ctx.cancelled()
    {
        let _permit = ctx.sem.clone().acquire_owned().await.ok();
        let _alone = match ctx.target.endpoint.engine {
            crate::endpoints::Engine::Sqlite => Some(ctx.file.write().await),
            _ => None,
        };
        if let Err(e) = validate_table(&ctx, &p, &mut r, counts).await {
            r.error = Some(e.to_string());
            r.state = TableState::Error;
        }
        validated(&ctx, &p, &r);
    }
    r
}

/// Builds the primary key of a loaded table unless it has one (an earlier run built it).
pub(super) async fn ensure_key(ctx: &Ctx, p: &Prepared, sql: &str) -> Result<()> {
    let t = &ctx.target;
    let started = Instant::now();
    let built = crate::engines::of(t.endpoint.engine)
        .key_after_load(t, &p.target_sql, sql)
        .await?;
    if built {
        tracing::info!(target: "tugboat::tasks", "{}: primary key built in {:.1} s", p.label, started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Counts (and with [`ValidateMode::Rows`] compares) one loaded table.
/// `counts`: the source's and the target's counts when they were already taken.
pub(super) async fn validate_table(
    ctx: &Ctx,
    p: &Prepared,
    r: &mut TableResult,
    counts: Option<(Result<i64>, Result<i64>)>,
) -> Result<()> {
    // Rows of other sources there, and nothing telling this task's apart: any comparison
    // would call them extra. (A comparison by a task that writes nothing there, of a table
    // one task writes, compares that task's rows.)
    let writers = p.shared_with.len()
        + usize::from(state::writes(&ctx.target, &ctx.task, &p.target_sql).await?);
    if p.owner().is_none() && writers > 1 {
        tracing::warn!(target: "tugboat::tasks", "{}: not validated: task {} writes {} too, and this task has no source column telling its rows apart (add a source-column rule to validate each source's rows)", p.label, p.shared_with.join(", "), p.target_sql);
        return Ok(());
    }
    if ctx.settings.validate == ValidateMode::Rows
        && let Some(d) = r.digest.take()
    {
        let v = validate::against_digest(&ctx.task, &ctx.source, &ctx.target, p, &d).await?;
        r.validation = Some((v.source_rows, v.target_rows));
        r.validation_detail = Some(v);
        return Ok(());
    }
    let (sc, tc) = match counts {
        Some(c) => c,
        // Both sides at once: each is a full scan on most engines.
        None => tokio::join!(source::count(&ctx.source, p), sink::count(&ctx.target, p)),
    };
    let (sc, tc) = (sc?, tc?);
    r.validation = Some((sc, tc));
    if ctx.settings.validate == ValidateMode::Rows {
        r.validation_detail =
            Some(validate::validate(&ctx.task, &ctx.source, &ctx.target, p, sc, tc).await?);
    }
    Ok(())
}

/// Key ranges for a table big enough to load in parallel ([`key_ranges`]), as recorded.
pub(super) async fn split(ctx: &Ctx, p: &Prepared) -> Result<Vec<state::RangeState>> {
    let ranges = key_ranges(&ctx.source, ctx.settings.partition_rows, p).await?;
    let n = ranges.len();
    Ok(ranges
        .into_iter()
        .enumerate()
        .map(|(part, r)| state::RangeState {
            part,
            parts: n,
            from: r.from,
            to: r.to,
            state: state::Stored::Queued,
            rows: 0,
        })
        .collect())
}

/// Key ranges for a table big enough to load in parallel (none: loaded whole): its first
/// primary-key column must be an integer; the span between its smallest and largest value is
/// cut into equal ranges of about `per` rows each (at most 16). The first and last ranges
/// are open, so no row is left out whatever the values.
pub(crate) async fn key_ranges(
    source: &Connection,
    per: u64,
    p: &Prepared,
) -> Result<Vec<KeyRange>> {
    let est = p.estimated_rows.unwrap_or(0).max(0) as u64;
    if per == 0 || est < per.saturating_mul(2) {
        return Ok(vec![]);
    }
    let Some(column) = key_column(p) else {
        return Ok(vec![]);
    };
    let engine = source.endpoint.engine;
    let Some((lo, hi)) = source::key_span(
        source,
        &source::source_table(engine, p),
        &source::where_clause(engine, p),
        &values::quote(engine, &p.columns[column].0),
    )
    .await?
    else {
        return Ok(vec![]);
    };
    let parts = (est.div_ceil(per)).clamp(2, 16) as i128;
    let width = (hi - lo + 1) / parts;
    if width < 1 {
        return Ok(vec![]);
    }
    let n = parts as usize;
    Ok((0..n)
        .map(|k| KeyRange {
            column,
            from: (k > 0).then(|| lo + width * k as i128),
            to: (k + 1 < n).then(|| lo + width * (k as i128 + 1)),
        })
        .collect())
}

/// `p` with its rows hashed as they are written ([`super::digest`]): in segments of about
/// 10,000 rows of its first key column when that holds integers, else by a hash of its key. Without
/// the key's span (the source did not say), not hashed: validated as without digests.
async fn with_digest(ctx: &Ctx, p: &Prepared) -> Prepared {
    let mut q = p.clone();
    let Some(k) = key_column(p) else {
        q.digest = Some(Some(super::digest::Segments::hashed(p.estimated_rows)));
        return q;
    };
    let engine = ctx.source.endpoint.engine;
    let span = source::key_span(
        &ctx.source,
        &source::source_table(engine, p),
        &source::where_clause(engine, p),
        &values::quote(engine, &p.columns[k].0),
    )
    .await;
    let (lo, width) = match span {
        Ok(Some((lo, hi))) => {
            let span = (hi - lo).saturating_add(1).max(1);
            let rows = match p.estimated_rows {
                Some(n) if n > 0 => n as i128,
                _ => span.min(10_000_000),
            };
            let segments = (rows / validate::SEGMENT_ROWS as i128).max(1);
            (lo, (span / segments).max(1))
        }
        Ok(None) => (0, 1),
        Err(e) => {
            tracing::debug!(target: "tugboat::tasks", "{}: rows not hashed while loading ({e}): validated by reading both sides", p.label);
            return q;
        }
    };
    q.digest = Some(Some(super::digest::Segments::Integer {
        column: k,
        lo,
        width,
    }));
    q
}

/// The first primary-key column, when it holds integers on the source.
pub(crate) fn key_column(p: &Prepared) -> Option<usize> {
    let first = p.plan.table.primary_key.as_ref()?.columns.first()?;
    let i = p
        .columns
        .iter()
        .position(|c| c.0.eq_ignore_ascii_case(first))?;
    (p.columns[i].2 == Kind::Integer).then_some(i)
}

/// Refuses to empty a target table another task has loaded rows into (several sources
/// consolidated into one table): emptying it would remove them. A task with a source column
/// empties only its own rows, and is refused only when another task writes the same value.
async fn refuse_shared(
    target: &crate::endpoints::Connection,
    task: &str,
    p: &Prepared,
) -> Result<()> {
    let others = state::other_owners(target, task, &p.target_sql).await?;
    let value = p.owner().map(|o| o.1);
    let clash: Vec<String> = others
        .iter()
        .filter(|w| value.is_none() || w.value.as_deref() == value)
        .map(ToString::to_string)
        .collect();
    if clash.is_empty() {
        return Ok(());
    }
    let reason = match value {
        Some(v) => format!(
            "task {} writes the rows of source value {v} in this table too: each source of a consolidation needs its own value",
            clash.join(", ")
        ),
        None => format!(
            "task {} loaded rows into this table too: emptying it for task {task} would remove them. Tasks consolidating several sources into one table each add a source column (a source-column rule), and then empty and reload only their own rows",
            clash.join(", ")
        ),
    };
    Err(crate::error::Error::Invalid {
        what: format!("{} ({})", p.target_sql, p.label),
        reason,
    })
}

pub(super) async fn load_table(
    ctx: &Ctx,
    p: &Prepared,
    permit: &mut Option<tokio::sync::OwnedSemaphorePermit>,
) -> TableResult {
    let (task, s, events) = (ctx.task.as_str(), &ctx.settings, &ctx.events);
    let target = &ctx.target;
    let mut result = blank_result(p);
    if ctx.cancelled() {
        result.state = TableState::Cancelled;
        return result;
    }
    let previous = state::get(target, task, &p.label).await;
    let started_before = matches!(&previous, Ok(Some(_)));
    match previous {
        Ok(Some((st, rows)))
            if st == state::Stored::Completed && s.prepare != Prepare::DropAndCreate =>
        {
            result.state = TableState::Completed;
            result.rows = rows as u64;
            result.skipped = true;
            events(TaskEvent::TableSkipped {
                table: p.label.clone(),
                rows: rows as u64,
            });
            return result;
        }
        Ok(_) => {}
        Err(e) => {
            result.state = TableState::Error;
            result.error = Some(e.to_string());
            return result;
        }
    }
    *permit = ctx.sem.clone().acquire_owned().await.ok();
    let started = Instant::now();
    let mut q = if ctx.digests {
        with_digest(ctx, p).await
    } else {
        p.clone()
    };
    q.raw = super::raw::decide(ctx, &q).await;
    let p = &q;
    if ctx.cancelled() {
        result.state = TableState::Cancelled;
        return result;
    }
    events(TaskEvent::TableStarted {
        table: p.label.clone(),
    });
    // Never empty a table whose rows another task loaded too: refused before this task's state
    // says anything of it (a load with do-nothing then goes on).
    if (s.prepare != Prepare::DoNothing || started_before || p.owner().is_some())
        && let Err(e) = refuse_shared(target, task, p).await
    {
        result.state = TableState::Error;
        result.error = Some(e.to_string());
        events(TaskEvent::TableFailed {
            table: p.label.clone(),
            error: e.to_string(),
        });
        return result;
    }
    result.state = TableState::FullLoad;
    let outcome = async {
        // Ranges (or slices of a key) of an unfinished earlier run are kept (with their
        // bounds): only the ranges that did not finish are emptied and loaded again.
        let resumable = started_before && s.prepare != Prepare::DropAndCreate;
        let kept = if resumable {
            state::ranges(target, task, &p.label).await?
        } else {
            vec![]
        };
        let mut slices = if resumable && kept.is_empty() {
            state::slices(target, task, &p.label).await?
        } else {
            vec![]
        };
        let resumed = super::slices::resume(ctx, p, &slices);
        let ranges = if kept.is_empty() && resumed.is_none() {
            state::set(target, task, &p.label, state::Stored::Loading, 0).await?;
            state::claim(target, task, &p.target_sql, p.owner().map(|o| o.1)).await?;
            // A table that is not known to be complete is emptied first: a reload never
            // doubles rows.
            if s.prepare != Prepare::DoNothing || started_before {
                sink::empty(target, p).await?;
            }
            state::clear_slices(target, task, &p.label).await?;
            slices.clear();
            let fresh = split(ctx, p).await?;
            state::set_ranges(target, task, &p.label, &fresh).await?;
            fresh
        } else {
            kept
        };
        if ranges.is_empty() {
            let plan = match resumed {
                Some(plan) => Some(plan),
                None => super::slices::plan(ctx, p).await,
            };
            if let Some(plan) = plan {
                drop(permit.take());
                if super::slices::one_by_one(ctx, &plan) {
                    // Each slice retried alone, its rows found on the target by key.
                    return super::slices::load_slices(ctx, p, plan, slices).await;
                }
                let plan = &plan;
                // Page slices' rows cannot be told apart on the target (nor a key's into
                // PostgreSQL, without the key there yet, under the log policy): a failure
                // loads the whole table again.
                return with_retries(ctx, &p.label, |attempt| async move {
                    if attempt > 0 {
                        sink::empty(target, p).await?;
                    }
                    super::slices::load_slices(ctx, p, plan.clone(), vec![]).await
                })
                .await;
            }
            return with_retries(ctx, &p.label, |attempt| async move {
                if attempt > 0 {
                    sink::empty(target, p).await?;
                }
                copy(ctx, p, |rows, bytes| {
                    events(TaskEvent::Progress {
                        table: p.label.clone(),
                        rows,
                        bytes,
                    })
                })
                .await
            })
            .await;
        }
        drop(permit.take());
        load_ranges(ctx, p, ranges).await
    }
    .await;
    result.seconds = started.elapsed().as_secs_f64();
    match outcome {
        Ok(_) if ctx.cancelled() => {
            result.state = TableState::Cancelled;
        }
        Ok(w) => {
            let (rows, zero_dates) = (w.rows, w.zero_dates);
            if w.exceptions > 0 {
                tracing::warn!(target: "tugboat::tasks", "{}: {} rows refused by the target, kept in tugboat_apply_exceptions", p.label, w.exceptions);
                events(TaskEvent::RowsRefused {
                    table: p.label.clone(),
                    rows: w.refused.clone(),
                    total: w.exceptions,
                });
            }
            let how = if w.as_lines == rows && rows > 0 {
                " (the source's COPY rows passed as they are)"
            } else {
                ""
            };
            tracing::info!(target: "tugboat::tasks", "{}: {rows} rows loaded in {:.1} s{how}", p.label, result.seconds);
            result.rows = rows;
            result.rows_as_lines = w.as_lines;
            result.zero_dates = zero_dates;
            result.lobs_truncated = w.lobs_truncated;
            result.nuls_removed = w.nuls_removed;
            if w.nuls_removed > 0 {
                tracing::warn!(target: "tugboat::tasks", "{}: NUL characters removed from {} text values", p.label, w.nuls_removed);
            }
            if w.lobs_truncated > 0 {
                tracing::warn!(target: "tugboat::tasks", "{}: {} LOB values cut to the LOB limit", p.label, w.lobs_truncated);
            }
            result.exceptions = w.exceptions;
            result.collisions = w.collisions;
            result.counted = w.counted;
            result.digest = w.digest;
            if w.collisions > 0 {
                tracing::warn!(target: "tugboat::tasks", "{}: {} rows collided with rows of other sources (task {} writes the table too), kept in tugboat_apply_exceptions", p.label, w.collisions, p.shared_with.join(", "));
            }
            match state::set(
                target,
                task,
                &p.label,
                state::Stored::Completed,
                rows as i64,
            )
            .await
            {
                Ok(()) => {
                    result.state = TableState::Completed;
                    events(TaskEvent::TableDone {
                        table: p.label.clone(),
                        rows,
                        seconds: result.seconds,
                        zero_dates,
                        lobs_truncated: w.lobs_truncated,
                        nuls_removed: w.nuls_removed,
                    });
                }
                Err(e) => {
                    result.state = TableState::Error;
                    result.error = Some(e.to_string());
                }
            }
        }
        Err(e) => {
            tracing::error!(target: "tugboat::tasks", "{}: {e}", p.label);
            result.state = TableState::Error;
            result.error = Some(e.to_string());
            // The table is reloaded next time whatever this says; a failure to record it is
            // told, not dropped (the target may be what failed).
            if let Err(x) = state::set(target, task, &p.label, state::Stored::Error, 0).await {
                tracing::warn!(target: "tugboat::tasks", "{}: its error state was not recorded: {x}", p.label);
            }
            if s.error_policy == ErrorPolicy::StopTask {
                // Every other table stops at its next batch.
                ctx.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            events(TaskEvent::TableFailed {
                table: p.label.clone(),
                error: e.to_string(),
            });
        }
    }
    result
}

/// Loads the unfinished key ranges of a table, each as its own copy (one permit each), side by
/// side or one after another as the target takes them best; the rows of ranges finished by an
/// earlier run count in the totals.
pub(super) async fn load_ranges(
    ctx: &Ctx,
    p: &Prepared,
    ranges: Vec<state::RangeState>,
) -> Result<sink::Written> {
    let Some(column) = key_column(p) else {
        return Err(Error::InvalidEndpoint {
            endpoint: ctx.source.endpoint.label(),
            reason: format!("{}: the key column of its ranges is gone", p.label),
        });
    };
    let parts = ranges.len();
    let done_before: Vec<&state::RangeState> = ranges
        .iter()
        .filter(|r| r.state == state::Stored::Completed)
        .collect();
    let mut total = sink::Written {
        rows: done_before.iter().map(|r| r.rows as u64).sum(),
        ..Default::default()
    };
    let totals = Arc::new(Totals::from_rows(total.rows));
    // Each range counted on both sides as soon as it is loaded, while the others load (a full
    // count after the last range was most of the end of a big table's load: 4.7 s of TPC-H
    // lineitem on MariaDB). Not when ranges were loaded by an earlier run.
    // (Rows hashed as written need no counts: the comparison counts both sides.)
    let counting =
        ctx.settings.validate != ValidateMode::None && done_before.is_empty() && p.digest.is_none();
    // Rows of ranges an earlier run loaded were not hashed: no digest of the table then.
    let mut digest =
        (p.digest.is_some() && done_before.is_empty()).then(super::digest::Digest::default);
    let counts = std::sync::Mutex::new(vec![]);
    let counts = &counts;
    let finished = Arc::new(std::sync::atomic::AtomicUsize::new(done_before.len()));
    (ctx.events)(TaskEvent::Ranges {
        table: p.label.clone(),
        parts,
        done: done_before.len(),
    });
    let work = ranges
        .into_iter()
        .filter(|r| r.state != state::Stored::Completed)
        .map(|r| {
            let (totals, finished) = (totals.clone(), finished.clone());
            let mut q = p.clone();
            q.range = Some(KeyRange {
                column,
                from: r.from,
                to: r.to,
            });
            async move {
                let _permit = ctx.sem.clone().acquire_owned().await.ok();
                if ctx.cancelled() {
                    return Ok(sink::Written::default());
                }
                let (task, label) = (ctx.task.as_str(), p.label.as_str());
                state::set_range(&ctx.target, task, label, r.part, state::Stored::Loading, 0).await?;
                if r.state != state::Stored::Queued {
                    sink::empty(&ctx.target, &q).await?;
                }
                // This range's rows and bytes so far, in the table's totals.
                let share = Share::default();
                let (q, share, totals) = (&q, &share, &totals);
                let outcome = with_retries(ctx, label, |attempt| async move {
                    if attempt > 0 {
                        // Loaded again from the start: what it had counted is taken back.
                        totals.take_back(share);
                        sink::empty(&ctx.target, q).await?;
                    }
                    copy(ctx, q, |r_rows, r_bytes| {
                        let (rows, bytes) = totals.add(share, r_rows, r_bytes);
                        (ctx.events)(TaskEvent::Progress {
                            table: label.to_string(),
                            rows,
                            bytes,
                        });
                    })
                    .await
                })
                .await;
                if let Ok(w) = &outcome
                    && counting
                    && !ctx.cancelled()
                    && let Ok(mut c) = counts.lock()
                {
                    // Counted beside the next range's load. (A range with rows refused is
                    // compared whole at the end.)
                    c.push(if w.exceptions == 0 {
                        let (src, dst, q) = (ctx.source.clone(), ctx.target.clone(), q.clone());
                        Some(tokio::spawn(async move {
                            let (sc, tc) = tokio::join!(source::count(&src, &q), sink::count(&dst, &q));
                            sc.ok().zip(tc.ok())
                        }))
                    } else {
                        None
                    });
                }
                match &outcome {
                    Ok(w) if !ctx.cancelled() => {
                        state::set_range(
                            &ctx.target,
                            task,
                            label,
                            r.part,
                            state::Stored::Completed,
                            w.rows as i64,
                        )
                        .await?;
                        let done = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        (ctx.events)(TaskEvent::Ranges {
                            table: label.to_string(),
                            parts,
                            done,
                        });
                    }
                    Ok(_) => {}
                    Err(_) => {
                        if let Err(x) = state::set_range(&ctx.target, task, label, r.part, state::Stored::Error, 0).await {
                            tracing::warn!(target: "tugboat::tasks", "{label}: range {}'s error state was not recorded: {x}", r.part);
                        }
                        if ctx.settings.error_policy == ErrorPolicy::StopTask {
                            ctx.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
                outcome
            }
        });
    let side_by_side = crate::engines::of(ctx.target.endpoint.engine).writes_ranges_side_by_side();
    let outcomes = if side_by_side {
        futures_util::future::join_all(work).await
    } else {
        let mut out = vec![];
        for w in work {
            out.push(w.await);
        }
        out
    };
    if counting {
        let pending: Vec<_> = counts
            .lock()
            .map(|mut c| c.drain(..).collect())
            .unwrap_or_default();
        // Every range counted, or the table is counted whole at the end.
        let mut sum = (pending.len() == parts).then_some((0i64, 0i64));
        for h in pending {
            let got = match h {
                Some(h) => h.await.ok().flatten(),
                None => None,
            };
            sum = sum.zip(got).map(|((a, b), (x, y))| (a + x, b + y));
        }
        total.counted = sum;
    }
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
    match first_error {
        Some(e) => Err(e),
        None => Ok(total),
    }
}
