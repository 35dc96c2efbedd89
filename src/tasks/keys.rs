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
use crate::endpoints::{Connection, Engine};
use crate::engines::values::{quote, text_literal};
use crate::error::{Error, Result, sql_message};

const TABLE: &str = "tugboat_detached_keys";

fn failed(conn: &Connection, context: &str, e: sqlx::Error) -> Error {
    Error::query(conn.endpoint.label(), context, &e)
}

/// A key that references the table, as it is recorded.
struct Referencing {
    /// The referencing table (for a trigger, the table itself), quoted and qualified.
    child: String,
    name: String,
    /// What sets it aside while the table loads (empty: nothing, it is only checked after).
    set_aside: String,
    /// The statement that puts it back. Empty for keys that are only checked.
    restore: String,
    /// MySQL/SQLite keys: a query counting the referencing rows that point nowhere.
    check: String,
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

/// The keys of other tables that reference `p`'s target table.
async fn referencing(conn: &Connection, p: &Prepared) -> Result<Vec<Referencing>> {
    let e = conn.endpoint.engine;
    let context = format!("reading the keys that reference {}", p.target_sql);
    let name = super::sink::target_table_name(e, &p.plan);
    let sql = match e {
        Engine::Postgres => format!(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid = to_regclass({}) AND c.conrelid <> c.confrelid ORDER BY 1, 2",
            text_literal(e, &p.target_sql)
        ),
        Engine::Sqlite => format!(
            "SELECT DISTINCT m.name, f.id, '' FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f.\"table\" = {} AND m.name <> f.\"table\" ORDER BY 1, 2",
            text_literal(e, &name)
        ),
        _ => {
            let db = if p.plan.target_schema.is_empty() {
                "DATABASE()".to_string()
            } else {
                text_literal(e, &p.plan.target_schema)
            };
            format!(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, GROUP_CONCAT(CONCAT(COLUMN_NAME, ' ', REFERENCED_COLUMN_NAME) ORDER BY ORDINAL_POSITION SEPARATOR ',') FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_SCHEMA = {db} AND REFERENCED_TABLE_NAME = {} AND TABLE_SCHEMA = {db} AND TABLE_NAME <> REFERENCED_TABLE_NAME GROUP BY TABLE_NAME, CONSTRAINT_NAME ORDER BY 1, 2",
                text_literal(e, &name)
            )
        }
    };
    let rows = conn.query(&context, &sql).await?;
    let mut out = vec![];
    for r in &rows {
        let (child, key, def) = (
            r.at(0).unwrap_or_default(),
            r.at(1).unwrap_or_default(),
            r.at(2).unwrap_or_default(),
        );
        out.push(match e {
            Engine::Postgres => Referencing {
                child: child.to_string(),
                name: key.to_string(),
                set_aside: format!("ALTER TABLE {child} DROP CONSTRAINT {}", quote(e, key)),
                restore: format!("ALTER TABLE {child} ADD CONSTRAINT {} {def}", quote(e, key)),
                check: String::new(),
            },
            Engine::Sqlite => Referencing {
                child: quote(e, child),
                name: format!("foreign key {key} of {child}"),
                set_aside: String::new(),
                restore: String::new(),
                check: format!(
                    "SELECT count(*) FROM pragma_foreign_key_check({}) WHERE parent = {}",
                    text_literal(e, child),
                    text_literal(e, &name)
                ),
            },
            _ => {
                let child_sql = match p.plan.target_schema.as_str() {
                    "" => quote(e, child),
                    s => format!("{}.{}", quote(e, s), quote(e, child)),
                };
                let pairs: Vec<(&str, &str)> = def
                    .split(',')
                    .filter_map(|x| x.split_once(' '))
                    .collect();
                let set = pairs
                    .iter()
                    .map(|(c, _)| format!("c.{} IS NOT NULL", quote(e, c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let join = pairs
                    .iter()
                    .map(|(c, r)| format!("t.{} = c.{}", quote(e, r), quote(e, c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                Referencing {
                    check: format!(
                        "SELECT count(*) FROM {child_sql} c WHERE {set} AND NOT EXISTS (SELECT 1 FROM {} t WHERE {join})",
                        p.target_sql
                    ),
                    child: child_sql,
                    name: key.to_string(),
                    set_aside: String::new(),
                    restore: String::new(),
                }
            }
        });
    }
    Ok(out)
}

/// The triggers of `p`'s target table: a trigger firing on the rows the load writes would act
/// on them a second time (the source's own triggers already did, and their effects are loaded
/// too). PostgreSQL disables them for the load; MySQL/MariaDB and SQLite, which cannot, drop
/// them and create them again from their definition afterwards.
async fn triggers(conn: &Connection, p: &Prepared) -> Result<Vec<Referencing>> {
    let e = conn.endpoint.engine;
    let name = super::sink::target_table_name(e, &p.plan);
    let context = format!("reading the triggers of {}", p.target_sql);
    let sql = match e {
        Engine::Postgres => format!(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = to_regclass({}) AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY 1",
            text_literal(e, &p.target_sql)
        ),
        Engine::Sqlite => format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = {} ORDER BY 1",
            text_literal(e, &name)
        ),
        _ => format!(
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = {} AND EVENT_OBJECT_TABLE = {} ORDER BY 1",
            if p.plan.target_schema.is_empty() {
                "DATABASE()".to_string()
            } else {
                text_literal(e, &p.plan.target_schema)
            },
            text_literal(e, &name)
        ),
    };
    let rows = conn.query(&context, &sql).await?;
    let mut out = vec![];
    for r in &rows {
        let t = r.at(0).unwrap_or_default().to_string();
        let (set_aside, restore) = match e {
            Engine::Postgres => (
                format!(
                    "ALTER TABLE {} DISABLE TRIGGER {}",
                    p.target_sql,
                    quote(e, &t)
                ),
                // Back as it was: an ALWAYS or REPLICA trigger stays one (a plain ENABLE would
                // make it fire only outside replication sessions).
                format!(
                    "ALTER TABLE {} ENABLE {}TRIGGER {}",
                    p.target_sql,
                    match r.at(1) {
                        Some("A") => "ALWAYS ",
                        Some("R") => "REPLICA ",
                        _ => "",
                    },
                    quote(e, &t)
                ),
            ),
            Engine::Sqlite => (
                format!("DROP TRIGGER {}", quote(e, &t)),
                r.at(1).unwrap_or_default().to_string(),
            ),
            _ => {
                let qualified = match p.plan.target_schema.as_str() {
                    "" => quote(e, &t),
                    s => format!("{}.{}", quote(e, s), quote(e, &t)),
                };
                let shown = conn
                    .query(&context, &format!("SHOW CREATE TRIGGER {qualified}"))
                    .await?;
                // Columns: Trigger, sql_mode, SQL Original Statement, ...
                let create = shown
                    .first()
                    .and_then(|r| r.at(2))
                    .unwrap_or_default()
                    .to_string();
                (format!("DROP TRIGGER {qualified}"), create)
            }
        };
        if restore.is_empty() {
            continue;
        }
        out.push(Referencing {
            child: p.target_sql.clone(),
            name: format!("trigger {t}"),
            set_aside,
            restore,
            check: String::new(),
        });
    }
    Ok(out)
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
