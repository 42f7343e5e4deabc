//! Batches of text columns into files of the data folder: each batch becomes one polars
//! frame (all columns text; the loader types them) and is appended to a Parquet or CSV
//! file that is open for the whole result, so a table of any size passes through in
//! bounded memory.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::db::Columns;
use super::CollectError;
use crate::output::Staging;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv,
}

enum Writer {
    Parquet(Box<polars::io::parquet::write::BatchedWriter<File>>),
    Csv(polars::io::csv::write::BatchedWriter<File>),
}

/// One output file being written batch by batch.
pub struct TableFile {
    relative: PathBuf,
    format: Format,
    writer: Option<Writer>,
    pub rows: u64,
}

impl TableFile {
    pub fn new(relative: impl Into<PathBuf>, format: Format) -> TableFile {
        TableFile {
            relative: relative.into(),
            format,
            writer: None,
            rows: 0,
        }
    }

    pub fn relative(&self) -> &Path {
        &self.relative
    }

    /// Appends one batch; the first creates the file with the batch's column names.
    pub fn write(
        &mut self,
        staging: &Staging,
        header: &[String],
        columns: Columns,
    ) -> Result<(), CollectError> {
        // A query giving a column twice (`SELECT *, modern_id`) is no table: said as the
        // query's, where polars' refusal ("duplicate: could not create a new DataFrame")
        // named no query (found by an independent check). The file names the query.
        let mut seen = std::collections::BTreeSet::new();
        if let Some(name) = header.iter().find(|name| !seen.insert(name.as_str())) {
            return Err(CollectError::Write {
                path: self.relative.clone(),
                message: format!(
                    "the query that writes it gives the column `{name}` twice: name each \
                     column once (`AS other_name`)"
                ),
            });
        }
        let frame = frame(header, columns).map_err(|e| self.error(e))?;
        if self.writer.is_none() {
            let file = staging.create(&self.relative)?;
            let schema = frame.schema();
            let writer = match self.format {
                Format::Parquet => Writer::Parquet(Box::new(
                    ParquetWriter::new(file)
                        .with_compression(ParquetCompression::Zstd(None))
                        .batched(schema)
                        .map_err(|e| self.error(e))?,
                )),
                Format::Csv => Writer::Csv(
                    CsvWriter::new(file)
                        .include_header(true)
                        .batched(schema)
                        .map_err(|e| self.error(e))?,
                ),
            };
            self.writer = Some(writer);
        }
        self.rows += frame.height() as u64;
        let result = match self.writer.as_mut().expect("created above") {
            Writer::Parquet(w) => w.write_batch(&frame),
            Writer::Csv(w) => w.write_batch(&frame),
        };
        result.map_err(|e| self.error(e))
    }

    /// Closes the file (Parquet writes its footer here).
    pub fn finish(mut self) -> Result<u64, CollectError> {
        let result = match self.writer.take() {
            Some(Writer::Parquet(w)) => w.finish().map(|_| ()),
            Some(Writer::Csv(mut w)) => w.finish(),
            None => Ok(()),
        };
        result.map_err(|e| self.error(e))?;
        Ok(self.rows)
    }

    fn error(&self, e: PolarsError) -> CollectError {
        CollectError::Write {
            path: self.relative.clone(),
            message: e.to_string(),
        }
    }
}

/// One batch as a frame of text columns.
pub fn frame(header: &[String], columns: Columns) -> PolarsResult<DataFrame> {
    let columns: Vec<Column> = header
        .iter()
        .zip(columns)
        .map(|(name, values)| Column::new(name.as_str().into(), values))
        .collect();
    DataFrame::new_infer_height(columns)
}
