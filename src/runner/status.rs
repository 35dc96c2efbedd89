//! Where each task of a project stands, read from the control tables on its target (so tasks
//! running anywhere, in another terminal or another machine's app, are seen alike): tables
//! loaded, rows, replication phase and position, changes applied, lag at the last apply, rows
//! refused, tables suspended, and the source column value it writes in a consolidation. The
//! CLI's `tugboat status` and the app's Monitor show these same figures; tasks sharing a
//! target are totalled together. Reads only: nothing is created on the target.

use serde::Serialize;

use crate::cdc::apply::CHECKPOINT;
use crate::endpoints::Connection;
use crate::engines::discover::has_table;
use crate::engines::values::text_literal;
use crate::error::Result;

/// One task's figures on its target.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskStatus {
    pub task: String,
    /// Tables with a recorded state, and those completed.
    pub tables: u64,
    pub tables_completed: u64,
    /// Rows the full load wrote (completed and unfinished tables).
    pub rows_loaded: u64,
    /// "full-load" or "cdc" once replication has a checkpoint.
    pub phase: Option<String>,
    pub position: Option<String>,
    /// Changes applied since replication started.
    pub changes: Option<u64>,
    /// Seconds between the source's commit of the last change applied and its apply (to the
    /// second: the checkpoint keeps its time in seconds).
    pub lag_seconds: Option<f64>,
    /// Seconds since the checkpoint last moved.
    pub last_apply_seconds: Option<u64>,
    /// Rows or changes refused by the target (`tugboat_apply_exceptions`).
    pub exceptions: u64,
    /// Tables whose changes replication no longer applies.
    pub suspended: u64,
    /// Consolidation: the source column values the task writes (one per table, usually one).
    pub source_values: Vec<String>,
}

impl TaskStatus {
    /// A word for where the task is.
    pub fn state(&self) -> &'static str {
        match (self.phase.as_deref(), self.tables) {
            (Some("cdc"), _) => "replicating",
            (Some(_), _) => "full load",
            (None, 0) => "not started",
            (None, _) if self.tables_completed == self.tables => "loaded",
            (None, _) => "loading",
        }
    }

    /// The lag as shown: seconds, or "-" when nothing was applied yet.
    pub fn lag_text(&self) -> String {
        match self.lag_seconds {
            Some(l) => format!("{l:.0} s"),
            None => "-".into(),
        }
    }
}

/// `task`'s figures on `target`, a database or a data lake (its state files: the tables
/// loaded, the checkpoint of its change files).
pub async fn of_target(target: &super::Target, task: &str) -> Result<TaskStatus> {
    let lake = match target {
        super::Target::Database(c) => return of(c, task).await,
        super::Target::Lake(l) => l,
    };
    let loaded = crate::lake::load::state(lake, task).await?;
    let cp = crate::lake::checkpoint::checkpoint_of(lake, task).await?;
    // Tables loading in parts count the rows of the parts written.
    let partial_rows: u64 = (loaded.partial.values())
        .map(|p| p.done.values().map(|l| l.rows).sum::<u64>())
        .sum();
    Ok(TaskStatus {
        task: task.to_string(),
        tables: (loaded.tables.len() + loaded.partial.len()) as u64,
        tables_completed: loaded.tables.len() as u64,
        rows_loaded: loaded.tables.values().map(|t| t.rows).sum::<u64>() + partial_rows,
        phase: cp.as_ref().map(|c| {
            match c.phase {
                crate::cdc::ReplicationPhase::Cdc => "cdc",
                _ => "full-load",
            }
            .to_string()
        }),
        position: cp.as_ref().map(|c| c.position.clone()),
        changes: cp.as_ref().map(|c| c.changes),
        ..Default::default()
    })
}

/// Several tasks' figures added up (the tasks sharing a target).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub tasks: u64,
    pub rows_loaded: u64,
    pub changes: u64,
    /// The largest lag among them.
    pub lag_seconds: Option<f64>,
    pub exceptions: u64,
    pub suspended: u64,
}

impl Totals {
    pub fn of<'a>(tasks: impl IntoIterator<Item = &'a TaskStatus>) -> Totals {
        let mut t = Totals::default();
        for s in tasks {
            t.tasks += 1;
            t.rows_loaded += s.rows_loaded;
            t.changes += s.changes.unwrap_or(0);
            t.exceptions += s.exceptions;
            t.suspended += s.suspended;
            if let Some(l) = s.lag_seconds {
                t.lag_seconds = Some(t.lag_seconds.map_or(l, |m: f64| m.max(l)));
            }
        }
        t
    }
}

/// The figures of `task` on `target` (its control tables; a table not there yet counts as
/// nothing done).
pub async fn of(target: &Connection, task: &str) -> Result<TaskStatus> {
    let t = text_literal(target.endpoint.engine, task);
    let mut s = TaskStatus {
        task: task.to_string(),
        ..Default::default()
    };
    let num = |v: Option<String>| v.and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) as u64;
    if has_table(target, "tugboat_table_state").await? {
        let rows = target
            .query(
                "reading tugboat_table_state",
                &format!(
                    "SELECT count(*) AS n, sum(CASE WHEN state = 'completed' THEN 1 ELSE 0 END) AS done, sum(rows_loaded) AS rows_loaded FROM tugboat_table_state WHERE task = {t}"
                ),
            )
            .await?;
        if let Some(r) = rows.first() {
            s.tables = num(r.opt("n"));
            s.tables_completed = num(r.opt("done"));
            s.rows_loaded = num(r.opt("rows_loaded"));
        }
    }
    if has_table(target, CHECKPOINT).await? {
        let rows = target
            .query(
                &format!("reading {CHECKPOINT}"),
                &format!(
                    "SELECT position, phase, changes, source_commit, updated_at FROM {CHECKPOINT} WHERE task = {t}"
                ),
            )
            .await?;
        if let Some(r) = rows.first() {
            s.phase = r.opt("phase");
            s.position = r.opt("position");
            s.changes = Some(num(r.opt("changes")));
            let updated = r.opt("updated_at").and_then(|v| v.parse::<u64>().ok());
            let commit_ms = r.opt("source_commit").and_then(|v| v.parse::<u64>().ok());
            if let (Some(u), Some(c)) = (updated, commit_ms.filter(|c| *c > 0)) {
                s.lag_seconds = Some(u.saturating_sub(c / 1000) as f64);
            }
            let now = crate::tasks::state::now().parse::<u64>().unwrap_or(0);
            s.last_apply_seconds = updated.map(|u| now.saturating_sub(u));
        }
    }
    for (table, field) in [
        ("tugboat_apply_exceptions", &mut s.exceptions),
        (crate::tasks::state::SUSPENDED, &mut s.suspended),
    ] {
        if has_table(target, table).await? {
            let n = target
                .query_scalar(
                    &format!("reading {table}"),
                    &format!("SELECT count(*) FROM {table} WHERE task = {t}"),
                )
                .await?;
            *field = num(n);
        }
    }
    s.source_values = crate::tasks::state::source_values(target, task).await?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_and_keep_the_largest_lag() {
        let a = TaskStatus {
            rows_loaded: 10,
            changes: Some(5),
            lag_seconds: Some(0.4),
            exceptions: 1,
            ..Default::default()
        };
        let b = TaskStatus {
            rows_loaded: 7,
            changes: None,
            lag_seconds: Some(2.5),
            suspended: 2,
            ..Default::default()
        };
        let t = Totals::of([&a, &b]);
        assert_eq!((t.tasks, t.rows_loaded, t.changes), (2, 17, 5));
        assert_eq!((t.exceptions, t.suspended), (1, 2));
        assert_eq!(t.lag_seconds, Some(2.5));
        assert_eq!(TaskStatus::default().state(), "not started");
        assert_eq!(TaskStatus::default().lag_text(), "-");
    }
}
