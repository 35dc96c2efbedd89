//! A COPY into PostgreSQL inside a transaction of its own, ended by a statement that commits
//! with its rows or not at all (a slice's record: a run that stops never finds a slice's rows
//! without its record, nor its record without its rows). sqlx's COPY borrows its connection,
//! so one task holds both: the writer hands it the bytes to send through a channel.

use sqlx::postgres::PgPool;
use tokio::sync::mpsc;

use crate::error::DbFailure;

enum Msg {
    Data(Vec<u8>),
    /// Ends the COPY, runs the statement (none when empty) and commits.
    Commit(String),
}

/// A COPY in its own transaction, fed from the writer. The task holding it ends with whether
/// it committed (false: the writer went away first and it rolled back) or why it failed.
pub struct TxCopy {
    tx: mpsc::Sender<Msg>,
    /// Taken once awaited (an ended task cannot be awaited twice).
    task: Option<tokio::task::JoinHandle<Result<bool, DbFailure>>>,
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
            return Err(self.ended().await.err().unwrap_or_else(early));
        }
        Ok(())
    }

    /// Ends the COPY, runs `statement` in its transaction and commits.
    pub async fn commit(mut self, statement: String) -> Result<(), DbFailure> {
        // (A send refused: the task ended already, and says why below.)
        self.tx.send(Msg::Commit(statement)).await.ok();
        if self.ended().await? {
            Ok(())
        } else {
            Err(early())
        }
    }

    /// Stops the COPY: nothing of it is kept.
    pub async fn abort(mut self) {
        drop(self.tx);
        if let Some(task) = self.task.take()
            && let Err(e) = join(task).await
        {
            tracing::debug!(target: "tugboat::tasks", "ending the interrupted COPY: {e}");
        }
    }

    /// How the task holding the COPY ended.
    async fn ended(&mut self) -> Result<bool, DbFailure> {
        match self.task.take() {
            Some(task) => join(task).await,
            None => Err("the COPY had already ended".into()),
        }
    }
}

/// What a task ending early without an error means to the writer.
fn early() -> DbFailure {
    "the COPY ended before its rows did".into()
}

/// The outcome of the task holding the COPY.
async fn join(task: tokio::task::JoinHandle<Result<bool, DbFailure>>) -> Result<bool, DbFailure> {
    task.await
        .unwrap_or_else(|e| Err(format!("the COPY's task failed: {e}").into()))
}

/// The task: BEGIN, the COPY fed from `rx`, then COMMIT with the statement asked for (true);
/// a ROLLBACK when the writer goes away first (false) or the statement fails (the connection
/// closed when even that fails, never given back in a transaction). After a COPY that failed
/// the connection is closed, not rolled back: sqlx's abort may leave the server's last reply
/// unread, and the next query on the connection would read it (the server rolls back the
/// transaction of a connection that closes).
async fn in_transaction(
    pool: &PgPool,
    copy_sql: &str,
    mut rx: mpsc::Receiver<Msg>,
) -> Result<bool, DbFailure> {
    let mut conn = pool.acquire().await?;
    sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
    let statement = match copy(&mut conn, copy_sql, &mut rx).await {
        Ok(Some(statement)) => statement,
        Ok(None) => return rollback(conn).await.map(|()| false),
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
        Ok::<_, DbFailure>(true)
    }
    .await;
    if committed.is_err()
        && let Err(x) = rollback(conn).await
    {
        tracing::debug!(target: "tugboat::tasks", "rolling back a COPY not committed: {x}");
    }
    committed
}

/// The COPY, fed until the writer asks to commit (the statement it asks for, the COPY
/// finished) or goes away (None, the COPY aborted).
async fn copy(
    conn: &mut sqlx::PgConnection,
    copy_sql: &str,
    rx: &mut mpsc::Receiver<Msg>,
) -> Result<Option<String>, DbFailure> {
    let mut copy = conn.copy_in_raw(copy_sql).await?;
    while let Some(m) = rx.recv().await {
        match m {
            Msg::Data(d) => {
                copy.send(d).await?;
            }
            Msg::Commit(statement) => {
                copy.finish().await?;
                return Ok(Some(statement));
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
