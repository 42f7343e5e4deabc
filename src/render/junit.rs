//! `--junit FILE`: JUnit XML as GitLab, Jenkins and GitHub test-report actions read it. A
//! `gate` suite comes first (one case per threshold in force), then one suite per rule
//! family with one test case per rule, named by its id whether it passes or fails, so a CI
//! system's history follows each rule; its findings (one per subject) are in the body. A
//! rule with a finding that fails the gate is a failure carrying the counts and subjects;
//! one with only warnings, info or waived findings is `skipped` with that message, visible
//! without failing. No timestamps, so the file is as reproducible as the site.
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::RenderError;
use crate::report::Report;
use crate::validate::{Family, Finding, Verdict, RULES};

const FAMILIES: [Family; 5] = [
    Family::Coverage,
    Family::Integrity,
    Family::Missing,
    Family::Reconcile,
    Family::Load,
];

/// One test case per rule, named by its id whether it passes or fails, so a CI system's
/// history follows a rule from run to run; its findings (one per subject) are in the body.
struct Case<'a> {
    name: String,
    findings: Vec<&'a Finding>,
    /// Violating rows over its findings.
    violations: u64,
    /// Switched off (`--severity RULE=off`): not checked, so skipped, never passing.
    off: bool,
}

impl Case<'_> {
    fn failing(&self) -> bool {
        self.findings.iter().any(|f| f.fails_gate())
    }

    /// "2 findings, 7 violating rows: table: dispatch_office; table: dispatch_fax".
    fn summary(&self) -> String {
        let violations = self.violations;
        let subjects: Vec<String> = self
            .findings
            .iter()
            .take(5)
            .map(|f| format!("{}: {}", f.subject.kind, f.subject.name))
            .collect();
        let more = self.findings.len().saturating_sub(5);
        let findings = self.findings.len() as u64;
        format!(
            "{findings} {}, {violations} violating {}: {}{}",
            super::noun(findings, "finding", "findings"),
            super::noun(violations, "row", "rows"),
            subjects.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        )
    }

    fn details(&self) -> String {
        self.findings
            .iter()
            .map(|f| {
                let label = if f.waiver.is_some() {
                    "waived"
                } else {
                    f.severity.as_str()
                };
                format!(
                    "[{label}] {}: {}\n{}",
                    f.subject.kind,
                    f.subject.name,
                    detail(f)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn detail(finding: &Finding) -> String {
    let mut text = format!(
        "{}\n{} violating rows; {} samples shown in the report\n",
        finding.message,
        finding.count,
        finding.samples.len()
    );
    for sample in &finding.samples {
        let row = sample.row.map(|r| format!(" row {r}")).unwrap_or_default();
        let fields: Vec<String> = sample
            .fields
            .iter()
            .map(|f| format!("{}={}", f.name, f.value))
            .collect();
        text.push_str(&format!("  {}{row}: {}\n", sample.file, fields.join(", ")));
    }
    text
}

type Xml = Writer<Vec<u8>>;

/// One suite per rule family, one case per rule.
fn suites(report: &Report) -> Vec<(Family, Vec<Case<'_>>)> {
    FAMILIES
        .iter()
        .map(|&family| {
            let cases = RULES
                .iter()
                .filter(|r| r.family == family)
                .map(|rule| Case {
                    name: rule.id.to_string(),
                    findings: report
                        .findings
                        .iter()
                        .filter(|f| f.rule == rule.id)
                        .collect(),
                    violations: report
                        .rule_counts
                        .get(&rule.code)
                        .map_or(0, |c| c.violations),
                    off: report
                        .verdict
                        .severity
                        .as_ref()
                        .and_then(|set| set.get(rule.id))
                        == Some(&crate::model::config::SeverityOverride::Off),
                })
                .collect();
            (family, cases)
        })
        .collect()
}

/// The gate's thresholds as cases, so a gate that fails on a threshold alone is a failing
/// test a CI page shows (its reason as the message): name and, when it failed, why.
fn gate_cases(verdict: &Verdict) -> Vec<(String, Option<String>)> {
    verdict
        .thresholds
        .iter()
        .map(|t| {
            let failed = verdict.failed_thresholds.contains(&t.name);
            let reason = failed.then(|| {
                verdict
                    .reasons
                    .iter()
                    .find(|r| r.contains(&t.source))
                    .cloned()
                    .unwrap_or_else(|| format!("{} missed", t.name))
            });
            (format!("gate.{} [{}]", t.name, t.source), reason)
        })
        .collect()
}

/// The `gate` suite: the version and thresholds as properties, a case per threshold.
fn write_gate_suite(
    w: &mut Xml,
    report: &Report,
    cases: &[(String, Option<String>)],
) -> std::io::Result<()> {
    let verdict = &report.verdict;
    let failures = cases.iter().filter(|(_, r)| r.is_some()).count();
    w.create_element("testsuite")
        .with_attribute(("name", "gate"))
        .with_attribute(("tests", cases.len().to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", "0"))
        .write_inner_content(|w| {
            w.create_element("properties").write_inner_content(|w| {
                w.create_element("property")
                    .with_attribute(("name", "migcov.version"))
                    .with_attribute(("value", report.meta.version.as_str()))
                    .write_empty()?;
                w.create_element("property")
                    .with_attribute(("name", "gate.passed"))
                    .with_attribute(("value", verdict.passed.to_string().as_str()))
                    .write_empty()?;
                for t in &verdict.thresholds {
                    w.create_element("property")
                        .with_attribute(("name", format!("gate.{}", t.name).as_str()))
                        .with_attribute(("value", format!("{} ({})", t.value, t.source).as_str()))
                        .write_empty()?;
                }
                Ok(())
            })?;
            for (name, reason) in cases {
                let element = w
                    .create_element("testcase")
                    .with_attribute(("classname", "migcov.gate"))
                    .with_attribute(("name", name.as_str()));
                match reason {
                    None => {
                        element.write_empty()?;
                    }
                    Some(reason) => {
                        element.write_inner_content(|w| {
                            w.create_element("failure")
                                .with_attribute(("type", "gate"))
                                .with_attribute(("message", reason.as_str()))
                                .write_text_content(BytesText::new(reason))?;
                            Ok(())
                        })?;
                    }
                }
            }
            Ok(())
        })?;
    Ok(())
}

/// One family's suite: a case per rule, failing, skipped (findings that do not fail the
/// gate) or passing.
fn write_family_suite(w: &mut Xml, family: Family, cases: &[Case]) -> std::io::Result<()> {
    let failures = cases.iter().filter(|c| c.failing()).count();
    let skipped = cases
        .iter()
        .filter(|c| c.off || (!c.findings.is_empty() && !c.failing()))
        .count();
    w.create_element("testsuite")
        .with_attribute(("name", family.as_str()))
        .with_attribute(("tests", cases.len().to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", skipped.to_string().as_str()))
        .write_inner_content(|w| {
            for case in cases {
                let element = w
                    .create_element("testcase")
                    .with_attribute(("classname", format!("migcov.{}", family.as_str()).as_str()))
                    .with_attribute(("name", case.name.as_str()));
                if case.off {
                    element.write_inner_content(|w| {
                        w.create_element("skipped")
                            .with_attribute(("message", "switched off (severity off): not checked"))
                            .write_empty()?;
                        Ok(())
                    })?;
                } else if case.findings.is_empty() {
                    element.write_empty()?;
                } else if case.failing() {
                    element.write_inner_content(|w| {
                        w.create_element("failure")
                            .with_attribute(("type", "error"))
                            .with_attribute(("message", case.summary().as_str()))
                            .write_text_content(BytesText::new(&case.details()))?;
                        Ok(())
                    })?;
                } else {
                    // Warnings, info and waived findings do not fail the gate; `skipped`
                    // with the message keeps them visible.
                    element.write_inner_content(|w| {
                        w.create_element("skipped")
                            .with_attribute(("message", case.summary().as_str()))
                            .write_empty()?;
                        w.create_element("system-out")
                            .write_text_content(BytesText::new(&case.details()))?;
                        Ok(())
                    })?;
                }
            }
            Ok(())
        })?;
    Ok(())
}

pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let to_err = |e: std::io::Error| RenderError::Encode {
        what: "JUnit XML".into(),
        message: e.to_string(),
    };
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(to_err)?;
    let suites = suites(report);
    let gate_cases = gate_cases(&report.verdict);
    let gate_failures = gate_cases.iter().filter(|(_, r)| r.is_some()).count();
    let total: usize = suites.iter().map(|(_, c)| c.len()).sum::<usize>() + gate_cases.len();
    let failures: usize = suites
        .iter()
        .map(|(_, c)| c.iter().filter(|c| c.failing()).count())
        .sum::<usize>()
        + gate_failures;
    writer
        .create_element("testsuites")
        .with_attribute(("name", format!("migcov {}", report.meta.title).as_str()))
        .with_attribute(("tests", total.to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .write_inner_content(|w| {
            write_gate_suite(w, report, &gate_cases)?;
            for (family, cases) in &suites {
                write_family_suite(w, *family, cases)?;
            }
            Ok(())
        })
        .map_err(to_err)?;
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    Ok(super::sanitize::xml_bytes(bytes))
}
