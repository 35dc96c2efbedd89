//! The Logs screen: everything the engine logged through `tracing`, filterable by severity,
//! component and text.

use egui_extras::{Column, TableBuilder};
use tracing::Level;

use crate::gui::style;
use crate::logging::{LogBuffer, LogEntry};

pub struct LogsScreen {
    /// Show entries at this level and more severe.
    pub min_level: Level,
    pub component: String,
    /// Only this task's entries (empty: every entry).
    pub task: String,
    /// Only entries about a table whose name contains this.
    pub table: String,
    pub search: String,
    pub follow: bool,
}

impl Default for LogsScreen {
    fn default() -> Self {
        LogsScreen {
            min_level: Level::INFO,
            component: String::new(),
            task: String::new(),
            table: String::new(),
            search: String::new(),
            follow: true,
        }
    }
}

fn level_label(l: Level) -> &'static str {
    match l {
        Level::ERROR => "Error",
        Level::WARN => "Warning",
        Level::INFO => "Info",
        Level::DEBUG => "Debug",
        Level::TRACE => "Trace",
    }
}

impl LogsScreen {
    /// The entries the current filters let through (only those are copied out of the buffer).
    pub fn filtered(&self, logs: &LogBuffer) -> Vec<LogEntry> {
        let search = self.search.to_lowercase();
        let table = self.table.to_lowercase();
        logs.matching(|e| {
            e.level <= self.min_level
                && (self.component.is_empty() || e.target.contains(&self.component))
                && (self.task.is_empty() || e.task.as_deref() == Some(self.task.as_str()))
                && (table.is_empty()
                    || e.table
                        .as_deref()
                        .is_some_and(|t| t.to_lowercase().contains(&table)))
                && (search.is_empty() || e.message.to_lowercase().contains(&search))
        })
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, logs: &LogBuffer) {
        ui.label(style::heading("Logs"));
        self.pane(ui, logs);
    }

    /// The filters and the entries (also the Monitor's log pane).
    pub fn pane(&mut self, ui: &mut egui::Ui, logs: &LogBuffer) {
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Severity");
            egui::ComboBox::from_id_salt("log_level")
                .selected_text(level_label(self.min_level))
                .show_ui(ui, |ui| {
                    for lv in [Level::ERROR, Level::WARN, Level::INFO, Level::DEBUG] {
                        ui.selectable_value(&mut self.min_level, lv, level_label(lv));
                    }
                })
                .response
                .labelled_by(l.id);
            let l = ui.label("Component");
            ui.add(
                egui::TextEdit::singleline(&mut self.component)
                    .desired_width(160.0)
                    .hint_text("e.g. discovery"),
            )
            .labelled_by(l.id);
            let l = ui.label("Task");
            let tasks = logs.tasks();
            egui::ComboBox::from_id_salt("log_task")
                .selected_text(if self.task.is_empty() {
                    "all"
                } else {
                    self.task.as_str()
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.task, String::new(), "all");
                    for t in tasks {
                        ui.selectable_value(&mut self.task, t.clone(), t);
                    }
                })
                .response
                .labelled_by(l.id);
            let l = ui.label("Table");
            ui.add(
                egui::TextEdit::singleline(&mut self.table)
                    .desired_width(140.0)
                    .hint_text("part of a name"),
            )
            .labelled_by(l.id);
            let l = ui.label("Search");
            ui.add(egui::TextEdit::singleline(&mut self.search).desired_width(220.0))
                .labelled_by(l.id);
            ui.checkbox(&mut self.follow, "Follow");
            if ui.button("Clear").clicked() {
                logs.clear();
            }
        });
        let entries = self.filtered(logs);
        ui.label(
            egui::RichText::new(format!("{} entries shown", entries.len())).color(style::MUTED),
        );
        ui.separator();
        let row_h = 18.0;
        TableBuilder::new(ui)
            .striped(true)
            .stick_to_bottom(self.follow)
            .column(Column::exact(95.0))
            .column(Column::exact(70.0))
            .column(Column::initial(170.0).resizable(true))
            .column(Column::remainder())
            .header(20.0, |mut h| {
                for t in ["Time (UTC)", "Severity", "Component", "Message"] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(row_h, entries.len(), |mut row| {
                    let e = &entries[row.index()];
                    row.col(|ui| {
                        let secs = e.time.rem_euclid(86400.0);
                        ui.monospace(format!(
                            "{:02}:{:02}:{:02}.{:03}",
                            (secs / 3600.0) as u32,
                            (secs / 60.0) as u32 % 60,
                            secs as u32 % 60,
                            ((secs.fract()) * 1000.0) as u32
                        ));
                    });
                    row.col(|ui| {
                        let c = match e.level {
                            Level::ERROR => style::ERROR,
                            Level::WARN => style::WARN,
                            Level::INFO => ui.visuals().text_color(),
                            _ => style::MUTED,
                        };
                        ui.colored_label(c, level_label(e.level));
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(e.target.trim_start_matches("tugboat::")).truncate(),
                        );
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(&e.message).truncate())
                            .on_hover_text(&e.message);
                    });
                });
            });
    }
}
