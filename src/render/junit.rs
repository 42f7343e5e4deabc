//! `--junit FILE`: JUnit XML as GitLab, Jenkins and GitHub test-report actions read it. One
//! test suite per rule family, one test case per rule (passing) or per rule and subject
//! (with findings). Error findings are failures carrying the message and the counts;
//! warnings, info and waived findings are `skipped` with the message, so a CI page shows
//! them without failing. A `gate` suite comes first: one case per threshold in force. No timestamps, so
//! the file is as reproducible as the site.

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::RenderError;
use crate::report::Report;
use crate::validate::{Family, Finding, RULES};

const FAMILIES: [Family; 5] = [
    Family::Coverage,
    Family::Integrity,
    Family::Missing,
    Family::Reconcile,
    Family::Load,
];

struct Case<'a> {
    name: String,
    finding: Option<&'a Finding>,
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

pub fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let to_err = |e: std::io::Error| RenderError::Encode {
        what: "JUnit XML".into(),
        message: e.to_string(),
    };
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(to_err)?;
    let suites: Vec<(Family, Vec<Case>)> = FAMILIES
        .iter()
        .map(|&family| {
            let mut cases = Vec::new();
            for rule in RULES.iter().filter(|r| r.family == family) {
                let found: Vec<&Finding> = report
                    .findings
                    .iter()
                    .filter(|f| f.rule == rule.id)
                    .collect();
                if found.is_empty() {
                    cases.push(Case {
                        name: rule.id.to_string(),
                        finding: None,
                    });
                }
                for finding in found {
                    cases.push(Case {
                        name: format!(
                            "{} [{}: {}]",
                            rule.id, finding.subject.kind, finding.subject.name
                        ),
                        finding: Some(finding),
                    });
                }
            }
            (family, cases)
        })
        .collect();
    let failing = |c: &Case| c.finding.is_some_and(|f| f.fails_gate());
    // The gate's thresholds are cases too, so a gate that fails on a threshold alone is a
    // failing test a CI page shows (its reason as the message).
    let verdict = &report.verdict;
    let gate_cases: Vec<(String, Option<String>)> = verdict
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
        .collect();
    let gate_failures = gate_cases.iter().filter(|(_, r)| r.is_some()).count();
    let total: usize = suites.iter().map(|(_, c)| c.len()).sum::<usize>() + gate_cases.len();
    let failures: usize = suites
        .iter()
        .map(|(_, c)| c.iter().filter(|c| failing(c)).count())
        .sum::<usize>()
        + gate_failures;
    writer
        .create_element("testsuites")
        .with_attribute(("name", format!("migcov {}", report.meta.title).as_str()))
        .with_attribute(("tests", total.to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .write_inner_content(|w| {
            w.create_element("testsuite")
                .with_attribute(("name", "gate"))
                .with_attribute(("tests", gate_cases.len().to_string().as_str()))
                .with_attribute(("failures", gate_failures.to_string().as_str()))
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
                                .with_attribute((
                                    "value",
                                    format!("{} ({})", t.value, t.source).as_str(),
                                ))
                                .write_empty()?;
                        }
                        Ok(())
                    })?;
                    for (name, reason) in &gate_cases {
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
            for (family, cases) in &suites {
                let suite_failures = cases.iter().filter(|c| failing(c)).count();
                let suite_skipped = cases
                    .iter()
                    .filter(|c| c.finding.is_some() && !failing(c))
                    .count();
                w.create_element("testsuite")
                    .with_attribute(("name", family.as_str()))
                    .with_attribute(("tests", cases.len().to_string().as_str()))
                    .with_attribute(("failures", suite_failures.to_string().as_str()))
                    .with_attribute(("errors", "0"))
                    .with_attribute(("skipped", suite_skipped.to_string().as_str()))
                    .write_inner_content(|w| {
                        for case in cases {
                            let element = w
                                .create_element("testcase")
                                .with_attribute((
                                    "classname",
                                    format!("migcov.{}", family.as_str()).as_str(),
                                ))
                                .with_attribute(("name", case.name.as_str()));
                            match case.finding {
                                None => {
                                    element.write_empty()?;
                                }
                                Some(finding) if finding.fails_gate() => {
                                    element.write_inner_content(|w| {
                                        w.create_element("failure")
                                            .with_attribute(("type", finding.severity.as_str()))
                                            .with_attribute((
                                                "message",
                                                format!(
                                                    "{} ({} violations)",
                                                    finding.message, finding.count
                                                )
                                                .as_str(),
                                            ))
                                            .write_text_content(BytesText::new(&detail(finding)))?;
                                        Ok(())
                                    })?;
                                }
                                Some(finding) => {
                                    // Warnings, info and waived findings do not fail the
                                    // gate; `skipped` with the message keeps them visible.
                                    let label = if finding.waiver.is_some() {
                                        "waived"
                                    } else {
                                        finding.severity.as_str()
                                    };
                                    element.write_inner_content(|w| {
                                        w.create_element("skipped")
                                            .with_attribute((
                                                "message",
                                                format!("{label}: {}", finding.message).as_str(),
                                            ))
                                            .write_empty()?;
                                        w.create_element("system-out").write_text_content(
                                            BytesText::new(&format!(
                                                "{label}: {}",
                                                detail(finding)
                                            )),
                                        )?;
                                        Ok(())
                                    })?;
                                }
                            }
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })
        .map_err(to_err)?;
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    Ok(super::sanitize::xml_bytes(bytes))
}
