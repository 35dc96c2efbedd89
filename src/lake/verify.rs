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
const SEGMENTS: usize = 65_536;
/// Rows of differing segments compared row by row (each side), at most.
const ROW_LIMIT: u64 = 500_000;
/// Differing rows named, at most.
const KEEP: usize = 100;

/// Two 64-bit hashes: of a key, or of a row.
pub(super) type Hash2 = (u64, u64);

/// What a table's rows are compared on: every column it has now, in its order.
pub(super) struct Shape {
    /// The key's positions among the columns.
    pub(super) key: Vec<usize>,
    /// The columns' fields (all nullable: a file may lack a column, a delete carries its key
    /// only), as the table's change files have them.
    pub(super) fields: SchemaRef,
}

impl Shape {
    /// Column `c`'s name in the lake.
    fn name(&self, c: usize) -> &str {
        self.fields.field(c).name()
    }

    /// A row's key as the comparison names it: its values (`values`: the compared columns')
    /// joined by commas.
    fn key_text(&self, values: &[Option<String>]) -> String {
        self.key
            .iter()
            .map(|&k| values[k].clone().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(",")
    }
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

/// What a pass over one side does with each row.
enum Pass<'a> {
    /// Adds it to its segment.
    Sums,
    /// Keeps its key and hash when its segment is one of these (the differing ones).
    Rows(&'a HashSet<usize>),
    /// Adds its columns' hashes and values to the row kept for its key, for these keys (the
    /// differing rows named).
    Values(&'a HashSet<Hash2>),
}

impl Pass<'_> {
    /// Whether its rows' columns are hashed one by one.
    fn by_column(&self) -> bool {
        matches!(self, Pass::Values(_))
    }

    fn take(
        &self,
        side: &mut Side,
        h: &Hashed,
        i: usize,
        values: impl FnOnce() -> (String, Vec<Option<String>>),
    ) {
        let (key, row) = (h.keys[i], h.rows[i]);
        match self {
            Pass::Sums => side.segments[segment(key)].add_row(row.0, row.1),
            Pass::Rows(segments) if segments.contains(&segment(key)) => {
                let key_text = values().0;
                side.seen.insert(
                    key,
                    Seen {
                        row,
                        columns: vec![],
                        key_text,
                        values: vec![],
                    },
                );
            }
            Pass::Values(keys) if keys.contains(&key) => {
                if let Some(seen) = side.seen.get_mut(&key) {
                    seen.values = values().1;
                    seen.columns = h.columns.iter().map(|c| c[i]).collect();
                }
            }
            _ => {}
        }
    }
}

/// Compares `t`'s files in `lake` (`loads`, `changes`: see [`files_of`]) with its rows on
/// `source` (see the module's description); None for a table without a key and without change
/// files (compared as the load wrote it).
pub(super) async fn compare(
    lake: &Lake,
    t: &LakeTable,
    (loads, changes): (Vec<ObjectMeta>, Vec<ObjectMeta>),
    source: &Connection,
    zero_dates_null: bool,
    cancel: Arc<AtomicBool>,
) -> Result<Option<Validation>, String> {
    let Some(shape) = shape(t) else {
        if changes.is_empty() {
            // Compared as the load wrote it.
            return Ok(None);
        }
        return Err(
            "it has no primary key (or the task does not map a column of it): its change files cannot be applied by key, nor compared with the source"
                .into(),
        );
    };
    let latest = latest_changes(lake, &changes, &shape).await?;
    let sides = Sides {
        lake,
        loads: &loads,
        changes: &changes,
        latest: &latest,
        src: SourcePass {
            source,
            t,
            shape: &shape,
            zero_dates_null,
            cancel: cancel.clone(),
        },
    };
    let (mut lake_side, mut src_side) = (Side::new(), Side::new());
    sides
        .run(&Pass::Sums, &mut lake_side, &mut src_side, &cancel)
        .await?;
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
    // From here on the tables differ, whatever the rows below show (a change on the source
    // between the reads, rows too many to compare one by one).
    v.checksum_differs = true;
    let in_differing = |s: &Side| -> u64 { differing.iter().map(|&d| s.segments[d].rows).sum() };
    if in_differing(&lake_side).max(in_differing(&src_side)) > ROW_LIMIT {
        return Ok(Some(v));
    }
    let rows = Pass::Rows(&differing);
    sides
        .run(&rows, &mut lake_side, &mut src_side, &cancel)
        .await?;
    let named = named_differences(&src_side.seen, &lake_side.seen);
    if !named.is_empty() {
        let values = Pass::Values(&named);
        sides
            .run(&values, &mut lake_side, &mut src_side, &cancel)
            .await?;
    }
    differences(&shape, &src_side.seen, &lake_side.seen, &mut v);
    Ok(Some(v))
}

/// Both sides of a comparison, read the same way in each pass.
struct Sides<'a> {
    lake: &'a Lake,
    loads: &'a [ObjectMeta],
    changes: &'a [ObjectMeta],
    latest: &'a HashMap<Hash2, Latest>,
    src: SourcePass<'a>,
}

impl Sides<'_> {
    async fn run(
        &self,
        pass: &Pass<'_>,
        lake_side: &mut Side,
        src_side: &mut Side,
        cancel: &AtomicBool,
    ) -> Result<(), String> {
        let shape = self.src.shape;
        lake_pass(
            self.lake,
            self.loads,
            self.changes,
            self.latest,
            shape,
            pass,
            lake_side,
        )
        .await?;
        self.src.run(pass, src_side).await?;
        // (A reader stopped by the user ends as if its rows were all read.)
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err("stopped by the user".into());
        }
        Ok(())
    }
}

/// The keys of the rows on both sides whose values differ, the first [`KEEP`] in key order:
/// those whose columns are named.
fn named_differences(src: &HashMap<Hash2, Seen>, lake: &HashMap<Hash2, Seen>) -> HashSet<Hash2> {
    let mut different: Vec<(&Hash2, &Seen)> = src
        .iter()
        .filter(|(k, s)| lake.get(*k).is_some_and(|l| l.row != s.row))
        .collect();
    different.sort_by(|a, b| a.1.key_text.cmp(&b.1.key_text));
    different.into_iter().take(KEEP).map(|(k, _)| *k).collect()
}

/// `t`'s files: its load's, and its changes' up to batch `upto` (a later batch's files are
/// unfinished: the task deletes them and writes them again).
pub(super) async fn files_of(
    lake: &Lake,
    t: &LakeTable,
    upto: Option<u64>,
) -> Result<(Vec<ObjectMeta>, Vec<ObjectMeta>), String> {
    let files = super::files::parquet_files(lake, &t.dir)
        .await
        .map_err(|e| e.to_string())?;
    let name = |f: &ObjectMeta| f.location.filename().unwrap_or_default().to_string();
    let (mut changes, loads): (Vec<ObjectMeta>, Vec<ObjectMeta>) =
        files.into_iter().partition(|f| name(f).starts_with("CDC"));
    changes.retain(|f| {
        let batch = super::checkpoint::batch_of(&name(f));
        upto.is_none_or(|u| batch.is_some_and(|b| b <= u))
    });
    Ok((loads, changes))
}

/// The columns compared: every column the table has now, a file without one of them (written
/// before it was added on the source) read with NULL there, as a reader of the lake that
/// merges the files' columns by name sees it. None when the table has no key.
pub(super) fn shape(t: &LakeTable) -> Option<Shape> {
    let key = t
        .schema
        .primary_key
        .iter()
        .map(|k| t.prepared.columns.iter().position(|c| &c.0 == k))
        .collect::<Option<Vec<usize>>>()?;
    (!key.is_empty()).then(|| Shape {
        key,
        fields: t.change_encoder(false).schema().clone(),
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
fn change_fields(shape: &Shape) -> SchemaRef {
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
    let mut take = |batch: &RecordBatch, h: &Hashed, rows: Vec<usize>| {
        for i in rows {
            pass.take(side, h, i, || shown(batch, shape, i));
        }
        Ok(())
    };
    for f in loads {
        current_in(lake, f, false, latest, shape, pass.by_column(), &mut take).await?;
    }
    if let Pass::Sums = pass {
        // The changed keys' rows are hashed already.
        for (key, l) in latest {
            if let Some(row) = l.row {
                side.segments[segment(*key)].add_row(row.0, row.1);
            }
        }
        return Ok(());
    }
    for f in changes {
        current_in(lake, f, true, latest, shape, pass.by_column(), &mut take).await?;
    }
    Ok(())
}

/// The rows of `file` (a change file if `is_change`) that the lake holds now: of a load's file,
/// those whose key has no change; of a change file, each key's last change but a delete. `f`
/// gets each batch (the table's columns), its hashes (`by_column`: each column's too) and
/// which of its rows are current.
pub(super) async fn current_in(
    lake: &Lake,
    file: &ObjectMeta,
    is_change: bool,
    latest: &HashMap<Hash2, Latest>,
    shape: &Shape,
    by_column: bool,
    f: &mut impl FnMut(&RecordBatch, &Hashed, Vec<usize>) -> Result<(), String>,
) -> Result<(), String> {
    if !is_change {
        return each_batch(lake, file, &shape.fields, |batch| {
            let h = hash(&batch, shape, by_column)?;
            let current = (0..batch.num_rows())
                .filter(|&i| !latest.contains_key(&h.keys[i]))
                .collect();
            f(&batch, &h, current)
        })
        .await;
    }
    let fields = change_fields(shape);
    let rest: Vec<usize> = (2..fields.fields().len()).collect();
    each_batch(lake, file, &fields, |batch| {
        let seqs = batch.column(1).as_primitive::<UInt64Type>().clone();
        let rows = batch.project(&rest).map_err(|e| e.to_string())?;
        let h = hash(&rows, shape, by_column)?;
        let current = (0..rows.num_rows())
            .filter(|&i| {
                latest
                    .get(&h.keys[i])
                    .is_some_and(|l| l.seq == seqs.value(i) && l.row.is_some())
            })
            .collect();
        f(&rows, &h, current)
    })
    .await
}

/// Row `i` of `batch` (the compared columns), readable: its key's text and its values.
fn shown(batch: &RecordBatch, shape: &Shape, i: usize) -> (String, Vec<Option<String>>) {
    let values: Vec<Option<String>> = batch
        .columns()
        .iter()
        .map(|c| super::encode::show(c, i))
        .collect();
    (shape.key_text(&values), values)
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
        let mut failed = None;
        while let Some(rows) = rx.recv().await {
            let step = encoder
                .encode(&rows, &mut Fixed::default())
                .and_then(|batch| {
                    let h = hash(&batch, self.shape, pass.by_column())?;
                    for i in 0..batch.num_rows() {
                        pass.take(side, &h, i, || self.shown(&rows, i));
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
        let values: Vec<Option<String>> = rows.row(i).map(|v| v.map(str::to_string)).collect();
        (self.shape.key_text(&values), values)
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
                // (Columns are known for the rows named, see `named_differences`.)
                let cols: Vec<usize> = (0..shape.fields.fields().len())
                    .filter(|&c| match (s.columns.get(c), l.columns.get(c)) {
                        (Some(a), Some(b)) => a != b,
                        _ => false,
                    })
                    .collect();
                let names = cols.iter().map(|&c| shape.name(c)).collect::<Vec<_>>();
                let quoted = |v: &Option<String>| {
                    v.as_ref().map_or("NULL".to_string(), |v| format!("'{v}'"))
                };
                let values = cols
                    .iter()
                    .map(|&c| {
                        format!(
                            "{}: source {}, target {}",
                            shape.name(c),
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
