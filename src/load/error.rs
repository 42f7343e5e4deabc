//! The load stage's error type: an input that cannot be read or parsed stops the run.

use std::path::PathBuf;

use thiserror::Error;

/// Why an input could not be loaded. Every variant names the file; table errors name the
/// column and the 1-based data row (CSV line = row + 1, after the header).
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{path}: data folder not found")]
    NoDataDir { path: PathBuf },
    /// The scripts' folder (`--scripts-dir` or `scripts_dir` in `migcov.yaml`), named as
    /// such: it was said to be the data folder.
    #[error("{path}: scripts folder not found (--scripts-dir or scripts_dir in migcov.yaml)")]
    NoScriptsDir { path: PathBuf },
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
    /// A path that is not UTF-8 cannot be sorted into its kind: read as the parts that are,
    /// `alt-\xe4/migcov.yaml` was taken for the folder's own `migcov.yaml`.
    #[error(
        "{path}: a file or folder name that is not valid UTF-8: migcov cannot tell what input \
         it is; rename it, or move it out of the data folder"
    )]
    NotUtf8 { path: PathBuf },
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
            message: reader_message(&err.to_string()),
        }
    }
}

/// Most characters of a value quoted from the file in a reader's message.
const QUOTED_CHARS: usize = 200;

/// A CSV or JSON reader's message as a migcov user can act on it: polars' advice names
/// its own Python options (`infer_schema_length`, `ignore_errors`, `truncate_ragged_lines`),
/// which migcov has none of, so it is left out (its original error kept), and a value it
/// quotes is cut short (an unbalanced quote quoted the rest of the file).
pub fn reader_message(message: &str) -> String {
    let (said, original) = match message.split_once("You might want to try:") {
        Some((said, rest)) => (
            said.trim(),
            rest.split_once("Original error: ```")
                .and_then(|(_, o)| o.split_once("```"))
                .map(|(o, _)| o.trim()),
        ),
        None => (message.trim(), None),
    };
    let said = said
        .replace(
            "Consider setting 'truncate_ragged_lines=true'.",
            "(a row has more fields than the header)",
        )
        .replace(
            "found more fields than defined in 'Schema'",
            "a row has more fields than the header",
        );
    let said = said.replace("\n\n(a row has more fields than the header)", "");
    let mut out = shortened_quotes(&said);
    if let Some(original) = original {
        out.push_str(&format!(" ({})", shortened_quotes(original)));
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each back-quoted value in `text` cut to [`QUOTED_CHARS`] characters.
fn shortened_quotes(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(
            |(i, part)| match i % 2 == 1 && part.chars().count() > QUOTED_CHARS {
                true => format!("{}…", part.chars().take(QUOTED_CHARS).collect::<String>()),
                false => part.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("`")
}

#[cfg(test)]
mod tests {
    use super::reader_message;

    #[test]
    fn polars_advice_is_left_out_and_long_quotes_cut() {
        let quote = format!("\"2,{}\nOFFICE,3", "x".repeat(500));
        let polars = format!(
            "could not parse `{quote}` as dtype `str` at column 'legacy_id' (column number 2)\n\n\
             The current offset in the file is 53 bytes.\n\nYou might want to try:\n\
             - increasing `infer_schema_length` (e.g. `infer_schema_length=10000`),\n\
             - setting `ignore_errors` to `True`,\n\nOriginal error: ```invalid csv file\n\n\
             Field `{quote}` is not properly escaped.```"
        );
        let said = reader_message(&polars);
        assert!(!said.contains("infer_schema_length") && !said.contains("ignore_errors"));
        assert!(said.contains("at column 'legacy_id'") && said.contains("is not properly escaped"));
        assert!(said.len() < 700, "{said}");
        assert_eq!(
            reader_message(
                "found more fields than defined in 'Schema'\n\nConsider setting 'truncate_ragged_lines=true'."
            ),
            "a row has more fields than the header"
        );
    }
}
