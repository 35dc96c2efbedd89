//! Validation after the load: every row compared, not just counted. Both tables are read in
//! primary-key order (the same canonical text the load uses, each side with its own kinds),
//! merged on the key, and each value compared after normalising what engines spell differently
//! (hex case, trailing zeros of decimals and fractions, JSON spacing and key order, booleans,
//! bits). Rows missing on the target, extra on the target and different rows are counted, and
//! the first ones are kept in `tugboat_validation_failures` on the target with their keys.
//! Tables whose key is not made of integers (whose order could differ between engines) and
//! tables without a primary key are validated by counts only, and said so.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::Prepared;
use super::source::read_sql;
use super::values::{Kind, quote, select_expr, to_target};
use crate::endpoints::Connection;
use crate::error::Result;

/// How a table was validated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Method {
    /// Every row compared on the primary key.
    Rows,
    /// Counts only, with the reason.
    CountsOnly(String),
}

/// The outcome of validating one table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Validation {
    pub method: Method,
    pub source_rows: i64,
    pub target_rows: i64,
    pub missing: u64,
    pub extra: u64,
    pub different: u64,
}

impl Validation {
    pub fn ok(&self) -> bool {
        self.source_rows == self.target_rows
            && self.missing == 0
            && self.extra == 0
            && self.different == 0
    }
}

/// Failures kept per table.
const KEEP: usize = 100;

/// A value as compared: the same for every engine's spelling of it.
pub fn normalise(v: Option<&str>, k: Kind) -> Option<String> {
    let v = v?;
    Some(match k {
        Kind::Binary => v.to_ascii_lowercase(),
        Kind::Json | Kind::Array => match serde_json::from_str::<serde_json::Value>(v) {
            Ok(j) => j.to_string(),
            Err(_) => v.to_string(),
        },
        Kind::Bool => match v {
            "1" | "t" | "true" => "1".into(),
            "0" | "f" | "false" => "0".into(),
            o => o.into(),
        },
        Kind::Decimal => {
            let mut s = v.trim().trim_start_matches('+').to_string();
            if s.contains('.') {
                s = s.trim_end_matches('0').trim_end_matches('.').to_string();
            }
            if s == "-0" { "0".into() } else { s }
        }
        Kind::Float => match v.parse::<f64>() {
            Ok(0.0) => "0".into(),
            Ok(f) => format!("{f:e}"),
            Err(_) => v.to_string(),
        },
        Kind::Timestamp | Kind::TimestampTz | Kind::Time => {
            let s = v.trim_end_matches("+00").trim_end_matches("+00:00");
            match s.split_once('.') {
                Some((a, f)) => {
                    let f = f.trim_end_matches('0');
                    if f.is_empty() {
                        a.to_string()
                    } else {
                        format!("{a}.{f}")
                    }
                }
                None => s.to_string(),
            }
        }
        Kind::Bit(_) | Kind::BitString => u64::from_str_radix(v, 2)
            .map(|n| n.to_string())
            .unwrap_or_else(|_| v.to_string()),
        _ => v.to_string(),
    })
}

fn integer_key(p: &Prepared) -> Option<Vec<usize>> {
    let pk = p.plan.table.primary_key.as_ref()?;
    let mut out = vec![];
    for c in &pk.columns {
        let i = p.columns.iter().position(|x| x.0.eq_ignore_ascii_case(c))?;
        if p.columns[i].2 != Kind::Integer {
            return None;
        }
        out.push(i);
    }
    (!out.is_empty()).then_some(out)
}

fn key_of(row: &[Option<String>], key: &[usize]) -> Vec<i128> {
    key.iter()
        .map(|&i| {
            row[i]
                .as_deref()
                .and_then(|v| v.parse::<i128>().ok())
                .unwrap_or(i128::MIN)
        })
        .collect()
}

/// Compares the table on both sides.
pub async fn validate(
    task: &str,
    source: &Connection,
    target: &Connection,
    p: &Prepared,
    source_rows: i64,
    target_rows: i64,
) -> Result<Validation> {
    let mut v = Validation {
        method: Method::Rows,
        source_rows,
        target_rows,
        missing: 0,
        extra: 0,
        different: 0,
    };
    let Some(key) = integer_key(p) else {
        v.method = Method::CountsOnly(if p.plan.table.primary_key.is_none() {
            "No primary key".into()
        } else {
            "primary key not made of integers: counts only".into()
        });
        return Ok(v);
    };
    // Qualified with the table: PostgreSQL names `col::text` after the column, and an
    // unqualified ORDER BY would sort that text.
    let src_table = super::source::source_table(source.endpoint.engine, p);
    let order_src: Vec<String> = key
        .iter()
        .map(|&i| {
            format!(
                "{src_table}.{}",
                quote(source.endpoint.engine, &p.columns[i].0)
            )
        })
        .collect();
    let order_tgt: Vec<String> = key
        .iter()
        .map(|&i| {
            format!(
                "{}.{}",
                p.target_sql,
                quote(target.endpoint.engine, &p.target_columns[i])
            )
        })
        .collect();
    let src_sql = format!(
        "{} ORDER BY {}",
        super::source::select(source.endpoint.engine, p),
        order_src.join(", ")
    );
    let tgt_cols: Vec<String> = p
        .columns
        .iter()
        .zip(&p.target_columns)
        .map(|(c, name)| select_expr(target.endpoint.engine, name, c.3))
        .collect();
    let tgt_sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        tgt_cols.join(", "),
        p.target_sql,
        order_tgt.join(", ")
    );
    let n = p.columns.len();
    let cancel = Arc::new(AtomicBool::new(false));
    let (stx, mut srx) = tokio::sync::mpsc::channel(4);
    let (ttx, mut trx) = tokio::sync::mpsc::channel(4);
    let sr = {
        let (c, label, cancel) = (source.clone(), p.label.clone(), cancel.clone());
        tokio::spawn(async move { read_sql(&c, &label, src_sql, n, 2_000, stx, cancel).await })
    };
    let tr = {
        let (c, label, cancel) = (target.clone(), p.target_sql.clone(), cancel.clone());
        tokio::spawn(async move { read_sql(&c, &label, tgt_sql, n, 2_000, ttx, cancel).await })
    };
    let mut failures: Vec<(String, &'static str, String)> = vec![];
    let mut sbuf: std::collections::VecDeque<Vec<Option<String>>> = Default::default();
    let mut tbuf: std::collections::VecDeque<Vec<Option<String>>> = Default::default();
    let mut s_done = false;
    let mut t_done = false;
    loop {
        if sbuf.is_empty() && !s_done {
            match srx.recv().await {
                Some(b) => sbuf.extend(b),
                None => s_done = true,
            }
        }
        if tbuf.is_empty() && !t_done {
            match trx.recv().await {
                Some(b) => tbuf.extend(b),
                None => t_done = true,
            }
        }
        let (s, t) = (sbuf.front(), tbuf.front());
        let keytext = |row: &[Option<String>]| {
            key.iter()
                .map(|&i| row[i].clone().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(",")
        };
        match (s, t) {
            (None, None) if s_done && t_done => break,
            (None, None) => continue,
            (Some(_), None) if !t_done => continue,
            (None, Some(_)) if !s_done => continue,
            (Some(s), None) => {
                v.missing += 1;
                if failures.len() < KEEP {
                    failures.push((keytext(s), "missing on target", String::new()));
                }
                sbuf.pop_front();
            }
            (None, Some(t)) => {
                v.extra += 1;
                if failures.len() < KEEP {
                    failures.push((keytext(t), "extra on target", String::new()));
                }
                tbuf.pop_front();
            }
            (Some(s), Some(t)) => {
                let (ks, kt) = (key_of(s, &key), key_of(t, &key));
                if ks < kt {
                    v.missing += 1;
                    if failures.len() < KEEP {
                        failures.push((keytext(s), "missing on target", String::new()));
                    }
                    sbuf.pop_front();
                } else if kt < ks {
                    v.extra += 1;
                    if failures.len() < KEEP {
                        failures.push((keytext(t), "extra on target", String::new()));
                    }
                    tbuf.pop_front();
                } else {
                    let mut diff = vec![];
                    for (i, (sv, tv)) in s.iter().zip(t.iter()).enumerate() {
                        let (_, _, from, to) = p.columns[i];
                        // What the load would have written (zero dates to NULL...).
                        let written = to_target(sv.as_deref(), from, to).unwrap_or(None);
                        if normalise(written.as_deref(), to) != normalise(tv.as_deref(), to) {
                            diff.push(p.target_columns[i].clone());
                        }
                    }
                    if !diff.is_empty() {
                        v.different += 1;
                        if failures.len() < KEEP {
                            failures.push((keytext(s), "different", diff.join(", ")));
                        }
                    }
                    sbuf.pop_front();
                    tbuf.pop_front();
                }
            }
        }
    }
    let _ = sr.await;
    let _ = tr.await;
    if !failures.is_empty() {
        record(target, task, &p.label, &failures).await?;
    }
    Ok(v)
}

/// Keeps failures in `tugboat_validation_failures` (replacing the table's earlier ones).
async fn record(
    target: &Connection,
    task: &str,
    table: &str,
    failures: &[(String, &str, String)],
) -> Result<()> {
    let lit = |s: &str| super::values::text_literal(target.endpoint.engine, s);
    let q = |e: sqlx::Error| crate::error::Error::Query {
        endpoint: target.endpoint.label(),
        context: "recording validation failures".into(),
        message: e.to_string(),
    };
    target
        .execute(&format!(
            "DELETE FROM tugboat_validation_failures WHERE task = {} AND table_name = {}",
            lit(task),
            lit(table)
        ))
        .await
        .map_err(q)?;
    let rows: Vec<String> = failures
        .iter()
        .map(|(k, f, c)| {
            format!(
                "({}, {}, {}, {}, {})",
                lit(task),
                lit(table),
                lit(k),
                lit(f),
                lit(c)
            )
        })
        .collect();
    target
        .execute(&format!(
            "INSERT INTO tugboat_validation_failures (task, table_name, key_value, failure, columns_differing) VALUES {}",
            rows.join(", ")
        ))
        .await
        .map_err(q)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_the_same_value_compare_equal() {
        let n = |v: &str, k| normalise(Some(v), k);
        assert_eq!(n("00FF", Kind::Binary), n("00ff", Kind::Binary));
        assert_eq!(
            n("{\"b\":1, \"a\": [1,2]}", Kind::Json),
            n("{\"a\": [1, 2], \"b\": 1}", Kind::Json)
        );
        assert_eq!(n("1.50", Kind::Decimal), n("1.5", Kind::Decimal));
        assert_ne!(n("1.51", Kind::Decimal), n("1.5", Kind::Decimal));
        assert_eq!(n("t", Kind::Bool), n("1", Kind::Bool));
        assert_eq!(
            n("2024-01-02 03:04:05.500000+00", Kind::TimestampTz),
            n("2024-01-02 03:04:05.5", Kind::TimestampTz)
        );
        assert_eq!(n("0.1", Kind::Float), n("0.10000000000000000", Kind::Float));
        assert_eq!(n("00101", Kind::BitString), n("101", Kind::BitString));
    }
}
