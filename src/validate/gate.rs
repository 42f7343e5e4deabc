//! The gate CI fails on: any error-severity finding, plus the thresholds of `migcov.yaml`'s
//! `gate:` section or the matching flags (the flags win).

use serde::Serialize;

use super::{missing, Finding};
use crate::model::config::GateConfig;
use crate::model::Severity;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub passed: bool,
    /// Why it failed, one line each; empty when it passed.
    pub reasons: Vec<String>,
}

/// Applies the gate to a run's findings and overall success rate.
pub fn gate(
    findings: &[Finding],
    overall_success_rate: Option<f64>,
    config: &GateConfig,
) -> Verdict {
    let mut reasons = Vec::new();
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        let mut rules: Vec<&str> = errors.iter().map(|f| f.rule).collect();
        rules.dedup();
        reasons.push(format!(
            "{} error findings ({})",
            errors.len(),
            rules.join(", ")
        ));
    }
    if let Some(minimum) = config.fail_under {
        let rate = overall_success_rate.unwrap_or(0.0);
        if rate < minimum {
            reasons.push(format!(
                "overall success rate {:.2}% is below --fail-under {:.2}%",
                rate * 100.0,
                minimum * 100.0
            ));
        }
    }
    if let Some(maximum) = config.max_missing_records {
        let missing = missing::missing_total(findings);
        if missing > maximum {
            reasons.push(format!(
                "{missing} legacy records have no mapping, more than --max-missing {maximum}"
            ));
        }
    }
    Verdict {
        passed: reasons.is_empty(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Subject;

    fn finding(rule: &'static str, severity: Severity, count: u64) -> Finding {
        let mut f = Finding::new(rule, Subject::new("table", "x"), "m");
        f.severity = severity;
        f.count = count;
        f
    }

    #[test]
    fn errors_rates_and_missing_counts_each_fail_the_gate() {
        let none = GateConfig::default();
        assert!(gate(&[], Some(0.5), &none).passed);
        let warning = finding("missing.mapping.unmapped", Severity::Warning, 7);
        assert!(gate(std::slice::from_ref(&warning), None, &none).passed);
        let error = finding("integrity.json.invalid", Severity::Error, 1);
        let verdict = gate(&[error], None, &none);
        assert_eq!(
            verdict.reasons,
            ["1 error findings (integrity.json.invalid)"]
        );

        let strict = GateConfig {
            fail_under: Some(0.9),
            min_domain_coverage: None,
            max_missing_records: Some(6),
        };
        let verdict = gate(&[warning], Some(0.89), &strict);
        assert_eq!(verdict.reasons.len(), 2, "{:?}", verdict.reasons);
        assert!(verdict.reasons[1].starts_with("7 legacy records have no mapping"));
        assert!(
            gate(&[], Some(0.9), &strict).passed,
            "the bound itself passes"
        );
    }
}
