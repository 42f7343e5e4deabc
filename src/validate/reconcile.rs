//! Reconciliation, per entity: the entity's own counts against what the exports show —
//! source inventory rows vs `total_records`, mapping rows vs `migrated_records`, target
//! inventory rows vs `migrated_records`, and Σ metrics `records_successful` vs
//! `migrated_records` — each as a signed delta and a percentage, within
//! `reconcile_tolerance`.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::shared::not_listed;
use super::{Field, Finding, RuleId, Sample, Subject};
use crate::load::{table_key, Inputs, Inventory, Lookup, ENTITY_TYPE_KEY};
use crate::model::Domain;
use crate::model::Entity;

crate::validate::registry::declare_rules! {
    RECONCILE_ENTITY_DISTINCT_MAPPED_IDS = "reconcile.entity.distinct_mapped_ids", Reconcile, Error,
        "Distinct mapped legacy ids of an entity_type equal migrated_records",
        "Mapping rows can repeat a legacy id; counting rows would let 9 ids plus one duplicate pass for 10 migrated \
         records. This check counts distinct legacy ids of the entity's type against migrated_records (entities \
         sharing a type are judged together). Example: 10 OFFICE rows for 9 distinct ids vs 10 migrated: -1.";
    RECONCILE_ENTITY_MAPPING_COUNT = "reconcile.entity.mapping_count", Reconcile, Error,
        "An entity's mapping rows equal its migrated_records",
        "Every migrated record gets one LegacyMapping row of the entity's entity_type. The delta is mapping rows \
         minus migrated_records, within reconcile_tolerance (a fraction of migrated_records, default 0).";
    RECONCILE_ENTITY_METRICS_SUCCESSFUL = "reconcile.entity.metrics_successful", Reconcile, Error,
        "Sum of metrics records_successful equals an entity's migrated_records",
        "Metrics rows tagged with the entity (entity_id), plus untagged rows of its migration script (an entity_id \
         that names no entity counts as none, as the final runs take it), must add up to migrated_records. Only \
         final runs of scripts that name a manifest count, as in every total.";
    RECONCILE_ENTITY_SOURCE_ROWS = "reconcile.entity.source_rows", Reconcile, Error,
        "The source inventory's row count equals an entity's total_records",
        "The legacy table's row_count in inventory/source must equal the entity's total_records: otherwise records \
         were added or lost since the count.";
    RECONCILE_ENTITY_TARGET_ROWS = "reconcile.entity.target_rows", Reconcile, Error,
        "The target inventory's row count equals an entity's migrated_records",
        "The modern table's row_count in inventory/target must equal migrated_records: more rows mean records \
         written outside the migration, fewer mean lost writes.";
    RECONCILE_LEDGER_OVER_COUNT = "reconcile.ledger.over_count", Reconcile, Error,
        "Each table's ledger closes: migrated + failed + excluded <= legacy rows",
        "For every source inventory table the ledger adds up legacy rows = migrated + failed + excluded + unaccounted. When \
         the first three already exceed the table's rows, some rows are counted twice (a row both migrated and \
         failed, an excluded id that was migrated, an entity's counts larger than its table, two scripts copying one \
         table): the finding gives the excess. The ledger never counts more than the table holds: excluded, then \
         migrated, then failed are each capped at what is left. Example: 100 rows, 98 mapped, 5 failed: 3 over; \
         the ledger shows 98 migrated, 2 failed.";
    RECONCILE_TABLE_SOURCE_IDS = "reconcile.table.source_ids", Reconcile, Error,
        "A table's source_ids file lists as many ids as the source inventory counts rows",
        "source_ids/<table> and inventory/source describe the same legacy table. When their counts differ, one of \
         the two exports is stale or incomplete, and the figures built on them disagree: missing data counts the \
         file's ids, the ledger the inventory's rows, so migrated + unmapped can exceed the table's rows. Export \
         both from the same snapshot. The file's distinct ids are counted (an id listed twice is one row, as the \
         ledger counts it). Example: 5 rows in the inventory, ids 1-10 in the file: 5 apart.";
}

/// One comparison: `actual` (from the exports) against `expected` (the entity's count).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Check {
    pub rule: RuleId,
    pub label: std::borrow::Cow<'static, str>,
    pub expected: i64,
    /// `None` when the export it comes from was not given.
    pub actual: Option<i64>,
    /// `actual - expected`.
    pub delta: Option<i64>,
    /// `delta / expected`; `None` when expected is 0 or actual unknown.
    pub percent: Option<f64>,
    pub ok: Option<bool>,
    /// Why the check could not be judged, e.g. a table absent from the inventory.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct EntityReconciliation {
    pub entity_id: Uuid,
    pub entity: String,
    pub domain: Option<Domain>,
    pub checks: Vec<Check>,
}

/// `aggregate` per non-null `key`, as a map.
fn agg_by(frame: LazyFrame, key: Expr, aggregate: Expr) -> PolarsResult<BTreeMap<String, i64>> {
    let grouped = frame
        .filter(key.clone().is_not_null())
        .group_by([key.alias("key")])
        .agg([aggregate.cast(DataType::Int64).alias("value")])
        .collect()?;
    let keys = grouped.column("key")?.str()?;
    let values = grouped.column("value")?.i64()?;
    Ok((0..grouped.height())
        .filter_map(|i| Some((keys.get(i)?.to_string(), values.get(i).unwrap_or(0))))
        .collect())
}

fn check(
    rule: RuleId,
    label: impl Into<std::borrow::Cow<'static, str>>,
    expected: i64,
    actual: Option<i64>,
    tolerance: f64,
) -> Check {
    let delta = actual.map(|a| a - expected);
    Check {
        rule,
        label: label.into(),
        expected,
        actual,
        delta,
        percent: delta.and_then(|d| (expected != 0).then(|| d as f64 / expected as f64)),
        ok: delta.map(|d| {
            crate::model::at_most(
                d.unsigned_abs() as f64,
                tolerance * expected.unsigned_abs() as f64,
            )
        }),
        note: None,
    }
}

/// A table's row count from an inventory: `Err(note)` when the inventory was given but
/// does not list the table (never a count of 0), `Ok(None)` without an inventory.
fn rows_of(inventory: Option<&Inventory>, side: &str, table: &str) -> Result<Option<i64>, String> {
    let Some(inventory) = inventory else {
        return Ok(None);
    };
    match inventory.lookup(table) {
        Lookup::Exact(t) | Lookup::CaseOnly(t) => Ok(Some(t.row_count)),
        Lookup::Missing(suggestion) => Err(not_listed(side, table, suggestion)),
    }
}

fn inventory_check(
    rule: RuleId,
    label: &'static str,
    expected: i64,
    actual: Result<Option<i64>, String>,
    tolerance: f64,
) -> Check {
    match actual {
        Ok(actual) => check(rule, label, expected, actual, tolerance),
        Err(note) => Check {
            note: Some(note),
            ..check(rule, label, expected, None, tolerance)
        },
    }
}

/// Every entity's checks. `rows_per_type`: the mapping rows of each entity type
/// (`MissingSets::rows_per_type`); `legacy_repeats`: the mapping rows that repeat an
/// earlier row's (entity_type, legacy_id) (`Measures::legacy_repeats`).
pub fn reconcile(
    inputs: &Inputs,
    rows_per_type: &BTreeMap<String, i64>,
    legacy_repeats: &DataFrame,
) -> PolarsResult<Vec<EntityReconciliation>> {
    let counts = Counts::of(inputs, rows_per_type, legacy_repeats)?;
    let mut rows: Vec<EntityReconciliation> = inputs
        .entities
        .iter()
        .map(|e| counts.reconcile(e))
        .collect();
    rows.sort_by(|a, b| {
        (a.domain, &a.entity, a.entity_id).cmp(&(b.domain, &b.entity, b.entity_id))
    });
    Ok(rows)
}

/// What every entity's checks compare with, counted once for all of them.
struct Counts<'a> {
    inputs: &'a Inputs,
    tolerance: f64,
    has_mappings: bool,
    /// Mapping rows per entity type.
    mapping_counts: &'a BTreeMap<String, i64>,
    /// Distinct legacy ids per entity type.
    distinct_counts: BTreeMap<String, i64>,
    /// Records successful of final runs, per entity (tagged rows).
    by_entity: BTreeMap<String, i64>,
    /// Records successful of final runs with no entity, per script.
    by_script_untagged: BTreeMap<String, i64>,
    has_metrics: bool,
    groups: Groups<'a>,
}

/// The entities grouped once, each group first by name (sought for every entity, a group
/// took N² comparisons).
struct Groups<'a> {
    /// By `table_key` of the legacy table.
    by_table: BTreeMap<String, Vec<&'a Entity>>,
    /// By `table_key` of the target table.
    by_target: BTreeMap<String, Vec<&'a Entity>>,
    /// By entity type.
    by_type: BTreeMap<String, Vec<&'a Entity>>,
    /// How many entities each script migrates.
    per_script: BTreeMap<Uuid, usize>,
}

impl<'a> Groups<'a> {
    fn of(entities: &'a [Entity]) -> Self {
        let mut groups = Groups {
            by_table: BTreeMap::new(),
            by_target: BTreeMap::new(),
            by_type: BTreeMap::new(),
            per_script: BTreeMap::new(),
        };
        for e in entities {
            groups
                .by_table
                .entry(table_key(&e.legacy_table))
                .or_default()
                .push(e);
            groups
                .by_target
                .entry(table_key(&e.target_table))
                .or_default()
                .push(e);
            if let Some(t) = &e.entity_type {
                groups.by_type.entry(t.clone()).or_default().push(e);
            }
            if let Some(script) = e.migration_script_id {
                *groups.per_script.entry(script).or_default() += 1;
            }
        }
        for group in groups
            .by_table
            .values_mut()
            .chain(groups.by_target.values_mut())
            .chain(groups.by_type.values_mut())
        {
            group.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
        }
        groups
    }
}

fn group_of<'g, 'a>(groups: &'g BTreeMap<String, Vec<&'a Entity>>, key: &str) -> &'g [&'a Entity] {
    groups.get(key).map_or(&[], Vec::as_slice)
}

impl<'a> Counts<'a> {
    fn of(
        inputs: &'a Inputs,
        rows_per_type: &'a BTreeMap<String, i64>,
        legacy_repeats: &DataFrame,
    ) -> PolarsResult<Self> {
        let distinct_counts = distinct_counts(rows_per_type, legacy_repeats)?;
        // Only final runs count: a retry supersedes the attempt before it. Rows whose
        // script resolves to no manifest are left out, as of every total; a row whose
        // entity_id resolves to no entity is untagged, as the final runs and the script's
        // totals take it (found by an independent check: both were credited otherwise,
        // 0 of 10 and 10 of 9).
        let metrics = inputs
            .metrics
            .clone()
            .lazy()
            .filter(col(crate::load::FINAL_RUN).and(col("script_uuid").is_not_null()));
        let by_entity = agg_by(
            metrics.clone(),
            col("entity_uuid"),
            col("records_successful").sum(),
        )?;
        let by_script_untagged = agg_by(
            metrics.filter(col("entity_uuid").is_null()),
            col("script_uuid"),
            col("records_successful").sum(),
        )?;
        Ok(Counts {
            inputs,
            tolerance: inputs.config.reconcile_tolerance,
            has_mappings: inputs
                .files
                .iter()
                .any(|f| matches!(f.kind, crate::load::InputKind::Mappings(_))),
            mapping_counts: rows_per_type,
            distinct_counts,
            by_entity,
            by_script_untagged,
            has_metrics: inputs.metrics.height() > 0,
            groups: Groups::of(&inputs.entities),
        })
    }

    // Ownership, so nothing is counted twice: entities on one legacy table share its rows,
    // entities of one entity_type share its mappings (each group is judged once, on its
    // first entity by name, against the sum of its members' counts); untagged metrics rows
    // belong to their script's entity only when the script has exactly one.

    /// The entities on `e`'s legacy table, first by name.
    fn table_group(&self, e: &Entity) -> &[&'a Entity] {
        group_of(&self.groups.by_table, &table_key(&e.legacy_table))
    }

    /// The entities writing `e`'s target table, first by name.
    fn target_group(&self, e: &Entity) -> &[&'a Entity] {
        group_of(&self.groups.by_target, &table_key(&e.target_table))
    }

    /// The entities of `e`'s entity_type, first by name.
    fn type_group(&self, e: &Entity) -> &[&'a Entity] {
        e.entity_type
            .as_ref()
            .map_or(&[], |t| group_of(&self.groups.by_type, t))
    }

    /// How many entities a script migrates.
    fn script_entities(&self, script: Uuid) -> usize {
        self.groups.per_script.get(&script).copied().unwrap_or(0)
    }

    /// A shared check: judged on the group's first member against the sum, noted on the
    /// rest.
    fn shared(
        &self,
        group: &[&Entity],
        e: &Entity,
        what: &str,
        judged: Check,
        expected: i64,
    ) -> Check {
        if group.len() < 2 {
            return judged;
        }
        let first = group[0];
        if first.id == e.id {
            let names: Vec<&str> = group.iter().map(|g| g.name.as_str()).collect();
            Check {
                note: Some(format!(
                    "judged for {} together (Σ {what})",
                    names.join(", ")
                )),
                ..check(
                    judged.rule,
                    judged.label.clone(),
                    expected,
                    judged.actual,
                    self.tolerance,
                )
            }
        } else {
            Check {
                note: Some(format!("judged with {} (shared {what})", first.name)),
                ..check(
                    judged.rule,
                    judged.label.clone(),
                    judged.expected,
                    None,
                    self.tolerance,
                )
            }
        }
    }

    /// One entity's five checks, in the order the pages show them.
    fn reconcile(&self, e: &Entity) -> EntityReconciliation {
        let tolerance = self.tolerance;
        let id = e.id.to_string();
        let untagged_credited = e
            .migration_script_id
            .filter(|s| self.script_entities(*s) == 1)
            .and_then(|s| self.by_script_untagged.get(&s.to_string()).copied())
            .unwrap_or(0);
        let from_metrics = self
            .has_metrics
            .then(|| self.by_entity.get(&id).copied().unwrap_or(0) + untagged_credited);
        let (mappings, distinct) = match (&e.entity_type, self.has_mappings) {
            (Some(t), true) => (
                Some(self.mapping_counts.get(t).copied().unwrap_or(0)),
                Some(self.distinct_counts.get(t).copied().unwrap_or(0)),
            ),
            _ => (None, None),
        };
        let types = self.type_group(e);
        let mapping_check = check(
            RuleId::ReconcileEntityMappingCount,
            "mappings vs migrated_records",
            e.migrated_records,
            mappings,
            tolerance,
        );
        EntityReconciliation {
            entity_id: e.id,
            entity: e.name.clone(),
            domain: e.domain,
            checks: vec![
                self.source_rows(e),
                self.shared(
                    types,
                    e,
                    "migrated_records of one entity_type",
                    mapping_check,
                    types.iter().map(|g| g.migrated_records).sum(),
                ),
                self.shared(
                    types,
                    e,
                    "migrated_records of one entity_type",
                    check(
                        RuleId::ReconcileEntityDistinctMappedIds,
                        "distinct mapped ids vs migrated_records",
                        e.migrated_records,
                        distinct,
                        tolerance,
                    ),
                    types.iter().map(|g| g.migrated_records).sum(),
                ),
                self.target_rows(e),
                check(
                    RuleId::ReconcileEntityMetricsSuccessful,
                    "metrics successful vs migrated_records",
                    e.migrated_records,
                    from_metrics,
                    self.tolerance,
                ),
            ],
        }
    }

    /// The source inventory's rows of the entity's legacy table against its
    /// total_records, shared with the table's other entities.
    fn source_rows(&self, e: &Entity) -> Check {
        let source_check = inventory_check(
            RuleId::ReconcileEntitySourceRows,
            "source rows vs total_records",
            e.total_records,
            rows_of(
                self.inputs.source_tables.as_ref(),
                "source",
                &e.legacy_table,
            ),
            self.tolerance,
        );
        self.shared_if_judged(
            source_check,
            self.table_group(e),
            e,
            "total_records of one legacy table",
            |g| g.total_records,
        )
    }

    /// The target inventory's rows of the entity's target table against its
    /// migrated_records, shared with the table's other entities.
    fn target_rows(&self, e: &Entity) -> Check {
        let target_check = inventory_check(
            RuleId::ReconcileEntityTargetRows,
            "target rows vs migrated_records",
            e.migrated_records,
            rows_of(
                self.inputs.target_tables.as_ref(),
                "target",
                &e.target_table,
            ),
            self.tolerance,
        );
        self.shared_if_judged(
            target_check,
            self.target_group(e),
            e,
            "migrated_records of one target table",
            |g| g.migrated_records,
        )
    }

    /// An inventory check [`Counts::shared`] with the group (against the sum of its
    /// `figure`), unless it has a note (the inventory does not list the table): then it
    /// stands as it is, unjudged.
    fn shared_if_judged(
        &self,
        judged: Check,
        group: &[&Entity],
        e: &Entity,
        what: &str,
        figure: fn(&Entity) -> i64,
    ) -> Check {
        if judged.note.is_some() {
            judged
        } else {
            self.shared(
                group,
                e,
                what,
                judged,
                group.iter().map(|g| figure(g)).sum(),
            )
        }
    }
}

/// Distinct legacy ids per entity type: a type's rows less those that repeat an earlier
/// row's id (found once, by `measure`), so no set of every id is built.
fn distinct_counts(
    rows_per_type: &BTreeMap<String, i64>,
    legacy_repeats: &DataFrame,
) -> PolarsResult<BTreeMap<String, i64>> {
    let repeats = legacy_repeats
        .clone()
        .lazy()
        .group_by([col(ENTITY_TYPE_KEY)])
        .agg([len().cast(DataType::Int64).alias("rows")])
        .collect()?;
    let repeated: BTreeMap<String, i64> = {
        let keys = repeats.column(ENTITY_TYPE_KEY)?.str()?;
        let values = repeats.column("rows")?.i64()?;
        (0..repeats.height())
            .filter_map(|i| Some((keys.get(i)?.to_string(), values.get(i).unwrap_or(0))))
            .collect()
    };
    Ok(rows_per_type
        .iter()
        .map(|(t, n)| (t.clone(), n - repeated.get(t).copied().unwrap_or(0)))
        .collect())
}

/// One finding per check outside the tolerance.
pub fn findings(rows: &[EntityReconciliation], inputs: &Inputs, findings: &mut Vec<Finding>) {
    let origins: BTreeMap<Uuid, &crate::model::Origin> =
        inputs.entities.iter().map(|e| (e.id, &e.origin)).collect();
    for row in rows {
        for c in row.checks.iter().filter(|c| c.ok == Some(false)) {
            let (actual, delta) = (c.actual.unwrap_or(0), c.delta.unwrap_or(0));
            let percent = c
                .percent
                .map(|p| format!(" ({:+.2}%)", p * 100.0))
                .unwrap_or_default();
            let mut finding = Finding::new(
                c.rule,
                Subject::new("entity", &row.entity).with_id(row.entity_id),
                format!(
                    "{}: {actual} vs {}: {delta:+}{percent}",
                    c.label, c.expected
                ),
            );
            finding.count = delta.unsigned_abs();
            let origin = origins.get(&row.entity_id);
            finding.samples.push(Sample {
                file: origin
                    .map(|o| o.file.display().to_string())
                    .unwrap_or_default(),
                row: origin.and_then(|o| o.row),
                fields: [
                    ("expected", c.expected.to_string()),
                    ("actual", actual.to_string()),
                    ("delta", format!("{delta:+}")),
                ]
                .into_iter()
                .map(|(name, value)| Field {
                    name: name.into(),
                    value,
                })
                .collect(),
            });
            findings.push(finding);
        }
    }
}

/// `source_ids` files whose ids the source inventory does not count as its rows.
pub fn source_ids_count(
    inputs: &Inputs,
    measures: &crate::measure::Measures,
    findings: &mut Vec<Finding>,
) {
    let Some(inventory) = &inputs.source_tables else {
        return;
    };
    for table in &measures.missing {
        let Some(listed) = inventory.find(&table.table) else {
            continue;
        };
        // Distinct ids, as missing data and the ledger count them: an id listed twice is
        // one legacy row (the file's rows are said beside them).
        let ids = table.distinct_ids(inputs) as i64;
        let rows = listed.row_count;
        if ids == rows {
            continue;
        }
        let listed_rows = match table.ids as i64 == ids {
            true => String::new(),
            false => format!(" (in {} rows)", table.ids),
        };
        // Pushed down, the file holds only the unmapped ids: the count is the database's.
        let whose = match inputs.pushdown.contains_key(&table.table) {
            true => format!(
                "the database counts {ids} ids{listed_rows} in {} (pushed down)",
                table.table
            ),
            false => format!("source_ids/{} lists {ids} ids{listed_rows}", table.table),
        };
        let mut finding = Finding::new(
            RuleId::ReconcileTableSourceIds,
            Subject::new("table", &table.table),
            format!(
                "{whose}, but the source inventory counts {rows} rows of {}: \
                 missing data and the ledger rest on counts {} apart",
                listed.name,
                (ids - rows).unsigned_abs()
            ),
        );
        finding.count = (ids - rows).unsigned_abs();
        findings.push(finding);
    }
}

/// Ledger lines whose terms exceed the table's legacy rows.
pub fn ledger_over_count(measures: &crate::measure::Measures, findings: &mut Vec<Finding>) {
    if let Some(ledger) = &measures.ledger {
        for row in ledger.rows.iter().filter(|r| r.difference < 0) {
            let mut finding = Finding::new(
                RuleId::ReconcileLedgerOverCount,
                Subject::new("table", &row.table),
                format!(
                    "{} legacy rows, but the sources claim migrated {} + failed {} + excluded {} = {}: {} more than the table holds (the ledger counts at most its rows)",
                    row.legacy_rows,
                    row.claimed[0],
                    row.claimed[1],
                    row.claimed[2],
                    row.claimed.iter().sum::<i64>(),
                    -row.difference
                ),
            );
            finding.count = row.difference.unsigned_abs();
            findings.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by an independent check: `reconcile_tolerance: 0.29` with 100 migrated and 129
    /// target rows failed, 0.29 × 100 being 28.999999999999996 in floating point.
    #[test]
    fn a_gap_equal_to_the_tolerance_is_within_it() {
        let rule = RuleId::ReconcileEntityTargetRows;
        for (tolerance, gap) in [(0.29, 29), (0.57, 57), (0.58, 58), (0.28, 28)] {
            assert_eq!(
                check(rule, "rows", 100, Some(100 + gap), tolerance).ok,
                Some(true)
            );
            assert_eq!(
                check(rule, "rows", 100, Some(101 + gap), tolerance).ok,
                Some(false)
            );
        }
    }
}
