//! Who may do what: every role against every endpoint and every action, and
//! handlers' isolation to their own department.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::TestApp;

const ROLES: [&str; 5] = ["anonymous", "admin", "clerk", "handler", "leader"];

/// One endpoint: the route template as in `casedesk::api::ROUTES`, the path
/// it is called with, the body each role sends, and the expected status for
/// (anonymous, admin, clerk, handler, leader).
struct Row {
    method: Method,
    route: &'static str,
    path: String,
    body: Box<dyn Fn(&str) -> Value>,
    expected: [u16; 5],
}

fn row(method: Method, route: &'static str, path: impl Into<String>, expected: [u16; 5]) -> Row {
    Row { method, route, path: path.into(), body: Box::new(|_| Value::Null), expected }
}

fn row_with(
    method: Method,
    route: &'static str,
    path: impl Into<String>,
    body: impl Fn(&str) -> Value + 'static,
    expected: [u16; 5],
) -> Row {
    Row { method, route, path: path.into(), body: Box::new(body), expected }
}

async fn every_role_against_every_endpoint(app: &TestApp) {
    let office = app.office().await;
    let case_id = app.case_in(&office, "assigned").await;
    let letter = app.new_case(&office.clerk.token, json!({})).await;
    let closed = letter["id"].as_i64().unwrap();
    for (token, action, body) in [
        (&office.clerk.token, "assign", json!({"department_id": office.dept_a})),
        (&office.handler.token, "accept", json!({})),
        (&office.handler.token, "reply", json!({"reply": "已办理。"})),
        (&office.clerk.token, "approve", json!({})),
    ] {
        app.act(token, closed, action, body).await.expect(200);
    }
    let public = format!(
        "/api/v1/public/cases/{}?code={}",
        letter["tracking_no"].as_str().unwrap(),
        letter["query_code"].as_str().unwrap()
    );
    let public_rating = public.replace("?code=", "/rating?code=");
    let (case, dept, leader) = (case_id, office.dept_a, office.leader.id);
    let period = "from=2024-01-01&to=2025-01-01";
    use Method as M;
    let rows: Vec<Row> = vec![
        row(M::GET, "/healthz", "/healthz", [200; 5]),
        row(M::GET, "/readyz", "/readyz", [200; 5]),
        // Only the metrics token reads it; no staff token does.
        row(M::GET, "/metrics", "/metrics", [401; 5]),
        row_with(
            M::POST,
            "/api/v1/auth/login",
            "/api/v1/auth/login",
            |_| json!({"username": "admin", "password": crate::helpers::ADMIN_PASSWORD}),
            [200; 5],
        ),
        row(M::GET, "/api/v1/auth/me", "/api/v1/auth/me", [401, 200, 200, 200, 200]),
        // A wrong current password shows who may call it without changing anything.
        row_with(
            M::POST,
            "/api/v1/auth/password",
            "/api/v1/auth/password",
            |_| json!({"current_password": "not-it-at-all", "new_password": "another-long-one-1"}),
            [401, 422, 422, 422, 422],
        ),
        row(M::GET, "/api/v1/departments", "/api/v1/departments", [401, 200, 200, 200, 200]),
        row_with(
            M::POST,
            "/api/v1/departments",
            "/api/v1/departments",
            |role| json!({"name": format!("新部门{role}"), "code": format!("NEW_{role}")}),
            [401, 201, 403, 403, 403],
        ),
        row_with(
            M::PATCH,
            "/api/v1/departments/{id}",
            format!("/api/v1/departments/{dept}"),
            |_| json!({"email": "edu@county.gov.cn"}),
            [401, 200, 403, 403, 403],
        ),
        row(M::GET, "/api/v1/users", "/api/v1/users", [401, 200, 403, 403, 403]),
        row_with(
            M::POST,
            "/api/v1/users",
            "/api/v1/users",
            |role| json!({"username": format!("u-{role}"), "password": "long-enough-1", "display_name": "新", "role": "clerk"}),
            [401, 201, 403, 403, 403],
        ),
        row_with(
            M::PATCH,
            "/api/v1/users/{id}",
            format!("/api/v1/users/{leader}"),
            |_| json!({"display_name": "领导"}),
            [401, 200, 403, 403, 403],
        ),
        row(M::GET, "/api/v1/channels", "/api/v1/channels", [401, 200, 200, 200, 200]),
        row_with(
            M::PATCH,
            "/api/v1/channels/{code}",
            "/api/v1/channels/mailbox",
            |_| json!({"name": "公开信箱"}),
            [401, 200, 403, 403, 403],
        ),
        row(
            M::GET,
            "/api/v1/channels/{code}/categories",
            "/api/v1/channels/mailbox/categories",
            [401, 200, 200, 200, 200],
        ),
        row_with(
            M::PUT,
            "/api/v1/channels/{code}/categories",
            "/api/v1/channels/gov_web/categories",
            |_| json!({"categories": ["教育", "其他"]}),
            [401, 200, 403, 403, 403],
        ),
        row(M::GET, "/api/v1/calendar/{year}", "/api/v1/calendar/2025", [401, 200, 200, 200, 200]),
        row_with(
            M::PUT,
            "/api/v1/calendar/{year}",
            "/api/v1/calendar/2099",
            |_| json!([{"date": "2099-01-01", "is_workday": false, "note": "元旦"}]),
            [401, 200, 403, 403, 403],
        ),
        row_with(
            M::POST,
            "/api/v1/cases",
            "/api/v1/cases",
            |_| json!({"channel": "mailbox", "title": "标题", "content": "内容"}),
            [401, 201, 201, 403, 403],
        ),
        row(M::GET, "/api/v1/cases", "/api/v1/cases", [401, 200, 200, 200, 200]),
        row(M::GET, "/api/v1/cases/export", "/api/v1/cases/export", [401, 200, 200, 200, 200]),
        row(M::GET, "/api/v1/cases/{id}", format!("/api/v1/cases/{case}"), [401, 200, 200, 200, 200]),
        row(
            M::GET,
            "/api/v1/cases/{id}/events",
            format!("/api/v1/cases/{case}/events"),
            [401, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/api/v1/cases/{id}/similar",
            format!("/api/v1/cases/{case}/similar"),
            [401, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/api/v1/cases/{id}/routing",
            format!("/api/v1/cases/{case}/routing"),
            [401, 200, 200, 403, 403],
        ),
        // Every action and role: every_role_against_every_action.
        row_with(
            M::POST,
            "/api/v1/cases/{id}/{action}",
            format!("/api/v1/cases/{case}/supervise"),
            |_| json!({"note": "督办"}),
            [401, 200, 200, 403, 200],
        ),
        // The role is checked first, then the body (no file here: 415).
        row(M::POST, "/api/v1/imports", "/api/v1/imports", [401, 415, 415, 403, 403]),
        row(M::GET, "/api/v1/imports/{id}", "/api/v1/imports/987654", [401, 404, 404, 403, 403]),
        row(
            M::GET,
            "/api/v1/imports/{id}/refused",
            "/api/v1/imports/987654/refused",
            [401, 404, 404, 403, 403],
        ),
        row(M::GET, "/api/v1/outbox", "/api/v1/outbox", [401, 200, 403, 403, 403]),
        // The role is checked before the message is looked for.
        row(M::POST, "/api/v1/outbox/{id}/retry", "/api/v1/outbox/987654/retry", [401, 404, 403, 403, 403]),
        row(
            M::GET,
            "/api/v1/stats/summary",
            format!("/api/v1/stats/summary?{period}"),
            [401, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/api/v1/stats/by-channel",
            format!("/api/v1/stats/by-channel?{period}"),
            [401, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/api/v1/stats/by-department",
            format!("/api/v1/stats/by-department?{period}"),
            [401, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/api/v1/stats/trend",
            format!("/api/v1/stats/trend?{period}"),
            [401, 200, 200, 200, 200],
        ),
        // A handler gets their own department's topics.
        row(
            M::GET,
            "/api/v1/stats/topics",
            format!("/api/v1/stats/topics?{period}"),
            [401, 200, 200, 200, 200],
        ),
        row(M::GET, "/api/v1/reports/annual", "/api/v1/reports/annual?year=2024", [401, 200, 200, 403, 200]),
        row(
            M::GET,
            "/api/v1/reports/bulletin",
            "/api/v1/reports/bulletin?from=2024-01-01&to=2024-02-01",
            [401, 200, 200, 403, 200],
        ),
        row(
            M::GET,
            "/api/v1/stats/scorecard",
            "/api/v1/stats/scorecard?from=2024-01-01&to=2025-01-01",
            [401, 200, 200, 403, 200],
        ),
        row_with(
            M::POST,
            "/api/v1/public/cases",
            "/api/v1/public/cases",
            |_| json!({"title": "路灯不亮", "content": "小区路灯坏了。"}),
            [201; 5],
        ),
        row(M::GET, "/api/v1/public/cases/{tracking_no}", public, [200; 5]),
        // No account is asked for: the first caller rates the closure, and a
        // citizen rates each closure once (409 `already_rated`), whoever asks.
        row_with(
            M::POST,
            "/api/v1/public/cases/{tracking_no}/rating",
            public_rating,
            |_| json!({"rating": "satisfied"}),
            [200, 409, 409, 409, 409],
        ),
        // Last: it revokes the token each role used above.
        row(M::POST, "/api/v1/auth/logout", "/api/v1/auth/logout", [401, 204, 204, 204, 204]),
    ];
    let mut covered: Vec<(String, &str)> = rows.iter().map(|r| (r.method.to_string(), r.route)).collect();
    covered.sort_unstable();
    let mut routes: Vec<(String, &str)> =
        casedesk::api::ROUTES.iter().map(|(m, p)| (m.to_string(), *p)).collect();
    routes.sort_unstable();
    assert_eq!(covered, routes, "the matrix has one row per route the service answers");
    for Row { method, route, path, body, expected } in rows {
        for (role, want) in ROLES.iter().zip(expected) {
            let token = (*role != "anonymous").then(|| office.token(role));
            let mut request = app.request(method.clone(), &path, token);
            let payload = body(role);
            if !payload.is_null() {
                request = request.json(&payload);
            }
            let resp = app.send(request).await;
            assert_eq!(resp.status, want, "{role} {method} {route} ({path}): {}", resp.text);
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
    // On a case handler A can see, the role check itself refuses.
    ("assign", "processing", [200, 200, 403, 403]),
    ("request-extension", "processing", [403, 403, 200, 403]),
    ("decide-extension", "extension-requested", [200, 200, 403, 200]),
    ("suspend", "processing", [200, 200, 200, 403]),
    ("resume", "suspended", [200, 200, 200, 403]),
];

/// A case in `state`, or in one of the processing sub-states the matrix needs.
async fn prepared_case(app: &TestApp, office: &crate::helpers::Office, state: &str) -> i64 {
    let (base, step) = match state {
        "extension-requested" => {
            ("processing", Some(("request-extension", json!({"days": 3, "reason": "需现场核实"}))))
        }
        "suspended" => ("processing", Some(("suspend", json!({"reason": "申请人补正材料"})))),
        other => (other, None),
    };
    let id = app.case_in(office, base).await;
    if let Some((action, body)) = step {
        app.act(&office.handler.token, id, action, body).await.expect(200);
    }
    id
}

async fn every_role_against_every_action(app: &TestApp) {
    let office = app.office().await;
    let original = app.case_in(&office, "registered").await;
    for (action, state, expected) in ACTION_MATRIX {
        let anonymous = app.post(&format!("/api/v1/cases/{original}/{action}"), None, json!({})).await;
        assert_eq!(anonymous.status, 401, "anonymous {action}");
        for (role, want) in ["admin", "clerk", "handler", "leader"].iter().zip(expected) {
            let id = prepared_case(app, &office, state).await;
            let before = app.case(&office, id).await;
            let body = match *action {
                "assign" if *state == "processing" => json!({"department_id": office.dept_b}),
                "assign" => json!({"department_id": office.dept_a}),
                "request-extension" => json!({"days": 3, "reason": "需现场核实"}),
                "decide-extension" => json!({"approve": true}),
                "suspend" => json!({"reason": "征求第三方意见"}),
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
                assert_eq!(app.case(&office, id).await, before, "refused {action} changed nothing");
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
