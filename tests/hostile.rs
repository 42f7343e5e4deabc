//! Hostile input: every case ends, within a time limit and a memory cap, either in a clear error naming the
//! file (exit 2) or in a report whose findings say what is wrong (exit 0 or 1); never a
//! panic (101), a hang, or a write outside `--out`.

mod common;

use std::path::Path;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command;
use common::base_with;

/// The address space a hostile run may use: 4 GiB, so a bomb that tried to allocate its
/// way out would fail (and be seen) instead of taking the machine down.
const MEMORY_CAP: libc::rlim_t = 4 << 30;

/// `migcov` with its address space capped at [`MEMORY_CAP`].
fn capped() -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::cargo_bin("migcov").unwrap();
    // SAFETY: setrlimit is async-signal-safe; the closure touches nothing else.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_CAP,
                rlim_max: MEMORY_CAP,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Command::from_std(cmd)
}

/// Runs `migcov build` on `data` under a 60 s limit and the memory cap; returns (exit code,
/// stdout + stderr).
fn build(data: &Path) -> (i32, String) {
    let out = tempfile::tempdir().unwrap();
    let output = capped()
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["build", "--report-date", "2026-03-31", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out.path().join("site"))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed (a hang?): {text}"));
    assert_ne!(code, 101, "panicked: {text}");
    (code, text)
}

const METRICS_HEADER: &str = "script_id,entity_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms,throughput_per_second\n";

fn with_file(path: &str, bytes: &[u8]) -> tempfile::TempDir {
    let data = base_with(None);
    let file = data.path().join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, bytes).unwrap();
    data
}

fn expect_error(path: &str, bytes: &[u8], message: &str) {
    let data = with_file(path, bytes);
    let (code, text) = build(data.path());
    assert_eq!(code, 2, "{path}: {text}");
    assert!(
        text.contains(message),
        "{path}: expected {message:?} in {text}"
    );
}

#[test]
fn non_finite_and_oversized_numbers_are_errors_not_hangs_or_overflows() {
    for (value, found) in [("NaN", "\"NaN\""), ("inf", "\"inf\""), ("-inf", "\"-inf\"")] {
        expect_error(
            "metrics/run.csv",
            format!("{METRICS_HEADER}office-migration.ts,offices,2026-03-01T08:00:00Z,10,10,0,0,1000,{value}\n").as_bytes(),
            &format!("metrics/run.csv row 1: column `throughput_per_second`: expected a finite number, found {found}"),
        );
    }
    expect_error(
        "metrics/run.csv",
        format!("{METRICS_HEADER}office-migration.ts,offices,2026-03-01T08:00:00Z,99999999999999999999,10,0,0,1000,\n").as_bytes(),
        "metrics/run.csv row 1: column `records_processed`: expected a whole number of at most 15 digits",
    );
    // An NDJSON integer past 2^63 is a legacy id like any other, read as its digits (it was
    // a panic, then null): here one no legacy row has, so an orphan mapping naming it.
    let data = with_file(
        "mappings/more.ndjson",
        br#"{"entity_type":"OFFICE","legacy_id":18446744073709551615,"modern_id":"7a0c8f3e-2b4d-4e6f-8a1b-000000000099"}
"#,
    );
    let (_, _, findings) = common::run(data.path());
    let orphan = findings
        .iter()
        .find(|f| f.rule == "missing.mapping.orphan")
        .expect("an orphan");
    assert!(
        orphan
            .samples
            .iter()
            .flat_map(|s| &s.fields)
            .any(|f| f.value == "18446744073709551615"),
        "{orphan:?}"
    );
    assert!(!findings
        .iter()
        .any(|f| f.rule == "integrity.export.missing_value"));
    // A fractional count in NDJSON is no count (it was truncated to 9).
    expect_error(
        "metrics/more.ndjson",
        br#"{"script_id":"office-migration.ts","execution_date":"2026-03-01T08:00:00Z","records_processed":10,"records_successful":9.9,"records_failed":0.1,"execution_time_ms":1000}
"#,
        "metrics/more.ndjson row 1: column `records_successful`: expected a whole number of at most 15 digits, found \"9.9\"",
    );
    // Each value in range, the sum past 2^62.
    let mut rows = String::from(METRICS_HEADER);
    for _ in 0..4700 {
        rows.push_str("office-migration.ts,offices,2026-03-01T08:00:00Z,1000000000000000,1000000000000000,0,0,1,\n");
    }
    expect_error(
        "metrics/run.csv",
        rows.as_bytes(),
        "column `records_processed` adds up to 4.7e18",
    );
}

/// A CSV whose lines end in a carriage return alone reads as one header line and no row:
/// an error naming the file, not a table that silently lost every row (it loaded with
/// none before).
#[test]
fn lines_ending_in_a_carriage_return_alone_are_an_error() {
    expect_error(
        "mappings/mac.csv",
        b"entity_type,legacy_id,modern_id\rOFFICE,1,5b1e0a52-8f5e-4d1c-9a43-0c9b7f1d2e01\rOFFICE,2,5b1e0a52-8f5e-4d1c-9a43-0c9b7f1d2e02\r",
        "mappings/mac.csv: cannot parse table: the header holds a carriage return not followed by a line feed (after \"modern_id\")",
    );
    // CRLF line endings read as ever.
    let data = with_file(
        "mappings/windows.csv",
        b"entity_type,legacy_id,modern_id\r\nOFFICE,1,5b1e0a52-8f5e-4d1c-9a43-0c9b7f1d2e01\r\n",
    );
    let (code, text) = build(data.path());
    assert_ne!(code, 2, "{text}");
}

#[test]
fn brackets_in_text_are_not_nesting() {
    // A folded description full of brackets, and a quoted one: text, not levels.
    let domains = format!(
        "- name: CLINICAL\n  description: >\n    {}\n    [{}\n  priority: CRITICAL\n\
         - name: BUSINESS\n  description: \"{}\"\n  priority: HIGH\n",
        "[".repeat(69),
        "{".repeat(30),
        "[".repeat(40)
    );
    let data = with_file("domains.yaml", domains.as_bytes());
    let (code, text) = build(data.path());
    assert_eq!(code, 0, "{text}");
    // Brackets in plain text, in single quotes with `''`, and on the second line of a
    // double-quoted string, 70 scripts in one file (as `collect` writes them): text.
    for description in [
        "Skips notes starting with '[' (JIRA-12)",
        "'The customer''s notes [free text, cut at 4000 chars'",
        "\"Moves the office rows\n    (it's the {legacy template\"",
    ] {
        let scripts: String = (0..70)
            .map(|i| {
                format!(
                    "- name: s{i}.ts\n  category: CORE\n  data_domain: BUSINESS\n  source_table: dispatch_office\n  \
                     target_table: offices\n  status: COMPLETE\n  description: {description}\n"
                )
            })
            .collect();
        let data = with_file("scripts/more.yaml", scripts.as_bytes());
        let (code, text) = build(data.path());
        assert!(code == 0 || code == 1, "{description}: {text}");
    }
}

#[test]
fn hostile_yaml_is_rejected_fast_with_the_file_named() {
    let laughs =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n\
                  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
                  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    expect_error(
        "scripts/office.yaml",
        laughs.as_bytes(),
        "scripts/office.yaml",
    );
    // 200 KB nested 100,000 levels deep: measured from the text before the YAML parser walks
    // it (it took 42 s to reject), in flow and in block style, in every manifest.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    expect_error(
        "scripts/office.yaml",
        deep.as_bytes(),
        "scripts/office.yaml line 1: nested deeper than 64 levels",
    );
    let deep_list = format!("{}x\n", "- ".repeat(100_000));
    expect_error(
        "entities.yaml",
        deep_list.as_bytes(),
        "entities.yaml line 1: nested deeper than 64 levels",
    );
    // A quote inside a plain scalar opens nothing: the brackets after it still count.
    let quoted = format!(
        "name: x\ndescription: [a \"b, {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    expect_error(
        "scripts/office.yaml",
        quoted.as_bytes(),
        "scripts/office.yaml line 2: nested deeper than 64 levels",
    );
    // Deep flow after a block scalar that opens a list item, and after `a:'` (text, not a
    // quote, in flow context).
    let after_block = format!(
        "- description: |\n    x\n  name: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    expect_error(
        "scripts/office.yaml",
        after_block.as_bytes(),
        "scripts/office.yaml line 3: nested deeper than 64 levels",
    );
    let colon_quote = format!("name: x\ndescription: [a:', {}\n", "[b, ".repeat(50_000));
    expect_error(
        "scripts/office.yaml",
        colon_quote.as_bytes(),
        "scripts/office.yaml line 2: nested deeper than 64 levels",
    );
    // An anchor of 1 MB repeated by 1,500 aliases asks for 1.5 GB.
    let aliases = format!(
        "title: &a \"{}\"\nexclude: [{}]\n",
        "x".repeat(1 << 20),
        vec!["*a"; 1500].join(", ")
    );
    expect_error(
        "migcov.yaml",
        aliases.as_bytes(),
        "migcov.yaml line 2: nested deeper than 64 levels, or more than 256 aliases",
    );
    let deep_value = format!("title: x\nexclusions: {}\n", "{a: ".repeat(50_000));
    expect_error(
        "migcov.yaml",
        deep_value.as_bytes(),
        "migcov.yaml line 2: nested deeper than 64 levels",
    );
    let deep_map = format!("{}x", "a: ".repeat(50_000));
    expect_error(
        "scripts/office.yaml",
        deep_map.as_bytes(),
        "scripts/office.yaml line 1:",
    );
    // Past the size cap, the file is not parsed at all.
    let huge = format!("# {}\n", "x".repeat(17 * 1024 * 1024));
    expect_error(
        "scripts/office.yaml",
        huge.as_bytes(),
        "scripts/office.yaml: 17825795 bytes: a manifest may hold at most 16777216 bytes",
    );
    expect_error("migcov.yaml", b"title: a\ntitle: b\n", "migcov.yaml");
    expect_error(
        "domains.yaml",
        b"- name: CLINICAL\n\tpriority: HIGH\n",
        "domains.yaml",
    );
    expect_error(
        "domains.yaml",
        b"- name: CLIN\xffICAL\n  priority: HIGH\n",
        "domains.yaml",
    );
}

#[test]
fn broken_exports_name_their_file() {
    expect_error(
        "metrics/run.csv",
        b"",
        "metrics/run.csv: cannot parse table",
    );
    // Not UTF-8: bytes 0xFF 0xFE inside a cell.
    let mut bytes = METRICS_HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"office-migration.ts,off\xff\xfeices,2026-03-01T08:00:00Z,10,10,0,0,1000,\n",
    );
    expect_error(
        "metrics/run.csv",
        &bytes,
        "metrics/run.csv: cannot parse table: invalid utf-8 sequence at or before row 1 ",
    );
    expect_error(
        "metrics/run.csv",
        b"script_id;entity_id\nx;y\n",
        "metrics/run.csv: missing required column `script_id`",
    );
    expect_error(
        "metrics/x.ndjson",
        b"{\"script_id\": \"office-migration.ts\", \"execution_date\": \n",
        "metrics/x.ndjson: cannot parse table",
    );
    expect_error(
        "metrics/run.parquet",
        b"",
        "metrics/run.parquet: cannot parse table",
    );
    expect_error(
        "mappings/m.parquet",
        b"PAR1 not really",
        "mappings/m.parquet: cannot parse table",
    );
}

#[test]
fn ragged_rows_folders_named_like_files_and_link_loops_are_findings() {
    // A row with too few cells leaves required cells empty: a finding, not a crash.
    let data = with_file(
        "metrics/run.csv",
        format!("{METRICS_HEADER}office-migration.ts,offices,2026-03-01T08:00:00Z,10,10\n")
            .as_bytes(),
    );
    let (code, text) = build(data.path());
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("integrity.export.missing_value"), "{text}");

    let data = base_with(None);
    std::fs::create_dir_all(data.path().join("metrics/x.csv")).unwrap();
    std::os::unix::fs::symlink("..", data.path().join("metrics/up")).unwrap();
    let (code, text) = build(data.path());
    assert_eq!(
        code, 0,
        "a folder named x.csv is a folder; the loop is not followed: {text}"
    );
    assert!(text.contains(" 1 warning"), "the link is reported: {text}");
}

#[test]
fn names_that_look_like_paths_stay_inside_the_output_folder() {
    let data = base_with(None);
    let entities = std::fs::read_to_string(data.path().join("entities.yaml"))
        .unwrap()
        .replace("name: offices", "name: \"../../escaped\"")
        .replace("entity_type: OFFICE", "entity_type: \"../OFFICE\"");
    std::fs::write(data.path().join("entities.yaml"), entities).unwrap();
    let scripts = std::fs::read_to_string(data.path().join("scripts/office.yaml"))
        .unwrap()
        .replace(
            "name: office-migration.ts",
            "name: \"../../../tmp/evil.ts\"",
        );
    std::fs::write(data.path().join("scripts/office.yaml"), scripts).unwrap();
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("site");
    let output = Command::cargo_bin("migcov")
        .unwrap()
        .args(["build", "--report-date", "2026-03-31", "--data"])
        .arg(data.path())
        .arg("--out")
        .arg(&out)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
    let outside: Vec<_> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["site"], "nothing written beside --out");
    assert!(!Path::new("/tmp/evil.ts").exists());
}

/// A Parquet decimal of more than 38 digits (see tests/fixtures/wide-decimal/README.md):
/// polars' error ("precision must be between 1 and 38") named no column. The error names
/// the file and the column.
#[test]
fn a_parquet_decimal_past_38_digits_is_named_by_its_column() {
    let bytes = std::fs::read(common::fixtures().join("wide-decimal/mappings.parquet")).unwrap();
    let data = with_file("mappings/wide.parquet", &bytes);
    let (code, text) = build(data.path());
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("mappings/wide.parquet"), "{text}");
    assert!(
        text.contains("column `legacy_id`: a decimal of more than 38 digits"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}

/// Found by an independent check: the same decimal in a column no check reads (`amount`)
/// refused the file; it is ignored, as every extra column is, and the file's mappings read.
#[test]
fn a_parquet_decimal_past_38_digits_in_an_extra_column_is_ignored() {
    let bytes = std::fs::read(common::fixtures().join("wide-decimal/extra.parquet")).unwrap();
    let data = with_file("mappings/extra.parquet", &bytes);
    let (code, text) = build(data.path());
    assert!(matches!(code, 0 | 1), "{text}");
    assert!(
        !text.contains("decimal") && !text.contains("error:"),
        "{text}"
    );
}

/// Found by an independent check: a Parquet file with an Arrow extension column (see
/// tests/fixtures/extension/README.md) stopped the build with exit 2 and an error naming
/// the file, but polars' "thread 'main' panicked" text (and a backtrace hint) came first.
/// The error alone is printed.
#[test]
fn an_unreadable_parquet_type_is_an_error_without_panic_text() {
    let bytes = std::fs::read(common::fixtures().join("extension/mappings.parquet")).unwrap();
    let data = with_file("mappings/extension.parquet", &bytes);
    let (code, text) = build(data.path());
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("mappings/extension.parquet"), "{text}");
    assert!(
        !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
        "{text}"
    );
}

/// Found by an independent check: a path was sorted into its kind by its UTF-8 parts
/// alone, so `alt-\xe4/migcov.yaml` was read as the data folder's own settings (its gate
/// passing a run the real one fails), and `metrics/\xe4.csv` as a file outside the input
/// contract (dropped with a warning, the gate passing). A name that is not UTF-8 is
/// refused, naming it (exit 2), wherever it is.
#[test]
fn a_name_that_is_not_utf8_is_refused_never_read_as_its_other_parts() {
    use std::os::unix::ffi::OsStrExt;
    for (folder, file) in [
        (&b"alt-\xe4"[..], &b"migcov.yaml"[..]),
        (&b"metrics"[..], &b"run-\xe4.csv"[..]),
    ] {
        let data = base_with(None);
        let dir = data.path().join(std::ffi::OsStr::from_bytes(folder));
        std::fs::create_dir_all(&dir).unwrap();
        let contents = match file {
            b"migcov.yaml" => "gate:\n  fail_under: 0.0\n".to_string(),
            _ => std::fs::read_to_string(data.path().join("metrics/run.csv")).unwrap(),
        };
        std::fs::write(dir.join(std::ffi::OsStr::from_bytes(file)), contents).unwrap();
        let (code, text) = build(data.path());
        assert_eq!(code, 2, "{text}");
        assert!(text.contains("not valid UTF-8"), "{text}");
        assert!(
            text.contains(&String::from_utf8_lossy(folder).to_string()),
            "{text}"
        );
    }
}

/// Found by an independent check: an NDJSON line nesting 20,000 levels deep (40 KB)
/// overflowed polars' reader's stack, an abort (exit 134) that named no file, in a column
/// migcov ignores as in one it reads. Past 128 levels a line is refused naming its file
/// and line; 100 levels still read.
#[test]
fn json_nested_past_128_levels_is_refused_naming_its_line() {
    let line = |depth: usize, extra: &str| {
        format!(
            "{{\"script_id\":\"office-migration.ts\",\"entity_id\":\"offices\",\"execution_date\":\"2026-03-05T08:00:00Z\",\"records_processed\":1,\"records_successful\":1,\"records_failed\":0,\"records_skipped\":0,\"execution_time_ms\":10,\"{extra}\":{}1{}}}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    for extra in ["ignored", "error_details"] {
        let text = [line(1, extra), line(20_000, extra)].concat();
        expect_error(
            "metrics/deep.ndjson",
            text.as_bytes(),
            "metrics/deep.ndjson: cannot parse table: line 2: a value nests",
        );
        let data = with_file("metrics/deep.ndjson", line(100, extra).as_bytes());
        let (code, text) = build(data.path());
        assert_ne!(code, 2, "{text}");
    }
}

/// Found by an independent check: a byte order mark before `domains.yaml` or
/// `entities.yaml` hid the list ("invalid type: sequence"), before a script's manifest its
/// fields ("missing field `category`"); and a header line of one 5 MB name was printed
/// whole in the error. The mark is read past; a message names at most 30 columns, each
/// cut at 60 characters.
#[test]
fn a_byte_order_mark_is_read_past_and_a_long_header_is_cut_in_the_message() {
    let data = base_with(None);
    for name in ["domains.yaml", "entities.yaml", "scripts/office.yaml"] {
        let path = data.path().join(name);
        if !path.exists() {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        std::fs::write(&path, [b"\xEF\xBB\xBF".as_slice(), &text].concat()).unwrap();
    }
    let (code, text) = build(data.path());
    assert_ne!(code, 2, "{text}");
    let long = format!("{}\n1\n", "a".repeat(5 << 20));
    let data = with_file("metrics/huge.csv", long.as_bytes());
    let (code, text) = build(data.path());
    assert_eq!(code, 2, "{}", &text[..text.len().min(2000)]);
    assert!(text.len() < 10_000, "{} bytes of message", text.len());
    assert!(text.contains("missing required column"), "{text}");
}
