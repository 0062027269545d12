//! Departments, accounts and channels, as administrators manage them.

use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;

async fn departments_are_validated_and_unique(app: &TestApp) {
    let admin = app.admin().await;
    let created = app
        .post(
            "/api/v1/departments",
            Some(&admin),
            json!({"name": "县住建局", "code": "zjj", "email": "zjj@county.gov.cn"}),
        )
        .await
        .expect(201);
    assert_eq!(created.body["code"], "ZJJ");
    assert_eq!(created.body["active"], true);
    let dup =
        app.post("/api/v1/departments", Some(&admin), json!({"name": "县住建局", "code": "OTHER"})).await;
    assert_eq!((dup.status, dup.code()), (409, "duplicate"));
    let bad = app
        .post(
            "/api/v1/departments",
            Some(&admin),
            json!({"name": "", "code": "a b", "email": "x@y.cn\r\nBcc: z@evil.com"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"].as_array().unwrap().len(), 3);
    let id = created.body["id"].as_i64().unwrap();
    let cleared = app
        .patch(&format!("/api/v1/departments/{id}"), Some(&admin), json!({"email": null, "active": false}))
        .await
        .expect(200);
    assert_eq!(cleared.body["email"], serde_json::Value::Null);
    assert_eq!(cleared.body["active"], false);
    let listed = app.get("/api/v1/departments", Some(&admin)).await.expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    let clerk = app.staff(&admin, "clerk", "clerk", None).await;
    let case = app.new_case(&clerk.token, json!({})).await;
    let refused =
        app.act(&clerk.token, case["id"].as_i64().unwrap(), "assign", json!({"department_id": id})).await;
    assert_eq!(refused.status, 422, "inactive departments receive no cases");
}

async fn accounts_are_validated(app: &TestApp) {
    let admin = app.admin().await;
    let dept = app.department(&admin, "EDU").await;
    let no_department = app
        .post("/api/v1/users", Some(&admin), json!({"username": "handler-x", "password": "long-enough-1", "display_name": "办理人", "role": "handler"}))
        .await;
    assert_eq!(no_department.status, 422, "{}", no_department.text);
    assert_eq!(no_department.body["errors"][0]["field"], "department_id");
    let unknown_department = app
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({"username": "handler-y", "password": "long-enough-1", "display_name": "办理人", "role": "handler", "department_id": 999}),
        )
        .await;
    assert_eq!(unknown_department.status, 422);
    let bad = app
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({"username": "A", "password": "short", "display_name": "", "role": "boss"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let mut fields: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["display_name", "password", "role", "username"]);
    let handler = app.staff(&admin, "handler1", "handler", Some(dept)).await;
    let dup = app
        .post("/api/v1/users", Some(&admin), json!({"username": "handler1", "password": "long-enough-1", "display_name": "x", "role": "clerk"}))
        .await;
    assert_eq!((dup.status, dup.code()), (409, "duplicate"));
    let orphan = app
        .patch(&format!("/api/v1/users/{}", handler.id), Some(&admin), json!({"department_id": null}))
        .await;
    assert_eq!(orphan.status, 422, "a handler keeps a department");
    let promoted = app
        .patch(
            &format!("/api/v1/users/{}", handler.id),
            Some(&admin),
            json!({"role": "leader", "department_id": null}),
        )
        .await
        .expect(200);
    assert_eq!(promoted.body["role"], "leader");
    let me = app.get("/api/v1/auth/me", Some(&handler.token)).await.expect(200);
    assert_eq!(me.body["role"], "leader", "roles take effect at once");
    let reset = app
        .patch(
            &format!("/api/v1/users/{}", handler.id),
            Some(&admin),
            json!({"password": "brand-new-password"}),
        )
        .await
        .expect(200);
    assert!(reset.body.get("password_hash").is_none());
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&handler.token)).await.status,
        401,
        "a reset password revokes tokens"
    );
    app.login("handler1", "brand-new-password").await;
    let users = app.get("/api/v1/users", Some(&admin)).await.expect(200);
    assert_eq!(users.body["items"].as_array().unwrap().len(), 2);
}

async fn channels_are_listed_and_editable_by_admins(app: &TestApp) {
    let admin = app.admin().await;
    let channels = app.get("/api/v1/channels", Some(&admin)).await.expect(200);
    let codes: Vec<&str> =
        channels.body["items"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["mailbox", "minhu", "gov_web", "disclosure", "suggestion"]);
    let disclosure = &channels.body["items"][3];
    assert_eq!(
        (disclosure["time_limit"].as_i64(), disclosure["time_limit_unit"].as_str()),
        (Some(20), Some("workday"))
    );
    let suggestion = &channels.body["items"][4];
    assert_eq!(suggestion["time_limit_unit"], "month");
    assert_eq!(suggestion["two_dimension_rating"], true);
    let updated = app
        .patch("/api/v1/channels/minhu", Some(&admin), json!({"time_limit": 10, "tracking_prefix": "MW"}))
        .await
        .expect(200);
    assert_eq!(updated.body["time_limit"], 10);
    let clerk = app.staff(&admin, "clerk", "clerk", None).await;
    let case = app
        .new_case(&clerk.token, json!({"channel": "minhu", "received_at": "2024-02-01T09:00:00+08:00"}))
        .await;
    assert_eq!(case["tracking_no"], "MW2024000001");
    let clash = app.patch("/api/v1/channels/minhu", Some(&admin), json!({"tracking_prefix": "MB"})).await;
    assert_eq!((clash.status, clash.code()), (409, "duplicate"));
    let bad = app
        .patch(
            "/api/v1/channels/minhu",
            Some(&admin),
            json!({"time_limit": 0, "time_limit_unit": "fortnight", "tracking_prefix": "mw"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"].as_array().unwrap().len(), 3);
}

backend_tests!(
    departments_are_validated_and_unique,
    accounts_are_validated,
    channels_are_listed_and_editable_by_admins,
);
