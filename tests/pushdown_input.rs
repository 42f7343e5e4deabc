//! The loader's side of `migcov collect --pushdown`: `pushdown/<table>.json` with a
//! `source_ids` file of the unmapped ids only gives the figures and findings a full export
//! gives; an inconsistent summary, or an exclusion that needs every id, is an error naming
//! the file.

use std::path::Path;

use migcov::load::{load, LoadOptions};

mod common;

/// The base fixture's 10 OFFICE mappings (legacy ids 1–10) against a legacy table that has
/// ids 1–9, 11 and 12: 9 matched, 11 and 12 unmapped, mapping 10 an orphan.
fn full_export(dir: &Path) {
    let ids: String = (1..=9).chain([11, 12]).map(|i| format!("{i}\n")).collect();
    std::fs::write(
        dir.join("source_ids/dispatch_office.csv"),
        format!("id\n{ids}"),
    )
    .unwrap();
}

fn pushed_down(dir: &Path, matched: u64) {
    std::fs::write(dir.join("source_ids/dispatch_office.csv"), "id\n11\n12\n").unwrap();
    std::fs::create_dir_all(dir.join("pushdown")).unwrap();
    std::fs::write(
        dir.join("pushdown/dispatch_office.json"),
        format!(
            r#"{{"ids": 11, "matched": {matched}, "orphans": ["10"], "entity_types": ["OFFICE"], "method": "anti-join"}}"#
        ),
    )
    .unwrap();
}

fn summary(findings: &[migcov::validate::Finding]) -> Vec<(String, String, u64)> {
    let mut rows: Vec<_> = findings
        .iter()
        .filter(|f| f.rule.as_str().starts_with("missing."))
        .map(|f| (f.rule.as_str().to_string(), f.message.clone(), f.count))
        .collect();
    rows.sort();
    rows
}

#[test]
fn a_pushed_down_table_gives_the_figures_of_a_full_export() {
    let full = common::base_with(None);
    full_export(full.path());
    let (_, full_measures, full_findings) = common::run(full.path());

    let pushed = common::base_with(None);
    pushed_down(pushed.path(), 9);
    let (inputs, measures, findings) = common::run(pushed.path());

    assert_eq!(inputs.source_id_count("dispatch_office"), 11);
    assert_eq!(measures.missing, full_measures.missing);
    assert_eq!(measures.missing_records, 2);
    let office = &measures.missing[0];
    assert_eq!(
        (office.ids, office.unmapped, office.orphans, office.matched),
        (11, 2, 1, 9)
    );
    assert_eq!(summary(&findings), summary(&full_findings));
    assert_eq!(
        summary(&findings),
        [
            (
                "missing.mapping.orphan".to_string(),
                "1 OFFICE mappings point at legacy ids that are not in dispatch_office".to_string(),
                1
            ),
            (
                "missing.mapping.unmapped".to_string(),
                "2 of 11 legacy ids in dispatch_office have no OFFICE mapping (entity offices)"
                    .to_string(),
                2
            ),
        ]
    );
}

fn load_error(dir: &Path) -> String {
    load(&LoadOptions {
        data_dir: dir.to_path_buf(),
        scripts_dir: None,
    })
    .map(|_| ())
    .unwrap_err()
    .to_string()
}

#[test]
fn an_inconsistent_summary_is_an_error_naming_the_file() {
    let dir = common::base_with(None);
    pushed_down(dir.path(), 8);
    let error = load_error(dir.path());
    assert!(error.contains("pushdown/dispatch_office.json"), "{error}");
    assert!(
        error.contains("must be the matched rows (8) plus the 2 unmapped ids"),
        "{error}"
    );
}

#[test]
fn an_exclusion_by_ids_needs_a_full_export() {
    let dir = common::base_with(None);
    pushed_down(dir.path(), 9);
    std::fs::write(dir.path().join("spam.csv"), "id\n11\n").unwrap();
    std::fs::write(
        dir.path().join("migcov.yaml"),
        "exclusions:\n  - table: dispatch_office\n    ids: spam.csv\n    reason: spam\n    approved_by: lead\n",
    )
    .unwrap();
    let error = load_error(dir.path());
    assert!(error.contains("collect it without --pushdown"), "{error}");
}

/// The database's matched count stands only on the mappings given: compared against other
/// types than the owners' (a stale summary) it is an error; with no mapping row of the type
/// it claims nothing.
#[test]
fn a_pushed_down_count_without_its_mappings_claims_nothing() {
    // Compared with another type's mappings (a stale summary, or `pushdown.tables` naming
    // the wrong type): an error naming the file. It claimed nothing before, and missing
    // data quietly lost the table's unmapped ids.
    let data = common::base_with(None);
    pushed_down(data.path(), 9);
    let summary = data.path().join("pushdown/dispatch_office.json");
    let text = std::fs::read_to_string(&summary).unwrap();
    std::fs::write(&summary, text.replace(r#"["OFFICE"]"#, r#"["OLD"]"#)).unwrap();
    let error = load_error(data.path());
    assert!(
        error.contains("pushdown/dispatch_office.json")
            && error.contains("compared with the mappings of OLD")
            && error.contains("of type OFFICE"),
        "{error}"
    );
    // No mapping row at all: the mappings were not exported with the summary.
    let data = common::base_with(None);
    pushed_down(data.path(), 9);
    std::fs::write(
        data.path().join("mappings/offices.csv"),
        "entity_type,legacy_id,modern_id\n",
    )
    .unwrap();
    let (_, measures, _) = common::run(data.path());
    assert_eq!(measures.missing[0].matched, 0);
    assert_eq!(measures.ledger.unwrap().rows[0].migrated.value, 0);
}

/// Mapping rows counted in the database (`collect --pushdown` exports only the rows a check
/// could flag) are added to the rows of their type; a count for a type that is not the
/// table's is refused, naming the file.
#[test]
fn mapping_rows_counted_in_the_database_count_as_rows_of_their_type() {
    let dir = common::base_with(None);
    pushed_down(dir.path(), 9);
    let (_, before, _) = common::run(dir.path());
    let summary = dir.path().join("pushdown/dispatch_office.json");
    let text = std::fs::read_to_string(&summary).unwrap();
    let with = |counts: &str| {
        text.replace(
            r#""method": "anti-join""#,
            &format!(r#""method": "anti-join", "mapping_rows_in_database": {counts}"#),
        )
    };
    std::fs::write(&summary, with(r#"{"office": 5}"#)).unwrap();
    let (_, after, findings) = common::run(dir.path());
    let office = |m: &migcov::measure::Measures| {
        m.missing_sets
            .rows_per_type
            .get("OFFICE")
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(office(&after), office(&before) + 5);
    // 10 mapping rows and 5 more in the database, against 10 migrated records: +5.
    let count = findings
        .iter()
        .find(|f| f.rule.as_str() == "reconcile.entity.mapping_count")
        .map(|f| f.message.clone())
        .unwrap_or_default();
    assert!(count.contains("15 vs 10"), "{count}");

    std::fs::write(&summary, with(r#"{"PATIENT": 5}"#)).unwrap();
    let error = load_error(dir.path());
    assert!(error.contains("pushdown/dispatch_office.json"), "{error}");
    assert!(error.contains("entity type PATIENT"), "{error}");
}

/// Found by an independent check: with a pushed-down table whose mappings were not all
/// exported, the distinct ids counted from `matched` (which stands only on the mapping rows
/// given) made "2 of 2 legacy ids" and a false source_ids gap. Pushed down, the table's
/// ids are the database's count: 11 here, of which 2 unmapped.
#[test]
fn a_pushed_down_tables_ids_are_the_databases_count() {
    let dir = common::base_with(None);
    pushed_down(dir.path(), 9);
    std::fs::write(
        dir.path().join("mappings/offices.csv"),
        "entity_type,legacy_id,modern_id\n",
    )
    .unwrap();
    let (_, _, findings) = common::run(dir.path());
    let message = |rule: &str| {
        findings
            .iter()
            .find(|f| f.rule.as_str() == rule)
            .map(|f| f.message.clone())
            .unwrap_or_default()
    };
    assert!(
        message("missing.mapping.unmapped").starts_with("2 of 11 legacy ids in dispatch_office"),
        "{}",
        message("missing.mapping.unmapped")
    );
    assert!(
        message("reconcile.table.source_ids")
            .starts_with("the database counts 11 ids in dispatch_office (pushed down), but"),
        "{}",
        message("reconcile.table.source_ids")
    );
}
