//! Passwords: found at connect time, never stored in projects, logs or reports.
//!
//! Order of lookup for an endpoint: a password typed for this session, the environment variable the
//! endpoint names (`password_env`), the engine's standard variable (`PGPASSWORD`, `MYSQL_PWD`), then
//! the engine's own files (`~/.pgpass` or `$PGPASSFILE`; `~/.my.cnf` `[client]` section).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{Endpoint, Engine};

/// A password. Its `Debug` and `Display` print `****`, so it cannot leak into logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(s: impl Into<String>) -> Self {
        Password(s.into())
    }
    /// The clear text, for handing to the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(****)")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// Passwords typed in the GUI or given on a command line, kept in memory for this session only.
#[derive(Clone, Default)]
pub struct SessionSecrets {
    inner: Arc<Mutex<HashMap<String, Password>>>,
}

impl SessionSecrets {
    pub fn set(&self, endpoint_name: &str, password: Option<Password>) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match password {
            Some(p) => map.insert(endpoint_name.to_string(), p),
            None => map.remove(endpoint_name),
        };
    }
    pub fn get(&self, endpoint_name: &str) -> Option<Password> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(endpoint_name)
            .cloned()
    }
}

/// Where a password came from (shown to the user; never the password itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Session,
    EnvVar(String),
    PassFile(PathBuf),
    None,
}

/// Finds the password for `endpoint`, following the order in the module documentation.
pub fn resolve_password(
    endpoint: &Endpoint,
    session: Option<Password>,
) -> (Option<Password>, PasswordSource) {
    if let Some(p) = session {
        return (Some(p), PasswordSource::Session);
    }
    let env_names = endpoint
        .password_env
        .iter()
        .map(String::as_str)
        .chain(endpoint.engine.standard_password_env());
    for name in env_names {
        if let Ok(v) = std::env::var(name) {
            return (
                Some(Password::new(v)),
                PasswordSource::EnvVar(name.to_string()),
            );
        }
    }
    let found = match endpoint.engine {
        Engine::Postgres => pgpass_path().and_then(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            pgpass_lookup(
                &text,
                &endpoint.host,
                endpoint.port,
                &endpoint.database,
                &endpoint.user,
            )
            .map(|p| (p, path))
        }),
        Engine::MySql | Engine::MariaDb => home().map(|h| h.join(".my.cnf")).and_then(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            mycnf_password(&text).map(|p| (p, path))
        }),
        Engine::Sqlite | Engine::Parquet => None,
    };
    match found {
        Some((p, path)) => (Some(Password::new(p)), PasswordSource::PassFile(path)),
        None => (None, PasswordSource::None),
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

fn pgpass_path() -> Option<PathBuf> {
    std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".pgpass")))
}

/// Looks up `host:port:database:user:password` lines (with `*` wildcards and `\:` escapes), as libpq does.
pub fn pgpass_lookup(
    text: &str,
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::with_capacity(5);
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() != 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| {
            pattern == "*" || pattern == value || (pattern == "localhost" && value == "127.0.0.1")
        };
        if matches(&fields[0], host)
            && matches(&fields[1], &port)
            && matches(&fields[2], database)
            && matches(&fields[3], user)
        {
            return Some(fields.swap_remove(4));
        }
    }
    None
}

/// Reads `password=` from the `[client]`, `[mysql]` or `[mariadb-client]` group of a MySQL option file.
pub fn mycnf_password(text: &str) -> Option<String> {
    let mut in_group = false;
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let group = line.trim_matches(['[', ']']).trim().to_ascii_lowercase();
            in_group = matches!(
                group.as_str(),
                "client" | "mysql" | "mariadb-client" | "client-mariadb"
            );
            continue;
        }
        if !in_group || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && k.trim().eq_ignore_ascii_case("password")
        {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            let v = v
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(v);
            found = Some(v.to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_matches_like_libpq() {
        let text = "# comment\nother:5432:*:bob:nope\n*:5432:sales:alice:pa\\:ss\nlocalhost:*:*:*:fallback\n";
        assert_eq!(
            pgpass_lookup(text, "db", 5432, "sales", "alice").as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            pgpass_lookup(text, "localhost", 6000, "x", "y").as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_lookup(text, "db", 5432, "hr", "alice"), None);
    }

    #[test]
    fn mycnf_reads_client_group() {
        let text = "[mysqld]\npassword=server\n[client]\nuser=root\npassword = \"s3cret\"\n";
        assert_eq!(mycnf_password(text).as_deref(), Some("s3cret"));
    }

    #[test]
    fn password_never_prints() {
        let p = Password::new("hunter2");
        assert_eq!(format!("{p} {p:?}"), "**** Password(****)");
    }
}
