//! The command line: `tugboat [gui|test-connection|inspect|project]`, a thin client of the engine.
//!
//! With no subcommand, the GUI opens. Exit codes: 0 success, 1 failure (the message says what and
//! where), 2 bad usage.

mod inspect;

pub use inspect::human_bytes;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::endpoints::{Connection, Endpoint, Password, test_connection};
use crate::engines::discover::{DiscoverOptions, discover_with_progress};
use crate::error::{Error, Result};
use crate::project::Project;

mod args;
pub use args::*;
mod convert;
mod task;

use crate::runner::Mode;
use convert::*;
pub use task::MigrateArgs;
use task::*;
mod projects;
use projects::*;

#[derive(Parser, Debug)]
#[command(name = "tugboat", version, about = "Database migration assistant: endpoints, schema discovery, conversion and data migration", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// More log output on stderr (-v: info, -vv: debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Open the desktop app (the default), optionally with a project file.
    Gui { project: Option<PathBuf> },
    /// Connect to an endpoint and print the server product, version, latency and catalog access.
    TestConnection {
        #[command(flatten)]
        target: TargetArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read an endpoint's schema: counts per object kind, then tables with columns and keys.
    Inspect {
        #[command(flatten)]
        target: TargetArgs,
        /// Print the whole neutral schema model as JSON.
        #[arg(long)]
        json: bool,
        /// Only these schemas (repeatable).
        #[arg(long = "schema")]
        schemas: Vec<String>,
        /// Also count the rows of every table exactly (count(*); slow on big tables).
        #[arg(long)]
        exact_counts: bool,
    },
    /// Assess converting a schema (a DDL script or a live endpoint) to a target engine: prints
    /// the summary per object kind; --report writes the full report (.json, .md).
    Assess {
        #[command(flatten)]
        conv: ConvertArgs,
        /// Report files; the format follows the extension (.json, .md). Repeatable.
        #[arg(long)]
        report: Vec<PathBuf>,
    },
    /// Convert a schema to DDL for the target and print it or write it to a file.
    Convert {
        #[command(flatten)]
        conv: ConvertArgs,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// pre-data, post-data or all.
        #[arg(long, value_enum, default_value_t = PhaseArg::All)]
        phase: PhaseArg,
        /// Include the script's INSERT statements, converted, between pre-data and post-data.
        #[arg(long)]
        with_data: bool,
    },
    /// Convert a schema and apply it to a target endpoint, statement by statement.
    ApplySchema {
        #[command(flatten)]
        conv: ConvertArgs,
        /// The target endpoint URL (or a name with --project).
        target_url: String,
        /// pre-data, post-data or all.
        #[arg(long, value_enum, default_value_t = PhaseArg::All)]
        phase: PhaseArg,
        /// Print the statements instead of running them.
        #[arg(long)]
        dry_run: bool,
        /// Also load the script's INSERT statements, converted, between pre-data and post-data.
        #[arg(long)]
        with_data: bool,
        /// Drop every object the schema creates before creating it again (their data is lost).
        /// Without it, objects that already exist are left as they are.
        #[arg(long)]
        recreate: bool,
        /// Exit 0 even when objects failed or could not be converted (they are still listed).
        #[arg(long)]
        allow_partial: bool,
    },
    /// Move the data of the selected tables from a source to a target (full load): the target
    /// schema is created through the converter, tables load in parallel with a progress bar
    /// each, and are validated (counts, then every row). Started again, finished tables are skipped and
    /// unfinished ones reloaded.
    Migrate(Box<MigrateArgs>),
    /// Replication slots of a PostgreSQL server with the WAL each one holds back (Tugboat's are
    /// named tugboat_<task>); a slot nothing reads keeps WAL until it is dropped.
    Slots(TargetArgs),
    /// Forget a replicating task: drop its replication slot and publication on a PostgreSQL
    /// source, and its checkpoint and table states on the target (the next run starts afresh).
    DropTask {
        /// Source endpoint URL (or a name with --project).
        #[arg(long)]
        source: String,
        /// Target endpoint URL (or a name with --project).
        #[arg(long)]
        target: String,
        #[arg(long)]
        project: Option<PathBuf>,
        #[arg(long)]
        task: String,
    },
    /// Compare the selected tables of a source and a target without loading anything: counts,
    /// then key-range checksums computed inside both databases and the differing ranges row by
    /// row (or every row, with SQLite). Differing keys go to tugboat_validation_failures on the
    /// target. Exits non-zero when a table does not match.
    Validate {
        /// Source endpoint URL (or a name with --project).
        #[arg(long)]
        source: String,
        /// Target endpoint URL (or a name with --project).
        #[arg(long)]
        target: String,
        /// Project file holding the endpoints named.
        #[arg(long)]
        project: Option<PathBuf>,
        /// Task name (the key of its failures on the target).
        #[arg(long, default_value = "migrate")]
        task: String,
        /// Tables to compare, `schema.table` with `%` and `_` wildcards (repeatable; default
        /// all).
        #[arg(long, alias = "tables")]
        include: Vec<String>,
        /// Tables to leave out, same form (repeatable).
        #[arg(long)]
        exclude: Vec<String>,
        /// rows (default: checksums and rows) or counts.
        #[arg(long, value_enum, default_value_t)]
        method: MethodArg,
        /// Tables compared at the same time.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a task kept in a project file (its endpoints, table mappings and settings), as
    /// `migrate` does. Started again, it resumes.
    Run {
        /// The project file.
        project: PathBuf,
        /// The task's name.
        #[arg(long)]
        task: String,
        /// Reload this table from scratch even if an earlier run finished it (`schema.table`,
        /// repeatable).
        #[arg(long)]
        reload: Vec<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// A replicating task: stop by itself once every transaction up to this is applied (a
        /// binary log `file:pos`, an LSN `X/Y`, or a commit time such as
        /// `2026-12-02T14:30:00Z`).
        #[arg(long)]
        stop_at: Option<String>,
    },
    /// Premigration checks of a project's task, the same the app runs from its overview: change
    /// capture when the task replicates, tables without a primary key, the target's privilege to
    /// create the schema, encryption in use. Reads only. Exits 1 when a check failed.
    Check {
        /// The project file.
        project: PathBuf,
        /// The task's name.
        #[arg(long)]
        task: String,
        /// Print the checks as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create, show or edit project files.
    #[command(subcommand)]
    Project(ProjectCommand),
}

#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// A DDL script file, or a source endpoint URL (or a name with --project).
    pub source: String,
    /// Target engine: postgres, mysql (also MariaDB) or sqlite. Default: postgres, or the engine
    /// of the target endpoint for apply-schema.
    #[arg(long, value_enum)]
    pub target: Option<TargetArg>,
    /// Dialect of a script: mysql (or mariadb), postgres, mssql (tsql), oracle, sqlite (detected
    /// when omitted).
    #[arg(long, value_parser = DialectArg::parse)]
    pub source_dialect: Option<DialectArg>,
    /// Folder of conversion-rule override files (.ron).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Project file holding the endpoints named.
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Prove the conversion on this server (a URL, or a name with --project): every statement
    /// is applied in a scratch area that is then removed (PostgreSQL: a transaction rolled
    /// back; MySQL/MariaDB: scratch databases dropped). SQLite targets are always verified in
    /// memory. apply-schema --dry-run verifies on its target by default.
    #[arg(long)]
    pub verify: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct TargetArgs {
    /// An endpoint URL (postgres://user@host:5432/db, mysql://..., mariadb://..., sqlite:///path.db),
    /// or an endpoint's name in the project given with --project.
    pub endpoint: String,
    /// Project file to take the endpoint from.
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Environment variable holding the password (instead of putting it in the URL).
    #[arg(long)]
    pub password_env: Option<String>,
    /// Seconds to wait for the host to answer.
    #[arg(long)]
    pub timeout: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum ProjectCommand {
    /// Create an empty project file (refuses to overwrite one).
    New {
        file: PathBuf,
        #[arg(long, default_value = "New project")]
        name: String,
    },
    /// Print a project's endpoints.
    Show { file: PathBuf },
    /// Add an endpoint to a project from a URL (a password in the URL is not saved).
    AddEndpoint {
        file: PathBuf,
        /// Endpoint name.
        #[arg(long)]
        name: String,
        url: String,
        /// Mark the endpoint as a target (a SQLite target file may be created).
        #[arg(long)]
        target: bool,
        /// Environment variable the password is read from when connecting.
        #[arg(long)]
        password_env: Option<String>,
    },
}

impl TargetArgs {
    /// The endpoint (and a password carried by the URL).
    pub fn resolve(&self) -> Result<(Endpoint, Option<Password>)> {
        let (mut endpoint, password) = match &self.project {
            Some(path) => {
                let project = Project::load(path)?;
                let ep = project
                    .endpoint(&self.endpoint)
                    .cloned()
                    .ok_or_else(|| Error::File {
                        path: path.clone(),
                        message: format!(
                            "no endpoint named '{}' (the project has: {})",
                            self.endpoint,
                            project
                                .endpoints
                                .iter()
                                .map(|e| e.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })?;
                (ep, None)
            }
            None => {
                let parsed = Endpoint::parse_url(&self.endpoint)?;
                (parsed.endpoint, parsed.password)
            }
        };
        if let Some(v) = &self.password_env {
            endpoint.password_env = Some(v.clone());
        }
        if let Some(t) = self.timeout {
            endpoint.connect_timeout_secs = t;
        }
        Ok((endpoint, password))
    }
}

/// Runs a CLI command to completion and returns the process exit code.
pub fn run(command: Command) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(execute(command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> Result<()> {
    match command {
        Command::Gui { .. } => Ok(()),
        Command::TestConnection { target, json } => {
            let (endpoint, password) = target.resolve()?;
            let info = test_connection(&endpoint, password).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&info).unwrap_or_default()
                );
            } else {
                println!("Connected to {}", endpoint.url());
                println!("  product:   {} {}", info.product, info.version);
                println!("  server:    {}", info.version_full);
                println!("  user:      {}", info.current_user);
                println!("  database:  {}", info.database);
                println!("  connect:   {:.1} ms", info.connect_ms);
                println!(
                    "  latency:   {:.2} ms (median round-trip of 5)",
                    info.latency_ms
                );
                println!(
                    "  catalogs:  {} ({})",
                    if info.catalog_readable {
                        "readable"
                    } else {
                        "NOT readable"
                    },
                    info.catalog_detail
                );
            }
            Ok(())
        }
        Command::Inspect {
            target,
            json,
            schemas,
            exact_counts,
        } => {
            let (endpoint, password) = target.resolve()?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {elapsed:>3} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar.set_message(format!("connecting to {}", endpoint.url()));
            let conn = match Connection::open(&endpoint, password).await {
                Ok(c) => c,
                Err(e) => {
                    bar.finish_and_clear();
                    return Err(e);
                }
            };
            let b = bar.clone();
            let progress = std::sync::Arc::new(move |p: &crate::engines::discover::Progress| {
                b.set_message(if p.total > 0 {
                    format!("{} ({}/{} tables)", p.step, p.done, p.total)
                } else {
                    p.step.clone()
                });
            });
            let options = DiscoverOptions {
                schemas,
                exact_counts,
            };
            let catalog = discover_with_progress(&conn, &options, progress).await;
            bar.finish_and_clear();
            conn.close().await;
            let catalog = catalog?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&catalog).unwrap_or_default()
                );
            } else {
                print!("{}", inspect::render(&catalog));
            }
            Ok(())
        }
        Command::Project(cmd) => project_command(cmd),
        Command::Assess { conv, report } if std::path::Path::new(&conv.source).is_dir() => {
            let table = assess_folder(&conv).await?;
            print!("{table}");
            for path in report {
                std::fs::write(&path, &table).map_err(|e| Error::File {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                eprintln!("summary written to {}", path.display());
            }
            Ok(())
        }
        Command::Assess { conv, report } => {
            let r = conversion_report(&conv).await?;
            print!("{}", crate::assessment::export::summary_table(&r));
            for path in report {
                crate::assessment::export::write(&r, &path)?;
                eprintln!("report written to {}", path.display());
            }
            Ok(())
        }
        Command::Convert {
            conv,
            out,
            phase,
            with_data,
        } => {
            let r = conversion_report(&conv).await?;
            let script = r.script(phase.phase(), with_data);
            match out {
                Some(path) => {
                    std::fs::write(&path, script).map_err(|e| Error::File {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                    eprintln!(
                        "{} statements written to {}",
                        r.objects.iter().map(|o| o.target.len()).sum::<usize>(),
                        path.display()
                    );
                }
                None => print!("{script}"),
            }
            Ok(())
        }
        Command::Migrate(a) => migrate(*a).await,
        Command::Slots(t) => {
            let (e, pw) = t.resolve()?;
            let c = Connection::open(&e, pw).await?;
            let slots = crate::engines::postgres::pgoutput::slots(&c).await;
            c.close().await;
            println!(
                "{:<40} {:<12} {:<7} {:<14} WAL held",
                "slot", "plugin", "active", "confirmed"
            );
            for s in &slots? {
                println!(
                    "{:<40} {:<12} {:<7} {:<14} {}{}",
                    s.name,
                    s.plugin,
                    s.active,
                    s.confirmed,
                    s.wal_held(),
                    if s.is_tugboat() {
                        "  (a Tugboat task's: tugboat drop-task removes it)"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        Command::DropTask {
            source,
            target,
            project,
            task,
        } => {
            let endpoint = |name: &str, role| {
                let (mut e, pw) = TargetArgs {
                    endpoint: name.to_string(),
                    project: project.clone(),
                    password_env: None,
                    timeout: None,
                }
                .resolve()?;
                e.role = role;
                Ok::<_, Error>((e, pw))
            };
            let (se, sp) = endpoint(&source, crate::endpoints::Role::Source)?;
            let (te, tp) = endpoint(&target, crate::endpoints::Role::Target)?;
            let s = Connection::open(&se, sp).await?;
            let t = Connection::open(&te, tp).await?;
            if s.engine() == crate::endpoints::Engine::Postgres {
                crate::engines::postgres::pgoutput::drop_slot(&s, &task).await?;
                println!(
                    "dropped replication slot and publication {}",
                    crate::engines::postgres::pgoutput::slot_name(&task)
                );
            }
            crate::cdc::apply::clear_checkpoint(&t, &task).await?;
            crate::tasks::state::forget(&t, &task).await?;
            println!("task {task}: checkpoint and table states removed from the target");
            s.close().await;
            t.close().await;
            Ok(())
        }
        Command::Validate {
            source,
            target,
            project,
            task,
            include,
            exclude,
            method,
            parallel,
            json,
        } => {
            let a = MigrateArgs {
                source,
                target,
                project,
                task,
                include,
                exclude,
                parallel,
                validate: match method {
                    MethodArg::Rows => ValidateArg::Rows,
                    MethodArg::Counts => ValidateArg::Counts,
                },
                json,
                prepare: PrepareArg::DoNothing,
                no_create_schema: true,
                task_type: TaskTypeArg::FullLoad,
                ..MigrateArgs::default()
            };
            let (task, s, d) = task_from_args(&a)?;
            run_task(task, s, d, a.json, Mode::ValidateOnly, vec![]).await
        }
        Command::Run {
            project,
            task,
            reload,
            json,
            stop_at,
        } => {
            let (mut t, s, d) = project_task(&project, &task)?;
            // The command's --stop-at over the task's own.
            if stop_at.is_some() {
                t.stop_at = stop_at;
            }
            refuse_stop_without_capture(&t)?;
            let mode = Mode::of(&t);
            run_task(t, s, d, json, mode, reload).await
        }
        Command::Check {
            project,
            task,
            json,
        } => {
            let (t, (se, sp), (te, tp)) = project_task(&project, &task)?;
            let source = Connection::open(&se, sp).await?;
            let target = Connection::open(&te, tp).await?;
            let checks = crate::runner::premigration::run(&t, &source, &target).await;
            source.close().await;
            target.close().await;
            let checks = checks?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&checks).unwrap_or_default()
                );
            } else {
                for c in &checks {
                    let word = match c.status {
                        crate::cdc::checks::Status::Passed => "passed ",
                        crate::cdc::checks::Status::Warning => "WARNING",
                        crate::cdc::checks::Status::Failed => "FAILED ",
                    };
                    println!("{word} {}: {}", c.name, c.detail);
                    if !c.fix.is_empty() {
                        println!("        fix: {}", c.fix);
                    }
                }
            }
            let failed: Vec<&str> = checks
                .iter()
                .filter(|c| c.status == crate::cdc::checks::Status::Failed)
                .map(|c| c.name.as_str())
                .collect();
            if failed.is_empty() {
                Ok(())
            } else {
                Err(Error::Invalid {
                    what: format!("task '{}'", t.name),
                    reason: format!("premigration checks failed: {}", failed.join(", ")),
                })
            }
        }
        Command::ApplySchema {
            conv,
            target_url,
            phase,
            dry_run,
            with_data,
            recreate,
            allow_partial,
        } => {
            let target_url_for_verify = target_url.clone();
            let (endpoint, password) = TargetArgs {
                endpoint: target_url,
                project: conv.project.clone(),
                password_env: None,
                timeout: None,
            }
            .resolve()?;
            // The DDL is written for the target endpoint's engine.
            let engine = TargetArg::of_engine(endpoint.engine);
            let mut conv = conv;
            if let Some(t) = conv.target.filter(|t| *t != engine) {
                return Err(Error::InvalidEndpoint {
                    endpoint: endpoint.label(),
                    reason: format!(
                        "--target {} does not match the target endpoint, which is {}",
                        t.dialect().label(),
                        endpoint.engine.label()
                    ),
                });
            }
            conv.target = Some(engine);
            if dry_run && conv.verify.is_none() {
                conv.verify = Some(target_url_for_verify.clone());
            }
            let r = conversion_report(&conv).await?;
            let phase = phase.phase();
            if dry_run {
                print!("{}", r.script(phase, with_data));
                return Ok(());
            }
            let mut endpoint = endpoint;
            endpoint.role = crate::endpoints::Role::Target;
            let conn = Connection::open(&endpoint, password).await?;
            let bar = indicatif::ProgressBar::new(0);
            let results = crate::conversion::apply::apply_with(
                &r,
                &conn,
                phase,
                with_data,
                recreate,
                |i, n| {
                    bar.set_length(n as u64);
                    bar.set_position(i as u64);
                },
            )
            .await;
            bar.finish_and_clear();
            conn.close().await;
            use crate::conversion::apply::StatementResult as R;
            let (mut ok, mut exists, mut failed) = (0, 0, 0);
            for a in &results {
                match &a.result {
                    R::Ok => ok += 1,
                    R::Exists => exists += 1,
                    R::Failed(e) => {
                        failed += 1;
                        println!(
                            "FAILED {}: {e}\n    {}",
                            a.object,
                            a.sql
                                .lines()
                                .next()
                                .unwrap_or_default()
                                .chars()
                                .take(200)
                                .collect::<String>()
                        );
                    }
                }
            }
            println!(
                "{} statements: {ok} applied, {exists} already there, {failed} failed",
                results.len()
            );
            // Objects of the source that are not on the target because nothing converted them.
            let missing = not_converted(&r, phase, with_data);
            for (label, why) in &missing {
                println!("NOT CREATED {label}: {why}");
            }
            if let Some(l) = crate::assessment::export::ledger_line(&r) {
                println!("{l}");
            }
            if (failed > 0 || !missing.is_empty()) && !allow_partial {
                let mut parts = vec![];
                if failed > 0 {
                    parts.push(format!("{failed} statements failed"));
                }
                if !missing.is_empty() {
                    parts.push(format!(
                        "{} source objects not converted: {}",
                        missing.len(),
                        missing
                            .iter()
                            .map(|m| m.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                return Err(Error::Query {
                    endpoint: endpoint.label(),
                    context: "applying the schema".into(),
                    message: format!(
                        "{} (--allow-partial accepts a partial schema)",
                        parts.join("; ")
                    ),
                    cause: crate::error::Cause::Statement,
                });
            }
            Ok(())
        }
    }
}
