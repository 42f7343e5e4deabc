//! Arrived intact in partitions: past `content_partition_rows` legacy rows a comparison is
//! split by legacy key, spilled to disk and compared a partition at a time. Whatever the
//! split, every count, sample and aggregate must be those of the comparison made whole:
//! a property test over random migrations (text, integer and padded keys; keys repeated
//! in the legacy file, mapped twice, mapped to no target row, two keys mapped to one
//! target row; mapping rows repeated word
//! for word; target rows repeated; numbers at several scales, past 38 digits and no
//! numbers at all; instants across a DST change and no instants; NULLs and empty texts),
//! from CSV and from Parquet, split into 1 to 7 rows a partition.

mod common;

use common::{base_with, csv_as_parquet, only_table, run};
use proptest::prelude::*;

/// A small deterministic generator (splitmix64), so a case is its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }
}

fn uuid(n: u64) -> String {
    format!("7a0c8f3e-2b4d-4e6f-8a1b-{n:012}")
}

/// One value of a column, as a CSV field (empty is NULL to the reader).
fn value(rng: &mut Rng, column: &str) -> String {
    let text = match column {
        "t" => rng
            .pick(&[
                "a",
                "A",
                " a ",
                "b",
                "Zürich",
                "zürich",
                "",
                "x,y",
                "ß",
                "\u{1F600}",
            ])
            .to_string(),
        "n" => rng
            .pick(&[
                "1.5",
                "1.50",
                "1.499",
                "-0.001",
                "0",
                "100",
                "12345678901234567890123456789012345.6",
                "90000000000000000000000000000000000000",
                "abc",
                "2e3",
                "",
            ])
            .to_string(),
        _ => rng
            .pick(&[
                "2026-03-01 08:00:00",
                "2026-10-25 02:30:00",
                "2026-03-29 02:30:00",
                "2026-03-01T07:00:00Z",
                "2026-03-01 08:00:00.000000001",
                "not a time",
                "",
            ])
            .to_string(),
    };
    match text.contains(',') {
        true => format!("\"{text}\""),
        false => text,
    }
}

/// A random migration of the base's offices: `migcov.yaml` (with `partition_rows`, if
/// any), the mappings, and the rows files (as Parquet with `parquet`).
fn migration(seed: u64, parquet: bool, partition_rows: Option<u64>) -> tempfile::TempDir {
    let mut rng = Rng(seed);
    let data = base_with(None);
    let write = |path: &str, text: &str| {
        let path = data.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let text_keys = rng.below(2) == 0;
    let key = |n: u64, padded: bool| match (text_keys, padded) {
        (true, false) => format!("K-{n}"),
        (true, true) => format!(" K-{n} "),
        (false, _) => n.to_string(),
    };
    let columns = ["t", "n", "ts"];
    let (rows, mut legacy, mut mappings, mut target) = (
        1 + rng.below(40),
        String::from("id,t,n,ts\n"),
        String::from("entity_type,legacy_id,modern_id\n"),
        String::from("id,t,n,ts\n"),
    );
    let row = |rng: &mut Rng, id: &str| {
        let values: Vec<String> = columns.iter().map(|c| value(rng, c)).collect();
        format!("{id},{}\n", values.join(","))
    };
    for n in 1..=rows {
        let id = key(n, rng.below(5) == 0);
        legacy.push_str(&row(&mut rng, &id));
        // A key repeated in the legacy file.
        if rng.below(8) == 0 {
            legacy.push_str(&row(&mut rng, &id));
        }
        // Mapped to none, one or two modern ids, some mapping rows written twice.
        // Or to the modern id of the key before it (two legacy rows, one target row).
        let modern: Vec<u64> = match rng.below(8) {
            0 => vec![],
            1 => vec![n, 1_000 + n],
            2 if n > 1 => vec![n - 1],
            _ => vec![n],
        };
        for m in modern {
            let line = format!("OFFICE,{},{}\n", key(n, false), uuid(m));
            mappings.push_str(&line);
            if rng.below(10) == 0 {
                mappings.push_str(&line);
            }
            // Its target row: missing, present, or present twice; its values the legacy
            // row's kind of values, so some agree and some differ.
            match rng.below(10) {
                0 => {}
                1 => {
                    target.push_str(&row(&mut rng, &uuid(m)));
                    target.push_str(&row(&mut rng, &uuid(m)));
                }
                _ => target.push_str(&row(&mut rng, &uuid(m))),
            }
        }
    }
    // Mappings of keys with no legacy row, and target rows no mapping names.
    mappings.push_str(&format!("OFFICE,{},{}\n", key(9_999, false), uuid(9_999)));
    target.push_str(&row(&mut rng, &uuid(8_888)));
    let scale = match rng.below(3) {
        0 => ", scale: 2".to_string(),
        1 => ", tolerance: 0.01".to_string(),
        _ => String::new(),
    };
    let setting = partition_rows
        .map(|n| format!("content_partition_rows: {n}\n"))
        .unwrap_or_default();
    write(
        "migcov.yaml",
        &format!(
            "{setting}content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    columns:\n      t: {{target: t, trim: true, case: lower, null_equals_empty: true}}\n      n: {{target: n{scale}}}\n      ts: {{target: ts, time_zone: {{legacy: Europe/Zurich, target: UTC}}}}\n      shout: {{target: t, transform: \"upper(t)\"}}\n"
        ),
    );
    write("mappings/offices.csv", &mappings);
    write("rows/legacy/dispatch_office.csv", &legacy);
    write("rows/target/offices.csv", &target);
    if parquet {
        for side in ["legacy/dispatch_office", "target/offices"] {
            let csv = data.path().join(format!("rows/{side}.csv"));
            csv_as_parquet(&csv, &data.path().join(format!("rows/{side}.parquet")));
            std::fs::remove_file(csv).unwrap();
        }
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn a_comparison_split_in_partitions_is_the_whole_ones(
        seed in any::<u64>(),
        parquet in any::<bool>(),
        partition_rows in 1u64..8,
    ) {
        let outcome = |data: &tempfile::TempDir| {
            let (_, measures, _) = run(data.path());
            (measures.content, measures.content_not_checked)
        };
        let whole = outcome(&migration(seed, parquet, None));
        let split = outcome(&migration(seed, parquet, Some(partition_rows)));
        prop_assert_eq!(&split, &whole);
        // Not checked only where no legacy row has a mapping (all the generator's cases
        // otherwise compare).
        prop_assert!(
            whole.0.len() == 1 || whole.1[0].reason.contains("has a mapping"),
            "{:?}",
            whole.1
        );
    }
}

/// A declaration that splits nothing (more rows a partition than there are) gives the
/// same comparison as none, and the split one reads its mappings' rows only once each:
/// two partitions of a migration whose every key is mapped twice still count each
/// legacy row once.
#[test]
fn keys_mapped_twice_are_counted_once_over_partitions() {
    let data = base_with(None);
    let write = |path: &str, text: &str| {
        std::fs::write(data.path().join(path), text).unwrap();
    };
    std::fs::create_dir_all(data.path().join("rows/legacy")).unwrap();
    std::fs::create_dir_all(data.path().join("rows/target")).unwrap();
    let (mut legacy, mut mappings, mut target) = (
        String::from("id,v\n"),
        String::from("entity_type,legacy_id,modern_id\n"),
        String::from("id,v\n"),
    );
    for n in 1..=20u64 {
        legacy.push_str(&format!("{n},{n}\n"));
        for m in [n, 100 + n] {
            mappings.push_str(&format!("OFFICE,{n},{}\n", uuid(m)));
            // Office 7's second target differs.
            let v = if m == 107 { 0 } else { n };
            target.push_str(&format!("{},{v}\n", uuid(m)));
        }
    }
    write("mappings/offices.csv", &mappings);
    write("rows/legacy/dispatch_office.csv", &legacy);
    write("rows/target/offices.csv", &target);
    let declaration = "content:\n  - entity: offices\n    legacy_key: id\n    target_key: id\n    columns:\n      v: v\n";
    for setting in ["", "content_partition_rows: 3\n"] {
        write("migcov.yaml", &format!("{setting}{declaration}"));
        let table = only_table(&data);
        assert_eq!(
            (table.mapped, table.compared, table.intact, table.differs),
            (20, 20, 19, 1),
            "{setting}"
        );
        let distinct: Vec<_> = table.columns[0]
            .aggregates
            .iter()
            .map(|a| (a.name.as_str(), a.legacy.as_deref(), a.target.as_deref()))
            .collect();
        // Each legacy value once a target: 40 compared values a side, 20 distinct on the
        // legacy side, 21 on the target's (0 beside 1 to 20); texts, so 9 is the highest;
        // lengths 9 × 1 + 11 × 2 = 31 a copy.
        assert_eq!(
            distinct,
            [
                ("values", Some("40"), Some("40")),
                ("nulls", Some("0"), Some("0")),
                ("distinct", Some("20"), Some("21")),
                ("min", Some("1"), Some("0")),
                ("max", Some("9"), Some("9")),
                ("sum of lengths", Some("62"), Some("62")),
            ],
            "{setting}"
        );
    }
}

/// A build that is killed while it compares in partitions leaves its temporary folder
/// behind (no drop runs): the next comparison in partitions removes the folders whose
/// build's process is gone, keeps those of a build still running, and leaves none of its
/// own (found by an independent check: SIGTERM left 10,000 files of legacy values).
#[test]
fn folders_of_killed_builds_are_removed_and_none_is_left() {
    let data = migration(7, false, Some(2));
    let temp = tempfile::tempdir().unwrap();
    // No process has this pid (past any pid_max); this test's own process runs.
    let dead = temp.path().join("migcov-content-2147483646-Ab3dE7");
    let live = temp
        .path()
        .join(format!("migcov-content-{}-Zy9xW1", std::process::id()));
    for folder in [&dead, &live] {
        std::fs::create_dir_all(folder).unwrap();
        std::fs::write(folder.join("legacy-0-0.arrow"), "values").unwrap();
    }
    // A link named as a dead build's folder, to a folder of someone else's files: the
    // link is no folder of migcov's, and what it points to is never touched.
    let theirs = tempfile::tempdir().unwrap();
    std::fs::write(theirs.path().join("keep.txt"), "theirs").unwrap();
    let link = temp.path().join("migcov-content-2147483645-Qq1rT2");
    std::os::unix::fs::symlink(theirs.path(), &link).unwrap();
    // A user's folder that only starts like one (2026 is read as no pid).
    let dated = temp.path().join("migcov-content-2026-12-05");
    std::fs::create_dir_all(&dated).unwrap();
    // The build compared in partitions (it wrote the comparison).
    let content = built_with_temp(&data, temp.path(), temp.path());
    assert!(content.contains("\"entity\": \"offices\""), "{content}");
    let left: Vec<String> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("migcov-content-"))
        .collect();
    let mut left = left;
    left.sort();
    let mut kept =
        [&link, &live, &dated].map(|p| p.file_name().unwrap().to_string_lossy().into_owned());
    kept.sort();
    assert_eq!(left, kept);
    assert!(theirs.path().join("keep.txt").exists());
}

/// A temporary folder that cannot be written (TMPDIR missing) leaves the entity not
/// checked, saying it is the folder's fault, not the rows files' (found by an independent
/// check); the same data in one piece needs no folder.
#[test]
fn a_temporary_folder_that_cannot_be_used_is_named_as_the_reason() {
    let data = migration(11, false, Some(2));
    let temp = tempfile::tempdir().unwrap();
    let content = built_with_temp(&data, temp.path(), &temp.path().join("no such folder"));
    assert!(
        content.contains("the comparison in partitions could not use its temporary folder")
            && !content.contains("cannot be read as text"),
        "{content}"
    );
}

/// `migcov build` of `data` into `<work>/site` with `TMPDIR` set to `temp`: its
/// `content.json`.
fn built_with_temp(
    data: &tempfile::TempDir,
    work: &std::path::Path,
    temp: &std::path::Path,
) -> String {
    let site = work.join("site");
    common::build_site(data.path(), &site, "2026-12-05", &[("TMPDIR", temp)]);
    std::fs::read_to_string(site.join("api/validate/content.json")).unwrap()
}
