//! Fuzzing on stable Rust: property tests (proptest) feed arbitrary bytes and strings to the
//! manifest, CSV, NDJSON and Parquet loaders and arbitrary text through the whole pipeline
//! into the pages. Whatever the input, loading ends in `Ok` or a `LoadError` naming the
//! file, and rendering never lets markup from the data through. A fixed budget of cases per
//! target keeps the run short; a case that ever fails is kept below as a regression test.

mod common;

use std::path::Path;

use migcov::load::{load, LoadOptions};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    // A fixed seed: the same cases every run, so CI never turns red by chance; change the
    // seed (or raise `cases`) to explore further, and keep what fails as a regression.
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x6d69_6763_6f76),
        ..ProptestConfig::default()
    }
}

/// Loads the clean base with `bytes` written at `path`: the error, if any, must name the
/// file.
fn load_with(path: &str, bytes: &[u8]) {
    let data = common::base_with(None);
    let file = data.path().join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, bytes).unwrap();
    let result = load(&LoadOptions {
        data_dir: data.path().to_path_buf(),
        scripts_dir: None,
    });
    if let Err(e) = result {
        let message = e.to_string();
        let name = Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(
            message.contains(&name) || message.contains("inputs cannot be loaded"),
            "{path}: an error that names no file: {message}"
        );
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn manifests_never_panic(text in ".{0,400}") {
        load_with("scripts/x.yaml", text.as_bytes());
        load_with("domains.yaml", text.as_bytes());
        load_with("migcov.yaml", text.as_bytes());
    }

    #[test]
    fn yaml_shaped_manifests_never_panic(
        keys in proptest::collection::vec("[a-z_]{1,12}", 0..8),
        values in proptest::collection::vec("[ -~]{0,20}", 0..8),
        list in any::<bool>(),
    ) {
        let mut text = String::new();
        for (k, v) in keys.iter().zip(values.iter()) {
            text.push_str(&format!("{}{k}: {v}\n", if list { "- " } else { "" }));
        }
        load_with("scripts/x.yaml", text.as_bytes());
    }

    #[test]
    fn csv_exports_never_panic(
        rows in proptest::collection::vec(proptest::collection::vec("[ -~\\t]{0,12}", 0..10), 0..6)
    ) {
        let mut text = String::from("script_id,entity_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms\n");
        for row in rows {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        load_with("metrics/run.csv", text.as_bytes());
        load_with("mappings/m.csv", text.replace("script_id", "entity_type").as_bytes());
    }

    #[test]
    fn raw_bytes_never_panic_any_loader(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        load_with("metrics/run.csv", &bytes);
        load_with("logs/l.ndjson", &bytes);
        load_with("inventory/source.csv", &bytes);
        load_with("source_ids/dispatch_office.csv", &bytes);
    }

    #[test]
    fn truncated_or_corrupted_parquet_never_panics(cut in 0usize..4000, flip in 0usize..4000) {
        let original = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mappings/legacy-mappings.parquet"),
        )
        .unwrap();
        let mut bytes = original[..cut.min(original.len())].to_vec();
        if let Some(b) = bytes.get_mut(flip) {
            *b ^= 0x5a;
        }
        load_with("mappings/m.parquet", &bytes);
    }

    #[test]
    fn text_from_the_data_never_becomes_markup(name in "[<>&\"' a-zA-Z/\\\\.]{1,30}") {
        // Between markers no markup has, so finding it raw means it went through unescaped
        // (a bare "<" is in every page; "zq<zq" is in none). Regression: name = "<".
        let name = format!("zq{name}zq");
        let data = common::base_with(None);
        let entities = std::fs::read_to_string(data.path().join("entities.yaml")).unwrap()
            .replace("name: offices", &format!("name: {}", serde_json::to_string(&name).unwrap()));
        std::fs::write(data.path().join("entities.yaml"), entities).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_migcov"))
            .args(["build", "--exit-zero", "--report-date", "2026-03-31", "--data"])
            .arg(data.path())
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        prop_assert!(matches!(status.status.code(), Some(0 | 2)), "{status:?}");
        if out.exists() {
            for entry in walkdir::WalkDir::new(&out) {
                let entry = entry.unwrap();
                if entry.path().extension().is_some_and(|e| e == "html") && name.contains('<') {
                    let page = std::fs::read_to_string(entry.path()).unwrap();
                    prop_assert!(!page.contains(&name), "{} has the raw name", entry.path().display());
                }
            }
        }
    }
}
