//! MySQL's and MariaDB's side of a cut-over: a named lock per task (`GET_LOCK`), the server
//! made read-only (`read_only`: the whole server, for users without SUPER or READ_ONLY ADMIN),
//! and the tables' AUTO_INCREMENT counters.

use async_trait::async_trait;

use super::MySql;
use crate::endpoints::Connection;
use crate::engines::Backend as _;
use crate::engines::switch::{Counter, ReadOnly, Switch, TaskLock, session_lock};
use crate::engines::values::text_literal;
use crate::error::Result;

fn lit(conn: &Connection, s: &str) -> String {
    text_literal(conn.endpoint.engine, s)
}

#[async_trait]
impl Switch for MySql {
    async fn task_lock(&self, conn: &Connection, task: &str) -> Result<Option<TaskLock>> {
        // Lock names are server-wide and at most 64 characters: the database's and the task's
        // names as a hash (a task's state is kept per database, as PostgreSQL's advisory locks
        // are).
        let sql = format!(
            "SELECT CAST(GET_LOCK(CONCAT('tugboat:', MD5(CONCAT(COALESCE(DATABASE(), ''), ':', {}))), 0) AS SIGNED)",
            lit(conn, task)
        );
        session_lock(conn, sql).await
    }

    async fn make_read_only(&self, conn: &Connection) -> Result<ReadOnly> {
        conn.query("making the server read-only", "SET GLOBAL read_only = ON")
            .await?;
        Ok(ReadOnly {
            done: "SET GLOBAL read_only = ON (the whole server: users with SUPER or READ_ONLY ADMIN, such as replication's, still write)".into(),
            undo: "SET GLOBAL read_only = OFF".into(),
        })
    }

    async fn undo_read_only(&self, conn: &Connection) -> Result<()> {
        conn.query(
            "making the server writable again",
            "SET GLOBAL read_only = OFF",
        )
        .await?;
        Ok(())
    }

    async fn is_read_only(&self, conn: &Connection) -> Result<bool> {
        let rows = conn
            .query(
                "reading read_only",
                "SELECT CAST(@@global.read_only AS SIGNED) AS r",
            )
            .await?;
        Ok(rows.first().and_then(|r| r.i64("r")).unwrap_or(0) != 0)
    }

    async fn counters(&self, conn: &Connection, schemas: &[String]) -> Result<Vec<Counter>> {
        let list: Vec<String> = schemas.iter().map(|s| lit(conn, s)).collect();
        if list.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT c.TABLE_SCHEMA AS s, c.TABLE_NAME AS t, c.COLUMN_NAME AS c, CAST(t.AUTO_INCREMENT AS SIGNED) AS next \
             FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
             WHERE c.EXTRA LIKE '%auto_increment%' AND c.TABLE_SCHEMA IN ({}) ORDER BY 1, 2",
            list.join(", ")
        );
        let rows = conn
            .query("reading the AUTO_INCREMENT counters", &sql)
            .await?;
        let mut out: Vec<Counter> = rows
            .iter()
            .map(|r| Counter {
                schema: r.s("s"),
                table: r.s("t"),
                column: r.s("c"),
                sequence: String::new(),
                sequence_schema: String::new(),
                next: r.i64("next").unwrap_or(1),
            })
            .collect();
        out.extend(sequences(self, conn, &list).await?);
        Ok(out)
    }

    async fn set_counter(&self, conn: &Connection, c: &Counter, next: i64) -> Result<()> {
        let sql = match c.table.as_str() {
            // A MariaDB sequence: SETVAL with is_used = 0 gives `next` next.
            "" => format!(
                "SELECT SETVAL({}, {next}, 0)",
                self.table_sql(&c.sequence_schema, &c.sequence)
            ),
            _ => format!(
                "ALTER TABLE {} AUTO_INCREMENT = {next}",
                self.table_sql(&c.schema, &c.table)
            ),
        };
        conn.query(&format!("setting {}", c.label()), &sql).await?;
        Ok(())
    }
}

/// MariaDB's sequences (`CREATE SEQUENCE`, 10.3 and later) in the schemas listed (quoted
/// literals), with the value each gives next: `next_not_cached_value`, which is never below
/// it (values cached by sessions are skipped, as a restart would skip them).
async fn sequences(b: &MySql, conn: &Connection, list: &[String]) -> Result<Vec<Counter>> {
    let sql = format!(
        "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'SEQUENCE' AND TABLE_SCHEMA IN ({}) ORDER BY 1, 2",
        list.join(", ")
    );
    let mut out = vec![];
    for r in conn.query("reading the sequences", &sql).await? {
        let (schema, name) = (r.s("s"), r.s("t"));
        let next = conn
            .query(
                &format!("reading sequence {schema}.{name}"),
                &format!(
                    "SELECT CAST(next_not_cached_value AS SIGNED) AS n FROM {}",
                    b.table_sql(&schema, &name)
                ),
            )
            .await?
            .first()
            .and_then(|r| r.i64("n"))
            .unwrap_or(1);
        out.push(Counter {
            schema: schema.clone(),
            table: String::new(),
            column: String::new(),
            sequence: name,
            sequence_schema: schema,
            next,
        });
    }
    Ok(out)
}
