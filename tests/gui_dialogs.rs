//! File → Open and File → Save as through the app's path prompt and its Browse… button, the
//! native dialog answered by a fake `zenity` (rfd's fallback when no desktop portal runs). A
//! test binary of its own: it changes PATH.

// A panic in a test is the test failing.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tugboat::endpoints::{Endpoint, Engine};
use tugboat::gui::TugboatApp;
use tugboat::project::Project;

fn fake_zenity(dir: &Path, open: &Path, save: &Path) {
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = \"--save\" ] && {{ echo '{}'; exit 0; }}; done\necho '{}'\n",
        save.display(),
        open.display()
    );
    let path = dir.join("zenity");
    std::fs::write(&path, script).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&path)
        .status()
        .unwrap();
}

fn wait_for(h: &mut Harness<'static, TugboatApp>, what: &str, done: impl Fn(&TugboatApp) -> bool) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(30) {
        h.step();
        if done(h.state()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn open_and_save_as_go_through_the_file_dialogs() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let open = dir.path().join("existing.ron");
    let save = dir.path().join("saved copy.ron");
    let mut p = Project {
        name: "From disk".into(),
        ..Default::default()
    };
    let mut e = Endpoint::new(Engine::MariaDb);
    e.name = "warehouse".into();
    p.endpoints.push(e);
    p.save(&open).unwrap();
    fake_zenity(&bin, &open, &save);
    // SAFETY: the only test of this binary; set before any thread that reads the environment.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
        std::env::remove_var("DBUS_SESSION_BUS_ADDRESS");
        std::env::set_var("XDG_RUNTIME_DIR", dir.path());
    }

    let app = TugboatApp::new(
        None,
        tugboat::logging::LogBuffer::default(),
        dir.path().join("data"),
    )
    .unwrap();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut TugboatApp| app.show(ui), app);
    h.step();
    h.get_by_role_and_label(egui::accesskit::Role::Button, "File")
        .click();
    h.step();
    h.step();
    h.step();
    h.get_by_label_contains("Open project…").click();
    h.run_steps(3);
    h.get_by_label("Browse…").click();
    wait_for(&mut h, "the dialog's answer", |app| {
        app.prompt_path().as_deref() == Some(open.display().to_string().as_str())
    });
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Open")
        .click();
    wait_for(&mut h, "the opened project", |app| {
        app.state.project.name == "From disk"
    });
    assert_eq!(
        h.state().state.project_path.as_deref(),
        Some(open.as_path())
    );
    assert_eq!(h.state().state.project.endpoints[0].name, "warehouse");

    h.get_by_role_and_label(egui::accesskit::Role::Button, "File")
        .click();
    h.step();
    h.step();
    h.step();
    h.get_by_label("Save project as…").click();
    h.run_steps(3);
    h.get_by_label("Browse…").click();
    wait_for(&mut h, "the dialog's answer", |app| {
        app.prompt_path().as_deref() == Some(save.display().to_string().as_str())
    });
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Save")
        .click();
    wait_for(&mut h, "the saved project", |app| {
        app.state.project_path.as_deref() == Some(save.as_path())
    });
    assert_eq!(Project::load(&save).unwrap(), Project::load(&open).unwrap());
    assert!(!h.state().state.dirty);
}
