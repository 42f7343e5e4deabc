//! `migcov collect --pushdown` for the rows a `content:` declaration compares. Where one
//! server holds the legacy table, the target table and the mappings, the database joins
//! each legacy row through its mappings to its target rows and compares each pair's two
//! texts, as the export would select them, byte for byte ([`Tables`]). Where the legacy
//! table is on another server, each side hashes its rows' texts and the two compare them
//! by key ranges, as the ids are compared ([`RangeTables`]). A legacy id is *proved intact*
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
//! the export's ([`super::pushdown::exact_key_type`]), and so are the mappings' ids
//! ([`mapping_type`]); and when every target key and every mapping's `modern_id` is a
//! hyphenated UUID as written, which text equality after `lower` matches exactly as the
//! loader matches UUIDs. Anything else is exported in full. Values are compared as their
//! bytes, under no collation of their columns, and joined on plain columns, so that each
//! engine hashes or indexes the joins.

use super::db::Kind;
use super::pushdown::{exact_text, trimmed};
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
    /// The mapping rows of the entity's type, with their raw `legacy_id` and
    /// `modern_id`: [`own_mappings`].
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

/// Whether a column of declared type `declared`, read as [`Family::Text`] (any type the
/// families do not name), is one whose text the database gives as the export reads it:
/// text types; in SQLite, whose columns hold values of any class, any (the values' classes
/// are compared). A geometry, say, has no text in SQL (MariaDB refuses the cast).
pub fn text_type(kind: Kind, declared: &str) -> bool {
    let t = declared.to_ascii_lowercase();
    kind == Kind::Sqlite
        || ["char", "text", "enum", "set", "uuid", "clob", "string"]
            .iter()
            .any(|w| t.contains(w))
}

/// Whether a column of declared type `declared` is one whose raw text the export pads and
/// SQL's cast to text does not: PostgreSQL's `character(n)` (its cast drops the spaces).
/// Read raw (a key compared as a value), such a column cannot be proved by its text.
pub fn padded_in_export(kind: Kind, declared: &str) -> bool {
    let t = declared.trim().to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or_default().trim();
    kind == Kind::Postgresql && matches!(base, "character" | "char" | "bpchar")
}

/// Whether a column of the mappings query, of result type `type_name` (as the driver
/// names it), is text the database compares as the export reads it: whole numbers, exact
/// decimals, UUIDs and text (not MySQL's ZEROFILL, padded in SQL, nor bytes). In SQLite,
/// whose results have no type, the values' classes are checked ([`odd_ids_sql`]).
pub fn mapping_type(kind: Kind, type_name: &str) -> bool {
    let t = type_name.to_ascii_lowercase();
    match kind {
        Kind::Postgresql => super::pushdown::exact_key_type(kind, &t),
        Kind::Mysql => {
            !t.contains("zerofill")
                && !t.contains("binary")
                && matches!(
                    t.as_str(),
                    "tiny"
                        | "short"
                        | "int24"
                        | "long"
                        | "longlong"
                        | "newdecimal"
                        | "decimal"
                        | "var_string"
                        | "string"
                        | "varchar"
                        | "blob"
                )
        }
        Kind::Sqlite => true,
    }
}

/// A value as text in SQL.
fn as_text(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Mysql => format!("CAST({expr} AS CHAR)"),
        _ => format!("CAST({expr} AS TEXT)"),
    }
}

/// The mapping rows of the entity's type (`raw_list`, exact `entity_type` values) with
/// their raw `legacy_id` and `modern_id`.
pub fn own_mappings(kind: Kind, mappings_sql: &str, raw_list: &str) -> String {
    format!(
        "SELECT m.legacy_id AS legacy_id, m.modern_id AS modern_id FROM (\n{mappings_sql}\n) m \
         WHERE {} IN ({raw_list})",
        exact_text(kind, "m.entity_type"),
    )
}

/// Whether a text is a hyphenated UUID exactly as written (36 characters, no space): the
/// one form in which SQL's `lower` text equality is the loader's UUID equality.
fn uuid_shaped(kind: Kind, expr: &str) -> String {
    let hex = |n: usize| "[0-9a-fA-F]".repeat(n);
    match kind {
        // The value itself a text (a blob's text is not what the export reads).
        // Its bytes counted: `length` and GLOB stop at a NUL (found by an independent check).
        Kind::Sqlite => format!(
            "(typeof({expr}) = 'text' AND length(CAST({expr} AS BLOB)) = 36 AND {expr} GLOB '{}-{}-{}-{}-{}')",
            hex(8),
            hex(4),
            hex(4),
            hex(4),
            hex(12)
        ),
        // Under "C": a nondeterministic collation refuses regular expressions.
        Kind::Postgresql => {
            let text = format!("({} COLLATE \"C\")", as_text(kind, expr));
            format!(
                "(length({text}) = 36 AND {text} ~ '^[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}$')"
            )
        }
        // MariaDB has no REGEXP_LIKE; its REGEXP matches the whole 36 characters here.
        Kind::Mysql => {
            let text = as_text(kind, expr);
            format!(
                "(CHAR_LENGTH({text}) = 36 AND {text} REGEXP '^[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}$')"
            )
        }
    }
}

/// In SQLite, whose columns hold values of any class, a mapping (`m`) whose `legacy_id` is
/// neither a whole number nor UTF-8 text: a REAL `18.0` is `18.0` in SQL and `18`
/// exported, a blob `b'15'` is `15` in SQL and `3135` exported.
pub const SQLITE_ODD_LEGACY_ID: &str =
    "(m.legacy_id IS NOT NULL AND NOT (typeof(m.legacy_id) = 'integer' \
     OR (typeof(m.legacy_id) = 'text' AND migcov_utf8(m.legacy_id) = 1)))";

/// How many values would be read differently by SQL and by the export: modern ids of the
/// mappings and target keys that are not [`uuid_shaped`] and, in SQLite, legacy ids that
/// are neither whole numbers nor UTF-8 text (a REAL `1.0` is `1.0` in SQL and `1` exported,
/// a blob hex). With any, the table is exported in full.
pub fn odd_ids_sql(kind: Kind, mappings: &str, (target_from, target_key): (&str, &str)) -> String {
    let legacy_id = match kind {
        Kind::Sqlite => format!(" OR {SQLITE_ODD_LEGACY_ID}"),
        _ => String::new(),
    };
    format!(
        "SELECT (SELECT count(*) FROM ({}) m WHERE (m.modern_id IS NOT NULL AND NOT {}){legacy_id}) \
         + (SELECT count(*) FROM {} t WHERE t.{} IS NOT NULL AND NOT {})",
        mappings,
        uuid_shaped(kind, "m.modern_id"),
        target_from,
        target_key,
        uuid_shaped(kind, &format!("t.{target_key}")),
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
        // Both already their bytes ([`value_bytes`]).
        _ => format!("{a} = {b}"),
    };
    format!(
        "COALESCE(CASE WHEN ({a}) IS NULL THEN ({b}) IS NULL WHEN ({b}) IS NULL THEN 1 = 0 ELSE {equal} END, 1 = 0)"
    )
}

/// A legacy key's text as the loader compares keys (trimmed), in the form the statements
/// join on: the bytes ([`exact_text`]), so that every join is on plain columns, which each
/// engine hashes or indexes (a join on an expression was a nested loop: 665 s for 50,000
/// rows on PostgreSQL).
fn key_bytes(kind: Kind, expr: &str) -> String {
    match kind {
        // MySQL's trim (REGEXP_REPLACE) gives a LONGTEXT, whose bytes no derived table
        // indexes (a block nested loop: over 600 s for 50,000 rows on MariaDB): its
        // SHA-256 instead, 32 bytes, as strong as the digests of the id pushdown.
        Kind::Mysql => format!(
            "UNHEX(SHA2(CONVERT({} USING utf8mb4), 256))",
            trimmed(kind, expr)
        ),
        _ => exact_text(kind, &trimmed(kind, expr)),
    }
}

/// A compared value as the statements hold it: its text's bytes (PostgreSQL, MySQL), or
/// the value itself (SQLite, whose classes are compared), under no collation of its
/// column: a `DISTINCT` under a case-insensitive or PAD SPACE collation made `ABC` and
/// `abc`, `x` and `x `, one row, and a key with both was proved intact.
fn value_bytes(kind: Kind, select: &str) -> String {
    match kind {
        Kind::Sqlite => format!("({select}) COLLATE BINARY"),
        _ => exact_text(kind, &as_text(kind, select)),
    }
}

/// A UUID's text in lower case, in the form the statements join on.
fn uuid_bytes(kind: Kind, expr: &str) -> String {
    exact_text(kind, &format!("lower({})", as_text(kind, expr)))
}

/// `WITH` the entity's mappings (`migcov_m`: `k`, the legacy id's bytes; `mid`, the modern
/// id's), the legacy rows (`migcov_l`: `k` and each pair's legacy value) and the target
/// rows (`migcov_t`: `mid` and each target value), each without repeats (a row listed twice
/// proves nothing more, and a `DISTINCT` keeps MariaDB from merging the tables into nested
/// loops, and PostgreSQL too: without it a statement ran ten minutes at a million rows
/// where it takes ten seconds); every mapping with its target rows and legacy rows (`migcov_j`); and per
/// legacy id (`migcov_keys`): `bad`, 1 when a mapping of it finds no target row or a pair
/// differs in some legacy row and target row, and `has_rows`, 1 when the legacy table has
/// it. The names are migcov's own, so no table of the database is read in their place.
fn with_clause(kind: Kind, tables: &Tables) -> String {
    let legacy_values = tables
        .values
        .iter()
        .enumerate()
        .map(|(i, (l, _))| format!(", {} AS v{i}", value_bytes(kind, l)))
        .collect::<String>();
    let target_values = tables
        .values
        .iter()
        .enumerate()
        .map(|(i, (_, t))| format!(", {} AS w{i}", value_bytes(kind, t)))
        .collect::<String>();
    let same = tables
        .values
        .iter()
        .enumerate()
        .map(|(i, _)| same_value(kind, &format!("l.v{i}"), &format!("t.w{i}")))
        .collect::<Vec<_>>()
        .join(" AND ");
    let same = if same.is_empty() {
        "1 = 1".into()
    } else {
        same
    };
    let legacy_key = format!("s.{}", tables.legacy_key);
    let mapped_id = trimmed(kind, "o.legacy_id");
    format!(
        "WITH migcov_m AS (SELECT DISTINCT {m_k} AS k, {m_mid} AS mid FROM ({mappings}) o \
           WHERE o.legacy_id IS NOT NULL AND {mapped_present}), \
         migcov_l AS (SELECT DISTINCT {l_k} AS k{legacy_values} FROM {legacy} s \
           WHERE {legacy_key} IS NOT NULL AND {key_present}), \
         migcov_t AS (SELECT DISTINCT {t_mid} AS mid{target_values} FROM {target} t \
           WHERE t.{target_key} IS NOT NULL), \
         migcov_j AS (SELECT m.k AS k, t.mid AS found, l.k AS lk, \
           CASE WHEN {same} THEN 1 ELSE 0 END AS same \
           FROM migcov_m m LEFT JOIN migcov_t t ON t.mid = m.mid LEFT JOIN migcov_l l ON l.k = m.k), \
         migcov_keys AS (SELECT k, \
           max(CASE WHEN found IS NULL OR (lk IS NOT NULL AND same = 0) THEN 1 ELSE 0 END) AS bad, \
           max(CASE WHEN lk IS NOT NULL THEN 1 ELSE 0 END) AS has_rows \
           FROM migcov_j GROUP BY k)",
        mappings = tables.mappings,
        m_k = key_bytes(kind, "o.legacy_id"),
        m_mid = uuid_bytes(kind, "o.modern_id"),
        l_k = key_bytes(kind, &legacy_key),
        mapped_present = super::pushdown::not_empty(kind, &mapped_id),
        key_present = super::pushdown::not_empty(kind, &trimmed(kind, &legacy_key)),
        legacy = tables.legacy_from,
        target = tables.target_from,
        target_key = tables.target_key,
        t_mid = uuid_bytes(kind, &format!("t.{}", tables.target_key)),
    )
}

/// One row: the legacy table's rows, the target table's, and the distinct legacy ids
/// proved intact (in the legacy table, mapped, and not `bad`).
pub fn counts_sql(kind: Kind, tables: &Tables) -> String {
    format!(
        "{} SELECT (SELECT count(*) FROM {} s), (SELECT count(*) FROM {} t), \
         (SELECT count(*) FROM migcov_keys WHERE bad = 0 AND has_rows = 1)",
        with_clause(kind, tables),
        tables.legacy_from,
        tables.target_from,
    )
}

/// The legacy rows of the ids not proved intact, with `columns` (over alias `s`) as the
/// full export selects them.
pub fn legacy_rows_sql(kind: Kind, tables: &Tables, columns: &str) -> String {
    let key = format!("s.{}", tables.legacy_key);
    format!(
        "{} SELECT {columns} FROM {} s WHERE {key} IS NOT NULL \
         AND {} IN (SELECT k FROM migcov_keys WHERE bad = 1 AND has_rows = 1)",
        with_clause(kind, tables),
        tables.legacy_from,
        key_bytes(kind, &key),
    )
}

/// The target rows that a mapping of an id not proved intact names, with `columns` (over
/// alias `t`) as the full export selects them.
pub fn target_rows_sql(kind: Kind, tables: &Tables, columns: &str) -> String {
    let key = format!("t.{}", tables.target_key);
    format!(
        "{} SELECT {columns} FROM {} t WHERE {key} IS NOT NULL AND {} IN \
         (SELECT m.mid FROM migcov_m m JOIN migcov_keys b ON b.k = m.k \
          WHERE b.bad = 1 AND b.has_rows = 1)",
        with_clause(kind, tables),
        tables.target_from,
        uuid_bytes(kind, &key),
    )
}

/// `rows/pushdown/<table>.json`.
pub fn summary_path(table: &str) -> String {
    format!("rows/pushdown/{table}.json")
}

/// Two servers: the legacy table on the source, the target table and the mappings on the
/// target, a legacy key of one integer column whose values are distinct. Each side is a
/// subquery of `k` (the legacy id as an integer) and `r` (a hash of its values), which
/// [`super::pushdown::Sides`] compares by the digests of key ranges, as the ids are
/// compared; the rows of the ranges that differ are exported and compared by the build.
/// A range agrees when both sides hold the same `(k, r)` rows, which with distinct legacy
/// keys is: each legacy id of the range has one row, one distinct mapping and one distinct
/// target row, every value the same text; any other id (unmapped, mapped twice, target
/// missing, a value differing) makes its range differ.
pub struct RangeTables<'a> {
    /// The legacy table as a `FROM` clause reads it, and its key column, quoted.
    pub legacy_from: &'a str,
    pub legacy_key: &'a str,
    /// The legacy values, as the export selects them over alias `s`, each with its text as
    /// the export writes it ([`export_text`]).
    pub legacy_values: &'a [(String, Option<String>)],
    /// The target table, its key column (quoted) and its values (over alias `t`).
    pub target_from: &'a str,
    pub target_key: &'a str,
    pub target_values: &'a [(String, Option<String>)],
    /// The entity's mapping rows: [`own_mappings`].
    pub mappings: &'a str,
    /// The legacy key is text (or any type but an integer): each side's `k` is then a
    /// 60-bit number from the MD5 of the key's text ([`key_number`]), and the key's text
    /// is hashed into `r`, so two keys of one number never pass for each other.
    pub text_keys: bool,
}

/// A key's text as a whole number below 2^60: the first 15 hex digits of the MD5 of its
/// UTF-8 bytes, alike in every engine (SQLite: `migcov_md5_number`, registered by the
/// connection). Keys of one number stay apart: their texts are in `r` ([`keyed_row`]).
fn key_number(kind: Kind, text: &str) -> String {
    match kind {
        Kind::Postgresql => {
            format!("('x' || substr(md5(convert_to({text}, 'UTF8')), 1, 15))::bit(60)::bigint")
        }
        Kind::Mysql => format!(
            "CAST(CONV(SUBSTRING(MD5(CONVERT({text} USING utf8mb4)), 1, 15), 16, 10) AS SIGNED)"
        ),
        Kind::Sqlite => format!("migcov_md5_number({text})"),
    }
}

/// A row's `r` with its key's text before it (the MD5 of the key's UTF-8 text and the 32
/// hex digits of `r`, which end it, so the two read apart).
fn keyed_row(kind: Kind, key: &str, r: &str) -> String {
    match kind {
        Kind::Postgresql => format!("md5(convert_to({key} || {r}, 'UTF8'))"),
        Kind::Mysql => format!("MD5(CONVERT(CONCAT({key}, {r}) USING utf8mb4))"),
        Kind::Sqlite => format!("migcov_md5({key} || {r})"),
    }
}

/// The legacy key over alias `s` as the number the statements cut into ranges: the
/// integer itself, or its text's [`key_number`].
fn legacy_number(kind: Kind, tables: &RangeTables) -> String {
    let key = format!("s.{}", tables.legacy_key);
    match tables.text_keys {
        true => key_number(kind, &trimmed(kind, &key)),
        false => super::pushdown::int_cast(kind, &key),
    }
}

/// A value's token in a row's text: `-` for NULL, else its length in bytes, `:` and its
/// text as the export writes it ([`export_text`]), alike in every engine (so the tokens one
/// after the other read back as one sequence of values; bytes, since SQLite counts the
/// characters of a text only up to a NUL). In SQLite, whose columns hold
/// values of any class, only integers and texts are written. Any other value, and one with
/// no such text (`None`), gets `mark`, which the other side never gives (each side its own
/// mark), so its id is exported and compared by the build.
fn value_token(kind: Kind, (select, text): (&str, Option<&str>), mark: &str) -> String {
    let Some(text) = text else {
        return format!("'{mark}'");
    };
    match kind {
        Kind::Postgresql => format!(
            "CASE WHEN ({select}) IS NULL THEN '-' ELSE octet_length({text}) || ':' || {text} END"
        ),
        Kind::Mysql => {
            let text = format!("CONVERT({text} USING utf8mb4)");
            format!(
                "CASE WHEN ({select}) IS NULL THEN '-' ELSE CONCAT(LENGTH({text}), ':', {text}) END"
            )
        }
        Kind::Sqlite => format!(
            "CASE WHEN ({select}) IS NULL THEN '-' WHEN typeof({select}) IN ('integer', 'text') \
             THEN length(CAST(({select}) AS BLOB)) || ':' || ({select}) ELSE '{mark}' END"
        ),
    }
}

/// A row's `r`: the MD5 (hex) of the UTF-8 bytes of its values' tokens one after the other
/// ([`value_token`]), one hash a row (a hash a value took five times as long).
fn row_text(kind: Kind, values: &[(String, Option<String>)], mark: &str) -> String {
    let tokens: Vec<String> = values
        .iter()
        .map(|(select, text)| value_token(kind, (select, text.as_deref()), mark))
        .collect();
    let joined = match (kind, tokens.len()) {
        (_, 0) => "''".to_string(),
        (_, 1) => tokens[0].clone(),
        (Kind::Mysql, _) => format!("CONCAT({})", tokens.join(", ")),
        _ => tokens.join(" || "),
    };
    match kind {
        Kind::Postgresql => format!("md5(convert_to({joined}, 'UTF8'))"),
        // A row whose text is longer than max_allowed_packet has none in MySQL (CONCAT
        // gives NULL): its hash is the side's mark, which the other side never gives, so
        // the row is exported, never proved (two NULL hashes passed a differing row as
        // intact; found by an independent check).
        Kind::Mysql => format!("COALESCE(MD5(CONVERT({joined} USING utf8mb4)), '{mark}:long')"),
        // The text's bytes as stored (SQLite converts nothing).
        Kind::Sqlite => format!("migcov_md5({joined})"),
    }
}

/// A value's text as the export writes it, in SQL, for its token: the text SQL gives, but
/// where `collect` changes the driver's text. MySQL's TIMESTAMP, an instant, is written
/// with `+00:00` (`collect::mysql`), which its `CAST` has not: without it a text that
/// reads as no instant (a zero date) was proved equal to the same text in another engine's
/// instant column, where the export's texts differ. A ZEROFILL number, whose padding the
/// export drops, has no such text: `None`, never proved.
pub fn export_text(kind: Kind, declared: Option<&str>, select: &str) -> Option<String> {
    let declared = declared.unwrap_or_default().trim().to_ascii_lowercase();
    match kind {
        Kind::Mysql if declared.contains("zerofill") => None,
        Kind::Mysql if declared.starts_with("timestamp") => {
            Some(format!("CONCAT({}, '+00:00')", as_text(kind, select)))
        }
        _ => Some(as_text(kind, select)),
    }
}

/// The legacy side's `(k, r)`: every row with a key.
pub fn legacy_range_set(kind: Kind, tables: &RangeTables) -> String {
    let r = row_text(kind, tables.legacy_values, "?legacy");
    let key = trimmed(kind, &format!("s.{}", tables.legacy_key));
    let (r, keyed) = match tables.text_keys {
        // A key empty once trimmed is no key, as the loader reads it.
        true => (
            keyed_row(kind, &key, &r),
            format!(" AND {}", super::pushdown::not_empty(kind, &key)),
        ),
        false => (r, String::new()),
    };
    format!(
        "SELECT {} AS k, {r} AS r FROM {} s WHERE s.{} IS NOT NULL{keyed}",
        legacy_number(kind, tables),
        tables.legacy_from,
        tables.legacy_key,
    )
}

/// The distinct mappings of the entity whose legacy id (trimmed) is a canonical integer,
/// as `k` and `mid` (the modern id's bytes in lower case): no other legacy id can be an
/// integer key's text.
fn integer_mappings(kind: Kind, tables: &RangeTables) -> String {
    let id = trimmed(kind, "o.legacy_id");
    if tables.text_keys {
        // Every legacy id not empty once trimmed, with its text (`kt`) for `r`.
        return format!(
            "SELECT DISTINCT {} AS k, {id} AS kt, {} AS mid FROM ({}) o \
             WHERE o.legacy_id IS NOT NULL AND {}",
            key_number(kind, &id),
            uuid_bytes(kind, "o.modern_id"),
            tables.mappings,
            super::pushdown::not_empty(kind, &id),
        );
    }
    let canonical = super::pushdown::canonical_int(kind, &id);
    // The cast only where the text is a canonical integer: a planner may evaluate it
    // before the filter, and engines fail or clamp past 64 bits.
    format!(
        "SELECT DISTINCT CASE WHEN {canonical} THEN {} END AS k, {} AS mid FROM ({}) o \
         WHERE o.legacy_id IS NOT NULL AND {canonical}",
        super::pushdown::int_cast(kind, &id),
        uuid_bytes(kind, "o.modern_id"),
        tables.mappings,
    )
}

/// The target side's keys `k` alone (its distinct mappings), for the ranges' bounds.
pub fn target_key_set(kind: Kind, tables: &RangeTables) -> String {
    format!(
        "SELECT m.k AS k FROM ({}) m",
        integer_mappings(kind, tables)
    )
}

/// The target side's `(k, r)`: per distinct mapping, each distinct target row it finds
/// (its key's UUID and its values), or `missing` when it finds none.
pub fn target_range_set(kind: Kind, tables: &RangeTables) -> String {
    let found = match tables.text_keys {
        true => keyed_row(kind, "m.kt", "t.r"),
        false => "t.r".to_string(),
    };
    format!(
        "SELECT m.k AS k, CASE WHEN t.mid IS NULL THEN 'missing' ELSE {found} END AS r \
         FROM ({}) m LEFT JOIN (SELECT DISTINCT {} AS mid, {} AS r FROM {} t \
         WHERE t.{} IS NOT NULL) t ON t.mid = m.mid",
        integer_mappings(kind, tables),
        uuid_bytes(kind, &format!("t.{}", tables.target_key)),
        row_text(kind, tables.target_values, "?target"),
        tables.target_from,
        tables.target_key,
    )
}

/// The legacy ids a two-server comparison did not prove intact, whose rows are exported.
pub enum Unproved<'a> {
    /// These (every range agreed, or the rows of those that differ were compared by their
    /// hashes: [`unproved`]).
    Keys(&'a [i64]),
    /// Every id of these ranges, numbered from `lo` (too many rows to compare by hashes).
    Ranges {
        lo: i64,
        left: &'a super::pushdown::Left,
    },
}

impl Unproved<'_> {
    /// ` AND ...`: whether integer expression `k` is one of them.
    fn condition(&self, kind: Kind, k: &str) -> String {
        match self {
            Unproved::Keys([]) => " AND 1 = 0".to_string(),
            Unproved::Keys(keys) => format!(
                " AND {k} IN ({})",
                keys.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Unproved::Ranges { lo, left } => format!(
                " AND {k} >= {lo}{}",
                super::pushdown::in_buckets(kind, k, *lo, left.width, &left.buckets)
            ),
        }
    }
}

/// Of the rows of the ranges that differ, each side's `(k, hash of k:r)` sorted, the legacy
/// ids not proved intact: those whose target side is not exactly one row of the same hash
/// (the legacy keys are distinct). Mapped ids without a legacy row have no row to export.
pub fn unproved(legacy: &[(i64, u128)], target: &[(i64, u128)]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(k, h) in legacy {
        while j < target.len() && target[j].0 < k {
            j += 1;
        }
        let from = j;
        while j < target.len() && target[j].0 == k {
            j += 1;
        }
        if target[from..j] != [(k, h)] {
            out.push(k);
        }
    }
    out
}

/// The legacy rows of the ids not proved, with `columns` (over alias `s`) as the full export
/// selects them.
pub fn legacy_range_rows_sql(
    kind: Kind,
    tables: &RangeTables,
    ranges: &Unproved,
    columns: &str,
) -> String {
    let key = format!("s.{}", tables.legacy_key);
    // A key empty once trimmed is in no range of the sets (found by an independent check:
    // exported with a range, it lowered the ids proved intact).
    let present = match tables.text_keys {
        true => format!(
            " AND {}",
            super::pushdown::not_empty(kind, &trimmed(kind, &key))
        ),
        false => String::new(),
    };
    format!(
        "SELECT {columns} FROM {} s WHERE {key} IS NOT NULL{present}{}",
        tables.legacy_from,
        ranges.condition(kind, &legacy_number(kind, tables)),
    )
}

/// The target rows that a mapping of a legacy id not proved names, with `columns`
/// (over alias `t`) as the full export selects them.
pub fn target_range_rows_sql(
    kind: Kind,
    tables: &RangeTables,
    ranges: &Unproved,
    columns: &str,
) -> String {
    let key = format!("t.{}", tables.target_key);
    format!(
        "SELECT {columns} FROM {} t WHERE {key} IS NOT NULL AND {} IN \
         (SELECT m.mid FROM ({}) m WHERE m.k IS NOT NULL{})",
        tables.target_from,
        uuid_bytes(kind, &key),
        integer_mappings(kind, tables),
        ranges.condition(kind, "m.k"),
    )
}
