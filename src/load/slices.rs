//! Reads a text export (CSV, NDJSON) a slice of whole records at a time, with plain reads.
//!
//! polars' own scan of a local file maps the whole file into memory, and every page it has
//! read stays resident until the scan ends: at ten million CSV mappings that was 1.1 GiB of
//! the build's peak on top of the values read. Here the file is read in slices of about
//! [`SLICE_BYTES`], each cut after the last record that ends in it, and each slice is
//! handed to polars as a buffer of its own (the CSV header in front), so only one slice of
//! text is held at a time; the file's pages stay in the page cache, which is not the
//! process's memory.
//!
//! A CSV record ends at a line break outside quotes: a quote opens or closes a field and a
//! doubled quote inside one counts twice, so a line break ends a record when the quotes
//! before it, counted from the slice's start (always a record's start), are even. JSON
//! lines hold no raw line break inside a value.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use polars::prelude::*;

/// How much of a file one slice reads. Large enough that each slice keeps both cores busy
/// in polars' reader, small enough to be a rounding error of the peak.
pub const SLICE_BYTES: usize = 64 << 20;

/// The slices of one text file, each whole records (a CSV slice with the header first).
pub struct Slices {
    file: File,
    csv: bool,
    header: Vec<u8>,
    /// Read but not yet handed out: the start of a record cut by the last read.
    carry: Vec<u8>,
    size: usize,
    done: bool,
}

impl Slices {
    pub fn open(path: &Path, csv: bool, size: usize) -> io::Result<Self> {
        let mut slices = Slices {
            file: File::open(path)?,
            csv,
            header: Vec::new(),
            carry: Vec::new(),
            size,
            done: false,
        };
        if csv {
            // The header is the first record, however long.
            loop {
                let more = slices.read_more()?;
                if let Some(end) = first_record_end(&slices.carry) {
                    slices.header = slices.carry.drain(..end).collect();
                    break;
                }
                if !more {
                    slices.header = std::mem::take(&mut slices.carry);
                    slices.done = true;
                    break;
                }
            }
        }
        Ok(slices)
    }

    /// Appends up to `size` bytes of the file to `carry`; false at the end of the file.
    fn read_more(&mut self) -> io::Result<bool> {
        let start = self.carry.len();
        self.carry.resize(start + self.size, 0);
        let mut filled = start;
        while filled < self.carry.len() {
            match self.file.read(&mut self.carry[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.carry.truncate(filled);
                    return Err(e);
                }
            }
        }
        let more = filled == self.carry.len();
        self.carry.truncate(filled);
        Ok(more)
    }

    /// The next slice: the header (CSV) and the whole records read so far.
    fn next_slice(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        loop {
            let more = self.read_more()?;
            let end = match more {
                true => last_record_end(&self.carry, self.csv),
                false => Some(self.carry.len()),
            };
            // A record longer than what is read so far: read on.
            let Some(end) = end else { continue };
            self.done = !more;
            if end == 0 {
                return Ok(None);
            }
            let mut slice = Vec::with_capacity(self.header.len() + end);
            slice.extend_from_slice(&self.header);
            slice.extend_from_slice(&self.carry[..end]);
            self.carry.drain(..end);
            return Ok(Some(slice));
        }
    }
}

impl Iterator for Slices {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_slice().transpose()
    }
}

/// Where the first CSV record of `bytes` ends (just past its line break), if it does.
fn first_record_end(bytes: &[u8]) -> Option<usize> {
    let mut quotes = 0usize;
    let mut from = 0;
    for at in memchr::memchr_iter(b'\n', bytes) {
        quotes += memchr::memchr_iter(b'"', &bytes[from..at]).count();
        if quotes % 2 == 0 {
            return Some(at + 1);
        }
        from = at;
    }
    None
}

/// Where the last record that ends in `bytes` ends (just past its line break), if any does.
fn last_record_end(bytes: &[u8], csv: bool) -> Option<usize> {
    let mut at = memchr::memrchr(b'\n', bytes)?;
    if !csv {
        return Some(at + 1);
    }
    // The quotes before each line break, walking back from the last one.
    let mut quotes = memchr::memchr_iter(b'"', &bytes[..at]).count();
    loop {
        if quotes % 2 == 0 {
            return Some(at + 1);
        }
        let before = memchr::memrchr(b'\n', &bytes[..at])?;
        quotes -= memchr::memchr_iter(b'"', &bytes[before..at]).count();
        at = before;
    }
}

/// A lazy scan of one slice with the file's `schema` (so every slice reads the same types).
pub fn scan_slice(slice: Vec<u8>, csv: bool, schema: SchemaRef) -> PolarsResult<LazyFrame> {
    let sources = ScanSources::Buffers(Arc::from([polars_buffer::Buffer::from_vec(slice)]));
    match csv {
        true => LazyCsvReader::new_with_sources(sources)
            .with_has_header(true)
            .with_schema(Some(schema))
            .finish(),
        false => LazyJsonLineReader::new_with_sources(sources)
            .with_schema(Some(schema))
            .finish(),
    }
}

/// Runs `select` (which sees the file's 1-based row number as `row_col`) over every slice of
/// a text file and stacks the results; `keep` then drops the rows of each slice not wanted,
/// so a pass that keeps a few rows holds only those.
pub fn read_text(
    path: &Path,
    csv: bool,
    schema: SchemaRef,
    row_col: &str,
    select: &[Expr],
    keep: Option<Expr>,
) -> PolarsResult<DataFrame> {
    let mut frames = Vec::new();
    let mut rows: IdxSize = 0;
    for slice in Slices::open(path, csv, SLICE_BYTES)? {
        let mut read = scan_slice(slice?, csv, schema.clone())?
            .with_row_index(row_col, Some(rows + 1))
            .select(select)
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single();
        // polars' reader hands a slice back in many small chunks; joined here, while small,
        // the file's frame is a few chunks that the load joins once (0.2 GiB less peak at
        // ten million CSV mappings than joining them all there).
        read.rechunk_mut();
        rows += read.height() as IdxSize;
        frames.push(match &keep {
            Some(keep) => read.lazy().filter(keep.clone()).collect()?,
            None => read,
        });
    }
    match frames.len() {
        0 => scan_slice(Vec::new(), csv, schema)?
            .with_row_index(row_col, Some(1))
            .select(select)
            .collect(),
        1 => Ok(frames.pop().unwrap_or_default()),
        _ => {
            let mut frames = frames.into_iter();
            let mut all = frames.next().unwrap_or_default();
            for frame in frames {
                all.vstack_mut_owned(frame)?;
            }
            Ok(all)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn slices_of(text: &str, csv: bool, size: usize) -> Vec<String> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        Slices::open(file.path(), csv, size)
            .unwrap()
            .map(|s| String::from_utf8(s.unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn csv_slices_end_at_records_and_repeat_the_header() {
        let text = "a,b\n1,\"x\ny\"\n2,\"say \"\"hi\"\"\"\n3,z";
        for size in 1..=text.len() + 1 {
            let slices = slices_of(text, true, size);
            let body: String = slices.iter().map(|s| &s[4..]).collect();
            assert_eq!(body, &text[4..], "size {size}");
            for slice in &slices {
                assert!(slice.starts_with("a,b\n"), "size {size}: {slice:?}");
                // Every slice holds whole records: its quotes pair up.
                assert_eq!(slice.matches('"').count() % 2, 0, "size {size}: {slice:?}");
            }
        }
    }

    #[test]
    fn a_header_only_file_has_no_slices() {
        assert!(slices_of("a,b\n", true, 2).is_empty());
        assert!(slices_of("a,b", true, 2).is_empty());
        assert!(slices_of("", false, 2).is_empty());
    }

    #[test]
    fn json_lines_slices_end_at_line_breaks() {
        let text = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";
        let slices = slices_of(text, false, 10);
        assert_eq!(slices.concat(), text);
        assert!(slices.iter().all(|s| s.ends_with('\n')));
        assert!(slices.len() > 1);
    }

    #[test]
    fn rows_are_numbered_across_slices() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let mut text = String::from("id,v\n");
        for i in 1..=5000 {
            text.push_str(&format!("{i},\"line\n{i}\"\n"));
        }
        file.write_all(text.as_bytes()).unwrap();
        let schema: SchemaRef = Arc::new(Schema::from_iter([
            Field::new("id".into(), DataType::String),
            Field::new("v".into(), DataType::String),
        ]));
        let mut rows = Vec::new();
        for slice in Slices::open(file.path(), true, 4096).unwrap() {
            let read = scan_slice(slice.unwrap(), true, schema.clone())
                .unwrap()
                .collect()
                .unwrap();
            rows.push(read.height());
        }
        assert!(rows.len() > 10);
        assert_eq!(rows.iter().sum::<usize>(), 5000);
    }
}
