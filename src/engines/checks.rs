//! A premigration check's outcome (passed, warning, failed, with what was found and how to fix
//! it), for the checks each engine makes of itself (its change log's settings) and those the
//! runner and replication add.

use serde::{Deserialize, Serialize};

use crate::endpoints::Connection;

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

pub(crate) fn check(name: &str, ok: bool, warn_only: bool, detail: String, fix: &str) -> Check {
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

/// A check built from its parts (other modules' checks: premigration).
pub fn new_check(name: &str, ok: bool, warn_only: bool, detail: String, fix: &str) -> Check {
    check(name, ok, warn_only, detail, fix)
}

/// The one value `sql` reads; None when it cannot be read (the check then fails on it).
pub(crate) async fn value(source: &Connection, sql: &str) -> Option<String> {
    source
        .query_scalar("premigration check", sql)
        .await
        .ok()
        .flatten()
}

/// A table a task replicates, as a change log's checks need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Replicated {
    /// `schema.table` as the task names it.
    pub label: String,
    pub schema: String,
    pub table: String,
    pub has_key: bool,
    /// The task filters its rows on the source.
    pub filtered: bool,
}

/// A trigger on a target table: (schema, table, trigger), as its catalog names them.
pub type TriggerOn = (String, String, String);

/// The (schema, table, trigger) rows of a catalog query, or None when it cannot be read.
pub(crate) async fn triggers(conn: &Connection, sql: &str) -> Option<Vec<TriggerOn>> {
    let rows = conn.query_text(sql).await.ok()?;
    Some(
        rows.iter()
            .map(|r| {
                let at = |i| r.at(i).unwrap_or_default().to_string();
                (at(0), at(1), at(2))
            })
            .collect(),
    )
}
