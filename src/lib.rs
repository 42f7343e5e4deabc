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

use cli::BuildConfig;
use report::Report;

/// What a build produced.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub files: usize,
}

/// Runs the whole pipeline and publishes the site to `config.out`; on any error nothing is
/// written and a previous site stays as it was.
pub fn build(config: &BuildConfig, progress: &dyn Fn(&str)) -> Result<Outcome, Error> {
    progress("loading inputs");
    let inputs = load::load(&config.load)?;
    progress("measuring");
    let measures = measure::measure(&inputs).map_err(Error::compute)?;
    progress("validating");
    let findings =
        validate::validate(&inputs, &measures, &config.validate).map_err(Error::compute)?;
    let report = report::build(&inputs, &measures, findings, &config.report);
    progress("rendering");
    let site = render::render(&report, config.templates.as_deref())?;
    progress("writing");
    site.publish(&config.out)?;
    Ok(Outcome {
        files: site.len(),
        report,
    })
}
