//! Consolidation through the CLI, on private servers: two MariaDB servers (shards of one
//! application: the same schema, the same keys and unique values) loaded and replicated at once
//! into one PostgreSQL schema, a task per source, each adding a source column. Each task owns
//! its rows: keys, unique keys and foreign keys go through the source column, a reload empties
//! only the task's rows, validation compares each source with its own rows, and two tasks
//! writing the same source value are refused.

use std::time::{Duration, Instant};

use tugboat::endpoints::{Connection, Endpoint, Role};
use tugboat::tasks::mappings::{TableMappings, Target, TransformAction, Transformation};

use crate::cdc::{log_file, open, scalar};
use crate::cutover::{interrupt, replicating_task, spawn, wait_end, wait_log};
use crate::support;

/// The shard's schema and rows: customers with unique e-mails and orders referencing them,
/// the same keys and e-mails on every shard; `amount_base` makes the shards' amounts differ.
async fn shard(c: &Connection, amount_base: u32) {
    for sql in [
        "CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(80) NOT NULL UNIQUE, name VARCHAR(40))".to_string(),
        "CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2), FOREIGN KEY (customer_id) REFERENCES customers (id))".to_string(),
        "INSERT INTO customers (email, name) SELECT concat('c', seq, '@example.org'), concat('name ', seq) FROM seq_1_to_300".to_string(),
        format!("INSERT INTO orders (customer_id, amount) SELECT seq % 300 + 1, {amount_base} + seq / 8 FROM seq_1_to_1500"),
    ] {
        c.execute(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Changes on a shard while both tasks replicate: new customers (their keys the same on both
/// shards), updates, deletes, and a key moved.
async fn change(c: &Connection, tag: &str) {
    for round in 0..5 {
        for sql in [
            format!(
                "INSERT INTO customers (id, email, name) VALUES ({}, 'new{round}@example.org', '{tag} {round}')",
                1000 + round
            ),
            format!("UPDATE orders SET amount = amount + 1 WHERE id % 7 = {round}"),
            format!("DELETE FROM orders WHERE id % 11 = {round} AND id < 300"),
            format!(
                "UPDATE customers SET name = concat(name, ' {tag}') WHERE id <= {}",
                10 + round
            ),
            format!(
                "INSERT INTO orders (customer_id, amount) VALUES ({}, 9.99)",
                1000 + round
            ),
        ] {
            c.execute(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    c.execute("UPDATE orders SET id = id + 100000 WHERE id = 1400")
        .await
        .expect("key moved");
}

/// The rows of `table` as text, in key order: on a shard all of them, on the hub those of
/// `shard` only.
async fn rows(c: &Connection, table: &str, cols: &str, shard: Option<&str>) -> Vec<String> {
    let filter = shard
        .map(|s| format!(" WHERE shard = '{s}'"))
        .unwrap_or_default();
    let sql = format!("SELECT concat_ws(':', {cols}) AS r FROM {table}{filter} ORDER BY id");
    c.query("test", &sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.s("r"))
        .collect()
}

/// Waits (60 s at most) until the hub holds exactly each shard's rows under its value.
async fn converge(hub: &Connection, stem: &str, shards: &[(&Connection, &str)]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut differ = vec![];
        for (c, value) in shards {
            for (table, cols) in [
                ("customers", "id, email, name"),
                ("orders", "id, customer_id, amount"),
            ] {
                let a = rows(c, table, cols, None).await;
                let b = rows(hub, &format!("{stem}.{table}"), cols, Some(value)).await;
                if a != b {
                    differ.push(format!("{value} {table}: {} vs {} rows", a.len(), b.len()));
                }
            }
        }
        if differ.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the hub never held each shard's rows: {differ:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A task of the project: every table of source `source` into `hub`, with source column
/// `shard` holding `value`, full load then replication.
fn task(name: &str, source: &str, value: &str) -> tugboat::tasks::Task {
    let mut mappings = TableMappings::all();
    mappings.transformations.push(Transformation {
        target: Target::Column,
        schema: "%".into(),
        table: "%".into(),
        column: "shard".into(),
        action: TransformAction::SourceColumn {
            value: value.into(),
        },
    });
    tugboat::tasks::Task {
        id: String::new(),
        name: name.into(),
        source: source.into(),
        target: "hub".into(),
        mappings,
        settings: Default::default(),
        task_type: tugboat::cdc::TaskType::FullLoadAndCdc,
        stop_at: None,
    }
}

fn project(dir: &std::path::Path, eu: &str, us: &str, hub: &str) -> String {
    let endpoint = |url: &str, name: &str, role| {
        let mut e = Endpoint::parse_url(url).expect("url").endpoint;
        e.name = name.into();
        e.role = role;
        e.password_env = Some("TUG_IT_PW".into());
        e
    };
    let mut us_task = task("us", "us", "us");
    us_task.settings.max_parallel_tables = 1;
    let mut again = task("eu-again", "eu", "eu");
    again.task_type = tugboat::cdc::TaskType::FullLoad;
    let mut p = tugboat::project::Project {
        name: "consolidation".into(),
        endpoints: vec![
            endpoint(eu, "eu", Role::Source),
            endpoint(us, "us", Role::Source),
            endpoint(hub, "hub", Role::Target),
        ],
        tasks: vec![task("eu", "eu", "eu"), us_task, again],
        ..Default::default()
    };
    p.settle_ids();
    let file = dir.join("p.ron");
    p.save(&file).expect("save");
    file.display().to_string()
}

/// The columns of `table`'s primary key on PostgreSQL, in order.
async fn key_of(hub: &Connection, table: &str) -> String {
    scalar(
        hub,
        &format!(
            "SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM pg_index i \
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             WHERE i.indrelid = '{table}'::regclass AND i.indisprimary"
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn two_mariadb_shards_with_overlapping_keys_load_and_replicate_into_one_postgres_schema() {
    let us_server = support::own_mariadb();
    let stem = format!("cons{}", std::process::id());
    let eu_url = support::mysql_database(&stem).await;
    let admin = open(&us_server.url_for("")).await;
    admin
        .execute(&format!("CREATE DATABASE {stem}"))
        .await
        .expect("database");
    admin.close().await;
    let us_url = us_server.url_for(&stem);
    let (eu, us) = (open(&eu_url).await, open(&us_url).await);
    shard(&eu, 10).await;
    shard(&us, 500).await;
    let hub_url = support::pg_database(&stem).await;
    let hub = open(&hub_url).await;
    let dir = tempfile::tempdir().expect("dir");
    let f = project(dir.path(), &eu_url, &us_url, &hub_url);

    // The first source loaded and replicating; the second loaded into the same tables, their
    // keys and foreign keys there already, its big child table before its parent (one table at
    // a time, the biggest first); then replication from both at once.
    let (eu_log, us_log) = (log_file("cons-eu"), log_file("cons-us"));
    let mut run_eu = spawn(&["run", &f, "--task", "eu"], &eu_log);
    wait_log(&eu_log, "replicating from", &mut run_eu, 120).await;
    replicating_task(&hub_url, "eu").await;
    let mut run_us = spawn(&["run", &f, "--task", "us"], &us_log);
    wait_log(&us_log, "replicating from", &mut run_us, 120).await;
    replicating_task(&hub_url, "eu").await;
    replicating_task(&hub_url, "us").await;
    converge(&hub, &stem, &[(&eu, "eu"), (&us, "us")]).await;
    assert_eq!(
        scalar(&hub, &format!("SELECT count(*) FROM {stem}.orders")).await,
        "3000"
    );
    // Keys, unique keys and foreign keys through the source column.
    assert_eq!(key_of(&hub, &format!("{stem}.customers")).await, "shard,id");
    assert_eq!(key_of(&hub, &format!("{stem}.orders")).await, "shard,id");
    assert_eq!(
        scalar(
            &hub,
            &format!(
                "SELECT count(*) FROM pg_constraint WHERE conrelid = '{stem}.orders'::regclass AND contype = 'f' AND cardinality(conkey) = 2"
            )
        )
        .await,
        "1",
        "{}",
        std::fs::read_to_string(&eu_log).unwrap_or_default()
    );

    // Changes on both shards at once, the same new keys on each.
    tokio::join!(change(&eu, "eu"), change(&us, "us"));
    converge(&hub, &stem, &[(&eu, "eu"), (&us, "us")]).await;
    assert_eq!(
        scalar(&hub, "SELECT count(*) FROM tugboat_apply_exceptions").await,
        "0"
    );
    // Both tasks together, as `tugboat status` reads them from the hub.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(["status", &f])
        .env("TUG_IT_PW", support::PASSWORD)
        .output()
        .expect("status");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    let line = |task: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{task} ")))
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for t in ["eu", "us"] {
        let l = line(t);
        assert!(
            l.get(4).is_some_and(|s| s == "replicating") && l.get(5).is_some_and(|s| s == "2/2"),
            "{text}"
        );
        assert_eq!(l.get(6).map(String::as_str), Some("1800"), "{text}");
        assert_eq!(l.last().map(String::as_str), Some(t), "{text}");
    }
    assert!(text.contains("hub: 3 tasks, 3600 rows loaded"), "{text}");

    // A task writing a source value another task writes is refused; nothing changes.
    let again_log = log_file("cons-again");
    let mut again = spawn(&["run", &f, "--task", "eu-again"], &again_log);
    assert!(!wait_end(&mut again, &again_log));
    let said = std::fs::read_to_string(&again_log).unwrap_or_default();
    assert!(
        said.contains("needs its own value") && said.contains("eu"),
        "{said}"
    );
    converge(&hub, &stem, &[(&eu, "eu"), (&us, "us")]).await;

    // Validation per source: each task compares its source with its own rows.
    for t in ["eu", "us"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tugboat"))
            .args(["validate", "--project", &f, "--task", t])
            .env("TUG_IT_PW", support::PASSWORD)
            .output()
            .expect("validate");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "validate {t}: {text}");
    }

    // One source reloaded: only its rows are emptied and loaded again.
    assert!(interrupt(&mut run_eu, &eu_log));
    let us_before = rows(&hub, &format!("{stem}.orders"), "id, amount", Some("us")).await;
    eu.execute("UPDATE orders SET amount = amount * 2 WHERE id < 50")
        .await
        .expect("while stopped");
    let reload_log = log_file("cons-reload");
    let mut reload = spawn(
        &[
            "run",
            &f,
            "--task",
            "eu",
            "--reload",
            &format!("{stem}.orders"),
        ],
        &reload_log,
    );
    wait_log(&reload_log, "constraints checked", &mut reload, 120).await;
    converge(&hub, &stem, &[(&eu, "eu"), (&us, "us")]).await;
    assert_eq!(
        rows(&hub, &format!("{stem}.orders"), "id, amount", Some("us")).await,
        us_before
    );

    // One shard cut over to the hub (the other still replicating into it): its rows, and only
    // its rows, go back to it.
    let cut_log = log_file("cons-cut");
    let mut cut = spawn(
        &["cutover", &f, "--task", "eu", "--writes-stopped"],
        &cut_log,
    );
    wait_log(&cut_log, "Running task eu-reverse", &mut cut, 120).await;
    assert!(
        wait_end(&mut reload, &reload_log),
        "the forward task stopped"
    );
    let said = std::fs::read_to_string(&cut_log).unwrap_or_default();
    assert!(said.contains("consolidated with task us"), "{said}");
    for sql in [
        format!(
            "INSERT INTO {stem}.customers (shard, email, name) VALUES ('eu', 'hub@example.org', 'on the hub')"
        ),
        format!("UPDATE {stem}.orders SET amount = 1.25 WHERE shard = 'eu' AND id = 7"),
        format!("DELETE FROM {stem}.orders WHERE shard = 'eu' AND id = 9"),
        // Another shard's row: not the eu shard's business.
        format!("UPDATE {stem}.orders SET amount = 2.5 WHERE shard = 'us' AND id = 8"),
    ] {
        hub.execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    converge(&hub, &stem, &[(&eu, "eu")]).await;
    assert_eq!(
        scalar(
            &eu,
            "SELECT count(*) FROM customers WHERE email = 'hub@example.org'"
        )
        .await,
        "1"
    );
    assert_ne!(
        scalar(&eu, "SELECT amount FROM orders WHERE id = 8").await,
        "2.50"
    );
    assert!(interrupt(&mut cut, &cut_log));
    assert!(interrupt(&mut run_us, &us_log));
    for c in [eu, us, hub] {
        c.close().await;
    }
}

/// The Monitor's All tasks panel: two SQLite shards loaded into one SQLite file by the CLI
/// (another process), each task's line and their total as `tugboat status` prints them.
#[test]
fn the_monitor_shows_every_task_of_a_consolidation_with_their_total() {
    use egui::accesskit::Role as A11y;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use tugboat::gui::TugboatApp;

    let dir = tempfile::tempdir().expect("dir");
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for (db, rows) in [("eu.db", 120), ("us.db", 80)] {
        let mut p = Endpoint::parse_url(&url(db)).expect("url");
        p.endpoint.role = Role::Target;
        rt.block_on(async {
            let c = Connection::open(&p.endpoint, p.password).await.expect("db");
            c.execute(&format!(
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) INSERT INTO orders SELECT i, 'x' || i FROM n"
            ))
            .await
            .expect("rows");
            c.close().await;
        });
    }
    let endpoint = |name: &str, db: &str, role| {
        let mut e = Endpoint::parse_url(&url(db)).expect("url").endpoint;
        e.name = name.into();
        e.role = role;
        e
    };
    let shard = |name: &str| {
        let mut t = task(name, name, name);
        t.task_type = tugboat::cdc::TaskType::FullLoad;
        t
    };
    let mut p = tugboat::project::Project {
        name: "shards".into(),
        endpoints: vec![
            endpoint("eu", "eu.db", Role::Source),
            endpoint("us", "us.db", Role::Source),
            endpoint("hub", "hub.db", Role::Target),
        ],
        tasks: vec![shard("eu"), shard("us")],
        ..Default::default()
    };
    p.settle_ids();
    let file = dir.path().join("p.ron");
    p.save(&file).expect("save");
    let f = file.display().to_string();
    for t in ["eu", "us"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tugboat"))
            .args(["run", &f, "--task", t])
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let app = TugboatApp::new(Some(file), crate::gui::logs(), dir.path().to_path_buf())
        .expect("app starts");
    let mut h = Harness::builder()
        .with_size(egui::vec2(1024.0, 700.0))
        .build_ui_state(|ui, app: &mut TugboatApp| app.show(ui), app);
    h.step();
    h.get_by_role_and_label(A11y::Button, "Monitor").click();
    crate::gui::wait_for(&mut h, "the tasks' figures", |h| {
        crate::gui::has(h, "2 tasks")
    });
    // Each shard's rows, and the hub's total, as loaded.
    for text in ["All tasks (2)", "120", "80", "200", "loaded"] {
        assert!(crate::gui::has(&h, text), "{text} is not shown");
    }
    assert_eq!(h.query_all_by_label("loaded").count(), 2);
}

/// Two shards into a table made by hand whose key does not hold the source column: the second
/// shard's rows with keys the first's hold are collisions, said as such with the other task's
/// name, in the full load and in replication alike, and kept under the log policy; nothing of
/// the first shard's is overwritten.
#[tokio::test(flavor = "multi_thread")]
async fn rows_colliding_with_another_sources_rows_are_said_to_and_kept() {
    let stem = format!("coll{}", std::process::id());
    let (a_url, b_url) = (
        support::mysql_database(&format!("{stem}_a")).await,
        support::mysql_database(&format!("{stem}_b")).await,
    );
    let (a, b) = (open(&a_url).await, open(&b_url).await);
    for (c, v) in [(&a, "a"), (&b, "b")] {
        c.execute(&format!(
            "CREATE TABLE settings (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO settings VALUES (1, '{v}1'), ({}, '{v}')",
            if v == "a" { 10 } else { 20 }
        ))
        .await
        .expect("shard");
    }
    let hub_url = support::pg_database(&stem).await;
    let hub = open(&hub_url).await;
    hub.execute("CREATE SCHEMA shop; CREATE TABLE shop.settings (shard varchar(64) NOT NULL, id int PRIMARY KEY, v varchar(20))")
        .await
        .expect("the DBA's table");
    let dir = tempfile::tempdir().expect("dir");
    let endpoint = |url: &str, name: &str, role| {
        let mut e = Endpoint::parse_url(url).expect("url").endpoint;
        e.name = name.into();
        e.role = role;
        e.password_env = Some("TUG_IT_PW".into());
        e
    };
    let shard = |name: &str| {
        let mut t = task(name, name, name);
        t.mappings.transformations.push(Transformation {
            target: Target::Schema,
            schema: "%".into(),
            table: "%".into(),
            column: "%".into(),
            action: TransformAction::Rename("shop".into()),
        });
        t.settings.error_policy = tugboat::tasks::ErrorPolicy::LogAndContinue;
        t
    };
    let mut p = tugboat::project::Project {
        name: "collisions".into(),
        endpoints: vec![
            endpoint(&a_url, "a", Role::Source),
            endpoint(&b_url, "b", Role::Source),
            endpoint(&hub_url, "hub", Role::Target),
        ],
        tasks: vec![shard("a"), shard("b")],
        ..Default::default()
    };
    p.settle_ids();
    let file = dir.path().join("p.ron");
    p.save(&file).expect("save");
    let f = file.display().to_string();
    let (a_log, b_log) = (log_file("coll-a"), log_file("coll-b"));
    let mut run_a = spawn(&["run", &f, "--task", "a"], &a_log);
    wait_log(&a_log, "every table loaded", &mut run_a, 120).await;
    let mut run_b = spawn(&["run", &f, "--task", "b"], &b_log);
    wait_log(&b_log, "every table loaded", &mut run_b, 120).await;
    // Replication: both shards insert key 2; a's change first.
    a.execute("INSERT INTO settings VALUES (2, 'a2')")
        .await
        .expect("a2");
    let deadline = Instant::now() + Duration::from_secs(60);
    while scalar(&hub, "SELECT count(*) FROM shop.settings WHERE id = 2").await != "1" {
        assert!(Instant::now() < deadline, "a's change never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.execute("INSERT INTO settings VALUES (2, 'b2'), (21, 'b21')")
        .await
        .expect("b2");
    let said = |sql: &str| {
        let hub = &hub;
        let sql = sql.to_string();
        async move { scalar(hub, &sql).await }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while said("SELECT count(*) FROM shop.settings WHERE id = 21").await != "1" {
        assert!(Instant::now() < deadline, "b's changes never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Keys 1 (full load) and 2 (replication) are a's; b's rows with them kept as collisions
    // naming task a; b's other rows loaded.
    assert_eq!(
        said("SELECT string_agg(shard || id || v, ',' ORDER BY id) FROM shop.settings").await,
        "a1a1,a2a2,a10a,b20b,b21b21"
    );
    assert_eq!(
        said("SELECT count(*) FROM tugboat_apply_exceptions WHERE task = 'b' AND error LIKE 'key collision with another source''s row (task a (source a) writes this table too)%'").await,
        "2",
        "{}",
        said("SELECT string_agg(error, ' | ') FROM tugboat_apply_exceptions").await
    );
    let text = std::fs::read_to_string(&b_log).unwrap_or_default();
    assert!(
        text.contains("1 rows collided with rows of other sources (task a (source a)"),
        "{text}"
    );
    assert!(interrupt(&mut run_a, &a_log));
    assert!(interrupt(&mut run_b, &b_log));
    for c in [a, b, hub] {
        c.close().await;
    }
}
