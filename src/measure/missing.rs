//! Missing data, measured: for every `source_ids/<legacy_table>` file, its ids in scope (not
//! excluded), those with no mapping of the owning entities' `entity_type` (unmapped), and
//! that type's mappings whose `legacy_id` is not in the file (orphans).
//!
//! The counts are measurements: they are the same whatever severity the missing-data rules
//! have, and the gate's `max_missing_records` reads them. `validate::missing` turns the same
//! frames into findings with samples.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::load::{table_key, ExcludedIds, Inputs, ENTITY_TYPE_KEY};
use crate::measure::ledger::excluded_ids;
use crate::model::config::expired;

/// The frames of one `source_ids` table, for counting and for samples.
pub struct MissingFrames {
    pub table: String,
    /// The owning entities (by name) and their entity types; empty when no entity with an
    /// `entity_type` owns the table, so none of its ids can be traced.
    pub owners: Vec<String>,
    pub entity_types: Vec<String>,
    /// Distinct ids in scope (excluded ones left out), column `id`.
    pub in_scope: LazyFrame,
    /// In-scope ids with no mapping, column `id` plus `__file`/`__row`.
    pub unmapped: LazyFrame,
    /// Mapping rows of the owners' types whose `legacy_id` is not in the file at all.
    pub orphans: LazyFrame,
}

/// Counts for one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MissingTable {
    pub table: String,
    pub entities: Vec<String>,
    pub ids: u64,
    pub excluded: u64,
    pub unmapped: u64,
    pub orphans: u64,
}

/// Every `source_ids` table's frames, or `None` for a table excluded whole.
pub fn frames(inputs: &Inputs, date: Option<NaiveDate>) -> PolarsResult<Vec<MissingFrames>> {
    let mut out = Vec::new();
    for (table, ids) in &inputs.source_ids {
        let key = table_key(table);
        // Excluded ids are neither missing nor migrated; expired exclusions exclude nothing.
        let exclusions: Vec<&ExcludedIds> = inputs
            .exclusions
            .iter()
            .filter(|x| {
                table_key(&x.declaration.table) == key
                    && !date.is_some_and(|d| expired(x.declaration.expires, d))
            })
            .collect();
        if exclusions.iter().any(|x| x.ids.is_none()) {
            continue;
        }
        let excluded = excluded_ids(&exclusions)?.lazy();
        let rows = ids.clone().lazy().filter(col("id").is_not_null());
        let in_scope_rows = rows.clone().join(
            excluded,
            [col("id")],
            [col("id")],
            JoinArgs::new(JoinType::Anti),
        );
        let owners: Vec<_> = inputs
            .entities
            .iter()
            .filter(|e| table_key(&e.legacy_table) == key && e.entity_type.is_some())
            .collect();
        let types: BTreeSet<String> = owners
            .iter()
            .filter_map(|e| e.entity_type.clone())
            .collect();
        let type_list = Series::new("types".into(), types.iter().cloned().collect::<Vec<_>>());
        let mapped = inputs
            .mappings
            .clone()
            .lazy()
            .filter(col(ENTITY_TYPE_KEY).is_in(lit(type_list).implode(false), false));
        let unmapped = in_scope_rows.clone().join(
            mapped.clone(),
            [col("id")],
            [col("legacy_id")],
            JoinArgs::new(JoinType::Anti),
        );
        let orphans = mapped.join(
            rows,
            [col("legacy_id")],
            [col("id")],
            JoinArgs::new(JoinType::Anti),
        );
        out.push(MissingFrames {
            table: table.clone(),
            owners: owners.iter().map(|e| e.name.clone()).collect(),
            entity_types: types.into_iter().collect(),
            in_scope: in_scope_rows
                .select([col("id")])
                .unique(None, UniqueKeepStrategy::Any),
            unmapped,
            orphans,
        });
    }
    Ok(out)
}

fn count(frame: LazyFrame) -> PolarsResult<u64> {
    Ok(frame
        .select([len().cast(DataType::UInt64).alias("n")])
        .collect()?
        .column("n")?
        .u64()?
        .get(0)
        .unwrap_or(0))
}

/// The counts per `source_ids` table (tables excluded whole left out).
pub fn measure(inputs: &Inputs, date: Option<NaiveDate>) -> PolarsResult<Vec<MissingTable>> {
    let mut out = Vec::new();
    for f in frames(inputs, date)? {
        let total = inputs.source_ids[&f.table].height() as u64;
        let in_scope = count(f.in_scope)?;
        let all_distinct = count(
            inputs.source_ids[&f.table]
                .clone()
                .lazy()
                .select([col("id")])
                .filter(col("id").is_not_null())
                .unique(None, UniqueKeepStrategy::Any),
        )?;
        out.push(MissingTable {
            table: f.table.clone(),
            entities: f.owners.clone(),
            ids: total,
            excluded: all_distinct - in_scope,
            unmapped: count(f.unmapped)?,
            orphans: if f.owners.is_empty() {
                0
            } else {
                count(f.orphans)?
            },
        });
    }
    Ok(out)
}
