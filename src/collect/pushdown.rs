//! `migcov collect --pushdown`: the set work done by the databases, so the bytes moved grow
//! with the differences, not with the tables. For each legacy table with entity types:
//!
//! - **One server** (source and target are the same database, or `pushdown.legacy_schema`
//!   names where the legacy tables are readable on the target, e.g. through a foreign data
//!   wrapper): two anti-joins there give the unmapped ids and the orphan legacy ids.
//! - **Two servers**, single-column integer keys: both sides are cut into ranges of the key,
//!   each range summarised by its count and two checksums (`GROUP BY` a bucket, one query
//!   per side and level: 256 buckets, then 32 per differing one); ranges that agree are
//!   done, ranges that differ are split again,
//!   and a differing range holding fewer than `fetch_below` ids is fetched and compared
//!   exactly, as data-diff and reladiff do. Other keys are exported in full.
//!
//! Either way the data folder gets `source_ids/<table>.parquet` with the unmapped ids only
//! and `pushdown/<table>.json` with the counts and the orphans, which the loader reads in
//! place of a full export; the findings are the same.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::db::{BatchSink, Database, Kind, TableRef};
use super::CollectError;

/// `pushdown:` in collect.yaml.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushdownConfig {
    /// Legacy table → the entity types of its mappings. Default: from the entities query.
    #[serde(default)]
    pub tables: BTreeMap<String, Vec<String>>,
    /// The schema in which the target database can read the legacy tables (a foreign data
    /// wrapper, a replica): the anti-joins run on the target.
    pub legacy_schema: Option<String>,
    /// A differing key range with fewer ids than this is fetched (default 10,000).
    pub fetch_below: Option<u64>,
}

/// What was found for one table: written as `pushdown/<table>.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub ids: u64,
    pub matched: u64,
    pub orphans: Vec<String>,
    pub entity_types: Vec<String>,
    pub method: String,
    /// Values read from the databases for this table (ids, counts, checksums), in bytes.
    pub bytes_transferred: u64,
    /// Statements run.
    pub queries: u64,
}

/// Text of a key expression as migcov compares keys: trimmed text, composite parts joined
/// with `|`.
fn key_text(kind: Kind, columns: &[String], quote: &dyn Fn(&str) -> String, alias: &str) -> String {
    // Each part trimmed, as the loader trims each `id_N` before joining them.
    let parts: Vec<String> = columns
        .iter()
        .map(|c| match kind {
            Kind::Mysql => format!("TRIM(CAST({alias}.{} AS CHAR))", quote(c)),
            _ => format!("TRIM(CAST({alias}.{} AS TEXT))", quote(c)),
        })
        .collect();
    match kind {
        Kind::Mysql if parts.len() > 1 => format!("CONCAT_WS('|', {})", parts.join(", ")),
        _ => parts.join(" || '|' || "),
    }
}

/// The `entity_type` values, exactly as the mappings hold them, whose key
/// ([`crate::model::entity_type_key`]) is one of `types`: read and folded here, never by
/// SQL, whose `UPPER` folds by each engine's own rules (ASCII only in SQLite, none for `é`
/// under PostgreSQL's C locale) and whose `TRIM` strips spaces only.
fn raw_types(
    db: &mut dyn Database,
    mappings_sql: &str,
    types: &[String],
    table: &str,
    bytes: &mut u64,
) -> Result<Vec<String>, CollectError> {
    let wanted: BTreeSet<String> = types
        .iter()
        .map(|t| crate::model::entity_type_key(t))
        .collect();
    // MySQL and MariaDB compare text by a collation that ignores case, accents and trailing
    // spaces: DISTINCT would merge `Customer` and `CUSTOMER`. Bytes compare exactly.
    let value = match db.url().kind {
        Kind::Mysql => "CAST(m.entity_type AS BINARY)",
        _ => "m.entity_type",
    };
    let sql =
        format!("SELECT DISTINCT {value} FROM ({mappings_sql}) m WHERE m.entity_type IS NOT NULL");
    let mut raw = Vec::new();
    values(db, &sql, table, bytes, |column| {
        raw.extend(
            column
                .into_iter()
                .flatten()
                .filter(|t| wanted.contains(&crate::model::entity_type_key(t))),
        );
    })?;
    raw.sort();
    raw.dedup();
    Ok(raw)
}

/// The mapping rows whose `entity_type` is one of `raw` (exact values, [`raw_types`]), as a
/// subquery over the configured mappings query.
fn mapped(db: &dyn Database, mappings_sql: &str, raw: &[String]) -> String {
    let list = match raw.is_empty() {
        // No value of these types: a list that matches nothing.
        true => "NULL".to_string(),
        false => raw
            .iter()
            .map(|t| db.literal(t))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let value = match db.url().kind {
        Kind::Mysql => "CAST(m.entity_type AS BINARY)",
        _ => "m.entity_type",
    };
    format!(
        "SELECT TRIM(m.legacy_id) AS legacy_id FROM ({mappings_sql}) m \
         WHERE {value} IN ({list}) AND m.legacy_id IS NOT NULL"
    )
}

/// Streams one column of text values; counts the bytes read.
fn values(
    db: &mut dyn Database,
    sql: &str,
    table: &str,
    bytes: &mut u64,
    mut each: impl FnMut(Vec<Option<String>>),
) -> Result<(), CollectError> {
    db.stream(sql, Some(table), 100_000, &mut |_, columns| {
        *bytes += value_bytes(&columns);
        let mut columns = columns;
        each(columns.swap_remove(0));
        Ok(())
    })?;
    Ok(())
}

/// One server: anti-joins on `db`, where `legacy` is readable as `legacy_name`.
#[allow(clippy::too_many_arguments)]
pub fn anti_join(
    db: &mut dyn Database,
    legacy_name: &str,
    table: &TableRef,
    key: &[String],
    types: &[String],
    mappings_sql: &str,
    unmapped_sink: &mut BatchSink<'_>,
) -> Result<Summary, CollectError> {
    let kind = db.url().kind;
    let quote = |s: &str| db.quote(s);
    let text = key_text(kind, key, &quote, "s");
    let mut bytes = 0u64;
    let raw = raw_types(db, mappings_sql, types, &table.shown, &mut bytes)?;
    let mapped = mapped(db, mappings_sql, &raw);
    let ids = db.scalar(
        &format!("SELECT count(*) FROM {legacy_name}"),
        Some(&table.shown),
    )?;
    bytes += ids.len() as u64;
    let ids: u64 = ids.trim().parse().unwrap_or(0);
    let id_columns: Vec<String> = if key.len() == 1 {
        vec![format!("s.{} AS id", db.quote(&key[0]))]
    } else {
        key.iter()
            .enumerate()
            .map(|(i, k)| format!("s.{} AS id_{}", db.quote(k), i + 1))
            .collect()
    };
    let unmapped_sql = format!(
        "SELECT {} FROM {legacy_name} s WHERE NOT EXISTS \
         (SELECT 1 FROM ({mapped}) mm WHERE mm.legacy_id = {text})",
        id_columns.join(", ")
    );
    let mut unmapped = 0u64;
    db.stream(
        &unmapped_sql,
        Some(&table.shown),
        100_000,
        &mut |header, columns| {
            unmapped += columns.first().map_or(0, Vec::len) as u64;
            bytes += value_bytes(&columns);
            unmapped_sink(header, columns)
        },
    )?;
    let orphan_sql = format!(
        "SELECT DISTINCT mm.legacy_id FROM ({mapped}) mm WHERE NOT EXISTS \
         (SELECT 1 FROM {legacy_name} s WHERE {text} = mm.legacy_id)"
    );
    let mut orphans = Vec::new();
    values(db, &orphan_sql, &table.shown, &mut bytes, |column| {
        orphans.extend(column.into_iter().flatten());
    })?;
    orphans.sort();
    Ok(Summary {
        ids,
        matched: ids - unmapped.min(ids),
        orphans,
        entity_types: types.to_vec(),
        method: format!("anti-join on {}", db.url().shown),
        bytes_transferred: bytes,
        queries: 4,
    })
}

/// Buckets of the first level, and sub-buckets per differing bucket after it: each
/// difference costs about FANOUT digest rows a level, so a small fanout keeps the bytes
/// close to the number of differences, at the price of a few more scans.
const FIRST_FANOUT: i64 = 256;
const FANOUT: i64 = 32;

/// A range's summary on one side: count and two checksums of the integer keys in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Digest {
    count: u64,
    sum1: i128,
    sum2: i128,
}

/// The digests of the sub-buckets of width `width` (numbered from `lo`) inside the
/// buckets `within` of width `parent` (also numbered from `lo`); `within` empty means all.
/// One statement per side and level, whatever the number of buckets. `source` is a
/// subquery with one integer column `k`.
#[allow(clippy::too_many_arguments)]
fn digests(
    db: &mut dyn Database,
    source: &str,
    table: &str,
    lo: i64,
    width: i64,
    parent: i64,
    within: &[i64],
    bytes: &mut u64,
) -> Result<BTreeMap<i64, Digest>, CollectError> {
    let div = division(db.url().kind);
    // Modular sums stay far below 2^53 for any count of keys a table can hold, on every
    // engine (SQLite's integer sum would overflow on raw keys).
    let sql = format!(
        "SELECT (k - ({lo})) {div} {width} AS b, count(*) AS n, \
         sum(k % 1000003) AS s1, sum((k % 1000033) * (k % 1000037) % 1000039) AS s2 \
         FROM ({source}) d WHERE k >= {lo}{} GROUP BY (k - ({lo})) {div} {width}",
        in_buckets(db.url().kind, lo, parent, within)
    );
    let mut found = BTreeMap::new();
    let mut failure = None;
    db.stream(&sql, Some(table), 100_000, &mut |_, columns| {
        *bytes += value_bytes(&columns);
        #[allow(clippy::needless_range_loop)] // one row across four columns
        for i in 0..columns[0].len() {
            let get = |c: usize| columns[c][i].as_deref().unwrap_or("0").trim().to_string();
            let parsed = (
                get(0).parse::<i64>(),
                get(1).parse::<u64>(),
                get(2).split('.').next().unwrap_or("0").parse::<i128>(),
                get(3).split('.').next().unwrap_or("0").parse::<i128>(),
            );
            match parsed {
                (Ok(b), Ok(count), Ok(sum1), Ok(sum2)) => {
                    found.insert(b, Digest { count, sum1, sum2 });
                }
                _ => {
                    failure = Some(format!(
                        "unreadable digest row: {:?}",
                        (get(0), get(1), get(2), get(3))
                    ))
                }
            }
        }
        Ok(())
    })?;
    match failure {
        Some(message) => Err(db.query_error(&sql, Some(table), message)),
        None => Ok(found),
    }
}

fn division(kind: Kind) -> &'static str {
    match kind {
        Kind::Mysql => "DIV",
        _ => "/",
    }
}

/// ` AND (k - lo) / width IN (...)`, or nothing for every bucket.
fn in_buckets(kind: Kind, lo: i64, width: i64, buckets: &[i64]) -> String {
    if buckets.is_empty() {
        return String::new();
    }
    let list: Vec<String> = buckets.iter().map(i64::to_string).collect();
    format!(
        " AND (k - ({lo})) {} {width} IN ({})",
        division(kind),
        list.join(", ")
    )
}

pub fn value_bytes(columns: &super::db::Columns) -> u64 {
    columns
        .iter()
        .flatten()
        .map(|v| v.as_ref().map_or(1, |s| s.len() as u64 + 1))
        .sum()
}

/// The keys inside the buckets `within` of width `width`.
#[allow(clippy::too_many_arguments)]
fn ids_in(
    db: &mut dyn Database,
    source: &str,
    table: &str,
    lo: i64,
    width: i64,
    within: &[i64],
    bytes: &mut u64,
) -> Result<BTreeSet<i64>, CollectError> {
    let sql = format!(
        "SELECT k FROM ({source}) d WHERE k >= {lo}{}",
        in_buckets(db.url().kind, lo, width, within)
    );
    let mut set = BTreeSet::new();
    values(db, &sql, table, bytes, |column| {
        set.extend(
            column
                .into_iter()
                .flatten()
                .filter_map(|v| v.trim().parse::<i64>().ok()),
        );
    })?;
    Ok(set)
}

/// The canonical integer text of a mapping's legacy id, in each engine's SQL: only such ids
/// can equal an integer key's text, the rest are orphans of the table outright.
fn canonical_int(kind: Kind, expr: &str) -> String {
    let pattern = "^(0|-?[1-9][0-9]{0,17})$";
    match kind {
        Kind::Postgresql => format!("{expr} ~ '{pattern}'"),
        Kind::Mysql => format!("{expr} REGEXP '{pattern}'"),
        Kind::Sqlite => format!(
            "({expr} = '0' OR (({expr} GLOB '[1-9]*' OR {expr} GLOB '-[1-9]*') \
             AND substr({expr}, 2) NOT GLOB '*[^0-9]*' AND length({expr}) <= 19))"
        ),
    }
}

fn int_cast(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Mysql => format!("CAST({expr} AS SIGNED)"),
        Kind::Postgresql => format!("CAST({expr} AS BIGINT)"),
        Kind::Sqlite => format!("CAST({expr} AS INTEGER)"),
    }
}

/// Two servers, a single integer key: ranges compared by digests, split where they differ.
#[allow(clippy::too_many_arguments)]
pub fn checksums(
    source: &mut dyn Database,
    target: &mut dyn Database,
    table: &TableRef,
    key: &str,
    types: &[String],
    mappings_sql: &str,
    fetch_below: u64,
    unmapped_sink: &mut BatchSink<'_>,
) -> Result<Summary, CollectError> {
    let source_set = format!(
        "SELECT {} AS k FROM {}",
        source.quote(key),
        source.qualified(table)
    );
    let tk = target.url().kind;
    let mut bytes = 0u64;
    let raw = raw_types(target, mappings_sql, types, &table.shown, &mut bytes)?;
    let mapped = mapped(target, mappings_sql, &raw);
    // No DISTINCT: a legacy id mapped twice only makes its range differ, and the ranges
    // fetched at the end are compared as sets, so the result is the same while every level
    // is a plain scan instead of a hash aggregate over all the mappings.
    let target_set = format!(
        "SELECT {} AS k FROM ({mapped}) mm WHERE {}",
        int_cast(tk, "mm.legacy_id"),
        canonical_int(tk, "mm.legacy_id")
    );
    // The entity types' values were read above: one statement.
    let mut queries = 1u64;
    // Mapped ids that are not canonical integers never equal a key: orphans outright.
    let odd_sql = format!(
        "SELECT DISTINCT mm.legacy_id FROM ({mapped}) mm WHERE NOT ({})",
        canonical_int(tk, "mm.legacy_id")
    );
    let mut orphans: Vec<String> = Vec::new();
    values(target, &odd_sql, &table.shown, &mut bytes, |column| {
        orphans.extend(column.into_iter().flatten());
    })?;
    queries += 1;
    let bounds = |db: &mut dyn Database,
                  set: &str,
                  bytes: &mut u64|
     -> Result<(Option<i64>, Option<i64>, u64), CollectError> {
        let mut row = (None, None, 0u64);
        db.stream(
            &format!("SELECT min(k), max(k), count(*) FROM ({set}) d"),
            Some(&table.shown),
            10,
            &mut |_, columns| {
                *bytes += value_bytes(&columns);
                let get = |c: usize| columns[c].first().cloned().flatten();
                row = (
                    get(0).and_then(|v| v.trim().parse().ok()),
                    get(1).and_then(|v| v.trim().parse().ok()),
                    get(2).and_then(|v| v.trim().parse().ok()).unwrap_or(0),
                );
                Ok(())
            },
        )?;
        Ok(row)
    };
    let (smin, smax, ids) = bounds(source, &source_set, &mut bytes)?;
    let (tmin, tmax, _) = bounds(target, &target_set, &mut bytes)?;
    queries += 2;
    let lo = [smin, tmin].into_iter().flatten().min();
    let hi = [smax, tmax].into_iter().flatten().max();
    let mut unmapped: Vec<i64> = Vec::new();
    let mut orphan_ints: Vec<i64> = Vec::new();
    if let (Some(lo), Some(hi)) = (lo, hi) {
        // Level by level: the differing buckets of one width are cut into FANOUT smaller
        // ones, digested in one statement per side, until the ids left in differing
        // buckets are few enough to fetch.
        let span = (hi as i128 - lo as i128 + 1).min(i64::MAX as i128) as i64;
        let mut width = span;
        let mut differing: Vec<i64> = Vec::new();
        let mut first = true;
        loop {
            let fanout = if first { FIRST_FANOUT } else { FANOUT };
            let sub = (width / fanout + i64::from(width % fanout != 0)).max(1);
            let within = if first { Vec::new() } else { differing.clone() };
            let s = digests(
                source,
                &source_set,
                &table.shown,
                lo,
                sub,
                width,
                &within,
                &mut bytes,
            )?;
            let t = digests(
                target,
                &target_set,
                &table.shown,
                lo,
                sub,
                width,
                &within,
                &mut bytes,
            )?;
            queries += 2;
            first = false;
            let buckets: BTreeSet<i64> = s.keys().chain(t.keys()).copied().collect();
            let mut left = 0u64;
            differing = buckets
                .into_iter()
                .filter(|b| {
                    let (ds, dt) = (
                        s.get(b).copied().unwrap_or_default(),
                        t.get(b).copied().unwrap_or_default(),
                    );
                    let differs = ds != dt;
                    if differs {
                        left += ds.count + dt.count;
                    }
                    differs
                })
                .collect();
            width = sub;
            if differing.is_empty() {
                break;
            }
            if left <= fetch_below || width == 1 {
                let si = ids_in(
                    source,
                    &source_set,
                    &table.shown,
                    lo,
                    width,
                    &differing,
                    &mut bytes,
                )?;
                let ti = ids_in(
                    target,
                    &target_set,
                    &table.shown,
                    lo,
                    width,
                    &differing,
                    &mut bytes,
                )?;
                queries += 2;
                unmapped.extend(si.difference(&ti));
                orphan_ints.extend(ti.difference(&si));
                break;
            }
        }
    }
    unmapped.sort_unstable();
    orphans.extend(orphan_ints.iter().map(i64::to_string));
    orphans.sort();
    let header = ["id".to_string()];
    for chunk in unmapped.chunks(100_000) {
        let column: Vec<Option<String>> = chunk.iter().map(|k| Some(k.to_string())).collect();
        unmapped_sink(&header, vec![column])?;
    }
    if unmapped.is_empty() {
        unmapped_sink(&header, vec![Vec::new()])?;
    }
    Ok(Summary {
        ids,
        matched: ids - (unmapped.len() as u64).min(ids),
        orphans,
        entity_types: types.to_vec(),
        method: format!(
            "checksums of key ranges between {} and {}",
            source.url().shown,
            target.url().shown
        ),
        bytes_transferred: bytes,
        queries,
    })
}

/// Whether a column type is an integer on its engine.
pub fn is_integer_type(data_type: &str) -> bool {
    let t = data_type.to_ascii_lowercase();
    ["int", "serial"].iter().any(|w| t.contains(w))
        && !t.contains("interval")
        && !t.contains("point")
}

pub fn summary_path(table: &str) -> String {
    format!("pushdown/{table}.json")
}
