//! The template context of every page, as types: what a template may read is declared here,
//! and `--dump-context` writes exactly these (with `meta`, `root` and `nav`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::archive::diff::Diff;
use crate::measure::ledger::LedgerTotals;
use crate::measure::missing::MissingTable;
use crate::measure::Execution;
use crate::model::config::{Band, Thresholds};
use crate::model::{Category, CoverageReport, Status};
use crate::report::{
    ArchiveEntry, Count, DeclaredFigures, DomainView, EntityView, ExclusionView, FindingCounts,
    HistoryPoint, LedgerDomain, LedgerView, ScriptView, Unlinked,
};
use crate::validate::reconcile::EntityReconciliation;
use crate::validate::{Finding, Verdict};

/// Inline SVG charts by name.
pub type Charts = BTreeMap<&'static str, String>;

/// `index.html`: the headline.
#[derive(Serialize)]
pub struct Index<'a> {
    pub summary: &'a CoverageReport,
    pub coverage: Option<f64>,
    pub summary_band: Band,
    pub success_band: Band,
    pub attempts_success_rate: Option<f64>,
    pub domains: &'a [DomainView],
    pub ledger: Option<&'a LedgerTotals>,
    pub ledger_band: Option<Band>,
    /// The ledger's tables of no domain.
    pub no_domain: Option<&'a LedgerDomain>,
    pub declared: &'a DeclaredFigures,
    pub unlinked: &'a Option<Unlinked>,
    /// How many exclusions are declared.
    pub exclusions: usize,
    pub by_status: &'a [Count<Status>],
    pub by_category: &'a [Count<Category>],
    pub finding_counts: &'a FindingCounts,
    pub verdict: &'a Verdict,
    pub thresholds: &'a Thresholds,
    /// Rows whose values were compared, over every checked entity.
    pub content: &'a crate::report::ContentTotals,
    pub charts: Charts,
    /// Empty unless there are earlier snapshots.
    pub history: &'a [HistoryPoint],
    pub archive: bool,
}

/// `ledger/index.html` and, past 500 tables, `ledger/tables-<n>.html`.
#[derive(Serialize)]
pub struct Ledger<'a> {
    /// The ledger's totals and band: every page holding every table made a ledger of N
    /// tables N²/500 rows to write.
    pub ledger: Option<LedgerHead<'a>>,
    /// The tables this page lists.
    pub rows: &'a [crate::report::LedgerLine],
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
    pub exclusions: usize,
}

/// What every ledger page shows above its tables.
#[derive(Serialize)]
pub struct LedgerHead<'a> {
    pub totals: &'a crate::measure::ledger::LedgerTotals,
    pub band: crate::model::config::Band,
}

impl<'a> LedgerHead<'a> {
    pub fn of(ledger: &'a LedgerView) -> Self {
        LedgerHead {
            totals: &ledger.totals,
            band: ledger.band,
        }
    }
}

/// `ledger/exclusions.html`: exclusions and waived findings.
#[derive(Serialize)]
pub struct Exclusions<'a> {
    /// The exclusions this page lists, of `total`.
    pub exclusions: &'a [ExclusionView],
    pub total: usize,
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
    /// The first waived findings (on the first page only), of `waivers_total`: each
    /// rule's pages list every one.
    pub waivers: Vec<&'a Finding>,
    pub waivers_total: usize,
    /// Whether `api/ledger.json` (which lists every exclusion) is written.
    pub has_ledger: bool,
}

/// `domains/<domain>.html`.
#[derive(Serialize)]
pub struct Domain<'a> {
    pub domain: &'a DomainView,
    /// The entities this page lists, of `total`.
    pub entities: Vec<&'a EntityView>,
    pub total: usize,
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
}

/// `scripts/index.html`.
#[derive(Serialize)]
pub struct Scripts<'a> {
    /// The scripts this page lists, of `total`.
    pub scripts: &'a [ScriptView],
    pub total: usize,
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
}

/// `scripts/<id>.html`, with the first page of its executions.
#[derive(Serialize)]
pub struct Script<'a> {
    pub script: &'a ScriptView,
    pub charts: Charts,
    pub findings: Vec<&'a Finding>,
    /// The executions this page lists.
    pub executions: &'a [Execution],
    pub page: &'a PageLink,
    /// Every page of executions, this one included.
    pub pages: &'a [PageLink],
    /// Every execution as CSV, relative to the page.
    pub csv: &'a str,
}

/// `scripts/<id>/executions-<n>.html`: a further page of a script's executions.
#[derive(Serialize)]
pub struct Executions<'a> {
    pub script: &'a ScriptView,
    pub executions: &'a [Execution],
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
    pub csv: &'a str,
}

/// One page of a script's executions.
#[derive(Serialize)]
pub struct PageLink {
    pub number: usize,
    /// 1-based numbers of the first and last item it lists.
    pub first: usize,
    pub last: usize,
    /// Relative to the pages' folder (`scripts/`, `ledger/`).
    pub href: String,
}

impl PageLink {
    /// The items this page lists, of all of them (none on the one page of nothing).
    pub fn of<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        &items[(self.first - 1).min(self.last)..self.last]
    }

    /// The first `n` of `items` on the first page, none on the others (a list the pages
    /// show beside theirs, listed in full elsewhere).
    pub fn leading<'a, T>(&self, items: &'a [T], n: usize) -> &'a [T] {
        match self.number {
            1 => &items[..n.min(items.len())],
            _ => &[],
        }
    }
}

/// `entities/index.html`.
#[derive(Serialize)]
pub struct Entities<'a> {
    /// The entities this page lists, of `total`.
    pub entities: &'a [EntityView],
    pub total: usize,
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
}

/// A rule and its result, for the rule index and a rule's page.
#[derive(Serialize)]
pub struct RuleRow {
    pub id: &'static str,
    pub family: &'static str,
    /// As set by `migcov.yaml` or `--severity`, else the rule's own; `off` when not checked.
    pub severity: &'static str,
    pub summary: &'static str,
    pub docs: &'static str,
    pub findings: u64,
    pub violations: u64,
}

/// `validate/index.html`: every rule.
#[derive(Serialize)]
pub struct Findings<'a> {
    pub rules: &'a [RuleRow],
    pub finding_counts: &'a FindingCounts,
    pub verdict: &'a Verdict,
    pub missing_records: u64,
}

/// `validate/<rule>.html`: a rule with findings.
#[derive(Serialize)]
pub struct Rule<'a> {
    pub rule: &'a RuleRow,
    /// The findings this page lists (200 to a page).
    pub findings: Vec<&'a Finding>,
    pub violations: u64,
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
}

/// `validate/missing.html`.
#[derive(Serialize)]
pub struct Missing<'a> {
    /// The first findings (on the first page only), of `findings_total`: each rule's
    /// pages list every one.
    pub findings: Vec<&'a Finding>,
    pub findings_total: usize,
    /// The rules of every finding, each once: their pages list every one.
    pub finding_rules: Vec<&'static str>,
    /// The tables this page lists, of `total`.
    pub tables: &'a [MissingTable],
    pub total: usize,
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
    pub missing_records: u64,
    pub has_source_ids: bool,
}

/// `validate/reconcile.html`.
#[derive(Serialize)]
pub struct Reconcile<'a> {
    /// The entities this page lists, of `total`.
    pub rows: &'a [EntityReconciliation],
    pub total: usize,
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
    /// The checks' labels, the table's columns.
    pub labels: Vec<&'a str>,
    pub chart: Option<String>,
    pub tolerance: f64,
}

/// `validate/content.html`: arrived intact.
#[derive(Serialize)]
pub struct Content<'a> {
    /// The totals and the declarations not checked (not every entity: each page held them
    /// all).
    pub content: ContentHead<'a>,
    /// The entities this page lists, of `total`.
    pub entities: &'a [crate::measure::content::ContentTable],
    pub total: usize,
    pub page: &'a PageLink,
    pub pages: &'a [PageLink],
    pub chart: Option<String>,
}

/// What every content page shows beside its entities.
#[derive(Serialize)]
pub struct ContentHead<'a> {
    pub totals: &'a crate::report::ContentTotals,
    pub not_checked: &'a [crate::measure::content::NotChecked],
}

/// `validate/content/<entity id>.html`: one entity's values compared.
#[derive(Serialize)]
pub struct ContentEntity<'a> {
    pub table: &'a crate::measure::content::ContentTable,
    pub chart: Option<String>,
}

/// `archive/index.html`.
#[derive(Serialize)]
pub struct Archive<'a> {
    pub entries: &'a [ArchiveEntry],
}

/// `diff.html`.
#[derive(Serialize)]
pub struct DiffPage<'a> {
    pub diff: &'a Diff,
    /// Each changed ledger line: its table and its changed counts in words.
    pub ledger_lines: Vec<(String, String)>,
}

/// `--single-file`: the report in one page.
#[derive(Serialize)]
pub struct Single<'a> {
    pub style: &'a str,
    pub chart: String,
    pub summary: &'a CoverageReport,
    pub coverage: Option<f64>,
    pub unlinked: &'a Option<Unlinked>,
    pub verdict: &'a Verdict,
    pub finding_counts: &'a FindingCounts,
    pub domains: &'a [DomainView],
    pub scripts: &'a [ScriptView],
    pub findings: &'a [Finding],
    pub reconciliation: &'a [EntityReconciliation],
    pub labels: Vec<&'a str>,
}
