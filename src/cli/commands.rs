//! The commands that are not a task's run: testing a connection, reading a catalog, the
//! slots and checkpoints a task leaves behind, premigration checks, applying a converted
//! schema.

use super::*;

/// `tugboat test-connection`: connects and prints what the server is and how it answers.
pub(super) async fn test_connection_cmd(target: TargetArgs, json: bool) -> Result<()> {
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

/// `tugboat inspect`: reads the catalog, with a spinner saying what it reads.
pub(super) async fn inspect_cmd(
    target: TargetArgs,
    json: bool,
    schemas: Vec<String>,
    exact_counts: bool,
) -> Result<()> {
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

/// `tugboat convert`: the converted script, to a file or standard output.
pub(super) async fn convert_cmd(
    conv: ConvertArgs,
    out: Option<PathBuf>,
    phase: PhaseArg,
    with_data: bool,
) -> Result<()> {
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

/// `tugboat slots`: a PostgreSQL source's replication slots and the WAL each holds.
pub(super) async fn slots(t: TargetArgs) -> Result<()> {
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

/// `tugboat drop-task`: what a task left on its source (a slot) and target (checkpoint, table states).
pub(super) async fn drop_task_cmd(
    source: String,
    target: String,
    project: Option<PathBuf>,
    task: String,
) -> Result<()> {
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
    if let Some(log) = crate::engines::of(s.engine()).change_log()
        && let Some(what) = log.forget(&s, &task).await?
    {
        println!("dropped {what}");
    }
    crate::cdc::apply::clear_checkpoint(&t, &task).await?;
    crate::tasks::state::forget(&t, &task).await?;
    println!("task {task}: checkpoint and table states removed from the target");
    s.close().await;
    t.close().await;
    Ok(())
}

/// `tugboat run`: a project's task.
pub(super) async fn run_cmd(
    project: PathBuf,
    task: String,
    reload: Vec<String>,
    json: bool,
    stop_at: Option<String>,
) -> Result<()> {
    let (mut t, s, d) = project_task(&project, &task)?;
    // The command's --stop-at over the task's own.
    if stop_at.is_some() {
        t.stop_at = stop_at;
    }
    refuse_stop_without_capture(&t)?;
    let mode = Mode::of(&t);
    run_task(t, s, d, json, mode, reload).await
}

/// `tugboat validate --project P --task T`: the project's task compared as it loads (its
/// endpoints, its table mappings: in a consolidation, the rows of its own source).
pub(super) async fn validate_project_task(
    project: Option<PathBuf>,
    task: String,
    include: Vec<String>,
    exclude: Vec<String>,
    method: MethodArg,
    parallel: usize,
    json: bool,
) -> Result<()> {
    let Some(project) = project else {
        return Err(Error::Invalid {
            what: "tugboat validate".into(),
            reason: "give --source and --target, or --project and the --task to compare".into(),
        });
    };
    if !include.is_empty() || !exclude.is_empty() {
        return Err(Error::Invalid {
            what: "tugboat validate".into(),
            reason: format!(
                "task {task} of the project compares the tables its mappings select: --include and --exclude go with --source and --target"
            ),
        });
    }
    let (mut t, s, d) = project_task(&project, &task)?;
    t.settings.validate = match method {
        MethodArg::Rows => crate::tasks::ValidateMode::Rows,
        MethodArg::Counts => crate::tasks::ValidateMode::Counts,
    };
    t.settings.max_parallel_tables = parallel.max(1);
    t.settings.create_schema = false;
    t.settings.prepare = crate::tasks::Prepare::DoNothing;
    t.task_type = crate::cdc::TaskType::FullLoad;
    run_task(t, s, d, json, Mode::ValidateOnly, vec![]).await
}

/// `tugboat check`: a task's premigration checks; fails when one fails.
pub(super) async fn check(project: PathBuf, task: String, json: bool) -> Result<()> {
    let (t, (se, sp), (te, tp)) = project_task(&project, &task)?;
    let source = Connection::open(&se, sp).await?;
    let target = crate::runner::Target::open(&te, tp).await?;
    let checks = crate::runner::premigration::run_to(&t, &source, &target).await;
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

/// `tugboat apply-schema`: the converted schema run on the target endpoint, with what failed or was not converted.
pub(super) async fn apply_schema(
    conv: ConvertArgs,
    target_url: String,
    phase: PhaseArg,
    dry_run: bool,
    with_data: bool,
    recreate: bool,
    allow_partial: bool,
) -> Result<()> {
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
    let results =
        crate::conversion::apply::apply_with(&r, &conn, phase, with_data, recreate, |i, n| {
            bar.set_length(n as u64);
            bar.set_position(i as u64);
        })
        .await;
    bar.finish_and_clear();
    conn.close().await;
    let failed = print_applied(&results);
    // Objects of the source that are not on the target because nothing converted them.
    let missing = not_converted(&r, phase, with_data);
    for (label, why) in &missing {
        println!("NOT CREATED {label}: {why}");
    }
    if let Some(l) = crate::assessment::export::ledger_line(&r) {
        println!("{l}");
    }
    if let Some(what) = incomplete(failed, &missing).filter(|_| !allow_partial) {
        return Err(Error::Query {
            endpoint: endpoint.label(),
            context: "applying the schema".into(),
            message: format!("{what} (--allow-partial accepts a partial schema)"),
            cause: crate::error::Cause::Statement,
        });
    }
    Ok(())
}

/// Prints each failed statement (its object, the error and the statement's first line) and
/// the totals; the number that failed.
fn print_applied(results: &[crate::conversion::apply::Applied]) -> usize {
    use crate::conversion::apply::StatementResult as R;
    let (mut ok, mut exists, mut failed) = (0, 0, 0);
    for a in results {
        match &a.result {
            R::Ok => ok += 1,
            R::Exists => exists += 1,
            R::Failed(e) => {
                failed += 1;
                let first: String = a
                    .sql
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect();
                println!("FAILED {}: {e}\n    {first}", a.object);
            }
        }
    }
    println!(
        "{} statements: {ok} applied, {exists} already there, {failed} failed",
        results.len()
    );
    failed
}

/// What a schema apply left undone: statements that failed and source objects that were not
/// converted (`missing`: label, why); None when nothing.
fn incomplete(failed: usize, missing: &[(String, String)]) -> Option<String> {
    let mut parts = vec![];
    if failed > 0 {
        parts.push(format!("{failed} statements failed"));
    }
    if !missing.is_empty() {
        let labels: Vec<&str> = missing.iter().map(|m| m.0.as_str()).collect();
        parts.push(format!(
            "{} source objects not converted: {}",
            missing.len(),
            labels.join(", ")
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `tugboat assess`: the assessment summary (of a folder of scripts, or of one source) and
/// the reports asked for.
pub(super) async fn assess_cmd(conv: ConvertArgs, report: Vec<PathBuf>) -> Result<()> {
    if std::path::Path::new(&conv.source).is_dir() {
        let table = assess_folder(&conv).await?;
        print!("{table}");
        for path in report {
            std::fs::write(&path, &table).map_err(|e| Error::File {
                path: path.clone(),
                message: e.to_string(),
            })?;
            eprintln!("summary written to {}", path.display());
        }
        return Ok(());
    }
    let r = conversion_report(&conv).await?;
    print!("{}", crate::assessment::export::summary_table(&r));
    for path in report {
        crate::assessment::export::write(&r, &path)?;
        eprintln!("report written to {}", path.display());
    }
    Ok(())
}
