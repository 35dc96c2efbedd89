//! Migration tasks: a full load of the selected tables from a source endpoint to a target
//! endpoint, in the background, reporting as it goes.
//!
//! The data path is sources → transforms → sinks, one table at a time per worker with a
//! bounded channel between the reader and the writer, so memory stays bounded by the batch
//! size, never by the table size: [`source`] streams canonical text rows out of PostgreSQL,
//! MySQL/MariaDB or SQLite; [`values`] fixes them up for the target's kinds; [`sink`] writes
//! them (PostgreSQL COPY, MySQL multi-row INSERTs, SQLite INSERTs in transactions). The target
//! schema can be created first through the schema converter (pre-data before the load,
//! post-data after it). Progress per table is recorded on the target in `tugboat_table_state`,
//! so a task started again skips finished tables and reloads unfinished ones cleanly (no
//! duplicates, no missing rows). After the load each table is validated ([`validate`]): counts,
//! then every row compared on its primary key.

pub mod deferred;
pub mod digest;
mod keys;
pub mod mappings;
pub mod progress;
pub mod replication;
pub mod sink;
pub mod source;
pub mod state;
pub mod validate;

use std::sync::Arc;

use std::time::Instant;
use tracing::Instrument;

use serde::{Deserialize, Serialize};

use crate::ddl::Dialect;
use crate::endpoints::{Connection, Engine};
use crate::engines::values::{self, Kind};
use crate::error::{Error, Result};
use mappings::{TableMappings, TablePlan};

mod copy;
mod load;
mod raw;
mod setup;
mod slices;
mod types;

use load::*;
pub(crate) use load::{key_column, key_ranges};
use setup::*;
pub use setup::{plan_tables, prepared};
pub(crate) use slices::{SHARED_SNAPSHOTS, slices_of, walk_columns};

pub use types::*;

fn engine_dialect(e: Engine) -> Dialect {
    Dialect::of_engine(e)
}

/// Runs a full load of `task` from `source` to `target`. `events` is called from the worker
/// tasks as the load goes; `cancel` stops the load between batches (tables not finished are
/// left in the Full load state and reloaded next time).
pub async fn run(
    task: &Task,
    source: &Connection,
    target: &Connection,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Summary> {
    run_with(task, source, target, events, cancel, false).await
}

/// [`run`]; `replicated`: a full-load-and-cdc task's load, with replication running beside it
/// (constraints that check existing rows wait until replication has caught up: see
/// [`deferred`]).
pub async fn run_with(
    task: &Task,
    source: &Connection,
    target: &Connection,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
    replicated: bool,
) -> Result<Summary> {
    let started = Instant::now();
    let s = &task.settings;
    let (report, prepared, left_out) =
        prepare(task, source, target, &events, s.create_schema, false).await?;
    events(TaskEvent::SchemaReady);
    // Keys of other tables that reference a table about to be emptied are set aside first, one
    // table after another (done by the parallel workers, PostgreSQL's ALTER TABLE locks
    // deadlocked against the loads).
    for p in &prepared {
        let emptied = match state::get(target, &task.name, &p.label).await? {
            Some((st, _)) => st != state::Stored::Completed || s.prepare == Prepare::DropAndCreate,
            None => s.prepare != Prepare::DoNothing,
        };
        if emptied {
            keys::detach(target, &task.name, p).await?;
        }
    }

    // Load: the biggest tables first (the longest one bounds the task), at most
    // `max_parallel_tables` copies at a time (a table loaded in key ranges counts one per range).
    let ctx = Ctx::new(task, source, target, &events, &cancel, replicated);
    let mut order: Vec<usize> = (0..prepared.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(prepared[i].estimated_rows.unwrap_or(0)));
    let mut handles = vec![];
    for i in order {
        let (ctx, p) = (ctx.clone(), prepared[i].clone());
        let span = tracing::info_span!("table", table = %p.label);
        handles.push((
            i,
            tokio::spawn(async move { table_worker(ctx, p).await }.instrument(span)),
        ));
    }
    let mut results = vec![];
    for (i, h) in handles {
        let r = h.await.map_err(|e| Error::InvalidEndpoint {
            endpoint: "task".into(),
            reason: format!("a table worker stopped: {e}"),
        })?;
        results.push((i, r));
    }
    results.sort_by_key(|r| r.0);
    let results: Vec<TableResult> = results.into_iter().map(|r| r.1).collect();
    let loaded: Vec<String> = results
        .iter()
        .filter(|r| r.state == TableState::Completed)
        .map(|r| r.source.clone())
        .collect();
    let lost = ctx.lost.load(std::sync::atomic::Ordering::Relaxed);
    // Keys set aside for reloaded tables (none when the target is gone: the next run does it).
    let mut schema_failures = if lost {
        vec![]
    } else {
        keys::reattach(target, &task.name, &loaded)
            .await
            .unwrap_or_else(|e| {
                vec![SchemaFailure {
                    object: "foreign keys set aside for reloaded tables".into(),
                    statement: String::new(),
                    error: format!("{e}; they are added back on the task's next run"),
                    deferred: false,
                }]
            })
    };
    if lost {
        let m = "keys, indexes and triggers (post-data) not created: a database stayed unreachable; run the task again to resume";
        tracing::warn!(target: "tugboat::tasks", "{m}");
        events(TaskEvent::Step(m.into()));
    } else if s.create_schema && !cancel.load(std::sync::atomic::Ordering::Relaxed) {
        events(TaskEvent::Step(
            "creating keys, indexes and triggers (post-data)".into(),
        ));
        let applied = if replicated {
            deferred::post_data(&report, target, &task.name).await?
        } else {
            crate::conversion::apply::apply(
                &report,
                target,
                Some(crate::assessment::Phase::PostData),
                false,
                |_, _| {},
            )
            .await
        };
        let later = if replicated {
            " (tried again once replication has caught up)"
        } else {
            ""
        };
        for a in &applied {
            if let crate::conversion::apply::StatementResult::Failed(e) = &a.result {
                if replicated {
                    tracing::warn!(target: "tugboat::tasks", "{}: {e}{later}", a.object);
                } else {
                    tracing::error!(target: "tugboat::tasks", "{}: {e}", a.object);
                }
                schema_failures.push(SchemaFailure {
                    object: a.object.clone(),
                    statement: a.sql.clone(),
                    error: e.clone(),
                    deferred: replicated,
                });
            }
        }
    }
    Ok(Summary {
        task: task.name.clone(),
        tables: results,
        seconds: started.elapsed().as_secs_f64(),
        peak_memory: memory_in_use().map(|m| m.1),
        schema_failures,
        left_out,
    })
}

/// Validates the selected tables already on the target against the source, loading nothing
/// (`tugboat validate`): counts, then checksums or rows as [`Settings::validate`] says, the
/// tables `max_parallel_tables` at a time.
pub async fn validate_only(
    task: &Task,
    source: &Connection,
    target: &Connection,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Summary> {
    let started = Instant::now();
    let (_, prepared, _) = prepare(task, source, target, &events, false, false).await?;
    (events)(TaskEvent::Step("validating".into()));
    let ctx = Ctx::new(task, source, target, &events, &cancel, true);
    let handles: Vec<_> = prepared
        .into_iter()
        .map(|p| {
            let ctx = ctx.clone();
            let span = tracing::info_span!("table", table = %p.label);
            tokio::spawn(
                async move {
                    let _permit = ctx.sem.clone().acquire_owned().await.ok();
                    let mut r = blank_result(&p);
                    if ctx.cancelled() {
                        r.state = TableState::Cancelled;
                        return r;
                    }
                    r.state = TableState::Completed;
                    let started = Instant::now();
                    (ctx.events)(TaskEvent::TableStarted {
                        table: p.label.clone(),
                    });
                    if let Err(e) = validate_table(&ctx, &p, &mut r, None).await {
                        r.error = Some(e.to_string());
                        r.state = TableState::Error;
                    }
                    r.rows = r.validation.map(|v| v.1.max(0) as u64).unwrap_or(0);
                    r.seconds = started.elapsed().as_secs_f64();
                    validated(&ctx, &p, &r);
                    r
                }
                .instrument(span),
            )
        })
        .collect();
    let mut tables = vec![];
    for h in handles {
        tables.push(h.await.map_err(|e| Error::InvalidEndpoint {
            endpoint: "task".into(),
            reason: format!("a validation worker stopped: {e}"),
        })?);
    }
    Ok(Summary {
        task: task.name.clone(),
        tables,
        seconds: started.elapsed().as_secs_f64(),
        peak_memory: memory_in_use().map(|m| m.1),
        schema_failures: vec![],
        left_out: vec![],
    })
}

/// Forgets what earlier runs of `task` recorded for `tables` (source `schema.table` names), so
/// the next run reloads them from scratch (DMS's reload table).
pub async fn reload(task: &str, target: &Connection, tables: &[String]) -> Result<()> {
    state::ensure(target).await?;
    for t in tables {
        state::reset(target, task, t).await?;
    }
    Ok(())
}

/// Reports a table's validation (an event and a log line).
fn validated(ctx: &Ctx, p: &Prepared, r: &TableResult) {
    report_validation(&ctx.events, p, r, Some("tugboat_validation_failures"));
}

/// Reports a table's validation: an event, and a log line that says where the differing rows
/// are kept (`kept_in`), or names the first of them.
pub(crate) fn report_validation(
    events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
    p: &Prepared,
    r: &TableResult,
    kept_in: Option<&str>,
) {
    events(TaskEvent::Validated {
        table: p.label.clone(),
        source_rows: r.validation.map(|v| v.0).unwrap_or(0),
        target_rows: r.validation.map(|v| v.1).unwrap_or(0),
        state: r.validation_state().to_string(),
        mismatched: r.mismatched(),
        // The columns that differ, with their values on each side where known.
        failures: r
            .validation_detail
            .as_ref()
            .map(|d| {
                d.failures
                    .iter()
                    .enumerate()
                    .map(|(i, (k, what, cols))| {
                        let detail = d
                            .differences
                            .get(i)
                            .filter(|x| !x.is_empty())
                            .unwrap_or(cols);
                        (k.clone(), what.clone(), detail.clone())
                    })
                    .collect()
            })
            .unwrap_or_default(),
    });
    let how = match r.validation_detail.as_ref().map(|d| &d.method) {
        Some(validate::Method::Checksums {
            segments,
            differing,
        }) => format!("{segments} key ranges checksummed, {differing} compared row by row"),
        Some(validate::Method::ReadBack {
            segments,
            differing,
        }) => format!(
            "every row read back and hashed against the rows as loaded in {segments} key ranges, {differing} compared row by row"
        ),
        Some(validate::Method::Hashed {
            segments,
            differing,
            read_back,
        }) => format!(
            "every row {} and hashed in {segments} segments by {}, {differing} compared row by row",
            if *read_back {
                "read back against the rows as loaded"
            } else {
                "read from both sides"
            },
            if p.plan.table.primary_key.is_some() {
                "its key"
            } else {
                "its whole value (no primary key)"
            }
        ),
        Some(validate::Method::Rows) => "every row compared".into(),
        Some(validate::Method::TableChecksum(why)) => format!("{why}: whole-table checksum"),
        Some(validate::Method::CountsOnly(why)) => why.clone(),
        None => "counts".into(),
    };
    let (s, t) = r.validation.unwrap_or((0, 0));
    if r.validation_state() == "Mismatched records" {
        let see = match (kept_in, &r.validation_detail) {
            (Some(table), _) => format!("see {table}"),
            (None, Some(d)) if !d.failures.is_empty() => {
                let first: Vec<String> = d
                    .failures
                    .iter()
                    .take(5)
                    .map(|(k, what, cols)| format!("{k}: {what} {cols}").trim_end().to_string())
                    .collect();
                format!("first: {}", first.join("; "))
            }
            (None, _) => "too many rows differ to name them".into(),
        };
        tracing::warn!(target: "tugboat::tasks::validate", "{}: mismatched records: source {s} rows, target {t}, {} {} ({how}); {see}", p.label, crate::units::rows(r.mismatched()), crate::units::differ(r.mismatched()));
    } else {
        tracing::info!(target: "tugboat::tasks::validate", "{}: {} ({s} rows; {how})", p.label, r.validation_state());
    }
}

fn blank_result(p: &Prepared) -> TableResult {
    TableResult::new(p.label.clone(), p.target_sql.clone())
}
