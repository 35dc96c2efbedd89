//! Foreign keys that point at a table being emptied and loaded again (a reload of a table other
//! tables reference, as DMS's "reload table" does).
//!
//! PostgreSQL will not empty a referenced table, and no session setting short of superuser turns
//! its key checks off. So before such a table is emptied, each key that references it is
//! recorded in `tugboat_detached_keys` on the target and dropped, in one transaction. Once the
//! task's tables are loaded, each recorded key is added again, which checks every row; a key the
//! rows no longer satisfy is added `NOT VALID` (new rows are still checked) and reported with the
//! server's reason. Adding a key and forgetting its record are one transaction too, so a run killed
//! anywhere finds the records and finishes the work on its next run.
//!
//! MySQL/MariaDB and SQLite empty and load the table with key checks off for the loading session
//! (see [`super::sink`]), so nothing is dropped there; the keys that reference the table are
//! recorded with a query counting the rows that point nowhere, and checked the same way once the
//! tables are loaded.

use super::{Prepared, SchemaFailure};
use crate::endpoints::Connection;
use crate::engines::setaside::{SetAside, TargetTable};
use crate::engines::values::{quote, text_literal};
use crate::error::{Error, Result, sql_message};

const TABLE: &str = "tugboat_detached_keys";

fn failed(conn: &Connection, context: &str, e: sqlx::Error) -> Error {
    Error::query(conn.endpoint.label(), context, &e)
}

async fn ensure(conn: &Connection) -> Result<()> {
    conn.execute(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (task varchar(200) NOT NULL, table_name varchar(400) NOT NULL, child varchar(400) NOT NULL, key_name varchar(200) NOT NULL, restore_sql text NOT NULL, check_sql text NOT NULL)"
    ))
    .await
    .map_err(|e| failed(conn, "creating tugboat_detached_keys", e))?;
    Ok(())
}

/// Before table `p` is emptied: records the keys of other tables that reference it and, on
/// PostgreSQL, drops them (see the module documentation). Returns how many were found.
pub async fn detach(conn: &Connection, task: &str, p: &Prepared) -> Result<usize> {
    let mut found = referencing(conn, p).await?;
    found.extend(triggers(conn, p).await?);
    if found.is_empty() {
        return Ok(0);
    }
    ensure(conn).await?;
    let e = conn.endpoint.engine;
    let mut sql = String::new();
    for k in &found {
        // Recorded once, however often the table is reloaded before the keys are checked.
        sql.push_str(&format!(
            "DELETE FROM {TABLE} WHERE task = {} AND table_name = {} AND child = {} AND key_name = {};\n",
            text_literal(e, task),
            text_literal(e, &p.label),
            text_literal(e, &k.child),
            text_literal(e, &k.name),
        ));
        sql.push_str(&format!(
            "INSERT INTO {TABLE} (task, table_name, child, key_name, restore_sql, check_sql) VALUES ({}, {}, {}, {}, {}, {});\n",
            text_literal(e, task),
            text_literal(e, &p.label),
            text_literal(e, &k.child),
            text_literal(e, &k.name),
            text_literal(e, &k.restore),
            text_literal(e, &k.check),
        ));
        if !k.set_aside.is_empty() {
            sql.push_str(&k.set_aside);
            sql.push_str(";\n");
        }
    }
    conn.execute_in_transaction(&sql).await.map_err(|x| {
        failed(
            conn,
            &format!("detaching the keys that reference {}", p.target_sql),
            x,
        )
    })?;
    tracing::info!(target: "tugboat::tasks", "{}: {} foreign keys of other tables and triggers set aside while it loads, put back and checked once loaded", p.label, found.len());
    Ok(found.len())
}

/// The keys of other tables that reference `p`'s target table (its engine's reading).
async fn referencing(conn: &Connection, p: &Prepared) -> Result<Vec<SetAside>> {
    crate::engines::of(conn.endpoint.engine)
        .keys_referencing(conn, &target_table(conn, p))
        .await
}

/// The triggers of `p`'s target table: a trigger firing on the rows the load writes would act
/// on them a second time (the source's own triggers already did, and their effects are loaded
/// too). Its engine says how it is set aside and put back.
async fn triggers(conn: &Connection, p: &Prepared) -> Result<Vec<SetAside>> {
    crate::engines::of(conn.endpoint.engine)
        .triggers_of(conn, &target_table(conn, p))
        .await
}

/// `p`'s target table as the engines read its catalog.
fn target_table(conn: &Connection, p: &Prepared) -> TargetTable {
    TargetTable {
        sql: p.target_sql.clone(),
        schema: p.plan.target_schema.clone(),
        name: super::sink::target_table_name(conn.endpoint.engine, &p.plan),
    }
}

/// After the load: adds back (PostgreSQL) or checks (MySQL, SQLite) the keys recorded for
/// `task`'s tables in `loaded` (source labels of tables now complete). Keys of tables not
/// loaded stay recorded for the run that loads them. Returns the keys that do not hold.
pub async fn reattach(
    conn: &Connection,
    task: &str,
    loaded: &[String],
) -> Result<Vec<SchemaFailure>> {
    let e = conn.endpoint.engine;
    if !crate::engines::discover::has_table(conn, TABLE).await? {
        return Ok(vec![]);
    }
    let rows = conn
        .query(
            "reading tugboat_detached_keys",
            &format!(
                "SELECT table_name, child, key_name, restore_sql, check_sql FROM {TABLE} WHERE task = {}",
                text_literal(e, task)
            ),
        )
        .await?;
    let mut failures = vec![];
    for r in &rows {
        let [table, child, name, restore, check] =
            [0, 1, 2, 3, 4].map(|i| r.at(i).unwrap_or_default().to_string());
        if !loaded.contains(&table) {
            continue;
        }
        let forget = format!(
            "DELETE FROM {TABLE} WHERE task = {} AND table_name = {} AND child = {} AND key_name = {}",
            text_literal(e, task),
            text_literal(e, &table),
            text_literal(e, &child),
            text_literal(e, &name)
        );
        let object = if name.starts_with("trigger ") {
            format!("{name} on {child}")
        } else {
            format!("foreign key {name} on {child}")
        };
        let problem = if !restore.is_empty() {
            match conn
                .execute_in_transaction(&format!("{restore};\n{forget}"))
                .await
            {
                Ok(_) => None,
                Err(x) if crate::conversion::apply::already_exists(&x) => {
                    conn.execute(&forget)
                        .await
                        .map_err(|x| failed(conn, "forgetting a detached key", x))?;
                    None
                }
                Err(x) if !restore.contains(" ADD CONSTRAINT ") => Some((
                    restore.clone(),
                    format!(
                        "could not be put back after {table} was loaded: {}; it stays recorded in {TABLE} and is tried again on the task's next run",
                        sql_message(&x)
                    ),
                )),
                Err(x) => {
                    // The rows break it: kept for new rows, reported for the old.
                    conn.execute_in_transaction(&format!("{restore} NOT VALID;\n{forget}"))
                        .await
                        .map_err(|y| failed(conn, &format!("adding back {object}"), y))?;
                    Some((
                        restore.clone(),
                        format!(
                            "{table} was reloaded, and rows of {child} no longer match it: {}; the key is back NOT VALID (new rows are checked): fix those rows, then ALTER TABLE {child} VALIDATE CONSTRAINT {}",
                            sql_message(&x),
                            quote(e, &name)
                        ),
                    ))
                }
            }
        } else {
            let n = conn
                .query_scalar(&format!("checking {object}"), &check)
                .await?
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0);
            conn.execute(&forget)
                .await
                .map_err(|x| failed(conn, "forgetting a checked key", x))?;
            (n > 0).then(|| {
                (check.clone(), format!(
                    "{table} was reloaded, and {n} row(s) of {child} reference keys it no longer has ({object} does not hold)"
                ))
            })
        };
        if let Some((statement, error)) = problem {
            tracing::error!(target: "tugboat::tasks", "{object}: {error}");
            failures.push(SchemaFailure {
                object,
                statement,
                error,
                deferred: false,
            });
        } else {
            tracing::info!(target: "tugboat::tasks", "{object}: holds again after {table} was reloaded");
        }
    }
    Ok(failures)
}
