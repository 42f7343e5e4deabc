//! Arrived intact, from files: the fixture `tests/fixtures/content` injects one defect of
//! each kind its README lists and works out every count and aggregate by hand.

mod common;

use common::{base_with, fixtures, run};
use migcov::measure::content::{ColumnResult, ContentTable};

fn content_fixture() -> tempfile::TempDir {
    base_with(Some(&fixtures().join("content/data")))
}

#[test]
fn each_injected_defect_is_found_in_its_column() {
    let data = content_fixture();
    let (_, measures, findings) = run(data.path());
    assert!(
        measures.content_not_checked.is_empty(),
        "{:?}",
        measures.content_not_checked
    );
    let table = &measures.content[0];
    assert_eq!(
        (
            table.compared,
            table.intact,
            table.differs,
            table.target_missing
        ),
        (10, 3, 7, 0)
    );
    let differing: Vec<(&str, u64)> = table
        .columns
        .iter()
        .map(|c| (c.target.as_str(), c.differing))
        .collect();
    assert_eq!(
        differing,
        [
            ("budget", 1),
            ("city", 1),
            ("code", 1),
            ("first_name", 1),
            ("last_name", 1),
            ("name", 1),
            ("opened_at", 1),
            ("phone", 1),
        ]
    );
    let mismatches: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "reconcile.content.value_mismatch")
        .collect();
    assert_eq!(mismatches.len(), 8);
    assert_eq!(mismatches.iter().map(|f| f.count).sum::<u64>(), 8);
    // Each finding's sample names the office and both values as the files hold them.
    let fields = |column: &str| -> Vec<(String, String)> {
        let finding = mismatches
            .iter()
            .find(|f| f.message.contains(&format!("`{column}`")))
            .unwrap();
        finding.samples[0]
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect()
    };
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        fields("city"),
        pairs(&[
            ("legacy key", "5"),
            ("target key", "7a0c8f3e-2b4d-4e6f-8a1b-000000000005"),
            ("legacy city", "\"Zürich\""),
            ("target city", "\"ZÃ¼rich\""),
        ])
    );
    // The transform applied twice: the legacy value, what the transform gives, the target.
    assert_eq!(
        fields("code"),
        pairs(&[
            ("legacy key", "7"),
            ("target key", "7a0c8f3e-2b4d-4e6f-8a1b-000000000007"),
            ("legacy code", "\"B007\""),
            ("expected (concat('CH-', code))", "\"CH-B007\""),
            ("target code", "\"CH-CH-B007\""),
        ])
    );
    // Zurich's 08:00 is 07:00Z: only office 3, whose local time was written as UTC.
    assert_eq!(
        fields("opened_at")[..3],
        pairs(&[
            ("legacy key", "3"),
            ("target key", "7a0c8f3e-2b4d-4e6f-8a1b-000000000003"),
            ("legacy opened_at", "\"2026-03-01 08:00:00\""),
        ])[..]
    );
}

/// The result of the compared column whose target (or legacy label) is `name`.
fn column<'a>(table: &'a ContentTable, name: &str) -> &'a ColumnResult {
    table
        .columns
        .iter()
        .find(|c| c.target == name || c.legacy == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// One aggregate of a column: (legacy, target, agree).
fn aggregate(table: &ContentTable, column: &str, name: &str) -> (String, String, bool) {
    let a = self::column(table, column)
        .aggregates
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no aggregate {name} of {column}"));
    (
        a.legacy.clone().unwrap_or_default(),
        a.target.clone().unwrap_or_default(),
        a.equal,
    )
}

#[test]
fn aggregates_agree_with_the_readme() {
    let data = content_fixture();
    let (_, measures, _) = run(data.path());
    let table = &measures.content[0];
    let s = |a: &str, b: &str, equal: bool| (a.to_string(), b.to_string(), equal);
    assert_eq!(
        aggregate(table, "budget", "sum"),
        s("10200.55", "10200.60", false)
    );
    assert_eq!(
        aggregate(table, "budget", "min"),
        s("1000.00", "1000.00", true)
    );
    assert_eq!(
        aggregate(table, "budget", "max"),
        s("1200.55", "1200.60", false)
    );
    assert_eq!(
        aggregate(table, "code", "sum of lengths"),
        s("70", "73", false)
    );
    assert_eq!(aggregate(table, "phone", "values"), s("9", "10", false));
    assert_eq!(aggregate(table, "phone", "nulls"), s("1", "0", false));
    assert_eq!(aggregate(table, "phone", "distinct"), s("9", "10", false));
    assert_eq!(
        aggregate(table, "city", "sum of lengths"),
        s("42", "43", false)
    );
    assert_eq!(
        aggregate(table, "city", "max"),
        s("Zürich", "ZÃ¼rich", false)
    );
    assert_eq!(
        aggregate(table, "opened_at", "min"),
        s("2026-03-01 07:00:00Z", "2026-03-01 07:00:00Z", true)
    );
    assert_eq!(
        aggregate(table, "opened_at", "max"),
        s("2026-03-01 07:00:00Z", "2026-03-01 08:00:00Z", false)
    );
    assert_eq!(
        aggregate(table, "name", "sum of lengths"),
        s("96", "91", false)
    );
    // An instant has no sum at all.
    assert!(column(table, "opened_at")
        .aggregates
        .iter()
        .all(|a| !a.name.starts_with("sum")));
}

/// The fixture with `migcov.yaml`'s line `from` replaced by `to`.
fn declared(from: &str, to: &str) -> tempfile::TempDir {
    let data = content_fixture();
    let path = data.path().join("migcov.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
    data
}

fn not_checked_reason(data: &tempfile::TempDir) -> String {
    let (_, measures, findings) = run(data.path());
    assert!(measures.content.is_empty());
    assert!(findings
        .iter()
        .any(|f| f.rule == "reconcile.content.not_checked"));
    measures.content_not_checked[0].reason.clone()
}

#[test]
fn a_transform_that_is_no_sql_is_not_checked_naming_it() {
    let data = declared("concat('CH-', code)", "concat('CH-', code");
    let reason = not_checked_reason(&data);
    assert!(
        reason.contains("`code`") && reason.contains("no SQL expression"),
        "{reason}"
    );
}

#[test]
fn a_transform_naming_an_absent_column_is_not_checked_naming_it() {
    let data = declared("concat('CH-', code)", "concat('CH-', kode)");
    let reason = not_checked_reason(&data);
    assert!(reason.contains("no column `kode`"), "{reason}");
}

#[test]
fn a_transform_reading_no_column_is_refused() {
    let data = declared("concat('CH-', code)", "'CH-B001'");
    let reason = not_checked_reason(&data);
    assert!(reason.contains("names no legacy column"), "{reason}");
}

#[test]
fn a_transform_that_cannot_be_evaluated_is_not_checked() {
    // `B001` is no integer: polars' strict cast fails on the rows, not on the text.
    let data = declared("concat('CH-', code)", "CAST(code AS INTEGER) + 1");
    let reason = not_checked_reason(&data);
    assert!(
        reason.contains("a transform cannot be evaluated"),
        "{reason}"
    );
}

#[test]
fn an_unknown_time_zone_is_not_checked() {
    let data = declared("legacy: Europe/Zurich", "legacy: Europe/Zurch");
    let reason = not_checked_reason(&data);
    assert!(
        reason.contains("Europe/Zurch") && reason.contains("`opened_at`"),
        "{reason}"
    );
}

#[test]
fn without_the_time_zone_every_row_differs_in_opened_at() {
    // Read as UTC, Zurich's 08:00 is an hour after the target's 07:00Z: nine rows differ,
    // and office 3's 08:00Z is the one that agrees.
    let data = declared(
        "{target: opened_at, time_zone: {legacy: Europe/Zurich, target: UTC}}",
        "{target: opened_at, time_zone: UTC}",
    );
    let (_, measures, _) = run(data.path());
    let opened = column(&measures.content[0], "opened_at");
    assert_eq!(opened.differing, 9);
    assert!(opened.samples.iter().all(|s| s.legacy_key != "3"));
}

#[test]
fn a_multi_column_transform_shows_each_column_it_read() {
    // The target's name is the legacy name and city joined: every row differs, and the
    // sample names both columns read.
    let data = declared(
        "name: name",
        "full: {target: name, transform: \"concat(name, ' ', city)\"}",
    );
    let (_, measures, _) = run(data.path());
    let full = column(&measures.content[0], "full");
    assert_eq!(full.differing, 10);
    let first = &full.samples[0];
    assert_eq!(
        first.legacy.as_deref(),
        Some("name=Office 1 Hauptsitz Bern, city=Bern")
    );
    assert_eq!(
        first.expected.as_deref(),
        Some("Office 1 Hauptsitz Bern Bern")
    );
    assert_eq!(first.target.as_deref(), Some("Office 1 Hauptsitz"));
}

/// The entity's own page: every sample with the expected value of a transform, NULL and
/// the empty text told apart, the aggregates side by side with the ones that disagree
/// marked.
#[test]
fn the_entity_page_shows_samples_and_aggregates() {
    use assert_cmd::cargo::CommandCargoExt;
    let data = content_fixture();
    let site = data.path().join("site");
    let out = std::process::Command::cargo_bin("migcov")
        .unwrap()
        .args([
            "build",
            "--exit-zero",
            "--report-date",
            "2026-12-05",
            "--data",
        ])
        .arg(data.path())
        .arg("--out")
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, measures, _) = run(data.path());
    let id = measures.content[0].entity_id;
    let page = std::fs::read_to_string(site.join(format!("validate/content/{id}.html"))).unwrap();
    let index = std::fs::read_to_string(site.join("validate/content.html")).unwrap();
    assert!(index.contains(&format!("href=\"content/{id}.html\"")));
    for expected in [
        // Office 4: NULL in the legacy row, an empty text in the target.
        "<td><code>4</code></td><td><code>7a0c8f3e-2b4d-4e6f-8a1b-000000000004</code></td><td>NULL</td><td><code>\"\"</code> <small class=\"muted\">(empty text)</small></td>",
        // Office 7: the legacy value, what the transform gives, what the target holds.
        "<td><code>B007</code></td><td><code>CH-B007</code></td><td><code>CH-CH-B007</code></td>",
        // The budget's sums disagree; its lowest values agree.
        "<tr class=\"level-error\"><th scope=\"row\"><code>budget</code> → <code>budget</code></th><td>sum</td><td><code>10200.55</code></td><td><code>10200.60</code></td><td><strong>no</strong></td></tr>",
        "<tr><th scope=\"row\"><code>budget</code> → <code>budget</code></th><td>min</td><td><code>1000.00</code></td><td><code>1000.00</code></td><td>yes</td></tr>",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
}
