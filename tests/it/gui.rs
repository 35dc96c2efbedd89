//! The GUI driven through its accessibility tree with egui_kittest, as a user would: by labels.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use tugboat::gui::TugboatApp;
use tugboat::logging::LogBuffer;

use crate::support;

pub fn logs() -> LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let b = LogBuffer::default();
        tugboat::logging::init("info", Some(b.clone()));
        b
    })
    .clone()
}

fn harness(data_dir: &std::path::Path) -> Harness<'static, TugboatApp> {
    let app = TugboatApp::new(None, logs(), data_dir.to_path_buf()).expect("app starts");
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut TugboatApp| app.show(ui), app)
}

/// Steps frames until `done` holds (background work reports through events), at most 30 s.
pub fn wait_for(
    h: &mut Harness<'static, TugboatApp>,
    what: &str,
    done: impl Fn(&Harness<'static, TugboatApp>) -> bool,
) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(30) {
        h.step();
        if done(h) {
            h.step();
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

/// The Monitor's latest run has ended.
fn run_finished(h: &Harness<'static, TugboatApp>) -> bool {
    h.state()
        .monitor
        .runs
        .first()
        .is_some_and(|r| r.finished.is_some())
}

/// Opens the Endpoints screen (the app starts on the Project overview).
fn to_endpoints(h: &mut Harness<'static, TugboatApp>) {
    h.get_by_role_and_label(Role::Button, "Endpoints").click();
    h.run_steps(8);
}

pub(crate) fn has(h: &Harness<'static, TugboatApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

#[test]
fn demo_project_works_without_any_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    wait_for(&mut h, "the demo database", |h| {
        h.state().state.demo_ready.is_some()
    });
    assert_eq!(h.state().state.demo_ready, Some(Ok(())));
    // The home screen: the migration as steps, each with a button to its screen.
    assert!(has(&h, "Project overview") && has(&h, "Ready to cut over"));
    assert!(has(&h, "2 endpoints: 0 connected, 0 failed, 2 not tested"));
    // F5 on the overview runs the checks again (the button does the same).
    h.key_press(egui::Key::F5);
    wait_for(&mut h, "the premigration checks", |h| has(h, "warnings,"));
    assert!(has(&h, "0 failed"), "the demo passes its checks");
    h.get_by_label("Open Endpoints").click();
    h.run_steps(8);
    assert!(has(&h, "Harbor demo (SQLite source)"));

    h.get_by_label("Test connection").click();
    wait_for(&mut h, "the connection test", |h| {
        has(h, "Connected: SQLite")
    });
    assert!(has(&h, "readable"));

    h.get_by_label("Browse schema").click();
    wait_for(&mut h, "the schema tree", |h| has(h, "Tables (7)"));
    assert!(has(&h, "Views (1)") && has(&h, "Triggers (1)"));
    h.get_by_label("tug_jobs").click();
    h.step();
    h.step();
    assert!(has(&h, "TABLE main.tug_jobs"));
    assert!(has(&h, "ck_tug_jobs_status"), "constraints shown");
    assert!(
        has(&h, "ix_jobs_port_time (port_id, scheduled_at DESC)"),
        "indexes shown"
    );
    h.get_by_label("Count rows").click();
    wait_for(&mut h, "the exact count", |h| has(h, "rows (exact)"));
    assert!(has(&h, "4\u{2009}000 rows (exact)"));

    // Every navigation entry opens its screen.
    for (nav, expect) in [
        ("Schema conversion", "press Assess"),
        ("Tasks", "Selection rules"),
        ("Monitor", "Start Harbor full load"),
    ] {
        h.get_by_role_and_label(Role::Button, nav).click();
        h.step();
        h.step();
        assert!(has(&h, expect), "{nav} screen");
    }
    h.get_by_role_and_label(Role::Button, "Logs").click();
    h.step();
    h.step();
    assert!(has(&h, "Severity"));
    assert!(
        has(&h, "reachable, latency"),
        "the connection test is in the log"
    );
    h.get_by_role_and_label(Role::Button, "Overview").click();
    h.run_steps(8);
    assert!(
        has(&h, "2 endpoints: 1 connected"),
        "the overview follows the test"
    );
}

/// A URL pasted into Host fills the endpoint form (engine, host, port, database, user), its
/// password goes to the session's secrets, never into the project; host:port splits.
#[test]
fn a_url_pasted_into_host_fills_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    h.step();
    to_endpoints(&mut h);
    h.get_by_label("Add endpoint").click();
    h.step();
    h.step();
    let i = h.state().state.project.endpoints.len() - 1;
    let id = h.state().state.project.endpoints[i].id.clone();
    h.get_by_role_and_label(Role::TextInput, "Host")
        .set_text_value_accesskit("mariadb://app:s3cret@db1.local:3307/shop");
    h.step();
    h.step();
    let ep = h.state().state.project.endpoints[i].clone();
    assert_eq!(
        (
            ep.engine,
            ep.host.as_str(),
            ep.port,
            ep.database.as_str(),
            ep.user.as_str()
        ),
        (
            tugboat::endpoints::Engine::MariaDb,
            "db1.local",
            3307,
            "shop",
            "app"
        )
    );
    assert!(
        !h.state().state.project.to_ron().unwrap().contains("s3cret"),
        "the password stays out of the project"
    );
    assert_eq!(ep.id, id, "the same endpoint, filled in");
    assert_eq!(
        h.state()
            .state
            .secrets
            .get(&id)
            .map(|p| p.expose().to_string())
            .as_deref(),
        Some("s3cret"),
        "the password is the session's, for this endpoint"
    );
    h.get_by_role_and_label(Role::TextInput, "Host")
        .set_text_value_accesskit("10.1.2.3:3310");
    h.step();
    h.step();
    let ep = h.state().state.project.endpoints[i].clone();
    assert_eq!((ep.host.as_str(), ep.port), ("10.1.2.3", 3310));
}

#[test]
fn endpoint_names_are_checked_as_typed_and_tasks_follow_a_rename() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    h.step();
    to_endpoints(&mut h);
    h.step();
    let name = |h: &mut Harness<'static, TugboatApp>, text: &str| {
        h.get_by_role_and_label(Role::TextInput, "Name")
            .set_text_value_accesskit(text);
        h.step();
        h.step();
    };
    // The demo's source, given the target's name: said at once, and refused on save.
    name(&mut h, "Demo target (SQLite)");
    assert!(has(&h, "Another endpoint is named “Demo target (SQLite)”"));
    let file = dir.path().join("p.ron");
    h.state_mut().save(file.clone());
    wait_for(&mut h, "the save", |h| !h.state().file_busy());
    assert!(
        !file.exists(),
        "a project with two endpoints of one name is not saved"
    );
    assert!(has(&h, "names must be unique"));
    name(&mut h, "  ");
    assert!(has(&h, "An endpoint needs a name."));
    // Renamed: the task still uses it, through the save and a load.
    name(&mut h, "Harbor renamed");
    // The form's own notes are gone (the status line still tells of the refused save).
    assert!(h.query_by_label("An endpoint needs a name.").is_none());
    assert!(
        h.query_by_label("Another endpoint is named “Demo target (SQLite)”: names must be unique.")
            .is_none()
    );
    let p = &h.state().state.project;
    let task = &p.tasks[0];
    assert_eq!(
        p.task_endpoint(&task.source).map(|e| e.name.as_str()),
        Some("Harbor renamed")
    );
    h.state_mut().save(file.clone());
    wait_for(&mut h, "the save", |h| !h.state().file_busy());
    let again = tugboat::project::Project::load(&file).unwrap();
    assert_eq!(
        again
            .task_endpoint(&again.tasks[0].source)
            .map(|e| e.name.as_str()),
        Some("Harbor renamed")
    );
    // Delete asks with the endpoint in full and the tasks that use it.
    h.get_by_label("Delete").click();
    h.step();
    h.step();
    assert!(has(&h, "Delete endpoint 'Harbor renamed' (sqlite://"));
    assert!(has(&h, "Used by task Harbor full load"));
    h.get_by_label("Cancel").click();
    h.step();
    assert_eq!(h.state().state.project.endpoints.len(), 2);
}

#[test]
fn add_test_and_browse_a_postgres_endpoint_then_duplicate_and_delete() {
    let server = support::pg();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(support::pg_database("tug_gui"));
    let sql = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(sql.path(), "CREATE TABLE harbor (id int PRIMARY KEY, name text); CREATE TABLE berth (id int PRIMARY KEY, harbor_id int REFERENCES harbor);").unwrap();
    support::psql_file("tug_gui", sql.path());

    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    h.step();
    to_endpoints(&mut h);
    h.get_by_label("Add endpoint").click();
    h.step();
    h.step();
    assert_eq!(h.state().state.project.endpoints.len(), 3);
    h.get_by_role_and_label(Role::TextInput, "Host")
        .set_text_value_accesskit(&server.host);
    h.get_by_role_and_label(Role::SpinButton, "Port")
        .set_value_accesskit(f64::from(server.port));
    h.get_by_role_and_label(Role::TextInput, "Database")
        .set_text_value_accesskit("tug_gui");
    h.get_by_role_and_label(Role::TextInput, "User")
        .set_text_value_accesskit(&server.user);
    h.get_by_role_and_label(Role::PasswordInput, "Password")
        .set_text_value_accesskit(&server.password);
    h.step();
    h.step();
    let ep = h.state().state.project.endpoints[2].clone();
    assert_eq!(
        (ep.host.as_str(), ep.port, ep.database.as_str()),
        (server.host.as_str(), server.port, "tug_gui")
    );
    assert!(
        !h.state()
            .state
            .project
            .to_ron()
            .unwrap()
            .contains(&server.password),
        "the password stays out of the project"
    );

    h.get_by_label("Test connection").click();
    wait_for(&mut h, "the connection test", |h| {
        has(h, "Connected: PostgreSQL") || has(h, "Connection failed")
    });
    assert!(has(&h, "Connected: PostgreSQL"), "connection failed");
    h.get_by_label("Browse schema").click();
    wait_for(&mut h, "the schema tree", |h| has(h, "Tables (2)"));
    h.get_by_label("berth").click();
    h.step();
    h.step();
    assert!(has(&h, "REFERENCES harbor (id)"));

    // A slot left behind by a task: listed with the WAL it holds, and dropped after a
    // confirmation.
    let slot_sql = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        slot_sql.path(),
        "SELECT pg_create_physical_replication_slot('tugboat_gui_left', true);",
    )
    .unwrap();
    support::psql_file("tug_gui", slot_sql.path());
    h.get_by_label("Replication slots").click();
    wait_for(&mut h, "the slot list", |h| has(h, "tugboat_gui_left"));
    assert!(has(&h, "WAL held"));
    // Other slots may be there too (a server is shared): the button names its slot.
    h.get_by_label("Drop slot tugboat_gui_left").click();
    h.step();
    h.step();
    h.get_by_label("Drop it: its task cannot resume").click();
    wait_for(&mut h, "the slot dropped", |h| !has(h, "tugboat_gui_left"));
    assert!(has(&h, "Replication slots"));

    // A refused port shows the error, and the window keeps drawing while the test runs.
    h.get_by_role_and_label(Role::SpinButton, "Port")
        .set_value_accesskit(f64::from(support::free_port()));
    h.step();
    h.get_by_label("Test connection").click();
    wait_for(&mut h, "the failed connection test", |h| {
        has(h, "Connection failed")
    });
    assert!(has(&h, "connection refused"));

    h.get_by_label("Duplicate").click();
    h.step();
    h.step();
    let names: Vec<String> = h
        .state()
        .state
        .project
        .endpoints
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(names.len(), 4);
    assert!(
        names.contains(&"New endpoint copy".to_string()),
        "{names:?}"
    );
    h.get_by_label("Delete").click();
    h.step();
    h.get_by_label("Yes, delete").click();
    h.step();
    h.step();
    assert_eq!(h.state().state.project.endpoints.len(), 3);
    assert!(h.state().state.dirty);
}

#[test]
fn the_window_keeps_drawing_while_a_host_does_not_answer() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    h.step();
    to_endpoints(&mut h);
    h.get_by_label("Add endpoint").click();
    h.step();
    {
        let e = &mut h.state_mut().state.project.endpoints[2];
        e.host = "127.0.0.1".into();
        e.port = port;
        e.connect_timeout_secs = 3;
    }
    h.step();
    h.get_by_label("Test connection").click();
    // Frames keep coming while the connection attempt waits on the silent host.
    for _ in 0..20 {
        h.step();
    }
    assert!(
        has(&h, "Testing connection to"),
        "the spinner is shown while waiting"
    );
    wait_for(&mut h, "the timeout", |h| has(h, "Connection failed"));
    assert!(has(&h, "within 3 s"));
    drop(listener);
}

#[test]
fn opening_a_malformed_project_keeps_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ron");
    std::fs::write(&bad, "Project(format_version: 1, endpoints: [").unwrap();
    let mut h = harness(dir.path());
    h.step();
    let before = h.state().state.project.clone();
    // File → Open project…: a path prompt (a native dialog is one click away, where one can
    // open), read in the background. (From the Logs screen: no other Browse… button there.)
    h.get_by_role_and_label(Role::Button, "Logs").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "File").click();
    h.run();
    h.get_by_label_contains("Open project…").click();
    h.run();
    assert!(has(&h, "Open project"));
    h.get_by_label("Browse…").click();
    let no_zenity = std::env::var_os("PATH")
        .is_none_or(|p| !std::env::split_paths(&p).any(|d| d.join("zenity").is_file()));
    if no_zenity && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        wait_for(&mut h, "the dialog's answer", |h| {
            has(h, "No file dialog can open here")
        });
    }
    h.get_by_role_and_label(Role::TextInput, "Path")
        .set_text_value_accesskit(&bad.display().to_string());
    h.run();
    h.get_by_role_and_label(Role::Button, "Open").click();
    // Stepped, not run to rest: the read's thread asks for a repaint whenever it ends.
    h.step();
    wait_for(&mut h, "the read", |h| !h.state().file_busy());
    assert_eq!(h.state().state.project, before);
    assert!(has(&h, "bad.ron:1:"), "the error names the file and line");
    assert!(
        has(&h, "Open project"),
        "the prompt stays open to fix the path"
    );
    h.get_by_label("Cancel").click();
    h.run();

    let good = dir.path().join("good.ron");
    h.state_mut().save(good.clone());
    wait_for(&mut h, "the save", |h| !h.state().file_busy());
    assert!(has(&h, "Saved"));
    let reloaded = tugboat::project::Project::load(&good).unwrap();
    assert_eq!(reloaded.endpoints, before.endpoints);
    // Saving where it cannot write: said in the window.
    h.state_mut().save(dir.path().join("bad.ron").join("p.ron"));
    wait_for(&mut h, "the failed save", |h| !h.state().file_busy());
    assert!(has(&h, "cannot save the project"), "the failure is shown");
}

#[test]
fn schema_conversion_screen_assesses_the_demo_and_applies_it_to_postgres() {
    let server = support::pg();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(support::pg_database("tug_gui_conv"));
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    wait_for(&mut h, "the demo database", |h| {
        h.state().state.demo_ready.is_some()
    });
    h.get_by_role_and_label(Role::Button, "Schema conversion")
        .click();
    h.step();
    h.step();
    // The demo's target is SQLite; choose PostgreSQL as the target engine.
    assert_eq!(
        h.state().conversion.target,
        Some(tugboat::ddl::Dialect::Sqlite),
        "the target engine defaults to the project's target endpoint"
    );
    h.get_by_label("Target").click();
    h.step();
    h.step();
    h.get_by_label("PostgreSQL").click();
    h.step();
    h.step();
    assert_eq!(
        h.state().conversion.target,
        Some(tugboat::ddl::Dialect::Postgres)
    );
    h.get_by_label("Assess").click();
    wait_for(&mut h, "the assessment", |h| {
        h.state().conversion.report.is_some() || h.state().conversion.error.is_some()
    });
    assert!(
        h.state().conversion.error.is_none(),
        "{:?}",
        h.state().conversion.error
    );
    h.step();
    h.step();
    assert!(has(&h, "converted automatically"), "the summary is shown");
    h.get_by_label("table tug_jobs").click();
    h.step();
    h.step();
    assert!(
        has(&h, "table main.tug_jobs"),
        "the object's details are shown"
    );
    let app = h.state();
    let sel = &app.conversion.report.as_ref().unwrap().objects[app.conversion.selected.unwrap()];
    assert!(
        sel.target[0]
            .sql
            .starts_with("CREATE TABLE IF NOT EXISTS public.tug_jobs"),
        "{:?}",
        sel.target
    );
    assert!(
        h.query_all_by_value(&format!(
            "{};",
            sel.target
                .iter()
                .map(|t| t.sql.clone())
                .collect::<Vec<_>>()
                .join(";\n\n")
        ))
        .next()
        .is_some(),
        "the converted SQL is on screen"
    );

    // Edit the converted SQL by hand: the edit is kept in the project and survives a new assessment.
    let idx = h.state().conversion.selected.unwrap();
    h.get_by_label("Edit SQL").click();
    h.step();
    let edited = "CREATE TABLE IF NOT EXISTS public.tug_jobs (job_id bigint PRIMARY KEY, vessel_id bigint, customer_id bigint, port_id bigint, scheduled_at timestamp, started_at timestamp, finished_at timestamp, status text, tugs_used smallint, fee numeric(10,2), notes text)";
    h.state_mut().conversion.editing = Some((idx, edited.to_string()));
    h.step();
    h.get_by_label("Save edit").click();
    h.step();
    h.step();
    assert_eq!(h.state().state.project.conversion.edits.len(), 1);
    assert!(h.state().state.dirty);
    h.get_by_label("Assess").click();
    wait_for(&mut h, "the second assessment", |h| {
        h.state().conversion.running.is_none()
    });
    h.step();
    h.step();
    let app = h.state();
    let again = app
        .conversion
        .report
        .as_ref()
        .unwrap()
        .objects
        .iter()
        .find(|o| o.name == "tug_jobs" && o.kind == tugboat::ddl::ObjectKind::Table)
        .unwrap();
    assert!(
        again.edited && again.target[0].sql == edited,
        "{:?}",
        again.target
    );

    // Apply it to a PostgreSQL target endpoint of the project.
    let (ep, pw) = server.endpoint("tug_gui_conv");
    let mut ep = ep;
    ep.name = "PG target".into();
    ep.role = tugboat::endpoints::Role::Target;
    h.state_mut().state.project.endpoints.push(ep);
    h.state_mut().state.project.ensure_ids();
    let target_id = h.state().state.project.endpoints[2].id.clone();
    h.state().state.secrets.set(&target_id, pw);
    h.state_mut().conversion.target_endpoint = Some(target_id.clone());
    // A copy of another endpoint inserted before it shifts the list: the selection is the
    // same endpoint still (it was a list position, and DDL went to the wrong server).
    let mut copy = h.state().state.project.endpoints[0].clone();
    copy.id.clear();
    copy.name = "copy of the first".into();
    h.state_mut().state.project.endpoints.insert(0, copy);
    h.state_mut().state.project.ensure_ids();
    h.step();
    h.step();
    assert_eq!(
        h.state().conversion.target_endpoint.as_deref(),
        Some(target_id.as_str())
    );
    // An endpoint that is not a target is never the apply target.
    let source_id = h.state().state.project.endpoints[1].id.clone();
    h.state_mut().conversion.target_endpoint = Some(source_id.clone());
    h.step();
    h.step();
    assert_ne!(
        h.state().conversion.target_endpoint.as_deref(),
        Some(source_id.as_str())
    );
    h.state_mut().conversion.target_endpoint = Some(target_id);
    h.get_by_label("Apply to target").click();
    h.step();
    h.step();
    h.get_by_label("Apply schema").click();
    h.run_steps(3);
    assert!(
        has(&h, "statements to '"),
        "the apply names its target in full"
    );
    h.get_by_label("Yes, apply").click();
    wait_for(&mut h, "the apply results", |h| {
        h.state().conversion.applied.is_some()
    });
    h.step();
    let applied = h.state().conversion.applied.clone().unwrap().unwrap();
    let failed: Vec<_> = applied
        .iter()
        .filter(|a| {
            matches!(
                a.result,
                tugboat::conversion::apply::StatementResult::Failed(_)
            )
        })
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(has(&h, "0 failed"));
}

/// The embedded demo, no server: assess the Harbor source for its SQLite target and apply it;
/// the target file then holds every table, and running it again changes nothing.
#[test]
fn demo_converts_and_applies_to_its_sqlite_target_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    wait_for(&mut h, "the demo database", |h| {
        h.state().state.demo_ready.is_some()
    });
    h.get_by_role_and_label(Role::Button, "Schema conversion")
        .click();
    h.step();
    h.step();
    h.get_by_label("Assess").click();
    wait_for(&mut h, "the assessment", |h| {
        h.state().conversion.report.is_some() || h.state().conversion.error.is_some()
    });
    let report = h.state().conversion.report.clone().unwrap();
    assert_eq!(report.target_dialect, tugboat::ddl::Dialect::Sqlite);
    // SQLite reports are always verified, in memory; the screen says so.
    let v = report.verification.clone().expect("verified");
    assert!(v.engine.starts_with("SQLite") && v.statements > 0, "{v:?}");
    h.step();
    assert!(has(&h, "verified on SQLite"), "the verification is shown");
    h.get_by_label("Action items by code").click();
    h.run_steps(3);
    let items: usize = report.objects.iter().map(|o| o.action_items.len()).sum();
    assert!(
        if items == 0 {
            has(&h, "No action item")
        } else {
            has(&h, &format!("{items} action items"))
        },
        "the codes tab counts the report's {items} action items"
    );
    // Save report…: a path in the app, written in the background; a failure is shown.
    for (path, ok) in [
        (dir.path().join("no-such-dir").join("r.html"), false),
        (dir.path().join("report.md"), true),
    ] {
        if h.query_by_label("Save the assessment report").is_none() {
            h.get_by_label("Save report…").click();
            h.run();
        }
        h.get_by_role_and_label(Role::TextInput, "Path")
            .set_text_value_accesskit(&path.display().to_string());
        h.run();
        h.get_by_role_and_label(Role::Button, "Save").click();
        wait_for(&mut h, "the report written", |h| {
            h.state().conversion.message.is_some()
        });
        let said = h.state_mut().conversion.message.take().unwrap();
        if ok {
            assert!(said.starts_with("Report saved to"), "{said}");
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains("tug_jobs"), "the report lists the objects");
        } else {
            assert!(said.contains("no-such-dir"), "{said}");
            assert!(
                has(&h, "Save the assessment report"),
                "the prompt stays open"
            );
        }
    }
    h.get_by_label("Apply to target").click();
    h.step();
    h.step();
    for round in 0..2 {
        h.state_mut().conversion.applied = None;
        h.get_by_label("Apply schema").click();
        h.run_steps(3);
        assert!(
            has(&h, "statements to '"),
            "the apply names its target in full"
        );
        h.get_by_label("Yes, apply").click();
        wait_for(&mut h, "the apply results", |h| {
            h.state().conversion.applied.is_some()
        });
        h.step();
        let applied = h.state().conversion.applied.clone().unwrap().unwrap();
        let failed: Vec<_> = applied
            .iter()
            .filter(|a| {
                matches!(
                    a.result,
                    tugboat::conversion::apply::StatementResult::Failed(_)
                )
            })
            .collect();
        assert!(failed.is_empty(), "round {round}: {failed:#?}");
    }
    let (_, target) = tugboat::demo::demo_paths(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tables = rt.block_on(async {
        let p = tugboat::endpoints::Endpoint::parse_url(&format!("sqlite://{}", target.display()))
            .unwrap();
        let conn = tugboat::endpoints::Connection::open(&p.endpoint, None)
            .await
            .unwrap();
        let c = tugboat::engines::discover::discover(&conn, &Default::default())
            .await
            .unwrap();
        conn.close().await;
        c.counts().tables
    });
    assert_eq!(tables, 7, "the Harbor tables are in the target file");

    // One click from the assessment to a task: the assessed source into the apply target.
    let before = h.state().state.project.tasks.len();
    h.get_by_label("Create a task from this assessment").click();
    h.run_steps(6);
    let p = &h.state().state.project;
    assert_eq!(p.tasks.len(), before + 1);
    let t = p.tasks.last().unwrap();
    assert_eq!(
        (
            p.task_endpoint(&t.source).map(|e| e.name.as_str()),
            p.task_endpoint(&t.target).map(|e| e.name.as_str())
        ),
        (
            Some("Harbor demo (SQLite source)"),
            Some("Demo target (SQLite)")
        )
    );
    assert_eq!(
        t.task_type,
        tugboat::cdc::TaskType::FullLoad,
        "a SQLite source cannot replicate"
    );
    assert_eq!(h.state().screen, tugboat::gui::screens::Screen::Tasks);

    // Another source: the report is no longer shown as current.
    h.get_by_role_and_label(Role::Button, "Schema conversion")
        .click();
    h.run_steps(4);
    assert!(h.state().conversion.report.is_some());
    h.get_by_label("Script file").click();
    h.run_steps(4);
    assert!(
        h.state().conversion.report.is_none(),
        "a stale report is cleared"
    );
    assert!(has(&h, "press Assess again"));
}

/// The demo's task from the Monitor, no server: the run shows every table completed and
/// validated, and starting it again resumes (every table completed earlier).
#[test]
fn monitor_runs_the_demo_task_and_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    wait_for(&mut h, "the demo database", |h| {
        h.state().state.demo_ready.is_some()
    });
    h.get_by_role_and_label(Role::Button, "Monitor").click();
    h.step();
    h.step();
    h.get_by_label("Start Harbor full load").click();
    wait_for(&mut h, "the task to finish", run_finished);
    h.step();
    h.step();
    let run = &h.state().monitor.runs[0];
    assert_eq!(run.status(), "load complete", "{:?}", run.finished);
    assert_eq!(run.tables().len(), 7);
    assert_eq!(run.total_rows(), 7_748);
    assert!(has(&h, "Validated, 4000 rows"), "the grid shows validation");
    // Every table done: 100 % exactly, and the rate is this run's.
    assert!(has(&h, "100 % loaded"), "the overall bar is full");
    assert!(has(
        &h,
        "7 loaded, 0 loading, 0 queued, 0 errored (100 %) · 7748 rows moved of about 7748"
    ));
    // The grid as CSV: the same figures, one row per table.
    let csv_path = dir.path().join("tables.csv");
    h.get_by_label("Export CSV…").click();
    h.run_steps(3);
    h.get_by_role_and_label(Role::TextInput, "Path")
        .set_text_value_accesskit(&csv_path.display().to_string());
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Save").click();
    wait_for(&mut h, "the CSV", |h| has(h, "Table statistics saved to"));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(csv.lines().count(), 8, "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("main.tug_jobs,") && l.contains(",Table completed,4000,false,")),
        "{csv}"
    );
    h.get_by_label("Start Harbor full load again (resume)")
        .click();
    wait_for(&mut h, "the second run", run_finished);
    h.step();
    let run = &h.state().monitor.runs[0];
    assert!(
        run.tables().iter().all(|t| t.skipped),
        "finished tables are not loaded again"
    );
    assert!(has(&h, "4000 (earlier)"));
    // A resume that moved nothing says so: no rate from earlier runs' rows.
    assert!(
        has(&h, "0 rows moved (+7748 loaded earlier)") && has(&h, "· 0 rows/s on average"),
        "{}",
        h.state().monitor.runs[0].progress.status_line(None)
    );
    // Validation has its own progress and keeps the load's figures.
    h.get_by_label("Validate Harbor full load").click();
    wait_for(&mut h, "the validation", run_finished);
    h.step();
    let run = &h.state().monitor.runs[0];
    assert_eq!(run.status(), "validation complete", "{:?}", run.finished);
    assert_eq!(run.total_rows(), 7_748, "the load's rows are kept");
    assert!(has(&h, "100 % validated"));
    assert!(has(&h, "7 of 7 tables validated"));

    // Reload a table others reference (ports: vessels and tug_jobs point at it): asked first,
    // naming the table and the target, then done, with the keys checked again.
    let i = h.state().monitor.runs[0]
        .tables()
        .iter()
        .position(|t| t.name.ends_with("ports"))
        .expect("the demo has ports");
    let table = h.state().monitor.runs[0].tables()[i].name.clone();
    h.get_all_by_label("Reload").nth(i).unwrap().click();
    h.run();
    assert!(
        has(&h, &format!("Empty {table} on 'Demo target (SQLite)'")),
        "{:?} {:?}",
        h.state().monitor.confirm_reload,
        h.query_all_by_label_contains("Empty")
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
    );
    assert!(
        h.state().monitor.runs[0].finished.is_some(),
        "nothing starts before the answer"
    );
    h.get_by_label(&format!("Reload {table}")).click();
    h.step();
    wait_for(&mut h, "the reload", run_finished);
    h.step();
    let run = &h.state().monitor.runs[0];
    assert_eq!(run.status(), "load complete", "{:?}", run.finished);
    let ports = run.tables().iter().find(|t| t.name == table).unwrap();
    assert!(!ports.skipped && ports.rows > 0, "{ports:?}");
    assert!(run.exceptions.is_empty(), "{:?}", run.exceptions);
}

/// Every table's lines of a multi-table load reach the app's log, tagged with the task and the
/// table (the Logs screen and the Monitor's task log filter on them), without build paths.
#[test]
fn every_table_of_a_load_reaches_the_log() {
    // Sixteen tables from MariaDB into PostgreSQL, as Sakila has: more than load at once.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(support::mysql_database("tug_gui_logs"));
    rt.block_on(support::pg_database("tug_gui_logs_t"));
    rt.block_on(async {
        let p = tugboat::endpoints::Endpoint::parse_url(&url).unwrap();
        let c = tugboat::endpoints::Connection::open(&p.endpoint, p.password)
            .await
            .unwrap();
        for i in 1..=16 {
            c.execute(&format!(
                "CREATE TABLE t{i:02} (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t{i:02} SELECT seq, 'x' FROM seq_1_to_{}",
                i * 100
            ))
            .await
            .unwrap();
        }
        c.close().await;
    });
    let dir = tempfile::tempdir().unwrap();
    let (mut source, spw) = support::mysql().endpoint("tug_gui_logs");
    source.name = "src".into();
    let (mut target, tpw) = support::pg().endpoint("tug_gui_logs_t");
    target.name = "dst".into();
    target.role = tugboat::endpoints::Role::Target;
    let project = tugboat::project::Project {
        name: "GUI logs".into(),
        endpoints: vec![source, target],
        tasks: vec![tugboat::tasks::Task {
            id: String::new(),
            name: "log check load".into(),
            source: "src".into(),
            target: "dst".into(),
            mappings: tugboat::tasks::mappings::TableMappings::all(),
            settings: Default::default(),
            task_type: tugboat::cdc::TaskType::FullLoad,
            stop_at: None,
        }],
        ..Default::default()
    };
    let file = dir.path().join("p.ron");
    project.save(&file).unwrap();
    let app = TugboatApp::new(Some(file), logs(), dir.path().to_path_buf()).expect("app starts");
    let ids: Vec<String> = app
        .state
        .project
        .endpoints
        .iter()
        .map(|e| e.id.clone())
        .collect();
    app.state.secrets.set(&ids[0], spw);
    app.state.secrets.set(&ids[1], tpw);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut TugboatApp| app.show(ui), app);
    h.step();
    h.get_by_role_and_label(Role::Button, "Monitor").click();
    h.step();
    h.step();
    h.get_by_label("Start log check load").click();
    wait_for(&mut h, "the task to finish", run_finished);
    h.step();
    let run = &h.state().monitor.runs[0];
    assert_eq!(run.status(), "load complete", "{:?}", run.finished);
    let tables: Vec<String> = run.tables().iter().map(|t| t.name.clone()).collect();
    assert_eq!(tables.len(), 16);
    let entries = logs().matching(|e| e.task.as_deref() == Some("log check load"));
    for t in &tables {
        assert!(
            entries.iter().any(
                |e| e.table.as_deref() == Some(t.as_str()) && e.message.contains("rows loaded")
            ),
            "no 'rows loaded' line for {t} in {:#?}",
            entries
        );
    }
    assert!(
        entries
            .iter()
            .any(|e| e.message.contains("task log check load: 16 tables")),
        "the task's last line is the task's"
    );
    for e in logs().snapshot() {
        assert!(
            !e.message.contains("/.cargo/") && !e.message.contains("log.file"),
            "a build path in the log: {}",
            e.message
        );
    }
    // The Monitor's task log shows this task's lines only.
    h.get_by_label("Task log").click();
    h.step();
    h.step();
    assert_eq!(h.state().monitor.log.task, "log check load");
    let shown = h.state().monitor.log.filtered(&logs());
    assert!(!shown.is_empty());
    assert!(
        shown
            .iter()
            .all(|e| e.task.as_deref() == Some("log check load"))
    );
}

/// The Tasks screen's mappings editor on the demo task, no server: a selection rule excluding
/// a table and a transformation rule adding a prefix go into the project, and the preview (the
/// demo source's catalog read in the background) shows the tables selected under their new
/// names.
#[test]
fn tasks_screen_edits_mappings_and_previews_them() {
    use tugboat::tasks::mappings::{SelectionAction, TransformAction};
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    wait_for(&mut h, "the demo database", |h| {
        h.state().state.demo_ready.is_some()
    });
    h.get_by_role_and_label(Role::Button, "Tasks").click();
    h.step();
    h.step();
    h.get_by_label("Add selection rule").click();
    h.step();
    h.step();
    let n = h.state().state.project.tasks[0].mappings.selection.len();
    h.get_by_label(&format!("Selection rule {n} action"))
        .click();
    h.step();
    h.step();
    h.get_by_label("exclude").click();
    h.step();
    h.get_by_label(&format!("Selection rule {n} table"))
        .set_text_value_accesskit("audit%");
    h.step();
    h.get_by_label("Add transformation rule").click();
    h.step();
    h.step();
    h.get_by_label("Transformation rule 1 action").click();
    h.step();
    h.step();
    h.get_by_label("add prefix").click();
    h.step();
    h.get_by_label("Transformation rule 1 text")
        .set_text_value_accesskit("old_");
    h.step();
    h.step();
    {
        let m = &h.state().state.project.tasks[0].mappings;
        assert_eq!(m.selection[n - 1].action, SelectionAction::Exclude);
        assert_eq!(m.selection[n - 1].table, "audit%");
        assert_eq!(
            m.transformations[0].action,
            TransformAction::AddPrefix("old_".into())
        );
        assert!(h.state().state.dirty, "the project has unsaved changes");
    }
    h.get_by_label("Read the source catalog").click();
    wait_for(&mut h, "the preview", |h| has(h, "source tables selected"));
    assert!(
        has(&h, "6 of 7 source tables selected"),
        "one table excluded"
    );
    assert!(
        has(&h, "old_tug_jobs"),
        "the prefix shows in the target names"
    );
    assert!(!has(&h, "old_audit_log"));
}

/// A full-load-and-cdc task started from the Monitor (MariaDB into SQLite): the load, then the
/// replication panel with its state and each table's changes as they are applied, then Stop at
/// a checkpoint.
#[test]
fn monitor_replicates_a_task_and_shows_its_changes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(support::mysql_database("tug_gui_cdc"));
    let src = rt.block_on(async {
        let p = tugboat::endpoints::Endpoint::parse_url(&url).unwrap();
        tugboat::endpoints::Connection::open(&p.endpoint, p.password)
            .await
            .unwrap()
    });
    rt.block_on(src.execute(
        "CREATE TABLE orders (id INT PRIMARY KEY, qty INT); INSERT INTO orders SELECT seq, seq FROM seq_1_to_50",
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut source, password) = support::mysql().endpoint("tug_gui_cdc");
    source.name = "shop (MariaDB)".into();
    let mut target = tugboat::endpoints::Endpoint::new(tugboat::endpoints::Engine::Sqlite);
    target.name = "copy (SQLite)".into();
    target.role = tugboat::endpoints::Role::Target;
    target.database = dir.path().join("copy.db").display().to_string();
    let project = tugboat::project::Project {
        name: "GUI replication".into(),
        endpoints: vec![source, target],
        tasks: vec![tugboat::tasks::Task {
            id: String::new(),
            name: "shop-repl".into(),
            source: "shop (MariaDB)".into(),
            target: "copy (SQLite)".into(),
            mappings: tugboat::tasks::mappings::TableMappings::all(),
            settings: Default::default(),
            task_type: tugboat::cdc::TaskType::FullLoadAndCdc,
            stop_at: None,
        }],
        ..Default::default()
    };
    let file = dir.path().join("p.ron");
    project.save(&file).unwrap();
    let app = TugboatApp::new(Some(file), logs(), dir.path().to_path_buf()).expect("app starts");
    // Passwords are the session's, by endpoint id.
    let source_id = app.state.project.endpoints[0].id.clone();
    app.state.secrets.set(&source_id, password);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut TugboatApp| app.show(ui), app);
    h.step();
    h.get_by_role_and_label(Role::Button, "Monitor").click();
    h.step();
    h.step();
    h.get_by_label("Start shop-repl").click();
    let t = Instant::now();
    while !has(&h, "Replication: ready to cut over") {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "no replication panel; the run: {:?}",
            h.state()
                .monitor
                .runs
                .first()
                .map(|r| (r.progress.step.clone(), r.finished.clone()))
        );
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    rt.block_on(src.execute(
        "INSERT INTO orders VALUES (51, 1), (52, 2); UPDATE orders SET qty = 0 WHERE id <= 3; DELETE FROM orders WHERE id = 50",
    ))
    .unwrap();
    wait_for(&mut h, "the changes applied", |h| {
        h.state()
            .monitor
            .runs
            .first()
            .and_then(|r| r.cdc.as_ref())
            .is_some_and(|c| {
                c.tables.iter().any(|(t, n)| {
                    t.ends_with("orders") && (n.inserts, n.updates, n.deletes) == (2, 3, 1)
                })
            })
    });
    assert!(has(&h, "6 changes applied"), "the panel counts them");
    h.get_by_label("Stop").click();
    wait_for(&mut h, "the stop", run_finished);
    h.step();
    assert!(
        has(&h, "stopped at checkpoint"),
        "the status says where it stopped"
    );
    rt.block_on(src.close());
}

/// The Monitor's cut-over window on a replicating task (MariaDB into SQLite, which keeps no
/// log): "Cut over" waits until the user says how writes stop; a dry run that would replicate
/// back is not ready and says why; without the reverse task it is ready; the cut-over itself
/// then stops the running task at the switch by itself, and the window shows each step.
#[test]
fn the_monitor_cuts_a_replicating_task_over_step_by_step() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(support::mysql_database("tug_gui_cut"));
    let src = rt.block_on(async {
        let p = tugboat::endpoints::Endpoint::parse_url(&url).unwrap();
        tugboat::endpoints::Connection::open(&p.endpoint, p.password)
            .await
            .unwrap()
    });
    rt.block_on(src.execute(
        "CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, qty INT); INSERT INTO orders (qty) SELECT seq FROM seq_1_to_50",
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut source, password) = support::mysql().endpoint("tug_gui_cut");
    source.name = "shop".into();
    let mut target = tugboat::endpoints::Endpoint::new(tugboat::endpoints::Engine::Sqlite);
    target.name = "copy".into();
    target.role = tugboat::endpoints::Role::Target;
    target.database = dir.path().join("copy.db").display().to_string();
    let project = tugboat::project::Project {
        name: "GUI cut-over".into(),
        endpoints: vec![source, target],
        tasks: vec![tugboat::tasks::Task {
            id: String::new(),
            name: "shop-repl".into(),
            source: "shop".into(),
            target: "copy".into(),
            mappings: tugboat::tasks::mappings::TableMappings::all(),
            settings: Default::default(),
            task_type: tugboat::cdc::TaskType::FullLoadAndCdc,
            stop_at: None,
        }],
        ..Default::default()
    };
    let file = dir.path().join("p.ron");
    project.save(&file).unwrap();
    let app = TugboatApp::new(Some(file), logs(), dir.path().to_path_buf()).expect("app starts");
    let source_id = app.state.project.endpoints[0].id.clone();
    app.state.secrets.set(&source_id, password);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1024.0, 700.0))
        .build_ui_state(|ui, app: &mut TugboatApp| app.show(ui), app);
    h.step();
    h.get_by_role_and_label(Role::Button, "Monitor").click();
    h.run_steps(2);
    h.get_by_label("Start shop-repl").click();
    wait_for(&mut h, "replication", |h| has(h, "ready to cut over"));
    h.get_by_label("Cut over shop-repl…").click();
    // (A window is measured, unseen, in its first frame.)
    wait_for(&mut h, "the window", |h| {
        has(h, "Check readiness (dry run)")
    });
    assert!(
        h.get_by_label("Cut over").accesskit_node().is_disabled(),
        "no cut-over before the user says how writes stop"
    );
    let outcome = |h: &Harness<'static, TugboatApp>| {
        h.state()
            .monitor
            .switch
            .as_ref()
            .is_some_and(|p| !p.running() && p.outcome().is_some())
    };
    h.get_by_label("Check readiness (dry run)").click();
    wait_for(&mut h, "the dry run", outcome);
    assert!(
        has(&h, "Not ready"),
        "SQLite cannot be replicated back from"
    );
    assert!(
        has(&h, "as the source of shop-repl-reverse"),
        "the finding names the reverse task"
    );
    h.get_by_label("Then replicate back with task shop-repl-reverse")
        .click();
    h.get_by_label("Check readiness (dry run)").click();
    h.step();
    wait_for(&mut h, "the second dry run", outcome);
    assert!(has(&h, "Ready: nothing was changed (dry run)."));
    h.get_by_label("Yes, writes are stopped").click();
    h.step();
    h.get_by_label("Cut over").click();
    h.step();
    wait_for(&mut h, "the cut-over", outcome);
    assert!(
        has(&h, "Switched: the application may write to"),
        "the outcome names the new database"
    );
    for step in ["checksums equal", "counters set past the rows", "switched"] {
        assert!(has(&h, step), "the window lists {step}");
    }
    // The task stopped by itself at the switch.
    wait_for(&mut h, "the task's stop", run_finished);
    let run = h.state().monitor.runs.first().expect("the run");
    assert_eq!(run.status(), "replication stopped");
    assert!(
        run.progress.step.contains("reached its stop"),
        "{}",
        run.progress.step
    );
    rt.block_on(src.close());
}
