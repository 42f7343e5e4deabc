//! The `migcov` binary: parse flags, run, print, and map the outcome to an exit code:
//! 0 success (and the gate holds), 1 the gate fails, 2 bad input or usage.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use migcov::cli::{Cli, Command};
use migcov::measure::ratio;
use migcov::render::html::{format_percent_beside, rate_bounds};
use migcov::render::noun;
use migcov::validate::{Finding, Verdict};

/// polars allocates and frees large buffers on every core; glibc's allocator keeps freed
/// buffers in per-thread arenas, which held a 10M-row comparison at twice its data.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The documented exit codes (clap exits with 2 on usage errors itself).
#[derive(Debug, Clone, Copy)]
enum Exit {
    /// The work is done and the gate holds (or there is no gate).
    Clean = 0,
    /// The gate fails, or `verify` found a snapshot not intact.
    GateFailed = 1,
    /// Bad input or usage; nothing was written.
    BadInput = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("migcov: error: {message}");
    Exit::BadInput.into()
}

/// A spinner on a terminal; nothing in CI logs, where stderr is not one.
fn spinner() -> ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("static template"));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    }
}

/// `MIGCOV_TIMINGS=1`: each step's start, in seconds since the command began, and (on
/// Linux) the peak memory so far, on stderr; for finding where a large build spends its
/// time and memory.
struct Timings(Option<std::time::Instant>);

impl Timings {
    fn from_env() -> Timings {
        Timings(std::env::var_os("MIGCOV_TIMINGS").map(|_| std::time::Instant::now()))
    }

    fn step(&self, step: &str) {
        if let Some(started) = self.0 {
            let gib = |kib: u64| kib as f64 / (1 << 20) as f64;
            let peak = match (
                migcov::memory::status_kib("VmHWM:"),
                migcov::memory::status_kib("VmRSS:"),
            ) {
                (Some(peak), Some(now)) => {
                    format!(
                        "  (peak so far {:.2} GiB, now {:.2} GiB)",
                        gib(peak),
                        gib(now)
                    )
                }
                _ => String::new(),
            };
            eprintln!(
                "migcov: {:8.2} s  {step:<16}{peak}",
                started.elapsed().as_secs_f64()
            );
        }
    }
}

/// Whether a CI file goes to standard output (`--json -`): then migcov's own status lines
/// go to standard error, so the stream holds the file alone (`| jq`, `> summary.md`).
static STATUS_TO_STDERR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A status line, on standard output unless a CI file is written there.
macro_rules! status {
    ($($arg:tt)*) => {
        if STATUS_TO_STDERR.load(std::sync::atomic::Ordering::Relaxed) {
            eprintln!($($arg)*)
        } else {
            println!($($arg)*)
        }
    };
}

/// Prints the gate's verdict and turns it into the exit code.
fn verdict_exit(verdict: &Verdict) -> ExitCode {
    if verdict.passed {
        status!("migcov: gate passed");
        Exit::Clean.into()
    } else {
        status!("migcov: gate failed: {}", verdict.reasons.join("; "));
        Exit::GateFailed.into()
    }
}

/// One line per rule with findings: id, severity, findings, violating rows.
fn print_findings(findings: &[Finding]) {
    let mut rules: Vec<(&str, &str, usize, u64)> = Vec::new();
    for f in findings {
        match rules.last_mut() {
            Some(last) if last.0 == f.rule.as_str() => {
                last.2 += 1;
                last.3 += f.count;
            }
            _ => rules.push((f.rule.as_str(), f.severity.as_str(), 1, f.count)),
        }
    }
    if rules.is_empty() {
        println!("no findings");
        return;
    }
    println!(
        "{:<44} {:<8} {:>8} {:>12}",
        "rule", "severity", "findings", "violations"
    );
    for (rule, severity, n, count) in rules {
        println!("{rule:<44} {severity:<8} {n:>8} {count:>12}");
    }
}

/// Progress bars for `collect`: one per step, rows counted; hidden when stderr is not a
/// terminal or in CI.
struct Bars {
    bar: std::cell::RefCell<Option<ProgressBar>>,
    shown: bool,
}

impl Bars {
    fn new() -> Bars {
        Bars {
            bar: std::cell::RefCell::new(None),
            shown: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        }
    }
}

impl migcov::collect::Progress for Bars {
    fn start(&self, step: &str, expected: Option<u64>) {
        if !self.shown {
            return;
        }
        let bar = match expected {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template("{msg:40} {bar:30} {pos}/{len}")
                    .expect("static template"),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg:40} {human_pos} rows ({per_sec})")
                    .expect("static template"),
            ),
        };
        bar.set_message(step.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        *self.bar.borrow_mut() = Some(bar);
    }

    fn rows(&self, n: u64) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

fn collect(args: migcov::cli::CollectArgs) -> ExitCode {
    use migcov::collect;
    if let Some(dir) = args.init.clone() {
        let urls = collect::db::DbUrl::parse(&args.source, args.source_password_file.as_deref())
            .and_then(|s| {
                collect::db::DbUrl::parse(&args.target, args.target_password_file.as_deref())
                    .map(|t| (s, t))
            });
        return match urls.and_then(|(s, t)| collect::init::init(&s, &t, &dir)) {
            Ok(files) => {
                for file in files {
                    println!("migcov: wrote {}", file.display());
                }
                Exit::Clean.into()
            }
            Err(err) => fail(err),
        };
    }
    let options = args.into_options();
    let bars = Bars::new();
    match collect::collect(&options, &bars) {
        Ok(done) => {
            let p = &done.provenance;
            for skipped in &p.tables_without_ids {
                eprintln!(
                    "migcov: warning: {}: no ids exported: {}",
                    skipped.table, skipped.reason
                );
            }
            let tables = |side: &migcov::collect::Server| {
                format!(
                    "{} {} ({} {}) from {}",
                    side.tables,
                    noun(side.tables as u64, "table", "tables"),
                    side.rows,
                    noun(side.rows, "row", "rows"),
                    side.url
                )
            };
            println!(
                "migcov: wrote {} files to {}: legacy {}, target {}, in {:.1} s",
                done.files,
                options.out.display(),
                tables(&p.source),
                tables(&p.target),
                p.seconds
            );
            println!(
                "migcov: next: migcov build --data {}",
                options.out.display()
            );
            Exit::Clean.into()
        }
        Err(err) => fail(err),
    }
}

fn main() -> ExitCode {
    // Output piped into `head` ends quietly, as other command-line tools do, instead of
    // panicking on a closed stdout.
    // SAFETY: restoring the default action of one signal before any thread starts.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Build(args) => build(args),
        Command::Validate(args) => validate(args),
        Command::Verify(args) => verify(args),
        Command::Diff(args) => diff(args),
        Command::Collect(args) => collect(args),
        Command::Generate(args) => generate(args),
        Command::Rules(args) if args.json => rules_json(),
        Command::Rule(args) => explain_rule(args),
        Command::Schema => {
            print!("{}", migcov::report::doc::schema());
            Exit::Clean.into()
        }
        Command::Rules(_) => list_rules(),
        Command::Templates(args) => templates(args),
    }
}

/// `migcov build`: builds the site, prints what was written, then applies the gate.
fn build(args: migcov::cli::BuildArgs) -> ExitCode {
    let config = match args.into_config() {
        Ok(config) => config,
        Err(message) => return fail(message),
    };
    let to_stdout = [
        &config.json,
        &config.junit,
        &config.summary_md,
        &config.single_file,
    ]
    .into_iter()
    .flatten()
    .any(|path| migcov::output::stream_of(path) == Some(1));
    STATUS_TO_STDERR.store(to_stdout, std::sync::atomic::Ordering::Relaxed);
    let spinner = spinner();
    let timings = Timings::from_env();
    let progress = |step: &str| {
        timings.step(step);
        spinner.set_message(step.to_string());
    };
    let result = migcov::build(&config, &progress);
    timings.step("done");
    spinner.finish_and_clear();
    match result {
        Ok(outcome) => {
            let s = &outcome.report.summary;
            let f = &outcome.report.finding_counts;
            let migrated = match &outcome.report.unlinked {
                // No figure rests on no link (`Report::unlinked`).
                Some(u) => format!(
                    "records migrated not measured ({} legacy {} in scope, none linked to an entity or a script)",
                    u.tables,
                    noun(u.tables, "table", "tables")
                ),
                None => format!(
                    "{} of {} records migrated ({})",
                    s.migrated_records,
                    s.total_records,
                    format_percent_beside(
                        ratio(s.migrated_records, s.total_records),
                        &rate_bounds(&outcome.report),
                    )
                ),
            };
            status!(
                "migcov: wrote {} files to {}: {migrated}, success rate {}, {} {}, {} {}",
                outcome.files,
                config.out.display(),
                format_percent_beside(s.overall_success_rate, &rate_bounds(&outcome.report)),
                f.error,
                noun(f.error, "error", "errors"),
                f.warning,
                noun(f.warning, "warning", "warnings"),
            );
            status!(
                "migcov: report: {}",
                config.out.join("index.html").display()
            );
            let exit = verdict_exit(&outcome.report.verdict);
            if config.exit_zero {
                Exit::Clean.into()
            } else {
                exit
            }
        }
        Err(err) => fail(err),
    }
}

/// `migcov validate`: runs every rule, writes `--failures-dir` when asked, prints the
/// findings and applies the gate.
fn validate(args: migcov::cli::ValidateArgs) -> ExitCode {
    let date = match migcov::cli::report_date(None) {
        Ok(date) => date,
        Err(err) => return fail(err),
    };
    if let Err(err) = migcov::cli::outside_data(
        &args.check.data,
        &[("--failures-dir", args.check.failures_dir.as_deref())],
    ) {
        return fail(err);
    }
    let config = args.check.into_config(date);
    let spinner = spinner();
    let timings = Timings::from_env();
    let progress = |step: &str| {
        timings.step(step);
        spinner.set_message(step.to_string());
    };
    let result = migcov::check(&config, &progress).and_then(|checked| {
        if let Some((dir, files)) = migcov::failures(&config, &checked)? {
            files.publish(&dir, migcov::output::FolderKind::Failures)?;
        }
        Ok(checked)
    });
    spinner.finish_and_clear();
    match result {
        Ok(checked) => {
            print_findings(&checked.validation.findings);
            verdict_exit(&checked.verdict)
        }
        Err(err) => fail(err),
    }
}

/// `migcov verify`: lists every file that differs from the snapshot's sums.
fn verify(args: migcov::cli::VerifyArgs) -> ExitCode {
    match migcov::archive::verify::verify(&args.dir) {
        Ok(result) => {
            for (what, files) in [
                ("changed", &result.changed),
                ("missing", &result.missing),
                ("extra", &result.extra),
            ] {
                for file in files {
                    // A name is the snapshot's, not migcov's: its line breaks and control
                    // characters escaped, so no name can print a line of its own (an
                    // "intact" line, found by an independent check).
                    let shown: String = file
                        .chars()
                        .map(|c| match c.is_control() || invisible(c) {
                            true => c.escape_default().collect(),
                            false => c.to_string(),
                        })
                        .collect();
                    println!("{what}: {shown}");
                }
            }
            if result.intact() {
                println!(
                    "migcov: {} is intact ({} files checked)",
                    args.dir.display(),
                    result.checked
                );
                Exit::Clean.into()
            } else {
                println!(
                    "migcov: {} is NOT intact: {} changed, {} missing, {} extra",
                    args.dir.display(),
                    result.changed.len(),
                    result.missing.len(),
                    result.extra.len()
                );
                Exit::GateFailed.into()
            }
        }
        Err(err) => fail(err),
    }
}

/// `migcov diff`: writes the comparison and prints its Markdown.
fn diff(args: migcov::cli::DiffArgs) -> ExitCode {
    match migcov::diff(&args.old, &args.new, &args.out, args.templates.as_deref()) {
        Ok(changes) => {
            print!("{}", migcov::archive::diff::markdown(&changes));
            println!(
                "migcov: wrote diff.html, diff.md and diff.json to {}",
                args.out.display()
            );
            Exit::Clean.into()
        }
        Err(err) => fail(err),
    }
}

/// `migcov generate`: writes the synthetic dataset.
fn generate(args: migcov::cli::GenerateArgs) -> ExitCode {
    match migcov::generate::generate_shaped(&args.out, args.records, args.seed, args.shape) {
        Ok(summary) => {
            println!(
                "migcov: wrote a dataset of {} records to {}",
                summary.records,
                args.out.display()
            );
            Exit::Clean.into()
        }
        Err(err) => fail(err),
    }
}

/// `migcov rules --json`: the registry as JSON.
fn rules_json() -> ExitCode {
    match serde_json::to_string_pretty(migcov::validate::RULES) {
        Ok(text) => {
            println!("{text}");
            Exit::Clean.into()
        }
        Err(err) => fail(err),
    }
}

/// `migcov rule <id>`: one rule's header, summary and docs.
fn explain_rule(args: migcov::cli::RuleArgs) -> ExitCode {
    match migcov::validate::find_rule(&args.id) {
        Some(rule) => {
            println!(
                "{} ({}, {}, since {})",
                rule.id,
                rule.family.as_str(),
                rule.severity.as_str(),
                rule.since
            );
            println!("\n{}\n\n{}", rule.summary, rule.docs);
            Exit::Clean.into()
        }
        None => fail(format!("unknown rule {:?} (see `migcov rules`)", args.id)),
    }
}

/// `migcov rules`: one line per rule.
fn list_rules() -> ExitCode {
    for rule in migcov::validate::RULES {
        println!(
            "{:<44} {:<8} {}",
            rule.id,
            rule.severity.as_str(),
            rule.summary
        );
    }
    Exit::Clean.into()
}

/// `migcov templates`: writes the built-in templates to start from.
fn templates(args: migcov::cli::TemplatesArgs) -> ExitCode {
    match migcov::render::assets::write_defaults(&args.out) {
        Ok(n) => {
            println!("migcov: wrote {n} templates to {}", args.out.display());
            Exit::Clean.into()
        }
        Err(err) => fail(err),
    }
}

/// A character that moves or reorders what is printed after it without being a control
/// character: line and paragraph separators, and the bidirectional marks and overrides
/// (U+202E shows `exe.txt` as `txt.exe`).
fn invisible(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
