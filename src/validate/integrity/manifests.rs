//! Field rules on manifest records (scripts, domains, entities): the seed's ranges,
//! non-negative counts, `.ts` names, unique domain names and resolvable references.

use std::collections::BTreeMap;

use crate::load::Inputs;
use crate::measure::Measures;
use crate::model::Origin;
use crate::validate::shared::list_finding;
use crate::validate::{Field, Finding, RuleId, Sample, Subject};

crate::validate::registry::declare_rules! {
    INTEGRITY_DOMAIN_DUPLICATE_NAME = "integrity.domain.duplicate_name", Integrity, Error,
        "Domain names are unique",
        "Each of CLINICAL, BUSINESS, COMMUNICATIONS and TECHNICAL may be listed once in domains.yaml.";
    INTEGRITY_ENTITY_COUNTS_EXCEED_TOTAL = "integrity.entity.counts_exceed_total", Integrity, Error,
        "An entity's migrated_records + failed_records <= total_records",
        "More migrated and failed records than exist in the legacy table means one of the counts is wrong.";
    INTEGRITY_ENTITY_NEGATIVE_COUNT = "integrity.entity.negative_count", Integrity, Error,
        "An entity's record counts are non-negative",
        "total_records, migrated_records and failed_records count rows and cannot be negative.";
    INTEGRITY_ENTITY_SHARED_ENTITY_TYPE = "integrity.entity.shared_entity_type", Integrity, Warning,
        "No two entities declare the same entity_type",
        "Missing data and reconciliation attribute LegacyMapping rows to an entity by entity_type. When two \
         entities declare the same type, each is compared with all of that type's mappings and both look \
         wrong: give each entity its own entity_type.";
    INTEGRITY_MANIFEST_DUPLICATE = "integrity.manifest.duplicate", Integrity, Error,
        "Script and entity ids and names are unique",
        "References may use a name or an id, so both must be unique among scripts and among entities. The first \
         record wins every reference; the others are ignored by the totals' links.";
    INTEGRITY_SCRIPT_NAME_EXTENSION = "integrity.script.name_extension", Integrity, Error,
        "Script names end with .ts",
        "A MigrationScript's name is its file name, e.g. office-migration.ts.";
    INTEGRITY_SCRIPT_NEGATIVE_RECORD_COUNT = "integrity.script.negative_record_count", Integrity, Error,
        "A script's record_count is non-negative",
        "record_count is the number of records the script processed.";
    INTEGRITY_SCRIPT_SUCCESS_RATE_MISMATCH = "integrity.script.success_rate_mismatch", Integrity, Warning,
        "A manifest's success_rate agrees with its metrics",
        "When a manifest states success_rate and the script has metrics, the stated rate must be within \
         success_rate_tolerance (migcov.yaml, default 0.005) of sum(records_successful) / sum(records_processed).";
    INTEGRITY_SCRIPT_SUCCESS_RATE_RANGE = "integrity.script.success_rate_range", Integrity, Error,
        "A script's success_rate is between 0.0 and 1.0",
        "success_rate is a fraction: write 0.98, not 98.";
}

/// A sample row pointing at a manifest record, with some of its fields.
pub(super) fn sample(origin: &Origin, fields: &[(&str, String)]) -> Sample {
    Sample {
        file: origin.file.display().to_string(),
        row: origin.row,
        fields: fields
            .iter()
            .map(|(name, value)| Field {
                name: name.to_string(),
                value: value.clone(),
            })
            .collect(),
    }
}

/// The items whose key another item shares, grouped by key in key order, each group in item order.
pub(super) fn shared_by<K: Ord, V>(
    items: impl IntoIterator<Item = (K, V)>,
) -> impl Iterator<Item = (K, Vec<V>)> {
    let mut by_key: BTreeMap<K, Vec<V>> = BTreeMap::new();
    for (key, item) in items {
        by_key.entry(key).or_default().push(item);
    }
    by_key.into_iter().filter(|(_, group)| group.len() > 1)
}

/// Runs the manifest rules, one phase each, adding their findings in this order (the
/// final sort by rule and subject keeps it among equals).
pub fn check(inputs: &Inputs, measures: &Measures, findings: &mut Vec<Finding>) {
    script_records(inputs, measures, findings);
    duplicates(
        "script",
        inputs
            .scripts
            .iter()
            .map(|s| (s.id, s.name.as_str(), &s.origin)),
        findings,
    );
    duplicates(
        "entity",
        inputs
            .entities
            .iter()
            .map(|e| (e.id, e.name.as_str(), &e.origin)),
        findings,
    );
    shared_entity_types(inputs, findings);
    duplicate_domain_names(inputs, findings);
    entity_records(inputs, findings);
}

/// Each script manifest's own fields: the name's extension, the success rate's range and
/// agreement with the metrics, a negative record count.
fn script_records(inputs: &Inputs, measures: &Measures, findings: &mut Vec<Finding>) {
    let tolerance = inputs.config.success_rate_tolerance;
    for script in &inputs.scripts {
        let subject = || Subject::new("script", &script.name).with_id(script.id);
        if !script.name.ends_with(".ts") {
            findings.push(
                Finding::new(
                    RuleId::IntegrityScriptNameExtension,
                    subject(),
                    format!("script name {:?} does not end with .ts", script.name),
                )
                .with_sample(sample(&script.origin, &[("name", script.name.clone())])),
            );
        }
        if let Some(rate) = script.success_rate {
            if !(0.0..=1.0).contains(&rate) {
                findings.push(
                    Finding::new(
                        RuleId::IntegrityScriptSuccessRateRange,
                        subject(),
                        format!("success_rate {rate} is outside [0, 1]"),
                    )
                    .with_sample(sample(
                        &script.origin,
                        &[("success_rate", rate.to_string())],
                    )),
                );
            }
            let computed = measures
                .scripts
                .get(&script.id)
                .and_then(|t| t.success_rate);
            if let Some(computed) = computed {
                if !crate::model::at_most((rate - computed).abs(), tolerance) {
                    findings.push(
                        Finding::new(
                            RuleId::IntegrityScriptSuccessRateMismatch,
                            subject(),
                            format!(
                                "manifest says success_rate {rate}, metrics give {computed:.4} \
                                 (tolerance {tolerance})"
                            ),
                        )
                        .with_sample(sample(
                            &script.origin,
                            &[
                                ("success_rate", rate.to_string()),
                                ("from_metrics", format!("{computed:.4}")),
                            ],
                        )),
                    );
                }
            }
        }
        if let Some(count) = script.record_count.filter(|c| *c < 0) {
            findings.push(
                Finding::new(
                    RuleId::IntegrityScriptNegativeRecordCount,
                    subject(),
                    format!("record_count {count} is negative"),
                )
                .with_sample(sample(
                    &script.origin,
                    &[("record_count", count.to_string())],
                )),
            );
        }
    }
}

/// `integrity.entity.shared_entity_type`: entity types that several entities declare.
fn shared_entity_types(inputs: &Inputs, findings: &mut Vec<Finding>) {
    let typed = inputs
        .entities
        .iter()
        .filter_map(|e| Some((e.entity_type.as_deref()?, e)));
    for (entity_type, shared) in shared_by(typed) {
        let names: Vec<&str> = shared.iter().map(|e| e.name.as_str()).collect();
        findings.extend(list_finding(
            RuleId::IntegrityEntitySharedEntityType,
            Subject::new("entity", shared[0].name.as_str()).with_id(shared[0].id),
            shared
                .iter()
                .map(|e| {
                    sample(
                        &e.origin,
                        &[
                            ("name", e.name.clone()),
                            ("entity_type", entity_type.to_string()),
                        ],
                    )
                })
                .collect(),
            |n| {
                format!(
                    "{n} entities declare entity_type {entity_type}: {}",
                    names.join(", ")
                )
            },
        ));
    }
}

/// `integrity.domain.duplicate_name`: domains listed more than once.
fn duplicate_domain_names(inputs: &Inputs, findings: &mut Vec<Finding>) {
    for (name, origins) in shared_by(inputs.domains.iter().map(|d| (d.name, &d.origin))) {
        findings.extend(list_finding(
            RuleId::IntegrityDomainDuplicateName,
            Subject::new("domain", name.as_str()),
            origins
                .iter()
                .map(|o| sample(o, &[("name", name.to_string())]))
                .collect(),
            |n| format!("domain {name} is listed {n} times"),
        ));
    }
}

/// Each entity record's own counts and references: negative counts, counts beyond the
/// total, and a domain or script that resolves to none.
fn entity_records(inputs: &Inputs, findings: &mut Vec<Finding>) {
    for entity in &inputs.entities {
        let subject = || Subject::new("entity", &entity.name).with_id(entity.id);
        let counts = [
            ("total_records", entity.total_records),
            ("migrated_records", entity.migrated_records),
            ("failed_records", entity.failed_records),
        ];
        let negative: Vec<(&str, String)> = counts
            .iter()
            .filter(|(_, v)| *v < 0)
            .map(|(n, v)| (*n, v.to_string()))
            .collect();
        if !negative.is_empty() {
            findings.push(
                Finding::new(
                    RuleId::IntegrityEntityNegativeCount,
                    subject(),
                    format!(
                        "negative {}",
                        negative
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_sample(sample(&entity.origin, &negative)),
            );
        }
        if entity.migrated_records + entity.failed_records > entity.total_records {
            findings.push(
                Finding::new(
                    RuleId::IntegrityEntityCountsExceedTotal,
                    subject(),
                    format!(
                        "migrated {} + failed {} = {} exceeds total {}",
                        entity.migrated_records,
                        entity.failed_records,
                        entity.migrated_records + entity.failed_records,
                        entity.total_records
                    ),
                )
                .with_sample(sample(
                    &entity.origin,
                    &counts.map(|(n, v)| (n, v.to_string())),
                )),
            );
        }
        if entity.domain.is_none() {
            let written = entity.domain_ref.clone().unwrap_or_default();
            findings.push(
                Finding::new(
                    RuleId::IntegrityReferenceUnresolved,
                    subject(),
                    if written.is_empty() {
                        "entity names no domain (domain_id or domain)".to_string()
                    } else {
                        format!("domain {written:?} matches no domain in domains.yaml")
                    },
                )
                .with_sample(sample(&entity.origin, &[("domain", written)])),
            );
        }
        if let (None, Some(written)) = (entity.migration_script_id, &entity.script_ref) {
            findings.push(
                Finding::new(
                    RuleId::IntegrityReferenceUnresolved,
                    subject(),
                    format!("migration_script_id {written:?} matches no script manifest"),
                )
                .with_sample(sample(
                    &entity.origin,
                    &[("migration_script_id", written.clone())],
                )),
            );
        }
    }
}

/// Records sharing an id or a name (a name is a reference, so it must be unique too).
fn duplicates<'a>(
    kind: &'static str,
    records: impl Iterator<Item = (uuid::Uuid, &'a str, &'a Origin)>,
    findings: &mut Vec<Finding>,
) {
    let keyed = records.flat_map(|(id, name, origin)| {
        [
            (format!("id {id}"), (name, origin)),
            (format!("name {name}"), (name, origin)),
        ]
    });
    for (key, found) in shared_by(keyed) {
        // Records with one name share its derived id too: the name finding says it all.
        if key.starts_with("id ") && found.iter().all(|(n, _)| *n == found[0].0) {
            continue;
        }
        findings.extend(list_finding(
            RuleId::IntegrityManifestDuplicate,
            Subject::new(kind, found[0].0),
            found
                .iter()
                .map(|(name, origin)| sample(origin, &[("name", name.to_string())]))
                .collect(),
            |n| format!("{n} {kind} records share the {key}"),
        ));
    }
}
