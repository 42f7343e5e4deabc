//! Stage 3, validate: runs every rule of the [`registry`] over the inputs and measures and
//! collects [`Finding`]s.
//!
//! A finding is a problem inside readable data: it never stops the run. Each carries the
//! rule, the subject, the exact number of violating rows and up to `samples` of them, chosen
//! deterministically (file order, then row), each with the file and row it came from.

pub mod registry;

// One module per rule family, named as the rule ids are, but for the load family's
// (`unread_files`) and the missing family's (`missing_data`): named apart from `crate::load`
// and `measure::missing`. Helpers that several families use are in `shared`.
mod content;
pub mod coverage;
pub mod gate;
mod integrity;
pub mod missing_data;
pub mod reconcile;
mod shared;
mod unread_files;

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::load::tables::{FILE_COL, ROW_COL};
use std::borrow::Cow;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::load::Inputs;
use crate::measure::Measures;
use crate::model::config::{MinCoverage, SeverityOverride, Waiver};
use crate::model::Severity;
pub use gate::{gate, ContentFigures, GateFigures, GateSources, Verdict};
pub use registry::{find as find_rule, Family, Rule, RuleId, RULES};

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Subject {
    /// `script`, `entity`, `domain`, `table`, `file`, `report`, or `rule` (a waiver of a rule
    /// that has lapsed).
    pub kind: Cow<'static, str>,
    pub name: String,
    /// The script's or entity's id, for links to its page.
    pub id: Option<Uuid>,
}

impl Subject {
    pub fn new(kind: &'static str, name: impl Into<String>) -> Self {
        Subject {
            kind: Cow::Borrowed(kind),
            name: name.into(),
            id: None,
        }
    }

    pub fn with_id(mut self, id: Uuid) -> Self {
        self.id = Some(id);
        self
    }
}

/// One value of a sample row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// One violating row, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Sample {
    pub file: String,
    pub row: Option<u64>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub subject: Subject,
    pub message: String,
    /// Which part of the subject the finding is about, where a rule finds several on one
    /// subject (a compared column of an entity): with the rule and the subject, what
    /// `diff` matches two reports' findings by, so one column mended and another broken
    /// are two changes, not one finding persisting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Every violating row or record, not just the samples.
    pub count: u64,
    pub samples: Vec<Sample>,
    /// Every violating row, kept only when `--failures-dir` asks for them.
    #[serde(skip)]
    #[schemars(skip)]
    pub rows: Option<DataFrame>,
    /// The waiver in `migcov.yaml` that accepts this finding: it is shown, marked waived,
    /// and does not fail the gate.
    pub waiver: Option<Waiver>,
}

impl PartialEq for Finding {
    /// Findings are equal when everything shown is; `rows` is a copy of the data.
    fn eq(&self, other: &Self) -> bool {
        (
            self.rule,
            self.severity,
            &self.subject,
            &self.message,
            &self.part,
            self.count,
            &self.samples,
            &self.waiver,
        ) == (
            other.rule,
            other.severity,
            &other.subject,
            &other.message,
            &other.part,
            other.count,
            &other.samples,
            &other.waiver,
        )
    }
}

impl Finding {
    pub fn new(rule_id: RuleId, subject: Subject, message: impl Into<String>) -> Self {
        Finding {
            rule: rule_id,
            severity: rule_id.rule().severity,
            subject,
            message: message.into(),
            part: None,
            count: 1,
            samples: Vec::new(),
            rows: None,
            waiver: None,
        }
    }

    /// Whether this finding fails the gate: an error that no waiver accepts.
    pub fn fails_gate(&self) -> bool {
        self.severity == Severity::Error && self.waiver.is_none()
    }

    pub fn with_sample(mut self, sample: Sample) -> Self {
        self.samples.push(sample);
        self
    }
}

impl ValidateOptions {
    /// How many rows of a finding over a large set `measure` keeps: the samples shown, or
    /// every row when they are all kept.
    pub fn rows_kept(&self) -> Option<usize> {
        (!self.keep_rows).then_some(self.samples)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidateOptions {
    /// Most sample rows kept per finding.
    pub samples: usize,
    /// Keep every violating row (for `--failures-dir`), not just the samples.
    pub keep_rows: bool,
    /// Severity overrides from the command line; they win over `migcov.yaml`.
    pub severity: BTreeMap<String, SeverityOverride>,
    /// `--min-domain-coverage`, overriding `gate.min_domain_coverage`.
    pub min_domain_coverage: Option<MinCoverage>,
    /// The report date: exclusions and waivers past their `expires` are findings, and so
    /// are executions after it. `None` checks neither.
    pub report_date: Option<chrono::NaiveDate>,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            samples: 20,
            keep_rows: false,
            severity: BTreeMap::new(),
            min_domain_coverage: None,
            report_date: None,
        }
    }
}

/// What validation hands on: the findings, sorted by rule then subject, and the
/// per-entity reconciliation table the pages show.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    pub findings: Vec<Finding>,
    pub reconciliation: Vec<reconcile::EntityReconciliation>,
}

/// Every rule's findings, before the mappings' `id` rules ([`Unsettled::with_mapping_ids`])
/// and before severities and waivers apply ([`WithMappingIds::settle`]).
#[derive(Debug)]
pub struct Unsettled {
    findings: Vec<Finding>,
    reconciliation: Vec<reconcile::EntityReconciliation>,
}

/// [`Unsettled`] with the mappings' `id` rules run: ready to settle.
#[derive(Debug)]
pub struct WithMappingIds(Unsettled);

/// Runs every rule but the mappings' `id` rules. Those read the mappings' ids apart
/// ([`crate::load::MappingIds`]): no measure reads them, so a large migration's ids are
/// read again once the mappings are dropped (16 bytes a mapping, 1.5 GiB at 100M records,
/// that would otherwise sit beside every measure).
pub fn validate(
    inputs: &Inputs,
    measures: &Measures,
    options: &ValidateOptions,
) -> PolarsResult<Unsettled> {
    let mut findings = Vec::new();
    integrity::manifests::check(inputs, measures, &mut findings);
    crate::memory::trace("integrity::manifests::check");
    integrity::exports::check(inputs, measures, options, &mut findings)?;
    crate::memory::trace("integrity::exports::check");
    integrity::history::check(inputs, options, &mut findings)?;
    crate::memory::trace("integrity::history::check");
    coverage::check(inputs, measures, options, &mut findings)?;
    crate::memory::trace("coverage::check");
    coverage::tables::check(
        inputs,
        &measures.missing_sets.ownership,
        options,
        &mut findings,
    );
    reconcile::ledger_over_count(measures, &mut findings);
    reconcile::source_ids_count(inputs, measures, &mut findings);
    unread_files::check(inputs, &mut findings);
    integrity::exports::future_executions(inputs, options, &mut findings)?;
    integrity::exports::missing_values(inputs, options, &mut findings)?;
    crate::memory::trace("integrity::exports::missing_values");
    integrity::exports::export_ids(inputs, options, &mut findings)?;
    crate::memory::trace("integrity::exports::export_ids");
    integrity::exports::entity_script_mismatch(inputs, options, &mut findings)?;
    crate::memory::trace("integrity::exports::entity_script_mismatch");
    integrity::seed::check(inputs, measures, &mut findings);
    missing_data::check(inputs, measures, options, &mut findings)?;
    crate::memory::trace("missing_data::check");
    let reconciliation = reconcile::reconcile(
        inputs,
        &measures.missing_sets.rows_per_type,
        &measures.legacy_repeats,
    )?;
    crate::memory::trace("reconcile");
    reconcile::findings(&reconciliation, inputs, &mut findings);
    content::check(measures, &mut findings);
    Ok(Unsettled {
        findings,
        reconciliation,
    })
}

impl Unsettled {
    /// The mappings' `id` rules over `ids` ([`crate::load::MappingIds::read`]).
    pub fn with_mapping_ids(
        mut self,
        ids: &DataFrame,
        options: &ValidateOptions,
    ) -> PolarsResult<WithMappingIds> {
        integrity::exports::mapping_ids(ids, options, &mut self.findings)?;
        Ok(WithMappingIds(self))
    }
}

impl WithMappingIds {
    /// Severities and waivers applied, samples cut to `--samples`, findings sorted by rule
    /// then subject.
    pub fn settle(self, inputs: &Inputs, options: &ValidateOptions) -> PolarsResult<Validation> {
        let Unsettled {
            mut findings,
            reconciliation,
        } = self.0;
        settle(inputs, options, &mut findings)?;
        Ok(Validation {
            findings,
            reconciliation,
        })
    }
}

/// The rules' severities set by `migcov.yaml`, then `--severity` over them.
pub fn severity_overrides(
    inputs: &Inputs,
    options: &ValidateOptions,
) -> BTreeMap<String, SeverityOverride> {
    let mut overrides = inputs.config.severity.clone();
    overrides.extend(options.severity.clone());
    overrides
}

/// What [`WithMappingIds::settle`] does, on the findings of every rule at once (a lapsed
/// waiver is one finding, whatever the rules it waives).
fn settle(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    let overrides = severity_overrides(inputs, options);
    findings.retain_mut(|finding| match overrides.get(finding.rule.as_str()) {
        Some(SeverityOverride::Off) => false,
        Some(level) => {
            finding.severity = match level {
                SeverityOverride::Error => Severity::Error,
                SeverityOverride::Warning => Severity::Warning,
                _ => Severity::Info,
            };
            true
        }
        None => true,
    });
    coverage::apply_waivers(&inputs.config.waivers, options.report_date, findings);
    for finding in findings.iter_mut() {
        if options.keep_rows && finding.rows.is_none() {
            finding.rows = Some(samples_frame(&finding.samples)?);
        }
        finding.samples.truncate(options.samples);
    }
    findings.sort_by(|a, b| (a.rule, &a.subject).cmp(&(b.rule, &b.subject)));
    Ok(())
}

/// The samples of a finding as a frame (file, row, then its fields), for `--failures-dir`.
fn samples_frame(samples: &[Sample]) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        Column::new(
            FILE_COL.into(),
            samples.iter().map(|s| s.file.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            ROW_COL.into(),
            samples
                .iter()
                .map(|s| s.row.map(|r| r as i64))
                .collect::<Vec<_>>(),
        ),
    ];
    if let Some(first) = samples.first() {
        for (i, field) in first.fields.iter().enumerate() {
            columns.push(Column::new(
                field.name.as_str().into(),
                samples
                    .iter()
                    .map(|s| s.fields.get(i).map(|f| f.value.clone()))
                    .collect::<Vec<_>>(),
            ));
        }
    }
    DataFrame::new_infer_height(columns)
}

/// A finding for the rows of `violations` (a filtered export frame), or `None` when there
/// are none. Samples show `columns` of the first rows ordered by `keys` (lowest first), then
/// file and row; with `keep_rows`, every violating row is kept in that order too.
pub(crate) fn rows_finding(
    rule_id: RuleId,
    subject: Subject,
    violations: LazyFrame,
    columns: &[&str],
    keys: &[&str],
    options: &ValidateOptions,
    message: impl Fn(u64) -> String,
) -> PolarsResult<Option<Finding>> {
    counted_finding(
        rule_id, subject, violations, None, columns, keys, options, message,
    )
}

/// [`rows_finding`] over the first rows of a set counted apart: `count` rows violate,
/// and `violations` holds at least the first `samples` of them (all of them when
/// `keep_rows`), as `measure` keeps missing data's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn counted_finding(
    rule_id: RuleId,
    subject: Subject,
    violations: LazyFrame,
    count: Option<u64>,
    columns: &[&str],
    keys: &[&str],
    options: &ValidateOptions,
    message: impl Fn(u64) -> String,
) -> PolarsResult<Option<Finding>> {
    let order = crate::measure::sample_order(keys);
    let mut selected = vec![col(FILE_COL), col(ROW_COL)];
    selected.extend(columns.iter().map(|c| col(*c)));
    let mut needed = selected.clone();
    needed.extend(
        keys.iter()
            .filter(|k| !columns.contains(k))
            .map(|k| col(*k)),
    );
    // The violations are computed once (a regex over every mapping, a window over every
    // key): their count, samples and rows all come from that one result.
    let all = violations.select(needed).collect()?;
    let count = count.unwrap_or(all.height() as u64);
    if count == 0 {
        return Ok(None);
    }
    let ordered = all
        .lazy()
        .sort_by_exprs(order, SortMultipleOptions::default().with_nulls_last(true))
        .select(selected);
    let (head, rows) = if options.keep_rows {
        let all = ordered.collect()?;
        (all.head(Some(options.samples)), Some(all))
    } else {
        (ordered.limit(options.samples as IdxSize).collect()?, None)
    };
    let mut finding = Finding::new(rule_id, subject, message(count));
    finding.count = count;
    finding.samples = samples_of(&head, columns)?;
    finding.rows = rows;
    Ok(Some(finding))
}

fn samples_of(frame: &DataFrame, columns: &[&str]) -> PolarsResult<Vec<Sample>> {
    let files = crate::load::tables::text_column(frame, FILE_COL)?;
    let rows = frame.column(ROW_COL)?.cast(&DataType::Int64)?;
    let rows = rows.i64()?;
    let mut samples = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let mut fields = Vec::with_capacity(columns.len());
        for name in columns {
            fields.push(Field {
                name: name.to_string(),
                value: display_value(name, frame.column(name)?.get(i)?),
            });
        }
        samples.push(Sample {
            file: files.get(i).unwrap_or_default().to_string(),
            row: rows.get(i).map(|r| r as u64),
            fields,
        });
    }
    Ok(samples)
}

/// Text for one cell of a sample; timestamp columns (epoch ms) are shown as ISO 8601.
fn display_value(column: &str, value: AnyValue) -> String {
    let is_time = matches!(column, "execution_date" | "timestamp" | "migrated_at");
    match value {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => crate::model::shortened(s),
        AnyValue::StringOwned(s) => crate::model::shortened(&s),
        AnyValue::Int64(ms) if is_time => crate::model::format_timestamp(ms),
        // A dictionary column (`entity_type`) shows its text.
        other => match other.get_str() {
            Some(s) => s.to_string(),
            None => other.to_string(),
        },
    }
}
