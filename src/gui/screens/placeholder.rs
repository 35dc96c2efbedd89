//! Screens not built yet: each says what it will hold, so the whole product can be navigated.

use super::Screen;
use crate::gui::style;

pub fn ui(ui: &mut egui::Ui, screen: Screen) {
    let (title, lines): (&str, &[&str]) = match screen {
        Screen::Tasks => (
            "Migration tasks",
            &[
                "Create and edit tasks: full load, full load and CDC, or CDC only, between two endpoints.",
                "Table mappings with DMS's selection and transformation rules, with a preview of the target names.",
                "Settings: table preparation, parallel and partitioned loading, LOB handling, error policy.",
            ],
        ),
        Screen::Monitor => (
            "Monitor",
            &[
                "Start, stop, resume and reload tables of running tasks.",
                "Per-table statistics live: state, rows loaded, rows/s, ETA, errors, validation.",
                "Throughput and latency charts, a log pane and the apply-exceptions pane.",
            ],
        ),
        _ => ("", &[]),
    };
    ui.label(style::heading(title));
    ui.add_space(8.0);
    ui.label(egui::RichText::new("Not built yet. This screen will hold:").color(style::MUTED));
    for l in lines {
        ui.label(format!("•  {l}"));
    }
}
