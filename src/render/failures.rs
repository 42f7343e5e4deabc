//! `--failures-dir`: every violating row of every finding as CSV, one file per finding
//! under a folder per rule, so nothing is capped for the auditor who needs all of it.

use polars::prelude::*;

use super::RenderError;
use crate::model::slugify;
use crate::output::Site;
use crate::validate::Finding;

pub fn render(findings: &[Finding]) -> Result<Site, RenderError> {
    let mut site = Site::default();
    for (index, finding) in findings.iter().enumerate() {
        let Some(rows) = &finding.rows else { continue };
        let mut frame = rows.clone();
        let mut bytes = Vec::new();
        CsvWriter::new(&mut bytes)
            .include_header(true)
            .finish(&mut frame)
            .map_err(|e| RenderError::Encode {
                what: format!("failures CSV for {}", finding.rule),
                message: e.to_string(),
            })?;
        site.add(
            format!(
                "{}/{:04}-{}.csv",
                finding.rule,
                index + 1,
                slugify(&finding.subject.name)
            ),
            bytes,
        )?;
    }
    Ok(site)
}
