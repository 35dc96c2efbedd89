//! The one way a task runs, for the app and the CLI alike: the [`Mode`] decides what the engine
//! does (a full load, a comparison only, or replication with or without its full load), tables
//! asked to be reloaded are reset first, and both clients fold the same [`TaskEvent`]s into the
//! same progress model ([`crate::tasks::progress`]). Above the tasks and replication engines;
//! nothing below imports it.

pub mod premigration;
pub mod status;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::cdc::run::CdcSummary;
use crate::cdc::{StartAt, TaskType};
use crate::endpoints::Connection;
use crate::error::Result;
use crate::tasks::{Summary, Task, TaskEvent};

/// What a run does.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Load (resuming: finished tables are skipped), then validate.
    Load,
    /// Compare what is on the target with the source; load nothing.
    ValidateOnly,
    /// Full load and replication, or replication only, until stopped or at the task's stop.
    Replicate {
        task_type: TaskType,
        start: Option<StartAt>,
    },
}

impl Mode {
    /// What a project's task does when started: replication if its type captures changes,
    /// else a load.
    pub fn of(task: &Task) -> Mode {
        if task.task_type.captures() {
            Mode::Replicate {
                task_type: task.task_type,
                start: None,
            }
        } else {
            Mode::Load
        }
    }
}

/// A task's target, open: a database, or a data lake (Parquet files, which is no database).
pub enum Target {
    Database(Connection),
    Lake(crate::lake::Lake),
}

impl Target {
    /// Opens `endpoint` as a task's target.
    pub async fn open(
        endpoint: &crate::endpoints::Endpoint,
        password: Option<crate::endpoints::Password>,
    ) -> Result<Target> {
        if endpoint.engine != crate::endpoints::Engine::Parquet {
            return Ok(Target::Database(
                Connection::open(endpoint, password).await?,
            ));
        }
        endpoint.validate()?;
        let at = crate::endpoints::Location::of_lake(&endpoint.database)?;
        Ok(Target::Lake(crate::lake::Lake::open(&at).await?))
    }

    pub fn label(&self) -> String {
        match self {
            Target::Database(c) => c.endpoint.label(),
            Target::Lake(l) => l.label().to_string(),
        }
    }

    pub async fn close(self) {
        if let Target::Database(c) = self {
            c.close().await;
        }
    }
}

/// [`run`] into either kind of target.
pub async fn run_to(
    task: &Task,
    source: &Connection,
    target: &Target,
    mode: Mode,
    reload: &[String],
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<AtomicBool>,
) -> Result<Outcome> {
    match target {
        Target::Database(t) => run(task, source, t, mode, reload, events, cancel).await,
        Target::Lake(l) => run_into_lake(task, source, l, mode, reload, events, cancel).await,
    }
}

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    Loaded(Summary),
    Replicated(Box<CdcSummary>),
}

impl Outcome {
    /// The load's summary (a replication run's full load, or an empty one when it had none).
    pub fn into_summary(self, task: &Task, seconds: f64) -> Summary {
        match self {
            Outcome::Loaded(s) => s,
            Outcome::Replicated(c) => c.full_load.unwrap_or(Summary {
                task: task.name.clone(),
                tables: vec![],
                seconds,
                peak_memory: crate::tasks::memory_in_use().map(|m| m.1),
                schema_failures: vec![],
                left_out: vec![],
            }),
        }
    }
}

/// Runs `task` from `source` to `target` as `mode` says; `reload` (source `schema.table`
/// names) are loaded again from scratch by a load or a replication's full load.
pub async fn run(
    task: &Task,
    source: &Connection,
    target: &Connection,
    mode: Mode,
    reload: &[String],
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<AtomicBool>,
) -> Result<Outcome> {
    // One run of a task at a time, wherever it runs: its lock on the target is held until the
    // run ends (a comparison writes nothing and takes none).
    let held = match mode {
        Mode::ValidateOnly => None,
        _ => Some(lock(task, target).await?),
    };
    run_holding(held, task, source, target, mode, reload, events, cancel).await
}

/// [`run`] with the task's lock already taken by the caller (`held`, kept until the run
/// ends): what a cut-over does when it runs a task itself, so that no other run can start in
/// between (a released lock is freed by the server a moment after the session closes).
#[allow(clippy::too_many_arguments)]
pub async fn run_holding(
    held: Option<crate::engines::switch::TaskLock>,
    task: &Task,
    source: &Connection,
    target: &Connection,
    mode: Mode,
    reload: &[String],
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<AtomicBool>,
) -> Result<Outcome> {
    let _held = held;
    if !reload.is_empty() && mode != Mode::ValidateOnly {
        reload_tables(task, target, &mode, reload).await?;
    }
    Ok(match mode {
        Mode::Load => {
            Outcome::Loaded(crate::tasks::run(task, source, target, events, cancel).await?)
        }
        Mode::ValidateOnly => Outcome::Loaded(
            crate::tasks::validate_only(task, source, target, events, cancel).await?,
        ),
        Mode::Replicate { task_type, start } => Outcome::Replicated(Box::new(
            crate::cdc::run_cdc(task, task_type, source, target, events, cancel, start).await?,
        )),
    })
}

/// Runs `task` from `source` into a data lake (Parquet files): a full load, a comparison of
/// what it loaded, or replication; the `reload` tables (source `schema.table`) loaded again. A
/// start position is refused with why.
pub async fn run_into_lake(
    task: &Task,
    source: &Connection,
    lake: &crate::lake::Lake,
    mode: Mode,
    reload: &[String],
    events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    cancel: Arc<AtomicBool>,
) -> Result<Outcome> {
    let refused = |what: &str| crate::error::Error::Invalid {
        what: format!("task {}", task.name),
        reason: format!("{what} for a Parquet target is not built yet"),
    };
    if !reload.is_empty() {
        crate::lake::load::forget(lake, &task.name, reload).await?;
    }
    match mode {
        Mode::Load => Ok(Outcome::Loaded(
            crate::lake::load::run(task, source, lake, events, cancel).await?,
        )),
        Mode::ValidateOnly => Ok(Outcome::Loaded(
            crate::lake::load::validate_only(task, source, lake, events, cancel).await?,
        )),
        Mode::Replicate { start: Some(_), .. } => Err(refused("a start position")),
        Mode::Replicate { task_type, .. } => Ok(Outcome::Replicated(Box::new(
            crate::lake::cdc::run(task, task_type, source, lake, events, cancel).await?,
        ))),
    }
}

/// Forgets the state of the `reload` tables so that they load again. A replicating task past
/// its full load goes back to it from its checkpoint: the tables reloaded load while the
/// others' changes go on, theirs cached meanwhile and applied after (as a full load resumed).
async fn reload_tables(
    task: &Task,
    target: &Connection,
    mode: &Mode,
    reload: &[String],
) -> Result<()> {
    if let Mode::Replicate { task_type, .. } = *mode {
        let checkpoint = crate::cdc::apply::checkpoint(target, &task.name).await?;
        match checkpoint {
            Some(mut c) if c.phase == crate::cdc::ReplicationPhase::Cdc => {
                if task_type != crate::cdc::TaskType::FullLoadAndCdc {
                    return Err(crate::error::Error::Invalid {
                        what: format!("task {}", task.name),
                        reason: "it replicates changes only: no full load reloads a table (run a full-load-and-cdc task)".into(),
                    });
                }
                c.phase = crate::cdc::ReplicationPhase::FullLoad;
                crate::tasks::reload(&task.name, target, reload).await?;
                return crate::cdc::apply::set_checkpoint(target, &task.name, &c).await;
            }
            _ => {}
        }
    }
    crate::tasks::reload(&task.name, target, reload).await
}

/// Takes `task`'s lock on `target`, or says the task is running elsewhere.
pub async fn lock(task: &Task, target: &Connection) -> Result<crate::engines::switch::TaskLock> {
    crate::engines::of(target.endpoint.engine)
        .task_lock(target, &task.name)
        .await?
        .ok_or_else(|| crate::error::Error::Invalid {
            what: format!("task {}", task.name),
            reason: format!(
                "it is running already: another session holds its lock on {} (stop that run first)",
                target.endpoint.label()
            ),
        })
}
