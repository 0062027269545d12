//! After closure (issue 22): the channel settings of the steps after
//! closure, five-level ratings (好差评) and 是否解决 on a rating; the 回访
//! (callback) after each closure, its queue and its figures.

use casedesk::db::rollups::Grouping;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp};

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

backend_tests!(
    channel_settings_have_defaults_and_are_checked,
    five_level_ratings_need_a_five_level_channel,
    a_citizens_poor_rating_needs_a_comment_and_resolved_a_boolean,
    five_level_ratings_count_as_their_neighbours_with_ratings_by_level,
    a_closure_opens_a_callback_the_clerk_records,
    a_citizen_rating_before_the_due_time_spares_the_callback_after_it_is_replaced,
    two_clerks_recording_one_callback_make_one_event,
    the_callback_and_resolution_rates_of_a_dataset_worked_out_by_hand,
);
