//! 退单 (issue 23): a department hands a case back with a reason and its
//! kind (`reason_code`), within the channel's `return_days` working days of
//! the latest assignment, else 409 `return_window_closed`.

use casedesk::domain::actions::{ActionBody, AssignBody};
use casedesk::domain::calendar::{end_of_day, Calendar, Clock};
use casedesk::domain::ids::{CaseId, DepartmentId, UserId};
use casedesk::domain::lifecycle::Actor;
use casedesk::domain::role::Role;
use casedesk::domain::time;
use casedesk::service::access::Caller;
use casedesk::service::cases;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp, PASSWORD};
use crate::pages::{csrf_of, page, post_form, sign_in};

/// The last event's action and details.
async fn last_event(app: &TestApp, office: &Office, id: i64) -> Value {
    app.events(office, id).await.pop().unwrap()
}

/// A new case assigned to department A at `when` and accepted now: the
/// assignment goes through the service with a clock set back (the audit
/// trail is append-only, so its time cannot be edited afterwards).
async fn processing_assigned_at(app: &TestApp, office: &Office, when: NaiveDateTime) -> i64 {
    let id = app.case_in(office, "registered").await;
    let (dept, clerk) = (office.dept_a, office.clerk.id);
    let db = app.state.db.clone();
    app.state
        .db
        .write(move |conn| {
            let calendar = db.calendar(conn)?;
            let acting = Caller {
                actor: Actor::Staff(Role::Clerk),
                user_id: Some(UserId(clerk)),
                department_id: None,
            };
            let assign = AssignBody { department_id: Some(DepartmentId(dept)), note: None };
            let clock = Clock { calendar: &calendar, now: when };
            cases::act_in(conn, CaseId(id), &acting, ActionBody::Assign(assign).into(), None, clock)
        })
        .await
        .unwrap();
    app.act(&office.handler.token, id, "accept", json!({})).await.expect(200);
    id
}

async fn set_return_days(app: &TestApp, office: &Office, days: i64) {
    app.patch("/api/v1/channels/mailbox", Some(&office.admin.token), json!({"return_days": days}))
        .await
        .expect(200);
}

async fn each_reason_code_is_recorded_and_other_is_the_default(app: &TestApp) {
    let office = app.office().await;
    for (code, state) in [
        ("not_our_duty", "assigned"),
        ("unclear", "processing"),
        ("duplicate", "assigned"),
        ("other", "processing"),
    ] {
        let id = app.case_in(&office, state).await;
        let body = json!({"reason": "请核实", "reason_code": code});
        let after = app.act(&office.handler.token, id, "return", body).await.expect(200);
        assert_eq!(after.body["state"], "registered", "{code}");
        assert_eq!(after.body["department_id"], Value::Null, "{code}");
        let event = last_event(app, &office, id).await;
        assert_eq!(event["action"], "return");
        assert_eq!(event["details"]["reason_code"], code);
        assert_eq!(event["note"], "请核实");
    }
    // A client written before the codes: its body still works, and means 其他.
    let id = app.case_in(&office, "assigned").await;
    app.act(&office.handler.token, id, "return", json!({"reason": "不属本单位职责"})).await.expect(200);
    let event = last_event(app, &office, id).await;
    assert_eq!(event["details"]["reason_code"], "other");
    assert_eq!(event["details"]["previous_department_id"], office.dept_a);
}

async fn an_unknown_reason_code_is_refused_and_nothing_changes(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "processing").await;
    let before = app.case(&office, id).await;
    let events_before = app.events(&office, id).await.len();
    for body in [
        json!({"reason": "请核实", "reason_code": "not_mine"}),
        json!({"reason": "请核实", "reason_code": ""}),
        json!({"reason_code": "NOT_OUR_DUTY"}),
    ] {
        let resp = app.act(&office.handler.token, id, "return", body.clone()).await.expect(422);
        assert_eq!(resp.body["errors"][0]["field"], "reason_code", "{body}: {}", resp.text);
        assert!(
            resp.body["errors"][0]["message"].as_str().unwrap().contains("not_our_duty"),
            "{}",
            resp.text
        );
    }
    assert_eq!(app.case(&office, id).await, before, "nothing changed");
    assert_eq!(app.events(&office, id).await.len(), events_before, "no event written");
    // Reason still required beside a valid code.
    let resp =
        app.act(&office.handler.token, id, "return", json!({"reason_code": "unclear"})).await.expect(422);
    assert_eq!(resp.body["errors"][0]["field"], "reason");
}

/// The schedule of `year` as the service has it.
async fn schedule(app: &TestApp, office: &Office, year: i32) -> Vec<Value> {
    let resp = app.get(&format!("/api/v1/calendar/{year}"), Some(&office.clerk.token)).await.expect(200);
    resp.body.as_array().unwrap().clone()
}

fn date_of(entry: &Value) -> NaiveDate {
    entry["date"].as_str().unwrap().parse().unwrap()
}

async fn the_window_counts_working_days_across_a_weekend_and_a_holiday(app: &TestApp) {
    let office = app.office().await;
    let now = time::now_utc();
    let today = time::office_date(now);
    // A Thursday at least a week ago, with the Friday after it made a holiday:
    // its first working day after it is the Monday, across both.
    let mut thursday = today - Duration::days(7);
    while thursday.weekday() != Weekday::Thu || thursday.year() != (thursday + Duration::days(4)).year() {
        thursday -= Duration::days(1);
    }
    let friday = thursday + Duration::days(1);
    let monday = thursday + Duration::days(4);
    let mut entries: Vec<Value> = schedule(app, &office, friday.year())
        .await
        .into_iter()
        .filter(|e| !(thursday..=monday).contains(&date_of(e)))
        .collect();
    entries.push(json!({"date": friday.to_string(), "is_workday": false, "note": "测试假日"}));
    entries.sort_by_key(date_of);
    let path = format!("/api/v1/calendar/{}", friday.year());
    app.send(app.request(reqwest::Method::PUT, &path, Some(&office.admin.token)).json(&entries))
        .await
        .expect(200);
    let mut exceptions = Vec::new();
    for year in (thursday.year()..=today.year()).collect::<std::collections::BTreeSet<_>>() {
        exceptions
            .extend(schedule(app, &office, year).await.iter().map(|e| (date_of(e), e["is_workday"] == true)));
    }
    let calendar = Calendar::new(exceptions);
    assert_eq!(calendar.add_workdays(thursday, 1), monday, "the window crosses the holiday and the weekend");
    // The fewest days whose window is still open now, and one fewer.
    let open = (1..=30).find(|n| end_of_day(calendar.add_workdays(thursday, *n)) >= now).unwrap();
    assert!(open >= 2, "a week holds working days after the holiday: {open}");
    let assigned = time::to_storage(
        thursday.and_hms_opt(10, 0, 0).unwrap().and_local_timezone(time::office_offset()).single().unwrap(),
    );

    set_return_days(app, &office, open as i64).await;
    let inside = processing_assigned_at(app, &office, assigned).await;
    let body = json!({"reason": "诉求不清", "reason_code": "unclear"});
    app.act(&office.handler.token, inside, "return", body.clone()).await.expect(200);

    set_return_days(app, &office, open as i64 - 1).await;
    let outside = processing_assigned_at(app, &office, assigned).await;
    let before = app.case(&office, outside).await;
    let events_before = app.events(&office, outside).await.len();
    let refused = app.act(&office.handler.token, outside, "return", body.clone()).await.expect(409);
    assert_eq!(refused.code(), "return_window_closed");
    assert!(refused.header("content-type").unwrap().starts_with("application/problem+json"));
    let closed = end_of_day(calendar.add_workdays(thursday, open - 1));
    let closed = time::to_office(closed).to_rfc3339();
    assert!(refused.body["detail"].as_str().unwrap().contains(&closed), "{} names {closed}", refused.text);
    assert_eq!(app.case(&office, outside).await, before, "nothing changed");
    assert_eq!(app.events(&office, outside).await.len(), events_before);

    // The clerk reassigns; the new assignment opens a new window.
    app.act(&office.clerk.token, outside, "assign", json!({"department_id": office.dept_b}))
        .await
        .expect(200);
    app.act(&office.other_handler.token, outside, "return", body).await.expect(200);
}

async fn no_return_days_refuses_at_once(app: &TestApp) {
    let office = app.office().await;
    set_return_days(app, &office, 0).await;
    let id = app.case_in(&office, "assigned").await;
    let refused =
        app.act(&office.handler.token, id, "return", json!({"reason": "非本单位职责"})).await.expect(409);
    assert_eq!(refused.code(), "return_window_closed");
    assert_eq!(app.case(&office, id).await["state"], "assigned");
    set_return_days(app, &office, 1).await;
    app.act(&office.handler.token, id, "return", json!({"reason": "非本单位职责"})).await.expect(200);
}

async fn the_case_page_asks_for_the_kind_of_reason(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "assigned").await;
    let handler = sign_in(app, "handler-a", PASSWORD).await;
    let (status, html) = page(app, &format!("/console/cases/{id}"), &handler).await;
    assert_eq!(status, 200);
    let at = html.find(r#"name="reason_code""#).expect("a reason_code field");
    assert!(html[..at].rsplit('<').next().unwrap().starts_with("select "), "a select, not free text");
    for (code, label) in [
        ("not_our_duty", "非本单位职责"),
        ("unclear", "诉求不清"),
        ("duplicate", "重复件"),
        ("other", "其他"),
    ] {
        assert!(html.contains(&format!(r#"<option value="{code}">{label}</option>"#)), "{code}");
    }
    let version = app.case(&office, id).await["version"].to_string();
    let form = [
        ("csrf_token", csrf_of(&html)),
        ("version", version),
        ("reason_code", "duplicate".into()),
        ("reason", "与另一件重复".into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = post_form(app, &format!("/console/cases/{id}/return"), &handler, &form).await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(last_event(app, &office, id).await["details"]["reason_code"], "duplicate");

    // Past the window the page says so, in Chinese, and nothing changes.
    set_return_days(app, &office, 0).await;
    let id = app.case_in(&office, "assigned").await;
    let (_, html) = page(app, &format!("/console/cases/{id}"), &handler).await;
    let version = app.case(&office, id).await["version"].to_string();
    let form = [("csrf_token", csrf_of(&html)), ("version", version), ("reason", "不属本单位职责".into())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = post_form(app, &format!("/console/cases/{id}/return"), &handler, &form).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("已超过本渠道的退回时限"), "{html}");
    assert_eq!(app.case(&office, id).await["state"], "assigned");
}

backend_tests!(
    the_case_page_asks_for_the_kind_of_reason,
    each_reason_code_is_recorded_and_other_is_the_default,
    an_unknown_reason_code_is_refused_and_nothing_changes,
    the_window_counts_working_days_across_a_weekend_and_a_holiday,
    no_return_days_refuses_at_once,
);
