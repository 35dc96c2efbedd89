//! Report exports: JSON (the [`super::Report`] as is), Markdown, and the summary table the CLI
//! prints. The format follows the file extension.

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
    o.push_str(&format!(
        "Assessment of {} ({} → {})\n",
        r.source,
        r.source_dialect.label(),
        r.target_dialect.label()
    ));
    if let Some(s) = &r.statements {
        o.push_str(&format!("Statements: {} read, {} parsed, {} not parsed, {} data, {} skipped, {} client commands\n",
            s.read, s.parsed, s.unparsed, s.data, s.skipped, s.client_commands));
    }
    o.push_str(&format!(
        "\n{:<20} {:>6} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9}\n",
        "object kind",
        "total",
        "automatic",
        "simple",
        "medium",
        "complex",
        "not conv",
        "LOC",
        "effort"
    ));
    for k in &r.summary {
        let c = k.per_category;
        o.push_str(&format!(
            "{:<20} {:>6} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9}\n",
            k.kind,
            k.total,
            format!("{} {}", c[0], pct(c[0], k.total)),
            c[1],
            c[2],
            c[3],
            c[4],
            k.lines_of_code,
            hours(k.effort_minutes)
        ));
    }
    let all = r.per_category();
    let total: usize = all.iter().sum();
    o.push_str(&format!("\n{total} objects: {} converted automatically ({}), {} simple, {} medium, {} complex, {} not convertible. Estimated effort {} (including learning).\n",
        all[0],
        pct(all[0], total),
        all[1],
        all[2],
        all[3],
        all[4],
        hours(r.total_effort_minutes)));
    o.push_str(&format!("{}\n", verification_line(r)));
    if let Some(l) = ledger_line(r) {
        o.push_str(&format!("{l}\n"));
    }
    o
}

/// "Ledger: 120 statements = 80 converted + 20 with action items + 15 data + 5 ignored on
/// purpose": every statement of the script accounted for (None for a live source).
pub fn ledger_line(r: &Report) -> Option<String> {
    if r.ledger.is_empty() {
        return None;
    }
    let t = r.ledger_totals();
    let parts: Vec<String> = super::LedgerOutcome::LABELS
        .iter()
        .zip(t)
        .filter(|(l, n)| *n > 0 || **l != "unaccounted")
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    Some(format!(
        "Ledger: {} statements = {}{}",
        r.ledger.len(),
        parts.join(" + "),
        if t[4] > 0 {
            " (UNACCOUNTED statements are a Tugboat defect: please report them)"
        } else {
            ""
        }
    ))
}

/// What proved the report's "automatic": the engine, or plainly that nothing did.
pub fn verification_line(r: &Report) -> String {
    match &r.verification {
        Some(v) => format!(
            "Automatic means applied without error: {} ({}).",
            v.summary(),
            v.scratch
        ),
        None => format!(
            "NOT VERIFIED: nothing was applied on a {} server; \"automatic\" is the converter's claim only (verify with --verify URL).",
            r.target_dialect.label()
        ),
    }
}

/// The report as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "# Assessment: {} → {}\n\n",
        r.source,
        r.target_dialect.label()
    ));
    o.push_str(&format!("```\n{}```\n\n", summary_table(r)));
    o.push_str("## Action items\n\n");
    o.push_str("| Code | Category | Object | Line | Message | Fix | Effort |\n");
    o.push_str("|---|---|---|---|---|---|---|\n");
    for obj in &r.objects {
        for a in &obj.action_items {
            o.push_str(&format!(
                "| {} | {} | {} {}.{} | {} | {} | {} | {:.0} min |\n",
                a.code,
                a.category.label(),
                obj.kind.label(),
                obj.schema,
                obj.name,
                a.line.map(|l| l.to_string()).unwrap_or_default(),
                a.message.replace('|', "\\|"),
                a.fix.replace('|', "\\|"),
                a.effort_minutes
            ));
        }
    }
    if !r.ledger.is_empty() {
        o.push_str("\n## Ledger: every statement of the source\n\n");
        o.push_str("| Line | Statement | Outcome |\n");
        o.push_str("|---|---|---|\n");
        for e in &r.ledger {
            o.push_str(&format!(
                "| {} | {} | {} |\n",
                e.line,
                e.statement.replace('|', "\\|"),
                e.outcome.describe().replace('|', "\\|")
            ));
        }
    }
    o.push_str("\n## Objects\n\n");
    for obj in &r.objects {
        o.push_str(&format!(
            "- {} `{}.{}`: {}\n",
            obj.kind.label(),
            obj.schema,
            obj.name,
            obj.category.label()
        ));
    }
    o
}

/// The three CSV layouts of AWS SCT: summary per object kind, action items summarised per code,
/// and every action item; and the ledger. Written beside `path` as `NAME-summary.csv`,
/// `NAME-action-items-summary.csv`, `NAME-action-items.csv` and `NAME-ledger.csv`.
pub fn write_csv(r: &Report, path: &Path) -> Result<Vec<std::path::PathBuf>> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "report".into());
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut written = vec![];
    let summary = r.summary.iter().map(|k| {
        let c = k.per_category;
        vec![
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
        ]
    });
    written.push(csv_file(
        &dir.join(format!("{stem}-summary.csv")),
        &[
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
        ],
        summary,
    )?);

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
    let per_code = codes.iter().map(|(code, (n, effort, msg, fix, cat))| {
        vec![
            code.to_string(),
            cat.label().to_string(),
            n.to_string(),
            format!("{effort:.0}"),
            msg.to_string(),
            fix.to_string(),
        ]
    });
    written.push(csv_file(
        &dir.join(format!("{stem}-action-items-summary.csv")),
        &[
            "code",
            "category",
            "occurrences",
            "effort minutes",
            "example message",
            "suggested fix",
        ],
        per_code,
    )?);

    let items = r.objects.iter().flat_map(|o| {
        o.action_items.iter().map(move |a| {
            vec![
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
            ]
        })
    });
    written.push(csv_file(
        &dir.join(format!("{stem}-action-items.csv")),
        &[
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
        ],
        items,
    )?);

    if !r.ledger.is_empty() {
        let ledger = r.ledger.iter().map(|e| {
            vec![
                e.line.to_string(),
                e.statement.clone(),
                super::LedgerOutcome::LABELS[e.outcome.index()].to_string(),
                e.outcome.describe(),
            ]
        });
        written.push(csv_file(
            &dir.join(format!("{stem}-ledger.csv")),
            &["line", "statement", "outcome", "detail"],
            ledger,
        )?);
    }
    Ok(written)
}

/// Writes one CSV file: the header, then the rows; any failure names the file.
fn csv_file(
    path: &Path,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<std::path::PathBuf> {
    let err = |e: csv::Error| Error::File {
        path: path.to_path_buf(),
        message: format!("cannot write the CSV report: {e}"),
    };
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record(header).map_err(err)?;
    for row in rows {
        w.write_record(&row).map_err(err)?;
    }
    w.flush().map_err(|e| err(e.into()))?;
    Ok(path.to_path_buf())
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
        "html" | "htm" => html(r),
        "csv" => {
            write_csv(r, path)?;
            return Ok(());
        }
        other => {
            return Err(Error::File {
                path: path.into(),
                message: format!("unknown report format '.{other}': use .html, .json, .md or .csv"),
            });
        }
    };
    std::fs::write(path, text).map_err(|e| Error::File {
        path: path.into(),
        message: format!("cannot write the report: {e}"),
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const CATEGORY_COLORS: [&str; 5] = ["#2ea043", "#78be5a", "#dcaa28", "#e66e28", "#da3633"];

/// The report as one self-contained HTML file (opens offline): summary with a stacked bar chart
/// per object kind, a filterable action-item table, and every object with its source and
/// converted SQL side by side.
pub fn html(r: &Report) -> String {
    let mut o = String::new();
    let title = format!("Assessment: {} → {}", r.source, r.target_dialect.label());
    o.push_str(&format!(r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{t}</title><style>
body{{font-family:system-ui,sans-serif;margin:24px;color:#222}} h1{{font-size:20px}} h2{{font-size:17px;margin-top:28px}}
table{{border-collapse:collapse;font-size:13px}} td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}
.bar{{display:flex;height:14px;width:420px}} .bar span{{display:block;height:14px}} .dot{{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}}
pre{{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px;margin:0}} .side{{display:grid;grid-template-columns:1fr 1fr;gap:8px}}
details{{margin:6px 0}} summary{{cursor:pointer}} input,select{{margin-right:8px}}
</style></head><body><h1>{t}</h1>"#,
        t = esc(&title)));
    if let Some(s) = &r.statements {
        o.push_str(&format!("<p>Statements: {} read, {} parsed, {} not parsed, {} data, {} skipped, {} client commands.</p>",
            s.read, s.parsed, s.unparsed, s.data, s.skipped, s.client_commands));
    }
    let all = r.per_category();
    let total: usize = all.iter().sum();
    o.push_str(&format!("<p><b>{total} objects</b>: "));
    for c in super::Category::ALL {
        o.push_str(&format!(
            r#"<span class="dot" style="background:{}"></span>{} {} ({}) &nbsp; "#,
            CATEGORY_COLORS[c as usize],
            all[c as usize],
            c.label(),
            pct(all[c as usize], total)
        ));
    }
    o.push_str(&format!("<br><b>{}</b>", esc(&verification_line(r))));
    o.push_str(&format!(
        "<br>Estimated effort: <b>{}</b> (including learning).</p>",
        hours(r.total_effort_minutes)
    ));
    o.push_str("<h2>Summary per object kind</h2><table><tr><th>kind</th><th>total</th><th>automatic</th><th>simple</th><th>medium</th><th>complex</th><th>not convertible</th><th>LOC</th><th>effort</th><th></th></tr>");
    for k in &r.summary {
        o.push_str(&format!(
            "<tr><td>{}{}</td><td>{}</td>",
            esc(&k.kind),
            if k.code_object { " (code)" } else { "" },
            k.total
        ));
        for n in k.per_category {
            o.push_str(&format!("<td>{n}</td>"));
        }
        o.push_str(&format!(
            "<td>{}</td><td>{}</td><td><div class=\"bar\">",
            k.lines_of_code,
            hours(k.effort_minutes)
        ));
        for (i, n) in k.per_category.iter().enumerate() {
            if *n > 0 {
                o.push_str(&format!(
                    r#"<span style="width:{:.1}%;background:{}"></span>"#,
                    *n as f64 * 100.0 / k.total.max(1) as f64,
                    CATEGORY_COLORS[i]
                ));
            }
        }
        o.push_str("</div></td></tr>");
    }
    o.push_str(r#"</table><h2>Action items</h2><p><input id="q" placeholder="filter text"><select id="cat"><option value="">all categories</option>"#);
    for c in super::Category::ALL {
        o.push_str(&format!(r#"<option>{}</option>"#, c.label()));
    }
    o.push_str(r#"</select></p><table id="items"><tr><th>code</th><th>category</th><th>object</th><th>line</th><th>message</th><th>fix</th><th>effort</th></tr>"#);
    for obj in &r.objects {
        for a in &obj.action_items {
            o.push_str(&format!(r#"<tr data-cat="{}"><td>{}</td><td><span class="dot" style="background:{}"></span>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0} min</td></tr>"#,
                a.category.label(),
                esc(&a.code),
                CATEGORY_COLORS[a.category as usize],
                a.category.label(),
                obj.kind.label(),
                esc(&format!(
                    "{}{}",
                    if obj.schema.is_empty() {
                        String::new()
                    } else {
                        format!("{}.", obj.schema)
                    },
                    obj.name
                )),
                a.line.map(|l| l.to_string()).unwrap_or_default(),
                esc(&a.message),
                esc(&a.fix),
                a.effort_minutes));
        }
    }
    o.push_str("</table>");
    if let Some(l) = ledger_line(r) {
        o.push_str(&format!("<h2>Ledger</h2><details><summary>{}</summary><table><tr><th>line</th><th>statement</th><th>outcome</th></tr>",
            esc(&l)));
        for e in &r.ledger {
            o.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                e.line,
                esc(&e.statement),
                esc(&e.outcome.describe())
            ));
        }
        o.push_str("</table></details>");
    }
    o.push_str("<h2>Objects</h2>");
    for obj in &r.objects {
        let converted = obj
            .target
            .iter()
            .map(|t| format!("{};", t.sql))
            .collect::<Vec<_>>()
            .join("\n\n");
        o.push_str(&format!(r#"<details><summary><span class="dot" style="background:{}"></span>{} <b>{}</b> &middot; {}</summary><div class="side"><pre>{}</pre><pre>{}</pre></div></details>"#,
            CATEGORY_COLORS[obj.category as usize],
            obj.kind.label(),
            esc(&obj.name),
            obj.category.label(),
            esc(obj
                .source_sql
                .as_deref()
                .unwrap_or("(from the live catalog)")),
            esc(if converted.is_empty() {
                "(not converted: see the action items)"
            } else {
                &converted
            })));
    }
    o.push_str(r#"<script>
const q=document.getElementById('q'),c=document.getElementById('cat');
function f(){const t=q.value.toLowerCase(),k=c.value;for(const r of document.querySelectorAll('#items tr[data-cat]')){r.style.display=(!k||r.dataset.cat===k)&&(!t||r.textContent.toLowerCase().includes(t))?'':'none'}}
q.oninput=f;c.onchange=f;
</script></body></html>"#);
    o
}
