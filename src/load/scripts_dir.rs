//! Walks a repository of migration scripts (`*.ts`) so every script on disk can be
//! reconciled against the manifests.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use super::LoadError;

/// Folders never searched for scripts.
const ALWAYS_SKIPPED: &[&str] = &["node_modules", ".git"];

/// The `*.ts` files found in a scripts folder, as sorted relative paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptsOnDisk {
    /// The folder's own name, for display.
    pub root_name: String,
    pub files: Vec<PathBuf>,
}

fn exclusions(root: &Path, patterns: &[String]) -> Result<GlobSet, LoadError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|e| LoadError::Manifest {
            path: PathBuf::from("migcov.yaml"),
            item: None,
            message: format!("exclude pattern {pattern:?} for {}: {e}", root.display()),
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|e| LoadError::Manifest {
        path: PathBuf::from("migcov.yaml"),
        item: None,
        message: e.to_string(),
    })
}

pub fn walk(root: &Path, exclude: &[String]) -> Result<ScriptsOnDisk, LoadError> {
    if !root.is_dir() {
        return Err(LoadError::NoScriptsDir {
            path: root.to_path_buf(),
        });
    }
    let excluded = exclusions(root, exclude)?;
    let mut files = Vec::new();
    let walker = WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let name = entry.file_name().to_string_lossy();
            entry.depth() == 0
                || !(ALWAYS_SKIPPED.contains(&name.as_ref()) || excluded.is_match(relative))
        });
    for entry in walker {
        let entry = entry.map_err(|e| super::walk_error(root, e))?;
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && name.ends_with(".ts") && !name.ends_with(".d.ts") {
            let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
            files.push(relative.to_path_buf());
        }
    }
    Ok(ScriptsOnDisk {
        root_name: root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| root.display().to_string()),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_node_modules_git_declarations_and_excluded_globs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "office-migration.ts",
            "core/patient-migration.ts",
            "core/types.d.ts",
            "node_modules/lib/index.ts",
            ".git/hooks/x.ts",
            "legacy/old-migration.ts",
            "notes.md",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let found = walk(root, &["legacy".to_string()]).unwrap();
        assert_eq!(
            found.files,
            vec![
                PathBuf::from("core/patient-migration.ts"),
                PathBuf::from("office-migration.ts")
            ]
        );
    }
}
