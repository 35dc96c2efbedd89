//! Migration tasks (full load) between real databases: every value arrives exactly, a stopped
//! task resumes without duplicates or missing rows, and the CLI shows and reports it.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tugboat::endpoints::{Connection, Endpoint, Role};
use tugboat::tasks::{Settings, TableState, Task, TaskEvent, run};

use crate::support;

pub async fn open(url: &str, role: Role) -> Connection {
    let mut p = Endpoint::parse_url(url).unwrap();
    p.endpoint.role = role;
    Connection::open(&p.endpoint, p.password).await.unwrap()
}

pub fn task(name: &str) -> Task {
    Task {
        id: String::new(),
        task_type: Default::default(),
        stop_at: None,
        name: name.into(),
        source: "s".into(),
        target: "t".into(),
        mappings: tugboat::tasks::mappings::TableMappings::all(),
        settings: Settings {
            batch_rows: 3,
            ..Settings::default()
        },
    }
}

fn quiet() -> Arc<dyn Fn(TaskEvent) + Send + Sync> {
    Arc::new(|_| {})
}

/// Runs task `t` from `src` into `tgt`, its events to `sink`; asserts that no table failed.
pub async fn run_ok(
    t: &Task,
    src: &Connection,
    tgt: &Connection,
    sink: Arc<dyn Fn(TaskEvent) + Send + Sync>,
) -> tugboat::tasks::Summary {
    let s = run(t, src, tgt, sink, Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    assert_eq!(s.failed(), 0, "{s:#?}");
    s
}

/// The events a task sends, kept.
pub type Events = Arc<std::sync::Mutex<Vec<TaskEvent>>>;

/// A sink keeping every event in the events returned.
pub fn recording() -> (Events, Arc<dyn Fn(TaskEvent) + Send + Sync>) {
    let events: Events = Default::default();
    let kept = events.clone();
    (
        events,
        Arc::new(move |e: TaskEvent| kept.lock().unwrap().push(e)),
    )
}

/// The rows of `sql`, each its values joined by `|` (NULL as nothing).
pub async fn rows_of(conn: &Connection, sql: &str) -> Vec<String> {
    let found = conn.query_text(sql).await.unwrap();
    found
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.at(i).unwrap_or(""))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

pub async fn one(conn: &Connection, sql: &str) -> Option<String> {
    conn.query_scalar("check", sql).await.unwrap()
}

/// MariaDB values that other engines store differently: unsigned 64-bit, wide decimals,
/// doubles, tinyint(1), BIT, DATETIME(6), TIMESTAMP, zero dates, 4-byte UTF-8 with quotes,
/// backslashes, tabs and newlines, binary with zero bytes, JSON, ENUM, SET, YEAR.
pub const MARIADB_SOURCE: &str = "
CREATE TABLE vals (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  u64 BIGINT UNSIGNED,
  d DECIMAL(30,10),
  f DOUBLE,
  b TINYINT(1),
  bits BIT(5),
  dt DATETIME(6),
  ts TIMESTAMP(6) NULL DEFAULT NULL,
  dz DATE,
  txt TEXT,
  bin VARBINARY(20),
  j JSON,
  e ENUM('a','b'),
  s SET('x','y'),
  y YEAR,
  tm TIME(3)
);
SET SESSION sql_mode = '';
SET SESSION time_zone = '+00:00';
INSERT INTO vals (u64, d, f, b, bits, dt, ts, dz, txt, bin, j, e, s, y, tm) VALUES
 (18446744073709551615, 12345678901234567890.0123456789, 0.1, 1, b'10101', '2024-02-29 23:59:59.123456', '2024-03-01 12:00:00.5', '1999-12-31', 'It''s \\\\ a\\ttab\\nline 🚢', X'00FF00', '{\"k\": [1, 2]}', 'b', 'x,y', 2155, '23:59:59.125'),
 (0, -0.0000000001, -1.7976931348623157e308, 0, b'0', '1000-01-01 00:00:00', NULL, '0000-00-00', '', X'', 'null', 'a', '', 1901, '00:00:00'),
 (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE child (id INT PRIMARY KEY, vals_id INT, FOREIGN KEY (vals_id) REFERENCES vals (id));
INSERT INTO child VALUES (1, 1), (2, 2), (3, 1), (4, NULL), (5, 3), (6, 1), (7, 2), (10, 1), (11, 2), (12, NULL);
";

#[tokio::test]
async fn mariadb_values_arrive_exactly_in_postgres() {
    let src_url = support::mysql_database("tug_task_src").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(MARIADB_SOURCE).await.unwrap();
    let tgt_url = support::pg_database("tug_task_pg").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let summary = run(
        &task("my2pg"),
        &src,
        &tgt,
        quiet(),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap();
    assert_eq!(summary.failed(), 0, "{summary:#?}");
    assert!(support::hashed_alike(&summary) > 0, "{summary:#?}");
    let vals = summary
        .tables
        .iter()
        .find(|t| t.source.ends_with(".vals"))
        .unwrap();
    assert_eq!(
        (vals.state, vals.rows, vals.zero_dates),
        (TableState::Completed, 3, 1)
    );
    assert_eq!(vals.validation_state(), "Validated");
    let row1 = one(
        &tgt,
        "SELECT concat_ws('|', u64, d, f, b, bits, dt, ts AT TIME ZONE 'UTC', dz, txt, encode(bin, 'hex'), j::text, e, s, y, tm) FROM tug_task_src.vals WHERE id = 1",
    )
    .await;
    assert_eq!(
        row1.as_deref(),
        Some(
            "18446744073709551615|12345678901234567890.0123456789|0.1|t|10101|2024-02-29 23:59:59.123456|2024-03-01 12:00:00.5|1999-12-31|It's \\ a\ttab\nline 🚢|00ff00|{\"k\": [1, 2]}|b|x,y|2155|23:59:59.125"
        )
    );
    let row2 = one(
        &tgt,
        "SELECT concat_ws('|', u64, d, f, b, bits, dt, coalesce(dz::text, 'NULL'), '[' || txt || ']', '[' || encode(bin, 'hex') || ']', j::text, e, '[' || s || ']', y) FROM tug_task_src.vals WHERE id = 2",
    )
    .await;
    assert_eq!(
        row2.as_deref(),
        Some(
            "0|-0.0000000001|-1.7976931348623157e+308|f|00000|1000-01-01 00:00:00|NULL|[]|[]|null|a|[]|1901"
        ),
        "the zero date became NULL (the policy), everything else is exact"
    );
    let nulls = one(&tgt, "SELECT count(*) FROM tug_task_src.vals WHERE id = 3 AND u64 IS NULL AND txt IS NULL AND bin IS NULL AND j IS NULL").await;
    assert_eq!(nulls.as_deref(), Some("1"));
    // Keys came after the load, and the numbering continues after the loaded ids.
    let fks = one(
        &tgt,
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f'",
    )
    .await;
    assert_eq!(fks.as_deref(), Some("1"));
    // Primary keys are built once each table is loaded; a run that stopped after a table
    // finished but before its key was built builds it on the next run.
    let pks = "SELECT string_agg(conrelid::regclass::text, ',' ORDER BY conrelid::regclass::text) FROM pg_constraint WHERE contype = 'p' AND connamespace = 'tug_task_src'::regnamespace";
    assert_eq!(
        one(&tgt, pks).await.as_deref(),
        Some("tug_task_src.child,tug_task_src.vals")
    );
    tgt.execute("ALTER TABLE tug_task_src.child DROP CONSTRAINT child_pkey")
        .await
        .unwrap();
    let again = run(
        &task("my2pg"),
        &src,
        &tgt,
        quiet(),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap();
    assert!(again.tables.iter().all(|t| t.skipped), "{again:#?}");
    assert_eq!(
        one(&tgt, pks).await.as_deref(),
        Some("tug_task_src.child,tug_task_src.vals")
    );
    let next = one(
        &tgt,
        "INSERT INTO tug_task_src.vals (txt) VALUES ('new') RETURNING id",
    )
    .await;
    assert_eq!(next.as_deref(), Some("4"));
    src.close().await;
    tgt.close().await;
}

/// PostgreSQL values into MariaDB and SQLite: numeric(38,10), doubles, booleans, bytea with zero
/// bytes, timestamptz in UTC, text with tabs, newlines and emoji, jsonb, uuid, arrays as JSON.
const PG_SOURCE: &str = "
CREATE TABLE pvals (
  id serial PRIMARY KEY,
  n numeric(38,10),
  f double precision,
  ok boolean,
  bin bytea,
  at timestamptz,
  t text,
  j jsonb,
  u uuid,
  tags text[]
);
INSERT INTO pvals (n, f, ok, bin, at, t, j, u, tags) VALUES
 (1234567890123456789012345678.0123456789, 2.718281828459045, true, '\\x00ff00', '2024-05-06 07:08:09.123456+02', E'tab\\there\\nnew ''line'' \\\\ 🚢', '{\"a\": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{x,\"y z\"}'),
 (-0.0000000001, -0.0, false, '\\x', '1970-01-01 00:00:00+00', '', '[]', NULL, '{}'),
 (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
";

#[tokio::test]
async fn postgres_values_arrive_exactly_in_mariadb_and_sqlite() {
    let src_url = support::pg_database("tug_task_psrc").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(PG_SOURCE).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for target in ["mariadb", "sqlite"] {
        let tgt = if target == "mariadb" {
            open(
                &support::mysql_database("tug_task_pg2my").await,
                Role::Target,
            )
            .await
        } else {
            open(
                &format!("sqlite://{}", dir.path().join("t.db").display()),
                Role::Target,
            )
            .await
        };
        let summary = run(
            &task("pg2x"),
            &src,
            &tgt,
            quiet(),
            Arc::new(AtomicBool::new(false)),
        )
        .await
        .unwrap();
        assert_eq!(summary.failed(), 0, "{target}: {summary:#?}");
        assert!(
            support::hashed_alike(&summary) > 0,
            "{target}: {summary:#?}"
        );
        let (concat, tz, empty) = if target == "mariadb" {
            (
                "CONCAT_WS('|', n, f, ok, HEX(bin), at, t, j, u, tags)",
                "",
                "SELECT CONCAT('[', HEX(bin), ']') FROM pvals WHERE id = 2",
            )
        } else {
            // SQLite prints doubles with 15 digits: print them with every digit.
            (
                "n || '|' || printf('%!.16g', f) || '|' || ok || '|' || hex(bin) || '|' || at || '|' || t || '|' || j || '|' || u || '|' || tags",
                "+00",
                "SELECT '[' || hex(bin) || ']' FROM pvals WHERE id = 2",
            )
        };
        let row1 = one(&tgt, &format!("SELECT {concat} FROM pvals WHERE id = 1")).await;
        assert_eq!(
            row1.as_deref(),
            Some(
                format!(
                    "1234567890123456789012345678.0123456789|2.718281828459045|1|00FF00|2024-05-06 05:08:09.123456{tz}|tab\there\nnew 'line' \\ 🚢|{{\"a\": 1}}|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|[\"x\",\"y z\"]"
                )
                .as_str()
            ),
            "{target}"
        );
        let empty = one(&tgt, empty).await;
        assert_eq!(
            empty.as_deref(),
            Some("[]"),
            "{target}: empty bytes stay empty, not NULL"
        );
        let nulls = one(
            &tgt,
            "SELECT count(*) FROM pvals WHERE n IS NULL AND bin IS NULL AND t IS NULL",
        )
        .await;
        assert_eq!(nulls.as_deref(), Some("1"), "{target}");
        tgt.close().await;
    }
    src.close().await;
}

/// A task stopped half-way (a table left in the loading state with part of its rows) and started
/// again: finished tables are skipped, the unfinished one is emptied and reloaded, and the
/// counts match the source exactly.
#[tokio::test]
async fn a_stopped_task_resumes_without_duplicates() {
    let src_url = support::mysql_database("tug_task_rsrc").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(MARIADB_SOURCE).await.unwrap();
    let tgt_url = support::pg_database("tug_task_resume").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let t = task("resume");
    let first = run(&t, &src, &tgt, quiet(), Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    assert_eq!(first.failed(), 0);
    // As if the process had died while loading `child`: its state says loading, half its rows.
    tgt.execute("UPDATE tugboat_table_state SET state = 'loading' WHERE table_name LIKE '%.child'")
        .await
        .unwrap();
    tgt.execute("DELETE FROM tug_task_rsrc.child WHERE id > 3")
        .await
        .unwrap();
    let events = Arc::new(std::sync::Mutex::new(vec![]));
    let sink = {
        let events = events.clone();
        Arc::new(move |e: TaskEvent| events.lock().unwrap().push(e))
    };
    let second = run(&t, &src, &tgt, sink, Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    assert_eq!(second.failed(), 0, "{second:#?}");
    let vals = second
        .tables
        .iter()
        .find(|x| x.source.ends_with(".vals"))
        .unwrap();
    assert!(vals.skipped, "the finished table is not reloaded");
    let child = second
        .tables
        .iter()
        .find(|x| x.source.ends_with(".child"))
        .unwrap();
    assert!(!child.skipped);
    assert_eq!(child.validation, Some((10, 10)));
    assert_eq!(
        child.validation_state(),
        "Validated",
        "every row compared, ids past 9 included"
    );
    assert_eq!(
        one(&tgt, "SELECT count(DISTINCT id) FROM tug_task_rsrc.child")
            .await
            .as_deref(),
        Some("10")
    );
    let skipped = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, TaskEvent::TableSkipped { .. }))
        .count();
    assert_eq!(skipped, 1);
    src.close().await;
    tgt.close().await;
}

/// A big table loads in key ranges in parallel; a run that stopped with two ranges unfinished
/// reloads those two only (the rows of finished ranges are not rewritten), and ends exact.
#[tokio::test]
async fn key_ranges_load_in_parallel_and_resume_one_by_one() {
    let src_url = support::mysql_database("tug_task_ranges").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(40), n DECIMAL(12,2));
         INSERT INTO big SELECT seq, concat('row ', seq), seq / 7 FROM seq_1_to_3000;
         INSERT INTO big VALUES (-5, 'below the span', 0), (1000000, 'far above', 1);
         CREATE TABLE small (id INT PRIMARY KEY);
         INSERT INTO small VALUES (1), (2);
         ANALYZE TABLE big;",
    )
    .await
    .unwrap();
    let tgt_url = support::pg_database("tug_task_ranges").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let mut t = task("ranges");
    t.settings.partition_rows = 500;
    t.settings.batch_rows = 100;
    let (events, sink) = recording();
    let first = run_ok(&t, &src, &tgt, sink.clone()).await;
    let parts: i64 = one(
        &tgt,
        "SELECT count(*) FROM tugboat_range_state WHERE table_name LIKE '%.big'",
    )
    .await
    .unwrap()
    .parse()
    .unwrap();
    assert!(parts >= 4, "3002 rows in ranges of 500: {parts} ranges");
    let big = first
        .tables
        .iter()
        .find(|x| x.source.ends_with(".big"))
        .unwrap();
    assert_eq!(big.rows, 3002);
    assert_eq!(big.validation_state(), "Validated");
    // As if the process had died: the table and ranges 1 and 3 unfinished, range 1 half
    // written, range 3 not started.
    tgt.execute(
        "UPDATE tugboat_table_state SET state = 'loading' WHERE table_name LIKE '%.big';
         UPDATE tugboat_range_state SET state = 'loading' WHERE table_name LIKE '%.big' AND part = 1;
         UPDATE tugboat_range_state SET state = 'queued' WHERE table_name LIKE '%.big' AND part = 3;",
    )
    .await
    .unwrap();
    let bounds = |part: i64| {
        let tgt = &tgt;
        async move {
            let r = tgt
                .query_text(&format!(
                    "SELECT key_from, key_to FROM tugboat_range_state WHERE table_name LIKE '%.big' AND part = {part}"
                ))
                .await
                .unwrap();
            (
                r[0].at(0).unwrap().to_string(),
                r[0].at(1).unwrap().to_string(),
            )
        }
    };
    let (f1, t1) = bounds(1).await;
    let (f3, t3) = bounds(3).await;
    tgt.execute(&format!(
        "DELETE FROM tug_task_ranges.big WHERE id >= {f1} AND id < ({f1} + {t1}) / 2;
         DELETE FROM tug_task_ranges.big WHERE id >= {f3} AND id < {t3};"
    ))
    .await
    .unwrap();
    // Rows of finished ranges keep their row versions: they are not written again.
    let version = "SELECT string_agg(xmin::text, ',' ORDER BY id) FROM tug_task_ranges.big WHERE id < 10 OR id > 2990";
    let before = one(&tgt, version).await;
    events.lock().unwrap().clear();
    let second = run(&t, &src, &tgt, sink, Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    assert_eq!(second.failed(), 0, "{second:#?}");
    let big = second
        .tables
        .iter()
        .find(|x| x.source.ends_with(".big"))
        .unwrap();
    assert!(!big.skipped);
    assert_eq!(big.rows, 3002);
    assert_eq!(big.validation, Some((3002, 3002)));
    assert_eq!(big.validation_state(), "Validated");
    assert_eq!(one(&tgt, version).await, before);
    assert_eq!(
        one(&tgt, "SELECT count(DISTINCT id) FROM tug_task_ranges.big")
            .await
            .as_deref(),
        Some("3002")
    );
    let first_ranges = events.lock().unwrap().iter().find_map(|e| match e {
        TaskEvent::Ranges { parts, done, .. } => Some((*parts, *done)),
        _ => None,
    });
    assert_eq!(first_ranges, Some((parts as usize, parts as usize - 2)));
    src.close().await;
    tgt.close().await;
}

/// Transformations shape the target schema the task creates: a table renamed (and its foreign
/// key following it), a column renamed, one removed, one added from an expression over the
/// row, one added as a constant, and a type changed; the values arrive and validate.
#[tokio::test]
async fn transformations_shape_the_created_target() {
    use tugboat::tasks::mappings::{Target, TransformAction, Transformation};
    let src_url = support::mysql_database("tug_task_tr").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE customer (id INT PRIMARY KEY, first VARCHAR(20), last VARCHAR(20), secret VARCHAR(20), score SMALLINT);
         INSERT INTO customer VALUES (1, 'Ada', 'Lovelace', 'x', 7), (2, 'Alan', 'Turing', 'y', 12);
         CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT, FOREIGN KEY (customer_id) REFERENCES customer (id));
         INSERT INTO orders VALUES (10, 1), (11, 2), (12, 2);",
    )
    .await
    .unwrap();
    let tgt_url = support::pg_database("tug_task_tr").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let rule = |target, table: &str, column: &str, action| Transformation {
        target,
        schema: "%".into(),
        table: table.into(),
        column: column.into(),
        action,
    };
    let mut t = task("transform");
    t.mappings.transformations = vec![
        rule(
            Target::Table,
            "customer",
            "%",
            TransformAction::Rename("client".into()),
        ),
        rule(
            Target::Column,
            "customer",
            "first",
            TransformAction::Rename("given_name".into()),
        ),
        rule(
            Target::Column,
            "customer",
            "secret",
            TransformAction::RemoveColumn,
        ),
        rule(
            Target::Column,
            "customer",
            "full_name",
            TransformAction::AddColumn {
                data_type: "varchar(50)".into(),
                expression: "CONCAT(first, ' ', last)".into(),
            },
        ),
        rule(
            Target::Column,
            "%",
            "migrated_by",
            TransformAction::AddColumn {
                data_type: "varchar(20)".into(),
                expression: "'tugboat'".into(),
            },
        ),
        rule(
            Target::Column,
            "customer",
            "score",
            TransformAction::ChangeDataType("bigint".into()),
        ),
    ];
    let s = run(&t, &src, &tgt, quiet(), Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    assert_eq!(s.failed(), 0, "{s:#?}");
    assert!(
        s.tables.iter().all(|x| x.validation_state() == "Validated"),
        "{s:#?}"
    );
    let cols = one(
        &tgt,
        "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'tug_task_tr' AND table_name = 'client'",
    )
    .await;
    assert_eq!(
        cols.as_deref(),
        Some(
            "id integer, given_name character varying, last character varying, score bigint, full_name character varying, migrated_by character varying"
        )
    );
    assert_eq!(
        one(&tgt, "SELECT string_agg(full_name || '/' || migrated_by, ';' ORDER BY id) FROM tug_task_tr.client").await.as_deref(),
        Some("Ada Lovelace/tugboat;Alan Turing/tugboat")
    );
    assert_eq!(
        one(
            &tgt,
            "SELECT string_agg(migrated_by, ',') FROM tug_task_tr.orders"
        )
        .await
        .as_deref(),
        Some("tugboat,tugboat,tugboat")
    );
    // The foreign key follows the renamed parent.
    assert_eq!(
        one(&tgt, "SELECT confrelid::regclass::text FROM pg_constraint WHERE contype = 'f' AND conrelid = 'tug_task_tr.orders'::regclass").await.as_deref(),
        Some("tug_task_tr.client")
    );
    // A value changed in an added column is found by validation.
    tgt.execute("UPDATE tug_task_tr.client SET full_name = 'Ada King' WHERE id = 1")
        .await
        .unwrap();
    let again = run(&t, &src, &tgt, quiet(), Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    let client = again
        .tables
        .iter()
        .find(|x| x.source.ends_with(".customer"))
        .unwrap();
    assert_eq!(client.validation_state(), "Mismatched records");
    assert_eq!(
        client.validation_detail.as_ref().unwrap().failures,
        [(
            "1".to_string(),
            "different".to_string(),
            "full_name".to_string()
        )]
    );
    // The values on each side, for the Exceptions pane.
    let shown = &client.validation_detail.as_ref().unwrap().differences;
    assert!(
        shown.len() == 1
            && shown[0].starts_with("full_name: source '")
            && shown[0].contains(", target '"),
        "{shown:?}"
    );
    src.close().await;
    tgt.close().await;
}

/// A TCP proxy in front of a server whose connections can be cut, as when the server stops:
/// every open connection is dropped and the port refuses new ones until `restore`.
struct Proxy {
    port: u16,
    up: Arc<std::sync::atomic::AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
}

impl Proxy {
    async fn start(to: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let cut = Arc::new(tokio::sync::Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            let mut listener = Some(listener);
            loop {
                let Some(l) = &listener else {
                    // Down: nothing listens (connections are refused) until restored.
                    while !up2.load(std::sync::atomic::Ordering::SeqCst) {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                        .await
                        .ok();
                    continue;
                };
                let accepted = tokio::select! {
                    a = l.accept() => a,
                    _ = cut2.notified() => {
                        listener = None;
                        continue;
                    }
                };
                let Ok((mut client, _)) = accepted else {
                    return;
                };
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", to)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Proxy { port, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The target goes away in the middle of a load (every connection dropped, new ones refused)
/// and comes back 3 s later: the table is retried with backoff, emptied and loaded again, and
/// ends exact. When it does not come back, the table fails with a message that says so.
#[tokio::test]
async fn a_lost_target_is_retried_then_reported() {
    let src_url = support::mysql_database("tug_task_lost").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE big (id INT PRIMARY KEY, note VARCHAR(60));
         INSERT INTO big SELECT seq, CONCAT('row ', seq, REPEAT('x', 40)) FROM seq_1_to_100000;",
    )
    .await
    .unwrap();
    let tgt_url = support::pg_database("tug_task_lost").await;
    let direct = open(&tgt_url, Role::Target).await;
    let real_port = Endpoint::parse_url(&tgt_url).unwrap().endpoint.port;
    let proxy = Proxy::start(real_port).await;
    let via_proxy = tgt_url.replace(&format!(":{real_port}/"), &format!(":{}/", proxy.port));
    assert_ne!(via_proxy, tgt_url);
    // Waits for a connection while the target is away last 2 s, not the default 10.
    let via_proxy = format!(
        "{via_proxy}{}connect_timeout=2",
        if via_proxy.contains('?') { '&' } else { '?' }
    );
    let tgt = open(&via_proxy, Role::Target).await;
    let mut t = task("lost");
    t.settings.batch_rows = 200;
    t.settings.retries = 3;
    let events = Arc::new(std::sync::Mutex::new(vec![]));
    let sink = {
        let events = events.clone();
        Arc::new(move |e: TaskEvent| events.lock().unwrap().push(e))
    };
    let running = {
        let (t, src, tgt, sink) = (t.clone(), src.clone(), tgt.clone(), sink.clone());
        tokio::spawn(
            async move { run(&t, &src, &tgt, sink, Arc::new(AtomicBool::new(false))).await },
        )
    };
    // Once rows arrive, the target goes away for 3 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while events
        .lock()
        .unwrap()
        .iter()
        .all(|e| !matches!(e, TaskEvent::Progress { rows, .. } if *rows > 0))
    {
        assert!(std::time::Instant::now() < deadline, "no rows arrived");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    proxy.cut();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    proxy.restore();
    let s = running.await.unwrap().unwrap();
    assert_eq!(s.failed(), 0, "{s:#?}");
    let big = &s.tables[0];
    assert_eq!(big.rows, 100_000);
    assert_eq!(big.validation_state(), "Validated");
    assert!(
        events.lock().unwrap().iter().any(
            |e| matches!(e, TaskEvent::Step(m) if m.contains("connection lost; retry 1 of 3"))
        ),
        "the retry is reported"
    );
    assert_eq!(
        one(&direct, "SELECT count(DISTINCT id) FROM tug_task_lost.big")
            .await
            .as_deref(),
        Some("100000")
    );
    // Gone for good: one retry, then a clear failure.
    t.settings.retries = 1;
    tugboat::tasks::reload(&t.name, &tgt, &["tug_task_lost.big".to_string()])
        .await
        .unwrap();
    events.lock().unwrap().clear();
    let running = {
        let (t, src, tgt, sink) = (t.clone(), src.clone(), tgt.clone(), sink.clone());
        tokio::spawn(
            async move { run(&t, &src, &tgt, sink, Arc::new(AtomicBool::new(false))).await },
        )
    };
    while events
        .lock()
        .unwrap()
        .iter()
        .all(|e| !matches!(e, TaskEvent::Progress { rows, .. } if *rows > 0))
    {
        assert!(
            std::time::Instant::now() < deadline + std::time::Duration::from_secs(60),
            "no rows arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    proxy.cut();
    let s = running.await.unwrap().unwrap();
    proxy.restore();
    assert_eq!(s.tables[0].state, TableState::Error);
    let failure = s.tables[0].error.clone().unwrap_or_default();
    assert!(
        failure.contains("the connection was lost and 1 retries over 1 s did not bring it back"),
        "{failure}"
    );
    src.close().await;
    tgt.close().await;
    direct.close().await;
}

/// Bad table mappings stop the task before anything is written.
#[tokio::test]
async fn bad_mappings_write_nothing() {
    let src_url = support::mysql_database("tug_task_bad").await;
    let src = open(&src_url, Role::Source).await;
    src.execute("CREATE TABLE a (id int primary key)")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let tgt = open(&format!("sqlite://{}", path.display()), Role::Target).await;
    let mut t = task("bad");
    t.mappings.selection[0].table = "nope%".into();
    let e = run(&t, &src, &tgt, quiet(), Arc::new(AtomicBool::new(false)))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("matches no table"), "{e}");
    let tables = one(&tgt, "SELECT count(*) FROM sqlite_master").await;
    assert_eq!(tables.as_deref(), Some("0"), "nothing was created");
    src.close().await;
    tgt.close().await;
}

/// Validation compares every row: a value changed on the target and a row deleted there are
/// found, named by their keys in tugboat_validation_failures (by their values in a table
/// without a key), and the tables are Mismatched.
#[tokio::test]
async fn validation_finds_changed_and_missing_rows_by_key() {
    let src_url = support::mysql_database("tug_task_vsrc").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(MARIADB_SOURCE).await.unwrap();
    src.execute("CREATE TABLE nokey (a INT, b VARCHAR(10)); INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (2, 'y')")
        .await
        .unwrap();
    let tgt_url = support::pg_database("tug_task_validate").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let t = task("validate");
    let first = run(&t, &src, &tgt, quiet(), Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    assert_eq!(first.failed(), 0, "{first:#?}");
    let states: Vec<(&str, &str)> = first
        .tables
        .iter()
        .map(|x| (x.source.as_str(), x.validation_state()))
        .collect();
    assert_eq!(
        states,
        [
            ("tug_task_vsrc.child", "Validated"),
            ("tug_task_vsrc.nokey", "Validated"),
            ("tug_task_vsrc.vals", "Validated")
        ]
    );
    // Between two servers, key-range checksums inside each database.
    let method = |s: &tugboat::tasks::Summary, t: &str| {
        s.tables
            .iter()
            .find(|x| x.source.ends_with(t))
            .and_then(|x| x.validation_detail.clone())
            .unwrap()
            .method
    };
    // Read back from the target and hashed against the rows as the load wrote them.
    assert_eq!(
        method(&first, ".vals"),
        tugboat::tasks::validate::Method::ReadBack {
            segments: 1,
            differing: 0
        }
    );
    // A text changed (in the checksums), a double changed (not checksummable alike: read from
    // both sides), a row deleted, a row of the keyless table changed.
    tgt.execute("UPDATE tug_task_vsrc.vals SET txt = 'tampered' WHERE id = 1; UPDATE tug_task_vsrc.vals SET f = 0.25 WHERE id = 2; DELETE FROM tug_task_vsrc.child WHERE id = 7; UPDATE tug_task_vsrc.nokey SET b = 'z' WHERE a = 2")
        .await
        .unwrap();
    let second = run(&t, &src, &tgt, quiet(), Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    assert_eq!(second.failed(), 3);
    let vals = second
        .tables
        .iter()
        .find(|x| x.source.ends_with(".vals"))
        .unwrap();
    assert_eq!(vals.validation_state(), "Mismatched records");
    assert_eq!(vals.mismatched(), 2);
    // Tables loaded by the first run: key-range checksums inside each database.
    assert!(
        matches!(
            method(&second, ".vals"),
            tugboat::tasks::validate::Method::Checksums { differing: 1, .. }
        ),
        "{second:#?}"
    );
    let nokey = second
        .tables
        .iter()
        .find(|x| x.source.ends_with(".nokey"))
        .unwrap();
    assert_eq!(nokey.validation_state(), "Mismatched records");
    // Without a key, the changed row is missing as it was and extra as it became.
    let d = nokey.validation_detail.as_ref().unwrap();
    assert_eq!((d.missing, d.extra, d.different), (1, 1, 0), "{d:#?}");
    let rows = rows_of(&tgt, "SELECT table_name, key_value, failure, columns_differing FROM tugboat_validation_failures ORDER BY table_name, key_value").await;
    assert_eq!(
        rows,
        [
            "tug_task_vsrc.child|7|missing on target|",
            "tug_task_vsrc.nokey|('2', 'y')|missing on target|",
            "tug_task_vsrc.nokey|('2', 'z')|extra on target|",
            "tug_task_vsrc.vals|1|different|txt",
            "tug_task_vsrc.vals|2|different|f"
        ]
    );
    src.close().await;
    tgt.close().await;
}

/// What the target kept is validated, not what it was sent: a load into a table that exists on
/// the target with other types (a numeric of a smaller scale that rounds, a CHAR that pads and
/// so loses a value's trailing spaces, even a value of the CHAR's full length, whose bytes are
/// stored as sent) is compared row by row where the rows read back differ from the rows as
/// written, and each such row is named by its key.
#[tokio::test]
async fn a_load_validates_the_rows_the_target_kept_not_the_rows_it_was_sent() {
    let src_url = support::mysql_database("tug_task_kept").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(40), n DECIMAL(12,2), d DATE, f DOUBLE);
         INSERT INTO big SELECT seq, concat('row ', seq), seq DIV 8, '2000-01-01' + INTERVAL seq DAY, seq / 3 FROM seq_1_to_30000;
         UPDATE big SET n = 1.25 WHERE id = 12345;
         UPDATE big SET v = 'ends in spaces   ' WHERE id = 25000;
         UPDATE big SET v = concat('forty', repeat(' ', 35)) WHERE id = 5000;
         ANALYZE TABLE big;",
    )
    .await
    .unwrap();
    let tgt_url = support::pg_database("tug_task_kept").await;
    let tgt = open(&tgt_url, Role::Target).await;
    tgt.execute(
        "CREATE SCHEMA tug_task_kept;
         CREATE TABLE tug_task_kept.big (id int PRIMARY KEY, v char(40), n numeric(12,1), d date, f double precision);",
    )
    .await
    .unwrap();
    let mut t = task("kept");
    t.settings.partition_rows = 10_000;
    t.settings.batch_rows = 1_000;
    let s = run(&t, &src, &tgt, quiet(), Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    let big = s
        .tables
        .iter()
        .find(|x| x.source.ends_with(".big"))
        .unwrap();
    assert_eq!(
        (big.state, big.rows),
        (TableState::Completed, 30_000),
        "{s:#?}"
    );
    assert_eq!(big.validation_state(), "Mismatched records", "{s:#?}");
    let detail = big.validation_detail.as_ref().unwrap();
    assert!(
        matches!(
            detail.method,
            tugboat::tasks::validate::Method::ReadBack {
                differing: 1..=3,
                ..
            }
        ),
        "only the key ranges of the three rows compared again: {detail:#?}"
    );
    assert_eq!((detail.source_rows, detail.target_rows), (30_000, 30_000));
    assert_eq!((detail.missing, detail.extra, detail.different), (0, 0, 3));
    let rows = rows_of(&tgt, "SELECT key_value, failure, columns_differing FROM tugboat_validation_failures WHERE task = 'kept' ORDER BY key_value").await;
    assert_eq!(
        rows,
        ["12345|different|n", "25000|different|v", "5000|different|v"]
    );
    assert!(
        detail
            .differences
            .iter()
            .any(|d| d.contains("n: source '1.25', target '1.3'")),
        "{detail:#?}"
    );
    src.close().await;
    tgt.close().await;
}

/// Rows the target refuses (a value too long for its column, here a 6-character code into a
/// column narrowed to 4 on the target): under the log policy they are kept with the error in
/// tugboat_apply_exceptions and every other row loads; under the default policy the table stops
/// in the error state and the others still load.
#[tokio::test]
async fn refused_rows_follow_the_error_policy() {
    let src_url = support::mysql_database("tug_task_esrc").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE codes (id INT PRIMARY KEY, code VARCHAR(10));
         INSERT INTO codes VALUES (1, 'ab'), (2, 'abcdef'), (3, 'cd'), (4, 'toolong'), (5, 'ef');
         CREATE TABLE other (id INT PRIMARY KEY);
         INSERT INTO other VALUES (1), (2);",
    )
    .await
    .unwrap();
    for (policy, db) in [
        (tugboat::tasks::ErrorPolicy::LogAndContinue, "tug_task_elog"),
        (tugboat::tasks::ErrorPolicy::SuspendTable, "tug_task_esus"),
    ] {
        let tgt = open(&support::pg_database(db).await, Role::Target).await;
        tgt.execute("CREATE SCHEMA tug_task_esrc; CREATE TABLE tug_task_esrc.codes (id integer PRIMARY KEY, code varchar(4))")
            .await
            .unwrap();
        let mut t = task("errors");
        t.settings.error_policy = policy;
        let s = run(&t, &src, &tgt, quiet(), Arc::new(AtomicBool::new(false)))
            .await
            .unwrap();
        let codes = s
            .tables
            .iter()
            .find(|x| x.source.ends_with(".codes"))
            .unwrap();
        let other = s
            .tables
            .iter()
            .find(|x| x.source.ends_with(".other"))
            .unwrap();
        assert_eq!(other.state, TableState::Completed, "{policy:?}");
        if policy == tugboat::tasks::ErrorPolicy::LogAndContinue {
            assert_eq!(codes.state, TableState::Completed);
            assert_eq!((codes.rows, codes.exceptions), (3, 2));
            assert_eq!(codes.validation_state(), "Mismatched records");
            let kept = one(&tgt, "SELECT string_agg(row_values, ' ' ORDER BY row_values) FROM tugboat_apply_exceptions WHERE error LIKE '%too long%'").await;
            assert_eq!(kept.as_deref(), Some(r#"["2","abcdef"] ["4","toolong"]"#));
            assert_eq!(
                one(&tgt, "SELECT count(*) FROM tug_task_esrc.codes")
                    .await
                    .as_deref(),
                Some("3")
            );
        } else {
            assert_eq!(codes.state, TableState::Error);
            assert!(
                codes.error.as_deref().unwrap_or("").contains("too long"),
                "{codes:?}"
            );
        }
        tgt.close().await;
    }
    src.close().await;
}

/// A full load creates the views and routines the conversion rates Automatic with its
/// post-data; a view over a table the task leaves out, and a routine that needs work, are not
/// created, and the summary says which and why.
#[tokio::test]
async fn a_full_load_creates_automatic_views_and_names_what_it_leaves_out() {
    let src_url = support::mysql_database("tug_task_code").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE harbor (id INT PRIMARY KEY, name VARCHAR(40));
         CREATE TABLE secret (id INT PRIMARY KEY, note VARCHAR(40));
         INSERT INTO harbor VALUES (1, 'Oslo'), (2, 'Bergen');
         INSERT INTO secret VALUES (1, 'x');
         CREATE VIEW harbor_names AS SELECT name FROM harbor;
         CREATE VIEW secret_notes AS SELECT note FROM secret;",
    )
    .await
    .unwrap();
    src.execute(
        "CREATE PROCEDURE bump() BEGIN DECLARE n INT DEFAULT 0; WHILE n < 3 DO SET n = n + 1; END WHILE; UPDATE harbor SET name = CONCAT(name, '!') LIMIT 1; END",
    )
    .await
    .unwrap();
    let tgt_url = support::pg_database("tug_task_code_t").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let mut t = task("code objects");
    t.mappings
        .selection
        .push(tugboat::tasks::mappings::Selection {
            action: tugboat::tasks::mappings::SelectionAction::Exclude,
            schema: "%".into(),
            table: "secret".into(),
            filters: vec![],
        });
    let s = run(&t, &src, &tgt, quiet(), Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    assert_eq!(s.failed(), 0, "{s:#?}");
    assert!(s.schema_failures.is_empty(), "{:#?}", s.schema_failures);
    assert_eq!(
        one(&tgt, "SELECT count(*) FROM tug_task_code.harbor_names")
            .await
            .as_deref(),
        Some("2"),
        "the Automatic view is created"
    );
    let left: Vec<(&str, &str)> = s
        .left_out
        .iter()
        .map(|l| (l.object.as_str(), l.reason.as_str()))
        .collect();
    assert!(
        left.iter()
            .any(|(o, r)| o.ends_with("secret_notes") && r.contains("does not load")),
        "{left:?}"
    );
    assert!(
        one(
            &tgt,
            "SELECT count(*) FROM pg_views WHERE viewname = 'secret_notes'"
        )
        .await
        .as_deref()
            == Some("0")
    );
    // The procedure: created if the conversion rated it Automatic, else named with why.
    let created = one(&tgt, "SELECT count(*) FROM pg_proc WHERE proname = 'bump'").await;
    let named = left.iter().any(|(o, _)| o.ends_with("bump"));
    assert!(
        (created.as_deref() == Some("1")) != named,
        "either created or left out with a reason: created {created:?}, {left:?}"
    );
    src.close().await;
    tgt.close().await;
}
