//! Status history: the statuses that a script's MIGRATE log entries record in
//! `context.status`, in timestamp order, must follow the data model's state machine, and the
//! last one must agree with the manifest.
//!
//! Allowed: start at NOT_STARTED or IN_PROGRESS; NOT_STARTED → IN_PROGRESS;
//! IN_PROGRESS → COMPLETE | FAILED | ROLLBACK_REQUIRED; FAILED → IN_PROGRESS (retry);
//! COMPLETE | FAILED → ROLLBACK_REQUIRED; ROLLBACK_REQUIRED → IN_PROGRESS; a new run after
//! a finished one (COMPLETE → IN_PROGRESS | NOT_STARTED, FAILED → NOT_STARTED); and
//! repeating the current status. Entries with a `run_id` form one history per run, each
//! starting afresh; the last status overall must match the manifest. Entries of one
//! instant are taken in the order the log files hold them (by path, then row): a log is
//! written in order, and no order of a run's life fits every tie (FAILED then IN_PROGRESS
//! is a retry, IN_PROGRESS then FAILED a failure).

use polars::prelude::*;

use crate::load::tables::{FILE_COL, ROW_COL};
use crate::load::Inputs;
use crate::model::Status;
use crate::validate::{rows_finding, Field, Finding, RuleId, Sample, Subject, ValidateOptions};

crate::validate::registry::declare_rules! {
    INTEGRITY_STATUS_FINAL_MISMATCH = "integrity.status.final_mismatch", Integrity, Error,
        "The last status in a script's log agrees with its manifest",
        "The last context.status of the script's MIGRATE log entries, in timestamp order, must equal the \
         manifest's status: one of them is out of date.";
    INTEGRITY_STATUS_INVALID_TRANSITION = "integrity.status.invalid_transition", Integrity, Error,
        "Status changes in the log follow the state machine",
        "MIGRATE log entries with context.status must go NOT_STARTED -> IN_PROGRESS -> COMPLETE | FAILED, with \
         FAILED -> IN_PROGRESS for a retry; ROLLBACK_REQUIRED may follow IN_PROGRESS, COMPLETE or FAILED and lead \
         back to IN_PROGRESS. A new run may follow a finished one (COMPLETE -> IN_PROGRESS | NOT_STARTED for a \
         re-run or the next batch, FAILED -> NOT_STARTED); entries with a run_id form one history per run. The \
         first status must be NOT_STARTED or IN_PROGRESS. The statuses are the seed's MigrationStatus, five \
         values: MigrationScript lists four, and ROLLBACK_REQUIRED is accepted as the enum adds it. Example: \
         COMPLETE then FAILED with no run in between.";
}

const START: &str = "(start)";

fn allowed_transitions() -> Vec<(&'static str, &'static str)> {
    use Status::*;
    let mut pairs = vec![
        (START, NotStarted.as_str()),
        (START, InProgress.as_str()),
        (NotStarted.as_str(), InProgress.as_str()),
        (InProgress.as_str(), Complete.as_str()),
        (InProgress.as_str(), Failed.as_str()),
        (InProgress.as_str(), RollbackRequired.as_str()),
        (Failed.as_str(), InProgress.as_str()),
        (Complete.as_str(), RollbackRequired.as_str()),
        (Failed.as_str(), RollbackRequired.as_str()),
        (RollbackRequired.as_str(), InProgress.as_str()),
        // A new run after a finished one: a re-run or the next batch after COMPLETE, a
        // fresh start after FAILED. It starts a new history instead of breaking the old.
        (Complete.as_str(), InProgress.as_str()),
        (Complete.as_str(), NotStarted.as_str()),
        (Failed.as_str(), NotStarted.as_str()),
    ];
    pairs.extend(Status::ALL.iter().map(|s| (s.as_str(), s.as_str())));
    pairs
}

pub fn check(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    let history = inputs
        .logs
        .clone()
        .lazy()
        .filter(
            col("script_uuid").is_not_null().and(
                col("operation_type")
                    .str()
                    .strip_chars(lit(NULL))
                    .str()
                    .to_uppercase()
                    .eq(lit(crate::model::OperationType::Migrate.as_str())),
            ),
        )
        .with_column(
            col("context")
                .str()
                .json_path_match(lit("$.status"))
                .str()
                .strip_chars(lit(NULL))
                .str()
                .to_uppercase()
                // Read as the manifest's status is (`in-progress` is IN_PROGRESS): only
                // upper-cased, a log's `in-progress` broke the state machine and differed
                // from the manifest's (found by an independent check).
                .str()
                .replace_all(lit("[- ]"), lit("_"), false)
                .alias("status"),
        )
        .filter(col("status").is_not_null())
        .sort_by_exprs(
            [
                col("script_uuid"),
                col("timestamp"),
                col(FILE_COL),
                col(ROW_COL),
            ],
            Default::default(),
        )
        .with_column(
            col("status")
                .shift(lit(1))
                .over([col("script_uuid"), col("run_id").fill_null(lit(""))])?
                .fill_null(lit(START))
                .alias("previous_status"),
        );

    let (from, to): (Vec<&str>, Vec<&str>) = allowed_transitions().into_iter().unzip();
    let allowed = df!("__from" => from, "__to" => to)?.lazy();
    let invalid = history.clone().join(
        allowed,
        [col("previous_status"), col("status")],
        [col("__from"), col("__to")],
        JoinArgs::new(JoinType::Anti),
    );
    findings.extend(rows_finding(
        RuleId::IntegrityStatusInvalidTransition,
        Subject::new("table", "logs"),
        invalid,
        &["script_id", "timestamp", "previous_status", "status"],
        &[],
        options,
        |n| format!("{n} log entries record a status change the state machine does not allow"),
    )?);

    let last = history
        .group_by([col("script_uuid")])
        .agg([
            col("status").last().alias("status"),
            col(FILE_COL).last().alias("file"),
            col(ROW_COL).last().alias("row"),
        ])
        .sort(["script_uuid"], Default::default())
        .collect()?;
    let scripts = last.column("script_uuid")?.str()?;
    let statuses = last.column("status")?.str()?;
    let files = crate::load::tables::text_column(&last, "file")?;
    let rows = last.column("row")?.cast(&DataType::Int64)?;
    let rows = rows.i64()?;
    let by_id: std::collections::BTreeMap<String, &crate::model::Script> = inputs
        .scripts
        .iter()
        .map(|s| (s.id.to_string(), s))
        .collect();
    for i in 0..last.height() {
        let Some(script) = scripts.get(i).and_then(|id| by_id.get(id)) else {
            continue;
        };
        let logged = statuses.get(i).unwrap_or_default();
        if logged != script.status.as_str() {
            findings.push(
                Finding::new(
                    RuleId::IntegrityStatusFinalMismatch,
                    Subject::new("script", &script.name).with_id(script.id),
                    format!(
                        "the last status in the log is {logged}, the manifest says {}",
                        script.status
                    ),
                )
                .with_sample(Sample {
                    file: files.get(i).unwrap_or_default().to_string(),
                    row: rows.get(i).map(|r| r as u64),
                    fields: vec![
                        Field {
                            name: "logged".into(),
                            value: logged.to_string(),
                        },
                        Field {
                            name: "manifest".into(),
                            value: script.status.to_string(),
                        },
                    ],
                }),
            );
        }
    }
    Ok(())
}
