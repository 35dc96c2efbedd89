//! The Monitor's panes and charts: the exceptions list, the pane tabs, the replication panel and its charts' scales.

use super::*;
use crate::cdc::ReplicationPhase;

/// Refused rows and rows validation found different, newest last.
pub(super) fn exceptions_pane(ui: &mut egui::Ui, rows: &[Exception]) {
    if rows.is_empty() {
        ui.label(
            RichText::new(
                "No row was refused by the target, and validation found no differing row.",
            )
            .color(style::MUTED),
        );
        return;
    }
    ui.label(
        RichText::new(
            "The first rows per table; every refused row is in tugboat_apply_exceptions and the first 100 differing keys per table in tugboat_validation_failures on the target.",
        )
        .color(style::MUTED),
    );
    TableBuilder::new(ui)
        .striped(true)
        .column(Column::initial(200.0).resizable(true))
        .column(Column::initial(160.0).resizable(true))
        .column(Column::initial(320.0).resizable(true))
        .column(Column::remainder())
        .header(22.0, |mut h| {
            for c in ["Table", "What", "Key or values", "Error or columns"] {
                h.col(|ui| {
                    ui.strong(c);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, rows.len(), |mut row| {
                let e = &rows[row.index()];
                row.col(|ui| {
                    ui.label(&e.table);
                });
                row.col(|ui| {
                    ui.label(RichText::new(&e.what).color(style::ERROR));
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(RichText::new(&e.row).monospace()).truncate())
                        .on_hover_text(&e.row);
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(&e.detail).truncate())
                        .on_hover_text(&e.detail);
                });
            });
        });
}

/// The run's status line and overall progress bar, from its progress model.
pub(super) fn header(ui: &mut egui::Ui, run: &Run, cdc_only: bool) {
    let p = &run.progress;
    let elapsed = p.seconds();
    let memory = match run.memory {
        Some((now, peak)) => format!(" · memory {} MiB (peak {})", now >> 20, peak >> 20),
        None => String::new(),
    };
    ui.horizontal_wrapped(|ui| {
        // First, so that a long status never pushes it out of reach.
        if run.finished.is_none() && ui.button("Stop").clicked() {
            run.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let color = match run.status() {
            "running" | "stopping" | "validating" => style::WARN,
            "load complete" | "validation complete" => style::OK,
            _ => style::ERROR,
        };
        ui.label(RichText::new(run.status()).strong().color(color));
        let text = if cdc_only {
            format!("· {elapsed:.1} s{memory} · {}", p.step)
        } else {
            let now = run.samples.last().map(|s| s[1]);
            format!("· {}{memory} · {}", p.status_line(now), p.step)
        };
        ui.label(text);
    });
    if cdc_only || p.tables.is_empty() {
        return;
    }
    let (fraction, what) = if p.validating {
        (p.validated_fraction(), "validated")
    } else {
        (p.fraction(), "loaded")
    };
    ui.add(
        egui::ProgressBar::new(fraction as f32)
            .text(format!("{:.0} % {what}", (fraction * 100.0).floor())),
    );
}

/// The tabs over the Monitor's panes (`tables`: the first tab's name), and a separator.
pub(super) fn pane_tabs(ui: &mut egui::Ui, pane: &mut Pane, tables: &str, exceptions: usize) {
    ui.horizontal(|ui| {
        ui.selectable_value(pane, Pane::Tables, tables);
        ui.selectable_value(pane, Pane::Exceptions, format!("Exceptions ({exceptions})"));
        ui.selectable_value(pane, Pane::Log, "Task log");
    });
    ui.separator();
}

/// A chart's y axis from zero (a rate or a latency read against its scale), in steps of 1, 2 or
/// 5 × 10ⁿ, about four to a chart, labelled with the decimals the step needs: powers of ten
/// alone leave a range such as 0–1,000 with no label but 0.
pub(super) fn readable_y(plot: egui_plot::Plot<'_>) -> egui_plot::Plot<'_> {
    plot.include_y(0.0)
        .y_axis_min_width(44.0)
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|g| {
            let step = nice_step((g.bounds.1 - g.bounds.0) / 4.0);
            [step, step * 2.0, step * 10.0]
        }))
        .y_axis_formatter(|mark, _| {
            let decimals = (-mark.step_size.log10()).ceil().max(0.0) as usize;
            format!("{:.*}", decimals, mark.value)
        })
}

/// The smallest of 1, 2 or 5 × 10ⁿ at least `raw` (a chart's grid step).
pub(super) fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

/// Replication: where it stands, changes/s and latency charts, and what each table received.
pub(super) fn cdc_panel(ui: &mut egui::Ui, c: &crate::cdc::CdcStats, samples: &[[f64; 5]]) {
    ui.horizontal_wrapped(|ui| {
        let waiting;
        let (word, color) = if let Some(w) = &c.waiting {
            waiting = format!("paused: {w}");
            (waiting.as_str(), style::ERROR)
        } else if c.ready_to_cut_over && !c.constraint_failures.is_empty() {
            ("ready to cut over, but constraints do not hold", style::WARN)
        } else if c.ready_to_cut_over {
            ("ready to cut over", style::OK)
        } else if c.constraints_pending > 0 && c.phase == ReplicationPhase::Cdc && c.backlog == 0 {
            ("caught up: checking the constraints the full load left", style::WARN)
        } else if c.open_transaction > 0 {
            ("inside a large source transaction", style::WARN)
        } else if c.phase == ReplicationPhase::FullLoad {
            (
                "beside the full load (a table's changes wait for its load)",
                style::WARN,
            )
        } else if c.phase == ReplicationPhase::Replay {
            ("applying the changes made during the full load", style::WARN)
        } else {
            ("catching up", style::WARN)
        };
        ui.label(RichText::new(format!("Replication: {word}")).strong().color(color));
        ui.label(format!(
            "· read {} · applied {} · {} changes applied · backlog {} · latency source {:.2} s, target {:.2} s{}",
            c.read_position, c.checkpoint, c.applied, c.backlog, c.source_latency_s, c.target_latency_s,
            // MySQL's and MariaDB's binary logs time transactions in whole seconds.
            if c.read_position.contains(':') { " (to the second)" } else { "" }
        ));
        if c.open_transaction > 0 {
            ui.label(
                RichText::new(format!(
                    "· {} of its changes applied so far, committed on the target with its end",
                    c.open_transaction
                ))
                .color(style::WARN),
            )
            .on_hover_text("The target shows none of the transaction until its end is read; a stop before then rolls it back and a restart reads it again");
        }
        if c.constraints_pending > 0 {
            ui.label(
                RichText::new(format!(
                    "· {} constraints to check once caught up",
                    c.constraints_pending
                ))
                .color(style::WARN),
            )
            .on_hover_text("Foreign keys (created NOT VALID on PostgreSQL) and the post-data statements that failed while replication was behind the full load: checked, or run again, once replication has caught up");
        }
    });
    for f in &c.constraint_failures {
        ui.label(RichText::new(f).color(style::ERROR));
    }
    let series = |i: usize| -> egui_plot::PlotPoints {
        samples
            .iter()
            .map(|s| [s[0], s[i]])
            .collect::<Vec<_>>()
            .into()
    };
    // Two lines each: (name, column of `samples`).
    let chart = |ui: &mut egui::Ui, id: &str, unit: &str, lines: [(&str, usize); 2]| {
        readable_y(egui_plot::Plot::new(id))
            .height(160.0)
            .allow_scroll(false)
            .allow_zoom(false)
            .allow_drag(false)
            .legend(egui_plot::Legend::default())
            .x_axis_label("seconds")
            .y_axis_label(unit)
            .show(ui, |p| {
                for (name, i) in lines {
                    p.line(egui_plot::Line::new(name, series(i)));
                }
            });
    };
    ui.columns(2, |cols| {
        chart(
            &mut cols[0],
            "cdc_rate",
            "changes/s",
            [("incoming", 1), ("applied", 2)],
        );
        chart(
            &mut cols[1],
            "cdc_latency",
            "latency (s)",
            [("source", 3), ("target", 4)],
        );
    });
    if !c.tables.is_empty() {
        egui::Grid::new("cdc_tables")
            .striped(true)
            .num_columns(8)
            .show(ui, |ui| {
                for h in [
                    "table",
                    "inserts",
                    "updates",
                    "deletes",
                    "DDL",
                    "exceptions",
                    "cached",
                    "state",
                ] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for (t, n) in &c.tables {
                    ui.label(t);
                    for v in [n.inserts, n.updates, n.deletes, n.ddls, n.exceptions] {
                        ui.label(v.to_string());
                    }
                    ui.label(n.cached.to_string()).on_hover_text(
                        "Changes made while the table is being loaded: applied once it is loaded (DMS's cached changes)",
                    );
                    match (&n.suspended, n.load.as_deref()) {
                        (Some(why), _) => {
                            ui.colored_label(style::ERROR, format!("suspended: {why}"))
                        }
                        (None, Some("before load")) => {
                            ui.label("before its load (the load reads its changes)")
                        }
                        (None, Some(_)) => {
                            ui.colored_label(style::WARN, "loading: its changes are cached")
                        }
                        (None, None) => ui.label("replicating"),
                    };
                    ui.end_row();
                }
            });
    }
    ui.add_space(6.0);
}
