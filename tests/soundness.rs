//! A ledger and a headline that never claim more than they prove: the `soundness` fixtures,
//! every figure worked out by hand in tests/fixtures/soundness/README.md, then the same
//! invariants over generated ledgers (any tables, types, mappings, exclusions, runs and
//! file orders).

mod common;

use common::{fixtures, run};
use migcov::measure::ledger::{LedgerRow, Source};
use migcov::measure::Measures;
use migcov::validate::Finding;

fn fixture(name: &str) -> (Measures, Vec<Finding>) {
    let (_, measures, findings) = run(&fixtures().join("soundness").join(name));
    (measures, findings)
}

fn line<'a>(measures: &'a Measures, table: &str) -> &'a LedgerRow {
    measures
        .ledger
        .as_ref()
        .expect("an inventory, so a ledger")
        .rows
        .iter()
        .find(|r| r.table == table)
        .unwrap_or_else(|| panic!("no ledger line for {table}"))
}

/// (migrated, failed, excluded, unaccounted, ambiguous, difference) of one line.
fn terms(row: &LedgerRow) -> (i64, i64, i64, i64, i64, i64) {
    (
        row.migrated.value,
        row.failed.value,
        row.excluded.value,
        row.unaccounted,
        row.ambiguous,
        row.difference,
    )
}

/// (in scope, migrated) of the headline.
fn headline(measures: &Measures) -> (i64, i64) {
    let totals = &measures.ledger.as_ref().unwrap().totals;
    (totals.in_scope, totals.migrated)
}

fn missing<'a>(measures: &'a Measures, table: &str) -> &'a migcov::measure::missing::MissingTable {
    measures
        .missing
        .iter()
        .find(|m| m.table == table)
        .unwrap_or_else(|| panic!("no missing-data line for {table}"))
}

fn fired(findings: &[Finding], rule: &str) -> Vec<(String, u64)> {
    findings
        .iter()
        .filter(|f| f.rule.as_str() == rule)
        .map(|f| (f.subject.name.clone(), f.count))
        .collect()
}

#[test]
fn tables_sharing_an_entity_type_claim_only_what_names_them() {
    let (m, _) = fixture("shared-type");
    // No mapping names a customers table: all ten ids of each are ambiguous, none migrated.
    assert_eq!(terms(line(&m, "customers_eu")), (0, 0, 0, 10, 10, 0));
    assert_eq!(terms(line(&m, "customers_us")), (0, 0, 0, 10, 10, 0));
    assert_eq!(
        line(&m, "customers_eu").migrated.source,
        Source::SourceIdsAndMappings
    );
    for table in ["customers_eu", "customers_us"] {
        let t = missing(&m, table);
        assert_eq!((t.ids, t.unmapped, t.ambiguous, t.matched), (10, 0, 10, 0));
    }
    // Orders 1-4 name orders_eu (any case, any spaces); 5 names no table.
    assert_eq!(terms(line(&m, "orders_eu")), (4, 0, 0, 1, 1, 0));
    assert_eq!(line(&m, "orders_eu").migrated.source, Source::Mappings);
    assert_eq!(terms(line(&m, "orders_us")), (0, 0, 0, 5, 1, 0));
    // 4 of 30: it read 30 of 30 before.
    assert_eq!(headline(&m), (30, 4));
    assert_eq!(m.ledger.as_ref().unwrap().totals.ambiguous, 22);
}

#[test]
fn a_table_excluded_whole_leaves_both_sides_of_the_headline() {
    let (m, findings) = fixture("excluded-whole");
    assert_eq!(terms(line(&m, "fax_archive")), (0, 0, 10, 0, 0, 0));
    assert_eq!(line(&m, "fax_archive").migrated.source, Source::Exclusions);
    assert_eq!(terms(line(&m, "customer")), (10, 0, 0, 0, 0, 0));
    // 10 of 10; it read 15 of 10 (150%) before.
    assert_eq!(headline(&m), (10, 10));
    assert!(fired(&findings, "reconcile.ledger.over_count").is_empty());
}

#[test]
fn metrics_count_once_and_never_outvote_ids() {
    let (m, findings) = fixture("two-scripts");
    // pgloader's copy into staging.artist (not in the target inventory) claims nothing.
    assert_eq!(terms(line(&m, "artist")), (18, 2, 0, 0, 0, 0));
    // Two scripts landing in albums claim 20 of 10: capped, and the excess reported.
    assert_eq!(terms(line(&m, "album")), (10, 0, 0, 0, 0, -10));
    assert_eq!(
        fired(&findings, "reconcile.ledger.over_count"),
        [("album".to_string(), 10)]
    );
    // Its 10 ids have no mapping: unmapped, so not migrated, whatever the metrics say.
    assert_eq!(terms(line(&m, "track")), (0, 0, 0, 10, 0, 0));
    assert_eq!(missing(&m, "track").unmapped, 10);
    assert_eq!(headline(&m), (40, 28));
}

#[test]
fn a_tie_has_one_final_run_and_a_resumed_run_counts_with_its_resumption() {
    let (m, _) = fixture("runs");
    // Runs a and b both end at 10:00: b (the greater run_id) is final.
    assert_eq!(terms(line(&m, "t_same")), (9, 1, 0, 0, 0, 0));
    // r2 resumes r1: both count (5 + 4 successful, 1 failed).
    assert_eq!(terms(line(&m, "t_resumed")), (9, 1, 0, 0, 0, 0));
    assert_eq!(headline(&m), (20, 18));
    let all = &m.all_scripts;
    assert_eq!(
        (
            all.records_processed,
            all.records_successful,
            all.records_failed
        ),
        (20, 18, 2)
    );
    // Every attempt: a, b, r1 and r2.
    assert_eq!(m.all_attempts.records_processed, 30);
}

#[test]
fn entity_types_fold_by_one_unicode_rule() {
    let (m, _) = fixture("unicode-type");
    assert_eq!(terms(line(&m, "employe")), (3, 0, 0, 0, 0, 0));
    let t = missing(&m, "employe");
    assert_eq!((t.unmapped, t.matched), (0, 3));
}

/// Writes `files` (relative path, contents) into a new data folder.
fn folder(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn a_csv_with_a_header_and_no_rows_is_zero_rows() {
    let data = folder(&[
        (
            "domains.yaml".into(),
            "- name: BUSINESS\n  description: Business data.\n  priority: HIGH\n".into(),
        ),
        (
            "inventory/source.csv".into(),
            "table,row_count\nempty_table,0\ncustomer,2\n".into(),
        ),
        (
            "entities.yaml".into(),
            "- name: customers\n  legacy_table: customer\n  target_table: customers\n  total_records: 2\n  migrated_records: 2\n  failed_records: 0\n  entity_type: CUSTOMER\n".into(),
        ),
        ("source_ids/customer.csv".into(), "id\n1\n2\n".into()),
        ("source_ids/empty_table.csv".into(), "id\n".into()),
        // NDJSON writes an empty table as an empty file.
        ("metrics/more.ndjson".into(), "".into()),
        ("logs/log.ndjson".into(), "\n".into()),
        (
            "mappings/customers.csv".into(),
            "entity_type,legacy_id,modern_id\n".into(),
        ),
        (
            "metrics/runs.csv".into(),
            "script_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms\n".into(),
        ),
    ]);
    let (inputs, m, _) = run(data.path());
    assert_eq!(inputs.mappings.height(), 0);
    assert_eq!(terms(line(&m, "customer")), (0, 0, 0, 2, 0, 0));
    assert_eq!(missing(&m, "customer").unmapped, 2);
    assert_eq!(missing(&m, "empty_table").ids, 0);
}

/// The `runs` fixture's inventory and domain, with these metrics rows (after the header).
fn runs_folder(rows: &[&str]) -> tempfile::TempDir {
    let header = "script_id,run_id,resumes_run_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms\n";
    folder(&[
        (
            "domains.yaml".into(),
            "- name: BUSINESS\n  description: Business data.\n  priority: HIGH\n".into(),
        ),
        (
            "inventory/source.csv".into(),
            "table,row_count\nt_same,10\nt_resumed,10\n".into(),
        ),
        (
            "scripts/same.yaml".into(),
            "name: same-end.ts\ncategory: CORE\ndata_domain: BUSINESS\nsource_table: t_same\ntarget_table: same\nstatus: COMPLETE\n".into(),
        ),
        (
            "scripts/resumed.yaml".into(),
            "name: resumed.ts\ncategory: CORE\ndata_domain: BUSINESS\nsource_table: t_resumed\ntarget_table: resumed\nstatus: COMPLETE\n".into(),
        ),
        ("metrics/runs.csv".into(), format!("{header}{}\n", rows.join("\n"))),
    ])
}

#[test]
fn a_run_resuming_several_runs_counts_them_all_in_any_row_order() {
    let rows = [
        "resumed.ts,r1,,2026-03-01T08:00:00Z,3,3,0,0,100",
        "resumed.ts,r2,,2026-03-01T09:00:00Z,2,2,0,0,100",
        "resumed.ts,r3,r1,2026-03-01T10:00:00Z,2,2,0,0,100",
        "resumed.ts,r3,r2,2026-03-01T10:00:00Z,1,1,0,0,100",
        // A run resumed by one that ends at the same instant is not the final one.
        "same-end.ts,r1,,2026-03-01T10:00:00Z,5,5,0,0,100",
        "same-end.ts,a-resume,r1,2026-03-01T10:00:00Z,4,4,0,0,100",
    ];
    let mut swapped = rows;
    swapped.swap(2, 3);
    swapped.reverse();
    for rows in [rows, swapped] {
        let data = runs_folder(&rows);
        let (_, m, _) = run(data.path());
        // r3 resumes r1 and r2: 3 + 2 + 2 + 1 = 8.
        assert_eq!(terms(line(&m, "t_resumed")), (8, 0, 0, 2, 0, 0), "{rows:?}");
        // a-resume resumes r1: 5 + 4 = 9.
        assert_eq!(terms(line(&m, "t_same")), (9, 0, 0, 1, 0, 0), "{rows:?}");
    }
}

#[test]
fn a_name_listed_twice_in_the_inventory_gets_the_evidence_once() {
    // PostgreSQL allows `Artist` and `artist`; the script names `artist`.
    let data = folder(&[
        (
            "domains.yaml".into(),
            "- name: BUSINESS\n  description: Business data.\n  priority: HIGH\n".into(),
        ),
        (
            "inventory/source.csv".into(),
            "table,row_count\nArtist,10\nartist,10\n".into(),
        ),
        (
            "scripts/artist.yaml".into(),
            "name: artist.ts\ncategory: CORE\ndata_domain: BUSINESS\nsource_table: artist\ntarget_table: artists\nstatus: COMPLETE\n".into(),
        ),
        (
            "metrics/runs.csv".into(),
            "script_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms\nartist.ts,2026-03-01T08:00:00Z,10,10,0,0,100\n".into(),
        ),
    ]);
    let (_, m, _) = run(data.path());
    assert_eq!(terms(line(&m, "artist")), (10, 0, 0, 0, 0, 0));
    assert_eq!(terms(line(&m, "Artist")), (0, 0, 0, 10, 0, 0));
    assert!(!line(&m, "Artist").covered);
    assert_eq!(headline(&m), (20, 10));
}

/// One `orders` table (2 rows, ids 1 and 2) owned by one entity of type ORDER, with these
/// mapping rows (after the header `entity_type,legacy_id,modern_id,legacy_table`).
fn orders_folder(mappings: &[&str], inventory: &str) -> tempfile::TempDir {
    let rows: String = mappings
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (head, table) = m.rsplit_once(',').unwrap();
            format!("{head},a0000000-0000-4000-8000-{i:012},{table}\n")
        })
        .collect();
    folder(&[
        (
            "domains.yaml".into(),
            "- name: BUSINESS\n  description: Business data.\n  priority: HIGH\n".into(),
        ),
        ("inventory/source.csv".into(), inventory.into()),
        (
            "entities.yaml".into(),
            "- name: orders\n  domain: BUSINESS\n  legacy_table: orders\n  target_table: orders_new\n  total_records: 2\n  migrated_records: 2\n  failed_records: 0\n  entity_type: ORDER\n".into(),
        ),
        ("source_ids/orders.csv".into(), "id\n1\n2\n".into()),
        (
            "mappings/m.csv".into(),
            format!("entity_type,legacy_id,modern_id,legacy_table\n{rows}"),
        ),
    ])
}

#[test]
fn naming_a_table_never_hides_a_duplicate_or_a_mapping() {
    // Type ORDER is one table's: a row naming `orders`, `Orders` or nothing is orders'.
    let data = orders_folder(
        &[
            "ORDER,1,orders",
            "ORDER,1,",
            "ORDER,2,Orders",
            "ORDER,2,orders",
        ],
        "table,row_count\norders,2\n",
    );
    let (_, m, findings) = run(data.path());
    assert_eq!(
        fired(&findings, "integrity.mapping.duplicate_legacy_id"),
        [("mappings".to_string(), 2)]
    );
    assert_eq!(terms(line(&m, "orders")), (2, 0, 0, 0, 0, 0));
    // A blank legacy_table names no table; a misspelt one is a finding, not a silence.
    let data = orders_folder(
        &["ORDER,1,orders", "ORDER,2, "],
        "table,row_count\norders,2\n",
    );
    let (_, m, _) = run(data.path());
    assert_eq!(terms(line(&m, "orders")), (2, 0, 0, 0, 0, 0));
    let data = orders_folder(
        &["ORDER,1,orders", "ORDER,2,order"],
        "table,row_count\norders,2\n",
    );
    let (_, m, findings) = run(data.path());
    assert_eq!(terms(line(&m, "orders")), (1, 0, 0, 1, 0, 0));
    assert_eq!(
        fired(&findings, "coverage.table.not_in_inventory"),
        [("order".to_string(), 1)]
    );
}

#[test]
fn a_negative_row_count_is_no_rows() {
    // A hand-made inventory with a negative count: no rows, and the equation still holds.
    let data = orders_folder(
        &["ORDER,1,orders"],
        "table,row_count\norders,2\nbroken,-5\n",
    );
    let (_, m, _) = run(data.path());
    assert_eq!(line(&m, "broken").legacy_rows, 0);
    let totals = &m.ledger.as_ref().unwrap().totals;
    assert_eq!(
        totals.migrated + totals.failed + totals.excluded + totals.unaccounted,
        totals.legacy_rows
    );
}

#[test]
fn an_untagged_retry_supersedes_a_tagged_run_of_the_scripts_only_entity() {
    let data = folder(&[
        (
            "domains.yaml".into(),
            "- name: BUSINESS\n  description: Business data.\n  priority: HIGH\n".into(),
        ),
        (
            "inventory/source.csv".into(),
            "table,row_count\nt,10\n".into(),
        ),
        (
            "scripts/t.yaml".into(),
            "name: t.ts\ncategory: CORE\ndata_domain: BUSINESS\nsource_table: t\ntarget_table: t_new\nstatus: COMPLETE\n".into(),
        ),
        (
            "entities.yaml".into(),
            "- name: e\n  domain: BUSINESS\n  legacy_table: t\n  target_table: t_new\n  total_records: 10\n  migrated_records: 4\n  failed_records: 0\n  migration_script_id: t.ts\n".into(),
        ),
        (
            "metrics/runs.csv".into(),
            "script_id,entity_id,run_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms\n\
             t.ts,e,r1,2026-03-01T09:00:00Z,5,5,0,0,100\n\
             t.ts,,r2,2026-03-01T10:00:00Z,4,4,0,0,100\n".into(),
        ),
    ]);
    let (_, m, _) = run(data.path());
    // r2 (untagged, the script's only entity) is the later run of the same owner: final
    // alone. Before, r1 (tagged) and r2 (untagged) were two owners, both final: 9.
    assert_eq!(m.all_scripts.records_successful, 4);
    assert_eq!(m.all_attempts.records_successful, 9);
}

#[test]
fn a_decomposed_accent_is_the_same_entity_type() {
    // `Employé` with a composed é (U+00E9) in the entity, decomposed (e + U+0301) in a mapping.
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&fixtures().join("soundness/unicode-type"), dir.path());
    std::fs::write(
        dir.path().join("mappings/employees.csv"),
        "entity_type,legacy_id,modern_id\n\
         EMPLOYE\u{301},1,e0000000-0000-4000-8000-000000000001\n\
         employe\u{301},2,e0000000-0000-4000-8000-000000000002\n\
         EMPLOYÉ,3,e0000000-0000-4000-8000-000000000003\n",
    )
    .unwrap();
    let (_, m, _) = run(dir.path());
    assert_eq!(terms(line(&m, "employe")), (3, 0, 0, 0, 0, 0));
}

#[test]
fn a_shared_types_mapping_in_no_sharing_table_is_an_orphan() {
    let ids = |from: u32| -> String { (from..from + 10).map(|i| format!("{i}\n")).collect() };
    let mappings: String = [1, 2, 3, 4, 5, 999]
        .iter()
        .map(|i| format!("CUSTOMER,{i},c0000000-0000-4000-8000-{i:012}\n"))
        .collect();
    let data = folder(&[
        (
            "domains.yaml".into(),
            "- name: BUSINESS\n  description: Business data.\n  priority: HIGH\n".into(),
        ),
        (
            "inventory/source.csv".into(),
            "table,row_count\ncustomers_eu,10\ncustomers_us,10\n".into(),
        ),
        (
            "entities.yaml".into(),
            "- name: eu\n  domain: BUSINESS\n  legacy_table: customers_eu\n  target_table: c\n  total_records: 10\n  migrated_records: 5\n  failed_records: 0\n  entity_type: CUSTOMER\n\
             - name: us\n  domain: BUSINESS\n  legacy_table: customers_us\n  target_table: c\n  total_records: 10\n  migrated_records: 0\n  failed_records: 0\n  entity_type: CUSTOMER\n".into(),
        ),
        ("source_ids/customers_eu.csv".into(), format!("id\n{}", ids(1))),
        ("source_ids/customers_us.csv".into(), format!("id\n{}", ids(11))),
        (
            "mappings/m.csv".into(),
            format!("entity_type,legacy_id,modern_id\n{mappings}"),
        ),
    ]);
    let (_, m, findings) = run(data.path());
    let eu = missing(&m, "customers_eu");
    assert_eq!((eu.unmapped, eu.ambiguous, eu.orphans), (5, 5, 1));
    let us = missing(&m, "customers_us");
    assert_eq!((us.unmapped, us.ambiguous, us.orphans), (10, 0, 0));
    assert_eq!(
        fired(&findings, "missing.mapping.orphan"),
        [("customers_eu".to_string(), 1)]
    );
}

#[test]
fn ids_and_mappings_of_two_spellings_count_for_neither() {
    // `Artist` and `artist`, 3 rows each, both owned by type ART; mappings 1-3 name `Artist`.
    // Ids and mappings meet tables by the folded name: which table they prove is unknown,
    // so neither line claims them (ambiguous), where both used to (6 of 6).
    let data = folder(&[
        (
            "domains.yaml".into(),
            "- name: BUSINESS\n  description: Business data.\n  priority: HIGH\n".into(),
        ),
        (
            "inventory/source.csv".into(),
            "table,row_count\nArtist,3\nartist,3\n".into(),
        ),
        (
            "entities.yaml".into(),
            "- name: a\n  domain: BUSINESS\n  legacy_table: Artist\n  target_table: x\n  total_records: 3\n  migrated_records: 3\n  failed_records: 0\n  entity_type: ART\n\
             - name: b\n  domain: BUSINESS\n  legacy_table: artist\n  target_table: x\n  total_records: 3\n  migrated_records: 0\n  failed_records: 0\n  entity_type: ART\n".into(),
        ),
        (
            "mappings/m.csv".into(),
            "entity_type,legacy_id,modern_id,legacy_table\n\
             ART,1,a0000000-0000-4000-8000-000000000001,Artist\n\
             ART,2,a0000000-0000-4000-8000-000000000002,Artist\n\
             ART,3,a0000000-0000-4000-8000-000000000003,Artist\n".into(),
        ),
    ]);
    let (_, m, _) = run(data.path());
    assert_eq!(terms(line(&m, "Artist")), (0, 0, 0, 3, 3, 0));
    assert_eq!(terms(line(&m, "artist")), (0, 0, 0, 3, 3, 0));
    assert_eq!(headline(&m), (6, 0));
}

#[test]
fn mappings_of_an_entity_writing_outside_the_target_inventory_are_not_migrated() {
    // The entity writes `staging.customers`, which the target inventory does not list.
    let data = orders_folder(&["ORDER,1,", "ORDER,2,"], "table,row_count\norders,2\n");
    std::fs::write(
        data.path().join("inventory/target.csv"),
        "table,row_count\ncustomers,2\n",
    )
    .unwrap();
    let (_, m, findings) = run(data.path());
    assert_eq!(terms(line(&m, "orders")), (0, 0, 0, 2, 0, 0));
    assert!(!fired(&findings, "coverage.table.not_in_inventory").is_empty());
}

/// What `collect` gives on a migration nothing links: an inventory, ids and mappings, but no
/// entity or script naming a legacy table. No row can be counted as migrated, so no output
/// prints a coverage figure (it printed "0 of 15,607 records migrated (0.0%)"): each says
/// what is unlinked instead, and the uncovered-table rule fails the gate.
#[test]
fn a_headline_resting_on_no_link_has_no_figure() {
    use assert_cmd::Command;
    let data = folder(&[
        (
            "domains.yaml".into(),
            "- name: BUSINESS\n  description: Business data.\n  priority: HIGH\n".into(),
        ),
        (
            "inventory/source.csv".into(),
            "table,row_count\nArtist,3\nAlbum,2\n".into(),
        ),
        ("source_ids/Artist.csv".into(), "id\n1\n2\n3\n".into()),
        (
            "mappings/artists.csv".into(),
            "entity_type,legacy_id,modern_id\n\
             artists,1,00000000-0000-4000-8000-000000000001\n\
             artists,2,00000000-0000-4000-8000-000000000002\n"
                .into(),
        ),
    ]);
    let (_, measures, _) = run(data.path());
    let ledger = measures.ledger.as_ref().unwrap();
    assert_eq!((ledger.totals.in_scope, ledger.totals.migrated), (5, 0));
    assert_eq!(ledger.totals.coverage, None);

    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let summary_md = out.path().join("summary.md");
    let assert = Command::cargo_bin("migcov")
        .unwrap()
        .args(["build", "--report-date", "2026-12-05", "--data"])
        .arg(data.path())
        .arg("--out")
        .arg(&site)
        .arg("--summary-md")
        .arg(&summary_md)
        .assert();
    // coverage.table.uncovered is an error: the gate fails (exit 1).
    let assert = assert.code(1);
    let status = String::from_utf8_lossy(&assert.get_output().stderr).to_string()
        + &String::from_utf8_lossy(&assert.get_output().stdout);
    assert!(status.contains("records migrated not measured"), "{status}");
    assert!(!status.contains("(0.0%)"), "{status}");
    let read = |p: &str| std::fs::read_to_string(site.join(p)).unwrap();
    let index = read("index.html");
    assert!(index.contains("not measured"), "{index}");
    assert!(
        index.contains("None of the 2 legacy tables in scope (5 rows) is linked"),
        "{index}"
    );
    // No percentage is shown (a meter's empty width is no figure).
    let headline = index.split("id=\"headline\"").nth(1).unwrap();
    let headline = headline.split("</section>").next().unwrap();
    let records = headline.split("Overall success rate").next().unwrap();
    assert!(
        !records.contains('%'),
        "a coverage figure is printed: {records}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&read("api/coverage/summary.json")).unwrap();
    assert_eq!(
        summary["unlinked"],
        serde_json::json!({"tables": 2, "rows": 5})
    );
    assert!(summary["ledger"]["coverage"].is_null());
    let badge: serde_json::Value = serde_json::from_str(&read("badges/coverage.json")).unwrap();
    assert_eq!(badge["message"], "unlinked");
    let md = std::fs::read_to_string(&summary_md).unwrap();
    assert!(
        md.contains("not measured: no legacy table is linked"),
        "{md}"
    );
    assert!(!md.contains("| Records migrated | 0.0%"), "{md}");
}
