//! The desktop app (eframe/egui): a thin client of the engine.
//!
//! [`app::TugboatApp`] owns the UI state and the background [`crate::runtime::Runtime`]; each
//! frame it drains engine events and draws the current screen. Screens live in [`screens`], one
//! struct with a `ui` method each. Nothing here waits on I/O.

pub mod app;
pub mod files;
mod menu;
pub mod screens;
pub mod style;

use std::path::PathBuf;
use std::process::ExitCode;

pub use app::TugboatApp;

use crate::logging::LogBuffer;

/// Opens the main window; returns when it is closed.
pub fn run(project: Option<PathBuf>, logs: LogBuffer) -> ExitCode {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([900.0, 560.0])
            .with_title("Tugboat"),
        ..Default::default()
    };
    let result = eframe::run_native(
        "Tugboat",
        options,
        Box::new(move |_cc| {
            let app = TugboatApp::new(project, logs, crate::demo::data_dir())
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(app))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}
