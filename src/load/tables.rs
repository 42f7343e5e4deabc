//! Reads exports (CSV, Parquet, NDJSON) into typed polars frames.
//!
//! Every file is scanned lazily, its columns checked against a [`ColumnSpec`] list, converted
//! to one canonical type per column, and tagged with its relative path (`__file`) and 1-based
//! data row (`__row`), so any finding can point back at the row it came from. CSV is read
//! with every column as text and converted here, so the same rules apply to all formats: a
//! value that does not convert is a [`LoadError::BadValue`] naming file, row and column.
//! Timestamps become Int64 milliseconds since the Unix epoch (UTC): an offset is applied, a
//! time without one is read in `migcov.yaml`'s `timezone` (UTC by default).
//!
//! Memory goes to the values that are used ([`Keep`]): a conversion is checked by a flag per
//! row, not a copy of the text; columns that are only tested are not kept (in a Parquet
//! file they are tested in a streaming pass of their own); CSV and NDJSON are read a slice
//! of the file at a time ([`slices`]), never mapped whole.

use polars::prelude::*;

use super::discover::{InputFile, TableFormat};
use super::slices;
use super::LoadError;
use crate::model::config::EpochUnit;

pub const FILE_COL: &str = "__file";

/// The largest count a whole-number column takes (10^15, a thousand million million rows):
/// sums of millions of such values still fit in 64 bits.
pub const MAX_COUNT: i64 = 1_000_000_000_000_000;
/// Row numbers are polars' row index type (`IDX_DTYPE`, 32 bits): no frame holds more rows.
pub const ROW_COL: &str = "__row";

/// The canonical type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Int,
    Float,
    /// ISO 8601 / RFC 3339 with or without an offset (`2026-03-01T08:15:00Z`,
    /// `2026-03-01 08:15:00.25+05:30`), a datetime column, or a whole number with a declared
    /// `epoch_unit`; stored as epoch milliseconds, UTC.
    Timestamp,
    /// JSON text (in CSV) or a JSON object (in NDJSON); stored as JSON text.
    Json,
    /// A legacy key: one column of any type (`id`: `1001`, `ALFKI`), or a composite key as
    /// numbered columns (`id_1`, `id_2`, ...), joined with [`KEY_SEPARATOR`]; trimmed text,
    /// so keys compare as text. A table whose keys are all whole numbers written as such
    /// (`0`, `1001`, `-7`: no `+`, no leading zero, at most 18 digits; [`WHOLE_KEY`]), or
    /// integers in Parquet, holds them as Int64: one number has one such text, so equality,
    /// distinct counts and the text shown are the same, in 8 bytes a key where the text
    /// took 16. Where two key columns meet, [`same_keys`] compares them as text unless both
    /// are numbers.
    Key,
    /// A UUID, held as its two 64-bit halves ([`uuid_halves`]) and whether it was written in
    /// upper case; the text is kept only where it is neither the canonical form (hyphenated,
    /// lower case, no spaces) nor that form in upper case, or not a UUID at all. Such a UUID
    /// takes 16 bytes and a bit, where its text took 52. The text kept is a dictionary
    /// column ([`category_dtype`], read with [`text_values`]); [`uuid_text`] gives every
    /// value's text back.
    Uuid,
    /// A row's own id (`id` of a mapping), a UUID in most exports: held as a [`Uuid`] is,
    /// halves and a bit, except that the text of the values that are no canonical UUID is
    /// kept as plain text, not in the process-wide dictionary: an export whose ids are
    /// serial numbers would put every one of them there, for the life of the process. A
    /// UUID's text took 36 bytes a row beside its view (3 GiB at 100M realistic records).
    Id,
    /// Text of few distinct values (`entity_type`), held as a dictionary: a 4-byte code a
    /// row, where the text took 16. Readers see text through [`AnyValue::get_str`],
    /// [`text_column`] or a cast; polars sorts such a column by its text, as it would the
    /// text itself.
    Category,
}

/// The dtype of a [`ColumnKind::Category`] column: polars' process-wide dictionary, so
/// every file and slice codes a value alike and frames of several files concatenate.
pub fn category_dtype() -> DataType {
    DataType::from_categories(Categories::global())
}

/// A column's chunks joined into one, each chunk freed as soon as it is copied, so the
/// join costs about one chunk beside the column, not a second column: polars' rechunk
/// holds every chunk until the copy is made, and at 100M realistic mappings that lifted
/// the load's peak by 0.59 GiB over what it holds after (the legacy ids' views) and 0.32
/// GiB (the row numbers). Numbers, dictionary codes and text; any other column is
/// rechunked by polars.
pub(crate) fn one_chunk(column: Column) -> PolarsResult<Column> {
    use polars_arrow::array::{Array, PrimitiveArray, Utf8ViewArray};
    let Column::Series(series) = column else {
        return Ok(column.rechunk());
    };
    let series = series.take();
    if series.n_chunks() <= 1 {
        return Ok(series.into_column());
    }
    let (name, dtype, len) = (series.name().clone(), series.dtype().clone(), series.len());
    let one: ArrayRef = match dtype.to_physical() {
        DataType::UInt8 => Box::new(primitive::<u8>(series.into_chunks(), len)),
        DataType::UInt32 => Box::new(primitive::<u32>(series.into_chunks(), len)),
        DataType::UInt64 => Box::new(primitive::<u64>(series.into_chunks(), len)),
        DataType::Int64 => Box::new(primitive::<i64>(series.into_chunks(), len)),
        DataType::Float64 => Box::new(primitive::<f64>(series.into_chunks(), len)),
        DataType::String => Box::new(views(series.into_chunks(), len)),
        _ => return Ok(series.rechunk().into_column()),
    };
    /// The validity of a stack of arrays, made only once one of them has a null.
    fn validity(
        bits: &mut Option<polars_arrow::bitmap::MutableBitmap>,
        before: usize,
        len: usize,
        chunk: Option<&polars_arrow::bitmap::Bitmap>,
        capacity: usize,
    ) {
        match (bits.as_mut(), chunk.filter(|v| v.unset_bits() > 0)) {
            (Some(bits), Some(chunk)) => bits.extend_from_bitmap(chunk),
            (Some(bits), None) => bits.extend_constant(len, true),
            (None, Some(chunk)) => {
                let mut new = polars_arrow::bitmap::MutableBitmap::with_capacity(capacity);
                new.extend_constant(before, true);
                new.extend_from_bitmap(chunk);
                *bits = Some(new);
            }
            (None, None) => {}
        }
    }

    fn primitive<T: polars_arrow::types::NativeType>(
        chunks: Vec<ArrayRef>,
        len: usize,
    ) -> PrimitiveArray<T> {
        let mut values: Vec<T> = Vec::with_capacity(len);
        let mut bits = None;
        let dtype = chunks[0].dtype().clone();
        let mut since = 0;
        for chunk in chunks {
            let array = chunk
                .as_any()
                .downcast_ref::<PrimitiveArray<T>>()
                .expect("a chunk of the column's physical type");
            validity(&mut bits, values.len(), array.len(), array.validity(), len);
            values.extend_from_slice(array.values());
            let bytes = std::mem::size_of_val(array.values().as_slice());
            drop(chunk);
            freed(&mut since, bytes);
        }
        PrimitiveArray::new(dtype, values.into(), bits.map(Into::into))
    }

    /// Text: the views copied, each pointing into the same buffers as before (shared,
    /// not copied), as polars' own concatenation does.
    fn views(chunks: Vec<ArrayRef>, len: usize) -> Utf8ViewArray {
        use polars_arrow::array::View;
        use polars_buffer::Buffer;
        let mut views: Vec<View> = Vec::with_capacity(len);
        let mut buffers: Vec<Buffer<u8>> = Vec::new();
        let mut bits = None;
        let mut total_bytes = 0;
        let mut since = 0;
        for chunk in chunks {
            let array = chunk
                .as_any()
                .downcast_ref::<Utf8ViewArray>()
                .expect("a chunk of text");
            validity(&mut bits, views.len(), array.len(), array.validity(), len);
            let offset = buffers.len() as u32;
            buffers.extend(array.data_buffers().iter().cloned());
            views.extend(array.views().iter().map(|v| {
                let mut v = *v;
                if v.length > View::MAX_INLINE_SIZE {
                    v.buffer_idx += offset;
                }
                v
            }));
            total_bytes += array.total_bytes_len();
            let bytes = std::mem::size_of_val(array.views().as_slice());
            drop(chunk);
            freed(&mut since, bytes);
        }
        let buffer_len = buffers.iter().map(|b| b.len()).sum();
        // SAFETY: every view is a view of its own chunk, its buffer index moved by the
        // number of buffers of the chunks before, whose buffers come first.
        unsafe {
            Utf8ViewArray::new_unchecked(
                polars_arrow::datatypes::ArrowDataType::Utf8View,
                views.into(),
                buffers.into(),
                bits.map(Into::into),
                Some(total_bytes),
                buffer_len,
            )
        }
    }

    /// What the copied chunks freed, handed back every 64 MiB of them (a chunk of a
    /// million rows of 8-byte values is 8 MB; the pieces of [`PIECE`] rows that other
    /// columns are built from would call for a purge each).
    fn freed(since: &mut usize, bytes: usize) {
        *since += bytes;
        if *since >= 64 << 20 {
            crate::memory::release_freed_memory();
            *since = 0;
        }
    }

    // SAFETY: `one` is of the column's physical type, the type its chunks had.
    let series = unsafe { Series::from_chunks_and_dtype_unchecked(name, vec![one], &dtype) };
    Ok(series.into_column())
}

/// A dictionary column of at most 65,535 distinct values held with a code of one byte a
/// row (at most 255 values) or two, instead of four, in a dictionary of its own; any other
/// column as it is, in one chunk. A table's dictionary columns (`entity_type`,
/// `legacy_table`) have a handful of values: at 100M mappings `entity_type` took 0.33 GiB
/// in four-byte codes. A UUID's kept text is null but for the few values that are no
/// canonical UUID (0.34 GiB in four-byte codes at 100M realistic mappings, 501 of them
/// invalid). The table is loaded by then, so no later file adds a value; the new column is
/// written in one piece, which is the rechunk too.
pub(crate) fn narrowed(column: &Column) -> PolarsResult<Column> {
    let DataType::Categorical(categories, mapping) = column.dtype() else {
        return Ok(column.rechunk());
    };
    if categories.physical() != CategoricalPhysical::U32 {
        return Ok(column.rechunk());
    }
    let physical = column.to_physical_repr();
    let codes = physical.u32()?;
    // The distinct codes in order of first sight, each given its new code; a run of one
    // value (rows of one file, one entity type) is looked up once.
    let mut slot: std::collections::HashMap<u32, u16> = std::collections::HashMap::new();
    let mut order: Vec<u32> = Vec::new();
    let mut last = None;
    for code in codes.iter().flatten() {
        if last == Some(code) {
            continue;
        }
        last = Some(code);
        if let std::collections::hash_map::Entry::Vacant(new) = slot.entry(code) {
            if order.len() >= CategoricalPhysical::U16.max_categories() {
                return Ok(column.rechunk());
            }
            new.insert(order.len() as u16);
            order.push(code);
        }
    }
    // Each row's new code (0 where null), its run looked up once.
    let mut last: Option<(u32, u16)> = None;
    let mut small = |code: Option<u32>| -> u16 {
        let Some(code) = code else { return 0 };
        match last {
            Some((c, s)) if c == code => s,
            _ => {
                let s = slot[&code];
                last = Some((code, s));
                s
            }
        }
    };
    let validity = (codes.null_count() > 0)
        .then(|| polars_arrow::bitmap::Bitmap::from_iter(codes.iter().map(|c| c.is_some())));
    let one_byte = order.len() <= CategoricalPhysical::U8.max_categories();
    let physical_width = match one_byte {
        true => CategoricalPhysical::U8,
        false => CategoricalPhysical::U16,
    };
    let own = Categories::random("migcov".into(), physical_width);
    let own_mapping = own.mapping();
    for (i, code) in order.iter().enumerate() {
        let text = mapping
            .cat_to_str(*code)
            .ok_or_else(|| polars_err!(ComputeError: "a dictionary code without its text"))?;
        let given = own_mapping.insert_cat(text)?;
        polars_ensure!(given as usize == i, ComputeError: "a dictionary gave codes out of order");
    }
    let dtype = DataType::from_categories(own);
    let name = column.name().clone();
    let narrowed = match one_byte {
        true => {
            let values: Vec<u8> = codes.iter().map(|c| small(c) as u8).collect();
            let codes = UInt8Chunked::from_vec_validity(name, values, validity);
            CategoricalChunked::<Categorical8Type>::from_cats_and_dtype(codes, dtype).into_series()
        }
        false => {
            let values: Vec<u16> = codes.iter().map(&mut small).collect();
            let codes = UInt16Chunked::from_vec_validity(name, values, validity);
            CategoricalChunked::<Categorical16Type>::from_cats_and_dtype(codes, dtype).into_series()
        }
    };
    Ok(narrowed.into_column())
}

/// The codes of a dictionary column at their own width (one, two or four bytes a row:
/// [`narrowed`]), with the dictionary they index; `None` for any other column. Read them
/// with [`for_each_code`]: widened to 32 bits first, a column of one-byte codes took
/// 4 bytes a row more while it was read (0.33 GiB at 100M mappings).
pub fn category_codes(column: &Column) -> PolarsResult<Option<(Arc<CategoricalMapping>, Column)>> {
    let DataType::Categorical(_, mapping) = column.dtype() else {
        return Ok(None);
    };
    Ok(Some((mapping.clone(), column.to_physical_repr())))
}

/// Each row's slot among the distinct values of `column`: their texts (a missing value's
/// slot last, `None`) and a slot a row. Worked out from a dictionary column's codes, its
/// texts read once per distinct value; other columns are hashed a value at a time.
pub fn value_slots(column: &Column) -> PolarsResult<(Vec<Option<String>>, Vec<IdxSize>)> {
    if let Some((mapping, codes)) = category_codes(column)? {
        return category_slots(&mapping, &codes);
    }
    let text = column.cast(&DataType::String)?;
    let mut index: PlHashMap<&str, IdxSize> = PlHashMap::new();
    let mut texts: Vec<Option<String>> = Vec::new();
    let mut slots: Vec<Option<IdxSize>> = Vec::with_capacity(text.len());
    for value in text.str()?.iter() {
        slots.push(value.map(|v| {
            *index.entry(v).or_insert_with(|| {
                texts.push(Some(v.to_string()));
                texts.len() as IdxSize - 1
            })
        }));
    }
    let missing = texts.len() as IdxSize;
    texts.push(None);
    Ok((
        texts,
        slots.into_iter().map(|s| s.unwrap_or(missing)).collect(),
    ))
}

/// A dictionary column's distinct values from its codes ([`category_codes`]): their texts,
/// in code order, a missing value's slot last (`None`), and each row's slot among them.
fn category_slots(
    mapping: &CategoricalMapping,
    codes: &Column,
) -> PolarsResult<(Vec<Option<String>>, Vec<IdxSize>)> {
    let distinct = codes.unique()?.cast(&DataType::UInt32)?;
    let mut distinct: Vec<u32> = distinct.u32()?.iter().flatten().collect();
    distinct.sort_unstable();
    let texts: Vec<Option<String>> = distinct
        .iter()
        .map(|c| mapping.cat_to_str(*c).map(str::to_string))
        .chain(std::iter::once(None))
        .collect();
    let missing = distinct.len() as IdxSize;
    let mut slots: Vec<IdxSize> = Vec::with_capacity(codes.len());
    for_each_code(codes, |_, code| {
        slots.push(match code {
            None => missing,
            Some(code) => distinct
                .binary_search(&code)
                .map_or(missing, |i| i as IdxSize),
        })
    })?;
    Ok((texts, slots))
}

/// `f` on each row's code of `codes` (a dictionary column's codes, [`category_codes`]),
/// as a 32-bit number, in row order.
pub fn for_each_code(codes: &Column, mut f: impl FnMut(usize, Option<u32>)) -> PolarsResult<()> {
    fn each<T>(codes: &ChunkedArray<T>, f: &mut impl FnMut(usize, Option<u32>))
    where
        T: PolarsIntegerType,
        T::Native: Into<u32>,
    {
        for (row, code) in codes.iter().enumerate() {
            f(row, code.map(Into::into));
        }
    }
    match codes.dtype() {
        DataType::UInt8 => each(codes.u8()?, &mut f),
        DataType::UInt16 => each(codes.u16()?, &mut f),
        _ => each(codes.u32()?, &mut f),
    }
    Ok(())
}

/// The rows of each value of a dictionary column (one value for every row, or a code a
/// row), nulls left out; `None` for a column of another type. Counted from the codes: a
/// group-by held each group's row numbers, 4 bytes a row (0.33 GiB at 100M mappings, the
/// peak of loading, then of missing data).
pub fn rows_per_category(
    column: &Column,
) -> PolarsResult<Option<std::collections::BTreeMap<String, u64>>> {
    let mut counted = std::collections::BTreeMap::new();
    if let Column::Scalar(one) = column {
        if !matches!(one.dtype(), DataType::Categorical(..)) {
            return Ok(None);
        }
        if one.is_empty() {
            return Ok(Some(counted));
        }
        let value = one.as_single_value_series().cast(&DataType::String)?;
        if let Some(value) = value.str()?.iter().next().flatten() {
            counted.insert(value.to_string(), one.len() as u64);
        }
        return Ok(Some(counted));
    }
    let Some((mapping, codes)) = category_codes(column)? else {
        return Ok(None);
    };
    // One- and two-byte codes are counted in an array; wider ones in a map, a run of one
    // code at a time (a file's rows are together).
    let mut dense = vec![
        0u64;
        if codes.dtype() == &DataType::UInt32 {
            0
        } else {
            1 << 16
        }
    ];
    let mut wide: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
    let mut run: Option<(u32, u64)> = None;
    for_each_code(&codes, |_, code| match code {
        Some(code) if (code as usize) < dense.len() => dense[code as usize] += 1,
        Some(code) => match run.as_mut() {
            Some((at, n)) if *at == code => *n += 1,
            _ => {
                if let Some((at, n)) = run.replace((code, 1)) {
                    *wide.entry(at).or_default() += n;
                }
            }
        },
        None => {}
    })?;
    if let Some((at, n)) = run {
        *wide.entry(at).or_default() += n;
    }
    let codes = dense.into_iter().enumerate().map(|(c, n)| (c as u32, n));
    for (code, n) in codes.chain(wide).filter(|(_, n)| *n > 0) {
        let value = mapping.cat_to_str(code).unwrap_or_default().to_string();
        *counted.entry(value).or_default() += n;
    }
    Ok(Some(counted))
}

/// `test`, an expression over the text of column `name`, worked out once per distinct
/// value of a dictionary column and spread to the rows by their codes, with `output` its
/// type: a cast of every row to text held 16 bytes a row (1.4 GiB of views at 100M
/// records) to answer a question about a handful of values. A column that is not a
/// dictionary is tested row by row, as `test` reads.
pub fn per_category(name: &str, test: Expr, output: DataType) -> Expr {
    let name = PlSmallStr::from(name);
    col(name.clone()).map(
        move |column: Column| per_category_column(&column, &name, test.clone()),
        move |_, field| Ok(Field::new(field.name().clone(), output.clone())),
    )
}

fn per_category_column(column: &Column, name: &PlSmallStr, test: Expr) -> PolarsResult<Column> {
    let evaluate = |frame: DataFrame| -> PolarsResult<Column> {
        let out = frame
            .lazy()
            .select([test.clone().alias(name.clone())])
            .collect()?;
        Ok(out.column(name)?.clone())
    };
    let Some((mapping, codes)) = category_codes(column)? else {
        return Ok(
            evaluate(DataFrame::new(column.len(), vec![column.clone()])?)?
                .with_name(column.name().clone()),
        );
    };
    // Each distinct code (null last) gets a slot; the test runs on their texts.
    let (texts, slots) = category_slots(&mapping, &codes)?;
    let answers = evaluate(DataFrame::new(
        texts.len(),
        vec![Column::new(name.clone(), texts)],
    )?)?;
    let slots = IdxCa::from_vec(column.name().clone(), slots);
    Ok(answers.take(&slots)?.with_name(column.name().clone()))
}

/// Joins the parts of a composite key: `id_1 = 10248`, `id_2 = 11` is the key `10248|11`.
/// A part's own `\` and `|` are escaped first (`\\`, `\|`), so ('A|B', 'C') and
/// ('A', 'B|C') stay two keys.
pub const KEY_SEPARATOR: &str = "|";

/// The white space trimmed from both ends of a key, here and in the SQL of
/// `collect --pushdown` (`collect::pushdown::trimmed`): space, tab, line feed, vertical tab,
/// form feed and carriage return, what every engine's SQL can strip alike. One rule for
/// every reader, so a key matches in a file exactly when it matches in a database.
pub const KEY_WHITESPACE: &str = " \t\n\u{0b}\u{0c}\r";

/// A key's text trimmed by [`KEY_WHITESPACE`].
pub fn trimmed_key(text: Expr) -> Expr {
    text.str().strip_chars(lit(KEY_WHITESPACE))
}

impl ColumnKind {
    fn dtype(self) -> DataType {
        match self {
            ColumnKind::Text | ColumnKind::Json | ColumnKind::Key | ColumnKind::Id => {
                DataType::String
            }
            // A UUID's kept text is a dictionary column: where it is mostly null (every
            // value canonical but a few), a 4-byte code a row, where null text took 16.
            ColumnKind::Uuid | ColumnKind::Category => category_dtype(),
            ColumnKind::Int | ColumnKind::Timestamp => DataType::Int64,
            ColumnKind::Float => DataType::Float64,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            ColumnKind::Text | ColumnKind::Category => "text",
            ColumnKind::Int => "a whole number of at most 15 digits",
            ColumnKind::Float => "a finite number",
            ColumnKind::Timestamp => {
                "an ISO 8601 timestamp such as 2026-03-01T08:15:00Z or 2026-03-01 08:15:00+01 \
                 (a whole number only with epoch_unit in migcov.yaml)"
            }
            ColumnKind::Json => "JSON",
            ColumnKind::Key => "a key",
            ColumnKind::Uuid => "a UUID",
            ColumnKind::Id => "an id",
        }
    }

    /// Whether the column is held as a UUID's halves, its upper-case bit and the text of
    /// the other values ([`Uuid`], [`Id`]).
    pub fn holds_halves(self) -> bool {
        matches!(self, ColumnKind::Uuid | ColumnKind::Id)
    }
}

/// One column of an export's contract.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: ColumnKind,
    pub required: bool,
    /// What the loaded frame keeps of the column: memory goes to the values that are used.
    pub keep: Keep,
}

/// What the loaded frame keeps of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every value.
    All,
    /// A JSON column's values that are not JSON, null elsewhere: the JSON rule lists those
    /// and nothing else reads the column, so the rest of the text is never held.
    Invalid,
    /// Nothing: no figure or rule reads the column. It is still checked (a value that does
    /// not convert stops the load); a text column, with nothing to check, is not read.
    Nothing,
}

const fn req(name: &'static str, kind: ColumnKind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: true,
        keep: Keep::All,
    }
}

const fn opt(name: &'static str, kind: ColumnKind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: false,
        keep: Keep::All,
    }
}

/// An optional column that is checked on load but used by nothing after it.
const fn checked(name: &'static str, kind: ColumnKind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: false,
        keep: Keep::Nothing,
    }
}

/// An optional JSON column of which only the values that are not JSON are kept.
const fn json_checked(name: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        kind: Json,
        required: false,
        keep: Keep::Invalid,
    }
}

use ColumnKind::*;

pub const METRICS: &[ColumnSpec] = &[
    opt("id", Text),
    req("script_id", Text),
    opt("entity_id", Text),
    req("execution_date", Timestamp),
    req("records_processed", Int),
    req("records_successful", Int),
    req("records_failed", Int),
    opt("records_skipped", Int),
    req("execution_time_ms", Int),
    opt("throughput_per_second", Float),
    opt("error_details", Json),
    opt("run_id", Text),
    // The run this one resumes: it processed only what that run left, so both count.
    opt("resumes_run_id", Text),
];

pub const LOGS: &[ColumnSpec] = &[
    opt("id", Text),
    req("script_id", Text),
    req("operation_type", Text),
    req("timestamp", Timestamp),
    req("level", Text),
    req("message", Text),
    opt("context", Json),
    opt("user_id", Text),
    opt("run_id", Text),
];

/// A mapping's `id` is read apart from its other columns (`load::MappingIds`).
pub const MAPPINGS: &[ColumnSpec] = &[
    req("entity_type", Category),
    req("legacy_id", Key),
    req("modern_id", Uuid),
    // Which legacy table the row came from, when entities of several tables share its
    // entity type (`measure::missing::Ownership`); few distinct values, so a dictionary.
    opt("legacy_table", Category),
    checked("migration_batch", Text),
    checked("migrated_at", Timestamp),
    json_checked("metadata"),
];

pub const MAPPING_IDS: &[ColumnSpec] = &[opt("id", Id)];

pub const INVENTORY: &[ColumnSpec] = &[req("table", Text), req("row_count", Int)];

pub const SOURCE_IDS: &[ColumnSpec] = &[req("id", Key)];

pub const ENTITIES: &[ColumnSpec] = &[
    opt("id", Text),
    req("name", Text),
    opt("domain_id", Text),
    opt("domain", Text),
    req("legacy_table", Text),
    req("target_table", Text),
    req("total_records", Int),
    req("migrated_records", Int),
    req("failed_records", Int),
    opt("migration_script_id", Text),
    opt("entity_type", Text),
];

/// How timestamps without a zone, and integer timestamps, are read (from `migcov.yaml`).
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    /// The zone of timestamps written without an offset; UTC when `None`.
    pub timezone: Option<TimeZone>,
    /// The unit of integer timestamps; without one they are an error.
    pub epoch_unit: Option<EpochUnit>,
    /// How much of a text file one slice reads ([`slices::SLICE_BYTES`] when 0); a Parquet
    /// slice is a row for every 16 bytes of it. The tests read their small fixtures in
    /// slices of a few bytes (`MIGCOV_SLICE_BYTES`), so every seam between slices is
    /// crossed by the same builds that check the figures.
    pub slice_bytes: usize,
}

impl TableOptions {
    /// How much of a text file one slice reads ([`slices::SLICE_BYTES`] unless set).
    pub(crate) fn slice_bytes(&self) -> usize {
        match self.slice_bytes {
            0 => slices::SLICE_BYTES,
            n => n,
        }
    }
}

/// Formats tried in turn for text timestamps that carry an offset, after [`normalise`]
/// (which turns `Z` into `+00:00` and a space after the date into `T`). `%#z` takes `+05`,
/// `+0530` and `+05:30`: PostgreSQL writes `timestamptz` as `2026-11-28 20:13:09.886579+00`.
const OFFSET_FORMATS: &[&str] = &["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%#z"];

/// Formats tried for text timestamps without a zone (MySQL's `DATETIME`, ISO without `Z`).
const LOCAL_FORMATS: &[&str] = &["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"];

/// Text timestamps in one shape: trimmed, `T` between date and time, `Z` as `+00:00`, no
/// space before an offset.
fn normalise(text: Expr) -> Expr {
    text.str()
        .strip_chars(lit(NULL))
        .str()
        .replace(lit(r"^(\d{4}-\d{2}-\d{2})[ tT]"), lit("${1}T"), false)
        .str()
        .replace(lit(r"[zZ]$"), lit("+00:00"), false)
        .str()
        .replace(lit(r"\s+([+-]\d{2}(:?\d{2})?)$"), lit("${1}"), false)
}

fn strptime(text: Expr, format: &str) -> Expr {
    text.str().to_datetime(
        Some(TimeUnit::Milliseconds),
        None,
        StrptimeOptions {
            format: Some(format.into()),
            strict: false,
            exact: true,
            // Exports repeat timestamps (a batch's rows share one): parse each text once.
            cache: true,
        },
        lit("raise"),
    )
}

/// A zone-less datetime read in the configured zone, as epoch milliseconds (UTC). A local
/// time that a DST change skips becomes null (reported as a bad value); one it repeats
/// takes the earlier instant.
fn local_to_utc(datetime: Expr, options: &TableOptions) -> Expr {
    match &options.timezone {
        None => datetime.dt().timestamp(TimeUnit::Milliseconds),
        Some(zone) => datetime
            .dt()
            .replace_time_zone(Some(zone.clone()), lit("earliest"), NonExistent::Null)
            .dt()
            .timestamp(TimeUnit::Milliseconds),
    }
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in epoch milliseconds: the instants an
/// ISO 8601 timestamp can write.
const FIRST_MS: i64 = -62_135_596_800_000;
const LAST_MS: i64 = 253_402_300_799_999;

/// Epoch milliseconds, null (a value that does not convert) outside [`FIRST_MS`] and
/// [`LAST_MS`]: a Parquet datetime in the year 10000 is as far from a date a page can show
/// as an epoch number is.
fn within_dates(millis: Expr) -> Expr {
    when(
        millis
            .clone()
            .gt_eq(lit(FIRST_MS))
            .and(millis.clone().lt_eq(lit(LAST_MS))),
    )
    .then(millis)
    .otherwise(lit(NULL).cast(DataType::Int64))
}

/// Epoch milliseconds from a whole number in `unit`; null (a value that does not convert)
/// outside the years 1 to 9999, the dates an ISO 8601 text can give: 2^63 - 1 seconds
/// times 1,000 wrapped round to some other date, accepted without a word.
fn epoch_to_millis(number: Expr, unit: EpochUnit) -> Expr {
    let number = number.cast(DataType::Int64);
    let (millis, first, last) = match unit {
        EpochUnit::S => (
            number.clone() * lit(1000i64),
            FIRST_MS / 1000,
            LAST_MS / 1000,
        ),
        EpochUnit::Ms => (number.clone(), FIRST_MS, LAST_MS),
        EpochUnit::Us => (
            number.clone() / lit(1000i64),
            FIRST_MS * 1000,
            LAST_MS * 1000 + 999,
        ),
        // Every 64-bit count of nanoseconds is within those years (1677 to 2262).
        EpochUnit::Ns => return number / lit(1_000_000i64),
    };
    when(
        number
            .clone()
            .gt_eq(lit(first))
            .and(number.lt_eq(lit(last))),
    )
    .then(millis)
    .otherwise(lit(NULL).cast(DataType::Int64))
}

/// How a fast format's values become UTC.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Zone {
    /// A literal `Z`: the time is UTC.
    Utc,
    /// An offset (`+00`, `+05:30`, `-0800`), as PostgreSQL and RFC 3339 write it.
    Offset,
    /// No zone: read in `migcov.yaml`'s `timezone`.
    Local,
}

/// The common shapes of text timestamps, each read by polars' parser in one pass: ISO 8601
/// with `Z`, with an offset (PostgreSQL's `timestamptz` text: `2026-03-01 08:15:00+00`) or
/// without a zone, `T` or a space.
const FAST_FORMATS: &[(&str, Zone)] = &[
    ("%Y-%m-%dT%H:%M:%S%.fZ", Zone::Utc),
    ("%Y-%m-%dT%H:%M:%SZ", Zone::Utc),
    ("%Y-%m-%dT%H:%M:%S%.f%#z", Zone::Offset),
    ("%Y-%m-%dT%H:%M:%S%#z", Zone::Offset),
    ("%Y-%m-%d %H:%M:%S%.f%#z", Zone::Offset),
    ("%Y-%m-%d %H:%M:%S%#z", Zone::Offset),
    ("%Y-%m-%dT%H:%M:%S%.f", Zone::Local),
    ("%Y-%m-%dT%H:%M:%S", Zone::Local),
    ("%Y-%m-%d %H:%M:%S%.f", Zone::Local),
    ("%Y-%m-%d %H:%M:%S", Zone::Local),
];

/// The rows whose first non-empty timestamp picks a column's format; a column empty that
/// far is read by the full parser.
const SNIFF_ROWS: IdxSize = 10_000;

/// The fast shape a column's first value has: an export writes its timestamps one way, so
/// the first pass parses with that one format instead of trying each on every row. A text
/// shape matches at most one format, so the choice never changes a value, only the speed;
/// values in any other shape are left for [`timestamp_text`].
fn sniff_format(lf: &LazyFrame, column: &str) -> Option<&'static str> {
    // Only the file's first rows are read: a filter before the limit would scan it all.
    let first = lf
        .clone()
        .limit(SNIFF_ROWS)
        .select([col(column).str().strip_chars(lit(NULL))])
        .filter(col(column).is_not_null())
        .limit(1)
        .collect()
        .ok()?;
    let value = first
        .column(column)
        .ok()?
        .str()
        .ok()?
        .iter()
        .flatten()
        .next()?;
    FAST_FORMATS
        .iter()
        .find(|(format, zone)| match zone {
            Zone::Offset => chrono::DateTime::parse_from_str(value, format).is_ok(),
            _ => chrono::NaiveDateTime::parse_from_str(value, format).is_ok(),
        })
        .map(|(format, _)| *format)
}

/// The first pass over a text timestamp column: the sniffed fast format only (nothing when
/// none matched). What it leaves unparsed goes to [`timestamp_text`], which [`load_file`]
/// runs only on a column where this pass left a value unread.
fn timestamp_fast(c: Expr, format: Option<&str>, options: &TableOptions) -> Expr {
    let Some((format, zone)) = FAST_FORMATS.iter().find(|(f, _)| Some(*f) == format) else {
        return lit(NULL).cast(DataType::Int64);
    };
    let parsed = strptime(c.str().strip_chars(lit(NULL)), format);
    // In UTC within the years 1 to 9999, as a Parquet datetime or an epoch must be: an
    // offset could carry `9999-12-31T23:59:59-01:00` into the year 10000, shown as
    // `+10000-…` (found by an independent check).
    within_dates(match zone {
        Zone::Utc | Zone::Offset => parsed.dt().timestamp(TimeUnit::Milliseconds),
        Zone::Local => local_to_utc(parsed, options),
    })
}

/// Every accepted text shape (offsets, epochs with a declared unit): slower, so only for a
/// column the fast pass could not read whole.
fn timestamp_text(c: Expr, options: &TableOptions) -> Expr {
    let text = normalise(c);
    let mut attempts: Vec<Expr> = OFFSET_FORMATS
        .iter()
        .map(|f| {
            strptime(text.clone(), f)
                .dt()
                .timestamp(TimeUnit::Milliseconds)
        })
        .collect();
    attempts.extend(
        LOCAL_FORMATS
            .iter()
            .map(|f| local_to_utc(strptime(text.clone(), f), options)),
    );
    if let Some(unit) = options.epoch_unit {
        let digits = text.clone().str().contains(lit(r"^-?\d+$"), false);
        attempts.push(
            when(digits)
                .then(epoch_to_millis(text.cast(DataType::Int64), unit))
                .otherwise(lit(NULL).cast(DataType::Int64)),
        );
    }
    within_dates(coalesce(&attempts))
}

/// The expression turning a timestamp column of dtype `found` into epoch milliseconds
/// (UTC); anything that is not a timestamp becomes null, which [`check_conversion`]
/// reports.
fn timestamp(c: Expr, found: &DataType, sniffed: Option<&str>, options: &TableOptions) -> Expr {
    match found {
        DataType::String => timestamp_fast(c, sniffed, options),
        DataType::Datetime(_, Some(_)) => within_dates(c.dt().timestamp(TimeUnit::Milliseconds)),
        DataType::Datetime(_, None) => within_dates(local_to_utc(c, options)),
        other if other.is_integer() => match options.epoch_unit {
            Some(unit) => epoch_to_millis(c, unit),
            None => lit(NULL).cast(DataType::Int64),
        },
        _ => lit(NULL).cast(DataType::Int64),
    }
}

/// A table file as polars reads it: CSV with every column as text, its path never a glob.
pub(crate) fn scan(file: &InputFile, format: TableFormat) -> PolarsResult<LazyFrame> {
    let path = PlRefPath::try_from_path(&file.path)?;
    match format {
        TableFormat::Csv => LazyCsvReader::new(path)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_glob(false)
            .finish(),
        TableFormat::Parquet => {
            let mut lf = LazyFrame::scan_parquet(
                path,
                ScanArgsParquet {
                    glob: false,
                    ..Default::default()
                },
            )?;
            // A dictionary-encoded text column (pandas' `category`, polars' Categorical)
            // is read as the text it holds: as a dictionary, it was neither trimmed nor
            // tested for emptiness as a key, and a count read its codes (`'100'` as 0;
            // found by an independent check).
            let schema = lf.collect_schema()?;
            let mut dictionary: Vec<Expr> = schema
                .iter()
                .filter(|(_, dtype)| dtype.is_categorical() || dtype.is_enum())
                .map(|(name, _)| col(name.clone()).cast(DataType::String))
                .collect();
            // A column of Parquet's `UUID` logical type (DuckDB's `UUID`) is the UUIDs its
            // 16 bytes are, in every column it is read as: read as text, bytes that happen
            // to be printable (about 5 UUIDs in a million, and any of ASCII-like bytes)
            // were that text, a key that met no mapping written as the UUID's text (found
            // by an independent check).
            for name in parquet_uuid_columns(&file.path)? {
                if schema.get(name.as_str()) == Some(&DataType::Binary) {
                    dictionary.push(bytes_text(col(name.as_str()), BytesAs::Uuid).alias(name));
                }
            }
            match dictionary.is_empty() {
                true => Ok(lf),
                false => Ok(lf.with_columns(dictionary)),
            }
        }
        TableFormat::Ndjson => scan_ndjson(&file.path),
    }
}

/// The top-level columns of a Parquet file of the `UUID` logical type, which polars reads
/// as bytes.
fn parquet_uuid_columns(path: &std::path::Path) -> PolarsResult<Vec<String>> {
    use polars_parquet::parquet::schema::types::PrimitiveLogicalType;
    let mut reader = ParquetReader::new(std::fs::File::open(path)?);
    Ok(reader
        .get_metadata()?
        .schema_descr
        .columns()
        .iter()
        .filter(|c| c.path_in_schema.len() == 1)
        .filter(|c| c.descriptor.primitive_type.logical_type == Some(PrimitiveLogicalType::Uuid))
        .map(|c| c.path_in_schema[0].to_string())
        .collect())
}

/// [`scan`], every row of it read whatever columns a query reads: a CSV file's last column
/// is always parsed (found by an independent check). Past the last column a query reads,
/// polars' parser skips to the line's end counting every quote, so a quote inside an
/// unread last value (`12" pipe`) ran on through the next lines and their rows were lost
/// without an error. A filter that keeps every row but reads the column keeps it in the
/// projection. (Not in [`scan`] itself: a filter stops a query's first rows being read
/// alone, and a timestamp column's format is sniffed from them.)
pub(crate) fn scan_every_row(file: &InputFile, format: TableFormat) -> PolarsResult<LazyFrame> {
    let mut lf = scan(file, format)?;
    if format != TableFormat::Csv {
        return Ok(lf);
    }
    let last = lf.collect_schema()?.iter_names().last().cloned();
    Ok(match last {
        Some(last) => lf.filter(col(last.clone()).is_null().or(col(last).is_not_null())),
        None => lf,
    })
}

/// An NDJSON file, read from its bytes: polars takes an NDJSON path as a glob pattern
/// (with no way to say otherwise), and a folder named `export[1]` or `data*` is a folder.
/// Its types are inferred from every line: from the first 100 (polars' default), a
/// `legacy_id` that is a number on 100 lines and `"ALFKI"` on the 101st, a column null
/// on 100 lines, or `25.0` past line 100 failed a valid file (found by an independent
/// check).
/// Where a key's values have no common type over the lines (an extra column holding an
/// object on one line and `[]` on another, as PHP's `json_encode` writes an empty object),
/// that key alone is typed by the first 100 lines, as before (such a column is one migcov
/// ignores: a regression found by an independent check), or by its first value when it is
/// first given later; every other key is still typed by every line ([`every_key_schema`]).
pub fn scan_ndjson(path: &std::path::Path) -> PolarsResult<LazyFrame> {
    let text = ndjson_text(path)?;
    let mut every = scan_ndjson_text(text.clone(), Some(0))?;
    if every.collect_schema().is_ok() {
        return Ok(every);
    }
    // A line that is no JSON is named by its number (polars names a character offset
    // only); past line 100 it would otherwise fail later, in the read.
    if let Some((line, message)) = super::json_keys::first_invalid_line(&text) {
        return Err(PolarsError::ComputeError(
            format!("line {line}: not a JSON value: {message}").into(),
        ));
    }
    let mut first = scan_ndjson_text(text.clone(), None)?;
    let first_schema = first.collect_schema()?;
    match every_key_schema(&text, &first_schema) {
        Ok(schema) => {
            LazyJsonLineReader::new_with_sources(ScanSources::Buffers(std::sync::Arc::from([text])))
                .with_schema(Some(std::sync::Arc::new(schema)))
                .finish()
        }
        Err(_) => Ok(first),
    }
}

/// Each key's type over every line of an NDJSON text, keys in the order first given:
/// polars' common type of its values where they have one, else its type in `first` (the
/// first 100 lines' schema), else the type of its first value (a column migcov reads is
/// then refused at the first value of another type, naming its line and key; left out,
/// `records_skipped` given as `3` and later as `[3]` read as absent, found by an
/// independent review). The first 100 lines typed the whole file before, and a key first
/// given past line 100 was dropped with no word, `legacy_id` too (found by an independent
/// check).
fn every_key_schema(text: &[u8], first: &Schema) -> PolarsResult<Schema> {
    let mut reader = std::io::Cursor::new(text);
    // Per key, its first type and the common type so far (`None`: there is none).
    let mut keys: PlIndexMap<PlSmallStr, (DataType, Option<DataType>)> = PlIndexMap::default();
    for line in polars_json::ndjson::iter_unique_dtypes(&mut reader, None)? {
        let DataType::Struct(fields) = DataType::from_arrow_dtype(&line) else {
            return Err(polars_err!(ComputeError: "an NDJSON line is not an object"));
        };
        for field in fields {
            let (name, dtype) = (field.name().clone(), field.dtype().clone());
            match keys.get_mut(&name) {
                None => {
                    keys.insert(name, (dtype.clone(), Some(dtype)));
                }
                Some((_, common)) => {
                    *common = common
                        .as_ref()
                        .and_then(|t| polars_core::utils::try_get_supertype(t, &dtype).ok());
                }
            }
        }
    }
    Ok(keys
        .into_iter()
        .map(|(name, (first_type, common))| {
            let dtype = common
                .or_else(|| first.get(&name).cloned())
                .unwrap_or(first_type);
            Field::new(name, dtype)
        })
        .collect())
}

/// [`scan_ndjson`], its types inferred from the first `rows` rows (`None`: polars' default
/// of 100; `Some(0)`: every row, as a rows file of the content comparison needs, whose
/// column may change type after row 100).
pub fn scan_ndjson_inferring(
    path: &std::path::Path,
    rows: Option<usize>,
) -> PolarsResult<LazyFrame> {
    scan_ndjson_text(ndjson_text(path)?, rows)
}

/// An NDJSON file's text, past a byte order mark; refused when an object names a key twice
/// ([`super::json_keys`]).
fn ndjson_text(path: &std::path::Path) -> PolarsResult<polars_buffer::Buffer<u8>> {
    let mut bytes = std::fs::read(path).map_err(|e| PolarsError::IO {
        error: std::sync::Arc::new(e),
        msg: Some(format!("{}", path.display()).into()),
    })?;
    // A byte order mark, as some editors write one, is no JSON: read past it.
    if bytes.starts_with(super::slices::BOM) {
        bytes.drain(..super::slices::BOM.len());
    }
    use super::json_keys::LineProblem;
    match super::json_keys::line_problem(&bytes) {
        Some((line, LineProblem::RepeatedKey(key))) => {
            return Err(PolarsError::ComputeError(
                format!(
                    "line {line}: an object names the key `{key}` twice; which value is meant \
                     is ambiguous (polars keeps the first, JavaScript and Python the last): \
                     write each key once"
                )
                .into(),
            ))
        }
        Some((line, LineProblem::TooDeep)) => {
            return Err(PolarsError::ComputeError(
                format!(
                    "line {line}: a value nests objects or lists more than 128 levels deep, \
                     past what migcov reads"
                )
                .into(),
            ))
        }
        None => {}
    }
    Ok(polars_buffer::Buffer::from_vec(bytes))
}

fn scan_ndjson_text(
    text: polars_buffer::Buffer<u8>,
    rows: Option<usize>,
) -> PolarsResult<LazyFrame> {
    let sources = ScanSources::Buffers(std::sync::Arc::from([text]));
    let reader = LazyJsonLineReader::new_with_sources(sources);
    match rows {
        None => reader.finish(),
        Some(0) => reader.with_infer_schema_length(None).finish(),
        Some(n) => reader
            .with_infer_schema_length(std::num::NonZeroUsize::new(n))
            .finish(),
    }
}

/// How a binary column's values are read as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytesAs {
    /// Lower-case hex, as `collect` writes a binary column (never read as UTF-8, which
    /// would make equal bytes differ, or fail): a compared value.
    Hex,
    /// A UUID column: 16 bytes as the UUID they are, a UUID's text written as bytes as
    /// that text, anything else as hex.
    Uuid,
    /// A text column or key: the text the bytes hold (older Hive and Spark write strings as
    /// bytes), else 16 bytes as the UUID they are (DuckDB writes UUIDs so), else hex. Each
    /// value alone, so the same bytes read alike in every file, slice and row group; a
    /// UUID's bytes are text only by a rare chance (`00000000-…-000000000001`, fifteen
    /// NULs and a 1, is control characters: a UUID).
    Text,
    /// Text of a known type (Parquet's `JSON`): the UTF-8 text the bytes hold, line breaks
    /// and all, else hex.
    Utf8,
}

/// Bytes that are text: valid UTF-8 without control characters (a tab aside), which a
/// UUID's random bytes almost never are.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| !t.chars().any(|c| c.is_control() && c != '\t'))
}

/// A binary column's values as text, read as `how` says.
pub fn bytes_text(value: Expr, how: BytesAs) -> Expr {
    value.map(
        move |column: Column| {
            let values = column.binary()?;
            let uuids = how == BytesAs::Uuid;
            let out: StringChunked = values
                .iter()
                .map(|v| {
                    v.map(|bytes| match uuid::Uuid::from_slice(bytes) {
                        _ if how == BytesAs::Hex => hex::encode(bytes),
                        _ if how == BytesAs::Utf8 => match std::str::from_utf8(bytes) {
                            Ok(text) => text.to_string(),
                            Err(_) => hex::encode(bytes),
                        },
                        Ok(id) if uuids => id.hyphenated().to_string(),
                        _ if is_text(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                        Ok(id) => id.hyphenated().to_string(),
                        Err(_) => hex::encode(bytes),
                    })
                })
                .collect();
            Ok(out.with_name(column.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

/// The expression turning a column of dtype `found` into the spec's canonical type; invalid
/// values become null, which [`check_conversion`] then reports.
fn convert(
    spec: &ColumnSpec,
    found: &DataType,
    sniffed: Option<&str>,
    options: &TableOptions,
) -> Expr {
    let c = col(spec.name);
    let text = matches!(found, DataType::String);
    // An object or a list (NDJSON `{"a": 1}`, a Parquet struct) is no text, number or time:
    // a `run_id` given as an object was read as `{1}` (found by an independent check).
    if found.is_nested() && spec.kind != Json {
        return lit(NULL).cast(spec.kind.dtype());
    }
    match spec.kind {
        // Bytes: in a UUID column (a Parquet UUID, as DuckDB writes one, is 16 of them)
        // the UUID they are; in a text column, the UTF-8 text they hold (older Hive and
        // Spark write strings as bytes), else a UUID's 16 bytes as the UUID, else hex.
        // Never a failure for bytes that are no UTF-8.
        Text | Uuid | Id | Key | Category if matches!(found, DataType::Binary) => {
            let text = match spec.kind {
                Uuid => bytes_text(c, BytesAs::Uuid),
                _ => bytes_text(c, BytesAs::Text),
            };
            match spec.kind {
                Category => text.cast(category_dtype()),
                // A key as a text column's: trimmed, empty once trimmed no key.
                Key => {
                    let key = trimmed_key(text);
                    when(key.clone().str().len_bytes().eq(lit(0u32)))
                        .then(lit(NULL).cast(DataType::String))
                        .otherwise(key)
                }
                _ => text,
            }
        }
        // A float column's whole numbers as the integers they hold, as a key's are: pandas
        // writes an integer `resumes_run_id` with a gap as floats, and `1.0` resumed no
        // run `1` (found by an independent check).
        Text | Id if found.is_float() => key_text(c, Some(found)),
        Text | Uuid | Id => c.cast(DataType::String),
        Category => c.cast(DataType::String).cast(category_dtype()),
        // Only text can carry spaces to trim; a number's text has none. An integer is
        // held as one ([`narrow_keys`] turns whole-number text into numbers a slice at a
        // time); one that may not fit (an unsigned 64-bit or a 128-bit integer, as NDJSON
        // reads one past 2^63) goes through its text.
        // Empty once trimmed is no key: a missing value, as an empty cell is (`""` and
        // `"  "` in a source id and a mapping would otherwise meet and count as migrated).
        Key if text => {
            let key = trimmed_key(c);
            when(key.clone().str().len_bytes().eq(lit(0u32)))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(key)
        }
        // A float key (pandas writes an integer column with a null as float64) is the
        // integer it holds when it holds one: `1001.0` is key 1001; any other value keeps
        // its text, which no integer key equals.
        Key if found.is_float() => key_text(c, Some(found)),
        Key if found.is_integer()
            && !matches!(
                found,
                DataType::UInt64 | DataType::Int128 | DataType::UInt128
            ) =>
        {
            c.cast(DataType::Int64)
        }
        Key => c.cast(DataType::String),
        Json => match found {
            DataType::Struct(_) => c.struct_().json_encode(),
            // A list (`"error_details": [1, 2]`), which polars casts to no text: encoded
            // as the one member of an object, `{"v":` and `}` then cut off.
            DataType::List(_) | DataType::Array(..) => {
                let wrapped = as_struct(vec![c.clone().alias("v")])
                    .struct_()
                    .json_encode();
                // `slice` counts characters, not bytes (`["é"]` kept a byte of the `}`).
                when(c.is_not_null())
                    .then(wrapped.clone().str().slice(
                        lit(5),
                        wrapped.str().len_chars().cast(DataType::Int64) - lit(6),
                    ))
                    .otherwise(lit(NULL).cast(DataType::String))
            }
            // Bytes as a text column's are read (never a failure for bytes that are no
            // UTF-8: their hex, which is no JSON, a finding naming the row).
            DataType::Binary => bytes_text(c, BytesAs::Text),
            _ => c.cast(DataType::String),
        },
        // A boolean is no count (polars would read true as 1), nor is an instant (polars
        // would read its epoch units): every value unread. A duration counts its
        // milliseconds, whatever its unit (`execution_time_ms`).
        Int | Float
            if matches!(found, DataType::Boolean)
                || (found.is_temporal()
                    && !(matches!(found, DataType::Duration(_))
                        && spec.name == "execution_time_ms")) =>
        {
            lit(NULL).cast(spec.kind.dtype())
        }
        Int | Float => {
            let number = if text {
                c.clone()
                    .str()
                    .strip_chars(lit(NULL))
                    .cast(spec.kind.dtype())
            } else if matches!(found, DataType::Duration(_)) {
                c.clone()
                    .dt()
                    .total_milliseconds(true)
                    .cast(spec.kind.dtype())
            } else {
                c.clone().cast(spec.kind.dtype())
            };
            // Out of range is not a number here: NaN and ±inf would hang a chart's axis, a
            // count past MAX_COUNT could overflow a sum. Both become null and are reported.
            let in_range = match spec.kind {
                // A float (NDJSON `9.9`, a Parquet double) or a decimal (`9.99`) is a
                // count only when whole: the cast would truncate it.
                Int if found.is_float() || found.is_decimal() => {
                    number.clone().abs().lt_eq(lit(MAX_COUNT)).and(
                        number
                            .clone()
                            .cast(DataType::Float64)
                            .eq(c.cast(DataType::Float64)),
                    )
                }
                // A duration (`execution_time_ms`) in whole milliseconds only.
                Int if matches!(found, DataType::Duration(_)) => {
                    let ms = c.clone().dt().total_milliseconds(true);
                    ms.clone()
                        .abs()
                        .lt_eq(lit(MAX_COUNT as f64))
                        .and(ms.clone().floor().eq(ms))
                }
                Int => number.clone().abs().lt_eq(lit(MAX_COUNT)),
                _ => number.clone().is_finite(),
            };
            when(in_range)
                .then(number)
                .otherwise(lit(NULL).cast(spec.kind.dtype()))
        }
        Timestamp => timestamp(c, found, sniffed, options),
    }
}

/// Runs a reader, turning its panic into an error naming the file: polars panics on some
/// column types it cannot read (NDJSON integers past 2^63, Parquet decimals, extension
/// types), and a file is never a crash.
fn guarded<T>(
    file: &InputFile,
    read: impl FnOnce() -> Result<T, LoadError>,
) -> Result<T, LoadError> {
    crate::error::caught(read).unwrap_or_else(|message| {
        Err(LoadError::table(
            &file.relative,
            format!("a column of a type migcov cannot read ({message})"),
        ))
    })
}

/// Loads every file of one kind into a single frame with the spec's columns (absent optional
/// columns are null) plus `__file` and `__row`, files in the order given.
pub fn load_table(
    files: &[&InputFile],
    specs: &[ColumnSpec],
    options: &TableOptions,
) -> Result<DataFrame, LoadError> {
    let mut frames = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for file in files {
        let loaded = file
            .kind
            .table_format()
            .ok_or_else(|| LoadError::table(&file.relative, "not a CSV, Parquet or NDJSON file"))
            .and_then(|format| guarded(file, || load_file(file, format, specs, options)));
        // Every file is tried, so one run names every file to fix.
        match loaded {
            Ok(frame) => frames.push(frame),
            Err(e) => errors.push(e),
        }
    }
    if let Some(error) = LoadError::gather(errors) {
        return Err(error);
    }
    if frames.is_empty() {
        return Ok(empty_frame(specs));
    }
    // The files stacked as a file's slices are: keys that are numbers in one file and
    // text in another become text, and a column no file has stays one null.
    let combined = stack(frames).map_err(|e| LoadError::table(&files[0].relative, e))?;
    // Every later pass (joins, hashes, sorts) is faster over one chunk per column, and
    // polars joins a frame's chunks whole whenever its columns are chunked apart (a column
    // that is one value for the whole file counts as one chunk).
    let mut combined = combined;
    // Column by column, each column's chunks handed back to the system as soon as its
    // copy is made: glibc keeps freed blocks of this size, and at 10M CSV mappings the
    // chunks of every column, kept until the load ended, were 0.45 GB of its peak; each
    // chunk is freed as it is copied ([`one_chunk`]). A [`ColumnKind::Category`] column,
    // and a UUID's kept text, is written anew in one- or two-byte codes where it can be
    // ([`narrowed`]), in one chunk or several (the same type whatever the size of the
    // input); every reader takes its text or codes at any width. Not `__file`: frames of
    // several tables are stacked by it (missing data's ids), and a dictionary of its own
    // meets no other.
    let category = |name: &str| {
        specs
            .iter()
            .any(|s| s.name == name && matches!(s.kind, ColumnKind::Category | ColumnKind::Uuid))
    };
    let chunked: Vec<PlSmallStr> = combined
        .columns()
        .iter()
        .filter(|c| c.n_chunks() > 1 || (category(c.name()) && matches!(c, Column::Series(_))))
        .map(|c| c.name().clone())
        .collect();
    for name in chunked {
        combined
            .column(&name)
            .and_then(|c| match category(&name) {
                true => narrowed(c),
                false => Ok(c.clone()),
            })
            .and_then(|c| {
                let at = combined.get_column_index(&name).unwrap_or(0);
                // Taken out first, so the frame holds no second handle on its chunks.
                drop(combined.drop_in_place(&name)?);
                combined.insert_column(at, one_chunk(c)?).map(|_| ())
            })
            .map_err(|e| LoadError::table(&files[0].relative, e))?;
        crate::memory::release_freed_memory();
    }
    // Each count is at most MAX_COUNT, but enough of them could still overflow a sum: a
    // column whose magnitudes add up past 2^62 cannot be counted exactly, and says so.
    for spec in specs.iter().filter(|s| s.kind == Int) {
        let total = combined
            .clone()
            .lazy()
            .select([col(spec.name)
                .cast(DataType::Float64)
                .abs()
                .sum()
                .alias("t")])
            .collect()
            .ok()
            .and_then(|t| t.column("t").ok()?.f64().ok()?.get(0))
            .unwrap_or(0.0);
        if total > 4.6e18 {
            let names: Vec<String> = files
                .iter()
                .map(|f| f.relative.display().to_string())
                .collect();
            return Err(LoadError::table(
                &files[0].relative,
                format!(
                    "column `{}` adds up to {total:e} over {}: too large to count exactly",
                    spec.name,
                    names.join(", ")
                ),
            ));
        }
    }
    Ok(combined)
}

/// Whether a file holds nothing but white space (read only when it is small).
pub(crate) fn blank_file(path: &std::path::Path) -> std::io::Result<bool> {
    use std::io::Read;
    // Read until the first byte that is not white space (a byte order mark aside): the
    // first of a real export, however large a blank one is.
    let mut reader = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut start = [0u8; 3];
    let read = reader.read(&mut start)?;
    let rest = match start[..read] == *super::slices::BOM {
        true => &[][..],
        false => &start[..read],
    };
    if !rest.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    for byte in reader.bytes() {
        if !byte?.is_ascii_whitespace() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Reads one export file: checks its columns, plans how each is converted, reads the file
/// through that plan, then finishes what the plan leaves for after the read.
fn load_file(
    file: &InputFile,
    format: TableFormat,
    specs: &[ColumnSpec],
    options: &TableOptions,
) -> Result<DataFrame, LoadError> {
    let shown = &file.relative;
    // An empty NDJSON file (or one of blank lines) is how NDJSON writes an empty table:
    // zero rows, as a CSV header with no rows is. polars cannot infer its columns.
    if format == TableFormat::Ndjson
        && blank_file(&file.path).map_err(|e| LoadError::Io {
            path: shown.clone(),
            source: e,
        })?
    {
        return Ok(empty_frame(specs));
    }
    let read = || -> Result<DataFrame, LoadError> {
        let opened = open(file, format, specs)?;
        let plan = plan_columns(&opened, specs, options);
        let mut df = read_planned(&opened, &plan, specs, options)?;
        let flagged = side_pass(&opened, &plan, specs, options, &mut df)?;
        let df = with_file_column(df, shown)?;
        reread_unconverted(&opened, &plan, &flagged, df, options)
    };
    read().map_err(|e| located(file, format, e))
}

/// Whether a table file has a column `name` (by that exact name, as the loader reads its
/// columns); an empty NDJSON file has none.
pub(crate) fn has_column(file: &InputFile, name: &str) -> Result<bool, LoadError> {
    let format = file
        .kind
        .table_format()
        .ok_or_else(|| LoadError::table(&file.relative, "not a CSV, Parquet or NDJSON file"))?;
    if format == TableFormat::Ndjson
        && blank_file(&file.path).map_err(|e| LoadError::Io {
            path: file.relative.clone(),
            source: e,
        })?
    {
        return Ok(false);
    }
    let opened = open(file, format, &[])?;
    Ok(opened.schema.get(name).is_some())
}

/// An NDJSON value polars could not read as its column's type, named by its line and key
/// ([`super::json_keys::mistyped_value`]): polars names neither.
fn located(file: &InputFile, format: TableFormat, error: LoadError) -> LoadError {
    match error {
        LoadError::Table { path, message }
            if format == TableFormat::Ndjson
                && (message.contains("cannot parse '")
                    || message.contains("while building Series of type")) =>
        {
            let found = std::fs::read(&file.path)
                .ok()
                .and_then(|text| super::json_keys::mistyped_value(&text, &message));
            let message = match found {
                Some((line, key)) => format!(
                    "line {line}: key `{key}`: {message} (the key holds values of another type on other lines)"
                ),
                None => message,
            };
            LoadError::Table { path, message }
        }
        error => error,
    }
}

/// The columns of a Parquet file that are decimals polars cannot hold (more than 38 digits,
/// `decimal256`), by name, in file order; none when the schema itself cannot be read.
fn unreadable_parquet_columns(path: &std::path::Path) -> Vec<String> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let Ok(schema) = ParquetReader::new(file).schema() else {
        return Vec::new();
    };
    schema
        .iter_values()
        .filter(|field| match field.dtype() {
            ArrowDataType::Decimal256(..) => true,
            ArrowDataType::Decimal(precision, _) => *precision > 38,
            _ => false,
        })
        .map(|field| field.name.to_string())
        .collect()
}

/// The error naming a Parquet file's decimal columns of more than 38 digits.
fn wide_decimals(shown: &std::path::Path, columns: &[String]) -> LoadError {
    LoadError::table(
        shown,
        format!(
            "column {}: a decimal of more than 38 digits, which migcov cannot read; write it \
             as a decimal of at most 38 digits, an integer or text",
            columns
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// An export file opened for reading: its lazy scan and its schema.
struct Opened<'a> {
    file: &'a InputFile,
    format: TableFormat,
    lf: LazyFrame,
    schema: SchemaRef,
}

/// The names a CSV file's header gives more than once, read from the header itself:
/// polars reads a repeated name's second column as `<name>_duplicated_0`, a name a real
/// column may also have (found by an independent check). Blank lines and a byte-order
/// mark before the header are skipped, as the readers skip them.
pub fn repeated_csv_columns(path: &std::path::Path) -> std::io::Result<Vec<String>> {
    Ok(repeated_names(&csv_header_names(path)?))
}

/// The names a header gives more than once, each once, in order.
pub fn repeated_names(names: &[String]) -> Vec<String> {
    let mut repeated: Vec<String> = names
        .iter()
        .enumerate()
        .filter(|(i, n)| names[..*i].contains(n))
        .map(|(_, n)| n.clone())
        .collect();
    repeated.dedup();
    repeated
}

/// A CSV file's header names as polars' reader ends its records (at a line break alone),
/// past blank lines and a byte order mark; none for a file of no line.
pub fn csv_header_names(path: &std::path::Path) -> std::io::Result<Vec<String>> {
    // Records end at a line break alone, as polars' reader ends them: a lone carriage
    // return inside the header is part of a name (the csv crate's default ended the
    // header there, and a repeat after it went unseen; found by an independent check).
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)?;
    let mut record = csv::ByteRecord::new();
    let header = loop {
        if !reader
            .read_byte_record(&mut record)
            .map_err(std::io::Error::other)?
        {
            return Ok(Vec::new());
        }
        if !(record.len() == 1 && record[0].is_empty()) {
            break &record;
        }
    };
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = match i {
                0 => name.strip_prefix(slices::BOM).unwrap_or(name),
                _ => name,
            };
            // A CRLF header's last name ends with the carriage return.
            let name = match i + 1 == header.len() {
                true => name.strip_suffix(b"\r").unwrap_or(name),
                false => name,
            };
            String::from_utf8_lossy(name).into_owned()
        })
        .collect();
    Ok(names)
}

/// Scans the file and checks that it has every required column (or a required key's parts).
fn open<'a>(
    file: &'a InputFile,
    format: TableFormat,
    specs: &[ColumnSpec],
) -> Result<Opened<'a>, LoadError> {
    let shown = &file.relative;
    // polars names no column when a Parquet column is a decimal of more than 38 digits:
    // in the schema's error, or in the read's, which the schema lets through.
    let wide = || match format {
        TableFormat::Parquet => unreadable_parquet_columns(&file.path),
        _ => Vec::new(),
    };
    let refused = |e: PolarsError| match wide().as_slice() {
        [] => LoadError::table(shown, e),
        columns => wide_decimals(shown, columns),
    };
    let mut lf = scan(file, format).map_err(refused)?;
    let schema = lf.collect_schema().map_err(refused)?;
    // Only a column migcov reads: any other is ignored, as every extra column is.
    if schema
        .iter_values()
        .any(|d| matches!(d, DataType::Decimal(..)))
    {
        let read: Vec<String> = specs
            .iter()
            .flat_map(|spec| {
                key_parts(spec, &schema)
                    .into_iter()
                    .chain([spec.name.into()])
            })
            .collect();
        let wide: Vec<String> = wide()
            .into_iter()
            .filter(|column| read.contains(column))
            .collect();
        if !wide.is_empty() {
            return Err(wide_decimals(shown, &wide));
        }
    }
    // A carriage return inside a header name is how a file whose lines end in a carriage
    // return alone (classic Mac OS) reads: its whole text one header line, no row at all.
    // Loaded as it is, every row of it was silently lost (found by an independent check).
    if format == TableFormat::Csv {
        if let Some(problem) = lone_carriage_return(schema.iter_names().map(|n| n.as_str())) {
            return Err(LoadError::table(shown, problem));
        }
    }
    // A column read under one name that the header gives twice: which holds the values
    // cannot be told, so neither is read.
    let repeated = match format {
        TableFormat::Csv => {
            repeated_csv_columns(&file.path).map_err(|e| LoadError::table(shown, e))?
        }
        _ => Vec::new(),
    };
    if let Some(spec) = specs.iter().find(|s| repeated.iter().any(|r| r == s.name)) {
        return Err(LoadError::table(
            shown,
            format!(
                "the header names column `{}` more than once: which one holds the values cannot be told",
                spec.name
            ),
        ));
    }
    if let Some(problem) = specs
        .iter()
        .find_map(|spec| unclear_key_columns(spec, &schema))
    {
        return Err(LoadError::table(shown, problem));
    }
    for spec in specs.iter().filter(|s| s.required) {
        if schema.get(spec.name).is_none() && key_parts(spec, &schema).is_empty() {
            return Err(LoadError::MissingColumn {
                path: shown.clone(),
                column: spec.name.to_string(),
                found: shown_names(schema.iter_names().map(|n| n.as_str())),
            });
        }
    }
    Ok(Opened {
        file,
        format,
        lf,
        schema,
    })
}

/// How a file's columns are read, planned from its schema before any row is.
struct ColumnPlan {
    /// What each slice of the file is read through: `__row`, the converted columns and
    /// their flags.
    exprs: Vec<Expr>,
    /// The columns that convert (numbers, timestamps), with their type in the file and the
    /// timestamp format sniffed: each has a flag `__unread_<name>`.
    checked: Vec<(ColumnSpec, DataType, Option<&'static str>)>,
    /// A Parquet file's JSON columns kept only where they are not JSON, found by the
    /// side pass.
    invalid_json_later: Vec<ColumnSpec>,
    /// A Parquet file's tests of columns not kept whole, read in a pass of their own.
    side: Vec<Expr>,
    /// The UUID columns kept, split into halves and text as each slice is read.
    uuids: Vec<ColumnSpec>,
}

/// Each converted column, and for a column that converts (numbers, timestamps) a flag
/// `__unread_<name>`: a value was given but did not convert. The flags replace a text copy
/// of every such value; the text is read again only for a column with a flag set.
fn plan_columns(opened: &Opened, specs: &[ColumnSpec], options: &TableOptions) -> ColumnPlan {
    let (lf, schema, format) = (&opened.lf, &opened.schema, opened.format);
    let mut exprs = vec![col(ROW_COL).cast(IDX_DTYPE)];
    let mut checked = Vec::new();
    let mut invalid_json_later = Vec::new();
    let mut side = Vec::new();
    let mut uuids = Vec::new();
    for spec in specs {
        let parts = key_parts(spec, schema);
        if schema.get(spec.name).is_none() && !parts.is_empty() {
            exprs.push(composite_key(&parts, schema).alias(spec.name));
            continue;
        }
        let Some(found) = schema.get(spec.name) else {
            if spec.keep != Keep::Nothing {
                exprs.push(lit(NULL).cast(spec.kind.dtype()).alias(spec.name));
            }
            if spec.kind.holds_halves() {
                let (hi, lo) = half_names(spec.name);
                exprs.push(lit(NULL).cast(DataType::UInt64).alias(hi));
                exprs.push(lit(NULL).cast(DataType::UInt64).alias(lo));
                exprs.push(lit(false).alias(upper_name(spec.name)));
            }
            continue;
        };
        // A float key or id converts too: past 2^53 a float is not the integer written, and
        // its row is named ([`key_text`]) rather than read as a missing value.
        let converts = !matches!(spec.kind, Text | Json | Key | Uuid | Id | Category)
            || (matches!(spec.kind, Text | Key | Id) && found.is_float())
            || (spec.kind != Json && found.is_nested());
        if spec.keep == Keep::Nothing && !converts {
            continue;
        }
        let sniffed = match (spec.kind, found) {
            (Timestamp, DataType::String) => sniff_format(lf, spec.name),
            _ => None,
        };
        let value = convert(spec, found, sniffed, options);
        // In a Parquet file, a column that is only tested (not kept, or kept only where it
        // is not JSON) is tested in a pass of its own (below).
        let apart = format == TableFormat::Parquet && spec.keep != Keep::All;
        if converts {
            // An empty text (`""` in a CSV, '' from a database) is a missing value, as an
            // empty cell is, not one that fails to convert. (Its length is read, not a
            // trimmed copy of every value.)
            let given = match found {
                DataType::String => col(spec.name)
                    .str()
                    .len_bytes()
                    .gt(lit(0u32))
                    .fill_null(lit(false)),
                // NaN in a float key or id is no value, as a missing one is (the key is
                // null, reported as missing where it is required).
                f if f.is_float() && matches!(spec.kind, Text | Key | Id) => col(spec.name)
                    .is_not_null()
                    .and(col(spec.name).is_not_nan()),
                _ => col(spec.name).is_not_null(),
            };
            let unread = given.and(value.clone().is_null()).alias(unread_name(spec));
            match apart {
                true => side.push(unread),
                false => exprs.push(unread),
            }
            checked.push((*spec, found.clone(), sniffed));
        }
        match spec.keep {
            // The halves, and the text of the values that are not canonical.
            Keep::All if spec.kind.holds_halves() => {
                exprs.push(uuid_halves(value, spec.kind.dtype()).alias(parts_name(spec)));
                uuids.push(*spec);
            }
            Keep::All => exprs.push(value.alias(spec.name)),
            Keep::Invalid if apart => {
                side.push(only_invalid_json(value).alias(spec.name));
                invalid_json_later.push(*spec);
            }
            // A text file's JSON: each slice keeps the values that are not JSON in a
            // dictionary column, so no slice's text stays held by them (a flag per row and
            // the values read again cost a second parse of the file: 3 s and 0.4 GiB at ten
            // million mappings for a single value that is not JSON).
            Keep::Invalid => exprs.push(
                only_invalid_json(value)
                    .cast(category_dtype())
                    .alias(spec.name),
            ),
            Keep::Nothing => {}
        }
    }
    ColumnPlan {
        exprs,
        checked,
        invalid_json_later,
        side,
        uuids,
    }
}

/// Text formats are read a slice of the file at a time, so neither the file nor the text
/// of a whole column is held beside the converted values (10M CSV mappings: 0.5 GiB for
/// the text, 1.1 GiB for the file). A Parquet file is decoded column by column anyway;
/// there polars' streaming engine only held more.
///
/// Each slice's keys narrowed, its UUIDs' struct split into their columns, and a column
/// with no value (`id` where the file has none) made one null for the slice, while the
/// slice is small: a null per row took 16 bytes a row until the whole file was read
/// (1.3 GB at 100M CSV mappings).
fn read_planned(
    opened: &Opened,
    plan: &ColumnPlan,
    specs: &[ColumnSpec],
    options: &TableOptions,
) -> Result<DataFrame, LoadError> {
    let finish = |frame| {
        let mut frame = narrow_keys(frame, specs)?;
        for spec in &plan.uuids {
            let text = uuid_columns(&mut frame, spec)?;
            frame.with_column(text)?;
        }
        settled(frame)
    };
    let (file, format, exprs) = (opened.file, opened.format, &plan.exprs);
    match format {
        TableFormat::Csv | TableFormat::Ndjson => {
            read_text(file, format, &opened.schema, options, exprs, None, &finish)
        }
        TableFormat::Parquet => read_parquet(&opened.lf, options, exprs, &finish),
    }
    .map_err(|e| LoadError::table(&file.relative, e))
}

/// Runs a Parquet file's side pass, when the plan has one, and places the JSON values it
/// found; then keeps only the values of each JSON column kept where it is not JSON. Returns
/// the side pass's flags (empty without one).
fn side_pass(
    opened: &Opened,
    plan: &ColumnPlan,
    specs: &[ColumnSpec],
    options: &TableOptions,
    df: &mut DataFrame,
) -> Result<DataFrame, LoadError> {
    let shown = &opened.file.relative;
    let flagged = match plan.side.is_empty() {
        true => DataFrame::empty(),
        false => flagged_rows(opened.file, plan.side.clone(), options)
            .map_err(|e| LoadError::table(shown, e))?,
    };
    for spec in &plan.invalid_json_later {
        let kept = placed(df, &flagged, spec.name).map_err(|e| LoadError::table(shown, e))?;
        df.with_column(kept)
            .map_err(|e| LoadError::table(shown, e))?;
    }
    for spec in specs.iter().filter(|s| s.keep == Keep::Invalid) {
        if let Ok(kept) = df.column(spec.name) {
            let kept = only_values(kept).map_err(|e| LoadError::table(shown, e))?;
            df.replace(spec.name, kept)
                .map_err(|e| LoadError::table(shown, e))?;
        }
    }
    Ok(flagged)
}

/// Adds `__file`: one value for the whole file, held once (a scalar column), not once per
/// row; in the dictionary, so a table of several files holds a 4-byte code a row where the
/// path's text took 16 (0.3 GiB more at ten million mappings in 20 files).
fn with_file_column(mut df: DataFrame, shown: &std::path::Path) -> Result<DataFrame, LoadError> {
    let path = Scalar::new(
        DataType::String,
        AnyValue::StringOwned(shown.display().to_string().into()),
    );
    let path = Column::new_scalar(FILE_COL.into(), path, df.height())
        .cast(&category_dtype())
        .map_err(|e| LoadError::table(shown, e))?;
    df.insert_column(0, path)
        .map_err(|e| LoadError::table(shown, e))?;
    Ok(df)
}

/// Reads again each converted column with a flag set: the slower conversion takes the
/// values the fast one missed, and a value that still does not convert stops the load.
/// Then drops the flags.
fn reread_unconverted(
    opened: &Opened,
    plan: &ColumnPlan,
    flagged: &DataFrame,
    mut df: DataFrame,
    options: &TableOptions,
) -> Result<DataFrame, LoadError> {
    let (file, format, shown) = (opened.file, opened.format, &opened.file.relative);
    for (spec, found, sniffed) in &plan.checked {
        let flag = unread_name(spec);
        let any_unread = df
            .column(&flag)
            .or_else(|_| flagged.column(&flag))
            .and_then(|c| c.bool().map(|b| b.any()))
            .map_err(|e| LoadError::table(shown, e))?;
        if any_unread {
            let values = reread(file, format, &opened.schema, spec, found, *sniffed, options)?;
            if spec.keep != Keep::Nothing {
                df.replace(spec.name, values)
                    .map_err(|e| LoadError::table(shown, e))?;
            }
        }
    }
    let dropped: Vec<String> = plan
        .checked
        .iter()
        .map(|(s, _, _)| unread_name(s))
        .filter(|flag| df.column(flag).is_ok())
        .collect();
    settled(df.drop_many(dropped)).map_err(|e| LoadError::table(shown, e))
}

/// A file's frame as it is kept: a column with no value (an optional column the file does
/// not have, read a slice at a time) is one null for the whole file, not a null per row.
fn settled(frame: DataFrame) -> PolarsResult<DataFrame> {
    let height = frame.height();
    let columns = frame
        .into_columns()
        .into_iter()
        .map(|c| match c.null_count() == height && height > 0 {
            true => Column::full_null(c.name().clone(), height, c.dtype()),
            false => c,
        })
        .collect();
    DataFrame::new(height, columns)
}

/// A Parquet file's rows through `select` (which sees `__row`), a slice of rows at a time:
/// one row a 16 bytes of a text slice, a million rows by default. Decoded whole, a column
/// sat beside its converted values (`modern_id`'s text beside its halves: at 100M records
/// the load peaked at 12.35 GiB, in slices of 4 million rows at 10.06 GiB). A slice of a
/// realistic mapping export decodes to about 300 bytes a row before its columns are
/// converted: slices of 4 million rows lifted the load's peak at 10M from 0.66 GiB held
/// to 1.37 GiB, slices of a million to 0.89 GiB, for 0.2 to 0.35 s more in 7.1 s.
fn read_parquet(
    lf: &LazyFrame,
    options: &TableOptions,
    select: &[Expr],
    finish: &dyn Fn(DataFrame) -> PolarsResult<DataFrame>,
) -> PolarsResult<DataFrame> {
    let step = (options.slice_bytes() / 16).max(1);
    let mut parts = Vec::new();
    for numbered in numbered_parts(lf, step)? {
        let mut part = numbered.select(select).collect()?;
        part.rechunk_mut();
        parts.push(finish(part)?);
    }
    stack(parts)
}

/// A Parquet scan in parts of `step` rows (one part for an empty file), each with its rows
/// numbered from the file's first (`__row`, from 1).
fn numbered_parts(lf: &LazyFrame, step: usize) -> PolarsResult<Vec<LazyFrame>> {
    let rows = lf.clone().select([len().alias("n")]).collect()?;
    let rows = rows.column("n")?.idx()?.get(0).unwrap_or(0) as usize;
    Ok((0..rows.max(1))
        .step_by(step)
        .map(|offset| {
            lf.clone()
                .slice(offset as i64, step as IdxSize)
                .with_row_index(ROW_COL, Some(offset as IdxSize + 1))
        })
        .collect())
}

/// Frames of one table's slices or files, one after another. A key column held as numbers
/// in some and as text in others ([`ColumnKind::Key`]) is text in all.
pub(crate) fn stack(mut frames: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    unify_keys(&mut frames)?;
    // A column with no value in any frame stays one null for them all ([`settled`]):
    // stacked, polars would write a null for every row.
    let empty: Vec<(usize, PlSmallStr, DataType)> = match frames.first() {
        Some(first) if frames.len() > 1 => first
            .columns()
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                frames
                    .iter()
                    .all(|f| f.column(c.name()).is_ok_and(|c| c.null_count() == c.len()))
            })
            .map(|(i, c)| (i, c.name().clone(), c.dtype().clone()))
            .collect(),
        _ => Vec::new(),
    };
    for frame in frames.iter_mut() {
        for (_, name, _) in &empty {
            frame.drop_in_place(name)?;
        }
    }
    let height = frames.iter().map(|f| f.height()).sum();
    let mut frames = frames.into_iter();
    let mut all = frames.next().unwrap_or_default();
    let order: Vec<PlSmallStr> = all.get_column_names_owned();
    for frame in frames {
        // In the first frame's order: a column one file's side pass placed (a Parquet
        // file's JSON kept where it is not JSON) comes last in that file's frame.
        let frame = match frame.get_column_names_owned() == order {
            true => frame,
            false => frame.select(order.iter().cloned())?,
        };
        all.vstack_mut_owned(frame)?;
    }
    for (i, name, dtype) in empty {
        all.insert_column(i, Column::full_null(name, height, &dtype))?;
    }
    Ok(all)
}

/// Casts a key column that is numbers in some frames and text in others to text in all.
fn unify_keys(frames: &mut [DataFrame]) -> PolarsResult<()> {
    let Some(first) = frames.first() else {
        return Ok(());
    };
    let names: Vec<PlSmallStr> = first.columns().iter().map(|c| c.name().clone()).collect();
    for name in names {
        let dtype = |f: &DataFrame| f.column(&name).map(|c| c.dtype().clone()).ok();
        let text = frames.iter().any(|f| dtype(f) == Some(DataType::String));
        let number = frames.iter().any(|f| dtype(f) == Some(DataType::Int64));
        if !(text && number) {
            continue;
        }
        for frame in frames.iter_mut() {
            if dtype(frame) == Some(DataType::Int64) {
                let as_text = frame.column(&name)?.cast(&DataType::String)?;
                frame.replace(&name, as_text)?;
            }
        }
    }
    Ok(())
}

/// A key whose text is a whole number written the one way it can be: `0`, or digits not
/// starting with 0 after an optional `-`, at most 18 of them (any such fits in 64 bits).
pub const WHOLE_KEY: &str = r"^(0|-?[1-9][0-9]{0,17})$";

/// A whole number written as one, up to 19 digits (some past the 64-bit range).
const LONG_KEY: &str = r"^(0|-?[1-9][0-9]{0,18})$";

/// A frame's key columns ([`ColumnKind::Key`]) held as numbers when every value is a whole
/// number written as one ([`WHOLE_KEY`]): its text is then the number's, and it takes 8
/// bytes where the text took 16. Decided a slice at a time; [`stack`] turns a table's
/// numbers back into text if another slice holds other keys.
pub(crate) fn narrow_keys(mut frame: DataFrame, specs: &[ColumnSpec]) -> PolarsResult<DataFrame> {
    for spec in specs.iter().filter(|s| s.kind == Key) {
        let Ok(column) = frame.column(spec.name) else {
            continue;
        };
        if column.dtype() != &DataType::String {
            continue;
        }
        let all_whole = |rows: DataFrame| -> PolarsResult<bool> {
            Ok(rows
                .lazy()
                .select([col(spec.name)
                    .str()
                    .contains(lit(WHOLE_KEY), true)
                    .all(true)
                    .alias("whole")])
                .collect()?
                .column("whole")?
                .bool()?
                .get(0)
                .unwrap_or(false))
        };
        // The first rows first: a slice of text keys is told by them, without testing
        // every key (a second of a 10M build whose codes are text).
        let head = frame.select([spec.name])?.head(Some(1024));
        if all_whole(head)? && all_whole(frame.select([spec.name])?)? {
            let numbers = frame.column(spec.name)?.cast(&DataType::Int64)?;
            frame.replace(spec.name, numbers)?;
        }
    }
    Ok(frame)
}

/// Keys given as text (an exclusion's ids, the orphans a database named) made comparable
/// with a key column of `dtype`: as numbers for a column held as numbers, leaving out the
/// texts that are not a whole number's ([`WHOLE_KEY`]), which no such key can equal.
pub fn keys_like(text: Series, dtype: &DataType) -> PolarsResult<Series> {
    if dtype != &DataType::Int64 || text.dtype() == &DataType::Int64 {
        return Ok(text);
    }
    let name = text.name().clone();
    let text = text.cast(&DataType::String)?;
    // Up to 19 digits: an Int64 column may hold any 64-bit key (a Parquet column of
    // snowflake ids), though text is held as numbers only up to 18 ([`WHOLE_KEY`]). A text
    // past the 64-bit range becomes null and is left out: no such key can equal it.
    DataFrame::new(text.len(), vec![text.into_column()])?
        .lazy()
        .filter(col(name.clone()).str().contains(lit(LONG_KEY), true))
        .select([col(name.clone()).cast(DataType::Int64).alias(name.clone())])
        .filter(col(name.clone()).is_not_null())
        .collect()?
        .drop_in_place(name.as_str())
        .map(|c| c.take_materialized_series())
}

/// Two key columns (or a key column and text) made comparable: as they are when both are
/// numbers or both text, otherwise both as text, since a key's text is what it is.
pub fn same_keys(
    left: Expr,
    left_dtype: &DataType,
    right: Expr,
    right_dtype: &DataType,
) -> (Expr, Expr) {
    match left_dtype == right_dtype {
        true => (left, right),
        false => (left.cast(DataType::String), right.cast(DataType::String)),
    }
}

/// A text file's rows through `select` (which sees `__row`), a slice at a time
/// ([`slices`]); `keep` drops each slice's unwanted rows before the next is read.
fn read_text(
    file: &InputFile,
    format: TableFormat,
    schema: &SchemaRef,
    options: &TableOptions,
    select: &[Expr],
    keep: Option<Expr>,
    finish: &dyn Fn(DataFrame) -> PolarsResult<DataFrame>,
) -> PolarsResult<DataFrame> {
    let pass = slices::Pass {
        csv: format == TableFormat::Csv,
        schema: schema.clone(),
        row_col: ROW_COL,
        select,
        keep,
        finish,
    };
    stack(slices::read_text(&file.path, options.slice_bytes(), pass)?)
}

/// A JSON column's values that are not JSON, null elsewhere ([`Keep::Invalid`]).
fn only_invalid_json(value: Expr) -> Expr {
    when(invalid_json(value.clone()))
        .then(value)
        .otherwise(lit(NULL).cast(DataType::String))
}

/// The tests of a Parquet file's columns that are not kept whole (a timestamp only checked,
/// JSON kept only where it is not JSON), in a pass of their own: only the rows a test flags
/// are collected, with their row numbers. Decoded with the kept columns, those columns were
/// held whole while loading, the build's peak (a third of a mapping export each).
///
/// The file is read a row for every 32 bytes of a text slice at a time (524,288 rows by
/// default, two of the row groups polars writes). Through polars' streaming engine, which
/// prefetches at least 16 row groups of every column tested (a JSON `metadata` of 200 bytes
/// a row), the pass lifted the load's peak from 2.8 to 3.55 GiB at 30M realistic records.
fn flagged_rows(
    file: &InputFile,
    tests: Vec<Expr>,
    options: &TableOptions,
) -> PolarsResult<DataFrame> {
    let step = (options.slice_bytes() / 32).max(1);
    let lf = scan(file, TableFormat::Parquet)?;
    let mut selected = vec![col(ROW_COL).cast(IDX_DTYPE)];
    selected.extend(tests);
    let names: Vec<PlSmallStr> = lf
        .clone()
        .with_row_index(ROW_COL, Some(1))
        .select(selected.clone())
        .collect_schema()?
        .iter_names()
        .filter(|n| n.as_str() != ROW_COL)
        .cloned()
        .collect();
    // A row is kept when a flag is set or a value is kept.
    let any = names
        .iter()
        .map(|n| match n.starts_with("__unread_") {
            true => col(n.clone()).fill_null(lit(false)),
            false => col(n.clone()).is_not_null(),
        })
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let mut flagged: Option<DataFrame> = None;
    for numbered in numbered_parts(&lf, step)? {
        let part = numbered
            .select(selected.clone())
            .filter(any.clone())
            .collect()?;
        match flagged.as_mut() {
            None => flagged = Some(part),
            Some(frame) => {
                frame.vstack_mut(&part)?;
            }
        }
    }
    Ok(flagged.unwrap_or_default())
}

fn parts_name(spec: &ColumnSpec) -> String {
    format!("__parts_{}", spec.name)
}

/// The columns holding a [`Uuid`] column's halves: `__<name>_hi` and `__<name>_lo`.
pub fn half_names(name: &str) -> (String, String) {
    (format!("__{name}_hi"), format!("__{name}_lo"))
}

/// The column saying which values of a [`Uuid`] column were written in upper case.
pub fn upper_name(name: &str) -> String {
    format!("__{name}_upper")
}

/// Rows handed to one core at a time by [`in_pieces`]: a fixed size, so that the pieces
/// are the same on every machine.
pub const PIECE: usize = 1 << 16;

/// `work` on each piece of `PIECE` rows of `text` (with the row it starts at), on every
/// core, the results in order.
pub fn in_pieces<T: Send>(
    text: &StringChunked,
    work: impl Fn(usize, &StringChunked) -> T + Send + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    (0..text.len().div_ceil(PIECE))
        .into_par_iter()
        .map(|piece| {
            let start = piece * PIECE;
            work(start, &text.slice(start as i64, PIECE))
        })
        .collect()
}

/// One value's UUID halves (of the value trimmed, when it is a hyphenated UUID in any
/// case), whether it is written in upper case, and whether it is plain (lower or upper
/// case, no spaces): see [`uuid_halves`].
fn uuid_parts(value: Option<&str>) -> (Option<(u64, u64)>, bool, bool) {
    // Read trimmed as every key is, a blank text (a quoted `""` or `"  "` in CSV) is no
    // value, as an empty cell is: it was an invalid UUID, and its row a mapping, where an
    // empty cell is a missing value and the row left out (found by an independent check).
    let Some(value) = value.filter(|v| !v.trim_matches(|c| KEY_WHITESPACE.contains(c)).is_empty())
    else {
        return (None, false, true);
    };
    // Only a 36-character text is a hyphenated UUID; one case throughout is its lower or
    // upper form.
    let whole = value.len() == 36;
    let lower = whole && !value.bytes().any(|b| b.is_ascii_uppercase());
    let is_upper = whole && !lower && !value.bytes().any(|b| b.is_ascii_lowercase());
    let trimmed = value.trim();
    let halves = (trimmed.len() == 36)
        .then(|| uuid::Uuid::try_parse(trimmed).ok())
        .flatten()
        .map(|u| u.as_u64_pair());
    let parsed = halves.is_some();
    (halves, is_upper && parsed, (lower || is_upper) && parsed)
}

/// A UUID text column's parts, a struct per row: `hi` and `lo`, the halves (null unless the
/// value, trimmed, is a hyphenated UUID in any case); `upper`, true where the value is
/// written hyphenated in upper case (as SQL Server and many exports write UUIDs); and
/// `text`, the value where it is neither that nor canonical (hyphenated, lower case, no
/// spaces), null elsewhere: both forms are the halves' text, so neither is kept. A blank
/// value is null throughout, as no value. `kept` is
/// the type that text is held in: a dictionary ([`category_dtype`]) or text.
pub fn uuid_halves(text: Expr, kept: DataType) -> Expr {
    let kept_type = kept.clone();
    text.map(
        move |column: Column| {
            let text = column.str()?;
            // Each piece's parts built as columns on every core, then the pieces joined
            // one column at a time: a tuple a row for the whole slice, then columns built
            // from those, lifted the load's peak by 0.2 GiB at 4 million realistic
            // mappings (found by an independent check).
            let pieces = match text.len() {
                0 => vec![uuid_piece(text)],
                _ => in_pieces(text, |_, piece| uuid_piece(piece)),
            };
            let mut fields: [Vec<Column>; 4] = Default::default();
            for piece in pieces {
                for (field, part) in fields.iter_mut().zip(piece?) {
                    field.push(part);
                }
            }
            let [hi, lo, upper, kept] = fields;
            let kept = match kept.iter().all(|c| c.null_count() == c.len()) {
                true => Column::full_null("text".into(), text.len(), &kept_type),
                false => joined(kept)?.cast(&kept_type)?,
            };
            let fields = [joined(hi)?, joined(lo)?, joined(upper)?, kept];
            StructChunked::from_columns(column.name().clone(), text.len(), &fields)
                .map(|s| s.into_column())
        },
        move |_, field| {
            Ok(Field::new(
                field.name().clone(),
                DataType::Struct(vec![
                    Field::new("hi".into(), DataType::UInt64),
                    Field::new("lo".into(), DataType::UInt64),
                    Field::new("upper".into(), DataType::Boolean),
                    Field::new("text".into(), kept.clone()),
                ]),
            ))
        },
    )
}

/// One piece's UUID parts ([`uuid_parts`]) as the columns `hi`, `lo`, `upper` and `text`.
fn uuid_piece(piece: &StringChunked) -> PolarsResult<[Column; 4]> {
    let n = piece.len();
    let mut hi = PrimitiveChunkedBuilder::<UInt64Type>::new("hi".into(), n);
    let mut lo = PrimitiveChunkedBuilder::<UInt64Type>::new("lo".into(), n);
    let mut upper = BooleanChunkedBuilder::new("upper".into(), n);
    // The text kept is begun at the first value that needs it: a piece of canonical UUIDs
    // writes no null text for each of them.
    let mut kept: Option<StringChunkedBuilder> = None;
    for (row, value) in piece.iter().enumerate() {
        let (halves, is_upper, is_plain) = uuid_parts(value);
        hi.append_option(halves.map(|h| h.0));
        lo.append_option(halves.map(|h| h.1));
        upper.append_value(is_upper);
        match (is_plain, kept.as_mut()) {
            (true, Some(kept)) => kept.append_null(),
            (true, None) => {}
            (false, Some(kept)) => kept.append_option(value),
            (false, None) => {
                let mut begun = StringChunkedBuilder::new("text".into(), n);
                (0..row).for_each(|_| begun.append_null());
                begun.append_option(value);
                kept = Some(begun);
            }
        }
    }
    Ok([
        hi.finish().into_column(),
        lo.finish().into_column(),
        upper.finish().into_column(),
        match kept {
            Some(kept) => kept.finish().into_column(),
            None => Column::full_null("text".into(), n, &DataType::String),
        },
    ])
}

/// The pieces of one column, in order, as one column of one chunk (a column of `PIECE`
/// rows a chunk is slow to gather from).
fn joined(pieces: Vec<Column>) -> PolarsResult<Column> {
    let mut pieces = pieces.into_iter();
    let Some(mut whole) = pieces.next() else {
        return Err(polars_err!(ComputeError: "no piece"));
    };
    for piece in pieces {
        whole.append_owned(piece)?;
    }
    one_chunk(whole)
}

/// A column of `frame` as text, held as text or as a dictionary ([`category_dtype`]).
pub fn text_column(frame: &DataFrame, name: &str) -> PolarsResult<StringChunked> {
    frame.column(name)?.cast(&DataType::String)?.str().cloned()
}

/// The values of a text column, held as text or as a dictionary ([`category_dtype`]).
pub fn text_values(column: &Column) -> PolarsResult<Box<dyn Iterator<Item = Option<&str>> + '_>> {
    Ok(match column.dtype() {
        DataType::Categorical(c, _) => match c.physical() {
            CategoricalPhysical::U8 => Box::new(column.cat8()?.iter_str()),
            CategoricalPhysical::U16 => Box::new(column.cat16()?.iter_str()),
            CategoricalPhysical::U32 => Box::new(column.cat32()?.iter_str()),
        },
        _ => Box::new(column.str()?.iter()),
    })
}

/// Every value of a [`Uuid`] column as text: the text kept, or the halves written in the
/// case the value was. For the rows a finding shows, never for every row.
pub fn uuid_text(name: &str) -> Expr {
    let (hi, lo) = half_names(name);
    col(name).map_many(
        |columns: &mut [Column]| {
            let hi = columns[1].u64()?;
            let lo = columns[2].u64()?;
            let upper = columns[3].bool()?;
            let values: StringChunked = text_values(&columns[0])?
                .zip(hi.iter().zip(lo.iter()))
                .zip(upper.iter())
                .map(|((text, halves), upper)| match (text, halves) {
                    (Some(text), _) => Some(text.to_string()),
                    (None, (Some(hi), Some(lo))) => {
                        let uuid = uuid::Uuid::from_u64_pair(hi, lo).hyphenated();
                        Some(match upper {
                            Some(true) => uuid.to_string().to_ascii_uppercase(),
                            _ => uuid.to_string(),
                        })
                    }
                    _ => None,
                })
                .collect();
            Ok(values.with_name(columns[0].name().clone()).into_column())
        },
        &[col(hi), col(lo), col(upper_name(name))],
        |_, fields| Ok(Field::new(fields[0].name().clone(), DataType::String)),
    )
}

/// A [`Uuid`] column's halves, as columns of `loaded`, and its text, all taken off its
/// parts.
fn uuid_columns(loaded: &mut DataFrame, spec: &ColumnSpec) -> PolarsResult<Column> {
    let parts = loaded.drop_in_place(&parts_name(spec))?;
    let parts = parts.struct_()?;
    let (hi, lo) = half_names(spec.name);
    for (field, name) in [("hi", hi), ("lo", lo), ("upper", upper_name(spec.name))] {
        loaded.with_column(
            parts
                .field_by_name(field)?
                .with_name(name.into())
                .into_column(),
        )?;
    }
    // Built from the kept values only, the text holds nothing else: no copy to compact it
    // (and all null, [`settled`] makes it one null for the file).
    Ok(parts
        .field_by_name("text")?
        .with_name(spec.name.into())
        .into_column())
}

/// A column of `loaded`'s height with the values `flagged` holds for some rows (by row
/// number), null elsewhere, as a dictionary column; one null for the whole column when it
/// holds none. The few values are looked up row by row: a join of every row with them held
/// a quarter of a gigabyte at ten million rows.
fn placed(loaded: &DataFrame, flagged: &DataFrame, name: &str) -> PolarsResult<Column> {
    let present = flagged
        .column(name)
        .map(|c| c.len() > c.null_count())
        .unwrap_or(false);
    if !present {
        return Ok(Column::full_null(
            name.into(),
            loaded.height(),
            &category_dtype(),
        ));
    }
    let rows = flagged.column(ROW_COL)?.idx()?;
    let values: std::collections::HashMap<IdxSize, &str> = rows
        .iter()
        .zip(text_values(flagged.column(name)?)?)
        .filter_map(|(row, value)| Some((row?, value?)))
        .collect();
    let placed = Categorical32Chunked::from_str_iter(
        name.into(),
        category_dtype(),
        loaded
            .column(ROW_COL)?
            .idx()?
            .iter()
            .map(|row| row.and_then(|row| values.get(&row).copied())),
    )?;
    Ok(placed.into_series().into_column())
}

/// A text column that is mostly null, holding only its values, as a dictionary column: the
/// views of the kept values pointed into the buffers of every value read, and each null
/// took a 16-byte view. All null (the usual case) is one null for the whole column.
fn only_values(column: &Column) -> PolarsResult<Column> {
    if column.null_count() == column.len() {
        return Ok(Column::full_null(
            column.name().clone(),
            column.len(),
            &category_dtype(),
        ));
    }
    // A dictionary column: mostly null, as text it took 16 bytes a row (a null view each).
    column.cast(&category_dtype())
}

fn unread_name(spec: &ColumnSpec) -> String {
    format!("__unread_{}", spec.name)
}

/// A column the first pass left partly unread, read again whole: text timestamps in
/// another shape than the column's first value get the full parser. A value that still
/// does not convert is the error naming its file, row and column; otherwise the column's
/// values are returned.
fn reread(
    file: &InputFile,
    format: TableFormat,
    schema: &SchemaRef,
    spec: &ColumnSpec,
    found: &DataType,
    sniffed: Option<&str>,
    options: &TableOptions,
) -> Result<Column, LoadError> {
    let shown = &file.relative;
    let fast = convert(spec, found, sniffed, options);
    let value = match (spec.kind, found) {
        (Timestamp, DataType::String) => when(fast.clone().is_null())
            .then(timestamp_text(col(spec.name), options))
            .otherwise(fast),
        _ => fast,
    };
    let select = [
        col(ROW_COL).cast(IDX_DTYPE),
        // As written; a duration (which polars casts to no text) as its milliseconds,
        // said to be one.
        match found {
            DataType::Duration(_) => concat_str(
                [
                    col(spec.name)
                        .dt()
                        .total_milliseconds(true)
                        .cast(DataType::String),
                    lit(" ms, a duration"),
                ],
                "",
                false,
            ),
            // polars writes no list as text, and a struct as its values alone (`{1}`).
            nested if nested.is_nested() => when(col(spec.name).is_not_null())
                .then(lit("a JSON object or list"))
                .otherwise(lit(NULL).cast(DataType::String)),
            _ => col(spec.name).cast(DataType::String),
        }
        .alias(RAW_COL),
        value.alias(spec.name),
    ];
    let df = match format {
        TableFormat::Parquet => scan(file, format)
            .and_then(|lf| lf.with_row_index(ROW_COL, Some(1)).select(select).collect()),
        _ => read_text(file, format, schema, options, &select, None, &Ok),
    }
    .map_err(|e| LoadError::table(shown, e))?;
    check_conversion(&df, file, spec, options)?;
    df.column(spec.name)
        .cloned()
        .map_err(|e| LoadError::table(shown, e))
}

const RAW_COL: &str = "__raw";

/// True where a JSON text column holds something that does not parse as JSON.
pub fn invalid_json(text: Expr) -> Expr {
    text.map(invalid_json_mask, |_, field| {
        Ok(Field::new(field.name().clone(), DataType::Boolean))
    })
}

/// The kernel of [`invalid_json`]: serde_json reads each value without building it (only
/// whether it parses matters), on every core, a slice of the column each.
fn invalid_json_mask(column: Column) -> PolarsResult<Column> {
    let text = column.str()?;
    let bad = |value: &str| serde_json::from_str::<serde::de::IgnoredAny>(value).is_err();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let step = text.len().div_ceil(threads).max(1);
    let parts: Vec<BooleanChunked> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..text.len())
            .step_by(step)
            .map(|start| {
                let part = text.slice(start as i64, step);
                scope.spawn(move || -> BooleanChunked {
                    part.iter().map(|v| Some(v.is_some_and(bad))).collect()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let mut mask = BooleanChunked::full(column.name().clone(), false, 0);
    for part in &parts {
        mask.append(part)?;
    }
    Ok(mask.with_name(column.name().clone()).into_column())
}

/// The keys (`id`, or `id_1`, `id_2`, ...) of the rows of `files` whose `column`, as
/// trimmed text, is one of `values`: the ids an exclusion's `where:` selects.
pub fn ids_where(
    files: &[&InputFile],
    column: &str,
    values: &[String],
) -> Result<DataFrame, LoadError> {
    let mut frames = Vec::new();
    for file in files {
        let shown = &file.relative;
        let format = file
            .kind
            .table_format()
            .ok_or_else(|| LoadError::table(shown, "not a CSV or Parquet file"))?;
        let mut lf = scan_every_row(file, format).map_err(|e| LoadError::table(shown, e))?;
        let schema = lf
            .collect_schema()
            .map_err(|e| LoadError::table(shown, e))?;
        let names = || shown_names(schema.iter_names().map(|n| n.as_str()));
        if schema.get(column).is_none() {
            return Err(LoadError::MissingColumn {
                path: shown.clone(),
                column: column.to_string(),
                found: names(),
            });
        }
        let spec = SOURCE_IDS[0];
        let parts = match schema.get(spec.name) {
            Some(_) => vec![spec.name.to_string()],
            None => key_parts(&spec, &schema),
        };
        if parts.is_empty() {
            return Err(LoadError::MissingColumn {
                path: shown.clone(),
                column: spec.name.to_string(),
                found: names(),
            });
        }
        let wanted = Series::new("values".into(), values);
        frames.push(
            lf.filter(
                trimmed_key(key_text(col(column), schema.get(column)))
                    .is_in(lit(wanted).implode(false), false),
            )
            .select([composite_key(&parts, &schema).alias("id")]),
        );
    }
    if frames.is_empty() {
        return Ok(empty_frame(SOURCE_IDS).select(["id"]).unwrap_or_default());
    }
    concat(frames, UnionArgs::default())
        .and_then(|lf| lf.collect())
        .map_err(|e| LoadError::table(&files[0].relative, e))
}

/// One key from its parts, each as trimmed text, joined with [`KEY_SEPARATOR`]; null when
/// any part is null or empty once trimmed (`"  "` is a missing part as an empty cell is:
/// `10251|` was a key of its own; found by an independent check).
fn composite_key(parts: &[String], schema: &Schema) -> Expr {
    let text = |p: &String| trimmed_key(key_text(col(p.as_str()), schema.get(p.as_str())));
    // One part is the key itself: nothing to escape.
    if let [one] = parts {
        return text(one);
    }
    let parts: Vec<Expr> = parts
        .iter()
        .map(|p| {
            let part = text(p);
            when(part.clone().str().len_bytes().eq(lit(0u32)))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(part)
                .str()
                .replace_all(lit("\\"), lit("\\\\"), true)
                .str()
                .replace_all(lit("|"), lit("\\|"), true)
        })
        .collect();
    concat_str(parts, KEY_SEPARATOR, false)
}

/// A key column's values as text: a float column's integral values (pandas writes an
/// integer column with a null as float64) as the integers they hold, `1001.0` as `1001`.
pub(crate) fn key_text(c: Expr, dtype: Option<&DataType>) -> Expr {
    match dtype {
        // Past 2^53 a float is not the integer written (NDJSON's 9007199254740993, read
        // beside a fraction as f64, is ...992; pandas' float64 ids the same): no key, where
        // it met the wrong id (found by an independent check). The load names its row
        // ([`check_conversion`]); it was reported as an empty cell before.
        // A single-precision float holds every integer up to 2^24 only.
        Some(d) if d.is_float() => when(c.clone().cast(DataType::Float64).is_nan())
            .then(lit(NULL).cast(DataType::String))
            .when(c.clone().cast(DataType::Float64).abs().gt_eq(lit(match d {
                DataType::Float32 => 16_777_216.0f64,
                _ => 9_007_199_254_740_992.0f64,
            })))
            .then(lit(NULL).cast(DataType::String))
            .when(
                c.clone()
                    .cast(DataType::Int64)
                    .cast(DataType::Float64)
                    .eq(c.clone())
                    .fill_null(lit(false)),
            )
            .then(c.clone().cast(DataType::Int64).cast(DataType::String))
            .otherwise(c.cast(DataType::String)),
        _ => c.cast(DataType::String),
    }
}

/// A file's column names for a message: at most 30, each cut at 60 characters. A 5 MB
/// header line of one name was printed whole, and 200 MB took 40 s to print (found by
/// an independent check).
pub(crate) fn shown_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    let mut shown: Vec<String> = names
        .iter()
        .take(30)
        .map(|name| match name.chars().count() > 60 {
            true => format!("{}…", name.chars().take(60).collect::<String>()),
            false => name.to_string(),
        })
        .collect();
    if names.len() > 30 {
        shown.push(format!("and {} more", names.len() - 30));
    }
    shown.join(", ")
}

/// The numbered columns of a composite key (`id_1`, `id_2`, ...), in order; empty for other
/// kinds or when `id_1` is absent.
fn key_parts(spec: &ColumnSpec, schema: &Schema) -> Vec<String> {
    if spec.kind != Key {
        return Vec::new();
    }
    (1..)
        .map(|i| format!("{}_{i}", spec.name))
        .take_while(|name| schema.get(name.as_str()).is_some())
        .collect()
}

/// Why a CSV header cannot be read: a name that runs on past a carriage return, which is
/// how a file whose lines end in a carriage return alone (classic Mac OS) reads, its
/// whole text one header line and no row. A header name ending in one (`x\r`, as a stray
/// byte or quoted) reads as it did. `None` when no name does.
pub fn lone_carriage_return<'a>(mut names: impl Iterator<Item = &'a str>) -> Option<String> {
    let name = names.find(|n| n.trim_end_matches('\r').contains('\r'))?;
    let before: String = name
        .split('\r')
        .next()
        .unwrap_or_default()
        .chars()
        .take(40)
        .collect();
    Some(format!(
        "the header holds a carriage return not followed by a line feed (after {before:?}): \
         lines that end in a carriage return alone are not read; save the file with LF or \
         CRLF line endings"
    ))
}

/// Why a composite key's columns cannot say which hold the key: both `id` and `id_1`, …,
/// or parts numbered with a gap or not from 1 (`id_1`, `id_3`; `id_0`, `id_1`), whose
/// other columns would be left out and distinct keys made one (found by an independent
/// check: `id_3` was silently ignored). `None` when they can, or no `id_1` is there.
fn unclear_key_columns(spec: &ColumnSpec, schema: &Schema) -> Option<String> {
    if spec.kind != Key {
        return None;
    }
    let parts = key_parts(spec, schema);
    // Only where a composite key is there to read (`id_1`): beside `id` alone, a column
    // such as `id_2024` is an extra column, ignored as every extra column is.
    if parts.is_empty() {
        return None;
    }
    if schema.get(spec.name).is_some() {
        return Some(format!(
            "the file names both `{}` and `{}`: whether the key is one column or several cannot be told",
            spec.name, parts[0]
        ));
    }
    let prefix = format!("{}_", spec.name);
    let stray = schema.iter_names().map(|n| n.as_str()).find(|n| {
        n.strip_prefix(prefix.as_str())
            .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
            && !parts.iter().any(|p| p == n)
    })?;
    Some(format!(
        "the key's column `{stray}` is not in a run numbered from `{}_1` without a gap{}: \
         a composite key's columns are `{}_1`, `{}_2`, … in order",
        spec.name,
        match parts.last() {
            Some(last) => format!(" (the run ends at `{last}`)"),
            None => String::new(),
        },
        spec.name,
        spec.name
    ))
}

/// The first row, in file order, whose value did not convert: an error naming file, row and
/// column.
fn check_conversion(
    df: &DataFrame,
    file: &InputFile,
    spec: &ColumnSpec,
    options: &TableOptions,
) -> Result<(), LoadError> {
    let shown = &file.relative;
    let bad = df
        .clone()
        .lazy()
        .filter(col(RAW_COL).is_not_null().and(col(spec.name).is_null()))
        .select([col(ROW_COL), col(RAW_COL)])
        .limit(1)
        .collect()
        .map_err(|e| LoadError::table(shown, e))?;
    if bad.height() == 0 {
        return Ok(());
    }
    let row = bad
        .column(ROW_COL)
        .and_then(|c| c.idx().map(|c| c.get(0)))
        .ok()
        .flatten()
        .unwrap_or_default();
    let found = bad
        .column(RAW_COL)
        .and_then(|c| c.str().map(|c| c.get(0).map(str::to_string)))
        .ok()
        .flatten()
        .unwrap_or_default();
    // A local time the zone's clock skips (02:30 on the night summer time starts) is a
    // timestamp in every other way: said so, not "expected an ISO 8601 timestamp".
    let zone = options
        .timezone
        .as_ref()
        .and_then(|z| z.as_str().parse::<chrono_tz::Tz>().ok());
    let expected = match zone {
        Some(zone)
            if spec.kind == ColumnKind::Timestamp
                && crate::canonical::instants(&found, None).is_some()
                && crate::canonical::instants(&found, Some(&zone)).is_none() =>
        {
            format!("a local time that exists in {zone} (a clock change skips this one)").into()
        }
        _ if found == "a JSON object or list" => {
            format!("{}, not an object or a list", spec.kind.expected()).into()
        }
        // With a declared epoch unit, a whole number is a timestamp: one that fails is out
        // of range, which the general wording ("only with epoch_unit") did not say.
        _ if spec.kind == ColumnKind::Timestamp && options.epoch_unit.is_some() => {
            let unit = match options.epoch_unit {
                Some(crate::model::config::EpochUnit::S) => "seconds",
                Some(crate::model::config::EpochUnit::Ms) => "milliseconds",
                Some(crate::model::config::EpochUnit::Us) => "microseconds",
                _ => "nanoseconds",
            };
            format!(
                "an ISO 8601 timestamp such as 2026-03-01T08:15:00Z or 2026-03-01 08:15:00+01, \
                 or a whole number of {unit} since 1970-01-01 UTC (epoch_unit in migcov.yaml) \
                 within the years 1 to 9999"
            )
            .into()
        }
        // Only a float column's value past 2^53 fails to convert to a key or an id.
        _ if matches!(
            spec.kind,
            ColumnKind::Key | ColumnKind::Text | ColumnKind::Id
        ) =>
        {
            "a whole number a float holds exactly, below 2^53 (9007199254740992; 2^24 in a \
             single-precision column), where the column is read as floating-point numbers (a \
             float column, or NDJSON numbers beside fractions on other lines): a larger float \
             is not the integer written, whose last digits are lost; write such ids as text \
             or as integers"
                .into()
        }
        _ => spec.kind.expected().into(),
    };
    Err(LoadError::BadValue {
        path: shown.clone(),
        row: row as u64,
        column: spec.name.to_string(),
        expected,
        found,
    })
}

/// A frame with the spec's columns and no rows, for a kind of export that is absent.
pub fn empty_frame(specs: &[ColumnSpec]) -> DataFrame {
    let mut columns = vec![
        Column::new_empty(FILE_COL.into(), &category_dtype()),
        Column::new_empty(ROW_COL.into(), &IDX_DTYPE),
    ];
    columns.extend(
        specs
            .iter()
            .filter(|s| s.keep != Keep::Nothing)
            .map(|s| Column::new_empty(s.name.into(), &s.kind.dtype())),
    );
    for spec in specs.iter().filter(|s| s.kind.holds_halves()) {
        let (hi, lo) = half_names(spec.name);
        columns.push(Column::new_empty(hi.into(), &DataType::UInt64));
        columns.push(Column::new_empty(lo.into(), &DataType::UInt64));
        columns.push(Column::new_empty(
            upper_name(spec.name).into(),
            &DataType::Boolean,
        ));
    }
    DataFrame::new_infer_height(columns).expect("distinct column names")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A column stacked from several chunks, joined by [`one_chunk`], is the column
    /// polars' rechunk gives, in one chunk: numbers with and without nulls (a null first
    /// in a later chunk), text inline and in buffers (longer than 12 bytes), dictionary
    /// codes, and a type it leaves to polars.
    #[test]
    fn one_chunk_gives_the_rechunked_column() {
        let long = |i: usize| format!("a legacy key longer than twelve bytes {i}");
        let pieces: Vec<Column> = vec![
            Column::new("u32".into(), &[1u32, 2, 3]),
            Column::new("u32".into(), &[None, Some(5u32)]),
            Column::new("u64".into(), &[u64::MAX, 0]),
            Column::new("u64".into(), &[7u64]),
            Column::new("i64".into(), &[Some(-1i64), None]),
            Column::new("i64".into(), &[Some(3i64)]),
            Column::new("f64".into(), &[0.5f64, f64::NAN]),
            Column::new("f64".into(), &[-2.0f64]),
            Column::new(
                "text".into(),
                &[Some("short"), Some(long(1).as_str()), None],
            ),
            Column::new("text".into(), &[Some(long(2).as_str()), Some("x")]),
            Column::new("text".into(), &[None::<&str>, Some(long(3).as_str())]),
            Column::new("flag".into(), &[true, false]),
            Column::new("flag".into(), &[Some(true), None]),
        ];
        let mut stacked: BTreeMap<String, Column> = BTreeMap::new();
        for piece in pieces {
            let name = piece.name().to_string();
            match stacked.get_mut(&name) {
                Some(whole) => whole.append_owned(piece).map(|_| ()).unwrap(),
                None => drop(stacked.insert(name, piece)),
            }
        }
        let cats = Column::new("cat".into(), &[Some("b"), None, Some("a")])
            .cast(&category_dtype())
            .unwrap();
        let mut more = cats.clone();
        more.append(&cats).unwrap();
        stacked.insert("cat".into(), more);
        for (name, column) in stacked {
            assert!(column.n_chunks() > 1, "{name} is stacked from chunks");
            let expected = column.rechunk();
            let joined = one_chunk(column).unwrap();
            assert_eq!(joined.n_chunks(), 1, "{name}");
            assert_eq!(joined.dtype(), expected.dtype(), "{name}");
            assert_eq!(joined.null_count(), expected.null_count(), "{name}");
            let (a, b) = (
                joined.as_materialized_series(),
                expected.as_materialized_series(),
            );
            assert!(a.equals_missing(b), "{name}: {a:?} against {b:?}");
        }
    }

    /// Rows per value of a dictionary column at every width, nulls left out, worked out by
    /// hand: `x` 3 rows, `y` 1; interleaved as rows of several types are.
    #[test]
    fn rows_per_category_counts_each_value_at_any_width() {
        let values = [Some("x"), None, Some("y"), Some("x"), Some("x"), None];
        let wide = Column::new("v".into(), &values)
            .cast(&category_dtype())
            .unwrap();
        let narrow = narrowed(&wide).unwrap();
        assert_ne!(wide.dtype(), narrow.dtype());
        let expected: std::collections::BTreeMap<String, u64> =
            [("x".to_string(), 3), ("y".to_string(), 1)].into();
        for column in [wide, narrow] {
            assert_eq!(rows_per_category(&column).unwrap(), Some(expected.clone()));
        }
        let text = Column::new("v".into(), &values);
        assert_eq!(rows_per_category(&text).unwrap(), None);
    }

    /// A dictionary column narrows to one byte a row up to 255 values, to two up to
    /// 65,535, and past that stays as it is; its text and nulls are the same either way.
    #[test]
    fn dictionaries_narrow_to_one_or_two_bytes() {
        for (distinct, physical) in [
            (3, Some(CategoricalPhysical::U8)),
            (255, Some(CategoricalPhysical::U8)),
            (256, Some(CategoricalPhysical::U16)),
            (65_535, Some(CategoricalPhysical::U16)),
            (65_536, None),
        ] {
            let values: Vec<Option<String>> = (0..distinct + 40)
                .map(|i| match i >= distinct && i % 7 == 3 {
                    true => None,
                    false => Some(format!("value {}", i % distinct)),
                })
                .collect();
            let column = Column::new("v".into(), &values)
                .cast(&category_dtype())
                .unwrap();
            let narrow = narrowed(&column).unwrap();
            match (narrow.dtype(), physical) {
                (DataType::Categorical(categories, _), Some(p)) => {
                    assert_eq!(categories.physical(), p, "{distinct} values")
                }
                (dtype, None) => assert_eq!(dtype, column.dtype(), "{distinct} values"),
                (dtype, _) => panic!("{distinct} values: {dtype:?}"),
            }
            let text = |c: &Column| c.cast(&DataType::String).unwrap();
            assert!(
                text(&narrow)
                    .as_materialized_series()
                    .equals_missing(text(&column).as_materialized_series()),
                "{distinct} values"
            );
        }
    }

    /// A UUID column's parts give every value back, over several pieces of rows: values
    /// kept as text only in some pieces (first at a piece's last row, at the next one's
    /// first), none at all, and an empty column; in both kinds of kept text.
    #[test]
    fn uuid_parts_give_every_value_back_over_pieces() {
        let canonical = |i: usize| format!("5b1e0a52-8f5e-4d1c-9a43-{i:012x}");
        let rows = 2 * PIECE + 10;
        let kept_at = [PIECE - 1, PIECE, PIECE + 7];
        let spelled: Vec<Option<String>> = (0..rows)
            .map(|i| match i {
                _ if kept_at.contains(&i) => Some(format!(" {} ", canonical(i))),
                _ if i % 5 == 0 => Some(canonical(i).to_uppercase()),
                _ if i % 7 == 0 => None,
                _ => Some(canonical(i)),
            })
            .collect();
        let plain: Vec<Option<String>> = (0..rows).map(|i| Some(canonical(i))).collect();
        for kept in [DataType::String, category_dtype()] {
            for values in [&spelled, &plain, &Vec::new()] {
                let frame = df!("v" => values.clone()).unwrap();
                let (hi, lo) = half_names("v");
                let field = |name: &str| col("parts").struct_().field_by_name(name);
                let back = frame
                    .lazy()
                    .with_column(uuid_halves(col("v"), kept.clone()).alias("parts"))
                    .select([
                        field("text").alias("v"),
                        field("hi").alias(hi.as_str()),
                        field("lo").alias(lo.as_str()),
                        field("upper").alias(upper_name("v").as_str()),
                    ])
                    .collect()
                    .unwrap();
                let text = back.column("v").unwrap();
                assert_eq!(text.dtype(), &kept);
                // Text is kept for the values written neither way alone.
                let kept_rows = values
                    .iter()
                    .filter(|v| v.as_deref().is_some_and(|v| v.starts_with(' ')))
                    .count();
                assert_eq!(text.len() - text.null_count(), kept_rows);
                let given: Vec<Option<String>> = back
                    .lazy()
                    .select([uuid_text("v")])
                    .collect()
                    .unwrap()
                    .column("v")
                    .unwrap()
                    .str()
                    .unwrap()
                    .iter()
                    .map(|v| v.map(str::to_string))
                    .collect();
                assert_eq!(&given, values);
            }
        }
    }

    /// `per_category` answers as the same test on every row's text does: booleans and text,
    /// nulls, values the test cannot see as equal (padded, cased), a dictionary column over
    /// several chunks, and a column that is not a dictionary.
    #[test]
    fn per_category_answers_as_each_row_would() {
        let values = [
            Some("Orders"),
            None,
            Some(" orders "),
            Some("CUSTOMERS"),
            Some(""),
            Some("Σίσυφος"),
            Some("orders"),
            None,
        ];
        let text = Series::new("t".into(), values.to_vec());
        let categories = text.cast(&category_dtype()).unwrap();
        // Two chunks, the second repeating the first's values in another order.
        let mut chunked = categories.clone();
        chunked
            .append(&categories.reverse().with_name("t".into()))
            .unwrap();
        assert_eq!(chunked.n_chunks(), 2);
        let folded = || {
            col("t")
                .cast(DataType::String)
                .str()
                .strip_chars(lit(NULL))
                .str()
                .to_lowercase()
        };
        let tests: [(Expr, DataType); 3] = [
            (folded().eq(lit("orders")), DataType::Boolean),
            (
                col("t").cast(DataType::String).is_in(
                    lit(Series::new("n".into(), ["", "CUSTOMERS"])).implode(false),
                    false,
                ),
                DataType::Boolean,
            ),
            (folded().fill_null(lit("")), DataType::String),
        ];
        for column in [chunked.clone(), chunked.cast(&DataType::String).unwrap()] {
            let frame = DataFrame::new(column.len(), vec![column.into_column()]).unwrap();
            for (test, output) in &tests {
                let got = frame
                    .clone()
                    .lazy()
                    .select([per_category("t", test.clone(), output.clone()).alias("got")])
                    .collect()
                    .unwrap();
                let want = frame
                    .clone()
                    .lazy()
                    .select([test.clone().alias("want")])
                    .collect()
                    .unwrap();
                let got = got.column("got").unwrap().as_materialized_series().clone();
                let want = want
                    .column("want")
                    .unwrap()
                    .as_materialized_series()
                    .clone()
                    .with_name("got".into());
                assert_eq!(got.dtype(), output);
                assert!(
                    got.equals_missing(&want),
                    "{test:?}: {got:?} against {want:?}"
                );
            }
        }
    }

    /// Each value read alone: the same bytes give the same text whatever else the column
    /// holds (a rule per column read `ACCT000000000001` as a UUID in one file and as text
    /// in another; found by a fourth check).
    #[test]
    fn bytes_read_alike_whatever_else_the_column_holds() {
        let uuid = uuid::Uuid::parse_str("00000000-0000-0000-0000-000000000001").unwrap();
        let read = |values: Vec<&[u8]>, how: BytesAs| -> Vec<String> {
            let frame = df!("b" => values).unwrap();
            let out = frame
                .lazy()
                .select([bytes_text(col("b"), how)])
                .collect()
                .unwrap();
            out.column("b")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap().to_string())
                .collect()
        };
        let text: &[u8] = b"ACCT000000000001";
        assert_eq!(read(vec![text], BytesAs::Text), ["ACCT000000000001"]);
        assert_eq!(
            read(vec![text, uuid.as_bytes(), b"\xff\x01"], BytesAs::Text),
            [
                "ACCT000000000001",
                "00000000-0000-0000-0000-000000000001",
                "ff01"
            ]
        );
        assert_eq!(
            read(
                vec![uuid.as_bytes(), b"7a0c8f3e-2b4d-4e6f-8a1b-000000000001"],
                BytesAs::Uuid
            ),
            [
                "00000000-0000-0000-0000-000000000001",
                "7a0c8f3e-2b4d-4e6f-8a1b-000000000001"
            ]
        );
        assert_eq!(read(vec![text], BytesAs::Hex), [hex::encode(text)]);
    }
}
