//! The `api/` files: the seed's GET endpoints as static JSON, serialised from the typed
//! [`ReportDoc`]. `POST /api/reports/generate` is the build command itself.

use serde::Serialize;

use super::RenderError;
use crate::output::Site;
use crate::report::doc::ReportDoc;
use crate::report::Report;

pub use crate::report::doc::SCHEMA_VERSION;

/// Pretty JSON with a final newline, as every file migcov writes.
pub fn pretty(value: &impl Serialize) -> Result<Vec<u8>, RenderError> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| RenderError::Encode {
        what: "JSON".into(),
        message: e.to_string(),
    })?;
    text.push(b'\n');
    Ok(text)
}

pub fn render(report: &Report, site: &mut Site) -> Result<(), RenderError> {
    let doc = ReportDoc::new(report);
    site.add("api/coverage/summary.json", pretty(&doc.summary)?)?;
    if let Some(ledger) = &doc.ledger {
        site.add("api/ledger.json", pretty(ledger)?)?;
    }
    for file in &doc.validate {
        site.add(
            format!("api/validate/{}.json", file.family.as_str()),
            pretty(file)?,
        )?;
    }
    for (slug, domain, entities) in &doc.domains {
        site.add(format!("api/coverage/domain/{slug}.json"), pretty(domain)?)?;
        site.add(format!("api/entities/{slug}.json"), pretty(entities)?)?;
    }
    site.add("api/scripts.json", pretty(&doc.scripts)?)?;
    site.add("api/validate/content.json", pretty(&doc.content)?)?;
    for metrics in &doc.metrics {
        site.add(
            format!("api/scripts/{}/metrics.json", metrics.script_id),
            pretty(metrics)?,
        )?;
    }
    Ok(())
}
