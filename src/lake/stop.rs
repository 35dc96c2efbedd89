//! Where a lake's replication ends by itself (the task's `stop_at`, `--stop-at`): after the
//! last transaction that ends at or before a position of the source's log, or that the source
//! committed at or before a time, as a database target's replication stops
//! ([`crate::cdc::StopAt`]). The changes taken up to it are written and the checkpoint is the
//! end of the last of them; nothing after it reaches the lake.

use crate::cdc::StopAt;
use crate::endpoints::Connection;
use crate::engines::ChangeLog;
use crate::engines::change::Position;
use crate::tasks::Task;

/// A replication's stop, and what has been seen of the source's log beside it.
pub struct Stop {
    at: StopAt,
    quiet: crate::cdc::run::Quiet,
}

impl Stop {
    /// `task`'s stop (None: it runs until stopped); an error says why it is not one for a
    /// source of `engine`.
    pub fn of(task: &Task, engine: crate::endpoints::Engine) -> Result<Option<Stop>, String> {
        let Some(text) = task.stop_at.as_deref() else {
            return Ok(None);
        };
        let at = StopAt::parse(text)?;
        if !at.fits(engine) {
            return Err(format!(
                "the stop ({at}) is not a position of this source's log"
            ));
        }
        Ok(Some(Stop {
            at,
            quiet: crate::cdc::run::Quiet::new(),
        }))
    }

    /// Why a replication whose checkpoint is `cp` has nothing to do: it is at the stop.
    pub fn before_start(&self, cp: &Position) -> Option<String> {
        self.at
            .reached_by(cp)
            .then(|| format!("reached its stop ({}) before it started", self.at))
    }

    /// Why what ends at `end`, committed at `commit_ms` (0: not known), is not written: it
    /// lies past the stop.
    pub fn passed_by(&self, end: &Position, commit_ms: i64) -> Option<String> {
        self.at.passed_by(end, commit_ms).then(|| {
            format!(
                "reached its stop ({}): the next transaction ends at {end}",
                self.at
            )
        })
    }

    /// Why the replication ends, idle with everything read through `through`: a position stop
    /// it has reached.
    pub fn read_through(&self, through: &Position) -> Option<String> {
        self.at.reached_by(through).then(|| {
            format!(
                "reached its stop ({}): the source went past it with nothing more for the task",
                self.at
            )
        })
    }

    /// Asked while nothing comes (at most once a second): why the replication ends, once the
    /// source has been past the stop for a second with nothing more read.
    pub async fn probe(&mut self, source: &Connection, log: &dyn ChangeLog) -> Option<String> {
        self.quiet.past(&self.at, source, log).await
    }

    /// Something was read: the quiet before the stop starts again.
    pub fn heard(&mut self) {
        self.quiet.heard();
    }
}
