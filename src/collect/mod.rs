//! `migcov collect`: the data folder read straight from the two databases. It owns the
//! stage before loading: exact counts on both sides, each legacy table's primary-key ids
//! streamed in batches to Parquet, the migration's bookkeeping through the SQL of
//! `collect.yaml` (or by convention), the rows each `content:` declaration compares (each
//! value in its type's canonical text, [`crate::canonical`]), a pgloader summary as
//! metrics, and `collect.json` saying what was read, from which server, when. The folder is written through
//! [`crate::output::Staging`], so it appears whole or not at all; the databases are only
//! read, inside one snapshot transaction each.

pub mod config;
pub mod db;
pub mod init;
pub mod intact;
mod mysql;
pub mod pgloader;
mod postgres;
pub mod pushdown;
mod reduce;
pub mod sink;
mod sqlite;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use thiserror::Error;

use crate::canonical;
use crate::output::{OutputError, Staging};
use config::{CollectConfig, Query, Which};
use db::{Database, DbUrl, TableRef};
use sink::{Format, TableFile};

#[derive(Debug, Error)]
pub enum CollectError {
    #[error("{url}: {message}")]
    Url { url: String, message: String },
    #[error("cannot connect to {server}: {message}")]
    Connect { server: String, message: String },
    #[error("{server}{}: query failed: {message}\n  query: {query}", table.as_ref().map(|t| format!(", table {t}")).unwrap_or_default())]
    Query {
        server: String,
        table: Option<String>,
        query: String,
        message: String,
    },
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Config {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Write { path: PathBuf, message: String },
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Pgloader {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// What `collect` is asked to do, checked by the command line.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub source: String,
    pub target: String,
    pub source_password_file: Option<PathBuf>,
    pub target_password_file: Option<PathBuf>,
    pub out: PathBuf,
    pub config: Option<PathBuf>,
    /// Compare legacy ids with the mappings in the databases and fetch only the differences.
    pub pushdown: bool,
    /// When the collection ran (RFC 3339, UTC), read once by the command line.
    pub collected_at: String,
}

/// Told as the collection goes: a step starts, rows arrive, a step ends.
pub trait Progress {
    fn start(&self, step: &str, expected_rows: Option<u64>);
    fn rows(&self, n: u64);
    fn finish(&self);
}

/// Progress nobody watches.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str, _: Option<u64>) {}
    fn rows(&self, _: u64) {}
    fn finish(&self) {}
}

/// `collect.json`: the provenance of a collected data folder.
#[derive(Debug, Serialize)]
pub struct Provenance {
    pub tool: &'static str,
    pub version: &'static str,
    pub collected_at: String,
    pub source: Server,
    pub target: Server,
    /// Every statement that produced a file, with its rows and duration.
    pub queries: Vec<QueryRecord>,
    /// Legacy tables whose ids were not exported, and why.
    pub tables_without_ids: Vec<Skipped>,
    /// Bytes of values read over all queries.
    pub bytes: u64,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Server {
    pub url: String,
    pub kind: db::Kind,
    pub version: String,
    pub tables: usize,
    pub rows: u64,
}

#[derive(Debug, Serialize)]
pub struct QueryRecord {
    pub purpose: String,
    pub on: Which,
    pub table: Option<String>,
    pub sql: String,
    pub file: Option<String>,
    pub rows: u64,
    /// Bytes of the values read (text), a measure of what crossed the network.
    pub bytes: u64,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub table: String,
    pub reason: String,
}

/// What `collect` produced, for the command line to print.
#[derive(Debug)]
pub struct Collected {
    pub provenance: Provenance,
    pub files: usize,
}

/// What `--pushdown` knows before the tables are read.
struct PushdownPlan {
    /// Legacy table key → entity types, from the entities query.
    types: BTreeMap<String, Vec<String>>,
    /// Source and target are the same database: anti-joins there.
    same_database: bool,
}

/// The server the mappings query runs on.
fn mappings_server<'d>(
    on: Which,
    source: &'d mut dyn Database,
    target: &'d mut dyn Database,
) -> &'d mut dyn Database {
    match on {
        Which::Source => source,
        Which::Target => target,
    }
}

/// One pushed-down table's set work: what each way of comparing its ids reads.
struct SetWork<'w> {
    table: &'w TableRef,
    key: &'w [String],
    /// Its entity types.
    types: &'w [String],
    /// The mappings' distinct `entity_type` values.
    type_values: &'w [String],
    mappings_sql: &'w str,
    mappings_on: Which,
    /// The legacy table's columns.
    columns: &'w [db::ColumnInfo],
}

/// With `pushdown.legacy_schema`: anti-joins on the mappings' server, against its copy of
/// the legacy table in that schema.
fn anti_join_in_schema(
    on: &mut dyn Database,
    schema: &str,
    work: &SetWork,
    sink: &mut db::BatchSink<'_>,
) -> Result<pushdown::Summary, CollectError> {
    let table = work.table;
    // The legacy table as that server names it: loaders and foreign data wrappers may
    // change the case of table and column names.
    let patterns = config::Patterns {
        include: vec![schema.to_string()],
        exclude: Vec::new(),
    };
    let listed = on
        .tables(&patterns)?
        .into_iter()
        .find(|t| t.schema.as_deref() == Some(schema) && t.name.eq_ignore_ascii_case(&table.name));
    // A foreign table (`postgres_fdw`, `mysql_fdw`, `sqlite_fdw`: what the schema is for)
    // or a view is no table of the inventory, so `tables` does not list it: looked up by
    // the catalogue every engine with schemas has.
    let copy = match listed {
        Some(copy) => Some(copy),
        None if on.url().kind != db::Kind::Sqlite => {
            let mut names = Vec::new();
            on.stream(
                &format!(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = {}",
                    on.literal(schema)
                ),
                Some(&table.shown),
                10_000,
                &mut |_, columns| {
                    names.extend(columns.into_iter().next().into_iter().flatten().flatten());
                    Ok(())
                },
            )?;
            names
                .into_iter()
                .find(|n| n.eq_ignore_ascii_case(&table.name))
                .map(|name| TableRef {
                    schema: Some(schema.to_string()),
                    shown: format!("{schema}.{name}"),
                    name,
                    only: false,
                    inheritance: Vec::new(),
                })
        }
        None => None,
    };
    let copy = copy.ok_or_else(|| CollectError::Query {
        server: on.url().shown.clone(),
        table: Some(table.shown.clone()),
        query: format!("(the tables of schema {schema})"),
        message: format!(
            "pushdown.legacy_schema: no table {} in schema {schema}",
            table.name
        ),
    })?;
    let columns = on.columns(&copy)?;
    let key: Vec<String> = work
        .key
        .iter()
        .map(|k| {
            columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(k))
                .map(|c| c.name.clone())
                .unwrap_or_else(|| k.clone())
        })
        .collect();
    let name = on.rows_of(&copy);
    pushdown::anti_join(
        on,
        &name,
        table,
        &key,
        work.types,
        work.type_values,
        work.mappings_sql,
        sink,
    )
}

struct Run<'a> {
    staging: Staging,
    config: CollectConfig,
    progress: &'a dyn Progress,
    queries: Vec<QueryRecord>,
    files: usize,
    /// The mappings' distinct `entity_type` values, read by the first pushed-down table.
    type_values: Option<Vec<String>>,
    /// The mappings query's columns and types, read by the first pushed-down table.
    mapping_columns: Option<Vec<(String, String)>>,
    /// The pushed-down tables' summaries, written once the mappings were exported (which
    /// add the rows counted in the database).
    pushed: Vec<(TableRef, pushdown::Summary)>,
    /// The legacy tables (as table keys) whose values a `content:` declaration compares,
    /// and their entity types (folded).
    compared_tables: BTreeSet<String>,
    compared_types: BTreeSet<String>,
}

/// An entity's legacy table, target table and entity type, as the collected entities say.
type EntityTables = (String, String, Option<String>);

/// Reads both databases and writes the data folder `options.out` atomically.
pub fn collect(
    options: &CollectOptions,
    progress: &dyn Progress,
) -> Result<Collected, CollectError> {
    let started = Instant::now();
    let config = CollectConfig::read(options.config.as_deref())?;
    let source_url = DbUrl::parse(&options.source, options.source_password_file.as_deref())?;
    let target_url = DbUrl::parse(&options.target, options.target_password_file.as_deref())?;
    let pgloader = config
        .pgloader
        .as_ref()
        .map(|p| pgloader::read(&config.resolve(&p.summary), p))
        .transpose()?;
    // One run at a time per folder, as for `build`.
    let _lock = crate::output::FolderLock::take(&options.out)?;
    let mut source = db::connect(&source_url, config.connect_timeout())?;
    let mut target = db::connect(&target_url, config.connect_timeout())?;
    let mut run = Run {
        staging: Staging::begin(&options.out, crate::output::FolderKind::Data)?,
        config,
        progress,
        queries: Vec::new(),
        files: 0,
        type_values: None,
        mapping_columns: None,
        pushed: Vec::new(),
        compared_tables: BTreeSet::new(),
        compared_types: BTreeSet::new(),
    };

    let source_server = run.inventory(source.as_mut(), Which::Source)?;
    let target_server = run.inventory(target.as_mut(), Which::Target)?;
    run.bookkeeping(
        source.as_mut(),
        target.as_mut(),
        &target_server.1,
        options.pushdown,
    )?;
    let pushdown = if options.pushdown {
        // The declarations `files:` brings, read before any table is pushed down; they
        // are copied again with the other files at the end, so that they stay as given.
        run.copy_files(Some(&[
            "migcov.yaml",
            "entities.yaml",
            "entities.yml",
            "entities.csv",
            "entities",
        ]))?;
        (run.compared_tables, run.compared_types) = run.compared_tables()?;
        Some(PushdownPlan {
            types: run.entity_types()?,
            same_database: source_url.same_database(&target_url),
        })
    } else {
        None
    };
    let tables_without_ids = run.source_ids(
        source.as_mut(),
        target.as_mut(),
        &source_server.1,
        pushdown.as_ref(),
    )?;
    if options.pushdown {
        run.mappings_after_pushdown(source.as_mut(), target.as_mut())?;
    }
    if let Some(load) = &pgloader {
        run.write_text(Path::new("metrics/pgloader.csv"), &load.metrics_csv())?;
        run.write_text(Path::new("scripts/pgloader.yaml"), &load.manifests_yaml())?;
    }
    run.copy_files(None)?;
    run.content_rows(
        source.as_mut(),
        target.as_mut(),
        (&source_server.1, &target_server.1),
        pushdown.as_ref(),
    )?;
    if !run.staging.exists(Path::new("domains.yaml")) {
        // The loader needs the four domains of the data model; their priorities are the
        // team's to set (copy an edited domains.yaml with `files:`).
        run.write_text(Path::new("domains.yaml"), init::DOMAINS_YAML)?;
    }

    let queries = std::mem::take(&mut run.queries);
    let provenance = Provenance {
        tool: "migcov",
        version: env!("CARGO_PKG_VERSION"),
        collected_at: options.collected_at.clone(),
        source: source_server.0,
        target: target_server.0,
        bytes: queries.iter().map(|q| q.bytes).sum(),
        queries,
        tables_without_ids,
        seconds: secs(started),
    };
    let mut json = serde_json::to_vec_pretty(&provenance).expect("plain data serialises");
    json.push(b'\n');
    run.staging.write(Path::new("collect.json"), &json)?;
    let files = run.files + 1;
    run.staging.commit()?;
    Ok(Collected { provenance, files })
}

impl Run<'_> {
    /// Exact counts of every selected table: `inventory/source.csv` or `target.csv`.
    fn inventory(
        &mut self,
        db: &mut dyn Database,
        which: Which,
    ) -> Result<(Server, Vec<TableRef>), CollectError> {
        let side = match which {
            Which::Source => &self.config.source,
            Which::Target => &self.config.target,
        };
        let version = db.version()?;
        let mut tables: Vec<TableRef> = db
            .tables(&side.schemas)?
            .into_iter()
            .filter(|t| side.tables.selects(&t.shown, true))
            .collect();
        // Settled again for the tables left once filtered: a child left out is no table
        // of its own.
        db::settle_inheritance(&mut tables).map_err(|message| CollectError::Url {
            url: db.url().shown.clone(),
            message,
        })?;
        let name = match which {
            Which::Source => "source",
            Which::Target => "target",
        };
        // Two tables the data folder would name alike (PostgreSQL's `public."a.b"` and
        // table `b` of schema `a` are both `a.b`): their files and inventory rows would be
        // one table's. Said before anything is written.
        let mut named: BTreeMap<&str, &TableRef> = BTreeMap::new();
        for table in &tables {
            if let Some(first) = named.insert(table.shown.as_str(), table) {
                let full = |t: &TableRef| match &t.schema {
                    Some(schema) => format!("{schema:?}.{:?}", t.name),
                    None => format!("{:?}", t.name),
                };
                return Err(CollectError::Url {
                    url: db.url().shown.clone(),
                    message: format!(
                        "tables {} and {} would both be `{}` in the data folder: rename one, or leave its schema out with the {name} side's schemas.exclude",
                        full(first),
                        full(table),
                        table.shown
                    ),
                });
            }
        }
        self.progress.start(
            &format!("counting {name} tables"),
            Some(tables.len() as u64),
        );
        let started = Instant::now();
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(["table", "row_count"]).expect("in memory");
        let mut total = 0u64;
        for table in &tables {
            let rows = db.count(table)?;
            total = total.saturating_add(rows);
            csv.write_record([table.shown.as_str(), &rows.to_string()])
                .expect("in memory");
            self.progress.rows(1);
        }
        let csv = String::from_utf8(csv.into_inner().expect("in memory")).expect("UTF-8 names");
        self.progress.finish();
        let file = format!("inventory/{name}.csv");
        self.write_text(Path::new(&file), &csv)?;
        self.queries.push(QueryRecord {
            purpose: format!(
                "{name} inventory: count(*) of each of {} tables",
                tables.len()
            ),
            on: which,
            table: None,
            sql: "SELECT count(*) FROM <each table>".into(),
            file: Some(file),
            rows: tables.len() as u64,
            bytes: 0,
            seconds: secs(started),
        });
        Ok((
            Server {
                url: db.url().shown.clone(),
                kind: db.url().kind,
                version,
                tables: tables.len(),
                rows: total,
            },
            tables,
        ))
    }

    /// Each legacy table's ids, by its primary key or the query `source.ids` gives it; with
    /// `--pushdown`, only the unmapped ones, and the counts in `pushdown/<table>.json`.
    fn source_ids(
        &mut self,
        db: &mut dyn Database,
        target: &mut dyn Database,
        tables: &[TableRef],
        pushdown: Option<&PushdownPlan>,
    ) -> Result<Vec<Skipped>, CollectError> {
        let mut skipped = Vec::new();
        // Tables whose names differ only in case share a table key, and the loader gives
        // their mappings to neither: their ids are exported in full, never pushed down.
        let mut spellings: BTreeMap<String, usize> = BTreeMap::new();
        for table in tables {
            *spellings
                .entry(crate::load::table_key(&table.shown))
                .or_insert(0) += 1;
        }
        for table in tables {
            if let Err(reason) = file_name_ok(&table.shown) {
                skipped.push(Skipped {
                    table: table.shown.clone(),
                    reason,
                });
                continue;
            }
            let given = self.config.source.ids.get(&table.shown).cloned();
            let key = match &given {
                Some(_) => Vec::new(),
                None => db.primary_key(table)?,
            };
            if given.is_none() && key.is_empty() {
                skipped.push(Skipped {
                    table: table.shown.clone(),
                    reason: "no primary key (give its ids with source.ids in collect.yaml)".into(),
                });
                continue;
            }
            let alone = spellings[&crate::load::table_key(&table.shown)] == 1;
            if let (Some(plan), None, true) = (pushdown, &given, alone) {
                if self.push_down(db, target, table, &key, plan)? {
                    continue;
                }
            }
            let sql = match given {
                Some(sql) => sql.trim().trim_end_matches(';').to_string(),
                None => ids_query(db, table, &key),
            };
            let file = format!("source_ids/{}.parquet", table.shown);
            self.stream_to(
                db,
                Which::Source,
                &sql,
                Some(&table.shown),
                &file,
                Format::Parquet,
                "legacy ids",
                &[],
            )?;
        }
        Ok(skipped)
    }

    /// One table pushed down, when it can be: it has entity types, the mappings come from a
    /// query, and either one server reads both sides or its key is one integer column.
    fn push_down(
        &mut self,
        source: &mut dyn Database,
        target: &mut dyn Database,
        table: &TableRef,
        key: &[String],
        plan: &PushdownPlan,
    ) -> Result<bool, CollectError> {
        let Some(mappings) = self.config.queries.mappings.clone() else {
            return Ok(false);
        };
        // The content comparison joins every row of the table through its mappings, which
        // the loader must then have: such a table, its mappings with it, is read in full.
        if self
            .compared_tables
            .contains(&crate::load::table_key(&table.shown))
        {
            return Ok(false);
        }
        let Some(types) = self.pushdown_types(table, plan) else {
            return Ok(false);
        };
        // Nor is a table sharing a compared entity's type: the databases would count and
        // keep back that type's mappings.
        if types.iter().any(|t| {
            self.compared_types
                .contains(&crate::model::entity_type_key(t))
        }) {
            return Ok(false);
        }
        // The anti-joins compare the key's text as the SQL casts it, the full export as the
        // driver writes it: only where the two are the same text for every value (integers,
        // text, exact decimals) may the databases compare. A MySQL ZEROFILL key casts to
        // `000042` where the export reads 42, a TIMESTAMP without the `+00:00` the export
        // writes, bytes that are not UTF-8 to `?`; a SQLite REAL `1.0` casts to `1.0` and
        // is written `1`. Such a table is exported in full. (The columns are read once, for
        // the ranges below too.)
        let columns = source.columns(table)?;
        let anti_join = self.config.pushdown.legacy_schema.is_some() || plan.same_database;
        if anti_join && !self.key_text_is_exact(source, table, key, &columns)? {
            return Ok(false);
        }
        let mappings_on = mappings.on();
        // The set work reads the mappings' `legacy_id` and `entity_type` by name: a query
        // without them (a composite key as `legacy_id_1`, `legacy_id_2`) is said as such,
        // not as the SQL error the statements would give.
        if self.mapping_columns.is_none() {
            let on = mappings_server(mappings_on, source, target);
            self.mapping_columns = Some(on.result_types(mappings.sql())?);
        }
        let selected: Vec<&str> = self
            .mapping_columns
            .iter()
            .flatten()
            .map(|(n, _)| n.as_str())
            .collect();
        if let Some(absent) = ["entity_type", "legacy_id"]
            .into_iter()
            .find(|c| !selected.contains(c))
        {
            return Err(CollectError::Config {
                path: PathBuf::from("collect.yaml"),
                line: None,
                message: format!(
                    "--pushdown needs queries.mappings to select `{absent}` by that name (a composite key as one `legacy_id`, its parts joined with `|`); it selects {}",
                    selected
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        // The mappings' `legacy_id` compared as SQL reads it and exported as the driver
        // reads it: only where the two are one text (found by an independent check: bytes
        // of a VARBINARY that are no UTF-8 read as `?` in SQL, and were lost as orphans; a
        // SQLite blob `b'15'` matched the id 15; a REAL `18.0` hid a repeat of `18`).
        let on = mappings_server(mappings_on, source, target);
        let mappings_kind = on.url().kind;
        let ids_exact = self
            .mapping_columns
            .iter()
            .flatten()
            .all(|(name, t)| name != "legacy_id" || intact::mapping_type(mappings_kind, t));
        if !ids_exact {
            return Ok(false);
        }
        if mappings_kind == db::Kind::Sqlite {
            let odd = format!(
                "SELECT count(*) FROM (\n{}\n) m WHERE {}",
                mappings.sql(),
                intact::SQLITE_ODD_LEGACY_ID
            );
            if !on.counts_nothing(&odd, Some(&table.shown))? {
                return Ok(false);
            }
        }
        if self.type_values.is_none() {
            self.read_type_values(mappings_server(mappings_on, source, target), &mappings)?;
        }
        let type_values = self.type_values.clone().unwrap_or_default();
        let on = mappings_server(mappings_on, source, target);
        if self.names_other_tables(on, &mappings, &types, &type_values, table)? {
            return Ok(false);
        }
        let work = SetWork {
            table,
            key,
            types: &types,
            type_values: &type_values,
            mappings_sql: mappings.sql(),
            mappings_on,
            columns: &columns,
        };
        let started = Instant::now();
        let file = format!("source_ids/{}.parquet", table.shown);
        let mut out = TableFile::new(&file, Format::Parquet);
        let staging = &self.staging;
        let mut sink =
            |header: &[String], columns: db::Columns| out.write(staging, header, columns);
        self.progress
            .start(&format!("pushdown: {}", table.shown), None);
        // A foreign table reads its remote table with the tables inheriting from it, where
        // the full export reads `ONLY` it (its children are tables of their own): such a
        // table is exported in full.
        if table.only && self.config.pushdown.legacy_schema.is_some() {
            return Ok(false);
        }
        let summary = if let Some(schema) = &self.config.pushdown.legacy_schema {
            let on = mappings_server(mappings_on, source, target);
            anti_join_in_schema(on, schema, &work, &mut sink)?
        } else if plan.same_database {
            let name = source.rows_of(table);
            pushdown::anti_join(
                source,
                &name,
                table,
                key,
                &types,
                &type_values,
                mappings.sql(),
                &mut sink,
            )?
        } else {
            match self.checksums_by_ranges(source, target, &work, &mut sink)? {
                Some(summary) => summary,
                None => return Ok(false),
            }
        };
        let unmapped = out.finish()?;
        self.progress.finish();
        self.files += 1;
        self.queries.push(QueryRecord {
            purpose: format!("pushdown ({}): unmapped and orphan ids", summary.method),
            on: mappings_on,
            table: Some(table.shown.clone()),
            sql: format!("{} statements", summary.queries),
            file: Some(file),
            rows: unmapped,
            bytes: summary.bytes_transferred,
            seconds: secs(started),
        });
        self.pushed.push((table.clone(), summary));
        Ok(true)
    }

    /// Whether every value of the key's columns casts in SQL to the text the full export
    /// writes for it ([`pushdown::exact_key_type`]; in SQLite, whose columns hold any value,
    /// every value is an integer or UTF-8 text).
    fn key_text_is_exact(
        &self,
        source: &mut dyn Database,
        table: &TableRef,
        key: &[String],
        columns: &[db::ColumnInfo],
    ) -> Result<bool, CollectError> {
        let kind = source.url().kind;
        if kind == db::Kind::Sqlite {
            let odd = key
                .iter()
                .map(|k| {
                    let k = source.quote(k);
                    format!(
                        "({k} IS NOT NULL AND NOT (typeof({k}) = 'integer' \
                         OR (typeof({k}) = 'text' AND migcov_utf8({k}) = 1)))"
                    )
                })
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!("SELECT count(*) FROM {} WHERE {odd}", source.rows_of(table));
            return source.counts_nothing(&sql, Some(&table.shown));
        }
        Ok(key.iter().all(|k| {
            columns
                .iter()
                .any(|c| &c.name == k && pushdown::exact_key_type(kind, &c.data_type))
        }))
    }

    /// A table's entity types (from `pushdown.tables`, else the entities query), or `None`
    /// when it has none or shares one with another table: a type that entities of several
    /// tables share is attributed by the mappings' `legacy_table`
    /// (`measure::missing::Ownership`), which the databases' set work does not read, so
    /// such a table is exported in full.
    fn pushdown_types(&self, table: &TableRef, plan: &PushdownPlan) -> Option<Vec<String>> {
        let types = self
            .config
            .pushdown
            .tables
            .iter()
            .find(|(t, _)| crate::load::table_key(t) == crate::load::table_key(&table.shown))
            .map(|(_, types)| types.clone())
            .or_else(|| {
                plan.types
                    .get(&crate::load::table_key(&table.shown))
                    .cloned()
            });
        let types = types.filter(|t| !t.is_empty())?;
        let folded: BTreeSet<String> = types
            .iter()
            .map(|t| crate::model::entity_type_key(t))
            .collect();
        let key_here = crate::load::table_key(&table.shown);
        if plan.types.iter().any(|(other, theirs)| {
            *other != key_here
                && theirs
                    .iter()
                    .any(|t| folded.contains(&crate::model::entity_type_key(t)))
        }) {
            return None;
        }
        Some(types)
    }

    /// Reads the mappings' distinct `entity_type` values, once for every table: a scan of
    /// the mappings.
    fn read_type_values(
        &mut self,
        on: &mut dyn Database,
        mappings: &Query,
    ) -> Result<(), CollectError> {
        let (started, mut bytes) = (Instant::now(), 0u64);
        let values = pushdown::entity_type_values(on, mappings.sql(), &mut bytes)?;
        self.queries.push(QueryRecord {
            purpose: "pushdown: the mappings' entity_type values, folded by migcov".into(),
            on: mappings.on(),
            table: None,
            sql: "SELECT DISTINCT entity_type FROM (mappings)".into(),
            file: None,
            rows: values.len() as u64,
            bytes,
            seconds: secs(started),
        });
        self.type_values = Some(values);
        Ok(())
    }

    /// Whether a mapping of the table's types names another table in `legacy_table`: such
    /// rows are not this table's (the loader's `Ownership`), which the set work, reading
    /// legacy_id alone, cannot tell, so with any of them the table is exported in full.
    fn names_other_tables(
        &mut self,
        on: &mut dyn Database,
        mappings: &Query,
        types: &[String],
        type_values: &[String],
        table: &TableRef,
    ) -> Result<bool, CollectError> {
        if self.mapping_columns.is_none() {
            self.mapping_columns = Some(on.result_types(mappings.sql())?);
        }
        let named = self
            .mapping_columns
            .as_ref()
            .is_some_and(|c| c.iter().any(|(n, _)| n == "legacy_table"));
        if named {
            let sql = pushdown::naming_others(on, mappings.sql(), types, type_values, &table.shown);
            if !on.counts_nothing(&sql, Some(&table.shown))? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Without one server for both sides: the key's ranges compared by checksums, when the
    /// key is one integer column and the mappings are on the target; `None` otherwise.
    fn checksums_by_ranges(
        &self,
        source: &mut dyn Database,
        target: &mut dyn Database,
        work: &SetWork,
        sink: &mut db::BatchSink<'_>,
    ) -> Result<Option<pushdown::Summary>, CollectError> {
        let table = work.table;
        let [column] = work.key else {
            return Ok(None);
        };
        if work.mappings_on == Which::Source
            || !self.rangeable_key(source, table, column, work.columns)?
        {
            return Ok(None);
        }
        let fetch_below = self.config.pushdown.fetch_below.unwrap_or(10_000);
        pushdown::checksums(
            source,
            target,
            table,
            column,
            work.types,
            work.type_values,
            work.mappings_sql,
            fetch_below,
            sink,
        )
        .map(Some)
    }

    /// Whether a legacy key of one column can be cut into ranges by its values: an integer
    /// column whose values are distinct (a key listed twice is one id in two rows, which
    /// sums of ranges cannot tell from two ids) and, in SQLite, which stores any value in
    /// any column, all integers (`2x` or `3.5` would be cast to 2 and 3 by the ranges' SQL).
    fn rangeable_key(
        &self,
        source: &mut dyn Database,
        table: &TableRef,
        column: &str,
        columns: &[db::ColumnInfo],
    ) -> Result<bool, CollectError> {
        let integer = columns
            .iter()
            .any(|c| c.name == column && pushdown::is_integer_type(&c.data_type));
        if !integer {
            return Ok(false);
        }
        let unrepeated = source.counts_nothing(
            &format!(
                "SELECT count(*) - count(DISTINCT {k}) FROM {} WHERE {k} IS NOT NULL",
                source.rows_of(table),
                k = source.quote(column)
            ),
            Some(&table.shown),
        )?;
        if !unrepeated {
            return Ok(false);
        }
        if source.url().kind == db::Kind::Sqlite {
            return source.counts_nothing(
                &format!(
                    "SELECT count(*) FROM {} WHERE {k} IS NOT NULL AND typeof({k}) <> 'integer'",
                    source.rows_of(table),
                    k = source.quote(column)
                ),
                Some(&table.shown),
            );
        }
        Ok(true)
    }

    /// Whether a key column's values, trimmed as the loader trims keys, are distinct texts
    /// (compared as bytes, whatever the column's collation), the keys empty once trimmed
    /// left out as the loader leaves them.
    fn distinct_texts(
        &self,
        source: &mut dyn Database,
        table: &TableRef,
        column: &str,
    ) -> Result<bool, CollectError> {
        let kind = source.url().kind;
        let key = pushdown::trimmed(kind, &source.quote(column));
        source.counts_nothing(
            &format!(
                "SELECT count(*) - count(DISTINCT {}) FROM {} WHERE {} IS NOT NULL AND {}",
                pushdown::exact_text(kind, &key),
                source.rows_of(table),
                source.quote(column),
                pushdown::not_empty(kind, &key)
            ),
            Some(&table.shown),
        )
    }

    /// With `--pushdown`, after the tables: the mappings, of which the rows of pushed-down
    /// types that no check could flag are counted in the database rather than exported
    /// (`reduce`), then each pushed-down table's summary with those counts.
    fn mappings_after_pushdown(
        &mut self,
        source: &mut dyn Database,
        target: &mut dyn Database,
    ) -> Result<(), CollectError> {
        let Some(mappings) = self.config.queries.mappings.clone() else {
            return self.write_summaries();
        };
        let on = mappings.on();
        let db: &mut dyn Database = match on {
            Which::Source => source,
            Which::Target => target,
        };
        let file = "mappings/mappings.parquet";
        let owners: Vec<reduce::Owner> = self
            .pushed
            .iter()
            .map(|(table, summary)| reduce::Owner {
                table: table.shown.clone(),
                types: summary
                    .entity_types
                    .iter()
                    .map(|t| crate::model::entity_type_key(t))
                    .collect(),
                orphans: summary.orphans.clone(),
            })
            .collect();
        // Both were read by the first pushed-down table.
        let plan = match (owners.is_empty(), &self.type_values, &self.mapping_columns) {
            (false, Some(values), Some(columns)) => {
                reduce::plan(db, mappings.sql(), columns, values, &owners)
            }
            _ => Err("no table was pushed down".to_string()),
        };
        let plan = match plan {
            Ok(plan) => plan,
            Err(reason) => {
                let purpose = format!("mappings (all rows: {reason})");
                self.stream_to(
                    db,
                    on,
                    mappings.sql(),
                    None,
                    file,
                    Format::Parquet,
                    &purpose,
                    &[],
                )?;
                return self.write_summaries();
            }
        };
        // One statement: the rows a check could flag, written to the file, and the counts
        // of the others, taken apart by `reduce::Plan::split`.
        let started = Instant::now();
        let mut out = TableFile::new(file, Format::Parquet);
        let staging = &self.staging;
        let progress = self.progress;
        progress.start("mappings (pushdown)", None);
        let (mut bytes, mut counts) = (0u64, Vec::new());
        let rows = db.stream(
            &plan.sql,
            None,
            self.config.batch_rows(),
            &mut |header, columns| {
                bytes += pushdown::value_bytes(&columns);
                let (data, found) = reduce::Plan::split(columns);
                counts.extend(found);
                progress.rows(data.first().map_or(0, Vec::len) as u64);
                out.write(staging, &header[..header.len().saturating_sub(2)], data)
            },
        )?;
        out.finish()?;
        progress.finish();
        self.files += 1;
        let mut counted = 0u64;
        for (class, n) in &counts {
            let Some((table, folded)) = plan.classes.get(*class) else {
                continue;
            };
            counted += n;
            if let Some((_, summary)) = self.pushed.iter_mut().find(|(t, _)| &t.shown == table) {
                *summary
                    .mapping_rows_in_database
                    .entry(folded.clone())
                    .or_insert(0) += n;
            }
        }
        self.queries.push(QueryRecord {
            purpose: format!(
                "mappings: the rows a check could flag; the {counted} others counted by type in the database"
            ),
            on,
            table: None,
            sql: plan.sql.clone(),
            file: Some(file.to_string()),
            rows: rows - counts.len() as u64,
            bytes,
            seconds: secs(started),
        });
        self.write_summaries()
    }

    /// `pushdown/<table>.json` for each pushed-down table.
    fn write_summaries(&mut self) -> Result<(), CollectError> {
        for (table, summary) in std::mem::take(&mut self.pushed) {
            let mut json = serde_json::to_vec_pretty(&summary).expect("plain data serialises");
            json.push(b'\n');
            let summary_file = pushdown::summary_path(&table.shown);
            self.staging.write(Path::new(&summary_file), &json)?;
            self.files += 1;
        }
        Ok(())
    }

    /// Legacy table (its `table_key`) → entity types, from the collected entities: the
    /// query's `entities.csv` and an `entities.yaml` copied with `files:`, as the loader
    /// reads both (with the YAML's left out, a table's ids were compared with some of its
    /// types' mappings only).
    fn entity_types(&self) -> Result<BTreeMap<String, Vec<String>>, CollectError> {
        let mut types: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Every record, as the loader reads them (two entities of one name are two, for
        // the types: found by an independent check, the second one's table was pushed
        // down with a type the first one's table shares).
        for (_, (table, _, kind)) in self.staged_entities()? {
            let (table, kind) = (table.trim(), kind.as_deref().unwrap_or_default().trim());
            if !table.is_empty() && !kind.is_empty() {
                let kinds = types.entry(crate::load::table_key(table)).or_default();
                if !kinds.iter().any(|k| k == kind) {
                    kinds.push(kind.to_string());
                }
            }
        }
        Ok(types)
    }

    /// Mappings, metrics, logs, manifests, entities and domains from the configured queries;
    /// mappings by convention when no query gives them.
    fn bookkeeping(
        &mut self,
        source: &mut dyn Database,
        target: &mut dyn Database,
        target_tables: &[TableRef],
        pushdown: bool,
    ) -> Result<(), CollectError> {
        let queries = [
            (
                "mappings",
                self.config.queries.mappings.clone(),
                "mappings/mappings.parquet",
                Format::Parquet,
            ),
            (
                "metrics",
                self.config.queries.metrics.clone(),
                "metrics/metrics.csv",
                Format::Csv,
            ),
            (
                "logs",
                self.config.queries.logs.clone(),
                "logs/logs.csv",
                Format::Csv,
            ),
            (
                "entities",
                self.config.queries.entities.clone(),
                "entities.csv",
                Format::Csv,
            ),
        ];
        for (purpose, query, file, format) in queries {
            // With --pushdown the mappings come after the tables (`mappings_after_pushdown`).
            if pushdown && purpose == "mappings" {
                continue;
            }
            if let Some(query) = query {
                let db: &mut dyn Database = match query.on() {
                    Which::Source => &mut *source,
                    Which::Target => &mut *target,
                };
                self.stream_to(
                    db,
                    query.on(),
                    query.sql(),
                    None,
                    file,
                    format,
                    purpose,
                    &[],
                )?;
            }
        }
        for (purpose, query, file) in [
            (
                "scripts",
                self.config.queries.scripts.clone(),
                "scripts/collected.yaml",
            ),
            (
                "domains",
                self.config.queries.domains.clone(),
                "domains.yaml",
            ),
        ] {
            if let Some(query) = query {
                let db: &mut dyn Database = match query.on() {
                    Which::Source => &mut *source,
                    Which::Target => &mut *target,
                };
                self.yaml_records(db, &query, purpose, file)?;
            }
        }
        let convention = self.config.mappings_by_convention.unwrap_or(true);
        if self.config.queries.mappings.is_none() && convention {
            for table in target_tables {
                let Some(sql) = convention_query(target, table)? else {
                    continue;
                };
                if file_name_ok(&table.shown).is_err() {
                    continue;
                }
                let file = format!("mappings/{}.parquet", table.shown);
                self.stream_to(
                    target,
                    Which::Target,
                    &sql,
                    Some(&table.shown),
                    &file,
                    Format::Parquet,
                    "mappings by convention",
                    &[],
                )?;
            }
        }
        Ok(())
    }

    /// Streams the rows of `sql` into `file` (each value in its column's canonical text) and
    /// records the query: how many rows were written.
    #[allow(clippy::too_many_arguments)]
    fn stream_to(
        &mut self,
        db: &mut dyn Database,
        on: Which,
        sql: &str,
        table: Option<&str>,
        file: &str,
        format: Format,
        purpose: &str,
        families: &[canonical::Family],
    ) -> Result<u64, CollectError> {
        let started = Instant::now();
        let mut out = TableFile::new(file, format);
        let label = match table {
            Some(t) => format!("{purpose}: {t}"),
            None => purpose.to_string(),
        };
        self.progress.start(&label, None);
        let staging = &self.staging;
        let progress = self.progress;
        let mut bytes = 0u64;
        let rows = db.stream(
            sql,
            table,
            self.config.batch_rows(),
            &mut |header, mut columns| {
                let n = columns.first().map_or(0, Vec::len) as u64;
                for (column, family) in columns.iter_mut().zip(families) {
                    for value in column.iter_mut().flatten() {
                        *value = canonical::canonical(*family, value);
                    }
                }
                bytes += pushdown::value_bytes(&columns);
                out.write(staging, header, columns)?;
                progress.rows(n);
                Ok(())
            },
        )?;
        out.finish()?;
        self.progress.finish();
        self.files += 1;
        self.queries.push(QueryRecord {
            purpose: purpose.to_string(),
            on,
            table: table.map(str::to_string),
            sql: sql.to_string(),
            file: Some(file.to_string()),
            rows,
            bytes,
            seconds: secs(started),
        });
        Ok(rows)
    }

    /// A query's rows as a YAML list of mappings (manifests, domains): each column a key,
    /// empty cells left out, numeric fields written as numbers.
    fn yaml_records(
        &mut self,
        db: &mut dyn Database,
        query: &Query,
        purpose: &str,
        file: &str,
    ) -> Result<(), CollectError> {
        let started = Instant::now();
        let mut records: Vec<serde_yaml::Mapping> = Vec::new();
        let rows = db.stream(query.sql(), None, 10_000, &mut |header, columns| {
            let height = columns.first().map_or(0, Vec::len);
            for i in 0..height {
                let mut record = serde_yaml::Mapping::new();
                for (name, column) in header.iter().zip(&columns) {
                    if let Some(value) = &column[i] {
                        record.insert(name.as_str().into(), yaml_value(name, value));
                    }
                }
                records.push(record);
            }
            Ok(())
        })?;
        let mut text = format!(
            "# Collected by migcov from: {}\n",
            query.sql().replace('\n', " ")
        );
        text.push_str(&serde_yaml::to_string(&records).expect("plain data serialises"));
        self.write_text(Path::new(file), &text)?;
        self.queries.push(QueryRecord {
            purpose: purpose.to_string(),
            on: query.on(),
            table: None,
            sql: query.sql().to_string(),
            file: Some(file.to_string()),
            rows,
            bytes: 0,
            seconds: secs(started),
        });
        Ok(())
    }

    /// The rows a `content:` declaration of the collected `migcov.yaml` compares:
    /// `rows/legacy/<legacy_table>.parquet` and `rows/target/<target_table>.parquet`, the
    /// key and the declared columns, each value in its type's canonical text
    /// ([`canonical`]), streamed. A declaration whose entity, table or transform is not
    /// known is left to the build, which says why its values are not checked.
    fn content_rows(
        &mut self,
        source: &mut dyn Database,
        target: &mut dyn Database,
        (source_tables, target_tables): (&[TableRef], &[TableRef]),
        pushdown: Option<&PushdownPlan>,
    ) -> Result<(), CollectError> {
        let Some(config) = self.staged_project()? else {
            return Ok(());
        };
        if config.content.is_empty() {
            return Ok(());
        }
        // A declaration may read a view (or a foreign table) where the inventory lists base
        // tables only: the views after the tables, so a table of the same name wins.
        // Selected by `tables:` as the tables are.
        let (source_views, target_views) = (
            source.views(&self.config.source.schemas)?,
            target.views(&self.config.target.schemas)?,
        );
        let selected = |views: Vec<TableRef>, side: &config::Side| -> Vec<TableRef> {
            views
                .into_iter()
                .filter(|t| side.tables.selects(&t.shown, true))
                .collect()
        };
        let (source_views, target_views) = (
            selected(source_views, &self.config.source),
            selected(target_views, &self.config.target),
        );
        let with_views = |tables: &[TableRef], views: Vec<TableRef>| -> Vec<TableRef> {
            tables.iter().cloned().chain(views).collect()
        };
        let source_all = with_views(source_tables, source_views);
        let target_all = with_views(target_tables, target_views);
        let (source_tables, target_tables) = (&source_all[..], &target_all[..]);
        let entities = self.entity_tables()?;
        // Each table's rows once, with the columns of every declaration reading it (two
        // entities of one legacy table wrote its file twice: an error); a key of any of
        // them read as the ids are.
        let mut wanted: BTreeMap<(bool, String), RowsWanted> = BTreeMap::new();
        let mut readers: BTreeMap<(bool, String), usize> = BTreeMap::new();
        let mut declared = Vec::new();
        for declaration in &config.content {
            let Some(tables) = entities.get(&declaration.entity) else {
                continue;
            };
            let Ok((legacy_columns, target_columns)) =
                crate::measure::content::declared_columns(declaration)
            else {
                continue;
            };
            for (legacy, table, columns, key) in [
                (true, &tables.0, legacy_columns, &declaration.legacy_key),
                (false, &tables.1, target_columns, &declaration.target_key),
            ] {
                let id = (legacy, crate::load::table_key(table));
                *readers.entry(id.clone()).or_default() += 1;
                let entry = wanted
                    .entry(id)
                    .or_insert_with(|| (table.clone(), vec![], vec![]));
                for column in columns {
                    if !entry.1.contains(&column) {
                        entry.1.push(column);
                    }
                }
                if !entry.2.contains(key) {
                    entry.2.push(key.clone());
                }
            }
            declared.push((declaration, tables));
        }
        for (declaration, tables) in declared {
            // A table another declaration reads too is exported whole, for both.
            let alone = [(true, &tables.0), (false, &tables.1)]
                .iter()
                .all(|(legacy, t)| readers.get(&(*legacy, crate::load::table_key(t))) == Some(&1));
            let Some(plan) = pushdown.filter(|_| alone) else {
                continue;
            };
            let provable = self.provable(
                (&mut *source, &mut *target),
                declaration,
                (tables, &entities),
                (source_tables, target_tables),
                plan.same_database,
            )?;
            let pushed = match provable {
                None => false,
                Some(provable) if plan.same_database => {
                    self.compare_in_database(source, declaration, provable)?;
                    true
                }
                Some(provable) => {
                    self.compare_by_ranges((&mut *source, &mut *target), declaration, provable)?
                }
            };
            if pushed {
                wanted.remove(&(true, crate::load::table_key(&tables.0)));
                wanted.remove(&(false, crate::load::table_key(&tables.1)));
            }
        }
        for ((legacy, _), (table, columns, keys)) in wanted {
            let purpose = "rows compared by content: declarations";
            match legacy {
                true => {
                    let on = (Which::Source, table.as_str(), &columns[..]);
                    self.export_rows(source, source_tables, on, &keys, purpose)?;
                }
                false => {
                    let on = (Which::Target, table.as_str(), &columns[..]);
                    self.export_rows(target, target_tables, on, &keys, purpose)?;
                }
            }
        }
        Ok(())
    }

    /// Whether a declaration's rows can be compared by the databases ([`intact`]), and what
    /// the statements then read; `None` where the texts could not prove the values equal
    /// (the rows are then exported in full). The legacy table is read on the source, the
    /// target table on the target and the mappings on their own server, which must be the
    /// target's when the two are different databases.
    fn provable<'t>(
        &mut self,
        (source, target): (&mut dyn Database, &mut dyn Database),
        declaration: &crate::model::config::ContentDeclaration,
        ((legacy_table, target_table, entity_type), entities): (
            &EntityTables,
            &BTreeMap<String, EntityTables>,
        ),
        (source_tables, target_tables): (&'t [TableRef], &'t [TableRef]),
        same_database: bool,
    ) -> Result<Option<Provable<'t>>, CollectError> {
        let Some(mappings) = self.config.queries.mappings.clone() else {
            return Ok(None);
        };
        if !same_database && mappings.on() != Which::Target {
            return Ok(None);
        }
        let Some(entity_type) = entity_type else {
            return Ok(None);
        };
        // A type another table shares is attributed by `legacy_table`, as the loader does.
        let type_key = crate::model::entity_type_key(entity_type);
        if entities.values().any(|(legacy, _, t)| {
            t.as_deref().map(crate::model::entity_type_key) == Some(type_key.clone())
                && crate::load::table_key(legacy) != crate::load::table_key(legacy_table)
        }) {
            return Ok(None);
        }
        let Ok(pairs) = crate::measure::content::plain_pairs(declaration) else {
            return Ok(None);
        };
        let Ok((legacy_columns, target_columns)) =
            crate::measure::content::declared_columns(declaration)
        else {
            return Ok(None);
        };
        let (legacy_key, target_key) = (&declaration.legacy_key, &declaration.target_key);
        let Some(legacy) = self.table_rows(
            source,
            source_tables,
            legacy_table,
            &legacy_columns,
            std::slice::from_ref(legacy_key),
            Some("s"),
        )?
        else {
            return Ok(None);
        };
        let Some(target_rows) = self.table_rows(
            target,
            target_tables,
            target_table,
            &target_columns,
            std::slice::from_ref(target_key),
            Some("t"),
        )?
        else {
            return Ok(None);
        };
        // Each pair as the export reads it: a key column as the driver's text (as the ids
        // are read), any other in its family's select; a pair that texts cannot prove, or a
        // column whose text SQL does not give as the export reads it, is exported in full.
        let side =
            |db: &dyn Database, types: &[db::ColumnInfo], column: &str, key: &str, alias: &str| {
                let kind = db.url().kind;
                let quoted = format!("{alias}.{}", db.quote(column));
                let declared = types
                    .iter()
                    .find(|t| t.name == column)
                    .map_or(String::new(), |t| t.data_type.clone());
                match column == key {
                    // Read raw, as the ids are: a PostgreSQL CHAR's text in SQL drops the
                    // padding its export keeps (found by an independent check: `k1` was
                    // proved equal to the exported `k1      `), so it is not proved.
                    true => {
                        let padded = intact::padded_in_export(kind, &declared);
                        (canonical::Family::Text, Some(!padded), quoted, None)
                    }
                    false => {
                        let family = canonical::Family::of(kind, &declared);
                        let select = canonical::select(kind, &declared, &quoted);
                        let textual =
                            family != canonical::Family::Text || intact::text_type(kind, &declared);
                        (family, Some(textual), select, Some(declared))
                    }
                }
            };
        let (mut values, mut texts) = (Vec::new(), Vec::new());
        for (l, t) in &pairs {
            let (l_family, l_textual, l_value, l_type) =
                side(&*source, &legacy.types, l, legacy_key, "s");
            let (t_family, t_textual, t_value, t_type) =
                side(&*target, &target_rows.types, t, target_key, "t");
            let untextual = [l_textual, t_textual].contains(&Some(false));
            if untextual || intact::family_problem(l_family, t_family).is_some() {
                return Ok(None);
            }
            texts.push((
                intact::export_text(source.url().kind, l_type.as_deref(), &l_value),
                intact::export_text(target.url().kind, t_type.as_deref(), &t_value),
            ));
            values.push((l_value, t_value));
        }
        if !self.key_text_is_exact(
            source,
            legacy.table,
            std::slice::from_ref(legacy_key),
            &legacy.types,
        )? {
            return Ok(None);
        }
        let on = mappings_server(mappings.on(), source, target);
        let kind = on.url().kind;
        if self.mapping_columns.is_none() {
            self.mapping_columns = Some(on.result_types(mappings.sql())?);
        }
        let selects = |name: &str| {
            self.mapping_columns
                .iter()
                .flatten()
                .any(|(n, _)| n == name)
        };
        if !["entity_type", "legacy_id", "modern_id"]
            .into_iter()
            .all(selects)
        {
            return Ok(None);
        }
        // The mappings' ids compared as SQL casts them, exported as the driver reads them:
        // only where the two are one text (no ZEROFILL, no bytes, no timestamps).
        let ids_exact = self
            .mapping_columns
            .iter()
            .flatten()
            .all(|(name, type_name)| {
                !matches!(name.as_str(), "legacy_id" | "modern_id")
                    || intact::mapping_type(kind, type_name)
            });
        if !ids_exact {
            return Ok(None);
        }
        if self.type_values.is_none() {
            self.read_type_values(on, &mappings)?;
        }
        let type_values = self.type_values.clone().unwrap_or_default();
        let types = [entity_type.clone()];
        if self.names_other_tables(on, &mappings, &types, &type_values, legacy.table)? {
            return Ok(None);
        }
        let raw = pushdown::literal_list(on, &pushdown::raw_types(&type_values, &types));
        let own = intact::own_mappings(kind, mappings.sql(), &raw);
        let odd = intact::odd_ids_sql(
            kind,
            &own,
            (
                &target.rows_of(target_rows.table),
                &target.quote(target_key),
            ),
        );
        if !target.counts_nothing(&odd, Some(&legacy.table.shown))? {
            return Ok(None);
        }
        Ok(Some(Provable {
            legacy,
            target: target_rows,
            values,
            texts,
            own,
        }))
    }

    /// A declaration's rows compared in the database ([`intact`]), where source and
    /// target are one database: the counts and the rows of the ids not proved intact are
    /// written.
    fn compare_in_database(
        &mut self,
        db: &mut dyn Database,
        declaration: &crate::model::config::ContentDeclaration,
        provable: Provable,
    ) -> Result<(), CollectError> {
        let Provable {
            legacy,
            target,
            values,
            own,
            ..
        } = provable;
        let kind = db.url().kind;
        let (legacy_from, target_from) = (db.rows_of(legacy.table), db.rows_of(target.table));
        let (legacy_quoted, target_quoted) = (
            db.quote(&declaration.legacy_key),
            db.quote(&declaration.target_key),
        );
        let tables = intact::Tables {
            legacy_from: &legacy_from,
            target_from: &target_from,
            legacy_key: &legacy_quoted,
            target_key: &target_quoted,
            values: &values,
            mappings: &own,
        };
        let shown = legacy.table.shown.clone();
        let started = Instant::now();
        let sql = intact::counts_sql(kind, &tables);
        let mut counts = Vec::new();
        db.stream(&sql, Some(&shown), 1, &mut |_, columns| {
            counts = columns
                .iter()
                .map(|c| {
                    c.first()
                        .cloned()
                        .flatten()
                        .and_then(|v| v.trim().parse::<u64>().ok())
                })
                .collect();
            Ok(())
        })?;
        let [Some(legacy_rows), Some(target_rows), Some(intact)] = counts[..] else {
            return Err(db::query_error(
                db.url(),
                &sql,
                Some(&shown),
                &format!("expected three counts, got {counts:?}"),
            ));
        };
        self.queries.push(QueryRecord {
            purpose: format!("pushdown: rows of {} proved intact", declaration.entity),
            on: Which::Source,
            table: Some(shown.clone()),
            sql,
            file: None,
            rows: 1,
            bytes: 0,
            seconds: secs(started),
        });
        let legacy_sql = intact::legacy_rows_sql(kind, &tables, &legacy.list);
        let target_sql = intact::target_rows_sql(kind, &tables, &target.list);
        let purpose = format!("rows of {} not proved intact", declaration.entity);
        self.export_side((&mut *db, Which::Source), &legacy_sql, &legacy, &purpose)?;
        self.export_side((&mut *db, Which::Target), &target_sql, &target, &purpose)?;
        self.write_content_summary(
            &shown,
            &intact::RowsSummary {
                legacy_rows,
                target_rows,
                intact,
                method: format!("compared in the database on {}", db.url().shown),
            },
        )
    }

    /// Two servers: a declaration's rows compared by the digests of ranges of its integer
    /// legacy key ([`intact::RangeTables`]); the rows of the ranges that differ are
    /// written. `false` (nothing written) where the key cannot be cut into ranges.
    fn compare_by_ranges(
        &mut self,
        (source, target): (&mut dyn Database, &mut dyn Database),
        declaration: &crate::model::config::ContentDeclaration,
        provable: Provable,
    ) -> Result<bool, CollectError> {
        let Provable {
            legacy,
            target: target_rows,
            values,
            texts,
            own,
        } = provable;
        // An integer key is cut into ranges of itself; any other key whose text SQL gives
        // as the export reads it (`provable` checked) into ranges of its text's number,
        // where its trimmed texts are distinct.
        let text_keys = match self.rangeable_key(
            source,
            legacy.table,
            &declaration.legacy_key,
            &legacy.types,
        )? {
            true => false,
            false if self.distinct_texts(source, legacy.table, &declaration.legacy_key)? => true,
            false => return Ok(false),
        };
        let (sk, tk) = (source.url().kind, target.url().kind);
        let (legacy_from, target_from) = (
            source.rows_of(legacy.table),
            target.rows_of(target_rows.table),
        );
        let (legacy_key, target_key) = (
            source.quote(&declaration.legacy_key),
            target.quote(&declaration.target_key),
        );
        let (legacy_values, target_values): (Vec<_>, Vec<_>) = values
            .into_iter()
            .zip(texts)
            .map(|((l, t), (lt, tt))| ((l, lt), (t, tt)))
            .unzip();
        let tables = intact::RangeTables {
            legacy_from: &legacy_from,
            legacy_key: &legacy_key,
            legacy_values: &legacy_values,
            target_from: &target_from,
            target_key: &target_key,
            target_values: &target_values,
            mappings: &own,
            text_keys,
        };
        let shown = legacy.table.shown.clone();
        let started = Instant::now();
        let (legacy_set, target_set) = (
            intact::legacy_range_set(sk, &tables),
            intact::target_range_set(tk, &tables),
        );
        let (mut bytes, mut queries) = (0u64, 4u64);
        let (smin, smax, keys) = pushdown::bounds(source, &legacy_set, &shown, &mut bytes)?;
        // The target's keys from its mappings alone: the join to the target rows, the
        // costly part of every statement over the target's set, changes none of them.
        let target_keys = intact::target_key_set(tk, &tables);
        let (tmin, tmax, mapped) = pushdown::bounds(target, &target_keys, &shown, &mut bytes)?;
        let count = |db: &mut dyn Database, from: &str| -> Result<u64, CollectError> {
            let sql = format!("SELECT count(*) FROM {from}");
            let value = db.scalar(&sql, Some(&shown))?;
            value.trim().parse().map_err(|_| {
                db::query_error(
                    db.url(),
                    &sql,
                    Some(&shown),
                    &format!("not a count: {value:?}"),
                )
            })
        };
        let legacy_rows = count(source, &legacy_from)?;
        let target_count = count(target, &target_from)?;
        let lo = [smin, tmin].into_iter().flatten().min().unwrap_or(0);
        let hi = [smax, tmax].into_iter().flatten().max();
        // A first level of ranges of about 64 rows (at least 256 ranges, at most 65,536):
        // each statement over the target's set costs a join, so one level, fine enough
        // that the rows of its differing ranges are few, then their hashes, take two
        // statements a side where the ids' levels took four or more.
        let rows = keys.max(mapped) as i64;
        let sides = pushdown::Sides {
            source_set: &legacy_set,
            target_set: &target_set,
            table: &shown,
            lo,
            hashed: pushdown::Hashed::KeyAndValues,
            first_fanout: (rows / 64).clamp(pushdown::FIRST_FANOUT, 65_536),
        };
        let max_hashed = self.config.pushdown.max_hashed_rows.unwrap_or(8_000_000);
        let left = match hi {
            None => None,
            Some(hi) => {
                // Narrowed further only while the differing ranges' rows are too many to
                // read as hashes (`fetch_below`, when larger, as for the ids).
                let fetch_below = self
                    .config
                    .pushdown
                    .fetch_below
                    .unwrap_or(10_000)
                    .max(max_hashed);
                sides.narrowed(source, target, hi, fetch_below, &mut bytes, &mut queries)?
            }
        };
        // The rows of the ranges that differ compared by their hashes, where they are few
        // enough to hold (`pushdown.max_hashed_rows`) and the ids left few enough to list
        // in a statement; else every row of those ranges is exported.
        let keys_left = match &left {
            None => Some(Vec::new()),
            Some(left) if left.rows <= max_hashed => {
                let s = sides.hashes(source, &legacy_set, left, &mut bytes)?;
                let t = sides.hashes(target, &target_set, left, &mut bytes)?;
                queries += 2;
                Some(intact::unproved(&s, &t)).filter(|k| k.len() <= MAX_LISTED_IDS)
            }
            Some(_) => None,
        };
        let unproved = match (&keys_left, &left) {
            (Some(keys), _) => intact::Unproved::Keys(keys),
            (None, Some(left)) => intact::Unproved::Ranges { lo, left },
            (None, None) => intact::Unproved::Keys(&[]),
        };
        self.queries.push(QueryRecord {
            purpose: format!(
                "pushdown: ranges of {} compared by digests of keys and values",
                declaration.entity
            ),
            on: Which::Target,
            table: Some(shown.clone()),
            sql: format!("{queries} statements"),
            file: None,
            rows: keys,
            bytes,
            seconds: secs(started),
        });
        let legacy_sql = intact::legacy_range_rows_sql(sk, &tables, &unproved, &legacy.list);
        let target_sql = intact::target_range_rows_sql(tk, &tables, &unproved, &target_rows.list);
        let purpose = format!("rows of {} not proved intact", declaration.entity);
        let exported = self.export_side(
            (&mut *source, Which::Source),
            &legacy_sql,
            &legacy,
            &purpose,
        )?;
        self.export_side(
            (&mut *target, Which::Target),
            &target_sql,
            &target_rows,
            &purpose,
        )?;
        self.write_content_summary(
            &shown,
            &intact::RowsSummary {
                legacy_rows,
                target_rows: target_count,
                // Every keyed legacy row is in a range that agrees, and proved intact, or
                // in one that differs, and exported (the keys are distinct).
                intact: keys.saturating_sub(exported),
                method: format!(
                    "checksums of key and value ranges between {} and {}",
                    source.url().shown,
                    target.url().shown
                ),
            },
        )?;
        Ok(true)
    }

    /// One side's rows by `sql` on its server, as `rows/legacy/<table>.parquet` or
    /// `rows/target/<table>.parquet`: how many rows were written.
    fn export_side(
        &mut self,
        (db, on): (&mut dyn Database, Which),
        sql: &str,
        rows: &TableRows,
        purpose: &str,
    ) -> Result<u64, CollectError> {
        let side = match on {
            Which::Source => "legacy",
            Which::Target => "target",
        };
        let file = format!("rows/{side}/{}.parquet", rows.table.shown);
        self.stream_to(
            db,
            on,
            sql,
            Some(rows.table.shown.as_str()),
            &file,
            Format::Parquet,
            &format!("{side} {purpose}"),
            &rows.families,
        )
    }

    /// `rows/pushdown/<table>.json`.
    fn write_content_summary(
        &mut self,
        table: &str,
        summary: &intact::RowsSummary,
    ) -> Result<(), CollectError> {
        let mut json = serde_json::to_vec_pretty(summary).expect("plain data serialises");
        json.push(b'\n');
        self.staging
            .write(Path::new(&intact::summary_path(table)), &json)?;
        self.files += 1;
        Ok(())
    }

    /// One side's rows of a content declaration, `(side, table, columns)`, as
    /// `rows/legacy/<table>.parquet` or `rows/target/<table>.parquet`; nothing when the
    /// database has no such table.
    fn export_rows(
        &mut self,
        db: &mut dyn Database,
        tables: &[TableRef],
        (on, name, columns): (Which, &str, &[String]),
        keys: &[String],
        purpose: &str,
    ) -> Result<(), CollectError> {
        let Some(rows) = self.table_rows(db, tables, name, columns, keys, None)? else {
            return Ok(());
        };
        let sql = rows.sql.clone();
        self.export_side((db, on), &sql, &rows, purpose)?;
        Ok(())
    }

    /// The table `name` of `tables` (names compared as everywhere), the query reading its
    /// `columns`, and each column's [`canonical::Family`] from its declared type; none when
    /// the database has no such table or its name cannot be a file's. The `keys` columns are
    /// read as the ids are (`source_ids`, the mappings: the driver's text, as the loader
    /// matches keys), so that a row is mapped here exactly when coverage says it is: a
    /// `NUMERIC(10,2)` key `1.00` in its canonical text `1` would match no mapping.
    fn table_rows<'t>(
        &self,
        db: &mut dyn Database,
        tables: &'t [TableRef],
        name: &str,
        columns: &[String],
        keys: &[String],
        alias: Option<&str>,
    ) -> Result<Option<TableRows<'t>>, CollectError> {
        let is_key = |c: &String| keys.contains(c);
        let wanted = crate::load::table_key(name);
        let Some(table) = tables
            .iter()
            .find(|t| crate::load::table_key(&t.shown) == wanted)
        else {
            return Ok(None);
        };
        if file_name_ok(&table.shown).is_err() {
            return Ok(None);
        }
        let types = db.columns(table)?;
        // Checked here, not left to the query: SQLite reads an unknown "column" as the text
        // `column`, which would be written as every row's value.
        if let Some(absent) = columns
            .iter()
            .find(|c| !types.iter().any(|t| t.name == **c))
        {
            return Err(db::query_error(
                db.url(),
                &format!("SELECT {} FROM {}", db.quote(absent), db.rows_of(table)),
                Some(&table.shown),
                &format!(
                    "no column {absent:?} (it has {}), named by migcov.yaml's content: declaration",
                    types
                        .iter()
                        .map(|t| format!("{:?}", t.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let kind = db.url().kind;
        let declared = |c: &String| match is_key(c) {
            true => "",
            false => types
                .iter()
                .find(|t| t.name == *c)
                .map_or("", |t| t.data_type.as_str()),
        };
        let families = columns
            .iter()
            .map(|c| match is_key(c) {
                true => canonical::Family::Text,
                false => canonical::Family::of(kind, declared(c)),
            })
            .collect();
        // Over the table's alias, where the statement gives it one.
        let of = |quoted: &str| match alias {
            Some(alias) => format!("{alias}.{quoted}"),
            None => quoted.to_string(),
        };
        let list = columns
            .iter()
            .map(|c| {
                let quoted = db.quote(c);
                match (is_key(c), alias) {
                    (true, None) => quoted,
                    (true, Some(_)) => format!("{} AS {quoted}", of(&quoted)),
                    (false, _) => format!(
                        "{} AS {quoted}",
                        canonical::select(kind, declared(c), &of(&quoted))
                    ),
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT {list} FROM {}", db.rows_of(table));
        Ok(Some(TableRows {
            table,
            sql,
            list,
            families,
            types,
        }))
    }

    /// The collected `migcov.yaml`, if there is one (copied with `files:`).
    fn staged_project(&self) -> Result<Option<crate::model::config::ProjectConfig>, CollectError> {
        let path = Path::new("migcov.yaml");
        if !self.staging.exists(path) {
            return Ok(None);
        }
        let full = self.staging.create_path(path)?;
        let text = std::fs::read_to_string(&full).map_err(|source| CollectError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_yaml::from_str(&text)
            .map(Some)
            .map_err(|e| CollectError::Config {
                path: path.to_path_buf(),
                line: e.location().map(|l| l.line()),
                message: e.to_string(),
            })
    }

    /// Entity name → (legacy table, target table, entity type), from the collected
    /// `entities.yaml`, `entities/**/*.yaml` or `entities.csv`.
    fn entity_tables(&self) -> Result<BTreeMap<String, EntityTables>, CollectError> {
        Ok(self.staged_entities()?.into_iter().collect())
    }

    /// Every entity record of the collected files, as the loader finds them
    /// ([`crate::load::discover::classify`]: `entities.yaml` or `.yml`, `entities.csv`, and
    /// the YAML and CSV files under `entities/`): its name, legacy table, target table and
    /// entity type (a YAML number or boolean as its text, as the loader reads it). Found
    /// by an independent check: collect read `entities.yaml` and `entities.csv` alone, and
    /// pushed down a table whose type an entity of `entities/more.csv` shared.
    fn staged_entities(&self) -> Result<Vec<(String, EntityTables)>, CollectError> {
        use crate::load::discover::classify;
        use crate::load::{InputKind, TableFormat};
        let root = self.staging.root().to_path_buf();
        let walk_error = |e: walkdir::Error| CollectError::Io {
            path: PathBuf::from("."),
            source: crate::walk::io_error(e),
        };
        let mut files = Vec::new();
        for found in crate::walk::files(&root, walk_error) {
            let (full, relative) = found?;
            match classify(&relative) {
                InputKind::Entities => files.push((full, relative, false)),
                InputKind::EntitiesTable(TableFormat::Csv) => files.push((full, relative, true)),
                _ => {}
            }
        }
        files.sort();
        let mut records = Vec::new();
        for (full, relative, csv) in files {
            let read_error = |message: String| CollectError::Write {
                path: relative.clone(),
                message,
            };
            if csv {
                let mut reader =
                    csv::Reader::from_path(&full).map_err(|e| read_error(e.to_string()))?;
                let header = reader.headers().cloned().unwrap_or_default();
                // Named exactly, as the loader names columns (` entity_type` is another).
                let at = |name: &str| header.iter().position(|h| h == name);
                let columns = ["name", "legacy_table", "target_table", "entity_type"].map(at);
                for record in reader.records().flatten() {
                    let field = |i: Option<usize>| {
                        i.and_then(|i| record.get(i)).map(|v| v.trim().to_string())
                    };
                    if let (Some(n), Some(l), Some(t)) =
                        (field(columns[0]), field(columns[1]), field(columns[2]))
                    {
                        let kind = field(columns[3]).filter(|k| !k.is_empty());
                        records.push((n, (l, t, kind)));
                    }
                }
                continue;
            }
            // Parsed as the loader parses it (a scalar's text as written: `0x10` stays
            // `0x10`, found by an independent check); a file it cannot parse fails the
            // build, whatever collect makes of it.
            let file = crate::load::InputFile {
                path: full,
                relative,
                kind: InputKind::Entities,
            };
            let items =
                crate::load::manifests::parse_records::<EntityFields>(&file).unwrap_or_default();
            for item in items {
                if let (Some(n), Some(l), Some(t)) =
                    (item.name, item.legacy_table, item.target_table)
                {
                    records.push((n, (l, t, item.entity_type)));
                }
            }
        }
        Ok(records)
    }

    /// The legacy tables (as table keys) and the entity types (folded) of the entities
    /// that the staged `migcov.yaml` declares the content of.
    fn compared_tables(&self) -> Result<(BTreeSet<String>, BTreeSet<String>), CollectError> {
        let Some(config) = self.staged_project()? else {
            return Ok(Default::default());
        };
        let entities = self.entity_tables()?;
        let compared: Vec<&EntityTables> = config
            .content
            .iter()
            .filter_map(|d| entities.get(&d.entity))
            .collect();
        Ok((
            compared
                .iter()
                .map(|(legacy, _, _)| crate::load::table_key(legacy))
                .collect(),
            compared
                .iter()
                .filter_map(|(_, _, t)| t.as_deref())
                .map(crate::model::entity_type_key)
                .collect(),
        ))
    }

    fn write_text(&mut self, relative: &Path, text: &str) -> Result<(), CollectError> {
        self.staging.write(relative, text.as_bytes())?;
        self.files += 1;
        Ok(())
    }

    /// `files:` of collect.yaml, copied as they are (a folder whole): all of them, counted,
    /// or `only` those of these names.
    fn copy_files(&mut self, only: Option<&[&str]>) -> Result<(), CollectError> {
        for listed in self.config.files.clone() {
            let from = self.config.resolve(&listed);
            // A relative path inside the config's folder keeps its place in the data folder
            // (`entities/extra.yaml` is read as entities there; at the top it was an unknown
            // file); any other is copied under its name.
            let given = Path::new(&listed);
            let name = match given.is_relative()
                && given
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
            {
                true => given.to_path_buf(),
                false => from
                    .file_name()
                    .map(PathBuf::from)
                    .ok_or_else(|| CollectError::Io {
                        path: from.clone(),
                        source: std::io::Error::other("not a file or folder name"),
                    })?,
            };
            // Named in any case: the loader reads `entities.CSV` as entities (found by an
            // independent check: it was left out of the copy before the pushdown).
            let first = name
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .map(str::to_ascii_lowercase);
            if only.is_some_and(|names| !names.iter().any(|n| first.as_deref() == Some(*n))) {
                continue;
            }
            let walk_error = |e: walkdir::Error| CollectError::Io {
                path: from.clone(),
                source: crate::walk::io_error(e),
            };
            for found in crate::walk::files(&from, walk_error) {
                let (path, inner) = found?;
                let relative = if inner.as_os_str().is_empty() {
                    name.clone()
                } else {
                    name.join(inner)
                };
                let bytes = std::fs::read(&path).map_err(|source| CollectError::Io {
                    path: path.clone(),
                    source,
                })?;
                self.staging.write(&relative, &bytes)?;
                self.files += usize::from(only.is_none());
            }
        }
        Ok(())
    }
}

/// One table's rows that the content declarations read: its name, the columns (each
/// once) and the key columns of the declarations reading it.
type RowsWanted = (String, Vec<String>, Vec<String>);

/// A table's rows for a content comparison: the table, the query reading its compared
/// columns, and each column's canonical family.
/// The most legacy ids whose rows are exported by an `IN` list of them (about 1 MB of
/// statement); past it, every row of the differing ranges is.
const MAX_LISTED_IDS: usize = 100_000;

/// The fields of an entity record collect reads, each as the loader reads it (text).
#[derive(serde::Deserialize)]
struct EntityFields {
    name: Option<String>,
    legacy_table: Option<String>,
    target_table: Option<String>,
    entity_type: Option<String>,
}

/// A declaration whose rows the databases can compare: what the statements read.
struct Provable<'t> {
    legacy: TableRows<'t>,
    target: TableRows<'t>,
    /// Each pair's two values as the export selects them, over the aliases `s` (legacy)
    /// and `t` (target).
    values: Vec<(String, String)>,
    /// Each pair's two texts as the export writes them ([`intact::export_text`]).
    texts: Vec<(Option<String>, Option<String>)>,
    /// The entity's mapping rows ([`intact::own_mappings`]).
    own: String,
}

struct TableRows<'t> {
    table: &'t TableRef,
    sql: String,
    /// The columns the query selects (over the alias the table was read with).
    list: String,
    /// Every column of the table, with its declared type (read once from the catalogue).
    types: Vec<db::ColumnInfo>,
    families: Vec<canonical::Family>,
}

/// `SELECT key AS id` (or `k1 AS id_1, k2 AS id_2, ...`): the contract's column names.
fn ids_query(db: &dyn Database, table: &TableRef, key: &[String]) -> String {
    let columns: Vec<String> = if key.len() == 1 {
        vec![format!("{} AS id", db.quote(&key[0]))]
    } else {
        key.iter()
            .enumerate()
            .map(|(i, k)| format!("{} AS id_{}", db.quote(k), i + 1))
            .collect()
    };
    format!("SELECT {} FROM {}", columns.join(", "), db.rows_of(table))
}

/// A target table with a `legacy_id` column and a one-column UUID (or text) key gives
/// mappings of entity type = the table's name.
fn convention_query(
    db: &mut dyn Database,
    table: &TableRef,
) -> Result<Option<String>, CollectError> {
    let columns = db.columns(table)?;
    let Some(legacy) = columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("legacy_id"))
    else {
        return Ok(None);
    };
    let key = db.primary_key(table)?;
    let [key] = key.as_slice() else {
        return Ok(None);
    };
    let uuid_like = columns.iter().any(|c| {
        &c.name == key && {
            let t = c.data_type.to_ascii_lowercase();
            t == "uuid" || t.contains("char") || t == "text" || t.contains("binary")
        }
    });
    if !uuid_like {
        return Ok(None);
    }
    let literal = db.literal(&table.shown);
    Ok(Some(format!(
        "SELECT {literal} AS entity_type, {} AS legacy_id, {} AS modern_id FROM {} WHERE {} IS NOT NULL",
        db.quote(&legacy.name),
        db.quote(key),
        db.rows_of(table),
        db.quote(&legacy.name),
    )))
}

/// A table name that can be a file name in the data folder as the loader reads it back.
fn file_name_ok(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || crate::output::confined(Path::new(name)).is_err()
    {
        Err(format!(
            "{name:?} cannot be a file name in the data folder; export its ids by hand"
        ))
    } else {
        Ok(())
    }
}

fn yaml_value(key: &str, value: &str) -> serde_yaml::Value {
    const NUMERIC: [&str; 6] = [
        "record_count",
        "success_rate",
        "total_records",
        "migrated_records",
        "failed_records",
        "coverage_percentage",
    ];
    if NUMERIC.contains(&key) {
        if let Ok(n) = value.trim().parse::<u64>() {
            return n.into();
        }
        if let Ok(f) = value.trim().parse::<f64>() {
            return f.into();
        }
    }
    value.into()
}

fn secs(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}
