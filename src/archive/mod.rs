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

use chrono::NaiveDate;
use thiserror::Error;

use crate::report::doc::{self, SummaryFile};

/// The folder of a site that holds its dated snapshots.
pub const ARCHIVE_DIR: &str = "archive";

#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: a snapshot for {date} already exists and is never overwritten; build with another --report-date or move it away")]
    Exists { date: NaiveDate, path: PathBuf },
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
    pub date: NaiveDate,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub summary: SummaryFile,
}

impl Snapshot {
    pub fn has_diff(&self) -> bool {
        self.files.iter().any(|f| f == Path::new("diff.html"))
    }

    /// The date of the snapshot its diff compares with, from its `diff.json`: the one
    /// before it when it was made, which a snapshot dated between the two later is not.
    pub fn diff_since(&self) -> Option<NaiveDate> {
        let bytes = std::fs::read(self.dir.join("diff.json")).ok()?;
        let diff: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        NaiveDate::parse_from_str(diff.get("old_date")?.as_str()?, "%Y-%m-%d").ok()
    }
}

/// A snapshot folder's date: `YYYY-MM-DD`, exactly.
fn folder_date(name: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(name, "%Y-%m-%d")
        .ok()
        .filter(|_| name.len() == 10)
}

/// A snapshot's summary file, read back into today's types.
pub fn read_summary(path: &Path) -> Result<SummaryFile, ArchiveError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    doc::upgrade::summary(&bytes).map_err(|e| ArchiveError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The files under `<out>/archive/` that are no snapshot (not in a `YYYY-MM-DD` folder)
/// and not the archive index migcov writes, relative to `archive/`: a build carries them
/// over as they are, since migcov never drops a file it did not write. A symbolic link is
/// an error: it is never followed, and dropping it would be silent.
pub fn read_others(out: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    let root = out.join(ARCHIVE_DIR);
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut others = Vec::new();
    for entry in walkdir::WalkDir::new(&root)
        .min_depth(1)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| ArchiveError::Invalid {
            path: root.clone(),
            message: e.to_string(),
        })?;
        let relative = entry.path().strip_prefix(&root).unwrap_or(entry.path());
        let in_snapshot = relative
            .components()
            .next()
            .and_then(|c| folder_date(&c.as_os_str().to_string_lossy()))
            .is_some()
            && relative.components().count() > 1;
        if entry.path_is_symlink() {
            return Err(ArchiveError::Invalid {
                path: entry.path().to_path_buf(),
                message: "a symbolic link inside the archive: migcov never follows or carries one; move it away".into(),
            });
        }
        if entry.file_type().is_file() && !in_snapshot && relative != Path::new("index.html") {
            others.push(relative.to_path_buf());
        }
    }
    Ok(others)
}

/// The snapshots under `<out>/archive/`, oldest first (other files: [`read_others`]). A
/// snapshot whose summary names another date than its folder is an error: snapshots are
/// never renamed, and the archive links each by its date.
pub fn read_existing(out: &Path) -> Result<Vec<Snapshot>, ArchiveError> {
    let root = out.join(ARCHIVE_DIR);
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut snapshots = Vec::new();
    let mut entries: Vec<(NaiveDate, PathBuf)> = std::fs::read_dir(&root)
        .map_err(io(&root))?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| Some((folder_date(&e.file_name().to_string_lossy())?, e.path())))
        .collect();
    entries.sort();
    for (date, dir) in entries {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
            let entry = entry.map_err(|e| ArchiveError::Invalid {
                path: dir.clone(),
                message: e.to_string(),
            })?;
            if entry.path_is_symlink() {
                return Err(ArchiveError::Invalid {
                    path: entry.path().to_path_buf(),
                    message: "a symbolic link inside a snapshot: migcov never follows or carries one; move it away".into(),
                });
            }
            if entry.file_type().is_file() {
                let relative = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
                files.push(relative.to_path_buf());
            }
        }
        let summary = read_summary(&dir.join("api/coverage/summary.json"))?;
        if summary.report.report_date != date {
            return Err(ArchiveError::Invalid {
                path: dir.clone(),
                message: format!(
                    "the snapshot's summary is dated {}, not {}: a snapshot folder is never renamed or copied; move it back or away",
                    summary.report.report_date,
                    doc::date_text(date)
                ),
            });
        }
        snapshots.push(Snapshot {
            date,
            dir,
            files,
            summary,
        });
    }
    Ok(snapshots)
}
