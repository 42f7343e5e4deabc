//! `collect --pushdown`: which mapping rows reach the data folder. A pushed-down table's ids
//! are compared by the databases (`pushdown`); its mappings would still be exported whole
//! (a gigabyte at twenty million rows) for the row checks and the per-type counts. Here the
//! database sorts them instead: a mapping row that no check could flag is only counted,
//! per entity type, and every other row is exported as it is, so the loader runs each
//! check on it as on a full export.
//!
//! A row is counted in the database only when each test below holds, each written to be
//! stricter than the loader's own check (a row the database is unsure of is exported;
//! exporting too many costs bytes, never a figure):
//!
//! - its `entity_type` is one of the pushed-down tables' types (exact bytes);
//! - its `legacy_id` is a plain integer or text, not empty once trimmed, not negative,
//!   not repeated within its type, and not one of the orphans the pushdown named;
//! - its `modern_id` (and `id`, when given) is a UUID of 36 characters and shares its hex
//!   digits with no other row (a coarser test than the loader's duplicate check);
//! - `legacy_table`, when given, names the row's own table exactly;
//! - `migrated_at`, when given, is a timestamp or date column with a plain year-month-day
//!   value (a text column's values can fail to parse: they are exported); `metadata`,
//!   when given, is JSON with nothing serde_json reads differently from the engine (no
//!   `\u` escape, no exponent, no run of 250 digits, at most 128 brackets): a JSON
//!   column in PostgreSQL, any column `JSON_VALID` accepts in MySQL and MariaDB, and in
//!   SQLite the loader's own test, registered by the connection.
//!
//! The loader adds the counts ([`crate::load::Pushdown::mapping_rows_in_database`]) to the
//! rows it read of each type; repeats, orphans and invalid values are all in the export,
//! so every finding and figure equals a full export's (`tests/pushdown_properties.rs`
//! builds both and compares them).

use super::db::{Database, Kind};
use super::pushdown::{same_text, trimmed};
use super::CollectError;

/// A pushed-down table whose mapping rows may be counted in the database.
pub struct Owner {
    /// The table as the inventory names it.
    pub table: String,
    /// Its entity types, folded ([`crate::model::entity_type_key`]).
    pub types: Vec<String>,
    /// The orphan legacy ids the pushdown named (trimmed text).
    pub orphans: Vec<String>,
}

/// More orphans than this in a table, and its mappings are exported whole: the list would
/// be the statement.
const MAX_ORPHANS: usize = 1_000;

/// The two statements of a reduced export.
pub struct Plan {
    /// The rows a check could flag, every column of the mappings query.
    pub export: String,
    /// `(class, rows)` of the others.
    pub counts: String,
    /// Class number → (table, folded entity type).
    pub classes: Vec<(String, String)>,
}

/// The hex digits of a text in lower case: what modern ids and ids are grouped by.
pub fn hex_digits(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn hex_sql(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Postgresql => {
            format!("lower(regexp_replace(CAST({expr} AS TEXT), '[^0-9a-fA-F]', '', 'g'))")
        }
        Kind::Mysql => format!("LOWER(REGEXP_REPLACE(CAST({expr} AS CHAR), '[^0-9a-fA-F]', ''))"),
        Kind::Sqlite => format!("migcov_hex({expr})"),
    }
}

/// True where `expr` is a UUID written out in 36 characters (any case).
fn uuid_sql(kind: Kind, expr: &str) -> String {
    let groups = [8, 4, 4, 4, 12];
    match kind {
        Kind::Sqlite => {
            let pattern = groups
                .iter()
                .map(|n| "[0-9a-fA-F]".repeat(*n))
                .collect::<Vec<_>>()
                .join("-");
            format!("(typeof({expr}) = 'text' AND {expr} GLOB '{pattern}')")
        }
        _ => {
            let pattern = groups
                .iter()
                .map(|n| format!("[0-9a-fA-F]{{{n}}}"))
                .collect::<Vec<_>>()
                .join("-");
            match kind {
                Kind::Postgresql => format!("(CAST({expr} AS TEXT) ~ '^{pattern}$')"),
                // `$` also matches before a final line feed in MySQL's regular expressions:
                // the length rules that out.
                _ => format!(
                    "(OCTET_LENGTH(CAST({expr} AS CHAR)) = 36 AND CAST({expr} AS CHAR) REGEXP '^{pattern}$')"
                ),
            }
        }
    }
}

/// True where a timestamp or date column's text is a plain date and time the loader reads:
/// a four-digit year (not 0000), a month and a day in range, no era, no `infinity`.
fn date_sql(kind: Kind, expr: &str) -> String {
    let pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])( |T|$)";
    match kind {
        Kind::Postgresql => format!(
            "(CAST({expr} AS TEXT) ~ '{pattern}' AND CAST({expr} AS TEXT) NOT LIKE '0000%' \
             AND CAST({expr} AS TEXT) NOT LIKE '%BC')"
        ),
        // DATE_ADD gives NULL for a date that does not exist (2024-02-30 where
        // ALLOW_INVALID_DATES let it in).
        _ => format!(
            "(CAST({expr} AS CHAR) REGEXP '{pattern}' AND CAST({expr} AS CHAR) NOT LIKE '0000%' \
             AND DATE_ADD({expr}, INTERVAL 0 DAY) IS NOT NULL)"
        ),
    }
}

/// True where a JSON column's text is one serde_json reads as the engine did.
fn json_sql(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Postgresql => format!(
            "(strpos(CAST({expr} AS TEXT), chr(92) || 'u') = 0 \
             AND CAST({expr} AS TEXT) !~ '[0-9][eE]' AND CAST({expr} AS TEXT) !~ '[0-9]{{250}}' \
             AND length(CAST({expr} AS TEXT)) - length(translate(CAST({expr} AS TEXT), '[{{', '')) <= 128)"
        ),
        // Any column whose text JSON_VALID accepts (MariaDB's JSON is a LONGTEXT), without
        // control characters, which MariaDB's parser lets through inside strings.
        Kind::Mysql => format!(
            "(JSON_VALID({expr}) = 1 AND NOT (CAST({expr} AS CHAR) REGEXP '[[:cntrl:]]') \
             AND LOCATE(CONCAT(CHAR(92), 'u'), CAST({expr} AS CHAR)) = 0 \
             AND NOT (CAST({expr} AS CHAR) REGEXP '[0-9][eE]') \
             AND NOT (CAST({expr} AS CHAR) REGEXP '[0-9]{{250}}') \
             AND CHAR_LENGTH(CAST({expr} AS CHAR)) \
             - CHAR_LENGTH(REPLACE(REPLACE(CAST({expr} AS CHAR), '[', ''), '{{', '')) <= 128)"
        ),
        // The loader's own test, registered by the connection.
        Kind::Sqlite => format!("migcov_json_ok({expr}) = 1"),
    }
}

/// Legacy id columns whose text the database renders as the loader reads it.
fn plain_key_type(kind: Kind, data_type: &str) -> bool {
    match kind {
        Kind::Postgresql => matches!(
            data_type,
            "int2" | "int4" | "int8" | "text" | "varchar" | "bpchar"
        ),
        Kind::Mysql => matches!(
            data_type,
            "tiny" | "short" | "int24" | "long" | "longlong" | "varchar" | "var_string" | "string"
        ),
        // Each value's own type is tested row by row.
        Kind::Sqlite => true,
    }
}

fn is_timestamp_type(kind: Kind, data_type: &str) -> bool {
    match kind {
        Kind::Postgresql => matches!(data_type, "timestamptz" | "timestamp" | "date"),
        Kind::Mysql => matches!(
            data_type,
            "timestamp" | "timestamp2" | "datetime" | "datetime2" | "date" | "newdate"
        ),
        Kind::Sqlite => false,
    }
}

/// Whether a metadata column's values can be tested in the database ([`json_sql`]).
fn json_testable(kind: Kind, data_type: &str) -> bool {
    match kind {
        Kind::Postgresql => matches!(data_type, "json" | "jsonb"),
        Kind::Mysql | Kind::Sqlite => true,
    }
}

/// What the loader tests a JSON value with: whether serde_json reads it.
pub fn json_ok(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// The statements that export the rows a check could flag and count the others, or why the
/// mappings are exported whole. `type_values`: the mappings' `entity_type` values.
pub fn plan(
    db: &mut dyn Database,
    mappings_sql: &str,
    type_values: &[String],
    owners: &[Owner],
) -> Result<Result<Plan, String>, CollectError> {
    let kind = db.url().kind;
    let columns = db.result_types(mappings_sql)?;
    let type_of = |name: &str| {
        columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    };
    for required in ["entity_type", "legacy_id", "modern_id"] {
        if type_of(required).is_none() {
            return Ok(Err(format!("the mappings query returns no {required}")));
        }
    }
    if !plain_key_type(kind, type_of("legacy_id").unwrap_or_default()) {
        return Ok(Err(format!(
            "legacy_id is of type {}, whose text may differ from the loader's",
            type_of("legacy_id").unwrap_or_default()
        )));
    }
    // Each raw entity_type value of a pushed-down type becomes its class: (table, type).
    let legacy_table = format!("m.{}", db.quote("legacy_table"));
    let mut classes: Vec<(String, String)> = Vec::new();
    let mut cases = Vec::new();
    let mut legacy_tables = Vec::new();
    let mut orphan_tests = Vec::new();
    for owner in owners.iter().filter(|o| o.orphans.len() <= MAX_ORPHANS) {
        for folded in &owner.types {
            let class = classes.len();
            let raw: Vec<&String> = type_values
                .iter()
                .filter(|v| crate::model::entity_type_key(v) == *folded)
                .collect();
            if raw.is_empty() || folded.is_empty() {
                continue;
            }
            classes.push((owner.table.clone(), folded.clone()));
            for value in raw {
                cases.push(format!(
                    "WHEN {} THEN {class}",
                    same_text(kind, "q.entity_type", &db.literal(value))
                ));
            }
            legacy_tables.push(format!(
                "(m.migcov_class = {class} AND {})",
                same_text(kind, &legacy_table, &db.literal(&owner.table))
            ));
            if !owner.orphans.is_empty() {
                let list: Vec<String> = owner.orphans.iter().map(|o| db.literal(o)).collect();
                orphan_tests.push(format!(
                    "NOT (m.migcov_class = {class} AND m.migcov_key IN ({}))",
                    list.join(", ")
                ));
            }
        }
    }
    if classes.is_empty() {
        return Ok(Err("no pushed-down entity type has mapping rows".into()));
    }
    let q = |c: &str| db.quote(c);
    let has = |c: &str| type_of(c).is_some();
    let mut derived = vec![
        "q.*".to_string(),
        format!("CASE {} ELSE NULL END AS migcov_class", cases.join(" ")),
        format!(
            "{} AS migcov_key",
            trimmed(kind, &format!("q.{}", q("legacy_id")))
        ),
        format!(
            "{} AS migcov_modern",
            hex_sql(kind, &format!("q.{}", q("modern_id")))
        ),
    ];
    if has("id") {
        derived.push(format!(
            "{} AS migcov_id",
            hex_sql(kind, &format!("q.{}", q("id")))
        ));
    }
    let mut ctes = vec![
        format!(
            "m AS (SELECT {} FROM ({mappings_sql}) q)",
            derived.join(", ")
        ),
        "d_legacy AS (SELECT migcov_class, migcov_key FROM m WHERE migcov_class IS NOT NULL \
         GROUP BY migcov_class, migcov_key HAVING count(*) > 1)"
            .to_string(),
        "d_modern AS (SELECT migcov_modern FROM m WHERE migcov_modern IS NOT NULL \
         GROUP BY migcov_modern HAVING count(*) > 1)"
            .to_string(),
    ];
    let legacy = format!("m.{}", q("legacy_id"));
    let modern = format!("m.{}", q("modern_id"));
    let mut fine = vec![
        "m.migcov_class IS NOT NULL".to_string(),
        "m.migcov_key IS NOT NULL".to_string(),
        "m.migcov_key <> ''".to_string(),
        "m.migcov_key NOT LIKE '-%'".to_string(),
        uuid_sql(kind, &modern),
        "NOT EXISTS (SELECT 1 FROM d_legacy d WHERE d.migcov_class = m.migcov_class \
         AND d.migcov_key = m.migcov_key)"
            .to_string(),
        "NOT EXISTS (SELECT 1 FROM d_modern d WHERE d.migcov_modern = m.migcov_modern)".to_string(),
    ];
    if kind == Kind::Sqlite {
        // A REAL's text is the client's (`1001`), CAST's is SQLite's (`1001.0`).
        fine.push(format!("typeof({legacy}) IN ('integer', 'text')"));
    }
    fine.extend(orphan_tests);
    if has("id") {
        ctes.push(
            "d_id AS (SELECT migcov_id FROM m WHERE migcov_id IS NOT NULL \
             GROUP BY migcov_id HAVING count(*) > 1)"
                .to_string(),
        );
        let id = format!("m.{}", q("id"));
        fine.push(format!(
            "({id} IS NULL OR ({} AND NOT EXISTS (SELECT 1 FROM d_id d WHERE d.migcov_id = m.migcov_id)))",
            uuid_sql(kind, &id)
        ));
    }
    if has("legacy_table") {
        fine.push(format!(
            "({legacy_table} IS NULL OR {})",
            legacy_tables.join(" OR ")
        ));
    }
    if let Some(t) = type_of("migrated_at") {
        let value = format!("m.{}", q("migrated_at"));
        fine.push(match is_timestamp_type(kind, t) {
            true => format!("({value} IS NULL OR {})", date_sql(kind, &value)),
            false => format!("{value} IS NULL"),
        });
    }
    if let Some(t) = type_of("metadata") {
        let value = format!("m.{}", q("metadata"));
        fine.push(match json_testable(kind, t) {
            true => format!("({value} IS NULL OR {})", json_sql(kind, &value)),
            false => format!("{value} IS NULL"),
        });
    }
    let with = format!(
        "WITH {}, f AS (SELECT m.*, CASE WHEN {} THEN 1 ELSE 0 END AS migcov_fine FROM m)",
        ctes.join(", "),
        fine.join(" AND ")
    );
    let out: Vec<String> = columns.iter().map(|(n, _)| format!("f.{}", q(n))).collect();
    Ok(Ok(Plan {
        export: format!(
            "{with} SELECT {} FROM f WHERE f.migcov_fine = 0",
            out.join(", ")
        ),
        counts: format!(
            "{with} SELECT f.migcov_class, count(*) FROM f WHERE f.migcov_fine = 1 \
             GROUP BY f.migcov_class"
        ),
        classes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits_keep_only_hex_in_lower_case() {
        assert_eq!(hex_digits(" ABC-def-xyz\t01 "), "abcdef01");
        assert_eq!(hex_digits("é"), "");
    }
}
