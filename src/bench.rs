//! `casedesk bench`: measures the real service, started in this process on a
//! free port against a fresh database, from concurrent HTTP clients sharing
//! the machine with it.
//!
//! - `bench api`: intake, one case by id, a list page and the full workflow,
//!   with the database's own limit for the intake write (the same rows
//!   through the pool, without HTTP) to compare the intake against.
//! - `bench stats`: loads N cases of one year, then times each statistics
//!   endpoint while intake goes on.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::app::Application;
use crate::config::Settings;
use crate::db::models::NewCaseRow;
use crate::db::{self, Db};
use crate::domain::calendar::{Clock, LimitUnit, TimeLimit};
use crate::domain::ids::DepartmentId;
use crate::domain::intake::{self, NewCaseInput};
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::{Rating, RatingSource};
use crate::domain::time;
use crate::error::AppError;
use crate::workflow::{self, Registrar};

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

fn progress(message: &str) {
    eprint!("\r{message:<70}");
    let _ = std::io::stderr().flush();
}

/// Starts counting this process's peak resident memory afresh (Linux:
/// writing 5 to `clear_refs` resets the high-water mark to what is resident now).
fn reset_peak_rss() {
    if let Err(error) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("\ncannot reset the peak memory count ({error}); it includes the database limit's threads");
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

struct Service {
    base: String,
    handle: actix_web::dev::ServerHandle,
    db: Db,
    admin: String,
}

async fn start(url: &str, pool_size: u32) -> Result<Service, String> {
    let admin_password = crate::auth::password::generate();
    let settings = Settings {
        database_url: url.to_owned(),
        listen: "127.0.0.1:0".into(),
        admin_password: Some(admin_password.clone()),
        dev: true,
        db_pool_size: pool_size,
        // No mail sender (it would write .eml files into the working folder)
        // and no deadline scan: the benchmark measures requests.
        background_tasks: false,
        ..Settings::default()
    };
    let app = Application::build(settings).await.map_err(|e| e.to_string())?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let db = app.state().db.clone();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = client();
    let mut response = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"username": "admin", "password": admin_password}))
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    let admin = body["token"].as_str().ok_or("login failed")?.to_owned();
    Ok(Service { base, handle, db, admin })
}

fn client() -> awc::Client {
    awc::Client::builder().timeout(Duration::from_secs(30)).finish()
}

/// One request; the body is returned unparsed, so that the client spends no
/// more of the shared CPU than it must.
async fn send(
    client: &awc::Client,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<actix_web::web::Bytes, String> {
    let request = match method {
        "POST" => client.post(url),
        _ => client.get(url),
    }
    .insert_header(("Authorization", format!("Bearer {token}")));
    let mut response = match body {
        Some(body) => request.send_json(body).await,
        None => request.send().await,
    }
    .map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response.body().limit(8 * 1024 * 1024).await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
    }
    Ok(bytes)
}

/// One request whose JSON answer is needed.
async fn call(
    client: &awc::Client,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let bytes = send(client, method, url, token, body).await?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

fn case_body(i: usize) -> Value {
    let channel = ["mailbox", "minhu", "gov_web"][i % 3];
    json!({
        "channel": channel,
        "title": format!("关于小区停车难的问题 {i}"),
        "content": "我们小区停车位严重不足，希望有关部门协调解决。".repeat(4),
        "category": "交通",
        "citizen": {"name": "王芳", "phone": "13812345678", "email": "wangfang@example.cn"},
    })
}

/// What a client does after one operation.
enum Next {
    /// Time it and go on.
    Again,
    /// There is nothing left to work on (the workflow ran out of cases): stop
    /// this client without counting an operation.
    Stop,
}

/// Runs `operation` from `concurrency` clients for `duration`, timing each call.
async fn drive<F, Fut>(concurrency: usize, duration: Duration, label: &str, operation: F) -> Phase
where
    F: Fn(Rc<awc::Client>, usize) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<Next, String>> + 'static,
{
    let operation = Rc::new(operation);
    let results = Rc::new(RefCell::new(Phase::default()));
    let counter = Rc::new(std::cell::Cell::new(0usize));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (operation, results, counter) = (operation.clone(), results.clone(), counter.clone());
        let client = Rc::new(client());
        tasks.push(actix_web::rt::spawn(async move {
            while Instant::now() < deadline {
                let n = counter.get();
                counter.set(n + 1);
                let t = Instant::now();
                let outcome = operation(client.clone(), n).await;
                let mut r = results.borrow_mut();
                match outcome {
                    Ok(Next::Stop) => break,
                    Ok(Next::Again) => {
                        r.micros.push(t.elapsed().as_micros() as u64);
                        r.operations += 1;
                    }
                    Err(e) => {
                        if r.errors == 0 {
                            eprintln!("\n{e}");
                        }
                        r.errors += 1;
                    }
                }
            }
        }));
    }
    let ticker = {
        let (results, label) = (results.clone(), label.to_owned());
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(Duration::from_millis(500)).await;
                let done = results.borrow().operations;
                progress(&format!("{label}: {done} in {:.0?}", started.elapsed()));
            }
        })
    };
    for task in tasks {
        let _ = task.await;
    }
    ticker.abort();
    let mut phase = results.borrow().clone();
    phase.elapsed = started.elapsed();
    phase
}

/// The database's own limit for the intake write: the same rows (counter,
/// case, event, rollup) through the pool from `concurrency` threads, one
/// transaction each, without HTTP.
fn direct_intake(db: &Db, clerk: i64, concurrency: usize, duration: Duration) -> Phase {
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
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
                            let channel = workflow::channel_of(&channels, &new.channel)?;
                            let clock = Clock { calendar: &calendar, now };
                            let clerk = Registrar::Staff(crate::domain::ids::UserId(clerk));
                            workflow::register(conn, &new, channel, clerk, clock)
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
        progress(&format!(
            "intake, direct to the database: {} in {:.0?}",
            done.load(Ordering::Relaxed),
            started.elapsed()
        ));
    }
    stop.store(true, Ordering::Relaxed);
    let micros: Vec<u64> = threads.into_iter().flat_map(|t| t.join().unwrap_or_default()).collect();
    Phase {
        operations: micros.len(),
        micros,
        errors: failed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
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
    eprintln!();
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
        |report| print_api_table(report, &options),
    )
}

async fn run_api(url: &str, o: &ApiOptions) -> Result<Value, String> {
    let service = start(url, o.pool_size).await?;
    let (base, admin) = (service.base.clone(), service.admin.clone());
    let c = client();
    let department = call(
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
        let user = call(&c, "POST", &format!("{base}/api/v1/users"), &admin, Some(&json!({
            "username": username, "password": password, "display_name": username, "role": role, "department_id": department_id,
        }))).await?;
        if role == "clerk" {
            clerk_id = user["id"].as_i64().unwrap_or(1);
        }
        let login = call(
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
    let limit = actix_web::web::block(move || direct_intake(&db, clerk_id, concurrency, duration))
        .await
        .map_err(|e| e.to_string())?;

    if o.backend == BenchBackend::Postgres {
        // A running database has statistics: autovacuum analyses tables as
        // they grow. This one is seconds old, and without them PostgreSQL
        // guessed one matching row and planned the list page as a bitmap AND
        // and a sort (22 ms) instead of a walk down the (state, id) index.
        let db = service.db.clone();
        actix_web::web::block(move || db.write_blocking(|conn| Ok(db::refresh_statistics(conn)?)))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    // The load generator runs in a process of its own, so that from here on
    // this process's peak memory is the service's alone.
    reset_peak_rss();
    let job = LoadJob {
        base,
        clerk,
        handler,
        department_id,
        concurrency: o.concurrency,
        duration_s: o.duration.as_secs_f64(),
    };
    let load = actix_web::web::block(move || run_load_process(&job)).await.map_err(|e| e.to_string())??;
    let server_peak_rss_mb = round(peak_rss_mb());
    service.handle.stop(true).await;
    let phase = |name: &str, key: &str| load[name][key].clone();
    let intake_rps = load["intake"]["rps"].as_f64().unwrap_or(0.0);
    let mut report = json!({
        "backend": match o.backend { BenchBackend::Sqlite => "sqlite", BenchBackend::Postgres => "postgres" },
        "concurrency": o.concurrency,
        "duration_s": o.duration.as_secs_f64(),
        "limit_rps": round(limit.rate()),
        "limit_p99_ms": round(limit.percentile_ms(0.99)),
        "intake_ratio": round(intake_rps / limit.rate().max(1e-9)),
        "server_peak_rss_mb": server_peak_rss_mb,
        "client_peak_rss_mb": load["client_peak_rss_mb"].clone(),
    });
    let mut errors = limit.errors as u64;
    for name in PHASES {
        for key in ["rps", "p50_ms", "p99_ms", "max_ms", "errors"] {
            report[format!("{name}_{key}")] = phase(name, key);
        }
        errors += load[name]["errors"].as_u64().unwrap_or(0);
    }
    report["errors"] = json!(errors);
    Ok(report)
}

/// The phases the load generator drives, in order.
const PHASES: [&str; 4] = ["intake", "get", "list", "workflow"];

/// What `casedesk bench-load` is asked to do, on its standard input.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct LoadJob {
    base: String,
    clerk: String,
    handler: String,
    department_id: i64,
    concurrency: usize,
    duration_s: f64,
}

/// Runs `casedesk bench-load` with `job`; returns the figures it printed.
fn run_load_process(job: &LoadJob) -> Result<Value, String> {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the casedesk binary: {e}"))?;
    let mut child = Command::new(exe)
        .arg("bench-load")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the load generator: {e}"))?;
    let input = serde_json::to_vec(job).map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .ok_or("the load generator has no standard input")?
        .write_all(&input)
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("the load generator failed ({})", output.status));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("the load generator printed no report: {e}"))
}

/// `casedesk bench-load`: the HTTP phases of `bench api`, run from a
/// process of its own against a service that `bench api` started. Reads a
/// [`LoadJob`] as JSON on standard input, shows progress on standard error
/// and prints each phase's figures as one JSON object.
pub fn load() -> Result<(), String> {
    let job: LoadJob = serde_json::from_reader(std::io::stdin()).map_err(|e| format!("bench-load: {e}"))?;
    let report = actix_web::rt::System::new().block_on(run_load(job))?;
    println!("{report}");
    Ok(())
}

fn phase_json(phase: &Phase) -> Value {
    json!({
        "rps": round(phase.rate()),
        "p50_ms": round(phase.percentile_ms(0.5)),
        "p99_ms": round(phase.percentile_ms(0.99)),
        "max_ms": round(phase.percentile_ms(1.0)),
        "errors": phase.errors,
    })
}

async fn run_load(job: LoadJob) -> Result<Value, String> {
    let duration = Duration::from_secs_f64(job.duration_s.max(0.1));
    let concurrency = job.concurrency.max(1);
    let department_id = job.department_id;
    let base = Rc::new(job.base);
    let clerk = Rc::new(job.clerk);
    let handler = Rc::new(job.handler);
    let created: Rc<RefCell<Vec<i64>>> = Rc::new(RefCell::new(Vec::new()));
    let intake = {
        let (base, clerk, created) = (base.clone(), clerk.clone(), created.clone());
        drive(concurrency, duration, "intake over HTTP", move |client, n| {
            let (base, clerk, created) = (base.clone(), clerk.clone(), created.clone());
            async move {
                let case =
                    call(&client, "POST", &format!("{base}/api/v1/cases"), &clerk, Some(&case_body(n)))
                        .await?;
                created.borrow_mut().push(case["id"].as_i64().unwrap_or(0));
                Ok(Next::Again)
            }
        })
        .await
    };
    let ids = Rc::new(created.borrow().clone());
    let get = {
        let (base, clerk, ids) = (base.clone(), clerk.clone(), ids.clone());
        drive(concurrency, duration, "one case by id", move |client, n| {
            let (base, clerk, ids) = (base.clone(), clerk.clone(), ids.clone());
            async move {
                let id = ids[n % ids.len().max(1)];
                send(&client, "GET", &format!("{base}/api/v1/cases/{id}"), &clerk, None).await?;
                Ok(Next::Again)
            }
        })
        .await
    };
    let list = {
        let (base, clerk) = (base.clone(), clerk.clone());
        drive(concurrency, duration, "list page of 50", move |client, _| {
            let (base, clerk) = (base.clone(), clerk.clone());
            async move {
                let url = format!("{base}/api/v1/cases?state=registered&channel=mailbox&limit=50");
                send(&client, "GET", &url, &clerk, None).await?;
                Ok(Next::Again)
            }
        })
        .await
    };
    let queue = Rc::new(RefCell::new(ids.iter().copied().collect::<Vec<_>>()));
    let workflow = {
        let (base, clerk, handler, queue) = (base.clone(), clerk.clone(), handler.clone(), queue.clone());
        drive(concurrency, duration, "workflow (assign, accept, reply, approve)", move |client, _| {
            let (base, clerk, handler, queue) = (base.clone(), clerk.clone(), handler.clone(), queue.clone());
            async move {
                let Some(id) = queue.borrow_mut().pop() else { return Ok(Next::Stop) };
                let act = |action: &str| format!("{base}/api/v1/cases/{id}/{action}");
                send(&client, "POST", &act("assign"), &clerk, Some(&json!({"department_id": department_id})))
                    .await?;
                send(&client, "POST", &act("accept"), &handler, Some(&json!({}))).await?;
                send(&client, "POST", &act("reply"), &handler, Some(&json!({"reply": "已协调解决。"})))
                    .await?;
                send(&client, "POST", &act("approve"), &clerk, Some(&json!({}))).await?;
                Ok(Next::Again)
            }
        })
        .await
    };
    Ok(json!({
        "intake": phase_json(&intake),
        "get": phase_json(&get),
        "list": phase_json(&list),
        "workflow": phase_json(&workflow),
        "client_peak_rss_mb": round(peak_rss_mb()),
    }))
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn print_api_table(r: &Value, o: &ApiOptions) {
    println!(
        "casedesk bench api — {}, {} clients, {:.0} s per phase (client and server on this machine)",
        r["backend"].as_str().unwrap_or(""),
        o.concurrency,
        o.duration.as_secs_f64()
    );
    println!("{:<34} {:>10} {:>9} {:>9} {:>9}", "phase", "per second", "p50 ms", "p99 ms", "max ms");
    for (label, key) in [
        ("intake (POST /cases)", "intake"),
        ("one case by id", "get"),
        ("list page of 50", "list"),
        ("workflow (4 requests)", "workflow"),
    ] {
        let f = |suffix: &str| r[format!("{key}_{suffix}")].as_f64().unwrap_or(0.0);
        println!(
            "{:<34} {:>10.0} {:>9.2} {:>9.2} {:>9.2}",
            label,
            f("rps"),
            f("p50_ms"),
            f("p99_ms"),
            f("max_ms")
        );
    }
    let f = |key: &str| r[key].as_f64().unwrap_or(0.0);
    println!(
        "{:<34} {:>10.0} {:>9} {:>9.2}",
        "intake, direct to the database",
        f("limit_rps"),
        "",
        f("limit_p99_ms")
    );
    println!("intake over HTTP / database limit: {}", r["intake_ratio"]);
    println!(
        "peak resident memory: service {} MB, load generator (a process of its own) {} MB",
        r["server_peak_rss_mb"], r["client_peak_rss_mb"]
    );
    println!("errors: {}", r["errors"]);
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
        |report| print_stats_table(report, &options),
    )
}

fn print_stats_table(report: &Value, options: &StatsOptions) {
    {
        println!(
            "casedesk bench stats — {}, {} cases received in 2024, median of {} calls each, intake going on at {}/s",
            report["backend"].as_str().unwrap_or(""),
            report["cases"],
            options.repeat,
            options.intake_rate
        );
        println!("{:<40} {:>10} {:>10}", "endpoint", "median ms", "max ms");
        for (label, key) in [
            ("GET /stats/summary", "summary"),
            ("GET /stats/by-channel", "by_channel"),
            ("GET /stats/by-department", "by_department"),
            ("GET /stats/trend?interval=month", "trend"),
        ] {
            let f = |suffix: &str| report[format!("{key}_{suffix}")].as_f64().unwrap_or(0.0);
            println!("{:<40} {:>10.2} {:>10.2}", label, f("ms"), f("max_ms"));
        }
        println!(
            "load: {} s; intake during the measurement: {} cases/s",
            report["load_s"], report["intake_rps"]
        );
    }
}

/// Loads `n` cases received in 2024 straight into the tables (through the
/// same insert as every loader of history, a few thousand per transaction),
/// then builds the rollups.
fn bulk_load(db: &Db, n: usize) -> Result<(), AppError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let departments: Vec<DepartmentId> = db.write_blocking(|conn| {
        let now = time::now_utc();
        (0..50)
            .map(|i| {
                db::departments::insert(
                    conn,
                    &db::models::NewDepartment {
                        name: format!("承办单位{i:02}"),
                        code: format!("D{i:02}"),
                        email: None,
                        active: true,
                        created_at: now,
                        updated_at: now,
                    },
                )
                .map_err(AppError::from)
            })
            .collect()
    })?;
    let channels = [
        ("mailbox", "MB", 5),
        ("minhu", "MH", 80),
        ("gov_web", "GW", 2),
        ("disclosure", "GK", 3),
        ("suggestion", "JY", 10),
    ];
    let year_start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date");
    let limit = Some(TimeLimit { amount: 15, unit: LimitUnit::Workday });
    let mut sequences = [0usize; 5];
    let batch = 5_000;
    let mut loaded = 0;
    let started = Instant::now();
    while loaded < n {
        let rows: Vec<NewCaseRow> = (0..batch.min(n - loaded))
            .map(|_| {
                let pick = rng.random_range(0..100);
                let mut cumulative = 0;
                let c = channels
                    .iter()
                    .position(|(_, _, weight)| {
                        cumulative += weight;
                        pick < cumulative
                    })
                    .unwrap_or(0);
                sequences[c] += 1;
                let (code, prefix, _) = channels[c];
                // Anywhere in 2024, Beijing time (a leap year: 366 days).
                let received = time::start_of_office_day(year_start)
                    + chrono::Duration::seconds(rng.random_range(0..366 * 86_400));
                let seconds: i64 = rng.random_range(3_600..30 * 86_400);
                let closed_at = received + chrono::Duration::seconds(seconds);
                let closed = rng.random_bool(0.98);
                let rating = match rng.random_range(0..10) {
                    0..=6 => Rating::Satisfied,
                    7..=8 => Rating::BasicallySatisfied,
                    _ => Rating::Unsatisfied,
                };
                NewCaseRow {
                    tracking_no: intake::tracking_number(prefix, 2024, sequences[c] as i32),
                    channel: code.into(),
                    external_ref: None,
                    title: "关于小区停车难的问题".into(),
                    content: "我们小区停车位严重不足，希望有关部门协调解决。".into(),
                    category: None,
                    citizen_name: None,
                    citizen_phone: None,
                    citizen_email: None,
                    citizen_address: None,
                    is_public: false,
                    query_code_hash: "x".into(),
                    received_at: received,
                    due_at: Some(received + chrono::Duration::days(21)),
                    state: if closed { CaseState::Closed } else { CaseState::Processing },
                    created_by: None,
                    created_at: received,
                    updated_at: received,
                    time_limit: limit.map(|l| l.amount as i32),
                    time_limit_unit: limit.map(|l| l.unit),
                    extension_limit: limit.map(|l| l.amount as i32),
                    extension_unit: limit.map(|l| l.unit),
                    department_id: Some(departments[rng.random_range(0..departments.len())]),
                    reply: None,
                    replied_at: None,
                    closed_at: closed.then_some(closed_at),
                    rating: closed.then_some(rating),
                    result_rating: if code == "suggestion" { closed.then_some(rating) } else { None },
                    rating_source: closed.then_some(RatingSource::Callback),
                    rated_at: closed.then_some(closed_at),
                    handling_seconds: closed.then_some(seconds),
                    handling_workdays: closed.then_some((seconds / 86_400 * 5 / 7) as i32),
                }
            })
            .collect();
        db.write_blocking(|conn| Ok(db::cases::insert_many(conn, &rows)?))?;
        loaded += rows.len();
        progress(&format!(
            "loading cases: {loaded}/{n} ({:.0} per second)",
            loaded as f64 / started.elapsed().as_secs_f64()
        ));
    }
    progress("building the rollups, the planner's statistics and the visibility map ...");
    db.write_blocking(|conn| Ok(db::rollups::rebuild(conn)?))?;
    // Outside a transaction: PostgreSQL does not vacuum inside one.
    db::refresh_statistics(&mut *db.pool().get()?)?;
    Ok(())
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
    actix_web::web::block(move || bulk_load(&db, cases))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let load_s = started.elapsed().as_secs_f64();
    let service = start(url, 16).await?;
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
                let client = client();
                let mut i = w * 1_000_000;
                let mut next = Instant::now();
                while !stop.get() {
                    // Two writers at a steady pace make the asked-for rate.
                    next += pause;
                    actix_web::rt::time::sleep_until(next.into()).await;
                    i += 1;
                    if send(&client, "POST", &format!("{base}/api/v1/cases"), &admin, Some(&case_body(i)))
                        .await
                        .is_ok()
                    {
                        done.set(done.get() + 1);
                    }
                }
            })
        })
        .collect();
    let client = client();
    let mut timings = serde_json::Map::new();
    for (key, path) in [
        ("summary", "summary?from=2024-01-01&to=2025-01-01"),
        ("by_channel", "by-channel?from=2024-01-01&to=2025-01-01"),
        ("by_department", "by-department?from=2024-01-01&to=2025-01-01"),
        ("trend", "trend?interval=month&from=2024-01-01&to=2025-01-01"),
    ] {
        let mut samples = Vec::new();
        for i in 0..o.repeat {
            progress(&format!("GET /api/v1/stats/{path}: {}/{}", i + 1, o.repeat));
            let t = Instant::now();
            let body = call(&client, "GET", &format!("{base}/api/v1/stats/{path}"), &admin, None).await?;
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
            if key == "summary" && i == 0 {
                let received = body["figures"]["received"].as_u64().unwrap_or(0) as usize;
                if received != o.cases {
                    return Err(format!("the summary counts {received} cases, {} were loaded", o.cases));
                }
            }
        }
        samples.sort_by(f64::total_cmp);
        timings.insert(format!("{key}_ms"), json!(round(samples[samples.len() / 2])));
        timings.insert(format!("{key}_max_ms"), json!(round(samples[samples.len() - 1])));
    }
    stop.set(true);
    for writer in writers {
        let _ = writer.await;
    }
    let intake_rps = intake_done.get() as f64 / intake_started.elapsed().as_secs_f64();
    service.handle.stop(true).await;
    let mut report = json!({
        "backend": match o.backend { BenchBackend::Sqlite => "sqlite", BenchBackend::Postgres => "postgres" },
        "cases": o.cases,
        "repeat": o.repeat,
        "load_s": round(load_s),
        "intake_rps": round(intake_rps),
        "server_peak_rss_mb": round(peak_rss_mb()),
    });
    if let Value::Object(map) = &mut report {
        map.extend(timings);
    }
    Ok(report)
}
