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
fn a_source_id_listed_twice_is_one_matched_id_and_two_unmapped_rows() {
    // Worked by hand: ids 1..10 plus 1 again and 11 twice (13 rows); mappings cover 1..10.
    // Distinct matched ids: 10 (id 1 once). Unmapped rows: the two rows of id 11.
    let data = base_with(None);
    let mut ids = String::from("id\n");
    for id in [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11] {
        ids.push_str(&format!("{id}\n"));
    }
    std::fs::write(data.path().join("source_ids/dispatch_office.csv"), ids).unwrap();
    let (_, measures, _) = run(data.path());
    let table = &measures.missing[0];
    assert_eq!(
        (table.ids, table.matched, table.unmapped, table.orphans),
        (13, 10, 2, 0)
    );
}
