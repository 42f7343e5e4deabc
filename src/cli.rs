//! The command line: clap types, and the one place raw flags become a checked
//! [`BuildConfig`]. The clock is read here, once, and nowhere else.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::load::LoadOptions;
use crate::report::ReportOptions;
use crate::validate::ValidateOptions;

/// migcov turns the records of a database migration into a static HTML coverage report.
#[derive(Debug, Parser)]
#[command(name = "migcov", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load, validate and render the report into a static site (written atomically).
    Build(BuildArgs),
    /// Write a deterministic synthetic dataset with known injected defects.
    Generate(GenerateArgs),
    /// List every validation rule with its id, severity and summary.
    Rules,
    /// Write the built-in templates and stylesheet to a folder, to start your own from.
    Templates(TemplatesArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The data folder: manifests and exports (see the README's input contract).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// Where the site goes. Replaced as a whole, atomically; a non-empty folder that is not
    /// a migcov site is never replaced.
    #[arg(long, value_name = "DIR", default_value = "site")]
    pub out: PathBuf,
    /// The report date, YYYY-MM-DD. Defaults to SOURCE_DATE_EPOCH when set, else today
    /// (UTC). The same inputs and date give byte-identical output.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub report_date: Option<NaiveDate>,
    /// A folder of templates (and style.css) overriding the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// A folder of migration scripts (*.ts) to reconcile against the manifests. Overrides
    /// scripts_dir in migcov.yaml.
    #[arg(long, value_name = "DIR")]
    pub scripts_dir: Option<PathBuf>,
    /// Most sample rows shown per finding (the counts are always complete).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub samples: usize,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Folder to write the dataset into (created; must be empty or absent).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// How many legacy records the dataset describes, summed over its entities (rounding may
    /// drop a few).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub records: u64,
    /// Seed of the pseudo-random generator; the same seed and size give the same files.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// Folder to write the templates into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| format!("expected a date as YYYY-MM-DD, found {text:?}: {e}"))
}

/// Everything `build` needs, checked.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub load: LoadOptions,
    pub validate: ValidateOptions,
    pub report: ReportOptions,
    pub out: PathBuf,
    pub templates: Option<PathBuf>,
}

/// The report date: the flag, else `SOURCE_DATE_EPOCH`, else today in UTC.
pub fn report_date(flag: Option<NaiveDate>) -> Result<NaiveDate, String> {
    if let Some(date) = flag {
        return Ok(date);
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let seconds: i64 = epoch
            .trim()
            .parse()
            .map_err(|_| format!("SOURCE_DATE_EPOCH: expected whole seconds, found {epoch:?}"))?;
        return chrono::DateTime::from_timestamp(seconds, 0)
            .map(|t| t.date_naive())
            .ok_or_else(|| format!("SOURCE_DATE_EPOCH: {seconds} is out of range"));
    }
    Ok(chrono::Utc::now().date_naive())
}

impl BuildArgs {
    pub fn into_config(self) -> Result<BuildConfig, String> {
        let date = report_date(self.report_date)?;
        Ok(BuildConfig {
            load: LoadOptions {
                data_dir: self.data,
                scripts_dir: self.scripts_dir,
            },
            validate: ValidateOptions {
                samples: self.samples,
            },
            report: ReportOptions {
                report_date: date.format("%Y-%m-%d").to_string(),
            },
            out: self.out,
            templates: self.templates,
        })
    }
}
