//! One test per rule, named after its id: the rule's fixture (tests/fixtures/rules/<id>/,
//! laid over the clean base) must give exactly the findings its README works out by hand.

mod common;

use common::{base_with, csv_as_parquet, fixtures, run, run_at};

/// The report date of the rules that need one (expiries, executions after the date).
fn date() -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(2026, 3, 31)
}

/// (findings of the rule, their total count, every rule that fired) on the base with the
/// rule's overlay, as of [`date`].
fn dated_findings_of(rule: &str) -> (usize, u64, Vec<&'static str>) {
    let overlay = fixtures().join("rules").join(rule).join("data");
    let data = base_with(Some(&overlay));
    let (_, _, findings) = run_at(data.path(), date());
    let of_rule: Vec<_> = findings.iter().filter(|f| f.rule == rule).collect();
    let mut fired: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    fired.dedup();
    (of_rule.len(), of_rule.iter().map(|f| f.count).sum(), fired)
}

#[test]
fn coverage_exclusion_expired() {
    let (n, count, _) = dated_findings_of("coverage.exclusion.expired");
    assert_eq!((n, count), (1, 1));
    // Lapsed: the exclusion no longer applies, so nothing is excluded.
    let data = base_with(Some(
        &fixtures().join("rules/coverage.exclusion.expired/data"),
    ));
    let (_, measures, _) = run_at(data.path(), date());
    let ledger = measures.ledger.unwrap();
    assert_eq!((ledger.totals.excluded, ledger.totals.migrated), (0, 10));
}

/// Found by an independent check: the repeated table's message summed its rows each
/// clamped at 0 (-3 and 5 made 5) where the ledger counts the table's sum (2).
#[test]
fn a_repeated_tables_sum_is_the_ledgers() {
    let data = base_with(None);
    std::fs::write(
        data.path().join("inventory/source.csv"),
        "table,row_count\ndispatch_office,10\nother_t,-3\nother_t,5\n",
    )
    .unwrap();
    let (_, measures, findings) = run_at(data.path(), date());
    let repeated: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "coverage.inventory.repeated_table")
        .collect();
    assert_eq!(repeated.len(), 1);
    assert!(
        repeated[0]
            .message
            .ends_with("on 2 rows: its rows are counted as their sum, 2"),
        "{}",
        repeated[0].message
    );
    let other = measures.ledger.unwrap();
    let other = other.rows.iter().find(|r| r.table == "other_t").unwrap();
    assert_eq!(other.legacy_rows, 2);
}

/// The rules that fire on the base with `metrics/run.csv` replaced by `csv` (its header:
/// the base's), each with its count.
fn fired_with_metrics(rows: &str) -> Vec<(String, u64)> {
    let data = base_with(None);
    std::fs::write(
        data.path().join("metrics/run.csv"),
        format!(
            "script_id,entity_id,run_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms\n{rows}"
        ),
    )
    .unwrap();
    let (_, _, findings) = run_at(data.path(), date());
    findings
        .iter()
        .map(|f| (f.rule.as_str().to_string(), f.count))
        .collect()
}

/// Found by an independent check: a retry whose entity_id names no entity (a typo) is
/// the final run, as an untagged row is, and the script's totals credit it; reconciliation
/// credited only rows with no entity_id, so offices showed 0 of 10. And a row whose script
/// names no manifest, left out of every total, was credited to its entity (10 of 9).
#[test]
fn reconciliation_credits_the_rows_the_totals_do() {
    let typo = fired_with_metrics(
        "office-migration.ts,offices,r1,2026-03-01T08:00:00Z,10,10,0,0,1000\n\
         office-migration.ts,ofices,r2,2026-03-01T09:00:00Z,10,10,0,0,1000\n",
    );
    assert_eq!(
        typo,
        [("integrity.reference.unresolved".to_string(), 1)],
        "{typo:?}"
    );
    let ghost = fired_with_metrics(
        "office-migration.ts,offices,,2026-03-01T08:00:00Z,10,9,1,0,1000\n\
         ghost-migration.ts,offices,,2026-03-01T09:00:00Z,1,1,0,0,1000\n",
    );
    assert!(
        ghost.contains(&("reconcile.entity.metrics_successful".to_string(), 1)),
        "{ghost:?}"
    );
}

/// Found by an independent check: pandas writes an integer `resumes_run_id` with a gap as
/// floats, and `1.0` resumed no run `1`, so the resumed run was dropped as superseded
/// (4 processed, 100%). Its whole numbers are the integers they are: r2 resumes r1, 14
/// processed, 10 successful.
#[test]
fn a_run_resumed_by_a_float_id_is_resumed() {
    use polars::prelude::*;
    let data = base_with(None);
    std::fs::remove_file(data.path().join("metrics/run.csv")).unwrap();
    let mut frame = df!(
        "script_id" => ["office-migration.ts", "office-migration.ts"],
        "entity_id" => ["offices", "offices"],
        "run_id" => [1i64, 2],
        "resumes_run_id" => [None, Some(1.0f64)],
        "execution_date" => ["2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z"],
        "records_processed" => [10i64, 4],
        "records_successful" => [6i64, 4],
        "records_failed" => [4i64, 0],
        "records_skipped" => [0i64, 0],
        "execution_time_ms" => [1000i64, 1000],
    )
    .unwrap();
    let file = std::fs::File::create(data.path().join("metrics/run.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    let (_, measures, _) = run_at(data.path(), date());
    let totals = &measures.all_scripts;
    assert_eq!(
        (totals.records_processed, totals.records_successful),
        (14, 10),
        "{totals:?}"
    );
}

/// The same in CSV, as pandas writes it there (`1.0` as text), and a run id `2.00`: the
/// CSV was read as text and `1.0` resumed no run `1` (found by an independent check).
#[test]
fn a_run_resumed_by_a_float_id_in_csv_is_resumed() {
    let data = base_with(None);
    std::fs::write(
        data.path().join("metrics/run.csv"),
        "script_id,entity_id,run_id,resumes_run_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms\n\
         office-migration.ts,offices,1,,2026-03-01T08:00:00Z,10,6,4,0,1000\n\
         office-migration.ts,offices,2.00,1.0,2026-03-01T09:00:00Z,4,4,0,0,1000\n\
         office-migration.ts,offices,3,2,2026-03-01T10:00:00Z,1,1,0,0,1000\n",
    )
    .unwrap();
    let (_, measures, _) = run_at(data.path(), date());
    let totals = &measures.all_scripts;
    assert_eq!(
        (totals.records_processed, totals.records_successful),
        (15, 11),
        "{totals:?}"
    );
}

/// The fixture's ledger, as its README works it out: a mapping naming a table its type
/// is not is counted for no table.
#[test]
fn a_mapping_naming_another_table_is_no_tables_migrated_row() {
    let data = base_with(Some(
        &fixtures().join("rules/integrity.mapping.table_mismatch/data"),
    ));
    let (_, measures, _) = run_at(data.path(), date());
    let ledger = measures.ledger.unwrap();
    let office = ledger
        .rows
        .iter()
        .find(|t| t.table == "dispatch_office")
        .unwrap();
    assert_eq!((office.legacy_rows, office.migrated.value), (10, 8));
    let missing = &measures.missing[0];
    assert_eq!((missing.ids, missing.matched, missing.unmapped), (10, 8, 2));
}

/// Found by an independent check: a log's `in-progress` was only upper-cased, so it broke
/// the state machine and differed from the manifest's `in-progress` (two errors). Read as
/// the manifest's statuses are, the history is valid and ends as the manifest says.
#[test]
fn statuses_in_the_log_read_as_the_manifests_do() {
    let data = base_with(None);
    let manifest = data.path().join("scripts/office.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("status: COMPLETE", "status: in-progress"),
    )
    .unwrap();
    std::fs::write(
        data.path().join("logs/log.csv"),
        "script_id,operation_type,timestamp,level,message,context,user_id\n\
         office-migration.ts,MIGRATE,2026-03-01T08:00:00Z,INFO,queued,\"{\"\"status\"\": \"\"not-started\"\"}\",anna\n\
         office-migration.ts,MIGRATE,2026-03-01T08:00:01Z,INFO,started,\"{\"\"status\"\": \"\"In Progress\"\"}\",anna\n",
    )
    .unwrap();
    let (_, _, findings) = run_at(data.path(), date());
    let statuses: Vec<_> = findings
        .iter()
        .filter(|f| f.rule.as_str().starts_with("integrity.status"))
        .map(|f| (f.rule.as_str(), f.message.clone()))
        .collect();
    assert!(statuses.is_empty(), "{statuses:?}");
}

#[test]
fn coverage_inventory_missing() {
    let data = base_with(None);
    std::fs::remove_file(data.path().join("inventory/source.csv")).unwrap();
    let (_, measures, findings) = run_at(data.path(), date());
    let rules: Vec<_> = findings
        .iter()
        .map(|f| (f.rule.as_str(), f.count))
        .collect();
    assert_eq!(rules, [("coverage.inventory.missing", 1)]);
    assert!(measures.ledger.is_none());
}

/// Found by an independent check: without a source inventory, an exclusion in force was
/// shown "in force" while the headline (the entities' declared figure) counted the
/// excluded table's rows. There is no ledger to take them out of: the finding and the
/// exclusions page say it leaves its ids out of missing data alone.
#[test]
fn without_an_inventory_exclusions_are_said_to_apply_to_missing_data_alone() {
    let data = base_with(None);
    std::fs::remove_file(data.path().join("inventory/source.csv")).unwrap();
    std::fs::write(
        data.path().join("migcov.yaml"),
        "exclusions:\n  - table: dispatch_office\n    reason: retention\n    approved_by: DPO\n",
    )
    .unwrap();
    let (_, _, findings) = run_at(data.path(), date());
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0]
            .message
            .ends_with("cannot be seen; the exclusion in migcov.yaml leaves its ids out of missing data, not out of the headline"),
        "{}",
        findings[0].message
    );
    let site = tempfile::tempdir().unwrap();
    common::build_site(data.path(), site.path(), "2026-03-31", &[]);
    let page = std::fs::read_to_string(site.path().join("ledger/exclusions.html")).unwrap();
    assert!(
        page.contains("missing data only: no source inventory, so the headline counts these rows")
    );
    assert!(!page.contains("in force"));
}

#[test]
fn coverage_table_not_in_inventory() {
    let (n, count, _) = dated_findings_of("coverage.table.not_in_inventory");
    assert_eq!((n, count), (1, 1));
    let data = base_with(Some(
        &fixtures().join("rules/coverage.table.not_in_inventory/data"),
    ));
    let (_, _, findings) = run(data.path());
    let finding = findings
        .iter()
        .find(|f| f.rule == "coverage.table.not_in_inventory")
        .unwrap();
    assert_eq!(
        finding.message,
        "`dispatch_offices` is not in the source inventory; did you mean `dispatch_office`?"
    );
}

#[test]
fn coverage_waiver_expired() {
    assert_eq!(
        dated_findings_of("coverage.waiver.expired"),
        (1, 1, vec!["coverage.waiver.expired"])
    );
}

#[test]
fn integrity_metrics_future_execution() {
    assert_eq!(
        dated_findings_of("integrity.metrics.future_execution"),
        (1, 1, vec!["integrity.metrics.future_execution"])
    );
}

#[test]
fn integrity_table_case_mismatch() {
    // Matched ignoring case, so nothing else fires.
    assert_eq!(
        dated_findings_of("integrity.table.case_mismatch"),
        (1, 3, vec!["integrity.table.case_mismatch"])
    );
}

#[test]
fn reconcile_ledger_over_count() {
    let (n, count, _) = dated_findings_of("reconcile.ledger.over_count");
    assert_eq!((n, count), (1, 1));
}

/// (findings of the rule, their total count) for a rule's fixture.
fn findings_of(rule: &str) -> (usize, u64) {
    let overlay = fixtures().join("rules").join(rule).join("data");
    let data = base_with(Some(&overlay));
    let (_, _, findings) = run(data.path());
    let of_rule: Vec<_> = findings.iter().filter(|f| f.rule == rule).collect();
    (of_rule.len(), of_rule.iter().map(|f| f.count).sum())
}

#[test]
fn clean_base_has_no_findings() {
    let data = base_with(None);
    let (_, _, findings) = run(data.path());
    assert_eq!(findings, vec![]);
}

/// The rule's findings (message, severity, subject, count and samples) on its fixture, as
/// `expected.json` beside the fixture records them; `UPDATE_EXPECTED=1` rewrites the file
/// (review the diff: the README's hand-worked counts must still agree).
fn assert_expected_findings(rule: &str) {
    let overlay = fixtures().join("rules").join(rule).join("data");
    let data = base_with(Some(&overlay));
    let (_, _, findings) = run_at(data.path(), date());
    let mine: Vec<_> = findings.iter().filter(|f| f.rule == rule).collect();
    // The data folder is a temporary one: its name is redacted.
    let folder = data
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let mut actual = serde_json::to_string_pretty(&mine)
        .unwrap()
        .replace(&format!("\"{folder}\""), "\"<data>\"");
    actual.push('\n');
    let path = fixtures().join("rules").join(rule).join("expected.json");
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_EXPECTED=1 writes it)", path.display()));
    assert_eq!(
        actual,
        expected,
        "findings of {rule} differ from {}",
        path.display()
    );
}

/// The rule's findings and count, and exactly which rules fire: the rule itself and the
/// consequences its fixture's README names (`also`), nothing else.
macro_rules! rule_test {
    ($name:ident, $id:literal, $findings:expr, $count:expr) => {
        rule_test!($name, $id, $findings, $count, also []);
    };
    ($name:ident, $id:literal, $findings:expr, $count:expr, also [$($also:literal),*]) => {
        #[test]
        fn $name() {
            assert_eq!(findings_of($id), ($findings, $count), "{}", $id);
            let (_, _, fired) = dated_findings_of($id);
            let mut expected: Vec<&str> = vec![$id, $($also),*];
            expected.sort();
            assert_eq!(fired, expected, "rules that fire on the fixture of {}", $id);
            assert_expected_findings($id);
        }
    };
}

rule_test!(
    coverage_inventory_negative_count,
    "coverage.inventory.negative_count",
    1,
    1,
    also["coverage.table.uncovered"]
);
rule_test!(
    integrity_table_domain_conflict,
    "integrity.table.domain_conflict",
    1,
    2,
    also["integrity.entity.domain_mismatch"]
);
rule_test!(coverage_inventory_repeated_table, "coverage.inventory.repeated_table", 1, 2, also ["reconcile.entity.source_rows", "reconcile.table.source_ids"]);
rule_test!(coverage_report_bounds, "coverage.report.bounds", 1, 2, also ["integrity.domain.coverage_range", "integrity.entity.counts_exceed_total", "reconcile.entity.distinct_mapped_ids", "reconcile.entity.mapping_count", "reconcile.entity.metrics_successful", "reconcile.entity.target_rows"]);
rule_test!(
    coverage_scripts_missing_on_disk,
    "coverage.scripts.missing_on_disk",
    1,
    1
);
rule_test!(
    coverage_scripts_unaccounted,
    "coverage.scripts.unaccounted",
    1,
    1
);
rule_test!(integrity_domain_coverage_range, "integrity.domain.coverage_range", 1, 1, also ["coverage.report.bounds", "integrity.entity.counts_exceed_total", "reconcile.entity.distinct_mapped_ids", "reconcile.entity.mapping_count", "reconcile.entity.metrics_successful", "reconcile.entity.target_rows"]);
rule_test!(
    integrity_domain_duplicate_name,
    "integrity.domain.duplicate_name",
    1,
    2,
    also["integrity.domain.duplicate_id"]
);
rule_test!(integrity_entity_counts_exceed_total, "integrity.entity.counts_exceed_total", 1, 1, also ["reconcile.entity.distinct_mapped_ids", "reconcile.entity.mapping_count", "reconcile.entity.metrics_successful", "reconcile.entity.target_rows", "reconcile.ledger.over_count"]);
rule_test!(
    integrity_entity_negative_count,
    "integrity.entity.negative_count",
    1,
    1
);
rule_test!(integrity_entity_shared_entity_type, "integrity.entity.shared_entity_type", 1, 2, also ["coverage.table.not_in_inventory", "integrity.entity.no_script", "missing.mapping.ambiguous"]);
rule_test!(
    integrity_log_invalid_enum,
    "integrity.log.invalid_enum",
    1,
    2,
    also["integrity.status.final_mismatch"]
);
rule_test!(integrity_mapping_invalid_modern_id, "integrity.mapping.invalid_modern_id", 1, 2, also ["missing.mapping.orphan", "reconcile.entity.distinct_mapped_ids", "reconcile.entity.mapping_count"]);
rule_test!(integrity_mapping_table_mismatch, "integrity.mapping.table_mismatch", 1, 3, also ["coverage.table.not_in_inventory", "integrity.table.case_mismatch", "missing.mapping.unmapped"]);
rule_test!(integrity_mapping_negative_legacy_id, "integrity.mapping.negative_legacy_id", 1, 1, also ["missing.mapping.orphan", "reconcile.entity.distinct_mapped_ids", "reconcile.entity.mapping_count"]);
rule_test!(
    integrity_metrics_negative_count,
    "integrity.metrics.negative_count",
    1,
    1,
    also["reconcile.entity.metrics_successful"]
);
rule_test!(integrity_reference_unresolved, "integrity.reference.unresolved", 3, 3, also ["coverage.table.not_in_inventory", "integrity.entity.no_script", "reconcile.entity.metrics_successful"]);
rule_test!(integrity_script_name_extension, "integrity.script.name_extension", 1, 1, also ["coverage.table.not_in_inventory", "integrity.script.unknown_domain"]);
rule_test!(integrity_script_negative_record_count, "integrity.script.negative_record_count", 1, 1, also ["coverage.table.not_in_inventory", "integrity.script.unknown_domain"]);
rule_test!(
    integrity_script_success_rate_mismatch,
    "integrity.script.success_rate_mismatch",
    1,
    1
);
rule_test!(integrity_script_success_rate_range, "integrity.script.success_rate_range", 1, 1, also ["coverage.table.not_in_inventory", "integrity.script.unknown_domain"]);
rule_test!(load_file_unknown, "load.file.unknown", 1, 2);
rule_test!(load_manifest_empty, "load.manifest.empty", 1, 3);
rule_test!(
    reconcile_content_value_mismatch,
    "reconcile.content.value_mismatch",
    2,
    2
);
rule_test!(
    reconcile_content_target_missing,
    "reconcile.content.target_missing",
    1,
    1
);
rule_test!(
    reconcile_content_rows_missing,
    "reconcile.content.rows_missing",
    1,
    3
);
rule_test!(
    reconcile_content_not_checked,
    "reconcile.content.not_checked",
    1,
    1
);

/// The content fixtures' rows, as their READMEs count them: (compared, intact, differs,
/// target missing).
#[test]
fn content_rows_are_counted_intact_or_not() {
    let counts = |rule: &str| {
        let data = base_with(Some(&fixtures().join("rules").join(rule).join("data")));
        let (_, measures, _) = run(data.path());
        let t = &measures.content[0];
        (t.compared, t.intact, t.differs, t.target_missing)
    };
    assert_eq!(counts("reconcile.content.value_mismatch"), (10, 8, 2, 0));
    assert_eq!(counts("reconcile.content.target_missing"), (9, 9, 0, 1));
    let data = base_with(Some(
        &fixtures().join("rules/reconcile.content.not_checked/data"),
    ));
    let (_, measures, _) = run(data.path());
    assert!(measures.content.is_empty());
    assert_eq!(measures.content_not_checked.len(), 1);

    // A misspelt column is never compared as missing on both sides (and so equal).
    let data = base_with(Some(
        &fixtures().join("rules/reconcile.content.value_mismatch/data"),
    ));
    let config = data.path().join("migcov.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("name: name", "nmae: nmae")).unwrap();
    let (_, measures, findings) = run(data.path());
    assert!(measures.content.is_empty());
    assert!(measures.content_not_checked[0]
        .reason
        .starts_with("rows/legacy/dispatch_office.csv has no column `nmae` (it has `id`, `name`"));
    assert!(findings
        .iter()
        .any(|f| f.rule == "reconcile.content.not_checked"));
}

rule_test!(coverage_domain_threshold, "coverage.domain.threshold", 1, 1, also ["missing.mapping.unmapped", "reconcile.entity.metrics_successful", "reconcile.entity.target_rows"]);
rule_test!(coverage_script_no_metrics, "coverage.script.no_metrics", 1, 1, also ["coverage.table.not_in_inventory", "integrity.script.unknown_domain"]);
rule_test!(coverage_table_uncovered, "coverage.table.uncovered", 1, 2);
rule_test!(integrity_json_invalid, "integrity.json.invalid", 2, 4);
rule_test!(integrity_manifest_duplicate, "integrity.manifest.duplicate", 1, 2, also ["coverage.table.not_in_inventory", "integrity.script.unknown_domain"]);
rule_test!(integrity_mapping_duplicate_legacy_id, "integrity.mapping.duplicate_legacy_id", 1, 3, also ["integrity.mapping.invalid_modern_id", "reconcile.entity.mapping_count"]);
rule_test!(integrity_mapping_duplicate_modern_id, "integrity.mapping.duplicate_modern_id", 1, 1, also ["missing.mapping.orphan", "reconcile.entity.distinct_mapped_ids", "reconcile.entity.mapping_count"]);
rule_test!(
    integrity_metrics_counts_exceed_processed,
    "integrity.metrics.counts_exceed_processed",
    1,
    1,
    also["reconcile.entity.metrics_successful"]
);
rule_test!(
    integrity_metrics_throughput_mismatch,
    "integrity.metrics.throughput_mismatch",
    1,
    1,
    also["reconcile.entity.metrics_successful"]
);
rule_test!(
    integrity_status_final_mismatch,
    "integrity.status.final_mismatch",
    1,
    1
);
rule_test!(
    integrity_status_invalid_transition,
    "integrity.status.invalid_transition",
    1,
    1
);
rule_test!(reconcile_table_source_ids, "reconcile.table.source_ids", 1, 2, also ["reconcile.entity.source_rows", "reconcile.ledger.over_count"]);
rule_test!(
    missing_mapping_ambiguous,
    "missing.mapping.ambiguous",
    2,
    4,
    also["integrity.entity.shared_entity_type"]
);
rule_test!(missing_mapping_orphan, "missing.mapping.orphan", 1, 2, also ["reconcile.entity.distinct_mapped_ids", "reconcile.entity.mapping_count"]);
rule_test!(missing_mapping_unmapped, "missing.mapping.unmapped", 1, 3, also ["reconcile.entity.distinct_mapped_ids", "reconcile.entity.mapping_count"]);
rule_test!(reconcile_entity_mapping_count, "reconcile.entity.mapping_count", 1, 2, also ["missing.mapping.unmapped", "reconcile.entity.distinct_mapped_ids"]);
rule_test!(
    reconcile_entity_metrics_successful,
    "reconcile.entity.metrics_successful",
    1,
    1
);
rule_test!(
    reconcile_entity_source_rows,
    "reconcile.entity.source_rows",
    1,
    2,
    also["reconcile.table.source_ids"]
);
rule_test!(
    reconcile_entity_target_rows,
    "reconcile.entity.target_rows",
    1,
    1
);

#[test]
fn every_registered_rule_has_a_test_here() {
    let source = include_str!("rules.rs");
    for rule in migcov::validate::RULES {
        assert!(
            source.contains(&format!("\"{}\"", rule.id)),
            "no rule_test! for {}",
            rule.id
        );
    }
}

#[test]
fn samples_point_at_file_and_row_in_order() {
    let overlay = fixtures().join("rules/integrity.log.invalid_enum/data");
    let data = base_with(Some(&overlay));
    let (_, _, findings) = run(data.path());
    let finding = findings
        .iter()
        .find(|f| f.rule == "integrity.log.invalid_enum")
        .unwrap();
    let rows: Vec<_> = finding
        .samples
        .iter()
        .map(|s| (s.file.as_str(), s.row))
        .collect();
    assert_eq!(
        rows,
        vec![("logs/log.csv", Some(2)), ("logs/log.csv", Some(3))]
    );
    assert_eq!(finding.samples[0].fields[2].value, "VERBOSE");
}

#[test]
fn domain_minimums_can_be_given_per_domain() {
    let data = base_with(None);
    std::fs::write(
        data.path().join("migcov.yaml"),
        "gate:\n  min_domain_coverage:\n    business: 1.0\n    CLINICAL: 0.5\n",
    )
    .unwrap();
    let subjects = |data: &std::path::Path| -> Vec<String> {
        let (_, _, findings) = run(data);
        findings
            .iter()
            .filter(|f| f.rule == "coverage.domain.threshold")
            .map(|f| f.subject.name.clone())
            .collect()
    };
    // BUSINESS covers 10/10 = 1.0 (meets 1.0); CLINICAL has no records: n/a, not judged;
    // TECHNICAL and COMMUNICATIONS are not listed, so they have no minimum.
    assert!(subjects(data.path()).is_empty());
    // The rule's fixture: BUSINESS 9/10 against a minimum for BUSINESS alone.
    let overlay = fixtures().join("rules/coverage.domain.threshold/data");
    let data = base_with(Some(&overlay));
    std::fs::write(
        data.path().join("migcov.yaml"),
        "gate:\n  min_domain_coverage:\n    business: 0.95\n",
    )
    .unwrap();
    assert_eq!(subjects(data.path()), ["BUSINESS"]);
}

#[test]
fn severity_overrides_in_migcov_yaml_apply() {
    let overlay = fixtures().join("rules/load.file.unknown/data");
    let data = base_with(Some(&overlay));
    std::fs::write(
        data.path().join("migcov.yaml"),
        "severity:\n  load.file.unknown: error\n",
    )
    .unwrap();
    let (_, _, findings) = run(data.path());
    assert_eq!(findings[0].rule, "load.file.unknown");
    assert_eq!(findings[0].severity, migcov::model::Severity::Error);
    std::fs::write(
        data.path().join("migcov.yaml"),
        "severity:\n  load.file.unknown: off\n",
    )
    .unwrap();
    let (_, _, findings) = run(data.path());
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn integrity_export_missing_value() {
    let (n, count, fired) = dated_findings_of("integrity.export.missing_value");
    assert_eq!((n, count), (2, 4));
    assert_eq!(
        fired,
        ["integrity.export.missing_value"],
        "nothing else fires"
    );
    let data = base_with(Some(
        &fixtures().join("rules/integrity.export.missing_value/data"),
    ));
    let (_, measures, findings) = run_at(data.path(), date());
    let totals = &measures.all_scripts;
    assert_eq!(
        (totals.records_processed, totals.records_successful),
        (10, 10)
    );
    let samples: Vec<(String, Option<u64>, String)> = findings
        .iter()
        .flat_map(|f| {
            f.samples
                .iter()
                .map(|s| (s.file.clone(), s.row, s.fields[0].value.clone()))
        })
        .collect();
    assert_eq!(
        samples,
        [
            (
                "mappings/offices.csv".into(),
                Some(11),
                "entity_type".into()
            ),
            ("mappings/offices.csv".into(), Some(12), "modern_id".into()),
            ("metrics/run.csv".into(), Some(2), "execution_date".into()),
            (
                "metrics/run.csv".into(),
                Some(3),
                "records_processed".into()
            ),
        ]
    );
}

#[test]
fn load_file_skipped() {
    let data = base_with(None);
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("metrics.csv");
    std::fs::copy(data.path().join("metrics/run.csv"), &target).unwrap();
    std::os::unix::fs::symlink(&target, data.path().join("metrics/latest.csv")).unwrap();
    let fifo = data.path().join("logs/pipe.csv");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (_, measures, findings) = run_at(data.path(), date());
    let fired: Vec<(&str, u64)> = findings
        .iter()
        .map(|f| (f.rule.as_str(), f.count))
        .collect();
    assert_eq!(fired, [("load.file.skipped", 2)]);
    assert_eq!(
        measures.all_scripts.records_processed, 10,
        "the link was not read"
    );
}

rule_test!(
    coverage_table_unwritten_target,
    "coverage.table.unwritten_target",
    1,
    1
);
rule_test!(
    integrity_domain_coverage_claim,
    "integrity.domain.coverage_claim",
    1,
    1
);
rule_test!(
    integrity_domain_duplicate_id,
    "integrity.domain.duplicate_id",
    1,
    2
);
rule_test!(
    integrity_entity_domain_mismatch,
    "integrity.entity.domain_mismatch",
    1,
    1
);
rule_test!(
    integrity_entity_no_script,
    "integrity.entity.no_script",
    1,
    1
);
rule_test!(
    integrity_export_duplicate_id,
    "integrity.export.duplicate_id",
    1,
    1
);
rule_test!(
    integrity_export_invalid_id,
    "integrity.export.invalid_id",
    1,
    1
);
rule_test!(
    integrity_metrics_entity_script_mismatch,
    "integrity.metrics.entity_script_mismatch",
    1,
    1
);
rule_test!(
    integrity_script_unknown_domain,
    "integrity.script.unknown_domain",
    1,
    1
);
rule_test!(reconcile_entity_distinct_mapped_ids, "reconcile.entity.distinct_mapped_ids", 1, 1, also ["integrity.mapping.duplicate_legacy_id", "missing.mapping.unmapped"]);

/// The JSON rule's mapping rows read from Parquet: load tests a Parquet file's JSON in a
/// pass of its own and places the rows that are not JSON by row number, so the finding is
/// the one the CSV overlay gives (rows 2 and 5, their text as exported).
#[test]
fn integrity_json_invalid_in_parquet_mappings() {
    let data = base_with(None);
    csv_as_parquet(
        &fixtures().join("rules/integrity.json.invalid/data/mappings/offices.csv"),
        &data.path().join("mappings/offices.parquet"),
    );
    std::fs::remove_file(data.path().join("mappings/offices.csv")).unwrap();

    let (_, _, findings) = run(data.path());
    let metadata: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "integrity.json.invalid")
        .collect();
    assert_eq!(metadata.len(), 1, "{metadata:?}");
    assert_eq!(metadata[0].subject.name, "mappings.metadata");
    assert_eq!(metadata[0].count, 2);
    let shown: Vec<(String, Option<u64>, String)> = metadata[0]
        .samples
        .iter()
        .map(|s| {
            let value = s.fields.iter().find(|f| f.name == "metadata").unwrap();
            (s.file.clone(), s.row, value.value.clone())
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "mappings/offices.parquet".to_string(),
                Some(2),
                "{\"source_table\":".to_string()
            ),
            (
                "mappings/offices.parquet".to_string(),
                Some(5),
                "not json".to_string()
            )
        ]
    );
}

#[test]
fn ambiguous_mappings_are_never_migrated() {
    let data = base_with(Some(
        &fixtures().join("rules/missing.mapping.ambiguous/data"),
    ));
    let (_, measures, _) = run_at(data.path(), date());
    let ledger = measures.ledger.unwrap();
    let line = |t: &str| {
        let r = ledger.rows.iter().find(|r| r.table == t).unwrap();
        (r.migrated.value, r.unaccounted, r.ambiguous)
    };
    assert_eq!(line("dispatch_office"), (8, 2, 2));
    assert_eq!(line("dispatch_branch"), (0, 2, 2));
}

/// Found by an independent check: two entities of the shared type that spell one table
/// two ways (`dispatch_branch`, ` Dispatch_Branch `) had the finding on
/// `dispatch_office`'s mappings name that table twice; it is one table, named once.
#[test]
fn a_table_spelt_two_ways_is_named_once_among_those_sharing_a_type() {
    let data = base_with(Some(
        &fixtures().join("rules/missing.mapping.ambiguous/data"),
    ));
    let branches = std::fs::read_to_string(data.path().join("entities/branches.yaml")).unwrap();
    let spelt = branches
        .replace("name: branches", "name: branch_annex")
        .replace(
            "legacy_table: dispatch_branch",
            "legacy_table: \" Dispatch_Branch \"",
        );
    std::fs::write(data.path().join("entities/zz-annex.yaml"), spelt).unwrap();
    let (_, _, findings) = run_at(data.path(), date());
    let office = findings
        .iter()
        .find(|f| f.rule == "missing.mapping.ambiguous" && f.subject.name == "dispatch_office")
        .expect("the finding on dispatch_office");
    assert_eq!(office.count, 2);
    assert!(
        office
            .message
            .contains("shares with dispatch_branch (OFFICE)"),
        "{}",
        office.message
    );
}

/// The value_mismatch fixture with `migcov.yaml`'s content and the rows files replaced.
fn content_case(config: &str, legacy: &str, target: &str) -> migcov::measure::Measures {
    let data = base_with(Some(
        &fixtures().join("rules/reconcile.content.value_mismatch/data"),
    ));
    std::fs::write(data.path().join("migcov.yaml"), config).unwrap();
    std::fs::write(data.path().join("rows/legacy/dispatch_office.csv"), legacy).unwrap();
    std::fs::write(data.path().join("rows/target/offices.csv"), target).unwrap();
    let (_, measures, _) = run(data.path());
    measures
}

const OFFICES: &str =
    "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    columns:\n";

/// Ids 1 to n with their values, legacy and target.
fn rows(values: &[(&str, &str)]) -> (String, String) {
    let mut legacy = String::from("id,v\n");
    let mut target = String::from("id,v\n");
    for (i, (l, t)) in values.iter().enumerate() {
        legacy.push_str(&format!("{},{l}\n", i + 1));
        target.push_str(&format!("7a0c8f3e-2b4d-4e6f-8a1b-{:012},{t}\n", i + 1));
    }
    (legacy, target)
}

#[test]
fn content_numbers_never_equal_by_failing_to_be_numbers() {
    // At scale 2: two texts that are no numbers differ; inf is no figure; numbers past
    // what rounding can hold are compared as they are; 2500.50 and 2500.5 are equal.
    let (legacy, target) = rows(&[
        ("abc", "xyz"),
        ("n/a", ""),
        ("inf", "-inf"),
        ("1e20", "2e20"),
        ("100000000000000000", "900000000000000000"),
        ("2500.50", "2500.5"),
        ("abc", "abc"),
    ]);
    let config = format!("{OFFICES}      v: {{target: v, scale: 2}}\n");
    let t = &content_case(&config, &legacy, &target).content[0];
    assert_eq!((t.compared, t.intact, t.differs), (7, 2, 5));
    // At scale 10, 1,000,000,000 and 1,000,000,001 differ (no overflow into equality).
    let (legacy, target) = rows(&[("1000000000", "1000000001"), ("5000000000", "6000000000")]);
    let config = format!("{OFFICES}      v: {{target: v, scale: 10}}\n");
    let t = &content_case(&config, &legacy, &target).content[0];
    assert_eq!((t.intact, t.differs), (0, 2));
    // With a tolerance, texts that are no numbers compare as text.
    let (legacy, target) = rows(&[("abc", "xyz"), ("1.000", "1.004")]);
    let config = format!("{OFFICES}      v: {{target: v, tolerance: 0.01}}\n");
    let t = &content_case(&config, &legacy, &target).content[0];
    assert_eq!((t.intact, t.differs), (1, 1));
}

#[test]
fn content_declarations_that_prove_nothing_are_not_checked() {
    let (legacy, target) = rows(&[("a", "a")]);
    let reasons = |config: &str, legacy: &str| -> Vec<String> {
        let m = content_case(config, legacy, &target);
        m.content_not_checked
            .iter()
            .map(|n| n.reason.clone())
            .collect()
    };
    // No column: nothing compared, so nothing intact.
    assert_eq!(
        reasons("content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    columns: {}\n", &legacy),
        ["the declaration compares no column"]
    );
    // Declared twice: checked once, not counted twice.
    let twice = format!("{OFFICES}      v: v\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    columns:\n      v: v\n");
    let m = content_case(&twice, &legacy, &target);
    assert_eq!((m.content.len(), m.content[0].compared), (1, 1));
    assert!(m.content_not_checked[0]
        .reason
        .starts_with("declared more than once"));
    // (A tolerance below 0 or a scale past 38 is an error of migcov.yaml: tests/build.rs.)
    // Keys written otherwise than the mappings' legacy_id: nothing mapped, said so.
    let config = format!("{OFFICES}      v: v\n");
    let reasons = reasons(&config, "id,v\n001,a\n");
    assert!(
        reasons[0].starts_with("none of the 1 legacy rows has a mapping of entity type OFFICE"),
        "{reasons:?}"
    );
    // An empty rows file names itself.
    let m = content_case(&config, "", &target);
    assert!(m.content_not_checked[0]
        .reason
        .starts_with("rows/legacy/dispatch_office.csv cannot be read"));
}

#[test]
fn content_columns_count_legacy_rows_and_may_share_a_target() {
    // Legacy id 1 twice, both differing: one legacy row differs, not two.
    let legacy = "id,v,w\n1,x,x\n1,x,x\n2,a,a\n";
    let target = "id,v,w\n7a0c8f3e-2b4d-4e6f-8a1b-000000000001,y,y\n7a0c8f3e-2b4d-4e6f-8a1b-000000000002,a,a\n";
    let config = format!("{OFFICES}      v: v\n      w: v\n");
    let t = &content_case(&config, legacy, target).content[0];
    assert_eq!((t.compared, t.intact, t.differs), (2, 1, 1));
    assert_eq!(
        t.columns.iter().map(|c| c.differing).collect::<Vec<_>>(),
        [1, 1]
    );
}

#[test]
fn content_unicode_forms_make_composed_and_decomposed_text_one() {
    // Genève written with one é (NFC) and with e and a combining accent (NFD); the ligature
    // fi against f and i.
    let (legacy, target) = rows(&[("Gen\u{e8}ve", "Gene\u{300}ve"), ("\u{fb01}le", "file")]);
    let plain = format!("{OFFICES}      v: v\n");
    let t = &content_case(&plain, &legacy, &target).content[0];
    assert_eq!((t.intact, t.differs), (0, 2));
    let nfc = format!("{OFFICES}      v: {{target: v, unicode: nfc}}\n");
    let t = &content_case(&nfc, &legacy, &target).content[0];
    assert_eq!((t.intact, t.differs), (1, 1));
    let nfkc = format!("{OFFICES}      v: {{target: v, unicode: nfkc}}\n");
    let t = &content_case(&nfkc, &legacy, &target).content[0];
    assert_eq!((t.intact, t.differs), (2, 0));
}

/// Two tables share entity type OFFICE. Without `legacy_table` in the mappings no mapping is
/// known to be the offices', so nothing is compared; with it, the branches' mappings of the
/// same legacy ids 1 to 3 (to other modern ids) never meet the offices' rows.
#[test]
fn content_of_a_shared_entity_type_uses_the_tables_own_mappings() {
    let data = base_with(Some(
        &fixtures().join("rules/reconcile.content.value_mismatch/data"),
    ));
    let entities = data.path().join("entities.yaml");
    let mut text = std::fs::read_to_string(&entities).unwrap();
    text.push_str(
        "- name: branches\n  domain: BUSINESS\n  legacy_table: dispatch_branch\n  \
         target_table: branches\n  total_records: 3\n  migrated_records: 3\n  \
         failed_records: 0\n  entity_type: OFFICE\n",
    );
    std::fs::write(&entities, text).unwrap();
    let (_, measures, _) = run(data.path());
    assert!(measures.content.is_empty());
    assert!(measures.content_not_checked[0]
        .reason
        .starts_with("entity type OFFICE is shared with another legacy table"));

    let mappings = data.path().join("mappings/offices.csv");
    let mut text = String::from("entity_type,legacy_id,modern_id,legacy_table\n");
    for i in 1..=10 {
        text.push_str(&format!(
            "OFFICE,{i},7a0c8f3e-2b4d-4e6f-8a1b-{i:012},dispatch_office\n"
        ));
    }
    for i in 1..=3 {
        text.push_str(&format!(
            "OFFICE,{i},7a0c8f3e-2b4d-4e6f-8a1b-{:012},dispatch_branch\n",
            100 + i
        ));
    }
    std::fs::write(&mappings, text).unwrap();
    let (_, measures, _) = run(data.path());
    let t = &measures.content[0];
    // As the value_mismatch fixture's README counts: 10 compared, 8 intact, 2 differ, and
    // no target missing (the branches' modern ids are no office).
    assert_eq!(
        (t.mapped, t.compared, t.intact, t.differs, t.target_missing),
        (10, 10, 8, 2, 0)
    );
}

#[test]
fn statuses_logged_in_one_instant_are_taken_in_the_logs_order() {
    // Worked by hand: IN_PROGRESS at 08:00:00, then FAILED and IN_PROGRESS (the retry) in
    // the same second, then COMPLETE: in the log's order every change is allowed, no
    // finding. Ordered by a run's life instead (IN_PROGRESS before FAILED), it read
    // FAILED → COMPLETE, a false finding (found by an independent check).
    let header = "script_id,operation_type,timestamp,level,message,context,user_id\n";
    let entry = |time: &str, status: &str| {
        format!("office-migration.ts,MIGRATE,2026-03-01T{time}Z,INFO,x,\"{{\"\"status\"\": \"\"{status}\"\"}}\",anna\n")
    };
    let log = format!(
        "{header}{}{}{}{}",
        entry("08:00:00", "IN_PROGRESS"),
        entry("08:00:05", "FAILED"),
        entry("08:00:05", "IN_PROGRESS"),
        entry("08:00:09", "COMPLETE")
    );
    let data = base_with(None);
    std::fs::write(data.path().join("logs/log.csv"), log).unwrap();
    let (_, _, findings) = run(data.path());
    let fired: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(fired.is_empty(), "{fired:?}");
}

#[test]
fn content_reads_a_blank_legacy_table_as_naming_no_table() {
    // Worked by hand: the fixture's mappings with `legacy_table` dispatch_office on the
    // first rows and only spaces on the rest. A blank names no table, as missing data reads
    // it: every mapping stays the entity's, the same figures as without the column. Before,
    // the blank rows were taken for another table's and left the comparison.
    let overlay = fixtures().join("rules/reconcile.content.value_mismatch/data");
    let plain = base_with(Some(&overlay));
    let (_, before, _) = run(plain.path());
    let named = base_with(Some(&overlay));
    let path = named.path().join("mappings/offices.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{},legacy_table\n", lines.next().unwrap());
    for (i, line) in lines.enumerate() {
        let table = if i < 3 { "dispatch_office" } else { "   " };
        out.push_str(&format!("{line},{table}\n"));
    }
    std::fs::write(&path, out).unwrap();
    let (_, after, _) = run(named.path());
    let figures = |m: &migcov::measure::Measures| {
        let t = &m.content[0];
        (t.mapped, t.compared, t.intact, t.differs, t.target_missing)
    };
    assert!(figures(&before).0 > 3);
    assert_eq!(figures(&after), figures(&before));
}

#[test]
fn content_missing_targets_are_shown_in_numeric_key_order() {
    // Worked by hand: legacy ids 1 to 10, all mapped, no target row: ten missing, kept in
    // numeric order, 1 to 10 (in text order they were 1, 10, 2, 3, ...).
    let values = vec![("a", "a"); 10];
    let (legacy, _) = rows(&values);
    let measures = content_case(&format!("{OFFICES}      v: v\n"), &legacy, "id,v\n");
    let table = &measures.content[0];
    assert_eq!(table.target_missing, 10);
    let shown: Vec<&str> = table
        .missing_samples
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(shown, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
}

#[test]
fn content_tolerances_hold_for_numbers_at_any_scale() {
    // Worked by hand: legacy 0 against 1.2345678901234567e-25, 0.000…1 (1e-40) and 1e-80,
    // each within 0.01 of 0: intact. 0.02 is not. Before, aligning 0.01 to the scale of
    // 1e-25 overflowed an i128 and every pair read as differing.
    // Then scales past 400 and a tolerance past what an i128 holds (found by a second
    // check).
    // (tolerance, (legacy, target) values, (intact, differs)).
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], (u64, u64));
    let cases: [Case; 3] = [
        (
            "0.01",
            &[
                ("0", "1.2345678901234567e-25"),
                ("0", "0.0000000000000000000000000000000000000001"),
                ("0", "1e-80"),
                ("0", "0.02"),
            ],
            (3, 1),
        ),
        (
            "0.01",
            &[("0", "1e-450"), ("1e-500", "0"), ("2", "3")],
            (2, 1),
        ),
        ("1e40", &[("1.0", "1"), ("2", "3"), ("0", "5e36")], (3, 0)),
    ];
    let mut last = None;
    for (tolerance, values, expected) in cases {
        let (legacy, target) = rows(values);
        let measures = content_case(
            &format!("{OFFICES}      v: {{target: v, tolerance: {tolerance}}}\n"),
            &legacy,
            &target,
        );
        let table = &measures.content[0];
        assert_eq!((table.intact, table.differs), expected, "{values:?}");
        last = Some(measures);
    }
    let measures = last.unwrap();
    let table = &measures.content[0];
    // So are the aggregates: the highest and the sums within the tolerance (a third check
    // found them compared as text).
    let unequal: Vec<&str> = table.columns[0]
        .aggregates
        .iter()
        .filter(|a| ["min", "max", "sum"].contains(&a.name.as_str()) && !a.equal)
        .map(|a| a.name.as_str())
        .collect();
    assert!(unequal.is_empty(), "{unequal:?}");
}

/// The base's content case with its rows files replaced: `legacy` and `target` are
/// (file name, contents) under rows/legacy and rows/target.
fn content_files(legacy: (&str, &str), target: (&str, &str)) -> migcov::measure::Measures {
    let data = base_with(Some(
        &fixtures().join("rules/reconcile.content.value_mismatch/data"),
    ));
    std::fs::write(
        data.path().join("migcov.yaml"),
        format!("{OFFICES}      v: v\n"),
    )
    .unwrap();
    for side in ["legacy", "target"] {
        for entry in std::fs::read_dir(data.path().join("rows").join(side)).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
    }
    std::fs::write(data.path().join("rows/legacy").join(legacy.0), legacy.1).unwrap();
    std::fs::write(data.path().join("rows/target").join(target.0), target.1).unwrap();
    let (_, measures, _) = run(data.path());
    measures
}

#[test]
fn content_rows_files_read_as_their_whole_contents_say() {
    let (_, target) = rows(&vec![("", "7"); 10]);
    // NDJSON whose column holds whole numbers to row 120 and 121.5 after: its types come
    // from every row (from the first 100 it failed to read). Ids 1 to 10 hold 7: intact.
    let legacy: String = (1..=150)
        .map(|i| match i {
            1..=10 => format!("{{\"id\": {i}, \"v\": 7}}\n"),
            11..=120 => format!("{{\"id\": {i}, \"v\": {i}}}\n"),
            _ => format!("{{\"id\": {i}, \"v\": {i}.5}}\n"),
        })
        .collect();
    let measures = content_files(
        ("dispatch_office.ndjson", &legacy),
        ("offices.csv", &target),
    );
    assert_eq!(measures.content_not_checked, []);
    assert_eq!(measures.content[0].intact, 10);
    // An empty NDJSON target file is an empty table: all ten targets missing; so is one of
    // 5,000 blank lines (past the 4 KiB read before, found by a second check).
    for blank in [String::new(), "\n".repeat(5000)] {
        let measures = content_files(
            ("dispatch_office.ndjson", &legacy),
            ("offices.ndjson", &blank),
        );
        assert_eq!(measures.content_not_checked, []);
        assert_eq!(measures.content[0].target_missing, 10);
    }
    // And a metrics export of blank lines is an export of no rows.
    let data = base_with(None);
    std::fs::write(data.path().join("metrics/blank.ndjson"), "\n".repeat(5000)).unwrap();
    let (_, _, findings) = run(data.path());
    assert!(findings.is_empty(), "{findings:?}");
    // A target header naming `v` twice: not checked, naming the file and the column.
    let twice = target.replacen("id,v", "id,v,v", 1).replace('\n', ",x\n");
    let twice = twice.replacen("id,v,v,x", "id,v,v", 1);
    let measures = content_files(("dispatch_office.ndjson", &legacy), ("offices.csv", &twice));
    let reasons: Vec<&str> = measures
        .content_not_checked
        .iter()
        .map(|n| n.reason.as_str())
        .collect();
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].contains("rows/target/offices.csv names column `v` more than once"),
        "{reasons:?}"
    );
    // A real column named as polars names a repeat's second (`v_duplicated_0`), on either
    // side, is no repeat (found by an independent check): compared, intact.
    let named = target.replacen("id,v", "id,v,v_duplicated_0", 1);
    let named = named
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => line.to_string(),
            _ => format!("{line},x"),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let legacy_named = "id,v_duplicated_0,v\n".to_string()
        + &(1..=10).map(|i| format!("{i},y,7\n")).collect::<String>();
    let (_, plain_target) = rows(&vec![("", "7"); 10]);
    for (legacy_file, target_file) in [
        (
            ("dispatch_office.ndjson", legacy.as_str()),
            ("offices.csv", named.as_str()),
        ),
        (
            ("dispatch_office.csv", legacy_named.as_str()),
            ("offices.csv", plain_target.as_str()),
        ),
    ] {
        let measures = content_files(legacy_file, target_file);
        assert_eq!(measures.content_not_checked, []);
        assert_eq!(measures.content[0].intact, 10);
    }
}

#[test]
fn content_never_compares_objects_as_text() {
    // An NDJSON object in a compared column: its cast to text kept the values and lost the
    // names (`{"amount": 1}` and `{"cents": 1}` were both `{1}`, intact). Not checked,
    // naming the file and the column.
    let (_, target) = rows(&vec![("", "{\"\"cents\"\": 1}"); 10]);
    let legacy: String = (1..=10)
        .map(|i| format!("{{\"id\": {i}, \"v\": {{\"amount\": 1}}}}\n"))
        .collect();
    let measures = content_files(
        ("dispatch_office.ndjson", &legacy),
        ("offices.csv", &target),
    );
    let reasons: Vec<&str> = measures
        .content_not_checked
        .iter()
        .map(|n| n.reason.as_str())
        .collect();
    assert!(
        reasons.len() == 1
            && reasons[0]
                .contains("rows/legacy/dispatch_office.ndjson column `v` holds nested values"),
        "{reasons:?}"
    );
}

#[test]
fn content_says_a_target_key_of_no_uuid_is_no_key() {
    // Target rows keyed by integers (1 to 10) where the mappings' modern_id are UUIDs: not
    // checked, saying so (before: ten target rows missing, an error that points elsewhere).
    let legacy: String = std::iter::once("id,v\n".to_string())
        .chain((1..=10).map(|i| format!("{i},a\n")))
        .collect();
    let target = legacy.clone();
    let measures = content_case(&format!("{OFFICES}      v: v\n"), &legacy, &target);
    assert!(measures.content.is_empty());
    let reasons: Vec<&str> = measures
        .content_not_checked
        .iter()
        .map(|n| n.reason.as_str())
        .collect();
    assert!(
        reasons.len() == 1
            && reasons[0].contains("the target key column `id` holds no UUID (such as `1`)"),
        "{reasons:?}"
    );
}

/// Found by an independent check: with `dispatch_office` and `Dispatch_Office` both in
/// the inventory, the office script's `dispatch_office` covered both (names compared
/// ignoring case), and the gate passed while the ledger showed `Dispatch_Office`
/// uncovered. A name covers the one table it resolves to, as the ledger resolves it:
/// three tables uncovered, 15 rows (the fixture's 10 and `Dispatch_Office`'s 5).
#[test]
fn a_table_differing_only_in_case_from_a_covered_one_is_uncovered() {
    let overlay = fixtures().join("rules/coverage.table.uncovered/data");
    let data = base_with(Some(&overlay));
    let source = data.path().join("inventory/source.csv");
    let mut text = std::fs::read_to_string(&source).unwrap();
    text.push_str("Dispatch_Office,5\n");
    std::fs::write(&source, text).unwrap();
    let (_, _, findings) = run(data.path());
    let uncovered: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "coverage.table.uncovered")
        .collect();
    assert_eq!(uncovered.len(), 1, "{findings:?}");
    assert_eq!(uncovered[0].count, 3);
    assert!(
        uncovered[0].message.contains("(15 rows)"),
        "{}",
        uncovered[0].message
    );
}

/// The inventory lists `Artist` (3 rows, its entity's table) and `artist` (500 rows, no
/// entity's), and no `source_ids`: the ledger cannot tell the three ARTIST mappings
/// apart between the two (they count for neither), and `artist` is uncovered. The
/// finding on the mappings named an empty list of tables sharing the type; it names the
/// other spelling (both found by an independent check). Worked out in the fixture's
/// README.
#[test]
fn case_twins_are_uncovered_and_their_mappings_ambiguous_by_name() {
    let data = fixtures().join("case-twins");
    let (_, measures, findings) = run(&data);
    let ledger = measures.ledger.as_ref().unwrap();
    assert_eq!(
        (ledger.totals.migrated, ledger.totals.ambiguous),
        (0, 3),
        "{:?}",
        ledger.totals
    );
    let of = |rule: &str| -> Vec<(u64, String)> {
        findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| (f.count, f.message.clone()))
            .collect()
    };
    let uncovered = of("coverage.table.uncovered");
    assert_eq!(uncovered.len(), 1);
    assert_eq!(uncovered[0].0, 1);
    assert!(uncovered[0].1.contains("(500 rows)"), "{uncovered:?}");
    let ambiguous = of("missing.mapping.ambiguous");
    assert_eq!(ambiguous.len(), 1, "{findings:?}");
    assert_eq!(ambiguous[0].0, 3);
    assert!(
        ambiguous[0]
            .1
            .contains("cannot be told apart from those of artist"),
        "{ambiguous:?}"
    );
}

/// Found by an independent check: `coverage.table.uncovered` summed the inventory's own
/// row counts, so a table listed with -3 rows took its uncovered rows from 10 to 7, and it
/// counted a table whose every id an `ids:` exclusion leaves out; the ledger (and the
/// index) said 1 table, 10 rows. It now counts the ledger's rows. Worked by hand: the
/// base plus `tc` (-3 rows, counted as 0), `td` (10 rows, nobody's) and `te` (4 rows, its
/// 4 ids excluded): the ledger's 1 uncovered table, `td`, 10 rows; the finding names `tc`
/// too, a table nobody covers though it has no rows (so a table of 0 rows still fails the
/// gate, as before): 2 tables, 10 rows, 1 of them with none.
#[test]
fn uncovered_tables_are_the_ledgers() {
    let data = base_with(None);
    let path = data.path();
    std::fs::write(
        path.join("inventory/source.csv"),
        "table,row_count\ndispatch_office,10\ntc,-3\ntd,10\nte,4\n",
    )
    .unwrap();
    std::fs::create_dir_all(path.join("exclusions")).unwrap();
    std::fs::write(path.join("exclusions/te.csv"), "id\n1\n2\n3\n4\n").unwrap();
    std::fs::write(
        path.join("migcov.yaml"),
        "exclusions:\n  - table: te\n    ids: exclusions/te.csv\n    reason: r\n    approved_by: a\n",
    )
    .unwrap();
    let (_, measures, findings) = run(path);
    let totals = &measures.ledger.as_ref().unwrap().totals;
    assert_eq!((totals.uncovered_tables, totals.uncovered_rows), (1, 10));
    let uncovered: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "coverage.table.uncovered")
        .collect();
    assert_eq!(uncovered.len(), 1, "{findings:?}");
    assert_eq!(uncovered[0].count, 2);
    assert!(
        uncovered[0].message.starts_with(
            "2 legacy tables (10 rows; 1 of them with none) are migrated by no script"
        ),
        "{}",
        uncovered[0].message
    );
    let tables: Vec<&str> = uncovered[0]
        .samples
        .iter()
        .map(|s| s.fields[0].value.as_str())
        .collect();
    assert_eq!(tables, ["tc", "td"]);
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.rule == "coverage.inventory.negative_count")
            .count(),
        1
    );
}

/// Found by an independent check: a table owned by entities of two domains counted in the
/// domain of whichever entity came first in the file, so one domain's coverage changed
/// with the file's order. It is the first owner's by name in either order. Worked by hand
/// (the rule's fixture): `addresses` (CLINICAL) sorts before `offices` (BUSINESS), so
/// CLINICAL's coverage is dispatch_office's 10 of 10, and BUSINESS has no figure.
#[test]
fn a_tables_domain_does_not_depend_on_the_files_order() {
    let overlay = fixtures().join("rules/integrity.table.domain_conflict/data");
    for reversed in [false, true] {
        let data = base_with(Some(&overlay));
        if reversed {
            let path = data.path().join("entities.yaml");
            let text = std::fs::read_to_string(&path).unwrap();
            let (first, second) = text.split_at(text.find("- name: addresses").unwrap());
            std::fs::write(&path, format!("{second}{first}")).unwrap();
        }
        let (_, measures, _) = run(data.path());
        let ledger = measures.ledger.as_ref().unwrap();
        let row = ledger
            .rows
            .iter()
            .find(|r| r.table == "dispatch_office")
            .unwrap();
        assert_eq!(
            row.domain,
            Some(migcov::model::Domain::Clinical),
            "reversed {reversed}"
        );
    }
}

/// Found by a review: a table no entity owns, read by scripts of two domains, took its
/// domain from whichever script came first, and nothing said so. It counts in the first
/// script's by name, and `integrity.table.domain_conflict` names both. Worked by hand: the
/// base without its entity, plus `a-office-clinical.ts` (CLINICAL) reading
/// `dispatch_office` beside `office-migration.ts` (BUSINESS): CLINICAL, 2 scripts.
#[test]
fn a_table_read_by_scripts_of_two_domains_is_a_conflict() {
    let data = base_with(None);
    std::fs::write(data.path().join("entities.yaml"), "[]\n").unwrap();
    std::fs::write(
        data.path().join("scripts/clinical.yaml"),
        "name: a-office-clinical.ts\ncategory: CORE\ndata_domain: CLINICAL\nsource_table: dispatch_office\ntarget_table: offices\nstatus: COMPLETE\n",
    )
    .unwrap();
    let (_, measures, findings) = run(data.path());
    let row = measures
        .ledger
        .as_ref()
        .unwrap()
        .rows
        .iter()
        .find(|r| r.table == "dispatch_office")
        .unwrap();
    assert_eq!(row.domain, Some(migcov::model::Domain::Clinical));
    let conflict: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "integrity.table.domain_conflict")
        .collect();
    assert_eq!(conflict.len(), 1, "{findings:?}");
    assert_eq!(conflict[0].count, 2);
    assert!(
        conflict[0]
            .message
            .contains("read by scripts of 2 domains (CLINICAL, BUSINESS)")
            || conflict[0]
                .message
                .contains("read by scripts of 2 domains (BUSINESS, CLINICAL)"),
        "{}",
        conflict[0].message
    );
}
