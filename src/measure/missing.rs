//! Missing data, measured: for every `source_ids/<legacy_table>` file, its ids in scope (not
//! excluded), those with no mapping of the owning entities' `entity_type` (unmapped), and
//! that type's mappings whose `legacy_id` is not in the file (orphans).
//!
//! All tables are done at once: the `source_ids` files are stacked with their table's key,
//! joined once with the owners' types and once with the mappings, so the mappings are read
//! a fixed number of times whatever the number of tables. The per-table views are filters
//! of those few materialised frames.
//!
//! The counts are measurements: they are the same whatever severity the missing-data rules
//! have, and the gate's `max_missing_records` reads them. `validate::missing` turns the
//! same frames into findings with samples.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::load::tables::{FILE_COL, ROW_COL};
use crate::load::{table_key, Inputs, ENTITY_TYPE_KEY};
use crate::model::config::expired;

/// The frames of one `source_ids` table, for counting and for samples.
pub struct MissingFrames {
    pub table: String,
    /// The owning entities (by name) and their entity types; empty when no entity with an
    /// `entity_type` owns the table, so none of its ids can be traced.
    pub owners: Vec<String>,
    pub entity_types: Vec<String>,
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
    /// Rows of the `source_ids` file.
    pub ids: u64,
    /// Distinct ids excluded by an exclusion in force.
    pub excluded: u64,
    /// In-scope rows with no mapping.
    pub unmapped: u64,
    pub orphans: u64,
    /// Distinct in-scope ids that have a mapping of an owner's type.
    #[serde(skip)]
    pub matched: u64,
}

/// Everything joined once, for all tables: computed by [`measure`] and kept in the
/// measures, so the findings read the same sets without joining again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MissingSets {
    /// `source_ids` tables not excluded whole, by key: (name as given, owners, types).
    tables: BTreeMap<String, (String, Vec<String>, Vec<String>)>,
    /// In-scope source rows with no mapping of an owner's type: `table_key`, `id`,
    /// `__file`, `__row`.
    unmapped: DataFrame,
    /// Distinct (`table_key`, `id`) pairs of in-scope rows that have a mapping.
    matched: DataFrame,
    /// Orphan mapping rows with their `table_key`.
    orphans: DataFrame,
    /// Distinct excluded (`table_key`, `id`) pairs present in the source.
    excluded: DataFrame,
}

fn join(inputs: &Inputs, date: Option<NaiveDate>) -> PolarsResult<MissingSets> {
    let in_force =
        |x: &&crate::load::ExcludedIds| !date.is_some_and(|d| expired(x.declaration.expires, d));
    let whole: BTreeSet<String> = inputs
        .exclusions
        .iter()
        .filter(in_force)
        .filter(|x| x.ids.is_none())
        .map(|x| table_key(&x.declaration.table))
        .collect();
    let mut tables = BTreeMap::new();
    let mut stacked = Vec::new();
    for (table, ids) in &inputs.source_ids {
        let key = table_key(table);
        if whole.contains(&key) {
            continue;
        }
        let owners: Vec<_> = inputs
            .entities
            .iter()
            .filter(|e| table_key(&e.legacy_table) == key && e.entity_type.is_some())
            .collect();
        let types: BTreeSet<String> = owners
            .iter()
            .filter_map(|e| e.entity_type.clone())
            .collect();
        stacked.push(ids.clone().lazy().filter(col("id").is_not_null()).select([
            lit(key.clone()).alias("table_key"),
            col("id"),
            col(FILE_COL),
            col(ROW_COL),
        ]));
        tables.insert(
            key,
            (
                table.clone(),
                owners.iter().map(|e| e.name.clone()).collect(),
                types.into_iter().collect::<Vec<_>>(),
            ),
        );
    }
    let empty_rows = || {
        df!(
            "table_key" => Vec::<String>::new(),
            "id" => Vec::<String>::new(),
            FILE_COL => Vec::<String>::new(),
            ROW_COL => Vec::<i64>::new()
        )
    };
    // The orphans the databases named for pushed-down tables, by table key.
    let mut pushed_orphans: BTreeMap<String, DataFrame> = BTreeMap::new();
    for (table, summary) in &inputs.pushdown {
        pushed_orphans.insert(
            table_key(table),
            df!("legacy_id" => summary.orphans.clone())?,
        );
    }
    // Stacked once and kept: in-scope rows, excluded ids and orphans all read it.
    let all_rows = if stacked.is_empty() {
        empty_rows()?.lazy()
    } else {
        concat(stacked, UnionArgs::default())?.collect()?.lazy()
    };
    // Excluded ids in force, by table.
    let (mut ex_keys, mut ex_ids) = (Vec::new(), Vec::new());
    for x in inputs.exclusions.iter().filter(in_force) {
        if let Some(ids) = &x.ids {
            let key = table_key(&x.declaration.table);
            let column = ids.column("id")?.str()?;
            for id in (0..column.len()).filter_map(|i| column.get(i)) {
                ex_keys.push(key.clone());
                ex_ids.push(id.to_string());
            }
        }
    }
    let no_excluded_ids = ex_keys.is_empty();
    let excluded_pairs = df!("table_key" => ex_keys, "id" => ex_ids)?.lazy();
    let in_scope = if no_excluded_ids {
        all_rows.clone().collect()?
    } else {
        all_rows
            .clone()
            .join(
                excluded_pairs.clone(),
                [col("table_key"), col("id")],
                [col("table_key"), col("id")],
                JoinArgs::new(JoinType::Anti),
            )
            .collect()?
    };
    let excluded = excluded_pairs
        .join(
            all_rows.clone(),
            [col("table_key"), col("id")],
            [col("table_key"), col("id")],
            JoinArgs::new(JoinType::Semi),
        )
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    // Table by table, each with its owners' mappings, the joins have one key (the id) and
    // run in parallel; two-key joins over every table at once cost twice the time.
    let ids_of = partition(&in_scope, "table_key")?;
    drop(in_scope);
    // Without excluded ids every row is in scope: one partition serves both.
    let all_ids_of = match no_excluded_ids {
        true => None,
        false => Some(partition(&all_rows.collect()?, "table_key")?),
    };
    let all_ids_of = all_ids_of.as_ref().unwrap_or(&ids_of);
    // Only the type, the id and the row's position are split by type: the orphan rows are
    // fetched whole from the mappings afterwards, so the mappings are never copied.
    let narrow = inputs
        .mappings
        .clone()
        .lazy()
        .with_row_index("__mapping", None)
        .select([col(ENTITY_TYPE_KEY), col("legacy_id"), col("__mapping")])
        .collect()?;
    let mappings_of = partition(&narrow, ENTITY_TYPE_KEY)?;
    drop(narrow);
    let (mut matched_parts, mut orphan_parts, mut unmapped_parts) =
        (Vec::new(), Vec::new(), Vec::new());
    for (key, (_, _, types)) in &tables {
        let of_types: Vec<LazyFrame> = types
            .iter()
            .filter_map(|t| mappings_of.get(t))
            .map(|f| f.clone().lazy())
            .collect();
        if of_types.is_empty() {
            // No mapping of the owners' types (or no owner): every id is unmapped.
            unmapped_parts.extend(ids_of.get(key).map(|ids| ids.clone().lazy()));
            continue;
        }
        let mapped = concat(of_types, UnionArgs::default())?;
        if let Some(ids) = ids_of.get(key) {
            unmapped_parts.push(ids.clone().lazy().join(
                mapped.clone().select([col("legacy_id")]),
                [col("id")],
                [col("legacy_id")],
                JoinArgs::new(JoinType::Anti),
            ));
            matched_parts.push(
                ids.clone()
                    .lazy()
                    .select([col("id")])
                    .join(
                        mapped.clone().select([col("legacy_id")]),
                        [col("id")],
                        [col("legacy_id")],
                        JoinArgs::new(JoinType::Semi),
                    )
                    .unique(None, UniqueKeepStrategy::Any)
                    .select([lit(key.clone()).alias("table_key"), col("id")]),
            );
        }
        // Mapping rows of an owner's type whose legacy id is nowhere in that table's file;
        // for a pushed-down table (whose file holds only the unmapped ids) those the
        // database named as orphans.
        let orphans = match pushed_orphans.get(key) {
            Some(named) => mapped.join(
                named.clone().lazy(),
                [col("legacy_id")],
                [col("legacy_id")],
                JoinArgs::new(JoinType::Semi),
            ),
            None => match all_ids_of.get(key) {
                Some(ids) => mapped.join(
                    ids.clone().lazy().select([col("id")]),
                    [col("legacy_id")],
                    [col("id")],
                    JoinArgs::new(JoinType::Anti),
                ),
                None => mapped,
            },
        };
        orphan_parts.push(orphans.select([col("__mapping"), lit(key.clone()).alias("table_key")]));
    }
    let matched = match matched_parts.is_empty() {
        true => df!("table_key" => Vec::<String>::new(), "id" => Vec::<String>::new())?,
        false => concat(matched_parts, UnionArgs::default())?.collect()?,
    };
    let orphans = match orphan_parts.is_empty() {
        true => inputs
            .mappings
            .clone()
            .lazy()
            .limit(0)
            .with_column(lit(NULL).cast(DataType::String).alias("table_key"))
            .collect()?,
        false => inputs
            .mappings
            .clone()
            .lazy()
            .with_row_index("__mapping", None)
            .join(
                concat(orphan_parts, UnionArgs::default())?,
                [col("__mapping")],
                [col("__mapping")],
                JoinArgs::new(JoinType::Inner),
            )
            .drop(cols(["__mapping"]))
            .collect()?,
    };
    let unmapped = match unmapped_parts.is_empty() {
        true => empty_rows()?,
        false => concat(unmapped_parts, UnionArgs::default())?.collect()?,
    };
    Ok(MissingSets {
        tables,
        unmapped,
        matched,
        orphans,
        excluded,
    })
}

fn of_table(frame: &DataFrame, key: &str) -> LazyFrame {
    frame
        .clone()
        .lazy()
        .filter(col("table_key").eq(lit(key.to_string())))
}

/// Every `source_ids` table's frames (tables excluded whole left out).
pub fn frames(joined: &MissingSets) -> PolarsResult<Vec<MissingFrames>> {
    let unmapped = unmapped_rows(joined)?;
    Ok(joined
        .tables
        .iter()
        .map(|(key, (table, owners, types))| MissingFrames {
            table: table.clone(),
            owners: owners.clone(),
            entity_types: types.clone(),
            unmapped: of_table(&unmapped, key),
            orphans: of_table(&joined.orphans, key),
        })
        .collect())
}

/// The rows of `frame` by the value of `column` (in first-seen order within each part).
fn partition(frame: &DataFrame, column: &str) -> PolarsResult<BTreeMap<String, DataFrame>> {
    let mut parts = BTreeMap::new();
    for part in frame.partition_by_stable([column], true)? {
        if let Some(value) = part.column(column)?.str()?.get(0) {
            parts.insert(value.to_string(), part.clone());
        }
    }
    Ok(parts)
}

/// In-scope source rows whose (table, id) has no mapping of an owner's type, joined once
/// when the sets were.
fn unmapped_rows(joined: &MissingSets) -> PolarsResult<DataFrame> {
    Ok(joined.unmapped.clone())
}

/// Rows per `table_key` of a frame.
fn per_table(frame: &DataFrame) -> PolarsResult<BTreeMap<String, u64>> {
    let counts = frame
        .clone()
        .lazy()
        .group_by([col("table_key")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let keys = counts.column("table_key")?.str()?;
    let n = counts.column("n")?.u64()?;
    Ok((0..counts.height())
        .filter_map(|i| Some((keys.get(i)?.to_string(), n.get(i).unwrap_or(0))))
        .collect())
}

/// The counts per `source_ids` table (tables excluded whole left out), and the sets they
/// count.
pub fn measure(
    inputs: &Inputs,
    date: Option<NaiveDate>,
) -> PolarsResult<(Vec<MissingTable>, MissingSets)> {
    let joined = join(inputs, date)?;
    let unmapped = per_table(&unmapped_rows(&joined)?)?;
    let matched = per_table(&joined.matched)?;
    let orphans = per_table(&joined.orphans)?;
    let excluded = per_table(&joined.excluded)?;
    let tables = joined
        .tables
        .iter()
        .map(|(key, (table, owners, _))| {
            let get = |m: &BTreeMap<String, u64>| m.get(key).copied().unwrap_or(0);
            MissingTable {
                table: table.clone(),
                entities: owners.clone(),
                ids: inputs.source_id_count(table),
                excluded: get(&excluded),
                unmapped: get(&unmapped),
                orphans: if owners.is_empty() { 0 } else { get(&orphans) },
                // A pushed-down table's file holds no matched id: the database counted them.
                matched: get(&matched) + inputs.pushdown.get(table).map_or(0, |p| p.matched),
            }
        })
        .collect();
    Ok((tables, joined))
}
