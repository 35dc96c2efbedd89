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
