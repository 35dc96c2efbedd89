//! The checkpoint of a replicating task on the target (`tugboat_cdc_checkpoint`): its source position, phase and GTID, read, moved with each batch, forgotten on reload.

use super::*;

pub const CHECKPOINT: &str = "tugboat_cdc_checkpoint";

/// The task's place in its life: loading (changes are replayed from `position` once the load
/// ends), replaying (idempotent up to `replay_until`) or following changes strictly.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub position: Position,
    pub phase: ReplicationPhase,
    pub replay_until: Option<Position>,
    pub changes: u64,
    /// The source's GTID state at `position` (MariaDB), when the capture knew it: a task
    /// pointed at another server holding the same transactions (after a failover) goes on
    /// from there.
    pub gtid: Option<String>,
}

/// Creates the checkpoint table if needed and reads the task's checkpoint.
pub async fn checkpoint(target: &Connection, task: &str) -> Result<Option<Checkpoint>> {
    target
        .query(
            &format!("creating {CHECKPOINT}"),
            &format!(
                "CREATE TABLE IF NOT EXISTS {CHECKPOINT} (task varchar(200) NOT NULL PRIMARY KEY, position varchar(400) NOT NULL, phase varchar(20) NOT NULL, replay_until varchar(400), source_commit bigint, changes bigint NOT NULL, updated_at varchar(40) NOT NULL, source_gtid varchar(400))"
            ),
        )
        .await?;
    target
        .query(
            &format!("creating {SUSPENDED}"),
            &format!(
                "CREATE TABLE IF NOT EXISTS {SUSPENDED} (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, reason text NOT NULL, suspended_at varchar(40) NOT NULL, PRIMARY KEY (task, table_name))"
            ),
        )
        .await?;
    target
        .query(
            &format!("creating {}", crate::tasks::deferred::TABLE),
            &crate::tasks::deferred::create_table(),
        )
        .await?;
    // A checkpoint table from before GTIDs were kept gains the column.
    if target
        .query(
            "probing the checkpoint's GTID",
            &format!("SELECT source_gtid FROM {CHECKPOINT} WHERE 1 = 0"),
        )
        .await
        .is_err()
    {
        target
            .query(
                &format!("adding source_gtid to {CHECKPOINT}"),
                &format!("ALTER TABLE {CHECKPOINT} ADD COLUMN source_gtid varchar(400)"),
            )
            .await?;
    }
    let lit = |s: &str| values::text_literal(target.endpoint.engine, s);
    let rows = target
        .query(
            &format!("reading {CHECKPOINT}"),
            &format!(
                "SELECT position, phase, replay_until, changes, source_gtid FROM {CHECKPOINT} WHERE task = {}",
                lit(task)
            ),
        )
        .await?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let position = Position::parse(&r.s("position")).ok_or_else(|| Error::InvalidEndpoint {
        endpoint: target.endpoint.label(),
        reason: format!(
            "{CHECKPOINT} holds position {:?} for task {task}, which is not a position",
            r.s("position")
        ),
    })?;
    Ok(Some(Checkpoint {
        position,
        phase: ReplicationPhase::parse(&r.s("phase")).ok_or_else(|| Error::InvalidEndpoint {
            endpoint: target.endpoint.label(),
            reason: format!(
                "{CHECKPOINT} holds phase {:?} for task {task}, which is no phase (full-load, replay, cdc)",
                r.s("phase")
            ),
        })?,
        replay_until: r.opt("replay_until").and_then(|p| Position::parse(&p)),
        changes: r.i64("changes").unwrap_or(0).max(0) as u64,
        gtid: r.opt("source_gtid").filter(|g| !g.is_empty()),
    }))
}

/// Writes the task's checkpoint outside any batch (at the start, between phases), replacing
/// the one there in one transaction: a stop in between never leaves the task without one.
pub async fn set_checkpoint(target: &Connection, task: &str, c: &Checkpoint) -> Result<()> {
    let lit = |s: &str| values::text_literal(target.endpoint.engine, s);
    let until = c
        .replay_until
        .as_ref()
        .map(|p| lit(&p.to_string()))
        .unwrap_or_else(|| "NULL".into());
    let sql = format!(
        "DELETE FROM {CHECKPOINT} WHERE task = {t};\nINSERT INTO {CHECKPOINT} (task, position, phase, replay_until, source_commit, changes, updated_at, source_gtid) VALUES ({t}, {}, {}, {until}, NULL, {}, {}, {})",
        lit(&c.position.to_string()),
        lit(c.phase.as_str()),
        c.changes,
        lit(&crate::tasks::state::now()),
        c.gtid.as_deref().map(lit).unwrap_or("NULL".into()),
        t = lit(task),
    );
    target
        .execute_in_transaction(&sql)
        .await
        .map_err(|e| query_error(target, &format!("writing {CHECKPOINT}"), e))?;
    Ok(())
}

/// Forgets the task's checkpoint (the task is reloaded from scratch).
pub async fn clear_checkpoint(target: &Connection, task: &str) -> Result<()> {
    // (Reading it first makes the table when a task never replicated.)
    checkpoint(target, task).await?;
    let t = values::text_literal(target.endpoint.engine, task);
    target
        .query(
            &format!("clearing {CHECKPOINT}"),
            &format!("DELETE FROM {CHECKPOINT} WHERE task = {t}"),
        )
        .await?;
    Ok(())
}
