//! `migcov.yaml`: the optional per-project settings that live in the data folder.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Settings read from `migcov.yaml`; every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectConfig {
    /// Shown as the report's title.
    pub title: String,
    /// A folder of migration scripts (`*.ts`) to reconcile against the manifests, relative
    /// to the data folder. `--scripts-dir` overrides it.
    pub scripts_dir: Option<PathBuf>,
    /// Glob patterns (relative to the scripts folder) of files and folders to leave out,
    /// on top of `node_modules` and `.git`.
    pub exclude: Vec<String>,
    pub thresholds: Thresholds,
    /// Largest allowed gap between a manifest's `success_rate` and the one its metrics give.
    pub success_rate_tolerance: f64,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        ProjectConfig {
            title: "Migration coverage".to_string(),
            scripts_dir: None,
            exclude: Vec::new(),
            thresholds: Thresholds::default(),
            success_rate_tolerance: 0.005,
        }
    }
}

/// Colour bands for rates, like genhtml's: at or above `high` is high, at or above `medium`
/// is medium, below is low.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub high: f64,
    pub medium: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            high: 0.9,
            medium: 0.75,
        }
    }
}

/// The band a rate falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    High,
    Medium,
    Low,
    None,
}

impl Thresholds {
    pub fn band(&self, rate: Option<f64>) -> Band {
        match rate {
            None => Band::None,
            Some(r) if r >= self.high => Band::High,
            Some(r) if r >= self.medium => Band::Medium,
            Some(_) => Band::Low,
        }
    }
}
