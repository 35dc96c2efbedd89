//! `tugboat cutover` and `tugboat fallback`: a project's replicating task switched to its target
//! (the reverse task placed and run), and back (the forward task placed and run), each step
//! printed with its duration.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::*;
use crate::cutover::{self, Event, Options, Writes, journal::Step, way::Way};

#[derive(clap::Args, Debug)]
pub struct SwitchArgs {
    /// The project file.
    pub project: PathBuf,
    /// The replicating task that was cut over (for fallback too: the forward task's name).
    #[arg(long)]
    pub task: String,
    /// Check readiness only; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Tugboat makes the database the application leaves read-only (MySQL/MariaDB: the
    /// server's read_only; PostgreSQL: the database's default_transaction_read_only, with the
    /// sessions opened before ended). A fallback undoes it.
    #[arg(long, conflicts_with = "writes_stopped")]
    pub read_only: bool,
    /// You have stopped the application's writes yourself.
    #[arg(long)]
    pub writes_stopped: bool,
    /// Do not place nor run the task that replicates the other way.
    #[arg(long)]
    pub no_reverse: bool,
    /// Place the task replicating the other way but do not run it here (run it with
    /// `tugboat run`).
    #[arg(long)]
    pub no_run: bool,
    /// Seconds to wait for replication to apply every change up to the switch.
    #[arg(long, default_value_t = 600)]
    pub catch_up_timeout: u64,
}

pub(super) async fn switch_cmd(a: SwitchArgs, way: Way) -> Result<()> {
    let project = Project::load(&a.project)?;
    let forward = find_task(&project, &a.project, &a.task)?;
    let (old, new) = {
        let (_, se, de) = project_task(&a.project, &forward.name)?;
        (
            open(se, crate::endpoints::Role::Target).await?,
            open(de, crate::endpoints::Role::Target).await?,
        )
    };
    // The database the application leaves.
    let leaves = if way == Way::Cutover { &old } else { &new };
    let opts = Options {
        writes: writes(&a, leaves)?,
        dry_run: a.dry_run,
        then: !a.no_reverse,
        catch_up: std::time::Duration::from_secs(a.catch_up_timeout),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    stop_on_signal(cancel.clone());
    // A reverse task planned is kept in the project before anything changes.
    let keep = std::sync::Mutex::new((project, a.project.clone(), None::<Error>));
    let keep = Arc::new(keep);
    let events: cutover::Events = {
        let keep = keep.clone();
        Arc::new(move |e| match e {
            Event::Planned(y) => {
                if let Ok(mut k) = keep.lock() {
                    let (p, path, failed) = &mut *k;
                    if let Err(e) = keep_task(p, path, *y) {
                        *failed = Some(e);
                    }
                }
            }
            e => print_event(e),
        })
    };
    let tasks = keep.lock().map(|k| k.0.tasks.clone()).unwrap_or_default();
    let done = cutover::way::run(way, &forward, &tasks, &old, &new, &opts, events, cancel).await;
    old.close().await;
    new.close().await;
    if let Some(e) = keep.lock().ok().and_then(|mut k| k.2.take()) {
        return Err(e);
    }
    let done = done?;
    if a.dry_run && done.already {
        println!("switched already: nothing to check (dry run)");
        return Ok(());
    }
    if a.dry_run {
        if done.not_ready.is_empty() {
            println!("ready: nothing changed (dry run)");
            return Ok(());
        }
        return Err(Error::Invalid {
            what: format!("the {} of task {}", way.label(), forward.name),
            reason: format!("not ready: {}", done.not_ready.join("; ")),
        });
    }
    print_journal(&done.steps);
    let (from, to) = if way == Way::Cutover {
        (&new, &old)
    } else {
        (&old, &new)
    };
    then_run(a, &way.then_task(&forward.name), from, to).await
}

/// Keeps task `y` in the project file (replacing one of the same name).
fn keep_task(p: &mut Project, path: &std::path::Path, y: crate::tasks::Task) -> Result<()> {
    p.tasks.retain(|t| t.name != y.name);
    println!("task {} kept in {}", y.name, path.display());
    p.tasks.push(y);
    p.settle_ids();
    p.save(path)
}

/// After the switch: the task replicating the other way (from `s`, where the application now
/// writes, to `d`) run here, unless asked not to.
async fn then_run(a: SwitchArgs, y: &str, s: &Connection, d: &Connection) -> Result<()> {
    println!("The application may now write to {}.", s.endpoint.label());
    if a.no_reverse || a.no_run {
        if !a.no_reverse {
            println!(
                "Run the task replicating back with: tugboat run {} --task {y}",
                a.project.display()
            );
        }
        return Ok(());
    }
    println!(
        "Running task {y} ({} → {}) until stopped (Ctrl-C) or a switch back.",
        s.endpoint.label(),
        d.endpoint.label()
    );
    run_cmd(a.project, y.to_string(), vec![], false, None).await
}

fn find_task(p: &Project, path: &std::path::Path, name: &str) -> Result<crate::tasks::Task> {
    p.tasks
        .iter()
        .find(|t| t.name == name)
        .cloned()
        .ok_or_else(|| Error::File {
            path: path.to_path_buf(),
            message: format!("no task named '{name}'"),
        })
}

async fn open((mut e, pw): Resolved, role: crate::endpoints::Role) -> Result<Connection> {
    e.role = role;
    Connection::open(&e, pw).await
}

/// How the application's writes stop: said by an option, or on a terminal by the DBA.
fn writes(a: &SwitchArgs, s: &Connection) -> Result<Writes> {
    if a.read_only {
        return Ok(Writes::MakeReadOnly);
    }
    if a.writes_stopped || a.dry_run {
        return Ok(Writes::Stopped);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::Invalid {
            what: "how the application's writes stop".into(),
            reason: "say it: --writes-stopped (you stopped them) or --read-only (Tugboat makes the database read-only)".into(),
        });
    }
    println!(
        "Stop the application's writes to {}, then press Enter (Ctrl-C: nothing is changed).",
        s.endpoint.label()
    );
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::Invalid {
            what: "the answer".into(),
            reason: e.to_string(),
        })?;
    Ok(Writes::Stopped)
}

fn print_event(e: Event) {
    match e {
        Event::Started(step) => println!("… {}", step.label()),
        Event::Done {
            step,
            seconds,
            detail,
            earlier,
        } => {
            let when = if earlier {
                "done by an earlier run".to_string()
            } else {
                format!("{seconds:.1} s")
            };
            println!("✓ {}: {detail} ({when})", step.label());
        }
        Event::Finding { status, what } => {
            let word = match status {
                crate::cdc::checks::Status::Passed => "ok  ",
                crate::cdc::checks::Status::Warning => "WARN",
                crate::cdc::checks::Status::Failed => "FAIL",
            };
            println!("  {word} {what}")
        }
        Event::Note(n) => println!("  {n}"),
        Event::Task(crate::tasks::TaskEvent::Step(m)) => println!("  · {m}"),
        Event::Task(_) | Event::Planned(_) => {}
    }
}

/// Every step with its duration, and the window the application could not write.
fn print_journal(steps: &[cutover::journal::Entry]) {
    println!("{:<40} {:>9}", "step", "seconds");
    for e in steps {
        println!("{:<40} {:>9.1}", e.step.label(), e.seconds);
    }
    let window: f64 = steps
        .iter()
        .filter(|e| e.step >= Step::StopWrites)
        .map(|e| e.seconds)
        .sum();
    println!("writes stopped to writes on the new database: {window:.1} s");
}
