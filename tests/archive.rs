//! CI and audit outputs: JUnit, Markdown, JSON, badges, snapshots with checksums, verify,
//! history and diff.

mod common;

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use common::{copy_tree, fixtures};
use predicates::prelude::*;
use serde_json::{json, Value};

fn migcov() -> Command {
    let mut cmd = Command::cargo_bin("migcov").unwrap();
    cmd.env_remove("SOURCE_DATE_EPOCH");
    cmd
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("&#x2F;", "/")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap()
}

/// `small`, or `small` with the `small-next` changes laid over it.
fn data(next: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("small"), dir.path());
    if next {
        copy_tree(&fixtures().join("small-next"), dir.path());
    }
    dir
}

fn build(data: &Path, out: &Path, date: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    migcov()
        .args(["build", "--report-date", date, "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
}

#[test]
fn junit_is_schema_valid_and_lists_each_failing_rule() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    build(
        &fixtures().join("small"),
        &dir.path().join("site"),
        "2026-03-31",
        &["--junit", junit.to_str().unwrap()],
    )
    .code(1);
    let xml = read(&junit);
    // One case per rule (64), named by its id whether it passes or fails; the 8 rules with
    // error findings (12 findings, README) are the failures, the 3 with warnings skipped.
    assert!(
        xml.contains(
            r#"<testsuites name="migcov Migration coverage" tests="65" failures="8" errors="0">"#
        ),
        "{}",
        &xml[..300]
    );
    for rule in [
        "coverage.table.uncovered",
        "integrity.mapping.invalid_modern_id",
        "integrity.mapping.negative_legacy_id",
        "integrity.reference.unresolved",
        "missing.mapping.orphan",
        "reconcile.entity.mapping_count",
    ] {
        assert!(
            xml.contains(&format!(r#"name="{rule}"><failure"#))
                || xml.contains(&format!("name=\"{rule}\">\n      <failure")),
            "{rule} has no case"
        );
    }
    assert_eq!(xml.matches("<failure ").count(), 8);
    assert_eq!(xml.matches("<skipped ").count(), 3);
    assert!(xml.contains(
        r#"<failure type="error" message="3 findings, 105 violating rows: entity: messages; entity: offices; entity: patients">"#
    ));
    // One of a thing is singular.
    assert!(!xml.contains("1 findings") && !xml.contains(" 1 violating rows"));
    assert!(xml.contains(r#"message="1 finding, "#), "{xml}");
    for family in ["coverage", "integrity", "missing", "reconcile", "load"] {
        assert!(xml.contains(&format!(r#"<testsuite name="{family}""#)));
    }
    match Process::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(fixtures().join("junit.xsd"))
        .arg(&junit)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "xmllint: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        // scripts/test installs xmllint; only an explicit opt-out skips the schema check.
        Err(_) if std::env::var_os("MIGCOV_SKIP_TOOLS").is_some() => {
            eprintln!("xmllint not found: schema check SKIPPED (MIGCOV_SKIP_TOOLS is set)")
        }
        Err(e) => panic!(
            "xmllint is needed to check the JUnit schema: {e} \
             (scripts/test installs it; or apt-get install libxml2-utils)"
        ),
    }
}

#[test]
fn summary_markdown_json_and_badges() {
    let dir = tempfile::tempdir().unwrap();
    let (md, result, out) = (
        dir.path().join("summary.md"),
        dir.path().join("result.json"),
        dir.path().join("site"),
    );
    build(
        &fixtures().join("small"),
        &out,
        "2026-03-31",
        &[
            "--summary-md",
            md.to_str().unwrap(),
            "--json",
            result.to_str().unwrap(),
            "--site-url",
            "https://reports.example/migration/",
        ],
    )
    .code(1);
    let text = read(&md);
    for line in [
        "**Gate: ❌ failed**",
        "| Records migrated | 61.7% (103 of 167) |",
        "| Overall success rate | 80.7% |",
        "| Rows intact | values not checked (no content: declaration) |",
        "| Scripts complete | 2 / 4 |",
        "| Findings | 12 errors · 3 warnings · 0 info |",
        "| COMMUNICATIONS | 40.0% | 20 | 50 |",
        "| `missing.mapping.unmapped` | warning | 1 | 7 |",
        "[Full report](https://reports.example/migration/)",
    ] {
        assert!(text.contains(line), "summary lacks {line:?}:\n{text}");
    }
    assert_eq!(read(&result), read(&out.join("api/coverage/summary.json")));
    assert_eq!(json(&result)["gate"]["passed"], false);
    let badge = read(&out.join("badges/coverage.svg"));
    assert!(badge.contains("<title>coverage: 61.7%</title>"));
    assert!(
        badge.contains("#c62828"),
        "61.7% is below medium (0.75): red"
    );
    assert!(read(&out.join("badges/gate.svg")).contains("migcov gate: failed"));
    assert!(read(&out.join("badges/success-rate.svg")).contains("success rate: 80.7%"));
}

/// Every local href/src of every page under `root` resolves inside `root`.
fn assert_links_resolve(root: &Path) {
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "html") {
            continue;
        }
        let text = read(entry.path());
        for attr in ["href=\"", "src=\""] {
            for part in text.split(attr).skip(1) {
                let target = part.split('"').next().unwrap().split('#').next().unwrap();
                if target.is_empty() {
                    continue;
                }
                assert!(
                    !target.contains("://"),
                    "{} links out: {target}",
                    entry.path().display()
                );
                let resolved = entry.path().parent().unwrap().join(target);
                assert!(
                    resolved.exists(),
                    "{} links to missing {target}",
                    entry.path().display()
                );
                let resolved = resolved.canonicalize().unwrap();
                assert!(
                    resolved.starts_with(root.canonicalize().unwrap()),
                    "{} leaves its folder: {target}",
                    entry.path().display()
                );
            }
        }
    }
}

#[test]
fn snapshots_are_complete_checked_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let first = data(false);
    build(first.path(), &out, "2026-03-31", &["--snapshot"]).code(1);
    let snapshot = out.join("archive/2026-03-31");
    for file in [
        "index.html",
        "SHA256SUMS",
        "provenance.json",
        "api/coverage/summary.json",
    ] {
        assert!(snapshot.join(file).is_file(), "{file}");
    }
    assert!(
        !snapshot.join("diff.html").exists(),
        "the first snapshot has nothing to diff"
    );

    // sha256sum -c accepts the manifest inside the snapshot.
    let status = Process::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&snapshot)
        .status()
        .unwrap();
    assert!(status.success());

    let provenance = json(&snapshot.join("provenance.json"));
    assert_eq!(provenance["report_date"], "2026-03-31");
    assert_eq!(provenance["gate"]["passed"], false);
    let inputs = provenance["inputs"].as_array().unwrap();
    let metrics = inputs
        .iter()
        .find(|i| i["path"] == "metrics/run.csv")
        .unwrap();
    assert_eq!(metrics["rows"], 3);
    assert_eq!(metrics["kind"], "metrics");
    let bytes = std::fs::read(first.path().join("metrics/run.csv")).unwrap();
    assert_eq!(metrics["bytes"], bytes.len());
    assert_eq!(metrics["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        inputs
            .iter()
            .find(|i| i["path"] == "scripts/more.yaml")
            .unwrap()["rows"],
        3
    );

    // The same date again is refused and changes nothing.
    let before = read(&out.join("index.html"));
    build(first.path(), &out, "2026-03-31", &["--snapshot"])
        .code(2)
        .stderr(predicate::str::contains(
            "a snapshot for 2026-03-31 already exists",
        ));
    assert_eq!(read(&out.join("index.html")), before);

    // A later plain build keeps the snapshot byte for byte.
    build(first.path(), &out, "2026-04-01", &[]).code(1);
    verify(&snapshot).code(0);

    // Moved elsewhere, the snapshot still works: every link stays inside it.
    let moved = dir.path().join("elsewhere/copy");
    std::fs::create_dir_all(&moved).unwrap();
    copy_tree(&snapshot, &moved);
    assert_links_resolve(&moved);
    verify(&moved).code(0);
    assert_links_resolve(&out);
}

#[test]
fn verify_detects_a_changed_byte_a_missing_file_and_an_added_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    build(
        &fixtures().join("small"),
        &out,
        "2026-03-31",
        &["--snapshot"],
    )
    .code(1);
    let snapshot = out.join("archive/2026-03-31");
    verify(&snapshot)
        .code(0)
        .stdout(predicate::str::contains("is intact"));

    let css = snapshot.join("assets/style.css");
    let mut bytes = std::fs::read(&css).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&css, bytes).unwrap();
    std::fs::remove_file(snapshot.join("entities/index.html")).unwrap();
    std::fs::write(snapshot.join("extra.html"), "added later").unwrap();
    verify(&snapshot).code(1).stdout(
        predicate::str::contains("changed: assets/style.css")
            .and(predicate::str::contains("missing: entities/index.html"))
            .and(predicate::str::contains("extra: extra.html"))
            .and(predicate::str::contains("1 changed, 1 missing, 1 extra")),
    );
    verify(dir.path())
        .code(2)
        .stderr(predicate::str::contains("SHA256SUMS"));
    // Found by an independent check: an empty SHA256SUMS alone was "intact (0 files
    // checked)", exit 0. It proves nothing: exit 2, saying so.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("SHA256SUMS"), "").unwrap();
    verify(&empty).code(2).stderr(predicate::str::contains(
        "lists no file, so nothing can be verified",
    ));
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => format!(
                "{} {}",
                other["rule"].as_str().unwrap(),
                other["subject"].as_str().unwrap()
            ),
        })
        .collect()
}

fn assert_known_differences(diff: &Value) {
    assert_eq!(diff["old_date"], "2026-03-31");
    assert_eq!(diff["new_date"], "2026-04-30");
    assert_eq!(diff["status_changes"][0]["script"], "message-migration.ts");
    assert_eq!(diff["status_changes"][0]["old"], "IN_PROGRESS");
    assert_eq!(diff["status_changes"][0]["new"], "COMPLETE");
    assert_eq!(diff["status_changes"].as_array().unwrap().len(), 1);
    assert_eq!(names(&diff["scripts_added"]), ["fax-migration.ts"]);
    assert_eq!(names(&diff["scripts_removed"]), Vec::<String>::new());
    assert_eq!(names(&diff["tables_newly_covered"]), ["dispatch_fax"]);
    assert_eq!(names(&diff["tables_newly_uncovered"]), Vec::<String>::new());
    assert_eq!(
        names(&diff["findings_resolved"]),
        [
            "coverage.table.uncovered table: source inventory",
            "integrity.mapping.negative_legacy_id table: mappings",
            "missing.mapping.orphan table: dispatch_office",
        ]
    );
    assert_eq!(
        names(&diff["findings_new"]),
        [
            "integrity.script.unknown_domain script: fax-migration.ts",
            "reconcile.entity.metrics_successful entity: messages",
            "reconcile.entity.target_rows entity: messages",
        ]
    );
    let figure = |name: &str| {
        diff["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    let migrated = figure("records migrated");
    assert_eq!(
        (migrated["old"].as_f64(), migrated["new"].as_f64()),
        (Some(103.0 / 167.0), Some(113.0 / 167.0))
    );
    let comms = figure("COMMUNICATIONS coverage");
    assert!((comms["delta"].as_f64().unwrap() - 0.2).abs() < 1e-12);
    assert_eq!(figure("overall success rate")["delta"], 0.0);
    assert_eq!(figure("TECHNICAL coverage")["delta"], Value::Null);
}

#[test]
fn two_snapshots_diff_by_exactly_the_known_changes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    build(data(false).path(), &out, "2026-03-31", &["--snapshot"]).code(1);
    build(data(true).path(), &out, "2026-04-30", &["--snapshot"]).code(1);
    let newest = out.join("archive/2026-04-30");
    assert_known_differences(&json(&newest.join("diff.json")));
    let md = read(&newest.join("diff.md"));
    assert!(
        md.contains("| COMMUNICATIONS coverage | 40.0% | 60.0% | +20.0 pp |"),
        "{md}"
    );
    assert!(md.contains("`message-migration.ts`: IN_PROGRESS → COMPLETE"));
    assert!(read(&newest.join("diff.html")).contains("dispatch_fax"));
    verify(&newest).code(0);

    // The archive index lists both, newest first, the newest linking to its diff.
    let index = read(&out.join("archive/index.html"));
    let (new_at, old_at) = (
        index.find("2026-04-30/index.html").unwrap(),
        index.find("2026-03-31/index.html").unwrap(),
    );
    assert!(new_at < old_at, "newest first");
    assert!(index.contains(r#"<a href="2026-04-30/diff.html">"#));
    // The live index shows the history over both reports.
    let home = read(&out.join("index.html"));
    assert!(home.contains("<title>Records migrated and success rate over time</title>"));
    assert!(
        home.contains("2026-03-31: migrated 61.7%") && home.contains("2026-04-30: migrated 67.7%")
    );
    assert_links_resolve(&out);
}

#[test]
fn diff_command_compares_data_folders_and_snapshots_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (data(false), data(true));
    let out = dir.path().join("diff");
    migcov()
        .arg("diff")
        .arg(old.path())
        .arg(new.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("### Tables newly covered (1)"));
    let from_data = json(&out.join("diff.json"));
    assert_eq!(
        from_data["status_changes"][0]["script"],
        "message-migration.ts"
    );
    assert_eq!(names(&from_data["tables_newly_covered"]), ["dispatch_fax"]);
    assert!(out.join("diff.html").is_file() && out.join("assets/style.css").is_file());
    assert_links_resolve(&out);

    let site = dir.path().join("site");
    build(old.path(), &site, "2026-03-31", &["--snapshot"]).code(1);
    build(new.path(), &site, "2026-04-30", &["--snapshot"]).code(1);
    let out2 = dir.path().join("diff2");
    migcov()
        .arg("diff")
        .arg(site.join("archive/2026-03-31"))
        .arg(site.join("archive/2026-04-30"))
        .arg("--out")
        .arg(&out2)
        .assert()
        .success();
    assert_known_differences(&json(&out2.join("diff.json")));
}

#[test]
fn single_file_report_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    build(
        &fixtures().join("small"),
        &dir.path().join("site"),
        "2026-03-31",
        &["--single-file", file.to_str().unwrap()],
    )
    .code(1);
    let page = read(&file);
    assert!(
        page.contains("<style>") && page.contains("prefers-color-scheme"),
        "stylesheet inline"
    );
    assert!(page.contains("<svg") && page.contains("<title>Coverage by domain</title>"));
    assert!(
        !page.contains("<link ") && !page.contains("src="),
        "nothing loaded from elsewhere"
    );
    for part in page.split("href=\"").skip(1) {
        assert!(part.starts_with('#'), "only in-page links: {}", &part[..20]);
    }
    for text in [
        "61.7%",
        "103 of 167",
        "<dd>12 errors<small>",
        "gate failed",
        "missing.mapping.unmapped",
        "offices",
    ] {
        assert!(page.contains(text), "single file lacks {text:?}");
    }
}

#[test]
fn diff_reads_complete_data_not_samples() {
    // 25 uncovered tables, more than a finding's 20 samples; the newer report covers t00
    // only. From samples, t20 would look newly uncovered; from the ledger it is not.
    let inventory = |dir: &Path| {
        let mut text = String::from("table,row_count\ndispatch_office,10\n");
        for i in 0..25 {
            text.push_str(&format!("t{i:02},1\n"));
        }
        std::fs::write(dir.join("inventory/source.csv"), text).unwrap();
    };
    let (old, new) = (common::base_with(None), common::base_with(None));
    inventory(old.path());
    inventory(new.path());
    std::fs::write(
        new.path().join("scripts/t00.yaml"),
        "name: t00-migration.ts\ncategory: CORE\ndata_domain: BUSINESS\nsource_table: t00\n\
         target_table: offices\nstatus: NOT_STARTED\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    build(
        old.path(),
        &site,
        "2026-03-31",
        &["--snapshot", "--samples", "2"],
    )
    .code(1);
    build(
        new.path(),
        &site,
        "2026-04-30",
        &["--snapshot", "--samples", "2"],
    )
    .code(1);
    let diff = json(&site.join("archive/2026-04-30/diff.json"));
    assert_eq!(names(&diff["tables_newly_covered"]), ["t00"]);
    assert_eq!(names(&diff["tables_newly_uncovered"]), Vec::<String>::new());
}

/// Snapshots written before the typed report document (`tests/fixtures/snapshots-v1`, see
/// its README) are read by today's code: carried into a new site, listed in the archive with
/// their figures, charted in the history, diffed, and still verified.
#[test]
fn snapshots_written_by_an_earlier_migcov_are_read_back() {
    let fixture = fixtures().join("snapshots-v1");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let next = data(true);
    build(next.path(), &out, "2026-11-15", &["--exit-zero"]).code(0);
    copy_tree(&fixture.join("archive"), &out.join("archive"));
    build(
        next.path(),
        &out,
        "2026-11-15",
        &["--snapshot", "--exit-zero"],
    )
    .code(0);

    // The archive index: each snapshot's headline, from its own summary file (README:
    // 103 of 167 = 61.7% migrated, then 113 of 167 = 67.7%; 12 errors and 3 warnings).
    let index = read(&out.join("archive/index.html"));
    let row = |date: &str| {
        let start = index.find(&format!(">{date}</a>")).expect(date);
        index[start..start + index[start..].find("</tr>").unwrap()].to_string()
    };
    let first = row("2026-11-01");
    assert!(
        first.contains("61.7%") && first.contains("first snapshot"),
        "{first}"
    );
    assert!(first.contains(">12<") && first.contains(">3<"), "{first}");
    let second = row("2026-11-08");
    assert!(
        second.contains("67.7%") && second.contains("since 2026-11-01"),
        "{second}"
    );
    assert!(row("2026-11-15").contains("67.7%"));

    // The history chart has a point per report, the old ones included.
    let home = read(&out.join("index.html"));
    for date in ["2026-11-01", "2026-11-08", "2026-11-15"] {
        assert!(
            home.contains(&format!("{date}: migrated")),
            "{date} missing from history"
        );
    }
    assert!(home.contains("2026-11-01: migrated 61.7%, success 80.7%, 15 open findings"));

    // The new snapshot's diff reads the previous one's files.
    let diff = json(&out.join("archive/2026-11-15/diff.json"));
    assert_eq!(diff["old_date"], "2026-11-08");
    assert_eq!(diff["figures"][0]["old"].as_f64(), Some(113.0 / 167.0));

    // Today's diff of the two old snapshots is the one written then, plus what diffs have
    // said since: the persisting findings whose count changed (small-next's README: the
    // offices' mapping rows 5 → 6, the messages' 20 → 30).
    let diffs = dir.path().join("diff");
    migcov()
        .arg("diff")
        .arg(fixture.join("archive/2026-11-01"))
        .arg(fixture.join("archive/2026-11-08"))
        .arg("--out")
        .arg(&diffs)
        .assert()
        .code(0);
    let mut today = json(&diffs.join("diff.json"));
    let changed = today
        .as_object_mut()
        .unwrap()
        .remove("findings_changed")
        .unwrap();
    // And the ledger lines that changed: the messages' 20 → 30 mapped of 50.
    assert_eq!(
        today.as_object_mut().unwrap().remove("ledger_changes"),
        Some(json!([{
            "table": "dispatch_message",
            "old": {"legacy_rows": 50, "migrated": 20, "failed": 0, "excluded": 0, "unaccounted": 30, "ambiguous": 0},
            "new": {"legacy_rows": 50, "migrated": 30, "failed": 0, "excluded": 0, "unaccounted": 20, "ambiguous": 0},
        }]))
    );
    assert_eq!(
        json(&fixture.join("archive/2026-11-08/diff.json")),
        today,
        "diff.json"
    );
    let changed: Vec<(String, String, u64, u64)> = changed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["rule"].as_str().unwrap().to_string(),
                c["subject"].as_str().unwrap().to_string(),
                c["old_count"].as_u64().unwrap(),
                c["new_count"].as_u64().unwrap(),
            )
        })
        .collect();
    let c = |rule: &str, subject: &str, old, new| (rule.to_string(), subject.to_string(), old, new);
    assert_eq!(
        changed,
        [
            c(
                "reconcile.entity.distinct_mapped_ids",
                "entity: messages",
                20,
                30
            ),
            c(
                "reconcile.entity.distinct_mapped_ids",
                "entity: offices",
                5,
                6
            ),
            c("reconcile.entity.mapping_count", "entity: messages", 20, 30),
            c("reconcile.entity.mapping_count", "entity: offices", 5, 6),
        ]
    );
    let mut markdown = read(&diffs.join("diff.md"));
    for section in [
        "\n### Persisting findings that changed (4)\n\n",
        "\n### Ledger lines that changed (1)\n\n",
    ] {
        let start = markdown.find(section).expect("the changes listed");
        let end =
            start + section.len() + markdown[start + section.len()..].find("\n\n").unwrap() + 1;
        markdown = format!("{}{}", &markdown[..start], &markdown[end..]);
    }
    assert_eq!(
        markdown,
        read(&fixture.join("archive/2026-11-08/diff.md")),
        "diff.md"
    );
    for date in ["2026-11-01", "2026-11-08"] {
        verify(&out.join("archive").join(date)).code(0);
    }
}

/// A summary file from a newer schema version is refused with the file named, never read as
/// blanks.
#[test]
fn a_snapshot_from_a_newer_schema_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let next = data(true);
    build(next.path(), &out, "2026-11-15", &["--exit-zero"]).code(0);
    copy_tree(
        &fixtures().join("snapshots-v1/archive"),
        &out.join("archive"),
    );
    let summary = out.join("archive/2026-11-01/api/coverage/summary.json");
    let text = read(&summary).replacen("\"schema_version\": \"1\"", "\"schema_version\": \"2\"", 1);
    std::fs::write(&summary, text).unwrap();
    build(next.path(), &out, "2026-11-15", &["--exit-zero"])
        .code(2)
        .stderr(predicate::str::contains(
            "archive/2026-11-01/api/coverage/summary.json",
        ))
        .stderr(predicate::str::contains("schema version 2"));
}

/// Reports written before schema versions (`tests/fixtures/snapshots-v0`, see its README)
/// are read with today's types: a diff between them, and one carried as a snapshot.
#[test]
fn reports_from_before_schema_versions_are_read() {
    let fixture = fixtures().join("snapshots-v0");
    let dir = tempfile::tempdir().unwrap();
    let diffs = dir.path().join("diff");
    migcov()
        .arg("diff")
        .arg(fixture.join("7524b24"))
        .arg(fixture.join("e9a6eeb"))
        .arg("--out")
        .arg(&diffs)
        .assert()
        .code(0);
    let diff = json(&diffs.join("diff.json"));
    // README: 17,419 of 19,979 migrated, then 17,410 of 20,179.
    assert_eq!(diff["figures"][0]["old"].as_f64(), Some(17419.0 / 19979.0));
    assert_eq!(diff["figures"][0]["new"].as_f64(), Some(17410.0 / 20179.0));
    assert_eq!(diff["findings_new"].as_array().unwrap().len(), 2);

    // The older report as a snapshot of a site built later: listed with its figures.
    let out = dir.path().join("site");
    let next = data(false);
    build(next.path(), &out, "2026-12-01", &["--exit-zero"]).code(0);
    copy_tree(&fixture.join("e9a6eeb"), &out.join("archive/2026-11-24"));
    build(next.path(), &out, "2026-12-01", &["--exit-zero"]).code(0);
    let index = read(&out.join("archive/index.html"));
    assert!(
        index.contains(">2026-11-24</a>") && index.contains("86.3%"),
        "{index}"
    );
}

/// What lies under archive/ beside the snapshots is kept; a renamed snapshot and a link are
/// refused by name, never dropped or misfiled in silence.
#[test]
fn the_archive_keeps_what_it_did_not_write_and_refuses_what_it_cannot_trust() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let small = data(false);
    build(small.path(), &out, "2026-11-15", &["--exit-zero"]).code(0);
    copy_tree(
        &fixtures().join("snapshots-v1/archive/2026-11-01"),
        &out.join("archive/2026-11-01"),
    );
    std::fs::write(out.join("archive/notes.txt"), "kept").unwrap();
    std::fs::create_dir_all(out.join("archive/latest")).unwrap();
    std::fs::write(out.join("archive/latest/x"), "kept too").unwrap();
    build(small.path(), &out, "2026-11-15", &["--exit-zero"]).code(0);
    assert_eq!(read(&out.join("archive/notes.txt")), "kept");
    assert_eq!(read(&out.join("archive/latest/x")), "kept too");
    assert!(out.join("archive/2026-11-01/SHA256SUMS").is_file());

    std::fs::rename(
        out.join("archive/2026-11-01"),
        out.join("archive/2026-11-02"),
    )
    .unwrap();
    build(small.path(), &out, "2026-11-15", &["--exit-zero"])
        .code(2)
        .stderr(predicate::str::contains("archive/2026-11-02"))
        .stderr(predicate::str::contains("dated 2026-11-01, not 2026-11-02"));
    std::fs::rename(
        out.join("archive/2026-11-02"),
        out.join("archive/2026-11-01"),
    )
    .unwrap();

    std::os::unix::fs::symlink("/etc/hostname", out.join("archive/link")).unwrap();
    build(small.path(), &out, "2026-11-15", &["--exit-zero"])
        .code(2)
        .stderr(predicate::str::contains("symbolic link"));
    std::fs::remove_file(out.join("archive/link")).unwrap();

    // verify: a link in place of a listed file is a change; one beside them is extra; a
    // path listed twice is refused; `sha256sum -b`'s `*` is read.
    let snapshot = out.join("archive/2026-11-01");
    let page = snapshot.join("index.html");
    let copy = dir.path().join("index.html");
    std::fs::copy(&page, &copy).unwrap();
    std::fs::remove_file(&page).unwrap();
    std::os::unix::fs::symlink(&copy, &page).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", snapshot.join("added")).unwrap();
    verify(&snapshot)
        .code(1)
        .stdout(predicate::str::contains("changed: index.html"))
        .stdout(predicate::str::contains("extra: added"));
    // A folder replaced by a link to a copy of it: its files are changed, not checked.
    let (api, api_copy) = (snapshot.join("api"), dir.path().join("api-copy"));
    common::copy_tree(&api, &api_copy);
    std::fs::remove_dir_all(&api).unwrap();
    std::os::unix::fs::symlink(&api_copy, &api).unwrap();
    verify(&snapshot).code(1).stdout(predicate::str::contains(
        "changed: api/coverage/summary.json",
    ));
    std::fs::remove_file(&api).unwrap();
    common::copy_tree(&api_copy, &api);
    let sums = snapshot.join("SHA256SUMS");
    let text = read(&sums);
    let first = text.lines().next().unwrap().to_string();
    std::fs::write(&sums, format!("{text}{first}\n")).unwrap();
    verify(&snapshot)
        .code(2)
        .stderr(predicate::str::contains("listed twice"));
    std::fs::write(&sums, text.replace("  ", " *")).unwrap();
    verify(&snapshot)
        .code(1)
        .stdout(predicate::str::contains("changed: index.html"));
}

/// A diff shows the rows intact where either report compared values: the sample's 79 of 82
/// against a snapshot written before values were compared.
#[test]
fn a_diff_shows_rows_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("diff");
    migcov()
        .arg("diff")
        .arg(fixtures().join("snapshots-v1/archive/2026-11-08"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("data"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let diff = json(&out.join("diff.json"));
    let intact = diff["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "rows intact")
        .expect("a rows intact figure");
    assert_eq!(intact["old"], Value::Null);
    assert_eq!(intact["new"].as_f64(), Some(79.0 / 82.0));
    assert!(read(&out.join("diff.md")).contains("| rows intact | n/a | 96.3% | — |"));
}

/// Found by an independent check: a table dropped from the source inventory was listed as
/// "newly covered". It is listed as gone from the inventory, and only a table still there
/// can be newly covered.
#[test]
fn a_table_gone_from_the_inventory_is_removed_not_newly_covered() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (data(false), data(false));
    let inventory = new.path().join("inventory/source.csv");
    let text = std::fs::read_to_string(&inventory).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.contains("dispatch_fax"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(kept.len(), text.len());
    std::fs::write(&inventory, kept).unwrap();
    let out = dir.path().join("diff");
    migcov()
        .arg("diff")
        .arg(old.path())
        .arg(new.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("### Tables removed (1)"));
    let diff = json(&out.join("diff.json"));
    assert_eq!(names(&diff["tables_newly_covered"]), Vec::<String>::new());
    assert_eq!(names(&diff["tables_removed"]), ["dispatch_fax"]);
    assert!(diff.get("tables_added").is_none(), "left out when empty");
    assert!(
        read(&out.join("diff.html")).contains("Gone from the inventory: <code>dispatch_fax</code>")
    );
}

/// Found by an independent check: a build without `--snapshot`, dated as an archived
/// snapshot, put its figures in the history in place of the snapshot's. Both are shown,
/// the archived one as archived (README of small: 61.7% migrated; small-next: 67.7%).
#[test]
fn a_build_dated_as_a_snapshot_is_shown_beside_it() {
    let out = tempfile::tempdir().unwrap();
    let (small, next) = (data(false), data(true));
    build(small.path(), out.path(), "2026-11-01", &["--snapshot"]);
    build(next.path(), out.path(), "2026-11-01", &[]);
    let home = read(&out.path().join("index.html"));
    assert!(
        home.contains("2026-11-01: migrated 61.7%"),
        "the archived figure is kept"
    );
    assert!(home.contains("2026-11-01 (this build): migrated 67.7%"));
    assert!(home.contains("<th scope=\"row\">2026-11-01 (this build)</th>"));
}

/// The bundled sample, copied.
fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data"),
        dir.path(),
    );
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{}: {from}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Found by an independent check (each a wrong answer of `diff`, exit 0):
/// - the sample's `budget` mended and its `city` broken in one run: both are
///   `reconcile.content.value_mismatch` on entity `offices`, and matched by rank they were
///   "persisting"; a finding's part (its column) now tells them apart;
/// - a figure read back from a snapshot was 1 ULP off, so the archived diff of two
///   identical runs showed a change of "+0.000000 pp";
/// - `load.*` findings were in no `api/validate` file, so a new unreadable file was no
///   new finding.
#[test]
fn diff_tells_columns_apart_reads_figures_exactly_and_sees_load_findings() {
    let before = sample();
    let after = sample();
    edit(
        &after.path().join("rows/legacy/dispatch_office.csv"),
        "1003,Office 1003,Basel,1200.555,",
        "1003,Office 1003,Basel,1200.55,",
    );
    edit(
        &after.path().join("rows/target/offices.csv"),
        ",Office 1006,Chur,",
        ",Office 1006,Zug,",
    );
    std::fs::write(after.path().join("extra-export.dat"), "x").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    for (data, date) in [
        (before.path(), "2026-11-01"),
        (before.path(), "2026-11-02"),
        (after.path(), "2026-11-03"),
    ] {
        build(data, &site, date, &["--snapshot", "--exit-zero"]).code(0);
    }
    let same = json(&site.join("archive/2026-11-02/diff.json"));
    for figure in same["figures"].as_array().unwrap() {
        assert!(
            figure["delta"].is_null() || figure["delta"].as_f64() == Some(0.0),
            "{figure}"
        );
    }
    assert!(same["findings_new"].as_array().unwrap().is_empty());
    let changed = json(&site.join("archive/2026-11-03/diff.json"));
    let subjects = |list: &str| -> Vec<String> {
        changed[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["rule"].as_str().unwrap(),
                    f["subject"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        subjects("findings_resolved"),
        ["reconcile.content.value_mismatch entity: offices (budget → budget)"],
        "{changed}"
    );
    let new = subjects("findings_new");
    assert!(
        new.contains(&"reconcile.content.value_mismatch entity: offices (city → city)".to_string())
            && new.iter().any(|f| f.starts_with("load.file.unknown")),
        "{new:?}"
    );
    assert!(read(&site.join("archive/2026-11-03/diff.html")).contains(" pp<"));
}

/// Found by an independent check: `diff` of a data folder kept an expired exclusion in
/// force while its heading said today. The folder is read on the date the heading shows.
#[test]
fn a_data_folder_is_diffed_on_the_date_it_is_shown() {
    let data = sample();
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    edit(
        &data.path().join("migcov.yaml"),
        "expires: 2027-12-31",
        &format!("expires: {yesterday}"),
    );
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    build(data.path(), &site, &today.to_string(), &["--exit-zero"]).code(0);
    let out = dir.path().join("diff");
    migcov()
        .arg("diff")
        .arg(&site)
        .arg(data.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let diff = json(&out.join("diff.json"));
    for list in ["findings_new", "findings_resolved", "tables_newly_covered"] {
        assert!(diff[list].as_array().unwrap().is_empty(), "{list}: {diff}");
    }
}

/// Found by an independent check: `diff --out SITE` and `collect --out SITE` replaced a
/// site and every snapshot in it (any folder with migcov's marker was replaceable), and
/// `--json` or `--junit` into a snapshot changed it. Each is refused, exit 2, nothing
/// changed.
#[test]
fn no_command_replaces_another_kind_of_folder_or_writes_into_a_snapshot() {
    let (data, dir, site) = snapshotted();
    let snapshot = site.join("archive/2026-11-01");
    let diff_out = migcov()
        .arg("diff")
        .arg(&snapshot)
        .arg(&snapshot)
        .arg("--out")
        .arg(&site)
        .assert()
        .code(2);
    let said = String::from_utf8_lossy(&diff_out.get_output().stderr).to_string();
    assert!(
        said.contains("refusing to replace a migcov site with a diff"),
        "{said}"
    );
    build(
        data.path(),
        &site,
        "2026-11-02",
        &[
            "--snapshot",
            "--json",
            snapshot.join("api/coverage/summary.json").to_str().unwrap(),
        ],
    )
    .code(2);
    verify(&snapshot).code(0);
    assert!(!site.join("archive/2026-11-02").exists());
    // A diff folder is replaced by a diff, as before.
    let out = dir.path().join("d");
    for _ in 0..2 {
        migcov()
            .arg("diff")
            .arg(&snapshot)
            .arg(&snapshot)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(0);
    }
}

/// Found by an independent check: `verify` reported every file of a SHA256SUMS written
/// with upper-case hex (PowerShell's `Get-FileHash`) as changed, and a byte order mark
/// changed the first; a file name holding a line break printed a line of its own.
#[test]
fn verify_reads_upper_case_sums_and_escapes_names() {
    let (_data, _dir, site) = snapshotted();
    let snapshot = site.join("archive/2026-11-01");
    let sums = snapshot.join("SHA256SUMS");
    let text = std::fs::read_to_string(&sums).unwrap();
    let upper: String = text
        .lines()
        .map(|l| {
            let (hex, name) = l.split_once("  ").unwrap();
            format!("{}  {name}\r\n", hex.to_uppercase())
        })
        .collect();
    std::fs::write(&sums, format!("\u{feff}{upper}")).unwrap();
    verify(&snapshot).code(0);
    std::fs::write(snapshot.join("z\nmigcov: intact"), "x").unwrap();
    let out = verify(&snapshot).code(1);
    let said = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        said.lines().all(|l| !l.starts_with("migcov: intact")),
        "{said}"
    );
}

/// Found by an independent check: two builds with `--snapshot` into one site at once both
/// exited 0, and one snapshot was gone. While one run holds the folder, another is
/// refused (exit 2) and the site is left as it was.
#[test]
fn a_second_build_into_a_folder_being_written_is_refused() {
    let (data, _dir, site) = snapshotted();
    let held = migcov::output::FolderLock::take(&site).unwrap();
    let refused = build(
        data.path(),
        &site,
        "2026-11-02",
        &["--snapshot", "--exit-zero"],
    )
    .code(2);
    let said = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(
        said.contains("another migcov run is writing this folder"),
        "{said}"
    );
    assert!(!site.join("archive/2026-11-02").exists());
    drop(held);
    build(
        data.path(),
        &site,
        "2026-11-02",
        &["--snapshot", "--exit-zero"],
    )
    .code(0);
    assert!(site.join("archive/2026-11-01").is_dir() && site.join("archive/2026-11-02").is_dir());
}

/// `small` built with a snapshot of 2026-11-01: its data, the folder and the site in it.
fn snapshotted() -> (tempfile::TempDir, tempfile::TempDir, std::path::PathBuf) {
    let data = data(false);
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    build(
        data.path(),
        &site,
        "2026-11-01",
        &["--snapshot", "--exit-zero"],
    )
    .code(0);
    (data, dir, site)
}

/// Found by an independent check: `--out` given as a link to a folder (as a web server's
/// document root often is) was replaced by a folder of its own, and the folder it named
/// stopped changing. The folder it names is written, and the link stays.
#[test]
fn an_out_that_is_a_link_is_written_through() {
    let data = data(false);
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    let site = dir.path().join("site");
    std::os::unix::fs::symlink(&www, &site).unwrap();
    for date in ["2026-11-01", "2026-11-02"] {
        build(data.path(), &site, date, &["--snapshot", "--exit-zero"]).code(0);
    }
    assert!(std::fs::symlink_metadata(&site)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(www.join("archive/2026-11-01").is_dir() && www.join("archive/2026-11-02").is_dir());
}

/// Found by an independent check: after a snapshot dated between two others, the later
/// one's row still said "since the previous snapshot", but its diff is with the one before
/// the new one. Each row names the date its diff compares with.
#[test]
fn the_archive_index_names_the_date_each_diff_compares_with() {
    let (data, _dir, site) = snapshotted();
    for date in ["2026-11-08", "2026-11-05"] {
        build(data.path(), &site, date, &["--snapshot", "--exit-zero"]).code(0);
    }
    let index = read(&site.join("archive/index.html"));
    for date in ["2026-11-08", "2026-11-05"] {
        assert!(
            index.contains(&format!(
                r#"<a href="{date}/diff.html">since 2026-11-01</a>"#
            )),
            "{index}"
        );
    }
}

/// Found by an independent check: against a report without a ledger (written before
/// ledgers), the uncovered tables came from the finding's samples, which stop at 20, so
/// the tables past them were "newly uncovered" though nothing changed. Such a list is
/// incomplete, and no change is claimed against it.
#[test]
fn a_report_without_a_ledger_invents_no_uncovered_table() {
    let data = common::base_with(None);
    let inventory = data.path().join("inventory/source.csv");
    let mut text = std::fs::read_to_string(&inventory).unwrap();
    for i in 0..25 {
        text.push_str(&format!("dispatch_u{i:02},5\n"));
    }
    std::fs::write(&inventory, text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    build(data.path(), &old, "2026-11-01", &["--exit-zero"]).code(0);
    build(data.path(), &new, "2026-11-02", &["--exit-zero"]).code(0);
    std::fs::remove_file(old.join("api/ledger.json")).unwrap();
    let out = dir.path().join("diff");
    migcov()
        .arg("diff")
        .arg(&old)
        .arg(&new)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let diff = json(&out.join("diff.json"));
    assert_eq!(
        diff["tables_newly_uncovered"],
        serde_json::json!([]),
        "{diff}"
    );
    assert_eq!(
        diff["tables_newly_covered"],
        serde_json::json!([]),
        "{diff}"
    );
}

/// Found by an independent check: a FIFO or an empty folder added to a snapshot passed as
/// intact. Each is extra.
#[test]
fn verify_counts_a_fifo_and_an_empty_folder_as_extra() {
    let (_data, _dir, site) = snapshotted();
    let snapshot = site.join("archive/2026-11-01");
    std::fs::create_dir(snapshot.join("empty")).unwrap();
    let out = verify(&snapshot).code(1);
    let said = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(said.contains("extra: empty"), "{said}");
    std::fs::remove_dir(snapshot.join("empty")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(snapshot.join("pipe"))
        .status()
        .expect("mkfifo (coreutils)");
    assert!(made.success());
    let out = verify(&snapshot).code(1);
    let said = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(said.contains("extra: pipe"), "{said}");
}

/// Found by an independent check of this session's changes:
/// - `--out` a link to the data folder passed the "apart from the data folder" check (paths
///   compared as text) and, written through, replaced the data with the site;
/// - a CI file through a link into a snapshot passed the same way;
/// - two first builds into sibling folders locked their common parent, and one was
///   refused.
#[test]
fn links_are_resolved_and_sibling_builds_do_not_block_each_other() {
    let data = data(false);
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("out");
    std::os::unix::fs::symlink(data.path(), &link).unwrap();
    build(data.path(), &link, "2026-11-01", &["--exit-zero"]).code(2);
    assert!(data.path().join("mappings").is_dir());

    let (_data, _dir, site) = snapshotted();
    let linked = dir.path().join("linked-site");
    std::os::unix::fs::symlink(&site, &linked).unwrap();
    build(
        _data.path(),
        &site,
        "2026-11-02",
        &[
            "--json",
            linked
                .join("archive/2026-11-01/api/extra.json")
                .to_str()
                .unwrap(),
        ],
    )
    .code(2);
    verify(&site.join("archive/2026-11-01")).code(0);

    let parent = dir.path().join("sites");
    let runs: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|name| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("migcov"))
                .args([
                    "build",
                    "--report-date",
                    "2026-11-01",
                    "--exit-zero",
                    "--data",
                ])
                .arg(data.path())
                .arg("--out")
                .arg(parent.join(name))
                .env_remove("SOURCE_DATE_EPOCH")
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut run in runs {
        assert!(run.wait().unwrap().success());
    }
}

/// Found by an independent check: folders written before markers named their kind were
/// replaceable by any command (a data folder collected then, a site whose marker was
/// empty): each is now told by its contents, and `diff --out` refuses both.
#[test]
fn folders_written_before_kinds_are_told_by_their_contents() {
    let (_data, dir, site) = snapshotted();
    std::fs::write(site.join(".migcov-site"), "").unwrap();
    let collected = dir.path().join("collected");
    std::fs::create_dir_all(&collected).unwrap();
    std::fs::write(
        collected.join(".migcov-site"),
        "migcov site; the top-level entries migcov wrote:\ncollect.json\n",
    )
    .unwrap();
    std::fs::write(collected.join("collect.json"), "{}").unwrap();
    let snapshot = site.join("archive/2026-11-01");
    for out in [&site, &collected] {
        migcov()
            .arg("diff")
            .arg(&snapshot)
            .arg(&snapshot)
            .arg("--out")
            .arg(out)
            .assert()
            .code(2);
    }
    assert!(snapshot.join("SHA256SUMS").is_file() && collected.join("collect.json").is_file());
}

/// Found by an independent check: a report written before `load.json` has no load
/// findings to read, so a diff with a newer one showed each of the newer one's as new
/// (and a snapshot kept that diff). They are compared only when both wrote them.
#[test]
fn a_report_without_load_findings_adds_none_to_a_diff() {
    let data = data(false);
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    build(data.path(), &site, "2026-11-15", &["--exit-zero"]).code(0);
    let out = dir.path().join("diff");
    migcov()
        .arg("diff")
        .arg(fixtures().join("snapshots-v1/archive/2026-11-01"))
        .arg(&site)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let diff = json(&out.join("diff.json"));
    for list in ["findings_new", "findings_resolved"] {
        assert!(
            diff[list]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| !f["rule"].as_str().unwrap().starts_with("load.")),
            "{list}: {diff}"
        );
    }
}

/// Found by a second review: a `--summary-md` that is a link to a file not yet in a
/// snapshot was appended to through the link (exit 0, the snapshot changed); a failed
/// first build left the parent folders it made; `--out .` failed with "File name too
/// long". The link is followed, the folders removed, and `--out .` refused by name.
#[test]
fn dangling_links_nested_new_folders_and_the_working_folder() {
    let (data, dir, site) = snapshotted();
    let link = dir.path().join("summary.md");
    std::os::unix::fs::symlink(site.join("archive/2026-11-01/notes.md"), &link).unwrap();
    build(
        data.path(),
        &site,
        "2026-11-02",
        &["--summary-md", link.to_str().unwrap()],
    )
    .code(2);
    verify(&site.join("archive/2026-11-01")).code(0);

    let nested = dir.path().join("new/deep/site");
    build(
        data.path(),
        &nested,
        "2026-11-02",
        &[
            "--templates",
            dir.path().join("no-such-templates").to_str().unwrap(),
        ],
    )
    .code(2);
    assert!(!dir.path().join("new").exists());

    let here = dir.path().join("here");
    std::fs::create_dir(&here).unwrap();
    let refused = migcov()
        .current_dir(&here)
        .args([
            "build",
            "--report-date",
            "2026-11-02",
            "--exit-zero",
            "--data",
        ])
        .arg(data.path())
        .args(["--out", "."])
        .assert()
        .code(2);
    let said = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(said.contains("holds the folder migcov runs in"), "{said}");
}

/// Found by an independent check: a SHA256SUMS written as UTF-16 (PowerShell 5's
/// `Out-File`, with its byte order mark) was an error, exit 2. It is read as its text.
#[test]
fn verify_reads_utf16_sums() {
    let (_data, _dir, site) = snapshotted();
    let snapshot = site.join("archive/2026-11-01");
    let sums = snapshot.join("SHA256SUMS");
    let text = std::fs::read_to_string(&sums).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in text.replace('\n', "\r\n").encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(&sums, utf16).unwrap();
    verify(&snapshot).code(0);
}

/// `migcov verify` on `snapshot`.
fn verify(snapshot: &Path) -> assert_cmd::assert::Assert {
    migcov().arg("verify").arg(snapshot).assert()
}

/// Found by an independent check: a `coverage.scripts.*` finding's subject is the scripts
/// folder, whose name differs between two dated checkouts: `diff` showed the one finding
/// as new and as resolved. Two copies of one migration differ in no finding.
#[test]
fn the_scripts_folders_name_is_no_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut folders = Vec::new();
    for name in ["data-2026-03", "data-2026-04"] {
        let data = dir.path().join(name);
        copy_tree(&fixtures().join("base"), &data);
        std::fs::write(data.join("migcov.yaml"), "scripts_dir: .\n").unwrap();
        std::fs::write(data.join("office-migration.ts"), "// office\n").unwrap();
        std::fs::write(data.join("stray-migration.ts"), "// stray\n").unwrap();
        folders.push(data);
    }
    let out = dir.path().join("diff");
    migcov()
        .arg("diff")
        .arg(&folders[0])
        .arg(&folders[1])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let diff = json(&out.join("diff.json"));
    assert_eq!(diff["findings_new"], serde_json::json!([]), "{diff}");
    assert_eq!(diff["findings_resolved"], serde_json::json!([]), "{diff}");
}

/// Found by an independent check, each change a `diff` of the sample's two runs read as
/// "persisting, unchanged" or as a fix (exit 0):
/// - the target table of `orders` 5 rows over its entity (1672 vs 1667) turned 5 short
///   (1662): the same finding, the same count, its message changed;
/// - office 1002's name mended and office 1005's broken: one `name` mismatch before and
///   after, its sample rows changed;
/// - patients' `failed_records` 2 → 0: its ledger line's failed 2 → 0 and unaccounted
///   2 → 4, every share the same;
/// - a whole-table exclusion of `dispatch_fax_archive` (200 rows, no script): it read as
///   "newly covered"; now an exclusion added, and no table newly covered;
/// - `budget` no longer compared: its mismatch read as resolved; now a pair no longer
///   compared;
/// - `--severity reconcile.entity.target_rows=off`: its finding read as resolved; now no
///   longer looked for, and the rule's severity set differently;
/// - `--max-missing 0` dropped: the gate's thresholds before and now.
#[test]
fn diff_sees_what_keeps_its_count() {
    let before = sample();
    let after = sample();
    let a = after.path();
    edit(
        &a.join("inventory/target.csv"),
        "orders,1672",
        "orders,1662",
    );
    edit(
        &a.join("rows/target/offices.csv"),
        ",Zürich,Bern,",
        ",Zürich Nord,Bern,",
    );
    edit(
        &a.join("rows/target/offices.csv"),
        ",Office 1005,Genève,",
        ",Office 9999,Genève,",
    );
    edit(
        &a.join("entities.yaml"),
        "  migrated_records: 1251\n  failed_records: 2\n",
        "  migrated_records: 1251\n  failed_records: 0\n",
    );
    edit(
        &a.join("migcov.yaml"),
        "exclusions:\n",
        "exclusions:\n  - table: dispatch_fax_archive\n    reason: not needed\n    approved_by: Mallory\n",
    );
    edit(
        &a.join("migcov.yaml"),
        "      budget: {target: budget, scale: 2}\n",
        "",
    );
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    build(
        before.path(),
        &old,
        "2026-11-24",
        &["--exit-zero", "--max-missing", "0"],
    )
    .code(0);
    build(
        a,
        &new,
        "2026-11-24",
        &[
            "--exit-zero",
            "--severity",
            "integrity.script.success_rate_mismatch=OFF",
        ],
    )
    .code(0);
    let out = dir.path().join("diff");
    migcov()
        .args(["diff"])
        .arg(&old)
        .arg(&new)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let diff = json(&out.join("diff.json"));
    let changed: Vec<&Value> = diff["findings_changed"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let target_rows = changed
        .iter()
        .find(|c| c["rule"] == "reconcile.entity.target_rows")
        .unwrap_or_else(|| panic!("{diff}"));
    assert_eq!(
        (&target_rows["old_count"], &target_rows["new_count"]),
        (&json!(5), &json!(5))
    );
    assert!(
        target_rows["old_message"]
            .as_str()
            .unwrap()
            .contains("1672 vs 1667: +5")
            && target_rows["new_message"]
                .as_str()
                .unwrap()
                .contains("1662 vs 1667: -5"),
        "{target_rows}"
    );
    let name = changed
        .iter()
        .find(|c| c["subject"] == "entity: offices (name → name)")
        .unwrap_or_else(|| panic!("{diff}"));
    assert_eq!(
        (
            &name["old_count"],
            &name["new_count"],
            &name["samples_changed"]
        ),
        (&json!(1), &json!(1), &json!(true))
    );
    assert_eq!(
        diff["ledger_changes"],
        json!([{
            "table": "dispatch_fax_archive",
            "old": {"legacy_rows": 200, "migrated": 0, "failed": 0, "excluded": 0, "unaccounted": 200, "ambiguous": 0},
            "new": {"legacy_rows": 200, "migrated": 0, "failed": 0, "excluded": 200, "unaccounted": 0, "ambiguous": 0},
        }, {
            "table": "dispatch_patient",
            "old": {"legacy_rows": 1255, "migrated": 1251, "failed": 2, "excluded": 0, "unaccounted": 2, "ambiguous": 0},
            "new": {"legacy_rows": 1255, "migrated": 1251, "failed": 0, "excluded": 0, "unaccounted": 4, "ambiguous": 0},
        }]),
        "{diff}"
    );
    assert_eq!(
        diff["exclusions_added"],
        json!(["dispatch_fax_archive: whole table, approved by Mallory: not needed"])
    );
    assert_eq!(diff["tables_newly_covered"], json!([]));
    assert_eq!(
        diff["compared_removed"],
        json!(["offices: budget → budget (scale 2)"])
    );
    let rules = |list: &str| -> Vec<String> {
        diff[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        rules("findings_not_checked").contains(&"integrity.script.success_rate_mismatch".into())
            && !rules("findings_resolved")
                .contains(&"integrity.script.success_rate_mismatch".into()),
        "{diff}"
    );
    assert_eq!(
        diff["severity_changes"],
        json!([{"rule": "integrity.script.success_rate_mismatch", "old": null, "new": "off"}])
    );
    assert_eq!(
        diff["thresholds"],
        json!({"old": ["max_missing_records = 0"], "new": []})
    );
    let markdown = read(&out.join("diff.md"));
    for said in [
        "was “target rows vs migrated_records: 1672 vs 1667: +5",
        "its sample rows changed",
        "`dispatch_patient`: failed 2 → 0, unaccounted 2 → 4",
        "Exclusions added (1)",
        "Column pairs no longer compared (1)",
        "Findings no longer looked for (their rule switched off)",
        "The gate's thresholds were `max_missing_records = 0` and are none now.",
    ] {
        assert!(markdown.contains(said), "{said}: {markdown}");
    }
    // The validation page says the rule switched off was not checked, not that it passed.
    let page = read(&new.join("validate/index.html"));
    let row = page
        .split("<tr>")
        .find(|r| r.contains("integrity.script.success_rate_mismatch</code>"))
        .unwrap();
    assert!(
        row.contains("not checked") && !row.contains("✓ pass"),
        "{row}"
    );
}

/// Found by an independent check: `verify` read a SHA256SUMS that was a FIFO or a link
/// to /dev/zero without end (a hang), and passed one that was a link to a copy kept
/// elsewhere; `diff` hung on a FIFO in a snapshot; `diff --out` inside a snapshot wrote
/// into it; a snapshot without its summary was read as a data folder ("domains.yaml:
/// required input is missing"); and a SHA256SUMS whose paths start with `./`, as
/// `find . -exec sha256sum {} +` writes them, was refused, though `sha256sum -c` reads it.
#[test]
fn verify_and_diff_read_only_regular_files_and_never_write_into_a_snapshot() {
    let (_data, dir, site) = snapshotted();
    let snapshot = site.join("archive/2026-11-01");
    let sums = snapshot.join("SHA256SUMS");
    let text = std::fs::read_to_string(&sums).unwrap();
    // `./` before every path reads as the path.
    let dotted: String = text
        .lines()
        .map(|l| l.replacen("  ", "  ./", 1) + "\n")
        .collect();
    std::fs::write(&sums, &dotted).unwrap();
    verify(&snapshot).code(0);
    std::fs::write(&sums, &text).unwrap();
    // A link, to a copy or to /dev/zero, and a FIFO: exit 2, at once.
    let copy = dir.path().join("SHA256SUMS.copy");
    std::fs::write(&copy, &text).unwrap();
    for target in [copy.as_path(), Path::new("/dev/zero")] {
        std::fs::remove_file(&sums).unwrap();
        std::os::unix::fs::symlink(target, &sums).unwrap();
        migcov()
            .arg("verify")
            .arg(&snapshot)
            .timeout(std::time::Duration::from_secs(30))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is a symbolic link"));
    }
    std::fs::remove_file(&sums).unwrap();
    let fifo = |path: &Path| {
        let made = Process::new("mkfifo").arg(path).status().unwrap();
        assert!(made.success(), "mkfifo (coreutils) is needed");
    };
    fifo(&sums);
    migcov()
        .arg("verify")
        .arg(&snapshot)
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a regular file"));
    std::fs::remove_file(&sums).unwrap();
    std::fs::write(&sums, &text).unwrap();
    // A diff written inside a snapshot is refused, and nothing is written there.
    let inside = snapshot.join("newdiff");
    migcov()
        .arg("diff")
        .arg(&snapshot)
        .arg(&snapshot)
        .arg("--out")
        .arg(&inside)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is inside the archived snapshot"));
    assert!(!inside.exists());
    verify(&snapshot).code(0);
    // A FIFO in place of a snapshot's file: an error naming it, not a hang.
    let scripts = snapshot.join("api/scripts.json");
    let kept = std::fs::read(&scripts).unwrap();
    std::fs::remove_file(&scripts).unwrap();
    fifo(&scripts);
    migcov()
        .arg("diff")
        .arg(&snapshot)
        .arg(&snapshot)
        .arg("--out")
        .arg(dir.path().join("d1"))
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("api/scripts.json"));
    std::fs::remove_file(&scripts).unwrap();
    std::fs::write(&scripts, kept).unwrap();
    // A snapshot without its summary is said to be one.
    std::fs::remove_file(snapshot.join("api/coverage/summary.json")).unwrap();
    migcov()
        .arg("diff")
        .arg(&snapshot)
        .arg(&site)
        .arg("--out")
        .arg(dir.path().join("d2"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "api/coverage/summary.json: missing",
        ));
}

/// Found by a review of the message and sample comparison: the same data read as changed
/// findings when built on another date (a message naming the report date), with a metrics
/// row moved to the top of its file (samples naming rows), or with `--samples 3`. And an
/// exclusion that lapsed between two reports was listed as removed and as added. None of
/// these is a change of a finding; the lapse is an exclusion lapsed. Worked by hand on the
/// sample: `dispatch_print_queue`'s exclusion expires 2027-12-31, so built on 2028-01-01
/// it has lapsed.
#[test]
fn diff_sees_no_change_in_the_same_data() {
    let data = sample();
    let moved = sample();
    let metrics = moved.path().join("metrics/metrics.csv");
    let text = read(&metrics);
    let mut lines: Vec<&str> = text.lines().collect();
    let last = lines.pop().unwrap();
    lines.insert(1, last);
    std::fs::write(&metrics, lines.join("\n") + "\n").unwrap();
    // A metrics row dated after the first report date, before the second: a message that
    // names the report date.
    let dir = tempfile::tempdir().unwrap();
    let site = |name: &str, data: &Path, date: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec!["--exit-zero"];
        args.extend_from_slice(extra);
        build(data, &out, date, &args).code(0);
        out
    };
    let base = site("base", data.path(), "2026-11-24", &[]);
    let diff_of = |other: &Path, name: &str| {
        let out = dir.path().join(name);
        migcov()
            .arg("diff")
            .arg(&base)
            .arg(other)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        json(&out.join("diff.json"))
    };
    for (other, name) in [
        (site("later", data.path(), "2026-11-30", &[]), "d-later"),
        (site("moved", moved.path(), "2026-11-24", &[]), "d-moved"),
        (
            site("fewer", data.path(), "2026-11-24", &["--samples", "3"]),
            "d-fewer",
        ),
    ] {
        let diff = diff_of(&other, name);
        assert_eq!(diff.get("findings_changed"), None, "{name}: {diff}");
        assert_eq!(diff["findings_new"], json!([]), "{name}: {diff}");
    }
    let lapsed = diff_of(&site("lapsed", data.path(), "2028-01-01", &[]), "d-lapsed");
    assert_eq!(
        (
            lapsed.get("exclusions_added"),
            lapsed.get("exclusions_removed")
        ),
        (None, None),
        "{lapsed}"
    );
    assert_eq!(
        lapsed["exclusions_expired"],
        json!(["dispatch_print_queue: whole table, approved by Data governance board: Print jobs are transient; the modern platform keeps none, expires 2027-12-31"]),
        "{lapsed}"
    );
}
