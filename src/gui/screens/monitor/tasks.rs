//! The Monitor's "All tasks" panel: every task of the project where it stands, read every few
//! seconds in the background from the control tables on its target (so a task running in
//! another terminal or another app shows too), the same figures as `tugboat status`. Tasks
//! sharing a target (a consolidation) are totalled together, each with a bar for its share of
//! the target's rows.

use std::time::{Duration, Instant};

use egui::RichText;

use crate::gui::app::AppState;
use crate::gui::style;
use crate::runner::status::{TaskStatus, Totals};
use crate::runtime::{Command, Event, EventKind, RequestId};

/// How often the figures are read again while the Monitor is shown.
const EVERY: Duration = Duration::from_secs(3);

#[derive(Default)]
pub struct TasksOverview {
    request: Option<RequestId>,
    asked: Option<Instant>,
    /// (task, target endpoint's name, figures or why they could not be read).
    pub rows: Vec<(String, String, Result<TaskStatus, String>)>,
    /// The target endpoint of each task asked, by task name.
    targets: Vec<(String, String)>,
}

impl TasksOverview {
    pub fn on_event(&mut self, event: Event) {
        if self.request != Some(event.request) {
            return;
        }
        if let EventKind::Status(r) = event.kind {
            self.rows = r
                .into_iter()
                .map(|(task, s)| {
                    let target = self
                        .targets
                        .iter()
                        .find(|(t, _)| *t == task)
                        .map(|x| x.1.clone())
                        .unwrap_or_default();
                    (task, target, s)
                })
                .collect();
            self.request = None;
        }
    }

    /// Asks for the figures again when they are older than [`EVERY`] and none are on the way.
    fn refresh(&mut self, ui: &egui::Ui, state: &mut AppState) {
        ui.ctx().request_repaint_after(EVERY);
        if self.request.is_some() || self.asked.is_some_and(|t| t.elapsed() < EVERY) {
            return;
        }
        let mut asked = vec![];
        self.targets.clear();
        for t in &state.project.tasks {
            let Some(e) = state.project.task_endpoint(&t.target) else {
                continue;
            };
            let mut e = e.clone();
            e.role = crate::endpoints::Role::Target;
            self.targets.push((t.name.clone(), e.name.clone()));
            let password = state.secrets.get(&e.id);
            asked.push((t.name.clone(), e, password));
        }
        if asked.is_empty() {
            return;
        }
        self.request = Some(state.runtime.submit(Command::Status(asked)));
        self.asked = Some(Instant::now());
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        if state.project.tasks.is_empty() {
            return;
        }
        self.refresh(ui, state);
        // Open by itself when tasks share a target (a consolidation).
        let shared = {
            let mut t: Vec<&str> = state
                .project
                .tasks
                .iter()
                .map(|t| t.target.as_str())
                .collect();
            let n = t.len();
            t.sort();
            t.dedup();
            t.len() < n
        };
        egui::CollapsingHeader::new(format!("All tasks ({})", state.project.tasks.len()))
            .id_salt("all_tasks")
            .default_open(shared)
            .show(ui, |ui| self.grid(ui));
    }

    fn grid(&self, ui: &mut egui::Ui) {
        if self.rows.is_empty() {
            ui.label(RichText::new("Reading the tasks' targets…").color(style::MUTED));
            return;
        }
        let mut targets: Vec<&str> = self.rows.iter().map(|r| r.1.as_str()).collect();
        targets.sort();
        targets.dedup();
        egui::Grid::new("all_tasks_grid")
            .striped(true)
            .spacing([14.0, 3.0])
            .show(ui, |ui| {
                for h in [
                    "Task",
                    "Target",
                    "State",
                    "Tables",
                    "Rows loaded",
                    "",
                    "Changes",
                    "Lag",
                    "Refused",
                    "Suspended",
                    "Source",
                ] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for target in targets {
                    let of: Vec<&(String, String, Result<TaskStatus, String>)> =
                        self.rows.iter().filter(|r| r.1 == target).collect();
                    let total = Totals::of(of.iter().filter_map(|r| r.2.as_ref().ok()));
                    for (task, target, s) in &of {
                        row(ui, task, target, s, total.rows_loaded);
                    }
                    if of.len() > 1 {
                        totals(ui, target, &total);
                    }
                }
            });
    }
}

/// One task's line; `all_rows`: the rows its target holds from every task (for its share).
fn row(ui: &mut egui::Ui, task: &str, target: &str, s: &Result<TaskStatus, String>, all_rows: u64) {
    ui.label(task);
    ui.label(target);
    let s = match s {
        Ok(s) => s,
        Err(e) => {
            ui.label(RichText::new("unreadable").color(style::ERROR))
                .on_hover_text(e);
            ui.end_row();
            return;
        }
    };
    ui.label(s.state());
    ui.label(format!("{}/{}", s.tables_completed, s.tables));
    ui.label(s.rows_loaded.to_string());
    let share = if all_rows > 0 {
        s.rows_loaded as f32 / all_rows as f32
    } else {
        0.0
    };
    ui.add(
        egui::ProgressBar::new(share)
            .desired_width(70.0)
            .desired_height(10.0),
    )
    .on_hover_text(format!("{:.0} % of {target}'s rows", share * 100.0));
    ui.label(s.changes.map_or("-".into(), |c| c.to_string()));
    ui.label(s.lag_text())
        .on_hover_text(match s.last_apply_seconds {
            Some(a) => format!("the last change applied {a} s ago"),
            None => "nothing applied yet".into(),
        });
    let count = |ui: &mut egui::Ui, n: u64| {
        let t = RichText::new(n.to_string());
        ui.label(if n > 0 { t.color(style::ERROR) } else { t });
    };
    count(ui, s.exceptions);
    count(ui, s.suspended);
    ui.label(if s.source_values.is_empty() {
        "-".to_string()
    } else {
        s.source_values.join(", ")
    });
    ui.end_row();
}

/// The total of the tasks sharing `target`.
fn totals(ui: &mut egui::Ui, target: &str, t: &Totals) {
    ui.label(RichText::new(format!("{} tasks", t.tasks)).strong());
    ui.label(RichText::new(target).strong());
    ui.label("");
    ui.label("");
    ui.label(RichText::new(t.rows_loaded.to_string()).strong());
    ui.label("");
    ui.label(RichText::new(t.changes.to_string()).strong());
    ui.label(RichText::new(t.lag_seconds.map_or("-".into(), |l| format!("{l:.0} s"))).strong())
        .on_hover_text("the largest lag among them");
    ui.label(RichText::new(t.exceptions.to_string()).strong());
    ui.label(RichText::new(t.suspended.to_string()).strong());
    ui.label("");
    ui.end_row();
}
