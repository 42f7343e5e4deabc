//! Templates and static assets compiled into the binary, so migcov runs anywhere with no
//! files beside it. `migcov templates --out DIR` writes them out as a starting point.

/// Tera templates, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("domain.html", include_str!("../../templates/domain.html")),
    ("scripts.html", include_str!("../../templates/scripts.html")),
    ("script.html", include_str!("../../templates/script.html")),
    (
        "executions.html",
        include_str!("../../templates/executions.html"),
    ),
    (
        "entities.html",
        include_str!("../../templates/entities.html"),
    ),
    (
        "findings.html",
        include_str!("../../templates/findings.html"),
    ),
    ("rule.html", include_str!("../../templates/rule.html")),
    ("content.html", include_str!("../../templates/content.html")),
    (
        "content_entity.html",
        include_str!("../../templates/content_entity.html"),
    ),
    ("missing.html", include_str!("../../templates/missing.html")),
    (
        "reconcile.html",
        include_str!("../../templates/reconcile.html"),
    ),
    ("ledger.html", include_str!("../../templates/ledger.html")),
    (
        "exclusions.html",
        include_str!("../../templates/exclusions.html"),
    ),
    ("archive.html", include_str!("../../templates/archive.html")),
    ("diff.html", include_str!("../../templates/diff.html")),
    ("single.html", include_str!("../../templates/single.html")),
];

/// Static files copied into the site as they are, by path under the site root.
pub const ASSETS: &[(&str, &str)] = &[
    (
        "assets/style.css",
        include_str!("../../templates/assets/style.css"),
    ),
    (
        "assets/table.js",
        include_str!("../../templates/assets/table.js"),
    ),
];

/// Writes every built-in template and asset under `dir` (which must not hold them yet), for
/// `migcov templates`.
pub fn write_defaults(dir: &std::path::Path) -> std::io::Result<usize> {
    let files: Vec<(std::path::PathBuf, &str)> = TEMPLATES
        .iter()
        .chain(ASSETS)
        .map(|(name, text)| (dir.join(name.trim_start_matches("assets/")), *text))
        .collect();
    // Every name checked before one is written: a folder holding one of them is left as
    // it was (it kept the files written before the first that existed; found by an
    // independent check).
    if let Some((path, _)) = files.iter().find(|(path, _)| path.exists()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{}: already exists; nothing written", path.display()),
        ));
    }
    for (path, text) in &files {
        crate::output::write_file(path, text.as_bytes(), crate::output::WriteMode::Replace)
            .map_err(std::io::Error::other)?;
    }
    Ok(files.len())
}
