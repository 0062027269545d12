//! SQLite's write-ahead log, copied into the database beside the writers
//! rather than by the commit that happens to cross a threshold.

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use parking_lot::FairMutex;

use super::connection::ConnectionManager;
use super::DbConnection;

/// How often the checkpointer copies SQLite's write-ahead log into the database.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// Pages the write-ahead log may hold (4 KiB each) before the checkpointer
/// has it start over from the beginning. Measured with `casedesk bench`:
/// larger logs made each start-over longer for the writers waiting on it
/// (intake p99 96 ms at 8,192 pages, 53 at 2,048, 36–42 at 256).
const RESTART_AFTER_FRAMES: i32 = 256;

/// What `PRAGMA wal_checkpoint` reports.
#[derive(Debug, QueryableByName)]
struct WalCheckpoint {
    /// Pages in the log.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// Copies committed pages from SQLite's write-ahead log into the database
/// file every [`CHECKPOINT_INTERVAL`], on a connection of its own, until
/// `alive` can no longer be upgraded.
///
/// The copying and its two fsyncs happen in passive checkpoints, beside the
/// writers. But under a steady stream of writers the log never starts over
/// by itself (each writer finds pages the last checkpoint has not copied
/// yet), and it grew by a gigabyte in ten seconds of intake; so once it holds
/// more than [`RESTART_AFTER_FRAMES`], the checkpointer takes a writer turn
/// for a last, short round that starts the log over.
pub(super) fn spawn_checkpointer(
    manager: ConnectionManager,
    writer: Arc<FairMutex<()>>,
    alive: std::sync::Weak<()>,
) {
    let spawned = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
        // Connecting can meet a locked database while the pool's first
        // connections open the log; a checkpointer that gave up then would
        // leave the log to grow without end, so it keeps trying.
        let mut conn = loop {
            if alive.upgrade().is_none() {
                return;
            }
            match manager.establish() {
                Ok(DbConnection::Sqlite(conn)) => break conn,
                Ok(DbConnection::Pg(_)) => return,
                Err(error) => {
                    tracing::warn!(%error, "the SQLite checkpointer cannot connect yet; retrying");
                    std::thread::sleep(CHECKPOINT_INTERVAL);
                }
            }
        };
        // The checkpoint in a writer turn waits this long at most for
        // readers still on the log (every writer waits with it); a reader
        // that takes longer puts the start-over off to the next round.
        if let Err(error) = conn.batch_execute("PRAGMA busy_timeout = 100") {
            tracing::warn!(%error, "cannot shorten the SQLite checkpointer's busy timeout");
        }
        let mut checkpoint = |mode: &str| {
            diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})"))
                .get_result::<WalCheckpoint>(&mut conn)
                .inspect_err(|error| tracing::warn!(%error, mode, "SQLite checkpoint failed; retrying"))
                .ok()
        };
        while alive.upgrade().is_some() {
            std::thread::sleep(CHECKPOINT_INTERVAL);
            if checkpoint("PASSIVE").is_some_and(|c| c.log > RESTART_AFTER_FRAMES) {
                // A second round copies what was committed during the first;
                // a third, in a writer turn, copies the little left and starts
                // the log over itself (RESTART), instead of relying on the next
                // writer to find the log wholly copied and no reader on it.
                checkpoint("PASSIVE");
                let _turn = writer.lock();
                checkpoint("RESTART");
            }
        }
    });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the SQLite checkpointer; the write-ahead log will grow");
    }
}
