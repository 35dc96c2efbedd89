//! The journal of a switch (`tugboat_cutover` on the task's target): each step with when it
//! started, how long it took, what it found and the value a later run must reuse (the source's
//! position at the switch, the reverse task's start, how the source was made read-only). A
//! switch killed anywhere reads it and goes on; a finished switch is recorded as its last step.

use std::time::Duration;

use crate::endpoints::Connection;
use crate::engines::values::text_literal;
use crate::error::Result;

pub const JOURNAL: &str = "tugboat_cutover";

/// A step of a switch, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Readiness,
    StopWrites,
    SourcePosition,
    CatchUp,
    Validate,
    Counters,
    ReversePosition,
    Switched,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Readiness,
        Step::StopWrites,
        Step::SourcePosition,
        Step::CatchUp,
        Step::Validate,
        Step::Counters,
        Step::ReversePosition,
        Step::Switched,
    ];

    /// The key the journal keeps it under.
    pub fn key(self) -> &'static str {
        match self {
            Step::Readiness => "readiness",
            Step::StopWrites => "stop-writes",
            Step::SourcePosition => "source-position",
            Step::CatchUp => "catch-up",
            Step::Validate => "validate",
            Step::Counters => "counters",
            Step::ReversePosition => "reverse-position",
            Step::Switched => "switched",
        }
    }

    /// What it is, for people.
    pub fn label(self) -> &'static str {
        match self {
            Step::Readiness => "readiness",
            Step::StopWrites => "writes stopped on the source",
            Step::SourcePosition => "the source's position at the switch",
            Step::CatchUp => "every change up to it applied",
            Step::Validate => "checksums equal",
            Step::Counters => "counters set past the rows",
            Step::ReversePosition => "the reverse task's start",
            Step::Switched => "switched",
        }
    }

    fn of_key(k: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.key() == k)
    }
}

/// A step as the journal holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub step: Step,
    /// Finished (a step started and never finished was interrupted).
    pub done: bool,
    pub seconds: f64,
    pub detail: String,
    /// What a later run reuses (a position, an undo statement).
    pub value: String,
}

async fn ensure(conn: &Connection) -> Result<()> {
    conn.query(
        &format!("creating {JOURNAL}"),
        &format!(
            "CREATE TABLE IF NOT EXISTS {JOURNAL} (task varchar(200) NOT NULL, step varchar(40) NOT NULL, done integer NOT NULL, seconds double precision NOT NULL, detail text NOT NULL, value text NOT NULL, at varchar(40) NOT NULL, PRIMARY KEY (task, step))"
        ),
    )
    .await?;
    Ok(())
}

/// The journal of `task`'s switch, in step order.
pub async fn read(conn: &Connection, task: &str) -> Result<Vec<Entry>> {
    ensure(conn).await?;
    let rows = conn
        .query(
            &format!("reading {JOURNAL}"),
            &format!(
                "SELECT step, done, seconds, detail, value FROM {JOURNAL} WHERE task = {}",
                text_literal(conn.endpoint.engine, task)
            ),
        )
        .await?;
    let mut out: Vec<Entry> = rows
        .iter()
        .filter_map(|r| {
            Some(Entry {
                step: Step::of_key(&r.s("step"))?,
                done: r.i64("done").unwrap_or(0) != 0,
                seconds: r.s("seconds").parse().unwrap_or(0.0),
                detail: r.s("detail"),
                value: r.s("value"),
            })
        })
        .collect();
    out.sort_by_key(|e| e.step);
    Ok(out)
}

/// Records `step` of `task` (replacing what was there).
pub async fn write(
    conn: &Connection,
    task: &str,
    step: Step,
    done: bool,
    took: Duration,
    detail: &str,
    value: &str,
) -> Result<()> {
    ensure(conn).await?;
    let lit = |s: &str| text_literal(conn.endpoint.engine, s);
    let sql = format!(
        "DELETE FROM {JOURNAL} WHERE task = {t} AND step = {s};\nINSERT INTO {JOURNAL} (task, step, done, seconds, detail, value, at) VALUES ({t}, {s}, {}, {}, {}, {}, {})",
        i32::from(done),
        took.as_secs_f64(),
        lit(detail),
        lit(value),
        lit(&crate::tasks::state::now()),
        t = lit(task),
        s = lit(step.key()),
    );
    conn.execute_in_transaction(&sql)
        .await
        .map_err(|e| crate::engines::change::query_error(conn, &format!("writing {JOURNAL}"), e))?;
    Ok(())
}

/// Forgets `task`'s journal (its switch is over and the other direction is now current).
pub async fn clear(conn: &Connection, task: &str) -> Result<()> {
    ensure(conn).await?;
    conn.query(
        &format!("clearing {JOURNAL}"),
        &format!(
            "DELETE FROM {JOURNAL} WHERE task = {}",
            text_literal(conn.endpoint.engine, task)
        ),
    )
    .await?;
    Ok(())
}
