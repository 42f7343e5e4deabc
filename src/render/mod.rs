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
/// `text` as a Markdown code span, shown as it is: fenced by one more backtick than its
/// longest run of them, padded where it starts or ends with one, nothing escaped inside (a
/// code span shows `&lt;` as those four characters, and `\|` as two).
pub fn code_span(text: &str) -> String {
    let text = inert(&text.replace(['\n', '\r'], " "));
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `text` as Markdown prose on one line (outside a table): markup characters escaped, `&`
/// and `<` as entities (a title's `&amp;` shows as written). An underscore inside a word is
/// no markup in GitHub's Markdown and stays as it is.
pub fn markdown_text(text: &str) -> String {
    inert(
        &text
            .replace('\\', "\\\\")
            .replace('&', "&amp;")
            .replace('*', "\\*")
            .replace('`', "\\`")
            .replace('[', "\\[")
            .replace('<', "&lt;")
            .replace(['\n', '\r'], " "),
    )
}

/// The marks that reorder text around them (embeddings, overrides, isolates): a
/// right-to-left override makes `gpj.exe` read `exe.jpg`.
pub fn reorders(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character that acts rather than shows written as its escape
/// (`\u{1b}`): control characters (a terminal's escape sequences: `ESC [8m` hid the rest of
/// a diff printed to a terminal), and the marks that reorder text (a right-to-left override
/// makes `gpj.exe` read `exe.jpg`; the one-character marks LRM and RLM, which right-to-left
/// text uses, are kept). Found by an independent check: names from the data
/// reached `diff`'s output and the Markdown summary as they were.
pub fn inert(text: &str) -> String {
    escaped_where(text, |c| {
        (c.is_control() && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}') || reorders(c)
    })
    .into_owned()
}

/// `text` with each character `acts` picks written as its escape (`\u{202e}`).
pub fn escaped_where(text: &str, acts: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    match text.chars().any(&acts) {
        false => std::borrow::Cow::Borrowed(text),
        true => text
            .chars()
            .map(|c| match acts(c) {
                true => c.escape_unicode().to_string(),
                false => c.to_string(),
            })
            .collect(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by an independent check: names in code spans were HTML-escaped (GitHub shows
    /// `&lt;` there as written) and a backtick in one ended its span.
    #[test]
    fn code_spans_show_names_as_they_are() {
        assert_eq!(code_span("a<b&c|d"), "`a<b&c|d`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x``"), "``` `x`` ```");
        assert_eq!(code_span("two\nlines"), "`two lines`");
    }

    #[test]
    fn prose_escapes_markup_and_entities() {
        assert_eq!(
            markdown_text("A &amp; B <i>*x*</i> [l](u) `c`"),
            "A &amp;amp; B &lt;i>\\*x\\*&lt;/i> \\[l](u) \\`c\\`"
        );
        assert_eq!(markdown_text("dispatch_note"), "dispatch_note");
    }
}
