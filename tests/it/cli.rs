//! The `tugboat` binary as a user runs it: output, exit codes, and error messages.

use std::process::{Command, Output};

use crate::support;

fn tugboat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(args)
        .env_remove("TUGBOAT_LOG")
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

async fn demo_url(dir: &std::path::Path) -> String {
    let p = crate::discovery_sqlite::demo_db(dir).await;
    format!("sqlite://{}", p.display())
}

#[tokio::test]
async fn test_connection_prints_product_version_latency() {
    let dir = tempfile::tempdir().unwrap();
    let o = tugboat(&["test-connection", &demo_url(dir.path()).await]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("product:   SQLite 3."), "{out}");
    assert!(out.contains("latency:"), "{out}");

    let o = tugboat(&[
        "test-connection",
        &support::pg().url_for("postgres"),
        "--json",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["product"], "PostgreSQL");
    assert!(v["latency_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn connection_failures_exit_non_zero_with_a_clear_message_and_no_password() {
    let port = support::free_port();
    for (args, expect) in [
        (
            vec![
                "test-connection".to_string(),
                format!("postgres://u:hunter2@127.0.0.1:{port}/db"),
            ],
            "connection refused",
        ),
        (
            vec![
                "test-connection".into(),
                "oracle://scott:hunter2@h/db".into(),
            ],
            "unknown engine 'oracle'",
        ),
        (
            vec!["test-connection".into(), "postgres://u:hunter2@/db".into()],
            "malformed endpoint URL",
        ),
        (
            vec!["inspect".into(), "sqlite:///no/such/dir/file.db".into()],
            "does not exist",
        ),
        (
            vec![
                "test-connection".into(),
                format!(
                    "{}",
                    support::mysql()
                        .url_for("x")
                        .replace(support::PASSWORD, "hunter2")
                ),
            ],
            "authentication failed",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = tugboat(&args);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {out}{err}");
        assert!(
            err.contains(expect),
            "{args:?}: expected '{expect}' in: {err}"
        );
        assert!(
            !err.contains("hunter2") && !out.contains("hunter2"),
            "password leaked: {err}"
        );
    }
}

#[tokio::test]
async fn inspect_prints_a_summary_and_the_whole_model_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let url = demo_url(dir.path()).await;
    let o = tugboat(&["inspect", &url]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("Objects: 1 schema, 7 tables"), "{out}");
    assert!(out.contains("TABLE tug_jobs  (~4000 rows"), "{out}");
    assert!(
        out.contains("FOREIGN KEY (vessel_id) REFERENCES vessels (vessel_id)"),
        "{out}"
    );
    assert!(
        out.contains("TRIGGER trg_tug_jobs_status_audit AFTER UPDATE ON tug_jobs"),
        "{out}"
    );

    let o = tugboat(&["inspect", &url, "--json", "--exact-counts"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let c: tugboat::model::Catalog =
        serde_json::from_str(&out).expect("the JSON is the neutral model");
    assert_eq!(c.table("invoices").unwrap().stats.exact_rows, Some(2800));
}

#[tokio::test]
async fn projects_are_created_edited_and_used_without_storing_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("move.ron");
    let f = file.to_str().unwrap();
    assert!(
        tugboat(&["project", "new", f, "--name", "Move to PG"])
            .status
            .success()
    );
    assert_eq!(
        tugboat(&["project", "new", f]).status.code(),
        Some(1),
        "never overwrites"
    );
    let url = support::pg().url_for("postgres");
    let o = tugboat(&[
        "project",
        "add-endpoint",
        f,
        "--name",
        "pg",
        &url,
        "--target",
        "--password-env",
        "TUG_IT_PW",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        !saved.contains(support::PASSWORD),
        "password written to the project: {saved}"
    );
    assert!(saved.contains("TUG_IT_PW"));
    let o = tugboat(&["project", "show", f]);
    let (out, _) = text(&o);
    assert!(
        out.contains("pg") && out.contains("Target") && out.contains("password from $TUG_IT_PW"),
        "{out}"
    );

    let o = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(["test-connection", "pg", "--project", f])
        .env("TUG_IT_PW", support::PASSWORD)
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    let o = tugboat(&["test-connection", "nope", "--project", f]);
    assert!(
        text(&o)
            .1
            .contains("no endpoint named 'nope' (the project has: pg)"),
        "{:?}",
        text(&o)
    );

    std::fs::write(&file, "Project(\n  format_version: 1,\n  endpoints: [ Endpoint(name: \"x\", engine: Postgress) ],\n)").unwrap();
    let before = std::fs::read(&file).unwrap();
    let o = tugboat(&["project", "add-endpoint", f, "--name", "y", "sqlite:x.db"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains(&format!("{f}:3:")),
        "line and column named: {err}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "a failed load writes nothing"
    );
}

#[test]
fn assess_convert_and_apply_schema_from_the_command_line() {
    let fixture = support::fixture("mysql_catalog.sql");
    let f = fixture.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let md = dir.path().join("report.md");
    let o = tugboat(&[
        "assess",
        f,
        "--target",
        "postgres",
        "--report",
        json.to_str().unwrap(),
        "--report",
        md.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("Assessment of") && out.contains("Statements: 13 read"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("table ")), "{out}");
    let r: tugboat::assessment::Report =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r.report_version, 1);
    assert!(std::fs::read_to_string(&md).unwrap().contains("| TB1101 |"));

    let html = dir.path().join("report.html");
    let o = tugboat(&["assess", f, "--report", html.to_str().unwrap()]);
    assert!(o.status.success(), "{:?}", text(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>")
            && page.contains("TB1101")
            && page.contains("CREATE TABLE IF NOT EXISTS public.boats"),
        "self-contained report"
    );
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "opens offline"
    );

    let o = tugboat(&[
        "assess",
        f,
        "--report",
        dir.path().join("sct.csv").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let detail = std::fs::read_to_string(dir.path().join("sct-action-items.csv")).unwrap();
    assert!(
        detail.starts_with("code,category,object kind,schema,object,table,line,message"),
        "{detail}"
    );
    assert!(
        detail
            .lines()
            .any(|l| l.starts_with("TB1101,simple action,table,")),
        "{detail}"
    );
    let summary = std::fs::read_to_string(dir.path().join("sct-summary.csv")).unwrap();
    assert!(
        summary.lines().any(|l| l.starts_with("table,false,3,")),
        "{summary}"
    );
    assert!(dir.path().join("sct-action-items-summary.csv").exists());

    let o = tugboat(&[
        "assess",
        f,
        "--report",
        dir.path().join("r.xlsx").to_str().unwrap(),
    ]);
    assert!(
        text(&o).1.contains("unknown report format '.xlsx'"),
        "{:?}",
        text(&o)
    );
    let o = tugboat(&["assess", f, "--source-dialect", "db2"]);
    assert!(
        text(&o).1.contains("unknown dialect 'db2'"),
        "{:?}",
        text(&o)
    );
    let o = tugboat(&["assess", "/no/such/file.sql"]);
    assert_eq!(o.status.code(), Some(1));

    let sql = dir.path().join("pre.sql");
    let o = tugboat(&[
        "convert",
        f,
        "--phase",
        "pre-data",
        "--out",
        sql.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let pre = std::fs::read_to_string(&sql).unwrap();
    assert!(
        pre.contains("CREATE TABLE IF NOT EXISTS public.boats") && !pre.contains("FOREIGN KEY"),
        "{pre}"
    );

    let o = tugboat(&[
        "apply-schema",
        f,
        &support::pg().url_for("postgres"),
        "--dry-run",
    ]);
    assert!(
        text(&o)
            .0
            .contains("ALTER TABLE public.boats ADD CONSTRAINT fk_boats_owner FOREIGN KEY"),
        "{:?}",
        text(&o)
    );
}

#[tokio::test]
async fn apply_schema_reports_each_failure_and_exits_non_zero() {
    let url = support::pg_database("tug_cli_apply").await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.sql");
    std::fs::write(&script, "CREATE TABLE a (id int PRIMARY KEY, b_id int);\nCREATE TABLE b (id int PRIMARY KEY, x geometry_of_mars);\nALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES b (id);\n").unwrap();
    let o = tugboat(&[
        "apply-schema",
        script.to_str().unwrap(),
        &url,
        "--source-dialect",
        "postgres",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        out.contains("FAILED table public.b") && out.contains("geometry_of_mars"),
        "{out}"
    );
    assert!(out.contains("FAILED constraint public.a_b"), "{out}");
    assert!(
        out.contains("3 statements: 1 applied, 0 already there, 2 failed"),
        "{out}"
    );
    assert!(err.contains("2 statements failed"), "{err}");
}

/// A table the converter could not read is not on the target: apply-schema says so and exits
/// non-zero, unless the user accepts a partial schema.
#[tokio::test]
async fn apply_schema_names_objects_not_converted_unless_partial_is_allowed() {
    let url = support::pg_database("tug_cli_partial").await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.sql");
    std::fs::write(
        &script,
        "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE broken (id int PRIMARY KEY, x int NOT NULL DEFAULT (1 +));\nCREATE AGGREGATE my_sum (int) (SFUNC = int4pl, STYPE = int);\n",
    )
    .unwrap();
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "apply-schema",
            script.to_str().unwrap(),
            url.as_str(),
            "--source-dialect",
            "postgres",
        ];
        v.extend_from_slice(extra);
        v.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        tugboat(&refs)
    };
    let o = run(args(&[]));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("NOT CREATED table broken"), "{out}");
    assert!(out.contains("NOT CREATED other statement"), "{out}");
    assert!(
        out.contains("Ledger: 3 statements = 1 converted + 2 with action items"),
        "{out}"
    );
    assert!(err.contains("2 source objects not converted"), "{err}");
    let o = run(args(&["--allow-partial"]));
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("NOT CREATED table broken"), "{out}");
}

/// `tugboat migrate` on the demo database into a private MariaDB: a table per line with its
/// state, rows and validation; run again, every table is skipped as already complete; a bad
/// --prepare value is a usage error that names the flag.
#[tokio::test]
async fn migrate_loads_validates_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_url(dir.path()).await;
    let dst = support::mysql_database("tug_cli_migrate").await;
    let o = tugboat(&["migrate", "--source", &src, "--target", &dst, "--json"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tables = v["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 7, "{out}");
    let rows: u64 = tables.iter().map(|t| t["rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, 7_748, "every demo row");
    assert!(
        tables
            .iter()
            .all(|t| t["validation"][0] == t["validation"][1] && t["state"] == "Completed"),
        "{out}"
    );
    let o = tugboat(&["migrate", "--source", &src, "--target", &dst]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert_eq!(out.matches("Validated").count(), 7, "{out}");
    // Not a terminal: plain progress lines on stderr.
    assert!(
        err.contains("main.customers: completed earlier (300 rows), skipped")
            && err.contains("main.customers: Validated"),
        "{err}"
    );
    assert!(out.contains("7 tables, 7748 rows"), "{out}");
    let o = tugboat(&[
        "migrate",
        "--source",
        &src,
        "--target",
        &dst,
        "--prepare",
        "sometimes",
    ]);
    let (out, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("--prepare") && err.contains("drop-and-create"),
        "{out}{err}"
    );
}

/// `tugboat migrate` killed with SIGKILL in the middle of a table, then run again: the
/// unfinished table is emptied and reloaded, the result has every row once.
#[tokio::test]
async fn migrate_killed_mid_table_resumes_exactly() {
    let src = support::mysql_database("tug_kill_src").await;
    let dst = support::mysql_database("tug_kill_dst").await;
    killed_and_resumed(&src, &dst, "big", &[]).await;
}

/// The same with the table loaded in four key ranges, two at a time, into PostgreSQL: the ranges
/// that finished before the kill are kept, the others reloaded, and the result is exact.
#[tokio::test]
async fn migrate_killed_mid_ranges_resumes_exactly() {
    let src = support::mysql_database("tug_kill_rsrc").await;
    let dst = support::pg_database("tug_kill_rdst").await;
    killed_and_resumed(
        &src,
        &dst,
        "tug_kill_rsrc.big",
        // Two ranges at a time: a kill after the first ones committed finds the others not
        // done (four at once may all commit within the moment before the kill lands).
        &["--partition-rows", "50000", "--parallel", "2"],
    )
    .await;
    let q = tugboat::endpoints::Endpoint::parse_url(&dst).unwrap();
    let target = tugboat::endpoints::Connection::open(&q.endpoint, q.password)
        .await
        .unwrap();
    let ranges = target
        .query_scalar(
            "ranges",
            "SELECT count(*) FROM tugboat_range_state WHERE table_name = 'tug_kill_rsrc.big' AND state = 'completed'",
        )
        .await
        .unwrap();
    assert_eq!(ranges.as_deref(), Some("4"));
    target.close().await;
}

async fn killed_and_resumed(src: &str, dst: &str, big: &str, extra: &[&str]) {
    let p = tugboat::endpoints::Endpoint::parse_url(src).unwrap();
    let conn = tugboat::endpoints::Connection::open(&p.endpoint, p.password)
        .await
        .unwrap();
    conn.execute(
        "CREATE TABLE big (id INT PRIMARY KEY, note VARCHAR(60));
         INSERT INTO big SELECT seq, CONCAT('row ', seq, REPEAT('x', 40)) FROM seq_1_to_200000;
         ANALYZE TABLE big;",
    )
    .await
    .unwrap();
    let q = tugboat::endpoints::Endpoint::parse_url(dst).unwrap();
    let target = tugboat::endpoints::Connection::open(&q.endpoint, q.password)
        .await
        .unwrap();
    let count = format!("SELECT count(*) FROM {big}");
    let mut args = vec![
        "migrate",
        "--source",
        src,
        "--target",
        dst,
        "--batch-rows",
        "500",
        "--json",
    ];
    args.extend_from_slice(extra);
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let said = || std::fs::read_to_string(log.path()).unwrap_or_default();
    // Wait until some rows are in, then kill it without warning.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let n = target
            .query_scalar("count", &count)
            .await
            .ok()
            .flatten()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if n > 0 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the load ended ({status}) before any row arrived:\n{}",
                said()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no rows arrived:\n{}",
            said()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial: i64 = target
        .query_scalar("count", &count)
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        partial < 200_000,
        "killed before the end ({partial} rows):\n{}",
        said()
    );
    let state = target
        .query_scalar(
            "state",
            "SELECT state FROM tugboat_table_state WHERE table_name LIKE '%.big'",
        )
        .await
        .unwrap();
    assert_eq!(state.as_deref(), Some("loading"), "{}", said());
    let mut again = vec!["migrate", "--source", src, "--target", dst];
    again.extend_from_slice(extra);
    let o = tugboat(&again);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("Validated"), "{out}");
    let (n, distinct) = (
        target.query_scalar("n", &count).await.unwrap(),
        target
            .query_scalar("d", &format!("SELECT count(DISTINCT id) FROM {big}"))
            .await
            .unwrap(),
    );
    assert_eq!(
        (n.as_deref(), distinct.as_deref()),
        (Some("200000"), Some("200000"))
    );
    // Validation on its own, after a row changed on the target: found, exit non-zero.
    target
        .execute(&format!(
            "UPDATE {big} SET note = 'changed' WHERE id = 123456"
        ))
        .await
        .unwrap();
    let o = tugboat(&[
        "validate", "--source", src, "--target", dst, "--tables", "%.big",
    ]);
    let (out, err) = text(&o);
    assert!(!o.status.success(), "{out}{err}");
    assert!(
        out.contains("Mismatched records") && out.contains("1 row differs"),
        "{out}{err}"
    );
    conn.close().await;
    target.close().await;
}

/// `tugboat run PROJECT --task NAME`: the task kept in a project (here the demo's, written to
/// a file) runs from the command line; an unknown task name lists the project's tasks.
#[tokio::test]
async fn run_executes_a_task_kept_in_a_project() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _) = tugboat::demo::demo_paths(dir.path());
    std::fs::create_dir_all(source.parent().unwrap()).unwrap();
    tugboat::demo::ensure_demo_database(&source).await.unwrap();
    let project = tugboat::demo::demo_project(dir.path());
    let file = dir.path().join("demo.ron");
    project.save(&file).unwrap();
    let f = file.to_str().unwrap();
    let o = tugboat(&["run", f, "--task", "nope"]);
    let (out, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("no task named 'nope'") && err.contains("Harbor full load"),
        "{out}{err}"
    );
    let o = tugboat(&["run", f, "--task", "Harbor full load", "--json"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows: u64 = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(rows, 7_748);
}

/// A trigger on a PostgreSQL target table that fires ALWAYS (as one stamping arrivals does, so
/// that it fires for replicated rows too) is set aside for the load and comes back ALWAYS: a
/// plain ENABLE would silently stop it firing for replication's changes.
#[tokio::test]
async fn a_target_trigger_set_aside_for_the_load_comes_back_as_it_was() {
    let src = support::mysql_database("tug_trg_src").await;
    let p = tugboat::endpoints::Endpoint::parse_url(&src).unwrap();
    let source = tugboat::endpoints::Connection::open(&p.endpoint, p.password)
        .await
        .unwrap();
    source
        .execute(
            "CREATE TABLE events (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL);
             INSERT INTO events SELECT seq, CONCAT('v', seq) FROM seq_1_to_30;",
        )
        .await
        .unwrap();
    let dst = support::pg_database("tug_trg_dst").await;
    let q = tugboat::endpoints::Endpoint::parse_url(&dst).unwrap();
    let target = tugboat::endpoints::Connection::open(&q.endpoint, q.password)
        .await
        .unwrap();
    target
        .execute(
            "CREATE SCHEMA tug_trg_src;
             CREATE TABLE tug_trg_src.events (id int PRIMARY KEY, v varchar(20) NOT NULL, arrived timestamptz);
             CREATE FUNCTION tug_trg_src.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.arrived := clock_timestamp(); RETURN NEW; END $$;
             CREATE TRIGGER stamp_always BEFORE INSERT ON tug_trg_src.events FOR EACH ROW EXECUTE FUNCTION tug_trg_src.stamp();
             ALTER TABLE tug_trg_src.events ENABLE ALWAYS TRIGGER stamp_always;
             CREATE TRIGGER stamp_replica BEFORE UPDATE ON tug_trg_src.events FOR EACH ROW EXECUTE FUNCTION tug_trg_src.stamp();
             ALTER TABLE tug_trg_src.events ENABLE REPLICA TRIGGER stamp_replica;
             CREATE TRIGGER stamp_origin BEFORE DELETE ON tug_trg_src.events FOR EACH ROW EXECUTE FUNCTION tug_trg_src.stamp();",
        )
        .await
        .unwrap();
    let o = tugboat(&["migrate", "--source", &src, "--target", &dst]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let states = target
        .query(
            "triggers",
            "SELECT tgname || '=' || tgenabled::text AS s FROM pg_trigger WHERE tgname LIKE 'stamp_%' ORDER BY 1",
        )
        .await
        .unwrap();
    let states: Vec<String> = states.iter().map(|r| r.s("s")).collect();
    assert_eq!(
        states,
        ["stamp_always=A", "stamp_origin=O", "stamp_replica=R"],
        "{out}{err}"
    );
    // The loaded rows did not fire it (the source's rows are loaded as they are).
    let stamped = target
        .query_scalar(
            "stamped",
            "SELECT count(*) FROM tug_trg_src.events WHERE arrived IS NOT NULL",
        )
        .await
        .unwrap();
    assert_eq!(stamped.as_deref(), Some("0"));
}

/// A table other tables reference, reloaded after a full load (`--reload`): it works on every
/// target engine, the referencing keys hold again afterwards, and the reloaded rows are the
/// source's current ones.
#[tokio::test]
async fn reload_of_a_referenced_table_works_on_every_target() {
    let src = support::mysql_database("tug_rl_src").await;
    let p = tugboat::endpoints::Endpoint::parse_url(&src).unwrap();
    let source = tugboat::endpoints::Connection::open(&p.endpoint, p.password)
        .await
        .unwrap();
    source
        .execute(
            "CREATE TABLE actor (actor_id INT PRIMARY KEY, name VARCHAR(40) NOT NULL);
             CREATE TABLE actor_log (actor_id INT PRIMARY KEY);
             CREATE TRIGGER actor_logged AFTER INSERT ON actor FOR EACH ROW INSERT INTO actor_log VALUES (NEW.actor_id);
             CREATE TABLE film (film_id INT PRIMARY KEY, title VARCHAR(40));
             CREATE TABLE film_actor (actor_id INT NOT NULL, film_id INT NOT NULL,
               PRIMARY KEY (actor_id, film_id),
               CONSTRAINT fk_fa_actor FOREIGN KEY (actor_id) REFERENCES actor (actor_id),
               CONSTRAINT fk_fa_film FOREIGN KEY (film_id) REFERENCES film (film_id));
             INSERT INTO actor SELECT seq, CONCAT('actor ', seq) FROM seq_1_to_50;
             INSERT INTO film SELECT seq, CONCAT('film ', seq) FROM seq_1_to_20;
             INSERT INTO film_actor SELECT a.seq, f.seq FROM seq_1_to_50 a, seq_1_to_20 f WHERE (a.seq + f.seq) % 3 = 0;",
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let targets = [
        support::pg_database("tug_rl_pg").await,
        support::mysql_database("tug_rl_my").await,
        format!("sqlite://{}", dir.path().join("rl.db").display()),
    ];
    let trigger_sql = |engine| match engine {
        tugboat::endpoints::Engine::Postgres => {
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'actor_logged' AND tgenabled = 'O'"
        }
        tugboat::endpoints::Engine::Sqlite => {
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'actor_logged'"
        }
        _ => {
            "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_NAME = 'actor_logged' AND TRIGGER_SCHEMA = DATABASE()"
        }
    };
    // Whether each target got the trigger (the converter may leave a trigger out, and says so).
    let mut had_trigger = vec![];
    for dst in &targets {
        let o = tugboat(&["migrate", "--source", &src, "--target", dst]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{dst}: {out}{err}");
        let q = tugboat::endpoints::Endpoint::parse_url(dst).unwrap();
        let t = tugboat::endpoints::Connection::open(&q.endpoint, q.password)
            .await
            .unwrap();
        let n = t
            .query_scalar("trigger", trigger_sql(t.endpoint.engine))
            .await
            .unwrap();
        if n.as_deref() != Some("1") {
            assert!(
                out.contains("LEFT OUT trigger"),
                "{dst}: no trigger, and not said: {out}"
            );
        }
        had_trigger.push(n);
        t.close().await;
    }
    assert_eq!(
        had_trigger[0].as_deref(),
        Some("1"),
        "PostgreSQL gets the trigger"
    );
    // The source changes; the referenced table is reloaded.
    source
        .execute("UPDATE actor SET name = CONCAT(name, ' (renamed)') WHERE actor_id <= 10")
        .await
        .unwrap();
    for dst in &targets {
        let o = tugboat(&[
            "migrate",
            "--source",
            &src,
            "--target",
            dst,
            "--reload",
            "tug_rl_src.actor",
        ]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{dst}: {out}{err}");
        assert!(!err.contains(" at line "), "{dst}: {err}");
        let q = tugboat::endpoints::Endpoint::parse_url(dst).unwrap();
        let t = tugboat::endpoints::Connection::open(&q.endpoint, q.password)
            .await
            .unwrap();
        let engine = t.endpoint.engine;
        let table = |name: &str| match engine {
            tugboat::endpoints::Engine::Postgres => format!("tug_rl_src.{name}"),
            _ => name.to_string(),
        };
        let renamed = t
            .query_scalar(
                "renamed",
                &format!(
                    "SELECT count(*) FROM {} WHERE name LIKE '%(renamed)'",
                    table("actor")
                ),
            )
            .await
            .unwrap();
        assert_eq!(renamed.as_deref(), Some("10"), "{dst}");
        let pairs = t
            .query_scalar(
                "pairs",
                &format!("SELECT count(*) FROM {}", table("film_actor")),
            )
            .await
            .unwrap();
        assert_eq!(pairs.as_deref(), Some("334"), "{dst}");
        // The table's trigger did not fire on the reloaded rows (its effects are loaded
        // already: actor_log would hold duplicates), and it is back afterwards.
        let logged = t
            .query_scalar(
                "log",
                &format!("SELECT count(*) FROM {}", table("actor_log")),
            )
            .await
            .unwrap();
        assert_eq!(logged.as_deref(), Some("50"), "{dst}");
        let back = t
            .query_scalar("trigger", trigger_sql(engine))
            .await
            .unwrap();
        let i = targets.iter().position(|x| x == dst).unwrap();
        assert_eq!(back, had_trigger[i], "{dst}: the trigger is back as it was");
        // The referencing keys are there and hold: a row pointing nowhere is refused.
        let orphan = t
            .execute(&format!(
                "INSERT INTO {} (actor_id, film_id) VALUES (999, 1)",
                table("film_actor")
            ))
            .await;
        if engine == tugboat::endpoints::Engine::Sqlite {
            // SQLite checks keys per connection when asked: the schema must still hold them.
            let fks = t
                .query_scalar(
                    "keys",
                    "SELECT count(*) FROM pragma_foreign_key_list('film_actor')",
                )
                .await
                .unwrap();
            assert_eq!(fks.as_deref(), Some("2"), "{dst}");
        } else {
            assert!(
                orphan.is_err(),
                "{dst}: a row pointing nowhere was accepted"
            );
        }
        t.close().await;
    }
    // An actor gone from the source while film_actor on the targets still points at it: the
    // reload says which key no longer holds, and exits non-zero.
    source
        .execute(
            "DELETE FROM film_actor WHERE actor_id = 50; DELETE FROM actor WHERE actor_id = 50",
        )
        .await
        .unwrap();
    for dst in &targets {
        let o = tugboat(&[
            "migrate",
            "--source",
            &src,
            "--target",
            dst,
            "--reload",
            "tug_rl_src.actor",
        ]);
        let (out, err) = text(&o);
        assert!(!o.status.success(), "{dst}: {out}{err}");
        assert!(
            err.contains("film_actor") && err.contains("no longer"),
            "{dst}: {out}{err}"
        );
    }
    source.close().await;
}

/// `tugboat check`: a project's task's premigration checks, the same the app's overview runs.
/// A SQLite source cannot replicate: a task asking for it fails its checks (exit 1, named); as
/// a full load it passes.
#[tokio::test]
async fn check_runs_a_tasks_premigration_checks() {
    let dir = tempfile::tempdir().unwrap();
    let src = crate::discovery_sqlite::demo_db(dir.path()).await;
    let mut s = tugboat::endpoints::Endpoint::new(tugboat::endpoints::Engine::Sqlite);
    s.name = "src".into();
    s.database = src.display().to_string();
    let mut t = s.clone();
    t.name = "dst".into();
    t.role = tugboat::endpoints::Role::Target;
    t.database = dir.path().join("copy.db").display().to_string();
    let task = |name: &str, kind| tugboat::tasks::Task {
        id: String::new(),
        name: name.into(),
        source: "src".into(),
        target: "dst".into(),
        mappings: tugboat::tasks::mappings::TableMappings::all(),
        settings: Default::default(),
        task_type: kind,
        stop_at: None,
    };
    let mut p = tugboat::project::Project {
        name: "checks".into(),
        endpoints: vec![s, t],
        tasks: vec![
            task("load", tugboat::cdc::TaskType::FullLoad),
            task("replicate", tugboat::cdc::TaskType::FullLoadAndCdc),
        ],
        ..Default::default()
    };
    p.settle_ids();
    let file = dir.path().join("p.ron");
    p.save(&file).unwrap();
    let f = file.display().to_string();
    let o = tugboat(&["check", &f, "--task", "load"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("passed  tables selected: 7 tables"), "{out}");
    let o = tugboat(&["check", &f, "--task", "replicate"]);
    let (out, err) = text(&o);
    assert!(!o.status.success(), "{out}{err}");
    assert!(out.contains("FAILED  change log"), "{out}");
    assert!(
        err.contains("premigration checks failed: change log"),
        "{err}"
    );
}
