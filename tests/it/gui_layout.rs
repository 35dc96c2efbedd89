//! Every screen of the app at a laptop's 1024×700 and at 1920×1080, with the demo loaded and its
//! task run: each screen's primary buttons are inside the window, where a user can click them
//! (no panel pushes them past the edge, no text cut them off).

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tugboat::gui::TugboatApp;

use crate::gui::wait_for;

/// The primary buttons of each screen, by the navigation button that opens it.
const SCREENS: &[(&str, &[&str])] = &[
    (
        "Overview",
        &["Open Endpoints", "Run the checks", "Open Monitor"],
    ),
    (
        "Endpoints",
        &[
            "Add endpoint",
            "Duplicate",
            "Delete",
            "Test connection",
            "Browse schema",
        ],
    ),
    (
        "Schema conversion",
        &[
            "Assess",
            "Save report…",
            "Create a task from this assessment",
            "Apply to target",
        ],
    ),
    (
        "Tasks",
        &["New task", "Start in the Monitor", "Delete task"],
    ),
    (
        "Monitor",
        &[
            "Start Harbor full load again (resume)",
            "Validate Harbor full load",
        ],
    ),
    ("Logs", &["Clear"]),
];

fn at_size(w: f32, h: f32) {
    let dir = tempfile::tempdir().unwrap();
    let app =
        TugboatApp::new(None, crate::gui::logs(), dir.path().to_path_buf()).expect("app starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(w, h))
        .build_ui_state(|ui, app: &mut TugboatApp| app.show(ui), app);
    wait_for(&mut harness, "the demo database", |h| {
        h.state().state.demo_ready.is_some()
    });
    // The Monitor with data: the demo task run once.
    harness
        .get_by_role_and_label(Role::Button, "Monitor")
        .click();
    harness.run();
    harness.get_by_label("Start Harbor full load").click();
    wait_for(&mut harness, "the demo task", |h| {
        h.state()
            .monitor
            .runs
            .first()
            .is_some_and(|r| r.finished.is_some())
    });
    // Schema conversion with a report: its actions too.
    harness
        .get_by_role_and_label(Role::Button, "Schema conversion")
        .click();
    harness.run();
    harness.get_by_label("Assess").click();
    wait_for(&mut harness, "the assessment", |h| {
        h.state().conversion.report.is_some()
    });
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(w, h));
    let mut outside = vec![];
    for (screen, buttons) in SCREENS {
        harness.get_by_role_and_label(Role::Button, screen).click();
        harness.run();
        for b in *buttons {
            let Some(node) = harness.query_by_label(b) else {
                outside.push(format!("{screen}: “{b}” not shown"));
                continue;
            };
            let r = node.rect();
            if !window.contains_rect(r) {
                outside.push(format!("{screen}: “{b}” at {r:?}"));
            }
        }
    }
    assert!(
        outside.is_empty(),
        "at {w}×{h}, buttons out of the window: {outside:#?}"
    );
}

#[test]
fn every_screen_fits_a_laptop_window() {
    at_size(1024.0, 700.0);
}

#[test]
fn every_screen_fits_a_large_window() {
    at_size(1920.0, 1080.0);
}
