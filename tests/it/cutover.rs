//! Cut-over and fallback through the CLI, on private servers: an application writing to the
//! old database while replication runs, `tugboat cutover` (the old database made read-only,
//! every change applied, checksums equal, counters set, the reverse task started from that
//! exact position), the application moved to the new database inserting with its sequences,
//! its changes replicated back, `tugboat fallback`, the application back on the old database,
//! and both sides equal at the end with no change refused.

use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tugboat::endpoints::{Connection, Endpoint, Role};

use crate::support;

// The replication tests' helpers: a connection, one value, a log file for this process.
use crate::cdc::{log_file, open, scalar};
use crate::support::Cli;

/// Starts the CLI with `args`, its output in `log`.
pub(crate) fn spawn(args: &[&str], log: &str) -> Cli {
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
pub(crate) async fn wait_log(log: &str, text: &str, child: &mut Child, secs: u64) {
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

/// Waits (90 s at most) until task `shop` replicates ongoing changes (its checkpoint on
/// `target` out of the full load and the replay of the changes made meanwhile).
async fn replicating(target: &str) {
    replicating_task(target, "shop").await
}

/// Waits (90 s at most) until `task` replicates ongoing changes into `target`.
pub(crate) async fn replicating_task(target: &str, task: &str) {
    let mut p = Endpoint::parse_url(target).expect("url");
    p.endpoint.role = Role::Target;
    let c = Connection::open(&p.endpoint, p.password)
        .await
        .expect("target");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let phase = c
            .query_scalar(
                "phase",
                &format!("SELECT phase FROM tugboat_cdc_checkpoint WHERE task = '{task}'"),
            )
            .await
            .ok()
            .flatten();
        if phase.as_deref() == Some("cdc") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "task {task} never replicated ongoing changes: {phase:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.close().await;
}

/// Waits for a child to end by itself (90 s at most): whether it succeeded.
pub(crate) fn wait_end(child: &mut Child, log: &str) -> bool {
    ended(child, log).success()
}

/// Waits for a child to end by itself (90 s at most): how it ended.
fn ended(child: &mut Child, log: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
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

pub(crate) fn interrupt(child: &mut Child, log: &str) -> bool {
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    wait_end(child, log)
}

/// The application: a pool of its own (not Tugboat's), inserting orders without giving their
/// key (the database's counter gives it), updating and deleting older ones, in its tables as
/// this database names them.
#[derive(Clone)]
struct App {
    pool: Pool,
    tables: Tables,
}

#[derive(Clone)]
enum Pool {
    MariaDb(sqlx::MySqlPool),
    Postgres(sqlx::PgPool),
}

/// The two tables as one database names them (quoted, qualified where needed).
#[derive(Clone)]
struct Tables {
    orders: String,
    lines: String,
}

impl Tables {
    fn new(orders: &str, lines: &str) -> Tables {
        Tables {
            orders: orders.into(),
            lines: lines.into(),
        }
    }
}

impl App {
    async fn run(&self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match &self.pool {
            Pool::MariaDb(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
            Pool::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
        }
    }

    /// Writes until `stop` (or, with `until_refused`, the first refusal): the writes that
    /// succeeded, and the refusals.
    async fn write(self, stop: Arc<AtomicBool>, until_refused: bool) -> (u64, Vec<String>) {
        let mut ok = 0;
        let mut refused = vec![];
        let mut i = 0u64;
        let Tables { orders, lines } = &self.tables;
        while !stop.load(Ordering::Relaxed) {
            i += 1;
            let sqls = [
                format!(
                    "INSERT INTO {orders} (customer, amount, note) VALUES ('c{i}', {i}.25, 'n{i}')"
                ),
                format!("INSERT INTO {lines} (order_id, sku) VALUES ({i}, 's{i}')"),
                format!(
                    "UPDATE {orders} SET amount = amount + 1 WHERE id = {}",
                    i * 7 % 500 + 1
                ),
                format!("DELETE FROM {lines} WHERE id = {}", i * 13 % 900 + 1),
            ];
            for sql in &sqls {
                match self.run(sql).await {
                    Ok(()) => ok += 1,
                    Err(e) => refused.push(format!("{sql}: {e}")),
                }
            }
            if until_refused && !refused.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (ok, refused)
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

/// What both sides must agree on: orders' count, sum and highest key, lines' count and
/// highest key.
fn probes(t: &Tables) -> (String, String) {
    (
        format!(
            "SELECT concat(count(*), ':', coalesce(sum(amount), 0), ':', coalesce(max(id), 0)) FROM {}",
            t.orders
        ),
        format!(
            "SELECT concat(count(*), ':', coalesce(max(id), 0)) FROM {}",
            t.lines
        ),
    )
}

/// Waits (60 s at most) until both sides agree.
async fn converge(a: (&Connection, &Tables), b: (&Connection, &Tables), what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let (pa, pb) = (probes(a.1), probes(b.1));
    // (A sum prints as 12.25 on one side and 12.2500 on the other.)
    let norm = |s: &str| -> Vec<String> {
        s.split(':')
            .map(|p| match p.contains('.') {
                true => p.trim_end_matches('0').trim_end_matches('.').to_string(),
                false => p.to_string(),
            })
            .collect()
    };
    loop {
        let x = (scalar(a.0, &pa.0).await, scalar(a.0, &pa.1).await);
        let y = (scalar(b.0, &pb.0).await, scalar(b.0, &pb.1).await);
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

/// A project file in `dir`: the old and the new database (passwords from the environment) and
/// task `shop` replicating from one to the other.
fn project(dir: &std::path::Path, old: &str, new: &str) -> String {
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
            endpoint(old, "old", Role::Source),
            endpoint(new, "new", Role::Target),
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
    let file = dir.join("p.ron");
    p.save(&file).expect("save");
    file.display().to_string()
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
    // The application's trigger (harmless here): on the way back it would act on replicated
    // changes, which MariaDB cannot turn off for one session: a warning at readiness.
    my.execute(
        "CREATE TRIGGER keep_sku BEFORE INSERT ON `OrderLines` FOR EACH ROW SET NEW.sku = NEW.sku",
    )
    .await
    .expect("trigger");
    let pg_url = support::pg_database(&stem).await;
    let pg = open(&pg_url).await;

    let dir = tempfile::tempdir().expect("dir");
    let f = project(dir.path(), &my_url, &pg_url);

    // Replication, with the application writing to MariaDB.
    let app_my_url = format!("mysql://app:app-pw@{}:{}/{stem}", maria.host, maria.port);
    let my_tables = Tables::new("orders", "`OrderLines`");
    let pg_tables = Tables::new(&format!("{stem}.orders"), &format!("{stem}.orderlines"));
    let app_my = App {
        pool: Pool::MariaDb(
            sqlx::MySqlPool::connect(&app_my_url)
                .await
                .expect("app pool"),
        ),
        tables: my_tables.clone(),
    };
    let run_log = log_file("cutover-run");
    let mut forward = spawn(&["run", &f, "--task", "shop"], &run_log);
    wait_log(&run_log, "replicating from", &mut forward, 90).await;
    replicating(&pg_url).await;
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
        "WARN old as the target of shop-reverse",
    ] {
        assert!(cut_text.contains(said), "{said}: {cut_text}");
    }
    assert_eq!(scalar(&my, "SELECT @@global.read_only").await, "1");

    // The application on PostgreSQL, its keys from the sequences: nothing collides, and its
    // changes reach MariaDB.
    let app_pg = App {
        pool: Pool::Postgres(sqlx::PgPool::connect(&pg_url).await.expect("pg pool")),
        tables: pg_tables.clone(),
    };
    write_for(&app_pg, 3).await;
    converge(
        (&pg, &pg_tables),
        (&my, &my_tables),
        "PostgreSQL's writes back on MariaDB",
    )
    .await;

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
    converge(
        (&my, &my_tables),
        (&pg, &pg_tables),
        "MariaDB's writes on PostgreSQL again",
    )
    .await;
    assert!(
        interrupt(&mut back, &back_log),
        "{}",
        std::fs::read_to_string(&back_log).unwrap_or_default()
    );
    // A second cut-over, the forward task not running: the cut-over runs it here up to the
    // switch, holding its lock from the check to the run.
    let again_log = log_file("cutover-again");
    let mut again = spawn(
        &["cutover", &f, "--task", "shop", "--read-only", "--no-run"],
        &again_log,
    );
    assert!(
        wait_end(&mut again, &again_log),
        "{}",
        std::fs::read_to_string(&again_log).unwrap_or_default()
    );
    let said = std::fs::read_to_string(&again_log).unwrap_or_default();
    assert!(
        said.contains("(run here)") && said.contains("switched"),
        "{said}"
    );
    ends_equal(&pg, &my, (&my_url, &pg_url)).await;
    my.close().await;
    pg.close().await;
}

/// The end of a round trip: no change refused on either side, and `tugboat validate` of
/// `urls` (source, target) finds every row equal.
async fn ends_equal(pg: &Connection, my: &Connection, (src, dst): (&str, &str)) {
    for (c, label) in [(pg, "PostgreSQL"), (my, "MariaDB")] {
        assert_eq!(
            scalar(c, "SELECT count(*) FROM tugboat_apply_exceptions").await,
            "0",
            "{label}"
        );
    }
    let o = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(["validate", "--source", src, "--target", dst])
        .output()
        .expect("validate");
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs the CLI to its end with `TUGBOAT_KILL_AT` set (or not): how it ended, its log.
fn run_killed_at(
    args: &[&str],
    kill_at: Option<&str>,
    log: &str,
) -> (std::process::ExitStatus, String) {
    let f = std::fs::File::create(log).expect("log file");
    let e = f.try_clone().expect("log file");
    let mut c = Command::new(env!("CARGO_BIN_EXE_tugboat"));
    c.args(args)
        .env("TUG_IT_PW", support::PASSWORD)
        .stdout(f)
        .stderr(e);
    if let Some(step) = kill_at {
        c.env("TUGBOAT_KILL_AT", step);
    }
    let mut child = Cli(c.spawn().expect("tugboat runs"));
    let status = ended(&mut child, log);
    (status, std::fs::read_to_string(log).unwrap_or_default())
}

/// PostgreSQL → MariaDB: a second run of the replicating task refused while it runs; the
/// cut-over killed at each of its steps (after the step's work, before its journal entry) and
/// run again each time, the task not running (the cut-over runs it up to the switch); then the
/// application on MariaDB, its changes back on PostgreSQL, the fallback, the application on
/// PostgreSQL again, both sides equal.
#[tokio::test(flavor = "multi_thread")]
async fn a_cut_over_killed_at_each_step_goes_on_and_falls_back_exactly() {
    let stem = format!("cutk{}", std::process::id());
    let pg_url = support::pg_database(&stem).await;
    let pg = open(&pg_url).await;
    for sql in [
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer varchar(40) NOT NULL, amount numeric(12,2), note text)",
        "CREATE TABLE \"OrderLines\" (id serial PRIMARY KEY, order_id bigint, sku varchar(20))",
        "INSERT INTO orders (customer, amount, note) SELECT 'c' || g, g / 4.0, repeat('x', g % 50) FROM generate_series(1, 800) g",
        "INSERT INTO \"OrderLines\" (order_id, sku) SELECT g, 's' || g FROM generate_series(1, 600) g",
        // A sequence no column owns (the application calls nextval): a MariaDB SEQUENCE there.
        "CREATE SEQUENCE invoice_no START 1000",
    ] {
        pg.execute(sql).await.expect(sql);
    }
    let my_url = support::mysql_database(&stem).await;
    let my = open(&my_url).await;
    let dir = tempfile::tempdir().expect("dir");
    let f = project(dir.path(), &pg_url, &my_url);
    let pg_tables = Tables::new("public.orders", "public.\"OrderLines\"");
    let my_tables = Tables::new("orders", "`OrderLines`");
    let app_pg = App {
        pool: Pool::Postgres(sqlx::PgPool::connect(&pg_url).await.expect("pg pool")),
        tables: pg_tables.clone(),
    };

    // A dry run before the task ever ran: not ready, and says why.
    let dry = ["cutover", &f, "--task", "shop", "--dry-run"];
    let (status, said) = run_killed_at(&dry, None, &log_file("cutk-dry"));
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(
        said.contains("not ready") && said.contains("is not on the target"),
        "{said}"
    );

    let run_log = log_file("cutk-run");
    let mut forward = spawn(&["run", &f, "--task", "shop"], &run_log);
    wait_log(&run_log, "replicating from", &mut forward, 90).await;
    replicating(&my_url).await;
    // Replicating: ready, and a dry run changes nothing (no journal, the source writable).
    let (status, said) = run_killed_at(&dry, None, &log_file("cutk-dry"));
    assert!(
        status.success() && said.contains("ready: nothing changed"),
        "{said}"
    );
    assert_eq!(
        scalar(&pg, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()").await,
        "0"
    );
    assert_eq!(
        scalar(&my, "SELECT count(*) FROM tugboat_cutover").await,
        "0"
    );
    let (twice, said) = run_killed_at(
        &["run", &f, "--task", "shop"],
        None,
        &log_file("cutk-twice"),
    );
    assert!(
        !twice.success() && said.contains("it is running already"),
        "{said}"
    );
    let stop_a = Arc::new(AtomicBool::new(false));
    let writer_a = tokio::spawn(app_pg.clone().write(stop_a.clone(), true));
    // The application draws invoice numbers up to 5000 after the load.
    pg.execute("SELECT setval('invoice_no', 5000)")
        .await
        .expect("setval");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        interrupt(&mut forward, &run_log),
        "{}",
        std::fs::read_to_string(&run_log).unwrap_or_default()
    );

    let cut = ["cutover", &f, "--task", "shop", "--read-only", "--no-run"];
    let steps = [
        "stop-writes",
        "source-position",
        "catch-up",
        "validate",
        "counters",
        "reverse-position",
        "switched",
    ];
    for step in steps {
        let (status, said) = run_killed_at(&cut, Some(step), &log_file("cutk-kill"));
        // Killed (by a signal, no exit code), not failed.
        assert!(
            status.code().is_none(),
            "not killed at {step} ({status}): {said}"
        );
        assert!(!said.contains("error:"), "{step}: {said}");
    }
    let (status, said) = run_killed_at(&cut, None, &log_file("cutk-cut"));
    assert!(status.success(), "{said}");
    // Every step was found done but the last (and readiness, which is checked each time).
    assert_eq!(
        said.matches("(done by an earlier run)").count(),
        6,
        "{said}"
    );
    // The sequence on MariaDB goes on after PostgreSQL's last number.
    assert_eq!(
        scalar(&my, "SELECT NEXTVAL(invoice_no)").await,
        "5001",
        "{said}"
    );
    let (_, refused_a) = writer_a.await.expect("writer");
    stop_a.store(true, Ordering::Relaxed);
    assert!(
        refused_a
            .iter()
            .all(|r| r.contains("read-only") || r.contains("terminating")),
        "{refused_a:#?}"
    );

    // The application on MariaDB; its changes reach PostgreSQL through the reverse task.
    let back_log = log_file("cutk-reverse");
    let mut reverse = spawn(&["run", &f, "--task", "shop-reverse"], &back_log);
    wait_log(&back_log, "replicating from", &mut reverse, 60).await;
    let app_my = App {
        pool: Pool::MariaDb(sqlx::MySqlPool::connect(&my_url).await.expect("app pool")),
        tables: my_tables.clone(),
    };
    write_for(&app_my, 3).await;
    converge(
        (&my, &my_tables),
        (&pg, &pg_tables),
        "MariaDB's writes back on PostgreSQL",
    )
    .await;

    // Fallback: PostgreSQL writable again, the forward task placed and run.
    let fb_log = log_file("cutk-fallback");
    let mut fb = spawn(
        &["fallback", &f, "--task", "shop", "--writes-stopped"],
        &fb_log,
    );
    wait_log(&fb_log, "Running task shop ", &mut fb, 120).await;
    assert!(
        wait_end(&mut reverse, &back_log),
        "{}",
        std::fs::read_to_string(&back_log).unwrap_or_default()
    );
    let app_pg = App {
        pool: Pool::Postgres(sqlx::PgPool::connect(&pg_url).await.expect("pg pool")),
        tables: pg_tables.clone(),
    };
    write_for(&app_pg, 3).await;
    converge(
        (&pg, &pg_tables),
        (&my, &my_tables),
        "PostgreSQL's writes on MariaDB again",
    )
    .await;
    assert!(
        interrupt(&mut fb, &fb_log),
        "{}",
        std::fs::read_to_string(&fb_log).unwrap_or_default()
    );
    ends_equal(&pg, &my, (&pg_url, &my_url)).await;
    pg.close().await;
    my.close().await;
}

/// A target nothing can replicate from (SQLite keeps no log): a cut-over that would start the
/// reverse task is refused, and says why and what to do; without the reverse task it is ready.
#[tokio::test(flavor = "multi_thread")]
async fn a_cut_over_to_a_target_without_a_log_is_refused_unless_no_reverse() {
    let stem = format!("cuts{}", std::process::id());
    let my_url = support::mysql_database(&stem).await;
    let my = open(&my_url).await;
    my.execute("CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount DECIMAL(12,2), note TEXT)")
        .await
        .expect("orders");
    my.execute("INSERT INTO orders (customer, amount, note) SELECT concat('c', seq), seq / 4, 'n' FROM seq_1_to_100")
        .await
        .expect("rows");
    let dir = tempfile::tempdir().expect("dir");
    let lite = format!("sqlite://{}", dir.path().join("new.db").display());
    let f = project(dir.path(), &my_url, &lite);
    let run_log = log_file("cuts-run");
    let mut forward = spawn(&["run", &f, "--task", "shop"], &run_log);
    wait_log(&run_log, "replicating from", &mut forward, 90).await;
    replicating(&lite).await;
    let dry = ["cutover", &f, "--task", "shop", "--dry-run"];
    let (status, said) = run_killed_at(&dry, None, &log_file("cuts-dry"));
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(
        said.contains("FAIL")
            && said.contains("as the source of shop-reverse")
            && said.contains("not ready"),
        "{said}"
    );
    let (status, said) = run_killed_at(
        &[&dry[..], &["--no-reverse"]].concat(),
        None,
        &log_file("cuts-dry"),
    );
    assert!(
        status.success() && said.contains("ready: nothing changed"),
        "{said}"
    );
    assert!(interrupt(&mut forward, &run_log));
    my.close().await;
}

/// Two sources loaded into one target table (a consolidation): the second task's load with the
/// default prepare (truncate) is refused, naming the first task, and the first task's rows stay;
/// with --prepare do-nothing both sources' rows are there.
#[tokio::test]
async fn a_task_never_empties_a_table_another_task_loaded() {
    let dir = tempfile::tempdir().expect("dir");
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    for (db, first) in [("a.db", 1), ("b.db", 11), ("c.db", 2)] {
        let mut p = Endpoint::parse_url(&url(db)).expect("url");
        p.endpoint.role = Role::Target;
        let c = Connection::open(&p.endpoint, p.password)
            .await
            .expect("sqlite");
        c.execute(&format!(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO orders VALUES ({first}, 'x'), ({}, 'y'), ({}, 'z')",
            first + 1,
            first + 2
        ))
        .await
        .expect("source");
        c.close().await;
    }
    let (a, b, dst) = (url("a.db"), url("b.db"), url("all.db"));
    let migrate = |src: &str, task: &str, extra: &[&str]| {
        let mut args = vec!["migrate", "--source", src, "--target", &dst, "--task", task];
        args.extend(extra);
        let o = Command::new(env!("CARGO_BIN_EXE_tugboat"))
            .args(&args)
            .output()
            .expect("tugboat runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.success(), text)
    };
    let (ok, said) = migrate(&a, "from-a", &[]);
    assert!(ok, "{said}");
    let (ok, said) = migrate(&b, "from-b", &[]);
    assert!(!ok, "{said}");
    assert!(
        said.contains("task from-a loaded rows into this table too"),
        "{said}"
    );
    let target = open(&dst).await;
    assert_eq!(
        scalar(
            &target,
            "SELECT group_concat(id) FROM (SELECT id FROM orders ORDER BY id)"
        )
        .await,
        "1,2,3"
    );
    // Nor drops it: drop-and-create is refused before anything is dropped.
    let (ok, said) = migrate(&b, "from-b", &["--prepare", "drop-and-create"]);
    assert!(
        !ok && said.contains("would drop") && said.contains("task from-a"),
        "{said}"
    );
    let (ok, said) = migrate(
        &b,
        "from-b",
        &["--prepare", "do-nothing", "--validate", "none"],
    );
    assert!(ok, "{said}");
    assert_eq!(
        scalar(
            &target,
            "SELECT group_concat(id) FROM (SELECT id FROM orders ORDER BY id)"
        )
        .await,
        "1,2,3,11,12,13"
    );
    // A third source whose keys 2 and 3 the first one's rows hold: a collision, reported as
    // one with the tasks writing the table; its other row loaded, the first source's kept.
    let c = url("c.db");
    let (ok, said) = migrate(
        &c,
        "from-c",
        &["--prepare", "do-nothing", "--validate", "none"],
    );
    assert!(
        !ok && said.contains("key collision with another source's row (task from-a, from-b"),
        "{said}"
    );
    // (Its table unfinished, task from-c would empty it first: refused. Another task logs.)
    let (ok, said) = migrate(
        &c,
        "from-c-log",
        &[
            "--prepare",
            "do-nothing",
            "--validate",
            "none",
            "--error-policy",
            "log",
        ],
    );
    assert!(
        said.contains("2 rows collided with other sources' rows"),
        "{ok} {said}"
    );
    assert_eq!(
        scalar(
            &target,
            "SELECT group_concat(id || v) FROM (SELECT id, v FROM orders ORDER BY id)"
        )
        .await,
        "1x,2y,3z,4z,11x,12y,13z"
    );
    assert_eq!(
        scalar(
            &target,
            "SELECT count(*) FROM tugboat_apply_exceptions WHERE task = 'from-c-log' AND error LIKE 'key collision%'"
        )
        .await,
        "2"
    );
    target.close().await;
}
