//! Stage 5, render: turns the report into a [`Site`] in memory — HTML pages with SVG
//! charts, the static assets and the `api/` JSON files. Nothing is written to disk here;
//! `output` does that, atomically.

pub mod assets;
pub mod badges;
pub mod charts;
pub mod failures;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod pages;
pub mod sanitize;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::output::{OutputError, Site};
use crate::report::{Archived, Report};

#[derive(Debug, Error)]
pub enum RenderError {
    #[error("{path}: {message}")]
    Templates { path: PathBuf, message: String },
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("{what}: {message}")]
    Encode { what: String, message: String },
    #[error(transparent)]
    Output(#[from] OutputError),
}

pub use crate::model::noun;

/// A Markdown table of `rows` under `columns` (each a heading and whether it is right-aligned).
pub fn markdown_table<const N: usize>(
    columns: [(&str, bool); N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> String {
    let headings = columns.map(|(heading, _)| heading);
    let aligns = columns.map(|(_, right)| if right { "---:" } else { "---" });
    let mut out = format!("| {} |\n|{}|\n", headings.join(" | "), aligns.join("|"));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// Renders the whole site; with `contexts`, each page's template context goes there as JSON
/// too (`--dump-context`).
pub fn render(
    report: &Report,
    templates: Option<&Path>,
    archived: Option<&Archived>,
    contexts: Option<&mut Site>,
) -> Result<Site, RenderError> {
    let mut site = Site::default();
    html::render(report, templates, archived, &mut site, contexts)?;
    json::render(report, &mut site)?;
    badges::render(report, &mut site)?;
    Ok(site)
}
