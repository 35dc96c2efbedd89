//! Premigration checks for replication, shown before a CDC task starts: each one passed,
//! warning or failed, with how to fix it. A failed check stops the task before anything is
//! written.

use crate::endpoints::{Connection, Engine};
pub use crate::engines::checks::{Check, Status, new_check};
use crate::engines::checks::{check, value};
use crate::tasks::Prepared;

/// The checks of `source` for replicating `tables`.
pub async fn run(source: &Connection, tables: &[Prepared]) -> Vec<Check> {
    let mut out = capture(source).await;
    out.extend(keys(tables));
    out
}

/// Whether `source` can give its changes: binary log settings, wal_level, slots, privileges
/// (its engine's [`crate::engines::ChangeLog::checks`]).
pub async fn capture(source: &Connection) -> Vec<Check> {
    match crate::engines::of(source.endpoint.engine).change_log() {
        Some(log) => log.checks(source).await,
        None => vec![check(
            "change log",
            false,
            false,
            format!(
                "{} keeps no log of changes that another program can read",
                source.endpoint.engine.label()
            ),
            "run a full-load task (migrate --type full-load); stop writes to the database while it runs",
        )],
    }
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
