//! A database of its own per test case on each engine of `scripts/test`.

use super::servers;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Engine {
    Sqlite,
    Postgres,
    Maria,
}

/// A database of its own for one case: its URL, and how to run SQL there.
pub struct Db {
    pub engine: Engine,
    pub url: String,
    pub name: String,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    pub fn new(engine: Engine, tag: &str) -> Db {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("migcov_pp_{tag}_{}_{n}", std::process::id());
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("legacy.db");
                rusqlite::Connection::open(&path).unwrap();
                Db {
                    engine,
                    url: format!("sqlite://{}", path.display()),
                    name,
                    _dir: Some(dir),
                }
            }
            Engine::Postgres => {
                let admin = &servers().pg;
                let mut c = postgres::Client::connect(admin, postgres::NoTls).unwrap();
                c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .unwrap();
                c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                let (base, _) = admin.rsplit_once('/').unwrap();
                Db {
                    engine,
                    url: format!("{base}/{name}"),
                    name,
                    _dir: None,
                }
            }
            Engine::Maria => {
                use mysql::prelude::Queryable;
                let admin = &servers().mysql;
                let mut c = mysql::Conn::new(mysql::Opts::from_url(admin).unwrap()).unwrap();
                c.query_drop(format!("DROP DATABASE IF EXISTS {name}"))
                    .unwrap();
                // The server's default collation: case- and accent-insensitive.
                c.query_drop(format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
                    .unwrap();
                let (base, _) = admin.rsplit_once('/').unwrap();
                Db {
                    engine,
                    url: format!("{base}/{name}"),
                    name,
                    _dir: None,
                }
            }
        }
    }

    pub fn run(&self, sql: &str) {
        match self.engine {
            Engine::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").unwrap();
                rusqlite::Connection::open(path)
                    .unwrap()
                    .execute_batch(sql)
                    .unwrap_or_else(|e| panic!("{e}: {sql}"));
            }
            Engine::Postgres => postgres::Client::connect(&self.url, postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap_or_else(|e| panic!("{e}: {sql}")),
            Engine::Maria => {
                use mysql::prelude::Queryable;
                let mut c = mysql::Conn::new(mysql::Opts::from_url(&self.url).unwrap()).unwrap();
                for statement in sql.split(";\n").filter(|s| !s.trim().is_empty()) {
                    c.query_drop(statement)
                        .unwrap_or_else(|e| panic!("{e}: {statement}"));
                }
            }
        }
    }

    /// A text literal, escaped for this engine.
    pub fn literal(&self, text: &str) -> String {
        match self.engine {
            Engine::Maria => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''")),
            _ => format!("'{}'", text.replace('\'', "''")),
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        match self.engine {
            Engine::Sqlite => {}
            Engine::Postgres => {
                if let Ok(mut c) = postgres::Client::connect(&servers().pg, postgres::NoTls) {
                    let _ = c.batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ));
                }
            }
            Engine::Maria => {
                use mysql::prelude::Queryable;
                if let Ok(mut c) = mysql::Opts::from_url(&servers().mysql)
                    .map_err(mysql::Error::from)
                    .and_then(mysql::Conn::new)
                {
                    let _ = c.query_drop(format!("DROP DATABASE IF EXISTS {}", self.name));
                }
            }
        }
    }
}
