//! The Endpoints screen: the project's endpoints (add, edit, duplicate, delete), the connection
//! test, and the schema browser of the selected endpoint. Connection tests and discovery run on
//! the background runtime; this screen only sends commands and shows the events that come back.

use std::collections::HashMap;

use super::endpoint_form::form;
use crate::gui::files::Browse;

use egui::RichText;

use super::schema_browser::{BrowserAction, CountState, SchemaBrowser};
use crate::endpoints::{Endpoint, Engine, Password, Role, ServerInfo};
use crate::engines::discover::DiscoverOptions;
use crate::gui::app::AppState;
use crate::gui::style;
use crate::model::Catalog;
use crate::runtime::{Command, Event, EventKind, RequestId};

/// What is known about one endpoint in this session.
#[derive(Default)]
pub struct EndpointStatus {
    pub testing: Option<RequestId>,
    pub test: Option<Result<ServerInfo, String>>,
    pub discovering: Option<RequestId>,
    pub catalog: Option<Result<Box<Catalog>, String>>,
    /// The step a running discovery is at.
    pub step: Option<String>,
    pub counts: HashMap<(String, String), CountState>,
    /// A PostgreSQL endpoint's replication slots: the request listing them, and the list.
    pub slots_request: Option<RequestId>,
    pub slots: Option<Result<Vec<crate::engines::postgres::pgoutput::SlotInfo>, String>>,
    /// A slot whose drop waits for the user's confirmation.
    pub confirm_drop: Option<String>,
}

#[derive(Default)]
pub struct EndpointsScreen {
    pub selected: Option<usize>,
    pub status: HashMap<String, EndpointStatus>,
    pub browser: SchemaBrowser,
    /// F5 was pressed on this screen: test the selected endpoint again.
    pub refresh: bool,
    /// The id of the endpoint a delete is being confirmed for.
    confirm_delete: Option<String>,
    /// (endpoint id, field, answer) of an open file dialog.
    file_dialog: Option<(String, FileField, Browse)>,
}

#[derive(Clone, Copy)]
pub(super) enum FileField {
    Database,
    CaFile,
}

impl EndpointsScreen {
    /// Routes an engine event to the endpoint it concerns.
    pub fn on_event(&mut self, event: Event) {
        let st = self.status.entry(event.endpoint).or_default();
        match event.kind {
            EventKind::ConnectionTested(r) if st.testing == Some(event.request) => {
                st.testing = None;
                st.test = Some(r);
            }
            EventKind::Discovered(r) if st.discovering == Some(event.request) => {
                st.discovering = None;
                st.step = None;
                st.catalog = Some(r);
            }
            EventKind::Slots(r) if st.slots_request == Some(event.request) => {
                st.slots_request = None;
                st.slots = Some(r);
            }
            EventKind::DiscoveryProgress(p) if st.discovering == Some(event.request) => {
                st.step = Some(p.step);
            }
            EventKind::RowsCounted {
                schema,
                table,
                result,
            } => {
                let v = match result {
                    Ok(n) => CountState::Done(n),
                    Err(e) => CountState::Failed(e),
                };
                st.counts.insert((schema, table), v);
            }
            _ => {}
        }
    }

    fn password(state: &AppState, id: &str) -> Option<Password> {
        state.secrets.get(id)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        self.poll_file_dialog(state);
        if self.selected.is_none() && !state.project.endpoints.is_empty() {
            self.selected = Some(0);
        }
        if self
            .selected
            .is_some_and(|i| i >= state.project.endpoints.len())
        {
            self.selected = state.project.endpoints.len().checked_sub(1);
        }
        egui::Panel::left("endpoint_list")
            .resizable(true)
            .default_size(230.0)
            .min_size(180.0)
            .show(ui, |ui| {
                self.list(ui, state);
            });
        egui::CentralPanel::default().show(ui, |ui| match self.selected {
            Some(i) => self.editor(ui, state, i),
            None => {
                ui.label(style::heading("No endpoints"));
                ui.label("Add one with the “Add endpoint” button.");
            }
        });
    }

    fn list(&mut self, ui: &mut egui::Ui, state: &mut AppState) {
        ui.label(style::heading("Endpoints"));
        ui.horizontal_wrapped(|ui| {
            if ui.button("Add endpoint").clicked() {
                let mut e = Endpoint::new(Engine::Postgres);
                e.name = state.project.unique_endpoint_name("New endpoint");
                e.user = "postgres".into();
                state.project.endpoints.push(e);
                state.project.ensure_ids();
                state.dirty = true;
                self.selected = Some(state.project.endpoints.len() - 1);
            }
            if let Some(i) = self.selected {
                if ui.button("Duplicate").clicked() {
                    let mut e = state.project.endpoints[i].clone();
                    e.name = state
                        .project
                        .unique_endpoint_name(&format!("{} copy", e.name));
                    // A copy is another endpoint: its own id.
                    e.id.clear();
                    state.project.endpoints.insert(i + 1, e);
                    state.project.ensure_ids();
                    state.dirty = true;
                    self.selected = Some(i + 1);
                }
                if ui.button("Delete").clicked() {
                    self.confirm_delete = Some(state.project.endpoints[i].id.clone());
                }
            }
        });
        let deleting = self
            .confirm_delete
            .as_ref()
            .and_then(|id| state.project.endpoints.iter().position(|e| &e.id == id));
        if let Some(i) = deleting {
            ui.group(|ui| {
                let e = &state.project.endpoints[i];
                ui.label(format!(
                    "Delete endpoint {}, {} {}?",
                    e.label(),
                    e.engine.label(),
                    if e.role == Role::Target {
                        "target"
                    } else {
                        "source"
                    }
                ));
                let users: Vec<&str> = state
                    .project
                    .tasks
                    .iter()
                    .filter(|t| t.source == e.id || t.target == e.id)
                    .map(|t| t.name.as_str())
                    .collect();
                if !users.is_empty() {
                    ui.colored_label(
                        style::WARN,
                        format!(
                            "Used by task {}: it will need another endpoint.",
                            users.join(", ")
                        ),
                    );
                }
                ui.horizontal(|ui| {
                    if ui.button("Yes, delete").clicked() {
                        let e = state.project.endpoints.remove(i);
                        self.status.remove(&e.id);
                        state.secrets.set(&e.id, None);
                        state.dirty = true;
                        self.confirm_delete = None;
                        self.selected = None;
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm_delete = None;
                    }
                });
            });
        }
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("endpoint_scroll")
            .show(ui, |ui| {
                for (i, e) in state.project.endpoints.iter().enumerate() {
                    let st = self.status.get(&e.id);
                    let color = match st.and_then(|s| s.test.as_ref()) {
                        Some(Ok(_)) => style::OK,
                        Some(Err(_)) => style::ERROR,
                        None => style::MUTED,
                    };
                    ui.horizontal(|ui| {
                        style::status_dot(ui, color);
                        let r = ui.selectable_label(self.selected == Some(i), &e.name);
                        if r.clicked() {
                            self.selected = Some(i);
                            self.confirm_delete = None;
                        }
                    });
                    ui.label(
                        RichText::new(format!(
                            "    {} · {}",
                            e.engine.label(),
                            if e.role == Role::Target {
                                "target"
                            } else {
                                "source"
                            }
                        ))
                        .small()
                        .color(style::MUTED),
                    );
                }
            });
    }

    fn editor(&mut self, ui: &mut egui::Ui, state: &mut AppState, i: usize) {
        // The form and the test result: beside each other on a wide window, one under the other
        // on a narrow one; the panel resizes and scrolls, the actions stay at its top.
        let room = ui.available_height();
        egui::Panel::top("endpoint_form")
            .resizable(true)
            .default_size(room * 0.55)
            .min_size(120.0)
            .max_size(room * 0.85)
            .show(ui, |ui| {
                self.actions(ui, state, i);
                ui.add_space(4.0);
                egui::ScrollArea::vertical()
                    .id_salt("endpoint_form_scroll")
                    .auto_shrink([false, true])
                    .show(ui, |ui| {
                        let wide = ui.available_width() >= 980.0;
                        if wide {
                            ui.horizontal_top(|ui| {
                                ui.vertical(|ui| {
                                    ui.set_width(700.0_f32.min(ui.available_width() * 0.62));
                                    self.fields(ui, state, i);
                                });
                                ui.add_space(18.0);
                                ui.vertical(|ui| self.result(ui, state, i));
                            });
                        } else {
                            self.fields(ui, state, i);
                            ui.add_space(6.0);
                            self.result(ui, state, i);
                        }
                    });
                ui.add_space(4.0);
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let endpoint = state.project.endpoints[i].clone();
            let endpoint_is_database = endpoint.engine.is_database();
            let st = self.status.entry(endpoint.id.clone()).or_default();
            if Self::slots_ui(ui, state, &endpoint, st) {
                ui.separator();
            }
            match (&st.catalog, st.discovering) {
                (_, Some(_)) => {
                    ui.horizontal(|ui| {
                        style::busy(ui);
                        ui.label(format!(
                            "Reading the catalog: {}…",
                            st.step.as_deref().unwrap_or("connecting")
                        ));
                    });
                }
                (Some(Ok(catalog)), None) => {
                    if let Some(BrowserAction::CountRows { schema, table }) =
                        self.browser.ui(ui, catalog, &st.counts)
                    {
                        st.counts
                            .insert((schema.clone(), table.clone()), CountState::Counting);
                        let password = Self::password(state, &endpoint.id);
                        state.runtime.submit(Command::CountRows {
                            endpoint,
                            password,
                            schema,
                            table,
                        });
                    }
                }
                (Some(Err(e)), None) => {
                    ui.colored_label(style::ERROR, format!("Schema browser: {e}"));
                }
                (None, None) if !endpoint_is_database => {
                    ui.label(
                        RichText::new("A Parquet target has no catalog: tasks write its files.")
                            .color(style::MUTED),
                    );
                }
                (None, None) => {
                    ui.label(
                        RichText::new("Use “Browse schema” to read this endpoint's catalog.")
                            .color(style::MUTED),
                    );
                }
            }
        });
    }

    /// The endpoint's fields, and what is wrong with its name.
    fn fields(&mut self, ui: &mut egui::Ui, state: &mut AppState, i: usize) {
        let changed = form(
            ui,
            &mut state.project.endpoints[i],
            &state.secrets,
            &mut self.file_dialog,
        );
        if changed {
            state.dirty = true;
        }
        if let Some(problem) = state.project.name_problem(i) {
            ui.colored_label(style::ERROR, problem);
        }
    }

    /// Test connection, Browse schema (a database's) and (PostgreSQL) Replication slots,
    /// wrapping on a narrow window.
    fn actions(&mut self, ui: &mut egui::Ui, state: &mut AppState, i: usize) {
        let endpoint = state.project.endpoints[i].clone();
        let password = Self::password(state, &endpoint.id);
        let st = self.status.entry(endpoint.id.clone()).or_default();
        ui.horizontal_wrapped(|ui| {
            let busy = st.testing.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new("Test connection"))
                .on_hover_text("F5")
                .clicked()
                || (!busy && std::mem::take(&mut self.refresh))
            {
                st.test = None;
                st.testing = Some(state.runtime.submit(Command::TestConnection {
                    endpoint: endpoint.clone(),
                    password: password.clone(),
                }));
            }
            let busy = st.discovering.is_some();
            if endpoint.engine.is_database()
                && ui
                    .add_enabled(!busy, egui::Button::new("Browse schema"))
                    .clicked()
            {
                st.counts.clear();
                self.browser.selection = None;
                st.discovering = Some(state.runtime.submit(Command::Discover {
                    endpoint: endpoint.clone(),
                    password: password.clone(),
                    options: DiscoverOptions::default(),
                }));
            }
            if endpoint.engine == Engine::Postgres
                && ui
                    .add_enabled(
                        st.slots_request.is_none(),
                        egui::Button::new("Replication slots"),
                    )
                    .on_hover_text("The server's replication slots and the WAL each one keeps")
                    .clicked()
            {
                st.slots_request = Some(state.runtime.submit(Command::Slots {
                    endpoint: endpoint.clone(),
                    password: password.clone(),
                    drop: None,
                }));
            }
        });
    }

    /// The connection test: running, or its result.
    fn result(&mut self, ui: &mut egui::Ui, state: &mut AppState, i: usize) {
        let endpoint = &state.project.endpoints[i];
        let st = self.status.entry(endpoint.id.clone()).or_default();
        if st.testing.is_some() {
            ui.horizontal(|ui| {
                style::busy(ui);
                ui.label(format!("Testing connection to {}…", endpoint.url()));
            });
        }
        match &st.test {
            Some(Ok(info)) if endpoint.engine == Engine::Parquet => {
                ui.label(
                    RichText::new(format!("Reachable: {}", info.version_full))
                        .color(style::OK)
                        .strong(),
                );
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new("Contents:").color(style::MUTED));
                    ui.label(&info.catalog_detail);
                });
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new("Opened in:").color(style::MUTED));
                    ui.label(format!("{:.1} ms", info.connect_ms));
                });
            }
            Some(Ok(info)) => {
                ui.label(
                    RichText::new(format!("Connected: {} {}", info.product, info.version))
                        .color(style::OK)
                        .strong(),
                );
                let catalogs = if info.catalog_readable {
                    format!("readable: {}", info.catalog_detail)
                } else {
                    format!("NOT readable: {}", info.catalog_detail)
                };
                for (k, v) in [
                    ("Server", info.version_full.clone()),
                    ("User", info.current_user.clone()),
                    ("Database", info.database.clone()),
                    ("Connect time", format!("{:.1} ms", info.connect_ms)),
                    (
                        "Latency",
                        format!("{:.2} ms (median of 5 round-trips)", info.latency_ms),
                    ),
                    ("Catalogs", catalogs),
                ] {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(format!("{k}:")).color(style::MUTED));
                        if k == "Catalogs" && !info.catalog_readable {
                            ui.colored_label(style::ERROR, v);
                        } else {
                            ui.label(v);
                        }
                    });
                }
            }
            Some(Err(e)) => {
                ui.label(
                    RichText::new("Connection failed")
                        .color(style::ERROR)
                        .strong(),
                );
                ui.add(egui::Label::new(RichText::new(e).color(style::ERROR)).wrap());
            }
            None => {}
        }
    }

    /// The replication slots listed for a PostgreSQL endpoint: each with the WAL it keeps on the
    /// server, Tugboat's marked, and an idle one of Tugboat's can be dropped (after a
    /// confirmation: its task cannot resume once it is gone). True when it showed anything.
    fn slots_ui(
        ui: &mut egui::Ui,
        state: &mut AppState,
        endpoint: &Endpoint,
        st: &mut EndpointStatus,
    ) -> bool {
        if st.slots_request.is_some() {
            ui.horizontal(|ui| {
                style::busy(ui);
                ui.label("Reading the replication slots…");
            });
        }
        let Some(slots) = &st.slots else {
            return st.slots_request.is_some();
        };
        ui.label(RichText::new("Replication slots").strong());
        let slots = match slots {
            Ok(s) => s,
            Err(e) => {
                ui.add(egui::Label::new(RichText::new(e).color(style::ERROR)).wrap());
                return true;
            }
        };
        if slots.is_empty() {
            ui.label(
                RichText::new("None: the server keeps no WAL for a reader.").color(style::MUTED),
            );
            return true;
        }
        let mut drop = None;
        egui::Grid::new("slots")
            .num_columns(5)
            .striped(true)
            .show(ui, |ui| {
                for h in ["slot", "active", "confirmed", "WAL held", ""] {
                    ui.label(RichText::new(h).color(style::MUTED));
                }
                ui.end_row();
                for s in slots {
                    ui.label(&s.name).on_hover_text(if s.is_tugboat() {
                        format!("a Tugboat task's slot ({})", s.plugin)
                    } else {
                        format!("not Tugboat's ({})", if s.plugin.is_empty() { "physical" } else { &s.plugin })
                    });
                    ui.label(if s.active { "yes" } else { "no" });
                    ui.label(&s.confirmed);
                    // A slot nobody reads keeps WAL without end: say so where it is big.
                    let big = !s.active && s.wal_held_bytes.unwrap_or(0) > 1 << 30;
                    if big {
                        ui.colored_label(style::ERROR, s.wal_held())
                            .on_hover_text("An idle slot keeps WAL until it is read or dropped; the disk can fill up");
                    } else {
                        ui.label(s.wal_held());
                    }
                    if s.is_tugboat() && !s.active {
                        if st.confirm_drop.as_deref() == Some(s.name.as_str()) {
                            ui.horizontal(|ui| {
                                if ui
                                    .button(RichText::new("Drop it: its task cannot resume").color(style::ERROR))
                                    .clicked()
                                {
                                    drop = Some(s.name.clone());
                                }
                                if ui.button("Keep").clicked() {
                                    st.confirm_drop = None;
                                }
                            });
                        } else {
                            let b = ui.button("Drop…");
                            // Every row has one: a screen reader (and a test) names the slot.
                            b.widget_info(|| {
                                egui::WidgetInfo::labeled(
                                    egui::Role::Button,
                                    true,
                                    format!("Drop slot {}", s.name),
                                )
                            });
                            if b.clicked() {
                                st.confirm_drop = Some(s.name.clone());
                            }
                        }
                    } else {
                        ui.label("");
                    }
                    ui.end_row();
                }
            });
        if let Some(slot) = drop {
            st.confirm_drop = None;
            st.slots_request = Some(state.runtime.submit(Command::Slots {
                endpoint: endpoint.clone(),
                password: Self::password(state, &endpoint.name),
                drop: Some(slot),
            }));
        }
        true
    }

    fn poll_file_dialog(&mut self, state: &mut AppState) {
        use crate::gui::files::Browsed;
        let Some((id, field, browse)) = &self.file_dialog else {
            return;
        };
        match browse.poll() {
            Browsed::Waiting => return,
            Browsed::Chosen(path) => {
                if let Some(e) = state.project.endpoints.iter_mut().find(|e| &e.id == id) {
                    match field {
                        FileField::Database => e.database = path.display().to_string(),
                        FileField::CaFile => e.ca_file = Some(path),
                    }
                    state.dirty = true;
                }
            }
            Browsed::Nothing => {}
            Browsed::Unavailable => {
                state.message = Some((crate::gui::files::NO_DIALOG.into(), true));
            }
        }
        self.file_dialog = None;
    }
}
