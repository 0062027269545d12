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

/// A request with a bad body: method, path, token, body, expected status and code.
type BadBody<'a> = (Method, String, Option<&'a str>, &'a [u8], u16, &'a str);

/// Every row a bad request could have touched.
async fn all_rows(app: &TestApp) -> Vec<i64> {
    app.with_conn(|conn| {
        use casedesk::db::schema::*;
        use diesel::prelude::*;
        vec![
            cases::table.count().get_result(conn).unwrap(),
            case_events::table.count().get_result(conn).unwrap(),
            users::table.count().get_result(conn).unwrap(),
            departments::table.count().get_result(conn).unwrap(),
            calendar_days::table.count().get_result(conn).unwrap(),
            login_failures::table.count().get_result(conn).unwrap(),
            outbox::table.count().get_result(conn).unwrap(),
        ]
    })
    .await
}

async fn bad_input_anywhere_is_a_client_error_and_changes_nothing(app: &TestApp) {
    let office = app.office().await;
    let case = app.case_in(&office, "processing").await;
    let case_before = app.case(&office, case).await;
    let tracking_no = case_before["tracking_no"].as_str().unwrap().to_owned();
    let before = all_rows(app).await;
    let clerk = Some(office.clerk.token.as_str());
    let admin = Some(office.admin.token.as_str());
    let far_past = "-262143-01-01";
    let queries: Vec<(String, Option<&str>, u16, &str)> = vec![
        (format!("/api/v1/cases?received_from={far_past}"), clerk, 422, "validation_failed"),
        ("/api/v1/cases?received_to=%2B262142-12-31".into(), clerk, 422, "validation_failed"),
        ("/api/v1/cases?due_before=0001-01-01T00:00:00Z".into(), clerk, 422, "validation_failed"),
        (format!("/api/v1/stats/summary?from={far_past}&to=-262142-06-01"), clerk, 422, "validation_failed"),
        (
            "/api/v1/stats/trend?from=2024-01-01&to=2025-01-01&as_of=-5000-01-01".into(),
            clerk,
            422,
            "validation_failed",
        ),
        ("/api/v1/reports/annual?year=-262143".into(), clerk, 422, "validation_failed"),
        ("/api/v1/cases?q=%00".into(), clerk, 400, "bad_request"),
        ("/api/v1/cases?channel=mail%00box".into(), clerk, 400, "bad_request"),
        ("/api/v1/stats/summary?from=2024-01-01&to=2025-01-01&channel=%00".into(), clerk, 400, "bad_request"),
        (format!("/api/v1/public/cases/{tracking_no}%00?code=AAAA"), None, 400, "bad_request"),
        (format!("/api/v1/public/cases/{tracking_no}?code=%00"), None, 400, "bad_request"),
        ("/api/v1/calendar/99999999999".into(), clerk, 404, "not_found"),
    ];
    for (path, token, status, code) in queries {
        let resp = app.get(&path, token).await;
        assert_eq!((resp.status, resp.code()), (status, code), "GET {path}: {}", resp.text);
    }
    let case_path = format!("/api/v1/cases/{case}");
    let bodies: Vec<BadBody> = vec![
        (Method::POST, "/api/v1/auth/login".into(), None, br#"{"username": "admin", "password": "#, 400, "bad_request"),
        (Method::POST, "/api/v1/auth/login".into(), None, br#"{"username": "admin\u0000", "password": "x"}"#, 422, "validation_failed"),
        (Method::POST, "/api/v1/auth/login".into(), None, br#"{"username": 7, "password": "x"}"#, 422, "validation_failed"),
        (Method::POST, "/api/v1/cases".into(), clerk, br#"{"channel": "mailbox", "title": "\u0000", "content": "x"}"#, 422, "validation_failed"),
        (Method::POST, "/api/v1/cases".into(), clerk, br#"{"channel": "mailbox", "title": "t", "content": "x", "received_at": "0001-01-01T00:00:00+08:00"}"#, 422, "validation_failed"),
        (Method::POST, format!("{case_path}/reply"), Some(office.handler.token.as_str()), br#"{"reply": "#, 400, "bad_request"),
        (Method::POST, format!("{case_path}/reply"), Some(office.handler.token.as_str()), br#"{"reply": ["x"]}"#, 422, "validation_failed"),
        (Method::POST, format!("{case_path}/supervise"), clerk, br#"{"note": "\u0000"}"#, 422, "validation_failed"),
        (Method::POST, format!("{case_path}/request-extension"), Some(office.handler.token.as_str()), br#"{"days": 1e99, "reason": "x"}"#, 422, "validation_failed"),
        (Method::PATCH, format!("/api/v1/departments/{}", office.dept_a), admin, br#"{"name": 5}"#, 422, "validation_failed"),
        (Method::PATCH, format!("/api/v1/departments/{}", office.dept_a), admin, b"{\"name\": \"\xff\"}", 400, "bad_request"),
        (Method::PATCH, format!("/api/v1/users/{}", office.clerk.id), admin, br#"{"active": "yes"}"#, 422, "validation_failed"),
        (Method::PATCH, "/api/v1/channels/mailbox".into(), admin, br#"{"time_limit": -3}"#, 422, "validation_failed"),
        (Method::PUT, "/api/v1/calendar/2027".into(), admin, br#"[{"date": "2027-01-01", "is_workday": false, "note": "New Year\u0000"}]"#, 422, "validation_failed"),
        (Method::PUT, "/api/v1/calendar/2027".into(), admin, br#"[{"date": "+2027-01-01", "is_workday": false, "note": "New Year"}]"#, 422, "validation_failed"),
        (Method::POST, "/api/v1/public/cases".into(), None, br#"{"title": "#, 400, "bad_request"),
        (Method::POST, format!("/api/v1/public/cases/{tracking_no}/rating?code=AAAA"), None, br#"{"rating": 1}"#, 422, "validation_failed"),
    ];
    for (method, path, token, body, status, code) in bodies {
        let resp = app
            .send(
                app.request(method.clone(), &path, token)
                    .header("Content-Type", "application/json")
                    .body(body.to_vec()),
            )
            .await;
        assert_eq!(
            (resp.status, resp.code()),
            (status, code),
            "{method} {path} {}: {}",
            String::from_utf8_lossy(body),
            resp.text
        );
        assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    }
    let long_name =
        app.post("/api/v1/auth/login", None, json!({"username": "a".repeat(100_000), "password": "x"})).await;
    assert_eq!((long_name.status, long_name.code()), (401, "unauthenticated"));
    // A sign-in with a name no account can have is a failed sign-in like any
    // other, counted so that such names are throttled too (issue 21).
    let mut expected = before.clone();
    expected[5] += 1;
    assert_eq!(all_rows(app).await, expected, "no bad request wrote anything but that one login failure");
    assert_eq!(app.case(&office, case).await, case_before, "the case is untouched");
}

backend_tests!(
    bad_input_anywhere_is_a_client_error_and_changes_nothing,
    malformed_bodies_get_problem_details_and_write_nothing,
    an_oversized_body_without_length_is_cut_off_with_413,
    unknown_paths_methods_and_ids_are_problems_too,
);
