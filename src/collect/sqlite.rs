//! SQLite through `rusqlite` (SQLite compiled in). The file is opened read-only, so a
//! mistyped path is an error rather than a new empty database, and read in one transaction.

use super::config::Patterns;
use super::db::{
    query_error, query_failed, BatchSink, Batcher, ColumnInfo, Database, DbUrl, TableRef,
    NOT_A_QUERY,
};
use super::CollectError;

pub struct Sqlite {
    url: DbUrl,
    conn: rusqlite::Connection,
}

impl Sqlite {
    /// The entries of `sqlite_master` the condition `kinds` selects, by name.
    fn listed(&mut self, kinds: &str) -> Result<Vec<TableRef>, CollectError> {
        let sql = format!("SELECT name FROM sqlite_master WHERE {kinds} ORDER BY name");
        Ok(self
            .rows(&sql, None)?
            .into_iter()
            .map(|r| TableRef {
                schema: None,
                shown: r[0].clone(),
                name: r[0].clone(),
                only: false,
                inheritance: Vec::new(),
            })
            .collect())
    }

    pub fn connect(url: &DbUrl) -> Result<Sqlite, CollectError> {
        let path = url.path.clone().unwrap_or_default();
        let connect_error = |message: String| url.connect_error(&message);
        if !path.is_file() {
            return Err(connect_error(format!(
                "{}: no such database file",
                path.display()
            )));
        }
        let conn = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| connect_error(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(15))
            .and_then(|()| conn.execute_batch("BEGIN"))
            .and_then(|()| {
                // The MD5 slices the pushdown digests sum, as PostgreSQL and MySQL compute
                // them with their own md5().
                add_function(&conn, "migcov_md5_slice", 2, |ctx| {
                    let text: String = ctx.get(0)?;
                    let slice: i64 = ctx.get(1)?;
                    Ok(super::pushdown::md5_slice(
                        &text,
                        slice.clamp(0, 3) as usize,
                    ))
                })
            })
            .and_then(|()| {
                // The MD5 (hex) of an integer's decimal text or of a text's bytes, as
                // PostgreSQL and MySQL compute it with their md5() for the content's ranges
                // (`collect::intact`); NULL for any other value.
                add_function(&conn, "migcov_md5", 1, |ctx| {
                    use md5::Digest as _;
                    use rusqlite::types::ValueRef;
                    let digest = |bytes: &[u8]| {
                        md5::Md5::digest(bytes)
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect::<String>()
                    };
                    Ok(match ctx.get_raw(0) {
                        ValueRef::Integer(n) => Some(digest(n.to_string().as_bytes())),
                        ValueRef::Text(bytes) => Some(digest(bytes)),
                        _ => None,
                    })
                })
            })
            .and_then(|()| {
                // The first 15 hex digits of the MD5 of a text's bytes as a number, as
                // PostgreSQL and MySQL compute a text key's number (`collect::intact`).
                add_function(&conn, "migcov_md5_number", 1, |ctx| {
                    use md5::Digest as _;
                    use rusqlite::types::ValueRef;
                    let number = |bytes: &[u8]| {
                        let digest = md5::Md5::digest(bytes);
                        let mut first = [0u8; 8];
                        first.copy_from_slice(&digest[..8]);
                        // 60 bits: the first 15 hex digits of 16.
                        (u64::from_be_bytes(first) >> 4) as i64
                    };
                    Ok(match ctx.get_raw(0) {
                        ValueRef::Integer(n) => Some(number(n.to_string().as_bytes())),
                        ValueRef::Text(bytes) => Some(number(bytes)),
                        _ => None,
                    })
                })
            })
            .and_then(|()| {
                // The hex digits of a text in lower case, which `collect::reduce` groups
                // modern ids by, as PostgreSQL and MySQL compute it with regexp_replace.
                add_function(&conn, "migcov_hex", 1, |ctx| {
                    use rusqlite::types::ValueRef;
                    Ok(match ctx.get_raw(0) {
                        ValueRef::Null => None,
                        ValueRef::Integer(i) => Some(super::reduce::hex_digits(&i.to_string())),
                        ValueRef::Real(f) => Some(super::reduce::hex_digits(&f.to_string())),
                        ValueRef::Text(t) | ValueRef::Blob(t) => {
                            Some(super::reduce::hex_digits(&String::from_utf8_lossy(t)))
                        }
                    })
                })
            })
            .and_then(|()| {
                // Whether a value reaches the loader as the engine holds it: an integer,
                // or text that is UTF-8 (other text is changed by the client's lossy
                // decoding), for `collect::reduce`.
                add_function(&conn, "migcov_utf8", 1, |ctx| {
                    use rusqlite::types::ValueRef;
                    Ok(match ctx.get_raw(0) {
                        ValueRef::Integer(_) => 1,
                        ValueRef::Text(t) => std::str::from_utf8(t).is_ok() as i64,
                        _ => 0,
                    })
                })
            })
            .and_then(|()| {
                // The loader's JSON test, for `collect::reduce`.
                add_function(&conn, "migcov_json_ok", 1, |ctx| {
                    use rusqlite::types::ValueRef;
                    Ok(match ctx.get_raw(0) {
                        ValueRef::Text(t) => {
                            std::str::from_utf8(t).is_ok_and(super::reduce::json_ok) as i64
                        }
                        _ => 0,
                    })
                })
            })
            .map_err(|e| connect_error(e.to_string()))?;
        Ok(Sqlite {
            url: url.clone(),
            conn,
        })
    }
}

/// Adds a deterministic SQL function of `arity` UTF-8 arguments to the connection.
fn add_function<T: rusqlite::ToSql>(
    conn: &rusqlite::Connection,
    name: &str,
    arity: i32,
    function: impl Fn(&rusqlite::functions::Context<'_>) -> rusqlite::Result<T> + Send + 'static,
) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        name,
        arity,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8
            | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        function,
    )
}

fn text(value: rusqlite::types::ValueRef<'_>) -> Option<String> {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        // Bytes that are no UTF-8 are marked and kept whole: read lossily, two different
        // byte strings would be one text.
        ValueRef::Text(t) => Some(match std::str::from_utf8(t) {
            Ok(text) => text.to_string(),
            Err(_) => format!(
                "\u{0}hex:{}",
                t.iter().map(|x| format!("{x:02x}")).collect::<String>()
            ),
        }),
        ValueRef::Blob(b) => Some(b.iter().map(|x| format!("{x:02x}")).collect()),
    }
}

impl Database for Sqlite {
    fn url(&self) -> &DbUrl {
        &self.url
    }

    fn version(&mut self) -> Result<String, CollectError> {
        Ok(format!("SQLite {}", rusqlite::version()))
    }

    fn tables(&mut self, _schemas: &Patterns) -> Result<Vec<TableRef>, CollectError> {
        self.listed("type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    }

    fn views(&mut self, _schemas: &Patterns) -> Result<Vec<TableRef>, CollectError> {
        self.listed("type = 'view'")
    }

    fn columns(&mut self, table: &TableRef) -> Result<Vec<ColumnInfo>, CollectError> {
        let sql = format!(
            "SELECT name, type FROM pragma_table_info({}) ORDER BY cid",
            self.literal(&table.name)
        );
        self.column_infos(&sql, Some(&table.shown))
    }

    fn primary_key(&mut self, table: &TableRef) -> Result<Vec<String>, CollectError> {
        // A rowid table without a declared key has none here: its rowid is not a key the
        // migration could have carried, so it is reported rather than guessed.
        let sql = format!(
            "SELECT name FROM pragma_table_info({}) WHERE pk > 0 ORDER BY pk",
            self.literal(&table.name)
        );
        self.first_column(&sql, Some(&table.shown))
    }

    fn stream(
        &mut self,
        sql: &str,
        table: Option<&str>,
        batch_rows: usize,
        sink: &mut BatchSink<'_>,
    ) -> Result<u64, CollectError> {
        let error = query_failed::<rusqlite::Error>(&self.url, sql, table);
        let mut statement = self.conn.prepare(sql).map_err(&error)?;
        let header: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        let width = header.len();
        let Some(mut batcher) = Batcher::new(header, batch_rows, sink) else {
            return Err(query_error(&self.url, sql, table, NOT_A_QUERY));
        };
        let mut rows = statement.query([]).map_err(&error)?;
        while let Some(row) = rows.next().map_err(&error)? {
            let values = (0..width)
                .map(|i| row.get_ref(i).map(text))
                .collect::<Result<Vec<_>, _>>()
                .map_err(&error)?;
            batcher.push(values)?;
        }
        batcher.finish()
    }
}
