//! What citizens can do: write to the mailbox, follow their letter with its
//! query code, and rate the reply — seeing nothing personal.

use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;

async fn citizens_write_and_follow_their_letter(app: &TestApp) {
    let office = app.office().await;
    let letter = json!({
        "title": "建议增设公交站点",
        "content": "新城小区附近没有公交站点，出行不便。",
        "citizen": {"name": "李明", "phone": "13900001111", "email": "liming@example.cn"},
    });
    let receipt = app.post("/api/v1/public/cases", None, letter).await.expect(201);
    let tracking = receipt.body["tracking_no"].as_str().unwrap().to_owned();
    let code = receipt.body["query_code"].as_str().unwrap().to_owned();
    assert!(tracking.starts_with("MB"));
    let path = format!("/api/v1/public/cases/{tracking}?code={code}");
    let view = app.get(&path, None).await.expect(200);
    assert_eq!(view.body["state"], "registered");
    assert_eq!(view.body["reply"], serde_json::Value::Null);
    for personal in ["13900001111", "liming", "李明", "新城小区", "建议增设"] {
        assert!(!view.text.contains(personal), "public view leaks {personal}");
    }
    let lower = app.get(&format!("/api/v1/public/cases/{tracking}?code={}", code.to_lowercase()), None).await;
    assert_eq!(lower.status, 200, "codes are not case-sensitive");

    let list = app.get("/api/v1/cases", Some(&office.clerk.token)).await.expect(200);
    let case = &list.body["items"][0];
    assert_eq!(case["tracking_no"], tracking.as_str());
    let events = app.events(&office, case["id"].as_i64().unwrap()).await;
    assert_eq!(events[0]["actor_id"], serde_json::Value::Null);
    assert_eq!(events[0]["details"]["source"], "citizen");
}

async fn a_wrong_code_looks_like_an_unknown_number(app: &TestApp) {
    let office = app.office().await;
    let case = app.new_case(&office.clerk.token, serde_json::json!({})).await;
    let tracking = case["tracking_no"].as_str().unwrap();
    let wrong = app.get(&format!("/api/v1/public/cases/{tracking}?code=WRONGCODE2"), None).await;
    let unknown = app.get("/api/v1/public/cases/MB2099999999?code=WRONGCODE2", None).await;
    let missing = app.get(&format!("/api/v1/public/cases/{tracking}"), None).await;
    assert_eq!(wrong.status, 404);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(missing.body, unknown.body);
}

async fn citizens_rate_each_closure_once_and_a_callback_replaces_it(app: &TestApp) {
    let office = app.office().await;
    let case = app.new_case(&office.clerk.token, json!({})).await;
    let id = case["id"].as_i64().unwrap();
    let rating_path = format!(
        "/api/v1/public/cases/{}/rating?code={}",
        case["tracking_no"].as_str().unwrap(),
        case["query_code"].as_str().unwrap()
    );
    let early = app.post(&rating_path, None, json!({"rating": "satisfied"})).await;
    assert_eq!(early.status, 409, "{}", early.text);
    assert_eq!(early.code(), "invalid_transition");
    for (token, action, body) in [
        (&office.clerk.token, "assign", json!({"department_id": office.dept_a})),
        (&office.handler.token, "accept", json!({})),
        (&office.handler.token, "reply", json!({"reply": "已在新城小区增设公交站点。"})),
        (&office.clerk.token, "approve", json!({})),
    ] {
        app.act(token, id, action, body).await.expect(200);
    }
    let lookup = format!(
        "/api/v1/public/cases/{}?code={}",
        case["tracking_no"].as_str().unwrap(),
        case["query_code"].as_str().unwrap()
    );
    let closed = app.get(&lookup, None).await.expect(200);
    assert_eq!(closed.body["reply"], "已在新城小区增设公交站点。");
    assert!(closed.body["closed_at"].is_string());
    app.post(&rating_path, None, json!({"rating": "unsatisfied", "comment": "站点太远"})).await.expect(200);
    let again = app.post(&rating_path, None, json!({"rating": "basically_satisfied"})).await;
    assert_eq!((again.status, again.code()), (409, "already_rated"), "{}", again.text);
    let stored = app.case(&office, id).await;
    assert_eq!((&stored["rating"], &stored["rating_source"]), (&json!("unsatisfied"), &json!("citizen")));
    // A clerk's callback rating follows and replaces the citizen's in the figures.
    app.act(&office.clerk.token, id, "rate", json!({"rating": "basically_satisfied"})).await.expect(200);
    let stored = app.case(&office, id).await;
    assert_eq!(
        (&stored["rating"], &stored["rating_source"]),
        (&json!("basically_satisfied"), &json!("callback"))
    );
    let refused = app.post(&rating_path, None, json!({"rating": "satisfied"})).await;
    assert_eq!(refused.code(), "already_rated", "the callback does not give the citizen a second rating");
    let ratings = app.events(&office, id).await.into_iter().filter(|e| e["action"] == "rate").count();
    assert_eq!(ratings, 2, "the event log keeps both ratings, and no refused one");
    // After a reopen and a new closure, the citizen rates the new closure.
    for (token, action, body) in [
        (&office.clerk.token, "reopen", json!({"reason": "回访不满意"})),
        (&office.handler.token, "reply", json!({"reply": "已加密班次。"})),
        (&office.clerk.token, "approve", json!({})),
    ] {
        app.act(token, id, action, body).await.expect(200);
    }
    app.post(&rating_path, None, json!({"rating": "satisfied"})).await.expect(200);
    assert_eq!(app.case(&office, id).await["rating"], "satisfied");
    let bad = app.post(&rating_path, None, json!({"rating": "great"})).await;
    assert_eq!(bad.status, 422);
    let sneaky = app.post(&rating_path, None, json!({"rating": "satisfied", "department_id": 1})).await;
    assert_eq!(sneaky.status, 422);
    let wrong_code =
        format!("/api/v1/public/cases/{}/rating?code=WRONGCODE2", case["tracking_no"].as_str().unwrap());
    assert_eq!(app.post(&wrong_code, None, json!({"rating": "satisfied"})).await.status, 404);
}

fn letter(i: usize, email: &str) -> serde_json::Value {
    json!({
        "title": format!("来信 {i}"),
        "content": "反映的问题。",
        "citizen": {"name": "李明", "email": email},
    })
}

/// Letters from one address are limited (five an hour): the sixth is 429
/// with `Retry-After` and registers nothing, while a letter from another
/// address still goes through. `X-Forwarded-For` from an untrusted peer
/// changes nothing.
async fn one_address_may_send_five_letters_an_hour(app: &TestApp) {
    let office = app.office().await;
    let first = app.client_from("127.0.0.2");
    let post = |i: usize, forwarded: Option<&str>| {
        let mut request = app
            .request(reqwest::Method::POST, "/api/v1/public/cases", None)
            .json(&letter(i, "liming@example.cn"));
        if let Some(address) = forwarded {
            request = request.header("X-Forwarded-For", address);
        }
        request
    };
    for i in 0..5 {
        app.send_via(&first, post(i, None)).await.expect(201);
    }
    let sixth = app.send_via(&first, post(5, Some("198.51.100.7"))).await;
    assert_eq!((sixth.status, sixth.code()), (429, "rate_limited"), "{}", sixth.text);
    let retry_after: i64 = sixth.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let listed = app.get("/api/v1/cases?limit=50", Some(&office.clerk.token)).await.expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 5, "the sixth registered nothing");
    app.send_via(&app.client_from("127.0.0.3"), post(6, None)).await.expect(201);
}

/// One mail address gets at most three receipts a day from the mailbox; the
/// fourth letter is registered but not mailed about, and says so.
async fn one_mail_address_gets_three_receipts_a_day(app: &TestApp) {
    let mut mailed = Vec::new();
    for i in 0..4 {
        let client = app.client_from(&format!("127.0.1.{}", i + 1));
        let request = app
            .request(reqwest::Method::POST, "/api/v1/public/cases", None)
            .json(&letter(i, "target@example.cn"));
        let receipt = app.send_via(&client, request).await.expect(201);
        mailed.push(receipt.body["receipt_mailed"].as_bool().unwrap());
    }
    assert_eq!(mailed, [true, true, true, false]);
    let queued: i64 = app
        .with_conn(|conn| {
            use casedesk::db::schema::outbox::dsl::*;
            use diesel::prelude::*;
            outbox.filter(recipient.eq("target@example.cn")).count().get_result(conn).unwrap()
        })
        .await;
    assert_eq!(queued, 3, "the fourth receipt was not queued");
}

/// Thirty look-ups a minute from one address, found or not: the 31st is 429.
async fn look_ups_are_limited_per_address(app: &TestApp) {
    let client = app.client_from("127.0.0.4");
    for i in 0..30 {
        let resp = app
            .send_via(
                &client,
                app.request(
                    reqwest::Method::GET,
                    &format!("/api/v1/public/cases/MB2024{i:06}?code=WRONGCODE2"),
                    None,
                ),
            )
            .await;
        assert_eq!(resp.status, 404);
    }
    let refused = app
        .send_via(
            &client,
            app.request(reqwest::Method::GET, "/api/v1/public/cases/MB2024000031?code=WRONGCODE2", None),
        )
        .await;
    assert_eq!((refused.status, refused.code()), (429, "rate_limited"));
    assert!(refused.header("retry-after").is_some());
    app.get("/api/v1/public/cases/MB2024000031?code=WRONGCODE2", None).await.expect(404);
}

/// Mail to an IP-literal domain could be aimed at any host.
async fn ip_literal_mail_addresses_are_refused(app: &TestApp) {
    let refused = app.post("/api/v1/public/cases", None, letter(1, "a@[127.0.0.1]")).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.body["errors"][0]["field"], "citizen.email");
}

backend_tests!(
    one_address_may_send_five_letters_an_hour,
    one_mail_address_gets_three_receipts_a_day,
    look_ups_are_limited_per_address,
    ip_literal_mail_addresses_are_refused,
    citizens_write_and_follow_their_letter,
    a_wrong_code_looks_like_an_unknown_number,
    citizens_rate_each_closure_once_and_a_callback_replaces_it,
);
