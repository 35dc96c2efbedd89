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

pub use crate::units::human_bytes;

/// A small filled circle: green connected, red failed, grey untested.
pub fn status_dot(ui: &mut egui::Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.0, color);
}

const SQL_KEYWORDS: &[&str] = &[
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "ASC",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CHECK",
    "COLUMN",
    "COMMENT",
    "CONSTRAINT",
    "CREATE",
    "DECLARE",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DISTINCT",
    "DROP",
    "EACH",
    "ELSE",
    "ELSIF",
    "END",
    "EXECUTE",
    "EXISTS",
    "FOR",
    "FOREIGN",
    "FROM",
    "FUNCTION",
    "GENERATED",
    "GROUP",
    "HAVING",
    "IDENTITY",
    "IF",
    "IN",
    "INDEX",
    "INNER",
    "INSERT",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "LANGUAGE",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOOP",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "PRIMARY",
    "PROCEDURE",
    "REFERENCES",
    "REPLACE",
    "RETURN",
    "RETURNS",
    "RIGHT",
    "ROW",
    "SELECT",
    "SEQUENCE",
    "SET",
    "TABLE",
    "THEN",
    "TRIGGER",
    "TYPE",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WHILE",
    "WITH",
    "DELIMITER",
    "ENGINE",
    "AUTO_INCREMENT",
    "UNSIGNED",
    "STORED",
    "ALWAYS",
    "BEFORE",
    "AFTER",
    "INSTEAD",
];

/// Colours SQL for a code view: keywords, strings, numbers and comments.
pub fn sql_layout_job(ui: &egui::Ui, text: &str, wrap_width: f32) -> egui::text::LayoutJob {
    use egui::text::{LayoutJob, TextFormat};
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let dark = ui.visuals().dark_mode;
    let plain = ui.visuals().text_color();
    let keyword = if dark {
        Color32::from_rgb(110, 170, 255)
    } else {
        Color32::from_rgb(20, 80, 200)
    };
    let string = if dark {
        Color32::from_rgb(150, 200, 120)
    } else {
        Color32::from_rgb(30, 120, 30)
    };
    let number = if dark {
        Color32::from_rgb(220, 180, 120)
    } else {
        Color32::from_rgb(150, 90, 0)
    };
    let comment = MUTED;
    let mut job = LayoutJob::default();
    job.wrap.max_width = wrap_width;
    let fmt = |c: Color32| TextFormat {
        font_id: font.clone(),
        color: c,
        ..Default::default()
    };
    let b = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let (len, color) = if rest.starts_with("--") || rest.starts_with('#') {
            (rest.find('\n').unwrap_or(rest.len()), comment)
        } else if rest.starts_with("/*") {
            (
                rest.find("*/").map(|p| p + 2).unwrap_or(rest.len()),
                comment,
            )
        } else if b[i] == b'\'' {
            let mut j = 1;
            while j < rest.len() {
                if rest.as_bytes()[j] == b'\'' {
                    if rest.as_bytes().get(j + 1) == Some(&b'\'') {
                        j += 2;
                        continue;
                    }
                    j += 1;
                    break;
                }
                j += 1;
            }
            (j.min(rest.len()), string)
        } else if b[i].is_ascii_alphabetic() || b[i] == b'_' {
            let l = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let word = rest[..l].to_ascii_uppercase();
            (
                l,
                if SQL_KEYWORDS.contains(&word.as_str()) {
                    keyword
                } else {
                    plain
                },
            )
        } else if b[i].is_ascii_digit() {
            (
                rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(rest.len()),
                number,
            )
        } else {
            (rest.chars().next().map(char::len_utf8).unwrap_or(1), plain)
        };
        let mut end = i + len.max(1);
        while !text.is_char_boundary(end) {
            end += 1;
        }
        job.append(&text[i..end], 0.0, fmt(color));
        i = end;
    }
    job
}

/// A spinner that redraws ten times a second instead of every frame: waiting on a server must
/// not keep the processor busy drawing (on a software renderer that slowed the very round trips
/// the endpoint test measures, ~94 ms against 0.4 ms from the CLI).
pub fn busy(ui: &mut egui::Ui) -> egui::Response {
    let size = ui.style().spacing.interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    if ui.is_rect_visible(rect) {
        let t = ui.input(|i| i.time);
        let radius = rect.height() / 2.0 - 2.0;
        let start = t * 6.0;
        let sweep = 240f64.to_radians();
        let points: Vec<egui::Pos2> = (0..=24)
            .map(|i| {
                let a = start + sweep * f64::from(i) / 24.0;
                rect.center() + radius * egui::vec2(a.cos() as f32, a.sin() as f32)
            })
            .collect();
        ui.painter().add(egui::Shape::line(
            points,
            egui::Stroke::new(2.5, ui.visuals().strong_text_color()),
        ));
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(100));
    }
    response
}
