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
    target_kind: db::Kind,
    /// Each legacy table, whether it has a primary key, and its rows.
    source_tables: Vec<(String, bool, u64)>,
    /// Each target table as shown, its columns, and its name quoted for SQL.
    target_tables: Vec<(String, Vec<String>, String)>,
    /// Each table's one-column primary key (none for others) and columns with their
    /// declared types, by shown name: the legacy tables and the target tables.
    source_columns: std::collections::BTreeMap<String, TableColumns>,
    target_columns: std::collections::BTreeMap<String, TableColumns>,
    /// Entity types the target shows, with where they were seen and their mapping rows:
    /// the `entity_type` values of the mapping table, and each table with a `legacy_id`
    /// column (whose mappings are of the type named as the table, by convention).
    types: Vec<SeenType>,
}

/// A table's key (when it is one column) and its columns with their declared types.
#[derive(Default)]
struct TableColumns {
    key: Option<String>,
    columns: Vec<db::ColumnInfo>,
}

/// A table's [`TableColumns`].
fn table_columns(
    db: &mut dyn Database,
    table: &db::TableRef,
) -> Result<TableColumns, CollectError> {
    let key = db.primary_key(table)?;
    Ok(TableColumns {
        key: match key.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        },
        columns: db.columns(table)?,
    })
}

struct SeenType {
    entity_type: String,
    /// `legacy_mapping.entity_type`, or `offices.legacy_id`.
    seen_in: String,
    /// The target table of the type's records, when one is named like it.
    target_table: Option<String>,
    rows: u64,
}

/// Writes the three files into `dir`; returns their paths.
pub fn init(source: &DbUrl, target: &DbUrl, dir: &Path) -> Result<Vec<PathBuf>, CollectError> {
    let files = [
        "collect.yaml",
        "migcov.yaml",
        "domains.yaml",
        "entities.yaml",
    ]
    .map(|f| dir.join(f));
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
        format!("{MIGCOV_YAML}{}", content_yaml(&found)),
        DOMAINS_YAML.to_string(),
        entities_yaml(&found),
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
    let mut source_columns = std::collections::BTreeMap::new();
    for table in src.tables(&all)? {
        let has_key = !src.primary_key(&table)?.is_empty();
        let rows = src.count(&table)?;
        source_columns.insert(table.shown.clone(), table_columns(src.as_mut(), &table)?);
        source_tables.push((table.shown, has_key, rows));
    }
    let mut tgt: Box<dyn Database> = db::connect(target, db::CONNECT_TIMEOUT)?;
    let mut target_tables = Vec::new();
    let mut target_columns = std::collections::BTreeMap::new();
    let mut conventions = Vec::new();
    for table in tgt.tables(&all)? {
        let described = table_columns(tgt.as_mut(), &table)?;
        let columns: Vec<String> = described.columns.iter().map(|c| c.name.clone()).collect();
        target_columns.insert(table.shown.clone(), described);
        if columns.iter().any(|c| c == "legacy_id") && !columns.iter().any(|c| c == "entity_type") {
            conventions.push((table.clone(), tgt.count(&table)?));
        }
        let sql_name = tgt.qualified(&table);
        target_tables.push((table.shown, columns, sql_name));
    }
    let mut found = Found {
        source: source.kind,
        source_tables,
        target_tables,
        source_columns,
        target_columns,
        target_kind: target.kind,
        types: Vec::new(),
    };
    let table_named = |found: &Found, name: &str| {
        found
            .target_tables
            .iter()
            .find(|(t, _, _)| {
                let words = name_words(t).concat();
                !words.is_empty() && words == name_words(name).concat()
            })
            .map(|(t, _, _)| t.clone())
    };
    // The mapping table's entity types, with their rows.
    if let Some((name, columns, sql_name)) = guess(&found, MAPPING_WORDS) {
        if columns.iter().any(|c| c == "entity_type") {
            let sql = format!(
                "SELECT entity_type, count(*) FROM {sql_name} WHERE entity_type IS NOT NULL \
                 GROUP BY entity_type ORDER BY entity_type"
            );
            let seen_in = format!("{name}.entity_type");
            // A mapping table the query cannot read is left for the user to write.
            if let Ok(rows) = tgt.rows(&sql, Some(name)) {
                for row in rows.into_iter().take(500) {
                    found.types.push(SeenType {
                        target_table: table_named(&found, &row[0]),
                        entity_type: row[0].clone(),
                        seen_in: seen_in.clone(),
                        rows: row[1].trim().parse().unwrap_or(0),
                    });
                }
            }
        }
    }
    // Tables with a legacy_id column give mappings by convention only when there is no
    // mapping query, which --init writes when it finds a mapping table.
    if guess(&found, MAPPING_WORDS).is_some() {
        conventions.clear();
    }
    for (table, rows) in conventions {
        found.types.push(SeenType {
            entity_type: table.name.clone(),
            seen_in: format!("{}.legacy_id", table.shown),
            target_table: Some(table.shown.clone()),
            rows,
        });
    }
    Ok(found)
}

/// A name's words as names are matched: split at anything that is not a letter or digit
/// and where a lower-case letter meets an upper-case one, in lower case, the last word made
/// singular (`InvoiceLines`, `invoice_line` and `INVOICE_LINE` all give `invoice line`).
fn name_words(name: &str) -> Vec<String> {
    let name = name.rsplit('.').next().unwrap_or(name);
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            previous_lower = false;
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if c.is_uppercase() && previous_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_lowercase();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    if let Some(last) = words.last_mut() {
        *last = singular(last);
    }
    words
}

fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    if ["sses", "xes", "ches", "shes"]
        .iter()
        .any(|e| word.ends_with(e))
    {
        return word[..word.len() - 2].to_string();
    }
    match word.strip_suffix('s') {
        Some(stem) if !word.ends_with("ss") && !stem.is_empty() => stem.to_string(),
        _ => word.to_string(),
    }
}

/// What the names show for a legacy table.
enum Match<'a> {
    One(&'a SeenType),
    /// Several types are named like the table: none is proposed.
    Several(Vec<&'a SeenType>),
    None,
}

/// The entity type named like a legacy table: the one whose words, run together, are the
/// table's (`Customer` ↔ `CUSTOMER`, `invoiceline` ↔ `INVOICE_LINE`), else the one whose
/// words end the table's (`dispatch_office` ↔ `offices`). Two candidates are no match.
fn type_for<'a>(table: &str, types: &'a [SeenType]) -> Match<'a> {
    let words = name_words(table);
    if words.is_empty() {
        return Match::None;
    }
    let joined = words.concat();
    let pick = |found: Vec<&'a SeenType>| match found.len() {
        0 => Match::None,
        1 => Match::One(found[0]),
        _ => Match::Several(found),
    };
    let exact: Vec<&SeenType> = types
        .iter()
        .filter(|t| name_words(&t.entity_type).concat() == joined)
        .collect();
    if !exact.is_empty() {
        return pick(exact);
    }
    pick(
        types
            .iter()
            .filter(|t| {
                let theirs = name_words(&t.entity_type);
                !theirs.is_empty() && theirs.len() < words.len() && words.ends_with(&theirs)
            })
            .collect(),
    )
}

/// A text as a YAML double-quoted scalar on one line, whatever it holds: JSON's escapes,
/// and those of the characters YAML reads as line breaks or that JSON leaves as they are
/// (U+0085, U+2028, U+2029, U+FEFF, other C1 controls).
fn quoted(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap_or_default();
    json.chars()
        .map(|c| match c {
            '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                format!("\\u{:04x}", c as u32)
            }
            _ => c.to_string(),
        })
        .collect()
}

/// `entities.yaml`: a link proposed for each legacy table whose name matches an entity
/// type the target shows, commented out. Until a user confirms a link by removing the
/// `#`, nothing links the table, and the report says so rather than print a coverage
/// figure resting on no link.
fn entities_yaml(found: &Found) -> String {
    let mut out = String::from(
        "# entities.yaml: which legacy table holds the records of which entity type. Without\n\
         # it (or an entities query, or scripts naming their source_table) nothing links the\n\
         # legacy tables to the mappings, and the report has no coverage figure.\n\
         #\n\
         # `migcov collect --init` proposed the links below from the names it saw. Check each\n\
         # one, remove its `#`s to confirm it, and set its domain. total_records and\n\
         # migrated_records are what the databases held at --init (the legacy rows, and the\n\
         # mapping rows of the type): the report counts its own figures from the ids.\n",
    );
    let mut proposed = 0;
    let mut unmatched = Vec::new();
    let mut several = Vec::new();
    for (table, _, rows) in &found.source_tables {
        let seen = match type_for(table, &found.types) {
            Match::One(seen) => seen,
            Match::Several(types) => {
                let names: Vec<String> = types.iter().map(|t| quoted(&t.entity_type)).collect();
                several.push(format!("{} ({})", quoted(table), names.join(", ")));
                continue;
            }
            Match::None => {
                unmatched.push(quoted(table));
                continue;
            }
        };
        proposed += 1;
        let _ = write!(
            out,
            "\n# - name: {}   # proposed: entity type {} (in {}) is named like legacy table {}\n\
             #   domain: BUSINESS   # CLINICAL, BUSINESS, COMMUNICATIONS or TECHNICAL\n\
             #   legacy_table: {}\n\
             #   target_table: {}\n\
             #   entity_type: {}\n\
             #   total_records: {rows}\n\
             #   migrated_records: {}\n\
             #   failed_records: 0\n",
            quoted(seen.target_table.as_deref().unwrap_or(table)),
            quoted(&seen.entity_type),
            quoted(&seen.seen_in),
            quoted(table),
            quoted(table),
            quoted(seen.target_table.as_deref().unwrap_or("<target table>")),
            quoted(&seen.entity_type),
            seen.rows,
        );
    }
    if !several.is_empty() {
        let _ = write!(
            out,
            "\n# More than one entity type is named like these legacy tables (none proposed):\n# {}\n",
            several.join(", ")
        );
    }
    if !unmatched.is_empty() {
        let _ = write!(
            out,
            "\n# No entity type is named like these legacy tables ({proposed} proposed above):\n# {}\n",
            unmatched.join(", ")
        );
    }
    out
}

/// `content:` for `migcov.yaml`, commented out: for each legacy table linked to an entity
/// type with a target table (as [`entities_yaml`] proposes), the columns named alike on
/// both sides (`InvoiceDate` ↔ `invoice_date`) whose declared types read as one kind of
/// value, each with both types; the keys and `legacy_id` left out. Nothing is compared
/// until the user removes the `#`s.
fn content_yaml(found: &Found) -> String {
    use crate::canonical::Family;
    let mut out = String::new();
    for (table, _, _) in &found.source_tables {
        let Match::One(seen) = type_for(table, &found.types) else {
            continue;
        };
        let Some(target) = seen.target_table.as_deref() else {
            continue;
        };
        let (Some(legacy), Some(modern)) = (
            found.source_columns.get(table),
            found.target_columns.get(target),
        ) else {
            continue;
        };
        let (Some(legacy_key), Some(target_key)) = (&legacy.key, &modern.key) else {
            continue;
        };
        let mut pairs = Vec::new();
        for column in &legacy.columns {
            if column.name == *legacy_key {
                continue;
            }
            let words = name_words(&column.name).concat();
            let Some(other) = modern.columns.iter().find(|c| {
                c.name != *target_key
                    && c.name != "legacy_id"
                    && name_words(&c.name).concat() == words
            }) else {
                continue;
            };
            let (l, t) = (
                Family::of(found.source, &column.data_type),
                Family::of(found.target_kind, &other.data_type),
            );
            let number = |f: Family| matches!(f, Family::Integer | Family::Decimal | Family::Float);
            let time = |f: Family| matches!(f, Family::Timestamp | Family::Instant);
            let text = |f: Family| matches!(f, Family::Char | Family::Text);
            let value = if time(l) && time(t) && l != t {
                format!("{{target: {}, time_zone: UTC}}", quoted(&other.name))
            } else if l == t || (number(l) && number(t)) || (text(l) && text(t)) {
                quoted(&other.name)
            } else {
                continue;
            };
            let note = match time(l) && time(t) && l != t {
                true => "; set the legacy side's zone",
                false => "",
            };
            pairs.push(format!(
                "#       {}: {value}   # {} ↔ {}{note}\n",
                quoted(&column.name),
                quoted(&column.data_type),
                quoted(&other.data_type)
            ));
        }
        if pairs.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "#   - entity: {}   # proposed: columns named alike in {} and {}\n\
             #     legacy_key: {}\n\
             #     target_key: {}\n\
             #     columns:\n{}",
            quoted(target),
            quoted(table),
            quoted(target),
            quoted(legacy_key),
            quoted(target_key),
            pairs.concat()
        );
    }
    match out.is_empty() {
        true => out,
        false => format!(
            "# Arrived intact: the values compared, legacy row against target row. `migcov collect\n\
             # --init` proposed the pairs below, named alike on both sides with types of one kind.\n\
             # Check each, add transforms and normalisations (docs/input-contract.md), remove the\n\
             # `#`s (collect.yaml copies migcov.yaml and entities.yaml with `files:`).\n\
             # content:\n{out}"
        ),
    }
}

/// Words in the name of a mapping table.
const MAPPING_WORDS: &[&str] = &["mapping", "legacy_map", "id_map"];

/// The bookkeeping table a kind of record most likely lives in.
fn guess<'a>(found: &'a Found, words: &[&str]) -> Option<&'a (String, Vec<String>, String)> {
    found.target_tables.iter().find(|(name, _, _)| {
        let lower = name.to_ascii_lowercase();
        words.iter().any(|w| lower.contains(w))
    })
}

/// A query of the data model's `fields` that `table` has (a field it lacks would fail the
/// query); the fields not found are named in a comment, for the user to map.
fn query_line(
    out: &mut String,
    key: &str,
    table: Option<&(String, Vec<String>, String)>,
    fields: &str,
) {
    let fields: Vec<&str> = fields.split(", ").collect();
    let Some((_, columns, name)) = table else {
        let _ = writeln!(
            out,
            "  # {key}: SELECT {} FROM <your {key} table>",
            fields.join(", ")
        );
        return;
    };
    let (present, absent): (Vec<&str>, Vec<&str>) =
        fields.iter().partition(|f| columns.iter().any(|c| c == *f));
    // Names from the databases are quoted: a name holding `#`, `: ` or a line break would
    // otherwise end the comment or the value and write keys of its own.
    let listed: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
    let found = format!("columns found: {}", listed.join(", "));
    let missing = match absent.is_empty() {
        true => String::new(),
        false => format!("; not found: {}", absent.join(", ")),
    };
    match present.is_empty() {
        true => {
            let _ = writeln!(
                out,
                "  # {key}: {}   # {found}",
                quoted(&format!("SELECT {} FROM {name}", fields.join(", ")))
            );
        }
        false => {
            let _ = writeln!(
                out,
                "  {key}: {}   # {found}{missing}",
                quoted(&format!("SELECT {} FROM {name}", present.join(", ")))
            );
        }
    }
}

fn collect_yaml(found: &Found) -> String {
    let mut out = String::from(
        "# collect.yaml: what `migcov collect` reads. Written by `migcov collect --init`;\n\
         # every key is optional. See docs/collect.md in migcov's repository.\n\n",
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
        .filter(|(_, key, _)| !key)
        .map(|(name, _, _)| name)
        .collect();
    let _ = writeln!(
        out,
        "  # {} legacy tables found; their primary keys give the ids.",
        found.source_tables.len()
    );
    if keyless.is_empty() {
        out.push_str("  ids: {}\n");
    } else {
        // Commented out: a placeholder would fail the query; until a query is given, the
        // table is listed as having no ids.
        out.push_str(
            "  ids: {}   # tables without a primary key: give the column(s) that identify a row\n",
        );
        for name in keyless {
            let _ = writeln!(
                out,
                "  #  {}: {}",
                quoted(name),
                quoted(&format!("SELECT <key column> AS id FROM {name}"))
            );
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
            .map(|(n, _, _)| quoted(n))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.push_str("\n# SQL on the target (or {sql: ..., on: source}) whose columns are named as the data\n# model's fields.\nqueries:\n");
    query_line(
        &mut out,
        "mappings",
        guess(found, MAPPING_WORDS),
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
         # entities.yaml holds the links --init proposed, to confirm (see the file).\n\
         files: [migcov.yaml, domains.yaml, entities.yaml]   # copied into the data folder as they are\n",
    );
    out
}

const MIGCOV_YAML: &str =
    "# migcov.yaml: report settings (see docs/input-contract.md in migcov's repository).\n\
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

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(t: &str) -> SeenType {
        SeenType {
            entity_type: t.to_string(),
            seen_in: "legacy_mapping.entity_type".into(),
            target_table: None,
            rows: 1,
        }
    }

    fn proposed<'a>(table: &str, types: &'a [SeenType]) -> Option<&'a str> {
        match type_for(table, types) {
            Match::One(t) => Some(t.entity_type.as_str()),
            _ => None,
        }
    }

    #[test]
    fn names_match_by_their_words() {
        let types: Vec<SeenType> = ["CUSTOMER", "INVOICE_LINE", "offices", "EMAIL_ADDRESS"]
            .map(seen)
            .into();
        assert_eq!(proposed("Customer", &types), Some("CUSTOMER"));
        assert_eq!(proposed("invoiceline", &types), Some("INVOICE_LINE"));
        assert_eq!(proposed("InvoiceLines", &types), Some("INVOICE_LINE"));
        assert_eq!(proposed("dispatch_office", &types), Some("offices"));
        // A type is never proposed for a table whose name ends it.
        assert_eq!(proposed("address", &types), None);
        // Names of letters other than ASCII are words too: no match by two empty keys.
        let cjk: Vec<SeenType> = ["製品"].map(seen).into();
        assert_eq!(proposed("顧客", &cjk), None);
        assert_eq!(proposed("製品", &cjk), Some("製品"));
        // Two types named like the table: none is proposed.
        let twins: Vec<SeenType> = ["ITEM", "ITEMS"].map(seen).into();
        assert!(matches!(type_for("items", &twins), Match::Several(_)));
    }

    #[test]
    fn names_from_the_databases_cannot_write_yaml_of_their_own() {
        let hostile = "evil\nqueries:\n  mappings: SELECT 1 # x: y\u{2028}z\u{85}";
        // A table and a column of that name on both sides, so a content pair is proposed.
        let described = || TableColumns {
            key: Some(hostile.to_string()),
            columns: [
                (hostile, "integer"),
                (&format!("{hostile}2"), "text # x: y"),
            ]
            .map(|(name, data_type)| db::ColumnInfo {
                name: name.to_string(),
                data_type: data_type.to_string(),
            })
            .into(),
        };
        let found = Found {
            source: db::Kind::Postgresql,
            target_kind: db::Kind::Postgresql,
            source_tables: vec![(hostile.to_string(), false, 3)],
            target_tables: vec![(
                format!("{hostile}_mapping"),
                vec!["entity_type".into(), hostile.to_string()],
                "\"x\"".into(),
            )],
            source_columns: [(hostile.to_string(), described())].into(),
            target_columns: [(hostile.to_string(), described())].into(),
            types: vec![SeenType {
                target_table: Some(hostile.to_string()),
                ..seen(hostile)
            }],
        };
        // The content proposal: commented out, and confirmed it is one pair of the names.
        let content = content_yaml(&found);
        assert!(serde_yaml::from_str::<serde_yaml::Value>(&content)
            .unwrap()
            .is_null());
        let confirmed: String = content
            .lines()
            .filter(|l| l.starts_with("# content:") || l.starts_with("#  "))
            .map(|l| format!("{}\n", &l[2..]))
            .collect();
        let parsed: serde_yaml::Value = serde_yaml::from_str(&confirmed).unwrap();
        let entry = &parsed["content"][0];
        assert_eq!(entry["legacy_key"].as_str(), Some(hostile));
        let columns = entry["columns"].as_mapping().unwrap();
        assert_eq!(columns.len(), 1, "{confirmed}");
        let column = format!("{hostile}2");
        assert_eq!(columns[column.as_str()].as_str(), Some(column.as_str()));
        let collect: serde_yaml::Value = serde_yaml::from_str(&collect_yaml(&found)).unwrap();
        assert_eq!(
            collect["queries"]["mappings"].as_str(),
            Some("SELECT entity_type FROM \"x\"")
        );
        assert!(collect["queries"]["logs"].is_null());
        let entities = entities_yaml(&found);
        let parsed: serde_yaml::Value = serde_yaml::from_str(&entities).unwrap();
        assert!(parsed.is_null(), "every proposal is commented out");
        // Confirmed as the file says (the `# ` of each proposal line removed), it is the
        // proposal, with the name as it is.
        let confirmed: String = entities
            .lines()
            .map(|l| match l.starts_with("# - ") || l.starts_with("#   ") {
                true => format!("{}\n", &l[2..]),
                false => format!("{l}\n"),
            })
            .collect();
        let parsed: serde_yaml::Value = serde_yaml::from_str(&confirmed).unwrap();
        assert_eq!(parsed[0]["legacy_table"].as_str(), Some(hostile));
        assert_eq!(parsed[0]["entity_type"].as_str(), Some(hostile));
    }
}
