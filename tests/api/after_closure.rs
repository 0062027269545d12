//! After closure (issue 22): the channel settings of the steps after
//! closure, five-level ratings (好差评) and 是否解决 on a rating; the 回访
//! (callback) after each closure, its queue and its figures; 差评整改, 申诉,
//! 复核 and 核减, their queues, their calendar and their figures.

use casedesk::db::rollups::Grouping;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp, PASSWORD};
use crate::pages::{page, sign_in};

/// The fields a 422 names, in order.
fn fields(body: &Value) -> Vec<String> {
    body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

async fn channel(app: &TestApp, office: &Office, code: &str) -> Value {
    let list = app.get("/api/v1/channels", Some(&office.clerk.token)).await.expect(200).body;
    list["items"].as_array().unwrap().iter().find(|c| c["code"] == code).unwrap().clone()
}

/// A closed mailbox case, registered with its query code.
async fn closed_case(app: &TestApp, office: &Office, extra: Value) -> Value {
    let case = app.new_case(&office.clerk.token, extra).await;
    let id = case["id"].as_i64().unwrap();
    app.act(&office.clerk.token, id, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    app.act(&office.handler.token, id, "accept", json!({})).await.expect(200);
    app.act(&office.handler.token, id, "reply", json!({"reply": "已办理。"})).await.expect(200);
    app.act(&office.clerk.token, id, "approve", json!({})).await.expect(200);
    case
}

fn rating_path(case: &Value) -> String {
    format!(
        "/api/v1/public/cases/{}/rating?code={}",
        case["tracking_no"].as_str().unwrap(),
        case["query_code"].as_str().unwrap()
    )
}

async fn channel_settings_have_defaults_and_are_checked(app: &TestApp) {
    let office = app.office().await;
    let mailbox = channel(app, &office, "mailbox").await;
    let settings = ["accept_days", "return_days", "callback_days", "rectify_days", "rating_scale"];
    let values: Vec<&Value> = settings.iter().map(|s| &mailbox[s]).collect();
    assert_eq!(values, [&json!(1), &json!(1), &json!(3), &json!(5), &json!(3)], "DESIGN.md's defaults");

    let path = "/api/v1/channels/mailbox";
    let changed = app
        .patch(
            path,
            Some(&office.admin.token),
            json!({"callback_days": 2, "rectify_days": 0, "rating_scale": 5}),
        )
        .await
        .expect(200);
    assert_eq!((&changed.body["callback_days"], &changed.body["rectify_days"]), (&json!(2), &json!(0)));
    assert_eq!(changed.body["rating_scale"], 5);
    assert_eq!(changed.body["accept_days"], 1, "absent members stay");

    for (body, field) in [
        (json!({"rating_scale": 4}), "rating_scale"),
        (json!({"callback_days": 31}), "callback_days"),
        (json!({"rectify_days": -1}), "rectify_days"),
        (json!({"accept_days": "1"}), "accept_days"),
        (json!({"return_days": 1.5}), "return_days"),
    ] {
        let refused = app.patch(path, Some(&office.admin.token), body.clone()).await.expect(422);
        assert_eq!(fields(&refused.body), [field], "{body}");
    }
    let mixed = json!({"callback_days": 9, "rating_scale": 7});
    let refused = app.patch(path, Some(&office.admin.token), mixed).await.expect(422);
    assert_eq!(fields(&refused.body), ["rating_scale"]);
    app.patch(path, Some(&office.clerk.token), json!({"rating_scale": 3})).await.expect(403);
    let after = channel(app, &office, "mailbox").await;
    assert_eq!(
        (&after["callback_days"], &after["rectify_days"], &after["rating_scale"]),
        (&json!(2), &json!(0), &json!(5)),
        "refused patches changed nothing"
    );
}

async fn five_level_ratings_need_a_five_level_channel(app: &TestApp) {
    let office = app.office().await;
    let case = closed_case(app, &office, json!({})).await;
    let id = case["id"].as_i64().unwrap();
    let events_before = app.events(&office, id).await.len();
    let refused = app.post(&rating_path(&case), None, json!({"rating": "very_satisfied"})).await.expect(422);
    assert_eq!(fields(&refused.body), ["rating"]);
    let by_clerk = app.act(&office.clerk.token, id, "rate", json!({"rating": "very_unsatisfied"})).await;
    assert_eq!(fields(&by_clerk.expect(422).body), ["rating"]);
    assert_eq!(app.case(&office, id).await["rating"], Value::Null, "nothing changed");
    assert_eq!(app.events(&office, id).await.len(), events_before, "no event");

    app.patch("/api/v1/channels/mailbox", Some(&office.admin.token), json!({"rating_scale": 5}))
        .await
        .expect(200);
    app.post(&rating_path(&case), None, json!({"rating": "very_satisfied", "resolved": true}))
        .await
        .expect(200);
    let rated = app.case(&office, id).await;
    assert_eq!((&rated["rating"], &rated["resolved"]), (&json!("very_satisfied"), &json!(true)));
    assert_eq!(rated["rating_source"], "citizen");
}

async fn a_citizens_poor_rating_needs_a_comment_and_resolved_a_boolean(app: &TestApp) {
    let office = app.office().await;
    app.patch("/api/v1/channels/mailbox", Some(&office.admin.token), json!({"rating_scale": 5}))
        .await
        .expect(200);
    let case = closed_case(app, &office, json!({})).await;
    let id = case["id"].as_i64().unwrap();
    let path = rating_path(&case);
    for rating in ["unsatisfied", "very_unsatisfied"] {
        let bare = app.post(&path, None, json!({"rating": rating})).await.expect(422);
        assert_eq!(fields(&bare.body), ["comment"], "{rating}");
        let blank = app.post(&path, None, json!({"rating": rating, "comment": "  "})).await.expect(422);
        assert_eq!(fields(&blank.body), ["comment"], "a blank comment is none");
    }
    let not_bool = json!({"rating": "satisfied", "resolved": "yes"});
    assert_eq!(fields(&app.post(&path, None, not_bool).await.expect(422).body), ["resolved"]);
    assert_eq!(app.case(&office, id).await["rating"], Value::Null, "nothing changed");

    let poor = json!({"rating": "very_unsatisfied", "comment": "路灯还是不亮", "resolved": false});
    app.post(&path, None, poor).await.expect(200);
    let rated = app.case(&office, id).await;
    assert_eq!((&rated["rating"], &rated["resolved"]), (&json!("very_unsatisfied"), &json!(false)));
    let event = app.events(&office, id).await.pop().unwrap();
    assert_eq!(
        (&event["details"]["resolved"], &event["details"]["comment"]),
        (&json!(false), &json!("路灯还是不亮"))
    );
    let again = app.post(&path, None, json!({"rating": "satisfied"})).await.expect(409);
    assert_eq!(again.code(), "already_rated");

    // A clerk's callback records what was said on the phone: no comment needed.
    let other = closed_case(app, &office, json!({})).await;
    let other_id = other["id"].as_i64().unwrap();
    app.act(&office.clerk.token, other_id, "rate", json!({"rating": "unsatisfied"})).await.expect(200);
}

async fn five_level_ratings_count_as_their_neighbours_with_ratings_by_level(app: &TestApp) {
    let office = app.office().await;
    app.patch("/api/v1/channels/minhu", Some(&office.admin.token), json!({"rating_scale": 5}))
        .await
        .expect(200);
    // mailbox (3 levels): satisfied, unsatisfied; minhu (5 levels):
    // very_satisfied, very_unsatisfied, basically_satisfied; one unrated.
    let ratings = [
        ("mailbox", Some("satisfied")),
        ("mailbox", Some("unsatisfied")),
        ("minhu", Some("very_satisfied")),
        ("minhu", Some("very_unsatisfied")),
        ("minhu", Some("basically_satisfied")),
        ("minhu", None),
    ];
    for (channel, rating) in ratings {
        let case = closed_case(app, &office, json!({"channel": channel})).await;
        if let Some(rating) = rating {
            let body = json!({"rating": rating, "comment": "回访记录"});
            app.act(&office.clerk.token, case["id"].as_i64().unwrap(), "rate", body).await.expect(200);
        }
    }
    let today = casedesk::domain::time::office_date(casedesk::domain::time::now_utc());
    let query =
        format!("from={}&to={}", today - chrono::Duration::days(3), today + chrono::Duration::days(1));
    let summary =
        app.get(&format!("/api/v1/stats/summary?{query}"), Some(&office.leader.token)).await.expect(200);
    let f = &summary.body["figures"];
    // By hand: rated 5; satisfied = satisfied + very_satisfied = 2;
    // unsatisfied = unsatisfied + very_unsatisfied = 2; basically 1.
    assert_eq!(
        (&f["rated"], &f["satisfied"], &f["basically_satisfied"], &f["unsatisfied"]),
        (&json!(5), &json!(2), &json!(1), &json!(2))
    );
    assert_eq!(f["satisfaction_rate"], 60.0, "(2 + 1) / 5");
    assert_eq!(f["composite_satisfaction"], 56.0, "(2 × 1 + 1 × 0.8) / 5");
    assert_eq!(
        f["ratings_by_level"],
        json!({"very_satisfied": 1, "satisfied": 1, "basically_satisfied": 1, "unsatisfied": 1, "very_unsatisfied": 1})
    );
    let by_channel =
        app.get(&format!("/api/v1/stats/by-channel?{query}"), Some(&office.leader.token)).await.expect(200);
    let minhu =
        by_channel.body["items"].as_array().unwrap().iter().find(|c| c["channel"] == "minhu").unwrap();
    assert_eq!(minhu["figures"]["ratings_by_level"]["very_unsatisfied"], 1);
    assert_eq!(minhu["figures"]["satisfaction_rate"], 66.67, "2 of 3, the very satisfied one as satisfied");
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount, "the rollups equal a recount with the five levels");
}

fn reached(rating: &str, resolved: bool) -> Value {
    json!({"reached": true, "method": "phone", "rating": rating, "resolved": resolved, "comment": "电话回访"})
}

fn unreached() -> Value {
    json!({"reached": false, "method": "phone", "comment": "无人接听"})
}

/// Sets a case's callback due time, as the passing of days would.
async fn callback_due(app: &TestApp, id: i64, due: chrono::NaiveDateTime) {
    use casedesk::db::schema::cases;
    use diesel::prelude::*;
    app.with_conn(move |conn| {
        diesel::update(cases::table.filter(cases::id.eq(id)))
            .set(cases::callback_due_at.eq(Some(due)))
            .execute(conn)
            .unwrap()
    })
    .await;
}

async fn a_closure_opens_a_callback_the_clerk_records(app: &TestApp) {
    let office = app.office().await;
    let case = closed_case(app, &office, json!({})).await;
    let id = case["id"].as_i64().unwrap();
    let closed = app.case(&office, id).await;
    assert_eq!(closed["callback"]["state"], "pending");
    assert_eq!(closed["callback"]["attempts"], 0);
    let no_phone = closed_case(app, &office, json!({"citizen": {"name": "李明"}})).await;
    let no_phone_id = no_phone["id"].as_i64().unwrap();
    assert_eq!(app.case(&office, no_phone_id).await["callback"]["state"], "not_needed");
    let refused = app.act(&office.clerk.token, no_phone_id, "callback", reached("satisfied", true)).await;
    assert_eq!(refused.expect(409).code(), "conflict", "no callback is due");
    let open = app.case_in(&office, "processing").await;
    let refused = app.act(&office.clerk.token, open, "callback", unreached()).await.expect(409);
    assert_eq!(refused.code(), "invalid_transition");
    assert_eq!(app.case(&office, open).await["callback"], Value::Null);

    // Refused bodies and actors change nothing.
    let events = app.events(&office, id).await.len();
    for (body, expected) in [
        (json!({"reached": true, "method": "phone", "resolved": true}), vec!["rating"]),
        (json!({"reached": true, "method": "phone", "rating": "satisfied"}), vec!["resolved"]),
        (json!({"reached": true, "rating": "satisfied", "resolved": true}), vec!["method"]),
        (json!({"reached": false, "method": "sms", "rating": "satisfied"}), vec!["rating"]),
        (
            json!({"reached": true, "method": "phone", "rating": "satisfied", "resolved": "yes"}),
            vec!["resolved"],
        ),
        (json!({"reached": true, "method": "fax", "rating": "satisfied", "resolved": true}), vec!["method"]),
        (json!({"method": "phone"}), vec!["reached"]),
    ] {
        let refused = app.act(&office.clerk.token, id, "callback", body.clone()).await.expect(422);
        assert_eq!(fields(&refused.body), expected, "{body}");
    }
    app.act(&office.handler.token, id, "callback", unreached()).await.expect(403);
    app.act(&office.leader.token, id, "callback", unreached()).await.expect(403);
    assert_eq!(app.events(&office, id).await.len(), events, "nothing recorded");
    assert_eq!(app.case(&office, id).await["callback"]["attempts"], 0);

    // Two unreached attempts, then reached: the rating counts as a callback's.
    for attempt in 1..=2 {
        let after = app.act(&office.clerk.token, id, "callback", unreached()).await.expect(200);
        assert_eq!(
            (&after.body["callback"]["state"], &after.body["callback"]["attempts"]),
            (&json!("pending"), &json!(attempt))
        );
    }
    let done =
        app.act(&office.clerk.token, id, "callback", reached("basically_satisfied", true)).await.expect(200);
    assert_eq!(done.body["callback"]["state"], "done");
    assert_eq!(
        (&done.body["rating"], &done.body["rating_source"], &done.body["resolved"]),
        (&json!("basically_satisfied"), &json!("callback"), &json!(true))
    );
    let event = app.events(&office, id).await.pop().unwrap();
    assert_eq!(
        (&event["action"], &event["details"]["method"], &event["details"]["callback"]),
        (&json!("callback"), &json!("phone"), &json!("done"))
    );
    let again = app.act(&office.clerk.token, id, "callback", reached("satisfied", true)).await.expect(409);
    assert_eq!(again.code(), "conflict", "done once");

    // Three unreached attempts end it as unreachable.
    let far = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
    for _ in 0..3 {
        app.act(&office.clerk.token, far, "callback", unreached()).await.expect(200);
    }
    let ended = app.case(&office, far).await["callback"].clone();
    assert_eq!((&ended["state"], &ended["attempts"]), (&json!("unreachable"), &json!(3)));
    assert!(ended["ended_at"].is_string());
    app.act(&office.clerk.token, far, "callback", unreached()).await.expect(409);

    // A reopen clears the callback; the second closure opens a new one.
    app.act(&office.clerk.token, id, "reopen", json!({"reason": "回访基本满意，仍需完善"})).await.expect(200);
    assert_eq!(app.case(&office, id).await["callback"], Value::Null);
    app.act(&office.handler.token, id, "reply", json!({"reply": "已完善。"})).await.expect(200);
    app.act(&office.clerk.token, id, "approve", json!({})).await.expect(200);
    let reclosed = app.case(&office, id).await["callback"].clone();
    assert_eq!((&reclosed["state"], &reclosed["attempts"]), (&json!("pending"), &json!(0)));
}

async fn a_citizen_rating_before_the_due_time_spares_the_callback_after_it_is_replaced(app: &TestApp) {
    let office = app.office().await;
    let early = closed_case(app, &office, json!({})).await;
    app.post(&rating_path(&early), None, json!({"rating": "satisfied"})).await.expect(200);
    let spared = app.case(&office, early["id"].as_i64().unwrap()).await;
    assert_eq!(spared["callback"]["state"], "not_needed");

    let late = closed_case(app, &office, json!({})).await;
    let id = late["id"].as_i64().unwrap();
    callback_due(app, id, casedesk::domain::time::now_utc() - chrono::Duration::hours(1)).await;
    app.post(&rating_path(&late), None, json!({"rating": "satisfied", "resolved": true})).await.expect(200);
    assert_eq!(app.case(&office, id).await["callback"]["state"], "pending", "rated after it was due");
    let list = app.get("/api/v1/cases?callback=overdue", Some(&office.clerk.token)).await.expect(200);
    let ids: Vec<i64> =
        list.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [id], "overdue callbacks only");
    app.act(&office.clerk.token, id, "callback", reached("unsatisfied", false)).await.expect(200);
    let replaced = app.case(&office, id).await;
    assert_eq!(
        (&replaced["rating"], &replaced["rating_source"], &replaced["resolved"]),
        (&json!("unsatisfied"), &json!("callback"), &json!(false))
    );
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount);
    let refused = app.get("/api/v1/cases?callback=later", Some(&office.clerk.token)).await.expect(422);
    assert_eq!(fields(&refused.body), ["callback"]);
}

async fn two_clerks_recording_one_callback_make_one_event(app: &TestApp) {
    let office = app.office().await;
    let clerk2 = app.staff(&office.admin.token, "clerk2", "clerk", None).await;
    for if_match in [true, false] {
        let id = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
        let version = app.case(&office, id).await["version"].as_i64().unwrap();
        let calls = [&office.clerk.token, &clerk2.token].map(|token| {
            let mut request =
                app.request(reqwest::Method::POST, &format!("/api/v1/cases/{id}/callback"), Some(token));
            if if_match {
                request = request.header("If-Match", version.to_string());
            }
            app.send(request.json(&reached("satisfied", true)))
        });
        let responses = futures_util::future::join_all(calls).await;
        assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1, "one wins");
        let loser = responses.iter().find(|r| r.status != 200).unwrap();
        assert_eq!(loser.status, 409);
        assert_eq!(loser.code(), if if_match { "version_conflict" } else { "conflict" });
        let callbacks =
            app.events(&office, id).await.into_iter().filter(|e| e["action"] == "callback").count();
        assert_eq!(callbacks, 1, "one event");
    }
}

/// The hand-built dataset: 10 closed cases, 8 with a phone of which
/// one citizen rated before the callback was due — 7 needing a callback;
/// 5 done, 1 unreachable, 1 still pending; of the 5 reached, 4 resolved.
async fn the_callback_and_resolution_rates_of_a_dataset_worked_out_by_hand(app: &TestApp) {
    let office = app.office().await;
    let mut needing = Vec::new();
    for _ in 0..7 {
        needing.push(closed_case(app, &office, json!({})).await["id"].as_i64().unwrap());
    }
    let spared = closed_case(app, &office, json!({})).await;
    app.post(&rating_path(&spared), None, json!({"rating": "satisfied"})).await.expect(200);
    for _ in 0..2 {
        closed_case(app, &office, json!({"citizen": {"name": "匿名"}})).await;
    }
    app.case_in(&office, "processing").await;
    let outcomes = [
        ("satisfied", true),
        ("satisfied", true),
        ("basically_satisfied", true),
        ("satisfied", true),
        ("unsatisfied", false),
    ];
    for (id, (rating, resolved)) in needing.iter().zip(outcomes) {
        app.act(&office.clerk.token, *id, "callback", reached(rating, resolved)).await.expect(200);
    }
    for _ in 0..3 {
        app.act(&office.clerk.token, needing[5], "callback", unreached()).await.expect(200);
    }
    app.act(&office.clerk.token, needing[6], "callback", unreached()).await.expect(200);
    // A pending callback past its due time leads the clerks' queue.
    callback_due(app, needing[6], casedesk::domain::time::now_utc() - chrono::Duration::days(1)).await;

    let today = casedesk::domain::time::office_date(casedesk::domain::time::now_utc());
    let query =
        format!("from={}&to={}", today - chrono::Duration::days(3), today + chrono::Duration::days(1));
    let summary =
        app.get(&format!("/api/v1/stats/summary?{query}"), Some(&office.leader.token)).await.expect(200);
    let f = &summary.body["figures"];
    assert_eq!((&f["received"], &f["closed"]), (&json!(11), &json!(10)));
    assert_eq!((&f["callbacks_made"], &f["callbacks_needed"]), (&json!(6), &json!(7)));
    assert_eq!(f["callback_rate"], 85.71, "6 / 7 = 85.714…");
    assert_eq!((&f["resolved"], &f["resolved_answered"]), (&json!(4), &json!(5)));
    assert_eq!(f["resolution_rate"], 80.0, "4 / 5");
    // Rated: the five reached and the citizen who rated first.
    assert_eq!(
        (&f["rated"], &f["satisfied"], &f["basically_satisfied"], &f["unsatisfied"]),
        (&json!(6), &json!(4), &json!(1), &json!(1))
    );
    assert_eq!(f["satisfaction_rate"], 83.33, "5 / 6 = 83.333…");
    for breakdown in ["by-channel", "by-department", "trend"] {
        let groups = app
            .get(&format!("/api/v1/stats/{breakdown}?{query}"), Some(&office.leader.token))
            .await
            .expect(200);
        let made: i64 = groups.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["figures"]["callbacks_made"].as_i64().unwrap())
            .sum();
        assert_eq!(made, 6, "{breakdown}");
    }
    let pending = app.get("/api/v1/cases?callback=pending", Some(&office.clerk.token)).await.expect(200);
    let ids: Vec<i64> =
        pending.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [needing[6]], "one still due");
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount);
}

/// The rectification mails about case `id`: their subjects.
async fn rectification_mails(app: &TestApp, case: i64) -> Vec<String> {
    use casedesk::db::schema::outbox::dsl::*;
    use diesel::prelude::*;
    app.with_conn(move |conn| {
        outbox
            .filter(case_id.eq(case))
            .filter(kind.eq("rectification"))
            .select(subject)
            .load::<String>(conn)
            .unwrap()
    })
    .await
}

/// The stats summary's figures over the last few days, counted as of `as_of` if given.
async fn figures_now(app: &TestApp, office: &Office, as_of: Option<chrono::NaiveDateTime>) -> Value {
    let today = casedesk::domain::time::office_date(casedesk::domain::time::now_utc());
    let mut query =
        format!("from={}&to={}", today - chrono::Duration::days(3), today + chrono::Duration::days(1));
    if let Some(at) = as_of {
        let at = casedesk::domain::time::to_office(at).to_rfc3339();
        query.push_str(&format!("&as_of={}", at.replace('+', "%2B")));
    }
    let summary =
        app.get(&format!("/api/v1/stats/summary?{query}"), Some(&office.leader.token)).await.expect(200);
    summary.body["figures"].clone()
}

/// What a refusal must leave alone: the version and the event count.
async fn unchanged(app: &TestApp, office: &Office, id: i64) -> (Value, usize) {
    (app.case(office, id).await["version"].clone(), app.events(office, id).await.len())
}

fn ids_of(list: &Value) -> Vec<i64> {
    list["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

async fn a_poor_rating_opens_a_rectification_the_department_may_appeal_once(app: &TestApp) {
    let office = app.office().await;
    let case = closed_case(app, &office, json!({})).await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!(app.case(&office, id).await["rectification"], Value::Null, "none before a rating");
    let before = app.act(&office.handler.token, id, "appeal", json!({"reason": "无差评"})).await.expect(409);
    assert_eq!(before.code(), "rectification_not_open");

    let poor = json!({"rating": "unsatisfied", "comment": "车位仍不够", "resolved": false});
    app.post(&rating_path(&case), None, poor).await.expect(200);
    let rated = app.case(&office, id).await;
    assert_eq!(rated["rectification"]["state"], "open");
    assert_eq!(rated["rectification"]["overdue"], false);
    assert!(rated["rectification"]["due_at"].as_str().unwrap().ends_with("T23:59:59+08:00"));
    let event = app.events(&office, id).await.pop().unwrap();
    assert_eq!((&event["action"], &event["details"]["rectification"]), (&json!("rate"), &json!("open")));
    let mails = rectification_mails(app, id).await;
    assert_eq!(mails.len(), 1, "the department is mailed once: {mails:?}");
    assert!(mails[0].starts_with("【差评整改】") && !mails[0].contains("车位"), "{}", mails[0]);

    // A clerk's 差评 joins the open rectification: no second one, no second mail.
    app.act(&office.clerk.token, id, "rate", json!({"rating": "unsatisfied", "resolved": false}))
        .await
        .expect(200);
    assert_eq!(app.case(&office, id).await["rectification"]["state"], "open");
    assert_eq!(rectification_mails(app, id).await.len(), 1);

    // Refusals, each changing nothing.
    let before = unchanged(app, &office, id).await;
    app.act(&office.clerk.token, id, "appeal", json!({"reason": "x"})).await.expect(403);
    app.act(&office.leader.token, id, "appeal", json!({"reason": "x"})).await.expect(403);
    app.act(&office.other_handler.token, id, "appeal", json!({"reason": "x"})).await.expect(404);
    for body in [json!({}), json!({"reason": " "})] {
        let refused = app.act(&office.handler.token, id, "appeal", body).await.expect(422);
        assert_eq!(fields(&refused.body), ["reason"]);
    }
    let early =
        app.act(&office.leader.token, id, "decide-appeal", json!({"uphold": true, "note": "同意"})).await;
    assert_eq!(early.expect(409).code(), "not_appealed");
    assert_eq!(unchanged(app, &office, id).await, before, "nothing changed");

    let appealed = app
        .act(&office.handler.token, id, "appeal", json!({"reason": "来信人诉求超出本单位职权，已如实答复"}))
        .await
        .expect(200);
    assert_eq!(appealed.body["rectification"]["state"], "appealed");
    assert_eq!(appealed.body["rectification"]["appeal_reason"], "来信人诉求超出本单位职权，已如实答复");
    let event = app.events(&office, id).await.pop().unwrap();
    assert_eq!(
        (&event["action"], &event["note"]),
        (&json!("appeal"), &json!("来信人诉求超出本单位职权，已如实答复"))
    );

    let before = unchanged(app, &office, id).await;
    let again = app.act(&office.handler.token, id, "appeal", json!({"reason": "再申诉"})).await.expect(409);
    assert_eq!(again.code(), "already_appealed");
    app.act(&office.handler.token, id, "decide-appeal", json!({"uphold": true, "note": "x"}))
        .await
        .expect(403);
    app.act(&office.clerk.token, id, "decide-appeal", json!({"uphold": true, "note": "x"})).await.expect(403);
    for (body, expected) in [
        (json!({"uphold": true}), vec!["note"]),
        (json!({"note": "同意核减"}), vec!["uphold"]),
        (json!({}), vec!["note", "uphold"]),
        (json!({"uphold": "yes", "note": "同意核减"}), vec!["uphold"]),
    ] {
        let refused = app.act(&office.leader.token, id, "decide-appeal", body.clone()).await.expect(422);
        assert_eq!(fields(&refused.body), expected, "{body}");
    }
    assert_eq!(unchanged(app, &office, id).await, before, "nothing changed");

    let upheld = app
        .act(&office.leader.token, id, "decide-appeal", json!({"uphold": true, "note": "经核实，同意核减"}))
        .await
        .expect(200);
    assert_eq!(upheld.body["rectification"]["state"], "upheld");
    assert_eq!(upheld.body["rectification"]["decision_note"], "经核实，同意核减");
    assert_eq!(upheld.body["rating_excluded"], true);
    assert_eq!(upheld.body["rating"], "unsatisfied", "the rating stays on the case");
    let event = app.events(&office, id).await.pop().unwrap();
    assert_eq!(
        (&event["action"], &event["details"]["uphold"], &event["details"]["excluded_rating"]),
        (&json!("decide-appeal"), &json!(true), &json!("unsatisfied"))
    );
    let twice =
        app.act(&office.admin.token, id, "decide-appeal", json!({"uphold": false, "note": "x"})).await;
    assert_eq!(twice.expect(409).code(), "not_appealed");
    let more = app.act(&office.handler.token, id, "appeal", json!({"reason": "x"})).await.expect(409);
    assert_eq!(more.code(), "already_appealed");

    // The case page says 核减, with the reason and the decision.
    let clerk = sign_in(app, "clerk", PASSWORD).await;
    let (status, html) = page(app, &format!("/console/cases/{id}"), &clerk).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-rating-excluded") && html.contains("已核减"), "{html}");
    assert!(html.contains("来信人诉求超出本单位职权") && html.contains("经核实，同意核减"));

    // A reopen takes the rating 核减 out of force with the rest of it.
    let reopened =
        app.act(&office.clerk.token, id, "reopen", json!({"reason": "领导要求完善答复"})).await.expect(200);
    assert_eq!((&reopened.body["rating"], &reopened.body["rating_excluded"]), (&Value::Null, &json!(false)));
    assert_eq!(reopened.body["rectification"]["state"], "upheld", "decided, it stays decided");
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount);
}

async fn a_refused_appeal_is_rectified_by_a_reopen_and_the_next_closure(app: &TestApp) {
    let office = app.office().await;
    let id = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
    // Satisfied with the attitude, the problem unsolved: that is enough.
    app.act(&office.clerk.token, id, "callback", reached("satisfied", false)).await.expect(200);
    assert_eq!(app.case(&office, id).await["rectification"]["state"], "open");
    app.act(&office.handler.token, id, "appeal", json!({"reason": "已解决"})).await.expect(200);
    let refused = app
        .act(
            &office.admin.token,
            id,
            "decide-appeal",
            json!({"uphold": false, "note": "问题确未解决，须重办"}),
        )
        .await
        .expect(200);
    assert_eq!(refused.body["rectification"]["state"], "rejected");
    assert_eq!(refused.body["rating_excluded"], false);
    let open = app.get("/api/v1/cases?rectification=open", Some(&office.handler.token)).await.expect(200);
    assert_eq!(ids_of(&open.body), [id], "rejected: still the department's to rectify");
    let again = app.act(&office.handler.token, id, "appeal", json!({"reason": "x"})).await.expect(409);
    assert_eq!(again.code(), "already_appealed");

    app.act(&office.clerk.token, id, "reopen", json!({"reason": "申诉未获同意，重办"})).await.expect(200);
    assert_eq!(app.case(&office, id).await["rectification"]["state"], "rejected", "until it closes again");
    app.act(&office.handler.token, id, "reply", json!({"reply": "已重新协调解决。"})).await.expect(200);
    let closed = app.act(&office.clerk.token, id, "approve", json!({})).await.expect(200);
    assert_eq!(closed.body["rectification"]["state"], "done");
    assert_eq!(closed.body["callback"]["state"], "pending", "the second closure opens a new callback");
    let event = app.events(&office, id).await.pop().unwrap();
    assert_eq!(event["details"]["rectification"], "done");
    let open = app.get("/api/v1/cases?rectification=open", Some(&office.clerk.token)).await.expect(200);
    assert_eq!(ids_of(&open.body), Vec::<i64>::new());

    // A new 差评 after a finished rectification opens a new one.
    app.act(&office.clerk.token, id, "callback", reached("very_unsatisfied", false)).await.expect(422);
    app.act(&office.clerk.token, id, "callback", reached("unsatisfied", false)).await.expect(200);
    assert_eq!(app.case(&office, id).await["rectification"]["state"], "open");
    assert_eq!(rectification_mails(app, id).await.len(), 2, "one mail per rectification");
}

async fn the_queues_of_rectifications_and_appeals(app: &TestApp) {
    let office = app.office().await;
    let poor = |id: i64| app.act(&office.clerk.token, id, "callback", reached("unsatisfied", false));
    let to_rectify = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
    poor(to_rectify).await.expect(200);
    let appealed = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
    poor(appealed).await.expect(200);
    app.act(&office.handler.token, appealed, "appeal", json!({"reason": "已答复到位"})).await.expect(200);
    let content = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
    app.act(&office.clerk.token, content, "callback", reached("satisfied", true)).await.expect(200);
    let waiting = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();

    let list = |token: String, query: &'static str| async move {
        ids_of(&app.get(&format!("/api/v1/cases?{query}"), Some(&token)).await.expect(200).body)
    };
    assert_eq!(list(office.handler.token.clone(), "rectification=open").await, [to_rectify]);
    assert_eq!(list(office.clerk.token.clone(), "rectification=open").await, [to_rectify]);
    assert_eq!(list(office.other_handler.token.clone(), "rectification=open").await, Vec::<i64>::new());
    assert_eq!(list(office.leader.token.clone(), "rectification=appealed").await, [appealed]);
    let refused = app.get("/api/v1/cases?rectification=upheld", Some(&office.clerk.token)).await.expect(422);
    assert_eq!(fields(&refused.body), ["rectification"]);
    let summary = app.get("/api/v1/cases?rectification=open", Some(&office.clerk.token)).await.expect(200);
    let row = &summary.body["items"][0];
    assert_eq!((&row["rectification_state"], &row["rating_excluded"]), (&json!("open"), &json!(false)));
    assert!(row["rectification_due_at"].is_string());

    // The console's queues, each with its own due date.
    let handler = sign_in(app, "handler-a", PASSWORD).await;
    let (status, html) = page(app, "/console/cases?queue=rectification", &handler).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("data-case-id=\"{to_rectify}\"")), "{html}");
    assert!(!html.contains(&format!("data-case-id=\"{appealed}\"")));
    assert!(html.contains("整改期限") && !html.contains(">办理期限<"), "the rectification's due date");
    let leader = sign_in(app, "leader", PASSWORD).await;
    let (_, html) = page(app, "/console/cases?queue=appeal", &leader).await;
    assert!(html.contains(&format!("data-case-id=\"{appealed}\"")) && html.contains("待复核"));
    assert!(!html.contains(&format!("data-case-id=\"{to_rectify}\"")));
    let clerk = sign_in(app, "clerk", PASSWORD).await;
    let (_, html) = page(app, "/console/cases?queue=callback", &clerk).await;
    assert!(html.contains(&format!("data-case-id=\"{waiting}\"")) && html.contains("回访期限"));
    let due = app.case(&office, waiting).await["callback"]["due_at"].as_str().unwrap().to_owned();
    let shown = format!("{}年{}月{}日 {}", &due[..4], &due[5..7], &due[8..10], &due[11..16]);
    assert!(html.contains(&shown), "the callback's due time {shown}, not the case's");

    // The case page offers the callback form alone while a callback is due,
    // an appeal to the handler of an open rectification, a decision to the leader.
    let (_, html) = page(app, &format!("/console/cases/{waiting}"), &clerk).await;
    assert!(html.contains("data-action=\"callback\"") && !html.contains("data-action=\"rate\""));
    let (_, html) = page(app, &format!("/console/cases/{to_rectify}"), &handler).await;
    assert!(html.contains("data-action=\"appeal\""), "{html}");
    let (_, html) = page(app, &format!("/console/cases/{appealed}"), &leader).await;
    assert!(html.contains("data-action=\"decide-appeal\"") && !html.contains("data-action=\"appeal\""));
}

/// The dashboard's risk board counts a rectification past its due time.
async fn an_overdue_rectification_is_on_the_risk_board(app: &TestApp) {
    let office = app.office().await;
    let id = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
    app.act(&office.clerk.token, id, "callback", reached("unsatisfied", false)).await.expect(200);
    let leader = sign_in(app, "leader", PASSWORD).await;
    let (_, html) = page(app, "/console/dashboard", &leader).await;
    assert!(!html.contains("data-risk=\"rectification_overdue\" data-value=\"1\""), "not yet due");
    let past = casedesk::domain::time::now_utc() - chrono::Duration::hours(1);
    app.with_conn(move |conn| {
        use casedesk::db::schema::cases;
        use diesel::prelude::*;
        diesel::update(cases::table.filter(cases::id.eq(id)))
            .set(cases::rectification_due_at.eq(Some(past)))
            .execute(conn)
            .unwrap()
    })
    .await;
    let (_, html) = page(app, "/console/dashboard", &leader).await;
    assert!(html.contains("data-risk=\"rectification_overdue\" data-value=\"1\""), "{html}");
    assert_eq!(app.case(&office, id).await["rectification"]["overdue"], true);
}

async fn two_leaders_deciding_one_appeal_make_one_event(app: &TestApp) {
    let office = app.office().await;
    for if_match in [true, false] {
        let id = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
        app.act(&office.clerk.token, id, "callback", reached("unsatisfied", false)).await.expect(200);
        app.act(&office.handler.token, id, "appeal", json!({"reason": "已答复"})).await.expect(200);
        let version = app.case(&office, id).await["version"].as_i64().unwrap();
        let calls = [(&office.leader.token, true), (&office.admin.token, false)].map(|(token, uphold)| {
            let mut request =
                app.request(reqwest::Method::POST, &format!("/api/v1/cases/{id}/decide-appeal"), Some(token));
            if if_match {
                request = request.header("If-Match", version.to_string());
            }
            app.send(request.json(&json!({"uphold": uphold, "note": "复核"})))
        });
        let responses = futures_util::future::join_all(calls).await;
        assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1, "one wins");
        let loser = responses.iter().find(|r| r.status != 200).unwrap();
        assert_eq!(loser.status, 409);
        assert_eq!(loser.code(), if if_match { "version_conflict" } else { "not_appealed" });
        let decisions =
            app.events(&office, id).await.into_iter().filter(|e| e["action"] == "decide-appeal").count();
        assert_eq!(decisions, 1, "one event");
    }
}

/// A rectification is due `rectify_days` working days after the rating, the
/// end of that day in Beijing, on the office's calendar. Here the next three
/// days are made holidays and the Saturday after them a make-up working day,
/// and `rectify_days` is the working days up to that Saturday: the due day
/// is a Saturday only if the holidays are skipped and the make-up day counts.
async fn a_rectification_is_due_across_a_holiday_and_its_make_up_day(app: &TestApp) {
    use chrono::{Datelike, NaiveDate, Weekday};
    let office = app.office().await;
    let today = casedesk::domain::time::office_date(casedesk::domain::time::now_utc());
    let holidays: Vec<NaiveDate> = (1..=3).map(|n| today + chrono::Duration::days(n)).collect();
    let mut make_up = holidays[2] + chrono::Duration::days(1);
    while make_up.weekday() != Weekday::Sat {
        make_up += chrono::Duration::days(1);
    }
    for year in [today.year(), today.year() + 1] {
        let mut days: Vec<Value> = holidays
            .iter()
            .filter(|d| d.year() == year)
            .map(|d| json!({"date": d.to_string(), "is_workday": false, "note": "测试假日"}))
            .collect();
        if make_up.year() == year {
            days.push(json!({"date": make_up.to_string(), "is_workday": true, "note": "测试调休上班"}));
        }
        if !days.is_empty() {
            let path = format!("/api/v1/calendar/{year}");
            let put = app.request(reqwest::Method::PUT, &path, Some(&office.admin.token));
            app.send(put.json(&days)).await.expect(200);
        }
    }
    // The working days after today (not counted) up to the make-up Saturday,
    // counted by hand: weekdays that are not the holidays, and that Saturday.
    let rectify_days = (1..=(make_up - today).num_days())
        .map(|n| today + chrono::Duration::days(n))
        .filter(|d| {
            let weekday = !matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            (weekday && !holidays.contains(d)) || *d == make_up
        })
        .count();
    assert!((1..=6).contains(&rectify_days));
    app.patch("/api/v1/channels/mailbox", Some(&office.admin.token), json!({"rectify_days": rectify_days}))
        .await
        .expect(200);
    let id = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
    app.act(&office.clerk.token, id, "callback", reached("unsatisfied", false)).await.expect(200);
    let due = app.case(&office, id).await["rectification"]["due_at"].clone();
    assert_eq!(due, json!(format!("{make_up}T23:59:59+08:00")), "due on the make-up Saturday");
}

/// The dataset worked out by hand, with one rating 核减: 10 closed
/// cases, 8 with a phone of which one citizen rated (satisfied) before the
/// callback was due — 7 needing a callback; 5 done, 1 unreachable, 1 still
/// pending; of the 5 reached, 4 resolved (3 satisfied and 1 basically
/// satisfied) and 1 unsatisfied and unresolved, which the department
/// appeals and a leader upholds.
///
/// Before the 核减: rated 6 (5 reached + the citizen), satisfied 4,
/// basically 1, unsatisfied 1 → 满意率 5/6 = 83.33; 综合满意率
/// (4 + 0.8)/6 = 80.00; 解决率 4/5 = 80.00; 回访率 6/7 = 85.71.
/// After it: rated 5, satisfied 4, basically 1, unsatisfied 0 → 满意率
/// 5/5 = 100; 综合满意率 4.8/5 = 96.00; 解决率 4/4 = 100 (the excluded
/// rating's 是否解决 leaves with it); 回访率 still 6/7 = 85.71 (the call
/// was made); ratings_excluded 1.
async fn the_figures_of_a_dataset_with_one_rating_excluded_worked_out_by_hand(app: &TestApp) {
    let office = app.office().await;
    let mut needing = Vec::new();
    for _ in 0..7 {
        needing.push(closed_case(app, &office, json!({})).await["id"].as_i64().unwrap());
    }
    let spared = closed_case(app, &office, json!({})).await;
    app.post(&rating_path(&spared), None, json!({"rating": "satisfied"})).await.expect(200);
    for _ in 0..2 {
        closed_case(app, &office, json!({"citizen": {"name": "匿名"}})).await;
    }
    let outcomes = [
        ("satisfied", true),
        ("satisfied", true),
        ("basically_satisfied", true),
        ("satisfied", true),
        ("unsatisfied", false),
    ];
    for (id, (rating, resolved)) in needing.iter().zip(outcomes) {
        app.act(&office.clerk.token, *id, "callback", reached(rating, resolved)).await.expect(200);
    }
    for _ in 0..3 {
        app.act(&office.clerk.token, needing[5], "callback", unreached()).await.expect(200);
    }

    let f = figures_now(app, &office, None).await;
    assert_eq!((&f["closed"], &f["rated"], &f["ratings_excluded"]), (&json!(10), &json!(6), &json!(0)));
    assert_eq!(f["satisfaction_rate"], 83.33, "5 / 6");
    assert_eq!(f["composite_satisfaction"], 80.0, "4.8 / 6");
    assert_eq!(f["resolution_rate"], 80.0, "4 / 5");
    assert_eq!(f["callback_rate"], 85.71, "6 / 7");

    let before_the_decision = casedesk::domain::time::now_utc();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let poor = needing[4];
    app.act(&office.handler.token, poor, "appeal", json!({"reason": "来信人反映的问题不属本单位职责"}))
        .await
        .expect(200);
    app.act(&office.leader.token, poor, "decide-appeal", json!({"uphold": true, "note": "同意核减"}))
        .await
        .expect(200);

    let f = figures_now(app, &office, None).await;
    assert_eq!((&f["closed"], &f["rated"], &f["ratings_excluded"]), (&json!(10), &json!(5), &json!(1)));
    assert_eq!(
        (&f["satisfied"], &f["basically_satisfied"], &f["unsatisfied"]),
        (&json!(4), &json!(1), &json!(0))
    );
    assert_eq!(f["ratings_by_level"]["unsatisfied"], 0);
    assert_eq!(f["satisfaction_rate"], 100.0, "5 / 5");
    assert_eq!(f["composite_satisfaction"], 96.0, "4.8 / 5");
    assert_eq!((&f["resolved"], &f["resolved_answered"]), (&json!(4), &json!(4)));
    assert_eq!(f["resolution_rate"], 100.0, "4 / 4");
    assert_eq!(f["callback_rate"], 85.71, "6 / 7: the call was made");

    // Counted as of a moment before the decision, the rating still counts.
    let earlier = figures_now(app, &office, Some(before_the_decision)).await;
    assert_eq!((&earlier["rated"], &earlier["ratings_excluded"]), (&json!(6), &json!(0)));
    assert_eq!(earlier["satisfaction_rate"], 83.33);

    let today = casedesk::domain::time::office_date(casedesk::domain::time::now_utc());
    let query =
        format!("from={}&to={}", today - chrono::Duration::days(3), today + chrono::Duration::days(1));
    for breakdown in ["by-channel", "by-department", "trend"] {
        let groups = app
            .get(&format!("/api/v1/stats/{breakdown}?{query}"), Some(&office.leader.token))
            .await
            .expect(200);
        let excluded: i64 = groups.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["figures"]["ratings_excluded"].as_i64().unwrap())
            .sum();
        assert_eq!(excluded, 1, "{breakdown}");
    }
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount, "the rollups move the excluded rating as a recount counts it");

    // The dashboard shows the figure with its 口径.
    let leader = sign_in(app, "leader", PASSWORD).await;
    let (_, html) = page(app, "/console/dashboard", &leader).await;
    assert!(html.contains("data-figure=\"ratings_excluded\" data-value=\"1\""), "{html}");
    assert!(html.contains("data-figure=\"satisfaction_rate\" data-value=\"100.0\""));
    assert!(html.contains("核减的评价不计入参评件数"));
}

/// An export imported into a fresh office keeps the 核减 and every figure.
async fn an_excluded_rating_round_trips_through_export_and_import(app: &TestApp) {
    use actix_web::web;
    use casedesk::transfer::export::{write_all, ExportFormat};
    use casedesk::transfer::{import, read};
    let office = app.office().await;
    let excluded = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
    app.act(&office.clerk.token, excluded, "callback", reached("unsatisfied", false)).await.expect(200);
    app.act(&office.handler.token, excluded, "appeal", json!({"reason": "不属本单位职责"})).await.expect(200);
    app.act(&office.leader.token, excluded, "decide-appeal", json!({"uphold": true, "note": "同意"}))
        .await
        .expect(200);
    let counted = closed_case(app, &office, json!({})).await["id"].as_i64().unwrap();
    app.act(&office.clerk.token, counted, "callback", reached("satisfied", true)).await.expect(200);

    let db = app.state.db.clone();
    let bytes = web::block(move || {
        let mut out = Vec::new();
        write_all(&db, Default::default(), ExportFormat::Csv, true, &mut out).map(|_| out)
    })
    .await
    .unwrap()
    .unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    assert!(text.lines().next().unwrap().ends_with(",核减") || text.contains(",核减,"), "{text}");
    let other = TestApp::spawn(app.backend).await;
    let other_office = other.office().await;
    let db = other.state.db.clone();
    let record = web::block(move || {
        let rows = read::from_bytes(bytes, None, None).unwrap();
        let options = import::ImportOptions { file_name: "cases.csv".into(), dry_run: false, actor: None };
        import::run(&db, rows, options, |_| {}).map_err(|e| e.to_string())
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!((record.rows_new, record.rows_refused), (2, 0));
    let here = figures_now(app, &office, None).await;
    let there = figures_now(&other, &other_office, None).await;
    assert_eq!((&there["rated"], &there["ratings_excluded"]), (&json!(1), &json!(1)));
    for figure in
        ["closed", "rated", "ratings_excluded", "satisfaction_rate", "resolution_rate", "callback_rate"]
    {
        assert_eq!(here[figure], there[figure], "{figure}");
    }
    let imported = other.get("/api/v1/cases?rectification=appealed", Some(&other_office.leader.token)).await;
    assert_eq!(ids_of(&imported.expect(200).body), Vec::<i64>::new(), "decided, not waiting");
    let (rollups, recount) = other.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount);
    other.shutdown().await;
}

backend_tests!(
    channel_settings_have_defaults_and_are_checked,
    five_level_ratings_need_a_five_level_channel,
    a_citizens_poor_rating_needs_a_comment_and_resolved_a_boolean,
    five_level_ratings_count_as_their_neighbours_with_ratings_by_level,
    a_closure_opens_a_callback_the_clerk_records,
    a_citizen_rating_before_the_due_time_spares_the_callback_after_it_is_replaced,
    two_clerks_recording_one_callback_make_one_event,
    the_callback_and_resolution_rates_of_a_dataset_worked_out_by_hand,
    a_poor_rating_opens_a_rectification_the_department_may_appeal_once,
    a_refused_appeal_is_rectified_by_a_reopen_and_the_next_closure,
    the_queues_of_rectifications_and_appeals,
    an_overdue_rectification_is_on_the_risk_board,
    two_leaders_deciding_one_appeal_make_one_event,
    a_rectification_is_due_across_a_holiday_and_its_make_up_day,
    the_figures_of_a_dataset_with_one_rating_excluded_worked_out_by_hand,
    an_excluded_rating_round_trips_through_export_and_import,
);
