//! The rule table: every check migcov runs, with a stable id, default severity and docs.
//!
//! Ids are `family.subject.check` and never reused; a retired rule stays here marked
//! removed. The slice is sorted by id (a test checks it), and feeds `migcov rules`, the
//! README's rule table, the validation pages and JUnit case names.

use serde::Serialize;

use crate::model::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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

/// Declares every rule once: the [`RuleId`] enum (so a misspelt id does not compile) and
/// the [`RULES`] table in the same order, so `RULES[id as usize]` is that rule.
macro_rules! registry {
    ($($variant:ident = $id:literal, $family:ident, $severity:ident, $summary:literal, $docs:literal;)+) => {
        /// A rule, as code refers to it: `RuleId::MissingMappingUnmapped`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($variant),+
        }

        pub static RULES: &[Rule] = &[
            $(Rule {
                id: $id,
                code: RuleId::$variant,
                family: Family::$family,
                severity: Severity::$severity,
                summary: $summary,
                docs: $docs,
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

registry! {
    CoverageDomainThreshold = "coverage.domain.threshold", Coverage, Error,
        "Every domain reaches the minimum coverage (gate.min_domain_coverage or --min-domain-coverage)",
        "Checked only when a minimum is set. A domain below it is not ready for cut-over: migrate the missing \
         records or lower the bar deliberately in migcov.yaml.";
    CoverageExclusionExpired = "coverage.exclusion.expired", Coverage, Error,
        "Every exclusion in migcov.yaml is within its expires date",
        "An exclusion declares legacy rows out of scope by decision (reason, approved_by, expires). After its expires \
         date the decision has lapsed: the exclusion no longer applies, its rows count as not migrated again, and \
         this finding says so. Renew the approval (a new expires date) or migrate the rows. Example: \
         `exclusions: [{table: dispatch_fax_archive, reason: retention policy, approved_by: DPO, expires: 2026-12-31}]`.";
    CoverageInventoryMissing = "coverage.inventory.missing", Coverage, Warning,
        "A source inventory is given, so every legacy table is counted",
        "Without inventory/source.* the report can only measure the entities it was told about: a legacy table nobody \
         declared is invisible. Export one row per legacy table (table, row_count; exact count(*)) so the ledger \
         accounts for every legacy row.";
    CoverageReportBounds = "coverage.report.bounds", Coverage, Error,
        "The coverage report is consistent: coverages in [0, 1], completed <= total scripts, migrated <= total records",
        "The seed's CoverageReport rules. A coverage above 1 or more migrated than total records means an entity \
         claims more migrated records than it has: fix the entity's counts.";
    CoverageScriptNoMetrics = "coverage.script.no_metrics", Coverage, Warning,
        "Every script that has started has metrics",
        "A script whose status is anything but NOT_STARTED must have rows in metrics/: without them its records \
         are not accounted for. Export its metrics, or set its status to NOT_STARTED.";
    CoverageScriptsMissingOnDisk = "coverage.scripts.missing_on_disk", Coverage, Warning,
        "Every script manifest has its .ts file in the scripts folder",
        "Checked when a scripts folder is given (--scripts-dir or scripts_dir). A manifest whose script is not on \
         disk describes a migration nobody can run again: add the file or remove the manifest.";
    CoverageScriptsUnaccounted = "coverage.scripts.unaccounted", Coverage, Error,
        "Every .ts script in the scripts folder has a manifest",
        "Checked when a scripts folder is given. A script with no manifest is a migration the report cannot \
         account for: write its manifest under scripts/, or exclude the file in migcov.yaml if it is not a migration.";
    CoverageTableNotInInventory = "coverage.table.not_in_inventory", Coverage, Error,
        "Every table named by an entity, script, source_ids file or exclusion is in its inventory",
        "A legacy_table, source_table, target_table, source_ids file or exclusion that names a table the inventory does not \
         list cannot be counted: it is reported here, with the nearest inventory name, instead of as 0 rows. Usually a \
         spelling or schema difference between systems (`invoice_line` vs `invoiceline`): fix the name, or export the \
         table's row count.";
    CoverageTableUncovered = "coverage.table.uncovered", Coverage, Error,
        "Every table in the source inventory is migrated by a script or owned by an entity",
        "A legacy table that is the source_table of no script and the legacy_table of no entity is data nobody \
         migrates. The finding lists each such table with its row count.";
    CoverageTableUnwrittenTarget = "coverage.table.unwritten_target", Coverage, Warning,
        "Every table in the target inventory is written by a script or an entity",
        "A modern table that is the target_table of no script and no entity holds rows the report cannot account for: \
         written by hand, by an undeclared script, or left over from a test run. The finding lists each with its row \
         count. Declare the script that writes it, or drop the table from the target inventory if it is not migrated \
         data. Example: `audit_import,120` with no script targeting `audit_import`.";
    CoverageWaiverExpired = "coverage.waiver.expired", Coverage, Error,
        "Every waiver in migcov.yaml is within its expires date",
        "A waiver accepts a rule's findings about a subject (rule, subject, reason, approved_by, expires). After its expires \
         date the findings count again and this finding says so. Example: `waivers: [{rule: \
         integrity.metrics.throughput_mismatch, subject: metrics, reason: legacy runner rounds, approved_by: QA lead, \
         expires: 2027-01-31}]`.";
    IntegrityDomainCoverageClaim = "integrity.domain.coverage_claim", Integrity, Warning,
        "A coverage_percentage stated in domains.yaml agrees with the computed one",
        "domains.yaml may carry the seed's coverage_percentage; migcov computes its own (the ledger's, or the entities' \
         without an inventory) and reports a gap larger than success_rate_tolerance. The computed figure is the one \
         shown. Example: `coverage_percentage: 0.95` while the domain's tables are 0.90 migrated.";
    IntegrityDomainCoverageRange = "integrity.domain.coverage_range", Integrity, Error,
        "Each domain's coverage_percentage is between 0.0 and 1.0",
        "coverage_percentage is the domain's migrated records over its total records. Above 1 means some entity \
         reports more migrated than total records.";
    IntegrityDomainDuplicateId = "integrity.domain.duplicate_id", Integrity, Error,
        "Domain ids are unique",
        "Two domains with one id make every reference to that id ambiguous. Give each domain its own UUID, or leave id \
         out (it is derived from the name). Example: CLINICAL and BUSINESS both with id 0b6f1f0e-....";
    IntegrityDomainDuplicateName = "integrity.domain.duplicate_name", Integrity, Error,
        "Domain names are unique",
        "Each of CLINICAL, BUSINESS, COMMUNICATIONS and TECHNICAL may be listed once in domains.yaml.";
    IntegrityEntityCountsExceedTotal = "integrity.entity.counts_exceed_total", Integrity, Error,
        "An entity's migrated_records + failed_records <= total_records",
        "More migrated and failed records than exist in the legacy table means one of the counts is wrong.";
    IntegrityEntityDomainMismatch = "integrity.entity.domain_mismatch", Integrity, Warning,
        "An entity's domain agrees with its script's data_domain",
        "An entity in CLINICAL migrated by a script declared BUSINESS is counted in one domain by the ledger and in \
         another on the scripts pages. Align the two. Example: entity patients (CLINICAL) with \
         migration_script_id office-migration.ts (BUSINESS).";
    IntegrityEntityNegativeCount = "integrity.entity.negative_count", Integrity, Error,
        "An entity's record counts are non-negative",
        "total_records, migrated_records and failed_records count rows and cannot be negative.";
    IntegrityEntityNoScript = "integrity.entity.no_script", Integrity, Warning,
        "Every entity names the script that migrates it",
        "An entity without migration_script_id belongs to no script: its records are in no script's page and no \
         untagged metrics can be credited to it. Add migration_script_id (the script's name or UUID).";
    IntegrityEntitySharedEntityType = "integrity.entity.shared_entity_type", Integrity, Warning,
        "No two entities declare the same entity_type",
        "Missing data and reconciliation attribute LegacyMapping rows to an entity by entity_type. When two \
         entities declare the same type, each is compared with all of that type's mappings and both look \
         wrong: give each entity its own entity_type.";
    IntegrityExportDuplicateId = "integrity.export.duplicate_id", Integrity, Error,
        "The id of every metrics, log and mapping row is unique",
        "The seed makes id each record's unique identifier. A repeated id (any case) usually means a row exported twice, \
         which doubles what it counts. Every row after the first with that id is listed.";
    IntegrityExportInvalidId = "integrity.export.invalid_id", Integrity, Error,
        "The id of every metrics, log and mapping row, when given, is a UUID",
        "The seed types id as a UUID. An id that is not one (`42`, `run-1-row-3`) cannot be referenced as the data \
         model promises. Leave id out, or export the UUID.";
    IntegrityExportMissingValue = "integrity.export.missing_value", Integrity, Error,
        "Every required column of every export row has a value",
        "A blank cell in a required column (a CSV ',,' or an NDJSON null) is not a value: a row without its \
         records_processed, execution_date, script_id, entity_type or legacy_id cannot be counted honestly. Such rows \
         are left out of every figure and listed here with the columns they leave empty (metrics, logs, mappings, \
         inventories, source_ids). Fill the values in the export, or drop the rows there. Example: \
         `office-migration.ts,offices,,10,10,0,0,1000` has no execution_date.";
    IntegrityJsonInvalid = "integrity.json.invalid", Integrity, Error,
        "error_details, context and metadata hold valid JSON",
        "JSON-typed fields must parse as JSON (in CSV, quote the text and double inner quotes: \
         \"{\"\"a\"\": 1}\").";
    IntegrityLogInvalidEnum = "integrity.log.invalid_enum", Integrity, Error,
        "Execution log rows have a known operation_type and level",
        "operation_type is one of MIGRATE, VALIDATE, ROLLBACK, FIX and level one of INFO, WARN, ERROR, DEBUG \
         (any case). Rows with other values are listed.";
    IntegrityManifestDuplicate = "integrity.manifest.duplicate", Integrity, Error,
        "Script and entity ids and names are unique",
        "References may use a name or an id, so both must be unique among scripts and among entities. The first \
         record wins every reference; the others are ignored by the totals' links.";
    IntegrityMappingDuplicateLegacyId = "integrity.mapping.duplicate_legacy_id", Integrity, Error,
        "Each (entity_type, legacy_id) pair appears in one mapping row",
        "A legacy record mapped twice has two modern records, or one mapping is stale. Rows after the first (in \
         file and row order) are listed with both UUIDs' legacy id.";
    IntegrityMappingDuplicateModernId = "integrity.mapping.duplicate_modern_id", Integrity, Error,
        "Each modern_id appears in one mapping row",
        "Two legacy records mapped to the same modern UUID have been merged, or one mapping is wrong.";
    IntegrityMappingInvalidModernId = "integrity.mapping.invalid_modern_id", Integrity, Error,
        "Every LegacyMapping.modern_id is a valid UUID",
        "modern_id must be a UUID such as 3f2b8c1e-9a4d-4c3b-8e2f-1a2b3c4d5e6f. Rows with anything else cannot be \
         traced to a modern record.";
    IntegrityMappingNegativeLegacyId = "integrity.mapping.negative_legacy_id", Integrity, Error,
        "Every LegacyMapping.legacy_id is a non-negative integer",
        "Legacy ids are row ids of the legacy database; a negative id points at nothing.";
    IntegrityMetricsCountsExceedProcessed = "integrity.metrics.counts_exceed_processed", Integrity, Error,
        "records_successful + records_failed + records_skipped <= records_processed",
        "An execution cannot account for more records than it processed.";
    IntegrityMetricsEntityScriptMismatch = "integrity.metrics.entity_script_mismatch", Integrity, Error,
        "A metrics row's entity is migrated by the row's own script",
        "A metrics row of script A tagged with an entity whose migration_script_id is script B credits B's entity \
         with A's work. Fix the entity_id (or the entity's migration_script_id). Example: office-migration.ts \
         reporting on entity patients.";
    IntegrityMetricsFutureExecution = "integrity.metrics.future_execution", Integrity, Warning,
        "No execution is dated after the report date",
        "A metrics row whose execution_date falls after the report date is a clock or time-zone error (a local time read \
         as UTC) or a report dated too early. Check the exporting system's time zone (migcov.yaml `timezone`) or \
         pass the right --report-date.";
    IntegrityMetricsNegativeCount = "integrity.metrics.negative_count", Integrity, Error,
        "Metrics counts and times are non-negative",
        "records_processed, records_successful, records_failed, records_skipped and execution_time_ms cannot be \
         negative.";
    IntegrityMetricsThroughputMismatch = "integrity.metrics.throughput_mismatch", Integrity, Warning,
        "throughput_per_second agrees with records_processed / execution_time_ms",
        "When given, throughput_per_second must be within throughput_tolerance (migcov.yaml, default 5%, plus \
         0.01) of records_processed * 1000 / execution_time_ms.";
    IntegrityReferenceUnresolved = "integrity.reference.unresolved", Integrity, Error,
        "Every reference (script_id, entity_id, domain_id/domain, migration_script_id) resolves",
        "A reference is a UUID or a unique name of a record in the manifests. Rows whose reference resolves to \
         nothing are left out of every total: fix the reference or add the missing manifest.";
    IntegrityScriptNameExtension = "integrity.script.name_extension", Integrity, Error,
        "Script names end with .ts",
        "A MigrationScript's name is its file name, e.g. office-migration.ts.";
    IntegrityScriptNegativeRecordCount = "integrity.script.negative_record_count", Integrity, Error,
        "A script's record_count is non-negative",
        "record_count is the number of records the script processed.";
    IntegrityScriptSuccessRateMismatch = "integrity.script.success_rate_mismatch", Integrity, Warning,
        "A manifest's success_rate agrees with its metrics",
        "When a manifest states success_rate and the script has metrics, the stated rate must be within \
         success_rate_tolerance (migcov.yaml, default 0.005) of sum(records_successful) / sum(records_processed).";
    IntegrityScriptSuccessRateRange = "integrity.script.success_rate_range", Integrity, Error,
        "A script's success_rate is between 0.0 and 1.0",
        "success_rate is a fraction: write 0.98, not 98.";
    IntegrityScriptUnknownDomain = "integrity.script.unknown_domain", Integrity, Error,
        "Every script's data_domain is listed in domains.yaml",
        "A script in a domain that domains.yaml does not list has no domain page and no priority, and its records \
         fall outside every domain's coverage. List the domain, or fix the script's data_domain. Example: \
         data_domain TECHNICAL with only CLINICAL and BUSINESS in domains.yaml.";
    IntegrityStatusFinalMismatch = "integrity.status.final_mismatch", Integrity, Error,
        "The last status in a script's log agrees with its manifest",
        "The last context.status of the script's MIGRATE log entries, in timestamp order, must equal the \
         manifest's status: one of them is out of date.";
    IntegrityStatusInvalidTransition = "integrity.status.invalid_transition", Integrity, Error,
        "Status changes in the log follow the state machine",
        "MIGRATE log entries with context.status must go NOT_STARTED -> IN_PROGRESS -> COMPLETE | FAILED, with \
         FAILED -> IN_PROGRESS for a retry; ROLLBACK_REQUIRED may follow IN_PROGRESS, COMPLETE or FAILED and lead \
         back to IN_PROGRESS. A new run may follow a finished one (COMPLETE -> IN_PROGRESS | NOT_STARTED for a \
         re-run or the next batch, FAILED -> NOT_STARTED); entries with a run_id form one history per run. The \
         first status must be NOT_STARTED or IN_PROGRESS. The statuses are the seed's MigrationStatus, five \
         values: MigrationScript lists four, and ROLLBACK_REQUIRED is accepted as the enum adds it. Example: \
         COMPLETE then FAILED with no run in between.";
    IntegrityTableCaseMismatch = "integrity.table.case_mismatch", Integrity, Warning,
        "Table names match their inventory with the same case",
        "Table names are matched exactly, else ignoring case and surrounding spaces (SQLite keeps `InvoiceLine`, pgloader \
         writes `invoiceline`). A case-only match is counted as that table and reported here, so a rename is never \
         silent. Spell the name as the inventory does to clear it.";
    LoadFileSkipped = "load.file.skipped", Load, Warning,
        "Every entry in the data folder is a regular file migcov can read",
        "Symbolic links are never followed (one could lead outside the data folder, or loop), and FIFOs, sockets and \
         devices are never opened (one could block the run). Each such entry is listed here instead of being skipped \
         in silence: copy the file it points to into the data folder if it is an input. Example: \
         `metrics/latest.csv -> /mnt/exports/metrics.csv`.";
    LoadFileUnknown = "load.file.unknown", Load, Warning,
        "Every file in the data folder is a known input",
        "Files outside the input contract (see the README) are not read. A misplaced export (metrics/ spelled \
         metric/, an .xlsx file) would otherwise be silently ignored.";
    MissingMappingOrphan = "missing.mapping.orphan", Missing, Error,
        "Every mapping points at a legacy id present in the source",
        "For an entity type whose legacy table has a source_ids file, mapping rows whose legacy_id is not among \
         those ids point at records that do not exist (or the source_ids export is incomplete).";
    MissingMappingUnmapped = "missing.mapping.unmapped", Missing, Warning,
        "Every legacy id in source_ids has a mapping",
        "For each source_ids/<legacy_table> file, the ids with no LegacyMapping row of the entity_type of the \
         entity owning that table. Failed and not yet migrated records show up here; the gate's \
         max_missing_records sets how many are acceptable.";
    ReconcileEntityDistinctMappedIds = "reconcile.entity.distinct_mapped_ids", Reconcile, Error,
        "Distinct mapped legacy ids of an entity_type equal migrated_records",
        "Mapping rows can repeat a legacy id; counting rows would let 9 ids plus one duplicate pass for 10 migrated \
         records. This check counts distinct legacy ids of the entity's type against migrated_records (entities \
         sharing a type are judged together). Example: 10 OFFICE rows for 9 distinct ids vs 10 migrated: -1.";
    ReconcileEntityMappingCount = "reconcile.entity.mapping_count", Reconcile, Error,
        "An entity's mapping rows equal its migrated_records",
        "Every migrated record gets one LegacyMapping row of the entity's entity_type. The delta is mapping rows \
         minus migrated_records, within reconcile_tolerance (a fraction of migrated_records, default 0).";
    ReconcileEntityMetricsSuccessful = "reconcile.entity.metrics_successful", Reconcile, Error,
        "Sum of metrics records_successful equals an entity's migrated_records",
        "Metrics rows tagged with the entity (entity_id), plus untagged rows of its migration script, must add up \
         to migrated_records.";
    ReconcileEntitySourceRows = "reconcile.entity.source_rows", Reconcile, Error,
        "The source inventory's row count equals an entity's total_records",
        "The legacy table's row_count in inventory/source must equal the entity's total_records: otherwise records \
         were added or lost since the count.";
    ReconcileEntityTargetRows = "reconcile.entity.target_rows", Reconcile, Error,
        "The target inventory's row count equals an entity's migrated_records",
        "The modern table's row_count in inventory/target must equal migrated_records: more rows mean records \
         written outside the migration, fewer mean lost writes.";
    ReconcileLedgerOverCount = "reconcile.ledger.over_count", Reconcile, Error,
        "Each table's ledger closes: migrated + failed + excluded <= legacy rows",
        "For every source inventory table the ledger adds up legacy rows = migrated + failed + excluded + unaccounted. When \
         the first three already exceed the table's rows, some rows are counted twice (a row both migrated and \
         failed, an excluded id that was migrated, an entity's counts larger than its table): the finding gives the \
         excess. Example: 100 rows, 98 mapped, 5 failed: 3 over.";
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
