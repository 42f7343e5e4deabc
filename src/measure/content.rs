//! Arrived intact: for each entity with a `content:` declaration in `migcov.yaml`, its legacy
//! rows (`rows/legacy/<legacy_table>.*`) are joined through the mappings (legacy key →
//! `modern_id`) to its target rows (`rows/target/<target_table>.*`), and each declared
//! column pair is compared after its normalisations.
//!
//! Values are compared as text, each side read as the export writes it (a Parquet number or
//! date as polars writes it as text), so a CSV and a Parquet export of the same rows give the
//! same result; a pair with `scale` or `tolerance` is compared as numbers. A legacy row is
//! *intact* when it has a mapping of the entity's type, its target row exists and every
//! declared column matches; it *differs* when a column does not; its target is *missing*
//! when the mapping's `modern_id` names no target row. Legacy rows without a mapping are
//! missing data's, not counted here.

use polars::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::load::tables::{half_names, trimmed_key, uuid_halves};
use crate::load::{InputFile, InputKind, Inputs, Side, TableFormat, ENTITY_TYPE_KEY};
use crate::model::config::{Case, ContentDeclaration, Normalize};
use crate::model::{entity_type_key, Entity};

/// How many differing rows a column's result keeps, to show.
pub const SAMPLES: usize = 5;

/// One entity's comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContentTable {
    pub entity: String,
    pub entity_id: uuid::Uuid,
    pub legacy_table: String,
    pub target_table: String,
    /// The legacy rows file (the first, when there are several), relative to the data folder.
    pub legacy_file: String,
    /// Rows of the legacy and the target rows files.
    pub legacy_rows: u64,
    pub target_rows: u64,
    /// Legacy rows with a mapping of the entity's type.
    pub mapped: u64,
    /// Of those, the rows whose every target row was found and compared.
    pub compared: u64,
    pub intact: u64,
    pub differs: u64,
    /// Mapped legacy rows whose mapping names no target row.
    pub target_missing: u64,
    /// Keys of some of those rows (legacy key, modern id), lowest first.
    pub missing_samples: Vec<(String, String)>,
    pub columns: Vec<ColumnResult>,
}

/// One compared column pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ColumnResult {
    pub legacy: String,
    pub target: String,
    /// Compared rows whose values differ after normalisation.
    pub differing: u64,
    /// Some of them, lowest legacy key first.
    pub samples: Vec<ValueSample>,
}

/// A differing pair of values, as the files hold them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ValueSample {
    pub legacy_key: String,
    pub target_key: String,
    pub legacy: Option<String>,
    pub target: Option<String>,
}

/// Why an entity's values could not be compared: shown as "values not checked".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NotChecked {
    pub entity: String,
    pub reason: String,
}

/// Every declared entity's comparison, or why it could not be made.
pub fn measure(inputs: &Inputs) -> PolarsResult<(Vec<ContentTable>, Vec<NotChecked>)> {
    let mut tables = Vec::new();
    let mut not_checked = Vec::new();
    for declaration in &inputs.config.content {
        let Some(entity) = inputs
            .entities
            .iter()
            .find(|e| e.name == declaration.entity)
        else {
            not_checked.push(NotChecked {
                entity: declaration.entity.clone(),
                reason: "no entity of that name in entities.yaml".into(),
            });
            continue;
        };
        let legacy = rows_files(inputs, Side::Legacy, &entity.legacy_table);
        let target = rows_files(inputs, Side::Target, &entity.target_table);
        let reason = match (legacy.is_empty(), target.is_empty(), &entity.entity_type) {
            (_, _, None) => Some("the entity has no entity_type, so no mapping is its own".into()),
            (true, _, _) => Some(format!("no rows/legacy/{}.* file", entity.legacy_table)),
            (_, true, _) => Some(format!("no rows/target/{}.* file", entity.target_table)),
            _ => None,
        };
        let reason = match reason {
            Some(reason) => Some(reason),
            None => absent_columns(declaration, &legacy, &target)?,
        };
        if let Some(reason) = reason {
            not_checked.push(NotChecked {
                entity: declaration.entity.clone(),
                reason,
            });
            continue;
        }
        tables.push(compare(inputs, entity, declaration, &legacy, &target)?);
    }
    Ok((tables, not_checked))
}

/// The rows files of one side for a table (names compare as table names do).
fn rows_files<'a>(inputs: &'a Inputs, side: Side, table: &str) -> Vec<&'a InputFile> {
    let wanted = crate::load::table_key(table);
    inputs
        .files
        .iter()
        .filter(|f| {
            matches!(&f.kind, InputKind::Rows(s, name, _)
                if *s == side && crate::load::table_key(name) == wanted)
        })
        .collect()
}

/// A rows file with every column as text.
fn scan_text(file: &InputFile) -> PolarsResult<LazyFrame> {
    let path = PlRefPath::try_from_path(&file.path)?;
    let frame = match file.kind.table_format() {
        Some(TableFormat::Parquet) => LazyFrame::scan_parquet(path, Default::default())?,
        Some(TableFormat::Ndjson) => LazyJsonLineReader::new(path).finish()?,
        _ => LazyCsvReader::new(path)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .finish()?,
    };
    Ok(frame.select([all().as_expr().cast(DataType::String)]))
}

/// The declared columns a rows file lacks, named with the file: a misspelt column must
/// never compare as missing on both sides, and so equal.
fn absent_columns(
    declaration: &ContentDeclaration,
    legacy: &[&InputFile],
    target: &[&InputFile],
) -> PolarsResult<Option<String>> {
    let legacy_wanted: Vec<&str> = std::iter::once(declaration.legacy_key.as_str())
        .chain(declaration.columns.keys().map(String::as_str))
        .collect();
    let target_wanted: Vec<&str> = std::iter::once(declaration.target_key.as_str())
        .chain(declaration.columns.values().map(|c| c.target()))
        .collect();
    for (files, wanted) in [(legacy, legacy_wanted), (target, target_wanted)] {
        for file in files {
            let schema = scan_text(file)?.collect_schema()?;
            let absent: Vec<&str> = wanted
                .iter()
                .copied()
                .filter(|c| schema.get(c).is_none())
                .collect();
            if !absent.is_empty() {
                return Ok(Some(format!(
                    "{} has no column {}",
                    file.relative.display(),
                    absent
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    Ok(None)
}

/// Every rows file of one side, stacked, with the columns `wanted` (as text).
fn side_rows(files: &[&InputFile], wanted: &[String]) -> PolarsResult<DataFrame> {
    let frames = files
        .iter()
        .map(|f| {
            // Every wanted column is there ([`absent_columns`]).
            let columns: Vec<Expr> = wanted.iter().map(|name| col(name.as_str())).collect();
            scan_text(f)?.select(columns).collect()
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut stacked = frames
        .into_iter()
        .reduce(|mut a, b| {
            let _ = a.vstack_mut(&b);
            a
        })
        .unwrap_or_default();
    stacked.rechunk_mut();
    Ok(stacked)
}

/// A value made comparable by `n` (text), or as a number when `n` says so.
fn normal(value: Expr, n: &Normalize) -> Expr {
    let mut value = value;
    if n.trim == Some(true) {
        value = value.str().strip_chars(lit(NULL));
    }
    value = match n.case {
        Some(Case::Lower) => value.str().to_lowercase(),
        Some(Case::Upper) => value.str().to_uppercase(),
        None => value,
    };
    if n.null_equals_empty == Some(true) {
        value = when(value.clone().eq(lit("")))
            .then(lit(NULL).cast(DataType::String))
            .otherwise(value);
    }
    if n.numeric() {
        value = value.str().strip_chars(lit(NULL)).cast(DataType::Float64);
        if let Some(scale) = n.scale {
            // Half away from zero, as whole numbers of 10^-scale (a cast truncates toward
            // zero): 2.345 at scale 2 is 235, -2.345 is -235.
            let unit = 10f64.powi(scale.min(15) as i32);
            // A relative nudge of 10^-12 takes 2.345 × 100 = 234.49999999999997 to 235, as
            // the decimal text means; no value written with fewer than 12 digits moves.
            let scaled = value.clone() * lit(unit);
            let half = lit(0.5) + scaled.clone().abs() * lit(1e-12);
            value = when(scaled.clone().gt_eq(lit(0.0)))
                .then(scaled.clone() + half.clone())
                .otherwise(scaled - half)
                .cast(DataType::Int64)
                .cast(DataType::Float64)
                / lit(unit);
        }
    }
    value
}

/// Whether two normalised values are equal: both missing, or both present and the same
/// (within `tolerance` for numbers).
fn equal(legacy: Expr, target: Expr, n: &Normalize) -> Expr {
    match n.tolerance {
        Some(tolerance) => (legacy.clone() - target.clone())
            .abs()
            .lt_eq(lit(tolerance))
            .fill_null(legacy.is_null().and(target.is_null())),
        None => legacy.eq_missing(target),
    }
}

const LEGACY_KEY: &str = "__legacy_key";
const TARGET_KEY: &str = "__target_key";

/// One compared column pair, its normalisations resolved.
struct Pair {
    legacy: String,
    target: String,
    normalize: Normalize,
}

/// `first`, then each of `rest` once: a key may also be compared, two pairs may share a
/// column.
fn unique(first: &str, rest: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = vec![first.to_string()];
    for name in rest {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// A one-row frame's whole-number column `name`.
fn count_of(frame: &DataFrame, name: &str) -> PolarsResult<u64> {
    Ok(frame
        .column(name)?
        .cast(&DataType::UInt64)?
        .u64()?
        .get(0)
        .unwrap_or(0))
}

/// The entity's own mappings: legacy id as trimmed text, modern id as its halves.
fn own_mappings(inputs: &Inputs, entity: &Entity) -> LazyFrame {
    let entity_type = entity_type_key(entity.entity_type.as_deref().unwrap_or_default());
    let (hi, lo) = half_names("modern_id");
    inputs
        .mappings
        .clone()
        .lazy()
        .filter(
            col(ENTITY_TYPE_KEY)
                .cast(DataType::String)
                .eq(lit(entity_type)),
        )
        .select([
            trimmed_key(col("legacy_id").cast(DataType::String)).alias(LEGACY_KEY),
            col(hi.as_str()),
            col(lo.as_str()),
        ])
}

/// The legacy rows: the key as the mappings hold it, each compared column as `l:<name>`.
fn legacy_side(legacy: &DataFrame, key: &str, pairs: &[Pair]) -> LazyFrame {
    let columns = std::iter::once(col(LEGACY_KEY))
        .chain(
            pairs
                .iter()
                .map(|p| col(p.legacy.as_str()).alias(format!("l:{}", p.legacy))),
        )
        .collect::<Vec<_>>();
    legacy
        .clone()
        .lazy()
        .with_column(trimmed_key(col(key)).alias(LEGACY_KEY))
        .select(columns)
}

/// The target rows: the key's UUID halves and text, each compared column as `t:<name>`.
fn target_side(target: &DataFrame, key: &str, pairs: &[Pair]) -> LazyFrame {
    let (hi, lo) = half_names("modern_id");
    let half = |name: &str, alias: &str| col("__parts").struct_().field_by_name(name).alias(alias);
    let columns = [
        half("hi", &hi),
        half("lo", &lo),
        col(key).alias(TARGET_KEY),
        lit(true).alias("__found"),
    ]
    .into_iter()
    .chain(
        pairs
            .iter()
            .map(|p| col(p.target.as_str()).alias(format!("t:{}", p.target))),
    )
    .collect::<Vec<_>>();
    target
        .clone()
        .lazy()
        .with_column(uuid_halves(col(key)).alias("__parts"))
        .select(columns)
}

/// Each mapped legacy row with its target row (`__found` false where none), once per
/// mapping, and whether each pair is equal (`eq:<i>`).
fn joined(
    legacy: LazyFrame,
    mappings: LazyFrame,
    target: LazyFrame,
    pairs: &[Pair],
) -> PolarsResult<DataFrame> {
    let (hi, lo) = half_names("modern_id");
    legacy
        .join(
            mappings,
            [col(LEGACY_KEY)],
            [col(LEGACY_KEY)],
            JoinArgs::new(JoinType::Inner),
        )
        .join(
            target,
            [col(hi.as_str()), col(lo.as_str())],
            [col(hi.as_str()), col(lo.as_str())],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(
            pairs
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let n = &p.normalize;
                    equal(
                        normal(col(format!("l:{}", p.legacy)), n),
                        normal(col(format!("t:{}", p.target)), n),
                        n,
                    )
                    .alias(format!("eq:{i}"))
                })
                .collect::<Vec<_>>(),
        )
        .with_column(col("__found").fill_null(lit(false)))
        .collect()
}

/// Per legacy row: mapped, compared (every target found), intact (and every pair equal)
/// or differing — summed, as a one-row frame.
fn row_counts(joined: &DataFrame, pairs: usize) -> PolarsResult<DataFrame> {
    joined
        .clone()
        .lazy()
        .group_by([col(LEGACY_KEY)])
        .agg([
            col("__found").all(true).alias("found"),
            (0..pairs)
                .map(|i| col(format!("eq:{i}")))
                .fold(lit(true), |acc, e| acc.and(e))
                .all(true)
                .alias("same"),
        ])
        .select([
            len().alias("mapped"),
            col("found").sum().alias("compared"),
            col("found").and(col("same")).sum().alias("intact"),
            col("found").and(col("same").not()).sum().alias("differs"),
        ])
        .collect()
}

/// Each pair's differing rows among those compared, and samples, lowest key first.
fn column_results(joined: &DataFrame, pairs: &[Pair]) -> PolarsResult<Vec<ColumnResult>> {
    let found = joined.clone().lazy().filter(col("__found"));
    let mut columns = Vec::new();
    for (i, pair) in pairs.iter().enumerate() {
        let differing = found
            .clone()
            .filter(col(format!("eq:{i}")).not())
            .sort([LEGACY_KEY, TARGET_KEY], Default::default());
        let n = differing.clone().select([len()]).collect()?;
        let samples = differing
            .select([
                col(LEGACY_KEY),
                col(TARGET_KEY),
                col(format!("l:{}", pair.legacy)).alias("legacy"),
                col(format!("t:{}", pair.target)).alias("target"),
            ])
            .limit(SAMPLES as IdxSize)
            .collect()?;
        columns.push(ColumnResult {
            legacy: pair.legacy.clone(),
            target: pair.target.clone(),
            differing: count_of(&n, "len")?,
            samples: value_samples(&samples)?,
        });
    }
    Ok(columns)
}

fn compare(
    inputs: &Inputs,
    entity: &Entity,
    declaration: &ContentDeclaration,
    legacy_files: &[&InputFile],
    target_files: &[&InputFile],
) -> PolarsResult<ContentTable> {
    let pairs: Vec<Pair> = declaration
        .columns
        .iter()
        .map(|(legacy, pair)| Pair {
            legacy: legacy.clone(),
            target: pair.target().to_string(),
            normalize: pair.normalize(&declaration.normalize),
        })
        .collect();
    let legacy_wanted = unique(
        &declaration.legacy_key,
        pairs.iter().map(|p| p.legacy.clone()),
    );
    let target_wanted = unique(
        &declaration.target_key,
        pairs.iter().map(|p| p.target.clone()),
    );
    let legacy = side_rows(legacy_files, &legacy_wanted)?;
    let target = side_rows(target_files, &target_wanted)?;
    let joined = joined(
        legacy_side(&legacy, &declaration.legacy_key, &pairs),
        own_mappings(inputs, entity),
        target_side(&target, &declaration.target_key, &pairs),
        &pairs,
    )?;
    let counts = row_counts(&joined, pairs.len())?;
    let missing = joined
        .clone()
        .lazy()
        .filter(col("__found").not())
        .sort([LEGACY_KEY], Default::default())
        .collect()?;
    let missing_rows = missing
        .clone()
        .lazy()
        .select([col(LEGACY_KEY).n_unique().alias("n")])
        .collect()?;
    Ok(ContentTable {
        entity: entity.name.clone(),
        entity_id: entity.id,
        legacy_table: entity.legacy_table.clone(),
        target_table: entity.target_table.clone(),
        legacy_file: legacy_files
            .first()
            .map(|f| f.relative.display().to_string())
            .unwrap_or_default(),
        legacy_rows: legacy.height() as u64,
        target_rows: target.height() as u64,
        mapped: count_of(&counts, "mapped")?,
        compared: count_of(&counts, "compared")?,
        intact: count_of(&counts, "intact")?,
        differs: count_of(&counts, "differs")?,
        target_missing: count_of(&missing_rows, "n")?,
        missing_samples: missing_samples(&missing)?,
        columns: column_results(&joined, &pairs)?,
    })
}

/// The differing rows kept as samples.
fn value_samples(frame: &DataFrame) -> PolarsResult<Vec<ValueSample>> {
    let text = |name: &str| -> PolarsResult<StringChunked> {
        Ok(frame.column(name)?.cast(&DataType::String)?.str()?.clone())
    };
    let (keys, targets, legacy, target) = (
        text(LEGACY_KEY)?,
        text(TARGET_KEY)?,
        text("legacy")?,
        text("target")?,
    );
    Ok((0..frame.height())
        .map(|i| ValueSample {
            legacy_key: keys.get(i).unwrap_or_default().to_string(),
            target_key: targets.get(i).unwrap_or_default().to_string(),
            legacy: legacy.get(i).map(str::to_string),
            target: target.get(i).map(str::to_string),
        })
        .collect())
}

/// Some mapped rows whose target row is missing: legacy key and the mapping's modern id.
fn missing_samples(frame: &DataFrame) -> PolarsResult<Vec<(String, String)>> {
    let (hi, lo) = half_names("modern_id");
    let rows = frame
        .clone()
        .lazy()
        .select([
            col(LEGACY_KEY),
            col(hi.as_str()).cast(DataType::UInt64),
            col(lo.as_str()).cast(DataType::UInt64),
        ])
        .limit(SAMPLES as IdxSize)
        .collect()?;
    let keys = rows.column(LEGACY_KEY)?.cast(&DataType::String)?;
    let keys = keys.str()?;
    let his = rows.column(hi.as_str())?.u64()?.clone();
    let los = rows.column(lo.as_str())?.u64()?.clone();
    Ok((0..rows.height())
        .map(|i| {
            let modern = match (his.get(i), los.get(i)) {
                (Some(h), Some(l)) => uuid::Uuid::from_u64_pair(h, l).hyphenated().to_string(),
                _ => String::new(),
            };
            (keys.get(i).unwrap_or_default().to_string(), modern)
        })
        .collect())
}
