//! The data model's own rules on manifests that the other families do not cover: domain
//! ids unique, a script's domain listed, an entity's domain agreeing with its script's, an
//! entity with no script, a declared `coverage_percentage` agreeing with the computed one,
//! and target tables that nobody writes.

use std::collections::{BTreeMap, BTreeSet};

use super::manifests::{sample, shared_by};
use crate::load::{table_key, Inputs, Inventory};
use crate::measure::Measures;
use crate::model::{Domain, Origin};
use crate::validate::shared::list_finding;
use crate::validate::{Field, Finding, RuleId, Sample, Subject};

crate::validate::registry::declare_rules! {
    COVERAGE_TABLE_UNWRITTEN_TARGET = "coverage.table.unwritten_target", Coverage, Warning,
        "Every table in the target inventory is written by a script or an entity",
        "A modern table that is the target_table of no script and no entity holds rows the report cannot account for: \
         written by hand, by an undeclared script, or left over from a test run. The finding lists each with its row \
         count. Declare the script that writes it, or drop the table from the target inventory if it is not migrated \
         data. Example: `audit_import,120` with no script targeting `audit_import`.";
    INTEGRITY_DOMAIN_COVERAGE_CLAIM = "integrity.domain.coverage_claim", Integrity, Warning,
        "A coverage_percentage stated in domains.yaml agrees with the computed one",
        "domains.yaml may carry the seed's coverage_percentage; migcov computes its own (the ledger's, or the entities' \
         without an inventory) and reports a gap larger than success_rate_tolerance. The computed figure is the one \
         shown. Example: `coverage_percentage: 0.95` while the domain's tables are 0.90 migrated.";
    INTEGRITY_DOMAIN_DUPLICATE_ID = "integrity.domain.duplicate_id", Integrity, Error,
        "Domain ids are unique",
        "Two domains with one id make every reference to that id ambiguous. Give each domain its own UUID, or leave id \
         out (it is derived from the name). Example: CLINICAL and BUSINESS both with id 0b6f1f0e-....";
    INTEGRITY_ENTITY_DOMAIN_MISMATCH = "integrity.entity.domain_mismatch", Integrity, Warning,
        "An entity's domain agrees with its script's data_domain",
        "An entity in CLINICAL migrated by a script declared BUSINESS is counted in one domain by the ledger and in \
         another on the scripts pages. Align the two. Example: entity patients (CLINICAL) with \
         migration_script_id office-migration.ts (BUSINESS).";
    INTEGRITY_TABLE_DOMAIN_CONFLICT = "integrity.table.domain_conflict", Integrity, Warning,
        "The entities that own one legacy table are of one domain",
        "A legacy table's rows are counted in one domain's coverage. When entities of several domains own it (a \
         shared table split by type, or one entity filed under the wrong domain), the ledger counts it in the \
         domain of the first of them by name, and the other domains' figures leave it out. Give the entities one \
         domain, or split the table. Example: entities patients (CLINICAL) and billing (BUSINESS) both with \
         legacy_table dispatch_patient.";
    INTEGRITY_ENTITY_NO_SCRIPT = "integrity.entity.no_script", Integrity, Warning,
        "Every entity names the script that migrates it",
        "An entity without migration_script_id belongs to no script: its records are in no script's page and no \
         untagged metrics can be credited to it. Add migration_script_id (the script's name or UUID).";
    INTEGRITY_SCRIPT_UNKNOWN_DOMAIN = "integrity.script.unknown_domain", Integrity, Error,
        "Every script's data_domain is listed in domains.yaml",
        "A script in a domain that domains.yaml does not list has no domain page and no priority, and its records \
         fall outside every domain's coverage. List the domain, or fix the script's data_domain. Example: \
         data_domain TECHNICAL with only CLINICAL and BUSINESS in domains.yaml.";
}

/// Runs the seed's rules, one phase each, adding their findings in this order (the final
/// sort by rule and subject keeps it among equals).
pub fn check(inputs: &Inputs, measures: &Measures, findings: &mut Vec<Finding>) {
    duplicate_domain_ids(inputs, findings);
    unknown_script_domains(inputs, findings);
    entity_scripts(inputs, findings);
    coverage_claims(inputs, measures, findings);
    domain_conflicts(inputs, measures, findings);
    if let Some(targets) = &inputs.target_tables {
        unwritten_targets(inputs, targets, findings);
    }
}

/// `integrity.domain.duplicate_id`: domains that share an id.
fn duplicate_domain_ids(inputs: &Inputs, findings: &mut Vec<Finding>) {
    for (id, domains) in shared_by(inputs.domains.iter().map(|d| (d.id, d))) {
        findings.extend(list_finding(
            RuleId::IntegrityDomainDuplicateId,
            Subject::new("domain", id.to_string()),
            domains
                .iter()
                .map(|d| sample(&d.origin, &[("name", d.name.to_string())]))
                .collect(),
            |n| format!("{n} domains share the id {id}"),
        ));
    }
}

/// `integrity.script.unknown_domain`: scripts whose data_domain domains.yaml does not list.
fn unknown_script_domains(inputs: &Inputs, findings: &mut Vec<Finding>) {
    let listed: BTreeSet<_> = inputs.domains.iter().map(|d| d.name).collect();
    for s in inputs
        .scripts
        .iter()
        .filter(|s| !listed.contains(&s.data_domain))
    {
        findings.push(
            Finding::new(
                RuleId::IntegrityScriptUnknownDomain,
                Subject::new("script", &s.name).with_id(s.id),
                format!(
                    "data_domain {} is not listed in domains.yaml",
                    s.data_domain
                ),
            )
            .with_sample(sample(
                &s.origin,
                &[("data_domain", s.data_domain.to_string())],
            )),
        );
    }
}

/// `integrity.entity.no_script` and `integrity.entity.domain_mismatch`: an entity that
/// names no script, or whose domain is not its script's.
fn entity_scripts(inputs: &Inputs, findings: &mut Vec<Finding>) {
    let scripts: BTreeMap<_, _> = inputs.scripts.iter().map(|s| (s.id, s)).collect();
    for e in &inputs.entities {
        let subject = || Subject::new("entity", &e.name).with_id(e.id);
        match (
            e.script_ref.as_deref(),
            e.migration_script_id.and_then(|id| scripts.get(&id)),
        ) {
            (None, _) => findings.push(
                Finding::new(
                    RuleId::IntegrityEntityNoScript,
                    subject(),
                    "no migration_script_id: no script accounts for this entity",
                )
                .with_sample(sample(
                    &e.origin,
                    &[("legacy_table", e.legacy_table.clone())],
                )),
            ),
            (Some(_), Some(script)) if e.domain.is_some_and(|d| d != script.data_domain) => {
                findings.push(
                    Finding::new(
                        RuleId::IntegrityEntityDomainMismatch,
                        subject(),
                        format!(
                            "domain {} but its script {} is in {}",
                            e.domain.map(|d| d.to_string()).unwrap_or_default(),
                            script.name,
                            script.data_domain
                        ),
                    )
                    .with_sample(sample(
                        &e.origin,
                        &[
                            (
                                "domain",
                                e.domain.map(|d| d.to_string()).unwrap_or_default(),
                            ),
                            ("script data_domain", script.data_domain.to_string()),
                        ],
                    )),
                )
            }
            _ => {}
        }
    }
}

/// `integrity.table.domain_conflict`: a ledger table owned by entities of several domains,
/// each entity a sample, the domain its rows count in named.
fn domain_conflicts(inputs: &Inputs, measures: &Measures, findings: &mut Vec<Finding>) {
    let Some(ledger) = &measures.ledger else {
        return;
    };
    let entities: BTreeMap<_, _> = inputs.entities.iter().map(|e| (e.id, e)).collect();
    let scripts: BTreeMap<_, _> = inputs.scripts.iter().map(|s| (s.id, s)).collect();
    for row in &ledger.rows {
        // Each claimant as (name, domain, where it is declared). A table no entity owns
        // takes its domain from its scripts: several of them in several domains are as
        // much a conflict (found by a review).
        let (what, kind, field, mut claimants): (_, _, _, Vec<(&str, Option<Domain>, &Origin)>) =
            match row.entities.is_empty() {
                false => (
                    "owned by entities",
                    "entity",
                    "domain",
                    row.entities
                        .iter()
                        .filter_map(|(id, _)| entities.get(id))
                        .map(|e| (e.name.as_str(), e.domain, &e.origin))
                        .collect(),
                ),
                true => (
                    "owned by no entity and read by scripts",
                    "script",
                    "data_domain",
                    row.scripts
                        .iter()
                        .filter_map(|(id, _)| scripts.get(id))
                        .map(|s| (s.name.as_str(), Some(s.data_domain), &s.origin))
                        .collect(),
                ),
            };
        claimants.sort_by(|a, b| a.0.cmp(b.0));
        let domains: BTreeSet<Domain> = claimants.iter().filter_map(|c| c.1).collect();
        if domains.len() < 2 {
            continue;
        }
        let shown = |d: Option<Domain>| d.map(|d| d.to_string()).unwrap_or_default();
        let mut finding = Finding::new(
            RuleId::IntegrityTableDomainConflict,
            Subject::new("table", &row.table),
            format!(
                "{what} of {} domains ({}): its rows count in {} alone",
                domains.len(),
                domains
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                shown(row.domain)
            ),
        );
        finding.count = claimants.len() as u64;
        finding.samples = claimants
            .iter()
            .map(|(name, domain, origin)| {
                sample(origin, &[(kind, name.to_string()), (field, shown(*domain))])
            })
            .collect();
        findings.push(finding);
    }
}

/// `integrity.domain.coverage_claim`: a declared coverage_percentage that the computed one
/// does not match within the tolerance.
fn coverage_claims(inputs: &Inputs, measures: &Measures, findings: &mut Vec<Finding>) {
    let tolerance = inputs.config.success_rate_tolerance;
    for d in &inputs.domains {
        let Some(declared) = d.declared_coverage else {
            continue;
        };
        let computed = match &measures.ledger {
            Some(l) => l.by_domain.get(&Some(d.name)).and_then(|t| t.coverage),
            None => measures.domains.get(&d.name).and_then(|t| t.coverage),
        };
        if computed.is_none_or(|c| !crate::model::at_most((c - declared).abs(), tolerance)) {
            findings.push(
                Finding::new(
                    RuleId::IntegrityDomainCoverageClaim,
                    Subject::new("domain", d.name.as_str()),
                    format!(
                        "domains.yaml says coverage_percentage {declared}, the report computes {}",
                        computed
                            .map(|c| format!("{c:.4}"))
                            .unwrap_or_else(|| "none".into())
                    ),
                )
                .with_sample(sample(
                    &d.origin,
                    &[("coverage_percentage", declared.to_string())],
                )),
            );
        }
    }
}

/// `coverage.table.unwritten_target`: target inventory tables that no script and no entity
/// writes.
fn unwritten_targets(inputs: &Inputs, targets: &Inventory, findings: &mut Vec<Finding>) {
    let written: BTreeSet<String> = inputs
        .scripts
        .iter()
        .map(|s| table_key(&s.target_table))
        .chain(inputs.entities.iter().map(|e| table_key(&e.target_table)))
        .collect();
    let unwritten: Vec<Sample> = targets
        .tables()
        .filter(|t| !written.contains(&table_key(&t.name)))
        .map(|t| Sample {
            file: t.file.clone(),
            row: Some(t.row),
            fields: vec![
                Field {
                    name: "table".into(),
                    value: t.name.clone(),
                },
                Field {
                    name: "row_count".into(),
                    value: t.row_count.to_string(),
                },
            ],
        })
        .collect();
    if !unwritten.is_empty() {
        let rows: i64 = targets
            .tables()
            .filter(|t| !written.contains(&table_key(&t.name)))
            .map(|t| t.row_count)
            .sum();
        let mut f = Finding::new(
            RuleId::CoverageTableUnwrittenTarget,
            Subject::new("table", "target inventory"),
            format!(
                "{} modern tables ({rows} rows) are written by no script and no entity",
                unwritten.len()
            ),
        );
        f.count = unwritten.len() as u64;
        f.samples = unwritten;
        findings.push(f);
    }
}
