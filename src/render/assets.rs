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
    let mut written = 0;
    for (name, text) in TEMPLATES.iter().chain(ASSETS) {
        let name = name.trim_start_matches("assets/");
        let path = dir.join(name);
        if path.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{}: already exists; not overwritten", path.display()),
            ));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        written += 1;
    }
    Ok(written)
}
