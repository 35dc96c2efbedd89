//! Endpoints: where a migration reads from or writes to.
//!
//! Owns the endpoint description (engine, host, port, database, user, TLS), parsing and printing
//! endpoint URLs with the password masked, finding passwords without ever storing them
//! ([`secrets`]), and opening connections and testing them ([`connect`]).

pub mod connect;
pub mod lake;
pub mod secrets;
pub mod session;

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use connect::{Connection, ServerInfo, TextRow, test_connection};
pub use lake::Location;
pub use secrets::{Password, SessionSecrets};

/// Default seconds to wait for a host to answer.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Engine {
    /// PostgreSQL and PG-wire databases (Aurora PostgreSQL, ...).
    Postgres,
    /// MySQL and Aurora MySQL.
    MySql,
    MariaDb,
    /// A SQLite database file.
    Sqlite,
    /// A data lake: Apache Parquet files in a folder or under an S3 prefix (a target only; its
    /// location, a `file:///folder/` or `s3://bucket/prefix` URL, is the endpoint's database).
    Parquet,
}

impl Engine {
    pub const ALL: [Engine; 5] = [
        Engine::Postgres,
        Engine::MySql,
        Engine::MariaDb,
        Engine::Sqlite,
        Engine::Parquet,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::MySql => "MySQL",
            Engine::MariaDb => "MariaDB",
            Engine::Sqlite => "SQLite",
            Engine::Parquet => "Parquet (folder or S3)",
        }
    }

    pub fn default_port(self) -> Option<u16> {
        match self {
            Engine::Postgres => Some(5432),
            Engine::MySql | Engine::MariaDb => Some(3306),
            Engine::Sqlite | Engine::Parquet => None,
        }
    }

    pub fn scheme(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::MySql => "mysql",
            Engine::MariaDb => "mariadb",
            Engine::Sqlite => "sqlite",
            Engine::Parquet => "parquet",
        }
    }

    /// False for the data lake (Parquet files): no SQL, no schema to convert or apply.
    pub fn is_database(self) -> bool {
        self != Engine::Parquet
    }

    /// True for engines that speak the MySQL protocol.
    pub fn is_mysql_family(self) -> bool {
        matches!(self, Engine::MySql | Engine::MariaDb)
    }

    /// The variable libpq / the mysql client read a password from.
    pub fn standard_password_env(self) -> Option<&'static str> {
        match self {
            Engine::Postgres => Some("PGPASSWORD"),
            Engine::MySql | Engine::MariaDb => Some("MYSQL_PWD"),
            Engine::Sqlite | Engine::Parquet => None,
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// TLS requirement, in libpq's vocabulary (MySQL's ssl-mode maps onto it one to one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TlsMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl TlsMode {
    pub const ALL: [TlsMode; 5] = [
        TlsMode::Disable,
        TlsMode::Prefer,
        TlsMode::Require,
        TlsMode::VerifyCa,
        TlsMode::VerifyFull,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        }
    }

    /// Accepts libpq (`verify-full`) and MySQL (`VERIFY_IDENTITY`, `REQUIRED`) spellings.
    pub fn parse(s: &str) -> Option<TlsMode> {
        Some(match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "disable" | "disabled" | "false" | "off" => TlsMode::Disable,
            "allow" | "prefer" | "preferred" => TlsMode::Prefer,
            "require" | "required" | "true" | "on" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" | "verify-identity" => TlsMode::VerifyFull,
            _ => return None,
        })
    }
}

/// Whether an endpoint is read from or written to (a SQLite source is never created).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    #[default]
    Source,
    Target,
}

/// A database endpoint. Holds no password: see [`secrets`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Endpoint {
    /// Stable identity within the project: kept when the endpoint is renamed, new for a copy.
    /// What the app's selections (the target to apply DDL to...) hold, never a list position.
    pub id: String,
    /// Name shown in the project, unique within it.
    pub name: String,
    pub engine: Engine,
    pub role: Role,
    pub host: String,
    pub port: u16,
    /// Database name; for SQLite, the file path.
    pub database: String,
    pub user: String,
    pub tls: TlsMode,
    /// CA certificate file for verify-ca / verify-full.
    pub ca_file: Option<PathBuf>,
    /// Name of an environment variable holding this endpoint's password.
    pub password_env: Option<String>,
    pub connect_timeout_secs: u64,
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint {
            id: String::new(),
            name: String::new(),
            engine: Engine::Postgres,
            role: Role::Source,
            host: "localhost".into(),
            port: 5432,
            database: String::new(),
            user: String::new(),
            tls: TlsMode::Prefer,
            ca_file: None,
            password_env: None,
            connect_timeout_secs: DEFAULT_CONNECT_TIMEOUT_SECS,
        }
    }
}

/// An endpoint parsed from a URL, with the password the URL carried (if any), kept apart.
#[derive(Debug, Clone)]
pub struct ParsedUrl {
    pub endpoint: Endpoint,
    pub password: Option<Password>,
}

impl Endpoint {
    pub fn new(engine: Engine) -> Self {
        let mut e = Endpoint {
            engine,
            ..Default::default()
        };
        e.port = engine.default_port().unwrap_or(0);
        if matches!(engine, Engine::Sqlite | Engine::Parquet) {
            e.host.clear();
        }
        if engine == Engine::Parquet {
            e.role = Role::Target;
        }
        e
    }

    /// What a DBA pastes into the Host field: a whole URL (`mysql://app@db1:3307/shop`) fills
    /// every field (engine, host, port, database, user, TLS; the password it carries is
    /// returned, never kept here), and `host:port` splits. Name, role, timeout and password
    /// variable stay. `Ok(None)` when the field holds a plain host name; an error names what
    /// is wrong with a URL.
    pub fn take_pasted_host(&mut self) -> Result<Option<Password>> {
        let text = self.host.trim().to_string();
        if text.contains("://") {
            let p = Endpoint::parse_url(&text)?;
            let kept = Endpoint {
                // The same endpoint, filled in: its identity stays.
                id: std::mem::take(&mut self.id),
                name: std::mem::take(&mut self.name),
                role: self.role,
                connect_timeout_secs: self.connect_timeout_secs,
                password_env: self.password_env.take(),
                ..p.endpoint
            };
            *self = kept;
            return Ok(p.password);
        }
        // host:port (not an IPv6 address, which has several colons).
        if let Some((host, port)) = text.rsplit_once(':')
            && !host.is_empty()
            && !host.contains(':')
            && let Ok(port) = port.parse::<u16>()
        {
            self.host = host.to_string();
            self.port = port;
        }
        Ok(None)
    }

    /// Parses `postgres://user:pw@host:5432/db?sslmode=require`, `mysql://...`, `mariadb://...`,
    /// `sqlite:///abs/path.db` or `sqlite:relative.db`, and a data lake's `file:///folder/` or
    /// `s3://bucket/prefix` (a Parquet target).
    pub fn parse_url(url: &str) -> Result<ParsedUrl> {
        let masked = mask_url(url);
        let bad = |reason: &str| Error::InvalidUrl {
            url: masked.clone(),
            reason: reason.to_string(),
        };
        let trimmed = url.trim();
        if let Some(lake) = Location::parse(trimmed) {
            let lake = lake?;
            let mut e = Endpoint::new(Engine::Parquet);
            e.database = lake.url();
            e.name = match &lake {
                Location::Folder(p) => file_stem(p.display().to_string().trim_end_matches('/')),
                Location::S3 { bucket, .. } => bucket.clone(),
            };
            return Ok(ParsedUrl {
                endpoint: e,
                password: None,
            });
        }
        let Some((scheme, rest)) = trimmed.split_once(':') else {
            return Err(bad(
                "expected scheme://..., e.g. postgres://user@host:5432/db",
            ));
        };
        let engine = match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Engine::Postgres,
            "mysql" => Engine::MySql,
            "mariadb" => Engine::MariaDb,
            "sqlite" | "sqlite3" | "file" => Engine::Sqlite,
            "" => return Err(bad("missing engine before ':'")),
            other => {
                return Err(Error::UnknownScheme {
                    url: masked,
                    scheme: other.to_string(),
                });
            }
        };
        if engine == Engine::Sqlite {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(bad(
                    "no file path; write sqlite:///absolute/path.db or sqlite:relative.db",
                ));
            }
            let path = percent_encoding::percent_decode_str(path)
                .decode_utf8_lossy()
                .to_string();
            let mut e = Endpoint::new(Engine::Sqlite);
            e.name = file_stem(&path);
            e.database = path;
            return Ok(ParsedUrl {
                endpoint: e,
                password: None,
            });
        }
        let parsed = url::Url::parse(trimmed).map_err(|e| bad(&e.to_string()))?;
        if !rest.starts_with("//") {
            return Err(bad("expected '//' after the scheme"));
        }
        let host = parsed.host_str().unwrap_or_default();
        if host.is_empty() {
            return Err(bad("no host name"));
        }
        let mut e = Endpoint::new(engine);
        e.host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if let Some(p) = parsed.port() {
            e.port = p;
        }
        e.user = decode(parsed.username());
        e.database = decode(parsed.path().trim_start_matches('/'));
        if e.database.contains('/') {
            return Err(bad("the path must be a single database name"));
        }
        for (k, v) in parsed.query_pairs() {
            match k.to_ascii_lowercase().replace('_', "-").as_str() {
                "sslmode" | "ssl-mode" | "ssl" | "tls" => {
                    e.tls = TlsMode::parse(&v).ok_or_else(|| {
                        bad(&format!(
                            "unknown TLS mode '{v}' (disable, prefer, require, verify-ca, verify-full)"
                        ))
                    })?
                }
                "sslrootcert" | "ssl-ca" | "sslca" => e.ca_file = Some(PathBuf::from(v.to_string())),
                "connect-timeout" | "connecttimeout" => {
                    e.connect_timeout_secs = v.parse().map_err(|_| bad("connect_timeout must be seconds"))?
                }
                "password-env" => e.password_env = Some(v.to_string()),
                "application-name" | "charset" => {}
                other => return Err(bad(&format!("unknown parameter '{other}'"))),
            }
        }
        e.name = if e.database.is_empty() {
            e.host.clone()
        } else {
            format!("{}@{}", e.database, e.host)
        };
        let password = parsed.password().map(|p| Password::new(decode(p)));
        Ok(ParsedUrl {
            endpoint: e,
            password,
        })
    }

    /// The endpoint as a URL, never with a password.
    pub fn url(&self) -> String {
        if self.engine == Engine::Parquet {
            return self.database.clone();
        }
        if self.engine == Engine::Sqlite {
            return if self.database.starts_with('/') {
                format!("sqlite://{}", self.database)
            } else {
                format!("sqlite:{}", self.database)
            };
        }
        let user = if self.user.is_empty() {
            String::new()
        } else {
            format!(
                "{}@",
                percent_encoding::utf8_percent_encode(&self.user, USERINFO)
            )
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let mut s = format!(
            "{}://{user}{host}:{}/{}",
            self.engine.scheme(),
            self.port,
            self.database
        );
        let mut params = vec![];
        if self.tls != TlsMode::Prefer {
            params.push(format!("sslmode={}", self.tls.label()));
        }
        if let Some(ca) = &self.ca_file {
            params.push(format!("sslrootcert={}", ca.display()));
        }
        if !params.is_empty() {
            s.push('?');
            s.push_str(&params.join("&"));
        }
        s
    }

    /// Checks the fields before connecting.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: &str| Error::InvalidEndpoint {
            endpoint: self.label(),
            reason: reason.into(),
        };
        if self.engine == Engine::Sqlite {
            if self.database.trim().is_empty() {
                return Err(bad("no SQLite file path"));
            }
            return Ok(());
        }
        if self.engine == Engine::Parquet {
            return match Location::of_lake(&self.database) {
                Ok(_) if self.role == Role::Target => Ok(()),
                Ok(_) => Err(bad("a Parquet folder is a target only")),
                Err(e) => Err(bad(&e.to_string())),
            };
        }
        if self.host.trim().is_empty() {
            return Err(bad("no host"));
        }
        if self.port == 0 {
            return Err(bad("no port"));
        }
        if matches!(self.tls, TlsMode::VerifyCa | TlsMode::VerifyFull)
            && let Some(ca) = &self.ca_file
            && !ca.exists()
        {
            return Err(bad(&format!("CA file {} does not exist", ca.display())));
        }
        Ok(())
    }

    /// What the app's events and per-endpoint state are keyed by: the id, or the name of an
    /// endpoint that has none (one built from a URL on the command line).
    pub fn key(&self) -> String {
        if self.id.is_empty() {
            self.name.clone()
        } else {
            self.id.clone()
        }
    }

    /// A short description for messages: the name and the password-free URL.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.url()
        } else {
            format!("'{}' ({})", self.name, self.url())
        }
    }

    pub fn connect_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.connect_timeout_secs.max(1))
    }
}

const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .to_string()
}

fn file_stem(path: &str) -> String {
    std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| path.to_string())
}

/// Replaces the password of a URL (`scheme://user:secret@host`) with `****`; anything that is not
/// a URL comes back unchanged.
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let auth_start = scheme_end + 3;
    let rest = &url[auth_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}{}:****{}",
            &url[..auth_start],
            &userinfo[..colon],
            &url[auth_start + at..]
        ),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_or_host_port_pasted_into_the_host_field_fills_the_form() {
        let mut e = Endpoint {
            name: "shop".into(),
            role: Role::Target,
            password_env: Some("SHOP_PW".into()),
            ..Endpoint::new(Engine::Postgres)
        };
        e.host = "mariadb://app:pw@db1.local:3307/shop".into();
        let pw = e.take_pasted_host().unwrap();
        assert_eq!(
            (
                e.engine,
                e.host.as_str(),
                e.port,
                e.database.as_str(),
                e.user.as_str()
            ),
            (Engine::MariaDb, "db1.local", 3307, "shop", "app")
        );
        assert_eq!(pw.map(|p| p.expose().to_string()).as_deref(), Some("pw"));
        assert_eq!((e.name.as_str(), e.role), ("shop", Role::Target));
        assert_eq!(e.password_env.as_deref(), Some("SHOP_PW"));
        e.host = "10.0.0.7:5433".into();
        assert!(e.take_pasted_host().unwrap().is_none());
        assert_eq!((e.host.as_str(), e.port), ("10.0.0.7", 5433));
        e.host = "::1".into();
        e.take_pasted_host().unwrap();
        assert_eq!(e.host, "::1", "an IPv6 address is no host:port");
        e.host = "oracle://x@y/z".into();
        assert!(e.take_pasted_host().is_err());
    }

    #[test]
    fn parses_postgres_url_and_keeps_password_apart() {
        let p = Endpoint::parse_url(
            "postgres://alice:s%40cret@db.example.com:6543/sales?sslmode=verify-full",
        )
        .unwrap();
        assert_eq!(p.endpoint.engine, Engine::Postgres);
        assert_eq!(p.endpoint.host, "db.example.com");
        assert_eq!(p.endpoint.port, 6543);
        assert_eq!(p.endpoint.database, "sales");
        assert_eq!(p.endpoint.user, "alice");
        assert_eq!(p.endpoint.tls, TlsMode::VerifyFull);
        assert_eq!(p.password.unwrap().expose(), "s@cret");
        assert!(!p.endpoint.url().contains("cret"));
        assert_eq!(
            p.endpoint.url(),
            "postgres://alice@db.example.com:6543/sales?sslmode=verify-full"
        );
    }

    #[test]
    fn default_ports_and_sqlite_paths() {
        let m = Endpoint::parse_url("mysql://root@localhost/sakila")
            .unwrap()
            .endpoint;
        assert_eq!((m.engine, m.port), (Engine::MySql, 3306));
        let m = Endpoint::parse_url("mariadb://root@localhost/sakila?ssl-mode=REQUIRED")
            .unwrap()
            .endpoint;
        assert_eq!((m.engine, m.tls), (Engine::MariaDb, TlsMode::Require));
        let s = Endpoint::parse_url("sqlite:///tmp/chinook.db")
            .unwrap()
            .endpoint;
        assert_eq!(s.database, "/tmp/chinook.db");
        assert_eq!(s.url(), "sqlite:///tmp/chinook.db");
        let s = Endpoint::parse_url("sqlite:data/x.sqlite")
            .unwrap()
            .endpoint;
        assert_eq!(s.database, "data/x.sqlite");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let e = Endpoint::parse_url("oracle://scott:tiger@h/db")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown engine 'oracle'"), "{e}");
        assert!(!e.contains("tiger"), "{e}");
        let e = Endpoint::parse_url("postgres//nohost")
            .unwrap_err()
            .to_string();
        assert!(e.contains("malformed"), "{e}");
        let e = Endpoint::parse_url("postgres://u:pw@h:99999/db")
            .unwrap_err()
            .to_string();
        assert!(e.contains("malformed") && !e.contains(":pw@"), "{e}");
        let e = Endpoint::parse_url("postgres://h/db?sslmode=sometimes")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown TLS mode"), "{e}");
        let e = Endpoint::parse_url("sqlite://").unwrap_err().to_string();
        assert!(e.contains("no file path"), "{e}");
    }

    #[test]
    fn masks_passwords_in_urls() {
        assert_eq!(
            mask_url("mysql://root:hunter2@h:3306/db"),
            "mysql://root:****@h:3306/db"
        );
        assert_eq!(mask_url("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(mask_url("postgres://u:p@ss@h/db"), "postgres://u:****@h/db");
    }
}
