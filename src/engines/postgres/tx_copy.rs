//! A COPY into PostgreSQL inside a transaction of its own, ended by a statement that commits
//! with its rows or not at all (a slice's record: a run that stops never finds a slice's rows
//! without its record, nor its record without its rows). sqlx's COPY borrows its connection,
//! so one task holds both: the writer hands it the bytes to send through a channel.

use sqlx::postgres::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::error::DbFailure;

type Reply = oneshot::Sender<Result<(), DbFailure>>;

enum Msg {
    Data(Vec<u8>),
    /// Ends the COPY, runs the statement (none when empty) and commits; the outcome sent back.
    Commit(String, Reply),
}

/// A COPY in its own transaction, fed from the writer.
pub struct TxCopy {
    tx: mpsc::Sender<Msg>,
    /// Taken once awaited (an ended task cannot be awaited twice).
    task: Option<tokio::task::JoinHandle<Result<(), DbFailure>>>,
}

impl TxCopy {
    /// Begins a transaction on a connection of `pool` and `copy_sql` in it.
    pub fn start(pool: &PgPool, copy_sql: String) -> TxCopy {
        let (tx, rx) = mpsc::channel(2);
        let pool = pool.clone();
        let task = tokio::spawn(async move { in_transaction(&pool, &copy_sql, rx).await });
        TxCopy {
            tx,
            task: Some(task),
        }
    }

    /// Sends `data` (COPY's bytes).
    pub async fn send(&mut self, data: Vec<u8>) -> Result<(), DbFailure> {
        if self.tx.send(Msg::Data(data)).await.is_err() {
            return Err(self.ended().await);
        }
        Ok(())
    }

    /// Ends the COPY, runs `statement` in its transaction and commits.
    pub async fn commit(mut self, statement: String) -> Result<(), DbFailure> {
        let (reply, outcome) = oneshot::channel();
        if self.tx.send(Msg::Commit(statement, reply)).await.is_err() {
            return Err(self.ended().await);
        }
        match outcome.await {
            Ok(r) => r,
            Err(_) => Err(self.ended().await),
        }
    }

    /// Stops the COPY: nothing of it is kept.
    pub async fn abort(mut self) {
        drop(self.tx);
        let Some(task) = self.task.take() else {
            return;
        };
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!(target: "tugboat::tasks", "ending the interrupted COPY: {e}")
            }
            Err(e) => tracing::debug!(target: "tugboat::tasks", "ending the interrupted COPY: {e}"),
        }
    }

    /// Why the task holding the COPY ended early.
    async fn ended(&mut self) -> DbFailure {
        let Some(task) = self.task.take() else {
            return "the COPY had already ended".into();
        };
        match task.await {
            Ok(Err(e)) => e,
            Ok(Ok(())) => "the COPY ended before its rows did".into(),
            Err(e) => format!("the COPY's task failed: {e}").into(),
        }
    }
}

/// The task: BEGIN, the COPY fed from `rx`, then COMMIT with the statement asked for; a
/// ROLLBACK when the writer goes away first or the statement fails (the connection closed
/// when even that fails, never given back in a transaction). After a COPY that failed the
/// connection is closed, not rolled back: sqlx's abort may leave the server's last reply
/// unread, and the next query on the connection would read it (the server rolls back the
/// transaction of a connection that closes).
async fn in_transaction(
    pool: &PgPool,
    copy_sql: &str,
    mut rx: mpsc::Receiver<Msg>,
) -> Result<(), DbFailure> {
    let mut conn = pool.acquire().await?;
    sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
    let copied = copy(&mut conn, copy_sql, &mut rx).await;
    let (statement, reply) = match copied {
        Ok(Some(end)) => end,
        Ok(None) => return rollback(conn).await,
        Err(e) => {
            conn.close_on_drop();
            return Err(e);
        }
    };
    let committed = async {
        if !statement.is_empty() {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut *conn)
                .await?;
        }
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
        Ok::<_, DbFailure>(())
    }
    .await;
    if committed.is_err()
        && let Err(x) = rollback(conn).await
    {
        tracing::debug!(target: "tugboat::tasks", "rolling back a COPY not committed: {x}");
    }
    // (The writer waits for this: it cannot have gone.)
    reply.send(committed).ok();
    Ok(())
}

/// The COPY, fed until the writer asks to commit (what it asks, the COPY finished) or goes
/// away (None, the COPY aborted).
async fn copy(
    conn: &mut sqlx::PgConnection,
    copy_sql: &str,
    rx: &mut mpsc::Receiver<Msg>,
) -> Result<Option<(String, Reply)>, DbFailure> {
    let mut copy = conn.copy_in_raw(copy_sql).await?;
    while let Some(m) = rx.recv().await {
        match m {
            Msg::Data(d) => {
                copy.send(d).await?;
            }
            Msg::Commit(statement, reply) => {
                copy.finish().await?;
                return Ok(Some((statement, reply)));
            }
        }
    }
    copy.abort("the load stopped").await?;
    Ok(None)
}

/// Rolls the connection's transaction back; closes the connection when that fails.
async fn rollback(mut conn: sqlx::pool::PoolConnection<sqlx::Postgres>) -> Result<(), DbFailure> {
    if let Err(e) = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await {
        conn.close_on_drop();
        return Err(e.into());
    }
    Ok(())
}
