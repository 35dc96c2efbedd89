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
use crate::endpoints::{Connection, Engine};
use crate::engines::change::TableMeta;
use crate::engines::values::{self, Kind};
use crate::error::{Error, Result};
use crate::model::DataType;
use crate::tasks::{Prepared, source};

/// Rows evaluated in one SELECT.
const ROWS_PER_QUERY: usize = 500;

/// A source column a table's filter or expressions read.
struct Input {
    /// Its index in the source row.
    at: usize,
    name: String,
    kind: Kind,
    ty: DataType,
    /// MySQL: the character set and collation its values compare with.
    charset: Option<String>,
    collation: Option<String>,
}

/// What the task does to one table's changes.
struct Shape {
    /// The filter's condition over the source columns; None: every row is in.
    keep: Option<String>,
    /// The computed columns' SELECT-list expressions (canonical text), in column order.
    computed: Vec<String>,
    inputs: Vec<Input>,
    /// The source table's name, the alias the rows take (expressions may qualify columns).
    alias: String,
}

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
        for p in prepared {
            let exprs: Vec<(usize, &String)> = p
                .source_exprs
                .iter()
                .enumerate()
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
                if engine == Engine::Postgres && meta.generated.get(at).copied().unwrap_or(false) {
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
                if c.before.is_some() && c.before_complete && c.op != Op::Insert {
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
        let sql = query(engine, shape, rows);
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

/// The SELECT evaluating `shape` for `rows`: each row's number, '1' when it is in the filter,
/// then the computed columns' values.
fn query(engine: Engine, shape: &Shape, rows: &[&[Option<String>]]) -> String {
    let q = |n: &str| values::quote(engine, n);
    let pg = engine == Engine::Postgres;
    // The rows take the table's name: an expression may qualify its columns with it.
    let alias = q(&shape.alias);
    let mut sql = if pg {
        format!("SELECT {alias}.tugboat_row::text")
    } else {
        format!("SELECT CAST({alias}.tugboat_row AS CHAR)")
    };
    sql.push_str(&match &shape.keep {
        Some(k) => format!(", CASE WHEN {k} THEN '1' ELSE '0' END"),
        None => ", '1'".into(),
    });
    for c in &shape.computed {
        sql.push_str(", ");
        sql.push_str(c);
    }
    if pg {
        sql.push_str(" FROM (VALUES ");
        for (n, row) in rows.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("({n}"));
            for i in &shape.inputs {
                sql.push_str(", ");
                typed(
                    engine,
                    i,
                    row.get(i.at).cloned().flatten().as_deref(),
                    &mut sql,
                );
            }
            sql.push(')');
        }
        let names: Vec<String> = std::iter::once("tugboat_row".to_string())
            .chain(shape.inputs.iter().map(|i| q(&i.name)))
            .collect();
        sql.push_str(&format!(") AS {alias}({})", names.join(", ")));
        return sql;
    }
    sql.push_str(" FROM (");
    for (n, row) in rows.iter().enumerate() {
        if n > 0 {
            sql.push_str(" UNION ALL ");
        }
        sql.push_str(&format!("SELECT {n}"));
        if n == 0 {
            sql.push_str(" AS tugboat_row");
        }
        for i in &shape.inputs {
            sql.push_str(", ");
            typed(
                engine,
                i,
                row.get(i.at).cloned().flatten().as_deref(),
                &mut sql,
            );
            if n == 0 {
                sql.push_str(" AS ");
                sql.push_str(&q(&i.name));
            }
        }
    }
    sql.push_str(&format!(") AS {alias}"));
    // The session in UTC, as the full load's reader has it.
    format!("SET time_zone = '+00:00'; {sql}")
}

/// Canonical value `v` of input `i` as a literal of its column's type on the source.
fn typed(engine: Engine, i: &Input, v: Option<&str>, out: &mut String) {
    if engine == Engine::Postgres {
        let ty = match &i.ty.type_schema {
            Some(s) if s != "pg_catalog" => {
                format!(
                    "{}.{}",
                    values::quote(engine, s),
                    values::quote(engine, &i.ty.name)
                )
            }
            _ if !i.ty.declared.is_empty() => i.ty.declared.clone(),
            _ => i.ty.name.clone(),
        };
        out.push_str("CAST(");
        match v {
            Some(v) if i.kind == Kind::TimestampTz && !v.ends_with("infinity") => {
                values::push_sql_literal(out, engine, Some(&format!("{v}+00")), Kind::Text)
            }
            Some(v) if i.kind == Kind::Binary => {
                values::push_sql_literal(out, engine, Some(v), Kind::Binary)
            }
            v => values::push_sql_literal(out, engine, v, Kind::Text),
        }
        out.push_str(" AS ");
        out.push_str(&ty);
        out.push(')');
        if let Some(c) = &i.collation {
            out.push_str(" COLLATE ");
            out.push_str(&values::quote(engine, c));
        }
        return;
    }
    let Some(v) = v else {
        out.push_str("NULL");
        return;
    };
    let text = |out: &mut String| values::push_sql_literal(out, engine, Some(v), Kind::Text);
    let cast = |out: &mut String, ty: &str| {
        out.push_str("CAST(");
        text(out);
        out.push_str(" AS ");
        out.push_str(ty);
        out.push(')');
    };
    let plain_integer = {
        let d = v.strip_prefix('-').unwrap_or(v);
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
    };
    match i.kind {
        Kind::Integer | Kind::Bool if plain_integer => out.push_str(v),
        Kind::Integer | Kind::Bool => cast(out, "SIGNED"),
        Kind::Decimal => match i.ty.precision {
            Some(p) => {
                let p = p.clamp(1, 65);
                let s = i.ty.scale.unwrap_or(0).min(38).min(p);
                cast(out, &format!("DECIMAL({p},{s})"))
            }
            // A decimal literal is an exact DECIMAL of its own digits.
            None if is_decimal(v) => out.push_str(v),
            None => cast(out, "DECIMAL(65,30)"),
        },
        Kind::Float => cast(out, "DOUBLE"),
        Kind::Date => cast(out, "DATE"),
        Kind::Time => cast(out, "TIME(6)"),
        Kind::Timestamp | Kind::TimestampTz => cast(out, "DATETIME(6)"),
        Kind::Binary | Kind::Bit(_) => values::push_sql_literal(out, engine, Some(v), i.kind),
        _ => match (&i.charset, &i.collation) {
            (Some(cs), coll) => {
                out.push_str("CONVERT(");
                text(out);
                out.push_str(&format!(" USING {cs})"));
                if let Some(c) = coll {
                    out.push_str(&format!(" COLLATE {c}"));
                }
            }
            (None, _) => text(out),
        },
    }
}

/// `v` is a plain decimal number (`-12.50`).
fn is_decimal(v: &str) -> bool {
    let d = v.strip_prefix('-').unwrap_or(v);
    let (whole, frac) = d.split_once('.').unwrap_or((d, "0"));
    !whole.is_empty()
        && !frac.is_empty()
        && whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(at: usize, name: &str, kind: Kind, ty: &str) -> Input {
        Input {
            at,
            name: name.into(),
            kind,
            ty: DataType::simple(ty),
            charset: None,
            collation: None,
        }
    }

    #[test]
    fn rows_go_back_to_the_source_as_typed_literals_under_the_tables_name() {
        let shape = Shape {
            keep: Some("`status` = 'active'".into()),
            computed: vec!["(price * qty)".into()],
            inputs: vec![
                Input {
                    charset: Some("utf8mb4".into()),
                    collation: Some("utf8mb4_general_ci".into()),
                    ..input(1, "status", Kind::Text, "varchar")
                },
                input(2, "price", Kind::Decimal, "decimal"),
                input(3, "at", Kind::TimestampTz, "timestamp"),
            ],
            alias: "orders".into(),
        };
        let a = [
            Some("1".into()),
            Some("It's".into()),
            Some("9.50".into()),
            Some("2026-12-02 10:00:00.000000".into()),
        ];
        let b = [Some("2".into()), None, Some("1".into()), None];
        let sql = query(Engine::MariaDb, &shape, &[&a, &b]);
        assert!(sql.starts_with("SET time_zone = '+00:00'; SELECT CAST(`orders`.tugboat_row AS CHAR), CASE WHEN `status` = 'active' THEN '1' ELSE '0' END, (price * qty) FROM (SELECT 0 AS tugboat_row, CONVERT('It''s' USING utf8mb4) COLLATE utf8mb4_general_ci AS `status`, 9.50 AS `price`, CAST('2026-12-02 10:00:00.000000' AS DATETIME(6)) AS `at` UNION ALL SELECT 1, NULL, 1, NULL) AS `orders`"), "{sql}");

        let shape = Shape {
            keep: None,
            computed: vec![],
            inputs: vec![input(
                0,
                "at",
                Kind::TimestampTz,
                "timestamp with time zone",
            )],
            alias: "t".into(),
        };
        let a = [Some("2026-12-02 10:00:00.000000".into())];
        let sql = query(Engine::Postgres, &shape, &[&a]);
        assert_eq!(
            sql,
            "SELECT \"t\".tugboat_row::text, '1' FROM (VALUES (0, CAST('2026-12-02 10:00:00.000000+00' AS timestamp with time zone))) AS \"t\"(tugboat_row, \"at\")"
        );
    }
}
