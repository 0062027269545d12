//! Housekeeping in the background: forgetting stored idempotent responses
//! (they hold query codes in clear) and stale login failures. Both are plain
//! deletes of expired rows, harmless if several instances run them at once.

use crate::auth::throttle;
use crate::db::{self, Db};
use crate::domain::time;
use crate::service::cases::IDEMPOTENCY_WINDOW;
use crate::service::limits;

/// How often housekeeping runs.
pub const MAINTENANCE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Starts the housekeeping loop on the current runtime.
pub fn spawn(db: Db) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(MAINTENANCE_INTERVAL);
        loop {
            interval.tick().await;
            let now = time::now_utc();
            let result = db
                .write(move |conn| {
                    let keys = db::idempotency::purge(conn, now - IDEMPOTENCY_WINDOW)?;
                    let failures = db::login_failures::purge(conn, now - throttle::WINDOW)?;
                    let public = db::public_requests::purge(conn, now - limits::LONGEST_WINDOW)?;
                    Ok((keys, failures + public))
                })
                .await;
            match result {
                Ok((keys, failures)) => tracing::debug!(keys, failures, "housekeeping done"),
                Err(error) => tracing::warn!(%error, "housekeeping failed"),
            }
        }
    });
}
