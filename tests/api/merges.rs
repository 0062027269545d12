//! 并单 (issue 24): a clerk merges a case that repeats another into it and
//! can undo that; a merged case is not received but counted as `merged`;
//! its citizen is told, looks it up, gets the parent's reply and rates their
//! own case; refusals (cycles, races, bad parents) change nothing.

use std::net::TcpListener;

use casedesk::config::Settings;
use casedesk::db::rollups::Grouping;
use casedesk::domain::time;
use casedesk::notify::{self, Mailer};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp, PASSWORD};
use crate::notifications::SmtpServer;
use crate::pages::{csrf_of, data_attribute, page, post_form, sign_in, FormClient};

/// The summary's figures over the days around today, as a leader reads them.
async fn figures(app: &TestApp, office: &Office) -> Value {
    let today = time::office_date(time::now_utc());
    let query =
        format!("from={}&to={}", today - chrono::Duration::days(3), today + chrono::Duration::days(1));
    let resp =
        app.get(&format!("/api/v1/stats/summary?{query}"), Some(&office.leader.token)).await.expect(200);
    resp.body["figures"].clone()
}

async fn merge(app: &TestApp, office: &Office, id: i64, into: Value) -> crate::helpers::Resp {
    app.act(&office.clerk.token, id, "merge", json!({ "into": into })).await
}

async fn a_merge_and_its_undoing_leave_the_figures_as_they_were(app: &TestApp) {
    let office = app.office().await;
    let parent = app.case_in(&office, "processing").await;
    let child = app.case_in(&office, "assigned").await;
    let before = figures(app, &office).await;
    assert_eq!((before["received"].as_i64(), before["merged"].as_i64()), (Some(2), Some(0)));

    let merged = merge(app, &office, child, json!(parent)).await.expect(200);
    assert_eq!(merged.body["state"], "merged");
    assert_eq!(merged.body["merged_into"], parent);
    assert_eq!(merged.body["department_id"], Value::Null, "the parent's department answers");
    let event = app.events(&office, child).await.pop().unwrap();
    assert_eq!((event["action"].as_str(), event["to_state"].as_str()), (Some("merge"), Some("merged")));
    assert_eq!(event["details"]["into"], parent);
    assert_eq!(event["details"]["into_tracking_no"], app.case(&office, parent).await["tracking_no"]);
    assert_eq!(event["details"]["previous_department_id"], office.dept_a);
    let during = figures(app, &office).await;
    assert_eq!(during["received"], 1, "a merged case is not received");
    assert_eq!(during["merged"], 1);
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount, "the rollups equal a recount while merged");
    // The handler of its former department no longer has it.
    let by_handler = app.get(&format!("/api/v1/cases/{child}"), Some(&office.handler.token)).await;
    assert_eq!(by_handler.status, 404);

    let undone =
        app.act(&office.clerk.token, child, "unmerge", json!({"reason": "并非同一诉求"})).await.expect(200);
    assert_eq!(undone.body["state"], "registered");
    assert_eq!(undone.body["merged_into"], Value::Null);
    let event = app.events(&office, child).await.pop().unwrap();
    assert_eq!((event["action"].as_str(), event["note"].as_str()), (Some("unmerge"), Some("并非同一诉求")));
    assert_eq!(event["details"]["merged_into"], parent);
    assert_eq!(figures(app, &office).await, before, "every figure as it was");
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount, "the rollups equal a recount after the undoing");

    // By tracking number, too (as the case page's field takes it).
    let number = app.case(&office, parent).await["tracking_no"].clone();
    let again = merge(app, &office, child, number).await.expect(200);
    assert_eq!(again.body["merged_into"], parent);
}

/// The case as the admin sees it and the length of its audit trail.
async fn snapshot(app: &TestApp, office: &Office, id: i64) -> (Value, usize) {
    (app.case(office, id).await, app.events(office, id).await.len())
}

async fn refusals_have_their_codes_and_change_nothing(app: &TestApp) {
    let office = app.office().await;
    let case = app.case_in(&office, "registered").await;
    let open = app.case_in(&office, "processing").await;
    let invalid = app.case_in(&office, "invalid").await;
    let closed = app.case_in(&office, "closed").await;
    let reviewing = app.case_in(&office, "reviewing").await;
    let before = snapshot(app, &office, case).await;
    let refusals: [(i64, Value, u16, &str); 7] = [
        (case, json!({"into": case}), 409, "merge_cycle"),
        (case, json!({"into": invalid}), 409, "merge_target_invalid"),
        (case, json!({"into": closed}), 409, "merge_target_invalid"),
        (case, json!({"into": 99_999}), 422, "validation_failed"),
        (case, json!({"into": "MB2099999999"}), 422, "validation_failed"),
        (case, json!({}), 422, "validation_failed"),
        (case, json!({"into": open, "reason": "x"}), 422, "validation_failed"),
    ];
    for (id, body, status, code) in refusals {
        let resp = app.act(&office.clerk.token, id, "merge", body.clone()).await.expect(status);
        assert_eq!(resp.code(), code, "{body}: {}", resp.text);
        if status == 422 && body.get("reason").is_none() {
            assert_eq!(resp.body["errors"][0]["field"], "into", "{}", resp.text);
        }
    }
    assert_eq!(snapshot(app, &office, case).await, before, "nothing changed");

    // Only registered, assigned and processing cases merge; only clerks merge.
    for id in [closed, reviewing, invalid] {
        let resp = merge(app, &office, id, json!(open)).await.expect(409);
        assert_eq!(resp.code(), "invalid_transition");
    }
    let by_handler = app.act(&office.handler.token, open, "merge", json!({"into": case})).await.expect(403);
    assert_eq!(by_handler.code(), "forbidden");
    let stale = app
        .send(
            app.request(
                reqwest::Method::POST,
                &format!("/api/v1/cases/{case}/merge"),
                Some(&office.clerk.token),
            )
            .header("If-Match", "99")
            .json(&json!({"into": open})),
        )
        .await
        .expect(409);
    assert_eq!(stale.code(), "version_conflict");
    let unmerge = app.act(&office.clerk.token, case, "unmerge", json!({"reason": "x"})).await.expect(409);
    assert_eq!(unmerge.code(), "invalid_transition");
    assert_eq!(snapshot(app, &office, case).await, before, "nothing changed");

    // A case with cases merged into it waits for its own reply: it is not
    // merged, made invalid or a duplicate, and its merged case does not
    // become its parent.
    let parent = app.case_in(&office, "registered").await;
    merge(app, &office, case, json!(parent)).await.expect(200);
    let parent_before = snapshot(app, &office, parent).await;
    let cycle = merge(app, &office, parent, json!(case)).await.expect(409);
    assert_eq!(cycle.code(), "merge_cycle", "{}", cycle.text);
    let into_merged = merge(app, &office, open, json!(case)).await.expect(409);
    assert_eq!(into_merged.code(), "merge_target_invalid");
    let with_children = merge(app, &office, parent, json!(open)).await.expect(409);
    assert_eq!(with_children.code(), "has_merged_cases");
    let invalidate =
        app.act(&office.clerk.token, parent, "invalidate", json!({"reason": "重复"})).await.expect(409);
    assert_eq!(invalidate.code(), "has_merged_cases");
    let duplicate = app
        .act(&office.clerk.token, parent, "mark-duplicate", json!({"duplicate_of": open}))
        .await
        .expect(409);
    assert_eq!(duplicate.code(), "has_merged_cases");
    assert_eq!(snapshot(app, &office, parent).await, parent_before, "nothing changed");
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount);
}

async fn two_clerks_merging_two_cases_into_each_other_make_no_cycle(app: &TestApp) {
    let office = app.office().await;
    let other_clerk = app.staff(&office.admin.token, "clerk2", "clerk", None).await;
    for round in 0..6 {
        let a = app.case_in(&office, "registered").await;
        let b = app.case_in(&office, if round % 2 == 0 { "registered" } else { "assigned" }).await;
        let (first, second) = tokio::join!(
            app.act(&office.clerk.token, a, "merge", json!({"into": b})),
            app.act(&other_clerk.token, b, "merge", json!({"into": a})),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "one wins: {} / {}", first.text, second.text);
        let loser = if first.status == 409 { &first } else { &second };
        assert_eq!(loser.code(), "merge_cycle", "{}", loser.text);
        let (a, b) = (app.case(&office, a).await, app.case(&office, b).await);
        let merged: Vec<&Value> = [&a, &b].into_iter().filter(|c| c["state"] == "merged").collect();
        assert_eq!(merged.len(), 1, "exactly one merged: {a} {b}");
        let other = if a["state"] == "merged" { &b } else { &a };
        assert_eq!(merged[0]["merged_into"], other["id"]);
        assert_eq!(other["merged_into"], Value::Null, "no cycle");
    }
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount);
}

fn smtp_settings(app: &TestApp, port: u16) -> Settings {
    let mut settings = crate::helpers::test_settings(&app.database_url);
    settings.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    settings.public_url = "https://xf.county.gov.cn".into();
    settings
}

async fn deliver(app: &TestApp, settings: &Settings) -> usize {
    let mailer = Mailer::from_settings(settings).unwrap();
    notify::deliver_due(&app.state.db, &mailer, settings, None, time::now_utc()).await.unwrap().sent
}

async fn lookup(app: &TestApp, tracking_no: &str, code: &str) -> Value {
    let path = format!("/api/v1/public/cases/{tracking_no}?code={code}");
    app.get(&path, None).await.expect(200).body
}

async fn the_merged_citizen_is_told_gets_the_parents_reply_and_rates_their_own_case(app: &TestApp) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let smtp = SmtpServer::start(listener);
    let settings = smtp_settings(app, port);
    let office = app.office().await;
    let parent = app.case_in(&office, "processing").await;
    let parent_no = app.case(&office, parent).await["tracking_no"].as_str().unwrap().to_owned();
    let letter = app
        .new_case(&office.clerk.token, json!({"citizen": {"name": "李四", "email": "lisi@example.cn"}}))
        .await;
    let (child, child_no, code) = (
        letter["id"].as_i64().unwrap(),
        letter["tracking_no"].as_str().unwrap().to_owned(),
        letter["query_code"].as_str().unwrap().to_owned(),
    );
    deliver(app, &settings).await;
    let sent_before = smtp.mails().len();

    merge(app, &office, child, json!(parent)).await.expect(200);
    assert_eq!(deliver(app, &settings).await, 1, "the citizen is told once");
    let told = smtp.mails()[sent_before..].to_vec();
    assert_eq!(told[0].to, ["lisi@example.cn"]);
    assert_eq!(told[0].subject, format!("【已并入】{child_no}"));
    assert!(told[0].text.contains(&parent_no), "{}", told[0].text);
    assert!(!told[0].text.contains(&code), "never the query code");

    let seen = lookup(app, &child_no, &code).await;
    assert_eq!(seen["state"], "merged");
    assert_eq!(seen["merged_into"], json!({"tracking_no": parent_no, "state": "processing"}));
    assert_eq!(seen["reply"], Value::Null);
    let rate_path = format!("/api/v1/public/cases/{child_no}/rating?code={code}");
    let early = app.post(&rate_path, None, json!({"rating": "satisfied"})).await.expect(409);
    assert_eq!(early.code(), "invalid_transition", "not before the parent closes");
    // The citizens' look-up page says 已并入 with the parent's number.
    let forms = FormClient::new(app, "127.0.0.5").await;
    let (status, _, html) =
        forms.post("/mailbox/lookup", &[("tracking_no", &child_no), ("code", &code)]).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(data_attribute(&html, "merged-into").as_deref(), Some(parent_no.as_str()), "{html}");
    assert!(html.contains(&format!("已并入 {parent_no}")), "{html}");

    let reply = "已在小区东侧增设停车位60个。";
    app.act(&office.handler.token, parent, "reply", json!({"reply": reply})).await.expect(200);
    app.act(&office.clerk.token, parent, "approve", json!({})).await.expect(200);
    assert_eq!(deliver(app, &settings).await, 2, "the parent's citizen and the merged one");
    let closing: Vec<_> = smtp.mails().into_iter().filter(|m| m.to == ["lisi@example.cn"]).collect();
    let answer = closing.iter().find(|m| m.subject == format!("【已办结】{child_no}")).expect("the reply");
    assert!(answer.text.contains(reply), "{}", answer.text);
    assert!(answer.text.contains(&format!("已并入 {parent_no}")), "{}", answer.text);
    assert!(answer.text.contains(&format!("tracking_no={child_no}")), "a link to their own case");

    let seen = lookup(app, &child_no, &code).await;
    assert_eq!(seen["merged_into"]["state"], "closed");
    assert_eq!(seen["reply"], reply);
    assert!(seen["closed_at"].is_string());
    let rated = app.post(&rate_path, None, json!({"rating": "satisfied"})).await.expect(200);
    assert_eq!(rated.body["state"], "merged");
    let case = app.case(&office, child).await;
    assert_eq!(
        (case["rating"].as_str(), case["rating_source"].as_str()),
        (Some("satisfied"), Some("citizen"))
    );
    let twice = app.post(&rate_path, None, json!({"rating": "unsatisfied", "comment": "还是不行"})).await;
    assert_eq!(twice.expect(409).code(), "already_rated");
    let f = figures(app, &office).await;
    assert_eq!((f["rated"].as_i64(), f["merged"].as_i64()), (Some(0), Some(1)), "no figure counts it");
    let (rollups, recount) = app.rollups_and_recount(Grouping::Key).await;
    assert_eq!(rollups, recount);
}

async fn the_case_page_merges_and_unmerges(app: &TestApp) {
    let office = app.office().await;
    let clerk = sign_in(app, "clerk", PASSWORD).await;
    let parent = app.case_in(&office, "processing").await;
    let parent_no = app.case(&office, parent).await["tracking_no"].as_str().unwrap().to_owned();
    let id = app.case_in(&office, "registered").await;
    let (status, html) = page(app, &format!("/console/cases/{id}"), &clerk).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-action="merge""#), "merge offered to a registered case");
    assert!(!html.contains(r#"data-action="unmerge""#));
    let post = |action: &'static str, fields: Vec<(&'static str, String)>, html: String| {
        let clerk = clerk.clone();
        async move {
            let version = data_attribute(&html, "version").unwrap();
            let mut form = vec![("csrf_token", csrf_of(&html)), ("version", version)];
            form.extend(fields);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, &format!("/console/cases/{id}/{action}"), &clerk, &form).await
        }
    };
    // Into itself: refused in Chinese, nothing changed.
    let (status, refused) = post("merge", vec![("into", id.to_string())], html.clone()).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused.contains("形成循环"), "{refused}");
    assert_eq!(app.case(&office, id).await["state"], "registered");
    // Into the parent by its tracking number.
    let (status, _) = post("merge", vec![("into", parent_no.clone())], html).await;
    assert_eq!(status, 303);
    let (_, html) = page(app, &format!("/console/cases/{id}"), &clerk).await;
    assert_eq!(data_attribute(&html, "merged-into"), Some(parent.to_string()));
    assert!(html.contains(r#"data-action="unmerge""#), "unmerge offered to a merged case");
    assert!(!html.contains(r#"data-action="merge""#));
    assert!(!html.contains(r#"data-action="rate""#), "its citizen rates it, on the parent's reply");
    let (status, _) = post("unmerge", vec![("reason", "并非同一诉求".to_owned())], html).await;
    assert_eq!(status, 303);
    assert_eq!(app.case(&office, id).await["state"], "registered");
}

backend_tests!(
    a_merge_and_its_undoing_leave_the_figures_as_they_were,
    refusals_have_their_codes_and_change_nothing,
    two_clerks_merging_two_cases_into_each_other_make_no_cycle,
    the_merged_citizen_is_told_gets_the_parents_reply_and_rates_their_own_case,
    the_case_page_merges_and_unmerges,
);
