//! File work for the app, never on the UI thread: background [`Job`]s that read or write files
//! and report back, the native file dialog run on its own thread, and the [`PathPrompt`]: a
//! path field with a Browse… button, so that a file can be chosen where no dialog can open (no
//! desktop portal, no zenity), and every failure is said in the window.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui::RichText;

use crate::gui::style;

/// Work running on its own thread; its result arrives once and wakes the window.
pub struct Job<T>(Receiver<T>);

impl<T: Send + 'static> Job<T> {
    pub fn spawn(ctx: &egui::Context, work: impl FnOnce() -> T + Send + 'static) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            // The receiver is gone only when the window closed: nothing to tell.
            if tx.send(work()).is_err() {
                return;
            }
            ctx.request_repaint();
        });
        Job(rx)
    }

    /// The result, once it is there; never waits.
    pub fn poll(&self) -> Option<T> {
        self.0.try_recv().ok()
    }
}

/// File-type filters of a dialog: (name, extensions).
pub type Filters = &'static [(&'static str, &'static [&'static str])];

/// A native dialog that answered "nothing" this fast, on a machine without zenity, could not
/// open at all (rfd returns at once when there is neither a desktop portal nor zenity).
fn no_dialog(started: Instant) -> bool {
    started.elapsed() < Duration::from_millis(600) && !on_path("zenity")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// What is said when no dialog could open.
pub const NO_DIALOG: &str =
    "No file dialog can open here (no desktop portal, no zenity): type or paste the path.";

/// The native dialog, on its own thread. `started` tells [`Browse::poll`] how fast it answered.
pub struct Browse {
    job: Job<Option<PathBuf>>,
    started: Instant,
}

/// What a dialog gave.
pub enum Browsed {
    Waiting,
    Chosen(PathBuf),
    /// Cancelled by the user.
    Nothing,
    /// No dialog could open.
    Unavailable,
}

impl Browse {
    pub fn open(
        ctx: &egui::Context,
        title: &str,
        filters: Filters,
        save_as: Option<String>,
    ) -> Self {
        let title = title.to_string();
        Browse {
            job: Job::spawn(ctx, move || {
                let mut d = rfd::FileDialog::new().set_title(title);
                for (name, ext) in filters {
                    d = d.add_filter(*name, ext);
                }
                match save_as {
                    Some(name) => d.set_file_name(name).save_file(),
                    None => d.pick_file(),
                }
            }),
            started: Instant::now(),
        }
    }

    pub fn poll(&self) -> Browsed {
        match self.job.poll() {
            None => Browsed::Waiting,
            Some(Some(p)) => Browsed::Chosen(p),
            Some(None) if no_dialog(self.started) => Browsed::Unavailable,
            Some(None) => Browsed::Nothing,
        }
    }
}

/// What the prompt's user did.
pub enum Prompted {
    Waiting,
    Chosen(PathBuf),
    Cancelled,
}

/// A small window asking for a file: a path field, Browse… (the native dialog) and the action.
pub struct PathPrompt {
    title: String,
    action: String,
    filters: Filters,
    /// The file name a save dialog suggests; None: an open dialog.
    save_as: Option<String>,
    pub path: String,
    browse: Option<Browse>,
    note: Option<(String, bool)>,
}

impl PathPrompt {
    /// A prompt to open a file.
    pub fn open(title: &str, filters: Filters, path: String) -> Self {
        Self::new(title, "Open", filters, None, path)
    }

    /// A prompt to save a file, `path` proposed.
    pub fn save(title: &str, filters: Filters, path: PathBuf) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        Self::new(
            title,
            "Save",
            filters,
            Some(name),
            path.display().to_string(),
        )
    }

    fn new(
        title: &str,
        action: &str,
        filters: Filters,
        save_as: Option<String>,
        path: String,
    ) -> Self {
        PathPrompt {
            title: title.into(),
            action: action.into(),
            filters,
            save_as,
            path,
            browse: None,
            note: None,
        }
    }

    /// A failure to show in the prompt (the file could not be read or written): it stays open.
    pub fn fail(&mut self, message: String) {
        self.note = Some((message, true));
    }

    pub fn ui(&mut self, ctx: &egui::Context) -> Prompted {
        if let Some(b) = &self.browse {
            match b.poll() {
                Browsed::Waiting => {}
                Browsed::Chosen(p) => {
                    self.browse = None;
                    self.path = p.display().to_string();
                    self.note = None;
                }
                Browsed::Nothing => self.browse = None,
                Browsed::Unavailable => {
                    self.browse = None;
                    self.note = Some((NO_DIALOG.into(), false));
                }
            }
        }
        let mut outcome = Prompted::Waiting;
        let mut open = true;
        egui::Window::new(&self.title)
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let l = ui.label("Path");
                    let r = ui
                        .add(egui::TextEdit::singleline(&mut self.path).desired_width(420.0))
                        .labelled_by(l.id);
                    if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        outcome = self.chosen();
                    }
                    if ui
                        .add_enabled(self.browse.is_none(), egui::Button::new("Browse…"))
                        .clicked()
                    {
                        self.browse = Some(Browse::open(
                            ui.ctx(),
                            &self.title,
                            self.filters,
                            self.save_as.clone(),
                        ));
                    }
                });
                if let Some((text, error)) = &self.note {
                    let text = RichText::new(text.as_str());
                    ui.label(if *error {
                        text.color(style::ERROR)
                    } else {
                        text.color(style::MUTED)
                    });
                }
                ui.horizontal(|ui| {
                    if ui.button(&self.action).clicked() {
                        outcome = self.chosen();
                    }
                    if ui.button("Cancel").clicked() {
                        outcome = Prompted::Cancelled;
                    }
                });
            });
        if !open {
            outcome = Prompted::Cancelled;
        }
        outcome
    }

    fn chosen(&mut self) -> Prompted {
        let p = self.path.trim();
        if p.is_empty() {
            self.note = Some(("Type a path, or use Browse….".into(), true));
            return Prompted::Waiting;
        }
        Prompted::Chosen(PathBuf::from(p))
    }
}
