//! 签收时限, the departments' own 按时签收率 and 退单率, the scorecard and
//! the 运行通报 (issue 23): an assignment not signed for in time is pressed
//! once; each department's figures are its own assignments and returns,
//! whichever department holds the case now; scores worked out by hand.

use casedesk::db::rollups::Grouping;
use casedesk::db::Db;
use casedesk::deadlines;
use casedesk::domain::actions::{ActionBody, AssignBody, NoteBody, ReturnBody};
use casedesk::domain::calendar::Clock;
use casedesk::domain::ids::{CaseId, DepartmentId, UserId};
use casedesk::domain::lifecycle::Actor;
use casedesk::domain::role::Role;
use casedesk::domain::time;
use chrono::{Duration, NaiveDateTime};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Backend, Office, TestApp};

fn at(instant: &str) -> NaiveDateTime {
    time::parse_instant(instant).unwrap()
}

/// Takes `body`'s action on case `id` as `role` (of department `dept` for a
/// handler) with the clock at `when`: through the service, as the API does,
/// since the audit trail cannot be dated afterwards.
async fn act_at(
    app: &TestApp,
    role: Role,
    dept: Option<i64>,
    id: i64,
    body: ActionBody,
    when: NaiveDateTime,
) {
    let db = app.state.db.clone();
    app.state
        .db
        .write(move |conn| {
            let calendar = db.calendar(conn)?;
            let acting = casedesk::service::access::Caller {
                actor: Actor::Staff(role),
                user_id: Some(UserId(1)),
                department_id: dept.map(DepartmentId),
            };
            let clock = Clock { calendar: &calendar, now: when };
            casedesk::service::cases::act_in(conn, CaseId(id), &acting, body.into(), None, clock)
        })
        .await
        .unwrap();
}

async fn assign_at(app: &TestApp, id: i64, dept: i64, when: NaiveDateTime) {
    let body = ActionBody::Assign(AssignBody { department_id: Some(DepartmentId(dept)), note: None });
    act_at(app, Role::Clerk, None, id, body, when).await;
}

async fn accept_at(app: &TestApp, id: i64, dept: i64, when: NaiveDateTime) {
    act_at(app, Role::Handler, Some(dept), id, ActionBody::Accept(NoteBody { note: None }), when).await;
}

async fn return_at(app: &TestApp, id: i64, dept: i64, when: NaiveDateTime) {
    let body = ActionBody::Return(ReturnBody {
        reason: Some("非本单位职责".into()),
        reason_code: Some("not_our_duty".into()),
    });
    act_at(app, Role::Handler, Some(dept), id, body, when).await;
}

async fn received(app: &TestApp, office: &Office, when: &str) -> i64 {
    app.new_case(&office.clerk.token, json!({"received_at": when})).await["id"].as_i64().unwrap()
}

/// The supervise mails in the outbox for case `id`.
async fn supervise_mails(app: &TestApp, case: i64) -> usize {
    app.with_conn(move |conn| {
        use casedesk::db::schema::outbox::dsl::*;
        use diesel::prelude::*;
        outbox
            .filter(case_id.eq(Some(case)))
            .filter(kind.eq("supervised"))
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    })
    .await as usize
}

async fn a_late_signature_is_pressed_once_per_assignment(app: &TestApp) {
    let office = app.office().await;
    let id = received(app, &office, "2024-09-26T09:00:00+08:00").await;
    // Friday 27 September 2024: the next working day is Sunday the 29th, a
    // make-up working day before the National Day holiday.
    assign_at(app, id, office.dept_a, at("2024-09-27T10:00:00+08:00")).await;
    let case = app.case(&office, id).await;
    assert_eq!(case["accept_due_at"], "2024-09-29T23:59:59+08:00");
    let scan = |now| app.state.db.write(move |conn| deadlines::scan(conn, now));
    assert_eq!(scan(at("2024-09-29T23:59:00+08:00")).await.unwrap().accept_overdue, 0, "not late yet");
    assert_eq!(scan(at("2024-09-30T00:00:01+08:00")).await.unwrap().accept_overdue, 1);
    assert_eq!(scan(at("2024-09-30T08:00:00+08:00")).await.unwrap().accept_overdue, 0, "once");
    // A restarted service reads what was recorded and presses nothing again.
    let second = Db::connect(&app.database_url, 2).unwrap();
    let again =
        second.write(move |conn| deadlines::scan(conn, at("2024-10-08T09:00:00+08:00"))).await.unwrap();
    assert_eq!(again.accept_overdue, 0);

    let events = app.events(&office, id).await;
    let pressed: Vec<&Value> = events.iter().filter(|e| e["action"] == "supervise").collect();
    assert_eq!(pressed.len(), 1, "{events:?}");
    assert_eq!(pressed[0]["actor_id"], Value::Null);
    assert_eq!(pressed[0]["note"], "签收超时");
    assert_eq!(pressed[0]["details"]["automatic"], true);
    assert_eq!(pressed[0]["details"]["department_id"], office.dept_a);
    assert_eq!(supervise_mails(app, id).await, 1, "one mail to the department");
    let case = app.case(&office, id).await;
    assert_eq!(case["supervision_count"], 1);
    assert_eq!(case["last_supervision_note"], "签收超时");

    // The risk board and the list show it while it waits.
    let late = app.get("/api/v1/cases?accept_overdue=true", Some(&office.clerk.token)).await.expect(200);
    let ids: Vec<i64> =
        late.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![id]);

    // A new assignment is a new time to sign, pressed once in its turn.
    assign_at(app, id, office.dept_b, at("2024-10-08T10:00:00+08:00")).await;
    assert_eq!(app.case(&office, id).await["accept_due_at"], "2024-10-09T23:59:59+08:00");
    assert_eq!(scan(at("2024-10-09T12:00:00+08:00")).await.unwrap().accept_overdue, 0);
    assert_eq!(scan(at("2024-10-10T00:00:01+08:00")).await.unwrap().accept_overdue, 1);
    assert_eq!(supervise_mails(app, id).await, 2);

    // Signed for in time, a case is never pressed.
    let kept = received(app, &office, "2024-09-26T09:00:00+08:00").await;
    assign_at(app, kept, office.dept_a, at("2024-10-08T10:00:00+08:00")).await;
    accept_at(app, kept, office.dept_a, at("2024-10-09T16:00:00+08:00")).await;
    assert_eq!(scan(at("2024-10-11T00:00:01+08:00")).await.unwrap().accept_overdue, 0);
    assert_eq!(supervise_mails(app, kept).await, 0);
    // Nor is a case assigned before assignments were kept.
    let old = app.case_in(&office, "assigned").await;
    app.with_conn(move |conn| {
        use casedesk::db::schema::assignments::dsl::*;
        use diesel::prelude::*;
        diesel::delete(assignments.filter(case_id.eq(old))).execute(conn).unwrap()
    })
    .await;
    assert_eq!(scan(time::now_utc() + Duration::days(30)).await.unwrap().accept_overdue, 0);
    assert_eq!(supervise_mails(app, old).await, 0);
}

/// Two instances' scans against one PostgreSQL database press each late
/// assignment exactly once, with one mail.
#[test]
fn two_instances_on_postgres_press_each_late_signature_once() {
    let system = actix_web::rt::System::new();
    let (app, office, ids) = system.block_on(async {
        let app = TestApp::spawn(Backend::Postgres).await;
        let office = app.office().await;
        let mut ids = Vec::new();
        for _ in 0..12 {
            let id = received(&app, &office, "2024-09-26T09:00:00+08:00").await;
            assign_at(&app, id, office.dept_a, at("2024-09-27T10:00:00+08:00")).await;
            ids.push(id);
        }
        (app, office, ids)
    });
    let now = at("2024-09-30T09:00:00+08:00");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let instances: Vec<_> = (0..2)
        .map(|_| {
            let url = app.database_url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let db = Db::connect(&url, 2).unwrap();
                barrier.wait();
                (0..4)
                    .map(|_| db.write_blocking(|conn| deadlines::scan(conn, now)).unwrap().accept_overdue)
                    .sum::<usize>()
            })
        })
        .collect();
    let pressed: usize = instances.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(pressed, ids.len());
    system.block_on(async {
        for id in &ids {
            let events = app.events(&office, *id).await;
            assert_eq!(events.iter().filter(|e| e["note"] == "签收超时").count(), 1, "case {id}");
            assert_eq!(supervise_mails(&app, *id).await, 1, "case {id}");
        }
    });
    system.block_on(app.shutdown());
}

fn department(items: &Value, id: i64) -> &Value {
    items.as_array().unwrap().iter().find(|d| d["department_id"] == id).unwrap()
}

fn listed(resp: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> =
        resp["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids
}

async fn each_department_answers_for_its_own_assignments(app: &TestApp) {
    let office = app.office().await;
    let (a, b) = (office.dept_a, office.dept_b);
    // X: A hands it back, B takes it and closes it. Y: A signs late. Z: B signs in time.
    let x = received(app, &office, "2024-10-08T09:00:00+08:00").await;
    let y = received(app, &office, "2024-10-08T09:30:00+08:00").await;
    let z = received(app, &office, "2024-10-08T10:00:00+08:00").await;
    assign_at(app, x, a, at("2024-10-08T11:00:00+08:00")).await;
    return_at(app, x, a, at("2024-10-08T15:00:00+08:00")).await;
    assign_at(app, x, b, at("2024-10-08T16:00:00+08:00")).await;
    accept_at(app, x, b, at("2024-10-09T09:00:00+08:00")).await;
    app.act(&office.other_handler.token, x, "reply", json!({"reply": "已办理。"})).await.expect(200);
    app.act(&office.clerk.token, x, "approve", json!({})).await.expect(200);
    assign_at(app, y, a, at("2024-10-08T11:00:00+08:00")).await;
    accept_at(app, y, a, at("2024-10-10T09:00:00+08:00")).await; // due the 9th at 23:59:59
    assign_at(app, z, b, at("2024-10-08T11:00:00+08:00")).await;
    accept_at(app, z, b, at("2024-10-09T23:59:59+08:00")).await; // the last second counts

    let period = "from=2024-10-01&to=2024-11-01";
    let by = app
        .get(&format!("/api/v1/stats/by-department?{period}"), Some(&office.leader.token))
        .await
        .expect(200);
    let (fa, fb) =
        (&department(&by.body["items"], a)["figures"], &department(&by.body["items"], b)["figures"]);
    // A: got X and Y, signed neither in time, handed X back.
    assert_eq!(
        (fa["assignments"].as_i64(), fa["accepted_on_time"].as_i64(), fa["returns"].as_i64()),
        (Some(2), Some(0), Some(1))
    );
    assert_eq!((fa["accepted_on_time_rate"].as_f64(), fa["return_rate"].as_f64()), (Some(0.0), Some(50.0)));
    assert_eq!(fa["received"], 1, "A holds Y only");
    // B: got X and Z, signed both in time, handed nothing back.
    assert_eq!(
        (fb["assignments"].as_i64(), fb["accepted_on_time"].as_i64(), fb["returns"].as_i64()),
        (Some(2), Some(2), Some(0))
    );
    assert_eq!((fb["accepted_on_time_rate"].as_f64(), fb["return_rate"].as_f64()), (Some(100.0), Some(0.0)));
    let all =
        app.get(&format!("/api/v1/stats/summary?{period}"), Some(&office.leader.token)).await.expect(200);
    assert_eq!(
        (all.body["figures"]["assignments"].as_i64(), all.body["figures"]["accepted_on_time_rate"].as_f64()),
        (Some(4), Some(50.0))
    );
    assert_eq!(all.body["figures"]["return_rate"].as_f64(), Some(25.0));
    assert!(all.body["definition"]["text"].as_str().unwrap().contains("按时签收率＝"));
    // Counted as they stood before A's late signature: Y was not yet signed.
    let before = app
        .get(
            &format!("/api/v1/stats/by-department?{period}&as_of=2024-10-09T12:00:00%2B08:00"),
            Some(&office.leader.token),
        )
        .await
        .expect(200);
    let fa_before = &department(&before.body["items"], a)["figures"];
    assert_eq!((fa_before["assignments"].as_i64(), fa_before["returns"].as_i64()), (Some(2), Some(1)));
    // The rollups are what a recount from the assignments gives.
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount);

    // The cases behind each number.
    let clerk = office.clerk.token.clone();
    let list = |query: String| {
        let clerk = clerk.clone();
        async move { listed(&app.get(&format!("/api/v1/cases?{query}"), Some(&clerk)).await.expect(200).body) }
    };
    assert_eq!(list(format!("assigned_to={a}")).await, vec![x, y]);
    assert_eq!(list(format!("assigned_to={a}&assignment=returned")).await, vec![x]);
    assert_eq!(list(format!("assigned_to={a}&assignment=accepted_on_time")).await, Vec::<i64>::new());
    assert_eq!(list(format!("assigned_to={b}&assignment=accepted_on_time")).await, vec![x, z]);
    assert_eq!(list(format!("assigned_to={b}&assignment=kept")).await, vec![x, z]);
    let refused = app.get("/api/v1/cases?assignment=returned", Some(&office.clerk.token)).await;
    assert_eq!(refused.status, 422, "an outcome needs its department");
    let refused =
        app.get(&format!("/api/v1/cases?assigned_to={a}&assignment=lost"), Some(&office.clerk.token)).await;
    assert_eq!(refused.status, 422);
}

async fn the_scorecard_scores_as_worked_out_by_hand(app: &TestApp) {
    let office = app.office().await;
    let (a, b) = (office.dept_a, office.dept_b);
    // A: five cases, all signed in time; four closed in time; rated 满意,
    // 满意 (both resolved), 不满意 (not resolved) and one not rated.
    let mut a_cases = Vec::new();
    for _ in 0..5 {
        a_cases.push(app.case_in(&office, "processing").await);
    }
    for id in &a_cases[..4] {
        app.act(&office.handler.token, *id, "reply", json!({"reply": "已办理。"})).await.expect(200);
        app.act(&office.clerk.token, *id, "approve", json!({})).await.expect(200);
    }
    for (id, rating, resolved) in
        [(a_cases[0], "satisfied", true), (a_cases[1], "satisfied", true), (a_cases[2], "unsatisfied", false)]
    {
        let body = json!({"rating": rating, "resolved": resolved, "comment": "评价"});
        app.act(&office.clerk.token, id, "rate", body).await.expect(200);
    }
    // B: six assignments; one handed back (now unassigned), five signed in
    // time, two of them closed, nothing rated.
    let mut b_cases = Vec::new();
    for _ in 0..6 {
        let id = app.new_case(&office.clerk.token, json!({})).await["id"].as_i64().unwrap();
        app.act(&office.clerk.token, id, "assign", json!({"department_id": b})).await.expect(200);
        b_cases.push(id);
    }
    app.act(&office.other_handler.token, b_cases[5], "return", json!({"reason": "非本单位职责"}))
        .await
        .expect(200);
    for (i, id) in b_cases[..5].iter().enumerate() {
        app.act(&office.other_handler.token, *id, "accept", json!({})).await.expect(200);
        if i < 2 {
            app.act(&office.other_handler.token, *id, "reply", json!({"reply": "已办理。"}))
                .await
                .expect(200);
            app.act(&office.clerk.token, *id, "approve", json!({})).await.expect(200);
        }
    }
    let today = time::office_date(time::now_utc());
    let period = format!("from={}&to={}", today - Duration::days(1), today + Duration::days(2));
    let card =
        app.get(&format!("/api/v1/stats/scorecard?{period}"), Some(&office.leader.token)).await.expect(200);
    let items = &card.body["items"];
    let (sa, sb) = (department(items, a), department(items, b));
    let rate = |d: &Value, c: &str| d["components"][c]["rate"].as_f64();
    let parts = |d: &Value, c: &str| {
        (
            d["components"][c]["numerator"].as_i64().unwrap(),
            d["components"][c]["denominator"].as_i64().unwrap(),
        )
    };
    assert_eq!(parts(sa, "accepted_on_time_rate"), (5, 5));
    assert_eq!(parts(sa, "completion_rate"), (4, 5));
    assert_eq!(parts(sa, "on_time_rate"), (4, 4));
    assert_eq!(parts(sa, "satisfaction_rate"), (2, 3));
    assert_eq!(parts(sa, "resolution_rate"), (2, 3));
    assert_eq!(parts(sa, "return_rate"), (5, 5));
    // (100×15 + 80×20 + 100×25 + 66.67×25 + 66.67×10 + 100×5) / 100 = 84.3345
    assert_eq!(sa["score"].as_f64(), Some(84.33));
    assert_eq!(parts(sb, "accepted_on_time_rate"), (5, 6));
    assert_eq!(parts(sb, "completion_rate"), (2, 5));
    assert_eq!(parts(sb, "return_rate"), (5, 6));
    assert_eq!((rate(sb, "satisfaction_rate"), rate(sb, "resolution_rate")), (None, None), "no ratings: —");
    // Without 满意率 and 解决率 their 35 points are spread over the other 65:
    // (83.33×15 + 40×20 + 100×25 + 83.33×5) / 65 = 76.409…
    assert_eq!(sb["score"].as_f64(), Some(76.41));
    assert_eq!(sb["components"]["satisfaction_rate"]["effective_weight"].as_f64(), Some(0.0));
    assert_eq!(sb["components"]["accepted_on_time_rate"]["effective_weight"].as_f64(), Some(23.08), "15/65");
    assert_eq!((sa["rank"].as_i64(), sb["rank"].as_i64()), (Some(1), Some(2)));
    assert_eq!(sb["returns"], 1);
    assert_eq!(card.body["weights"]["on_time_rate"], 25);
    assert!(card.body["formula"].as_str().unwrap().contains("按时签收率×15"));
    assert_eq!(items[0]["department_id"], a, "ranked best first");

    // Fewer than five cases: listed, not ranked.
    app.act(&office.other_handler.token, b_cases[4], "return", json!({"reason": "非本单位职责"}))
        .await
        .expect(200);
    let card =
        app.get(&format!("/api/v1/stats/scorecard?{period}"), Some(&office.clerk.token)).await.expect(200);
    let sb = department(&card.body["items"], b);
    assert_eq!(
        (sb["ranked"].as_bool(), sb["rank"].as_i64(), sb["received"].as_i64()),
        (Some(false), None, Some(4))
    );
    assert!(sb["score"].as_f64().is_some(), "a score is still shown with its parts");

    // Who may read it, and what it refuses.
    let handler = app.get(&format!("/api/v1/stats/scorecard?{period}"), Some(&office.handler.token)).await;
    assert_eq!(handler.status, 403);
    let backwards =
        app.get("/api/v1/stats/scorecard?from=2024-12-01&to=2024-11-01", Some(&office.leader.token)).await;
    assert_eq!((backwards.status, backwards.code()), (422, "validation_failed"));

    // The 运行通报 of the same period.
    let text =
        app.get(&format!("/api/v1/reports/bulletin?{period}"), Some(&office.leader.token)).await.expect(200);
    for expected in [
        "运行通报（",
        "一、总体情况。本期共受理群众诉求",
        "二、各单位考核情况。",
        "三、红黑榜。红榜",
        "五、差评整改。",
        "综合得分＝",
    ] {
        assert!(text.text.contains(expected), "{expected}: {}", text.text);
    }
    let xlsx = app
        .client
        .get(format!("{}/api/v1/reports/bulletin?{period}&format=xlsx", app.base))
        .bearer_auth(&office.leader.token)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let sheets = sheet_names(&xlsx.bytes().await.unwrap());
    assert_eq!(sheets, ["总体情况", "考核得分", "红黑榜", "超期与签收超时", "差评整改", "口径说明"]);
    for (query, status) in [
        ("from=2024-12-01&to=2024-11-01", 422),
        ("from=2024-01-01&to=2025-01-02", 422),
        ("from=2024-01-01&to=2025-01-01", 200),
        ("from=2024-01-01&to=2024-02-01&format=pdf", 422),
        ("from=2024-01-01", 422),
    ] {
        let resp = app.get(&format!("/api/v1/reports/bulletin?{query}"), Some(&office.clerk.token)).await;
        assert_eq!(resp.status, status, "{query}");
    }
    let handler = app.get(&format!("/api/v1/reports/bulletin?{period}"), Some(&office.handler.token)).await;
    assert_eq!(handler.status, 403);
}

/// The sheet names of a workbook, in order.
fn sheet_names(bytes: &[u8]) -> Vec<String> {
    use calamine::Reader;
    let book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    book.sheet_names().to_vec()
}

backend_tests!(
    a_late_signature_is_pressed_once_per_assignment,
    each_department_answers_for_its_own_assignments,
    the_scorecard_scores_as_worked_out_by_hand,
);
