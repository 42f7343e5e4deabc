//! Walking a folder: the one way migcov lists the files under a folder it copies, checks or
//! reads whole. It sits below every stage and knows none of them.

use std::path::{Path, PathBuf};

/// The files under `dir` (or `dir`, a file) by name, links not followed: (path, relative path).
pub fn files<'d, E>(
    dir: &'d Path,
    error: impl Fn(walkdir::Error) -> E + 'd,
) -> impl Iterator<Item = Result<(PathBuf, PathBuf), E>> + 'd {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(move |entry| match entry {
            Err(e) => Some(Err(error(e))),
            Ok(entry) if !entry.file_type().is_file() => None,
            Ok(entry) => {
                let path = entry.into_path();
                let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                Some(Ok((path, relative)))
            }
        })
}

/// A walk's failure as an I/O error (a bare `walk` error where it carries none).
pub fn io_error(e: walkdir::Error) -> std::io::Error {
    e.into_io_error()
        .unwrap_or_else(|| std::io::Error::other("walk"))
}
