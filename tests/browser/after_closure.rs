//! After closure in a real browser: the clerk's 待回访 queue and the
//! callback form on the case page; a 差评 through 待整改, 申诉 and the
//! leader's 复核 to 核减; a rectification made by re-handling (issue 22).

use serde_json::json;

use fantoccini::Locator;

use crate::harness::{choose, Browser, DESKTOP, PHONE};
use crate::helpers::{Backend, TestApp, PASSWORD};

crate::browser_tests!(
    a_clerk_calls_back_from_the_callback_queue,
    a_poor_rating_is_appealed_and_excluded_on_review,
    a_rectification_is_made_by_re_handling,
);

fn shot(app: &TestApp, name: &str) -> String {
    let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    format!("{backend}-{name}")
}

/// Screenshots the page as it stands at 1024×768 and on a 375-wide phone.
async fn screenshots(app: &TestApp, browser: &Browser, name: &str) {
    browser.screenshot(&shot(app, name)).await;
    browser.viewport(PHONE).await;
    // On a phone an open action form lies below the case's details: show it.
    browser.js("document.querySelector('details[open]')?.scrollIntoView(); return 1;").await;
    browser.screenshot(&shot(app, &format!("{name}-375x667"))).await;
    browser.viewport(DESKTOP).await;
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
    screenshots(app, browser, "callback-queue").await;

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
    screenshots(app, browser, "callback-form").await;
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

/// Opens the action form `action` on the case page (its `<details>`).
async fn open_form(browser: &Browser, action: &str) {
    let script = format!(
        "document.querySelector('form[data-action=\"{action}\"]').closest('details').open = true; return 1;"
    );
    browser.js(&script).await;
}

/// The dashboard's tile value of `figure`.
async fn tile(browser: &Browser, figure: &str) -> serde_json::Value {
    browser
        .js(&format!(
            "return document.querySelector('.tile__value[data-figure=\"{figure}\"]').dataset.value;"
        ))
        .await
}

async fn a_poor_rating_is_appealed_and_excluded_on_review(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    let good = app.case_in(&office, "closed").await;
    app.act(&office.clerk.token, good, "rate", json!({"rating": "satisfied"})).await.expect(200);
    let case = app.new_case(&office.clerk.token, json!({"title": "新城小区路灯不亮"})).await;
    let id = case["id"].as_i64().unwrap();
    app.act(&office.clerk.token, id, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    app.act(&office.handler.token, id, "accept", json!({})).await.expect(200);
    app.act(&office.handler.token, id, "reply", json!({"reply": "已报修。"})).await.expect(200);
    app.act(&office.clerk.token, id, "approve", json!({})).await.expect(200);

    // The citizen rates on the mailbox page: 不满意, with the comment it needs.
    let tracking = case["tracking_no"].as_str().unwrap();
    browser.goto(&format!("/mailbox/lookup?tracking_no={tracking}")).await;
    browser.fill("#code", case["query_code"].as_str().unwrap()).await;
    browser.click("main form button[type=submit]").await;
    browser.client.find(Locator::Css("#rating-unsatisfied")).await.unwrap().click().await.unwrap();
    browser.fill("#comment", "报修一周了，路灯还是不亮").await;
    browser.click("form[action='/mailbox/rating'] button[type=submit]").await;
    assert!(browser.text("main").await.contains("谢谢您的评价"));
    assert_eq!(app.case(&office, id).await["rectification"]["state"], "open");

    // The leader's dashboard before: 1 of 2 satisfied.
    browser.sign_in("leader", PASSWORD).await;
    browser.goto("/console/dashboard").await;
    assert_eq!(tile(browser, "satisfaction_rate").await, json!("50.0"));
    assert_eq!(tile(browser, "ratings_excluded").await, json!("0"));
    browser.client.delete_all_cookies().await.unwrap();

    // The handler finds it in 待整改 and appeals.
    browser.sign_in("handler-a", PASSWORD).await;
    browser.goto("/console/cases?queue=rectification").await;
    let listed = |case: i64| format!("return !!document.querySelector('tr[data-case-id=\"{case}\"]');");
    assert_eq!(browser.js(&listed(id)).await, json!(true), "the 差评 waits for its rectification");
    assert_eq!(browser.js(&listed(good)).await, json!(false));
    assert!(browser.text("thead").await.contains("整改期限"));
    browser.assert_accessible("the rectification queue").await;
    screenshots(app, browser, "rectification-queue").await;
    browser.click(&format!("tr[data-case-id=\"{id}\"] a")).await;
    assert!(browser.text("[data-rectification]").await.contains("待整改（整改期限"));
    open_form(browser, "appeal").await;
    browser.fill("#appeal-reason", "路灯属供电公司产权，已转供电公司并答复来信人").await;
    browser.assert_accessible("the case page with the appeal form").await;
    browser.click("form[data-action=appeal] button[type=submit]").await;
    assert!(browser.text("[data-rectification]").await.contains("已申诉，待复核"));
    assert_eq!(
        browser.js("return !!document.querySelector('form[data-action=appeal]');").await,
        json!(false),
        "one appeal"
    );
    browser.client.delete_all_cookies().await.unwrap();

    // The leader upholds it from 待复核.
    browser.sign_in("leader", PASSWORD).await;
    browser.goto("/console/cases?queue=appeal").await;
    assert_eq!(browser.js(&listed(id)).await, json!(true));
    browser.assert_accessible("the appeal queue").await;
    screenshots(app, browser, "appeal-queue").await;
    browser.click(&format!("tr[data-case-id=\"{id}\"] a")).await;
    open_form(browser, "decide-appeal").await;
    browser.click("form[data-action=decide-appeal] input[name=uphold][value=true]").await;
    browser.fill("#decide-appeal-note", "经核实，路灯不属本单位管理，同意核减").await;
    browser.assert_accessible("the case page with the decision form").await;
    screenshots(app, browser, "appeal-decision").await;
    browser.click("form[data-action=decide-appeal] button[type=submit]").await;
    let excluded = browser.text("[data-rating-excluded]").await;
    assert!(excluded.contains("核减") && excluded.contains("同意核减"), "{excluded}");
    assert!(excluded.contains("供电公司"), "with the appeal's reason: {excluded}");
    browser.js("document.querySelector('[data-rating-excluded]').scrollIntoView(); return 1;").await;
    screenshots(app, browser, "rating-excluded").await;
    let decided = app.case(&office, id).await;
    assert_eq!(
        (&decided["rating_excluded"], &decided["rectification"]["state"]),
        (&json!(true), &json!("upheld"))
    );

    // The dashboard: the excluded 差评 no longer counts.
    browser.goto("/console/dashboard").await;
    assert_eq!(tile(browser, "satisfaction_rate").await, json!("100.0"));
    assert_eq!(tile(browser, "ratings_excluded").await, json!("1"));
    browser.goto("/console/cases?queue=appeal").await;
    assert_eq!(browser.js(&listed(id)).await, json!(false), "decided: out of the queue");
}

async fn a_rectification_is_made_by_re_handling(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    let id = app.case_in(&office, "closed").await;
    browser.sign_in("clerk", PASSWORD).await;
    browser.goto(&format!("/console/cases/{id}")).await;
    assert_eq!(
        browser.js("return !!document.querySelector('form[data-action=rate]');").await,
        json!(false),
        "the callback form records the rating, not a second form beside it"
    );
    open_form(browser, "callback").await;
    browser.click("form[data-action=callback] input[name=reached][value=true]").await;
    choose(browser, "#callback-method", "phone").await;
    choose(browser, "#callback-rating", "basically_satisfied").await;
    browser.click("form[data-action=callback] input[name=resolved][value=false]").await;
    browser.fill("#callback-comment", "态度很好，但车位问题没有解决").await;
    browser.click("form[data-action=callback] button[type=submit]").await;
    assert!(browser.text("[data-rectification]").await.contains("待整改"));
    assert_eq!(app.case(&office, id).await["rectification"]["state"], "open");

    browser.goto("/console/cases?queue=rectification").await;
    assert!(browser.text("tbody").await.contains("待整改"));
    browser.click(&format!("tr[data-case-id=\"{id}\"] a")).await;
    open_form(browser, "reopen").await;
    browser.fill("#reopen-reason", "回访未解决，重办整改").await;
    browser.click("form[data-action=reopen] button[type=submit]").await;
    app.act(&office.handler.token, id, "reply", json!({"reply": "已协调新增车位二十个。"})).await.expect(200);
    browser.goto(&format!("/console/cases/{id}")).await;
    open_form(browser, "approve").await;
    browser.click("form[data-action=approve] button[type=submit]").await;
    assert!(browser.text("[data-rectification]").await.contains("已整改"));
    let done = app.case(&office, id).await;
    assert_eq!(
        (&done["rectification"]["state"], &done["callback"]["state"]),
        (&json!("done"), &json!("pending"))
    );
    browser.goto("/console/cases?queue=rectification").await;
    assert_eq!(
        browser.js(&format!("return !!document.querySelector('tr[data-case-id=\"{id}\"]');")).await,
        json!(false),
        "rectified: out of the queue"
    );
    browser.goto("/console/cases?queue=callback").await;
    assert!(browser.text("thead").await.contains("回访期限"));
    browser.assert_accessible("the callback queue after the second closure").await;
    screenshots(app, browser, "callback-queue-after-rectification").await;
}
