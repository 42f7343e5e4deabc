//! `collect --pushdown` against the truth, on the real servers of `scripts/test`: for each
//! engine holding the legacy table (SQLite, PostgreSQL, MariaDB) and each key type (int4,
//! int8, text, composite, 19-digit), generated id sets on both sides, adversarial ones
//! included (mappings that swap ids for others with the same count, sum and sum of squares;
//! spaces and tabs around ids; `007`; text ids differing in case or accent only; composite
//! parts holding `|`), collected once in full and once pushed down, one server (anti-joins)
//! and two (digests of key ranges). Both must give exactly the unmapped ids and orphans that
//! the sets give, worked out here in Rust, independently of any SQL.

mod common;

use common::db::{Db, Engine};
use common::servers;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PASSWORD: &str = "migcov-test-secret";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    Int4,
    Int8,
    Text,
    Composite,
    Snowflake,
}

/// One generated case: the legacy keys (each a list of parts) and the mappings' legacy ids
/// as written; `unmodern`, legacy ids otherwise unmapped whose one mapping row has no
/// modern_id (a missing value the loader leaves out, so they stay unmapped).
#[derive(Clone)]
struct Case {
    legacy: Vec<Vec<String>>,
    mapped: Vec<String>,
    unmodern: Vec<String>,
}

const KEY_WHITESPACE: &[char] = &[' ', '\t', '\n', '\u{0b}', '\u{0c}', '\r'];

/// A key's text as migcov compares keys: parts trimmed, `\` and `|` escaped, joined by `|`.
fn key_text(parts: &[String]) -> String {
    if parts.len() == 1 {
        return parts[0].trim_matches(KEY_WHITESPACE).to_string();
    }
    parts
        .iter()
        .map(|p| {
            p.trim_matches(KEY_WHITESPACE)
                .replace('\\', "\\\\")
                .replace('|', "\\|")
        })
        .collect::<Vec<_>>()
        .join("|")
}

fn generate(key: Key, seed: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: i64 = rng.random_range(200..=600);
    let base: i64 = match key {
        Key::Snowflake => 9_223_372_036_854_770_000,
        Key::Int4 => rng.random_range(40_000..=2_000_000_000),
        _ => rng.random_range(1..=1_000_000),
    };
    let ids: Vec<i64> = (0..n).map(|i| base.saturating_add(i * 3)).collect();
    let (legacy, mut mapped): (Vec<Vec<String>>, Vec<String>) = match key {
        Key::Int4 | Key::Int8 | Key::Snowflake => {
            let legacy: Vec<Vec<String>> = ids.iter().map(|i| vec![i.to_string()]).collect();
            // Mapped: all but a few; the power-sum trap (drop x+1,x+5,x+6, double
            // x+2,x+3,x+7) in units of the id step.
            let x = rng.random_range(0..n - 10) as usize;
            let skip: BTreeSet<usize> = [x + 1, x + 5, x + 6]
                .into_iter()
                .chain((0..rng.random_range(0..6)).map(|_| rng.random_range(0..n as usize)))
                .collect();
            let mut mapped: Vec<String> = ids
                .iter()
                .enumerate()
                .filter(|(i, _)| !skip.contains(i))
                .map(|(_, v)| v.to_string())
                .collect();
            for i in [x + 2, x + 3, x + 7] {
                mapped.push(ids[i].to_string());
            }
            // Written as exports write them: spaces, a tab, a leading zero, an orphan.
            mapped.push(format!(" {} ", ids[0]));
            mapped.push(format!("\t{}", ids[1]));
            mapped.push(format!("0{}", ids[2]));
            mapped.push(base.saturating_sub(7).to_string());
            if key == Key::Snowflake {
                mapped.push("9999999999999999999".into());
                mapped.push(i64::MAX.to_string());
            }
            (legacy, mapped)
        }
        Key::Text => {
            let words: Vec<String> = ids.iter().map(|i| format!("K{i:x}é")).collect();
            let mut legacy: Vec<Vec<String>> = words.iter().map(|w| vec![w.clone()]).collect();
            // A key empty once trimmed is no key on either side: it maps nothing.
            legacy.push(vec!["  ".into()]);
            // Keys that are one id once trimmed (a padded or tabbed copy): counted once,
            // matched or not.
            legacy.push(vec![format!("{}\t", words[4])]);
            legacy.push(vec![format!(" {}", words[5])]);
            let mut mapped: Vec<String> = words
                .iter()
                .filter(|_| rng.random_bool(0.97))
                .cloned()
                .collect();
            // Equal only where case, accents or trailing spaces are ignored: orphans.
            mapped.push(words[0].to_lowercase());
            mapped.push(words[1].replace('é', "e"));
            mapped.push(format!("{}\u{a0}", words[2]));
            mapped.push(format!("  {}\t", words[3]));
            mapped.push(String::new());
            mapped.push(" \t".into());
            (legacy, mapped)
        }
        Key::Composite => {
            let mut legacy: Vec<Vec<String>> = ids
                .iter()
                .map(|i| vec![format!("{i}"), format!("L{}", i % 7)])
                .collect();
            legacy.push(vec!["A|B".into(), "C".into()]);
            legacy.push(vec!["A".into(), "B|C".into()]);
            let mut mapped: Vec<String> = legacy
                .iter()
                .take(ids.len())
                .filter(|_| rng.random_bool(0.95))
                .map(|k| key_text(k))
                .collect();
            mapped.push("A\\|B|C".into());
            mapped.push("A|B|C".into());
            // A part empty once trimmed makes the row a missing value, whatever the other
            // part (found by an independent check: pushed down, its joined text `E|`
            // counted as an id and met the mapping `E|`, an orphan in the full export).
            legacy.push(vec!["E".into(), String::new()]);
            legacy.push(vec!["F".into(), " \t".into()]);
            mapped.push("E|".into());
            mapped.push("F|".into());
            (legacy, mapped)
        }
    };
    mapped.shuffle(&mut rng);
    let mut case = Case {
        legacy,
        mapped,
        unmodern: Vec::new(),
    };
    // Two unmapped ids mapped by a row without a modern_id (found by an independent
    // check: pushed down, such a row counted its id as matched).
    case.unmodern = expected(&case).0.into_iter().take(2).collect();
    case
}

/// (unmapped ids, orphan legacy ids) as the sets give them; a key empty once trimmed is a
/// missing value, in neither.
fn expected(case: &Case) -> (BTreeSet<String>, BTreeSet<String>) {
    let legacy: BTreeSet<String> = case
        .legacy
        .iter()
        .filter(|k| k.iter().all(|p| !p.trim_matches(KEY_WHITESPACE).is_empty()))
        .map(|k| key_text(k))
        .collect();
    let mapped: BTreeSet<String> = case
        .mapped
        .iter()
        .map(|m| key_text(std::slice::from_ref(m)))
        .filter(|k| !k.is_empty())
        .collect();
    (
        legacy.difference(&mapped).cloned().collect(),
        mapped.difference(&legacy).cloned().collect(),
    )
}

fn column_type(engine: Engine, key: Key) -> &'static str {
    match (engine, key) {
        (Engine::Sqlite, Key::Text | Key::Composite) => "TEXT",
        (Engine::Sqlite, _) => "INTEGER",
        (_, Key::Int4) => "INTEGER",
        (_, Key::Int8 | Key::Snowflake) => "BIGINT",
        (Engine::Postgres, _) => "TEXT",
        (Engine::Maria, _) => "VARCHAR(64)",
    }
}

fn create_legacy(db: &Db, key: Key, case: &Case) {
    let t = column_type(db.engine, key);
    let columns = match key {
        Key::Composite => format!("a {t}, b {t}, PRIMARY KEY (a, b)"),
        _ => format!("id {t} PRIMARY KEY"),
    };
    let mut sql = format!("CREATE TABLE items ({columns});\n");
    for chunk in case.legacy.chunks(200) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|k| match key {
                Key::Text | Key::Composite => format!(
                    "({})",
                    k.iter()
                        .map(|p| db.literal(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => format!("({})", k[0]),
            })
            .collect();
        sql.push_str(&format!("INSERT INTO items VALUES {};\n", rows.join(", ")));
    }
    db.run(&sql);
}

/// The mapping table and the entities, in `db`; `typed`: the legacy id column is an
/// integer (PostgreSQL's `bigint` crashed `TRIM`).
fn create_bookkeeping(db: &Db, case: &Case, typed: bool) {
    let legacy_type = match (db.engine, typed) {
        (Engine::Postgres, true) => "BIGINT",
        (Engine::Maria, _) => "VARCHAR(64)",
        _ => "TEXT",
    };
    let mut sql = format!(
        "CREATE TABLE legacy_mapping (entity_type VARCHAR(32), legacy_id {legacy_type}, modern_id VARCHAR(36));\n\
         CREATE TABLE entities (name VARCHAR(32), domain VARCHAR(32), legacy_table VARCHAR(32), \
         target_table VARCHAR(32), total_records BIGINT, migrated_records BIGINT, failed_records BIGINT, \
         entity_type VARCHAR(32));\n\
         INSERT INTO entities VALUES ('items', 'BUSINESS', 'items', 'new_items', {n}, {n}, 0, 'Item');\n",
        n = case.legacy.len()
    );
    let rows: Vec<&String> = match typed {
        // Only what a bigint holds.
        true => case
            .mapped
            .iter()
            .filter(|m| m.trim().parse::<i64>().is_ok())
            .collect(),
        false => case.mapped.iter().collect(),
    };
    for (c, chunk) in rows.chunks(200).enumerate() {
        let values: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let value = match typed {
                    true => m.trim().to_string(),
                    false => db.literal(m),
                };
                // The entity type written in another case than the entity's.
                format!(
                    "('ITEM', {value}, '00000000-0000-4000-8000-{:012}')",
                    c * 200 + i
                )
            })
            .collect();
        sql.push_str(&format!(
            "INSERT INTO legacy_mapping VALUES {};\n",
            values.join(", ")
        ));
    }
    for id in case
        .unmodern
        .iter()
        .filter(|id| !typed || id.parse::<i64>().is_ok())
    {
        let value = match typed {
            true => id.clone(),
            false => db.literal(id),
        };
        sql.push_str(&format!(
            "INSERT INTO legacy_mapping VALUES ('ITEM', {value}, NULL);\n"
        ));
    }
    db.run(&sql);
}

fn collect(work: &Path, name: &str, source: &str, target: &str, pushdown: bool) -> PathBuf {
    let config = work.join("collect.yaml");
    std::fs::write(
        &config,
        "queries:\n  mappings: SELECT entity_type, legacy_id, modern_id FROM legacy_mapping\n  \
         entities: SELECT name, domain, legacy_table, target_table, total_records, migrated_records, \
         failed_records, entity_type FROM entities\npushdown:\n  fetch_below: 8\n",
    )
    .unwrap();
    let out = work.join(name);
    let mut cmd = Command::cargo_bin("migcov").unwrap();
    cmd.args(["collect", "--source", source, "--target", target, "--out"])
        .arg(&out)
        .arg("--config")
        .arg(&config);
    if pushdown {
        cmd.arg("--pushdown");
    }
    let output = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "collect {name}: {text}");
    assert!(!text.contains(PASSWORD));
    std::fs::write(
        out.join("domains.yaml"),
        "- name: BUSINESS\n  description: Business.\n  priority: HIGH\n",
    )
    .unwrap();
    out
}

/// (unmapped count, orphan ids) that a build of the collected folder reports for `items`.
fn measured(data: &Path) -> (u64, BTreeSet<String>) {
    let (_, measures, findings) = common::run(data);
    let table = measures
        .missing
        .iter()
        .find(|t| t.table == "items")
        .unwrap_or_else(|| panic!("no missing data for items: {:?}", measures.missing));
    let mut orphans = BTreeSet::new();
    for f in findings
        .iter()
        .filter(|f| f.rule.as_str() == "missing.mapping.orphan")
    {
        for sample in &f.samples {
            for field in &sample.fields {
                if field.name == "legacy_id" {
                    orphans.insert(field.value.clone());
                }
            }
        }
    }
    (table.unmapped, orphans)
}

/// (rows of ids, distinct matched ids, the ledger's migrated) that a build of the collected
/// folder reports for `items`, and the messages of its unmapped and source_ids findings (which count distinct ids).
fn counted(data: &Path) -> (u64, u64, i64, Vec<String>) {
    let (_, measures, findings) = common::run(data);
    let table = measures
        .missing
        .iter()
        .find(|t| t.table == "items")
        .unwrap();
    let ledger = measures.ledger.as_ref().expect("a ledger");
    let line = ledger.rows.iter().find(|r| r.table == "items").unwrap();
    let messages = findings
        .iter()
        .filter(|f| {
            f.subject.name == "items"
                && ["missing.mapping.unmapped", "reconcile.table.source_ids"]
                    .contains(&f.rule.as_str())
        })
        // The source_ids gap by its size: pushed down, its message names the database.
        .map(|f| match f.rule.as_str() {
            "reconcile.table.source_ids" => format!("{} apart", f.count),
            _ => f.message.clone(),
        })
        .collect();
    (table.ids, table.matched, line.migrated.value, messages)
}

/// `pushdown/items.json` of a pushed-down folder, and its orphans as keys compare.
fn pushed_summary(data: &Path) -> (serde_json::Value, BTreeSet<String>) {
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("pushdown/items.json")).unwrap()).unwrap();
    let orphans = summary["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| key_text(&[o.as_str().unwrap().to_string()]))
        .collect();
    (summary, orphans)
}

fn check(engine: Engine, key: Key, seed: u64) {
    let case = generate(key, seed);
    let (unmapped, orphans) = expected(&case);
    let work = tempfile::tempdir().unwrap();
    let context = format!("{engine:?}, {key:?}, seed {seed}");
    let integer = matches!(key, Key::Int4 | Key::Int8 | Key::Snowflake);

    // One server: the legacy table beside the mappings (anti-joins there).
    let same = Db::new(engine, "same");
    create_legacy(&same, key, &case);
    create_bookkeeping(&same, &case, false);
    let full = collect(work.path(), "full", &same.url, &same.url, false);
    let pushed = collect(work.path(), "pushed", &same.url, &same.url, true);
    let (full_unmapped, full_orphans) = measured(&full);
    assert_eq!(
        full_unmapped,
        unmapped.len() as u64,
        "{context}: full export"
    );
    let (summary, pushed_orphans) = pushed_summary(&pushed);
    assert_eq!(pushed_orphans, orphans, "{context}: pushdown orphans");
    // The database counts the rows and the distinct matched ids as the loader does on the
    // full export: keys empty once trimmed are no rows, keys one once trimmed one id.
    let full_counts = counted(&full);
    assert_eq!(
        (
            summary["ids"].as_u64().unwrap(),
            summary["matched"].as_u64().unwrap()
        ),
        (full_counts.0, full_counts.1),
        "{context}: pushdown ids and matched ({})",
        summary["method"]
    );
    assert_eq!(
        counted(&pushed),
        full_counts,
        "{context}: pushed build's ids, matched, ledger and messages"
    );
    let (pushed_unmapped, _) = measured(&pushed);
    assert_eq!(
        pushed_unmapped,
        unmapped.len() as u64,
        "{context}: pushed build"
    );
    // The samples a build shows are a subset of the true orphans (first 20).
    assert!(
        full_orphans
            .iter()
            .all(|o| orphans.contains(&key_text(std::slice::from_ref(o)))),
        "{context}"
    );

    // Two servers: the mappings elsewhere (digests of key ranges for integer keys). The
    // mappings' legacy id column is an integer where it can be one.
    if integer {
        let other = match engine {
            Engine::Postgres => Engine::Maria,
            _ => Engine::Postgres,
        };
        let target = Db::new(other, "target");
        create_bookkeeping(&target, &case, other == Engine::Postgres && seed % 2 == 0);
        let typed = other == Engine::Postgres && seed % 2 == 0;
        let (unmapped, orphans) = match typed {
            // A bigint column holds no `007`, no spaces and nothing past 64 bits.
            true => expected(&Case {
                legacy: case.legacy.clone(),
                unmodern: case.unmodern.clone(),
                mapped: case
                    .mapped
                    .iter()
                    .filter_map(|m| m.trim().parse::<i64>().ok().map(|v| v.to_string()))
                    .collect(),
            }),
            false => (unmapped.clone(), orphans.clone()),
        };
        let pushed = collect(work.path(), "two", &same.url, &target.url, true);
        let (summary, pushed_orphans) = pushed_summary(&pushed);
        assert!(
            summary["method"].as_str().unwrap().starts_with("checksums"),
            "{context}: {}",
            summary["method"]
        );
        assert_eq!(pushed_orphans, orphans, "{context}: two servers, orphans");
        let (pushed_unmapped, _) = measured(&pushed);
        assert_eq!(
            pushed_unmapped,
            unmapped.len() as u64,
            "{context}: two servers, unmapped"
        );
    }
}

macro_rules! cases {
    ($($name:ident: $engine:ident, $key:ident;)+) => {
        $(
            #[test]
            fn $name() {
                for seed in [1u64, 2] {
                    check(Engine::$engine, Key::$key, seed);
                }
            }
        )+
    };
}

cases! {
    sqlite_int4: Sqlite, Int4;
    sqlite_int8: Sqlite, Int8;
    sqlite_text: Sqlite, Text;
    sqlite_composite: Sqlite, Composite;
    sqlite_snowflake: Sqlite, Snowflake;
    postgres_int4: Postgres, Int4;
    postgres_int8: Postgres, Int8;
    postgres_text: Postgres, Text;
    postgres_composite: Postgres, Composite;
    postgres_snowflake: Postgres, Snowflake;
    mariadb_int4: Maria, Int4;
    mariadb_int8: Maria, Int8;
    mariadb_text: Maria, Text;
    mariadb_composite: Maria, Composite;
    mariadb_snowflake: Maria, Snowflake;
}

#[test]
fn the_md5_slices_are_what_every_engine_computes() {
    // md5("1001") = b8c37e33defde51cf91e1e03e51657da
    assert_eq!(migcov::collect::pushdown::md5_slice("1001", 0), 0xb8c37e3);
    assert_eq!(migcov::collect::pushdown::md5_slice("1001", 1), 0x3defde5);
    assert_eq!(migcov::collect::pushdown::md5_slice("1001", 2), 0x1cf91e1);
    let pg = Db::new(Engine::Postgres, "md5");
    let mut c = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    let row = c
        .query_one(
            "SELECT ('x0' || substr(md5('1001'), 1, 7))::bit(32)::int, \
             ('x0' || substr(md5('1001'), 8, 7))::bit(32)::int",
            &[],
        )
        .unwrap();
    assert_eq!(
        (row.get::<_, i32>(0), row.get::<_, i32>(1)),
        (0xb8c37e3, 0x3defde5)
    );
}

/// An entity not migrated yet: nearly every range differs. Past 1,024 differing ranges the
/// ids are read as one range instead of listing the ranges (a statement of megabytes), and
/// the result is still exact.
#[test]
fn an_entity_not_migrated_yet_is_read_as_one_range() {
    let n = 60_000usize;
    let case = Case {
        legacy: (1..=n).map(|i| vec![i.to_string()]).collect(),
        mapped: (1..=n).step_by(100).map(|i| i.to_string()).collect(),
        unmodern: Vec::new(),
    };
    let work = tempfile::tempdir().unwrap();
    let legacy = Db::new(Engine::Sqlite, "bulk");
    legacy.run(&format!(
        "CREATE TABLE items (id INTEGER PRIMARY KEY);
         WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {n})
         INSERT INTO items SELECT n FROM g;"
    ));
    let target = Db::new(Engine::Postgres, "bulk_target");
    create_bookkeeping(&target, &case, true);
    let pushed = collect(work.path(), "bulk", &legacy.url, &target.url, true);
    let (summary, orphans) = pushed_summary(&pushed);
    assert!(orphans.is_empty());
    assert_eq!(
        (summary["ids"].as_u64(), summary["matched"].as_u64()),
        (Some(n as u64), Some((n / 100) as u64))
    );
    // Bounds, two levels of digests on each side, then the range on each side: a handful
    // of statements, not one per differing range.
    assert!(summary["queries"].as_u64().unwrap() <= 12, "{summary}");
    let (unmapped, _) = measured(&pushed);
    assert_eq!(unmapped, (n - n / 100) as u64);
}

/// Collects `legacy` against `target` in full and with `--pushdown`; both must give
/// `unmapped` unmapped ids, and the databases (when `pushed`: the table is pushed down, not
/// exported in full) exactly `orphans` (as keys compare).
fn agree(legacy: &Db, target: &Db, pushed: bool, unmapped: u64, orphans: &[&str], context: &str) {
    let work = tempfile::tempdir().unwrap();
    let orphans: BTreeSet<String> = orphans.iter().map(|o| o.to_string()).collect();
    for pushdown in [false, true] {
        let data = collect(
            work.path(),
            &format!("p{pushdown}"),
            &legacy.url,
            &target.url,
            pushdown,
        );
        let (counted, _) = measured(&data);
        assert_eq!(
            counted, unmapped,
            "{context}, pushdown {pushdown}: unmapped"
        );
        let summary_file = data.join("pushdown/items.json");
        assert_eq!(
            summary_file.exists(),
            pushdown && pushed,
            "{context}: pushed down"
        );
        if pushdown && pushed {
            {
                let bytes = std::fs::read(summary_file).unwrap();
                let summary: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let found: BTreeSet<String> = summary["orphans"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(
                    found, orphans,
                    "{context}: pushdown orphans ({})",
                    summary["method"]
                );
            }
        }
    }
}

/// Mapping rows `(entity_type, legacy_id)` and one entity of type `Item` owning `items`.
fn mappings_in(db: &Db, rows: &[(&str, &str)]) {
    let values: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, (t, id))| {
            format!(
                "({}, {}, '00000000-0000-4000-8000-{i:012}')",
                db.literal(t),
                db.literal(id)
            )
        })
        .collect();
    db.run(&format!(
        "CREATE TABLE legacy_mapping (entity_type VARCHAR(32), legacy_id VARCHAR(64), modern_id VARCHAR(36));\n\
         CREATE TABLE entities (name VARCHAR(32), domain VARCHAR(32), legacy_table VARCHAR(32), \
         target_table VARCHAR(32), total_records BIGINT, migrated_records BIGINT, failed_records BIGINT, \
         entity_type VARCHAR(32));\n\
         INSERT INTO entities VALUES ('items', 'BUSINESS', 'items', 'new_items', 3, 3, 0, 'Employé');\n\
         INSERT INTO legacy_mapping VALUES {};\n",
        values.join(", ")
    ));
}

#[test]
fn odd_schemas_give_what_a_full_export_gives() {
    // MariaDB, latin1: a non-ASCII entity type, and orphans that differ by case or accent.
    let latin = Db::new(Engine::Maria, "latin");
    latin.run(&format!(
        "ALTER DATABASE {} CHARACTER SET latin1;\n\
         CREATE TABLE items (code VARCHAR(8) PRIMARY KEY) CHARACTER SET latin1;\n\
         INSERT INTO items VALUES ('A1'), ('B2'), ('C3');",
        latin.name
    ));
    mappings_in(
        &latin,
        &[
            ("EMPLOYÉ", "A1"),
            ("employé", "B2"),
            ("Employé", "x9"),
            ("Employé", "X9"),
            ("Employé", "é7"),
            ("Employé", "e7"),
        ],
    );
    agree(
        &latin,
        &latin,
        true,
        1,
        &["x9", "X9", "é7", "e7"],
        "latin1 MariaDB",
    );

    // PostgreSQL, a key column with a nondeterministic (case-blind) collation.
    let ci = Db::new(Engine::Postgres, "ci");
    ci.run(
        "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
         CREATE TABLE items (code text COLLATE ci PRIMARY KEY);
         INSERT INTO items VALUES ('ABC'), ('DEF');",
    );
    mappings_in(
        &ci,
        &[
            ("Employé", "abc"),
            ("Employé", "DEF"),
            ("Employé", "xyz"),
            ("Employé", "XYZ"),
        ],
    );
    agree(
        &ci,
        &ci,
        true,
        1,
        &["abc", "xyz", "XYZ"],
        "nondeterministic collation",
    );

    // Integer keys more than 2^63 apart, and the largest 64-bit key among ranges that
    // nearly all differ.
    let wide = Db::new(Engine::Postgres, "wide");
    wide.run(
        "CREATE TABLE items (id bigint PRIMARY KEY);
         INSERT INTO items VALUES (-1), (1), (9223372036854775807);",
    );
    let target = Db::new(Engine::Postgres, "wide_target");
    mappings_in(&target, &[("Employé", "1")]);
    agree(&wide, &target, true, 2, &[], "a span past 2^63");
    let spread = Db::new(Engine::Postgres, "spread");
    spread.run(
        "CREATE TABLE items (id bigint PRIMARY KEY);
         INSERT INTO items SELECT g * 2251799813685248 FROM generate_series(0, 4095) g;
         INSERT INTO items VALUES (9223372036854775807);",
    );
    let target = Db::new(Engine::Postgres, "spread_target");
    mappings_in(&target, &[("Employé", "0")]);
    agree(
        &spread,
        &target,
        true,
        4096,
        &[],
        "the largest key in a fetched range",
    );

    // SQLite: an INTEGER key holding text and a real.
    let loose = Db::new(Engine::Sqlite, "loose");
    loose.run(
        "CREATE TABLE items (id INT PRIMARY KEY);
         INSERT INTO items VALUES (1), (2), ('2x'), (3.5);",
    );
    let target = Db::new(Engine::Postgres, "loose_target");
    mappings_in(
        &target,
        &[("Employé", "1"), ("Employé", "2"), ("Employé", "3")],
    );
    agree(
        &loose,
        &target,
        false,
        2,
        &[],
        "SQLite keys that are not integers",
    );

    // A type two tables share: only the mappings' legacy_table, which migcov reads, says
    // whose a mapping is, so the table is exported in full, not pushed down.
    let shared = Db::new(Engine::Postgres, "shared");
    shared.run(
        "CREATE TABLE items (id integer PRIMARY KEY);
         INSERT INTO items VALUES (1), (2), (3);
         CREATE TABLE items2 (id integer PRIMARY KEY);
         INSERT INTO items2 VALUES (1);",
    );
    mappings_in(&shared, &[("Employé", "1")]);
    shared.run(
        "INSERT INTO entities VALUES ('items2', 'BUSINESS', 'items2', 'new_items', 1, 1, 0, 'EMPLOYÉ');",
    );
    agree(&shared, &shared, false, 2, &[], "a shared entity type");

    // MariaDB BIGINT UNSIGNED past 2^63.
    let unsigned = Db::new(Engine::Maria, "unsigned");
    unsigned.run(
        "CREATE TABLE items (id BIGINT UNSIGNED PRIMARY KEY);
         INSERT INTO items VALUES (1), (2), (18446744073709551615);",
    );
    let target = Db::new(Engine::Postgres, "unsigned_target");
    mappings_in(
        &target,
        &[("Employé", "1"), ("Employé", "18446744073709551615")],
    );
    agree(&unsigned, &target, false, 1, &[], "unsigned 64-bit keys");

    // MariaDB ZEROFILL: the key's text is padded (`000042`), the number is 42. The
    // one-server anti-joins compared the padded text (every id unmapped, every mapping an
    // orphan): such a table is exported in full.
    let padded = Db::new(Engine::Maria, "zerofill");
    padded.run(
        "CREATE TABLE items (id INT(6) ZEROFILL PRIMARY KEY);
         INSERT INTO items VALUES (42), (43), (44);",
    );
    mappings_in(&padded, &[("Employé", "42"), ("Employé", "43")]);
    agree(
        &padded,
        &padded,
        false,
        1,
        &[],
        "a ZEROFILL key on one server",
    );
}

/// The figures and findings of a build, with what differs between a full export and a
/// pushed-down one by nature left out: the files and rows the samples were read from.
fn report_of(data: &Path) -> (serde_json::Value, Vec<String>) {
    let (_, measures, findings) = common::run(data);
    let mut shown: Vec<String> = findings
        .iter()
        .map(|f| {
            let samples: Vec<String> = f
                .samples
                .iter()
                .map(|s| {
                    s.fields
                        .iter()
                        .map(|x| format!("{}={}", x.name, x.value))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect();
            format!(
                "{} {:?} [{}] {} {}",
                f.rule.as_str(),
                f.subject,
                f.count,
                f.message,
                samples.join(" | ")
            )
        })
        .collect();
    shown.sort();
    (serde_json::to_value(&measures).unwrap(), shown)
}

/// Rows of a mapping table for `mappings_counted_in_the_database_change_no_figure`: every
/// column a real export has, and every defect a check can flag, among clean rows.
fn defective_mappings(db: &Db, legacy: &[i64], text_keys: bool, seed: u64) -> usize {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let typed = db.engine != Engine::Sqlite && seed % 2 == 1;
    let (modern_type, time_type, json_type, key_type) = match (db.engine, typed) {
        (Engine::Postgres, true) => ("UUID", "TIMESTAMPTZ", "JSONB", "BIGINT"),
        (Engine::Maria, true) => ("CHAR(36)", "TIMESTAMP NULL", "JSON", "BIGINT"),
        (Engine::Maria, false) => ("VARCHAR(64)", "VARCHAR(64)", "TEXT", "VARCHAR(64)"),
        _ => ("TEXT", "TEXT", "TEXT", "TEXT"),
    };
    let key_type = if text_keys { "VARCHAR(64)" } else { key_type };
    let key = |k: i64| match text_keys {
        true => db.literal(&format!("K{k}")),
        false => k.to_string(),
    };
    let uuid = |i: usize| format!("'{:08x}-0000-4000-8000-{i:012}'", seed);
    let mut rows: Vec<String> = Vec::new();
    let row = |id: &str, t: &str, legacy: &str, modern: &str, at: &str, meta: &str, table: &str| {
        format!("({id}, {t}, {legacy}, {modern}, 'batch-1', {at}, {meta}, {table})")
    };
    for (i, k) in legacy.iter().enumerate() {
        if !rng.random_bool(0.95) {
            continue;
        }
        let t = match i % 7 {
            0 => "' item'",
            _ => "'ITEM'",
        };
        let id = match i % 5 {
            0 => format!("'{:08x}-1111-4000-8000-{i:012}'", seed),
            _ => "NULL".into(),
        };
        let at = match i % 9 {
            0 => "NULL".into(),
            _ => format!("'2024-0{}-1{} 10:00:00'", 1 + i % 9, i % 10),
        };
        let meta = match i % 4 {
            0 => "NULL".into(),
            _ => format!("'{{\"source\": \"legacy\", \"n\": {i}}}'"),
        };
        let table = match i % 3 {
            0 => "'items'",
            _ => "NULL",
        };
        rows.push(row(&id, t, &key(*k), &uuid(i), &at, &meta, table));
    }
    let clean = rows.len();
    let n = legacy.len();
    let (a, b) = (legacy[n / 2], legacy[n / 3]);
    let ok = |i: usize| uuid(100_000 + i);
    let none = "NULL";
    let mut odd =
        |id: &str, t: &str, legacy: &str, modern: &str, at: &str, meta: &str, table: &str| {
            rows.push(row(id, t, legacy, modern, at, meta, table))
        };
    // A repeated legacy id (once in another spelling of the type), a repeated modern id
    // (once in upper case), a repeated id (once in upper case).
    odd(none, "'item'", &key(a), &ok(1), none, none, none);
    odd(none, "'ITEM'", &key(a), &ok(2), none, none, none);
    odd(
        none,
        "'ITEM'",
        &key(b),
        &ok(2).to_uppercase(),
        none,
        none,
        none,
    );
    let twice = format!("'{seed:08x}-2222-4000-8000-000000000001'");
    odd(&twice, "'ITEM'", &key(legacy[1]), &ok(3), none, none, none);
    odd(
        &twice.to_uppercase(),
        "'ITEM'",
        &key(legacy[9]),
        &ok(4),
        none,
        none,
        none,
    );
    // Orphans: legacy ids the table does not have.
    odd(none, "'ITEM'", &key(9_999_998), &ok(5), none, none, none);
    odd(none, "'ITEM'", &key(9_999_999), &ok(6), none, none, none);
    // Another type, owned by no table: exported whole.
    for (i, k) in legacy.iter().take(5).enumerate() {
        odd(none, "'OTHER'", &key(*k), &ok(10 + i), none, none, none);
    }
    // A legacy_table naming no table (of a type no table owns: a row of the table's own
    // type naming another table has the table exported in full).
    odd(
        none,
        "'OTHER'",
        &key(legacy[2]),
        &ok(20),
        none,
        none,
        "'itemz'",
    );
    // Missing values: no modern id, no legacy id.
    odd(none, "'ITEM'", &key(legacy[3]), none, none, none, none);
    odd(none, "'ITEM'", none, &ok(21), none, none, none);
    // Valid JSON with an escape.
    let escaped = db.literal("{\"e\": \"\\u00e9\"}");
    if db.engine != Engine::Maria || !typed {
        odd(
            none,
            "'ITEM'",
            &key(legacy[8]),
            &ok(27),
            none,
            &escaped,
            none,
        );
    }
    if !text_keys && !typed {
        odd(none, "'ITEM'", "'-5'", &ok(22), none, none, none);
        odd(none, "'ITEM'", "''", &ok(23), none, none, none);
    }
    if !typed {
        // Values only a text column holds.
        odd(
            none,
            "'ITEM'",
            &key(legacy[4]),
            "'not-a-uuid'",
            none,
            none,
            none,
        );
        let spaced = format!("{} '", ok(24).trim_end_matches('\''));
        odd(none, "'ITEM'", &key(legacy[5]), &spaced, none, none, none);
        odd(
            "'abc'",
            "'ITEM'",
            &key(legacy[6]),
            &ok(25),
            none,
            "'{bad'",
            none,
        );
        odd(
            none,
            "'ITEM'",
            &key(legacy[7]),
            &ok(26),
            none,
            "'{\"n\": 1e400}'",
            none,
        );
    }
    let mut sql = format!(
        "CREATE TABLE legacy_mapping (id VARCHAR(40), entity_type VARCHAR(32), legacy_id {key_type}, \
         modern_id {modern_type}, migration_batch VARCHAR(32), migrated_at {time_type}, \
         metadata {json_type}, legacy_table VARCHAR(32));\n\
         CREATE TABLE entities (name VARCHAR(32), domain VARCHAR(32), legacy_table VARCHAR(32), \
         target_table VARCHAR(32), total_records BIGINT, migrated_records BIGINT, failed_records BIGINT, \
         entity_type VARCHAR(32));\n\
         INSERT INTO entities VALUES ('items', 'BUSINESS', 'items', 'new_items', {n}, {n}, 0, 'Item');\n"
    );
    for chunk in rows.chunks(200) {
        sql.push_str(&format!(
            "INSERT INTO legacy_mapping VALUES {};\n",
            chunk.join(", ")
        ));
    }
    db.run(&sql);
    clean
}

/// Collects with every column of the mappings.
fn collect_wide(work: &Path, name: &str, source: &str, target: &str, pushdown: bool) -> PathBuf {
    collect_query(
        work,
        name,
        source,
        target,
        pushdown,
        "SELECT * FROM legacy_mapping",
    )
}

/// Collects with `mappings` as the mappings query.
fn collect_query(
    work: &Path,
    name: &str,
    source: &str,
    target: &str,
    pushdown: bool,
    mappings: &str,
) -> PathBuf {
    std::fs::write(
        work.join("collect.yaml"),
        format!(
            "queries:\n  mappings: {mappings}\n  \
             entities: SELECT name, domain, legacy_table, target_table, total_records, migrated_records, \
             failed_records, entity_type FROM entities\npushdown:\n  fetch_below: 8\n"
        ),
    )
    .unwrap();
    let out = work.join(name);
    let mut cmd = Command::cargo_bin("migcov").unwrap();
    cmd.args(["collect", "--source", source, "--target", target, "--out"])
        .arg(&out)
        .arg("--config")
        .arg(work.join("collect.yaml"));
    if pushdown {
        cmd.arg("--pushdown");
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "collect {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(
        out.join("domains.yaml"),
        "- name: BUSINESS\n  description: Business.\n  priority: HIGH\n",
    )
    .unwrap();
    out
}

/// Rows in a data folder's mapping files.
fn mapping_rows(data: &Path) -> usize {
    let file = std::fs::File::open(data.join("mappings/mappings.parquet")).unwrap();
    use polars::prelude::SerReader;
    polars::prelude::ParquetReader::new(file)
        .finish()
        .unwrap()
        .height()
}

/// The lines in one list and not the other, for a readable failure.
fn differing(a: &[String], b: &[String]) -> Vec<String> {
    let count = |l: &[String], x: &String| l.iter().filter(|y| *y == x).count();
    let only_a = a
        .iter()
        .filter(|x| count(a, x) != count(b, x))
        .map(|x| format!("- {x}"));
    let only_b = b
        .iter()
        .filter(|x| count(a, x) != count(b, x))
        .map(|x| format!("+ {x}"));
    let mut lines: Vec<String> = only_a.chain(only_b).collect();
    if lines.is_empty() {
        if let Some(i) = (0..a.len().min(b.len())).find(|i| a[*i] != b[*i]) {
            lines.push(format!("at {i}: {:?} / {:?}", a[i], b[i]));
        }
        lines.push(format!("{} / {} lines", a.len(), b.len()));
    }
    lines
}

fn mappings_counted_in_the_database(engine: Engine, text_keys: bool, seed: u64) {
    let context = format!("{engine:?}, text keys {text_keys}, seed {seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let base: i64 = rng.random_range(1..=1_000_000);
    let legacy: Vec<i64> = (0..rng.random_range(300..=500))
        .map(|i| base + 2 * i)
        .collect();
    let db = Db::new(engine, "wide");
    let keys: Vec<String> = legacy
        .iter()
        .map(|k| match text_keys {
            true => db.literal(&format!("K{k}")),
            false => k.to_string(),
        })
        .collect();
    let key_type = if text_keys { "VARCHAR(64)" } else { "BIGINT" };
    let mut sql = format!("CREATE TABLE items (id {key_type} PRIMARY KEY);\n");
    for chunk in keys.chunks(200) {
        sql.push_str(&format!(
            "INSERT INTO items VALUES ({});\n",
            chunk.join("), (")
        ));
    }
    db.run(&sql);
    let clean = defective_mappings(&db, &legacy, text_keys, seed);
    let work = tempfile::tempdir().unwrap();
    let full = collect_wide(work.path(), "full", &db.url, &db.url, false);
    let pushed = collect_wide(work.path(), "pushed", &db.url, &db.url, true);
    let (full_measures, full_findings) = report_of(&full);
    let (pushed_measures, pushed_findings) = report_of(&pushed);
    assert!(
        pushed_findings == full_findings,
        "{context}: findings {:#?}",
        differing(&full_findings, &pushed_findings)
    );
    assert_eq!(pushed_measures, full_measures, "{context}: measures");
    // Most clean rows stayed in the database: counted, not exported.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pushed.join("pushdown/items.json")).unwrap())
            .unwrap();
    let counted = summary["mapping_rows_in_database"]["ITEM"]
        .as_u64()
        .unwrap_or(0) as usize;
    // Where migrated_at and metadata are typed, the clean rows stay in the database: in
    // PostgreSQL those with a timestamptz and JSON, in MariaDB those with a TIMESTAMP and
    // no metadata (its JSON is text, exported when given: a quarter of the rows have none).
    let share = |engine: Engine| match (engine, seed % 2 == 1) {
        (Engine::Postgres, true) => 0.7,
        (Engine::Maria, true) => 0.15,
        _ => 0.0,
    };
    assert!(
        counted as f64 >= clean as f64 * share(engine),
        "{context}: {counted} of {clean} clean rows counted in the database ({summary})"
    );
    assert_eq!(
        mapping_rows(&pushed) + counted,
        mapping_rows(&full),
        "{context}: rows exported and counted"
    );
    // Two servers: the mappings on another engine, integer keys compared by digests.
    if !text_keys {
        let other = match engine {
            Engine::Postgres => Engine::Maria,
            _ => Engine::Postgres,
        };
        let target = Db::new(other, "widet");
        defective_mappings(&target, &legacy, false, seed);
        let full = collect_wide(work.path(), "full2", &db.url, &target.url, false);
        let pushed = collect_wide(work.path(), "pushed2", &db.url, &target.url, true);
        let (full_measures, full_findings) = report_of(&full);
        let (pushed_measures, pushed_findings) = report_of(&pushed);
        assert!(
            pushed_findings == full_findings,
            "{context}: two servers, findings {:#?} {}",
            differing(&full_findings, &pushed_findings),
            std::fs::read_to_string(pushed.join("pushdown/items.json")).unwrap()
        );
        assert_eq!(
            pushed_measures, full_measures,
            "{context}: two servers, measures"
        );
        assert!(
            share(other) < 0.5 || mapping_rows(&pushed) * 2 < mapping_rows(&full),
            "{context}: two servers"
        );
    }
}

#[test]
fn mappings_counted_in_the_database_change_no_figure() {
    for engine in [Engine::Sqlite, Engine::Postgres, Engine::Maria] {
        for text_keys in [false, true] {
            for seed in [1u64, 2] {
                mappings_counted_in_the_database(engine, text_keys, seed);
            }
        }
    }
}

/// Full and pushed-down collections of `db` (one server) give the same findings and
/// measures; returns (rows exported pushed down, rows exported in full).
fn same_reports(db: &Db, mappings: &str, context: &str) -> (usize, usize) {
    let work = tempfile::tempdir().unwrap();
    let full = collect_query(work.path(), "full", &db.url, &db.url, false, mappings);
    let pushed = collect_query(work.path(), "pushed", &db.url, &db.url, true, mappings);
    assert_same_reports(&full, &pushed, context);
    (mapping_rows(&pushed), mapping_rows(&full))
}

/// Asserts that builds of the two data folders give the same findings and measures.
fn assert_same_reports(full: &Path, pushed: &Path, context: &str) {
    let (full_measures, full_findings) = report_of(full);
    let (pushed_measures, pushed_findings) = report_of(pushed);
    assert!(
        pushed_findings == full_findings,
        "{context}: findings {:#?}",
        differing(&full_findings, &pushed_findings)
    );
    assert_eq!(pushed_measures, full_measures, "{context}: measures");
}

/// A legacy table `items` of ids 1..=40 and its entity (type `Item`), and a mapping table
/// with `columns`, holding `rows` (SQL value lists).
fn items_with_mappings(db: &Db, key_type: &str, columns: &str, rows: &[String]) {
    let ids: Vec<String> = (1..=40).map(|i| format!("({i})")).collect();
    db.run(&format!(
        "CREATE TABLE items (id {key_type} PRIMARY KEY);\n\
         INSERT INTO items VALUES {};\n\
         CREATE TABLE legacy_mapping ({columns});\n\
         CREATE TABLE entities (name VARCHAR(32), domain VARCHAR(32), legacy_table VARCHAR(32), \
         target_table VARCHAR(32), total_records BIGINT, migrated_records BIGINT, failed_records BIGINT, \
         entity_type VARCHAR(32));\n\
         INSERT INTO entities VALUES ('items', 'BUSINESS', 'items', 'new_items', 40, 40, 0, 'Item');\n\
         INSERT INTO legacy_mapping VALUES {};\n",
        ids.join(", "),
        rows.join(", ")
    ));
}

fn uuid_of(i: usize) -> String {
    format!("'00000000-0000-4000-8000-{i:012}'")
}

/// What an independent check found made the reduced mappings differ from a full export, or
/// collect fail: each now gives a full export's findings and measures.
#[test]
fn the_mapping_reduction_holds_where_it_was_fooled() {
    let clean = |n: usize| -> Vec<String> {
        (1..=n)
            .map(|i| format!("('ITEM', '{i}', {})", uuid_of(i)))
            .collect()
    };
    // Clean rows with a NULL in one more column.
    let clean_and_null = |n: usize| -> Vec<String> {
        clean(n)
            .into_iter()
            .map(|r| r.replace(")", ", NULL)"))
            .collect()
    };
    // MariaDB's JSON is text whose JSON_VALID accepts `1.`, a lone `-` and `\x`: the
    // loader does not; such rows are exported.
    let maria = Db::new(Engine::Maria, "mjson");
    let mut rows: Vec<String> = clean_and_null(37);
    for (i, bad) in [
        (38, r#"{"a": 1.}"#),
        (39, r#"{"b": "\\x"}"#),
        (40, r#"{"c": -}"#),
    ] {
        rows.push(format!(
            "('ITEM', '{i}', {}, {})",
            uuid_of(i),
            maria.literal(bad)
        ));
    }
    items_with_mappings(
        &maria,
        "BIGINT",
        "entity_type VARCHAR(32), legacy_id VARCHAR(32), modern_id CHAR(36), metadata JSON",
        &rows,
    );
    same_reports(&maria, "SELECT * FROM legacy_mapping", "MariaDB JSON text");

    // A DATE and a zone-less timestamp are not instants the loader reads as they are:
    // their rows are exported, never counted.
    for time_type in ["DATE", "TIMESTAMP"] {
        let pg = Db::new(Engine::Postgres, "dates");
        let rows: Vec<String> = clean(40)
            .into_iter()
            .map(|r| r.replace(")", ", '2024-03-31 02:30:00')"))
            .collect();
        items_with_mappings(
            &pg,
            "BIGINT",
            &format!("entity_type text, legacy_id text, modern_id uuid, migrated_at {time_type}"),
            &rows,
        );
        let work = tempfile::tempdir().unwrap();
        let pushed = collect_wide(work.path(), "pushed", &pg.url, &pg.url, true);
        assert_eq!(mapping_rows(&pushed), 40, "{time_type}: every row exported");
    }

    // PostgreSQL keys under a nondeterministic collation: LIKE and regular expressions
    // run on their bytes.
    let ci = Db::new(Engine::Postgres, "mci");
    ci.run(
        "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);",
    );
    let mut rows = clean(38);
    rows.push(format!("('ITEM', 'k39', {})", uuid_of(39)));
    rows.push(format!("('ITEM', 'K39', {})", uuid_of(40).to_uppercase()));
    items_with_mappings(
        &ci,
        "BIGINT",
        "entity_type text, legacy_id text COLLATE ci, modern_id text COLLATE ci",
        &rows,
    );
    let (pushed, full) = same_reports(
        &ci,
        "SELECT * FROM legacy_mapping",
        "a case-blind collation",
    );
    assert!(pushed < full, "rows were counted in the database");

    // Columns and tables named like the statement's own (SQLite), a table named `m`, and
    // keys that are not UTF-8 (two of them become one key in the loader).
    let lite = Db::new(Engine::Sqlite, "names");
    let mut rows: Vec<String> = clean(36)
        .into_iter()
        .map(|r| r.replace(")", ", 'x', 'y')"))
        .collect();
    rows.push(format!("('ITEM', '5', {}, 'x', 'y')", uuid_of(90)));
    rows.push(format!("('ITEM', '-7', {}, 'x', 'y')", uuid_of(91)));
    rows.push(format!(
        "('ITEM', CAST(X'4BFF' AS TEXT), {}, 'x', 'y')",
        uuid_of(92)
    ));
    rows.push(format!(
        "('ITEM', CAST(X'4BFE' AS TEXT), {}, 'x', 'y')",
        uuid_of(93)
    ));
    items_with_mappings(
        &lite,
        "INTEGER",
        "entity_type TEXT, legacy_id TEXT, modern_id TEXT, mc0_key TEXT, migcov_key TEXT",
        &rows,
    );
    lite.run("CREATE VIEW m AS SELECT * FROM legacy_mapping;");
    same_reports(&lite, "SELECT * FROM m", "names of the statement's own");

    // Two PostgreSQL tables whose names differ only in case: the loader gives their type's
    // rows to neither; their mappings are exported whole.
    let two = Db::new(Engine::Postgres, "cases");
    let mut rows = clean(40);
    rows.extend((45..=55).map(|i| format!("('ITEM', '{i}', {})", uuid_of(i))));
    items_with_mappings(
        &two,
        "BIGINT",
        "entity_type text, legacy_id text, modern_id uuid",
        &rows,
    );
    two.run(
        "CREATE TABLE \"Items\" (id BIGINT PRIMARY KEY);
         INSERT INTO \"Items\" SELECT generate_series(1, 60);
         INSERT INTO entities VALUES ('Items', 'BUSINESS', 'Items', 'new_items', 60, 60, 0, 'Item');",
    );
    same_reports(
        &two,
        "SELECT * FROM legacy_mapping",
        "tables differing in case",
    );

    // A mapping naming another table in legacy_table is not the table's: the pushdown
    // cannot tell, so the table is exported in full.
    let named = Db::new(Engine::Postgres, "named");
    let mut rows: Vec<String> = clean_and_null(39);
    rows.push(format!("('ITEM', '40', {}, 'public.items')", uuid_of(40)));
    items_with_mappings(
        &named,
        "BIGINT",
        "entity_type text, legacy_id text, modern_id uuid, legacy_table text",
        &rows,
    );
    same_reports(
        &named,
        "SELECT * FROM legacy_mapping",
        "legacy_table naming another table",
    );

    // Found by a second check: a NUL after a UUID (SQLite's GLOB stops there), a column
    // collation that ignores trailing spaces (SQLite RTRIM), a query ending in a comment,
    // and PostgreSQL CHAR(n) ids, whose padding a cast to text drops.
    let nul = Db::new(Engine::Sqlite, "nul");
    let mut rows: Vec<String> = clean_and_null(37);
    rows.push(format!(
        "('ITEM', '38', {} || char(0) || 'junk', NULL)",
        uuid_of(38)
    ));
    rows.push(format!("('ITEM', '39', {}, 'items ')", uuid_of(39)));
    rows.push(format!("('ITEM', '40', {}, 'items')", uuid_of(40)));
    items_with_mappings(
        &nul,
        "INTEGER",
        "entity_type TEXT, legacy_id TEXT, modern_id TEXT, legacy_table TEXT COLLATE RTRIM",
        &rows,
    );
    same_reports(
        &nul,
        "SELECT * FROM legacy_mapping -- every row",
        "NUL, RTRIM, a comment",
    );
    let padded = Db::new(Engine::Postgres, "bpchar");
    items_with_mappings(
        &padded,
        "BIGINT",
        "entity_type text, legacy_id text, modern_id CHAR(40)",
        &clean(40),
    );
    let (pushed, full) = same_reports(&padded, "SELECT * FROM legacy_mapping", "CHAR(40) ids");
    assert_eq!(pushed, full, "CHAR(n) ids are exported whole");

    // A value that was COPY's NULL marker is a value.
    let marker = Db::new(Engine::Postgres, "marker");
    let mut rows = clean(39);
    rows.push(format!("('ITEM', 'migcov:null:7f3a9c', {})", uuid_of(40)));
    items_with_mappings(
        &marker,
        "BIGINT",
        "entity_type text, legacy_id text, modern_id uuid",
        &rows,
    );
    same_reports(
        &marker,
        "SELECT * FROM legacy_mapping",
        "the old NULL marker",
    );
}

/// Keys whose text in SQL is not the text the full export writes (found by an independent
/// check, each pushed down before with other figures than a full export): a MariaDB
/// TIMESTAMP (no `+00:00` in SQL), bytes that are not UTF-8 (`?` in SQL), a SQLite REAL
/// (`1.0` in SQL, `1` exported) and blob. Each table is exported whole: the same ids,
/// matched ids and ledger as a full export, and no pushdown summary.
#[test]
fn keys_whose_sql_text_is_not_the_exports_are_exported_whole() {
    let cases = [
        (
            Engine::Maria,
            "CREATE TABLE items (k TIMESTAMP NOT NULL PRIMARY KEY);\n\
             INSERT INTO items VALUES ('2026-01-01 00:00:00'), ('2026-01-02 00:00:00');",
            vec!["2026-01-01 00:00:00", "2026-01-02 00:00:00+00:00"],
        ),
        (
            Engine::Maria,
            "CREATE TABLE items (k VARBINARY(8) PRIMARY KEY);\n\
             INSERT INTO items VALUES (X'FF'), (X'C3A9'), ('ok');",
            vec!["?", "é", "ok", "zz"],
        ),
        (
            Engine::Sqlite,
            "CREATE TABLE items (k PRIMARY KEY);\nINSERT INTO items VALUES (1.0), (X'41'), (7);",
            vec!["1.0", "A", "7"],
        ),
    ];
    for (engine, legacy, mapped) in cases {
        let work = tempfile::tempdir().unwrap();
        let db = Db::new(engine, "odd");
        db.run(legacy);
        let case = Case {
            legacy: Vec::new(),
            mapped: mapped.iter().map(|m| m.to_string()).collect(),
            unmodern: Vec::new(),
        };
        create_bookkeeping(&db, &case, false);
        let full = collect(work.path(), "full", &db.url, &db.url, false);
        let pushed = collect(work.path(), "pushed", &db.url, &db.url, true);
        assert!(
            !pushed.join("pushdown/items.json").exists(),
            "{engine:?}: {legacy}"
        );
        assert_eq!(counted(&pushed), counted(&full), "{engine:?}: {legacy}");
    }
}

/// Found by an independent check: under a nondeterministic ICU collation, `-` (punctuation
/// ignored) and U+200B equal `''`, and the rows kept were counted with `<> ''`: pushed down,
/// 1 migrated where a full export says 2. Counted by length now, as the loader keeps them.
#[test]
fn keys_a_collation_makes_equal_to_empty_are_counted_as_the_loader_does() {
    let work = tempfile::tempdir().unwrap();
    let db = Db::new(Engine::Postgres, "icu");
    db.run(
        "CREATE COLLATION ign (provider = icu, locale = 'und-u-ka-shifted', deterministic = false);\n\
         CREATE TABLE items (k text COLLATE ign PRIMARY KEY);\n\
         INSERT INTO items VALUES ('A1'), ('B2'), ('-'), ('C-3');",
    );
    let case = Case {
        legacy: Vec::new(),
        mapped: ["A1", "-", "C3"].iter().map(|m| m.to_string()).collect(),
        unmodern: Vec::new(),
    };
    create_bookkeeping(&db, &case, false);
    let full = collect(work.path(), "full", &db.url, &db.url, false);
    let pushed = collect(work.path(), "pushed", &db.url, &db.url, true);
    assert!(pushed.join("pushdown/items.json").exists());
    assert_eq!(counted(&pushed), counted(&full));
    assert_eq!(counted(&full).1, 2, "A1 and - matched");
}

/// Found by a second independent check: with `pushdown.legacy_schema` naming a schema of
/// `postgres_fdw` foreign tables (the setup the docs name), collect failed ("no table
/// items"): foreign tables are not in the inventory's listing. They are found now; and a
/// table others inherit from, which a foreign table reads with its children where the
/// full export reads `ONLY` it, is exported in full.
#[test]
fn legacy_schema_reads_foreign_tables_and_never_a_parents_children() {
    let legacy = Db::new(Engine::Postgres, "fdw_legacy");
    legacy.run(
        "CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1), (2), (3);\n\
         CREATE TABLE parts (id int PRIMARY KEY); INSERT INTO parts VALUES (1), (2), (3);\n\
         CREATE TABLE parts_kid (PRIMARY KEY (id)) INHERITS (parts); INSERT INTO parts_kid VALUES (4), (5);",
    );
    let target = Db::new(Engine::Postgres, "fdw_target");
    // postgresql://user:password@host:port/db
    let rest = servers().pg.split_once("://").unwrap().1;
    let (credentials, place) = rest.split_once('@').unwrap();
    let (user, password) = credentials.split_once(':').unwrap();
    let (host_port, _) = place.split_once('/').unwrap();
    let (host, port) = host_port.split_once(':').unwrap();
    let mut mappings = String::new();
    for (i, (kind, id)) in [("ITEM", "1"), ("ITEM", "9"), ("PART", "1"), ("PART", "4")]
        .iter()
        .enumerate()
    {
        mappings.push_str(&format!(
            "INSERT INTO legacy_mapping VALUES ('{kind}', '{id}', '00000000-0000-4000-8000-{i:012}');\n"
        ));
    }
    target.run(&format!(
        "CREATE EXTENSION postgres_fdw;\n\
         CREATE SERVER legacy FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '{host}', port '{port}', dbname '{}');\n\
         CREATE USER MAPPING FOR CURRENT_USER SERVER legacy OPTIONS (user '{user}', password '{password}');\n\
         CREATE SCHEMA legacy_fdw;\n\
         IMPORT FOREIGN SCHEMA public FROM SERVER legacy INTO legacy_fdw;\n\
         CREATE TABLE legacy_mapping (entity_type text, legacy_id text, modern_id text);\n\
         {mappings}\
         CREATE TABLE entities (name text, domain text, legacy_table text, target_table text, total_records bigint, migrated_records bigint, failed_records bigint, entity_type text);\n\
         INSERT INTO entities VALUES ('items', 'BUSINESS', 'items', 'items', 3, 1, 0, 'ITEM'), ('parts', 'BUSINESS', 'parts', 'parts', 3, 1, 0, 'PART');",
        legacy.name
    ));
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("collect.yaml");
    std::fs::write(
        &config,
        "queries:\n  mappings: SELECT entity_type, legacy_id, modern_id FROM legacy_mapping\n  \
         entities: SELECT name, domain, legacy_table, target_table, total_records, migrated_records, \
         failed_records, entity_type FROM entities\npushdown:\n  legacy_schema: legacy_fdw\n",
    )
    .unwrap();
    let run = |name: &str, pushdown: bool| {
        collect_configured(
            &config,
            &work.path().join(name),
            &legacy.url,
            &target.url,
            pushdown,
        )
    };
    let full = run("full", false);
    let pushed = run("pushed", true);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pushed.join("pushdown/items.json")).unwrap())
            .unwrap();
    assert!(summary["method"].as_str().unwrap().starts_with("anti-join"));
    assert!(
        !pushed.join("pushdown/parts.json").exists(),
        "parts exported whole"
    );
    for table in ["items", "parts"] {
        let figures = |data: &Path| {
            let (_, measures, _) = common::run(data);
            let m = measures.missing.iter().find(|t| t.table == table).unwrap();
            (m.ids, m.matched, m.unmapped, m.orphans)
        };
        assert_eq!(figures(&pushed), figures(&full), "{table}");
    }
}

/// Found by a second independent check: an `entities.yaml` copied by `files:` added an
/// entity of another type on a pushed-down table; collect compared the ids with the
/// entities query's type only, and the build refused the summary. Both are read now.
#[test]
fn entities_copied_by_files_count_for_the_pushdown_types() {
    let db = Db::new(Engine::Sqlite, "files");
    db.run(
        "CREATE TABLE items (id INTEGER PRIMARY KEY); INSERT INTO items VALUES (1), (2), (3), (4);\n\
         CREATE TABLE legacy_mapping (entity_type TEXT, legacy_id TEXT, modern_id TEXT);\n\
         INSERT INTO legacy_mapping VALUES ('ITEM', '1', '00000000-0000-4000-8000-000000000001'), \
         ('ITEM', '2', '00000000-0000-4000-8000-000000000002'), ('GADGET', '3', '00000000-0000-4000-8000-000000000003');\n\
         CREATE TABLE entities (name TEXT, domain TEXT, legacy_table TEXT, target_table TEXT, total_records INT, migrated_records INT, failed_records INT, entity_type TEXT);\n\
         INSERT INTO entities VALUES ('items', 'BUSINESS', 'items', 'items', 4, 2, 0, 'ITEM');",
    );
    // One entity alone, not in a list (the loader reads both), at the top or in
    // `entities/` (found by a third check).
    for place in ["entities.yaml", "entities/gadgets.yaml"] {
        let work = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(work.path().join("entities")).unwrap();
        std::fs::write(
            work.path().join(place),
            "name: gadgets\ndomain: BUSINESS\nlegacy_table: items\ntarget_table: items\ntotal_records: 4\nmigrated_records: 1\nfailed_records: 0\nentity_type: GADGET\n",
        )
        .unwrap();
        let config = work.path().join("collect.yaml");
        std::fs::write(
            &config,
            format!(
                "queries:\n  mappings: SELECT entity_type, legacy_id, modern_id FROM legacy_mapping\n  \
                 entities: SELECT name, domain, legacy_table, target_table, total_records, migrated_records, \
                 failed_records, entity_type FROM entities\nfiles: [{place}]\n"
            ),
        )
        .unwrap();
        let run = |name: &str, pushdown: bool| {
            collect_configured(&config, &work.path().join(name), &db.url, &db.url, pushdown)
        };
        let full = run("full", false);
        let pushed = run("pushed", true);
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(pushed.join("pushdown/items.json")).unwrap())
                .unwrap();
        let mut types: Vec<&str> = summary["entity_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        types.sort();
        assert_eq!(types, ["GADGET", "ITEM"], "{place}");
        assert_eq!(counted(&pushed), counted(&full), "{place}");
        assert_eq!(counted(&full).1, 3, "{place}: 1, 2 and 3 matched");
    }
}

/// `migcov collect` with `config` into `out` (a BUSINESS domain written beside), asserted
/// to succeed; `--pushdown` when `pushdown`.
fn collect_configured(
    config: &Path,
    out: &Path,
    source: &str,
    target: &str,
    pushdown: bool,
) -> PathBuf {
    let mut cmd = Command::cargo_bin("migcov").unwrap();
    cmd.args([
        "collect", "--source", source, "--target", target, "--config",
    ])
    .arg(config)
    .arg("--out")
    .arg(out);
    if pushdown {
        cmd.arg("--pushdown");
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(
        out.join("domains.yaml"),
        "- name: BUSINESS\n  description: Business.\n  priority: HIGH\n",
    )
    .unwrap();
    out.to_path_buf()
}

/// Found by a third check: `files: [entities/gadgets.yaml]` was copied to the top of the
/// data folder as `gadgets.yaml`, an unknown file, and its entity was lost. A relative path
/// inside the config's folder keeps its place; any other is copied under its name.
#[test]
fn files_keep_their_place_in_the_data_folder() {
    let db = Db::new(Engine::Sqlite, "places");
    db.run("CREATE TABLE items (id INTEGER PRIMARY KEY); INSERT INTO items VALUES (1);");
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("config/entities")).unwrap();
    std::fs::write(
        work.path().join("config/entities/gadgets.yaml"),
        "name: gadgets\ndomain: BUSINESS\nlegacy_table: items\ntarget_table: items\ntotal_records: 1\nmigrated_records: 1\nfailed_records: 0\n",
    )
    .unwrap();
    std::fs::write(work.path().join("migcov.yaml"), "title: Places\n").unwrap();
    let config = work.path().join("config/collect.yaml");
    std::fs::write(&config, "files: [entities/gadgets.yaml, ../migcov.yaml]\n").unwrap();
    let out = collect_configured(&config, &work.path().join("data"), &db.url, &db.url, false);
    assert!(out.join("entities/gadgets.yaml").is_file());
    assert!(out.join("migcov.yaml").is_file(), "under its name");
    let (inputs, _, _) = common::run(&out);
    assert!(inputs.entities.iter().any(|e| e.name == "gadgets"));
}

/// Found by an independent check: mapping ids that SQL reads otherwise than the export, on
/// a target server apart from the legacy table: a SQLite `legacy_id` with a NUL after its
/// digits (`12\0` was read as 12), a SQLite blob (`b'15'` matched 15) and REAL (`18.0` hid
/// a repeat of `18`), a MariaDB VARBINARY holding bytes that are no UTF-8 (orphans read as
/// `?` were lost), and a PostgreSQL column of a nondeterministic collation (its regular
/// expressions failed). Each gives what a full export gives.
#[test]
fn mapping_ids_sql_reads_otherwise_give_what_a_full_export_gives() {
    let rows = |id: &dyn Fn(usize) -> String, extra: &[&str]| -> Vec<String> {
        (1..=40)
            .filter(|i| ![12, 20, 30].contains(i))
            .map(|i| format!("('Item', {}, {})", id(i), uuid_of(i)))
            .chain(
                extra
                    .iter()
                    .enumerate()
                    .map(|(n, e)| format!("('Item', {e}, {})", uuid_of(100 + n))),
            )
            .collect()
    };
    let quoted = |i: usize| format!("'{i}'");
    let cases: Vec<(Engine, &str, Vec<String>, &str)> = vec![
        (
            Engine::Sqlite,
            "entity_type TEXT, legacy_id TEXT, modern_id TEXT",
            rows(
                &quoted,
                &["'12' || char(0)", "'20' || char(0) || 'abc'", "x'3135'", "18.0", "'0' || char(0)"],
            ),
            "",
        ),
        (
            Engine::Maria,
            "entity_type VARCHAR(32), legacy_id VARBINARY(50), modern_id VARCHAR(36)",
            rows(&quoted, &["X'ff31'", "X'3132ff'", "X'e9'"]),
            "",
        ),
        (
            Engine::Postgres,
            "entity_type TEXT, legacy_id TEXT COLLATE ci, modern_id TEXT COLLATE ci",
            rows(&quoted, &["'12 '", "'K9'"]),
            "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);\n",
        ),
    ];
    for (engine, columns, mappings, before) in cases {
        let context = format!("mappings on {engine:?}");
        let legacy = Db::new(Engine::Postgres, "mil");
        let ids: Vec<String> = (1..=40).map(|i| format!("({i})")).collect();
        legacy.run(&format!(
            "CREATE TABLE items (id INTEGER PRIMARY KEY);\nINSERT INTO items VALUES {};\n",
            ids.join(", ")
        ));
        let target = Db::new(engine, "mit");
        if !before.is_empty() {
            target.run(before);
        }
        items_with_mappings(&target, "INTEGER", columns, &mappings);
        let work = tempfile::tempdir().unwrap();
        let query = "SELECT entity_type, legacy_id, modern_id FROM legacy_mapping";
        let full = collect_query(work.path(), "full", &legacy.url, &target.url, false, query);
        let pushed = collect_query(work.path(), "pushed", &legacy.url, &target.url, true, query);
        assert_same_reports(&full, &pushed, &context);
    }
}

/// Found by an independent check: collect read `entities.yaml` and `entities.csv` alone,
/// one entity per name, and a YAML `entity_type` only when written as text, where the
/// loader reads every entities file (`entities.yml`, CSV files under `entities/`), both
/// entities of one name, and `7` as the type `7`. A table whose type another table's
/// entity shares was pushed down, and the other table's ids taken for its orphans. Each
/// way gives a full export's report.
#[test]
fn every_entities_file_the_loader_reads_counts_for_the_pushdown_types() {
    let uuid = |i: usize| format!("'00000000-0000-4000-8000-{i:012}'");
    let db = Db::new(Engine::Sqlite, "ents");
    let office: Vec<String> = (1..=20).map(|i| format!("({i})")).collect();
    let branch: Vec<String> = (100..110).map(|i| format!("({i})")).collect();
    let mappings: Vec<String> = (1..=14)
        .chain(100..108)
        .flat_map(|i| {
            [("T1", 0), ("7", 500), ("0x10", 1000)]
                .map(|(kind, at)| format!("('{kind}', '{i}', {})", uuid(at + i)))
        })
        .collect();
    db.run(&format!(
        "CREATE TABLE legacy_office (id INTEGER PRIMARY KEY); INSERT INTO legacy_office VALUES {};\n\
         CREATE TABLE legacy_branch (id INTEGER PRIMARY KEY); INSERT INTO legacy_branch VALUES {};\n\
         CREATE TABLE legacy_mapping (entity_type TEXT, legacy_id TEXT, modern_id TEXT);\n\
         INSERT INTO legacy_mapping VALUES {};\n",
        office.join(", "),
        branch.join(", "),
        mappings.join(", ")
    ));
    let entity = |name: &str, table: &str, kind: &str| {
        format!(
            "- name: {name}\n  domain: BUSINESS\n  legacy_table: {table}\n  target_table: {table}_new\n  \
             total_records: 1\n  migrated_records: 1\n  failed_records: 0\n  entity_type: {kind}\n"
        )
    };
    let csv_header = "name,domain,legacy_table,target_table,total_records,migrated_records,failed_records,entity_type\n";
    // (files written, `files:` of collect.yaml)
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![
                ("entities.yaml", entity("offices", "legacy_office", "T1")),
                (
                    "entities/more.csv",
                    format!(
                        "{csv_header}branches,BUSINESS,legacy_branch,legacy_branch_new,1,1,0,T1\n"
                    ),
                ),
            ],
            "[entities.yaml, entities]",
        ),
        (
            vec![
                ("entities.yaml", entity("offices", "legacy_office", "T1")),
                ("entities.yml", entity("branches", "legacy_branch", "T1")),
            ],
            "[entities.yaml, entities.yml]",
        ),
        (
            vec![(
                "entities.yaml",
                format!(
                    "{}{}",
                    entity("offices", "legacy_office", "T1"),
                    entity("offices", "legacy_branch", "T1")
                ),
            )],
            "[entities.yaml]",
        ),
        // Found by a last check: an entities file whose extension is in upper case, a
        // header naming ` entity_type` (no entity type for the loader), and a number
        // whose text YAML would write otherwise (`0x10` is 16).
        (
            vec![
                ("entities.yaml", entity("offices", "legacy_office", "T1")),
                (
                    "entities.CSV",
                    format!(
                        "{csv_header}branches,BUSINESS,legacy_branch,legacy_branch_new,1,1,0,T1\n"
                    ),
                ),
            ],
            "[entities.yaml, entities.CSV]",
        ),
        (
            vec![(
                "entities.csv",
                format!(
                    "{}offices,BUSINESS,legacy_office,legacy_office_new,1,1,0,T1\n",
                    csv_header.replace(",entity_type", ", entity_type")
                ),
            )],
            "[entities.csv]",
        ),
        (
            vec![("entities.yaml", entity("offices", "legacy_office", "0x10"))],
            "[entities.yaml]",
        ),
        // The type written as a number, and as text.
        (
            vec![(
                "entities.yaml",
                format!(
                    "{}{}",
                    entity("offices", "legacy_office", "7"),
                    entity("branches", "legacy_branch", "'7'")
                ),
            )],
            "[entities.yaml]",
        ),
    ];
    for (n, (files, listed)) in cases.into_iter().enumerate() {
        let work = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(work.path().join("entities")).unwrap();
        for (path, text) in &files {
            std::fs::write(work.path().join(path), text).unwrap();
        }
        let config = work.path().join("collect.yaml");
        std::fs::write(
            &config,
            format!(
                "queries:\n  mappings: SELECT entity_type, legacy_id, modern_id FROM legacy_mapping\n\
                 files: {listed}\npushdown:\n  fetch_below: 4\n"
            ),
        )
        .unwrap();
        let run = |name: &str, pushdown: bool| {
            collect_configured(&config, &work.path().join(name), &db.url, &db.url, pushdown)
        };
        let (full, pushed) = (run("full", false), run("pushed", true));
        assert_same_reports(&full, &pushed, &format!("case {n}"));
    }
}
