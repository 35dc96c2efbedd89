//! SQLite's answers to the premigration checks: a file whose folder must be writable, no
//! connection to encrypt, triggers no session can silence.

use async_trait::async_trait;

use super::Sqlite;
use crate::endpoints::Connection;
use crate::engines::Probes;
use crate::engines::checks::{TriggerOn, triggers};

#[async_trait]
impl Probes for Sqlite {
    /// The file's folder is writable (the file is made there).
    async fn may_create(&self, conn: &Connection) -> (bool, String) {
        let path = std::path::Path::new(&conn.endpoint.database);
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let ok = tokio::fs::metadata(dir)
            .await
            .is_ok_and(|m| !m.permissions().readonly());
        (
            ok,
            format!("the folder {} is writable: {ok}", dir.display()),
        )
    }

    async fn encrypted(&self, _conn: &Connection) -> Option<bool> {
        None
    }

    async fn triggers(&self, conn: &Connection) -> Option<Vec<TriggerOn>> {
        triggers(
            conn,
            "SELECT 'main', tbl_name, name FROM sqlite_master WHERE type = 'trigger'",
        )
        .await
    }

    async fn silences_triggers(&self, _conn: &Connection) -> std::result::Result<(), &'static str> {
        Err(
            "drop the triggers on the target until cut-over (this engine cannot turn them off for one session), then create them again",
        )
    }
}
