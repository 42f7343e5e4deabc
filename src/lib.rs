//! migcov: a database migration's records in, a static coverage report out.
//!
//! The pipeline runs one way — load → measure → validate → report → render → output — and
//! [`build`] below is its table of contents. Each stage takes plain values from the one
//! before it and can be tested alone.

pub mod cli;
pub mod error;
pub mod generate;
pub mod load;
pub mod measure;
pub mod model;
pub mod output;
pub mod render;
pub mod report;
pub mod validate;

pub use error::Error;

use cli::{BuildConfig, CheckConfig};
use load::Inputs;
use measure::Measures;
use model::config::GateConfig;
use report::Report;
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

/// The gate's thresholds: flags win over `migcov.yaml`.
fn gate_config(flags: &GateConfig, file: &GateConfig) -> GateConfig {
    GateConfig {
        fail_under: flags.fail_under.or(file.fail_under),
        min_domain_coverage: flags
            .min_domain_coverage
            .clone()
            .or(file.min_domain_coverage.clone()),
        max_missing_records: flags.max_missing_records.or(file.max_missing_records),
    }
}

/// Stages 1–3 (load, measure, validate) and the gate; writes `--failures-dir` if asked.
pub fn check(config: &CheckConfig, progress: &dyn Fn(&str)) -> Result<Checked, Error> {
    progress("loading inputs");
    let inputs = load::load(&config.load)?;
    if let Some(unknown) = inputs
        .config
        .severity
        .keys()
        .find(|id| !validate::RULES.iter().any(|r| r.id == id.as_str()))
    {
        return Err(Error::Config {
            message: format!("severity: unknown rule {unknown:?} (see `migcov rules`)"),
        });
    }
    progress("measuring");
    let measures = measure::measure(&inputs).map_err(Error::compute)?;
    progress("validating");
    let validation =
        validate::validate(&inputs, &measures, &config.validate).map_err(Error::compute)?;
    let verdict = validate::gate(
        &validation.findings,
        measures.all_scripts.success_rate,
        &gate_config(&config.gate, &inputs.config.gate),
    );
    if let Some(dir) = &config.failures_dir {
        progress("writing failures");
        render::failures::render(&validation.findings)?.publish(dir)?;
    }
    Ok(Checked {
        inputs,
        measures,
        validation,
        verdict,
    })
}

/// Runs the whole pipeline and publishes the site to `config.out`; on any error nothing is
/// written and a previous site stays as it was.
pub fn build(config: &BuildConfig, progress: &dyn Fn(&str)) -> Result<Outcome, Error> {
    let checked = check(&config.check, progress)?;
    let report = report::build(
        &checked.inputs,
        &checked.measures,
        checked.validation,
        checked.verdict,
        &config.report,
    );
    progress("rendering");
    let site = render::render(&report, config.templates.as_deref())?;
    progress("writing");
    site.publish(&config.out)?;
    Ok(Outcome {
        files: site.len(),
        report,
    })
}
