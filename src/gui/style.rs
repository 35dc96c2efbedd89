//! Colours and small widgets shared by the screens.

use egui::{Color32, RichText};

pub const OK: Color32 = Color32::from_rgb(46, 160, 67);
pub const ERROR: Color32 = Color32::from_rgb(218, 54, 51);
pub const WARN: Color32 = Color32::from_rgb(210, 153, 34);
pub const MUTED: Color32 = Color32::from_rgb(140, 140, 140);

pub fn heading(text: &str) -> RichText {
    RichText::new(text).size(18.0).strong()
}

/// Row counts as `12 345`.
pub fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

pub use crate::cli::human_bytes;

/// A small filled circle: green connected, red failed, grey untested.
pub fn status_dot(ui: &mut egui::Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.0, color);
}
