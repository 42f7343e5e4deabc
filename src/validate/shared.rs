//! Helpers shared by the rule families (coverage, integrity, missing, reconcile, load):
//! findings that list files, and the note on a table an inventory does not list. A helper
//! that one family alone uses stays in that family's module.

use super::{Field, Finding, RuleId, Sample, Subject};

/// A sample that names a file (no row), with `fields`.
pub(super) fn file_sample(file: String, fields: Vec<Field>) -> Sample {
    Sample {
        file,
        row: None,
        fields,
    }
}

/// One finding listing `items`, each a violation, its message given their count; `None` if none.
pub(super) fn list_finding(
    rule_id: RuleId,
    subject: Subject,
    items: Vec<Sample>,
    message: impl FnOnce(u64) -> String,
) -> Option<Finding> {
    if items.is_empty() {
        return None;
    }
    let count = items.len() as u64;
    let mut finding = Finding::new(rule_id, subject, message(count));
    finding.count = count;
    finding.samples = items;
    Some(finding)
}

/// "`InvoiceLine` is not in the source inventory; did you mean `invoiceline`?"
pub(super) fn not_listed(side: &str, table: &str, suggestion: Option<&str>) -> String {
    let hint = suggestion
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    format!("`{table}` is not in the {side} inventory{hint}")
}
