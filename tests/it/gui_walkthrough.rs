//! The README's walkthrough, done in the app alone (through its accessibility tree, as a user
//! clicks and types): Sakila on MariaDB into PostgreSQL, from a new project to "ready to cut
//! over". Endpoints pasted as URLs and tested, the schema assessed (verified on the target) and
//! applied, a task created from the assessment, its premigration checks run, the task started
//! in the Monitor, the Overview's last step green; then the task stopped.

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tugboat::gui::TugboatApp;

use crate::support;

type H = Harness<'static, TugboatApp>;

fn has(h: &H, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Steps frames until `done`, at most `secs`.
fn wait(h: &mut H, what: &str, secs: u64, done: impl Fn(&H) -> bool) {
    let t = Instant::now();
    while !done(h) {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}; status: {:?}; endpoints: {:?}",
            h.state().state.message,
            h.state().state.project.endpoints
        );
        h.step();
        std::thread::sleep(Duration::from_millis(25));
    }
    h.run_steps(2);
}

fn nav(h: &mut H, screen: &str) {
    h.get_by_role_and_label(Role::Button, screen).click();
    h.run_steps(4);
}

/// Adds an endpoint from a pasted URL, names it, and tests it.
fn add_endpoint(h: &mut H, url: &str, name: &str, target: bool, product: &str) {
    h.get_by_label("Add endpoint").click();
    h.run_steps(4);
    h.get_by_role_and_label(Role::TextInput, "Host")
        .set_text_value_accesskit(url);
    h.run_steps(3);
    h.get_by_role_and_label(Role::TextInput, "Name")
        .set_text_value_accesskit(name);
    h.run_steps(3);
    if target {
        h.get_by_label("Target").click();
        h.run_steps(3);
    }
    h.get_by_label("Test connection").click();
    wait(h, "the connection test", 30, |h| {
        has(h, "Connected: ") || has(h, "Connection failed")
    });
    assert!(
        has(h, &format!("Connected: {product}")),
        "{name}: connection failed"
    );
}

#[test]
fn sakila_from_mariadb_to_postgres_in_the_app_alone() {
    let (Some(schema), Some(data)) = (
        support::corpus("sakila/mysql-official/sakila-schema.sql"),
        support::corpus("sakila/mysql-official/sakila-data.sql"),
    ) else {
        return;
    };
    // Sakila under a name of its own (other tests load it as `sakila`).
    let dir = tempfile::tempdir().unwrap();
    let rename = |p: &std::path::Path, out: &str| {
        let text = std::fs::read_to_string(p)
            .unwrap()
            .replace("EXISTS sakila;", "EXISTS sakila_app;")
            .replace("SCHEMA sakila;", "SCHEMA sakila_app;")
            .replace("USE sakila;", "USE sakila_app;")
            .replace(" sakila.", " sakila_app.");
        let path = dir.path().join(out);
        std::fs::write(&path, text).unwrap();
        path
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(support::mysql_database("sakila_app"));
    support::mysql_file("", &rename(&schema, "schema.sql"));
    support::mysql_file("", &rename(&data, "data.sql"));
    rt.block_on(support::pg_database("sakila_app_pg"));

    let app =
        TugboatApp::new(None, crate::gui::logs(), dir.path().to_path_buf()).expect("app starts");
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut TugboatApp| app.show(ui), app);
    h.run_steps(2);
    // A new project.
    h.get_by_role_and_label(Role::Button, "File").click();
    h.run_steps(2);
    h.get_by_label("New project").click();
    h.run_steps(3);
    assert!(h.state().state.project.endpoints.is_empty());

    // 1. Endpoints, pasted as URLs (their passwords go to the session only).
    nav(&mut h, "Endpoints");
    add_endpoint(
        &mut h,
        &support::mysql().url_for("sakila_app"),
        "sakila (MariaDB)",
        false,
        "MariaDB",
    );
    add_endpoint(
        &mut h,
        &support::pg().url_for("sakila_app_pg"),
        "sakila (PostgreSQL)",
        true,
        "PostgreSQL",
    );
    let ron = h.state().state.project.to_ron().unwrap();
    assert!(!ron.contains(&support::mysql().password) && !ron.contains(&support::pg().password));

    // 2. Assess, verified on the target, then apply (asked first).
    nav(&mut h, "Schema conversion");
    h.get_by_label("Assess").click();
    wait(&mut h, "the assessment", 120, |h| {
        h.state().conversion.report.is_some() || h.state().conversion.error.is_some()
    });
    let report = h.state().conversion.report.clone().expect("assessed");
    let v = report.verification.clone().expect("verified on the target");
    assert!(v.engine.starts_with("PostgreSQL"), "{v:?}");
    assert_eq!(
        report
            .objects
            .iter()
            .filter(|o| o.kind == tugboat::ddl::ObjectKind::Table)
            .count(),
        16
    );
    h.get_by_label("Apply to target").click();
    h.run_steps(3);
    h.get_by_label("Apply schema").click();
    h.run_steps(3);
    assert!(has(&h, "statements to 'sakila (PostgreSQL)'"));
    h.get_by_label("Yes, apply").click();
    wait(&mut h, "the apply", 120, |h| {
        h.state().conversion.applied.is_some()
    });

    // 3. A task from the assessment.
    h.get_by_label("Create a task from this assessment").click();
    h.run_steps(4);
    let task = h
        .state()
        .state
        .project
        .tasks
        .last()
        .cloned()
        .expect("a task");
    assert_eq!(task.task_type, tugboat::cdc::TaskType::FullLoadAndCdc);

    // 4. Premigration checks from the overview: none fails on this server.
    nav(&mut h, "Overview");
    h.get_by_label("Run the checks").click();
    wait(&mut h, "the checks", 60, |h| has(h, "warnings,"));
    assert!(has(&h, " 0 failed"), "a premigration check failed");

    // 5. The Monitor: load, validate, replicate, until ready to cut over.
    nav(&mut h, "Monitor");
    h.get_by_label(&format!("Start {}", task.name)).click();
    wait(&mut h, "ready to cut over", 300, |h| {
        h.state().monitor.runs.first().is_some_and(|r| {
            r.cdc.as_ref().is_some_and(|c| c.ready_to_cut_over) || r.finished.is_some()
        })
    });
    let run = &h.state().monitor.runs[0];
    assert!(run.finished.is_none(), "the task ended: {:?}", run.finished);
    assert_eq!(run.tables().len(), 16);
    assert!(
        run.tables()
            .iter()
            .all(|t| t.state == tugboat::tasks::TableState::Completed && t.error.is_none()),
        "{:#?}",
        run.tables()
    );
    // Every table's rows, as many as the source has.
    let counts: Vec<(String, u64)> = run
        .tables()
        .iter()
        .map(|t| (t.name.clone(), t.rows))
        .collect();
    rt.block_on(async {
        let (ep, pw) = support::mysql().endpoint("sakila_app");
        let src = tugboat::endpoints::Connection::open(&ep, pw).await.unwrap();
        for (t, rows) in &counts {
            let n = src
                .query_scalar("count", &format!("SELECT count(*) FROM {t}"))
                .await
                .unwrap();
            assert_eq!(n, Some(rows.to_string()), "{t}");
        }
        src.close().await;
    });
    nav(&mut h, "Overview");
    assert!(
        has(&h, "replication has caught up"),
        "the last step is green"
    );
    // Stopped cleanly.
    nav(&mut h, "Monitor");
    h.get_by_label("Stop").click();
    wait(&mut h, "the stop", 60, |h| {
        h.state()
            .monitor
            .runs
            .first()
            .is_some_and(|r| r.finished.is_some())
    });
}
