//! Field rules on exports (metrics, logs, mappings), each a polars filter over the whole
//! frame: unresolved references, negative counts, unknown enum values, malformed ids.

use polars::prelude::*;

use crate::load::tables::{half_names, uuid_text};
use crate::load::{Inputs, ENTITY_TYPE_KEY};
use crate::measure::repeats::{folded_text_hash, folded_uuid_hash, repeats_hashed};
use crate::measure::Measures;
use crate::model::{LogLevel, OperationType};
use crate::validate::{rows_finding, Finding, RuleId, Subject, ValidateOptions};

crate::validate::registry::declare_rules! {
    INTEGRITY_EXPORT_DUPLICATE_ID = "integrity.export.duplicate_id", Integrity, Error,
        "The id of every metrics, log and mapping row is unique",
        "The seed makes id each record's unique identifier. A repeated id (any case) usually means a row exported twice, \
         which doubles what it counts. Every row after the first with that id is listed.";
    INTEGRITY_EXPORT_INVALID_ID = "integrity.export.invalid_id", Integrity, Error,
        "The id of every metrics, log and mapping row, when given, is a UUID",
        "The seed types id as a UUID. An id that is not one (`42`, `run-1-row-3`) cannot be referenced as the data \
         model promises. Leave id out, or export the UUID.";
    INTEGRITY_EXPORT_MISSING_VALUE = "integrity.export.missing_value", Integrity, Error,
        "Every required column of every export row has a value",
        "A blank cell in a required column (a CSV ',,' or an NDJSON null; for a key, category or UUID such as \
         entity_type, legacy_id or modern_id also a quoted '\"\"' or '\"  \"') is not a value: a row without its \
         records_processed, execution_date, script_id, entity_type, legacy_id or modern_id cannot be counted honestly. Such rows \
         are left out of every figure and listed here with the columns they leave empty (metrics, logs, mappings, \
         inventories, source_ids). Fill the values in the export, or drop the rows there. Example: \
         `office-migration.ts,offices,,10,10,0,0,1000` has no execution_date.";
    INTEGRITY_JSON_INVALID = "integrity.json.invalid", Integrity, Error,
        "error_details, context and metadata hold valid JSON",
        "JSON-typed fields must parse as JSON (in CSV, quote the text and double inner quotes: \
         \"{\"\"a\"\": 1}\").";
    INTEGRITY_LOG_INVALID_ENUM = "integrity.log.invalid_enum", Integrity, Error,
        "Execution log rows have a known operation_type and level",
        "operation_type is one of MIGRATE, VALIDATE, ROLLBACK, FIX and level one of INFO, WARN, ERROR, DEBUG \
         (any case). Rows with other values are listed.";
    INTEGRITY_MAPPING_DUPLICATE_LEGACY_ID = "integrity.mapping.duplicate_legacy_id", Integrity, Error,
        "Each (entity_type, legacy_id) pair appears in one mapping row",
        "A legacy record mapped twice has two modern records, or one mapping is stale. Rows after the first (in \
         file and row order) are listed with both UUIDs' legacy id. For an entity type that entities of several \
         tables share, the table the mapping's legacy_table names (trimmed, ignoring case) is part of the identity: \
         (entity_type, legacy_table, legacy_id) must be unique.";
    INTEGRITY_MAPPING_DUPLICATE_MODERN_ID = "integrity.mapping.duplicate_modern_id", Integrity, Error,
        "Each modern_id appears in one mapping row",
        "Two legacy records mapped to the same modern UUID have been merged, or one mapping is wrong.";
    INTEGRITY_MAPPING_INVALID_MODERN_ID = "integrity.mapping.invalid_modern_id", Integrity, Error,
        "Every LegacyMapping.modern_id is a valid UUID",
        "modern_id must be a UUID such as 3f2b8c1e-9a4d-4c3b-8e2f-1a2b3c4d5e6f (any case; surrounding white space \
         does not count). Rows with anything else cannot be traced to a modern record.";
    INTEGRITY_MAPPING_TABLE_MISMATCH = "integrity.mapping.table_mismatch", Integrity, Error,
        "A mapping's legacy_table is a table that an entity of its entity_type migrates",
        "A mapping of entity type OFFICE (dispatch_office's entities alone declare it) whose legacy_table says \
         dispatch_fax_archive contradicts itself: its type or its table is wrong, and which cannot be told. It is \
         counted as no table's migrated row, so the table its type names shows it unmapped. Fix the mapping's \
         entity_type or legacy_table (a schema-qualified name such as dbo.dispatch_office names another table: \
         export the name the inventory gives).";
    INTEGRITY_MAPPING_NEGATIVE_LEGACY_ID = "integrity.mapping.negative_legacy_id", Integrity, Error,
        "Every LegacyMapping.legacy_id is a non-negative integer",
        "Legacy ids are row ids of the legacy database; a negative id points at nothing.";
    INTEGRITY_METRICS_COUNTS_EXCEED_PROCESSED = "integrity.metrics.counts_exceed_processed", Integrity, Error,
        "records_successful + records_failed + records_skipped <= records_processed",
        "An execution cannot account for more records than it processed.";
    INTEGRITY_METRICS_ENTITY_SCRIPT_MISMATCH = "integrity.metrics.entity_script_mismatch", Integrity, Error,
        "A metrics row's entity is migrated by the row's own script",
        "A metrics row of script A tagged with an entity whose migration_script_id is script B credits B's entity \
         with A's work. Fix the entity_id (or the entity's migration_script_id). Example: office-migration.ts \
         reporting on entity patients.";
    INTEGRITY_METRICS_FUTURE_EXECUTION = "integrity.metrics.future_execution", Integrity, Warning,
        "No execution is dated after the report date",
        "A metrics row whose execution_date falls after the report date is a clock or time-zone error (a local time read \
         as UTC) or a report dated too early. Check the exporting system's time zone (migcov.yaml `timezone`) or \
         pass the right --report-date.";
    INTEGRITY_METRICS_NEGATIVE_COUNT = "integrity.metrics.negative_count", Integrity, Error,
        "Metrics counts and times are non-negative",
        "records_processed, records_successful, records_failed, records_skipped and execution_time_ms cannot be \
         negative.";
    INTEGRITY_METRICS_THROUGHPUT_MISMATCH = "integrity.metrics.throughput_mismatch", Integrity, Warning,
        "throughput_per_second agrees with records_processed / execution_time_ms",
        "When given, throughput_per_second must be within throughput_tolerance (migcov.yaml, default 5%, plus \
         0.01) of records_processed * 1000 / execution_time_ms.";
    INTEGRITY_REFERENCE_UNRESOLVED = "integrity.reference.unresolved", Integrity, Error,
        "Every reference (script_id, entity_id, domain_id/domain, migration_script_id) resolves",
        "A reference is a UUID or a unique name of a record in the manifests. Rows whose reference resolves to \
         nothing are left out of every total: fix the reference or add the missing manifest.";
}

/// A UUID in its hyphenated form, any case.
const UUID_PATTERN: &str =
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

fn any_negative(columns: &[&str]) -> Expr {
    columns
        .iter()
        .map(|c| col(*c).lt(lit(0i64)).fill_null(lit(false)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

/// True where the upper-cased, trimmed text is not one of `allowed`.
fn not_one_of(column: &str, allowed: &[&str]) -> Expr {
    let allowed = Series::new("allowed".into(), allowed);
    col(column)
        .str()
        .strip_chars(lit(NULL))
        .str()
        .to_uppercase()
        .is_in(lit(allowed).implode(false), false)
        .not()
        .fill_null(lit(true))
}

/// "1 metrics row names …", "2 metrics rows name …": `verb` as one row does it.
fn rows(n: u64, table: &str, verb: &str, rest: &str) -> String {
    let plural_verb = match verb {
        "has" => "have",
        other => other.strip_suffix('s').unwrap_or(other),
    };
    let (row, verb) = match n {
        1 => ("row", verb),
        _ => ("rows", plural_verb),
    };
    format!("{n} {table} {row} {verb} {rest}")
}

/// The mapping rows' own tests: a modern_id that is no UUID, a negative legacy_id.
fn mapping_checks(
    mappings: &LazyFrame,
    options: &ValidateOptions,
) -> Vec<PolarsResult<Option<Finding>>> {
    vec![
        rows_finding(
            RuleId::IntegrityMappingInvalidModernId,
            Subject::new("table", "mappings"),
            mappings
                .clone()
                .filter(col("__bad_modern"))
                .with_column(uuid_text("modern_id")),
            &["entity_type", "legacy_id", "modern_id"],
            &["legacy_id"],
            options,
            |n| rows(n, "mapping", "has", "a modern_id that is not a UUID"),
        ),
        rows_finding(
            RuleId::IntegrityMappingNegativeLegacyId,
            Subject::new("table", "mappings"),
            // Keys are text; only a key that is a whole number can be negative.
            mappings
                .clone()
                .filter(col("__negative"))
                .with_column(uuid_text("modern_id")),
            &["entity_type", "legacy_id", "modern_id"],
            &["legacy_id"],
            options,
            |n| rows(n, "mapping", "has", "a negative legacy_id"),
        ),
    ]
}

pub fn check(
    inputs: &Inputs,
    measures: &Measures,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    let metrics = inputs.metrics.clone().lazy();
    let logs = inputs.logs.clone().lazy();
    let mappings = flagged_mappings(inputs)?;

    let checks: Vec<PolarsResult<Option<Finding>>> = vec![
        rows_finding(
            RuleId::IntegrityReferenceUnresolved,
            Subject::new("table", "metrics.script_id"),
            metrics.clone().filter(col("script_uuid").is_null()),
            &["script_id"],
            &[],
            options,
            |n| {
                rows(
                    n,
                    "metrics",
                    "names",
                    "a script_id that matches no script manifest",
                )
            },
        ),
        rows_finding(
            RuleId::IntegrityReferenceUnresolved,
            Subject::new("table", "metrics.entity_id"),
            metrics.clone().filter(
                col("entity_id")
                    .is_not_null()
                    .and(col("entity_uuid").is_null()),
            ),
            &["entity_id"],
            &[],
            options,
            |n| rows(n, "metrics", "names", "an entity_id that matches no entity"),
        ),
        rows_finding(
            RuleId::IntegrityReferenceUnresolved,
            Subject::new("table", "logs.script_id"),
            logs.clone().filter(col("script_uuid").is_null()),
            &["script_id"],
            &[],
            options,
            |n| {
                rows(
                    n,
                    "log",
                    "names",
                    "a script_id that matches no script manifest",
                )
            },
        ),
        rows_finding(
            RuleId::IntegrityMetricsNegativeCount,
            Subject::new("table", "metrics"),
            metrics.filter(any_negative(&[
                "records_processed",
                "records_successful",
                "records_failed",
                "records_skipped",
                "execution_time_ms",
            ])),
            &[
                "script_id",
                "records_processed",
                "records_successful",
                "records_failed",
                "records_skipped",
                "execution_time_ms",
            ],
            &[],
            options,
            |n| rows(n, "metrics", "has", "a negative count or time"),
        ),
        rows_finding(
            RuleId::IntegrityLogInvalidEnum,
            Subject::new("table", "logs"),
            logs.filter(
                not_one_of(
                    "operation_type",
                    &OperationType::ALL
                        .iter()
                        .map(|v| v.as_str())
                        .collect::<Vec<_>>(),
                )
                .or(not_one_of(
                    "level",
                    &LogLevel::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
                )),
            ),
            &["script_id", "operation_type", "level"],
            &[],
            options,
            |n| rows(n, "log", "has", "an unknown operation_type or level"),
        ),
    ];
    let elsewhere = measures
        .missing_sets
        .ownership
        .named_elsewhere(&inputs.mappings)?;
    let table_mismatch = elsewhere.map(|mismatched| {
        rows_finding(
            RuleId::IntegrityMappingTableMismatch,
            Subject::new("table", "mappings"),
            mappings
                .clone()
                .filter(lit(mismatched.into_series()))
                .with_column(uuid_text("modern_id")),
            &["entity_type", "legacy_table", "legacy_id", "modern_id"],
            &["legacy_id"],
            options,
            |n| {
                rows(
                    n,
                    "mapping",
                    "names",
                    "a legacy_table that no entity of the same entity_type migrates: counted for no table",
                )
            },
        )
    });
    for check in checks
        .into_iter()
        .chain(mapping_checks(&mappings, options))
        .chain(table_mismatch)
    {
        findings.extend(check?);
    }
    // What the row tests of every mapping freed, handed back before the repeats' hashes.
    crate::memory::release_freed_memory();
    more_checks(inputs, measures, mappings, options, findings)
}

/// The mappings with the row-level tests of the mapping rules as columns: `__bad_modern`
/// (a modern_id that is not a UUID) and `__negative` (a negative legacy_id), each computed
/// once for both rules that read it, not in each rule's plan. (Metadata was tested on
/// load: only the values that are not JSON were kept.)
fn flagged_mappings(inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let negative = negative_legacy_ids(inputs.mappings.column("legacy_id")?)?;
    let flags = [
        negative,
        bad_modern_ids(inputs.mappings.column("modern_id")?)?,
    ];
    Ok(inputs.mappings.hstack(&flags)?.lazy())
}

/// `__negative`: the rows whose `legacy_id` is a negative whole number. Keys are text, or
/// numbers when all of them are (`ColumnKind::Key`): only a key that is a whole number can
/// be negative, and only a text that starts with a minus sign (white space aside) can be
/// one, so those are cast as polars casts text to a number, a million rows at a time,
/// not every key (the cast of every key held 8 bytes a mapping beside them: 0.6 GiB, the
/// peak of the build at 100M realistic mappings).
fn negative_legacy_ids(legacy: &Column) -> PolarsResult<Column> {
    const SLICE: usize = 1 << 20;
    let name = PlSmallStr::from_static("__negative");
    let Ok(text) = legacy.str() else {
        let negative = legacy.cast(&DataType::Int64)?;
        let negative = negative.i64()?.lt(0).fill_null_with_values(false)?;
        return Ok(negative.with_name(name).into_column());
    };
    let mut negative = vec![false; text.len()];
    for offset in (0..text.len()).step_by(SLICE) {
        let slice = text.slice(offset as i64, SLICE);
        let candidates: Vec<IdxSize> = slice
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_some_and(|t| t.trim_start().starts_with('-')))
            .map(|(i, _)| i as IdxSize)
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let at = IdxCa::from_vec("at".into(), candidates);
        let values = slice.take(&at)?.into_series().cast(&DataType::Int64)?;
        for (i, value) in at.into_no_null_iter().zip(values.i64()?.iter()) {
            negative[offset + i as usize] = value.is_some_and(|v| v < 0);
        }
    }
    Ok(BooleanChunked::from_slice(name, &negative).into_column())
}

/// `__bad_modern`: the rows whose `modern_id` is no UUID. Load kept the text of the values
/// that are not canonical UUIDs only (an empty value left the row out), so every other
/// value is a UUID; the kept text is a dictionary column, and each distinct value is tested
/// once.
fn bad_modern_ids(kept: &Column) -> PolarsResult<Column> {
    let name = PlSmallStr::from_static("__bad_modern");
    if kept.null_count() == kept.len() {
        return Ok(Column::new_scalar(name, Scalar::from(false), kept.len()));
    }
    let Some((mapping, codes)) = crate::load::tables::category_codes(kept)? else {
        let bad = not_uuid(col(kept.name().clone())).fill_null(lit(false));
        return DataFrame::new(kept.len(), vec![kept.clone()])?
            .lazy()
            .select([bad.alias(name.clone())])
            .collect()?
            .drop_in_place(name.as_str());
    };
    // The distinct codes, each value tested once; then each row by its code, at the
    // codes' own width (a test of the column as polars runs it held every row's code in
    // four bytes and more, 0.6 GiB at 100M realistic mappings).
    let mut distinct = std::collections::BTreeSet::new();
    crate::load::tables::for_each_code(&codes, |_, code| {
        distinct.extend(code);
    })?;
    let texts: Vec<&str> = distinct
        .iter()
        .map(|c| mapping.cat_to_str(*c).unwrap_or_default())
        .collect();
    let values = Column::new("v".into(), &texts);
    let tested = DataFrame::new(values.len(), vec![values])?
        .lazy()
        .select([not_uuid(col("v")).fill_null(lit(false)).alias("bad")])
        .collect()?;
    let bad_codes: std::collections::HashSet<u32> = distinct
        .iter()
        .zip(tested.column("bad")?.bool()?.iter())
        .filter(|(_, bad)| *bad == Some(true))
        .map(|(c, _)| *c)
        .collect();
    let mut bad = vec![false; kept.len()];
    if !bad_codes.is_empty() {
        crate::load::tables::for_each_code(&codes, |row, code| {
            bad[row] = code.is_some_and(|c| bad_codes.contains(&c));
        })?;
    }
    Ok(BooleanChunked::from_slice(name, &bad).into_column())
}

/// True where a text (trimmed, as every key is read, and as load found the UUIDs'
/// halves) is no UUID.
fn not_uuid(text: Expr) -> Expr {
    text.cast(DataType::String)
        .str()
        .strip_chars(lit(NULL))
        .str()
        .contains(lit(UUID_PATTERN), true)
        .not()
}

/// A modern id as duplicates compare it: trimmed, in lower case.
fn modern_key() -> Expr {
    uuid_text("modern_id")
        .str()
        .strip_chars(lit(NULL))
        .str()
        .to_lowercase()
}

/// True where a JSON text column holds something that does not parse as JSON.
fn invalid_json(column: &str) -> Expr {
    crate::load::tables::invalid_json(col(column))
}

/// The rules that read the metrics' and logs' values, JSON and the mappings' repeats,
/// every one computed before the first error is returned, as in [`check`].
fn more_checks(
    inputs: &Inputs,
    measures: &Measures,
    mappings: LazyFrame,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    let mut checks = metrics_consistency(inputs, options);
    checks.extend(json_validity(inputs, options));
    checks.push(rows_finding(
        RuleId::IntegrityMappingDuplicateLegacyId,
        Subject::new("table", "mappings"),
        // Found once by `measure` (reconciliation counts them too).
        measures.legacy_repeats.clone().lazy(),
        &["entity_type", "legacy_id", "modern_id"],
        &[ENTITY_TYPE_KEY, "legacy_id"],
        options,
        |n| format!("{n} mapping rows repeat an (entity_type, legacy_id) pair of an earlier row"),
    ));
    checks.push(rows_finding(
        RuleId::IntegrityMappingDuplicateModernId,
        Subject::new("table", "mappings"),
        // Modern ids compare trimmed and in lower case; the fold is computed for the
        // rows whose hash repeats only.
        // Among UUIDs only: a modern_id that is none (`""`, `not-a-uuid`) is
        // `invalid_modern_id`'s, not also a repeat of another that is none (found by an
        // independent check). Filtered among the repeats (no UUID repeats a value that is
        // none), not before: a filtered copy of every mapping cost 110 MB at 10M.
        repeats_hashed(
            mappings,
            &[modern_key()],
            folded_uuid_hash("modern_id", true),
            true,
        )?
        .filter(col(half_names("modern_id").0.as_str()).is_not_null())
        .with_columns([modern_key().alias("__modern"), uuid_text("modern_id")]),
        &["entity_type", "legacy_id", "modern_id"],
        &["__modern"],
        options,
        |n| format!("{n} mapping rows reuse the modern_id of an earlier row"),
    ));
    for check in checks {
        findings.extend(check?);
    }
    Ok(())
}

/// `integrity.metrics.counts_exceed_processed` and `integrity.metrics.throughput_mismatch`:
/// metrics rows whose figures disagree with each other.
fn metrics_consistency(
    inputs: &Inputs,
    options: &ValidateOptions,
) -> Vec<PolarsResult<Option<Finding>>> {
    let metrics = inputs.metrics.clone().lazy();
    let tolerance = inputs.config.throughput_tolerance;
    let expected_throughput = col("records_processed").cast(DataType::Float64) * lit(1000.0)
        / col("execution_time_ms").cast(DataType::Float64);
    vec![
        rows_finding(
            RuleId::IntegrityMetricsCountsExceedProcessed,
            Subject::new("table", "metrics"),
            metrics.clone().filter(
                (col("records_successful")
                    + col("records_failed")
                    + col("records_skipped").fill_null(lit(0i64)))
                .gt(col("records_processed")),
            ),
            &[
                "script_id",
                "records_processed",
                "records_successful",
                "records_failed",
                "records_skipped",
            ],
            &[],
            options,
            |n| format!("{n} metrics rows count more successful + failed + skipped than processed"),
        ),
        rows_finding(
            RuleId::IntegrityMetricsThroughputMismatch,
            Subject::new("table", "metrics"),
            metrics
                .clone()
                .filter(
                    col("throughput_per_second")
                        .is_not_null()
                        .and(col("execution_time_ms").gt(lit(0i64))),
                )
                .with_column(expected_throughput.alias("expected_throughput"))
                .filter({
                    // Past the bound by more than the float error of working it out, as
                    // `model::at_most` allows: 105.01/s for 100 records in a second was
                    // flagged exactly at the bound (found by an independent check).
                    let allowed = col("expected_throughput").abs() * lit(tolerance) + lit(0.01);
                    (col("throughput_per_second") - col("expected_throughput"))
                        .abs()
                        .gt(allowed.clone() + allowed.abs() * lit(1e-12))
                }),
            &[
                "script_id",
                "records_processed",
                "execution_time_ms",
                "throughput_per_second",
                "expected_throughput",
            ],
            &[],
            options,
            |n| format!("{n} metrics rows state a throughput that disagrees with processed / time"),
        ),
    ]
}

/// `integrity.json.invalid`: metrics' error_details, logs' context and mappings' metadata
/// that are not JSON.
fn json_validity(inputs: &Inputs, options: &ValidateOptions) -> Vec<PolarsResult<Option<Finding>>> {
    let metrics = inputs.metrics.clone().lazy();
    let logs = inputs.logs.clone().lazy();
    vec![
        rows_finding(
            RuleId::IntegrityJsonInvalid,
            Subject::new("table", "metrics.error_details"),
            metrics.filter(invalid_json("error_details")),
            &["script_id", "error_details"],
            &[],
            options,
            |n| format!("{n} metrics rows have error_details that is not valid JSON"),
        ),
        rows_finding(
            RuleId::IntegrityJsonInvalid,
            Subject::new("table", "logs.context"),
            logs.filter(invalid_json("context")),
            &["script_id", "context"],
            &[],
            options,
            |n| format!("{n} log rows have a context that is not valid JSON"),
        ),
        rows_finding(
            RuleId::IntegrityJsonInvalid,
            Subject::new("table", "mappings.metadata"),
            // Load kept only the metadata that is not JSON (`Keep::Invalid`), apart.
            inputs
                .invalid_metadata
                .clone()
                .lazy()
                .with_column(uuid_text("modern_id")),
            &["entity_type", "legacy_id", "modern_id", "metadata"],
            &[],
            options,
            |n| format!("{n} mapping rows have metadata that is not valid JSON"),
        ),
    ]
}

/// Rows that left a required column empty (split off at load, so they reach no figure).
pub fn missing_values(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    for (kind, rows) in &inputs.incomplete {
        findings.extend(rows_finding(
            RuleId::IntegrityExportMissingValue,
            Subject::new("table", *kind),
            rows.clone().lazy(),
            &["empty"],
            &[],
            options,
            |n| format!("{n} rows of {kind} leave a required column empty; they are left out of every figure"),
        )?);
    }
    Ok(())
}

/// Metrics rows dated after the end of the report date (UTC): a clock or zone error.
pub fn future_executions(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    let Some(date) = options.report_date else {
        return Ok(());
    };
    let end = date
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or(i64::MAX);
    findings.extend(rows_finding(
        RuleId::IntegrityMetricsFutureExecution,
        Subject::new("table", "metrics"),
        inputs
            .metrics
            .clone()
            .lazy()
            .filter(col("execution_date").gt_eq(lit(end))),
        &["script_id", "execution_date"],
        &["execution_date"],
        options,
        |n| format!("{n} metrics rows are dated after the report date {date}"),
    )?);
    Ok(())
}

/// The seed's `id` rules for metrics and logs: a valid UUID when given, and unique in its
/// kind. The mappings' are [`mapping_ids`].
pub fn export_ids(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    ids_of("metrics", &inputs.metrics, false, options, findings)?;
    ids_of("logs", &inputs.logs, false, options, findings)
}

/// The `id` rules for mappings, over their ids apart (`__file`, `__row`, `id` held as a
/// UUID's halves: [`crate::load::MappingIds::read`]).
pub fn mapping_ids(
    ids: &DataFrame,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    ids_of("mappings", ids, true, options, findings)
}

/// The `id` rules for the rows of `frame`, whose `id` is held as a UUID's halves when
/// `halves` ([`crate::load::tables::ColumnKind::Id`]).
fn ids_of(
    kind: &str,
    frame: &DataFrame,
    halves: bool,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    let rows = frame.clone().lazy();
    findings.extend(rows_finding(
        RuleId::IntegrityExportInvalidId,
        Subject::new("table", kind),
        rows.clone().filter(
            col("id")
                .is_not_null()
                .and(col("id").str().contains(lit(UUID_PATTERN), true).not()),
        ),
        &["id"],
        &[],
        options,
        |n| format!("{n} rows of {kind} have an id that is not a UUID"),
    )?);
    // A mapping's id is held as a UUID's halves where it is one (`ColumnKind::Id`):
    // `id` holds the text of the other values only, so the test above, which every
    // UUID passes, reads that text alone; the repeats' test hashes the halves.
    let (given_by, key, hash) = match halves {
        true => (
            half_names("id").0,
            uuid_text("id"),
            folded_uuid_hash("id", false),
        ),
        false => ("id".to_string(), col("id"), folded_text_hash("id")),
    };
    // Only rows that give an id (most exports give none) go through the repeats' test;
    // when every row gives one, the rows as they are (a filtered copy of every
    // mapping was 26 million rows of every column at 30M records).
    let given = match frame.column(&given_by)?.null_count() {
        0 => rows,
        _ => rows.filter(
            col(given_by.as_str())
                .is_not_null()
                .or(col("id").is_not_null()),
        ),
    };
    // Ids compare in lower case; the fold (and a mapping's text) is computed for the
    // rows whose hash repeats only. The mappings are in the order they were read (as
    // the other repeats of mappings take them); metrics and logs are sorted first.
    let mut repeated =
        repeats_hashed(given, &[key.str().to_lowercase()], hash, kind == "mappings")?;
    if halves {
        repeated = repeated.with_column(uuid_text("id"));
    }
    findings.extend(rows_finding(
        RuleId::IntegrityExportDuplicateId,
        Subject::new("table", kind),
        repeated,
        &["id"],
        &["id"],
        options,
        |n| format!("{n} rows of {kind} repeat the id of an earlier row"),
    )?);
    Ok(())
}

/// Metrics rows whose entity belongs to another script than the row's own.
pub fn entity_script_mismatch(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    let (entities, scripts): (Vec<String>, Vec<String>) = inputs
        .entities
        .iter()
        .filter_map(|e| Some((e.id.to_string(), e.migration_script_id?.to_string())))
        .unzip();
    let owners = df!("__entity" => entities, "__owner" => scripts)?.lazy();
    findings.extend(rows_finding(
        RuleId::IntegrityMetricsEntityScriptMismatch,
        Subject::new("table", "metrics"),
        inputs
            .metrics
            .clone()
            .lazy()
            .filter(col("script_uuid").is_not_null())
            .join(
                owners,
                [col("entity_uuid")],
                [col("__entity")],
                JoinArgs::new(JoinType::Inner),
            )
            .filter(col("__owner").neq(col("script_uuid"))),
        &["script_id", "entity_id"],
        &[],
        options,
        |n| format!("{n} metrics rows name an entity that another script migrates"),
    )?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `__negative` is polars' cast of every key to a number, tested below zero, on keys
    /// of every shape: negative and positive numbers, white space, signs, text with a
    /// minus inside (composite keys, UUIDs), numbers past 64 bits, nulls; spread over
    /// more than one slice of rows.
    #[test]
    fn negative_legacy_ids_are_polars_cast() {
        let shapes = [
            Some("-5"),
            Some(" -5"),
            Some("-5 "),
            Some("5"),
            Some("+5"),
            Some("-0"),
            Some("--5"),
            Some("-"),
            Some("-abc"),
            Some("A-17"),
            Some("5b1e0a52-8f5e-4d1c-9a43-000000000001"),
            Some("-99999999999999999999"),
            Some("-9223372036854775808"),
            Some("-1.5"),
            Some(""),
            None,
        ];
        let rows = (1 << 20) + 100;
        let keys: Vec<Option<&str>> = (0..rows).map(|i| shapes[i * 7 % shapes.len()]).collect();
        let legacy = Column::new("legacy_id".into(), &keys);
        let expected = DataFrame::new(rows, vec![legacy.clone()])
            .unwrap()
            .lazy()
            .select([col("legacy_id")
                .cast(DataType::Int64)
                .lt(lit(0i64))
                .fill_null(lit(false))])
            .collect()
            .unwrap();
        let found = negative_legacy_ids(&legacy).unwrap();
        let expected = expected.column("legacy_id").unwrap();
        assert_eq!(found.bool().unwrap().sum(), expected.bool().unwrap().sum());
        assert!(found.as_materialized_series().equals(
            &expected
                .as_materialized_series()
                .clone()
                .with_name("__negative".into())
        ));
        // Keys held as numbers (every key a whole number).
        let numbers = Column::new("legacy_id".into(), &[Some(-3i64), None, Some(4)]);
        let found = negative_legacy_ids(&numbers).unwrap();
        let found: Vec<Option<bool>> = found.bool().unwrap().iter().collect();
        assert_eq!(found, [Some(true), Some(false), Some(false)]);
    }

    /// `__bad_modern` tests each kept text as a UUID once, whatever the dictionary's width
    /// (one, two or four bytes a row) or plain text: the same rows as a test of every row.
    #[test]
    fn bad_modern_ids_are_the_same_in_any_dictionary() {
        for distinct in [3usize, 300, 70_000] {
            let kept: Vec<Option<String>> = (0..distinct * 2)
                .map(|i| match i % 4 {
                    0 => None,
                    1 => Some(format!(" 5b1e0a52-8f5e-4d1c-9a43-{:012x} ", i % distinct)),
                    _ => Some(format!("not-a-uuid-{}", i % distinct)),
                })
                .collect();
            let text = Column::new("modern_id".into(), &kept);
            let expected: Vec<bool> = kept
                .iter()
                .map(|k| k.as_deref().is_some_and(|k| k.contains("not-a-uuid")))
                .collect();
            let dictionary = text.cast(&crate::load::tables::category_dtype()).unwrap();
            let narrow = crate::load::tables::narrowed(&dictionary).unwrap();
            for column in [&text, &dictionary, &narrow] {
                let found = bad_modern_ids(column).unwrap();
                let found: Vec<bool> = found
                    .bool()
                    .unwrap()
                    .iter()
                    .map(|b| b == Some(true))
                    .collect();
                assert_eq!(found, expected, "{distinct} values, {:?}", column.dtype());
            }
        }
    }
}
