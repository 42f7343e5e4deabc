//! Missing data as findings: for every `source_ids/<legacy_table>` file, the legacy ids with
//! no LegacyMapping row of the owning entities' type, and the mappings of that type that
//! point at ids absent from the source (orphans). The sets, and their counts that figures
//! and the gate use, are `measure::missing`'s.

use polars::prelude::*;

use super::{counted_finding, Finding, RuleId, Subject, ValidateOptions};
use crate::load::Inputs;

crate::validate::registry::declare_rules! {
    MISSING_MAPPING_ORPHAN = "missing.mapping.orphan", Missing, Error,
        "Every mapping points at a legacy id present in the source",
        "For an entity type whose legacy table has a source_ids file, mapping rows whose legacy_id is not among \
         those ids point at records that do not exist (or the source_ids export is incomplete).";
    MISSING_MAPPING_UNMAPPED = "missing.mapping.unmapped", Missing, Warning,
        "Every legacy id in source_ids has a mapping",
        "For each source_ids/<legacy_table> file, the ids with no LegacyMapping row of the entity_type of the \
         entity owning that table. Failed and not yet migrated records show up here; the gate's \
         max_missing_records sets how many are acceptable.";
}

pub fn check(
    inputs: &Inputs,
    measures: &crate::measure::Measures,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> PolarsResult<()> {
    for f in crate::measure::missing::frames(&measures.missing_sets)? {
        let table = &f.table;
        let total = inputs.source_id_count(table);
        if f.owners.is_empty() {
            findings.extend(counted_finding(
                RuleId::MissingMappingUnmapped,
                Subject::new("table", table),
                f.unmapped,
                Some(f.unmapped_rows),
                &["id"],
                &["id"],
                options,
                |n| {
                    format!(
                        "no entity with an entity_type has legacy_table {table}: none of its {n} ids can be traced"
                    )
                },
            )?);
            continue;
        }
        let types = f.entity_types.join(", ");
        let owners = f.owners.join(", ");
        findings.extend(counted_finding(
            RuleId::MissingMappingUnmapped,
            Subject::new("table", table),
            f.unmapped,
            Some(f.unmapped_rows),
            &["id"],
            &["id"],
            options,
            |n| format!("{n} of {total} legacy ids in {table} have no {types} mapping (entity {owners})"),
        )?);
        findings.extend(counted_finding(
            RuleId::MissingMappingOrphan,
            Subject::new("table", table),
            f.orphans,
            Some(f.orphan_rows),
            &["entity_type", "legacy_id", "modern_id"],
            &["legacy_id"],
            options,
            |n| format!("{n} {types} mappings point at legacy ids that are not in {table}"),
        )?);
    }
    Ok(())
}
