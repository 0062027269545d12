//! The console's refusals over plain HTTP, on both backends: other roles get
//! 403, another department's case is 404, a form without its token or with a
//! stale or wrong one changes nothing, bad input comes back beside its fields
//! and changes nothing, a revoked session goes back to the sign-in page.

use crate::backend_tests;
use crate::helpers::{TestApp, ADMIN_PASSWORD, PASSWORD};
use crate::pages::{csrf_of, page, post_form, raw_client, sign_in, sign_out};

backend_tests!(admin_refusals_change_nothing, console_refusals_change_nothing);

async fn department_codes(app: &TestApp, token: &str) -> Vec<String> {
    let listed = app.get("/api/v1/departments", Some(token)).await.expect(200);
    listed.body["items"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_owned()).collect()
}

async fn calendar_2027(app: &TestApp, token: &str) -> Vec<(String, bool, String)> {
    let days = app.get("/api/v1/calendar/2027", Some(token)).await.expect(200);
    days.body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["is_workday"].as_bool().unwrap(),
                d["note"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn admin_refusals_change_nothing(app: &TestApp) {
    let office = app.office().await;
    let admin = sign_in(app, "admin", ADMIN_PASSWORD).await;
    let clerk = sign_in(app, "clerk", PASSWORD).await;
    let pages = [
        "/console/admin/",
        "/console/admin/users",
        &format!("/console/admin/users/{}", office.clerk.id),
        "/console/admin/departments",
        &format!("/console/admin/departments/{}", office.dept_a),
        "/console/admin/channels",
        "/console/admin/channels/mailbox",
        "/console/admin/calendar/2027",
        "/console/admin/outbox",
    ];
    for path in pages {
        let (status, html) = page(app, path, &clerk).await;
        assert_eq!(status, 403, "a clerk on {path}");
        assert!(html.contains("无权访问"), "the 403 page on {path}");
        assert_eq!(page(app, path, &admin).await.0, 200, "the admin on {path}");
    }
    let (_, html) = page(app, "/console/admin/departments", &admin).await;
    let token = csrf_of(&html);
    let (_, html) = page(app, "/console/admin/departments", &clerk).await;
    assert!(!html.contains("csrf_token"), "no form for a clerk");
    let (_, clerk_html) = page(app, "/console/dashboard", &clerk).await;
    let clerk_token = csrf_of(&clerk_html);
    let codes = department_codes(app, &office.admin.token).await;

    // A clerk posting by hand with their own valid token: 403, nothing created.
    let create = [("name", "县水利局"), ("code", "WATER"), ("email", "")];
    let with = |token: &str| {
        let mut form = vec![("csrf_token", token.to_owned())];
        form.extend(create.iter().map(|(k, v)| (*k, (*v).to_owned())));
        form
    };
    let as_pairs =
        |form: &Vec<(&'static str, String)>| form.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let resp = raw_client()
        .post(format!("{}/console/admin/departments", app.base))
        .header("Cookie", format!("casedesk_session={clerk}"))
        .form(&as_pairs(&with(&clerk_token)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // The admin without a token, or with a wrong one: 403, nothing created.
    for form in [create.to_vec(), [("csrf_token", "0000")].into_iter().chain(create).collect()] {
        let (status, html) = post_form(app, "/console/admin/departments", &admin, &form).await;
        assert_eq!(status, 403, "{html}");
        assert!(html.contains("表单已失效"));
    }
    for path in [
        format!("/console/admin/users/{}/active", office.clerk.id),
        "/console/admin/calendar/2027/add".to_owned(),
        "/console/admin/channels/mailbox".to_owned(),
        "/console/admin/outbox/1/retry".to_owned(),
    ] {
        let (status, _) = post_form(app, &path, &admin, &[("active", "false"), ("date", "2027-01-01")]).await;
        assert_eq!(status, 403, "{path} without a token");
    }
    assert_eq!(department_codes(app, &office.admin.token).await, codes, "nothing created");
    let clerk_account = app.get("/api/v1/users", Some(&office.admin.token)).await.expect(200);
    assert!(clerk_account.body["items"].as_array().unwrap().iter().all(|u| u["active"] == true));

    // Bad input: the form again, errors beside the fields, nothing changed.
    let (status, html) = post_form(
        app,
        "/console/admin/departments",
        &admin,
        &[("csrf_token", &token), ("name", " "), ("code", "a b")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"name-error\"") && html.contains("id=\"code-error\""), "{html}");
    assert!(html.contains("不能为空"));
    let (status, html) = post_form(
        app,
        "/console/admin/departments",
        &admin,
        &[("csrf_token", &token), ("name", "另一个教育局"), ("code", "edu")],
    )
    .await;
    assert_eq!(status, 422, "a duplicate code");
    assert!(html.contains("id=\"code-error\"") && html.contains("已有同名或同代码的承办单位"), "{html}");
    assert!(html.contains("value=\"另一个教育局\""), "what was typed is kept");
    assert_eq!(department_codes(app, &office.admin.token).await, codes, "nothing created");

    let (status, html) = post_form(
        app,
        "/console/admin/users",
        &admin,
        &[
            ("csrf_token", &token),
            ("username", "Li Si"),
            ("display_name", "李四"),
            ("role", "handler"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    for field in ["username-error", "password-error"] {
        assert!(html.contains(field), "{field} in {html}");
    }
    // A handler needs a department: the API's rule, beside the department field.
    let (status, html) = post_form(
        app,
        "/console/admin/users",
        &admin,
        &[
            ("csrf_token", &token),
            ("username", "li.si"),
            ("display_name", "李四"),
            ("role", "handler"),
            ("department_id", ""),
            ("password", "long-enough-password"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"department_id-error\"") && html.contains("必须选择所属承办单位"), "{html}");
    let users = app.get("/api/v1/users", Some(&office.admin.token)).await.expect(200);
    assert!(
        users.body["items"].as_array().unwrap().iter().all(|u| u["username"] != "li.si"),
        "nothing created"
    );
    let (status, html) = post_form(
        app,
        "/console/admin/calendar/2027/add",
        &admin,
        &[("csrf_token", &token), ("date", "2027-02-30"), ("is_workday", "false"), ("note", "春节")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"date-error\"") && html.contains("请填写有效日期"), "{html}");
    let (status, _) = post_form(
        app,
        "/console/admin/calendar/2027/add",
        &admin,
        &[("csrf_token", &token), ("date", "2026-10-01"), ("is_workday", "false"), ("note", "国庆节")],
    )
    .await;
    assert_eq!(status, 422, "a date of another year");
    assert!(calendar_2027(app, &office.admin.token).await.is_empty(), "nothing entered");
    let (status, html) = post_form(
        app,
        "/console/admin/channels/mailbox",
        &admin,
        &[
            ("csrf_token", &token),
            ("time_limit", "0"),
            ("time_limit_unit", "fortnight"),
            ("extension_limit", "15"),
            ("extension_unit", "workday"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("time_limit-error") && html.contains("time_limit_unit-error"), "{html}");
    let channels = app.get("/api/v1/channels", Some(&office.admin.token)).await.expect(200);
    assert!(channels.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "mailbox" && c["time_limit"] == 15));

    // The last admin cannot deactivate themselves; a mail that is not failed is not retried.
    let (status, html) = post_form(
        app,
        "/console/admin/users/1/active",
        &admin,
        &[("csrf_token", &token), ("active", "false")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("没有可用的系统管理员"));
    let (status, _) =
        post_form(app, "/console/admin/outbox/999999/retry", &admin, &[("csrf_token", &token)]).await;
    assert_eq!(status, 404, "no such mail: the 404 page, never a 500");
    let (status, _) = page(app, "/console/admin/calendar/1999", &admin).await;
    assert_eq!(status, 404);
}

async fn console_refusals_change_nothing(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "processing").await;
    let version = app.case(&office, id).await["version"].as_i64().unwrap().to_string();
    let session_of = |user: &'static str| sign_in(app, user, PASSWORD);
    let handler = session_of("handler-a").await;
    let (status, html) = page(app, &format!("/console/cases/{id}"), &handler).await;
    assert_eq!(status, 200);
    let token = csrf_of(&html);
    let reply = format!("/console/cases/{id}/reply");

    // Without or with a wrong token: 403, nothing changed.
    for form in [
        vec![("version", version.as_str()), ("reply", "答复")],
        vec![("csrf_token", "0000"), ("version", version.as_str()), ("reply", "答复")],
    ] {
        let (status, html) = post_form(app, &reply, &handler, &form).await;
        assert_eq!(status, 403, "{html}");
        assert!(html.contains("表单已失效"));
    }
    // Bad input: the page again with the field's error, nothing changed.
    let (status, html) =
        post_form(app, &reply, &handler, &[("csrf_token", &token), ("version", &version), ("reply", "  ")])
            .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("field-error") && html.contains("reply-error"),
        "the error is beside the reply field"
    );
    let control = "答复\u{7}内容";
    let (status, html) = post_form(
        app,
        &reply,
        &handler,
        &[("csrf_token", &token), ("version", &version), ("reply", control)],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("不能包含控制字符"), "in Chinese");
    let (status, _) =
        post_form(app, &reply, &handler, &[("csrf_token", &token), ("version", "x"), ("reply", "答复")])
            .await;
    assert_eq!(status, 400);
    let after = app.case(&office, id).await;
    assert_eq!(
        (after["state"].as_str(), after["version"].to_string()),
        (Some("processing"), version.clone())
    );

    // A handler's dashboard is their department's; another's figures are refused.
    let (status, html) = page(app, "/console/dashboard", &handler).await;
    assert_eq!(status, 200);
    assert!(html.contains("（本单位）") && !html.contains("id=\"department_id\""), "no department choice");
    let (status, _) =
        page(app, &format!("/console/dashboard?department_id={}", office.dept_b), &handler).await;
    assert_eq!(status, 403);

    // Another department's case: the 404 page, for the page and its forms.
    let other = session_of("handler-b").await;
    let (status, html) = page(app, &format!("/console/cases/{id}"), &other).await;
    assert_eq!(status, 404);
    assert!(html.contains("页面不存在"));
    let (_, own_page) = page(app, "/console/cases", &other).await;
    let other_token = csrf_of(&own_page);
    let (status, _) = post_form(
        app,
        &reply,
        &other,
        &[("csrf_token", &other_token), ("version", &version), ("reply", "答复")],
    )
    .await;
    assert_eq!(status, 404);

    // A leader posting an action form by hand: 403; the intake form too.
    let leader = session_of("leader").await;
    let (_, leader_page) = page(app, "/console/cases", &leader).await;
    let leader_token = csrf_of(&leader_page);
    let (status, html) = post_form(
        app,
        &reply,
        &leader,
        &[("csrf_token", &leader_token), ("version", &version), ("reply", "领导代答")],
    )
    .await;
    assert_eq!(status, 403, "{html}");
    let (status, _) = page(app, "/console/cases/new", &leader).await;
    assert_eq!(status, 403);
    assert_eq!(app.case(&office, id).await["version"].to_string(), version, "nothing changed");

    // Intake with bad input: field errors beside the fields, the text kept, no case.
    let clerk = session_of("clerk").await;
    let (_, form) = page(app, "/console/cases/new", &clerk).await;
    let clerk_token = csrf_of(&form);
    let long_title = "长".repeat(300);
    let (status, html) = post_form(
        app,
        "/console/cases/new",
        &clerk,
        &[
            ("csrf_token", &clerk_token),
            ("idempotency_key", "k-1"),
            ("channel", "mailbox"),
            ("title", &long_title),
            ("content", "内容保留"),
            ("citizen_phone", "12345"),
            ("citizen_email", "a@[127.0.0.1]"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    for field in ["title-error", "citizen_phone-error", "citizen_email-error"] {
        assert!(html.contains(field), "{field} shown");
    }
    assert!(html.contains("内容保留"), "what was typed is kept");
    let listed = app.get("/api/v1/cases?q=内容保留", Some(office.token("clerk"))).await.expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
    // A filter that is not one: the list again with the error, not a 500.
    let (status, html) = page(app, "/console/cases?received_from=yesterday", &clerk).await;
    assert_eq!(status, 400);
    assert!(html.contains("收到时间起"));
    let (status, _) = page(app, "/console/dashboard?from=2024-13-01", &clerk).await;
    assert_eq!(status, 400);

    // A revoked session goes back to the sign-in page.
    sign_out(app, &clerk).await;
    let resp = raw_client()
        .get(format!("{}/console/cases/{id}", app.base))
        .header("Cookie", format!("casedesk_session={clerk}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (resp.status().as_u16(), resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned())),
        (303, Some("/login".to_owned()))
    );
}
