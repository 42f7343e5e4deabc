//! The report as a document: every JSON file migcov writes, as types. [`ReportDoc`] is built
//! from the [`Report`] once; render serialises it, and archive, history and diff read the
//! files back into the same types (older schema versions through [`upgrade`]), so a renamed
//! field is a compile error or a failing test, never a blank chart. `migcov schema` is
//! generated from these types ([`schema`]).
//!
//! Field order is the files' key order: the outputs are byte-for-byte what schema version 1
//! has always written, which the committed `site/` checks.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DeclaredFigures, DomainView, EntityView, ExclusionView, FindingCounts, Link, Report};
use super::{RuleCount, Unlinked};
use crate::measure::ledger::{LedgerTotals, Term};
use crate::measure::{Execution, ScriptTotals};
use crate::model::{Category, CoverageReport, Domain, Priority, Severity, Status};
use crate::validate::reconcile::EntityReconciliation;
use crate::validate::{Family, Finding, RuleId, Verdict, RULES};

/// The version of the JSON outputs' schema, written into every object file.
pub const SCHEMA_VERSION: &str = "1";

/// The `schema_version` field: always [`SCHEMA_VERSION`] when written.
fn version() -> String {
    SCHEMA_VERSION.to_string()
}

/// `api/coverage/summary.json` (also `--json`): the headline, per-rule counts, the gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SummaryFile {
    #[serde(default = "version")]
    pub schema_version: String,
    pub report: CoverageReport,
    /// Per rule with findings.
    #[serde(default)]
    pub rules: BTreeMap<RuleId, RuleCount>,
    #[serde(default)]
    pub domains: Vec<DomainFigures>,
    pub findings: FindingCounts,
    #[serde(default)]
    pub missing_records: u64,
    pub gate: Verdict,
    #[serde(default)]
    pub ledger: Option<LedgerTotals>,
    #[serde(default)]
    pub not_covered_by_any_script: Option<NotCovered>,
    #[serde(default)]
    pub declared: Option<DeclaredFigures>,
    /// Set when nothing links the tables in scope: the report has no coverage figure.
    #[serde(default)]
    pub unlinked: Option<Unlinked>,
}

impl SummaryFile {
    /// The headline share of legacy records migrated, as [`Report::coverage`] computed it.
    pub fn coverage(&self) -> Option<f64> {
        match self.unlinked {
            Some(_) => None,
            None => crate::measure::ratio(self.report.migrated_records, self.report.total_records),
        }
    }

    /// Error and warning findings.
    pub fn open_findings(&self) -> u64 {
        self.findings.error + self.findings.warning
    }
}

/// One domain's headline figures in the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DomainFigures {
    pub id: Uuid,
    pub name: Domain,
    pub priority: Priority,
    pub coverage_percentage: Option<f64>,
    pub total_records: i64,
    pub migrated_records: i64,
    pub failed_records: i64,
    pub ledger: Option<LedgerTotals>,
}

/// The legacy tables no entity and no script names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NotCovered {
    pub tables: u64,
    pub legacy_rows: i64,
}

/// `api/ledger.json`: where every legacy row went, per table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LedgerFile {
    #[serde(default = "version")]
    pub schema_version: String,
    pub equation: String,
    pub totals: LedgerTotals,
    pub by_domain: Vec<LedgerDomainTotals>,
    pub tables: Vec<LedgerTable>,
    pub exclusions: Vec<ExclusionView>,
}

const EQUATION: &str = "legacy_rows = migrated + failed + excluded + unaccounted; each term is capped at what the terms before it leave, difference (<= 0) is what the sources claimed beyond the rows, ambiguous is the part of unaccounted whose mappings name no table of a shared entity type";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LedgerDomainTotals {
    /// `null`: the tables of no domain.
    pub domain: Option<Domain>,
    pub totals: LedgerTotals,
}

/// One legacy table's line of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LedgerTable {
    pub table: String,
    pub domain: Option<Domain>,
    pub state: TableState,
    pub legacy_rows: i64,
    pub migrated: Term,
    pub failed: Term,
    pub excluded: Term,
    pub unaccounted: i64,
    /// Since 2026-12: version 1 files before it have none (0).
    #[serde(default)]
    pub ambiguous: i64,
    pub difference: i64,
    pub in_scope: i64,
    pub coverage: Option<f64>,
    #[serde(default)]
    pub entities: Vec<Link>,
    pub scripts: Vec<Link>,
    /// The compared rows' verdict (`content:`); absent where values were not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<super::RowsIntact>,
}

/// How a ledger line closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TableState {
    /// Every row is accounted for.
    Closes,
    /// Some rows are neither migrated, failed nor excluded.
    Unaccounted,
    /// The sources claim more rows than the table has.
    OverCount,
    /// No entity and no script names the table, and rows are in scope.
    NotCovered,
}

/// `api/validate/<family>.json`: one rule family's rules and findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ValidateFile {
    #[serde(default = "version")]
    pub schema_version: String,
    pub family: Family,
    /// Whether no finding of the family fails the gate.
    pub passed: bool,
    pub rules: Vec<RuleResult>,
    pub findings: Vec<Finding>,
    /// The missing family: legacy ids with no mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_records: Option<u64>,
    /// The reconcile family: each entity's checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<EntityReconciliation>>,
    /// The missing family: each `source_ids` table's ids, as the missing-data pages list
    /// them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<Vec<crate::measure::missing::MissingTable>>,
}

/// A rule's result in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RuleResult {
    pub id: RuleId,
    /// As set by `migcov.yaml` or `--severity`, else the rule's own.
    pub severity: Severity,
    pub summary: Cow<'static, str>,
    pub passed: bool,
    pub violations: u64,
    /// Switched off by `migcov.yaml` or `--severity`: not checked, so neither passed nor
    /// failed (`passed` is then true, as no finding is kept).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub off: bool,
}

/// `api/validate/content.json`: arrived intact — the values compared per entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContentFile {
    #[serde(default = "version")]
    pub schema_version: String,
    #[serde(flatten)]
    pub content: super::ContentView,
}

/// `api/coverage/domain/<domain>.json`: a domain as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DomainFile {
    #[serde(flatten)]
    pub domain: DomainView,
    #[serde(default = "version")]
    pub schema_version: String,
}

/// `api/entities/<domain>.json`: a domain's entities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EntitiesFile {
    #[serde(default = "version")]
    pub schema_version: String,
    pub domain: Domain,
    pub entities: Vec<EntityView>,
}

/// `api/scripts.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScriptsFile {
    #[serde(default = "version")]
    pub schema_version: String,
    pub scripts: Vec<ScriptSummary>,
}

/// A script in `api/scripts.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScriptSummary {
    pub id: Uuid,
    pub name: String,
    pub category: Category,
    pub data_domain: Domain,
    pub source_table: String,
    pub target_table: String,
    pub record_count: i64,
    /// Measured over the final runs.
    pub success_rate: Option<f64>,
    /// As the manifest states it.
    pub declared_success_rate: Option<f64>,
    /// Measured over every attempt.
    pub attempts_success_rate: Option<f64>,
    pub status: Status,
}

/// `api/scripts/<id>/metrics.json`: a script's totals and every execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetricsFile<'a> {
    #[serde(default = "version")]
    pub schema_version: String,
    pub script_id: Uuid,
    pub totals: ScriptTotals,
    pub executions: Cow<'a, [Execution]>,
}

/// Every JSON file of a report's `api/` folder, as types.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDoc<'a> {
    pub summary: SummaryFile,
    pub ledger: Option<LedgerFile>,
    /// Coverage, integrity, missing, reconcile.
    pub validate: Vec<ValidateFile>,
    /// Per domain: its slug, its file and its entities'.
    pub domains: Vec<(String, DomainFile, EntitiesFile)>,
    pub scripts: ScriptsFile,
    pub metrics: Vec<MetricsFile<'a>>,
    pub content: ContentFile,
}

/// The rule families with a validation file.
pub const FAMILIES: [Family; 5] = [
    Family::Coverage,
    Family::Integrity,
    Family::Missing,
    Family::Reconcile,
    // Written since 2026-12-06 (a `diff` never saw a new unreadable file): a report
    // without it had none.
    Family::Load,
];

impl<'a> ReportDoc<'a> {
    pub fn new(report: &'a Report) -> Self {
        ReportDoc {
            summary: summary(report),
            ledger: ledger(report),
            validate: FAMILIES
                .iter()
                .map(|&family| validate(report, family))
                .collect(),
            domains: report
                .domains
                .iter()
                .map(|d| (d.slug.clone(), domain(d), entities(report, d)))
                .collect(),
            scripts: ScriptsFile {
                schema_version: version(),
                scripts: report.scripts.iter().map(script).collect(),
            },
            metrics: report
                .scripts
                .iter()
                .map(|s| MetricsFile {
                    schema_version: version(),
                    script_id: s.id,
                    totals: s.totals.clone(),
                    executions: Cow::Borrowed(&s.executions),
                })
                .collect(),
            content: ContentFile {
                schema_version: version(),
                content: report.content.clone(),
            },
        }
    }
}

/// The summary file's figures.
pub fn summary(report: &Report) -> SummaryFile {
    SummaryFile {
        schema_version: version(),
        report: report.summary.clone(),
        rules: report.rule_counts.clone(),
        domains: report
            .domains
            .iter()
            .map(|d| DomainFigures {
                id: d.id,
                name: d.name,
                priority: d.priority,
                coverage_percentage: d.coverage_percentage,
                total_records: d.total_records,
                migrated_records: d.migrated_records,
                failed_records: d.failed_records,
                ledger: d.ledger.clone(),
            })
            .collect(),
        findings: report.finding_counts.clone(),
        missing_records: report.missing_records,
        gate: report.verdict.clone(),
        ledger: report.ledger.as_ref().map(|l| l.totals.clone()),
        not_covered_by_any_script: report.ledger.as_ref().map(|l| NotCovered {
            tables: l.totals.uncovered_tables,
            legacy_rows: l.totals.uncovered_rows,
        }),
        declared: Some(report.declared.clone()),
        unlinked: report.unlinked.clone(),
    }
}

fn ledger(report: &Report) -> Option<LedgerFile> {
    let ledger = report.ledger.as_ref()?;
    Some(LedgerFile {
        schema_version: version(),
        equation: EQUATION.to_string(),
        totals: ledger.totals.clone(),
        by_domain: ledger
            .by_domain
            .iter()
            .map(|d| LedgerDomainTotals {
                domain: d.domain,
                totals: d.totals.clone(),
            })
            .collect(),
        tables: ledger
            .rows
            .iter()
            .map(|l| LedgerTable {
                table: l.row.table.clone(),
                domain: l.row.domain,
                state: l.state,
                legacy_rows: l.row.legacy_rows,
                migrated: l.row.migrated,
                failed: l.row.failed,
                excluded: l.row.excluded,
                unaccounted: l.row.unaccounted,
                ambiguous: l.row.ambiguous,
                difference: l.row.difference,
                in_scope: l.row.in_scope,
                coverage: l.row.coverage,
                entities: l.entity_links.clone(),
                scripts: l.script_links.clone(),
                content: l.content,
            })
            .collect(),
        exclusions: report.exclusions.clone(),
    })
}

fn validate(report: &Report, family: Family) -> ValidateFile {
    let findings: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule.rule().family == family)
        .cloned()
        .collect();
    let rules = RULES
        .iter()
        .filter(|r| r.family == family)
        .map(|r| {
            use crate::model::config::SeverityOverride;
            let count = report.rule_counts.get(&r.code);
            let set = report
                .verdict
                .severity
                .as_ref()
                .and_then(|set| set.get(r.id))
                .copied();
            RuleResult {
                id: r.code,
                severity: match set {
                    Some(SeverityOverride::Error) => Severity::Error,
                    Some(SeverityOverride::Warning) => Severity::Warning,
                    Some(SeverityOverride::Info) => Severity::Info,
                    _ => r.severity,
                },
                summary: Cow::Borrowed(r.summary),
                passed: count.is_none(),
                violations: count.map_or(0, |c| c.violations),
                off: set == Some(SeverityOverride::Off),
            }
        })
        .collect();
    ValidateFile {
        schema_version: version(),
        family,
        passed: !findings.iter().any(|f| f.fails_gate()),
        rules,
        findings,
        missing_records: (family == Family::Missing).then_some(report.missing_records),
        entities: (family == Family::Reconcile).then(|| report.reconciliation.clone()),
        tables: (family == Family::Missing).then(|| report.missing_tables.clone()),
    }
}

fn domain(view: &DomainView) -> DomainFile {
    DomainFile {
        domain: view.clone(),
        schema_version: version(),
    }
}

fn entities(report: &Report, domain: &DomainView) -> EntitiesFile {
    EntitiesFile {
        schema_version: version(),
        domain: domain.name,
        entities: report
            .entities
            .iter()
            .filter(|e| e.domain == Some(domain.name))
            .cloned()
            .collect(),
    }
}

fn script(s: &super::ScriptView) -> ScriptSummary {
    ScriptSummary {
        id: s.id,
        name: s.name.clone(),
        category: s.category,
        data_domain: s.data_domain,
        source_table: s.source_table.clone(),
        target_table: s.target_table.clone(),
        record_count: s.record_count,
        success_rate: s.success_rate,
        declared_success_rate: s.declared_success_rate,
        attempts_success_rate: s.attempts.success_rate,
        status: s.status,
    }
}

/// A file read back that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("not a file migcov wrote: {0}")]
    Parse(String),
    #[error(
        "written by a newer migcov (schema version {0}; this one reads up to {SCHEMA_VERSION})"
    )]
    Newer(String),
}

/// Reading files back: every schema version is brought to today's types here, and only here.
pub mod upgrade {
    use serde::de::DeserializeOwned;

    use super::*;

    /// The version a file declares; files written before versions existed are version 0.
    #[derive(Deserialize)]
    struct Versioned {
        #[serde(default)]
        schema_version: Option<String>,
    }

    fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ReadError> {
        serde_json::from_slice(bytes).map_err(|e| ReadError::Parse(e.to_string()))
    }

    /// Checks the version an object file declares. Version 0 (no `schema_version`) and 1
    /// share their object files' shapes; every field added since has a default, so a file
    /// of either reads into today's types (`tests/fixtures/snapshots-v0`).
    fn check_version(bytes: &[u8]) -> Result<(), ReadError> {
        // A list (a version 0 file) has no version to read.
        let Ok(Versioned { schema_version }) = serde_json::from_slice::<Versioned>(bytes) else {
            return Ok(());
        };
        match schema_version.as_deref() {
            None | Some("0") | Some("1") => Ok(()),
            Some(other) => Err(ReadError::Newer(other.to_string())),
        }
    }

    pub fn summary(bytes: &[u8]) -> Result<SummaryFile, ReadError> {
        check_version(bytes)?;
        parse(bytes)
    }

    /// `api/scripts.json`; version 0 was the bare list.
    pub fn scripts(bytes: &[u8]) -> Result<ScriptsFile, ReadError> {
        check_version(bytes)?;
        match parse::<ScriptsFile>(bytes) {
            Ok(file) => Ok(file),
            // Version 0's bare list; otherwise the object's own error says what is wrong.
            Err(error) => match parse::<Vec<ScriptSummary>>(bytes) {
                Ok(scripts) => Ok(ScriptsFile {
                    schema_version: version(),
                    scripts,
                }),
                Err(_) => Err(error),
            },
        }
    }

    pub fn validate(bytes: &[u8]) -> Result<ValidateFile, ReadError> {
        check_version(bytes)?;
        parse(bytes)
    }

    pub fn ledger(bytes: &[u8]) -> Result<LedgerFile, ReadError> {
        check_version(bytes)?;
        parse(bytes)
    }

    /// `api/validate/content.json` (written since 2026-12-05).
    pub fn content(bytes: &[u8]) -> Result<ContentFile, ReadError> {
        check_version(bytes)?;
        parse(bytes)
    }
}

/// A report date as the files write it.
pub fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `badges/<name>.json`: a shields.io endpoint badge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Badge {
    /// shields.io's endpoint schema version, always 1.
    #[serde(rename = "schemaVersion")]
    pub schema_version: u8,
    pub label: String,
    pub message: String,
    /// A hex colour without `#`.
    pub color: String,
}

/// What `migcov schema` prints: a JSON Schema (draft 2020-12) generated from the types
/// above, and which definition each file validates against.
#[derive(Serialize)]
struct SchemaDocument {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "$id")]
    id: String,
    title: String,
    description: &'static str,
    /// File patterns in order, the most specific first (`content.json` before
    /// `api/validate/*.json`).
    #[serde(rename = "x-files")]
    files: serde_json::Map<String, serde_json::Value>,
    #[serde(rename = "$defs")]
    defs: serde_json::Map<String, serde_json::Value>,
}

/// The JSON Schema of every JSON file migcov writes, generated from the types.
pub fn schema() -> String {
    use crate::archive::{diff::Diff, snapshot::Provenance};
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut files = serde_json::Map::new();
    let mut file = |pattern: &'static str, schema: schemars::Schema| {
        let reference = schema
            .get("$ref")
            .and_then(|r| r.as_str())
            .unwrap_or_default()
            .to_string();
        files.insert(pattern.to_string(), reference.into());
    };
    file(
        "api/coverage/summary.json",
        generator.subschema_for::<SummaryFile>(),
    );
    file(
        "api/coverage/domain/*.json",
        generator.subschema_for::<DomainFile>(),
    );
    file("api/ledger.json", generator.subschema_for::<LedgerFile>());
    file("api/scripts.json", generator.subschema_for::<ScriptsFile>());
    file(
        "api/scripts/*/metrics.json",
        generator.subschema_for::<MetricsFile<'static>>(),
    );
    file(
        "api/entities/*.json",
        generator.subschema_for::<EntitiesFile>(),
    );
    file(
        "api/validate/content.json",
        generator.subschema_for::<ContentFile>(),
    );
    file(
        "api/validate/*.json",
        generator.subschema_for::<ValidateFile>(),
    );
    file("badges/*.json", generator.subschema_for::<Badge>());
    file("provenance.json", generator.subschema_for::<Provenance>());
    file("diff.json", generator.subschema_for::<Diff>());
    let document = SchemaDocument {
        schema: "https://json-schema.org/draft/2020-12/schema",
        id: format!("https://migcov.invalid/schema/{SCHEMA_VERSION}"),
        title: format!("migcov JSON outputs, schema version {SCHEMA_VERSION}"),
        description: "Every JSON file migcov writes: api/coverage/summary.json (also --json), api/coverage/domain/<domain>.json, api/ledger.json, api/scripts.json, api/scripts/<id>/metrics.json, api/entities/<domain>.json, api/validate/<family>.json, badges/<name>.json, and in a snapshot provenance.json and diff.json. Every api/ file carries schema_version (badges: shields.io's schemaVersion; provenance.json and diff.json are versioned by this schema's $id); each file validates against the $defs entry named in x-files, a file's own entry before a pattern. Generated from migcov's types.",
        files,
        defs: generator.take_definitions(true),
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
