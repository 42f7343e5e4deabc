//! PostgreSQL through the `postgres` crate. Results leave the server as `COPY (query) TO
//! STDOUT` CSV, formatted by PostgreSQL itself (timestamps in UTC with their `+00`, JSON as
//! JSON text), and are read as a stream: the server never buffers a result for us and we
//! never hold more than one batch.

use std::io::Read;
use std::time::Duration;

use super::config::Patterns;
use super::db::{
    query_error, settle_inheritance, shown_name, BatchSink, Batcher, ColumnInfo, Database, DbUrl,
    TableRef, NOT_A_QUERY,
};
use super::CollectError;

pub struct Postgres {
    url: DbUrl,
    client: postgres::Client,
}

impl Postgres {
    /// The relations `sql` lists (schema, name, and its inheritance below it as a JSON
    /// array of `[schema, name, parent schema, parent name]`, or NULL), in the schemas
    /// `schemas` selects, each read whole or as `ONLY` itself ([`settle_inheritance`]).
    fn listed(&mut self, sql: &str, schemas: &Patterns) -> Result<Vec<TableRef>, CollectError> {
        let rows = self.rows(sql, None)?;
        let shown = |schema: &str, name: &str| shown_name(Some(schema), name, Some("public"));
        let mut tables: Vec<TableRef> = rows
            .into_iter()
            .filter(|r| schemas.selects(&r[0], r[0] == "public"))
            .map(|r| TableRef {
                shown: shown(&r[0], &r[1]),
                schema: Some(r[0].clone()),
                name: r[1].clone(),
                only: false,
                inheritance: serde_json::from_str::<Vec<[String; 4]>>(&r[2])
                    .unwrap_or_default()
                    .into_iter()
                    .map(|[s, n, ps, pn]| (shown(&s, &n), shown(&ps, &pn)))
                    .collect(),
            })
            .collect();
        // Settled again, with its problems, once the tables are filtered (a table left out
        // by `tables.exclude` may resolve a split): here each is read as well as it can be.
        let _ = settle_inheritance(&mut tables);
        Ok(tables)
    }

    pub fn connect(url: &DbUrl) -> Result<Postgres, CollectError> {
        let mut config = postgres::Config::new();
        match &url.socket {
            Some(dir) => {
                config.host_path(dir);
            }
            None => {
                config.host(if url.host.is_empty() {
                    "localhost"
                } else {
                    &url.host
                });
            }
        }
        config
            .port(url.port.unwrap_or(5432))
            .user(url.user.as_deref().unwrap_or("postgres"))
            .dbname(url.database.as_deref().unwrap_or("postgres"))
            .application_name("migcov collect")
            .connect_timeout(Duration::from_secs(15))
            // A server gone silent mid-stream is noticed within minutes, not hours.
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(60));
        if let Some(password) = &url.password {
            config.password(password);
        }
        let mut client = config
            .connect(postgres::NoTls)
            .map_err(|e| url.connect_error(&error_text(&e)))?;
        // One snapshot for everything read, UTC for every timestamp's text. A value's text
        // is the server's to write, so every setting that changes it is fixed here: a
        // database set to `extra_float_digits = 0` wrote doubles in 15 digits and reals in
        // 6, and `0.1 + 0.2` met 0.3 (found by an independent check); `bytea_output =
        // 'escape'` would change a bytea key's text.
        client
            .batch_execute(
                "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'iso_8601';
                 SET standard_conforming_strings = on;
                 SET extra_float_digits = 3; SET bytea_output = 'hex';
                 SET lock_timeout = '60s';
                 BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            )
            .map_err(|e| url.connect_error(&error_text(&e)))?;
        Ok(Postgres {
            url: url.clone(),
            client,
        })
    }
}

/// The server's message with its detail: `postgres::Error`'s Display is only "db error".
fn error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            text
        }
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    }
}

impl Database for Postgres {
    fn url(&self) -> &DbUrl {
        &self.url
    }

    fn tables(&mut self, schemas: &Patterns) -> Result<Vec<TableRef>, CollectError> {
        // Ordinary and partitioned tables, not their partitions (whose rows the parent's
        // count already holds), views or foreign tables.
        // An ordinary table's inheritance below it, every level, as JSON.
        let sql = "SELECT n.nspname, c.relname, \
                   CASE WHEN c.relkind = 'r' THEN (WITH RECURSIVE d(child, parent) AS \
                   (SELECT i.inhrelid, i.inhparent FROM pg_inherits i WHERE i.inhparent = c.oid \
                   UNION SELECT i.inhrelid, i.inhparent FROM pg_inherits i \
                   JOIN d ON i.inhparent = d.child) \
                   SELECT json_agg(json_build_array(cn.nspname, cc.relname, pn.nspname, pc.relname))::text \
                   FROM d JOIN pg_class cc ON cc.oid = d.child \
                   JOIN pg_namespace cn ON cn.oid = cc.relnamespace \
                   JOIN pg_class pc ON pc.oid = d.parent \
                   JOIN pg_namespace pn ON pn.oid = pc.relnamespace) END \
                   FROM pg_class c \
                   JOIN pg_namespace n ON n.oid = c.relnamespace \
                   WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
                   ORDER BY 1, 2";
        self.listed(sql, schemas)
    }

    fn views(&mut self, schemas: &Patterns) -> Result<Vec<TableRef>, CollectError> {
        let sql = "SELECT n.nspname, c.relname, NULL FROM pg_class c \
                   JOIN pg_namespace n ON n.oid = c.relnamespace \
                   WHERE c.relkind IN ('v', 'm', 'f') \
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
                   ORDER BY 1, 2";
        self.listed(sql, schemas)
    }

    fn columns(&mut self, table: &TableRef) -> Result<Vec<ColumnInfo>, CollectError> {
        let sql = format!(
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_schema = {} AND table_name = {} ORDER BY ordinal_position",
            self.literal(table.schema.as_deref().unwrap_or("public")),
            self.literal(&table.name)
        );
        let columns = self.column_infos(&sql, Some(&table.shown))?;
        if !columns.is_empty() {
            return Ok(columns);
        }
        // A materialized view has no rows in information_schema (found by an independent
        // check): its columns from the catalogue, each type named as data_type names it.
        let sql = format!(
            "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a \
             WHERE a.attrelid = {}::regclass AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            self.literal(&self.qualified(table))
        );
        self.column_infos(&sql, Some(&table.shown))
    }

    fn primary_key(&mut self, table: &TableRef) -> Result<Vec<String>, CollectError> {
        let sql = format!(
            "SELECT a.attname FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indisprimary AND i.indrelid = {}::regclass \
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
            self.literal(&self.qualified(table))
        );
        self.first_column(&sql, Some(&table.shown))
    }

    fn result_types(&mut self, sql: &str) -> Result<Vec<(String, String)>, CollectError> {
        let statement = self
            .client
            .prepare(sql)
            .map_err(|e| self.query_error(sql, None, error_text(&e)))?;
        Ok(statement
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), c.type_().name().to_lowercase()))
            .collect())
    }

    fn stream(
        &mut self,
        sql: &str,
        table: Option<&str>,
        batch_rows: usize,
        sink: &mut BatchSink<'_>,
    ) -> Result<u64, CollectError> {
        // Every value quoted: an empty text in a one-column result was an empty line, which
        // the CSV reader skips (an empty legacy id was lost), and NULL stays the bare marker.
        let mark = null_mark();
        let copy = format!(
            "COPY (\n{sql}\n) TO STDOUT WITH (FORMAT csv, HEADER true, NULL '{mark}', FORCE_QUOTE *)"
        );
        let url = self.url.clone();
        let error = |message: String| query_error(&url, sql, table, &message);
        // A failed statement aborts the snapshot transaction; nothing more is read on this
        // connection after an error anyway.
        let reader = self
            .client
            .copy_out(copy.as_str())
            .map_err(|e| error(error_text(&e)))?;
        let mut failure: Option<String> = None;
        let counted = read_csv(reader, &mark, batch_rows, sink, &mut failure);
        match (counted, failure) {
            (_, Some(message)) => Err(error(message)),
            (counted, None) => counted,
        }
    }
}

/// Reads a CSV stream (header first) into batches. A read error from the server lands in
/// `failure` so the caller can name the query.
/// What COPY writes for NULL: by default CSV writes NULL as an empty field and '' as `""`,
/// which a CSV reader cannot tell apart once the quotes are gone; a marker no value is keeps
/// a NULL a NULL and an empty text an empty text.
/// How COPY writes NULL: a text of its own per statement (128 random bits, from the
/// standard library's randomly keyed hasher), which no value of the data equals (a fixed
/// marker read a value that held it as NULL).
fn null_mark() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = || {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    };
    format!("migcov:null:{:016x}{:016x}", random(), random())
}

fn read_csv(
    reader: impl Read,
    mark: &str,
    batch_rows: usize,
    sink: &mut BatchSink<'_>,
    failure: &mut Option<String>,
) -> Result<u64, CollectError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header: Vec<String> = match csv.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => {
            *failure = Some(csv_error(e));
            return Ok(0);
        }
    };
    let Some(mut batcher) = Batcher::new(header, batch_rows, sink) else {
        *failure = Some(NOT_A_QUERY.into());
        return Ok(0);
    };
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => batcher.push(record.iter().map(|v| (v != mark).then(|| v.to_string())))?,
            Ok(false) => break,
            Err(e) => {
                *failure = Some(csv_error(e));
                return Ok(0);
            }
        }
    }
    batcher.finish()
}

fn csv_error(e: csv::Error) -> String {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => match io.get_ref() {
            Some(inner) => match inner.downcast_ref::<postgres::Error>() {
                Some(pg) => error_text(pg),
                None => inner.to_string(),
            },
            None => io.to_string(),
        },
        other => format!("{other:?}"),
    }
}
