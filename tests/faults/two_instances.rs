//! Two instances on one PostgreSQL database, both running the deadline scan
//! and the mail sender, under intake and action load sent to either.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};

use crate::harness::{
    assert_intake_sound, check_intake, client, count, login, serially, Acknowledged, ScratchDb, Service,
    ADMIN_PASSWORD,
};
use crate::load::{self, IntakeLoad};

const PASSWORD: &str = "password-for-fault-tests";

#[derive(QueryableByName)]
struct EventCount {
    #[diesel(sql_type = BigInt)]
    case_id: i64,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
    key: Option<&str>,
) -> (u16, Value) {
    let mut request = http.post(url).bearer_auth(token).json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let resp = request.send().await.expect("the service answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Registers `cases` cases and takes each through assign and accept, the
/// steps alternating between the two instances; returns the acknowledged
/// registrations.
async fn act(bases: Vec<String>, clerk: String, handler: String, department: i64, c: usize) -> Acknowledged {
    let http = client(Duration::from_secs(30));
    let mut acked = Acknowledged::default();
    for i in 0..10 {
        let key = format!("act-c{c}-{i}");
        let body = json!({
            "channel": "mailbox",
            "title": format!("故障测试 {key}"),
            "content": "办理负载",
            "citizen": {"name": "李强", "email": format!("citizen-{c}-{i}@example.cn")},
        });
        let base = |n: usize| bases[(c + i + n) % bases.len()].clone();
        let (status, case) = post(&http, format!("{}/api/v1/cases", base(0)), &clerk, body, Some(&key)).await;
        assert_eq!(status, 201, "{case}");
        acked.first.insert(key, case["tracking_no"].as_str().unwrap().to_owned());
        let id = case["id"].as_i64().unwrap();
        let (status, resp) = post(
            &http,
            format!("{}/api/v1/cases/{id}/assign", base(1)),
            &clerk,
            json!({"department_id": department}),
            None,
        )
        .await;
        assert_eq!(status, 200, "{resp}");
        let (status, resp) =
            post(&http, format!("{}/api/v1/cases/{id}/accept", base(2)), &handler, json!({}), None).await;
        assert_eq!(status, 200, "{resp}");
    }
    acked
}

async fn two_instances_on_one_database() {
    let started = Instant::now();
    let db = ScratchDb::postgres();
    // Cases for the deadline scan, registered before the two instances
    // start: received 1 to 30 days ago, so some are overdue, some due soon.
    let mut seed = Service::new(&db.url, &db.dir.path().join("seed"), &[]);
    seed.start().await;
    let admin = login(&seed.base, "admin", ADMIN_PASSWORD).await;
    let http = client(Duration::from_secs(30));
    let (status, dept) = post(
        &http,
        format!("{}/api/v1/departments", seed.base),
        &admin,
        json!({"name": "教育局", "code": "EDU", "email": "edu@county.gov.cn"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{dept}");
    let department = dept["id"].as_i64().unwrap();
    for (username, role, department_id) in
        [("clerk", "clerk", None), ("handler", "handler", Some(department))]
    {
        let body = json!({"username": username, "password": PASSWORD, "display_name": username,
                          "role": role, "department_id": department_id, "email": format!("{username}@county.gov.cn")});
        let (status, resp) = post(&http, format!("{}/api/v1/users", seed.base), &admin, body, None).await;
        assert_eq!(status, 201, "{resp}");
    }
    let mut seeded = Acknowledged::default();
    for day in 1..=30 {
        let received = chrono::Utc::now() - chrono::Duration::days(day);
        let key = format!("seed-{day}");
        let body = json!({
            "channel": "mailbox",
            "title": format!("故障测试 {key}"),
            "content": "期限扫描",
            "received_at": received.to_rfc3339(),
            "citizen": {"name": "张敏", "email": format!("seed-{day}@example.cn")},
        });
        let (status, case) =
            post(&http, format!("{}/api/v1/cases", seed.base), &admin, body, Some(&key)).await;
        assert_eq!(status, 201, "{case}");
        seeded.first.insert(key, case["tracking_no"].as_str().unwrap().to_owned());
        if day % 2 == 0 {
            let id = case["id"].as_i64().unwrap();
            let url = format!("{}/api/v1/cases/{id}/assign", seed.base);
            let (status, resp) = post(&http, url, &admin, json!({"department_id": department}), None).await;
            assert_eq!(status, 200, "{resp}");
        }
    }
    seed.kill9();

    // Both start together, each scanning deadlines and sending mail at once.
    let background = [("CASEDESK_BACKGROUND_TASKS", "true")];
    let mut a = Service::new(&db.url, &db.dir.path().join("a"), &background);
    let mut b = Service::new(&db.url, &db.dir.path().join("b"), &background);
    let scan_time = chrono::Utc::now().naive_utc();
    a.spawn();
    b.spawn();
    a.wait_healthy().await;
    b.wait_healthy().await;
    let bases = vec![a.base.clone(), b.base.clone()];
    let clerk = login(&a.base, "clerk", PASSWORD).await;
    let handler = login(&b.base, "handler", PASSWORD).await;

    let intake = IntakeLoad {
        bases: bases.clone(),
        token: clerk.clone(),
        clients: 8,
        per_client: 20,
        content_chars: 200,
        tag: "two".into(),
        timeout: Duration::from_secs(30),
    };
    let intake =
        tokio::spawn(load::run(intake, Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false))));
    let actors: Vec<_> = (0..4)
        .map(|c| tokio::spawn(act(bases.clone(), clerk.clone(), handler.clone(), department, c)))
        .collect();
    let mut run = intake.await.unwrap();
    for actor in actors {
        run.acked.first.extend(actor.await.unwrap().first);
    }
    run.acked.first.extend(seeded.first);

    // Every message is sent by one of the two; wait for the senders (every 2 s).
    let mut conn = db.connect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&mut conn, "SELECT COUNT(*) AS n FROM outbox WHERE state <> 'sent'") > 0 {
        assert!(Instant::now() < deadline, "mail still unsent after 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let check = check_intake(&mut conn, &run.acked);

    // Each deadline event once per case; the overdue ones all recorded.
    let events: Vec<EventCount> = diesel::sql_query(
        "SELECT case_id, action, COUNT(*) AS n FROM case_events \
         WHERE action IN ('overdue', 'due_soon') GROUP BY case_id, action",
    )
    .load(&mut conn)
    .unwrap();
    let doubled_events = events.iter().filter(|e| e.n != 1).count();
    let overdue: BTreeSet<i64> = events.iter().filter(|e| e.action == "overdue").map(|e| e.case_id).collect();
    let due_soon = events.iter().filter(|e| e.action == "due_soon").count();
    // The seeded cases were there when both instances scanned at start;
    // the load's cases came later, for the next scan a minute on.
    let overdue_at_start: Vec<Id> = diesel::sql_query(format!(
        "SELECT id FROM cases WHERE due_at < '{}' AND state NOT IN ('closed', 'invalid') \
         AND title LIKE '故障测试 seed-%'",
        scan_time.format("%Y-%m-%d %H:%M:%S")
    ))
    .load(&mut conn)
    .unwrap();
    let overdue_missed = overdue_at_start.iter().filter(|c| !overdue.contains(&c.id)).count();

    // Each message once: a file per message, written by one instance only.
    let mut files: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_instance = Vec::new();
    for service in [&a, &b] {
        let dir = db.dir.path().join(if service.port == a.port { "a" } else { "b" }).join("data/outbox");
        let names: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        per_instance.push(names.len());
        for name in names {
            *files.entry(name).or_default() += 1;
        }
    }
    let messages = count(&mut conn, "SELECT COUNT(*) AS n FROM outbox") as usize;
    let mails_twice = files.values().filter(|n| **n > 1).count();
    let ids: Vec<Id> = diesel::sql_query("SELECT id FROM outbox").load(&mut conn).unwrap();
    let mails_missing = ids.iter().filter(|m| !files.contains_key(&format!("{:010}.eml", m.id))).count();

    println!(
        "two instances on postgres: {check}; deadline events: overdue {} (cases overdue at the scan {}, \
         missed {overdue_missed}), due_soon {due_soon}, recorded more than once {doubled_events}; mail: \
         {messages} messages, {} files (instance a {}, b {}), sent twice {mails_twice}, missing \
         {mails_missing}; {:.1} s",
        overdue.len(),
        overdue_at_start.len(),
        files.len(),
        per_instance[0],
        per_instance[1],
        started.elapsed().as_secs_f64()
    );
    assert!(run.unexpected.is_empty(), "{:?}", run.unexpected);
    assert!(run.refusals.is_empty(), "nothing refused with both instances up: {:?}", run.refusals);
    assert_intake_sound(&check, &run.acked);
    assert_eq!(doubled_events, 0);
    assert!(!overdue_at_start.is_empty() && due_soon > 0, "the seeded cases exercise both events");
    assert_eq!(overdue_missed, 0);
    assert!(messages > 0);
    assert_eq!(mails_twice, 0);
    assert_eq!(mails_missing, 0);
    assert_eq!(files.len(), messages);
}

#[test]
fn two_instances_on_one_postgres_lose_and_double_nothing() {
    serially(two_instances_on_one_database());
}
