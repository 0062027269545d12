//! The public mailbox's forms over plain HTTP, on both backends: what no page
//! sends (no token, a body that is not a form, a rating that is none) is
//! refused and registers nothing, and the per-address limits answer with a
//! page and `Retry-After`. The forms as a citizen uses them are in
//! `tests/browser/mailbox.rs`.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp};
use crate::pages::{data_attribute, FormClient};

backend_tests!(
    what_no_page_sends_is_refused_and_registers_nothing,
    limits_answer_with_a_page_and_retry_after
);

/// Cases registered so far, as the clerk lists them.
async fn registered(app: &TestApp, office: &Office) -> usize {
    let list = app.get("/api/v1/cases?limit=500", Some(&office.clerk.token)).await.expect(200);
    list.body["items"].as_array().unwrap().len()
}

async fn what_no_page_sends_is_refused_and_registers_nothing(app: &TestApp) {
    let office = app.office().await;
    // One letter through the form, and its reply: what a page sends.
    let forms = FormClient::new(app, "127.0.0.1").await;
    let (status, _, receipt) =
        forms.post("/mailbox", &[("title", "路面塌陷"), ("content", "路面塌陷了。")]).await;
    assert_eq!(status, 200, "{receipt}");
    let tracking = data_attribute(&receipt, "tracking-no").expect("the receipt's tracking number");
    let code = data_attribute(&receipt, "query-code").expect("the receipt's query code");
    let list = app.get(&format!("/api/v1/cases?q={tracking}"), Some(&office.clerk.token)).await.expect(200);
    let id = list.body["items"][0]["id"].as_i64().expect("the letter is registered");
    for (token, action, body) in [
        (&office.clerk.token, "assign", json!({"department_id": office.dept_a})),
        (&office.handler.token, "accept", json!({})),
        (&office.handler.token, "reply", json!({"reply": "已修复。"})),
        (&office.clerk.token, "approve", json!({})),
    ] {
        app.act(token, id, action, body).await.expect(200);
    }

    // What no page sends: no token, undecodable bytes, a rating of nothing.
    let no_token = app
        .client
        .post(format!("{}/mailbox", app.base))
        .form(&[("title", "标题"), ("content", "内容")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    let bytes = forms
        .client
        .post(format!("{}/mailbox", app.base))
        .header("Cookie", &forms.cookie)
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"title": "x", "content": "x", "csrf_token": "{}"}}"#, forms.token))
        .send()
        .await
        .unwrap();
    assert_eq!(bytes.status(), 400, "an unreadable form is a 400 page, never a 500");
    assert!(bytes.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
    let (status, _, _) = forms
        .post("/mailbox/rating", &[("tracking_no", &tracking), ("code", &code), ("rating", "great")])
        .await;
    assert_eq!(status, 422);
    assert_eq!(registered(app, &office).await, 1, "only the one good letter");
    assert_eq!(app.case(&office, id).await["rating"], Value::Null);
}

async fn limits_answer_with_a_page_and_retry_after(app: &TestApp) {
    let office = app.office().await;
    let forms = FormClient::new(app, "127.0.0.2").await;
    let letter = |i: usize| {
        vec![("title".to_owned(), format!("来信{i}")), ("content".to_owned(), "内容。".to_owned())]
    };
    for i in 0..5 {
        let fields = letter(i);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, _, html) = forms.post("/mailbox", &fields).await;
        assert_eq!(status, 200, "{html}");
    }
    let (status, retry, html) =
        forms.post("/mailbox", &[("title", "第六封"), ("content", "第六封的内容。")]).await;
    assert_eq!(status, 429);
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=3600).contains(&retry));
    assert!(html.contains("太频繁") && html.contains("第六封的内容。"), "the letter typed is kept");
    assert_eq!(registered(app, &office).await, 5, "the sixth registered nothing");
    let other = FormClient::new(app, "127.0.0.3").await;
    assert_eq!(other.post("/mailbox", &[("title", "别处"), ("content", "内容。")]).await.0, 200);

    // Receipts: three a day to one address; the fourth letter says it was not mailed.
    let mut said = Vec::new();
    for i in 0..4 {
        let client = FormClient::new(app, &format!("127.0.2.{}", i + 1)).await;
        let (status, _, html) = client
            .post("/mailbox", &[("title", "回执"), ("content", "内容。"), ("email", "same@example.cn")])
            .await;
        assert_eq!(status, 200);
        said.push(html.contains("不再发送回执邮件"));
    }
    assert_eq!(said, [false, false, false, true]);

    // Look-ups: the 31st in a minute from one address.
    let lookups = FormClient::new(app, "127.0.0.4").await;
    for _ in 0..30 {
        let (status, _, _) =
            lookups.post("/mailbox/lookup", &[("tracking_no", "MB2026000001"), ("code", "WRONGCODE2")]).await;
        assert_eq!(status, 404);
    }
    let (status, retry, html) =
        lookups.post("/mailbox/lookup", &[("tracking_no", "MB2026000001"), ("code", "WRONGCODE2")]).await;
    assert_eq!(status, 429);
    assert!(retry.is_some() && html.contains("太频繁"));
}
