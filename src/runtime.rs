//! The background runtime: clients that must never block (the GUI) send [`Command`]s and read
//! [`Event`]s. All database work runs on a tokio runtime in background threads; results come back
//! through a channel the client drains each frame, and a waker tells it to look.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use tracing::Instrument;

use crate::endpoints::{Connection, Endpoint, Password, ServerInfo, test_connection};
use crate::engines::discover::{DiscoverOptions, discover_with_progress, exact_row_count};
use crate::model::Catalog;

/// Identifies a submitted command; its events carry the same id.
pub type RequestId = u64;

/// Work for the background runtime.
#[derive(Debug, Clone)]
pub enum Command {
    /// Connect and gather server information.
    TestConnection {
        endpoint: Endpoint,
        password: Option<Password>,
    },
    /// Read the endpoint's whole catalog.
    Discover {
        endpoint: Endpoint,
        password: Option<Password>,
        options: DiscoverOptions,
    },
    /// `count(*)` of one table.
    CountRows {
        endpoint: Endpoint,
        password: Option<Password>,
        schema: String,
        table: String,
    },
    /// Build the embedded demo database at this path if it is not there yet.
    PrepareDemo { path: std::path::PathBuf },
    /// Read a source (a script or a live endpoint) and convert it for a target engine.
    Assess {
        source: AssessSource,
        target: crate::ddl::Dialect,
        rules_dir: Option<std::path::PathBuf>,
        /// The user's edits of converted SQL (verified as edited).
        edits: Vec<crate::project::ObjectEdit>,
        /// The server to verify the conversion on (SQLite targets are verified in memory).
        verify_on: Option<(Endpoint, Option<Password>)>,
    },
    /// Run a migration task (full load) until it ends or `cancel` is set.
    RunTask {
        task: Box<crate::tasks::Task>,
        source: Endpoint,
        source_password: Option<Password>,
        target: Endpoint,
        target_password: Option<Password>,
        cancel: Arc<std::sync::atomic::AtomicBool>,
        /// Tables (`schema.table`) to reload from scratch.
        reload: Vec<String>,
        /// Compare what is on the target, load nothing.
        validate_only: bool,
    },
    /// A task's premigration checks (reads only).
    Premigration {
        task: Box<crate::tasks::Task>,
        source: Endpoint,
        source_password: Option<Password>,
        target: Endpoint,
        target_password: Option<Password>,
    },
    /// Where each task stands, from its target's control tables ([`crate::runner::status`]):
    /// (task, its target and password).
    Status(Vec<(String, Endpoint, Option<Password>)>),
    /// Apply a converted schema to a target endpoint.
    ApplySchema {
        report: Box<crate::assessment::Report>,
        endpoint: Endpoint,
        password: Option<Password>,
        with_data: bool,
        recreate: bool,
    },
    /// A cut-over or a fallback of a project's replicating task (`old`: its source, `new`:
    /// its target), or with `options.dry_run` its readiness only.
    Switch(Box<SwitchJob>),
    /// List a PostgreSQL server's replication slots with the WAL each one holds; with `drop`,
    /// drop that slot (and its publication) first.
    Slots {
        endpoint: Endpoint,
        password: Option<Password>,
        drop: Option<String>,
    },
}

/// A cut-over or a fallback to run: see [`Command::Switch`].
#[derive(Debug, Clone)]
pub struct SwitchJob {
    pub way: crate::cutover::way::Way,
    pub forward: crate::tasks::Task,
    /// The project's tasks (the reverse task is found or replaced among them).
    pub tasks: Vec<crate::tasks::Task>,
    pub old: (Endpoint, Option<Password>),
    pub new: (Endpoint, Option<Password>),
    pub options: crate::cutover::Options,
    pub cancel: Arc<std::sync::atomic::AtomicBool>,
}

/// What to assess.
#[derive(Debug, Clone)]
pub enum AssessSource {
    Script {
        path: std::path::PathBuf,
        dialect: Option<crate::ddl::Dialect>,
    },
    Endpoint {
        endpoint: Endpoint,
        password: Option<Password>,
    },
}

/// What a command produced. Errors are the engine's messages (they name what was wrong).
#[derive(Debug, Clone)]
pub enum EventKind {
    ConnectionTested(Result<ServerInfo, String>),
    Discovered(Result<Box<Catalog>, String>),
    RowsCounted {
        schema: String,
        table: String,
        result: Result<i64, String>,
    },
    DemoReady(Result<(), String>),
    /// A step of a running discovery.
    DiscoveryProgress(crate::engines::discover::Progress),
    Assessed(Result<Box<crate::assessment::Report>, String>),
    /// Statements done of total, while applying a schema.
    ApplyProgress {
        done: usize,
        total: usize,
    },
    SchemaApplied(Result<Vec<crate::conversion::apply::Applied>, String>),
    /// A running task's progress.
    Task(crate::tasks::TaskEvent),
    TaskFinished(Result<Box<crate::tasks::Summary>, String>),
    /// A server's replication slots (after the drop asked for, if any).
    Slots(Result<Vec<crate::engines::postgres::pgoutput::SlotInfo>, String>),
    /// A task's premigration checks.
    Checked(Result<Vec<crate::cdc::checks::Check>, String>),
    /// A step of a running cut-over or fallback.
    SwitchProgress(crate::cutover::Event),
    /// A cut-over or fallback ended.
    Switched(Result<Box<crate::cutover::Switched>, String>),
    /// Each task's status, or why its target could not be read.
    Status(Vec<(String, Result<crate::runner::status::TaskStatus, String>)>),
}

#[derive(Debug, Clone)]
pub struct Event {
    pub request: RequestId,
    /// The endpoint the command was about: its id in the project ([`Endpoint::key`]), or the
    /// script's path for an assessment of a script.
    pub endpoint: String,
    pub kind: EventKind,
}

type Waker = Arc<dyn Fn() + Send + Sync>;
/// Sends an intermediate event (progress) for the running command.
type Report = Arc<dyn Fn(&str, EventKind) + Send + Sync>;

/// Owns the tokio runtime and the event channel.
pub struct Runtime {
    rt: tokio::runtime::Runtime,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    next: RequestId,
    waker: Waker,
}

impl Runtime {
    pub fn new() -> std::io::Result<Runtime> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tugboat-worker")
            .enable_all()
            .build()?;
        let (tx, rx) = channel();
        Ok(Runtime {
            rt,
            tx,
            rx,
            next: 1,
            waker: Arc::new(|| {}),
        })
    }

    /// Called (from a worker thread) each time an event is ready, e.g. to request a repaint.
    pub fn set_waker(&mut self, waker: impl Fn() + Send + Sync + 'static) {
        self.waker = Arc::new(waker);
    }

    /// A handle on the tokio runtime, for clients' own background work (file dialogs...).
    pub fn handle(&self) -> tokio::runtime::Handle {
        self.rt.handle().clone()
    }

    /// Starts a command in the background and returns at once.
    pub fn submit(&mut self, command: Command) -> RequestId {
        let request = self.next;
        self.next += 1;
        let tx = self.tx.clone();
        let waker = self.waker.clone();
        self.rt.spawn(async move {
            let progress_tx = tx.clone();
            let progress_waker = waker.clone();
            let report: Report = Arc::new(move |endpoint: &str, kind: EventKind| {
                // The client is gone (the window closed): no one to tell.
                if progress_tx
                    .send(Event {
                        request,
                        endpoint: endpoint.to_string(),
                        kind,
                    })
                    .is_err()
                {
                    return;
                }
                progress_waker();
            });
            let (endpoint, kind) = run_command(command, report).await;
            if tx
                .send(Event {
                    request,
                    endpoint,
                    kind,
                })
                .is_err()
            {
                tracing::debug!(target: "tugboat::runtime", "the client is gone: a result was not delivered");
            }
            waker();
        });
        request
    }

    /// Every event that has arrived since the last call; never waits.
    pub fn poll(&self) -> Vec<Event> {
        self.rx.try_iter().collect()
    }
}

async fn run_command(command: Command, report: Report) -> (String, EventKind) {
    match command {
        Command::RunTask {
            task,
            source,
            source_password,
            target,
            target_password,
            cancel,
            reload,
            validate_only,
        } => {
            run_task(
                task,
                (source, source_password),
                (target, target_password),
                cancel,
                reload,
                validate_only,
                report,
            )
            .await
        }
        Command::Switch(job) => switch(*job, report).await,
        Command::Status(tasks) => (String::new(), EventKind::Status(status(tasks).await)),
        Command::Premigration {
            task,
            source,
            source_password,
            target,
            target_password,
        } => premigration(task, (source, source_password), (target, target_password)).await,
        Command::Slots {
            endpoint,
            password,
            drop,
        } => slots(endpoint, password, drop).await,
        Command::TestConnection { endpoint, password } => {
            let r = if endpoint.engine == crate::endpoints::Engine::Parquet {
                test_lake(&endpoint).await
            } else {
                test_connection(&endpoint, password).await
            }
            .map_err(|e| e.to_string());
            match &r {
                Ok(i) => {
                    tracing::info!(target: "tugboat::endpoints", "{}: {} {} reachable, latency {:.2} ms", endpoint.label(), i.product, i.version, i.latency_ms)
                }
                Err(e) => tracing::warn!(target: "tugboat::endpoints", "{e}"),
            }
            (endpoint.key(), EventKind::ConnectionTested(r))
        }
        Command::Discover {
            endpoint,
            password,
            options,
        } => discover(endpoint, password, options, report).await,
        Command::CountRows {
            endpoint,
            password,
            schema,
            table,
        } => count_rows(endpoint, password, schema, table).await,
        Command::Assess {
            source,
            target,
            rules_dir,
            edits,
            verify_on,
        } => assess(source, target, rules_dir, edits, verify_on).await,
        Command::ApplySchema {
            report: assessment,
            endpoint,
            password,
            with_data,
            recreate,
        } => apply_schema(assessment, endpoint, password, with_data, recreate, report).await,
        Command::PrepareDemo { path } => {
            let r = crate::demo::ensure_demo_database(&path)
                .await
                .map_err(|e| e.to_string());
            if let Err(e) = &r {
                tracing::error!(target: "tugboat::demo", "{e}");
            }
            (String::new(), EventKind::DemoReady(r))
        }
    }
}

/// Runs a task (or only validates it), its events reported as they come.
/// A cut-over or fallback, each step reported as it goes.
async fn switch(job: SwitchJob, report: Report) -> (String, EventKind) {
    let SwitchJob {
        way,
        forward,
        tasks,
        old,
        new,
        options,
        cancel,
    } = job;
    let name = forward.name.clone();
    let span = tracing::info_span!("task", task = %name);
    let r = async {
        let open = |(mut e, pw): (Endpoint, Option<Password>)| async move {
            // Both are written to (the journal, the checkpoints, read-only on and off).
            e.role = crate::endpoints::Role::Target;
            Connection::open(&e, pw).await
        };
        let (o, n) = (open(old).await?, open(new).await?);
        let events: crate::cutover::Events = {
            let (name, report) = (name.clone(), report.clone());
            Arc::new(move |e| report(&name, EventKind::SwitchProgress(e)))
        };
        let r =
            crate::cutover::way::run(way, &forward, &tasks, &o, &n, &options, events, cancel).await;
        o.close().await;
        n.close().await;
        r
    }
    .instrument(span.clone())
    .await;
    let _in_task = span.enter();
    match &r {
        Ok(s) if !s.not_ready.is_empty() => {
            tracing::warn!(target: "tugboat::cutover", "task {name}: not ready for the {}: {}", way.label(), s.not_ready.join("; "))
        }
        Ok(_) => tracing::info!(target: "tugboat::cutover", "task {name}: {} done", way.label()),
        Err(e) => tracing::error!(target: "tugboat::cutover", "task {name}: {e}"),
    }
    (
        name,
        EventKind::Switched(r.map(Box::new).map_err(|e| e.to_string())),
    )
}

async fn run_task(
    task: Box<crate::tasks::Task>,
    (source, source_password): (Endpoint, Option<Password>),
    (target, target_password): (Endpoint, Option<Password>),
    cancel: Arc<std::sync::atomic::AtomicBool>,
    reload: Vec<String>,
    validate_only: bool,
    report: Report,
) -> (String, EventKind) {
    let name = task.name.clone();
    let span = tracing::info_span!("task", task = %name);
    let r = async {
        let s = Connection::open(&source, source_password).await?;
        let t = crate::runner::Target::open(&target, target_password).await?;
        let events = {
            let name = name.clone();
            let report = report.clone();
            Arc::new(move |e: crate::tasks::TaskEvent| report(&name, EventKind::Task(e)))
        };
        let mode = if validate_only {
            crate::runner::Mode::ValidateOnly
        } else {
            crate::runner::Mode::of(&task)
        };
        let started = std::time::Instant::now();
        let r = crate::runner::run_to(&task, &s, &t, mode, &reload, events, cancel)
            .await
            .map(|o| o.into_summary(&task, started.elapsed().as_secs_f64()));
        s.close().await;
        t.close().await;
        r
    }
    .instrument(span.clone())
    .await
    .map(Box::new)
    .map_err(|e| e.to_string());
    let _in_task = span.enter();
    match &r {
        Ok(s) => {
            tracing::info!(target: "tugboat::tasks", "task {name}: {} tables in {:.1} s, {} failed, {} schema statements failed", s.tables.len(), s.seconds, s.failed(), s.schema_failures.iter().filter(|f| !f.deferred).count())
        }
        Err(e) => tracing::error!(target: "tugboat::tasks", "task {name}: {e}"),
    }
    (name, EventKind::TaskFinished(r))
}

/// A data lake "connection" test: the folder or bucket opened and listed, what is there.
async fn test_lake(endpoint: &Endpoint) -> crate::error::Result<crate::endpoints::ServerInfo> {
    let started = std::time::Instant::now();
    let crate::runner::Target::Lake(lake) = crate::runner::Target::open(endpoint, None).await?
    else {
        return Err(crate::error::Error::InvalidEndpoint {
            endpoint: endpoint.label(),
            reason: "not a data lake".into(),
        });
    };
    let states = lake.list(&lake.path(&["_tugboat"])).await?;
    let tasks: std::collections::BTreeSet<String> = states
        .iter()
        .filter_map(|o| {
            o.location
                .parts()
                .nth(o.location.parts().count().saturating_sub(2))
        })
        .map(|p| p.as_ref().to_string())
        .collect();
    Ok(crate::endpoints::ServerInfo {
        product: "Parquet".into(),
        version: String::new(),
        version_full: lake.label().to_string(),
        current_user: String::new(),
        database: endpoint.database.clone(),
        connect_ms: started.elapsed().as_secs_f64() * 1000.0,
        latency_ms: 0.0,
        catalog_readable: true,
        catalog_detail: if tasks.is_empty() {
            "reachable; no task has written here yet".into()
        } else {
            format!(
                "reachable; written by {} task(s): {}",
                tasks.len(),
                tasks.into_iter().collect::<Vec<_>>().join(", ")
            )
        },
    })
}

/// A task's premigration checks.
async fn premigration(
    task: Box<crate::tasks::Task>,
    (source, source_password): (Endpoint, Option<Password>),
    (target, target_password): (Endpoint, Option<Password>),
) -> (String, EventKind) {
    let name = task.name.clone();
    let r = async {
        let s = Connection::open(&source, source_password).await?;
        let t = crate::runner::Target::open(&target, target_password).await?;
        let r = crate::runner::premigration::run_to(&task, &s, &t).await;
        s.close().await;
        t.close().await;
        r
    }
    .await
    .map_err(|e| e.to_string());
    match &r {
        Ok(checks) => {
            let bad = checks
                .iter()
                .filter(|c| c.status != crate::cdc::checks::Status::Passed)
                .count();
            tracing::info!(target: "tugboat::tasks", "task {name}: {} premigration checks, {bad} not passed", checks.len())
        }
        Err(e) => {
            tracing::warn!(target: "tugboat::tasks", "task {name}: premigration checks: {e}")
        }
    }
    (name, EventKind::Checked(r))
}

/// A PostgreSQL source's replication slots (one dropped first when asked).
async fn slots(
    endpoint: Endpoint,
    password: Option<Password>,
    drop: Option<String>,
) -> (String, EventKind) {
    let r = async {
            let c = Connection::open(&endpoint, password).await?;
            let r = async {
                if let Some(slot) = &drop {
                    crate::engines::postgres::pgoutput::drop_slot_named(&c, slot).await?;
                    tracing::info!(target: "tugboat::cdc", "{}: dropped replication slot {slot} and its publication", endpoint.label());
                }
                crate::engines::postgres::pgoutput::slots(&c).await
            }
            .await;
            c.close().await;
            r
        }
        .await
        .map_err(|e| e.to_string());
    if let Err(e) = &r {
        tracing::warn!(target: "tugboat::cdc", "{e}");
    }
    (endpoint.key(), EventKind::Slots(r))
}

/// Each task's status on its target, one connection per target endpoint.
async fn status(
    tasks: Vec<(String, Endpoint, Option<Password>)>,
) -> Vec<(String, Result<crate::runner::status::TaskStatus, String>)> {
    let mut open: Vec<(String, Result<crate::runner::Target, String>)> = vec![];
    let mut out = vec![];
    for (task, endpoint, password) in tasks {
        let key = endpoint.key();
        if !open.iter().any(|(k, _)| *k == key) {
            let c = crate::runner::Target::open(&endpoint, password)
                .await
                .map_err(|e| e.to_string());
            open.push((key.clone(), c));
        }
        let r = match open.iter().find(|(k, _)| *k == key).map(|x| &x.1) {
            Some(Ok(c)) => crate::runner::status::of_target(c, &task)
                .await
                .map_err(|e| e.to_string()),
            Some(Err(e)) => Err(e.clone()),
            None => Err("no connection".into()),
        };
        out.push((task, r));
    }
    for (_, c) in open {
        if let Ok(c) = c {
            c.close().await;
        }
    }
    out
}

/// Reads an endpoint's catalog, reporting its progress.
async fn discover(
    endpoint: Endpoint,
    password: Option<Password>,
    options: DiscoverOptions,
    report: Report,
) -> (String, EventKind) {
    let name = endpoint.key();
    let progress = Arc::new(move |p: &crate::engines::discover::Progress| {
        report(&name, EventKind::DiscoveryProgress(p.clone()))
    });
    let r = async {
        let conn = Connection::open(&endpoint, password).await?;
        let c = discover_with_progress(&conn, &options, progress).await;
        conn.close().await;
        c
    }
    .await
    .map(Box::new)
    .map_err(|e| e.to_string());
    if let Err(e) = &r {
        tracing::warn!(target: "tugboat::discovery", "{e}");
    }
    (endpoint.key(), EventKind::Discovered(r))
}

/// Counts one table's rows exactly.
async fn count_rows(
    endpoint: Endpoint,
    password: Option<Password>,
    schema: String,
    table: String,
) -> (String, EventKind) {
    let r = async {
        let conn = Connection::open(&endpoint, password).await?;
        let n = exact_row_count(&conn, &schema, &table).await;
        conn.close().await;
        n
    }
    .await
    .map_err(|e| e.to_string());
    if let Ok(n) = &r {
        tracing::info!(target: "tugboat::discovery", "{}: {schema}.{table} has {n} rows", endpoint.label());
    }
    (
        endpoint.key(),
        EventKind::RowsCounted {
            schema,
            table,
            result: r,
        },
    )
}

/// Assesses a script or a live source for a target, with the project's edits, verified on a target when asked.
async fn assess(
    source: AssessSource,
    target: crate::ddl::Dialect,
    rules_dir: Option<std::path::PathBuf>,
    edits: Vec<crate::project::ObjectEdit>,
    verify_on: Option<(Endpoint, Option<Password>)>,
) -> (String, EventKind) {
    let (name, shown) = match &source {
        AssessSource::Endpoint { endpoint, .. } => (endpoint.key(), endpoint.name.clone()),
        AssessSource::Script { path, .. } => {
            (path.display().to_string(), path.display().to_string())
        }
    };
    let r = async {
        let src = match source {
            AssessSource::Script { path, dialect } => {
                crate::conversion::load_script(&path, dialect)?
            }
            AssessSource::Endpoint { endpoint, password } => {
                crate::conversion::load_endpoint(&endpoint, password).await?
            }
        };
        let mut report = crate::conversion::assess(&src, target, rules_dir.as_deref())?;
        report.apply_edits(&edits);
        let on = match verify_on {
            Some((mut endpoint, password)) => {
                endpoint.role = crate::endpoints::Role::Target;
                Some(Connection::open(&endpoint, password).await?)
            }
            None => None,
        };
        let rules = crate::conversion::RuleSet::load(src.dialect, target, rules_dir.as_deref())?;
        let verified =
            crate::conversion::verify::verify(&src, &rules, &mut report, on.as_ref()).await;
        if let Some(c) = &on {
            c.close().await;
        }
        verified?;
        Ok::<_, crate::error::Error>(report)
    }
    .await
    .map(Box::new)
    .map_err(|e| e.to_string());
    match &r {
        Ok(rep) => {
            tracing::info!(target: "tugboat::conversion", "assessed {shown}: {} objects, {:.1} h estimated; {}", rep.objects.len(), rep.total_effort_minutes / 60.0, crate::assessment::export::verification_line(rep))
        }
        Err(e) => tracing::warn!(target: "tugboat::conversion", "{e}"),
    }
    (name, EventKind::Assessed(r))
}

/// Applies a converted schema on the target, reporting its progress.
async fn apply_schema(
    assessment: Box<crate::assessment::Report>,
    endpoint: Endpoint,
    password: Option<Password>,
    with_data: bool,
    recreate: bool,
    report: Report,
) -> (String, EventKind) {
    let name = endpoint.name.clone();
    let r = async {
        let mut ep = endpoint.clone();
        ep.role = crate::endpoints::Role::Target;
        let conn = Connection::open(&ep, password).await?;
        let mut last = std::time::Instant::now();
        let results = crate::conversion::apply::apply_with(
            &assessment,
            &conn,
            None,
            with_data,
            recreate,
            |done, total| {
                // At most ten progress events a second.
                if last.elapsed() > std::time::Duration::from_millis(100) || done == total {
                    last = std::time::Instant::now();
                    report(&name, EventKind::ApplyProgress { done, total });
                }
            },
        )
        .await;
        conn.close().await;
        Ok::<_, crate::error::Error>(results)
    }
    .await
    .map_err(|e| e.to_string());
    (name, EventKind::SchemaApplied(r))
}
