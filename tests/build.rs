//! The `migcov build` command end to end, on the hand-made `small` fixture whose figures are
//! worked out in tests/fixtures/small/README.md.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{copy_tree, fixtures};
use predicates::prelude::*;
use serde_json::Value;

const DATE: &str = "2026-03-31";

fn migcov() -> Command {
    let mut cmd = Command::cargo_bin("migcov").unwrap();
    cmd.env_remove("SOURCE_DATE_EPOCH");
    cmd
}

fn build(data: &Path, out: &Path) -> assert_cmd::assert::Assert {
    migcov()
        .args(["build", "--report-date", DATE, "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .assert()
}

/// Builds the small fixture into a fresh folder and returns (tempdir, site path).
fn small_site() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    // The fixture has error findings: the site is written and the gate fails (exit 1).
    build(&fixtures().join("small"), &out)
        .code(1)
        .stdout(predicate::str::contains(
            "migcov: gate failed: 12 error findings",
        ));
    (dir, out)
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// A page's text, with the `/` that tera escapes put back for readable assertions.
fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("&#x2F;", "/")
}

/// Every file under `root`, relative path → bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

const PATIENT_SCRIPT: &str = "11111111-1111-4111-8111-111111111111";

#[test]
fn summary_figures_match_the_hand_worked_fixture() {
    let (_dir, out) = small_site();
    let summary = json(&out.join("api/coverage/summary.json"));
    let report = &summary["report"];
    assert_eq!(report["report_date"], DATE);
    assert_eq!(report["total_scripts"], 4);
    assert_eq!(report["completed_scripts"], 2);
    // The source inventory's 167 rows are the denominator (README: ledger).
    assert_eq!(report["total_records"], 167);
    assert_eq!(report["migrated_records"], 103);
    let rate = report["overall_success_rate"].as_f64().unwrap();
    assert!((rate - 109.0 / 135.0).abs() < 1e-12, "{rate}");
    assert_eq!(report["clinical_coverage"], 0.8);
    assert_eq!(report["business_coverage"], 0.3);
    assert_eq!(report["communications_coverage"], 0.4);
    assert_eq!(report["technical_coverage"], Value::Null);
    assert_eq!(summary["findings"]["error"], 12);
    assert_eq!(summary["findings"]["warning"], 3);
    assert_eq!(summary["missing_records"], 7);
    assert_eq!(summary["gate"]["passed"], false);

    let index = read(&out.join("index.html"));
    for text in [
        "61.7%",
        "103 of 167",
        "80.7%",
        "2 / 4",
        "<span class=\"big\">12 errors</span>",
        "30.0%",
        "40.0%",
        "at or above 90.0%",
        "at or above 75.0%",
    ] {
        assert!(index.contains(text), "index lacks {text:?}");
    }
}

#[test]
fn per_domain_and_entity_figures() {
    let (_dir, out) = small_site();
    let clinical = json(&out.join("api/coverage/domain/clinical.json"));
    assert_eq!(clinical["coverage_percentage"], 0.8);
    assert_eq!(clinical["priority"], "CRITICAL");
    assert_eq!(clinical["total_records"], 100);
    assert_eq!(clinical["failed_records"], 5);
    let names: Vec<&str> = clinical["scripts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["notes-migration.ts", "patient-migration.ts"]);

    // Entity referenced its domain by UUID and its script by UUID.
    let entities = json(&out.join("api/entities/clinical.json"))["entities"].clone();
    assert_eq!(entities.as_array().unwrap().len(), 1);
    assert_eq!(entities[0]["name"], "patients");
    assert_eq!(entities[0]["migration_script_id"], PATIENT_SCRIPT);
    assert_eq!(entities[0]["entity_type"], "PATIENT");
    // Domain given in lower case, script by name.
    let comms = json(&out.join("api/entities/communications.json"))["entities"].clone();
    assert_eq!(comms[0]["coverage"], 0.4);
    assert_eq!(comms[0]["script"]["name"], "message-migration.ts");

    let page = read(&out.join("domains/business.html"));
    assert!(page.contains("90.0%") && page.contains("office-migration.ts"));
}

#[test]
fn per_script_aggregates() {
    let (_dir, out) = small_site();
    let scripts = json(&out.join("api/scripts.json"))["scripts"].clone();
    let by_name: BTreeMap<&str, &Value> = scripts
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s))
        .collect();
    let office = by_name["office-migration.ts"];
    // Measured, not claimed: the metrics' 0.9, with the manifest's 0.95 beside it;
    // record_count falls back to metrics.
    assert_eq!(office["success_rate"], 0.9);
    assert_eq!(office["declared_success_rate"], 0.95);
    assert_eq!(office["record_count"], 10);
    assert_eq!(by_name["patient-migration.ts"]["id"], PATIENT_SCRIPT);
    assert_eq!(by_name["patient-migration.ts"]["success_rate"], 0.8);
    assert_eq!(by_name["notes-migration.ts"]["success_rate"], Value::Null);
    assert_eq!(by_name["message-migration.ts"]["status"], "IN_PROGRESS");

    let id = office["id"].as_str().unwrap();
    let metrics = json(&out.join(format!("api/scripts/{id}/metrics.json")));
    let totals = &metrics["totals"];
    assert_eq!(totals["executions"], 2);
    assert_eq!(totals["records_processed"], 10);
    assert_eq!(totals["records_successful"], 9);
    assert_eq!(totals["records_failed"], 1);
    assert_eq!(totals["execution_time_ms"], 3000);
    assert_eq!(totals["first_execution"], "2026-03-01T08:00:00Z");
    assert_eq!(totals["last_execution"], "2026-03-01T09:00:00Z");
    assert_eq!(totals["success_rate"], 0.9);
    let throughput = totals["throughput_per_second"].as_f64().unwrap();
    assert!((throughput - 10.0 / 3.0).abs() < 1e-12);
    // Executions in time order, though the file lists them the other way round.
    assert_eq!(
        metrics["executions"][0]["execution_date"],
        "2026-03-01T08:00:00Z"
    );
    assert_eq!(metrics["executions"][0]["records_processed"], 6);
    assert_eq!(
        metrics["executions"][1]["execution_date"],
        "2026-03-01T09:00:00Z"
    );
    // error_details is JSON text in CSV and an object in NDJSON; both come out as JSON.
    assert_eq!(metrics["executions"][0]["error_details"]["validation"], 1);
    assert_eq!(metrics["executions"][1]["error_details"], Value::Null);

    // Referenced by UUID in metrics; timestamp with a space and no zone.
    let patient = json(&out.join(format!("api/scripts/{PATIENT_SCRIPT}/metrics.json")));
    assert_eq!(patient["totals"]["records_skipped"], 15);
    assert_eq!(patient["totals"]["throughput_per_second"], 10.0);
    assert_eq!(
        patient["executions"][0]["execution_date"],
        "2026-03-02T08:00:00Z"
    );

    let page = read(&out.join(format!("scripts/{id}.html")));
    for text in [
        "90.0%",
        "the manifest says 95.0%",
        "3/s",
        "3 entries",
        "INFO 2",
        "WARN 1",
        "<svg",
    ] {
        assert!(page.contains(text), "office page lacks {text:?}");
    }
    // NDJSON with a JSON object in error_details, fractional seconds (kept to the
    // millisecond, and shown).
    let messages = by_name["message-migration.ts"]["id"].as_str().unwrap();
    let m = json(&out.join(format!("api/scripts/{messages}/metrics.json")));
    assert_eq!(m["totals"]["records_skipped"], 5);
    assert_eq!(
        m["executions"][0]["execution_date"],
        "2026-03-03T08:00:00.250Z"
    );
    assert_eq!(m["executions"][0]["error_details"]["duplicates"], 5);
}

#[test]
fn every_page_and_json_file_exists_and_every_link_resolves() {
    let (_dir, out) = small_site();
    let files = tree(&out);
    let html: Vec<&PathBuf> = files
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    // index, 3 domains, scripts index + 4 scripts, entities, validation index, missing,
    // reconciliation, arrived intact, one page for each of the 11 rules with findings, the
    // archive index, the ledger and the exclusions.
    assert_eq!(html.len(), 1 + 3 + 1 + 4 + 1 + 4 + 11 + 1 + 2, "{html:?}");
    let json_files = files
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .count();
    // summary, 3 domain, 3 entity lists, scripts.json, 4 metrics files, 5 validate files
    // (load.json too) and content.json, the ledger, and a shields.io endpoint for each of
    // the 3 badges.
    assert_eq!(json_files, 1 + 3 + 3 + 1 + 4 + 6 + 1 + 3);

    let mut linked = std::collections::BTreeSet::new();
    for page in &html {
        let text = String::from_utf8(files[*page].clone())
            .unwrap()
            .replace("&#x2F;", "/");
        for target in links_in(&text) {
            assert!(
                !target.starts_with("http"),
                "{} links out to {target}",
                page.display()
            );
            if target.is_empty() {
                continue;
            }
            let resolved = normalize(&page.parent().unwrap().join(&target));
            assert!(
                files.contains_key(&resolved),
                "{} links to missing {target}",
                page.display()
            );
            linked.insert(resolved);
        }
    }
    for file in files
        .keys()
        .filter(|p| !p.starts_with(".") && *p != Path::new("index.html"))
    {
        if file.file_name().is_some_and(|n| n == ".migcov-site") {
            continue;
        }
        assert!(linked.contains(file), "nothing links to {}", file.display());
    }
}

/// The `href` and `src` targets in a page, without their `#fragment`: enough for the HTML
/// migcov writes (attribute values always in double quotes).
fn links_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = text;
        while let Some(start) = rest.find(attr) {
            rest = &rest[start + attr.len()..];
            let end = rest.find('"').unwrap();
            found.push(rest[..end].split('#').next().unwrap().to_string());
            rest = &rest[end..];
        }
    }
    found
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn data_is_escaped_on_pages() {
    let (_dir, out) = small_site();
    let office_id = json(&out.join("api/scripts.json"))["scripts"][2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = read(&out.join(format!("scripts/{office_id}.html")));
    assert!(
        page.contains("Moves &lt;b&gt;offices&lt;/b&gt; &amp; their addresses."),
        "description escaped"
    );
    assert!(!page.contains("<b>offices</b>"));
    assert!(
        page.contains("started &lt;first&gt; batch"),
        "log message escaped"
    );
}

/// Fails on the first file that differs, naming it (not dumping both trees).
fn assert_same_tree(actual: &Path, expected: &Path, hint: &str) {
    let (actual, expected) = (tree(actual), tree(expected));
    let names = |t: &BTreeMap<PathBuf, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&actual), names(&expected), "{hint}");
    for (path, bytes) in &actual {
        assert!(
            expected[path] == *bytes,
            "{} differs: {hint}",
            path.display()
        );
    }
}

#[test]
fn two_builds_with_the_same_date_are_byte_identical() {
    let (_a, first) = small_site();
    let (_b, second) = small_site();
    assert_same_tree(&first, &second, "output must be deterministic");
}

/// A rate a hair under the gate's minimum never reads as the minimum: 189,999,999 of
/// 200,000,000 (94.9999995%) under `--fail-under 0.95` read "95.0%" marked low (found by
/// an independent check). Cut at six decimals it reads below it, as the gate says.
#[test]
fn a_rate_under_the_minimum_reads_under_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("base"), dir.path());
    std::fs::write(
        dir.path().join("metrics/run.csv"),
        "script_id,entity_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms\n\
         office-migration.ts,offices,2026-03-01T08:00:00Z,200000000,189999999,1,0,1000\n",
    )
    .unwrap();
    let out = dir.path().join("site");
    migcov()
        .args([
            "build",
            "--report-date",
            DATE,
            "--fail-under",
            "0.95",
            "--data",
        ])
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "94.99% is below --fail-under 95.00%",
        ))
        // The terminal line, the badge and the page say it alike (the badge and the line
        // read 95.0% beside the page: found by a review).
        .stdout(predicate::str::contains("success rate 94.999999%"));
    let index = read(&out.join("index.html"));
    assert!(index.contains("94.999999%"), "the index's success rate");
    let badge = read(&out.join("badges/success-rate.json"));
    assert!(badge.contains("94.999999%"), "{badge}");
    assert!(!index.contains(">95.0%<") && !index.contains(" 95.0%<"));
}

/// The report's id is the same for the same inputs and differs for two reports of one
/// date with other figures (it was the date's alone: found by an independent check).
#[test]
fn the_report_id_names_the_report_not_only_its_date() {
    let (_a, small) = small_site();
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("site");
    build(&fixtures().join("base"), &base);
    let id = |site: &Path| json(&site.join("api/coverage/summary.json"))["report"]["id"].clone();
    assert_ne!(id(&small), id(&base));
    let (_b, again) = small_site();
    assert_eq!(id(&small), id(&again));
}

#[test]
fn the_committed_site_is_the_build_of_the_bundled_sample() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let committed = json(&root.join("site/api/coverage/summary.json"));
    let date = committed["report"]["report_date"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    migcov()
        .current_dir(root)
        .args(["build", "--report-date", date, "--out"])
        .arg(&out)
        .assert()
        .code(1);
    assert_same_tree(
        &out,
        &root.join("site"),
        "site/ is stale: rebuild it (see docs/development.md)",
    );
    // One of a thing is singular: the sample declares one exclusion and has one table no
    // script covers.
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains(">1 exclusion</a>"),
        "plural for one exclusion"
    );
    assert!(index.contains("in 1 table are not covered"));
    assert!(!index.contains(" 1 tables") && !index.contains(">1 exclusions"));
    // Arrived intact on the sample's offices (docs/development.md works it out): 82
    // compared, 79 intact, 3 differ, one in each of name, budget and phone.
    let content = json(&out.join("api/validate/content.json"));
    assert_eq!(content["totals"]["compared"], 82);
    assert_eq!(content["totals"]["intact"], 79);
    assert_eq!(content["totals"]["differs"], 3);
    let differing: Vec<(String, u64)> = content["entities"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["target"].as_str().unwrap().to_string(),
                c["differing"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        differing,
        [
            ("budget".into(), 1),
            ("city".into(), 0),
            ("name".into(), 1),
            ("phone".into(), 1)
        ]
    );
    assert!(
        index.contains("96.3%"),
        "rows intact on the index: 79 of 82"
    );
    // The ledger splits the offices' migrated rows; every other table is not checked.
    let ledger = json(&out.join("api/ledger.json"));
    let tables = ledger["tables"].as_array().unwrap();
    let checked: Vec<&serde_json::Value> = tables
        .iter()
        .filter(|t| t.get("content").is_some())
        .collect();
    assert_eq!(checked.len(), 1);
    assert_eq!(checked[0]["table"], "dispatch_office");
    assert_eq!(checked[0]["content"]["intact"], 79);
    assert_eq!(checked[0]["content"]["differs"], 3);
    let page = std::fs::read_to_string(out.join("ledger/index.html")).unwrap();
    assert_eq!(
        page.matches("not checked</small>").count(),
        tables.len() - 1
    );
}

/// A copy of the small fixture with one file replaced.
fn broken(file: &str, contents: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("small"), dir.path());
    let path = dir.path().join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
    dir
}

fn assert_bad_input_keeps_old_site(data: &Path, expected: &[&str]) {
    let (_dir, out) = small_site();
    let before = tree(&out);
    let mut assert = build(data, &out).code(2);
    for text in expected {
        assert = assert.stderr(predicate::str::contains(*text));
    }
    assert!(tree(&out) == before, "the old site must be left untouched");
    let siblings: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().collect();
    assert_eq!(siblings.len(), 1, "no staging folder left behind");
}

/// Found by an independent check: `--failures-dir` equal to `--out` replaced the whole
/// site (its archive too) by the failure CSVs, and a failures folder or CI file that could
/// not be written was found only after the new site had gone live. Every folder is now
/// staged and every file checked (by making one) before anything goes live; overlapping
/// folders are refused.
#[test]
fn an_output_that_cannot_be_written_leaves_the_old_site_as_it_was() {
    let (dir, out) = small_site();
    let before = tree(&out);
    let foreign = dir.path().join("notes");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("keep.txt"), "mine\n").unwrap();
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (vec!["--failures-dir".into(), out.clone().into()], "overlap"),
        (
            vec!["--failures-dir".into(), out.join("failures").into()],
            "overlap",
        ),
        (vec!["--dump-context".into(), dir.path().into()], "overlap"),
        (
            vec!["--failures-dir".into(), foreign.clone().into()],
            "refusing to replace a folder migcov did not write",
        ),
        (
            vec!["--junit".into(), "/proc/migcov-junit.xml".into()],
            "not writable",
        ),
    ];
    for (args, expected) in cases {
        migcov()
            .args(["build", "--report-date", "2026-11-21", "--data"])
            .arg(fixtures().join("small"))
            .arg("--out")
            .arg(&out)
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
        assert!(
            tree(&out) == before,
            "{args:?}: the old site must be left untouched"
        );
        assert_eq!(
            std::fs::read_to_string(foreign.join("keep.txt")).unwrap(),
            "mine\n"
        );
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "site" && n != "notes")
            .collect();
        assert!(
            left.is_empty(),
            "{args:?}: nothing left beside the site: {left:?}"
        );
    }
}

/// Found by an independent check: counts in YAML had no bound, so two entities of
/// 5×10^18 records summed to a negative total and the gate passed. They are bounded as the
/// tables' counts are.
#[test]
fn a_count_past_15_digits_in_yaml_is_exit_2_naming_the_file() {
    let entities = std::fs::read_to_string(fixtures().join("small/entities.yaml")).unwrap();
    let data = broken(
        "entities.yaml",
        &entities.replacen("total_records: 10", "total_records: 5000000000000000000", 1),
    );
    assert_bad_input_keeps_old_site(
        data.path(),
        &[
            "entities.yaml",
            "5000000000000000000: expected a whole number of at most 15 digits",
        ],
    );
    let data = broken(
        "scripts/extra.yaml",
        "- name: extra-migration.ts\n  category: core\n  data_domain: clinical\n  source_table: a\n  target_table: b\n  status: complete\n  record_count: 1000000000000001\n",
    );
    assert_bad_input_keeps_old_site(
        data.path(),
        &[
            "scripts/extra.yaml",
            "expected a whole number of at most 15 digits",
        ],
    );
}

/// Found by an independent check: a JSON boolean in a count column was read as 0 or 1
/// (a script at 0% from `false`). It is no count: an error naming the file, row and column.
#[test]
fn a_boolean_in_a_count_column_is_exit_2_naming_it() {
    let data = broken(
        "metrics/more.ndjson",
        "{\"script_id\":\"office-migration.ts\",\"execution_date\":\"2026-03-01T09:00:00Z\",\"records_processed\":25,\"records_successful\":false,\"records_failed\":0,\"execution_time_ms\":1000}\n",
    );
    assert_bad_input_keeps_old_site(
        data.path(),
        &[
            "metrics/more.ndjson row 1",
            "`records_successful`",
            "a whole number",
            "false",
        ],
    );
}

/// Found by an independent check: a header naming a column twice (`legacy_id,legacy_id`)
/// was read as its first; which one holds the values cannot be told, so it is an error.
#[test]
fn a_column_named_twice_in_a_header_is_exit_2_naming_it() {
    let data = broken(
        "mappings/twice.csv",
        "entity_type,legacy_id,modern_id,legacy_id\nOFFICE,1,7a0c8f3e-2b4d-4e6f-8a1b-000000000001,2\n",
    );
    assert_bad_input_keeps_old_site(
        data.path(),
        &[
            "mappings/twice.csv",
            "names column `legacy_id` more than once",
        ],
    );
}

/// Found by an independent check: a local time that the zone's clock skips was called no
/// ISO 8601 timestamp. It is one; the error says what is wrong with it.
#[test]
fn a_skipped_local_time_is_named_as_one() {
    let data = broken(
        "metrics/run.csv",
        "script_id,execution_date,records_processed,records_successful,records_failed,execution_time_ms\n\
         office-migration.ts,2026-03-29 02:30:00,4,4,0,1000\n",
    );
    std::fs::write(data.path().join("migcov.yaml"), "timezone: Europe/Berlin\n").unwrap();
    assert_bad_input_keeps_old_site(
        data.path(),
        &[
            "metrics/run.csv row 1",
            "`execution_date`",
            "expected a local time that exists in Europe/Berlin (a clock change skips this one)",
        ],
    );
}

#[test]
fn a_bad_value_names_file_row_and_column() {
    let data = broken(
        "metrics/run.csv",
        "script_id,execution_date,records_processed,records_successful,records_failed,execution_time_ms\n\
         office-migration.ts,2026-03-01T08:00:00Z,4,4,0,1000\n\
         office-migration.ts,2026-03-01T09:00:00Z,four,4,0,1000\n",
    );
    assert_bad_input_keeps_old_site(
        data.path(),
        &[
            "metrics/run.csv row 2",
            "`records_processed`",
            "a whole number",
            "\"four\"",
        ],
    );
}

#[test]
fn a_bad_timestamp_names_file_row_and_column() {
    let data = broken(
        "metrics/run.csv",
        "script_id,execution_date,records_processed,records_successful,records_failed,execution_time_ms\n\
         office-migration.ts,yesterday,4,4,0,1000\n",
    );
    assert_bad_input_keeps_old_site(data.path(), &["metrics/run.csv row 1", "`execution_date`"]);
}

#[test]
fn a_missing_column_is_named() {
    let data = broken(
        "logs/log.csv",
        "script_id,timestamp,level,message\nx,2026-03-01T08:00:00Z,INFO,m\n",
    );
    assert_bad_input_keeps_old_site(
        data.path(),
        &["logs/log.csv", "missing required column `operation_type`"],
    );
}

#[test]
fn a_bad_manifest_names_file_and_line() {
    let data = broken(
        "scripts/office.yaml",
        "name: office-migration.ts\ncategory: CORE\ndata_domain: BUSINESS\nsource_table: a\ntarget_table: b\nstatus: DONE\n",
    );
    assert_bad_input_keeps_old_site(
        data.path(),
        &["scripts/office.yaml line 6", "NOT_STARTED | IN_PROGRESS"],
    );
}

/// A domain no domain is in `gate.min_domain_coverage` is named (serde said only "did not
/// match any variant of untagged enum MinCoverage": found by an independent check).
#[test]
fn an_unknown_domain_in_a_gate_minimum_is_named() {
    let data = broken(
        "migcov.yaml",
        "gate:\n  min_domain_coverage: {CLINICAL: 0.9, MARKETING: 0.5}\n",
    );
    assert_bad_input_keeps_old_site(
        data.path(),
        &[
            "migcov.yaml line 2",
            "found \"MARKETING\"",
            "CLINICAL | BUSINESS",
        ],
    );
}

#[test]
fn an_invalid_uuid_in_a_manifest_is_an_error() {
    let data = broken(
        "scripts/office.yaml",
        "id: not-a-uuid\nname: office-migration.ts\ncategory: CORE\ndata_domain: BUSINESS\nsource_table: a\ntarget_table: b\nstatus: COMPLETE\n",
    );
    assert_bad_input_keeps_old_site(data.path(), &["scripts/office.yaml line 1"]);
}

#[test]
fn an_unparsable_parquet_file_is_named() {
    let data = broken("mappings/broken.parquet", "this is not parquet");
    assert_bad_input_keeps_old_site(data.path(), &["mappings/broken.parquet"]);
}

#[test]
fn a_missing_data_folder_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    build(&dir.path().join("nowhere"), &dir.path().join("site"))
        .code(2)
        .stderr(predicate::str::contains("nowhere: data folder not found"));
    assert!(!dir.path().join("site").exists());
}

#[test]
fn usage_errors_are_exit_2() {
    migcov()
        .args(["build", "--report-date", "31/03/2026"])
        .assert()
        .code(2);
    migcov().args(["frobnicate"]).assert().code(2);
}

#[test]
fn a_foreign_output_folder_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("thesis.tex"), "precious").unwrap();
    build(&fixtures().join("small"), dir.path())
        .code(2)
        .stderr(predicate::str::contains("not a migcov site"));
    assert_eq!(read(&dir.path().join("thesis.tex")), "precious");
}

#[test]
fn source_date_epoch_fixes_the_date() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    migcov()
        .env("SOURCE_DATE_EPOCH", "1774915200") // 2026-03-31T00:00:00Z
        .args(["build", "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    assert_eq!(
        json(&out.join("api/coverage/summary.json"))["report"]["report_date"],
        DATE
    );
}

#[test]
fn footer_shows_date_version_and_data_folder() {
    let (_dir, out) = small_site();
    let page = read(&out.join("index.html"));
    assert!(page.contains(&format!(
        "Report date <time datetime=\"{DATE}\">{DATE}</time>"
    )));
    assert!(page.contains(concat!("migcov ", env!("CARGO_PKG_VERSION"))));
    assert!(page.contains("data folder <code>small</code>"));
}

#[test]
fn user_templates_override_built_ins_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(
        templates.join("index.html"),
        "{% extends \"base.html\" %}{% block main %}<p>Custom: {{ summary.migrated_records | num }}</p>{% endblock main %}",
    )
    .unwrap();
    std::fs::write(
        templates.join("style.css"),
        "body { color: rebeccapurple; }",
    )
    .unwrap();
    let out = dir.path().join("site");
    migcov()
        .args(["build", "--report-date", DATE, "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(&out)
        .arg("--templates")
        .arg(&templates)
        .assert()
        .code(1);
    assert!(read(&out.join("index.html")).contains("<p>Custom: 103</p>"));
    assert_eq!(
        read(&out.join("assets/style.css")),
        "body { color: rebeccapurple; }"
    );
    // Pages without an override keep the built-in template.
    assert!(read(&out.join("scripts/index.html")).contains("Every migration script"));
}

#[test]
fn templates_command_writes_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    migcov()
        .args(["templates", "--out"])
        .arg(dir.path().join("t"))
        .assert()
        .success();
    assert!(dir.path().join("t/base.html").is_file());
    assert!(dir.path().join("t/style.css").is_file());
    // Into a folder holding one of the names (found by an independent check: the files
    // before it were written, then exit 2): exit 2 and nothing written.
    let taken = dir.path().join("taken");
    std::fs::create_dir_all(&taken).unwrap();
    std::fs::write(taken.join("index.html"), "mine").unwrap();
    migcov()
        .args(["templates", "--out"])
        .arg(&taken)
        .assert()
        .code(2);
    let left: Vec<_> = std::fs::read_dir(&taken).unwrap().flatten().collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        std::fs::read_to_string(taken.join("index.html")).unwrap(),
        "mine"
    );
}

#[test]
fn scripts_dir_flag_reconciles_scripts_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    for name in [
        "office-migration.ts",
        "patient-migration.ts",
        "stray-migration.ts",
    ] {
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::write(repo.join(name), "").unwrap();
    }
    let out = dir.path().join("site");
    migcov()
        .args(["build", "--report-date", DATE, "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(&out)
        .arg("--scripts-dir")
        .arg(&repo)
        .assert()
        .code(1);
    let page = read(&out.join("validate/coverage.scripts.unaccounted.html"));
    assert!(page.contains("1 script on disk has no manifest"));
    assert!(page.contains("repo/stray-migration.ts"));
    let page = read(&out.join("validate/coverage.scripts.missing_on_disk.html"));
    assert!(page.contains("2 script manifests have no file in repo"));
    // A scripts folder that is not there is named as the scripts folder, not the data's
    // (found by an independent check), exit 2.
    migcov()
        .args(["build", "--report-date", DATE, "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(dir.path().join("site2"))
        .arg("--scripts-dir")
        .arg(dir.path().join("nowhere"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "nowhere: scripts folder not found (--scripts-dir or scripts_dir in migcov.yaml)",
        ));
}

#[test]
fn validate_exit_codes_follow_the_gate() {
    let validate = |args: &[&str]| {
        let mut cmd = migcov();
        cmd.arg("validate").args(args);
        cmd.assert()
    };
    let base = fixtures().join("base");
    let base = base.to_str().unwrap();
    validate(&["--data", base]).code(0).stdout(
        predicate::str::contains("no findings").and(predicate::str::contains("gate passed")),
    );
    // The base migrated 10 of 10 successfully: a bar of 1.0 holds.
    validate(&["--data", base, "--fail-under", "1.0"]).code(0);
    let small = fixtures().join("small");
    let small = small.to_str().unwrap();
    let output = validate(&["--data", small])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let output = String::from_utf8(output).unwrap();
    let unmapped = output
        .lines()
        .find(|l| l.starts_with("missing.mapping.unmapped"))
        .unwrap();
    assert_eq!(
        unmapped.split_whitespace().collect::<Vec<_>>(),
        ["missing.mapping.unmapped", "warning", "1", "7"]
    );
    assert!(output.contains("gate failed"));
    // The small fixture's success rate is 109/135 = 0.807.
    validate(&["--data", small, "--fail-under", "0.81"])
        .code(1)
        .stdout(predicate::str::contains(
            "overall success rate 80.74% is below --fail-under 81.00%",
        ));
    // Found by an independent check: a missed domain minimum failed the gate only through
    // its rule, so with the rule off the gate passed. The README's coverages: CLINICAL 0.8,
    // BUSINESS 0.3, COMMUNICATIONS 0.4; TECHNICAL has nothing in scope (n/a, not judged).
    validate(&[
        "--data",
        small,
        "--min-domain-coverage",
        "0.8",
        "--severity",
        "coverage.domain.threshold=off",
    ])
    .code(1)
    .stdout(predicate::str::contains(
        "domain coverage below --min-domain-coverage: BUSINESS 30.00% < 80.00%, COMMUNICATIONS 40.00% < 80.00%",
    ));
    validate(&["--data", small, "--max-missing", "6"])
        .code(1)
        .stdout(predicate::str::contains(
            "7 legacy records have no mapping, more than --max-missing 6",
        ));
    validate(&["--data", small, "--severity", "no.such.rule=off"])
        .code(2)
        .stderr(predicate::str::contains("unknown rule \"no.such.rule\""));
    validate(&["--data", "/nonexistent/folder"]).code(2);
}

#[test]
fn severity_overrides_can_pass_the_gate() {
    let errors = [
        "coverage.table.not_in_inventory",
        "coverage.table.uncovered",
        "reconcile.entity.distinct_mapped_ids",
        "integrity.mapping.invalid_modern_id",
        "integrity.mapping.negative_legacy_id",
        "integrity.reference.unresolved",
        "missing.mapping.orphan",
        "reconcile.entity.mapping_count",
    ];
    let mut cmd = migcov();
    cmd.arg("validate")
        .arg("--data")
        .arg(fixtures().join("small"));
    for rule in errors {
        cmd.args(["--severity", &format!("{rule}=warning")]);
    }
    cmd.args(["--severity", "load.file.unknown=off"]);
    cmd.assert()
        .code(0)
        .stdout(predicate::str::contains("load.file.unknown").not());
}

#[test]
fn failures_dir_holds_every_violating_row() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let failures = dir.path().join("failures");
    migcov()
        .args(["build", "--report-date", DATE, "--samples", "1", "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(&out)
        .arg("--failures-dir")
        .arg(&failures)
        .assert()
        .code(1);
    let unmapped = std::fs::read_dir(failures.join("missing.mapping.unmapped"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect::<Vec<_>>();
    assert_eq!(unmapped.len(), 1);
    let csv = read(&unmapped[0]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "__file,__row,id");
    assert_eq!(
        lines.len(),
        1 + 7,
        "all 7 unmapped ids, not just the 1 sample"
    );
    assert_eq!(lines[1], "source_ids/dispatch_office.csv,4,4");
    let page = read(&out.join("validate/missing.mapping.unmapped.html"));
    assert!(page.contains("the first 1 are shown"));
}

/// Missing data keeps only the rows a finding shows (`measure::missing`), unless every row
/// is kept for `--failures-dir`: both must show the same counts and the same first rows.
#[test]
fn missing_data_keeps_the_rows_it_shows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for data in [fixtures().join("small"), root.join("data")] {
        let dir = tempfile::tempdir().unwrap();
        let build = |name: &str, all_rows: bool| {
            let out = dir.path().join(name);
            let mut command = migcov();
            command
                .args([
                    "build",
                    "--exit-zero",
                    "--report-date",
                    DATE,
                    "--samples",
                    "1",
                ])
                .arg("--data")
                .arg(&data)
                .arg("--out")
                .arg(&out);
            if all_rows {
                command
                    .arg("--failures-dir")
                    .arg(dir.path().join("failures"));
            }
            command.assert().code(0);
            json(&out.join("api/validate/missing.json"))
        };
        let (shown, all) = (build("shown", false), build("all", true));
        assert_eq!(shown, all, "{}", data.display());
        // The sets are larger than the one sample each finding shows.
        let findings = shown["findings"].as_array().unwrap();
        assert!(findings.iter().any(|f| f["count"].as_u64().unwrap() > 1));
        assert!(findings
            .iter()
            .all(|f| f["samples"].as_array().unwrap().len() == 1));
    }
}

#[test]
fn validation_json_mirrors_the_findings() {
    let (_dir, out) = small_site();
    let missing = json(&out.join("api/validate/missing.json"));
    assert_eq!(missing["missing_records"], 7);
    assert_eq!(missing["passed"], false, "an orphan mapping is an error");
    let reconcile = json(&out.join("api/validate/reconcile.json"));
    let offices = reconcile["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entity"] == "offices")
        .unwrap();
    let mapping = &offices["checks"][1];
    assert_eq!(mapping["rule"], "reconcile.entity.mapping_count");
    assert_eq!(
        (mapping["expected"].as_i64(), mapping["actual"].as_i64()),
        (Some(9), Some(4))
    );
    assert_eq!(mapping["delta"], -5);
    let coverage = json(&out.join("api/validate/coverage.json"));
    let uncovered = coverage["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "coverage.table.uncovered")
        .unwrap();
    assert_eq!(
        uncovered["samples"][0]["fields"][0]["value"],
        "dispatch_fax"
    );
    let page = read(&out.join("validate/reconcile.html"));
    assert!(
        page.contains("4 / 9") && page.contains("−5 (−55.56%)"),
        "offices mappings −5 of 9"
    );
}

#[test]
fn an_unknown_rule_in_migcov_yaml_is_exit_2() {
    let data = broken("migcov.yaml", "severity:\n  no.such.rule: off\n");
    assert_bad_input_keeps_old_site(
        data.path(),
        &["migcov.yaml", "unknown rule \"no.such.rule\""],
    );
}

#[test]
fn an_unknown_key_in_migcov_yaml_names_the_line() {
    let data = broken("migcov.yaml", "title: x\nthreshold:\n  high: 0.9\n");
    assert_bad_input_keeps_old_site(
        data.path(),
        &["migcov.yaml line 2", "unknown field `threshold`"],
    );
}

/// A misspelt key in a compared column's settings is an error naming it and the line, as
/// at the entity's level (it was silently ignored: `tolerence: 1` was no tolerance), and a
/// bad value names the key and what it may be.
#[test]
fn a_misspelt_column_setting_in_migcov_yaml_names_the_key_and_the_line() {
    let declaration = "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    columns:\n      name: {target: name, ";
    for (setting, expected) in [
        ("tolerence: 1}", "unknown field `tolerence`"),
        ("scal: 2}", "unknown field `scal`"),
        (
            "case: title}",
            "unknown variant `title`, expected `lower` or `upper`",
        ),
        ("trim: yes}", "trim"),
        (
            "tolerance: -1}",
            "tolerance: expected a tolerance of 0 or more, found -1",
        ),
        ("tolerance: .nan}", "found NaN"),
        ("scale: 100}", "scale: expected at most 38 decimals"),
    ] {
        let data = broken("migcov.yaml", &format!("{declaration}{setting}\n"));
        let named = ["migcov.yaml line 6", expected];
        let column = ["column `name`"];
        let settings = !setting.starts_with("tolerance") && !setting.starts_with("scale");
        let all: Vec<&str> = named
            .into_iter()
            .chain(column.into_iter().filter(|_| settings))
            .collect();
        assert_bad_input_keeps_old_site(data.path(), &all);
    }
}

/// Found by an independent check: `gate.min_intact_rate: .nan` (or 2, or -1) was taken,
/// shown as null, and the gate passed at 30% intact.
#[test]
fn a_min_intact_rate_outside_0_to_1_is_exit_2() {
    for value in [".nan", "2", "-1"] {
        let data = broken(
            "migcov.yaml",
            &format!("gate:\n  min_intact_rate: {value}\n"),
        );
        assert_bad_input_keeps_old_site(
            data.path(),
            &[
                "migcov.yaml line 2",
                "gate.min_intact_rate: expected a rate between 0.0 and 1.0",
            ],
        );
    }
}

#[test]
fn dump_context_shows_template_authors_what_each_page_gets() {
    let dir = tempfile::tempdir().unwrap();
    let contexts = dir.path().join("contexts");
    migcov()
        .args(["build", "--report-date", DATE, "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(dir.path().join("site"))
        .arg("--dump-context")
        .arg(&contexts)
        .assert()
        .code(1);
    let index = json(&contexts.join("index.json"));
    assert_eq!(index["summary"]["migrated_records"], 103);
    assert_eq!(index["root"], "");
    assert_eq!(index["meta"]["report_date"], DATE);
    let script = json(&contexts.join(format!("scripts/{PATIENT_SCRIPT}.json")));
    assert_eq!(script["root"], "../");
    assert_eq!(script["script"]["totals"]["records_processed"], 100);
    assert!(contexts.join("validate/index.json").is_file());
}

#[test]
fn a_broken_user_template_is_exit_2_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(
        templates.join("index.html"),
        "{% extends \"base.html\" %}{% block main %}{{ oops(}}{% endblock main %}",
    )
    .unwrap();
    migcov()
        .args(["build", "--report-date", DATE, "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(dir.path().join("site"))
        .arg("--templates")
        .arg(&templates)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("index.html"));
    assert!(!dir.path().join("site").exists(), "nothing written");
}

/// The text of the cells (`<th>` and `<td>`) of the first table row that contains `needle`,
/// tags stripped.
fn row_cells(page: &str, needle: &str) -> Vec<String> {
    let at = page
        .find(needle)
        .unwrap_or_else(|| panic!("no row with {needle}"));
    let start = page[..at].rfind("<tr").unwrap();
    let end = at + page[at..].find("</tr>").unwrap();
    let row = &page[start..end];
    let mut cells = Vec::new();
    for part in row.split("<t").skip(2) {
        let inner = &part[part.find('>').unwrap() + 1..];
        let mut text = String::new();
        let mut in_tag = false;
        for c in inner.split("</t").next().unwrap().chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        cells.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    cells
}

#[test]
fn table_rows_carry_the_hand_worked_figures() {
    let (_dir, out) = small_site();
    let index = read(&out.join("index.html"));
    // CLINICAL: priority, coverage 80/100, migrated, failed, total, 1 entity, 2 scripts
    // (patient-migration.ts and notes-migration.ts).
    assert_eq!(
        row_cells(&index, "domains/clinical.html"),
        [
            "CLINICAL",
            "CRITICAL",
            "◆ 80.0% medium",
            "80",
            "5",
            "100",
            "1",
            "2"
        ]
    );
    let scripts = read(&out.join("scripts/index.html"));
    // office: COMPLETE, CORE, BUSINESS, dispatch_office → offices, 10 records, the
    // manifest's 95.0%, 2 executions, 1 finding (the success-rate mismatch).
    assert_eq!(
        row_cells(&scripts, ">office-migration.ts<")[..],
        [
            "office-migration.ts",
            "COMPLETE",
            "CORE",
            "BUSINESS",
            "dispatch_office → offices",
            "10",
            "▲ 90.0% highmanifest says 95.0%",
            "2",
            "1"
        ]
    );
    let entities = read(&out.join("entities/index.html"));
    assert_eq!(
        row_cells(&entities, ">messages<"),
        [
            "messages",
            "COMMUNICATIONS",
            "dispatch_message",
            "messages",
            "▼ 40.0% low",
            "20",
            "0",
            "50",
            "message-migration.ts"
        ]
    );
}

#[test]
fn exit_zero_reports_the_gate_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    migcov()
        .args(["build", "--exit-zero", "--report-date", DATE, "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "migcov: report: {}",
            out.join("index.html").display()
        )))
        .stdout(predicate::str::contains(
            "migcov: gate failed: 12 error findings",
        ));
}

#[test]
fn a_rule_turned_off_changes_no_figure() {
    // The small fixture has 7 unmapped ids (README). Turning the rule off hides the
    // findings, not the measurement: the page, the JSON and the gate still count 7.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    migcov()
        .args(["build", "--report-date", DATE, "--max-missing", "6"])
        .args(["--severity", "missing.mapping.unmapped=off", "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "7 legacy records have no mapping, more than --max-missing 6",
        ));
    assert_eq!(
        json(&out.join("api/coverage/summary.json"))["missing_records"],
        7
    );
    let page = read(&out.join("validate/missing.html"));
    assert!(page.contains("<p>7 legacy ids listed in"), "{page}");
}

#[test]
fn migcov_yaml_values_are_checked_like_flags() {
    for (text, expected) in [
        (
            "title: x\ngate:\n  fail_under: 95\n",
            "migcov.yaml line 3: gate.fail_under: expected a rate between 0.0 and 1.0 (0.95 for 95%), found 95",
        ),
        (
            "thresholds:\n  high: 0.5\n  medium: 0.8\n",
            "migcov.yaml line 3: thresholds.medium: expected medium <= high, found medium 0.8 above high 0.5",
        ),
        (
            "reconcile_tolerance: -0.1\n",
            "migcov.yaml line 1: reconcile_tolerance: expected a tolerance of 0 or more, found -0.1",
        ),
    ] {
        let data = broken("migcov.yaml", text);
        migcov()
            .args(["validate", "--data"])
            .arg(data.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
    }
}

#[test]
fn no_figure_changes_when_every_rule_is_off() {
    // Severity decides the gate, never the measurement: with every rule off, the ledger,
    // the coverage report and the missing count are the same.
    let dir = tempfile::tempdir().unwrap();
    let (on, off) = (dir.path().join("on"), dir.path().join("off"));
    build(&fixtures().join("small"), &on).code(1);
    let mut cmd = migcov();
    cmd.args(["build", "--report-date", DATE, "--data"])
        .arg(fixtures().join("small"))
        .arg("--out")
        .arg(&off);
    for rule in migcov::validate::RULES {
        cmd.args(["--severity", &format!("{}=off", rule.id)]);
    }
    cmd.assert().code(0);
    for file in ["api/ledger.json", "api/scripts.json"] {
        assert_eq!(json(&on.join(file)), json(&off.join(file)), "{file}");
    }
    let (a, b) = (
        json(&on.join("api/coverage/summary.json")),
        json(&off.join("api/coverage/summary.json")),
    );
    for key in ["report", "domains", "missing_records", "ledger", "declared"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let reconcile = |dir: &Path| json(&dir.join("api/validate/reconcile.json"))["entities"].clone();
    assert_eq!(reconcile(&on), reconcile(&off));
}

/// Text exports are read a slice at a time (`load::slices`); at a few bytes a slice, every
/// record of the bundled sample (CSV metrics, mappings and ids, NDJSON logs) crosses a seam
/// somewhere, and the site must not change by a byte.
#[test]
fn reading_in_tiny_slices_builds_the_same_site() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let date = json(&root.join("site/api/coverage/summary.json"))["report"]["report_date"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    migcov()
        .current_dir(root)
        .env("MIGCOV_SLICE_BYTES", "97")
        .args(["build", "--report-date", &date, "--out"])
        .arg(&out)
        .assert()
        .code(1);
    assert_same_tree(&out, &root.join("site"), "slices changed the site");
}

/// Small `source_ids` are held from loading on; above eight slices of files they are read
/// again table by table when missing data reaches them (`load::SourceIds`), and above 32
/// slices of modern id halves those are set aside on disk while missing data runs
/// (`measure::set_aside`). One-byte slices put the fixtures above both lines: the site must
/// not change by a byte.
#[test]
fn source_ids_read_again_build_the_same_site() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for fixture in ["tests/fixtures/ledger", "tests/fixtures/base"] {
        let data = root.join(fixture);
        let dir = tempfile::tempdir().unwrap();
        let build = |slices: Option<&str>, out: &Path| {
            let mut command = migcov();
            if let Some(size) = slices {
                command.env("MIGCOV_SLICE_BYTES", size);
            }
            let status = command
                .args(["build", "--exit-zero", "--report-date", DATE, "--data"])
                .arg(&data)
                .arg("--out")
                .arg(out)
                .output()
                .unwrap();
            assert!(status.status.success(), "{fixture}: {status:?}");
        };
        let (held, again) = (dir.path().join("held"), dir.path().join("again"));
        build(None, &held);
        build(Some("1"), &again);
        assert_same_tree(&again, &held, "ids read again changed the site");
    }
}

/// A mapping's ids are held when the mapping files are small and read again once the
/// mappings are dropped when they are large (`load::MappingIds`); one-byte slices make
/// a CSV file of more than 1 KiB large. Worked out by hand, the same both ways:
/// `offices.csv` row 3 leaves `legacy_id` empty (left out,
/// `integrity.export.missing_value`), so its id, the same as row 2's, repeats nothing;
/// row 4 repeats row 2's id in upper case; row 5's id is no UUID; rows 6 to 45 have ids
/// and keys of their own; `more.csv` has no `id` column and gives none.
#[test]
fn mapping_ids_read_again_give_the_findings_held_ids_give() {
    // Two UUIDs, 35 characters and a last digit.
    const A: &str = "9c4f7d21-3b6a-4e8f-a1d2-5e6f7a8b9c0";
    let offices = format!(
        "id,entity_type,legacy_id,modern_id\n\
         {A}1,OFFICE,1,5b1e0a52-8f5e-4d1c-9a43-0c9b7f1d2e01\n\
         {A}2,OFFICE,2,5b1e0a52-8f5e-4d1c-9a43-0c9b7f1d2e02\n\
         {A}2,OFFICE,,5b1e0a52-8f5e-4d1c-9a43-0c9b7f1d2e03\n\
         {upper}2,OFFICE,3,5b1e0a52-8f5e-4d1c-9a43-0c9b7f1d2e04\n\
         run-7,OFFICE,4,5b1e0a52-8f5e-4d1c-9a43-0c9b7f1d2e05\n",
        upper = A.to_uppercase()
    );
    let others: String = (0..40)
        .map(|i| {
            format!(
                "1d2e3f40-0000-4000-8000-{i:012},OFFICE,{},2a3b4c5d-0000-4000-8000-{i:012}\n",
                100 + i
            )
        })
        .collect();
    let data = broken("mappings/offices.csv", &format!("{offices}{others}"));
    std::fs::write(
        data.path().join("mappings/more.csv"),
        "entity_type,legacy_id,modern_id\nOFFICE,5,5b1e0a52-8f5e-4d1c-9a43-0c9b7f1d2e06\n",
    )
    .unwrap();
    // A finding as (rule, message, count, samples of (file, row, first field)).
    type Samples = Vec<(String, u64, String)>;
    type Shown = (String, String, u64, Samples);
    let findings = |slices: Option<&str>| -> Vec<Shown> {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        let mut command = migcov();
        if let Some(size) = slices {
            command.env("MIGCOV_SLICE_BYTES", size);
        }
        command
            .args(["build", "--exit-zero", "--report-date", DATE, "--data"])
            .arg(data.path())
            .arg("--out")
            .arg(&out)
            .assert()
            .code(0);
        let integrity = json(&out.join("api/validate/integrity.json"));
        integrity["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["subject"]["name"] == "mappings")
            .map(|f| {
                let samples = f["samples"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        let fields = s["fields"].as_array().unwrap();
                        (
                            s["file"].as_str().unwrap().to_string(),
                            s["row"].as_u64().unwrap(),
                            fields[0]["value"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                    f["count"].as_u64().unwrap(),
                    samples,
                )
            })
            .collect()
    };
    let held = findings(None);
    let file = "mappings/offices.csv".to_string();
    let rules: Vec<(&str, u64, &Samples)> = held
        .iter()
        .map(|(rule, _, count, samples)| (rule.as_str(), *count, samples))
        .collect();
    assert_eq!(
        rules,
        vec![
            (
                "integrity.export.duplicate_id",
                1,
                &vec![(file.clone(), 4, format!("{}2", A.to_uppercase()))]
            ),
            (
                "integrity.export.invalid_id",
                1,
                &vec![(file.clone(), 5, "run-7".into())]
            ),
            (
                "integrity.export.missing_value",
                1,
                &vec![(file, 3, "legacy_id".into())]
            ),
        ],
        "{held:?}"
    );
    assert_eq!(findings(Some("1")), held, "ids read again");
}

/// A CSV value may hold line breaks and doubled quotes: a slice never ends inside one.
#[test]
fn quoted_line_breaks_survive_the_slices() {
    // Row 1's JSON is broken over lines and valid; row 2's holds a line break and doubled
    // quotes and is not JSON.
    let rows = "script_id,entity_id,execution_date,records_processed,records_successful,records_failed,execution_time_ms,error_details\n\
         office-migration.ts,offices,2026-03-01T08:00:00Z,6,5,1,2000,\"{\"\"a\"\":\n1}\"\n\
         office-migration.ts,offices,2026-03-01T09:00:00Z,4,4,0,1000,\"not\n\"\"json\"\n";
    let data = broken(
        "metrics/run.csv",
        &format!("{rows}office-migration.ts,offices,2026-03-01T10:00:00Z,four,4,0,1000,\n"),
    );
    for size in ["1", "7", "64", "100000"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        // Row 3 (the third record, on line 6) is the bad one, whatever the slices.
        migcov()
            .env("MIGCOV_SLICE_BYTES", size)
            .args(["build", "--report-date", DATE, "--data"])
            .arg(data.path())
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("metrics/run.csv row 3"))
            .stderr(predicate::str::contains("\"four\""));
    }
    // Without the bad row, the same site at every slice size: the invalid JSON of row 2 is
    // found and shown with its line break; row 1's JSON, broken over lines, is valid.
    let fixed = broken("metrics/run.csv", rows);
    let site = |size: &str| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        migcov()
            .env("MIGCOV_SLICE_BYTES", size)
            .args(["build", "--report-date", DATE, "--data"])
            .arg(fixed.path())
            .arg("--out")
            .arg(&out)
            .assert()
            .code(1);
        (dir, out)
    };
    let (_whole, whole) = site("100000");
    let findings = read(&whole.join("api/validate/integrity.json"));
    assert!(findings.contains("not\\n\\\"json"), "{findings}");
    assert!(
        !findings.contains("\\\"a\\\":\\n1"),
        "valid JSON is no finding"
    );
    for size in ["1", "5", "33"] {
        let (_dir, out) = site(size);
        assert_same_tree(&out, &whole, &format!("slices of {size} bytes"));
    }
}

/// The content thresholds of the gate on the sample (82 compared, 79 intact, 3 differ:
/// docs/development.md): 96.3% intact misses 99%, and 3 differing rows exceed 2.
#[test]
fn the_gate_judges_values_that_did_not_arrive_intact() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |flags: &[&str]| {
        let assert = migcov()
            .current_dir(root)
            .args(["validate", "--data", "data"])
            .args(["--severity", "reconcile.content.value_mismatch=warning"])
            .args(flags)
            .assert();
        String::from_utf8(assert.get_output().stderr.clone()).unwrap()
            + &String::from_utf8(assert.get_output().stdout.clone()).unwrap()
    };
    let text = run(&["--min-intact-rate", "0.99"]);
    assert!(
        text.contains("96.34% of the compared rows arrived intact, below --min-intact-rate 99.00%"),
        "{text}"
    );
    let text = run(&["--max-value-mismatches", "2"]);
    assert!(
        text.contains("3 compared rows differ in a value, more than --max-value-mismatches 2"),
        "{text}"
    );
    let text = run(&["--max-value-mismatches", "3", "--min-intact-rate", "0.96"]);
    assert!(
        !text.contains("arrived intact, below") && !text.contains("differ in a value"),
        "{text}"
    );
}

/// Found by an independent check: with `--out DATA/metrics/report`, the next build read the
/// report as inputs (its `executions.csv` as metrics, exit 2), and with `--out DATA/site`
/// listed its pages as unknown files. The loader skips the folders migcov wrote: the next
/// build gives the same findings. A folder that is or holds the data folder is refused.
#[test]
fn an_output_inside_the_data_folder_is_never_read_as_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_tree(&fixtures().join("small"), &data);
    let elsewhere = dir.path().join("elsewhere");
    // Every figure and finding but the warning listing the folders skipped.
    let findings = |out: &Path| {
        let mut summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("api/coverage/summary.json")).unwrap())
                .unwrap();
        let skipped = summary["rules"]
            .as_object_mut()
            .unwrap()
            .remove("load.file.skipped");
        for key in ["findings", "gate"] {
            summary.as_object_mut().unwrap().remove(key);
        }
        (summary, skipped.map(|s| s["violations"].as_u64().unwrap()))
    };
    let build = |out: &Path, extra: &[&str]| {
        migcov()
            .args([
                "build",
                "--exit-zero",
                "--report-date",
                "2026-11-21",
                "--data",
            ])
            .arg(&data)
            .arg("--out")
            .arg(out)
            .args(extra)
            .assert()
    };
    build(&elsewhere, &[]).success();
    let expected = findings(&elsewhere);
    // Listed, never read: the sites kept so far and the failures folder.
    for (place, listed) in [("site", 2), ("metrics/report", 3)] {
        let inside = data.join(place);
        build(&inside, &[]).success();
        let failures = data.join("failures");
        build(&inside, &["--failures-dir", failures.to_str().unwrap()]).success();
        build(&elsewhere, &[]).success();
        let (figures, skipped) = findings(&elsewhere);
        assert_eq!(figures, expected.0, "{place}: read as input");
        assert_eq!(skipped, Some(listed), "{place}");
    }
    for (flag, place) in [("--out", data.clone()), ("--dump-context", data.clone())] {
        let mut cmd = migcov();
        cmd.args(["build", "--report-date", "2026-11-21", "--data"])
            .arg(&data);
        if flag != "--out" {
            cmd.arg("--out").arg(&elsewhere);
        }
        cmd.arg(flag)
            .arg(&place)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is or holds the data folder"));
    }
}

/// Found by an independent check: a legacy column declared twice under `columns:` kept the
/// last silently (`n: {target: n, tolerance: 100}` then `n: n` dropped the tolerance).
#[test]
fn a_column_declared_twice_in_migcov_yaml_is_exit_2() {
    let data = broken(
        "migcov.yaml",
        "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    columns:\n      name: {target: name, tolerance: 100}\n      name: name\n",
    );
    assert_bad_input_keeps_old_site(
        data.path(),
        &["migcov.yaml", "column `name` is declared twice"],
    );
}

/// Found by an independent check: the Markdown summary listed a waived error rule as
/// failing beside "Gate: passed", and said "no content: declaration" where declarations
/// could not be checked.
#[test]
fn the_markdown_summary_marks_waived_rules_and_unchecked_declarations() {
    let data = common::base_with(Some(
        &fixtures().join("rules/coverage.table.uncovered/data"),
    ));
    std::fs::write(
        data.path().join("migcov.yaml"),
        "waivers:\n  - rule: coverage.table.uncovered\n    subject: '*'\n    reason: archived\n    approved_by: audit\n\
         content:\n  - entity: no_such_entity\n    legacy_key: id\n    target_key: id\n    columns:\n      a: a\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let summary = out.path().join("summary.md");
    migcov()
        .args([
            "build",
            "--exit-zero",
            "--report-date",
            "2026-03-02",
            "--data",
        ])
        .arg(data.path())
        .arg("--out")
        .arg(out.path().join("site"))
        .arg("--summary-md")
        .arg(&summary)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.contains("| `coverage.table.uncovered` | error (waived) | 1 |"),
        "{text}"
    );
    assert!(
        text.contains(
            "| Rows intact | values not checked (1 content: declaration could not be checked) |"
        ),
        "{text}"
    );
}
