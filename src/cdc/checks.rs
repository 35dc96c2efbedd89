//! Premigration checks for replication, shown before a CDC task starts: each one passed,
//! warning or failed, with how to fix it. A failed check stops the task before anything is
//! written.

use serde::{Deserialize, Serialize};

use crate::endpoints::{Connection, Engine};
use crate::tasks::Prepared;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Passed,
    Warning,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// How to fix it (empty when passed).
    pub fix: String,
}

fn check(name: &str, ok: bool, warn_only: bool, detail: String, fix: &str) -> Check {
    Check {
        name: name.into(),
        status: match (ok, warn_only) {
            (true, _) => Status::Passed,
            (false, true) => Status::Warning,
            (false, false) => Status::Failed,
        },
        detail,
        fix: if ok { String::new() } else { fix.into() },
    }
}

/// The checks of `source` for replicating `tables`.
pub async fn run(source: &Connection, tables: &[Prepared]) -> Vec<Check> {
    let mut out = capture(source).await;
    out.extend(keys(tables));
    out
}

/// Whether `source` can give its changes: binary log settings, wal_level, slots, privileges.
pub async fn capture(source: &Connection) -> Vec<Check> {
    let mut out = vec![];
    match source.endpoint.engine {
        Engine::Sqlite => out.push(check(
            "change log",
            false,
            false,
            "SQLite keeps no log of changes that another program can read".into(),
            "run a full-load task (migrate --type full-load); stop writes to the file while it runs",
        )),
        Engine::Postgres => postgres(source, &mut out).await,
        Engine::MySql | Engine::MariaDb => mysql(source, &mut out).await,
    }
    out
}

/// A check built from its parts (other modules' checks: premigration).
pub fn new_check(name: &str, ok: bool, warn_only: bool, detail: String, fix: &str) -> Check {
    check(name, ok, warn_only, detail, fix)
}

/// The one value `sql` reads; None when it cannot be read (the check then fails on it).
async fn value(source: &Connection, sql: &str) -> Option<String> {
    source
        .query_scalar("premigration check", sql)
        .await
        .ok()
        .flatten()
}

async fn postgres(source: &Connection, out: &mut Vec<Check>) {
    let one = |sql: &'static str| async move { value(source, sql).await.unwrap_or_default() };
    let wal = one("SHOW wal_level").await;
    out.push(check(
        "wal_level",
        wal == "logical",
        false,
        format!("wal_level = {wal}"),
        "ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL",
    ));
    let slots = one("SELECT current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)").await;
    out.push(check(
        "free replication slots",
        slots.parse::<i64>().unwrap_or(0) > 0,
        false,
        format!("{slots} of max_replication_slots free"),
        "raise max_replication_slots (restart), or drop unused slots (pg_drop_replication_slot)",
    ));
    let senders = one("SHOW max_wal_senders").await;
    out.push(check(
        "WAL senders",
        senders.parse::<i64>().unwrap_or(0) > 0,
        true,
        format!(
            "max_wal_senders = {senders} (the slot is read through SQL functions, which need none)"
        ),
        "raise max_wal_senders for replication clients other than Tugboat",
    ));
    let role =
        one("SELECT (rolsuper OR rolreplication)::text FROM pg_roles WHERE rolname = current_user")
            .await;
    out.push(check(
        "replication privilege",
        role == "true",
        false,
        if role == "true" {
            "the user may create and read replication slots".into()
        } else {
            "the user has neither SUPERUSER nor REPLICATION".into()
        },
        "ALTER ROLE the task's user REPLICATION (it must also own the tables, or be superuser, to publish them)",
    ));
    let long = one("SELECT count(*) FROM pg_stat_activity WHERE xact_start < now() - interval '5 minutes' AND pid <> pg_backend_pid()").await;
    out.push(check(
        "long-running transactions",
        long == "0",
        true,
        format!("{long} transactions open for more than 5 minutes"),
        "creating the slot waits for every open transaction to end: finish or cancel them",
    ));
}

/// Tables whose PostgreSQL replica identity does not send the whole old row: without a primary
/// key their updates and deletes cannot be found on the target (failed); with a source filter a
/// row moved into it with a TOASTed value unchanged cannot be copied whole (a warning).
pub async fn replica_identity(source: &Connection, tables: &[Prepared]) -> Vec<Check> {
    let mut out = vec![];
    if source.endpoint.engine != Engine::Postgres {
        return out;
    }
    let keyless = |p: &Prepared| p.plan.table.primary_key.is_none();
    let filtered = |p: &Prepared| !p.plan.filters.is_empty();
    for p in tables.iter().filter(|p| keyless(p) || filtered(p)) {
        let lit = crate::engines::values::text_literal(
            Engine::Postgres,
            &format!(
                "{}.{}",
                crate::engines::values::quote(Engine::Postgres, &p.plan.source_schema),
                crate::engines::values::quote(Engine::Postgres, &p.plan.source_table)
            ),
        );
        let ident = value(
            source,
            &format!("SELECT relreplident::text FROM pg_class WHERE oid = to_regclass({lit})"),
        )
        .await
        .unwrap_or_default();
        let spelled = match ident.as_str() {
            "d" => "DEFAULT",
            "n" => "NOTHING",
            "i" => "USING INDEX",
            "f" => "FULL",
            _ => "unknown",
        };
        if keyless(p) {
            out.push(check(
                &format!("replica identity of {}", p.label),
                ident == "f",
                false,
                format!("no primary key and REPLICA IDENTITY {spelled}"),
                "ALTER TABLE ... REPLICA IDENTITY FULL on the source (or add a primary key)",
            ));
        } else {
            out.push(check(
                &format!("replica identity of {} (source filter)", p.label),
                ident == "f",
                true,
                format!(
                    "REPLICA IDENTITY {spelled}: the old row is not sent, so a row that an update moves into the filter while it leaves a large (TOASTed) value unchanged cannot be copied whole and becomes a conflict"
                ),
                "ALTER TABLE ... REPLICA IDENTITY FULL on the source",
            ));
        }
    }
    out
}

/// Warnings for `tables` without a primary key.
pub fn keys(tables: &[Prepared]) -> Vec<Check> {
    tables
        .iter()
        .filter(|p| p.plan.table.primary_key.is_none())
        .map(|p| no_key(&p.label))
        .collect()
}

/// The warning for a table without a primary key.
pub fn no_key(label: &str) -> Check {
    check(
        &format!("primary key of {label}"),
        false,
        true,
        "no primary key: updates and deletes find the row by all its values, and changes replayed after a full load can duplicate rows".into(),
        "add a primary key (or a unique key) to the source table",
    )
}

/// The target's triggers on the task's tables: replicated changes are the source's effects
/// (its own triggers' included), so a target trigger acting on them again doubles them. On
/// PostgreSQL the applier turns them off for its session (`session_replication_role`), which
/// takes a superuser; MySQL, MariaDB and SQLite have no such switch.
pub async fn target_triggers(target: &Connection, tables: &[Prepared]) -> Vec<Check> {
    let engine = target.endpoint.engine;
    let sql = match engine {
        Engine::Postgres => {
            "SELECT n.nspname, c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'"
        }
        Engine::MySql | Engine::MariaDb => {
            "SELECT event_object_schema, event_object_table, trigger_name FROM information_schema.triggers"
        }
        Engine::Sqlite => "SELECT 'main', tbl_name, name FROM sqlite_master WHERE type = 'trigger'",
    };
    let Ok(rows) = target.query_text(sql).await else {
        return vec![];
    };
    let superuser = engine == Engine::Postgres
        && value(
            target,
            "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user",
        )
        .await
        .as_deref()
            == Some("true");
    let current = match engine {
        Engine::MySql | Engine::MariaDb => value(target, "SELECT DATABASE()").await,
        _ => None,
    }
    .unwrap_or_default();
    let mut out = vec![];
    for p in tables {
        let table = crate::tasks::sink::target_table_name(engine, &p.plan);
        let schema = match engine {
            Engine::Sqlite => "main".to_string(),
            _ if p.plan.target_schema.is_empty() => current.clone(),
            _ => p.plan.target_schema.clone(),
        };
        let names: Vec<&str> = rows
            .iter()
            .filter(|r| {
                r.at(0).is_some_and(|s| s.eq_ignore_ascii_case(&schema))
                    && r.at(1).is_some_and(|t| t.eq_ignore_ascii_case(&table))
            })
            .filter_map(|r| r.at(2))
            .collect();
        if names.is_empty() || superuser {
            continue;
        }
        let fix = match engine {
            Engine::Postgres => {
                "connect to the target as a superuser (the applier then turns triggers off for its session), or ALTER TABLE ... DISABLE TRIGGER until cut-over"
            }
            _ => {
                "drop the triggers on the target until cut-over (this engine cannot turn them off for one session), then create them again"
            }
        };
        out.push(check(
            &format!("target triggers on {}", p.label),
            false,
            true,
            format!(
                "{} on every replicated change, whose effects on the source come through the log already",
                match names[..] {
                    [one] => format!("trigger {one} fires"),
                    _ => format!("triggers {} fire", names.join(", ")),
                }
            ),
            fix,
        ));
    }
    out
}

async fn mysql(source: &Connection, out: &mut Vec<Check>) {
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
