//! Figures that tell the truth on a real migration: the `ledger` fixture end to end, every
//! number checked against tests/fixtures/ledger/README.md (worked out by hand).

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::fixtures;
use serde_json::Value;

fn migcov() -> Command {
    let mut cmd = Command::cargo_bin("migcov").unwrap();
    cmd.env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// Builds the ledger fixture as of `date`; returns the tempdir, the site and the exit code.
fn site(date: &str) -> (tempfile::TempDir, PathBuf, i32) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let output = migcov()
        .args(["build", "--report-date", date, "--data"])
        .arg(fixtures().join("ledger"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let code = output.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (dir, out, code)
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .replace("&#x2F;", "/")
}

fn table<'a>(ledger: &'a Value, name: &str) -> &'a Value {
    ledger["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("no ledger line for {name}"))
}

/// (rule, subject, count, waived) of every finding, sorted.
fn findings(out: &Path) -> Vec<(String, String, u64, bool)> {
    let mut all = Vec::new();
    for family in ["coverage", "integrity", "missing", "reconcile"] {
        let file = json(&out.join(format!("api/validate/{family}.json")));
        for f in file["findings"].as_array().unwrap() {
            all.push((
                f["rule"].as_str().unwrap().to_string(),
                f["subject"]["name"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
                !f["waiver"].is_null(),
            ));
        }
    }
    all.sort();
    all
}

#[test]
fn the_inventory_is_the_denominator_and_the_ledger_closes() {
    let (_dir, out, code) = site("2026-11-28");
    assert_eq!(code, 1, "two error findings fail the gate");
    let ledger = json(&out.join("api/ledger.json"));
    let totals = &ledger["totals"];
    assert_eq!(totals["tables"], 6);
    assert_eq!(totals["legacy_rows"], 85);
    assert_eq!(totals["migrated"], 25);
    assert_eq!(totals["failed"], 2);
    assert_eq!(totals["excluded"], 22);
    assert_eq!(totals["unaccounted"], 36);
    assert_eq!(totals["difference"], 0);
    assert_eq!(totals["in_scope"], 63);
    assert_eq!(totals["uncovered_tables"], 2);
    assert_eq!(totals["uncovered_rows"], 35);

    let rows = |name: &str| {
        let t = table(&ledger, name);
        (
            t["legacy_rows"].as_i64().unwrap(),
            t["migrated"]["value"].as_i64().unwrap(),
            t["migrated"]["source"].as_str().unwrap().to_string(),
            t["failed"]["value"].as_i64().unwrap(),
            t["excluded"]["value"].as_i64().unwrap(),
            t["unaccounted"].as_i64().unwrap(),
            t["state"].as_str().unwrap().to_string(),
        )
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        rows("Customer"),
        (10, 9, s("source_ids_and_mappings"), 1, 0, 0, s("closes"))
    );
    assert_eq!(
        rows("audit_trail"),
        (30, 0, s("none"), 0, 0, 30, s("not_covered"))
    );
    assert_eq!(
        rows("fax_archive"),
        (20, 0, s("exclusions"), 0, 20, 0, s("closes"))
    );
    assert_eq!(
        rows("invoiceline"),
        (
            8,
            7,
            s("source_ids_and_mappings"),
            0,
            0,
            1,
            s("unaccounted")
        )
    );
    assert_eq!(
        rows("message"),
        (12, 9, s("source_ids_and_mappings"), 1, 2, 0, s("closes"))
    );
    assert_eq!(
        rows("playlisttrack"),
        (5, 0, s("none"), 0, 0, 5, s("not_covered"))
    );

    let summary = json(&out.join("api/coverage/summary.json"));
    let report = &summary["report"];
    assert_eq!(report["total_records"], 63);
    assert_eq!(report["migrated_records"], 25);
    // serde_json reads floats to within one unit in the last place.
    let close = |v: &Value, expected: f64| (v.as_f64().unwrap() - expected).abs() < 1e-12;
    assert!(close(&report["business_coverage"], 16.0 / 18.0));
    assert!(close(&report["communications_coverage"], 0.9));
    assert!(report["clinical_coverage"].is_null());
    assert!(close(&report["overall_success_rate"], 30.0 / 33.0));
    assert_eq!(summary["declared"]["total_records"], 35);
    assert_eq!(summary["declared"]["migrated_records"], 30);
    assert_eq!(summary["not_covered_by_any_script"]["legacy_rows"], 35);
    assert_eq!(summary["missing_records"], 3);

    let index = read(&out.join("index.html"));
    for text in [
        "39.7%",
        "25 of 63 legacy rows in scope",
        "<strong>85</strong> = 25 migrated + 2 failed + 22 excluded + 36 unaccounted",
        "35 rows in 2 tables are not covered by any script",
        "As the entities declare it: 85.7%",
        "90.9%",
        "all attempts 81.1%",
    ] {
        assert!(index.contains(text), "index lacks {text:?}");
    }
    // The domain table's last line: the tables with no domain (audit_trail 30 +
    // playlisttrack 5 in scope, fax_archive excluded), none linked to anything, so no
    // coverage figure (it showed 0.0%, a figure resting on no link).
    assert!(
        index.contains(r#"incl. 2 tables not covered by any script</small></th><td>—</td><td><span class="rate band-none">n/a"#),
        "the no-domain line: {}",
        index.split("No domain").nth(1).unwrap_or_default().chars().take(300).collect::<String>()
    );
    assert!(
        index.contains(r#"<td class="num">0</td><td class="num">0</td><td class="num">35</td>"#)
    );
    let page = read(&out.join("ledger/index.html"));
    assert!(page.contains("not covered by any script"));
    assert!(page.contains("source_ids ∩ mappings"));
    for card in [
        r#"<span class="big">85</span><small>source inventory, 6 tables</small>"#,
        "25 of 63 rows in scope",
        r#"<span class="big">2 · 22</span>"#,
        r#"<span class="big">36</span><small>35 in 2 tables not covered by any script</small>"#,
    ] {
        assert!(page.contains(card), "ledger page lacks {card:?}");
    }
    let exclusions = read(&out.join("ledger/exclusions.html"));
    for text in [
        "Faxes are out of scope (retention policy R-12)",
        "Data governance board",
        "ids in exclusions/spam-messages.csv",
        "2027-06-30",
        "SQLite keeps the camel case, pgloader lower-cases it",
    ] {
        assert!(exclusions.contains(text), "exclusions page lacks {text:?}");
    }
}

#[test]
fn findings_name_tables_missing_or_spelt_differently_and_waivers_show() {
    let (_dir, out, _) = site("2026-11-28");
    let s = |x: &str| x.to_string();
    assert_eq!(
        findings(&out),
        vec![
            (
                s("coverage.table.not_in_inventory"),
                s("playlist_track"),
                2,
                false
            ),
            (
                s("coverage.table.uncovered"),
                s("source inventory"),
                2,
                false
            ),
            (
                s("integrity.script.success_rate_mismatch"),
                s("customer-migration.ts"),
                1,
                false
            ),
            (
                s("integrity.table.case_mismatch"),
                s("InvoiceLine"),
                3,
                true
            ),
            (s("missing.mapping.unmapped"), s("Customer"), 1, false),
            (s("missing.mapping.unmapped"), s("InvoiceLine"), 1, false),
            (s("missing.mapping.unmapped"), s("message"), 1, false),
        ]
    );
    let coverage = json(&out.join("api/validate/coverage.json"));
    let missing = coverage["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "coverage.table.not_in_inventory")
        .unwrap();
    assert_eq!(
        missing["message"],
        "`playlist_track` is not in the source inventory; did you mean `playlisttrack`?"
    );
    let missing_ids = json(&out.join("api/validate/missing.json"));
    let samples: Vec<String> = missing_ids["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["samples"][0]["fields"][0]["value"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(samples, ["BOTTM", "4|2", "10"], "text and composite keys");
    let rule_page = read(&out.join("validate/integrity.table.case_mismatch.html"));
    assert!(rule_page.contains("waived"));
}

#[test]
fn retries_count_their_final_run_and_claims_sit_beside_measurements() {
    let (_dir, out, _) = site("2026-11-28");
    let scripts = json(&out.join("api/scripts.json"))["scripts"].clone();
    let customer = scripts
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "customer-migration.ts")
        .unwrap();
    assert!((customer["success_rate"].as_f64().unwrap() - 0.9).abs() < 1e-12);
    let page = read(&out.join("scripts/index.html"));
    assert!(page.contains("90.0%"));
    assert!(page.contains("manifest says 99.9%"));
    let id = customer["id"].as_str().unwrap();
    let metrics = json(&out.join(format!("api/scripts/{id}/metrics.json")));
    let finals: Vec<bool> = metrics["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["final_run"].as_bool().unwrap())
        .collect();
    assert_eq!(finals, [false, true], "r1 is superseded by r2");
    let dates: Vec<&str> = metrics["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["execution_date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-11-20T10:00:00.886Z", "2026-11-21T04:30:00Z"]);
}

#[test]
fn expired_exclusions_and_waivers_stop_applying() {
    let (_dir, out, code) = site("2027-07-01");
    assert_eq!(code, 1);
    let totals = &json(&out.join("api/ledger.json"))["totals"];
    assert_eq!(totals["excluded"], 0);
    assert_eq!(totals["in_scope"], 85);
    assert_eq!(totals["unaccounted"], 58);
    assert_eq!(totals["uncovered_tables"], 3);
    assert_eq!(totals["uncovered_rows"], 55);
    let all = findings(&out);
    let count = |rule: &str| all.iter().filter(|f| f.0 == rule).count();
    assert_eq!(count("coverage.exclusion.expired"), 2);
    assert_eq!(count("coverage.waiver.expired"), 1);
    assert!(all
        .iter()
        .any(|f| f.0 == "integrity.table.case_mismatch" && !f.3));
    assert!(all
        .iter()
        .any(|f| f.0 == "missing.mapping.unmapped" && f.1 == "message" && f.2 == 3));
}

#[test]
fn a_colour_never_contradicts_the_gate_and_the_gate_names_its_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let output = migcov()
        .args([
            "build",
            "--report-date",
            "2026-11-28",
            "--fail-under",
            "0.95",
            "--data",
        ])
        .arg(fixtures().join("ledger"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("overall success rate 90.90% is below --fail-under 95.00%"),
        "{stdout}"
    );
    // 90.9% is at the colour threshold "high" (0.9), but the gate fails it: low.
    let index = read(&out.join("index.html"));
    assert!(
        index.contains(r#"<span class="rate band-low"><span aria-hidden="true">▼</span> 90.9%"#),
        "the success rate shows as low"
    );
    assert!(!index.contains(r#"<span aria-hidden="true">▲</span> 90.9%"#));
    let gate = &json(&out.join("api/coverage/summary.json"))["gate"];
    assert_eq!(gate["thresholds"][0]["name"], "fail_under");
    assert_eq!(gate["thresholds"][0]["source"], "--fail-under");
}

#[test]
fn an_exclusion_can_select_ids_by_a_column_of_the_source_ids_file() {
    // The clean base: dispatch_office has ids 1-10, all mapped. Ids 9 and 10 are test rows.
    let data = common::base_with(None);
    let mut ids = String::from("id,is_test\n");
    for id in 1..=10 {
        ids.push_str(&format!("{id},{}\n", if id >= 9 { "true" } else { "0" }));
    }
    std::fs::write(data.path().join("source_ids/dispatch_office.csv"), ids).unwrap();
    std::fs::write(
        data.path().join("migcov.yaml"),
        "exclusions:\n  - table: dispatch_office\n    where: {column: is_test, values: [\"1\", \"true\"]}\n    reason: Test offices\n    approved_by: QA\n",
    )
    .unwrap();
    let (_, measures, findings) = common::run(data.path());
    let ledger = measures.ledger.unwrap();
    let line = &ledger.rows[0];
    // 10 rows: ids 9 and 10 excluded; of the 8 in scope all are mapped (8 migrated).
    assert_eq!(
        (
            line.legacy_rows,
            line.migrated.value,
            line.excluded.value,
            line.unaccounted
        ),
        (10, 8, 2, 0)
    );
    assert_eq!(line.in_scope, 8);
    // Mapped excluded ids are not orphans, and nothing is missing.
    assert_eq!(findings, vec![]);
}

#[test]
fn an_exclusion_naming_a_file_that_is_not_there_is_exit_2() {
    let data = common::base_with(None);
    std::fs::write(
        data.path().join("migcov.yaml"),
        "exclusions:\n  - table: dispatch_office\n    ids: exclusions/none.csv\n    reason: r\n    approved_by: a\n",
    )
    .unwrap();
    migcov()
        .args(["validate", "--data"])
        .arg(data.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "migcov.yaml item 1: exclusions: ids file exclusions/none.csv is not a CSV or Parquet file inside the data folder",
        ));
}

/// Found by an independent check: an id repeated in a `source_ids` file counted once per
/// row in `missing_records` (and so in `--max-missing`), while the ledger counted it once:
/// 4 missing of a table whose ledger said 2 unaccounted. A legacy record is an id.
#[test]
fn an_id_repeated_in_source_ids_is_one_missing_record() {
    let data = common::base_with(None);
    let mappings: String = (1..=8)
        .map(|n| format!("OFFICE,{n},7a0c8f3e-2b4d-4e6f-8a1b-{n:012}\n"))
        .collect();
    std::fs::write(
        data.path().join("mappings/offices.csv"),
        format!("entity_type,legacy_id,modern_id\n{mappings}"),
    )
    .unwrap();
    let ids: String = (1..=10).chain([9, 9]).map(|n| format!("{n}\n")).collect();
    std::fs::write(
        data.path().join("source_ids/dispatch_office.csv"),
        format!("id\n{ids} 9\n"),
    )
    .unwrap();
    let (_, measures, _) = common::run(data.path());
    assert_eq!(measures.missing_records, 2);
    let table = &measures.missing[0];
    assert_eq!((table.ids, table.unmapped), (13, 2));
}
