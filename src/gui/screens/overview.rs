//! The Project overview, the home screen: the migration as steps, each with where it stands now
//! (read from the other screens' live state) and one click to the screen that acts on it:
//! endpoints tested → premigration checks → assessment → schema applied → full load (validated)
//! → replication → ready to cut over. The premigration checks run here, in the background.

use egui::RichText;

use super::Screen;
use super::conversion::ConversionScreen;
use super::endpoints::EndpointsScreen;
use super::monitor::MonitorScreen;
use crate::cdc::checks::{Check, Status};
use crate::gui::app::AppState;
use crate::gui::style;
use crate::runtime::{Command, Event, EventKind, RequestId};

/// What the other screens know, read by the overview.
pub struct Facts<'a> {
    pub endpoints: &'a EndpointsScreen,
    pub conversion: &'a ConversionScreen,
    pub monitor: &'a MonitorScreen,
}

#[derive(Default)]
pub struct OverviewScreen {
    /// The id of the task the task steps are about.
    pub picked: String,
    /// (task id, checks) of the last premigration check.
    pub checks: Option<(String, Result<Vec<Check>, String>)>,
    checking: Option<(String, RequestId)>,
    /// F5 was pressed on this screen: run the checks again.
    pub refresh: bool,
}

/// Where a step stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stand {
    Done,
    Attention,
    Failed,
    NotYet,
}

impl Stand {
    fn color(self) -> egui::Color32 {
        match self {
            Stand::Done => style::OK,
            Stand::Attention => style::WARN,
            Stand::Failed => style::ERROR,
            Stand::NotYet => style::MUTED,
        }
    }
}

impl OverviewScreen {
    pub fn on_event(&mut self, event: Event) {
        if let EventKind::Checked(r) = event.kind
            && let Some((task, _)) = self
                .checking
                .take_if(|(_, request)| *request == event.request)
        {
            self.checks = Some((task, r));
        }
    }

    /// Draws the steps; returns the screen a step's button asks for.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &mut AppState, facts: &Facts) -> Option<Screen> {
        let mut go = None;
        egui::ScrollArea::vertical()
            .id_salt("overview_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.label(style::heading("Project overview"));
                ui.label(
                    RichText::new("The migration, step by step: where each step stands, and a button to the screen that acts on it.")
                        .color(style::MUTED),
                );
                ui.add_space(8.0);
                go = self.steps(ui, state, facts);
            });
        go
    }

    fn steps(&mut self, ui: &mut egui::Ui, state: &mut AppState, facts: &Facts) -> Option<Screen> {
        self.task_picker(ui, state);
        let task = state
            .project
            .tasks
            .iter()
            .find(|t| t.id == self.picked)
            .cloned();
        let run = task
            .as_ref()
            .and_then(|t| facts.monitor.runs.iter().find(|r| r.task == t.name));
        let ready = run
            .and_then(|r| r.cdc.as_ref())
            .is_some_and(|c| c.ready_to_cut_over);
        let mut go = None;
        let text_width = (ui.available_width() - 420.0).max(260.0);
        egui::Grid::new("overview_steps")
            .num_columns(4)
            .striped(true)
            .spacing([12.0, 10.0])
            .min_row_height(28.0)
            .show(ui, |ui| {
                let row = |ui: &mut egui::Ui, n, title, (stand, text): (Stand, String), button: &str| {
                    let clicked = step(ui, n, title, stand, &text, button, text_width);
                    ui.end_row();
                    clicked
                };
                if row(ui, 1, "Endpoints tested", endpoints_step(state, facts.endpoints), "Open Endpoints") {
                    go = Some(Screen::Endpoints);
                }
                step_marker(ui, 2, self.checks_step(task.as_ref()).0);
                ui.label(RichText::new("Premigration checks").strong());
                ui.vertical(|ui| {
                    ui.set_max_width(text_width);
                    ui.add(egui::Label::new(self.checks_step(task.as_ref()).1).wrap());
                    self.failed_checks(ui, task.as_ref());
                });
                self.run_checks_button(ui, state, task.as_ref());
                ui.end_row();
                if row(ui, 3, "Assessment", assessment_step(facts.conversion), "Open Schema conversion") {
                    go = Some(Screen::Conversion);
                }
                if row(ui, 4, "Schema applied", applied_step(facts.conversion), "Apply the schema") {
                    go = Some(Screen::Conversion);
                }
                if row(ui, 5, "Full load, validated", load_step(task.as_ref(), run), "Open Monitor") {
                    go = Some(Screen::Monitor);
                }
                if row(ui, 6, "Replication", replication_step(task.as_ref(), run), "Watch replication") {
                    go = Some(Screen::Monitor);
                }
                let cut = if ready {
                    (Stand::Done, "replication has caught up and the deferred checks are done: Cut over… checks again, stops the writes (or asks you to), applies the last changes, compares checksums, sets the counters and replicates back".to_string())
                } else {
                    (Stand::NotYet, "not yet: the task's replication must be running and caught up".to_string())
                };
                let button = if ready { "Cut over…" } else { "" };
                if row(ui, 7, "Ready to cut over", cut, button)
                    && let Some(t) = &task
                {
                    state.pending_switch = Some(t.name.clone());
                    go = Some(Screen::Monitor);
                }
            });
        go
    }

    fn task_picker(&mut self, ui: &mut egui::Ui, state: &AppState) {
        let tasks = &state.project.tasks;
        if !tasks.iter().any(|t| t.id == self.picked)
            && let Some(t) = tasks.first()
        {
            self.picked = t.id.clone();
        }
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("The task of steps 2, 5, 6 and 7:");
            if tasks.is_empty() {
                ui.label(
                    RichText::new("none yet: create one on the Tasks screen, or from the assessment (Schema conversion)")
                        .color(style::MUTED),
                );
                return;
            }
            let shown = tasks
                .iter()
                .find(|t| t.id == self.picked)
                .map_or("", |t| t.name.as_str());
            egui::ComboBox::from_id_salt("overview_task")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    for t in tasks {
                        ui.selectable_value(&mut self.picked, t.id.clone(), &t.name);
                    }
                })
                .response
                .labelled_by(l.id);
        });
        ui.add_space(4.0);
    }

    fn checks_step(&self, task: Option<&crate::tasks::Task>) -> (Stand, String) {
        let Some(task) = task else {
            return (Stand::NotYet, "no task".into());
        };
        if self.checking.is_some() {
            return (Stand::NotYet, "checking…".into());
        }
        match &self.checks {
            Some((id, Ok(checks))) if *id == task.id => {
                let n = |s| checks.iter().filter(|c| c.status == s).count();
                let (passed, warned, failed) =
                    (n(Status::Passed), n(Status::Warning), n(Status::Failed));
                let stand = match (failed, warned) {
                    (0, 0) => Stand::Done,
                    (0, _) => Stand::Attention,
                    _ => Stand::Failed,
                };
                (stand, format!("{passed} passed, {warned} warnings, {failed} failed"))
            }
            Some((id, Err(e))) if *id == task.id => (Stand::Failed, e.clone()),
            _ => (
                Stand::NotYet,
                "not run: change capture (binary log or wal_level, slots, privileges), tables without a primary key, the target's privileges, encryption".into(),
            ),
        }
    }

    /// Starts the premigration checks of `task`, in the background.
    fn run_checks_button(
        &mut self,
        ui: &mut egui::Ui,
        state: &mut AppState,
        task: Option<&crate::tasks::Task>,
    ) {
        let Some(task) = task else {
            ui.label("");
            return;
        };
        ui.horizontal(|ui| {
            if ui
                .add_enabled(self.checking.is_none(), egui::Button::new("Run the checks"))
                .on_hover_text("Reads the source and the target; writes nothing (F5)")
                .clicked()
                || (self.checking.is_none() && std::mem::take(&mut self.refresh))
            {
                let (Some(s), Some(t)) = (
                    state.project.task_endpoint(&task.source).cloned(),
                    state.project.task_endpoint(&task.target).cloned(),
                ) else {
                    state.message = Some((
                        format!(
                            "task {}: choose its endpoints on the Tasks screen",
                            task.name
                        ),
                        true,
                    ));
                    return;
                };
                let request = state.runtime.submit(Command::Premigration {
                    task: Box::new(task.clone()),
                    source_password: state.secrets.get(&s.id),
                    target_password: state.secrets.get(&t.id),
                    source: s,
                    target: t,
                });
                self.checking = Some((task.id.clone(), request));
            }
            if self.checking.is_some() {
                style::busy(ui);
            }
        });
    }

    /// The checks of `task` that did not pass, with their fixes.
    fn failed_checks(&self, ui: &mut egui::Ui, task: Option<&crate::tasks::Task>) {
        let Some(task) = task else { return };
        if let Some((id, Ok(checks))) = &self.checks
            && *id == task.id
        {
            for c in checks.iter().filter(|c| c.status != Status::Passed) {
                let color = if c.status == Status::Failed {
                    style::ERROR
                } else {
                    style::WARN
                };
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("{}: {}", c.name, c.detail)).color(color),
                    )
                    .wrap(),
                );
                if !c.fix.is_empty() {
                    ui.add(
                        egui::Label::new(RichText::new(format!("→ {}", c.fix)).color(style::MUTED))
                            .wrap(),
                    );
                }
            }
        }
    }
}

/// A step's number and dot, in its colour.
fn step_marker(ui: &mut egui::Ui, n: usize, stand: Stand) {
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(n.to_string())
                .strong()
                .size(18.0)
                .color(stand.color()),
        );
        ui.label(RichText::new("●").color(stand.color()));
    });
}

/// One step's cells: marker, title, text (wrapped to `width`), button (empty: none). True when
/// the button was clicked.
fn step(
    ui: &mut egui::Ui,
    n: usize,
    title: &str,
    stand: Stand,
    text: &str,
    button: &str,
    width: f32,
) -> bool {
    step_marker(ui, n, stand);
    ui.label(RichText::new(title).strong());
    ui.vertical(|ui| {
        ui.set_max_width(width);
        ui.add(egui::Label::new(text).wrap());
    });
    if button.is_empty() {
        ui.label("");
        false
    } else {
        ui.button(button).clicked()
    }
}

fn endpoints_step(state: &AppState, screen: &EndpointsScreen) -> (Stand, String) {
    let eps = &state.project.endpoints;
    if eps.is_empty() {
        return (
            Stand::NotYet,
            "no endpoint yet: add a source and a target".into(),
        );
    }
    let tested = |ok: bool| {
        eps.iter()
            .filter(|e| {
                screen
                    .status
                    .get(&e.id)
                    .and_then(|s| s.test.as_ref())
                    .is_some_and(|r| r.is_ok() == ok)
            })
            .count()
    };
    let (ok, failed) = (tested(true), tested(false));
    let stand = match (failed, ok == eps.len()) {
        (f, _) if f > 0 => Stand::Failed,
        (_, true) => Stand::Done,
        _ => Stand::NotYet,
    };
    (
        stand,
        format!(
            "{} endpoints: {ok} connected, {failed} failed, {} not tested in this session",
            eps.len(),
            eps.len() - ok - failed
        ),
    )
}

fn assessment_step(c: &ConversionScreen) -> (Stand, String) {
    let Some(r) = &c.report else {
        return (Stand::NotYet, "not assessed in this session".into());
    };
    let count = |cat| r.objects.iter().filter(|o| o.category == cat).count();
    use crate::assessment::Category as C;
    let needs = r.objects.len() - count(C::Automatic);
    let text = format!(
        "{} objects: {} automatic, {} simple, {} medium, {} complex, {} not convertible · about {:.1} h of work{}",
        r.objects.len(),
        count(C::Automatic),
        count(C::Simple),
        count(C::Medium),
        count(C::Complex),
        count(C::NotConvertible),
        r.total_effort_minutes / 60.0,
        if r.verification.is_some() {
            " · verified"
        } else {
            " · not verified on the target engine"
        }
    );
    (
        if needs == 0 {
            Stand::Done
        } else {
            Stand::Attention
        },
        text,
    )
}

fn applied_step(c: &ConversionScreen) -> (Stand, String) {
    match &c.applied {
        None => (
            Stand::NotYet,
            "not applied in this session (a task can create its tables itself)".into(),
        ),
        Some(Err(e)) => (Stand::Failed, e.clone()),
        Some(Ok(applied)) => {
            use crate::conversion::apply::StatementResult;
            let failed = applied
                .iter()
                .filter(|a| matches!(a.result, StatementResult::Failed(_)))
                .count();
            let code = applied
                .iter()
                .filter(|a| {
                    ["view", "function", "procedure", "trigger"]
                        .iter()
                        .any(|k| a.object.starts_with(k))
                })
                .count();
            (
                if failed == 0 {
                    Stand::Done
                } else {
                    Stand::Failed
                },
                format!(
                    "{} statements, {failed} failed; {code} of them views, routines and triggers",
                    applied.len()
                ),
            )
        }
    }
}

fn load_step(
    task: Option<&crate::tasks::Task>,
    run: Option<&super::monitor::Run>,
) -> (Stand, String) {
    if task.is_none() {
        return (Stand::NotYet, "no task".into());
    }
    let Some(run) = run else {
        return (Stand::NotYet, "not run in this session".into());
    };
    let p = &run.progress;
    let validated = p
        .tables
        .iter()
        .filter(|t| {
            t.validation_state
                .as_ref()
                .is_some_and(|(s, _)| s.starts_with("Validated"))
        })
        .count();
    let c = p.counts();
    let stand = match (&run.finished, c.errors) {
        (None, _) => Stand::Attention,
        (Some(Err(_)), _) | (_, 1..) => Stand::Failed,
        (Some(Ok(_)), 0) if validated == p.tables.len() => Stand::Done,
        _ => Stand::Attention,
    };
    (
        stand,
        format!(
            "{} · {} of {} tables loaded, {validated} validated, {} errored",
            run.status(),
            c.done,
            p.tables.len(),
            c.errors
        ),
    )
}

fn replication_step(
    task: Option<&crate::tasks::Task>,
    run: Option<&super::monitor::Run>,
) -> (Stand, String) {
    let Some(task) = task else {
        return (Stand::NotYet, "no task".into());
    };
    if !task.task_type.captures() {
        return (
            Stand::NotYet,
            "the task is a full load only: choose \"full load, then ongoing replication\" on the Tasks screen to replicate".into(),
        );
    }
    match run.and_then(|r| r.cdc.as_ref()) {
        None => (Stand::NotYet, "not replicating in this session".into()),
        Some(c) => (
            if c.waiting.is_some() {
                Stand::Attention
            } else {
                Stand::Done
            },
            format!(
                "{} · {} changes applied · latency {:.1} s at the source, {:.1} s at the target · {} behind",
                c.phase, c.applied, c.source_latency_s, c.target_latency_s, c.backlog
            ),
        ),
    }
}
