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

pub mod mappings;
pub mod pgbinary;
pub mod rows;
pub mod sink;
pub mod source;
pub mod spatial;
pub mod state;
pub mod validate;
pub mod values;

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::conversion::{RuleSet, Source};
use crate::ddl::Dialect;
use crate::endpoints::{Connection, Engine};
use crate::error::{Error, Result};
use mappings::{TableMappings, TablePlan};
use values::Kind;

mod types;

pub use types::*;

fn engine_dialect(e: Engine) -> Dialect {
    match e {
        Engine::Postgres => Dialect::Postgres,
        Engine::Sqlite => Dialect::Sqlite,
        _ => Dialect::MySql,
    }
}

/// What a run needs before it moves rows: the source catalog read, the table mappings
/// resolved, the target schema created when `create_schema` (pre-data; the report keeps the
/// post-data for later), the control tables, and each table's columns and kinds on both sides.
async fn prepare(
    task: &Task,
    source: &Connection,
    target: &Connection,
    events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
    create_schema: bool,
    replicating: bool,
) -> Result<(crate::assessment::Report, Vec<Prepared>)> {
    let s = &task.settings;
    let step = |m: &str| events(TaskEvent::Step(m.to_string()));
    step("reading the source catalog");
    let mut catalog = crate::discovery::discover(source, &Default::default()).await?;
    // Tugboat's own control tables (a database that was a target before) are not data.
    for sc in &mut catalog.schemas {
        sc.tables.retain(|t| !t.name.starts_with("tugboat_"));
    }
    let src_dialect = engine_dialect(source.endpoint.engine);
    let tgt_dialect = engine_dialect(target.endpoint.engine);
    let src = Source::from_catalog(&source.endpoint.url(), catalog.clone());
    let mut rules = RuleSet::shipped(src_dialect, tgt_dialect)?;
    // PostgreSQL builds a primary key faster over a loaded table than row by row during COPY
    // (TPC-H lineitem: a third of the load); each table gets its key once it is loaded.
    rules.options.keys_after_load = target.endpoint.engine == Engine::Postgres && create_schema;
    let report = crate::conversion::convert(&src, tgt_dialect, &rules)?;
    let plans = plan_with(&task.mappings, &src, &rules)?;
    // The plan of a load (replication reads the tables again, loading nothing).
    if !replicating {
        events(TaskEvent::Planned(
            plans
                .iter()
                .map(|p| {
                    (
                        format!("{}.{}", p.source_schema, p.source_table),
                        format!("{}.{}", p.target_schema, p.target_table),
                        p.table.stats.estimated_rows,
                    )
                })
                .collect(),
        ));
    }

    // The target schema: only the selected tables' objects, pre-data now, post-data later.
    let selected: std::collections::BTreeSet<(String, String)> = plans
        .iter()
        .map(|p| {
            (
                p.source_schema.to_lowercase(),
                p.source_table.to_lowercase(),
            )
        })
        .collect();
    // Transformations change what the target looks like: the schema is converted from the
    // source catalog as the target should have it.
    let rewritten = !task.mappings.transformations.is_empty();
    let mut report = if rewritten {
        let rename_schemas = task
            .mappings
            .transformations
            .iter()
            .any(|t| t.target == mappings::Target::Schema);
        let (shaped, notes) = mappings::rewrite_catalog(&catalog, &plans, rename_schemas);
        for n in notes {
            tracing::warn!(target: "tugboat::tasks", "{n}");
        }
        let shaped = Source::from_catalog(&source.endpoint.url(), shaped);
        crate::conversion::convert(&shaped, tgt_dialect, &rules)?
    } else {
        report
    };
    report.objects.retain(|o| {
        let table = o.table.as_deref().unwrap_or(&o.name).to_lowercase();
        match o.kind {
            crate::ddl::ObjectKind::Table
            | crate::ddl::ObjectKind::Index
            | crate::ddl::ObjectKind::Constraint
            | crate::ddl::ObjectKind::Trigger => {
                rewritten || selected.contains(&(o.schema.to_lowercase(), table))
            }
            crate::ddl::ObjectKind::Schema | crate::ddl::ObjectKind::Sequence => true,
            crate::ddl::ObjectKind::Type
            | crate::ddl::ObjectKind::Domain
            | crate::ddl::ObjectKind::Extension => true,
            _ => false,
        }
    });
    // The primary keys to build after each table's load (see `keys_after_load`).
    // By the table object's (schema, name), lower case: the source's names, or the target's
    // when transformations shaped the catalog.
    let mut keys: Vec<((String, String), String)> = vec![];
    if rules.options.keys_after_load {
        for o in &mut report.objects {
            let owner = (o.schema.to_lowercase(), o.name.to_lowercase());
            o.target.retain(|t| {
                let key = o.kind == crate::ddl::ObjectKind::Table
                    && t.phase == crate::assessment::Phase::PostData
                    && t.sql.starts_with("ALTER TABLE ")
                    && t.sql.contains(" PRIMARY KEY (");
                if key {
                    keys.push((owner.clone(), t.sql.clone()));
                }
                !key
            });
        }
    }
    if create_schema {
        step("creating the target tables (pre-data)");
        let applied = crate::conversion::apply::apply_with(
            &report,
            target,
            Some(crate::assessment::Phase::PreData),
            false,
            s.prepare == Prepare::DropAndCreate,
            |_, _| {},
        )
        .await;
        for a in &applied {
            if let crate::conversion::apply::StatementResult::Failed(e) = &a.result {
                tracing::warn!(target: "tugboat::tasks", "{}: {e}", a.object);
            }
        }
    }
    state::ensure(target).await?;

    // Target columns as they are now.
    step("reading the target catalog");
    let tcat = crate::discovery::discover(target, &Default::default()).await?;
    let mut prepared = vec![];
    for p in &plans {
        let grown = replicating.then(|| added_since(p, &tcat, target)).flatten();
        let p = grown.as_ref().unwrap_or(p);
        let tt = target_table(p, &tcat, target).ok_or_else(|| Error::InvalidEndpoint {
            endpoint: target.endpoint.label(),
            reason: format!(
                "table {}.{} is not on the target (create it, or let the task create the schema)",
                p.target_schema, p.target_table
            ),
        })?;
        let mut columns = vec![];
        let mut target_columns = vec![];
        let mut source_exprs = vec![];
        let mut lobs = vec![];
        for c in &p.columns {
            let added;
            let sc = if c.expression.is_some() {
                added = crate::model::Column {
                    name: c.source.clone(),
                    data_type: crate::sqltext::parse_declared_type(
                        c.data_type.as_deref().unwrap_or("text"),
                    ),
                    ..Default::default()
                };
                Some(&added)
            } else {
                None
            };
            let sc = sc
                .or_else(|| p.table.columns.iter().find(|x| x.name == c.source))
                .ok_or_else(|| Error::InvalidEndpoint {
                    endpoint: source.endpoint.label(),
                    reason: format!("column {} vanished from {}", c.source, p.source_table),
                })?;
            let tc = tt
                .columns
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(&c.target))
                .ok_or_else(|| Error::InvalidEndpoint {
                    endpoint: target.endpoint.label(),
                    reason: format!(
                        "table {}.{} has no column {} for {}.{}",
                        p.target_schema, tt.name, c.target, p.source_table, c.source
                    ),
                })?;
            if tc.generated.is_some() {
                continue;
            }
            target_columns.push(tc.name.clone());
            source_exprs.push(c.expression.clone());
            lobs.push(values::is_lob(&sc.data_type));
            columns.push((
                c.source.clone(),
                values::quote(target.endpoint.engine, &tc.name),
                values::kind(source.endpoint.engine, &sc.data_type),
                values::kind(target.endpoint.engine, &tc.data_type),
            ));
        }
        let target_sql = sink::target_sql(target.endpoint.engine, p, &tt.name);
        let names = [
            (
                p.source_schema.to_lowercase(),
                p.source_table.to_lowercase(),
            ),
            (
                p.target_schema.to_lowercase(),
                p.target_table.to_lowercase(),
            ),
        ];
        let key_sql = keys
            .iter()
            .position(|k| names.contains(&k.0))
            .map(|i| keys.remove(i).1);
        prepared.push(Prepared {
            plan: p.clone(),
            label: format!("{}.{}", p.source_schema, p.source_table),
            target_sql,
            key_sql,
            columns,
            target_columns,
            estimated_rows: p.table.stats.estimated_rows,
            range: None,
            source_exprs,
            lobs,
            lob_limit: s.lob_max_kb.map(|kb| kb.saturating_mul(1024)),
            nul: (target.endpoint.engine == Engine::Postgres).then_some(s.nul_chars),
            typed_source: source.endpoint.engine != Engine::Sqlite,
        });
    }
    // Keys of no table being loaded (a name spelled otherwise): built with the post-data, ahead
    // of the foreign keys that need them.
    if !keys.is_empty()
        && let Some(first) = report.objects.first_mut()
    {
        for (i, (_, sql)) in keys.into_iter().enumerate() {
            first.target.insert(
                i,
                crate::assessment::TargetStatement {
                    phase: crate::assessment::Phase::PostData,
                    sql,
                },
            );
        }
    }
    Ok((report, prepared))
}

/// The target table of `p` in `tcat`, if it is there.
fn target_table<'c>(
    p: &TablePlan,
    tcat: &'c crate::model::Catalog,
    target: &Connection,
) -> Option<&'c crate::model::Table> {
    tcat.schemas
        .iter()
        .filter(|x| {
            target.endpoint.engine != Engine::Postgres
                || x.name.eq_ignore_ascii_case(&p.target_schema)
        })
        .flat_map(|x| x.tables.iter())
        .find(|t| {
            t.name
                .eq_ignore_ascii_case(&sink::target_table_name(target.endpoint.engine, p))
        })
}

/// For replication: `p` as it was when the target got its table, if the source table has only
/// gained columns at its end since (while the task was stopped). Its changes from before those
/// columns are read with the old shape; the log's ADD COLUMN adds them on the target when
/// replication reaches it, as it does for a running task.
fn added_since(
    p: &TablePlan,
    tcat: &crate::model::Catalog,
    target: &Connection,
) -> Option<TablePlan> {
    let tt = target_table(p, tcat, target)?;
    let on_target = |c: &mappings::ColumnPlan| {
        c.expression.is_some()
            || tt
                .columns
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(&c.target))
    };
    let missing: Vec<&str> = p
        .columns
        .iter()
        .filter(|c| !on_target(c))
        .map(|c| c.source.as_str())
        .collect();
    let n = p.table.columns.len();
    if missing.is_empty() || missing.len() >= n {
        return None;
    }
    // Exactly the source table's last columns.
    let tail = &p.table.columns[n - missing.len()..];
    if !tail.iter().all(|c| missing.contains(&c.name.as_str())) {
        return None;
    }
    tracing::info!(target: "tugboat::tasks", "{}.{}: {} not on the target yet (added on the source since): added when replication reaches the change", p.source_schema, p.source_table, missing.join(", "));
    let mut old = p.clone();
    old.table.columns.truncate(n - missing.len());
    old.columns.retain(on_target);
    Some(old)
}

/// The task's tables as a load would write them, touching nothing on the target but the
/// control tables (what replication applies changes to).
pub async fn prepared(
    task: &Task,
    source: &Connection,
    target: &Connection,
    events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
) -> Result<Vec<Prepared>> {
    Ok(prepare(task, source, target, events, false, true).await?.1)
}

/// The tables `m` selects from `catalog` (a source of engine `source`), each with its columns
/// named as they will be on a `target` engine: what the Tasks screen previews.
pub fn plan_tables(
    m: &TableMappings,
    catalog: &crate::model::Catalog,
    source: Engine,
    target: Engine,
) -> Result<Vec<TablePlan>> {
    let mut catalog = catalog.clone();
    for sc in &mut catalog.schemas {
        sc.tables.retain(|t| !t.name.starts_with("tugboat_"));
    }
    let src = Source::from_catalog("", catalog);
    let rules = RuleSet::shipped(engine_dialect(source), engine_dialect(target))?;
    plan_with(m, &src, &rules)
}

fn plan_with(m: &TableMappings, src: &Source, rules: &RuleSet) -> Result<Vec<TablePlan>> {
    let names = crate::conversion::writer::target_names(src, rules);
    mappings::plan(m, &src.catalog, |n| names.name(n), |sc| names.schema(sc))
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
/// [`crate::cdc::deferred`]).
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
    let (report, prepared) = prepare(task, source, target, &events, s.create_schema, false).await?;
    events(TaskEvent::SchemaReady);

    // Load: the biggest tables first (the longest one bounds the task), at most
    // `max_parallel_tables` copies at a time (a table loaded in key ranges counts one per range).
    let ctx = Ctx::new(task, source, target, &events, &cancel);
    let mut order: Vec<usize> = (0..prepared.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(prepared[i].estimated_rows.unwrap_or(0)));
    let mut handles = vec![];
    for i in order {
        let (ctx, p) = (ctx.clone(), prepared[i].clone());
        handles.push((i, tokio::spawn(async move { table_worker(ctx, p).await })));
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
    let mut schema_failures = vec![];
    if ctx.lost.load(std::sync::atomic::Ordering::Relaxed) {
        let m = "keys, indexes and triggers (post-data) not created: a database stayed unreachable; run the task again to resume";
        tracing::warn!(target: "tugboat::tasks", "{m}");
        events(TaskEvent::Step(m.into()));
    } else if s.create_schema && !cancel.load(std::sync::atomic::Ordering::Relaxed) {
        events(TaskEvent::Step(
            "creating keys, indexes and triggers (post-data)".into(),
        ));
        let applied = if replicated {
            crate::cdc::deferred::post_data(&report, target, &task.name).await?
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
    let (_, prepared) = prepare(task, source, target, &events, false, false).await?;
    (events)(TaskEvent::Step("validating".into()));
    let ctx = Ctx::new(task, source, target, &events, &cancel);
    let handles: Vec<_> = prepared
        .into_iter()
        .map(|p| {
            let ctx = ctx.clone();
            tokio::spawn(async move {
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
            })
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
    (ctx.events)(TaskEvent::Validated {
        table: p.label.clone(),
        source_rows: r.validation.map(|v| v.0).unwrap_or(0),
        target_rows: r.validation.map(|v| v.1).unwrap_or(0),
        state: r.validation_state().to_string(),
        mismatched: r.mismatched(),
        failures: r
            .validation_detail
            .as_ref()
            .map(|d| d.failures.clone())
            .unwrap_or_default(),
    });
    let how = match r.validation_detail.as_ref().map(|d| &d.method) {
        Some(validate::Method::Checksums {
            segments,
            differing,
        }) => format!("{segments} key ranges checksummed, {differing} compared row by row"),
        Some(validate::Method::Rows) => "every row compared".into(),
        Some(validate::Method::TableChecksum(why)) => format!("{why}: whole-table checksum"),
        Some(validate::Method::CountsOnly(why)) => why.clone(),
        None => "counts".into(),
    };
    let (s, t) = r.validation.unwrap_or((0, 0));
    if r.validation_state() == "Mismatched records" {
        tracing::warn!(target: "tugboat::tasks::validate", "{}: mismatched records: source {s} rows, target {t}, {} rows differ ({how}); see tugboat_validation_failures", p.label, r.mismatched());
    } else {
        tracing::info!(target: "tugboat::tasks::validate", "{}: {} ({s} rows; {how})", p.label, r.validation_state());
    }
}

fn blank_result(p: &Prepared) -> TableResult {
    TableResult {
        source: p.label.clone(),
        target: p.target_sql.clone(),
        state: TableState::BeforeLoad,
        rows: 0,
        seconds: 0.0,
        skipped: false,
        zero_dates: 0,
        lobs_truncated: 0,
        nuls_removed: 0,
        exceptions: 0,
        error: None,
        validation: None,
        validation_detail: None,
    }
}

/// What every table worker of a run shares.
struct Ctx {
    task: String,
    source: Connection,
    target: Connection,
    settings: Settings,
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
    /// One permit per copy (a table, or one key range of a table) or validation running.
    sem: Arc<tokio::sync::Semaphore>,
    /// A connection was lost for good (retries exhausted): post-data is not attempted.
    lost: std::sync::atomic::AtomicBool,
}

impl Ctx {
    fn new(
        task: &Task,
        source: &Connection,
        target: &Connection,
        events: &Arc<dyn Fn(TaskEvent) + Send + Sync>,
        cancel: &Arc<std::sync::atomic::AtomicBool>,
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
        })
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Loads one table, then validates it while other tables still load.
async fn table_worker(ctx: Arc<Ctx>, p: Prepared) -> TableResult {
    // Taken by the load once it knows the table needs loading: a table loaded by an earlier
    // run is skipped (and replication told it is ready) without waiting for one.
    let mut permit = None;
    let mut r = load_table(&ctx, &p, &mut permit).await;
    let validate = ctx.settings.validate != ValidateMode::None;
    // Both counts (full scans) run while the target builds the key: the rows do not change.
    let mut counts = None;
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
        let count = async {
            if validate {
                let (s, t) =
                    tokio::join!(source::count(&ctx.source, &p), sink::count(&ctx.target, &p));
                Some((s, t))
            } else {
                None
            }
        };
        let (key, count) = tokio::join!(ensure_key(&ctx, &p, sql), count);
        counts = count;
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
        if let Err(e) = validate_table(&ctx, &p, &mut r, counts).await {
            r.error = Some(e.to_string());
            r.state = TableState::Error;
        }
        validated(&ctx, &p, &r);
    }
    r
}

/// Builds the primary key of a loaded table unless it has one (an earlier run built it).
async fn ensure_key(ctx: &Ctx, p: &Prepared, sql: &str) -> Result<()> {
    let t = &ctx.target;
    let has = t
        .query_scalar(
            &format!("looking for the primary key of {}", p.target_sql),
            &format!(
                "SELECT count(*) FROM pg_constraint WHERE conrelid = to_regclass({}) AND contype = 'p'",
                values::text_literal(Engine::Postgres, &p.target_sql)
            ),
        )
        .await?;
    if has.as_deref() != Some("0") {
        return Ok(());
    }
    let started = Instant::now();
    // An in-memory sort where the server can afford it: TPC-H lineitem's key in 3.5 s
    // instead of 4.4 s with the default 64 MB.
    let sql = format!("SET LOCAL maintenance_work_mem = '256MB'; {sql}");
    t.execute(&sql).await.map_err(|e| Error::Query {
        endpoint: t.endpoint.label(),
        context: format!("building the primary key of {}", p.target_sql),
        message: e.to_string(),
    })?;
    tracing::info!(target: "tugboat::tasks", "{}: primary key built in {:.1} s", p.label, started.elapsed().as_secs_f64());
    Ok(())
}

/// Counts (and with [`ValidateMode::Rows`] compares) one loaded table.
/// `counts`: the source's and the target's counts when they were already taken.
async fn validate_table(
    ctx: &Ctx,
    p: &Prepared,
    r: &mut TableResult,
    counts: Option<(Result<i64>, Result<i64>)>,
) -> Result<()> {
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

/// Key ranges for a table big enough to load in parallel: its first primary-key column must
/// be an integer; the span between its smallest and largest value is cut into equal ranges of
/// about `partition_rows` rows each (at most 16). The first and last ranges are open, so no
/// row is left out whatever the values.
async fn split(ctx: &Ctx, p: &Prepared) -> Result<Vec<state::RangeState>> {
    let per = ctx.settings.partition_rows;
    let est = p.estimated_rows.unwrap_or(0).max(0) as u64;
    if per == 0 || est < per.saturating_mul(2) {
        return Ok(vec![]);
    }
    let Some(column) = key_column(p) else {
        return Ok(vec![]);
    };
    let engine = ctx.source.endpoint.engine;
    let Some((lo, hi)) = source::key_span(
        &ctx.source,
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
        .map(|k| state::RangeState {
            part: k,
            parts: n,
            from: (k > 0).then(|| lo + width * k as i128),
            to: (k + 1 < n).then(|| lo + width * (k as i128 + 1)),
            state: "queued".into(),
            rows: 0,
        })
        .collect())
}

/// The first primary-key column, when it holds integers on the source.
fn key_column(p: &Prepared) -> Option<usize> {
    let first = p.plan.table.primary_key.as_ref()?.columns.first()?;
    let i = p
        .columns
        .iter()
        .position(|c| c.0.eq_ignore_ascii_case(first))?;
    (p.columns[i].2 == Kind::Integer).then_some(i)
}

async fn load_table(
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
        Ok(Some((st, rows))) if st == "completed" && s.prepare != Prepare::DropAndCreate => {
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
    if ctx.cancelled() {
        result.state = TableState::Cancelled;
        return result;
    }
    events(TaskEvent::TableStarted {
        table: p.label.clone(),
    });
    result.state = TableState::FullLoad;
    let outcome = async {
        // Ranges of an unfinished earlier run are kept (with their bounds): only the ranges
        // that did not finish are emptied and loaded again.
        let kept = if started_before && s.prepare != Prepare::DropAndCreate {
            state::ranges(target, task, &p.label).await?
        } else {
            vec![]
        };
        let ranges = if kept.is_empty() {
            state::set(target, task, &p.label, "loading", 0).await?;
            // A table that is not known to be complete is emptied first: a reload never
            // doubles rows.
            if s.prepare != Prepare::DoNothing || started_before {
                sink::empty(target, p).await?;
            }
            let fresh = split(ctx, p).await?;
            state::set_ranges(target, task, &p.label, &fresh).await?;
            fresh
        } else {
            kept
        };
        if ranges.is_empty() {
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
            tracing::info!(target: "tugboat::tasks", "{}: {rows} rows loaded in {:.1} s", p.label, result.seconds);
            result.rows = rows;
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
            match state::set(target, task, &p.label, "completed", rows as i64).await {
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
            let _ = state::set(target, task, &p.label, "error", 0).await;
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

/// Loads the unfinished key ranges of a table, each as its own copy (one permit each); the
/// rows of ranges finished by an earlier run count in the totals.
async fn load_ranges(
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
    let done_before: Vec<&state::RangeState> =
        ranges.iter().filter(|r| r.state == "completed").collect();
    let mut total = sink::Written {
        rows: done_before.iter().map(|r| r.rows as u64).sum(),
        ..Default::default()
    };
    let rows = Arc::new(std::sync::atomic::AtomicU64::new(total.rows));
    let bytes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let finished = Arc::new(std::sync::atomic::AtomicUsize::new(done_before.len()));
    (ctx.events)(TaskEvent::Ranges {
        table: p.label.clone(),
        parts,
        done: done_before.len(),
    });
    let work = ranges
        .into_iter()
        .filter(|r| r.state != "completed")
        .map(|r| {
            let (rows, bytes, finished) = (rows.clone(), bytes.clone(), finished.clone());
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
                state::set_range(&ctx.target, task, label, r.part, "loading", 0).await?;
                if r.state != "queued" {
                    sink::empty(&ctx.target, &q).await?;
                }
                // This range's rows and bytes so far, in the table's totals.
                let last = std::sync::Mutex::new((0u64, 0u64));
                let (q, last) = (&q, &last);
                let (rows, bytes) = (&rows, &bytes);
                let outcome = with_retries(ctx, label, |attempt| async move {
                    use std::sync::atomic::Ordering::Relaxed;
                    if attempt > 0 {
                        // Loaded again from the start: what it had counted is taken back.
                        if let Ok(mut l) = last.lock() {
                            rows.fetch_sub(l.0, Relaxed);
                            bytes.fetch_sub(l.1, Relaxed);
                            *l = (0, 0);
                        }
                        sink::empty(&ctx.target, q).await?;
                    }
                    copy(ctx, q, |r_rows, r_bytes| {
                        let (dr, db) = match last.lock() {
                            Ok(mut l) => {
                                let d = (r_rows.saturating_sub(l.0), r_bytes.saturating_sub(l.1));
                                *l = (r_rows, r_bytes);
                                d
                            }
                            Err(_) => (0, 0),
                        };
                        (ctx.events)(TaskEvent::Progress {
                            table: label.to_string(),
                            rows: rows.fetch_add(dr, Relaxed) + dr,
                            bytes: bytes.fetch_add(db, Relaxed) + db,
                        });
                    })
                    .await
                })
                .await;
                match &outcome {
                    Ok(w) if !ctx.cancelled() => {
                        state::set_range(
                            &ctx.target,
                            task,
                            label,
                            r.part,
                            "completed",
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
                        let _ =
                            state::set_range(&ctx.target, task, label, r.part, "error", 0).await;
                        if ctx.settings.error_policy == ErrorPolicy::StopTask {
                            ctx.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
                outcome
            }
        });
    let mut first_error = None;
    for w in futures_util::future::join_all(work).await {
        match w {
            Ok(w) => {
                total.rows += w.rows;
                total.zero_dates += w.zero_dates;
                total.exceptions += w.exceptions;
                total.lobs_truncated += w.lobs_truncated;
                total.nuls_removed += w.nuls_removed;
                total.refused.extend(w.refused);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

/// Whether an error is a lost or refused connection (to either side), which is worth waiting
/// out, rather than something the data or the schema caused.
fn transient(e: &Error) -> bool {
    let m = e.to_string().to_ascii_lowercase();
    [
        "connection refused",
        "connection reset",
        "broken pipe",
        "pool timed out",
        "unexpected eof",
        "error communicating with database",
        "terminating connection",
        "server closed the connection",
        "lost connection",
        "server has gone away",
        "connection closed",
        "attempted to acquire a connection on a closed pool",
        "expected to read",
    ]
    .iter()
    .any(|s| m.contains(s))
}

/// Runs `f(attempt)` until it succeeds, fails for another reason than a lost connection, or
/// [`Settings::retries`] retries (after 1, 2, 4, 8... seconds) did not bring the connection
/// back; `f` is told the attempt so a retry can empty what the failed attempt wrote.
async fn with_retries<T, F, Fut>(ctx: &Ctx, what: &str, mut f: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 0u32;
    let mut waited = 0u64;
    loop {
        match f(attempt).await {
            Err(e) if transient(&e) && attempt < ctx.settings.retries && !ctx.cancelled() => {
                attempt += 1;
                let wait = 1u64 << (attempt - 1).min(6);
                waited += wait;
                tracing::warn!(target: "tugboat::tasks", "{what}: connection lost ({e}); retry {attempt} of {} in {wait} s", ctx.settings.retries);
                (ctx.events)(TaskEvent::Step(format!(
                    "{what}: connection lost; retry {attempt} of {} in {wait} s",
                    ctx.settings.retries
                )));
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
            }
            Err(e) if attempt > 0 && transient(&e) => {
                ctx.lost.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(Error::InvalidEndpoint {
                    endpoint: what.to_string(),
                    reason: format!(
                        "the connection was lost and {attempt} retries over {waited} s did not bring it back ({e}); run the task again when the database is reachable: it resumes"
                    ),
                });
            }
            r => return r,
        }
    }
}

/// Copies the rows of `p` (the table, or its key range): a reader streaming into a bounded
/// channel, the target's writer draining it.
async fn copy(ctx: &Ctx, p: &Prepared, progress: impl FnMut(u64, u64)) -> Result<sink::Written> {
    let s = &ctx.settings;
    let (tx, rx) = tokio::sync::mpsc::channel::<rows::Rows>(4);
    let reader = {
        let source = ctx.source.clone();
        let p = p.clone();
        let batch = s.batch_rows.max(1);
        let cancel = ctx.cancel.clone();
        tokio::spawn(async move { source::read(&source, &p, batch, tx, cancel).await })
    };
    let written = sink::write(
        &ctx.target,
        &ctx.task,
        p,
        rx,
        s.zero_dates,
        s.error_policy,
        progress,
    )
    .await;
    let read = reader.await.map_err(|e| Error::InvalidEndpoint {
        endpoint: ctx.source.endpoint.label(),
        reason: format!("the reader stopped: {e}"),
    })?;
    let w = written?;
    read?;
    Ok(w)
}
