//! The endpoint form's fields: name, engine, role, timeout; a SQLite file, or host (a URL or
//! host:port pasted there fills the form), port, database, user, password (this session only),
//! password variable, TLS and CA file; two fields a row where they fit, one a row when narrow.

use std::path::PathBuf;

use egui::RichText;

use crate::endpoints::{Endpoint, Engine, Password, Role, TlsMode};
use crate::gui::files::Browse;
use crate::gui::style;

use super::endpoints::FileField;

/// A labelled text field (two grid cells) that kittest and screen readers find by its label.
fn field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) -> bool {
    let l = ui.label(label);
    ui.add_sized(
        [FIELD_WIDTH, 20.0],
        egui::TextEdit::singleline(value).hint_text(hint),
    )
    .labelled_by(l.id)
    .changed()
}

const FIELD_WIDTH: f32 = 210.0;

fn open_dialog(ui: &egui::Ui, title: &str, filters: crate::gui::files::Filters) -> Browse {
    Browse::open(ui.ctx(), title, filters, None)
}

/// A data lake's one field, its folder or S3 prefix (a path typed is taken as a folder), and
/// what is wrong with it. Returns whether anything changed.
fn lake_fields(ui: &mut egui::Ui, e: &mut Endpoint, narrow: bool) -> bool {
    let l = ui.label("Folder or S3");
    let r = ui
        .add(
            egui::TextEdit::singleline(&mut e.database)
                .hint_text("file:///data/lake/ or s3://bucket/prefix")
                .desired_width(if narrow {
                    FIELD_WIDTH
                } else {
                    FIELD_WIDTH * 2.0
                }),
        )
        .labelled_by(l.id);
    let mut changed = r.changed();
    if r.lost_focus() && e.database.starts_with('/') {
        let slash = if e.database.ends_with('/') { "" } else { "/" };
        e.database = format!("file://{}{slash}", e.database);
        changed = true;
    }
    ui.end_row();
    ui.label("");
    match e.validate() {
        Err(err) if !e.database.is_empty() => {
            ui.colored_label(style::WARN, err.to_string());
        }
        _ => {
            ui.scope(|ui| {
                ui.set_max_width(if narrow { FIELD_WIDTH } else { FIELD_WIDTH * 2.0 });
                ui.add(
                    egui::Label::new(
                        RichText::new(
                            "Tasks write Apache Parquet files here: <schema>/<table>/LOAD….parquet, change files CDC….parquet, their state in _tugboat/. S3 credentials come from the AWS environment (AWS_ACCESS_KEY_ID…), never from the project.",
                        )
                        .small(),
                    )
                    .wrap(),
                );
            });
        }
    }
    ui.end_row();
    changed
}

/// The endpoint's fields, two per row. Returns whether anything changed.
pub(super) fn form(
    ui: &mut egui::Ui,
    e: &mut Endpoint,
    secrets: &crate::endpoints::SessionSecrets,
    dialog: &mut Option<(String, FileField, Browse)>,
) -> bool {
    let mut changed = false;
    // Two fields a row where they fit, one a row on a narrow window.
    let narrow = ui.available_width() < 2.0 * (FIELD_WIDTH + 130.0);
    let pair = |ui: &mut egui::Ui| {
        if narrow {
            ui.end_row();
        }
    };
    egui::Grid::new("endpoint_fields")
        .num_columns(if narrow { 2 } else { 4 })
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            changed |= field(ui, "Name", &mut e.name, "a unique name");
            pair(ui);
            let l = ui.label("Engine");
            let before = e.engine;
            egui::ComboBox::from_id_salt("engine")
                .selected_text(e.engine.label())
                .show_ui(ui, |ui| {
                    for en in Engine::ALL {
                        ui.selectable_value(&mut e.engine, en, en.label());
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            if e.engine != before {
                changed = true;
                if before.default_port().is_none_or(|p| p == e.port) || e.port == 0 {
                    e.port = e.engine.default_port().unwrap_or(0);
                }
                if matches!(e.engine, Engine::Sqlite | Engine::Parquet) {
                    e.host.clear();
                } else if e.host.is_empty() {
                    e.host = "localhost".into();
                }
                if e.engine == Engine::Parquet {
                    e.role = Role::Target;
                }
            }

            // A data lake is written, never read from.
            if e.engine == Engine::Parquet && e.role != Role::Target {
                e.role = Role::Target;
                changed = true;
            }
            let l = ui.label("Role");
            ui.horizontal(|ui| {
                // A data lake is never a source.
                let may_read = e.engine.is_database();
                changed |= ui
                    .add_enabled_ui(may_read, |ui| {
                        ui.radio_value(&mut e.role, Role::Source, "Source")
                    })
                    .inner
                    .changed();
                changed |= ui
                    .radio_value(&mut e.role, Role::Target, "Target")
                    .changed();
            })
            .response
            .labelled_by(l.id);
            pair(ui);
            let l = ui.label("Timeout (s)");
            changed |= ui
                .add(egui::DragValue::new(&mut e.connect_timeout_secs).range(1..=600))
                .labelled_by(l.id)
                .changed();
            ui.end_row();

            if e.engine == Engine::Parquet {
                changed |= lake_fields(ui, e, narrow);
            } else if e.engine == Engine::Sqlite {
                let l = ui.label("File");
                ui.horizontal(|ui| {
                    changed |= ui
                        .add(
                            egui::TextEdit::singleline(&mut e.database)
                                .hint_text("/path/to/database.sqlite")
                                .desired_width(if narrow {
                                    FIELD_WIDTH
                                } else {
                                    FIELD_WIDTH * 2.0
                                }),
                        )
                        .labelled_by(l.id)
                        .changed();
                    if ui.button("Browse…").clicked() {
                        *dialog = Some((
                            e.id.clone(),
                            FileField::Database,
                            open_dialog(
                                ui,
                                "SQLite database",
                                &[("SQLite", &["db", "sqlite", "sqlite3"])],
                            ),
                        ));
                    }
                });
                ui.end_row();
                if e.role == Role::Source
                    && !e.database.is_empty()
                    && !std::path::Path::new(&e.database).exists()
                {
                    ui.label("");
                    ui.colored_label(
                        style::WARN,
                        "This file does not exist (a source is never created).",
                    );
                    ui.end_row();
                }
            } else {
                // A URL or host:port pasted here fills the form (on paste, or when the
                // field is left: a URL typed a character at a time is not taken apart early).
                let l = ui.label("Host");
                let before = e.host.len();
                let r = ui
                    .add_sized(
                        [FIELD_WIDTH, 20.0],
                        egui::TextEdit::singleline(&mut e.host)
                            .hint_text("host, host:port, or a URL to paste"),
                    )
                    .labelled_by(l.id);
                changed |= r.changed();
                let pasted = r.changed() && e.host.len() > before + 1;
                if (pasted || r.lost_focus()) && e.host.contains(':') {
                    // A URL that does not parse is left as typed; the error shows below.
                    if let Ok(Some(pw)) = e.take_pasted_host() {
                        secrets.set(&e.id, Some(pw));
                    }
                    changed = true;
                }
                pair(ui);
                let l = ui.label("Port");
                changed |= ui
                    .add(egui::DragValue::new(&mut e.port).range(1..=65535))
                    .labelled_by(l.id)
                    .changed();
                ui.end_row();
                if e.host.contains("://")
                    && let Err(err) = Endpoint::parse_url(&e.host)
                {
                    ui.label("");
                    ui.colored_label(style::WARN, err.to_string());
                    ui.end_row();
                }
                changed |= field(
                    ui,
                    "Database",
                    &mut e.database,
                    if e.engine == Engine::Postgres {
                        "postgres"
                    } else {
                        "schema name"
                    },
                );
                pair(ui);
                changed |= field(ui, "User", &mut e.user, "");
                ui.end_row();
                let l = ui.label("Password");
                let mut pw = secrets
                    .get(&e.id)
                    .map(|p| p.expose().to_string())
                    .unwrap_or_default();
                let r = ui
                    .add_sized(
                        [FIELD_WIDTH, 20.0],
                        egui::TextEdit::singleline(&mut pw)
                            .password(true)
                            .hint_text("this session only"),
                    )
                    .labelled_by(l.id);
                if r.changed() {
                    secrets.set(&e.id, (!pw.is_empty()).then(|| Password::new(pw)));
                }
                let mut env = e.password_env.clone().unwrap_or_default();
                pair(ui);
                if field(ui, "Password variable", &mut env, "e.g. PGPASSWORD") {
                    e.password_env = (!env.trim().is_empty()).then(|| env.trim().to_string());
                    changed = true;
                }
                ui.end_row();
                let l = ui.label("TLS");
                egui::ComboBox::from_id_salt("tls")
                    .selected_text(e.tls.label())
                    .show_ui(ui, |ui| {
                        for m in TlsMode::ALL {
                            changed |= ui.selectable_value(&mut e.tls, m, m.label()).changed();
                        }
                    })
                    .response
                    .labelled_by(l.id);
                if matches!(e.tls, TlsMode::VerifyCa | TlsMode::VerifyFull) || e.ca_file.is_some() {
                    pair(ui);
                    let l = ui.label("CA file");
                    ui.horizontal(|ui| {
                        let mut ca = e
                            .ca_file
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default();
                        if ui
                            .add(
                                egui::TextEdit::singleline(&mut ca)
                                    .desired_width(FIELD_WIDTH - 70.0),
                            )
                            .labelled_by(l.id)
                            .changed()
                        {
                            e.ca_file = (!ca.is_empty()).then(|| PathBuf::from(ca));
                            changed = true;
                        }
                        if ui.button("Browse…").clicked() {
                            *dialog = Some((
                                e.id.clone(),
                                FileField::CaFile,
                                open_dialog(ui, "CA certificate", &[("PEM", &["pem", "crt"])]),
                            ));
                        }
                    });
                }
                ui.end_row();
            }
        });
    ui.label(
        RichText::new(e.url())
            .monospace()
            .small()
            .color(style::MUTED),
    );
    changed
}
