//! A project's switch by its direction: a cut-over switches the forward task (its reverse task
//! planned from the tables and placed), a fallback switches the reverse task back (the forward
//! task placed again). The app and the CLI both come through here.

use super::*;

/// Which way a switch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Cutover,
    Fallback,
}

impl Way {
    pub fn label(self) -> &'static str {
        match self {
            Way::Cutover => "cut-over",
            Way::Fallback => "fallback",
        }
    }

    /// The task that replicates once the switch is done.
    pub fn then_task(self, forward: &str) -> String {
        match self {
            Way::Cutover => reverse::name_of(forward),
            Way::Fallback => forward.to_string(),
        }
    }
}

/// The switch of `forward` (whose source is `old` and target `new`, both connected as
/// targets: the switch writes to each) the way `way` says, among the project's `tasks`. A
/// cut-over sends [`Event::Planned`] with its reverse task before it changes anything, for the
/// caller to keep in the project.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    way: Way,
    forward: &Task,
    tasks: &[Task],
    old: &Connection,
    new: &Connection,
    opts: &Options,
    events: Events,
    cancel: Arc<AtomicBool>,
) -> Result<Switched> {
    let back = reverse::name_of(&forward.name);
    let refuse = |reason: String| Error::Invalid {
        what: format!("the {} of task {}", way.label(), forward.name),
        reason,
    };
    match way {
        Way::Cutover => {
            // (Planned from the tables on both sides: none yet means the task never loaded.)
            let y = reverse::plan(forward, old, new, tasks).await.map_err(|e| {
                refuse(format!(
                    "not ready: the task replicating back cannot be planned: {e}"
                ))
            })?;
            if !opts.dry_run && opts.then {
                events(Event::Planned(Box::new(y.clone())));
            }
            let sides = Sides {
                x: forward,
                y: &y,
                s: old,
                d: new,
            };
            switch(&sides, opts, events, cancel).await
        }
        Way::Fallback => {
            let x = tasks.iter().find(|t| t.name == back).ok_or_else(|| {
                refuse(format!(
                    "it was not cut over: the project has no task {back}"
                ))
            })?;
            let sides = Sides {
                x,
                y: forward,
                s: new,
                d: old,
            };
            switch(&sides, opts, events, cancel).await
        }
    }
}
