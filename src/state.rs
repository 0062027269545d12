//! What every request handler, page and background task can reach: the
//! database, the token keys, the settings in force, the metrics and the
//! account cache. Built once by `Application::build`; the service layer's
//! functions take it (or the part they need) as their first argument.

use std::sync::Arc;

use crate::auth::cache::UserCache;
use crate::auth::token::TokenKeys;
use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;

/// What every handler can reach.
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Token signing and checking.
    pub tokens: TokenKeys,
    /// Settings in force.
    pub settings: Arc<Settings>,
    /// Request and pool metrics.
    pub metrics: Metrics,
    /// Accounts recently checked, for the token check.
    pub users: UserCache,
}
