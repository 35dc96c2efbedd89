//! The main window's menus and what they start: File (new, open, save, save as, the demo, quit),
//! View (theme), Help (about); the shortcuts Ctrl+O, Ctrl+S and Ctrl+Q; and the project files
//! read and written in the background, their errors shown in the window.

use std::path::PathBuf;

use egui::RichText;

use super::app::{DialogKind, FileJob, TugboatApp};
use super::files::{Job, PathPrompt, Prompted};
use super::screens::endpoints::EndpointsScreen;
use super::style;
use crate::project::Project;

const PROJECT_FILES: super::files::Filters = &[("Tugboat project", &["ron"])];

impl TugboatApp {
    pub(super) fn menu_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("menu_bar").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                ui.menu_button("File", |ui| self.file_menu(ui));
                ui.menu_button("View", |ui| {
                    let mut theme = ui.ctx().options(|o| o.theme_preference);
                    for (t, label) in [
                        (egui::ThemePreference::System, "Follow the system"),
                        (egui::ThemePreference::Light, "Light"),
                        (egui::ThemePreference::Dark, "Dark"),
                    ] {
                        if ui.radio_value(&mut theme, t, label).clicked() {
                            ui.ctx().set_theme(theme);
                            ui.close();
                        }
                    }
                });
                ui.menu_button("Help", |ui| {
                    if ui.button("About Tugboat").clicked() {
                        self.about = true;
                        ui.close();
                    }
                });
                ui.separator();
                ui.label(
                    RichText::new(format!(
                        "Project: {}{}",
                        self.state.project.name,
                        if self.state.dirty { " •" } else { "" }
                    ))
                    .strong(),
                );
                let path = match &self.state.project_path {
                    Some(p) => p.display().to_string(),
                    None => "(not saved)".into(),
                };
                ui.label(RichText::new(path).small().color(style::MUTED));
                if self.file_job.is_some() {
                    style::busy(ui);
                }
            });
        });
    }

    fn file_menu(&mut self, ui: &mut egui::Ui) {
        if ui.button("New project").clicked() {
            self.state.project = Project::default();
            self.state.project_path = None;
            self.state.dirty = false;
            self.endpoints = EndpointsScreen::default();
            ui.close();
        }
        if ui
            .add(egui::Button::new("Open project…").shortcut_text("Ctrl+O"))
            .clicked()
        {
            self.ask_path(DialogKind::Open);
            ui.close();
        }
        if ui
            .add(egui::Button::new("Save project").shortcut_text("Ctrl+S"))
            .clicked()
        {
            self.save_or_ask();
            ui.close();
        }
        if ui.button("Save project as…").clicked() {
            self.ask_path(DialogKind::SaveAs);
            ui.close();
        }
        if ui.button("Open demo project").clicked() {
            self.open_demo_project();
            self.endpoints = EndpointsScreen::default();
            ui.close();
        }
        ui.separator();
        if ui
            .add(egui::Button::new("Quit").shortcut_text("Ctrl+Q"))
            .clicked()
        {
            self.quit(ui.ctx());
            ui.close();
        }
    }

    /// Ctrl+O, Ctrl+S, Ctrl+Q; F5 does the current screen's refresh (test the endpoint, assess
    /// again, run the checks again).
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F5)) {
            match self.screen {
                super::screens::Screen::Endpoints => self.endpoints.refresh = true,
                super::screens::Screen::Conversion => self.conversion.refresh = true,
                super::screens::Screen::Overview => self.overview.refresh = true,
                _ => {}
            }
        }
        use egui::{Key, KeyboardShortcut, Modifiers};
        let pressed = |key| {
            ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key)))
        };
        if pressed(Key::O) {
            self.ask_path(DialogKind::Open);
        }
        if pressed(Key::S) {
            self.save_or_ask();
        }
        if pressed(Key::Q) {
            self.quit(ctx);
        }
    }

    fn quit(&mut self, ctx: &egui::Context) {
        if self.state.dirty {
            self.confirm_quit = true;
        } else {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn save_or_ask(&mut self) {
        match self.state.project_path.clone() {
            Some(p) => self.save(p),
            None => self.ask_path(DialogKind::SaveAs),
        }
    }

    fn ask_path(&mut self, kind: DialogKind) {
        let prompt = match kind {
            DialogKind::Open => PathPrompt::open(
                "Open project",
                PROJECT_FILES,
                self.state
                    .project_path
                    .as_ref()
                    .and_then(|p| p.parent())
                    .map(|d| format!("{}/", d.display()))
                    .unwrap_or_default(),
            ),
            DialogKind::SaveAs => {
                let name = format!(
                    "{}.ron",
                    self.state.project.name.replace(['/', '\\', ':'], "-")
                );
                let dir = self
                    .state
                    .project_path
                    .as_ref()
                    .and_then(|p| p.parent().map(PathBuf::from))
                    .or_else(|| std::env::current_dir().ok())
                    .unwrap_or_default();
                PathPrompt::save("Save project as", PROJECT_FILES, dir.join(name))
            }
        };
        self.prompt = Some((kind, prompt));
    }

    /// The path prompt, About, and the quit confirmation, when open.
    pub(super) fn windows(&mut self, ctx: &egui::Context) {
        if let Some((kind, prompt)) = &mut self.prompt {
            match prompt.ui(ctx) {
                Prompted::Waiting => {}
                Prompted::Cancelled => self.prompt = None,
                Prompted::Chosen(path) => match kind {
                    DialogKind::Open => self.open(path),
                    DialogKind::SaveAs => self.save(path),
                },
            }
        }
        if self.about {
            egui::Window::new("About Tugboat")
                .collapsible(false)
                .resizable(false)
                .open(&mut self.about)
                .show(ctx, |ui| {
                    ui.label(RichText::new(format!("Tugboat {}", env!("CARGO_PKG_VERSION"))).strong());
                    ui.label("A desktop database migration assistant: assess and convert a schema, load the data, replicate the changes, cut over.");
                    ui.label("Documentation: README.md and the docs/ folder of the source, or `tugboat --help` for the command line.");
                    ui.label(RichText::new("Licensed under the terms in the source's LICENSE file.").color(style::MUTED));
                });
        }
        if self.confirm_quit {
            egui::Window::new("Quit Tugboat")
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
                .show(ctx, |ui| {
                    ui.label("The project has unsaved changes.");
                    ui.horizontal(|ui| {
                        if ui.button("Quit without saving").clicked() {
                            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                        }
                        if ui.button("Cancel").clicked() {
                            self.confirm_quit = false;
                        }
                    });
                });
        }
    }

    /// Opens a project file in the background; on failure the current project stays as it was
    /// and the error is shown.
    pub fn open(&mut self, path: PathBuf) {
        let p = path.clone();
        let job = Job::spawn(&self.ctx_or_default(), move || Project::load(&p));
        self.file_job = Some(FileJob::Open(path, job));
    }

    /// Saves the project in the background (after checking it: names present and unique).
    pub fn save(&mut self, path: PathBuf) {
        if let Err(e) = self.state.project.validate() {
            self.file_failed(e.to_string());
            return;
        }
        let project = self.state.project.clone();
        let p = path.clone();
        let job = Job::spawn(&self.ctx_or_default(), move || project.save(&p));
        self.file_job = Some(FileJob::Save(path, job));
    }

    /// The path in the open project prompt, if one is open.
    pub fn prompt_path(&self) -> Option<String> {
        self.prompt.as_ref().map(|(_, p)| p.path.clone())
    }

    /// Whether a project file is being read or written.
    pub fn file_busy(&self) -> bool {
        self.file_job.is_some()
    }

    /// Takes the result of a project read or write, if it has arrived.
    pub(super) fn poll_files(&mut self) {
        let done = match &self.file_job {
            None => return,
            Some(FileJob::Open(path, job)) => job.poll().map(|r| (path.clone(), r.map(Some))),
            Some(FileJob::Save(path, job)) => job.poll().map(|r| (path.clone(), r.map(|()| None))),
        };
        let Some((path, result)) = done else { return };
        self.file_job = None;
        match result {
            Ok(Some(project)) => {
                self.state.project = project;
                self.state.project_path = Some(path.clone());
                self.state.dirty = false;
                self.endpoints = EndpointsScreen::default();
                self.prompt = None;
                self.state.message = Some((format!("Opened {}", path.display()), false));
                tracing::info!(target: "tugboat::project", "opened project {}", path.display());
            }
            Ok(None) => {
                self.state.project_path = Some(path.clone());
                self.state.dirty = false;
                self.prompt = None;
                self.state.message = Some((format!("Saved {}", path.display()), false));
            }
            Err(e) => self.file_failed(e.to_string()),
        }
    }

    /// A project file failed: said in the status bar and in the prompt, if one is open.
    fn file_failed(&mut self, message: String) {
        tracing::error!(target: "tugboat::project", "{message}");
        if let Some((_, prompt)) = &mut self.prompt {
            prompt.fail(message.clone());
        }
        self.state.message = Some((message, true));
    }
}
