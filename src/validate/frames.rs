//! Field rules on exports (metrics, logs, mappings), each a polars filter over the whole
//! frame: unresolved references, negative counts, unknown enum values, malformed ids.

use polars::prelude::*;

use super::{rows_finding, Finding, Subject, ValidateOptions};
use crate::load::Inputs;
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
    let limit = options.samples;
    let metrics = inputs.metrics.clone().lazy();
    let logs = inputs.logs.clone().lazy();
    let mappings = inputs.mappings.clone().lazy();

    let checks: Vec<PolarsResult<Option<Finding>>> = vec![
        rows_finding(
            "integrity.reference.unresolved",
            Subject::new("table", "metrics.script_id"),
            metrics.clone().filter(col("script_uuid").is_null()),
            &["script_id"],
            limit,
            |n| format!("{n} metrics rows name a script_id that matches no script manifest"),
        ),
        rows_finding(
            "integrity.reference.unresolved",
            Subject::new("table", "metrics.entity_id"),
            metrics.clone().filter(
                col("entity_id")
                    .is_not_null()
                    .and(col("entity_uuid").is_null()),
            ),
            &["entity_id"],
            limit,
            |n| format!("{n} metrics rows name an entity_id that matches no entity"),
        ),
        rows_finding(
            "integrity.reference.unresolved",
            Subject::new("table", "logs.script_id"),
            logs.clone().filter(col("script_uuid").is_null()),
            &["script_id"],
            limit,
            |n| format!("{n} log rows name a script_id that matches no script manifest"),
        ),
        rows_finding(
            "integrity.metrics.negative_count",
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
            limit,
            |n| format!("{n} metrics rows have a negative count or time"),
        ),
        rows_finding(
            "integrity.log.invalid_enum",
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
            limit,
            |n| format!("{n} log rows have an unknown operation_type or level"),
        ),
        rows_finding(
            "integrity.mapping.invalid_modern_id",
            Subject::new("table", "mappings"),
            mappings.clone().filter(
                col("modern_id")
                    .str()
                    .contains(lit(UUID_PATTERN), true)
                    .not()
                    .fill_null(lit(true)),
            ),
            &["entity_type", "legacy_id", "modern_id"],
            limit,
            |n| format!("{n} mapping rows have a modern_id that is not a UUID"),
        ),
        rows_finding(
            "integrity.mapping.negative_legacy_id",
            Subject::new("table", "mappings"),
            mappings.filter(col("legacy_id").lt(lit(0i64))),
            &["entity_type", "legacy_id", "modern_id"],
            limit,
            |n| format!("{n} mapping rows have a negative legacy_id"),
        ),
    ];
    for check in checks {
        findings.extend(check?);
    }
    Ok(())
}
