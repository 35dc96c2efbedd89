//! Replication into a Parquet folder, from MariaDB's binary log and from PostgreSQL's WAL: a
//! full-load-and-cdc task whose load files and change files (`Op`, `_commit_ts`, `_seq`), read
//! with DuckDB and applied by key in `_seq` order, equal the source after inserts, updates, a
//! moved key, deletes (from PostgreSQL a delete carries the key only: the NOT NULL `name` is
//! NULL in its change row), a large transaction (held aside on disk until its end, written in
//! several files) and a column added on the source; then killed with
//! SIGKILL in the middle of a stream of changes and started again: no change lost, none
//! written twice (no `_seq` repeated). The task's source filters and add-column expressions
//! shape the changes written as they shape a database target's.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::cdc::open;
use crate::support;

/// The task under test; files of 1 MiB: a 40,000-row transaction's changes go aside on this
/// machine until its end, and into several files of its batch.
fn start(src: &str, lake: &str, log: &str) -> support::Cli {
    crate::cdc::start_task(
        src,
        lake,
        log,
        "lakecdc",
        &["--flush-secs", "1", "--file-mb", "1"],
    )
}

/// Polls the DuckDB comparison until the lake equals the source; panics after 90 s.
fn converge(src: &str, dir: &std::path::Path, log: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (equal, report) = crate::lake::duckdb_compare(src, dir, &[]);
        if equal {
            return report;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("the lake never equalled the source:\n{report}\n{log}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Waits until task `task`'s full load into `lake_dir` is done and it replicates.
fn wait_for_cdc(lake_dir: &std::path::Path, task: &str, log: &str) {
    let checkpoint = lake_dir.join("_tugboat").join(task).join("checkpoint.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&checkpoint)
        .unwrap_or_default()
        .contains("\"cdc\"")
    {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "{task}: the full load never ended: {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Sql {
    create: &'static str,
    insert: fn(u32) -> String,
    update: &'static str,
    move_key: &'static str,
    delete: &'static str,
    big_txn: &'static str,
    add_column: &'static str,
    use_column: &'static str,
    /// Empties a table and fills it again, in one transaction where the engine can.
    truncate: &'static str,
    /// Made while the task is stopped: a changed value, a deleted row, a new row.
    drift: &'static str,
}

const MARIADB: Sql = Sql {
    create: "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(12,2),
               at DATETIME(6), stamp TIMESTAMP(6) NULL, data VARBINARY(8), flag TINYINT(1));
             INSERT INTO items SELECT seq, CONCAT('item ', seq), seq / 4, '2024-01-01' + INTERVAL seq MINUTE,
               NULL, UNHEX(HEX(seq)), seq % 2 FROM seq_1_to_2000;
             CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);
             INSERT INTO notes VALUES (1, 'first');",
    insert: |i| {
        format!(
            "INSERT INTO items VALUES ({i}, 'new {i} ünï', {i}.25, '2025-06-01 12:00:00.123456', '2025-06-01 12:00:00.5', X'00FF', 1)"
        )
    },
    update: "UPDATE items SET name = CONCAT(name, ' (changed)'), price = -price, stamp = '2030-01-01 00:00:00' WHERE id % 50 = 0",
    move_key: "UPDATE items SET id = id + 100000 WHERE id = 7",
    delete: "DELETE FROM items WHERE id BETWEEN 100 AND 119",
    big_txn: "START TRANSACTION; INSERT INTO items SELECT seq, 'bulk', 1.5, NULL, NULL, NULL, 0 FROM seq_300000_to_339999; INSERT INTO notes VALUES (2, 'in the big one'); COMMIT",
    add_column: "ALTER TABLE notes ADD COLUMN tag VARCHAR(10) NULL",
    use_column: "INSERT INTO notes VALUES (3, 'tagged', 'red'); UPDATE notes SET tag = 'blue' WHERE id = 1",
    truncate: "TRUNCATE TABLE notes; INSERT INTO notes VALUES (1, 'first', 'blue'), (3, 'tagged', 'red')",
    drift: "UPDATE items SET name = 'drifted' WHERE id = 5; DELETE FROM items WHERE id = 6; INSERT INTO notes VALUES (99, 'late', NULL); UPDATE notes SET tag = NULL WHERE id = 1",
};

const POSTGRES: Sql = Sql {
    create: "CREATE TABLE items (id int PRIMARY KEY, name varchar(40) NOT NULL, price numeric(12,2),
               at timestamp(6), stamp timestamptz(6), data bytea, flag boolean);
             INSERT INTO items SELECT s, 'item ' || s, s / 4.0, '2024-01-01'::timestamp + s * interval '1 minute',
               NULL, int4send(s), s % 2 = 1 FROM generate_series(1, 2000) s;
             CREATE TABLE notes (id int PRIMARY KEY, body text);
             INSERT INTO notes VALUES (1, 'first');",
    insert: |i| {
        format!(
            "INSERT INTO items VALUES ({i}, 'new {i} ünï', {i}.25, '2025-06-01 12:00:00.123456', '2025-06-01 12:00:00.5+02', '\\x00ff', true)"
        )
    },
    update: "UPDATE items SET name = name || ' (changed)', price = -price, stamp = '2030-01-01 00:00:00+00' WHERE id % 50 = 0",
    move_key: "UPDATE items SET id = id + 100000 WHERE id = 7",
    delete: "DELETE FROM items WHERE id BETWEEN 100 AND 119",
    big_txn: "BEGIN; INSERT INTO items SELECT s, 'bulk', 1.5, NULL, NULL, NULL, false FROM generate_series(300000, 339999) s; INSERT INTO notes VALUES (2, 'in the big one'); COMMIT",
    add_column: "ALTER TABLE notes ADD COLUMN tag varchar(10)",
    use_column: "INSERT INTO notes VALUES (3, 'tagged', 'red'); UPDATE notes SET tag = 'blue' WHERE id = 1",
    // In a transaction large enough to go aside, after a change of `notes` that the TRUNCATE
    // undoes (dropped from aside) and before rows that come after it.
    truncate: "BEGIN; INSERT INTO notes VALUES (50, 'gone', NULL); INSERT INTO items SELECT s, 'aside', 2.5, NULL, NULL, NULL, true FROM generate_series(400000, 439999) s; TRUNCATE notes; INSERT INTO notes VALUES (1, 'first', 'blue'), (3, 'tagged', 'red'); COMMIT",
    drift: "UPDATE items SET name = 'drifted' WHERE id = 5; DELETE FROM items WHERE id = 6; INSERT INTO notes VALUES (99, 'late', NULL); UPDATE notes SET tag = NULL WHERE id = 1",
};

async fn replicate_into_parquet(src: &str, sql: &Sql, name: &str) {
    let conn = open(src).await;
    conn.execute(sql.create).await.expect("source tables");
    let dir = tempfile::tempdir().unwrap();
    let lake = format!("file://{}/", dir.path().display());
    let log = crate::cdc::log_file(&format!("lake-cdc-{name}"));
    let mut child = start(src, &lake, &log);
    let checkpoint = dir
        .path()
        .join("_tugboat")
        .join("lakecdc")
        .join("checkpoint.json");
    wait_for_cdc(dir.path(), "lakecdc", &log);
    for i in 5000..5100 {
        conn.execute(&(sql.insert)(i)).await.unwrap();
    }
    for s in [sql.update, sql.move_key, sql.delete, sql.big_txn] {
        conn.execute(s).await.unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    converge(src, dir.path(), &log);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("a large transaction: its changes are held aside"),
        "{name}: {text}"
    );
    conn.execute(sql.add_column).await.unwrap();
    conn.execute(sql.use_column).await.unwrap();
    let report = converge(src, dir.path(), &log);
    assert!(report.contains(".notes: source 3 rows"), "{name}: {report}");
    let schema = std::fs::read_to_string(
        std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path().join("notes").join("_schema.json"))
            .find(|p| p.exists())
            .unwrap(),
    )
    .unwrap();
    assert!(
        schema.contains("\"tag\""),
        "{name}: the schema file has the new column: {schema}"
    );
    // Emptied and filled again: a delete of each row the lake held, then the new rows.
    conn.execute(sql.truncate)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", sql.truncate));
    let report = converge(src, dir.path(), &log);
    assert!(report.contains(".notes: source 2 rows"), "{name}: {report}");

    // Killed in the middle of a stream of changes, then started again.
    let writer = {
        let src = src.to_string();
        let insert = sql.insert;
        tokio::spawn(async move {
            let c = open(&src).await;
            for i in 10_000..10_400 {
                c.execute(&insert(i)).await.unwrap();
                c.execute(&format!(
                    "UPDATE items SET price = price + 1 WHERE id = {}",
                    i - 1
                ))
                .await
                .unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let batches = |p: &std::path::Path| -> u64 {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        v["batch"].as_u64().unwrap_or(0)
    };
    let before = batches(&checkpoint);
    let deadline = Instant::now() + Duration::from_secs(30);
    while batches(&checkpoint) < before + 2 {
        assert!(
            Instant::now() < deadline,
            "{name}: no batch written during the stream"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // As if killed after a batch's files were visible and before its checkpoint: a copy of
    // the last batch's file under the next batch's name, which the restart must delete (its
    // changes are captured again: kept, they would be there twice).
    let cp = batches(&checkpoint);
    let items = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path().join("items"))
        .find(|p| p.exists())
        .unwrap();
    let last = std::fs::read_dir(&items)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("CDC"))
        .max()
        .unwrap();
    let stray = items.join(format!("CDC{:08}-00000099.parquet", cp + 1));
    std::fs::copy(items.join(&last), &stray).unwrap();
    let mut child = start(src, &lake, &log);
    writer.await.unwrap();
    let report = converge(src, dir.path(), &log);
    assert!(report.contains(", 0 repeated"), "{name}: {report}");
    assert!(
        !stray.exists(),
        "{name}: the unfinished batch's file is deleted"
    );
    // SIGINT: stops at a checkpoint, with what it took written.
    conn.execute(&(sql.insert)(20_000)).await.unwrap();
    converge(src, dir.path(), &log);
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "{name}: {log_text}");

    // Tugboat's own comparison: the load's files with the changes applied by key, against
    // the source, every row (the column added later compared too: NULL where a file lacks it).
    let validate = || {
        crate::cdc::tugboat_until_done(&[
            "validate", "--source", src, "--target", &lake, "--task", "lakecdc",
        ])
    };
    let (ok, out, err) = validate();
    assert!(ok, "{name}: {out}{err}");
    assert_eq!(out.matches("Validated").count(), 2, "{name}: {out}");
    // Changes made while the task is stopped are not in the lake: named by key.
    conn.execute(sql.drift)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", sql.drift));
    let (ok, out, err) = validate();
    assert!(!ok, "{name}: {out}{err}");
    for line in [
        "DIFFERS ",
        ".items key 5: different: name: source 'drifted', target 'item 5'",
        ".items key 6: extra on target",
        ".notes key 99: missing on target",
        ".notes key 1: different: tag: source NULL, target 'blue'",
    ] {
        assert!(out.contains(line), "{name}: {line} in {out}{err}");
    }
    conn.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_changes_into_parquet_equal_the_source_after_a_kill() {
    let src = support::mysql_database("lake_cdc_my").await;
    replicate_into_parquet(&src, &MARIADB, "mariadb").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_changes_into_parquet_equal_the_source_after_a_kill() {
    let src = support::pg_database("lake_cdc_pg").await;
    replicate_into_parquet(&src, &POSTGRES, "postgres").await;
}

/// Replicates `setup`'s `orders` and `events` from `src_url` into a lake under the task's
/// source filters and add-column expressions (`crate::cdc::shaping_rules`), makes the changes
/// that move rows into and out of the filters, and waits until `tugboat validate` with the same
/// mappings (the source's rows as the task selects and computes them) finds the lake equal.
async fn shaped_into_parquet(src_url: &str, setup: &str, tag_expr: &str, name: &str) {
    let src = open(src_url).await;
    src.execute(setup).await.expect("source tables");
    let dir = tempfile::tempdir().expect("dir");
    let rules = dir.path().join("mappings.json");
    std::fs::write(&rules, crate::cdc::shaping_rules(tag_expr)).expect("rules");
    let rules = rules.to_str().expect("path").to_string();
    let lake_dir = dir.path().join("lake");
    let lake = format!("file://{}/", lake_dir.display());
    let log = crate::cdc::log_file(&format!("lake-shaped-{name}"));
    let mut child = crate::cdc::start_task(
        src_url,
        &lake,
        &log,
        "shaped",
        &["--flush-secs", "1", "--mappings", &rules],
    );
    wait_for_cdc(&lake_dir, "shaped", &log);
    for sql in crate::cdc::SHAPING_CHANGES {
        src.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let validate = || {
        crate::cdc::tugboat_until_done(&[
            "validate",
            "--source",
            src_url,
            "--target",
            &lake,
            "--task",
            "shaped",
            "--mappings",
            &rules,
        ])
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (ok, out, err) = validate();
        if ok {
            assert_eq!(out.matches("Validated").count(), 2, "{name}: {out}");
            break;
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "{name}: the lake never equalled the source as the task shapes it:\n{out}{err}\n{text}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let (ok, out) = crate::cdc::stop(&mut child, "INT", &log);
    assert!(ok, "{name}: {out}");
    src.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn source_filters_and_computed_columns_shape_the_changes_written_into_parquet() {
    let my = support::mysql_database("lake_shape_my").await;
    shaped_into_parquet(
        &my,
        crate::cdc::SHAPE_MARIADB.0,
        crate::cdc::SHAPE_MARIADB.1,
        "mariadb",
    )
    .await;
    let pg = support::pg_database("lake_shape_pg").await;
    shaped_into_parquet(
        &pg,
        crate::cdc::SHAPE_POSTGRES.0,
        crate::cdc::SHAPE_POSTGRES.1,
        "postgres",
    )
    .await;
}

/// A stop ends a lake's replication by itself. At a position of the binary log: the changes up
/// to it are in the lake and none after it (`tugboat validate` names exactly the two rows changed
/// after it). At a commit time already passed: the rest is written and it stops once nothing
/// more comes; the lake then equals the source.
#[tokio::test(flavor = "multi_thread")]
async fn a_replication_into_parquet_ends_by_itself_at_its_stop() {
    let src_url = support::mysql_database("lake_stop").await;
    let src = open(&src_url).await;
    src.execute(
        "CREATE TABLE s (id INT PRIMARY KEY, v VARCHAR(10));
         INSERT INTO s SELECT seq, 'a' FROM seq_1_to_10",
    )
    .await
    .expect("table");
    let dir = tempfile::tempdir().expect("dir");
    let lake = format!("file://{}/", dir.path().display());
    let log = crate::cdc::log_file("lake-stop");
    let mut child = crate::cdc::start_task(
        &src_url,
        &lake,
        &log,
        "lake-stopper",
        &["--flush-secs", "1"],
    );
    wait_for_cdc(dir.path(), "lake-stopper", &log);
    let (ok, out) = crate::cdc::stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    src.execute("INSERT INTO s VALUES (11, 'b'); UPDATE s SET v = 'b' WHERE id = 1")
        .await
        .expect("b");
    src.execute("INSERT INTO s VALUES (12, 'b')")
        .await
        .expect("b");
    let stop_pos = crate::cdc::binlog_position(&src).await;
    src.execute("INSERT INTO s VALUES (13, 'c'); DELETE FROM s WHERE id = 2")
        .await
        .expect("c");
    let run = |stop: &str| {
        crate::cdc::tugboat_until_done(&[
            "migrate",
            "--source",
            &src_url,
            "--target",
            &lake,
            "--type",
            "full-load-and-cdc",
            "--task",
            "lake-stopper",
            "--flush-secs",
            "1",
            "--stop-at",
            stop,
        ])
    };
    let validate = || {
        crate::cdc::tugboat_until_done(&[
            "validate",
            "--source",
            &src_url,
            "--target",
            &lake,
            "--task",
            "lake-stopper",
        ])
    };
    let (ok, out, err) = run(&stop_pos);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains(&format!("reached its stop (position {stop_pos})")),
        "{out}"
    );
    let (ok, out, err) = validate();
    assert!(
        !ok,
        "the changes after the stop are not in the lake: {out}{err}"
    );
    assert!(
        out.contains("lake_stop.s key 13: missing on target"),
        "{out}"
    );
    assert!(out.contains("lake_stop.s key 2: extra on target"), "{out}");
    assert_eq!(
        out.matches("DIFFERS ").count(),
        2,
        "up to the stop, nothing after: {out}"
    );

    // A commit time already passed: the rest, committed before it, is written.
    let t = crate::cdc::a_second_ago().await;
    let (ok, out, err) = run(&t);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("reached its stop (commit time"), "{out}");
    let (ok, out, err) = validate();
    assert!(ok, "{out}{err}");
    src.close().await;
}
