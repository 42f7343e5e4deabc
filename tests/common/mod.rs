//! Helpers shared by the integration tests: fixture folders and pipeline runs.
#![allow(dead_code)]

pub mod db;

use std::path::{Path, PathBuf};

use migcov::load::{load, Inputs, LoadOptions};
use migcov::measure::{measure, Measures};
use migcov::validate::{validate, Finding, ValidateOptions};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies every file under `from` into `to`, replacing files of the same relative path.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary data folder: the clean base fixture with a rule's overlay laid over it.
pub fn base_with(overlay: Option<&Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("base"), dir.path());
    if let Some(overlay) = overlay {
        copy_tree(overlay, dir.path());
    }
    dir
}

/// Writes the CSV file `csv` as the Parquet file `parquet`, every column as text.
pub fn csv_as_parquet(csv: &Path, parquet: &Path) {
    use polars::prelude::*;
    let mut frame = LazyCsvReader::new(PlRefPath::try_from_path(csv).unwrap())
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_glob(false)
        .finish()
        .unwrap()
        .collect()
        .unwrap();
    let file = std::fs::File::create(parquet).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
}

pub fn run(data: &Path) -> (Inputs, Measures, Vec<Finding>) {
    run_at(data, None)
}

/// `migcov build --exit-zero --report-date <date>` of `data` into `site`, with `envs`
/// set, as a user runs it; the build must succeed.
pub fn build_site(data: &Path, site: &Path, date: &str, envs: &[(&str, &Path)]) {
    use assert_cmd::cargo::CommandCargoExt;
    let out = std::process::Command::cargo_bin("migcov")
        .unwrap()
        .envs(envs.iter().copied())
        .args(["build", "--exit-zero", "--report-date", date, "--data"])
        .arg(data)
        .arg("--out")
        .arg(site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The one content comparison of `data`, which must have been checked.
pub fn only_table(data: &tempfile::TempDir) -> migcov::measure::content::ContentTable {
    let (_, measures, _) = run(data.path());
    assert!(
        measures.content_not_checked.is_empty(),
        "{:?}",
        measures.content_not_checked
    );
    measures.content[0].clone()
}

/// [`run`] as of a report date (expiry and future-date rules need one).
pub fn run_at(data: &Path, date: Option<chrono::NaiveDate>) -> (Inputs, Measures, Vec<Finding>) {
    let mut inputs = load(&LoadOptions {
        data_dir: data.to_path_buf(),
        scripts_dir: None,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let options = ValidateOptions {
        report_date: date,
        ..ValidateOptions::default()
    };
    let measures = measure(&mut inputs, date, options.rows_kept()).unwrap();
    let ids = inputs
        .mapping_ids
        .read(&inputs.incomplete)
        .unwrap_or_else(|e| panic!("{e}"));
    let findings = validate(&inputs, &measures, &options)
        .and_then(|v| v.with_mapping_ids(&ids, &options))
        .and_then(|v| v.settle(&inputs, &options))
        .unwrap()
        .findings;
    (inputs, measures, findings)
}

/// The URLs of the test database servers (with their password).
pub struct Servers {
    pub pg: String,
    pub mysql: String,
}

/// Starts (or finds) the test servers once per test binary.
pub fn servers() -> &'static Servers {
    static SERVERS: std::sync::OnceLock<Servers> = std::sync::OnceLock::new();
    SERVERS.get_or_init(|| {
        if let (Ok(pg), Ok(mysql)) = (
            std::env::var("MIGCOV_TEST_PG"),
            std::env::var("MIGCOV_TEST_MYSQL"),
        ) {
            return Servers { pg, mysql };
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/db-servers");
        let out = std::process::Command::new(&script)
            .arg("start")
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        assert!(
            out.status.success(),
            "the test database servers did not start ({}): {}\n\
             install them with: apt-get install -y postgresql mariadb-server pgloader \
             (scripts/test does this)",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("scripts/db-servers printed no {key}: {text}"))
                .to_string()
        };
        Servers {
            pg: value("MIGCOV_TEST_PG="),
            mysql: value("MIGCOV_TEST_MYSQL="),
        }
    })
}
