//! PostgreSQL's side of a cut-over: a session advisory lock per task, the database made
//! read-only by `default_transaction_read_only` (with the sessions opened before it ended), and
//! the sequences behind serial and identity columns and those no column owns.

use async_trait::async_trait;

use super::Postgres;
use crate::endpoints::Connection;
use crate::engines::switch::{Counter, ReadOnly, Switch, TaskLock, session_lock};
use crate::engines::values::text_literal;
use crate::error::Result;
use crate::sqltext::{IdentQuote, quoted_ident};

fn lit(conn: &Connection, s: &str) -> String {
    text_literal(conn.endpoint.engine, s)
}

/// The connected database's name, quoted.
async fn database(conn: &Connection) -> Result<String> {
    let rows = conn
        .query(
            "reading the database's name",
            "SELECT current_database() AS d",
        )
        .await?;
    let name = rows.first().map(|r| r.s("d")).unwrap_or_default();
    Ok(quoted_ident(&name, IdentQuote::Double))
}

#[async_trait]
impl Switch for Postgres {
    async fn task_lock(&self, conn: &Connection, task: &str) -> Result<Option<TaskLock>> {
        // The key: a stable hash of the task's name, in the range of a bigint.
        let sql = format!(
            "SELECT CASE WHEN pg_try_advisory_lock(hashtextextended({}, 0)) THEN 1 ELSE 0 END::bigint",
            lit(conn, &format!("tugboat task {task}"))
        );
        session_lock(conn, sql).await
    }

    async fn make_read_only(&self, conn: &Connection) -> Result<ReadOnly> {
        let db = database(conn).await?;
        conn.query(
            "making the database read-only",
            &format!("ALTER DATABASE {db} SET default_transaction_read_only = on"),
        )
        .await?;
        // Sessions opened before keep writing: they are ended (Tugboat's own are not).
        let ended = conn
            .query(
                "ending the sessions opened before",
                "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND application_name <> 'tugboat'",
            )
            .await?;
        let n = ended.first().and_then(|r| r.i64("n")).unwrap_or(0);
        Ok(ReadOnly {
            done: format!(
                "ALTER DATABASE {db} SET default_transaction_read_only = on; {n} session(s) opened before ended"
            ),
            undo: format!("ALTER DATABASE {db} RESET default_transaction_read_only"),
        })
    }

    async fn undo_read_only(&self, conn: &Connection) -> Result<()> {
        let db = database(conn).await?;
        conn.query(
            "making the database writable again",
            &format!("ALTER DATABASE {db} RESET default_transaction_read_only"),
        )
        .await?;
        Ok(())
    }

    async fn is_read_only(&self, conn: &Connection) -> Result<bool> {
        // The database's setting, not this session's (Tugboat's sessions turn it off).
        let rows = conn
            .query(
                "reading the database's settings",
                "SELECT count(*) AS n FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database() AND s.setrole = 0 AND 'default_transaction_read_only=on' = ANY (s.setconfig)",
            )
            .await?;
        Ok(rows.first().and_then(|r| r.i64("n")).unwrap_or(0) > 0)
    }

    async fn counters(&self, conn: &Connection, schemas: &[String]) -> Result<Vec<Counter>> {
        let list: Vec<String> = schemas.iter().map(|s| lit(conn, s)).collect();
        if list.is_empty() {
            return Ok(vec![]);
        }
        // Each sequence with the column that owns it (serial: 'a', identity: 'i'), if any.
        let sql = format!(
            "SELECT sn.nspname AS seq_schema, sc.relname AS seq, tn.nspname AS tab_schema, tc.relname AS tab, a.attname AS col, \
             CASE WHEN pg_sequence_last_value(s.seqrelid) IS NULL THEN s.seqstart ELSE pg_sequence_last_value(s.seqrelid) + s.seqincrement END AS next \
             FROM pg_sequence s JOIN pg_class sc ON sc.oid = s.seqrelid JOIN pg_namespace sn ON sn.oid = sc.relnamespace \
             LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
             LEFT JOIN pg_class tc ON tc.oid = d.refobjid LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace \
             LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
             WHERE sn.nspname IN ({}) ORDER BY 1, 2",
            list.join(", ")
        );
        let rows = conn.query("reading the sequences", &sql).await?;
        Ok(rows
            .iter()
            .map(|r| Counter {
                schema: r.opt("tab_schema").unwrap_or_else(|| r.s("seq_schema")),
                table: r.s("tab"),
                column: r.s("col"),
                sequence: r.s("seq"),
                sequence_schema: r.s("seq_schema"),
                next: r.i64("next").unwrap_or(1),
            })
            .collect())
    }

    async fn set_counter(&self, conn: &Connection, c: &Counter, next: i64) -> Result<()> {
        let q = |n: &str| quoted_ident(n, IdentQuote::Double);
        let seq = lit(
            conn,
            &format!("{}.{}", q(&c.sequence_schema), q(&c.sequence)),
        );
        // setval(.., v, false): nextval gives v.
        let sql = format!("SELECT setval({seq}::regclass, {next}, false)");
        conn.query(&format!("setting {}", c.label()), &sql).await?;
        Ok(())
    }
}
