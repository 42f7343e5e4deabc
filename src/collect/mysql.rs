//! MySQL and MariaDB through the `mysql` crate. Queries run over the text protocol, so every
//! value arrives as the server formats it; rows are read from the socket as they come
//! (`query_iter`), gathered into batches, never into one whole result.

use std::time::Duration;

use mysql::prelude::Queryable;

use super::config::Patterns;
use super::db::{
    query_error, query_failed, shown_name, BatchSink, Batcher, ColumnInfo, Database, DbUrl,
    TableRef, NOT_A_QUERY,
};
use super::CollectError;

pub struct Mysql {
    url: DbUrl,
    conn: mysql::Conn,
    database: Option<String>,
}

impl Mysql {
    /// The relations of `information_schema.tables` whose `table_type` the condition
    /// `kinds` selects, in the schemas `schemas` selects (the system schemas left out).
    fn listed(&mut self, kinds: &str, schemas: &Patterns) -> Result<Vec<TableRef>, CollectError> {
        let sql = format!(
            "SELECT table_schema, table_name FROM information_schema.tables \
             WHERE {kinds} AND table_schema NOT IN \
             ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1, 2"
        );
        let own = self.database.clone();
        let rows = self.rows(&sql, None)?;
        Ok(rows
            .into_iter()
            .filter(|r| schemas.selects(&r[0], Some(&r[0]) == own.as_ref()))
            .map(|r| TableRef {
                shown: shown_name(Some(&r[0]), &r[1], own.as_deref()),
                schema: Some(r[0].clone()),
                name: r[1].clone(),
                only: false,
                inheritance: Vec::new(),
            })
            .collect())
    }

    pub fn connect(url: &DbUrl) -> Result<Mysql, CollectError> {
        let mut opts = mysql::OptsBuilder::new()
            .ip_or_hostname(Some(if url.host.is_empty() {
                "localhost".to_string()
            } else {
                url.host.clone()
            }))
            .tcp_port(url.port.unwrap_or(3306))
            .user(url.user.clone())
            .pass(url.password.clone())
            .db_name(url.database.clone())
            .tcp_connect_timeout(Some(Duration::from_secs(15)))
            .tcp_keepalive_time_ms(Some(60_000));
        if let Some(socket) = &url.socket {
            opts = opts.socket(Some(socket.clone()));
        }
        let connect_error = |e: mysql::Error| url.connect_error(&e.to_string());
        let mut conn = mysql::Conn::new(opts).map_err(connect_error)?;
        // TIMESTAMP columns in UTC; one consistent, read-only snapshot for everything.
        // A table locked by a schema change fails the statement within a minute instead of
        // waiting forever.
        // Backslashes are escapes in string literals, as migcov writes them, whatever the
        // server's default `sql_mode` says (NO_BACKSLASH_ESCAPES would turn `\\t` in a
        // regular expression into a backslash and a `t`).
        conn.query_drop(
            "SET time_zone = '+00:00', lock_wait_timeout = 60, \
             sql_mode = REPLACE(REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', ''), \
             'PAD_CHAR_TO_FULL_LENGTH', '')",
        )
        .and_then(|()| conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        .map_err(connect_error)?;
        conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            .map_err(connect_error)?;
        let database: Option<String> = conn
            .query_first("SELECT DATABASE()")
            .map_err(connect_error)?
            .flatten();
        Ok(Mysql {
            url: url.clone(),
            conn,
            database,
        })
    }
}

/// A value as text: the text protocol gives bytes; the other variants are formatted as
/// MySQL would print them.
fn text(value: mysql::Value) -> Option<String> {
    use mysql::Value;
    match value {
        Value::NULL => None,
        Value::Bytes(bytes) => Some(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => e.into_bytes().iter().map(|b| format!("{b:02x}")).collect(),
        }),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(d) => Some(d.to_string()),
        Value::Date(y, mo, d, h, mi, s, us) => Some(format!(
            "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}"
        )),
        Value::Time(neg, days, h, mi, s, us) => Some(format!(
            "{}{:02}:{mi:02}:{s:02}.{us:06}",
            if neg { "-" } else { "" },
            u32::from(h) + days * 24
        )),
    }
}

/// A ZEROFILL number's text without its padding: `000042` is `42`, `0000` is `0`.
fn unpadded(text: String) -> String {
    let digits = text.trim_start_matches('0');
    match digits.is_empty() || digits.starts_with('.') {
        true => format!("0{digits}"),
        false => digits.to_string(),
    }
}

impl Database for Mysql {
    fn url(&self) -> &DbUrl {
        &self.url
    }

    fn tables(&mut self, schemas: &Patterns) -> Result<Vec<TableRef>, CollectError> {
        self.listed("table_type IN ('BASE TABLE', 'SYSTEM VERSIONED')", schemas)
    }

    fn views(&mut self, schemas: &Patterns) -> Result<Vec<TableRef>, CollectError> {
        self.listed("table_type = 'VIEW'", schemas)
    }

    fn columns(&mut self, table: &TableRef) -> Result<Vec<ColumnInfo>, CollectError> {
        let sql = format!(
            "SELECT column_name, column_type FROM information_schema.columns \
             WHERE table_schema = {} AND table_name = {} ORDER BY ordinal_position",
            self.literal(table.schema.as_deref().unwrap_or_default()),
            self.literal(&table.name)
        );
        self.column_infos(&sql, Some(&table.shown))
    }

    fn primary_key(&mut self, table: &TableRef) -> Result<Vec<String>, CollectError> {
        let sql = format!(
            "SELECT column_name FROM information_schema.key_column_usage \
             WHERE constraint_name = 'PRIMARY' AND table_schema = {} AND table_name = {} \
             ORDER BY ordinal_position",
            self.literal(table.schema.as_deref().unwrap_or_default()),
            self.literal(&table.name)
        );
        self.first_column(&sql, Some(&table.shown))
    }

    /// MySQL quotes identifiers with backticks (double quotes only in ANSI_QUOTES mode).
    fn quote(&self, ident: &str) -> String {
        format!("`{}`", ident.replace('`', "``"))
    }

    /// MySQL's default sql_mode reads a backslash in a literal as an escape.
    fn literal(&self, text: &str) -> String {
        format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
    }

    fn result_types(&mut self, sql: &str) -> Result<Vec<(String, String)>, CollectError> {
        let limited = format!("SELECT * FROM (\n{sql}\n) migcov_q LIMIT 0");
        let result = self
            .conn
            .query_iter(&limited)
            .map_err(query_failed(&self.url, sql, None))?;
        let types = result
            .columns()
            .as_ref()
            .iter()
            .map(|c| {
                // `MYSQL_TYPE_LONGLONG` → `longlong`; ZEROFILL pads the text, so such a
                // column is named apart.
                let name = format!("{:?}", c.column_type());
                let mut name = name.trim_start_matches("MYSQL_TYPE_").to_lowercase();
                if c.flags()
                    .contains(mysql::consts::ColumnFlags::ZEROFILL_FLAG)
                {
                    name.push_str(" zerofill");
                }
                // Character set 63 is binary: VARBINARY and BLOB values, which the client
                // writes as hex.
                let string = matches!(
                    name.as_str(),
                    "var_string"
                        | "string"
                        | "varchar"
                        | "blob"
                        | "tiny_blob"
                        | "medium_blob"
                        | "long_blob"
                );
                if string && c.character_set() == 63 {
                    name.push_str(" binary");
                }
                (c.name_str().into_owned(), name)
            })
            .collect();
        drop(result);
        Ok(types)
    }

    fn stream(
        &mut self,
        sql: &str,
        table: Option<&str>,
        batch_rows: usize,
        sink: &mut BatchSink<'_>,
    ) -> Result<u64, CollectError> {
        let error = query_failed::<mysql::Error>(&self.url, sql, table);
        let mut result = self.conn.query_iter(sql).map_err(&error)?;
        let columns = result.columns();
        let header: Vec<String> = columns
            .as_ref()
            .iter()
            .map(|c| c.name_str().into_owned())
            .collect();
        // A TIMESTAMP is an instant, given in the session's zone (UTC, set on connect): its
        // text says so, so `timezone` in migcov.yaml (meant for zone-less DATETIME text)
        // never shifts it.
        let instants: Vec<bool> = columns
            .as_ref()
            .iter()
            .map(|c| {
                use mysql::consts::ColumnType::{MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_TIMESTAMP2};
                matches!(
                    c.column_type(),
                    MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2
                )
            })
            .collect();
        // ZEROFILL pads a number's text for display (`000042`): the number is 42.
        let padded: Vec<bool> = columns
            .as_ref()
            .iter()
            .map(|c| {
                c.flags()
                    .contains(mysql::consts::ColumnFlags::ZEROFILL_FLAG)
            })
            .collect();
        let Some(mut batcher) = Batcher::new(header, batch_rows, sink) else {
            return Err(query_error(&self.url, sql, table, NOT_A_QUERY));
        };
        let mut set = result.iter().expect("a result set with columns");
        for row in set.by_ref() {
            let values = row.map_err(&error)?.unwrap().into_iter().map(text);
            batcher.push(values.zip(instants.iter().zip(&padded)).map(
                |(value, (instant, padded))| match (instant, padded) {
                    (true, _) => value.map(|v| format!("{v}+00:00")),
                    (_, true) => value.map(unpadded),
                    _ => value,
                },
            ))?;
        }
        drop(set);
        batcher.finish()
    }
}
