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

/// The three CSV layouts of AWS SCT: summary per object kind, action items summarised per code,
/// and every action item. Written beside `path` as `NAME-summary.csv`,
/// `NAME-action-items-summary.csv` and `NAME-action-items.csv`.
pub fn write_csv(r: &Report, path: &Path) -> Result<Vec<std::path::PathBuf>> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "report".into());
    let dir = path.parent().unwrap_or(Path::new("."));
    let err = |p: &Path, e: String| Error::File {
        path: p.to_path_buf(),
        message: format!("cannot write the CSV report: {e}"),
    };
    let mut written = vec![];
    let p = dir.join(format!("{stem}-summary.csv"));
    let mut w = csv::Writer::from_path(&p).map_err(|e| err(&p, e.to_string()))?;
    let _ = w.write_record([
        "object kind",
        "code object",
        "total",
        "converted automatically",
        "simple action",
        "medium action",
        "complex action",
        "not convertible",
        "lines of code",
        "effort minutes",
    ]);
    for k in &r.summary {
        let c = k.per_category;
        let _ = w.write_record([
            k.kind.clone(),
            k.code_object.to_string(),
            k.total.to_string(),
            c[0].to_string(),
            c[1].to_string(),
            c[2].to_string(),
            c[3].to_string(),
            c[4].to_string(),
            k.lines_of_code.to_string(),
            format!("{:.0}", k.effort_minutes),
        ]);
    }
    w.flush().map_err(|e| err(&p, e.to_string()))?;
    written.push(p);

    let mut codes: std::collections::BTreeMap<&str, (usize, f64, &str, &str, super::Category)> =
        Default::default();
    for o in &r.objects {
        for a in &o.action_items {
            let e = codes.entry(a.code.as_str()).or_insert((
                0,
                0.0,
                a.message.as_str(),
                a.fix.as_str(),
                a.category,
            ));
            e.0 += 1;
            e.1 += a.effort_minutes;
        }
    }
    let p = dir.join(format!("{stem}-action-items-summary.csv"));
    let mut w = csv::Writer::from_path(&p).map_err(|e| err(&p, e.to_string()))?;
    let _ = w.write_record([
        "code",
        "category",
        "occurrences",
        "effort minutes",
        "example message",
        "suggested fix",
    ]);
    for (code, (n, effort, msg, fix, cat)) in &codes {
        let _ = w.write_record([
            code.to_string(),
            cat.label().to_string(),
            n.to_string(),
            format!("{effort:.0}"),
            msg.to_string(),
            fix.to_string(),
        ]);
    }
    w.flush().map_err(|e| err(&p, e.to_string()))?;
    written.push(p);

    let p = dir.join(format!("{stem}-action-items.csv"));
    let mut w = csv::Writer::from_path(&p).map_err(|e| err(&p, e.to_string()))?;
    let _ = w.write_record([
        "code",
        "category",
        "object kind",
        "schema",
        "object",
        "table",
        "line",
        "message",
        "fragment",
        "suggested fix",
        "effort minutes",
    ]);
    for o in &r.objects {
        for a in &o.action_items {
            let _ = w.write_record([
                a.code.clone(),
                a.category.label().to_string(),
                o.kind.label().to_string(),
                o.schema.clone(),
                o.name.clone(),
                o.table.clone().unwrap_or_default(),
                a.line.map(|l| l.to_string()).unwrap_or_default(),
                a.message.clone(),
                a.fragment.clone().unwrap_or_default(),
                a.fix.clone(),
                format!("{:.0}", a.effort_minutes),
            ]);
        }
    }
    w.flush().map_err(|e| err(&p, e.to_string()))?;
    written.push(p);
    Ok(written)
}

/// Writes the report to `path` in the format its extension names (`.json`, `.md`, `.csv`).
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
        "csv" => {
            write_csv(r, path)?;
            return Ok(());
        }
        other => {
            return Err(Error::File {
                path: path.into(),
                message: format!("unknown report format '.{other}': use .json, .md or .csv"),
            });
        }
    };
    std::fs::write(path, text).map_err(|e| Error::File {
        path: path.into(),
        message: format!("cannot write the report: {e}"),
    })
}
