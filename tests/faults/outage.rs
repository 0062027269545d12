//! PostgreSQL cut off under load: a proxy between the service and the server
//! drops every connection and refuses new ones for longer than the pool
//! waits for a connection, then lets them through again.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{
    assert_intake_sound, check_intake, client, login, serially, ScratchDb, Service, ADMIN_PASSWORD,
};
use crate::load::{self, IntakeLoad};
use crate::proxy::Proxy;

/// How long the service's pool waits for a connection (`Db::connect`).
const POOL_TIMEOUT: Duration = Duration::from_secs(10);
/// Longer than the pool waits, so requests during the outage must give up.
const OUTAGE: Duration = Duration::from_secs(14);
/// The longest an answer may take: the pool's wait and a little. Each
/// request's wait counts from when it asked (its wait for a blocking thread
/// included), and once one wait has run out the service answers at once for
/// a moment (`Db::connection`), so no request waits twice.
const SLOWEST_ALLOWED: Duration = Duration::from_secs(10 + 3);

/// `url` with its server's `host:port` replaced by the proxy's; also returns
/// the server's `host:port`.
fn through_proxy(url: &str, port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (credentials, host_port) = match authority.rsplit_once('@') {
        Some((credentials, host_port)) => (format!("{credentials}@"), host_port),
        None => (String::new(), authority),
    };
    let upstream = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    (upstream, format!("{scheme}://{credentials}127.0.0.1:{port}{path}"))
}

/// Polls `/readyz` until `stop`; returns (seconds since `t0`, status) of each answer.
async fn watch_readiness(
    base: String,
    t0: Instant,
    seen: Arc<Mutex<Vec<(f64, u16, f64)>>>,
    stop: Arc<AtomicBool>,
) {
    let http = client(POOL_TIMEOUT * 3);
    while !stop.load(Ordering::Relaxed) {
        let asked = Instant::now();
        let status = match http.get(format!("{base}/readyz")).send().await {
            Ok(resp) => resp.status().as_u16(),
            Err(_) => 0,
        };
        let took = asked.elapsed().as_secs_f64();
        seen.lock().unwrap().push((t0.elapsed().as_secs_f64(), status, took));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn last_status_after(seen: &Mutex<Vec<(f64, u16, f64)>>, after: f64) -> Option<u16> {
    seen.lock().unwrap().iter().rev().find(|(at, _, _)| *at > after).map(|(_, status, _)| *status)
}

async fn postgres_cut_off_under_load() {
    let db = ScratchDb::postgres();
    let (upstream, _) = through_proxy(&db.url, 0);
    let proxy = Proxy::start(&upstream);
    let (_, proxied_url) = through_proxy(&db.url, proxy.port);
    let mut service =
        Service::new(&proxied_url, &db.dir.path().join("service"), &[("CASEDESK_DB_POOL_SIZE", "4")]);
    service.start().await;
    let token = login(&service.base, "admin", ADMIN_PASSWORD).await;

    let t0 = Instant::now();
    let (progress, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let intake = IntakeLoad {
        bases: vec![service.base.clone()],
        token,
        clients: 6,
        per_client: 1_000_000,
        content_chars: 200,
        tag: "outage".into(),
        timeout: POOL_TIMEOUT * 3,
    };
    let clients = tokio::spawn(load::run(intake, progress.clone(), stop.clone()));
    let readiness: Arc<Mutex<Vec<(f64, u16, f64)>>> = Arc::default();
    let watcher = tokio::spawn(watch_readiness(service.base.clone(), t0, readiness.clone(), stop.clone()));

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_outage = progress.load(Ordering::Relaxed);
    let cut_at = t0.elapsed().as_secs_f64();
    proxy.cut();
    tokio::time::sleep(OUTAGE).await;
    let not_ready_during_outage = last_status_after(&readiness, cut_at);
    let restored_at = t0.elapsed().as_secs_f64();
    let acked_at_restore = progress.load(Ordering::Relaxed);
    proxy.restore();
    // Recovery without a restart: ready again, and intake goes on.
    let deadline = Instant::now() + Duration::from_secs(20);
    while last_status_after(&readiness, restored_at) != Some(200)
        || progress.load(Ordering::Relaxed) < acked_at_restore + 50
    {
        assert!(
            Instant::now() < deadline,
            "the service did not recover within 20 s: {:?}\n{}",
            readiness.lock(),
            service.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered_after = t0.elapsed().as_secs_f64() - restored_at;
    stop.store(true, Ordering::Relaxed);
    let run = clients.await.unwrap();
    watcher.await.unwrap();

    let check = check_intake(&mut db.connect(), &run.acked);
    let readiness = readiness.lock().unwrap().clone();
    let answers_503: usize = run.refusals.get("503").copied().unwrap_or(0);
    println!(
        "postgres outage of {:.0} s: {before_outage} cases acknowledged before the cut, {answers_503} intake \
         answers 503 unavailable during it, /readyz {} times 503; ready and taking cases again {:.1} s after \
         the restore; {check}; slowest answer {:.1} s (pool timeout {} s), slowest /readyz {:.1} s; other refusals {:?}",
        OUTAGE.as_secs_f64(),
        readiness.iter().filter(|(_, s, _)| *s == 503).count(),
        recovered_after,
        run.slowest.as_secs_f64(),
        POOL_TIMEOUT.as_secs(),
        readiness.iter().map(|(_, _, took)| *took).fold(0.0, f64::max),
        run.refusals,
    );
    assert!(run.unexpected.is_empty(), "answers other than 201 or 503 unavailable: {:?}", run.unexpected);
    assert!(answers_503 > 0, "requests during the outage were refused with 503");
    assert_eq!(run.refusals.len(), 1, "no dropped connection or timeout, only 503: {:?}", run.refusals);
    assert!(
        run.slowest <= SLOWEST_ALLOWED,
        "an answer took {:?}: {:?}\n{readiness:?}\n{}",
        run.slowest,
        run.slow,
        service.log_tail()
    );
    assert_eq!(not_ready_during_outage, Some(503), "/readyz during the outage: {readiness:?}");
    assert!(readiness.iter().all(|(_, s, _)| *s == 200 || *s == 503), "{readiness:?}");
    let slowest_readiness = readiness.iter().map(|(_, _, took)| *took).fold(0.0, f64::max);
    // /readyz asks the database once: one pool wait.
    assert!(slowest_readiness <= POOL_TIMEOUT.as_secs_f64() + 3.0, "/readyz hung: {readiness:?}");
    assert_intake_sound(&check, &run.acked);
}

#[test]
fn postgres_cut_off_under_load_answers_503_and_recovers() {
    serially(postgres_cut_off_under_load());
}

/// Connections that die while they wait in the pool (the server restarted,
/// a proxy or firewall dropped them) are replaced before a request draws
/// one: after a cut too short for any request to meet, every read is 200 —
/// before, the first requests on the dead connections were 500s.
async fn postgres_connections_dropped_in_the_pool_are_replaced() {
    let db = ScratchDb::postgres();
    let (upstream, _) = through_proxy(&db.url, 0);
    let proxy = Proxy::start(&upstream);
    let (_, proxied_url) = through_proxy(&db.url, proxy.port);
    let mut service =
        Service::new(&proxied_url, &db.dir.path().join("service"), &[("CASEDESK_DB_POOL_SIZE", "8")]);
    service.start().await;
    let token = login(&service.base, "admin", ADMIN_PASSWORD).await;
    let http = client(POOL_TIMEOUT * 3);
    let reads = |n: usize| {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (http, base, token) = (http.clone(), service.base.clone(), token.clone());
                tokio::spawn(async move {
                    match http.get(format!("{base}/api/v1/cases?limit=5")).bearer_auth(token).send().await {
                        Ok(resp) => resp.status().as_u16(),
                        Err(_) => 0,
                    }
                })
            })
            .collect();
        async move {
            let mut statuses = std::collections::BTreeMap::new();
            for task in tasks {
                *statuses.entry(task.await.unwrap()).or_insert(0_usize) += 1;
            }
            statuses
        }
    };
    // Concurrent reads open every connection of the pool.
    let warm = reads(32).await;
    assert_eq!(warm.keys().collect::<Vec<_>>(), [&200], "{warm:?}");
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.restore();
    let mut after = std::collections::BTreeMap::new();
    for _ in 0..5 {
        for (status, n) in reads(8).await {
            *after.entry(status).or_insert(0) += n;
        }
    }
    println!("postgres connections dropped in the pool: 32 reads before, then 40 after the cut: {after:?}");
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        [&200],
        "answers after the cut: {after:?}\n{}",
        service.log_tail()
    );
}

#[test]
fn postgres_connections_dropped_in_the_pool_are_replaced_not_500() {
    serially(postgres_connections_dropped_in_the_pool_are_replaced());
}
