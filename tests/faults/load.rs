//! Intake clients as a careful integration would write them: every request
//! carries an `Idempotency-Key`, and any error or dropped connection is
//! retried with the same key and body until it is acknowledged.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{client, intake_body, Acknowledged};

/// How a run of intake clients is set up.
#[derive(Clone)]
pub struct IntakeLoad {
    /// Services to send to, in turn per request.
    pub bases: Vec<String>,
    /// Bearer token of a clerk or admin.
    pub token: String,
    /// Concurrent clients.
    pub clients: usize,
    /// Requests per client (at most; `stop` ends a run early).
    pub per_client: usize,
    /// Characters of content per case.
    pub content_chars: usize,
    /// Distinguishes the keys of runs on one database.
    pub tag: String,
    /// Whole-request timeout of the clients.
    pub timeout: Duration,
}

/// What a run saw.
#[derive(Debug, Default)]
pub struct IntakeRun {
    /// The acknowledged requests.
    pub acked: Acknowledged,
    /// Answers other than 201, by status (`error` for no answer, `timeout`).
    pub refusals: BTreeMap<String, usize>,
    /// Bodies of answers that are neither 201 nor 503 `unavailable`.
    pub unexpected: Vec<String>,
    /// The slowest answer of any status.
    pub slowest: Duration,
    /// Requests sent, retries included.
    pub attempts: usize,
    /// Answers that took longer than a third of the timeout: (sent, seconds
    /// taken, status), sent in seconds since the Unix epoch.
    pub slow: Vec<(f64, f64, String)>,
}

impl IntakeRun {
    fn merge(&mut self, other: IntakeRun) {
        self.acked.first.extend(other.acked.first);
        self.acked.when.extend(other.acked.when);
        self.acked.mismatched.extend(other.acked.mismatched);
        self.acked.replayed += other.acked.replayed;
        for (status, n) in other.refusals {
            *self.refusals.entry(status).or_default() += n;
        }
        self.unexpected.extend(other.unexpected);
        self.slowest = self.slowest.max(other.slowest);
        self.attempts += other.attempts;
        self.slow.extend(other.slow);
    }
}

/// Runs the clients to the end (or until `stop`); `progress` counts
/// acknowledged requests as they come.
pub async fn run(load: IntakeLoad, progress: Arc<AtomicUsize>, stop: Arc<AtomicBool>) -> IntakeRun {
    let tasks: Vec<_> = (0..load.clients)
        .map(|c| tokio::spawn(one_client(load.clone(), c, progress.clone(), stop.clone())))
        .collect();
    let mut total = IntakeRun::default();
    for task in tasks {
        total.merge(task.await.expect("client task"));
    }
    total
}

async fn one_client(
    load: IntakeLoad,
    c: usize,
    progress: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> IntakeRun {
    let http = client(load.timeout);
    let mut run = IntakeRun::default();
    let mut turn = c;
    for i in 0..load.per_client {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let key = format!("{}-c{c}-{i}", load.tag);
        let body = intake_body(&key, c * load.per_client + i, load.content_chars);
        // The first success, then one deliberate retry of the same request:
        // both must name the same number.
        for round in 0..2 {
            let number = loop {
                turn += 1;
                let base = &load.bases[turn % load.bases.len()];
                run.attempts += 1;
                assert!(run.attempts < 100_000, "client {c} cannot get {key} acknowledged");
                let started = Instant::now();
                let sent = http
                    .post(format!("{base}/api/v1/cases"))
                    .bearer_auth(&load.token)
                    .header("Idempotency-Key", &key)
                    .json(&body)
                    .send()
                    .await;
                let outcome = match sent {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let replayed = resp.headers().contains_key("idempotent-replayed");
                        match resp.text().await {
                            Ok(text) => Ok((status, replayed, text)),
                            Err(e) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                };
                run.slowest = run.slowest.max(started.elapsed());
                if started.elapsed() > load.timeout / 3 {
                    let sent = std::time::SystemTime::now() - started.elapsed();
                    let sent = sent.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
                    let status = match &outcome {
                        Ok((status, _, _)) => status.to_string(),
                        Err(e) => e.to_string(),
                    };
                    run.slow.push((sent, started.elapsed().as_secs_f64(), status));
                }
                match outcome {
                    Ok((201, replayed, text)) => {
                        let body: Value = serde_json::from_str(&text).expect("a 201 has a JSON case");
                        if replayed {
                            run.acked.replayed += 1;
                        }
                        break body["tracking_no"].as_str().expect("tracking_no").to_owned();
                    }
                    Ok((status, _, text)) => {
                        *run.refusals.entry(status.to_string()).or_default() += 1;
                        let problem: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        if !(status == 503 && problem["code"] == "unavailable") {
                            run.unexpected.push(format!("{status} {text}"));
                        }
                    }
                    Err(e) => {
                        let kind = if e.is_timeout() { "timeout" } else { "error" };
                        *run.refusals.entry(kind.into()).or_default() += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            if round == 0 {
                run.acked.first.insert(key.clone(), number);
                run.acked.when.insert(key.clone(), Instant::now());
                progress.fetch_add(1, Ordering::Relaxed);
            } else if run.acked.first[&key] != number {
                run.acked.mismatched.push(key.clone());
            }
        }
    }
    run
}
