//! The README's help text and rule table are generated from the code; these tests fail
//! when they drift apart.

use assert_cmd::Command;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The text between `<!-- name -->` and `<!-- /name -->`.
fn section(name: &str) -> String {
    let text = readme();
    let start = text
        .find(&format!("<!-- {name} -->\n"))
        .expect("start marker")
        + name.len()
        + 10;
    let end = text.find(&format!("<!-- /{name} -->")).expect("end marker");
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
fn build_help_matches_the_readme() {
    assert_eq!(
        section("help:build"),
        format!("```text\n{}```\n", help("build"))
    );
}

#[test]
fn validate_help_matches_the_readme() {
    assert_eq!(
        section("help:validate"),
        format!("```text\n{}```\n", help("validate"))
    );
}

#[test]
fn generate_help_matches_the_readme() {
    assert_eq!(
        section("help:generate"),
        format!("```text\n{}```\n", help("generate"))
    );
}

#[test]
fn collect_help_matches_the_readme() {
    assert_eq!(
        section("help:collect"),
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
    assert_eq!(section("rules"), table);
}
