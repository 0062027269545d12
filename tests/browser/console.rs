//! The staff console in a real browser: a case from intake to closure
//! through the pages of three roles, the dashboard held against
//! `/api/v1/stats/*` on the demo county, a stale version refused. (The other
//! refusals — CSRF, roles, another department, bad input — are in
//! `tests/api/console_pages.rs`.)

use std::collections::BTreeMap;

use serde_json::Value;

use crate::harness::{choose, Browser, DESKTOP, PHONE, ZOOMED};
use crate::helpers::{Backend, TestApp, PASSWORD};
use crate::pages::raw_client;

crate::browser_tests!(
    a_case_goes_from_intake_to_the_leaders_dashboard_through_the_pages,
    every_dashboard_figure_equals_the_statistics_api_on_the_demo_county,
);

fn shot(app: &TestApp, name: &str) -> String {
    let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    format!("{backend}-{name}")
}

/// Every figure element of the page: (figure, scope attribute, scope value, data-value).
async fn figures_on_page(browser: &Browser) -> Vec<(String, String, String, Value)> {
    let found = browser
        .js("return [...document.querySelectorAll('[data-figure]')].map(e => [
                e.dataset.figure,
                e.dataset.scope !== undefined ? 'scope' : e.dataset.channel !== undefined ? 'channel' : 'department',
                e.dataset.scope ?? e.dataset.channel ?? e.dataset.departmentId,
                e.dataset.value]);")
        .await;
    found
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| {
            let raw = e[3].as_str().unwrap_or_default();
            let value: Value =
                serde_json::from_str(raw).unwrap_or_else(|_| panic!("data-value {raw} is JSON"));
            (
                e[0].as_str().unwrap().to_owned(),
                e[1].as_str().unwrap().to_owned(),
                e[2].as_str().unwrap().to_owned(),
                value,
            )
        })
        .collect()
}

async fn dashboard_figure(browser: &Browser, figure: &str) -> i64 {
    let script =
        format!("return document.querySelector('[data-figure={figure}][data-scope=all]').dataset.value;");
    browser.js(&script).await.as_str().expect("the tile").parse().expect("a count")
}

async fn a_case_goes_from_intake_to_the_leaders_dashboard_through_the_pages(
    app: &TestApp,
    browser: &Browser,
) {
    let office = app.office().await;
    browser.sign_in("leader", PASSWORD).await;
    assert_eq!(browser.path().await, "/console/dashboard");
    let closed_before = dashboard_figure(browser, "closed").await;
    browser.client.delete_all_cookies().await.unwrap();

    // The clerk registers a letter through the intake form.
    browser.sign_in("clerk", PASSWORD).await;
    browser.goto("/console/cases/new").await;
    browser.assert_accessible("the intake form").await;
    choose(browser, "#channel", "mailbox").await;
    browser.fill("#title", "村口路灯不亮").await;
    browser.fill("#content", "村口的三盏路灯坏了一个月，晚上出行不便。").await;
    browser.fill("#citizen_name", "王小明").await;
    browser.fill("#citizen_phone", "13800001234").await;
    browser.click("form.intake button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "已登记");
    browser.screenshot(&shot(app, "intake-receipt")).await;
    let tracking_no =
        browser.js("return document.querySelector('[data-tracking-no]').dataset.trackingNo;").await;
    let query_code =
        browser.js("return document.querySelector('[data-query-code]').dataset.queryCode;").await;
    assert!(
        tracking_no.as_str().is_some_and(|t| !t.is_empty())
            && query_code.as_str().is_some_and(|c| c.len() >= 6)
    );
    let id = browser
        .js("return Number(document.querySelector('[data-case-id]').dataset.caseId);")
        .await
        .as_i64()
        .unwrap();
    let stored = app.case(&office, id).await;
    assert_eq!(stored["tracking_no"], tracking_no);
    assert_eq!(stored["citizen"]["phone"], "13800001234");

    // A double submission registers one case: the form's idempotency key.
    browser.goto("/console/cases/new").await;
    choose(browser, "#channel", "mailbox").await;
    browser.fill("#title", "只登记一次的来信").await;
    browser.fill("#content", "重复点击提交按钮。").await;
    browser.js("const f = document.querySelector('form.intake'); f.requestSubmit(); f.requestSubmit(); return 1;").await;
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("[data-tracking-no]"))
        .await
        .expect("the receipt");
    let listed = app.get("/api/v1/cases?q=只登记一次", Some(office.token("clerk"))).await.expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "one case for two clicks");

    // The clerk assigns it on the case page: only the clerk's actions are offered.
    browser.goto(&format!("/console/cases/{id}")).await;
    let offered = browser
        .js("return [...document.querySelectorAll('form[data-action]')].map(f => f.dataset.action);")
        .await;
    let offered: Vec<&str> = offered.as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(offered.contains(&"assign") && offered.contains(&"invalidate"), "{offered:?}");
    assert!(
        !offered.contains(&"accept") && !offered.contains(&"reply") && !offered.contains(&"approve"),
        "{offered:?}"
    );
    browser.assert_accessible("the case page").await;
    browser
        .js("document.querySelector('form[data-action=assign]').closest('details').open = true; return 1;")
        .await;
    choose(browser, "#assign-department_id", &office.dept_a.to_string()).await;
    browser.fill("#assign-note", "请核实后答复").await;
    browser.click("form[data-action=assign] button[type=submit]").await;
    assert!(browser.text(".notice--ok").await.contains("交办"));
    assert_eq!(app.case(&office, id).await["state"], "assigned");
    browser.client.delete_all_cookies().await.unwrap();

    // The handler finds it in 待签收, signs for it — once with a stale page —
    // and replies.
    browser.sign_in("handler-a", PASSWORD).await;
    browser.goto("/console/cases?queue=assigned").await;
    assert!(browser
        .js(&format!("return !!document.querySelector('tr[data-case-id=\"{id}\"]');"))
        .await
        .as_bool()
        .unwrap());
    browser.goto(&format!("/console/cases/{id}")).await;
    // The department may hand the case back: the return form, with its kinds of reason.
    browser
        .js("document.querySelector('form[data-action=return]').closest('details').open = true; return 1;")
        .await;
    browser.assert_accessible("the case page with the return form").await;
    browser.screenshot(&shot(app, "return-form-1024x768")).await;
    browser.viewport(PHONE).await;
    browser.js("document.querySelector('form[data-action=return]').scrollIntoView(); return 1;").await;
    browser.screenshot(&shot(app, "return-form-375x667")).await;
    browser.viewport(DESKTOP).await;
    let version = app.case(&office, id).await["version"].as_i64().unwrap();
    app.act(office.token("clerk"), id, "supervise", serde_json::json!({"note": "请尽快签收"}))
        .await
        .expect(200);
    browser
        .js("document.querySelector('form[data-action=accept]').closest('details').open = true; return 1;")
        .await;
    browser.click("form[data-action=accept] button[type=submit]").await;
    assert!(browser.text(".notice--error").await.contains("已被他人修改"), "a stale form changes nothing");
    let now = app.case(&office, id).await;
    assert_eq!((now["state"].as_str(), now["version"].as_i64()), (Some("assigned"), Some(version + 1)));
    browser
        .js("document.querySelector('form[data-action=accept]').closest('details').open = true; return 1;")
        .await;
    browser.click("form[data-action=accept] button[type=submit]").await;
    assert_eq!(app.case(&office, id).await["state"], "processing");
    browser
        .js("document.querySelector('form[data-action=reply]').closest('details').open = true; return 1;")
        .await;
    browser.fill("#reply-reply", "已于本周更换路灯，恢复照明。").await;
    browser.click("form[data-action=reply] button[type=submit]").await;
    assert_eq!(app.case(&office, id).await["state"], "reviewing");
    browser.client.delete_all_cookies().await.unwrap();

    // The clerk approves it from 待审核.
    browser.sign_in("clerk", PASSWORD).await;
    browser.goto("/console/cases?queue=reviewing").await;
    browser.click(&format!("tr[data-case-id=\"{id}\"] a")).await;
    browser
        .js("document.querySelector('form[data-action=approve]').closest('details').open = true; return 1;")
        .await;
    browser.click("form[data-action=approve] button[type=submit]").await;
    assert_eq!(app.case(&office, id).await["state"], "closed");
    assert!(browser.text(".timeline").await.contains("审核通过并办结"));
    browser.screenshot(&shot(app, "case-page")).await;
    browser.client.delete_all_cookies().await.unwrap();

    // The leader's dashboard counts it, and its drill-down lists it.
    browser.sign_in("leader", PASSWORD).await;
    assert_eq!(dashboard_figure(browser, "closed").await, closed_before + 1);
    browser.screenshot(&shot(app, "dashboard")).await;
    browser.click("[data-figure=closed][data-scope=all] a").await;
    assert_eq!(browser.path().await, "/console/cases");
    let total = browser.js("return Number(document.querySelector('[data-total]').dataset.total);").await;
    assert_eq!(total.as_i64(), Some(closed_before + 1));
    assert!(browser
        .js(&format!("return !!document.querySelector('tr[data-case-id=\"{id}\"]');"))
        .await
        .as_bool()
        .unwrap());
    browser.assert_accessible("the case list").await;

    // Its "导出" link gives the same cases as a file, through the API's export.
    let export = browser.js("return document.querySelector('a.export-link').getAttribute('href');").await;
    let csv = export.as_str().expect("an export link").replace("format=xlsx", "format=csv");
    let session = browser.session_cookie().await.expect("a session");
    let file = raw_client()
        .get(format!("{}{csv}", app.base))
        .header("Cookie", format!("casedesk_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    let text = file.text().await.unwrap();
    assert!(text.contains(tracking_no.as_str().unwrap()), "the exported list holds the case: {text}");
    assert_eq!(text.lines().count() as i64, closed_before + 2, "a header and one line per case");
}

async fn every_dashboard_figure_equals_the_statistics_api_on_the_demo_county(
    app: &TestApp,
    browser: &Browser,
) {
    let db = app.state.db.clone();
    let demo = actix_web::rt::task::spawn_blocking(move || {
        casedesk::demo::load(&db, crate::helpers::demo_history_only())
    })
    .await
    .unwrap()
    .expect("demo loads");
    let leader = demo.logins.iter().find(|l| l.role.as_str() == "leader").expect("a demo leader");
    let token = app.login(&leader.username, &leader.password).await;
    browser.sign_in(&leader.username, &leader.password).await;
    let views = [
        "from=2024-01-01&to=2025-01-01",
        "from=2023-04-01&to=2023-07-01&channel=minhu",
        "from=2024-01-01&to=2025-01-01&department_id=1",
    ];
    for view in views {
        browser.goto(&format!("/console/dashboard?{view}")).await;
        let summary = app.get(&format!("/api/v1/stats/summary?{view}"), Some(&token)).await.expect(200).body;
        let by_channel =
            app.get(&format!("/api/v1/stats/by-channel?{view}"), Some(&token)).await.expect(200).body;
        let by_department =
            app.get(&format!("/api/v1/stats/by-department?{view}"), Some(&token)).await.expect(200).body;
        let items = |body: &Value, key: &str| -> BTreeMap<String, Value> {
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| (item[key].to_string().trim_matches('"').to_owned(), item["figures"].clone()))
                .collect()
        };
        let (channels, departments) = (items(&by_channel, "channel"), items(&by_department, "department_id"));
        let figures = figures_on_page(browser).await;
        let mut scopes = (0, 0, 0);
        for (figure, kind, key, value) in &figures {
            let expected = match kind.as_str() {
                "scope" => {
                    scopes.0 += 1;
                    &summary["figures"][figure]
                }
                "channel" => {
                    scopes.1 += 1;
                    &channels.get(key).unwrap_or_else(|| panic!("channel {key} in the API"))[figure]
                }
                _ => {
                    scopes.2 += 1;
                    &departments.get(key).unwrap_or_else(|| panic!("department {key} in the API"))[figure]
                }
            };
            assert_eq!(value, expected, "{view}: {figure} of {kind} {key}");
        }
        assert!(
            scopes.0 >= 8 && scopes.1 >= 8 && scopes.2 >= 8,
            "{view}: every scope is on the page: {scopes:?}"
        );
    }

    // A count's drill-down lists exactly the cases it counts.
    browser.goto("/console/dashboard?from=2024-01-01&to=2025-01-01").await;
    for figure in ["received", "closed", "overdue_open"] {
        let expected = dashboard_figure(browser, figure).await;
        browser.click(&format!("[data-figure={figure}][data-scope=all] a")).await;
        let total = browser.js("return Number(document.querySelector('[data-total]').dataset.total);").await;
        assert_eq!(total.as_i64(), Some(expected), "the list behind {figure}");
        browser.goto("/console/dashboard?from=2024-01-01&to=2025-01-01").await;
    }
    browser.click("td[data-figure=closed][data-channel=minhu] a").await;
    let total = browser.js("return Number(document.querySelector('[data-total]').dataset.total);").await;
    assert_eq!(
        total,
        channels_closed(
            &app.get("/api/v1/stats/by-channel?from=2024-01-01&to=2025-01-01", Some(&token)).await.body
        )
    );

    browser.goto("/console/dashboard?from=2024-01-01&to=2025-01-01").await;
    for size in [DESKTOP, ZOOMED, PHONE] {
        browser.viewport(size).await;
        let width = browser.js("return [window.innerWidth, document.documentElement.scrollWidth];").await;
        assert!(width[1].as_u64() <= width[0].as_u64(), "no sideways scrolling at {size:?}: {width}");
    }
    browser.viewport(DESKTOP).await;
    browser.assert_accessible("the dashboard on the demo county").await;
    browser.screenshot(&shot(app, "dashboard-demo")).await;
    // 热点: the demo's letters have categories and titles; each count leads
    // to its cases (a word's search also finds it in the letters).
    browser.js("document.getElementById('topics-heading').scrollIntoView(); return 1;").await;
    browser.screenshot(&shot(app, "dashboard-topics")).await;
    browser.viewport(PHONE).await;
    browser.js("document.getElementById('topics-heading').scrollIntoView(); return 1;").await;
    browser.screenshot(&shot(app, "dashboard-topics-375x667")).await;
    browser.viewport(DESKTOP).await;
    let first = |kind: &str| {
        format!(
            "const row = document.querySelector('table[data-topics={kind}] tbody tr'); \
             return row ? [row.querySelector('a').getAttribute('href'), Number(row.querySelector('td').textContent)] : null;"
        )
    };
    let category = browser.js(&first("categories")).await;
    let (href, cases) = (category[0].as_str().expect("a category").to_owned(), category[1].as_i64().unwrap());
    assert!(cases > 0 && href.contains("category="), "{category}");
    browser.goto(&href).await;
    let total = browser.js("return Number(document.querySelector('[data-total]').dataset.total);").await;
    assert_eq!(total.as_i64(), Some(cases), "a category's count lists exactly its cases");
    browser.goto("/console/dashboard?from=2024-01-01&to=2025-01-01").await;
    let term = browser.js(&first("terms")).await;
    let (href, cases) = (term[0].as_str().expect("a word").to_owned(), term[1].as_i64().unwrap());
    browser.goto(&href).await;
    let total = browser.js("return Number(document.querySelector('[data-total]').dataset.total);").await;
    // A search counts its matches up to 1,000.
    let at_least = cases.min(1_000);
    assert!(
        total.as_i64().unwrap() >= at_least,
        "a word's search finds at least its cases: {total} < {cases}"
    );
    browser.goto("/console/dashboard?from=2024-01-01&to=2025-01-01").await;
    let export = browser.js("return document.querySelector('a.export-link').getAttribute('href');").await;
    let export = export.as_str().expect("an export link").to_owned();
    let anonymous = raw_client().get(format!("{}{export}", app.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), 303, "the workbook needs a session like every console page");
    let session = browser.session_cookie().await.expect("a session");
    let workbook = raw_client()
        .get(format!("{}{export}", app.base))
        .header("Cookie", format!("casedesk_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(workbook.status(), 200);
    let bytes = workbook.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK") && bytes.len() > 4000, "an xlsx workbook of {} bytes", bytes.len());
    let html_size = browser.js("return document.documentElement.outerHTML.length;").await.as_u64().unwrap();
    assert!(html_size < 200_000, "the dashboard's HTML is {html_size} bytes");
}

fn channels_closed(body: &Value) -> Value {
    let item = body["items"].as_array().unwrap().iter().find(|i| i["channel"] == "minhu").unwrap();
    item["figures"]["closed"].clone()
}
