//! Opening connections to an endpoint, classifying failures, and the connection test.
//!
//! Every engine is reached through sqlx. Catalog queries go through [`Connection::query_text`],
//! which returns every value as text whatever the engine's wire types, so discovery code reads
//! the same way for all engines.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Column as _, ConnectOptions, Connection as _};

use super::secrets::{PasswordSource, resolve_password};
use super::{Endpoint, Engine, Password, Role, TlsMode};
use crate::error::{ConnectFailure, Error, Result};

/// An open connection pool to one endpoint.
#[derive(Clone, Debug)]
pub enum Pool {
    Postgres(PgPool),
    MySql(MySqlPool),
    Sqlite(SqlitePool),
}

/// Called with the context of each query a [`Connection`] runs ("reading columns"...), so long
/// work can show what it is doing.
pub type StepObserver = Arc<dyn Fn(&str) + Send + Sync>;

/// A connected endpoint: the pool plus what is needed to name it in messages.
#[derive(Clone)]
pub struct Connection {
    pub endpoint: Endpoint,
    pub pool: Pool,
    observer: Option<StepObserver>,
    /// Kept for connections a pool cannot give (the binary log reader); never printed.
    password: Option<Password>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint.label())
            .finish()
    }
}

/// One result row with every value as text (NULL as `None`), addressed by column name.
#[derive(Debug, Clone)]
pub struct TextRow {
    columns: Arc<[String]>,
    values: Vec<Option<String>>,
}

impl TextRow {
    /// The value of a column (case-insensitive name); `None` for NULL or a missing column.
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = self
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))?;
        self.values.get(i)?.as_deref()
    }
    pub fn at(&self, i: usize) -> Option<&str> {
        self.values.get(i)?.as_deref()
    }
    /// Values in the row.
    pub fn len(&self) -> usize {
        self.values.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// The value, or an empty string for NULL.
    pub fn s(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }
    pub fn opt(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }
    /// The value as a non-empty string, or None.
    pub fn nonempty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|s| !s.is_empty()).map(str::to_string)
    }
    pub fn i64(&self, name: &str) -> Option<i64> {
        let v = self.get(name)?.trim();
        v.parse::<i64>()
            .ok()
            .or_else(|| v.parse::<f64>().ok().map(|f| f as i64))
    }
    pub fn u32(&self, name: &str) -> Option<u32> {
        self.i64(name).and_then(|v| u32::try_from(v).ok())
    }
    /// True for `1`, `t`, `true`, `yes`, `y`, `on`.
    pub fn bool(&self, name: &str) -> bool {
        matches!(
            self.get(name)
                .map(|v| v.trim().to_ascii_lowercase())
                .as_deref(),
            Some("1" | "t" | "true" | "yes" | "y" | "on")
        )
    }
}

fn text_rows<R>(rows: Vec<R>) -> Vec<TextRow>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database>,
{
    let Some(first) = rows.first() else {
        return vec![];
    };
    let columns: Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    rows.into_iter()
        .map(|row| {
            let values = (0..columns.len())
                .map(|i| match row.try_get_unchecked::<Option<String>, _>(i) {
                    Ok(v) => v,
                    Err(_) => row
                        .try_get_unchecked::<Option<Vec<u8>>, _>(i)
                        .ok()
                        .flatten()
                        .map(|b| String::from_utf8_lossy(&b).into_owned()),
                })
                .collect();
            TextRow {
                columns: columns.clone(),
                values,
            }
        })
        .collect()
}

/// Connections per server pool (opened as needed): a task runs up to 16 copies, validations
/// and control-table updates at once.
const MAX_CONNECTIONS: u32 = 24;

impl Connection {
    /// Connects, waiting at most the endpoint's connect timeout. `session_password` is a password
    /// typed or given for this session; otherwise the usual sources are searched.
    pub async fn open(
        endpoint: &Endpoint,
        session_password: Option<Password>,
    ) -> Result<Connection> {
        endpoint.validate()?;
        let (password, source) = resolve_password(endpoint, session_password);
        let timeout = endpoint.connect_timeout();
        let fail = |failure, message: String| Error::Connect {
            endpoint: endpoint.label(),
            failure,
            message,
        };
        let pool = match endpoint.engine {
            Engine::Parquet => {
                return Err(Error::InvalidEndpoint {
                    endpoint: endpoint.label(),
                    reason: "a Parquet target is a folder of files, not a database: tasks write it (tugboat migrate, tugboat run, the app's Tasks); it takes no schema, no query".into(),
                });
            }
            Engine::Postgres => {
                let mut o = PgConnectOptions::new_without_pgpass()
                    .host(&endpoint.host)
                    .port(endpoint.port)
                    .username(&endpoint.user)
                    .ssl_mode(match endpoint.tls {
                        TlsMode::Disable => PgSslMode::Disable,
                        TlsMode::Prefer => PgSslMode::Prefer,
                        TlsMode::Require => PgSslMode::Require,
                        TlsMode::VerifyCa => PgSslMode::VerifyCa,
                        TlsMode::VerifyFull => PgSslMode::VerifyFull,
                    })
                    .application_name("tugboat");
                if !endpoint.database.is_empty() {
                    o = o.database(&endpoint.database);
                }
                // A database a cut-over made read-only for the application still takes what
                // Tugboat writes to it (the changes replicated back, its bookkeeping) and still
                // gives its changes to a task reading its slot.
                o = o.options([("default_transaction_read_only", "off")]);
                if let Some(p) = &password {
                    o = o.password(p.expose());
                }
                if let Some(ca) = &endpoint.ca_file {
                    o = o.ssl_root_cert(ca);
                }
                first_connection(endpoint, &o, &source, password.is_some()).await?;
                Pool::Postgres(
                    PgPoolOptions::new()
                        .max_connections(MAX_CONNECTIONS)
                        .acquire_timeout(timeout)
                        .connect_lazy_with(o),
                )
            }
            Engine::MySql | Engine::MariaDb => {
                let mut o = MySqlConnectOptions::new()
                    .host(&endpoint.host)
                    .port(endpoint.port)
                    .username(&endpoint.user)
                    .ssl_mode(match endpoint.tls {
                        TlsMode::Disable => MySqlSslMode::Disabled,
                        TlsMode::Prefer => MySqlSslMode::Preferred,
                        TlsMode::Require => MySqlSslMode::Required,
                        TlsMode::VerifyCa => MySqlSslMode::VerifyCa,
                        TlsMode::VerifyFull => MySqlSslMode::VerifyIdentity,
                    })
                    .charset("utf8mb4");
                if !endpoint.database.is_empty() {
                    o = o.database(&endpoint.database);
                }
                if let Some(p) = &password {
                    o = o.password(p.expose());
                }
                if let Some(ca) = &endpoint.ca_file {
                    o = o.ssl_ca(ca);
                }
                first_connection(endpoint, &o, &source, password.is_some()).await?;
                Pool::MySql(
                    MySqlPoolOptions::new()
                        .max_connections(MAX_CONNECTIONS)
                        .acquire_timeout(timeout)
                        .connect_lazy_with(o),
                )
            }
            Engine::Sqlite => {
                let path = std::path::Path::new(&endpoint.database);
                if endpoint.role == Role::Source && !path.exists() {
                    return Err(fail(
                        ConnectFailure::MissingFile,
                        format!(
                            "SQLite file {} does not exist (a source file is never created; check the path)",
                            path.display()
                        ),
                    ));
                }
                if path.is_dir() {
                    return Err(fail(
                        ConnectFailure::Other,
                        format!("{} is a directory, not a SQLite file", path.display()),
                    ));
                }
                let o = SqliteConnectOptions::new()
                    .filename(path)
                    .read_only(endpoint.role == Role::Source)
                    .create_if_missing(endpoint.role == Role::Target)
                    .busy_timeout(timeout);
                let fut = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(timeout)
                    .connect_with(o);
                let pool = tokio::time::timeout(timeout, fut)
                    .await
                    .map_err(|_| {
                        fail(
                            ConnectFailure::Timeout,
                            format!("{} did not open in time", path.display()),
                        )
                    })?
                    .map_err(|e| classify(endpoint, &e, &source, false))?;
                let conn = Connection {
                    endpoint: endpoint.clone(),
                    pool: Pool::Sqlite(pool),
                    observer: None,
                    password: None,
                };
                // A file that is not a database only fails on first read: check now.
                conn.query_text("SELECT count(*) FROM sqlite_master")
                    .await
                    .map_err(|e| {
                        fail(
                            ConnectFailure::Other,
                            format!("{} is not a readable SQLite database: {e}", path.display()),
                        )
                    })?;
                return Ok(conn);
            }
        };
        tracing::debug!(target: "tugboat::endpoints", "connected to {}", endpoint.label());
        Ok(Connection {
            endpoint: endpoint.clone(),
            pool,
            observer: None,
            password,
        })
    }

    /// The same connection, reporting the context of each query to `observer`.
    pub fn observed(&self, observer: StepObserver) -> Connection {
        Connection {
            observer: Some(observer),
            ..self.clone()
        }
    }

    pub fn engine(&self) -> Engine {
        self.endpoint.engine
    }

    /// The password this connection was opened with, for a connection of another driver to
    /// the same server (the binary log reader).
    pub fn password(&self) -> Option<&Password> {
        self.password.as_ref()
    }

    /// Runs one SQL statement and returns its rows with every value as text.
    pub async fn query_text(&self, sql: &str) -> std::result::Result<Vec<TextRow>, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_string());
        Ok(match &self.pool {
            Pool::Postgres(p) => text_rows(sqlx::raw_sql(sql).fetch_all(p).await?),
            Pool::MySql(p) => text_rows(sqlx::raw_sql(sql).fetch_all(p).await?),
            Pool::Sqlite(p) => text_rows(sqlx::raw_sql(sql).fetch_all(p).await?),
        })
    }

    /// Times `n` round trips (`SELECT 1`) on one connection of the pool, held for all of them:
    /// the server's latency alone, not the pool's (a query through the pool may wait for a
    /// connection being returned, or open another).
    pub async fn round_trips(&self, n: usize) -> std::result::Result<Vec<Duration>, sqlx::Error> {
        let mut out = Vec::with_capacity(n);
        macro_rules! time_on {
            ($pool:expr) => {{
                let mut c = $pool.acquire().await?;
                for _ in 0..n {
                    let t = Instant::now();
                    sqlx::raw_sql(AssertSqlSafe("SELECT 1".to_string()))
                        .execute(&mut *c)
                        .await?;
                    out.push(t.elapsed());
                }
            }};
        }
        match &self.pool {
            Pool::Postgres(p) => time_on!(p),
            Pool::MySql(p) => time_on!(p),
            Pool::Sqlite(p) => time_on!(p),
        }
        Ok(out)
    }

    /// Runs one statement that returns no rows.
    pub async fn execute(&self, sql: &str) -> std::result::Result<u64, sqlx::Error> {
        if let Some(o) = &self.observer {
            o("executing");
        }
        let sql = AssertSqlSafe(sql.to_string());
        Ok(match &self.pool {
            Pool::Postgres(p) => sqlx::raw_sql(sql).execute(p).await?.rows_affected(),
            Pool::MySql(p) => sqlx::raw_sql(sql).execute(p).await?.rows_affected(),
            Pool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await?.rows_affected(),
        })
    }

    /// Runs `sql` (one or more statements) in one transaction on one connection: all of it is
    /// committed, or on error none of it (rolled back on that same connection).
    pub async fn execute_in_transaction(&self, sql: &str) -> std::result::Result<u64, sqlx::Error> {
        if let Some(o) = &self.observer {
            o("executing");
        }
        let sql = AssertSqlSafe(sql.to_string());
        Ok(match &self.pool {
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                let n = sqlx::raw_sql(sql).execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                n
            }
            Pool::MySql(p) => {
                let mut tx = p.begin().await?;
                let n = sqlx::raw_sql(sql).execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                n
            }
            Pool::Sqlite(p) => {
                let mut tx = p.begin().await?;
                let n = sqlx::raw_sql(sql).execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                n
            }
        })
    }

    /// Like [`Connection::query_text`], with failures turned into an error that names the endpoint
    /// and what was being done.
    pub async fn query(&self, context: &str, sql: &str) -> Result<Vec<TextRow>> {
        if let Some(o) = &self.observer {
            o(context);
        }
        self.query_text(sql)
            .await
            .map_err(|e| Error::query(self.endpoint.label(), context, &e))
    }

    /// The first value of the first row.
    pub async fn query_scalar(&self, context: &str, sql: &str) -> Result<Option<String>> {
        Ok(self
            .query(context, sql)
            .await?
            .first()
            .and_then(|r| r.at(0).map(str::to_string)))
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Postgres(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
        }
    }
}

/// Opens one connection directly (a pool would retry a refused connection until its timeout)
/// and reports the first failure precisely.
async fn first_connection<O>(
    endpoint: &Endpoint,
    options: &O,
    source: &PasswordSource,
    had_password: bool,
) -> Result<()>
where
    O: ConnectOptions,
    O::Connection: Sized,
{
    let conn = tokio::time::timeout(endpoint.connect_timeout(), options.connect())
        .await
        .map_err(|_| Error::Connect {
            endpoint: endpoint.label(),
            failure: ConnectFailure::Timeout,
            message: no_answer(endpoint),
        })?
        .map_err(|e| classify(endpoint, &e, source, had_password))?;
    crate::error::logged("closing the test connection", conn.close().await);
    Ok(())
}

fn no_answer(e: &Endpoint) -> String {
    format!(
        "no answer from {}:{} within {} s (check the host name, port, firewall or VPN; the timeout is configurable)",
        e.host, e.port, e.connect_timeout_secs
    )
}

/// Turns a driver error into a message that says what is wrong and what to check.
fn classify(
    endpoint: &Endpoint,
    err: &sqlx::Error,
    source: &PasswordSource,
    had_password: bool,
) -> Error {
    let (failure, message) = match err {
        sqlx::Error::Io(io) => {
            let text = io.to_string();
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                (
                    ConnectFailure::Refused,
                    format!(
                        "connection refused by {}:{}: is the server running and listening on that port?",
                        endpoint.host, endpoint.port
                    ),
                )
            } else if io.kind() == std::io::ErrorKind::TimedOut {
                (ConnectFailure::Timeout, no_answer(endpoint))
            } else if text.contains("lookup")
                || text.contains("resolve")
                || text.contains("Name or service")
            {
                (
                    ConnectFailure::UnknownHost,
                    format!("host name '{}' does not resolve ({text})", endpoint.host),
                )
            } else {
                (ConnectFailure::Other, format!("network error: {text}"))
            }
        }
        sqlx::Error::Tls(e) => (
            ConnectFailure::Tls,
            format!("TLS failed ({}): {e}", endpoint.tls.label()),
        ),
        sqlx::Error::PoolTimedOut => (ConnectFailure::Timeout, no_answer(endpoint)),
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            let number = db
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .map(|m| m.number());
            let msg = db.message().to_string();
            let auth = matches!(code.as_str(), "28P01" | "28000")
                || matches!(number, Some(1044 | 1045 | 1698));
            let unknown_db = code == "3D000" || number == Some(1049);
            if unknown_db {
                (
                    ConnectFailure::UnknownDatabase,
                    format!(
                        "database '{}' does not exist on {}:{} ({msg})",
                        endpoint.database, endpoint.host, endpoint.port
                    ),
                )
            } else if auth {
                let hint = match (had_password, source) {
                    (false, _) => "no password was found: type one, set the endpoint's password variable, or use ~/.pgpass / ~/.my.cnf".to_string(),
                    (true, PasswordSource::Session) => "the password given for this session was refused".to_string(),
                    (true, PasswordSource::EnvVar(v)) => format!("the password from ${v} was refused"),
                    (true, PasswordSource::PassFile(p)) => format!("the password from {} was refused", p.display()),
                    (true, PasswordSource::None) => String::new(),
                };
                (
                    ConnectFailure::Authentication,
                    format!(
                        "authentication failed for user '{}': {msg}; {hint}",
                        endpoint.user
                    ),
                )
            } else {
                (ConnectFailure::Other, format!("server error {code}: {msg}"))
            }
        }
        other => {
            let text = other.to_string();
            if text.contains("unable to open database file") || text.contains("code: 14") {
                (
                    ConnectFailure::MissingFile,
                    format!("cannot open SQLite file {}: {text}", endpoint.database),
                )
            } else {
                (ConnectFailure::Other, text)
            }
        }
    };
    Error::Connect {
        endpoint: endpoint.label(),
        failure,
        message,
    }
}

/// What a connection test found out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// PostgreSQL, MariaDB, MySQL, SQLite.
    pub product: String,
    /// Version number, e.g. `15.19`.
    pub version: String,
    /// The server's full version string.
    pub version_full: String,
    pub current_user: String,
    pub database: String,
    /// Time to open the connection.
    pub connect_ms: f64,
    /// Median round-trip of `SELECT 1` over five tries.
    pub latency_ms: f64,
    /// Whether the account can read the catalogs discovery needs.
    pub catalog_readable: bool,
    /// What the catalog check saw (tables visible, objects hidden by privileges).
    pub catalog_detail: String,
}

/// Connects and gathers [`ServerInfo`].
pub async fn test_connection(
    endpoint: &Endpoint,
    password: Option<Password>,
) -> Result<ServerInfo> {
    let started = Instant::now();
    let conn = Connection::open(endpoint, password).await?;
    let connect_ms = ms(started.elapsed());
    let info = server_info(&conn, connect_ms).await;
    conn.close().await;
    info
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

async fn server_info(conn: &Connection, connect_ms: f64) -> Result<ServerInfo> {
    let mut samples = conn
        .round_trips(5)
        .await
        .map_err(|e| Error::query(conn.endpoint.label(), "round-trip check", &e))?;
    samples.sort();
    let latency_ms = ms(samples[samples.len() / 2]);
    let ctx = "reading the server version";
    let info = match conn.engine() {
        Engine::Postgres => {
            let rows = conn
                .query(ctx, "SELECT version() AS full, current_setting('server_version') AS v, current_user AS u, current_database() AS d")
                .await?;
            let r = rows.first().cloned().ok_or_else(|| empty(conn, ctx))?;
            let check = conn
                .query_text(
                    "SELECT count(*) AS total, count(*) FILTER (WHERE NOT has_table_privilege(c.oid, 'SELECT')) AS hidden \
                     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     WHERE c.relkind IN ('r','p','v','m','f') AND n.nspname NOT IN ('pg_catalog','information_schema') \
                     AND n.nspname NOT LIKE 'pg_toast%'",
                )
                .await;
            let (readable, detail) = match check {
                Ok(rows) => {
                    let total = rows.first().and_then(|r| r.i64("total")).unwrap_or(0);
                    let hidden = rows.first().and_then(|r| r.i64("hidden")).unwrap_or(0);
                    let detail = if hidden > 0 {
                        format!(
                            "{total} tables and views in the catalog; {hidden} of them not readable (SELECT privilege missing)"
                        )
                    } else {
                        format!("{total} tables and views in the catalog, all readable")
                    };
                    (true, detail)
                }
                Err(e) => (false, format!("cannot read pg_catalog: {e}")),
            };
            let full = r.s("full");
            ServerInfo {
                product: "PostgreSQL".into(),
                version: r
                    .s("v")
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                version_full: full,
                current_user: r.s("u"),
                database: r.s("d"),
                connect_ms,
                latency_ms,
                catalog_readable: readable,
                catalog_detail: detail,
            }
        }
        Engine::MySql | Engine::MariaDb => {
            let rows = conn
                .query(ctx, "SELECT VERSION() AS v, @@version_comment AS c, CURRENT_USER() AS u, DATABASE() AS d")
                .await?;
            let r = rows.first().cloned().ok_or_else(|| empty(conn, ctx))?;
            let v = r.s("v");
            let product = if v.to_ascii_lowercase().contains("mariadb") {
                "MariaDB"
            } else {
                "MySQL"
            };
            let check = conn
                .query_text(
                    "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()) AS t, \
                     (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()) AS r, \
                     (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_DEFINITION IS NULL) AS hidden",
                )
                .await;
            let (readable, detail) = match check {
                Ok(rows) => {
                    let t = rows.first().and_then(|r| r.i64("t")).unwrap_or(0);
                    let routines = rows.first().and_then(|r| r.i64("r")).unwrap_or(0);
                    let hidden = rows.first().and_then(|r| r.i64("hidden")).unwrap_or(0);
                    let mut detail = format!(
                        "{t} tables and views, {routines} routines visible in information_schema"
                    );
                    if hidden > 0 {
                        detail.push_str(&format!("; {hidden} routine bodies hidden (grant SHOW ROUTINE or SELECT on mysql.proc)"));
                    }
                    (true, detail)
                }
                Err(e) => (false, format!("cannot read information_schema: {e}")),
            };
            ServerInfo {
                product: product.into(),
                version: v.split('-').next().unwrap_or_default().to_string(),
                version_full: format!("{v} ({})", r.s("c")),
                current_user: r.s("u"),
                database: r.s("d"),
                connect_ms,
                latency_ms,
                catalog_readable: readable,
                catalog_detail: detail,
            }
        }
        Engine::Sqlite | Engine::Parquet => {
            let v = conn
                .query_scalar(ctx, "SELECT sqlite_version()")
                .await?
                .unwrap_or_default();
            let n = conn
                .query_scalar(
                    "reading sqlite_master",
                    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
                )
                .await;
            let (readable, detail) = match n {
                Ok(n) => (
                    true,
                    format!("{} schema objects in sqlite_master", n.unwrap_or_default()),
                ),
                Err(e) => (false, e.to_string()),
            };
            ServerInfo {
                product: "SQLite".into(),
                version: v.clone(),
                version_full: format!("SQLite {v}"),
                current_user: std::env::var("USER").unwrap_or_else(|_| "(file access)".into()),
                database: conn.endpoint.database.clone(),
                connect_ms,
                latency_ms,
                catalog_readable: readable,
                catalog_detail: detail,
            }
        }
    };
    Ok(info)
}

fn empty(conn: &Connection, ctx: &str) -> Error {
    Error::Query {
        endpoint: conn.endpoint.label(),
        context: ctx.into(),
        message: "no row returned".into(),
        cause: crate::error::Cause::Statement,
    }
}
