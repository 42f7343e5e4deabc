//! Missing data: for every `source_ids/<legacy_table>` file, the legacy ids with no
//! LegacyMapping row for the entity that owns that table (an anti-join), and the mappings of
//! that entity type that point at ids absent from the source (orphans).

use polars::prelude::*;

use super::{rows_finding, Finding, RuleId, Subject, ValidateOptions};
use crate::load::{table_key, ExcludedIds, Inputs, ENTITY_TYPE_KEY};
use crate::measure::ledger::excluded_ids;
use crate::model::config::expired;

/// The mapping rows of one entity type, matched case-insensitively.
fn mappings_of(inputs: &Inputs, entity_type: &str) -> LazyFrame {
    inputs
        .mappings
        .clone()
        .lazy()
        .filter(col(ENTITY_TYPE_KEY).eq(lit(entity_type.to_ascii_uppercase())))
}

pub fn check(
    inputs: &Inputs,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    for (table, ids) in &inputs.source_ids {
        let key = table_key(table);
        // Excluded ids are neither missing nor migrated; expired exclusions exclude nothing.
        let exclusions: Vec<&ExcludedIds> = inputs
            .exclusions
            .iter()
            .filter(|x| {
                table_key(&x.declaration.table) == key
                    && !options
                        .report_date
                        .is_some_and(|d| expired(x.declaration.expires, d))
            })
            .collect();
        if exclusions.iter().any(|x| x.ids.is_none()) {
            continue;
        }
        let excluded = excluded_ids(&exclusions)?.lazy();
        let all_ids = ids;
        let ids = &ids
            .clone()
            .lazy()
            .join(
                excluded,
                [col("id")],
                [col("id")],
                JoinArgs::new(JoinType::Anti),
            )
            .collect()?;
        let owner = inputs
            .entities
            .iter()
            .find(|e| table_key(&e.legacy_table) == key && e.entity_type.is_some());
        let Some((entity, entity_type)) = owner.and_then(|e| Some((e, e.entity_type.as_deref()?)))
        else {
            let mut finding = Finding::new(
                RuleId::MissingMappingUnmapped,
                Subject::new("table", table),
                format!(
                    "no entity with an entity_type has legacy_table {table}: none of its {} ids can be traced",
                    ids.height()
                ),
            );
            finding.count = ids.height() as u64;
            findings.push(finding);
            continue;
        };
        let source = ids.clone().lazy();
        let mapped = mappings_of(inputs, entity_type);
        let everything = all_ids.clone().lazy();
        findings.extend(rows_finding(
            RuleId::MissingMappingUnmapped,
            Subject::new("table", table),
            source.clone().join(
                mapped.clone(),
                [col("id")],
                [col("legacy_id")],
                JoinArgs::new(JoinType::Anti),
            ),
            &["id"],
            &["id"],
            options,
            |n| {
                format!(
                    "{n} of {} legacy ids in {table} have no {entity_type} mapping (entity {})",
                    ids.height(),
                    entity.name
                )
            },
        )?);
        findings.extend(rows_finding(
            RuleId::MissingMappingOrphan,
            Subject::new("table", table),
            mapped.join(
                everything,
                [col("legacy_id")],
                [col("id")],
                JoinArgs::new(JoinType::Anti),
            ),
            &["entity_type", "legacy_id", "modern_id"],
            &["legacy_id"],
            options,
            |n| format!("{n} {entity_type} mappings point at legacy ids that are not in {table}"),
        )?);
    }
    Ok(())
}

/// Total legacy ids without a mapping, for the gate's `max_missing_records`.
pub fn missing_total(findings: &[Finding]) -> u64 {
    findings
        .iter()
        .filter(|f| f.rule == RuleId::MissingMappingUnmapped && f.waiver.is_none())
        .map(|f| f.count)
        .sum()
}
