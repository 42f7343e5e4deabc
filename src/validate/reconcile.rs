//! Reconciliation, per entity: the entity's own counts against what the exports show —
//! source inventory rows vs `total_records`, mapping rows vs `migrated_records`, target
//! inventory rows vs `migrated_records`, and Σ metrics `records_successful` vs
//! `migrated_records` — each as a signed delta and a percentage, within
//! `reconcile_tolerance`.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::{Field, Finding, Sample, Subject};
use crate::load::{Inputs, ENTITY_TYPE_KEY};
use crate::model::Domain;

/// One comparison: `actual` (from the exports) against `expected` (the entity's count).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub rule: &'static str,
    pub label: &'static str,
    pub expected: i64,
    /// `None` when the export it comes from was not given.
    pub actual: Option<i64>,
    /// `actual - expected`.
    pub delta: Option<i64>,
    /// `delta / expected`; `None` when expected is 0 or actual unknown.
    pub percent: Option<f64>,
    pub ok: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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

fn inventory(frame: &Option<DataFrame>) -> PolarsResult<Option<BTreeMap<String, i64>>> {
    frame
        .as_ref()
        .map(|f| {
            agg_by(
                f.clone().lazy(),
                col("table").str().strip_chars(lit(NULL)),
                col("row_count").sum(),
            )
        })
        .transpose()
}

fn check(
    rule: &'static str,
    label: &'static str,
    expected: i64,
    actual: Option<i64>,
    tolerance: f64,
) -> Check {
    let delta = actual.map(|a| a - expected);
    Check {
        rule,
        label,
        expected,
        actual,
        delta,
        percent: delta.and_then(|d| (expected != 0).then(|| d as f64 / expected as f64)),
        ok: delta.map(|d| (d.unsigned_abs() as f64) <= tolerance * expected.unsigned_abs() as f64),
    }
}

pub fn reconcile(inputs: &Inputs) -> PolarsResult<Vec<EntityReconciliation>> {
    let tolerance = inputs.config.reconcile_tolerance;
    let source = inventory(&inputs.source_inventory)?;
    let target = inventory(&inputs.target_inventory)?;
    let has_mappings = inputs
        .files
        .iter()
        .any(|f| matches!(f.kind, crate::load::InputKind::Mappings(_)));
    let mapping_counts = agg_by(inputs.mappings.clone().lazy(), col(ENTITY_TYPE_KEY), len())?;
    let metrics = inputs.metrics.clone().lazy();
    let by_entity = agg_by(
        metrics.clone(),
        col("entity_uuid"),
        col("records_successful").sum(),
    )?;
    let by_script_untagged = agg_by(
        metrics.filter(col("entity_id").is_null()),
        col("script_uuid"),
        col("records_successful").sum(),
    )?;
    let has_metrics = inputs.metrics.height() > 0;

    let mut rows: Vec<EntityReconciliation> = inputs
        .entities
        .iter()
        .map(|e| {
            let id = e.id.to_string();
            let from_metrics = has_metrics.then(|| {
                by_entity.get(&id).copied().unwrap_or(0)
                    + e.migration_script_id
                        .and_then(|s| by_script_untagged.get(&s.to_string()).copied())
                        .unwrap_or(0)
            });
            let mappings = match (&e.entity_type, has_mappings) {
                (Some(t), true) => Some(mapping_counts.get(t).copied().unwrap_or(0)),
                _ => None,
            };
            EntityReconciliation {
                entity_id: e.id,
                entity: e.name.clone(),
                domain: e.domain,
                checks: vec![
                    check(
                        "reconcile.entity.source_rows",
                        "source rows vs total_records",
                        e.total_records,
                        source
                            .as_ref()
                            .map(|s| s.get(&e.legacy_table).copied().unwrap_or(0)),
                        tolerance,
                    ),
                    check(
                        "reconcile.entity.mapping_count",
                        "mappings vs migrated_records",
                        e.migrated_records,
                        mappings,
                        tolerance,
                    ),
                    check(
                        "reconcile.entity.target_rows",
                        "target rows vs migrated_records",
                        e.migrated_records,
                        target
                            .as_ref()
                            .map(|t| t.get(&e.target_table).copied().unwrap_or(0)),
                        tolerance,
                    ),
                    check(
                        "reconcile.entity.metrics_successful",
                        "metrics successful vs migrated_records",
                        e.migrated_records,
                        from_metrics,
                        tolerance,
                    ),
                ],
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.domain, &a.entity, a.entity_id).cmp(&(b.domain, &b.entity, b.entity_id))
    });
    Ok(rows)
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
