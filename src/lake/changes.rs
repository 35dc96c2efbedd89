//! A table's captured changes as a lake keeps them, in DMS's layout: change files
//! (`CDC00000007-00000001.parquet`: the task's 7th batch of changes) whose rows are the changed
//! rows with three columns before the table's own: `Op` (`I`, `U` or `D`), `_commit_ts` (the
//! source transaction's commit time, UTC) and `_seq` (a number that orders every change of the
//! task, across files and tables). An insert and an update carry the row after the change; a
//! delete the row before it (its key, at least). An update that moves a row's key is written as
//! the delete of the old key then the insert of the new one, so that applying the changes by
//! key in `_seq` order gives the source's rows.

use std::sync::Arc;

use arrow_array::builder::{StringBuilder, TimestampMicrosecondBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::Lake;
use super::encode::Fixed;
use super::files::LoadFiles;
use super::plan::LakeTable;
use crate::engines::change::{Change, Op, TableMeta};
use crate::engines::rows::Rows;

/// The columns a change file has before the table's.
pub const CHANGE_COLUMNS: [&str; 3] = ["Op", "_commit_ts", "_seq"];

struct ChangeRow {
    op: &'static str,
    commit_ms: i64,
    seq: u64,
    /// In the lake table's column order.
    values: Vec<Option<String>>,
}

/// Where a lake column's value comes from in a captured change.
enum Src {
    /// The captured row's column at this index.
    Row(usize),
    /// The task's add-column expression, computed on the source ([`Change::computed`]).
    Computed(usize),
    /// The constant of a consolidation's source column.
    Constant(String),
}

/// One table's changes not yet written.
pub struct TableChanges {
    pub table: LakeTable,
    /// For each of the lake table's columns, where its value comes from.
    from: Vec<Src>,
    /// The key columns' indexes in the captured rows.
    key: Vec<usize>,
    rows: Vec<ChangeRow>,
    bytes: usize,
    /// The files of the batch under way, the last one open. (In a mutex only so that the
    /// table's changes can be shared between threads: it is reached through `&mut self`.)
    out: std::sync::Mutex<Option<LoadFiles>>,
    /// Bytes of the changes written into them so far.
    written: usize,
}

impl TableChanges {
    /// The buffer of `table`'s changes, captured as `meta` says its columns are.
    pub fn new(table: LakeTable, meta: &TableMeta) -> Result<TableChanges, String> {
        let index = |name: &str| {
            meta.columns
                .iter()
                .position(|c| c.0 == name)
                .ok_or_else(|| format!("{}: column {name} is not captured", table.label()))
        };
        let mut from = vec![];
        let owner = table.prepared.owner();
        let mut computed = 0;
        for (i, (c, e)) in (table.prepared.columns.iter())
            .zip(&table.prepared.source_exprs)
            .enumerate()
        {
            // (In the order the task's shaping computes them: `cdc::transform`.)
            from.push(match (owner, e) {
                (Some((o, value)), _) if o == i => Src::Constant(value.to_string()),
                (_, Some(_)) => {
                    computed += 1;
                    Src::Computed(computed - 1)
                }
                (_, None) => Src::Row(index(&c.0)?),
            });
        }
        let key = table
            .schema
            .primary_key
            .iter()
            .map(|k| index(k))
            .collect::<Result<Vec<_>, _>>()?;
        for c in &table.schema.columns {
            if CHANGE_COLUMNS.contains(&c.name.as_str()) {
                return Err(format!(
                    "{}: its column {} has the name of a change file's own column",
                    table.label(),
                    c.name
                ));
            }
        }
        Ok(TableChanges {
            table,
            from,
            key,
            rows: vec![],
            bytes: 0,
            out: Default::default(),
            written: 0,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Lets go of the changes held.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.bytes = 0;
    }

    /// Bytes of values held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Bytes of values of the batch under way: held, and written into its open files.
    pub fn batch_bytes(&self) -> usize {
        self.bytes + self.written
    }

    /// Adds a row: `row` as captured, `computed` the task's expressions' values for it (none
    /// for a delete's old row: its key is what a reader needs).
    fn push(
        &mut self,
        (op, commit_ms): (&'static str, i64),
        seq: &mut u64,
        row: &[Option<String>],
        computed: &[Option<String>],
    ) {
        *seq += 1;
        let values: Vec<Option<String>> = (self.from.iter())
            .map(|f| match f {
                Src::Row(i) => row.get(*i).cloned().flatten(),
                Src::Computed(i) => computed.get(*i).cloned().flatten(),
                Src::Constant(v) => Some(v.clone()),
            })
            .collect();
        self.bytes += values
            .iter()
            .map(|v| v.as_ref().map_or(1, String::len))
            .sum::<usize>()
            + 24;
        self.rows.push(ChangeRow {
            op,
            commit_ms,
            seq: *seq,
            values,
        });
    }

    /// Adds change `c` (committed at `commit_ms`), numbered on from `seq`.
    pub fn add(&mut self, c: &Change, commit_ms: i64, seq: &mut u64) -> Result<(), String> {
        let label = self.table.label().to_string();
        match c.op {
            Op::Insert => {
                let after = c
                    .after
                    .as_ref()
                    .ok_or_else(|| format!("{label}: an insert without its row"))?;
                if !c.unchanged.is_empty() {
                    return Err(untoasted(&label));
                }
                self.push(("I", commit_ms), seq, after, &c.computed);
            }
            Op::Delete => {
                let before = c
                    .before
                    .as_ref()
                    .ok_or_else(|| format!("{label}: a delete without its row"))?;
                self.push(("D", commit_ms), seq, before, &[]);
            }
            Op::Update => {
                let mut after = c
                    .after
                    .clone()
                    .ok_or_else(|| format!("{label}: an update without its row"))?;
                for &i in &c.unchanged {
                    match (&c.before, c.before_complete) {
                        (Some(b), true) => after[i] = b.get(i).cloned().flatten(),
                        _ => return Err(untoasted(&label)),
                    }
                }
                let moved = match &c.before {
                    Some(b) if !self.key.is_empty() => {
                        self.key.iter().any(|&k| b.get(k) != after.get(k))
                    }
                    _ => false,
                };
                if let (true, Some(b)) = (moved, &c.before) {
                    self.push(("D", commit_ms), seq, b, &[]);
                    self.push(("I", commit_ms), seq, &after, &c.computed);
                } else {
                    self.push(("U", commit_ms), seq, &after, &c.computed);
                }
            }
        }
        Ok(())
    }

    /// Writes the changes held into batch `batch`'s files of the table, the file under way
    /// left open for the next ones (a large transaction's changes go out as they come, in files
    /// of `file_mb` MiB); the buffer is emptied. An error gives up the batch's files.
    pub async fn append(
        &mut self,
        lake: &Lake,
        batch: u64,
        file_mb: u64,
        zero_dates_null: bool,
    ) -> Result<(), String> {
        let encoder = self.table.change_encoder(zero_dates_null);
        let schema = change_schema(encoder.schema());
        let mut out = self.files().take().unwrap_or_else(|| {
            LoadFiles::new(
                lake,
                self.table.dir.clone(),
                &format!("CDC{batch:08}-"),
                schema.clone(),
                file_mb,
            )
        });
        for part in self.rows.chunks(5_000) {
            let mut rows = Rows::new(self.from.len(), part.len());
            let mut op = StringBuilder::with_capacity(part.len(), part.len());
            let mut ts =
                TimestampMicrosecondBuilder::with_capacity(part.len()).with_timezone("UTC");
            let mut seq = UInt64Builder::with_capacity(part.len());
            for r in part {
                for v in &r.values {
                    rows.push(v.as_deref());
                }
                op.append_value(r.op);
                ts.append_value(r.commit_ms.saturating_mul(1000));
                seq.append_value(r.seq);
            }
            let written = async {
                let encoded = encoder.encode(&rows, &mut Fixed::default())?;
                let mut columns: Vec<ArrayRef> = vec![
                    Arc::new(op.finish()),
                    Arc::new(ts.finish().with_timezone("UTC")),
                    Arc::new(seq.finish()),
                ];
                columns.extend(encoded.columns().iter().cloned());
                let batch =
                    RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())?;
                out.write(&batch).await
            };
            if let Err(e) = written.await {
                out.abort().await;
                return Err(e);
            }
        }
        *self.files() = Some(out);
        self.rows.clear();
        self.written += self.bytes;
        self.bytes = 0;
        Ok(())
    }

    /// The files of the batch under way.
    fn files(&mut self) -> &mut Option<LoadFiles> {
        self.out
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Completes the batch's files (written by [`append`](Self::append)); their names.
    pub async fn finish_batch(&mut self) -> Result<Vec<String>, String> {
        self.written = 0;
        match self.files().take() {
            Some(out) => Ok(out.finish().await?.0),
            None => Ok(vec![]),
        }
    }

    /// Gives up the batch's files: the one under way never becomes visible, those completed
    /// are deleted.
    pub async fn abort(&mut self) {
        self.written = 0;
        if let Some(out) = self.files().take() {
            out.abort().await;
        }
    }
}

/// Why a change of `label` cannot be written: it did not carry the value of a column the
/// update left as it was.
fn untoasted(label: &str) -> String {
    format!(
        "{label}: an update did not carry the value of a column it left as it was (PostgreSQL's unchanged TOAST values): set REPLICA IDENTITY FULL on the table"
    )
}

/// The schema of a table's change files: `Op`, `_commit_ts`, `_seq`, then `table`'s columns.
pub fn change_schema(table: &Schema) -> Arc<Schema> {
    let mut fields = vec![
        Field::new(CHANGE_COLUMNS[0], DataType::Utf8, false),
        Field::new(
            CHANGE_COLUMNS[1],
            DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC"))),
            false,
        ),
        Field::new(CHANGE_COLUMNS[2], DataType::UInt64, false),
    ];
    fields.extend(table.fields().iter().map(|f| f.as_ref().clone()));
    Arc::new(Schema::new(fields))
}
