//! The load stage's error type: an input that cannot be read or parsed stops the run.

use std::path::PathBuf;

use thiserror::Error;

/// Why an input could not be loaded. Every variant names the file; table errors name the
/// column and the 1-based data row (CSV line = row + 1, after the header).
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{path}: data folder not found")]
    NoDataDir { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Yaml {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("{path}: required input is missing ({what})")]
    MissingInput { path: PathBuf, what: &'static str },
    #[error("{path}: missing required column `{column}` (found: {found})")]
    MissingColumn {
        path: PathBuf,
        column: String,
        found: String,
    },
    #[error("{path} row {row}: column `{column}`: expected {expected}, found {found:?}")]
    BadValue {
        path: PathBuf,
        row: u64,
        column: String,
        expected: &'static str,
        found: String,
    },
    #[error("{path}: cannot parse table: {message}")]
    Table { path: PathBuf, message: String },
    #[error("{path}{}: {message}", item.map(|i| format!(" item {i}")).unwrap_or_default())]
    Manifest {
        path: PathBuf,
        item: Option<usize>,
        message: String,
    },
}

impl LoadError {
    pub(crate) fn table(path: &std::path::Path, err: impl std::fmt::Display) -> Self {
        LoadError::Table {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }
}
