//! Applying converted DDL to a live target (PostgreSQL, MySQL/MariaDB or SQLite), statement by
//! statement, in phases. A failed statement is recorded with the server's error and the rest go
//! on; objects that already exist are reported as such, so running it again is safe.

use serde::{Deserialize, Serialize};

use crate::assessment::{Phase, Report};
use crate::ddl::Dialect;
use crate::endpoints::Connection;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StatementResult {
    Ok,
    /// The object was already there (re-run).
    Exists,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    pub object: String,
    pub phase: Phase,
    pub sql: String,
    pub result: StatementResult,
}

/// SQLSTATEs that mean "already exists".
const EXISTS: [&str; 6] = ["42P07", "42710", "42P06", "42723", "42P16", "42704"];

/// MySQL/MariaDB error numbers that mean "already exists": database, table or view, key name,
/// multiple primary keys, routine, trigger, constraint name (MariaDB's check and foreign keys),
/// check constraint name (MySQL 8). Each seen from MariaDB 10.11 except 3822.
const MYSQL_EXISTS: [u16; 8] = [1007, 1050, 1061, 1068, 1304, 1359, 1826, 3822];

/// MySQL/MariaDB errors that mean "already exists" when the engine's errno is 121 (a duplicate
/// foreign key name, as older servers say it).
const MYSQL_EXISTS_121: [u16; 2] = [1005, 1022];

/// Messages of SQLite errors (SQLite has no code for it) and other servers' that mean "already
/// exists".
const EXISTS_MESSAGES: [&str; 7] = [
    "already exists",
    "Duplicate key name",
    "Duplicate foreign key",
    "Duplicate CHECK constraint",
    "Duplicate check constraint",
    "errno: 121",
    "Multiple primary key",
];

/// The statement that drops what `sql` creates (for drop-and-recreate), if it creates anything,
/// for a PostgreSQL target.
pub fn drop_for(sql: &str) -> Option<String> {
    drop_for_target(sql, Dialect::Postgres)
}

/// [`drop_for`] on `target`. On MySQL and SQLite, tables are dropped with foreign-key checks
/// off (in the same batch, so on the same connection); their indexes and constraints go with
/// them, and databases are never dropped.
pub fn drop_for_target(sql: &str, target: Dialect) -> Option<String> {
    use crate::conversion::names::quote_for;
    use crate::ddl::classify::classify;
    use crate::ddl::{ObjectKind as K, StatementKind as S};
    let c = classify(sql);
    let q = |n: &crate::ddl::QualifiedName| match &n.schema {
        Some(s) => format!("{}.{}", quote_for(target, s), quote_for(target, &n.name)),
        None => quote_for(target, &n.name),
    };
    let name = c.name.as_ref();
    if target != Dialect::Postgres {
        let (off, on) = if target == Dialect::MySql {
            ("SET FOREIGN_KEY_CHECKS = 0", "SET FOREIGN_KEY_CHECKS = 1")
        } else {
            ("PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON")
        };
        return Some(match (&c.kind, name) {
            (S::Create(K::Table), Some(n)) => {
                format!("{off};\nDROP TABLE IF EXISTS {};\n{on}", q(n))
            }
            (S::Create(K::View), Some(n)) => format!("DROP VIEW IF EXISTS {}", q(n)),
            (S::Create(K::Function), Some(n)) => format!("DROP FUNCTION IF EXISTS {}", q(n)),
            (S::Create(K::Procedure), Some(n)) => format!("DROP PROCEDURE IF EXISTS {}", q(n)),
            (S::Create(K::Sequence), Some(n)) => format!("DROP SEQUENCE IF EXISTS {}", q(n)),
            (S::Create(K::Trigger), Some(n)) => format!("DROP TRIGGER IF EXISTS {}", q(n)),
            (S::Create(K::Index), Some(n)) if target == Dialect::Sqlite => {
                format!("DROP INDEX IF EXISTS {}", q(n))
            }
            _ => return None,
        });
    }
    Some(match (&c.kind, name) {
        (S::Create(K::Table), Some(n)) => format!("DROP TABLE IF EXISTS {} CASCADE", q(n)),
        (S::Create(K::View), Some(n)) => format!("DROP VIEW IF EXISTS {} CASCADE", q(n)),
        (S::Create(K::MaterializedView), Some(n)) => {
            format!("DROP MATERIALIZED VIEW IF EXISTS {} CASCADE", q(n))
        }
        (S::Create(K::Function), Some(n)) => format!("DROP FUNCTION IF EXISTS {} CASCADE", q(n)),
        (S::Create(K::Procedure), Some(n)) => format!("DROP PROCEDURE IF EXISTS {} CASCADE", q(n)),
        (S::Create(K::Type), Some(n)) => format!("DROP TYPE IF EXISTS {} CASCADE", q(n)),
        (S::Create(K::Domain), Some(n)) => format!("DROP DOMAIN IF EXISTS {} CASCADE", q(n)),
        (S::Create(K::Sequence), Some(n)) => format!("DROP SEQUENCE IF EXISTS {} CASCADE", q(n)),
        (S::Create(K::Trigger), Some(n)) => format!(
            "DROP TRIGGER IF EXISTS {} ON {}",
            quote_for(target, &n.name),
            q(c.table.as_ref()?)
        ),
        (S::Create(K::Index), Some(n)) => {
            let schema = c.table.as_ref().and_then(|t| t.schema.clone());
            let n = crate::ddl::QualifiedName {
                schema,
                name: n.name.clone(),
            };
            format!("DROP INDEX IF EXISTS {}", q(&n))
        }
        (S::Alter(K::Table), Some(t)) => {
            let upper = sql.to_ascii_uppercase();
            let p = crate::sqltext::find_keyword(&upper, "CONSTRAINT", 0)?;
            let rest = sql[p + "CONSTRAINT".len()..].trim_start();
            let cname = if let Some(r) = rest.strip_prefix('"') {
                format!("\"{}\"", &r[..r.find('"')?])
            } else {
                rest.split_whitespace().next()?.to_string()
            };
            format!(
                "ALTER TABLE IF EXISTS {} DROP CONSTRAINT IF EXISTS {cname}",
                q(t)
            )
        }
        _ => return None,
    })
}

/// Statements sent to the server in one round trip when loading data (retried one by one on error).
const DATA_BATCH: usize = 200;

/// Runs the report's statements of `phase` (both phases when None) on `conn`, in order; with
/// `with_data`, the converted INSERTs run between pre-data and post-data.
pub async fn apply(
    report: &Report,
    conn: &Connection,
    phase: Option<Phase>,
    with_data: bool,
    progress: impl FnMut(usize, usize),
) -> Vec<Applied> {
    apply_with(report, conn, phase, with_data, false, progress).await
}

/// [`apply`]; with `recreate`, first drops every object the statements create, in reverse
/// order (their data is lost).
pub async fn apply_with(
    report: &Report,
    conn: &Connection,
    phase: Option<Phase>,
    with_data: bool,
    recreate: bool,
    mut progress: impl FnMut(usize, usize),
) -> Vec<Applied> {
    let mut todo: Vec<(String, Phase, &str)> = vec![];
    for (p, (oi, si)) in crate::assessment::order::ordered_phases(report, phase) {
        let o = &report.objects[oi];
        todo.push((object_label(o), p, o.target[si].sql.as_str()));
    }
    let mut out = vec![];
    if recreate {
        for (object, p, sql) in todo.iter().rev() {
            if let Some(drop) = drop_for_target(sql, report.target_dialect) {
                out.push(Applied {
                    object: format!("drop {object}"),
                    phase: *p,
                    sql: drop.clone(),
                    result: run(conn, &drop).await,
                });
            }
        }
    }
    let data_at = todo
        .iter()
        .position(|t| t.1 == Phase::PostData)
        .unwrap_or(todo.len());
    let data: Vec<&crate::conversion::data::DataStatement> = if with_data {
        report.data.iter().collect()
    } else {
        vec![]
    };
    let total = todo.len() + data.len();
    let mut done = 0;
    for (i, (object, p, sql)) in todo.iter().enumerate() {
        if i == data_at {
            load_data(conn, &data, &mut out, &mut done, total, &mut progress).await;
        }
        progress(done, total);
        out.push(Applied {
            object: object.clone(),
            phase: *p,
            sql: sql.to_string(),
            result: run(conn, sql).await,
        });
        done += 1;
    }
    if data_at == todo.len() {
        load_data(conn, &data, &mut out, &mut done, total, &mut progress).await;
    }
    progress(total, total);
    out
}

/// "table sakila.actor", "view v": how an object is named in results.
pub fn object_label(o: &crate::assessment::ObjectReport) -> String {
    if o.schema.is_empty() {
        format!("{} {}", o.kind.label(), o.name)
    } else {
        format!("{} {}.{}", o.kind.label(), o.schema, o.name)
    }
}

async fn run(conn: &Connection, sql: &str) -> StatementResult {
    match conn.execute(sql).await {
        Ok(_) => StatementResult::Ok,
        Err(e) if already_exists(&e) => StatementResult::Exists,
        Err(e) => {
            tracing::warn!(target: "tugboat::conversion", "{e}");
            StatementResult::Failed(e.to_string())
        }
    }
}

/// The error of a statement whose object is already there (a re-run).
pub(crate) fn already_exists(e: &sqlx::Error) -> bool {
    // MySQL/MariaDB: by the server's error number.
    if let Some(n) = e
        .as_database_error()
        .and_then(|d| d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .map(|m| m.number())
    {
        return MYSQL_EXISTS.contains(&n)
            || (MYSQL_EXISTS_121.contains(&n) && e.to_string().contains("errno: 121"));
    }
    let code = e
        .as_database_error()
        .and_then(|d| d.code().map(|c| c.to_string()))
        .unwrap_or_default();
    let message = e.to_string();
    if code.len() == 5 && code.starts_with("42") && EXISTS.contains(&code.as_str()) {
        message.contains("already exists")
    } else {
        EXISTS_MESSAGES.iter().any(|m| message.contains(m))
    }
}

/// Runs data statements in batches (one round trip, one transaction each); a failing batch is
/// rolled back and re-run statement by statement so the failing statements are named.
async fn load_data(
    conn: &Connection,
    data: &[&crate::conversion::data::DataStatement],
    out: &mut Vec<Applied>,
    done: &mut usize,
    total: usize,
    progress: &mut impl FnMut(usize, usize),
) {
    // SQLite has its foreign keys from the start (inline) and checks them at COMMIT when
    // deferred: all the data in one transaction lets rows come in any order, as scripts that
    // disable constraints around their load expect. If that fails, batches name the culprits.
    let defer_keys = crate::engines::of(conn.endpoint.engine).defer_keys();
    if let Some(defer) = defer_keys.filter(|_| !data.is_empty()) {
        progress(*done, total);
        let all: Vec<&str> = data.iter().map(|d| d.sql.as_str()).collect();
        let sql = format!("{defer};\n{}", all.join(";\n"));
        if conn.execute_in_transaction(&sql).await.is_ok() {
            for d in data {
                out.push(Applied {
                    object: format!("data {} (line {}, {} rows)", d.table, d.line, d.rows),
                    phase: Phase::PostData,
                    sql: d.sql.clone(),
                    result: StatementResult::Ok,
                });
                *done += 1;
            }
            return;
        }
    }
    for chunk in data.chunks(DATA_BATCH) {
        progress(*done, total);
        let batch: Vec<&str> = chunk.iter().map(|d| d.sql.as_str()).collect();
        // SQLite checks foreign keys (which it only has inline) at COMMIT, so rows may come
        // in any order within a batch.
        let defer = defer_keys.map(|d| format!("{d};\n")).unwrap_or_default();
        let sql = format!("{defer}{}", batch.join(";\n"));
        let ok = conn.execute_in_transaction(&sql).await.is_ok();
        for d in chunk {
            let result = if ok {
                StatementResult::Ok
            } else {
                run(conn, &d.sql).await
            };
            out.push(Applied {
                object: format!("data {} (line {}, {} rows)", d.table, d.line, d.rows),
                phase: Phase::PostData,
                sql: d.sql.clone(),
                result,
            });
            *done += 1;
        }
    }
}
