//! `collect --pushdown` of the rows a `content:` declaration compares, where one database
//! holds the legacy table, the target table and the mappings (`collect::intact`), against
//! the truth on the real servers of `scripts/test`: generated tables on SQLite, PostgreSQL
//! and MariaDB, with every kind of defect the comparison reports (a value changed, a
//! target missing, a legacy id not mapped, a row listed twice, an id mapped twice, a
//! modern id in upper case, a key padded with spaces, values equal only once normalised,
//! NULL on both sides), are collected once in full and once pushed down. Both must give
//! the same comparison, figure for figure (the aggregates, which need every value, are
//! left out when pushed down); and the database must prove intact exactly the ids whose
//! values were generated the same on both sides, worked out here without SQL.

mod common;

use common::db::{Db, Engine};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The compared columns, legacy and target alike: `name` (trimmed), `budget`, `opened`,
/// `opened_at` (instants, one zone for both sides), `code`, `note` (NULL equals '').
const DECLARATION: &str = "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    \
    columns:\n      name: {target: name, trim: true}\n      budget: budget\n      opened: opened\n      \
    opened_at: {target: opened_at, time_zone: UTC}\n      code: code\n      \
    note: {target: note, null_equals_empty: true}\n";

type Values = [Option<String>; 6];

/// One generated case: legacy rows (key as written, values), target rows (UUID, values),
/// mapping rows (legacy id as written, modern id as written).
struct Case {
    legacy: Vec<(String, Values)>,
    target: Vec<(String, Values)>,
    mappings: Vec<(String, String)>,
}

fn uuid(rng: &mut ChaCha8Rng) -> String {
    uuid::Uuid::from_u128(rng.random::<u128>())
        .hyphenated()
        .to_string()
}

fn values(rng: &mut ChaCha8Rng, engine: Engine) -> Values {
    let cents: u32 = rng.random_range(0..10_000_000);
    // SQLite's NUMERIC affinity stores `1200.50` as a REAL, which the database never
    // proves equal (its text rounds); whole amounts are INTEGERs.
    let cents = match engine == Engine::Sqlite && rng.random_bool(0.5) {
        true => cents - cents % 100,
        false => cents,
    };
    let day = rng.random_range(1..28);
    [
        // Characters of one to four bytes: every engine must count and hash them alike.
        Some(format!(
            "{} {}",
            ["Office", "Büro", "Bureau ✓", "Oficina 🏢"][rng.random_range(0..4)],
            rng.random_range(0..1000)
        )),
        Some(format!("{}.{:02}", cents / 100, cents % 100)),
        Some(format!("2024-03-{day:02}")),
        Some(format!(
            "2024-03-{day:02} {:02}:{:02}:{:02}",
            rng.random_range(0..24),
            rng.random_range(0..60),
            rng.random_range(0..60)
        )),
        Some(format!("C{:03}", rng.random_range(0..1000))),
        match rng.random_range(0..4) {
            0 => None,
            _ => Some(format!("note {}", rng.random_range(0..100))),
        },
    ]
}

/// A copy of `v` with one defect: a value that differs, or one equal only once normalised.
fn changed(rng: &mut ChaCha8Rng, v: &Values) -> Values {
    let mut v = v.clone();
    match rng.random_range(0..7) {
        0 => v[0] = v[0].as_ref().map(|s| format!("{s}X")),
        // Trailing spaces: `trim` makes them equal; the texts are not.
        1 => v[0] = v[0].as_ref().map(|s| format!("{s}  ")),
        2 => v[1] = Some("0.01".into()),
        3 => v[2] = Some("2023-12-31".into()),
        4 => v[3] = Some("2023-12-31 23:59:59".into()),
        5 => v[4] = Some("Z999".into()),
        // NULL against '': equal by `null_equals_empty`, not as texts.
        _ => v[5] = Some(String::new()),
    }
    if v[5].as_deref() == Some("") && rng.random_bool(0.5) {
        v[5] = None;
    }
    v
}

fn generate(engine: Engine, text_keys: bool, seed: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut case = Case {
        legacy: Vec::new(),
        target: Vec::new(),
        mappings: Vec::new(),
    };
    let n = rng.random_range(20..50);
    for i in 1..=n {
        let key = match text_keys {
            true => format!("K-{i:04}"),
            false => i.to_string(),
        };
        // The key as the legacy table writes it (spaces and tabs around a text key).
        let written = match text_keys && rng.random_bool(0.2) {
            true => format!(" {key}\t"),
            false => key.clone(),
        };
        let v = values(&mut rng, engine);
        case.legacy.push((written.clone(), v.clone()));
        let id = uuid(&mut rng);
        let target_values = match rng.random_bool(0.35) {
            true => changed(&mut rng, &v),
            false => v.clone(),
        };
        match rng.random_range(0..20) {
            // Not mapped.
            0 => continue,
            // Mapped to a target row that does not exist.
            1 => {
                case.mappings.push((key.clone(), uuid(&mut rng)));
                continue;
            }
            // Listed twice in the legacy table, the same or with another value.
            2 => {
                let again = match rng.random_bool(0.5) {
                    true => v.clone(),
                    false => changed(&mut rng, &v),
                };
                case.legacy.push((written.clone(), again));
            }
            // Mapped twice, to a second target row the same or differing.
            3 => {
                let second = uuid(&mut rng);
                let values = match rng.random_bool(0.5) {
                    true => v.clone(),
                    false => changed(&mut rng, &v),
                };
                case.target.push((second.clone(), values));
                case.mappings.push((key.clone(), second));
            }
            // Its target row also mapped by another legacy id (one not in the table).
            4 => case.mappings.push((format!("{key}-orphan"), id.clone())),
            _ => {}
        }
        case.target.push((id.clone(), target_values));
        // A modern id in upper case, a legacy id padded, as exports write them.
        let modern = match rng.random_bool(0.2) {
            true => id.to_uppercase(),
            false => id,
        };
        let legacy_id = match text_keys && rng.random_bool(0.2) {
            true => format!("{key} "),
            false => key,
        };
        case.mappings.push((legacy_id, modern));
    }
    case
}

/// The legacy ids the database must prove intact: mapped, every mapping finding a target
/// row, and every value written the same on both sides for every legacy row and target
/// row of the id (in SQLite, no amount with cents, which is a REAL there).
fn provable(case: &Case, engine: Engine) -> u64 {
    let targets: BTreeMap<String, Vec<&Values>> =
        case.target.iter().fold(BTreeMap::new(), |mut m, (id, v)| {
            m.entry(id.clone()).or_default().push(v);
            m
        });
    let mut rows: BTreeMap<String, Vec<&Values>> = BTreeMap::new();
    for (key, v) in &case.legacy {
        rows.entry(key.trim().to_string()).or_default().push(v);
    }
    let real = |v: &Values| {
        engine == Engine::Sqlite && v[1].as_deref().is_some_and(|b| !b.ends_with(".00"))
    };
    rows.iter()
        .filter(|(key, legacy)| {
            let modern: Vec<String> = case
                .mappings
                .iter()
                .filter(|(l, _)| l.trim() == key.as_str())
                .map(|(_, m)| m.to_lowercase())
                .collect();
            !modern.is_empty()
                && modern.iter().all(|m| {
                    targets.get(m).is_some_and(|found| {
                        found
                            .iter()
                            .all(|t| legacy.iter().all(|l| *l == *t && !real(l)))
                    })
                })
        })
        .count() as u64
}

fn create(db: &Db, case: &Case, text_keys: bool) {
    create_on((db, db), case, text_keys);
}

/// The column types of the generated tables on an engine: (integer key, UUID key, modern
/// id, decimal, timestamp, text).
fn types_on(engine: Engine) -> [&'static str; 6] {
    match engine {
        Engine::Sqlite => [
            "INTEGER",
            "TEXT",
            "TEXT",
            "NUMERIC(10,2)",
            "DATETIME",
            "TEXT",
        ],
        Engine::Postgres => [
            "INTEGER",
            "uuid",
            "VARCHAR(40)",
            "NUMERIC(10,2)",
            "TIMESTAMP",
            "TEXT",
        ],
        Engine::Maria => [
            "INTEGER",
            "CHAR(36)",
            "CHAR(36)",
            "DECIMAL(10,2)",
            "DATETIME",
            "TEXT",
        ],
    }
}

/// Creates the legacy table on `legacy_db`, the target table and the mappings on
/// `target_db`.
fn create_on((legacy_db, target_db): (&Db, &Db), case: &Case, text_keys: bool) {
    let columns = |engine: Engine| {
        let [_, _, _, decimal, timestamp, text] = types_on(engine);
        format!(
            "name VARCHAR(40), budget {decimal}, opened DATE, opened_at {timestamp}, code CHAR(6), note {text}"
        )
    };
    let [key, ..] = types_on(legacy_db.engine);
    let key = if text_keys { "VARCHAR(20)" } else { key };
    let [_, uuid_type, modern, ..] = types_on(target_db.engine);
    let row = |db: &Db, id: String, v: &Values| {
        let cell = |v: &Option<String>| v.as_ref().map_or("NULL".into(), |v| db.literal(v));
        format!(
            "({id}, {})",
            v.iter().map(cell).collect::<Vec<_>>().join(", ")
        )
    };
    let id = |k: &str| match text_keys {
        true => legacy_db.literal(k),
        false => k.to_string(),
    };
    let legacy: Vec<String> = case
        .legacy
        .iter()
        .map(|(k, v)| row(legacy_db, id(k), v))
        .collect();
    let target: Vec<String> = case
        .target
        .iter()
        .map(|(k, v)| row(target_db, target_db.literal(k), v))
        .collect();
    let mappings: Vec<String> = case
        .mappings
        .iter()
        .map(|(l, m)| {
            format!(
                "('offices', {}, {})",
                target_db.literal(l),
                target_db.literal(m)
            )
        })
        .collect();
    let mut legacy_sql = format!(
        "CREATE TABLE legacy_office (id {key}, {});\n",
        columns(legacy_db.engine)
    );
    let mut target_sql = format!(
        "CREATE TABLE offices (id {uuid_type}, {});\n\
         CREATE TABLE legacy_mapping (entity_type VARCHAR(20), legacy_id VARCHAR(40), modern_id {modern});\n",
        columns(target_db.engine)
    );
    let insert = |table: &str, rows: Vec<String>| match rows.is_empty() {
        true => String::new(),
        false => format!("INSERT INTO {table} VALUES {};\n", rows.join(", ")),
    };
    legacy_sql.push_str(&insert("legacy_office", legacy));
    target_sql.push_str(&insert("offices", target));
    target_sql.push_str(&insert("legacy_mapping", mappings));
    // One database for both: one batch, the legacy table first.
    match std::ptr::eq(legacy_db, target_db) {
        true => legacy_db.run(&format!("{legacy_sql}{target_sql}")),
        false => {
            legacy_db.run(&legacy_sql);
            target_db.run(&target_sql);
        }
    }
}

/// Collects `db` (source and target alike) into `work/name` with `migcov_yaml`.
fn collect(work: &Path, name: &str, db: &Db, migcov_yaml: &str, pushdown: bool) -> PathBuf {
    let mappings = "SELECT entity_type, legacy_id, modern_id FROM legacy_mapping";
    collect_with(work, name, db, (migcov_yaml, mappings), pushdown)
}

/// An entity of the legacy table `legacy_office` and the target table `offices`, of
/// entity type `name`, as entities.yaml lists it.
fn entity(name: &str) -> String {
    format!(
        "- name: {name}\n  domain: BUSINESS\n  legacy_table: legacy_office\n  target_table: offices\n  \
         total_records: 1\n  migrated_records: 1\n  failed_records: 0\n  entity_type: {name}\n"
    )
}

/// [`collect`] with the mappings query `mappings`.
fn collect_with(
    work: &Path,
    name: &str,
    db: &Db,
    (migcov_yaml, mappings): (&str, &str),
    pushdown: bool,
) -> PathBuf {
    // An entities.yaml already there (a test's own) is kept.
    if !work.join("entities.yaml").exists() {
        std::fs::write(work.join("entities.yaml"), entity("offices")).unwrap();
    }
    std::fs::write(work.join("migcov.yaml"), migcov_yaml).unwrap();
    let config = work.join("collect.yaml");
    std::fs::write(
        &config,
        format!(
            "files: [entities.yaml, migcov.yaml]\nbatch_rows: 7\nqueries:\n  mappings: {mappings}\n"
        ),
    )
    .unwrap();
    run_collect(work.join(name), (&db.url, &db.url), &config, pushdown)
}

/// `migcov collect` from `source` and `target` into `out` with `config`; fails the test
/// with collect's output when it fails.
fn run_collect(
    out: PathBuf,
    (source, target): (&str, &str),
    config: &Path,
    pushdown: bool,
) -> PathBuf {
    let mut cmd = Command::cargo_bin("migcov").unwrap();
    cmd.args(["collect", "--source", source, "--target", target, "--out"])
        .arg(&out)
        .arg("--config")
        .arg(config);
    if pushdown {
        cmd.arg("--pushdown");
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "collect {}: {}{}",
        out.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// The comparison a build of `data` gives, without what a pushed-down collection leaves
/// out (the aggregates) or adds (how many ids the database proved).
fn comparison(data: &Path) -> serde_json::Value {
    let (_, measures, _) = common::run(data);
    assert!(
        measures.content_not_checked.is_empty(),
        "{}: {:?}",
        data.display(),
        measures.content_not_checked
    );
    let mut value = serde_json::to_value(&measures.content).unwrap();
    for table in value.as_array_mut().unwrap() {
        table.as_object_mut().unwrap().remove("intact_in_database");
        for column in table["columns"].as_array_mut().unwrap() {
            column.as_object_mut().unwrap().remove("aggregates");
        }
    }
    value
}

fn rows_in(path: &Path) -> usize {
    let file = std::fs::File::open(path).unwrap();
    use polars::prelude::SerReader;
    polars::prelude::ParquetReader::new(file)
        .finish()
        .unwrap()
        .height()
}

/// Checks one case; returns the ids proved intact and the rows the legacy table has.
fn check(engine: Engine, text_keys: bool, seed: u64) -> (u64, usize) {
    let context = format!("{engine:?}, text keys {text_keys}, seed {seed}");
    let case = generate(engine, text_keys, seed);
    let db = Db::new(engine, "cp");
    create(&db, &case, text_keys);
    let work = tempfile::tempdir().unwrap();
    let full = collect(work.path(), "full", &db, DECLARATION, false);
    let pushed = collect(work.path(), "pushed", &db, DECLARATION, true);
    assert!(!full.join("rows/pushdown/legacy_office.json").exists());
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(pushed.join("rows/pushdown/legacy_office.json"))
            .unwrap_or_else(|e| panic!("{context}: no rows/pushdown/legacy_office.json: {e}")),
    )
    .unwrap();
    let proved = provable(&case, engine);
    assert_eq!(summary["intact"], proved, "{context}: {summary}");
    assert_eq!(summary["legacy_rows"], case.legacy.len(), "{context}");
    assert_eq!(summary["target_rows"], case.target.len(), "{context}");
    assert_eq!(comparison(&pushed), comparison(&full), "{context}");
    // Only the rows of the ids not proved were exported.
    let legacy_file = |data: &Path| rows_in(&data.join("rows/legacy/legacy_office.parquet"));
    let proved_rows: usize = {
        let (_, measures, _) = common::run(&pushed);
        assert_eq!(
            measures.content[0].intact_in_database,
            Some(proved),
            "{context}"
        );
        assert!(measures.content[0]
            .columns
            .iter()
            .all(|c| c.aggregates.is_empty()));
        case.legacy.len() - legacy_file(&pushed)
    };
    assert_eq!(legacy_file(&full), case.legacy.len(), "{context}");
    assert!(
        proved_rows as u64 >= proved && (proved == 0 || proved_rows > 0),
        "{context}: {proved_rows} rows left out for {proved} ids"
    );
    if seed == 0 {
        // The page says how many ids the database proved, and why no aggregate is shown.
        let site = work.path().join("site");
        let output = Command::cargo_bin("migcov")
            .unwrap()
            .args(["build", "--exit-zero", "--data"])
            .arg(&pushed)
            .arg("--out")
            .arg(&site)
            .output()
            .unwrap();
        assert!(output.status.success(), "{context}: {output:?}");
        let page = walkdir::WalkDir::new(&site)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .find(|text| text.contains("id=\"aggregates\""))
            .unwrap_or_else(|| panic!("{context}: no entity content page"));
        assert!(
            page.contains(&format!(
                "{proved} of the intact rows were compared by the database"
            )),
            "{context}"
        );
    }
    (proved, case.legacy.len())
}

#[test]
fn pushed_down_rows_give_the_comparison_of_a_full_export() {
    for engine in [Engine::Sqlite, Engine::Postgres, Engine::Maria] {
        let (mut proved, mut rows) = (0, 0);
        for seed in 0..4 {
            let (p, r) = check(engine, seed % 2 == 1, seed);
            (proved, rows) = (proved + p, rows + r);
        }
        // The cases leave most ids intact, and some not: both ways are exercised.
        assert!(
            proved > 0 && (proved as usize) < rows,
            "{engine:?}: {proved} of {rows}"
        );
        eprintln!("{engine:?}: {proved} ids proved intact of {rows} legacy rows");
    }
}

/// A declaration the texts cannot prove (a transform, a zone per side, a binary float)
/// is exported in full, and compared as before.
#[test]
fn what_texts_cannot_prove_is_exported_in_full() {
    for engine in [Engine::Sqlite, Engine::Postgres, Engine::Maria] {
        let case = generate(engine, false, 7);
        let db = Db::new(engine, "cpx");
        create(&db, &case, false);
        let work = tempfile::tempdir().unwrap();
        let transform = DECLARATION.replace(
            "code: code",
            "code: {target: code, transform: \"upper(code)\"}",
        );
        let zones = DECLARATION.replace(
            "time_zone: UTC",
            "time_zone: {legacy: Europe/Zurich, target: UTC}",
        );
        for (name, declaration) in [("transform", transform), ("zones", zones)] {
            let full = collect(
                work.path(),
                &format!("{name}-full"),
                &db,
                &declaration,
                false,
            );
            let pushed = collect(
                work.path(),
                &format!("{name}-pushed"),
                &db,
                &declaration,
                true,
            );
            assert!(
                !pushed.join("rows/pushdown/legacy_office.json").exists(),
                "{engine:?} {name}"
            );
            assert_eq!(
                rows_in(&pushed.join("rows/legacy/legacy_office.parquet")),
                case.legacy.len(),
                "{engine:?} {name}"
            );
            let keep_all = |data: &Path| {
                let (_, measures, _) = common::run(data);
                serde_json::to_value(&measures.content).unwrap()
            };
            assert_eq!(keep_all(&pushed), keep_all(&full), "{engine:?} {name}");
        }
        let ids: BTreeSet<&str> = case.legacy.iter().map(|(k, _)| k.as_str()).collect();
        assert!(!ids.is_empty());
    }
}

/// Collects `db` in full and pushed down with `migcov_yaml` and asserts the same
/// comparison; returns whether the database compared the rows (a summary was written).
fn same_both_ways(db: &Db, migcov_yaml: &str, context: &str) -> bool {
    let work = tempfile::tempdir().unwrap();
    let full = collect(work.path(), "full", db, migcov_yaml, false);
    let pushed = collect(work.path(), "pushed", db, migcov_yaml, true);
    assert_eq!(comparison(&pushed), comparison(&full), "{context}");
    pushed.join("rows/pushdown/legacy_office.json").exists()
}

const NAME_AND_CODE: &str =
    "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    \
    columns:\n      name: name\n      code: code\n";

/// Found by an independent check: values that SQL reads otherwise than the export did
/// make a false intact or a crash. Each case gives what a full export gives.
#[test]
fn values_sql_reads_otherwise_give_what_a_full_export_gives() {
    let u1 = "00000000-0000-4000-8000-000000000001";
    let u2 = "00000000-0000-4000-8000-000000000002";
    let base = |key: &str, target_key: &str, legacy_id: &str, modern_id: &str| {
        format!(
            "CREATE TABLE legacy_office (id {key}, name TEXT, code TEXT);\n\
             CREATE TABLE offices (id {target_key}, name TEXT, code TEXT);\n\
             CREATE TABLE legacy_mapping (entity_type TEXT, legacy_id {legacy_id}, modern_id {modern_id});\n"
        )
    };
    // SQLite: a blob target key, a blob modern id, a blob legacy id, a REAL legacy id
    // against a text key `1.0` and against an integer key (the export reads a blob as
    // hex, a REAL 1.0 as `1`).
    let sqlite_cases = [
        ("target key blob", "INTEGER", format!("INSERT INTO offices VALUES (CAST('{u1}' AS BLOB), 'a', 'x'), ('{u2}', 'b', 'y');"),
            "INSERT INTO legacy_office VALUES (1, 'a', 'x'), (2, 'b', 'y');".to_string(),
            format!("INSERT INTO legacy_mapping VALUES ('offices', '1', '{u1}'), ('offices', '2', '{u2}');")),
        ("modern id blob", "INTEGER", format!("INSERT INTO offices VALUES ('{u1}', 'a', 'x'), ('{u2}', 'b', 'y');"),
            "INSERT INTO legacy_office VALUES (1, 'a', 'x'), (2, 'b', 'y');".to_string(),
            format!("INSERT INTO legacy_mapping VALUES ('offices', '1', CAST('{u1}' AS BLOB)), ('offices', '2', '{u2}');")),
        ("legacy id blob", "INTEGER", format!("INSERT INTO offices VALUES ('{u1}', 'a', 'x'), ('{u2}', 'b', 'y');"),
            "INSERT INTO legacy_office VALUES (1, 'a', 'x'), (2, 'b', 'y');".to_string(),
            format!("INSERT INTO legacy_mapping VALUES ('offices', CAST('1' AS BLOB), '{u1}'), ('offices', '2', '{u2}');")),
        ("real legacy id, text key 1.0", "TEXT", format!("INSERT INTO offices VALUES ('{u1}', 'a', 'x'), ('{u2}', 'b', 'y');"),
            "INSERT INTO legacy_office VALUES ('1.0', 'a', 'x'), ('2', 'b', 'y');".to_string(),
            format!("INSERT INTO legacy_mapping VALUES ('offices', 1.0, '{u1}'), ('offices', '2', '{u2}');")),
        ("real legacy id, integer key", "INTEGER", format!("INSERT INTO offices VALUES ('{u1}', 'a', 'x'), ('{u2}', 'b', 'y');"),
            "INSERT INTO legacy_office VALUES (1, 'a', 'x'), (2, 'b', 'y');".to_string(),
            format!("INSERT INTO legacy_mapping VALUES ('offices', 1.0, '{u1}'), ('offices', '2', '{u2}');")),
    ];
    for (name, key, target, legacy, mappings) in sqlite_cases {
        let db = Db::new(Engine::Sqlite, "cpo");
        db.run(&format!(
            "{}{target}\n{legacy}\n{mappings}",
            base(key, "TEXT", "", "")
        ));
        same_both_ways(&db, NAME_AND_CODE, &format!("SQLite, {name}"));
    }
    // MariaDB: a ZEROFILL legacy id (SQL `0001`, exported `1`); a geometry column
    // compared (no text in SQL).
    let db = Db::new(Engine::Maria, "cpo");
    db.run(&format!(
        "CREATE TABLE legacy_office (id INT, name TEXT, code TEXT);\n\
         CREATE TABLE offices (id CHAR(36), name TEXT, code TEXT);\n\
         CREATE TABLE legacy_mapping (entity_type VARCHAR(20), legacy_id INT(4) ZEROFILL, modern_id CHAR(36));\n\
         INSERT INTO legacy_office VALUES (1, 'a', 'x'), (2, 'b', 'y');\n\
         INSERT INTO offices VALUES ('{u1}', 'a', 'x'), ('{u2}', 'b', 'y');\n\
         INSERT INTO legacy_mapping VALUES ('offices', 1, '{u1}'), ('offices', 2, '{u2}');\n"
    ));
    assert!(!same_both_ways(
        &db,
        NAME_AND_CODE,
        "MariaDB, ZEROFILL legacy id"
    ));
    let db = Db::new(Engine::Maria, "cpo");
    db.run(&format!(
        "CREATE TABLE legacy_office (id INT, name TEXT, code POINT);\n\
         CREATE TABLE offices (id CHAR(36), name TEXT, code POINT);\n\
         CREATE TABLE legacy_mapping (entity_type VARCHAR(20), legacy_id VARCHAR(20), modern_id CHAR(36));\n\
         INSERT INTO legacy_office VALUES (1, 'a', POINT(1, 2)), (2, 'b', POINT(3, 4));\n\
         INSERT INTO offices VALUES ('{u1}', 'a', POINT(1, 2)), ('{u2}', 'b', POINT(3, 5));\n\
         INSERT INTO legacy_mapping VALUES ('offices', '1', '{u1}'), ('offices', '2', '{u2}');\n"
    ));
    assert!(!same_both_ways(&db, NAME_AND_CODE, "MariaDB, geometry"));
    // PostgreSQL: the legacy key compared too, a CHAR(6) exported as the ids are (padded).
    let db = Db::new(Engine::Postgres, "cpo");
    db.run(&format!(
        "CREATE TABLE legacy_office (id CHAR(6), name TEXT);\n\
         CREATE TABLE offices (id uuid, legacy_code CHAR(6), name TEXT);\n\
         CREATE TABLE legacy_mapping (entity_type TEXT, legacy_id TEXT, modern_id uuid);\n\
         INSERT INTO legacy_office VALUES ('AB', 'a'), ('CD', 'b');\n\
         INSERT INTO offices VALUES ('{u1}', 'AB', 'a'), ('{u2}', 'CD', 'b');\n\
         INSERT INTO legacy_mapping VALUES ('offices', 'AB', '{u1}'), ('offices', 'CD', '{u2}');\n"
    ));
    same_both_ways(
        &db,
        "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    \
         columns:\n      id: legacy_code\n      name: name\n",
        "PostgreSQL, key compared",
    );
}

/// Found by an independent check: tables named as the statements' own names (`l`, `tr`,
/// `m`, `bad`) were read in their place (SQLite, MariaDB). The statements' names are
/// migcov's own now; a mappings table named `l` and a legacy table named `m` work.
#[test]
fn tables_named_like_the_statements_parts_are_read() {
    for engine in [Engine::Sqlite, Engine::Maria, Engine::Postgres] {
        let db = Db::new(engine, "cpn");
        let case = generate(engine, false, 3);
        create(&db, &case, false);
        db.run(
            "CREATE TABLE l AS SELECT * FROM legacy_mapping;\nCREATE TABLE migcov_m (x INTEGER);\n",
        );
        let work = tempfile::tempdir().unwrap();
        let mappings = "SELECT entity_type, legacy_id, modern_id FROM l";
        let full = collect_with(work.path(), "full", &db, (DECLARATION, mappings), false);
        let pushed = collect_with(work.path(), "pushed", &db, (DECLARATION, mappings), true);
        assert!(
            pushed.join("rows/pushdown/legacy_office.json").exists(),
            "{engine:?}"
        );
        assert_eq!(comparison(&pushed), comparison(&full), "{engine:?}");
    }
}

/// Found by a second check: rows of one key whose values differ only in case or trailing
/// spaces were made one by a `DISTINCT` under the column's collation (case-insensitive,
/// or PAD SPACE even in `utf8mb4_bin`), and the key proved intact. By hand, as the full
/// export reads them: office 1 `abc`/`ABC` against `abc`, office 2 `x`/`x ` against `x`,
/// office 3 `q` against `q`/`Q` all differ.
#[test]
fn values_equal_only_by_a_collation_are_not_proved() {
    let ids = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
    let rows = |collate: &str, uuid: &str, modern: &str| {
        format!(
            "CREATE TABLE legacy_office (id INT, name VARCHAR(50) {collate}, code VARCHAR(10));\n\
             CREATE TABLE offices (id {uuid}, name VARCHAR(50) {collate}, code VARCHAR(10));\n\
             CREATE TABLE legacy_mapping (entity_type VARCHAR(50), legacy_id VARCHAR(50), modern_id {modern});\n\
             INSERT INTO legacy_office VALUES (1, 'abc', 'A'), (1, 'ABC', 'A'), (2, 'x', 'B'), (2, 'x ', 'B'), (3, 'q', 'C'), (4, 'ok', 'D');\n\
             INSERT INTO offices VALUES ('{a}', 'abc', 'A'), ('{b}', 'x', 'B'), ('{c}', 'q', 'C'), ('{c}', 'Q', 'C'), ('{d}', 'ok', 'D');\n\
             INSERT INTO legacy_mapping VALUES ('offices', '1', '{a}'), ('offices', '2', '{b}'), ('offices', '3', '{c}'), ('offices', '4', '{d}');\n",
            a = ids(1),
            b = ids(2),
            c = ids(3),
            d = ids(4)
        )
    };
    let ci = "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);\n";
    let plain = "VARCHAR(36)";
    let cases = [
        (
            Engine::Maria,
            rows("COLLATE utf8mb4_general_ci", "CHAR(36)", plain),
            "",
        ),
        (
            Engine::Maria,
            rows("COLLATE utf8mb4_bin", "CHAR(36)", plain),
            "",
        ),
        (Engine::Postgres, rows("COLLATE ci", "uuid", plain), ci),
        // The ids in a nondeterministic collation too, whose regular expressions failed
        // (found by an independent check).
        (
            Engine::Postgres,
            rows(
                "COLLATE ci",
                "VARCHAR(36) COLLATE ci",
                "VARCHAR(36) COLLATE ci",
            ),
            ci,
        ),
    ];
    for (engine, sql, before) in cases {
        let db = Db::new(engine, "cpc");
        db.run(&format!("{before}{sql}"));
        let work = tempfile::tempdir().unwrap();
        let pushed = collect(work.path(), "pushed", &db, NAME_AND_CODE, true);
        let table = comparison(&pushed)[0].clone();
        assert_eq!(
            (&table["intact"], &table["differs"]),
            (&serde_json::json!(1), &serde_json::json!(3)),
            "{engine:?}: {table}"
        );
        assert!(same_both_ways(&db, NAME_AND_CODE, &format!("{engine:?}")));
    }
}

/// Found by two checks: two entities of one legacy table (or one target table), each with
/// a `content:` declaration, made collect write the table's rows file twice (an error,
/// with or without `--pushdown`). Each table's rows are exported once, with every
/// declaration's columns, and both entities are compared.
#[test]
fn two_declarations_of_one_table_are_collected() {
    for engine in [Engine::Sqlite, Engine::Postgres, Engine::Maria] {
        let db = Db::new(engine, "cp2");
        let case = generate(engine, false, 5);
        create(&db, &case, false);
        db.run(
            "INSERT INTO legacy_mapping SELECT 'archive', legacy_id, modern_id FROM legacy_mapping WHERE entity_type = 'offices';\n",
        );
        let work = tempfile::tempdir().unwrap();
        let declarations = "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    \
            columns:\n      name: name\n  - entity: archive\n    legacy_key: id\n    target_key: id\n    \
            columns:\n      code: code\n";
        let both = format!("{}{}", entity("offices"), entity("archive"));
        std::fs::write(work.path().join("entities.yaml"), both).unwrap();
        for (name, pushdown) in [("full", false), ("pushed", true)] {
            let out = collect(work.path(), name, &db, declarations, pushdown);
            let (_, measures, _) = common::run(&out);
            assert_eq!(
                measures.content.len(),
                2,
                "{engine:?} {name}: {:?}",
                measures.content_not_checked
            );
            assert!(!out.join("rows/pushdown/legacy_office.json").exists());
        }
    }
}

/// A generated case for two servers: integer keys spread far apart and some negative (so
/// the ranges are cut over several levels), each legacy key once (a key listed twice is
/// exported in full, never cut into ranges), amounts that SQLite holds as INTEGERs or REALs
/// when either side is SQLite.
fn generate_two(legacy: Engine, target: Engine, seed: u64, text_keys: bool) -> Case {
    let engine = match [legacy, target].contains(&Engine::Sqlite) {
        true => Engine::Sqlite,
        false => Engine::Postgres,
    };
    let mut case = generate(engine, text_keys, seed);
    if text_keys {
        // Each key once once trimmed (` K-0001\t` is `K-0001`).
        let mut seen = BTreeSet::new();
        case.legacy
            .retain(|(k, _)| seen.insert(k.trim().to_string()));
        return case;
    }
    let spread = |k: &str| -> String {
        let (number, rest) = k.split_at(k.find('-').unwrap_or(k.len()));
        let n: i64 = number.trim().parse().unwrap();
        let n = match n % 5 {
            0 => -(n * 7919),
            _ => n * 7919 + 3,
        };
        format!("{n}{rest}")
    };
    let mut seen = BTreeSet::new();
    case.legacy.retain(|(k, _)| seen.insert(k.clone()));
    for (k, _) in &mut case.legacy {
        *k = spread(k);
    }
    for (l, _) in &mut case.mappings {
        *l = spread(l);
    }
    case
}

/// A value's text as each engine's SQL gives it for the generated columns, or `None` where
/// the ranges never prove it (a SQLite REAL).
fn text_on(engine: Engine, column: usize, value: &Option<String>) -> Option<Option<String>> {
    match (engine, column, value) {
        (Engine::Sqlite, 1, Some(amount)) => amount
            .strip_suffix(".00")
            .map(|whole| Some(whole.to_string())),
        _ => Some(value.clone()),
    }
}

/// The legacy ids the ranges must prove intact: one distinct mapping, to a modern id whose
/// target rows are one distinct row, every value the same text on both engines.
fn provable_by_ranges(case: &Case, (legacy, target): (Engine, Engine)) -> u64 {
    case.legacy
        .iter()
        .filter(|(key, values)| {
            let modern: BTreeSet<String> = case
                .mappings
                .iter()
                .filter(|(l, _)| l.trim() == key.trim())
                .map(|(_, m)| m.to_lowercase())
                .collect();
            let [modern] = &modern.into_iter().collect::<Vec<_>>()[..] else {
                return false;
            };
            let found: BTreeSet<&Values> = case
                .target
                .iter()
                .filter(|(id, _)| id == modern)
                .map(|(_, v)| v)
                .collect();
            let [found] = found.into_iter().collect::<Vec<_>>()[..] else {
                return false;
            };
            (0..values.len()).all(|c| {
                match (
                    text_on(legacy, c, &values[c]),
                    text_on(target, c, &found[c]),
                ) {
                    (Some(a), Some(b)) => a == b,
                    _ => false,
                }
            })
        })
        .count() as u64
}

/// Collects from `source` and `target` (two databases) into `work/name`.
fn collect_two(
    work: &Path,
    name: &str,
    dbs: (&Db, &Db),
    (fetch_below, max_hashed_rows): (u64, u64),
    pushdown: bool,
) -> PathBuf {
    let knobs = format!("  fetch_below: {fetch_below}\n  max_hashed_rows: {max_hashed_rows}\n");
    collect_two_config(work, name, dbs, (DECLARATION, &knobs), pushdown)
}

/// [`collect_two`] with the declaration `migcov_yaml` and the default knobs.
fn collect_two_with(
    work: &Path,
    name: &str,
    dbs: (&Db, &Db),
    migcov_yaml: &str,
    pushdown: bool,
) -> PathBuf {
    collect_two_config(
        work,
        name,
        dbs,
        (migcov_yaml, "  fetch_below: 10000\n"),
        pushdown,
    )
}

fn collect_two_config(
    work: &Path,
    name: &str,
    (source, target): (&Db, &Db),
    (migcov_yaml, knobs): (&str, &str),
    pushdown: bool,
) -> PathBuf {
    std::fs::write(work.join("entities.yaml"), entity("offices")).unwrap();
    std::fs::write(work.join("migcov.yaml"), migcov_yaml).unwrap();
    let config = work.join("collect.yaml");
    std::fs::write(
        &config,
        format!(
            "files: [entities.yaml, migcov.yaml]\nbatch_rows: 7\nqueries:\n  mappings: \
             SELECT entity_type, legacy_id, modern_id FROM legacy_mapping\n\
             pushdown:\n{knobs}"
        ),
    )
    .unwrap();
    run_collect(
        work.join(name),
        (&source.url, &target.url),
        &config,
        pushdown,
    )
}

/// Two servers (the legacy table on one, the target table and the mappings on another,
/// of the same engine or not): the ranges of the integer key are compared by digests of
/// keys and values, and the rows of the ranges that differ exported. The comparison is
/// the full export's, figure for figure, and the ids proved intact are exactly those
/// whose one mapping finds one target row of the same texts, worked out here without SQL.
#[test]
fn two_servers_compare_ranges_as_a_full_export_compares_rows() {
    let pairs = [
        (Engine::Maria, Engine::Postgres),
        (Engine::Postgres, Engine::Maria),
        (Engine::Postgres, Engine::Postgres),
        (Engine::Sqlite, Engine::Postgres),
        (Engine::Maria, Engine::Sqlite),
    ];
    let (mut proved_all, mut rows_all) = (0, 0);
    for (legacy, target) in pairs {
        // Integer keys, cut into ranges of themselves, then text keys (padded with spaces
        // and tabs, in the legacy table and the mappings), into ranges of their MD5.
        for seed in 0..6u64 {
            let text_keys = seed >= 4;
            let context = format!("{legacy:?} -> {target:?}, seed {seed}, text keys {text_keys}");
            let case = generate_two(legacy, target, seed, text_keys);
            let (source_db, target_db) = (Db::new(legacy, "cr"), Db::new(target, "ct"));
            create_on((&source_db, &target_db), &case, text_keys);
            let work = tempfile::tempdir().unwrap();
            // Deep levels (fetch_below 1) and the default, which reads the first level's
            // differing ranges at once; the differing ranges' rows compared by their
            // hashes, or (no hash read) exported whole.
            let fetch_below = [1, 10_000][seed as usize % 2];
            let max_hashed_rows = [0, 8_000_000][(seed as usize / 2 + seed as usize) % 2];
            let knobs = (fetch_below, max_hashed_rows);
            let dbs = (&source_db, &target_db);
            let full = collect_two(work.path(), "full", dbs, knobs, false);
            let pushed = collect_two(work.path(), "pushed", dbs, knobs, true);
            let summary: serde_json::Value = serde_json::from_slice(
                &std::fs::read(pushed.join("rows/pushdown/legacy_office.json"))
                    .unwrap_or_else(|e| panic!("{context}: no summary: {e}")),
            )
            .unwrap();
            let proved = provable_by_ranges(&case, (legacy, target));
            // With the differing ranges' rows compared by their hashes, exactly the truth;
            // with them exported whole (no hash read), an intact id sharing a range with
            // one that differs is exported and compared by the build: never more.
            match max_hashed_rows {
                0 => assert!(
                    summary["intact"].as_u64().unwrap() <= proved,
                    "{context}: {summary}"
                ),
                _ => assert_eq!(summary["intact"], proved, "{context}: {summary}"),
            }
            assert_eq!(summary["legacy_rows"], case.legacy.len(), "{context}");
            assert_eq!(summary["target_rows"], case.target.len(), "{context}");
            assert_eq!(comparison(&pushed), comparison(&full), "{context}");
            // Every legacy row proved intact or exported, never both.
            let intact = summary["intact"].as_u64().unwrap();
            let exported = rows_in(&pushed.join("rows/legacy/legacy_office.parquet"));
            assert_eq!(
                exported as u64 + intact,
                case.legacy.len() as u64,
                "{context}"
            );
            (proved_all, rows_all) = (proved_all + intact, rows_all + case.legacy.len() as u64);
        }
    }
    assert!(
        proved_all > 0 && proved_all < rows_all,
        "{proved_all} of {rows_all}"
    );
    eprintln!("two servers: {proved_all} ids proved intact of {rows_all} legacy rows");
}

/// Found by an independent check: MySQL's TIMESTAMP is exported with `+00:00`, which its
/// `CAST` has not, so a zero date (no instant) was proved equal to the same text in a
/// SQLite instant column, where the full export compares `0000-00-00 00:00:00+00:00` with
/// `0000-00-00 00:00:00`. Both directions give what a full export gives.
#[test]
fn two_servers_hash_instants_as_the_export_writes_them() {
    let u = |i: u32| format!("00000000-0000-4000-8000-{i:012}");
    for (legacy, target) in [
        (Engine::Maria, Engine::Sqlite),
        (Engine::Sqlite, Engine::Maria),
    ] {
        let context = format!("{legacy:?} -> {target:?}");
        let (source_db, target_db) = (Db::new(legacy, "tsl"), Db::new(target, "tst"));
        let opened = |engine: Engine| match engine {
            Engine::Maria => "TIMESTAMP NULL DEFAULT NULL",
            _ => "TIMESTAMP WITH TIME ZONE",
        };
        let times = [
            "0000-00-00 00:00:00",
            "2020-01-01 10:00:00",
            "2021-05-05 05:05:05",
        ];
        let zero_dates = match legacy == Engine::Maria || target == Engine::Maria {
            true => "SET SESSION sql_mode = '';\n",
            false => "",
        };
        let legacy_rows: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(i, t)| format!("({}, '{t}')", i + 1))
            .collect();
        source_db.run(&format!(
            "{}CREATE TABLE legacy_office (id INTEGER, opened_at {});\nINSERT INTO legacy_office VALUES {};\n",
            if legacy == Engine::Maria { zero_dates } else { "" },
            opened(legacy),
            legacy_rows.join(", ")
        ));
        let target_rows: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(i, t)| format!("('{}', '{t}')", u(i as u32 + 1)))
            .collect();
        let mappings: Vec<String> = (1..=times.len())
            .map(|i| format!("('offices', '{i}', '{}')", u(i as u32)))
            .collect();
        target_db.run(&format!(
            "{}CREATE TABLE offices (id CHAR(36), opened_at {});\n\
             CREATE TABLE legacy_mapping (entity_type VARCHAR(20), legacy_id VARCHAR(40), modern_id CHAR(36));\n\
             INSERT INTO offices VALUES {};\nINSERT INTO legacy_mapping VALUES {};\n",
            if target == Engine::Maria { zero_dates } else { "" },
            opened(target),
            target_rows.join(", "),
            mappings.join(", ")
        ));
        let work = tempfile::tempdir().unwrap();
        let dbs = (&source_db, &target_db);
        let yaml = "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    \
                    columns:\n      opened_at: opened_at\n";
        let full = collect_two_with(work.path(), "full", dbs, yaml, false);
        let pushed = collect_two_with(work.path(), "pushed", dbs, yaml, true);
        let (full, pushed) = (comparison(&full), comparison(&pushed));
        assert_eq!(pushed, full, "{context}");
        // The zero date differs as exported; the two instants are intact.
        assert_eq!(full[0]["intact"], 2, "{context}: {full}");
        assert_eq!(full[0]["differs"], 1, "{context}: {full}");
    }
}

/// A target table read through a view (a migration that exposes its tables as views): the
/// view's rows are collected and compared, in full and pushed down alike, on every engine;
/// in PostgreSQL a materialized view too, whose columns information_schema does not list.
#[test]
fn a_view_named_by_a_declaration_is_collected() {
    for (engine, view) in [
        (Engine::Sqlite, "VIEW"),
        (Engine::Postgres, "VIEW"),
        (Engine::Postgres, "MATERIALIZED VIEW"),
        (Engine::Maria, "VIEW"),
    ] {
        let db = Db::new(engine, "cpv");
        let case = generate(engine, false, 11);
        create(&db, &case, false);
        db.run(&format!(
            "CREATE {view} offices_view AS SELECT * FROM offices;\n"
        ));
        let work = tempfile::tempdir().unwrap();
        let viewed =
            entity("offices").replace("target_table: offices", "target_table: offices_view");
        std::fs::write(work.path().join("entities.yaml"), viewed).unwrap();
        let full = collect(work.path(), "full", &db, DECLARATION, false);
        assert!(
            full.join("rows/target/offices_view.parquet").exists(),
            "{engine:?} {view}"
        );
        let pushed = collect(work.path(), "pushed", &db, DECLARATION, true);
        let (full, pushed) = (comparison(&full), comparison(&pushed));
        assert_eq!(pushed, full, "{engine:?}");
        assert!(
            full[0]["intact"].as_u64().unwrap() > 0,
            "{engine:?}: {full}"
        );
    }
}

/// Found by an independent check, each giving a figure other than a full export's:
/// a PostgreSQL `CHAR(8)` key compared as a value (its text in SQL drops the padding the
/// export keeps: proved equal to the unpadded target), on one database and on two; SQLite
/// keys beginning with a NUL (SQLite's `length` counts characters up to it, so they were
/// no keys); keys empty once trimmed, exported with a differing range and taken from the
/// ids proved intact. Each gives what a full export gives.
#[test]
fn keys_found_by_independent_checks_give_what_a_full_export_gives() {
    let uuid = |i: usize| format!("00000000-0000-4000-8000-{i:012}");
    let name_and_id = "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    \
                       columns:\n      name: name\n      id: code\n";
    let name_only = "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    \
                     columns:\n      name: name\n";
    // (legacy engine, target engine, legacy keys as SQL, whether the key is compared,
    // knobs of `pushdown:`)
    type Case = (Engine, Engine, Vec<String>, bool, &'static str);
    let texts = |keys: &[&str]| keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>();
    let mut plain: Vec<String> = (0..300).map(|i| format!("'k{i}'")).collect();
    let padded = plain.clone();
    plain.extend(texts(&["near3028", "", "  "]));
    let mut nul = padded.clone();
    nul.extend(["char(0) || 'abc'", "char(0)", "'x' || char(0) || 'y'"].map(String::from));
    let cases: Vec<Case> = vec![
        (
            Engine::Postgres,
            Engine::Maria,
            padded.clone(),
            true,
            "  fetch_below: 10000\n",
        ),
        (
            Engine::Postgres,
            Engine::Postgres,
            plain,
            false,
            "  fetch_below: 1\n  max_hashed_rows: 0\n",
        ),
        (
            Engine::Sqlite,
            Engine::Maria,
            nul,
            false,
            "  fetch_below: 10000\n",
        ),
    ];
    for (n, (legacy, target, keys, compared, knobs)) in cases.into_iter().enumerate() {
        let context = format!("case {n}: {legacy:?} -> {target:?}");
        let (source_db, target_db) = (Db::new(legacy, "ck"), Db::new(target, "cj"));
        let key_type = match (legacy, compared) {
            (Engine::Postgres, true) => "CHAR(8)",
            _ => "VARCHAR(20)",
        };
        let rows: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("({k}, 'name{i}')"))
            .collect();
        source_db.run(&format!(
            "CREATE TABLE legacy_office (id {key_type}, name VARCHAR(20));\n\
             INSERT INTO legacy_office VALUES {};\n",
            rows.join(", ")
        ));
        // The mappings name each key as written (MariaDB: its NUL by CHAR(0)), but the
        // empty ones; every third target name differs.
        let in_target = |k: &str| match target {
            Engine::Maria => k.replace("char(0)", "CHAR(0)").replace(" || ", ", "),
            _ => k.to_string(),
        };
        let as_text = |k: &str| match (target, k.contains("char(0)")) {
            (Engine::Maria, true) => format!("CONCAT({})", in_target(k)),
            _ => k.to_string(),
        };
        let (mut targets, mut mappings) = (Vec::new(), Vec::new());
        for (i, k) in keys.iter().enumerate() {
            if k.trim_matches('\'').trim().is_empty() {
                continue;
            }
            let name = match i % 3 == 0 || k.contains("near") {
                true => "CHANGED".to_string(),
                false => format!("name{i}"),
            };
            targets.push(format!("('{}', '{name}', {})", uuid(i + 1), as_text(k)));
            mappings.push(format!("('offices', {}, '{}')", as_text(k), uuid(i + 1)));
        }
        target_db.run(&format!(
            "CREATE TABLE offices (id CHAR(36), name VARCHAR(20), code VARCHAR(60));\n\
             CREATE TABLE legacy_mapping (entity_type VARCHAR(20), legacy_id VARCHAR(60), modern_id CHAR(36));\n\
             INSERT INTO offices VALUES {};\nINSERT INTO legacy_mapping VALUES {};\n",
            targets.join(", "),
            mappings.join(", ")
        ));
        let yaml = match compared {
            true => name_and_id,
            false => name_only,
        };
        let work = tempfile::tempdir().unwrap();
        let dbs = (&source_db, &target_db);
        let full = collect_two_config(work.path(), "full", dbs, (yaml, knobs), false);
        let pushed = collect_two_config(work.path(), "pushed", dbs, (yaml, knobs), true);
        assert_eq!(comparison(&pushed), comparison(&full), "{context}");
        if compared {
            // And on one database: the legacy table beside the target's.
            target_db.run(&format!(
                "CREATE TABLE legacy_office (id CHAR(8), name VARCHAR(20));\n\
                 INSERT INTO legacy_office VALUES {};\n",
                rows.join(", ")
            ));
            let work = tempfile::tempdir().unwrap();
            let full = collect(work.path(), "full", &target_db, yaml, false);
            let pushed = collect(work.path(), "pushed", &target_db, yaml, true);
            assert_eq!(
                comparison(&pushed),
                comparison(&full),
                "{context}, one database"
            );
        }
    }
}

/// Found by an independent check: in SQLite a modern id and a target key of a UUID and a
/// NUL after it (`…0001\0x`) passed for a UUID (`length` and GLOB stop at the NUL), and the
/// pushed-down comparison was not made. It gives what a full export gives.
#[test]
fn a_sqlite_uuid_followed_by_a_nul_is_no_uuid() {
    let db = Db::new(Engine::Sqlite, "cpn");
    let id = |i: u32| format!("'00000000-0000-4000-8000-{i:012}'");
    let (mut legacy, mut target, mut mappings) = (Vec::new(), Vec::new(), Vec::new());
    for i in 1..=10u32 {
        let uuid = match i % 5 {
            0 => format!("{} || char(0) || 'x'", id(i)),
            _ => id(i),
        };
        legacy.push(format!("({i}, 'N{i}', 'C')"));
        target.push(format!("({uuid}, 'N{i}', 'C')"));
        mappings.push(format!("('offices', '{i}', {uuid})"));
    }
    db.run(&format!(
        "CREATE TABLE legacy_office (id INTEGER, name TEXT, code TEXT);\n\
         CREATE TABLE offices (id TEXT, name TEXT, code TEXT);\n\
         CREATE TABLE legacy_mapping (entity_type TEXT, legacy_id TEXT, modern_id TEXT);\n\
         INSERT INTO legacy_office VALUES {};\nINSERT INTO offices VALUES {};\n\
         INSERT INTO legacy_mapping VALUES {};\n",
        legacy.join(", "),
        target.join(", "),
        mappings.join(", ")
    ));
    same_both_ways(&db, NAME_AND_CODE, "SQLite, a NUL after a UUID");
}
