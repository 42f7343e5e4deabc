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
    let text = std::fs::read_to_string(&file.path).map_err(io)?;
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
    format!("nested deeper than {MAX_DEPTH} levels, the most a manifest may have")
}

/// The 1-based line where a YAML text first nests deeper than [`MAX_DEPTH`], read in one
/// pass without parsing: block levels by their indentation and the compact entries that
/// open a line (`- - x`), flow levels by the brackets outside quotes and comments. A quote
/// opens a quoted scalar only where a value starts (in `a "b`, it is text); brackets inside
/// quotes do not nest, but a line holding more than the limit of them is refused too, so no
/// misread quote lets a deep line through. The lines of a block scalar (`|`, `>`) are text.
/// It over-counts rather than under-counts, which only matters past the limit, far beyond
/// any real manifest.
pub fn too_deep(text: &str) -> Option<usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // The indentation of the key whose block scalar is being read.
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
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        if flow == 0 {
            while indents.last().is_some_and(|&top| top >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        // Entries opened on this line: `- ` and `? ` in a row.
        let mut markers = 0;
        let mut body = rest;
        while let Some(after) = body
            .strip_prefix("- ")
            .or_else(|| body.strip_prefix("? "))
            .or_else(|| (body == "-").then_some(""))
        {
            markers += 1;
            body = after.trim_start_matches(' ');
        }
        let mut quote: Option<char> = None;
        let mut escaped = false;
        let mut at_start = true;
        let mut previous = ' ';
        let mut deepest = flow;
        let mut quoted_brackets = 0usize;
        for c in body.chars() {
            match quote {
                Some('"') if escaped => escaped = false,
                Some('"') if c == '\\' => escaped = true,
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
                    '#' if previous == ' ' || previous == '\t' => break,
                    '[' | '{' => {
                        flow += 1;
                        deepest = deepest.max(flow);
                        at_start = true;
                    }
                    ']' | '}' => {
                        flow = flow.saturating_sub(1);
                        at_start = false;
                    }
                    ',' => at_start = true,
                    ':' => at_start = true,
                    ' ' | '\t' => {}
                    _ => at_start = false,
                },
            }
            previous = c;
        }
        if indents.len() + markers + deepest > MAX_DEPTH || quoted_brackets > MAX_DEPTH {
            return Some(i + 1);
        }
        // `key: |`, `key: >-`, `- |2`: the lines below, indented deeper, are text.
        let value = body.rsplit_once(": ").map_or(body, |(_, v)| v).trim_end();
        let value = value.strip_prefix("- ").unwrap_or(value);
        if quote.is_none()
            && flow == 0
            && (value.starts_with('|') || value.starts_with('>'))
            && value[1..]
                .chars()
                .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
        {
            block = Some(indent);
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
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            trimmed.starts_with(last) && trimmed[last.len()..].trim_start().starts_with(':')
        })
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
    pub total_records: i64,
    pub migrated_records: i64,
    pub failed_records: i64,
    pub migration_script_id: Option<String>,
    pub entity_type: Option<String>,
}
