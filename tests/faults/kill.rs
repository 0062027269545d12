//! kill -9 during intake: 16 clients register cases with idempotency keys
//! while the service is killed three times and started again.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::{
    assert_intake_sound, check_intake, login, serially, ScratchDb, Service, ADMIN_PASSWORD,
};
use crate::load::{self, IntakeLoad};

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 40;
const KILLS: usize = 3;

async fn killed_three_times_during_intake(db: ScratchDb) {
    let started = Instant::now();
    let mut service = Service::new(&db.url, &db.dir.path().join("service"), &[]);
    service.start().await;
    let token = login(&service.base, "admin", ADMIN_PASSWORD).await;
    let progress = Arc::new(AtomicUsize::new(0));
    let intake = IntakeLoad {
        bases: vec![service.base.clone()],
        token,
        clients: CLIENTS,
        per_client: PER_CLIENT,
        content_chars: 200,
        tag: "kill".into(),
        timeout: Duration::from_secs(15),
    };
    let clients = tokio::spawn(load::run(intake, progress.clone(), Arc::new(AtomicBool::new(false))));
    // Kill at a quarter, a half and three quarters of the run, whatever
    // the machine's speed, so every kill lands among requests in flight.
    let total = CLIENTS * PER_CLIENT;
    for kill in 1..=KILLS {
        while progress.load(Ordering::Relaxed) < total * kill / (KILLS + 1) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        service.kill9();
        tokio::time::sleep(Duration::from_millis(200)).await;
        service.start().await;
    }
    let run = clients.await.unwrap();
    let check = check_intake(&mut db.connect(), &run.acked);
    println!(
        "kill -9 ({}): {KILLS} kills; {check}; retries answered with the first number {} (mismatched {}); \
         {} requests sent, refused or dropped: {:?}; {:.1} s",
        if db.schema.is_some() { "postgres" } else { "sqlite" },
        run.acked.replayed,
        run.acked.mismatched.len(),
        run.attempts,
        run.refusals,
        started.elapsed().as_secs_f64()
    );
    assert!(run.unexpected.is_empty(), "answers other than 201 or 503: {:?}", run.unexpected);
    assert_eq!(check.acknowledged, total);
    assert!(run.acked.replayed >= total, "every deliberate retry was a replay");
    assert_intake_sound(&check, &run.acked);
    assert!(run.refusals.values().sum::<usize>() > 0, "the kills interrupted requests");
}

#[test]
fn kill_9_during_intake_on_sqlite() {
    serially(killed_three_times_during_intake(ScratchDb::sqlite()));
}

#[test]
fn kill_9_during_intake_on_postgres() {
    serially(killed_three_times_during_intake(ScratchDb::postgres()));
}
