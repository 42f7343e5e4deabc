//! The top-level error: one variant per stage, each stage's error carrying its own path and
//! row. `main` prints it and maps every error to exit code 2.

use thiserror::Error;

pub use crate::load::LoadError;
pub use crate::output::OutputError;
pub use crate::render::RenderError;

#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    #[error("migcov.yaml: {message}")]
    Config { message: String },
    /// A polars computation failed on frames that loaded fine: a bug, reported as such.
    #[error("internal error while computing the report: {message}")]
    Compute { message: String },
}

impl Error {
    pub fn compute(err: polars::prelude::PolarsError) -> Self {
        Error::Compute {
            message: err.to_string(),
        }
    }
}
