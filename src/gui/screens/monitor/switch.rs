//! The Monitor's cut-over and fallback window: how the application's writes stop, a dry run
//! (readiness only), then the switch with each step and its duration as the engine reports it
//! (the same steps and figures `tugboat cutover` prints). When it is done the reverse task (or
//! at a fallback the forward task) is kept in the project and started in the Monitor.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use egui::RichText;

use crate::cutover::journal::Step;
use crate::cutover::way::Way;
use crate::cutover::{Event as SwitchEvent, Options, Switched, Writes};
use crate::gui::app::AppState;
use crate::gui::style;
use crate::runtime::{Command, Event, EventKind, RequestId};
use crate::tasks::Task;

/// A step as shown: done (with its seconds) or under way.
struct Line {
    step: Step,
    seconds: Option<f64>,
    detail: String,
    earlier: bool,
}

/// One cut-over or fallback of a task, from the choice of how writes stop to its end.
pub struct SwitchPanel {
    pub way: Way,
    /// The forward task's name.
    pub task: String,
    read_only: bool,
    writes_stopped: bool,
    then: bool,
    request: Option<(RequestId, bool)>,
    cancel: Arc<AtomicBool>,
    findings: Vec<(crate::cdc::checks::Status, String)>,
    lines: Vec<Line>,
    notes: Vec<String>,
    /// How it ended: a dry run's verdict, the switch done, or why it failed.
    outcome: Option<Result<String, String>>,
    /// The switch is done: nothing more to do here.
    switched: bool,
}

impl SwitchPanel {
    pub fn new(way: Way, task: &str) -> SwitchPanel {
        SwitchPanel {
            way,
            task: task.to_string(),
            read_only: false,
            writes_stopped: false,
            then: true,
            request: None,
            cancel: Arc::new(AtomicBool::new(false)),
            findings: vec![],
            lines: vec![],
            notes: vec![],
            outcome: None,
            switched: false,
        }
    }

    /// A switch or dry run is under way.
    pub fn running(&self) -> bool {
        self.request.is_some()
    }

    /// How the last switch or dry run ended: what it said, or why it failed.
    pub fn outcome(&self) -> Option<&Result<String, String>> {
        self.outcome.as_ref()
    }

    pub fn owns(&self, e: &Event) -> bool {
        self.request.is_some_and(|(r, _)| r == e.request)
    }

    /// A progress event or the end. Returns the task to start once the switch is done.
    pub fn on_event(&mut self, e: Event, state: &mut AppState) -> Option<Task> {
        match e.kind {
            EventKind::SwitchProgress(p) => {
                self.progress(p, state);
                None
            }
            EventKind::Switched(r) => self.finish(r, state),
            _ => None,
        }
    }

    fn progress(&mut self, p: SwitchEvent, state: &mut AppState) {
        match p {
            SwitchEvent::Started(step) => self.lines.push(Line {
                step,
                seconds: None,
                detail: String::new(),
                earlier: false,
            }),
            SwitchEvent::Done {
                step,
                seconds,
                detail,
                earlier,
            } => {
                self.lines.retain(|l| l.step != step);
                self.lines.push(Line {
                    step,
                    seconds: Some(seconds),
                    detail,
                    earlier,
                });
            }
            SwitchEvent::Finding { status, what } => self.findings.push((status, what)),
            SwitchEvent::Note(n) => self.notes.push(n),
            SwitchEvent::Planned(y) => {
                // Kept in the project before anything changes (as the CLI saves it).
                state.project.tasks.retain(|t| t.name != y.name);
                state.project.tasks.push(*y);
                state.project.settle_ids();
                state.dirty = true;
            }
            SwitchEvent::Task(_) => {}
        }
    }

    fn finish(&mut self, r: Result<Box<Switched>, String>, state: &mut AppState) -> Option<Task> {
        let dry = self.request.take().is_some_and(|(_, d)| d);
        // A step still under way when the switch ended did not finish.
        for l in self.lines.iter_mut().filter(|l| l.seconds.is_none()) {
            l.detail = "not finished".into();
        }
        let (then, new) = self.then_and_new(state);
        match r {
            Err(e) => {
                self.outcome = Some(Err(e));
                None
            }
            Ok(s) if s.already => {
                self.outcome = Some(Ok(format!(
                    "Task {} was switched already: the application writes to {new}.",
                    self.task
                )));
                // (A dry run leaves "Cut over" to place the reverse task again if the project
                // lost it.)
                self.switched = !dry;
                then.filter(|_| self.then && !dry)
            }
            Ok(s) if dry && s.not_ready.is_empty() => {
                self.outcome = Some(Ok("Ready: nothing was changed (dry run).".into()));
                None
            }
            Ok(s) if dry => {
                self.outcome = Some(Err(format!("Not ready: {}", s.not_ready.join("; "))));
                None
            }
            Ok(s) => {
                let window: f64 = s
                    .steps
                    .iter()
                    .filter(|e| e.step >= Step::StopWrites)
                    .map(|e| e.seconds)
                    .sum();
                self.outcome = Some(Ok(format!(
                    "Switched: the application may write to {new} now. Writes were stopped for {window:.1} s."
                )));
                self.switched = true;
                state.message =
                    Some((format!("{} of {} done", self.way.label(), self.task), false));
                then.filter(|_| self.then)
            }
        }
    }

    /// The task that replicates after the switch, and the database the application moves to.
    fn then_and_new(&self, state: &AppState) -> (Option<Task>, String) {
        let name = self.way.then_task(&self.task);
        let then = state.project.tasks.iter().find(|t| t.name == name).cloned();
        let new = self
            .endpoint(state, false)
            .map_or_else(|| "the other database".to_string(), |e| e.label());
        (then, new)
    }

    /// The endpoint the application leaves (`leaves`), or the one it moves to.
    fn endpoint<'a>(
        &self,
        state: &'a AppState,
        leaves: bool,
    ) -> Option<&'a crate::endpoints::Endpoint> {
        let f = state.project.tasks.iter().find(|t| t.name == self.task)?;
        // A cut-over leaves the forward task's source; a fallback its target.
        let e = match (self.way == Way::Cutover) == leaves {
            true => &f.source,
            false => &f.target,
        };
        state.project.task_endpoint(e)
    }

    /// Submits the switch (or its dry run) to the runtime.
    fn submit(&mut self, state: &mut AppState, dry_run: bool) -> Result<(), String> {
        let forward = state
            .project
            .tasks
            .iter()
            .find(|t| t.name == self.task)
            .cloned()
            .ok_or_else(|| format!("no task {} in the project", self.task))?;
        let endpoint = |r: &str| {
            let e = state
                .project
                .task_endpoint(r)
                .cloned()
                .ok_or_else(|| format!("task {} has no endpoint '{r}'", forward.name))?;
            let pw = state.secrets.get(&e.id);
            Ok::<_, String>((e, pw))
        };
        let (old, new) = (endpoint(&forward.source)?, endpoint(&forward.target)?);
        self.findings.clear();
        self.lines.clear();
        self.notes.clear();
        self.outcome = None;
        self.cancel = Arc::new(AtomicBool::new(false));
        let options = Options {
            writes: if self.read_only {
                Writes::MakeReadOnly
            } else {
                Writes::Stopped
            },
            dry_run,
            then: self.then,
            catch_up: std::time::Duration::from_secs(600),
        };
        let request = state
            .runtime
            .submit(Command::Switch(Box::new(crate::runtime::SwitchJob {
                way: self.way,
                forward,
                tasks: state.project.tasks.clone(),
                old,
                new,
                options,
                cancel: self.cancel.clone(),
            })));
        self.request = Some((request, dry_run));
        Ok(())
    }

    /// The window; false once closed.
    pub fn ui(&mut self, ctx: &egui::Context, state: &mut AppState) -> bool {
        let mut open = true;
        let title = match self.way {
            Way::Cutover => format!("Cut over {}", self.task),
            Way::Fallback => format!("Fall back {}", self.task),
        };
        egui::Window::new(title)
            .collapsible(false)
            .open(&mut open)
            .default_width(620.0)
            .max_width(720.0)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 40.0])
            .show(ctx, |ui| self.body(ui, state));
        // (Closing the window does not stop a switch under way: it goes on in the background.)
        open || self.request.is_some()
    }

    fn body(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        // (Once switched, nothing more to ask.)
        let running = self.request.is_some() || self.switched;
        let (leaves, then_name) = self.names(state);
        ui.label(
            RichText::new(format!(
                "Every change up to the moment writes stop is applied, the tables are compared by checksums, counters (sequences, AUTO_INCREMENT) are set past the rows; then the application may write to the other database{}.",
                if self.then { format!(", and task {then_name} replicates its changes back") } else { String::new() }
            ))
            .color(style::MUTED),
        );
        ui.add_enabled_ui(!running, |ui| {
            ui.radio_value(
                &mut self.read_only,
                false,
                format!("I have stopped the application's writes to {leaves}"),
            );
            if !self.read_only {
                ui.indent("stopped", |ui| {
                    ui.checkbox(&mut self.writes_stopped, "Yes, writes are stopped");
                });
            }
            let undone = match self.way {
                Way::Cutover => "undone by a fallback",
                Way::Fallback => "undone by the next cut-over",
            };
            ui.radio_value(
                &mut self.read_only,
                true,
                format!("Make {leaves} read-only ({undone})"),
            );
            ui.checkbox(
                &mut self.then,
                format!("Then replicate back with task {then_name}"),
            );
        });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!running, egui::Button::new("Check readiness (dry run)"))
                .clicked()
                && let Err(e) = self.submit(state, true)
            {
                self.outcome = Some(Err(e));
            }
            let can = !running && (self.read_only || self.writes_stopped);
            let label = match self.way {
                Way::Cutover => "Cut over",
                Way::Fallback => "Fall back",
            };
            if ui
                .add_enabled(can, egui::Button::new(RichText::new(label).strong()))
                .on_disabled_hover_text("Say how the application's writes stop first")
                .clicked()
                && let Err(e) = self.submit(state, false)
            {
                self.outcome = Some(Err(e));
            }
            if self.request.is_some() {
                ui.spinner();
                if ui.button("Stop").clicked() {
                    self.cancel
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
        });
        self.report(ui);
    }

    /// The database the application leaves, and the task that replicates afterwards.
    fn names(&self, state: &AppState) -> (String, String) {
        let leaves = self
            .endpoint(state, true)
            .map_or_else(|| "the source".to_string(), |e| e.name.clone());
        (leaves, self.way.then_task(&self.task))
    }

    /// Findings, steps with their seconds, notes, and the outcome.
    fn report(&self, ui: &mut egui::Ui) {
        egui::ScrollArea::vertical()
            .max_height(360.0)
            .show(ui, |ui| {
                for (status, what) in &self.findings {
                    use crate::cdc::checks::Status;
                    let (mark, color) = match status {
                        Status::Passed => ("✔", style::OK),
                        Status::Warning => ("⚠", style::WARN),
                        Status::Failed => ("✖", style::ERROR),
                    };
                    ui.label(RichText::new(format!("{mark} {what}")).color(color));
                }
                if !self.lines.is_empty() {
                    ui.separator();
                }
                // One wrapped line a step: the window keeps its width whatever the detail. A
                // bar before each gives its share of the longest step.
                let longest = self
                    .lines
                    .iter()
                    .filter_map(|l| l.seconds.filter(|_| !l.earlier))
                    .fold(0.0_f64, f64::max);
                for l in &self.lines {
                    ui.horizontal_wrapped(|ui| {
                        duration_bar(ui, l.seconds.filter(|_| !l.earlier), longest);
                        match (l.seconds, l.earlier) {
                            (None, _) if self.request.is_some() => ui.spinner(),
                            (None, _) => ui.label("–"),
                            (Some(_), true) => ui.label("✔ (earlier run)"),
                            (Some(s), false) => ui.label(format!("✔ {s:.1} s")),
                        };
                        ui.label(RichText::new(l.step.label()).strong());
                        ui.label(RichText::new(&l.detail).color(style::MUTED));
                    });
                }
                for n in &self.notes {
                    ui.label(RichText::new(n).color(style::MUTED));
                }
            });
        match &self.outcome {
            Some(Ok(m)) => {
                ui.label(RichText::new(m).color(style::OK).strong());
            }
            Some(Err(e)) => {
                ui.label(RichText::new(e).color(style::ERROR));
            }
            None => {}
        }
    }
}

/// A bar 60 points long for the longest step, shorter for the others (empty for a step not
/// timed in this run).
fn duration_bar(ui: &mut egui::Ui, seconds: Option<f64>, longest: f64) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(60.0, 10.0), egui::Sense::hover());
    ui.painter()
        .rect_stroke(rect, 2.0, (1.0, style::MUTED), egui::StrokeKind::Inside);
    if let Some(s) = seconds.filter(|_| longest > 0.0) {
        let mut bar = rect;
        bar.set_width((60.0 * s / longest).max(1.0) as f32);
        ui.painter().rect_filled(bar, 2.0, style::OK);
    }
}
