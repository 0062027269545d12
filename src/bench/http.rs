//! The HTTP side of `casedesk bench`: the service under test, the clients,
//! and the load generator (`casedesk bench-load`), which drives the HTTP
//! phases of `bench api` from a process of its own.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{peak_rss_mb, phase_json, round, Phase};
use crate::app::Application;
use crate::config::Settings;
use crate::db::Db;
use crate::progress::Progress;

/// The service under test, started in this process.
pub(super) struct Service {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub handle: actix_web::dev::ServerHandle,
    pub db: Db,
    /// The admin's token.
    pub admin: String,
    /// The admin's password, for signing in to the pages.
    pub admin_password: String,
}

/// Starts the service against the database at `url` and logs the admin in.
pub(super) async fn start(url: &str, pool_size: u32) -> Result<Service, String> {
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
    // The text indexer is part of intake's cost: it runs as in service.
    crate::indexer::spawn(db.clone());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = client();
    let mut response = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"username": "admin", "password": admin_password}))
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    let admin = body["token"].as_str().ok_or("login failed")?.to_owned();
    Ok(Service { base, handle, db, admin, admin_password })
}

/// An HTTP client as each simulated user has one.
pub(super) fn client() -> awc::Client {
    awc::Client::builder().timeout(Duration::from_secs(30)).finish()
}

/// One request; the body is returned unparsed, so that the client spends no
/// more of the shared CPU than it must.
pub(super) async fn send(
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
pub(super) async fn call(
    client: &awc::Client,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let bytes = send(client, method, url, token, body).await?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// The body of the `i`th case registered.
pub(super) fn case_body(i: usize) -> Value {
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

/// Runs `operation` from `concurrency` clients for `duration`, timing each
/// call; progress counts the operations in `unit`.
async fn drive<F, Fut>(
    concurrency: usize,
    duration: Duration,
    label: &str,
    unit: &'static str,
    operation: F,
) -> Phase
where
    F: Fn(Rc<awc::Client>, usize) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<Next, String>> + 'static,
{
    let operation = Rc::new(operation);
    let results = Rc::new(RefCell::new(Phase::default()));
    let counter = Rc::new(std::cell::Cell::new(0usize));
    let progress = Rc::new(Progress::timed(label, duration, unit));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (operation, results, counter, progress) =
            (operation.clone(), results.clone(), counter.clone(), progress.clone());
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
                            progress.println(e);
                        }
                        r.errors += 1;
                    }
                }
            }
        }));
    }
    let ticker = {
        let (results, progress) = (results.clone(), progress.clone());
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(Duration::from_millis(500)).await;
                progress.set(results.borrow().operations as u64);
            }
        })
    };
    for task in tasks {
        let _ = task.await;
    }
    ticker.abort();
    let mut phase = results.borrow().clone();
    phase.elapsed = started.elapsed();
    progress.set(phase.operations as u64);
    progress.finish();
    phase
}

/// The phases the load generator drives, in order.
pub(super) const PHASES: [&str; 4] = ["intake", "get", "list", "workflow"];

/// What `casedesk bench-load` is asked to do, on its standard input.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct LoadJob {
    pub base: String,
    pub clerk: String,
    pub handler: String,
    pub department_id: i64,
    pub concurrency: usize,
    pub duration_s: f64,
}

/// Runs `casedesk bench-load` with `job`; returns the figures it printed.
pub(super) fn run_load_process(job: &LoadJob) -> Result<Value, String> {
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
pub fn load_generator() -> Result<(), String> {
    let job: LoadJob = serde_json::from_reader(std::io::stdin()).map_err(|e| format!("bench-load: {e}"))?;
    let report = actix_web::rt::System::new().block_on(run_load(job))?;
    println!("{report}");
    Ok(())
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
        drive(concurrency, duration, "intake over HTTP", "cases", move |client, n| {
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
        drive(concurrency, duration, "one case by id", "reads", move |client, n| {
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
        drive(concurrency, duration, "list page of 50", "pages", move |client, _| {
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
        drive(
            concurrency,
            duration,
            "workflow (assign, accept, reply, approve)",
            "cases",
            move |client, _| {
                let (base, clerk, handler, queue) =
                    (base.clone(), clerk.clone(), handler.clone(), queue.clone());
                async move {
                    let Some(id) = queue.borrow_mut().pop() else { return Ok(Next::Stop) };
                    let act = |action: &str| format!("{base}/api/v1/cases/{id}/{action}");
                    send(
                        &client,
                        "POST",
                        &act("assign"),
                        &clerk,
                        Some(&json!({"department_id": department_id})),
                    )
                    .await?;
                    send(&client, "POST", &act("accept"), &handler, Some(&json!({}))).await?;
                    send(&client, "POST", &act("reply"), &handler, Some(&json!({"reply": "已协调解决。"})))
                        .await?;
                    send(&client, "POST", &act("approve"), &clerk, Some(&json!({}))).await?;
                    Ok(Next::Again)
                }
            },
        )
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
