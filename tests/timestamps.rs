//! Timestamps as databases write them: offsets converted to UTC, zone-less times in the
//! configured zone, integer epochs only with a declared unit, and every bad file of a run
//! named at once.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{base_with, csv_as_parquet, run};
use predicates::prelude::*;

const HEADER: &str = "script_id,entity_id,execution_date,records_processed,records_successful,records_failed,records_skipped,execution_time_ms\n";

fn metrics_with(data: &Path, dates: &[&str]) {
    let mut text = String::from(HEADER);
    for date in dates {
        text.push_str(&format!("office-migration.ts,offices,{date},5,5,0,0,500\n"));
    }
    std::fs::write(data.join("metrics/run.csv"), text).unwrap();
}

/// The execution dates as loaded, in file order, as ISO 8601 UTC.
fn loaded_dates(data: &Path) -> Vec<String> {
    let (inputs, _, _) = run(data);
    let dates = inputs
        .metrics
        .column("execution_date")
        .unwrap()
        .i64()
        .unwrap()
        .clone();
    (0..dates.len())
        .map(|i| migcov::model::format_timestamp(dates.get(i).unwrap()))
        .collect()
}

#[test]
fn offsets_and_database_text_become_utc() {
    let data = base_with(None);
    metrics_with(
        data.path(),
        &[
            "2026-11-28 20:13:09.886579+00",  // PostgreSQL timestamptz text
            "2026-11-28T20:13:09+00:00",      // RFC 3339
            "2026-11-28T20:13:09+05:30",      // India
            "2026-11-28 20:13:09-08",         // short negative offset
            "2026-11-28T20:13:09.123456789Z", // nanoseconds
            "2026-11-28 20:13:09",            // MySQL DATETIME: no zone, UTC by default
            "2026-11-28T20:13:09+0200",       // offset without a colon
            " 2026-11-28 20:13:09 +01:00 ",   // spaces around
        ],
    );
    assert_eq!(
        loaded_dates(data.path()),
        [
            // Milliseconds shown when there are any (an independent check found them
            // dropped from every output, where the contract says they are kept).
            "2026-11-28T20:13:09.886Z",
            "2026-11-28T20:13:09Z",
            "2026-11-28T14:43:09Z",
            "2026-11-29T04:13:09Z",
            "2026-11-28T20:13:09.123Z",
            "2026-11-28T20:13:09Z",
            "2026-11-28T18:13:09Z",
            "2026-11-28T19:13:09Z",
        ]
    );
}

#[test]
fn zone_less_times_are_read_in_the_configured_zone() {
    let data = base_with(None);
    std::fs::write(data.path().join("migcov.yaml"), "timezone: Europe/Berlin\n").unwrap();
    // Winter (UTC+1) and summer (UTC+2); an offset given in the text wins over the zone.
    metrics_with(
        data.path(),
        &[
            "2026-01-15 09:00:00",
            "2026-07-15 09:00:00",
            "2026-07-15 09:00:00Z",
        ],
    );
    assert_eq!(
        loaded_dates(data.path()),
        [
            "2026-01-15T08:00:00Z",
            "2026-07-15T07:00:00Z",
            "2026-07-15T09:00:00Z"
        ]
    );
}

/// `migcov validate` of `data` stops with exit 2, its error saying `message`.
fn refused(data: &Path, message: &str) -> assert_cmd::assert::Assert {
    Command::cargo_bin("migcov")
        .unwrap()
        .args(["validate", "--data"])
        .arg(data)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(message.to_string()))
}

#[test]
fn integer_epochs_need_a_declared_unit() {
    let data = base_with(None);
    metrics_with(data.path(), &["1772438400"]);
    refused(
        data.path(),
        "metrics/run.csv row 1: column `execution_date`: expected an ISO 8601 timestamp",
    )
    .stderr(predicates::str::contains("epoch_unit"));
    std::fs::write(data.path().join("migcov.yaml"), "epoch_unit: s\n").unwrap();
    assert_eq!(loaded_dates(data.path()), ["2026-03-02T08:00:00Z"]);
    std::fs::write(data.path().join("migcov.yaml"), "epoch_unit: ms\n").unwrap();
    metrics_with(data.path(), &["1772438400000"]);
    assert_eq!(loaded_dates(data.path()), ["2026-03-02T08:00:00Z"]);
}

/// An epoch past the years an ISO 8601 timestamp can give (1 to 9999) is a value that does
/// not convert, named by its row; 2^63 - 1 seconds once wrapped round to another date.
#[test]
fn epochs_past_the_year_9999_do_not_convert() {
    let data = base_with(None);
    for (unit, last, past) in [
        ("s", "253402300799", ["253402300800", "9223372036854775807"]),
        (
            "ms",
            "253402300799999",
            ["253402300800000", "9223372036854775807"],
        ),
        (
            "us",
            "253402300799999999",
            ["253402300800000000", "-62135596800000001"],
        ),
    ] {
        std::fs::write(
            data.path().join("migcov.yaml"),
            format!("epoch_unit: {unit}\n"),
        )
        .unwrap();
        metrics_with(data.path(), &[last]);
        let last_second = match unit {
            "s" => "9999-12-31T23:59:59Z",
            _ => "9999-12-31T23:59:59.999Z",
        };
        assert_eq!(loaded_dates(data.path()), [last_second], "{unit}");
        for value in past {
            metrics_with(data.path(), &[last, value]);
            refused(
                data.path(),
                "metrics/run.csv row 2: column `execution_date`",
            )
            // With a unit declared, the message says what a number must be, not that one
            // needs a unit.
            .stderr(predicates::str::contains(format!(
                "or a whole number of {} since 1970-01-01 UTC",
                match unit {
                    "s" => "seconds",
                    "ms" => "milliseconds",
                    _ => "microseconds",
                }
            )))
            .stderr(predicates::str::contains("only with epoch_unit").not());
        }
    }
}

/// Found by an independent check: a text with an offset that carries it past the year
/// 9999 in UTC (`9999-12-31T23:59:59-01:00`) was read, and shown as `+10000-…`; so was the
/// year 0. As an epoch or a Parquet datetime past those years, it does not convert, named
/// by its row, in the fast shape and in the mixed one; the last instant reads.
#[test]
fn texts_past_the_year_9999_in_utc_do_not_convert() {
    let data = base_with(None);
    metrics_with(data.path(), &["9999-12-31T22:59:59-01:00"]);
    assert_eq!(loaded_dates(data.path()), ["9999-12-31T23:59:59Z"]);
    for rows in [
        ["2026-03-01T08:00:00Z", "9999-12-31T23:59:59-01:00"],
        ["2026-03-01 08:00:00+00", "9999-12-31 23:59:59 -01"],
        ["2026-03-01T08:00:00Z", "0000-06-01T00:00:00Z"],
    ] {
        metrics_with(data.path(), &rows);
        refused(
            data.path(),
            "metrics/run.csv row 2: column `execution_date`",
        );
    }
}

/// A Parquet datetime past the year 9999 does not convert either, with a zone or without.
#[test]
fn parquet_datetimes_past_the_year_9999_do_not_convert() {
    use polars::prelude::*;
    let data = base_with(None);
    let csv = data.path().join("metrics/run.csv");
    let parquet = data.path().join("metrics/run.parquet");
    let last = 253_402_300_799_000i64;
    for zone in [Some(TimeZone::UTC), None] {
        for (dates, rejected) in [(vec![last], false), (vec![last, last + 1000], true)] {
            metrics_with(data.path(), &vec!["2026-03-02T08:00:00Z"; dates.len()]);
            csv_as_parquet(&csv, &parquet);
            std::fs::remove_file(&csv).unwrap();
            let mut frame = ParquetReader::new(std::fs::File::open(&parquet).unwrap())
                .finish()
                .unwrap();
            let dtype = DataType::Datetime(TimeUnit::Milliseconds, zone.clone());
            frame
                .with_column(
                    Column::new("execution_date".into(), dates)
                        .cast(&dtype)
                        .unwrap(),
                )
                .unwrap();
            ParquetWriter::new(std::fs::File::create(&parquet).unwrap())
                .finish(&mut frame)
                .unwrap();
            match rejected {
                true => {
                    refused(
                        data.path(),
                        "metrics/run.parquet row 2: column `execution_date`",
                    );
                }
                false => assert_eq!(loaded_dates(data.path()), ["9999-12-31T23:59:59Z"]),
            }
            std::fs::remove_file(&parquet).unwrap();
        }
    }
}

#[test]
fn every_bad_file_is_named_in_one_run() {
    let data = base_with(None);
    metrics_with(data.path(), &["2026-11-28T20:13:09Z", "yesterday"]);
    std::fs::write(
        data.path().join("logs/log.csv"),
        "script_id,operation_type,timestamp,level,message\noffice-migration.ts,MIGRATE,28/11/2026,INFO,x\n",
    )
    .unwrap();
    std::fs::write(
        data.path().join("source_ids/dispatch_office.csv"),
        "identifier\n1\n",
    )
    .unwrap();
    let output = Command::cargo_bin("migcov")
        .unwrap()
        .args(["validate", "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for text in [
        "3 inputs cannot be loaded:",
        "metrics/run.csv row 2: column `execution_date`",
        "\"yesterday\"",
        "logs/log.csv row 1: column `timestamp`",
        "source_ids/dispatch_office.csv: missing required column `id`",
    ] {
        assert!(stderr.contains(text), "{text:?} not in {stderr}");
    }
}

#[test]
fn an_unknown_zone_names_the_file() {
    let data = base_with(None);
    std::fs::write(data.path().join("migcov.yaml"), "timezone: Mars/Olympus\n").unwrap();
    Command::cargo_bin("migcov")
        .unwrap()
        .args(["validate", "--data"])
        .arg(data.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "migcov.yaml: timezone: expected an IANA zone such as Europe/Berlin or UTC, found \"Mars/Olympus\"",
        ));
}

#[test]
fn a_column_mixing_shapes_reads_every_value() {
    // The first value decides the fast pass's one format; every other shape in the column
    // still reads, through the full parser.
    let data = base_with(None);
    metrics_with(
        data.path(),
        &[
            "2026-11-28T20:13:09Z",
            "2026-11-28T20:13:09.000Z",
            "2026-11-28T20:13:09",
            "2026-11-28 20:13:09.000",
            "2026-11-28 20:13:09",
            "2026-11-28T20:13:09+05:30",
            "2026-11-28t20:13:09z",
        ],
    );
    assert_eq!(
        loaded_dates(data.path()),
        [
            "2026-11-28T20:13:09Z",
            "2026-11-28T20:13:09Z",
            "2026-11-28T20:13:09Z",
            "2026-11-28T20:13:09Z",
            "2026-11-28T20:13:09Z",
            "2026-11-28T14:43:09Z",
            "2026-11-28T20:13:09Z",
        ]
    );
}

#[test]
fn a_bad_mapping_time_is_named_though_the_column_is_not_kept() {
    // `migrated_at` reaches no figure, so it is dropped after loading: still checked.
    let data = base_with(None);
    let mappings = data.path().join("mappings/m.csv");
    std::fs::write(
        &mappings,
        "entity_type,legacy_id,modern_id,migration_batch,migrated_at\n\
         OFFICE,1,6f1c2f0e-4d3b-4c1a-9b7e-2f5d8c9a0b11,b1,2026-03-01T08:00:00Z\n\
         OFFICE,2,7f1c2f0e-4d3b-4c1a-9b7e-2f5d8c9a0b12,b1,yesterday\n",
    )
    .unwrap();
    let stderr = failed_build(data.path());
    for part in ["mappings/m.csv", "row 2", "migrated_at", "yesterday"] {
        assert!(stderr.contains(part), "{part} not in {stderr}");
    }
}

/// Writes `csv` (mapping rows) as `mappings/m.parquet`, every column as text.
fn parquet_mappings(data: &Path, csv: &str) {
    let text = data.join("m.csv.tmp");
    std::fs::write(&text, csv).unwrap();
    csv_as_parquet(&text, &data.join("mappings/m.parquet"));
    std::fs::remove_file(&text).unwrap();
}

/// `migcov build` on `data`, which must fail on bad input (exit 2): its stderr.
fn failed_build(data: &Path) -> String {
    let out = tempfile::tempdir().unwrap();
    let assert = Command::cargo_bin("migcov")
        .unwrap()
        .args(["build", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out.path().join("site"))
        .assert()
        .code(2);
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn a_parquet_mapping_time_is_tested_apart_and_named() {
    // In Parquet, `migrated_at` is tested in a pass of its own: a bad value is still named
    // by file, row and column; times in another shape than the first still read.
    let data = base_with(None);
    parquet_mappings(
        data.path(),
        "entity_type,legacy_id,modern_id,migration_batch,migrated_at\n\
         OFFICE,1,6f1c2f0e-4d3b-4c1a-9b7e-2f5d8c9a0b11,b1,2026-03-01T08:00:00Z\n\
         OFFICE,2,7f1c2f0e-4d3b-4c1a-9b7e-2f5d8c9a0b12,b1,2026-03-01 09:00:00+01\n\
         OFFICE,3,8f1c2f0e-4d3b-4c1a-9b7e-2f5d8c9a0b13,b1,yesterday\n",
    );
    let stderr = failed_build(data.path());
    for part in ["mappings/m.parquet", "row 3", "migrated_at", "yesterday"] {
        assert!(stderr.contains(part), "{part} not in {stderr}");
    }

    let data = base_with(None);
    parquet_mappings(
        data.path(),
        "entity_type,legacy_id,modern_id,migration_batch,migrated_at\n\
         OFFICE,1,6f1c2f0e-4d3b-4c1a-9b7e-2f5d8c9a0b11,b1,2026-03-01T08:00:00Z\n\
         OFFICE,2,7f1c2f0e-4d3b-4c1a-9b7e-2f5d8c9a0b12,b1,2026-03-01 09:00:00+01\n",
    );
    let (inputs, _, _) = run(data.path());
    let from_parquet = inputs
        .mappings
        .column(migcov::load::tables::FILE_COL)
        .unwrap()
        // A dictionary column: read as text.
        .cast(&polars::prelude::DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .filter(|f| *f == Some("mappings/m.parquet"))
        .count();
    assert_eq!(from_parquet, 2);
}

#[test]
fn postgresql_text_first_is_read_in_one_pass_and_the_rest_still_reads() {
    let data = base_with(None);
    metrics_with(
        data.path(),
        &[
            "2026-11-28 20:13:09+00", // PostgreSQL timestamptz text picks the offset format
            "2026-11-28 20:13:09-08",
            "2026-11-28 20:13:09+05:30",
            "2026-11-28 20:13:09.5+00", // a fraction: the full parser
            "2026-11-28T20:13:09Z",
            "2026-11-28 20:13:09", // no zone: UTC by default
        ],
    );
    assert_eq!(
        loaded_dates(data.path()),
        [
            "2026-11-28T20:13:09Z",
            "2026-11-29T04:13:09Z",
            "2026-11-28T14:43:09Z",
            "2026-11-28T20:13:09.500Z",
            "2026-11-28T20:13:09Z",
            "2026-11-28T20:13:09Z",
        ]
    );
    // Dates are shown to the second; the half second is kept.
    let (inputs, _, _) = run(data.path());
    let millis = inputs
        .metrics
        .column("execution_date")
        .unwrap()
        .i64()
        .unwrap()
        .get(3);
    assert_eq!(millis.map(|ms| ms.rem_euclid(1000)), Some(500));
}
