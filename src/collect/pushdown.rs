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
//! place of a full export; the findings are the same. The mappings of the pushed-down
//! tables' types are then sorted by the database as well ([`super::reduce`]).
//!
//! A table is exported in full, never pushed down, where the set work could not tell what
//! the loader tells: a type that several tables share, mappings naming another table in
//! `legacy_table`, two tables whose names differ only in case, a MySQL `ZEROFILL` key.

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
    /// Values on two servers: the most rows of differing key ranges (both sides together)
    /// whose hashes are read to find the ids that differ, 24 bytes each in memory (default
    /// 8,000,000); past it every row of those ranges is exported.
    pub max_hashed_rows: Option<u64>,
}

/// What was found for one table: written as `pushdown/<table>.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The rows the loader keeps (no key NULL or empty once trimmed).
    pub ids: u64,
    /// The distinct ids among them with a mapping of the table's types.
    pub matched: u64,
    /// The rows among them with such a mapping (an id listed twice, two rows): with the
    /// unmapped rows exported, the table's rows.
    pub matched_rows: u64,
    pub orphans: Vec<String>,
    pub entity_types: Vec<String>,
    pub method: String,
    /// Values read from the databases for this table (ids, counts, checksums), in bytes.
    pub bytes_transferred: u64,
    /// Statements run.
    pub queries: u64,
    /// Mapping rows of each of the table's entity types (folded) that collect counted in
    /// the database and did not export, since no check could flag them (`collect::reduce`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub mapping_rows_in_database: BTreeMap<String, u64>,
}

/// A key's text as migcov compares keys, in each engine's SQL ([`key_text`]): trimmed of
/// the white space [`KEY_WHITESPACE`] lists, as the loader trims it, and nothing else.
pub(crate) fn trimmed(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Postgresql => format!(
            "btrim(CAST({expr} AS TEXT), ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))"
        ),
        // The six characters spelt out: [[:space:]] also matches Unicode spaces where the
        // regular expressions are Unicode-aware. The backslashes reach the regular
        // expression as written (MySQL's literals would take `\t` themselves).
        Kind::Mysql => format!(
            "REGEXP_REPLACE(CAST({expr} AS CHAR), '^[ \\\\t\\\\n\\\\x0B\\\\f\\\\r]+|[ \\\\t\\\\n\\\\x0B\\\\f\\\\r]+$', '')"
        ),
        Kind::Sqlite => format!("trim(CAST({expr} AS TEXT), char(32, 9, 10, 11, 12, 13))"),
    }
}

/// Whether a text is not empty, in each engine's SQL. SQLite's `length` counts characters
/// up to the first NUL, so `'\0abc'` was empty there (found by an independent check): its
/// bytes are counted instead.
pub(crate) fn not_empty(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Sqlite => format!("length(CAST({expr} AS BLOB)) > 0"),
        _ => format!("length({expr}) > 0"),
    }
}

/// One part of a composite key with `\` and `|` escaped, as the loader escapes them, so
/// ('A|B', 'C') and ('A', 'B|C') stay two keys.
fn escaped(kind: Kind, part: &str) -> String {
    match kind {
        // A backslash is an escape in MySQL's string literals: each is written twice.
        Kind::Mysql => format!("REPLACE(REPLACE({part}, '\\\\', '\\\\\\\\'), '|', '\\\\|')"),
        _ => format!("replace(replace({part}, '\\', '\\\\'), '|', '\\|')"),
    }
}

/// Text of a key expression as migcov compares keys ([`crate::load::tables`]): trimmed
/// text; composite parts escaped and joined with `|`.
fn key_text(kind: Kind, columns: &[String], quote: &dyn Fn(&str) -> String, alias: &str) -> String {
    let parts: Vec<String> = columns
        .iter()
        .map(|c| trimmed(kind, &format!("{alias}.{}", quote(c))))
        .collect();
    match (kind, parts.as_slice()) {
        (_, [one]) => one.clone(),
        (Kind::Mysql, _) => format!(
            "CONCAT_WS('|', {})",
            parts
                .iter()
                .map(|p| escaped(kind, p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => parts
            .iter()
            .map(|p| escaped(kind, p))
            .collect::<Vec<_>>()
            .join(" || '|' || "),
    }
}

/// A text as its bytes compare, whatever the column's collation: MySQL and MariaDB
/// collations ignore case, accents and trailing spaces (`'ALFKI' = 'alfki '`), and a
/// PostgreSQL column may have a nondeterministic collation. MySQL's text is first made
/// UTF-8 (a latin1 column's bytes are not), as the values migcov reads are.
pub(crate) fn exact_text(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Mysql => format!("CAST(CONVERT({expr} USING utf8mb4) AS BINARY)"),
        Kind::Postgresql => format!("CAST({expr} AS TEXT) COLLATE \"C\""),
        // A column's own collation (NOCASE, RTRIM) would apply to `=` otherwise.
        Kind::Sqlite => format!("({expr}) COLLATE BINARY"),
    }
}

/// `a = b` comparing the bytes of two texts ([`exact_text`]).
pub(crate) fn same_text(kind: Kind, a: &str, b: &str) -> String {
    format!("{} = {}", exact_text(kind, a), exact_text(kind, b))
}

/// Every distinct `entity_type` value, exactly as the mappings hold them: read once per
/// collect (a scan of the mappings) and folded by migcov ([`raw_types`]), never by SQL, whose
/// `UPPER` folds by each engine's own rules (ASCII only in SQLite, none for `é` under
/// PostgreSQL's C locale) and whose `TRIM` strips spaces only.
pub fn entity_type_values(
    db: &mut dyn Database,
    mappings_sql: &str,
    bytes: &mut u64,
) -> Result<Vec<String>, CollectError> {
    // MySQL and MariaDB compare text by a collation that ignores case, accents and trailing
    // spaces: DISTINCT would merge `Customer` and `CUSTOMER`. Bytes compare exactly.
    let value = exact_text(db.url().kind, "m.entity_type");
    let sql = format!(
        "SELECT DISTINCT {value} FROM (\n{mappings_sql}\n) m WHERE m.entity_type IS NOT NULL"
    );
    let mut all = Vec::new();
    values(db, &sql, "mappings", bytes, |column| {
        all.extend(column.into_iter().flatten());
    })?;
    all.sort();
    all.dedup();
    Ok(all)
}

/// Of the mappings' `entity_type` values ([`entity_type_values`]), those whose key
/// ([`crate::model::entity_type_key`]) is one of `types`.
pub(crate) fn raw_types(all: &[String], types: &[String]) -> Vec<String> {
    let wanted: BTreeSet<String> = types
        .iter()
        .map(|t| crate::model::entity_type_key(t))
        .collect();
    all.iter()
        .filter(|t| wanted.contains(&crate::model::entity_type_key(t)))
        .cloned()
        .collect()
}

/// Texts as an SQL `IN` list; `NULL`, which matches nothing, for none.
pub(crate) fn literal_list(db: &dyn Database, values: &[String]) -> String {
    match values.is_empty() {
        true => "NULL".to_string(),
        false => values
            .iter()
            .map(|t| db.literal(t))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The mapping rows whose `entity_type` is one of `raw` (exact values, [`raw_types`]), as a
/// subquery over the configured mappings query.
fn mapped(db: &dyn Database, mappings_sql: &str, raw: &[String]) -> String {
    let kind = db.url().kind;
    let list = literal_list(db, raw);
    let value = exact_text(kind, "m.entity_type");
    let id = trimmed(kind, "m.legacy_id");
    // A legacy id empty once trimmed is no key (the loader leaves the row out as empty):
    // it maps nothing, so an empty legacy key stays unmapped and is exported. Nor is a
    // mapping without a modern_id one (the loader leaves it out as a missing value; found
    // by an independent check: such a row counted its legacy id as matched).
    format!(
        "SELECT {id} AS legacy_id FROM (\n{mappings_sql}\n) m \
         WHERE {value} IN ({list}) AND m.legacy_id IS NOT NULL AND m.modern_id IS NOT NULL \
         AND {} <> {}",
        exact_text(kind, &id),
        exact_text(kind, "''")
    )
}

/// How many mapping rows of `types` name a table other than `table` in `legacy_table`
/// (compared as bytes: a different spelling counts as another table).
pub fn naming_others(
    db: &dyn Database,
    mappings_sql: &str,
    types: &[String],
    type_values: &[String],
    table: &str,
) -> String {
    let kind = db.url().kind;
    let list = literal_list(db, &raw_types(type_values, types));
    let named = format!("m.{}", db.quote("legacy_table"));
    format!(
        "SELECT count(*) FROM (\n{mappings_sql}\n) m WHERE {} IN ({list}) AND {named} IS NOT NULL \
         AND NOT ({})",
        exact_text(kind, "m.entity_type"),
        same_text(kind, &named, &db.literal(table))
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
    type_values: &[String],
    mappings_sql: &str,
    unmapped_sink: &mut BatchSink<'_>,
) -> Result<Summary, CollectError> {
    let kind = db.url().kind;
    let quote = |s: &str| db.quote(s);
    let text = key_text(kind, key, &quote, "s");
    let mut bytes = 0u64;
    let mapped = mapped(db, mappings_sql, &raw_types(type_values, types));
    // The rows the loader keeps (no part of the key NULL or empty once trimmed), and the
    // distinct keys among them that a mapping matches, as the loader counts them: `X`,
    // `X ` and `X\t` are one id, matched once. Each part on its own: a composite key's
    // joined text (`2|`) is not empty where a part is (found by an independent check).
    let present = key
        .iter()
        .map(|k| {
            let part = format!("s.{}", db.quote(k));
            // By length, never `<> ''`: a nondeterministic collation makes U+200B equal ''.
            format!(
                "{part} IS NOT NULL AND {}",
                not_empty(kind, &trimmed(kind, &part))
            )
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    let ids = db.scalar(
        &format!("SELECT count(*) FROM {legacy_name} s WHERE {present}"),
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
    // MariaDB runs NOT EXISTS over a derived table as a dependent subquery, a scan of the
    // mappings per legacy row (211 s at 20,000 rows); a join to the distinct mapped keys
    // gets an index on the derived table instead. The others plan NOT EXISTS as an
    // anti-join.
    let mapped_keys = format!(
        "(SELECT DISTINCT {} AS k FROM ({mapped}) mm)",
        exact_text(kind, "mm.legacy_id")
    );
    let unmapped_sql = match kind {
        Kind::Mysql => format!(
            "SELECT {} FROM {legacy_name} s LEFT JOIN {mapped_keys} j ON j.k = {} WHERE j.k IS NULL",
            id_columns.join(", "),
            exact_text(kind, &text)
        ),
        _ => format!(
            "SELECT {} FROM {legacy_name} s WHERE NOT EXISTS \
             (SELECT 1 FROM ({mapped}) mm WHERE {})",
            id_columns.join(", "),
            same_text(kind, "mm.legacy_id", &text)
        ),
    };
    db.stream(
        &unmapped_sql,
        Some(&table.shown),
        100_000,
        &mut |header, columns| {
            bytes += value_bytes(&columns);
            unmapped_sink(header, columns)
        },
    )?;
    // The matched ids and the rows they are in, in one statement.
    let (mut matched, mut matched_rows) = (0u64, 0u64);
    db.stream(
        &format!(
            "SELECT count(DISTINCT l.k), count(*) FROM (SELECT {} AS k FROM {legacy_name} s WHERE {present}) l \
             JOIN {mapped_keys} j ON j.k = l.k",
            exact_text(kind, &text)
        ),
        Some(&table.shown),
        1,
        &mut |_, columns| {
            bytes += value_bytes(&columns);
            let count = |i: usize| {
                columns
                    .get(i)
                    .and_then(|c| c.first().cloned().flatten())
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0)
            };
            (matched, matched_rows) = (count(0), count(1));
            Ok(())
        },
    )?;
    let orphan_sql = match kind {
        // Only the legacy rows the loader keeps meet a mapping: `2|` is an orphan beside
        // the row ('2', '').
        Kind::Mysql => format!(
            "SELECT j.k FROM {mapped_keys} j LEFT JOIN \
             (SELECT DISTINCT {} AS k FROM {legacy_name} s WHERE {present}) l ON l.k = j.k \
             WHERE l.k IS NULL",
            exact_text(kind, &text)
        ),
        _ => format!(
            "SELECT DISTINCT {} FROM ({mapped}) mm WHERE NOT EXISTS \
             (SELECT 1 FROM {legacy_name} s WHERE {present} AND {})",
            exact_text(kind, "mm.legacy_id"),
            same_text(kind, &text, "mm.legacy_id")
        ),
    };
    let mut orphans = Vec::new();
    values(db, &orphan_sql, &table.shown, &mut bytes, |column| {
        orphans.extend(column.into_iter().flatten());
    })?;
    orphans.sort();
    Ok(Summary {
        ids,
        matched: matched.min(matched_rows),
        matched_rows: matched_rows.min(ids),
        orphans,
        entity_types: types.to_vec(),
        method: format!("anti-join on {}", db.url().shown),
        bytes_transferred: bytes,
        queries: 4,
        mapping_rows_in_database: BTreeMap::new(),
    })
}

/// Buckets of the first level (of the ids; the content's first level is finer:
/// [`Sides::first_fanout`]), and sub-buckets per differing bucket after it: each
/// difference costs about FANOUT digest rows a level, so a small fanout keeps the bytes
/// close to the number of differences, at the price of a few more scans.
pub(crate) const FIRST_FANOUT: i64 = 256;
const FANOUT: i64 = 32;

/// A range's summary on one side: how many keys, and the sums of three 28-bit slices of
/// each key's MD5 (of its decimal text). Sums of a strong per-key hash, as data-diff and
/// reladiff take them: sets that differ agree on all four only by chance (about 2^-80),
/// where sums of the keys and their squares agreed for any sets with equal power sums
/// ({x+1, x+5, x+6} and {x+2, x+3, x+7}). Each sum stays below 2^63 for up to 2^35 keys, on
/// every engine. (Three slices, not four: the digest rows are most of the bytes moved.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Digest {
    count: u64,
    sums: [i128; SLICES],
}

/// Slices of a key's MD5 summed per range.
const SLICES: usize = 3;

/// What the digests hash per row of a side's subquery: its key `k` (the ids), or its key
/// and the text `r` of its compared values (the content of `collect::intact`, whose rows
/// agree only when key and values do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hashed {
    Key,
    KeyAndValues,
}

impl Hashed {
    /// The text hashed, over the subquery's columns, in each engine's SQL.
    fn text(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Hashed::Key, _) => "k",
            (Hashed::KeyAndValues, Kind::Mysql) => "CONCAT(CAST(k AS CHAR), ':', r)",
            (Hashed::KeyAndValues, _) => "CAST(k AS TEXT) || ':' || r",
        }
    }
}

/// What a digest statement hashes per row, once, as column `h` of its inner query: the MD5
/// (hex) of the text of `k` (an integer's decimal text) in PostgreSQL and MySQL; in SQLite,
/// which has no MD5, the text itself ([`hash_slice`] hashes it there).
fn row_hash(kind: Kind, k: &str) -> String {
    match kind {
        Kind::Postgresql => format!("md5(CAST({k} AS TEXT))"),
        Kind::Mysql => format!("MD5(CAST({k} AS CHAR))"),
        Kind::Sqlite => format!("CAST({k} AS TEXT)"),
    }
}

/// Slice `i` (0-based) of the MD5 a row's `h` ([`row_hash`]) is or stands for, as a whole
/// number below 2^28, in each engine's SQL. SQLite has no MD5: the connection registers
/// `migcov_md5_slice` ([`md5_slice`]), which computes the same.
fn hash_slice(kind: Kind, h: &str, i: usize) -> String {
    let start = 1 + 7 * i;
    match kind {
        Kind::Postgresql => format!("('x0' || substr({h}, {start}, 7))::bit(32)::int"),
        Kind::Mysql => format!("CAST(CONV(SUBSTRING({h}, {start}, 7), 16, 10) AS UNSIGNED)"),
        Kind::Sqlite => format!("migcov_md5_slice({h}, {i})"),
    }
}

/// What `hash_slice` computes, for SQLite's registered function and for the tests.
pub fn md5_slice(text: &str, i: usize) -> i64 {
    use md5::Digest as _;
    let digest = md5::Md5::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let start = 7 * i;
    i64::from_str_radix(&hex[start..start + 7], 16).unwrap_or(0)
}

/// The digests of the sub-buckets of width `width` (numbered from `lo`) inside the
/// buckets `within` of width `parent` (also numbered from `lo`); `within` empty means all.
/// One statement per side and level, whatever the number of buckets. `source` is a
/// subquery with one integer column `k`.
#[allow(clippy::too_many_arguments)]
fn digests(
    db: &mut dyn Database,
    source: &str,
    (table, hashed): (&str, Hashed),
    lo: i64,
    width: i64,
    parent: i64,
    within: &[i64],
    bytes: &mut u64,
) -> Result<BTreeMap<i64, Digest>, CollectError> {
    let kind = db.url().kind;
    let div = division(kind);
    let slices: Vec<String> = (0..SLICES)
        .map(|i| format!("sum({}) AS s{i}", hash_slice(kind, "x.h", i)))
        .collect();
    // Each row's MD5 computed once, its slices taken from it.
    let sql = format!(
        "SELECT x.b, count(*) AS n, {} FROM (SELECT (k - ({lo})) {div} {width} AS b, {} AS h \
         FROM ({source}) d WHERE k >= {lo}{}) x GROUP BY x.b",
        slices.join(", "),
        row_hash(kind, hashed.text(kind)),
        in_buckets(kind, "k", lo, parent, within)
    );
    let mut found = BTreeMap::new();
    let mut failure = None;
    db.stream(&sql, Some(table), 100_000, &mut |_, columns| {
        *bytes += value_bytes(&columns);
        #[allow(clippy::needless_range_loop)] // one row across the columns
        for i in 0..columns[0].len() {
            let get = |c: usize| columns[c][i].as_deref().unwrap_or("0").trim().to_string();
            // A sum may come back as a decimal (`123.0`, MySQL's SUM of integers).
            let whole = |c: usize| get(c).split('.').next().unwrap_or("0").parse::<i128>();
            let sums: Result<Vec<i128>, _> = (0..SLICES).map(|s| whole(2 + s)).collect();
            match (get(0).parse::<i64>(), get(1).parse::<u64>(), sums) {
                (Ok(b), Ok(count), Ok(sums)) => {
                    let mut digest = Digest {
                        count,
                        ..Digest::default()
                    };
                    digest.sums.copy_from_slice(&sums);
                    found.insert(b, digest);
                }
                _ => {
                    failure = Some(format!(
                        "unreadable digest row: {:?}",
                        (0..2 + SLICES).map(get).collect::<Vec<_>>()
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

/// The most buckets named in one `IN (...)` list (about 100 KB of statement); past it, the
/// range from the first to the last is read instead, so a statement stays small however
/// many ranges differ (an entity not migrated yet differs everywhere).
const MAX_LISTED: usize = 16_384;

/// ` AND (k - lo) / width IN (...)` over the integer expression `k` (or, for more than
/// [`MAX_LISTED`] buckets, the range that holds them all), or nothing for every bucket.
pub(crate) fn in_buckets(kind: Kind, k: &str, lo: i64, width: i64, buckets: &[i64]) -> String {
    let (Some(first), Some(last)) = (buckets.iter().min(), buckets.iter().max()) else {
        return String::new();
    };
    if buckets.len() > MAX_LISTED {
        // Inclusive bounds: the last range may end at the largest 64-bit key.
        let from = lo as i128 + *first as i128 * width as i128;
        let to = (lo as i128 + (*last as i128 + 1) * width as i128 - 1).min(i64::MAX as i128);
        return format!(" AND {k} >= {from} AND {k} <= {to}");
    }
    let list: Vec<String> = buckets.iter().map(i64::to_string).collect();
    format!(
        " AND ({k} - ({lo})) {} {width} IN ({})",
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
) -> Result<Vec<i64>, CollectError> {
    let sql = format!(
        "SELECT k FROM ({source}) d WHERE k >= {lo}{}",
        in_buckets(db.url().kind, "k", lo, width, within)
    );
    // Sorted and deduplicated: 8 bytes an id (a set took five times that).
    let mut ids = Vec::new();
    values(db, &sql, table, bytes, |column| {
        ids.extend(
            column
                .into_iter()
                .flatten()
                .filter_map(|v| v.trim().parse::<i64>().ok()),
        );
    })?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Both sides of a two-server comparison: subqueries of one integer column `k` (and, to
/// compare values, their text `r`: [`Hashed`]), their ranges numbered from `lo`.
pub(crate) struct Sides<'a> {
    pub source_set: &'a str,
    pub target_set: &'a str,
    pub table: &'a str,
    pub lo: i64,
    pub hashed: Hashed,
    /// How many ranges the first level cuts the keys into ([`FIRST_FANOUT`] for the ids).
    pub first_fanout: i64,
}

impl Sides<'_> {
    /// The ids of both sides inside the ranges `within` of width `width` (every id when
    /// empty), compared exactly: (unmapped ids, orphan ids).
    fn compare(
        &self,
        source: &mut dyn Database,
        target: &mut dyn Database,
        width: i64,
        within: &[i64],
        bytes: &mut u64,
    ) -> Result<(Vec<i64>, Vec<i64>), CollectError> {
        let (s, t) = self.on_both(source, target, |db, set| {
            ids_in(db, set, self.table, self.lo, width, within, bytes)
        })?;
        Ok((difference(&s, &t), difference(&t, &s)))
    }

    /// Runs `read` on the source with its subquery, then on the target with its own.
    fn on_both<T>(
        &self,
        source: &mut dyn Database,
        target: &mut dyn Database,
        mut read: impl FnMut(&mut dyn Database, &str) -> Result<T, CollectError>,
    ) -> Result<(T, T), CollectError> {
        let s = read(source, self.source_set)?;
        let t = read(target, self.target_set)?;
        Ok((s, t))
    }
}

/// The ids of sorted `a` that are not in sorted `b`.
fn difference(a: &[i64], b: &[i64]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j == b.len() || b[j] != x {
            out.push(x);
        }
    }
    out
}

/// The canonical integer text of a mapping's legacy id, in each engine's SQL: only such ids
/// can equal an integer key's text, the rest are orphans of the table outright. Up to 19
/// digits, within a 64-bit integer's range (snowflake ids): a 19-digit text is compared with
/// the range's bounds as text, byte by byte.
pub(crate) fn canonical_int(kind: Kind, expr: &str) -> String {
    let short = "^(0|-?[1-9][0-9]{0,17})$";
    let (long, negative) = ("^[1-9][0-9]{18}$", "^-[1-9][0-9]{18}$");
    let (max, min) = ("9223372036854775807", "-9223372036854775808");
    match kind {
        // Under "C": a nondeterministic collation refuses regular expressions (found by an
        // independent check).
        Kind::Postgresql => format!(
            "({expr} COLLATE \"C\" ~ '{short}' OR ({expr} COLLATE \"C\" ~ '{long}' AND {expr} COLLATE \"C\" <= '{max}') \
             OR ({expr} COLLATE \"C\" ~ '{negative}' AND {expr} COLLATE \"C\" <= '{min}'))"
        ),
        Kind::Mysql => format!(
            "({expr} REGEXP '{short}' OR ({expr} REGEXP '{long}' AND CAST({expr} AS BINARY) <= '{max}') \
             OR ({expr} REGEXP '{negative}' AND CAST({expr} AS BINARY) <= '{min}'))"
        ),
        // A NUL ends what `length` and GLOB read (`12\0` read as 12): the text's bytes must
        // be its characters (found by an independent check).
        Kind::Sqlite => format!(
            "(length(CAST({expr} AS BLOB)) = length({expr}) AND ({expr} = '0' OR (({expr} GLOB '[1-9]*' OR {expr} GLOB '-[1-9]*') \
             AND substr({expr}, 2) NOT GLOB '*[^0-9]*' AND (length({expr}) <= 18 \
             OR (length({expr}) = 19 AND {expr} GLOB '[1-9]*' AND {expr} <= '{max}') \
             OR (length({expr}) = 19 AND {expr} GLOB '-*') \
             OR (length({expr}) = 20 AND {expr} GLOB '-*' AND {expr} <= '{min}')))))"
        ),
    }
}

pub(crate) fn int_cast(kind: Kind, expr: &str) -> String {
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
    type_values: &[String],
    mappings_sql: &str,
    fetch_below: u64,
    unmapped_sink: &mut BatchSink<'_>,
) -> Result<Summary, CollectError> {
    // As 64-bit integers on every engine: an `integer` key's arithmetic (k - lo) would
    // overflow 32 bits.
    let source_set = format!(
        "SELECT {} AS k FROM {} WHERE {} IS NOT NULL",
        int_cast(source.url().kind, &source.quote(key)),
        source.rows_of(table),
        source.quote(key)
    );
    let tk = target.url().kind;
    let mut bytes = 0u64;
    let mapped = mapped(target, mappings_sql, &raw_types(type_values, types));
    // No DISTINCT: a legacy id mapped twice only makes its range differ, and the ranges
    // fetched at the end are compared as sets, so the result is the same while every level
    // is a plain scan instead of a hash aggregate over all the mappings.
    // The cast only where the text is a canonical integer: a planner may evaluate it
    // before the filter, and engines fail (PostgreSQL) or clamp (MySQL, SQLite) past 64 bits.
    let canonical = canonical_int(tk, "mm.legacy_id");
    let target_set = format!(
        "SELECT CASE WHEN {canonical} THEN {} END AS k FROM ({mapped}) mm WHERE {canonical}",
        int_cast(tk, "mm.legacy_id"),
    );
    let mut queries = 0u64;
    // Mapped ids that are not canonical integers never equal a key: orphans outright.
    let odd_sql = format!(
        "SELECT DISTINCT {} FROM ({mapped}) mm WHERE NOT ({})",
        exact_text(tk, "mm.legacy_id"),
        canonical_int(tk, "mm.legacy_id")
    );
    let mut orphans: Vec<String> = Vec::new();
    values(target, &odd_sql, &table.shown, &mut bytes, |column| {
        orphans.extend(column.into_iter().flatten());
    })?;
    queries += 1;
    let (smin, smax, ids) = bounds(source, &source_set, &table.shown, &mut bytes)?;
    let (tmin, tmax, _) = bounds(target, &target_set, &table.shown, &mut bytes)?;
    queries += 2;
    let lo = [smin, tmin].into_iter().flatten().min();
    let hi = [smax, tmax].into_iter().flatten().max();
    let (mut unmapped, orphan_ints) = match (lo, hi) {
        (Some(lo), Some(hi)) => {
            let sides = Sides {
                source_set: &source_set,
                target_set: &target_set,
                table: &table.shown,
                lo,
                hashed: Hashed::Key,
                first_fanout: FIRST_FANOUT,
            };
            sides.differences(source, target, hi, fetch_below, &mut bytes, &mut queries)?
        }
        _ => (Vec::new(), Vec::new()),
    };
    unmapped.sort_unstable();
    orphans.extend(orphan_ints.iter().map(i64::to_string));
    orphans.sort();
    write_unmapped(&unmapped, unmapped_sink)?;
    Ok(Summary {
        ids,
        // The keys are distinct (`Collector::checksums_by_ranges` checks): rows are ids.
        matched: ids - (unmapped.len() as u64).min(ids),
        matched_rows: ids - (unmapped.len() as u64).min(ids),
        orphans,
        entity_types: types.to_vec(),
        method: format!(
            "checksums of key ranges between {} and {}",
            source.url().shown,
            target.url().shown
        ),
        bytes_transferred: bytes,
        queries,
        mapping_rows_in_database: BTreeMap::new(),
    })
}

/// The smallest and largest key of a set of keys `k`, and how many keys it has.
pub(crate) fn bounds(
    db: &mut dyn Database,
    set: &str,
    table: &str,
    bytes: &mut u64,
) -> Result<(Option<i64>, Option<i64>, u64), CollectError> {
    let mut row = (None, None, 0u64);
    db.stream(
        &format!("SELECT min(k), max(k), count(*) FROM ({set}) d"),
        Some(table),
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
}

impl Sides<'_> {
    /// The unmapped and orphan ids between `lo` and `hi`: the ids of the ranges that
    /// [`Sides::narrowed`] leaves, compared exactly.
    fn differences(
        &self,
        source: &mut dyn Database,
        target: &mut dyn Database,
        hi: i64,
        fetch_below: u64,
        bytes: &mut u64,
        queries: &mut u64,
    ) -> Result<(Vec<i64>, Vec<i64>), CollectError> {
        match self.narrowed(source, target, hi, fetch_below, bytes, queries)? {
            None => Ok((Vec::new(), Vec::new())),
            Some(left) => {
                let found = self.compare(source, target, left.width, &left.buckets, bytes)?;
                *queries += 2;
                Ok(found)
            }
        }
    }

    /// Where the sides differ between `lo` and `hi`, level by level: the differing buckets
    /// of one width are cut into FANOUT smaller ones, digested in one statement per side,
    /// until the keys left in differing buckets are few enough to read. `None` when every
    /// range agrees.
    pub(crate) fn narrowed(
        &self,
        source: &mut dyn Database,
        target: &mut dyn Database,
        hi: i64,
        fetch_below: u64,
        bytes: &mut u64,
        queries: &mut u64,
    ) -> Result<Option<Left>, CollectError> {
        let lo = self.lo;
        // Keys more than 2^63 apart (-1 and the largest key) would overflow `k - lo` on
        // every engine: then every key is read, without ranges.
        let wide = hi as i128 - lo as i128 + 1 > i64::MAX as i128;
        let span = (hi as i128 - lo as i128 + 1).min(i64::MAX as i128) as i64;
        let mut width = span;
        let mut differing: Vec<i64> = Vec::new();
        let mut first = true;
        if wide {
            return Ok(Some(Left {
                width,
                buckets: Vec::new(),
                rows: u64::MAX,
            }));
        }
        loop {
            let fanout = if first { self.first_fanout } else { FANOUT };
            let sub = (width / fanout + i64::from(width % fanout != 0)).max(1);
            let within = if first { Vec::new() } else { differing.clone() };
            let (s, t) = self.on_both(source, target, |db, set| {
                digests(
                    db,
                    set,
                    (self.table, self.hashed),
                    lo,
                    sub,
                    width,
                    &within,
                    bytes,
                )
            })?;
            *queries += 2;
            first = false;
            let (next, listed, left) = differing_buckets(&s, &t);
            differing = next;
            width = sub;
            if differing.is_empty() {
                return Ok(None);
            }
            // Read when few keys are left, at the narrowest width, or when most ranges
            // differ (differences scattered everywhere, or an entity not migrated yet):
            // another level would digest nearly every key again, so the keys are read.
            if left <= fetch_below
                || width == 1
                || differing.len() > MAX_LISTED
                || differing.len() * 2 > listed
            {
                return Ok(Some(Left {
                    width,
                    buckets: differing,
                    rows: left,
                }));
            }
        }
    }
}

/// The ranges where two sides differ ([`Sides::narrowed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    /// The ranges' width, and their numbers from the sides' `lo` (none listed: every key).
    pub width: i64,
    pub buckets: Vec<i64>,
    /// The rows they hold on both sides together (`u64::MAX` when not counted).
    pub rows: u64,
}

impl Sides<'_> {
    /// Each row of the ranges `left` on one side: its key and the MD5 of what the digests
    /// hash ([`Hashed`]), sorted.
    pub(crate) fn hashes(
        &self,
        db: &mut dyn Database,
        set: &str,
        left: &Left,
        bytes: &mut u64,
    ) -> Result<Vec<(i64, u128)>, CollectError> {
        let kind = db.url().kind;
        let text = self.hashed.text(kind);
        let md5 = match kind {
            Kind::Postgresql => format!("md5(CAST({text} AS TEXT))"),
            Kind::Mysql => format!("MD5(CAST({text} AS CHAR))"),
            Kind::Sqlite => format!("migcov_md5(CAST({text} AS TEXT))"),
        };
        let sql = format!(
            "SELECT k, {md5} FROM ({set}) d WHERE k >= {}{}",
            self.lo,
            in_buckets(kind, "k", self.lo, left.width, &left.buckets)
        );
        let mut rows = Vec::new();
        let mut failure = None;
        db.stream(&sql, Some(self.table), 100_000, &mut |_, columns| {
            *bytes += value_bytes(&columns);
            let (keys, hashes) = (&columns[0], &columns[1]);
            for (k, h) in keys.iter().zip(hashes) {
                let hash = h.as_deref().map(|h| u128::from_str_radix(h.trim(), 16));
                match (k.as_deref().map(|k| k.trim().parse::<i64>()), hash) {
                    (Some(Ok(k)), Some(Ok(hash))) => rows.push((k, hash)),
                    _ => failure = Some(format!("unreadable key and hash: {k:?}, {h:?}")),
                }
            }
            Ok(())
        })?;
        match failure {
            Some(message) => Err(db.query_error(&sql, Some(self.table), message)),
            None => {
                rows.sort_unstable();
                Ok(rows)
            }
        }
    }
}

/// The buckets whose digests differ between the sides, how many buckets either side
/// listed, and how many ids the differing ones hold on both sides together.
fn differing_buckets(
    s: &BTreeMap<i64, Digest>,
    t: &BTreeMap<i64, Digest>,
) -> (Vec<i64>, usize, u64) {
    let buckets: BTreeSet<i64> = s.keys().chain(t.keys()).copied().collect();
    let listed = buckets.len();
    let mut left = 0u64;
    let differing = buckets
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
    (differing, listed, left)
}

/// Writes the unmapped ids (sorted) as column `id`, in batches, and one empty batch when
/// there are none.
fn write_unmapped(unmapped: &[i64], unmapped_sink: &mut BatchSink<'_>) -> Result<(), CollectError> {
    let header = ["id".to_string()];
    for chunk in unmapped.chunks(100_000) {
        let column: Vec<Option<String>> = chunk.iter().map(|k| Some(k.to_string())).collect();
        unmapped_sink(&header, vec![column])?;
    }
    if unmapped.is_empty() {
        unmapped_sink(&header, vec![Vec::new()])?;
    }
    Ok(())
}

/// Whether a column type is an integer on its engine.
pub fn is_integer_type(data_type: &str) -> bool {
    let t = data_type.to_ascii_lowercase();
    // An unsigned 64-bit key may pass 2^63, where no engine's signed cast goes.
    let unsigned_64 = t.contains("bigint") && t.contains("unsigned");
    ["int", "serial"].iter().any(|w| t.contains(w))
        && !t.contains("interval")
        && !t.contains("point")
        && !unsigned_64
}

/// Whether a key column of declared type `data_type` (as the catalogue spells it) casts to
/// text in SQL exactly as the full export writes its values: whole numbers (not MySQL's
/// ZEROFILL, padded by the cast), exact decimals, UUIDs (PostgreSQL) and text. Bytes,
/// dates, timestamps, floats, bits and the like are not: each engine's cast and the
/// export's text differ for some values.
pub fn exact_key_type(kind: Kind, data_type: &str) -> bool {
    let t = data_type.trim().to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or_default().trim();
    let words: Vec<&str> = base.split_whitespace().collect();
    match kind {
        Kind::Postgresql => matches!(
            base,
            "smallint"
                | "integer"
                | "bigint"
                | "int2"
                | "int4"
                | "int8"
                | "numeric"
                | "decimal"
                | "text"
                | "character varying"
                | "varchar"
                | "character"
                | "char"
                | "bpchar"
                | "uuid"
        ),
        Kind::Mysql => {
            !t.contains("zerofill")
                && matches!(
                    words.first().copied().unwrap_or_default(),
                    "tinyint"
                        | "smallint"
                        | "mediumint"
                        | "int"
                        | "integer"
                        | "bigint"
                        | "decimal"
                        | "numeric"
                        | "char"
                        | "varchar"
                        | "tinytext"
                        | "text"
                        | "mediumtext"
                        | "longtext"
                )
                // A CHAR or VARCHAR of a binary character set holds bytes.
                && !t.contains("binary")
        }
        Kind::Sqlite => true,
    }
}

pub fn summary_path(table: &str) -> String {
    format!("pushdown/{table}.json")
}
