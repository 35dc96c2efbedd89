//! MySQL and MariaDB: the foreign keys referencing a table stay (the loading session has key
//! checks off) and are checked after with an anti-join; its triggers are dropped while it
//! reloads and created again from `SHOW CREATE TRIGGER`.

use crate::endpoints::{Connection, Engine};
use crate::engines::setaside::{SetAside, TargetTable};
use crate::engines::values::{quote, text_literal};
use async_trait::async_trait;

use super::MySql;
use crate::engines::Reload;
use crate::error::{DbFailure, Result};

const E: Engine = Engine::MySql;

/// The table's database as a literal (the connected one when the task names none).
fn database(t: &TargetTable) -> String {
    if t.schema.is_empty() {
        "DATABASE()".to_string()
    } else {
        text_literal(E, &t.schema)
    }
}

/// `name` in the table's database, quoted.
fn in_database(t: &TargetTable, name: &str) -> String {
    match t.schema.as_str() {
        "" => quote(E, name),
        s => format!("{}.{}", quote(E, s), quote(E, name)),
    }
}

#[async_trait]
impl Reload for MySql {
    async fn keys_referencing(&self, conn: &Connection, t: &TargetTable) -> Result<Vec<SetAside>> {
        let db = database(t);
        let sql = format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, GROUP_CONCAT(CONCAT(COLUMN_NAME, ' ', REFERENCED_COLUMN_NAME) ORDER BY ORDINAL_POSITION SEPARATOR ',') FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_SCHEMA = {db} AND REFERENCED_TABLE_NAME = {} AND TABLE_SCHEMA = {db} AND TABLE_NAME <> REFERENCED_TABLE_NAME GROUP BY TABLE_NAME, CONSTRAINT_NAME ORDER BY 1, 2",
            text_literal(E, &t.name)
        );
        let rows = conn
            .query(&format!("reading the keys that reference {}", t.sql), &sql)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let (child, key, def) = (
                    r.at(0).unwrap_or_default(),
                    r.at(1).unwrap_or_default(),
                    r.at(2).unwrap_or_default(),
                );
                let child_sql = in_database(t, child);
                let pairs: Vec<(&str, &str)> = def
                    .split(',')
                    .filter_map(|x| x.split_once(' '))
                    .collect();
                let set = pairs
                    .iter()
                    .map(|(c, _)| format!("c.{} IS NOT NULL", quote(E, c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let join = pairs
                    .iter()
                    .map(|(c, r)| format!("t.{} = c.{}", quote(E, r), quote(E, c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                SetAside {
                    check: format!(
                        "SELECT count(*) FROM {child_sql} c WHERE {set} AND NOT EXISTS (SELECT 1 FROM {} t WHERE {join})",
                        t.sql
                    ),
                    child: child_sql,
                    name: key.to_string(),
                    set_aside: String::new(),
                    restore: String::new(),
                }
            })
            .collect())
    }

    async fn triggers_of(&self, conn: &Connection, t: &TargetTable) -> Result<Vec<SetAside>> {
        let context = format!("reading the triggers of {}", t.sql);
        let sql = format!(
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = {} AND EVENT_OBJECT_TABLE = {} ORDER BY 1",
            database(t),
            text_literal(E, &t.name)
        );
        let rows = conn.query(&context, &sql).await?;
        let mut out = vec![];
        for r in &rows {
            let name = r.at(0).unwrap_or_default();
            let qualified = in_database(t, name);
            let shown = conn
                .query(&context, &format!("SHOW CREATE TRIGGER {qualified}"))
                .await?;
            // Columns: Trigger, sql_mode, SQL Original Statement, ...
            let create = shown
                .first()
                .and_then(|r| r.at(2))
                .unwrap_or_default()
                .to_string();
            if create.is_empty() {
                continue;
            }
            out.push(SetAside {
                child: t.sql.clone(),
                name: format!("trigger {name}"),
                set_aside: format!("DROP TRIGGER {qualified}"),
                restore: create,
                check: String::new(),
            });
        }
        Ok(out)
    }

    /// DELETE with the session's key checks off (the keys referencing it are checked after).
    async fn empty(
        &self,
        conn: &Connection,
        t: &TargetTable,
        filter: &str,
    ) -> std::result::Result<(), DbFailure> {
        conn.execute(&format!(
            "SET FOREIGN_KEY_CHECKS = 0; DELETE FROM {}{filter}; SET FOREIGN_KEY_CHECKS = 1",
            t.sql
        ))
        .await?;
        Ok(())
    }
}
