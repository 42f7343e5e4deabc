//! Arrived intact: for each entity with a `content:` declaration in `migcov.yaml`, its legacy
//! rows (`rows/legacy/<legacy_table>.*`) are joined through the mappings (legacy key →
//! `modern_id`) to its target rows (`rows/target/<target_table>.*`), and each declared
//! column pair is compared after its normalisations.
//!
//! Values are compared as text, each side read as the export writes it (a Parquet value as
//! polars writes it as text, a float's whole numbers without `.0`, as a CSV has them); a
//! pair with `scale` or `tolerance` is compared as numbers where both sides are numbers.
//! One canonical text per type across every engine (dates, timestamps in UTC, NUMERIC) is
//! still to come: a Parquet timestamp and a CSV one of the same instant can differ. A
//! legacy row is
//! *intact* when it has a mapping of the entity's type, its target row exists and every
//! declared column matches; it *differs* when a column does not; its target is *missing*
//! when the mapping's `modern_id` names no target row. Legacy rows without a mapping are
//! missing data's, not counted here.

use polars::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::load::tables::{half_names, trimmed_key, uuid_halves};
use crate::load::{InputFile, InputKind, Inputs, Side, TableFormat, ENTITY_TYPE_KEY};
use crate::model::config::{Case, ContentDeclaration, Normalize, UnicodeForm};
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

/// Rows compared over every checked entity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContentTotals {
    /// Entities whose values were compared.
    pub entities: u64,
    pub compared: u64,
    pub intact: u64,
    pub differs: u64,
    pub target_missing: u64,
    /// `intact / compared`; `None` when nothing was compared (values not checked).
    pub intact_rate: Option<f64>,
}

impl ContentTotals {
    /// The rows of every compared entity, summed: the one place they are.
    pub fn of(tables: &[ContentTable]) -> Self {
        let sum = |f: fn(&ContentTable) -> u64| tables.iter().map(f).sum::<u64>();
        let (compared, intact) = (sum(|t| t.compared), sum(|t| t.intact));
        ContentTotals {
            entities: tables.len() as u64,
            compared,
            intact,
            differs: sum(|t| t.differs),
            target_missing: sum(|t| t.target_missing),
            intact_rate: crate::measure::ratio(intact as i64, compared as i64),
        }
    }
}

/// Why an entity's values could not be compared: shown as "values not checked".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NotChecked {
    pub entity: String,
    pub reason: String,
}

/// Every declared entity's comparison, or why it could not be made.
pub fn measure(inputs: &Inputs) -> PolarsResult<(Vec<ContentTable>, Vec<NotChecked>)> {
    let mut tables: Vec<ContentTable> = Vec::new();
    let mut not_checked = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for declaration in &inputs.config.content {
        if let Some(reason) = declaration_problem(declaration, &mut seen) {
            not_checked.push(NotChecked {
                entity: declaration.entity.clone(),
                reason,
            });
            continue;
        }
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
        let reason = reason
            .or_else(|| shared_type_problem(inputs, entity))
            .or_else(|| absent_columns(declaration, &legacy, &target));
        if let Some(reason) = reason {
            not_checked.push(NotChecked {
                entity: declaration.entity.clone(),
                reason,
            });
            continue;
        }
        let table = compare(inputs, entity, declaration, &legacy, &target)?;
        if table.mapped == 0 && table.legacy_rows > 0 {
            // Nothing compared is no evidence of anything: said, never shown as 0 of 0.
            not_checked.push(NotChecked {
                entity: declaration.entity.clone(),
                reason: format!(
                    "none of the {} legacy rows has a mapping of entity type {}: is `{}` written as the mappings' legacy_id?",
                    table.legacy_rows,
                    entity.entity_type.as_deref().unwrap_or_default(),
                    declaration.legacy_key
                ),
            });
            continue;
        }
        tables.push(table);
    }
    Ok((tables, not_checked))
}

/// Whether any mapping names its legacy table (the column may be there and empty).
fn names_tables(inputs: &Inputs) -> bool {
    inputs
        .mappings
        .column("legacy_table")
        .is_ok_and(|c| c.null_count() < c.len())
}

/// Whether another entity of another legacy table has this entity's type.
fn shares_type(inputs: &Inputs, entity: &Entity) -> bool {
    let key = |e: &Entity| e.entity_type.as_deref().map(entity_type_key);
    inputs.entities.iter().any(|other| {
        key(other) == key(entity)
            && crate::load::table_key(&other.legacy_table)
                != crate::load::table_key(&entity.legacy_table)
    })
}

/// An entity type other tables share, with mappings that do not name their table: no
/// mapping can be told to be this table's, so none is compared (as missing data counts
/// them ambiguous, never migrated).
fn shared_type_problem(inputs: &Inputs, entity: &Entity) -> Option<String> {
    (shares_type(inputs, entity) && !names_tables(inputs)).then(|| {
        format!(
            "entity type {} is shared with another legacy table and the mappings name no legacy_table, so no mapping is known to be {}'s",
            entity.entity_type.as_deref().unwrap_or_default(),
            entity.legacy_table
        )
    })
}

/// What makes a declaration uncheckable by itself: no column to compare, an entity
/// declared twice, a tolerance that is no number of at least 0.
fn declaration_problem(
    declaration: &ContentDeclaration,
    seen: &mut std::collections::BTreeSet<String>,
) -> Option<String> {
    if declaration.columns.is_empty() {
        return Some("the declaration compares no column".into());
    }
    if !seen.insert(declaration.entity.clone()) {
        return Some("declared more than once; only the first declaration is checked".into());
    }
    let tolerances = std::iter::once(&declaration.normalize)
        .chain(declaration.columns.values().filter_map(|c| match c {
            crate::model::config::ColumnPair::With { normalize, .. } => Some(normalize),
            _ => None,
        }))
        .filter_map(|n| n.tolerance);
    for tolerance in tolerances {
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Some(format!(
                "tolerance {tolerance} is not a number of at least 0"
            ));
        }
    }
    None
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
    // Every column as text; a float column's whole numbers as a CSV writes them (`1000`,
    // not `1000.0`), so a row's text does not depend on the other rows of its file.
    let schema = frame.clone().collect_schema()?;
    let columns: Vec<Expr> = schema
        .iter()
        .map(|(name, dtype)| {
            let text = col(name.clone()).cast(DataType::String);
            match dtype.is_float() {
                true => text.str().strip_suffix(lit(".0")).alias(name.clone()),
                false => text,
            }
        })
        .collect();
    Ok(frame.select(columns))
}

/// A rows file's column names, or why it cannot be read (naming the file). polars panics
/// on some Parquet types it was built without (decimals): caught here, so a file migcov
/// cannot read is a reason, never a crash.
fn columns_of(file: &InputFile) -> Result<Vec<String>, String> {
    let read = || -> PolarsResult<Vec<String>> {
        Ok(scan_text(file)?
            .collect_schema()?
            .iter_names()
            .map(|n| n.to_string())
            .collect())
    };
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(read);
    std::panic::set_hook(hook);
    match result {
        Ok(Ok(names)) => Ok(names),
        Ok(Err(e)) => Err(format!("{} cannot be read: {e}", file.relative.display())),
        Err(_) => Err(format!(
            "{} holds a column type migcov cannot read (such as a Parquet decimal)",
            file.relative.display()
        )),
    }
}

/// The declared columns a rows file lacks, named with the file (or why a file cannot be
/// read): a misspelt column must never compare as missing on both sides, and so equal.
fn absent_columns(
    declaration: &ContentDeclaration,
    legacy: &[&InputFile],
    target: &[&InputFile],
) -> Option<String> {
    let legacy_wanted: Vec<&str> = std::iter::once(declaration.legacy_key.as_str())
        .chain(declaration.columns.keys().map(String::as_str))
        .collect();
    let target_wanted: Vec<&str> = std::iter::once(declaration.target_key.as_str())
        .chain(declaration.columns.values().map(|c| c.target()))
        .collect();
    for (files, wanted) in [(legacy, legacy_wanted), (target, target_wanted)] {
        for file in files {
            let names = match columns_of(file) {
                Ok(names) => names,
                Err(reason) => return Some(reason),
            };
            let absent: Vec<String> = wanted
                .iter()
                .filter(|c| !names.iter().any(|n| n == *c))
                .map(|c| format!("`{c}`"))
                .collect();
            if !absent.is_empty() {
                return Some(format!(
                    "{} has no column {} (it has {})",
                    file.relative.display(),
                    absent.join(", "),
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    None
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

/// Every text of a column in one Unicode normal form.
fn unicode_form(value: Expr, form: UnicodeForm) -> Expr {
    value.map(
        move |column: Column| {
            use unicode_normalization::UnicodeNormalization as _;
            let text = column.str()?;
            let normal: StringChunked = text
                .iter()
                .map(|v| {
                    v.map(|v| match form {
                        UnicodeForm::Nfc => v.nfc().collect::<String>(),
                        UnicodeForm::Nfkc => v.nfkc().collect::<String>(),
                    })
                })
                .collect();
            Ok(normal.with_name(column.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

/// A value's text made comparable by `n`: in one Unicode form, trimmed, case folded, empty
/// as missing.
fn normal_text(value: Expr, n: &Normalize) -> Expr {
    let mut value = value;
    if let Some(form) = n.unicode {
        value = unicode_form(value, form);
    }
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
    value
}

/// Below this, a float holds every whole number exactly: scaled values are rounded as
/// whole numbers only under it, and larger ones compared as they are.
const EXACT: f64 = 9.0e15;

/// A text read as a finite number, rounded to `scale` decimals (half away from zero);
/// null where the text is no finite number.
fn number(text: Expr, scale: Option<u32>) -> Expr {
    let value = text.str().strip_chars(lit(NULL)).cast(DataType::Float64);
    // inf and NaN are no figures: compared as text.
    let value = when(value.clone().is_finite())
        .then(value)
        .otherwise(lit(NULL).cast(DataType::Float64));
    let Some(scale) = scale else {
        return value;
    };
    // As whole numbers of 10^-scale (a cast truncates toward zero): 2.345 at scale 2 is
    // 235, -2.345 is -235. A relative nudge of 10^-12 takes 2.345 × 100 =
    // 234.49999999999997 to 235, as the decimal text means.
    let unit = 10f64.powi(scale.min(15) as i32);
    let scaled = value.clone() * lit(unit);
    let half = lit(0.5) + scaled.clone().abs() * lit(1e-12);
    let rounded = when(scaled.clone().gt_eq(lit(0.0)))
        .then(scaled.clone() + half.clone())
        .otherwise(scaled.clone() - half)
        .cast(DataType::Int64)
        .cast(DataType::Float64)
        / lit(unit);
    when(scaled.abs().lt(lit(EXACT)))
        .then(rounded)
        .otherwise(value)
}

/// Whether a legacy and a target value are equal under `n`: as numbers where the pair asks
/// for numbers and both sides are numbers (within `tolerance`), otherwise as normalised
/// text; two missing values are equal, a missing and a present one are not. A text that is
/// no number never equals another by failing to be one.
fn equal(legacy: Expr, target: Expr, n: &Normalize) -> Expr {
    let (legacy, target) = (normal_text(legacy, n), normal_text(target, n));
    let as_text = legacy.clone().eq_missing(target.clone());
    if !n.numeric() {
        return as_text;
    }
    let (l, t) = (number(legacy, n.scale), number(target, n.scale));
    let as_numbers = match n.tolerance {
        Some(tolerance) => (l.clone() - t.clone()).abs().lt_eq(lit(tolerance)),
        None => l.clone().eq(t.clone()),
    };
    when(l.is_not_null().and(t.is_not_null()))
        .then(as_numbers)
        .otherwise(as_text)
}

// Internal column names start with a NUL, which no export's header holds.
const LEGACY_KEY: &str = "\0legacy_key";
const TARGET_KEY: &str = "\0target_key";
const PARTS: &str = "\0parts";
const FOUND: &str = "\0found";
/// Prefixes of a compared column's legacy and target values, and of its equality.
const L: &str = "\0l:";
const T: &str = "\0t:";
const EQ: &str = "\0eq:";

/// One compared column pair, its normalisations resolved.
struct Pair {
    legacy: String,
    target: String,
    normalize: Normalize,
}

/// Each name once, in order.
fn unique_names(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
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
/// Where mappings name their legacy table (`legacy_table`), only those naming this entity's
/// table or none are its own; of an entity type other entities share, only those naming it
/// (see [`shared_type_problem`]), so a legacy id of another table never meets this table's
/// rows.
fn own_mappings(inputs: &Inputs, entity: &Entity) -> LazyFrame {
    let entity_type = entity_type_key(entity.entity_type.as_deref().unwrap_or_default());
    let (hi, lo) = half_names("modern_id");
    let of_type = col(ENTITY_TYPE_KEY)
        .cast(DataType::String)
        .eq(lit(entity_type));
    let own = match names_tables(inputs) {
        false => of_type,
        true => {
            let named = col("legacy_table")
                .cast(DataType::String)
                .str()
                .strip_chars(lit(NULL))
                .str()
                .to_lowercase();
            let this = named
                .clone()
                .eq(lit(crate::load::table_key(&entity.legacy_table)));
            match shares_type(inputs, entity) {
                true => of_type.and(this),
                false => of_type.and(named.is_null().or(this)),
            }
        }
    };
    inputs.mappings.clone().lazy().filter(own).select([
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
                .map(|p| col(p.legacy.as_str()).alias(format!("{L}{}", p.legacy))),
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
    let half = |name: &str, alias: &str| col(PARTS).struct_().field_by_name(name).alias(alias);
    let columns = [
        half("hi", &hi),
        half("lo", &lo),
        col(key).alias(TARGET_KEY),
        lit(true).alias(FOUND),
    ]
    .into_iter()
    .chain(
        unique_names(pairs.iter().map(|p| p.target.clone()))
            .into_iter()
            .map(|t| col(t.as_str()).alias(format!("{T}{t}"))),
    )
    .collect::<Vec<_>>();
    target
        .clone()
        .lazy()
        .with_column(uuid_halves(col(key)).alias(PARTS))
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
                    equal(
                        col(format!("{L}{}", p.legacy)),
                        col(format!("{T}{}", p.target)),
                        &p.normalize,
                    )
                    .alias(format!("{EQ}{i}"))
                })
                .collect::<Vec<_>>(),
        )
        .with_column(col(FOUND).fill_null(lit(false)))
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
            col(FOUND).all(true).alias("found"),
            (0..pairs)
                .map(|i| col(format!("{EQ}{i}")))
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
    let found = joined.clone().lazy().filter(col(FOUND));
    let mut columns = Vec::new();
    for (i, pair) in pairs.iter().enumerate() {
        // Keys that are numbers first, in numeric order, then as text: 2 before 10.
        let differing = found
            .clone()
            .filter(col(format!("{EQ}{i}")).not())
            .sort_by_exprs(
                [
                    col(LEGACY_KEY).cast(DataType::Float64),
                    col(LEGACY_KEY),
                    col(TARGET_KEY),
                ],
                SortMultipleOptions::default().with_nulls_last(true),
            );
        // Legacy rows, as the entity's counts are: a row repeated in the file or mapped
        // twice counts once.
        let n = differing
            .clone()
            .select([col(LEGACY_KEY).n_unique().alias("len")])
            .collect()?;
        let samples = differing
            .select([
                col(LEGACY_KEY),
                col(TARGET_KEY),
                col(format!("{L}{}", pair.legacy)).alias("legacy"),
                col(format!("{T}{}", pair.target)).alias("target"),
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
    // Each column once: a key may also be compared, two pairs may share a column.
    let legacy_wanted = unique_names(
        std::iter::once(declaration.legacy_key.clone())
            .chain(pairs.iter().map(|p| p.legacy.clone())),
    );
    let target_wanted = unique_names(
        std::iter::once(declaration.target_key.clone())
            .chain(pairs.iter().map(|p| p.target.clone())),
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
        .filter(col(FOUND).not())
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
