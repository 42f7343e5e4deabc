//! `--summary-md FILE`: a short Markdown summary for `$GITHUB_STEP_SUMMARY` or a
//! merge-request comment — headline figures, the gate, failing rules, a link to the site.

use crate::model::Severity;
use crate::report::Report;

use super::html::{format_count, format_percent_beside, rate_bounds};
use super::markdown_table;

/// Escapes the characters that would break a Markdown table cell or add markup; `&` as an
/// entity, so a title's `&amp;` shows as written.
fn cell(text: &str) -> String {
    // `[`, `]`, `!` and `~` too: a title of `[click](https://…)` or `![px](…)` was a live
    // link and a remote image in the step summary (found by an independent check).
    super::inert(
        &text
            .replace('\\', "\\\\")
            .replace('&', "&amp;")
            .replace('|', "\\|")
            .replace('*', "\\*")
            .replace('_', "\\_")
            .replace('`', "\\`")
            .replace('[', "\\[")
            .replace(']', "\\]")
            .replace('!', "\\!")
            .replace('~', "\\~")
            .replace('<', "&lt;")
            .replace(['\n', '\r'], " "),
    )
}

/// A link destination Markdown reads whole: spaces, parentheses and angle brackets (in a
/// path such as `reports/run (1)/index.html`) percent-encoded.
fn link_target(link: &str) -> String {
    let mut out = String::with_capacity(link.len());
    for c in link.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report, site_link: &str) -> String {
    let s = &report.summary;
    let f = &report.finding_counts;
    let mut out = format!(
        "## {} — {}\n\n",
        cell(&report.meta.title),
        report.meta.report_date
    );
    if report.verdict.passed {
        out.push_str("**Gate: ✅ passed**\n\n");
    } else {
        out.push_str("**Gate: ❌ failed**\n\n");
        for reason in &report.verdict.reasons {
            out.push_str(&format!("- {}\n", cell(reason)));
        }
        out.push('\n');
    }
    // Each rate said beside the report's bands and gate, as the pages say it.
    let bounds = rate_bounds(report);
    let pct = |rate: Option<f64>| format_percent_beside(rate, &bounds);
    let records = match &report.unlinked {
        Some(u) => format!(
            "not measured: no legacy table is linked to an entity or a script ({} legacy {} in {} {})",
            format_count(u.rows),
            super::noun(u.rows.unsigned_abs(), "row", "rows"),
            format_count(u.tables as i64),
            super::noun(u.tables, "table", "tables"),
        ),
        None => format!(
            "{} ({} of {})",
            pct(report.coverage()),
            format_count(s.migrated_records),
            format_count(s.total_records)
        ),
    };
    out.push_str(&markdown_table(
        [("Figure", false), ("Value", false)],
        [
            ["Records migrated".into(), records],
            ["Overall success rate".into(), pct(s.overall_success_rate)],
            [
                "Rows intact".into(),
                match (
                    report.content.totals.entities,
                    report.content.not_checked.len(),
                ) {
                    (0, 0) => "values not checked (no content: declaration)".into(),
                    (0, n) => format!(
                        "values not checked ({n} content: {} could not be checked)",
                        crate::render::noun(n as u64, "declaration", "declarations")
                    ),
                    (_, _) => format!(
                        "{} ({} of {} compared)",
                        pct(report.content.totals.intact_rate),
                        format_count(report.content.totals.intact as i64),
                        format_count(report.content.totals.compared as i64)
                    ),
                },
            ],
            [
                "Scripts complete".into(),
                format!("{} / {}", s.completed_scripts, s.total_scripts),
            ],
            [
                "Findings".into(),
                match f.waived {
                    0 => format!(
                        "{} errors · {} warnings · {} info",
                        f.error, f.warning, f.info
                    ),
                    waived => format!(
                        "{} errors · {} warnings · {} info ({waived} waived: they fail no gate)",
                        f.error, f.warning, f.info
                    ),
                },
            ],
        ],
    ));
    out.push('\n');
    out.push_str(&markdown_table(
        [
            ("Domain", false),
            ("Coverage", false),
            ("Migrated", true),
            ("Total", true),
        ],
        report.domains.iter().map(|d| {
            [
                d.name.to_string(),
                pct(d.coverage_percentage),
                format_count(d.migrated_records),
                format_count(d.total_records),
            ]
        }),
    ));
    let failing: Vec<_> = report
        .rule_counts
        .iter()
        .filter(|(_, c)| c.severity >= Severity::Warning)
        .map(|(rule, c)| {
            [
                format!("`{}`", rule.as_str()),
                // A waived finding does not fail the gate: said, beside a passed gate.
                match c.waived {
                    0 => c.severity.as_str().to_string(),
                    w if w == c.findings => format!("{} (waived)", c.severity.as_str()),
                    w => format!("{} ({w} waived)", c.severity.as_str()),
                },
                c.findings.to_string(),
                format_count(c.violations as i64),
            ]
        })
        .collect();
    if !failing.is_empty() {
        out.push_str("\n### Failing rules\n\n");
        out.push_str(&markdown_table(
            [
                ("Rule", false),
                ("Severity", false),
                ("Findings", true),
                ("Violations", true),
            ],
            failing,
        ));
    }
    out.push_str(&format!("\n[Full report]({})\n", link_target(site_link)));
    super::sanitize::xml_text(&out).into_owned()
}
