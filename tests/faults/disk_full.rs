//! SQLite out of disk space.
//!
//! The mechanism: RLIMIT_FSIZE on the service process. A tmpfs mounted by the
//! test would need root (CAP_SYS_ADMIN), which CI containers often lack; a
//! file-size limit needs no privilege. The child ignores SIGXFSZ (set by a
//! shell before it execs the binary; an ignored signal stays ignored across
//! exec), so a write past the limit fails with EFBIG instead of killing it.
//! `prlimit --pid` lowers only the soft limit, to a little above the
//! database's files as they are; raising it back up to the untouched hard
//! limit needs no privilege either, and is how "space returns".

use std::process::Command;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::Value;

use crate::harness::{
    assert_intake_sound, check_intake, client, count, intake_body, login, serially, Acknowledged, ScratchDb,
    Service, ADMIN_PASSWORD,
};

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

fn set_file_size_limit(pid: u32, soft: &str) {
    let status = Command::new("prlimit").arg(format!("--pid={pid}")).arg(format!("--fsize={soft}:")).status();
    assert!(status.expect("prlimit (util-linux) runs").success(), "prlimit --fsize={soft}: failed");
}

fn acknowledge(acked: &mut Acknowledged, key: String, case: &Value) {
    acked.first.insert(key, case["tracking_no"].as_str().unwrap().to_owned());
}

async fn intake(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    n: usize,
) -> (u16, Value, String) {
    let resp = http
        .post(format!("{base}/api/v1/cases"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&intake_body(key, n, 4000))
        .send()
        .await
        .expect("the service answers while the disk is full");
    let status = resp.status().as_u16();
    let content_type =
        resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, resp.json().await.unwrap_or(Value::Null), content_type)
}

async fn sqlite_disk_full() {
    let started = Instant::now();
    let db = ScratchDb::sqlite();
    let mut service = Service::new(&db.url, &db.dir.path().join("service"), &[]);
    service.ignore_sigxfsz = true;
    // The log is under the limit too, but stays far below it.
    service.start().await;
    let token = login(&service.base, "admin", ADMIN_PASSWORD).await;
    let http = client(Duration::from_secs(20));
    let mut acked = Acknowledged::default();
    let mut n = 0;
    for _ in 0..5 {
        let key = format!("full-{n}");
        let (status, body, _) = intake(&http, &service.base, &token, &key, n).await;
        assert_eq!(status, 201, "{body}");
        acknowledge(&mut acked, key, &body);
        n += 1;
    }
    let first_case = acked.first.len();

    // Files may grow 256 KiB beyond the largest of the database's files now.
    let path = db.dir.path().join("casedesk.db");
    let largest = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
        .map(|m| m.len())
        .max()
        .unwrap();
    let limit = (largest / 4096 + 64) * 4096;
    // A reader on the log keeps SQLite from starting the log over, which
    // would give a later write room again without any space returning (a
    // writer that finds the log wholly copied starts it over, and the
    // checkpointer copies it every 100 ms): the disk stays full until the
    // test says space returns.
    let mut pin = db.connect();
    pin.batch_execute("BEGIN").unwrap();
    count(&mut pin, "SELECT COUNT(*) AS n FROM cases");
    set_file_size_limit(service.pid(), &limit.to_string());
    let mut refused = None;
    while refused.is_none() {
        assert!(n < 3000, "the file-size limit of {limit} bytes never stopped intake");
        let key = format!("full-{n}");
        let (status, body, content_type) = intake(&http, &service.base, &token, &key, n).await;
        match status {
            201 => acknowledge(&mut acked, key, &body),
            503 | 507 => refused = Some((key, status, body, content_type)),
            other => panic!("intake on a full disk answered {other}: {body}\n{}", service.log_tail()),
        }
        n += 1;
    }
    let (refused_key, status, problem, content_type) = refused.unwrap();
    let acked_when_full = acked.first.len();
    assert_eq!(content_type, "application/problem+json");
    assert!(problem["code"] == "unavailable" || problem["code"] == "insufficient_storage", "{problem}");

    // While full: further writes refused the same way, nothing half-written,
    // reads served.
    let mut refused_again = 0;
    for _ in 0..5 {
        let (again, body, _) = intake(&http, &service.base, &token, &refused_key, n).await;
        assert_eq!(again, status, "{body}");
        refused_again += 1;
    }
    let mut conn = db.connect();
    let cases_when_full = count(&mut conn, "SELECT COUNT(*) AS n FROM cases") as usize;
    let full_check = check_intake(&mut conn, &acked);
    assert_eq!(cases_when_full, acked_when_full, "a refused intake left a case behind");
    assert_intake_sound(&full_check, &acked);
    let mut reads = 0;
    for path in ["/readyz".to_owned(), "/api/v1/cases?limit=5".to_owned(), "/api/v1/channels".to_owned()] {
        let resp = http.get(format!("{}{path}", service.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(resp.status(), 200, "GET {path} while the disk is full");
        reads += 1;
    }

    // Space returns: the refused request goes through, and so do new ones.
    pin.batch_execute("COMMIT").unwrap();
    set_file_size_limit(service.pid(), "unlimited");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body, _) = intake(&http, &service.base, &token, &refused_key, n - 1).await;
        if status == 201 {
            acknowledge(&mut acked, refused_key.clone(), &body);
            break;
        }
        assert!(Instant::now() < deadline, "intake still refused 10 s after space returned: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for _ in 0..5 {
        let key = format!("full-{n}");
        let (status, body, _) = intake(&http, &service.base, &token, &key, n).await;
        assert_eq!(status, 201, "{body}");
        acknowledge(&mut acked, key, &body);
        n += 1;
    }
    let check = check_intake(&mut conn, &acked);
    let integrity: IntegrityCheck =
        diesel::sql_query("PRAGMA integrity_check").get_result(&mut conn).unwrap();
    println!(
        "sqlite disk full (RLIMIT_FSIZE {limit} bytes): {acked_when_full} cases acknowledged ({} after the \
         limit was set) before intake was refused ({status} {}: {}), {refused_again} more writes refused, {cases_when_full} cases in the database \
         then, {reads} reads served while full; after space returned: {check}; integrity_check {}; {:.1} s",
        acked_when_full - first_case,
        problem["code"],
        problem["detail"],
        integrity.integrity_check,
        started.elapsed().as_secs_f64()
    );
    assert_intake_sound(&check, &acked);
    assert_eq!(integrity.integrity_check, "ok");
}

#[test]
fn sqlite_disk_full_refuses_intake_serves_reads_and_recovers() {
    serially(sqlite_disk_full());
}
