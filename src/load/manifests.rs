//! YAML manifests: `migcov.yaml`, `domains.yaml`, script manifests and entity records.
//!
//! A file holds one mapping or a list of them. Parsing goes through serde so a wrong type,
//! an unknown key or a bad enum value is an error with the file and line.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use uuid::Uuid;

use super::discover::InputFile;
use super::LoadError;
use crate::model::config::ProjectConfig;
use crate::model::{Category, Domain, Priority, Status};

/// The largest manifest read: YAML this big is an export in the wrong place, or a bomb.
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

pub(crate) fn read_text(file: &InputFile) -> Result<String, LoadError> {
    let io = |source| LoadError::Io {
        path: file.relative.clone(),
        source,
    };
    let size = std::fs::metadata(&file.path).map_err(io)?.len();
    if size > MAX_MANIFEST_BYTES {
        return Err(LoadError::Manifest {
            path: file.relative.clone(),
            item: None,
            message: format!(
                "{size} bytes: a manifest may hold at most {MAX_MANIFEST_BYTES} bytes (exports belong in CSV, Parquet or NDJSON)"
            ),
        });
    }
    let mut text = std::fs::read_to_string(&file.path).map_err(io)?;
    // A byte order mark, as some Windows editors write one, is no part of the document: in
    // front of `- name:` it hid the list, read as one record (found by an independent
    // check: "invalid type: sequence").
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    if let Some(line) = too_deep(&text) {
        return Err(LoadError::Yaml {
            path: file.relative.clone(),
            line: Some(line),
            message: depth_message(),
        });
    }
    Ok(text)
}

/// The deepest nesting a manifest may have. Real manifests nest three or four levels; the
/// YAML parser walks a document of 100,000 levels for most of a minute before serde's own
/// limit rejects it, so the nesting is measured first, from the text.
pub const MAX_DEPTH: usize = 64;

pub fn depth_message() -> String {
    format!(
        "nested deeper than {MAX_DEPTH} levels, or more than {MAX_ALIASES} aliases: the most a manifest may have"
    )
}

/// The most alias uses (`*name`) a manifest may hold: each repeats its anchor's whole value
/// when the document is read, so a few thousand of a large anchor ask for gigabytes.
pub const MAX_ALIASES: usize = 256;

/// The most text aliases may repeat, counting each as the whole file (a bound, not a
/// measure): 64 aliases in a 1 MiB file, all 256 in a file of up to 256 KiB.
const MAX_EXPANDED: usize = 64 << 20;

/// The 1-based line where a YAML text first nests deeper than [`MAX_DEPTH`] (or uses more
/// than [`MAX_ALIASES`] aliases), read in one pass without parsing: block levels by their
/// indentation and the compact entries that open a line (`- - x`), flow levels by the
/// brackets that open a collection. As YAML reads them, a bracket or a quote opens
/// something only where a value starts (after `: `, `[`, `{`, `,`, `- ` or at the start of
/// a line); elsewhere it is text (`Skips notes starting with '[' (JIRA-12)`). Quoted
/// scalars run across lines. Brackets inside quotes do not nest, but a line holding more
/// than the limit of them is refused too, so no misread quote lets a deep line through.
/// The lines of a block scalar (`|`, `>`) are text. It over-counts rather than
/// under-counts, which only matters past the limit, far beyond any real manifest.
pub fn too_deep(text: &str) -> Option<usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut aliases = 0usize;
    let mut quote: Option<char> = None;
    // The column of the key whose block scalar is being read.
    let mut block: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let rest = line.trim_start_matches(' ');
        let indent = line.len() - rest.len();
        if let Some(parent) = block {
            if rest.is_empty() || indent > parent {
                continue;
            }
            block = None;
        }
        if quote.is_none() && (rest.is_empty() || rest.starts_with('#')) {
            continue;
        }
        if flow == 0 && quote.is_none() {
            while indents.last().is_some_and(|&top| top >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        // Entries opened on this line: `- ` and `? ` in a row.
        let mut markers = 0;
        let mut body = rest;
        if quote.is_none() {
            while let Some(after) = body
                .strip_prefix("- ")
                .or_else(|| body.strip_prefix("? "))
                .or_else(|| (body == "-").then_some(""))
            {
                markers += 1;
                body = after.trim_start_matches(' ');
            }
        }
        let chars: Vec<char> = body.chars().collect();
        let mut escaped = false;
        let mut at_start = true;
        let mut deepest = flow;
        let mut quoted_brackets = 0usize;
        for (j, &c) in chars.iter().enumerate() {
            let next = chars.get(j + 1).copied();
            match quote {
                Some('"') if escaped => escaped = false,
                Some('"') if c == '\\' => escaped = true,
                // `''` inside single quotes is one quote, not the end.
                Some('\'') if c == '\'' && next == Some('\'') => escaped = true,
                Some('\'') if escaped => escaped = false,
                Some(q) if c == q => {
                    quote = None;
                    at_start = false;
                }
                Some(_) => {
                    if c == '[' || c == '{' {
                        quoted_brackets += 1;
                    }
                }
                None => match c {
                    '"' | '\'' if at_start => quote = Some(c),
                    '#' if j == 0 || chars[j - 1] == ' ' || chars[j - 1] == '\t' => break,
                    '[' | '{' if at_start => {
                        flow += 1;
                        deepest = deepest.max(flow);
                    }
                    ']' | '}' if flow > 0 => {
                        flow -= 1;
                        at_start = false;
                    }
                    ',' if flow > 0 => at_start = true,
                    // A value indicator only before a space (or the end): `a:b` is text.
                    ':' if next.is_none_or(|n| n == ' ' || n == '\t') => at_start = true,
                    '*' if at_start => {
                        aliases += 1;
                        at_start = false;
                    }
                    ' ' | '\t' => {}
                    _ => at_start = false,
                },
            }
        }
        if indents.len() + markers + deepest > MAX_DEPTH
            || quoted_brackets > MAX_DEPTH
            || aliases > MAX_ALIASES
            || aliases.saturating_mul(text.len()) > MAX_EXPANDED
        {
            return Some(i + 1);
        }
        // `key: |`, `key: >-`, `- |2`: the lines below, indented deeper than the key, are
        // text.
        let value = body.rsplit_once(": ").map_or(body, |(_, v)| v).trim_end();
        if quote.is_none()
            && flow == 0
            && (value.starts_with('|') || value.starts_with('>'))
            && value[1..]
                .chars()
                .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
        {
            block = Some(line.len() - body.len());
        }
    }
    None
}

/// Whether a YAML document is a list at the top: its first content line (past comments,
/// blank lines and a `---` start marker) begins with `-` or `[`. Deciding this from the text
/// lets the document be parsed once, straight into the records.
fn is_list(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("%"))
        .map(|l| l.strip_prefix("---").map(str::trim_start).unwrap_or(l))
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with('-') || l.starts_with('['))
}

fn yaml_error(path: &Path, err: serde_yaml::Error) -> LoadError {
    LoadError::Yaml {
        path: path.to_path_buf(),
        line: err.location().map(|l| l.line()),
        message: err.to_string(),
    }
}

/// One mapping or a list of mappings, parsed once (the shape is read from the text), so
/// errors keep their line numbers and no document is walked twice.
pub fn parse_records<T: DeserializeOwned>(file: &InputFile) -> Result<Vec<T>, LoadError> {
    let text = read_text(file)?;
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---")
    {
        return Ok(Vec::new());
    }
    if is_list(&text) {
        serde_yaml::from_str(&text).map_err(|e| yaml_error(&file.relative, e))
    } else {
        serde_yaml::from_str(&text)
            .map(|one| vec![one])
            .map_err(|e| yaml_error(&file.relative, e))
    }
}

pub fn parse_config(file: &InputFile) -> Result<ProjectConfig, LoadError> {
    let text = read_text(file)?;
    if text.trim().is_empty() {
        return Ok(ProjectConfig::default());
    }
    let config: ProjectConfig =
        serde_yaml::from_str(&text).map_err(|e| yaml_error(&file.relative, e))?;
    if let Some((key, message)) = config.problems().into_iter().next() {
        return Err(LoadError::Yaml {
            path: file.relative.clone(),
            line: line_of(&text, key),
            message: format!("{key}: {message}"),
        });
    }
    Ok(config)
}

/// The 1-based line where `key` (its last part, as `fail_under` of `gate.fail_under`) is
/// set, for errors found after parsing.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let last = key.rsplit('.').next().unwrap_or(key);
    let starts = |line: &str| {
        let trimmed = line.trim_start().trim_start_matches("- ");
        trimmed.starts_with(last) && trimmed[last.len()..].trim_start().starts_with(':')
    };
    // Else inside a flow mapping (`{target: total, tolerance: -1}`), as a whole key.
    let inside = |line: &str| {
        line.match_indices(last).any(|(at, _)| {
            let before = line[..at].chars().next_back();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && line[at + last.len()..].trim_start().starts_with(':')
        })
    };
    text.lines()
        .position(starts)
        .or_else(|| text.lines().position(inside))
        .map(|i| i + 1)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDomain {
    pub id: Option<Uuid>,
    pub name: Domain,
    #[serde(default)]
    pub description: String,
    pub priority: Priority,
    /// The seed's field, when a domains.yaml carries it: compared with the computed figure.
    pub coverage_percentage: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScript {
    pub id: Option<Uuid>,
    pub name: String,
    pub category: Category,
    pub data_domain: Domain,
    pub source_table: String,
    pub target_table: String,
    #[serde(default, deserialize_with = "optional_count")]
    pub record_count: Option<i64>,
    pub success_rate: Option<f64>,
    pub status: Status,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntity {
    pub id: Option<Uuid>,
    pub name: String,
    pub domain_id: Option<String>,
    pub domain: Option<String>,
    pub legacy_table: String,
    pub target_table: String,
    #[serde(deserialize_with = "count")]
    pub total_records: i64,
    #[serde(deserialize_with = "count")]
    pub migrated_records: i64,
    #[serde(deserialize_with = "count")]
    pub failed_records: i64,
    pub migration_script_id: Option<String>,
    pub entity_type: Option<String>,
}

/// A count as the tables read one: a whole number of at most 15 digits
/// ([`super::tables::MAX_COUNT`]), so that sums over entities cannot overflow (two counts
/// of 5×10^18 once summed to a negative total and a gate that passed).
fn count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = i64::deserialize(d)?;
    match value.abs() <= super::tables::MAX_COUNT {
        true => Ok(value),
        false => Err(serde::de::Error::custom(format!(
            "{value}: expected a whole number of at most 15 digits"
        ))),
    }
}

fn optional_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Count(#[serde(deserialize_with = "count")] i64);
    Ok(Option::<Count>::deserialize(d)?.map(|c| c.0))
}
