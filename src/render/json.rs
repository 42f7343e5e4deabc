//! The `api/` files: the seed's GET endpoints as static JSON, from the same report model
//! the pages use. `POST /api/reports/generate` is the build command itself.

use serde::Serialize;
use serde_json::json;

use super::RenderError;
use crate::output::Site;
use crate::report::{EntityView, Report};
use crate::validate::{Family, RULES};

/// The version of the JSON outputs' schema (`migcov schema`), written into every object.
pub const SCHEMA_VERSION: &str = "1";

/// The JSON Schema (draft 2020-12) of every JSON file migcov writes.
pub const SCHEMA: &str = include_str!("schema.json");

/// Per rule with findings: severity, findings, violating rows, waived findings.
fn rule_counts(report: &Report) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for f in &report.findings {
        let entry = out.entry(f.rule.as_str().to_string()).or_insert_with(
            || json!({"severity": f.severity, "findings": 0, "violations": 0, "waived": 0}),
        );
        entry["findings"] = json!(entry["findings"].as_u64().unwrap_or(0) + 1);
        entry["violations"] = json!(entry["violations"].as_u64().unwrap_or(0) + f.count);
        if f.waiver.is_some() {
            entry["waived"] = json!(entry["waived"].as_u64().unwrap_or(0) + 1);
        }
    }
    out
}

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
            "schema_version": SCHEMA_VERSION,
            "report": report.summary,
            "rules": rule_counts(report),
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
            "unlinked": report.unlinked,
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
                    "ambiguous": l.row.ambiguous,
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
                "schema_version": SCHEMA_VERSION,
                "equation": "legacy_rows = migrated + failed + excluded + unaccounted; each term is capped at what the terms before it leave, difference (<= 0) is what the sources claimed beyond the rows, ambiguous is the part of unaccounted whose mappings name no table of a shared entity type",
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
            "schema_version": SCHEMA_VERSION,
            "family": family,
            "passed": !findings.iter().any(|f| f.fails_gate()),
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
        let mut body = serde_json::to_value(domain).map_err(|e| RenderError::Encode {
            what: "JSON".into(),
            message: e.to_string(),
        })?;
        body["schema_version"] = json!(SCHEMA_VERSION);
        site.add(
            format!("api/coverage/domain/{}.json", domain.slug),
            pretty(&body)?,
        )?;
        site.add(
            format!("api/entities/{}.json", domain.slug),
            pretty(&json!({
                "schema_version": SCHEMA_VERSION,
                "domain": domain.name,
                "entities": entities,
            }))?,
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
    site.add(
        "api/scripts.json",
        pretty(&json!({ "schema_version": SCHEMA_VERSION, "scripts": scripts }))?,
    )?;

    for script in &report.scripts {
        site.add(
            format!("api/scripts/{}/metrics.json", script.id),
            pretty(&json!({
                "schema_version": SCHEMA_VERSION,
                "script_id": script.id,
                "totals": script.totals,
                "executions": script.executions,
            }))?,
        )?;
    }
    Ok(())
}
