//! The schema conversion commands' work: a report from a script or an endpoint (verified where asked), a folder's table, what apply-schema could not create.

use super::*;

/// The report's objects that have nothing to apply (not converted: the first action item says
/// why), in the phase applied; with `with_data`, the data statements not converted too.
pub(super) fn not_converted(
    r: &crate::assessment::Report,
    phase: Option<crate::assessment::Phase>,
    with_data: bool,
) -> Vec<(String, String)> {
    use crate::assessment::{Category, Phase};
    use crate::ddl::ObjectKind;
    r.objects
        .iter()
        .filter(|o| o.target.is_empty() && o.category != Category::Automatic)
        .filter(|o| with_data || !(o.kind == ObjectKind::Other && o.name == "data statements"))
        .filter(|o| {
            // Code and keys are post-data, tables and types pre-data.
            let post =
                o.kind.is_code() || matches!(o.kind, ObjectKind::Index | ObjectKind::Constraint);
            phase.is_none_or(|p| (p == Phase::PostData) == post)
        })
        .map(|o| {
            let why = o
                .action_items
                .iter()
                .max_by_key(|a| a.category)
                .map(|a| format!("{} {}", a.code, a.message))
                .unwrap_or_default();
            (crate::conversion::apply::object_label(o), why)
        })
        .collect()
}

/// Assesses every SQL file below a folder (`.sql`, `.pks`, `.pkb`, `.in`): one Markdown table
/// row per file, and totals. Each file is verified (SQLite in memory; PostgreSQL and MySQL on
/// `--verify`), so "automatic" counts what applied without error.
pub(super) async fn assess_folder(a: &ConvertArgs) -> Result<String> {
    use crate::conversion::{RuleSet, convert};
    use crate::ddl::ObjectKind;
    let target = a.target_dialect()?;
    let mut files = vec![];
    let mut stack = vec![PathBuf::from(&a.source)];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::File {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| {
                ["sql", "pks", "pkb", "in"]
                    .iter()
                    .any(|k| x.eq_ignore_ascii_case(k))
            }) {
                files.push(p);
            }
        }
    }
    files.sort();
    let on = a.verify_connection().await?;
    let mut out = String::from(
        "| file | dialect | statements | objects | automatic (verified) | simple | medium | complex | not convertible | failed when verified | tables created / in source | ledger: converted | with action items | data | ignored | unaccounted |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut totals = [0usize; 15];
    let mut verified_on = None;
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    for f in &files {
        bar.inc(1);
        let rel = f.strip_prefix(&a.source).unwrap_or(f).display().to_string();
        let dialect = a.source_dialect.map(DialectArg::dialect);
        let mut source = crate::conversion::load_script(f, dialect)?;
        source.name = rel.clone();
        let rules = RuleSet::load(source.dialect, target, a.rules.as_deref())?;
        let mut r = convert(&source, target, &rules)?;
        crate::conversion::verify::verify(&source, &rules, &mut r, on.as_ref()).await?;
        let verified = r.verification.is_some();
        if let Some(v) = &r.verification {
            verified_on = Some(v.engine.clone());
        }
        let c = r.per_category();
        let tables = r.objects.iter().filter(|o| o.kind == ObjectKind::Table);
        let created = tables.clone().filter(|o| o.verified == Some(true)).count();
        let l = r.ledger_totals();
        let row = [
            r.statements.as_ref().map(|s| s.read).unwrap_or(0),
            r.objects.len(),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            r.verification
                .as_ref()
                .map(|v| v.objects_failed)
                .unwrap_or(0),
            created,
            tables.count(),
            l[0],
            l[1],
            l[2],
            l[3],
            l[4],
        ];
        for (t, v) in totals.iter_mut().zip(row) {
            *t += v;
        }
        let cell = |i: usize| row[i].to_string();
        out.push_str(&format!(
            "| {rel} | {} | {} | {} | {}{} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} | {} |\n",
            source.dialect.label(),
            cell(0),
            cell(1),
            cell(2),
            if verified { "" } else { " (unverified)" },
            cell(3),
            cell(4),
            cell(5),
            cell(6),
            cell(7),
            cell(8),
            cell(9),
            cell(10),
            cell(11),
            cell(12),
            cell(13),
            cell(14)
        ));
    }
    bar.finish_and_clear();
    if let Some(c) = &on {
        c.close().await;
    }
    let t = |i: usize| totals[i].to_string();
    out.push_str(&format!(
        "| **{} files** | | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} | {} |\n",
        files.len(),
        t(0),
        t(1),
        t(2),
        t(3),
        t(4),
        t(5),
        t(6),
        t(7),
        t(8),
        t(9),
        t(10),
        t(11),
        t(12),
        t(13),
        t(14)
    ));
    out.push_str(&match verified_on {
        Some(e) => format!("\nVerified on {e}, to {}.\n", target.label()),
        None => format!(
            "\nNot verified: \"automatic\" is the converter's claim for {} (give --verify URL).\n",
            target.label()
        ),
    });
    Ok(out)
}

impl ConvertArgs {
    /// The server `--verify` names, connected (None without `--verify`).
    pub(super) async fn verify_connection(&self) -> Result<Option<Connection>> {
        let Some(url) = &self.verify else {
            return Ok(None);
        };
        let (mut endpoint, password) = TargetArgs {
            endpoint: url.clone(),
            project: self.project.clone(),
            password_env: None,
            timeout: None,
        }
        .resolve()?;
        endpoint.role = crate::endpoints::Role::Target;
        Ok(Some(Connection::open(&endpoint, password).await?))
    }

    /// The target engine given with --target (PostgreSQL when omitted).
    pub(super) fn target_dialect(&self) -> Result<crate::ddl::Dialect> {
        Ok(self
            .target
            .map_or(crate::ddl::Dialect::Postgres, TargetArg::dialect))
    }
}

/// Reads the source (a script, or a live endpoint's catalog) and converts it.
pub(super) async fn conversion_report(a: &ConvertArgs) -> Result<crate::assessment::Report> {
    let target = a.target_dialect()?;
    let path = std::path::Path::new(&a.source);
    let source = if path.is_file() {
        let dialect = a.source_dialect.map(DialectArg::dialect);
        crate::conversion::load_script(path, dialect)?
    } else if a.source.contains(':') || a.project.is_some() {
        let (endpoint, password) = TargetArgs {
            endpoint: a.source.clone(),
            project: a.project.clone(),
            password_env: None,
            timeout: None,
        }
        .resolve()?;
        crate::conversion::load_endpoint(&endpoint, password).await?
    } else {
        return Err(Error::File {
            path: path.into(),
            message: "no such file (and not an endpoint URL)".into(),
        });
    };
    let mut report = crate::conversion::assess(&source, target, a.rules.as_deref())?;
    if let Some(p) = &a.project {
        let project = Project::load(p)?;
        let n = report.apply_edits(&project.conversion.edits);
        if n > 0 {
            eprintln!("{n} hand-edited object(s) from {} used", p.display());
        }
    }
    let on = a.verify_connection().await?;
    let rules = crate::conversion::RuleSet::load(source.dialect, target, a.rules.as_deref())?;
    let verified =
        crate::conversion::verify::verify(&source, &rules, &mut report, on.as_ref()).await;
    if let Some(c) = &on {
        c.close().await;
    }
    verified?;
    if let Some(v) = &report.verification {
        eprintln!("{}", v.summary());
    }
    Ok(report)
}
