//! The case lifecycle over HTTP: every allowed transition, a refusal from
//! every state, audit events, and version checks.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp};

/// Actions of the foundation, as (from, action, who, to) — DESIGN.md's table.
const ALLOWED: &[(&str, &str, &str, &str)] = &[
    ("registered", "assign", "clerk", "assigned"),
    ("assigned", "assign", "clerk", "assigned"),
    ("processing", "assign", "clerk", "assigned"),
    ("assigned", "accept", "handler", "processing"),
    ("assigned", "return", "handler", "registered"),
    ("processing", "return", "handler", "registered"),
    ("processing", "reply", "handler", "reviewing"),
    ("reviewing", "approve", "clerk", "closed"),
    ("reviewing", "reject-reply", "clerk", "processing"),
    ("registered", "supervise", "leader", "registered"),
    ("assigned", "supervise", "leader", "assigned"),
    ("processing", "supervise", "leader", "processing"),
    ("reviewing", "supervise", "clerk", "reviewing"),
    ("registered", "invalidate", "clerk", "invalid"),
    ("closed", "reopen", "leader", "processing"),
    ("closed", "rate", "clerk", "closed"),
    ("registered", "mark-duplicate", "clerk", "invalid"),
    ("processing", "request-extension", "handler", "processing"),
    ("processing", "suspend", "handler", "processing"),
];

/// Allowed by the state machine in these states, but only with a pending
/// extension request (tests/api/deadlines.rs covers them).
const NEEDS_A_REQUEST: &[(&str, &str)] =
    &[("processing", "decide-extension"), ("reviewing", "decide-extension")];

const ACTIONS: &[(&str, &str)] = &[
    ("assign", "clerk"),
    ("accept", "handler"),
    ("return", "handler"),
    ("reply", "handler"),
    ("approve", "clerk"),
    ("reject-reply", "clerk"),
    ("supervise", "leader"),
    ("invalidate", "clerk"),
    ("reopen", "leader"),
    ("rate", "clerk"),
    ("mark-duplicate", "clerk"),
    ("request-extension", "handler"),
    ("decide-extension", "leader"),
    ("suspend", "clerk"),
    ("resume", "clerk"),
];

const STATES: &[&str] = &["registered", "assigned", "processing", "reviewing", "closed", "invalid"];

/// A valid body for each action.
fn body_for(action: &str, office: &Office, from: &str, other_case: i64) -> Value {
    match action {
        // Re-assigning must name another department.
        "assign" if from == "registered" => json!({"department_id": office.dept_a, "note": "请按时办理"}),
        "assign" => json!({"department_id": office.dept_b}),
        "accept" | "approve" => json!({"note": "同意"}),
        "return" | "reject-reply" | "invalidate" | "reopen" => json!({"reason": "理由说明"}),
        "reply" => json!({"reply": "经核实，已安排整改。"}),
        "supervise" => json!({"note": "请加快办理进度"}),
        "rate" => json!({"rating": "satisfied"}),
        "mark-duplicate" => json!({"duplicate_of": other_case}),
        "request-extension" => json!({"days": 2, "reason": "需现场核实"}),
        "decide-extension" => json!({"approve": true}),
        "suspend" => json!({"reason": "申请人补正材料"}),
        "resume" => json!({"note": "已补正"}),
        other => panic!("no body for {other}"),
    }
}

async fn every_allowed_transition_moves_the_case_and_logs_one_event(app: &TestApp) {
    let office = app.office().await;
    let other_case = app.case_in(&office, "registered").await;
    for (from, action, who, to) in ALLOWED {
        let id = app.case_in(&office, from).await;
        let before = app.case(&office, id).await;
        let events_before = app.events(&office, id).await.len();
        let resp = app.act(office.token(who), id, action, body_for(action, &office, from, other_case)).await;
        assert_eq!(resp.status, 200, "{action} from {from} by {who}: {}", resp.text);
        assert_eq!(resp.body["state"], *to, "{action} from {from}");
        assert_eq!(resp.body["version"], before["version"].as_i64().unwrap() + 1);
        assert_eq!(resp.header("etag"), Some(format!("\"{}\"", resp.body["version"]).as_str()));
        let events = app.events(&office, id).await;
        assert_eq!(events.len(), events_before + 1, "{action} from {from} writes one event");
        let event = events.last().unwrap();
        assert_eq!(event["action"], *action);
        assert_eq!(event["from_state"], *from);
        assert_eq!(event["to_state"], *to);
        assert_eq!(
            event["actor_id"],
            match *who {
                "clerk" => office.clerk.id,
                "leader" => office.leader.id,
                _ => office.handler.id,
            }
        );
    }
}

async fn every_state_refuses_the_actions_it_does_not_allow(app: &TestApp) {
    let office = app.office().await;
    let other_case = app.case_in(&office, "registered").await;
    for state in STATES {
        let id = app.case_in(&office, state).await;
        let before = app.case(&office, id).await;
        let events_before = app.events(&office, id).await.len();
        let assigned_to_a = before["department_id"] == office.dept_a;
        let mut refused = 0;
        for (action, who) in ACTIONS {
            if ALLOWED.iter().any(|(from, a, _, _)| from == state && a == action)
                || NEEDS_A_REQUEST.contains(&(*state, *action))
            {
                continue;
            }
            let resp =
                app.act(office.token(who), id, action, body_for(action, &office, state, other_case)).await;
            if *who == "handler" && !assigned_to_a {
                // Not their department's case: it does not exist for them.
                assert_eq!(resp.status, 404, "{action} in {state}: {}", resp.text);
                continue;
            }
            assert_eq!(resp.status, 409, "{action} in {state}: {}", resp.text);
            assert_eq!(resp.code(), "invalid_transition");
            assert_eq!(resp.body["state"], *state);
            assert_eq!(resp.body["action"], *action);
            refused += 1;
        }
        assert!(refused > 0, "state {state} refused nothing");
        assert_eq!(app.case(&office, id).await, before, "a refused action changes nothing");
        assert_eq!(app.events(&office, id).await.len(), events_before);
    }
}

async fn approve_records_closing_time_and_reopen_clears_rating(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "closed").await;
    let closed = app.case(&office, id).await;
    assert!(closed["closed_at"].is_string());
    assert_eq!(closed["reply"], "已协调新增停车位。");
    app.act(&office.clerk.token, id, "rate", json!({"rating": "unsatisfied", "comment": "没有解决"}))
        .await
        .expect(200);
    let rated = app.case(&office, id).await;
    assert_eq!(rated["rating"], "unsatisfied");
    assert_eq!(rated["rating_source"], "callback");
    let reopened =
        app.act(&office.leader.token, id, "reopen", json!({"reason": "群众不满意，重办"})).await.expect(200);
    assert_eq!(reopened.body["state"], "processing");
    assert_eq!(reopened.body["rating"], Value::Null);
    assert_eq!(reopened.body["closed_at"], Value::Null);
    assert_eq!(reopened.body["reopen_count"], 1);
    assert_eq!(reopened.body["received_at"], closed["received_at"], "a reopened case keeps its receipt time");
    app.act(&office.handler.token, id, "reply", json!({"reply": "已重新协调。"})).await.expect(200);
    let second = app.act(&office.clerk.token, id, "approve", json!({})).await.expect(200);
    assert!(second.body["closed_at"].as_str().unwrap() >= closed["closed_at"].as_str().unwrap());
    let ratings: Vec<Value> = app
        .events(&office, id)
        .await
        .into_iter()
        .filter(|e| e["action"] == "rate")
        .map(|e| e["details"]["rating"].clone())
        .collect();
    assert_eq!(ratings, vec![json!("unsatisfied")], "the event log keeps the earlier rating");
}

async fn stale_versions_are_refused_and_change_nothing(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "registered").await;
    let assign = json!({"department_id": office.dept_a});
    let stale = app
        .send(
            app.request(
                reqwest::Method::POST,
                &format!("/api/v1/cases/{id}/assign"),
                Some(&office.clerk.token),
            )
            .header("If-Match", "\"7\"")
            .json(&assign),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert_eq!(stale.code(), "version_conflict");
    assert_eq!(stale.body["current_version"], 1);
    assert_eq!(app.case(&office, id).await["state"], "registered");
    assert_eq!(app.events(&office, id).await.len(), 1);
    for current in ["1", "\"1\"", "W/\"1\""] {
        let id = app.case_in(&office, "registered").await;
        let resp = app
            .send(
                app.request(
                    reqwest::Method::POST,
                    &format!("/api/v1/cases/{id}/assign"),
                    Some(&office.clerk.token),
                )
                .header("If-Match", current)
                .json(&assign),
            )
            .await;
        assert_eq!(resp.status, 200, "If-Match {current}: {}", resp.text);
    }
    let garbage = app
        .send(
            app.request(
                reqwest::Method::POST,
                &format!("/api/v1/cases/{id}/assign"),
                Some(&office.clerk.token),
            )
            .header("If-Match", "version one")
            .json(&assign),
        )
        .await;
    assert_eq!(garbage.status, 400);
}

async fn action_bodies_are_validated_per_action(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "registered").await;
    let cases = [
        ("assign", json!({}), "department_id"),
        ("assign", json!({"department_id": 999_999}), "department_id"),
        ("assign", json!({"department_id": office.dept_a, "reply": "x"}), "reply"),
        ("invalidate", json!({}), "reason"),
        ("invalidate", json!({"reason": "   "}), "reason"),
        ("supervise", json!({}), "note"),
        ("mark-duplicate", json!({"duplicate_of": id}), "duplicate_of"),
        ("mark-duplicate", json!({"duplicate_of": 424242}), "duplicate_of"),
    ];
    for (action, body, field) in cases {
        let resp = app.act(&office.clerk.token, id, action, body.clone()).await;
        assert_eq!(resp.status, 422, "{action} {body}: {}", resp.text);
        assert_eq!(resp.body["errors"][0]["field"], field, "{action} {body}");
    }
    assert_eq!(app.events(&office, id).await.len(), 1, "nothing was written");
    let closed = app.case_in(&office, "closed").await;
    let two_dims = app
        .act(
            &office.clerk.token,
            closed,
            "rate",
            json!({"rating": "satisfied", "result_rating": "satisfied"}),
        )
        .await;
    assert_eq!(two_dims.status, 422, "mailbox rates one dimension");
    let suggestion =
        app.new_case(&office.clerk.token, json!({"channel": "suggestion"})).await["id"].as_i64().unwrap();
    for (action, token, body) in [
        ("assign", &office.clerk.token, json!({"department_id": office.dept_a})),
        ("accept", &office.handler.token, json!({})),
        ("reply", &office.handler.token, json!({"reply": "已采纳"})),
        ("approve", &office.clerk.token, json!({})),
    ] {
        app.act(token, suggestion, action, body).await.expect(200);
    }
    let one_dim = app.act(&office.clerk.token, suggestion, "rate", json!({"rating": "satisfied"})).await;
    assert_eq!(one_dim.status, 422, "suggestions rate work and result");
    let both = app
        .act(
            &office.clerk.token,
            suggestion,
            "rate",
            json!({"rating": "satisfied", "result_rating": "basically_satisfied"}),
        )
        .await
        .expect(200);
    assert_eq!(both.body["result_rating"], "basically_satisfied");
}

async fn unknown_actions_are_not_found(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "registered").await;
    let resp = app.act(&office.clerk.token, id, "delete", json!({})).await;
    assert_eq!(resp.status, 404);
    assert_eq!(resp.code(), "not_found");
    let resp = app.act(&office.clerk.token, 999_999, "assign", json!({"department_id": office.dept_a})).await;
    assert_eq!(resp.status, 404);
}

backend_tests!(
    every_allowed_transition_moves_the_case_and_logs_one_event,
    every_state_refuses_the_actions_it_does_not_allow,
    approve_records_closing_time_and_reopen_clears_rating,
    stale_versions_are_refused_and_change_nothing,
    action_bodies_are_validated_per_action,
    unknown_actions_are_not_found,
);
