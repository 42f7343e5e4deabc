//! Stage 2, measure: the aggregates every later stage reads, computed once.
//!
//! Export frames are aggregated with polars expressions (group-bys and joins), never by
//! walking rows; only the small results (one row per script or per execution) are turned into
//! Rust values. Manifest records (scripts, domains, entities) are small and summed directly.
//!
//! Definitions (docs/figures.md repeats them):
//! - a script's metrics totals are sums over the executions (rows of `metrics/`) of its
//!   final runs (see [`FINAL_RUN`]); its computed success rate is
//!   `Σ records_successful / Σ records_processed` over them; the same sums over every
//!   attempt are kept beside them;
//! - a script's throughput is `Σ records_processed / (Σ execution_time_ms / 1000)`;
//! - a domain's coverage is `Σ migrated_records / Σ total_records` over its entities.

mod buckets;
pub mod content;
mod held;
pub mod ledger;
pub mod missing;
pub mod repeats;
mod set_aside;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::load::tables::{half_names, upper_name, uuid_text, FILE_COL, ROW_COL};
use crate::load::{Inputs, ENTITY_TYPE_KEY, FINAL_RUN};
use crate::model::{format_timestamp, Domain, LogLevel};

/// How many of a script's most recent log entries its page lists.
pub const RECENT_LOG_ENTRIES: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ScriptTotals {
    pub executions: u64,
    pub records_processed: i64,
    pub records_successful: i64,
    pub records_failed: i64,
    pub records_skipped: i64,
    pub execution_time_ms: i64,
    /// `None` when nothing was processed.
    pub success_rate: Option<f64>,
    /// `None` when no time was recorded.
    pub throughput_per_second: Option<f64>,
    /// ISO 8601, UTC.
    pub first_execution: Option<String>,
    /// ISO 8601, UTC.
    pub last_execution: Option<String>,
}

/// One row of `metrics/`, for a script's charts and execution table.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Execution {
    /// The metrics row's own `id`, when the export gives one.
    pub id: Option<String>,
    /// ISO 8601, UTC.
    pub execution_date: String,
    pub entity_id: Option<Uuid>,
    pub records_processed: i64,
    pub records_successful: i64,
    pub records_failed: i64,
    pub records_skipped: i64,
    pub execution_time_ms: i64,
    pub throughput_per_second: Option<f64>,
    /// Parsed when it is valid JSON, else the text as given (rule `integrity.json.invalid`
    /// reports it).
    pub error_details: Option<serde_json::Value>,
    pub file: String,
    pub row: i64,
    /// The run it belongs to, when the export names runs.
    pub run_id: Option<String>,
    /// Whether it belongs to its script's final run (earlier runs are superseded attempts).
    pub final_run: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogCounts {
    pub total: u64,
    pub by_level: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    /// ISO 8601, UTC.
    pub timestamp: String,
    pub operation_type: String,
    pub level: String,
    pub message: String,
    pub user_id: Option<String>,
    pub context: Option<String>,
}

/// Entity sums for one domain.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DomainTotals {
    pub entities: u64,
    pub total_records: i64,
    pub migrated_records: i64,
    pub failed_records: i64,
    /// `Σ migrated / Σ total`; `None` when the domain has no records.
    pub coverage: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measures {
    pub scripts: BTreeMap<Uuid, ScriptTotals>,
    pub executions: BTreeMap<Uuid, Vec<Execution>>,
    pub log_counts: BTreeMap<Uuid, LogCounts>,
    pub recent_logs: BTreeMap<Uuid, Vec<LogEntry>>,
    pub domains: BTreeMap<Domain, DomainTotals>,
    /// Over every final-run metrics row whose script resolved: the headline.
    pub all_scripts: ScriptTotals,
    /// Per script over every attempt (every run, superseded ones included).
    pub attempts: BTreeMap<Uuid, ScriptTotals>,
    /// Over every attempt of every resolved script.
    pub all_attempts: ScriptTotals,
    /// Where every row of the source inventory went; `None` without an inventory.
    pub ledger: Option<ledger::Ledger>,
    /// Unmapped and orphaned ids per `source_ids` table.
    pub missing: Vec<missing::MissingTable>,
    /// Legacy ids in scope with no mapping, over every `source_ids` table: what the gate's
    /// `max_missing_records` reads.
    pub missing_records: u64,
    /// The sets behind `missing`, for the findings' samples.
    #[serde(skip)]
    pub missing_sets: missing::MissingSets,
    /// Mapping rows that repeat the (entity_type, legacy_id) of an earlier row: the
    /// duplicate-mapping finding lists them, and reconciliation counts a type's distinct
    /// legacy ids as its rows less these.
    #[serde(skip)]
    pub legacy_repeats: DataFrame,
    /// Per entity with a `content:` declaration: its values compared, legacy row against
    /// target row.
    pub content: Vec<content::ContentTable>,
    /// Declared entities whose values could not be compared, and why.
    pub content_not_checked: Vec<content::NotChecked>,
}

/// The mapping rows that repeat the (entity_type, legacy_id) of an earlier row, in file and
/// row order.
fn legacy_repeats(inputs: &Inputs, owned: &missing::Ownership) -> PolarsResult<DataFrame> {
    // Where mappings name their legacy table, an id of a type that several tables share
    // may be mapped once per table (both may hold id 5); names compare as table names do.
    let keys = match owned.table_part() {
        Some(table) => vec![col(ENTITY_TYPE_KEY), table, col("legacy_id")],
        None => vec![col(ENTITY_TYPE_KEY), col("legacy_id")],
    };
    repeats::repeats(inputs.mappings.clone().lazy(), &keys, true)?
        // Few rows, sorted and grouped by type downstream: their types as text.
        .with_columns([
            uuid_text("modern_id"),
            col("entity_type").cast(DataType::String),
            col(ENTITY_TYPE_KEY).cast(DataType::String),
        ])
        .collect()
}

/// The order a finding lists its rows in: by each key (lowest first), then file and row.
/// Keys are often text that holds numbers (legacy ids): numbers first, in numeric order,
/// then the rest as text, so "4" comes before "10". Nulls sort last. Ties are broken by
/// the text, also for keys held as numbers (`ColumnKind::Key`), so the order is the same.
pub fn sample_order(keys: &[&str]) -> Vec<Expr> {
    let mut order: Vec<Expr> = Vec::new();
    for key in keys {
        order.push(col(*key).cast(DataType::Float64));
        order.push(col(*key).cast(DataType::String));
    }
    order.extend([col(FILE_COL), col(ROW_COL)]);
    order
}

pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

/// Every aggregate, as of `date` (the report date: exclusions that expired before it no
/// longer count; without a date none expires). `kept`: how many of a missing-data
/// finding's rows to keep, the samples shown (every row when `None`, for
/// `--failures-dir`). `inputs` is mutable only to set large mapping columns aside on disk
/// while a step runs that never reads them; when it returns, they are back as they were.
pub fn measure(
    inputs: &mut Inputs,
    date: Option<NaiveDate>,
    kept: Option<usize>,
) -> PolarsResult<Measures> {
    let (scripts, all_scripts) = script_totals(&inputs.metrics, true)?;
    let (unclaimed, _) = script_totals(&unclaimed_metrics(inputs)?, true)?;
    let (attempts, all_attempts) = script_totals(&inputs.metrics, false)?;
    crate::memory::trace("measure start");
    // Missing data never reads the modern ids: their halves wait on disk above 32 slices
    // (512 MiB by default), 16 bytes a mapping (`set_aside`).
    let (hi, lo) = half_names("modern_id");
    let modern = [hi, lo, upper_name("modern_id")];
    let above = 32 * inputs.slice_bytes() as u64;
    let aside = set_aside::SetAside::take(&mut inputs.mappings, &modern, above)?;
    if aside.is_set_aside() {
        crate::memory::trace("modern ids set aside");
    }
    let measured = missing::measure(inputs, date, kept);
    let restored = aside.restore(&mut inputs.mappings);
    // An error of missing data's own comes first: the inputs' is the one to fix.
    let (missing, mut missing_sets) = measured?;
    restored?;
    missing_sets.take_orphan_rows(inputs)?;
    crate::memory::trace("missing");
    // The joins of missing data freed far more than they keep.
    crate::memory::release_freed_memory();
    let legacy_repeats = legacy_repeats(inputs, &missing_sets.ownership)?;
    crate::memory::trace("repeats");
    let (content, content_not_checked) = content::measure(inputs, kept)?;
    crate::memory::trace("content");
    let ledger = ledger::ledger(
        inputs,
        &unclaimed,
        &missing,
        &missing_sets.rows_per_type,
        &missing_sets.ownership,
        date,
    )?;
    crate::memory::trace("ledger");
    Ok(Measures {
        content,
        content_not_checked,
        legacy_repeats,
        attempts,
        all_attempts,
        ledger,
        missing_records: missing.iter().map(|m| m.unmapped).sum(),
        missing,
        missing_sets,
        scripts,
        all_scripts,
        executions: executions(&inputs.metrics)?,
        log_counts: log_counts(&inputs.logs)?,
        recent_logs: recent_logs(&inputs.logs)?,
        domains: domain_totals(inputs),
    })
}

fn sums() -> Vec<Expr> {
    vec![
        len().cast(DataType::Int64).alias("executions"),
        col("records_processed").sum(),
        col("records_successful").sum(),
        col("records_failed").sum(),
        col("records_skipped").fill_null(lit(0i64)).sum(),
        col("execution_time_ms").sum(),
        col("execution_date").min().alias("first"),
        col("execution_date").max().alias("last"),
    ]
}

fn totals_from_row(frame: &DataFrame, i: usize) -> PolarsResult<ScriptTotals> {
    let int = |name: &str| -> PolarsResult<Option<i64>> { Ok(frame.column(name)?.i64()?.get(i)) };
    let processed = int("records_processed")?.unwrap_or(0);
    let successful = int("records_successful")?.unwrap_or(0);
    let time = int("execution_time_ms")?.unwrap_or(0);
    Ok(ScriptTotals {
        executions: int("executions")?.unwrap_or(0) as u64,
        records_processed: processed,
        records_successful: successful,
        records_failed: int("records_failed")?.unwrap_or(0),
        records_skipped: int("records_skipped")?.unwrap_or(0),
        execution_time_ms: time,
        success_rate: ratio(successful, processed),
        throughput_per_second: (time > 0).then(|| processed as f64 * 1000.0 / time as f64),
        first_execution: int("first")?.map(format_timestamp),
        last_execution: int("last")?.map(format_timestamp),
    })
}

fn uuid_at(frame: &DataFrame, name: &str, i: usize) -> PolarsResult<Option<Uuid>> {
    Ok(frame
        .column(name)?
        .str()?
        .get(i)
        .and_then(|t| Uuid::parse_str(t).ok()))
}

/// The metrics rows no entity claims: untagged, of a script with no entity or several. A
/// row tagged with an entity, or untagged of a script whose only entity it is credited to,
/// measures that entity's table: counted again on the script's `source_table` (owned by
/// no entity), it made 200 of 300 rows migrated where 100 were.
fn unclaimed_metrics(inputs: &Inputs) -> PolarsResult<DataFrame> {
    let mut entities_of: BTreeMap<Uuid, usize> = BTreeMap::new();
    for script in inputs.entities.iter().filter_map(|e| e.migration_script_id) {
        *entities_of.entry(script).or_default() += 1;
    }
    let credited = Series::new(
        "credited".into(),
        entities_of
            .into_iter()
            .filter(|(_, n)| *n == 1)
            .map(|(s, _)| s.hyphenated().to_string())
            .collect::<Vec<_>>(),
    );
    inputs
        .metrics
        .clone()
        .lazy()
        .filter(
            col("entity_uuid").is_null().and(
                col("script_uuid")
                    .cast(DataType::String)
                    .is_in(lit(credited).implode(false), false)
                    .not(),
            ),
        )
        .collect()
}

/// Totals per script and overall, over the final runs only (`final_only`) or over every
/// attempt.
fn script_totals(
    metrics: &DataFrame,
    final_only: bool,
) -> PolarsResult<(BTreeMap<Uuid, ScriptTotals>, ScriptTotals)> {
    let resolved = metrics
        .clone()
        .lazy()
        .filter(col("script_uuid").is_not_null())
        .filter(if final_only {
            col(FINAL_RUN)
        } else {
            lit(true)
        });
    let per_script = resolved
        .clone()
        .group_by([col("script_uuid")])
        .agg(sums())
        .sort(["script_uuid"], Default::default())
        .collect()?;
    let mut out = BTreeMap::new();
    for i in 0..per_script.height() {
        if let Some(id) = uuid_at(&per_script, "script_uuid", i)? {
            out.insert(id, totals_from_row(&per_script, i)?);
        }
    }
    let overall = resolved.select(sums()).collect()?;
    let all = if overall.height() > 0 && overall.column("executions")?.i64()?.get(0) != Some(0) {
        totals_from_row(&overall, 0)?
    } else {
        ScriptTotals::default()
    };
    Ok((out, all))
}

/// The rows naming a script, by script, then `time`, file and row (descending if `latest_first`).
fn with_script_sorted(frame: &DataFrame, time: &str, latest_first: bool) -> LazyFrame {
    let by = [col("script_uuid"), col(time), col("__file"), col("__row")];
    let options = match latest_first {
        true => {
            SortMultipleOptions::default().with_order_descending_multi([false, true, true, true])
        }
        false => SortMultipleOptions::default(),
    };
    frame
        .clone()
        .lazy()
        .filter(col("script_uuid").is_not_null())
        .sort_by_exprs(by, options)
}

fn executions(metrics: &DataFrame) -> PolarsResult<BTreeMap<Uuid, Vec<Execution>>> {
    let sorted = with_script_sorted(metrics, "execution_date", false).collect()?;
    // As text: the file column is a dictionary column.
    let text = |name: &str| crate::load::tables::text_column(&sorted, name);
    let int = |name: &str| {
        sorted
            .column(name)
            .and_then(|c| c.cast(&DataType::Int64))
            .and_then(|c| c.i64().cloned())
    };
    let (scripts, entities, files) = (text("script_uuid")?, text("entity_uuid")?, text("__file")?);
    let (ids, errors, runs) = (text("id")?, text("error_details")?, text("run_id")?);
    let finals = sorted.column(FINAL_RUN)?.bool()?.clone();
    let (dates, processed, successful) = (
        int("execution_date")?,
        int("records_processed")?,
        int("records_successful")?,
    );
    let (failed, skipped, time, rows) = (
        int("records_failed")?,
        int("records_skipped")?,
        int("execution_time_ms")?,
        int("__row")?,
    );
    let throughput = sorted.column("throughput_per_second")?.f64()?.clone();
    Ok(by_script(&scripts, |i| Execution {
        execution_date: format_timestamp(dates.get(i).unwrap_or(0)),
        id: ids.get(i).map(str::to_string),
        entity_id: entities.get(i).and_then(|t| Uuid::parse_str(t).ok()),
        error_details: errors.get(i).map(|text| {
            serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.into()))
        }),
        records_processed: processed.get(i).unwrap_or(0),
        records_successful: successful.get(i).unwrap_or(0),
        records_failed: failed.get(i).unwrap_or(0),
        records_skipped: skipped.get(i).unwrap_or(0),
        execution_time_ms: time.get(i).unwrap_or(0),
        throughput_per_second: throughput.get(i),
        file: files.get(i).unwrap_or_default().to_string(),
        row: rows.get(i).unwrap_or(0),
        run_id: runs.get(i).map(str::to_string),
        final_run: finals.get(i).unwrap_or(true),
    }))
}

/// The rows whose `script_uuid` text is a UUID: each row's index and its script.
fn script_rows(scripts: &StringChunked) -> impl Iterator<Item = (usize, Uuid)> + '_ {
    (0..scripts.len()).filter_map(|i| Some((i, Uuid::parse_str(scripts.get(i)?).ok()?)))
}

/// An item made by `item` of each of the [`script_rows`], grouped by script in row order.
fn by_script<T>(
    scripts: &StringChunked,
    mut item: impl FnMut(usize) -> T,
) -> BTreeMap<Uuid, Vec<T>> {
    let mut out: BTreeMap<Uuid, Vec<T>> = BTreeMap::new();
    for (i, script) in script_rows(scripts) {
        out.entry(script).or_default().push(item(i));
    }
    out
}

fn log_counts(logs: &DataFrame) -> PolarsResult<BTreeMap<Uuid, LogCounts>> {
    let counts = logs
        .clone()
        .lazy()
        .filter(col("script_uuid").is_not_null())
        .with_column(
            col("level")
                .str()
                .to_uppercase()
                .str()
                .strip_chars(lit(NULL)),
        )
        .group_by([col("script_uuid"), col("level")])
        .agg([len().cast(DataType::Int64).alias("n")])
        .sort(["script_uuid", "level"], Default::default())
        .collect()?;
    let scripts = counts.column("script_uuid")?.str()?;
    let levels = counts.column("level")?.str()?;
    let n = counts.column("n")?.i64()?;
    let mut out: BTreeMap<Uuid, LogCounts> = BTreeMap::new();
    for (i, script) in script_rows(scripts) {
        let entry = out.entry(script).or_default();
        let count = n.get(i).unwrap_or(0) as u64;
        entry.total += count;
        let level = levels.get(i).unwrap_or("").to_string();
        let level = if LogLevel::ALL.iter().any(|l| l.as_str() == level) {
            level
        } else {
            "OTHER".to_string()
        };
        *entry.by_level.entry(level).or_default() += count;
    }
    Ok(out)
}

fn recent_logs(logs: &DataFrame) -> PolarsResult<BTreeMap<Uuid, Vec<LogEntry>>> {
    let recent = with_script_sorted(logs, "timestamp", true)
        .group_by_stable([col("script_uuid")])
        .head(Some(RECENT_LOG_ENTRIES))
        .collect()?;
    let text = |name: &str| recent.column(name).and_then(|c| c.str().cloned());
    let (scripts, ops, levels, messages, users, contexts) = (
        text("script_uuid")?,
        text("operation_type")?,
        text("level")?,
        text("message")?,
        text("user_id")?,
        text("context")?,
    );
    let times = recent.column("timestamp")?.i64()?.clone();
    Ok(by_script(&scripts, |i| LogEntry {
        timestamp: format_timestamp(times.get(i).unwrap_or(0)),
        // What a page shows of the data: a value of any length is shortened.
        operation_type: crate::model::shortened(ops.get(i).unwrap_or_default())
            .to_ascii_uppercase(),
        level: crate::model::shortened(levels.get(i).unwrap_or_default()).to_ascii_uppercase(),
        message: crate::model::shortened(messages.get(i).unwrap_or_default()),
        user_id: users.get(i).map(crate::model::shortened),
        context: contexts.get(i).map(crate::model::shortened),
    }))
}

fn domain_totals(inputs: &Inputs) -> BTreeMap<Domain, DomainTotals> {
    let mut out: BTreeMap<Domain, DomainTotals> = BTreeMap::new();
    for domain in &inputs.domains {
        out.entry(domain.name).or_default();
    }
    for entity in &inputs.entities {
        let Some(domain) = entity.domain else {
            continue;
        };
        let totals = out.entry(domain).or_default();
        totals.entities += 1;
        totals.total_records += entity.total_records;
        totals.migrated_records += entity.migrated_records;
        totals.failed_records += entity.failed_records;
    }
    for totals in out.values_mut() {
        totals.coverage = ratio(totals.migrated_records, totals.total_records);
    }
    out
}
