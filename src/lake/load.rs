//! A full load into a data lake: a worker per table, a big table's [`parts`](super::parts)
//! side by side (as many reads at once as the task allows), each reading the source, encoding
//! its rows into Arrow and writing them as Parquet files; the table's state kept beside the
//! data (`_tugboat/<task>/load.json`), so that a run started again skips the tables finished
//! and loads the others again (their files of the interrupted run deleted first; a table in
//! parts keeps the parts written). Each table is validated once written: its
//! files' row count against the source's, and with `rows` the checksum of every row read back
//! from the files against that of the rows read from the source as they were written.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::Lake;
use super::encode::{Fixed, RowSum};
use super::files::{self, LoadFiles};
use super::parts::{self, Part, Partial};
use super::plan::LakeTable;
use crate::endpoints::Connection;
use crate::error::Result;
use crate::tasks::validate::{Method, Validation};
use crate::tasks::{Summary, TableResult, TableState, Task, TaskEvent, ValidateMode, ZeroDates};

/// A table (or a part of one) whose load finished, as the state file keeps it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Tables loading in parts, by source `schema.table`: the parts written so far.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partial: BTreeMap<String, Partial>,
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
        state.partial.retain(|k, _| !k.eq_ignore_ascii_case(t));
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
    replicated: Option<super::checkpoint::LakeCheckpoint>,
    /// One permit per read of the source running (a table, or a part of one) or comparison.
    sem: Arc<tokio::sync::Semaphore>,
    /// One permit per table whose page ranges read in a snapshot a source session holds.
    snapshots: Arc<tokio::sync::Semaphore>,
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
        super::checkpoint::checkpoint_of(lake, &task.name).await?
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
        sem: Arc::new(tokio::sync::Semaphore::new(
            task.settings.max_parallel_tables.max(1),
        )),
        snapshots: Arc::new(tokio::sync::Semaphore::new(crate::tasks::SHARED_SNAPSHOTS)),
    });
    let mut set = tokio::task::JoinSet::new();
    let mut ids = std::collections::HashMap::new();
    for (i, t) in tables.into_iter().enumerate() {
        let ctx = ctx.clone();
        let failed = result(&t);
        let h = set.spawn(async move { (i, table_worker(&ctx, &t).await) });
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
async fn table_worker(ctx: &Arc<Ctx>, t: &LakeTable) -> TableResult {
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
        let _permit = ctx.sem.clone().acquire_owned().await;
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

/// Rows and bytes read of a table so far, all its parts together (its progress), and whether
/// one of its parts failed (the others then stop).
#[derive(Default)]
struct Totals {
    rows: AtomicU64,
    bytes: AtomicU64,
    failed: std::sync::atomic::AtomicBool,
}

/// Writes the table's files from the source's rows, a big table in parts side by side; what
/// was written.
async fn load(ctx: &Arc<Ctx>, t: &LakeTable, r: &mut TableResult) -> Result<Loaded, String> {
    let started = Instant::now();
    let label = t.label().to_string();
    (ctx.events)(TaskEvent::TableStarted {
        table: label.clone(),
    });
    let mut partial = start(ctx, t).await.map_err(|e| e.to_string())?;
    // Page ranges are read in one snapshot a source session holds until they are all read
    // (a few tables at a time: each holds a connection, and the server's oldest snapshot).
    let mut shared = None;
    let mut holding = None;
    if partial.parts.iter().any(Part::shares_snapshot) {
        holding = ctx.snapshots.clone().acquire_owned().await.ok();
        let backend = crate::engines::of(ctx.source.endpoint.engine);
        shared = backend.share_snapshot(&ctx.source).await;
        if shared.is_none() {
            tracing::info!(target: "tugboat::tasks", "{label}: read whole (no snapshot to share for its page ranges)");
            partial.parts.clear();
        }
    }
    let snapshot = shared.as_ref().map(|s| s.id.clone());
    let written = write_parts(ctx, t, &partial, snapshot).await;
    drop((shared, holding));
    let (parts, zero_dates) = written?;
    partial.done.extend(parts);
    let loaded = partial.whole();
    let mut state = ctx.state.lock().await;
    state.partial.remove(&label);
    state.tables.insert(label.clone(), loaded.clone());
    ctx.lake
        .put_json(&state_path(&ctx.lake, &ctx.task.name, "load.json"), &*state)
        .await
        .map_err(|e| e.to_string())?;
    drop(state);
    r.seconds = started.elapsed().as_secs_f64();
    r.zero_dates = zero_dates;
    (ctx.events)(TaskEvent::TableDone {
        table: label,
        rows: loaded.rows,
        seconds: r.seconds,
        zero_dates,
        lobs_truncated: 0,
        nuls_removed: 0,
    });
    Ok(loaded)
}

const STOPPED: &str = "stopped by the user";
const SIBLING: &str = "stopped: another part of the table failed";

/// Why a part stops before its end: the user stopped the task, or another part of its table
/// failed.
fn halted(ctx: &Ctx, totals: &Totals) -> Option<String> {
    if ctx.cancelled() {
        Some(STOPPED.into())
    } else if totals.failed.load(Ordering::Relaxed) {
        Some(SIBLING.into())
    } else {
        None
    }
}

/// Writes the parts of `partial` not written yet side by side (the whole table when it has no
/// parts), each reading in `snapshot` if given: what each wrote, by its place, and the zero
/// dates read as NULL; or the first failure, the other parts then stopped.
async fn write_parts(
    ctx: &Arc<Ctx>,
    t: &LakeTable,
    partial: &Partial,
    snapshot: Option<String>,
) -> Result<(BTreeMap<usize, Loaded>, u64), String> {
    let numbered = Arc::new(AtomicU32::new(parts::last_number(partial.files())));
    // Parts written by an earlier run counted from the start.
    let totals = Arc::new(Totals::default());
    let kept_rows: u64 = partial.done.values().map(|l| l.rows).sum();
    totals.rows.store(kept_rows, Ordering::Relaxed);
    let jobs: Vec<(usize, Option<Part>)> = match partial.parts.is_empty() {
        true => vec![(0, None)],
        false => (partial.parts.iter().cloned().enumerate())
            .filter(|(i, _)| !partial.done.contains_key(i))
            .map(|(i, part)| (i, Some(part)))
            .collect(),
    };
    let parts = partial.parts.len();
    let done = Arc::new(AtomicUsize::new(partial.done.len()));
    if parts > 1 {
        (ctx.events)(TaskEvent::Ranges {
            table: t.label().to_string(),
            parts,
            done: partial.done.len(),
        });
    }
    let kept = partial.kept();
    let mut set = tokio::task::JoinSet::new();
    for (i, part) in jobs {
        let (ctx, t, done) = (ctx.clone(), t.clone(), done.clone());
        let (numbered, totals) = (numbered.clone(), totals.clone());
        let mut q = part
            .as_ref()
            .map_or_else(|| t.prepared.clone(), |x| x.of(&t.prepared));
        q.snapshot = snapshot.clone();
        set.spawn(async move {
            let _permit = ctx.sem.clone().acquire_owned().await;
            if let Some(why) = halted(&ctx, &totals) {
                return (i, Err(why));
            }
            let written = write_part(&ctx, &t, &q, numbered, &totals).await;
            if let (Ok(l), true) = (&written, kept)
                && let Err(e) = record_part(&ctx, &t, i, &l.0).await
            {
                return (i, Err(e));
            }
            match &written {
                Ok(_) if parts > 1 => (ctx.events)(TaskEvent::Ranges {
                    table: t.label().to_string(),
                    parts,
                    done: done.fetch_add(1, Ordering::Relaxed) + 1,
                }),
                Ok(_) => {}
                // Its siblings stop: the table failed.
                Err(_) => totals.failed.store(true, Ordering::Relaxed),
            }
            (i, written)
        });
    }
    let mut failure = None;
    let mut out = BTreeMap::new();
    let mut zero_dates = 0;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, Ok((l, z)))) => {
                zero_dates += z;
                out.insert(i, l);
            }
            // The failure to tell: not a part stopped by another's.
            Ok((_, Err(e))) if failure.is_none() || failure.as_deref() == Some(SIBLING) => {
                failure = Some(e)
            }
            Ok((_, Err(_))) => {}
            Err(e) => failure = failure.or(Some(format!("a part's worker stopped: {e}"))),
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok((out, zero_dates)),
    }
}

/// The parts of table `t` to load: those of an earlier run that stopped, when they still fit
/// the table (the files of its parts not written deleted), else parts planned afresh in an
/// emptied folder.
async fn start(ctx: &Ctx, t: &LakeTable) -> crate::error::Result<Partial> {
    let label = t.label();
    let schema_path = t.dir.clone().join("_schema.json");
    let engine = ctx.source.endpoint.engine;
    let kept = ctx.state.lock().await.partial.get(label).cloned();
    let kept = match kept.filter(|k| k.fits(engine, &t.prepared)) {
        // Files of another shape of the table are not mixed with new ones.
        Some(k) => (ctx.lake.get_json(&schema_path).await? == Some(t.schema.clone())).then_some(k),
        None => None,
    };
    if let Some(k) = kept {
        let written: std::collections::HashSet<&String> = k.files().collect();
        let mut deleted = 0;
        for f in files::parquet_files(&ctx.lake, &t.dir).await? {
            if !f
                .location
                .filename()
                .is_some_and(|n| written.contains(&n.to_string()))
            {
                ctx.lake.delete(&f.location).await?;
                deleted += 1;
            }
        }
        tracing::info!(target: "tugboat::tasks", "{label}: {} of its {} parts written by an earlier run are kept; {deleted} files of the others deleted", k.done.len(), k.parts.len());
        return Ok(k);
    }
    // Files of an interrupted earlier run.
    let cleared = ctx.lake.clear(&t.dir).await?;
    if cleared > 0 {
        tracing::info!(target: "tugboat::tasks", "{label}: {cleared} files of an unfinished load deleted");
    }
    ctx.lake.put_json(&schema_path, &t.schema).await?;
    let planned = {
        let _permit = ctx.sem.clone().acquire_owned().await;
        parts::plan(&ctx.source, ctx.task.settings.partition_rows, &t.prepared).await?
    };
    let partial = Partial {
        parts: planned,
        done: BTreeMap::new(),
        rules: parts::rules_of(&t.prepared),
    };
    let mut state = ctx.state.lock().await;
    match partial.kept() {
        true => state.partial.insert(label.to_string(), partial.clone()),
        false => state.partial.remove(label),
    };
    let path = state_path(&ctx.lake, &ctx.task.name, "load.json");
    ctx.lake.put_json(&path, &*state).await?;
    Ok(partial)
}

/// Records part `i` of table `t` written: a run stopped later does not load it again.
async fn record_part(ctx: &Ctx, t: &LakeTable, i: usize, l: &Loaded) -> Result<(), String> {
    let mut state = ctx.state.lock().await;
    if let Some(p) = state.partial.get_mut(t.label()) {
        p.done.insert(i, l.clone());
    }
    let path = state_path(&ctx.lake, &ctx.task.name, "load.json");
    ctx.lake
        .put_json(&path, &*state)
        .await
        .map_err(|e| e.to_string())
}

/// Writes the files of the rows `p` reads (a table, or a part of one); what was written and
/// how many zero dates were read as NULL.
async fn write_part(
    ctx: &Ctx,
    t: &LakeTable,
    p: &crate::tasks::Prepared,
    numbered: Arc<AtomicU32>,
    totals: &Totals,
) -> Result<(Loaded, u64), String> {
    let encoder = t.encoder(ctx.task.settings.zero_dates == ZeroDates::Null);
    let schema = encoder.schema().clone();
    let mut out = LoadFiles::new(
        &ctx.lake,
        t.dir.clone(),
        "LOAD",
        schema,
        ctx.task.settings.file_mb,
    )
    .numbered_by(numbered);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<crate::engines::rows::Rows>(4);
    let reader = {
        let (source, p, cancel) = (ctx.source.clone(), p.clone(), ctx.cancel.clone());
        let batch = ctx.task.settings.batch_rows.max(1);
        tokio::spawn(
            async move { crate::tasks::source::read(&source, &p, batch, tx, cancel).await },
        )
    };
    let mut sum = RowSum::default();
    let mut fixed = Fixed::default();
    let mut failure = None;
    while let Some(rows) = rx.recv().await {
        if let Some(why) = halted(ctx, totals) {
            failure = Some(why);
            break;
        }
        let bytes = rows.bytes() as u64;
        let written = async {
            let batch = encoder.encode(&rows, &mut fixed)?;
            sum.add(&batch)?;
            out.write(&batch).await.map(|_| batch.num_rows() as u64)
        };
        match written.await {
            Ok(n) => (ctx.events)(TaskEvent::Progress {
                table: t.label().to_string(),
                rows: totals.rows.fetch_add(n, Ordering::Relaxed) + n,
                bytes: totals.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes,
            }),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(rx);
    let read = reader
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    // A reader stopped by the user ends without an error, its rows cut short.
    let stopped = ctx.cancelled().then(|| STOPPED.to_string());
    if let Some(e) = failure.or(read.err()).or(stopped) {
        out.abort().await;
        return Err(e);
    }
    let (files, bytes) = out.finish().await?;
    let loaded = Loaded {
        rows: sum.rows,
        files,
        bytes,
        sum,
    };
    Ok((loaded, fixed.zero_dates))
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
