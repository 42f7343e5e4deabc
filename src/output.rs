//! The sole file writer. Renderers hand it a [`Site`]: relative paths and their bytes, kept
//! in memory. It checks every path stays inside the output folder, writes the whole site
//! into a staging folder beside `--out`, and swaps it in with one atomic rename exchange, so
//! a failed or killed build leaves the previous site whole.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

/// Written into every folder migcov writes whole, so a later run knows it may replace the
/// folder; its first line names the folder's kind ([`FolderKind`]).
pub const MARKER: &str = ".migcov-site";

/// What a folder migcov writes whole holds: a folder is replaced only by one of its own
/// kind (found by an independent check: `diff --out SITE` replaced a site and every
/// archived snapshot in it with one diff, and `collect --out SITE` with a data folder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    /// `build --out`: the report, with its archive.
    Site,
    /// `collect --out`: a data folder.
    Data,
    /// `diff --out`.
    Diff,
    /// `--failures-dir`.
    Failures,
    /// `--dump-context`.
    Contexts,
}

impl FolderKind {
    fn name(self) -> &'static str {
        match self {
            FolderKind::Site => "site",
            FolderKind::Data => "data folder",
            FolderKind::Diff => "diff",
            FolderKind::Failures => "failures folder",
            FolderKind::Contexts => "context folder",
        }
    }

    const ALL: [FolderKind; 5] = [
        FolderKind::Site,
        FolderKind::Data,
        FolderKind::Diff,
        FolderKind::Failures,
        FolderKind::Contexts,
    ];

    /// The kind a marker's first line names, in markers written since kinds are told
    /// apart.
    fn of_marker(first_line: &str) -> Option<FolderKind> {
        if !first_line.contains(KINDED) {
            return None;
        }
        FolderKind::ALL.into_iter().find(|k| {
            first_line
                .strip_prefix("migcov ")
                .and_then(|rest| rest.strip_prefix(k.name()))
                .is_some_and(|rest| rest.starts_with(';'))
        })
    }
}

/// In a marker's first line since kinds are told apart.
const KINDED: &str = "(kind checked)";

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{path}: refusing to write outside the output folder")]
    UnsafePath { path: PathBuf },
    #[error("{path}: refusing to replace a folder migcov did not write: not a migcov site or collected data folder (no {MARKER} file, and not empty)")]
    NotASite { path: PathBuf },
    #[error("{path}: refusing to replace a migcov {found} with a {wanted}: write the {wanted} to another folder")]
    OtherKind {
        path: PathBuf,
        found: &'static str,
        wanted: &'static str,
    },
    #[error("{path}: is or holds the folder migcov runs in, which it cannot replace: write to a folder beside it (`--out site`)")]
    HoldsWorkingFolder { path: PathBuf },
    #[error("{path}: another migcov run is writing this folder; run one at a time")]
    Busy { path: PathBuf },
    #[error("{path}: is a file, not a folder: migcov writes a folder there and replaces only a folder it wrote")]
    NotAFolder { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A site: relative path → contents in memory, plus files copied from disk as they are
/// (archived snapshots), in sorted order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Site {
    files: BTreeMap<PathBuf, Vec<u8>>,
    copies: BTreeMap<PathBuf, PathBuf>,
}

/// A relative path with only normal components: no root, no `..`, no `.`.
pub fn confined(path: &Path) -> Result<PathBuf, OutputError> {
    let safe = !path.as_os_str().is_empty()
        && path.components().all(|c| matches!(c, Component::Normal(_)));
    if safe {
        Ok(path.to_path_buf())
    } else {
        Err(OutputError::UnsafePath {
            path: path.to_path_buf(),
        })
    }
}

impl Site {
    pub fn add(
        &mut self,
        path: impl AsRef<Path>,
        contents: impl Into<Vec<u8>>,
    ) -> Result<(), OutputError> {
        let path = confined(path.as_ref())?;
        self.files.insert(path, contents.into());
        Ok(())
    }

    /// Adds a file whose contents are copied from `source` when the site is published.
    pub fn add_copy(
        &mut self,
        path: impl AsRef<Path>,
        source: impl Into<PathBuf>,
    ) -> Result<(), OutputError> {
        let path = confined(path.as_ref())?;
        self.copies.insert(path, source.into());
        Ok(())
    }

    pub fn get(&self, path: impl AsRef<Path>) -> Option<&[u8]> {
        self.files.get(path.as_ref()).map(Vec::as_slice)
    }

    pub fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.keys()
    }

    /// Every file with its contents, in path order.
    pub fn files(&self) -> impl Iterator<Item = (&PathBuf, &Vec<u8>)> {
        self.files.iter()
    }

    pub fn len(&self) -> usize {
        self.files.len() + self.copies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.copies.is_empty()
    }

    /// Writes the site to `out` atomically: staged beside it, then swapped in.
    pub fn publish(&self, out: &Path, kind: FolderKind) -> Result<(), OutputError> {
        self.stage(out, kind)?.commit()
    }

    /// Writes the site into a staging folder beside `out`, to be swapped in by
    /// [`Staging::commit`] (or removed, dropped without it): a build stages every folder
    /// before any goes live, so a folder that cannot be written leaves all as they were.
    pub fn stage(&self, out: &Path, kind: FolderKind) -> Result<Staging, OutputError> {
        let staging = Staging::begin(out, kind)?;
        for (relative, contents) in &self.files {
            staging.write(relative, contents)?;
        }
        for (relative, source) in &self.copies {
            let target = staging.create_path(relative)?;
            std::fs::copy(source, &target).map_err(io(source))?;
        }
        Ok(staging)
    }
}

/// A folder being written: files go into a staging folder beside `out` as they are
/// produced (so a streamed export never has to fit in memory), and [`Staging::commit`]
/// swaps it in with one rename exchange. Dropped without a commit, the staging folder is
/// removed and `out` is untouched.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    kind: FolderKind,
    dir: Option<tempfile::TempDir>,
}

impl Staging {
    /// Checks `out` may be replaced (absent, empty, or written by migcov as a folder of
    /// this kind) and creates the staging folder beside it.
    pub fn begin(out: &Path, kind: FolderKind) -> Result<Staging, OutputError> {
        // A link to a folder is written through, not replaced by a folder of its own:
        // the folder it names is the one a web server publishes (found by an independent
        // check: the link became a folder, and the folder it named stopped changing).
        let linked = std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
        let resolved = match linked && out.is_dir() {
            true => Some(std::fs::canonicalize(out).map_err(io(out))?),
            false => None,
        };
        let out = resolved.as_deref().unwrap_or(out);
        // The folder a run works in cannot be swapped out from under it (`--out .` made
        // its staging folder inside itself, "File name too long").
        let here = std::env::current_dir().and_then(std::fs::canonicalize);
        if let (Ok(here), Ok(folder)) = (here, std::fs::canonicalize(out)) {
            if here.starts_with(&folder) {
                return Err(OutputError::HoldsWorkingFolder {
                    path: out.to_path_buf(),
                });
            }
        }
        let parent = parent_of(out);
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        if out.exists() && !out.is_dir() {
            return Err(OutputError::NotAFolder {
                path: out.to_path_buf(),
            });
        }
        if out.exists() && !is_replaceable(out)? {
            return Err(OutputError::NotASite {
                path: out.to_path_buf(),
            });
        }
        if let Some(found) = existing_kind(out).filter(|found| *found != kind) {
            return Err(OutputError::OtherKind {
                path: out.to_path_buf(),
                found: found.name(),
                wanted: kind.name(),
            });
        }
        remove_abandoned_staging(&parent);
        // The pid in the name lets a later build tell a staging folder whose build was
        // killed (remove it) from one still being written (leave it).
        let dir = tempfile::Builder::new()
            .prefix(&format!("{STAGING_PREFIX}{}-", std::process::id()))
            .tempdir_in(&parent)
            .map_err(io(&parent))?;
        Ok(Staging {
            out: out.to_path_buf(),
            kind,
            dir: Some(dir),
        })
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir
            .as_ref()
            .expect("staging folder until commit")
            .path()
    }

    /// The staged path of `relative` (checked to stay inside the folder), its folders
    /// created, for a writer that streams into it.
    pub fn create_path(&self, relative: &Path) -> Result<PathBuf, OutputError> {
        let relative = confined(relative)?;
        let target = self.root().join(relative);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        Ok(target)
    }

    /// Creates a new staged file for streaming into; an existing one is an error.
    pub fn create(&self, relative: &Path) -> Result<std::fs::File, OutputError> {
        let target = self.create_path(relative)?;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(io(&target))
    }

    /// Whether a file was staged at `relative`.
    pub fn exists(&self, relative: &Path) -> bool {
        confined(relative).is_ok_and(|r| self.root().join(r).exists())
    }

    pub fn write(&self, relative: &Path, contents: &[u8]) -> Result<(), OutputError> {
        let target = self.create_path(relative)?;
        write_new_file(&target, contents)
    }

    /// Writes the marker (naming the top-level entries migcov wrote), keeps what others
    /// put in the old folder, and swaps the staging folder in.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let staged = self.dir.take().expect("committed once");
        let mut ours: Vec<String> = std::fs::read_dir(staged.path())
            .map_err(io(staged.path()))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ours.sort();
        if self.out.exists() {
            carry_over_foreign(&self.out, staged.path(), &ours)?;
        }
        let mut marker = format!(
            "migcov {}; {KINDED} the top-level entries migcov wrote:\n",
            self.kind.name()
        );
        for name in &ours {
            marker.push_str(name);
            marker.push('\n');
        }
        write_new_file(&staged.path().join(MARKER), marker.as_bytes())?;
        let staged = staged.keep();
        swap_in(&staged, &self.out)
    }
}

/// Writes one file atomically: a temporary file in the same folder, then renamed over
/// `path`, so readers see the old file or the new one, never half of one.
/// How a single output file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Replaced atomically (same-folder temp file, then rename), readable as the site is.
    Replace,
    /// Appended to, as CI step summaries are (`$GITHUB_STEP_SUMMARY`); created if absent.
    Append,
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether `path` can be written, checked before anything is: an existing regular file or
/// stream must be writable, a new file's folder must exist (or be creatable) and be
/// writable, and a folder is never a file.
pub fn check_writable(path: &Path) -> Result<(), OutputError> {
    let denied = |what: &str| OutputError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, what.to_string()),
    };
    if let Some(fd) = stream_of(path) {
        return match open_for_writing(fd) {
            true => Ok(()),
            false => Err(denied("is not open for writing")),
        };
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(OutputError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("is a folder, expected a file"),
        }),
        // A regular file is replaced through a new file beside it: that must be possible
        // (access(2) says yes to root everywhere, `/proc` included).
        Ok(meta) if meta.is_file() => match writable(path) && can_create_in(&parent_of(path)) {
            true => Ok(()),
            false => Err(denied("not writable")),
        },
        Ok(_) => {
            if writable(path) {
                Ok(())
            } else {
                Err(denied("not writable"))
            }
        }
        Err(_) => {
            // The nearest existing ancestor must be a writable folder.
            let mut dir = parent_of(path);
            while !dir.exists() {
                match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => dir = p.to_path_buf(),
                    _ => dir = PathBuf::from("."),
                }
                if dir == Path::new(".") {
                    break;
                }
            }
            if dir.is_dir() && writable(&dir) && can_create_in(&dir) {
                Ok(())
            } else {
                Err(denied("its folder is not writable"))
            }
        }
    }
}

/// The descriptor a path names when it is one of this process's open streams: `-` and
/// `/dev/stdout` (1), `/dev/stderr` (2), `/dev/fd/N` and `/proc/self/fd/N`. Such a path is
/// written through the descriptor the process already holds, never opened again: opening
/// `/dev/stdout` checks the stream's own permissions, and a container's stdout is a pipe
/// owned by root that another user cannot open, though it can write to it.
pub fn stream_of(path: &Path) -> Option<i32> {
    let text = path.to_str()?;
    match text {
        "-" | "/dev/stdout" => Some(1),
        "/dev/stderr" => Some(2),
        _ => text
            .strip_prefix("/dev/fd/")
            .or_else(|| text.strip_prefix("/proc/self/fd/"))
            .and_then(|n| n.parse().ok())
            .filter(|fd: &i32| *fd >= 0),
    }
}

/// Whether descriptor `fd` is open, for writing.
#[cfg(unix)]
fn open_for_writing(fd: i32) -> bool {
    // SAFETY: F_GETFL only reads the descriptor's flags; a closed descriptor gives -1.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    flags >= 0 && (flags & libc::O_ACCMODE) != libc::O_RDONLY
}

#[cfg(not(unix))]
fn open_for_writing(fd: i32) -> bool {
    fd == 1 || fd == 2
}

/// Writes everything to an open descriptor ([`stream_of`]).
fn write_stream(fd: i32, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    match fd {
        1 => {
            let mut out = std::io::stdout().lock();
            out.write_all(contents)?;
            out.flush()
        }
        2 => std::io::stderr().lock().write_all(contents),
        #[cfg(unix)]
        _ => {
            use std::os::fd::BorrowedFd;
            // SAFETY: the descriptor was checked open by `check_writable`; it is borrowed
            // only to duplicate it, and the duplicate is what is written and closed.
            let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
            let mut file = std::fs::File::from(borrowed.try_clone_to_owned()?);
            file.write_all(contents)
        }
        #[cfg(not(unix))]
        _ => Err(std::io::Error::other("not a stream of this process")),
    }
}

/// Whether a file can be made in `dir`, tried: a file made and removed at once.
fn can_create_in(dir: &Path) -> bool {
    tempfile::Builder::new()
        .prefix(".migcov-probe-")
        .tempfile_in(dir)
        .is_ok()
}

#[cfg(unix)]
fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a NUL-terminated path and a constant mode; access(2) only reads them.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

/// Writes one file outside the site. A regular file (or a new one) is replaced atomically
/// with the same permissions as the site's files (0666 less the umask), or appended to;
/// anything else at the path (`/dev/stdout`, a pipe) is a stream and is written to as it
/// is, never replaced.
pub fn write_file(path: &Path, contents: &[u8], how: WriteMode) -> Result<(), OutputError> {
    use std::io::Write as _;
    if let Some(fd) = stream_of(path) {
        return write_stream(fd, contents).map_err(io(path));
    }
    let existing = std::fs::metadata(path).ok();
    if existing.as_ref().is_some_and(|m| !m.is_file()) || how == WriteMode::Append {
        let mut file = std::fs::OpenOptions::new()
            .append(how == WriteMode::Append)
            .write(true)
            .create(how == WriteMode::Append)
            .open(path)
            .map_err(io(path))?;
        // Appended after text that does not end its line, a heading would be that line's
        // end, no heading (found by an independent check).
        if how == WriteMode::Append && ends_mid_line(path) {
            file.write_all(b"\n").map_err(io(path))?;
        }
        return file.write_all(contents).map_err(io(path));
    }
    let parent = parent_of(path);
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(&parent).map_err(io(&parent))?;
    file.write_all(contents).map_err(io(path))?;
    file.persist(path).map_err(|e| OutputError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Whether a regular file's last byte is there and is no line feed.
fn ends_mid_line(path: &Path) -> bool {
    use std::io::{Read as _, Seek as _};
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let is_file = file.metadata().is_ok_and(|m| m.is_file() && m.len() > 0);
    let mut last = [0u8; 1];
    is_file
        && file.seek(std::io::SeekFrom::End(-1)).is_ok()
        && file.read_exact(&mut last).is_ok()
        && last[0] != b'\n'
}

const STAGING_PREFIX: &str = ".migcov-staging-";

/// Staging folders (and old sites set aside) left beside the output folder by a build that
/// was killed: those whose build process is gone are removed.
fn remove_abandoned_staging(parent: &Path) {
    remove_abandoned(parent, STAGING_PREFIX);
}

/// Folders in `parent` that a migcov process named `<prefix><pid>-<six characters>`
/// (tempfile's, with `.old` for a site set aside) and that were left by a build that was
/// killed (no drop runs then): removed when that process is gone, the folder is this
/// user's and is no link (what a link points to is never touched). A name that only
/// starts like one (`<prefix>2026-12-05`) is left alone.
pub(crate) fn remove_abandoned(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((pid, random)) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once('-'))
        else {
            continue;
        };
        let random = random.strip_suffix(".old").unwrap_or(random);
        let named = !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && random.len() == 6
            && random.bytes().all(|b| b.is_ascii_alphanumeric());
        let pid: Option<i32> = pid.parse().ok().filter(|_| named);
        let Ok(metadata) = entry.path().symlink_metadata() else {
            continue;
        };
        let ours = metadata.is_dir() && owned_by_us(&metadata);
        if ours && pid.is_some_and(|pid| !process_alive(pid)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(unix)]
fn owned_by_us(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    metadata.uid() == unsafe { libc::geteuid() }
}

#[cfg(not(unix))]
fn owned_by_us(_metadata: &std::fs::Metadata) -> bool {
    true
}

/// Whether process `pid` still runs (so a folder named with it is still in use).
#[cfg(unix)]
fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_pid: i32) -> bool {
    true
}

/// Entries at the top of an existing site that migcov did not write (a `.git`, a `CNAME`
/// for GitHub Pages, a `robots.txt`) are linked into the new site, so a rebuild keeps them.
/// The old marker names what migcov wrote; a marker without that list (older versions)
/// keeps only hidden entries and `CNAME`.
fn carry_over_foreign(out: &Path, staging: &Path, ours: &[String]) -> Result<(), OutputError> {
    let marker = std::fs::read_to_string(out.join(MARKER)).unwrap_or_default();
    let listed: Vec<&str> = marker.lines().skip(1).collect();
    for entry in std::fs::read_dir(out).map_err(io(out))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let foreign = if listed.is_empty() {
            (name.starts_with('.') || name == "CNAME") && name != MARKER
        } else {
            !listed.contains(&name.as_str()) && name != MARKER
        };
        if foreign && !ours.contains(&name) {
            link_tree(&entry.path(), &staging.join(&name))?;
        }
    }
    Ok(())
}

/// Recreates `from` at `to`: folders made, files hard-linked (copied across devices),
/// symlinks recreated as they are, `from` itself too: walkdir follows a root that is a
/// link unless told not to, and a linked folder's files were then "copied" through the
/// recreated link onto themselves, emptying files outside the site.
fn link_tree(from: &Path, to: &Path) -> Result<(), OutputError> {
    let entries = walkdir::WalkDir::new(from)
        .follow_links(false)
        .follow_root_links(false);
    for entry in entries {
        let entry = entry.map_err(|e| OutputError::Io {
            path: from.to_path_buf(),
            source: crate::walk::io_error(e),
        })?;
        let relative = entry.path().strip_prefix(from).unwrap_or(entry.path());
        let target = if relative.as_os_str().is_empty() {
            to.to_path_buf()
        } else {
            to.join(relative)
        };
        let kind = entry.file_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(io(&target))?;
        } else if kind.is_symlink() {
            #[cfg(unix)]
            {
                let link = std::fs::read_link(entry.path()).map_err(io(entry.path()))?;
                std::os::unix::fs::symlink(link, &target).map_err(io(&target))?;
            }
        } else if std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target).map_err(io(&target))?;
        }
    }
    Ok(())
}

/// Held while a run reads a folder it will replace and until it has replaced it: a second
/// run writing the same folder at once is refused, not raced (found by an independent
/// check: two builds with `--snapshot` into one site both exited 0, and the snapshot of
/// the one that swapped its site in first was gone). The lock is on the folder itself, so
/// a run that opens it after the swap finds the new site, with the first run's snapshot,
/// unlocked; a folder that does not exist yet is made (empty) to be locked, and removed
/// again if the run ends without replacing it. No file is left beside it.
#[derive(Debug)]
pub struct FolderLock {
    _file: std::fs::File,
    /// The folders made to lock `out`, `out` first, removed again while still empty.
    made: Vec<PathBuf>,
}

impl FolderLock {
    pub fn take(out: &Path) -> Result<FolderLock, OutputError> {
        let mut made: Vec<PathBuf> = out
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && std::fs::symlink_metadata(a).is_err())
            .map(Path::to_path_buf)
            .collect();
        match std::fs::create_dir_all(parent_of(out)).and_then(|()| std::fs::create_dir(out)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => made.clear(),
            Err(e) => return Err(io(out)(e)),
        }
        let lock = |file: std::fs::File| match try_lock(&file) {
            Ok(true) => Ok(file),
            Ok(false) => Err(OutputError::Busy {
                path: out.to_path_buf(),
            }),
            Err(e) => Err(io(out)(e)),
        };
        // The folder locked must still be the one at `out`: a run that opened it just
        // before another swapped its site in holds the old, removed one; it opens again.
        let mut taken = std::fs::File::open(out).map_err(io(out)).and_then(lock);
        for _ in 0..8 {
            match &taken {
                Ok(file) if !same_folder(file, out) => {
                    taken = std::fs::File::open(out).map_err(io(out)).and_then(lock);
                }
                _ => break,
            }
        }
        let held = FolderLock {
            _file: match taken {
                Ok(file) => file,
                Err(e) => {
                    remove_made(&made);
                    return Err(e);
                }
            },
            made,
        };
        Ok(held)
    }
}

/// Whether the open `file` is the folder now at `path`.
#[cfg(unix)]
fn same_folder(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_folder(_file: &std::fs::File, _path: &Path) -> bool {
    true
}

/// Removes the folders in `made` (innermost first) while they are empty.
fn remove_made(made: &[PathBuf]) {
    for folder in made {
        if std::fs::remove_dir(folder).is_err() {
            break;
        }
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Only while still the empty folders made here (a site swapped in is not).
        remove_made(&self.made);
    }
}

/// An exclusive lock on `file` without waiting (`flock`): false when another process
/// holds it. Released when the file is closed (or the process ends, killed even).
#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this function borrows, open for its whole call.
    match unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } {
        0 => Ok(true),
        _ => match std::io::Error::last_os_error() {
            e if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Ok(false),
            e => Err(e),
        },
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File) -> std::io::Result<bool> {
    Ok(true)
}

/// The kind of folder migcov wrote at `out`: as its marker names it, or for a marker
/// written before kinds were told apart (every one said `site`, or was empty), as its
/// contents tell: a report's front page, a collected folder's `collect.json`, a diff's
/// `diff.json` (found by an independent check: such a data folder or site was replaced
/// by a diff).
fn existing_kind(out: &Path) -> Option<FolderKind> {
    let marker = std::fs::read_to_string(out.join(MARKER)).ok()?;
    if let Some(kind) = FolderKind::of_marker(marker.lines().next().unwrap_or_default()) {
        return Some(kind);
    }
    [
        ("index.html", FolderKind::Site),
        ("collect.json", FolderKind::Data),
        ("diff.json", FolderKind::Diff),
    ]
    .into_iter()
    .find(|(file, _)| out.join(file).is_file())
    .map(|(_, kind)| kind)
}

fn is_replaceable(out: &Path) -> Result<bool, OutputError> {
    if !out.is_dir() {
        return Ok(false);
    }
    if out.join(MARKER).is_file() {
        return Ok(true);
    }
    Ok(std::fs::read_dir(out).map_err(io(out))?.next().is_none())
}

fn write_new_file(path: &Path, contents: &[u8]) -> Result<(), OutputError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut file = std::fs::File::create(path).map_err(io(path))?;
    file.write_all(contents).map_err(io(path))?;
    Ok(())
}

/// Replaces `out` with `staged`. On Linux an existing site is exchanged in one
/// `renameat2(RENAME_EXCHANGE)`; elsewhere it is renamed aside first.
fn swap_in(staged: &Path, out: &Path) -> Result<(), OutputError> {
    if !out.exists() {
        return std::fs::rename(staged, out).map_err(io(out));
    }
    if exchange(staged, out).is_ok() {
        // `staged` now holds the old site.
        return std::fs::remove_dir_all(staged).map_err(io(staged));
    }
    let old = staged.with_extension("old");
    std::fs::rename(out, &old).map_err(io(out))?;
    std::fs::rename(staged, out).map_err(io(out))?;
    std::fs::remove_dir_all(&old).map_err(io(&old))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("no atomic exchange on this platform"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_paths_that_leave_the_output_folder() {
        let mut site = Site::default();
        for bad in ["../x.html", "/etc/passwd", "a/../../b", "", "./a"] {
            assert!(site.add(bad, "x").is_err(), "{bad}");
        }
        assert!(site.add("scripts/a.html", "x").is_ok());
    }

    #[test]
    fn publish_replaces_a_previous_site_and_refuses_foreign_folders() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        let mut first = Site::default();
        first.add("index.html", "one").unwrap();
        first.add("old.html", "stale").unwrap();
        first.publish(&out, FolderKind::Site).unwrap();
        let mut second = Site::default();
        second.add("index.html", "two").unwrap();
        second.publish(&out, FolderKind::Site).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "two"
        );
        assert!(!out.join("old.html").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "staging folders cleaned up");

        let foreign = dir.path().join("home");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("thesis.tex"), "precious").unwrap();
        assert!(matches!(
            second.publish(&foreign, FolderKind::Site),
            Err(OutputError::NotASite { .. })
        ));
        assert!(foreign.join("thesis.tex").exists());
        // A file where the folder would go: said as a file, and kept.
        let file = dir.path().join("report.html");
        std::fs::write(&file, "mine").unwrap();
        assert!(matches!(
            second.publish(&file, FolderKind::Site),
            Err(OutputError::NotAFolder { .. })
        ));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    }
}
