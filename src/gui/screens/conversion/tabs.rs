//! The Schema conversion screen's Type rules and Apply to target tabs.

use super::*;

impl ConversionScreen {
    /// The type rules in force for this source, and a field to try any declared type against them.
    pub(super) fn rules(&mut self, ui: &mut egui::Ui, r: &Report) {
        // Loaded once, not on every frame; again when the source, target or folder changes.
        let key = (
            r.source_dialect,
            r.target_dialect,
            self.rules_dir.trim().to_string(),
        );
        if self.rules_cache.as_ref().is_none_or(|(k, _)| *k != key) {
            let dir = (!key.2.is_empty()).then(|| PathBuf::from(&key.2));
            let loaded = crate::conversion::RuleSet::load(key.0, key.1, dir.as_deref())
                .map_err(|e| e.to_string());
            self.rules_cache = Some((key, loaded));
        }
        let rules = match self.rules_cache.as_ref().map(|(_, r)| r) {
            Some(Ok(rules)) => rules.clone(),
            Some(Err(e)) => {
                ui.colored_label(style::ERROR, e);
                return;
            }
            None => return,
        };
        ui.horizontal(|ui| {
            let l = ui.label(format!("Try a {} type", r.source_dialect.label()));
            ui.add(egui::TextEdit::singleline(&mut self.try_type).desired_width(220.0))
                .labelled_by(l.id);
            let t = crate::sqltext::parse_declared_type(&self.try_type);
            match rules.map_type(&t) {
                Some((target, action)) => {
                    ui.label(
                        RichText::new(format!("becomes {target}"))
                            .monospace()
                            .strong(),
                    );
                    if let Some(a) = action {
                        ui.colored_label(
                            category_color(a.category),
                            format!("{}: {}", a.code, a.message),
                        );
                    }
                }
                None => {
                    ui.colored_label(
                        style::ERROR,
                        "no rule matches: kept as text with an action item",
                    );
                }
            }
        });
        ui.label(
            RichText::new("Rules come from conversion-rules/*.ron, then the rules folder above (its rules are tried first). Edit a file and assess again to see the effect.")
                .color(style::MUTED),
        );
        egui_extras::TableBuilder::new(ui)
            .striped(true)
            .column(
                egui_extras::Column::initial(260.0)
                    .resizable(true)
                    .clip(true),
            )
            .column(
                egui_extras::Column::initial(260.0)
                    .resizable(true)
                    .clip(true),
            )
            .column(
                egui_extras::Column::initial(180.0)
                    .resizable(true)
                    .clip(true),
            )
            .column(egui_extras::Column::remainder().clip(true))
            .header(20.0, |mut h| {
                for t in ["source types", "conditions", "target", "action"] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(18.0, rules.types.len(), |mut row| {
                    let t = &rules.types[row.index()];
                    let mut cond = vec![];
                    if let Some(u) = t.unsigned {
                        cond.push(if u {
                            "unsigned".to_string()
                        } else {
                            "signed".into()
                        });
                    }
                    if let Some((a, b)) = t.length {
                        cond.push(format!("length {a}..{b}"));
                    }
                    if let Some((a, b)) = t.precision {
                        cond.push(format!("precision {a}..{b}"));
                    }
                    if let Some((a, b)) = t.scale {
                        cond.push(format!("scale {a}..{b}"));
                    }
                    if let Some(c) = &t.declared_contains {
                        cond.push(format!("contains {c}"));
                    }
                    if let Some(o) = &t.option {
                        cond.push(format!("option {o}"));
                    }
                    row.col(|ui| {
                        ui.monospace(t.from.join(", "));
                    });
                    row.col(|ui| {
                        ui.label(cond.join(", "));
                    });
                    row.col(|ui| {
                        ui.monospace(&t.to);
                    });
                    row.col(|ui| {
                        if let Some(a) = &t.action {
                            ui.colored_label(category_color(a.category), a.code.as_str())
                                .on_hover_text(&a.message);
                        }
                    });
                });
            });
    }

    pub(super) fn apply(&mut self, ui: &mut egui::Ui, state: &mut AppState, r: &Report) {
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Target endpoint");
            // Named in full (engine, host, database), held by id, and only target endpoints
            // of the report's engine are offered.
            let current = self
                .target_endpoint
                .as_deref()
                .and_then(|id| state.project.endpoint_by_id(id))
                .map(|e| e.label())
                .unwrap_or_else(|| "choose…".into());
            egui::ComboBox::from_id_salt("conv_target")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for e in &state.project.endpoints {
                        if engine_dialect(e.engine) == r.target_dialect
                            && e.role == crate::endpoints::Role::Target
                            && e.engine.is_database()
                        {
                            ui.selectable_value(
                                &mut self.target_endpoint,
                                Some(e.id.clone()),
                                e.label(),
                            );
                        }
                    }
                })
                .response
                .labelled_by(l.id);
            ui.checkbox(
                &mut self.with_data,
                format!(
                    "Also load the script's INSERTs ({} statements)",
                    r.data.len()
                ),
            );
            let ready = self.apply_target(state).is_some();
            if ui
                .add_enabled(
                    ready && self.applying.is_none(),
                    egui::Button::new("Apply schema"),
                )
                .clicked()
            {
                self.confirm_apply = true;
            }
        });
        // Asked first, naming the server in full: DDL must never go to the wrong one.
        let target = self.apply_target(state);
        if self.confirm_apply
            && let Some(e) = &target
        {
            let statements: usize = r.objects.iter().map(|o| o.target.len()).sum();
            let mut go = false;
            ui.group(|ui| {
                ui.label(
                    RichText::new(format!(
                        "Apply {statements} statements to {} ({} {}, database {})?",
                        e.label(),
                        e.engine.label(),
                        if e.host.is_empty() { "file" } else { e.host.as_str() },
                        if e.database.is_empty() { "(default)" } else { e.database.as_str() },
                    ))
                    .strong(),
                );
                if self.recreate {
                    ui.colored_label(style::ERROR, "Existing tables of the same names are dropped and re-created: their rows are lost.");
                }
                ui.horizontal(|ui| {
                    if ui.button("Yes, apply").clicked() {
                        go = true;
                        self.confirm_apply = false;
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm_apply = false;
                    }
                });
            });
            if go {
                self.start_apply(state, r, e.clone());
            }
        }
        ui.label(RichText::new("Pre-data (schemas, types, sequences, tables) runs first, then the data if chosen, then post-data (keys, indexes, triggers, views, sequence values). Running it again is safe.").color(style::MUTED));
        if self.applying.is_some() {
            let (done, total) = self.apply_progress;
            let frac = if total == 0 {
                0.0
            } else {
                done as f32 / total as f32
            };
            ui.add(
                egui::ProgressBar::new(frac)
                    .text(format!("{done} of {total} statements"))
                    .animate(true),
            );
        }
        match &self.applied {
            Some(Ok(results)) => {
                let failed = results
                    .iter()
                    .filter(|a| matches!(a.result, StatementResult::Failed(_)))
                    .count();
                let exists = results
                    .iter()
                    .filter(|a| a.result == StatementResult::Exists)
                    .count();
                let color = if failed == 0 { style::OK } else { style::ERROR };
                let mut retry = false;
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(
                        color,
                        format!(
                            "{} statements: {} applied, {exists} already there, {failed} failed",
                            results.len(),
                            results.len() - failed - exists
                        ),
                    );
                    ui.checkbox(&mut self.failures_only, "Failures only");
                    if failed > 0
                        && ui
                            .add_enabled(self.applying.is_none(), egui::Button::new("Retry"))
                            .on_hover_text("Apply again: what is there already is kept, what failed is tried again (after you fixed its cause or edited its SQL)")
                            .clicked()
                    {
                        retry = true;
                    }
                });
                if retry && let Some(e) = target {
                    self.start_apply(state, r, e);
                    return;
                }
                let failures_only = self.failures_only;
                egui::ScrollArea::vertical()
                    .id_salt("apply_results")
                    .show(ui, |ui| {
                        for a in results.iter().filter(|a| {
                            !failures_only || matches!(a.result, StatementResult::Failed(_))
                        }) {
                            match &a.result {
                                StatementResult::Failed(e) => {
                                    ui.colored_label(
                                        style::ERROR,
                                        format!("FAILED {}: {e}", a.object),
                                    );
                                }
                                StatementResult::Exists => {
                                    ui.label(
                                        RichText::new(format!("exists {}", a.object))
                                            .color(style::MUTED),
                                    );
                                }
                                StatementResult::Ok => {
                                    ui.label(format!("ok {}", a.object));
                                }
                            }
                        }
                    });
            }
            Some(Err(e)) => {
                ui.colored_label(style::ERROR, format!("Apply failed: {e}"));
            }
            None => {}
        }
    }

    /// Applies the report to `e` in the background.
    fn start_apply(&mut self, state: &mut AppState, r: &Report, e: crate::endpoints::Endpoint) {
        let password = state.secrets.get(&e.id);
        self.applied = None;
        self.apply_progress = (0, 0);
        self.applying = Some(state.runtime.submit(Command::ApplySchema {
            report: Box::new(r.clone()),
            endpoint: e,
            password,
            with_data: self.with_data,
            recreate: self.recreate,
        }));
    }

    /// The chosen apply target, if it is still a target endpoint of the project.
    fn apply_target(&self, state: &AppState) -> Option<crate::endpoints::Endpoint> {
        self.target_endpoint
            .as_deref()
            .and_then(|id| state.project.endpoint_by_id(id))
            .filter(|e| e.role == crate::endpoints::Role::Target && e.engine.is_database())
            .cloned()
    }
}
