//! The Monitor's table statistics grid, as DMS shows it: state, validation, progress, rows,
//! rows/s, MB/s, elapsed, ETA and the table's exceptions, with a Reload button per row. Every
//! figure comes from the run's [`crate::tasks::progress::RunProgress`].

use super::*;

/// Draws the grid (scrolling sideways when the window is narrow); returns the table whose
/// Reload was clicked.
pub(super) fn tables(ui: &mut egui::Ui, run: &Run, can_reload: bool) -> Option<String> {
    let mut reload = None;
    egui::ScrollArea::horizontal()
        .id_salt("table_stats_scroll")
        .show(ui, |ui| {
            TableBuilder::new(ui)
                .striped(true)
                .column(Column::exact(62.0))
                .column(Column::initial(170.0).at_least(120.0).resizable(true).clip(true))
                .column(Column::initial(130.0).at_least(110.0).resizable(true).clip(true))
                // (Validation beside the state: in view in a window 1024 pixels wide.)
                .column(Column::initial(170.0).at_least(120.0).resizable(true).clip(true))
                .column(Column::initial(110.0))
                .column(Column::initial(80.0))
                .column(Column::initial(70.0))
                .column(Column::initial(50.0))
                .column(Column::initial(60.0))
                .column(Column::initial(50.0))
                .column(Column::remainder().at_least(80.0))
                .header(22.0, |mut h| {
                    for c in [
                        "",
                        "Table",
                        "State",
                        "Validation",
                        "Progress",
                        "Rows",
                        "Rows/s",
                        "MB/s",
                        "Elapsed",
                        "ETA",
                        "Exceptions",
                    ] {
                        h.col(|ui| {
                            ui.strong(c);
                        });
                    }
                })
                .body(|mut body| {
                    for t in run.tables() {
                        body.row(22.0, |mut row| {
                            row.col(|ui| {
                                if ui
                                    .add_enabled(can_reload, egui::Button::new("Reload").small())
                                    .on_hover_text(
                                        "Load this table again from scratch (asks first; the task's other finished tables are kept)",
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
                            row.col(|ui| state_cell(ui, t));
                            row.col(|ui| validation_cell(ui, t));
                            row.col(|ui| {
                                ui.add(egui::ProgressBar::new(t.fraction() as f32).show_percentage());
                            });
                            row.col(|ui| {
                                ui.label(format!(
                                    "{}{}",
                                    t.rows,
                                    if t.skipped { " (earlier)" } else { "" }
                                ));
                            });
                            row.col(|ui| {
                                ui.label(format!("{:.0}", t.rate()));
                            });
                            row.col(|ui| {
                                let secs = t.elapsed();
                                let mb = if secs > 0.0 && !t.skipped {
                                    t.bytes as f64 / secs / 1e6
                                } else {
                                    0.0
                                };
                                ui.label(format!("{mb:.1}"));
                            });
                            row.col(|ui| {
                                ui.label(format!("{:.1} s", t.elapsed()));
                            });
                            row.col(|ui| {
                                ui.label(t.eta().map_or("–".into(), |s| format!("{s:.0} s")));
                            });
                            row.col(|ui| {
                                let n = run.exceptions.iter().filter(|e| e.table == t.name).count();
                                if n > 0 {
                                    ui.label(RichText::new(n.to_string()).color(style::ERROR))
                                        .on_hover_text("See the Exceptions tab");
                                } else {
                                    ui.label(RichText::new("0").color(style::MUTED));
                                }
                            });
                        });
                    }
                });
        });
    reload
}

/// The state, with the ranges of a table loaded in key ranges and the error in the row.
fn state_cell(ui: &mut egui::Ui, t: &TableProgress) {
    let c = match t.state {
        TableState::Completed => style::OK,
        TableState::Error | TableState::Cancelled => style::ERROR,
        TableState::FullLoad => style::WARN,
        TableState::BeforeLoad => style::MUTED,
    };
    let label = match t.ranges {
        Some((d, n)) if t.state == TableState::FullLoad => format!("{} {d}/{n}", t.state.label()),
        _ => t.state.label().to_string(),
    };
    let r = match &t.error {
        // The reason in the row, whole in its tooltip.
        Some(e) => {
            ui.add(egui::Label::new(RichText::new(format!("{label}: {e}")).color(c)).truncate())
        }
        None => ui.label(RichText::new(label).color(c)),
    };
    if let Some((d, n)) = t.ranges {
        r.clone().on_hover_text(format!(
            "loaded in {n} parts side by side (ranges of its integer key, or slices: page ranges, ranges of sampled keys), {d} done"
        ));
    }
    if let Some(e) = &t.error {
        r.on_hover_text(e);
    }
}

fn validation_cell(ui: &mut egui::Ui, t: &TableProgress) {
    match (&t.validation_state, t.validation) {
        (Some((st, _)), Some((s, _))) if st.starts_with("Validated") => {
            ui.label(RichText::new(format!("{st}, {s} rows")).color(style::OK));
        }
        (Some((st, n)), Some((s, g))) if st == "Mismatched records" => {
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "{st}: {} {} (source {s}, target {g})",
                        crate::units::rows(*n),
                        crate::units::differ(*n)
                    ))
                        .color(style::ERROR),
                )
                .truncate(),
            )
            .on_hover_text("The first differing keys are in the Exceptions tab and in tugboat_validation_failures on the target");
        }
        (Some((st, _)), _) => {
            ui.label(RichText::new(st.clone()).color(style::WARN));
        }
        _ => {
            ui.label(RichText::new("Not validated").color(style::MUTED));
        }
    }
}
