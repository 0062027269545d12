//! Bad input of every kind gets a 4xx problem+json with a stable code, never
//! a 5xx or a dropped connection, and writes nothing.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;

/// (cases, events) stored.
async fn stored_rows(app: &TestApp) -> (i64, i64) {
    app.with_conn(|conn| {
        use casedesk::db::schema::{case_events, cases};
        use diesel::prelude::*;
        let cases: i64 = cases::table.count().get_result(conn).unwrap();
        let events: i64 = case_events::table.count().get_result(conn).unwrap();
        (cases, events)
    })
    .await
}

async fn malformed_bodies_get_problem_details_and_write_nothing(app: &TestApp) {
    let office = app.office().await;
    let before = stored_rows(app).await;
    let token = office.clerk.token.as_str();
    let raw = |body: Vec<u8>, content_type: &'static str| {
        app.send(
            app.request(Method::POST, "/api/v1/cases", Some(token))
                .header("Content-Type", content_type)
                .body(body),
        )
    };
    let cases: Vec<(&str, Vec<u8>, &str, u16, &str)> = vec![
        (
            "malformed",
            br#"{"channel": "mailbox", "title": "#.to_vec(),
            "application/json",
            400,
            "bad_request",
        ),
        ("trailing garbage", br#"{"channel": "mailbox"} }"#.to_vec(), "application/json", 400, "bad_request"),
        (
            "invalid utf-8",
            b"{\"channel\": \"mailbox\", \"title\": \"\xff\xfe\", \"content\": \"x\"}".to_vec(),
            "application/json",
            400,
            "bad_request",
        ),
        ("empty", Vec::new(), "application/json", 400, "bad_request"),
        (
            "wrong type",
            br#"{"channel": "mailbox", "title": 42, "content": "x"}"#.to_vec(),
            "application/json",
            422,
            "validation_failed",
        ),
        (
            "missing field",
            br#"{"channel": "mailbox", "content": "x"}"#.to_vec(),
            "application/json",
            422,
            "validation_failed",
        ),
        (
            "unknown field",
            br#"{"channel": "mailbox", "title": "t", "content": "x", "priority": 1}"#.to_vec(),
            "application/json",
            422,
            "validation_failed",
        ),
        ("array", b"[]".to_vec(), "application/json", 422, "validation_failed"),
        (
            "not json",
            b"channel=mailbox".to_vec(),
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
        (
            "oversized",
            format!(r#"{{"channel":"mailbox","title":"t","content":"{}"}}"#, "长".repeat(100_000))
                .into_bytes(),
            "application/json",
            413,
            "payload_too_large",
        ),
    ];
    for (what, body, content_type, status, code) in cases {
        let resp = raw(body, content_type).await;
        assert_eq!(resp.status, status, "{what}: {}", resp.text);
        assert_eq!(resp.code(), code, "{what}");
        assert_eq!(resp.header("content-type"), Some("application/problem+json"), "{what}");
        assert_eq!(resp.body["status"], status, "{what}");
    }
    let missing = raw(br#"{"channel": "mailbox", "content": "x"}"#.to_vec(), "application/json").await;
    assert_eq!(missing.body["errors"][0]["field"], "title");
    let wrong =
        raw(br#"{"channel": "mailbox", "title": 42, "content": "x"}"#.to_vec(), "application/json").await;
    assert_eq!(wrong.body["errors"][0]["field"], "title");
    let nested = raw(
        br#"{"channel": "mailbox", "title": "t", "content": "x", "citizen": {"phone": 1}}"#.to_vec(),
        "application/json",
    )
    .await;
    assert_eq!(nested.body["errors"][0]["field"], "citizen.phone");
    assert_eq!(stored_rows(app).await, before, "nothing was written");
}

async fn an_oversized_body_without_length_is_cut_off_with_413(app: &TestApp) {
    let office = app.office().await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..64).map(|_| Ok(vec![b' '; 8 * 1024])).collect();
    let stream = futures_util::stream::iter(chunks);
    let resp = app
        .send(
            app.request(Method::POST, "/api/v1/cases", Some(&office.clerk.token))
                .header("Content-Type", "application/json")
                .body(reqwest::Body::wrap_stream(stream)),
        )
        .await;
    assert_eq!(resp.status, 413);
    assert_eq!(resp.code(), "payload_too_large");
}

async fn unknown_paths_methods_and_ids_are_problems_too(app: &TestApp) {
    let office = app.office().await;
    let token = Some(office.clerk.token.as_str());
    let not_found = app.get("/api/v1/nothing-here", token).await;
    assert_eq!((not_found.status, not_found.code()), (404, "not_found"));
    let wrong_method = app.send(app.request(Method::DELETE, "/api/v1/cases", token)).await;
    assert_eq!((wrong_method.status, wrong_method.code()), (405, "method_not_allowed"));
    assert_eq!(wrong_method.header("allow"), Some("POST, GET"));
    let non_numeric = app.get("/api/v1/cases/abc", token).await;
    assert_eq!((non_numeric.status, non_numeric.code()), (404, "not_found"));
    let huge = app.get("/api/v1/cases/99999999999999999999999", token).await;
    assert_eq!(huge.status, 404);
    let bad_query = app.get("/api/v1/cases?limit=1&limit=2", token).await;
    assert!(bad_query.status == 400 || bad_query.status == 422, "{}", bad_query.text);
    let empty_action = app.send(app.request(Method::POST, "/api/v1/cases/1/approve", token)).await;
    assert_eq!(empty_action.status, 404, "no case 1 yet; an empty action body is fine");
    let bad_department =
        app.patch("/api/v1/departments/12345", Some(&office.admin.token), json!({"name": "无"})).await;
    assert_eq!(bad_department.status, 404);
    let bad_user =
        app.patch("/api/v1/users/12345", Some(&office.admin.token), json!({"display_name": "无"})).await;
    assert_eq!(bad_user.status, 404);
    let bad_channel =
        app.patch("/api/v1/channels/fax", Some(&office.admin.token), json!({"name": "传真"})).await;
    assert_eq!(bad_channel.status, 404);
}

backend_tests!(
    malformed_bodies_get_problem_details_and_write_nothing,
    an_oversized_body_without_length_is_cut_off_with_413,
    unknown_paths_methods_and_ids_are_problems_too,
);
