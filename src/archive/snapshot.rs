//! `build --snapshot`: a dated copy of the site under `archive/<report-date>/`, with
//! `provenance.json` (what produced it) and `SHA256SUMS` over every file in it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use super::verify::{sums, SUMS};
use super::ArchiveError;
use crate::output::Site;
use crate::validate::Verdict;

/// One input file as provenance records it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct InputRecord {
    pub path: String,
    pub kind: String,
    pub bytes: u64,
    /// Records read from it (manifest records or table rows); none for unread files.
    pub rows: Option<u64>,
    pub sha256: String,
}

/// `provenance.json`: what produced a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Provenance {
    pub tool: &'static str,
    pub version: &'static str,
    pub command_line: Vec<String>,
    pub report_date: NaiveDate,
    pub data_dir: String,
    pub gate: Verdict,
    pub inputs: Vec<InputRecord>,
    /// The databases a collected data folder came from (`collect.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected: Option<crate::load::Collected>,
}

/// The files of a new snapshot, relative to its folder: every file of the site (but the
/// archive itself), `provenance.json`, the diff files given, and `SHA256SUMS` over all.
pub fn snapshot_files(
    site: &Site,
    provenance: &Provenance,
    diff_files: BTreeMap<PathBuf, Vec<u8>>,
) -> Result<BTreeMap<PathBuf, Vec<u8>>, ArchiveError> {
    let mut files: BTreeMap<PathBuf, Vec<u8>> = site
        .files()
        .filter(|(path, _)| !path.starts_with("archive"))
        .map(|(path, bytes)| (path.clone(), bytes.clone()))
        .collect();
    let mut text = serde_json::to_vec_pretty(provenance).map_err(|e| ArchiveError::Invalid {
        path: PathBuf::from("provenance.json"),
        message: e.to_string(),
    })?;
    text.push(b'\n');
    files.insert(PathBuf::from("provenance.json"), text);
    files.extend(diff_files);
    let manifest = sums(files.iter());
    files.insert(PathBuf::from(SUMS), manifest.into_bytes());
    Ok(files)
}

/// Carries an existing snapshot into the site, byte for byte, copied from disk at publish.
pub fn carry_over(site: &mut Site, snapshot: &super::Snapshot) -> Result<(), ArchiveError> {
    for file in &snapshot.files {
        let target = Path::new("archive")
            .join(crate::report::doc::date_text(snapshot.date))
            .join(file);
        site.add_copy(&target, snapshot.dir.join(file))
            .map_err(|e| ArchiveError::Invalid {
                path: target.clone(),
                message: e.to_string(),
            })?;
    }
    Ok(())
}

/// Adds `files` to the site under `archive/<date>/`.
pub fn add_to_site(
    site: &mut Site,
    date: NaiveDate,
    files: &BTreeMap<PathBuf, Vec<u8>>,
) -> Result<(), ArchiveError> {
    for (path, bytes) in files {
        let target = Path::new("archive")
            .join(crate::report::doc::date_text(date))
            .join(path);
        site.add(&target, bytes.clone())
            .map_err(|e| ArchiveError::Invalid {
                path: target.clone(),
                message: e.to_string(),
            })?;
    }
    Ok(())
}
