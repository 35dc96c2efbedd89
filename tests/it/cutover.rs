//! Cut-over and fallback through the CLI, on private servers: an application writing to the
//! old database while replication runs, `tugboat cutover` (the old database made read-only,
//! every change applied, checksums equal, counters set, the reverse task started from that
//! exact position), the application moved to the new database inserting with its sequences,
//! its changes replicated back, `tugboat fallback`, the application back on the old database,
//! and both sides equal at the end with no change refused.

use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tugboat::endpoints::{Connection, Endpoint, Role};

use crate::support;

async fn open(url: &str) -> Connection {
    let p = Endpoint::parse_url(url).expect("test URL");
    Connection::open(&p.endpoint, p.password)
        .await
        .expect("connection")
}

async fn scalar(c: &Connection, sql: &str) -> String {
    c.query_scalar("test", sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_default()
}

fn log_file(name: &str) -> String {
    let p = std::env::temp_dir().join(format!("tugboat-{name}-{}.log", std::process::id()));
    p.to_str().expect("path").to_string()
}

/// A CLI process, killed if the test ends before it does.
struct Cli(Child);

impl Drop for Cli {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            self.0.kill().ok();
            self.0.wait().ok();
        }
    }
}

impl std::ops::Deref for Cli {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Cli {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

/// Starts the CLI with `args`, its output in `log`.
fn spawn(args: &[&str], log: &str) -> Cli {
    let f = std::fs::File::create(log).expect("log file");
    let e = f.try_clone().expect("log file");
    Cli(Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(args)
        .env("TUG_IT_PW", support::PASSWORD)
        .stdout(f)
        .stderr(e)
        .spawn()
        .expect("tugboat runs"))
}

/// Waits (`secs` at most) until `log` holds `text`; fails with the log if the child ended.
async fn wait_log(log: &str, text: &str, child: &mut Child, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let now = std::fs::read_to_string(log).unwrap_or_default();
        if now.contains(text) {
            return;
        }
        let ended = child.try_wait().expect("wait");
        assert!(
            ended.is_none() && Instant::now() < deadline,
            "the log never said {text:?} ({ended:?}):\n{now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for a child to end by itself (90 s at most): whether it succeeded.
fn wait_end(child: &mut Child, log: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.success();
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!(
                "did not end: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn interrupt(child: &mut Child, log: &str) -> bool {
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    wait_end(child, log)
}

/// The application: a pool of its own (not Tugboat's), inserting orders without giving their
/// key (the database's counter gives it), updating and deleting older ones.
#[derive(Clone)]
enum App {
    MariaDb(sqlx::MySqlPool),
    Postgres(sqlx::PgPool),
}

impl App {
    async fn run(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            App::MariaDb(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .map(drop),
            App::Postgres(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .map(drop),
        }
    }

    fn lines(&self) -> &'static str {
        match self {
            App::MariaDb(_) => "`OrderLines`",
            App::Postgres(_) => "orderlines",
        }
    }

    /// Writes until `stop` (or, with `until_refused`, the first refusal): the writes that
    /// succeeded, and the refusals.
    async fn write(self, stop: Arc<AtomicBool>, until_refused: bool) -> (u64, Vec<String>) {
        let ok = AtomicU64::new(0);
        let mut refused = vec![];
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            i += 1;
            let sqls = [
                format!(
                    "INSERT INTO orders (customer, amount, note) VALUES ('c{i}', {i}.25, 'n{i}')"
                ),
                format!(
                    "INSERT INTO {} (order_id, sku) VALUES ({i}, 's{i}')",
                    self.lines()
                ),
                format!(
                    "UPDATE orders SET amount = amount + 1 WHERE id = {}",
                    i * 7 % 500 + 1
                ),
                format!(
                    "DELETE FROM {} WHERE id = {}",
                    self.lines(),
                    i * 13 % 400 + 1
                ),
            ];
            for sql in &sqls {
                match self.run(sql).await {
                    Ok(()) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => refused.push(format!("{sql}: {e}")),
                }
            }
            if until_refused && !refused.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (ok.load(Ordering::Relaxed), refused)
    }
}

/// Runs the application on `app` for `secs` seconds: every write must succeed.
async fn write_for(app: &App, secs: u64) -> u64 {
    let stop = Arc::new(AtomicBool::new(false));
    let w = tokio::spawn(app.clone().write(stop.clone(), false));
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let (ok, refused) = w.await.expect("writer");
    assert!(refused.is_empty(), "writes refused: {refused:#?}");
    assert!(ok > 20, "the application wrote only {ok} times");
    ok
}

/// What both sides must agree on.
/// The probes of one side (`schema`: where PostgreSQL keeps the tables).
fn probes(c: &Connection, schema: &str) -> (String, String) {
    let (orders, lines) = if c.endpoint.engine == tugboat::endpoints::Engine::Postgres {
        (format!("{schema}.orders"), format!("{schema}.orderlines"))
    } else {
        ("orders".to_string(), "`OrderLines`".to_string())
    };
    (
        format!(
            "SELECT concat(count(*), ':', coalesce(sum(amount), 0), ':', coalesce(max(id), 0)) FROM {orders}"
        ),
        format!("SELECT concat(count(*), ':', coalesce(max(id), 0)) FROM {lines}"),
    )
}

async fn converge(a: &Connection, b: &Connection, schema: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let (pa, pb) = (probes(a, schema), probes(b, schema));
    loop {
        let (x, y) = (
            (scalar(a, &pa.0).await, scalar(a, &pa.1).await),
            (scalar(b, &pb.0).await, scalar(b, &pb.1).await),
        );
        // (The sums print as 12.25 on one side and 12.2500 on the other.)
        let norm = |s: &str| {
            s.split(':')
                .map(|p| p.trim_end_matches('0').trim_end_matches('.').to_string())
                .collect::<Vec<_>>()
        };
        if norm(&x.0) == norm(&y.0) && x.1 == y.1 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: never equal: {x:?} vs {y:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// MariaDB → PostgreSQL and back again, as a DBA would run it.
#[tokio::test(flavor = "multi_thread")]
async fn a_cut_over_to_postgres_and_a_fallback_to_mariadb_keep_every_write() {
    let maria = support::own_mariadb();
    let stem = format!("cut{}", std::process::id());
    let admin = open(&maria.url_for("")).await;
    for sql in [
        format!("CREATE DATABASE {stem}"),
        "CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'".to_string(),
        format!("GRANT ALL ON {stem}.* TO 'app'@'%'"),
    ] {
        admin.execute(&sql).await.expect("setup");
    }
    admin.close().await;
    let my_url = maria.url_for(&stem);
    let my = open(&my_url).await;
    my.execute("CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount DECIMAL(12,2), note TEXT)").await.expect("orders");
    my.execute("CREATE TABLE `OrderLines` (id INT AUTO_INCREMENT PRIMARY KEY, order_id BIGINT, sku VARCHAR(20))").await.expect("lines");
    my.execute("INSERT INTO orders (customer, amount, note) SELECT concat('c', seq), seq / 4, repeat('x', seq % 50) FROM seq_1_to_800").await.expect("rows");
    my.execute(
        "INSERT INTO `OrderLines` (order_id, sku) SELECT seq, concat('s', seq) FROM seq_1_to_600",
    )
    .await
    .expect("rows");
    let pg_url = support::pg_database(&stem).await;
    let pg = open(&pg_url).await;

    // The project: the two endpoints (passwords from the environment) and the task.
    let dir = tempfile::tempdir().expect("dir");
    let endpoint = |url: &str, name: &str, role| {
        let mut e = Endpoint::parse_url(url).expect("url").endpoint;
        e.name = name.into();
        e.role = role;
        e.password_env = Some("TUG_IT_PW".into());
        e
    };
    let mut p = tugboat::project::Project {
        name: "cut-over".into(),
        endpoints: vec![
            endpoint(&my_url, "old", Role::Source),
            endpoint(&pg_url, "new", Role::Target),
        ],
        tasks: vec![tugboat::tasks::Task {
            id: String::new(),
            name: "shop".into(),
            source: "old".into(),
            target: "new".into(),
            mappings: tugboat::tasks::mappings::TableMappings::all(),
            settings: Default::default(),
            task_type: tugboat::cdc::TaskType::FullLoadAndCdc,
            stop_at: None,
        }],
        ..Default::default()
    };
    p.settle_ids();
    let file = dir.path().join("p.ron");
    p.save(&file).expect("save");
    let f = file.display().to_string();

    // Replication, with the application writing to MariaDB.
    let app_my_url = format!("mysql://app:app-pw@{}:{}/{stem}", maria.host, maria.port);
    let app_my = App::MariaDb(
        sqlx::MySqlPool::connect(&app_my_url)
            .await
            .expect("app pool"),
    );
    let run_log = log_file("cutover-run");
    let mut forward = spawn(&["run", &f, "--task", "shop"], &run_log);
    wait_log(&run_log, "replicating from", &mut forward, 90).await;
    let stop_a = Arc::new(AtomicBool::new(false));
    let writer_a = tokio::spawn(app_my.clone().write(stop_a.clone(), true));
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The cut-over, MariaDB made read-only by Tugboat while the application still writes.
    let cut_log = log_file("cutover-cut");
    let mut cut = spawn(&["cutover", &f, "--task", "shop", "--read-only"], &cut_log);
    wait_log(&cut_log, "Running task shop-reverse", &mut cut, 120).await;
    let (wrote_a, refused_a) = writer_a.await.expect("writer");
    stop_a.store(true, Ordering::Relaxed);
    assert!(wrote_a > 20, "{wrote_a}");
    assert!(
        refused_a
            .iter()
            .all(|r| r.contains("read-only") || r.contains("read_only")),
        "{refused_a:#?}"
    );
    // The forward task stopped by itself at the switch.
    assert!(
        wait_end(&mut forward, &run_log),
        "{}",
        std::fs::read_to_string(&run_log).unwrap_or_default()
    );
    let cut_text = std::fs::read_to_string(&cut_log).unwrap_or_default();
    for said in [
        "checksums equal",
        "counters set past the rows",
        "the reverse task's start",
        "writes stopped to writes on the new database",
    ] {
        assert!(cut_text.contains(said), "{said}: {cut_text}");
    }
    assert_eq!(scalar(&my, "SELECT @@global.read_only").await, "1");

    // The application on PostgreSQL, its keys from the sequences: nothing collides, and its
    // changes reach MariaDB.
    let app_pg = App::Postgres(
        sqlx::PgPool::connect(&format!("{pg_url}?options=-c%20search_path%3D{stem}"))
            .await
            .expect("pg pool"),
    );
    write_for(&app_pg, 3).await;
    converge(&pg, &my, &stem, "PostgreSQL's writes back on MariaDB").await;

    // Fallback: the reverse task caught up, MariaDB current and writable again.
    let back_log = log_file("cutover-back");
    let mut back = spawn(
        &["fallback", &f, "--task", "shop", "--writes-stopped"],
        &back_log,
    );
    wait_log(&back_log, "Running task shop", &mut back, 120).await;
    assert!(
        wait_end(&mut cut, &cut_log),
        "the reverse task did not stop cleanly: {}",
        std::fs::read_to_string(&cut_log).unwrap_or_default()
    );
    assert_eq!(scalar(&my, "SELECT @@global.read_only").await, "0");
    write_for(&app_my, 3).await;
    converge(&my, &pg, &stem, "MariaDB's writes on PostgreSQL again").await;
    assert!(
        interrupt(&mut back, &back_log),
        "{}",
        std::fs::read_to_string(&back_log).unwrap_or_default()
    );
    for (c, label) in [(&pg, "PostgreSQL"), (&my, "MariaDB")] {
        assert_eq!(
            scalar(c, "SELECT count(*) FROM tugboat_apply_exceptions").await,
            "0",
            "{label}"
        );
    }
    let o = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(["validate", "--source", &my_url, "--target", &pg_url])
        .output()
        .expect("validate");
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    my.close().await;
    pg.close().await;
}
