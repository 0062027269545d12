//! Operations endpoints and the command line.

use std::process::Command;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, TestDb, METRICS_TOKEN};

async fn health_readiness_and_metrics(app: &TestApp) {
    let health = app.get("/healthz", None).await.expect(200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.get("/readyz", None).await.expect(200);
    assert_eq!(ready.body["database"], if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" });
    assert!(ready.header("x-request-id").is_some_and(|id| id.len() >= 32), "requests carry an id");
    app.get("/api/v1/cases/1", None).await.expect(401);
    let metrics = app.get("/metrics", Some(METRICS_TOKEN)).await.expect(200);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    assert!(
        metrics.text.contains(
            r#"casedesk_http_requests_total{method="GET",route="/api/v1/cases/{id}",status="401"} 1"#
        ),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains(
            r#"casedesk_http_request_duration_seconds_count{method="GET",route="/api/v1/cases/{id}",status="401"} 1"#
        ),
        "latencies are kept by route and status"
    );
    assert!(metrics.text.contains(
        r#"casedesk_http_request_duration_seconds_bucket{method="GET",route="/readyz",status="200",le="#
    ));
    assert!(metrics.text.contains("casedesk_db_pool_max_connections 8"));
    assert!(metrics.text.contains("casedesk_db_pool_connections"));
}

/// `/metrics` is for the operator's scraper only, and invented methods
/// cannot grow it: they are all `OTHER`.
async fn metrics_need_their_token_and_label_unknown_methods_as_other(app: &TestApp) {
    for token in [None, Some("wrong-token-wrong-token"), Some(crate::helpers::JWT_SECRET)] {
        let refused = app.get("/metrics", token).await;
        assert_eq!((refused.status, refused.code()), (401, "unauthenticated"), "{token:?}");
    }
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("FROB{i}").as_bytes()).unwrap();
        app.send(app.request(method, &format!("/no/such/path/{i}"), None)).await;
    }
    let metrics = app.get("/metrics", Some(METRICS_TOKEN)).await.expect(200);
    assert!(!metrics.text.contains("FROB"), "{}", metrics.text);
    assert!(metrics
        .text
        .contains(r#"casedesk_http_requests_total{method="OTHER",route="unmatched",status="#));
    let series = metrics.text.lines().filter(|l| l.starts_with("casedesk_http_requests_total{")).count();
    assert!(series < 10, "{series} series after 20 invented methods");
}

/// Every answer tells the browser not to sniff types, not to send the
/// address on, and — since they carry tokens and personal data — not to
/// keep it.
async fn responses_carry_security_headers(app: &TestApp) {
    let admin = app.admin().await;
    for path in ["/healthz", "/api/v1/auth/me", "/api/v1/cases", "/no/such/path"] {
        let resp = app.get(path, Some(&admin)).await;
        assert_eq!(resp.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(resp.header("referrer-policy"), Some("same-origin"), "{path}");
        assert_eq!(resp.header("cache-control"), Some("no-store"), "{path}");
    }
}

backend_tests!(
    health_readiness_and_metrics,
    metrics_need_their_token_and_label_unknown_methods_as_other,
    responses_carry_security_headers,
);

/// `CASEDESK_METRICS_LISTEN` serves `/metrics` alone, without a token, on an
/// address of its own.
#[actix_web::test]
async fn metrics_on_their_own_address_need_no_token() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.metrics_token = None;
        s.metrics_listen = Some("127.0.0.1:0".into());
    })
    .await;
    let port = app.metrics_port.expect("a metrics port");
    let page = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("casedesk_db_pool_max_connections"));
    let other = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/cases")).await.unwrap();
    assert_eq!(other.status(), 404, "nothing else is served there");
    app.get("/metrics", None).await.expect(401);
    app.shutdown().await;
}

/// The database and its log are readable by the service's account only.
#[actix_web::test]
async fn sqlite_files_are_private_to_the_service() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    app.department(&admin, "EDU").await;
    let file = std::path::PathBuf::from(app.database_url.trim_start_matches("sqlite://"));
    for path in [file.clone(), file.with_extension("db-wal"), file.with_extension("db-shm")] {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    app.shutdown().await;
}

fn casedesk() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_casedesk"));
    for var in
        ["CASEDESK_JWT_SECRET", "CASEDESK_ADMIN_PASSWORD", "DATABASE_URL", "CASEDESK_NEW_USER_PASSWORD"]
    {
        command.env_remove(var);
    }
    command
}

#[test]
fn the_service_refuses_to_start_without_a_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let output = casedesk().current_dir(dir.path()).arg("serve").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CASEDESK_JWT_SECRET"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line saying what to set: {stderr}");
    let short = casedesk().current_dir(dir.path()).env("CASEDESK_JWT_SECRET", "short").output().unwrap();
    assert_ne!(short.status.code(), Some(0));
    assert!(!dir.path().join("data").exists(), "nothing was created before refusing");
}

#[test]
fn migrate_and_user_add_work_from_the_command_line() {
    let (_db, url) = TestDb::create(Backend::Sqlite);
    let migrate = casedesk().env("DATABASE_URL", &url).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("applied"));
    let again = casedesk().env("DATABASE_URL", &url).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));
    let add = casedesk()
        .env("DATABASE_URL", &url)
        .args(["user", "add", "--username", "zhangwei", "--role", "clerk", "--display-name", "张伟"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&add.stdout);
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    assert!(stdout.contains("with password: "), "{stdout}");
    let handler_without_department = casedesk()
        .env("DATABASE_URL", &url)
        .env("CASEDESK_NEW_USER_PASSWORD", "long-enough-password")
        .args(["user", "add", "--username", "lina", "--role", "handler", "--display-name", "李娜"])
        .output()
        .unwrap();
    assert!(!handler_without_department.status.success());
    assert!(String::from_utf8_lossy(&handler_without_department.stderr).contains("--department"));
}

/// What the command line writes holds personal data (exports carry phone
/// and email in full, refused rows whatever the file held): 0600, like the
/// database, also when it writes over an existing file.
#[test]
fn command_line_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let (db, url) = TestDb::create(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = casedesk().env("DATABASE_URL", &url).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "渠道,外部编号,标题,内容,收到时间\nmailbox,X-1,停车难,,2024-03-05\n").unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(path("export.csv"), "an older export").unwrap();
    std::fs::set_permissions(path("export.csv"), std::fs::Permissions::from_mode(0o644)).unwrap();
    run(&["import", &bad.display().to_string(), "--refused", &path("refused.csv")]);
    run(&["export", "--output", &path("export.csv")]);
    run(&["export", "--format", "xlsx", "--output", &path("export.xlsx")]);
    run(&["report", "--year", "2024", "--output", &path("report.txt")]);
    run(&["report", "--year", "2024", "--format", "xlsx", "--output", &path("report.xlsx")]);
    for name in ["refused.csv", "export.csv", "export.xlsx", "report.txt", "report.xlsx"] {
        let mode = std::fs::metadata(path(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name} is {mode:o}");
    }
    drop(db);
}

/// Connections opened at the same moment on a database whose log was just
/// closed race to recover it; without a busy timeout in force first, the
/// losers failed with "database is locked" (the checkpointer among them, which
/// then never ran and left the log to grow).
#[test]
fn sqlite_connections_opened_together_wait_for_each_other() {
    use diesel::connection::SimpleConnection;
    let mut failures = Vec::new();
    for _ in 0..60 {
        let (_dir, url) = TestDb::create(Backend::Sqlite);
        let manager = casedesk::db::ConnectionManager::new(&url).unwrap();
        manager.establish().unwrap().batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        let start = std::sync::Arc::new(std::sync::Barrier::new(4));
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let (manager, start) = (manager.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    manager.establish().map(drop).map_err(|e| e.to_string())
                })
            })
            .collect();
        failures.extend(openers.into_iter().filter_map(|o| o.join().unwrap().err()));
    }
    assert!(
        failures.is_empty(),
        "{} of 240 connections failed to open: {:?}",
        failures.len(),
        failures.first()
    );
}

/// SQLite's automatic checkpoints are off (they stalled every writer behind
/// the commit that ran them); the checkpointer thread must copy committed
/// pages into the database file while the service runs, or the log would
/// grow without end.
#[test]
fn sqlite_pages_reach_the_database_file_while_the_service_runs() {
    let (_dir, url) = TestDb::create(Backend::Sqlite);
    let path = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
    let db = casedesk::db::Db::connect(&url, 2).unwrap();
    // Let the checkpointer copy the migrations' pages first.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let size = || std::fs::metadata(&path).unwrap().len();
    let before = size();
    let now = casedesk::domain::time::now_utc();
    db.write_blocking(|conn| {
        for i in 0..600 {
            casedesk::db::outbox::insert(
                conn,
                &casedesk::db::models::NewMessage {
                    kind: casedesk::domain::notice::Notice::Assigned,
                    recipient: format!("handler{i}@county.gov.cn"),
                    subject: "【交办】".into(),
                    case_id: None,
                    payload: "长".repeat(1500),
                    next_attempt_at: now,
                    created_at: now,
                },
            )?;
        }
        Ok(())
    })
    .unwrap();
    let written_to_log = size();
    // A checkpoint every 100 ms; a busy machine may delay a few.
    let waited = std::time::Instant::now();
    while size() - before < 2_000_000 && waited.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        size() - before > 2_000_000,
        "the 2.7 MB written reached the database file ({before} → {written_to_log} → {} bytes)",
        size()
    );
    drop(db);
}

/// Under a steady stream of writers SQLite's log never starts over by itself
/// (it grew by a gigabyte in ten seconds of intake); the checkpointer must
/// make it start over, again and again, however fast the writers are.
#[test]
fn sqlite_log_starts_over_under_a_steady_stream_of_writers() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let (_dir, url) = TestDb::create(Backend::Sqlite);
    let wal = std::path::PathBuf::from(format!("{}-wal", url.trim_start_matches("sqlite://")));
    // Bytes 12-15 of the log's header count its start-overs.
    let starts_of_the_log = || {
        let mut header = [0u8; 16];
        std::fs::File::open(&wal)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
            .map(|()| u32::from_be_bytes([header[12], header[13], header[14], header[15]]))
            .ok()
    };
    let db = casedesk::db::Db::connect(&url, 4).unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let written = std::sync::Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (db, stop, written) = (db.clone(), stop.clone(), written.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let now = casedesk::domain::time::now_utc();
                    db.write_blocking(|conn| {
                        casedesk::db::outbox::insert(
                            conn,
                            &casedesk::db::models::NewMessage {
                                kind: casedesk::domain::notice::Notice::Assigned,
                                recipient: "handler@county.gov.cn".into(),
                                subject: "【交办】".into(),
                                case_id: None,
                                payload: "长".repeat(1000),
                                next_attempt_at: now,
                                created_at: now,
                            },
                        )?;
                        Ok(())
                    })
                    .unwrap();
                    written.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // 20,000 rows of 3 KB, however long a busy machine takes for them.
    let target = 20_000;
    let mut largest = 0;
    let mut starts = std::collections::BTreeSet::new();
    let started = std::time::Instant::now();
    while written.load(Ordering::Relaxed) < target && started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        starts.extend(starts_of_the_log());
    }
    stop.store(true, Ordering::Relaxed);
    writers.into_iter().for_each(|w| w.join().unwrap());
    let written = written.load(Ordering::Relaxed);
    assert!(written >= target, "the writers wrote only {written} rows in a minute");
    assert!(starts.len() >= 5, "the log started over again and again: {starts:?}");
    // Without restarts the log held 17.6 KB a row (364 MB for 20,677 rows
    // when this test was written); with them it holds what the writers add
    // in one round of the checkpointer (20-65 MB in the debug suite, whose
    // writers reach 10,000 rows a second).
    assert!(
        largest < written as u64 * 6_000,
        "the log stayed small: at most {largest} bytes while {written} rows of 3 KB were written"
    );
}

/// SIGTERM stops the service gracefully: a request already being received
/// is answered in full, new connections are refused, and the process exits
/// successfully.
#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let mut service = casedesk()
        .current_dir(dir.path())
        .env("CASEDESK_JWT_SECRET", "a-test-secret-that-is-long-enough-for-hs256")
        .env("CASEDESK_ADMIN_PASSWORD", "long-enough-password")
        .env("CASEDESK_LISTEN", &address)
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut connection = loop {
        match std::net::TcpStream::connect(&address) {
            Ok(stream) => break stream,
            Err(_) if started.elapsed() < std::time::Duration::from_secs(30) => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            Err(e) => panic!("the service did not start listening on {address}: {e}"),
        }
    };
    let body = r#"{"username":"admin","password":"long-enough-password"}"#;
    let (first_half, second_half) = body.split_at(20);
    write!(
        connection,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{first_half}",
        body.len()
    )
    .unwrap();
    connection.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let kill = Command::new("kill").args(["-TERM", &service.id().to_string()]).status().unwrap();
    assert!(kill.success());
    // Long enough for a service that did not wait for its connections to be gone.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        std::net::TcpStream::connect(&address).is_err(),
        "after SIGTERM the service accepts no new connections"
    );
    connection.write_all(second_half.as_bytes()).unwrap();
    let mut response = String::new();
    connection.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "the request in flight was answered: {response}");
    assert!(response.contains("\"token\""), "{response}");
    let waited = std::time::Instant::now();
    let status = loop {
        if let Some(status) = service.try_wait().unwrap() {
            break status;
        }
        assert!(waited.elapsed() < std::time::Duration::from_secs(30), "the service exits after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "a graceful stop exits successfully: {status}");
}
