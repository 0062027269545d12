//! Publication of letters (信件选登): a clerk's action on closed letters whose
//! citizen agreed, recorded in the audit trail; and the citizens' page
//! `/mailbox/letters`, which lists those letters only, with the name masked
//! and no contact details.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp};

/// A case with `title`, consent as given, driven to `state` (department A answers).
async fn letter(app: &TestApp, office: &Office, title: &str, is_public: bool, state: &str) -> i64 {
    let case = app
        .new_case(
            &office.clerk.token,
            json!({"title": title, "content": format!("{title}的详细情况。"), "is_public": is_public}),
        )
        .await;
    let id = case["id"].as_i64().unwrap();
    let steps: &[(&str, &str, Value)] = &[
        ("clerk", "assign", json!({"department_id": office.dept_a})),
        ("handler", "accept", json!({})),
        ("handler", "reply", json!({"reply": format!("关于{title}的答复。")})),
        ("clerk", "approve", json!({})),
    ];
    let count = match state {
        "reviewing" => 3,
        "closed" => 4,
        other => panic!("no recipe for {other}"),
    };
    for (who, action, body) in &steps[..count] {
        app.act(office.token(who), id, action, body.clone()).await.expect(200);
    }
    id
}

/// The published letters page as a browser gets it.
async fn letters_page(app: &TestApp, query: &str) -> (u16, String) {
    let resp = app.client.get(format!("{}/mailbox/letters{query}", app.base)).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

async fn publishing_is_a_clerks_audited_action_on_consented_closed_letters(app: &TestApp) {
    let office = app.office().await;
    let id = letter(app, &office, "路灯不亮", true, "closed").await;
    let path = format!("/api/v1/cases/{id}/publish");
    for role in ["handler", "leader"] {
        let refused = app.post(&path, Some(office.token(role)), json!({})).await;
        assert_eq!(refused.status, 403, "{role}: {}", refused.text);
    }
    assert_eq!(app.case(&office, id).await["published_at"], Value::Null);

    let published =
        app.post(&path, Some(&office.clerk.token), json!({"note": "内容无个人信息"})).await.expect(200);
    assert!(published.body["published_at"].is_string(), "{}", published.text);
    assert_eq!(published.body["published_by"], office.clerk.id);
    let last = app.events(&office, id).await.pop().unwrap();
    assert_eq!(
        (last["action"].as_str(), last["actor_id"].as_i64(), last["note"].as_str()),
        (Some("publish"), Some(office.clerk.id), Some("内容无个人信息"))
    );
    let again = app.post(&path, Some(&office.clerk.token), json!({})).await;
    assert_eq!((again.status, again.code()), (409, "conflict"));

    let unpublished = app
        .post(&format!("/api/v1/cases/{id}/unpublish"), Some(&office.admin.token), json!({}))
        .await
        .expect(200);
    assert_eq!(unpublished.body["published_at"], Value::Null);
    assert_eq!(unpublished.body["published_by"], Value::Null);
    let not_published =
        app.post(&format!("/api/v1/cases/{id}/unpublish"), Some(&office.clerk.token), json!({})).await;
    assert_eq!((not_published.status, not_published.code()), (409, "conflict"));

    let private = letter(app, &office, "家庭纠纷", false, "closed").await;
    let refused =
        app.post(&format!("/api/v1/cases/{private}/publish"), Some(&office.clerk.token), json!({})).await;
    assert_eq!((refused.status, refused.code()), (409, "conflict"), "the citizen did not agree");
    let open = letter(app, &office, "道路维修", true, "reviewing").await;
    let early =
        app.post(&format!("/api/v1/cases/{open}/publish"), Some(&office.clerk.token), json!({})).await;
    assert_eq!((early.status, early.code()), (409, "invalid_transition"));
    let body = app.post(&path, Some(&office.clerk.token), json!({"reply": "x"})).await;
    assert_eq!(body.status, 422, "a member publish does not use");
}

async fn only_closed_consented_approved_letters_are_listed_masked(app: &TestApp) {
    let office = app.office().await;
    let listed = letter(app, &office, "公交站点太远", true, "closed").await;
    let unapproved = letter(app, &office, "菜市场噪音", true, "closed").await;
    let private = letter(app, &office, "邻里纠纷", false, "closed").await;
    let open = letter(app, &office, "校车安全", true, "reviewing").await;
    let reopened = letter(app, &office, "供暖不足", true, "closed").await;
    let _ = (unapproved, private, open);
    for id in [listed, reopened] {
        app.post(&format!("/api/v1/cases/{id}/publish"), Some(&office.clerk.token), json!({}))
            .await
            .expect(200);
    }
    // Reopening withdraws the approval: the next reply needs its own.
    let back =
        app.act(&office.clerk.token, reopened, "reopen", json!({"reason": "回访不满意"})).await.expect(200);
    assert_eq!(back.body["published_at"], Value::Null);
    for id in [reopened] {
        app.act(&office.handler.token, id, "reply", json!({"reply": "再次答复。"})).await.expect(200);
        app.act(&office.clerk.token, id, "approve", json!({})).await.expect(200);
    }

    let (status, html) = letters_page(app, "").await;
    assert_eq!(status, 200);
    assert!(html.contains("公交站点太远") && html.contains("关于公交站点太远的答复。"), "{html}");
    assert!(html.contains("EDU局"), "the department that answered");
    assert!(html.contains("王**"), "the name masked");
    for hidden in ["菜市场噪音", "邻里纠纷", "校车安全", "供暖不足"] {
        assert!(!html.contains(hidden), "{hidden} must not be listed");
    }
    for personal in ["王芳", "13812345678", "138****5678", "wangfang", "w***@example.cn"] {
        assert!(!html.contains(personal), "the page shows {personal}");
    }
    assert_eq!(html.matches("data-letter=").count(), 1);

    let (_, found) = letters_page(app, "?q=%E5%85%AC%E4%BA%A4").await;
    assert!(found.contains("公交站点太远"));
    let (_, by_reply) = letters_page(app, "?q=%E7%AD%94%E5%A4%8D").await;
    assert!(by_reply.contains("公交站点太远"), "the reply is searched too");
    let (_, none) = letters_page(app, "?q=%E9%82%BB%E9%87%8C").await;
    assert!(
        none.contains("data-empty") && !none.contains("邻里纠纷的详细情况"),
        "a search finds no unpublished letter"
    );
    let (status, _) = letters_page(app, "?q=%25&page=abc").await;
    assert_eq!(status, 200, "odd input is not an error");
    let (status, too_long) = letters_page(app, &format!("?q={}", "x".repeat(51))).await;
    assert_eq!(status, 422);
    assert!(too_long.contains("field-error"));
}

async fn published_letters_are_paged_newest_first(app: &TestApp) {
    let office = app.office().await;
    let mut ids = Vec::new();
    for i in 0..11 {
        let id = letter(app, &office, &format!("第{i:02}号来信"), true, "closed").await;
        app.post(&format!("/api/v1/cases/{id}/publish"), Some(&office.clerk.token), json!({}))
            .await
            .expect(200);
        ids.push(id);
    }
    let (_, first) = letters_page(app, "").await;
    assert_eq!(first.matches("data-letter=").count(), 10);
    assert!(first.find("第10号来信").unwrap() < first.find("第09号来信").unwrap(), "newest first");
    assert!(!first.contains("第00号来信") && first.contains("rel=\"next\""));
    let (_, second) = letters_page(app, "?page=2").await;
    assert_eq!(second.matches("data-letter=").count(), 1);
    assert!(
        second.contains("第00号来信") && second.contains("rel=\"prev\"") && !second.contains("rel=\"next\"")
    );
}

/// What the citizen typed into the letter (and the department repeated in
/// the reply) is masked where the letter is published; the case keeps it,
/// and a search for a hidden number finds nothing.
async fn personal_data_in_a_published_letter_is_masked(app: &TestApp) {
    let office = app.office().await;
    let content = "我是王芳，住3号楼。电话13812345678，座机0571-88886666，身份证号11010119900307123X，\
                   邮箱wangfang@example.cn。受理编号MB2024000123，2024-03-05来信。";
    let case = app
        .new_case(
            &office.clerk.token,
            json!({"title": "王芳反映13812345678打不通", "content": content, "is_public": true}),
        )
        .await;
    let id = case["id"].as_i64().unwrap();
    for (who, action, body) in [
        ("clerk", "assign", json!({"department_id": office.dept_a})),
        ("handler", "accept", json!({})),
        ("handler", "reply", json!({"reply": "已电话联系王芳（13812345678），问题已解决。"})),
        ("clerk", "approve", json!({})),
        ("clerk", "publish", json!({})),
    ] {
        app.act(office.token(who), id, action, body).await.expect(200);
    }
    let (status, html) = letters_page(app, "").await;
    assert_eq!(status, 200);
    for personal in ["13812345678", "88886666", "11010119900307123X", "wangfang@", "王芳"] {
        assert!(!html.contains(personal), "the page shows {personal}");
    }
    for mask in [
        "王**反映138****5678打不通",
        "电话138****5678",
        "座机057*****6666",
        "身份证号110***********123X",
        "w***@example.cn",
        "已电话联系王**（138****5678）",
        "MB2024000123",
        "2024-03-05",
    ] {
        assert!(html.contains(mask), "{mask} missing from the page");
    }
    let stored = app.case(&office, id).await;
    assert_eq!(stored["content"], content, "the case keeps its text as written");
    let (_, searched) = letters_page(app, "?q=13812345678").await;
    assert!(searched.contains("data-empty"), "a hidden number finds nothing");
    let (_, by_name) = letters_page(app, "?q=%E7%8E%8B%E8%8A%B3").await;
    assert!(by_name.contains("data-empty"), "nor does the hidden name");

    // A letter published before the masked copies existed gets its copy at
    // the next start, and is listed again.
    app.with_conn(|conn| {
        use casedesk::db::schema::published_letters::dsl::*;
        use diesel::prelude::*;
        diesel::delete(published_letters).execute(conn).unwrap();
    })
    .await;
    assert!(letters_page(app, "").await.1.contains("data-empty"), "no copy, not listed");
    let db = app.state.db.clone();
    actix_web::web::block(move || casedesk::app::prepare_database(&db)).await.unwrap().unwrap();
    let (_, again) = letters_page(app, "").await;
    assert!(again.contains("电话138****5678") && !again.contains("13812345678"), "{again}");
}

backend_tests!(
    personal_data_in_a_published_letter_is_masked,
    publishing_is_a_clerks_audited_action_on_consented_closed_letters,
    only_closed_consented_approved_letters_are_listed_masked,
    published_letters_are_paged_newest_first,
);
