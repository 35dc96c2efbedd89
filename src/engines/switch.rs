//! What a cut-over asks of an engine: the lock that says a task is running (and keeps a second
//! run of it out), making a database refuse the application's writes and undoing that, and the
//! counters (sequences, identities, AUTO_INCREMENT) that must move past the rows replication
//! brought, since replication carries rows, not counter positions.

use async_trait::async_trait;

use crate::endpoints::{Connection, session::Session};
use crate::error::Result;

/// A task's lock on its target, held while this lives: the session holding it (closed when
/// dropped, which releases it), or the lock file of a SQLite database.
pub struct TaskLock {
    _session: Option<Session>,
    _file: Option<std::fs::File>,
}

impl TaskLock {
    pub(crate) fn session(mut s: Session) -> TaskLock {
        s.close_on_drop();
        TaskLock {
            _session: Some(s),
            _file: None,
        }
    }

    /// No lock to hold (a database no other process can open).
    pub(crate) fn none() -> TaskLock {
        TaskLock {
            _session: None,
            _file: None,
        }
    }

    pub(crate) fn file(f: std::fs::File) -> TaskLock {
        TaskLock {
            _session: None,
            _file: Some(f),
        }
    }
}

/// What making a database read-only did, in words for the journal and the user, and how to
/// undo it by hand.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOnly {
    pub done: String,
    pub undo: String,
}

/// A counter of the connected database: a column's sequence, identity or AUTO_INCREMENT, or a
/// sequence no column owns.
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    pub schema: String,
    /// The table whose column draws from it; empty for a sequence no column owns.
    pub table: String,
    /// The column; empty for a sequence no column owns.
    pub column: String,
    /// The sequence's name (unquoted), where the counter is one; empty for AUTO_INCREMENT.
    pub sequence: String,
    /// The schema the sequence is in (a column's sequence may be in another schema than its
    /// table).
    pub sequence_schema: String,
    /// The value it gives next.
    pub next: i64,
}

impl Counter {
    /// `schema.table.column`, or `schema.sequence` for a sequence no column owns.
    pub fn label(&self) -> String {
        if self.table.is_empty() {
            format!("{}.{}", self.schema, self.sequence)
        } else {
            format!("{}.{}.{}", self.schema, self.table, self.column)
        }
    }
}

/// An engine's side of a cut-over.
#[async_trait]
pub trait Switch: Send + Sync {
    /// Takes `task`'s lock on this database without waiting: None when another session (a
    /// run of the task elsewhere) holds it.
    async fn task_lock(&self, conn: &Connection, task: &str) -> Result<Option<TaskLock>>;

    /// Makes the connected database refuse the application's writes (replication's own
    /// sessions still write), and says what was done and how to undo it.
    async fn make_read_only(&self, conn: &Connection) -> Result<ReadOnly>;

    /// Undoes [`Self::make_read_only`].
    async fn undo_read_only(&self, conn: &Connection) -> Result<()>;

    /// Whether the connected database refuses the application's writes now.
    async fn is_read_only(&self, conn: &Connection) -> Result<bool>;

    /// The counters of the tables in `schemas` (and the sequences there no column owns).
    async fn counters(&self, conn: &Connection, schemas: &[String]) -> Result<Vec<Counter>>;

    /// Moves `c` so that it gives `next` next (never lower than it gives now).
    async fn set_counter(&self, conn: &Connection, c: &Counter, next: i64) -> Result<()>;
}

/// Takes a lock with `sql` (which gives 1 when it got the lock) on a session of its own, kept
/// while the lock is held: the session-level locks of PostgreSQL and MySQL.
pub(crate) async fn session_lock(conn: &Connection, sql: String) -> Result<Option<TaskLock>> {
    let ctx = "taking the task's lock";
    let failed = |e| crate::engines::change::query_error(conn, ctx, e);
    let mut s = conn.pool.session().await.map_err(failed)?;
    let got = s.fetch_i64(sql).await.map_err(failed)?;
    Ok((got == Some(1)).then(|| TaskLock::session(s)))
}

/// The part of a lock file's name that names `task`: letters, digits, `-` and `_` kept, any
/// other character written as its code.
pub fn file_safe(task: &str) -> String {
    task.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_string()
            } else {
                format!("%{:x}", c as u32)
            }
        })
        .collect()
}
