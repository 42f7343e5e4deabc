//! Stage 1, load: finds the inputs in the data folder, parses manifests into the model and
//! exports into polars frames, and resolves references.
//!
//! A file that cannot be read or parsed is a [`LoadError`] and stops the run. Problems inside
//! a readable file (an unresolved reference, a negative count) are left in place for
//! `validate` to report: references that do not resolve stay `None` (manifests) or null
//! (frames), with the raw reference kept beside them.

pub(crate) mod discover;
mod error;
pub mod inventory;
mod json_keys;
pub(crate) mod manifests;
mod scripts_dir;
mod slices;
pub use slices::refuse_stray_quotes;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use uuid::Uuid;

pub use discover::{classify, discover, InputFile, InputKind, Side, TableFormat};
pub use error::{reader_message, LoadError};
pub use inventory::{Inventory, InventoryTable, Lookup};
pub use scripts_dir::ScriptsOnDisk;

use crate::model::config::{Exclusion, ProjectConfig};
use crate::model::{derive_id, DataDomain, Domain, Entity, Origin, Script};
use manifests::{RawDomain, RawEntity, RawScript};
use tables::{load_table, ColumnSpec, TableOptions};

/// The mappings column holding `entity_type` trimmed and in upper case, the form entity
/// types are compared in (computed once here rather than in every rule).
pub const ENTITY_TYPE_KEY: &str = "entity_type_key";

/// The metrics column marking the rows of a final run: per script and entity, the run
/// (rows sharing a `run_id`; rows without one form one run) that ends last. Earlier runs
/// are attempts a later run superseded, e.g. a retry after FAILED.
pub const FINAL_RUN: &str = "final_run";

/// Everything read from a data folder.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The data folder's own name, shown in page footers (never its absolute path).
    pub data_dir_name: String,
    pub config: ProjectConfig,
    pub files: Vec<InputFile>,
    pub domains: Vec<DataDomain>,
    pub scripts: Vec<Script>,
    pub entities: Vec<Entity>,
    /// MigrationMetrics rows plus `script_uuid` and `entity_uuid` (null when unresolved).
    pub metrics: DataFrame,
    /// ExecutionLog rows plus `script_uuid`.
    pub logs: DataFrame,
    /// LegacyMapping rows plus [`ENTITY_TYPE_KEY`], without `metadata`: only its values that
    /// are not JSON are kept, in [`Inputs::invalid_metadata`]. `modern_id` and `id` are held
    /// as UUIDs' halves ([`tables::ColumnKind::Uuid`], [`tables::ColumnKind::Id`]): read
    /// their text with [`tables::uuid_text`]. Their `id` is apart, in [`Inputs::mapping_ids`].
    pub mappings: DataFrame,
    /// The mappings' `id`s, which only their two rules read: held when the mapping files
    /// are small, else read again when the rules' turn comes ([`MappingIds::read`]).
    pub mapping_ids: MappingIds,
    /// The mapping rows whose `metadata` is not JSON, every column, `metadata` its text. Few
    /// or none: apart, the column takes no 4-byte code a mapping where it is null (0.3 GiB
    /// at 100M records).
    pub invalid_metadata: DataFrame,
    pub source_inventory: Option<DataFrame>,
    pub target_inventory: Option<DataFrame>,
    /// The inventories as lookups by table name.
    pub source_tables: Option<Inventory>,
    pub target_tables: Option<Inventory>,
    /// The ids present in each legacy table, by table name. For a table in `pushdown`, only
    /// its unmapped ids. Checked and counted here, and held when small; large ones are read
    /// again when missing data reaches the table ([`SourceIds::read`]).
    pub source_ids: BTreeMap<String, SourceIds>,
    /// Tables whose ids were compared with the mappings by the databases (`migcov collect
    /// --pushdown`), by table name.
    pub pushdown: BTreeMap<String, Pushdown>,
    /// Compared tables whose rows the database compared (`migcov collect --pushdown`), by
    /// legacy table key ([`table_key`]): the rows files hold only the ids it did not prove
    /// intact.
    pub rows_pushdown: BTreeMap<String, RowsPushdown>,
    /// Where `migcov collect` read the folder from (`collect.json`), when it did.
    pub collected: Option<Collected>,
    pub scripts_on_disk: Option<ScriptsOnDisk>,
    /// Rows that leave a required column empty, per export kind (`metrics`, `logs`, ...):
    /// `__file`, `__row` and `empty` (the empty columns). They are left out of the frames
    /// above, so no null reaches a figure, and reported by `integrity.export.missing_value`.
    pub incomplete: Vec<(&'static str, DataFrame)>,
    /// `migcov.yaml`'s exclusions, each with the ids it names (distinct, column `id`), or
    /// `None` for a whole table.
    pub exclusions: Vec<ExcludedIds>,
    /// Records read from each input file (manifest records or table rows), by relative path.
    pub file_rows: BTreeMap<PathBuf, u64>,
}

/// What `collect.json` says of the two databases: the report's provenance reaches back to
/// them.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
pub struct Collected {
    pub collected_at: String,
    pub source: CollectedServer,
    pub target: CollectedServer,
}

#[derive(
    Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
pub struct CollectedServer {
    /// The URL without its password.
    pub url: String,
    pub kind: String,
    pub version: String,
}

fn read_collected(files: &[InputFile]) -> Result<Option<Collected>, LoadError> {
    let Some(file) = files
        .iter()
        .find(|f| matches!(f.kind, InputKind::CollectProvenance))
    else {
        return Ok(None);
    };
    let bytes = std::fs::read(&file.path).map_err(|source| LoadError::Io {
        path: file.relative.clone(),
        source,
    })?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| LoadError::Manifest {
            path: file.relative.clone(),
            item: None,
            message: format!("not the collect.json `migcov collect` writes: {e}"),
        })
}

/// `pushdown/<legacy_table>.json`: what the databases computed for one legacy table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Pushdown {
    /// Rows of ids in the legacy table (none NULL or empty once trimmed).
    pub ids: u64,
    /// The distinct ids among them with a mapping of the table's entity types.
    pub matched: u64,
    /// The rows among them with such a mapping; with the rows of `source_ids`, `ids`.
    /// (Absent from summaries written before it: `matched` then.)
    #[serde(default)]
    pub matched_rows: Option<u64>,
    /// Mapped legacy ids of those types that the table does not have (trimmed text).
    pub orphans: Vec<String>,
    /// The entity types compared, as collect was told.
    #[serde(default)]
    pub entity_types: Vec<String>,
    /// How the sets were compared (`anti-join on ...`, `checksums ...`).
    #[serde(default)]
    pub method: String,
    /// Mapping rows of the table's entity types (folded) that no check could flag, counted
    /// by the database and not exported (`collect --pushdown`): added to the rows of each
    /// type that the mapping files hold.
    #[serde(default)]
    pub mapping_rows_in_database: BTreeMap<String, u64>,
}

/// `rows/pushdown/<legacy_table>.json`: what the database found comparing one
/// `content:` declaration's rows (`migcov collect --pushdown`, `collect::intact`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RowsPushdown {
    /// Rows of the legacy table and of the target table, all of them.
    pub legacy_rows: u64,
    pub target_rows: u64,
    /// Distinct legacy ids proved intact in the database (mapped, every target row found,
    /// every compared column the same text on both sides); their rows are not exported.
    pub intact: u64,
    /// Where it was computed.
    pub method: String,
}

/// An error of a summary `collect` wrote, naming its file.
fn summary_error(file: &InputFile, message: String) -> LoadError {
    LoadError::Manifest {
        path: file.relative.clone(),
        item: None,
        message,
    }
}

/// A JSON summary `collect` wrote, or an error naming its file and saying it is not `what`.
fn read_summary<T: serde::de::DeserializeOwned>(
    file: &InputFile,
    what: &str,
) -> Result<T, LoadError> {
    let bytes = std::fs::read(&file.path).map_err(|source| LoadError::Io {
        path: file.relative.clone(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| summary_error(file, format!("not {what}: {e}")))
}

/// Reads `rows/pushdown/*.json`, by legacy table key; two for one table are an error.
fn read_rows_pushdown(files: &[InputFile]) -> Result<BTreeMap<String, RowsPushdown>, LoadError> {
    let mut found = BTreeMap::new();
    for file in files {
        let InputKind::RowsPushdown(table) = &file.kind else {
            continue;
        };
        let bad = |message: String| summary_error(file, message);
        let summary: RowsPushdown =
            read_summary(file, "a summary `migcov collect --pushdown` writes")?;
        if summary.intact > summary.legacy_rows {
            return Err(bad(format!(
                "{} ids proved intact in a table of {} rows",
                summary.intact, summary.legacy_rows
            )));
        }
        if found.insert(table_key(table), summary).is_some() {
            return Err(bad(format!(
                "another rows/pushdown file names table {table} too"
            )));
        }
    }
    Ok(found)
}

impl Inputs {
    /// The size of a slice read at a time (`MIGCOV_SLICE_BYTES`, for tests), which the
    /// sizes above which memory is saved are counted in.
    pub fn slice_bytes(&self) -> usize {
        self.mapping_ids.options.slice_bytes()
    }

    /// Rows of a legacy table's ids: counted by the database when pushed down.
    pub fn source_id_count(&self, table: &str) -> u64 {
        match self.pushdown.get(table) {
            Some(p) => p.ids,
            None => self.source_ids.get(table).map_or(0, |s| s.rows),
        }
    }
}

/// One legacy table's `source_ids` files, read whole once by loading, to check them and
/// count their rows. When every table's files together are larger than
/// [`held_source_ids_bytes`], only the counts are kept, and missing data reads each table
/// again when its turn comes and frees it before the next ([`SourceIds::read`]): held
/// beside the mappings, a large migration's ids were a fifth of the build's memory (two
/// billion bytes at 100 million ids). Smaller ones are held, and not parsed twice (0.6 s
/// at ten million ids).
#[derive(Debug, Clone)]
pub struct SourceIds {
    files: Vec<InputFile>,
    options: TableOptions,
    held: Option<DataFrame>,
    /// Rows with an id (the rows leaving it empty are in `Inputs::incomplete`).
    pub rows: u64,
    /// Every row read, those leaving the id empty included.
    pub rows_read: u64,
}

impl SourceIds {
    /// Whether loading kept the ids ([`SourceIds::read`] then parses nothing).
    pub fn is_held(&self) -> bool {
        self.held.is_some()
    }

    /// The table's ids with an id (`id`, `__file`, `__row`), as loading read them.
    pub fn read(&self) -> Result<DataFrame, LoadError> {
        if let Some(held) = &self.held {
            return Ok(held.clone());
        }
        let files: Vec<&InputFile> = self.files.iter().collect();
        let frame = load_table(&files, tables::SOURCE_IDS, &self.options)?;
        let shown = &self.files[0].relative;
        let (kept, _) =
            split_incomplete(frame, tables::SOURCE_IDS).map_err(|e| LoadError::table(shown, e))?;
        // The figures count the rows loading read: a file changed since gives none.
        if kept.height() as u64 != self.rows {
            return Err(LoadError::table(
                shown,
                format!(
                    "changed while migcov was reading it ({} ids when loaded, {} now)",
                    self.rows,
                    kept.height()
                ),
            ));
        }
        Ok(kept)
    }
}

/// The mappings' `id`s, apart from the mappings: only `integrity.export.invalid_id` and
/// `integrity.export.duplicate_id` read them. When the mapping files are large
/// ([`read_mapping_ids_again`]) they are not read with the mappings but again, once the
/// mappings are dropped (`lib::check`): held beside them, they were 16 bytes a mapping
/// (1.5 GiB at 100M realistic records) through every measure.
#[derive(Debug, Clone)]
pub struct MappingIds {
    files: Vec<InputFile>,
    options: TableOptions,
    held: Option<DataFrame>,
    /// The rows loading read from each mapping file, by relative path: a file changed
    /// since is refused, as [`SourceIds::read`] refuses one.
    rows_read: BTreeMap<PathBuf, u64>,
}

impl MappingIds {
    /// The mappings' ids (`__file`, `__row`, `id` as [`tables::ColumnKind::Id`] holds it),
    /// in the order loading read them, without the rows loading left out for a required
    /// column left empty (`incomplete`, as [`Inputs::incomplete`] has them).
    pub fn read(&self, incomplete: &[(&str, DataFrame)]) -> Result<DataFrame, LoadError> {
        if let Some(held) = &self.held {
            return Ok(held.clone());
        }
        // A file without the column gives no id: not parsed again for nothing.
        let mut with_ids = Vec::new();
        for file in &self.files {
            if tables::has_column(file, "id")? {
                with_ids.push(file);
            }
        }
        let ids = load_table(&with_ids, tables::MAPPING_IDS, &self.options)?;
        let mut read_now = BTreeMap::new();
        rows_per_file(&ids, &mut read_now)
            .map_err(|e| LoadError::table(Path::new("mappings"), e))?;
        for file in &with_ids {
            let (then, now) = (
                self.rows_read.get(&file.relative).copied().unwrap_or(0),
                read_now.get(&file.relative).copied().unwrap_or(0),
            );
            if then != now {
                return Err(LoadError::table(
                    &file.relative,
                    format!(
                        "changed while migcov was reading it ({then} rows when loaded, {now} now)"
                    ),
                ));
            }
        }
        let dropped = incomplete
            .iter()
            .filter(|(kind, _)| *kind == "mappings")
            .map(|(_, rows)| rows);
        let mut left_out: BTreeMap<String, Vec<IdxSize>> = BTreeMap::new();
        for rows in dropped {
            let files = tables::text_column(rows, tables::FILE_COL)
                .map_err(|e| LoadError::table(Path::new("mappings"), e))?;
            let numbers = rows
                .column(tables::ROW_COL)
                .and_then(|c| c.idx().cloned())
                .map_err(|e| LoadError::table(Path::new("mappings"), e))?;
            for (file, row) in files.iter().zip(numbers.iter()) {
                if let (Some(file), Some(row)) = (file, row) {
                    left_out.entry(file.to_string()).or_default().push(row);
                }
            }
        }
        let shown: BTreeSet<String> = with_ids
            .iter()
            .map(|f| f.relative.display().to_string())
            .collect();
        let Some(left_out) = left_out
            .into_iter()
            .filter(|(file, _)| shown.contains(file))
            .map(|(file, rows)| {
                col(tables::FILE_COL).eq(lit(file)).and(
                    col(tables::ROW_COL)
                        .is_in(lit(Series::new("rows".into(), rows)).implode(false), false),
                )
            })
            .reduce(|a, b| a.or(b))
        else {
            return Ok(ids);
        };
        ids.lazy()
            .filter(left_out.not())
            .collect()
            .map_err(|e| LoadError::table(Path::new("mappings"), e))
    }
}

/// Whether the mappings' ids are read again rather than with the mappings
/// ([`MappingIds`]): above 8 slices of files (128 MiB by default), a text file (CSV,
/// NDJSON) counting for a 128th of its size. Reading a Parquet file's ids again reads that
/// column alone (no time to be seen at 10M realistic records); a text file's parses every
/// line again (3 to 4.5 s more in an 11 s build from 10M realistic records as CSV, which
/// would have put 30M behind DuckDB's checks). So text files' ids are held up to 16 GiB of
/// them, where the 1.5 GiB the ids take at 100M records begins to count more than the
/// time. `MIGCOV_SLICE_BYTES` moves both with the slices, so the tests' passes in small
/// slices read the fixtures' ids again.
pub fn read_mapping_ids_again(files: &[&InputFile], options: &TableOptions) -> bool {
    let weighed: u64 = files
        .iter()
        .filter_map(|f| {
            let bytes = std::fs::metadata(&f.path).ok()?.len();
            Some(match f.kind.table_format() {
                Some(TableFormat::Parquet) => bytes,
                _ => bytes / 128,
            })
        })
        .sum();
    weighed > 8 * options.slice_bytes() as u64
}

/// Above this many bytes of `source_ids` files (all tables together), their ids are not
/// held but read again table by table ([`SourceIds`]): 32 slices, 512 MiB by default
/// (about 60 million ids as CSV). `MIGCOV_SLICE_BYTES` moves it with the slices, so the
/// tests' pass in one-byte slices reads every table's ids again.
pub fn held_source_ids_bytes(options: &TableOptions) -> u64 {
    32 * options.slice_bytes() as u64
}

/// A pushed-down table's ids were compared with the mappings of the types collect was told
/// (`pushdown.tables`); when those are not the types of the entities owning the table, its
/// unmapped ids and matched count answer another question, and missing data would quietly
/// lose them (9 of 10 ids unmapped shown as none): an error, asking to collect again.
fn pushdown_types_are_owners(
    pushdown: &BTreeMap<String, Pushdown>,
    entities: &[Entity],
) -> Result<(), LoadError> {
    for (table, summary) in pushdown {
        let owners: BTreeSet<String> = entities
            .iter()
            .filter(|e| table_key(&e.legacy_table) == table_key(table))
            .filter_map(|e| e.entity_type.as_deref())
            .map(crate::model::entity_type_key)
            .collect();
        let compared: BTreeSet<String> = summary
            .entity_types
            .iter()
            .map(|t| crate::model::entity_type_key(t))
            .collect();
        if !owners.is_empty() && owners != compared {
            let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
            return Err(LoadError::Manifest {
                path: PathBuf::from(format!("pushdown/{table}.json")),
                item: None,
                message: format!(
                    "the ids were compared with the mappings of {}, but the entities of {table} are of type {}: \
                     collect again with pushdown.tables naming {} (or without --pushdown)",
                    match compared.is_empty() {
                        true => "no entity type".to_string(),
                        false => list(&compared),
                    },
                    list(&owners),
                    list(&owners)
                ),
            });
        }
    }
    Ok(())
}

/// Reads `pushdown/*.json`. Each needs its table's `source_ids` file (the unmapped ids),
/// whose rows with `matched` must make `ids`; an exclusion by ids or `where` on such a
/// table needs every id, which a pushed-down export does not have.
fn read_pushdown(
    files: &[InputFile],
    source_ids: &BTreeMap<String, SourceIds>,
    config: &ProjectConfig,
    config_path: &Path,
) -> Result<BTreeMap<String, Pushdown>, LoadError> {
    let mut found = BTreeMap::new();
    for file in files {
        let InputKind::Pushdown(table) = &file.kind else {
            continue;
        };
        let bad = |message: String| summary_error(file, message);
        let summary: Pushdown = read_summary(file, "a pushdown summary")?;
        let Some(unmapped) = source_ids.get(table) else {
            return Err(bad(format!(
                "needs source_ids/{table}.* (its unmapped ids), and there is none"
            )));
        };
        // Written before `matched_rows`, `ids` counted the rows with an empty key too.
        let (matched_rows, unmapped_rows) = match summary.matched_rows {
            Some(rows) => (rows, unmapped.rows),
            None => (summary.matched, unmapped.rows_read),
        };
        if matched_rows.checked_add(unmapped_rows) != Some(summary.ids) {
            return Err(bad(format!(
                "ids ({}) must be the matched rows ({matched_rows}) plus the {unmapped_rows} unmapped ids of source_ids/{table}",
                summary.ids
            )));
        }
        if summary.matched > matched_rows {
            return Err(bad(format!(
                "matched ids ({}) cannot be more than the rows they are in ({matched_rows})",
                summary.matched
            )));
        }
        let types: BTreeSet<String> = summary
            .entity_types
            .iter()
            .map(|t| crate::model::entity_type_key(t))
            .collect();
        if let Some(other) = summary
            .mapping_rows_in_database
            .keys()
            .find(|t| !types.contains(&crate::model::entity_type_key(t)))
        {
            return Err(bad(format!(
                "mapping_rows_in_database counts entity type {other}, which is not one of \
                 the table's entity_types"
            )));
        }
        if let Some((i, _)) = config.exclusions.iter().enumerate().find(|(_, x)| {
            table_key(&x.table) == table_key(table) && (x.ids.is_some() || x.predicate.is_some())
        }) {
            return Err(LoadError::Manifest {
                path: config_path.to_path_buf(),
                item: Some(i + 1),
                message: format!(
                    "exclusions: ids of table {table} need all its ids, and pushdown/{table}.json \
                     has only the unmapped ones: collect it without --pushdown"
                ),
            });
        }
        found.insert(table.clone(), summary);
    }
    Ok(found)
}

/// One declared exclusion and the ids it selects.
#[derive(Debug, Clone)]
pub struct ExcludedIds {
    pub declaration: Exclusion,
    /// Distinct excluded keys as text (column `id`); `None` when the whole table is excluded.
    pub ids: Option<DataFrame>,
}

impl ExcludedIds {
    /// Whether the exclusion holds on `date`, the report date: until its `expires` day,
    /// inclusive, and always in a run without a date. The one place this is decided: the
    /// ledger, missing data, coverage and the report all ask here.
    pub fn in_force(&self, date: Option<chrono::NaiveDate>) -> bool {
        date.is_none_or(|d| !crate::model::config::expired(self.declaration.expires, d))
    }
}

/// Rows per `__file` of a loaded table.
fn rows_per_file(frame: &DataFrame, into: &mut BTreeMap<PathBuf, u64>) -> PolarsResult<()> {
    // Counted from the file column's codes, not grouped ([`tables::rows_per_category`]).
    if let Some(counted) = tables::rows_per_category(frame.column(tables::FILE_COL)?)? {
        for (file, n) in counted {
            *into.entry(PathBuf::from(file)).or_default() += n;
        }
        return Ok(());
    }
    let counts = frame
        .clone()
        .lazy()
        .group_by([col(tables::FILE_COL)])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let files = tables::text_column(&counts, tables::FILE_COL)?;
    let n = counts.column("n")?.u64()?;
    for i in 0..counts.height() {
        if let (Some(file), Some(n)) = (files.get(i), n.get(i)) {
            *into.entry(PathBuf::from(file)).or_default() += n;
        }
    }
    Ok(())
}

/// Where to read from.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub data_dir: PathBuf,
    /// Overrides `scripts_dir` of `migcov.yaml`.
    pub scripts_dir: Option<PathBuf>,
}

/// Reads the data folder: classifies its files, parses the manifests, reads the exports,
/// applies the null policy, resolves references and counts each file's records.
pub fn load(options: &LoadOptions) -> Result<Inputs, LoadError> {
    let root = &options.data_dir;
    let found = classify_inputs(options)?;
    let Manifests {
        domains,
        scripts,
        mut raw_entities,
        mut file_rows,
    } = read_manifests(&found.files)?;
    let tables = read_tables(&found)?;
    if let Some(frame) = &tables.entity_frame {
        raw_entities.extend(entities_from_frame(frame)?);
    }
    let entities = resolve_entities(raw_entities, &domains, &scripts);
    pushdown_types_are_owners(&tables.pushdown, &entities)?;
    let frames = without_incomplete(
        tables.exports,
        tables.source_inventory,
        tables.target_inventory,
        tables.ids_dropped,
    )?;
    let frames = resolve_references(frames, &scripts, &entities)?;
    count_file_rows(
        &mut file_rows,
        &frames,
        tables.id_rows,
        tables.entity_frame.is_some(),
        &entities,
        root,
    )?;
    // An entities CSV of a header only holds no record, as an empty manifest does.
    for file in of_kind(&found.files, |k| matches!(k, InputKind::EntitiesTable(_))) {
        file_rows.entry(file.relative.clone()).or_insert(0);
    }

    let as_lookup = |frame: &Option<DataFrame>| {
        frame
            .as_ref()
            .map(Inventory::from_frame)
            .transpose()
            .map_err(|e| LoadError::table(Path::new("inventory"), e))
    };
    // The ids read with the mappings are set apart (the frames share their columns).
    let mut mappings = frames.mappings;
    let held_ids = match mappings.column("id") {
        Ok(_) => {
            let (hi, lo) = tables::half_names("id");
            let names = ["id".to_string(), hi, lo, tables::upper_name("id")];
            let ids = mappings
                .select(
                    [tables::FILE_COL.to_string(), tables::ROW_COL.to_string()]
                        .into_iter()
                        .chain(names.iter().cloned()),
                )
                .map_err(|e| LoadError::table(Path::new("mappings"), e))?;
            for name in &names {
                mappings
                    .drop_in_place(name)
                    .map_err(|e| LoadError::table(Path::new("mappings"), e))?;
            }
            Some(ids)
        }
        Err(_) => None,
    };
    let mapping_files: Vec<InputFile> =
        of_kind(&found.files, |k| matches!(k, InputKind::Mappings(_)))
            .into_iter()
            .cloned()
            .collect();
    let mapping_ids = MappingIds {
        rows_read: mapping_files
            .iter()
            .map(|f| {
                let rows = file_rows.get(&f.relative).copied().unwrap_or(0);
                (f.relative.clone(), rows)
            })
            .collect(),
        files: mapping_files,
        options: found.table_options.clone(),
        held: held_ids,
    };
    let source_tables = as_lookup(&frames.source_inventory)?;
    let target_tables = as_lookup(&frames.target_inventory)?;
    let Found {
        files,
        config,
        scripts_dir,
        ..
    } = found;
    let scripts_on_disk = match scripts_dir {
        Some(dir) => Some(scripts_dir::walk(&dir, &config.exclude)?),
        None => None,
    };

    Ok(Inputs {
        data_dir_name: root
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| root.display().to_string()),
        config,
        files,
        domains,
        scripts,
        entities,
        metrics: frames.metrics,
        logs: frames.logs,
        mappings,
        mapping_ids,
        invalid_metadata: frames.invalid_metadata,
        source_inventory: frames.source_inventory,
        target_inventory: frames.target_inventory,
        source_tables,
        target_tables,
        source_ids: tables.source_ids,
        pushdown: tables.pushdown,
        rows_pushdown: tables.rows_pushdown,
        collected: tables.collected,
        scripts_on_disk,
        exclusions: tables.exclusions,
        incomplete: frames.incomplete,
        file_rows,
    })
}

/// The data folder's files, classified, and what `migcov.yaml` says about reading them.
struct Found {
    files: Vec<InputFile>,
    config: ProjectConfig,
    table_options: TableOptions,
    /// Where the migration scripts are (`--scripts-dir`, else `scripts_dir`), if anywhere.
    scripts_dir: Option<PathBuf>,
    /// `migcov.yaml` as errors about its exclusions name it.
    config_path: PathBuf,
}

/// Finds the inputs and reads `migcov.yaml`, which reclassifies some of them: files in the
/// scripts folder are script sources, and a file an exclusion names holds its ids.
fn classify_inputs(options: &LoadOptions) -> Result<Found, LoadError> {
    let root = &options.data_dir;
    let mut files = discover(root)?;
    let config = match files.iter().find(|f| f.kind == InputKind::Config) {
        Some(file) => manifests::parse_config(file)?,
        None => ProjectConfig::default(),
    };
    let table_options = table_options(&config, &files)?;
    let scripts_dir = options
        .scripts_dir
        .clone()
        .or_else(|| config.scripts_dir.as_ref().map(|d| root.join(d)));
    if let Some(inside) = scripts_dir
        .as_ref()
        .and_then(|d| d.strip_prefix(root).ok())
        .filter(|d| !d.as_os_str().is_empty())
    {
        for file in files
            .iter_mut()
            .filter(|f| f.relative.starts_with(inside) && !matches!(f.kind, InputKind::Skipped(_)))
        {
            file.kind = InputKind::ScriptSource;
        }
    }
    let config_path = files
        .iter()
        .find(|f| f.kind == InputKind::Config)
        .map(|f| f.relative.clone())
        .unwrap_or_else(|| PathBuf::from("migcov.yaml"));
    for (i, exclusion) in config.exclusions.iter().enumerate() {
        let Some(wanted) = &exclusion.ids else {
            continue;
        };
        let file = files
            .iter_mut()
            .find(|f| &f.relative == wanted)
            .filter(|f| {
                matches!(
                    TableFormat::from_extension(&f.relative),
                    Some(TableFormat::Csv | TableFormat::Parquet)
                )
            })
            .ok_or_else(|| LoadError::Manifest {
                path: config_path.clone(),
                item: Some(i + 1),
                message: format!(
                    "exclusions: ids file {} is not a CSV or Parquet file inside the data folder",
                    wanted.display()
                ),
            })?;
        let format = TableFormat::from_extension(&file.relative).unwrap_or(TableFormat::Csv);
        file.kind = InputKind::ExclusionIds(format);
    }
    Ok(Found {
        files,
        config,
        table_options,
        scripts_dir,
        config_path,
    })
}

/// The files of one kind, in the order they were found.
fn of_kind(files: &[InputFile], wanted: fn(&InputKind) -> bool) -> Vec<&InputFile> {
    files.iter().filter(|f| wanted(&f.kind)).collect()
}

/// What the YAML manifests hold. Entities stay raw until an entities table has added its
/// rows, so both resolve against the same domains and scripts.
struct Manifests {
    domains: Vec<DataDomain>,
    scripts: Vec<Script>,
    raw_entities: Vec<(RawEntity, Origin)>,
    /// Records read per manifest, by relative path.
    file_rows: BTreeMap<PathBuf, u64>,
}

/// Parses the domain, script and entity manifests; the domains are required.
fn read_manifests(files: &[InputFile]) -> Result<Manifests, LoadError> {
    let domain_files = of_kind(files, |k| *k == InputKind::Domains);
    if domain_files.is_empty() {
        return Err(LoadError::MissingInput {
            path: PathBuf::from("domains.yaml"),
            what: "the DataDomain records",
        });
    }
    let mut file_rows: BTreeMap<PathBuf, u64> = BTreeMap::new();
    let domains = records_of(&domain_files, &mut file_rows, |raw: RawDomain, file| {
        DataDomain {
            id: raw
                .id
                .unwrap_or_else(|| derive_id("domain", raw.name.as_str())),
            name: raw.name,
            description: raw.description,
            priority: raw.priority,
            declared_coverage: raw.coverage_percentage,
            origin: origin(file, None),
        }
    })?;
    let script_files = of_kind(files, |k| *k == InputKind::Scripts);
    let scripts = records_of(&script_files, &mut file_rows, |raw: RawScript, file| {
        Script {
            id: raw.id.unwrap_or_else(|| derive_id("script", &raw.name)),
            name: raw.name,
            category: raw.category,
            data_domain: raw.data_domain,
            source_table: raw.source_table,
            target_table: raw.target_table,
            record_count: raw.record_count,
            success_rate: raw.success_rate,
            status: raw.status,
            description: raw.description,
            origin: origin(file, None),
        }
    })?;
    let entity_files = of_kind(files, |k| *k == InputKind::Entities);
    let raw_entities = records_of(&entity_files, &mut file_rows, |raw: RawEntity, file| {
        (raw, origin(file, None))
    })?;
    Ok(Manifests {
        domains,
        scripts,
        raw_entities,
        file_rows,
    })
}

/// Parses the manifests `files` into items (one per record), counting records in `file_rows`.
fn records_of<R: serde::de::DeserializeOwned, T>(
    files: &[&InputFile],
    file_rows: &mut BTreeMap<PathBuf, u64>,
    mut item: impl FnMut(R, &InputFile) -> T,
) -> Result<Vec<T>, LoadError> {
    let mut items = Vec::new();
    for file in files {
        let records = manifests::parse_records::<R>(file)?;
        file_rows.insert(file.relative.clone(), records.len() as u64);
        items.extend(records.into_iter().map(|raw| item(raw, file)));
    }
    Ok(items)
}

/// The three exports as read, before the null policy applies.
struct Exports {
    metrics: DataFrame,
    logs: DataFrame,
    mappings: DataFrame,
}

/// Everything read from the tabular inputs and the JSON beside them.
struct Tables {
    /// The entities table, when there is one.
    entity_frame: Option<DataFrame>,
    exports: Exports,
    source_inventory: Option<DataFrame>,
    target_inventory: Option<DataFrame>,
    source_ids: BTreeMap<String, SourceIds>,
    /// Each legacy table's rows with an id, per `source_ids` file.
    id_rows: Vec<BTreeMap<PathBuf, u64>>,
    /// The `source_ids` rows that leave the id empty.
    ids_dropped: Vec<DataFrame>,
    collected: Option<Collected>,
    pushdown: BTreeMap<String, Pushdown>,
    rows_pushdown: BTreeMap<String, RowsPushdown>,
    exclusions: Vec<ExcludedIds>,
}

/// Reads every table, `collect.json`, the pushdown summaries and the exclusions' ids.
/// Tables that fail to load are gathered, so one run names every file to fix.
fn read_tables(found: &Found) -> Result<Tables, LoadError> {
    let mut failed: Vec<LoadError> = Vec::new();
    let entity_tables = of_kind(&found.files, |k| matches!(k, InputKind::EntitiesTable(_)));
    let entity_frame = (!entity_tables.is_empty())
        .then(|| load_table(&entity_tables, tables::ENTITIES, &found.table_options));
    let (exports, loaded_ids) = read_exports(found, &mut failed);
    // Reading the largest exports freed most of what it allocated.
    crate::memory::release_freed_memory();
    let mut inventory = |wanted: fn(&InputKind) -> bool| {
        read_inventory(&found.files, wanted, &found.table_options).unwrap_or_else(|e| {
            failed.push(e);
            None
        })
    };
    let source_inventory = inventory(|k| matches!(k, InputKind::SourceInventory(_)));
    let target_inventory = inventory(|k| matches!(k, InputKind::TargetInventory(_)));
    let mut source_ids = BTreeMap::new();
    let (mut id_rows, mut ids_dropped) = (Vec::new(), Vec::new());
    for (table, checked) in loaded_ids {
        match checked {
            Ok((ids, rows, dropped)) => {
                source_ids.insert(table, ids);
                id_rows.push(rows);
                ids_dropped.extend(dropped);
            }
            Err(e) => failed.push(e),
        }
    }
    let collected = read_collected(&found.files).unwrap_or_else(|e| {
        failed.push(e);
        None
    });
    let pushdown = read_pushdown(&found.files, &source_ids, &found.config, &found.config_path)
        .unwrap_or_else(|e| {
            failed.push(e);
            BTreeMap::new()
        });
    let rows_pushdown = read_rows_pushdown(&found.files).unwrap_or_else(|e| {
        failed.push(e);
        BTreeMap::new()
    });
    let exclusions = read_exclusions(found, &mut failed);
    let entity_frame = match entity_frame {
        Some(Err(e)) => {
            failed.insert(0, e);
            None
        }
        Some(Ok(frame)) => Some(frame),
        None => None,
    };
    if let Some(error) = LoadError::gather(failed) {
        return Err(error);
    }
    Ok(Tables {
        entity_frame,
        exports,
        source_inventory,
        target_inventory,
        source_ids,
        id_rows,
        ids_dropped,
        collected,
        pushdown,
        rows_pushdown,
        exclusions,
    })
}

/// One legacy table's `source_ids` as checked: the table, its rows with an id per file,
/// the rows that leave the id empty.
type CheckedIds = (SourceIds, BTreeMap<PathBuf, u64>, Option<DataFrame>);

/// Each legacy table's `source_ids`, checked, or why it could not be.
type LoadedIds = Vec<(String, Result<CheckedIds, LoadError>)>;

/// Reads metrics, logs and the mappings, and the source ids beside the mappings. A table
/// that fails goes to `failed` and stands empty.
fn read_exports(found: &Found, failed: &mut Vec<LoadError>) -> (Exports, LoadedIds) {
    let mut gather = |result: Result<DataFrame, LoadError>| {
        result.unwrap_or_else(|e| {
            failed.push(e);
            DataFrame::default()
        })
    };
    let table = |wanted: fn(&InputKind) -> bool, specs: &[ColumnSpec]| {
        load_table(&of_kind(&found.files, wanted), specs, &found.table_options)
    };
    let metrics = gather(table(
        |k| matches!(k, InputKind::Metrics(_)),
        tables::METRICS,
    ));
    let logs = gather(table(|k| matches!(k, InputKind::Logs(_)), tables::LOGS));
    let (mappings, loaded_ids) = read_mappings_beside_ids(found);
    let mappings = gather(mappings);
    (
        Exports {
            metrics,
            logs,
            mappings,
        },
        loaded_ids,
    )
}

/// Reads the mappings, the largest export, with the source ids on another thread: a CSV
/// file's lines are counted on one thread, which leaves a core free. Each table's ids are
/// checked and counted; when all of them are large, only their counts are kept
/// (`SourceIds`).
fn read_mappings_beside_ids(found: &Found) -> (Result<DataFrame, LoadError>, LoadedIds) {
    let table_options = &found.table_options;
    // One table's files whatever the case of their names (`dispatch_office.csv` and
    // `DISPATCH_OFFICE.parquet` are one table, as tables are matched everywhere), under
    // the spelling already in the matching form if one is (else the first found): grouped
    // by spelling, one of them was silently dropped.
    let mut by_key: BTreeMap<String, (String, Vec<&InputFile>)> = BTreeMap::new();
    for file in &found.files {
        if let InputKind::SourceIds(table, _) = &file.kind {
            let key = table_key(table);
            let entry = by_key
                .entry(key.clone())
                .or_insert_with(|| (table.clone(), Vec::new()));
            if *table == key {
                entry.0 = table.clone();
            }
            entry.1.push(file);
        }
    }
    let id_files: BTreeMap<String, Vec<&InputFile>> = by_key.into_values().collect();
    let id_bytes: u64 = id_files
        .values()
        .flatten()
        .filter_map(|f| std::fs::metadata(&f.path).ok())
        .map(|m| m.len())
        .sum();
    let hold_ids = id_bytes <= held_source_ids_bytes(table_options);
    std::thread::scope(|scope| {
        let ids = scope.spawn(|| {
            id_files
                .into_iter()
                .map(|(table, found)| {
                    let checked = load_table(&found, tables::SOURCE_IDS, table_options)
                        .and_then(|frame| check_source_ids(&found, frame, table_options, hold_ids));
                    if !hold_ids {
                        crate::memory::release_freed_memory();
                    }
                    (table, checked)
                })
                .collect::<Vec<_>>()
        });
        let mapping_files = of_kind(&found.files, |k| matches!(k, InputKind::Mappings(_)));
        // Small mapping files are read with their ids, which are then set apart
        // ([`MappingIds`]); large ones without them.
        let specs: Vec<ColumnSpec> = match read_mapping_ids_again(&mapping_files, table_options) {
            false => tables::MAPPINGS
                .iter()
                .chain(tables::MAPPING_IDS)
                .copied()
                .collect(),
            true => tables::MAPPINGS.to_vec(),
        };
        let mappings = load_table(&mapping_files, &specs, table_options);
        let ids = ids
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (mappings, ids)
    })
}

/// An inventory's files read as one table, or `None` when there are none.
fn read_inventory(
    files: &[InputFile],
    wanted: fn(&InputKind) -> bool,
    options: &TableOptions,
) -> Result<Option<DataFrame>, LoadError> {
    let found = of_kind(files, wanted);
    if found.is_empty() {
        Ok(None)
    } else {
        load_table(&found, tables::INVENTORY, options).map(Some)
    }
}

/// `migcov.yaml`'s exclusions with the ids each selects; one whose ids cannot be read goes
/// to `failed`.
fn read_exclusions(found: &Found, failed: &mut Vec<LoadError>) -> Vec<ExcludedIds> {
    let mut exclusions = Vec::new();
    // The files by path, gathered once (sought for every exclusion, N² with N of them).
    let mut by_path: BTreeMap<&Path, Vec<&InputFile>> = BTreeMap::new();
    for f in &found.files {
        by_path.entry(f.relative.as_path()).or_default().push(f);
    }
    for (i, declaration) in found.config.exclusions.iter().enumerate() {
        match excluded_ids(found, &by_path, i, declaration) {
            Ok(ids) => exclusions.push(ExcludedIds {
                declaration: declaration.clone(),
                ids,
            }),
            Err(e) => failed.push(e),
        }
    }
    exclusions
}

/// The distinct ids the `i`th exclusion selects, sorted, from its ids file or from its
/// table's `source_ids` by its `where`; `None` when it excludes the whole table.
fn excluded_ids(
    found: &Found,
    by_path: &BTreeMap<&Path, Vec<&InputFile>>,
    i: usize,
    declaration: &Exclusion,
) -> Result<Option<DataFrame>, LoadError> {
    let (files, options, config_path) = (&found.files, &found.table_options, &found.config_path);
    let key = table_key(&declaration.table);
    let ids = if let Some(path) = &declaration.ids {
        let found: Vec<&InputFile> = by_path.get(path.as_path()).cloned().unwrap_or_default();
        load_table(&found, tables::SOURCE_IDS, options).map(Some)
    } else if let Some(predicate) = &declaration.predicate {
        let found: Vec<&InputFile> = files
            .iter()
            .filter(|f| matches!(&f.kind, InputKind::SourceIds(t, _) if table_key(t) == key))
            .collect();
        if found.is_empty() {
            Err(LoadError::Manifest {
                path: config_path.clone(),
                item: Some(i + 1),
                message: format!(
                    "exclusions: `where` on table {} needs its source_ids file, and there is none",
                    declaration.table
                ),
            })
        } else {
            tables::ids_where(&found, &predicate.column, &predicate.values).map(Some)
        }
    } else {
        Ok(None)
    };
    ids.and_then(|frame| {
        frame
            .map(|f| {
                // As text, whether the file held its keys as numbers or as text
                // (`ColumnKind::Key`): an exclusion's ids are few, and meet every kind.
                f.lazy()
                    .select([col("id").cast(DataType::String)])
                    .filter(col("id").is_not_null())
                    .unique_stable(None, UniqueKeepStrategy::First)
                    .sort(["id"], Default::default())
                    .collect()
                    .map_err(|e| LoadError::table(config_path, e))
            })
            .transpose()
    })
}

/// The exports and inventories as [`Inputs`] holds them.
struct Frames {
    metrics: DataFrame,
    logs: DataFrame,
    mappings: DataFrame,
    /// Empty until [`resolve_references`] sets the invalid `metadata` apart.
    invalid_metadata: DataFrame,
    source_inventory: Option<DataFrame>,
    target_inventory: Option<DataFrame>,
    incomplete: Vec<(&'static str, DataFrame)>,
}

/// The null policy: a row with an empty required cell is reported, never aggregated. Sets
/// such rows apart, with the source ids' (split off as they were checked).
fn without_incomplete(
    exports: Exports,
    source_inventory: Option<DataFrame>,
    target_inventory: Option<DataFrame>,
    ids_dropped: Vec<DataFrame>,
) -> Result<Frames, LoadError> {
    let mut incomplete = Vec::new();
    let mut complete = |kind: &'static str, frame: DataFrame, specs: &[ColumnSpec]| {
        let (kept, dropped) =
            split_incomplete(frame, specs).map_err(|e| LoadError::table(Path::new(kind), e))?;
        if let Some(dropped) = dropped {
            incomplete.push((kind, dropped));
        }
        Ok::<_, LoadError>(kept)
    };
    let metrics = complete("metrics", exports.metrics, tables::METRICS)?;
    let logs = complete("logs", exports.logs, tables::LOGS)?;
    let mappings = complete("mappings", exports.mappings, tables::MAPPINGS)?;
    let source_inventory = source_inventory
        .map(|f| complete("inventory/source", f, tables::INVENTORY))
        .transpose()?;
    let target_inventory = target_inventory
        .map(|f| complete("inventory/target", f, tables::INVENTORY))
        .transpose()?;
    incomplete.extend(ids_dropped.into_iter().map(|f| ("source_ids", f)));
    Ok(Frames {
        metrics,
        logs,
        mappings,
        invalid_metadata: DataFrame::default(),
        source_inventory,
        target_inventory,
        incomplete,
    })
}

/// Keys the mappings' entity types and sets invalid `metadata` apart, resolves the metrics'
/// and logs' script and entity names to ids, and marks the metrics' final runs.
fn resolve_references(
    mut frames: Frames,
    scripts: &[Script],
    entities: &[Entity],
) -> Result<Frames, LoadError> {
    let (mappings, invalid_metadata) = with_type_key(frames.mappings)
        .and_then(metadata_apart)
        .map_err(|e| LoadError::table(Path::new("mappings"), e))?;
    let script_keys = lookup_frame(scripts.iter().map(|s| (s.name.as_str(), s.id)));
    let entity_keys = lookup_frame(entities.iter().map(|e| (e.name.as_str(), e.id)));
    let metrics = resolve_column(frames.metrics, "script_id", "script_uuid", &script_keys)
        .and_then(|m| resolve_column(m, "entity_id", "entity_uuid", &entity_keys));
    let metrics = metrics
        .and_then(|m| trimmed_run_ids(m, &["run_id", "resumes_run_id"]))
        .and_then(|m| mark_final_runs(m, &single_entity_scripts(entities)))
        .map_err(|e| LoadError::table(Path::new("metrics"), e))?;
    let logs = resolve_column(frames.logs, "script_id", "script_uuid", &script_keys)
        .and_then(|l| trimmed_run_ids(l, &["run_id"]))
        .map_err(|e| LoadError::table(Path::new("logs"), e))?;
    frames.metrics = metrics;
    frames.logs = logs;
    frames.mappings = mappings;
    frames.invalid_metadata = invalid_metadata;
    Ok(frames)
}

/// The scripts with exactly one entity, each with that entity (ids as text). A script with
/// one entity: its untagged rows are that entity's (as its totals credit them), so a tagged
/// run and an untagged retry are two runs of one owner.
fn single_entity_scripts(entities: &[Entity]) -> BTreeMap<String, String> {
    let mut per_script: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in entities {
        if let Some(script) = e.migration_script_id {
            per_script
                .entry(script.hyphenated().to_string())
                .or_default()
                .push(e.id.hyphenated().to_string());
        }
    }
    per_script
        .into_iter()
        .filter(|(_, es)| es.len() == 1)
        .map(|(s, mut es)| (s, es.remove(0)))
        .collect()
}

/// Adds each table file's rows to the manifests' record counts in `file_rows`.
fn count_file_rows(
    file_rows: &mut BTreeMap<PathBuf, u64>,
    frames: &Frames,
    id_rows: Vec<BTreeMap<PathBuf, u64>>,
    entity_table: bool,
    entities: &[Entity],
    root: &Path,
) -> Result<(), LoadError> {
    let counted = [&frames.metrics, &frames.logs, &frames.mappings]
        .into_iter()
        .chain(frames.source_inventory.iter())
        .chain(frames.target_inventory.iter());
    // The source ids were counted as they were checked.
    for rows in id_rows {
        for (file, n) in rows {
            *file_rows.entry(file).or_default() += n;
        }
    }
    // Rows left out for an empty required cell were read all the same.
    let counted = counted.chain(frames.incomplete.iter().map(|(_, f)| f));
    for frame in counted {
        rows_per_file(frame, file_rows).map_err(|e| LoadError::table(root, e))?;
    }
    if entity_table {
        // Entity CSV rows were counted as they were read.
        for (_, origin) in raw_entities_csv_origins(entities) {
            *file_rows.entry(origin).or_default() += 1;
        }
    }
    Ok(())
}

/// Checks one table's loaded `source_ids` and keeps its counts, and its ids when `hold`:
/// (the table, its rows with an id per file, the rows that leave the id empty).
fn check_source_ids(
    files: &[&InputFile],
    frame: DataFrame,
    options: &TableOptions,
    hold: bool,
) -> Result<CheckedIds, LoadError> {
    let to_err = |e| LoadError::table(&files[0].relative, e);
    let rows_read = frame.height() as u64;
    let (kept, dropped) = split_incomplete(frame, tables::SOURCE_IDS).map_err(to_err)?;
    // The rows left out are counted with the other incomplete rows.
    let mut rows = BTreeMap::new();
    rows_per_file(&kept, &mut rows).map_err(to_err)?;
    let ids = SourceIds {
        files: files.iter().map(|f| (*f).clone()).collect(),
        options: options.clone(),
        rows: kept.height() as u64,
        rows_read,
        held: hold.then_some(kept),
    };
    Ok((ids, rows, dropped))
}

/// Adds [`ENTITY_TYPE_KEY`]: `entity_type` trimmed and in upper case. A migration has few
/// entity types, so each distinct value is folded once: when every one is its own key (the
/// usual case) the key is the column itself (shared, not copied); otherwise each row takes
/// its value's key by a join on that small table, which is cheaper than folding every row.
fn with_type_key(mappings: DataFrame) -> PolarsResult<DataFrame> {
    // `entity_type` is a dictionary column (`ColumnKind::Category`): its few distinct values
    // are folded by [`crate::model::entity_type_key`] (the rule entities use too), and the
    // key is a dictionary column as well.
    let text = || col("entity_type").cast(DataType::String);
    // Made distinct as codes, then cast: a cast of every row first held 16 bytes a mapping
    // of text views (1.4 GiB at 100M records, the load's peak).
    let distinct = mappings
        .clone()
        .lazy()
        .select([col("entity_type").unique().cast(DataType::String)])
        .filter(col("entity_type").is_not_null())
        .collect()?;
    let raw: Vec<Option<&str>> = distinct.column("entity_type")?.str()?.iter().collect();
    let folded: Vec<Option<String>> = raw
        .iter()
        .map(|t| t.map(crate::model::entity_type_key))
        .collect();
    if raw.iter().zip(&folded).all(|(r, f)| *r == f.as_deref()) {
        return mappings
            .lazy()
            .with_column(col("entity_type").alias(ENTITY_TYPE_KEY))
            .collect();
    }
    let keys = DataFrame::new(
        raw.len(),
        vec![
            Column::new("entity_type".into(), raw),
            Column::new(ENTITY_TYPE_KEY.into(), folded),
        ],
    )?;
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    let key = mappings
        .clone()
        .lazy()
        .select([text()])
        .join(
            keys.lazy(),
            [col("entity_type")],
            [col("entity_type")],
            args,
        )
        .select([col(ENTITY_TYPE_KEY).cast(tables::category_dtype())])
        .collect()?;
    mappings.hstack(key.columns())
}

/// The mappings without `metadata`, and the rows whose `metadata` is kept (not JSON).
fn metadata_apart(mappings: DataFrame) -> PolarsResult<(DataFrame, DataFrame)> {
    let invalid = mappings
        .clone()
        .lazy()
        .filter(col("metadata").is_not_null())
        .collect()?;
    Ok((mappings.drop("metadata")?, invalid))
}

/// Splits off the rows that leave a required column empty: (complete rows, the others with
/// `__file`, `__row` and `empty`, the names of their empty required columns).
fn split_incomplete(
    frame: DataFrame,
    specs: &[ColumnSpec],
) -> PolarsResult<(DataFrame, Option<DataFrame>)> {
    let required: Vec<&ColumnSpec> = specs.iter().filter(|s| s.required).collect();
    // A UUID column holds a canonical value in its halves: empty is neither text nor halves.
    let tested = |s: &ColumnSpec| match s.kind.holds_halves() {
        true => tables::half_names(s.name).0,
        false => s.name.to_string(),
    };
    // A required category value empty once trimmed (a quoted `""` or `" "` in CSV, which
    // the reader keeps as text) is empty as an empty cell is: it lost the mapping with no
    // finding (found by an independent check). Found among the column's few distinct
    // values, not row by row (a trim of every `entity_type` cost 5% of a 10M build).
    let mut blanks: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for s in required
        .iter()
        .filter(|s| s.kind == tables::ColumnKind::Category)
    {
        let Ok(column) = frame.column(s.name) else {
            continue;
        };
        let distinct = column.unique()?.cast(&DataType::String)?;
        let blank: Vec<String> = distinct
            .str()?
            .iter()
            .flatten()
            .filter(|v| v.trim().is_empty())
            .map(str::to_string)
            .collect();
        if !blank.is_empty() {
            blanks.insert(s.name, blank);
        }
    }
    let is_empty = |s: &ColumnSpec| match (s.kind, blanks.get(s.name)) {
        (kind, _) if kind.holds_halves() => col(s.name).is_null().and(col(tested(s)).is_null()),
        (_, Some(blank)) => col(s.name)
            .is_null()
            .or(col(s.name).cast(DataType::String).is_in(
                lit(Series::new("blank".into(), blank.clone())).implode(false),
                false,
            )),
        _ => col(s.name).is_null(),
    };
    // The usual case, no empty cell, costs nothing: a column's null count is kept with it,
    // and the frame is not copied.
    let any_empty = !blanks.is_empty()
        || required.iter().any(|s| {
            frame
                .column(&tested(s))
                .map(|c| c.null_count() > 0)
                .unwrap_or(false)
        });
    if !any_empty {
        return Ok((frame, None));
    }
    let any_null = required
        .iter()
        .map(|s| is_empty(s))
        .reduce(|a, b| a.or(b))
        .expect("at least one required column");
    let complete = frame
        .clone()
        .lazy()
        .select([any_null.clone().not().alias("complete")])
        .collect()?;
    let complete = complete.column("complete")?.bool()?.clone();
    // The incomplete rows of the columns that say so, picked before anything is computed:
    // a filter on the lazy frame wrote out every column of every row first.
    let mut shown = vec![tables::FILE_COL.to_string(), tables::ROW_COL.to_string()];
    for s in &required {
        shown.push(s.name.to_string());
        if s.kind.holds_halves() {
            shown.push(tested(s));
        }
    }
    let dropped = frame
        .select(shown)?
        .filter(&!&complete)?
        .lazy()
        .select([
            col(tables::FILE_COL),
            col(tables::ROW_COL),
            concat_str(
                required
                    .iter()
                    .map(|s| when(is_empty(s)).then(lit(s.name)).otherwise(lit(NULL)))
                    .collect::<Vec<_>>(),
                ", ",
                true,
            )
            .alias("empty"),
        ])
        .collect()?;
    // Column by column, each freed as its rows are kept: the frame filtered whole was held
    // twice (0.7 GiB more at ten million mappings).
    let height = complete.sum().unwrap_or(0) as usize;
    let kept = frame
        .into_columns()
        .into_iter()
        .map(|c| match &c {
            // One value for the whole file stays one value.
            Column::Scalar(s) => Ok(Column::new_scalar(
                c.name().clone(),
                s.scalar().clone(),
                height,
            )),
            _ => c.filter(&complete),
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let kept = DataFrame::new(height, kept)?;
    Ok((kept, (dropped.height() > 0).then_some(dropped)))
}

/// Adds [`FINAL_RUN`]: whether a metrics row counts in its script's totals. Rows are
/// grouped into runs by `run_id` (rows without one form one run) per script and entity; a
/// run ends at its latest `execution_date`. A run that resumes another (`resumes_run_id`: it
/// processed only what that run left) counts together with it, and with what that one
/// resumed in turn. The final run is the one that ends last; of runs ending at the same
/// instant, one that another of them resumes is not final, and of the rest the greatest
/// `run_id` (in text order) is: runs that end together are one retry too many to sum. The
/// final run and every run it resumes, directly or not, are final; every other run is a
/// superseded attempt. A run whose rows name several runs resumes all of them, so the order
/// of rows never matters; a name that is no run of the script and entity is ignored.
fn mark_final_runs(
    metrics: DataFrame,
    single_entity: &BTreeMap<String, String>,
) -> PolarsResult<DataFrame> {
    if metrics.height() == 0 {
        return metrics
            .lazy()
            .with_column(lit(true).alias(FINAL_RUN))
            .collect();
    }
    let runs = run_ends(&metrics)?;
    let resumes = resumed_runs(&metrics)?;
    let owners = runs_by_owner(&runs, &resumes, single_entity)?;
    let finals = final_runs(&owners, single_entity)?
        .lazy()
        .with_column(lit(true).alias(FINAL_RUN));
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    metrics
        .lazy()
        .with_columns(run_keys())
        .join(
            finals,
            [col("__script"), col("__entity"), col("__run")],
            [col("__script"), col("__entity"), col("__run")],
            args,
        )
        .with_column(col(FINAL_RUN).fill_null(lit(false)))
        .drop(by_name(["__script", "__entity", "__run"], true, false))
        .collect()
}

/// Run ids trimmed of white space (Unicode's, a no-break space too, as `resumes_run_id`
/// always was), one empty once trimmed none: a padded `CHAR(n)` column writes `r1  ` for
/// the `r1` another row resumes, and ` r1` and `r1` are one run, not two to add up. A
/// whole number written as a float (`1.0`) is that number's run, in text as a float
/// column's is: pandas writes an integer `resumes_run_id` with a gap as `1.0` in CSV too,
/// and the run it resumed was not found, so the wrong runs counted (found by an
/// independent check).
fn trimmed_run_ids(metrics: DataFrame, names: &[&str]) -> PolarsResult<DataFrame> {
    let trimmed = names
        .iter()
        .filter(|n| metrics.schema().contains(n))
        .map(|n| {
            let text = col(*n).cast(DataType::String).str().strip_chars(lit(NULL));
            let text = text
                .str()
                .replace(lit(r"^(-?[0-9]+)\.0+$"), lit("$1"), false);
            when(text.clone().eq(lit("")))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(text)
                .alias(*n)
        })
        .collect::<Vec<_>>();
    metrics.lazy().with_columns(trimmed).collect()
}

/// A metrics row's run as text, `""` for none: `__script`, `__entity` and `__run`.
fn run_keys() -> [Expr; 3] {
    [
        col("script_uuid")
            .cast(DataType::String)
            .fill_null(lit(""))
            .alias("__script"),
        col("entity_uuid")
            .cast(DataType::String)
            .fill_null(lit(""))
            .alias("__entity"),
        col("run_id").fill_null(lit("")).alias("__run"),
    ]
}

/// The metrics rows as their [`run_keys`] and one more column, `extra`.
fn run_keys_and(metrics: &DataFrame, extra: Expr) -> LazyFrame {
    metrics
        .clone()
        .lazy()
        .select(run_keys().into_iter().chain([extra]).collect::<Vec<_>>())
}

/// Each run (its [`run_keys`]) with the latest `execution_date` of its rows, `end`.
fn run_ends(metrics: &DataFrame) -> PolarsResult<DataFrame> {
    run_keys_and(metrics, col("execution_date"))
        .group_by([col("__script"), col("__entity"), col("__run")])
        .agg([col("execution_date").max().alias("end")])
        .collect()
}

/// Every (run, run it resumes) pair, once: the run's [`run_keys`] and `__resumes`.
fn resumed_runs(metrics: &DataFrame) -> PolarsResult<DataFrame> {
    run_keys_and(
        metrics,
        col("resumes_run_id")
            .cast(DataType::String)
            .str()
            .strip_chars(lit(NULL))
            .alias("__resumes"),
    )
    .filter(
        col("__resumes")
            .is_not_null()
            .and(col("__resumes").neq(lit(""))),
    )
    .unique(None, UniqueKeepStrategy::Any)
    .collect()
}

/// One owner's (script and entity's) runs by id, with their end and the runs they resume.
type Runs = BTreeMap<String, (Option<i64>, BTreeSet<String>)>;

/// A text column's values, `""` for null.
fn texts(frame: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(frame
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

/// Whose runs a row's are: an untagged row of a script with one entity belongs to that
/// entity's runs.
fn owner_of(
    script: &str,
    entity: &str,
    single_entity: &BTreeMap<String, String>,
) -> (String, String) {
    match entity.is_empty() {
        true => (
            script.to_string(),
            single_entity.get(script).cloned().unwrap_or_default(),
        ),
        false => (script.to_string(), entity.to_string()),
    }
}

/// Per script and entity: its runs, each ending at its latest row, with the runs it names
/// as resumed (a name that is no run of the owner is ignored).
fn runs_by_owner(
    runs: &DataFrame,
    resumes: &DataFrame,
    single_entity: &BTreeMap<String, String>,
) -> PolarsResult<BTreeMap<(String, String), Runs>> {
    let ends: Vec<Option<i64>> = runs
        .column("end")?
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .collect();
    let mut owners: BTreeMap<(String, String), Runs> = BTreeMap::new();
    let (scripts, entities, ids) = (
        texts(runs, "__script")?,
        texts(runs, "__entity")?,
        texts(runs, "__run")?,
    );
    for i in 0..runs.height() {
        let runs = owners
            .entry(owner_of(&scripts[i], &entities[i], single_entity))
            .or_default();
        let end = runs.get(&ids[i]).and_then(|(end, _)| *end).max(ends[i]);
        runs.entry(ids[i].clone())
            .or_insert((None, BTreeSet::new()))
            .0 = end;
    }
    let (scripts, entities, ids, resumed) = (
        texts(resumes, "__script")?,
        texts(resumes, "__entity")?,
        texts(resumes, "__run")?,
        texts(resumes, "__resumes")?,
    );
    for i in 0..resumes.height() {
        if let Some((_, set)) = owners
            .get_mut(&owner_of(&scripts[i], &entities[i], single_entity))
            .and_then(|runs| runs.get_mut(&ids[i]))
        {
            set.insert(resumed[i].clone());
        }
    }
    Ok(owners)
}

/// The [`run_keys`] of every final run: per owner, the run that ends last and every run it
/// resumes, directly or not (untagged rows too, where the entity is its script's only one).
fn final_runs(
    owners: &BTreeMap<(String, String), Runs>,
    single_entity: &BTreeMap<String, String>,
) -> PolarsResult<DataFrame> {
    let (mut final_script, mut final_entity, mut final_run) = (Vec::new(), Vec::new(), Vec::new());
    for ((script, entity), runs) in owners {
        let Some(first) = last_run(runs) else {
            continue;
        };
        // The final run and everything it resumes, each once (a cycle ends).
        let mut queue = vec![first.clone()];
        let mut seen = BTreeSet::new();
        while let Some(id) = queue.pop() {
            if !runs.contains_key(&id) || !seen.insert(id.clone()) {
                continue;
            }
            queue.extend(runs[&id].1.iter().cloned());
            // Its untagged rows too, where the entity is the script's only one.
            if !entity.is_empty() && single_entity.get(script) == Some(entity) {
                final_script.push(script.clone());
                final_entity.push(String::new());
                final_run.push(id.clone());
            }
            final_script.push(script.clone());
            final_entity.push(entity.clone());
            final_run.push(id);
        }
    }
    df!(
        "__script" => final_script,
        "__entity" => final_entity,
        "__run" => final_run
    )
}

/// The run that ends last; of runs that end together, the greatest id of those no other of
/// them resumes (the greatest of all when each is resumed). `None` for no runs.
fn last_run(runs: &Runs) -> Option<&String> {
    let last = runs.values().map(|(end, _)| *end).max()?;
    let tied: Vec<&String> = runs
        .iter()
        .filter(|(_, (end, _))| *end == last)
        .map(|(id, _)| id)
        .collect();
    // Of the tied runs, those no other tied run resumes; the greatest id of those. The
    // resumed ids gathered once: asked of every pair of tied runs, 16,000 runs ending at
    // one time took 24 s and 64,000 did not end (found by an independent check).
    let resumed: BTreeSet<&String> = tied
        .iter()
        .flat_map(|other| runs[*other].1.iter().filter(move |id| id != other))
        .collect();
    tied.iter()
        .filter(|id| !resumed.contains(**id))
        .max()
        .or_else(|| tied.iter().max())
        .copied()
}

/// The form in which table names are compared: trimmed and lower-cased, since databases
/// disagree on case (SQLite keeps `InvoiceLine`, pgloader writes `invoiceline`).
pub fn table_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// How timestamps are read, from `migcov.yaml`: the zone is checked here, so a misspelt
/// zone is an error naming the file.
fn table_options(config: &ProjectConfig, files: &[InputFile]) -> Result<TableOptions, LoadError> {
    let timezone =
        polars::prelude::TimeZone::opt_try_new(config.timezone.as_deref()).map_err(|_| {
            LoadError::Manifest {
                path: files
                    .iter()
                    .find(|f| f.kind == InputKind::Config)
                    .map(|f| f.relative.clone())
                    .unwrap_or_else(|| PathBuf::from("migcov.yaml")),
                item: None,
                message: format!(
                    "timezone: expected an IANA zone such as Europe/Berlin or UTC, found {:?}",
                    config.timezone.as_deref().unwrap_or_default()
                ),
            }
        })?;
    Ok(TableOptions {
        timezone,
        epoch_unit: config.epoch_unit,
        slice_bytes: std::env::var("MIGCOV_SLICE_BYTES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    })
}

/// Entities that came from CSV rows (they carry a row number), with their file.
fn raw_entities_csv_origins(entities: &[Entity]) -> impl Iterator<Item = (Uuid, PathBuf)> + '_ {
    entities
        .iter()
        .filter(|e| e.origin.row.is_some())
        .map(|e| (e.id, e.origin.file.clone()))
}

/// A walkdir failure under `root` as a load error naming the path it failed at.
pub(crate) fn walk_error(root: &Path, err: walkdir::Error) -> LoadError {
    LoadError::Io {
        path: err.path().unwrap_or(root).to_path_buf(),
        source: err
            .into_io_error()
            .unwrap_or_else(|| std::io::Error::other("filesystem loop")),
    }
}

fn origin(file: &InputFile, row: Option<u64>) -> Origin {
    Origin {
        file: file.relative.clone(),
        row,
    }
}

/// Entities given as CSV rows (`entities.csv`, `entities/*.csv`).
fn entities_from_frame(frame: &DataFrame) -> Result<Vec<(RawEntity, Origin)>, LoadError> {
    // As text: the file column is a dictionary column.
    let text = |name: &str| tables::text_column(frame, name);
    let int = |name: &str| {
        frame
            .column(name)
            .and_then(|c| c.cast(&DataType::Int64))
            .and_then(|c| c.i64().cloned())
    };
    let to_err = |e: PolarsError| LoadError::table(Path::new("entities"), e);
    let (files, rows) = (
        text(tables::FILE_COL).map_err(to_err)?,
        int(tables::ROW_COL).map_err(to_err)?,
    );
    let (ids, names) = (text("id").map_err(to_err)?, text("name").map_err(to_err)?);
    let (domain_ids, domain_names) = (
        text("domain_id").map_err(to_err)?,
        text("domain").map_err(to_err)?,
    );
    let (legacy, target) = (
        text("legacy_table").map_err(to_err)?,
        text("target_table").map_err(to_err)?,
    );
    let (total, migrated, failed) = (
        int("total_records").map_err(to_err)?,
        int("migrated_records").map_err(to_err)?,
        int("failed_records").map_err(to_err)?,
    );
    let (script_ids, types) = (
        text("migration_script_id").map_err(to_err)?,
        text("entity_type").map_err(to_err)?,
    );
    let mut out = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let file = PathBuf::from(files.get(i).unwrap_or_default());
        let row = rows.get(i).unwrap_or_default() as u64;
        let missing = |column: &str| LoadError::BadValue {
            path: file.clone(),
            row,
            column: column.to_string(),
            expected: "a value".into(),
            found: String::new(),
        };
        let id = match ids.get(i) {
            None => None,
            Some(text) => Some(Uuid::parse_str(text).map_err(|_| LoadError::BadValue {
                path: file.clone(),
                row,
                column: "id".into(),
                expected: "a UUID".into(),
                found: text.to_string(),
            })?),
        };
        let raw = RawEntity {
            id,
            name: names.get(i).ok_or_else(|| missing("name"))?.to_string(),
            domain_id: domain_ids.get(i).map(str::to_string),
            domain: domain_names.get(i).map(str::to_string),
            legacy_table: legacy.get(i).ok_or_else(|| missing("legacy_table"))?.into(),
            target_table: target.get(i).ok_or_else(|| missing("target_table"))?.into(),
            total_records: total.get(i).ok_or_else(|| missing("total_records"))?,
            migrated_records: migrated.get(i).ok_or_else(|| missing("migrated_records"))?,
            failed_records: failed.get(i).ok_or_else(|| missing("failed_records"))?,
            migration_script_id: script_ids.get(i).map(str::to_string),
            entity_type: types.get(i).map(str::to_string),
        };
        out.push((
            raw,
            Origin {
                file,
                row: Some(row),
            },
        ));
    }
    Ok(out)
}

/// Resolves a reference given as a UUID (any case) or a unique name.
fn resolve_ref<'a, T>(
    reference: &str,
    items: &'a [T],
    id: impl Fn(&T) -> Uuid,
    name: impl Fn(&T) -> String,
) -> Option<&'a T> {
    let reference = reference.trim();
    match Uuid::parse_str(reference) {
        Ok(uuid) => items.iter().find(|item| id(item) == uuid),
        Err(_) => items.iter().find(|item| name(item) == reference),
    }
}

fn resolve_entities(
    raw: Vec<(RawEntity, Origin)>,
    domains: &[DataDomain],
    scripts: &[Script],
) -> Vec<Entity> {
    raw.into_iter()
        .map(|(raw, origin)| {
            let domain_ref = raw.domain_id.clone().or(raw.domain.clone());
            let domain = domain_ref.as_deref().and_then(|r| {
                resolve_ref(r, domains, |d| d.id, |d| d.name.as_str().to_string()).or_else(|| {
                    // Domain names are an enum: accept them in any case.
                    let wanted: Domain = r.parse().ok()?;
                    domains.iter().find(|d| d.name == wanted)
                })
            });
            let script = raw
                .migration_script_id
                .as_deref()
                .and_then(|r| resolve_ref(r, scripts, |s| s.id, |s| s.name.clone()));
            Entity {
                id: raw.id.unwrap_or_else(|| derive_id("entity", &raw.name)),
                name: raw.name,
                domain_id: domain.map(|d| d.id),
                domain: domain.map(|d| d.name),
                domain_ref,
                legacy_table: raw.legacy_table,
                target_table: raw.target_table,
                total_records: raw.total_records,
                migrated_records: raw.migrated_records,
                failed_records: raw.failed_records,
                migration_script_id: script.map(|s| s.id),
                script_ref: raw.migration_script_id,
                entity_type: raw.entity_type.map(|t| crate::model::entity_type_key(&t)),
                origin,
            }
        })
        .collect()
}

/// A two-column frame (`key`, `uuid`) mapping every name and every spelling of every id to
/// the id, for joining references in exports. The first record of a duplicated name wins.
fn lookup_frame<'a>(items: impl Iterator<Item = (&'a str, Uuid)>) -> DataFrame {
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    for (name, id) in items {
        let id_text = id.hyphenated().to_string();
        keys.entry(name.to_string()).or_insert(id_text.clone());
        keys.entry(id_text.to_ascii_uppercase())
            .or_insert(id_text.clone());
        keys.entry(id_text.clone()).or_insert(id_text);
    }
    let (k, v): (Vec<String>, Vec<String>) = keys.into_iter().unzip();
    df!("__key" => k, "__uuid" => v).expect("two columns of equal length")
}

/// Adds `target` holding the id that `source` refers to, or null when it refers to nothing.
fn resolve_column(
    frame: DataFrame,
    source: &str,
    target: &str,
    keys: &DataFrame,
) -> PolarsResult<DataFrame> {
    frame
        .lazy()
        .with_column(col(source).str().strip_chars(lit(NULL)).alias("__ref"))
        .join(
            keys.clone().lazy(),
            [col("__ref")],
            [col("__key")],
            JoinArgs {
                maintain_order: MaintainOrderJoin::Left,
                ..JoinArgs::new(JoinType::Left)
            },
        )
        .rename(["__uuid"], [target], true)
        .drop(by_name(["__ref"], true, false))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows per file, from a file column held as one value, as codes (files apart or
    /// interleaved) or as text: worked out by hand, `a` 3 rows and `b` 2.
    #[test]
    fn rows_per_file_counts_each_file_however_it_is_held() {
        let counted = |files: Column| {
            let frame = DataFrame::new(files.len(), vec![files]).unwrap();
            let mut into = BTreeMap::new();
            rows_per_file(&frame, &mut into).unwrap();
            into.into_iter()
                .map(|(p, n)| (p.display().to_string(), n))
                .collect::<Vec<_>>()
        };
        let text = |files: &[&str]| Column::new(tables::FILE_COL.into(), files);
        let codes = |files: &[&str]| text(files).cast(&tables::category_dtype()).unwrap();
        let both = vec![("a".to_string(), 3), ("b".to_string(), 2)];
        assert_eq!(counted(codes(&["a", "a", "a", "b", "b"])), both);
        assert_eq!(counted(codes(&["a", "b", "a", "b", "a"])), both);
        assert_eq!(counted(text(&["b", "a", "b", "a", "a"])), both);
        let one = Column::new_scalar(
            tables::FILE_COL.into(),
            Scalar::new(DataType::String, AnyValue::StringOwned("a".into())),
            3,
        )
        .cast(&tables::category_dtype())
        .unwrap();
        assert!(matches!(one, Column::Scalar(_)));
        assert_eq!(counted(one.clone()), vec![("a".to_string(), 3)]);
        // A file of no rows, as one value of no rows (which has no value to read).
        let empty = one.slice(0, 0);
        assert!(matches!(empty, Column::Scalar(_)));
        assert_eq!(counted(empty), vec![]);
        let none = codes(&[]);
        assert_eq!(counted(none), vec![]);
    }

    /// Ids read again (`SourceIds` above the size held) are the ids loading counted; a file
    /// changed in between is an error naming it, not figures from two different files.
    #[test]
    fn source_ids_read_again_are_those_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dispatch_office.csv");
        std::fs::write(&path, "id\n1001\n\n1002\n").unwrap();
        let file = InputFile {
            path: path.clone(),
            relative: PathBuf::from("source_ids/dispatch_office.csv"),
            kind: InputKind::SourceIds("dispatch_office".into(), TableFormat::Csv),
        };
        let options = TableOptions::default();
        let frame = load_table(&[&file], tables::SOURCE_IDS, &options).unwrap();
        let (ids, rows, dropped) = check_source_ids(&[&file], frame, &options, false).unwrap();
        assert!(!ids.is_held());
        assert_eq!(
            (ids.rows, ids.rows_read),
            (2, 3),
            "one row leaves the id empty"
        );
        assert_eq!(rows[&file.relative], 2);
        assert_eq!(dropped.map(|d| d.height()), Some(1));
        let again = ids.read().unwrap();
        // Whole numbers, held as such (`ColumnKind::Key`).
        assert_eq!(again.column("id").unwrap().dtype(), &DataType::Int64);
        let read = tables::text_column(&again, "id").unwrap();
        let read: Vec<&str> = read.iter().flatten().collect();
        assert_eq!(read, ["1001", "1002"]);

        std::fs::write(&path, "id\n1001\n1002\n1003\n").unwrap();
        let error = ids.read().unwrap_err().to_string();
        assert!(
            error.contains("source_ids/dispatch_office.csv")
                && error.contains("changed while migcov was reading it (2 ids when loaded, 3 now)"),
            "{error}"
        );
    }
}
