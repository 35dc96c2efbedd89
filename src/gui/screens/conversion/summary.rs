//! The assessment's summary over the Schema conversion screen: objects per category (the legend),
//! the effort and how it adds up, the verification, the report's actions (save, create a task),
//! and a stacked bar per object kind.

use egui::RichText;

use super::{ConversionScreen, category_color};
use crate::assessment::{Category, Report};
use crate::gui::style;

impl ConversionScreen {
    pub(super) fn summary(&mut self, ui: &mut egui::Ui, r: &Report) {
        let all = r.per_category();
        let total: usize = all.iter().sum();
        let pct = |n: usize| {
            if total == 0 {
                0.0
            } else {
                n as f64 * 100.0 / total as f64
            }
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{total} objects")).strong());
            for c in Category::ALL {
                let n = all[c as usize];
                // A dot and its label in one label, so they wrap together: the legend of the
                // bars below.
                let mut job = egui::text::LayoutJob::default();
                let font = egui::TextStyle::Body.resolve(ui.style());
                job.append(
                    "● ",
                    0.0,
                    egui::TextFormat::simple(font.clone(), category_color(c)),
                );
                job.append(
                    &format!("{n} {} ({:.0}%)", c.label(), pct(n)),
                    0.0,
                    egui::TextFormat::simple(font, ui.visuals().text_color()),
                );
                ui.add(egui::Label::new(job).extend());
            }
            let occurrences: f64 = r
                .objects
                .iter()
                .flat_map(|o| &o.action_items)
                .map(|a| a.effort_minutes)
                .sum();
            let items = r.objects.iter().map(|o| o.action_items.len()).sum::<usize>();
            let codes = r
                .objects
                .iter()
                .flat_map(|o| o.action_items.iter().map(|a| a.code.as_str()))
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            ui.label(
                RichText::new(format!(
                    "· estimated effort {:.1} h",
                    r.total_effort_minutes / 60.0
                ))
                .strong(),
            )
            .on_hover_text(format!(
                "{:.1} h for the {items} action items (each its own estimate, by category), plus {:.1} h to learn each of the {codes} kinds of issue once (the first occurrence of a code costs more than the next ones)",
                occurrences / 60.0,
                (r.total_effort_minutes - occurrences).max(0.0) / 60.0
            ));
            if let Some(s) = &r.statements {
                ui.label(
                    RichText::new(format!(
                        "· {} statements read, {} parsed, {} not parsed, {} data",
                        s.read, s.parsed, s.unparsed, s.data
                    ))
                    .color(style::MUTED),
                );
            }
            let (color, text) = match &r.verification {
                Some(v) if v.objects_failed == 0 => (style::OK, v.summary()),
                Some(v) => (style::WARN, v.summary()),
                None => (
                    style::ERROR,
                    format!(
                        "Not verified: choose a {} target endpoint (Apply to target) and assess again",
                        r.target_dialect.label()
                    ),
                ),
            };
            ui.colored_label(color, text)
                .on_hover_text(crate::assessment::export::verification_line(r));
        });
        // The report's actions on a row of their own, always in reach.
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(self.saving.is_none(), egui::Button::new("Save report…"))
                .on_hover_text("HTML, Markdown, JSON or CSV (SCT layouts), by the file's extension")
                .clicked()
            {
                self.save_prompt = Some(crate::gui::files::PathPrompt::save(
                    "Save the assessment report",
                    &[
                        ("HTML", &["html"]),
                        ("Markdown", &["md"]),
                        ("JSON", &["json"]),
                        ("CSV (SCT layouts)", &["csv"]),
                    ],
                    std::env::current_dir().unwrap_or_default().join("assessment.html"),
                ));
            }
            if ui
                .button("Create a task from this assessment")
                .on_hover_text("A migration task from this source endpoint to the Apply target's endpoint, all tables, with replication where the source allows it")
                .clicked()
            {
                self.create_task_asked = true;
            }
            if let Some(m) = &self.message {
                ui.label(m);
            }
        });
        // A stacked bar per object kind: how much of it converts automatically.
        let max = r.summary.iter().map(|k| k.total).max().unwrap_or(1).max(1) as f32;
        egui::Grid::new("summary_bars")
            .num_columns(3)
            .spacing([8.0, 3.0])
            .show(ui, |ui| {
                for k in &r.summary {
                    ui.label(format!(
                        "{}{}",
                        k.kind,
                        if k.code_object { " (code)" } else { "" }
                    ));
                    ui.label(RichText::new(k.total.to_string()).monospace());
                    let width = 420.0 * k.total as f32 / max;
                    let (rect, resp) =
                        ui.allocate_exact_size(egui::vec2(420.0, 14.0), egui::Sense::hover());
                    let mut x = rect.left();
                    for c in Category::ALL {
                        let n = k.per_category[c as usize];
                        if n == 0 {
                            continue;
                        }
                        let w = width * n as f32 / k.total as f32;
                        ui.painter().rect_filled(
                            egui::Rect::from_min_size(
                                egui::pos2(x, rect.top()),
                                egui::vec2(w, rect.height()),
                            ),
                            2.0,
                            category_color(c),
                        );
                        x += w;
                    }
                    resp.on_hover_text(
                        Category::ALL
                            .iter()
                            .map(|c| format!("{}: {}", c.label(), k.per_category[*c as usize]))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                    ui.end_row();
                }
            });
    }
}
