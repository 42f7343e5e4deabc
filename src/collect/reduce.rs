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
//! - `migrated_at`, when given, is an instant column (PostgreSQL `timestamptz`, MySQL
//!   `TIMESTAMP`) with a plain date and time (a zone-less timestamp is read in the
//!   `timezone` of migcov.yaml, where some times do not exist, and text can fail to parse:
//!   their rows are exported); `metadata`, when given, is JSON with nothing serde_json reads
//!   differently from the engine (no `\u` escape, no exponent, no run of 250 digits, at
//!   most 128 brackets): a JSON column in PostgreSQL, MySQL's JSON type (MariaDB's JSON is
//!   text, whose `JSON_VALID` lets `1.` through), and in SQLite the loader's own test,
//!   registered by the connection.
//! - The export holds the data model's columns only, and the statement's own names
//!   (`mc0_...`) are ones the mappings query does not use.
//!
//! The loader adds the counts ([`crate::load::Pushdown::mapping_rows_in_database`]) to the
//! rows it read of each type; repeats, orphans and invalid values are all in the export,
//! so every finding and figure equals a full export's (`tests/pushdown_properties.rs`
//! builds both and compares them).

use std::collections::BTreeMap;

use super::db::{Columns, Database, Kind};
use super::pushdown::{same_text, trimmed};

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

/// The statement of a reduced export: one pass over the mappings, whose result holds the
/// rows a check could flag (the data model's columns, then two NULLs) and, after them, one
/// row per class with the number of the others (NULLs, then the class and the count). The
/// rows are told apart by the last column ([`Plan::split`]).
pub struct Plan {
    pub sql: String,
    /// Class number → (table, folded entity type).
    pub classes: Vec<(String, String)>,
}

impl Plan {
    /// A batch of the statement's result split into the exported rows (all columns but the
    /// last two) and the counts `(class, rows)`.
    pub fn split(columns: Columns) -> (Columns, Vec<(usize, u64)>) {
        let width = columns.len();
        let (kept, tail) = columns.split_at(width.saturating_sub(2));
        let (class, count) = (&tail[0], &tail[1]);
        let mut counts = Vec::new();
        let data_rows: Vec<usize> = (0..count.len())
            .filter(|&i| match &count[i] {
                Some(n) => {
                    let parsed = (
                        class[i].as_deref().and_then(|c| c.trim().parse().ok()),
                        n.trim().parse().ok(),
                    );
                    if let (Some(c), Some(n)) = parsed {
                        counts.push((c, n));
                    }
                    false
                }
                None => true,
            })
            .collect();
        let data = kept
            .iter()
            .map(|column| data_rows.iter().map(|&i| column[i].clone()).collect())
            .collect();
        (data, counts)
    }
}

/// The hex digits of a text in lower case: what modern ids and ids are grouped by.
pub fn hex_digits(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A text expression compared by bytes in PostgreSQL: a nondeterministic collation refuses
/// `LIKE` and regular expressions, and would group keys that differ.
fn c_text(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Postgresql => format!("(CAST({expr} AS TEXT) COLLATE \"C\")"),
        _ => expr.to_string(),
    }
}

fn hex_sql(kind: Kind, expr: &str) -> String {
    match kind {
        Kind::Postgresql => format!(
            "lower(regexp_replace({}, '[^0-9a-fA-F]', '', 'g'))",
            c_text(kind, expr)
        ),
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
            // GLOB stops at a NUL: the bytes' length rules out `<uuid>\0junk`.
            format!(
                "(typeof({expr}) = 'text' AND length(CAST({expr} AS BLOB)) = 36 \
                 AND {expr} GLOB '{pattern}')"
            )
        }
        _ => {
            let pattern = groups
                .iter()
                .map(|n| format!("[0-9a-fA-F]{{{n}}}"))
                .collect::<Vec<_>>()
                .join("-");
            match kind {
                Kind::Postgresql => format!("({} ~ '^{pattern}$')", c_text(kind, expr)),
                // `$` also matches before a final line feed in MySQL's regular expressions:
                // the length rules that out.
                _ => format!(
                    "(OCTET_LENGTH(CAST({expr} AS CHAR)) = 36 AND CAST({expr} AS CHAR) REGEXP '^{pattern}$')"
                ),
            }
        }
    }
}

/// True where an instant's text is a plain date and time the loader reads: a four-digit
/// year (not 0000), a month and a day in range, then the time; no era, no `infinity`.
fn date_sql(kind: Kind, expr: &str) -> String {
    let pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T][0-9]{2}:[0-9]{2}";
    match kind {
        Kind::Postgresql => format!(
            "({t} ~ '{pattern}' AND {t} NOT LIKE '0000%' AND {t} NOT LIKE '%BC')",
            t = c_text(kind, expr)
        ),
        // DATE_ADD gives NULL for a date that does not exist.
        _ => format!(
            "(CAST({expr} AS CHAR) REGEXP '{pattern}' AND CAST({expr} AS CHAR) NOT LIKE '0000%' \
             AND DATE_ADD({expr}, INTERVAL 0 DAY) IS NOT NULL)"
        ),
    }
}

/// True where a JSON column's text is one serde_json reads as the engine did.
fn json_sql(kind: Kind, expr: &str) -> String {
    match kind {
        // One literal a line, not one continued with `\`: an escaped `{{` in a continued
        // line left the braces unpaired for tools that read the source line by line.
        Kind::Postgresql => format!(
            concat!(
                "(strpos({t}, chr(92) || 'u') = 0 AND {t} !~ '[0-9][eE]' AND {t} !~ '[0-9]{{250}}' ",
                "AND length({t}) - length(translate({t}, '[{{', '')) <= 128)",
            ),
            t = c_text(kind, expr)
        ),
        // MySQL's own JSON type: stored parsed, written back as canonical JSON.
        Kind::Mysql => format!(
            concat!(
                "(LOCATE(CONCAT(CHAR(92), 'u'), CAST({expr} AS CHAR)) = 0 ",
                "AND NOT (CAST({expr} AS CHAR) REGEXP '[0-9][eE]') ",
                "AND NOT (CAST({expr} AS CHAR) REGEXP '[0-9]{{250}}') ",
                "AND CHAR_LENGTH(CAST({expr} AS CHAR)) ",
                "- CHAR_LENGTH(REPLACE(REPLACE(CAST({expr} AS CHAR), '[', ''), '{{', '')) <= 128)",
            ),
            expr = expr
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
        // Binary strings (`VARBINARY`) reach the client as hex: named apart, not here.
        Kind::Mysql => matches!(
            data_type,
            "tiny" | "short" | "int24" | "long" | "longlong" | "varchar" | "var_string" | "string"
        ),
        // Each value's own type is tested row by row.
        Kind::Sqlite => true,
    }
}

/// Columns of instants, written with their offset: a zone-less timestamp is read in the
/// `timezone` of migcov.yaml, where some times do not exist; a date alone is no timestamp.
fn is_instant_type(kind: Kind, data_type: &str) -> bool {
    match kind {
        Kind::Postgresql => data_type == "timestamptz",
        Kind::Mysql => matches!(data_type, "timestamp" | "timestamp2"),
        Kind::Sqlite => false,
    }
}

/// Whether a metadata column's values can be tested in the database ([`json_sql`]):
/// MariaDB's JSON is a text whose `JSON_VALID` lets `1.` and `\x` through.
fn json_testable(kind: Kind, data_type: &str) -> bool {
    match kind {
        Kind::Postgresql => matches!(data_type, "json" | "jsonb"),
        Kind::Mysql => data_type == "json",
        Kind::Sqlite => true,
    }
}

/// What the loader tests a JSON value with: whether serde_json reads it.
pub fn json_ok(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// The columns of the data model's mapping rows that the loader reads; the export holds
/// only these (any other column of the query is read by no check).
const MAPPING_COLUMNS: [&str; 8] = [
    "id",
    "entity_type",
    "legacy_id",
    "modern_id",
    "legacy_table",
    "migration_batch",
    "migrated_at",
    "metadata",
];

/// The statement that exports the rows a check could flag and counts the others, or why
/// the mappings are exported whole. `columns`: the mappings query's columns and types
/// ([`Database::result_types`]); `type_values`: its `entity_type` values.
pub fn plan(
    db: &dyn Database,
    mappings_sql: &str,
    columns: &[(String, String)],
    type_values: &[String],
    owners: &[Owner],
) -> Result<Plan, String> {
    let writer = Writer::new(db, mappings_sql, columns)?;
    let classes = writer.classes(type_values, owners);
    if classes.classes.is_empty() {
        return Err("no pushed-down entity type has mapping rows".into());
    }
    let kept: Vec<&str> = MAPPING_COLUMNS
        .iter()
        .copied()
        .filter(|c| writer.has(c))
        .collect();
    let (ctes, tests) = writer.ctes_and_tests(&kept, &classes);
    Ok(Plan {
        sql: writer.statement(&kept, &ctes, &tests),
        classes: classes.classes,
    })
}

/// Writes the statement for one database and mappings query: the query's columns, and the
/// names of our own (tables of the statement, helper columns) that the query does not use:
/// `mc<n>_...`.
struct Writer<'a> {
    db: &'a dyn Database,
    kind: Kind,
    columns: &'a [(String, String)],
    mappings_sql: &'a str,
    tag: String,
    rows: String,
    class: String,
    key: String,
    modern: String,
    id: String,
    fine: String,
}

/// The type of one of the query's columns, if it has it.
fn column_type<'c>(columns: &'c [(String, String)], name: &str) -> Option<&'c str> {
    columns
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t.as_str())
}

/// The pushed-down entity types the statement counts, as the `CASE` that numbers them and
/// the tests their rows must pass.
struct Classes {
    /// Class number → (table, folded entity type).
    classes: Vec<(String, String)>,
    /// `WHEN <entity_type> THEN <class>`, each raw value of each class.
    cases: Vec<String>,
    /// Per class: a row's `legacy_table` names the class's table.
    legacy_tables: Vec<String>,
    /// Per class with orphans: a row's key is none of them.
    orphan_tests: Vec<String>,
}

impl<'a> Writer<'a> {
    /// Checks that the query's columns can be tested in the database, and picks the tag.
    fn new(
        db: &'a dyn Database,
        mappings_sql: &'a str,
        columns: &'a [(String, String)],
    ) -> Result<Self, String> {
        let kind = db.url().kind;
        let type_of = |name: &str| column_type(columns, name);
        for required in ["entity_type", "legacy_id", "modern_id"] {
            if type_of(required).is_none() {
                return Err(format!("the mappings query returns no {required}"));
            }
        }
        // PostgreSQL's CHAR(n) loses its padding in a cast to text, which COPY writes and
        // the loader's UUID and table-name checks see.
        if let Some(c) = ["modern_id", "id", "legacy_table"]
            .into_iter()
            .find(|c| kind == Kind::Postgresql && type_of(c) == Some("bpchar"))
        {
            return Err(format!(
                "{c} is a CHAR(n) column, whose padding a cast to text drops"
            ));
        }
        if !plain_key_type(kind, type_of("legacy_id").unwrap_or_default()) {
            return Err(format!(
                "legacy_id is of type {}, whose text may differ from the loader's",
                type_of("legacy_id").unwrap_or_default()
            ));
        }
        let lower = mappings_sql.to_lowercase();
        let tag = (0..)
            .map(|n| format!("mc{n}_"))
            .find(|t| !lower.contains(t.as_str()))
            .expect("some tag is unused");
        let name = |what: &str| format!("{tag}{what}");
        Ok(Writer {
            db,
            kind,
            columns,
            mappings_sql,
            rows: name("rows"),
            class: name("class"),
            key: name("key"),
            modern: name("modern"),
            id: name("id"),
            fine: name("fine"),
            tag,
        })
    }

    fn type_of(&self, name: &str) -> Option<&str> {
        column_type(self.columns, name)
    }

    fn has(&self, column: &str) -> bool {
        self.type_of(column).is_some()
    }

    fn q(&self, column: &str) -> String {
        self.db.quote(column)
    }

    /// A column of a row of the statement's rows (`m`).
    fn at(&self, column: &str) -> String {
        format!("m.{}", self.q(column))
    }

    /// A type that two owners share (tables whose names differ only in case) is exported
    /// whole: the loader gives such rows to neither. So is an owner with many orphans, or
    /// one with an orphan no literal carries. Every other owner's types with mapping rows
    /// are classes.
    fn classes(&self, type_values: &[String], owners: &[Owner]) -> Classes {
        let (db, kind, class, key) = (self.db, self.kind, &self.class, &self.key);
        let mut owners_of: BTreeMap<&String, usize> = BTreeMap::new();
        for owner in owners {
            for t in &owner.types {
                *owners_of.entry(t).or_insert(0) += 1;
            }
        }
        let mut classes: Vec<(String, String)> = Vec::new();
        let mut cases = Vec::new();
        let mut legacy_tables = Vec::new();
        let mut orphan_tests = Vec::new();
        let usable = |o: &&Owner| {
            o.orphans.len() <= MAX_ORPHANS && !o.orphans.iter().any(|x| x.contains('\0'))
        };
        for owner in owners.iter().filter(usable) {
            for folded in owner.types.iter().filter(|t| owners_of[t] == 1) {
                let n = classes.len();
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
                        "WHEN {} THEN {n}",
                        same_text(
                            kind,
                            &format!("q.{}", self.q("entity_type")),
                            &db.literal(value)
                        )
                    ));
                }
                legacy_tables.push(format!(
                    "(m.{class} = {n} AND {})",
                    same_text(kind, &self.at("legacy_table"), &db.literal(&owner.table))
                ));
                if !owner.orphans.is_empty() {
                    let list: Vec<String> = owner.orphans.iter().map(|o| db.literal(o)).collect();
                    orphan_tests.push(format!(
                        "NOT (m.{class} = {n} AND m.{key} IN ({}))",
                        list.join(", ")
                    ));
                }
            }
        }
        Classes {
            classes,
            cases,
            legacy_tables,
            orphan_tests,
        }
    }

    /// The statement's CTEs (the query's rows with our helper columns, the repeated keys
    /// and ids) and the tests a row must pass to be counted rather than exported.
    fn ctes_and_tests(&self, kept: &[&str], classes: &Classes) -> (Vec<String>, Vec<String>) {
        let Writer {
            kind,
            mappings_sql,
            tag,
            rows,
            class,
            key,
            modern,
            id,
            ..
        } = self;
        let (kind, q) = (*kind, |c: &str| self.q(c));
        let mut derived: Vec<String> = kept.iter().map(|c| format!("q.{}", q(c))).collect();
        derived.push(format!(
            "CASE {} ELSE NULL END AS {class}",
            classes.cases.join(" ")
        ));
        derived.push(format!(
            "{} AS {key}",
            c_text(kind, &trimmed(kind, &format!("q.{}", q("legacy_id"))))
        ));
        derived.push(format!(
            "{} AS {modern}",
            hex_sql(kind, &format!("q.{}", q("modern_id")))
        ));
        if self.has("id") {
            derived.push(format!(
                "{} AS {id}",
                hex_sql(kind, &format!("q.{}", q("id")))
            ));
        }
        let mut ctes = vec![
            format!(
                "{rows} AS (SELECT {} FROM (\n{mappings_sql}\n) q)",
                derived.join(", ")
            ),
            format!(
                "{tag}dl AS (SELECT {class}, {key} FROM {rows} WHERE {class} IS NOT NULL \
                 GROUP BY {class}, {key} HAVING count(*) > 1)"
            ),
            format!(
                "{tag}dm AS (SELECT {modern} FROM {rows} WHERE {modern} IS NOT NULL \
                 GROUP BY {modern} HAVING count(*) > 1)"
            ),
        ];
        let mut tests = vec![
            format!("m.{class} IS NOT NULL"),
            format!("m.{key} IS NOT NULL"),
            format!("m.{key} <> ''"),
            format!("m.{key} NOT LIKE '-%'"),
            uuid_sql(kind, &self.at("modern_id")),
            format!(
                "NOT EXISTS (SELECT 1 FROM {tag}dl d WHERE d.{class} = m.{class} AND d.{key} = m.{key})"
            ),
            format!("NOT EXISTS (SELECT 1 FROM {tag}dm d WHERE d.{modern} = m.{modern})"),
        ];
        if kind == Kind::Sqlite {
            // A REAL's text is the client's (`1001`), CAST's is SQLite's (`1001.0`); text
            // that is not UTF-8 reaches the loader changed (two such keys may become one).
            tests.push(format!(
                "typeof({l}) IN ('integer', 'text') AND migcov_utf8({l}) = 1",
                l = self.at("legacy_id")
            ));
        }
        tests.extend(classes.orphan_tests.iter().cloned());
        self.optional_tests(classes, &mut ctes, &mut tests);
        (ctes, tests)
    }

    /// The tests of the columns a query may leave out: `id`, `legacy_table`, `migrated_at`
    /// and `metadata`.
    fn optional_tests(&self, classes: &Classes, ctes: &mut Vec<String>, tests: &mut Vec<String>) {
        let Writer {
            kind,
            tag,
            rows,
            id,
            ..
        } = self;
        let (kind, at) = (*kind, |c: &str| self.at(c));
        if self.has("id") {
            ctes.push(format!(
                "{tag}di AS (SELECT {id} FROM {rows} WHERE {id} IS NOT NULL \
                 GROUP BY {id} HAVING count(*) > 1)"
            ));
            tests.push(format!(
                "({i} IS NULL OR ({} AND NOT EXISTS (SELECT 1 FROM {tag}di d WHERE d.{id} = m.{id})))",
                uuid_sql(kind, &at("id")),
                i = at("id")
            ));
        }
        if self.has("legacy_table") {
            tests.push(format!(
                "({} IS NULL OR {})",
                at("legacy_table"),
                classes.legacy_tables.join(" OR ")
            ));
        }
        if let Some(t) = self.type_of("migrated_at") {
            let value = at("migrated_at");
            tests.push(match is_instant_type(kind, t) {
                true => format!("({value} IS NULL OR {})", date_sql(kind, &value)),
                false => format!("{value} IS NULL"),
            });
        }
        if let Some(t) = self.type_of("metadata") {
            let value = at("metadata");
            tests.push(match json_testable(kind, t) {
                true => format!("({value} IS NULL OR {})", json_sql(kind, &value)),
                false => format!("{value} IS NULL"),
            });
        }
    }

    /// The whole statement: the rows that fail a test, then a count per class of the rest.
    fn statement(&self, kept: &[&str], ctes: &[String], tests: &[String]) -> String {
        let Writer {
            tag,
            rows,
            class,
            fine,
            ..
        } = self;
        let with = format!(
            "WITH {}, {tag}f AS (SELECT m.*, CASE WHEN {} THEN 1 ELSE 0 END AS {fine} FROM {rows} m)",
            ctes.join(", "),
            tests.join(" AND ")
        );
        let out: Vec<String> = kept.iter().map(|c| format!("f.{}", self.q(c))).collect();
        let nulls: Vec<&str> = kept.iter().map(|_| "NULL").collect();
        format!(
            "{with} SELECT {}, NULL AS {tag}n_class, NULL AS {tag}n_rows FROM {tag}f f WHERE f.{fine} = 0 \
             UNION ALL SELECT {}, f.{class}, count(*) FROM {tag}f f WHERE f.{fine} = 1 GROUP BY f.{class}",
            out.join(", "),
            nulls.join(", ")
        )
    }
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
