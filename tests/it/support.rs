//! Test support: private PostgreSQL and MariaDB servers for this test binary.
//!
//! Each server gets a temporary data directory, a free port and its own settings (row binlog,
//! `wal_level=logical`, password authentication over TCP). It starts on first use, is shared by
//! every test in the binary, and is stopped (and its directory removed) when the test process
//! exits: a watchdog shell holds the server and kills it when the test process's pipe closes, even
//! if the test process is killed. As root, servers run as the `postgres` / `mysql` users.
//!
//! Users with their own servers can set `TUGBOAT_TEST_PG_URL` (e.g.
//! `postgres://postgres:pw@127.0.0.1:5432/postgres`) and `TUGBOAT_TEST_MYSQL_URL` (e.g.
//! `mysql://root:pw@127.0.0.1:3306/`); tests then create their own databases there.

#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tugboat::endpoints::{Connection, Endpoint, Password};

/// Password of the superuser of the private servers.
pub const PASSWORD: &str = "tugboat-test-pw";

/// An admin URL of a running server (with its password), and how to reach it with CLI clients.
pub struct Server {
    pub url: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// Keeps the watchdog's stdin open for the life of the test process.
    _watchdog: Option<Mutex<Child>>,
    /// A private server's folder, pid file and stop signal (see [`Server::restart`]).
    ctl: Option<(PathBuf, PathBuf, &'static str)>,
}

impl Server {
    /// The admin URL with another database.
    pub fn url_for(&self, database: &str) -> String {
        let scheme = self.url.split("://").next().unwrap_or("postgres");
        format!(
            "{scheme}://{}:{}@{}:{}/{database}",
            self.user, self.password, self.host, self.port
        )
    }
    /// Shuts the server down (as an administrator would) and returns once it is gone; it
    /// starts again by itself `down_secs` later (a server that stops unasked stays down, so a
    /// port taken meanwhile is not waited on forever). Only for servers of [`own_postgres`] and
    /// [`own_mariadb`].
    pub fn restart(&self, down_secs: f64) {
        let (dir, pid_file, signal) = self.ctl.as_ref().expect("a private server");
        std::fs::write(dir.join("pause"), format!("{down_secs}")).expect("pause file");
        let pid = std::fs::read_to_string(pid_file).expect("pid file");
        let pid = pid.lines().next().unwrap_or_default().trim().to_string();
        Command::new("kill")
            .args([*signal, pid.as_str()])
            .status()
            .expect("kill");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Command::new("kill")
            .args(["-0", &pid])
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The endpoint for `database`, and its password.
    pub fn endpoint(&self, database: &str) -> (Endpoint, Option<Password>) {
        let p = Endpoint::parse_url(&self.url_for(database)).expect("valid test URL");
        (p.endpoint, p.password)
    }
}

static PG: OnceLock<Server> = OnceLock::new();
static MY: OnceLock<Server> = OnceLock::new();

pub fn pg() -> &'static Server {
    PG.get_or_init(|| match std::env::var("TUGBOAT_TEST_PG_URL") {
        Ok(url) => external(&url, 5432),
        Err(_) => {
            start_postgres().unwrap_or_else(|e| panic!("cannot start a private PostgreSQL: {e}"))
        }
    })
}

pub fn mysql() -> &'static Server {
    MY.get_or_init(|| match std::env::var("TUGBOAT_TEST_MYSQL_URL") {
        Ok(url) => external(&url, 3306),
        Err(_) => {
            start_mariadb(1, "").unwrap_or_else(|e| panic!("cannot start a private MariaDB: {e}"))
        }
    })
}

fn external(url: &str, default_port: u16) -> Server {
    let u = url::Url::parse(url).expect("TUGBOAT_TEST_*_URL must be a URL");
    Server {
        url: url.to_string(),
        host: u.host_str().unwrap_or("127.0.0.1").to_string(),
        port: u.port().unwrap_or(default_port),
        user: u.username().to_string(),
        password: u.password().unwrap_or_default().to_string(),
        _watchdog: None,
        ctl: None,
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn uid_gid(user: &str) -> Option<(u32, u32)> {
    let out = Command::new("id").arg("-u").arg(user).output().ok()?;
    let uid = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    let out = Command::new("id").arg("-g").arg(user).output().ok()?;
    let gid = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some((uid, gid))
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn pg_bindir() -> Result<PathBuf, String> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("initdb").exists() {
            return Ok(p);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "PostgreSQL server binaries not found (install postgresql)".to_string())?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin".into())
}

/// Starts `script` under `sh` with a watchdog on stdin: when the test process exits, the pipe
/// closes, `read` returns, and the script's cleanup runs.
fn watchdog(script: &str, as_user: Option<(u32, u32)>) -> Result<Child, String> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some((uid, gid)) = as_user {
        cmd.uid(uid).gid(gid);
    }
    cmd.process_group(0);
    cmd.spawn().map_err(|e| format!("cannot start sh: {e}"))
}

fn wait_until(
    what: &str,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), String> {
    let t = Instant::now();
    while t.elapsed() < timeout {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("{what} not ready after {} s", timeout.as_secs()))
}

fn make_dir(prefix: &str, owner: Option<(u32, u32)>) -> Result<PathBuf, String> {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    Ok(dir)
}

fn start_postgres() -> Result<Server, String> {
    let bin = pg_bindir()?;
    let user = if is_root() {
        Some(uid_gid("postgres").ok_or("no postgres user to run the server as")?)
    } else {
        None
    };
    let dir = make_dir("tugboat-pg-", user)?;
    let data = dir.join("data");
    let pwfile = dir.join("pw");
    std::fs::File::create(&pwfile)
        .and_then(|mut f| f.write_all(PASSWORD.as_bytes()))
        .map_err(|e| e.to_string())?;
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
    }
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .arg(format!("--pwfile={}", pwfile.display()));
    if let Some((uid, gid)) = user {
        initdb.uid(uid).gid(gid);
    }
    run(&mut initdb, "initdb")?;
    let port = free_port();
    let script = format!(
        "while [ ! -f '{dir}/quit' ]; do \
         '{bin}/postgres' -D '{data}' -p {port} -k '{dir}' -c listen_addresses=127.0.0.1 -c wal_level=logical \
         -c max_wal_senders=10 -c max_replication_slots=20 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200 >> '{dir}/server.log' 2>&1; \
         [ -f '{dir}/pause' ] || break; p=$(cat '{dir}/pause'); rm -f '{dir}/pause'; sleep $p; done & loop=$!; \
         read _; touch '{dir}/quit'; kill -INT $(head -1 '{data}/postmaster.pid'); wait $loop; rm -rf '{dir}'",
        bin = bin.display(),
        data = data.display(),
        dir = dir.display()
    );
    let child = watchdog(&script, user)?;
    let isready = bin.join("pg_isready");
    wait_until("PostgreSQL", Duration::from_secs(60), || {
        Command::new(&isready)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-q",
            ])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    })
    .map_err(|e| {
        format!(
            "{e}; log: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        )
    })?;
    Ok(Server {
        url: format!("postgres://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"),
        host: "127.0.0.1".into(),
        port,
        user: "postgres".into(),
        password: PASSWORD.into(),
        _watchdog: Some(Mutex::new(child)),
        ctl: Some((dir.clone(), data.join("postmaster.pid"), "-INT")),
    })
}

fn start_mariadb(server_id: u32, extra: &str) -> Result<Server, String> {
    let root = is_root();
    let user = if root {
        Some(uid_gid("mysql").ok_or("no mysql user to run the server as")?)
    } else {
        None
    };
    let dir = make_dir("tugboat-my-", user)?;
    let data = dir.join("data");
    let mut install = Command::new(find_bin(&["mariadb-install-db", "mysql_install_db"])?);
    install
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
        // Its own temporary files: bootstraps running at once in /tmp collide on their names.
        .arg(format!("--tmpdir={}", dir.display()));
    if root {
        install.arg("--user=mysql");
    }
    run(&mut install, "mariadb-install-db")?;
    let port = free_port();
    let sock = dir.join("mysqld.sock");
    let server = find_bin(&["mariadbd", "mysqld"])?;
    let script = format!(
        "while [ ! -f '{dir}/quit' ]; do \
         '{server}' --no-defaults --datadir='{data}' --port={port} --bind-address=127.0.0.1 --socket='{sock}' \
         --pid-file='{dir}/mysqld.pid' --tmpdir='{dir}' {user} --log-bin='{dir}/binlog' --binlog-format=ROW --binlog-row-image=FULL \
         --server-id={server_id} {extra} --skip-name-resolve --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=2 \
         --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --log-error='{dir}/server.log'; \
         [ -f '{dir}/pause' ] || break; p=$(cat '{dir}/pause'); rm -f '{dir}/pause'; sleep $p; done & loop=$!; \
         read _; touch '{dir}/quit'; kill -TERM $(cat '{dir}/mysqld.pid'); wait $loop; rm -rf '{dir}'",
        server = server.display(),
        data = data.display(),
        sock = sock.display(),
        dir = dir.display(),
        user = if root { "--user=mysql" } else { "" }
    );
    let child = watchdog(&script, None)?;
    let client = find_bin(&["mariadb", "mysql"])?;
    let sql = format!(
        "CREATE USER IF NOT EXISTS 'tugboat'@'%' IDENTIFIED BY '{PASSWORD}'; GRANT ALL ON *.* TO 'tugboat'@'%' WITH GRANT OPTION;"
    );
    wait_until("MariaDB", Duration::from_secs(60), || {
        Command::new(&client)
            .arg("--no-defaults")
            .arg(format!("--socket={}", sock.display()))
            .args(["-uroot", "-e", &sql])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    })
    .map_err(|e| {
        format!(
            "{e}; log: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        )
    })?;
    Ok(Server {
        url: format!("mysql://tugboat:{PASSWORD}@127.0.0.1:{port}/"),
        host: "127.0.0.1".into(),
        port,
        user: "tugboat".into(),
        password: PASSWORD.into(),
        _watchdog: Some(Mutex::new(child)),
        ctl: Some((dir.clone(), dir.join("mysqld.pid"), "-TERM")),
    })
}

/// A PostgreSQL server of the caller's own (not shared with other tests), which it may
/// [`Server::restart`].
pub fn own_postgres() -> Server {
    start_postgres().unwrap_or_else(|e| panic!("cannot start a private PostgreSQL: {e}"))
}

/// A MariaDB server of the caller's own (see [`own_postgres`]).
pub fn own_mariadb() -> Server {
    start_mariadb(1, "").unwrap_or_else(|e| panic!("cannot start a private MariaDB: {e}"))
}

/// A MariaDB server of the caller's own that can be made a replica of another: server id
/// `server_id`, writing what it replicates to its own binary log (`log_slave_updates`), as a
/// replica that may be promoted in a failover is set up.
pub fn own_mariadb_replica(server_id: u32) -> Server {
    start_mariadb(server_id, "--log-slave-updates")
        .unwrap_or_else(|e| panic!("cannot start a private MariaDB: {e}"))
}

fn find_bin(names: &[&str]) -> Result<PathBuf, String> {
    for n in names {
        for dir in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"] {
            let p = Path::new(dir).join(n);
            if p.exists() {
                return Ok(p);
            }
        }
    }
    Err(format!(
        "none of {names:?} is installed (install mariadb-server)"
    ))
}

/// Creates (or re-creates) database `name` on the PostgreSQL server and returns its URL.
pub async fn pg_database(name: &str) -> String {
    let s = pg();
    let (ep, pw) = s.endpoint("postgres");
    let conn = Connection::open(&ep, pw).await.expect("admin connection");
    conn.query(
        "drop",
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    )
    .await
    .expect("drop database");
    conn.query("create", &format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create database");
    conn.close().await;
    s.url_for(name)
}

/// Creates (or re-creates) database `name` on the MariaDB server and returns its URL.
pub async fn mysql_database(name: &str) -> String {
    let s = mysql();
    let (ep, pw) = s.endpoint("");
    let conn = Connection::open(&ep, pw).await.expect("admin connection");
    conn.query("drop", &format!("DROP DATABASE IF EXISTS `{name}`"))
        .await
        .expect("drop database");
    conn.query(
        "create",
        &format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
    )
    .await
    .expect("create database");
    conn.close().await;
    s.url_for(name)
}

/// Runs a SQL script file with `psql` (stops at the first error).
pub fn psql_file(database: &str, file: &Path) {
    let s = pg();
    let bin = pg_bindir()
        .map(|b| b.join("psql"))
        .unwrap_or_else(|_| PathBuf::from("psql"));
    let out = Command::new(bin)
        .env("PGPASSWORD", &s.password)
        .args([
            "-h",
            &s.host,
            "-p",
            &s.port.to_string(),
            "-U",
            &s.user,
            "-d",
            database,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
        ])
        .arg(file)
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql -f {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a SQL script file with the `mariadb` client (handles DELIMITER blocks).
pub fn mysql_file(database: &str, file: &Path) {
    let s = mysql();
    let bin = find_bin(&["mariadb", "mysql"]).expect("mariadb client");
    let input = std::fs::File::open(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut cmd = Command::new(bin);
    cmd.arg("--no-defaults")
        .env("MYSQL_PWD", &s.password)
        .args([
            "-h",
            &s.host,
            "-P",
            &s.port.to_string(),
            "-u",
            &s.user,
            "--default-character-set=utf8mb4",
        ]);
    if !database.is_empty() {
        cmd.args(["-D", database]);
    }
    let out = cmd.stdin(input).output().expect("mariadb client runs");
    assert!(
        out.status.success(),
        "mariadb < {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The shared sample corpora (`../shared/corpora`, or `$TUGBOAT_CORPORA`). Returns None, with a
/// message, only when `TUGBOAT_SKIP_CORPORA=1`; otherwise a missing corpus fails the test.
pub fn corpus(rel: &str) -> Option<PathBuf> {
    let base = std::env::var_os("TUGBOAT_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora"));
    let p = base.join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("TUGBOAT_SKIP_CORPORA").as_deref() == Ok("1") {
        eprintln!(
            "skipping: corpus file {} not present (TUGBOAT_SKIP_CORPORA=1)",
            p.display()
        );
        return None;
    }
    panic!(
        "corpus file {} not found: put ../shared beside the checkout, set TUGBOAT_CORPORA, or TUGBOAT_SKIP_CORPORA=1",
        p.display()
    );
}

/// Every SQL file below a corpus folder (scripts, package specs and bodies, templates), sorted;
/// empty when the corpora are skipped (see [`corpus`]).
pub fn corpus_files(rel: &str) -> Vec<PathBuf> {
    let Some(root) = corpus(rel) else {
        return vec![];
    };
    let mut out = vec![];
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("corpus folder").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| matches!(x.to_str(), Some("sql" | "pks" | "pkb" | "in")))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every table of `s` validated by reading its rows back from the target found them equal to
/// the rows as the load wrote them, key range by key range: the hashes of both sides agree
/// for every value of these tables (no range needed a second look at the source). Returns how
/// many tables were so validated.
pub fn hashed_alike(s: &tugboat::tasks::Summary) -> usize {
    let mut n = 0;
    for t in &s.tables {
        if let Some(tugboat::tasks::validate::Method::ReadBack { differing, .. }) =
            t.validation_detail.as_ref().map(|d| &d.method)
        {
            assert_eq!(
                *differing, 0,
                "{}: the rows read back hashed otherwise than as written: {t:#?}",
                t.source
            );
            n += 1;
        }
    }
    n
}

/// A test's outcome: an error fails it with its words.
pub type Outcome = Result<(), Box<dyn std::error::Error>>;

/// A CLI process, killed if the test ends before it does.
pub struct Cli(pub std::process::Child);

impl Drop for Cli {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            self.0.kill().ok();
            self.0.wait().ok();
        }
    }
}

impl std::ops::Deref for Cli {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Cli {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}
