//! Target writers: PostgreSQL through COPY (one COPY per table, fed batch by batch), MySQL and
//! MariaDB through multi-row INSERTs of at most a few megabytes, SQLite through multi-row
//! INSERTs, one transaction per batch. Foreign-key checks are off on the loading session
//! (MySQL, SQLite), as DMS does, since tables load in any order.

use super::mappings::TablePlan;
use super::values::{self, Kind, pg_copy_field, quote, sql_literal};
use super::{Prepared, ZeroDates};
use crate::endpoints::connect::Pool;
use crate::endpoints::{Connection, Engine};
use crate::error::{Error, Result};

type Batch = Vec<Vec<Option<String>>>;

/// The target table's name as it is on an engine (SQLite has no schemas: other schemas' tables
/// carry the schema as a prefix, as the converter names them).
pub fn target_table_name(engine: Engine, p: &TablePlan) -> String {
    if engine == Engine::Sqlite && !p.target_schema.is_empty() && p.target_schema != "main" {
        format!("{}_{}", p.target_schema, p.target_table)
    } else {
        p.target_table.clone()
    }
}

/// The target table, quoted and qualified.
pub fn target_sql(engine: Engine, p: &TablePlan, actual_name: &str) -> String {
    match engine {
        Engine::Sqlite => quote(engine, actual_name),
        _ if p.target_schema.is_empty() => quote(engine, actual_name),
        _ => format!(
            "{}.{}",
            quote(engine, &p.target_schema),
            quote(engine, actual_name)
        ),
    }
}

fn write_error(conn: &Connection, p: &Prepared, e: impl std::fmt::Display) -> Error {
    Error::Query {
        endpoint: conn.endpoint.label(),
        context: format!("loading {} into {}", p.label, p.target_sql),
        message: e.to_string(),
    }
}

/// Empties the target table.
pub async fn empty(conn: &Connection, p: &Prepared) -> Result<()> {
    // Never CASCADE: a parent reloaded must not empty children that are already complete.
    let sql = match conn.endpoint.engine {
        Engine::Postgres => {
            if conn
                .execute(&format!("TRUNCATE {}", p.target_sql))
                .await
                .is_ok()
            {
                return Ok(());
            }
            // Referenced by a foreign key: delete (which fails if child rows still point here).
            format!("DELETE FROM {}", p.target_sql)
        }
        Engine::Sqlite => format!(
            "PRAGMA foreign_keys = OFF; DELETE FROM {}; PRAGMA foreign_keys = ON",
            p.target_sql
        ),
        _ => format!(
            "SET FOREIGN_KEY_CHECKS = 0; DELETE FROM {}; SET FOREIGN_KEY_CHECKS = 1",
            p.target_sql
        ),
    };
    conn.execute(&sql)
        .await
        .map_err(|e| write_error(conn, p, e))?;
    Ok(())
}

/// Rows in the target table.
pub async fn count(conn: &Connection, p: &Prepared) -> Result<i64> {
    let v = conn
        .query_scalar(
            &format!("counting {}", p.target_sql),
            &format!("SELECT count(*) FROM {}", p.target_sql),
        )
        .await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// A batch's values fixed up for the target, zero dates by the policy. Returns the zero dates
/// met.
fn fix(batch: &mut Batch, p: &Prepared, zero: ZeroDates) -> std::result::Result<u64, String> {
    let mut zeros = 0;
    for row in batch.iter_mut() {
        for (i, v) in row.iter_mut().enumerate() {
            let (col, _, from, to) = &p.columns[i];
            match values::to_target(v.as_deref(), *from, *to) {
                Ok(x) => *v = x,
                Err(e) if e.starts_with("zero date") && zero == ZeroDates::Null => {
                    zeros += 1;
                    *v = None;
                }
                Err(e) => return Err(format!("column {col}: {e}")),
            }
        }
    }
    Ok(zeros)
}

/// Writes every batch from `rx`; returns (rows, zero dates loaded as NULL).
pub async fn write(
    conn: &Connection,
    p: &Prepared,
    mut rx: tokio::sync::mpsc::Receiver<Batch>,
    zero: ZeroDates,
    mut progress: impl FnMut(u64, u64),
) -> Result<(u64, u64)> {
    let engine = conn.endpoint.engine;
    let err = |e: String| write_error(conn, p, e);
    let cols: Vec<&str> = p.columns.iter().map(|c| c.1.as_str()).collect();
    let kinds: Vec<Kind> = p.columns.iter().map(|c| c.3).collect();
    let (mut rows, mut bytes, mut zeros) = (0u64, 0u64, 0u64);
    match &conn.pool {
        Pool::Postgres(pool) => {
            use sqlx::postgres::PgPoolCopyExt;
            let mut copy = pool
                .copy_in_raw(&format!(
                    "COPY {} ({}) FROM STDIN",
                    p.target_sql,
                    cols.join(", ")
                ))
                .await
                .map_err(|e| err(e.to_string()))?;
            while let Some(mut batch) = rx.recv().await {
                match fix(&mut batch, p, zero) {
                    Ok(z) => zeros += z,
                    Err(e) => {
                        let _ = copy.abort(e.clone()).await;
                        return Err(err(e));
                    }
                }
                let mut buf = String::with_capacity(batch.len() * 64);
                for row in &batch {
                    for (i, v) in row.iter().enumerate() {
                        if i > 0 {
                            buf.push('\t');
                        }
                        pg_copy_field(v.as_deref(), kinds[i], &mut buf);
                    }
                    buf.push('\n');
                }
                rows += batch.len() as u64;
                bytes += buf.len() as u64;
                if let Err(e) = copy.send(buf.into_bytes()).await {
                    return Err(err(e.to_string()));
                }
                progress(rows, bytes);
            }
            copy.finish().await.map_err(|e| err(e.to_string()))?;
        }
        Pool::MySql(pool) => {
            let mut c = pool.acquire().await.map_err(|e| err(e.to_string()))?;
            sqlx::raw_sql("SET time_zone = '+00:00', FOREIGN_KEY_CHECKS = 0")
                .execute(&mut *c)
                .await
                .map_err(|e| err(e.to_string()))?;
            let head = format!("INSERT INTO {} ({}) VALUES ", p.target_sql, cols.join(", "));
            while let Some(mut batch) = rx.recv().await {
                zeros += fix(&mut batch, p, zero).map_err(&err)?;
                for sql in statements(engine, &head, &batch, &kinds) {
                    bytes += sql.len() as u64;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut *c)
                        .await
                        .map_err(|e| err(e.to_string()))?;
                }
                rows += batch.len() as u64;
                progress(rows, bytes);
            }
            let _ = sqlx::raw_sql("SET FOREIGN_KEY_CHECKS = 1")
                .execute(&mut *c)
                .await;
        }
        Pool::Sqlite(pool) => {
            let mut c = pool.acquire().await.map_err(|e| err(e.to_string()))?;
            sqlx::raw_sql("PRAGMA foreign_keys = OFF")
                .execute(&mut *c)
                .await
                .map_err(|e| err(e.to_string()))?;
            let head = format!("INSERT INTO {} ({}) VALUES ", p.target_sql, cols.join(", "));
            let mut result = Ok(());
            while let Some(mut batch) = rx.recv().await {
                let z = match fix(&mut batch, p, zero) {
                    Ok(z) => z,
                    Err(e) => {
                        result = Err(err(e));
                        break;
                    }
                };
                zeros += z;
                let mut sql = String::from("BEGIN;\n");
                for s in statements(engine, &head, &batch, &kinds) {
                    sql.push_str(&s);
                    sql.push_str(";\n");
                }
                sql.push_str("COMMIT");
                bytes += sql.len() as u64;
                if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *c)
                    .await
                {
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *c).await;
                    result = Err(err(e.to_string()));
                    break;
                }
                rows += batch.len() as u64;
                progress(rows, bytes);
            }
            let _ = sqlx::raw_sql("PRAGMA foreign_keys = ON")
                .execute(&mut *c)
                .await;
            result?;
        }
    }
    Ok((rows, zeros))
}

/// Multi-row INSERTs of at most ~4 MB (below MySQL's default max_allowed_packet).
fn statements(engine: Engine, head: &str, batch: &Batch, kinds: &[Kind]) -> Vec<String> {
    const MAX: usize = 4 << 20;
    let mut out = vec![];
    let mut sql = String::from(head);
    let mut n = 0;
    for row in batch {
        let vals: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, v)| sql_literal(engine, v.as_deref(), kinds[i]))
            .collect();
        let tuple = format!("({})", vals.join(", "));
        if n > 0 && sql.len() + tuple.len() > MAX {
            out.push(std::mem::replace(&mut sql, String::from(head)));
            n = 0;
        }
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&tuple);
        n += 1;
    }
    if n > 0 {
        out.push(sql);
    }
    out
}
