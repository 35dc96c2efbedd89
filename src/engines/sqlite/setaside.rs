//! SQLite: the foreign keys referencing a table stay (the loading session has key checks off)
//! and are checked after with `pragma_foreign_key_check`; its triggers are dropped while it
//! reloads and created again from their definition.

use crate::endpoints::{Connection, Engine};
use crate::engines::setaside::{SetAside, TargetTable};
use crate::engines::values::{quote, text_literal};
use async_trait::async_trait;

use super::Sqlite;
use crate::engines::Reload;
use crate::error::{DbFailure, Result};

const E: Engine = Engine::Sqlite;

#[async_trait]
impl Reload for Sqlite {
    async fn keys_referencing(&self, conn: &Connection, t: &TargetTable) -> Result<Vec<SetAside>> {
        let sql = format!(
            "SELECT DISTINCT m.name, f.id FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f.\"table\" = {} AND m.name <> f.\"table\" ORDER BY 1, 2",
            text_literal(E, &t.name)
        );
        let rows = conn
            .query(&format!("reading the keys that reference {}", t.sql), &sql)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let (child, key) = (r.at(0).unwrap_or_default(), r.at(1).unwrap_or_default());
                SetAside {
                    child: quote(E, child),
                    // SQLite's keys have no names: the key's number in its table, said as
                    // "foreign key #0 on child".
                    name: format!("#{key}"),
                    set_aside: String::new(),
                    restore: String::new(),
                    check: format!(
                        "SELECT count(*) FROM pragma_foreign_key_check({}) WHERE parent = {}",
                        text_literal(E, child),
                        text_literal(E, &t.name)
                    ),
                }
            })
            .collect())
    }

    async fn triggers_of(&self, conn: &Connection, t: &TargetTable) -> Result<Vec<SetAside>> {
        let sql = format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = {} ORDER BY 1",
            text_literal(E, &t.name)
        );
        let rows = conn
            .query(&format!("reading the triggers of {}", t.sql), &sql)
            .await?;
        Ok(rows
            .iter()
            .filter(|r| r.at(1).is_some_and(|s| !s.is_empty()))
            .map(|r| {
                let name = r.at(0).unwrap_or_default();
                SetAside {
                    child: t.sql.clone(),
                    name: format!("trigger {name}"),
                    set_aside: format!("DROP TRIGGER {}", quote(E, name)),
                    restore: r.at(1).unwrap_or_default().to_string(),
                    check: String::new(),
                }
            })
            .collect())
    }

    /// DELETE with the session's key checks off (the keys referencing it are checked after).
    async fn empty(
        &self,
        conn: &Connection,
        t: &TargetTable,
        filter: &str,
    ) -> std::result::Result<(), DbFailure> {
        conn.execute(&format!(
            "PRAGMA foreign_keys = OFF; DELETE FROM {}{filter}; PRAGMA foreign_keys = ON",
            t.sql
        ))
        .await?;
        Ok(())
    }
}
