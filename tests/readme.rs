//! The documentation against the program and itself. The help texts (docs/commands.md) and
//! the rule table (docs/rules.md) are generated from the code; every relative link and
//! anchor in README.md, CHANGELOG.md and docs/*.md must resolve; and the README keeps the
//! two set-up commands, the second of which is exactly what `.ci/run` runs. These tests fail
//! when any of them drift apart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The README's two set-up commands, as written there (without their comments).
const BUILD_COMMAND: &str = "cargo run --release -- build --exit-zero --out target/site";
const TEST_COMMAND: &str = "scripts/test";

/// Each generated section and the file it lives in.
const SECTIONS: [(&str, &str); 5] = [
    ("help:build", "docs/commands.md"),
    ("help:validate", "docs/commands.md"),
    ("help:generate", "docs/commands.md"),
    ("help:collect", "docs/commands.md"),
    ("rules", "docs/rules.md"),
];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn root() -> PathBuf {
    PathBuf::from(ROOT)
}

/// README.md, CHANGELOG.md and every Markdown file of docs/.
fn documentation() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("CHANGELOG.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The text between `<!-- name -->` and `<!-- /name -->` in `file`.
fn section(file: &str, name: &str) -> String {
    let text = read(&root().join(file));
    let open = format!("<!-- {name} -->\n");
    let close = format!("<!-- /{name} -->");
    assert_eq!(text.matches(&open).count(), 1, "{file}: one {open:?}");
    let start = text.find(&open).unwrap() + open.len();
    let end = start
        + text[start..]
            .find(&close)
            .unwrap_or_else(|| panic!("{file}: no {close:?}"));
    text[start..end].to_string()
}

fn help(command: &str) -> String {
    let output = Command::cargo_bin("migcov")
        .unwrap()
        .args([command, "--help"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn build_help_matches_the_docs() {
    assert_eq!(
        section("docs/commands.md", "help:build"),
        format!("```text\n{}```\n", help("build"))
    );
}

#[test]
fn validate_help_matches_the_docs() {
    assert_eq!(
        section("docs/commands.md", "help:validate"),
        format!("```text\n{}```\n", help("validate"))
    );
}

#[test]
fn generate_help_matches_the_docs() {
    assert_eq!(
        section("docs/commands.md", "help:generate"),
        format!("```text\n{}```\n", help("generate"))
    );
}

#[test]
fn collect_help_matches_the_docs() {
    assert_eq!(
        section("docs/commands.md", "help:collect"),
        format!("```text\n{}```\n", help("collect"))
    );
}

#[test]
fn rule_table_matches_the_registry() {
    let mut table = String::from("| id | severity | checks that |\n|---|---|---|\n");
    for rule in migcov::validate::RULES {
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            rule.id,
            rule.severity.as_str(),
            rule.summary
        ));
    }
    assert_eq!(section("docs/rules.md", "rules"), table);
}

/// A generated section (its opening marker alone on a line) lives in one file only, so no
/// stale copy is left behind.
#[test]
fn each_generated_section_lives_in_one_place() {
    for (name, home) in SECTIONS {
        let marker = format!("<!-- {name} -->");
        let found: Vec<PathBuf> = documentation()
            .into_iter()
            .filter(|file| read(file).lines().any(|line| line == marker))
            .collect();
        assert_eq!(found, [root().join(home)], "{marker}");
    }
}

/// The text outside fenced code blocks, one entry per line (a fence's lines are empty).
fn outside_fences(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                fenced = !fenced;
                ""
            } else if fenced {
                ""
            } else {
                line
            }
        })
        .collect()
}

/// A paragraph with its code spans left out: a run of backticks up to the next run of as
/// many. An unmatched run is kept as it is.
fn without_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run_at(i);
        let mut j = i + n;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = run_at(j);
                if m == n {
                    close = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(j) => i = j + n,
            None => {
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    out
}

/// The prose of a Markdown file: paragraphs outside code blocks, without code spans.
fn prose(text: &str) -> Vec<String> {
    outside_fences(text)
        .join("\n")
        .split("\n\n")
        .map(without_code_spans)
        .collect()
}

/// GitHub's anchor for a heading: lower case, backticks and punctuation dropped (but `-`
/// and `_`), each space a `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings; a repeated one gets `-1`, `-2`, … as on GitHub.
fn anchors(text: &str) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for line in outside_fences(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let heading = line[hashes..].trim().trim_end_matches('#').trim();
        let base = slug(heading);
        let n = seen.entry(base.clone()).or_insert(0);
        out.push(match *n {
            0 => base.clone(),
            n => format!("{base}-{n}"),
        });
        *n += 1;
    }
    out
}

/// Every link target in a Markdown file: inline links and images (`[text](target)`,
/// `![alt](target)`) and reference definitions (`[label]: target`), outside code.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph in prose(text) {
        let mut rest = paragraph.as_str();
        while let Some(at) = rest.find("](") {
            let target = &rest[at + 2..];
            let end = target
                .find(|c: char| c == ')' || c.is_whitespace())
                .unwrap_or(target.len());
            out.push(target[..end].trim_matches(['<', '>']).to_string());
            rest = &target[end..];
        }
        for line in paragraph.lines() {
            if let Some(definition) = line.trim_start().strip_prefix('[') {
                if let Some((_, target)) = definition.split_once("]:") {
                    if let Some(target) = target.split_whitespace().next() {
                        out.push(target.to_string());
                    }
                }
            }
        }
    }
    out
}

/// A link to another site (`https:`, `mailto:`, …), which this test does not follow.
fn is_external(target: &str) -> bool {
    target.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphabetic())
    })
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let repository = root().canonicalize().unwrap();
    let mut broken = Vec::new();
    for file in documentation() {
        let text = read(&file);
        let name = file.strip_prefix(ROOT).unwrap().display().to_string();
        for target in links(&text) {
            if is_external(&target) {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let resolved = match path {
                "" => file.clone(),
                path => file.parent().unwrap().join(path),
            };
            let Ok(resolved) = resolved.canonicalize() else {
                broken.push(format!("{name}: {target}: no such file"));
                continue;
            };
            if !resolved.starts_with(&repository) {
                broken.push(format!("{name}: {target}: outside the repository"));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            if resolved.extension().is_none_or(|e| e != "md") {
                broken.push(format!(
                    "{name}: {target}: an anchor into a file that is not Markdown"
                ));
            } else if !anchors(&read(&resolved)).iter().any(|a| a == anchor) {
                broken.push(format!("{name}: {target}: no heading has this anchor"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_manual_index_links_every_page() {
    let index = links(&read(&root().join("docs/README.md")));
    for file in documentation() {
        if file.parent() != Some(root().join("docs").as_path()) {
            continue;
        }
        let name = file.file_name().unwrap().to_str().unwrap();
        if name == "README.md" {
            continue;
        }
        assert!(
            index
                .iter()
                .any(|target| target.split('#').next() == Some(name)),
            "docs/README.md does not link {name}"
        );
    }
}

#[test]
fn the_slugs_follow_github() {
    assert_eq!(slug("Set-up: two commands"), "set-up-two-commands");
    assert_eq!(
        slug("Collecting from the databases: `migcov collect`"),
        "collecting-from-the-databases-migcov-collect"
    );
    assert_eq!(slug("`migcov.yaml` (optional)"), "migcovyaml-optional");
    assert_eq!(
        anchors("# A\n\n```\n# not a heading\n```\n## A\n"),
        ["a", "a-1"]
    );
    assert_eq!(
        links("[a](b.md#c) `[x](not-a-link)` ![i](d.png \"title\")\n\n[ref]: e.md\n"),
        ["b.md#c", "d.png", "e.md"]
    );
}

/// The commands of the README's "Set-up: two commands" section, comments left out.
fn set_up_commands() -> Vec<String> {
    let readme = read(&root().join("README.md"));
    let section = readme
        .split_once("\n## Set-up: two commands\n")
        .expect("README.md has a \"Set-up: two commands\" section")
        .1;
    let section = section.split("\n## ").next().unwrap();
    let block = section
        .split_once("```sh\n")
        .expect("the set-up section has a sh block")
        .1
        .split("```")
        .next()
        .unwrap();
    block
        .lines()
        .map(|line| line.split(" #").next().unwrap().trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn the_readme_keeps_the_two_set_up_commands() {
    assert_eq!(set_up_commands(), [BUILD_COMMAND, TEST_COMMAND]);
}

#[test]
fn ci_runs_exactly_the_readme_test_command() {
    let run = read(&root().join(".ci/run"));
    let commands: Vec<&str> = run
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let (last, before) = commands.split_last().expect(".ci/run runs something");
    assert_eq!(*last, format!("exec {}", set_up_commands()[1]));
    // Before it, only the shell's own settings: nothing else runs.
    for line in before {
        assert!(
            ["set ", "cd ", "export "]
                .iter()
                .any(|p| line.starts_with(p)),
            ".ci/run runs more than the test command: {line}"
        );
    }
    let script = root().join(TEST_COMMAND);
    assert!(script.is_file(), "{TEST_COMMAND} is missing");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&script).unwrap().permissions().mode();
        assert!(mode & 0o111 != 0, "{TEST_COMMAND} is not executable");
    }
}

/// The performance table is `scripts/perf-table.sh`'s: the same in the README and in
/// docs/performance.md, with the machine it ran on, both data shapes and both formats.
#[test]
fn the_performance_table_is_the_scripts_in_both_places() {
    let table = |file: &str| {
        let text = read(&root().join(file));
        let start = text.find("<!-- perf-table:start -->").expect(file);
        let end = text.find("<!-- perf-table:end -->").expect(file);
        text[start..end].to_string()
    };
    let readme = table("README.md");
    assert_eq!(readme, table("docs/performance.md"));
    assert!(readme.contains("by `scripts/perf-table.sh"), "{readme}");
    assert!(readme.contains(" cores (") && readme.contains(" GiB, migcov at "));
    for row in [
        "| narrow | parquet |",
        "| narrow | csv |",
        "| realistic | parquet |",
        "| realistic | csv |",
    ] {
        assert!(readme.contains(row), "{row}");
    }
}
