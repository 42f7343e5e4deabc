//! One connection to one database, whatever its kind: the URL (parsed, with the password
//! held apart and never shown), and the [`Database`] trait the three drivers implement.
//! Everything above this file speaks to a database only through that trait.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::CollectError;

/// Which engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Postgresql,
    Mysql,
    Sqlite,
}

/// A parsed database URL. `shown` is what every message, log and file says: the URL without
/// its password. The password itself is only handed to the driver.
#[derive(Clone)]
pub struct DbUrl {
    pub kind: Kind,
    pub shown: String,
    pub host: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub database: Option<String>,
    /// A Unix socket folder (PostgreSQL `?host=/run/postgresql`) or file (MySQL `?socket=`).
    pub socket: Option<String>,
    /// SQLite: the database file.
    pub path: Option<PathBuf>,
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password, even in a debug print.
        f.write_str(&self.shown)
    }
}

impl DbUrl {
    /// Parses `postgresql://`, `postgres://`, `mysql://`, `mariadb://` and `sqlite://PATH`.
    /// A password missing from the URL is taken from `password_file` (its first line), else
    /// the engine's usual variable (`PGPASSWORD` or `~/.pgpass`; `MYSQL_PWD`).
    pub fn parse(text: &str, password_file: Option<&Path>) -> Result<DbUrl, CollectError> {
        let bad = |message: String| CollectError::Url {
            url: shown_without_password(text),
            message,
        };
        if let Some(rest) = text.strip_prefix("sqlite://") {
            let rest = rest.split('?').next().unwrap_or(rest);
            if rest.is_empty() {
                return Err(bad("expected sqlite://PATH".into()));
            }
            return Ok(DbUrl {
                kind: Kind::Sqlite,
                // Without its parameters: `?password=` may follow the path.
                shown: format!("sqlite://{rest}"),
                host: String::new(),
                port: None,
                user: None,
                password: None,
                database: None,
                socket: None,
                path: Some(PathBuf::from(rest)),
            });
        }
        let url = url::Url::parse(text).map_err(|e| bad(e.to_string()))?;
        let kind = match url.scheme() {
            "postgresql" | "postgres" => Kind::Postgresql,
            "mysql" | "mariadb" => Kind::Mysql,
            other => {
                return Err(bad(format!(
                    "unknown scheme {other:?}: expected postgresql://, mysql:// or sqlite://"
                )))
            }
        };
        let decode = |s: &str| {
            percent_decode(s).map_err(|_| bad("the URL is not valid percent-encoded UTF-8".into()))
        };
        let mut user = (!url.username().is_empty())
            .then(|| decode(url.username()))
            .transpose()?;
        let mut database = url
            .path()
            .strip_prefix('/')
            .filter(|d| !d.is_empty())
            .map(decode)
            .transpose()?;
        let mut socket = None;
        // libpq also takes the password as a parameter (`?password=...`): it is used like
        // one in the user part, and shown nowhere (`shown_without_password`).
        let mut in_query = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "host" | "socket" => socket = Some(value.into_owned()),
                "password" => in_query = Some(value.into_owned()),
                // libpq's `?user=` and `?dbname=`, where the URL's own parts are empty: the
                // user was ignored, and `postgres` connected instead (found by an
                // independent check).
                "user" if user.is_none() => user = Some(value.into_owned()),
                "dbname" if database.is_none() => database = Some(value.into_owned()),
                _ => {}
            }
        }
        let host = url.host_str().unwrap_or("").to_string();
        let port = url.port();
        let mut password = url.password().map(decode).transpose()?.or(in_query);
        if password.is_none() {
            password = match password_file {
                Some(file) => Some(read_password_file(file)?),
                None => from_environment(kind, &host, port, database.as_deref(), user.as_deref()),
            };
        }
        Ok(DbUrl {
            kind,
            shown: shown_without_password(text),
            host,
            port,
            user,
            password,
            database,
            socket,
            path: None,
        })
    }

    /// Whether two URLs name the same database (of the same server), whoever connects.
    pub fn same_database(&self, other: &DbUrl) -> bool {
        self.kind == other.kind
            && self.host == other.host
            && self.port == other.port
            && self.socket == other.socket
            && self.database == other.database
            && self.path == other.path
    }

    /// Removes the password from a driver's message, should a driver ever echo it.
    pub fn scrub(&self, message: &str) -> String {
        match &self.password {
            Some(p) if !p.is_empty() => message.replace(p.as_str(), "***"),
            _ => message.to_string(),
        }
    }

    /// A failure to connect, naming the server; the driver's message without the password.
    pub fn connect_error(&self, message: &str) -> CollectError {
        CollectError::Connect {
            server: self.shown.clone(),
            message: self.scrub(message),
        }
    }
}

fn percent_decode(text: &str) -> Result<String, std::str::Utf8Error> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
}

/// The URL as it may be shown: scheme, user, host, port, database; never the password.
pub fn shown_without_password(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) => {
            let _ = url.set_password(None);
            // A password given as a parameter (libpq's `?password=`) goes too, whatever its
            // case, and so does the query string when it cannot be read back safely.
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("password"))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            if url.query().is_some() {
                url.set_query(None);
                if !kept.is_empty() {
                    url.query_pairs_mut().extend_pairs(kept);
                }
            }
            url.to_string()
        }
        // A SQLite URL is a path; its parameters may hold a password.
        Err(_) if text.starts_with("sqlite://") => {
            text.split('?').next().unwrap_or(text).to_string()
        }
        // Unparseable: show only the scheme, as the rest may hold a password.
        Err(_) => match text.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "(an unreadable URL)".to_string(),
        },
    }
}

fn read_password_file(path: &Path) -> Result<String, CollectError> {
    let text = std::fs::read_to_string(path).map_err(|source| CollectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(text.lines().next().unwrap_or("").to_string())
}

fn from_environment(
    kind: Kind,
    host: &str,
    port: Option<u16>,
    database: Option<&str>,
    user: Option<&str>,
) -> Option<String> {
    match kind {
        Kind::Postgresql => std::env::var("PGPASSWORD")
            .ok()
            .or_else(|| pgpass(host, port.unwrap_or(5432), database, user)),
        Kind::Mysql => std::env::var("MYSQL_PWD").ok(),
        Kind::Sqlite => None,
    }
}

/// Looks the password up in `PGPASSFILE` or `~/.pgpass`, as libpq does:
/// `host:port:database:user:password`, `*` matching anything.
fn pgpass(host: &str, port: u16, database: Option<&str>, user: Option<&str>) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let port = port.to_string();
    let wanted = [
        host,
        port.as_str(),
        database.unwrap_or("postgres"),
        user.unwrap_or("postgres"),
    ];
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let fields = split_pgpass(line);
            if fields.len() != 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want);
            matches.then(|| fields[4].clone())
        })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("one field").push(next);
                }
            }
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

/// A table as a database names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableRef {
    /// The schema (PostgreSQL), database (MySQL) or none (SQLite).
    pub schema: Option<String>,
    pub name: String,
    /// The name the data folder uses: bare in the default schema, else `schema.name`.
    pub shown: String,
    /// A PostgreSQL table that other tables inherit from: read as `ONLY` it, since its
    /// `count(*)` and its rows would include its children's, which are listed as tables of
    /// their own ([`settle_inheritance`]). (A partitioned table holds no rows but its
    /// partitions', which are not listed: it is read whole.)
    pub only: bool,
    /// A PostgreSQL table's inheritance below it, every level: (child, its parent), each as
    /// [`TableRef::shown`] names it. Empty for every other table.
    pub inheritance: Vec<(String, String)>,
}

/// Sets [`TableRef::only`] for the tables read (`tables`, after every filter): a table is
/// read whole when none of its descendants is read as a table of its own (their rows are
/// counted in it), as `ONLY` itself when every descendant not read is reached only through
/// one that is. A table with both is refused, naming it and one of each: read as `ONLY`
/// it, the rows of the child not read were lost; read whole, a read child's rows were
/// counted twice (found by an independent check). So is a table not read that two tables
/// read would each count (a child of two parents). Every table is settled; the first
/// problem is returned.
pub fn settle_inheritance(tables: &mut [TableRef]) -> Result<(), String> {
    let read: std::collections::BTreeSet<String> = tables.iter().map(|t| t.shown.clone()).collect();
    let mut problem = None;
    // Each table not read, and the table read that counts its rows.
    let mut counted_in: BTreeMap<String, String> = BTreeMap::new();
    for table in tables.iter_mut().filter(|t| !t.inheritance.is_empty()) {
        let (mut unread, mut own) = (Vec::new(), Vec::new());
        let mut next = vec![table.shown.clone()];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(parent) = next.pop() {
            for (child, _) in table.inheritance.iter().filter(|(_, p)| *p == parent) {
                if !seen.insert(child.clone()) {
                    continue;
                }
                match read.contains(child) {
                    true => own.push(child.clone()),
                    false => {
                        unread.push(child.clone());
                        next.push(child.clone());
                    }
                }
            }
        }
        table.only = match (own.first(), unread.first()) {
            (Some(own), Some(unread)) => {
                problem.get_or_insert(format!(
                    "table `{}` inherits to `{own}`, read as a table of its own, and to \
                     `{unread}`, not read (its schema or the table left out): neither its count \
                     with its children nor without them is its rows alone; read both or neither",
                    table.shown
                ));
                true
            }
            (Some(_), None) => true,
            (None, _) => {
                for child in &unread {
                    if let Some(other) = counted_in.insert(child.clone(), table.shown.clone()) {
                        problem.get_or_insert(format!(
                            "table `{child}`, not read, inherits from `{other}` and from `{}`, \
                             both read whole: its rows would be counted in both; read it as a \
                             table of its own, or leave one of them out",
                            table.shown
                        ));
                    }
                }
                false
            }
        };
    }
    match problem {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

/// A column of a table, with its type as the database spells it.
#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: String,
}

/// Rows of a result, column by column, every value as text (`None` for NULL).
pub type Columns = Vec<Vec<Option<String>>>;

/// What a batch consumer is handed: the column names and one batch of values.
pub type BatchSink<'a> = dyn FnMut(&[String], Columns) -> Result<(), CollectError> + 'a;

/// A query's failure, naming the server (without its password), the table and the query.
pub fn query_error(url: &DbUrl, sql: &str, table: Option<&str>, message: &str) -> CollectError {
    CollectError::Query {
        server: url.shown.clone(),
        table: table.map(str::to_string),
        query: sql.to_string(),
        message: url.scrub(message),
    }
}

/// Turns a driver's error into [`query_error`] with the driver's own message.
pub fn query_failed<'q, E: std::fmt::Display>(
    url: &'q DbUrl,
    sql: &'q str,
    table: Option<&'q str>,
) -> impl Fn(E) -> CollectError + 'q {
    move |e| query_error(url, sql, table, &e.to_string())
}

/// Gathers a result's rows into column batches of at most `batch_rows` and hands each full
/// batch to the sink; an empty result still hands over one empty batch, so the file gets
/// its header.
pub struct Batcher<'s, 'a> {
    header: Vec<String>,
    columns: Columns,
    batch_rows: usize,
    sink: &'s mut BatchSink<'a>,
    total: u64,
}

impl<'s, 'a> Batcher<'s, 'a> {
    /// `None` when the statement has no columns: it is not a query.
    pub fn new(
        header: Vec<String>,
        batch_rows: usize,
        sink: &'s mut BatchSink<'a>,
    ) -> Option<Self> {
        if header.is_empty() {
            return None;
        }
        Some(Batcher {
            columns: Self::fresh(header.len(), batch_rows),
            header,
            batch_rows,
            sink,
            total: 0,
        })
    }

    fn fresh(width: usize, batch_rows: usize) -> Columns {
        vec![Vec::with_capacity(batch_rows.min(65_536)); width]
    }

    /// One row's values in column order. An empty text stays an empty text, apart from
    /// NULL (a log entry whose message is '' is a log entry); the loader reads an empty
    /// number or timestamp as a missing one either way.
    pub fn push(
        &mut self,
        values: impl IntoIterator<Item = Option<String>>,
    ) -> Result<(), CollectError> {
        for (column, value) in self.columns.iter_mut().zip(values) {
            column.push(value);
        }
        self.total += 1;
        if self.columns[0].len() >= self.batch_rows {
            let full = std::mem::replace(
                &mut self.columns,
                Self::fresh(self.header.len(), self.batch_rows),
            );
            (self.sink)(&self.header, full)?;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<u64, CollectError> {
        if !self.columns[0].is_empty() || self.total == 0 {
            (self.sink)(&self.header, self.columns)?;
        }
        Ok(self.total)
    }
}

/// The message for a statement that returns no columns.
pub const NOT_A_QUERY: &str = "the statement returns no rows (is it a SELECT?)";

/// The operations collect needs from a database. Every result is text: the engine formats
/// its own values (timestamps in UTC, JSON as JSON text), and migcov's loader reads them.
pub trait Database {
    fn url(&self) -> &DbUrl;
    /// The server's own version string (PostgreSQL and MySQL both answer `version()`).
    fn version(&mut self) -> Result<String, CollectError> {
        self.scalar("SELECT version()", None)
    }
    /// Every base table, in the schemas `include`/`exclude` select.
    fn tables(&mut self, schemas: &super::config::Patterns) -> Result<Vec<TableRef>, CollectError>;
    /// Every view (and, in PostgreSQL, materialized view and foreign table), in the schemas
    /// `include`/`exclude` select: no table of the inventory, but a `content:` declaration
    /// may read one as its legacy or target table.
    fn views(&mut self, schemas: &super::config::Patterns) -> Result<Vec<TableRef>, CollectError>;
    fn columns(&mut self, table: &TableRef) -> Result<Vec<ColumnInfo>, CollectError>;
    /// The primary key's columns in key order; empty when the table has none.
    fn primary_key(&mut self, table: &TableRef) -> Result<Vec<String>, CollectError>;
    /// Quotes an identifier for this engine's SQL (standard SQL: double quotes, doubled
    /// inside).
    fn quote(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    /// A text literal in this engine's SQL (standard SQL: quotes doubled).
    fn literal(&self, text: &str) -> String {
        format!("'{}'", text.replace('\'', "''"))
    }
    /// Runs `sql` and hands its rows to `sink` in batches of at most `batch_rows`; returns
    /// the number of rows. `table` names the table for error messages.
    fn stream(
        &mut self,
        sql: &str,
        table: Option<&str>,
        batch_rows: usize,
        sink: &mut BatchSink<'_>,
    ) -> Result<u64, CollectError>;

    /// The columns a query returns, with each one's type as the engine names it, in lower
    /// case (`timestamptz`, `jsonb`, `int8` in PostgreSQL; `timestamp`, `json`, `longlong`
    /// in MySQL), or empty where the engine does not say (SQLite, whose values each carry
    /// their own type). Nothing is read.
    fn result_types(&mut self, sql: &str) -> Result<Vec<(String, String)>, CollectError> {
        let mut names = Vec::new();
        self.stream(
            &format!("SELECT * FROM (\n{sql}\n) migcov_q WHERE 1 = 0"),
            None,
            1,
            &mut |header, _| {
                names = header.to_vec();
                Ok(())
            },
        )?;
        Ok(names.into_iter().map(|n| (n, String::new())).collect())
    }

    /// `schema.table`, quoted.
    fn qualified(&self, table: &TableRef) -> String {
        match &table.schema {
            Some(schema) => format!("{}.{}", self.quote(schema), self.quote(&table.name)),
            None => self.quote(&table.name),
        }
    }

    /// The table as a `FROM` clause reads its own rows: [`Self::qualified`], after `ONLY`
    /// for a PostgreSQL table that others inherit from ([`TableRef::only`]).
    fn rows_of(&self, table: &TableRef) -> String {
        match table.only {
            true => format!("ONLY {}", self.qualified(table)),
            false => self.qualified(table),
        }
    }

    /// The exact `count(*)` of a table (never a planner estimate).
    fn count(&mut self, table: &TableRef) -> Result<u64, CollectError> {
        let sql = format!("SELECT count(*) AS n FROM {}", self.rows_of(table));
        let value = self.scalar(&sql, Some(&table.shown))?;
        value.trim().parse::<u64>().map_err(|_| {
            self.query_error(&sql, Some(&table.shown), format!("count(*) gave {value:?}"))
        })
    }

    /// Whether a `SELECT count(*) ...` statement counts nothing.
    fn counts_nothing(&mut self, sql: &str, table: Option<&str>) -> Result<bool, CollectError> {
        Ok(self.scalar(sql, table)?.trim() == "0")
    }

    /// The first value of the first row.
    fn scalar(&mut self, sql: &str, table: Option<&str>) -> Result<String, CollectError> {
        let mut value = None;
        self.stream(sql, table, 1, &mut |_, columns| {
            if value.is_none() {
                value = columns
                    .first()
                    .and_then(|c| c.first())
                    .cloned()
                    .flatten()
                    .or(Some(String::new()));
            }
            Ok(())
        })?;
        Ok(value.unwrap_or_default())
    }

    fn query_error(&self, sql: &str, table: Option<&str>, message: String) -> CollectError {
        query_error(self.url(), sql, table, &message)
    }

    /// The first column of a small result.
    fn first_column(
        &mut self,
        sql: &str,
        table: Option<&str>,
    ) -> Result<Vec<String>, CollectError> {
        Ok(self
            .rows(sql, table)?
            .into_iter()
            .map(|mut r| r.swap_remove(0))
            .collect())
    }

    /// `(name, type)` rows as columns.
    fn column_infos(
        &mut self,
        sql: &str,
        table: Option<&str>,
    ) -> Result<Vec<ColumnInfo>, CollectError> {
        Ok(self
            .rows(sql, table)?
            .into_iter()
            .map(|r| ColumnInfo {
                name: r[0].clone(),
                data_type: r[1].clone(),
            })
            .collect())
    }

    /// A small result (catalogue queries) as rows of text, NULL as empty.
    fn rows(&mut self, sql: &str, table: Option<&str>) -> Result<Vec<Vec<String>>, CollectError> {
        let mut rows = Vec::new();
        self.stream(sql, table, 10_000, &mut |_, columns| {
            let height = columns.first().map_or(0, Vec::len);
            for i in 0..height {
                rows.push(
                    columns
                        .iter()
                        .map(|c| c[i].clone().unwrap_or_default())
                        .collect(),
                );
            }
            Ok(())
        })?;
        Ok(rows)
    }
}

/// How long a server may take to accept a connection and answer its handshake, unless
/// collect.yaml says `connect_timeout`.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens a connection of the URL's kind, inside one read-only snapshot transaction where
/// the engine has one, so counts, ids and mappings are read at the same instant. A server
/// that accepts the connection but never answers is an error after `timeout`, never a
/// hang: the handshake runs on its own thread.
pub fn connect(
    url: &DbUrl,
    timeout: std::time::Duration,
) -> Result<Box<dyn Database>, CollectError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let url_for_thread = url.clone();
    std::thread::spawn(move || {
        let _ = sender.send(connect_now(&url_for_thread));
    });
    match receiver.recv_timeout(timeout) {
        Ok(result) => result.map(|db| db as Box<dyn Database>),
        Err(_) => Err(CollectError::Connect {
            server: url.shown.clone(),
            message: format!(
                "no answer within {} s (is it a database server of this kind?)",
                timeout.as_secs()
            ),
        }),
    }
}

fn connect_now(url: &DbUrl) -> Result<Box<dyn Database + Send>, CollectError> {
    match url.kind {
        Kind::Postgresql => Ok(Box::new(super::postgres::Postgres::connect(url)?)),
        Kind::Mysql => Ok(Box::new(super::mysql::Mysql::connect(url)?)),
        Kind::Sqlite => Ok(Box::new(super::sqlite::Sqlite::connect(url)?)),
    }
}

/// The table name as the data folder writes it: bare in the connection's default schema.
pub fn shown_name(schema: Option<&str>, name: &str, default_schema: Option<&str>) -> String {
    match schema {
        Some(s) if Some(s) != default_schema => format!("{s}.{name}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let url = DbUrl::parse("postgresql://ana:s%3Acret@db.example:5433/legacy", None).unwrap();
        assert_eq!(url.shown, "postgresql://ana@db.example:5433/legacy");
        assert_eq!(url.password.as_deref(), Some("s:cret"));
        assert_eq!(url.database.as_deref(), Some("legacy"));
        assert_eq!(format!("{url:?}"), url.shown);
        assert_eq!(url.scrub("auth failed for s:cret"), "auth failed for ***");
        let err = DbUrl::parse("ftp://u:pw@h/x", None)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("pw"), "{err}");
    }

    #[test]
    fn a_password_in_the_query_string_is_used_and_never_shown() {
        let url = DbUrl::parse(
            "postgresql://ana@db.example/legacy?sslmode=disable&password=s%26cret&Password=x",
            None,
        )
        .unwrap();
        assert_eq!(url.password.as_deref(), Some("s&cret"));
        assert_eq!(
            url.shown,
            "postgresql://ana@db.example/legacy?sslmode=disable"
        );
        let only = DbUrl::parse("postgresql://db.example/legacy?password=hunter2", None).unwrap();
        let named = DbUrl::parse(
            "postgresql://127.0.0.1:5432?user=we%3Aird&dbname=legacy&password=x",
            None,
        )
        .unwrap();
        assert_eq!(
            (named.user.as_deref(), named.database.as_deref()),
            (Some("we:ird"), Some("legacy"))
        );
        let first = DbUrl::parse("postgresql://ana@db/legacy?user=bob&dbname=other", None).unwrap();
        assert_eq!(
            (first.user.as_deref(), first.database.as_deref()),
            (Some("ana"), Some("legacy"))
        );
        assert_eq!(only.shown, "postgresql://db.example/legacy");
        assert_eq!(format!("{only:?}"), only.shown);
        let sqlite = DbUrl::parse("sqlite:///tmp/x.db?password=hunter2", None).unwrap();
        assert_eq!(sqlite.shown, "sqlite:///tmp/x.db");
        assert!(!shown_without_password("sqlite://x y?password=hunter2").contains("hunter2"));
        let err = DbUrl::parse("ftp://h/x?password=hunter2", None)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn sqlite_urls_name_a_file() {
        let url = DbUrl::parse("sqlite:///tmp/legacy.db", None).unwrap();
        assert_eq!(url.kind, Kind::Sqlite);
        assert_eq!(url.path.as_deref(), Some(Path::new("/tmp/legacy.db")));
        let url = DbUrl::parse("sqlite://legacy.db", None).unwrap();
        assert_eq!(url.path.as_deref(), Some(Path::new("legacy.db")));
    }

    #[test]
    fn pgpass_fields_unescape() {
        assert_eq!(
            split_pgpass(r"h:5432:*:u:p\:w\\d"),
            vec!["h", "5432", "*", "u", r"p:w\d"]
        );
    }
}
