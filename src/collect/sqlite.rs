//! SQLite through `rusqlite` (SQLite compiled in). The file is opened read-only, so a
//! mistyped path is an error rather than a new empty database, and read in one transaction.

use super::config::Patterns;
use super::db::{BatchSink, ColumnInfo, Columns, Database, DbUrl, TableRef};
use super::CollectError;

pub struct Sqlite {
    url: DbUrl,
    conn: rusqlite::Connection,
}

impl Sqlite {
    pub fn connect(url: &DbUrl) -> Result<Sqlite, CollectError> {
        let path = url.path.clone().unwrap_or_default();
        let connect_error = |message: String| CollectError::Connect {
            server: url.shown.clone(),
            message,
        };
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
            .map_err(|e| connect_error(e.to_string()))?;
        Ok(Sqlite {
            url: url.clone(),
            conn,
        })
    }

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

fn text(value: rusqlite::types::ValueRef<'_>) -> Option<String> {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
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
        let sql = "SELECT name FROM sqlite_master WHERE type = 'table' \
                   AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
        Ok(self
            .rows(sql, None)?
            .into_iter()
            .map(|r| TableRef {
                schema: None,
                shown: r[0].clone(),
                name: r[0].clone(),
            })
            .collect())
    }

    fn columns(&mut self, table: &TableRef) -> Result<Vec<ColumnInfo>, CollectError> {
        let sql = format!(
            "SELECT name, type FROM pragma_table_info({}) ORDER BY cid",
            literal(&table.name)
        );
        Ok(self
            .rows(&sql, Some(&table.shown))?
            .into_iter()
            .map(|r| ColumnInfo {
                name: r[0].clone(),
                data_type: r[1].clone(),
            })
            .collect())
    }

    fn primary_key(&mut self, table: &TableRef) -> Result<Vec<String>, CollectError> {
        // A rowid table without a declared key has none here: its rowid is not a key the
        // migration could have carried, so it is reported rather than guessed.
        let sql = format!(
            "SELECT name FROM pragma_table_info({}) WHERE pk > 0 ORDER BY pk",
            literal(&table.name)
        );
        Ok(self
            .rows(&sql, Some(&table.shown))?
            .into_iter()
            .map(|r| r[0].clone())
            .collect())
    }

    fn quote(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    fn stream(
        &mut self,
        sql: &str,
        table: Option<&str>,
        batch_rows: usize,
        sink: &mut BatchSink<'_>,
    ) -> Result<u64, CollectError> {
        let shown = self.url.shown.clone();
        let error = |e: rusqlite::Error| CollectError::Query {
            server: shown.clone(),
            table: table.map(str::to_string),
            query: sql.to_string(),
            message: e.to_string(),
        };
        let mut statement = self.conn.prepare(sql).map_err(error)?;
        let header: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        if header.is_empty() {
            return Err(CollectError::Query {
                server: shown.clone(),
                table: table.map(str::to_string),
                query: sql.to_string(),
                message: "the statement returns no rows (is it a SELECT?)".into(),
            });
        }
        let fresh =
            || -> Columns { vec![Vec::with_capacity(batch_rows.min(65_536)); header.len()] };
        let mut columns = fresh();
        let mut total = 0u64;
        let mut rows = statement.query([]).map_err(error)?;
        while let Some(row) = rows.next().map_err(error)? {
            for (i, column) in columns.iter_mut().enumerate() {
                let value = row.get_ref(i).map_err(error)?;
                column.push(text(value).filter(|v| !v.is_empty()));
            }
            total += 1;
            if columns[0].len() >= batch_rows {
                sink(&header, std::mem::replace(&mut columns, fresh()))?;
            }
        }
        if !columns[0].is_empty() || total == 0 {
            sink(&header, columns)?;
        }
        Ok(total)
    }
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
