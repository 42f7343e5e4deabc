//! The help texts (docs/commands.md) and the rule table (docs/rules.md) are generated from
//! the code; these tests fail when they drift apart.

use assert_cmd::Command;

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The text between `<!-- name -->` and `<!-- /name -->` in `file`.
fn section(file: &str, name: &str) -> String {
    let text = read(file);
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
