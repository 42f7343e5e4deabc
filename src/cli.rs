//! The command line: clap types, and the one place raw flags become a checked
//! [`BuildConfig`]. The clock is read here, once, and nowhere else.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::load::LoadOptions;
use crate::model::config::{GateConfig, MinCoverage, SeverityOverride};
use crate::report::ReportOptions;
use crate::validate::{ValidateOptions, RULES};

/// migcov turns the records of a database migration into a static HTML coverage report.
#[derive(Debug, Parser)]
#[command(name = "migcov", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load, validate and render the report into a static site (written atomically), then
    /// apply the gate: exit 1 when it fails (the site is written either way).
    Build(BuildArgs),
    /// Load and run every rule without rendering; print a table of findings and exit 0 when
    /// the gate holds, 1 when it does not.
    Validate(ValidateArgs),
    /// Check a snapshot against its SHA256SUMS: exit 0 only when it is intact.
    Verify(VerifyArgs),
    /// Compare two reports (snapshots, sites or data folders): HTML, Markdown and JSON.
    Diff(DiffArgs),
    /// Read the data folder straight from the legacy and target databases (PostgreSQL,
    /// MySQL/MariaDB, SQLite), written atomically; `--init` writes a starter collect.yaml.
    Collect(CollectArgs),
    /// Write a deterministic synthetic dataset with known injected defects.
    Generate(GenerateArgs),
    /// List every validation rule with its id, severity and summary.
    Rules(RulesArgs),
    /// Explain one rule: what it checks, why, how to fix it, with an example.
    Rule(RuleArgs),
    /// Print the JSON Schema of every JSON file migcov writes (api/, --json, badges).
    Schema,
    /// Write the built-in templates and stylesheet to a folder, to start your own from.
    Templates(TemplatesArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the registry as JSON (id, family, severity, summary, docs, since).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// The rule's id, e.g. missing.mapping.unmapped.
    pub id: String,
}

/// Flags shared by `build` and `validate`: what to read and how to judge it.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The data folder: manifests and exports (see docs/input-contract.md).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// A folder of migration scripts (*.ts) to reconcile against the manifests. Overrides
    /// scripts_dir in migcov.yaml.
    #[arg(long, value_name = "DIR")]
    pub scripts_dir: Option<PathBuf>,
    /// Most sample rows shown per finding (the counts are always complete).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub samples: usize,
    /// Write every violating row of every finding as CSV under DIR/<rule id>/ (replaced as a
    /// whole, atomically).
    #[arg(long, value_name = "DIR")]
    pub failures_dir: Option<PathBuf>,
    /// Fail the gate when the overall success rate is below RATE (0.0-1.0). Overrides
    /// gate.fail_under.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub fail_under: Option<f64>,
    /// Every domain must reach this coverage (0.0-1.0), else rule coverage.domain.threshold
    /// fires. Overrides gate.min_domain_coverage.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub min_domain_coverage: Option<f64>,
    /// Fail the gate when more than N legacy ids have no mapping. Overrides
    /// gate.max_missing_records.
    #[arg(long = "max-missing", value_name = "N")]
    pub max_missing: Option<u64>,
    /// Fail the gate when less than RATE (0.0-1.0) of the compared rows arrived intact, or
    /// when no values were compared. Overrides gate.min_intact_rate.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub min_intact_rate: Option<f64>,
    /// Fail the gate when more than N compared rows differ in a value. Overrides
    /// gate.max_value_mismatches.
    #[arg(long, value_name = "N")]
    pub max_value_mismatches: Option<u64>,
    /// Override a rule's severity: RULE=error|warning|info|off (repeatable). Wins over the
    /// severity section of migcov.yaml.
    #[arg(long, value_name = "RULE=LEVEL", value_parser = parse_severity)]
    pub severity: Vec<(String, SeverityOverride)>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub check: CheckArgs,
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
    /// Also archive the site as <out>/archive/<report-date>/ with provenance.json and
    /// SHA256SUMS. An existing snapshot is never overwritten.
    #[arg(long)]
    pub snapshot: bool,
    /// Write JUnit XML (a gate suite, then one suite per rule family with one case per rule,
    /// its findings in the case).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a Markdown summary, e.g. to $GITHUB_STEP_SUMMARY (appended to); `-` or
    /// /dev/stdout writes it to standard output.
    #[arg(long, value_name = "FILE")]
    pub summary_md: Option<PathBuf>,
    /// Write the machine-readable result (as api/coverage/summary.json, with the gate).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Where the site is published, for the Markdown summary's link (default: the path to
    /// <out>/index.html).
    #[arg(long, value_name = "URL")]
    pub site_url: Option<String>,
    /// Also write the report as one self-contained HTML file (styles and charts inline).
    #[arg(long, value_name = "FILE")]
    pub single_file: Option<PathBuf>,
    /// For template authors: write each page's template context as JSON under DIR, at the
    /// page's path with .json.
    #[arg(long, value_name = "DIR")]
    pub dump_context: Option<PathBuf>,
    /// Exit 0 when the report is written, whatever the gate says (it is still printed and
    /// in every CI file). Without it a failing gate exits 1, as CI wants.
    #[arg(long)]
    pub exit_zero: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The snapshot folder, e.g. site/archive/2026-11-24.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older report: a snapshot or site folder (with api/), or a data folder.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The newer report, likewise.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Folder for diff.html, diff.md and diff.json (replaced as a whole, atomically).
    #[arg(long, value_name = "DIR", default_value = "diff")]
    pub out: PathBuf,
    /// A folder of templates overriding the built-in ones by name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
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
    /// The mapping rows' shape: `narrow` (whole-number legacy ids, short metadata) or
    /// `realistic` (a UUID id on every row, text legacy ids, upper-case UUIDs in some
    /// tables, a metadata object of about 200 bytes).
    #[arg(long, value_enum, default_value_t = crate::generate::Shape::Narrow)]
    pub shape: crate::generate::Shape,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The legacy database: postgresql://USER@HOST:PORT/DB, mysql://USER@HOST:PORT/DB
    /// (MySQL and MariaDB) or sqlite://PATH. A password may be in the URL (never printed or
    /// written), else comes from --source-password-file, PGPASSWORD or ~/.pgpass, MYSQL_PWD.
    #[arg(
        long,
        value_name = "URL",
        env = "MIGCOV_SOURCE_URL",
        hide_env_values = true
    )]
    pub source: String,
    /// The modern (target) database, likewise.
    #[arg(
        long,
        value_name = "URL",
        env = "MIGCOV_TARGET_URL",
        hide_env_values = true
    )]
    pub target: String,
    /// The data folder to write (replaced as a whole, atomically; a non-empty folder that
    /// migcov did not write is never replaced).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub out: PathBuf,
    /// What to read: schemas, tables, the bookkeeping queries, pgloader's summary, files to
    /// copy (see docs/collect.md). Without it: every table of the default schema, mappings by
    /// convention.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A file whose first line is the source database's password.
    #[arg(long, value_name = "FILE")]
    pub source_password_file: Option<PathBuf>,
    /// A file whose first line is the target database's password.
    #[arg(long, value_name = "FILE")]
    pub target_password_file: Option<PathBuf>,
    /// Write a commented starter collect.yaml, migcov.yaml and domains.yaml from what the
    /// two databases hold, into DIR (default: the current folder); never replaces a file.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = ".")]
    pub init: Option<PathBuf>,
    /// Compare each legacy table's ids with the mappings, and a content: declaration's
    /// values, in the databases and fetch only the differences: joins when one server sees
    /// both, else checksums of key ranges (see docs/collect.md, pushdown). Needs a mappings
    /// query.
    #[arg(long)]
    pub pushdown: bool,
}

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// Folder to write the templates into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "expected a rate between 0.0 and 1.0, found {text:?}"
        )),
    }
}

/// `RULE=LEVEL`, with RULE a registered rule id: an unknown id fails at parse time.
fn parse_severity(text: &str) -> Result<(String, SeverityOverride), String> {
    let (rule, level) = text
        .split_once('=')
        .ok_or_else(|| format!("expected RULE=LEVEL, found {text:?}"))?;
    if !RULES.iter().any(|r| r.id == rule) {
        return Err(format!("unknown rule {rule:?} (see `migcov rules`)"));
    }
    let level = match level.to_ascii_lowercase().as_str() {
        "error" => SeverityOverride::Error,
        "warning" => SeverityOverride::Warning,
        "info" => SeverityOverride::Info,
        "off" => SeverityOverride::Off,
        other => {
            return Err(format!(
                "expected error, warning, info or off, found {other:?}"
            ))
        }
    };
    Ok((rule.to_string(), level))
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| format!("expected a date as YYYY-MM-DD, found {text:?}: {e}"))
}

/// Everything loading and judging needs, checked.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub load: LoadOptions,
    pub validate: ValidateOptions,
    /// Gate thresholds given as flags; each wins over `migcov.yaml`.
    pub gate: GateConfig,
    pub failures_dir: Option<PathBuf>,
}

/// Everything `build` needs, checked.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub check: CheckConfig,
    pub report: ReportOptions,
    pub out: PathBuf,
    pub templates: Option<PathBuf>,
    pub snapshot: bool,
    pub junit: Option<PathBuf>,
    pub summary_md: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub site_url: String,
    pub single_file: Option<PathBuf>,
    pub dump_context: Option<PathBuf>,
    /// Exit 0 whatever the gate says.
    pub exit_zero: bool,
    /// The command line as given, for a snapshot's provenance.
    pub command_line: Vec<String>,
}

impl CollectArgs {
    /// The collection's options; the clock is read here for `collected_at`.
    pub fn into_options(self) -> crate::collect::CollectOptions {
        crate::collect::CollectOptions {
            source: self.source,
            target: self.target,
            source_password_file: self.source_password_file,
            target_password_file: self.target_password_file,
            out: self.out,
            config: self.config,
            pushdown: self.pushdown,
            collected_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
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

impl CheckArgs {
    pub fn into_config(self, report_date: NaiveDate) -> CheckConfig {
        CheckConfig {
            load: LoadOptions {
                data_dir: self.data,
                scripts_dir: self.scripts_dir,
            },
            validate: ValidateOptions {
                samples: self.samples,
                keep_rows: self.failures_dir.is_some(),
                severity: self.severity.into_iter().collect(),
                min_domain_coverage: self.min_domain_coverage.map(MinCoverage::All),
                report_date: Some(report_date),
            },
            gate: GateConfig {
                fail_under: self.fail_under,
                min_domain_coverage: self.min_domain_coverage.map(MinCoverage::All),
                max_missing_records: self.max_missing,
                min_intact_rate: self.min_intact_rate,
                max_value_mismatches: self.max_value_mismatches,
            },
            failures_dir: self.failures_dir,
        }
    }
}

/// `path` absolute and without `.` or `..` (as written: links are not followed).
fn plain_path(path: &Path) -> PathBuf {
    resolved_path(path, 0)
}

/// [`plain_path`], following at most 40 links (a loop of links is left as it is).
fn resolved_path(path: &Path, links: usize) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut plain = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                plain.pop();
            }
            std::path::Component::CurDir => {}
            other => plain.push(other),
        }
    }
    // Links resolved as far as the path exists: `--out` may be a link (written through),
    // and one to the data folder or into a snapshot is that folder (found by an
    // independent check: a link to the data folder passed as another folder, and the
    // build replaced the data with the site). A link to nothing yet is followed too: a
    // file written through it lands where it points.
    let mut existing = plain.as_path();
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return plain,
        }
    }
    let tail = |mut base: PathBuf| {
        base.extend(rest.iter().rev());
        base
    };
    match std::fs::canonicalize(existing) {
        Ok(resolved) => tail(resolved),
        Err(_) => match std::fs::read_link(existing) {
            Ok(target) if links < 40 => {
                let folder = existing.parent().unwrap_or(Path::new("/"));
                resolved_path(&tail(folder.join(target)), links + 1)
            }
            _ => plain,
        },
    }
}

/// The folders a build replaces (`--out`, `--failures-dir`, `--dump-context`) must be
/// apart: one that is or holds another would be replaced by it, a whole site by a folder
/// of CSV files.
fn folders_apart(folders: &[(&str, Option<&Path>)]) -> Result<(), String> {
    let given: Vec<(&str, &Path, PathBuf)> = folders
        .iter()
        .filter_map(|(flag, path)| path.map(|p| (*flag, p, plain_path(p))))
        .collect();
    for (i, (flag, path, plain)) in given.iter().enumerate() {
        for (other_flag, other_path, other_plain) in &given[i + 1..] {
            if plain.starts_with(other_plain) || other_plain.starts_with(plain) {
                return Err(format!(
                    "{flag} {} and {other_flag} {} overlap: each is a folder migcov replaces whole, so neither may be or hold the other",
                    path.display(),
                    other_path.display()
                ));
            }
        }
    }
    Ok(())
}

/// The first of `folders` that is or holds `inner` (links resolved), with its flag.
fn holder<'a>(
    inner: &Path,
    folders: &[(&'a str, Option<&'a Path>)],
) -> Option<(&'a str, &'a Path)> {
    let plain = plain_path(inner);
    folders.iter().find_map(|(flag, folder)| {
        folder
            .filter(|folder| plain.starts_with(plain_path(folder)))
            .map(|folder| (*flag, folder))
    })
}

/// Files written beside a site (`--junit`, `--json`, …) must not be, or be inside, a
/// folder that is archived or replaced whole. `-` (standard output) is no file.
fn files_outside(
    files: &[(&str, Option<&Path>)],
    folders: &[(&str, Option<&Path>)],
) -> Result<(), String> {
    for (flag, file) in files {
        let Some(file) = file.filter(|f| *f != Path::new("-")) else {
            continue;
        };
        if let Some((name, folder)) = holder(file, folders) {
            return Err(format!(
                "{flag} {} is inside {name} ({}): it would change an archived snapshot or be replaced; write it elsewhere",
                file.display(),
                folder.display()
            ));
        }
    }
    Ok(())
}

/// Each CI file goes to a place of its own: two at one path would be one file (XML with
/// Markdown after it), two on standard output one stream that is neither (`--json -`
/// promises a stream holding the JSON alone).
fn files_apart(files: &[(&str, Option<&Path>)]) -> Result<(), String> {
    // `/dev/null` discards what it is given, as often as it is given.
    let given: Vec<(&str, &Path)> = files
        .iter()
        .filter_map(|(flag, file)| file.map(|file| (*flag, file)))
        .filter(|(_, file)| *file != Path::new("/dev/null"))
        .collect();
    for (i, (flag, file)) in given.iter().enumerate() {
        for (other_flag, other) in &given[i + 1..] {
            let stream = crate::output::stream_of;
            let same = match (stream(file), stream(other)) {
                (Some(a), Some(b)) => a == b,
                (None, None) => plain_path(file) == plain_path(other),
                _ => false,
            };
            if same {
                return Err(format!(
                    "{flag} {} and {other_flag} {} are one place: each CI file needs its own \
                     (a stream holds one of them at most)",
                    file.display(),
                    other.display()
                ));
            }
        }
    }
    Ok(())
}

/// The folders a command replaces whole must not be or hold the data folder `data` (a
/// collected data folder carries the marker that lets migcov replace a folder). One inside
/// the data folder is fine: the loader skips the folders migcov wrote.
pub fn outside_data(data: &Path, folders: &[(&str, Option<&Path>)]) -> Result<(), String> {
    match holder(data, folders) {
        Some((flag, path)) => Err(format!(
            "{flag} {} is or holds the data folder {}: it is replaced whole; write it elsewhere",
            path.display(),
            data.display()
        )),
        None => Ok(()),
    }
}

impl BuildArgs {
    pub fn into_config(self) -> Result<BuildConfig, String> {
        let date = report_date(self.report_date)?;
        let folders = [
            ("--out", Some(self.out.as_path())),
            ("--failures-dir", self.check.failures_dir.as_deref()),
            ("--dump-context", self.dump_context.as_deref()),
        ];
        folders_apart(&folders)?;
        outside_data(&self.check.data, &folders)?;
        // A CI file written into an archived snapshot would change it (found by an
        // independent check: `--json SITE/archive/<date>/api/…` passed, and `verify` then
        // failed the snapshot), and one in a folder replaced whole would be lost.
        // Nor may one be inside the site, or be another CI file: `--junit
        // site/api/coverage/summary.json` replaced the site's own file, and `--junit X
        // --summary-md X` appended Markdown to the XML (found by an independent check).
        let archive = self.out.join(crate::archive::ARCHIVE_DIR);
        let files = [
            ("--junit", self.junit.as_deref()),
            ("--summary-md", self.summary_md.as_deref()),
            ("--json", self.json.as_deref()),
            ("--single-file", self.single_file.as_deref()),
        ];
        files_outside(
            &files,
            &[
                ("the archive of --out", Some(archive.as_path())),
                ("--out", Some(self.out.as_path())),
                ("--failures-dir", self.check.failures_dir.as_deref()),
                ("--dump-context", self.dump_context.as_deref()),
            ],
        )?;
        files_apart(&files)?;
        Ok(BuildConfig {
            check: self.check.into_config(date),
            report: ReportOptions { report_date: date },
            site_url: self
                .site_url
                .unwrap_or_else(|| self.out.join("index.html").display().to_string()),
            out: self.out,
            templates: self.templates,
            snapshot: self.snapshot,
            junit: self.junit,
            summary_md: self.summary_md,
            json: self.json,
            single_file: self.single_file,
            dump_context: self.dump_context,
            exit_zero: self.exit_zero,
            // The program as `migcov`, not the path it was started from: no absolute path
            // of this machine goes into a snapshot.
            command_line: std::iter::once("migcov".to_string())
                .chain(std::env::args().skip(1))
                .collect(),
        })
    }
}
