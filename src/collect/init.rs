//! `migcov collect --init`: starter `collect.yaml`, `migcov.yaml` and `domains.yaml`
//! written from what the two databases hold: the tables found, the legacy tables without
//! a primary key (whose ids need a query), and the target tables that look like the
//! migration's bookkeeping, each with a query to edit. Existing files are never replaced.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::config::Patterns;
use super::db::{self, Database, DbUrl};
use super::CollectError;

/// What the databases showed.
struct Found {
    source: db::Kind,
    source_tables: Vec<(String, bool)>,
    target_tables: Vec<(String, Vec<String>)>,
}

/// Writes the three files into `dir`; returns their paths.
pub fn init(source: &DbUrl, target: &DbUrl, dir: &Path) -> Result<Vec<PathBuf>, CollectError> {
    let files = ["collect.yaml", "migcov.yaml", "domains.yaml"].map(|f| dir.join(f));
    if let Some(existing) = files.iter().find(|f| f.exists()) {
        return Err(CollectError::Io {
            path: existing.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "exists; --init never replaces a file",
            ),
        });
    }
    let found = discover(source, target)?;
    let texts = [
        collect_yaml(&found),
        MIGCOV_YAML.to_string(),
        DOMAINS_YAML.to_string(),
    ];
    for (path, text) in files.iter().zip(texts) {
        crate::output::write_file(path, text.as_bytes(), crate::output::WriteMode::Replace)?;
    }
    Ok(files.to_vec())
}

fn discover(source: &DbUrl, target: &DbUrl) -> Result<Found, CollectError> {
    let all = Patterns::default();
    let mut src = db::connect(source, db::CONNECT_TIMEOUT)?;
    let mut source_tables = Vec::new();
    for table in src.tables(&all)? {
        let has_key = !src.primary_key(&table)?.is_empty();
        source_tables.push((table.shown, has_key));
    }
    let mut tgt: Box<dyn Database> = db::connect(target, db::CONNECT_TIMEOUT)?;
    let mut target_tables = Vec::new();
    for table in tgt.tables(&all)? {
        let columns = tgt.columns(&table)?.into_iter().map(|c| c.name).collect();
        target_tables.push((table.shown, columns));
    }
    Ok(Found {
        source: source.kind,
        source_tables,
        target_tables,
    })
}

/// The bookkeeping table a kind of record most likely lives in.
fn guess<'a>(found: &'a Found, words: &[&str]) -> Option<&'a (String, Vec<String>)> {
    found.target_tables.iter().find(|(name, _)| {
        let lower = name.to_ascii_lowercase();
        words.iter().any(|w| lower.contains(w))
    })
}

fn query_line(out: &mut String, key: &str, table: Option<&(String, Vec<String>)>, fields: &str) {
    match table {
        Some((name, columns)) => {
            let _ = writeln!(
                out,
                "  {key}: SELECT {fields} FROM {name}   # columns found: {}",
                columns.join(", ")
            );
        }
        None => {
            let _ = writeln!(out, "  # {key}: SELECT {fields} FROM <your {key} table>");
        }
    }
}

fn collect_yaml(found: &Found) -> String {
    let mut out = String::from(
        "# collect.yaml: what `migcov collect` reads. Written by `migcov collect --init`;\n\
         # every key is optional. See the README's \"migcov collect\" section.\n\n",
    );
    out.push_str("source:\n");
    if found.source != db::Kind::Sqlite {
        out.push_str(
            "  schemas: {include: [], exclude: []}   # default: the connection's own schema\n",
        );
    }
    out.push_str("  tables: {exclude: []}   # globs, e.g. [\"staging_*\"]\n");
    let keyless: Vec<&String> = found
        .source_tables
        .iter()
        .filter(|(_, key)| !key)
        .map(|(name, _)| name)
        .collect();
    let _ = writeln!(
        out,
        "  # {} legacy tables found; their primary keys give the ids.",
        found.source_tables.len()
    );
    if keyless.is_empty() {
        out.push_str("  ids: {}\n");
    } else {
        out.push_str(
            "  ids:   # tables without a primary key: give the column(s) that identify a row\n",
        );
        for name in keyless {
            let _ = writeln!(out, "    {name}: SELECT <key column> AS id FROM {name}");
        }
    }
    out.push_str("target:\n  schemas: {include: [], exclude: []}\n  tables: {exclude: []}\n");
    let _ = writeln!(
        out,
        "  # {} target tables found: {}",
        found.target_tables.len(),
        found
            .target_tables
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.push_str("\n# SQL on the target (or {sql: ..., on: source}) whose columns are named as the data\n# model's fields.\nqueries:\n");
    query_line(
        &mut out,
        "mappings",
        guess(found, &["mapping", "legacy_map", "id_map"]),
        "entity_type, legacy_id, modern_id, migration_batch, migrated_at",
    );
    query_line(
        &mut out,
        "metrics",
        guess(found, &["metric"]),
        "script_id, run_id, execution_date, records_processed, records_successful, records_failed, records_skipped, execution_time_ms",
    );
    query_line(
        &mut out,
        "logs",
        guess(found, &["log"]),
        "script_id, operation_type, timestamp, level, message, context",
    );
    query_line(
        &mut out,
        "scripts",
        guess(found, &["script", "registry"]),
        "name, category, data_domain, source_table, target_table, status",
    );
    out.push_str(
        "  # entities: SELECT name, domain, legacy_table, target_table, total_records, migrated_records, failed_records, migration_script_id, entity_type FROM <entities>\n\
         # Without a mappings query, every target table with a legacy_id column and a UUID key\n\
         # gives the mappings of entity type = its name.\n\
         mappings_by_convention: true\n\
         # pgloader:\n#   summary: pgloader-summary.csv   # pgloader --summary pgloader-summary.csv ...\n\
         files: [migcov.yaml, domains.yaml]   # copied into the data folder as they are\n",
    );
    out
}

const MIGCOV_YAML: &str = "# migcov.yaml: report settings (see the README's input contract).\n\
title: Migration coverage\n\
# timezone: UTC            # zone of timestamps written without an offset\n\
# exclusions:             # legacy rows left out on purpose\n\
#   - table: some_table\n\
#     reason: Out of scope\n\
#     approved_by: Data owner\n\
gate:\n  max_missing_records: 0\n";

pub const DOMAINS_YAML: &str =
    "# domains.yaml: the four data domains and their priorities; edit the descriptions.\n\
- name: CLINICAL\n  priority: CRITICAL\n  description: Clinical data.\n\
- name: BUSINESS\n  priority: HIGH\n  description: Business data.\n\
- name: COMMUNICATIONS\n  priority: MEDIUM\n  description: Communications.\n\
- name: TECHNICAL\n  priority: LOW\n  description: Technical data.\n";
