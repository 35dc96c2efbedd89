//! The task's table mappings on replicated changes: source filters decide which changes reach
//! the target, and columns added by an expression are computed for each new row.
//!
//! Both are evaluated by the source database, as the full load evaluates them in its WHERE
//! clause and SELECT list: the row images of a batch go back to the source as literals of their
//! columns' declared types (with their collations) in one SELECT per table, so comparisons,
//! collations and functions give exactly what the full load gives. An update that moves a row
//! into the filter becomes an insert, one that moves it out becomes a delete. When the source
//! does not send the whole old row (PostgreSQL without REPLICA IDENTITY FULL) it cannot be known
//! whether the row was in; the change is then applied idempotently (an upsert, or a delete of
//! whatever is there), which ends the same.

use std::collections::HashMap;

use super::{Op, Txn};
use crate::endpoints::Connection;
use crate::engines::change::TableMeta;
use crate::engines::evaluate::{Input, Shape};
use crate::engines::values::{self, Kind};
use crate::error::{Error, Result};
use crate::tasks::{Prepared, source};

/// Rows evaluated in one SELECT.
const ROWS_PER_QUERY: usize = 500;

/// A change refused while it was shaped (an expression the source could not compute for it).
pub struct Refused {
    pub table: String,
    pub error: String,
    pub values: Vec<Option<String>>,
}

/// Filters and computed columns of the tables that have them.
pub struct Shaper {
    source: Connection,
    tables: HashMap<String, Shape>,
    /// Tables whose filters read only key columns: an old row that holds only its key (as
    /// PostgreSQL sends it without REPLICA IDENTITY FULL) still tells whether it was in (a
    /// consolidated table's source column is in its key).
    key_filtered: std::collections::HashSet<String>,
}

impl Shaper {
    /// The shaper of `prepared` tables (rows in `metas`' column order); None when no table has
    /// a filter or a computed column. Errors name what replication cannot evaluate.
    pub fn new(
        source: &Connection,
        prepared: &[Prepared],
        metas: &HashMap<String, TableMeta>,
    ) -> Result<Option<Shaper>> {
        let engine = source.endpoint.engine;
        let refuse = |reason: String| Error::InvalidEndpoint {
            endpoint: source.endpoint.label(),
            reason,
        };
        let mut tables = HashMap::new();
        let mut key_filtered = std::collections::HashSet::new();
        for p in prepared {
            // The source column of a consolidation is a constant the applier writes itself.
            let owner = p.owner().map(|o| o.0);
            let exprs: Vec<(usize, &String)> = p
                .source_exprs
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != owner)
                .filter_map(|(i, e)| e.as_ref().map(|e| (i, e)))
                .collect();
            if p.plan.filters.is_empty() && exprs.is_empty() {
                continue;
            }
            let Some(meta) = metas.get(&p.label.to_lowercase()) else {
                continue;
            };
            let conds = source::filter_conditions(engine, &p.plan.filters);
            let keep = (!conds.is_empty()).then(|| conds.join(" AND "));
            let computed = exprs
                .iter()
                .map(|&(i, e)| values::select_sql(engine, &format!("({e})"), p.columns[i].2))
                .collect();
            // The columns read: the filters', and every column an expression names (a name
            // found in its text; one too many costs only its value).
            let text: String = exprs
                .iter()
                .map(|(_, e)| e.to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            let mut inputs = vec![];
            for (at, (name, kind, ty)) in meta.columns.iter().enumerate() {
                let filtered = p
                    .plan
                    .filters
                    .iter()
                    .any(|f| f.column.eq_ignore_ascii_case(name));
                if !filtered && !text.contains(&name.to_lowercase()) {
                    continue;
                }
                let cant = |why: &str| {
                    refuse(format!(
                        "{}: the task's {} reads column {name}, {why}; replication cannot evaluate it (remove the rule, or run a full-load task)",
                        p.label,
                        if filtered {
                            "source filter"
                        } else {
                            "add-column expression"
                        }
                    ))
                };
                match kind {
                    Kind::Array => return Err(cant("an array")),
                    Kind::MyGeometry => return Err(cant("a spatial column")),
                    _ => {}
                }
                let unsent = crate::engines::of(engine)
                    .change_log()
                    .is_some_and(|log| !log.sends_generated());
                if unsent && meta.generated.get(at).copied().unwrap_or(false) {
                    return Err(cant(
                        "a generated column, whose values logical decoding does not send",
                    ));
                }
                let col = p.plan.table.columns.iter().find(|c| &c.name == name);
                let collation = col
                    .and_then(|c| c.collation.clone())
                    .or_else(|| p.plan.table.default_collation.clone());
                let charset = col
                    .and_then(|c| c.charset.clone())
                    .or_else(|| {
                        collation
                            .as_deref()
                            .and_then(|c| c.split('_').next())
                            .map(str::to_string)
                    })
                    .or_else(|| p.plan.table.default_charset.clone());
                inputs.push(Input {
                    at,
                    name: name.clone(),
                    kind: *kind,
                    ty: ty.clone(),
                    charset,
                    collation,
                });
            }
            let key = p.plan.table.primary_key.as_ref();
            let on_key = |f: &crate::tasks::mappings::Filter| {
                key.is_some_and(|k| k.columns.iter().any(|c| c.eq_ignore_ascii_case(&f.column)))
            };
            if !p.plan.filters.is_empty() && p.plan.filters.iter().all(on_key) {
                key_filtered.insert(p.label.clone());
            }
            tables.insert(
                p.label.clone(),
                Shape {
                    keep,
                    computed,
                    inputs,
                    alias: p.plan.source_table.clone(),
                },
            );
        }
        if tables.is_empty() {
            return Ok(None);
        }
        Ok(Some(Shaper {
            source: source.clone(),
            tables,
            key_filtered,
        }))
    }

    /// Whether `table`'s changes are shaped here.
    pub fn shapes(&self, table: &str) -> bool {
        self.tables.contains_key(table)
    }

    /// `txns` as the task's mappings make them, when they hold changes of a shaped table: the
    /// changes that reach the target (with their computed values), and the ones refused.
    pub async fn shape(&self, txns: &[Txn]) -> Result<Option<(Vec<Txn>, Vec<Refused>)>> {
        if !txns
            .iter()
            .any(|t| t.changes.iter().any(|c| self.shapes(&c.table)))
        {
            return Ok(None);
        }
        // The images to evaluate, per table: (txn, change, after?).
        let mut asks: HashMap<&str, Vec<(usize, usize, bool)>> = HashMap::new();
        for (ti, t) in txns.iter().enumerate() {
            for (ci, c) in t.changes.iter().enumerate() {
                if !self.shapes(&c.table) {
                    continue;
                }
                let a = asks.entry(c.table.as_str()).or_default();
                if c.after.is_some() {
                    a.push((ti, ci, true));
                }
                let known = c.before_complete || self.key_filtered.contains(&c.table);
                if c.before.is_some() && known && c.op != Op::Insert {
                    a.push((ti, ci, false));
                }
            }
        }
        // Per image: in the filter, and the computed values (or why they could not be had).
        let mut got: HashMap<(usize, usize, bool), std::result::Result<Eval, String>> =
            HashMap::new();
        for (table, images) in &asks {
            let shape = &self.tables[*table];
            let mut rows = vec![];
            for &(ti, ci, after) in images {
                let c = &txns[ti].changes[ci];
                let row = if after { &c.after } else { &c.before };
                let row = row.as_deref().unwrap_or_default();
                // A value PostgreSQL did not send again (unchanged TOAST) that the rules read.
                let missing = shape
                    .inputs
                    .iter()
                    .find(|i| after && c.unchanged.contains(&i.at));
                match missing {
                    Some(i) => {
                        got.insert(
                            (ti, ci, after),
                            Err(format!(
                                "column {} kept a large value that PostgreSQL does not send again, and the task's filter or expression reads it (set REPLICA IDENTITY FULL on the source table)",
                                i.name
                            )),
                        );
                    }
                    None => rows.push(((ti, ci, after), row)),
                }
            }
            for chunk in rows.chunks(ROWS_PER_QUERY) {
                let images: Vec<&[Option<String>]> = chunk.iter().map(|(_, r)| *r).collect();
                match self.eval(shape, &images).await {
                    Ok(evals) => {
                        for ((k, _), e) in chunk.iter().zip(evals) {
                            got.insert(*k, Ok(e));
                        }
                    }
                    // One row the source cannot evaluate fails the SELECT: one at a time.
                    Err(EvalError::Row(_)) => {
                        for (k, row) in chunk {
                            let one = match self.eval(shape, &[row]).await {
                                Ok(mut e) => Ok(e.remove(0)),
                                Err(EvalError::Row(m)) => Err(m),
                                Err(EvalError::Fatal(e)) => return Err(e),
                            };
                            got.insert(*k, one);
                        }
                    }
                    Err(EvalError::Fatal(e)) => return Err(e),
                }
            }
        }
        let mut refused = vec![];
        let mut out = Vec::with_capacity(txns.len());
        for (ti, t) in txns.iter().enumerate() {
            let mut changes = Vec::with_capacity(t.changes.len());
            for (ci, c) in t.changes.iter().enumerate() {
                if !self.shapes(&c.table) {
                    changes.push(c.clone());
                    continue;
                }
                let (a, b) = (got.remove(&(ti, ci, true)), got.remove(&(ti, ci, false)));
                let refuse = |error: String, row: &Option<Vec<Option<String>>>| Refused {
                    table: c.table.clone(),
                    error,
                    values: row.clone().unwrap_or_default(),
                };
                let a = match a.transpose() {
                    Ok(a) => a,
                    Err(e) => {
                        refused.push(refuse(e, &c.after));
                        continue;
                    }
                };
                // Whether the row was in before; None: not known.
                let was_in = match b.transpose() {
                    Ok(b) => b.map(|b| b.keep),
                    Err(e) => {
                        refused.push(refuse(e, &c.before));
                        continue;
                    }
                };
                let is_in = a.as_ref().map(|a| a.keep);
                let mut c = c.clone();
                c.computed = a.map(|a| a.computed).unwrap_or_default();
                match (c.op, was_in, is_in) {
                    (Op::Insert, _, Some(true)) => {}
                    (Op::Update, Some(true), Some(true)) => {}
                    (Op::Update, Some(false), Some(true)) => {
                        c.op = Op::Insert;
                        c.before = None;
                    }
                    // Without the values PostgreSQL left out, the row could not be inserted:
                    // strict, so that a row missing on the target is a conflict.
                    (Op::Update, None, Some(true)) => c.tolerant = c.unchanged.is_empty(),
                    (Op::Update, Some(true), Some(false)) | (Op::Delete, Some(true), _) => {
                        c.op = Op::Delete;
                        c.after = None;
                    }
                    (Op::Update, None, Some(false)) | (Op::Delete, None, _) => {
                        c.op = Op::Delete;
                        c.after = None;
                        c.tolerant = true;
                    }
                    _ => continue,
                }
                changes.push(c);
            }
            out.push(Txn {
                end: t.end.clone(),
                commit_ms: t.commit_ms,
                changes,
            });
        }
        Ok(Some((out, refused)))
    }

    /// Evaluates the filter and the computed columns of `shape` for `rows` on the source.
    async fn eval(
        &self,
        shape: &Shape,
        rows: &[&[Option<String>]],
    ) -> std::result::Result<Vec<Eval>, EvalError> {
        let engine = self.source.endpoint.engine;
        let sql = match crate::engines::of(engine).evaluate() {
            Some(e) => e.query(shape, rows),
            None => {
                return Err(EvalError::Fatal(fail_eval(&self.source)));
            }
        };
        let answer = self.source.query_text(&sql).await.map_err(|e| match e {
            sqlx::Error::Database(d) => EvalError::Row(format!(
                "the source could not evaluate the task's filter or expressions for this row: {d}"
            )),
            e => EvalError::Fatal(Error::query(
                self.source.endpoint.label(),
                "evaluating the task's filters and expressions for replicated rows",
                &e,
            )),
        })?;
        let mut out: Vec<Option<Eval>> = (0..rows.len()).map(|_| None).collect();
        for r in answer {
            let Some(n) = r.at(0).and_then(|n| n.parse::<usize>().ok()) else {
                continue;
            };
            if let Some(slot) = out.get_mut(n) {
                *slot = Some(Eval {
                    keep: r.at(1) == Some("1"),
                    computed: (0..shape.computed.len())
                        .map(|i| r.at(2 + i).map(str::to_string))
                        .collect(),
                });
            }
        }
        out.into_iter()
            .map(|e| {
                e.ok_or_else(|| {
                    EvalError::Fatal(Error::Query {
                        endpoint: self.source.endpoint.label(),
                        context: "evaluating the task's filters and expressions".into(),
                        message: "the source's answer left a row out".into(),
                        cause: crate::error::Cause::Statement,
                    })
                })
            })
            .collect()
    }
}

/// One row image evaluated.
struct Eval {
    keep: bool,
    computed: Vec<Option<String>>,
}

enum EvalError {
    /// The source refused the SELECT (an expression failing on some row).
    Row(String),
    /// The source could not be asked (the task stops).
    Fatal(Error),
}

/// A source on which rows cannot be evaluated (it has no change log either).
fn fail_eval(source: &Connection) -> Error {
    Error::InvalidEndpoint {
        endpoint: source.endpoint.label(),
        reason: "the task's filters and expressions cannot be evaluated on this engine".into(),
    }
}
