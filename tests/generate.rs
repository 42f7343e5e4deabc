//! `migcov generate`: deterministic, in the input contract, and every injected defect is
//! found with exactly the count `expected_defects.json` records.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::run;
use migcov::generate::Shape;
use migcov::model::Status;
use serde_json::Value;

fn generate(out: &Path, records: u64, seed: u64) -> Value {
    generate_as(out, records, seed, Shape::Narrow)
}

fn generate_as(out: &Path, records: u64, seed: u64, shape: Shape) -> Value {
    migcov::generate::generate_shaped(out, records, seed, shape).unwrap();
    serde_json::from_slice(&std::fs::read(out.join("expected_defects.json")).unwrap()).unwrap()
}

/// The realistic shape's mapping rows: a UUID `id`, text legacy ids (prefixed codes for
/// messages, as their source ids), upper-case UUIDs for patients, metadata objects.
fn realistic_rows(data: &Path) {
    use polars::prelude::*;
    let path = data.join("mappings/legacy-mappings.parquet");
    let frame =
        LazyFrame::scan_parquet(PlRefPath::try_from_path(&path).unwrap(), Default::default())
            .unwrap()
            .collect()
            .unwrap();
    let names: Vec<&str> = frame
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "entity_type",
            "legacy_id",
            "modern_id",
            "migration_batch",
            "migrated_at",
            "metadata"
        ]
    );
    assert_eq!(
        frame.column("legacy_id").unwrap().dtype(),
        &DataType::String
    );
    let row = |entity_type: &str| -> Vec<String> {
        let types = frame.column("entity_type").unwrap().str().unwrap();
        let i = (0..frame.height())
            .find(|&i| types.get(i) == Some(entity_type))
            .unwrap();
        ["id", "legacy_id", "modern_id", "metadata"]
            .iter()
            .map(|c| {
                frame
                    .column(c)
                    .unwrap()
                    .str()
                    .unwrap()
                    .get(i)
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let message = row("MESSAGE");
    assert!(message[1].starts_with("MSG-"), "{message:?}");
    assert_eq!(message[0].len(), 36);
    assert!(
        message[3].starts_with("{\"export\":{") && message[3].len() > 150,
        "{message:?}"
    );
    let patient = row("PATIENT");
    assert_eq!(patient[2], patient[2].to_uppercase());
    let ids = std::fs::read_to_string(data.join("source_ids/dispatch_message.csv")).unwrap();
    assert!(ids.lines().nth(1).unwrap().starts_with("MSG-"));
}

fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn injected_defects_are_found_with_their_exact_counts() {
    defects_are_found(Shape::Narrow);
}

/// Mapping rows as a real export has them (UUID ids, text legacy ids, upper-case UUIDs,
/// wide metadata) carry the same defects, found with the same counts.
#[test]
fn injected_defects_are_found_in_the_realistic_shape_too() {
    defects_are_found(Shape::Realistic);
}

fn defects_are_found(shape: Shape) {
    let dir = tempfile::tempdir().unwrap();
    let expected = generate_as(dir.path(), 5_000, 7, shape)["defects"].clone();
    if shape == Shape::Realistic {
        realistic_rows(dir.path());
    }
    let (inputs, measures, findings) = run(dir.path());

    // The excluded table is in the ledger as excluded, not as uncovered.
    let ledger = measures.ledger.as_ref().unwrap();
    for (table, rows) in expected["excluded_tables"].as_object().unwrap() {
        let line = ledger.rows.iter().find(|r| &r.table == table).unwrap();
        assert_eq!(
            line.excluded.value as u64,
            rows.as_u64().unwrap(),
            "{table}"
        );
        assert_eq!((line.unaccounted, line.in_scope), (0, 0), "{table}");
    }
    // A retried script: its failed attempt is superseded; the final run alone is measured.
    for (script, attempted) in expected["retried_scripts"].as_object().unwrap() {
        let id = inputs
            .scripts
            .iter()
            .find(|s| &s.name == script)
            .unwrap()
            .id;
        let (final_run, all) = (&measures.scripts[&id], &measures.attempts[&id]);
        let attempted = attempted.as_i64().unwrap();
        assert_eq!(
            all.records_processed - final_run.records_processed,
            attempted
        );
        assert_eq!(all.records_failed - final_run.records_failed, attempted);
        assert_eq!(all.records_successful, final_run.records_successful);
        assert_eq!(all.executions, final_run.executions + 1);
    }

    let count = |rule: &str, subject: Option<&str>| -> u64 {
        findings
            .iter()
            .filter(|f| f.rule == rule && subject.is_none_or(|s| f.subject.name == s))
            .map(|f| f.count)
            .sum()
    };
    assert_eq!(
        count("integrity.mapping.invalid_modern_id", None),
        expected["invalid_modern_ids"].as_u64().unwrap()
    );
    assert_eq!(
        count("integrity.reference.unresolved", Some("metrics.script_id")),
        expected["unresolved_metric_script_refs"].as_u64().unwrap()
    );
    assert_eq!(
        count("integrity.log.invalid_enum", None),
        expected["invalid_log_enums"].as_u64().unwrap()
    );
    let names = |rule: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.rule == rule)
            .flat_map(|f| f.samples.iter())
            .map(|s| {
                s.fields
                    .first()
                    .map(|f| f.value.clone())
                    .unwrap_or_else(|| s.file.rsplit('/').next().unwrap().to_string())
            })
            .collect()
    };
    let as_names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names("coverage.scripts.unaccounted"),
        as_names(&expected["unaccounted_scripts"])
    );
    assert_eq!(
        names("coverage.scripts.missing_on_disk"),
        as_names(&expected["missing_on_disk_scripts"])
    );
    let mismatched: Vec<String> = findings
        .iter()
        .filter(|f| f.rule == "integrity.script.success_rate_mismatch")
        .map(|f| f.subject.name.clone())
        .collect();
    assert_eq!(
        mismatched,
        as_names(&expected["success_rate_mismatch_scripts"])
    );
    let failed: Vec<String> = inputs
        .scripts
        .iter()
        .filter(|s| s.status == Status::Failed)
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(failed, as_names(&expected["failed_scripts"]));

    let total = |key: &str| -> u64 {
        expected[key]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum()
    };
    let number = |key: &str| expected[key].as_u64().unwrap();
    assert_eq!(
        count("coverage.table.uncovered", None),
        expected["uncovered_tables"].as_object().unwrap().len() as u64
    );
    assert_eq!(
        count("missing.mapping.unmapped", None),
        total("unmapped_ids")
    );
    assert_eq!(
        count("missing.mapping.orphan", None),
        total("orphan_mappings")
    );
    assert_eq!(
        count("reconcile.content.value_mismatch", None),
        total("value_mismatches")
    );
    // The offices' orphan mappings name ids the legacy table, and so its rows file, lacks:
    // never compared.
    assert_eq!(
        count("reconcile.content.rows_missing", None),
        expected["orphan_mappings"]["offices"].as_u64().unwrap()
    );
    assert_eq!(
        count("integrity.mapping.duplicate_legacy_id", None),
        total("duplicate_legacy_ids")
    );
    assert_eq!(
        count("integrity.json.invalid", None),
        number("invalid_json")
    );
    assert_eq!(
        count("integrity.metrics.throughput_mismatch", None),
        number("throughput_mismatches")
    );
    assert_eq!(
        count("integrity.status.invalid_transition", None),
        number("invalid_status_transitions")
    );
    let final_mismatch: Vec<String> = findings
        .iter()
        .filter(|f| f.rule == "integrity.status.final_mismatch")
        .map(|f| f.subject.name.clone())
        .collect();
    assert_eq!(
        final_mismatch,
        as_names(&expected["status_final_mismatch_scripts"])
    );
    // Reconciliation: dropped mappings short, orphans and duplicates over, target drift.
    let delta = |rule: &str, entity: &str| -> i64 {
        let f = findings
            .iter()
            .find(|f| f.rule == rule && f.subject.name == entity)
            .unwrap_or_else(|| panic!("no {rule} for {entity}"));
        f.samples[0].fields[2].value.parse().unwrap()
    };
    let of = |key: &str, entity: &str| expected[key][entity].as_i64().unwrap();
    assert_eq!(
        delta("reconcile.entity.mapping_count", "messages"),
        -of("dropped_mappings", "messages")
    );
    assert_eq!(
        delta("reconcile.entity.mapping_count", "offices"),
        of("orphan_mappings", "offices")
    );
    assert_eq!(
        delta("reconcile.entity.mapping_count", "patients"),
        of("duplicate_legacy_ids", "patients")
    );
    // Distinct ids: dropped mappings are missing ids, orphans extra ids; duplicates add none.
    assert_eq!(
        delta("reconcile.entity.distinct_mapped_ids", "messages"),
        -of("dropped_mappings", "messages")
    );
    assert_eq!(
        delta("reconcile.entity.distinct_mapped_ids", "offices"),
        of("orphan_mappings", "offices")
    );
    assert!(!findings
        .iter()
        .any(|f| f.rule == "reconcile.entity.distinct_mapped_ids" && f.subject.name == "patients"));
    let expected_mapping_delta = of("dropped_mappings", "messages")
        + of("orphan_mappings", "offices")
        + of("duplicate_legacy_ids", "patients");
    assert_eq!(
        count("reconcile.entity.mapping_count", None),
        expected_mapping_delta as u64
    );
    assert_eq!(
        delta("reconcile.entity.target_rows", "orders"),
        of("target_row_drift", "orders")
    );

    // Nothing else is flagged: the generator injects exactly these problems.
    let rules: BTreeSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        rules.into_iter().collect::<Vec<_>>(),
        [
            "coverage.scripts.missing_on_disk",
            "coverage.scripts.unaccounted",
            "coverage.table.uncovered",
            "integrity.json.invalid",
            "integrity.log.invalid_enum",
            "integrity.mapping.duplicate_legacy_id",
            "integrity.mapping.invalid_modern_id",
            "integrity.metrics.throughput_mismatch",
            "integrity.reference.unresolved",
            "integrity.script.success_rate_mismatch",
            "integrity.status.final_mismatch",
            "integrity.status.invalid_transition",
            "missing.mapping.orphan",
            "missing.mapping.unmapped",
            "reconcile.content.rows_missing",
            "reconcile.content.value_mismatch",
            "reconcile.entity.distinct_mapped_ids",
            "reconcile.entity.mapping_count",
            "reconcile.entity.target_rows",
        ]
    );
}

#[test]
fn the_same_seed_and_size_give_identical_files() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    generate(a.path(), 1_000, 3);
    generate(b.path(), 1_000, 3);
    assert!(files(a.path()) == files(b.path()));
    let c = tempfile::tempdir().unwrap();
    generate(c.path(), 1_000, 4);
    assert!(files(a.path()) != files(c.path()), "the seed matters");
}

#[test]
fn the_bundled_sample_is_the_documented_generate_run() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 20_000, 42);
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let (fresh, kept) = (files(dir.path()), files(&bundled));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fresh), names(&kept));
    for ((name, a), (_, b)) in fresh.iter().zip(&kept) {
        assert!(
            a == b,
            "data/{name} differs from `migcov generate --records 20000 --seed 42`"
        );
    }
}

#[test]
fn record_totals_add_up_to_the_requested_size() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 10_000, 1);
    let (inputs, measures, _) = run(dir.path());
    let total: i64 = inputs.entities.iter().map(|e| e.total_records).sum();
    // Each of the 39 entities rounds its share down: at most one record lost per entity.
    assert!((10_000 - 39..=10_000).contains(&total), "{total}");
    // Metrics agree with the entities they migrated: Σ successful = Σ migrated for the
    // scripts that own an entity.
    for entity in &inputs.entities {
        let Some(script) = entity.migration_script_id else {
            continue;
        };
        let successful = measures
            .scripts
            .get(&script)
            .map(|t| t.records_successful)
            .unwrap_or(0);
        assert_eq!(successful, entity.migrated_records, "{}", entity.name);
    }
}
