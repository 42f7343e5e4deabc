//! `scripts/install.sh`, the install step of the GitHub Action and the GitLab template,
//! against a local HTTP server on loopback serving releases in cargo-dist's layout
//! (`<base>/download/v<version>/migcov-<target>.tar.xz` and its `.sha256`), made from the
//! binary these tests built: the right archive is installed, checked and runs the sample;
//! a checksum mismatch and an unknown version are refused with a clear error and install
//! nothing. Also `scripts/action_outputs.py`, which turns a build's result into the
//! Action's outputs.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target triple cargo-dist names this machine's archive after.
fn target() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        other => panic!("no release archive is built for {other}"),
    };
    format!("{arch}-unknown-linux-gnu")
}

/// An archive as cargo-dist lays it out: `migcov-<target>/migcov` (and a README) in a
/// `.tar.xz`, with its `.sha256` ("<hash> *<name>"); `checksum` overrides the hash.
fn release(root: &Path, version: &str, checksum: Option<&str>) {
    let name = format!("migcov-{}", target());
    let work = tempfile::tempdir().unwrap();
    let folder = work.path().join(&name);
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_migcov"), folder.join("migcov")).unwrap();
    std::fs::write(folder.join("README.md"), "migcov\n").unwrap();
    let dir = root.join(format!("download/v{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{name}.tar.xz"));
    // The fastest xz level: the test binary is large, and the format is what matters.
    let status = Command::new("tar")
        .env("XZ_OPT", "-0 -T0")
        .arg("-cJf")
        .arg(&archive)
        .arg("-C")
        .arg(work.path())
        .arg(&name)
        .status()
        .expect("tar with xz: apt-get install -y xz-utils");
    assert!(status.success());
    let hash = match checksum {
        Some(h) => h.to_string(),
        None => {
            let out = Command::new("sha256sum").arg(&archive).output().unwrap();
            String::from_utf8(out.stdout).unwrap()[..64].to_string()
        }
    };
    std::fs::write(
        dir.join(format!("{name}.tar.xz.sha256")),
        // As cargo-dist writes it: binary mode, then a blank line.
        format!("{hash} *{name}.tar.xz\n\n"),
    )
    .unwrap();
}

/// Serves the files under `root` over HTTP/1.0 on loopback (404 for anything else) until
/// the test ends; returns the base URL.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let file = root.join(path.trim_start_matches("/releases/"));
            let inside = !path.contains("..");
            let response = match std::fs::read(&file) {
                Ok(body) if inside && file.is_file() => {
                    let mut r = format!(
                        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                _ => b"HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found".to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    format!("http://127.0.0.1:{port}/releases")
}

/// Runs the install script: (exit code, stdout, stderr).
fn install(base: &str, version: &str, into: &Path, github_path: &Path) -> (i32, String, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh");
    let out = Command::new("sh")
        .arg(script)
        .env("MIGCOV_VERSION", version)
        .env("MIGCOV_BASE_URL", base)
        .env("MIGCOV_INSTALL_DIR", into)
        .env("GITHUB_PATH", github_path)
        .output()
        .expect("sh");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `binary` builds the bundled sample as of its committed report date into `out`, with
/// `extra` arguments.
fn build_sample(binary: &Path, out: &Path, extra: &[&std::ffi::OsStr]) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let built = Command::new(binary)
        .args([
            "build",
            "--exit-zero",
            "--report-date",
            "2026-11-24",
            "--data",
        ])
        .arg(&data)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(built.status.success(), "{built:?}");
}

#[test]
fn the_install_script_installs_the_checked_release_and_refuses_the_rest() {
    let releases = tempfile::tempdir().unwrap();
    release(releases.path(), "0.1.0", None);
    release(releases.path(), "0.2.0", Some(&"0".repeat(64)));
    let base = serve(releases.path().to_path_buf());
    let home = tempfile::tempdir().unwrap();
    let into = home.path().join("migcov");
    let github_path = home.path().join("github_path");

    // The right archive, checked, installed, on the PATH the Action sets, and it builds
    // the sample report.
    let (code, stdout, stderr) = install(&base, "0.1.0", &into, &github_path);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let dir = into.join("v0.1.0");
    assert_eq!(stdout.lines().last(), Some(dir.to_str().unwrap()));
    assert!(stderr.contains("migcov 0.1.0"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&github_path).unwrap().trim(),
        dir.to_str().unwrap()
    );
    let site = home.path().join("site");
    build_sample(&dir.join("migcov"), &site, &[]);
    assert!(site.join("index.html").is_file());
    // A second run reuses the installed version (what the Action's cache keeps).
    let (code, _, stderr) = install(&base, "v0.1.0", &into, &github_path);
    assert_eq!(code, 0);
    assert!(stderr.contains("already installed"), "{stderr}");

    // A published checksum that does not match: refused, nothing installed.
    let (code, _, stderr) = install(&base, "0.2.0", &into, &github_path);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(!into.join("v0.2.0/migcov").exists());

    // A version with no release: a clear error naming the URL.
    let (code, _, stderr) = install(&base, "9.9.9", &into, &github_path);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("no release archive at") && stderr.contains("/download/v9.9.9/"),
        "{stderr}"
    );
    assert!(!into.join("v9.9.9").exists());
}

/// The Action's outputs from a build's `--json` result: the gate, the headline's coverage
/// (empty when not measured) and the success rate, as the summary states them.
#[test]
fn the_action_outputs_are_the_results_figures() {
    let work = tempfile::tempdir().unwrap();
    let result = work.path().join("result.json");
    build_sample(
        Path::new(env!("CARGO_BIN_EXE_migcov")),
        &work.path().join("site"),
        &["--json".as_ref(), result.as_os_str()],
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action_outputs.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&result)
        .output()
        .expect("python3 runs the Action's outputs script: apt-get install -y python3");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    // The bundled sample: 17,410 of 20,179 legacy records in scope migrated, success rate
    // 0.96775 (site/api/coverage/summary.json), gate failed on its error findings.
    assert_eq!(
        text,
        "gate-passed=false\ncoverage=0.862778\nsuccess-rate=0.967749\n"
    );

    // Not measured: empty, never 0.
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&result).unwrap()).unwrap();
    json["unlinked"] = serde_json::json!({"tables": 2, "rows": 5});
    std::fs::write(&result, json.to_string()).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .arg(&result)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("coverage=\n"), "{text}");
}

/// The GitLab template's job as a runner would run it: its variables (the releases and the
/// install script served locally), `before_script` and `script` in `sh`, in a project with
/// a data folder, no Rust toolchain on the PATH. The artifacts it names are written.
#[test]
fn the_gitlab_template_installs_and_builds_without_a_toolchain() {
    let releases = tempfile::tempdir().unwrap();
    release(releases.path(), "0.1.0", None);
    let base = serve(releases.path().to_path_buf());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let template: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(manifest.join("ci/migcov.gitlab-ci.yml")).unwrap(),
    )
    .unwrap();
    let job = &template[".migcov"];
    let project = tempfile::tempdir().unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(manifest.join("data"))
        .arg(project.path().join("data"))
        .status()
        .unwrap();
    assert!(copied.success());
    let mut cmd = Command::new("sh");
    cmd.current_dir(project.path())
        // A runner's PATH: system tools, no cargo.
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", project.path())
        .env("CI_PROJECT_DIR", project.path());
    for (key, value) in job["variables"].as_mapping().unwrap() {
        let value = value
            .as_str()
            .unwrap()
            .replace("$CI_PROJECT_DIR", project.path().to_str().unwrap());
        cmd.env(key.as_str().unwrap(), value);
    }
    cmd.env("MIGCOV_VERSION", "0.1.0")
        .env("MIGCOV_BASE_URL", &base)
        .env(
            "MIGCOV_INSTALL_SCRIPT",
            format!("file://{}", manifest.join("scripts/install.sh").display()),
        )
        .env("MIGCOV_ARGS", "--exit-zero --report-date 2026-11-24");
    let lines: Vec<&str> = ["before_script", "script"]
        .iter()
        .flat_map(|k| job[*k].as_sequence().unwrap())
        .map(|l| l.as_str().unwrap())
        .collect();
    let out = cmd.arg("-ec").arg(lines.join("\n")).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for artifact in ["site/index.html", "summary.md", "result.json", "junit.xml"] {
        assert!(project.path().join(artifact).is_file(), "{artifact}");
    }
    assert!(project.path().join(".migcov/v0.1.0/migcov").is_file());
}
