//! Constraints that check the rows already there, when the full load runs beside replication.
//!
//! When a full-load-and-cdc task's load ends, replication may still be behind it: a child row
//! the load read can reference a parent whose insert is not applied yet, and two key ranges
//! of a table, read at different moments, can briefly hold the same unique value. A foreign
//! or unique key created then fails on rows that are only late, not wrong; before this, the
//! constraint was left out with a warning in the log.
//!
//! So [`post_data`] creates a PostgreSQL target's foreign keys `NOT VALID` (at once, with no
//! scan; they hold for new rows from then on), and records in [`TABLE`] on the target what is
//! left to do: the `VALIDATE CONSTRAINT` of each, and every post-data statement that failed.
//! Once replication has caught up, a [`Runner`] does it, beside the applier (a validation
//! takes no lock that stops writes). What still fails then is a fault of the rows: reported
//! with the server's words, kept, and tried again the next time the task catches up. A task
//! is not ready to cut over until its checks have run.

use std::sync::{Arc, Mutex};
use tracing::Instrument;

use super::TaskEvent;
use crate::assessment::{Phase, Report};
use crate::conversion::apply::{Applied, StatementResult, already_exists};
use crate::endpoints::Connection;
use crate::engines::values::text_literal;
use crate::error::Result;

/// The checks left, per task, in the order they run.
pub const TABLE: &str = "tugboat_deferred_checks";

/// The statement that creates the table of checks.
pub fn create_table() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (task varchar(200) NOT NULL, seq integer NOT NULL, object varchar(1000) NOT NULL, kind varchar(20) NOT NULL, statement text NOT NULL, error text, PRIMARY KEY (task, seq))"
    )
}

/// One thing to do once replication has caught up.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The object, as the conversion report names it (`constraint public.film_fk`).
    pub object: String,
    pub kind: Kind,
    pub statement: String,
    /// Why it failed last (at the load's end, or when last checked).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A foreign key created NOT VALID: validated.
    Validate,
    /// A post-data statement that failed: run again.
    Retry,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Validate => "validate",
            Kind::Retry => "retry",
        }
    }
}

/// `ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (...)` as the converter writes it: the
/// statement that validates it once created NOT VALID.
fn validate_statement(sql: &str) -> Option<String> {
    let rest = sql.strip_prefix("ALTER TABLE ")?;
    let (table, rest) = rest.split_once(" ADD CONSTRAINT ")?;
    let (name, _) = rest.split_once(" FOREIGN KEY (")?;
    Some(format!("ALTER TABLE {table} VALIDATE CONSTRAINT {name}"))
}

/// The post-data of a load that replication runs beside (see the module doc): runs it on
/// `target`, and records what is left for once replication has caught up. Fails only when
/// that record cannot be written (the load then stays unfinished, and its next run does this
/// again).
pub async fn post_data(report: &Report, target: &Connection, task: &str) -> Result<Vec<Applied>> {
    // Constraints added without checking the rows there (validated once replication has
    // caught up, without blocking writes).
    let unchecked = crate::engines::of(target.endpoint.engine).adds_unchecked_constraints();
    let mut report = report.clone();
    if unchecked {
        for o in &mut report.objects {
            for t in o.target.iter_mut().filter(|t| t.phase == Phase::PostData) {
                if validate_statement(&t.sql).is_some() {
                    t.sql.push_str(" NOT VALID");
                }
            }
        }
    }
    let applied =
        crate::conversion::apply::apply(&report, target, Some(Phase::PostData), false, |_, _| {})
            .await;
    let mut checks = vec![];
    for a in &applied {
        let plain = a.sql.strip_suffix(" NOT VALID").filter(|_| unchecked);
        match &a.result {
            StatementResult::Failed(e) => checks.push(Check {
                object: a.object.clone(),
                kind: Kind::Retry,
                statement: plain.unwrap_or(&a.sql).to_string(),
                error: Some(e.clone()),
            }),
            _ => {
                if let Some(v) = plain.and_then(validate_statement) {
                    checks.push(Check {
                        object: a.object.clone(),
                        kind: Kind::Validate,
                        statement: v,
                        error: None,
                    });
                }
            }
        }
    }
    record(target, task, &checks).await?;
    Ok(applied)
}

/// Replaces the task's checks with `checks`, in one transaction.
async fn record(target: &Connection, task: &str, checks: &[Check]) -> Result<()> {
    let e = target.endpoint.engine;
    let t = text_literal(e, task);
    let mut sql = format!("DELETE FROM {TABLE} WHERE task = {t};\n");
    for (i, c) in checks.iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO {TABLE} (task, seq, object, kind, statement, error) VALUES ({t}, {i}, {}, {}, {}, {});\n",
            text_literal(e, &c.object),
            text_literal(e, c.kind.as_str()),
            text_literal(e, &c.statement),
            c.error
                .as_deref()
                .map_or("NULL".to_string(), |x| text_literal(e, x)),
        ));
    }
    target
        .execute(&create_table())
        .await
        .and(target.execute_in_transaction(&sql).await)
        .map_err(|x| {
            crate::engines::change::query_error(target, &format!("recording {TABLE}"), x)
        })?;
    Ok(())
}

/// The task's checks left, in order.
pub async fn pending(target: &Connection, task: &str) -> Result<Vec<(i64, Check)>> {
    let rows = target
        .query(
            &format!("reading {TABLE}"),
            &format!(
                "SELECT seq, object, kind, statement, error FROM {TABLE} WHERE task = {} ORDER BY seq",
                text_literal(target.endpoint.engine, task)
            ),
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.i64("seq").unwrap_or(0),
                Check {
                    object: r.s("object"),
                    kind: match r.s("kind").as_str() {
                        "validate" => Kind::Validate,
                        _ => Kind::Retry,
                    },
                    statement: r.s("statement"),
                    error: r.opt("error"),
                },
            )
        })
        .collect())
}

/// Forgets the task's checks (the task is dropped or reset).
pub async fn forget(target: &Connection, task: &str) -> Result<()> {
    if !crate::engines::discover::has_table(target, TABLE).await? {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM {TABLE} WHERE task = {}",
        text_literal(target.endpoint.engine, task)
    );
    target.execute(&sql).await.map_err(|e| {
        crate::error::Error::query(
            target.endpoint.label(),
            "forgetting the task's deferred checks",
            &e,
        )
    })?;
    Ok(())
}

/// What a replication session shows of its checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// The checks were read (the session knows how many there are).
    pub read: bool,
    /// Not run yet in this session.
    pub pending: u64,
    /// Run and failed: the object and what the server said.
    pub failures: Vec<String>,
}

/// Runs the task's checks once per session, in the background, when replication has caught
/// up (read then: the full load, running beside the session, records them at its end).
#[derive(Default)]
pub struct Runner {
    progress: Arc<Mutex<Progress>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Runner {
    pub fn progress(&self) -> Progress {
        self.progress.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Starts the checks (once; later calls do nothing).
    pub fn start(
        &mut self,
        target: &Connection,
        task: &str,
        events: Arc<dyn Fn(TaskEvent) + Send + Sync>,
    ) {
        if self.handle.is_some() {
            return;
        }
        let (target, task, progress) = (target.clone(), task.to_string(), self.progress.clone());
        self.handle = Some(tokio::spawn(async move {
            let checks = match pending(&target, &task).await {
                Ok(c) => c,
                Err(e) => {
                    // Not read: not ready to cut over; the session fails over the target
                    // too, and the next one reads them.
                    tracing::warn!(target: "tugboat::cdc", "{e}");
                    return;
                }
            };
            if let Ok(mut p) = progress.lock() {
                p.read = true;
                p.pending = checks.len() as u64;
            }
            if checks.is_empty() {
                return;
            }
            events(TaskEvent::Step(format!(
                "replication has caught up: checking {} constraint{} the full load left for now",
                checks.len(),
                if checks.len() == 1 { "" } else { "s" }
            )));
            let (mut held, mut failed) = (0, 0);
            for (seq, c) in checks {
                let e = target.endpoint.engine;
                let key = format!("task = {} AND seq = {seq}", text_literal(e, &task));
                let outcome = match target.execute(&c.statement).await {
                    Ok(_) => Ok(()),
                    Err(x) if c.kind == Kind::Retry && already_exists(&x) => Ok(()),
                    // The target does not answer: not a fault of the rows. The check stays
                    // pending (the session fails over this too, and the next one runs it).
                    Err(x) if x.as_database_error().is_none() => {
                        tracing::warn!(target: "tugboat::cdc", "checking {}: {x}", c.object);
                        return;
                    }
                    Err(x) => Err(server_words(&x)),
                };
                let update = match &outcome {
                    Ok(()) => {
                        held += 1;
                        format!("DELETE FROM {TABLE} WHERE {key}")
                    }
                    Err(why) => {
                        failed += 1;
                        let m = failure(&c, why);
                        tracing::warn!(target: "tugboat::cdc", "{m}");
                        if let Ok(mut p) = progress.lock() {
                            p.failures.push(m);
                        }
                        format!(
                            "UPDATE {TABLE} SET error = {} WHERE {key}",
                            text_literal(e, why)
                        )
                    }
                };
                // (Not recorded: run again next time, with the same outcome.)
                crate::error::logged("recording a deferred check's outcome", target.execute(&update).await);
                if let Ok(mut p) = progress.lock() {
                    p.pending = p.pending.saturating_sub(1);
                }
            }
            events(TaskEvent::Step(format!(
                "constraints checked: {held} hold{}",
                match failed {
                    0 => String::new(),
                    n => format!(
                        ", {n} do not (kept, and checked again when the task next catches up)"
                    ),
                }
            )));
        }.in_current_span()));
    }

    /// Stops checks still running (a validation in progress is rolled back, and runs again
    /// next session).
    pub fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The server's message, with PostgreSQL's detail (which row, which key).
fn server_words(e: &sqlx::Error) -> String {
    let Some(d) = e.as_database_error() else {
        return e.to_string();
    };
    let detail = d
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|p| p.detail());
    match detail {
        Some(x) => format!("{} ({})", d.message(), x.trim_end_matches('.')),
        None => d.message().to_string(),
    }
}

/// What a failed check means, and what to do.
fn failure(c: &Check, why: &str) -> String {
    match c.kind {
        Kind::Validate => format!(
            "{} does not hold for rows on the target: {why}; it stays NOT VALID (new rows are checked); fix those rows on the source and it is validated when the task next catches up, or run {} on the target",
            c.object, c.statement
        ),
        Kind::Retry => format!(
            "{} is still not created: {why}; fix the rows on the source and it is created when the task next catches up, or run it on the target: {}",
            c.object, c.statement
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_key_as_converted_is_validated_by_name() {
        assert_eq!(
            validate_statement(
                "ALTER TABLE \"s\".\"film actor\" ADD CONSTRAINT \"fk_film\" FOREIGN KEY (\"film_id\") REFERENCES \"s\".\"film\" (\"film_id\") ON UPDATE CASCADE ON DELETE NO ACTION"
            )
            .as_deref(),
            Some("ALTER TABLE \"s\".\"film actor\" VALIDATE CONSTRAINT \"fk_film\"")
        );
        assert_eq!(
            validate_statement("ALTER TABLE \"s\".\"t\" ADD CONSTRAINT \"u\" UNIQUE (\"a\")"),
            None
        );
        assert_eq!(
            validate_statement("CREATE INDEX \"i\" ON \"s\".\"t\" (\"a\")"),
            None
        );
    }
}
