//! The text indexer (issue 24): moves the cases queued at intake into the
//! text index and the 热点 counts, a batch per transaction
//! (`db::search::index_queued`). Searches never wait for it — they read the
//! queue too — so it only keeps the queue short: a few hundred milliseconds
//! of intake.

use std::time::Duration;

use crate::db::{self, Db};
use crate::error::AppError;
use crate::progress::Progress;

/// How often the indexer looks at the queue.
pub const INDEX_INTERVAL: Duration = Duration::from_millis(200);

/// Cases indexed per transaction. On SQLite the batch holds the one write
/// lock, so intake waits for it: small enough to keep that wait to
/// milliseconds, large enough that each index page and count row of a
/// batch's common terms is written once for many cases.
pub const INDEX_BATCH: i64 = 128;

/// Starts the indexer on the current runtime (with the other background
/// tasks, `CASEDESK_BACKGROUND_TASKS`; several instances may run it at once).
pub fn spawn(db: Db) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(INDEX_INTERVAL);
        loop {
            interval.tick().await;
            // Through a backlog without waiting for the next tick.
            loop {
                match db.write(|conn| Ok(db::search::index_queued(conn, INDEX_BATCH)?)).await {
                    Ok(n) if n as i64 == INDEX_BATCH => continue,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, "indexing the queued letters failed");
                        break;
                    }
                }
            }
        }
    });
}

/// Indexes every queued case (at start: cases registered while the service
/// was not running, e.g. the demo county's), with progress on standard error
/// when there are any; returns how many.
pub fn drain(db: &Db) -> Result<usize, AppError> {
    let queued = db.write_blocking(|conn| Ok(db::search::queue_length(conn)?))?;
    if queued == 0 {
        return Ok(0);
    }
    let progress = Progress::counted("indexing the letters queued for the index", queued as u64, "cases");
    let mut indexed = 0;
    loop {
        let n = db.write_blocking(|conn| Ok(db::search::index_queued(conn, 4 * INDEX_BATCH)?))?;
        if n == 0 {
            break;
        }
        indexed += n;
        progress.set(indexed as u64);
    }
    progress.finish();
    Ok(indexed)
}
