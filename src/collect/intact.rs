//! `migcov collect --pushdown` for the rows a `content:` declaration compares, where one
//! server holds the legacy table, the target table and the mappings: the database joins
//! each legacy row through its mappings to its target rows and compares each pair's two
//! texts, as the export would select them, byte for byte. A legacy id is *proved intact*
//! there when it has a mapping, every mapping of it finds a target row, and every pair is
//! the same text in every legacy row and target row it joins; only the rows of the other
//! mapped ids (those that differ, whose target is missing, or that the database cannot
//! prove) are exported, and `rows/pushdown/<legacy_table>.json` says how many ids were
//! proved intact and how many rows each table has. The build compares the exported rows
//! as it compares any and adds the proved ones: the same rows intact, differing and
//! missing as a full export gives, which `tests/content_pushdown.rs` checks on SQLite,
//! PostgreSQL and MariaDB.
//!
//! Equal texts prove equal values only when the texts are what the export reads and both
//! sides are read alike, so the collector pushes a declaration down only when every pair
//! has no transform, one time zone for both sides, the same [`canonical::Family`] on both
//! sides and no binary float (whose text may round); when the legacy key's text in SQL is
//! the export's ([`super::pushdown::exact_key_type`]); and when every target key and every
//! mapping's `modern_id` is a hyphenated UUID as written, which text equality after `lower`
//! matches exactly as the loader matches UUIDs. Anything else is exported in full.

use super::db::Kind;
use super::pushdown::{exact_text, same_text, trimmed};
use crate::canonical::Family;
pub use crate::load::RowsPushdown as RowsSummary;

/// Where the rows are, as the statements read them.
pub struct Tables<'a> {
    /// Each table as a `FROM` clause reads it.
    pub legacy_from: &'a str,
    pub target_from: &'a str,
    /// The key columns, quoted.
    pub legacy_key: &'a str,
    pub target_key: &'a str,
    /// Each pair's two values as the export selects them, over the aliases `s` (legacy)
    /// and `t` (target).
    pub values: &'a [(String, String)],
    /// The entity's own mappings with `k` (the legacy id's text, trimmed) and `mid` (the
    /// modern id's text): [`own_mappings`].
    pub mappings: &'a str,
}

/// Why a pair of columns of these families cannot be proved equal by their texts, if so.
pub fn family_problem(legacy: Family, target: Family) -> Option<String> {
    if legacy != target {
        return Some(format!("its columns are read as {legacy:?} and {target:?}"));
    }
    matches!(legacy, Family::Float | Family::Float32)
        .then(|| "it compares binary floats, whose text in SQL may round".to_string())
}

/// A value as text in SQL.
fn as_text(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Mysql => format!("CAST({expr} AS CHAR)"),
        _ => format!("CAST({expr} AS TEXT)"),
    }
}

/// The mapping rows of `raw` (exact `entity_type` values): `k`, the legacy id trimmed as
/// the loader trims keys (an empty one is no key), and `mid`, the modern id as text.
pub fn own_mappings(kind: Kind, mappings_sql: &str, raw_list: &str) -> String {
    let id = trimmed(kind, "m.legacy_id");
    format!(
        "SELECT {id} AS k, {} AS mid FROM (\n{mappings_sql}\n) m \
         WHERE {} IN ({raw_list}) AND m.legacy_id IS NOT NULL AND length({id}) > 0",
        as_text(kind, "m.modern_id"),
        exact_text(kind, "m.entity_type"),
    )
}

/// Whether a text is a hyphenated UUID exactly as written (36 characters, no space): the
/// one form in which SQL's `lower` text equality is the loader's UUID equality.
fn uuid_shaped(kind: Kind, expr: &str) -> String {
    let hex = |n: usize| "[0-9a-fA-F]".repeat(n);
    match kind {
        Kind::Sqlite => format!(
            "(typeof({expr}) = 'text' AND length({expr}) = 36 AND {expr} GLOB '{}-{}-{}-{}-{}')",
            hex(8),
            hex(4),
            hex(4),
            hex(4),
            hex(12)
        ),
        Kind::Postgresql => format!(
            "(length({expr}) = 36 AND {expr} ~ '^[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}$')"
        ),
        Kind::Mysql => format!(
            "(CHAR_LENGTH({expr}) = 36 AND {expr} REGEXP '^[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}$')"
        ),
    }
}

/// How many modern ids of the mappings and target keys are not [`uuid_shaped`]: with any,
/// the table is exported in full.
pub fn odd_ids_sql(kind: Kind, tables: &Tables) -> String {
    let key = as_text(kind, &format!("t.{}", tables.target_key));
    format!(
        "SELECT (SELECT count(*) FROM ({}) m WHERE m.mid IS NOT NULL AND NOT {}) \
         + (SELECT count(*) FROM {} t WHERE t.{} IS NOT NULL AND NOT {})",
        tables.mappings,
        uuid_shaped(kind, "m.mid"),
        tables.target_from,
        tables.target_key,
        uuid_shaped(kind, &key),
    )
}

/// Whether two values, each as the export selects it, are the same text (both missing, or
/// both present with the same bytes); never NULL. In SQLite, whose columns hold values of
/// any class, only two integers or two texts are compared: a REAL's text rounds.
fn same_value(kind: Kind, a: &str, b: &str) -> String {
    let equal = match kind {
        Kind::Sqlite => format!(
            "typeof({a}) = typeof({b}) AND typeof({a}) IN ('integer', 'text') AND ({a}) = ({b}) COLLATE BINARY"
        ),
        _ => same_text(kind, &as_text(kind, a), &as_text(kind, b)),
    };
    format!(
        "COALESCE(CASE WHEN ({a}) IS NULL THEN ({b}) IS NULL WHEN ({b}) IS NULL THEN 1 = 0 ELSE {equal} END, 1 = 0)"
    )
}

/// `WITH` the entity's mappings (`m`), the legacy rows' keys and values (`l`), the target
/// rows' (`tr`), and the legacy ids not proved intact (`bad`: a mapping finding no target
/// row, or a pair whose texts differ in some legacy row and target row it joins).
fn with_clause(kind: Kind, tables: &Tables) -> String {
    let key = trimmed(kind, &format!("s.{}", tables.legacy_key));
    let legacy_values = tables
        .values
        .iter()
        .enumerate()
        .map(|(i, (l, _))| format!(", {l} AS v{i}"))
        .collect::<String>();
    let target_values = tables
        .values
        .iter()
        .enumerate()
        .map(|(i, (_, t))| format!(", {t} AS w{i}"))
        .collect::<String>();
    let same = tables
        .values
        .iter()
        .enumerate()
        .map(|(i, _)| same_value(kind, &format!("l.v{i}"), &format!("tr.w{i}")))
        .collect::<Vec<_>>()
        .join(" AND ");
    let same = if same.is_empty() {
        "1 = 1".into()
    } else {
        same
    };
    let target_id = format!(
        "lower({})",
        as_text(kind, &format!("t.{}", tables.target_key))
    );
    format!(
        "WITH m AS ({mappings}), \
         l AS (SELECT {key} AS k{legacy_values} FROM {legacy} s \
               WHERE s.{legacy_key} IS NOT NULL AND length({key}) > 0), \
         tr AS (SELECT {target_id} AS mid{target_values} FROM {target} t \
                WHERE t.{target_key} IS NOT NULL), \
         bad AS (SELECT m.k FROM m WHERE m.mid IS NULL OR NOT EXISTS \
                   (SELECT 1 FROM tr WHERE {found}) \
                 UNION SELECT l.k FROM l JOIN m ON {joined} JOIN tr ON {found} \
                   WHERE NOT ({same}))",
        mappings = tables.mappings,
        legacy = tables.legacy_from,
        legacy_key = tables.legacy_key,
        target = tables.target_from,
        target_key = tables.target_key,
        found = same_text(kind, "tr.mid", "lower(m.mid)"),
        joined = same_text(kind, "m.k", "l.k"),
    )
}

/// One row: the legacy table's rows, the target table's, and the distinct legacy ids
/// proved intact (mapped, and not `bad`).
pub fn counts_sql(kind: Kind, tables: &Tables) -> String {
    format!(
        "{} SELECT (SELECT count(*) FROM {} s), (SELECT count(*) FROM {} t), \
         (SELECT count(DISTINCT {}) FROM l WHERE EXISTS (SELECT 1 FROM m WHERE {}) \
          AND NOT EXISTS (SELECT 1 FROM bad WHERE {}))",
        with_clause(kind, tables),
        tables.legacy_from,
        tables.target_from,
        exact_text(kind, "l.k"),
        same_text(kind, "m.k", "l.k"),
        same_text(kind, "bad.k", "l.k"),
    )
}

/// The legacy rows of the ids not proved intact, with `columns` (over alias `s`) as the
/// full export selects them.
pub fn legacy_rows_sql(kind: Kind, tables: &Tables, columns: &str) -> String {
    let key = trimmed(kind, &format!("s.{}", tables.legacy_key));
    format!(
        "{} SELECT {columns} FROM {} s WHERE s.{} IS NOT NULL \
         AND EXISTS (SELECT 1 FROM bad WHERE {})",
        with_clause(kind, tables),
        tables.legacy_from,
        tables.legacy_key,
        same_text(kind, "bad.k", &key),
    )
}

/// The target rows that a mapping of an id not proved intact names, with `columns` (over
/// alias `t`) as the full export selects them.
pub fn target_rows_sql(kind: Kind, tables: &Tables, columns: &str) -> String {
    let id = format!(
        "lower({})",
        as_text(kind, &format!("t.{}", tables.target_key))
    );
    format!(
        "{} SELECT {columns} FROM {} t WHERE t.{} IS NOT NULL AND EXISTS \
         (SELECT 1 FROM m JOIN bad ON {} WHERE {})",
        with_clause(kind, tables),
        tables.target_from,
        tables.target_key,
        same_text(kind, "bad.k", "m.k"),
        same_text(kind, &id, "lower(m.mid)"),
    )
}

/// `rows/pushdown/<table>.json`.
pub fn summary_path(table: &str) -> String {
    format!("rows/pushdown/{table}.json")
}
