//! `migcov diff OLD NEW`: what changed between two reports — coverage and success-rate
//! deltas, scripts whose status changed, tables newly covered or uncovered, and findings new,
//! resolved and persisting. Both sides are read from the JSON files a site carries, so a
//! snapshot, a site or (rendered in memory) a data folder can be compared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ArchiveError;
use crate::model::{Domain, Severity, Status};
use crate::render::{code_span, markdown_text};
use crate::report::doc::{
    upgrade, ContentFile, LedgerFile, ReadError, ReportDoc, ScriptsFile, SummaryFile, TableState,
    FAMILIES,
};
use crate::validate::{Finding, RuleId};

/// The files of one report that a diff reads, in today's types.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub summary: SummaryFile,
    pub scripts: ScriptsFile,
    /// Every family's findings.
    pub findings: Vec<Finding>,
    /// `api/ledger.json`, when the report has one (a source inventory was given).
    pub ledger: Option<LedgerFile>,
    /// `api/validate/content.json`, in reports written since values are compared.
    pub content: Option<ContentFile>,
    /// Whether the report wrote its `load.*` findings (`api/validate/load.json`, since
    /// 2026-12-06): against one that did not, none are compared, or every one would be new.
    pub load_findings: bool,
}

impl ReportFiles {
    /// Reads the files through `get` (relative path → bytes); `origin` names the source in
    /// errors.
    pub fn read(
        origin: &Path,
        get: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<Self, ArchiveError> {
        fn parse<T>(
            origin: &Path,
            name: &str,
            bytes: Option<Vec<u8>>,
            read: fn(&[u8]) -> Result<T, ReadError>,
        ) -> Result<T, ArchiveError> {
            let bytes = bytes.ok_or_else(|| ArchiveError::Invalid {
                path: origin.join(name),
                message: "missing: not a migcov site or snapshot".into(),
            })?;
            read(&bytes).map_err(|e| ArchiveError::Invalid {
                path: origin.join(name),
                message: e.to_string(),
            })
        }
        let mut findings = Vec::new();
        let load_findings = get("api/validate/load.json").is_some();
        for family in FAMILIES {
            let name = format!("api/validate/{}.json", family.as_str());
            let bytes = get(&name);
            // Reports before 2026-12-06 wrote no `load.json`.
            if bytes.is_none() && family == crate::validate::Family::Load {
                continue;
            }
            findings.extend(parse(origin, &name, bytes, upgrade::validate)?.findings);
        }
        let ledger = match get("api/ledger.json") {
            Some(bytes) => Some(parse(
                origin,
                "api/ledger.json",
                Some(bytes),
                upgrade::ledger,
            )?),
            None => None,
        };
        let content = match get("api/validate/content.json") {
            Some(bytes) => Some(parse(
                origin,
                "api/validate/content.json",
                Some(bytes),
                upgrade::content,
            )?),
            None => None,
        };
        let summary = "api/coverage/summary.json";
        Ok(ReportFiles {
            content,
            load_findings,
            summary: parse(origin, summary, get(summary), upgrade::summary)?,
            scripts: parse(
                origin,
                "api/scripts.json",
                get("api/scripts.json"),
                upgrade::scripts,
            )?,
            findings,
            ledger,
        })
    }

    /// Reads a site or snapshot folder: only regular files (a link to one too), never a
    /// FIFO or a device, which a read waits on for ever (a FIFO in a snapshot hung `diff`;
    /// found by an independent check).
    pub fn from_dir(dir: &Path) -> Result<Self, ArchiveError> {
        Self::read(dir, |name| {
            let path = dir.join(name);
            std::fs::metadata(&path)
                .is_ok_and(|m| m.is_file())
                .then(|| std::fs::read(&path).ok())
                .flatten()
        })
    }

    /// A report rendered in memory.
    pub fn from_doc(doc: ReportDoc) -> Self {
        ReportFiles {
            summary: doc.summary,
            scripts: doc.scripts,
            findings: doc.validate.into_iter().flat_map(|v| v.findings).collect(),
            ledger: doc.ledger,
            content: Some(doc.content),
            load_findings: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    pub name: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
    pub delta: Option<f64>,
}

fn change(name: &str, old: Option<f64>, new: Option<f64>) -> Change {
    Change {
        name: name.to_string(),
        old,
        new,
        delta: old.zip(new).map(|(o, n)| n - o),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct StatusChange {
    pub script: String,
    pub old: Status,
    pub new: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct FindingKey {
    pub rule: RuleId,
    pub subject: String,
    pub severity: Severity,
    pub count: u64,
}

/// A finding in both reports whose count, severity or waiver changed: "persisting" alone
/// hid a rule going from 5 rows to 6, or a waiver removed that failed the gate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct FindingChange {
    pub rule: RuleId,
    pub subject: String,
    pub old_severity: Severity,
    pub new_severity: Severity,
    pub old_count: u64,
    pub new_count: u64,
    pub old_waived: bool,
    pub new_waived: bool,
    /// The message before and now, where it changed with the count kept: a target table
    /// 5 rows over its entity turned 5 rows short read as unchanged (found by an
    /// independent check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_message: Option<String>,
    /// Whether its sample rows changed (a value mismatch mended on one row and made on
    /// another keeps its count).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub samples_changed: bool,
    /// Whether the waiver covering it in both reports is another one (its approver, reason,
    /// expiry or pattern changed): "waived" alone hid a waiver swapped for another
    /// (found by an independent check).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waiver_changed: bool,
}

/// A legacy table's ledger line, as a diff compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LedgerCounts {
    pub legacy_rows: i64,
    pub migrated: i64,
    pub failed: i64,
    pub excluded: i64,
    pub unaccounted: i64,
    pub ambiguous: i64,
}

/// A table in both ledgers whose line changed: rows moved from failed to unaccounted
/// leave every share the same (found by an independent check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LedgerChange {
    pub table: String,
    pub old: LedgerCounts,
    pub new: LedgerCounts,
}

/// A rule whose severity `migcov.yaml` or `--severity` set differently: a rule switched
/// off drops its findings, which would otherwise read as resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SeverityChange {
    pub rule: String,
    /// `None`: the rule's own severity.
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Whether the gate passed in each report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GateChange {
    pub old_passed: bool,
    pub new_passed: bool,
}

/// `diff.json`: what changed between two reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Diff {
    pub old_date: NaiveDate,
    pub new_date: NaiveDate,
    /// Records migrated (share), overall success rate, then each domain's coverage.
    pub figures: Vec<Change>,
    pub status_changes: Vec<StatusChange>,
    pub scripts_added: Vec<String>,
    pub scripts_removed: Vec<String>,
    /// Tables uncovered before and covered now (a table gone from the inventory is not).
    pub tables_newly_covered: Vec<String>,
    pub tables_newly_uncovered: Vec<String>,
    /// Legacy tables in the new report's ledger and not the old one's, and the reverse
    /// (empty where a report has no ledger).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables_added: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables_removed: Vec<String>,
    pub findings_new: Vec<FindingKey>,
    /// Findings of the old report the new one does not have, their rule still checked.
    pub findings_resolved: Vec<FindingKey>,
    /// Findings of the old report whose rule the new one switched off (`--severity
    /// RULE=off`): not resolved, no longer looked for (found by an independent check: 14
    /// rules switched off read as 19 findings resolved).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings_not_checked: Vec<FindingKey>,
    pub findings_persisting: Vec<FindingKey>,
    /// Of the persisting findings, those whose count, severity or waiver changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings_changed: Vec<FindingChange>,
    /// The gate's verdicts, where they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateChange>,
    /// Tables in both ledgers whose line changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ledger_changes: Vec<LedgerChange>,
    /// Exclusions in force now and not before, and the reverse, each as one line (table,
    /// scope, approver, reason, expiry): rows declared out of scope are no rows migrated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions_added: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions_removed: Vec<String>,
    /// Exclusions in both reports that were in force before and have lapsed now (their
    /// rows count again).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions_expired: Vec<String>,
    /// The gate's thresholds before and now (`fail_under = 0.9`), where they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<ThresholdsChange>,
    /// Rules whose severity was set differently.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity_changes: Vec<SeverityChange>,
    /// Column pairs compared before and not now, and the reverse (`offices: budget →
    /// budget`): a pair no longer compared is no mismatch resolved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compared_added: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compared_removed: Vec<String>,
}

/// The gate's thresholds of two reports, each `name = value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ThresholdsChange {
    pub old: Vec<String>,
    pub new: Vec<String>,
}

fn statuses(scripts: &ScriptsFile) -> BTreeMap<&str, Status> {
    scripts
        .scripts
        .iter()
        .map(|s| (s.name.as_str(), s.status))
        .collect()
}

/// Every legacy table of a report's ledger; none without one.
fn ledger_tables(report: &ReportFiles) -> Option<BTreeSet<String>> {
    let ledger = report.ledger.as_ref()?;
    Some(ledger.tables.iter().map(|t| t.table.clone()).collect())
}

/// The legacy tables no script covers, and whether the list is complete: from the
/// ledger, which lists every table; from the finding's samples for a report without one
/// (older snapshots), complete only when the samples are every table the finding counts
/// (found by an independent check: past 20, the tables left out of the samples were
/// "newly uncovered").
fn uncovered_tables(report: &ReportFiles) -> (BTreeSet<String>, bool) {
    if let Some(ledger) = &report.ledger {
        let tables = ledger
            .tables
            .iter()
            .filter(|t| t.state == TableState::NotCovered)
            .map(|t| t.table.clone())
            .collect();
        return (tables, true);
    }
    let findings: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::CoverageTableUncovered)
        .collect();
    let tables: BTreeSet<String> = findings
        .iter()
        .flat_map(|f| &f.samples)
        .filter_map(|s| s.fields.first().map(|f| f.value.clone()))
        .collect();
    let counted: u64 = findings.iter().map(|f| f.count).sum();
    let complete = counted <= tables.len() as u64;
    (tables, complete)
}

/// Persisting findings (same rule, subject, part and rank) whose count, severity,
/// waiver, message or sample rows changed. A `load.*` or scripts-folder finding's message
/// and samples are not compared: they name the folders, whose names differ from run to run.
fn changed_findings(old: &[Finding], new: &[Finding]) -> Vec<FindingChange> {
    let state = |f: &Finding| (f.severity, f.count, f.waiver.is_some());
    let folders = |f: &Finding| {
        f.rule.rule().family == crate::validate::Family::Load
            || matches!(
                f.rule,
                RuleId::CoverageScriptsUnaccounted | RuleId::CoverageScriptsMissingOnDisk
            )
    };
    let before = ranked(old);
    ranked(new)
        .into_iter()
        .filter_map(|(key, now_finding)| {
            let was_finding = before.get(&key)?;
            let (was, now) = (state(was_finding), state(now_finding));
            let compared = !folders(now_finding);
            let message =
                compared && figures(&was_finding.message) != figures(&now_finding.message);
            let samples = compared
                && match (sample_values(was_finding), sample_values(now_finding)) {
                    (Some(was), Some(now)) => was != now,
                    _ => false,
                };
            let waiver = |f: &Finding| {
                f.waiver.as_ref().map(|w| {
                    (
                        w.subject.clone(),
                        w.reason.clone(),
                        w.approved_by.clone(),
                        w.expires,
                    )
                })
            };
            let waiver_changed = was.2 && now.2 && waiver(was_finding) != waiver(now_finding);
            (was != now || message || samples || waiver_changed).then(|| FindingChange {
                rule: key.0,
                subject: key.1,
                old_severity: was.0,
                new_severity: now.0,
                old_count: was.1,
                new_count: now.1,
                old_waived: was.2,
                new_waived: now.2,
                old_message: message.then(|| was_finding.message.clone()),
                new_message: message.then(|| now_finding.message.clone()),
                samples_changed: samples,
                waiver_changed,
            })
        })
        .collect()
}

/// The figures a finding's message states, in order (`+5`, `-0.30%`, `0.999`), without
/// its dates and times: what a message's change means, where its wording may differ
/// between versions ("1 mapping rows" became "1 mapping row") and a date may be the
/// report's own ("dated after the report date 2026-12-01"; found by an independent check).
fn figures(message: &str) -> Vec<String> {
    let dated = without_dates(message);
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = dated.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let sign = (c == '+' || c == '-')
            && current.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_ascii_digit() || sign || (c == '.' && !current.is_empty()) {
            current.push(c);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `text` with each ISO date and time (`2026-12-01`, `2026-12-01T08:00:00Z`) taken out.
fn without_dates(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let is_date = |at: usize| {
        chars.len() >= at + 10
            && chars[at..at + 10].iter().enumerate().all(|(k, c)| match k {
                4 | 7 => *c == '-',
                _ => c.is_ascii_digit(),
            })
    };
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        if is_date(at) {
            at += 10;
            if chars.get(at) == Some(&'T') && chars.get(at + 1).is_some_and(char::is_ascii_digit) {
                while chars
                    .get(at)
                    .is_some_and(|c| c.is_ascii_digit() || ":.TZ+-".contains(*c))
                {
                    at += 1;
                }
            }
            continue;
        }
        out.push(chars[at]);
        at += 1;
    }
    out
}

/// A finding's sample rows as a set of their values, without where they were read (file,
/// row: moving a row in its file is no change), when the samples are every row the finding
/// counts; `None` when they are some of them (which rows come first, and how many are
/// kept, `--samples`, are no change either; found by an independent check).
fn sample_values(f: &Finding) -> Option<BTreeSet<Vec<(String, String)>>> {
    if (f.samples.len() as u64) < f.count {
        return None;
    }
    Some(
        f.samples
            .iter()
            .map(|s| {
                s.fields
                    .iter()
                    .filter(|field| !matches!(field.name.as_str(), "file" | "row" | "line"))
                    .map(|field| (field.name.clone(), field.value.clone()))
                    .collect()
            })
            .collect(),
    )
}

/// Tables in both ledgers whose line changed.
fn ledger_changes(old: &ReportFiles, new: &ReportFiles) -> Vec<LedgerChange> {
    let lines = |r: &ReportFiles| -> BTreeMap<String, LedgerCounts> {
        r.ledger
            .iter()
            .flat_map(|l| &l.tables)
            .map(|t| {
                let counts = LedgerCounts {
                    legacy_rows: t.legacy_rows,
                    migrated: t.migrated.value,
                    failed: t.failed.value,
                    excluded: t.excluded.value,
                    unaccounted: t.unaccounted,
                    ambiguous: t.ambiguous,
                };
                (t.table.clone(), counts)
            })
            .collect()
    };
    let (before, after) = (lines(old), lines(new));
    after
        .into_iter()
        .filter_map(|(table, now)| {
            let was = *before.get(&table)?;
            (was != now).then_some(LedgerChange {
                table,
                old: was,
                new: now,
            })
        })
        .collect()
}

/// A report's exclusions, each as one line; with `expired`, only those that have lapsed
/// (an exclusion that lapsed between two reports is not one removed and another added).
fn exclusions(report: &ReportFiles, expired: bool) -> BTreeSet<String> {
    report
        .ledger
        .iter()
        .flat_map(|l| &l.exclusions)
        .filter(|e| !expired || e.expired)
        .map(|e| {
            format!(
                "{}: {}, approved by {}: {}{}",
                e.table,
                e.scope,
                e.approved_by,
                e.reason,
                e.expires
                    .map(|d| format!(", expires {d}"))
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// A report's gate thresholds, each `name = value`, sorted.
fn thresholds(report: &ReportFiles) -> Vec<String> {
    let mut lines: Vec<String> = report
        .summary
        .gate
        .thresholds
        .iter()
        .map(|t| {
            let value = serde_json::to_string(&t.value).unwrap_or_default();
            format!("{} = {value}", t.name)
        })
        .collect();
    lines.sort();
    lines
}

/// Whether a report records the rules' severities and each pair's normalisations: every
/// report since 2026-12-07 writes `gate.severity`; a few written that day before it did
/// already recorded normalisations (found by a review: those read as older, and a pair
/// compared more loosely went unsaid).
fn records_settings(report: &ReportFiles) -> bool {
    report.summary.gate.severity.is_some()
        || report.content.as_ref().is_some_and(|c| {
            c.content
                .entities
                .iter()
                .flat_map(|e| &e.columns)
                .any(|c| c.normalized.is_some())
        })
}

/// Rules whose severity was set differently in the two reports; none against a report
/// written before severities were recorded (which were set there is unknown, and every
/// rule set in the new one read as changed; found by an independent check).
fn severity_changes(old: &ReportFiles, new: &ReportFiles) -> Vec<SeverityChange> {
    if !(records_settings(old) && records_settings(new)) {
        return Vec::new();
    }
    let none = BTreeMap::new();
    let was = old.summary.gate.severity.as_ref().unwrap_or(&none);
    let now = new.summary.gate.severity.as_ref().unwrap_or(&none);
    let rules: BTreeSet<&String> = was.keys().chain(now.keys()).collect();
    rules
        .into_iter()
        .filter_map(|rule| {
            let (o, n) = (was.get(rule), now.get(rule));
            (o != n).then(|| SeverityChange {
                rule: rule.clone(),
                old: o.map(|l| l.as_str().to_string()),
                new: n.map(|l| l.as_str().to_string()),
            })
        })
        .collect()
}

/// The column pairs a report compared, each `entity: legacy → target`, with its transform
/// and, where `normalized` (both reports recorded how values were normalised), its
/// normalisations.
fn compared_pairs(report: &ReportFiles, normalized: bool) -> Option<BTreeSet<String>> {
    let content = report.content.as_ref()?;
    Some(
        content
            .content
            .entities
            .iter()
            .flat_map(|e| {
                e.columns.iter().map(move |c| {
                    let mut pair = format!("{}: {} → {}", e.entity, c.legacy, c.target);
                    if let Some(transform) = &c.transform {
                        pair.push_str(&format!(" as {transform}"));
                    }
                    if let Some(text) = c.normalized.as_ref().filter(|_| normalized) {
                        pair.push_str(&format!(" ({text})"));
                    }
                    pair
                })
            })
            .collect(),
    )
}

/// The part a finding is about: its own, or for a value mismatch written before findings
/// had parts, the column pair its message names (`differ in `a` → `b``, the rule's message
/// since it was added), so an old report's columns meet the new one's by name, not by
/// rank.
fn part_of(f: &Finding) -> Option<String> {
    if let Some(part) = &f.part {
        return Some(part.clone());
    }
    if f.rule != RuleId::ReconcileContentValueMismatch {
        return None;
    }
    let (_, pair) = f.message.rsplit_once(" differ in `")?;
    let (legacy, target) = pair.split_once("` → `")?;
    Some(format!("{legacy} → {}", target.strip_suffix('`')?))
}

/// The findings of `report` that a diff with `other` compares: `load.*` ones only when
/// both wrote them.
fn compared(report: &ReportFiles, other: &ReportFiles) -> Vec<Finding> {
    let both = report.load_findings && other.load_findings;
    report
        .findings
        .iter()
        .filter(|f| both || f.rule.rule().family != crate::validate::Family::Load)
        .cloned()
        .collect()
}

/// A finding's subject as a diff shows it: `entity: offices`, and the part it is about
/// (`entity: offices (budget → budget)`).
fn shown_subject(f: &Finding) -> String {
    // A `load.*` finding's subject is the data folder, whose name differs from run to run
    // (a temporary folder, a dated checkout): the same finding in both.
    if f.rule.rule().family == crate::validate::Family::Load {
        return "the data folder".to_string();
    }
    // So is the scripts folder's (found by an independent check: two dated checkouts
    // showed one finding as new and as resolved).
    if matches!(
        f.rule,
        RuleId::CoverageScriptsUnaccounted | RuleId::CoverageScriptsMissingOnDisk
    ) {
        return "the scripts folder".to_string();
    }
    match part_of(f) {
        Some(part) => format!("{}: {} ({part})", f.subject.kind, f.subject.name),
        None => format!("{}: {}", f.subject.kind, f.subject.name),
    }
}

/// Each finding by its rule, its subject with its part, and its rank among that rule's
/// findings on them (the second is the second): the key two reports' findings are matched
/// by.
fn ranked(findings: &[Finding]) -> BTreeMap<(RuleId, String, usize), &Finding> {
    let mut seen: BTreeMap<(RuleId, String), usize> = BTreeMap::new();
    findings
        .iter()
        .map(|f| {
            let subject = shown_subject(f);
            let n = seen.entry((f.rule, subject.clone())).or_default();
            *n += 1;
            ((f.rule, subject, *n), f)
        })
        .collect()
}

fn finding_keys(findings: &[Finding]) -> BTreeMap<(RuleId, String, usize), FindingKey> {
    ranked(findings)
        .into_iter()
        .map(|(key, f)| {
            let finding = FindingKey {
                rule: f.rule,
                subject: key.1.clone(),
                severity: f.severity,
                count: f.count,
            };
            (key, finding)
        })
        .collect()
}

/// The entries of `these` that `those` lacks, in order.
fn only_in(these: &BTreeSet<String>, those: &BTreeSet<String>) -> Vec<String> {
    these.difference(those).cloned().collect()
}

/// Entries of `after` whose keys `before` has (`wanted`) or has not.
fn keyed<K: Ord, V: Clone>(
    after: &BTreeMap<K, V>,
    before: &BTreeMap<K, V>,
    wanted: bool,
) -> Vec<V> {
    after
        .iter()
        .filter(|(k, _)| before.contains_key(*k) == wanted)
        .map(|(_, v)| v.clone())
        .collect()
}

pub fn diff(old: &ReportFiles, new: &ReportFiles) -> Diff {
    let (o, n) = (&old.summary.report, &new.summary.report);
    let mut figures = vec![
        // No figure where nothing linked the tables (`Report::unlinked`).
        change(
            "records migrated",
            old.summary.coverage(),
            new.summary.coverage(),
        ),
        change(
            "overall success rate",
            o.overall_success_rate,
            n.overall_success_rate,
        ),
    ];
    // Rows intact, where either report compared values.
    let intact = |r: &ReportFiles| {
        r.content
            .as_ref()
            .and_then(|c| c.content.totals.intact_rate)
    };
    if intact(old).is_some() || intact(new).is_some() {
        figures.push(change("rows intact", intact(old), intact(new)));
    }
    for domain in Domain::ALL {
        figures.push(change(
            &format!("{domain} coverage"),
            o.domain_coverage(*domain),
            n.domain_coverage(*domain),
        ));
    }

    let (old_status, new_status) = (statuses(&old.scripts), statuses(&new.scripts));
    let status_changes = new_status
        .iter()
        .filter_map(|(name, &status)| {
            let before = *old_status.get(name)?;
            (before != status).then(|| StatusChange {
                script: name.to_string(),
                old: before,
                new: status,
            })
        })
        .collect();
    let names = |from: &BTreeMap<&str, Status>, other: &BTreeMap<&str, Status>| {
        let only: Vec<String> = from
            .keys()
            .filter(|k| !other.contains_key(*k))
            .map(|k| k.to_string())
            .collect();
        only
    };

    let ((was, was_complete), (is, is_complete)) = (uncovered_tables(old), uncovered_tables(new));
    let (old_tables, new_tables) = (ledger_tables(old), ledger_tables(new));
    // A table gone from the inventory is removed, not newly covered, nor is one whose rows
    // were all excluded with no entity or script naming it yet (found by an independent
    // check: a whole-table exclusion read as coverage). A side whose list is incomplete
    // tells no change against it: a table not in it may be uncovered still.
    let linked: Option<BTreeSet<&str>> = new.ledger.as_ref().map(|l| {
        l.tables
            .iter()
            .filter(|t| !t.entities.is_empty() || !t.scripts.is_empty())
            .map(|t| t.table.as_str())
            .collect()
    });
    let newly_covered = match is_complete {
        true => was
            .difference(&is)
            .filter(|t| new_tables.as_ref().is_none_or(|tables| tables.contains(*t)))
            .filter(|t| {
                linked
                    .as_ref()
                    .is_none_or(|tables| tables.contains(t.as_str()))
            })
            .cloned()
            .collect(),
        false => Vec::new(),
    };
    let newly_uncovered: Vec<String> = match was_complete {
        true => is.difference(&was).cloned().collect(),
        false => Vec::new(),
    };
    let (tables_added, tables_removed) = match (&old_tables, &new_tables) {
        (Some(before), Some(after)) => (
            after.difference(before).cloned().collect(),
            before.difference(after).cloned().collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let (old_findings, new_findings) = (compared(old, new), compared(new, old));
    // Whether both reports record what a report written before 2026-12-07 does not (the
    // rules' severities, each pair's normalisations): against an older one, neither is
    // compared, or every pair and setting would read as changed (found by an independent
    // check).
    let recorded = records_settings(old) && records_settings(new);
    // Each report's exclusions (declared, and those lapsed), thresholds and compared
    // pairs, read once.
    let declared = (exclusions(old, false), exclusions(new, false));
    let lapsed = (exclusions(old, true), exclusions(new, true));
    let limits = (thresholds(old), thresholds(new));
    let pairs = compared_pairs(old, recorded).zip(compared_pairs(new, recorded));
    let switched_off = |f: &FindingKey| {
        new.summary
            .gate
            .severity
            .as_ref()
            .and_then(|set| set.get(f.rule.as_str()))
            == Some(&crate::model::config::SeverityOverride::Off)
    };
    let (before, after) = (finding_keys(&old_findings), finding_keys(&new_findings));
    Diff {
        old_date: o.report_date,
        new_date: n.report_date,
        figures,
        status_changes,
        scripts_added: names(&new_status, &old_status),
        scripts_removed: names(&old_status, &new_status),
        tables_newly_covered: newly_covered,
        tables_newly_uncovered: newly_uncovered,
        tables_added,
        tables_removed,
        findings_new: keyed(&after, &before, false),
        findings_resolved: keyed(&before, &after, false)
            .into_iter()
            .filter(|f| !switched_off(f))
            .collect(),
        findings_not_checked: keyed(&before, &after, false)
            .into_iter()
            .filter(switched_off)
            .collect(),
        findings_persisting: keyed(&after, &before, true),
        findings_changed: changed_findings(&old_findings, &new_findings),
        ledger_changes: ledger_changes(old, new),
        exclusions_added: only_in(&declared.1, &declared.0),
        exclusions_removed: only_in(&declared.0, &declared.1),
        exclusions_expired: only_in(&lapsed.1, &lapsed.0)
            .into_iter()
            .filter(|e| declared.0.contains(e))
            .collect(),
        thresholds: (limits.0 != limits.1).then_some(ThresholdsChange {
            old: limits.0,
            new: limits.1,
        }),
        severity_changes: severity_changes(old, new),
        compared_added: pairs
            .as_ref()
            .map_or_else(Vec::new, |(before, after)| only_in(after, before)),
        compared_removed: pairs
            .as_ref()
            .map_or_else(Vec::new, |(before, after)| only_in(before, after)),
        gate: (old.summary.gate.passed != new.summary.gate.passed).then_some(GateChange {
            old_passed: old.summary.gate.passed,
            new_passed: new.summary.gate.passed,
        }),
    }
}

/// As the pages show a rate: 100% only when it is 1 (99.999% is never `100.0%`).
fn percent(value: Option<f64>) -> String {
    crate::render::html::format_percent(value)
}

/// A change in percentage points, with as many decimals as it takes for a change to read
/// as one (+0.001 pp, never +0.0 pp).
fn points(value: Option<f64>) -> String {
    // As diffs written before (`+0.0 pp`, `-1.5 pp`), with more decimals only where one
    // would hide a change.
    value
        .map(|v| {
            let v = v * 100.0;
            let decimals = crate::render::html::change_decimals(v, 1);
            format!("{v:+.decimals$} pp")
        })
        .unwrap_or_else(|| "—".into())
}

/// A ledger line's changed counts: `failed 2 → 0, unaccounted 2 → 4`.
pub fn ledger_line(c: &LedgerChange) -> String {
    let (o, n) = (c.old, c.new);
    [
        ("legacy rows", o.legacy_rows, n.legacy_rows),
        ("migrated", o.migrated, n.migrated),
        ("failed", o.failed, n.failed),
        ("excluded", o.excluded, n.excluded),
        ("unaccounted", o.unaccounted, n.unaccounted),
        ("ambiguous", o.ambiguous, n.ambiguous),
    ]
    .into_iter()
    .filter(|(_, was, now)| was != now)
    .map(|(name, was, now)| format!("{name} {was} → {now}"))
    .collect::<Vec<_>>()
    .join(", ")
}

/// The diff as Markdown, for a merge request or an audit note.
pub fn markdown(diff: &Diff) -> String {
    let mut out = format!("## Changes from {} to {}\n\n", diff.old_date, diff.new_date);
    out.push_str(&crate::render::markdown_table(
        [
            ("Figure", false),
            ("Before", true),
            ("After", true),
            ("Change", true),
        ],
        diff.figures.iter().map(|c| {
            [
                c.name.clone(),
                percent(c.old),
                percent(c.new),
                points(c.delta),
            ]
        }),
    ));
    let list = |title: &str, items: Vec<String>, out: &mut String| {
        if !items.is_empty() {
            out.push_str(&format!("\n### {title} ({})\n\n", items.len()));
            // Each item built of code spans and escaped text ([`code_span`],
            // [`markdown_text`]): nothing more to escape.
            for item in items {
                out.push_str(&format!("- {item}\n"));
            }
        }
    };
    let quoted = |items: &[String]| -> Vec<String> { items.iter().map(|s| code_span(s)).collect() };
    list(
        "Scripts whose status changed",
        diff.status_changes
            .iter()
            .map(|s| format!("{}: {} → {}", code_span(&s.script), s.old, s.new))
            .collect(),
        &mut out,
    );
    list("Scripts added", quoted(&diff.scripts_added), &mut out);
    list("Scripts removed", quoted(&diff.scripts_removed), &mut out);
    list(
        "Tables newly covered",
        quoted(&diff.tables_newly_covered),
        &mut out,
    );
    list(
        "Tables newly uncovered",
        quoted(&diff.tables_newly_uncovered),
        &mut out,
    );
    list("Tables added", quoted(&diff.tables_added), &mut out);
    list("Tables removed", quoted(&diff.tables_removed), &mut out);
    let finding = |f: &FindingKey| {
        format!(
            "{} {} ({}, {})",
            code_span(f.rule.as_str()),
            markdown_text(&f.subject),
            f.severity.as_str(),
            f.count
        )
    };
    list(
        "New findings",
        diff.findings_new.iter().map(finding).collect(),
        &mut out,
    );
    list(
        "Resolved findings",
        diff.findings_resolved.iter().map(finding).collect(),
        &mut out,
    );
    list(
        "Findings no longer looked for (their rule switched off)",
        diff.findings_not_checked.iter().map(finding).collect(),
        &mut out,
    );
    list(
        "Persisting findings that changed",
        diff.findings_changed
            .iter()
            .map(|c| {
                let waived = |w: bool| if w { ", waived" } else { "" };
                let mut line = format!(
                    "{} {}: {} {}{} → {} {}{}",
                    code_span(c.rule.as_str()),
                    markdown_text(&c.subject),
                    c.old_severity.as_str(),
                    c.old_count,
                    waived(c.old_waived),
                    c.new_severity.as_str(),
                    c.new_count,
                    waived(c.new_waived)
                );
                if let (Some(old), Some(new)) = (&c.old_message, &c.new_message) {
                    line.push_str(&format!(
                        "; was “{}”, now “{}”",
                        markdown_text(old),
                        markdown_text(new)
                    ));
                }
                if c.samples_changed {
                    line.push_str("; its sample rows changed");
                }
                if c.waiver_changed {
                    line.push_str("; waived by another waiver (its approver, reason or expiry)");
                }
                line
            })
            .collect(),
        &mut out,
    );
    list(
        "Ledger lines that changed",
        diff.ledger_changes
            .iter()
            .map(|c| format!("{}: {}", code_span(&c.table), ledger_line(c)))
            .collect(),
        &mut out,
    );
    list(
        "Exclusions added",
        diff.exclusions_added
            .iter()
            .map(|e| markdown_text(e))
            .collect(),
        &mut out,
    );
    list(
        "Exclusions lapsed (their rows count again)",
        diff.exclusions_expired
            .iter()
            .map(|e| markdown_text(e))
            .collect(),
        &mut out,
    );
    list(
        "Exclusions removed",
        diff.exclusions_removed
            .iter()
            .map(|e| markdown_text(e))
            .collect(),
        &mut out,
    );
    list(
        "Column pairs compared now and not before",
        diff.compared_added
            .iter()
            .map(|e| markdown_text(e))
            .collect(),
        &mut out,
    );
    list(
        "Column pairs no longer compared",
        diff.compared_removed
            .iter()
            .map(|e| markdown_text(e))
            .collect(),
        &mut out,
    );
    list(
        "Rule severities set differently",
        diff.severity_changes
            .iter()
            .map(|c| {
                let level = |l: &Option<String>| l.clone().unwrap_or_else(|| "its own".into());
                format!(
                    "{}: {} → {}",
                    code_span(&c.rule),
                    level(&c.old),
                    level(&c.new)
                )
            })
            .collect(),
        &mut out,
    );
    if let Some(thresholds) = &diff.thresholds {
        let shown = |t: &[String]| match t {
            [] => "none".to_string(),
            t => t
                .iter()
                .map(|l| code_span(l))
                .collect::<Vec<_>>()
                .join(", "),
        };
        out.push_str(&format!(
            "\nThe gate's thresholds were {} and are {} now.\n",
            shown(&thresholds.old),
            shown(&thresholds.new)
        ));
    }
    if let Some(gate) = diff.gate {
        let verdict = |passed: bool| if passed { "passed" } else { "failed" };
        out.push_str(&format!(
            "\nThe gate {} before and {} now.\n",
            verdict(gate.old_passed),
            verdict(gate.new_passed)
        ));
    }
    let persisting = diff.findings_persisting.len() as u64;
    out.push_str(&format!(
        "\n{persisting} {}.\n",
        crate::render::noun(persisting, "finding persists", "findings persist")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by an independent check: a persisting finding whose count grew, or whose
    /// waiver was removed (the gate then failing), read only as "persists".
    #[test]
    fn persisting_findings_that_changed_are_said() {
        use crate::validate::{RuleId, Subject};
        let finding = |count: u64, waived: bool| {
            let mut f = Finding::new(
                RuleId::CoverageTableUncovered,
                Subject::new("table", "dispatch_fax"),
                "m",
            );
            f.count = count;
            f.waiver = waived.then(|| crate::model::config::Waiver {
                rule: "coverage.table.uncovered".into(),
                subject: "*".into(),
                reason: "r".into(),
                approved_by: "a".into(),
                expires: None,
            });
            f
        };
        let same = finding(5, false);
        assert!(
            changed_findings(std::slice::from_ref(&same), std::slice::from_ref(&same)).is_empty()
        );
        // The same count, waived both times, by another approver.
        let mut other = finding(5, true);
        other.waiver.as_mut().unwrap().approved_by = "Mallory".into();
        let swapped = changed_findings(&[finding(5, true)], &[other]);
        assert!(
            swapped.len() == 1 && swapped[0].waiver_changed,
            "{swapped:?}"
        );
        let changes = changed_findings(
            &[finding(5, true), finding(1, false)],
            &[finding(5, false), finding(2, false)],
        );
        assert_eq!(
            changes
                .iter()
                .map(|c| (c.old_count, c.new_count, c.old_waived, c.new_waived))
                .collect::<Vec<_>>(),
            [(5, 5, true, false), (1, 2, false, false)]
        );
    }

    /// A message's figures are what a diff compares: its sign, its numbers, never its
    /// wording or the dates in it (the report date, found by a review).
    #[test]
    fn a_message_is_compared_by_its_figures() {
        assert_eq!(
            figures("target rows vs migrated_records: 1672 vs 1667: +5 (+0.30%)"),
            ["1672", "1667", "+5", "+0.30"]
        );
        assert_ne!(
            figures("1672 vs 1667: +5 (+0.30%)"),
            figures("1662 vs 1667: -5 (-0.30%)")
        );
        assert_eq!(
            figures("1 mapping rows have an id"),
            figures("1 mapping row has an id")
        );
        assert_eq!(
            figures("2 executions dated after the report date 2026-12-01"),
            figures("2 executions dated after the report date 2026-12-08T10:00:00Z")
        );
        assert_eq!(figures("manifest says 0.999"), ["0.999"]);
    }

    /// Found by an independent check: 99.999% → 100% read `100.0% | 100.0% | +0.0 pp`.
    #[test]
    fn small_changes_read_as_changes() {
        assert_eq!(percent(Some(0.99999)), "99.999%");
        assert_eq!(percent(Some(1.0)), "100.0%");
        assert_eq!(points(Some(1.0 - 0.99999)), "+0.001 pp");
        assert_eq!(points(Some(0.9995 - 0.9996)), "-0.01 pp");
        assert_eq!(points(Some(0.2)), "+20.0 pp");
        assert_eq!(points(Some(0.0)), "+0.0 pp");
        assert_eq!(points(None), "—");
    }
}
