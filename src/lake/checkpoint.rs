//! A lake task's checkpoint (`_tugboat/<task>/checkpoint.json`): where the next change to write
//! is in the source's log, its phase, the batches of change files written and the last `_seq`;
//! made where the log is when a new task starts, and the files of batches it does not name
//! (written before a kill) deleted before capturing from it again.

use serde::{Deserialize, Serialize};

use super::Lake;
use super::load::state_path;
use super::plan::LakeTable;
use crate::cdc::{ReplicationPhase, TaskType};
use crate::endpoints::Connection;
use crate::engines::ChangeLog;
use crate::error::Result;
use crate::tasks::Task;

/// Where a lake task is, kept beside its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LakeCheckpoint {
    /// Where the next change to write is in the source's log.
    pub position: String,
    pub phase: ReplicationPhase,
    /// Batches of change files written.
    pub batch: u64,
    /// The last change's `_seq`.
    pub seq: u64,
    /// Changes written.
    pub changes: u64,
}

/// `task`'s checkpoint in `lake`, if it replicates there.
pub async fn checkpoint_of(lake: &Lake, task: &str) -> Result<Option<LakeCheckpoint>> {
    lake.get_json(&state_path(lake, task, "checkpoint.json"))
        .await
}

/// The batch number of change file `name` (`CDC00000007-00000001.parquet`: 7).
pub fn batch_of(name: &str) -> Option<u64> {
    name.strip_prefix("CDC")?.split('-').next()?.parse().ok()
}

/// The task's checkpoint in the lake; a new task's made where the log is now (the source made
/// ready to capture `tables`: a slot created).
#[allow(clippy::too_many_arguments)]
pub(super) async fn checkpoint(
    task: &Task,
    task_type: TaskType,
    source: &Connection,
    lake: &Lake,
    log: &'static dyn ChangeLog,
    tables: &[LakeTable],
    path: &object_store::path::Path,
    step: &impl Fn(String),
) -> Result<LakeCheckpoint> {
    if let Some(cp) = lake.get_json(path).await? {
        return Ok(cp);
    }
    let names: Vec<String> = tables.iter().map(|t| t.label().to_string()).collect();
    let started = log.start(source, &task.name, &names).await?;
    if let Some(what) = started.created {
        step(format!("created {what} at {}", started.position));
    }
    let cp = LakeCheckpoint {
        position: started.position.to_string(),
        phase: if task_type == TaskType::FullLoadAndCdc {
            ReplicationPhase::FullLoad
        } else {
            ReplicationPhase::Cdc
        },
        batch: 0,
        seq: 0,
        changes: 0,
    };
    lake.put_json(path, &cp).await?;
    Ok(cp)
}

/// Deletes the change files of `t` of batches after `batch` (written before a kill, their
/// checkpoint not): they are captured and written again.
pub(super) async fn drop_unfinished(lake: &Lake, t: &LakeTable, batch: u64) -> Result<()> {
    for f in super::files::parquet_files(lake, &t.dir).await? {
        let name = f.location.filename().unwrap_or_default().to_string();
        if batch_of(&name).is_some_and(|b| b > batch) {
            tracing::info!(target: "tugboat::tasks", "{}: {name} of an unfinished batch deleted", t.label());
            lake.delete(&f.location).await?;
        }
    }
    Ok(())
}
