//! The Parquet target: a full load from MariaDB and from PostgreSQL into a folder, read back
//! with DuckDB (the PyPI package, `tests/lake_compare.py`) and compared with the source row for
//! row: every type at its limits (unsigned 64-bit integers, 65-digit decimals, float32, bits,
//! binary with zero bytes, text with tabs, newlines and emoji, zero dates, microseconds, time
//! zones, negative durations, JSON, arrays, spatial values); a table in several files; a value
//! its Parquet type cannot hold refused, naming the table and column; a load killed with
//! SIGKILL and run again loads each table once, nothing repeated or lost.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cdc::open;
use crate::support;
use crate::support::Outcome;

fn tugboat(args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(args)
        .output()
        .expect("tugboat runs");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// The Python that has DuckDB, PyMySQL and psycopg (scripts/setup-debian.sh).
fn python() -> String {
    let venv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/test-python/bin/python3"
    );
    if std::path::Path::new(venv).exists() {
        venv.to_string()
    } else {
        "python3".to_string()
    }
}

/// `tests/lake_compare.py` of `src` against `lake`: whether every table is equal, and its report.
pub(crate) fn duckdb_compare(src: &str, lake: &std::path::Path, tables: &[&str]) -> (bool, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lake_compare.py");
    let o = Command::new(python())
        .arg(script)
        .arg(src)
        .arg(lake)
        .args(tables)
        .output()
        .expect("python runs");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !out.contains("ModuleNotFoundError"),
        "run scripts/setup-debian.sh first: {out}"
    );
    (o.status.success(), out)
}

/// A SQLite file at `path` made by `sql` (a source of the tests).
async fn sqlite_source(path: &std::path::Path, sql: &str) {
    let mut p =
        tugboat::endpoints::Endpoint::parse_url(&format!("sqlite://{}", path.display())).unwrap();
    p.endpoint.role = tugboat::endpoints::Role::Target;
    let conn = tugboat::endpoints::Connection::open(&p.endpoint, p.password)
        .await
        .unwrap();
    conn.execute(sql).await.unwrap();
    conn.close().await;
}

fn parquet_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".parquet"))
                .count()
        })
        .unwrap_or(0)
}

const MARIADB_TABLES: &str = "
CREATE TABLE every_type (
  id INT PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, b1 TINYINT(1), si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  d DECIMAL(10,2), dw DECIMAL(65,30), f FLOAT, db DOUBLE, bt BIT(5),
  c CHAR(3), vc VARCHAR(100), tx TEXT, bin VARBINARY(16), bl BLOB,
  dt DATE, dtt DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), yr YEAR,
  en ENUM('a','b c'), st SET('x','y','z'), js JSON, g POINT NULL
);
INSERT INTO every_type VALUES
 (1, -128, 0, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  -99999999.99, -99999999999999999999999999999999999.999999999999999999999999999999,
  -3.40282e38, -1.7976931348623157e308, b'00000',
  '', '', '', X'', X'00', '1000-01-01', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000',
  '-838:59:59.000000', 1901, 'a', '', '[]', ST_GeomFromText('POINT(0 0)')),
 (2, 127, 255, 1, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807,
  18446744073709551615, 99999999.99,
  99999999999999999999999999999999999.999999999999999999999999999999,
  1.17549e-38, 2.2250738585072014e-308, b'11111',
  'abc', 'tab\tnewline\nback\\\\slash \"quoted\" ''single''', 'emoji 🚢 and ünïcödé',
  X'00FF0A5C0D', X'DEADBEEF00', '9999-12-31', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07.999999', '838:59:59.999999', 2155, 'b c', 'x,y,z',
  '{\"k\": [1, 2.5, \"v\"], \"n\": null}', ST_GeomFromText('POINT(1.5 -2.25)', 4326)),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 5, 6, 2, 7, 8, 9, 10, 11, 12, 13, 14, 0.05, 0.000000000000000000000000000001, 0.1, 0.1,
  b'00101', 'x', '\\\\N', '', X'09', X'', '0000-00-00', '0000-00-00 00:00:00', NULL,
  '00:00:00.000001', 2000, 'a', 'y', '\"text\"', NULL);
CREATE TABLE no_key (a INT, b VARCHAR(10));
INSERT INTO no_key VALUES (1, 'x'), (1, 'x'), (NULL, NULL), (2, '');
CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(64), n DECIMAL(12,3), t DATETIME);
INSERT INTO big SELECT seq, MD5(seq), seq / 7, '2020-01-01' + INTERVAL seq SECOND FROM seq_1_to_60000;
";

const POSTGRES_TABLES: &str = r#"
CREATE TABLE every_type (
  id int PRIMARY KEY, si smallint, i integer, bi bigint, n numeric(12,4), nw numeric(50,10),
  nu numeric, r real, dp double precision, b boolean, t text, vc varchar(20), ch char(4),
  by bytea, d date, tm time(6), ts timestamp(6), tz timestamptz(6), u uuid, j jsonb, js json,
  ia int[], ta text[], iv interval, m money, o oid
);
INSERT INTO every_type VALUES
 (1, -32768, -2147483648, -9223372036854775808, -99999999.9999,
  -9999999999999999999999999999999999999999.9999999999, 123456789012345678901234567890.123456789,
  -3.4028235e38, -1.7976931348623157e308, false, '', '', '', '\x', '0001-01-01', '00:00:00',
  '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000',
  '{}', '[]', '{}', '{}', '-1 year -2 days 03:04:05', -92233720368547758.08, 0),
 (2, 32767, 2147483647, 9223372036854775807, 99999999.9999,
  9999999999999999999999999999999999999999.9999999999, 'NaN', 'Infinity', '-Infinity', true,
  E'tab\tnewline\nback\\slash "q" ''s'' emoji 🚢', 'ünïcödé', 'ab  ', '\x00ff0a5c',
  '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999', '2024-02-29 12:34:56.123456+05:30',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2.5, "v"], "n": null}',
  '{"b": 1,   "a": 2}', '{1,NULL,-3}', '{"x,y","NULL",NULL}', '1 mon 2 days 00:00:00.000001',
  92233720368547758.07, 4294967295),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 1, 2, 3, 0.0001, 1e-10, 0.5, 1e-45, 5e-324, true, '\N', 'x', 'x', '\x09', '1970-01-01',
  '12:00:00', '1970-01-01 00:00:00', '1969-12-31 23:59:59.999999+00', NULL, 'null', 'null',
  '{{1,2},{3,4}}', '{}', '0', 0, 1);
CREATE TABLE no_key (a int, b text);
INSERT INTO no_key VALUES (1, 'x'), (1, 'x'), (NULL, NULL), (2, '');
CREATE TABLE big (id int PRIMARY KEY, v text, n numeric(12,3), t timestamptz);
INSERT INTO big SELECT s, md5(s::text), s / 7.0, '2020-01-01'::timestamptz + s * interval '1 second'
  FROM generate_series(1, 60000) s;
"#;

#[tokio::test]
async fn a_full_load_into_a_parquet_folder_reads_back_in_duckdb_equal_to_the_source() {
    let my = support::mysql_database("lake_my").await;
    let conn = open(&my).await;
    conn.execute("SET SESSION sql_mode = ''").await.unwrap();
    conn.execute(MARIADB_TABLES).await.expect("MariaDB tables");
    conn.close().await;
    let pg = support::pg_database("lake_pg").await;
    let conn = open(&pg).await;
    conn.execute(POSTGRES_TABLES)
        .await
        .expect("PostgreSQL tables");
    conn.close().await;

    for (src, name) in [(&my, "mariadb"), (&pg, "postgres")] {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}/", dir.path().display());
        let task = format!("lake_{name}");
        let (ok, out) = tugboat(&[
            "migrate",
            "--source",
            src,
            "--target",
            &url,
            "--task",
            &task,
            "--file-mb",
            "1",
            "--batch-rows",
            "2000",
        ]);
        assert!(ok, "{name}: {out}");
        // Every table validated: counts and the checksum of every row read back.
        assert_eq!(
            out.lines()
                .filter(
                    |l| l.contains("Table completed") && l.ends_with("Validated (table checksum)")
                )
                .count(),
            3,
            "{name}: {out}"
        );
        let schema = if name == "mariadb" {
            "lake_my"
        } else {
            "public"
        };
        let big = dir.path().join(schema).join("big");
        assert!(
            parquet_files(&big) >= 2,
            "{name}: 60000 rows in files of 1 MiB make several files"
        );
        let (equal, report) = duckdb_compare(src, dir.path(), &[]);
        assert!(
            equal,
            "{name}: DuckDB reads other rows than the source's:\n{report}"
        );
        assert_eq!(report.matches(", equal").count(), 3, "{name}: {report}");
        assert!(
            report.contains("big: source 60000 rows, lake 60000 rows"),
            "{report}"
        );
        // Types as a lake's user sees them.
        let schema_file = std::fs::read_to_string(
            dir.path()
                .join(schema)
                .join("every_type")
                .join("_schema.json"),
        )
        .unwrap();
        let expect: &[&str] = if name == "mariadb" {
            &[
                "\"uint64\"",
                "\"decimal256(65,30)\"",
                "\"timestamp(us, UTC)\"",
                "\"float32\"",
            ]
        } else {
            &[
                "\"decimal256(50,10)\"",
                "\"time64(us)\"",
                "\"timestamp(us, UTC)\"",
                "\"bool\"",
            ]
        };
        for e in expect {
            assert!(schema_file.contains(e), "{name}: {e} in {schema_file}");
        }
        // Run again: every table is finished, nothing is written twice.
        let (ok, out) = tugboat(&[
            "migrate", "--source", src, "--target", &url, "--task", &task,
        ]);
        assert!(ok, "{out}");
        let (equal, report) = duckdb_compare(src, dir.path(), &[]);
        assert!(equal, "{name}, second run: {report}");
    }
}

#[tokio::test]
async fn a_value_its_parquet_type_cannot_hold_fails_the_table_naming_it() {
    // SQLite's declared types do not bind: a text in an INTEGER column.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("src.db");
    sqlite_source(
        &db,
        "CREATE TABLE good (id INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO good VALUES (1, 'a');
         CREATE TABLE bad (id INTEGER PRIMARY KEY, n INTEGER);
         INSERT INTO bad VALUES (1, 5), (2, 'five');",
    )
    .await;
    let lake = dir.path().join("lake");
    let (ok, out) = tugboat(&[
        "migrate",
        "--source",
        &format!("sqlite://{}", db.display()),
        "--target",
        &format!("file://{}/", lake.display()),
        "--task",
        "refused",
    ]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("column n: five does not fit int64"),
        "the error names the column and the value: {out}"
    );
    // The good table is there; the bad one has no file a reader could take for its rows.
    assert_eq!(parquet_files(&lake.join("main").join("good")), 1, "{out}");
    assert_eq!(parquet_files(&lake.join("main").join("bad")), 0, "{out}");
    // Another task into the same folders would delete this one's files: refused.
    let (ok, out) = tugboat(&[
        "migrate",
        "--source",
        &format!("sqlite://{}", db.display()),
        "--target",
        &format!("file://{}/", lake.display()),
        "--task",
        "another",
        "--include",
        "good",
    ]);
    assert!(!ok, "{out}");
    assert!(out.contains("is written by task refused already"), "{out}");
    assert_eq!(parquet_files(&lake.join("main").join("good")), 1, "{out}");
}

#[tokio::test]
async fn a_load_into_parquet_killed_midway_and_run_again_loads_each_table_once() {
    let pg = support::pg_database("lake_kill").await;
    let conn = open(&pg).await;
    conn.execute(
        "CREATE TABLE a_first (id int PRIMARY KEY, v text);
         INSERT INTO a_first SELECT s, 'v' || s FROM generate_series(1, 1000) s;
         CREATE TABLE b_big (id int PRIMARY KEY, v text, n numeric(20,5));
         INSERT INTO b_big SELECT s, repeat(md5(s::text), 4), s / 3.0 FROM generate_series(1, 400000) s;
         CREATE TABLE c_last (id int PRIMARY KEY);
         INSERT INTO c_last SELECT generate_series(1, 10);",
    )
    .await
    .unwrap();
    conn.close().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}/", dir.path().display());
    let args = [
        "migrate",
        "--source",
        &pg,
        "--target",
        &url,
        "--task",
        "killed",
        "--parallel",
        "1",
        "--file-mb",
        "1",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the big table has files written and is not finished.
    let big = dir.path().join("public").join("b_big");
    let state = dir.path().join("_tugboat").join("killed").join("load.json");
    let started = Instant::now();
    loop {
        let loaded = std::fs::read_to_string(&state).unwrap_or_default();
        if parquet_files(&big) >= 2 && !loaded.contains("b_big") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120) && !loaded.contains("b_big"),
            "the big table finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (ok, out) = tugboat(&args);
    assert!(ok, "{out}");
    assert!(
        out.contains("a_first") && out.contains("Validated"),
        "{out}"
    );
    let (equal, report) = duckdb_compare(&pg, dir.path(), &[]);
    assert!(equal, "after the kill and the second run: {report}");
    assert!(
        report.contains("public.b_big: source 400000 rows, lake 400000 rows, equal"),
        "{report}"
    );
}

#[tokio::test]
async fn a_parquet_folder_kept_in_a_project_is_a_target_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    sqlite_source(
        &db,
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, total NUMERIC, placed TEXT);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300)
           INSERT INTO orders SELECT i, i * 1.5, '2026-12-0' || (i % 9 + 1) FROM s;",
    )
    .await;
    let file = dir.path().join("lake.ron");
    let f = file.to_str().unwrap();
    let lake = dir.path().join("lake");
    // A folder given without --target is a target all the same (a lake is never read from).
    for args in [
        vec!["project", "new", f],
        vec![
            "project",
            "add-endpoint",
            f,
            "--name",
            "shop",
            &format!("sqlite://{}", db.display()),
        ],
        vec![
            "project",
            "add-endpoint",
            f,
            "--name",
            "lake",
            &format!("file://{}/", lake.display()),
        ],
        vec![
            "project", "add-task", f, "--name", "to-lake", "--source", "shop", "--target", "lake",
        ],
    ] {
        let (ok, out) = tugboat(&args);
        assert!(ok, "{args:?}: {out}");
    }
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.contains("Parquet") && saved.contains("Target"),
        "{saved}"
    );
    let (ok, out) = tugboat(&["check", f, "--task", "to-lake"]);
    assert!(ok && out.contains("target reachable"), "{out}");
    let (ok, out) = tugboat(&["run", f, "--task", "to-lake"]);
    assert!(ok, "{out}");
    assert!(out.contains("Validated (table checksum)"), "{out}");
    assert_eq!(parquet_files(&lake.join("main").join("orders")), 1, "{out}");
    let (ok, out) = tugboat(&["status", f]);
    assert!(ok, "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("to-lake "))
        .unwrap_or_default();
    assert!(
        line.contains("loaded") && line.contains("1/1") && line.contains("300"),
        "{out}"
    );
    // A comparison alone: the files read back against the source's rows, row by row.
    let (ok, out) = tugboat(&["validate", "--project", f, "--task", "to-lake"]);
    assert!(
        ok && out
            .lines()
            .any(|l| l.starts_with("main.orders") && l.ends_with("Validated")),
        "{out}"
    );
    let orders = lake.join("main").join("orders");
    let file = std::fs::read_dir(&orders)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "parquet"))
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    let (ok, out) = tugboat(&["validate", "--project", f, "--task", "to-lake"]);
    assert!(
        !ok && out.contains("Mismatched records (source 300, target 0, 300 rows differ")
            && out.contains("DIFFERS main.orders key 1: missing on target"),
        "a lost file is found, its rows named: {out}"
    );
    // What a database would be asked is refused with why, not attempted.
    let (ok, out) = tugboat(&["inspect", &format!("file://{}/", lake.display())]);
    assert!(!ok && out.contains("not a database"), "{out}");
}

/// The parts of `table` written so far, as the task's state file keeps them (None: the table
/// is not loading in parts), and how many it has.
fn parts_written(lake: &std::path::Path, task: &str, table: &str) -> Option<(Vec<String>, usize)> {
    let path = lake.join("_tugboat").join(task).join("load.json");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let partial = state.get("partial")?.get(table)?;
    let files = partial
        .get("done")?
        .as_object()?
        .values()
        .flat_map(|l| l["files"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    Some((files, partial.get("parts")?.as_array()?.len()))
}

/// Big tables are not one stream into a lake: a MariaDB table in ranges of its integer key and
/// one in ranges of its text key (walked in key order), a PostgreSQL table without a key in page
/// ranges of one snapshot, each part's files written side by side. Killed once some parts of
/// the integer-keyed table are written, the next run keeps those parts' files untouched and loads
/// only the others; DuckDB reads every row once.
#[tokio::test]
async fn big_tables_load_into_parquet_in_parts_and_a_kill_keeps_the_parts_written() -> Outcome {
    let my = support::mysql_database("lake_parts").await;
    let conn = open(&my).await;
    conn.execute(
        "CREATE TABLE ints (id INT PRIMARY KEY, v VARCHAR(80));
         INSERT INTO ints SELECT seq, concat(md5(seq), md5(seq + 1)) FROM seq_1_to_300000;
         CREATE TABLE words (w VARCHAR(20) PRIMARY KEY, n INT NOT NULL) COLLATE utf8mb4_general_ci;
         INSERT INTO words SELECT concat(IF(seq % 2, 'a', 'B'), lpad(seq, 6, '0')), seq FROM seq_1_to_60000;
         ANALYZE TABLE ints, words;",
    )
    .await?;
    conn.close().await;
    let dir = tempfile::tempdir()?;
    let url = format!("file://{}/", dir.path().display());
    let args = [
        "migrate",
        "--source",
        &my,
        "--target",
        &url,
        "--task",
        "parts",
        "--partition-rows",
        "20000",
        "--parallel",
        "2",
        "--file-mb",
        "1",
        "-v",
    ];
    let logs = tempfile::tempdir()?;
    let first_log = logs.path().join("first.log");
    // Stopped with `signal` once `at_least` of the integer-keyed table's parts are written
    // (not all); the parts' files then, and how many parts it has.
    let stopped = |signal: &str,
                   at_least: usize,
                   log: &std::path::Path|
     -> Result<(Vec<String>, usize), Box<dyn std::error::Error>> {
        let out = std::fs::File::create(log)?;
        let mut child = Command::new(env!("CARGO_BIN_EXE_tugboat"))
            .args(args)
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        let started = Instant::now();
        let written = loop {
            if let Some((files, parts)) = parts_written(dir.path(), "parts", "lake_parts.ints")
                && files.len() >= at_least
            {
                break (files, parts);
            }
            assert!(
                started.elapsed() < Duration::from_secs(120) && child.try_wait()?.is_none(),
                "the table finished, or never loaded in parts, before it could be stopped"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()?;
        child.wait()?;
        Ok(written)
    };
    // Ctrl-C first: the parts cut short by it are not taken for written (a reader stopped by
    // the user ends without an error). Then SIGKILL, in the next run.
    let (after_int, _) = stopped("-INT", 2, &logs.path().join("int.log"))?;
    let (kept, parts) = stopped("-KILL", after_int.len() + 2, &first_log)?;
    assert!(
        parts >= 10,
        "300,000 rows in parts of 20,000: {parts} parts"
    );
    let ints = dir.path().join("lake_parts").join("ints");
    let modified = |f: &String| {
        std::fs::metadata(ints.join(f))
            .and_then(|m| m.modified())
            .ok()
    };
    let before: Vec<_> = kept.iter().map(modified).collect();
    let (ok, out) = tugboat(&args);
    assert!(ok, "{out}");
    assert!(
        parts_written(dir.path(), "parts", "lake_parts.ints").is_none(),
        "finished: no part left in the state file"
    );
    assert!(
        out.contains("parts written by an earlier run are kept"),
        "{out}"
    );
    assert_eq!(
        kept.iter().map(modified).collect::<Vec<_>>(),
        before,
        "the parts written before the kill are not written again"
    );
    let both = std::fs::read_to_string(logs.path().join("int.log"))?
        + &std::fs::read_to_string(&first_log)?
        + &out;
    assert!(
        both.contains("lake_parts.words: 0 of "),
        "the text key is walked in parts: {both}"
    );
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("Table completed") && l.ends_with("Validated (table checksum)"))
            .count(),
        2,
        "{out}"
    );
    let (equal, report) = duckdb_compare(&my, dir.path(), &[]);
    assert!(equal, "{report}");
    assert!(
        report.contains("ints: source 300000 rows, lake 300000 rows, equal"),
        "{report}"
    );
    assert!(
        report.contains("words: source 60000 rows, lake 60000 rows, equal"),
        "{report}"
    );

    // PostgreSQL, a table without a key: page ranges read in one snapshot.
    let pg = support::pg_database("lake_parts").await;
    let conn = open(&pg).await;
    conn.execute(
        "CREATE TABLE heap (a int, b text);
         INSERT INTO heap SELECT s % 1000, md5(s::text) FROM generate_series(1, 60000) s;
         ANALYZE heap;",
    )
    .await?;
    conn.close().await;
    let pg_dir = tempfile::tempdir()?;
    let pg_url = format!("file://{}/", pg_dir.path().display());
    let (ok, out) = tugboat(&[
        "migrate",
        "--source",
        &pg,
        "--target",
        &pg_url,
        "--task",
        "pages",
        "--partition-rows",
        "20000",
        "-v",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("public.heap: 3 of 3 parts done"), "{out}");
    let (equal, report) = duckdb_compare(&pg, pg_dir.path(), &[]);
    assert!(equal, "{report}");
    assert!(
        report.contains("heap: source 60000 rows, lake 60000 rows, equal"),
        "{report}"
    );
    Ok(())
}
