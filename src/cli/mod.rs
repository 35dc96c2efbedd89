//! The command line: `tugboat [gui|test-connection|inspect|project]`, a thin client of the engine.
//!
//! With no subcommand, the GUI opens. Exit codes: 0 success, 1 failure (the message says what and
//! where), 2 bad usage.

mod inspect;

pub use inspect::human_bytes;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::discovery::{DiscoverOptions, discover_with_progress};
use crate::endpoints::{Connection, Endpoint, Password, test_connection};
use crate::error::{Error, Result};
use crate::project::Project;

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
        #[arg(long, default_value = "all")]
        phase: String,
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
        #[arg(long, default_value = "all")]
        phase: String,
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
        #[arg(long, default_value = "rows")]
        method: String,
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
    #[arg(long)]
    pub target: Option<String>,
    /// Dialect of a script: mysql, postgres, mssql, oracle, sqlite (detected when omitted).
    #[arg(long)]
    pub source_dialect: Option<String>,
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
            let progress = std::sync::Arc::new(move |p: &crate::discovery::Progress| {
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
            let script = r.script(parse_phase(&phase)?, with_data);
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
            let slots = crate::cdc::pglogical::slots(&c).await;
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
                crate::cdc::pglogical::drop_slot(&s, &task).await?;
                println!(
                    "dropped replication slot and publication {}",
                    crate::cdc::pglogical::slot_name(&task)
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
                validate: method,
                json,
                prepare: "do-nothing".into(),
                no_create_schema: true,
                zero_dates: "null".into(),
                nul_chars: "error".into(),
                error_policy: "suspend-table".into(),
                task_type: "full-load".into(),
                ..MigrateArgs::default()
            };
            let (task, s, d) = task_from_args(&a)?;
            run_task(task, s, d, a.json, Mode::ValidateOnly).await
        }
        Command::Run {
            project,
            task,
            reload,
            json,
            stop_at,
        } => {
            let p = Project::load(&project)?;
            let mut t = p
                .tasks
                .iter()
                .find(|t| t.name == task)
                .cloned()
                .ok_or_else(|| Error::File {
                    path: project.clone(),
                    message: format!(
                        "no task named '{task}' (the project has: {})",
                        p.tasks
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })?;
            let endpoint = |name: &str, role| {
                let (mut e, pw) = TargetArgs {
                    endpoint: name.to_string(),
                    project: Some(project.clone()),
                    password_env: None,
                    timeout: None,
                }
                .resolve()?;
                e.role = role;
                Ok::<_, Error>((e, pw))
            };
            let s = endpoint(&t.source, crate::endpoints::Role::Source)?;
            let d = endpoint(&t.target, crate::endpoints::Role::Target)?;
            // The command's --stop-at over the task's own.
            if stop_at.is_some() {
                t.stop_at = stop_at;
            }
            refuse_stop_without_capture(&t)?;
            let mode = if t.task_type.captures() {
                Mode::Replicate {
                    task_type: t.task_type,
                    start: None,
                }
            } else {
                Mode::Load { reload }
            };
            run_task(t, s, d, json, mode).await
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
            let engine = match endpoint.engine {
                crate::endpoints::Engine::Postgres => crate::ddl::Dialect::Postgres,
                crate::endpoints::Engine::Sqlite => crate::ddl::Dialect::Sqlite,
                _ => crate::ddl::Dialect::MySql,
            };
            let mut conv = conv;
            if conv.target.is_some() && conv.target_dialect()? != engine {
                return Err(Error::InvalidEndpoint {
                    endpoint: endpoint.label(),
                    reason: format!(
                        "--target {} does not match the target endpoint, which is {}",
                        conv.target.clone().unwrap_or_default(),
                        engine.label()
                    ),
                });
            }
            conv.target = Some(
                engine
                    .label()
                    .split('/')
                    .next()
                    .unwrap_or("mysql")
                    .to_string(),
            );
            if dry_run && conv.verify.is_none() {
                conv.verify = Some(target_url_for_verify.clone());
            }
            let r = conversion_report(&conv).await?;
            let phase = parse_phase(&phase)?;
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
                });
            }
            Ok(())
        }
    }
}

/// The report's objects that have nothing to apply (not converted: the first action item says
/// why), in the phase applied; with `with_data`, the data statements not converted too.
fn not_converted(
    r: &crate::assessment::Report,
    phase: Option<crate::assessment::Phase>,
    with_data: bool,
) -> Vec<(String, String)> {
    use crate::assessment::{Category, Phase};
    use crate::ddl::ObjectKind;
    r.objects
        .iter()
        .filter(|o| o.target.is_empty() && o.category != Category::Automatic)
        .filter(|o| with_data || !(o.kind == ObjectKind::Other && o.name == "data statements"))
        .filter(|o| {
            // Code and keys are post-data, tables and types pre-data.
            let post =
                o.kind.is_code() || matches!(o.kind, ObjectKind::Index | ObjectKind::Constraint);
            phase.is_none_or(|p| (p == Phase::PostData) == post)
        })
        .map(|o| {
            let why = o
                .action_items
                .iter()
                .max_by_key(|a| a.category)
                .map(|a| format!("{} {}", a.code, a.message))
                .unwrap_or_default();
            (crate::conversion::apply::object_label(o), why)
        })
        .collect()
}

fn parse_phase(s: &str) -> Result<Option<crate::assessment::Phase>> {
    use crate::assessment::Phase;
    match s {
        "all" => Ok(None),
        "pre-data" => Ok(Some(Phase::PreData)),
        "post-data" => Ok(Some(Phase::PostData)),
        other => Err(Error::InvalidEndpoint {
            endpoint: "--phase".into(),
            reason: format!("'{other}': use pre-data, post-data or all"),
        }),
    }
}

/// Assesses every SQL file below a folder (`.sql`, `.pks`, `.pkb`, `.in`): one Markdown table
/// row per file, and totals. Each file is verified (SQLite in memory; PostgreSQL and MySQL on
/// `--verify`), so "automatic" counts what applied without error.
async fn assess_folder(a: &ConvertArgs) -> Result<String> {
    use crate::conversion::{RuleSet, convert};
    use crate::ddl::{Dialect, ObjectKind};
    let target = a.target_dialect()?;
    let mut files = vec![];
    let mut stack = vec![PathBuf::from(&a.source)];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::File {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| {
                ["sql", "pks", "pkb", "in"]
                    .iter()
                    .any(|k| x.eq_ignore_ascii_case(k))
            }) {
                files.push(p);
            }
        }
    }
    files.sort();
    let on = a.verify_connection().await?;
    let mut out = String::from(
        "| file | dialect | statements | objects | automatic (verified) | simple | medium | complex | not convertible | failed when verified | tables created / in source | ledger: converted | with action items | data | ignored | unaccounted |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut totals = [0usize; 15];
    let mut verified_on = None;
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    for f in &files {
        bar.inc(1);
        let rel = f.strip_prefix(&a.source).unwrap_or(f).display().to_string();
        let dialect = match &a.source_dialect {
            Some(d) => Dialect::parse(d),
            None => None,
        };
        let mut source = crate::conversion::load_script(f, dialect)?;
        source.name = rel.clone();
        let rules = RuleSet::load(source.dialect, target, a.rules.as_deref())?;
        let mut r = convert(&source, target, &rules)?;
        crate::conversion::verify::verify(&source, &rules, &mut r, on.as_ref()).await?;
        let verified = r.verification.is_some();
        if let Some(v) = &r.verification {
            verified_on = Some(v.engine.clone());
        }
        let c = r.per_category();
        let tables = r.objects.iter().filter(|o| o.kind == ObjectKind::Table);
        let created = tables.clone().filter(|o| o.verified == Some(true)).count();
        let l = r.ledger_totals();
        let row = [
            r.statements.as_ref().map(|s| s.read).unwrap_or(0),
            r.objects.len(),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            r.verification
                .as_ref()
                .map(|v| v.objects_failed)
                .unwrap_or(0),
            created,
            tables.count(),
            l[0],
            l[1],
            l[2],
            l[3],
            l[4],
        ];
        for (t, v) in totals.iter_mut().zip(row) {
            *t += v;
        }
        let cell = |i: usize| row[i].to_string();
        out.push_str(&format!(
            "| {rel} | {} | {} | {} | {}{} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} | {} |\n",
            source.dialect.label(),
            cell(0),
            cell(1),
            cell(2),
            if verified { "" } else { " (unverified)" },
            cell(3),
            cell(4),
            cell(5),
            cell(6),
            cell(7),
            cell(8),
            cell(9),
            cell(10),
            cell(11),
            cell(12),
            cell(13),
            cell(14)
        ));
    }
    bar.finish_and_clear();
    if let Some(c) = &on {
        c.close().await;
    }
    let t = |i: usize| totals[i].to_string();
    out.push_str(&format!(
        "| **{} files** | | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} | {} |\n",
        files.len(),
        t(0),
        t(1),
        t(2),
        t(3),
        t(4),
        t(5),
        t(6),
        t(7),
        t(8),
        t(9),
        t(10),
        t(11),
        t(12),
        t(13),
        t(14)
    ));
    out.push_str(&match verified_on {
        Some(e) => format!("\nVerified on {e}, to {}.\n", target.label()),
        None => format!(
            "\nNot verified: \"automatic\" is the converter's claim for {} (give --verify URL).\n",
            target.label()
        ),
    });
    Ok(out)
}

impl ConvertArgs {
    /// The server `--verify` names, connected (None without `--verify`).
    async fn verify_connection(&self) -> Result<Option<Connection>> {
        let Some(url) = &self.verify else {
            return Ok(None);
        };
        let (mut endpoint, password) = TargetArgs {
            endpoint: url.clone(),
            project: self.project.clone(),
            password_env: None,
            timeout: None,
        }
        .resolve()?;
        endpoint.role = crate::endpoints::Role::Target;
        Ok(Some(Connection::open(&endpoint, password).await?))
    }

    /// The target engine given with --target (PostgreSQL when omitted).
    fn target_dialect(&self) -> Result<crate::ddl::Dialect> {
        match &self.target {
            None => Ok(crate::ddl::Dialect::Postgres),
            Some(t) => match crate::ddl::Dialect::parse(t) {
                Some(
                    d @ (crate::ddl::Dialect::Postgres
                    | crate::ddl::Dialect::MySql
                    | crate::ddl::Dialect::Sqlite),
                ) => Ok(d),
                _ => Err(Error::InvalidEndpoint {
                    endpoint: "--target".into(),
                    reason: format!("unknown target engine '{t}': use postgres, mysql or sqlite"),
                }),
            },
        }
    }
}

/// Reads the source (a script, or a live endpoint's catalog) and converts it.
async fn conversion_report(a: &ConvertArgs) -> Result<crate::assessment::Report> {
    use crate::ddl::Dialect;
    let target = a.target_dialect()?;
    let path = std::path::Path::new(&a.source);
    let source = if path.is_file() {
        let dialect = match &a.source_dialect {
            Some(d) => Some(Dialect::parse(d).ok_or_else(|| Error::InvalidEndpoint {
                endpoint: "--source-dialect".into(),
                reason: format!(
                    "unknown dialect '{d}': use mysql, postgres, mssql, oracle or sqlite"
                ),
            })?),
            None => None,
        };
        crate::conversion::load_script(path, dialect)?
    } else if a.source.contains(':') || a.project.is_some() {
        let (endpoint, password) = TargetArgs {
            endpoint: a.source.clone(),
            project: a.project.clone(),
            password_env: None,
            timeout: None,
        }
        .resolve()?;
        crate::conversion::load_endpoint(&endpoint, password).await?
    } else {
        return Err(Error::File {
            path: path.into(),
            message: "no such file (and not an endpoint URL)".into(),
        });
    };
    let mut report = crate::conversion::assess(&source, target, a.rules.as_deref())?;
    if let Some(p) = &a.project {
        let project = Project::load(p)?;
        let n = report.apply_edits(&project.conversion.edits);
        if n > 0 {
            eprintln!("{n} hand-edited object(s) from {} used", p.display());
        }
    }
    let on = a.verify_connection().await?;
    let rules = crate::conversion::RuleSet::load(source.dialect, target, a.rules.as_deref())?;
    let verified =
        crate::conversion::verify::verify(&source, &rules, &mut report, on.as_ref()).await;
    if let Some(c) = &on {
        c.close().await;
    }
    verified?;
    if let Some(v) = &report.verification {
        eprintln!("{}", v.summary());
    }
    Ok(report)
}

fn project_command(cmd: ProjectCommand) -> Result<()> {
    match cmd {
        ProjectCommand::New { file, name } => {
            if file.exists() {
                return Err(Error::File {
                    path: file,
                    message: "already exists; not overwritten".into(),
                });
            }
            Project {
                name,
                ..Default::default()
            }
            .save(&file)?;
            println!("created {}", file.display());
        }
        ProjectCommand::Show { file } => {
            let p = Project::load(&file)?;
            println!(
                "Project '{}' (format {}), {} endpoint(s)",
                p.name,
                p.format_version,
                p.endpoints.len()
            );
            for e in &p.endpoints {
                let pw = e
                    .password_env
                    .as_ref()
                    .map(|v| format!(", password from ${v}"))
                    .unwrap_or_default();
                println!("  {:<20} {:?} {}{pw}", e.name, e.role, e.url());
            }
        }
        ProjectCommand::AddEndpoint {
            file,
            name,
            url,
            target,
            password_env,
        } => {
            let mut p = Project::load(&file)?;
            if p.endpoint(&name).is_some() {
                return Err(Error::File {
                    path: file,
                    message: format!("an endpoint named '{name}' already exists"),
                });
            }
            let parsed = Endpoint::parse_url(&url)?;
            let mut ep = parsed.endpoint;
            ep.name = name.clone();
            ep.role = if target {
                crate::endpoints::Role::Target
            } else {
                crate::endpoints::Role::Source
            };
            ep.password_env = password_env;
            p.endpoints.push(ep);
            p.save(&file)?;
            if parsed.password.is_some() {
                eprintln!(
                    "note: the password in the URL was not saved; use --password-env, ~/.pgpass or ~/.my.cnf"
                );
            }
            println!("added endpoint '{name}' to {}", file.display());
        }
    }
    Ok(())
}

#[derive(clap::Args, Debug, Default)]
pub struct MigrateArgs {
    /// Source endpoint URL (or a name with --project).
    #[arg(long)]
    source: String,
    /// Target endpoint URL (or a name with --project).
    #[arg(long)]
    target: String,
    /// Project file holding the endpoints named.
    #[arg(long)]
    project: Option<PathBuf>,
    /// Task name (the key of its progress on the target).
    #[arg(long, default_value = "migrate")]
    task: String,
    /// Tables to include, `schema.table` with `%` and `_` wildcards (repeatable; default all).
    #[arg(long, alias = "tables")]
    include: Vec<String>,
    /// Tables to exclude, same form (repeatable).
    #[arg(long)]
    exclude: Vec<String>,
    /// Table mappings from a file: AWS DMS's JSON (selection and transformation rules, as the
    /// DMS console writes them) or Tugboat's RON (`.ron`); --include and --exclude add to them.
    #[arg(long)]
    mappings: Option<PathBuf>,
    /// do-nothing, truncate (default) or drop-and-create.
    #[arg(long, alias = "prep", default_value = "truncate")]
    prepare: String,
    /// Load into existing tables only: do not create the schema.
    #[arg(long)]
    no_create_schema: bool,
    /// Tables loaded at the same time.
    #[arg(long, default_value_t = 4)]
    parallel: usize,
    /// Tables of at least twice this many rows with an integer primary key load in key ranges
    /// of about this many rows, in parallel (0: never split).
    #[arg(long, default_value_t = 1_000_000)]
    partition_rows: u64,
    /// Full load and CDC: changes held in memory at most (all tables together) while their
    /// tables load; a table whose changes go beyond has them read again from the log once it
    /// is loaded.
    #[arg(long, default_value_t = crate::cdc::cached::CACHE_CHANGES)]
    cached_changes: usize,
    /// Full load and CDC: MiB the changes held while their tables load take in memory at most
    /// (as for --cached-changes).
    #[arg(long, default_value_t = crate::cdc::cached::CACHE_MB)]
    cached_changes_mb: usize,
    /// Limited LOB mode: text and binary LOB values longer than this many KiB are cut to it,
    /// each cut counted and reported (default: full LOB mode, nothing cut).
    #[arg(long)]
    lob_max_kb: Option<u64>,
    /// When the connection to either side is lost: retries of the table after 1, 2, 4...
    /// seconds (the table emptied and loaded again), then a clear failure.
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// Rows per batch.
    #[arg(long, default_value_t = 5000)]
    batch_rows: usize,
    /// MySQL zero dates: null (default, counted) or error.
    #[arg(long, default_value = "null")]
    zero_dates: String,
    /// NUL characters (U+0000) in text for a PostgreSQL target, which cannot store them:
    /// error (default: the row goes to the error policy) or remove (removed, counted).
    #[arg(long, default_value = "error")]
    nul_chars: String,
    /// After the load: rows (counts, then every row compared on the key), counts, or none.
    #[arg(long, default_value = "rows")]
    validate: String,
    /// When the target refuses rows: suspend-table (default), stop-task, or log (keep them
    /// in tugboat_apply_exceptions and go on).
    #[arg(long, default_value = "suspend-table")]
    error_policy: String,
    /// Reload this table from scratch even if an earlier run finished it (`schema.table`,
    /// repeatable).
    #[arg(long)]
    reload: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// full-load (default), full-load-and-cdc (then replicate changes until stopped) or cdc
    /// (replicate changes only). A replicating task stops cleanly at a checkpoint on SIGINT or
    /// SIGTERM; the same command again resumes from it.
    #[arg(long = "type", default_value = "full-load")]
    task_type: String,
    /// A cdc task's first position when it has no checkpoint yet (a binary log `file:pos`, a
    /// MariaDB GTID `domain-server-seq` such as 0-1-42, or a PostgreSQL LSN at or after its
    /// slot's); default: now.
    #[arg(long)]
    start_position: Option<String>,
    /// A replicating task: stop by itself once every transaction up to this is applied (a
    /// binary log `file:pos`, an LSN `X/Y`, or a commit time such as `2026-12-02T14:30:00Z`);
    /// exit 0 at that checkpoint.
    #[arg(long)]
    stop_at: Option<String>,
}

/// A stop (`--stop-at`, or the task's own) only means something to a replicating task.
fn refuse_stop_without_capture(t: &crate::tasks::Task) -> Result<()> {
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
fn selection(
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

fn task_from_args(a: &MigrateArgs) -> Result<(crate::tasks::Task, Resolved, Resolved)> {
    use crate::tasks::mappings::{SelectionAction, TableMappings};
    use crate::tasks::{ErrorPolicy, NulChars, Prepare, Settings, Task, ValidateMode, ZeroDates};
    let bad = |what: &str, reason: String| Error::InvalidEndpoint {
        endpoint: what.into(),
        reason,
    };
    let prepare = match a.prepare.as_str() {
        "do-nothing" => Prepare::DoNothing,
        "truncate" => Prepare::Truncate,
        "drop-and-create" => Prepare::DropAndCreate,
        o => {
            return Err(bad(
                "--prepare",
                format!("'{o}': use do-nothing, truncate or drop-and-create"),
            ));
        }
    };
    let zero_dates = match a.zero_dates.as_str() {
        "null" => ZeroDates::Null,
        "error" => ZeroDates::Error,
        o => return Err(bad("--zero-dates", format!("'{o}': use null or error"))),
    };
    let nul_chars = match a.nul_chars.as_str() {
        "error" => NulChars::Error,
        "remove" => NulChars::Remove,
        o => return Err(bad("--nul-chars", format!("'{o}': use error or remove"))),
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
    let task_type = crate::cdc::TaskType::parse(&a.task_type).ok_or_else(|| {
        bad(
            "--type",
            format!("'{}': use full-load, full-load-and-cdc or cdc", a.task_type),
        )
    })?;
    let task = Task {
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
            lob_max_kb: a.lob_max_kb,
            retries: a.retries,
            zero_dates,
            nul_chars,
            error_policy: match a.error_policy.as_str() {
                "suspend-table" => ErrorPolicy::SuspendTable,
                "stop-task" => ErrorPolicy::StopTask,
                "log" => ErrorPolicy::LogAndContinue,
                o => {
                    return Err(bad(
                        "--error-policy",
                        format!("'{o}': use suspend-table, stop-task or log"),
                    ));
                }
            },
            validate: match a.validate.as_str() {
                "none" => ValidateMode::None,
                "counts" => ValidateMode::Counts,
                "rows" => ValidateMode::Rows,
                o => {
                    return Err(bad(
                        "--validate",
                        format!("'{o}': use rows, counts or none"),
                    ));
                }
            },
        },
    };
    Ok((task, (se, sp), (te, tp)))
}

/// What [`run_task`] does.
enum Mode {
    /// Load (reloading these tables from scratch), then validate.
    Load { reload: Vec<String> },
    /// Validate what is on the target.
    ValidateOnly,
    /// Full load and replication, or replication only, until stopped or at its stop.
    Replicate {
        task_type: crate::cdc::TaskType,
        start: Option<crate::cdc::StartAt>,
    },
}

type Resolved = (
    crate::endpoints::Endpoint,
    Option<crate::endpoints::Password>,
);

async fn migrate(a: MigrateArgs) -> Result<()> {
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
        return run_task(task, s, d, a.json, Mode::Replicate { task_type, start }).await;
    }
    run_task(
        task,
        s,
        d,
        a.json,
        Mode::Load {
            reload: a.reload.clone(),
        },
    )
    .await
}

/// Prints how a replicating task ended; Err when a table was suspended or the load failed.
fn replicated(s: crate::cdc::run::CdcSummary, json: bool) -> Result<()> {
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
        });
    }
    Ok(())
}

/// Progress as plain lines, for logs: each step and table event, and a table's rows at most
/// every 5 seconds.
struct PlainLines {
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
                format!("{table}: {done} of {parts} key ranges done")
            }
            TaskEvent::RowsRefused { table, total, .. } => {
                format!("{table}: {total} rows refused (see tugboat_apply_exceptions)")
            }
            TaskEvent::Validated {
                table,
                state,
                mismatched,
                ..
            } if *mismatched > 0 => format!("{table}: {state}, {mismatched} rows differ"),
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
async fn run_task(
    task: crate::tasks::Task,
    (se, sp): (
        crate::endpoints::Endpoint,
        Option<crate::endpoints::Password>,
    ),
    (te, tp): (
        crate::endpoints::Endpoint,
        Option<crate::endpoints::Password>,
    ),
    json: bool,
    mode: Mode,
) -> Result<()> {
    use crate::tasks::TaskEvent;
    use std::sync::Arc;
    let bad = |what: &str, reason: String| Error::InvalidEndpoint {
        endpoint: what.into(),
        reason,
    };
    let source = Connection::open(&se, sp).await?;
    let target = Connection::open(&te, tp).await?;
    let multi = indicatif::MultiProgress::new();
    // Not a terminal (a log file, a CI job): plain progress lines instead of bars.
    let plain = !json && !std::io::IsTerminal::is_terminal(&std::io::stderr());
    if json || plain {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let lines = std::sync::Mutex::new(PlainLines::new());
    let status = multi.add(indicatif::ProgressBar::new_spinner());
    status.enable_steady_tick(std::time::Duration::from_millis(120));
    let bars: Arc<std::sync::Mutex<std::collections::HashMap<String, indicatif::ProgressBar>>> =
        Default::default();
    let style = indicatif::ProgressStyle::with_template(
        "{prefix:32!} {bar:30} {pos:>10}/{len:<10} rows {per_sec:>12} {elapsed:>4} {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let events = {
        let (multi, status, bars, style) =
            (multi.clone(), status.clone(), bars.clone(), style.clone());
        Arc::new(move |e: TaskEvent| {
            if plain && let Some(line) = lines.lock().unwrap_or_else(|p| p.into_inner()).line(&e) {
                // A closed pipe (`| head`) must not stop the task.
                let _ = std::io::Write::write_fmt(&mut std::io::stderr(), format_args!("{line}\n"));
            }
            let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
            match e {
                TaskEvent::Step(s) => status.set_message(s),
                TaskEvent::Planned(tables) => {
                    for (t, _, est) in tables {
                        let b =
                            multi.add(indicatif::ProgressBar::new(est.unwrap_or(0).max(0) as u64));
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
                        b.set_message(format!("full load: {done}/{parts} key ranges done"));
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
                TaskEvent::Cdc(c) => status.set_message(c.line()),
            }
        })
    };
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let cancel = cancel.clone();
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
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        });
    }
    let summary = match &mode {
        Mode::Load { reload } => {
            if !reload.is_empty() {
                crate::tasks::reload(&task.name, &target, reload).await?;
            }
            crate::tasks::run(&task, &source, &target, events, cancel.clone()).await
        }
        Mode::ValidateOnly => {
            crate::tasks::validate_only(&task, &source, &target, events, cancel.clone()).await
        }
        Mode::Replicate { task_type, start } => {
            let r = crate::cdc::run_cdc(
                &task,
                *task_type,
                &source,
                &target,
                events,
                cancel.clone(),
                start.clone(),
            )
            .await;
            status.finish_and_clear();
            source.close().await;
            target.close().await;
            return replicated(r?, json);
        }
    };
    status.finish_and_clear();
    source.close().await;
    target.close().await;
    let summary = summary?;
    let task_lob_kb = task.settings.lob_max_kb;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
    } else {
        println!(
            "{:<36} {:<16} {:>12} {:>10} {:>12}  validation",
            "table", "state", "rows", "seconds", "rows/s"
        );
        for t in &summary.tables {
            println!(
                "{:<36} {:<16} {:>12} {:>10.2} {:>12.0}  {}{}",
                t.source,
                t.state.label(),
                t.rows,
                t.seconds,
                if t.seconds > 0.0 {
                    t.rows as f64 / t.seconds
                } else {
                    0.0
                },
                t.validation_state(),
                match (&t.error, t.validation) {
                    (Some(e), _) => format!(" ({e})"),
                    (None, _) if t.lobs_truncated > 0 => format!(
                        " ({} LOB values cut to the {} KiB limit)",
                        t.lobs_truncated,
                        task_lob_kb.unwrap_or(0)
                    ),
                    (None, _) if t.nuls_removed > 0 =>
                        format!(" (NUL characters removed from {} values)", t.nuls_removed),
                    (None, Some((s, g))) if t.exceptions > 0 => format!(
                        " (source {s}, target {g}; {} rows refused: see tugboat_apply_exceptions)",
                        t.exceptions
                    ),
                    (None, Some((s, g))) if s != g || t.mismatched() > 0 => format!(
                        " (source {s}, target {g}, {} rows differ: see tugboat_validation_failures)",
                        t.mismatched()
                    ),
                    _ => String::new(),
                }
            );
        }
        for f in &summary.schema_failures {
            println!(
                "{} {}: {}\n    {}",
                if f.deferred { "DEFERRED" } else { "FAILED" },
                f.object,
                f.error,
                f.statement.lines().next().unwrap_or_default()
            );
        }
        let rows: u64 = summary.tables.iter().map(|t| t.rows).sum();
        let schema_failed = summary
            .schema_failures
            .iter()
            .filter(|f| !f.deferred)
            .count();
        println!(
            "{} tables, {rows} rows in {:.1} s; {} failed{}{}",
            summary.tables.len(),
            summary.seconds,
            summary.failed(),
            if schema_failed > 0 {
                format!("; {schema_failed} keys, indexes or triggers not created")
            } else {
                String::new()
            },
            summary
                .peak_memory
                .map(|m| format!("; peak memory {} MiB", m >> 20))
                .unwrap_or_default()
        );
    }
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(bad(
            "migrate",
            "stopped by the user; run the same command again to resume".into(),
        ));
    }
    if summary.problems() > 0 {
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
        return Err(Error::Query {
            endpoint: te.label(),
            context: "migrating".into(),
            message,
        });
    }
    Ok(())
}
