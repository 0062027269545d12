//! Similar cases and the routing suggestion (issue 24): the same phone,
//! email, or name and address, and a reworded letter are found; a letter
//! that shares only the boilerplate is not; routing follows the departments
//! that closed similar cases; what a user may not see stays hidden.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp, PASSWORD};
use crate::pages::{csrf_of, page, post_form, sign_in};

async fn case_with(app: &TestApp, office: &Office, body: Value) -> i64 {
    app.new_case(&office.clerk.token, body).await["id"].as_i64().unwrap()
}

fn letter(title: &str, content: &str, citizen: Value) -> Value {
    json!({"title": title, "content": content, "citizen": citizen})
}

async fn similar(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    let resp = app.get(&format!("/api/v1/cases/{id}/similar"), Some(token)).await.expect(200);
    resp.body["items"].as_array().unwrap().clone()
}

fn reasons_of(found: &[Value], id: i64) -> Option<Vec<String>> {
    found
        .iter()
        .find(|s| s["case_id"] == id)
        .map(|s| s["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect())
}

const LAMP: &str =
    "人民路东段的路灯坏了三个月，晚上一片漆黑，老人孩子出行很不安全。希望有关部门尽快处理！谢谢";
const LAMP_AGAIN: &str = "人民路东段路灯坏了快三个月了，晚上漆黑一片，老人和孩子出行不安全，请修一下。";
const SCHOOL: &str = "城南幼儿园今年学费涨了一倍，家长负担太重，收费依据也不公开。希望有关部门尽快处理！谢谢";

async fn finds_the_same_writer_and_a_reworded_letter(app: &TestApp) {
    let office = app.office().await;
    let nobody = json!({});
    let phone =
        case_with(app, &office, letter("咨询医保", "异地报销怎么办理？", json!({"phone": "13900002222"})))
            .await;
    let email =
        case_with(app, &office, letter("咨询社保", "社保卡怎么补办？", json!({"email": "Zhao@Example.cn"})))
            .await;
    let home = case_with(
        app,
        &office,
        letter("咨询户口", "户口迁移要什么材料？", json!({"name": "赵敏", "address": "城关镇人民路１号"})),
    )
    .await;
    let reworded = case_with(app, &office, letter("路灯坏了", LAMP_AGAIN, nobody.clone())).await;
    let boilerplate_only = case_with(app, &office, letter("幼儿园收费太高", SCHOOL, nobody.clone())).await;
    let the_case = case_with(
        app,
        &office,
        letter(
            "人民路路灯不亮",
            LAMP,
            json!({"name": "赵敏", "address": "城关镇人民路1号", "phone": "13900002222", "email": "zhao@example.cn"}),
        ),
    )
    .await;

    // The same answers from the index's queue and, once indexed, from the index.
    assert_eq!(app.queued_for_index().await, 6);
    for indexed in [false, true] {
        if indexed {
            assert_eq!(app.index_queued().await, 6);
        }
        finds_each_likeness(app, &office, [phone, email, home, reworded, boilerplate_only, the_case]).await;
    }
}

async fn finds_each_likeness(app: &TestApp, office: &Office, cases: [i64; 6]) {
    let [phone, email, home, reworded, boilerplate_only, the_case] = cases;
    let found = similar(app, &office.clerk.token, the_case).await;
    assert_eq!(reasons_of(&found, phone), Some(vec!["same_phone".to_owned()]));
    assert_eq!(reasons_of(&found, email), Some(vec!["same_email".to_owned()]));
    assert_eq!(reasons_of(&found, home), Some(vec!["same_name_address".to_owned()]));
    assert_eq!(reasons_of(&found, reworded), Some(vec!["similar_text".to_owned()]));
    assert_eq!(reasons_of(&found, boilerplate_only), None, "the boilerplate alone is no likeness");
    assert_eq!(reasons_of(&found, the_case), None, "not itself");
    assert_eq!(found.len(), 4);
    let scores: Vec<f64> = found.iter().map(|s| s["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
    assert!(scores.iter().all(|s| *s > 0.0 && *s <= 1.0));
    let first = &found[0];
    for member in ["case_id", "tracking_no", "title", "state", "received_at", "score", "reasons"] {
        assert!(first.get(member).is_some(), "{member} in {first}");
    }
    // The boilerplate letter has no likeness to anything: nothing shares its matter.
    assert!(similar(app, &office.clerk.token, boilerplate_only).await.is_empty());
}

async fn only_what_the_user_may_see(app: &TestApp) {
    let office = app.office().await;
    let a = case_with(app, &office, letter("人民路路灯不亮", LAMP, json!({}))).await;
    let b = case_with(app, &office, letter("路灯坏了", LAMP_AGAIN, json!({}))).await;
    let c = case_with(app, &office, letter("路灯又坏了", LAMP_AGAIN, json!({}))).await;
    app.act(&office.clerk.token, a, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    app.act(&office.clerk.token, b, "assign", json!({"department_id": office.dept_b})).await.expect(200);
    app.act(&office.clerk.token, c, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    let ids = |found: Vec<Value>| found.iter().map(|s| s["case_id"].as_i64().unwrap()).collect::<Vec<_>>();
    let mut seen = ids(similar(app, &office.clerk.token, a).await);
    seen.sort();
    assert_eq!(seen, vec![b, c]);
    assert_eq!(
        ids(similar(app, &office.handler.token, a).await),
        vec![c],
        "another department's case is hidden"
    );
    for (token, id) in [(&office.other_handler.token, a), (&office.handler.token, b)] {
        let resp = app.get(&format!("/api/v1/cases/{id}/similar"), Some(token)).await;
        assert_eq!(resp.status, 404);
        assert_eq!(resp.code(), "not_found");
    }
    let resp = app.get("/api/v1/cases/999999/similar", Some(&office.clerk.token)).await;
    assert_eq!(resp.status, 404);
    let resp = app.get(&format!("/api/v1/cases/{a}/routing"), Some(&office.handler.token)).await;
    assert_eq!(resp.status, 403, "routing is the office's");
    let resp = app.get("/api/v1/cases/x/similar", Some(&office.clerk.token)).await;
    assert!(resp.status == 400 || resp.status == 404, "{}", resp.status);
}

/// A case with this text, closed by `department` (handled by `handler`).
async fn closed_by(
    app: &TestApp,
    office: &Office,
    department: i64,
    handler: &str,
    title: &str,
    content: &str,
) -> i64 {
    let id = case_with(app, office, letter(title, content, json!({}))).await;
    let clerk = office.clerk.token.as_str();
    app.act(clerk, id, "assign", json!({"department_id": department})).await.expect(200);
    app.act(handler, id, "accept", json!({})).await.expect(200);
    app.act(handler, id, "reply", json!({"reply": "已处理。"})).await.expect(200);
    app.act(clerk, id, "approve", json!({})).await.expect(200);
    id
}

async fn routing_follows_similar_closed_cases(app: &TestApp) {
    let office = app.office().await;
    let (a, b) = (office.dept_a, office.dept_b);
    let (handler_a, handler_b) = (office.handler.token.clone(), office.other_handler.token.clone());
    let school_1 = closed_by(app, &office, a, &handler_a, "幼儿园收费太高", SCHOOL).await;
    let school_2 =
        closed_by(app, &office, a, &handler_a, "幼儿园学费上涨", "城南幼儿园学费涨了一倍，家长负担太重。")
            .await;
    let lamp_1 = closed_by(app, &office, b, &handler_b, "路灯坏了", LAMP_AGAIN).await;
    // Open cases do not vote, whatever their department.
    let open = case_with(app, &office, letter("路灯不亮", LAMP, json!({}))).await;
    app.act(&office.clerk.token, open, "assign", json!({"department_id": a})).await.expect(200);

    let new_lamp = case_with(app, &office, letter("人民路路灯不亮", LAMP, json!({}))).await;
    // From the index's queue, then from the index: the same suggestion.
    for indexed in [false, true] {
        if indexed {
            assert!(app.index_queued().await >= 5);
        }
        let resp = app
            .get(&format!("/api/v1/cases/{new_lamp}/routing"), Some(&office.clerk.token))
            .await
            .expect(200);
        let items = resp.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["department_id"], b);
        assert_eq!(items[0]["because"], json!([lamp_1]));
        assert_eq!(items[0]["score"], 1.0);
    }

    let new_school = case_with(
        app,
        &office,
        letter("幼儿园乱收费", "城南幼儿园学费涨了一倍，收费依据也不公开。", json!({})),
    )
    .await;
    let resp =
        app.get(&format!("/api/v1/cases/{new_school}/routing"), Some(&office.admin.token)).await.expect(200);
    let items = resp.body["items"].as_array().unwrap();
    assert_eq!(items[0]["department_id"], a, "{items:?}");
    let mut because: Vec<i64> =
        items[0]["because"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    because.sort();
    assert_eq!(because, vec![school_1, school_2]);

    // Nothing similar closed: no suggestion rather than a guess.
    let other = case_with(app, &office, letter("户口迁移", "户口迁移要带什么材料？", json!({}))).await;
    let resp =
        app.get(&format!("/api/v1/cases/{other}/routing"), Some(&office.clerk.token)).await.expect(200);
    assert_eq!(resp.body["items"], json!([]));

    // The case page of the registered case: similar cases as links, and the
    // suggestion beside the assign form with nothing preselected.
    let clerk = sign_in(app, "clerk", PASSWORD).await;
    let (status, html) = page(app, &format!("/console/cases/{new_lamp}"), &clerk).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("data-similar-case=\"{lamp_1}\"")), "{html}");
    assert!(html.contains(&format!("href=\"/console/cases/{open}\"")), "{html}");
    assert!(html.contains(&format!("data-routing-department=\"{b}\"")), "{html}");
    assert!(!html.contains(" selected>"), "nothing preselected");
    // A handler's page of an assigned case shows neither.
    let handler = sign_in(app, "handler-a", PASSWORD).await;
    let (_, html) = page(app, &format!("/console/cases/{open}"), &handler).await;
    assert!(!html.contains("data-similar"), "{html}");
    assert!(!html.contains("data-routing"));
}

async fn the_intake_receipt_shows_similar_cases(app: &TestApp) {
    let office = app.office().await;
    let earlier =
        case_with(app, &office, letter("路灯坏了", LAMP_AGAIN, json!({"phone": "13900003333"}))).await;
    let clerk = sign_in(app, "clerk", PASSWORD).await;
    let (_, form) = page(app, "/console/cases/new", &clerk).await;
    let token = csrf_of(&form);
    let (status, html) = post_form(
        app,
        "/console/cases/new",
        &clerk,
        &[
            ("csrf_token", &token),
            ("idempotency_key", "similar-1"),
            ("channel", "mailbox"),
            ("title", "人民路路灯不亮"),
            ("content", LAMP),
            ("citizen_phone", "13900003333"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&format!("<a href=\"/console/cases/{earlier}\">")), "{html}");
    assert!(html.contains("同一电话"), "{html}");
    assert!(html.contains("内容相似"), "{html}");
}

async fn a_merged_case_stands_for_the_case_it_was_merged_into(app: &TestApp) {
    let office = app.office().await;
    let parent =
        case_with(app, &office, letter("咨询医保", "异地报销怎么办理？", json!({"phone": "13900003333"})))
            .await;
    let child = case_with(
        app,
        &office,
        letter("咨询社保", "社保卡怎么补办？", json!({"phone": "13900004444", "email": "li@example.cn"})),
    )
    .await;
    app.act(&office.clerk.token, child, "merge", json!({"into": parent})).await.expect(200);
    // The same email as the merged case only: the clerk is shown its parent.
    let again =
        case_with(app, &office, letter("再问医保", "还是没人回复。", json!({"email": "li@example.cn"})))
            .await;
    let found = similar(app, &office.clerk.token, again).await;
    assert_eq!(reasons_of(&found, parent), Some(vec!["same_email".to_owned()]), "{found:?}");
    assert_eq!(reasons_of(&found, child), None, "a merged case takes no merge: {found:?}");
    assert_eq!(found.iter().filter(|s| s["case_id"] == parent).count(), 1);
    // The parent itself is not its own candidate through its merged case.
    let own = similar(app, &office.clerk.token, parent).await;
    assert_eq!(reasons_of(&own, parent), None, "{own:?}");
    assert_eq!(reasons_of(&own, child), None, "{own:?}");
}

backend_tests!(
    a_merged_case_stands_for_the_case_it_was_merged_into,
    finds_the_same_writer_and_a_reworded_letter,
    only_what_the_user_may_see,
    routing_follows_similar_closed_cases,
    the_intake_receipt_shows_similar_cases,
);
