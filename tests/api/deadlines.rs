//! Deadlines over HTTP: due dates, extensions, clock pauses, overdue cases,
//! supervision, the calendar API, and deadline events written exactly once.

use casedesk::db::Db;
use casedesk::deadlines;
use casedesk::domain::calendar::{parse_csv, Calendar};
use casedesk::domain::time;
use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Backend, Office, TestApp};

const SCHEDULE: &str = include_str!("../../migrations/seed/cn-holidays.csv");

fn calendar() -> Calendar {
    Calendar::new(parse_csv(SCHEDULE).unwrap().into_iter().map(|(d, w, _)| (d, w)))
}

/// A case received at `received_at`, accepted by department A's handler.
async fn processing_case(app: &TestApp, office: &Office, channel: &str, received_at: &str) -> i64 {
    let case =
        app.new_case(&office.clerk.token, json!({"channel": channel, "received_at": received_at})).await;
    let id = case["id"].as_i64().unwrap();
    app.act(&office.clerk.token, id, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    app.act(&office.handler.token, id, "accept", json!({})).await.expect(200);
    id
}

async fn due_dates_follow_each_channels_limit(app: &TestApp) {
    let office = app.office().await;
    let cases = [
        ("mailbox", "2024-09-27T10:00:00+08:00", "2024-10-23T23:59:59+08:00"),
        ("minhu", "2024-10-01T10:00:00+08:00", "2024-10-25T23:59:59+08:00"),
        ("gov_web", "2024-10-12T10:00:00+08:00", "2024-11-01T23:59:59+08:00"),
        ("disclosure", "2024-09-27T10:00:00+08:00", "2024-10-30T23:59:59+08:00"),
        ("suggestion", "2024-07-01T10:00:00+08:00", "2024-10-08T23:59:59+08:00"),
        ("suggestion", "2024-11-04T09:00:00+08:00", "2025-02-05T23:59:59+08:00"),
        // 23:30 UTC on Sep 26 is already Sep 27 in Beijing.
        ("mailbox", "2024-09-26T23:30:00Z", "2024-10-23T23:59:59+08:00"),
    ];
    for (channel, received_at, due_at) in cases {
        let case =
            app.new_case(&office.clerk.token, json!({"channel": channel, "received_at": received_at})).await;
        assert_eq!(case["due_at"], due_at, "{channel} received {received_at}");
    }
    let fresh = app.new_case(&office.clerk.token, json!({})).await;
    assert_eq!(fresh["overdue"], false);
    assert_eq!(fresh["remaining_workdays"], 15);
    assert_eq!(fresh["extension_allowance_workdays"], 15);

    // A changed limit applies to cases registered afterwards only.
    let before = app.new_case(&office.clerk.token, json!({"received_at": "2024-09-27T10:00:00+08:00"})).await;
    app.patch("/api/v1/channels/mailbox", Some(&office.admin.token), json!({"time_limit": 10}))
        .await
        .expect(200);
    let after = app.new_case(&office.clerk.token, json!({"received_at": "2024-09-27T10:00:00+08:00"})).await;
    assert_eq!(after["due_at"], "2024-10-16T23:59:59+08:00");
    assert_eq!(
        app.case(&office, before["id"].as_i64().unwrap()).await["due_at"],
        "2024-10-23T23:59:59+08:00"
    );
}

async fn extensions_are_requested_decided_and_bounded(app: &TestApp) {
    let office = app.office().await;
    let id = processing_case(app, &office, "mailbox", "2024-09-27T10:00:00+08:00").await;
    let case = app.case(&office, id).await;
    assert_eq!(case["extension_allowance_workdays"], 15);
    for (days, reason) in [
        (json!(0), json!("需要协调")),
        (json!(-3), json!("需要协调")),
        (json!(16), json!("需要协调")),
        (json!(5), json!("")),
    ] {
        let resp = app
            .act(&office.handler.token, id, "request-extension", json!({"days": days, "reason": reason}))
            .await;
        assert_eq!(resp.status, 422, "{days} {reason}: {}", resp.text);
    }
    let missing =
        app.act(&office.handler.token, id, "request-extension", json!({"reason": "需要协调"})).await;
    assert_eq!(missing.body["errors"][0]["field"], "days");
    assert_eq!(app.case(&office, id).await, case, "refused requests change nothing");

    let no_request = app.act(&office.clerk.token, id, "decide-extension", json!({"approve": true})).await;
    assert_eq!((no_request.status, no_request.code()), (409, "conflict"));

    let requested = app
        .act(
            &office.handler.token,
            id,
            "request-extension",
            json!({"days": 5, "reason": "涉及多个部门，需要协调"}),
        )
        .await
        .expect(200);
    assert_eq!(requested.body["pending_extension"]["days"], 5);
    assert_eq!(requested.body["pending_extension"]["requested_by"], office.handler.id);
    assert_eq!(requested.body["due_at"], "2024-10-23T23:59:59+08:00", "nothing moves before a decision");
    let twice =
        app.act(&office.handler.token, id, "request-extension", json!({"days": 1, "reason": "再延"})).await;
    assert_eq!((twice.status, twice.code()), (409, "conflict"));
    let by_handler = app.act(&office.handler.token, id, "decide-extension", json!({"approve": true})).await;
    assert_eq!(by_handler.status, 403);
    let no_answer = app.act(&office.leader.token, id, "decide-extension", json!({})).await;
    assert_eq!(no_answer.status, 422);

    let approved = app
        .act(&office.leader.token, id, "decide-extension", json!({"approve": true, "note": "同意延期"}))
        .await
        .expect(200);
    assert_eq!(approved.body["due_at"], "2024-10-30T23:59:59+08:00", "five working days after Oct 23");
    assert_eq!(approved.body["pending_extension"], Value::Null);
    assert_eq!(approved.body["extended_workdays"], 5);
    assert_eq!(approved.body["extension_allowance_workdays"], 10);
    let event = app.events(&office, id).await.pop().unwrap();
    assert_eq!(event["action"], "decide-extension");
    assert_eq!(event["details"]["approved"], true);
    assert_eq!(event["details"]["due_at_before"], "2024-10-23T23:59:59+08:00");
    assert_eq!(event["details"]["due_at_after"], "2024-10-30T23:59:59+08:00");

    let too_many =
        app.act(&office.handler.token, id, "request-extension", json!({"days": 11, "reason": "再延"})).await;
    assert_eq!(too_many.status, 422, "beyond the allowance");
    app.act(&office.handler.token, id, "request-extension", json!({"days": 10, "reason": "再延"}))
        .await
        .expect(200);
    let denied =
        app.act(&office.clerk.token, id, "decide-extension", json!({"approve": false})).await.expect(200);
    assert_eq!(denied.body["due_at"], "2024-10-30T23:59:59+08:00", "a refusal moves nothing");
    assert_eq!(denied.body["pending_extension"], Value::Null);
    let requests =
        app.events(&office, id).await.into_iter().filter(|e| e["action"] == "request-extension").count();
    assert_eq!(requests, 2);
}

async fn suspensions_pause_the_clock(app: &TestApp) {
    let office = app.office().await;
    let id = processing_case(app, &office, "disclosure", "2024-09-27T10:00:00+08:00").await;
    let resume_before = app.act(&office.handler.token, id, "resume", json!({})).await;
    assert_eq!((resume_before.status, resume_before.body["suspended"].as_bool()), (409, Some(false)));
    let suspended = app
        .act(&office.handler.token, id, "suspend", json!({"reason": "申请内容不明确，需申请人补正"}))
        .await
        .expect(200);
    assert_eq!(suspended.body["suspended"], true);
    assert_eq!(suspended.body["overdue"], false, "a suspended case's clock stands still");
    for (action, body) in [
        ("suspend", json!({"reason": "再次"})),
        ("reply", json!({"reply": "答复"})),
        ("request-extension", json!({"days": 1, "reason": "延期"})),
    ] {
        let resp = app.act(&office.handler.token, id, action, body).await;
        assert_eq!(resp.status, 409, "{action}: {}", resp.text);
        assert_eq!(resp.code(), "invalid_transition");
        assert_eq!(resp.body["suspended"], true);
    }
    let overdue = app.get("/api/v1/cases?overdue=true", Some(&office.clerk.token)).await.expect(200);
    assert_eq!(overdue.body["items"], json!([]), "suspended cases are not listed as overdue");

    // Pretend the pause began forty days ago: however the holidays fall, forty
    // days hold at least twenty working days (28 weekdays, at most 7 of them
    // holidays, as around New Year and the Spring Festival of 2025).
    let began = time::now_utc() - chrono::Duration::days(40);
    app.with_conn(move |conn| {
        use casedesk::db::schema::cases::dsl::*;
        use diesel::prelude::*;
        diesel::update(cases.find(id)).set(suspended_at.eq(Some(began))).execute(conn).unwrap();
    })
    .await;
    let cal = calendar();
    let paused = cal.workdays_in(time::office_date(began), time::office_date(time::now_utc()));
    let due_before = NaiveDate::from_ymd_opt(2024, 10, 30).unwrap();
    let expected = cal.add_workdays(due_before, paused as u32);
    let stopped = app.case(&office, id).await;
    let remaining_when_suspended = cal.workdays_between(time::office_date(began), due_before);
    assert_eq!(
        stopped["remaining_workdays"], remaining_when_suspended,
        "a suspended case keeps the working days it had when its clock stopped"
    );
    let resumed =
        app.act(&office.clerk.token, id, "resume", json!({"note": "申请人已补正"})).await.expect(200);
    assert_eq!(resumed.body["suspended"], false);
    assert_eq!(resumed.body["paused_workdays"], paused);
    assert_eq!(resumed.body["due_at"], format!("{expected}T23:59:59+08:00"));
    assert!(paused >= 20, "forty days hold at least twenty working days: {paused}");
    let event = app.events(&office, id).await.pop().unwrap();
    assert_eq!(event["details"]["paused_workdays"], paused);
    app.act(&office.handler.token, id, "reply", json!({"reply": "已公开"})).await.expect(200);
}

async fn overdue_cases_show_and_filter(app: &TestApp) {
    let office = app.office().await;
    let old = processing_case(app, &office, "mailbox", "2024-09-27T10:00:00+08:00").await;
    let fresh = app.case_in(&office, "processing").await;
    let old_view = app.case(&office, old).await;
    assert_eq!(old_view["overdue"], true);
    assert!(old_view["remaining_workdays"].as_i64().unwrap() < -400);
    let listed = app.get("/api/v1/cases?overdue=true", Some(&office.handler.token)).await.expect(200);
    let ids: Vec<i64> =
        listed.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![old]);
    assert_eq!(app.case(&office, fresh).await["overdue"], false);
    let closed = app.case_in(&office, "closed").await;
    let closed_view = app.case(&office, closed).await;
    assert_eq!(
        (closed_view["overdue"].as_bool(), closed_view["remaining_workdays"].clone()),
        (Some(false), Value::Null)
    );
}

async fn supervision_is_counted_and_filterable(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "processing").await;
    let other = app.case_in(&office, "processing").await;
    app.act(&office.leader.token, id, "supervise", json!({"note": "请于本周内办结"})).await.expect(200);
    let second = app.act(&office.clerk.token, id, "supervise", json!({"note": "再次督办"})).await.expect(200);
    assert_eq!(second.body["supervision_count"], 2);
    assert_eq!(second.body["last_supervision_note"], "再次督办");
    assert!(second.body["last_supervised_at"].is_string());
    let listed = app.get("/api/v1/cases?supervised=true", Some(&office.clerk.token)).await.expect(200);
    let ids: Vec<i64> =
        listed.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![id]);
    assert_eq!(app.case(&office, other).await["supervision_count"], 0);
}

async fn the_calendar_is_seeded_and_replaceable(app: &TestApp) {
    let office = app.office().await;
    for year in 2024..=2026 {
        let resp =
            app.get(&format!("/api/v1/calendar/{year}"), Some(&office.handler.token)).await.expect(200);
        let expected: Vec<Value> = parse_csv(SCHEDULE)
            .unwrap()
            .into_iter()
            .filter(|(d, _, _)| d.format("%Y").to_string() == year.to_string())
            .map(|(d, w, n)| json!({"date": d.to_string(), "is_workday": w, "note": n}))
            .collect();
        assert_eq!(resp.body, Value::Array(expected), "{year}");
        assert!(resp.header("warning").is_none());
    }
    let empty = app.get("/api/v1/calendar/2031", Some(&office.clerk.token)).await.expect(200);
    assert_eq!(empty.body, json!([]));
    assert!(empty.header("warning").unwrap().contains("2031"));

    let admin = office.admin.token.as_str();
    let bad_bodies = [
        (json!([{"date": "2027-10-08", "is_workday": true, "note": "国庆节调休上班"}]), "[0].is_workday"),
        (json!([{"date": "2027-02-30", "is_workday": false, "note": "春节"}]), "[0].date"),
        (json!([{"date": "2028-01-01", "is_workday": false, "note": "元旦"}]), "[0].date"),
        (json!([{"date": "2027-01-01", "is_workday": false, "note": ""}]), "[0].note"),
        (
            json!([{"date": "2027-01-01", "is_workday": false, "note": "元旦"}, {"date": "2027-01-01", "is_workday": false, "note": "元旦"}]),
            "[1].date",
        ),
        (json!([{"date": "2027-01-01", "is_workday": "no", "note": "元旦"}]), "[0].is_workday"),
    ];
    for (body, field) in bad_bodies {
        let resp = app
            .send(app.request(reqwest::Method::PUT, "/api/v1/calendar/2027", Some(admin)).json(&body))
            .await;
        assert_eq!(resp.status, 422, "{body}: {}", resp.text);
        assert_eq!(resp.body["errors"][0]["field"], field, "{body}");
    }
    let by_clerk = app
        .send(
            app.request(reqwest::Method::PUT, "/api/v1/calendar/2027", Some(&office.clerk.token))
                .json(&json!([])),
        )
        .await;
    assert_eq!(by_clerk.status, 403);
    let ready = app.get("/readyz", None).await.expect(200);
    assert_eq!(ready.body["calendar"]["years"], json!([2024, 2025, 2026]));
    let next_year =
        (time::office_date(time::now_utc()).format("%Y").to_string().parse::<i32>().unwrap() + 1).to_string();
    let warnings = ready.body["calendar"]["warnings"].to_string();
    assert!(warnings.contains(&next_year), "next year's schedule is missing: {warnings}");

    // 2023 had no schedule yet: enter part of it and count with it.
    let plain = app.new_case(&office.clerk.token, json!({"received_at": "2023-01-20T10:00:00+08:00"})).await;
    assert_eq!(plain["due_at"], "2023-02-10T23:59:59+08:00", "plain weekends");
    let schedule = json!([
        {"date": "2023-01-02", "is_workday": false, "note": "元旦"},
        {"date": "2023-01-28", "is_workday": true, "note": "春节调休上班"},
    ]);
    let stored = app
        .send(app.request(reqwest::Method::PUT, "/api/v1/calendar/2023", Some(admin)).json(&schedule))
        .await
        .expect(200);
    assert_eq!(stored.body, schedule);
    assert_eq!(app.get("/api/v1/calendar/2023", Some(admin)).await.body, schedule);
    let ready = app.get("/readyz", None).await.expect(200);
    assert_eq!(ready.body["calendar"]["years"], json!([2023, 2024, 2025, 2026]));
    // Saturday Jan 28 is now working day 6 of 15.
    let counted =
        app.new_case(&office.clerk.token, json!({"received_at": "2023-01-20T10:00:00+08:00"})).await;
    assert_eq!(counted["due_at"], "2023-02-09T23:59:59+08:00");
    assert_eq!(
        app.case(&office, plain["id"].as_i64().unwrap()).await["due_at"],
        plain["due_at"],
        "set due dates stay"
    );
    let cleared = app
        .send(app.request(reqwest::Method::PUT, "/api/v1/calendar/2023", Some(admin)).json(&json!([])))
        .await
        .expect(200);
    assert!(cleared.header("warning").is_some());
}

async fn deadline_events_are_written_once(app: &TestApp) {
    let office = app.office().await;
    let id = processing_case(app, &office, "mailbox", "2024-09-27T10:00:00+08:00").await;
    let at = |s: &str| time::parse_instant(s).unwrap();
    let scan = |now| app.state.db.write(move |conn| deadlines::scan(conn, now));
    // Oct 21: Oct 22 and 23 remain.
    assert_eq!(scan(at("2024-10-18T10:00:00+08:00")).await.unwrap(), deadlines::ScanOutcome::default());
    assert_eq!(scan(at("2024-10-21T10:00:00+08:00")).await.unwrap().due_soon, 1);
    assert_eq!(scan(at("2024-10-22T10:00:00+08:00")).await.unwrap(), deadlines::ScanOutcome::default());
    assert_eq!(scan(at("2024-10-23T23:00:00+08:00")).await.unwrap(), deadlines::ScanOutcome::default());
    assert_eq!(scan(at("2024-10-24T00:00:01+08:00")).await.unwrap().overdue, 1);
    assert_eq!(scan(at("2024-10-25T10:00:00+08:00")).await.unwrap(), deadlines::ScanOutcome::default());
    let events: Vec<Value> = app.events(&office, id).await;
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("due") || *a == "overdue")
        .collect();
    assert_eq!(kinds, ["due_soon", "overdue"]);
    let overdue = events.iter().find(|e| e["action"] == "overdue").unwrap();
    assert_eq!(overdue["actor_id"], Value::Null);
    assert_eq!(overdue["details"]["due_at"], "2024-10-23T23:59:59+08:00");

    // A restarted service reads what was recorded and writes nothing again.
    let second = Db::connect(&app.database_url, 2).unwrap();
    let again =
        second.write(move |conn| deadlines::scan(conn, at("2024-10-28T10:00:00+08:00"))).await.unwrap();
    assert_eq!(again, deadlines::ScanOutcome::default());

    // An approved extension re-arms the events for the new due date.
    app.act(&office.handler.token, id, "request-extension", json!({"days": 5, "reason": "协调"}))
        .await
        .expect(200);
    app.act(&office.clerk.token, id, "decide-extension", json!({"approve": true})).await.expect(200);
    assert_eq!(scan(at("2024-10-28T10:00:00+08:00")).await.unwrap().due_soon, 1);
    assert_eq!(scan(at("2024-10-31T10:00:00+08:00")).await.unwrap().overdue, 1);
}

backend_tests!(
    due_dates_follow_each_channels_limit,
    extensions_are_requested_decided_and_bounded,
    suspensions_pause_the_clock,
    overdue_cases_show_and_filter,
    supervision_is_counted_and_filterable,
    the_calendar_is_seeded_and_replaceable,
    deadline_events_are_written_once,
);

/// Two service instances' background tasks against one PostgreSQL database:
/// every overdue and due-soon event is written exactly once.
#[test]
fn two_instances_on_postgres_write_each_deadline_event_once() {
    let system = actix_web::rt::System::new();
    let (app, ids) = system.block_on(async {
        let app = TestApp::spawn(Backend::Postgres).await;
        let office = app.office().await;
        let mut ids = Vec::new();
        for i in 0..40 {
            // Half overdue by the scan time, half due within two working days.
            let received = if i % 2 == 0 { "2024-09-02T10:00:00+08:00" } else { "2024-09-27T10:00:00+08:00" };
            let case = app
                .new_case(&office.clerk.token, json!({"received_at": received, "title": format!("案件 {i}")}))
                .await;
            ids.push(case["id"].as_i64().unwrap());
        }
        (app, ids)
    });
    let now = time::parse_instant("2024-10-21T10:00:00+08:00").unwrap();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let instances: Vec<_> = (0..2)
        .map(|_| {
            let url = app.database_url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let db = Db::connect(&url, 2).unwrap();
                barrier.wait();
                let mut total = deadlines::ScanOutcome::default();
                for _ in 0..5 {
                    let outcome = db.write_blocking(|conn| deadlines::scan(conn, now)).unwrap();
                    total.overdue += outcome.overdue;
                    total.due_soon += outcome.due_soon;
                }
                total
            })
        })
        .collect();
    let totals: Vec<deadlines::ScanOutcome> = instances.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(totals.iter().map(|t| t.overdue).sum::<usize>(), 20);
    assert_eq!(totals.iter().map(|t| t.due_soon).sum::<usize>(), 20);
    let counts: Vec<(i64, String, i64)> = app
        .state
        .db
        .pool()
        .get()
        .map(|mut conn| {
            use casedesk::db::schema::case_events::dsl::*;
            use diesel::prelude::*;
            case_events
                .filter(action.eq_any(["overdue", "due_soon"]))
                .group_by((case_id, action))
                .select((case_id, action, diesel::dsl::count_star()))
                .load(&mut conn)
                .unwrap()
        })
        .unwrap();
    assert_eq!(counts.len(), ids.len(), "one deadline event per case");
    assert!(counts.iter().all(|(_, _, n)| *n == 1), "{counts:?}");
    system.block_on(app.shutdown());
}
