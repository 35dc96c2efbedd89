//! Premigration checks for replication, shown before a CDC task starts: each one passed,
//! warning or failed, with how to fix it. A failed check stops the task before anything is
//! written.

use crate::endpoints::Connection;
use crate::engines::checks::check;
pub use crate::engines::checks::{Check, Status, new_check};
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

/// The source's checks of the tables replicated from it (its change log's
/// [`crate::engines::ChangeLog::table_checks`]: on PostgreSQL, a table without a primary key
/// needs REPLICA IDENTITY FULL, and so does a filtered one for rows an update moves in).
pub async fn replica_identity(source: &Connection, tables: &[Prepared]) -> Vec<Check> {
    let Some(log) = crate::engines::of(source.endpoint.engine).change_log() else {
        return vec![];
    };
    let replicated: Vec<crate::engines::checks::Replicated> = tables
        .iter()
        .map(|p| crate::engines::checks::Replicated {
            label: p.label.clone(),
            schema: p.plan.source_schema.clone(),
            table: p.plan.source_table.clone(),
            has_key: p.plan.table.primary_key.is_some(),
            filtered: !p.plan.filters.is_empty(),
        })
        .collect();
    log.table_checks(source, &replicated).await
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
    let backend = crate::engines::of(engine);
    let Some(triggers) = backend.triggers(target).await else {
        return vec![];
    };
    let Err(fix) = backend.silences_triggers(target).await else {
        return vec![];
    };
    // A task's tables without a schema are in the connected database (MySQL).
    let current = backend.current_schema(target).await.unwrap_or_default();
    let mut out = vec![];
    for p in tables {
        let table = crate::tasks::sink::target_table_name(engine, &p.plan);
        let schema = backend.schema_here(&p.plan.target_schema, &current);
        let names: Vec<&str> = triggers
            .iter()
            .filter(|(s, t, _)| s.eq_ignore_ascii_case(&schema) && t.eq_ignore_ascii_case(&table))
            .map(|(_, _, n)| n.as_str())
            .collect();
        if names.is_empty() {
            continue;
        }
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
