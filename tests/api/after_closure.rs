//! After closure (issue 22): the channel settings of the steps after
//! closure, five-level ratings (好差评) and 是否解决 on a rating.

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

backend_tests!(
    channel_settings_have_defaults_and_are_checked,
    five_level_ratings_need_a_five_level_channel,
    a_citizens_poor_rating_needs_a_comment_and_resolved_a_boolean,
    five_level_ratings_count_as_their_neighbours_with_ratings_by_level,
);
