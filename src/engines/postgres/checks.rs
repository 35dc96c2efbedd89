//! PostgreSQL's premigration checks for change capture: wal_level, slots and senders free,
//! the replication privilege.

use async_trait::async_trait;

use super::Postgres;
use crate::endpoints::Connection;
use crate::engines::Probes;
use crate::engines::checks::{Check, Replicated, TriggerOn, check, triggers, value};

/// The checks of `source` as a source of logical decoding.
pub(super) async fn postgres(source: &Connection, out: &mut Vec<Check>) {
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
pub(super) async fn replica_identity(source: &Connection, tables: &[Replicated]) -> Vec<Check> {
    let mut out = vec![];
    let keyless = |p: &Replicated| !p.has_key;
    let filtered = |p: &Replicated| p.filtered;
    for p in tables.iter().filter(|p| keyless(p) || filtered(p)) {
        let e = crate::endpoints::Engine::Postgres;
        let lit = crate::engines::values::text_literal(
            e,
            &format!(
                "{}.{}",
                crate::engines::values::quote(e, &p.schema),
                crate::engines::values::quote(e, &p.table)
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

#[async_trait]
impl Probes for Postgres {
    /// CREATE on the database.
    async fn may_create(&self, conn: &Connection) -> (bool, String) {
        let v = value(
            conn,
            "SELECT has_database_privilege(current_user, current_database(), 'CREATE')::text",
        )
        .await
        .unwrap_or_default();
        (v == "true", format!("CREATE on the database: {v}"))
    }

    /// The session's TLS, as pg_stat_ssl has it.
    async fn encrypted(&self, conn: &Connection) -> Option<bool> {
        Some(
            value(
                conn,
                "SELECT coalesce((SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()), 'false')",
            )
            .await
            .is_some_and(|v| v == "true")
        )
    }

    async fn triggers(&self, conn: &Connection) -> Option<Vec<TriggerOn>> {
        triggers(
            conn,
            "SELECT n.nspname, c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'",
        )
        .await
    }

    async fn silences_triggers(&self, conn: &Connection) -> std::result::Result<(), &'static str> {
        let superuser = value(
            conn,
            "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user",
        )
        .await;
        if superuser.as_deref() == Some("true") {
            Ok(())
        } else {
            Err(
                "connect to the target as a superuser (the applier then turns triggers off for its session), or ALTER TABLE ... DISABLE TRIGGER until cut-over",
            )
        }
    }
}
