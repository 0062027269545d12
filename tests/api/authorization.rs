//! Who may do what: every role against every endpoint and every action, and
//! handlers' isolation to their own department.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::TestApp;

const ROLES: [&str; 5] = ["anonymous", "admin", "clerk", "handler", "leader"];

/// Expected statuses for (anonymous, admin, clerk, handler, leader).
type Row = (Method, &'static str, fn(&str) -> Value, [u16; 5]);

fn no_body(_: &str) -> Value {
    Value::Null
}

async fn every_role_against_every_endpoint(app: &TestApp) {
    let office = app.office().await;
    let case_id = app.case_in(&office, "assigned").await;
    let rows: Vec<Row> = vec![
        (Method::GET, "/api/v1/auth/me", no_body, [401, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/departments", no_body, [401, 200, 200, 200, 200]),
        (
            Method::POST,
            "/api/v1/departments",
            |role| json!({"name": format!("新部门{role}"), "code": format!("NEW_{role}")}),
            [401, 201, 403, 403, 403],
        ),
        (
            Method::PATCH,
            "/api/v1/departments/{dept}",
            |_| json!({"email": "edu@county.gov.cn"}),
            [401, 200, 403, 403, 403],
        ),
        (Method::GET, "/api/v1/users", no_body, [401, 200, 403, 403, 403]),
        (
            Method::POST,
            "/api/v1/users",
            |role| json!({"username": format!("u-{role}"), "password": "long-enough-1", "display_name": "新", "role": "clerk"}),
            [401, 201, 403, 403, 403],
        ),
        (
            Method::PATCH,
            "/api/v1/users/{leader}",
            |_| json!({"display_name": "领导"}),
            [401, 200, 403, 403, 403],
        ),
        (Method::GET, "/api/v1/channels", no_body, [401, 200, 200, 200, 200]),
        (
            Method::PATCH,
            "/api/v1/channels/mailbox",
            |_| json!({"name": "公开信箱"}),
            [401, 200, 403, 403, 403],
        ),
        (
            Method::POST,
            "/api/v1/cases",
            |_| json!({"channel": "mailbox", "title": "标题", "content": "内容"}),
            [401, 201, 201, 403, 403],
        ),
        (Method::GET, "/api/v1/cases", no_body, [401, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/cases/{case}", no_body, [401, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/cases/{case}/events", no_body, [401, 200, 200, 200, 200]),
        (
            Method::POST,
            "/api/v1/cases/{case}/supervise",
            |_| json!({"note": "督办"}),
            [401, 200, 200, 403, 200],
        ),
        (Method::GET, "/healthz", no_body, [200, 200, 200, 200, 200]),
        (Method::GET, "/readyz", no_body, [200, 200, 200, 200, 200]),
        (Method::GET, "/metrics", no_body, [200, 200, 200, 200, 200]),
    ];
    for (method, template, body, expected) in rows {
        let path = template
            .replace("{dept}", &office.dept_a.to_string())
            .replace("{leader}", &office.leader.id.to_string())
            .replace("{case}", &case_id.to_string());
        for (role, want) in ROLES.iter().zip(expected) {
            let token = (*role != "anonymous").then(|| office.token(role));
            let mut request = app.request(method.clone(), &path, token);
            let payload = body(role);
            if !payload.is_null() {
                request = request.json(&payload);
            }
            let resp = app.send(request).await;
            assert_eq!(resp.status, want, "{role} {method} {path}: {}", resp.text);
        }
    }
}

/// Which roles may take each action (state prepared so that the state machine allows it).
const ACTION_MATRIX: &[(&str, &str, [u16; 4])] = &[
    // (action, state, [admin, clerk, handler, leader])
    ("assign", "registered", [200, 200, 404, 403]),
    ("accept", "assigned", [403, 403, 200, 403]),
    ("return", "assigned", [403, 403, 200, 403]),
    ("reply", "processing", [403, 403, 200, 403]),
    ("approve", "reviewing", [200, 200, 403, 403]),
    ("reject-reply", "reviewing", [200, 200, 403, 403]),
    ("supervise", "processing", [200, 200, 403, 200]),
    ("invalidate", "registered", [200, 200, 404, 403]),
    ("reopen", "closed", [200, 200, 403, 200]),
    ("rate", "closed", [200, 200, 403, 403]),
    ("mark-duplicate", "registered", [200, 200, 404, 403]),
];

async fn every_role_against_every_action(app: &TestApp) {
    let office = app.office().await;
    let original = app.case_in(&office, "registered").await;
    for (action, state, expected) in ACTION_MATRIX {
        for (role, want) in ["admin", "clerk", "handler", "leader"].iter().zip(expected) {
            let id = app.case_in(&office, state).await;
            let body = match *action {
                "assign" => json!({"department_id": office.dept_a}),
                "reply" => json!({"reply": "答复"}),
                "return" | "reject-reply" | "invalidate" | "reopen" => json!({"reason": "理由"}),
                "supervise" => json!({"note": "督办"}),
                "rate" => json!({"rating": "satisfied"}),
                "mark-duplicate" => json!({"duplicate_of": original}),
                _ => json!({}),
            };
            let resp = app.act(office.token(role), id, action, body).await;
            assert_eq!(resp.status, *want, "{role} {action} in {state}: {}", resp.text);
            if *want != 200 {
                assert_eq!(app.case(&office, id).await["state"], *state, "refused {action} changed nothing");
            }
        }
    }
}

async fn handlers_see_only_their_own_department(app: &TestApp) {
    let office = app.office().await;
    let mine = app.case_in(&office, "assigned").await;
    let theirs =
        app.new_case(&office.clerk.token, json!({"title": "住房问题"})).await["id"].as_i64().unwrap();
    app.act(&office.clerk.token, theirs, "assign", json!({"department_id": office.dept_b})).await.expect(200);
    let unassigned = app.case_in(&office, "registered").await;

    let list = app.get("/api/v1/cases", Some(&office.handler.token)).await.expect(200);
    let ids: Vec<i64> =
        list.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![mine], "only department A's case is listed");
    let asked_for_b =
        app.get(&format!("/api/v1/cases?department_id={}", office.dept_b), Some(&office.handler.token)).await;
    assert_eq!(asked_for_b.body["items"], json!([]));

    for id in [theirs, unassigned] {
        for path in [format!("/api/v1/cases/{id}"), format!("/api/v1/cases/{id}/events")] {
            let resp = app.get(&path, Some(&office.handler.token)).await;
            assert_eq!(resp.status, 404, "{path}");
            let missing = app.get("/api/v1/cases/987654321", Some(&office.handler.token)).await;
            assert_eq!(resp.body, missing.body, "indistinguishable from a missing case");
        }
        let accept = app.act(&office.handler.token, id, "accept", json!({})).await;
        assert_eq!(accept.status, 404);
    }
    assert_eq!(app.case(&office, theirs).await["state"], "assigned");

    // Once re-assigned away, the case disappears for handler A.
    app.act(&office.clerk.token, mine, "assign", json!({"department_id": office.dept_b})).await.expect(200);
    assert_eq!(app.get(&format!("/api/v1/cases/{mine}"), Some(&office.handler.token)).await.status, 404);
    assert_eq!(
        app.get(&format!("/api/v1/cases/{mine}"), Some(&office.other_handler.token)).await.status,
        200
    );
}

async fn contact_details_are_masked_except_for_office_staff_viewing_one_case(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "assigned").await;
    let path = format!("/api/v1/cases/{id}");
    for (role, phone, email) in [
        ("admin", "13812345678", "wangfang@example.cn"),
        ("clerk", "13812345678", "wangfang@example.cn"),
        ("leader", "138****5678", "w***@example.cn"),
        ("handler", "138****5678", "w***@example.cn"),
    ] {
        let case = app.get(&path, Some(office.token(role))).await.expect(200).body;
        assert_eq!(case["citizen"]["phone"], phone, "{role}");
        assert_eq!(case["citizen"]["email"], email, "{role}");
        let list = app.get("/api/v1/cases", Some(office.token(role))).await.expect(200).body;
        let listed = list["items"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
        assert_eq!(listed["citizen"]["phone"], "138****5678", "{role} list");
        assert_eq!(listed["citizen"]["email"], "w***@example.cn", "{role} list");
    }
    let accepted = app.act(&office.handler.token, id, "accept", json!({})).await.expect(200);
    assert_eq!(accepted.body["citizen"]["phone"], "138****5678", "action responses mask for handlers");
}

backend_tests!(
    every_role_against_every_endpoint,
    every_role_against_every_action,
    handlers_see_only_their_own_department,
    contact_details_are_masked_except_for_office_staff_viewing_one_case,
);
