//! PostgreSQL: the foreign keys referencing a table are dropped while it reloads and added
//! again after (which checks every row); its triggers are disabled and enabled again as they
//! were (ALWAYS, REPLICA or plain).

use crate::endpoints::{Connection, Engine};
use crate::engines::setaside::{SetAside, TargetTable};
use crate::engines::values::{quote, text_literal};
use async_trait::async_trait;

use super::Postgres;
use crate::engines::Reload;
use crate::error::{DbFailure, Result};

const E: Engine = Engine::Postgres;

#[async_trait]
impl Reload for Postgres {
    async fn keys_referencing(&self, conn: &Connection, t: &TargetTable) -> Result<Vec<SetAside>> {
        let sql = format!(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid = to_regclass({}) AND c.conrelid <> c.confrelid ORDER BY 1, 2",
            text_literal(E, &t.sql)
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
                SetAside {
                    child: child.to_string(),
                    name: key.to_string(),
                    set_aside: format!("ALTER TABLE {child} DROP CONSTRAINT {}", quote(E, key)),
                    restore: format!("ALTER TABLE {child} ADD CONSTRAINT {} {def}", quote(E, key)),
                    check: String::new(),
                }
            })
            .collect())
    }

    async fn triggers_of(&self, conn: &Connection, t: &TargetTable) -> Result<Vec<SetAside>> {
        let sql = format!(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = to_regclass({}) AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY 1",
            text_literal(E, &t.sql)
        );
        let rows = conn
            .query(&format!("reading the triggers of {}", t.sql), &sql)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let name = r.at(0).unwrap_or_default();
                SetAside {
                    child: t.sql.clone(),
                    name: format!("trigger {name}"),
                    set_aside: format!("ALTER TABLE {} DISABLE TRIGGER {}", t.sql, quote(E, name)),
                    // Back as it was: an ALWAYS or REPLICA trigger stays one (a plain ENABLE would
                    // make it fire only outside replication sessions).
                    restore: format!(
                        "ALTER TABLE {} ENABLE {}TRIGGER {}",
                        t.sql,
                        match r.at(1) {
                            Some("A") => "ALWAYS ",
                            Some("R") => "REPLICA ",
                            _ => "",
                        },
                        quote(E, name)
                    ),
                    check: String::new(),
                }
            })
            .collect())
    }

    /// TRUNCATE the whole table; DELETE a range, or a table other tables reference (which
    /// fails if child rows still point at its rows).
    async fn empty(
        &self,
        conn: &Connection,
        t: &TargetTable,
        filter: &str,
    ) -> std::result::Result<(), DbFailure> {
        if filter.is_empty() && conn.execute(&format!("TRUNCATE {}", t.sql)).await.is_ok() {
            return Ok(());
        }
        conn.execute(&format!("DELETE FROM {}{filter}", t.sql))
            .await?;
        Ok(())
    }
}
