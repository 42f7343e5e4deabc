//! The coverage family: every legacy table covered, every script on disk accounted for and
//! every manifest's script on disk, domain coverages and the coverage report's own bounds,
//! and the decisions of `migcov.yaml` (exclusions and waivers) within their dates. Table
//! names against the inventories are in [`tables`].

pub(super) mod tables;

use crate::model::noun;
use std::collections::BTreeSet;

use polars::prelude::*;

use super::shared::{file_sample, list_finding};
use super::{rows_finding, Field, Finding, RuleId, Sample, Subject, ValidateOptions};
use crate::load::{Inputs, ScriptsOnDisk};
use crate::measure::Measures;
use crate::model::config::{expired, Waiver};
use crate::model::{Domain, Status};

crate::validate::registry::declare_rules! {
    COVERAGE_DOMAIN_THRESHOLD = "coverage.domain.threshold", Coverage, Error,
        "Every domain reaches the minimum coverage (gate.min_domain_coverage or --min-domain-coverage)",
        "Checked only when a minimum is set, for every domain (one a script or table names but domains.yaml \
         lacks too). A domain below it is not ready for cut-over: migrate the missing records or lower the bar \
         deliberately in migcov.yaml. A domain with nothing in scope (no tables, or every table excluded) is \
         n/a, as the pages show it, and is not judged. The threshold fails the gate whatever this rule's severity.";
    COVERAGE_REPORT_BOUNDS = "coverage.report.bounds", Coverage, Error,
        "The coverage report is consistent: coverages in [0, 1], completed <= total scripts, migrated <= total records",
        "The seed's CoverageReport rules. A coverage above 1 or more migrated than total records means an entity \
         claims more migrated records than it has: fix the entity's counts.";
    COVERAGE_SCRIPT_NO_METRICS = "coverage.script.no_metrics", Coverage, Warning,
        "Every script that has started has metrics",
        "A script whose status is anything but NOT_STARTED must have rows in metrics/: without them its records \
         are not accounted for. Export its metrics, or set its status to NOT_STARTED.";
    COVERAGE_SCRIPTS_MISSING_ON_DISK = "coverage.scripts.missing_on_disk", Coverage, Warning,
        "Every script manifest has its .ts file in the scripts folder",
        "Checked when a scripts folder is given (--scripts-dir or scripts_dir). A manifest whose script is not on \
         disk describes a migration nobody can run again: add the file or remove the manifest.";
    COVERAGE_SCRIPTS_UNACCOUNTED = "coverage.scripts.unaccounted", Coverage, Error,
        "Every .ts script in the scripts folder has a manifest",
        "Checked when a scripts folder is given. A script with no manifest is a migration the report cannot \
         account for: write its manifest under scripts/, or exclude the file in migcov.yaml if it is not a migration.";
    COVERAGE_TABLE_UNCOVERED = "coverage.table.uncovered", Coverage, Error,
        "Every table in the source inventory is migrated by a script or owned by an entity",
        "A legacy table that is the source_table of no script and the legacy_table of no entity is data nobody \
         migrates. The finding lists each such table with its row count.";
    COVERAGE_WAIVER_EXPIRED = "coverage.waiver.expired", Coverage, Error,
        "Every waiver in migcov.yaml is within its expires date",
        "A waiver accepts a rule's findings about a subject (rule, subject, reason, approved_by, expires). After its expires \
         date the findings count again and this finding says so. Example: `waivers: [{rule: \
         integrity.metrics.throughput_mismatch, subject: metrics, reason: legacy runner rounds, approved_by: QA lead, \
         expires: 2027-01-31}]`.";
    INTEGRITY_DOMAIN_COVERAGE_RANGE = "integrity.domain.coverage_range", Integrity, Error,
        "Each domain's coverage_percentage is between 0.0 and 1.0",
        "coverage_percentage is the domain's migrated records over its total records. Above 1 means some entity \
         reports more migrated than total records.";
}

/// Runs the family's rules, one phase each, adding their findings in this order (the final
/// sort by rule and subject keeps it among equals).
pub fn check(
    inputs: &Inputs,
    measures: &Measures,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    if let Some(inventory) = &inputs.source_inventory {
        uncovered_tables(inputs, measures, inventory, options, findings)?;
    }
    scripts_without_metrics(inputs, measures, findings);
    domain_thresholds(inputs, measures, options, findings);
    if let Some(disk) = &inputs.scripts_on_disk {
        scripts_on_disk(inputs, disk, findings);
    }
    domain_coverage_range(measures, findings);
    report_bounds(inputs, measures, findings);
    Ok(())
}

/// `coverage.table.uncovered`: the source inventory's tables that no script reads and no
/// entity owns.
fn uncovered_tables(
    inputs: &Inputs,
    measures: &Measures,
    inventory: &DataFrame,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    // The ledger's uncovered tables and rows, where there is one: the figures the index
    // shows. Summed here from the inventory, a negative row_count lowered the rows (7 for
    // the ledger's 10) and a table whose every id is excluded by an `ids:` file was still
    // uncovered (found by an independent check).
    // A table with no rows nobody covers is still reported (with 0 rows, which the
    // ledger's uncovered figures leave out), unless excluded whole: found by a review, it
    // passed the gate once the figures came from the ledger.
    // The ledger exists wherever a source inventory does (this rule's only input).
    let Some(ledger) = &measures.ledger else {
        return Ok(());
    };
    let whole: BTreeSet<String> = inputs
        .exclusions
        .iter()
        .filter(|x| x.ids.is_none() && x.in_force(options.report_date))
        .filter_map(|x| {
            inputs
                .source_tables
                .as_ref()
                .and_then(|t| t.find(&x.declaration.table))
                .map(|t| t.name.clone())
        })
        .collect();
    let lines: Vec<&crate::measure::ledger::LedgerRow> = ledger
        .rows
        .iter()
        .filter(|r| !r.covered && !whole.contains(&r.table))
        .filter(|r| r.excluded.value < r.legacy_rows || r.legacy_rows <= 0)
        .collect();
    let tables = lines.len() as u64;
    let rows: i64 = lines
        .iter()
        .map(|r| (r.legacy_rows - r.excluded.value).max(0))
        .sum();
    let empty = lines.iter().filter(|r| r.legacy_rows <= 0).count() as u64;
    let of_them = match empty {
        0 => String::new(),
        n => format!("; {n} of them with none"),
    };
    let names = Series::new(
        "uncovered".into(),
        lines.iter().map(|r| r.table.clone()).collect::<Vec<_>>(),
    );
    let uncovered = inventory.clone().lazy().filter(
        col("table")
            .str()
            .strip_chars(lit(NULL))
            .is_in(lit(names).implode(false), false),
    );
    let finding = rows_finding(
        RuleId::CoverageTableUncovered,
        Subject::new("table", "source inventory"),
        uncovered,
        &["table", "row_count"],
        &["table"],
        options,
        |_| {
            format!(
                    "{tables} legacy {} ({rows} {}{of_them}) {} migrated by no script and {} to no entity",
                    noun(tables, "table", "tables"),
                    noun(rows as u64, "row", "rows"),
                    noun(tables, "is", "are"),
                    noun(tables, "belongs", "belong"),
                )
        },
    )?;
    findings.extend(finding);
    Ok(())
}

/// `coverage.script.no_metrics`: scripts that have started but have no metrics rows.
fn scripts_without_metrics(inputs: &Inputs, measures: &Measures, findings: &mut Vec<Finding>) {
    for script in &inputs.scripts {
        let executions = measures
            .scripts
            .get(&script.id)
            .map(|t| t.executions)
            .unwrap_or(0);
        if executions == 0 && script.status != Status::NotStarted {
            findings.push(Finding::new(
                RuleId::CoverageScriptNoMetrics,
                Subject::new("script", &script.name).with_id(script.id),
                format!("status {} but no metrics rows", script.status),
            ));
        }
    }
}

/// Each domain's coverage, as the pages show it: with a source inventory, its tables in
/// the ledger; else its records. Every domain of `domains.yaml` and every domain a script
/// or table names (a domain missing from `domains.yaml` is still judged); `None` where
/// nothing of it is in scope (n/a: an excluded table, a domain without tables).
pub fn domain_coverages(measures: &Measures) -> Vec<(Domain, Option<f64>)> {
    let mut domains: BTreeSet<Domain> = measures.domains.keys().copied().collect();
    if let Some(ledger) = &measures.ledger {
        domains.extend(ledger.by_domain.keys().flatten().copied());
    }
    domains
        .into_iter()
        .map(|domain| {
            let coverage = match &measures.ledger {
                Some(l) => l.by_domain.get(&Some(domain)).and_then(|t| t.coverage),
                None => measures.domains.get(&domain).and_then(|t| t.coverage),
            };
            (domain, coverage)
        })
        .collect()
}

/// `coverage.domain.threshold`: domains below the minimum coverage, when one is set; a
/// domain with nothing in scope (n/a) is not judged.
fn domain_thresholds(
    inputs: &Inputs,
    measures: &Measures,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) {
    let minimum = options.min_domain_coverage.as_ref().or(inputs
        .config
        .gate
        .min_domain_coverage
        .as_ref());
    if let Some(minimum) = minimum {
        for (domain, coverage, required) in
            super::gate::domains_below(&domain_coverages(measures), minimum)
        {
            findings.push(Finding::new(
                RuleId::CoverageDomainThreshold,
                Subject::new("domain", domain.as_str()),
                format!("coverage {coverage} is below the required {required}"),
            ));
        }
    }
}

/// `coverage.scripts.unaccounted` and `coverage.scripts.missing_on_disk`: scripts on disk
/// without a manifest, and manifests without their script on disk.
fn scripts_on_disk(inputs: &Inputs, disk: &ScriptsOnDisk, findings: &mut Vec<Finding>) {
    let manifest_names: BTreeSet<&str> = inputs.scripts.iter().map(|s| s.name.as_str()).collect();
    let disk_names: BTreeSet<String> = disk
        .files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let unaccounted: Vec<Sample> = disk
        .files
        .iter()
        .filter(|f| {
            f.file_name()
                .map(|n| !manifest_names.contains(n.to_string_lossy().as_ref()))
                .unwrap_or(false)
        })
        .map(|f| file_sample(format!("{}/{}", disk.root_name, f.display()), Vec::new()))
        .collect();
    findings.extend(list_finding(
        RuleId::CoverageScriptsUnaccounted,
        Subject::new("file", &disk.root_name),
        unaccounted,
        |n| {
            format!(
                "{n} {} on disk {} no manifest",
                noun(n, "script", "scripts"),
                noun(n, "has", "have")
            )
        },
    ));
    let missing: Vec<Sample> = inputs
        .scripts
        .iter()
        .filter(|s| !disk_names.contains(&s.name))
        .map(|s| {
            file_sample(
                s.origin.file.display().to_string(),
                vec![Field {
                    name: "name".into(),
                    value: s.name.clone(),
                }],
            )
        })
        .collect();
    findings.extend(list_finding(
        RuleId::CoverageScriptsMissingOnDisk,
        Subject::new("file", &disk.root_name),
        missing,
        |n| format!("{n} script manifests have no file in {}", disk.root_name),
    ));
}

/// `integrity.domain.coverage_range`: domain coverages outside [0, 1].
fn domain_coverage_range(measures: &Measures, findings: &mut Vec<Finding>) {
    for (domain, totals) in &measures.domains {
        if let Some(coverage) = totals.coverage.filter(|c| !(0.0..=1.0).contains(c)) {
            findings.push(Finding::new(
                RuleId::IntegrityDomainCoverageRange,
                Subject::new("domain", domain.as_str()),
                format!(
                    "coverage {coverage:.4} ({} migrated of {} records) is outside [0, 1]",
                    totals.migrated_records, totals.total_records
                ),
            ));
        }
    }
}

/// `coverage.report.bounds`: the coverage report's figures within their bounds, every
/// problem in one finding.
fn report_bounds(inputs: &Inputs, measures: &Measures, findings: &mut Vec<Finding>) {
    let total_scripts = inputs.scripts.len();
    let completed = inputs
        .scripts
        .iter()
        .filter(|s| s.status == Status::Complete)
        .count();
    let total_records: i64 = measures.domains.values().map(|d| d.total_records).sum();
    let migrated: i64 = measures.domains.values().map(|d| d.migrated_records).sum();
    let mut problems = Vec::new();
    if completed > total_scripts {
        problems.push(format!(
            "completed_scripts {completed} > total_scripts {total_scripts}"
        ));
    }
    if migrated > total_records {
        problems.push(format!(
            "migrated_records {migrated} > total_records {total_records}"
        ));
    }
    if let Some(rate) = measures
        .all_scripts
        .success_rate
        .filter(|r| !(0.0..=1.0).contains(r))
    {
        problems.push(format!("overall_success_rate {rate:.4} is outside [0, 1]"));
    }
    for (domain, totals) in &measures.domains {
        if let Some(c) = totals.coverage.filter(|c| !(0.0..=1.0).contains(c)) {
            problems.push(format!(
                "{}_coverage {c:.4} is outside [0, 1]",
                domain.slug()
            ));
        }
    }
    if !problems.is_empty() {
        let mut finding = Finding::new(
            RuleId::CoverageReportBounds,
            Subject::new("report", "coverage summary"),
            problems.join("; "),
        );
        finding.count = problems.len() as u64;
        findings.push(finding);
    }
}

/// Marks the findings that a waiver in force accepts, and reports lapsed waivers (which
/// accept nothing).
pub(super) fn apply_waivers(
    waivers: &[Waiver],
    date: Option<chrono::NaiveDate>,
    findings: &mut Vec<Finding>,
) {
    let mut lapsed = Vec::new();
    for waiver in waivers {
        if date.is_some_and(|d| expired(waiver.expires, d)) {
            lapsed.push(Finding::new(
                RuleId::CoverageWaiverExpired,
                Subject::new("rule", &waiver.rule),
                format!(
                    "the waiver of {} for {} approved by {} expired on {} (reason: {}); its findings count again",
                    waiver.rule,
                    waiver.subject,
                    waiver.approved_by,
                    waiver.expires.map(|e| e.to_string()).unwrap_or_default(),
                    waiver.reason
                ),
            ));
            continue;
        }
        for finding in findings.iter_mut().filter(|f| {
            f.waiver.is_none()
                && f.rule.as_str() == waiver.rule
                && (waiver.subject == "*" || waiver.subject == f.subject.name)
        }) {
            finding.waiver = Some(waiver.clone());
        }
    }
    findings.extend(lapsed);
}
