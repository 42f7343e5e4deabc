//! `migcov verify DIR`: re-hashes a snapshot against its `SHA256SUMS` and lists what changed,
//! what is missing and what was added.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{io, ArchiveError};

pub const SUMS: &str = "SHA256SUMS";

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a file without reading it whole into memory.
pub fn sha256_file(path: &Path) -> Result<(String, u64), ArchiveError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher).map_err(io(path))?;
    let digest = hasher.finalize();
    Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), bytes))
}

/// `SHA256SUMS` in the format `sha256sum -c` reads: `<hex>  <path>` per line, sorted.
pub fn sums<'a>(files: impl Iterator<Item = (&'a PathBuf, &'a Vec<u8>)>) -> String {
    let mut out = String::new();
    for (path, bytes) in files {
        out.push_str(&format!("{}  {}\n", sha256_hex(bytes), path.display()));
    }
    out
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub checked: usize,
    pub changed: Vec<String>,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
}

impl Verification {
    pub fn intact(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// A `SHA256SUMS` file's text: UTF-8, or UTF-16 with its byte order mark, as PowerShell
/// 5's `Out-File` writes it (found by an independent check: such a file was an error).
fn sums_text(bytes: &[u8]) -> Option<String> {
    let utf16 = |big_endian: bool| -> Option<String> {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|pair| match (pair, big_endian) {
                ([a, b], true) => Some(u16::from_be_bytes([*a, *b])),
                ([a, b], false) => Some(u16::from_le_bytes([*a, *b])),
                _ => None,
            })
            .collect::<Option<_>>()?;
        String::from_utf16(&units).ok()
    };
    match bytes {
        [0xFF, 0xFE, ..] => utf16(false),
        [0xFE, 0xFF, ..] => utf16(true),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    }
}

pub fn verify(dir: &Path) -> Result<Verification, ArchiveError> {
    let sums_path = dir.join(SUMS);
    // The list itself is a file of the snapshot: a link (to a copy kept elsewhere, or to
    // /dev/zero, read without end) or a FIFO (read waits for ever) is none (found by an
    // independent check).
    let kind = std::fs::symlink_metadata(&sums_path)
        .map_err(io(&sums_path))?
        .file_type();
    if !kind.is_file() {
        return Err(ArchiveError::Invalid {
            path: sums_path.clone(),
            message: match kind.is_symlink() {
                true => "is a symbolic link, not the snapshot's own list".into(),
                false => "is not a regular file".into(),
            },
        });
    }
    let bytes = std::fs::read(&sums_path).map_err(io(&sums_path))?;
    let text = sums_text(&bytes).ok_or_else(|| ArchiveError::Invalid {
        path: sums_path.clone(),
        message: "is neither UTF-8 nor UTF-16 text".into(),
    })?;
    // A byte order mark, as some Windows tools write one, is no part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut result = Verification::default();
    let mut listed = BTreeSet::new();
    for (number, line) in text.lines().enumerate() {
        // A blank line (a trailing one, as editors leave) lists nothing.
        if line.trim().is_empty() {
            continue;
        }
        // `sha256sum -b` marks each path with `*` (binary mode) after one space.
        let (hex, name) = line
            .split_once("  ")
            .or_else(|| line.split_once(" *"))
            .ok_or_else(|| ArchiveError::Invalid {
                path: sums_path.clone(),
                message: format!("line {}: expected `<sha256>  <path>`", number + 1),
            })?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ArchiveError::Invalid {
                path: sums_path.clone(),
                message: format!("line {}: {hex:?} is not a SHA-256 in hex", number + 1),
            });
        }
        // `./api/…`, as `find . -exec sha256sum {} +` writes paths, is `api/…`, as
        // `sha256sum -c` reads it.
        let mut bare = name;
        while let Some(rest) = bare.strip_prefix("./") {
            bare = rest.trim_start_matches('/');
        }
        let safe = crate::output::confined(Path::new(bare)).map_err(|_| ArchiveError::Invalid {
            path: sums_path.clone(),
            message: format!(
                "line {}: {name:?} is not a path inside the snapshot",
                number + 1
            ),
        })?;
        if !listed.insert(safe.clone()) {
            return Err(ArchiveError::Invalid {
                path: sums_path.clone(),
                message: format!("line {}: {name:?} is listed twice", number + 1),
            });
        }
        let path = dir.join(&safe);
        if !path.is_file() {
            result.missing.push(name.to_string());
            continue;
        }
        // A listed file replaced by a link (to the same bytes, even), or reached through a
        // folder replaced by one, is not the file: the snapshot no longer holds it.
        let linked = safe
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .any(|p| {
                std::fs::symlink_metadata(dir.join(p)).is_ok_and(|m| m.file_type().is_symlink())
            });
        if linked {
            result.changed.push(name.to_string());
            continue;
        }
        result.checked += 1;
        // Either case of hex digits (PowerShell's `Get-FileHash` writes upper case).
        if !sha256_file(&path)?.0.eq_ignore_ascii_case(hex) {
            result.changed.push(name.to_string());
        }
    }
    // An empty list proves nothing: every snapshot migcov writes lists its files.
    if listed.is_empty() {
        return Err(ArchiveError::Invalid {
            path: sums_path,
            message: "lists no file, so nothing can be verified".into(),
        });
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| ArchiveError::Invalid {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        // A symbolic link is never followed, and never part of a snapshot: it is extra. So
        // is anything that is no file (a FIFO, a socket) and a folder holding nothing
        // (found by an independent check: both passed as intact); a folder is otherwise
        // only where its files are.
        // (A folder emptied by a missing file is that file's, already reported.)
        let kind = entry.file_type();
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let empty_folder = kind.is_dir()
            && entry.depth() > 0
            && std::fs::read_dir(entry.path()).is_ok_and(|mut d| d.next().is_none())
            && !listed.iter().any(|p| p.starts_with(relative));
        if kind.is_dir() && !empty_folder {
            continue;
        }
        if relative != Path::new(SUMS) && !listed.contains(relative) {
            result.extra.push(relative.display().to_string());
        }
    }
    Ok(result)
}
