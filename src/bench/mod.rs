//! `casedesk bench`: measures the real service, started in this process on a
//! free port against a fresh database, from concurrent HTTP clients sharing
//! the machine with it.
//!
//! - `bench api`: intake, one case by id, a list page and the full workflow,
//!   with the database's own limit for the intake write (the same rows
//!   through the pool, without HTTP) to compare the intake against.
//! - `bench stats`: loads N cases of one year, then times each statistics
//!   endpoint while intake goes on.
//! - `bench transfer`: import of N rows from CSV, then export of everything as
//!   CSV over HTTP (`transfer`).
//! - `bench routing`: the routing suggestion's accuracy, leave-one-out over
//!   the demo county's closed cases (`routing`).
//!
//! This module holds the options and the two runs, each in a scratch database
//! (`db::scratch`); beside it: the service and its HTTP clients with the load
//! generator process (`http`), the database's own intake limit (`limit`), the
//! bulk loader of `bench stats` (`load`) and the tables printed (`report`).
//! Progress goes to standard error through [`crate::progress`].

mod http;
mod limit;
mod load;
mod pages;
mod report;
mod routing;
mod search;
mod transfer;

use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::db::{self, Db};
use crate::progress::Progress;

pub use http::load_generator;
pub use routing::{routing, RoutingOptions};
pub use transfer::{transfer, TransferOptions};

/// Which database a benchmark runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchBackend {
    /// A fresh SQLite file in the system's temporary directory.
    Sqlite,
    /// A fresh schema on the PostgreSQL server of `--pg-url`.
    Postgres,
}

impl BenchBackend {
    fn backend(self) -> db::Backend {
        match self {
            BenchBackend::Sqlite => db::Backend::Sqlite,
            BenchBackend::Postgres => db::Backend::Postgres,
        }
    }
}

/// Latencies of one phase.
#[derive(Debug, Default, Clone)]
struct Phase {
    micros: Vec<u64>,
    errors: usize,
    elapsed: Duration,
    operations: usize,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return 0.0;
        }
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index] as f64 / 1000.0
    }
}

/// Starts counting this process's peak resident memory afresh (Linux:
/// writing 5 to `clear_refs` resets the high-water mark to what is resident now).
fn reset_peak_rss() {
    if let Err(error) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak memory count ({error}); it includes the database limit's threads");
    }
}

/// The peak resident memory of this process since it started or since
/// [`reset_peak_rss`], in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Options of `casedesk bench api`.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    pub backend: BenchBackend,
    /// PostgreSQL server for `--backend postgres`.
    pub pg_url: String,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Seconds per phase.
    pub duration: Duration,
    /// Connection pool size of the service.
    pub pool_size: u32,
    /// Print one JSON object instead of the table.
    pub json: bool,
}

/// Runs a benchmark against a fresh database, removes the database, and
/// prints the report as JSON or as a table.
fn run_in_scratch<Fut>(
    backend: BenchBackend,
    pg_url: &str,
    json: bool,
    run: impl FnOnce(String) -> Fut,
    table: impl FnOnce(&Value),
) -> Result<(), String>
where
    Fut: std::future::Future<Output = Result<Value, String>>,
{
    let scratch = db::scratch::Scratch::create(backend.backend(), pg_url, "casedesk_bench")?;
    let result = actix_web::rt::System::new().block_on(run(scratch.url.clone()));
    drop(scratch);
    let report = result?;
    if json {
        println!("{report}");
    } else {
        table(&report);
    }
    Ok(())
}

/// `casedesk bench api`.
pub fn api(options: ApiOptions) -> Result<(), String> {
    run_in_scratch(
        options.backend,
        &options.pg_url,
        options.json,
        |url| {
            let options = &options;
            async move { run_api(&url, options).await }
        },
        |report| report::print_api_table(report, &options),
    )
}

async fn run_api(url: &str, o: &ApiOptions) -> Result<Value, String> {
    let service = http::start(url, o.pool_size).await?;
    let (base, admin) = (service.base.clone(), service.admin.clone());
    let c = http::client();
    let department = http::call(
        &c,
        "POST",
        &format!("{base}/api/v1/departments"),
        &admin,
        Some(&json!({"name": "县交通运输局", "code": "TRANSPORT"})),
    )
    .await?;
    let department_id = department["id"].as_i64().unwrap_or(1);
    let password = crate::auth::password::generate();
    let mut tokens = Vec::new();
    let mut clerk_id = 1;
    for (username, role) in [("bench-clerk", "clerk"), ("bench-handler", "handler")] {
        let user = http::call(&c, "POST", &format!("{base}/api/v1/users"), &admin, Some(&json!({
            "username": username, "password": password, "display_name": username, "role": role, "department_id": department_id,
        }))).await?;
        if role == "clerk" {
            clerk_id = user["id"].as_i64().unwrap_or(1);
        }
        let login = http::call(
            &c,
            "POST",
            &format!("{base}/api/v1/auth/login"),
            "",
            Some(&json!({"username": username, "password": password})),
        )
        .await?;
        tokens.push(login["token"].as_str().unwrap_or_default().to_owned());
    }
    let (clerk, handler) = (tokens[0].clone(), tokens[1].clone());

    // The database's limit first: the table then grows under the service's
    // intake, so any slowdown from a larger table counts against the service.
    let db = service.db.clone();
    let (concurrency, duration) = (o.concurrency, o.duration);
    let limit = actix_web::web::block(move || limit::direct_intake(&db, clerk_id, concurrency, duration))
        .await
        .map_err(|e| e.to_string())?;

    if o.backend == BenchBackend::Postgres {
        // A running database has statistics: autovacuum analyses tables as
        // they grow. This one is seconds old, and without them PostgreSQL
        // guessed one matching row and planned the list page as a bitmap AND
        // and a sort (22 ms) instead of a walk down the (state, id) index.
        let db = service.db.clone();
        actix_web::web::block(move || db.write_blocking(|conn| Ok(db::analyze(conn)?)))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    // The load generator runs in a process of its own, so that from here on
    // this process's peak memory is the service's alone.
    reset_peak_rss();
    let job = http::LoadJob {
        base,
        clerk,
        handler,
        department_id,
        concurrency: o.concurrency,
        duration_s: o.duration.as_secs_f64(),
    };
    let load =
        actix_web::web::block(move || http::run_load_process(&job)).await.map_err(|e| e.to_string())??;
    let server_peak_rss_mb = round(peak_rss_mb());
    service.handle.stop(true).await;
    let phase = |name: &str, key: &str| load[name][key].clone();
    let intake_rps = load["intake"]["rps"].as_f64().unwrap_or(0.0);
    let mut report = json!({
        "backend": o.backend.backend().name(),
        "concurrency": o.concurrency,
        "duration_s": o.duration.as_secs_f64(),
        "limit_rps": round(limit.rate()),
        "limit_p99_ms": round(limit.percentile_ms(0.99)),
        "intake_ratio": round(intake_rps / limit.rate().max(1e-9)),
        "server_peak_rss_mb": server_peak_rss_mb,
        "client_peak_rss_mb": load["client_peak_rss_mb"].clone(),
    });
    let mut errors = limit.errors as u64;
    for name in http::PHASES {
        for key in ["rps", "p50_ms", "p99_ms", "max_ms", "errors"] {
            report[format!("{name}_{key}")] = phase(name, key);
        }
        errors += load[name]["errors"].as_u64().unwrap_or(0);
    }
    report["errors"] = json!(errors);
    Ok(report)
}

/// A phase's figures, as the load generator reports them.
fn phase_json(phase: &Phase) -> Value {
    json!({
        "rps": round(phase.rate()),
        "p50_ms": round(phase.percentile_ms(0.5)),
        "p99_ms": round(phase.percentile_ms(0.99)),
        "max_ms": round(phase.percentile_ms(1.0)),
        "errors": phase.errors,
    })
}

/// Two decimals, as every figure is reported.
fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Options of `casedesk bench stats`.
#[derive(Debug, Clone)]
pub struct StatsOptions {
    pub backend: BenchBackend,
    /// PostgreSQL server for `--backend postgres`.
    pub pg_url: String,
    /// Cases to load.
    pub cases: usize,
    /// Calls per endpoint (the median is reported).
    pub repeat: usize,
    /// Cases registered per second over HTTP while the figures are read.
    pub intake_rate: f64,
    /// Print one JSON object instead of the table.
    pub json: bool,
}

/// `casedesk bench stats`.
pub fn stats(options: StatsOptions) -> Result<(), String> {
    run_in_scratch(
        options.backend,
        &options.pg_url,
        options.json,
        |url| {
            let options = &options;
            async move { run_stats(&url, options).await }
        },
        |report| report::print_stats_table(report, &options),
    )
}

async fn run_stats(url: &str, o: &StatsOptions) -> Result<Value, String> {
    // Migrate first, then load straight into the tables.
    let db = actix_web::web::block({
        let url = url.to_owned();
        move || Db::connect(&url, 4)
    })
    .await
    .map_err(|e| e.to_string())??;
    let started = Instant::now();
    let cases = o.cases;
    let loader = db.clone();
    actix_web::web::block(move || load::bulk_load(&loader, cases))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let load_s = started.elapsed().as_secs_f64();
    // The service's start fills the text index of the loaded cases (its backfill).
    let indexing = Instant::now();
    let service = http::start(url, 16).await?;
    let index_s = indexing.elapsed().as_secs_f64();
    // The index was written after the load's vacuum: vacuum again, as
    // autovacuum would have long before anyone searched a database this
    // size (freshly written, every index-only read of it visits its table).
    let progress = Progress::spinner("the text index's statistics and visibility map");
    actix_web::web::block(move || -> Result<(), crate::error::AppError> {
        Ok(db::refresh_statistics(&mut *db.pool().get()?)?)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    progress.finish();
    let base = Rc::new(service.base.clone());
    let admin = Rc::new(service.admin.clone());
    // Intake goes on while the figures are read.
    let intake_done = Rc::new(std::cell::Cell::new(0usize));
    let stop = Rc::new(std::cell::Cell::new(false));
    let intake_started = Instant::now();
    let pause = Duration::from_secs_f64(2.0 / o.intake_rate.max(0.1));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (base, admin, done, stop) = (base.clone(), admin.clone(), intake_done.clone(), stop.clone());
            actix_web::rt::spawn(async move {
                let client = http::client();
                let mut i = w * 1_000_000;
                let mut next = Instant::now();
                while !stop.get() {
                    // Two writers at a steady pace make the asked-for rate.
                    next += pause;
                    actix_web::rt::time::sleep_until(next.into()).await;
                    i += 1;
                    if http::send(
                        &client,
                        "POST",
                        &format!("{base}/api/v1/cases"),
                        &admin,
                        Some(&http::case_body(i)),
                    )
                    .await
                    .is_ok()
                    {
                        done.set(done.get() + 1);
                    }
                }
            })
        })
        .collect();
    let client = http::client();
    let mut timings = serde_json::Map::new();
    for (key, path) in [
        ("summary", "summary?from=2024-01-01&to=2025-01-01"),
        ("by_channel", "by-channel?from=2024-01-01&to=2025-01-01"),
        ("by_department", "by-department?from=2024-01-01&to=2025-01-01"),
        ("trend", "trend?interval=month&from=2024-01-01&to=2025-01-01"),
        ("scorecard", "scorecard?from=2024-01-01&to=2025-01-01"),
        ("topics", "topics?from=2024-01-01&to=2025-01-01"),
    ] {
        let mut samples = Vec::new();
        let endpoint = path.split('?').next().unwrap_or(path);
        let progress = Progress::counted(format!("GET /api/v1/stats/{endpoint}"), o.repeat as u64, "calls");
        for i in 0..o.repeat {
            let t = Instant::now();
            let body =
                http::call(&client, "GET", &format!("{base}/api/v1/stats/{path}"), &admin, None).await?;
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
            // Every loaded case has a category: the six of them add up to the cases.
            if key == "topics" && i == 0 {
                let counted: u64 = body["categories"]
                    .as_array()
                    .map_or(0, |c| c.iter().filter_map(|t| t["cases"].as_u64()).sum());
                if counted as usize != o.cases {
                    return Err(format!(
                        "the topics count {counted} cases' categories, {} were loaded",
                        o.cases
                    ));
                }
            }
            if key == "summary" && i == 0 {
                let received = body["figures"]["received"].as_u64().unwrap_or(0) as usize;
                if received != o.cases {
                    return Err(format!("the summary counts {received} cases, {} were loaded", o.cases));
                }
            }
            progress.set(i as u64 + 1);
        }
        progress.finish();
        samples.sort_by(f64::total_cmp);
        timings.insert(format!("{key}_ms"), json!(round(samples[samples.len() / 2])));
        timings.insert(format!("{key}_max_ms"), json!(round(samples[samples.len() - 1])));
    }
    // The pages phase: the console over the same cases, intake still going on.
    let session = pages::sign_in(&base, "admin", &service.admin_password).await?;
    timings.extend(pages::measure(&base, &session, o.repeat).await?);
    timings.extend(search::measure(&base, &admin, &service.db, o.cases, o.repeat.max(50)).await?);
    stop.set(true);
    for writer in writers {
        let _ = writer.await;
    }
    let intake_rps = intake_done.get() as f64 / intake_started.elapsed().as_secs_f64();
    service.handle.stop(true).await;
    let mut report = json!({
        "backend": o.backend.backend().name(),
        "cases": o.cases,
        "repeat": o.repeat,
        "load_s": round(load_s),
        "index_build_s": round(index_s),
        "intake_rps": round(intake_rps),
        "server_peak_rss_mb": round(peak_rss_mb()),
    });
    if let Value::Object(map) = &mut report {
        map.extend(timings);
    }
    Ok(report)
}
