//! migcov: a database migration's records in, a static coverage report out.
//!
//! The pipeline runs one way — load → measure → validate → report → render → output — and
//! [`build`] below is its table of contents. Each stage takes plain values from the one
//! before it and can be tested alone.

pub mod archive;
pub mod canonical;
pub mod cli;
pub mod collect;
pub mod error;
pub mod generate;
pub mod load;
pub mod measure;
pub mod memory;
pub mod model;
pub mod output;
pub mod render;
pub mod report;
pub mod validate;
pub(crate) mod walk;

pub use error::Error;

use cli::{BuildConfig, CheckConfig};
use load::Inputs;
use measure::Measures;
use model::config::GateConfig;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use archive::diff::ReportFiles;
use report::doc::{self, ReportDoc};
use report::{ArchiveEntry, Archived, HistoryPoint, Report};
use validate::{Validation, Verdict};

/// What loading and judging produced.
#[derive(Debug)]
pub struct Checked {
    pub inputs: Inputs,
    pub measures: Measures,
    pub validation: Validation,
    pub verdict: Verdict,
}

/// What a build produced.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub files: usize,
}

/// Stages 1–3 (load, measure, validate) and the gate. Writes nothing: `--failures-dir` is
/// rendered by [`failures`] and written by the caller with its other outputs.
pub fn check(config: &CheckConfig, progress: &dyn Fn(&str)) -> Result<Checked, Error> {
    progress("loading inputs");
    let mut inputs = load::load(&config.load)?;
    if let Some(unknown) = inputs
        .config
        .severity
        .keys()
        .chain(inputs.config.waivers.iter().map(|w| &w.rule))
        .find(|id| !validate::RULES.iter().any(|r| r.id == id.as_str()))
    {
        return Err(Error::Config {
            message: format!("severity or waivers: unknown rule {unknown:?} (see `migcov rules`)"),
        });
    }
    memory::release_freed_memory();
    if std::env::var_os("MIGCOV_TIMINGS").is_some() {
        // What the mappings hold after loading, column by column: where the memory goes.
        for column in inputs.mappings.columns() {
            let mib = match column {
                polars::prelude::Column::Scalar(_) => 0.0,
                _ => column.as_materialized_series().estimated_size() as f64 / (1 << 20) as f64,
            };
            eprintln!(
                "migcov:   mappings.{:<20} {mib:10.1} MiB {:?}",
                column.name(),
                column.dtype()
            );
        }
    }
    progress("measuring");
    let measures = measure::measure(
        &mut inputs,
        config.validate.report_date,
        config.validate.rows_kept(),
    )
    .map_err(Error::compute)?;
    memory::release_freed_memory();
    progress("validating");
    let unsettled =
        validate::validate(&inputs, &measures, &config.validate).map_err(Error::compute)?;
    // Nothing reads the mappings past here: dropped before their ids are read again.
    inputs.mappings = polars::prelude::DataFrame::default();
    memory::release_freed_memory();
    let ids = inputs.mapping_ids.read(&inputs.incomplete)?;
    let validation = unsettled
        .with_mapping_ids(&ids, &config.validate)
        .and_then(|v| v.settle(&inputs, &config.validate))
        .map_err(Error::compute)?;
    drop(ids);
    // Every differing value was kept for `--failures-dir` (the findings have them now):
    // the pages show the first `--samples`, as for every rule.
    let mut measures = measures;
    for table in &mut measures.content {
        table.missing_samples.truncate(config.validate.samples);
        for column in &mut table.columns {
            column.samples.truncate(config.validate.samples);
        }
    }
    let (gate_config, sources) = validate::GateSources::merge(&config.gate, &inputs.config.gate);
    let content = measure::content::ContentTotals::of(&measures.content);
    let mut verdict = validate::gate(
        &validation.findings,
        &validate::GateFigures {
            overall_success_rate: measures.all_scripts.success_rate,
            missing_records: measures.missing_records,
            missing_measured: !inputs.source_ids.is_empty() || !inputs.pushdown.is_empty(),
            domains: validate::coverage::domain_coverages(&measures),
            content: validate::ContentFigures {
                intact_rate: content.intact_rate,
                differs: content.differs,
            },
        },
        &gate_config,
        &sources,
    );
    verdict.severity = Some(validate::severity_overrides(&inputs, &config.validate));
    Ok(Checked {
        inputs,
        measures,
        validation,
        verdict,
    })
}

/// Runs the whole pipeline and publishes the site to `config.out` (and the CI files asked
/// for). Everything is rendered in memory first; on any error nothing is written and a
/// previous site stays as it was.
pub fn build(config: &BuildConfig, progress: &dyn Fn(&str)) -> Result<Outcome, Error> {
    let checked = check(&config.check, progress)?;
    let failures = failures(&config.check, &checked)?;
    let report = report::build(
        &checked.inputs,
        &checked.measures,
        checked.validation,
        checked.verdict,
        &config.report,
    );
    // Held from reading the archive to the swap: a concurrent build into the same folder
    // would otherwise swap in a site without this one's snapshot.
    let _lock = output::FolderLock::take(&config.out)?;
    let existing = archive::read_existing(&config.out)?;
    let date = report.summary.report_date;
    if config.snapshot && existing.iter().any(|s| s.date == date) {
        return Err(archive::ArchiveError::Exists {
            path: config.out.join("archive").join(doc::date_text(date)),
            date,
        }
        .into());
    }
    let previous = existing.iter().rev().find(|s| s.date < date);

    progress("rendering");
    // A snapshot is rendered on its own, without the links to the archive that the live
    // site has, so it stays complete when moved.
    let snapshot = config
        .snapshot
        .then(|| render::render(&report, config.templates.as_deref(), None, None))
        .transpose()?;
    let archived = archived_view(
        &existing,
        &report,
        snapshot.is_some(),
        previous.map(|p| p.date),
    );
    let mut contexts = config
        .dump_context
        .as_ref()
        .map(|_| output::Site::default());
    let mut site = render::render(
        &report,
        config.templates.as_deref(),
        Some(&archived),
        contexts.as_mut(),
    )?;
    if let Some(own) = &snapshot {
        progress("archiving");
        let files = snapshot_files(config, &checked.inputs, &report, own, previous)?;
        archive::snapshot::add_to_site(&mut site, date, &files)?;
    }
    for old in &existing {
        archive::snapshot::carry_over(&mut site, old)?;
    }
    // Files under archive/ that are no snapshot go along as they are.
    for other in archive::read_others(&config.out)? {
        let from = config.out.join("archive").join(&other);
        site.add_copy(Path::new("archive").join(&other), from)?;
    }
    let extra_files = ci_files(config, &report, &site)?;

    // Every output path is checked and every folder staged before anything goes live;
    // then the site goes live (one atomic swap), then the failures folder (another), then
    // each CI file (atomic, or appended for a step summary, or written to a stream as it
    // is). A folder or file that cannot be written leaves everything as it was.
    for (path, _, _) in &extra_files {
        output::check_writable(path)?;
    }
    progress("writing");
    let site_staged = site.stage(&config.out, output::FolderKind::Site)?;
    let failures_staged = match &failures {
        Some((dir, files)) => Some(files.stage(dir, output::FolderKind::Failures)?),
        None => None,
    };
    let contexts_staged = match (&config.dump_context, &contexts) {
        (Some(dir), Some(contexts)) => Some(contexts.stage(dir, output::FolderKind::Contexts)?),
        _ => None,
    };
    site_staged.commit()?;
    for staged in failures_staged.into_iter().chain(contexts_staged) {
        staged.commit()?;
    }
    for (path, bytes, how) in &extra_files {
        output::write_file(path, bytes, *how)?;
    }
    Ok(Outcome {
        files: site.len(),
        report,
    })
}

/// The history (earlier snapshots and this run) and the archive index rows, newest first.
fn archived_view(
    existing: &[archive::Snapshot],
    report: &Report,
    snapshot: bool,
    previous: Option<chrono::NaiveDate>,
) -> Archived {
    let date = report.summary.report_date;
    let own = doc::summary(report);
    // An archived snapshot keeps its figures: a later build of its date (from other data,
    // without --snapshot) is shown beside it, never in its place.
    let this_run = HistoryPoint {
        this_build: existing.iter().any(|s| s.date == date),
        ..HistoryPoint::from_summary(&own)
    };
    let mut history: Vec<HistoryPoint> = existing
        .iter()
        .map(|s| HistoryPoint::from_summary(&s.summary))
        .chain([this_run])
        .collect();
    history.sort_by_key(|h| (h.date, h.this_build));
    let mut entries: Vec<ArchiveEntry> = existing
        .iter()
        .map(|s| ArchiveEntry::from_summary(&s.summary, s.has_diff(), s.diff_since()))
        .collect();
    if snapshot {
        entries.push(ArchiveEntry::from_summary(
            &own,
            previous.is_some(),
            previous,
        ));
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.date));
    Archived {
        history,
        archive: entries,
    }
}

/// A new snapshot's files: the site as rendered for it, the diff from the previous
/// snapshot, provenance and checksums.
fn snapshot_files(
    config: &BuildConfig,
    inputs: &Inputs,
    report: &Report,
    own: &output::Site,
    previous: Option<&archive::Snapshot>,
) -> Result<BTreeMap<PathBuf, Vec<u8>>, Error> {
    let mut diff_files = BTreeMap::new();
    if let Some(previous) = previous {
        let old = ReportFiles::from_dir(&previous.dir)?;
        let new = ReportFiles::from_doc(ReportDoc::new(report));
        let changes = archive::diff::diff(&old, &new);
        let page = render::html::diff_page(&changes, config.templates.as_deref(), "")?;
        diff_files.insert(PathBuf::from("diff.html"), page.into_bytes());
        diff_files.insert(
            PathBuf::from("diff.md"),
            archive::diff::markdown(&changes).into_bytes(),
        );
        diff_files.insert(PathBuf::from("diff.json"), json_bytes(&changes)?);
    }
    let provenance = provenance(inputs, &config.check.load.data_dir, report, config)?;
    Ok(archive::snapshot::snapshot_files(
        own,
        &provenance,
        diff_files,
    )?)
}

/// The files CI asked for, outside the site: `--json`, `--junit`, `--single-file`,
/// `--summary-md`.
fn ci_files(
    config: &BuildConfig,
    report: &Report,
    site: &output::Site,
) -> Result<Vec<(PathBuf, Vec<u8>, output::WriteMode)>, Error> {
    use output::WriteMode::{Append, Replace};
    let mut files = Vec::new();
    if let Some(path) = &config.json {
        let summary = site.get("api/coverage/summary.json").unwrap_or_default();
        files.push((path.clone(), summary.to_vec(), Replace));
    }
    if let Some(path) = &config.junit {
        files.push((path.clone(), render::junit::render(report)?, Replace));
    }
    if let Some(path) = &config.single_file {
        let page = render::html::single_file(report, config.templates.as_deref())?;
        files.push((
            path.clone(),
            render::sanitize::xml_bytes(page.into_bytes()),
            Replace,
        ));
    }
    if let Some(path) = &config.summary_md {
        // A step summary is appended to, as GitHub's $GITHUB_STEP_SUMMARY expects.
        let text = render::markdown::render(report, &config.site_url);
        files.push((path.clone(), text.into_bytes(), Append));
    }
    Ok(files)
}

/// `--failures-dir`: the folder and its files, rendered but not written.
pub fn failures(
    config: &CheckConfig,
    checked: &Checked,
) -> Result<Option<(PathBuf, output::Site)>, Error> {
    config
        .failures_dir
        .as_ref()
        .map(|dir| {
            Ok((
                dir.clone(),
                render::failures::render(&checked.validation.findings)?,
            ))
        })
        .transpose()
}

fn json_bytes(value: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Compute {
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// What produced a snapshot: the tool, the command, and every input with its hash.
fn provenance(
    inputs: &Inputs,
    data_dir: &Path,
    report: &Report,
    config: &BuildConfig,
) -> Result<archive::snapshot::Provenance, Error> {
    let mut records = Vec::new();
    for file in inputs
        .files
        .iter()
        .filter(|f| !matches!(f.kind, load::InputKind::Skipped(_)))
    {
        let (sha256, bytes) = archive::verify::sha256_file(&file.path)?;
        records.push(archive::snapshot::InputRecord {
            path: file.relative.display().to_string(),
            kind: file.kind.name().to_string(),
            bytes,
            rows: inputs.file_rows.get(&file.relative).copied(),
            sha256,
        });
    }
    Ok(archive::snapshot::Provenance {
        tool: "migcov",
        version: env!("CARGO_PKG_VERSION"),
        command_line: config.command_line.clone(),
        report_date: report.summary.report_date,
        data_dir: data_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| inputs.data_dir_name.clone()),
        gate: report.verdict.clone(),
        inputs: records,
        collected: inputs.collected.clone(),
    })
}

/// Reads one side of a diff: a folder with `api/` (a site or snapshot) as it is, a data
/// folder by running the pipeline in memory.
pub fn report_files(path: &Path, check_config: &CheckConfig) -> Result<ReportFiles, Error> {
    if path.join("api/coverage/summary.json").is_file() {
        return Ok(ReportFiles::from_dir(path)?);
    }
    // A site or snapshot that lost its summary is no data folder: said as what it is,
    // not as a data folder without domains.yaml (found by an independent check).
    if path.join("api/coverage").is_dir() || path.join(archive::verify::SUMS).exists() {
        return Err(archive::ArchiveError::Invalid {
            path: path.join("api/coverage/summary.json"),
            message: "missing or not a regular file: a site or snapshot needs it to be compared"
                .into(),
        }
        .into());
    }
    let mut config = check_config.clone();
    config.load.data_dir = path.to_path_buf();
    // Today, unless the caller fixed the date: the date the heading shows is the date
    // exclusions and waivers are in force on (without one, an expired exclusion stayed in
    // force while the heading said today; found by an independent check).
    let report_date = config
        .validate
        .report_date
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    config.validate.report_date = Some(report_date);
    let checked = check(&config, &|_| {})?;
    let report = report::build(
        &checked.inputs,
        &checked.measures,
        checked.validation,
        checked.verdict,
        &report::ReportOptions { report_date },
    );
    Ok(ReportFiles::from_doc(ReportDoc::new(&report)))
}

/// `migcov diff`: writes diff.html (with the stylesheet), diff.md and diff.json to `out`.
pub fn diff(
    old: &Path,
    new: &Path,
    out: &Path,
    templates: Option<&Path>,
) -> Result<archive::diff::Diff, Error> {
    // A diff written into an archived snapshot (a folder inside one) would change it: it
    // was written, and `verify` then failed the snapshot (found by an independent check).
    let absolute = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    if let Some(snapshot) = absolute.ancestors().skip(1).find(|folder| {
        folder.join(archive::verify::SUMS).is_file()
            && folder.join("api/coverage/summary.json").is_file()
    }) {
        return Err(archive::ArchiveError::Invalid {
            path: out.to_path_buf(),
            message: format!(
                "is inside the archived snapshot {}: writing it would change the snapshot; \
                 write the diff elsewhere",
                snapshot.display()
            ),
        }
        .into());
    }
    // One run at a time per folder, as for `build`.
    let _lock = output::FolderLock::take(out)?;
    let defaults = CheckConfig {
        load: load::LoadOptions {
            data_dir: PathBuf::new(),
            scripts_dir: None,
        },
        validate: validate::ValidateOptions::default(),
        gate: GateConfig::default(),
        failures_dir: None,
    };
    let changes = archive::diff::diff(
        &report_files(old, &defaults)?,
        &report_files(new, &defaults)?,
    );
    let mut site = output::Site::default();
    site.add(
        "diff.html",
        render::html::diff_page(&changes, templates, "")?,
    )?;
    site.add("diff.md", archive::diff::markdown(&changes))?;
    site.add("diff.json", json_bytes(&changes)?)?;
    for (path, text) in render::assets::ASSETS {
        site.add(path, text.as_bytes().to_vec())?;
    }
    site.publish(out, output::FolderKind::Diff)?;
    Ok(changes)
}
