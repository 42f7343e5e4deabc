//! pgloader's `--summary` file read as MigrationMetrics, so a pgloader load is reported
//! without a script of its own. Each loaded table becomes one execution of a script named
//! `pgloader-<table>.ts` (a manifest is written for it):
//!
//! | pgloader (CSV column / JSON key) | MigrationMetrics |
//! |---|---|
//! | table name (1st / `NAME`) | `script_id` = `pgloader-<table>.ts` |
//! | read (2nd / `READ`) | `records_processed` |
//! | imported (3rd / `ROWS`) | `records_successful` |
//! | errors (4th / `ERRS`) | `records_failed` |
//! | read − imported − errors, when positive | `records_skipped` |
//! | time (6th, `1m2.5s` / `SECS`) | `execution_time_ms` |
//!
//! The steps around the data (`fetch meta data`, `Create Indexes`, ...) are not tables and
//! are left out.

use std::path::Path;

use super::config::PgloaderConfig;
use super::CollectError;

/// pgloader's own step names: every summary row that is not one of them is a table.
const STEPS: &[&str] = &[
    "fetch",
    "fetch meta data",
    "create schemas",
    "create sql types",
    "create tables",
    "set table oids",
    "copy threads completion",
    "index build completion",
    "create indexes",
    "reset sequences",
    "primary keys",
    "create foreign keys",
    "create triggers",
    "set search path",
    "install comments",
    "total import time",
    "before load",
    "after load",
    "finally",
    "drop foreign keys",
    "drop indexes",
    "truncate",
    "materialize views",
    "drop materialized views",
    "files processed",
    "create materialized views",
    "reset sequences and indexes",
    "vacuum analyze",
];

/// One loaded table.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedTable {
    /// As pgloader names it in the target (`invoiceline`, `chinook.invoiceline`).
    pub table: String,
    pub read: u64,
    pub imported: u64,
    pub errors: u64,
    pub millis: u64,
}

#[derive(Debug)]
pub struct Load {
    pub tables: Vec<LoadedTable>,
    pub execution_date: String,
    pub data_domain: String,
    /// Per table (lower-cased), over `data_domain`.
    pub domains: std::collections::BTreeMap<String, String>,
    pub category: String,
}

/// Reads a summary file: CSV (`;`-separated, pgloader's `.csv` summary) or JSON.
pub fn read(path: &Path, config: &PgloaderConfig) -> Result<Load, CollectError> {
    let bytes = std::fs::read(path).map_err(|source| CollectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let error = |line: Option<usize>, message: String| CollectError::Pgloader {
        path: path.to_path_buf(),
        line,
        message,
    };
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let tables = if is_json {
        read_json(&bytes).map_err(|m| error(None, m))?
    } else {
        read_csv(&bytes).map_err(|(line, m)| error(Some(line), m))?
    };
    if tables.is_empty() {
        return Err(error(None, "the summary names no loaded table".into()));
    }
    let execution_date = match &config.execution_date {
        Some(date) => chrono::DateTime::parse_from_rfc3339(date)
            .map_err(|e| error(None, format!("execution_date {date:?}: {e}")))?
            .with_timezone(&chrono::Utc),
        None => {
            let modified =
                std::fs::metadata(path)
                    .and_then(|m| m.modified())
                    .map_err(|source| CollectError::Io {
                        path: path.to_path_buf(),
                        source,
                    })?;
            chrono::DateTime::<chrono::Utc>::from(modified)
        }
    };
    Ok(Load {
        tables,
        execution_date: execution_date.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        domains: config
            .domains
            .iter()
            .map(|(t, d)| (t.trim().to_lowercase(), d.clone()))
            .collect(),
        data_domain: config
            .data_domain
            .clone()
            .unwrap_or_else(|| "TECHNICAL".into()),
        category: config.category.clone().unwrap_or_else(|| "CORE".into()),
    })
}

fn is_step(label: &str) -> bool {
    STEPS.contains(&label.trim().to_ascii_lowercase().as_str())
}

/// `"public"."customer"` → `customer`; `"chinook"."track"` → `chinook.track`.
fn table_name(label: &str) -> String {
    let parts: Vec<String> = label
        .split('.')
        .map(|p| p.trim().trim_matches('"').to_string())
        .collect();
    match parts.as_slice() {
        [schema, name] if schema == "public" => name.clone(),
        _ => parts.join("."),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<LoadedTable>, (usize, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut tables = Vec::new();
    let mut in_postload = false;
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let record = record.map_err(|e| (line, e.to_string()))?;
        let label = record.get(0).unwrap_or("").to_string();
        if label.trim().eq_ignore_ascii_case("copy threads completion") {
            in_postload = true;
        }
        if label.trim().is_empty() || is_step(&label) || in_postload {
            continue;
        }
        if record.len() < 6 {
            return Err((
                line,
                format!(
                    "expected 6 fields (table;read;imported;errors;bytes;time), found {}",
                    record.len()
                ),
            ));
        }
        let number = |field: usize, what: &str| -> Result<u64, (usize, String)> {
            let text = record.get(field).unwrap_or("").trim();
            text.parse::<u64>().map_err(|_| {
                (
                    line,
                    format!("{what}: expected a whole number, found {text:?}"),
                )
            })
        };
        let time = record.get(5).unwrap_or("").trim();
        tables.push(LoadedTable {
            table: table_name(&label),
            read: number(1, "read")?,
            imported: number(2, "imported")?,
            errors: number(3, "errors")?,
            millis: parse_duration(time).ok_or_else(|| {
                (
                    line,
                    format!("time: expected e.g. 1m2.345s, found {time:?}"),
                )
            })?,
        });
    }
    Ok(tables)
}

/// pgloader's `1h2m3.456s`, `2m0.5s`, `0.080s`.
fn parse_duration(text: &str) -> Option<u64> {
    let mut seconds = 0.0f64;
    let mut number = String::new();
    for c in text.chars() {
        match c {
            '0'..='9' | '.' => number.push(c),
            'h' | 'm' | 's' => {
                let value: f64 = number.parse().ok()?;
                number.clear();
                seconds += value
                    * match c {
                        'h' => 3600.0,
                        'm' => 60.0,
                        _ => 1.0,
                    };
            }
            _ => return None,
        }
    }
    if !number.is_empty() || !seconds.is_finite() {
        return None;
    }
    Some((seconds * 1000.0).round() as u64)
}

fn read_json(bytes: &[u8]) -> Result<Vec<LoadedTable>, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "not valid JSON ({e}); pgloader 3.6 writes the table names of its JSON summary as \
             nothing, a known bug: run it with --summary FILE.csv instead"
        )
    })?;
    let data = value
        .get("DATA")
        .and_then(|d| d.as_array())
        .ok_or("no DATA section")?;
    let mut tables = Vec::new();
    for entry in data
        .iter()
        .flat_map(|d| d.as_array().cloned().unwrap_or_default())
    {
        let name = entry
            .get("NAME")
            .and_then(|n| n.as_str())
            .ok_or("a DATA entry without a NAME")?;
        let number = |key: &str| {
            entry
                .get(key)
                .and_then(|n| n.as_u64())
                .ok_or(format!("{name}: {key} is not a whole number"))
        };
        let secs = entry.get("SECS").and_then(|s| s.as_f64()).unwrap_or(0.0);
        tables.push(LoadedTable {
            table: table_name(name),
            read: number("READ")?,
            imported: number("ROWS")?,
            errors: number("ERRS")?,
            millis: (secs.max(0.0) * 1000.0).round() as u64,
        });
    }
    Ok(tables)
}

impl Load {
    pub fn script_name(table: &str) -> String {
        format!("pgloader-{}.ts", table.replace(['/', '\\'], "_"))
    }

    /// The metrics export: one execution per table.
    pub fn metrics_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header = [
            "script_id",
            "execution_date",
            "records_processed",
            "records_successful",
            "records_failed",
            "records_skipped",
            "execution_time_ms",
        ];
        writer.write_record(header).expect("in memory");
        for t in &self.tables {
            let skipped = t.read.saturating_sub(t.imported.saturating_add(t.errors));
            writer
                .write_record([
                    Self::script_name(&t.table),
                    self.execution_date.clone(),
                    t.read.to_string(),
                    t.imported.to_string(),
                    t.errors.to_string(),
                    skipped.to_string(),
                    t.millis.to_string(),
                ])
                .expect("in memory");
        }
        String::from_utf8(writer.into_inner().expect("in memory")).expect("UTF-8 in, UTF-8 out")
    }

    /// The domain of a loaded table: named in `domains` (with or without its schema), else
    /// `data_domain`.
    fn domain_of(&self, table: &str) -> String {
        let full = table.to_lowercase();
        let bare = full.rsplit('.').next().unwrap_or(&full).to_string();
        self.domains
            .get(&full)
            .or_else(|| self.domains.get(&bare))
            .cloned()
            .unwrap_or_else(|| self.data_domain.clone())
    }

    /// One manifest per table: legacy table = the name without its schema.
    pub fn manifests_yaml(&self) -> String {
        let manifests: Vec<serde_yaml::Mapping> = self
            .tables
            .iter()
            .map(|t| {
                let mut m = serde_yaml::Mapping::new();
                let bare = t.table.rsplit('.').next().unwrap_or(&t.table).to_string();
                let status = if t.errors > 0 && t.imported == 0 {
                    "FAILED"
                } else {
                    "COMPLETE"
                };
                for (key, value) in [
                    ("name", Self::script_name(&t.table)),
                    ("category", self.category.clone()),
                    ("data_domain", self.domain_of(&t.table)),
                    ("source_table", bare),
                    ("target_table", t.table.clone()),
                    ("status", status.to_string()),
                    (
                        "description",
                        format!("Loaded by pgloader: {} rows read", t.read),
                    ),
                ] {
                    m.insert(key.into(), value.into());
                }
                m
            })
            .collect();
        format!(
            "# Written by migcov collect from a pgloader summary.\n{}",
            serde_yaml::to_string(&manifests).expect("plain data serialises")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = r#""fetch";0;0;0;0;"0.000s"
"fetch meta data";4;4;0;0;"0.028s"
"Create tables";4;4;0;0;"0.016s"
"Set Table OIDs";2;2;0;0;"0.012s"
"customer";2;2;0;31;"0.080s"
"public"."invoiceline";5;3;1;12;"1m2.5s"
"COPY Threads Completion";4;4;0;0;"0.072s"
"Create Indexes";2;2;0;0;"0.000s"
"#;

    #[test]
    fn reads_the_csv_summary_tables_only() {
        let tables = read_csv(CSV.as_bytes()).unwrap();
        assert_eq!(
            tables,
            vec![
                LoadedTable {
                    table: "customer".into(),
                    read: 2,
                    imported: 2,
                    errors: 0,
                    millis: 80
                },
                LoadedTable {
                    table: "invoiceline".into(),
                    read: 5,
                    imported: 3,
                    errors: 1,
                    millis: 62_500
                },
            ]
        );
    }

    #[test]
    fn a_bad_number_names_its_line() {
        let err = read_csv(b"\"t\";x;1;0;0;\"0.1s\"\n").unwrap_err();
        assert_eq!(err.0, 1);
        assert!(err.1.contains("read"), "{}", err.1);
    }

    #[test]
    fn the_broken_json_of_pgloader_3_6_is_explained() {
        let err = read_json(br#"{"DATA":[[{"NAME":,"READ":2}]]}"#).unwrap_err();
        assert!(err.contains("--summary FILE.csv"), "{err}");
        let ok =
            read_json(br#"{"DATA":[[{"NAME":"track","READ":3,"ROWS":3,"ERRS":0,"SECS":0.5}]]}"#)
                .unwrap();
        assert_eq!(ok[0].millis, 500);
    }
}
