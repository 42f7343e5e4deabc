//! The `api/` files: the seed's GET endpoints as static JSON, from the same report model
//! the pages use. `POST /api/reports/generate` is the build command itself.

use serde::Serialize;
use serde_json::json;

use super::RenderError;
use crate::model::Severity;
use crate::output::Site;
use crate::report::{EntityView, Report};
use crate::validate::{Family, RULES};

fn pretty(value: &impl Serialize) -> Result<Vec<u8>, RenderError> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| RenderError::Encode {
        what: "JSON".into(),
        message: e.to_string(),
    })?;
    text.push(b'\n');
    Ok(text)
}

pub fn render(report: &Report, site: &mut Site) -> Result<(), RenderError> {
    let domains: Vec<_> = report
        .domains
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "name": d.name,
                "priority": d.priority,
                "coverage_percentage": d.coverage_percentage,
                "total_records": d.total_records,
                "migrated_records": d.migrated_records,
                "failed_records": d.failed_records,
                "ledger": d.ledger,
            })
        })
        .collect();
    site.add(
        "api/coverage/summary.json",
        pretty(&json!({
            "report": report.summary,
            "domains": domains,
            "findings": report.finding_counts,
            "missing_records": report.missing_records,
            "gate": report.verdict,
            "ledger": report.ledger.as_ref().map(|l| &l.totals),
            "not_covered_by_any_script": report.ledger.as_ref().map(|l| json!({
                "tables": l.totals.uncovered_tables,
                "legacy_rows": l.totals.uncovered_rows,
            })),
            "declared": report.declared,
        }))?,
    )?;
    if let Some(ledger) = &report.ledger {
        let rows: Vec<_> = ledger
            .rows
            .iter()
            .map(|l| {
                json!({
                    "table": l.row.table,
                    "domain": l.row.domain,
                    "state": l.state,
                    "legacy_rows": l.row.legacy_rows,
                    "migrated": l.row.migrated,
                    "failed": l.row.failed,
                    "excluded": l.row.excluded,
                    "unaccounted": l.row.unaccounted,
                    "difference": l.row.difference,
                    "in_scope": l.row.in_scope,
                    "coverage": l.row.coverage,
                    "entities": l.entity_links,
                    "scripts": l.script_links,
                })
            })
            .collect();
        let by_domain: Vec<_> = ledger
            .by_domain
            .iter()
            .map(|d| json!({ "domain": d.domain, "totals": d.totals }))
            .collect();
        site.add(
            "api/ledger.json",
            pretty(&json!({
                "equation": "legacy_rows = migrated + failed + excluded + unaccounted (+ difference when the terms exceed the rows)",
                "totals": ledger.totals,
                "by_domain": by_domain,
                "tables": rows,
                "exclusions": report.exclusions,
            }))?,
        )?;
    }

    for family in [
        Family::Coverage,
        Family::Integrity,
        Family::Missing,
        Family::Reconcile,
    ] {
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule.rule().family == family)
            .collect();
        let rules: Vec<_> = RULES
            .iter()
            .filter(|r| r.family == family)
            .map(|r| {
                let of_rule = findings.iter().filter(|f| f.rule == r.id);
                json!({
                    "id": r.id,
                    "severity": r.severity,
                    "summary": r.summary,
                    "passed": of_rule.clone().next().is_none(),
                    "violations": of_rule.map(|f| f.count).sum::<u64>(),
                })
            })
            .collect();
        let mut body = json!({
            "family": family,
            "passed": !findings.iter().any(|f| f.severity == Severity::Error),
            "rules": rules,
            "findings": findings,
        });
        match family {
            Family::Missing => body["missing_records"] = json!(report.missing_records),
            Family::Reconcile => body["entities"] = json!(report.reconciliation),
            _ => {}
        }
        site.add(
            format!("api/validate/{}.json", family.as_str()),
            pretty(&body)?,
        )?;
    }

    for domain in &report.domains {
        let entities: Vec<&EntityView> = report
            .entities
            .iter()
            .filter(|e| e.domain == Some(domain.name))
            .collect();
        site.add(
            format!("api/coverage/domain/{}.json", domain.slug),
            pretty(domain)?,
        )?;
        site.add(
            format!("api/entities/{}.json", domain.slug),
            pretty(&entities)?,
        )?;
    }

    let scripts: Vec<_> = report
        .scripts
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "name": s.name,
                "category": s.category,
                "data_domain": s.data_domain,
                "source_table": s.source_table,
                "target_table": s.target_table,
                "record_count": s.record_count,
                "success_rate": s.success_rate,
                "declared_success_rate": s.declared_success_rate,
                "attempts_success_rate": s.attempts.success_rate,
                "status": s.status,
            })
        })
        .collect();
    site.add("api/scripts.json", pretty(&scripts)?)?;

    for script in &report.scripts {
        site.add(
            format!("api/scripts/{}/metrics.json", script.id),
            pretty(&json!({
                "script_id": script.id,
                "totals": script.totals,
                "executions": script.executions,
            }))?,
        )?;
    }
    Ok(())
}
