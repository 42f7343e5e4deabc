//! `badges/*.svg`: shields-style badges for READMEs and dashboards — overall coverage,
//! success rate and the gate — coloured by the report's thresholds.

use super::RenderError;
use crate::model::config::Band;
use crate::output::Site;
use crate::report::Report;

use super::html::{format_percent_beside, rate_bounds};

fn colour(band: Band) -> &'static str {
    match band {
        Band::High => "#2e7d32",
        Band::Medium => "#b26a00",
        Band::Low => "#c62828",
        Band::None => "#616161",
    }
}

/// Text width in pixels at 11px Verdana, roughly: badges need no exact metrics.
fn width(text: &str) -> usize {
    text.chars().count() * 7 + 10
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

pub fn badge(label: &str, value: &str, colour: &str) -> String {
    let (lw, vw) = (width(label), width(value));
    let total = lw + vw;
    let (label, value) = (escape(label), escape(value));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {value}"><title>{label}: {value}</title><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{vw}" height="20" fill="{colour}"/><g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="{lx}" y="14">{label}</text><text x="{vx}" y="14">{value}</text></g></svg>
"##,
        lx = lw / 2,
        vx = lw + vw / 2,
    )
}

/// One badge, as SVG and as a shields.io endpoint JSON (`schemaVersion: 1`) beside it, so
/// a README can show it through shields.io with its own styles.
fn add(
    site: &mut Site,
    name: &str,
    label: &str,
    value: &str,
    band: Band,
) -> Result<(), RenderError> {
    let colour = colour(band);
    site.add(format!("badges/{name}.svg"), badge(label, value, colour))?;
    let badge = crate::report::doc::Badge {
        schema_version: 1,
        label: label.to_string(),
        message: value.to_string(),
        color: colour.trim_start_matches('#').to_string(),
    };
    site.add(format!("badges/{name}.json"), super::json::pretty(&badge)?)?;
    Ok(())
}

pub fn render(report: &Report, site: &mut Site) -> Result<(), RenderError> {
    let s = &report.summary;
    let bounds = rate_bounds(report);
    let coverage = match report.unlinked {
        Some(_) => "unlinked".to_string(),
        None => format_percent_beside(report.coverage(), &bounds),
    };
    add(site, "coverage", "coverage", &coverage, report.summary_band)?;
    add(
        site,
        "success-rate",
        "success rate",
        &format_percent_beside(s.overall_success_rate, &bounds),
        report.success_band,
    )?;
    let (text, band) = if report.verdict.passed {
        ("passed", Band::High)
    } else {
        ("failed", Band::Low)
    };
    add(site, "gate", "migcov gate", text, band)?;
    Ok(())
}
