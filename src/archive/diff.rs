//! `migcov diff OLD NEW`: what changed between two reports — coverage and success-rate
//! deltas, scripts whose status changed, tables newly covered or uncovered, and findings new,
//! resolved and persisting. Both sides are read from the JSON files a site carries, so a
//! snapshot, a site or (rendered in memory) a data folder can be compared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::ArchiveError;

/// The JSON files of one report that a diff reads.
#[derive(Debug, Clone)]
pub struct ReportJson {
    pub summary: Value,
    pub scripts: Value,
    pub findings: Vec<Value>,
    /// `api/ledger.json`, when the report has one (a source inventory was given).
    pub ledger: Option<Value>,
}

const FAMILIES: [&str; 4] = ["coverage", "integrity", "missing", "reconcile"];

impl ReportJson {
    /// Reads the files through `get` (relative path → bytes); `origin` names the source in
    /// errors.
    pub fn read(
        origin: &Path,
        get: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<Self, ArchiveError> {
        let parse = |name: &str| -> Result<Value, ArchiveError> {
            let bytes = get(name).ok_or_else(|| ArchiveError::Invalid {
                path: origin.join(name),
                message: "missing: not a migcov site or snapshot".into(),
            })?;
            serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Invalid {
                path: origin.join(name),
                message: e.to_string(),
            })
        };
        let mut findings = Vec::new();
        for family in FAMILIES {
            let file = parse(&format!("api/validate/{family}.json"))?;
            findings.extend(file["findings"].as_array().cloned().unwrap_or_default());
        }
        let ledger = match get("api/ledger.json") {
            Some(_) => Some(parse("api/ledger.json")?),
            None => None,
        };
        Ok(ReportJson {
            summary: parse("api/coverage/summary.json")?,
            scripts: parse("api/scripts.json")?,
            findings,
            ledger,
        })
    }

    pub fn from_dir(dir: &Path) -> Result<Self, ArchiveError> {
        Self::read(dir, |name| std::fs::read(dir.join(name)).ok())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StatusChange {
    pub script: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingKey {
    pub rule: String,
    pub subject: String,
    pub severity: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub old_date: String,
    pub new_date: String,
    /// Records migrated (share), overall success rate, then each domain's coverage.
    pub figures: Vec<Change>,
    pub status_changes: Vec<StatusChange>,
    pub scripts_added: Vec<String>,
    pub scripts_removed: Vec<String>,
    pub tables_newly_covered: Vec<String>,
    pub tables_newly_uncovered: Vec<String>,
    pub findings_new: Vec<FindingKey>,
    pub findings_resolved: Vec<FindingKey>,
    pub findings_persisting: Vec<FindingKey>,
}

fn rate(report: &Value, numerator: &str, denominator: &str) -> Option<f64> {
    let d = report[denominator].as_f64()?;
    (d != 0.0).then(|| report[numerator].as_f64().unwrap_or(0.0) / d)
}

fn statuses(scripts: &Value) -> BTreeMap<String, String> {
    // `{"scripts": [...]}` since schema version 1; a bare list in older snapshots.
    scripts
        .get("scripts")
        .unwrap_or(scripts)
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|s| {
                    Some((
                        s["name"].as_str()?.to_string(),
                        s["status"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The legacy tables no script covers: complete from the ledger, which lists every
/// table; from the finding's samples only for a report without one (older snapshots).
fn uncovered_tables(report: &ReportJson) -> BTreeSet<String> {
    if let Some(ledger) = &report.ledger {
        return ledger["tables"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["state"] == "not_covered")
            .filter_map(|t| t["table"].as_str().map(str::to_string))
            .collect();
    }
    report
        .findings
        .iter()
        .filter(|f| f["rule"] == "coverage.table.uncovered")
        .flat_map(|f| f["samples"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s["fields"][0]["value"].as_str().map(str::to_string))
        .collect()
}

/// Findings by (rule, subject, n): the n-th finding of a rule about a subject, so two
/// findings on one subject are never merged into one.
fn finding_keys(findings: &[Value]) -> BTreeMap<(String, String, usize), FindingKey> {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    findings
        .iter()
        .filter_map(|f| {
            let rule = f["rule"].as_str()?.to_string();
            let subject = format!(
                "{}: {}",
                f["subject"]["kind"].as_str().unwrap_or_default(),
                f["subject"]["name"].as_str().unwrap_or_default()
            );
            let n = seen.entry((rule.clone(), subject.clone())).or_default();
            *n += 1;
            Some((
                (rule.clone(), subject.clone(), *n),
                FindingKey {
                    rule,
                    subject,
                    severity: f["severity"].as_str().unwrap_or_default().to_string(),
                    count: f["count"].as_u64().unwrap_or(0),
                },
            ))
        })
        .collect()
}

pub fn diff(old: &ReportJson, new: &ReportJson) -> Diff {
    let (o, n) = (&old.summary["report"], &new.summary["report"]);
    let mut figures = vec![
        change(
            "records migrated",
            // No figure where nothing linked the tables (`Report::unlinked`).
            rate(o, "migrated_records", "total_records")
                .filter(|_| old.summary["unlinked"].is_null()),
            rate(n, "migrated_records", "total_records")
                .filter(|_| new.summary["unlinked"].is_null()),
        ),
        change(
            "overall success rate",
            o["overall_success_rate"].as_f64(),
            n["overall_success_rate"].as_f64(),
        ),
    ];
    for domain in ["clinical", "business", "communications", "technical"] {
        let key = format!("{domain}_coverage");
        figures.push(change(
            &format!("{} coverage", domain.to_ascii_uppercase()),
            o[&key].as_f64(),
            n[&key].as_f64(),
        ));
    }

    let (old_status, new_status) = (statuses(&old.scripts), statuses(&new.scripts));
    let status_changes = new_status
        .iter()
        .filter_map(|(name, status)| {
            let before = old_status.get(name)?;
            (before != status).then(|| StatusChange {
                script: name.clone(),
                old: before.clone(),
                new: status.clone(),
            })
        })
        .collect();
    let scripts_added = new_status
        .keys()
        .filter(|k| !old_status.contains_key(*k))
        .cloned()
        .collect();
    let scripts_removed = old_status
        .keys()
        .filter(|k| !new_status.contains_key(*k))
        .cloned()
        .collect();

    let (was, is) = (uncovered_tables(old), uncovered_tables(new));
    let (before, after) = (finding_keys(&old.findings), finding_keys(&new.findings));
    Diff {
        old_date: o["report_date"].as_str().unwrap_or_default().to_string(),
        new_date: n["report_date"].as_str().unwrap_or_default().to_string(),
        figures,
        status_changes,
        scripts_added,
        scripts_removed,
        tables_newly_covered: was.difference(&is).cloned().collect(),
        tables_newly_uncovered: is.difference(&was).cloned().collect(),
        findings_new: after
            .iter()
            .filter(|(k, _)| !before.contains_key(*k))
            .map(|(_, v)| v.clone())
            .collect(),
        findings_resolved: before
            .iter()
            .filter(|(k, _)| !after.contains_key(*k))
            .map(|(_, v)| v.clone())
            .collect(),
        findings_persisting: after
            .iter()
            .filter(|(k, _)| before.contains_key(*k))
            .map(|(_, v)| v.clone())
            .collect(),
    }
}

fn percent(value: Option<f64>) -> String {
    value
        .map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

fn points(value: Option<f64>) -> String {
    value
        .map(|v| format!("{:+.1} pp", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// The diff as Markdown, for a merge request or an audit note.
pub fn markdown(diff: &Diff) -> String {
    let mut out = format!("## Changes from {} to {}\n\n", diff.old_date, diff.new_date);
    out.push_str("| Figure | Before | After | Change |\n|---|---:|---:|---:|\n");
    for c in &diff.figures {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c.name,
            percent(c.old),
            percent(c.new),
            points(c.delta)
        ));
    }
    let list = |title: &str, items: Vec<String>, out: &mut String| {
        if !items.is_empty() {
            out.push_str(&format!("\n### {title} ({})\n\n", items.len()));
            for item in items {
                out.push_str(&format!(
                    "- {}\n",
                    item.replace('|', "\\|").replace('<', "&lt;")
                ));
            }
        }
    };
    list(
        "Scripts whose status changed",
        diff.status_changes
            .iter()
            .map(|s| format!("`{}`: {} → {}", s.script, s.old, s.new))
            .collect(),
        &mut out,
    );
    list(
        "Scripts added",
        diff.scripts_added
            .iter()
            .map(|s| format!("`{s}`"))
            .collect(),
        &mut out,
    );
    list(
        "Scripts removed",
        diff.scripts_removed
            .iter()
            .map(|s| format!("`{s}`"))
            .collect(),
        &mut out,
    );
    list(
        "Tables newly covered",
        diff.tables_newly_covered
            .iter()
            .map(|s| format!("`{s}`"))
            .collect(),
        &mut out,
    );
    list(
        "Tables newly uncovered",
        diff.tables_newly_uncovered
            .iter()
            .map(|s| format!("`{s}`"))
            .collect(),
        &mut out,
    );
    let finding =
        |f: &FindingKey| format!("`{}` {} ({}, {})", f.rule, f.subject, f.severity, f.count);
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
    out.push_str(&format!(
        "\n{} findings persist.\n",
        diff.findings_persisting.len()
    ));
    out
}
