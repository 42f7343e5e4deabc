//! Finds the inputs in a data folder with walkdir, in sorted order, and sorts each file into
//! the kind of record it holds by its place in the folder and its extension.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::output::MARKER;

use super::LoadError;

/// The storage format of an export, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Parquet,
    Ndjson,
}

impl TableFormat {
    /// The format a file's extension names, if any.
    pub fn from_extension(path: &Path) -> Option<Self> {
        Self::from_path(path)
    }

    fn from_path(path: &Path) -> Option<Self> {
        match extension(path).as_deref() {
            Some("csv") => Some(TableFormat::Csv),
            Some("parquet") => Some(TableFormat::Parquet),
            Some("ndjson" | "jsonl") => Some(TableFormat::Ndjson),
            _ => None,
        }
    }
}

/// Which database a file of rows comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Legacy,
    Target,
}

/// What a file in the data folder holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    Config,
    Domains,
    Scripts,
    Entities,
    EntitiesTable(TableFormat),
    Metrics(TableFormat),
    Logs(TableFormat),
    Mappings(TableFormat),
    SourceInventory(TableFormat),
    TargetInventory(TableFormat),
    /// The ids present in one legacy table; the table name is the file stem.
    SourceIds(String, TableFormat),
    /// A file of excluded ids named by an exclusion in `migcov.yaml`.
    ExclusionIds(TableFormat),
    /// `rows/legacy/<legacy_table>.*` or `rows/target/<target_table>.*`: the rows whose
    /// values a `content:` declaration compares.
    Rows(Side, String, TableFormat),
    /// `pushdown/<legacy_table>.json`, written by `migcov collect --pushdown`: the counts
    /// and orphans the databases computed, beside a `source_ids` file of unmapped ids only.
    Pushdown(String),
    /// `rows/pushdown/<legacy_table>.json`, written by `migcov collect --pushdown`: the
    /// rows the database compared for a `content:` declaration, beside rows files holding
    /// only the ids it did not prove intact.
    RowsPushdown(String),
    /// `expected_defects.json`, written by `migcov generate`; not read.
    GeneratorNotes,
    /// `collect.json`, written by `migcov collect`: where the folder came from; not read
    /// (a snapshot's provenance lists it with its hash).
    CollectProvenance,
    /// A Markdown note (`*.md`) anywhere in the data folder; not read.
    Documentation,
    /// A file inside the scripts folder, when that folder lies in the data folder.
    ScriptSource,
    /// Not a regular file (a symlink, which is never followed, a FIFO, a socket, a
    /// device): not read, and reported by `load.file.skipped`.
    Skipped(&'static str),
    Unknown,
}

impl InputKind {
    /// A short name for provenance records.
    pub fn name(&self) -> &'static str {
        match self {
            InputKind::Config => "config",
            InputKind::Domains => "domains",
            InputKind::Scripts => "scripts",
            InputKind::Entities | InputKind::EntitiesTable(_) => "entities",
            InputKind::Metrics(_) => "metrics",
            InputKind::Logs(_) => "logs",
            InputKind::Mappings(_) => "mappings",
            InputKind::SourceInventory(_) => "source inventory",
            InputKind::TargetInventory(_) => "target inventory",
            InputKind::SourceIds(..) => "source ids",
            InputKind::Pushdown(..) => "pushdown summary",
            InputKind::RowsPushdown(..) => "rows pushdown summary",
            InputKind::Rows(Side::Legacy, ..) => "legacy rows",
            InputKind::Rows(Side::Target, ..) => "target rows",
            InputKind::ExclusionIds(_) => "excluded ids",
            InputKind::GeneratorNotes => "generator notes",
            InputKind::CollectProvenance => "collect provenance",
            InputKind::Documentation => "documentation",
            InputKind::ScriptSource => "script source",
            InputKind::Skipped(_) => "skipped",
            InputKind::Unknown => "unknown",
        }
    }

    /// The format of a tabular input; `None` for YAML and unknown files.
    pub fn table_format(&self) -> Option<TableFormat> {
        match self {
            InputKind::EntitiesTable(f)
            | InputKind::Metrics(f)
            | InputKind::Logs(f)
            | InputKind::Mappings(f)
            | InputKind::SourceInventory(f)
            | InputKind::TargetInventory(f)
            | InputKind::SourceIds(_, f)
            | InputKind::Rows(_, _, f)
            | InputKind::ExclusionIds(f) => Some(*f),
            _ => None,
        }
    }
}

/// One input file: its path on disk and its path relative to the data folder (shown in
/// reports, so no absolute path leaks into output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    pub relative: PathBuf,
    pub kind: InputKind,
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
}

fn is_yaml(path: &Path) -> bool {
    matches!(extension(path).as_deref(), Some("yaml" | "yml"))
}

/// Sorts a relative path into its kind. Folders may nest (`metrics/2026/run-1.csv`).
pub fn classify(relative: &Path) -> InputKind {
    // Never the parts that are UTF-8 alone ([`discover`] refuses such a path).
    if relative.to_str().is_none() {
        return InputKind::Unknown;
    }
    let parts: Vec<&str> = relative.iter().filter_map(|p| p.to_str()).collect();
    let top = parts.first().copied().unwrap_or_default();
    let stem = relative
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let table = TableFormat::from_path(relative);
    if extension(relative).as_deref() == Some("md") {
        return InputKind::Documentation;
    }
    if parts.len() == 1 {
        return match (stem, is_yaml(relative), table) {
            ("migcov", true, _) => InputKind::Config,
            ("domains", true, _) => InputKind::Domains,
            ("entities", true, _) => InputKind::Entities,
            ("expected_defects", false, _) if relative.extension().is_some_and(|e| e == "json") => {
                InputKind::GeneratorNotes
            }
            ("collect", false, _) if relative.extension().is_some_and(|e| e == "json") => {
                InputKind::CollectProvenance
            }
            ("entities", false, Some(TableFormat::Csv)) => {
                InputKind::EntitiesTable(TableFormat::Csv)
            }
            _ => InputKind::Unknown,
        };
    }
    match (top, table) {
        ("scripts", _) if is_yaml(relative) => InputKind::Scripts,
        ("entities", _) if is_yaml(relative) => InputKind::Entities,
        ("entities", Some(TableFormat::Csv)) => InputKind::EntitiesTable(TableFormat::Csv),
        ("metrics", Some(f)) => InputKind::Metrics(f),
        ("logs", Some(f)) => InputKind::Logs(f),
        ("mappings", Some(f)) => InputKind::Mappings(f),
        ("inventory", Some(f)) if parts.len() == 2 && f != TableFormat::Ndjson => match stem {
            "source" => InputKind::SourceInventory(f),
            "target" => InputKind::TargetInventory(f),
            _ => InputKind::Unknown,
        },
        ("source_ids", Some(f)) if parts.len() == 2 && f != TableFormat::Ndjson => {
            InputKind::SourceIds(stem.to_string(), f)
        }
        ("rows", Some(f)) if parts.len() == 3 => match parts[1] {
            "legacy" => InputKind::Rows(Side::Legacy, stem.to_string(), f),
            "target" => InputKind::Rows(Side::Target, stem.to_string(), f),
            _ => InputKind::Unknown,
        },
        ("rows", None)
            if parts.len() == 3
                && parts[1] == "pushdown"
                && extension(relative).as_deref() == Some("json") =>
        {
            InputKind::RowsPushdown(stem.to_string())
        }
        ("pushdown", None)
            if parts.len() == 2 && extension(relative).as_deref() == Some("json") =>
        {
            InputKind::Pushdown(stem.to_string())
        }
        _ => InputKind::Unknown,
    }
}

/// Every file under `root`, sorted by path; hidden files and folders are skipped, and
/// folders migcov wrote (holding its marker) listed as skipped.
pub fn discover(root: &Path) -> Result<Vec<InputFile>, LoadError> {
    if !root.is_dir() {
        return Err(LoadError::NoDataDir {
            path: root.to_path_buf(),
        });
    }
    let mut files = Vec::new();
    let mut walker = WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    while let Some(entry) = walker.next() {
        let entry = entry.map_err(|e| super::walk_error(root, e))?;
        let file_type = entry.file_type();
        // A folder migcov wrote (a site or failures folder kept inside the data folder, a
        // collected folder) is its output, never read as input: listed, not walked.
        if file_type.is_dir() && entry.depth() > 0 && entry.path().join(MARKER).is_file() {
            walker.skip_current_dir();
            let path = entry.path().to_path_buf();
            files.push(InputFile {
                relative: path.strip_prefix(root).unwrap_or(&path).to_path_buf(),
                path,
                kind: InputKind::Skipped("a folder migcov wrote: its output, never read as input"),
            });
            continue;
        }
        // Every part of a path names its kind (`alt-\xe4/migcov.yaml` is no settings file):
        // a name that is not UTF-8 is refused, never read as the parts that are (found by
        // an independent check: it replaced the folder's own migcov.yaml).
        if entry.depth() > 0
            && entry
                .path()
                .strip_prefix(root)
                .map_or(true, |r| r.to_str().is_none())
        {
            let path = entry.path().to_path_buf();
            return Err(LoadError::NotUtf8 {
                path: path.strip_prefix(root).unwrap_or(&path).to_path_buf(),
            });
        }
        if file_type.is_dir() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        // Only regular files are read: a symlink could lead out of the data folder (or
        // loop), a FIFO would block. Each is listed, never skipped in silence.
        let kind = if file_type.is_symlink() {
            InputKind::Skipped("a symbolic link (never followed)")
        } else if !file_type.is_file() {
            InputKind::Skipped("not a regular file (a FIFO, socket or device)")
        } else {
            classify(&relative)
        };
        files.push(InputFile {
            path,
            relative,
            kind,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_folder_and_extension() {
        use InputKind::*;
        use TableFormat::*;
        let cases = [
            ("migcov.yaml", Config),
            ("domains.yml", Domains),
            ("entities.yaml", Entities),
            ("entities/clinical.yaml", Entities),
            ("entities/all.csv", EntitiesTable(Csv)),
            ("scripts/core/office.yaml", Scripts),
            ("metrics/2026/run.parquet", Metrics(Parquet)),
            ("logs/a.jsonl", Logs(Ndjson)),
            ("mappings/m.NDJSON", Mappings(Ndjson)),
            ("inventory/source.csv", SourceInventory(Csv)),
            ("inventory/target.parquet", TargetInventory(Parquet)),
            ("inventory/other.csv", Unknown),
            (
                "source_ids/dispatch_office.csv",
                SourceIds("dispatch_office".into(), Csv),
            ),
            (
                "rows/legacy/Customer.parquet",
                Rows(Side::Legacy, "Customer".into(), Parquet),
            ),
            (
                "rows/target/customers.csv",
                Rows(Side::Target, "customers".into(), Csv),
            ),
            ("rows/other/customers.csv", Unknown),
            ("rows/customers.csv", Unknown),
            ("metrics/notes.txt", Unknown),
            ("README.md", Documentation),
            ("metrics/NOTES.md", Documentation),
            ("notes.txt", Unknown),
        ];
        for (path, kind) in cases {
            assert_eq!(classify(Path::new(path)), kind, "{path}");
        }
    }
}
