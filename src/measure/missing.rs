//! Missing data, measured: for every `source_ids/<legacy_table>` file, its ids in scope (not
//! excluded), each either matched (a mapping of its own), ambiguous (only a mapping of an
//! entity type other tables share that names no table) or unmapped, and the table's own
//! mappings whose `legacy_id` is not in the file (orphans). Which mappings are a table's own
//! is [`Ownership`]'s: a type one table owns is all that table's; a shared type's rows are a
//! table's only when their `legacy_table` names it.
//!
//! Table by table, the row positions of the owners' rows are found (a mask of the
//! mappings), their legacy ids taken at those positions and anti-joined with the table's
//! ids on the id alone, both ways (unowned ids, orphan mappings), then the unowned ids with
//! the ambiguous rows (unmapped ids), and freed before the next table. A shared type's rows
//! that name no table are narrowed by each sharing table's ids in turn; what is left once
//! all were read are orphans. The per-table results are small and stacked, and the per-table views are
//! filters of those few materialised frames. The mapping rows per type, counted once, are
//! what the ledger and reconciliation read.
//!
//! The counts are measurements: they are the same whatever severity the missing-data rules
//! have, and the gate's `max_missing_records` reads them. `validate::missing_data` turns the
//! same frames into findings with samples.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::load::tables::{
    keys_like, per_category, same_keys, uuid_text, value_slots, FILE_COL, ROW_COL,
};
use crate::load::{table_key, Inputs, SourceIds, ENTITY_TYPE_KEY};

/// The frames of one `source_ids` table, for counting and for samples.
pub struct MissingFrames {
    pub table: String,
    /// The owning entities (by name) and their entity types; empty when no entity with an
    /// `entity_type` owns the table, so none of its ids can be traced.
    pub owners: Vec<String>,
    pub entity_types: Vec<String>,
    /// In-scope ids with no mapping, column `id` plus `__file`/`__row` (the first ones,
    /// or all: [`measure`]'s `kept`), and how many there are.
    pub unmapped: LazyFrame,
    pub unmapped_rows: u64,
    /// Mapping rows of the owners' types whose `legacy_id` is not in the file at all, kept
    /// and counted alike.
    pub orphans: LazyFrame,
    pub orphan_rows: u64,
}

/// Counts for one table.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct MissingTable {
    pub table: String,
    pub entities: Vec<String>,
    /// Rows of the `source_ids` file.
    pub ids: u64,
    /// Distinct ids excluded by an exclusion in force.
    pub excluded: u64,
    /// Distinct in-scope ids with no mapping (an id repeated in the file is one legacy
    /// record: the ledger counts it once, and so does `missing_records`).
    pub unmapped: u64,
    pub orphans: u64,
    /// Distinct in-scope ids with no mapping of their own but a mapping of an entity type
    /// that other legacy tables share, with no `legacy_table` saying whose it is: neither
    /// migrated nor unmapped, since nothing proves which table the mapping came from.
    pub ambiguous: u64,
    /// Distinct in-scope ids that have a mapping of their own (see [`MissingSets`]).
    #[serde(skip)]
    pub matched: u64,
}

impl MissingTable {
    /// The distinct ids of the table (excluded ones too), as the ledger counts its rows: an
    /// id listed twice is one. Pushed down, the database's distinct matched ids with the
    /// unmapped ones of the file, since `matched` then stands only on the mapping rows
    /// given and would undercount them.
    pub fn distinct_ids(&self, inputs: &Inputs) -> u64 {
        match inputs.pushdown.get(&self.table) {
            Some(p) => p.matched + self.ambiguous + self.unmapped + self.excluded,
            None => self.matched + self.ambiguous + self.unmapped + self.excluded,
        }
    }
}

/// Everything joined once: computed by [`measure`] and kept in the measures, so the
/// findings read the same sets without joining again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MissingSets {
    /// `source_ids` tables not excluded whole, by key: (name as given, owners, types).
    tables: BTreeMap<String, (String, Vec<String>, Vec<String>)>,
    /// In-scope source rows with no mapping of an owner's type: `table_key`, `id`,
    /// `__file`, `__row`; per table the first that the finding shows, or all of them when
    /// every violating row is kept (`--failures-dir`).
    unmapped: DataFrame,
    /// Every such row, counted per table.
    unmapped_rows: BTreeMap<String, u64>,
    /// Per table: `table_key`, `in_scope` (distinct in-scope ids), `unowned` (distinct
    /// in-scope ids with no mapping of their own), `unmapped` (distinct ids with no mapping
    /// that could be theirs) and `excluded` (distinct excluded ids present in the source).
    /// Matched ids are `in_scope - unowned`, ambiguous ones `unowned - unmapped`: each id is
    /// exactly one of the three.
    counts: DataFrame,
    /// Orphan mapping rows with their `table_key`, kept like `unmapped` (while missing data
    /// runs, their positions, `__mapping` and `table_key`: [`MissingSets::take_orphan_rows`]).
    orphans: DataFrame,
    /// Every orphan row, counted per table.
    orphan_rows: BTreeMap<String, u64>,
    /// Mapping rows per `entity_type_key` (null left out): counted from the same grouping,
    /// so the ledger and reconciliation need not group the mappings again.
    pub rows_per_type: BTreeMap<String, i64>,
    /// Which mapping rows each table may call its own: built once, read by the ledger, the
    /// duplicate check and the table-name check too.
    pub ownership: Ownership,
}

/// Joins every legacy table's ids with the mappings, table by table (see the module
/// comment): prepares what every table reads, runs each table's pass, then lists the shared
/// types' orphans and stacks the per-table results.
fn join(
    inputs: &Inputs,
    date: Option<NaiveDate>,
    kept: Option<usize>,
) -> PolarsResult<MissingSets> {
    let (whole, excluded_ids) = exclusions_in_force(inputs, date);
    let pushed_orphans = pushed_orphans(inputs)?;
    let rows_per_type = counted_rows_per_type(inputs)?;
    // The grouping's tables, handed back before the first table's ids are read.
    crate::memory::release_freed_memory();
    let owned = Ownership::of(inputs)?;
    let unclaimed = unclaimed_positions(inputs, &owned, &rows_per_type)?;
    let mut owners: BTreeMap<String, Vec<&crate::model::Entity>> = BTreeMap::new();
    for e in inputs.entities.iter().filter(|e| e.entity_type.is_some()) {
        owners
            .entry(table_key(&e.legacy_table))
            .or_default()
            .push(e);
    }
    let context = Context {
        inputs,
        owners,
        kept,
        excluded_ids,
        pushed_orphans,
        rows_per_type,
        owned,
    };
    let measured: Vec<(&String, &SourceIds, String)> = inputs
        .source_ids
        .iter()
        .map(|(table, source)| (table, source, table_key(table)))
        .filter(|(_, _, key)| !whole.contains(key))
        .collect();
    let mut gathered = Gathered {
        unclaimed,
        type_rows: TypeRows::plan(
            measured
                .iter()
                .flat_map(|(_, _, key)| context.owner_types(key))
                .filter(|t| !context.owned.is_shared(t)),
            &context.rows_per_type,
            TYPE_ROWS_HELD,
        ),
        shared_rows: SharedRows::plan(
            &inputs.mappings,
            measured
                .iter()
                .flat_map(|(_, _, key)| context.owner_types(key))
                .filter(|t| context.owned.is_shared(t))
                .collect(),
            &context.rows_per_type,
        )?,
        ..Gathered::default()
    };
    for (table, source, key) in measured {
        measure_table(&context, table, source, key, &mut gathered)?;
    }
    shared_orphans(&context, &mut gathered)?;
    // Their positions: the rows are taken once every column is back ([`MissingSets::take_orphan_rows`]).
    let orphans = match gathered.orphan_parts.is_empty() {
        true => DataFrame::default(),
        false => concat(gathered.orphan_parts, UnionArgs::default())?.collect()?,
    };
    let stack = |parts: Vec<LazyFrame>, empty: DataFrame| match parts.is_empty() {
        true => Ok(empty),
        false => concat(parts, UnionArgs::default())?.collect(),
    };
    Ok(MissingSets {
        ownership: context.owned,
        unmapped_rows: gathered.unmapped_rows,
        orphan_rows: gathered.orphan_rows,
        rows_per_type: context.rows_per_type,
        tables: gathered.tables,
        unmapped: stack(
            gathered.unmapped_parts,
            df!(
                "table_key" => Vec::<String>::new(),
                "id" => Vec::<String>::new(),
                FILE_COL => Vec::<String>::new(),
                ROW_COL => Vec::<IdxSize>::new()
            )?,
        )?,
        counts: stack(
            gathered.count_parts,
            df!(
                "excluded" => Vec::<u64>::new(),
                "table_key" => Vec::<String>::new(),
                "in_scope" => Vec::<u64>::new(),
                "unowned" => Vec::<u64>::new(),
                "unmapped" => Vec::<u64>::new()
            )?,
        )?,
        orphans,
    })
}

/// What every table's pass reads, prepared once before the first.
struct Context<'a> {
    inputs: &'a Inputs,
    /// The entities with an entity type, by their legacy table's key (sought for every
    /// table, N² with N tables).
    owners: BTreeMap<String, Vec<&'a crate::model::Entity>>,
    /// How many violating rows are kept per table ([`measure`]'s `kept`).
    kept: Option<usize>,
    /// Excluded ids in force, by table key.
    excluded_ids: BTreeMap<String, Vec<LazyFrame>>,
    /// The orphans the databases named for pushed-down tables, by table key.
    pushed_orphans: BTreeMap<String, DataFrame>,
    rows_per_type: BTreeMap<String, i64>,
    owned: Ownership,
}

/// What the tables' passes gather: small per-table results, stacked at the end.
#[derive(Default)]
struct Gathered {
    /// The shared types' mappings that name no table and no table read so far claimed,
    /// as positions in the mappings, by type.
    unclaimed: BTreeMap<String, Vec<IdxSize>>,
    /// The tables whose ids narrowed each shared type's unclaimed mappings.
    read_for: BTreeMap<String, BTreeSet<String>>,
    tables: BTreeMap<String, (String, Vec<String>, Vec<String>)>,
    unmapped_rows: BTreeMap<String, u64>,
    orphan_rows: BTreeMap<String, u64>,
    count_parts: Vec<LazyFrame>,
    orphan_parts: Vec<LazyFrame>,
    unmapped_parts: Vec<LazyFrame>,
    type_rows: TypeRows,
    /// Each shared type's rows, by the table key their `legacy_table` names, and those
    /// that name none ([`SharedRows::plan`]).
    shared_rows: BTreeMap<String, SharedRows>,
}

/// A shared entity type's mapping rows (positions, in row order): those whose
/// `legacy_table` names each table key, and those that name no table (null or blank). Found
/// once for every table sharing the type (each table's masks of every mapping took N
/// passes for N tables).
#[derive(Default)]
struct SharedRows {
    by_key: BTreeMap<String, Vec<IdxSize>>,
    unnamed: Vec<IdxSize>,
}

impl SharedRows {
    /// Of the shared types among `types`, when their rows fit in [`TYPE_ROWS_HELD`] and the
    /// types are a dictionary column; none otherwise (each table then reads every row).
    fn plan(
        mappings: &DataFrame,
        types: BTreeSet<String>,
        rows_per_type: &BTreeMap<String, i64>,
    ) -> PolarsResult<BTreeMap<String, SharedRows>> {
        let types: Vec<String> = types
            .into_iter()
            .filter(|t| rows_per_type.contains_key(t))
            .collect();
        let rows: i64 = types.iter().map(|t| rows_per_type[t]).sum();
        if types.is_empty() || rows > TYPE_ROWS_HELD || mappings.column("legacy_table").is_err() {
            return Ok(BTreeMap::new());
        }
        let Some(found) = positions_by_type(mappings, &types)? else {
            return Ok(BTreeMap::new());
        };
        let tables = mappings.column("legacy_table")?;
        let mut planned = BTreeMap::new();
        for (t, positions) in types.into_iter().zip(found) {
            let at = IdxCa::from_vec("at".into(), positions.clone());
            let (texts, slots) = value_slots(&tables.take(&at)?)?;
            // As `Ownership` reads a name: the table it folds to, none when it folds to
            // nothing (blank) or is missing.
            let keys: Vec<Option<String>> = texts
                .iter()
                .map(|t| t.as_deref().map(table_key).filter(|k| !k.is_empty()))
                .collect();
            let mut rows = SharedRows::default();
            for (position, slot) in positions.into_iter().zip(slots) {
                match &keys[slot as usize] {
                    Some(key) => rows.by_key.entry(key.clone()).or_default().push(position),
                    None => rows.unnamed.push(position),
                }
            }
            planned.insert(t, rows);
        }
        Ok(planned)
    }
}

/// The most mapping rows whose positions one pass of [`TypeRows`] holds (4 bytes each:
/// 64 MiB).
const TYPE_ROWS_HELD: i64 = 1 << 24;

/// The row positions of each entity type that no other table shares, found for several
/// types in one pass over the mappings' type codes. A mask of every mapping for each table
/// took 57 ms a table at 30 million mappings whatever the table's size (2.3 s for the
/// tables of a realistic migration); the positions of every type held at once would be 4
/// bytes a mapping (0.35 GiB at 100 million records) through the whole step. So the types
/// are taken in the order the tables' passes ask for them, in batches of at most
/// [`TYPE_ROWS_HELD`] rows (a larger type alone), one pass a batch.
#[derive(Default)]
struct TypeRows {
    batches: Vec<Vec<String>>,
    /// The passes' positions not yet taken, each taken once, when its table asks for it.
    held: BTreeMap<String, Vec<IdxSize>>,
}

impl TypeRows {
    /// Batches of at most `held` rows.
    fn plan(
        order: impl Iterator<Item = String>,
        rows_per_type: &BTreeMap<String, i64>,
        held: i64,
    ) -> Self {
        let (mut batches, mut batch, mut rows): (Vec<Vec<String>>, Vec<String>, i64) =
            Default::default();
        let mut seen = BTreeSet::new();
        for t in order {
            let Some(&n) = rows_per_type.get(&t) else {
                continue;
            };
            if !seen.insert(t.clone()) {
                continue;
            }
            if !batch.is_empty() && rows.saturating_add(n) > held {
                batches.push(std::mem::take(&mut batch));
                rows = 0;
            }
            batch.push(t);
            rows = rows.saturating_add(n);
        }
        if !batch.is_empty() {
            batches.push(batch);
        }
        TypeRows {
            batches,
            held: BTreeMap::new(),
        }
    }

    /// The positions of `entity_type`'s mappings in row order; `None` when it was not
    /// planned (a shared type) or was already taken, or the types are not a dictionary
    /// column: the caller finds them with a mask then.
    fn take(
        &mut self,
        mappings: &DataFrame,
        entity_type: &str,
    ) -> PolarsResult<Option<Vec<IdxSize>>> {
        if let Some(positions) = self.held.remove(entity_type) {
            return Ok(Some(positions));
        }
        let Some(at) = self
            .batches
            .iter()
            .position(|b| b.iter().any(|t| t == entity_type))
        else {
            return Ok(None);
        };
        let batch = self.batches.remove(at);
        let Some(found) = positions_by_type(mappings, &batch)? else {
            return Ok(None);
        };
        // Added to what is left of earlier passes, so a type asked out of the planned order
        // is still found (the tables' passes ask in that order, and leave nothing).
        self.held.extend(batch.into_iter().zip(found));
        Ok(self.held.remove(entity_type))
    }
}

/// Mapping rows of some entity types, found by position, for the ledger's tables without
/// `source_ids` (each read every mapping row, N passes for N tables). A type no other table
/// shares is taken once ([`TypeRows`]); a shared type's rows are split once by the table
/// they name ([`SharedRows`]), and a table reads those naming it and those naming none.
#[derive(Default)]
pub(crate) struct RowsOfTypes {
    unshared: TypeRows,
    shared: BTreeMap<String, SharedRows>,
    shared_types: BTreeSet<String>,
    with_rows: BTreeSet<String>,
}

impl RowsOfTypes {
    /// `order`: the types, in the order the tables will ask for them.
    pub(crate) fn plan(
        mappings: &DataFrame,
        order: impl Iterator<Item = String>,
        ownership: &Ownership,
        rows_per_type: &BTreeMap<String, i64>,
    ) -> PolarsResult<Self> {
        let (shared, unshared): (Vec<String>, Vec<String>) =
            order.partition(|t| ownership.is_shared(t));
        let shared_types: BTreeSet<String> = shared.into_iter().collect();
        Ok(RowsOfTypes {
            unshared: TypeRows::plan(unshared.into_iter(), rows_per_type, TYPE_ROWS_HELD),
            shared: SharedRows::plan(mappings, shared_types.clone(), rows_per_type)?,
            shared_types,
            with_rows: rows_per_type.keys().cloned().collect(),
        })
    }

    /// The mapping rows of `types` that the table `key` may count (`entity_type_key`,
    /// `legacy_id` and `legacy_table`), in row order: every row of a type it alone owns, and
    /// of a shared type those that name it or name no table. `None` when some type's
    /// positions are not at hand (not planned, already taken, or too many): the caller
    /// reads every row then.
    pub(crate) fn rows(
        &mut self,
        mappings: &DataFrame,
        types: &BTreeSet<String>,
        key: &str,
    ) -> PolarsResult<Option<DataFrame>> {
        let mut positions = Vec::new();
        for t in types.iter().filter(|t| self.with_rows.contains(*t)) {
            if self.shared_types.contains(t) {
                let Some(rows) = self.shared.get(t) else {
                    return Ok(None);
                };
                positions.extend(rows.by_key.get(key).into_iter().flatten());
                positions.extend(&rows.unnamed);
                continue;
            }
            match self.unshared.take(mappings, t)? {
                Some(found) => positions.extend(found),
                None => return Ok(None),
            }
        }
        positions.sort_unstable();
        let columns: Vec<&str> = [ENTITY_TYPE_KEY, "legacy_id", "legacy_table"]
            .into_iter()
            .filter(|c| mappings.column(c).is_ok())
            .collect();
        let at = IdxCa::from_vec("at".into(), positions);
        Ok(Some(mappings.select(columns)?.take(&at)?))
    }
}

/// The positions of each of `types`' mapping rows, in row order, found in one pass over
/// the dictionary codes of `entity_type_key`; `None` when that column is not a dictionary.
fn positions_by_type(
    mappings: &DataFrame,
    types: &[String],
) -> PolarsResult<Option<Vec<Vec<IdxSize>>>> {
    let column = mappings.column(ENTITY_TYPE_KEY)?;
    let Some((mapping, physical)) = crate::load::tables::category_codes(column)? else {
        return Ok(None);
    };
    let codes: Vec<(u32, usize)> = types
        .iter()
        .enumerate()
        .filter_map(|(slot, t)| Some((mapping.get_cat(t)?, slot)))
        .collect();
    let mut found = vec![Vec::new(); types.len()];
    let (Some(low), Some(high)) = (
        codes.iter().map(|c| c.0).min(),
        codes.iter().map(|c| c.0).max(),
    ) else {
        return Ok(Some(found));
    };
    // A slot per code between the lowest and the highest, so each row is placed by an
    // index, not a lookup; the codes come from a dictionary the whole run shares (the
    // UUIDs' kept texts too), so past a million codes apart a lookup it is.
    let dense = (high - low) < 1 << 20;
    let mut slot_of = vec![u32::MAX; if dense { (high - low) as usize + 1 } else { 0 }];
    let mut sparse: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    for (code, slot) in codes {
        match dense {
            true => slot_of[(code - low) as usize] = slot as u32,
            false => {
                sparse.insert(code, slot as u32);
            }
        }
    }
    let slot = |code: u32| -> Option<u32> {
        match dense {
            true => code
                .checked_sub(low)
                .and_then(|c| slot_of.get(c as usize))
                .copied()
                .filter(|s| *s != u32::MAX),
            false => sparse.get(&code).copied(),
        }
    };
    crate::load::tables::for_each_code(&physical, |row, code| {
        if let Some(slot) = code.and_then(slot) {
            found[slot as usize].push(row as IdxSize);
        }
    })?;
    Ok(Some(found))
}

impl Context<'_> {
    /// The entity types of the entities whose legacy table is `key`.
    fn owner_types(&self, key: &str) -> BTreeSet<String> {
        self.owners
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|e| e.entity_type.clone())
            .collect()
    }
}

/// The exclusions in force at `date`: the tables excluded whole, and the excluded ids by
/// table (few, so each table tests its ids against a list).
fn exclusions_in_force(
    inputs: &Inputs,
    date: Option<NaiveDate>,
) -> (BTreeSet<String>, BTreeMap<String, Vec<LazyFrame>>) {
    let in_force = |x: &&crate::load::ExcludedIds| x.in_force(date);
    let whole: BTreeSet<String> = inputs
        .exclusions
        .iter()
        .filter(in_force)
        .filter(|x| x.ids.is_none())
        .map(|x| table_key(&x.declaration.table))
        .collect();
    let mut excluded_ids: BTreeMap<String, Vec<LazyFrame>> = BTreeMap::new();
    for x in inputs.exclusions.iter().filter(in_force) {
        if let Some(ids) = &x.ids {
            excluded_ids
                .entry(table_key(&x.declaration.table))
                .or_default()
                .push(ids.clone().lazy().select([col("id")]));
        }
    }
    (whole, excluded_ids)
}

/// The orphans the databases named for pushed-down tables, by table key.
fn pushed_orphans(inputs: &Inputs) -> PolarsResult<BTreeMap<String, DataFrame>> {
    let mut pushed_orphans: BTreeMap<String, DataFrame> = BTreeMap::new();
    for (table, summary) in &inputs.pushdown {
        pushed_orphans.insert(
            table_key(table),
            df!("legacy_id" => summary.orphans.clone())?,
        );
    }
    Ok(pushed_orphans)
}

/// Mapping rows per type, counted, with the rows `collect --pushdown` counted in the
/// database instead of exporting. Each table takes its types' row positions when its turn
/// comes (held for all types at once, they were 4 bytes a mapping through the step:
/// 0.35 GiB at 100M records), and the orphan rows are taken whole from the mappings
/// afterwards, so the mappings are never copied.
fn counted_rows_per_type(inputs: &Inputs) -> PolarsResult<BTreeMap<String, i64>> {
    let mut rows_per_type = rows_per_type(&inputs.mappings)?;
    for summary in inputs.pushdown.values() {
        for (t, n) in &summary.mapping_rows_in_database {
            let n = i64::try_from(*n).unwrap_or(i64::MAX);
            let rows = rows_per_type
                .entry(crate::model::entity_type_key(t))
                .or_insert(0);
            *rows = rows.saturating_add(n);
        }
    }
    Ok(rows_per_type)
}

/// A shared type's mappings that name no table are orphans only when no table sharing the
/// type holds their id: their positions, by type, are narrowed table by table, and what is
/// left once every sharing table's ids were read is reported ([`shared_orphans`]).
fn unclaimed_positions(
    inputs: &Inputs,
    owned: &Ownership,
    rows_per_type: &BTreeMap<String, i64>,
) -> PolarsResult<BTreeMap<String, Vec<IdxSize>>> {
    let mut unclaimed: BTreeMap<String, Vec<IdxSize>> = BTreeMap::new();
    for t in owned
        .shared()
        .keys()
        .filter(|t| rows_per_type.contains_key(*t))
    {
        let mut positions = Vec::new();
        if let Some(ambiguous) = owned.ambiguous(t) {
            rows_where(&inputs.mappings, ambiguous, &mut positions)?;
        }
        unclaimed.insert(t.clone(), positions);
    }
    Ok(unclaimed)
}

/// One legacy table's ids as its pass reads them.
struct TableIds<'a> {
    table: &'a str,
    key: String,
    /// The entity types of the table's owners.
    types: BTreeSet<String>,
    /// Its rows with an id: `id`, `__file`, `__row`.
    all: LazyFrame,
    /// Keys held as numbers or as text (`ColumnKind::Key`): the id's dtype.
    id_dtype: DataType,
}

/// One table's pass: reads its ids (again, when loading kept only its counts), lets them
/// claim shared types' unclaimed mappings, sets excluded ids apart, then finds its unowned,
/// unmapped and orphan rows. Its ids are freed before the next table's are read.
fn measure_table(
    context: &Context,
    table: &str,
    source: &SourceIds,
    key: String,
    out: &mut Gathered,
) -> PolarsResult<()> {
    let inputs = context.inputs;
    let ids = source
        .read()
        .map_err(|e| polars_err!(ComputeError: "{e}"))?;
    // What parsing the file freed (its slices' text, three times the ids) goes back
    // before the joins: glibc kept it, and the joins' tables stacked on it.
    if !source.is_held() {
        crate::memory::release_freed_memory();
    }
    let owners: Vec<&crate::model::Entity> = context.owners.get(&key).cloned().unwrap_or_default();
    let types = context.owner_types(&key);
    let all = ids.clone().lazy().filter(col("id").is_not_null()).select([
        col("id"),
        col(FILE_COL),
        col(ROW_COL),
    ]);
    let id_dtype = ids.column("id")?.dtype().clone();
    let mut here = TableIds {
        table,
        key,
        types,
        all,
        id_dtype,
    };
    claim_shared(context, &here, out)?;
    let mut own = own_mappings(context, &here, out)?;
    // The ids and the legacy ids compared alike: as numbers when both are held as
    // numbers, otherwise as text.
    let (id_key, legacy_key) = same_keys(
        col("id"),
        &here.id_dtype,
        col("legacy_id"),
        &own.legacy_dtype,
    );
    // Which ids have a mapping of their own and which own mappings' ids are in the file,
    // both found at once (`held`); each id row then carries its answer as `__held`.
    let mapped_held = match own.any_mapped {
        true => held(&ids, context.inputs, &own, [&id_key, &legacy_key])?,
        false => None,
    };
    if let Some((ids_held, _)) = &mapped_held {
        let mut with_held = ids.clone();
        with_held.with_column(ids_held.clone().into_column())?;
        here.all = with_held.lazy().filter(col("id").is_not_null()).select([
            col("id"),
            col(FILE_COL),
            col(ROW_COL),
            col("__held"),
        ]);
    }
    let (in_scope, excluded) = in_scope(context, &here)?;
    let unowned = match (own.any_mapped, &mapped_held) {
        // No mapping of the owners' types (or no owner): no id has one of its own.
        (false, _) => in_scope.clone(),
        (true, Some(_)) => in_scope.clone().filter(col("__held").not()).select([
            col("id"),
            col(FILE_COL),
            col(ROW_COL),
        ]),
        (true, None) => in_scope.clone().join(
            own.mapped(&inputs.mappings)?.select([col("legacy_id")]),
            [id_key.clone()],
            [legacy_key.clone()],
            JoinArgs::new(JoinType::Anti),
        ),
    }
    .collect()?;
    let unmapped = count_unmapped(
        context,
        &here,
        in_scope,
        excluded,
        unowned,
        std::mem::take(&mut own.shared),
        out,
    )?;
    out.unmapped_rows
        .insert(here.key.clone(), unmapped.height() as u64);
    let unmapped = first_rows(unmapped, &["id"], context.kept)?;
    // A few samples kept to the end, in buffers of their own (every row, with
    // `--failures-dir`, shares the table's).
    let unmapped = match context.kept {
        Some(_) => own_text(unmapped)?,
        None => unmapped,
    };
    // As text: tables hold their ids as numbers or as text (`ColumnKind::Key`).
    out.unmapped_parts.push(unmapped.lazy().select([
        lit(here.key.clone()).alias("table_key"),
        col("id").cast(DataType::String),
        col(FILE_COL),
        col(ROW_COL),
    ]));
    let TableIds {
        key, types, all, ..
    } = here;
    if own.any_mapped {
        let orphans = table_orphans(
            context,
            &key,
            &own,
            all,
            [id_key, legacy_key],
            mapped_held.map(|(_, mapped)| mapped),
        )?;
        out.orphan_rows.insert(key.clone(), orphans.height() as u64);
        out.orphan_parts
            .push(orphan_part(&inputs.mappings, orphans, &key, context.kept)?);
    }
    // Ids read again are freed now, and handed back before the next table's.
    drop(ids);
    if !source.is_held() {
        crate::memory::release_freed_memory();
    }
    out.tables.insert(
        key,
        (
            table.to_string(),
            owners.iter().map(|e| e.name.clone()).collect(),
            types.into_iter().collect::<Vec<_>>(),
        ),
    );
    Ok(())
}

/// Of the shared types' unclaimed mappings, those whose id this table holds are claimed.
/// A pushed-down table's file holds only its unmapped ids: its types' orphans cannot be
/// told then.
fn claim_shared(context: &Context, here: &TableIds, out: &mut Gathered) -> PolarsResult<()> {
    let inputs = context.inputs;
    let shared_here: Vec<String> = here
        .types
        .iter()
        .filter(|t| out.unclaimed.contains_key(*t))
        .cloned()
        .collect();
    for t in &shared_here {
        if inputs.pushdown.contains_key(here.table) {
            out.unclaimed.remove(t);
            continue;
        }
        let rows = legacy_ids_at(
            &inputs.mappings,
            std::mem::take(out.unclaimed.get_mut(t).expect("checked")),
        )?;
        let (id_key, legacy_key) = same_keys(
            col("id"),
            &here.id_dtype,
            col("legacy_id"),
            rows.column("legacy_id")?.dtype(),
        );
        let left = rows
            .lazy()
            .join(
                here.all.clone().select([col("id")]),
                [legacy_key],
                [id_key],
                JoinArgs::new(JoinType::Anti),
            )
            .select([col("__mapping")])
            .collect()?;
        *out.unclaimed.get_mut(t).expect("checked") = left
            .column("__mapping")?
            .idx()?
            .into_no_null_iter()
            .collect();
        out.read_for
            .entry(t.clone())
            .or_default()
            .insert(here.key.clone());
    }
    Ok(())
}

/// The table's ids in scope (those no exclusion in force lists), and the expression that
/// counts its distinct excluded ids (`excluded`).
fn in_scope(context: &Context, here: &TableIds) -> PolarsResult<(LazyFrame, Expr)> {
    Ok(match context.excluded_ids.get(&here.key) {
        None => (
            here.all.clone(),
            lit(0u64).cast(DataType::UInt64).alias("excluded"),
        ),
        Some(listed) => {
            let listed = concat(listed.clone(), UnionArgs::default())?.collect()?;
            let listed = keys_like(
                listed.column("id")?.as_materialized_series().clone(),
                &here.id_dtype,
            )?;
            let listed = lit(listed).implode(false);
            let is_listed = col("id").is_in(listed, false);
            (
                here.all.clone().filter(is_listed.clone().not()),
                col("id")
                    .filter(is_listed)
                    .n_unique()
                    .cast(DataType::UInt64)
                    .alias("excluded"),
            )
        }
    })
}

/// A table's owners' mappings.
struct OwnMappings {
    /// Its own mappings' positions, types in order, rows in order: their legacy ids are
    /// read where they are ([`OwnMappings::mapped`] when a join needs them apart).
    positions: IdxCa,
    legacy_dtype: DataType,
    /// Whether it has any own mapping.
    any_mapped: bool,
    /// The positions of its shared types' mappings that name no table (ambiguous).
    shared: Vec<IdxSize>,
}

impl OwnMappings {
    /// Its own mappings' `legacy_id` and position (`__mapping`).
    fn mapped(&self, mappings: &DataFrame) -> PolarsResult<LazyFrame> {
        Ok(legacy_ids_at_positions(mappings, self.positions.clone())?.lazy())
    }
}

/// The owners' mappings. A table's own mappings are those it alone could have (its types
/// shared with no other table) or that name it in `legacy_table`; a shared type's mappings
/// that name no table are ambiguous: they may be this table's or another's.
fn own_mappings(
    context: &Context,
    here: &TableIds,
    out: &mut Gathered,
) -> PolarsResult<OwnMappings> {
    let mappings = &context.inputs.mappings;
    let (mut positions, mut shared_positions) = (Vec::new(), Vec::new());
    for t in here
        .types
        .iter()
        .filter(|t| context.rows_per_type.contains_key(*t))
    {
        if let Some(rows) = out.shared_rows.get(t) {
            // A shared type: the rows that name the table are its own, those that name
            // none are ambiguous (as `Ownership::own` and `Ownership::ambiguous` select them).
            positions.extend(rows.by_key.get(&here.key).into_iter().flatten());
            shared_positions.extend(&rows.unnamed);
            continue;
        }
        match out.type_rows.take(mappings, t)? {
            Some(of_type) => narrowed(
                mappings,
                of_type,
                context.owned.own_of_type(t, &here.key),
                &mut positions,
            )?,
            None => rows_where(mappings, context.owned.own(t, &here.key), &mut positions)?,
        }
        if let Some(ambiguous) = context.owned.ambiguous(t) {
            rows_where(mappings, ambiguous, &mut shared_positions)?;
        }
    }
    let any_mapped = !positions.is_empty();
    let legacy_dtype = mappings.column("legacy_id")?.dtype().clone();
    Ok(OwnMappings {
        positions: IdxCa::from_vec("__mapping".into(), positions),
        legacy_dtype,
        any_mapped,
        shared: shared_positions,
    })
}

/// Of the unowned ids, those with no ambiguous mapping either: the unmapped ids, returned.
/// Adds the table's counts (excluded, in scope, unowned, unmapped; distinct ids) to the
/// count parts.
fn count_unmapped(
    context: &Context,
    here: &TableIds,
    in_scope: LazyFrame,
    excluded: Expr,
    unowned: DataFrame,
    shared_positions: Vec<IdxSize>,
    out: &mut Gathered,
) -> PolarsResult<DataFrame> {
    let no_shared = shared_positions.is_empty();
    let unmapped = match no_shared {
        true => unowned.clone(),
        false => {
            let shared = legacy_ids_at(&context.inputs.mappings, shared_positions)?;
            let (id_key, shared_key) = same_keys(
                col("id"),
                &here.id_dtype,
                col("legacy_id"),
                shared.column("legacy_id")?.dtype(),
            );
            unowned
                .clone()
                .lazy()
                .join(
                    shared.lazy(),
                    [id_key],
                    [shared_key],
                    JoinArgs::new(JoinType::Anti),
                )
                .collect()?
        }
    };
    let distinct = |frame: LazyFrame| super::repeats::distinct(frame, "id");
    // Without a shared type the two sets are one: counted once.
    let distinct_unmapped = distinct(unmapped.clone().lazy())?;
    let distinct_unowned = match no_shared {
        true => distinct_unmapped,
        false => distinct(unowned.lazy())?,
    };
    // Collected now (one row): a plan kept until the end held every table's ids.
    out.count_parts.push(
        here.all
            .clone()
            .select([excluded])
            .with_columns([
                lit(here.key.clone()).alias("table_key"),
                lit(distinct(in_scope)?)
                    .cast(DataType::UInt64)
                    .alias("in_scope"),
                lit(distinct_unowned)
                    .cast(DataType::UInt64)
                    .alias("unowned"),
                lit(distinct_unmapped)
                    .cast(DataType::UInt64)
                    .alias("unmapped"),
            ])
            .collect()?
            .lazy(),
    );
    Ok(unmapped)
}

/// Mapping rows of an owner's type whose legacy id is nowhere in the table's file (`all`);
/// for a pushed-down table (whose file holds only the unmapped ids) those the database
/// named as orphans: `__mapping` and `legacy_id`. Collected table by table, like the
/// unmapped ids: each join's table of ids is freed before the next is built (all at once,
/// they were the step's peak).
fn table_orphans(
    context: &Context,
    key: &str,
    own: &OwnMappings,
    all: LazyFrame,
    [id_key, legacy_key]: [Expr; 2],
    held: Option<BooleanChunked>,
) -> PolarsResult<DataFrame> {
    let mappings = &context.inputs.mappings;
    let orphans = match (context.pushed_orphans.get(key), held) {
        (Some(named), _) => {
            let named = keys_like(
                named.column("legacy_id")?.as_materialized_series().clone(),
                &own.legacy_dtype,
            )?;
            own.mapped(mappings)?.join(
                DataFrame::new(named.len(), vec![named.into_column()])?.lazy(),
                [col("legacy_id")],
                [col("legacy_id")],
                JoinArgs::new(JoinType::Semi),
            )
        }
        // Only the orphans' legacy ids are taken.
        (None, Some(held)) => {
            let positions = own.positions.filter(&!&held)?;
            legacy_ids_at_positions(mappings, positions)?.lazy()
        }
        (None, None) => own.mapped(mappings)?.join(
            all.select([col("id")]),
            [legacy_key],
            [id_key],
            JoinArgs::new(JoinType::Anti),
        ),
    };
    orphans
        .select([col("__mapping"), col("legacy_id")])
        .collect()
}

/// The shared types' mappings that name no table and whose id no sharing table holds,
/// once every sharing table's ids were read: orphans, listed under the first of them.
fn shared_orphans(context: &Context, out: &mut Gathered) -> PolarsResult<()> {
    for (t, left) in std::mem::take(&mut out.unclaimed) {
        let sharing = &context.owned.shared()[&t];
        if left.is_empty() || out.read_for.get(&t) != Some(sharing) {
            continue;
        }
        let Some(first) = sharing.first() else {
            continue;
        };
        let rows = legacy_ids_at(&context.inputs.mappings, left)?;
        *out.orphan_rows.entry(first.clone()).or_insert(0) += rows.height() as u64;
        out.orphan_parts.push(orphan_part(
            &context.inputs.mappings,
            rows,
            first,
            context.kept,
        )?);
    }
    Ok(())
}

impl MissingSets {
    /// The orphans' rows, from their positions (`__mapping`, `table_key`): every column,
    /// taken once the mappings hold every column again (missing data runs with the modern
    /// ids' halves set aside, `super::set_aside`).
    pub fn take_orphan_rows(&mut self, inputs: &Inputs) -> PolarsResult<()> {
        self.orphans = orphan_rows(inputs, std::mem::take(&mut self.orphans))?;
        Ok(())
    }
}

/// The orphan mapping rows, every column, with their `table_key`: taken by position, no
/// join of every mapping. Their modern ids as text, for the finding's samples.
fn orphan_rows(inputs: &Inputs, found: DataFrame) -> PolarsResult<DataFrame> {
    match found.height() == 0 {
        true => inputs
            .mappings
            .clone()
            .lazy()
            .limit(0)
            .with_column(lit(NULL).cast(DataType::String).alias("table_key"))
            .collect(),
        false => {
            let mut rows = inputs.mappings.take(found.column("__mapping")?.idx()?)?;
            rows.with_column(found.column("table_key")?.clone())?;
            rows.lazy()
                .with_columns([
                    uuid_text("modern_id"),
                    col("entity_type").cast(DataType::String),
                    col(ENTITY_TYPE_KEY).cast(DataType::String),
                ])
                .collect()
        }
    }
}

/// `frame`'s rows by `table_key`, each table's in their order: sorted once and cut into
/// slices (a filter per table read every row for every table, N² for N tables).
fn by_table(frame: &DataFrame) -> PolarsResult<BTreeMap<String, DataFrame>> {
    let mut tables = BTreeMap::new();
    if frame.height() == 0 {
        return Ok(tables);
    }
    // One chunk: the frame is stacked from a part per table, and a slice of a column of N
    // chunks walks them all (N² for N tables).
    let mut sorted = frame.sort(
        ["table_key"],
        SortMultipleOptions::default().with_maintain_order(true),
    )?;
    sorted.rechunk_mut_par();
    // In the sorted frame's order: a stable grouping lists the keys as they first appear.
    let runs = sorted
        .clone()
        .lazy()
        .group_by_stable([col("table_key")])
        .agg([len().alias("n")])
        .select([col("table_key").cast(DataType::String), col("n")])
        .collect()?;
    let mut offset = 0i64;
    for (key, n) in runs
        .column("table_key")?
        .str()?
        .iter()
        .zip(runs.column("n")?.idx()?.iter())
    {
        let n = n.unwrap_or(0) as usize;
        if let Some(key) = key {
            tables.insert(key.to_string(), sorted.slice(offset, n));
        }
        offset += n as i64;
    }
    Ok(tables)
}

/// Every `source_ids` table's frames (tables excluded whole left out).
pub fn frames(joined: &MissingSets) -> PolarsResult<Vec<MissingFrames>> {
    let mut unmapped = by_table(&joined.unmapped)?;
    let mut orphans = by_table(&joined.orphans)?;
    let of_table = |tables: &mut BTreeMap<String, DataFrame>, all: &DataFrame, key: &str| {
        tables.remove(key).unwrap_or_else(|| all.clear()).lazy()
    };
    Ok(joined
        .tables
        .iter()
        .map(|(key, (table, owners, types))| MissingFrames {
            table: table.clone(),
            owners: owners.clone(),
            entity_types: types.clone(),
            unmapped: of_table(&mut unmapped, &joined.unmapped, key),
            unmapped_rows: joined.unmapped_rows.get(key).copied().unwrap_or(0),
            orphans: of_table(&mut orphans, &joined.orphans, key),
            orphan_rows: joined.orphan_rows.get(key).copied().unwrap_or(0),
        })
        .collect())
}

/// Mapping rows per `entity_type_key` (null left out).
fn rows_per_type(mappings: &DataFrame) -> PolarsResult<BTreeMap<String, i64>> {
    // Counted from the codes, not grouped ([`crate::load::tables::rows_per_category`]).
    if let Some(counted) =
        crate::load::tables::rows_per_category(mappings.column(ENTITY_TYPE_KEY)?)?
    {
        return Ok(counted.into_iter().map(|(t, n)| (t, n as i64)).collect());
    }
    let counts = mappings
        .clone()
        .lazy()
        .group_by([col(ENTITY_TYPE_KEY)])
        .agg([len().cast(DataType::Int64).alias("n")])
        .filter(col(ENTITY_TYPE_KEY).is_not_null())
        .with_column(col(ENTITY_TYPE_KEY).cast(DataType::String))
        .collect()?;
    let types = counts.column(ENTITY_TYPE_KEY)?.str()?;
    let n = counts.column("n")?.i64()?;
    Ok(types
        .iter()
        .zip(n.iter())
        .filter_map(|(t, n)| Some((t?.to_string(), n?)))
        .collect())
}

/// For each row of `ids`, whether the table's own mappings (`mapped`) hold its id, and for
/// each of those mappings, whether `ids` hold its legacy id, compared through `keys` (the
/// id's and the legacy id's); `None` for keys [`held::held_both_ways`] does not compare.
fn held(
    ids: &DataFrame,
    inputs: &Inputs,
    own: &OwnMappings,
    [id_key, legacy_key]: [&Expr; 2],
) -> PolarsResult<Option<(BooleanChunked, BooleanChunked)>> {
    let legacy = inputs.mappings.column("legacy_id")?;
    // The legacy ids are read where they are, by position, as they are held (numbers or
    // text, and a number against a text as `keys` compare them): a copy of them held 16
    // bytes a mapping (0.2 GiB for the largest table at 100M realistic records).
    let positions = own.positions.rechunk();
    let positions = positions
        .cont_slice()
        .map_err(|e| polars_err!(ComputeError: "{e}"))?;
    if let Some(held) = super::held::held_both_ways_at(ids.column("id")?, legacy, positions)? {
        return Ok(Some(held));
    }
    let ids = ids
        .clone()
        .lazy()
        .select([id_key.clone().alias("__key")])
        .collect()?;
    let mapped = own
        .mapped(&inputs.mappings)?
        .select([legacy_key.clone().alias("__key")])
        .collect()?;
    super::held::held_both_ways(ids.column("__key")?, mapped.column("__key")?)
}

/// The mappings' legacy ids at `positions`, with those positions as `__mapping`.
fn legacy_ids_at(mappings: &DataFrame, positions: Vec<IdxSize>) -> PolarsResult<DataFrame> {
    legacy_ids_at_positions(mappings, IdxCa::from_vec("__mapping".into(), positions))
}

fn legacy_ids_at_positions(mappings: &DataFrame, positions: IdxCa) -> PolarsResult<DataFrame> {
    let mut rows = mappings.select(["legacy_id"])?.take(&positions)?;
    rows.with_column(positions.into_column())?;
    Ok(rows)
}

/// A table's orphan mapping rows (`__mapping`, `legacy_id`) as the part the findings read:
/// their positions under `table_key`, the first `kept` as the finding orders them (their
/// file and row placed to pick them), or all.
fn orphan_part(
    mappings: &DataFrame,
    orphans: DataFrame,
    table_key: &str,
    kept: Option<usize>,
) -> PolarsResult<LazyFrame> {
    let orphans = match kept {
        Some(n) if orphans.height() > n => {
            let mut orphans = orphans;
            let placed = mappings
                .select([FILE_COL, ROW_COL])?
                .take(orphans.column("__mapping")?.idx()?)?;
            orphans.hstack_mut(placed.columns())?;
            first_rows(orphans, &["legacy_id"], kept)?
        }
        _ => orphans,
    };
    Ok(orphans
        .lazy()
        .select([
            col("__mapping"),
            lit(table_key.to_string()).alias("table_key"),
        ])
        .collect()?
        .lazy())
}

/// Appends the `positions` (in row order) where `condition` holds of the mapping row, or
/// all of them without a condition.
fn narrowed(
    mappings: &DataFrame,
    positions: Vec<IdxSize>,
    condition: Option<Expr>,
    into: &mut Vec<IdxSize>,
) -> PolarsResult<()> {
    let Some(condition) = condition else {
        into.extend(positions);
        return Ok(());
    };
    let positions = IdxCa::from_vec("__mapping".into(), positions);
    let mask = mappings
        .select(["legacy_table"])?
        .take(&positions)?
        .lazy()
        .select([condition.fill_null(lit(false)).alias("m")])
        .collect()?;
    let mask = mask.column("m")?.bool()?;
    into.extend(
        positions
            .into_no_null_iter()
            .zip(mask.iter())
            .filter_map(|(p, m)| m.unwrap_or(false).then_some(p)),
    );
    Ok(())
}

/// Appends the positions of the mapping rows where `condition` holds, in row order: a mask
/// of the rows (a bit each), then its set bits.
fn rows_where(mappings: &DataFrame, condition: Expr, into: &mut Vec<IdxSize>) -> PolarsResult<()> {
    let mask = mappings
        .clone()
        .lazy()
        .select([condition.fill_null(lit(false)).alias("m")])
        .collect()?;
    let mask = mask.column("m")?.bool()?;
    let mut offset = 0;
    for chunk in mask.downcast_iter() {
        into.extend(
            chunk
                .values()
                .true_idx_iter()
                .map(|i| (offset + i) as IdxSize),
        );
        offset += chunk.len();
    }
    Ok(())
}

/// Mapping rows whose distinct values are found at a time ([`Ownership::named_elsewhere`]).
const SLOT_ROWS: usize = 1 << 20;

/// Which mapping rows a legacy table may call its own. An entity type owned by entities of
/// one legacy table is that table's; a type that entities of several tables share (two
/// tables feeding one modern entity, `customers_eu` and `customers_us` as `CUSTOMER`) is
/// only attributed by the mappings' optional `legacy_table` column. Nothing else can tell
/// whose a shared type's mapping is, so it is never counted as any table's migrated row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ownership {
    /// Entity type keys whose entities name more than one legacy table, with those tables
    /// (by `table_key`).
    shared: BTreeMap<String, BTreeSet<String>>,
    /// The `legacy_table` values the mappings hold, by `table_key`: compared as the
    /// inventory's names are, ignoring case and surrounding spaces.
    named: BTreeMap<String, Vec<String>>,
    /// Values that are only white space: they name no table, as an empty cell does.
    blank: Vec<String>,
    /// Every entity type key the entities declare, with the tables (by `table_key`) whose
    /// entities own it.
    owners: BTreeMap<String, BTreeSet<String>>,
}

impl Ownership {
    pub fn of(inputs: &Inputs) -> PolarsResult<Self> {
        let mut tables_of: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for e in &inputs.entities {
            if let Some(t) = &e.entity_type {
                tables_of
                    .entry(t.as_str())
                    .or_default()
                    .insert(table_key(&e.legacy_table));
            }
        }
        let owners: BTreeMap<String, BTreeSet<String>> = tables_of
            .into_iter()
            .map(|(t, tables)| (t.to_string(), tables))
            .collect();
        let shared = owners
            .iter()
            .filter(|(_, tables)| tables.len() > 1)
            .map(|(t, tables)| (t.clone(), tables.clone()))
            .collect();
        let distinct = inputs
            .mappings
            .clone()
            .lazy()
            .select([col("legacy_table").unique().cast(DataType::String)])
            .filter(col("legacy_table").is_not_null())
            .collect()?;
        let (mut named, mut blank): (BTreeMap<String, Vec<String>>, Vec<String>) =
            Default::default();
        for name in distinct.column("legacy_table")?.str()?.iter().flatten() {
            match table_key(name) {
                key if key.is_empty() => blank.push(name.to_string()),
                key => named.entry(key).or_default().push(name.to_string()),
            }
        }
        Ok(Ownership {
            shared,
            named,
            blank,
            owners,
        })
    }

    /// Which mapping rows name in `legacy_table` a table (not blank) that no entity of
    /// their entity type owns: `TA` rows, `ta`'s type alone, that say `tb`, or rows of a
    /// type no entity declares that name a table. Such a row contradicts itself: whether
    /// its type or its table is wrong cannot be told, so it is counted for no table, as a
    /// shared type's unnamed row is, and `integrity.mapping.table_mismatch` names it
    /// (found by an independent check: the rows were dropped with no word). Worked out
    /// once per distinct (type, table) pair and spread to the rows by their slots, so its
    /// cost does not grow with the types. `None` when no mapping names a table.
    pub fn named_elsewhere(&self, mappings: &DataFrame) -> PolarsResult<Option<BooleanChunked>> {
        self.named_elsewhere_by(mappings, SLOT_ROWS)
    }

    /// [`Self::named_elsewhere`], `slot_rows` rows at a time.
    fn named_elsewhere_by(
        &self,
        mappings: &DataFrame,
        slot_rows: usize,
    ) -> PolarsResult<Option<BooleanChunked>> {
        if self.named.is_empty() {
            return Ok(None);
        }
        let (types, tables) = (
            mappings.column(ENTITY_TYPE_KEY)?,
            mappings.column("legacy_table")?,
        );
        // A million rows at a time, so that the rows' slots (4 bytes a row a column) are
        // never held for every mapping.
        let mut rows = BooleanChunked::full("__table_mismatch".into(), false, 0);
        let mut offset = 0;
        while offset < mappings.height() {
            let len = slot_rows.min(mappings.height() - offset);
            let (type_texts, type_slots) = value_slots(&types.slice(offset as i64, len))?;
            let (table_texts, table_slots) = value_slots(&tables.slice(offset as i64, len))?;
            let mut elsewhere = Vec::with_capacity(type_texts.len() * table_texts.len());
            for entity_type in &type_texts {
                for table in &table_texts {
                    let named = table.as_deref().map(table_key).filter(|k| !k.is_empty());
                    elsewhere.push(match (entity_type, named) {
                        // No type is a missing value, named as one; no table names none.
                        (None, _) | (_, None) => false,
                        (Some(t), Some(key)) => !self
                            .owners
                            .get(t)
                            .is_some_and(|owners| owners.contains(&key)),
                    });
                }
            }
            let width = table_texts.len();
            let piece: BooleanChunked = type_slots
                .iter()
                .zip(&table_slots)
                .map(|(t, table)| elsewhere[*t as usize * width + *table as usize])
                .collect();
            rows.append(&piece)?;
            offset += len;
        }
        Ok(Some(rows.with_name("__table_mismatch".into())))
    }

    /// The mapping rows that name no table: null, or only white space.
    fn unnamed(&self) -> Expr {
        let null = col("legacy_table").is_null();
        match self.blank.is_empty() {
            true => null,
            false => null.or(per_category(
                "legacy_table",
                col("legacy_table").is_in(
                    lit(Series::new("blank".into(), self.blank.clone())).implode(false),
                    false,
                ),
                DataType::Boolean,
            )),
        }
    }

    /// The distinct table names the mappings' `legacy_table` holds (blank ones left out),
    /// as written: each must be a table of the source inventory.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.named.values().flatten().map(String::as_str)
    }

    /// The third part of a mapping's identity beside (entity_type, legacy_id): for a shared
    /// type, the table its `legacy_table` names (trimmed, lower case; "" when it names
    /// none); "" for every other row, whose table its type alone says. `None` when no
    /// mapping names a table or no type is shared: the pair is the identity then.
    pub fn table_part(&self) -> Option<Expr> {
        if self.named.is_empty() || self.shared.is_empty() {
            return None;
        }
        let shared = Series::new(
            "shared".into(),
            self.shared.keys().cloned().collect::<Vec<_>>(),
        );
        let folded = per_category(
            "legacy_table",
            col("legacy_table")
                .str()
                .strip_chars(lit(NULL))
                .str()
                .to_lowercase()
                .fill_null(lit("")),
            DataType::String,
        );
        Some(
            when(per_category(
                ENTITY_TYPE_KEY,
                col(ENTITY_TYPE_KEY)
                    .is_in(lit(shared).implode(false), false)
                    .fill_null(lit(false)),
                DataType::Boolean,
            ))
            .then(folded)
            .otherwise(lit(""))
            .alias("__legacy_table"),
        )
    }

    /// Whether entities of several legacy tables own `entity_type`.
    pub fn is_shared(&self, entity_type: &str) -> bool {
        self.shared.contains_key(entity_type)
    }

    /// The shared entity types, each with the tables (by `table_key`) whose entities own it.
    pub fn shared(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.shared
    }

    /// Mapping rows of `entity_type` that are the table's (`table`: its `table_key`).
    pub fn own(&self, entity_type: &str, table: &str) -> Expr {
        let of_type = col(ENTITY_TYPE_KEY).eq(lit(entity_type.to_string()));
        match self.own_of_type(entity_type, table) {
            Some(condition) => of_type.and(condition),
            None => of_type,
        }
    }

    /// Which of `entity_type`'s mapping rows are the table's, read from `legacy_table`
    /// alone; `None` when every row of the type is.
    fn own_of_type(&self, entity_type: &str, table: &str) -> Option<Expr> {
        let names_it = match self.named.get(table) {
            Some(names) => per_category(
                "legacy_table",
                col("legacy_table").is_in(
                    lit(Series::new("names".into(), names.clone())).implode(false),
                    false,
                ),
                DataType::Boolean,
            ),
            None => lit(false),
        };
        match (self.is_shared(entity_type), self.named.is_empty()) {
            (true, _) => Some(names_it),
            // No mapping names a table: the type's rows, as they are.
            (false, true) => None,
            (false, false) => Some(self.unnamed().or(names_it)),
        }
    }

    /// Mapping rows of a shared `entity_type` that name no table; `None` for a type that is
    /// not shared.
    pub fn ambiguous(&self, entity_type: &str) -> Option<Expr> {
        self.is_shared(entity_type).then(|| {
            col(ENTITY_TYPE_KEY)
                .eq(lit(entity_type.to_string()))
                .and(self.unnamed())
        })
    }
}

/// The first `kept` rows of `frame` in the order a finding lists them by `keys`
/// ([`super::sample_order`]); the frame as it is when that is all of it.
fn first_rows(frame: DataFrame, keys: &[&str], kept: Option<usize>) -> PolarsResult<DataFrame> {
    first_rows_by_slices(frame, keys, kept, SAMPLE_SLICE)
}

/// [`first_rows`], sorting `slice` rows at a time.
fn first_rows_by_slices(
    frame: DataFrame,
    keys: &[&str],
    kept: Option<usize>,
    slice: usize,
) -> PolarsResult<DataFrame> {
    let Some(n) = kept.filter(|n| frame.height() > *n) else {
        return Ok(frame);
    };
    let first = |part: DataFrame| {
        part.lazy()
            .sort_by_exprs(
                super::sample_order(keys),
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .limit(n as IdxSize)
            .collect()
    };
    if frame.height() <= slice {
        return first(frame);
    }
    // The order is total (file and row break every tie), so the first `n` of the whole are
    // the first `n` of the slices' first `n`. Slice by slice, the keys are held as numbers
    // and as text for one slice only: the whole sort held them for every row (a table's
    // unmapped ids or orphans can be millions).
    let mut candidates: Option<DataFrame> = None;
    for offset in (0..frame.height()).step_by(slice) {
        let part = first(frame.slice(offset as i64, slice))?;
        match candidates.as_mut() {
            Some(all) => {
                all.vstack_mut_owned(part)?;
            }
            None => candidates = Some(part),
        }
    }
    first(candidates.expect("a frame of more than one slice"))
}

/// How many rows [`first_rows`] sorts at a time.
const SAMPLE_SLICE: usize = 1 << 20;

/// A frame's text columns copied into buffers of their own. Text is held as views into
/// buffers shared with the column it was taken from, so a table's few sample ids, kept to
/// the end of the build, held every buffer of the table's ids: at 100M realistic records
/// (ids of text) 0.37 GiB, the tables' ids long freed but for them. For a frame of
/// samples (a few rows), not of every row.
fn own_text(mut frame: DataFrame) -> PolarsResult<DataFrame> {
    for name in frame.get_column_names_owned() {
        if frame.column(&name)?.dtype() == &DataType::String {
            let copy: StringChunked = frame.column(&name)?.str()?.iter().collect();
            frame.replace(&name, copy.with_name(name.clone()).into_column())?;
        }
    }
    Ok(frame)
}

/// One count column of a frame with one row per `table_key`.
fn column_by_table(frame: &DataFrame, column: &str) -> PolarsResult<BTreeMap<String, u64>> {
    let keys = frame.column("table_key")?.str()?;
    let n = frame.column(column)?.u64()?;
    Ok((0..frame.height())
        .filter_map(|i| Some((keys.get(i)?.to_string(), n.get(i).unwrap_or(0))))
        .collect())
}

/// The counts per `source_ids` table (tables excluded whole left out), and the sets they
/// count: of each table's unmapped ids and orphans, the first `kept` as the findings order
/// them (every one when `None`). At 100M records the unmapped ids alone were 13 million
/// rows, held to the end for 20 samples.
pub fn measure(
    inputs: &Inputs,
    date: Option<NaiveDate>,
    kept: Option<usize>,
) -> PolarsResult<(Vec<MissingTable>, MissingSets)> {
    let joined = join(inputs, date, kept)?;
    let orphans = joined.orphan_rows.clone();
    let in_scope = column_by_table(&joined.counts, "in_scope")?;
    let unowned = column_by_table(&joined.counts, "unowned")?;
    let distinct_unmapped = column_by_table(&joined.counts, "unmapped")?;
    let owned = &joined.ownership;
    let excluded = column_by_table(&joined.counts, "excluded")?;
    let tables = joined
        .tables
        .iter()
        .map(|(key, (table, owners, types))| {
            let get = |m: &BTreeMap<String, u64>| m.get(key).copied().unwrap_or(0);
            // A pushed-down table's file holds no matched id: the database counted them,
            // against every mapping of its types, so with a shared type they are ambiguous.
            // The count stands only on the mappings given: the types the database compared
            // must be the owners' types now, each with mapping rows, and it can be no more
            // than those rows.
            let pushed = inputs.pushdown.get(table).map_or(0, |p| {
                let compared: BTreeSet<String> = p
                    .entity_types
                    .iter()
                    .map(|t| crate::model::entity_type_key(t))
                    .collect();
                let owned_types: BTreeSet<String> = types.iter().cloned().collect();
                let rows: i64 = types
                    .iter()
                    .map(|t| joined.rows_per_type.get(t).copied().unwrap_or(0))
                    .sum();
                let backed = compared == owned_types
                    && types.iter().all(|t| joined.rows_per_type.contains_key(t));
                match backed {
                    true => p.matched.min(rows.max(0) as u64),
                    false => 0,
                }
            });
            let shared = types.iter().any(|t| owned.is_shared(t));
            MissingTable {
                table: table.clone(),
                entities: owners.clone(),
                ids: inputs.source_id_count(table),
                excluded: get(&excluded),
                unmapped: get(&distinct_unmapped),
                orphans: if owners.is_empty() { 0 } else { get(&orphans) },
                ambiguous: get(&unowned).saturating_sub(get(&distinct_unmapped))
                    + if shared { pushed } else { 0 },
                matched: get(&in_scope).saturating_sub(get(&unowned))
                    + if shared { 0 } else { pushed },
            }
        })
        .collect();
    Ok((tables, joined))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row's verdict, worked out by hand, whatever the rows found at a time: `TA`
    /// is `ta`'s alone, `T` is shared by `ta` and `tb`, `GHOST` no entity's.
    #[test]
    fn rows_naming_a_table_their_type_is_not_are_found_at_any_slice() {
        let owners: BTreeMap<String, BTreeSet<String>> =
            [("TA", vec!["ta"]), ("T", vec!["ta", "tb"])]
                .into_iter()
                .map(|(t, tables)| {
                    (
                        t.to_string(),
                        tables.into_iter().map(String::from).collect(),
                    )
                })
                .collect();
        let rows: [(Option<&str>, Option<&str>, bool); 9] = [
            (Some("TA"), Some("ta"), false),
            (Some("TA"), Some(" TA "), false),
            (Some("TA"), Some("tb"), true),
            (Some("TA"), None, false),
            (Some("TA"), Some("  "), false),
            (Some("T"), Some("tb"), false),
            (Some("T"), Some("tc"), true),
            (Some("GHOST"), Some("ta"), true),
            (None, Some("tb"), false),
        ];
        let types: Vec<Option<&str>> = rows.iter().map(|r| r.0).collect();
        let tables: Vec<Option<&str>> = rows.iter().map(|r| r.1).collect();
        let expected: Vec<bool> = rows.iter().map(|r| r.2).collect();
        let named: BTreeMap<String, Vec<String>> = tables
            .iter()
            .flatten()
            .filter(|t| !t.trim().is_empty())
            .map(|t| (table_key(t), vec![t.to_string()]))
            .collect();
        let ownership = Ownership {
            named,
            owners,
            ..Ownership::default()
        };
        for dictionary in [true, false] {
            let column = |name: &str, values: &[Option<&str>]| {
                let column = Column::new(name.into(), values);
                match dictionary {
                    true => column.cast(&crate::load::tables::category_dtype()).unwrap(),
                    false => column,
                }
            };
            let mappings = DataFrame::new(
                rows.len(),
                vec![
                    column(ENTITY_TYPE_KEY, &types),
                    column("legacy_table", &tables),
                ],
            )
            .unwrap();
            for slot_rows in [1, 2, 4, 1 << 20] {
                let found = ownership
                    .named_elsewhere_by(&mappings, slot_rows)
                    .unwrap()
                    .unwrap();
                let found: Vec<bool> = found.iter().map(|b| b.unwrap()).collect();
                assert_eq!(found, expected, "{dictionary} {slot_rows}");
            }
        }
    }

    /// The first rows found slice by slice are those of one sort of the whole, worked out
    /// by hand: numbers first in numeric order (`4`, `4`, `007`, `10`; the two `4`s by
    /// row), then text (`ALFKI`, `b`).
    #[test]
    fn first_rows_by_slices_are_the_first_of_the_whole() {
        let frame = df!(
            "id" => ["10", "4", "ALFKI", "4", "007", "b"],
            FILE_COL => ["f"; 6],
            ROW_COL => [1u32, 2, 3, 4, 5, 6],
        )
        .unwrap();
        let rows = |kept: usize, slice: usize| -> Vec<u32> {
            let first = first_rows_by_slices(frame.clone(), &["id"], Some(kept), slice).unwrap();
            first
                .column(ROW_COL)
                .unwrap()
                .u32()
                .unwrap()
                .iter()
                .flatten()
                .collect()
        };
        let whole = [2, 4, 5, 1, 3, 6];
        for kept in 1..=5 {
            for slice in [1, 2, 4, 6] {
                assert_eq!(rows(kept, slice), whole[..kept], "{kept} by {slice}");
            }
        }
    }

    /// Mappings in three chunks, with a null type and a type no batch asks for.
    fn mappings() -> DataFrame {
        let types = [
            Some("A"),
            Some("B"),
            None,
            Some("C"),
            Some("A"),
            Some("D"),
            Some("B"),
            Some("A"),
        ];
        let mut frame: Option<DataFrame> = None;
        for part in types.chunks(3) {
            let part = df!(ENTITY_TYPE_KEY => part.to_vec())
                .unwrap()
                .lazy()
                .select([col(ENTITY_TYPE_KEY).cast(crate::load::tables::category_dtype())])
                .collect()
                .unwrap();
            frame = Some(match frame {
                None => part,
                Some(f) => f.vstack(&part).unwrap(),
            });
        }
        let frame = frame.unwrap();
        assert_eq!(frame.first_col_n_chunks(), 3);
        frame
    }

    fn masked(frame: &DataFrame, t: &str) -> Vec<IdxSize> {
        let mut positions = Vec::new();
        rows_where(
            frame,
            col(ENTITY_TYPE_KEY).eq(lit(t.to_string())),
            &mut positions,
        )
        .unwrap();
        positions
    }

    #[test]
    fn one_pass_finds_each_type_s_rows_as_a_mask_does() {
        let frame = mappings();
        let types = ["B", "A", "Z", "C"].map(String::from);
        let found = positions_by_type(&frame, &types).unwrap().unwrap();
        assert_eq!(found[0], vec![1, 6]);
        assert_eq!(found[1], vec![0, 4, 7]);
        assert_eq!(found[2], Vec::<IdxSize>::new());
        for (t, positions) in types.iter().zip(&found) {
            assert_eq!(positions, &masked(&frame, t), "{t}");
        }
    }

    #[test]
    fn types_whose_codes_are_far_apart_are_found_by_a_lookup() {
        // The dictionary is shared: a million other values between two types' codes.
        let mut types: Vec<String> = vec!["FAR_A".into()];
        types.extend((0..(1 << 20) + 5).map(|i| format!("far-{i}")));
        types.push("FAR_B".into());
        types.push("FAR_A".into());
        let frame = df!(ENTITY_TYPE_KEY => types)
            .unwrap()
            .lazy()
            .select([col(ENTITY_TYPE_KEY).cast(crate::load::tables::category_dtype())])
            .collect()
            .unwrap();
        let n = frame.height() as IdxSize;
        let found = positions_by_type(&frame, &["FAR_B".into(), "FAR_A".into()])
            .unwrap()
            .unwrap();
        assert_eq!(found, vec![vec![n - 2], vec![0, n - 1]]);
    }

    #[test]
    fn types_in_batches_are_found_in_any_order_and_once() {
        let frame = mappings();
        let counts: BTreeMap<String, i64> = [("A", 3), ("B", 2), ("C", 1), ("D", 1)]
            .map(|(t, n)| (t.to_string(), n))
            .into();
        // Batches of at most three rows: [A], [B, C], [D].
        let planned = || {
            TypeRows::plan(
                ["A", "B", "C", "D", "E"].map(String::from).into_iter(),
                &counts,
                3,
            )
        };
        assert_eq!(
            planned().batches,
            vec![
                vec!["A".to_string()],
                vec!["B".into(), "C".into()],
                vec!["D".into()]
            ]
        );
        for order in [
            ["A", "B", "C", "D"],
            ["D", "C", "B", "A"],
            ["C", "A", "D", "B"],
        ] {
            let mut rows = planned();
            for t in order {
                let found = rows.take(&frame, t).unwrap();
                assert_eq!(found, Some(masked(&frame, t)), "{t} in {order:?}");
                // Taken once: asked again, the caller's mask finds them.
                assert_eq!(rows.take(&frame, t).unwrap(), None);
            }
            assert_eq!(rows.take(&frame, "E").unwrap(), None);
        }
    }
}
