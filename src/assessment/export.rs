//! Report exports: JSON (the [`super::Report`] as is), Markdown, and the summary table the CLI
//! prints. The format follows the file extension.

use std::fmt::Write;
use std::path::Path;

use super::Report;
use crate::error::{Error, Result};

fn pct(n: usize, total: usize) -> String {
    if total == 0 {
        "0%".into()
    } else {
        format!("{:.0}%", n as f64 * 100.0 / total as f64)
    }
}

fn hours(minutes: f64) -> String {
    format!("{:.1} h", minutes / 60.0)
}

/// The per-kind summary as a fixed-width table.
pub fn summary_table(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Assessment of {} ({} → {})",
        r.source,
        r.source_dialect.label(),
        r.target_dialect.label()
    );
    if let Some(s) = &r.statements {
        let _ = writeln!(
            o,
            "Statements: {} read, {} parsed, {} not parsed, {} data, {} skipped, {} client commands",
            s.read, s.parsed, s.unparsed, s.data, s.skipped, s.client_commands
        );
    }
    let _ = writeln!(
        o,
        "\n{:<20} {:>6} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9}",
        "object kind",
        "total",
        "automatic",
        "simple",
        "medium",
        "complex",
        "not conv",
        "LOC",
        "effort"
    );
    for k in &r.summary {
        let c = k.per_category;
        let _ = writeln!(
            o,
            "{:<20} {:>6} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9}",
            k.kind,
            k.total,
            format!("{} {}", c[0], pct(c[0], k.total)),
            c[1],
            c[2],
            c[3],
            c[4],
            k.lines_of_code,
            hours(k.effort_minutes)
        );
    }
    let all = r.per_category();
    let total: usize = all.iter().sum();
    let _ = writeln!(
        o,
        "\n{total} objects: {} converted automatically ({}), {} simple, {} medium, {} complex, {} not convertible. Estimated effort {} (including learning).",
        all[0],
        pct(all[0], total),
        all[1],
        all[2],
        all[3],
        all[4],
        hours(r.total_effort_minutes)
    );
    o
}

/// The report as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Assessment: {} → {}\n",
        r.source,
        r.target_dialect.label()
    );
    let _ = writeln!(o, "```\n{}```\n", summary_table(r));
    let _ = writeln!(o, "## Action items\n");
    let _ = writeln!(
        o,
        "| Code | Category | Object | Line | Message | Fix | Effort |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for obj in &r.objects {
        for a in &obj.action_items {
            let _ = writeln!(
                o,
                "| {} | {} | {} {}.{} | {} | {} | {} | {:.0} min |",
                a.code,
                a.category.label(),
                obj.kind.label(),
                obj.schema,
                obj.name,
                a.line.map(|l| l.to_string()).unwrap_or_default(),
                a.message.replace('|', "\\|"),
                a.fix.replace('|', "\\|"),
                a.effort_minutes
            );
        }
    }
    let _ = writeln!(o, "\n## Objects\n");
    for obj in &r.objects {
        let _ = writeln!(
            o,
            "- {} `{}.{}`: {}",
            obj.kind.label(),
            obj.schema,
            obj.name,
            obj.category.label()
        );
    }
    o
}

/// Writes the report to `path` in the format its extension names (`.json`, `.md`).
pub fn write(r: &Report, path: &Path) -> Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let text = match ext.as_str() {
        "json" => serde_json::to_string_pretty(r).map_err(|e| Error::File {
            path: path.into(),
            message: e.to_string(),
        })?,
        "md" | "markdown" => markdown(r),
        other => {
            return Err(Error::File {
                path: path.into(),
                message: format!("unknown report format '.{other}': use .json or .md"),
            });
        }
    };
    std::fs::write(path, text).map_err(|e| Error::File {
        path: path.into(),
        message: format!("cannot write the report: {e}"),
    })
}
