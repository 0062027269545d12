//! Categories are one list per channel in the database: the public mailbox
//! offers (and accepts) the mailbox's list, a clerk's intake offers the same
//! names, and the annual report counts one kind of letter under one name.

use chrono::Datelike;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;

async fn the_mailbox_and_the_clerk_count_one_category_under_one_name(app: &TestApp) {
    let office = app.office().await;
    let listed =
        app.get("/api/v1/channels/mailbox/categories", Some(&office.handler.token)).await.expect(200);
    let names: Vec<&str> =
        listed.body["categories"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(names.contains(&"社保") && names.contains(&"医疗"), "{names:?}");
    assert!(!names.contains(&"社会保障"), "the console's old name for 社保 is gone: one list");

    let letter = |category: &str| json!({"title": "养老保险转移", "content": "社保转移接续很慢。", "category": category});
    app.post("/api/v1/public/cases", None, letter("社保")).await.expect(201);
    let unlisted = app.post("/api/v1/public/cases", None, letter("社会保障")).await;
    assert_eq!((unlisted.status, unlisted.body["errors"][0]["field"].as_str()), (422, Some("category")));
    app.new_case(&office.clerk.token, json!({"channel": "mailbox", "category": "社保"})).await;

    let year = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).year();
    let report = app
        .get(&format!("/api/v1/reports/annual?year={year}&format=json"), Some(&office.leader.token))
        .await
        .expect(200);
    let mailbox =
        report.body["paragraphs"].as_array().unwrap().iter().find(|p| p["channel"] == "mailbox").unwrap();
    assert_eq!(mailbox["categories"], json!({"社保": 2}), "both letters under one name");
}

async fn admins_keep_the_list(app: &TestApp) {
    let office = app.office().await;
    let path = "/api/v1/channels/minhu/categories";
    let denied = app
        .send(
            app.request(reqwest::Method::PUT, path, Some(&office.clerk.token))
                .json(&json!({"categories": ["教育"]})),
        )
        .await;
    assert_eq!(denied.status, 403);
    let put = |body: serde_json::Value| {
        app.send(app.request(reqwest::Method::PUT, path, Some(&office.admin.token)).json(&body))
    };
    let stored = put(json!({"categories": [" 教育 ", "住房", "其他"]})).await.expect(200);
    assert_eq!(stored.body, json!({"categories": ["教育", "住房", "其他"]}));
    let twice = put(json!({"categories": ["教育", "教育", ""]})).await;
    assert_eq!(twice.status, 422, "{}", twice.text);
    let fields: Vec<&str> =
        twice.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["categories[1]", "categories[2]"]);
    let unchanged = app.get(path, Some(&office.leader.token)).await.expect(200);
    assert_eq!(unchanged.body, stored.body, "a refused list changes nothing");
    assert_eq!(app.get("/api/v1/channels/fax/categories", Some(&office.admin.token)).await.status, 404);
}

backend_tests!(the_mailbox_and_the_clerk_count_one_category_under_one_name, admins_keep_the_list);
