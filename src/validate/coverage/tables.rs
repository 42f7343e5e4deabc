//! Table names against the inventories, the source inventory's presence, and exclusions
//! within their dates.
//!
//! Names match exactly, else ignoring case: a case-only match counts (databases disagree on
//! case) but is a warning, so nobody is surprised. A table that entities, scripts, `source_ids`
//! files or exclusions name but that the inventory does not list is an error finding with
//! the nearest inventory name, never a silent count of 0. Without a source inventory there
//! is no denominator of record, which is a warning of its own.

use std::collections::BTreeMap;

use crate::load::{Inputs, Inventory, Lookup};
use crate::model::Status;
use crate::validate::shared::not_listed;
use crate::validate::{Field, Finding, RuleId, Sample, Subject, ValidateOptions};

crate::validate::registry::declare_rules! {
    COVERAGE_EXCLUSION_EXPIRED = "coverage.exclusion.expired", Coverage, Error,
        "Every exclusion in migcov.yaml is within its expires date",
        "An exclusion declares legacy rows out of scope by decision (reason, approved_by, expires). After its expires \
         date the decision has lapsed: the exclusion no longer applies, its rows count as not migrated again, and \
         this finding says so. Renew the approval (a new expires date) or migrate the rows. Example: \
         `exclusions: [{table: dispatch_fax_archive, reason: retention policy, approved_by: DPO, expires: 2026-12-31}]`.";
    COVERAGE_INVENTORY_MISSING = "coverage.inventory.missing", Coverage, Warning,
        "A source inventory is given, so every legacy table is counted",
        "Without inventory/source.* the report can only measure the entities it was told about: a legacy table nobody \
         declared is invisible. Export one row per legacy table (table, row_count; exact count(*)) so the ledger \
         accounts for every legacy row.";
    COVERAGE_INVENTORY_NEGATIVE_COUNT = "coverage.inventory.negative_count", Coverage, Error,
        "An inventory's row_count is zero or more",
        "A table cannot hold fewer than no rows: a negative row_count is an export's mistake (a signed overflow, a \
         difference written for a count). The ledger counts such a table as 0 rows, so its rows, whatever they are, \
         are neither migrated nor missing in any figure. Export the table's exact count(*). Example: \
         `dispatch_office,-3` in inventory/source.csv.";
    COVERAGE_INVENTORY_REPEATED_TABLE = "coverage.inventory.repeated_table", Coverage, Error,
        "An inventory lists each table on one row",
        "A table listed on two rows of an inventory (the same file exported as CSV and as Parquet, two files of one \
         export, or one row per shard) is counted as the sum of its rows, which doubles it when the rows are one \
         export twice. Which is meant cannot be told from the rows: list each table once, with its exact count(*). \
         Example: `dispatch_office,400` in inventory/source.csv and again in inventory/source.parquet counts 800 \
         rows.";
    COVERAGE_TABLE_NOT_IN_INVENTORY = "coverage.table.not_in_inventory", Coverage, Error,
        "Every table named by an entity, script, source_ids file or exclusion is in its inventory",
        "A legacy_table (of an entity or a mapping), source_table, target_table, source_ids file or exclusion that names a table the inventory does not \
         list cannot be counted: it is reported here, with the nearest inventory name, instead of as 0 rows. Usually a \
         spelling or schema difference between systems (`invoice_line` vs `invoiceline`): fix the name, or export the \
         table's row count.";
    INTEGRITY_TABLE_CASE_MISMATCH = "integrity.table.case_mismatch", Integrity, Warning,
        "Table names match their inventory with the same case",
        "Table names are matched exactly, else ignoring case and surrounding spaces (SQLite keeps `InvoiceLine`, pgloader \
         writes `invoiceline`). A case-only match is counted as that table and reported here, so a rename is never \
         silent. Spell the name as the inventory does to clear it.";
}

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

/// `owned`: whose mapping rows are whose (`measure::missing::Ownership`), with the table
/// names the mappings' `legacy_table` holds.
pub fn check(
    inputs: &Inputs,
    owned: &crate::measure::missing::Ownership,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) {
    let named = tables_named(inputs, owned);
    names_against_inventories(inputs, named, findings);
    if inputs.source_tables.is_none() {
        // An exclusion takes rows out of the ledger, which needs the inventory: the
        // headline (the declared figure) counts them, though missing data leaves out the
        // ids they list. Said, rather than let the exclusions page read as if the
        // headline left them out.
        let unapplied = match inputs.exclusions.len() {
            0 => String::new(),
            1 => "; the exclusion in migcov.yaml leaves its ids out of missing data, not out of the headline".to_string(),
            n => format!("; the {n} exclusions in migcov.yaml leave their ids out of missing data, not out of the headline"),
        };
        findings.push(Finding::new(
            RuleId::CoverageInventoryMissing,
            Subject::new("file", "inventory/source"),
            format!(
                "no source inventory: coverage is measured over the declared entities only, so \
                 tables nobody declared cannot be seen{unapplied}"
            ),
        ));
    }
    expired_exclusions(inputs, options, findings);
    repeated_tables(inputs, findings);
    negative_counts(inputs, findings);
}

/// Inventory rows of `table` as a finding's samples: each row's file, row and row_count.
fn inventory_rows(table: &str, rows: &[(String, u64, i64)]) -> Vec<Sample> {
    rows.iter()
        .map(|(file, row, count)| Sample {
            file: file.clone(),
            row: Some(*row),
            fields: vec![
                Field {
                    name: "table".into(),
                    value: table.to_string(),
                },
                Field {
                    name: "row_count".into(),
                    value: count.to_string(),
                },
            ],
        })
        .collect()
}

/// A finding for each inventory row whose row_count is below 0 (found by an independent
/// check: the ledger counted the table as 0 rows with no word).
fn negative_counts(inputs: &Inputs, findings: &mut Vec<Finding>) {
    let sides = [
        ("source", &inputs.source_tables),
        ("target", &inputs.target_tables),
    ];
    for (side, inventory) in sides {
        let Some(inventory) = inventory else { continue };
        let repeated: BTreeMap<&str, &[(String, u64, i64)]> = inventory.repeated().collect();
        for table in inventory.tables() {
            let rows: Vec<(String, u64, i64)> = match repeated.get(table.name.as_str()) {
                Some(rows) => rows.iter().filter(|r| r.2 < 0).cloned().collect(),
                None if table.row_count < 0 => {
                    vec![(table.file.clone(), table.row, table.row_count)]
                }
                None => Vec::new(),
            };
            if rows.is_empty() {
                continue;
            }
            // The values sorted, so the message does not change with the rows' order.
            let mut values: Vec<i64> = rows.iter().map(|r| r.2).collect();
            values.sort_unstable();
            let values = values
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let counted = match side {
                "source" => format!(", and the ledger counts {}", table.row_count.max(0)),
                _ => String::new(),
            };
            let mut finding = Finding::new(
                RuleId::CoverageInventoryNegativeCount,
                Subject::new("table", &table.name),
                format!(
                    "the {side} inventory gives `{}` a negative row_count ({values}): a table \
                     holds no fewer than 0 rows{counted}",
                    table.name,
                ),
            );
            finding.count = rows.len() as u64;
            finding.samples = inventory_rows(&table.name, &rows);
            findings.push(finding);
        }
    }
}

/// A finding for each table an inventory lists on more than one row, with each row as a
/// sample (found by an independent check: one inventory as CSV and as Parquet doubled a
/// table's rows with no word).
fn repeated_tables(inputs: &Inputs, findings: &mut Vec<Finding>) {
    let sides = [
        ("source", &inputs.source_tables),
        ("target", &inputs.target_tables),
    ];
    for (side, inventory) in sides {
        let Some(inventory) = inventory else { continue };
        for (table, rows) in inventory.repeated() {
            // The rows the ledger counts: the table's summed row_count, a negative sum as 0
            // (each row clamped first gave another figure than the ledger's).
            let sum = inventory.find(table).map_or(0, |t| t.row_count.max(0));
            let mut finding = Finding::new(
                RuleId::CoverageInventoryRepeatedTable,
                Subject::new("table", table),
                format!(
                    "the {side} inventory lists `{table}` on {} rows: its rows are counted as their sum, {sum}",
                    rows.len()
                ),
            );
            finding.count = rows.len() as u64;
            finding.samples = inventory_rows(table, rows);
            findings.push(finding);
        }
    }
}

/// Every table that entities, scripts, the mappings, `source_ids` files and exclusions name,
/// by (side, table as written), with who named it.
fn tables_named(
    inputs: &Inputs,
    owned: &crate::measure::missing::Ownership,
) -> BTreeMap<(&'static str, String), Vec<Sample>> {
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
    // The tables the mappings' `legacy_table` names (a misspelt one drops its rows from
    // every table's figures, so it must not be silent).
    for table in owned.names() {
        name(
            "source",
            table,
            named_by("mappings'", "legacy_table", "mappings".into(), None),
        );
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
    named
}

/// `integrity.table.case_mismatch` and `coverage.table.not_in_inventory`: each named table
/// looked up in its side's inventory, when that inventory is given.
fn names_against_inventories(
    inputs: &Inputs,
    named: BTreeMap<(&'static str, String), Vec<Sample>>,
    findings: &mut Vec<Finding>,
) {
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
}

/// `coverage.exclusion.expired`: exclusions past their expires date on the report date.
fn expired_exclusions(inputs: &Inputs, options: &ValidateOptions, findings: &mut Vec<Finding>) {
    if let Some(date) = options.report_date {
        for x in &inputs.exclusions {
            let d = &x.declaration;
            if !x.in_force(Some(date)) {
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
