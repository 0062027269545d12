//! Throw-away databases for benchmarks and tests: a SQLite file in a
//! temporary folder, or a schema of its own on a PostgreSQL server, removed
//! when the [`Scratch`] is dropped.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use super::Backend;

/// A database of its own, removed on drop.
#[derive(Debug)]
pub struct Scratch {
    /// Its `DATABASE_URL`.
    pub url: String,
    place: Place,
}

#[derive(Debug)]
enum Place {
    Folder(PathBuf),
    Schema { server: String, schema: String },
}

impl Scratch {
    /// Creates an empty database of `backend`: on PostgreSQL a schema named
    /// after `tag` on the server at `pg_url` (the URL then selects it with
    /// `search_path`), on SQLite a file in a new temporary folder.
    pub fn create(backend: Backend, pg_url: &str, tag: &str) -> Result<Scratch, String> {
        // Tests create many at once in one process: the counter keeps them apart.
        static CREATED: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{tag}_{}_{}_{}",
            std::process::id(),
            CREATED.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let url = format!("sqlite://{}", dir.join("casedesk.db").display());
                Ok(Scratch { url, place: Place::Folder(dir) })
            }
            Backend::Postgres => {
                let mut conn = PgConnection::establish(pg_url)
                    .map_err(|e| format!("cannot reach PostgreSQL at {pg_url}: {e}"))?;
                conn.batch_execute(&format!("CREATE SCHEMA {name}"))
                    .map_err(|e| format!("cannot create schema {name}: {e}"))?;
                let separator = if pg_url.contains('?') { '&' } else { '?' };
                let url = format!("{pg_url}{separator}options=-csearch_path%3D{name}");
                Ok(Scratch { url, place: Place::Schema { server: pg_url.to_owned(), schema: name } })
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match &self.place {
            Place::Folder(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Place::Schema { server, schema } => {
                if let Ok(mut conn) = PgConnection::establish(server) {
                    let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            }
        }
    }
}
