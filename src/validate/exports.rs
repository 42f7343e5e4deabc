//! Field rules on exports (metrics, logs, mappings), each a polars filter over the whole
//! frame: unresolved references, negative counts, unknown enum values, malformed ids.

use polars::prelude::*;

use super::{rows_finding, Finding, RuleId, Subject, ValidateOptions};
use crate::load::tables::{FILE_COL, ROW_COL};
use crate::load::{Inputs, ENTITY_TYPE_KEY};
use crate::model::{LogLevel, OperationType};

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

pub fn check(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    let metrics = inputs.metrics.clone().lazy();
    let logs = inputs.logs.clone().lazy();
    let mappings = inputs.mappings.clone().lazy();

    let checks: Vec<PolarsResult<Option<Finding>>> = vec![
        rows_finding(
            RuleId::IntegrityReferenceUnresolved,
            Subject::new("table", "metrics.script_id"),
            metrics.clone().filter(col("script_uuid").is_null()),
            &["script_id"],
            &[],
            options,
            |n| format!("{n} metrics rows name a script_id that matches no script manifest"),
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
            |n| format!("{n} metrics rows name an entity_id that matches no entity"),
        ),
        rows_finding(
            RuleId::IntegrityReferenceUnresolved,
            Subject::new("table", "logs.script_id"),
            logs.clone().filter(col("script_uuid").is_null()),
            &["script_id"],
            &[],
            options,
            |n| format!("{n} log rows name a script_id that matches no script manifest"),
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
            |n| format!("{n} metrics rows have a negative count or time"),
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
            |n| format!("{n} log rows have an unknown operation_type or level"),
        ),
        rows_finding(
            RuleId::IntegrityMappingInvalidModernId,
            Subject::new("table", "mappings"),
            mappings.clone().filter(
                col("modern_id")
                    .str()
                    .contains(lit(UUID_PATTERN), true)
                    .not()
                    .fill_null(lit(true)),
            ),
            &["entity_type", "legacy_id", "modern_id"],
            &["legacy_id"],
            options,
            |n| format!("{n} mapping rows have a modern_id that is not a UUID"),
        ),
        rows_finding(
            RuleId::IntegrityMappingNegativeLegacyId,
            Subject::new("table", "mappings"),
            // Keys are text; only a key that is a whole number can be negative.
            mappings.filter(
                col("legacy_id")
                    .cast(DataType::Int64)
                    .lt(lit(0i64))
                    .fill_null(lit(false)),
            ),
            &["entity_type", "legacy_id", "modern_id"],
            &["legacy_id"],
            options,
            |n| format!("{n} mapping rows have a negative legacy_id"),
        ),
    ];
    for check in checks {
        findings.extend(check?);
    }
    more_checks(inputs, options, findings)
}

/// True where a JSON text column holds something that does not parse as JSON.
fn invalid_json(column: &str) -> Expr {
    let parsed = col(column).str().json_path_match(lit("$"));
    col(column)
        .is_not_null()
        .and(parsed.is_null())
        .and(col(column).str().strip_chars(lit(NULL)).neq(lit("null")))
}

/// Rows that repeat `keys` of an earlier row (in file and row order); the first stays.
fn repeats(frame: LazyFrame, keys: &[Expr]) -> PolarsResult<LazyFrame> {
    let first = col("__order").min().over(keys)?;
    Ok(frame
        .sort([FILE_COL, ROW_COL], Default::default())
        .with_row_index("__order", None)
        .filter(
            col("__order").neq(first).and(
                keys.iter()
                    .fold(lit(true), |all, k| all.and(k.clone().is_not_null())),
            ),
        ))
}

fn more_checks(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    let metrics = inputs.metrics.clone().lazy();
    let logs = inputs.logs.clone().lazy();
    let mappings = inputs.mappings.clone().lazy();
    let tolerance = inputs.config.throughput_tolerance;
    let expected_throughput = col("records_processed").cast(DataType::Float64) * lit(1000.0)
        / col("execution_time_ms").cast(DataType::Float64);
    let checks: Vec<PolarsResult<Option<Finding>>> = vec![
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
                .filter(
                    (col("throughput_per_second") - col("expected_throughput"))
                        .abs()
                        .gt(col("expected_throughput").abs() * lit(tolerance) + lit(0.01)),
                ),
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
            mappings.clone().filter(invalid_json("metadata")),
            &["entity_type", "legacy_id", "modern_id", "metadata"],
            &[],
            options,
            |n| format!("{n} mapping rows have metadata that is not valid JSON"),
        ),
        rows_finding(
            RuleId::IntegrityMappingDuplicateLegacyId,
            Subject::new("table", "mappings"),
            repeats(mappings.clone(), &[col(ENTITY_TYPE_KEY), col("legacy_id")])?,
            &["entity_type", "legacy_id", "modern_id"],
            &[ENTITY_TYPE_KEY, "legacy_id"],
            options,
            |n| {
                format!(
                    "{n} mapping rows repeat an (entity_type, legacy_id) pair of an earlier row"
                )
            },
        ),
        rows_finding(
            RuleId::IntegrityMappingDuplicateModernId,
            Subject::new("table", "mappings"),
            repeats(
                mappings.with_column(
                    col("modern_id")
                        .str()
                        .strip_chars(lit(NULL))
                        .str()
                        .to_lowercase()
                        .alias("__modern"),
                ),
                &[col("__modern")],
            )?,
            &["entity_type", "legacy_id", "modern_id"],
            &["__modern"],
            options,
            |n| format!("{n} mapping rows reuse the modern_id of an earlier row"),
        ),
    ];
    for check in checks {
        findings.extend(check?);
    }
    Ok(())
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

/// The seed's `id` rules for exports: a valid UUID when given, and unique in its kind.
pub fn export_ids(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    for (kind, frame) in [
        ("metrics", &inputs.metrics),
        ("logs", &inputs.logs),
        ("mappings", &inputs.mappings),
    ] {
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
        findings.extend(rows_finding(
            RuleId::IntegrityExportDuplicateId,
            Subject::new("table", kind),
            repeats(rows, &[col("id").str().to_lowercase()])?,
            &["id"],
            &["id"],
            options,
            |n| format!("{n} rows of {kind} repeat the id of an earlier row"),
        )?);
    }
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
