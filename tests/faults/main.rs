//! Fault tests (issue 12): the real binary as child processes, killed with
//! SIGKILL during intake, cut off from PostgreSQL, run twice on one database,
//! out of disk space, backed up while it takes cases (issue 25), and fed
//! workbook bombs under a memory cap (issue 21) — and afterwards what the
//! clients were told must agree with what the database (or the restored copy)
//! holds. Each test prints the counts it
//! checked; see them with `cargo test --test faults -- --nocapture`.
//!
//! A test binary of its own: cargo runs test binaries one after another, so
//! these loads do not share the machine with the API suite, and the tests
//! here take turns among themselves (`harness::serial`).

mod harness;
mod load;
mod proxy;

mod backup;
mod disk_full;
mod import_bombs;
mod kill;
mod outage;
mod two_instances;
