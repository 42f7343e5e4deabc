//! `reconcile.content.*`: whether the rows that arrived arrived intact — the values of each
//! entity's declared columns, compared through the mappings by `measure::content`.

use super::registry::declare_rules;
use super::{Field, Finding, RuleId, Sample, Subject};
use crate::measure::content::{ContentTable, NotChecked};
use crate::measure::Measures;

declare_rules! {
    RECONCILE_CONTENT_VALUE_MISMATCH = "reconcile.content.value_mismatch", Reconcile, Error,
        "a compared column's values agree, legacy row against target row",
        "Each entity with a `content:` declaration in migcov.yaml has its legacy rows (rows/legacy/<legacy_table>.*) \
         joined through its mappings (legacy key to modern_id) to its target rows (rows/target/<target_table>.*), and \
         each declared column pair compared after its transform (the value the migration is meant to write, a SQL \
         expression such as `lower(email)`) and its normalisations (trim, case, unicode, null_equals_empty, scale, \
         tolerance, time_zone). One finding per column whose values differ in some rows, with the number of rows and samples of \
         both values. A row that a value truncated, rounded, shifted or mis-encoded still counts as migrated; this is \
         what says it did not arrive intact. Fix the migration, or declare the difference as a normalisation when it is \
         on purpose. Example: `name` legacy `Zürich Nord`, target `Zürich`: 1 row.";
    RECONCILE_CONTENT_TARGET_MISSING = "reconcile.content.target_missing", Reconcile, Error,
        "every mapped legacy row's target row is in the target rows",
        "A mapping says legacy row 7 became modern_id X, but the target rows file of the entity has no row whose key \
         is X: the row was mapped but never written, or written under another id, or the target export is stale. \
         Export both sides from the same snapshot. Example: mapping 10 → …0010 and no such target row: 1 row.";
    RECONCILE_CONTENT_ROWS_MISSING = "reconcile.content.rows_missing", Reconcile, Warning,
        "every legacy id the entity's mappings name has a row in the legacy rows files",
        "The intact share is of the rows compared. A legacy id that the entity's mappings name but that has no row in \
         rows/legacy/<legacy_table>.* was never compared: either the legacy table does not have it (an orphan \
         mapping, which missing.mapping.orphan names too) or the legacy export is partial (a sample, a filter, a stale \
         file), and 100% intact would speak for the rows exported only. Export every row of the table, or read the \
         share as that of the rows exported. Example: 10 offices mapped, the legacy rows file holds office 1 only: 9 ids.";
    RECONCILE_CONTENT_NOT_CHECKED = "reconcile.content.not_checked", Reconcile, Warning,
        "every content declaration can be checked",
        "A `content:` declaration whose values cannot be compared: its entity is not in entities.yaml, has no \
         entity_type (so no mapping is its own), one of its rows files is missing or lacks a declared column, or a \
         transform is no SQL expression migcov can evaluate, or a time_zone no IANA zone. Its rows are shown as values \
         not checked, never as intact. Example: rows/target/offices.csv absent: 1 finding.";
}

pub fn check(measures: &Measures, findings: &mut Vec<Finding>) {
    for table in &measures.content {
        value_mismatches(table, findings);
        target_missing(table, findings);
        rows_missing(table, findings);
    }
    for entity in &measures.content_not_checked {
        not_checked(entity, findings);
    }
}

fn subject(table: &ContentTable) -> Subject {
    Subject::new("entity", &table.entity).with_id(table.entity_id)
}

fn field(name: &str, value: impl Into<String>) -> Field {
    Field {
        name: name.into(),
        value: value.into(),
    }
}

/// A value as the sample shows it: `NULL` for a missing one, quoted otherwise, so an empty
/// text and trailing spaces can be seen.
fn shown(value: &Option<String>) -> String {
    match value {
        None => "NULL".into(),
        Some(text) => format!("{text:?}"),
    }
}

fn value_mismatches(table: &ContentTable, findings: &mut Vec<Finding>) {
    for column in table.columns.iter().filter(|c| c.differing > 0) {
        let mut finding = Finding::new(
            RuleId::ReconcileContentValueMismatch,
            subject(table),
            format!(
                "{}: {} of {} compared rows differ in `{}` → `{}`",
                table.entity, column.differing, table.compared, column.legacy, column.target
            ),
        );
        finding.count = column.differing;
        finding.part = Some(format!("{} → {}", column.legacy, column.target));
        for s in &column.samples {
            let mut fields = vec![
                field("legacy key", s.legacy_key.clone()),
                field("target key", s.target_key.clone()),
                field(&format!("legacy {}", column.legacy), shown(&s.legacy)),
            ];
            if let Some(transform) = &column.transform {
                fields.push(field(
                    &format!("expected ({transform})"),
                    shown(&s.expected),
                ));
            }
            fields.push(field(
                &format!("target {}", column.target),
                shown(&s.target),
            ));
            finding.samples.push(Sample {
                file: table.legacy_file.clone(),
                row: None,
                fields,
            });
        }
        findings.push(finding);
    }
}

fn target_missing(table: &ContentTable, findings: &mut Vec<Finding>) {
    if table.target_missing == 0 {
        return;
    }
    let mut finding = Finding::new(
        RuleId::ReconcileContentTargetMissing,
        subject(table),
        format!(
            "{}: {} mapped legacy rows have no row in rows/target/{}",
            table.entity, table.target_missing, table.target_table
        ),
    );
    finding.count = table.target_missing;
    for (key, modern) in &table.missing_samples {
        finding.samples.push(Sample {
            file: table.legacy_file.clone(),
            row: None,
            fields: vec![
                field("legacy key", key.clone()),
                field("modern_id", modern.clone()),
            ],
        });
    }
    findings.push(finding);
}

fn rows_missing(table: &ContentTable, findings: &mut Vec<Finding>) {
    let missing = table.mapping_ids.saturating_sub(table.mapped);
    if missing == 0 {
        return;
    }
    let mut finding = Finding::new(
        RuleId::ReconcileContentRowsMissing,
        subject(table),
        format!(
            "{}: {missing} of the {} legacy ids its mappings name have no row in rows/legacy/{} (not in the legacy table, or not exported): their values were not compared",
            table.entity, table.mapping_ids, table.legacy_table
        ),
    );
    finding.count = missing;
    findings.push(finding);
}

fn not_checked(entity: &NotChecked, findings: &mut Vec<Finding>) {
    findings.push(Finding::new(
        RuleId::ReconcileContentNotChecked,
        Subject::new("entity", &entity.entity),
        format!("{}: values not checked: {}", entity.entity, entity.reason),
    ));
}
