//! `collect.yaml`: which schemas and tables to read on each side, the SQL that yields the
//! migration's bookkeeping (mappings, metrics, logs, manifests), the pgloader summary, and
//! the files copied into the data folder as they are. Every key is optional; an unknown
//! key is an error naming the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::CollectError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectConfig {
    #[serde(default)]
    pub source: Side,
    #[serde(default)]
    pub target: Side,
    /// SQL whose columns are named as the data model's fields, one per kind of record.
    #[serde(default)]
    pub queries: Queries,
    /// Mappings from every target table with a `legacy_id` column and a UUID key, when no
    /// `mappings` query is given. Default: true.
    pub mappings_by_convention: Option<bool>,
    pub pgloader: Option<PgloaderConfig>,
    /// Files copied into the data folder as they are (relative to collect.yaml), e.g.
    /// `migcov.yaml` and `domains.yaml`. A folder is copied whole.
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// Rows per batch read from a database and written to a file.
    pub batch_rows: Option<usize>,
    /// Seconds a server may take to answer a connection (default 30).
    pub connect_timeout: Option<u64>,
    /// How `--pushdown` compares ids with mappings in the databases.
    #[serde(default)]
    pub pushdown: super::pushdown::PushdownConfig,
    /// Where the config was read from: paths in it are relative to its folder.
    #[serde(skip)]
    pub base: PathBuf,
}

/// One database: what to read of it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Side {
    /// Schemas (PostgreSQL) or databases (MySQL) to read. Default: the connection's own
    /// (`public`, or the URL's database). Globs.
    #[serde(default)]
    pub schemas: Patterns,
    /// Tables to read, as the data folder names them. Default: all. Globs.
    #[serde(default)]
    pub tables: Patterns,
    /// Source side: a query per legacy table giving its ids (column `id`, or `id_1`,
    /// `id_2`, ...), for a table without a primary key or to select rows.
    #[serde(default)]
    pub ids: BTreeMap<String, String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patterns {
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl Patterns {
    /// Whether `name` is selected; with no `include`, `default` decides.
    pub fn selects(&self, name: &str, default: bool) -> bool {
        let included = if self.include.is_empty() {
            default
        } else {
            glob_set(&self.include).is_match(name)
        };
        included && !glob_set(&self.exclude).is_match(name)
    }
}

fn glob_set(patterns: &[String]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        // Patterns were checked when the file was read.
        if let Ok(glob) = Glob::new(pattern) {
            builder.add(glob);
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queries {
    pub mappings: Option<Query>,
    pub metrics: Option<Query>,
    pub logs: Option<Query>,
    pub scripts: Option<Query>,
    pub entities: Option<Query>,
    pub domains: Option<Query>,
}

/// A query and the database it runs on (the target, unless `on: source`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Query {
    Sql(String),
    On {
        sql: String,
        #[serde(default)]
        on: Which,
    },
}

impl Query {
    /// The statement without what ends it: a `;`, and after it only white space and `--`
    /// comments (`SELECT ...; -- mappings`): migcov reads a query inside its own (a
    /// subquery), where a `;` is an error.
    pub fn sql(&self) -> &str {
        let (Query::Sql(sql) | Query::On { sql, .. }) = self;
        let sql = sql.trim();
        if let Some(at) = sql.rfind(';') {
            let rest = &sql[at + 1..];
            let only_comments = !rest.contains(['\'', '"'])
                && rest.lines().all(|l| {
                    let l = l.trim();
                    l.is_empty() || l.starts_with("--")
                });
            if only_comments {
                return sql[..at].trim_end().trim_end_matches(';').trim_end();
            }
        }
        sql.trim_end_matches(';')
    }

    pub fn on(&self) -> Which {
        match self {
            Query::Sql(_) => Which::Target,
            Query::On { on, .. } => *on,
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    Source,
    #[default]
    Target,
}

/// A pgloader run, reported as MigrationMetrics from its `--summary` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgloaderConfig {
    /// The summary file pgloader wrote (`--summary x.csv` or `x.json`), relative to
    /// collect.yaml.
    pub summary: PathBuf,
    /// When the load ran (RFC 3339). Default: the summary file's modification time.
    pub execution_date: Option<String>,
    /// Domain of the per-table scripts written for the load. Default: TECHNICAL.
    pub data_domain: Option<String>,
    /// The domain of particular tables (as pgloader names them, any case), over
    /// `data_domain`: `{patients: CLINICAL, invoices: BUSINESS}`.
    #[serde(default)]
    pub domains: BTreeMap<String, String>,
    /// Category of those scripts. Default: CORE.
    pub category: Option<String>,
}

impl CollectConfig {
    /// Reads `collect.yaml`; `None` gives the defaults.
    pub fn read(path: Option<&Path>) -> Result<CollectConfig, CollectError> {
        let Some(path) = path else {
            return Ok(CollectConfig::default());
        };
        let text = std::fs::read_to_string(path).map_err(|source| CollectError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if let Some(line) = crate::load::manifests::too_deep(&text) {
            return Err(CollectError::Config {
                path: path.to_path_buf(),
                line: Some(line),
                message: crate::load::manifests::depth_message(),
            });
        }
        let mut config: CollectConfig =
            serde_yaml::from_str(&text).map_err(|e| CollectError::Config {
                path: path.to_path_buf(),
                line: e.location().map(|l| l.line()),
                message: e.to_string(),
            })?;
        config.base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let patterns = [&config.source, &config.target]
            .into_iter()
            .flat_map(|side| {
                side.schemas
                    .include
                    .iter()
                    .chain(&side.schemas.exclude)
                    .chain(&side.tables.include)
                    .chain(&side.tables.exclude)
            });
        for pattern in patterns {
            Glob::new(pattern).map_err(|e| CollectError::Config {
                path: path.to_path_buf(),
                line: line_of(&text, pattern),
                message: format!("{pattern:?} is not a valid glob: {e}"),
            })?;
        }
        if config.connect_timeout == Some(0) {
            return Err(CollectError::Config {
                path: path.to_path_buf(),
                line: line_of(&text, "connect_timeout"),
                message: "connect_timeout must be at least 1 second".into(),
            });
        }
        if config.batch_rows == Some(0) {
            return Err(CollectError::Config {
                path: path.to_path_buf(),
                line: line_of(&text, "batch_rows"),
                message: "batch_rows must be at least 1".into(),
            });
        }
        Ok(config)
    }

    pub fn connect_timeout(&self) -> std::time::Duration {
        self.connect_timeout
            .map_or(super::db::CONNECT_TIMEOUT, std::time::Duration::from_secs)
    }

    pub fn batch_rows(&self) -> usize {
        self.batch_rows.unwrap_or(100_000)
    }

    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base.join(path)
        }
    }
}

fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::Query;

    /// Found by an independent check: `SELECT ...; -- comment` failed on PostgreSQL once
    /// read inside a subquery.
    #[test]
    fn a_query_ends_before_its_semicolon_and_comments() {
        let sql = |text: &str| Query::Sql(text.into()).sql().to_string();
        assert_eq!(sql("SELECT 1;"), "SELECT 1");
        assert_eq!(sql("SELECT 1; -- mappings"), "SELECT 1");
        assert_eq!(sql("SELECT 1;\n-- one\n  -- two\n"), "SELECT 1");
        assert_eq!(sql("SELECT 1 -- no semicolon"), "SELECT 1 -- no semicolon");
        assert_eq!(sql("SELECT 'a; -- b'"), "SELECT 'a; -- b'");
        assert_eq!(sql("SELECT 1;;"), "SELECT 1");
    }
}
