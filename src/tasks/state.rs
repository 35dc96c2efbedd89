//! The task's control table on the target, `tugboat_table_state`: one row per task and table
//! with its state (loading, completed, error) and rows loaded. A table is marked completed only
//! after its last row is written, so a run that stops anywhere leaves it unfinished, and the
//! next run empties and reloads it. A large table loaded in primary-key ranges has one row per
//! range in `tugboat_range_state` (its bounds, state and rows), so a run that stops reloads only
//! the ranges that did not finish, with the same bounds; a table without an integer key loaded
//! in slices of sampled keys has a row per slice in `tugboat_slice_state` (`state/slices.rs`).

mod slices;

pub use slices::{SliceState, clear_slices, set_slice, slice_sql, slices};

use crate::endpoints::Connection;
use crate::engines::discover::has_table;
use crate::engines::values::text_literal;
use crate::error::{Error, Result};

const TABLE: &str = "tugboat_table_state";
/// Tables whose changes replication no longer applies, and why, kept with its checkpoint: a
/// task started again keeps them suspended (its checkpoint is past the changes it left out)
/// until the table is reloaded.
pub const SUSPENDED: &str = "tugboat_cdc_suspended";

/// A table's or a key range's state as kept on the target (the words stored are DMS-like and
/// stable: older targets hold them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A range planned and not started.
    Queued,
    Loading,
    Completed,
    Error,
}

impl Stored {
    pub fn as_str(self) -> &'static str {
        match self {
            Stored::Queued => "queued",
            Stored::Loading => "loading",
            Stored::Completed => "completed",
            Stored::Error => "error",
        }
    }

    /// A word read back; anything unknown counts as not finished (it is loaded again).
    pub fn parse(s: &str) -> Stored {
        match s {
            "queued" => Stored::Queued,
            "completed" => Stored::Completed,
            "error" => Stored::Error,
            _ => Stored::Loading,
        }
    }
}
/// Key ranges of tables loaded in parallel ranges, one row per range.
const PARTS: &str = "tugboat_range_state";

fn query_error(conn: &Connection, e: sqlx::Error) -> Error {
    Error::query(
        conn.endpoint.label(),
        format!("keeping task state in {TABLE}"),
        &e,
    )
}

/// Creates the control tables if they are not there: the table states, the rows validation
/// found different (`tugboat_validation_failures`) and the rows the target refused
/// (`tugboat_apply_exceptions`). Once, before the workers start: concurrent CREATE TABLE IF
/// NOT EXISTS can fail on PostgreSQL.
pub async fn ensure(conn: &Connection) -> Result<()> {
    for sql in [
        format!("CREATE TABLE IF NOT EXISTS {TABLE} (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, state varchar(20) NOT NULL, rows_loaded bigint NOT NULL, updated_at varchar(40) NOT NULL, PRIMARY KEY (task, table_name))"),
        "CREATE TABLE IF NOT EXISTS tugboat_validation_failures (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, key_value varchar(1000) NOT NULL, failure varchar(40) NOT NULL, columns_differing varchar(2000) NOT NULL)".to_string(),
        format!("CREATE TABLE IF NOT EXISTS {PARTS} (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, part integer NOT NULL, parts integer NOT NULL, key_from varchar(60), key_to varchar(60), state varchar(20) NOT NULL, rows_loaded bigint NOT NULL, updated_at varchar(40) NOT NULL, PRIMARY KEY (task, table_name, part))"),
        "CREATE TABLE IF NOT EXISTS tugboat_apply_exceptions (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, error text NOT NULL, row_values text NOT NULL, logged_at varchar(40) NOT NULL)".to_string(),
        format!("CREATE TABLE IF NOT EXISTS {OWNERS} (task varchar(200) NOT NULL, target_table varchar(400) NOT NULL, source_value varchar(200), PRIMARY KEY (task, target_table))"),
        slices::create_sql(),
    ] {
        conn.execute(&sql).await.map_err(|e| query_error(conn, e))?;
    }
    Ok(())
}

/// Which tasks have written each target table, and the source column value each writes
/// there: several tasks may load one table (several sources consolidated into one target), and
/// none may empty the rows another loaded there.
const OWNERS: &str = "tugboat_table_owners";

/// Another task writing a target table, and the source column value it writes (None: it
/// writes rows without one, and owns the whole table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    pub task: String,
    pub value: Option<String>,
}

impl std::fmt::Display for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{} (source {v})", self.task),
            None => write!(f, "{}", self.task),
        }
    }
}

/// Notes that `task` writes target table `target` (quoted and qualified as the task writes it),
/// with source column value `value` when it has one. A read, then an insert (or an update of
/// the value) when needed: the task's tables are claimed in parallel, and a delete-then-insert
/// deadlocks on MySQL's gap locks.
pub async fn claim(conn: &Connection, task: &str, target: &str, value: Option<&str>) -> Result<()> {
    let lit = |s: &str| text_literal(conn.endpoint.engine, s);
    let (t, x) = (lit(task), lit(target));
    let v = value.map(lit).unwrap_or_else(|| "NULL".into());
    let rows = conn
        .query(
            &format!("reading {OWNERS}"),
            &format!("SELECT source_value FROM {OWNERS} WHERE task = {t} AND target_table = {x}"),
        )
        .await?;
    let sql = match rows.first() {
        None => format!(
            "INSERT INTO {OWNERS} (task, target_table, source_value) VALUES ({t}, {x}, {v})"
        ),
        Some(r) if r.opt("source_value").as_deref() == value => return Ok(()),
        Some(_) => format!(
            "UPDATE {OWNERS} SET source_value = {v} WHERE task = {t} AND target_table = {x}"
        ),
    };
    conn.execute(&sql).await.map_err(|e| query_error(conn, e))?;
    Ok(())
}

/// The source column values `task` writes (a consolidation), without creating anything.
pub async fn source_values(conn: &Connection, task: &str) -> Result<Vec<String>> {
    if !has_table(conn, OWNERS).await? {
        return Ok(vec![]);
    }
    let rows = conn
        .query(
            &format!("reading {OWNERS}"),
            &format!(
                "SELECT DISTINCT source_value FROM {OWNERS} WHERE task = {} AND source_value IS NOT NULL ORDER BY source_value",
                text_literal(conn.endpoint.engine, task)
            ),
        )
        .await?;
    Ok(rows.iter().filter_map(|r| r.opt("source_value")).collect())
}

/// Whether `task` has written target table `target`.
pub async fn writes(conn: &Connection, task: &str, target: &str) -> Result<bool> {
    let lit = |s: &str| text_literal(conn.endpoint.engine, s);
    let n = conn
        .query_scalar(
            &format!("reading {OWNERS}"),
            &format!(
                "SELECT count(*) FROM {OWNERS} WHERE lower(target_table) = lower({}) AND task = {}",
                lit(target),
                lit(task)
            ),
        )
        .await?;
    Ok(n.as_deref().is_some_and(|n| n != "0"))
}

/// The other tasks that have written target table `target`.
pub async fn other_owners(conn: &Connection, task: &str, target: &str) -> Result<Vec<Writer>> {
    let lit = |s: &str| text_literal(conn.endpoint.engine, s);
    let rows = conn
        .query(
            &format!("reading {OWNERS}"),
            &format!(
                "SELECT task, source_value FROM {OWNERS} WHERE lower(target_table) = lower({}) AND task <> {} ORDER BY task",
                lit(target),
                lit(task)
            ),
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Writer {
            task: r.s("task"),
            value: r.opt("source_value"),
        })
        .collect())
}

/// Seconds since 1970 (UTC), as the control tables keep times.
pub fn now() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .to_string()
}

/// The recorded state and rows of a table, if any.
pub async fn get(conn: &Connection, task: &str, table: &str) -> Result<Option<(Stored, i64)>> {
    let e = conn.endpoint.engine;
    let rows = conn
        .query_text(&format!(
            "SELECT state, rows_loaded FROM {TABLE} WHERE task = {} AND table_name = {}",
            text_literal(e, task),
            text_literal(e, table)
        ))
        .await
        .map_err(|x| query_error(conn, x))?;
    Ok(rows.first().map(|r| {
        (
            Stored::parse(r.at(0).unwrap_or_default()),
            r.at(1).and_then(|v| v.parse().ok()).unwrap_or(0),
        )
    }))
}

/// The tables `task` has a recorded state for (loaded, being loaded or failed in a run
/// before).
pub async fn tables(conn: &Connection, task: &str) -> Result<Vec<String>> {
    let rows = conn
        .query_text(&format!(
            "SELECT table_name FROM {TABLE} WHERE task = {}",
            text_literal(conn.endpoint.engine, task)
        ))
        .await
        .map_err(|x| query_error(conn, x))?;
    Ok(rows
        .iter()
        .filter_map(|r| r.at(0).map(str::to_string))
        .collect())
}

/// Records a table's state.
pub async fn set(
    conn: &Connection,
    task: &str,
    table: &str,
    state: Stored,
    rows: i64,
) -> Result<()> {
    let e = conn.endpoint.engine;
    let now = now();
    let values = format!(
        "({}, {}, {}, {rows}, {})",
        text_literal(e, task),
        text_literal(e, table),
        text_literal(e, state.as_str()),
        text_literal(e, &now)
    );
    let upsert = crate::engines::of(e).upsert(
        &["task", "table_name"],
        &["state", "rows_loaded", "updated_at"],
    );
    let sql = format!(
        "INSERT INTO {TABLE} (task, table_name, state, rows_loaded, updated_at) VALUES {values}{upsert}"
    );
    conn.execute(&sql).await.map_err(|x| query_error(conn, x))?;
    Ok(())
}

/// Forgets a table's state (reload on demand).
pub async fn reset(conn: &Connection, task: &str, table: &str) -> Result<()> {
    let e = conn.endpoint.engine;
    let (t, tb) = (text_literal(e, task), text_literal(e, table));
    conn.execute(&format!(
        "DELETE FROM {TABLE} WHERE task = {t} AND table_name = {tb}; DELETE FROM {PARTS} WHERE task = {t} AND table_name = {tb}; DELETE FROM {} WHERE task = {t} AND table_name = {tb}",
        slices::SLICES
    ))
    .await
    .map_err(|x| query_error(conn, x))?;
    // A table suspended by replication is followed again once reloaded (the table is not
    // there when the task never replicated).
    if has_table(conn, SUSPENDED).await? {
        conn.execute(&format!(
            "DELETE FROM {SUSPENDED} WHERE task = {t} AND table_name = {tb}"
        ))
        .await
        .map_err(|x| query_error(conn, x))?;
    }
    Ok(())
}

/// Forgets every table and range state of `task` (the task is dropped: its next run loads
/// everything again).
pub async fn forget(conn: &Connection, task: &str) -> Result<()> {
    ensure(conn).await?;
    let t = text_literal(conn.endpoint.engine, task);
    for table in [TABLE, PARTS, OWNERS, slices::SLICES] {
        conn.execute(&format!("DELETE FROM {table} WHERE task = {t}"))
            .await
            .map_err(|x| query_error(conn, x))?;
    }
    if has_table(conn, SUSPENDED).await? {
        conn.execute(&format!("DELETE FROM {SUSPENDED} WHERE task = {t}"))
            .await
            .map_err(|x| query_error(conn, x))?;
    }
    super::deferred::forget(conn, task).await?;
    Ok(())
}

/// A range of a table's first primary-key column, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeState {
    pub part: usize,
    pub parts: usize,
    /// Inclusive lower bound; None: from the start.
    pub from: Option<i128>,
    /// Exclusive upper bound; None: to the end.
    pub to: Option<i128>,
    pub state: Stored,
    pub rows: i64,
}

/// The recorded ranges of a table, in order.
pub async fn ranges(conn: &Connection, task: &str, table: &str) -> Result<Vec<RangeState>> {
    let e = conn.endpoint.engine;
    let rows = conn
        .query_text(&format!(
            "SELECT part, parts, key_from, key_to, state, rows_loaded FROM {PARTS} WHERE task = {} AND table_name = {} ORDER BY part",
            text_literal(e, task),
            text_literal(e, table)
        ))
        .await
        .map_err(|x| query_error(conn, x))?;
    Ok(rows
        .iter()
        .map(|r| RangeState {
            part: r.at(0).and_then(|v| v.parse().ok()).unwrap_or(0),
            parts: r.at(1).and_then(|v| v.parse().ok()).unwrap_or(0),
            from: r.at(2).and_then(|v| v.parse().ok()),
            to: r.at(3).and_then(|v| v.parse().ok()),
            state: Stored::parse(r.at(4).unwrap_or_default()),
            rows: r.at(5).and_then(|v| v.parse().ok()).unwrap_or(0),
        })
        .collect())
}

/// Records a table's ranges afresh (all queued), replacing earlier ones.
pub async fn set_ranges(
    conn: &Connection,
    task: &str,
    table: &str,
    ranges: &[RangeState],
) -> Result<()> {
    let e = conn.endpoint.engine;
    let (t, tb) = (text_literal(e, task), text_literal(e, table));
    let mut sql = format!("DELETE FROM {PARTS} WHERE task = {t} AND table_name = {tb}");
    if !ranges.is_empty() {
        let now = text_literal(e, &now());
        let bound = |b: Option<i128>| b.map(|b| format!("'{b}'")).unwrap_or_else(|| "NULL".into());
        let values: Vec<String> = ranges
            .iter()
            .map(|r| {
                format!(
                    "({t}, {tb}, {}, {}, {}, {}, {}, {}, {now})",
                    r.part,
                    r.parts,
                    bound(r.from),
                    bound(r.to),
                    text_literal(e, r.state.as_str()),
                    r.rows
                )
            })
            .collect();
        sql.push_str(&format!(
            "; INSERT INTO {PARTS} (task, table_name, part, parts, key_from, key_to, state, rows_loaded, updated_at) VALUES {}",
            values.join(", ")
        ));
    }
    conn.execute_in_transaction(&sql)
        .await
        .map_err(|x| query_error(conn, x))?;
    Ok(())
}

/// Records one range's state.
pub async fn set_range(
    conn: &Connection,
    task: &str,
    table: &str,
    part: usize,
    state: Stored,
    rows: i64,
) -> Result<()> {
    let e = conn.endpoint.engine;
    conn.execute(&format!(
        "UPDATE {PARTS} SET state = {}, rows_loaded = {rows}, updated_at = {} WHERE task = {} AND table_name = {} AND part = {part}",
        text_literal(e, state.as_str()),
        text_literal(e, &now()),
        text_literal(e, task),
        text_literal(e, table)
    ))
    .await
    .map_err(|x| query_error(conn, x))?;
    Ok(())
}
