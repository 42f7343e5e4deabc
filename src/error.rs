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

/// How many [`caught`] calls are running: while any is, panics print nothing.
static QUIET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// `work`'s result, or the message of its panic: polars panics on some inputs it was built
/// without support for (an extension type, a cast it lacks), and an input is never a crash.
/// polars' advice on its own build, no help to a user, is left out.
pub(crate) fn caught<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    // Quiet while `work` runs: the panic becomes the error migcov prints, and polars' own
    // "thread panicked" text (with a backtrace hint) is no message for a user (found by
    // an independent check: an Arrow extension column printed it before the error). One
    // hook, installed once, silent while any such work runs: swapping hooks per call
    // raced between the threads that load files side by side.
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                default(info);
            }
        }));
    });
    QUIET.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    QUIET.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "polars stopped on a value it cannot handle".into());
        // A library's `unwrap` of its own error: the error's text alone, not the Rust.
        let message = message
            .strip_prefix("called `Result::unwrap()` on an `Err` value: ")
            .map(|error| {
                let inner = error
                    .split_once("ErrString(\"")
                    .map_or(error, |(_, inner)| inner);
                // Debug-escaped: its first line.
                let inner = inner.split("\")").next().unwrap_or(inner);
                inner.split("\\n").next().unwrap_or(inner).to_string()
            })
            .unwrap_or(message);
        message
            .split(". You probably")
            .next()
            .unwrap_or_default()
            .to_string()
    })
}
