//! A full load into a data lake: a worker per table (as many at once as the task allows)
//! reading the source in one snapshot, encoding its rows into Arrow and writing them as
//! Parquet files; the table's state kept beside the data (`_tugboat/<task>/load.json`), so that
//! a run started again skips the tables finished and loads the others again from nothing (their
//! files of the interrupted run deleted first). Each table is validated once written: its
//! files' row count against the source's, and with `rows` the checksum of every row read back
//! from the files against that of the rows read from the source as they were written.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::Lake;
use super::encode::{Fixed, RowSum};
use super::files::{self, LoadFiles};
use super::plan::LakeTable;
use crate::endpoints::Connection;
use crate::error::Result;
use crate::tasks::validate::{Method, Validation};
use crate::tasks::{Summary, TableResult, TableState, Task, TaskEvent, ValidateMode, ZeroDates};

/// A table whose load finished, as the state file keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Loaded {
    pub rows: u64,
    pub files: Vec<String>,
    pub bytes: u64,
    /// The checksum of the rows written, as read from the source.
    pub sum: RowSum,
}

/// The state file of a task's full load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadState {
    /// By source `schema.table`.
    pub tables: BTreeMap<String, Loaded>,
}

/// Where `task`'s state is kept in the lake.
pub fn state_path(lake: &Lake, task: &str, file: &str) -> object_store::path::Path {
    lake.path(&["_tugboat", &crate::engines::switch::file_safe(task), file])
}

/// The tables `task` has loaded into `lake` (none when it has not run).
pub async fn state(lake: &Lake, task: &str) -> Result<LoadState> {
    Ok(lake
        .get_json(&state_path(lake, task, "load.json"))
        .await?
        .unwrap_or_default())
}

/// Forgets that `tables` (source `schema.table`) of `task` were loaded: the next run loads
/// them again.
pub async fn forget(lake: &Lake, task: &str, tables: &[String]) -> Result<()> {
    let path = state_path(lake, task, "load.json");
    let mut state: LoadState = lake.get_json(&path).await?.unwrap_or_default();
    for t in tables {
        let found = state
            .tables
            .keys()
            .find(|k| k.eq_ignore_ascii_case(t))
            .cloned();
        match found {
            Some(k) => {
                state.tables.remove(&k);
            }
            None => {
                tracing::info!(target: "tugboat::tasks", "{t}: not loaded yet, nothing to forget")
            }
        }
    }
    lake.put_json(&path, &state).await
}

struct Ctx {
    task: Task,
    source: Connection,
    lake: Lake,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
    state: tokio::sync::Mutex<LoadState>,
    /// Compare what was loaded; load nothing.
    compare_only: bool,
    /// When comparing: the task's replication checkpoint in the lake, if it replicates.
    replicated: Option<super::cdc::LakeCheckpoint>,
}

impl Ctx {
    fn cancelled(&self) -> bool {
        self.cancel.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Runs `task`'s full load from `source` into `lake`.
pub async fn run(
    task: &Task,
    source: &Connection,
    lake: &Lake,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Summary> {
    let tables = super::plan::tables(task, source, lake, &events).await?;
    run_tables(task, source, lake, tables, events, cancel).await
}

/// Compares what `task` loaded into `lake` with the source, loading nothing: each table's files
/// read back against the checksum of the rows written, their counts against the source's.
pub async fn validate_only(
    task: &Task,
    source: &Connection,
    lake: &Lake,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Summary> {
    let mut task = task.clone();
    if task.settings.validate == ValidateMode::None {
        task.settings.validate = ValidateMode::Rows;
    }
    let tables = super::plan::tables(&task, source, lake, &events).await?;
    run_with(&task, source, lake, tables, events, cancel, true).await
}

/// [`run`] of `tables`, planned already.
pub async fn run_tables(
    task: &Task,
    source: &Connection,
    lake: &Lake,
    tables: Vec<LakeTable>,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Summary> {
    run_with(task, source, lake, tables, events, cancel, false).await
}

async fn run_with(
    task: &Task,
    source: &Connection,
    lake: &Lake,
    tables: Vec<LakeTable>,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
    compare_only: bool,
) -> Result<Summary> {
    let started = Instant::now();
    let state_file = state_path(lake, &task.name, "load.json");
    let state: LoadState = lake.get_json(&state_file).await?.unwrap_or_default();
    let replicated = if compare_only {
        super::cdc::checkpoint_of(lake, &task.name).await?
    } else {
        None
    };
    events(TaskEvent::SchemaReady);
    let ctx = Arc::new(Ctx {
        task: task.clone(),
        source: source.clone(),
        lake: lake.clone(),
        events: events.clone(),
        cancel,
        state: tokio::sync::Mutex::new(state),
        compare_only,
        replicated,
    });
    let sem = Arc::new(tokio::sync::Semaphore::new(
        task.settings.max_parallel_tables.max(1),
    ));
    let mut set = tokio::task::JoinSet::new();
    let mut ids = std::collections::HashMap::new();
    for (i, t) in tables.into_iter().enumerate() {
        let (ctx, sem) = (ctx.clone(), sem.clone());
        let failed = result(&t);
        let h = set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, table_worker(&ctx, &t).await)
        });
        ids.insert(h.id(), (i, failed));
    }
    let mut results = vec![];
    while let Some(r) = set.join_next_with_id().await {
        match r {
            Ok((_, r)) => results.push(r),
            // A table whose worker stopped is said to have failed, never left out.
            Err(e) => {
                if let Some((i, mut failed)) = ids.remove(&e.id()) {
                    let error = format!("its worker stopped: {e}");
                    events(TaskEvent::TableFailed {
                        table: failed.source.clone(),
                        error: error.clone(),
                    });
                    failed.state = TableState::Error;
                    failed.error = Some(error);
                    results.push((i, failed));
                }
            }
        }
    }
    results.sort_by_key(|r| r.0);
    Ok(Summary {
        task: task.name.clone(),
        tables: results.into_iter().map(|r| r.1).collect(),
        seconds: started.elapsed().as_secs_f64(),
        peak_memory: crate::tasks::memory_in_use().map(|m| m.1),
        schema_failures: vec![],
        left_out: vec![],
    })
}

fn result(t: &LakeTable) -> TableResult {
    TableResult {
        state: TableState::FullLoad,
        ..TableResult::new(t.label().to_string(), t.dir.to_string())
    }
}

/// Loads one table (unless an earlier run did), then validates it.
async fn table_worker(ctx: &Ctx, t: &LakeTable) -> TableResult {
    let mut r = result(t);
    let done = ctx.state.lock().await.tables.get(t.label()).cloned();
    let loaded = match done {
        None if ctx.compare_only => {
            // Asked to compare, it could not: the command fails.
            let why = if ctx.replicated.is_some() {
                "not loaded: the task's files hold the changes since it started (a cdc task), not the table, so there is nothing to compare with the source"
            } else {
                "not loaded yet: nothing to compare"
            };
            r.state = TableState::Error;
            r.error = Some(why.into());
            (ctx.events)(TaskEvent::TableFailed {
                table: t.label().to_string(),
                error: why.into(),
            });
            return r;
        }
        Some(l) => {
            (ctx.events)(TaskEvent::TableSkipped {
                table: t.label().to_string(),
                rows: l.rows,
            });
            r.skipped = true;
            Ok(l)
        }
        None => load(ctx, t, &mut r).await,
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            if !ctx.cancelled() {
                (ctx.events)(TaskEvent::TableFailed {
                    table: t.label().to_string(),
                    error: e.clone(),
                });
                r.state = TableState::Error;
            }
            r.error = Some(e);
            return r;
        }
    };
    r.rows = loaded.rows;
    r.state = TableState::Completed;
    if ctx.task.settings.validate != ValidateMode::None && !ctx.cancelled() {
        match validate(ctx, t, &loaded).await {
            Ok(v) => {
                r.validation = Some((v.source_rows, v.target_rows));
                r.validation_detail = Some(v);
                crate::tasks::report_validation(&ctx.events, &t.prepared, &r, None);
            }
            Err(e) if ctx.compare_only => {
                (ctx.events)(TaskEvent::TableFailed {
                    table: t.label().to_string(),
                    error: format!("not compared: {e}"),
                });
                r.state = TableState::Error;
                r.error = Some(format!("not compared: {e}"));
            }
            Err(e) => {
                tracing::warn!(target: "tugboat::tasks", "{}: not validated: {e}", t.label());
            }
        }
    }
    r
}

/// Writes the table's files from the source's rows; what was written.
async fn load(ctx: &Ctx, t: &LakeTable, r: &mut TableResult) -> Result<Loaded, String> {
    let started = Instant::now();
    let label = t.label().to_string();
    (ctx.events)(TaskEvent::TableStarted {
        table: label.clone(),
    });
    // Files of an interrupted earlier run.
    let cleared = ctx.lake.clear(&t.dir).await.map_err(|e| e.to_string())?;
    if cleared > 0 {
        tracing::info!(target: "tugboat::tasks", "{label}: {cleared} files of an unfinished load deleted");
    }
    ctx.lake
        .put_json(&t.dir.clone().join("_schema.json"), &t.schema)
        .await
        .map_err(|e| e.to_string())?;
    let encoder = t.encoder(ctx.task.settings.zero_dates == ZeroDates::Null);
    let mut out = LoadFiles::new(
        &ctx.lake,
        t.dir.clone(),
        "LOAD",
        encoder.schema().clone(),
        ctx.task.settings.file_mb,
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel::<crate::engines::rows::Rows>(4);
    let reader = {
        let (source, p, cancel) = (ctx.source.clone(), t.prepared.clone(), ctx.cancel.clone());
        let batch = ctx.task.settings.batch_rows.max(1);
        tokio::spawn(
            async move { crate::tasks::source::read(&source, &p, batch, tx, cancel).await },
        )
    };
    let mut sum = RowSum::default();
    let mut fixed = Fixed::default();
    let mut bytes = 0u64;
    let mut failure = None;
    while let Some(rows) = rx.recv().await {
        if ctx.cancelled() {
            failure = Some("stopped by the user".to_string());
            break;
        }
        bytes += rows.bytes() as u64;
        let written = async {
            let batch = encoder.encode(&rows, &mut fixed)?;
            sum.add(&batch)?;
            out.write(&batch).await
        };
        if let Err(e) = written.await {
            failure = Some(e);
            break;
        }
        (ctx.events)(TaskEvent::Progress {
            table: label.clone(),
            rows: sum.rows,
            bytes,
        });
    }
    drop(rx);
    let read = reader
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    if let Some(e) = failure.or(read.err()) {
        out.abort().await;
        return Err(e);
    }
    let (names, file_bytes) = out.finish().await?;
    let loaded = Loaded {
        rows: sum.rows,
        files: names,
        bytes: file_bytes,
        sum,
    };
    let mut state = ctx.state.lock().await;
    state.tables.insert(label.clone(), loaded.clone());
    ctx.lake
        .put_json(&state_path(&ctx.lake, &ctx.task.name, "load.json"), &*state)
        .await
        .map_err(|e| e.to_string())?;
    drop(state);
    r.seconds = started.elapsed().as_secs_f64();
    r.zero_dates = fixed.zero_dates;
    (ctx.events)(TaskEvent::TableDone {
        table: label,
        rows: loaded.rows,
        seconds: r.seconds,
        zero_dates: fixed.zero_dates,
        lobs_truncated: 0,
        nuls_removed: 0,
    });
    Ok(loaded)
}

/// The table's files against the source: their row counts, and with `rows` the checksum of
/// the rows read back against that of the rows written. Compared later (`validate`): the
/// files with their changes applied against the source's rows, row by row
/// ([`super::verify`]), where the table has a key or change files.
async fn validate(ctx: &Ctx, t: &LakeTable, loaded: &Loaded) -> Result<Validation, String> {
    if ctx.compare_only {
        let upto = ctx.replicated.as_ref().map(|c| c.batch);
        let files = super::verify::files_of(&ctx.lake, t, upto).await?;
        // (Counts asked for and no change files: the files' footers are enough.)
        let counts_only = ctx.task.settings.validate == ValidateMode::Counts && files.1.is_empty();
        if !counts_only {
            let zero_dates_null = ctx.task.settings.zero_dates == ZeroDates::Null;
            let compared = super::verify::compare(
                &ctx.lake,
                t,
                files,
                &ctx.source,
                zero_dates_null,
                ctx.cancel.clone(),
            );
            if let Some(v) = compared.await? {
                return Ok(v);
            }
        }
    }
    let (source_rows, target_rows) = tokio::join!(
        crate::tasks::source::count(&ctx.source, &t.prepared),
        files::count(&ctx.lake, &t.dir)
    );
    let (source_rows, target_rows) = (source_rows.map_err(|e| e.to_string())?, target_rows?);
    let mut v = Validation::new(
        Method::CountsOnly("counts asked for (--validate counts)".into()),
        source_rows,
        target_rows,
    );
    if ctx.task.settings.validate == ValidateMode::Rows {
        let back = files::checksum(&ctx.lake, &t.dir).await?;
        v.method = Method::TableChecksum(
            "every row read back from the Parquet files, checksummed against the rows read from the source"
                .into(),
        );
        v.checksum_differs = back != loaded.sum;
    }
    Ok(v)
}
