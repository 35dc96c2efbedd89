//! The Monitor screen: running and finished tasks, live. Task status and totals, a grid of
//! table statistics as DMS shows them (state, progress, rows, rows/s, elapsed, ETA, validation),
//! a throughput chart (rows/s over time), Start / Stop / Start again (resume). Everything comes
//! from the task's events; nothing here waits.

use std::time::Instant;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::gui::app::AppState;
use crate::gui::style;
use crate::runtime::{Command, Event, EventKind, RequestId};
use crate::tasks::{Summary, TableState, Task, TaskEvent};

/// One table's live statistics.
#[derive(Debug, Clone)]
pub struct TableStats {
    pub name: String,
    pub target: String,
    pub estimated: Option<i64>,
    pub state: TableState,
    pub rows: u64,
    pub started: Option<Instant>,
    pub seconds: f64,
    pub error: Option<String>,
    pub validation: Option<(i64, i64)>,
    /// DMS's validation words and the rows that differ.
    pub validation_state: Option<(String, u64)>,
    pub skipped: bool,
    /// Bytes written to the target.
    pub bytes: u64,
    /// (ranges done, ranges) of a table loaded in key ranges.
    pub ranges: Option<(usize, usize)>,
}

/// A run of a task.
pub struct Run {
    pub task: String,
    pub request: RequestId,
    pub cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub started: Instant,
    pub step: String,
    pub tables: Vec<TableStats>,
    /// (seconds since start, rows/s) samples for the chart.
    pub samples: Vec<[f64; 2]>,
    last_sample: (f64, u64),
    /// Tugboat's resident memory now and at its peak (bytes), read with each sample.
    pub memory: Option<(u64, u64)>,
    pub finished: Option<Result<Box<Summary>, String>>,
    /// Rows refused by the target and rows validation found different.
    pub exceptions: Vec<Exception>,
    /// A validation run (nothing loaded).
    pub validate_only: bool,
    /// A replicating task's latest figures.
    pub cdc: Option<crate::cdc::CdcStats>,
    /// (seconds since start, incoming changes/s, applied changes/s, source latency s, target
    /// latency s) for the replication charts.
    pub cdc_samples: Vec<[f64; 5]>,
}

mod panes;

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
            None => "running",
            Some(Err(_)) => "failed",
            Some(Ok(s)) if s.problems() > 0 => "load complete, with errors",
            Some(Ok(s)) if s.tables.iter().any(|t| t.state == TableState::Cancelled) => "stopped",
            Some(Ok(_)) => "load complete",
        }
    }

    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    fn sample(&mut self) {
        let t = self.started.elapsed().as_secs_f64();
        let rows = self.total_rows();
        let (t0, r0) = self.last_sample;
        if t - t0 >= 0.5 {
            self.samples
                .push([t, (rows - r0.min(rows)) as f64 / (t - t0)]);
            self.last_sample = (t, rows);
            self.memory = crate::tasks::memory_in_use();
        }
    }
}

pub struct MonitorScreen {
    pub runs: Vec<Run>,
    /// (task, table) a reload is being confirmed for.
    pub confirm_reload: Option<(String, String)>,
    pub selected: usize,
    pub pane: Pane,
    /// The task log pane (the Logs screen's filters, on the tasks' components).
    pub log: super::logs::LogsScreen,
}

impl Default for MonitorScreen {
    fn default() -> Self {
        MonitorScreen {
            runs: vec![],
            confirm_reload: None,
            selected: 0,
            pane: Pane::Tables,
            // The task log: the selected run's task, every component.
            log: super::logs::LogsScreen::default(),
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
        self.runs.retain(|r| r.task != task.name);
        self.runs.push(Run {
            task: task.name.clone(),
            request,
            cancel,
            started: Instant::now(),
            step: "starting".into(),
            tables: vec![],
            samples: vec![[0.0, 0.0]],
            last_sample: (0.0, 0),
            memory: crate::tasks::memory_in_use(),
            finished: None,
            exceptions: vec![],
            validate_only,
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
        let table = |run: &mut Run, name: &str| run.tables.iter().position(|t| t.name == name);
        match event.kind {
            EventKind::Task(e) => match e {
                TaskEvent::Planned(list) => {
                    run.tables = list
                        .into_iter()
                        .map(|(name, target, estimated)| TableStats {
                            name,
                            target,
                            estimated,
                            state: TableState::BeforeLoad,
                            rows: 0,
                            started: None,
                            seconds: 0.0,
                            error: None,
                            validation: None,
                            validation_state: None,
                            skipped: false,
                            bytes: 0,
                            ranges: None,
                        })
                        .collect()
                }
                TaskEvent::Step(s) => run.step = s,
                TaskEvent::SchemaReady | TaskEvent::TableReady { .. } => {}
                TaskEvent::TableStarted { table: t } => {
                    if let Some(i) = table(run, &t) {
                        run.tables[i].state = TableState::FullLoad;
                        run.tables[i].started = Some(Instant::now());
                        run.step = "loading".into();
                    }
                }
                TaskEvent::Progress {
                    table: t,
                    rows,
                    bytes,
                } => {
                    if let Some(i) = table(run, &t) {
                        run.tables[i].rows = rows;
                        run.tables[i].bytes = bytes;
                    }
                    run.sample();
                }
                TaskEvent::TableSkipped { table: t, rows } => {
                    if let Some(i) = table(run, &t) {
                        let x = &mut run.tables[i];
                        x.state = TableState::Completed;
                        x.rows = rows;
                        x.skipped = true;
                    }
                }
                TaskEvent::TableDone {
                    table: t,
                    rows,
                    seconds,
                    ..
                } => {
                    if let Some(i) = table(run, &t) {
                        let x = &mut run.tables[i];
                        x.state = TableState::Completed;
                        x.rows = rows;
                        x.seconds = seconds;
                    }
                    run.sample();
                }
                TaskEvent::TableFailed { table: t, error } => {
                    if let Some(i) = table(run, &t) {
                        run.tables[i].state = TableState::Error;
                        run.tables[i].error = Some(error.clone());
                    }
                    run.exceptions.push(Exception {
                        table: t,
                        what: "table failed".into(),
                        row: String::new(),
                        detail: error,
                    });
                }
                TaskEvent::RowsRefused {
                    table: t,
                    rows,
                    total,
                } => {
                    let shown = rows.len() as u64;
                    run.exceptions
                        .extend(rows.into_iter().map(|(error, values)| Exception {
                            table: t.clone(),
                            what: "refused by the target".into(),
                            row: values,
                            detail: error,
                        }));
                    if total > shown {
                        run.exceptions.push(Exception {
                            table: t,
                            what: format!("{} more refused rows", total - shown),
                            row: String::new(),
                            detail: "all of them are in tugboat_apply_exceptions on the target"
                                .into(),
                        });
                    }
                }
                TaskEvent::Ranges {
                    table: t,
                    parts,
                    done,
                } => {
                    if let Some(i) = table(run, &t) {
                        run.tables[i].ranges = Some((done, parts));
                    }
                }
                TaskEvent::Validated {
                    table: t,
                    source_rows,
                    target_rows,
                    state,
                    mismatched,
                    failures,
                } => {
                    run.exceptions
                        .extend(failures.into_iter().map(|(key, what, cols)| Exception {
                            table: t.clone(),
                            what,
                            row: key,
                            detail: cols,
                        }));
                    if let Some(i) = table(run, &t) {
                        run.tables[i].validation = Some((source_rows, target_rows));
                        run.tables[i].validation_state = Some((state, mismatched));
                    }
                }
                TaskEvent::Cdc(c) => {
                    run.step = match &c.waiting {
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
            },
            EventKind::TaskFinished(r) => {
                if let Ok(s) = &r {
                    for t in &s.tables {
                        if let Some(i) = run.tables.iter().position(|x| x.name == t.source) {
                            let x = &mut run.tables[i];
                            x.state = t.state;
                            x.error = t.error.clone();
                            x.validation = t.validation;
                        }
                    }
                    // Keys, indexes and triggers the target refused: listed with the rows.
                    for f in &s.schema_failures {
                        run.exceptions.push(Exception {
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
                run.step = match &r {
                    // A replicating task's own last step says where it stopped, and why (the
                    // summary's time is its full load's).
                    Ok(_) if run.cdc.is_some() => run.step.clone(),
                    Ok(s) if s.schema_failures.iter().any(|f| !f.deferred) => format!(
                        "finished in {:.1} s; {} keys, indexes or triggers not created (see Exceptions)",
                        s.seconds,
                        s.schema_failures.iter().filter(|f| !f.deferred).count()
                    ),
                    Ok(s) => format!("finished in {:.1} s", s.seconds),
                    Err(e) => e.clone(),
                };
                let t = match &r {
                    Ok(s) => s.seconds,
                    Err(_) => run.started.elapsed().as_secs_f64(),
                };
                if run.samples.len() <= 1 && t > 0.0 {
                    // A load shorter than a sampling interval: its average.
                    let total = run.total_rows();
                    run.samples.push([t, total as f64 / t]);
                } else {
                    run.sample();
                }
                run.finished = Some(r);
            }
            _ => {}
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        ui.label(style::heading("Monitor"));
        self.reload_confirmation(ui, state);
        // Start buttons for the project's tasks.
        let mut to_start = None;
        let mut to_validate = None;
        ui.horizontal_wrapped(|ui| {
            for (i, t) in state.project.tasks.iter().enumerate() {
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
                    to_start = Some(i);
                }
                if ui
                    .add_enabled(!running, egui::Button::new(format!("Validate {}", t.name)))
                    .on_hover_text(
                        "Compare the task's tables on the source and the target without loading: counts, key-range checksums, then the differing rows",
                    )
                    .clicked()
                {
                    to_validate = Some(i);
                }
            }
            if state.project.tasks.is_empty() {
                ui.label(
                    RichText::new("No task in the project: create one on the Tasks screen.")
                        .color(style::MUTED),
                );
            }
        });
        for (i, validate_only) in [(to_start, false), (to_validate, true)] {
            if let Some(i) = i {
                let task = state.project.tasks[i].clone();
                if let Err(e) = self.start(state, &task, vec![], validate_only) {
                    state.message = Some((e, true));
                }
            }
        }
        if self.runs.is_empty() {
            ui.add_space(8.0);
            ui.label(RichText::new("Nothing has run yet in this session.").color(style::MUTED));
            return;
        }
        ui.separator();
        ui.horizontal(|ui| {
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
        let done = run
            .tables
            .iter()
            .filter(|t| t.state == TableState::Completed)
            .count();
        let loading = run
            .tables
            .iter()
            .filter(|t| t.state == TableState::FullLoad)
            .count();
        let errors = run
            .tables
            .iter()
            .filter(|t| t.state == TableState::Error)
            .count();
        let queued = run
            .tables
            .iter()
            .filter(|t| t.state == TableState::BeforeLoad)
            .count();
        let estimated: i64 = run
            .tables
            .iter()
            .map(|t| t.estimated.unwrap_or(0).max(t.rows as i64))
            .sum();
        let total = run.total_rows();
        let elapsed = match &run.finished {
            Some(Ok(s)) => s.seconds,
            _ => run.started.elapsed().as_secs_f64(),
        };
        let rate = if run.finished.is_some() && elapsed > 0.0 {
            total as f64 / elapsed
        } else {
            run.samples.last().map(|s| s[1]).unwrap_or(0.0)
        };
        // Replication with no full load in this run (it was done before): its panel only.
        let cdc_only = run.cdc.is_some() && total == 0;
        ui.horizontal_wrapped(|ui| {
            // First, so that a long status never pushes it out of reach.
            if run.finished.is_none() && ui.button("Stop").clicked() {
                run.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            let color = match run.status() {
                "running" | "stopping" => style::WARN,
                "load complete" => style::OK,
                _ => style::ERROR,
            };
            ui.label(RichText::new(run.status()).strong().color(color));
            if cdc_only {
                ui.label(format!(
                    "· {elapsed:.1} s{} · {}",
                    match run.memory {
                        Some((now, peak)) => format!(" · memory {} MiB (peak {})", now >> 20, peak >> 20),
                        None => String::new(),
                    },
                    run.step
                ));
                return;
            }
            ui.label(format!(
                "· {done} loaded, {loading} loading, {queued} queued, {errors} errored · {total} rows of about {estimated} · {rate:.0} rows/s{} · {elapsed:.1} s{} · {}",
                if run.finished.is_some() { " on average" } else { "" },
                match run.memory {
                    Some((now, peak)) => format!(" · memory {} MiB (peak {})", now >> 20, peak >> 20),
                    None => String::new(),
                },
                run.step
            ));
        });
        if estimated > 0 && !cdc_only {
            ui.add(
                egui::ProgressBar::new((total as f32 / estimated as f32).min(1.0))
                    .show_percentage(),
            );
        }
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
        // Throughput chart.
        let line = egui_plot::Line::new("rows/s", egui_plot::PlotPoints::from(run.samples.clone()));
        readable_y(egui_plot::Plot::new("throughput"))
            .height(140.0)
            .allow_scroll(false)
            .allow_zoom(false)
            .allow_drag(false)
            .x_axis_label("seconds")
            .y_axis_label("rows/s")
            .show(ui, |p| p.line(line));
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
        let can_reload = run.finished.is_some();
        let task_name = run.task.clone();
        let mut reload = None;
        TableBuilder::new(ui)
            .striped(true)
            .column(Column::exact(62.0))
            .column(Column::initial(200.0).resizable(true))
            .column(Column::initial(130.0))
            .column(Column::initial(160.0))
            .column(Column::initial(80.0))
            .column(Column::initial(70.0))
            .column(Column::initial(50.0))
            .column(Column::initial(60.0))
            .column(Column::initial(50.0))
            .column(Column::remainder())
            .header(22.0, |mut h| {
                for c in [
                    "",
                    "Table",
                    "State",
                    "Progress",
                    "Rows",
                    "Rows/s",
                    "MB/s",
                    "Elapsed",
                    "ETA",
                    "Validation",
                ] {
                    h.col(|ui| {
                        ui.strong(c);
                    });
                }
            })
            .body(|mut body| {
                for t in &run.tables {
                    body.row(22.0, |mut row| {
                        let secs = match (t.state, t.started) {
                            (TableState::FullLoad, Some(s)) => s.elapsed().as_secs_f64(),
                            _ => t.seconds,
                        };
                        let est = t.estimated.unwrap_or(0).max(t.rows as i64) as f64;
                        let rate = if secs > 0.0 {
                            t.rows as f64 / secs
                        } else {
                            0.0
                        };
                        row.col(|ui| {
                            if ui
                                .add_enabled(can_reload, egui::Button::new("Reload").small())
                                .on_hover_text(
                                    "Load this table again from scratch (the task's other finished tables are kept)",
                                )
                                .clicked()
                            {
                                reload = Some(t.name.clone());
                            }
                        });
                        row.col(|ui| {
                            ui.add(egui::Label::new(&t.name).truncate())
                                .on_hover_text(format!("into {}", t.target));
                        });
                        row.col(|ui| {
                            let c = match t.state {
                                TableState::Completed => style::OK,
                                TableState::Error | TableState::Cancelled => style::ERROR,
                                TableState::FullLoad => style::WARN,
                                TableState::BeforeLoad => style::MUTED,
                            };
                            let label = match t.ranges {
                                Some((d, n)) if t.state == TableState::FullLoad => {
                                    format!("{} {d}/{n}", t.state.label())
                                }
                                _ => t.state.label().to_string(),
                            };
                            let r = match &t.error {
                                // The reason in the row, whole in its tooltip.
                                Some(e) => ui.add(
                                    egui::Label::new(
                                        RichText::new(format!("{label}: {e}")).color(c),
                                    )
                                    .truncate(),
                                ),
                                None => ui.label(RichText::new(label).color(c)),
                            };
                            if let Some((d, n)) = t.ranges {
                                r.clone().on_hover_text(format!(
                                    "loaded in {n} primary-key ranges in parallel, {d} done"
                                ));
                            }
                            if let Some(e) = &t.error {
                                r.on_hover_text(e);
                            }
                        });
                        row.col(|ui| {
                            let f = if t.state == TableState::Completed {
                                1.0
                            } else if est > 0.0 {
                                (t.rows as f64 / est).min(1.0) as f32
                            } else {
                                0.0
                            };
                            ui.add(egui::ProgressBar::new(f).show_percentage());
                        });
                        row.col(|ui| {
                            ui.label(format!(
                                "{}{}",
                                t.rows,
                                if t.skipped { " (earlier)" } else { "" }
                            ));
                        });
                        row.col(|ui| {
                            ui.label(format!("{rate:.0}"));
                        });
                        row.col(|ui| {
                            let mb = if secs > 0.0 {
                                t.bytes as f64 / secs / 1e6
                            } else {
                                0.0
                            };
                            ui.label(format!("{mb:.1}"));
                        });
                        row.col(|ui| {
                            ui.label(format!("{secs:.1} s"));
                        });
                        row.col(|ui| {
                            let eta = if t.state == TableState::FullLoad
                                && rate > 0.0
                                && est > t.rows as f64
                            {
                                format!("{:.0} s", (est - t.rows as f64) / rate)
                            } else {
                                "–".into()
                            };
                            ui.label(eta);
                        });
                        row.col(|ui| match (&t.validation_state, t.validation) {
                            (Some((st, _)), Some((s, _))) if st.starts_with("Validated") => {
                                ui.label(RichText::new(format!("{st}, {s} rows")).color(style::OK));
                            }
                            (Some((st, n)), Some((s, g))) if st == "Mismatched records" => {
                                ui.label(
                                    RichText::new(format!("{st}: {n} rows differ (source {s}, target {g})"))
                                        .color(style::ERROR),
                                )
                                .on_hover_text("The first differing keys are in tugboat_validation_failures on the target");
                            }
                            (Some((st, _)), _) => {
                                ui.label(RichText::new(st.clone()).color(style::WARN));
                            }
                            _ => {
                                ui.label(RichText::new("Not validated").color(style::MUTED));
                            }
                        });

                    });
                }
            });
        if let Some(table) = reload {
            self.confirm_reload = Some((task_name, table));
        }
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
