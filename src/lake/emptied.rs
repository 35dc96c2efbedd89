//! A table emptied on the source (TRUNCATE) as a lake keeps it: a `D` change for every row the
//! lake holds of it (its load's files with the changes applied by key, read as
//! [`super::verify`] reads them), written as change files of their own batch, so that applying
//! the changes by key in `_seq` order gives the empty table, which DMS's layout has no other
//! way to say. Read from the lake as it is: done again after a kill, it finds those rows
//! deleted already and writes nothing.

use std::sync::Arc;

use arrow_array::builder::{StringBuilder, TimestampMicrosecondBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch, UInt32Array, new_null_array};
use arrow_schema::SchemaRef;
use object_store::ObjectMeta;

use super::Lake;
use super::files::LoadFiles;
use super::plan::LakeTable;
use super::verify::{self, Shape};

/// Writes the deletes of every row of `t` the lake holds as batch `batch`'s files
/// (`CDC<batch>-T<n>.parquet`), committed at `commit_ms`, numbered on from `seq`; how many.
/// None when `t` has no key to delete by (no primary key, or one the task does not map).
pub async fn write_deletes(
    lake: &Lake,
    t: &LakeTable,
    batch: u64,
    file_mb: u64,
    commit_ms: i64,
    seq: &mut u64,
) -> Result<Option<u64>, String> {
    let Some(shape) = verify::shape(t) else {
        return Ok(None);
    };
    let (loads, changes) = verify::files_of(lake, t, Some(batch - 1)).await?;
    let schema = super::changes::change_schema(&shape.fields);
    let mut out = LoadFiles::new(
        lake,
        t.dir.clone(),
        &format!("CDC{batch:08}-T"),
        schema.clone(),
        file_mb,
    );
    let d = Deletes {
        shape: &shape,
        schema,
        commit_us: commit_ms.saturating_mul(1000),
    };
    let deleted = deletes(lake, &loads, &changes, &shape, &d, &mut out, seq).await;
    match deleted {
        Ok(n) => {
            out.finish().await?;
            Ok(Some(n))
        }
        Err(e) => {
            // Nothing of the batch becomes visible.
            out.abort().await;
            Err(e)
        }
    }
}

/// Writes into `out` a delete of each row the lake holds: the load's rows whose key has no
/// change, then each key's last change but a delete; how many.
async fn deletes(
    lake: &Lake,
    loads: &[ObjectMeta],
    changes: &[ObjectMeta],
    shape: &Shape,
    d: &Deletes<'_>,
    out: &mut LoadFiles,
    seq: &mut u64,
) -> Result<u64, String> {
    let latest = verify::latest_changes(lake, changes, shape).await?;
    let mut written = 0;
    let mut held: Vec<RecordBatch> = vec![];
    for (f, is_change) in loads
        .iter()
        .map(|f| (f, false))
        .chain(changes.iter().map(|f| (f, true)))
    {
        let mut delete = |rows: &RecordBatch, _: &verify::Hashed, current: Vec<usize>| {
            if !current.is_empty() {
                held.push(d.of(rows, &current, seq)?);
            }
            Ok(())
        };
        verify::current_in(lake, f, is_change, &latest, shape, false, &mut delete).await?;
        // (A file's deletes at a time: the table's are not held whole.)
        for b in held.drain(..) {
            written += b.num_rows() as u64;
            out.write(&b).await?;
        }
    }
    Ok(written)
}

/// Builds the change rows that delete rows of a table's files.
struct Deletes<'a> {
    shape: &'a Shape,
    schema: SchemaRef,
    commit_us: i64,
}

impl Deletes<'_> {
    /// `D` rows for rows `present` of `rows` (the table's columns): their key, NULL elsewhere.
    fn of(
        &self,
        rows: &RecordBatch,
        present: &[usize],
        seq: &mut u64,
    ) -> Result<RecordBatch, String> {
        let n = present.len();
        let at = UInt32Array::from_iter_values(present.iter().map(|&i| i as u32));
        let mut op = StringBuilder::with_capacity(n, n);
        let mut ts = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
        let mut seqs = UInt64Builder::with_capacity(n);
        for _ in 0..n {
            *seq += 1;
            op.append_value("D");
            ts.append_value(self.commit_us);
            seqs.append_value(*seq);
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(op.finish()),
            Arc::new(ts.finish()),
            Arc::new(seqs.finish()),
        ];
        for (c, field) in self.shape.fields.fields().iter().enumerate() {
            columns.push(if self.shape.key.contains(&c) {
                arrow_select::take::take(rows.column(c), &at, None).map_err(|e| e.to_string())?
            } else {
                new_null_array(field.data_type(), n)
            });
        }
        RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| e.to_string())
    }
}
