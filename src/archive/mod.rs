//! Stage 6, archive: dated, self-contained snapshots of the site with a SHA-256 manifest,
//! the history they make up, and diffs between two reports.
//!
//! Snapshots live in the site under `archive/<report-date>/`. A build replaces the site as a
//! whole, so the snapshots of the previous site are read here and carried into the new one
//! byte for byte; one is never overwritten.

pub mod diff;
pub mod snapshot;
pub mod verify;

use std::path::{Path, PathBuf};

use serde_json::Value;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: a snapshot for {date} already exists and is never overwritten; build with another --report-date or move it away")]
    Exists { date: String, path: PathBuf },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One snapshot already in the site: where it is, its files (relative to it) and its
/// headline figures. The files stay on disk: a build copies them into the new site without
/// holding years of snapshots in memory.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub date: String,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub summary: Value,
}

impl Snapshot {
    pub fn has_diff(&self) -> bool {
        self.files.iter().any(|f| f == Path::new("diff.html"))
    }
}

fn is_date(name: &str) -> bool {
    chrono::NaiveDate::parse_from_str(name, "%Y-%m-%d").is_ok() && name.len() == 10
}

/// The snapshots under `<out>/archive/`, oldest first. Folders that are not dates are left
/// alone (and not carried over).
pub fn read_existing(out: &Path) -> Result<Vec<Snapshot>, ArchiveError> {
    let root = out.join("archive");
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut snapshots = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&root)
        .map_err(io(&root))?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir() && is_date(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    entries.sort();
    for dir in entries {
        let date = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
            let entry = entry.map_err(|e| ArchiveError::Invalid {
                path: dir.clone(),
                message: e.to_string(),
            })?;
            if entry.file_type().is_file() {
                let relative = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
                files.push(relative.to_path_buf());
            }
        }
        let summary = std::fs::read(dir.join("api/coverage/summary.json"))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null);
        snapshots.push(Snapshot {
            date,
            dir,
            files,
            summary,
        });
    }
    Ok(snapshots)
}
