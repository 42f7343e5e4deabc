//! The site in a real browser: Debian's Chromium, driven by tests/browser/check.mjs
//! (playwright-core and axe-core from npm). `scripts/test` installs both. A test whose tool
//! is missing fails with an install hint; only `MIGCOV_SKIP_TOOLS=1`, an explicit opt-out,
//! skips it (and says so).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

use assert_cmd::Command;
use common::fixtures;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether the browser tooling is here: its absence fails the test, unless the run opted
/// out with `MIGCOV_SKIP_TOOLS=1`.
fn browser_available() -> bool {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<&str> = [
        (!Path::new(&chromium).exists()).then_some("chromium (apt-get install chromium)"),
        (!root().join("node_modules/playwright-core").is_dir()).then_some("node_modules (npm ci)"),
        Process::new("node")
            .arg("--version")
            .output()
            .is_err()
            .then_some("node"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("MIGCOV_SKIP_TOOLS").is_some(),
        "browser tests need {} (scripts/test installs them; MIGCOV_SKIP_TOOLS=1 skips them)",
        missing.join(", ")
    );
    eprintln!(
        "browser test SKIPPED (MIGCOV_SKIP_TOOLS is set): missing {}",
        missing.join(", ")
    );
    false
}

fn build(data: &Path, out: &Path) {
    Command::cargo_bin("migcov")
        .unwrap()
        .args(["build", "--report-date", "2026-11-24", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .assert()
        .code(1);
}

fn check(site: &Path, artifacts: &Path, only: Option<&str>) -> Output {
    Process::new("node")
        .arg(root().join("tests/browser/check.mjs"))
        .arg(site)
        .arg(artifacts)
        .args(only)
        .output()
        .unwrap()
}

#[test]
fn every_page_of_the_sample_passes_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    build(&root().join("data"), &site);
    let artifacts: PathBuf = root().join("artifacts/browser");
    let output = check(&site, &artifacts, None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    for shot in ["index-desktop.png", "index-phone.png"] {
        assert!(artifacts.join(shot).is_file(), "{shot}");
    }
}

#[test]
fn the_browser_check_fails_on_a_broken_link_and_a_console_error() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    build(&fixtures().join("small"), &site);
    std::fs::remove_file(site.join("entities/index.html")).unwrap();
    let index = site.join("index.html");
    let page = std::fs::read_to_string(&index).unwrap().replace(
        "</body>",
        "<script>console.error(\"injected\")</script></body>",
    );
    std::fs::write(&index, page).unwrap();
    let output = check(&site, &dir.path().join("artifacts"), None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("broken link: entities/index.html"),
        "{stdout}"
    );
    assert!(stdout.contains("console error: injected"), "{stdout}");
}

#[test]
fn a_long_scripts_index_is_paged() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::copy_tree(&fixtures().join("base"), &data);
    let mut manifests = String::new();
    for i in 0..250 {
        manifests.push_str(&format!(
            "- name: script-{i:03}-migration.ts\n  category: SYSTEM\n  data_domain: TECHNICAL\n  \
             source_table: legacy_{i}\n  target_table: modern_{i}\n  status: NOT_STARTED\n"
        ));
    }
    std::fs::write(data.join("scripts/many.yaml"), manifests).unwrap();
    let site = dir.path().join("site");
    Command::cargo_bin("migcov")
        .unwrap()
        .args(["build", "--report-date", "2026-11-24", "--data"])
        .arg(&data)
        // The 250 legacy tables are not in the base's inventory: a finding, not the subject.
        .args(["--severity", "coverage.table.not_in_inventory=warning"])
        .args(["--severity", "integrity.script.unknown_domain=warning"])
        .arg("--out")
        .arg(&site)
        .assert()
        .success();
    let output = check(
        &site,
        &dir.path().join("artifacts"),
        Some("scripts/index.html"),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    // The page itself, ascending, aria-sort, descending, page 1 of 100 rows, page 2,
    // filtering and the facet: 8 checks.
    assert!(stdout.contains("browser: 8 passed, 0 failed"), "{stdout}");
}

#[test]
fn markup_in_every_free_text_field_never_runs_in_the_browser() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::copy_tree(&fixtures().join("ledger"), &data);
    // If any of these ran, the browser check would see a console error or a failed load.
    let payload =
        r#"<script>console.error('xss')</script><img src=x onerror="console.error('xss')">"#;
    let quoted = serde_json::to_string(payload).unwrap();
    let edit = |file: &str, from: &str, to: &str| {
        let path = data.join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replacen(from, to, 1);
        std::fs::write(path, text).unwrap();
    };
    edit(
        "migcov.yaml",
        "title: Chinook-style migration (ledger fixture)",
        &format!("title: {quoted}"),
    );
    edit(
        "migcov.yaml",
        "reason: Spam never migrates",
        &format!("reason: {quoted}"),
    );
    edit(
        "entities.yaml",
        "- name: customers",
        &format!("- name: {quoted}"),
    );
    edit(
        "domains.yaml",
        "  priority: CRITICAL",
        &format!("  priority: CRITICAL\n  description: {quoted}"),
    );
    edit(
        "scripts/all.yaml",
        "  status: COMPLETE",
        &format!("  status: COMPLETE\n  description: {quoted}"),
    );
    let csv_cell = format!("\"{}\"", payload.replace('"', "\"\""));
    edit("logs/log.csv", "attempt 1 failed", &csv_cell);
    edit("inventory/source.csv", "audit_trail", &csv_cell);
    let site = dir.path().join("site");
    Command::cargo_bin("migcov")
        .unwrap()
        .args([
            "build",
            "--exit-zero",
            "--report-date",
            "2026-11-28",
            "--data",
        ])
        .arg(&data)
        .arg("--out")
        .arg(&site)
        .assert()
        .success();
    let output = check(&site, &dir.path().join("artifacts"), None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
