//! Cut-over and fallback: the guided switch of a replicating task's application from its source
//! to its target, with replication in the other direction from the exact moment of the switch.
//!
//! A switch of task X (source S, target D) runs named [`journal::Step`]s, each recorded on D
//! with its duration, so that a switch killed anywhere goes on where it stopped when run
//! again: readiness (replication caught up and in its last phase, nothing suspended, the
//! constraints left for later checked, the other direction's premigration checks passed); the
//! application's writes stopped (the DBA says so, or S is made read-only); S's log position P
//! at that moment; every change up to P applied (X is ordered to stop at P through
//! [`crate::cdc::control`], wherever it runs, or run here up to it); the tables compared by
//! checksums (the data now still: any difference refuses the switch); every counter on D set
//! past the rows and past S's counter; D's log position Q, where task Y (the reverse, or at a
//! fallback the forward task again) starts, its checkpoint placed on S; then X's capture on S
//! forgotten (a PostgreSQL slot nobody reads would keep WAL) and D made writable again when an
//! earlier switch the other way left it read-only. A fallback is the same switch of the
//! reverse task.

pub mod counters;
pub mod journal;
pub mod reverse;
pub mod way;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::cdc::control;
use crate::cdc::{Position, ReplicationPhase};
use crate::endpoints::Connection;
use crate::error::{Error, Result};
use crate::tasks::{Task, TaskEvent};
use journal::{Entry, Step};

/// How the application's writes to the source stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    /// The DBA has stopped them (and says so).
    Stopped,
    /// Tugboat makes the source read-only (undone by a fallback).
    MakeReadOnly,
}

/// What a switch is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub writes: Writes,
    /// Check readiness only; change nothing.
    pub dry_run: bool,
    /// Place the task that replicates the other way (the reverse task, or at a fallback the
    /// forward task again).
    pub then: bool,
    /// How long to wait for replication to apply every change up to the switch.
    pub catch_up: Duration,
}

/// What a switch reports as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// A step begins.
    Started(Step),
    /// A step ended (or was found done by an earlier run: `again` false).
    Done {
        step: Step,
        seconds: f64,
        detail: String,
        earlier: bool,
    },
    /// A readiness finding: passed, a warning (the switch goes on) or failed, and what.
    Finding {
        status: crate::cdc::checks::Status,
        what: String,
    },
    /// Anything else worth a line.
    Note(String),
    /// The task run here to catch up, or the validation.
    Task(TaskEvent),
    /// A cut-over's reverse task, planned before anything changes: for the caller to keep in
    /// the project (it replaces one of the same name).
    Planned(Box<Task>),
}

pub type Events = Arc<dyn Fn(Event) + Send + Sync>;

/// The two sides of a switch: task X from S to D, and task Y that starts at the switch from
/// D to S.
pub struct Sides<'a> {
    pub x: &'a Task,
    pub y: &'a Task,
    pub s: &'a Connection,
    pub d: &'a Connection,
}

/// How a switch ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Switched {
    /// The journal: every step with its duration.
    pub steps: Vec<Entry>,
    /// A dry run: readiness findings that failed (empty: ready).
    pub not_ready: Vec<String>,
    /// Where Y starts, when it was placed.
    pub y_start: Option<Position>,
    /// An earlier run had switched already: nothing was done.
    pub already: bool,
}

/// Runs (or goes on with) the switch of `sides.x`.
pub async fn switch(
    sides: &Sides<'_>,
    opts: &Options,
    events: Events,
    cancel: Arc<AtomicBool>,
) -> Result<Switched> {
    let Sides { x, d, .. } = *sides;
    let mut done = journal::read(d, &x.name).await?;
    if done.iter().any(|e| e.step == Step::Switched && e.done) {
        events(Event::Note(format!(
            "task {} was switched already: {} is current",
            x.name,
            d.endpoint.label()
        )));
        let mut s = finished(done, vec![], None);
        s.already = true;
        return Ok(s);
    }
    let mut sw = Run {
        sides,
        opts,
        events: events.clone(),
        cancel,
        done: &mut done,
    };
    let not_ready = sw.readiness().await?;
    if opts.dry_run || !not_ready.is_empty() {
        if !opts.dry_run {
            return Err(refused(x, &not_ready.join("; ")));
        }
        return Ok(finished(done, not_ready, None));
    }
    sw.stop_writes().await?;
    let p = sw.source_position().await?;
    sw.catch_up(&p).await?;
    sw.validate().await?;
    sw.counters().await?;
    let q = sw.then_start().await?;
    sw.switched().await?;
    let steps = journal::read(d, &x.name).await?;
    Ok(finished(steps, vec![], q))
}

/// A kill at a step, for the tests: with `TUGBOAT_KILL_AT=<step key>` in the environment the
/// process ends abruptly (SIGABRT, no clean-up, as a SIGKILL would) once the step has done its
/// work and before the journal says so. The tests kill a switch at each step this way and run
/// the command again.
fn kill_point(step: Step) {
    if std::env::var("TUGBOAT_KILL_AT").is_ok_and(|v| v == step.key()) {
        std::process::abort();
    }
}

fn finished(steps: Vec<Entry>, not_ready: Vec<String>, y_start: Option<Position>) -> Switched {
    Switched {
        steps,
        not_ready,
        y_start,
        already: false,
    }
}

fn refused(x: &Task, why: &str) -> Error {
    Error::Invalid {
        what: format!("the switch of task {}", x.name),
        reason: why.to_string(),
    }
}

/// A switch under way.
struct Run<'a, 'b> {
    sides: &'a Sides<'b>,
    opts: &'a Options,
    events: Events,
    cancel: Arc<AtomicBool>,
    /// The journal as read when the switch started (steps an earlier run finished).
    done: &'a mut Vec<Entry>,
}

mod steps;
