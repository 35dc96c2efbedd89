//! The Parquet files of one table's load (`LOAD00000001.parquet`, `LOAD00000002.parquet`...,
//! DMS's names) or of one batch of its changes (`CDC00000007-00000001.parquet`), a new file once one reaches the task's file size, each one visible only once
//! it is complete (the object store writes it aside and renames it, or completes its
//! upload); and reading a table's files back (their row count, their rows' checksum).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use arrow_array::RecordBatch;
use futures_util::TryStreamExt;
use object_store::buffered::{BufReader, BufWriter};
use object_store::path::Path;
use parquet::arrow::AsyncArrowWriter;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::Lake;
use super::encode::RowSum;

/// A row group is written out once it holds this many bytes (the writer's memory).
const ROW_GROUP_BYTES: usize = 4 << 20;

/// A file is uploaded in parts of this size (S3's smallest), two at a time: a writer holds
/// about three of them (a table's parts each have a writer).
const UPLOAD_PART_BYTES: usize = 5 << 20;

/// The writer of a table's load files.
pub struct LoadFiles {
    lake: Lake,
    dir: Path,
    schema: Arc<arrow_schema::Schema>,
    file_bytes: usize,
    /// Files are named `<prefix>00000001.parquet`...
    prefix: String,
    /// The last number given to a file: shared by the writers of one table's parts.
    numbered: Arc<AtomicU32>,
    /// The file being written, and its name.
    current: Option<(String, AsyncArrowWriter<BufWriter>)>,
    /// The files completed, by name.
    pub names: Vec<String>,
    /// The bytes of the files completed.
    pub bytes: u64,
}

fn props() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_created_by(format!("Tugboat {}", env!("CARGO_PKG_VERSION")))
        .build()
}

fn failed(lake: &Lake, what: String, e: impl std::fmt::Display) -> String {
    format!("{}: {what}: {e}", lake.label())
}

impl LoadFiles {
    /// The writer of files `<prefix>00000001.parquet`... of `dir`, of about `file_mb` MiB each.
    pub fn new(
        lake: &Lake,
        dir: Path,
        prefix: &str,
        schema: Arc<arrow_schema::Schema>,
        file_mb: u64,
    ) -> LoadFiles {
        LoadFiles {
            lake: lake.clone(),
            dir,
            schema,
            prefix: prefix.to_string(),
            file_bytes: (file_mb.max(1) << 20) as usize,
            numbered: Default::default(),
            current: None,
            names: vec![],
            bytes: 0,
        }
    }

    /// Files numbered after `numbered` (the last number taken), shared with other writers of
    /// the same folder and prefix: a table loaded in parts side by side.
    pub fn numbered_by(mut self, numbered: Arc<AtomicU32>) -> LoadFiles {
        self.numbered = numbered;
        self
    }

    /// Writes `batch`; a file that reached its size is completed.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let (_, w) = match &mut self.current {
            Some(w) => w,
            None => {
                let n = self.numbered.fetch_add(1, Ordering::Relaxed) + 1;
                let name = format!("{}{n:08}.parquet", self.prefix);
                let path = self.dir.clone().join(name.as_str());
                // Parts in flight bound the memory an upload takes.
                let out = BufWriter::with_capacity(self.lake.store(), path, UPLOAD_PART_BYTES)
                    .with_max_concurrency(2);
                let w = AsyncArrowWriter::try_new(out, self.schema.clone(), Some(props()))
                    .map_err(|e| failed(&self.lake, "starting a Parquet file".into(), e))?;
                self.current.insert((name, w))
            }
        };
        w.write(batch)
            .await
            .map_err(|e| failed(&self.lake, format!("writing {}", self.dir), e))?;
        if w.bytes_written() + w.in_progress_size() >= self.file_bytes {
            self.complete().await?;
        }
        Ok(())
    }

    /// Completes the file being written, if any.
    async fn complete(&mut self) -> Result<(), String> {
        let Some((name, w)) = self.current.take() else {
            return Ok(());
        };
        let what = format!("completing {}/{name}", self.dir);
        let mut w = w;
        // Completes the upload too: the file becomes visible, whole.
        w.finish().await.map_err(|e| failed(&self.lake, what, e))?;
        self.bytes += w.bytes_written() as u64;
        self.names.push(name);
        Ok(())
    }

    /// Completes the last file; the files' names.
    pub async fn finish(mut self) -> Result<(Vec<String>, u64), String> {
        self.complete().await?;
        Ok((self.names, self.bytes))
    }

    /// Gives up what was written: the file being written never becomes visible, those
    /// completed are deleted (a reader sees none of them for long; a run started again deletes
    /// any left).
    pub async fn abort(mut self) {
        if let Some((_, w)) = self.current.take() {
            let mut upload = w.into_inner();
            crate::error::logged(
                "abandoning an unfinished Parquet file",
                upload.abort().await.map_err(|e| e.to_string()),
            );
        }
        for name in &self.names {
            let path = self.dir.clone().join(name.as_str());
            crate::error::logged(
                "deleting a Parquet file of a write given up",
                self.lake.delete(&path).await.map_err(|e| e.to_string()),
            );
        }
    }
}

/// The Parquet files of `dir` (not the schema file, nor anything else there), by name.
pub async fn parquet_files(
    lake: &Lake,
    dir: &Path,
) -> crate::error::Result<Vec<object_store::ObjectMeta>> {
    Ok(lake
        .list(dir)
        .await?
        .into_iter()
        .filter(|o| {
            o.location
                .filename()
                .is_some_and(|f| f.ends_with(".parquet"))
        })
        .collect())
}

/// The rows of the Parquet files of `dir` as their footers count them.
pub async fn count(lake: &Lake, dir: &Path) -> Result<i64, String> {
    let mut rows = 0;
    for f in parquet_files(lake, dir).await.map_err(|e| e.to_string())? {
        let reader = BufReader::new(lake.store(), &f);
        let b = ParquetRecordBatchStreamBuilder::new(reader)
            .await
            .map_err(|e| failed(lake, format!("reading {}", f.location), e))?;
        rows += b.metadata().file_metadata().num_rows();
    }
    Ok(rows)
}

/// The checksum of every row of the Parquet files of `dir`, read back.
pub async fn checksum(lake: &Lake, dir: &Path) -> Result<RowSum, String> {
    let mut sum = RowSum::default();
    for f in parquet_files(lake, dir).await.map_err(|e| e.to_string())? {
        let what = format!("reading {}", f.location);
        let reader = BufReader::new(lake.store(), &f);
        let mut stream = ParquetRecordBatchStreamBuilder::new(reader)
            .await
            .and_then(|b| b.build())
            .map_err(|e| failed(lake, what.clone(), e))?;
        while let Some(batch) = stream
            .try_next()
            .await
            .map_err(|e| failed(lake, what.clone(), e))?
        {
            sum.add(&batch)?;
        }
    }
    Ok(sum)
}
