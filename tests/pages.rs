//! Pages at scale: a script with thousands of executions gets binned charts, a bins table,
//! its executions listed a thousand to a page and every one of them in a CSV beside it, and
//! no page grows past 1 MB.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::{copy_tree, fixtures};

const EXECUTIONS: usize = 5000;

/// The `small` fixture plus `long-migration.ts` with 5,000 executions: execution i (from 1)
/// processes i records in one second, all successful but every tenth with one failure, and
/// names the run `=run` (a formula, to a spreadsheet).
fn long_script() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("small"), dir.path());
    std::fs::write(
        dir.path().join("scripts/long.yaml"),
        "- name: long-migration.ts\n  category: CORE\n  data_domain: CLINICAL\n  \
         source_table: dispatch_long\n  target_table: longs\n  status: complete\n",
    )
    .unwrap();
    let mut csv = String::from(
        "script_id,execution_date,records_processed,records_successful,records_failed,\
         records_skipped,execution_time_ms,run_id\n",
    );
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    for i in 1..=EXECUTIONS {
        let at = start + chrono::Duration::minutes(i as i64);
        let failed = usize::from(i % 10 == 0);
        writeln!(
            csv,
            "long-migration.ts,{}Z,{i},{},{failed},0,1000,=run",
            at.format("%Y-%m-%dT%H:%M:%S"),
            i - failed
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("metrics/long.csv"), csv).unwrap();
    dir
}

/// `migcov build --exit-zero` of `data` into `site/` of a new folder, which is returned.
fn build_site(data: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::build_site(data, &dir.path().join("site"), "2026-11-24", &[]);
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("&#x2F;", "/")
}

#[test]
fn a_long_series_is_binned_paged_and_downloadable() {
    let data = long_script();
    let dir = build_site(data.path());
    let out = dir.path().join("site");
    let scripts: serde_json::Value =
        serde_json::from_str(&read(&out.join("api/scripts.json"))).unwrap();
    let id = scripts["scripts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "long-migration.ts")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = read(&out.join(format!("scripts/{id}.html")));

    // 5,000 executions in bins of ⌈5000 / 120⌉ = 42: 119 full bins and one of 2 (4999–5000).
    // The first bin holds executions 1–42 at 1 to 42 records a second: median 21.5, shown
    // rounded as 22; it processed 903 records, 4 of them failed (executions 10 to 40).
    assert_eq!(page.matches("<tr><th scope=\"row\">").count(), 120, "bins");
    let first = page
        .find("<tr><th scope=\"row\">1–42</th>")
        .expect("first bin");
    let first = &page[first..first + page[first..].find("</tr>").unwrap()];
    assert_eq!(
        first,
        "<tr><th scope=\"row\">1–42</th><td class=\"num\">1/s</td><td class=\"num\">22/s</td>\
         <td class=\"num\">42/s</td><td class=\"num\">899</td><td class=\"num\">4</td>\
         <td class=\"num\">0</td>"
    );
    assert!(page.contains("<th scope=\"row\">4,999–5,000</th>"));
    assert!(page.contains("5000 executions in 120 bins of 42 consecutive executions"));

    // The script's page lists executions 1–1,000; four more pages list the rest.
    assert!(page.contains("Executions 1–1,000 of 5,000"));
    assert!(page.contains(&format!(
        "<a href=\"../scripts/{id}/executions-5.html\">5</a>"
    )));
    let last = read(&out.join(format!("scripts/{id}/executions-5.html")));
    assert!(last.contains("Executions 4,001–5,000 of 5,000"));
    assert!(last.contains("<th scope=\"row\" class=\"num\">4001</th>"));
    assert!(last.contains("<th scope=\"row\" class=\"num\">5000</th>"));
    // Each execution's records per second as its chart draws it (i records in 1,000 ms;
    // no row states a throughput, and the table said n/a: found by an independent check),
    // with the number to sort by.
    assert!(last.contains("<td class=\"num\" data-sort=\"5000\">5,000/s</td>"));
    assert!(page.contains("<td class=\"num\" data-sort=\"3\">3/s</td>"));
    assert!(!page.contains(">n/a</td>"));
    assert!(!out.join(format!("scripts/{id}/executions-6.html")).exists());

    // Every execution in the CSV, the formula-like run id defused.
    let csv = read(&out.join(format!("scripts/{id}/executions.csv")));
    assert_eq!(csv.lines().count(), EXECUTIONS + 1);
    assert!(csv
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("1,2026-01-01T00:01:00"));
    assert!(csv.contains(",'=run,") && !csv.contains(",=run,"));

    every_page_is_at_most_1_mb(&out);
}

/// The ledger of a migration with many legacy tables: 500 to a page, every one in
/// `api/ledger.json`. The `small` fixture's inventory lists 4 tables; 1,200 more make
/// 1,204: pages 1–500, 501–1,000 and 1,001–1,204.
#[test]
fn a_long_ledger_is_paged() {
    let data = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("small"), data.path());
    let inventory = data.path().join("inventory/source.csv");
    let mut text = read(&inventory);
    for i in 1..=1200 {
        writeln!(text, "legacy_t{i:05},5").unwrap();
    }
    std::fs::write(&inventory, text).unwrap();
    let dir = build_site(data.path());
    let out = dir.path().join("site");
    let first = read(&out.join("ledger/index.html"));
    assert!(first.contains("Tables 1–500 of 1,204"));
    assert!(first.contains("<a href=\"tables-3.html\">3</a>"));
    let last = read(&out.join("ledger/tables-3.html"));
    assert!(last.contains("Tables 1,001–1,204 of 1,204"));
    assert_eq!(last.matches("<tr id=\"table-").count(), 204);
    assert!(last.contains("<tr id=\"table-1204\">"));
    assert!(!out.join("ledger/tables-4.html").exists());
    let ledger: serde_json::Value =
        serde_json::from_str(&read(&out.join("api/ledger.json"))).unwrap();
    assert_eq!(ledger["tables"].as_array().unwrap().len(), 1204);
    for page in [
        "ledger/index.html",
        "ledger/tables-2.html",
        "ledger/tables-3.html",
    ] {
        let size = std::fs::metadata(out.join(page)).unwrap().len();
        assert!(size <= 1 << 20, "{page}: {size} bytes");
    }
}

/// Every HTML page of the site at `out` is at most 1 MB.
fn every_page_is_at_most_1_mb(out: &Path) {
    for entry in walkdir::WalkDir::new(out) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "html") {
            let size = entry.metadata().unwrap().len();
            assert!(size <= 1 << 20, "{}: {size} bytes", entry.path().display());
        }
    }
}

/// The `small` fixture with `n` more legacy tables, each with its own entity (`extraNNN`,
/// type `XNNN`) and a `source_ids` file of one id that no mapping has.
fn small_with_unmapped_tables(n: usize) -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("small"), data.path());
    let mut entities = read(&data.path().join("entities.yaml"));
    for i in 1..=n {
        writeln!(
            entities,
            "- name: extra{i:03}\n  domain: BUSINESS\n  legacy_table: legacy_x{i:03}\n  \
             target_table: x{i:03}\n  total_records: 1\n  migrated_records: 0\n  \
             failed_records: 0\n  entity_type: X{i:03}"
        )
        .unwrap();
        std::fs::write(
            data.path().join(format!("source_ids/legacy_x{i:03}.csv")),
            "id\n1\n",
        )
        .unwrap();
    }
    std::fs::write(data.path().join("entities.yaml"), entities).unwrap();
    data
}

/// The missing-data, reconciliation and exclusions pages of a migration with 700 more legacy
/// tables than the `small` fixture (each with its own entity and one unmapped id) and 600
/// exclusions: 701 tables, 500 to a page; 703 entities, 300 to a page; 600 exclusions, 500
/// to a page. The first 200 of the 701 unmapped findings are on the first missing-data page;
/// every table is in `api/validate/missing.json`.
#[test]
fn missing_reconcile_and_exclusion_pages_are_paged() {
    let data = small_with_unmapped_tables(700);
    let mut config = String::from("exclusions:\n");
    for i in 1..=600 {
        writeln!(
            config,
            "  - table: legacy_y{i:03}\n    reason: retired\n    approved_by: Mallory"
        )
        .unwrap();
    }
    std::fs::write(data.path().join("migcov.yaml"), config).unwrap();
    let dir = build_site(data.path());
    let out = dir.path().join("site");
    let rows = |page: &str, marker: &str| read(&out.join(page)).matches(marker).count();

    let first = read(&out.join("validate/missing.html"));
    assert!(first.contains("Tables 1–500 of 701"), "{first}");
    assert!(first.contains("<a href=\"missing-2.html\">2</a>"));
    assert!(first.contains("The first 200 of 702 findings"), "{first}");
    let second = read(&out.join("validate/missing-2.html"));
    assert!(second.contains("Tables 501–701 of 701"));
    assert!(second.contains("href=\"missing.html#findings\""));
    // Table rows, then finding rows, each opening on its legacy table.
    let row = "<tr><th scope=\"row\"><code>";
    assert_eq!(rows("validate/missing.html", row), 500 + 200);
    assert_eq!(rows("validate/missing-2.html", row), 201);
    assert!(second.contains("<code>legacy_x700</code>"));
    assert!(!out.join("validate/missing-3.html").exists());
    let missing: serde_json::Value =
        serde_json::from_str(&read(&out.join("api/validate/missing.json"))).unwrap();
    let tables = missing["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 701);
    let unmapped: u64 = tables.iter().map(|t| t["unmapped"].as_u64().unwrap()).sum();
    assert_eq!(unmapped, missing["missing_records"].as_u64().unwrap());

    let entity_row = "<tr><th scope=\"row\">";
    assert_eq!(rows("validate/reconcile.html", entity_row), 300);
    assert_eq!(rows("validate/reconcile-2.html", entity_row), 300);
    assert_eq!(rows("validate/reconcile-3.html", entity_row), 103);
    assert!(read(&out.join("validate/reconcile-3.html")).contains("Entities 601–703 of 703"));
    assert!(!out.join("validate/reconcile-4.html").exists());

    let exclusions = read(&out.join("ledger/exclusions.html"));
    assert!(
        exclusions.contains("Exclusions 1–500 of 600"),
        "{exclusions}"
    );
    assert_eq!(rows("ledger/exclusions.html", "<code>legacy_y"), 500);
    assert_eq!(rows("ledger/exclusions-2.html", "<code>legacy_y"), 100);
    assert!(read(&out.join("ledger/exclusions-2.html")).contains("<code>legacy_y600</code>"));

    every_page_is_at_most_1_mb(&out);
}

/// Two entities of one name in two domains share an id (derived from the name): the
/// entities index links each to its own domain's page (found by a review: both linked to
/// the last domain's).
#[test]
fn entities_sharing_an_id_link_to_their_own_domain() {
    let data = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("small"), data.path());
    let mut entities = read(&data.path().join("entities.yaml"));
    for domain in ["BUSINESS", "COMMUNICATIONS"] {
        writeln!(
            entities,
            "- name: twin\n  domain: {domain}\n  legacy_table: twin_{domain}\n  \
             target_table: twin\n  total_records: 1\n  migrated_records: 1\n  \
             failed_records: 0"
        )
        .unwrap();
    }
    std::fs::write(data.path().join("entities.yaml"), entities).unwrap();
    let dir = build_site(data.path());
    let out = dir.path().join("site");
    let index = read(&out.join("entities/index.html"));
    let links: Vec<&str> = index
        .split("<tr id=\"entity-")
        .filter(|row| row.contains(">twin</a>"))
        .filter_map(|row| row.split("href=\"../domains/").nth(1))
        .filter_map(|href| href.split('#').next())
        .collect();
    assert_eq!(links, ["business.html", "communications.html"], "{index}");
}

/// A rule with 250 findings (one unmapped id in each of 250 extra legacy tables, each with
/// its own entity): findings 1–200 on its page, 201–250 on the next.
#[test]
fn a_rule_with_many_findings_is_paged() {
    let data = small_with_unmapped_tables(250);
    let dir = build_site(data.path());
    let out = dir.path().join("site");
    let first = read(&out.join("validate/missing.mapping.unmapped.html"));
    let total = first.matches("<section class=\"finding\"").count();
    assert_eq!(total, 200);
    assert!(first.contains("Findings 1–200 ·"));
    let second = read(&out.join("validate/missing.mapping.unmapped-2.html"));
    assert!(second.contains("<h2 id=\"finding-201\">"));
    // The small fixture's own unmapped table makes 251 findings: 51 on the second page.
    assert_eq!(second.matches("<section class=\"finding\"").count(), 51);
    assert!(second.contains("Findings 201–251 ·"));
}

/// The entities and scripts indexes of a migration with 1,200 more of each than the
/// `small` fixture: 500 to a page, and every link to an entity's row lands on the page
/// that has it.
#[test]
fn long_entity_and_script_indexes_are_paged() {
    let data = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("small"), data.path());
    let (mut entities, mut scripts) = (read(&data.path().join("entities.yaml")), String::new());
    for i in 1..=1200 {
        write!(
            entities,
            "- name: entity_{i:05}\n  domain: COMMUNICATIONS\n  legacy_table: legacy_t{i:05}\n  \
             target_table: modern_t{i:05}\n  total_records: 5\n  migrated_records: 5\n  \
             failed_records: 0\n  migration_script_id: script-{i:05}.ts\n"
        )
        .unwrap();
        write!(
            scripts,
            "- name: script-{i:05}.ts\n  category: SYSTEM\n  data_domain: TECHNICAL\n  \
             source_table: legacy_t{i:05}\n  target_table: modern_t{i:05}\n  status: NOT_STARTED\n"
        )
        .unwrap();
    }
    std::fs::write(data.path().join("entities.yaml"), entities).unwrap();
    std::fs::write(data.path().join("scripts/many.yaml"), scripts).unwrap();
    let dir = build_site(data.path());
    let out = dir.path().join("site");
    let first = read(&out.join("entities/index.html"));
    let total = first.matches("<tr id=\"entity-").count();
    assert_eq!(total, 500);
    assert!(first.contains("<a href=\"page-3.html\">3</a>"), "{first}");
    let last = read(&out.join("entities/page-3.html"));
    let on_last = last.matches("<tr id=\"entity-").count();
    let shown = format!("1,{:03}", on_last);
    assert!(
        last.contains(&format!("Entities 1,001–{shown} of {shown}")),
        "{on_last}"
    );
    assert!(!out.join("entities/page-4.html").exists());
    // An entity of the last page: its script's page links to it there.
    let at = last.rfind("<tr id=\"entity-").unwrap() + "<tr id=\"entity-".len();
    let id = &last[at..at + 36];
    let row = &last[at..last[at..].find("</tr>").unwrap() + at];
    let script = row
        .split("href=\"../scripts/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the entity's script");
    let script_page = read(&out.join("scripts").join(script));
    assert!(
        script_page.contains(&format!("href=\"../entities/page-3.html#entity-{id}\"")),
        "{script}"
    );
    // A domain lists its entities 500 to a page, and the index links each to its page.
    let at = last
        .find(">entity_01200<")
        .expect("entity_01200 on the last page");
    let start = last[..at].rfind("<tr id=\"entity-").unwrap() + "<tr id=\"entity-".len();
    let id = &last[start..start + 36];
    let row = &last[start..at];
    let domain_href = row
        .split("href=\"../domains/")
        .nth(1)
        .and_then(|r| r.split('#').next())
        .expect("the entity's domain page");
    assert_eq!(domain_href, "communications-3.html", "{row}");
    assert!(
        read(&out.join("domains").join(domain_href)).contains(&format!("<tr id=\"entity-{id}\">"))
    );
    let domain = read(&out.join("domains/communications.html"));
    assert!(domain.contains("Entities 1–500 of 1,201"), "{domain}");
    assert!(domain.contains("<a href=\"communications-3.html\">3</a>"));
    assert!(!out.join("domains/communications-4.html").exists());
    // Its scripts are listed on its first page only.
    let third = read(&out.join("domains/communications-3.html"));
    assert!(
        third.contains("are listed on the <a href=\"communications.html#scripts\">first page</a>")
    );
    assert!(!third.contains("<ul class=\"columns\">") && domain.contains("<ul class=\"columns\">"));
    let scripts_first = read(&out.join("scripts/index.html"));
    assert!(scripts_first.contains("<a href=\"page-3.html\">3</a>"));
    assert!(out.join("scripts/page-3.html").exists());
    assert!(!out.join("scripts/page-4.html").exists());
    for page in [
        "entities/index.html",
        "entities/page-2.html",
        "entities/page-3.html",
        "scripts/index.html",
        "scripts/page-3.html",
        "domains/communications.html",
        "domains/communications-3.html",
    ] {
        let size = std::fs::metadata(out.join(page)).unwrap().len();
        assert!(size <= 1 << 20, "{page}: {size} bytes");
    }
}

/// Found by an independent check: a 200 MB log message was copied whole into its script's
/// page (a 200 MB page). A value from the data is shown to 2,000 characters, then how
/// many were left out; the page stays small.
#[test]
fn a_huge_value_from_the_data_is_shortened_on_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::copy_tree(&common::fixtures().join("base"), &data);
    let huge = "x".repeat(3_000_000);
    let log = std::fs::read_to_string(data.join("logs/log.csv")).unwrap();
    let log = log.replacen(",started,", &format!(",{huge},"), 1);
    std::fs::write(data.join("logs/log.csv"), log).unwrap();
    let out = dir.path().join("site");
    assert_cmd::Command::cargo_bin("migcov")
        .unwrap()
        .args([
            "build",
            "--exit-zero",
            "--report-date",
            "2026-11-24",
            "--data",
        ])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let mut largest = 0;
    for entry in walkdir::WalkDir::new(&out) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "html") {
            largest = largest.max(entry.metadata().unwrap().len());
        }
    }
    assert!(largest < 1_000_000, "largest page {largest} bytes");
    let shortened = walkdir::WalkDir::new(out.join("scripts"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .any(|e| {
            std::fs::read_to_string(e.path())
                .unwrap()
                .contains("… (2998000 more characters)")
        });
    assert!(shortened, "the script's page shows the message shortened");
}
