//! The engine's error type: every failure names what was wrong (endpoint, object, file and line).

use std::path::PathBuf;

/// Why a connection attempt failed, so clients can show a precise hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConnectFailure {
    /// No answer within the connect timeout.
    Timeout,
    /// The host answered but nothing listens on the port.
    Refused,
    /// The host name does not resolve.
    UnknownHost,
    /// Wrong user or password, or the account may not log in from here.
    Authentication,
    /// The server has no database of that name.
    UnknownDatabase,
    /// TLS negotiation or certificate check failed.
    Tls,
    /// A SQLite file that does not exist (sources are never created).
    MissingFile,
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("malformed endpoint URL '{url}': {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error(
        "unknown engine '{scheme}' in '{url}': use postgres://, postgresql://, mysql://, mariadb:// or sqlite://"
    )]
    UnknownScheme { url: String, scheme: String },

    #[error("invalid endpoint '{endpoint}': {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },

    /// Bad settings that are not an endpoint's: table mappings, task settings.
    #[error("{what}: {reason}")]
    Invalid { what: String, reason: String },

    #[error("cannot connect to {endpoint}: {message}")]
    Connect {
        endpoint: String,
        failure: ConnectFailure,
        message: String,
    },

    #[error("{endpoint}: {context} failed: {message}")]
    Query {
        endpoint: String,
        context: String,
        message: String,
        /// Whether the connection failed or the statement: decided from the driver's error.
        cause: Cause,
    },

    #[error("{path}:{line}:{column}: {message}")]
    FileFormat {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

/// What a failed database call was stopped by, decided from the driver's typed error (its
/// kind, the SQLSTATE or the server's error number), never from its words: a retry is worth
/// it for the first, never for the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cause {
    /// The connection: lost, refused, closed, or none to be had (a pool closed or timed out),
    /// or the server shutting down or refusing new sessions for now.
    Connection,
    /// The statement: refused by the server for its data or the schema, or not a database's
    /// failure at all (a value that cannot be read).
    #[default]
    Statement,
    /// The statement: a row whose primary or unique key is already there.
    Duplicate,
}

impl Cause {
    /// The cause of an sqlx error.
    pub fn of(e: &sqlx::Error) -> Cause {
        use sqlx::Error as E;
        match e {
            E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::Protocol(_) => {
                Cause::Connection
            }
            E::Database(d) => {
                let code = d.code();
                let pg = code.as_deref().unwrap_or("");
                // PostgreSQL: class 08 (connection exception), admin/crash shutdown, cannot
                // connect now, too many connections.
                let pg_conn = d
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some()
                    && (pg.starts_with("08")
                        || matches!(pg, "57P01" | "57P02" | "57P03" | "53300"));
                // MySQL/MariaDB: too many connections, server shutdown, connection killed,
                // server gone away, lost connection.
                let my_conn = d
                    .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                    .is_some_and(|m| matches!(m.number(), 1040 | 1053 | 1927 | 2006 | 2013));
                if pg_conn || my_conn {
                    Cause::Connection
                } else if d.kind() == sqlx::error::ErrorKind::UniqueViolation {
                    Cause::Duplicate
                } else {
                    Cause::Statement
                }
            }
            _ => Cause::Statement,
        }
    }
}

/// A database's failure in its own words ([`sql_message`]) with its [`Cause`], for paths that
/// carry a failure before it becomes an [`Error`] (a row refused, a batch written).
#[derive(Debug, Clone, PartialEq)]
pub struct DbFailure {
    pub message: String,
    pub cause: Cause,
}

impl DbFailure {
    /// The failure as the error of `context` on `endpoint`.
    pub fn at(self, endpoint: String, context: impl Into<String>) -> Error {
        Error::Query {
            endpoint,
            context: context.into(),
            message: self.message,
            cause: self.cause,
        }
    }
}

impl From<sqlx::Error> for DbFailure {
    fn from(e: sqlx::Error) -> Self {
        DbFailure {
            message: sql_message(&e),
            cause: Cause::of(&e),
        }
    }
}

impl From<String> for DbFailure {
    fn from(message: String) -> Self {
        DbFailure {
            message,
            cause: Cause::Statement,
        }
    }
}

impl From<&str> for DbFailure {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

impl std::fmt::Display for DbFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error {
    /// A failed query on `endpoint` while `context`, in the server's words, with its cause.
    pub fn query(endpoint: String, context: impl Into<String>, e: &sqlx::Error) -> Error {
        Error::Query {
            endpoint,
            context: context.into(),
            message: sql_message(e),
            cause: Cause::of(e),
        }
    }

    /// Whether waiting and trying again may succeed: the connection failed (lost, refused,
    /// timed out), not the statement or the settings.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Query { cause, .. } => *cause == Cause::Connection,
            Error::Connect { failure, .. } => {
                matches!(failure, ConnectFailure::Timeout | ConnectFailure::Refused)
            }
            _ => false,
        }
    }

    /// The kind of connection failure, when this is one.
    pub fn connect_failure(&self) -> Option<ConnectFailure> {
        match self {
            Error::Connect { failure, .. } => Some(*failure),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The outcome of a step nothing more can be done about (a clean-up after another failure, a
/// best-effort statement): a failure is logged with what was being done, never dropped
/// without a word. The value, when there is one.
pub fn logged<T, E: std::fmt::Display>(what: &str, r: std::result::Result<T, E>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(target: "tugboat", "{what}: {e}");
            None
        }
    }
}

/// What a database said about a failed statement, in its own words: the message and, from
/// PostgreSQL, its detail (which key, which row) and hint. Never sqlx's `Display` of a
/// PostgreSQL error, which ends in " at line N": a line of PostgreSQL's C source that reads as a
/// line of the user's SQL. Errors that are not the server's (I/O, pool) keep sqlx's words.
pub fn sql_message(e: &sqlx::Error) -> String {
    let Some(d) = e.as_database_error() else {
        return e.to_string();
    };
    let mut text = d.message().to_string();
    if let Some(pg) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        if let Some(detail) = pg.detail() {
            text = format!("{text} ({})", detail.trim_end_matches('.'));
        }
        if let Some(hint) = pg.hint() {
            text = format!("{text}; hint: {hint}");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_is_transient_and_a_refused_statement_is_not() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        for (e, cause) in [
            (io, Cause::Connection),
            (sqlx::Error::PoolTimedOut, Cause::Connection),
            (sqlx::Error::PoolClosed, Cause::Connection),
            (sqlx::Error::RowNotFound, Cause::Statement),
            (sqlx::Error::ColumnNotFound("x".into()), Cause::Statement),
        ] {
            assert_eq!(Cause::of(&e), cause, "{e}");
            let q = Error::query("db".into(), "loading t", &e);
            assert_eq!(q.is_transient(), cause == Cause::Connection, "{q}");
        }
        // Words never decide: a refused statement saying "connection refused" is not retried.
        let words = Error::Query {
            endpoint: "db".into(),
            context: "loading t".into(),
            message: "connection refused".into(),
            cause: Cause::Statement,
        };
        assert!(!words.is_transient());
        let refused = Error::Connect {
            endpoint: "db".into(),
            failure: ConnectFailure::Refused,
            message: "refused".into(),
        };
        assert!(refused.is_transient());
    }
}
