//! SQLite rows read on a thread of their own through rusqlite (the same bundled SQLite that
//! sqlx builds), sent on in batches: sqlx hands each row of a SQLite query from its worker
//! thread to the async side one by one, and that hand-over cost more than SQLite's own work
//! (a table read back for its validation: a wake-up per row, each value copied twice).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::engines::rows::{RawRows, Rows};
use crate::error::DbFailure;

/// A SELECT of `n` columns read from the SQLite file at `path` in one read transaction.
pub struct FileRead {
    pub path: PathBuf,
    pub sql: String,
    pub n: usize,
    /// Rows a batch holds at most; a batch is sent sooner once it holds `max_bytes`.
    pub batch: usize,
    pub max_bytes: usize,
    /// How long a read waits for a writer's lock.
    pub busy: Duration,
}

/// Runs `r` on a blocking thread, sending its rows on `tx` in batches; stops early when
/// `cancel` is set or the receiver is gone.
pub async fn read<T: From<Rows> + Send + 'static>(
    r: FileRead,
    tx: tokio::sync::mpsc::Sender<T>,
    cancel: Arc<AtomicBool>,
) -> Result<(), DbFailure> {
    tokio::task::spawn_blocking(move || read_blocking(&r, &tx, &cancel))
        .await
        .map_err(|e| DbFailure::from(format!("the SQLite reader stopped: {e}")))?
}

fn read_blocking<T: From<Rows>>(
    r: &FileRead,
    tx: &tokio::sync::mpsc::Sender<T>,
    cancel: &AtomicBool,
) -> Result<(), DbFailure> {
    let failed = |e: rusqlite::Error| DbFailure::from(e.to_string());
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(&r.path, flags).map_err(failed)?;
    conn.busy_timeout(r.busy).map_err(failed)?;
    conn.execute_batch("BEGIN").map_err(failed)?;
    let mut stmt = conn.prepare(&r.sql).map_err(failed)?;
    if stmt.column_count() != r.n {
        return Err(DbFailure::from(format!(
            "the query reads {} columns, not {}",
            stmt.column_count(),
            r.n
        )));
    }
    let mut rows = stmt.query([]).map_err(failed)?;
    let mut buf = RawRows::new(r.n, r.batch);
    let mut text = String::new();
    while let Some(row) = rows.next().map_err(failed)? {
        for i in 0..r.n {
            use rusqlite::types::ValueRef;
            match row.get_ref(i).map_err(failed)? {
                ValueRef::Null => buf.push_bytes(None),
                ValueRef::Text(t) | ValueRef::Blob(t) => buf.push_bytes(Some(t)),
                ValueRef::Integer(x) => {
                    text.clear();
                    text.push_str(&x.to_string());
                    buf.push_bytes(Some(text.as_bytes()));
                }
                ValueRef::Real(x) => {
                    text.clear();
                    text.push_str(&x.to_string());
                    buf.push_bytes(Some(text.as_bytes()));
                }
            }
        }
        if buf.len() >= r.batch || buf.bytes() >= r.max_bytes {
            if cancel.load(Ordering::Relaxed) {
                return Ok(());
            }
            let full = std::mem::replace(&mut buf, RawRows::new(r.n, r.batch));
            if tx.blocking_send(full.finish()?.into()).is_err() {
                return Ok(());
            }
        }
    }
    if !buf.is_empty() && tx.blocking_send(buf.finish()?.into()).is_err() {
        return Ok(());
    }
    Ok(())
}
