//! The ledger: for every table of the source inventory, where each legacy row went.
//!
//! `legacy rows = migrated + failed + excluded + unaccounted`, each term with its source.
//! The source inventory is the denominator of record: a table that no entity and no script
//! names is still a line (all of its rows unaccounted, "not covered by any script"), so the
//! headline can never hide it.
//!
//! Each term comes from the most exact export given, and ids outrank counts:
//! - migrated: with `source_ids/<table>`, its distinct in-scope ids that have a mapping of
//!   their own ([`Ownership`]: of an owning entity's `entity_type`, and, for a type that
//!   entities of several tables share, naming this table in `legacy_table`), whatever the
//!   entities or metrics claim: an id missing data lists as unmapped is never migrated;
//!   else, once the owners' types have a mapping row at all, the distinct mapped
//!   `legacy_id`s of their own (excluded ids left out); else the owning entities'
//!   `migrated_records`; else the covering scripts' metrics (`records_successful` of their
//!   final runs); else 0. Entities and scripts whose target table is not in the target
//!   inventory (a staging copy) claim nothing, and when every owner writes to such a table
//!   its mappings and ids prove no migrated row;
//! - failed: the owning entities' `failed_records`; else the scripts' metrics
//!   (`records_failed` of their final runs); else 0;
//! - excluded: the table's rows when it is excluded whole (then nothing else counts: the
//!   table leaves both sides of the headline); else the distinct excluded ids (those present
//!   in `source_ids/<table>` when that file is given). Expired exclusions do not count.
//!
//! No term claims more rows than the table has: excluded, then migrated, then failed are
//! each capped at what the terms before them leave, so the equation always closes and the
//! headline never passes 100%. What the sources claimed beyond the rows is `difference`
//! (negative), and `reconcile.ledger.over_count` reports it. `ambiguous` says how many of
//! the unaccounted rows have a mapping of a shared type that names no table.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use super::missing::Ownership;
use super::{ratio, ScriptTotals};
use crate::load::tables::keys_like;
use crate::load::{table_key, ExcludedIds, Inputs, Inventory, InventoryTable, SourceIds};
use crate::model::{Domain, Entity, Script};
use uuid::Uuid;

/// Where a ledger term's figure came from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Inventory,
    /// Distinct `source_ids` keys with a mapping.
    SourceIdsAndMappings,
    /// Distinct mapped `legacy_id`s.
    Mappings,
    /// The entities' own counts.
    Entities,
    /// The scripts' metrics (final runs).
    Metrics,
    /// Declared exclusions in `migcov.yaml`.
    Exclusions,
    /// Nothing records it: the term is 0.
    None,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Inventory => "source inventory",
            Source::SourceIdsAndMappings => "source_ids ∩ mappings",
            Source::Mappings => "mappings",
            Source::Entities => "entities",
            Source::Metrics => "metrics",
            Source::Exclusions => "exclusions",
            Source::None => "—",
        }
    }
}

/// One term of a table's equation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Term {
    pub value: i64,
    pub source: Source,
}

impl Term {
    fn new(value: i64, source: Source) -> Self {
        Term { value, source }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerRow {
    /// As the source inventory spells it.
    pub table: String,
    /// The owning entities' domain, else the covering scripts' `data_domain`.
    pub domain: Option<Domain>,
    /// Entities whose `legacy_table` this is, by name.
    pub entities: Vec<(Uuid, String)>,
    /// Scripts whose `source_table` this is, by name.
    pub scripts: Vec<(Uuid, String)>,
    /// Whether any entity or script names this table.
    pub covered: bool,
    pub legacy_rows: i64,
    pub migrated: Term,
    pub failed: Term,
    pub excluded: Term,
    /// `legacy_rows - migrated - failed - excluded`, at least 0.
    pub unaccounted: i64,
    /// Of the unaccounted rows, those whose id has a mapping of an entity type that other
    /// tables share and that names no `legacy_table`: perhaps migrated, never counted so.
    pub ambiguous: i64,
    /// How many more rows the sources claimed than the table has (0 or negative): the
    /// terms are capped, so the equation closes; this says by how much they were.
    pub difference: i64,
    /// What the sources claimed, before capping: migrated, failed, excluded.
    #[serde(skip)]
    pub claimed: [i64; 3],
    /// Rows that count towards coverage: `legacy_rows - excluded`.
    pub in_scope: i64,
    /// `migrated / in_scope`.
    pub coverage: Option<f64>,
}

/// Sums over a set of ledger rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
// Read back from older reports too: a total added since they were written is 0.
#[serde(default)]
pub struct LedgerTotals {
    pub tables: u64,
    pub legacy_rows: i64,
    pub migrated: i64,
    pub failed: i64,
    pub excluded: i64,
    pub unaccounted: i64,
    pub ambiguous: i64,
    pub difference: i64,
    pub in_scope: i64,
    /// `migrated / in_scope`; `None` when nothing is in scope.
    pub coverage: Option<f64>,
    /// Tables, and their legacy rows, that no entity and no script names (excluded ones
    /// left out).
    pub uncovered_tables: u64,
    pub uncovered_rows: i64,
    /// Tables with rows in scope that an entity or a script names: with none, no row can
    /// be counted as migrated, and `coverage` is `None`, not a 0% resting on no link.
    #[serde(skip)]
    pub linked_tables: u64,
}

impl LedgerTotals {
    fn add(&mut self, row: &LedgerRow) {
        self.tables += 1;
        self.legacy_rows += row.legacy_rows;
        self.migrated += row.migrated.value;
        self.failed += row.failed.value;
        self.excluded += row.excluded.value;
        self.unaccounted += row.unaccounted;
        self.ambiguous += row.ambiguous;
        self.difference += row.difference;
        self.in_scope += row.in_scope;
        if row.covered && row.in_scope > 0 {
            self.linked_tables += 1;
        }
        self.coverage = match self.linked_tables {
            0 => None,
            _ => ratio(self.migrated, self.in_scope),
        };
        if !row.covered && row.excluded.value < row.legacy_rows {
            self.uncovered_tables += 1;
            self.uncovered_rows += row.legacy_rows - row.excluded.value;
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ledger {
    /// One row per source inventory table, sorted by name.
    pub rows: Vec<LedgerRow>,
    pub totals: LedgerTotals,
    /// Per domain; tables with no domain (uncovered ones among them) are under `None`.
    #[serde(skip)]
    pub by_domain: BTreeMap<Option<Domain>, LedgerTotals>,
}

/// Builds the ledger, or `None` without a source inventory (there is no denominator of
/// record then, and the report falls back to the entities' own counts).
/// `rows_per_type`: the mapping rows of each entity type (`MissingSets::rows_per_type`); a
/// type with none has no key.
pub fn ledger(
    inputs: &Inputs,
    script_totals: &BTreeMap<Uuid, ScriptTotals>,
    missing: &[super::missing::MissingTable],
    rows_per_type: &BTreeMap<String, i64>,
    owned: &Ownership,
    date: Option<NaiveDate>,
) -> PolarsResult<Option<Ledger>> {
    let Some(inventory) = &inputs.source_tables else {
        return Ok(None);
    };
    let mut sources = Sources {
        inputs,
        inventory,
        script_totals,
        rows_per_type,
        owned,
        date,
        has_mappings: inputs
            .files
            .iter()
            .any(|f| matches!(f.kind, crate::load::InputKind::Mappings(_))),
        source_ids: inputs
            .source_ids
            .iter()
            .filter_map(|(t, f)| Some((resolve(inventory, t)?, f)))
            .collect(),
        missing: missing
            .iter()
            .filter_map(|m| Some((resolve(inventory, &m.table)?, m)))
            .collect(),
        owners: by_table(inventory, &inputs.entities, |e| &e.legacy_table),
        scripts: by_table(inventory, &inputs.scripts, |s| &s.source_table),
        exclusions: by_table(inventory, &inputs.exclusions, |x| &x.declaration.table),
        rows_of_types: Default::default(),
    };
    // The types of the tables whose mappings are counted here (no missing data measured),
    // in the order the tables ask for them.
    let mut order = Vec::new();
    for table in inventory.tables() {
        if sources.source_ids.contains_key(&table.name) && sources.missing.contains_key(&table.name)
        {
            continue;
        }
        let owners = sources.owners.get(&table.name).into_iter().flatten();
        let types: BTreeSet<&String> = owners.filter_map(|e| e.entity_type.as_ref()).collect();
        order.extend(types.into_iter().cloned());
    }
    sources.rows_of_types = std::cell::RefCell::new(super::missing::RowsOfTypes::plan(
        &inputs.mappings,
        order.into_iter(),
        owned,
        rows_per_type,
    )?);
    let mut ledger = Ledger::default();
    for table in inventory.tables() {
        let row = settle(sources.claims(table)?);
        ledger.totals.add(&row);
        ledger.by_domain.entry(row.domain).or_default().add(&row);
        ledger.rows.push(row);
    }
    Ok(Some(ledger))
}

/// Every name is resolved to one inventory table as the inventory looks names up (its
/// exact spelling first, then ignoring case): an inventory may list `Artist` and `artist`
/// (PostgreSQL allows both), and each piece of evidence counts for one of them.
fn resolve(inventory: &Inventory, name: &str) -> Option<String> {
    inventory.find(name).map(|t| t.name.clone())
}

/// `items` by the inventory table each names, in their order.
fn by_table<'a, T>(
    inventory: &Inventory,
    items: &'a [T],
    table: impl Fn(&T) -> &String,
) -> BTreeMap<String, Vec<&'a T>> {
    let mut named: BTreeMap<String, Vec<&'a T>> = BTreeMap::new();
    for item in items {
        if let Some(name) = resolve(inventory, table(item)) {
            named.entry(name).or_default().push(item);
        }
    }
    named
}

/// Everything the ledger's lines are built from, with the ids and missing data measured
/// per table resolved to the inventory's names.
struct Sources<'a> {
    inputs: &'a Inputs,
    inventory: &'a Inventory,
    script_totals: &'a BTreeMap<Uuid, ScriptTotals>,
    rows_per_type: &'a BTreeMap<String, i64>,
    owned: &'a Ownership,
    date: Option<NaiveDate>,
    /// Whether any mappings file was given.
    has_mappings: bool,
    source_ids: BTreeMap<String, &'a SourceIds>,
    missing: BTreeMap<String, &'a super::missing::MissingTable>,
    /// The entities, scripts and exclusions by the inventory table they name, each name
    /// resolved once (resolved again for every table, they took N² lookups).
    owners: BTreeMap<String, Vec<&'a Entity>>,
    scripts: BTreeMap<String, Vec<&'a Script>>,
    exclusions: BTreeMap<String, Vec<&'a ExcludedIds>>,
    /// The mapping rows of the types each table without `source_ids` reads, by position.
    rows_of_types: std::cell::RefCell<super::missing::RowsOfTypes>,
}

/// What the inputs say about one inventory table.
struct Evidence<'a> {
    /// The table's name as tables are compared.
    key: String,
    /// The entities that own the table.
    owners: Vec<&'a Entity>,
    /// The scripts that read the table.
    scripts: Vec<&'a Script>,
    /// The exclusions of the table in force.
    exclusions: Vec<&'a ExcludedIds>,
    /// Excluded whole by one of them.
    whole: bool,
    /// The ids they list (column `id`, distinct).
    excluded_ids: DataFrame,
    /// The owners' entity types.
    types: BTreeSet<String>,
    /// The owners whose target table is one of record ([`Sources::lands`]).
    claiming: Vec<&'a Entity>,
    /// The table's `source_ids`, and the missing data measured from them.
    ids: Option<&'a SourceIds>,
    measured: Option<&'a super::missing::MissingTable>,
}

impl<'a> Sources<'a> {
    /// A figure resting on a target table the target inventory does not list (pgloader's
    /// copy into a staging schema) is not a migrated row.
    fn lands(&self, target: &str) -> bool {
        self.inputs
            .target_tables
            .as_ref()
            .is_none_or(|t| t.find(target).is_some())
    }

    /// What every source claims for one table: the terms, before they are settled.
    fn claims(&self, table: &InventoryTable) -> PolarsResult<Claims> {
        let evidence = self.evidence(table)?;
        let (migrated, ambiguous) = self.migrated(&evidence)?;
        let failed = if !evidence.owners.is_empty() {
            Term::new(
                evidence.claiming.iter().map(|e| e.failed_records).sum(),
                Source::Entities,
            )
        } else {
            self.metrics_term(&evidence.scripts, |t| t.records_failed)
        };
        let excluded = self.excluded(table, &evidence)?;
        let Evidence {
            owners,
            scripts,
            whole,
            ..
        } = evidence;
        Ok(Claims {
            table: table.name.clone(),
            // The first owner's by name, whatever the order of the files (by file order, one
            // domain's coverage depended on which entity came first; found by an
            // independent check); `integrity.table.domain_conflict` names the others.
            domain: owners
                .iter()
                .filter(|e| e.domain.is_some())
                .min_by(|a, b| a.name.cmp(&b.name))
                .and_then(|e| e.domain)
                .or_else(|| {
                    scripts
                        .iter()
                        .min_by(|a, b| a.name.cmp(&b.name))
                        .map(|s| s.data_domain)
                }),
            entities: owners.iter().map(|e| (e.id, e.name.clone())).collect(),
            scripts: scripts.iter().map(|s| (s.id, s.name.clone())).collect(),
            covered: !owners.is_empty() || !scripts.is_empty(),
            legacy_rows: table.row_count,
            whole,
            migrated,
            failed,
            excluded,
            ambiguous,
        })
    }

    /// The entities, scripts, exclusions and ids that name the table.
    fn evidence(&self, table: &InventoryTable) -> PolarsResult<Evidence<'a>> {
        let owners: Vec<&Entity> = self.owners.get(&table.name).cloned().unwrap_or_default();
        let scripts: Vec<&Script> = self.scripts.get(&table.name).cloned().unwrap_or_default();
        let exclusions: Vec<&ExcludedIds> = self
            .exclusions
            .get(&table.name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|x| x.in_force(self.date))
            .collect();
        let whole = exclusions.iter().any(|x| x.ids.is_none());
        let excluded_ids = excluded_ids(&exclusions)?;
        let types: BTreeSet<String> = owners
            .iter()
            .filter_map(|e| e.entity_type.clone())
            .collect();
        let claiming = owners
            .iter()
            .copied()
            .filter(|e| self.lands(&e.target_table))
            .collect();
        Ok(Evidence {
            key: table_key(&table.name),
            owners,
            scripts,
            exclusions,
            whole,
            excluded_ids,
            types,
            claiming,
            ids: self.source_ids.get(&table.name).copied(),
            measured: self.missing.get(&table.name).copied(),
        })
    }

    /// A term from the covering scripts' final runs, when any of them has metrics.
    fn metrics_term(&self, scripts: &[&Script], figure: fn(&ScriptTotals) -> i64) -> Term {
        let totals: Vec<&ScriptTotals> = scripts
            .iter()
            .filter(|s| self.lands(&s.target_table))
            .filter_map(|s| self.script_totals.get(&s.id))
            .collect();
        if totals.is_empty() {
            Term::new(0, Source::None)
        } else {
            Term::new(totals.into_iter().map(figure).sum(), Source::Metrics)
        }
    }

    /// The migrated term from the most exact evidence, and the unaccounted rows with only an
    /// ambiguous mapping.
    fn migrated(&self, evidence: &Evidence) -> PolarsResult<(Term, i64)> {
        let Evidence {
            owners, claiming, ..
        } = evidence;
        // Mappings are the evidence once any row of the owners' types exists; a type with
        // no mapping row at all was likely not exported, so the entities' counts stand (and
        // `reconcile.entity.mapping_count` reports the gap). A `source_ids` file outranks
        // both: its ids are migrated or not, one by one.
        let has_type_rows = self.has_mappings
            && evidence
                .types
                .iter()
                .any(|t| self.rows_per_type.contains_key(t));
        // With a source_ids file the sets come from measure::missing, joined once for all
        // tables; without one, the owners' distinct mapped ids are counted here.
        let (migrated, ambiguous) = match (evidence.ids, evidence.measured) {
            (Some(_), Some(m)) => (
                Term::new(m.matched as i64, Source::SourceIdsAndMappings),
                m.ambiguous as i64,
            ),
            _ if has_type_rows => self.mapped(evidence)?,
            _ if !claiming.is_empty() => (
                Term::new(
                    claiming.iter().map(|e| e.migrated_records).sum(),
                    Source::Entities,
                ),
                0,
            ),
            _ if !owners.is_empty() => (Term::new(0, Source::Entities), 0),
            _ => (
                self.metrics_term(&evidence.scripts, |t| t.records_successful),
                0,
            ),
        };
        // Every owner writes to a table the target inventory does not list (a staging copy):
        // the mapped rows rest on no table of record, so they are not migrated there.
        let migrated = match migrated.source {
            Source::SourceIdsAndMappings | Source::Mappings
                if !owners.is_empty() && claiming.is_empty() =>
            {
                Term::new(0, migrated.source)
            }
            _ => migrated,
        };
        // Two inventory tables whose names differ only in case (`Artist`, `artist`): ids
        // and mappings meet tables by the folded name, so what they show cannot be told
        // apart between the two. It counts for neither: it is ambiguous.
        Ok(match migrated.source {
            Source::SourceIdsAndMappings | Source::Mappings
                if self.inventory.spellings(&evidence.key) > 1 =>
            {
                (Term::new(0, migrated.source), ambiguous + migrated.value)
            }
            _ => (migrated, ambiguous),
        })
    }

    /// Without `source_ids`: the owners' distinct mapped ids of their own, and those with
    /// only a mapping of a shared type that names no table, excluded ids left out.
    fn mapped(&self, evidence: &Evidence) -> PolarsResult<(Term, i64)> {
        let (inputs, types, key) = (self.inputs, &evidence.types, &evidence.key);
        let excluded = excluded_like_mapped(&evidence.excluded_ids, inputs)?.lazy();
        // Every row either count reads is among these (of `types`, and of a shared type
        // naming this table or none): those rows alone, when their positions are at hand.
        let rows = match self
            .rows_of_types
            .borrow_mut()
            .rows(&inputs.mappings, types, key)?
        {
            Some(rows) if rows.height() == 0 => return Ok((Term::new(0, Source::Mappings), 0)),
            Some(rows) => rows.lazy(),
            None => inputs.mappings.clone().lazy(),
        };
        // The joins a table without excluded ids or shared types does not need are left
        // out: a plan per table is most of the ledger's time with thousands of tables.
        let no_excluded = evidence.excluded_ids.height() == 0;
        let anti = |ids: LazyFrame, without: &LazyFrame| match no_excluded {
            true => ids,
            false => ids.join(
                without.clone(),
                [col("id")],
                [col("id")],
                JoinArgs::new(JoinType::Anti),
            ),
        };
        let own = anti(
            mapped_ids(rows.clone(), types, |t| Some(self.owned.own(t, key))),
            &excluded,
        );
        if !types.iter().any(|t| self.owned.is_shared(t)) {
            return Ok((Term::new(count(own)?, Source::Mappings), 0));
        }
        let shared = anti(
            mapped_ids(rows, types, |t| self.owned.ambiguous(t)),
            &excluded,
        )
        .join(
            own.clone(),
            [col("id")],
            [col("id")],
            JoinArgs::new(JoinType::Anti),
        );
        Ok((Term::new(count(own)?, Source::Mappings), count(shared)?))
    }

    /// The excluded term: the table's rows when it is excluded whole, else its distinct
    /// excluded ids (those in its `source_ids`, when missing data measured them).
    fn excluded(&self, table: &InventoryTable, evidence: &Evidence) -> PolarsResult<Term> {
        Ok(if evidence.whole {
            Term::new(table.row_count, Source::Exclusions)
        } else if evidence.exclusions.is_empty() {
            Term::new(0, Source::None)
        } else {
            let n = match (evidence.ids, evidence.measured) {
                (Some(_), Some(m)) => m.excluded as i64,
                _ => count(evidence.excluded_ids.clone().lazy())?,
            };
            Term::new(n, Source::Exclusions)
        })
    }
}

/// What the sources claim for one table, before the terms are settled.
struct Claims {
    table: String,
    domain: Option<Domain>,
    entities: Vec<(Uuid, String)>,
    scripts: Vec<(Uuid, String)>,
    covered: bool,
    legacy_rows: i64,
    /// Excluded whole: the table leaves both sides.
    whole: bool,
    migrated: Term,
    failed: Term,
    excluded: Term,
    ambiguous: i64,
}

/// One ledger line from the claims: every term at least 0 and capped at what the terms
/// before it leave of the table's rows (excluded, migrated, failed), so the terms sum to
/// the legacy rows exactly; what was claimed beyond them is the (negative) difference. A
/// table excluded whole claims nothing else, and its other claims are no over-count.
fn settle(c: Claims) -> LedgerRow {
    let rows = c.legacy_rows.max(0);
    let capped = |term: Term, room: i64| Term::new(term.value.clamp(0, room), term.source);
    let excluded = capped(c.excluded, rows);
    let (migrated, failed) = match c.whole {
        true => (
            Term::new(0, Source::Exclusions),
            Term::new(0, Source::Exclusions),
        ),
        false => (c.migrated, c.failed),
    };
    let in_scope = rows - excluded.value;
    let migrated_capped = capped(migrated, in_scope);
    let failed_capped = capped(failed, in_scope - migrated_capped.value);
    let claimed = c.excluded.value.max(0) + migrated.value.max(0) + failed.value.max(0);
    let unaccounted = rows - excluded.value - migrated_capped.value - failed_capped.value;
    LedgerRow {
        table: c.table,
        domain: c.domain,
        entities: c.entities,
        scripts: c.scripts,
        covered: c.covered,
        // A negative count (a hand-made inventory) is no rows.
        legacy_rows: rows,
        migrated: migrated_capped,
        failed: failed_capped,
        excluded,
        unaccounted,
        ambiguous: c.ambiguous.clamp(0, unaccounted),
        difference: (rows - claimed).min(0),
        claimed: [migrated.value, failed.value, c.excluded.value],
        in_scope,
        // A table nothing links has no coverage figure: 0% would rest on no link.
        coverage: match c.covered {
            true => ratio(migrated_capped.value, in_scope),
            false => None,
        },
    }
}

/// The distinct legacy ids of the mapping rows that `rows` selects for each of some entity
/// types (`None`: none of that type), as column `id`.
fn mapped_ids(
    mappings: LazyFrame,
    types: &BTreeSet<String>,
    rows: impl Fn(&str) -> Option<Expr>,
) -> LazyFrame {
    let selected = types
        .iter()
        .filter_map(|t| rows(t))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    mappings
        .filter(selected.fill_null(lit(false)))
        .select([col("legacy_id").alias("id")])
        .filter(col("id").is_not_null())
        .unique(None, UniqueKeepStrategy::Any)
}

/// Excluded ids (text) as the mappings hold their legacy ids ([`keys_like`]).
fn excluded_like_mapped(excluded: &DataFrame, inputs: &Inputs) -> PolarsResult<DataFrame> {
    let dtype = inputs.mappings.column("legacy_id")?.dtype();
    let ids = keys_like(
        excluded.column("id")?.as_materialized_series().clone(),
        dtype,
    )?;
    DataFrame::new(ids.len(), vec![ids.into_column()])
}

/// The union of the ids that some exclusions list (column `id`, distinct).
pub fn excluded_ids(exclusions: &[&ExcludedIds]) -> PolarsResult<DataFrame> {
    let frames: Vec<LazyFrame> = exclusions
        .iter()
        .filter_map(|x| x.ids.as_ref())
        .map(|f| f.clone().lazy().select([col("id")]))
        .collect();
    if frames.is_empty() {
        return df!("id" => Vec::<String>::new());
    }
    concat(frames, UnionArgs::default())?
        .unique(None, UniqueKeepStrategy::Any)
        .collect()
}

fn count(frame: LazyFrame) -> PolarsResult<i64> {
    Ok(frame
        .select([len().cast(DataType::Int64).alias("n")])
        .collect()?
        .column("n")?
        .i64()?
        .get(0)
        .unwrap_or(0))
}
