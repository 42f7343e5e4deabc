//! Reads exports (CSV, Parquet, NDJSON) into typed polars frames.
//!
//! Every file is scanned lazily, its columns checked against a [`ColumnSpec`] list, converted
//! to one canonical type per column, and tagged with its relative path (`__file`) and 1-based
//! data row (`__row`), so any finding can point back at the row it came from. CSV is read
//! with every column as text and converted here, so the same rules apply to all formats: a
//! value that does not convert is a [`LoadError::BadValue`] naming file, row and column.
//! Timestamps become Int64 milliseconds since the Unix epoch (UTC).

use polars::prelude::*;

use super::discover::{InputFile, TableFormat};
use super::LoadError;

pub const FILE_COL: &str = "__file";
pub const ROW_COL: &str = "__row";

/// The canonical type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Int,
    Float,
    /// ISO 8601 in UTC, e.g. `2026-03-01T08:15:00Z`; stored as epoch milliseconds.
    Timestamp,
    /// JSON text (in CSV) or a JSON object (in NDJSON); stored as JSON text.
    Json,
}

impl ColumnKind {
    fn dtype(self) -> DataType {
        match self {
            ColumnKind::Text | ColumnKind::Json => DataType::String,
            ColumnKind::Int | ColumnKind::Timestamp => DataType::Int64,
            ColumnKind::Float => DataType::Float64,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            ColumnKind::Text => "text",
            ColumnKind::Int => "a whole number",
            ColumnKind::Float => "a number",
            ColumnKind::Timestamp => "an ISO 8601 timestamp such as 2026-03-01T08:15:00Z",
            ColumnKind::Json => "JSON",
        }
    }
}

/// One column of an export's contract.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: ColumnKind,
    pub required: bool,
}

const fn req(name: &'static str, kind: ColumnKind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: ColumnKind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: false,
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
];

pub const MAPPINGS: &[ColumnSpec] = &[
    opt("id", Text),
    req("entity_type", Text),
    req("legacy_id", Int),
    req("modern_id", Text),
    opt("migration_batch", Text),
    opt("migrated_at", Timestamp),
    opt("metadata", Json),
];

pub const INVENTORY: &[ColumnSpec] = &[req("table", Text), req("row_count", Int)];

pub const SOURCE_IDS: &[ColumnSpec] = &[req("id", Int)];

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

/// Formats tried in turn for timestamps given as text.
const TIMESTAMP_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
];

fn scan(file: &InputFile, format: TableFormat) -> PolarsResult<LazyFrame> {
    let path = PlRefPath::try_from_path(&file.path)?;
    match format {
        TableFormat::Csv => LazyCsvReader::new(path)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_glob(false)
            .finish(),
        TableFormat::Parquet => LazyFrame::scan_parquet(
            path,
            ScanArgsParquet {
                glob: false,
                ..Default::default()
            },
        ),
        TableFormat::Ndjson => LazyJsonLineReader::new(path).finish(),
    }
}

/// The expression turning a column of dtype `found` into the spec's canonical type; invalid
/// values become null, which [`check_conversions`] then reports.
fn convert(spec: &ColumnSpec, found: &DataType) -> Expr {
    let c = col(spec.name);
    let text = matches!(found, DataType::String);
    match spec.kind {
        Text => c.cast(DataType::String),
        Json => match found {
            DataType::Struct(_) => c.struct_().json_encode(),
            _ => c.cast(DataType::String),
        },
        Int | Float if text => c.str().strip_chars(lit(NULL)).cast(spec.kind.dtype()),
        Int | Float => c.cast(spec.kind.dtype()),
        Timestamp if text => {
            let trimmed = c.str().strip_chars(lit(NULL));
            let attempts: Vec<Expr> = TIMESTAMP_FORMATS
                .iter()
                .map(|format| {
                    trimmed.clone().str().to_datetime(
                        Some(TimeUnit::Milliseconds),
                        None,
                        StrptimeOptions {
                            format: Some((*format).into()),
                            strict: false,
                            exact: true,
                            cache: false,
                        },
                        lit("raise"),
                    )
                })
                .collect();
            coalesce(&attempts).cast(DataType::Int64)
        }
        Timestamp => c
            .cast(DataType::Datetime(TimeUnit::Milliseconds, None))
            .cast(DataType::Int64),
    }
}

fn raw_name(spec: &ColumnSpec) -> String {
    format!("__raw_{}", spec.name)
}

/// Loads every file of one kind into a single frame with the spec's columns (absent optional
/// columns are null) plus `__file` and `__row`, files in the order given.
pub fn load_table(files: &[&InputFile], specs: &[ColumnSpec]) -> Result<DataFrame, LoadError> {
    let mut frames = Vec::with_capacity(files.len());
    for file in files {
        let format = file
            .kind
            .table_format()
            .ok_or_else(|| LoadError::table(&file.relative, "not a CSV, Parquet or NDJSON file"))?;
        frames.push(load_file(file, format, specs)?);
    }
    if frames.is_empty() {
        return Ok(empty_frame(specs));
    }
    let combined = concat(
        frames.into_iter().map(|f| f.lazy()).collect::<Vec<_>>(),
        UnionArgs::default(),
    )
    .and_then(|lf| lf.collect())
    .map_err(|e| LoadError::table(&files[0].relative, e))?;
    Ok(combined)
}

fn load_file(
    file: &InputFile,
    format: TableFormat,
    specs: &[ColumnSpec],
) -> Result<DataFrame, LoadError> {
    let shown = &file.relative;
    let mut lf = scan(file, format).map_err(|e| LoadError::table(shown, e))?;
    let schema = lf
        .collect_schema()
        .map_err(|e| LoadError::table(shown, e))?;
    for spec in specs.iter().filter(|s| s.required) {
        if schema.get(spec.name).is_none() {
            return Err(LoadError::MissingColumn {
                path: shown.clone(),
                column: spec.name.to_string(),
                found: schema
                    .iter_names()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let mut exprs = vec![
        lit(shown.display().to_string()).alias(FILE_COL),
        col(ROW_COL).cast(DataType::Int64),
    ];
    let mut checked = Vec::new();
    for spec in specs {
        match schema.get(spec.name) {
            None => exprs.push(lit(NULL).cast(spec.kind.dtype()).alias(spec.name)),
            Some(found) => {
                exprs.push(convert(spec, found).alias(spec.name));
                if !matches!(spec.kind, Text | Json) {
                    exprs.push(col(spec.name).cast(DataType::String).alias(raw_name(spec)));
                    checked.push(*spec);
                }
            }
        }
    }
    let df = lf
        .with_row_index(ROW_COL, Some(1))
        .select(exprs)
        .collect()
        .map_err(|e| LoadError::table(shown, e))?;
    check_conversions(&df, file, &checked)?;
    let raw: Vec<String> = checked.iter().map(raw_name).collect();
    Ok(df.drop_many(raw))
}

/// The first row, in file order, whose value did not convert: an error naming file, row and
/// column.
fn check_conversions(
    df: &DataFrame,
    file: &InputFile,
    checked: &[ColumnSpec],
) -> Result<(), LoadError> {
    let shown = &file.relative;
    for spec in checked {
        let raw = raw_name(spec);
        let bad = df
            .clone()
            .lazy()
            .filter(
                col(raw.as_str())
                    .is_not_null()
                    .and(col(spec.name).is_null()),
            )
            .select([col(ROW_COL), col(raw.as_str())])
            .limit(1)
            .collect()
            .map_err(|e| LoadError::table(shown, e))?;
        if bad.height() > 0 {
            let row = bad
                .column(ROW_COL)
                .and_then(|c| c.i64().map(|c| c.get(0)))
                .ok()
                .flatten()
                .unwrap_or_default();
            let found = bad
                .column(&raw)
                .and_then(|c| c.str().map(|c| c.get(0).map(str::to_string)))
                .ok()
                .flatten()
                .unwrap_or_default();
            return Err(LoadError::BadValue {
                path: shown.clone(),
                row: row as u64,
                column: spec.name.to_string(),
                expected: spec.kind.expected(),
                found,
            });
        }
    }
    Ok(())
}

/// A frame with the spec's columns and no rows, for a kind of export that is absent.
pub fn empty_frame(specs: &[ColumnSpec]) -> DataFrame {
    let mut columns = vec![
        Column::new_empty(FILE_COL.into(), &DataType::String),
        Column::new_empty(ROW_COL.into(), &DataType::Int64),
    ];
    columns.extend(
        specs
            .iter()
            .map(|s| Column::new_empty(s.name.into(), &s.kind.dtype())),
    );
    DataFrame::new_infer_height(columns).expect("distinct column names")
}
