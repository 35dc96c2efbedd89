//! The main window: navigation, the File menu (new, open, save), the status bar, and the routing
//! of engine events to the screens. UI state lives here; engine state lives in the engine.

use std::path::PathBuf;

use egui::RichText;

use super::files::{Job, PathPrompt};
use super::screens::Screen;
use super::screens::conversion::ConversionScreen;
use super::screens::endpoints::EndpointsScreen;
use super::screens::logs::LogsScreen;
use super::screens::monitor::MonitorScreen;
use super::screens::overview::{Facts, OverviewScreen};
use super::screens::tasks::TasksScreen;
use super::style;
use crate::endpoints::SessionSecrets;
use crate::logging::LogBuffer;
use crate::project::Project;
use crate::runtime::{Command, EventKind, Runtime};

/// What every screen may read and change.
pub struct AppState {
    pub project: Project,
    pub project_path: Option<PathBuf>,
    /// Unsaved changes.
    pub dirty: bool,
    pub runtime: Runtime,
    pub secrets: SessionSecrets,
    pub logs: LogBuffer,
    /// The last message for the status bar, and whether it is an error.
    pub message: Option<(String, bool)>,
    pub demo_ready: Option<Result<(), String>>,
    /// Where the demo database is built.
    pub data_dir: PathBuf,
    /// A cut-over asked for from the overview: the task whose window the Monitor opens.
    pub pending_switch: Option<String>,
}

/// A project file being chosen (open or save as).
pub(super) enum DialogKind {
    Open,
    SaveAs,
}

/// A project file being read or written in the background.
pub(super) enum FileJob {
    Open(PathBuf, Job<crate::error::Result<Project>>),
    Save(PathBuf, Job<crate::error::Result<()>>),
}

pub struct TugboatApp {
    pub state: AppState,
    pub screen: Screen,
    pub overview: OverviewScreen,
    pub endpoints: EndpointsScreen,
    pub logs_screen: LogsScreen,
    pub conversion: ConversionScreen,
    pub tasks: TasksScreen,
    pub monitor: MonitorScreen,
    pub(super) prompt: Option<(DialogKind, PathPrompt)>,
    pub(super) file_job: Option<FileJob>,
    /// Help → About is open.
    pub(super) about: bool,
    /// Quit was asked with unsaved changes: confirming.
    pub(super) confirm_quit: bool,
    title: String,
    waker_set: bool,
    /// The window's context, once it has drawn (background jobs wake it).
    ctx: Option<egui::Context>,
}

impl TugboatApp {
    /// Opens `project` if given, else the embedded demo project (built under `data_dir`).
    pub fn new(
        project: Option<PathBuf>,
        logs: LogBuffer,
        data_dir: PathBuf,
    ) -> std::io::Result<Self> {
        let runtime = Runtime::new()?;
        let mut state = AppState {
            project: Project::default(),
            project_path: None,
            dirty: false,
            runtime,
            secrets: SessionSecrets::default(),
            logs,
            message: None,
            demo_ready: None,
            data_dir,
            pending_switch: None,
        };
        match project {
            Some(path) => match Project::load(&path) {
                Ok(p) => {
                    tracing::info!(target: "tugboat::project", "opened project {}", path.display());
                    state.project = p;
                    state.project_path = Some(path);
                }
                Err(e) => {
                    tracing::error!(target: "tugboat::project", "{e}");
                    state.message = Some((e.to_string(), true));
                    Self::open_demo(&mut state);
                }
            },
            None => Self::open_demo(&mut state),
        }
        Ok(TugboatApp {
            state,
            screen: Screen::Overview,
            overview: OverviewScreen::default(),
            endpoints: EndpointsScreen::default(),
            logs_screen: LogsScreen::default(),
            conversion: ConversionScreen::default(),
            tasks: TasksScreen::default(),
            monitor: MonitorScreen::default(),
            prompt: None,
            file_job: None,
            about: false,
            confirm_quit: false,
            title: String::new(),
            waker_set: false,
            ctx: None,
        })
    }

    fn open_demo(state: &mut AppState) {
        let dir = state.data_dir.clone();
        state.project = crate::demo::demo_project(&dir);
        state.project_path = None;
        let (source, _) = crate::demo::demo_paths(&dir);
        state.runtime.submit(Command::PrepareDemo { path: source });
    }

    /// Drains engine events; never waits.
    fn pump_events(&mut self) {
        for event in self.state.runtime.poll() {
            match &event.kind {
                EventKind::DemoReady(r) => {
                    if let Err(e) = r {
                        self.state.message = Some((format!("demo database: {e}"), true));
                    }
                    self.state.demo_ready = Some(r.clone());
                }
                EventKind::Assessed(_)
                | EventKind::ApplyProgress { .. }
                | EventKind::SchemaApplied(_) => self.conversion.on_event(event),
                EventKind::Task(_) | EventKind::TaskFinished(_) => self.monitor.on_event(event),
                EventKind::Status(_) => self.monitor.overview.on_event(event),
                EventKind::SwitchProgress(_) | EventKind::Switched(_) => {
                    let planned = matches!(
                        &event.kind,
                        EventKind::SwitchProgress(crate::cutover::Event::Planned(_))
                    );
                    self.monitor.on_switch_event(event, &mut self.state);
                    // The reverse task is kept in the project file before anything changes,
                    // as the CLI keeps it.
                    if let Some(path) = self.state.project_path.clone().filter(|_| planned) {
                        self.save(path);
                    }
                }
                EventKind::Checked(_) => self.overview.on_event(event),
                EventKind::Discovered(_) if self.tasks.preview_request == Some(event.request) => {
                    self.tasks.on_event(event)
                }
                _ => self.endpoints.on_event(event),
            }
        }
    }

    /// Draws the whole window into `ui`.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        if !self.waker_set {
            let ctx = ui.ctx().clone();
            self.state.runtime.set_waker(move || ctx.request_repaint());
            self.waker_set = true;
            self.ctx = Some(ui.ctx().clone());
            add_system_fonts(ui.ctx());
        }
        self.pump_events();
        self.poll_files();
        self.shortcuts(ui.ctx());
        self.update_title(ui.ctx());
        self.menu_bar(ui);
        self.windows(ui.ctx());
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.horizontal(|ui| match &self.state.message {
                Some((m, true)) => {
                    ui.colored_label(style::ERROR, m);
                }
                Some((m, false)) => {
                    ui.label(m);
                }
                None => {
                    ui.label(RichText::new("Ready").color(style::MUTED));
                }
            });
        });
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(170.0)
            .show(ui, |ui| {
                ui.add_space(6.0);
                ui.label(RichText::new("Tugboat").size(20.0).strong());
                ui.add_space(10.0);
                for s in Screen::ALL {
                    let text = RichText::new(s.label()).size(15.0);
                    if ui
                        .add_sized(
                            [150.0, 28.0],
                            egui::Button::selectable(self.screen == s, text),
                        )
                        .clicked()
                    {
                        self.screen = s;
                    }
                }
            });
        egui::CentralPanel::default().show(ui, |ui| match self.screen {
            Screen::Overview => {
                let facts = Facts {
                    endpoints: &self.endpoints,
                    conversion: &self.conversion,
                    monitor: &self.monitor,
                };
                if let Some(s) = self.overview.ui(ui, &mut self.state, &facts) {
                    self.screen = s;
                }
            }
            Screen::Endpoints => self.endpoints.ui(ui, &mut self.state),
            Screen::Logs => self.logs_screen.ui(ui, &self.state.logs),
            Screen::Conversion => {
                self.conversion.ui(ui, &mut self.state);
                if let Some(id) = self.conversion.created_task.take() {
                    self.tasks.selected = self.state.project.tasks.iter().position(|t| t.id == id);
                    self.screen = Screen::Tasks;
                }
            }
            Screen::Tasks => {
                if let Some(i) = self.tasks.ui(ui, &mut self.state) {
                    let task = self.state.project.tasks[i].clone();
                    match self.monitor.start(&mut self.state, &task, vec![], false) {
                        Ok(()) => self.screen = Screen::Monitor,
                        Err(e) => self.state.message = Some((e, true)),
                    }
                }
            }
            Screen::Monitor => self.monitor.ui(ui, &mut self.state),
        });
    }

    /// The window's context (a detached one before the first frame: nothing to wake then).
    pub(super) fn ctx_or_default(&self) -> egui::Context {
        self.ctx.clone().unwrap_or_default()
    }

    pub(super) fn open_demo_project(&mut self) {
        Self::open_demo(&mut self.state);
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let title = format!(
            "Tugboat — {}{}",
            self.state.project.name,
            if self.state.dirty { " (unsaved)" } else { "" }
        );
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }
}

impl eframe::App for TugboatApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}

/// egui's own fonts cover Latin and Cyrillic only; data and logs hold anything (⚓, →, Greek,
/// box drawing...). Wide-coverage system fonts, where installed, are added as fallbacks, so such
/// text is drawn rather than shown as empty boxes.
fn add_system_fonts(ctx: &egui::Context) {
    use egui::{FontInsert, FontPriority, InsertFontFamily};
    let fonts = [
        (
            "DejaVuSans",
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            egui::FontFamily::Proportional,
        ),
        (
            "DejaVuSansMono",
            "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
            egui::FontFamily::Monospace,
        ),
        (
            "NotoSansSymbols2",
            "/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
            egui::FontFamily::Proportional,
        ),
    ];
    for (name, path, family) in fonts {
        if let Ok(bytes) = std::fs::read(path) {
            ctx.add_font(FontInsert {
                name: name.into(),
                data: egui::FontData::from_owned(bytes),
                families: vec![InsertFontFamily {
                    family,
                    priority: FontPriority::Lowest,
                }],
            });
        }
    }
}
