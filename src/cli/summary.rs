//! A finished load's summary as the CLI prints it: a line per table (state, rows, time, rate,
//! validation), the first differing rows of the tables that do not match, what was left out or
//! failed, and the totals.

/// The load's summary as a table: each table's state, rows, time, rate and validation, what
/// was left out or failed, and the totals.
pub(super) fn print_summary(summary: &crate::tasks::Summary, task_lob_kb: Option<u64>) {
    println!(
        "{:<36} {:<16} {:>12} {:>10} {:>12}  validation",
        "table", "state", "rows", "seconds", "rows/s"
    );
    for t in &summary.tables {
        println!(
            "{:<36} {:<16} {:>12} {:>10.2} {:>12.0}  {}{}",
            t.source,
            t.state.label(),
            t.rows,
            t.seconds,
            if t.seconds > 0.0 && !t.skipped {
                t.rows as f64 / t.seconds
            } else {
                0.0
            },
            t.validation_state(),
            match (&t.error, t.validation) {
                (Some(e), _) => format!(" ({e})"),
                (None, _) if t.lobs_truncated > 0 => format!(
                    " ({} LOB values cut to the {} KiB limit)",
                    t.lobs_truncated,
                    task_lob_kb.unwrap_or(0)
                ),
                (None, _) if t.nuls_removed > 0 =>
                    format!(" (NUL characters removed from {} values)", t.nuls_removed),
                (None, _) if t.collisions > 0 => format!(
                    " ({} rows collided with other sources' rows, {} refused in all: see tugboat_apply_exceptions)",
                    t.collisions, t.exceptions
                ),
                (None, Some((s, g))) if t.exceptions > 0 => format!(
                    " (source {s}, target {g}; {} rows refused: see tugboat_apply_exceptions)",
                    t.exceptions
                ),
                (None, Some((s, g))) if s != g || t.mismatched() > 0 => format!(
                    " (source {s}, target {g}, {} {}{})",
                    crate::units::rows(t.mismatched()),
                    crate::units::differ(t.mismatched()),
                    if t.validation_detail
                        .as_ref()
                        .is_some_and(|d| !d.failures.is_empty())
                    {
                        ": the first listed below"
                    } else {
                        ""
                    }
                ),
                (None, Some((s, g))) if t.validation_detail.as_ref().is_some_and(|d| !d.ok()) => {
                    format!(" (source {s}, target {g}: their checksums differ)")
                }
                _ => String::new(),
            }
        );
    }
    print_differences(summary);
    for l in &summary.left_out {
        println!("LEFT OUT {}: {}", l.object, l.reason);
    }
    for f in &summary.schema_failures {
        println!(
            "{} {}: {}\n    {}",
            if f.deferred { "DEFERRED" } else { "FAILED" },
            f.object,
            f.error,
            f.statement.lines().next().unwrap_or_default()
        );
    }
    let rows: u64 = summary.tables.iter().map(|t| t.rows).sum();
    let schema_failed = summary
        .schema_failures
        .iter()
        .filter(|f| !f.deferred)
        .count();
    let moved = summary.moved_rows();
    println!(
        "{} tables, {rows} rows in {:.1} s{}; {} failed{}{}",
        summary.tables.len(),
        summary.seconds,
        // The rate of what this run moved: rows finished by an earlier run are not in it.
        if moved == rows {
            format!(", {:.0} rows/s", summary.average_rate())
        } else {
            format!(
                " ({moved} moved by this run, {:.0} rows/s; the others loaded earlier)",
                summary.average_rate()
            )
        },
        summary.failed(),
        if schema_failed > 0 {
            format!("; {schema_failed} keys, indexes or triggers not created")
        } else {
            String::new()
        },
        summary
            .peak_memory
            .map(|m| format!("; peak memory {} MiB", m >> 20))
            .unwrap_or_default()
    );
}

/// The first differing rows of each table that does not match: key, what, and the values.
fn print_differences(summary: &crate::tasks::Summary) {
    let mut listed = false;
    for t in &summary.tables {
        let Some(d) = &t.validation_detail else {
            continue;
        };
        for (i, (key, what, cols)) in d.failures.iter().take(10).enumerate() {
            let detail = d
                .differences
                .get(i)
                .filter(|x| !x.is_empty())
                .unwrap_or(cols);
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            };
            println!("DIFFERS {} key {key}: {what}{detail}", t.source);
            listed = true;
        }
    }
    if listed {
        println!(
            "(at most 10 per table here; a database target keeps the first 100 in tugboat_validation_failures)"
        );
    }
}
