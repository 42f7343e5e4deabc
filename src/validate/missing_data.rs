//! Missing data as findings: for every `source_ids/<legacy_table>` file, the legacy ids with
//! no LegacyMapping row of the owning entities' type, and the mappings of that type that
//! point at ids absent from the source (orphans). The sets, and their counts that figures
//! and the gate use, are `measure::missing`'s.

use polars::prelude::*;

use super::{counted_finding, Finding, RuleId, Subject, ValidateOptions};
use crate::load::{table_key, Inputs};

crate::validate::registry::declare_rules! {
    MISSING_MAPPING_AMBIGUOUS = "missing.mapping.ambiguous", Missing, Warning,
        "Every mapping of an entity type that several legacy tables share names its table",
        "When entities of several legacy tables declare one entity_type (customers_eu and customers_us as CUSTOMER), \
         a mapping row of that type says which table it came from only through the optional legacy_table column. \
         Rows whose only mapping names no table are ambiguous: the ledger counts them as unaccounted, never as \
         migrated, since the mapping may be another table's. Fix: export legacy_table with the mappings. Example: \
         customers_eu and customers_us hold ids 1-10 each, and the CUSTOMER mappings 1-10 name no table: 10 \
         ambiguous rows in each.";
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
    ambiguous(inputs, measures, findings);
    // The first table of each key, as a search in order finds it.
    let mut by_key = std::collections::BTreeMap::new();
    for m in &measures.missing {
        by_key.entry(table_key(&m.table)).or_insert(m);
    }
    for f in crate::measure::missing::frames(&measures.missing_sets)? {
        let table = &f.table;
        // The ids the count is of: distinct and in scope (an id repeated in the file is
        // one record, an excluded one is out of scope), as `unmapped` counts them.
        let counted = by_key.get(&table_key(table)).copied();
        let total = counted.map_or(0, |m| m.distinct_ids(inputs).saturating_sub(m.excluded));
        let excluded = match counted.map_or(0, |m| m.excluded) {
            0 => String::new(),
            n => format!(" ({n} excluded)"),
        };
        let types = f.entity_types.join(", ");
        let owners = f.owners.join(", ");
        let traced = !f.owners.is_empty();
        findings.extend(counted_finding(
            RuleId::MissingMappingUnmapped,
            Subject::new("table", table),
            f.unmapped,
            Some(f.unmapped_rows),
            &["id"],
            &["id"],
            options,
            // The finding counts rows (each is listed); the message counts ids, as the
            // ledger does, and says the rows where an id is listed more than once.
            |rows| {
                let ids = counted.map_or(rows, |m| m.unmapped);
                let listed = match rows == ids {
                    true => String::new(),
                    false => format!(", listed in {rows} rows"),
                };
                match traced {
                    true => format!(
                        "{ids} of {total} legacy ids in {table}{excluded} have no {types} mapping (entity {owners}){listed}"
                    ),
                    false => format!(
                        "no entity with an entity_type has legacy_table {table}: none of its {ids} ids can be traced{listed}"
                    ),
                }
            },
        )?);
        if !traced {
            continue;
        }
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

/// Tables with ambiguous rows: from missing data where the table has `source_ids`, else from
/// the ledger (the distinct mapped ids).
fn ambiguous(inputs: &Inputs, measures: &crate::measure::Measures, findings: &mut Vec<Finding>) {
    use std::collections::{BTreeMap, BTreeSet};
    let mut counts: BTreeMap<String, (String, u64)> = measures
        .missing
        .iter()
        .map(|m| (table_key(&m.table), (m.table.clone(), m.ambiguous)))
        .collect();
    if let Some(ledger) = &measures.ledger {
        for row in &ledger.rows {
            counts
                .entry(table_key(&row.table))
                .or_insert((row.table.clone(), row.ambiguous.max(0) as u64));
        }
    }
    // Each entity's table key and type, and the ledger's tables by key, gathered once
    // (sought for every table, N² with many tables).
    let mut types_of: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    // Per type, its tables by key (sorted), each under the first name an entity gives it:
    // two entities may spell one table two ways (`items`, ` Items `), named once.
    let mut tables_of: BTreeMap<&str, BTreeMap<String, &str>> = BTreeMap::new();
    for e in &inputs.entities {
        let key = table_key(&e.legacy_table);
        if let Some(t) = e.entity_type.as_deref() {
            types_of.entry(key.clone()).or_default().insert(t);
            tables_of
                .entry(t)
                .or_default()
                .entry(key)
                .or_insert(e.legacy_table.as_str());
        }
    }
    // The other tables of `types` than `key`'s: the first 30, and how many. One type's
    // are counted, not gathered, so a type shared by N tables costs N, not N².
    let others_of = |types: &BTreeSet<&str>, key: &str| -> (Vec<&str>, usize) {
        let others = |t: &str| {
            tables_of
                .get(t)
                .into_iter()
                .flatten()
                .filter(move |(k, _)| k.as_str() != key)
        };
        match types.len() {
            1 => {
                let t = *types.first().expect("one type");
                let tables = tables_of.get(t);
                let total = tables.map_or(0, BTreeMap::len)
                    - usize::from(tables.is_some_and(|k| k.contains_key(key)));
                (others(t).take(30).map(|(_, name)| *name).collect(), total)
            }
            _ => {
                // Each table under its first name, as for one type.
                let mut all: BTreeMap<&String, &str> = BTreeMap::new();
                for (k, name) in types.iter().flat_map(|t| others(t)) {
                    all.entry(k).or_insert(name);
                }
                let total = all.len();
                (all.into_values().take(30).collect(), total)
            }
        }
    };
    let mut ledger_tables: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for row in measures.ledger.iter().flat_map(|l| &l.rows) {
        ledger_tables
            .entry(table_key(&row.table))
            .or_default()
            .push(row.table.as_str());
    }
    for (key, (table, n)) in counts.into_iter().filter(|(_, (_, n))| *n > 0) {
        let types: BTreeSet<&str> = types_of.get(&key).cloned().unwrap_or_default();
        let (others, other_count) = others_of(&types, &key);
        let types = types.into_iter().collect::<Vec<_>>().join(", ");
        // Or no other table shares the type, and the inventory lists the table's name in
        // another case too (`Artist`, `artist`): what the mappings show cannot be told
        // apart between the two (the message named no table; found by an independent
        // check).
        let twins: BTreeSet<&str> = ledger_tables
            .get(&key)
            .into_iter()
            .flatten()
            .copied()
            .filter(|t| *t != table)
            .collect();
        let message = match others.is_empty() && !twins.is_empty() {
            true => format!(
                "{n} rows of {table} have mappings ({types}) that cannot be told apart from those of {}, \
                 which the inventory lists under the same name in another case: counted as unaccounted, \
                 not migrated",
                twins.into_iter().collect::<Vec<_>>().join(", ")
            ),
            false => format!(
                "{n} rows of {table} have only mappings that name no legacy_table, of a type it shares \
                 with {} ({types}): counted as unaccounted, not migrated (export legacy_table with \
                 the mappings)",
                match other_count > others.len() {
                    true => format!("{}, and {} more", others.join(", "), other_count - others.len()),
                    false => others.join(", "),
                }
            ),
        };
        let mut finding = Finding::new(
            RuleId::MissingMappingAmbiguous,
            Subject::new("table", &table),
            message,
        );
        finding.count = n;
        findings.push(finding);
    }
}
