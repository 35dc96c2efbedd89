//! A PostgreSQL source table read in page ranges (by CTID) by several sessions sharing one
//! exported snapshot, as PeerDB and pgcopydb load tables without an integer key in parallel.

use super::super::SharedSnapshot;
use crate::endpoints::Connection;
use crate::endpoints::Engine;
use crate::endpoints::connect::Pool;
use crate::engines::values::text_literal;

/// The pages of plain table `schema.table`, when the server reads a page range without the
/// rest of the table (TID range scans, PostgreSQL 14 and later); None otherwise (a view, a
/// partitioned table, an older server, a catalog that could not be read).
pub async fn pages(conn: &Connection, schema: &str, table: &str) -> Option<u64> {
    let sql = format!(
        "SELECT CASE WHEN current_setting('server_version_num')::int >= 140000 AND c.relkind = 'r' \
         THEN (pg_relation_size(c.oid) / current_setting('block_size')::int)::text END \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = {} AND c.relname = {}",
        text_literal(Engine::Postgres, schema),
        text_literal(Engine::Postgres, table)
    );
    let v = conn
        .query_scalar(&format!("counting the pages of {schema}.{table}"), &sql)
        .await;
    match v {
        Ok(v) => v.and_then(|v| v.parse().ok()),
        Err(e) => {
            tracing::warn!(target: "tugboat::tasks", "{schema}.{table}: not read in page ranges: {e}");
            None
        }
    }
}

/// A read-only REPEATABLE READ transaction whose snapshot other sessions take with `SET
/// TRANSACTION SNAPSHOT`; it stays open (and the snapshot valid) until dropped, then rolls back.
pub async fn share_snapshot(conn: &Connection) -> Option<SharedSnapshot> {
    let Pool::Postgres(pool) = &conn.pool else {
        return None;
    };
    let exported = async {
        let mut tx = pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let id: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut *tx)
            .await?;
        Ok::<_, sqlx::Error>((id, tx))
    }
    .await;
    match exported {
        Ok((id, tx)) => Some(SharedSnapshot {
            id,
            _held: Box::new(tx),
        }),
        Err(e) => {
            tracing::warn!(target: "tugboat::tasks", "{}: no snapshot to share: {e}", conn.endpoint.label());
            None
        }
    }
}
