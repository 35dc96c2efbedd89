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

impl Error {
    /// The kind of connection failure, when this is one.
    pub fn connect_failure(&self) -> Option<ConnectFailure> {
        match self {
            Error::Connect { failure, .. } => Some(*failure),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

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
