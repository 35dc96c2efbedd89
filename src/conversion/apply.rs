//! Applying converted DDL to a live target, statement by statement, in phases. A failed
//! statement is recorded with the server's error and the rest go on; objects that already exist
//! are reported as such, so running it again is safe.

use serde::{Deserialize, Serialize};

use crate::assessment::{Phase, Report};
use crate::endpoints::Connection;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StatementResult {
    Ok,
    /// The object was already there (re-run).
    Exists,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    pub object: String,
    pub phase: Phase,
    pub sql: String,
    pub result: StatementResult,
}

/// SQLSTATEs that mean "already exists".
const EXISTS: [&str; 6] = ["42P07", "42710", "42P06", "42723", "42P16", "42704"];

/// Runs the report's statements of `phase` (both phases when None) on `conn`, in order.
pub async fn apply(
    report: &Report,
    conn: &Connection,
    phase: Option<Phase>,
    mut progress: impl FnMut(usize, usize),
) -> Vec<Applied> {
    let mut todo = vec![];
    for p in [Phase::PreData, Phase::PostData] {
        if phase.is_some_and(|x| x != p) {
            continue;
        }
        for o in &report.objects {
            for t in o.target.iter().filter(|t| t.phase == p) {
                let object = if o.schema.is_empty() {
                    format!("{} {}", o.kind.label(), o.name)
                } else {
                    format!("{} {}.{}", o.kind.label(), o.schema, o.name)
                };
                todo.push((object, t));
            }
        }
    }
    let total = todo.len();
    let mut out = Vec::with_capacity(total);
    for (i, (object, t)) in todo.into_iter().enumerate() {
        progress(i, total);
        let result = match conn.execute(&t.sql).await {
            Ok(_) => StatementResult::Ok,
            Err(e) => {
                let code = e
                    .as_database_error()
                    .and_then(|d| d.code().map(|c| c.to_string()))
                    .unwrap_or_default();
                let already =
                    EXISTS.contains(&code.as_str()) && e.to_string().contains("already exists");
                if already {
                    StatementResult::Exists
                } else {
                    StatementResult::Failed(e.to_string())
                }
            }
        };
        if let StatementResult::Failed(e) = &result {
            tracing::warn!(target: "tugboat::conversion", "{object}: {e}");
        }
        out.push(Applied {
            object,
            phase: t.phase,
            sql: t.sql.clone(),
            result,
        });
    }
    progress(total, total);
    out
}
