//! The Monitor screen: running and finished tasks, live. Every task of the project where it
//! stands on its target ([`tasks`], consolidations totalled), then the run picked: task status and totals, a grid of
//! table statistics as DMS shows them (state, progress, rows, rows/s, elapsed, ETA, validation),
//! a throughput chart (rows/s over time), Start / Stop / Start again (resume). Everything comes
//! from the task's events; nothing here waits.

use std::time::Instant;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::gui::app::AppState;
use crate::gui::style;
use crate::runtime::{Command, Event, EventKind, RequestId};
use crate::tasks::progress::{RunProgress, TableProgress};
use crate::tasks::{Summary, TableState, Task, TaskEvent};

/// A run of a task.
pub struct Run {
    pub task: String,
    pub request: RequestId,
    pub cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub started: Instant,
    /// The run's figures (the model the CLI reads too).
    pub progress: RunProgress,
    /// (seconds since start, rows/s) samples for the chart: rows this run moved.
    pub samples: Vec<[f64; 2]>,
    last_sample: (f64, u64),
    /// Tugboat's resident memory now and at its peak (bytes), read with each sample.
    pub memory: Option<(u64, u64)>,
    pub finished: Option<Result<Box<Summary>, String>>,
    /// Rows refused by the target, rows validation found different, tables that failed.
    pub exceptions: Vec<Exception>,
    /// A replicating task's latest figures.
    pub cdc: Option<crate::cdc::CdcStats>,
    /// (seconds since start, incoming changes/s, applied changes/s, source latency s, target
    /// latency s) for the replication charts.
    pub cdc_samples: Vec<[f64; 5]>,
}

mod grid;
mod panes;
pub mod switch;
pub mod tasks;
use crate::cutover::way::Way;

use panes::*;

/// A row the Exceptions pane lists.
#[derive(Debug, Clone)]
pub struct Exception {
    pub table: String,
    /// "refused by the target", "missing on target", "different"...
    pub what: String,
    /// The key (validation) or the values (refused rows).
    pub row: String,
    /// The error, or the columns that differ.
    pub detail: String,
}

/// The panes under the Monitor's chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Tables,
    Exceptions,
    Log,
}

impl Run {
    pub fn status(&self) -> &'static str {
        match &self.finished {
            None if self.cancel.load(std::sync::atomic::Ordering::Relaxed) => "stopping",
            None if self.progress.validating => "validating",
            None => "running",
            Some(Err(_)) => "failed",
            Some(Ok(_)) if self.progress.validating => "validation complete",
            // (Its last step says where and why: at a checkpoint, at a cut-over's stop.)
            Some(Ok(_)) if self.cdc.is_some() => "replication stopped",
            Some(Ok(s)) if s.problems() > 0 => "load complete, with errors",
            Some(Ok(s)) if s.tables.iter().any(|t| t.state == TableState::Cancelled) => "stopped",
            Some(Ok(_)) => "load complete",
        }
    }

    /// Rows on the target (this run's and earlier runs').
    pub fn total_rows(&self) -> u64 {
        self.progress.total_rows()
    }

    /// The run's tables.
    pub fn tables(&self) -> &[TableProgress] {
        &self.progress.tables
    }

    /// The run has ended: the summary's word on every table, the keys and indexes the target
    /// refused, the last step.
    fn finish(&mut self, r: Result<Box<Summary>, String>) {
        self.progress.finish(r.as_ref().ok().map(|s| &**s));
        if let Ok(s) = &r {
            for l in &s.left_out {
                self.exceptions.push(Exception {
                    table: l.object.clone(),
                    what: "left out (not created)".into(),
                    row: String::new(),
                    detail: l.reason.clone(),
                });
            }
            for f in &s.schema_failures {
                self.exceptions.push(Exception {
                    table: f.object.clone(),
                    what: if f.deferred {
                        "not created yet (tried again once replication catches up)"
                    } else {
                        "not created on the target"
                    }
                    .into(),
                    row: f.statement.lines().next().unwrap_or_default().to_string(),
                    detail: f.error.clone(),
                });
            }
        }
        self.progress.step = match &r {
            // A replicating task's own last step says where it stopped, and why (the
            // summary's time is its full load's).
            Ok(_) if self.cdc.is_some() => self.progress.step.clone(),
            Ok(s) if s.schema_failures.iter().any(|f| !f.deferred) => format!(
                "finished in {:.1} s; {} keys, indexes or triggers not created (see Exceptions)",
                s.seconds,
                s.schema_failures.iter().filter(|f| !f.deferred).count()
            ),
            Ok(s) => format!("finished in {:.1} s", s.seconds),
            Err(e) => e.clone(),
        };
        let t = self.progress.seconds();
        if self.samples.len() <= 1 && t > 0.0 {
            // A load shorter than a sampling interval: its average.
            self.samples.push([t, self.progress.average_rate()]);
        } else {
            self.sample();
        }
        self.finished = Some(r);
    }

    /// A throughput sample, and the memory in use, when rows arrived.
    fn sample(&mut self) {
        if self.sample_rate() {
            self.memory = crate::tasks::memory_in_use();
        }
    }

    /// A throughput sample if half a second has passed since the last: whether one was taken.
    /// (Called on every frame too: nothing read there, not even `/proc`.)
    fn sample_rate(&mut self) -> bool {
        let t = self.started.elapsed().as_secs_f64();
        let rows = self.progress.moved_rows();
        let (t0, r0) = self.last_sample;
        if t - t0 < 0.5 {
            return false;
        }
        self.samples
            .push([t, (rows - r0.min(rows)) as f64 / (t - t0)]);
        self.last_sample = (t, rows);
        true
    }
}

pub struct MonitorScreen {
    pub runs: Vec<Run>,
    /// Export CSV…: the path asked, then the file written in the background.
    export: Option<crate::gui::files::PathPrompt>,
    exporting: Option<(
        std::path::PathBuf,
        crate::gui::files::Job<Result<(), String>>,
    )>,
    /// The id of the task the Start and Validate buttons act on.
    pub picked: String,
    /// (task, table) a reload is being confirmed for.
    pub confirm_reload: Option<(String, String)>,
    pub selected: usize,
    pub pane: Pane,
    /// The task log pane (the Logs screen's filters, on the tasks' components).
    pub log: super::logs::LogsScreen,
    /// A cut-over or fallback window, open or under way.
    pub switch: Option<switch::SwitchPanel>,
    /// Every task of the project where it stands (from the targets).
    pub overview: tasks::TasksOverview,
}

impl Default for MonitorScreen {
    fn default() -> Self {
        MonitorScreen {
            runs: vec![],
            export: None,
            exporting: None,
            picked: String::new(),
            confirm_reload: None,
            selected: 0,
            pane: Pane::Tables,
            // The task log: the selected run's task, every component.
            log: super::logs::LogsScreen::default(),
            switch: None,
            overview: Default::default(),
        }
    }
}

impl MonitorScreen {
    /// Starts `task` in the background: a load (reloading `reload` from scratch), or with
    /// `validate_only` a comparison of what is on the target.
    pub fn start(
        &mut self,
        state: &mut AppState,
        task: &Task,
        reload: Vec<String>,
        validate_only: bool,
    ) -> Result<(), String> {
        if self
            .runs
            .iter()
            .any(|r| r.task == task.name && r.finished.is_none())
        {
            return Err(format!("task {} is already running", task.name));
        }
        let find = |reference: &str| {
            state
                .project
                .task_endpoint(reference)
                .cloned()
                .ok_or_else(|| {
                    format!(
                        "task {} has no endpoint '{reference}': choose its endpoints on the Tasks screen",
                        task.name
                    )
                })
        };
        let mut source = find(&task.source)?;
        let mut target = find(&task.target)?;
        source.role = crate::endpoints::Role::Source;
        target.role = crate::endpoints::Role::Target;
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let request = state.runtime.submit(Command::RunTask {
            task: Box::new(task.clone()),
            source_password: state.secrets.get(&source.id),
            target_password: state.secrets.get(&target.id),
            source,
            target,
            cancel: cancel.clone(),
            reload,
            validate_only,
        });
        // A validation keeps what the task's last load showed; a load starts afresh.
        let progress = match self.runs.iter().find(|r| r.task == task.name) {
            Some(last) if validate_only => last.progress.for_validation(),
            _ => RunProgress::new(validate_only),
        };
        self.runs.retain(|r| r.task != task.name);
        self.runs.push(Run {
            task: task.name.clone(),
            request,
            cancel,
            started: Instant::now(),
            progress,
            samples: vec![[0.0, 0.0]],
            last_sample: (0.0, 0),
            memory: crate::tasks::memory_in_use(),
            finished: None,
            exceptions: vec![],
            cdc: None,
            cdc_samples: vec![],
        });
        self.selected = self.runs.len() - 1;
        Ok(())
    }

    pub fn on_event(&mut self, event: Event) {
        let Some(run) = self.runs.iter_mut().find(|r| r.request == event.request) else {
            return;
        };
        match event.kind {
            EventKind::Task(e) => {
                run.progress.apply(&e);
                match e {
                    TaskEvent::Progress { .. } | TaskEvent::TableDone { .. } => run.sample(),
                    TaskEvent::TableFailed { table, error } => run.exceptions.push(Exception {
                        table,
                        what: "table failed".into(),
                        row: String::new(),
                        detail: error,
                    }),
                    TaskEvent::RowsRefused { table, rows, total } => {
                        let shown = rows.len() as u64;
                        run.exceptions
                            .extend(rows.into_iter().map(|(error, values)| Exception {
                                table: table.clone(),
                                what: "refused by the target".into(),
                                row: values,
                                detail: error,
                            }));
                        if total > shown {
                            run.exceptions.push(Exception {
                                table,
                                what: format!("{} more refused rows", total - shown),
                                row: String::new(),
                                detail: "all of them are in tugboat_apply_exceptions on the target"
                                    .into(),
                            });
                        }
                    }
                    TaskEvent::Validated {
                        table, failures, ..
                    } => run
                        .exceptions
                        .extend(failures.into_iter().map(|(key, what, cols)| Exception {
                            table: table.clone(),
                            what,
                            row: key,
                            detail: cols,
                        })),
                    TaskEvent::Cdc(c) => {
                        run.progress.step = match &c.waiting {
                            Some(_) => "waiting to replicate again".into(),
                            None => format!("replicating ({})", c.phase),
                        };
                        let t = run.started.elapsed().as_secs_f64();
                        run.cdc_samples.push([
                            t,
                            c.incoming_per_s,
                            c.applied_per_s,
                            c.source_latency_s,
                            c.target_latency_s,
                        ]);
                        // An hour at one sample a second.
                        if run.cdc_samples.len() > 3_600 {
                            run.cdc_samples.remove(0);
                        }
                        run.cdc = Some(*c);
                    }
                    _ => {}
                }
            }
            EventKind::TaskFinished(r) => run.finish(r),
            _ => {}
        }
    }

    /// A cut-over's or fallback's progress or end; once switched, the task that replicates the
    /// other way starts here.
    pub fn on_switch_event(&mut self, event: Event, state: &mut AppState) {
        let Some(panel) = self.switch.as_mut().filter(|p| p.owns(&event)) else {
            return;
        };
        if let Some(then) = panel.on_event(event, state)
            && let Err(e) = self.start(state, &then, vec![], false)
        {
            state.message = Some((e, true));
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        ui.label(style::heading("Monitor"));
        // A load's throughput sampled while nothing comes too (a table validated, keys
        // built): the chart shows those seconds at the rate they have, not a line drawn
        // across them.
        for run in self.runs.iter_mut() {
            if run.finished.is_none() && run.cdc.is_none() {
                run.sample_rate();
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(500));
            }
        }
        if let Some(task) = state.pending_switch.take()
            && self.switch.is_none()
        {
            self.switch = Some(switch::SwitchPanel::new(Way::Cutover, &task));
        }
        if let Some(p) = &mut self.switch
            && !p.ui(ui.ctx(), state)
        {
            self.switch = None;
        }
        self.reload_confirmation(ui, state);
        self.poll_export(ui.ctx(), state);
        self.task_bar(ui, state);
        self.overview.ui(ui, state);
        if self.runs.is_empty() {
            ui.add_space(8.0);
            ui.label(RichText::new("Nothing has run yet in this session.").color(style::MUTED));
            return;
        }
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            ui.label("Runs:");
            for (i, r) in self.runs.iter().enumerate() {
                ui.selectable_value(
                    &mut self.selected,
                    i,
                    format!("{} ({})", r.task, r.status()),
                );
            }
        });
        let Some(run) = self.runs.get(self.selected) else {
            return;
        };
        // Replication with no full load in this run (it was done before): its panel only.
        let cdc_only = run.cdc.is_some() && run.total_rows() == 0;
        header(ui, run, cdc_only);
        if let Some(c) = &run.cdc {
            cdc_panel(ui, c, &run.cdc_samples);
        }
        if cdc_only {
            pane_tabs(ui, &mut self.pane, "Tables", run.exceptions.len());
            match self.pane {
                Pane::Exceptions => exceptions_pane(ui, &run.exceptions),
                Pane::Log => {
                    self.log.task = run.task.clone();
                    self.log.pane(ui, &state.logs)
                }
                Pane::Tables => {}
            }
            return;
        }
        // Throughput chart (a load over before its first sample, replication going on, has
        // none to draw).
        if run.samples.len() < 2 && run.cdc.is_some() {
            ui.label(
                RichText::new("The full load ended within half a second: no throughput to chart.")
                    .color(style::MUTED),
            );
        } else {
            let line =
                egui_plot::Line::new("rows/s", egui_plot::PlotPoints::from(run.samples.clone()));
            readable_y(egui_plot::Plot::new("throughput"))
                .height(140.0)
                .allow_scroll(false)
                .allow_zoom(false)
                .allow_drag(false)
                .x_axis_label("seconds")
                .y_axis_label("rows/s")
                .show(ui, |p| p.line(line));
        }
        ui.add_space(6.0);
        pane_tabs(ui, &mut self.pane, "Table statistics", run.exceptions.len());
        match self.pane {
            Pane::Tables => {}
            Pane::Exceptions => {
                exceptions_pane(ui, &run.exceptions);
                return;
            }
            Pane::Log => {
                self.log.task = run.task.clone();
                self.log.pane(ui, &state.logs);
                return;
            }
        }
        if ui
            .button("Export CSV…")
            .on_hover_text("The table statistics as a CSV file")
            .clicked()
        {
            self.export = Some(crate::gui::files::PathPrompt::save(
                "Export the table statistics",
                &[("CSV", &["csv"])],
                std::env::current_dir().unwrap_or_default().join(format!(
                    "{}-tables.csv",
                    run.task.replace(['/', '\\', ':'], "-")
                )),
            ));
        }
        let can_reload = run.finished.is_some();
        let task_name = run.task.clone();
        let reload = grid::tables(ui, run, can_reload);
        if let Some(table) = reload {
            self.confirm_reload = Some((task_name, table));
        }
    }

    /// The CSV export: its prompt, then the file written in the background; the outcome in the
    /// status bar (and in the prompt, which stays open, on failure).
    fn poll_export(&mut self, ctx: &egui::Context, state: &mut AppState) {
        use crate::gui::files::{Job, Prompted};
        if let Some(prompt) = &mut self.export {
            match prompt.ui(ctx) {
                Prompted::Waiting => {}
                Prompted::Cancelled => self.export = None,
                Prompted::Chosen(path) => {
                    if let Some(run) = self.runs.get(self.selected) {
                        let progress = run.progress.clone();
                        let p = path.clone();
                        let job = Job::spawn(ctx, move || {
                            std::fs::File::create(&p)
                                .map_err(|e| format!("{}: {e}", p.display()))
                                .and_then(|f| {
                                    progress
                                        .write_csv(std::io::BufWriter::new(f))
                                        .map_err(|e| format!("{}: {e}", p.display()))
                                })
                        });
                        self.exporting = Some((path, job));
                    }
                }
            }
        }
        if let Some((path, job)) = &self.exporting
            && let Some(r) = job.poll()
        {
            match r {
                Ok(()) => {
                    state.message = Some((
                        format!("Table statistics saved to {}", path.display()),
                        false,
                    ));
                    self.export = None;
                }
                Err(e) => {
                    if let Some(prompt) = &mut self.export {
                        prompt.fail(e.clone());
                    }
                    state.message = Some((e, true));
                }
            }
            self.exporting = None;
        }
    }

    /// The task picker and what can be done with the picked task.
    fn task_bar(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        let tasks = &state.project.tasks;
        if tasks.is_empty() {
            ui.label(
                RichText::new("No task in the project: create one on the Tasks screen.")
                    .color(style::MUTED),
            );
            return;
        }
        if !tasks.iter().any(|t| t.id == self.picked) {
            self.picked = tasks[0].id.clone();
        }
        let mut action = None;
        let mut switch = None;
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Task");
            let picked = tasks.iter().find(|t| t.id == self.picked);
            egui::ComboBox::from_id_salt("monitor_task")
                .selected_text(picked.map_or("", |t| t.name.as_str()))
                .show_ui(ui, |ui| {
                    for t in tasks {
                        ui.selectable_value(&mut self.picked, t.id.clone(), &t.name);
                    }
                })
                .response
                .labelled_by(l.id);
            let Some(t) = tasks.iter().find(|t| t.id == self.picked) else {
                return;
            };
            let running = self
                .runs
                .iter()
                .any(|r| r.task == t.name && r.finished.is_none());
            let ran = self.runs.iter().any(|r| r.task == t.name);
            let label = if ran {
                format!("Start {} again (resume)", t.name)
            } else {
                format!("Start {}", t.name)
            };
            if ui.add_enabled(!running, egui::Button::new(label)).clicked() {
                action = Some((t.clone(), false));
            }
            if ui
                .add_enabled(!running, egui::Button::new(format!("Validate {}", t.name)))
                .on_hover_text(
                    "Compare the task's tables on the source and the target without loading: counts, key-range checksums, then the differing rows",
                )
                .clicked()
            {
                action = Some((t.clone(), true));
            }
            // (A reverse task is switched through its forward task.)
            let reverse_of = t
                .name
                .strip_suffix("-reverse")
                .filter(|f| tasks.iter().any(|x| x.name == *f));
            if t.task_type.captures() && reverse_of.is_none() {
                switch = self.switch_buttons(ui, t, tasks);
            }
        });
        if switch.is_some() {
            self.switch = switch;
        }
        if let Some((task, validate_only)) = action
            && let Err(e) = self.start(state, &task, vec![], validate_only)
        {
            state.message = Some((e, true));
        }
    }

    /// A replicating task's "Cut over…" and, once it was cut over, "Fall back…": the window
    /// asked for.
    fn switch_buttons(
        &self,
        ui: &mut egui::Ui,
        t: &Task,
        tasks: &[Task],
    ) -> Option<switch::SwitchPanel> {
        let busy = self.switch.is_some();
        let mut out = None;
        if ui
            .add_enabled(!busy, egui::Button::new(format!("Cut over {}…", t.name)))
            .on_hover_text("Switch the application to the target: readiness, writes stopped, every change applied, checksums, counters, then replication back")
            .clicked()
        {
            out = Some(switch::SwitchPanel::new(Way::Cutover, &t.name));
        }
        let reverse = crate::cutover::reverse::name_of(&t.name);
        if tasks.iter().any(|x| x.name == reverse)
            && ui
                .add_enabled(!busy, egui::Button::new(format!("Fall back {}…", t.name)))
                .on_hover_text(format!("Switch back to the source: {reverse} caught up and stopped, checksums, counters, then {} replicates again", t.name))
                .clicked()
        {
            out = Some(switch::SwitchPanel::new(Way::Fallback, &t.name));
        }
        out
    }

    /// Asks before a table is emptied and loaded again, naming the table and the target.
    fn reload_confirmation(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        let Some((task_name, table)) = self.confirm_reload.clone() else {
            return;
        };
        let Some(task) = state
            .project
            .tasks
            .iter()
            .find(|t| t.name == task_name)
            .cloned()
        else {
            self.confirm_reload = None;
            return;
        };
        let target = state
            .project
            .task_endpoint(&task.target)
            .map_or_else(|| "its target".to_string(), |e| e.label());
        let mut open = true;
        let mut answer = None;
        egui::Window::new("Reload table")
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ui.ctx(), |ui| {
                ui.label(format!(
                    "Empty {table} on {target} and load it again from the source?"
                ));
                ui.label(
                    RichText::new("Keys of other tables that reference it are set aside while it loads and checked again afterwards; the task's other tables are kept.")
                        .color(style::MUTED),
                );
                ui.horizontal(|ui| {
                    if ui.button(format!("Reload {table}")).clicked() {
                        answer = Some(true);
                    }
                    if ui.button("Cancel").clicked() {
                        answer = Some(false);
                    }
                });
            });
        if !open || answer.is_some() {
            self.confirm_reload = None;
        }
        if answer == Some(true)
            && let Err(e) = self.start(state, &task, vec![table], false)
        {
            state.message = Some((e, true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::nice_step;

    #[test]
    fn chart_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(250.0), 500.0);
        assert_eq!(nice_step(200.0), 200.0);
        assert_eq!(nice_step(0.0011), 0.002);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
    }
}
