//! Migration tasks from the command line: migrate's options into a task, running it with progress lines or bars, and the summaries and exit codes of a full load and of replication.

use super::*;
use crate::runner::Mode;

#[derive(clap::Args, Debug, Default)]
pub struct MigrateArgs {
    /// Source endpoint URL (or a name with --project).
    #[arg(long)]
    pub source: String,
    /// Target endpoint URL (or a name with --project).
    #[arg(long)]
    pub target: String,
    /// Project file holding the endpoints named.
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Task name (the key of its progress on the target).
    #[arg(long, default_value = "migrate")]
    pub task: String,
    /// Tables to include, `schema.table` with `%` and `_` wildcards (repeatable; default all).
    #[arg(long, alias = "tables")]
    pub include: Vec<String>,
    /// Tables to exclude, same form (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Table mappings from a file: AWS DMS's JSON (selection and transformation rules, as the
    /// DMS console writes them) or Tugboat's RON (`.ron`); --include and --exclude add to them.
    #[arg(long)]
    pub mappings: Option<PathBuf>,
    /// do-nothing, truncate (default) or drop-and-create.
    #[arg(long, alias = "prep", value_enum, default_value_t)]
    pub prepare: PrepareArg,
    /// Load into existing tables only: do not create the schema.
    #[arg(long)]
    pub no_create_schema: bool,
    /// Tables loaded at the same time.
    #[arg(long, default_value_t = 4)]
    pub parallel: usize,
    /// Tables of at least twice this many rows load in parts of about this many rows, in
    /// parallel: ranges of an integer primary key, else slices (PostgreSQL page ranges, or
    /// ranges of sampled key values) (0: never split).
    #[arg(long, default_value_t = 1_000_000)]
    pub partition_rows: u64,
    /// Full load and CDC: changes held in memory at most (all tables together) while their
    /// tables load; a table whose changes go beyond has them read again from the log once it
    /// is loaded.
    #[arg(long, default_value_t = crate::cdc::cached::CACHE_CHANGES)]
    pub cached_changes: usize,
    /// Full load and CDC: MiB the changes held while their tables load take in memory at most
    /// (as for --cached-changes).
    #[arg(long, default_value_t = crate::cdc::cached::CACHE_MB)]
    pub cached_changes_mb: usize,
    /// Parquet targets (file:///folder/, s3://bucket/prefix): a table's files are about this
    /// many MiB each.
    #[arg(long, default_value_t = 64)]
    pub file_mb: u64,
    /// Parquet targets: replicated changes are written at least every this many seconds (a
    /// batch of change files per table), or once they hold --file-mb.
    #[arg(long, default_value_t = 60)]
    pub flush_secs: u64,
    /// Limited LOB mode: text and binary LOB values longer than this many KiB are cut to it,
    /// each cut counted and reported (default: full LOB mode, nothing cut).
    #[arg(long)]
    pub lob_max_kb: Option<u64>,
    /// When the connection to either side is lost: retries of the table after 1, 2, 4...
    /// seconds (the table emptied and loaded again), then a clear failure.
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Rows per batch.
    #[arg(long, default_value_t = 5000)]
    pub batch_rows: usize,
    /// MySQL zero dates: null (default, counted) or error.
    #[arg(long, value_enum, default_value_t)]
    pub zero_dates: ZeroDatesArg,
    /// NUL characters (U+0000) in text for a PostgreSQL target, which cannot store them:
    /// error (default: the row goes to the error policy) or remove (removed, counted).
    #[arg(long, value_enum, default_value_t)]
    pub nul_chars: NulCharsArg,
    /// After the load: rows (counts, then every row compared on the key), counts, or none.
    #[arg(long, value_enum, default_value_t)]
    pub validate: ValidateArg,
    /// When the target refuses rows: suspend-table (default), stop-task, or log (keep them
    /// in tugboat_apply_exceptions and go on).
    #[arg(long, value_enum, default_value_t)]
    pub error_policy: ErrorPolicyArg,
    /// Reload this table from scratch even if an earlier run finished it (`schema.table`,
    /// repeatable).
    #[arg(long)]
    pub reload: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// full-load (default), full-load-and-cdc (then replicate changes until stopped) or cdc
    /// (replicate changes only). A replicating task stops cleanly at a checkpoint on SIGINT or
    /// SIGTERM; the same command again resumes from it.
    #[arg(long = "type", value_enum, default_value_t = TaskTypeArg::FullLoad)]
    pub task_type: TaskTypeArg,
    /// A cdc task's first position when it has no checkpoint yet (a binary log `file:pos`, a
    /// MariaDB GTID `domain-server-seq` such as 0-1-42, or a PostgreSQL LSN at or after its
    /// slot's); default: now.
    #[arg(long)]
    pub start_position: Option<String>,
    /// A replicating task: stop by itself once every transaction up to this is applied (a
    /// binary log `file:pos`, an LSN `X/Y`, or a commit time such as `2026-12-02T14:30:00Z`);
    /// exit 0 at that checkpoint.
    #[arg(long)]
    pub stop_at: Option<String>,
}

/// A stop (`--stop-at`, or the task's own) only means something to a replicating task.
pub(super) fn refuse_stop_without_capture(t: &crate::tasks::Task) -> Result<()> {
    if t.stop_at.is_some() && !t.task_type.captures() {
        return Err(Error::InvalidEndpoint {
            endpoint: "--stop-at".into(),
            reason: format!(
                "task '{}' is a full-load task: only full-load-and-cdc and cdc tasks (--type) replicate up to a stop",
                t.name
            ),
        });
    }
    Ok(())
}

/// `schema.table` pattern into a selection rule (a bare name means any schema).
pub(super) fn selection(
    pattern: &str,
    action: crate::tasks::mappings::SelectionAction,
) -> crate::tasks::mappings::Selection {
    let (schema, table) = match pattern.split_once('.') {
        Some((s, t)) => (s.to_string(), t.to_string()),
        None => ("%".to_string(), pattern.to_string()),
    };
    crate::tasks::mappings::Selection {
        action,
        schema,
        table,
        filters: vec![],
    }
}

pub(super) fn task_from_args(a: &MigrateArgs) -> Result<(crate::tasks::Task, Resolved, Resolved)> {
    use crate::tasks::mappings::{SelectionAction, TableMappings};
    use crate::tasks::{ErrorPolicy, NulChars, Prepare, Settings, Task, ValidateMode, ZeroDates};
    let prepare = match a.prepare {
        PrepareArg::DoNothing => Prepare::DoNothing,
        PrepareArg::Truncate => Prepare::Truncate,
        PrepareArg::DropAndCreate => Prepare::DropAndCreate,
    };
    let zero_dates = match a.zero_dates {
        ZeroDatesArg::Null => ZeroDates::Null,
        ZeroDatesArg::Error => ZeroDates::Error,
    };
    let nul_chars = match a.nul_chars {
        NulCharsArg::Error => NulChars::Error,
        NulCharsArg::Remove => NulChars::Remove,
    };
    let resolve = |endpoint: String,
                   role|
     -> Result<(
        crate::endpoints::Endpoint,
        Option<crate::endpoints::Password>,
    )> {
        let (mut e, p) = TargetArgs {
            endpoint,
            project: a.project.clone(),
            password_env: None,
            timeout: None,
        }
        .resolve()?;
        e.role = role;
        Ok((e, p))
    };
    let (se, sp) = resolve(a.source.clone(), crate::endpoints::Role::Source)?;
    let (te, tp) = resolve(a.target.clone(), crate::endpoints::Role::Target)?;
    let from_file = match &a.mappings {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::File {
                path: path.clone(),
                message: e.to_string(),
            })?;
            Some(if path.extension().is_some_and(|x| x == "ron") {
                ron::from_str::<TableMappings>(&text).map_err(|e| Error::File {
                    path: path.clone(),
                    message: format!(
                        "line {}, column {}: {}",
                        e.span.start.line, e.span.start.col, e.code
                    ),
                })?
            } else {
                TableMappings::from_dms_json(&text, &path.display().to_string())?
            })
        }
        None => None,
    };
    let mut mappings = if let Some(m) = from_file {
        let mut m = m;
        m.selection.extend(
            a.include
                .iter()
                .map(|p| selection(p, SelectionAction::Include)),
        );
        m
    } else if a.include.is_empty() {
        TableMappings::all()
    } else {
        TableMappings {
            selection: a
                .include
                .iter()
                .map(|p| selection(p, SelectionAction::Include))
                .collect(),
            transformations: vec![],
        }
    };
    mappings.selection.extend(
        a.exclude
            .iter()
            .map(|p| selection(p, SelectionAction::Exclude)),
    );
    let task_type = crate::cdc::TaskType::from(a.task_type);
    let task = Task {
        id: String::new(),
        name: a.task.clone(),
        source: se.name.clone(),
        target: te.name.clone(),
        task_type,
        stop_at: a.stop_at.clone(),
        mappings,
        settings: Settings {
            prepare,
            create_schema: !a.no_create_schema,
            max_parallel_tables: a.parallel.max(1),
            batch_rows: a.batch_rows.max(1),
            partition_rows: a.partition_rows,
            cached_changes: a.cached_changes.max(1),
            cached_changes_mb: a.cached_changes_mb.max(1),
            file_mb: a.file_mb.max(1),
            cdc_flush_secs: a.flush_secs.max(1),
            lob_max_kb: a.lob_max_kb,
            retries: a.retries,
            zero_dates,
            nul_chars,
            error_policy: match a.error_policy {
                ErrorPolicyArg::SuspendTable => ErrorPolicy::SuspendTable,
                ErrorPolicyArg::StopTask => ErrorPolicy::StopTask,
                ErrorPolicyArg::Log => ErrorPolicy::LogAndContinue,
            },
            validate: match a.validate {
                ValidateArg::None => ValidateMode::None,
                ValidateArg::Counts => ValidateMode::Counts,
                ValidateArg::Rows => ValidateMode::Rows,
            },
        },
    };
    Ok((task, (se, sp), (te, tp)))
}

type Resolved = (
    crate::endpoints::Endpoint,
    Option<crate::endpoints::Password>,
);

pub(super) async fn migrate(a: MigrateArgs) -> Result<()> {
    let (task, s, d) = task_from_args(&a)?;
    refuse_stop_without_capture(&task)?;
    if task.task_type.captures() {
        let start = match &a.start_position {
            Some(p) => {
                Some(
                    crate::cdc::StartAt::parse(p).ok_or_else(|| Error::InvalidEndpoint {
                        endpoint: "--start-position".into(),
                        reason: format!(
                            "'{p}' is not a position (binary log file:pos, a MariaDB GTID domain-server-seq or a GTID state such as 0-1-42,1-2-7, or an LSN X/Y; MySQL's uuid:n GTIDs are not supported yet: give the binary log file:pos)"
                        ),
                    })?,
                )
            }
            None => None,
        };
        let task_type = task.task_type;
        let mode = Mode::Replicate { task_type, start };
        return run_task(task, s, d, a.json, mode, a.reload.clone()).await;
    }
    run_task(task, s, d, a.json, Mode::Load, a.reload.clone()).await
}

/// Prints how a replicating task ended; Err when a table was suspended or the load failed.
pub(super) fn replicated(s: crate::cdc::run::CdcSummary, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
    } else {
        if let Some(f) = &s.full_load {
            let rows: u64 = f.tables.iter().map(|t| t.rows).sum();
            println!(
                "full load: {} tables, {rows} rows in {:.1} s; {} failed",
                f.tables.len(),
                f.seconds,
                f.failed()
            );
        }
        println!("{}", s.stats.line());
        println!("{}", s.stop_reason);
        println!(
            "{:<36} {:>10} {:>10} {:>10} {:>6} {:>10}  state",
            "table", "inserts", "updates", "deletes", "ddl", "exceptions"
        );
        for (t, c) in &s.stats.tables {
            println!(
                "{t:<36} {:>10} {:>10} {:>10} {:>6} {:>10}  {}",
                c.inserts,
                c.updates,
                c.deletes,
                c.ddls,
                c.exceptions,
                c.suspended
                    .as_deref()
                    .map(|w| format!("suspended: {w}"))
                    .unwrap_or("replicating".into())
            );
        }
        println!(
            "stopped at checkpoint {}; the same command resumes from it",
            s.stats.checkpoint
        );
    }
    if let Some(f) = &s.full_load
        && f.failed() > 0
    {
        return Err(Error::Query {
            endpoint: "full load".into(),
            context: "migrating".into(),
            message: format!(
                "{} tables failed or do not match; replication did not start",
                f.failed()
            ),
            cause: crate::error::Cause::Statement,
        });
    }
    let suspended: Vec<&str> = s
        .stats
        .tables
        .iter()
        .filter(|(_, c)| c.suspended.is_some())
        .map(|(t, _)| t.as_str())
        .collect();
    if !suspended.is_empty() {
        return Err(Error::Query {
            endpoint: "replication".into(),
            context: "applying changes".into(),
            message: format!("tables suspended: {}", suspended.join(", ")),
            cause: crate::error::Cause::Statement,
        });
    }
    Ok(())
}

/// Progress as plain lines, for logs: each step and table event, and a table's rows at most
/// every 5 seconds.
pub(super) struct PlainLines {
    started: std::time::Instant,
    last: std::collections::HashMap<String, std::time::Instant>,
}

impl PlainLines {
    fn new() -> Self {
        PlainLines {
            started: std::time::Instant::now(),
            last: Default::default(),
        }
    }

    fn line(&mut self, e: &crate::tasks::TaskEvent) -> Option<String> {
        use crate::tasks::TaskEvent;
        let text = match e {
            TaskEvent::Step(s) => s.clone(),
            TaskEvent::Planned(t) => format!("{} tables to load", t.len()),
            TaskEvent::SchemaReady => return None,
            TaskEvent::TableReady { .. } => return None,
            TaskEvent::TableStarted { table } => format!("{table}: full load"),
            TaskEvent::Progress { table, rows, .. } => {
                let now = std::time::Instant::now();
                let due = self
                    .last
                    .get(table)
                    .is_none_or(|t| now.duration_since(*t).as_secs() >= 5);
                if !due {
                    return None;
                }
                self.last.insert(table.clone(), now);
                match crate::tasks::memory_in_use() {
                    Some((m, _)) => format!("{table}: {rows} rows (memory {} MiB)", m >> 20),
                    None => format!("{table}: {rows} rows"),
                }
            }
            TaskEvent::TableSkipped { table, rows } => {
                format!("{table}: completed earlier ({rows} rows), skipped")
            }
            TaskEvent::TableDone {
                table,
                rows,
                seconds,
                ..
            } => format!("{table}: completed, {rows} rows in {seconds:.1} s"),
            TaskEvent::TableFailed { table, error } => format!("{table}: ERROR {error}"),
            TaskEvent::Ranges { table, parts, done } => {
                format!(
                    "{table}: {done} of {parts} parts done (key ranges or slices, loaded side by side)"
                )
            }
            TaskEvent::RowsRefused { table, total, .. } => {
                format!("{table}: {total} rows refused (see tugboat_apply_exceptions)")
            }
            TaskEvent::Validated {
                table,
                state,
                mismatched,
                ..
            } if *mismatched > 0 => format!(
                "{table}: {state}, {} {}",
                crate::units::rows(*mismatched),
                crate::units::differ(*mismatched)
            ),
            TaskEvent::Validated { table, state, .. } => format!("{table}: {state}"),
            TaskEvent::Cdc(c) => {
                let due = self
                    .last
                    .get("\0cdc")
                    .is_none_or(|t| t.elapsed().as_secs() >= 5);
                if !due {
                    return None;
                }
                self.last.insert("\0cdc".into(), std::time::Instant::now());
                c.line()
            }
        };
        Some(format!(
            "[{:7.1} s] {text}",
            self.started.elapsed().as_secs_f64()
        ))
    }
}

/// Runs a task with a progress bar per table (or quietly with `json`), then prints the summary.
pub(super) async fn run_task(
    task: crate::tasks::Task,
    (se, sp): (
        crate::endpoints::Endpoint,
        Option<crate::endpoints::Password>,
    ),
    (te, tp): Resolved,
    json: bool,
    mode: Mode,
    reload: Vec<String>,
) -> Result<()> {
    use crate::tasks::TaskEvent;
    use std::sync::Arc;
    let bad = |what: &str, reason: String| Error::InvalidEndpoint {
        endpoint: what.into(),
        reason,
    };
    let source = Connection::open(&se, sp).await?;
    let target = crate::runner::Target::open(&te, tp).await?;
    let multi = indicatif::MultiProgress::new();
    // Not a terminal (a log file, a CI job): plain progress lines instead of bars.
    let plain = !json && !std::io::IsTerminal::is_terminal(&std::io::stderr());
    if json || plain {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let lines = std::sync::Mutex::new(PlainLines::new());
    let status = multi.add(indicatif::ProgressBar::new_spinner());
    status.enable_steady_tick(std::time::Duration::from_millis(120));
    let table_bars = TableBars {
        multi: multi.clone(),
        status: status.clone(),
        bars: Default::default(),
        style: indicatif::ProgressStyle::with_template(
            "{prefix:32!} {bar:30} {pos:>10}/{len:<10} rows {per_sec:>12} {elapsed:>4} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    };
    // The run's figures: the same model the app's Monitor reads.
    let progress = Arc::new(std::sync::Mutex::new(
        crate::tasks::progress::RunProgress::new(matches!(mode, Mode::ValidateOnly)),
    ));
    let events = {
        let status = status.clone();
        let progress = progress.clone();
        Arc::new(move |e: TaskEvent| {
            {
                let mut p = progress.lock().unwrap_or_else(|p| p.into_inner());
                p.apply(&e);
                if !matches!(e, TaskEvent::Cdc(_)) {
                    status.set_message(if p.tables.is_empty() {
                        p.step.clone()
                    } else {
                        format!("{} · {}", p.status_line(None), p.step)
                    });
                }
            }
            if plain && let Some(line) = lines.lock().unwrap_or_else(|p| p.into_inner()).line(&e) {
                // A closed pipe (`| head`) must not stop the task: the line is lost, the task
                // goes on.
                if std::io::Write::write_fmt(&mut std::io::stderr(), format_args!("{line}\n"))
                    .is_err()
                {
                    tracing::debug!(target: "tugboat::cli", "stderr is closed");
                }
            }
            table_bars.on(e);
        })
    };
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    stop_on_signal(cancel.clone());
    let c = cancel.clone();
    let validating = matches!(mode, Mode::ValidateOnly);
    let outcome = crate::runner::run_to(&task, &source, &target, mode, &reload, events, c).await;
    status.finish_and_clear();
    source.close().await;
    target.close().await;
    let summary = match outcome? {
        crate::runner::Outcome::Replicated(r) => return replicated(*r, json),
        crate::runner::Outcome::Loaded(s) => s,
    };
    let task_lob_kb = task.settings.lob_max_kb;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
    } else {
        super::summary::print_summary(&summary, task_lob_kb);
    }
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(bad(
            if validating { "validate" } else { "migrate" },
            "stopped by the user; run the same command again to resume".into(),
        ));
    }
    match unfinished(&summary) {
        Some(message) => Err(Error::Query {
            endpoint: te.label(),
            context: if validating { "comparing" } else { "migrating" }.into(),
            message,
            cause: crate::error::Cause::Statement,
        }),
        None => Ok(()),
    }
}

/// What a load left undone: tables that failed or do not match, objects not created on the
/// target; None when nothing.
fn unfinished(summary: &crate::tasks::Summary) -> Option<String> {
    if summary.problems() == 0 {
        return None;
    }
    let schema: Vec<&str> = summary
        .schema_failures
        .iter()
        .filter(|f| !f.deferred)
        .map(|f| f.object.as_str())
        .collect();
    let mut message = format!("{} tables failed or do not match", summary.failed());
    if !schema.is_empty() {
        message.push_str(&format!(
            "; not created on the target: {} (fix them and run again: finished tables are skipped)",
            schema.join(", ")
        ));
    }
    Some(message)
}

/// Each table's progress bar, driven by the task's events.
struct TableBars {
    multi: indicatif::MultiProgress,
    status: indicatif::ProgressBar,
    bars: std::sync::Mutex<std::collections::HashMap<String, indicatif::ProgressBar>>,
    style: indicatif::ProgressStyle,
}

impl TableBars {
    /// Moves the bars as event `e` says.
    fn on(&self, e: crate::tasks::TaskEvent) {
        use crate::tasks::TaskEvent;
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        let (multi, style) = (&self.multi, &self.style);
        match e {
            TaskEvent::Step(_) => {}
            TaskEvent::Planned(tables) => {
                for (t, _, est) in tables {
                    let b = multi.add(indicatif::ProgressBar::new(est.unwrap_or(0).max(0) as u64));
                    b.set_style(style.clone());
                    b.set_prefix(t.clone());
                    b.set_message("before load");
                    bars.insert(t, b);
                }
            }
            TaskEvent::TableStarted { table } => {
                if let Some(b) = bars.get(&table) {
                    b.reset_elapsed();
                    b.set_message("full load");
                }
            }
            TaskEvent::Progress { table, rows, .. } => {
                if let Some(b) = bars.get(&table) {
                    if rows > b.length().unwrap_or(0) {
                        b.set_length(rows);
                    }
                    b.set_position(rows);
                }
            }
            TaskEvent::TableSkipped { table, rows } => {
                if let Some(b) = bars.get(&table) {
                    b.set_length(rows);
                    b.set_position(rows);
                    b.finish_with_message("completed earlier: skipped");
                }
            }
            TaskEvent::TableDone {
                table,
                rows,
                zero_dates,
                lobs_truncated,
                nuls_removed,
                ..
            } => {
                if let Some(b) = bars.get(&table) {
                    b.set_length(rows);
                    b.set_position(rows);
                    let mut notes = vec![];
                    if zero_dates > 0 {
                        notes.push(format!("{zero_dates} zero dates as NULL"));
                    }
                    if lobs_truncated > 0 {
                        notes.push(format!("{lobs_truncated} LOBs cut to the limit"));
                    }
                    if nuls_removed > 0 {
                        notes.push(format!("NULs removed from {nuls_removed} values"));
                    }
                    b.finish_with_message(if notes.is_empty() {
                        "completed".to_string()
                    } else {
                        format!("completed ({})", notes.join(", "))
                    });
                }
            }
            TaskEvent::TableFailed { table, error } => {
                if let Some(b) = bars.get(&table) {
                    b.abandon_with_message(format!("ERROR {error}"));
                }
            }
            TaskEvent::Ranges { table, parts, done } => {
                if let Some(b) = bars.get(&table) {
                    b.set_message(format!("full load: {done}/{parts} parts done"));
                }
            }
            TaskEvent::RowsRefused { table, total, .. } => {
                if let Some(b) = bars.get(&table) {
                    b.set_message(format!(
                        "{total} rows refused: see tugboat_apply_exceptions"
                    ));
                }
            }
            TaskEvent::Validated { .. } | TaskEvent::SchemaReady => {}
            TaskEvent::TableReady { .. } => {}
            TaskEvent::Cdc(c) => self.status.set_message(c.line()),
        }
    }
}

/// Sets `cancel` on Ctrl-C or SIGTERM: the task stops cleanly at its checkpoint.
pub(super) fn stop_on_signal(cancel: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(target: "tugboat::cli", "SIGTERM cannot be caught ({e}): only Ctrl-C stops the task cleanly");
                    ctrl_c_or_never().await;
                }
            }
        }
        #[cfg(not(unix))]
        ctrl_c_or_never().await;
        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}

/// Returns on Ctrl-C. Where the handler cannot be installed it never returns (the task runs
/// on; a kill still stops it, and it resumes from its checkpoint), rather than stopping the
/// task at once.
async fn ctrl_c_or_never() {
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::warn!(target: "tugboat::cli", "Ctrl-C cannot be caught ({e})");
        std::future::pending::<()>().await;
    }
}
