//! MySQL's and MariaDB's premigration checks for change capture: the binary log, its format
//! and row image, the server id, retention, the replication privileges.

use async_trait::async_trait;

use super::MySql;
use crate::endpoints::Connection;
use crate::engines::Probes;
use crate::engines::checks::{Check, TriggerOn, check, triggers, value};

/// The checks of `source` as a replication source.
pub(super) async fn mysql(source: &Connection, out: &mut Vec<Check>) {
    let var =
        |name: &'static str| async move { value(source, &format!("SELECT @@GLOBAL.{name}")).await };
    let log_bin = var("log_bin").await.unwrap_or_default();
    out.push(check(
        "binary log",
        log_bin == "1" || log_bin.eq_ignore_ascii_case("on"),
        false,
        format!("log_bin = {log_bin}"),
        "start the server with log_bin (log-bin = mysql-bin in the [mysqld] section)",
    ));
    let format = var("binlog_format").await.unwrap_or_default();
    out.push(check(
        "binlog_format",
        format.eq_ignore_ascii_case("row"),
        false,
        format!("binlog_format = {format}"),
        "SET GLOBAL binlog_format = 'ROW' (and binlog_format = ROW in the server's configuration)",
    ));
    let image = var("binlog_row_image").await.unwrap_or_default();
    out.push(check(
        "binlog_row_image",
        image.eq_ignore_ascii_case("full"),
        false,
        format!("binlog_row_image = {image}"),
        "SET GLOBAL binlog_row_image = 'FULL' (and in the server's configuration)",
    ));
    let id = var("server_id").await.unwrap_or_default();
    out.push(check(
        "server_id",
        id != "0" && !id.is_empty(),
        false,
        format!("server_id = {id}"),
        "set server_id to a non-zero value in the server's configuration",
    ));
    // Retention: MariaDB and MySQL 8 (seconds), older (days).
    let secs = var("binlog_expire_logs_seconds")
        .await
        .and_then(|s| s.parse::<f64>().ok())
        .or(var("expire_logs_days")
            .await
            .and_then(|d| d.parse::<f64>().ok())
            .map(|d| d * 86_400.0))
        .unwrap_or(0.0);
    out.push(check(
        "binary log retention",
        secs == 0.0 || secs >= 86_400.0,
        true,
        if secs == 0.0 {
            "binary logs are kept until purged by hand".into()
        } else {
            format!("binary logs are purged after {:.1} hours", secs / 3600.0)
        },
        "keep binary logs at least as long as a task may be stopped (binlog_expire_logs_seconds = 86400 or more)",
    ));
    let grants = source
        .query_text("SHOW GRANTS FOR CURRENT_USER")
        .await
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.at(0).map(str::to_uppercase))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let can = grants.contains("ALL PRIVILEGES ON *.*")
        || grants.contains("REPLICATION SLAVE")
        || grants.contains("REPLICATION REPLICA");
    out.push(check(
        "replication privileges",
        can,
        false,
        if can {
            "the user may read the binary log".into()
        } else {
            "the user lacks REPLICATION SLAVE".into()
        },
        "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the task's user (MariaDB: also BINLOG MONITOR)",
    ));
}

#[async_trait]
impl Probes for MySql {
    /// CREATE among the user's grants (or ALL PRIVILEGES).
    async fn may_create(&self, conn: &Connection) -> (bool, String) {
        let grants = conn
            .query("reading privileges", "SHOW GRANTS")
            .await
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r.at(0).map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let ok = grants.iter().any(|g| {
            let g = g.to_uppercase();
            g.contains("ALL PRIVILEGES") || g.contains("CREATE,") || g.contains(" CREATE ON")
        });
        (ok, format!("{} grants read", grants.len()))
    }

    /// A cipher in use on the session.
    async fn encrypted(&self, conn: &Connection) -> Option<bool> {
        Some(
            value(
                conn,
                "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'",
            )
            .await
            .is_some_and(|v| !v.is_empty())
        )
    }

    /// The triggers of every database, by the database they act in.
    async fn triggers(&self, conn: &Connection) -> Option<Vec<TriggerOn>> {
        triggers(
            conn,
            "SELECT event_object_schema, event_object_table, trigger_name FROM information_schema.triggers",
        )
        .await
    }

    async fn silences_triggers(&self, _conn: &Connection) -> std::result::Result<(), &'static str> {
        Err(
            "drop the triggers on the target until cut-over (this engine cannot turn them off for one session), then create them again",
        )
    }
}
