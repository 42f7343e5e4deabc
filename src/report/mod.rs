//! Stage 4, report: assembles the one report model that every output (pages, JSON, CI
//! files) reads, from the inputs, the measures and the findings.
//!
//! Everything here is sorted (scripts by name, entities by domain then name) so the outputs
//! are deterministic. Numbers stay numbers: templates format them with filters, JSON keeps
//! them exact.

pub mod doc;

pub use crate::measure::content::ContentTotals;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::load::Inputs;
use crate::measure::ledger::{LedgerRow, LedgerTotals};
use crate::measure::{ratio, Execution, LogCounts, LogEntry, Measures, ScriptTotals};
use crate::model::config::{Band, Thresholds};
use crate::model::{derive_id, Category, CoverageReport, Domain, Priority, Severity, Status};
use crate::validate::reconcile::EntityReconciliation;
use crate::validate::{Finding, RuleId, Validation, Verdict};
use doc::{SummaryFile, TableState};

/// Facts about the run shown in every page's footer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta {
    pub title: String,
    pub report_date: NaiveDate,
    pub version: String,
    pub data_dir: String,
    /// "2026-11-28T23:51:38Z from sqlite:///legacy.db (SQLite 3.50.2) and
    /// postgresql://report@db/modern (PostgreSQL 15.18)", when `migcov collect` wrote the
    /// data folder.
    pub collected: Option<String>,
}

/// A server as the footer names it: URL (never with a password) and a short version.
fn server_line(server: &crate::load::CollectedServer) -> String {
    let words: Vec<&str> = server.version.split_whitespace().take(2).collect();
    let version = words.join(" ");
    let version = if version.starts_with(|c: char| c.is_ascii_digit()) {
        let engine = if server.kind == "mysql" {
            "MySQL/MariaDB"
        } else {
            server.kind.as_str()
        };
        format!("{engine} {}", words.first().copied().unwrap_or_default())
    } else {
        version
    };
    format!("{} ({version})", server.url)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DomainView {
    /// The domain's ledger totals, when there is a source inventory; `total_records`
    /// below is then its rows in scope.
    pub ledger: Option<LedgerTotals>,
    pub id: Uuid,
    pub name: Domain,
    pub slug: String,
    pub description: String,
    pub priority: Priority,
    pub coverage_percentage: Option<f64>,
    pub band: Band,
    pub entities: u64,
    pub total_records: i64,
    pub migrated_records: i64,
    pub failed_records: i64,
    pub scripts: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EntityView {
    pub id: Uuid,
    pub name: String,
    pub domain: Option<Domain>,
    pub domain_id: Option<Uuid>,
    pub legacy_table: String,
    pub target_table: String,
    pub total_records: i64,
    pub migrated_records: i64,
    pub failed_records: i64,
    pub coverage: Option<f64>,
    pub band: Band,
    pub migration_script_id: Option<Uuid>,
    pub script: Option<Link>,
    pub entity_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScriptView {
    pub id: Uuid,
    pub name: String,
    pub category: Category,
    pub data_domain: Domain,
    /// Whether `data_domain` is listed in domains.yaml, so its page exists.
    pub domain_page: bool,
    pub source_table: String,
    pub target_table: String,
    pub status: Status,
    pub description: Option<String>,
    /// The manifest's figure, or the metrics' records processed.
    pub record_count: i64,
    /// The rate the metrics measure (final runs); the manifest's claim is
    /// `declared_success_rate`.
    pub success_rate: Option<f64>,
    /// Whether the manifest states a rate that differs from the measured one (shown beside).
    pub claim_differs: bool,
    pub declared_success_rate: Option<f64>,
    pub computed_success_rate: Option<f64>,
    pub band: Band,
    /// Over the final runs: the figures shown.
    pub totals: ScriptTotals,
    /// Over every attempt, superseded runs included.
    pub attempts: ScriptTotals,
    /// Every execution: the page lists [`EXECUTIONS_PER_PAGE`] at a time, the CSV all.
    #[serde(skip)]
    pub executions: Vec<Execution>,
    /// Records per second of each execution, as recorded or else worked out: the
    /// throughput chart's series.
    #[serde(skip)]
    pub throughput: Vec<f64>,
    /// The charts' bins when there are more than [`CHART_POINTS`] executions (empty
    /// otherwise): the charts and their data table show these.
    pub bins: Vec<ExecutionBin>,
    pub log_counts: LogCounts,
    pub recent_logs: Vec<LogEntry>,
    pub entities: Vec<Link>,
    pub findings: u64,
}

/// How many points a chart of executions shows at most: a longer series is drawn in bins
/// of consecutive executions, so every bar and point can be told apart.
pub const CHART_POINTS: usize = 120;

/// How many executions one page lists; every execution is in the script's CSV.
pub const EXECUTIONS_PER_PAGE: usize = 1000;

/// Consecutive executions drawn as one point of a chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionBin {
    /// 1-based numbers of its first and last execution.
    pub first: u64,
    pub last: u64,
    /// Records per second: the lowest, the median and the highest of the bin.
    pub throughput_min: f64,
    pub throughput_median: f64,
    pub throughput_max: f64,
    /// Records of the bin's executions, summed.
    pub successful: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// The bins of a series longer than [`CHART_POINTS`]: as many equal runs of consecutive
/// executions as fit (the last may be shorter); none for a shorter series.
fn bins(executions: &[Execution], throughput: &[f64]) -> Vec<ExecutionBin> {
    let n = executions.len();
    if n <= CHART_POINTS {
        return Vec::new();
    }
    let size = n.div_ceil(CHART_POINTS);
    executions
        .chunks(size)
        .zip(throughput.chunks(size))
        .enumerate()
        .map(|(i, (runs, rates))| {
            let mut sorted = rates.to_vec();
            sorted.sort_by(f64::total_cmp);
            let middle = sorted.len() / 2;
            let median = if sorted.len() % 2 == 0 {
                (sorted[middle - 1] + sorted[middle]) / 2.0
            } else {
                sorted[middle]
            };
            let first = i * size + 1;
            ExecutionBin {
                first: first as u64,
                last: (first + runs.len() - 1) as u64,
                throughput_min: sorted[0],
                throughput_median: median,
                throughput_max: sorted[sorted.len() - 1],
                successful: runs.iter().map(|x| x.records_successful).sum(),
                failed: runs.iter().map(|x| x.records_failed).sum(),
                skipped: runs.iter().map(|x| x.records_skipped).sum(),
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count<T> {
    pub key: T,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FindingCounts {
    /// Findings of each severity, waived ones included.
    pub error: u64,
    pub warning: u64,
    pub info: u64,
    /// Of them, those a waiver covers: they fail no gate. A summary of "2 errors" beside
    /// "gate passed" said neither why nor how many were waived (found by an independent
    /// check). None in reports before 2026-12-07.
    #[serde(default)]
    pub waived: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub meta: Meta,
    pub summary: CoverageReport,
    /// Set when legacy rows are in scope and no entity or script links any of their tables
    /// to anything: no row can be counted as migrated, so the headline has no figure
    /// ([`Report::coverage`]) rather than a 0% that reads as a failed migration.
    pub unlinked: Option<Unlinked>,
    pub thresholds: Thresholds,
    pub summary_band: Band,
    pub success_band: Band,
    /// Σ successful / Σ processed over every attempt, superseded runs included.
    pub attempts_success_rate: Option<f64>,
    pub domains: Vec<DomainView>,
    pub scripts: Vec<ScriptView>,
    pub entities: Vec<EntityView>,
    pub by_status: Vec<Count<Status>>,
    pub by_category: Vec<Count<Category>>,
    pub findings: Vec<Finding>,
    pub finding_counts: FindingCounts,
    /// Per rule with findings: counted once, for every output that shows them.
    pub rule_counts: BTreeMap<RuleId, RuleCount>,
    pub reconciliation: Vec<EntityReconciliation>,
    /// Per entity whose checks disagree, its largest relative delta: the reconciliation
    /// chart's series.
    pub reconcile_deltas: Vec<(String, f64)>,
    /// Legacy ids with no mapping, over every `source_ids/` file (measured, whatever the
    /// rules' severity).
    pub missing_records: u64,
    /// Per `source_ids/` table: ids, excluded, unmapped, orphans.
    pub missing_tables: Vec<crate::measure::missing::MissingTable>,
    /// Whether any `source_ids/` file was given (missing data can only be found then).
    pub has_source_ids: bool,
    pub reconcile_tolerance: f64,
    pub verdict: Verdict,
    /// Where every legacy row of the source inventory went; `None` without an inventory
    /// (the headline then counts the declared entities only).
    pub ledger: Option<LedgerView>,
    /// The headline as the entities declare it (Σ migrated_records / Σ total_records), kept
    /// beside the inventory-based figures.
    pub declared: DeclaredFigures,
    pub exclusions: Vec<ExclusionView>,
    /// The values compared, per entity with a `content:` declaration.
    pub content: ContentView,
}

/// Arrived intact: the entities whose values were compared and those that could not be.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContentView {
    pub entities: Vec<crate::measure::content::ContentTable>,
    pub not_checked: Vec<crate::measure::content::NotChecked>,
    pub totals: ContentTotals,
}

fn content_view(measures: &Measures) -> ContentView {
    ContentView {
        totals: ContentTotals::of(&measures.content),
        entities: measures.content.clone(),
        not_checked: measures.content_not_checked.clone(),
    }
}

/// One rule's findings in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleCount {
    pub severity: crate::model::Severity,
    pub findings: u64,
    /// Violating rows or records over its findings.
    pub violations: u64,
    /// Findings a waiver accepts.
    pub waived: u64,
}

/// Per rule with findings: its findings, violations and waived findings.
fn rule_counts(findings: &[Finding]) -> BTreeMap<RuleId, RuleCount> {
    let mut out: BTreeMap<RuleId, RuleCount> = BTreeMap::new();
    for f in findings {
        let entry = out.entry(f.rule).or_insert(RuleCount {
            severity: f.severity,
            findings: 0,
            violations: 0,
            waived: 0,
        });
        entry.findings += 1;
        entry.violations += f.count;
        entry.waived += u64::from(f.waiver.is_some());
    }
    out
}

/// The legacy tables in scope that nothing links, when that is all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Unlinked {
    pub tables: u64,
    pub rows: i64,
}

impl Report {
    /// The headline share of legacy records migrated: `None` when nothing is in scope, or
    /// when nothing links the tables in scope ([`Report::unlinked`]).
    pub fn coverage(&self) -> Option<f64> {
        match self.unlinked {
            Some(_) => None,
            None => ratio(self.summary.migrated_records, self.summary.total_records),
        }
    }
}

/// The entities' own counts, summed: the secondary, declared figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeclaredFigures {
    pub total_records: i64,
    pub migrated_records: i64,
    pub coverage: Option<f64>,
}

/// One ledger line, with links to the entities and scripts that cover its table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerLine {
    #[serde(flatten)]
    pub row: LedgerRow,
    pub entity_links: Vec<Link>,
    pub script_links: Vec<Link>,
    pub band: Band,
    pub state: TableState,
    /// Of the migrated rows whose values were compared (`content:`), how many arrived
    /// intact and how many differ; `None`: values not checked.
    pub content: Option<RowsIntact>,
}

/// A table's compared rows: intact, differing, and mapped but missing their target row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RowsIntact {
    pub compared: u64,
    pub intact: u64,
    pub differs: u64,
    pub target_missing: u64,
}

/// A ledger total for one domain (`None`: tables with no domain, the uncovered ones).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerDomain {
    pub domain: Option<Domain>,
    pub totals: LedgerTotals,
    pub band: Band,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerView {
    pub rows: Vec<LedgerLine>,
    pub totals: LedgerTotals,
    pub band: Band,
    pub by_domain: Vec<LedgerDomain>,
}

/// A declared exclusion as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExclusionView {
    pub table: String,
    /// `whole table`, `ids in <file>` or `where <column> in [...]`.
    pub scope: String,
    /// Distinct ids it lists; `None` for a whole table.
    pub ids: Option<u64>,
    pub reason: String,
    pub approved_by: String,
    pub expires: Option<NaiveDate>,
    pub expired: bool,
    /// Whether the headline leaves its rows out. Without a source inventory there is no
    /// ledger: the headline is the entities' declared figure, which no exclusion changes,
    /// though the ids it lists are still left out of missing data (found by an
    /// independent check: such exclusions were shown "in force" as if the headline left
    /// them out).
    #[serde(default)]
    pub in_headline: bool,
}

/// Everything the report needs besides the data.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Fixed by the caller so output is reproducible.
    pub report_date: NaiveDate,
}

fn ledger_view(measures: &Measures, thresholds: &Thresholds) -> Option<LedgerView> {
    let ledger = measures.ledger.as_ref()?;
    let links = |items: &[(Uuid, String)]| -> Vec<Link> {
        items
            .iter()
            .map(|(id, name)| Link {
                id: *id,
                name: name.clone(),
            })
            .collect()
    };
    let rows = ledger
        .rows
        .iter()
        .map(|row| LedgerLine {
            entity_links: links(&row.entities),
            script_links: links(&row.scripts),
            band: thresholds.band(row.coverage),
            state: if row.difference < 0 {
                TableState::OverCount
            } else if !row.covered && row.unaccounted > 0 {
                TableState::NotCovered
            } else if row.unaccounted > 0 {
                TableState::Unaccounted
            } else {
                TableState::Closes
            },
            content: measures
                .content
                .iter()
                .find(|t| {
                    crate::load::table_key(&t.legacy_table) == crate::load::table_key(&row.table)
                })
                .map(|t| RowsIntact {
                    compared: t.compared,
                    intact: t.intact,
                    differs: t.differs,
                    target_missing: t.target_missing,
                }),
            row: row.clone(),
        })
        .collect();
    Some(LedgerView {
        rows,
        band: thresholds.band(ledger.totals.coverage),
        totals: ledger.totals.clone(),
        by_domain: ledger
            .by_domain
            .iter()
            .map(|(domain, totals)| LedgerDomain {
                domain: *domain,
                band: thresholds.band(totals.coverage),
                totals: totals.clone(),
            })
            .collect(),
    })
}

/// Records per second of each execution: as recorded, or worked out from its records and
/// time (0 without time).
fn throughput(executions: &[Execution]) -> Vec<f64> {
    executions
        .iter()
        .map(|x| {
            x.throughput_per_second.unwrap_or_else(|| {
                if x.execution_time_ms > 0 {
                    x.records_processed as f64 * 1000.0 / x.execution_time_ms as f64
                } else {
                    0.0
                }
            })
        })
        .collect()
}

/// Per entity whose checks disagree, the largest relative delta of its failing checks.
fn reconcile_deltas(rows: &[EntityReconciliation]) -> Vec<(String, f64)> {
    rows.iter()
        .filter_map(|row| {
            let worst = row
                .checks
                .iter()
                .filter(|c| c.ok == Some(false))
                .filter_map(|c| c.percent)
                .max_by(|a, b| a.abs().total_cmp(&b.abs()))?;
            Some((row.entity.clone(), worst))
        })
        .collect()
}

fn exclusion_views(inputs: &Inputs, today: NaiveDate) -> Vec<ExclusionView> {
    inputs
        .exclusions
        .iter()
        .map(|x| {
            let d = &x.declaration;
            let scope = match (&d.ids, &d.predicate) {
                (Some(path), _) => format!("ids in {}", path.display()),
                (None, Some(p)) => format!("where {} in [{}]", p.column, p.values.join(", ")),
                (None, None) => "whole table".to_string(),
            };
            ExclusionView {
                table: d.table.clone(),
                scope,
                ids: x.ids.as_ref().map(|f| f.height() as u64),
                reason: d.reason.clone(),
                approved_by: d.approved_by.clone(),
                expires: d.expires,
                expired: !x.in_force(Some(today)),
                in_headline: inputs.source_tables.is_some() && x.in_force(Some(today)),
            }
        })
        .collect()
}

/// The entities as the report lists them, sorted by domain then name.
fn entity_views(
    inputs: &Inputs,
    thresholds: &Thresholds,
    link: impl Fn(Uuid) -> Option<Link>,
) -> Vec<EntityView> {
    let mut entities: Vec<EntityView> = inputs
        .entities
        .iter()
        .map(|e| {
            let coverage = ratio(e.migrated_records, e.total_records);
            EntityView {
                id: e.id,
                name: e.name.clone(),
                domain: e.domain,
                domain_id: e.domain_id,
                legacy_table: e.legacy_table.clone(),
                target_table: e.target_table.clone(),
                total_records: e.total_records,
                migrated_records: e.migrated_records,
                failed_records: e.failed_records,
                coverage,
                band: thresholds.band(coverage),
                migration_script_id: e.migration_script_id,
                script: e.migration_script_id.and_then(&link),
                entity_type: e.entity_type.clone(),
            }
        })
        .collect();
    entities.sort_by(|a, b| (a.domain, &a.name, a.id).cmp(&(b.domain, &b.name, b.id)));
    entities
}

/// The scripts with their measured figures, sorted by name.
fn script_views(
    inputs: &Inputs,
    measures: &Measures,
    entities: &[EntityView],
    findings: &[Finding],
) -> Vec<ScriptView> {
    let thresholds = inputs.config.thresholds;
    let mut findings_by_subject: BTreeMap<Uuid, u64> = BTreeMap::new();
    for finding in findings {
        if let Some(id) = finding.subject.id {
            *findings_by_subject.entry(id).or_default() += 1;
        }
    }
    let mut entities_by_script: BTreeMap<Uuid, Vec<Link>> = BTreeMap::new();
    for e in entities {
        if let Some(script) = e.migration_script_id {
            entities_by_script.entry(script).or_default().push(Link {
                id: e.id,
                name: e.name.clone(),
            });
        }
    }
    let mut scripts: Vec<ScriptView> = inputs
        .scripts
        .iter()
        .map(|s| {
            let totals = measures.scripts.get(&s.id).cloned().unwrap_or_default();
            // Measured, never claimed: the manifest's figure is shown beside it.
            let success_rate = totals.success_rate;
            let executions = measures.executions.get(&s.id).cloned().unwrap_or_default();
            let rates = throughput(&executions);
            let bins = bins(&executions, &rates);
            ScriptView {
                id: s.id,
                name: s.name.clone(),
                category: s.category,
                data_domain: s.data_domain,
                domain_page: inputs.domains.iter().any(|d| d.name == s.data_domain),
                source_table: s.source_table.clone(),
                target_table: s.target_table.clone(),
                status: s.status,
                description: s.description.clone(),
                record_count: s.record_count.unwrap_or(totals.records_processed),
                success_rate,
                declared_success_rate: s.success_rate,
                claim_differs: s.success_rate.is_some() && s.success_rate != totals.success_rate,
                computed_success_rate: totals.success_rate,
                band: thresholds.band(success_rate),
                attempts: measures.attempts.get(&s.id).cloned().unwrap_or_default(),
                throughput: rates,
                bins,
                executions,
                log_counts: measures.log_counts.get(&s.id).cloned().unwrap_or_default(),
                recent_logs: measures.recent_logs.get(&s.id).cloned().unwrap_or_default(),
                entities: entities_by_script.get(&s.id).cloned().unwrap_or_default(),
                findings: findings_by_subject.get(&s.id).copied().unwrap_or(0),
                totals,
            }
        })
        .collect();
    scripts.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    scripts
}

/// The domains, each with its figures: the inventory's tables of the domain when there is
/// a source inventory, else its declared entities.
fn domain_views(
    inputs: &Inputs,
    measures: &Measures,
    scripts: &[ScriptView],
    verdict: &Verdict,
) -> Vec<DomainView> {
    let thresholds = inputs.config.thresholds;
    let mut domains: Vec<DomainView> = inputs
        .domains
        .iter()
        .map(|d| {
            let mut totals = measures.domains.get(&d.name).cloned().unwrap_or_default();
            let mut legacy = None;
            if let Some(ledger) = &measures.ledger {
                // The inventory's tables of this domain, not just the declared entities.
                let l = ledger
                    .by_domain
                    .get(&Some(d.name))
                    .cloned()
                    .unwrap_or_default();
                totals.total_records = l.in_scope;
                totals.migrated_records = l.migrated;
                totals.failed_records = l.failed;
                totals.coverage = l.coverage;
                legacy = Some(l);
            }
            DomainView {
                ledger: legacy,
                id: d.id,
                name: d.name,
                slug: d.name.slug(),
                description: d.description.clone(),
                priority: d.priority,
                coverage_percentage: totals.coverage,
                band: thresholds.band_gated(
                    totals.coverage,
                    verdict
                        .config
                        .min_domain_coverage
                        .as_ref()
                        .and_then(|m| m.for_domain(d.name)),
                ),
                entities: totals.entities,
                total_records: totals.total_records,
                migrated_records: totals.migrated_records,
                failed_records: totals.failed_records,
                scripts: scripts
                    .iter()
                    .filter(|s| s.data_domain == d.name)
                    .map(|s| Link {
                        id: s.id,
                        name: s.name.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    domains.sort_by_key(|d| d.name);
    // A domain listed twice is a finding; the report shows it once.
    domains.dedup_by_key(|d| d.name);
    domains
}

/// The headline: the seed's `CoverageReport`, the entities' declared figures beside it,
/// and whether nothing links the tables in scope.
fn headline(
    measures: &Measures,
    scripts: &[ScriptView],
    date: NaiveDate,
) -> (CoverageReport, DeclaredFigures, Option<Unlinked>) {
    // The source inventory is the denominator of record when there is one: every legacy
    // row counts, including tables nobody declared. Without it, the entities' own counts.
    let declared_total: i64 = measures.domains.values().map(|d| d.total_records).sum();
    let declared_migrated: i64 = measures.domains.values().map(|d| d.migrated_records).sum();
    let declared = DeclaredFigures {
        total_records: declared_total,
        migrated_records: declared_migrated,
        coverage: ratio(declared_migrated, declared_total),
    };
    let coverage_of = |domain: Domain| match &measures.ledger {
        Some(l) => l.by_domain.get(&Some(domain)).and_then(|t| t.coverage),
        None => measures.domains.get(&domain).and_then(|t| t.coverage),
    };
    let (total_records, migrated_records) = match &measures.ledger {
        Some(l) => (l.totals.in_scope, l.totals.migrated),
        None => (declared_total, declared_migrated),
    };
    // Rows in scope whose tables no entity and no script names: when every such row is,
    // the headline rests on no link.
    let unlinked = measures.ledger.as_ref().and_then(|l| {
        let in_scope = l.rows.iter().filter(|r| r.in_scope > 0);
        let linked = in_scope.clone().any(|r| r.covered);
        let (tables, rows) = in_scope.fold((0u64, 0i64), |(t, n), r| (t + 1, n + r.in_scope));
        (!linked && rows > 0).then_some(Unlinked { tables, rows })
    });
    let mut summary = CoverageReport {
        id: Uuid::nil(),
        report_date: date,
        total_scripts: scripts.len() as u64,
        completed_scripts: scripts
            .iter()
            .filter(|s| s.status == Status::Complete)
            .count() as u64,
        total_records,
        migrated_records,
        overall_success_rate: measures.all_scripts.success_rate,
        clinical_coverage: coverage_of(Domain::Clinical),
        business_coverage: coverage_of(Domain::Business),
        communications_coverage: coverage_of(Domain::Communications),
        technical_coverage: coverage_of(Domain::Technical),
    };
    // UUID v5 of the report's date and figures: the same inputs give the same id, and two
    // reports of one date with other figures do not share it (of the date alone, every
    // report of a day had one id: found by an independent check).
    let figures = serde_json::to_string(&summary).expect("a report's figures serialise");
    summary.id = derive_id("report", &format!("{} {figures}", doc::date_text(date)));
    (summary, declared, unlinked)
}

/// How many of `items` each value of `all` has.
fn counts<T: Copy + PartialEq, I>(all: &[T], items: &[I], key: fn(&I) -> T) -> Vec<Count<T>> {
    all.iter()
        .map(|&k| Count {
            key: k,
            count: items.iter().filter(|i| key(i) == k).count() as u64,
        })
        .collect()
}

fn finding_counts(findings: &[Finding]) -> FindingCounts {
    let mut counts = FindingCounts::default();
    for finding in findings {
        match finding.severity {
            Severity::Error => counts.error += 1,
            Severity::Warning => counts.warning += 1,
            Severity::Info => counts.info += 1,
        }
        counts.waived += u64::from(finding.waiver.is_some());
    }
    counts
}

/// Facts about the run for every page's footer.
fn meta(inputs: &Inputs, date: NaiveDate) -> Meta {
    Meta {
        title: inputs.config.title.clone(),
        report_date: date,
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: inputs.data_dir_name.clone(),
        collected: inputs.collected.as_ref().map(|c| {
            format!(
                "{} from {} and {}",
                c.collected_at,
                server_line(&c.source),
                server_line(&c.target)
            )
        }),
    }
}

pub fn build(
    inputs: &Inputs,
    measures: &Measures,
    validation: Validation,
    verdict: Verdict,
    options: &ReportOptions,
) -> Report {
    let Validation {
        findings,
        reconciliation,
    } = validation;
    let thresholds = inputs.config.thresholds;
    let script_names: BTreeMap<Uuid, &str> = inputs
        .scripts
        .iter()
        .map(|s| (s.id, s.name.as_str()))
        .collect();
    let link = |id: Uuid| {
        script_names.get(&id).map(|name| Link {
            id,
            name: name.to_string(),
        })
    };
    let entities = entity_views(inputs, &thresholds, link);
    let scripts = script_views(inputs, measures, &entities, &findings);
    let domains = domain_views(inputs, measures, &scripts, &verdict);
    let (summary, declared, unlinked) = headline(measures, &scripts, options.report_date);
    Report {
        meta: meta(inputs, options.report_date),
        summary_band: match unlinked {
            Some(_) => thresholds.band(None),
            None => thresholds.band(ratio(summary.migrated_records, summary.total_records)),
        },
        unlinked,
        attempts_success_rate: measures.all_attempts.success_rate,
        success_band: thresholds
            .band_gated(summary.overall_success_rate, verdict.config.fail_under),
        summary,
        thresholds,
        domains,
        by_status: counts(Status::ALL, &scripts, |s| s.status),
        by_category: counts(Category::ALL, &scripts, |s| s.category),
        scripts,
        entities,
        missing_records: measures.missing_records,
        missing_tables: measures.missing.clone(),
        has_source_ids: !inputs.source_ids.is_empty(),
        reconcile_tolerance: inputs.config.reconcile_tolerance,
        ledger: ledger_view(measures, &thresholds),
        declared,
        exclusions: exclusion_views(inputs, options.report_date),
        content: content_view(measures),
        rule_counts: rule_counts(&findings),
        reconcile_deltas: reconcile_deltas(&reconciliation),
        finding_counts: finding_counts(&findings),
        findings,
        reconciliation,
        verdict,
    }
}

/// A point of the history charts: one snapshot's (or this run's) headline figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPoint {
    pub date: NaiveDate,
    pub overall_success_rate: Option<f64>,
    pub coverage: Option<f64>,
    pub domains: BTreeMap<Domain, Option<f64>>,
    pub open_findings: u64,
    /// This run, where a snapshot of its date is archived too: both are shown, the
    /// archived figures as archived.
    pub this_build: bool,
}

impl HistoryPoint {
    /// The point's name on the charts: its date, and `(this build)` beside an archived
    /// snapshot of the same date.
    pub fn label(&self) -> String {
        match self.this_build {
            true => format!("{} (this build)", self.date),
            false => self.date.to_string(),
        }
    }

    /// A report's figures, as its summary file carries them.
    pub fn from_summary(summary: &SummaryFile) -> Self {
        let s = &summary.report;
        HistoryPoint {
            date: s.report_date,
            overall_success_rate: s.overall_success_rate,
            coverage: summary.coverage(),
            domains: Domain::ALL
                .iter()
                .map(|&d| (d, s.domain_coverage(d)))
                .collect(),
            open_findings: summary.open_findings(),
            this_build: false,
        }
    }
}

/// One row of the archive index: a snapshot's date and headline figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchiveEntry {
    pub date: NaiveDate,
    pub coverage: Option<f64>,
    pub success_rate: Option<f64>,
    pub errors: u64,
    pub warnings: u64,
    pub gate_passed: bool,
    pub has_diff: bool,
    /// The date of the snapshot the diff compares with, where it can be read.
    pub diff_since: Option<NaiveDate>,
}

impl ArchiveEntry {
    /// A snapshot's figures, from its summary file.
    pub fn from_summary(
        summary: &SummaryFile,
        has_diff: bool,
        diff_since: Option<NaiveDate>,
    ) -> Self {
        ArchiveEntry {
            date: summary.report.report_date,
            coverage: summary.coverage(),
            success_rate: summary.report.overall_success_rate,
            errors: summary.findings.error,
            warnings: summary.findings.warning,
            gate_passed: summary.gate.passed,
            has_diff,
            diff_since,
        }
    }
}

/// What the live site shows beyond this run: its history and its archive. Snapshots are
/// rendered without it, so they link to nothing outside themselves.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Archived {
    /// Oldest first, this run last.
    pub history: Vec<HistoryPoint>,
    /// Newest first.
    pub archive: Vec<ArchiveEntry>,
}
