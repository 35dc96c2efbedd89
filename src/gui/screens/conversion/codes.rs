//! The Schema conversion screen's "Action items by code" tab: every action item code of the
//! report once, with its category, how often it occurs and in how many objects, its effort, what
//! it says and how to fix it: the list a DBA plans the manual work from.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::category_color;
use crate::assessment::{Category, Report};
use crate::gui::style;

/// One code's figures.
struct CodeRow<'a> {
    code: &'a str,
    category: Category,
    occurrences: usize,
    objects: usize,
    minutes: f64,
    /// What the code is about (the registry's title); the first occurrence's own words when
    /// a report from elsewhere holds a code this build does not know.
    title: &'a str,
    /// The first occurrence's message, for an example.
    message: &'a str,
    fix: &'a str,
}

fn rows(r: &Report) -> Vec<CodeRow<'_>> {
    let mut out: Vec<CodeRow> = vec![];
    for o in &r.objects {
        let mut seen_here: Vec<&str> = vec![];
        for a in &o.action_items {
            let i = match out.iter().position(|x| x.code == a.code) {
                Some(i) => i,
                None => {
                    out.push(CodeRow {
                        code: &a.code,
                        category: a.category,
                        occurrences: 0,
                        objects: 0,
                        minutes: 0.0,
                        title: crate::assessment::codes::parse(&a.code)
                            .map_or(a.message.as_str(), |c| c.title()),
                        message: &a.message,
                        fix: &a.fix,
                    });
                    out.len() - 1
                }
            };
            let row = &mut out[i];
            row.occurrences += 1;
            row.minutes += a.effort_minutes;
            row.category = row.category.max(a.category);
            if !seen_here.contains(&a.code.as_str()) {
                row.objects += 1;
                seen_here.push(&a.code);
            }
        }
    }
    // The worst first, then the most frequent.
    out.sort_by(|a, b| {
        b.category
            .cmp(&a.category)
            .then(b.occurrences.cmp(&a.occurrences))
            .then(a.code.cmp(b.code))
    });
    out
}

pub(super) fn by_code(ui: &mut egui::Ui, r: &Report) {
    let rows = rows(r);
    if rows.is_empty() {
        ui.label(
            RichText::new("No action item: every object converts automatically.").color(style::OK),
        );
        return;
    }
    ui.label(
        RichText::new(format!(
            "{} codes, {} action items; the worst first. A code's effort is the sum of its occurrences' estimates.",
            rows.len(),
            rows.iter().map(|x| x.occurrences).sum::<usize>()
        ))
        .color(style::MUTED),
    );
    egui::ScrollArea::horizontal()
        .id_salt("codes_scroll")
        .show(ui, |ui| {
            TableBuilder::new(ui)
                .striped(true)
                .column(Column::initial(70.0))
                .column(Column::initial(170.0))
                .column(Column::initial(70.0))
                .column(Column::initial(60.0))
                .column(Column::initial(70.0))
                .column(Column::initial(360.0).resizable(true).clip(true))
                .column(Column::remainder().at_least(200.0).clip(true))
                .header(22.0, |mut h| {
                    for c in [
                        "Code",
                        "Category",
                        "Items",
                        "Objects",
                        "Effort",
                        "What it is about",
                        "How to fix it",
                    ] {
                        h.col(|ui| {
                            ui.strong(c);
                        });
                    }
                })
                .body(|body| {
                    body.rows(22.0, rows.len(), |mut row| {
                        let x = &rows[row.index()];
                        row.col(|ui| {
                            ui.monospace(x.code);
                        });
                        row.col(|ui| {
                            ui.horizontal(|ui| {
                                style::status_dot(ui, category_color(x.category));
                                ui.label(x.category.label());
                            });
                        });
                        row.col(|ui| {
                            ui.label(x.occurrences.to_string());
                        });
                        row.col(|ui| {
                            ui.label(x.objects.to_string());
                        });
                        row.col(|ui| {
                            ui.label(format!("{:.1} h", x.minutes / 60.0));
                        });
                        row.col(|ui| {
                            ui.add(egui::Label::new(x.title).truncate())
                                .on_hover_text(format!("For example: {}", x.message));
                        });
                        row.col(|ui| {
                            ui.add(egui::Label::new(x.fix).truncate())
                                .on_hover_text(x.fix);
                        });
                    });
                });
        });
}
