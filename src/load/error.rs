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
        expected: std::borrow::Cow<'static, str>,
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
    /// Several files failed: each is listed, so one run shows every file to fix.
    #[error("{} inputs cannot be loaded:{}{}", .errors.len() + .more, list(.errors), more_line(*.more))]
    Several {
        errors: Vec<LoadError>,
        /// Failures found beyond those listed.
        more: usize,
    },
}

/// Most failing files listed in one [`LoadError::Several`].
pub const MAX_LISTED: usize = 20;

fn list(errors: &[LoadError]) -> String {
    errors.iter().map(|e| format!("\n  - {e}")).collect()
}

fn more_line(more: usize) -> String {
    if more == 0 {
        String::new()
    } else {
        format!("\n  - and {more} more")
    }
}

impl LoadError {
    /// One error for a list of them: itself when there is one, else [`LoadError::Several`]
    /// (nested lists flattened, at most [`MAX_LISTED`] shown).
    pub(crate) fn gather(errors: Vec<LoadError>) -> Option<LoadError> {
        let mut flat = Vec::new();
        let mut more = 0;
        for error in errors {
            match error {
                LoadError::Several { errors, more: m } => {
                    flat.extend(errors);
                    more += m;
                }
                other => flat.push(other),
            }
        }
        if flat.len() > MAX_LISTED {
            more += flat.len() - MAX_LISTED;
            flat.truncate(MAX_LISTED);
        }
        match (flat.len(), more) {
            (0, _) => None,
            (1, 0) => flat.pop(),
            _ => Some(LoadError::Several { errors: flat, more }),
        }
    }
}

impl LoadError {
    pub(crate) fn table(path: &std::path::Path, err: impl std::fmt::Display) -> Self {
        LoadError::Table {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }
}
