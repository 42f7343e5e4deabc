//! Table names against the inventories, and the ledger's own checks.
//!
//! Names match exactly, else ignoring case: a case-only match counts (databases disagree on
//! case) but is a warning, so nobody is surprised. A table that entities, scripts, `source_ids`
//! files or exclusions name but that the inventory does not list is an error finding with
//! the nearest inventory name, never a silent count of 0. Without a source inventory there
//! is no denominator of record, which is a warning of its own.

use std::collections::BTreeMap;

use super::reconcile::not_listed;
use super::{Field, Finding, RuleId, Sample, Subject, ValidateOptions};
use crate::load::{Inputs, Inventory, Lookup};
use crate::measure::Measures;
use crate::model::config::expired;
use crate::model::Status;

/// Who named a table: a sample row of the finding.
fn named_by(kind: &str, name: &str, file: String, row: Option<u64>) -> Sample {
    Sample {
        file,
        row,
        fields: vec![Field {
            name: "named by".into(),
            value: format!("{kind} {name}"),
        }],
    }
}

pub fn check(
    inputs: &Inputs,
    measures: &Measures,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) {
    // (side, table as written) -> who named it.
    let mut named: BTreeMap<(&'static str, String), Vec<Sample>> = BTreeMap::new();
    let mut name = |side: &'static str, table: &str, sample: Sample| {
        named
            .entry((side, table.to_string()))
            .or_default()
            .push(sample);
    };
    for e in &inputs.entities {
        let (file, row) = (e.origin.file.display().to_string(), e.origin.row);
        name(
            "source",
            &e.legacy_table,
            named_by("entity", &e.name, file.clone(), row),
        );
        name(
            "target",
            &e.target_table,
            named_by("entity", &e.name, file, row),
        );
    }
    for s in &inputs.scripts {
        let file = s.origin.file.display().to_string();
        name(
            "source",
            &s.source_table,
            named_by("script", &s.name, file.clone(), None),
        );
        // A script that has not started may not have created its target table yet.
        if s.status != Status::NotStarted {
            name(
                "target",
                &s.target_table,
                named_by("script", &s.name, file, None),
            );
        }
    }
    for table in inputs.source_ids.keys() {
        name(
            "source",
            table,
            named_by(
                "file",
                &format!("source_ids/{table}"),
                format!("source_ids/{table}"),
                None,
            ),
        );
    }
    for x in &inputs.exclusions {
        name(
            "source",
            &x.declaration.table,
            named_by(
                "exclusion of",
                &x.declaration.table,
                "migcov.yaml".into(),
                None,
            ),
        );
    }
    for ((side, table), samples) in named {
        let inventory: Option<&Inventory> = match side {
            "source" => inputs.source_tables.as_ref(),
            _ => inputs.target_tables.as_ref(),
        };
        let Some(inventory) = inventory else {
            continue;
        };
        let subject = Subject::new("table", &table);
        let count = samples.len() as u64;
        let finding = match inventory.lookup(&table) {
            Lookup::Exact(_) => continue,
            Lookup::CaseOnly(found) => Finding::new(
                RuleId::IntegrityTableCaseMismatch,
                subject,
                format!(
                    "`{table}` matches `{}` in the {side} inventory only when case is ignored; \
                     it is counted as that table",
                    found.name
                ),
            ),
            Lookup::Missing(suggestion) => Finding::new(
                RuleId::CoverageTableNotInInventory,
                subject,
                not_listed(side, &table, suggestion),
            ),
        };
        findings.push(Finding {
            count,
            samples,
            ..finding
        });
    }

    if inputs.source_tables.is_none() {
        findings.push(Finding::new(
            RuleId::CoverageInventoryMissing,
            Subject::new("file", "inventory/source"),
            "no source inventory: coverage is measured over the declared entities only, so \
             tables nobody declared cannot be seen",
        ));
    }
    if let Some(ledger) = &measures.ledger {
        for row in ledger.rows.iter().filter(|r| r.difference < 0) {
            let mut finding = Finding::new(
                RuleId::ReconcileLedgerOverCount,
                Subject::new("table", &row.table),
                format!(
                    "{} legacy rows, but migrated {} + failed {} + excluded {} = {}: {} more than the table holds",
                    row.legacy_rows,
                    row.migrated.value,
                    row.failed.value,
                    row.excluded.value,
                    row.migrated.value + row.failed.value + row.excluded.value,
                    -row.difference
                ),
            );
            finding.count = row.difference.unsigned_abs();
            findings.push(finding);
        }
    }
    if let Some(date) = options.report_date {
        for x in &inputs.exclusions {
            let d = &x.declaration;
            if expired(d.expires, date) {
                findings.push(Finding::new(
                    RuleId::CoverageExclusionExpired,
                    Subject::new("table", &d.table),
                    format!(
                        "the exclusion approved by {} expired on {} (reason: {}); its rows count as not migrated",
                        d.approved_by,
                        d.expires.map(|e| e.to_string()).unwrap_or_default(),
                        d.reason
                    ),
                ));
            }
        }
    }
}
