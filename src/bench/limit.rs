//! The database's own limit for the intake write, which `bench api` compares
//! the intake over HTTP against.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::http::case_body;
use super::Phase;
use crate::db::Db;
use crate::domain::calendar::Clock;
use crate::domain::ids::UserId;
use crate::domain::intake::NewCaseInput;
use crate::domain::time;
use crate::error::AppError;
use crate::progress::Progress;
use crate::service::cases::{self, Registrar};

/// The database's own limit for the intake write: the same rows (counter,
/// case, event, rollup) through the pool from `concurrency` threads, one
/// transaction each, without HTTP.
pub(super) fn direct_intake(db: &Db, clerk: i64, concurrency: usize, duration: Duration) -> Phase {
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let progress = Progress::timed("intake, direct to the database", duration, "cases");
    let started = Instant::now();
    let threads: Vec<_> = (0..concurrency)
        .map(|t| {
            let (db, done, failed, stop) = (db.clone(), done.clone(), failed.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut micros = Vec::new();
                let mut i = t * 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    // Parsing and validating the body is the service's work,
                    // not the database's: it stays outside the timed write.
                    let input: NewCaseInput = serde_json::from_value(case_body(i)).expect("valid body");
                    i += 1;
                    let now = time::now_utc();
                    let validated = input.validate(now, |_| true).map_err(AppError::from);
                    let t0 = Instant::now();
                    let outcome = validated.and_then(|new| {
                        db.write_blocking(|conn| {
                            let (calendar, channels) = (db.calendar(conn)?, db.channels(conn)?);
                            let channel = cases::channel_of(&channels, &new.channel)?;
                            let clock = Clock { calendar: &calendar, now };
                            let clerk = Registrar::Staff(UserId(clerk));
                            cases::register_in(conn, &new, channel, clerk, clock)
                        })
                    });
                    match outcome {
                        Ok(_) => {
                            micros.push(t0.elapsed().as_micros() as u64);
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                micros
            })
        })
        .collect();
    while started.elapsed() < duration {
        std::thread::sleep(Duration::from_millis(500));
        progress.set(done.load(Ordering::Relaxed) as u64);
    }
    stop.store(true, Ordering::Relaxed);
    let micros: Vec<u64> = threads.into_iter().flat_map(|t| t.join().unwrap_or_default()).collect();
    let phase = Phase {
        operations: micros.len(),
        micros,
        errors: failed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    };
    progress.set(phase.operations as u64);
    progress.finish();
    phase
}
