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
mod commands;
pub use args::*;
use commands::*;
mod convert;
mod summary;
mod switch;
mod task;

use crate::cutover::way::Way;
use crate::runner::Mode;
use convert::*;
use switch::*;
pub use task::MigrateArgs;
use task::*;
mod projects;
mod status;
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
        /// Source endpoint URL (or a name with --project). Left out with the target: the
        /// project's task named by --task, with its endpoints and table mappings (a task of a
        /// consolidation compares the rows of its own source).
        #[arg(long, requires = "target")]
        source: Option<String>,
        /// Target endpoint URL (or a name with --project).
        #[arg(long, requires = "source")]
        target: Option<String>,
        /// Project file holding the endpoints named (or the task).
        #[arg(long)]
        project: Option<PathBuf>,
        /// Task name (the key of its failures on the target; with --project alone, the
        /// project's task compared).
        #[arg(long, default_value = "migrate")]
        task: String,
        /// Tables to compare, `schema.table` with `%` and `_` wildcards (repeatable; default
        /// all).
        #[arg(long, alias = "tables")]
        include: Vec<String>,
        /// Tables to leave out, same form (repeatable).
        #[arg(long)]
        exclude: Vec<String>,
        /// The task's table mappings (as `migrate --mappings` takes them): the source's rows
        /// compared as the task selects, filters and computes them.
        #[arg(long, requires = "source")]
        mappings: Option<PathBuf>,
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
    /// Where every task of a project stands, read from the control tables on their targets
    /// (tasks running anywhere alike): tables loaded, rows, replication phase, changes
    /// applied, lag, rows refused, tables suspended, and the source column value of each task
    /// of a consolidation; tasks sharing a target totalled together. Reads only. Exits 1 when a
    /// target cannot be read.
    Status {
        /// The project file.
        project: PathBuf,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
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
    /// Switch a replicating task's application to its target: readiness checked, writes
    /// stopped (--writes-stopped, or --read-only), every change up to that moment applied,
    /// checksums equal, counters (sequences, AUTO_INCREMENT) set past the rows, then the reverse
    /// task (target → source, from that exact position) placed in the project and run. Each
    /// step is logged with its duration; interrupted, the same command goes on.
    Cutover(SwitchArgs),
    /// Switch back after a cut-over: the same steps in the other direction (the reverse task
    /// caught up, checksums equal, counters set on the old database, which is writable again),
    /// then the forward task placed from that position and run.
    Fallback(SwitchArgs),
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
    /// Add a task to a project: its source and target endpoints (by name), its type and the
    /// tables it moves (default settings; `run`, `cutover` and the app use it).
    AddTask {
        file: PathBuf,
        /// Task name.
        #[arg(long)]
        name: String,
        /// Source endpoint's name in the project.
        #[arg(long)]
        source: String,
        /// Target endpoint's name in the project.
        #[arg(long)]
        target: String,
        /// full-load (default), full-load-and-cdc or cdc.
        #[arg(long = "type", value_enum, default_value_t = TaskTypeArg::FullLoad)]
        task_type: TaskTypeArg,
        /// Tables to include, `schema.table` with `%` and `_` wildcards (repeatable; default
        /// all).
        #[arg(long)]
        include: Vec<String>,
        /// Tables to exclude, same form (repeatable).
        #[arg(long)]
        exclude: Vec<String>,
        /// Consolidation: `COLUMN=VALUE`, a column first in every table (and its keys) holding
        /// VALUE on each row this task writes, so that several sources load into the same
        /// tables, each task owning its rows.
        #[arg(long, value_name = "COLUMN=VALUE")]
        source_column: Option<String>,
        /// Every table into this schema of the target (a rename rule on the source's schemas:
        /// shards whose databases are named apart consolidate into one schema).
        #[arg(long)]
        target_schema: Option<String>,
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
        Command::TestConnection { target, json } => test_connection_cmd(target, json).await,
        Command::Inspect {
            target,
            json,
            schemas,
            exact_counts,
        } => inspect_cmd(target, json, schemas, exact_counts).await,
        Command::Project(cmd) => project_command(cmd),
        Command::Assess { conv, report } => assess_cmd(conv, report).await,
        Command::Convert {
            conv,
            out,
            phase,
            with_data,
        } => convert_cmd(conv, out, phase, with_data).await,
        Command::Migrate(a) => migrate(*a).await,
        Command::Slots(t) => slots(t).await,
        Command::DropTask {
            source,
            target,
            project,
            task,
        } => drop_task_cmd(source, target, project, task).await,
        Command::Validate {
            source,
            target,
            project,
            task,
            include,
            exclude,
            mappings,
            method,
            parallel,
            json,
        } => {
            let (Some(source), Some(target)) = (source, target) else {
                return validate_project_task(
                    project, task, include, exclude, method, parallel, json,
                )
                .await;
            };
            let a = MigrateArgs {
                source,
                target,
                project,
                task,
                include,
                exclude,
                mappings,
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
        } => run_cmd(project, task, reload, json, stop_at).await,
        Command::Check {
            project,
            task,
            json,
        } => check(project, task, json).await,
        Command::Status { project, json } => status::status(project, json).await,
        Command::Cutover(a) => switch_cmd(a, Way::Cutover).await,
        Command::Fallback(a) => switch_cmd(a, Way::Fallback).await,
        Command::ApplySchema {
            conv,
            target_url,
            phase,
            dry_run,
            with_data,
            recreate,
            allow_partial,
        } => {
            apply_schema(
                conv,
                target_url,
                phase,
                dry_run,
                with_data,
                recreate,
                allow_partial,
            )
            .await
        }
    }
}
