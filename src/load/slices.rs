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
//! lines hold no raw line break inside a value. (A stray quote inside an unquoted field
//! throws the count off as it does polars' own splitting of a file between its threads:
//! such a file is refused unless its stray quotes pair up before a line break, see
//! [`unpaired_stray_quote`].)

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use polars::prelude::*;

/// UTF-8's byte order mark, which some editors write first: no JSON line starts with it,
/// so a JSON lines file's is read past (polars' CSV reader skips a CSV file's itself).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How much of a file one slice reads. Large enough that its pieces keep both cores busy,
/// small enough to be a rounding error of the peak: a CSV slice's pieces are all held
/// parsed before its rows are converted, and with slices of 64 MiB the 1M CSV mappings
/// build peaked at 455 MiB against 223 MiB (the 10M builds as fast and as large).
pub const SLICE_BYTES: usize = 16 << 20;

/// The slices of one text file, each whole records (a CSV slice with the header first).
pub struct Slices {
    file: File,
    csv: bool,
    header: Vec<u8>,
    /// Read but not yet handed out: the start of a record cut by the last read.
    carry: Vec<u8>,
    size: usize,
    /// Bytes of the file not read yet, as its length said on opening.
    left: u64,
    done: bool,
}

impl Slices {
    pub fn open(path: &Path, csv: bool, size: usize) -> io::Result<Self> {
        let file = File::open(path)?;
        let left = file.metadata()?.len();
        let mut slices = Slices {
            file,
            left,
            csv,
            header: Vec::new(),
            carry: Vec::new(),
            size,
            done: false,
        };
        if !csv {
            // At least the mark's length: a first read shorter than it left a mark whole
            // in front of the first line (found by an independent check).
            slices.read_more(size.max(BOM.len()))?;
            if slices.carry.starts_with(BOM) {
                slices.carry.drain(..BOM.len());
            }
        }
        if csv {
            // The header is the first record, however long. Each read that ends inside it
            // reads twice as much next: the quotes are counted from its start again, so
            // reads of one size would count a long record's quotes again and again (a
            // value of 18 MiB of line breaks did not finish in 300 s with slices of 1,000
            // bytes; found by an independent check).
            let mut want = size;
            loop {
                let more = slices.read_more(want)?;
                want = want.saturating_mul(2);
                // Blank lines before it are skipped, as polars' reader skips them (found by
                // an independent check: the blank line was taken for the header, and the
                // header read as a row).
                let at = if slices.carry.starts_with(BOM) {
                    BOM.len()
                } else {
                    0
                };
                let blank = slices.carry[at..]
                    .iter()
                    .take_while(|&&b| b == b'\n' || b == b'\r')
                    .count();
                slices.carry.drain(at..at + blank);
                if let Some(end) = first_record_end(&slices.carry) {
                    // `carry` keeps the header in front of what follows it.
                    slices.header = slices.carry[..end].to_vec();
                    break;
                }
                if !more {
                    slices.header = slices.carry.clone();
                    slices.done = true;
                    break;
                }
            }
            // A stray quote in the header (`no"te`) made the header, counted by quotes,
            // run on to its partner or to the file's end, and the rows on the way were
            // never read, with no error (found by an independent check).
            if unpaired_stray_quote(&slices.header).is_some() {
                return Err(io::Error::other(
                    "CSV malformed in the header: a quote inside a name that does not start \
                     with one (write it doubled, in a quoted name) leaves where the header \
                     ends unknowable",
                ));
            }
        }
        Ok(slices)
    }

    /// Appends up to `size` bytes of the file to `carry`; false at the end of the file.
    fn read_more(&mut self, size: usize) -> io::Result<bool> {
        // Room for what is left of the file, at most `size`: a small file never takes a
        // whole slice's buffer.
        let left = self.left.min(size as u64) as usize;
        // (Amortised: a record longer than a slice grows `carry` by doubling.)
        self.carry.reserve(left);
        let read = (&mut self.file)
            .take(size as u64)
            .read_to_end(&mut self.carry)?;
        self.left = self.left.saturating_sub(read as u64);
        Ok(read == size)
    }

    /// The next slice: the header (CSV) and the whole records read so far. `carry` starts
    /// with the header, so the slice is `carry` itself, never a copy of it.
    fn next_slice(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        let start = self.header.len();
        // A record longer than a slice: each read reads twice as much as the one before
        // (as for the header).
        let mut want = self.size;
        loop {
            let more = self.read_more(want)?;
            want = want.saturating_mul(2);
            let read = &self.carry[start..];
            let end = match more {
                true => last_record_end(read, self.csv),
                false => Some(read.len()),
            };
            // A record longer than what is read so far: read on.
            let Some(end) = end else { continue };
            self.done = !more;
            if end == 0 {
                return Ok(None);
            }
            let rest = self.carry.split_off(start + end);
            let mut next = Vec::with_capacity(start + rest.len());
            next.extend_from_slice(&self.header);
            next.extend_from_slice(&rest);
            return Ok(Some(std::mem::replace(&mut self.carry, next)));
        }
    }
}

impl Iterator for Slices {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_slice().transpose()
    }
}

/// The quotes in `bytes`, counted with wide compares (CSV JSON columns quote every key, too
/// many hits for a search that stops at each).
fn count_quotes(bytes: &[u8]) -> usize {
    bytecount::count(bytes, b'"')
}

/// Where the first CSV record of `bytes` ends (just past its line break), if it does.
fn first_record_end(bytes: &[u8]) -> Option<usize> {
    let mut quotes = 0usize;
    let mut from = 0;
    for at in memchr::memchr_iter(b'\n', bytes) {
        quotes += count_quotes(&bytes[from..at]);
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
    let mut quotes = count_quotes(&bytes[..at]);
    loop {
        if quotes % 2 == 0 {
            return Some(at + 1);
        }
        let before = memchr::memrchr(b'\n', &bytes[..at])?;
        quotes -= count_quotes(&bytes[before..at]);
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

/// How every slice of a text file is read, from parsing to the frame kept.
pub struct Pass<'a> {
    /// CSV, else JSON lines.
    pub csv: bool,
    /// The file's schema, so every slice reads the same types.
    pub schema: SchemaRef,
    /// The column `select` sees the file's 1-based row number as.
    pub row_col: &'a str,
    pub select: &'a [Expr],
    /// Drops the rows of each slice not wanted, so a pass that keeps a few holds only those.
    pub keep: Option<Expr>,
    /// Run over each slice's frame last.
    pub finish: &'a dyn Fn(DataFrame) -> PolarsResult<DataFrame>,
}

/// Runs `pass` over each slice (of about `size` bytes) of a text file; the frames in order.
pub fn read_text(path: &Path, size: usize, pass: Pass) -> PolarsResult<Vec<DataFrame>> {
    let slices = Slices::open(path, pass.csv, size)?;
    // The next slice is read (and its records found) on a thread of its own while polars
    // parses this one; a rendezvous channel keeps one slice waiting at most.
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel(0);
        scope.spawn(move || {
            for slice in slices {
                if send.send(slice).is_err() {
                    break;
                }
            }
        });
        parse_slices(receive, pass)
    })
}

/// The slices received, parsed in turn (see [`read_text`]).
fn parse_slices(
    slices: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    pass: Pass,
) -> PolarsResult<Vec<DataFrame>> {
    let Pass {
        csv,
        schema,
        row_col,
        select,
        keep,
        finish,
    } = pass;
    let mut frames = Vec::new();
    let mut rows: IdxSize = 0;
    let projection = csv.then(|| columns_read(&schema, select, row_col));
    for slice in slices {
        let slice = slice?;
        let mut read = match &projection {
            Some(projection) => parse_csv(&slice, &schema, projection, rows, PIECE_BYTES)?
                .lazy()
                .with_row_index(row_col, Some(rows + 1))
                .select(select)
                .collect()?,
            None => scan_slice(slice, csv, schema.clone())?
                .with_row_index(row_col, Some(rows + 1))
                .select(select)
                .collect_with_engine(Engine::Streaming)?
                .unwrap_single(),
        };
        // polars' reader hands a slice back in many small chunks; joined here, while small,
        // the file's frame is a few chunks that the load joins once (0.2 GiB less peak at
        // ten million CSV mappings than joining them all there).
        read.rechunk_mut();
        rows += read.height() as IdxSize;
        frames.push(finish(match &keep {
            Some(keep) => read.lazy().filter(keep.clone()).collect()?,
            None => read,
        })?);
    }
    if frames.is_empty() {
        // A header and no rows (a valid export of an empty table): no slice to parse, so
        // the columns come from the header's schema.
        frames.push(finish(
            DataFrame::empty_with_schema(&schema)
                .lazy()
                .with_row_index(row_col, Some(1))
                .select(select)
                .collect()?,
        )?);
    }
    Ok(frames)
}

/// The bytes of one piece of a CSV slice that polars' parser is handed at a time: small
/// enough that the pieces of a slice keep every core busy, large enough that each piece's
/// column builders are few.
const PIECE_BYTES: usize = 4 << 20;

/// The records of one CSV slice (its header first), parsed by polars' own CSV parser
/// (`read_chunk`, the function its streaming reader runs on each chunk), its pieces on
/// every core. polars' readers first find each chunk's record ends in a pass of their own
/// that reads one byte at a time on a stable compiler (29% of the CPU of a 10M build from
/// CSV mappings, and on one core while the parse waits); here the pieces are cut at record
/// ends found by counting quotes, which the compiler vectorises. `rows_before`: the file's
/// records before this slice, for the row a malformed piece is reported at; `piece_bytes`:
/// [`PIECE_BYTES`] but in tests.
fn parse_csv(
    slice: &[u8],
    schema: &Schema,
    projection: &[usize],
    rows_before: IdxSize,
    piece_bytes: usize,
) -> PolarsResult<DataFrame> {
    use polars::io::csv::read::_csv_read_internal::{read_chunk, validate_utf8};
    use polars::io::csv::read::CsvParseOptions;
    use rayon::prelude::*;

    let body = &slice[first_record_end(slice).unwrap_or(slice.len())..];
    let pieces = record_pieces(body, piece_bytes);
    // The columns asked for, kept of each piece's frame.
    let requested: Vec<PlSmallStr> = projection
        .iter()
        .filter_map(|&at| schema.get_at_index(at).map(|(name, _)| name.clone()))
        .collect();
    // The last column is always parsed: past the last column it parses, polars' parser
    // skips to the line's end counting every quote, so a quote inside an unread last value
    // (`12" pipe`) made it run on through the next lines, rows lost without an error
    // (found by an independent check, in polars' own reader too).
    let mut with_last = projection.to_vec();
    let last = schema.len().saturating_sub(1);
    if !with_last.contains(&last) && !schema.is_empty() {
        with_last.push(last);
    }
    let every_column: Vec<usize> = (0..schema.len()).collect();
    // The options `LazyCsvReader` reads with by default (empty fields are null).
    let options = CsvParseOptions::default();
    let parsed = pieces
        .par_iter()
        .map(|piece| {
            if !validate_utf8(piece) {
                // Named by its row (the lines before it), as a stray quote is.
                let at = std::str::from_utf8(piece)
                    .err()
                    .map_or(0, |e| e.valid_up_to());
                return Ok(Err(Malformed::Utf8(records_before(piece, at))));
            }
            // The records counted by their quotes, as the piece was cut, must be the rows
            // parsed. A quote inside a value that does not start with one (`12" pipe`)
            // throws the count off, and can move a cut into a quoted line break, where the
            // rows parsed would still be one a line (found by an independent check): such
            // a file is refused, as polars' own reader refuses it.
            let (lines, records) = lines_and_records(piece);
            // Where every line break ends a record by the quotes' count, polars' parser
            // (which ends records at line breaks alone) parses as many rows only if it
            // ends them at the same line breaks: the check of the rows' count below
            // suffices. Elsewhere a stray quote before a quoted line break, and one
            // after it, could leave the counts equal and the records not (found by an
            // independent check): the quotes are followed as polars' parser reads them.
            if records != lines {
                if let Some(at) = unpaired_stray_quote(piece) {
                    return Ok(Err(Malformed::Quote(records_before(piece, at))));
                }
            }
            // A piece whose line breaks are not all record ends (quoted line breaks, or a
            // stray quote) is parsed whole: past the columns it parses, polars' parser
            // skips a line's extra fields counting their quotes, so a stray quote in a
            // field past the header's last made it run on through the next lines, and the
            // count by quotes could agree with it (found by an independent check). Whole,
            // a line with more fields than the header is an error.
            let columns = match records == lines {
                true => with_last.as_slice(),
                false => every_column.as_slice(),
            };
            let read = read_chunk(
                piece,
                &options,
                schema,
                false,
                columns,
                0,
                lines,
                None,
                usize::MAX,
                piece.len(),
                Some(0),
            );
            let frame = match read {
                Ok(frame) => frame,
                // polars says a line has more fields than the header, not which: found
                // here, so the error names its row (found by an independent check).
                Err(error) => match record_with_more_fields(piece, schema.len()) {
                    Some((records_before, fields)) => {
                        return Ok(Err(Malformed::Fields(records_before, fields)))
                    }
                    None => return Err(error),
                },
            };
            Ok(Ok((frame.select(requested.iter().cloned())?, records)))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut row = rows_before as usize;
    let mut frames = Vec::with_capacity(parsed.len());
    for piece in parsed {
        let (frame, records) = match piece {
            Ok(parsed) => parsed,
            Err(Malformed::Quote(records_before)) => {
                return Err(stray_quote(row + records_before + 1, ""))
            }
            Err(Malformed::Utf8(records_before)) => polars_bail!(ComputeError:
                "invalid utf-8 sequence at or before row {} (the file must be UTF-8)",
                row + records_before + 1),
            Err(Malformed::Fields(records_before, fields)) => polars_bail!(ComputeError:
                "row {} has {fields} fields, more than the header's {}",
                row + records_before + 1, schema.len()),
        };
        if frame.height() != records {
            let counts = format!(
                " ({records} records by their quotes, {} rows parsed)",
                frame.height()
            );
            return Err(stray_quote(row + 1, &counts));
        }
        row += records;
        frames.push(frame);
    }
    let mut frames = frames.into_iter();
    let Some(mut all) = frames.next() else {
        return Ok(DataFrame::empty_with_schema(
            &schema.try_project_indices(projection)?,
        ));
    };
    // The pieces' columns become chunks of one frame, not copied.
    for frame in frames {
        all.vstack_mut_owned(frame)?;
    }
    Ok(all)
}

/// A CSV file read by polars' own reader (a content rows file) checked for what
/// [`parse_csv`] refuses: a stray quote without a partner on its line, whose records
/// polars' reader would end where its field splitting ends them, with no error. The file
/// is read once more, a slice at a time, its pieces on every core; the error names the
/// row, as [`parse_csv`]'s does.
pub fn refuse_stray_quotes(path: &Path) -> PolarsResult<()> {
    use rayon::prelude::*;
    let mut row = 0;
    for slice in Slices::open(path, true, SLICE_BYTES)? {
        let slice = slice?;
        let body = &slice[first_record_end(&slice).unwrap_or(slice.len())..];
        let pieces = record_pieces(body, PIECE_BYTES);
        // Every piece with a quote is followed: no count of parsed rows backs this check.
        let checked: Vec<(usize, Option<usize>)> = pieces
            .par_iter()
            .map(|piece| {
                let stray = memchr::memchr(b'"', piece)
                    .and_then(|_| unpaired_stray_quote(piece))
                    .map(|at| records_before(piece, at));
                (lines_and_records(piece).1, stray)
            })
            .collect();
        for (records, stray) in checked {
            if let Some(records_before) = stray {
                return Err(stray_quote(row + records_before + 1, ""));
            }
            row += records;
        }
    }
    Ok(())
}

/// The records of `piece` that end before its byte `at`, counted by their quotes (the
/// quotes before the first unpaired stray one are counted as they should be): an error
/// names the row it is on (a count of lines named rows past the file's end where quoted
/// values hold line breaks; found by an independent check).
fn records_before(piece: &[u8], at: usize) -> usize {
    match memchr::memrchr(b'\n', &piece[..at]) {
        Some(line_break) => count_records(&piece[..=line_break]),
        None => 0,
    }
}

/// A piece's lines, and its records counted by their quotes (its lines when it has none).
fn lines_and_records(piece: &[u8]) -> (usize, usize) {
    let lines = bytecount::count(piece, b'\n') + usize::from(!piece.ends_with(b"\n"));
    match memchr::memchr(b'"', piece) {
        None => (lines, lines),
        Some(_) => (lines, count_records(piece)),
    }
}

/// The error refusing a file whose records end where no one can tell, at or before `row`,
/// `detail` after it.
fn stray_quote(row: usize, detail: &str) -> PolarsError {
    PolarsError::ComputeError(
        format!(
            "CSV malformed at or before row {row}: a quote inside a value that does not start \
             with one, or past a quoted value's closing quote (write it doubled, in a quoted \
             value) leaves where each record ends unknowable{detail}"
        )
        .into(),
    )
}

/// What makes a piece unreadable, with the records of the piece before it.
enum Malformed {
    Quote(usize),
    Utf8(usize),
    /// The records before a record with more fields than the header, and its fields.
    Fields(usize, usize),
}

/// The first record of `piece` with more than `columns` fields: the records before it
/// (counted as [`records_before`] counts them) and its fields. `None` when every record
/// has at most `columns`, or the piece cannot be split into records.
fn record_with_more_fields(piece: &[u8], columns: usize) -> Option<(usize, usize)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(piece);
    let mut record = csv::ByteRecord::new();
    loop {
        let at = reader.position().byte() as usize;
        match reader.read_byte_record(&mut record) {
            Ok(true) if record.len() > columns => {
                // The record starts at `at`, or past the blank lines before it.
                let start = at
                    + piece[at..]
                        .iter()
                        .take_while(|b| matches!(b, b'\r' | b'\n'))
                        .count();
                return Some((records_before(piece, start.min(piece.len())), record.len()));
            }
            Ok(true) => {}
            Ok(false) | Err(_) => return None,
        }
    }
}

/// The positions in `schema` of the columns `select` reads: every column when it reads
/// them by a selector. `row_col` is the row number `select` sees, never a file's column
/// of that name (an extra column, ignored as every extra column is).
fn columns_read(schema: &Schema, select: &[Expr], row_col: &str) -> Vec<usize> {
    let mut read = vec![false; schema.len()];
    for node in select.iter().flat_map(|e| e.into_iter()) {
        match node {
            Expr::Column(name) if name.as_str() == row_col => {}
            Expr::Column(name) => {
                if let Some(at) = schema.index_of(name) {
                    read[at] = true;
                }
            }
            Expr::Selector(_) | Expr::SubPlan(..) => return (0..schema.len()).collect(),
            _ => {}
        }
    }
    (0..schema.len()).filter(|&at| read[at]).collect()
}

/// `body` (whole CSV records) cut into pieces of about `size` bytes, each ending where a
/// record does: at a line break with an even number of quotes before it in the piece.
fn record_pieces(body: &[u8], size: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let mut end = (start + size).min(body.len());
        let mut quotes = count_quotes(&body[start..end]);
        while end < body.len() {
            match memchr::memchr(b'\n', &body[end..]) {
                Some(at) => {
                    quotes += count_quotes(&body[end..end + at]);
                    end += at + 1;
                    if quotes % 2 == 0 {
                        break;
                    }
                }
                None => end = body.len(),
            }
        }
        pieces.push(&body[start..end]);
        start = end;
    }
    pieces
}

/// Where a quote inside an unquoted value (`12" pipe`) makes the records counted by
/// quotes end elsewhere than polars' parser ends them, if anywhere in `piece` (which
/// starts at a record's start): the first such quote.
///
/// polars' parser reads a value that starts with a quote as quoted, every later quote in
/// it toggling in and out, until a comma or line break outside; in a value that does not
/// start with one, a quote is text (`splitfields.rs` of polars-io). Counting quotes, such
/// a quote toggles too. The two agree on every line break exactly when an even number of
/// these stray quotes precede it, so they must pair up with no line break between the two
/// of a pair (two on one line, `12" x 4" pipe`, read as text). Otherwise a record could
/// be read as two, or two as one, with a count that still agrees (`12" pipe,"abc` then
/// `nail"` then `3" tube`: two records either way, a mapping lost; found by an
/// independent check).
fn unpaired_stray_quote(piece: &[u8]) -> Option<usize> {
    #[derive(Clone, Copy)]
    enum Value {
        /// Outside a quoted value: a value that does not start with a quote, or between.
        Plain,
        /// Inside a quoted value's quotes.
        Open,
        /// In a quoted value, past the quote at this position that closed it.
        Closed(usize),
    }
    let mut value = Value::Plain;
    let mut odd: Option<usize> = None;
    for at in memchr::memchr_iter(b'"', piece) {
        value = match value {
            Value::Open => Value::Closed(at),
            // Right after the closing quote: a doubled quote, the value goes on.
            Value::Closed(q) if at == q + 1 => Value::Open,
            // Text past a quoted value's closing quote, then a quote (`"ab"c"d`): polars
            // reads the value on, to a partner quote perhaps lines later; other readers
            // end it. Not RFC 4180, and where records end is unknowable: refused (found
            // by an independent check).
            Value::Closed(q) if memchr::memchr2(b',', b'\n', &piece[q + 1..at]).is_none() => {
                return Some(odd.map_or(at, |first| first.min(at)));
            }
            _ if at == 0 || matches!(piece[at - 1], b',' | b'\n') => Value::Open,
            _ => {
                match odd.take() {
                    None => odd = Some(at),
                    Some(first) if memchr::memchr(b'\n', &piece[first..at]).is_some() => {
                        return Some(first)
                    }
                    Some(_) => {}
                }
                Value::Plain
            }
        };
    }
    odd.filter(|&first| memchr::memchr(b'\n', &piece[first..]).is_some())
}

/// The CSV records in `piece` (which starts at a record's start): its line breaks outside
/// quotes, and a last record without one.
fn count_records(piece: &[u8]) -> usize {
    let (mut records, mut quotes, mut from) = (0, 0, 0);
    for at in memchr::memchr_iter(b'\n', piece) {
        quotes += count_quotes(&piece[from..at]);
        from = at + 1;
        records += usize::from(quotes % 2 == 0);
    }
    records + usize::from(from < piece.len())
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

    /// Found by an independent check: a JSON lines file starting with a byte order mark
    /// failed with polars' "TapeError at character 0", naming no row.
    #[test]
    fn a_byte_order_mark_before_json_lines_is_read_past() {
        let slices = slices_of("\u{feff}{\"a\":1}\n{\"a\":2}\n", false, 4);
        assert_eq!(slices.concat(), "{\"a\":1}\n{\"a\":2}\n");
    }

    fn text_schema(names: &[&str]) -> Schema {
        Schema::from_iter(
            names
                .iter()
                .map(|n| Field::new((*n).into(), DataType::String)),
        )
    }

    /// The frame polars' own CSV reader reads from `text`, every column as text.
    fn read_by_polars(text: &str, schema: &Schema) -> PolarsResult<DataFrame> {
        let sources = ScanSources::Buffers(Arc::from([polars_buffer::Buffer::from_vec(
            text.as_bytes().to_vec(),
        )]));
        LazyCsvReader::new_with_sources(sources)
            .with_has_header(true)
            .with_schema(Some(Arc::new(schema.clone())))
            .finish()?
            .collect()
    }

    #[test]
    fn pieces_end_at_records() {
        let body = b"1,\"x\ny\"\n2,\"say \"\"hi\"\"\"\n\n3,z";
        for size in 1..=body.len() + 1 {
            let pieces = record_pieces(body, size);
            assert_eq!(pieces.concat(), body.to_vec(), "size {size}");
            let records: usize = pieces.iter().map(|p| count_records(p)).sum();
            assert_eq!(records, 4, "size {size}");
            for piece in &pieces {
                assert_eq!(count_quotes(piece) % 2, 0, "size {size}: {piece:?}");
            }
        }
    }

    proptest::proptest! {
        /// Any CSV of quoted and unquoted fields (line breaks, doubled quotes, commas and
        /// empty fields inside quotes; blank lines; CRLF; a last line with or without its
        /// line break), parsed in pieces of any size, is the frame polars' reader reads
        /// from the whole text, for any subset of its columns.
        #[test]
        fn pieces_parse_as_polars_reads_the_whole_text(
            rows in proptest::collection::vec(
                proptest::collection::vec("([a-z0-9 ]{0,4}|\"([a-z,\n]|\"\"){0,5}\")", 3),
                0..25,
            ),
            blank_after in proptest::option::of(0usize..25),
            crlf in proptest::bool::ANY,
            last_break in proptest::bool::ANY,
            piece in 1usize..64,
            keep in 1usize..8,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("a,b,c{eol}");
            for (i, row) in rows.iter().enumerate() {
                text.push_str(&row.join(","));
                if i + 1 < rows.len() || last_break {
                    text.push_str(eol);
                }
                if blank_after == Some(i) {
                    text.push_str(eol);
                }
            }
            let schema = text_schema(&["a", "b", "c"]);
            let projection: Vec<usize> = (0..3).filter(|i| keep & (1 << i) != 0).collect();
            let names: Vec<&str> = projection.iter().map(|&i| ["a", "b", "c"][i]).collect();
            let expected = read_by_polars(&text, &schema).unwrap().select(names).unwrap();
            let parsed = parse_csv(text.as_bytes(), &schema, &projection, 0, piece).unwrap();
            proptest::prop_assert!(parsed.equals_missing(&expected), "{text:?}\n{parsed}\n{expected}");
        }
    }

    /// Whether a stray quote (inside a value that does not start with one) is left with an
    /// odd number of them before a line break: polars' field splitting followed a byte
    /// at a time, the reference [`unpaired_stray_quote`] is checked against.
    fn unpaired_by_hand(body: &[u8]) -> bool {
        enum Value {
            Start,
            Plain,
            Quoted { inside: bool },
        }
        let (mut value, mut strays) = (Value::Start, 0);
        for &c in body {
            if c == b'\n' && strays % 2 == 1 {
                return true;
            }
            value = match (value, c) {
                (Value::Start, b'"') => Value::Quoted { inside: true },
                (Value::Start, b',' | b'\n') => Value::Start,
                (Value::Start, _) => Value::Plain,
                (Value::Plain, b'"') => {
                    strays += 1;
                    Value::Plain
                }
                (Value::Plain, b',' | b'\n') => Value::Start,
                (Value::Plain, _) => Value::Plain,
                (Value::Quoted { inside }, b'"') => Value::Quoted { inside: !inside },
                (Value::Quoted { inside: false }, b',' | b'\n') => Value::Start,
                (quoted, _) => quoted,
            };
        }
        false
    }

    proptest::proptest! {
        /// With quotes inside unquoted fields too: what is read is what polars reads from
        /// the whole text, and a file is refused only for such a quote.
        #[test]
        fn stray_quotes_read_as_polars_reads_them_or_are_refused(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    "([a-z0-9 ]{0,3}|[a-z]{1,2}\"[a-z ]{0,2}|\"([a-z,\n]|\"\"){0,4}\")",
                    2,
                ),
                0..25,
            ),
            piece in 1usize..64,
            keep in 1usize..4,
        ) {
            let mut text = String::from("a,b\n");
            for row in &rows {
                text.push_str(&row.join(","));
                text.push('\n');
            }
            let schema = text_schema(&["a", "b"]);
            let stray = rows.iter().flatten().any(|v| !v.starts_with('"') && v.contains('"'));
            let projection: Vec<usize> = (0..2).filter(|i| keep & (1 << i) != 0).collect();
            let names: Vec<&str> = projection.iter().map(|&i| ["a", "b"][i]).collect();
            let parsed = parse_csv(text.as_bytes(), &schema, &projection, 0, piece);
            // Refused exactly when a stray quote has no partner before a line break,
            // whatever the pieces.
            let body = &text.as_bytes()[text.find('\n').unwrap() + 1..];
            proptest::prop_assert_eq!(parsed.is_err(), unpaired_by_hand(body), "{:?}", text);
            match parsed {
                Ok(parsed) => {
                    if let Ok(whole) = read_by_polars(&text, &schema) {
                        let whole = whole.select(names.clone()).unwrap();
                        proptest::prop_assert!(parsed.equals_missing(&whole), "{text:?}\n{parsed}\n{whole}");
                    }
                    // Whatever polars makes of it, a file read is read as written: a row
                    // a record, each value as the record holds it (a quote inside an
                    // unquoted value as text). polars' own reader could agree with a wrong
                    // read, a stray quote pulling a quoted line break's two lines apart
                    // (found by an independent check).
                    proptest::prop_assert_eq!(parsed.height(), rows.len(), "{:?}", text);
                    for (&at, name) in projection.iter().zip(&names) {
                        let read = parsed.column(name).unwrap().str().unwrap().clone();
                        for (row, value) in rows.iter().zip(read.iter()) {
                            let written = &row[at];
                            let expected = match written.strip_prefix('"') {
                                Some(quoted) => quoted[..quoted.len() - 1].replace("\"\"", "\""),
                                None => written.clone(),
                            };
                            proptest::prop_assert_eq!(value.unwrap_or(""), expected.as_str(), "{:?}", text);
                        }
                    }
                }
                Err(e) => proptest::prop_assert!(stray, "{text:?}: {e}"),
            }
        }
    }

    /// Found by an independent check: a quote inside an unread last value made polars'
    /// parser, skipping to the line's end, run on through the next lines (rows lost, no
    /// error, in polars' own reader too). The last column is always parsed, and such a file
    /// is read whole or refused, never short of rows.
    #[test]
    fn a_quote_inside_an_unread_last_value_loses_no_row() {
        let schema = text_schema(&["a", "b"]);
        for end in ["", "\n", "\r\n"] {
            // Two quotes on one line pair up: read whole, the last column parsed and
            // dropped.
            let text = format!("a,b\n1,ok\n2,12\" by 4\" pipe\n3,ok\n4,ok\n5,ok{end}");
            let read = parse_csv(text.as_bytes(), &schema, &[0], 0, 1 << 20).unwrap();
            let a: Vec<_> = read.column("a").unwrap().str().unwrap().iter().collect();
            assert_eq!(a, ["1", "2", "3", "4", "5"].map(Some), "{text:?}");
            assert_eq!(read.get_column_names(), ["a"]);
            // On two lines, or alone: refused, never rows lost.
            for text in [
                format!("a,b\n1,ok\n2,12\" pipe\n3,ok\n4,x\"y\n5,ok{end}"),
                format!("a,b\n1,ok\n2,12\" pipe\n3,ok{end}"),
            ] {
                assert!(parse_csv(text.as_bytes(), &schema, &[0], 0, 1 << 20).is_err());
            }
        }
    }

    /// Found by an independent check: a stray quote in the header (`no"te`) made the
    /// header, found by counting quotes, run on to its partner or the file's end, the rows
    /// on the way never read, exit 0. Refused; a pair on the header's line is text.
    #[test]
    fn a_stray_quote_in_the_header_is_refused() {
        for (text, refused) in [
            ("a,no\"te\n1,x\n2,y\"z\n3,w\n", true),
            ("a,no\"te\n1,x\n2,y\n", true),
            ("a,n\"o\"te\n1,x\n2,y\n", false),
        ] {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(text.as_bytes()).unwrap();
            let opened = Slices::open(file.path(), true, 1 << 20);
            assert_eq!(opened.is_err(), refused, "{text:?}");
        }
    }

    /// Found by an independent check: the row named was the lines before a stray quote,
    /// past the file's end where quoted values hold line breaks. It is the records.
    #[test]
    fn a_stray_quote_is_named_by_its_record() {
        let schema = text_schema(&["a", "b"]);
        let text = "a,b\n1,\"x\ny\nz\"\n2,\"p\nq\"\n3,12\" pipe\n4,ok\n";
        for piece in [1, 1 << 20] {
            let err = parse_csv(text.as_bytes(), &schema, &[0], 0, piece).unwrap_err();
            assert!(
                err.to_string().contains("at or before row 3:"),
                "piece {piece}: {err}"
            );
        }
    }

    /// Found by an independent check: invalid UTF-8 refused the file with no row named.
    #[test]
    fn invalid_utf8_is_named_by_its_row() {
        let schema = text_schema(&["a", "b"]);
        let text = b"a,b\n1,x\n2,y\n3,\xff\n4,z\n";
        for piece in [1, 5, 1 << 20] {
            let err = parse_csv(text, &schema, &[0], 10, piece).unwrap_err();
            assert!(
                err.to_string()
                    .contains("invalid utf-8 sequence at or before row 13"),
                "piece {piece}: {err}"
            );
        }
    }

    /// Found by an independent check: a stray quote before a quoted value's line break,
    /// and one after it, gave two records counted by quotes and two parsed, but not the
    /// same two: a mapping read as the text of a value, exit 0. Refused, whatever the
    /// pieces; two stray quotes on one line are still read as text.
    #[test]
    fn stray_quotes_around_a_quoted_line_break_are_refused() {
        let schema = text_schema(&["id", "note", "note2"]);
        let text = "id,note,note2\n1,12\" pipe,\"abc\n4,nail\"\n2,3\" tube,z\n3,ok,z\n";
        for piece in [1, 5, 17, 1 << 20] {
            let read = parse_csv(text.as_bytes(), &schema, &[0], 0, piece);
            assert!(read.is_err(), "piece {piece}: {read:?}");
        }
        // A value that starts with a quote, closes, and goes on with a quote
        // (`"ab"c"d,e"`): polars reads it on to a partner, other readers end it. Refused.
        assert_eq!(
            unpaired_stray_quote(b"1,\"ab\"c\"d,e\",x\n2,y,z\n"),
            Some(7)
        );
        // Text past the closing quote with no quote after it is read as polars reads it.
        assert_eq!(unpaired_stray_quote(b"1,\"ab\"c,x\n2,y,z\n"), None);
        assert_eq!(unpaired_stray_quote(b"1,12\" x 4\" pipe,z\n2,y,z\n"), None);
        assert_eq!(
            unpaired_stray_quote(b"1,12\" x,\"4\n\" pipe\",z\n"),
            Some(4)
        );
        assert_eq!(unpaired_stray_quote(b"1,\"a\"\"b\",c\n"), None);
    }

    /// Found by an independent check: a line with more fields than the header, a stray
    /// quote in a field past the last, made polars' parser run on through the next lines,
    /// and the count by quotes agreed with it (ids 1 and 4 of 4). Now refused.
    #[test]
    fn a_stray_quote_past_the_last_column_is_refused() {
        let schema = text_schema(&["id", "name", "note"]);
        let text = "id,name,note\n1,a,x,12\" pipe\n2,b,y\n3,c,5\" bolt\n4,d,z\n";
        for piece in [1, 7, 1 << 20] {
            let read = parse_csv(text.as_bytes(), &schema, &[0], 0, piece);
            assert!(read.is_err(), "piece {piece}: {read:?}");
        }
        // With a quoted line break elsewhere, a line with extra fields is refused too.
        let text = "id,name,note\n1,\"a\nb\",x,extra\n2,b,y\n";
        assert!(parse_csv(text.as_bytes(), &schema, &[0], 0, 1 << 20).is_err());
    }

    /// Found by an independent check: a line with more fields than the header was refused
    /// with no row named. Its row is named, in any piece, after quoted line breaks too.
    #[test]
    fn a_line_with_more_fields_is_named_by_its_row() {
        let schema = text_schema(&["id", "name", "note"]);
        for (text, row) in [
            ("id,name,note\n1,a,x\n2,b,y,extra\n3,c,z\n", 2),
            ("id,name,note\n1,\"a\nb\",x\n2,b,y\n3,c,z,4,5\n", 3),
            ("id,name,note\n1,a,x,extra\n", 1),
        ] {
            for piece in [1, 7, 1 << 20] {
                let error = parse_csv(text.as_bytes(), &schema, &[0, 1, 2], 0, piece)
                    .expect_err("more fields than the header")
                    .to_string();
                assert!(
                    error.contains(&format!("row {row} has "))
                        && error.contains("more than the header's 3"),
                    "piece {piece}: {text:?}: {error}"
                );
            }
        }
    }

    #[test]
    fn blank_lines_before_the_header_are_skipped() {
        for text in [
            "\nid,name\n1,a\n2,b\n",
            "\u{feff}\r\n\r\nid,name\r\n1,a\r\n2,b\r\n",
        ] {
            let slices = slices_of(text, true, 4096);
            assert_eq!(slices.len(), 1, "{text:?}");
            let schema = text_schema(&["id", "name"]);
            let read = parse_csv(slices[0].as_bytes(), &schema, &[0], 0, 1 << 20).unwrap();
            let ids: Vec<_> = read.column("id").unwrap().str().unwrap().iter().collect();
            assert_eq!(ids, [Some("1"), Some("2")], "{text:?}");
        }
    }

    /// A quote inside a field that does not start with one (`12" pipe`) leaves where
    /// records end unknowable (before a quoted line break, a cut could fall inside it):
    /// refused, naming the row it is on (records before it, counted by its piece's lines
    /// before it: at or before), as polars' own reader refuses it. Two on one line pair up
    /// and are text.
    #[test]
    fn a_quote_inside_an_unquoted_field() {
        let schema = text_schema(&["a", "b"]);
        for text in [
            "a,b\n1,x\n2,12\" pipe\n3,y\n",
            "a,b\n1,x\n2,12\" pipe\n3,\"y\nz\"\n",
        ] {
            let err = parse_csv(text.as_bytes(), &schema, &[0, 1], 10, 1 << 20).unwrap_err();
            assert!(err.to_string().contains("at or before row 12"), "{err}");
        }
        let text = "a,b\n1,x\n2,12\" by 4\" pipe\n3,y\n";
        let read = parse_csv(text.as_bytes(), &schema, &[0, 1], 10, 1 << 20).unwrap();
        let b: Vec<_> = read.column("b").unwrap().str().unwrap().iter().collect();
        assert_eq!(b, [Some("x"), Some("12\" by 4\" pipe"), Some("y")]);
    }

    /// Found by an independent check: a stray quote, then a quoted line break just past a
    /// cut, in a column not read: the cut fell inside the quoted value and each half was
    /// read a row a line, one record read as two rows. Now refused.
    #[test]
    fn a_stray_quote_before_a_quoted_line_break_is_refused_at_any_cut() {
        let schema = text_schema(&["a", "b"]);
        let text = "a,b\n12\" pipe,1\n\"x\ny\",2\n3,3\n";
        for piece in 1..text.len() {
            let read = parse_csv(text.as_bytes(), &schema, &[1], 0, piece);
            assert!(read.is_err(), "piece {piece}: {read:?}");
        }
    }

    #[test]
    fn the_columns_read_are_those_the_expressions_name() {
        let schema = text_schema(&["a", "b", "c"]);
        let select = [
            col("c").str().len_bytes(),
            col("a").alias("b2"),
            col("__row"),
        ];
        assert_eq!(columns_read(&schema, &select, "__row"), vec![0, 2]);
        assert_eq!(
            columns_read(&schema, &[all().as_expr()], "__row"),
            vec![0, 1, 2]
        );
        // A file's own `__row` is an extra column, not the row number (found by an
        // independent check: it collided with the row number).
        let schema = text_schema(&["a", "__row"]);
        assert_eq!(columns_read(&schema, &select, "__row"), vec![0]);
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
