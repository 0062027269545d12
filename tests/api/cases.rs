//! Intake, look-ups and lists.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::TestApp;

async fn intake_assigns_tracking_numbers_and_a_one_time_query_code(app: &TestApp) {
    let office = app.office().await;
    let first = app.new_case(&office.clerk.token, json!({"received_at": "2024-03-05T09:00:00+08:00"})).await;
    let second = app.new_case(&office.clerk.token, json!({"received_at": "2024-12-31T23:59:00+08:00"})).await;
    let next_year = app.new_case(&office.clerk.token, json!({"received_at": "2024-12-31T16:00:00Z"})).await;
    let other_channel = app
        .new_case(
            &office.clerk.token,
            json!({"channel": "minhu", "received_at": "2024-06-01T10:00:00+08:00"}),
        )
        .await;
    assert_eq!(first["tracking_no"], "MB2024000001");
    assert_eq!(second["tracking_no"], "MB2024000002");
    assert_eq!(next_year["tracking_no"], "MB2025000001", "the year is Beijing's year of receipt");
    assert_eq!(other_channel["tracking_no"], "MH2024000001");
    assert_eq!(first["state"], "registered");
    assert_eq!(first["received_at"], "2024-03-05T09:00:00+08:00");
    assert_eq!(first["due_at"], "2024-03-26T23:59:59+08:00", "15 working days after March 5");
    let code = first["query_code"].as_str().unwrap();
    assert_eq!(code.len(), 10);
    let stored =
        app.get(&format!("/api/v1/cases/{}", first["id"]), Some(&office.clerk.token)).await.expect(200);
    assert!(stored.body.get("query_code").is_none(), "the code is shown only once");
    assert!(!stored.text.contains(code));
    let hash: String = app
        .with_conn({
            let case_id = first["id"].as_i64().unwrap();
            move |conn| {
                use casedesk::db::schema::cases::dsl::*;
                use diesel::prelude::*;
                cases.find(case_id).select(query_code_hash).first(conn).unwrap()
            }
        })
        .await;
    assert_ne!(hash, code);
    assert_eq!(hash.len(), 64, "stored as a SHA-256 hash");
    let events = app.events(&office, first["id"].as_i64().unwrap()).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["action"], "register");
    assert_eq!(events[0]["actor_id"], office.clerk.id);
}

async fn intake_validates_every_field_at_once(app: &TestApp) {
    let office = app.office().await;
    let body = json!({
        "channel": "fax",
        "title": "",
        "content": "x".repeat(20_001),
        "received_at": "2999-01-01T00:00:00+08:00",
        "citizen": {"phone": "12345", "email": "a@b.cn\r\nBcc: evil@example.com"},
    });
    let resp = app.post("/api/v1/cases", Some(&office.clerk.token), body).await;
    assert_eq!(resp.status, 422, "{}", resp.text);
    let mut fields: Vec<&str> =
        resp.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["channel", "citizen.email", "citizen.phone", "content", "received_at", "title"]);
    let long_title = app
        .post(
            "/api/v1/cases",
            Some(&office.clerk.token),
            json!({"channel": "mailbox", "title": "长".repeat(201), "content": "c"}),
        )
        .await;
    assert_eq!(long_title.status, 422);
    let ok_title = app
        .post(
            "/api/v1/cases",
            Some(&office.clerk.token),
            json!({"channel": "mailbox", "title": "长".repeat(200), "content": "c"}),
        )
        .await;
    assert_eq!(ok_title.status, 201, "200 characters of Chinese fit");
    let list = app.get("/api/v1/cases", Some(&office.clerk.token)).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1, "refused intakes stored nothing");
}

async fn external_refs_are_unique_per_channel(app: &TestApp) {
    let office = app.office().await;
    let first = app
        .new_case(&office.clerk.token, json!({"channel": "gov_web", "external_ref": "GOV-2024-0001"}))
        .await;
    let again = app
        .post(
            "/api/v1/cases",
            Some(&office.clerk.token),
            json!({"channel": "gov_web", "external_ref": "GOV-2024-0001", "title": "重复导入", "content": "内容"}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.code(), "duplicate");
    assert_eq!(again.body["existing_case_id"], first["id"]);
    assert_eq!(again.body["existing_tracking_no"], first["tracking_no"]);
    app.new_case(&office.clerk.token, json!({"channel": "minhu", "external_ref": "GOV-2024-0001"})).await;
    let next = app.new_case(&office.clerk.token, json!({"channel": "gov_web"})).await;
    assert_eq!(next["tracking_no"].as_str().unwrap()[6..], *"000002", "the refused intake used no number");
}

async fn idempotent_retries_return_the_first_response(app: &TestApp) {
    let office = app.office().await;
    let body = json!({"channel": "mailbox", "title": "路灯不亮", "content": "幸福路路灯不亮已经一周。"});
    let post = |key: &'static str, body: Value| {
        app.send(
            app.request(Method::POST, "/api/v1/cases", Some(&office.clerk.token))
                .header("Idempotency-Key", key)
                .json(&body),
        )
    };
    let first = post("retry-1", body.clone()).await.expect(201);
    let retry = post("retry-1", body.clone()).await.expect(201);
    assert_eq!(retry.body, first.body, "same case, same query code");
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let reordered = json!({"content": "幸福路路灯不亮已经一周。", "title": "路灯不亮", "channel": "mailbox"});
    assert_eq!(
        post("retry-1", reordered).await.expect(201).body["id"],
        first.body["id"],
        "key order does not matter"
    );
    let changed = post("retry-1", json!({"channel": "mailbox", "title": "别的事", "content": "内容"})).await;
    assert_eq!(changed.status, 422);
    assert_eq!(changed.body["errors"][0]["field"], "Idempotency-Key");
    let other_key = post("retry-2", body.clone()).await.expect(201);
    assert_ne!(other_key.body["id"], first.body["id"]);
    let list = app.get("/api/v1/cases", Some(&office.clerk.token)).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    // Keys belong to the account that used them.
    let admin_same_key = app
        .send(
            app.request(Method::POST, "/api/v1/cases", Some(&office.admin.token))
                .header("Idempotency-Key", "retry-1")
                .json(&body),
        )
        .await
        .expect(201);
    assert_ne!(admin_same_key.body["id"], first.body["id"]);
}

async fn concurrent_retries_with_one_key_create_one_case(app: &TestApp) {
    let office = app.office().await;
    let body = json!({"channel": "minhu", "title": "噪音扰民", "content": "工地夜间施工。"});
    let requests = (0..8).map(|_| {
        app.send(
            app.request(Method::POST, "/api/v1/cases", Some(&office.clerk.token))
                .header("Idempotency-Key", "storm")
                .json(&body),
        )
    });
    let responses = futures_util::future::join_all(requests).await;
    let ids: std::collections::HashSet<i64> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text);
            r.body["id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every retry got the same case");
    let list = app.get("/api/v1/cases", Some(&office.clerk.token)).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

async fn lists_filter_and_page(app: &TestApp) {
    let office = app.office().await;
    let mut ids = Vec::new();
    for (i, channel) in ["mailbox", "minhu", "mailbox", "gov_web", "mailbox"].iter().enumerate() {
        let case = app
            .new_case(
                &office.clerk.token,
                json!({"channel": channel, "title": format!("第{i}件 关于供暖"), "received_at": format!("2024-0{}-10T10:00:00+08:00", i + 1)}),
            )
            .await;
        ids.push(case["id"].as_i64().unwrap());
    }
    app.act(&office.clerk.token, ids[1], "assign", json!({"department_id": office.dept_a})).await.expect(200);
    let items = |resp: &crate::helpers::Resp| -> Vec<i64> {
        resp.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
    };
    let token = office.clerk.token.clone();
    let get = |query: String| {
        let token = token.clone();
        async move { app.get(&format!("/api/v1/cases?{query}"), Some(&token)).await }
    };
    assert_eq!(items(&get("channel=mailbox".into()).await), vec![ids[4], ids[2], ids[0]]);
    assert_eq!(items(&get("state=assigned".into()).await), vec![ids[1]]);
    assert_eq!(items(&get("state=registered,assigned&channel=minhu".into()).await), vec![ids[1]]);
    assert_eq!(items(&get(format!("department_id={}", office.dept_a)).await), vec![ids[1]]);
    assert_eq!(
        items(&get("received_from=2024-02-01&received_to=2024-04-10".into()).await),
        vec![ids[2], ids[1]]
    );
    assert_eq!(items(&get("q=%E7%AC%AC3%E4%BB%B6".into()).await), vec![ids[3]], "q searches titles");
    let tracking = app.case(&office, ids[3]).await["tracking_no"].as_str().unwrap().to_owned();
    assert_eq!(
        items(&get(format!("q={}", tracking.to_lowercase())).await),
        vec![ids[3]],
        "and tracking numbers"
    );
    assert_eq!(items(&get("q=100%25".into()).await), Vec::<i64>::new(), "LIKE wildcards are literal");
    let everything = vec![ids[4], ids[3], ids[2], ids[1], ids[0]];
    assert_eq!(items(&get("overdue=true".into()).await), everything, "2024 cases are long overdue");
    assert_eq!(items(&get("due_before=2024-04-01".into()).await), vec![ids[2], ids[1], ids[0]]);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".into(),
        };
        let page = get(query).await.expect(200);
        let page_items = items(&page);
        assert!(page_items.len() <= 2);
        seen.extend(page_items);
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "paging visits every case once, newest first");

    for bad in [
        "limit=0",
        "limit=501",
        "limit=ten",
        "state=open",
        "cursor=forged",
        "received_from=yesterday",
        "overdue=maybe",
        "department_id=x",
    ] {
        let resp = get(bad.into()).await;
        assert_eq!(resp.status, 422, "{bad}: {}", resp.text);
    }
    assert_eq!(get("colour=red".into()).await.status, 400, "unknown parameters are refused");
}

backend_tests!(
    intake_assigns_tracking_numbers_and_a_one_time_query_code,
    intake_validates_every_field_at_once,
    external_refs_are_unique_per_channel,
    idempotent_retries_return_the_first_response,
    concurrent_retries_with_one_key_create_one_case,
    lists_filter_and_page,
);
