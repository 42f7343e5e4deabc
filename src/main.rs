//! The `migcov` binary: parse flags, run, print, and map the outcome to an exit code
//! (0 success, 1 the gate fails, 2 bad input or usage).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use migcov::cli::{Cli, Command};
use migcov::render::html::format_percent;

const EXIT_BAD_INPUT: u8 = 2;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("migcov: error: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build(args) => {
            let config = match args.into_config() {
                Ok(config) => config,
                Err(message) => return fail(message),
            };
            // A spinner on a terminal; nothing but the final line in CI logs.
            let spinner = if std::io::stderr().is_terminal() {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg}").expect("static template"),
                );
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                bar
            } else {
                ProgressBar::hidden()
            };
            let progress = |step: &str| spinner.set_message(step.to_string());
            let result = migcov::build(&config, &progress);
            spinner.finish_and_clear();
            match result {
                Ok(outcome) => {
                    let s = &outcome.report.summary;
                    let f = &outcome.report.finding_counts;
                    println!(
                        "migcov: wrote {} files to {}: {} of {} records migrated ({}), success rate {}, {} errors, {} warnings",
                        outcome.files,
                        config.out.display(),
                        s.migrated_records,
                        s.total_records,
                        format_percent(migcov::measure::ratio(s.migrated_records, s.total_records)),
                        format_percent(s.overall_success_rate),
                        f.error,
                        f.warning,
                    );
                    ExitCode::SUCCESS
                }
                Err(err) => fail(err),
            }
        }
        Command::Generate(args) => {
            match migcov::generate::generate(&args.out, args.records, args.seed) {
                Ok(summary) => {
                    println!(
                        "migcov: wrote a dataset of {} records to {}",
                        summary.records,
                        args.out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(err) => fail(err),
            }
        }
        Command::Rules => {
            for rule in migcov::validate::RULES {
                println!(
                    "{:<44} {:<8} {}",
                    rule.id,
                    rule.severity.as_str(),
                    rule.summary
                );
            }
            ExitCode::SUCCESS
        }
        Command::Templates(args) => match migcov::render::assets::write_defaults(&args.out) {
            Ok(n) => {
                println!("migcov: wrote {n} templates to {}", args.out.display());
                ExitCode::SUCCESS
            }
            Err(err) => fail(err),
        },
    }
}
