//! A lake's table compared with its source as both are now: the load's files with the change
//! files applied by key in `_seq` order (what a reader of the lake gets: a key's last change
//! wins, a `D` removes it), against the source's rows encoded as the task writes them. Every
//! row is hashed as Arrow holds it into one of [`SEGMENTS`] segments by its key's hash; the
//! segments that differ are read again on both sides and compared row by row, so that a
//! changed, missing or extra row is named by its key and its differing columns. Memory: a
//! pair of hashes per changed key, and the rows of differing segments only.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::{ArrayRef, RecordBatch, new_null_array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use futures_util::TryStreamExt;
use object_store::ObjectMeta;
use object_store::buffered::BufReader;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;

use super::Lake;
use super::encode::{Fixed, RowSum, row_hashes};
use super::plan::LakeTable;
use crate::endpoints::Connection;
use crate::engines::rows::Rows;
use crate::tasks::validate::{Method, Validation};

/// Segments a table's rows are hashed into.
const SEGMENTS: usize = 1024;
/// Rows of differing segments compared row by row (each side), at most.
const ROW_LIMIT: u64 = 1_000_000;
/// Differing rows named, at most.
const KEEP: usize = 100;

/// Two 64-bit hashes: of a key, or of a row.
pub(super) type Hash2 = (u64, u64);

/// What a table's rows are compared on.
pub(super) struct Shape {
    /// The compared columns (the lake's names), in the table's order.
    pub(super) names: Vec<String>,
    /// Their positions among the table's columns (and the source's rows).
    pub(super) positions: Vec<usize>,
    /// The key's positions among `names`.
    pub(super) key: Vec<usize>,
    /// The compared columns' fields (all nullable).
    pub(super) fields: SchemaRef,
}

/// A key's last change: its `_seq` and the hash of its row, none once deleted.
pub(super) struct Latest {
    pub(super) seq: u64,
    pub(super) row: Option<Hash2>,
}

/// One row of a differing segment, as one side holds it.
struct Seen {
    row: Hash2,
    /// Each compared column's hash.
    columns: Vec<u64>,
    key_text: String,
    /// Each compared column's value, readable.
    values: Vec<Option<String>>,
}

/// The rows of one side, by segment of their key.
struct Side {
    segments: Vec<RowSum>,
    /// Once the differing segments are known: their rows, by key.
    seen: HashMap<Hash2, Seen>,
}

impl Side {
    fn new() -> Side {
        Side {
            segments: vec![RowSum::default(); SEGMENTS],
            seen: HashMap::new(),
        }
    }

    fn rows(&self) -> u64 {
        self.segments.iter().map(|s| s.rows).sum()
    }
}

fn segment(key: Hash2) -> usize {
    (key.0 % SEGMENTS as u64) as usize
}

/// The rows of one batch, hashed: each row's key, row and (when asked) column hashes.
pub(super) struct Hashed {
    pub(super) keys: Vec<Hash2>,
    pub(super) rows: Vec<Hash2>,
    columns: Vec<Vec<u64>>,
}

pub(super) fn hash(
    batch: &RecordBatch,
    shape: &Shape,
    with_columns: bool,
) -> Result<Hashed, String> {
    let n = batch.num_rows();
    let key: Vec<ArrayRef> = shape.key.iter().map(|&k| batch.column(k).clone()).collect();
    let columns = if with_columns {
        batch
            .columns()
            .iter()
            .map(|c| {
                Ok(row_hashes(std::slice::from_ref(c), n)?
                    .into_iter()
                    .map(|h| h.0)
                    .collect())
            })
            .collect::<Result<Vec<Vec<u64>>, String>>()?
    } else {
        vec![]
    };
    Ok(Hashed {
        keys: row_hashes(&key, n)?,
        rows: row_hashes(batch.columns(), n)?,
        columns,
    })
}

/// What a pass over one side does with each row: add it to its segment, or (`wanted`: the
/// differing segments) keep it to compare.
struct Pass<'a> {
    wanted: Option<&'a HashSet<usize>>,
}

impl Pass<'_> {
    fn take(
        &self,
        side: &mut Side,
        shape: &Shape,
        h: &Hashed,
        i: usize,
        values: impl FnOnce() -> (String, Vec<Option<String>>),
    ) {
        let (key, row) = (h.keys[i], h.rows[i]);
        match self.wanted {
            None => side.segments[segment(key)].add_row(row.0, row.1),
            Some(w) if w.contains(&segment(key)) => {
                let (key_text, values) = values();
                let columns = (0..shape.names.len()).map(|c| h.columns[c][i]).collect();
                side.seen.insert(
                    key,
                    Seen {
                        row,
                        columns,
                        key_text,
                        values,
                    },
                );
            }
            Some(_) => {}
        }
    }
}

/// `t`'s files: its load's, and its changes'.
pub(super) async fn files_of(
    lake: &Lake,
    t: &LakeTable,
) -> Result<(Vec<ObjectMeta>, Vec<ObjectMeta>), String> {
    let files = super::files::parquet_files(lake, &t.dir)
        .await
        .map_err(|e| e.to_string())?;
    let name = |f: &ObjectMeta| f.location.filename().unwrap_or_default().to_string();
    let (changes, loads) = files.into_iter().partition(|f| name(f).starts_with("CDC"));
    Ok((loads, changes))
}

/// Compares `t`'s files in `lake` with its rows on `source` (see the module's description);
/// None for a table without a key and without change files (compared as the load wrote it).
pub async fn compare(
    lake: &Lake,
    t: &LakeTable,
    source: &Connection,
    zero_dates_null: bool,
    cancel: Arc<AtomicBool>,
) -> Result<Option<Validation>, String> {
    let (loads, changes) = files_of(lake, t).await?;
    let Some(shape) = shape(t, zero_dates_null) else {
        if changes.is_empty() {
            // Compared as the load wrote it.
            return Ok(None);
        }
        return Err(
            "it has no primary key: its change files cannot be applied by key, nor compared with the source"
                .into(),
        );
    };
    let latest = latest_changes(lake, &changes, &shape).await?;
    let src = SourcePass {
        source,
        t,
        shape: &shape,
        zero_dates_null,
        cancel,
    };
    let mut lake_side = Side::new();
    let mut src_side = Side::new();
    let all = Pass { wanted: None };
    lake_pass(
        lake,
        &loads,
        &changes,
        &latest,
        &shape,
        &all,
        &mut lake_side,
    )
    .await?;
    src.run(&all, &mut src_side).await?;
    let differing: HashSet<usize> = (0..SEGMENTS)
        .filter(|&s| lake_side.segments[s] != src_side.segments[s])
        .collect();
    let mut v = Validation::new(
        Method::Hashed {
            segments: SEGMENTS as u64,
            differing: differing.len() as u64,
            read_back: false,
        },
        src_side.rows() as i64,
        lake_side.rows() as i64,
    );
    if differing.is_empty() {
        return Ok(Some(v));
    }
    let in_differing = |s: &Side| -> u64 { differing.iter().map(|&d| s.segments[d].rows).sum() };
    if in_differing(&lake_side).max(in_differing(&src_side)) > ROW_LIMIT {
        v.checksum_differs = true;
        return Ok(Some(v));
    }
    let wanted = Pass {
        wanted: Some(&differing),
    };
    lake_pass(
        lake,
        &loads,
        &changes,
        &latest,
        &shape,
        &wanted,
        &mut lake_side,
    )
    .await?;
    src.run(&wanted, &mut src_side).await?;
    differences(&shape, &src_side.seen, &lake_side.seen, &mut v);
    Ok(Some(v))
}

/// The columns compared: every column the table has now, a file without one of them (written
/// before it was added on the source) read with NULL there, as a reader of the lake that
/// merges the files' columns by name sees it. None when the table has no key.
pub(super) fn shape(t: &LakeTable, zero_dates_null: bool) -> Option<Shape> {
    let encoder = t.encoder(zero_dates_null);
    let fields: Vec<Field> = encoder
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    let names: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
    let key = t
        .schema
        .primary_key
        .iter()
        .map(|k| t.prepared.columns.iter().position(|c| &c.0 == k))
        .collect::<Option<Vec<usize>>>()?;
    (!key.is_empty()).then(|| Shape {
        positions: (0..names.len()).collect(),
        names,
        key,
        fields: Arc::new(Schema::new(fields)),
    })
}

/// A file's reader.
async fn open(
    lake: &Lake,
    f: &ObjectMeta,
) -> Result<ParquetRecordBatchStreamBuilder<BufReader>, String> {
    ParquetRecordBatchStreamBuilder::new(BufReader::new(lake.store(), f))
        .await
        .map_err(|e| format!("{}: reading {}: {e}", lake.label(), f.location))
}

/// Calls `f` with each batch of `file`, its columns `fields` (by name, in that order; one the
/// file does not have is NULL).
pub(super) async fn each_batch(
    lake: &Lake,
    file: &ObjectMeta,
    fields: &SchemaRef,
    mut f: impl FnMut(RecordBatch) -> Result<(), String>,
) -> Result<(), String> {
    let what = format!("{}: reading {}", lake.label(), file.location);
    let mut stream = open(lake, file)
        .await?
        .build()
        .map_err(|e| format!("{what}: {e}"))?;
    while let Some(batch) = stream
        .try_next()
        .await
        .map_err(|e| format!("{what}: {e}"))?
    {
        let schema = batch.schema();
        let n = batch.num_rows();
        let columns: Vec<ArrayRef> = fields
            .fields()
            .iter()
            .map(|field| match schema.index_of(field.name()) {
                Ok(i) => batch.column(i).clone(),
                Err(_) => new_null_array(field.data_type(), n),
            })
            .collect();
        f(RecordBatch::try_new(fields.clone(), columns).map_err(|e| format!("{what}: {e}"))?)?;
    }
    Ok(())
}

/// The change files' columns read: `Op`, `_seq`, then the compared ones.
pub(super) fn change_fields(shape: &Shape) -> SchemaRef {
    let mut fields = vec![
        Field::new("Op", DataType::Utf8, false),
        Field::new("_seq", DataType::UInt64, false),
    ];
    fields.extend(shape.fields.fields().iter().map(|f| f.as_ref().clone()));
    Arc::new(Schema::new(fields))
}

/// Each changed key's last change.
pub(super) async fn latest_changes(
    lake: &Lake,
    changes: &[ObjectMeta],
    shape: &Shape,
) -> Result<HashMap<Hash2, Latest>, String> {
    let mut latest: HashMap<Hash2, Latest> = HashMap::new();
    let fields = change_fields(shape);
    let rest: Vec<usize> = (2..fields.fields().len()).collect();
    for f in changes {
        each_batch(lake, f, &fields, |batch| {
            let (ops, seqs) = (
                batch.column(0).as_string::<i32>().clone(),
                batch.column(1).as_primitive::<UInt64Type>().clone(),
            );
            let rows = batch.project(&rest).map_err(|e| e.to_string())?;
            let h = hash(&rows, shape, false)?;
            for i in 0..batch.num_rows() {
                let seq = seqs.value(i);
                let row = (ops.value(i) != "D").then_some(h.rows[i]);
                let e = latest
                    .entry(h.keys[i])
                    .or_insert(Latest { seq: 0, row: None });
                if seq >= e.seq {
                    *e = Latest { seq, row };
                }
            }
            Ok(())
        })
        .await?;
    }
    Ok(latest)
}

/// The lake's rows: the load's files' rows whose key has no change, then each changed key's
/// row after its last change.
async fn lake_pass(
    lake: &Lake,
    loads: &[ObjectMeta],
    changes: &[ObjectMeta],
    latest: &HashMap<Hash2, Latest>,
    shape: &Shape,
    pass: &Pass<'_>,
    side: &mut Side,
) -> Result<(), String> {
    let keep = pass.wanted.is_some();
    for f in loads {
        each_batch(lake, f, &shape.fields, |batch| {
            let h = hash(&batch, shape, keep)?;
            for i in 0..batch.num_rows() {
                if !latest.contains_key(&h.keys[i]) {
                    pass.take(side, shape, &h, i, || shown(&batch, shape, i));
                }
            }
            Ok(())
        })
        .await?;
    }
    if !keep {
        for (key, l) in latest {
            if let Some(row) = l.row {
                side.segments[segment(*key)].add_row(row.0, row.1);
            }
        }
        return Ok(());
    }
    let fields = change_fields(shape);
    let rest: Vec<usize> = (2..fields.fields().len()).collect();
    for f in changes {
        each_batch(lake, f, &fields, |batch| {
            let seqs = batch.column(1).as_primitive::<UInt64Type>().clone();
            let rows = batch.project(&rest).map_err(|e| e.to_string())?;
            let h = hash(&rows, shape, true)?;
            for i in 0..rows.num_rows() {
                let last = latest.get(&h.keys[i]);
                if last.is_some_and(|l| l.seq == seqs.value(i) && l.row.is_some()) {
                    pass.take(side, shape, &h, i, || shown(&rows, shape, i));
                }
            }
            Ok(())
        })
        .await?;
    }
    Ok(())
}

/// Row `i` of `batch` (the compared columns), readable: its key's text and its values.
fn shown(batch: &RecordBatch, shape: &Shape, i: usize) -> (String, Vec<Option<String>>) {
    let values: Vec<Option<String>> = batch
        .columns()
        .iter()
        .map(|c| super::encode::show(c, i))
        .collect();
    let key = shape
        .key
        .iter()
        .map(|&k| values[k].clone().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(",");
    (key, values)
}

/// Reads the source's rows as the task writes them into the lake.
struct SourcePass<'a> {
    source: &'a Connection,
    t: &'a LakeTable,
    shape: &'a Shape,
    zero_dates_null: bool,
    cancel: Arc<AtomicBool>,
}

impl SourcePass<'_> {
    async fn run(&self, pass: &Pass<'_>, side: &mut Side) -> Result<(), String> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Rows>(4);
        let reader = {
            let (source, p, cancel) = (
                self.source.clone(),
                self.t.prepared.clone(),
                self.cancel.clone(),
            );
            tokio::spawn(
                async move { crate::tasks::source::read(&source, &p, 5_000, tx, cancel).await },
            )
        };
        let encoder = self.t.encoder(self.zero_dates_null);
        let keep = pass.wanted.is_some();
        let mut failed = None;
        while let Some(rows) = rx.recv().await {
            let step = encoder
                .encode(&rows, &mut Fixed::default())
                .and_then(|b| b.project(&self.shape.positions).map_err(|e| e.to_string()))
                .and_then(|batch| {
                    let h = hash(&batch, self.shape, keep)?;
                    for i in 0..batch.num_rows() {
                        pass.take(side, self.shape, &h, i, || self.shown(&rows, i));
                    }
                    Ok(())
                });
            if let Err(e) = step {
                failed = Some(e);
                break;
            }
        }
        drop(rx);
        let read = reader
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        match failed {
            Some(e) => Err(e),
            None => read,
        }
    }

    /// Source row `i`: its key's text and its compared values, as read.
    fn shown(&self, rows: &Rows, i: usize) -> (String, Vec<Option<String>>) {
        let values: Vec<Option<String>> = self
            .shape
            .positions
            .iter()
            .map(|&c| rows.get(i, c).map(str::to_string))
            .collect();
        let key = self
            .shape
            .key
            .iter()
            .map(|&k| values[k].clone().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(",");
        (key, values)
    }
}

/// The rows of the differing segments compared by key: missing from the lake, not on the
/// source, or different (which columns, and their values on each side).
fn differences(
    shape: &Shape,
    src: &HashMap<Hash2, Seen>,
    lake: &HashMap<Hash2, Seen>,
    v: &mut Validation,
) {
    let note = |v: &mut Validation, key: &str, what: &str, cols: String, values: String| {
        if v.failures.len() < KEEP {
            v.failures.push((key.to_string(), what.to_string(), cols));
            v.differences.push(values);
        }
    };
    let mut keys: Vec<(&Hash2, &Seen)> = src.iter().collect();
    keys.sort_by(|a, b| a.1.key_text.cmp(&b.1.key_text));
    for (key, s) in keys {
        match lake.get(key) {
            None => {
                v.missing += 1;
                note(
                    v,
                    &s.key_text,
                    "missing on target",
                    String::new(),
                    String::new(),
                );
            }
            Some(l) if l.row != s.row => {
                v.different += 1;
                let cols: Vec<usize> = (0..shape.names.len())
                    .filter(|&c| s.columns[c] != l.columns[c])
                    .collect();
                let names = cols
                    .iter()
                    .map(|&c| shape.names[c].as_str())
                    .collect::<Vec<_>>();
                let quoted = |v: &Option<String>| {
                    v.as_ref().map_or("NULL".to_string(), |v| format!("'{v}'"))
                };
                let values = cols
                    .iter()
                    .map(|&c| {
                        format!(
                            "{}: source {}, target {}",
                            shape.names[c],
                            quoted(&s.values[c]),
                            quoted(&l.values[c])
                        )
                    })
                    .collect::<Vec<_>>();
                note(
                    v,
                    &s.key_text,
                    "different",
                    names.join(", "),
                    values.join("; "),
                );
            }
            Some(_) => {}
        }
    }
    let mut extra: Vec<&Seen> = lake
        .iter()
        .filter(|(k, _)| !src.contains_key(*k))
        .map(|(_, l)| l)
        .collect();
    extra.sort_by(|a, b| a.key_text.cmp(&b.key_text));
    for l in extra {
        v.extra += 1;
        note(
            v,
            &l.key_text,
            "extra on target",
            String::new(),
            String::new(),
        );
    }
}
