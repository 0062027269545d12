//! 并单 in a real browser (issue 24): the clerk registers a letter that
//! repeats an earlier one, sees the earlier one among the similar cases on
//! the receipt, merges the new case into it from its page, then undoes it.

use serde_json::json;

use crate::harness::{choose, Browser, DESKTOP, PHONE};
use crate::helpers::{Backend, TestApp, PASSWORD};

crate::browser_tests!(a_clerk_merges_a_repeated_letter_and_undoes_it);

fn shot(app: &TestApp, name: &str) -> String {
    let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    format!("{backend}-{name}")
}

/// Opens an action's form as the clerk does: a click on its summary.
async fn open_form(browser: &Browser, action: &str) {
    let script = format!(
        "document.querySelector('form[data-action={action}]').closest('details').querySelector('summary').click(); return 1;"
    );
    browser.js(&script).await;
}

async fn a_clerk_merges_a_repeated_letter_and_undoes_it(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    let earlier = app
        .new_case(
            &office.clerk.token,
            json!({
                "title": "村口路灯不亮",
                "content": "村口的三盏路灯坏了一个月，晚上出行很不方便。",
                "citizen": {"name": "王小明", "phone": "13800001234"},
            }),
        )
        .await["id"]
        .as_i64()
        .unwrap();

    browser.sign_in("clerk", PASSWORD).await;
    browser.goto("/console/cases/new").await;
    choose(browser, "#channel", "mailbox").await;
    browser.fill("#title", "村口的路灯还是不亮").await;
    browser.fill("#content", "上个月反映过村口三盏路灯坏了，到现在还没修，晚上出行不方便。").await;
    browser.fill("#citizen_name", "王小明").await;
    browser.fill("#citizen_phone", "13800001234").await;
    browser.click("form.intake button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "已登记");
    let candidate = format!("[data-similar-case=\"{earlier}\"]");
    let reasons = browser.text(&candidate).await;
    assert!(reasons.contains("同一电话"), "the earlier letter is a candidate, with its reason: {reasons}");
    browser.assert_accessible("the receipt with a similar case").await;
    browser.screenshot(&shot(app, "receipt-similar")).await;
    browser.viewport(PHONE).await;
    browser.screenshot(&shot(app, "receipt-similar-375x667")).await;
    browser.viewport(DESKTOP).await;
    let id = browser
        .js("return Number(document.querySelector('[data-case-id]').dataset.caseId);")
        .await
        .as_i64()
        .unwrap();

    browser.goto(&format!("/console/cases/{id}")).await;
    assert!(browser.text(&candidate).await.contains("村口路灯不亮"), "the case page shows it too");
    open_form(browser, "merge").await;
    browser.fill("#merge-into", &earlier.to_string()).await;
    browser.click("form[data-action=merge] button[type=submit]").await;
    let merged = app.case(&office, id).await;
    assert_eq!((merged["state"].as_str(), merged["merged_into"].as_i64()), (Some("merged"), Some(earlier)));
    let parent = browser.text(&format!("[data-merged-into=\"{earlier}\"]")).await;
    assert!(parent.contains(&earlier.to_string()), "the page names the case it is merged into: {parent}");
    browser.assert_accessible("a merged case").await;
    browser.screenshot(&shot(app, "case-merged")).await;
    browser.viewport(PHONE).await;
    browser.screenshot(&shot(app, "case-merged-375x667")).await;
    browser.viewport(DESKTOP).await;

    open_form(browser, "unmerge").await;
    browser.fill("#unmerge-reason", "并非同一诉求，分开办理").await;
    browser.click("form[data-action=unmerge] button[type=submit]").await;
    let restored = app.case(&office, id).await;
    assert_eq!((restored["state"].as_str(), restored["merged_into"].as_i64()), (Some("registered"), None));
    let events = app.events(&office, id).await;
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.ends_with(&["merge", "unmerge"]), "{actions:?}");
    assert!(browser.js("return document.querySelector('[data-merged-into]') === null;").await == json!(true));
}
