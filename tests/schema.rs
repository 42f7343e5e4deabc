//! Every JSON file migcov writes validates against the schema `migcov schema` prints, with a
//! real validator (Python's `jsonschema`, Draft 2020-12; `scripts/test` installs it).

mod common;

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use common::fixtures;

fn validate(schema: &Path, site: &Path, extra: &[String]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema/validate.py");
    let output = match Process::new("python3")
        .arg(script)
        .arg(schema)
        .arg(site)
        .args(extra)
        .output()
    {
        Ok(output) => output,
        Err(e) => panic!("python3 is needed to validate JSON: {e} (scripts/test installs it)"),
    };
    if output.status.code() == Some(2) && std::env::var_os("MIGCOV_SKIP_TOOLS").is_some() {
        eprintln!("JSON schema check SKIPPED (MIGCOV_SKIP_TOOLS is set): jsonschema missing");
        return;
    }
    assert!(
        output.status.success(),
        "{}{} (scripts/test installs jsonschema: pip install jsonschema)",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_json_output_validates_against_the_published_schema() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.json");
    let out = Command::cargo_bin("migcov")
        .unwrap()
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&schema, &out.stdout).unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"$schema\": \"https://json-schema.org/draft/2020-12/schema\""));

    for (data, name, snapshot) in [
        (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data"),
            "sample",
            true,
        ),
        (fixtures().join("ledger"), "ledger", false),
        (fixtures().join("small"), "small", false),
    ] {
        let site = dir.path().join(name);
        let result = dir.path().join(format!("{name}-result.json"));
        let mut cmd = Command::cargo_bin("migcov").unwrap();
        cmd.args([
            "build",
            "--exit-zero",
            "--report-date",
            "2026-11-28",
            "--data",
        ])
        .arg(&data)
        .arg("--out")
        .arg(&site)
        .arg("--json")
        .arg(&result);
        if snapshot {
            cmd.arg("--snapshot");
        }
        cmd.assert().code(0);
        validate(
            &schema,
            &site,
            &[format!("{}=#/$defs/SummaryFile", result.display())],
        );
    }
}
