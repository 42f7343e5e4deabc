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

/// The snapshots under `<out>/archive/`, oldest first. Folders that are not dates are left
/// alone (and not carried over).
pub fn read_existing(out: &Path) -> Result<Vec<Snapshot>, ArchiveError> {
    let root = out.join("archive");
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
        let walk_error = |e: walkdir::Error| ArchiveError::Invalid {
            path: dir.clone(),
            message: e.to_string(),
        };
        let files = crate::walk::files(&dir, walk_error)
            .map(|found| found.map(|(_, relative)| relative))
            .collect::<Result<Vec<_>, _>>()?;
        let summary = read_summary(&dir.join("api/coverage/summary.json"))?;
        snapshots.push(Snapshot {
            date,
            dir,
            files,
            summary,
        });
    }
    Ok(snapshots)
}
