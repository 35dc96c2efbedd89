//! `tugboat cutover` and `tugboat fallback`: a project's replicating task switched to its target
//! (the reverse task placed and run), and back (the forward task placed and run), each step
//! printed with its duration.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::*;
use crate::cutover::{self, Event, Options, Sides, Writes, journal::Step};

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

/// Which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Cutover,
    Fallback,
}

pub(super) async fn switch_cmd(a: SwitchArgs, way: Way) -> Result<()> {
    let mut project = Project::load(&a.project)?;
    let forward = find_task(&project, &a.project, &a.task)?;
    let back_name = cutover::reverse::name_of(&forward.name);
    // X switches from its source to its target; Y starts at the switch the other way.
    let (x_name, y_name) = match way {
        Way::Cutover => (forward.name.clone(), back_name.clone()),
        Way::Fallback => (back_name.clone(), forward.name.clone()),
    };
    if way == Way::Fallback && project.tasks.iter().all(|t| t.name != back_name) {
        return Err(Error::File {
            path: a.project.clone(),
            message: format!(
                "task {} was not cut over: the project has no task {back_name}",
                forward.name
            ),
        });
    }
    let (s, d) = {
        let (_, se, de) = project_task(&a.project, &x_name)?;
        (
            open(se, crate::endpoints::Role::Target).await?,
            open(de, crate::endpoints::Role::Target).await?,
        )
    };
    let x = find_task(&project, &a.project, &x_name)?;
    let y = match way {
        Way::Fallback => find_task(&project, &a.project, &y_name)?,
        // (Planned from the tables on both sides: none yet means the task never loaded.)
        Way::Cutover => reverse_of(&project, &x, &s, &d)
            .await
            .map_err(|e| Error::Invalid {
                what: format!("the switch of task {}", x.name),
                reason: format!("not ready: the task replicating back cannot be planned: {e}"),
            })?,
    };
    let writes = writes(&a, &s)?;
    if way == Way::Cutover && !a.dry_run && !a.no_reverse {
        project.tasks.retain(|t| t.name != y.name);
        project.tasks.push(y.clone());
        project.settle_ids();
        project.save(&a.project)?;
        println!(
            "task {} (from {} back to {}) kept in {}",
            y.name,
            d.endpoint.label(),
            s.endpoint.label(),
            a.project.display()
        );
    }
    let opts = Options {
        writes,
        dry_run: a.dry_run,
        then: !a.no_reverse,
        catch_up: std::time::Duration::from_secs(a.catch_up_timeout),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    stop_on_signal(cancel.clone());
    let sides = Sides {
        x: &x,
        y: &y,
        s: &s,
        d: &d,
    };
    let done = cutover::switch(&sides, &opts, Arc::new(print_event), cancel).await;
    s.close().await;
    d.close().await;
    let done = done?;
    if a.dry_run {
        if done.not_ready.is_empty() {
            println!("ready: nothing changed (dry run)");
            return Ok(());
        }
        return Err(Error::Invalid {
            what: format!("the switch of task {}", x.name),
            reason: format!("not ready: {}", done.not_ready.join("; ")),
        });
    }
    print_journal(&done.steps);
    then_run(a, &y.name, &s, &d).await
}

/// The reverse of task `x` (its tables as they are on both sides now), keeping the id of a
/// reverse task an earlier cut-over left in the project.
async fn reverse_of(
    project: &Project,
    x: &crate::tasks::Task,
    s: &Connection,
    d: &Connection,
) -> Result<crate::tasks::Task> {
    let none: Arc<dyn Fn(crate::tasks::TaskEvent) + Send + Sync> = Arc::new(|_| {});
    let tables = crate::tasks::prepared(x, s, d, &none).await?;
    let plans: Vec<_> = tables.into_iter().map(|p| p.plan).collect();
    let b = crate::engines::of(d.endpoint.engine);
    let current = b.current_schema(d).await.unwrap_or_default();
    let mut y = cutover::reverse::of(x, &plans, &|planned| b.schema_here(planned, &current))?;
    if let Some(old) = project.tasks.iter().find(|t| t.name == y.name) {
        y.id = old.id.clone();
    }
    Ok(y)
}

/// After the switch: the task replicating the other way run here, unless asked not to.
async fn then_run(a: SwitchArgs, y: &str, s: &Connection, d: &Connection) -> Result<()> {
    println!("The application may now write to {}.", d.endpoint.label());
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
        d.endpoint.label(),
        s.endpoint.label()
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
        Event::Finding { ok, what } => println!("  {} {what}", if ok { "ok  " } else { "FAIL" }),
        Event::Note(n) => println!("  {n}"),
        Event::Task(crate::tasks::TaskEvent::Step(m)) => println!("  · {m}"),
        Event::Task(_) => {}
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
