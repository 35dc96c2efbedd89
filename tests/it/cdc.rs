//! Replication (CDC) through the CLI: MariaDB's binary log (the private server runs with a row
//! binlog) applied to PostgreSQL. Full load and CDC, changes of every kind of value, the CLI
//! killed with SIGKILL mid-stream and started again, a clean stop on SIGINT, then validation of
//! every row; a purged binary log and a SQLite source give clear errors.

use std::future::Future;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tugboat::endpoints::{Connection, Endpoint};

use crate::support;

pub(crate) async fn open(url: &str) -> Connection {
    let p = Endpoint::parse_url(url).expect("test URL");
    Connection::open(&p.endpoint, p.password)
        .await
        .expect("connection")
}

async fn open_target(url: &str) -> Connection {
    let mut p = Endpoint::parse_url(url).expect("test URL");
    p.endpoint.role = tugboat::endpoints::Role::Target;
    Connection::open(&p.endpoint, p.password)
        .await
        .expect("connection")
}

pub(crate) async fn scalar(c: &Connection, sql: &str) -> String {
    c.query_scalar("test", sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_default()
}

/// A CLI log file in the temporary folder, for this test process.
pub(crate) fn log_file(name: &str) -> String {
    let p = std::env::temp_dir().join(format!("tugboat-{name}-{}.log", std::process::id()));
    p.to_str().expect("path").to_string()
}

/// No change was refused or applied twice: `tugboat_apply_exceptions` on `dst` is empty
/// (`log`: the CLI's output, shown if not).
pub(crate) async fn no_exceptions(dst: &Connection, log: &str) {
    assert_eq!(
        scalar(dst, "SELECT count(*) FROM tugboat_apply_exceptions").await,
        "0",
        "{log}"
    );
}

/// Polls until `sql` gives the same on both sides; panics after 60 s with both answers.
pub(crate) async fn converge(
    src: &Connection,
    dst: &Connection,
    sql_src: &str,
    sql_dst: &str,
    log: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let a = scalar(src, sql_src).await;
        let b = dst
            .query_scalar("test", sql_dst)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        if a == b {
            return;
        }
        if Instant::now() > deadline {
            let err = std::fs::read_to_string(log).unwrap_or_default();
            panic!("target never caught up: source {a:?}, target {b:?}\n{err}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts `migrate --type full-load-and-cdc` of `task` (and `extra` options), its progress
/// lines in `log`.
pub(crate) fn start_task(
    src: &str,
    dst: &str,
    log: &str,
    task: &str,
    extra: &[&str],
) -> support::Cli {
    let f = std::fs::File::create(log).expect("log file");
    support::Cli(
        Command::new(env!("CARGO_BIN_EXE_tugboat"))
            .args([
                "migrate",
                "--source",
                src,
                "--target",
                dst,
                "--type",
                "full-load-and-cdc",
                "--task",
                task,
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(f)
            .spawn()
            .expect("tugboat runs"),
    )
}

const ITEMS: &str = "CREATE TABLE items (
    id BIGINT UNSIGNED PRIMARY KEY,
    name VARCHAR(50) CHARACTER SET utf8mb4,
    price DECIMAL(30,10),
    qty INT,
    small TINYINT UNSIGNED,
    created DATETIME(6),
    stamp TIMESTAMP(6) NULL DEFAULT NULL,
    flag TINYINT(1),
    kind ENUM('small','large'),
    tags SET('x','y','z'),
    data VARBINARY(40),
    fixed BINARY(4),
    doc JSON,
    day DATE,
    span TIME(3),
    yr YEAR,
    bits BIT(10),
    ratio DOUBLE,
    approx FLOAT,
    note TEXT
)";

const ROW: &str = "(%ID%, 'naïve 😀 %ID%', 12345678901234567890.0123456789, -2147483648, 255,
    '2024-02-29 23:59:59.999999', '2038-01-19 03:14:07.999999', 1, 'large', 'x,z',
    X'00FF00', X'AB', '{\"a\": [1, 2.5, null]}', '0001-01-01', '12:34:56.789', 2155,
    b'1000000001', 1.7976931348623157e308, 3.14, 'tab\\there')";

fn row(id: u64) -> String {
    ROW.replace("%ID%", &id.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_changes_reach_postgres_exactly_through_kill_and_restart() {
    let src_url = support::mysql_database("tug_cdc_src").await;
    let dst_url = support::pg_database("tug_cdc_dst").await;
    let src = open(&src_url).await;
    let dst = open(&dst_url).await;
    src.execute(ITEMS).await.expect("items");
    src.execute("CREATE TABLE plain (id INT PRIMARY KEY, n INT NOT NULL, label VARCHAR(20))")
        .await
        .expect("plain");
    src.execute(&format!("INSERT INTO items VALUES {}, {}", row(1), row(2)))
        .await
        .expect("rows");
    src.execute("INSERT INTO items (id) VALUES (18446744073709551615)")
        .await
        .expect("null row");
    src.execute("INSERT INTO plain SELECT seq, seq * 2, 'start' FROM seq_1_to_500")
        .await
        .expect("plain rows");

    let log = log_file("cdc");
    let mut child = start_task(&src_url, &dst_url, &log, "repl", &[]);
    loaded(&dst, "repl", &mut child, &log).await;

    // Changes of every kind: inserts with every type at its limits, updates (one moving the
    // key), deletes, a multi-statement transaction.
    src.execute(&format!("INSERT INTO items VALUES {}", row(3)))
        .await
        .expect("insert");
    src.execute(
        "UPDATE items SET name = 'renamed ✓', price = -0.0000000001, stamp = NULL, tags = '', kind = 'small', bits = b'1', span = '00:00:00.001', yr = 1901 WHERE id = 1",
    )
    .await
    .expect("update");
    src.execute("UPDATE items SET id = 10, note = NULL WHERE id = 2")
        .await
        .expect("key update");
    src.execute("DELETE FROM items WHERE id = 18446744073709551615")
        .await
        .expect("delete");
    src.execute(
        "START TRANSACTION; UPDATE plain SET n = n + 1 WHERE id <= 100; DELETE FROM plain WHERE id > 450; INSERT INTO plain VALUES (1000, 1, 'txn'); COMMIT",
    )
    .await
    .expect("transaction");
    let sum = "SELECT CONCAT(count(*), '/', sum(n)) FROM plain";
    let sum_pg = "SELECT count(*) || '/' || sum(n) FROM tug_cdc_src.plain";
    converge(&src, &dst, sum, sum_pg, &log).await;
    converge(
        &src,
        &dst,
        "SELECT GROUP_CONCAT(id ORDER BY id) FROM items",
        "SELECT string_agg(id::text, ',' ORDER BY id) FROM tug_cdc_src.items",
        &log,
    )
    .await;

    // A stream of small transactions; the CLI killed without warning in the middle of it.
    let writer = {
        let src = open(&src_url).await;
        tokio::spawn(async move {
            for i in 0..400 {
                let id = 2000 + i;
                src.execute(&format!(
                    "START TRANSACTION; INSERT INTO plain VALUES ({id}, {i}, 'stream'); UPDATE plain SET n = n + 1 WHERE id = {}; COMMIT",
                    1 + i % 50
                ))
                .await
                .expect("stream");
                if i % 40 == 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while scalar(
        &dst,
        "SELECT count(*) FROM tug_cdc_src.plain WHERE label = 'stream'",
    )
    .await
    .parse::<i64>()
    .unwrap_or(0)
        < 50
    {
        assert!(Instant::now() < deadline, "the stream did not arrive");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().expect("kill");
    child.wait().expect("killed");
    writer.await.expect("writer");
    src.execute("UPDATE items SET qty = qty + 1 WHERE id = 3")
        .await
        .expect("after the kill");

    // Started again: it resumes from the checkpoint and catches up.
    let mut child = start_task(&src_url, &dst_url, &log, "repl", &[]);
    converge(&src, &dst, sum, sum_pg, &log).await;
    converge(
        &src,
        &dst,
        "SELECT qty FROM items WHERE id = 3",
        "SELECT qty::text FROM tug_cdc_src.items WHERE id = 3",
        &log,
    )
    .await;
    // A column added on the source: added on the target, and its values follow.
    src.execute("ALTER TABLE plain ADD COLUMN extra DECIMAL(10,2) NULL; UPDATE plain SET extra = 1.5 WHERE id = 1000")
        .await
        .expect("add column");
    converge(
        &src,
        &dst,
        "SELECT extra FROM plain WHERE id = 1000",
        "SELECT extra::text FROM tug_cdc_src.plain WHERE id = 1000",
        &log,
    )
    .await;
    // SIGINT: a clean stop at a checkpoint, exit 0.
    let (stopped, out) = stop(&mut child, "INT", &log);
    assert!(stopped, "a clean stop exits 0: {out}");

    // Nothing applied twice (a strict apply would have met duplicate keys or missing rows),
    // and every row equal on both sides.
    no_exceptions(&dst, &out).await;
    let (ok, text, err) = tugboat(&["validate", "--source", &src_url, "--target", &dst_url]);
    assert!(ok, "{text}{err}");
    assert_eq!(text.matches("Validated").count(), 2, "{text}");
    // The values themselves, as PostgreSQL holds them.
    assert_eq!(
        scalar(
            &dst,
            "SELECT concat_ws('|', name, price, tags, kind, span, yr, note IS NULL, stamp IS NULL) FROM tug_cdc_src.items WHERE id = 1"
        )
        .await,
        "renamed ✓|-0.0000000001||small|00:00:00.001|1901|f|t"
    );

    // A checkpoint in a binary log the server no longer has, its GTID older than every log
    // there (what a purge leaves): a clear error, nothing applied.
    dst.execute(
        "UPDATE tugboat_cdc_checkpoint SET position = 'binlog.000000:4', source_gtid = '0-1-0' WHERE task = 'repl'",
    )
    .await
    .expect("checkpoint");
    let (ok, _, err) = tugboat(&[
        "migrate", "--source", &src_url, "--target", &dst_url, "--type", "cdc", "--task", "repl",
    ]);
    assert!(!ok, "{err}");
    assert!(
        err.contains("binlog.000000") && err.contains("Reload the task"),
        "{err}"
    );
}

#[tokio::test]
async fn a_sqlite_source_cannot_replicate_and_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let db = crate::discovery_sqlite::demo_db(dir.path()).await;
    let dst = dir.path().join("out.db");
    let (ok, _, err) = tugboat(&[
        "migrate",
        "--source",
        &format!("sqlite://{}", db.display()),
        "--target",
        &format!("sqlite://{}", dst.display()),
        "--type",
        "cdc",
    ]);
    assert!(!ok);
    assert!(
        err.contains("SQLite keeps no log") && err.contains("full-load"),
        "{err}"
    );
}

/// Runs the CLI to its end, 90 s at most (a command that should end and does not fails the
/// test instead of hanging it): (exit success, stdout, stderr).
fn tugboat(args: &[&str]) -> (bool, String, String) {
    tugboat_until_done(args)
}

/// Sends SIG`signal` (INT, TERM) to a running CLI and waits for it: (exit success, its log).
pub(crate) fn stop(child: &mut Child, signal: &str, log: &str) -> (bool, String) {
    Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("stopped");
    (
        status.success(),
        std::fs::read_to_string(log).unwrap_or_default(),
    )
}

/// Waits (60 s at most) until the CLI's log holds `text`.
async fn wait_log(log: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains(text)
    {
        assert!(Instant::now() < deadline, "the log never said {text:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the task's checkpoint has left the full-load phase (the full load is done).
pub(crate) async fn loaded(dst: &Connection, task: &str, child: &mut Child, log: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let phase = dst
            .query_scalar(
                "phase",
                &format!("SELECT phase FROM tugboat_cdc_checkpoint WHERE task = '{task}'"),
            )
            .await
            .ok()
            .flatten();
        if matches!(phase.as_deref(), Some("replay") | Some("cdc")) {
            return;
        }
        assert!(
            Instant::now() < deadline && child.try_wait().expect("wait").is_none(),
            "the full load did not finish: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// PostgreSQL's logical decoding (pgoutput, a slot read through SQL) into MariaDB: the same
/// journey the other way, with an unchanged TOAST value in an update, a TRUNCATE, the slot
/// advanced only past what the target holds, and a dropped slot refused with what to do.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_changes_reach_mariadb_exactly_through_kill_and_restart() {
    let src_url = support::pg_database("tug_pcdc_src").await;
    let dst_url = support::mysql_database("tug_pcdc_dst").await;
    let src = open(&src_url).await;
    let dst = open(&dst_url).await;
    src.execute(
        "CREATE TABLE acct (id bigint PRIMARY KEY, owner text, balance numeric(20,4), active boolean, photo bytea, opened timestamptz, seen timestamp(3), born date, prefs jsonb, score double precision, essay text);
         CREATE TABLE log (id int PRIMARY KEY, msg varchar(40));
         INSERT INTO acct VALUES (1, 'Zoë 😀', 12345678901234.5678, true, '\\x00ff00', '2024-02-29 23:59:59.123456+02', '1999-12-31 23:59:59.999', '0001-01-01', '{\"k\": [1, 2]}', 1e-300, (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 400) g));
         INSERT INTO log SELECT g, 'start ' || g FROM generate_series(1, 300) g;",
    )
    .await
    .expect("source tables");
    let log = log_file("pcdc");
    let mut child = start_task(&src_url, &dst_url, &log, "pg2my", &[]);
    loaded(&dst, "pg2my", &mut child, &log).await;

    src.execute(
        "INSERT INTO acct VALUES (2, NULL, -0.0001, false, '\\x', '1970-01-01 00:00:00+00', NULL, '2024-02-29', 'null', -0.0, 'short');
         UPDATE acct SET balance = balance + 1, active = NULL WHERE id = 1;
         UPDATE acct SET id = 3 WHERE id = 2;
         DELETE FROM log WHERE id > 250;
         BEGIN; UPDATE log SET msg = 'txn' WHERE id <= 10; INSERT INTO log VALUES (1000, 'new'); COMMIT;",
    )
    .await
    .expect("changes");
    let sum_src = "SELECT count(*) || '/' || sum(id) FROM log";
    let sum_dst = "SELECT CONCAT(count(*), '/', sum(id)) FROM log";
    converge(&src, &dst, sum_src, sum_dst, &log).await;
    converge(
        &src,
        &dst,
        "SELECT string_agg(id || ':' || coalesce(balance::text, '-'), ',' ORDER BY id) FROM acct",
        "SELECT GROUP_CONCAT(CONCAT(id, ':', COALESCE(balance, '-')) ORDER BY id) FROM acct",
        &log,
    )
    .await;
    // The essay was not sent with the update (unchanged TOAST) and is still whole.
    assert_eq!(
        scalar(&dst, "SELECT LENGTH(essay) FROM acct WHERE id = 1").await,
        "12800"
    );

    child.kill().expect("kill");
    child.wait().expect("killed");
    src.execute("INSERT INTO log SELECT g, 'after kill' FROM generate_series(2000, 2499) g; UPDATE log SET msg = 'again' WHERE id = 1; TRUNCATE acct; INSERT INTO acct (id, owner) VALUES (7, 'after truncate')")
        .await
        .expect("changes while stopped");
    let mut child = start_task(&src_url, &dst_url, &log, "pg2my", &[]);
    converge(&src, &dst, sum_src, sum_dst, &log).await;
    converge(
        &src,
        &dst,
        "SELECT string_agg(id || owner, ',') FROM acct",
        "SELECT GROUP_CONCAT(CONCAT(id, owner)) FROM acct",
        &log,
    )
    .await;
    let (stopped, out) = stop(&mut child, "TERM", &log);
    assert!(stopped, "SIGTERM stops cleanly: {out}");
    no_exceptions(&dst, &out).await;
    let (ok, text, err) = tugboat(&["validate", "--source", &src_url, "--target", &dst_url]);
    assert!(ok, "{text}{err}");
    // The slot is kept (the task may resume), free, and holds nothing the target has: a clean
    // stop moves it up to the target's checkpoint (other tests write WAL to the same server,
    // so the server's own position says nothing).
    let checkpoint = scalar(
        &dst,
        "SELECT position FROM tugboat_cdc_checkpoint WHERE task = 'pg2my'",
    )
    .await;
    let behind = scalar(
        &src,
        &format!("SELECT pg_wal_lsn_diff('{checkpoint}'::pg_lsn, confirmed_flush_lsn) <= 0 AND NOT active FROM pg_replication_slots WHERE slot_name = 'tugboat_pg2my'"),
    )
    .await;
    assert_eq!(behind, "t", "slot behind the checkpoint {checkpoint}");

    // A column added on the source: added on the target and replicated from then on; then a
    // column dropped: that table stops (its values would be made NULL), the others go on.
    let mut child = start_task(&src_url, &dst_url, &log, "pg2my", &[]);
    // The catalog is read at the start: the DDL comes once replication runs.
    wait_log(&log, "replicating from").await;
    src.execute("ALTER TABLE acct ADD COLUMN extra int; INSERT INTO acct (id, owner, extra) VALUES (8, 'x', 1); UPDATE acct SET extra = 7 WHERE id = 1; INSERT INTO log VALUES (5000, 'goes on')")
        .await
        .expect("add column");
    converge(
        &src,
        &dst,
        "SELECT string_agg(id || ':' || coalesce(extra::text, '-'), ',' ORDER BY id) FROM acct",
        "SELECT GROUP_CONCAT(CONCAT(id, ':', COALESCE(extra, '-')) ORDER BY id) FROM acct",
        &log,
    )
    .await;
    src.execute("ALTER TABLE acct DROP COLUMN extra; INSERT INTO acct (id, owner) VALUES (9, 'y'); INSERT INTO log VALUES (5001, 'still goes on')")
        .await
        .expect("drop column");
    converge(&src, &dst, sum_src, sum_dst, &log).await;
    assert_eq!(
        scalar(&dst, "SELECT count(*) FROM acct WHERE id = 9").await,
        "0"
    );
    let (stopped, out) = stop(&mut child, "TERM", &log);
    assert!(!stopped, "{out}");
    assert!(
        out.contains("tables suspended: public.acct") && out.contains("1 gone"),
        "{out}"
    );

    // The slot is listed with the WAL it holds.
    let (ok, listed, _) = tugboat(&["slots", &src_url]);
    assert!(
        ok && listed.contains("tugboat_pg2my") && listed.contains("drop-task"),
        "{listed}"
    );

    // The slot dropped behind the task's back: a clear error, nothing applied.
    src.execute("SELECT pg_drop_replication_slot('tugboat_pg2my')")
        .await
        .expect("drop slot");
    let (ok, _, err) = tugboat(&[
        "migrate", "--source", &src_url, "--target", &dst_url, "--type", "cdc", "--task", "pg2my",
    ]);
    assert!(!ok, "{err}");
    assert!(
        err.contains("tugboat_pg2my") && err.contains("Reload the task"),
        "{err}"
    );
    // Dropping the task removes its publication and its checkpoint.
    let (ok, _, err) = tugboat(&[
        "drop-task",
        "--source",
        &src_url,
        "--target",
        &dst_url,
        "--task",
        "pg2my",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        scalar(
            &src,
            "SELECT count(*) FROM pg_publication WHERE pubname = 'tugboat_pg2my'"
        )
        .await,
        "0"
    );
    assert_eq!(
        scalar(
            &dst,
            "SELECT count(*) FROM tugboat_cdc_checkpoint WHERE task = 'pg2my'"
        )
        .await,
        "0"
    );
}

/// A private MariaDB database made by `setup`, and an empty SQLite target in a temporary
/// folder (kept while `_dir` lives) with the CLI's log beside it.
struct IntoSqlite {
    src_url: String,
    src: Connection,
    dst_url: String,
    dst: Connection,
    log: String,
    _dir: tempfile::TempDir,
}

async fn into_sqlite(db: &str, setup: &str) -> IntoSqlite {
    let src_url = support::mysql_database(db).await;
    let src = open(&src_url).await;
    src.execute(setup).await.expect("source");
    let dir = tempfile::tempdir().expect("dir");
    let dst_url = format!("sqlite://{}", dir.path().join("copy.db").display());
    let dst = open_target(&dst_url).await;
    let log = dir.path().join("tugboat.log");
    let log = log.to_str().expect("path").to_string();
    IntoSqlite {
        src_url,
        src,
        dst_url,
        dst,
        log,
        _dir: dir,
    }
}

/// Into SQLite, with the log-and-continue error policy: a change whose row the target lost is
/// a conflict kept in `tugboat_apply_exceptions`, and the changes around it still apply.
#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_is_logged_and_replication_goes_on_into_sqlite() {
    let IntoSqlite {
        src_url,
        src,
        dst_url,
        dst,
        log,
        _dir,
    } = into_sqlite("tug_cdc_lite_src", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t SELECT seq, 'v' FROM seq_1_to_20; CREATE TABLE u (id INT PRIMARY KEY)").await;
    let mut child = start_task(&src_url, &dst_url, &log, "lite", &["--error-policy", "log"]);
    loaded(&dst, "lite", &mut child, &log).await;
    // Changes made during the replay are idempotent; wait for the strict phase.
    src.execute("INSERT INTO t VALUES (21, 'first')")
        .await
        .expect("insert");
    converge(
        &src,
        &dst,
        "SELECT count(*) FROM t",
        "SELECT count(*) FROM t",
        &log,
    )
    .await;
    dst.execute("DELETE FROM t WHERE id = 5")
        .await
        .expect("target loses a row");
    src.execute(
        "START TRANSACTION; UPDATE t SET v = 'lost' WHERE id = 5; INSERT INTO t VALUES (22, 'a'), (23, 'b'); DELETE FROM t WHERE id IN (1, 2); COMMIT",
    )
    .await
    .expect("changes");
    converge(
        &src,
        &dst,
        "SELECT GROUP_CONCAT(id ORDER BY id) FROM t WHERE id <> 5",
        "SELECT group_concat(id, ',') FROM (SELECT id FROM t ORDER BY id)",
        &log,
    )
    .await;
    let kept = scalar(
        &dst,
        "SELECT table_name || ': ' || error || ' ' || row_values FROM tugboat_apply_exceptions WHERE task = 'lite'",
    )
    .await;
    assert!(
        kept.contains("tug_cdc_lite_src.t") && kept.contains("no row") && kept.contains("lost"),
        "{kept}"
    );
    // A column added on the source is added on the target and replicated; a column dropped
    // stops that table with the reason while the others go on.
    src.execute("ALTER TABLE u ADD COLUMN label VARCHAR(10) NULL; INSERT INTO u VALUES (1, 'one'), (2, NULL)")
        .await
        .expect("add column");
    converge(
        &src,
        &dst,
        "SELECT GROUP_CONCAT(CONCAT(id, COALESCE(label, '-')) ORDER BY id) FROM u",
        "SELECT group_concat(id || coalesce(label, '-'), ',') FROM (SELECT * FROM u ORDER BY id)",
        &log,
    )
    .await;
    src.execute(
        "ALTER TABLE t DROP COLUMN v; INSERT INTO t VALUES (30); INSERT INTO u VALUES (3, 'three')",
    )
    .await
    .expect("drop column");
    converge(
        &src,
        &dst,
        "SELECT count(*) FROM u",
        "SELECT count(*) FROM u",
        &log,
    )
    .await;
    assert_eq!(
        scalar(&dst, "SELECT count(*) FROM t WHERE id = 30").await,
        "0",
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let (stopped, out) = stop(&mut child, "INT", &log);
    assert!(!stopped, "a suspended table fails the run: {out}");
    assert!(
        out.contains("tables suspended: tug_cdc_lite_src.t") && out.contains("reload the table"),
        "{out}"
    );
    // Started again past the changes it left out, the table stays suspended until reloaded;
    // the others go on.
    src.execute("INSERT INTO t VALUES (31); INSERT INTO u VALUES (4, 'four')")
        .await
        .expect("changes while stopped");
    let mut child = start_task(&src_url, &dst_url, &log, "lite", &["--error-policy", "log"]);
    converge(
        &src,
        &dst,
        "SELECT count(*) FROM u",
        "SELECT count(*) FROM u",
        &log,
    )
    .await;
    let (_, out) = stop(&mut child, "INT", &log);
    assert!(out.contains("tug_cdc_lite_src.t stays suspended"), "{out}");
    assert_eq!(
        scalar(&dst, "SELECT count(*) FROM t WHERE id IN (30, 31)").await,
        "0"
    );
}

/// Runs the CLI until it exits by itself (at most 90 s, then it is killed and the test fails):
/// (exit success, stdout, stderr).
pub(crate) fn tugboat_until_done(args: &[&str]) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tugboat runs");
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("kill the stuck task");
            let o = child.wait_with_output().expect("output");
            panic!(
                "the task never stopped by itself: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.wait_with_output().expect("output");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// `--stop-at`: a task given a binary log position applies every transaction up to it and none
/// after, then exits 0 at that checkpoint; given a commit time with nothing more to read, it
/// stops once the time has passed; started again without a stop, it goes on from there and
/// loses nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_task_stops_by_itself_at_a_position_or_a_time_and_goes_on_from_there() {
    let IntoSqlite {
        src_url,
        src,
        dst_url,
        dst,
        log,
        _dir,
    } = into_sqlite("tug_cdc_stop_src", "CREATE TABLE s (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO s SELECT seq, 'load' FROM seq_1_to_10").await;
    let ids = "SELECT group_concat(id, ',') FROM (SELECT id FROM s ORDER BY id)";

    let mut child = start_task(&src_url, &dst_url, &log, "stopper", &[]);
    loaded(&dst, "stopper", &mut child, &log).await;
    src.execute("INSERT INTO s VALUES (11, 'a')")
        .await
        .expect("a");
    converge(
        &src,
        &dst,
        "SELECT count(*) FROM s",
        "SELECT count(*) FROM s",
        &log,
    )
    .await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");

    // Stopped: one transaction, the position after it, then two more.
    src.execute("START TRANSACTION; INSERT INTO s VALUES (12, 'b'); UPDATE s SET v = 'b' WHERE id = 1; COMMIT")
        .await
        .expect("b");
    let stop_pos = binlog_position(&src).await;
    src.execute("INSERT INTO s VALUES (13, 'c'); DELETE FROM s WHERE id = 2")
        .await
        .expect("c");
    let args = |stop: &str| -> Vec<String> {
        [
            "migrate",
            "--source",
            &src_url,
            "--target",
            &dst_url,
            "--type",
            "full-load-and-cdc",
            "--task",
            "stopper",
            "--stop-at",
            stop,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let a = args(&stop_pos);
    let (ok, out, err) = tugboat_until_done(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains(&format!("reached its stop (position {stop_pos})")),
        "{out}"
    );
    assert_eq!(
        scalar(&dst, ids).await,
        "1,2,3,4,5,6,7,8,9,10,11,12",
        "up to the stop and nothing after it"
    );
    assert_eq!(scalar(&dst, "SELECT v FROM s WHERE id = 1").await, "b");
    assert_eq!(
        scalar(
            &dst,
            "SELECT position FROM tugboat_cdc_checkpoint WHERE task = 'stopper'"
        )
        .await,
        stop_pos,
        "the checkpoint is the stop"
    );

    // A commit time already passed, nothing more after what is pending: it applies the rest
    // (13 and the delete, committed before it) and stops once nothing more comes.
    let t = a_second_ago().await;
    let a = args(&t);
    let (ok, out, err) = tugboat_until_done(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("reached its stop (commit time"), "{out}");
    assert_eq!(scalar(&dst, ids).await, "1,3,4,5,6,7,8,9,10,11,12,13");

    // Without a stop it goes on from the checkpoint.
    src.execute("INSERT INTO s VALUES (14, 'd')")
        .await
        .expect("d");
    let mut child = start_task(&src_url, &dst_url, &log, "stopper", &[]);
    converge(
        &src,
        &dst,
        "SELECT GROUP_CONCAT(CONCAT(id, v) ORDER BY id) FROM s",
        "SELECT group_concat(id || v, ',') FROM (SELECT * FROM s ORDER BY id)",
        &log,
    )
    .await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");

    // A stop that is not this source's kind of position is refused before anything runs.
    let a = args("0/16B3748");
    let (ok, _, err) = tugboat_until_done(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        !ok && err.contains("not a position of this source's log"),
        "{err}"
    );
}

/// Where MariaDB's binary log ends now (`file:pos`).
pub(crate) async fn binlog_position(src: &tugboat::endpoints::Connection) -> String {
    let r = src.query_text("SHOW MASTER STATUS").await.expect("status");
    format!(
        "{}:{}",
        r[0].at(0).expect("file"),
        r[0].at(1).expect("position")
    )
}

/// A commit time (RFC 3339) of whole seconds, after 1.1 s: every commit before the call lies
/// before it (MariaDB logs whole seconds).
pub(crate) async fn a_second_ago() -> String {
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    jiff::Timestamp::from_second(now).expect("time").to_string()
}

/// DMS's table mappings with a source filter on each table and two add-column expressions.
pub(crate) fn shaping_rules(tag_expr: &str) -> String {
    let filter = |id: u32, table: &str| {
        format!(
            r#"{{"rule-type": "selection", "rule-id": "{id}", "rule-name": "{id}", "rule-action": "include",
              "object-locator": {{"schema-name": "%", "table-name": "{table}"}},
              "filters": [{{"filter-type": "source", "column-name": "status",
                           "filter-conditions": [{{"filter-operator": "eq", "value": "active"}}]}}]}}"#
        )
    };
    format!(
        r#"{{"rules": [{}, {},
          {{"rule-type": "transformation", "rule-id": "3", "rule-name": "3", "rule-target": "column",
            "object-locator": {{"schema-name": "%", "table-name": "orders"}}, "rule-action": "add-column",
            "value": "total", "expression": "price * qty",
            "data-type": {{"type": "numeric", "precision": 12, "scale": 2}}}},
          {{"rule-type": "transformation", "rule-id": "4", "rule-name": "4", "rule-target": "column",
            "object-locator": {{"schema-name": "%", "table-name": "orders"}}, "rule-action": "add-column",
            "value": "tag", "expression": "{tag_expr}",
            "data-type": {{"type": "string", "length": 30}}}}]}}"#,
        filter(1, "orders"),
        filter(2, "events")
    )
}

/// The shaping journey's tables in MariaDB (`orders`' status compared with its collation), and
/// the expression of its `tag` column.
pub(crate) const SHAPE_MARIADB: (&str, &str) = (
    "CREATE TABLE orders (id INT PRIMARY KEY, status VARCHAR(10) COLLATE utf8mb4_general_ci, price DECIMAL(10,2), qty INT, note TEXT);
         INSERT INTO orders VALUES (1, 'active', 10.00, 2, 'a'), (2, 'closed', 5.50, 1, 'b'), (3, 'ACTIVE', 1.25, 4, 'c'), (4, 'active', 2.00, 3, 'd');
         CREATE TABLE events (id INT PRIMARY KEY, status VARCHAR(10), body LONGTEXT);
         INSERT INTO events SELECT seq, IF(seq = 1, 'active', 'new'), REPEAT(MD5(seq), 200) FROM seq_1_to_3",
    "CONCAT(UPPER(status), '-', id)",
);

/// The same in PostgreSQL: `orders` without its old rows (REPLICA IDENTITY DEFAULT), `events`
/// with them (FULL).
pub(crate) const SHAPE_POSTGRES: (&str, &str) = (
    "CREATE TABLE orders (id int PRIMARY KEY, status varchar(10), price numeric(10,2), qty int, note text);
         INSERT INTO orders VALUES (1, 'active', 10.00, 2, 'a'), (2, 'closed', 5.50, 1, 'b'), (3, 'ACTIVE', 1.25, 4, 'c'), (4, 'active', 2.00, 3, 'd');
         CREATE TABLE events (id int PRIMARY KEY, status varchar(10), body text);
         ALTER TABLE events REPLICA IDENTITY FULL;
         INSERT INTO events SELECT g, CASE WHEN g = 1 THEN 'active' ELSE 'new' END, (SELECT string_agg(md5((g * 1000 + x)::text), '') FROM generate_series(1, 400) x) FROM generate_series(1, 3) g",
    "upper(status) || '-' || id",
);

/// Every row of the SQLite copy's `orders` and `events` (the events' bodies by length and
/// checksum), in key order.
const SHAPED_ROWS: &str = "SELECT (SELECT group_concat(line, ' | ') FROM (SELECT id || ',' || coalesce(status, '-') || ',' || price || ',' || qty || ',' || coalesce(total, '-') || ',' || coalesce(tag, '-') AS line FROM orders ORDER BY id)) || ' # ' || coalesce((SELECT group_concat(line, ' | ') FROM (SELECT id || ',' || status || ',' || length(body) || ',' || substr(body, 1, 8) || substr(body, -8) AS line FROM events ORDER BY id)), '')";

/// The changes every shaping test makes on `orders` and `events` (spelled alike in MariaDB and
/// PostgreSQL): rows into and out of the filter by insert, update and delete, a key moved,
/// a computed value's inputs changed, and an event moved into the filter by an update that
/// leaves its large body alone.
pub(crate) const SHAPING_CHANGES: &[&str] = &[
    "INSERT INTO orders VALUES (5, 'active', 3.00, 3, 'e'), (6, 'closed', 1.00, 1, 'f')",
    "UPDATE orders SET status = 'closed' WHERE id = 1",
    "UPDATE orders SET status = 'active' WHERE id = 2",
    "UPDATE orders SET qty = 10 WHERE id = 4",
    "UPDATE orders SET qty = 7 WHERE id = 6",
    "DELETE FROM orders WHERE id IN (3, 6)",
    "UPDATE orders SET id = 40, price = 2.50 WHERE id = 4",
    "UPDATE orders SET status = NULL WHERE id = 5",
    "UPDATE events SET status = 'active' WHERE id = 2",
    "UPDATE events SET status = 'gone' WHERE id = 1",
];

/// Runs the shaping journey from `src_url` (made by `setup`) into a SQLite file: full load and
/// CDC with the filters and computed columns, the changes, then a fresh full load with the
/// same mappings into another file, which the replicated copy must equal row for row.
async fn shaped_replication(
    src_url: &str,
    setup: &str,
    tag_expr: &str,
    task: &str,
) -> (String, String) {
    let src = open(src_url).await;
    src.execute(setup).await.expect("source tables");
    let dir = tempfile::tempdir().expect("dir");
    let rules = dir.path().join("mappings.json");
    std::fs::write(&rules, shaping_rules(tag_expr)).expect("rules");
    let rules = rules.to_str().expect("path").to_string();
    let url = |f: &str| format!("sqlite://{}", dir.path().join(f).display());
    let (dst_url, oracle_url) = (url("copy.db"), url("oracle.db"));
    let log = dir.path().join("tugboat.log");
    let log = log.to_str().expect("path").to_string();
    let dst = open_target(&dst_url).await;

    let mut child = start_task(src_url, &dst_url, &log, task, &["--mappings", &rules]);
    loaded(&dst, task, &mut child, &log).await;
    let loaded_rows = scalar(&dst, SHAPED_ROWS).await;
    for sql in SHAPING_CHANGES {
        src.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    let (ok, out, err) = tugboat(&[
        "migrate",
        "--source",
        src_url,
        "--target",
        &oracle_url,
        "--mappings",
        &rules,
        "--task",
        "oracle",
    ]);
    assert!(ok, "the fresh full load: {out}\n{err}");
    let oracle = open_target(&oracle_url).await;
    let want = scalar(&oracle, SHAPED_ROWS).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = scalar(&dst, SHAPED_ROWS).await;
        if got == want {
            break;
        }
        if Instant::now() > deadline {
            let l = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "the replicated copy never matched a fresh full load:\n got {got}\nwant {want}\n{l}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    no_exceptions(&dst, &out).await;
    (loaded_rows, want)
}

/// MariaDB into SQLite: the task's source filters decide which changes reach the target (an
/// update moving a row into the filter inserts it, out of it deletes it) and its add-column
/// expressions are computed for every replicated row, exactly as a full load of the same rows
/// gives them; the filter compares with the column's collation, as MariaDB does.
#[tokio::test(flavor = "multi_thread")]
async fn source_filters_and_computed_columns_apply_to_replicated_changes_from_mariadb() {
    let src_url = support::mysql_database("tug_cdc_shape_my").await;
    let (loaded, replicated) =
        shaped_replication(&src_url, SHAPE_MARIADB.0, SHAPE_MARIADB.1, "shape_my").await;
    assert_eq!(
        loaded.split(" # ").next().unwrap_or_default(),
        "1,active,10,2,20,ACTIVE-1 | 3,ACTIVE,1.25,4,5,ACTIVE-3 | 4,active,2,3,6,ACTIVE-4",
        "the full load: the filter is case-insensitive like the column's collation"
    );
    assert_eq!(
        replicated.split(" # ").next().unwrap_or_default(),
        "2,active,5.5,1,5.5,ACTIVE-2 | 40,active,2.5,10,25,ACTIVE-40",
        "moved in, moved out, recomputed"
    );
}

/// PostgreSQL into SQLite: the same journey where the old row is not sent (REPLICA IDENTITY
/// DEFAULT on `orders`: whether a row was in the filter is not known, so changes apply
/// idempotently) and where it is (FULL on `events`: the update that moves an event into the
/// filter leaves its large body unchanged, and the body comes from the old row).
#[tokio::test(flavor = "multi_thread")]
async fn source_filters_and_computed_columns_apply_to_replicated_changes_from_postgres() {
    let src_url = support::pg_database("tug_cdc_shape_pg").await;
    let (loaded, replicated) =
        shaped_replication(&src_url, SHAPE_POSTGRES.0, SHAPE_POSTGRES.1, "shape_pg").await;
    assert_eq!(
        loaded.split(" # ").next().unwrap_or_default(),
        "1,active,10,2,20,ACTIVE-1 | 4,active,2,3,6,ACTIVE-4",
        "the full load: PostgreSQL compares case-sensitively"
    );
    let (orders, events) = replicated.split_once(" # ").unwrap_or_default();
    assert_eq!(
        orders, "2,active,5.5,1,5.5,ACTIVE-2 | 40,active,2.5,10,25,ACTIVE-40",
        "moved in, moved out, recomputed"
    );
    assert!(
        events.starts_with("2,active,12800,"),
        "the event moved in whole: {events}"
    );
}

/// What differs between the two directions of [`large_transactions`].
struct LargeCase<'a> {
    src_url: &'a str,
    dst_url: &'a str,
    task: &'a str,
    /// The source's large transaction: `%T%` its tag, `%F%` its first id; it inserts
    /// [`LARGE_ROWS`] rows tagged `%T%` into `bulk` and changes other rows around them.
    txn: &'a str,
    /// `bulk` and `side` as the target names them.
    bulk: &'a str,
    side: &'a str,
    /// The source's log position now, plus one (inside the next transaction).
    position: for<'c> fn(&'c Connection) -> Pin<Box<dyn Future<Output = String> + 'c>>,
}

const LARGE_ROWS: u64 = 26_000;

/// Polls the target's count of `tag` rows in `bulk` until it is [`LARGE_ROWS`]: every count
/// seen on the way must be 0 or all of them (the source transaction lands whole).
async fn lands_whole(dst: &Connection, bulk: &str, tag: &str, log: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let sql = format!("SELECT count(*) FROM {bulk} WHERE label = '{tag}'");
    let mut seen = std::collections::BTreeSet::new();
    loop {
        let n: u64 = scalar(dst, &sql).await.parse().unwrap_or(0);
        seen.insert(n);
        assert!(
            n == 0 || n == LARGE_ROWS,
            "the target showed part of a source transaction ({n} of {LARGE_ROWS} rows tagged {tag})"
        );
        if n == LARGE_ROWS {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "transaction {tag} never arrived: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Counts what the target's sessions are doing: sleeping (`sleep`) or waiting for a lock.
async fn sessions(dst: &Connection, pg_target: bool, sleep: bool) -> String {
    let sql = match (pg_target, sleep) {
        (true, true) => "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'",
        (true, false) => {
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        }
        (false, true) => {
            "SELECT count(*) FROM information_schema.processlist WHERE state = 'User sleep'"
        }
        // (A statement of the applier's held for a second is waiting on the lock.)
        (false, false) => {
            "SELECT count(*) FROM information_schema.processlist WHERE command = 'Query' AND state = 'Updating' AND time >= 1"
        }
    };
    scalar(dst, sql).await
}

/// A source transaction far larger than a part ([`tugboat::cdc::PART_CHANGES`] changes) goes
/// to the target in parts inside one target transaction: the target shows all of it or none of
/// it; the CLI killed while it is open leaves none of it, and started again applies it once; a
/// stop inside it rolls back what was applied and the next run applies it whole.
async fn large_transactions(case: LargeCase<'_>, pg_target: bool) {
    let LargeCase {
        src_url,
        dst_url,
        task,
        txn,
        bulk,
        side,
        position,
    } = case;
    let src = open(src_url).await;
    let dst = open(dst_url).await;
    let log = log_file(task);
    let big = |tag: &str, from: u64| txn.replace("%T%", tag).replace("%F%", &from.to_string());
    assert!(LARGE_ROWS as usize > 2 * tugboat::cdc::PART_CHANGES);

    let mut child = start_task(src_url, dst_url, &log, task, &[]);
    loaded(&dst, task, &mut child, &log).await;
    src.execute(&big("a", 100_000))
        .await
        .expect("transaction a");
    lands_whole(&dst, bulk, "a", &log).await;

    // Killed while the target holds a large transaction open: none of it stays. A row of the
    // target locked for a while holds the applier inside it.
    let holder = {
        let dst = open(dst_url).await;
        let sql = if pg_target {
            format!(
                "BEGIN; SELECT id FROM {bulk} WHERE id = 1 FOR UPDATE; SELECT pg_sleep(10); COMMIT"
            )
        } else {
            format!(
                "START TRANSACTION; SELECT id FROM {bulk} WHERE id = 1 FOR UPDATE; DO SLEEP(10); COMMIT"
            )
        };
        tokio::spawn(async move { dst.execute(&sql).await.expect("lock holder") })
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while sessions(&dst, pg_target, true).await == "0" {
        assert!(Instant::now() < deadline, "the lock was never taken");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    src.execute(&big("b", 200_000))
        .await
        .expect("transaction b");
    let deadline = Instant::now() + Duration::from_secs(8);
    while sessions(&dst, pg_target, false).await == "0" {
        assert!(
            Instant::now() < deadline,
            "the applier never reached the locked row: {} rows of b on the target\n{}",
            scalar(
                &dst,
                &format!("SELECT count(*) FROM {bulk} WHERE label = 'b'")
            )
            .await,
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().expect("kill");
    child.wait().expect("killed");
    holder.await.expect("lock holder");
    let b = format!("SELECT count(*) FROM {bulk} WHERE label = 'b'");
    assert_eq!(scalar(&dst, &b).await, "0", "none of b stays");
    let mut child = start_task(src_url, dst_url, &log, task, &[]);
    lands_whole(&dst, bulk, "b", &log).await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");

    // A stop inside the next large transaction: its parts are applied, then rolled back.
    src.execute("INSERT INTO side VALUES (1, 'before the stop')")
        .await
        .expect("side");
    let stop_at = position(&src).await;
    src.execute(&big("c", 300_000))
        .await
        .expect("transaction c");
    let (ok, out, err) = tugboat_until_done(&[
        "migrate",
        "--source",
        src_url,
        "--target",
        dst_url,
        "--type",
        "full-load-and-cdc",
        "--task",
        task,
        "--stop-at",
        &stop_at,
    ]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("reached its stop") && out.contains("the next transaction ends at"),
        "{out}"
    );
    assert_eq!(
        scalar(&dst, &format!("SELECT v FROM {side} WHERE id = 1")).await,
        "before the stop"
    );
    let c = format!("SELECT count(*) FROM {bulk} WHERE label = 'c'");
    assert_eq!(scalar(&dst, &c).await, "0", "past the stop: {out}");

    // Without the stop, it goes on and lands whole.
    let mut child = start_task(src_url, dst_url, &log, task, &[]);
    lands_whole(&dst, bulk, "c", &log).await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    no_exceptions(&dst, &out).await;
    all_validated(src_url, dst_url);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_mariadb_transaction_reaches_postgres_whole_through_kill_and_stop() {
    let src_url = support::mysql_database("tug_big_src").await;
    let dst_url = support::pg_database("tug_big_dst").await;
    open(&src_url)
        .await
        .execute(
            "CREATE TABLE bulk (id INT PRIMARY KEY, n INT NOT NULL, label VARCHAR(10));
             CREATE TABLE side (id INT PRIMARY KEY, v VARCHAR(40));
             INSERT INTO bulk SELECT seq, seq, 'load' FROM seq_1_to_1000;",
        )
        .await
        .expect("source tables");
    large_transactions(
        LargeCase {
            src_url: &src_url,
            dst_url: &dst_url,
            task: "bigmy",
            txn: "START TRANSACTION;
                  INSERT INTO bulk SELECT seq, seq % 97, '%T%' FROM seq_%F%_to_999999 LIMIT 26000;
                  UPDATE bulk SET n = n + 1 WHERE label = 'load';
                  DELETE FROM bulk WHERE label = 'load' AND id % 100 = 0;
                  INSERT INTO bulk VALUES (%F% + 50000, 0, 'load');
                  INSERT INTO side VALUES (%F%, '%T%');
                  COMMIT",
            bulk: "tug_big_src.bulk",
            side: "tug_big_src.side",
            position: |c| {
                Box::pin(async move {
                    let r = c.query_text("SHOW MASTER STATUS").await.expect("status");
                    let pos: u64 = r[0].at(1).expect("position").parse().expect("number");
                    format!("{}:{}", r[0].at(0).expect("file"), pos + 1)
                })
            },
        },
        true,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_postgres_transaction_reaches_mariadb_whole_through_kill_and_stop() {
    let src_url = support::pg_database("tug_pbig_src").await;
    let dst_url = support::mysql_database("tug_pbig_dst").await;
    let src = open(&src_url).await;
    src.execute(
        "CREATE TABLE bulk (id int PRIMARY KEY, n int NOT NULL, label varchar(10));
         CREATE TABLE side (id int PRIMARY KEY, v varchar(40));
         INSERT INTO bulk SELECT g, g, 'load' FROM generate_series(1, 1000) g;",
    )
    .await
    .expect("source tables");
    // A TRUNCATE in the middle, after the first part went to the target: what the transaction
    // put in `side` before it is gone, what it put after it stays.
    large_transactions(
        LargeCase {
            src_url: &src_url,
            dst_url: &dst_url,
            task: "bigpg",
            txn: "BEGIN;
                  INSERT INTO bulk SELECT g, g % 97, '%T%' FROM generate_series(%F%, %F% + 15999) g;
                  INSERT INTO side VALUES (%F%, 'gone with the truncate');
                  TRUNCATE side;
                  INSERT INTO side VALUES (%F% + 1, '%T%');
                  INSERT INTO bulk SELECT g, g % 97, '%T%' FROM generate_series(%F% + 16000, %F% + 25999) g;
                  UPDATE bulk SET n = n + 1 WHERE label = 'load';
                  DELETE FROM bulk WHERE label = 'load' AND id % 100 = 0;
                  INSERT INTO bulk VALUES (%F% + 50000, 0, 'load');
                  COMMIT",
            bulk: "bulk",
            side: "side",
            position: |c| {
                Box::pin(async move {
                    c.query_scalar("test", "SELECT (pg_current_wal_insert_lsn() + 1)::text")
                        .await
                        .expect("lsn")
                        .expect("a position")
                })
            },
        },
        false,
    )
    .await;
    let dst = open(&dst_url).await;
    assert_eq!(
        scalar(&dst, "SELECT GROUP_CONCAT(v ORDER BY id) FROM side").await,
        "c",
        "the last transaction's truncate emptied side; its insert after it stays"
    );
    // The shared server's slots are few: this task's goes with it.
    tugboat::engines::postgres::pgoutput::drop_slot_named(&src, "tugboat_bigpg")
        .await
        .expect("drop slot");
}

/// `--type cdc --start-position` with a MariaDB GTID: the task starts just after the GTID's
/// transaction (what came after it, before the task started, is applied; what came before is
/// not applied again), a clean stop names the checkpoint's GTID, and a GTID the server has not
/// logged, or one that is not a GTID, is refused before anything runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_cdc_task_starts_at_a_mariadb_gtid() {
    let IntoSqlite {
        src_url,
        src,
        dst_url,
        dst,
        log,
        _dir,
    } = into_sqlite(
        "tug_cdc_gtid_src",
        "CREATE TABLE g (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO g VALUES (1, 'one'), (2, 'two')",
    )
    .await;
    let (ok, out, err) = tugboat(&["migrate", "--source", &src_url, "--target", &dst_url]);
    assert!(ok, "{out}{err}");
    // A row the target gets by hand, the server's GTID after it, then changes after that: a
    // start too early would insert row 4 again (a duplicate key), one too late would miss 3.
    src.execute("INSERT INTO g VALUES (4, 'four')")
        .await
        .expect("insert");
    let gtid = scalar(&src, "SELECT @@gtid_binlog_pos").await;
    assert!(gtid.split('-').count() == 3, "{gtid}");
    dst.execute("INSERT INTO g VALUES (4, 'four')")
        .await
        .expect("the target has it");
    src.execute(
        "INSERT INTO g VALUES (3, 'three'); UPDATE g SET v = 'uno' WHERE id = 1; DELETE FROM g WHERE id = 2",
    )
    .await
    .expect("changes after the GTID");

    let f = std::fs::File::create(&log).expect("log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args([
            "migrate",
            "--source",
            &src_url,
            "--target",
            &dst_url,
            "--type",
            "cdc",
            "--task",
            "gt",
            "--start-position",
            &gtid,
        ])
        .stdout(Stdio::null())
        .stderr(f)
        .spawn()
        .expect("tugboat runs");
    let rows = "SELECT GROUP_CONCAT(CONCAT(id, v) ORDER BY id) FROM g";
    let rows_lite = "SELECT group_concat(id || v, ',') FROM (SELECT * FROM g ORDER BY id)";
    converge(&src, &dst, rows, rows_lite, &log).await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    assert_eq!(scalar(&dst, rows_lite).await, "1uno,3three,4four");
    assert!(
        out.contains(&format!("GTID {gtid} ends at binlog")),
        "{out}"
    );
    assert!(
        out.contains("stopped at checkpoint binlog") && out.contains(" (GTID "),
        "{out}"
    );
    // Nothing before the GTID was applied again.
    no_exceptions(&dst, &out).await;
    assert!(
        !out.contains("suspended"),
        "nothing before the GTID was applied again: {out}"
    );

    // A GTID not logged yet, and one that is not a GTID.
    let parts: Vec<&str> = gtid.split('-').collect();
    let future = format!("{}-{}-{}", parts[0], parts[1], u64::MAX / 2);
    let (ok, _, err) = tugboat_until_done(&[
        "migrate",
        "--source",
        &src_url,
        "--target",
        &dst_url,
        "--type",
        "cdc",
        "--task",
        "gt2",
        "--start-position",
        &future,
    ]);
    assert!(!ok && err.contains("has not been written yet"), "{err}");
    let (ok, _, err) = tugboat_until_done(&[
        "migrate",
        "--source",
        &src_url,
        "--target",
        &dst_url,
        "--type",
        "cdc",
        "--task",
        "gt3",
        "--start-position",
        "0-1",
    ]);
    assert!(!ok && err.contains("is not a position"), "{err}");
}

/// Creates database `name` on `server` (one of the test's own) and returns its URL.
async fn own_database(server: &support::Server, admin_db: &str, name: &str) -> String {
    let admin = open(&server.url_for(admin_db)).await;
    admin
        .execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    admin.close().await;
    server.url_for(name)
}

/// Runs `sql` until it succeeds (the server may be restarting), for 60 s at most. A retry
/// refused for a duplicate key means the attempt before committed, its answer lost with the
/// connection when the server went down.
async fn until_done(c: &Connection, sql: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut retry = false;
    while let Err(e) = c.execute(sql).await {
        if retry && e.to_string().contains("Duplicate entry") {
            return;
        }
        assert!(Instant::now() < deadline, "{sql}: {e}");
        retry = true;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Counts `sql` gives on `c`, 0 while it does not answer.
async fn count_or_zero(c: &Connection, sql: &str) -> i64 {
    c.query_scalar("test", sql)
        .await
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The source restarted in the middle of a stream of changes, then the target down for a few
/// seconds while the changes go on: the task waits for each, starts again from its checkpoint
/// by itself, catches up, and ends with both sides equal and no change applied twice.
#[tokio::test(flavor = "multi_thread")]
async fn replication_rides_out_a_source_restart_and_a_target_outage() {
    let (my, pgs) = (support::own_mariadb(), support::own_postgres());
    let src_url = own_database(&my, "", "shop").await;
    let dst_url = own_database(&pgs, "postgres", "shop").await;
    let src = open(&src_url).await;
    let dst = open(&dst_url).await;
    src.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO t SELECT seq, 0 FROM seq_1_to_100",
    )
    .await
    .expect("source table");
    let log = log_file("outage");
    let mut child = start_task(&src_url, &dst_url, &log, "ride", &[]);
    loaded(&dst, "ride", &mut child, &log).await;

    let writer = {
        let src = open(&src_url).await;
        tokio::spawn(async move {
            for i in 0..400 {
                until_done(
                    &src,
                    &format!(
                        "START TRANSACTION; INSERT INTO t VALUES ({}, {i}); UPDATE t SET n = n + 1 WHERE id = {}; COMMIT",
                        1000 + i,
                        1 + i % 100
                    ),
                )
                .await;
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        })
    };
    let arrived = |n: i64| {
        let dst = &dst;
        let log = &log;
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while count_or_zero(dst, "SELECT count(*) FROM shop.t WHERE id >= 1000").await < n {
                assert!(
                    Instant::now() < deadline,
                    "{n} new rows never arrived: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    arrived(40).await;
    tokio::task::block_in_place(|| my.restart(1.0));
    arrived(160).await;
    tokio::task::block_in_place(|| pgs.restart(4.0));
    writer.await.expect("writer");
    let sum = "SELECT CONCAT(count(*), '/', sum(n)) FROM t";
    let sum_pg = "SELECT count(*) || '/' || sum(n) FROM shop.t";
    converge(&src, &dst, sum, sum_pg, &log).await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "a clean stop after the outages: {out}");
    // A new session after each: the first, and one per outage.
    assert!(
        out.matches("replicating from").count() >= 3
            && out.contains("starting again from the checkpoint"),
        "{out}"
    );
    no_exceptions(&dst, &out).await;
    all_validated(&src_url, &dst_url);
}

/// Stopped, while the source's application adds a column (with changes before and after it),
/// then started again: the changes from before the column apply as they were, the column is
/// added on the target when the log reaches it, and the changes after it carry its values.
/// `src` holds `w (id, v)` with row 1; `rows` lists its rows as `id || v || qty`.
async fn grown_while_stopped(src_url: &str, src: &Connection, rows: &str, task: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let dst_url = format!("sqlite://{}", dir.path().join("copy.db").display());
    let log = dir.path().join("tugboat.log");
    let log = log.to_str().expect("path").to_string();
    let mut child = start_task(src_url, &dst_url, &log, task, &[]);
    let dst = open_target(&dst_url).await;
    loaded(&dst, task, &mut child, &log).await;
    src.execute("INSERT INTO w VALUES (2, 'two')")
        .await
        .expect("insert");
    converge(
        src,
        &dst,
        "SELECT count(*) FROM w",
        "SELECT count(*) FROM w",
        &log,
    )
    .await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");

    for sql in [
        "INSERT INTO w VALUES (3, 'three')",
        "UPDATE w SET v = 'uno' WHERE id = 1",
        "ALTER TABLE w ADD COLUMN qty INT NOT NULL DEFAULT 7",
        "INSERT INTO w VALUES (4, 'four', 40)",
        "UPDATE w SET qty = 10 WHERE id = 2",
    ] {
        src.execute(sql).await.expect(sql);
    }
    let mut child = start_task(src_url, &dst_url, &log, task, &[]);
    let rows_lite = "SELECT group_concat(id || v || qty, ',') FROM (SELECT * FROM w ORDER BY id)";
    converge(src, &dst, rows, rows_lite, &log).await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    assert_eq!(
        scalar(&dst, rows_lite).await,
        "1uno7,2two10,3three7,4four40"
    );
    assert!(!out.contains("suspended"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_added_on_mariadb_while_the_task_was_stopped_is_replicated_on_resume() {
    let src_url = support::mysql_database("tug_cdc_grow_my").await;
    let src = open(&src_url).await;
    src.execute(
        "CREATE TABLE w (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO w VALUES (1, 'one')",
    )
    .await
    .expect("source table");
    let rows = "SELECT GROUP_CONCAT(CONCAT(id, v, qty) ORDER BY id) FROM w";
    grown_while_stopped(&src_url, &src, rows, "growmy").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_added_on_postgres_while_the_task_was_stopped_is_replicated_on_resume() {
    let src_url = support::pg_database("tug_cdc_grow_pg").await;
    let src = open(&src_url).await;
    src.execute(
        "CREATE TABLE w (id int PRIMARY KEY, v varchar(20)); INSERT INTO w VALUES (1, 'one')",
    )
    .await
    .expect("source table");
    let rows = "SELECT string_agg(id || v || qty, ',' ORDER BY id) FROM w";
    grown_while_stopped(&src_url, &src, rows, "growpg").await;
    tugboat::engines::postgres::pgoutput::drop_slot_named(&src, "tugboat_growpg")
        .await
        .expect("drop slot");
}

/// Only tables outside the task change on a PostgreSQL source: the task's checkpoint and slot
/// still move with the log, so the slot does not keep the WAL of those changes (a slot that
/// only moves when the task's own tables change fills the source's disk).
#[tokio::test(flavor = "multi_thread")]
async fn an_idle_task_lets_its_slot_release_the_wal_of_other_tables() {
    let src_url = support::pg_database("tug_cdc_idle_src").await;
    let dst_url = support::mysql_database("tug_cdc_idle_dst").await;
    let src = open(&src_url).await;
    let dst = open(&dst_url).await;
    src.execute(
        "CREATE TABLE mine (id int PRIMARY KEY); INSERT INTO mine VALUES (1);
         CREATE TABLE busy (id int PRIMARY KEY, pad text);",
    )
    .await
    .expect("source tables");
    let log = log_file("idle");
    let mut child = start_task(
        &src_url,
        &dst_url,
        &log,
        "idle",
        &["--include", "public.mine"],
    );
    loaded(&dst, "idle", &mut child, &log).await;
    // About 20 MB of WAL for a table the task does not replicate.
    src.execute(
        "INSERT INTO busy SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, 20000) g",
    )
    .await
    .expect("other table");
    let held = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = 'tugboat_idle'";
    let before: i64 = scalar(&src, held).await.parse().expect("bytes");
    assert!(
        before > 10_000_000,
        "the other table wrote {before} bytes of WAL"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now: i64 = scalar(&src, held).await.parse().expect("bytes");
        if now < 1_000_000 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slot still holds {now} bytes of WAL: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Its own changes still arrive.
    src.execute("INSERT INTO mine VALUES (2)")
        .await
        .expect("mine");
    converge(
        &src,
        &dst,
        "SELECT count(*) FROM mine",
        "SELECT count(*) FROM mine",
        &log,
    )
    .await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    assert_eq!(
        scalar(
            &dst,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'busy'"
        )
        .await,
        "0"
    );
    tugboat::engines::postgres::pgoutput::drop_slot_named(&src, "tugboat_idle")
        .await
        .expect("drop slot");
}

/// Transactions on a source, one after another until stopped: `txn(i)` gives the i-th
/// (0, 1, ...), `pause` is slept between them.
pub(crate) struct Writer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: tokio::task::JoinHandle<u64>,
}

impl Writer {
    pub(crate) async fn start(
        url: &str,
        pause: Duration,
        txn: impl Fn(u64) -> String + Send + 'static,
    ) -> Writer {
        let src = open(url).await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = tokio::spawn(async move {
            let mut i = 0u64;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                src.execute(&txn(i)).await.expect("writer");
                i += 1;
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            }
            i
        });
        Writer { stop, handle }
    }

    /// Stops it: how many transactions it ran.
    pub(crate) async fn stop(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.handle.await.expect("writer")
    }
}

/// The source in use during the full load (DMS's cached changes): inserts, updates and deletes
/// run on the table while it is being loaded and on after; the load does not fail on the
/// differences they make, its changes are cached and applied once it is loaded, and the
/// target ends equal to the source with no conflict.
#[tokio::test(flavor = "multi_thread")]
async fn changes_made_during_the_full_load_end_consistent() {
    let src_url = support::mysql_database("tug_cdc_busy_src").await;
    let dst_url = support::pg_database("tug_cdc_busy_dst").await;
    let src = open(&src_url).await;
    let dst = open(&dst_url).await;
    src.execute(
        "CREATE TABLE hot (id INT PRIMARY KEY, n INT NOT NULL, note VARCHAR(60));
         INSERT INTO hot SELECT seq, 0, REPEAT('x', 50) FROM seq_1_to_150000",
    )
    .await
    .expect("source table");
    let writer = Writer::start(&src_url, Duration::ZERO, |i| {
        // Spread over the whole key range: rows loaded already and rows not yet.
        let k = 1 + (i * 7919) % 150_000;
        format!(
            "START TRANSACTION; UPDATE hot SET n = n + 1 WHERE id = {k}; INSERT INTO hot VALUES ({}, {i}, 'during'); DELETE FROM hot WHERE id = {}; COMMIT",
            200_000 + i,
            1 + (k + 500) % 150_000
        )
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = log_file("busy");
    let mut child = start_task(&src_url, &dst_url, &log, "busy", &[]);
    loaded(&dst, "busy", &mut child, &log).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let written = writer.stop().await;
    assert!(
        written > 20,
        "the writer ran during the load ({written} transactions)"
    );
    converge(
        &src,
        &dst,
        "SELECT CONCAT(count(*), '/', sum(n), '/', sum(id)) FROM hot",
        "SELECT count(*) || '/' || sum(n) || '/' || sum(id) FROM tug_cdc_busy_src.hot",
        &log,
    )
    .await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    assert!(!out.contains("full load failed"), "{out}");
    no_exceptions(&dst, &out).await;
    all_validated(&src_url, &dst_url);
}

/// DMS's cached changes, with the capture running beside the full load: a small table loaded
/// early replicates while a big one still loads; the big one's changes wait and apply once it
/// is loaded. Killed (SIGKILL) during the load and started again, the task ends exact.
/// A source and a target database of a test that runs either way: PostgreSQL into MariaDB
/// when `pg_source` (`{stem}_psrc` into `{stem}_mdst`), else MariaDB into PostgreSQL
/// (`{stem}_msrc` into `{stem}_pdst`): their URLs and connections.
async fn one_way(pg_source: bool, stem: &str) -> (String, String, Connection, Connection) {
    let (src_url, dst_url) = if pg_source {
        (
            support::pg_database(&format!("{stem}_psrc")).await,
            support::mysql_database(&format!("{stem}_mdst")).await,
        )
    } else {
        (
            support::mysql_database(&format!("{stem}_msrc")).await,
            support::pg_database(&format!("{stem}_pdst")).await,
        )
    };
    let (src, dst) = (open(&src_url).await, open(&dst_url).await);
    (src_url, dst_url, src, dst)
}

/// `limit`: the task's cache size (`--cached-changes`); a small one overflows, and the big
/// table's changes are read again from the log once it is loaded.
async fn cached_changes(pg_source: bool, limit: Option<&str>) {
    let (src_url, dst_url, src, dst) = one_way(pg_source, "tug_cdc_cache").await;
    let task = if pg_source { "pcache" } else { "cache" };
    let rows = 600_000;
    let (series, begin) = if pg_source {
        (format!("generate_series(1, {rows}) seq"), "BEGIN")
    } else {
        (format!("seq_1_to_{rows}"), "START TRANSACTION")
    };
    src.execute(&format!(
        "CREATE TABLE big (id INT PRIMARY KEY, n INT NOT NULL, note VARCHAR(200));
         INSERT INTO big SELECT seq, 0, REPEAT('b', 180) FROM {series};
         CREATE TABLE small (id INT PRIMARY KEY, n INT NOT NULL);
         INSERT INTO small SELECT seq, 0 FROM {series} WHERE seq <= 10;
         CREATE TABLE small_ref (id INT PRIMARY KEY, small_id INT, CONSTRAINT small_ref_small FOREIGN KEY (small_id) REFERENCES small (id));
         INSERT INTO small_ref SELECT seq, seq FROM {series} WHERE seq <= 10"
    ))
    .await
    .expect("source tables");
    // The load takes the biggest tables first by their estimated rows: PostgreSQL estimates
    // from its statistics, which autovacuum may not have gathered yet.
    if pg_source {
        src.execute("ANALYZE big").await.expect("analyze");
    }
    let writer = Writer::start(&src_url, Duration::from_millis(2), move |i| {
        let k = 1 + (i * 7919) % rows;
        format!(
            "{begin}; UPDATE small SET n = n + 1 WHERE id = {}; UPDATE big SET n = n + 1 WHERE id = {k}; INSERT INTO big VALUES ({}, {i}, 'during'); DELETE FROM big WHERE id = {}; COMMIT",
            1 + i % 10,
            rows + 1 + i,
            1 + (k + 1000) % rows
        )
    })
    .await;
    let (big, small) = if pg_source {
        ("big".to_string(), "small".to_string())
    } else {
        (
            "tug_cdc_cache_msrc.big".to_string(),
            "tug_cdc_cache_msrc.small".to_string(),
        )
    };
    let log = log_file(task);
    let mut opts = vec!["--parallel", "2"];
    if let Some(l) = limit {
        opts.extend(["--cached-changes", l]);
    }
    let mut child = start_task(&src_url, &dst_url, &log, task, &opts);
    // The small table's changes reach the target while the big one is still being loaded.
    let deadline = Instant::now() + Duration::from_secs(90);
    let big_state = format!(
        "SELECT state FROM tugboat_table_state WHERE task = '{task}' AND table_name LIKE '%big'"
    );
    let phase = format!("SELECT phase FROM tugboat_cdc_checkpoint WHERE task = '{task}'");
    loop {
        let changed = count_or_zero(&dst, &format!("SELECT sum(n) FROM {small}")).await;
        if changed > 0 {
            let state = scalar(&dst, &big_state).await;
            let phase = scalar(&dst, &phase).await;
            // (Big's state is not recorded yet when small's first change lands in the moment
            // between big's start and its first statement: not completed either way.)
            assert!(
                ["loading", ""].contains(&state.as_str()) && phase == "full-load",
                "small's changes should apply while big loads ({state:?}, {phase:?}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            break;
        }
        assert!(
            Instant::now() < deadline && child.try_wait().expect("wait").is_none(),
            "small's changes never reached the target during the load: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Killed in the middle of the big table's load, then started again.
    child.kill().expect("SIGKILL");
    child.wait().expect("killed");
    let log2 = log_file(&format!("{task}-again"));
    let mut child = start_task(&src_url, &dst_url, &log2, task, &opts);
    loaded(&dst, task, &mut child, &log2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let written = writer.stop().await;
    assert!(written > 20, "the writer ran ({written} transactions)");
    let sums = |t: &str, pg: bool| {
        if pg {
            format!("SELECT count(*) || '/' || sum(n) || '/' || sum(id) FROM {t}")
        } else {
            format!("SELECT CONCAT(count(*), '/', sum(n), '/', sum(id)) FROM {t}")
        }
    };
    for (s, d) in [("big", &big), ("small", &small)] {
        converge(&src, &dst, &sums(s, pg_source), &sums(d, !pg_source), &log2).await;
    }
    // On PostgreSQL the foreign key, created NOT VALID at the load's end, is validated once
    // replication has caught up (the session began long before the load recorded it). MariaDB
    // checked the rows as it created it.
    if !pg_source {
        wait_log(&log2, "constraints checked: 1 hold").await;
    }
    let (ok, out) = stop(&mut child, "INT", &log2);
    let fk = if pg_source {
        "SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'small_ref_small'"
    } else {
        "SELECT count(*) FROM pg_constraint WHERE conname = 'small_ref_small' AND convalidated"
    };
    assert_eq!(scalar(&dst, fk).await, "1", "{out}");
    assert!(ok, "{out}");
    assert!(
        out.contains("every table loaded and its cached changes applied"),
        "{out}"
    );
    // Loaded from the start of the second run, big overflowed a small cache at once.
    assert_eq!(
        out.contains("overflowed the cache during its load is loaded: reading the log again"),
        limit.is_some(),
        "{out}"
    );
    no_exceptions(&dst, &out).await;
    all_validated(&src_url, &dst_url);
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_a_loaded_table_replicates_while_another_loads_and_a_kill_mid_load_ends_exact() {
    cached_changes(false, None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_a_loaded_table_replicates_while_another_loads_and_a_kill_mid_load_ends_exact() {
    cached_changes(true, Some("100")).await;
}

/// The target's triggers (converted from the source's, Sakila's `ins_film` kind) do not act on
/// replicated changes: the source's trigger already ran, and its rows come through the log.
#[tokio::test(flavor = "multi_thread")]
async fn target_triggers_do_not_fire_on_replicated_changes() {
    let src_url = support::mysql_database("tug_cdc_trig_src").await;
    let dst_url = support::pg_database("tug_cdc_trig_dst").await;
    let src = open(&src_url).await;
    let dst = open(&dst_url).await;
    src.execute(
        "CREATE TABLE film (film_id INT PRIMARY KEY, title VARCHAR(100) NOT NULL);
         CREATE TABLE film_text (film_id INT PRIMARY KEY, title VARCHAR(100) NOT NULL);
         CREATE TRIGGER ins_film AFTER INSERT ON film FOR EACH ROW INSERT INTO film_text (film_id, title) VALUES (NEW.film_id, NEW.title);
         INSERT INTO film VALUES (1, 'ACADEMY DINOSAUR'), (2, 'ACE GOLDFINGER')",
    )
    .await
    .expect("source tables");
    let log = log_file("trig");
    let mut child = start_task(&src_url, &dst_url, &log, "trig", &[]);
    loaded(&dst, "trig", &mut child, &log).await;
    // The load created the converted trigger on the target.
    assert_eq!(
        scalar(
            &dst,
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'tug_cdc_trig_src.film'::regclass AND NOT tgisinternal"
        )
        .await,
        "1",
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    src.execute("INSERT INTO film VALUES (3, 'ADAPTATION HOLES'), (4, 'AFFAIR PREJUDICE')")
        .await
        .expect("changes");
    converge(
        &src,
        &dst,
        "SELECT CONCAT(count(*), '/', sum(film_id)) FROM film_text",
        "SELECT count(*) || '/' || sum(film_id) FROM tug_cdc_trig_src.film_text",
        &log,
    )
    .await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    no_exceptions(&dst, &out).await;
    // Outside replication the target's trigger still works.
    dst.execute("INSERT INTO tug_cdc_trig_src.film VALUES (9, 'LOCAL')")
        .await
        .expect("a local insert");
    assert_eq!(
        scalar(
            &dst,
            "SELECT title FROM tug_cdc_trig_src.film_text WHERE film_id = 9"
        )
        .await,
        "LOCAL"
    );
}

/// A trigger on a target table that no session switch can turn off (SQLite here, MySQL and
/// MariaDB alike) is a premigration warning that names it and says what to do.
#[tokio::test(flavor = "multi_thread")]
async fn a_target_trigger_that_would_act_on_replicated_changes_is_a_warning() {
    let IntoSqlite {
        src_url,
        dst_url,
        dst,
        log,
        _dir,
        ..
    } = into_sqlite(
        "tug_cdc_lite_trig",
        "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)",
    )
    .await;
    let mut child = start_task(&src_url, &dst_url, &log, "litetrig", &[]);
    loaded(&dst, "litetrig", &mut child, &log).await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    assert!(!out.contains("check target triggers"), "{out}");
    dst.execute("CREATE TABLE audit (id INT); CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (NEW.id); END")
        .await
        .expect("a trigger on the target");
    let mut child = start_task(&src_url, &dst_url, &log, "litetrig", &[]);
    wait_log(&log, "check target triggers on tug_cdc_lite_trig.t").await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("check target triggers"))
        .unwrap_or_default();
    assert!(
        line.contains("WARNING")
            && line.contains("trigger t_audit fires")
            && line.contains("drop the triggers on the target until cut-over"),
        "{line}"
    );
}

/// `tugboat validate` of every table of `src_url` on `dst_url` passes: every row equal.
pub(crate) fn all_validated(src_url: &str, dst_url: &str) {
    let (ok, text, err) = tugboat(&["validate", "--source", src_url, "--target", dst_url]);
    assert!(ok, "{text}{err}");
    assert!(
        text.contains("Validated") && !text.contains("Mismatched"),
        "{text}"
    );
}

/// A private MariaDB primary and a GTID replica of it (server 2, `log_slave_updates`, as a
/// replica that may be promoted is set up), with an admin connection to the replica.
async fn primary_and_replica() -> (support::Server, support::Server, Connection) {
    let primary = support::own_mariadb();
    let replica = support::own_mariadb_replica(2);
    let admin = open(&replica.url_for("")).await;
    admin
        .execute(&format!(
            "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {}, MASTER_USER = '{}', MASTER_PASSWORD = '{}', MASTER_USE_GTID = slave_pos; START SLAVE",
            primary.port, primary.user, primary.password
        ))
        .await
        .expect("replication to the replica");
    (primary, replica, admin)
}

/// A failover: the task's MariaDB source has a replica (GTID, `log_slave_updates`) whose
/// binary log has the same file names at other offsets, and writes in two GTID domains. Stopped, then started against the
/// promoted replica, the task finds its checkpoint's GTID in the replica's log and goes on
/// from there: nothing lost, nothing applied twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_task_follows_its_mariadb_source_to_a_promoted_replica_by_gtid() {
    let (primary, replica, admin) = primary_and_replica().await;
    let src_url = own_database(&primary, "", "shop").await;
    let dst_url = support::pg_database("tug_cdc_failover_dst").await;
    let src = open(&src_url).await;
    let dst = open(&dst_url).await;
    src.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO t SELECT seq, 0 FROM seq_1_to_100",
    )
    .await
    .expect("source table");
    let log = log_file("failover");
    let mut child = start_task(&src_url, &dst_url, &log, "failover", &[]);
    loaded(&dst, "failover", &mut child, &log).await;
    // Two GTID domains (as with multi-source replication, or writes kept apart by domain).
    src.execute(
        "INSERT INTO t SELECT seq, 1 FROM seq_101_to_150; SET SESSION gtid_domain_id = 1; UPDATE t SET n = n + 1 WHERE id <= 10; SET SESSION gtid_domain_id = 0",
    )
    .await
    .expect("changes");
    let sum = "SELECT CONCAT(count(*), '/', sum(n)) FROM t";
    let sum_pg = "SELECT count(*) || '/' || sum(n) FROM shop.t";
    converge(&src, &dst, sum, sum_pg, &log).await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    let kept = scalar(
        &dst,
        "SELECT source_gtid FROM tugboat_cdc_checkpoint WHERE task = 'failover'",
    )
    .await;
    assert!(
        kept.starts_with("0-1-") && kept.contains(",1-1-"),
        "the checkpoint keeps its GTID state, both domains: {kept:?}"
    );
    // Changes while the task is stopped reach the replica; then the primary is gone and the
    // replica takes writes of its own.
    src.execute(
        "INSERT INTO t SELECT seq, 2 FROM seq_151_to_180; SET SESSION gtid_domain_id = 1; DELETE FROM t WHERE id BETWEEN 20 AND 24; SET SESSION gtid_domain_id = 0",
    )
    .await
    .expect("changes while stopped");
    let replica_src = open(&replica.url_for("shop")).await;
    converge(&src, &replica_src, sum, sum, &log).await;
    admin.execute("STOP SLAVE").await.expect("promote");
    drop(src);
    drop(primary);
    replica_src
        .execute("INSERT INTO t SELECT seq, 3 FROM seq_181_to_200; UPDATE t SET n = n + 5 WHERE id > 190")
        .await
        .expect("writes on the promoted replica");
    let replica_url = replica.url_for("shop");
    let mut child = start_task(&replica_url, &dst_url, &log, "failover", &[]);
    converge(&replica_src, &dst, sum, sum_pg, &log).await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    assert!(
        out.contains("is not this server's")
            && out.contains("in this server's log: replicating from there"),
        "{out}"
    );
    no_exceptions(&dst, &out).await;
    all_validated(&replica_url, &dst_url);
}

/// A foreign key the source's rows break (an orphan written with checks off), in a
/// full-load-and-cdc task: the load does not drop it silently. Once replication has caught
/// up, it is checked (PostgreSQL: created NOT VALID at the load's end, then validated;
/// MariaDB: created again) and reported as not holding, naming it; the task is not ready to
/// cut over before that check. With the parent row added on the source, the next run checks
/// it again and it holds.
async fn foreign_key_checked_once_caught_up(pg_source: bool) {
    let (src_url, dst_url, src, dst) = one_way(pg_source, "tug_cdc_fk").await;
    let task = if pg_source { "fk_pg2my" } else { "fk_my2pg" };
    let (off, on) = if pg_source {
        (
            "SET session_replication_role = replica",
            "SET session_replication_role = DEFAULT",
        )
    } else {
        ("SET FOREIGN_KEY_CHECKS = 0", "SET FOREIGN_KEY_CHECKS = 1")
    };
    src.execute(&format!(
        "CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(20));
         CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id));
         INSERT INTO parent VALUES (1, 'one');
         {off}; INSERT INTO child VALUES (1, 1), (2, 99); {on}"
    ))
    .await
    .expect("source tables, a child row without its parent");
    let holds = if pg_source {
        "SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'child_parent'"
    } else {
        "SELECT count(*) FROM pg_constraint WHERE conname = 'child_parent' AND convalidated"
    };
    let log = log_file(task);
    let mut child = start_task(&src_url, &dst_url, &log, task, &[]);
    loaded(&dst, task, &mut child, &log).await;
    wait_log(&log, "constraints checked: 0 hold, 1 do not").await;
    wait_log(&log, "1 constraint does not hold").await;
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    let line = out
        .lines()
        .find(|l| l.contains("does not hold for rows") || l.contains("is still not created"))
        .unwrap_or_else(|| panic!("no failure named: {out}"));
    assert!(line.contains("child_parent"), "{line}");
    if !pg_source {
        // PostgreSQL says which row, and the key is there for new rows.
        assert!(line.contains("(parent_id)=(99)"), "{line}");
        assert_eq!(
            scalar(
                &dst,
                "SELECT count(*) FROM pg_constraint WHERE conname = 'child_parent' AND NOT convalidated"
            )
            .await,
            "1"
        );
    }
    assert_eq!(scalar(&dst, holds).await, "0", "{out}");
    // Not ready to cut over before the check: the first "ready" line comes after it.
    let checked = out.find("constraints checked").expect("checked");
    assert!(
        out.find("; ready to cut over").is_none_or(|r| r > checked),
        "{out}"
    );
    // Replication goes on; the row's parent arrives.
    src.execute("INSERT INTO parent VALUES (99, 'late')")
        .await
        .expect("the missing parent");
    let parents = if pg_source {
        "SELECT count(*) FROM parent"
    } else {
        "SELECT count(*) FROM tug_cdc_fk_msrc.parent"
    };
    converge(&src, &dst, "SELECT count(*) FROM parent", parents, &log).await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    let mut child = start_task(&src_url, &dst_url, &log, task, &[]);
    wait_log(&log, "constraints checked: 1 hold").await;
    wait_log(&log, "; ready to cut over").await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    assert_eq!(scalar(&dst, holds).await, "1", "{out}");
    assert_eq!(
        scalar(
            &dst,
            &format!("SELECT count(*) FROM tugboat_deferred_checks WHERE task = '{task}'")
        )
        .await,
        "0"
    );
    no_exceptions(&dst, &out).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_key_broken_on_mariadb_is_reported_on_postgres_and_validated_once_fixed() {
    foreign_key_checked_once_caught_up(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_key_broken_on_postgres_is_reported_on_mariadb_and_created_once_fixed() {
    foreign_key_checked_once_caught_up(true).await;
}

/// A failover during the full load: the task is killed while a big table loads, its MariaDB
/// source is replaced by its promoted replica (same binary log file names, other offsets),
/// and the task started against the replica finds the load's start there by its GTID state,
/// finishes the load from the replica and replicates: nothing lost, nothing applied twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_task_killed_during_its_full_load_goes_on_against_the_promoted_replica() {
    let (primary, replica, admin) = primary_and_replica().await;
    let src_url = own_database(&primary, "", "shop").await;
    let dst_url = support::pg_database("tug_cdc_loadfail_dst").await;
    let src = open(&src_url).await;
    let dst = open(&dst_url).await;
    src.execute(
        "CREATE TABLE big (id INT PRIMARY KEY, n INT NOT NULL, note VARCHAR(200));
         INSERT INTO big SELECT seq, 0, REPEAT('b', 150) FROM seq_1_to_300000;
         CREATE TABLE small (id INT PRIMARY KEY, n INT NOT NULL);
         INSERT INTO small SELECT seq, 0 FROM seq_1_to_10",
    )
    .await
    .expect("source tables");
    let replica_src = open(&replica.url_for("shop")).await;
    let sum = |t: &str| format!("SELECT CONCAT(count(*), '/', sum(n), '/', sum(id)) FROM {t}");
    let sum_pg =
        |t: &str| format!("SELECT count(*) || '/' || sum(n) || '/' || sum(id) FROM shop.{t}");
    converge(&src, &replica_src, &sum("big"), &sum("big"), "the replica").await;
    let log = log_file("loadfail");
    let mut child = start_task(&src_url, &dst_url, &log, "loadfail", &["--parallel", "1"]);
    // Killed while the big table loads (the checkpoint is at the load's start).
    let deadline = Instant::now() + Duration::from_secs(60);
    let state =
        "SELECT state FROM tugboat_table_state WHERE task = 'loadfail' AND table_name LIKE '%big'";
    while count_or_zero(
        &dst,
        &format!("SELECT count(*) FROM ({state}) s WHERE state = 'loading'"),
    )
    .await
        == 0
    {
        assert!(
            Instant::now() < deadline && child.try_wait().expect("wait").is_none(),
            "the big table never started loading: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    src.execute("UPDATE small SET n = n + 1 WHERE id <= 5; UPDATE big SET n = 7 WHERE id <= 100")
        .await
        .expect("changes during the load");
    child.kill().expect("SIGKILL");
    child.wait().expect("killed");
    assert_eq!(
        scalar(
            &dst,
            "SELECT phase FROM tugboat_cdc_checkpoint WHERE task = 'loadfail'"
        )
        .await,
        "full-load"
    );
    src.execute("INSERT INTO small VALUES (11, 1); DELETE FROM big WHERE id > 299990")
        .await
        .expect("changes while stopped");
    converge(&src, &replica_src, &sum("big"), &sum("big"), "the replica").await;
    converge(
        &src,
        &replica_src,
        &sum("small"),
        &sum("small"),
        "the replica",
    )
    .await;
    admin.execute("STOP SLAVE").await.expect("promote");
    drop(src);
    drop(primary);
    replica_src
        .execute("UPDATE small SET n = n + 10 WHERE id > 8; INSERT INTO big VALUES (400000, 4, 'replica')")
        .await
        .expect("writes on the promoted replica");
    let replica_url = replica.url_for("shop");
    let mut child = start_task(
        &replica_url,
        &dst_url,
        &log,
        "loadfail",
        &["--parallel", "1"],
    );
    loaded(&dst, "loadfail", &mut child, &log).await;
    for t in ["big", "small"] {
        converge(&replica_src, &dst, &sum(t), &sum_pg(t), &log).await;
    }
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    assert!(
        out.contains("is not this server's") && out.contains("replicating from there"),
        "{out}"
    );
    no_exceptions(&dst, &out).await;
    all_validated(&replica_url, &dst_url);
}

/// A PostgreSQL source table without a primary key needs REPLICA IDENTITY FULL for its updates
/// and deletes to be found on the target: the task says so (the PostgreSQL change log's own
/// table check), and does not say it of a keyless table that has it.
#[tokio::test]
async fn a_keyless_postgres_table_without_replica_identity_full_is_named() {
    let src_url = support::pg_database("tug_ri_src").await;
    let dst_url = support::pg_database("tug_ri_dst").await;
    let src = open(&src_url).await;
    src.execute(
        "CREATE TABLE plain (a int, b text); INSERT INTO plain VALUES (1, 'x');
         CREATE TABLE full_row (a int, b text); ALTER TABLE full_row REPLICA IDENTITY FULL;",
    )
    .await
    .expect("source");
    let log = log_file("ri");
    let mut child = start_task(&src_url, &dst_url, &log, "ri", &[]);
    wait_log(&log, "replicating from").await;
    child.kill().expect("kill");
    child.wait().expect("wait");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("check replica identity of public.plain: FAILED")
            && text.contains("REPLICA IDENTITY DEFAULT"),
        "{text}"
    );
    assert!(
        text.contains("check replica identity of public.full_row: passed"),
        "{text}"
    );
    tugboat::engines::postgres::pgoutput::drop_slot_named(&src, "tugboat_ri")
        .await
        .expect("drop slot");
}

/// A column added on the source inside a large transaction that a MariaDB target holds open
/// (its parts applied, its end not read yet): an ALTER there would commit the open part
/// (MariaDB commits before DDL), so the table is suspended with the reason instead; the same
/// whether the target endpoint is written mariadb:// or mysql://, and the other tables go on.
#[tokio::test(flavor = "multi_thread")]
async fn a_column_added_inside_a_large_transaction_suspends_the_table_on_a_mariadb_target() {
    let src_url = support::pg_database("tug_pcol_src").await;
    let my_url = support::mysql_database("tug_pcol_dst").await;
    // The target as a MariaDB user writes it.
    let dst_url = my_url.replacen("mysql://", "mariadb://", 1);
    assert!(dst_url.starts_with("mariadb://"), "{dst_url}");
    let src = open(&src_url).await;
    src.execute(
        "CREATE TABLE bulk (id int PRIMARY KEY, label varchar(10));
         CREATE TABLE other (id int PRIMARY KEY);
         INSERT INTO bulk VALUES (1, 'load');",
    )
    .await
    .expect("source tables");
    let log = log_file("pcol");
    let mut child = start_task(&src_url, &dst_url, &log, "pcol", &[]);
    let dst = open(&my_url).await;
    loaded(&dst, "pcol", &mut child, &log).await;
    let rows = 2 * tugboat::cdc::PART_CHANGES + 5_000;
    src.execute(&format!(
        "BEGIN;
         INSERT INTO bulk SELECT g, 'big' FROM generate_series(2, {}) g;
         ALTER TABLE bulk ADD COLUMN extra int;
         INSERT INTO bulk VALUES (-1, 'after', 7);
         COMMIT;
         INSERT INTO other VALUES (1);",
        rows + 1
    ))
    .await
    .expect("the large transaction");
    // The applier went past the large transaction: the next one arrives.
    converge(
        &src,
        &dst,
        "SELECT count(*) FROM other",
        "SELECT count(*) FROM other",
        &log,
    )
    .await;
    let (stopped, out) = stop(&mut child, "INT", &log);
    assert!(!stopped, "a suspended table fails the run: {out}");
    assert!(
        out.contains("tables suspended: public.bulk")
            && out.contains("inside a large transaction")
            && out.contains("reload the table"),
        "{out}"
    );
    assert_eq!(
        scalar(
            &dst,
            "SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_NAME = 'bulk' AND COLUMN_NAME = 'extra'"
        )
        .await,
        "0",
        "no ALTER ran inside the open transaction"
    );
    tugboat::engines::postgres::pgoutput::drop_slot_named(&src, "tugboat_pcol")
        .await
        .expect("drop slot");
}
