//! Mapping columns set aside on disk while a step that never reads them runs. Missing data
//! reads every mapping's legacy id, type and table, never its modern id, whose halves are
//! 16 bytes a mapping (1.35 GiB at 100M realistic records): beside a large table's ids
//! read again, they made missing data the build's peak. Above a size they are written to
//! an uncompressed Arrow IPC file in the temporary folder, dropped, and read back whole
//! once the step is done, the same values in the same columns.

use std::path::PathBuf;

use polars::prelude::*;

/// Columns taken out of a frame, on disk until [`SetAside::restore`].
pub struct SetAside {
    /// The folder and file (`None`: nothing was set aside).
    file: Option<(tempfile::TempDir, PathBuf)>,
    /// The frame's columns in their order, to put the restored ones back in place.
    order: Vec<PlSmallStr>,
}

const PREFIX: &str = "migcov-set-aside-";

/// Rows written a batch at a time.
const BATCH_ROWS: usize = 1 << 20;

/// Starts the message of an error of the temporary folder (a full disk, a missing
/// `TMPDIR`), so that it is told from an error in the inputs.
const TEMPORARY: &str = "memory-saving could not use its temporary folder";

fn temporary(path: &std::path::Path, error: impl std::fmt::Display) -> PolarsError {
    PolarsError::ComputeError(format!("{TEMPORARY} {}: {error}", path.display()).into())
}

impl SetAside {
    /// Takes the columns `names` (those `frame` has, of numbers or booleans) out of `frame`
    /// into a file when they hold more than `above` bytes; otherwise sets nothing aside.
    pub fn take(frame: &mut DataFrame, names: &[String], above: u64) -> PolarsResult<SetAside> {
        Self::take_in(&std::env::temp_dir(), frame, names, above)
    }

    /// [`SetAside::take`], into a folder made in `temp`.
    fn take_in(
        temp: &std::path::Path,
        frame: &mut DataFrame,
        names: &[String],
        above: u64,
    ) -> PolarsResult<SetAside> {
        let order = frame.get_column_names_owned();
        // Columns of numbers or booleans: written and read back as they are held.
        let plain = |c: &Column| c.dtype().is_primitive_numeric() || c.dtype().is_bool();
        let names: Vec<&String> = names
            .iter()
            .filter(|n| frame.column(n.as_str()).is_ok_and(plain))
            .collect();
        let bytes: u64 = names
            .iter()
            .filter_map(|n| frame.column(n.as_str()).ok())
            .map(|c| match c {
                Column::Scalar(_) => 0,
                c => c.as_materialized_series().estimated_size() as u64,
            })
            .sum();
        if names.is_empty() || bytes <= above {
            return Ok(SetAside { file: None, order });
        }
        crate::output::remove_abandoned(temp, PREFIX);
        // A folder that cannot be written (a full disk, no `TMPDIR`) leaves the columns in
        // memory: the build goes on, as it did before they were ever set aside.
        let in_memory = |order| Ok(SetAside { file: None, order });
        // The pid in the name lets a later build tell the folder of one that was killed
        // (no drop runs then) from one still in use.
        let Ok(dir) = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .tempdir_in(temp)
        else {
            return in_memory(order);
        };
        let path = dir.path().join("columns.arrow");
        let mut taken = frame.select(names.iter().map(|n| n.as_str()))?;
        // Each batch is written a chunk at a time, all columns cut at the same rows (the
        // load leaves one chunk a column, so this copies nothing).
        taken.align_chunks();
        // A slice of rows a batch: the writer encodes a batch in memory before writing
        // it, and one batch of every row held the columns twice (5.8 GiB at 100M).
        let write = || -> PolarsResult<()> {
            let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
            // Numbers and booleans only: no field has a dictionary or children.
            let fields = (0..taken.width())
                .map(|_| polars_arrow::io::ipc::IpcField {
                    fields: Vec::new(),
                    dictionary_id: None,
                })
                .collect();
            let mut writer = IpcWriter::new(&mut file).batched(taken.schema(), fields)?;
            for offset in (0..taken.height()).step_by(BATCH_ROWS) {
                writer.write_batch(&taken.slice(offset as i64, BATCH_ROWS))?;
            }
            writer.finish()?;
            drop(writer);
            // Flushed here, so a disk that fills up is told now, not lost in a drop.
            std::io::Write::flush(&mut file)?;
            Ok(())
        };
        if write().is_err() {
            return in_memory(order);
        }
        drop(taken);
        for name in names {
            drop(frame.drop_in_place(name)?);
        }
        crate::memory::release_freed_memory();
        Ok(SetAside {
            file: Some((dir, path)),
            order,
        })
    }

    /// Whether anything was set aside.
    pub fn is_set_aside(&self) -> bool {
        self.file.is_some()
    }

    /// Puts the columns back into `frame`, in their places; the file is removed.
    pub fn restore(self, frame: &mut DataFrame) -> PolarsResult<()> {
        let Some((dir, path)) = self.file else {
            return Ok(());
        };
        // Batch by batch, joined below a column at a time: polars' rechunk of the whole
        // frame held it twice (4.9 GiB at 100M).
        let read = || -> PolarsResult<DataFrame> {
            IpcReader::new(std::fs::File::open(&path)?)
                .set_rechunk(false)
                .finish()
        };
        let restored = read().map_err(|e| temporary(&path, e))?;
        drop(dir);
        // One chunk a column again, as loading left them, each batch freed as copied.
        for column in restored.into_columns() {
            frame.with_column(crate::load::tables::one_chunk(column)?)?;
        }
        *frame = frame.select(self.order)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns set aside come back the same, in their places, nulls and chunks alike;
    /// under the size given nothing is written.
    #[test]
    fn columns_set_aside_come_back_the_same() {
        // Past one batch of rows, so the file holds several.
        let n = BATCH_ROWS + 3;
        let mut frame = df!(
            "a" => (0..n).map(|i| (i % 5 != 0).then_some(i as u64 * 7919)).collect::<Vec<_>>(),
            "b" => (0..n).map(|i| i as u32).collect::<Vec<_>>(),
            "c" => (0..n).map(|i| (i % 3 != 0).then_some(i % 2 == 0)).collect::<Vec<_>>(),
            "t" => (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>(),
        )
        .unwrap();
        let before = frame.clone();
        // Text stays (only numbers and booleans are set aside), an absent name is no matter.
        let names = ["a", "c", "t", "absent"].map(String::from);
        let kept = SetAside::take(&mut frame, &names, u64::MAX).unwrap();
        assert!(!kept.is_set_aside());
        assert_eq!(frame.width(), 4);
        let aside = SetAside::take(&mut frame, &names, 0).unwrap();
        assert!(aside.is_set_aside());
        assert_eq!(frame.get_column_names_owned(), ["b", "t"]);
        aside.restore(&mut frame).unwrap();
        assert!(frame.equals_missing(&before), "{frame}");
        assert_eq!(frame.get_column_names(), before.get_column_names());
        assert!(frame.columns().iter().all(|c| c.n_chunks() == 1));
        // A temporary folder that cannot be written leaves every column where it is.
        let nowhere = std::path::Path::new("/nonexistent/migcov-set-aside-test");
        let kept = SetAside::take_in(nowhere, &mut frame, &names, 0).unwrap();
        assert!(!kept.is_set_aside());
        assert!(frame.equals_missing(&before));
    }

    /// Columns cut into chunks at different rows are written and read back the same (a
    /// batch is written a chunk at a time, every column cut alike; found by an independent
    /// review).
    #[test]
    fn columns_chunked_apart_come_back_the_same() {
        let mut a = Column::new("a".into(), &[Some(1u64), None]);
        a.append(&Column::new("a".into(), &[Some(3u64)])).unwrap();
        let c = Column::new("c".into(), &[Some(true), None, Some(false)]);
        assert_ne!(a.n_chunks(), c.n_chunks());
        let mut frame = DataFrame::new(3, vec![a, c]).unwrap();
        let before = frame.clone();
        let names = ["a", "c"].map(String::from);
        let aside = SetAside::take(&mut frame, &names, 0).unwrap();
        assert!(aside.is_set_aside());
        aside.restore(&mut frame).unwrap();
        assert!(frame.equals_missing(&before), "{frame}");
    }
}
