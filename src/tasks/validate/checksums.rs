//! Validation by checksums computed inside both databases: key ranges checksummed on each
//! side, the differing ranges and the columns that cannot be checksummed alike compared row by
//! row (tables loaded by an earlier run, `tugboat validate` alone, replicated tasks).

use super::*;

/// Checksums of key ranges inside both databases, then the differing ranges row by row, then
/// the columns that cannot be checksummed alike.
pub(super) async fn checksums(
    source: &Connection,
    target: &Connection,
    p: &Prepared,
    v: &mut Validation,
    failures: &mut Failures,
) -> Result<()> {
    let fail = |reason: String| crate::error::Error::InvalidEndpoint {
        endpoint: p.label.clone(),
        reason,
    };
    let key = integer_key(p).ok_or_else(|| fail("no integer key".into()))?;
    let k = key[0];
    let (se, te) = (source.endpoint.engine, target.endpoint.engine);
    let no_checksum = || fail("no checksums on this engine".into());
    let sc: &dyn Checksum = crate::engines::of(se).checksum().ok_or_else(no_checksum)?;
    let tc: &dyn Checksum = crate::engines::of(te).checksum().ok_or_else(no_checksum)?;
    let src_table = crate::tasks::source::source_table(se, p);
    let src_filter = crate::tasks::source::where_clause(se, p);
    let (sk, tk) = (quote(se, &p.columns[k].0), quote(te, &p.target_columns[k]));
    // The target's rows of this source only, in a table several sources load.
    let tgt_filter = crate::tasks::sink::target_filter(te, p);
    // The key span over both sides.
    let (a, b) = tokio::join!(
        key_span(source, &src_table, &src_filter, &sk),
        key_span(target, &p.target_sql, &tgt_filter, &tk)
    );
    let bounds: Vec<i128> = [a?, b?]
        .into_iter()
        .flatten()
        .flat_map(|(lo, hi)| [lo, hi])
        .collect();
    let mut segments = 0u64;
    let mut differing: Vec<i128> = vec![];
    let (lo, width) = match (bounds.iter().min(), bounds.iter().max()) {
        (Some(&lo), Some(&hi)) => {
            if lo < i64::MIN as i128 / 2 || hi > i64::MAX as i128 / 2 {
                return Err(fail("keys too wide for range checksums".into()));
            }
            let rows = v.source_rows.max(v.target_rows).max(1) as i128;
            let nseg = (rows + SEGMENT_ROWS as i128 - 1) / SEGMENT_ROWS as i128;
            let width = ((hi - lo + 1) + nseg - 1) / nseg;
            (lo, width.max(1))
        }
        _ => (0, 1), // both sides empty
    };
    let mut hard = vec![];
    let mut src_exprs = vec![];
    let mut tgt_exprs = vec![];
    for (i, (c, _, from, to)) in p.columns.iter().enumerate() {
        let computed = p.source_exprs.get(i).is_some_and(|e| e.is_some());
        let column = p.plan.table.columns.iter().find(|x| &x.name == c);
        let nullable = computed || column.is_none_or(|x| x.nullable);
        let charset = column.and_then(|x| x.charset.as_deref());
        let fraction = column.is_some_and(|x| x.data_type.fractional_seconds.unwrap_or(0) > 0);
        let (sq, tq) = (quote(se, c), quote(te, &p.target_columns[i]));
        let s = checksum::value(
            sc,
            (!computed).then_some(sq.as_str()),
            &p.source_canonical(se, i),
            (*from, *to),
            charset,
            fraction,
        );
        let t = checksum::value(
            tc,
            Some(&tq),
            &crate::engines::values::canonical_sql(te, &tq, *to),
            (*to, *to),
            None,
            fraction,
        );
        let cut = p.alters(i);
        match (s, t) {
            (Some(s), Some(t)) if !cut => {
                src_exprs.push((s, nullable));
                tgt_exprs.push((t, nullable));
            }
            _ => hard.push(i),
        }
    }
    if !bounds.is_empty() {
        // A big source is checksummed in a few key ranges at once (its key is indexed there;
        // the target's keys may not be yet), so one long query does not hold one core.
        let nseg = (bounds.iter().max().copied().unwrap_or(lo) - lo) / width + 1;
        let chunks: i128 = if v.source_rows > 1_000_000 {
            4.min(nseg)
        } else {
            1
        };
        let per = (nseg + chunks - 1) / chunks;
        let source_sql: Vec<String> = (0..chunks)
            .map(|c| {
                let range = KeyRange {
                    column: 0,
                    from: (c > 0).then(|| lo + c * per * width),
                    to: (c + 1 < chunks).then(|| lo + (c + 1) * per * width),
                };
                let mut conds = range.conditions(&sk);
                if !src_filter.is_empty() {
                    conds.insert(
                        0,
                        src_filter
                            .trim_start()
                            .trim_start_matches("WHERE ")
                            .to_string(),
                    );
                }
                let filter = crate::tasks::source::where_of(&conds);
                checksum::range_sql(sc, &src_table, &filter, &sk, &src_exprs, (lo, width))
            })
            .collect();
        let tsql =
            checksum::range_sql(tc, &p.target_sql, &tgt_filter, &tk, &tgt_exprs, (lo, width));
        tracing::debug!(target: "tugboat::tasks::validate", "source checksums: {}", source_sql.join("; "));
        tracing::debug!(target: "tugboat::tasks::validate", "target checksums: {tsql}");
        let (sw, tw) = (
            format!("checksums of {}", p.label),
            format!("checksums of {}", p.target_sql),
        );
        let sources = futures_util::future::join_all(
            source_sql
                .into_iter()
                .map(|sql| Reader::spawn(source, &sw, sql, 3, 1_000).collect()),
        );
        let (a, b) = tokio::join!(
            sources,
            Reader::spawn(target, &tw, tsql, 3, 1_000).collect()
        );
        let a = a
            .into_iter()
            .collect::<Result<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect::<Vec<_>>());
        let to_map = |rows: Vec<Vec<Option<String>>>| {
            rows.into_iter()
                .filter_map(|r| {
                    let seg = r.first()?.as_deref()?.parse::<i128>().ok()?;
                    Some((
                        seg,
                        (r.get(1).cloned().flatten(), r.get(2).cloned().flatten()),
                    ))
                })
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let (sm, tm) = (to_map(a?), to_map(b?));
        let all: std::collections::BTreeSet<i128> = sm.keys().chain(tm.keys()).copied().collect();
        segments = all.len() as u64;
        differing = all.into_iter().filter(|s| sm.get(s) != tm.get(s)).collect();
    }
    v.method = Method::Checksums {
        segments,
        differing: differing.len() as u64,
    };
    let seg_of = move |key: i128| (key - lo).div_euclid(width);
    let all_cols: Vec<usize> = (0..p.columns.len()).collect();
    // Key first, so ranges apply to it.
    let mut ordered = vec![k];
    ordered.extend(all_cols.iter().copied().filter(|&i| i != k));
    if differing.len() > DRILL_MAX {
        merge(source, target, p, &|_| false, true, v, failures).await?;
        return Ok(());
    }
    for seg in &differing {
        let from = lo + seg * width;
        let q = subset(p, &ordered, Some((Some(from), Some(from + width))));
        merge(source, target, &q, &|_| false, true, v, failures).await?;
    }
    if !hard.is_empty() {
        // Key columns (to merge on) and the columns not checksummed, outside differing ranges.
        let mut cols = vec![k];
        cols.extend(key.iter().copied().filter(|&i| i != k));
        cols.extend(hard.iter().copied().filter(|i| !key.contains(i)));
        let q = subset(p, &cols, None);
        let differing: std::collections::BTreeSet<i128> = differing.into_iter().collect();
        let skip = move |key: i128| differing.contains(&seg_of(key));
        merge(source, target, &q, &skip, false, v, failures).await?;
    }
    Ok(())
}
