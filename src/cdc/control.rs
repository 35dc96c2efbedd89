//! Orders to a replicating task, kept on its target (`tugboat_cdc_control`) where the task
//! reads them wherever it runs: a stop at a position of the source's log (what a cut-over
//! asks: every change up to it applied, none after). The running task looks four times a
//! second and, once at the stop, says so in the same row; started again, it stops there at
//! once until the order is withdrawn.

use super::Position;
use crate::endpoints::Connection;
use crate::engines::values::text_literal;
use crate::error::{Error, Result};

pub const CONTROL: &str = "tugboat_cdc_control";

/// A stop ordered for a task.
#[derive(Debug, Clone, PartialEq)]
pub struct StopOrder {
    pub at: Position,
    /// Why, in words (shown as the task's stop reason).
    pub reason: String,
    /// Where the task stopped for it, once it did.
    pub reached: Option<Position>,
}

async fn ensure(target: &Connection) -> Result<()> {
    target
        .query(
            &format!("creating {CONTROL}"),
            &format!(
                "CREATE TABLE IF NOT EXISTS {CONTROL} (task varchar(200) NOT NULL PRIMARY KEY, stop_at varchar(400) NOT NULL, reason varchar(1000) NOT NULL, ordered_at varchar(40) NOT NULL, reached_at varchar(400))"
            ),
        )
        .await?;
    Ok(())
}

/// Orders `task` to stop at `at` (replacing an earlier order).
pub async fn order_stop(
    target: &Connection,
    task: &str,
    at: &Position,
    reason: &str,
) -> Result<()> {
    ensure(target).await?;
    let lit = |s: &str| text_literal(target.endpoint.engine, s);
    let sql = format!(
        "DELETE FROM {CONTROL} WHERE task = {t};\nINSERT INTO {CONTROL} (task, stop_at, reason, ordered_at) VALUES ({t}, {}, {}, {})",
        lit(&at.to_string()),
        lit(reason),
        lit(&crate::tasks::state::now()),
        t = lit(task),
    );
    target.execute_in_transaction(&sql).await.map_err(|e| {
        crate::engines::change::query_error(target, &format!("writing {CONTROL}"), e)
    })?;
    Ok(())
}

/// The stop ordered for `task`, if any (the table made first when it is not there).
pub async fn stop_order(target: &Connection, task: &str) -> Result<Option<StopOrder>> {
    ensure(target).await?;
    read_order(target, task).await
}

/// [`stop_order`] without making the table: what a running task asks four times a second,
/// once a session has made it.
pub async fn read_order(target: &Connection, task: &str) -> Result<Option<StopOrder>> {
    let sql = format!(
        "SELECT stop_at, reason, reached_at FROM {CONTROL} WHERE task = {}",
        text_literal(target.endpoint.engine, task)
    );
    let rows = target.query(&format!("reading {CONTROL}"), &sql).await?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let at = Position::parse(&r.s("stop_at")).ok_or_else(|| Error::InvalidEndpoint {
        endpoint: target.endpoint.label(),
        reason: format!(
            "{CONTROL} holds stop {:?} for task {task}, which is not a position",
            r.s("stop_at")
        ),
    })?;
    Ok(Some(StopOrder {
        at,
        reason: r.s("reason"),
        reached: r.opt("reached_at").and_then(|p| Position::parse(&p)),
    }))
}

/// Notes that `task` stopped at `at` for its order.
pub async fn reached(target: &Connection, task: &str, at: &Position) -> Result<()> {
    ensure(target).await?;
    let lit = |s: &str| text_literal(target.endpoint.engine, s);
    target
        .query(
            &format!("writing {CONTROL}"),
            &format!(
                "UPDATE {CONTROL} SET reached_at = {} WHERE task = {}",
                lit(&at.to_string()),
                lit(task)
            ),
        )
        .await?;
    Ok(())
}

/// Withdraws the order for `task`: it runs on when started again.
pub async fn withdraw(target: &Connection, task: &str) -> Result<()> {
    ensure(target).await?;
    target
        .query(
            &format!("clearing {CONTROL}"),
            &format!(
                "DELETE FROM {CONTROL} WHERE task = {}",
                text_literal(target.endpoint.engine, task)
            ),
        )
        .await?;
    Ok(())
}
