//! Arrived intact, from files: the fixture `tests/fixtures/content` injects one defect of
//! each kind its README lists and works out every count and aggregate by hand.

mod common;

use common::{base_with, fixtures, only_table, run};
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
        reason.contains("a transform (`code`: `CAST(code AS INTEGER) + 1`) cannot be evaluated"),
        "{reason}"
    );
}

/// Found by an independent check: integer arithmetic in a transform wrapped at 32 bits
/// (a row holding the wrapped value met as intact). Each office's id times 10^9, divided
/// by 10^9 and less its id, is 0 exactly: added to the budget, the budget's verdicts are
/// the plain pair's. Wrapped (ids 3 to 10 pass 2^31), eight more rows differed.
#[test]
fn integer_arithmetic_in_a_transform_is_exact() {
    let plain = content_fixture();
    let (_, plain, _) = run(plain.path());
    let data = declared(
        "budget: {target: budget, scale: 2}",
        "budget: {target: budget, scale: 2, transform: \"CAST(id AS INTEGER) * 1000000000 / 1000000000 - CAST(id AS INTEGER) + CAST(budget AS DOUBLE)\"}",
    );
    let (_, measures, _) = run(data.path());
    let differing = |m: &migcov::measure::Measures| {
        m.content[0]
            .columns
            .iter()
            .find(|c| c.legacy == "budget")
            .map(|c| c.differing)
    };
    assert!(measures.content_not_checked.is_empty());
    assert_eq!(differing(&measures), differing(&plain));
}

/// Found by a review: 64-bit integer arithmetic in a transform wrapped (`abs` of the lowest
/// integer was itself, a product past 2^63 negative), so a row holding the true value
/// differed from a wrapped "expected" one. A database refuses such a value (PostgreSQL's
/// "bigint out of range", DuckDB's overflow), and so does migcov: the declaration is not
/// checked, with the reason. Office ids are 1 to 10: 3 × 4·10^18 is past 2^63 - 1, and
/// office 1's id - (2^63 - 1) - 2 is the lowest integer, -2^63.
#[test]
fn integer_arithmetic_past_64_bits_is_refused_not_wrapped() {
    let data = declared(
        "name: name",
        "name: {target: name, transform: \"CAST(CAST(id AS BIGINT) * 4000000000000000000 AS VARCHAR)\"}",
    );
    let reason = not_checked_reason(&data);
    assert!(
        reason.contains("* 4000000000000000000 is past the 64-bit integers"),
        "{reason}"
    );
    let data = declared(
        "name: name",
        "name: {target: name, transform: \"CAST(abs(CAST(id AS BIGINT) - 9223372036854775807 - 2) AS VARCHAR)\"}",
    );
    let reason = not_checked_reason(&data);
    assert!(
        reason.contains("abs(-9223372036854775808) is past the 64-bit integers"),
        "{reason}"
    );
    // Within 64 bits, the same arithmetic is computed (every name differs from a number).
    let data = declared(
        "name: name",
        "name: {target: name, transform: \"CAST(abs(CAST(id AS BIGINT) * 900000000000000000 - 9223372036854775807) AS VARCHAR)\"}",
    );
    let (_, measures, _) = run(data.path());
    assert!(
        measures.content_not_checked.is_empty(),
        "{:?}",
        measures.content_not_checked
    );
    assert_eq!(column(&measures.content[0], "name").differing, 10);
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
    let data = content_fixture();
    let site = data.path().join("site");
    common::build_site(data.path(), &site, "2026-12-05", &[]);
    let (_, measures, _) = run(data.path());
    let id = measures.content[0].entity_id;
    let page = std::fs::read_to_string(site.join(format!("validate/content/{id}.html"))).unwrap();
    let index = std::fs::read_to_string(site.join("validate/content.html")).unwrap();
    assert!(index.contains(&format!("href=\"content/{id}.html\"")));
    for expected in [
        // Office 4: NULL in the legacy row, an empty text in the target.
        "<td><code>4</code></td><td><code>7a0c8f3e-2b4d-4e6f-8a1b-000000000004</code></td><td><small class=\"muted\">NULL</small></td><td><code>\"\"</code> <small class=\"muted\">(empty text)</small></td>",
        // Office 7: the legacy value, what the transform gives, what the target holds.
        "<td><code>B007</code></td><td><code>CH-B007</code></td><td><code>CH-CH-B007</code></td>",
        // The budget's sums disagree; its lowest values agree.
        "<tr class=\"level-error\"><th scope=\"row\"><code>budget</code> → <code>budget</code></th><td>sum</td><td><code>10200.55</code></td><td><code>10200.60</code></td><td><strong>no</strong></td></tr>",
        "<tr><th scope=\"row\"><code>budget</code> → <code>budget</code></th><td>min</td><td><code>1000.00</code></td><td><code>1000.00</code></td><td>yes</td></tr>",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
}

/// The base's offices with `migcov.yaml`'s declaration `declaration` (after `target_key`)
/// and the rows files `legacy` and `target` (CSV text, `id` first; target ids are written
/// as office numbers, made the base's modern ids here).
fn compared(declaration: &str, legacy: &str, target: &str) -> tempfile::TempDir {
    let data = base_with(None);
    let write = |path: &str, text: &str| {
        let path = data.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "migcov.yaml",
        &format!(
            "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n{declaration}"
        ),
    );
    write("rows/legacy/dispatch_office.csv", legacy);
    let target: String = target
        .lines()
        .enumerate()
        .map(|(i, line)| match (i, line.split_once(',')) {
            (0, _) | (_, None) => format!("{line}\n"),
            (_, Some((n, rest))) => {
                format!(
                    "7a0c8f3e-2b4d-4e6f-8a1b-{:012},{rest}\n",
                    n.parse::<u64>().unwrap()
                )
            }
        })
        .collect();
    write("rows/target/offices.csv", &target);
    data
}

#[test]
fn numbers_compare_exactly_at_any_size() {
    // At scale 2, 3000000000.0049 is 3000000000.00: a double's nudge once made it .01.
    let data = compared(
        "    columns:\n      v: {target: v, scale: 2}\n",
        "id,v\n1,3000000000.0049\n2,10000000000.00\n3,12345678901234567.89\n",
        "id,v\n1,3000000000\n2,10000000000.00\n3,12345678901234567.88\n",
    );
    let table = only_table(&data);
    let v = column(&table, "v");
    // Past 2^53 a double calls .89 and .88 one number; exactly, they differ.
    assert_eq!((table.intact, v.differing), (2, 1));
    assert_eq!(v.samples[0].legacy_key, "3");
    let s = |a: &str, b: &str, equal: bool| (a.to_string(), b.to_string(), equal);
    assert_eq!(
        aggregate(&table, "v", "min"),
        s("3000000000.00", "3000000000.00", true)
    );
    assert_eq!(
        aggregate(&table, "v", "max"),
        s("12345678901234567.89", "12345678901234567.88", false)
    );
    assert_eq!(
        aggregate(&table, "v", "sum"),
        s("12345691901234567.89", "12345691901234567.88", false)
    );
    // Whole numbers past 2^53, at scale 0.
    let data = compared(
        "    columns:\n      v: {target: v, scale: 0}\n",
        "id,v\n1,9007199254740993\n2,12345678901234567890\n3,30000000.4\n",
        "id,v\n1,9007199254740992\n2,12345678901234567891\n3,30000000\n",
    );
    let table = only_table(&data);
    assert_eq!((table.intact, column(&table, "v").differing), (1, 2));
}

/// Found by an independent check: at a scale, numbers past 38 digits (`1e40` against its
/// 41 digits, a DOUBLE's `1e37` against a NUMERIC's digits) were compared as text, so the
/// same number differed; with and without a tolerance, at scale 0 and 2, they are equal.
#[test]
fn numbers_past_38_digits_compare_as_numbers_at_a_scale() {
    let digits = format!("1{}", "0".repeat(37));
    let legacy = format!(
        "id,v\n1,1e37\n2,1E40\n3,1.0e50\n4,{d}678.9\n5,1e40\n",
        d = "1".repeat(38)
    );
    let target = format!(
        "id,v\n1,{digits}\n2,1e40\n3,1e50\n4,{d}678.90\n5,1.00000000000000000000000000000000000000001e40\n",
        d = "1".repeat(38)
    );
    // Id 5 differs by 10^-1 at 10^40: at scale 2 or exactly; rounded at scale 0, not.
    for (normalize, differing) in [
        ("scale: 2", 1),
        ("scale: 0", 0),
        ("scale: 2, tolerance: 0", 1),
        ("tolerance: 0", 1),
    ] {
        let data = compared(
            &format!("    columns:\n      v: {{target: v, {normalize}}}\n"),
            &legacy,
            &target,
        );
        let table = only_table(&data);
        let v = column(&table, "v");
        assert_eq!(
            (table.intact, v.differing),
            (5 - differing, differing),
            "{normalize}"
        );
        if differing > 0 {
            assert_eq!(v.samples[0].legacy_key, "5", "{normalize}");
        }
    }
}

#[test]
fn a_tolerance_holds_at_its_own_boundary() {
    // 1.1 - 1.0 is 0.10000000000000009 in doubles; exactly, it is 0.1.
    let data = compared(
        "    columns:\n      v: {target: v, tolerance: 0.1}\n",
        "id,v\n1,1.1\n2,1000.1\n3,0.3\n4,1.2\n",
        "id,v\n1,1.0\n2,1000\n3,0.2\n4,1.0\n",
    );
    let table = only_table(&data);
    let v = column(&table, "v");
    assert_eq!((table.intact, v.differing), (3, 1));
    assert_eq!(v.samples[0].legacy_key, "4");
    // Sums within the tolerance for each value: 1002.7 against 1002.2, 0.5 ≤ 4 × 0.1.
    assert_eq!(
        aggregate(&table, "v", "sum"),
        ("1002.7".to_string(), "1002.2".to_string(), false)
    );
}

/// Found by an independent check: a mapping row repeated word for word compared its rows
/// twice, so each side counted the value twice (values 3 for 2 rows, the sum doubled).
#[test]
fn a_mapping_repeated_word_for_word_compares_its_rows_once() {
    let data = compared(
        "    columns:\n      a: {target: a, scale: 0}\n",
        "id,a\n1,5\n2,6\n",
        "id,a\n1,5\n2,7\n",
    );
    std::fs::write(
        data.path().join("mappings/again.csv"),
        "entity_type,legacy_id,modern_id\nOFFICE,2,7a0c8f3e-2b4d-4e6f-8a1b-000000000002\n",
    )
    .unwrap();
    let table = only_table(&data);
    assert_eq!((table.compared, table.intact, table.differs), (2, 1, 1));
    assert_eq!(column(&table, "a").differing, 1);
    assert_eq!(
        aggregate(&table, "a", "values"),
        ("2".into(), "2".into(), true)
    );
    assert_eq!(
        aggregate(&table, "a", "sum"),
        ("11".into(), "12".into(), false)
    );
}

#[test]
fn a_row_mapped_twice_is_compared_only_when_every_target_is_there() {
    // Office 1 is mapped a second time, to a target row that does not exist: it is not
    // compared, so neither its value nor its column counts; office 2 is intact.
    let data = compared(
        "    columns:\n      a: a\n",
        "id,a\n1,5\n2,6\n",
        "id,a\n1,999\n2,6\n",
    );
    std::fs::write(
        data.path().join("mappings/twice.csv"),
        "entity_type,legacy_id,modern_id\nOFFICE,1,7a0c8f3e-2b4d-4e6f-8a1b-000000000012\n",
    )
    .unwrap();
    let table = only_table(&data);
    assert_eq!(
        (
            table.compared,
            table.intact,
            table.differs,
            table.target_missing
        ),
        (1, 1, 0, 1)
    );
    assert_eq!(column(&table, "a").differing, 0);
    assert_eq!(aggregate(&table, "a", "values").0, "1");
}

#[test]
fn a_columns_own_scale_wins_over_the_entitys_time_zone() {
    let data = compared(
        "    normalize: {time_zone: {legacy: Europe/Zurich, target: UTC}}\n    columns:\n      b: {target: b, scale: 2}\n      t: t\n",
        "id,b,t\n1,1000.00,2026-03-01 08:00:00\n",
        "id,b,t\n1,1000,2026-03-01T07:00:00Z\n",
    );
    let table = only_table(&data);
    assert_eq!((table.intact, table.differs), (1, 0));
}

#[test]
fn daylight_saving_changes_are_read_as_the_zone_reads_them() {
    let zurich =
        "    columns:\n      t: {target: t, time_zone: {legacy: Europe/Zurich, target: UTC}}\n";
    // 02:30 on 25 October 2026 happens twice in Zurich: 00:30Z and 01:30Z are both it.
    let data = compared(
        zurich,
        "id,t\n1,2026-10-25 02:30:00\n2,2026-10-25 02:30:00\n3,2026-10-25 02:30:00\n",
        "id,t\n1,2026-10-25T00:30:00Z\n2,2026-10-25T01:30:00Z\n3,2026-10-25T02:30:00Z\n",
    );
    let table = only_table(&data);
    assert_eq!((table.intact, table.differs), (2, 1));
    // 02:30 on 29 March 2026 never happens in Zurich: it equals no instant, not even the
    // same text read as UTC.
    let data = compared(
        zurich,
        "id,t\n1,2026-03-29 02:30:00\n2,not a time\n",
        "id,t\n1,2026-03-29 02:30:00\n2,not a time\n",
    );
    let table = only_table(&data);
    assert_eq!((table.intact, table.differs), (1, 1));
    assert_eq!(column(&table, "t").samples[0].legacy_key, "1");
}

#[test]
fn a_list_column_or_an_aggregate_transform_is_not_checked_and_the_build_goes_on() {
    let data = compared("    columns:\n      a: a\n", "id,a\n1,x\n", "id,a\n1,x\n");
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    std::fs::write(
        data.path().join("rows/legacy/dispatch_office.ndjson"),
        "{\"id\":1,\"a\":[1,2]}\n",
    )
    .unwrap();
    let reason = not_checked_reason(&data);
    assert!(
        reason.contains("column `a` holds nested values"),
        "{reason}"
    );
    let data = compared(
        "    columns:\n      a: {target: a, transform: \"max(a)\"}\n",
        "id,a\n1,B001\n2,B002\n",
        "id,a\n1,B002\n2,B002\n",
    );
    let reason = not_checked_reason(&data);
    assert!(
        reason.contains("reads other rows (an aggregate"),
        "{reason}"
    );
}

#[test]
fn typed_parquet_values_read_as_the_canonical_text_of_their_type() {
    use polars::prelude::*;
    let data = compared(
        "    columns:\n      f: f\n      big: big\n      t: t\n      z: z\n      b: b\n      h: h\n      bin: bin\n",
        "id,f,big,t,z,b,h,bin\n1,x,x,x,x,x,x,x\n",
        "id,f,big,t,z,b,h,bin\n1,0.5,100000000000000000000,2026-03-01 08:00:00.5,2026-03-01 07:00:00.12Z,1,08:00:00.5,de00adff\n",
    );
    let micros = |text: &str| {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .unwrap()
            .and_utc()
            .timestamp_micros()
    };
    let mut frame = df!(
        "id" => ["1"],
        "f" => [0.5f64],
        "big" => [1e20f64],
        "t" => [micros("2026-03-01 08:00:00.5")],
        "z" => [micros("2026-03-01 07:00:00.12")],
        "b" => [true],
        // A time of day (nanoseconds since midnight), whose fraction a cast to text drops.
        "h" => [8 * 3_600_000_000_000i64 + 500_000_000],
        // Bytes that are no UTF-8, as `collect` writes them: lower-case hex.
        "bin" => [&[0xdeu8, 0x00, 0xad, 0xff][..]],
    )
    .unwrap()
    .lazy()
    .with_columns([
        col("h").cast(DataType::Time),
        col("t").cast(DataType::Datetime(TimeUnit::Microseconds, None)),
        col("z").cast(DataType::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::UTC),
        )),
    ])
    .collect()
    .unwrap();
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    let file =
        std::fs::File::create(data.path().join("rows/legacy/dispatch_office.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    let table = only_table(&data);
    let differing: Vec<(String, u64)> = table
        .columns
        .iter()
        .map(|c| (c.target.clone(), c.differing))
        .collect();
    assert!(
        differing.iter().all(|(_, n)| *n == 0),
        "{differing:?} {table:?}"
    );
}

/// A target key written as a Parquet binary UUID (16 bytes) is the UUID it holds.
#[test]
fn a_binary_uuid_target_key_is_the_uuid_its_bytes_are() {
    use polars::prelude::*;
    let data = compared(
        "    columns:\n      name: name\n",
        "id,name\n1,A\n2,B\n3,C\n",
        "id,name\n1,x\n",
    );
    let ids: Vec<Vec<u8>> = [1u64, 2, 3]
        .iter()
        .map(|n| {
            uuid::Uuid::parse_str(&format!("7a0c8f3e-2b4d-4e6f-8a1b-{n:012}"))
                .unwrap()
                .as_bytes()
                .to_vec()
        })
        .collect();
    let ids: Vec<&[u8]> = ids.iter().map(Vec::as_slice).collect();
    let mut frame = df!("id" => ids, "name" => ["A", "B", "c"]).unwrap();
    std::fs::remove_file(data.path().join("rows/target/offices.csv")).unwrap();
    let file = std::fs::File::create(data.path().join("rows/target/offices.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    let table = only_table(&data);
    assert_eq!((table.compared, table.intact, table.differs), (3, 2, 1));
    let name = column(&table, "name");
    assert_eq!(name.samples.len(), 1);
    assert_eq!(
        name.samples[0].target_key,
        "7a0c8f3e-2b4d-4e6f-8a1b-000000000003"
    );
}

#[test]
fn null_equals_empty_on_a_column_compares_its_rows() {
    // Office 1's NULL equals the target's "": both rows intact, the column compared.
    let data = compared(
        "    columns:\n      a: {target: a, null_equals_empty: true}\n      b: {target: b, null_equals_empty: true, trim: true}\n",
        "id,a,b\n1,,x\n2,y, z\n",
        "id,a,b\n1,\"\",x\n2,y,z\n",
    );
    let table = only_table(&data);
    assert_eq!((table.compared, table.intact), (2, 2));
    // As compared: one value and one missing on each side.
    assert_eq!(
        aggregate(&table, "a", "values"),
        ("1".into(), "1".into(), true)
    );
}

#[test]
fn sums_hold_across_pieces_of_rows_in_any_order() {
    // 65,539 rows: A on the first, -A, -A, +A on the last three (past the first 65,536
    // rows read as one piece), 0 elsewhere; added in pieces, -2A once overflowed.
    let a = "90000000000000000000000000000000000000";
    let mut rows = String::from("id,v\n");
    for id in 1..=65_539u64 {
        let v = match id {
            1 | 65_539 => a.to_string(),
            65_537 | 65_538 => format!("-{a}"),
            _ => "0".into(),
        };
        rows.push_str(&format!("{id},{v}\n"));
    }
    let data = compared(
        "    columns:\n      v: {target: v, tolerance: 0}\n",
        &rows,
        &rows,
    );
    // The base maps offices 1 to 10; the others mapped here, as `compared` names them.
    let mut mappings = String::from("entity_type,legacy_id,modern_id\n");
    for id in 11..=65_539u64 {
        mappings.push_str(&format!("OFFICE,{id},7a0c8f3e-2b4d-4e6f-8a1b-{id:012}\n"));
    }
    std::fs::write(data.path().join("mappings/more.csv"), mappings).unwrap();
    let table = only_table(&data);
    assert_eq!((table.compared, table.intact), (65_539, 65_539));
    assert_eq!(
        aggregate(&table, "v", "sum"),
        ("0".into(), "0".into(), true)
    );
    assert_eq!(
        aggregate(&table, "v", "distinct"),
        ("3".into(), "3".into(), true)
    );
}

/// Found by an independent check: a value with more digits than 38 (a `DECIMAL(65,38)`,
/// a double's `1e-80`) was read exactly before it was rounded, so at scale 2 it differed
/// from its own rounding and left its side's figures empty.
#[test]
fn a_long_number_is_rounded_at_the_scale_before_it_is_read() {
    let data = compared(
        "    columns:\n      a: {target: a, scale: 2}\n      b: {target: b, scale: 2}\n",
        "id,a,b\n1,1.12345678901234567890123456789012345678,1e-80\n2,2.5,5e-324\n3,1.25,1e-76\n",
        "id,a,b\n1,1.12,0\n2,2.50,0\n3,1.25,0.00\n",
    );
    let table = only_table(&data);
    assert_eq!((table.intact, table.differs), (3, 0));
    let s = |a: &str, b: &str| (a.to_string(), b.to_string(), true);
    assert_eq!(aggregate(&table, "a", "min"), s("1.12", "1.12"));
    assert_eq!(aggregate(&table, "a", "max"), s("2.50", "2.50"));
    assert_eq!(aggregate(&table, "a", "sum"), s("4.87", "4.87"));
    assert_eq!(aggregate(&table, "b", "distinct"), s("1", "1"));
    assert_eq!(aggregate(&table, "b", "sum"), s("0.00", "0.00"));
}

#[test]
fn a_number_past_38_digits_leaves_its_aggregates_uncomputed_never_equal() {
    // At scale 2 a 38-digit value has 40 digits: no exact figure, rather than one that
    // leaves it out.
    let big = "12345678901234567890123456789012345678";
    let data = compared(
        "    columns:\n      v: {target: v, scale: 2}\n",
        &format!("id,v\n1,{big}\n2,1000\n"),
        &format!("id,v\n1,{big}\n2,1000\n"),
    );
    let table = only_table(&data);
    assert_eq!(
        aggregate(&table, "v", "values"),
        ("2".into(), "2".into(), true)
    );
    for name in ["distinct", "min", "max", "sum"] {
        assert_eq!(
            aggregate(&table, "v", name),
            (String::new(), String::new(), false),
            "{name}"
        );
    }
}

/// Found by an independent check: a value of a time-zone pair that reads as no instant
/// (`n/a`) was left out of its side's distinct, lowest and highest, which then agreed. As
/// for numbers, they are not computed and never agree; the counts still are.
#[test]
fn a_value_that_is_no_instant_leaves_its_sides_order_figures_uncomputed() {
    let data = compared(
        "    columns:\n      t: {target: t, time_zone: UTC}\n",
        "id,t\n1,2026-03-01 08:00:00\n2,n/a\n3,2026-03-01 09:00:00\n",
        "id,t\n1,2026-03-01T08:00:00Z\n2,2026-03-01T08:30:00Z\n3,2026-03-01T09:00:00Z\n",
    );
    let table = only_table(&data);
    assert_eq!((table.intact, table.differs), (2, 1));
    assert_eq!(
        aggregate(&table, "t", "values"),
        ("3".into(), "3".into(), true)
    );
    for name in ["distinct", "min", "max"] {
        let (legacy, target, equal) = aggregate(&table, "t", name);
        assert_eq!((legacy.as_str(), equal), ("", false), "{name}");
        assert!(!target.is_empty(), "{name}");
    }
}

#[test]
fn instant_aggregates_are_written_in_canonical_text() {
    let data = compared(
        "    columns:\n      t: {target: t, time_zone: UTC}\n",
        "id,t\n1,2026-03-01 08:00:00.5\n2,2026-03-01 09:00:00\n",
        "id,t\n1,2026-03-01T08:00:00.500Z\n2,2026-03-01T09:00:00Z\n",
    );
    let table = only_table(&data);
    assert_eq!(table.intact, 2);
    assert_eq!(
        aggregate(&table, "t", "min"),
        (
            "2026-03-01 08:00:00.5Z".into(),
            "2026-03-01 08:00:00.5Z".into(),
            true
        )
    );
}

#[test]
fn a_data_folder_named_like_a_pattern_is_read_as_it_is() {
    // `export[1]` as a pattern matches `export1`, whose offices have other names: only
    // `export[1]`'s own rows files are read, as CSV and as Parquet.
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("export[1]");
    common::copy_tree(content_fixture().path(), &data);
    let sibling = root.path().join("export1");
    common::copy_tree(content_fixture().path(), &sibling);
    let target = sibling.join("rows/target/offices.csv");
    let renamed = std::fs::read_to_string(&target)
        .unwrap()
        .replace("Office", "Elsewhere");
    std::fs::write(&target, renamed).unwrap();
    let expected = {
        let (_, measures, _) = run(content_fixture().path());
        measures.content
    };
    let (_, measures, _) = run(&data);
    assert_eq!(measures.content, expected);
    // The same rows as Parquet.
    for side in ["legacy/dispatch_office", "target/offices"] {
        let csv = data.join(format!("rows/{side}.csv"));
        common::csv_as_parquet(&csv, &data.join(format!("rows/{side}.parquet")));
        std::fs::remove_file(&csv).unwrap();
    }
    // (A CSV read by polars loses `""` against NULL: the counts and names are compared.)
    let (_, measures, _) = run(&data);
    let table = &measures.content[0];
    assert_eq!(
        (table.legacy_rows, table.target_rows, table.compared),
        (10, 10, 10)
    );
    assert_eq!(column(table, "name").differing, 1);
}

/// Found by an independent check: with a table's legacy rows in two files, every sample
/// named the first file, where the row may be in the other. The folder is named instead.
#[test]
fn samples_of_rows_in_several_files_name_the_folder() {
    let data = compared(
        "    columns:\n      a: a\n",
        "id,a\n1,5\n",
        "id,a\n1,5\n2,7\n",
    );
    std::fs::write(
        data.path().join("rows/legacy/DISPATCH_OFFICE.csv"),
        "id,a\n2,6\n",
    )
    .unwrap();
    let (_, measures, findings) = run(data.path());
    assert_eq!(measures.content[0].legacy_file, "rows/legacy");
    let mismatch = findings
        .iter()
        .find(|f| f.rule == "reconcile.content.value_mismatch")
        .unwrap();
    assert_eq!(mismatch.samples[0].file, "rows/legacy");
    // One file: named.
    let data = compared("    columns:\n      a: a\n", "id,a\n1,5\n", "id,a\n1,6\n");
    assert_eq!(
        only_table(&data).legacy_file,
        "rows/legacy/dispatch_office.csv"
    );
}

/// Found by an independent check: two 5 MB values made a 10 MB page through their lowest
/// and highest. Shown shortened; compared whole (values alike in their first 2,000
/// characters still differ).
#[test]
fn long_aggregates_are_shown_shortened_and_compared_whole() {
    let (legacy, target) = ("x".repeat(5000), format!("{}y", "x".repeat(4999)));
    let data = compared(
        "    columns:\n      a: a\n",
        &format!("id,a\n1,{legacy}\n"),
        &format!("id,a\n1,{target}\n"),
    );
    let table = only_table(&data);
    let (l, t, equal) = aggregate(&table, "a", "min");
    assert!(!equal);
    assert!(
        l.chars().count() < 2100 && t.chars().count() < 2100,
        "{}",
        l.len()
    );
    assert_eq!(l, t, "alike as shown");
}

/// Found by an independent check: `--failures-dir` wrote only the five samples of a
/// content rule, not every differing row, and `--samples` did not apply to them.
#[test]
fn the_failures_folder_holds_every_differing_row() {
    use assert_cmd::cargo::CommandCargoExt;
    let ids = 1..=12;
    let rows = |value: &str| -> String {
        std::iter::once("id,a".to_string())
            .chain(ids.clone().map(|i| format!("{i},{value}{i}")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let data = compared("    columns:\n      a: a\n", &rows("x"), &rows("y"));
    let (site, failures) = (data.path().join("site"), data.path().join("failures"));
    let output = std::process::Command::cargo_bin("migcov")
        .unwrap()
        .args(["build", "--exit-zero", "--samples", "3", "--data"])
        .arg(data.path())
        .arg("--out")
        .arg(&site)
        .arg("--failures-dir")
        .arg(&failures)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let folder = failures.join("reconcile.content.value_mismatch");
    let files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    // The base fixture maps offices 1 to 10: ten compared rows, each differing.
    assert_eq!(text.lines().count(), 1 + 10, "{text}");
    // The pages and content.json show the first three.
    let content: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("api/validate/content.json")).unwrap())
            .unwrap();
    let samples = content["entities"][0]["columns"][0]["samples"]
        .as_array()
        .unwrap();
    assert_eq!(samples.len(), 3);
    assert_eq!(content["entities"][0]["columns"][0]["differing"], 10);
}

/// Found by an independent check: times a nanosecond apart (Parquet's `timestamp[ns]`,
/// or nine digits of fraction read in a zone) were cut to the microsecond and read as
/// equal. They differ, as timestamps, as times of day and as instants.
#[test]
fn times_a_nanosecond_apart_differ() {
    use polars::prelude::*;
    let data = compared(
        "    columns:\n      t: t\n      h: h\n      z: {target: z, time_zone: {legacy: Europe/Zurich, target: UTC}}\n",
        "id,t,h,z\n1,x,x,x\n",
        "id,t,h,z\n1,2026-03-01 08:00:00.123456788,08:00:00.123456788,2026-03-01T07:00:00.123456788Z\n\
         2,2026-03-01 08:00:00.1234567,08:00:00.1234567,2026-03-01T07:00:00.1234567Z\n",
    );
    let nanos = |text: &str| {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .unwrap()
            .and_utc()
            .timestamp_nanos_opt()
            .unwrap()
    };
    let (one, two) = (
        "2026-03-01 08:00:00.123456789",
        "2026-03-01 08:00:00.1234567",
    );
    let of_day = |t: i64| t.rem_euclid(86_400_000_000_000);
    let mut frame = df!(
        "id" => ["1", "2"],
        "t" => [nanos(one), nanos(two)],
        "h" => [of_day(nanos(one)), of_day(nanos(two))],
        "z" => [one, two],
    )
    .unwrap()
    .lazy()
    .with_columns([
        col("t").cast(DataType::Datetime(TimeUnit::Nanoseconds, None)),
        col("h").cast(DataType::Time),
    ])
    .collect()
    .unwrap();
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    let file =
        std::fs::File::create(data.path().join("rows/legacy/dispatch_office.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    let table = only_table(&data);
    for name in ["t", "h", "z"] {
        let c = column(&table, name);
        assert_eq!(c.differing, 1, "{name}: {c:?}");
        assert_eq!(c.samples[0].legacy_key, "1", "{name}");
    }
    assert_eq!((table.intact, table.differs), (1, 1));
}

/// Found by an independent check: Parquet columns pyarrow writes that polars reads
/// otherwise. `tests/fixtures/content/arrow/date64.parquet` (`id` 1 to 10, `t` Arrow's
/// `date64`, 2026-03-01) is read as dates, equal to the same dates written as text;
/// `time32s.parquet` (`t` Arrow's `time32[s]`, 08:00:01), which polars reads as NULL, is
/// refused naming the column, never compared as missing values.
#[test]
fn parquet_dates_and_times_pyarrow_writes_are_read_as_written_or_refused() {
    let target: String = std::iter::once("id,t\n".to_string())
        .chain((1..=10).map(|i| format!("{i},2026-03-01\n")))
        .collect();
    for (file, expected) in [("date64", Ok((10, 0))), ("time32s", Err("time32[s]"))] {
        let data = compared("    columns:\n      t: t\n", "id,t\n1,x\n", &target);
        std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
        std::fs::copy(
            fixtures().join(format!("content/arrow/{file}.parquet")),
            data.path().join("rows/legacy/dispatch_office.parquet"),
        )
        .unwrap();
        let (_, measures, _) = common::run(data.path());
        match expected {
            Ok(counts) => {
                let table = &measures.content[0];
                assert_eq!((table.intact, table.differs), counts, "{file}");
            }
            Err(said) => {
                assert!(measures.content.is_empty(), "{file}");
                let reason = &measures.content_not_checked[0].reason;
                assert!(
                    reason.contains(said) && reason.contains("dispatch_office.parquet"),
                    "{reason}"
                );
            }
        }
    }
}

/// A Parquet column of UUIDs (16 bytes of Parquet's `UUID` logical type, as DuckDB and
/// pyarrow write one) is the UUIDs its bytes are, as the target's text writes them; bytes
/// of no logical type are bytes, in hex (`tests/fixtures/content/README.md`, `uuid/`).
/// Read as hex, every row of a UUID column differed from the same UUIDs as text.
#[test]
fn parquet_uuid_values_are_the_uuids_their_bytes_are() {
    let target = "id,ref\n1,0b5e6f2a-1c3d-4e5f-9a7b-000000000001\n2,0b5e6f2a-1c3d-4e5f-9a7b-000000000002\n3,0b5e6f2a-1c3d-4e5f-9a7b-000000000009\n";
    let data_with = |file: &str| {
        let data = compared("    columns:\n      ref: ref\n", "id,ref\n1,x\n", target);
        std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
        std::fs::copy(
            fixtures().join(format!("content/uuid/{file}.parquet")),
            data.path().join("rows/legacy/dispatch_office.parquet"),
        )
        .unwrap();
        data
    };
    for (file, expected) in [("uuid_duckdb", (2, 1)), ("fixed16", (0, 3))] {
        let data = data_with(file);
        let table = only_table(&data);
        assert_eq!((table.intact, table.differs), expected, "{file}");
        let sample = &column(&table, "ref").samples;
        let legacy = match file {
            "fixed16" => "0b5e6f2a1c3d4e5f9a7b000000000001",
            _ => "0b5e6f2a-1c3d-4e5f-9a7b-000000000003",
        };
        assert!(
            sample.iter().any(|s| s.legacy.as_deref() == Some(legacy)),
            "{file}: {sample:?}"
        );
    }
    // pyarrow's file also names Arrow's `uuid` extension type in its Arrow schema, which
    // polars 0.55 cannot read: the declaration is not checked, naming the file and the
    // type, never compared.
    let (_, measures, _) = common::run(data_with("uuid_pyarrow").path());
    assert!(measures.content.is_empty());
    let reason = &measures.content_not_checked[0].reason;
    assert!(
        reason.contains("dispatch_office.parquet") && reason.contains("arrow.uuid"),
        "{reason}"
    );
}

/// The legacy rows file `file` of `tests/fixtures/content/` (ids 1 to 3, column `v`) against
/// the target's `v` (`target`, one line a row): the table, or why it is not checked.
fn fixture_against(file: &str, target: [&str; 3]) -> Result<ContentTable, String> {
    let target: String = std::iter::once("id,v\n".to_string())
        .chain(
            target
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{},{v}\n", i + 1)),
        )
        .collect();
    let data = compared("    columns:\n      v: v\n", "id,v\n1,x\n", &target);
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    std::fs::copy(
        fixtures().join(format!("content/{file}")),
        data.path().join("rows/legacy/dispatch_office.parquet"),
    )
    .unwrap();
    let (_, measures, _) = common::run(data.path());
    match measures.content.first() {
        Some(table) => Ok(table.clone()),
        None => Err(measures.content_not_checked[0].reason.clone()),
    }
}

/// Found by an independent check: a Parquet column of the `JSON` logical type (DuckDB's
/// `JSON`, `{"b": 1.0, "a": [1e2]}`, `[1, 2]`, `{"a":1}`) was compared as the hex of its
/// bytes, so every row differed; it is the JSON text its bytes hold, in JSON's canonical
/// text, as `collect` writes a database's JSON (`tests/fixtures/content/README.md`).
#[test]
fn a_parquet_json_column_is_its_json_text() {
    let table = fixture_against(
        "json/json_duckdb.parquet",
        [r#""{""a"":[100],""b"":1}""#, "\"[1,2]\"", r#""{""a"":2}""#],
    )
    .unwrap();
    assert_eq!((table.intact, table.differs), (2, 1));
    let v = column(&table, "v");
    assert_eq!(v.samples.len(), 1);
    assert_eq!(v.samples[0].legacy.as_deref(), Some(r#"{"a":1}"#));
}

/// Found by an independent check: a JSON value with line breaks (`{\n  "a": 1\n}`, `[1,\r\n2]`)
/// was read as hex, as bytes holding control characters are; it is its text.
#[test]
fn a_parquet_json_value_with_line_breaks_is_its_json_text() {
    let table = fixture_against(
        "json/json_lines.parquet",
        [r#""{""a"":1}""#, "\"[1,2]\"", r#""{""a"":2}""#],
    )
    .unwrap();
    assert_eq!(
        (table.intact, table.differs),
        (2, 1),
        "{:?}",
        column(&table, "v")
    );
}

/// Found by an independent check: a legacy key of Parquet's `UUID` type whose 16 bytes
/// happen to be printable (`5aea88a4-3e63-…`, and `41424344-…`, the bytes `ABCD…`) was
/// read as that text, so it met no mapping naming the UUID; it is the UUID, whether the
/// mappings write it as text or as a Parquet `UUID` too
/// (`tests/fixtures/content/README.md`, `uuid/`).
#[test]
fn a_parquet_uuid_legacy_key_is_the_uuid_whatever_its_bytes() {
    for mappings in ["csv", "parquet"] {
        let data = compared(
            "    columns:\n      a: a\n",
            "id,a\n1,x\n",
            "id,a\n1,x\n2,y\n3,q\n",
        );
        std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
        std::fs::copy(
            fixtures().join("content/uuid/uuid_key.parquet"),
            data.path().join("rows/legacy/dispatch_office.parquet"),
        )
        .unwrap();
        std::fs::remove_file(data.path().join("mappings/offices.csv")).unwrap();
        match mappings {
            "csv" => std::fs::write(
                data.path().join("mappings/offices.csv"),
                "entity_type,legacy_id,modern_id\n\
                 OFFICE,5aea88a4-3e63-49e7-ad8c-6d4ec9835f2d,7a0c8f3e-2b4d-4e6f-8a1b-000000000001\n\
                 OFFICE,12345678-9abc-4def-8123-456789abcdef,7a0c8f3e-2b4d-4e6f-8a1b-000000000002\n\
                 OFFICE,41424344-4546-4748-494a-4b4c4d4e4f50,7a0c8f3e-2b4d-4e6f-8a1b-000000000003\n",
            )
            .unwrap(),
            _ => {
                std::fs::copy(
                    fixtures().join("content/uuid/uuid_key_mappings.parquet"),
                    data.path().join("mappings/offices.parquet"),
                )
                .unwrap();
            }
        }
        let table = only_table(&data);
        assert_eq!(
            (table.mapped, table.intact, table.differs),
            (3, 2, 1),
            "mappings as {mappings}"
        );
    }
}

/// Found by an independent check: a time of day of `24:00:00` in Parquet (DuckDB's `TIME
/// '24:00:00'`, which PostgreSQL's `time` holds too) is read by polars as NULL, so it
/// equalled a missing target value; such a column (and one past the day) is refused,
/// naming it, never compared as missing values. Times within the day compare as before.
#[test]
fn a_parquet_time_of_day_of_24_hours_or_past_it_is_refused_not_read_as_null() {
    for file in ["time/time_duckdb.parquet", "time/past_midnight.parquet"] {
        let reason = fixture_against(file, ["", "12:00:00.5", ""]).unwrap_err();
        assert!(
            reason.contains("24:00:00 or past it") && reason.contains("\"v\""),
            "{reason}"
        );
    }
    let table = fixture_against(
        "time/within_the_day.parquet",
        ["23:59:59.999999", "12:00:00.5", ""],
    )
    .unwrap();
    assert_eq!((table.intact, table.differs), (3, 0));
}

/// Found by an independent check: Parquet dates and timestamps outside the years 1 to 9999
/// (DuckDB's `DATE '10000-01-01'` and `DATE '0044-03-15 (BC)'`) were written as polars
/// writes them (`+10000-01-01`, `-0043-03-15`), so they differed from PostgreSQL's text of
/// the same values; they are PostgreSQL's text (`tests/fixtures/content/README.md`).
#[test]
fn parquet_dates_past_the_year_9999_or_before_the_year_1_are_postgresqls_text() {
    let data = compared(
        "    columns:\n      d: d\n      ts: ts\n",
        "id,d,ts\n1,x,x\n",
        "id,d,ts\n1,10000-01-01,10000-01-01 00:00:00\n2,0044-03-15 BC,0044-03-15 12:00:00.5 BC\n3,2026-03-01,2026-03-01 08:00:00.25\n",
    );
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    std::fs::copy(
        fixtures().join("content/dates/far_years.parquet"),
        data.path().join("rows/legacy/dispatch_office.parquet"),
    )
    .unwrap();
    let table = only_table(&data);
    assert_eq!(
        (table.intact, table.differs),
        (3, 0),
        "{:?} {:?}",
        column(&table, "d").samples,
        column(&table, "ts").samples
    );
}

/// Found by an independent check: a Parquet timestamp with a zone outside the years 1 to
/// 9999 is PostgreSQL's text in UTC (`10000-01-01 00:00:00+00`, which `collect` keeps), one
/// within them the instant in UTC (`…Z`); one past the years chrono reads is refused
/// naming the column (its reason was a caught panic's text).
#[test]
fn parquet_instants_far_from_now_are_postgresqls_text_or_refused_by_name() {
    use polars::prelude::*;
    let write = |data: &tempfile::TempDir, micros: Vec<i64>| {
        let mut frame = df!("id" => ["1", "2"], "t" => micros)
            .unwrap()
            .lazy()
            .with_column(col("t").cast(DataType::Datetime(
                TimeUnit::Microseconds,
                Some(TimeZone::UTC),
            )))
            .collect()
            .unwrap();
        std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
        let file =
            std::fs::File::create(data.path().join("rows/legacy/dispatch_office.parquet")).unwrap();
        ParquetWriter::new(file).finish(&mut frame).unwrap();
    };
    // 10000-01-01 00:00:00 and 2026-03-01 07:00:00.12, in UTC.
    let (far, near) = (253_402_300_800_000_000i64, 1_772_348_400_120_000i64);
    let data = compared(
        "    columns:\n      t: t\n",
        "id,t\n1,x\n",
        "id,t\n1,10000-01-01 00:00:00+00\n2,2026-03-01 07:00:00.12Z\n",
    );
    write(&data, vec![far, near]);
    let table = only_table(&data);
    assert_eq!((table.intact, table.differs), (2, 0), "{table:?}");
    let data = compared(
        "    columns:\n      t: t\n",
        "id,t\n1,x\n",
        "id,t\n1,x\n2,y\n",
    );
    write(&data, vec![i64::MAX, near]);
    let reason = not_checked_reason(&data);
    assert!(
        reason.contains("column \"t\" holds a timestamp past the years chrono reads")
            && !reason.contains("anic"),
        "{reason}"
    );
}

/// Found by an independent check: a double whose two shortest digits are equally near
/// (`1125899906842624.25`) was written rounded up (`…624.3`), while PostgreSQL and
/// JavaScript write the even digit (`…624.2`): the same number in an NDJSON file and in the
/// target's text differed.
#[test]
fn a_double_between_two_shortest_digits_is_written_with_the_even_one() {
    let data = compared(
        "    columns:\n      v: v\n",
        "id,v\n1,x\n",
        "id,v\n1,1125899906842624.2\n2,1125899906842624.8\n",
    );
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    std::fs::write(
        data.path().join("rows/legacy/dispatch_office.ndjson"),
        "{\"id\":1,\"v\":1125899906842624.2}\n{\"id\":2,\"v\":1125899906842624.75}\n",
    )
    .unwrap();
    let table = only_table(&data);
    assert_eq!((table.intact, table.differs), (2, 0), "{table:?}");
}

/// Found by an independent check: a decimal key (`1.00`, Parquet `decimal(10,2)`) in the
/// mappings and in the legacy rows file is one id, read alike by both (with its scale, as
/// the ids are); read as a value (`1`), no row matched a mapping.
#[test]
fn a_decimal_key_is_read_as_the_mappings_read_it() {
    use polars::prelude::*;
    let data = compared(
        "    columns:\n      a: a\n",
        "id,a\n1,x\n",
        "id,a\n1,x\n2,y\n",
    );
    let decimal = DataType::Decimal(10, 2);
    let write = |path: &str, frame: LazyFrame| {
        let mut frame = frame.collect().unwrap();
        let file = std::fs::File::create(data.path().join(path)).unwrap();
        ParquetWriter::new(file).finish(&mut frame).unwrap();
    };
    let legacy = df!("id" => ["1.00", "2.00"], "a" => ["x", "z"])
        .unwrap()
        .lazy();
    write(
        "rows/legacy/dispatch_office.parquet",
        legacy.with_column(col("id").cast(decimal.clone())),
    );
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    let mappings = df!(
        "entity_type" => ["OFFICE", "OFFICE"],
        "legacy_id" => ["1.00", "2.00"],
        "modern_id" => ["7a0c8f3e-2b4d-4e6f-8a1b-000000000001", "7a0c8f3e-2b4d-4e6f-8a1b-000000000002"],
    )
    .unwrap()
    .lazy();
    write(
        "mappings/offices.parquet",
        mappings.with_column(col("legacy_id").cast(decimal)),
    );
    std::fs::remove_file(data.path().join("mappings/offices.csv")).unwrap();
    let table = only_table(&data);
    assert_eq!((table.mapped, table.intact, table.differs), (2, 1, 1));
}

/// Found by an independent check: a rows file the CSV reader refuses (a row with more
/// fields than the header) left the declaration not checked with the reader's message
/// alone; the reason names the files read.
#[test]
fn a_rows_file_that_cannot_be_read_is_named_in_the_reason() {
    let data = compared(
        "    columns:\n      a: a\n",
        "id,a\n1,x,extra\n",
        "id,a\n1,x\n",
    );
    let (_, measures, _) = common::run(data.path());
    assert!(measures.content.is_empty());
    let reason = &measures.content_not_checked[0].reason;
    assert!(
        reason.contains("rows/legacy/dispatch_office.csv") && reason.contains("more fields"),
        "{reason}"
    );
}

/// Found by an independent check: a `time32[s]` column no declaration compares is never
/// read (the rows file `time32s.parquet`, `id` 1 to 10 and `t`, compared on `id` alone);
/// and a `date64` key (`date64_key.parquet`, 2026-03-01 to 2026-03-03, with mappings whose
/// `legacy_id` is the same `date64`) is read as the loader reads the mappings' ids, so its
/// rows are mapped.
#[test]
fn parquet_columns_pyarrow_writes_do_not_change_what_is_not_compared() {
    let numbers: String = std::iter::once("id,n\n".to_string())
        .chain((1..=10).map(|i| format!("{i},{i}\n")))
        .collect();
    let data = compared("    columns:\n      id: n\n", "id,t\n1,x\n", &numbers);
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    std::fs::copy(
        fixtures().join("content/arrow/time32s.parquet"),
        data.path().join("rows/legacy/dispatch_office.parquet"),
    )
    .unwrap();
    let table = only_table(&data);
    assert_eq!((table.intact, table.differs), (10, 0));

    let data = compared(
        "    columns:\n      a: a\n",
        "id,a\n1,x\n",
        "id,a\n1,x\n2,y\n3,q\n",
    );
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    std::fs::remove_file(data.path().join("mappings/offices.csv")).unwrap();
    for (from, to) in [
        ("date64_key.parquet", "rows/legacy/dispatch_office.parquet"),
        ("date64_key_mappings.parquet", "mappings/offices.parquet"),
    ] {
        std::fs::copy(
            fixtures().join(format!("content/arrow/{from}")),
            data.path().join(to),
        )
        .unwrap();
    }
    let table = only_table(&data);
    assert_eq!(
        (table.mapped, table.intact, table.differs),
        (3, 2, 1),
        "{table:?}"
    );
}

/// Found by an independent check: the aggregates of instants were of microseconds, so
/// values a nanosecond apart were one distinct value, and a lowest of `.999999999` read
/// `.999999`. They are of nanoseconds, before 1970 too.
#[test]
fn instant_aggregates_are_to_the_nanosecond() {
    let data = compared(
        "    columns:\n      t: {target: t, time_zone: UTC}\n",
        "id,t\n1,1969-12-31 23:59:59.999999999\n2,1969-12-31 23:59:59.999999998\n3,2026-03-01 08:00:00.000000001\n",
        "id,t\n1,1969-12-31T23:59:59.999999999Z\n2,1969-12-31T23:59:59.999999999Z\n3,2026-03-01T08:00:00.000000001Z\n",
    );
    let table = only_table(&data);
    assert_eq!((table.intact, table.differs), (2, 1));
    assert_eq!(
        aggregate(&table, "t", "distinct"),
        ("3".into(), "2".into(), false)
    );
    assert_eq!(
        aggregate(&table, "t", "min"),
        (
            "1969-12-31 23:59:59.999999998Z".into(),
            "1969-12-31 23:59:59.999999999Z".into(),
            false
        )
    );
    assert_eq!(
        aggregate(&table, "t", "max"),
        (
            "2026-03-01 08:00:00.000000001Z".into(),
            "2026-03-01 08:00:00.000000001Z".into(),
            true
        )
    );
}

/// Found by an independent check of the CSV reader: a quote inside a value of a column
/// read by no check (`12" pipe`, here the last column, which no pair names) made polars'
/// parser run on through the next lines: 2 rows compared of 10, without an error. polars'
/// reader, made to parse that column, refuses the file, so the entity is not checked and
/// the reason says why; never a figure of the rows it lost.
#[test]
fn a_quote_in_a_column_not_compared_loses_no_row() {
    let data = content_fixture();
    for side in ["legacy/dispatch_office.csv", "target/offices.csv"] {
        let path = data.path().join("rows").join(side);
        let text = std::fs::read_to_string(&path).unwrap();
        let with_note: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, line)| match i {
                0 => format!("{line},note"),
                2 => format!("{line},12\" pipe"),
                _ => format!("{line},ok"),
            })
            .collect();
        std::fs::write(&path, with_note.join("\n")).unwrap();
    }
    let (_, measures, _) = run(data.path());
    assert!(measures.content.is_empty(), "{:?}", measures.content);
    let reason = &measures.content_not_checked[0].reason;
    assert!(reason.contains("CSV malformed"), "{reason}");
}

/// Found by an independent check: a stray quote before a quoted value's line break and
/// one after it (`12" pipe,"abc` then `x,nail"` then `3" tube`) are read by polars'
/// reader with no error, the second line taken as text of the first. migcov's own reader
/// refuses such a mappings file; a rows file is refused alike: not checked, naming the
/// file and the row of the first stray quote.
#[test]
fn stray_quotes_around_a_quoted_line_break_leave_a_rows_file_not_checked() {
    let data = content_fixture();
    let path = data.path().join("rows/legacy/dispatch_office.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let noted: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("{line},note,note2"),
            1 => format!("{line},12\" pipe,\"abc"),
            2 => format!("{line},nail\""),
            3 => format!("{line},3\" tube,z"),
            _ => format!("{line},ok,z"),
        })
        .collect();
    std::fs::write(&path, noted.join("\n") + "\n").unwrap();
    let (_, measures, _) = run(data.path());
    assert!(measures.content.is_empty(), "{:?}", measures.content);
    let reason = &measures.content_not_checked[0].reason;
    assert!(
        reason.contains("rows/legacy/dispatch_office.csv")
            && reason.contains("CSV malformed at or before row 1:"),
        "{reason}"
    );
}

/// Found by an independent check: a rows file whose lines end in a carriage return alone
/// was read as one header line and no row (0 legacy rows, with only a warning that rows
/// are missing; on the target side every row was "missing"). The loader refuses such a
/// mappings file; a rows file on either side leaves the entity not checked, naming it.
#[test]
fn a_rows_file_with_lone_carriage_returns_is_not_checked() {
    for side in ["legacy/dispatch_office.csv", "target/offices.csv"] {
        let data = content_fixture();
        let path = data.path().join("rows").join(side);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\r\n", "\n").replace('\n', "\r")).unwrap();
        let (_, measures, _) = run(data.path());
        assert!(
            measures.content.is_empty(),
            "{side}: {:?}",
            measures.content
        );
        let reason = &measures.content_not_checked[0].reason;
        assert!(
            reason.contains(&format!("rows/{side} cannot be read"))
                && reason.contains("carriage return not followed by a line feed"),
            "{reason}"
        );
    }
}

/// Found by an independent check: a summary of ids proved in the database
/// (`rows/pushdown/<table>.json`) was bounded by the ids the mappings name on its own, so
/// with the rows files' mapped ids an entity showed more mapped rows than its mappings
/// name. The proved ids are none of the files': files' mapped + proved ≤ mapping ids.
#[test]
fn proved_ids_and_the_files_mapped_ids_are_at_most_the_mappings_ids() {
    let data = content_fixture();
    let (_, measures, _) = run(data.path());
    let table = &measures.content[0];
    let room = table.mapping_ids - table.mapped;
    for (intact, checked) in [(room, true), (room + 1, false)] {
        std::fs::create_dir_all(data.path().join("rows/pushdown")).unwrap();
        std::fs::write(
            data.path()
                .join(format!("rows/pushdown/{}.json", table.legacy_table)),
            serde_json::json!({
                "legacy_rows": table.legacy_rows + intact,
                "target_rows": table.target_rows + intact,
                "intact": intact,
                "method": "hand-made",
            })
            .to_string(),
        )
        .unwrap();
        let (_, measures, _) = run(data.path());
        assert_eq!(measures.content.len(), usize::from(checked), "{intact}");
        if checked {
            assert_eq!(measures.content[0].mapped, table.mapping_ids);
        } else {
            let reason = &measures.content_not_checked[0].reason;
            assert!(reason.contains("not of one collection"), "{reason}");
        }
    }
}

/// Found by an independent check: a legacy key column that is also compared was compared
/// as the key is read (a decimal with its scale, `1.00`), where values are read with no
/// trailing zeros (`1`): the same number differed. The key still meets the mappings as a
/// key (`1.00`); as a value it is read as values are. A key's bytes are the key's text
/// either way (the input contract). Worked out in tests/fixtures/decimal-key/README.md.
#[test]
fn a_key_column_that_is_also_compared_is_compared_as_a_value() {
    use polars::prelude::*;
    let data = compared(
        "    columns:\n      id: legacy_id\n",
        "id\n1\n2\n",
        "id,legacy_id\n1,1\n2,2.5\n",
    );
    std::fs::write(
        data.path().join("mappings/offices.csv"),
        "entity_type,legacy_id,modern_id\n\
         OFFICE,1.00,7a0c8f3e-2b4d-4e6f-8a1b-000000000001\n\
         OFFICE,2.50,7a0c8f3e-2b4d-4e6f-8a1b-000000000002\n",
    )
    .unwrap();
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    std::fs::copy(
        fixtures().join("decimal-key/dispatch_office.parquet"),
        data.path().join("rows/legacy/dispatch_office.parquet"),
    )
    .unwrap();
    let table = only_table(&data);
    assert_eq!(
        (table.mapped, table.compared, table.intact, table.differs),
        (2, 2, 2, 0),
        "{table:?}"
    );
    // Bytes: the key's text (`1`, `2`), as the mappings' ids read them.
    let data = compared(
        "    columns:\n      id: legacy_id\n",
        "id\n1\n2\n",
        "id,legacy_id\n1,1\n2,2\n",
    );
    let ids: Vec<&[u8]> = vec![b"1", b"2"];
    let mut frame = df!("id" => ids).unwrap();
    std::fs::remove_file(data.path().join("rows/legacy/dispatch_office.csv")).unwrap();
    let file =
        std::fs::File::create(data.path().join("rows/legacy/dispatch_office.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    let table = only_table(&data);
    assert_eq!(
        (table.mapped, table.compared, table.intact, table.differs),
        (2, 2, 2, 0),
        "{table:?}"
    );
}

/// Found by an independent check: a mapping whose modern_id is no UUID counts its row as
/// target missing, and its sample showed an empty modern id. It says it is not one
/// (`integrity.mapping.invalid_modern_id` names the text).
#[test]
fn a_missing_target_of_an_invalid_modern_id_says_so() {
    let data = compared(
        "    columns:\n      name: name\n",
        "id,name\n1,A\n2,B\n",
        "id,name\n2,B\n",
    );
    let path = data.path().join("mappings/offices.csv");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("7a0c8f3e-2b4d-4e6f-8a1b-000000000001", "garbage");
    std::fs::write(&path, text).unwrap();
    let target = data.path().join("rows/target/offices.csv");
    let text = std::fs::read_to_string(&target).unwrap() + "garbage,A\n";
    std::fs::write(&target, text).unwrap();
    let table = only_table(&data);
    assert_eq!(
        (table.compared, table.intact, table.target_missing),
        (1, 1, 1)
    );
    assert_eq!(
        table.missing_samples,
        [("1".to_string(), "(not a UUID)".to_string())]
    );
}
