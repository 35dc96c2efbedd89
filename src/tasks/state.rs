//! The task's control table on the target, `tugboat_table_state`: one row per task and table
//! with its state (loading, completed, error) and rows loaded. A table is marked completed only
//! after its last row is written, so a run that stops anywhere leaves it unfinished, and the
//! next run empties and reloads it.

use super::values::text_literal;
use crate::endpoints::{Connection, Engine};
use crate::error::{Error, Result};

const TABLE: &str = "tugboat_table_state";

fn query_error(conn: &Connection, e: impl std::fmt::Display) -> Error {
    Error::Query {
        endpoint: conn.endpoint.label(),
        context: format!("keeping task state in {TABLE}"),
        message: e.to_string(),
    }
}

/// Creates the control table if it is not there.
/// Creates the control tables if they are not there: the table states, the rows validation
/// found different (`tugboat_validation_failures`) and the rows the target refused
/// (`tugboat_apply_exceptions`). Once, before the workers start: concurrent CREATE TABLE IF
/// NOT EXISTS can fail on PostgreSQL.
pub async fn ensure(conn: &Connection) -> Result<()> {
    for sql in [
        format!("CREATE TABLE IF NOT EXISTS {TABLE} (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, state varchar(20) NOT NULL, rows_loaded bigint NOT NULL, updated_at varchar(40) NOT NULL, PRIMARY KEY (task, table_name))"),
        "CREATE TABLE IF NOT EXISTS tugboat_validation_failures (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, key_value varchar(1000) NOT NULL, failure varchar(40) NOT NULL, columns_differing varchar(2000) NOT NULL)".to_string(),
        "CREATE TABLE IF NOT EXISTS tugboat_apply_exceptions (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, error text NOT NULL, row_values text NOT NULL, logged_at varchar(40) NOT NULL)".to_string(),
    ] {
        conn.execute(&sql).await.map_err(|e| query_error(conn, e))?;
    }
    Ok(())
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
pub async fn get(conn: &Connection, task: &str, table: &str) -> Result<Option<(String, i64)>> {
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
            r.at(0).unwrap_or_default().to_string(),
            r.at(1).and_then(|v| v.parse().ok()).unwrap_or(0),
        )
    }))
}

/// Records a table's state.
pub async fn set(conn: &Connection, task: &str, table: &str, state: &str, rows: i64) -> Result<()> {
    let e = conn.endpoint.engine;
    let now = now();
    let values = format!(
        "({}, {}, {}, {rows}, {})",
        text_literal(e, task),
        text_literal(e, table),
        text_literal(e, state),
        text_literal(e, &now)
    );
    let sql = match e {
        Engine::MySql | Engine::MariaDb => format!(
            "INSERT INTO {TABLE} (task, table_name, state, rows_loaded, updated_at) VALUES {values} ON DUPLICATE KEY UPDATE state = VALUES(state), rows_loaded = VALUES(rows_loaded), updated_at = VALUES(updated_at)"
        ),
        _ => format!(
            "INSERT INTO {TABLE} (task, table_name, state, rows_loaded, updated_at) VALUES {values} ON CONFLICT (task, table_name) DO UPDATE SET state = excluded.state, rows_loaded = excluded.rows_loaded, updated_at = excluded.updated_at"
        ),
    };
    conn.execute(&sql).await.map_err(|x| query_error(conn, x))?;
    Ok(())
}

/// Forgets a table's state (reload on demand).
pub async fn reset(conn: &Connection, task: &str, table: &str) -> Result<()> {
    let e = conn.endpoint.engine;
    conn.execute(&format!(
        "DELETE FROM {TABLE} WHERE task = {} AND table_name = {}",
        text_literal(e, task),
        text_literal(e, table)
    ))
    .await
    .map_err(|x| query_error(conn, x))?;
    Ok(())
}
