//! Small tables every request needs — the working-day calendar and the
//! channels — kept in memory. They change a few times a year, by an admin:
//! this instance drops its copy at once; other instances reload within
//! [`TTL`].

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use diesel::QueryResult;

use super::DbConnection;

/// How long another instance may go on using a copy an admin changed.
pub const TTL: Duration = Duration::from_secs(60);

/// One cached value.
#[derive(Debug)]
pub struct Cached<T> {
    loaded: RwLock<Option<(Arc<T>, Instant)>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached { loaded: RwLock::new(None) }
    }
}

impl<T> Cached<T> {
    /// The value, loaded through `conn` when missing or older than the TTL.
    pub fn get(
        &self,
        conn: &mut DbConnection,
        load: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
    ) -> QueryResult<Arc<T>> {
        if let Some((value, at)) = self.loaded.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if at.elapsed() < TTL {
                return Ok(value.clone());
            }
        }
        let value = Arc::new(load(conn)?);
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = Some((value.clone(), Instant::now()));
        Ok(value)
    }

    /// Forgets the value (after a change).
    pub fn invalidate(&self) {
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
