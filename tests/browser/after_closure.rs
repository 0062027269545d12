//! After closure in a real browser: the clerk's 待回访 queue and the
//! callback form on the case page (issue 22).

use serde_json::json;

use crate::harness::{choose, Browser};
use crate::helpers::{Backend, TestApp, PASSWORD};

crate::browser_tests!(a_clerk_calls_back_from_the_callback_queue);

fn shot(app: &TestApp, name: &str) -> String {
    let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    format!("{backend}-{name}")
}

async fn a_clerk_calls_back_from_the_callback_queue(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    let id = app.case_in(&office, "closed").await;
    let spared = app.case_in(&office, "processing").await;
    assert_eq!(app.case(&office, id).await["callback"]["state"], "pending");

    browser.sign_in("clerk", PASSWORD).await;
    browser.goto("/console/cases?queue=callback").await;
    let listed = |case: i64| format!("return !!document.querySelector('tr[data-case-id=\"{case}\"]');");
    assert_eq!(browser.js(&listed(id)).await, json!(true), "the closed case waits for its callback");
    assert_eq!(browser.js(&listed(spared)).await, json!(false), "an open case has none");
    assert!(browser.text("h1").await.contains("待回访") || browser.text("main").await.contains("待回访"));
    browser.assert_accessible("the callback queue").await;
    browser.screenshot(&shot(app, "callback-queue")).await;

    browser.click(&format!("tr[data-case-id=\"{id}\"] a")).await;
    assert!(browser.text("[data-callback]").await.contains("待回访（回访期限"), "the page says it is due");
    browser
        .js("document.querySelector('form[data-action=callback]').closest('details').open = true; return 1;")
        .await;
    browser.click("form[data-action=callback] input[name=reached][value=true]").await;
    choose(browser, "#callback-method", "phone").await;
    choose(browser, "#callback-rating", "unsatisfied").await;
    browser.click("form[data-action=callback] input[name=resolved][value=false]").await;
    browser.fill("#callback-comment", "来信人说路灯仍未修好").await;
    browser.assert_accessible("the case page with the callback form").await;
    browser.screenshot(&shot(app, "callback-form")).await;
    browser.click("form[data-action=callback] button[type=submit]").await;
    let called = app.case(&office, id).await;
    assert_eq!(called["callback"]["state"], "done");
    assert_eq!(
        (&called["rating"], &called["rating_source"], &called["resolved"]),
        (&json!("unsatisfied"), &json!("callback"), &json!(false))
    );
    assert!(browser.text(".timeline").await.contains("录入回访"));
    assert_eq!(browser.text("[data-callback]").await, "回访：已回访");
    assert_eq!(
        browser.js("return !!document.querySelector('form[data-action=callback]');").await,
        json!(false),
        "no callback form once it is done"
    );
    browser.goto("/console/cases?queue=callback").await;
    assert_eq!(browser.js(&listed(id)).await, json!(false), "done: out of the queue");
}
