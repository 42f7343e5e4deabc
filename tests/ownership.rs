//! Ownership: entities that share a legacy table, an entity_type or a target table are
//! judged once as a group, and untagged metrics are credited only to a script's only
//! entity. Figures from tests/fixtures/ownership/README.md.

mod common;

use common::{base_with, fixtures, run};

#[test]
fn shared_tables_types_and_untagged_metrics_are_never_counted_twice() {
    let data = base_with(Some(&fixtures().join("ownership")));
    std::fs::remove_file(data.path().join("README.md")).ok();
    let (inputs, measures, findings) = run(data.path());
    assert_eq!(inputs.entities.len(), 2);
    let fired: Vec<(&str, &str, u64)> = findings
        .iter()
        .map(|f| (f.rule.as_str(), f.subject.name.as_str(), f.count))
        .collect();
    assert_eq!(
        fired,
        [
            ("integrity.entity.shared_entity_type", "offices", 2),
            ("reconcile.entity.metrics_successful", "office_annex", 3),
            ("reconcile.entity.metrics_successful", "offices", 7),
        ]
    );
    let ledger = measures.ledger.unwrap();
    assert_eq!(ledger.rows.len(), 1);
    let line = &ledger.rows[0];
    assert_eq!(
        (
            line.legacy_rows,
            line.migrated.value,
            line.failed.value,
            line.unaccounted
        ),
        (10, 10, 0, 0)
    );
    assert_eq!(ledger.totals.coverage, Some(1.0));
}

#[test]
fn a_source_id_listed_twice_is_one_matched_id_and_one_unmapped_id() {
    // Worked by hand: ids 1..10 plus 1 again and 11 twice (13 rows); mappings cover 1..10.
    // Distinct matched ids: 10 (id 1 once). Unmapped: id 11, once (a legacy record is an
    // id, as the ledger counts it; the finding still lists both of its rows).
    let data = base_with(None);
    let mut ids = String::from("id\n");
    for id in [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11] {
        ids.push_str(&format!("{id}\n"));
    }
    std::fs::write(data.path().join("source_ids/dispatch_office.csv"), ids).unwrap();
    let (_, measures, findings) = run(data.path());
    let table = &measures.missing[0];
    assert_eq!(
        (table.ids, table.matched, table.unmapped, table.orphans),
        (13, 10, 1, 0)
    );
    assert_eq!(measures.missing_records, 1);
    let unmapped: Vec<(u64, &str)> = findings
        .iter()
        .filter(|f| f.rule.as_str() == "missing.mapping.unmapped")
        .map(|f| (f.count, f.message.as_str()))
        .collect();
    // The finding lists both rows of id 11; its message counts ids, as the ledger does
    // (11 distinct, not the file's 13 rows).
    assert_eq!(
        unmapped,
        [(
            2,
            "1 of 11 legacy ids in dispatch_office have no OFFICE mapping (entity offices), listed in 2 rows"
        )]
    );
}

#[test]
fn mapping_entity_types_match_in_any_case_and_spacing() {
    // The base's ten mappings, their entity_type written three ways, plus three PATIENT
    // mappings no entity owns: the ten are all OFFICE, so the office table's figures hold
    // (10 matched, nothing unmapped, no orphan), and every row's key is its own type folded.
    let data = base_with(None);
    let mut text = String::from("entity_type,legacy_id,modern_id\n");
    for id in 1..=13 {
        let kind = match id {
            11.. => ["patient", " Patient"][id % 2],
            _ => ["office", " Office ", "OFFICE"][id % 3],
        };
        text.push_str(&format!("{kind},{id},7a0c8f3e-2b4d-4e6f-8a1b-{id:012}\n"));
    }
    std::fs::write(data.path().join("mappings/offices.csv"), text).unwrap();
    let (inputs, measures, _) = run(data.path());
    let column = |name: &str| -> Vec<String> {
        inputs
            .mappings
            .column(name)
            .unwrap()
            // `entity_type` and its key are dictionary columns: read as text.
            .cast(&polars::prelude::DataType::String)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|k| k.unwrap_or_default().to_string())
            .collect()
    };
    let folded: Vec<String> = column("entity_type")
        .iter()
        .map(|t| t.trim().to_uppercase())
        .collect();
    assert_eq!(column(migcov::load::ENTITY_TYPE_KEY), folded);
    assert_eq!(folded.iter().filter(|t| *t == "OFFICE").count(), 10);
    let table = &measures.missing[0];
    assert_eq!((table.matched, table.unmapped, table.orphans), (10, 0, 0));
}

/// A data folder of `files` (path, text) and a BUSINESS domain.
fn data_of(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let domains = (
        "domains.yaml",
        "- name: BUSINESS\n  description: Business data.\n  priority: HIGH\n",
    );
    for (path, text) in files.iter().chain([&domains]) {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// One script over `dispatch_office` (10 rows), no entity, with `metrics` as its only
/// measurement of the table.
fn script_only(metrics: &str) -> tempfile::TempDir {
    data_of(&[
        (
            "scripts/office.yaml",
            "name: office-migration.ts\ncategory: CORE\ndata_domain: BUSINESS\nsource_table: dispatch_office\ntarget_table: offices\nstatus: COMPLETE\n",
        ),
        ("inventory/source.csv", "table,row_count\ndispatch_office,10\n"),
        ("inventory/target.csv", "table,row_count\noffices,10\n"),
        ("metrics/m.csv", metrics),
    ])
}

#[test]
fn run_ids_are_trimmed_as_keys_are() {
    // Worked by hand: run `r1 ` (a padded CHAR) moved 6 of 10, run `r2` resumed it and moved
    // the other 4: both count, 10 migrated. Before, `r1 ` was not the `r1` resumed: 4.
    let header = "script_id,run_id,resumes_run_id,execution_date,records_processed,records_successful,records_failed,execution_time_ms\n";
    let resumed = script_only(&format!(
        "{header}office-migration.ts,r1 ,,2026-03-01T08:00:00Z,10,6,4,1000\noffice-migration.ts,r2,r1,2026-03-01T09:00:00Z,4,4,0,1000\n"
    ));
    let (_, measures, _) = run(resumed.path());
    let line = &measures.ledger.unwrap().rows[0];
    assert_eq!((line.migrated.value, line.failed.value), (10, 0));
    // ` r1` and `r1` are one run of two batches (5 + 5), not two runs of which the later
    // is final (5).
    let batches = script_only(&format!(
        "{header}office-migration.ts,r1,,2026-03-01T08:00:00Z,5,5,0,1000\noffice-migration.ts, r1,,2026-03-01T09:00:00Z,5,5,0,1000\n"
    ));
    let (_, measures, _) = run(batches.path());
    let line = &measures.ledger.unwrap().rows[0];
    assert_eq!((line.migrated.value, line.failed.value), (10, 0));
}

#[test]
fn a_scripts_metrics_claimed_by_an_entity_count_on_its_table_only() {
    // Worked by hand: order-migration.ts reads dispatch_order (200 rows, no entity) and its
    // only entity, order_lines, dispatch_order_line (100 rows, 100 migrated). Its metrics
    // row (100 successful) is order_lines', tagged or untagged (a script's only entity is
    // credited with its untagged rows): 100 of 300 migrated, none of dispatch_order's.
    // Before, the row counted on dispatch_order too: 200 of 300.
    for (entity, successful, failed) in [("order_lines", 100, 0), ("", 90, 10)] {
        let metrics = format!("script_id,entity_id,execution_date,records_processed,records_successful,records_failed,execution_time_ms\norder-migration.ts,{entity},2026-03-01T08:00:00Z,100,{successful},{failed},1000\n");
        let dir = data_of(&[
            (
                "entities.yaml",
                "- name: order_lines\n  domain: BUSINESS\n  legacy_table: dispatch_order_line\n  target_table: order_lines\n  total_records: 100\n  migrated_records: 100\n  failed_records: 0\n  migration_script_id: order-migration.ts\n",
            ),
            (
                "scripts/order.yaml",
                "name: order-migration.ts\ncategory: CORE\ndata_domain: BUSINESS\nsource_table: dispatch_order\ntarget_table: orders\nstatus: COMPLETE\n",
            ),
            (
                "inventory/source.csv",
                "table,row_count\ndispatch_order,200\ndispatch_order_line,100\n",
            ),
            ("inventory/target.csv", "table,row_count\norders,0\norder_lines,100\n"),
            ("metrics/m.csv", &metrics),
        ]);
        let (_, measures, _) = run(dir.path());
        let ledger = measures.ledger.unwrap();
        let lines: Vec<(&str, i64, i64)> = ledger
            .rows
            .iter()
            .map(|r| (r.table.as_str(), r.migrated.value, r.failed.value))
            .collect();
        assert_eq!(
            lines,
            [("dispatch_order", 0, 0), ("dispatch_order_line", 100, 0)],
            "entity {entity:?}"
        );
        assert_eq!(ledger.totals.migrated, 100);
    }
}

#[test]
fn an_id_listed_twice_in_source_ids_is_one_row_of_the_inventory() {
    // Worked by hand: ids 1..10 with 1 listed twice (11 rows, 10 ids) against an
    // inventory of 10 rows: they agree, no reconcile.table.source_ids (before: "lists 11
    // ids ... counts 1 apart", failing the gate). With 11 also listed, 11 ids in 12 rows:
    // one apart, said with the rows.
    for (ids, expected) in [
        (&[1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10][..], None),
        (
            &[1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11][..],
            Some("source_ids/dispatch_office lists 11 ids (in 12 rows), but the source inventory counts 10 rows of dispatch_office: missing data and the ledger rest on counts 1 apart"),
        ),
    ] {
        let data = base_with(None);
        let text: String = std::iter::once("id".to_string())
            .chain(ids.iter().map(|i| i.to_string()))
            .map(|l| l + "\n")
            .collect();
        std::fs::write(data.path().join("source_ids/dispatch_office.csv"), text).unwrap();
        let (_, _, findings) = run(data.path());
        let message = findings
            .iter()
            .find(|f| f.rule.as_str() == "reconcile.table.source_ids")
            .map(|f| f.message.as_str());
        assert_eq!(message, expected);
    }
}
