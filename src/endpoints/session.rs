//! One pooled connection held for a run of writes (a table's load, the changes a replication
//! applies), whatever the engine: statements run on it in order, and it can be closed instead
//! of going back to the pool when its session settings must not leak to other users.

use futures_util::StreamExt as _;
use sqlx::pool::PoolConnection;

use super::connect::Pool;

/// A connection taken from an endpoint's pool.
pub enum Session {
    Postgres(PoolConnection<sqlx::Postgres>),
    MySql(PoolConnection<sqlx::MySql>),
    Sqlite(PoolConnection<sqlx::Sqlite>),
}

impl Pool {
    /// Takes a connection from the pool for a run of writes.
    pub async fn session(&self) -> Result<Session, sqlx::Error> {
        Ok(match self {
            Pool::Postgres(p) => Session::Postgres(p.acquire().await?),
            Pool::MySql(p) => Session::MySql(p.acquire().await?),
            Pool::Sqlite(p) => Session::Sqlite(p.acquire().await?),
        })
    }
}

impl Session {
    /// Runs `sql` (one or more statements); the rows each one affected, in order.
    pub async fn run(&mut self, sql: String) -> Result<Vec<u64>, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql);
        let mut out = vec![];
        macro_rules! collect {
            ($c:expr) => {{
                let mut s = sqlx::raw_sql(sql).execute_many(&mut **$c);
                while let Some(r) = s.next().await {
                    out.push(r?.rows_affected());
                }
            }};
        }
        match self {
            Session::Postgres(c) => collect!(c),
            Session::MySql(c) => collect!(c),
            Session::Sqlite(c) => collect!(c),
        }
        Ok(out)
    }

    /// The integer one query returns (its first row's first column), or None for no row or
    /// NULL.
    pub async fn fetch_i64(&mut self, sql: String) -> Result<Option<i64>, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql);
        Ok(match self {
            Session::Postgres(c) => {
                sqlx::query_scalar::<_, Option<i64>>(sql)
                    .fetch_optional(&mut **c)
                    .await?
            }
            Session::MySql(c) => {
                sqlx::query_scalar::<_, Option<i64>>(sql)
                    .fetch_optional(&mut **c)
                    .await?
            }
            Session::Sqlite(c) => {
                sqlx::query_scalar::<_, Option<i64>>(sql)
                    .fetch_optional(&mut **c)
                    .await?
            }
        }
        .flatten())
    }

    /// Runs one statement (or a script) written in the program, not built from values.
    pub async fn execute(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self {
            Session::Postgres(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(drop),
            Session::MySql(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(drop),
            Session::Sqlite(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(drop),
        }
    }

    /// The connection will be closed when dropped, not given back to the pool (its session
    /// settings must not reach the pool's other users).
    pub fn close_on_drop(&mut self) {
        match self {
            Session::Postgres(c) => c.close_on_drop(),
            Session::MySql(c) => c.close_on_drop(),
            Session::Sqlite(c) => c.close_on_drop(),
        }
    }

    /// Closes the connection now instead of giving it back to the pool.
    pub fn discard(self) {
        match self {
            Session::Postgres(c) => drop(c.detach()),
            Session::MySql(c) => drop(c.detach()),
            Session::Sqlite(c) => drop(c.detach()),
        }
    }
}
