//! Publishing is atomic and keeps what is not migcov's: `kill -9` at any moment leaves the
//! previous site byte for byte, a later build clears what the killed one left, and a
//! `.git` or `CNAME` kept inside the site survives a rebuild.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use common::fixtures;

fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn command(data: &Path, out: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::cargo_bin("migcov").unwrap();
    cmd.env_remove("SOURCE_DATE_EPOCH")
        .args([
            "build",
            "--exit-zero",
            "--report-date",
            "2026-11-24",
            "--data",
        ])
        .arg(data)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd
}

#[test]
fn kill_9_at_any_moment_leaves_the_previous_site_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = fixtures().join("../../data");
    let out = dir.path().join("site");
    assert!(command(&data, &out).status().unwrap().success());
    let before = tree(&out);
    // The same inputs and date give the same bytes, so whether a kill lands before or after
    // the swap, the site must equal `before`.
    let mut rng_state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20 {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        let delay = Duration::from_millis(rng_state % 1500);
        let mut child = command(&data, &out).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        assert!(
            tree(&out) == before,
            "the site changed after a kill at {delay:?}"
        );
    }
    // A build after the kills removes what they left beside the site.
    assert!(command(&data, &out).status().unwrap().success());
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["site"], "no staging folder is left behind");
    assert!(tree(&out) == before);
}

#[test]
fn files_migcov_did_not_write_survive_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let data = fixtures().join("base");
    assert!(command(&data, &out).status().unwrap().success());
    std::fs::create_dir_all(out.join(".git/refs")).unwrap();
    std::fs::write(out.join(".git/HEAD"), "ref: refs/heads/gh-pages\n").unwrap();
    std::fs::write(out.join("CNAME"), "migration.example.org\n").unwrap();
    std::fs::write(out.join("robots.txt"), "User-agent: *\n").unwrap();
    assert!(command(&data, &out).status().unwrap().success());
    assert_eq!(
        std::fs::read_to_string(out.join(".git/HEAD")).unwrap(),
        "ref: refs/heads/gh-pages\n"
    );
    assert!(out.join(".git/refs").is_dir());
    assert_eq!(
        std::fs::read_to_string(out.join("CNAME")).unwrap(),
        "migration.example.org\n"
    );
    assert!(out.join("robots.txt").is_file());
    assert!(out.join("index.html").is_file());
}

/// Found by an independent check: a link in the site to a folder outside it emptied every
/// file of that folder on the next build. It is carried over as a link, and what it points
/// to is never touched.
#[cfg(unix)]
#[test]
fn a_link_to_a_folder_outside_the_site_is_carried_over_and_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let (out, outside) = (dir.path().join("site"), dir.path().join("outside"));
    std::fs::create_dir_all(outside.join("deep")).unwrap();
    std::fs::write(outside.join("p.txt"), "precious\n").unwrap();
    std::fs::write(outside.join("deep/q.txt"), "also\n").unwrap();
    let data = fixtures().join("base");
    assert!(command(&data, &out).status().unwrap().success());
    std::os::unix::fs::symlink(&outside, out.join("shared")).unwrap();
    std::os::unix::fs::symlink("../outside", out.join(".relative")).unwrap();
    assert!(command(&data, &out).status().unwrap().success());
    assert_eq!(
        std::fs::read_to_string(outside.join("p.txt")).unwrap(),
        "precious\n"
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("deep/q.txt")).unwrap(),
        "also\n"
    );
    assert_eq!(std::fs::read_link(out.join("shared")).unwrap(), outside);
    assert_eq!(
        std::fs::read_link(out.join(".relative")).unwrap(),
        Path::new("../outside")
    );
}
