//! The gate CI fails on: any error-severity finding, plus the thresholds of `migcov.yaml`'s
//! `gate:` section or the matching flags (the flags win).

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Finding;
use crate::model::config::{GateConfig, MinCoverage};
use crate::model::{percents_below, Domain};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Verdict {
    pub passed: bool,
    /// Why it failed, one line each; empty when it passed.
    pub reasons: Vec<String>,
    /// The thresholds in force and where each came from (none in reports written before
    /// 2026-11-28).
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    /// The names of the thresholds that failed (`fail_under`, `max_missing_records`).
    #[serde(default)]
    pub failed_thresholds: Vec<Cow<'static, str>>,
    /// The rules whose severity `migcov.yaml` or `--severity` set, and to what (`off`:
    /// not checked). A rule switched off read as passing, and a diff called its findings
    /// resolved (found by an independent check). Written by every report since 2026-12-07
    /// (`{}` when none is set); `None` in earlier ones, whose settings are unknown.
    #[serde(default)]
    pub severity: Option<BTreeMap<String, crate::model::config::SeverityOverride>>,
    /// The same thresholds, for colour bands that must agree with the gate.
    #[serde(skip)]
    pub config: GateConfig,
}

/// One gate threshold in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Threshold {
    /// `fail_under`, `min_domain_coverage`, `max_missing_records`, `min_intact_rate` or
    /// `max_value_mismatches`.
    pub name: Cow<'static, str>,
    pub value: ThresholdValue,
    /// `--fail-under` or `migcov.yaml gate.fail_under`, ...
    pub source: String,
}

/// A threshold's value: a count (`max_missing_records`), a rate (`fail_under`) or the
/// domains' minimum coverage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ThresholdValue {
    Count(u64),
    Rate(f64),
    Domains(MinCoverage),
}

impl std::fmt::Display for ThresholdValue {
    /// As JSON: `0.9`, `100`, `{"CLINICAL":0.99}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| std::fmt::Error)?)
    }
}

/// Where each threshold of a [`GateConfig`] came from: a flag or `migcov.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GateSources {
    pub fail_under: String,
    pub min_domain_coverage: String,
    pub max_missing_records: String,
    pub min_intact_rate: String,
    pub max_value_mismatches: String,
}

/// What the content thresholds judge: the share of compared rows that arrived intact
/// (`None` when no values were compared) and the rows that differ.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ContentFigures {
    pub intact_rate: Option<f64>,
    pub differs: u64,
}

/// The figures the thresholds judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GateFigures {
    /// `fail_under`'s: `None` when no record was processed.
    pub overall_success_rate: Option<f64>,
    /// `max_missing_records`'.
    pub missing_records: u64,
    /// Whether missing data was measured at all (a `source_ids/` file or a pushed-down
    /// table): without, `missing_records` is 0 for want of ids, not for want of gaps.
    pub missing_measured: bool,
    /// `min_domain_coverage`'s: each domain's coverage, `None` when nothing of it is in
    /// scope (n/a, never judged as 0%).
    pub domains: Vec<(Domain, Option<f64>)>,
    pub content: ContentFigures,
}

impl GateSources {
    /// Flags win over the file; each source is named as the user wrote it.
    pub fn merge(flags: &GateConfig, file: &GateConfig) -> (GateConfig, GateSources) {
        fn pick<T: Clone>(
            flag: &Option<T>,
            file: &Option<T>,
            flag_name: &str,
            key: &str,
        ) -> (Option<T>, String) {
            match (flag, file) {
                (Some(v), _) => (Some(v.clone()), flag_name.to_string()),
                (None, Some(v)) => (Some(v.clone()), format!("migcov.yaml gate.{key}")),
                (None, None) => (None, String::new()),
            }
        }
        let (fail_under, s1) = pick(
            &flags.fail_under,
            &file.fail_under,
            "--fail-under",
            "fail_under",
        );
        let (min_domain_coverage, s2) = pick(
            &flags.min_domain_coverage,
            &file.min_domain_coverage,
            "--min-domain-coverage",
            "min_domain_coverage",
        );
        let (max_missing_records, s3) = pick(
            &flags.max_missing_records,
            &file.max_missing_records,
            "--max-missing",
            "max_missing_records",
        );
        let (min_intact_rate, s4) = pick(
            &flags.min_intact_rate,
            &file.min_intact_rate,
            "--min-intact-rate",
            "min_intact_rate",
        );
        let (max_value_mismatches, s5) = pick(
            &flags.max_value_mismatches,
            &file.max_value_mismatches,
            "--max-value-mismatches",
            "max_value_mismatches",
        );
        (
            GateConfig {
                fail_under,
                min_domain_coverage,
                max_missing_records,
                min_intact_rate,
                max_value_mismatches,
            },
            GateSources {
                fail_under: s1,
                min_domain_coverage: s2,
                max_missing_records: s3,
                min_intact_rate: s4,
                max_value_mismatches: s5,
            },
        )
    }
}

/// The content thresholds in force, and why they fail: `min_intact_rate` (which fails
/// when no values were compared: a minimum nothing was measured against is not met) and
/// `max_value_mismatches`.
fn content_thresholds(
    config: &GateConfig,
    sources: &GateSources,
    content: ContentFigures,
) -> (Vec<Threshold>, Vec<Cow<'static, str>>, Vec<String>) {
    let (mut thresholds, mut failed, mut reasons) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(minimum) = config.min_intact_rate {
        thresholds.push(Threshold {
            name: "min_intact_rate".into(),
            value: ThresholdValue::Rate(minimum),
            source: sources.min_intact_rate.clone(),
        });
        let reason = match content.intact_rate {
            None => Some(format!(
                "no values were compared (no content: declaration was checked, or none of its rows was), so {} {:.2}% is not met",
                sources.min_intact_rate,
                minimum * 100.0
            )),
            Some(rate) if rate < minimum => {
                let (rate, minimum) = percents_below(rate, minimum);
                Some(format!(
                    "{rate} of the compared rows arrived intact, below {} {minimum}",
                    sources.min_intact_rate,
                ))
            }
            Some(_) => None,
        };
        if let Some(reason) = reason {
            failed.push("min_intact_rate".into());
            reasons.push(reason);
        }
    }
    if let Some(maximum) = config.max_value_mismatches {
        thresholds.push(Threshold {
            name: "max_value_mismatches".into(),
            value: ThresholdValue::Count(maximum),
            source: sources.max_value_mismatches.clone(),
        });
        if content.intact_rate.is_none() {
            // A maximum nothing was measured against is not met, as a minimum is not (found
            // by an independent check: with no `content:` declaration it passed).
            failed.push("max_value_mismatches".into());
            reasons.push(format!(
                "no values were compared (no content: declaration was checked, or none of its rows was), so {} {maximum} is not met",
                sources.max_value_mismatches
            ));
        } else if content.differs > maximum {
            failed.push("max_value_mismatches".into());
            reasons.push(format!(
                "{} compared {} in a value, more than {} {maximum}",
                content.differs,
                crate::model::noun(content.differs, "row differs", "rows differ"),
                sources.max_value_mismatches
            ));
        }
    }
    (thresholds, failed, reasons)
}

/// The domains whose coverage is below their minimum, each with its coverage and its
/// minimum as percentages that read so ([`percents_below`]); a domain with nothing in
/// scope (n/a) is not judged. The gate's threshold and the rule
/// `coverage.domain.threshold` both judge by this.
pub fn domains_below(
    domains: &[(Domain, Option<f64>)],
    minimum: &MinCoverage,
) -> Vec<(Domain, String, String)> {
    domains
        .iter()
        .filter_map(|(domain, coverage)| {
            let required = minimum.for_domain(*domain)?;
            let coverage = (*coverage)?;
            (coverage < required).then(|| {
                let (coverage, required) = percents_below(coverage, required);
                (*domain, coverage, required)
            })
        })
        .collect()
}

/// Applies the gate to a run's findings, overall success rate, missing records and
/// compared values.
pub fn gate(
    findings: &[Finding],
    figures: &GateFigures,
    config: &GateConfig,
    sources: &GateSources,
) -> Verdict {
    let mut thresholds = Vec::new();
    if let Some(v) = config.fail_under {
        thresholds.push(Threshold {
            name: "fail_under".into(),
            value: ThresholdValue::Rate(v),
            source: sources.fail_under.clone(),
        });
    }
    if let Some(v) = &config.min_domain_coverage {
        thresholds.push(Threshold {
            name: "min_domain_coverage".into(),
            value: ThresholdValue::Domains(v.clone()),
            source: sources.min_domain_coverage.clone(),
        });
    }
    if let Some(v) = config.max_missing_records {
        thresholds.push(Threshold {
            name: "max_missing_records".into(),
            value: ThresholdValue::Count(v),
            source: sources.max_missing_records.clone(),
        });
    }
    let mut reasons = Vec::new();
    let errors: Vec<&Finding> = findings.iter().filter(|f| f.fails_gate()).collect();
    if !errors.is_empty() {
        let mut rules: Vec<&str> = errors.iter().map(|f| f.rule.as_str()).collect();
        rules.dedup();
        reasons.push(format!(
            "{} error {} ({})",
            errors.len(),
            crate::model::noun(errors.len() as u64, "finding", "findings"),
            rules.join(", ")
        ));
    }
    let mut failed_thresholds = Vec::new();
    if let Some(minimum) = config.fail_under {
        let reason = match figures.overall_success_rate {
            // Nothing processed: a minimum nothing was measured against is not met.
            None => Some(format!(
                "no record was processed (the overall success rate is n/a), so {} {} is not met",
                sources.fail_under,
                percents_below(minimum, minimum).1
            )),
            Some(rate) if rate < minimum => {
                let (rate, minimum) = percents_below(rate, minimum);
                Some(format!(
                    "overall success rate {rate} is below {} {minimum}",
                    sources.fail_under,
                ))
            }
            Some(_) => None,
        };
        if let Some(reason) = reason {
            failed_thresholds.push("fail_under".into());
            reasons.push(reason);
        }
    }
    if let Some(minimum) = &config.min_domain_coverage {
        // Each domain with a minimum, in scope: the rule `coverage.domain.threshold` says
        // the same, but the threshold fails the gate whatever the rule's severity.
        let below: Vec<String> = domains_below(&figures.domains, minimum)
            .into_iter()
            .map(|(domain, coverage, required)| {
                format!("{} {coverage} < {required}", domain.as_str())
            })
            .collect();
        if !below.is_empty() {
            failed_thresholds.push("min_domain_coverage".into());
            reasons.push(format!(
                "domain coverage below {}: {}",
                sources.min_domain_coverage,
                below.join(", ")
            ));
        }
        // A minimum no domain's figure was measured against is not met, as `fail_under`
        // with nothing processed is not (found by an independent check: the gate passed
        // with every domain n/a).
        let measured = figures
            .domains
            .iter()
            .any(|(domain, coverage)| coverage.is_some() && minimum.for_domain(*domain).is_some());
        if !measured {
            failed_thresholds.push("min_domain_coverage".into());
            reasons.push(format!(
                "no domain it applies to has rows in scope (every coverage is n/a), so {} is \
                 not met",
                sources.min_domain_coverage
            ));
        }
    }
    if let Some(maximum) = config.max_missing_records {
        let missing = figures.missing_records;
        if !figures.missing_measured {
            failed_thresholds.push("max_missing_records".into());
            reasons.push(format!(
                "no source ids were given (source_ids/), so missing data was not measured \
                 and {} {maximum} is not met",
                sources.max_missing_records
            ));
        } else if missing > maximum {
            failed_thresholds.push("max_missing_records".into());
            reasons.push(format!(
                "{missing} legacy records have no mapping, more than {} {maximum}",
                sources.max_missing_records
            ));
        }
    }
    let (more, failed, why) = content_thresholds(config, sources, figures.content);
    thresholds.extend(more);
    failed_thresholds.extend(failed);
    reasons.extend(why);
    Verdict {
        passed: reasons.is_empty(),
        reasons,
        thresholds,
        failed_thresholds,
        severity: None,
        config: config.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;
    use crate::validate::{RuleId, Subject};

    fn figures(overall_success_rate: Option<f64>, missing_records: u64) -> GateFigures {
        GateFigures {
            overall_success_rate,
            missing_records,
            missing_measured: true,
            ..GateFigures::default()
        }
    }

    /// Found by an independent check: a rate just below its bound read as the bound
    /// (`95.00% is below --fail-under 95.00%`); a missed domain minimum was no failed
    /// threshold (the gate passed with the rule's severity lowered), a domain missing from
    /// domains.yaml was never judged, and one with nothing in scope was judged as 0%.
    #[test]
    fn missed_thresholds_read_below_their_bound_and_every_domain_is_judged() {
        assert_eq!(
            percents_below(0.94999, 0.95),
            ("94.99%".to_string(), "95.00%".to_string())
        );
        assert_eq!(
            percents_below(0.99995, 1.0),
            ("99.99%".to_string(), "100.00%".to_string())
        );
        assert_eq!(
            percents_below(0.99985, 0.9999),
            ("99.98%".to_string(), "99.99%".to_string())
        );
        assert_eq!(
            percents_below(0.123455, 0.123456),
            ("12.3455%".to_string(), "12.3456%".to_string())
        );
        let config = GateConfig {
            fail_under: Some(0.95),
            min_domain_coverage: Some(MinCoverage::All(0.95)),
            ..GateConfig::default()
        };
        let sources = GateSources {
            fail_under: "--fail-under".into(),
            min_domain_coverage: "--min-domain-coverage".into(),
            ..GateSources::default()
        };
        let verdict = gate(
            &[],
            &GateFigures {
                overall_success_rate: Some(0.94999),
                domains: vec![
                    (Domain::Business, Some(0.94)),
                    (Domain::Clinical, None),
                    (Domain::Technical, Some(0.1)),
                    (Domain::Communications, Some(0.95)),
                ],
                ..GateFigures::default()
            },
            &config,
            &sources,
        );
        assert_eq!(
            verdict.failed_thresholds,
            ["fail_under", "min_domain_coverage"]
        );
        assert_eq!(
            verdict.reasons,
            [
                "overall success rate 94.99% is below --fail-under 95.00%",
                "domain coverage below --min-domain-coverage: BUSINESS 94.00% < 95.00%, TECHNICAL 10.00% < 95.00%"
            ]
        );
        // Nothing processed: said as n/a, never as 0.00%. No domain measured, and no source
        // ids given: a minimum or maximum nothing was measured against is not met (found by
        // an independent check: both passed).
        let verdict = gate(&[], &figures(None, 0), &config, &sources);
        assert_eq!(
            verdict.reasons,
            [
                "no record was processed (the overall success rate is n/a), so --fail-under 95.00% is not met",
                "no domain it applies to has rows in scope (every coverage is n/a), so --min-domain-coverage is not met"
            ]
        );
        let missing = GateConfig {
            max_missing_records: Some(0),
            ..GateConfig::default()
        };
        let sources = GateSources {
            max_missing_records: "--max-missing".into(),
            ..GateSources::default()
        };
        let unmeasured = GateFigures {
            missing_measured: false,
            ..figures(Some(1.0), 0)
        };
        assert_eq!(
            gate(&[], &unmeasured, &missing, &sources).reasons,
            ["no source ids were given (source_ids/), so missing data was not measured and --max-missing 0 is not met"]
        );
        assert!(gate(&[], &figures(Some(1.0), 0), &missing, &sources).passed);
        assert!(crate::model::at_most(29.0, 0.29 * 100.0));
        assert!(!crate::model::at_most(30.0, 0.29 * 100.0));
        assert!(crate::model::at_most((0.8f64 - 0.7).abs(), 0.1));
    }

    fn finding(rule: RuleId, severity: Severity, count: u64) -> Finding {
        let mut f = Finding::new(rule, Subject::new("table", "x"), "m");
        f.severity = severity;
        f.count = count;
        f
    }

    #[test]
    fn content_thresholds_fail_below_the_minimum_and_without_any_comparison() {
        let config = GateConfig {
            min_intact_rate: Some(0.95),
            max_value_mismatches: Some(2),
            ..GateConfig::default()
        };
        let sources = GateSources {
            min_intact_rate: "--min-intact-rate".into(),
            max_value_mismatches: "migcov.yaml gate.max_value_mismatches".into(),
            ..GateSources::default()
        };
        let run = |intact_rate, differs| {
            gate(
                &[],
                &GateFigures {
                    content: ContentFigures {
                        intact_rate,
                        differs,
                    },
                    ..GateFigures::default()
                },
                &config,
                &sources,
            )
        };
        assert!(run(Some(0.95), 2).passed);
        // 79 of 82 intact (the sample): 96.34%, 3 rows differ.
        let verdict = run(Some(79.0 / 82.0), 3);
        assert_eq!(verdict.failed_thresholds, ["max_value_mismatches"]);
        assert_eq!(
            verdict.reasons,
            ["3 compared rows differ in a value, more than migcov.yaml gate.max_value_mismatches 2"]
        );
        let verdict = run(Some(0.9), 0);
        assert_eq!(verdict.failed_thresholds, ["min_intact_rate"]);
        assert_eq!(
            verdict.reasons,
            ["90.00% of the compared rows arrived intact, below --min-intact-rate 95.00%"]
        );
        // Nothing compared: a minimum or maximum nothing was measured against is not met.
        let verdict = run(None, 0);
        assert_eq!(
            verdict.failed_thresholds,
            ["min_intact_rate", "max_value_mismatches"]
        );
        assert_eq!(
            verdict.reasons[1],
            "no values were compared (no content: declaration was checked, or none of its rows was), so migcov.yaml gate.max_value_mismatches 2 is not met"
        );
    }

    #[test]
    fn errors_rates_and_missing_counts_each_fail_the_gate() {
        let none = GateConfig::default();
        assert!(gate(&[], &figures(Some(0.5), 0), &none, &GateSources::default()).passed);
        let warning = finding(RuleId::MissingMappingUnmapped, Severity::Warning, 7);
        assert!(
            gate(
                std::slice::from_ref(&warning),
                &figures(None, 7),
                &none,
                &GateSources::default()
            )
            .passed
        );
        let error = finding(RuleId::IntegrityJsonInvalid, Severity::Error, 1);
        let verdict = gate(&[error], &figures(None, 0), &none, &GateSources::default());
        assert_eq!(
            verdict.reasons,
            ["1 error finding (integrity.json.invalid)"]
        );

        let strict = GateConfig {
            fail_under: Some(0.9),
            min_domain_coverage: None,
            max_missing_records: Some(6),
            ..GateConfig::default()
        };
        let sources = GateSources {
            fail_under: "--fail-under".into(),
            min_domain_coverage: String::new(),
            max_missing_records: "migcov.yaml gate.max_missing_records".into(),
            ..GateSources::default()
        };
        let verdict = gate(&[warning], &figures(Some(0.89), 7), &strict, &sources);
        assert_eq!(
            verdict.reasons,
            [
                "overall success rate 89.00% is below --fail-under 90.00%",
                "7 legacy records have no mapping, more than migcov.yaml gate.max_missing_records 6"
            ]
        );
        assert_eq!(verdict.reasons.len(), 2, "{:?}", verdict.reasons);
        assert!(verdict.reasons[1].starts_with("7 legacy records have no mapping"));
        assert!(
            gate(&[], &figures(Some(0.9), 6), &strict, &sources).passed,
            "the bound itself passes"
        );
    }
}
