//! The rule table: every check migcov runs, with a stable id, default severity and docs.
//!
//! Each rule's metadata is declared next to its check, in the module of its family
//! (`coverage`, `integrity`, `missing`, `reconcile`, `load`), with [`declare_rules!`]; the
//! [`registry!`] below lists them once, giving the [`RuleId`] enum (a misspelt id does not
//! compile) and the [`RULES`] slice. Ids are `family.subject.check` and never reused; a
//! retired rule stays listed, marked removed. The slice is sorted by id (a test checks it)
//! and feeds `migcov rules`, the rule table in docs/rules.md, the validation pages and JUnit.

use serde::{Deserialize, Serialize};

use crate::model::Severity;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Coverage,
    Integrity,
    Missing,
    Reconcile,
    Load,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Coverage => "coverage",
            Family::Integrity => "integrity",
            Family::Missing => "missing",
            Family::Reconcile => "reconcile",
            Family::Load => "load",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rule {
    pub id: &'static str,
    /// The same rule as a value code can name.
    #[serde(skip)]
    pub code: RuleId,
    pub family: Family,
    pub severity: Severity,
    pub summary: &'static str,
    /// What is checked, why it matters and how to fix it.
    pub docs: &'static str,
    /// The migcov version the rule appeared in.
    pub since: &'static str,
}

/// One rule's metadata, declared next to its check with [`declare_rules!`] and gathered
/// into [`RULES`] by the registry.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub id: &'static str,
    pub family: Family,
    pub severity: Severity,
    pub summary: &'static str,
    pub docs: &'static str,
}

/// Declares rules in the module that checks them: `NAME = "family.subject.check", Family,
/// Severity, "summary", "docs";` gives a `RuleInfo` constant the registry lists.
macro_rules! declare_rules {
    ($($name:ident = $id:literal, $family:ident, $severity:ident, $summary:literal, $docs:literal;)+) => {
        $(
            pub(crate) const $name: $crate::validate::registry::RuleInfo =
                $crate::validate::registry::RuleInfo {
                    id: $id,
                    family: $crate::validate::registry::Family::$family,
                    severity: $crate::model::Severity::$severity,
                    summary: $summary,
                    docs: $docs,
                };
        )+
    };
}
pub(crate) use declare_rules;

/// Lists every rule once, sorted by id: the [`RuleId`] enum (so a misspelt id does not
/// compile) and the [`RULES`] table in the same order, each entry from the `RuleInfo` its
/// family module declares.
macro_rules! registry {
    ($($variant:ident = $info:expr;)+) => {
        /// A rule, as code refers to it: `RuleId::MissingMappingUnmapped`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($variant),+
        }

        pub static RULES: &[Rule] = &[
            $(Rule {
                id: $info.id,
                code: RuleId::$variant,
                family: $info.family,
                severity: $info.severity,
                summary: $info.summary,
                docs: $info.docs,
                since: "0.1.0",
            }),+
        ];
    };
}

impl RuleId {
    /// The rule's metadata.
    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }

    /// The stable id, e.g. `missing.mapping.unmapped`.
    pub fn as_str(self) -> &'static str {
        self.rule().id
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    /// A rule id read back from a report: one of the registry's, or an error naming it.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        find(&id)
            .map(|rule| rule.code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rule {id:?}")))
    }
}

impl schemars::JsonSchema for RuleId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleId".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": RULES.iter().map(|r| r.id).collect::<Vec<_>>(),
        })
    }
}

registry! {
    CoverageDomainThreshold = super::coverage::COVERAGE_DOMAIN_THRESHOLD;
    CoverageExclusionExpired = super::coverage::tables::COVERAGE_EXCLUSION_EXPIRED;
    CoverageInventoryMissing = super::coverage::tables::COVERAGE_INVENTORY_MISSING;
    CoverageInventoryNegativeCount = super::coverage::tables::COVERAGE_INVENTORY_NEGATIVE_COUNT;
    CoverageInventoryRepeatedTable = super::coverage::tables::COVERAGE_INVENTORY_REPEATED_TABLE;
    CoverageReportBounds = super::coverage::COVERAGE_REPORT_BOUNDS;
    CoverageScriptNoMetrics = super::coverage::COVERAGE_SCRIPT_NO_METRICS;
    CoverageScriptsMissingOnDisk = super::coverage::COVERAGE_SCRIPTS_MISSING_ON_DISK;
    CoverageScriptsUnaccounted = super::coverage::COVERAGE_SCRIPTS_UNACCOUNTED;
    CoverageTableNotInInventory = super::coverage::tables::COVERAGE_TABLE_NOT_IN_INVENTORY;
    CoverageTableUncovered = super::coverage::COVERAGE_TABLE_UNCOVERED;
    CoverageTableUnwrittenTarget = super::integrity::seed::COVERAGE_TABLE_UNWRITTEN_TARGET;
    CoverageWaiverExpired = super::coverage::COVERAGE_WAIVER_EXPIRED;
    IntegrityDomainCoverageClaim = super::integrity::seed::INTEGRITY_DOMAIN_COVERAGE_CLAIM;
    IntegrityDomainCoverageRange = super::coverage::INTEGRITY_DOMAIN_COVERAGE_RANGE;
    IntegrityDomainDuplicateId = super::integrity::seed::INTEGRITY_DOMAIN_DUPLICATE_ID;
    IntegrityDomainDuplicateName = super::integrity::manifests::INTEGRITY_DOMAIN_DUPLICATE_NAME;
    IntegrityEntityCountsExceedTotal = super::integrity::manifests::INTEGRITY_ENTITY_COUNTS_EXCEED_TOTAL;
    IntegrityEntityDomainMismatch = super::integrity::seed::INTEGRITY_ENTITY_DOMAIN_MISMATCH;
    IntegrityEntityNegativeCount = super::integrity::manifests::INTEGRITY_ENTITY_NEGATIVE_COUNT;
    IntegrityEntityNoScript = super::integrity::seed::INTEGRITY_ENTITY_NO_SCRIPT;
    IntegrityEntitySharedEntityType = super::integrity::manifests::INTEGRITY_ENTITY_SHARED_ENTITY_TYPE;
    IntegrityExportDuplicateId = super::integrity::exports::INTEGRITY_EXPORT_DUPLICATE_ID;
    IntegrityExportInvalidId = super::integrity::exports::INTEGRITY_EXPORT_INVALID_ID;
    IntegrityExportMissingValue = super::integrity::exports::INTEGRITY_EXPORT_MISSING_VALUE;
    IntegrityJsonInvalid = super::integrity::exports::INTEGRITY_JSON_INVALID;
    IntegrityLogInvalidEnum = super::integrity::exports::INTEGRITY_LOG_INVALID_ENUM;
    IntegrityManifestDuplicate = super::integrity::manifests::INTEGRITY_MANIFEST_DUPLICATE;
    IntegrityMappingDuplicateLegacyId = super::integrity::exports::INTEGRITY_MAPPING_DUPLICATE_LEGACY_ID;
    IntegrityMappingDuplicateModernId = super::integrity::exports::INTEGRITY_MAPPING_DUPLICATE_MODERN_ID;
    IntegrityMappingInvalidModernId = super::integrity::exports::INTEGRITY_MAPPING_INVALID_MODERN_ID;
    IntegrityMappingNegativeLegacyId = super::integrity::exports::INTEGRITY_MAPPING_NEGATIVE_LEGACY_ID;
    IntegrityMappingTableMismatch = super::integrity::exports::INTEGRITY_MAPPING_TABLE_MISMATCH;
    IntegrityMetricsCountsExceedProcessed = super::integrity::exports::INTEGRITY_METRICS_COUNTS_EXCEED_PROCESSED;
    IntegrityMetricsEntityScriptMismatch = super::integrity::exports::INTEGRITY_METRICS_ENTITY_SCRIPT_MISMATCH;
    IntegrityMetricsFutureExecution = super::integrity::exports::INTEGRITY_METRICS_FUTURE_EXECUTION;
    IntegrityMetricsNegativeCount = super::integrity::exports::INTEGRITY_METRICS_NEGATIVE_COUNT;
    IntegrityMetricsThroughputMismatch = super::integrity::exports::INTEGRITY_METRICS_THROUGHPUT_MISMATCH;
    IntegrityReferenceUnresolved = super::integrity::exports::INTEGRITY_REFERENCE_UNRESOLVED;
    IntegrityScriptNameExtension = super::integrity::manifests::INTEGRITY_SCRIPT_NAME_EXTENSION;
    IntegrityScriptNegativeRecordCount = super::integrity::manifests::INTEGRITY_SCRIPT_NEGATIVE_RECORD_COUNT;
    IntegrityScriptSuccessRateMismatch = super::integrity::manifests::INTEGRITY_SCRIPT_SUCCESS_RATE_MISMATCH;
    IntegrityScriptSuccessRateRange = super::integrity::manifests::INTEGRITY_SCRIPT_SUCCESS_RATE_RANGE;
    IntegrityScriptUnknownDomain = super::integrity::seed::INTEGRITY_SCRIPT_UNKNOWN_DOMAIN;
    IntegrityStatusFinalMismatch = super::integrity::history::INTEGRITY_STATUS_FINAL_MISMATCH;
    IntegrityStatusInvalidTransition = super::integrity::history::INTEGRITY_STATUS_INVALID_TRANSITION;
    IntegrityTableCaseMismatch = super::coverage::tables::INTEGRITY_TABLE_CASE_MISMATCH;
    IntegrityTableDomainConflict = super::integrity::seed::INTEGRITY_TABLE_DOMAIN_CONFLICT;
    LoadFileSkipped = super::unread_files::LOAD_FILE_SKIPPED;
    LoadFileUnknown = super::unread_files::LOAD_FILE_UNKNOWN;
    LoadManifestEmpty = super::unread_files::LOAD_MANIFEST_EMPTY;
    MissingMappingAmbiguous = super::missing_data::MISSING_MAPPING_AMBIGUOUS;
    MissingMappingOrphan = super::missing_data::MISSING_MAPPING_ORPHAN;
    MissingMappingUnmapped = super::missing_data::MISSING_MAPPING_UNMAPPED;
    ReconcileContentNotChecked = super::content::RECONCILE_CONTENT_NOT_CHECKED;
    ReconcileContentRowsMissing = super::content::RECONCILE_CONTENT_ROWS_MISSING;
    ReconcileContentTargetMissing = super::content::RECONCILE_CONTENT_TARGET_MISSING;
    ReconcileContentValueMismatch = super::content::RECONCILE_CONTENT_VALUE_MISMATCH;
    ReconcileEntityDistinctMappedIds = super::reconcile::RECONCILE_ENTITY_DISTINCT_MAPPED_IDS;
    ReconcileEntityMappingCount = super::reconcile::RECONCILE_ENTITY_MAPPING_COUNT;
    ReconcileEntityMetricsSuccessful = super::reconcile::RECONCILE_ENTITY_METRICS_SUCCESSFUL;
    ReconcileEntitySourceRows = super::reconcile::RECONCILE_ENTITY_SOURCE_ROWS;
    ReconcileEntityTargetRows = super::reconcile::RECONCILE_ENTITY_TARGET_ROWS;
    ReconcileLedgerOverCount = super::reconcile::RECONCILE_LEDGER_OVER_COUNT;
    ReconcileTableSourceIds = super::reconcile::RECONCILE_TABLE_SOURCE_IDS;
}

/// The rule with this id, if there is one (ids from users: flags, `migcov.yaml`).
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sorted_unique_and_well_formed() {
        for pair in RULES.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} before {}",
                pair[0].id,
                pair[1].id
            );
        }
        for rule in RULES {
            let parts: Vec<&str> = rule.id.split('.').collect();
            assert_eq!(parts.len(), 3, "{}", rule.id);
            assert_eq!(parts[0], rule.family.as_str(), "{}", rule.id);
            assert!(
                rule.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'),
                "{}",
                rule.id
            );
            assert!(
                !rule.summary.is_empty() && rule.docs.len() > 20,
                "{}",
                rule.id
            );
        }
    }

    #[test]
    fn each_rule_id_names_its_own_entry() {
        for (i, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.code as usize, i, "{}", rule.id);
            assert_eq!(rule.code.as_str(), rule.id);
        }
        assert_eq!(RuleId::MissingMappingUnmapped, "missing.mapping.unmapped");
        // Each variant is its id in CamelCase, so the registry cannot pair a variant with
        // another rule's declaration.
        for rule in RULES {
            let camel: String = rule
                .id
                .split(['.', '_'])
                .map(|w| w[..1].to_uppercase() + &w[1..])
                .collect();
            assert_eq!(format!("{:?}", rule.code), camel, "{}", rule.id);
        }
        assert!(find("no.such.rule").is_none());
    }

    #[test]
    fn every_rule_has_a_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
        for rule in RULES {
            let dir = root.join(rule.id);
            assert!(
                dir.join("README.md").is_file(),
                "no fixture note for {}",
                rule.id
            );
        }
    }
}
