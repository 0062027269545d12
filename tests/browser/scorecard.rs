//! The scorecard in a real browser (issue 23): a leader opens it, follows a
//! department's 退单 number to the cases behind it, and downloads the 运行通报
//! as a workbook with its sheets.

use calamine::Reader;
use serde_json::json;

use crate::harness::{Browser, DESKTOP, PHONE};
use crate::helpers::{Backend, TestApp, PASSWORD};
use crate::pages::raw_client;

crate::browser_tests!(a_leader_reads_the_scorecard_and_downloads_the_bulletin);

fn shot(app: &TestApp, name: &str) -> String {
    let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    format!("{backend}-{name}")
}

async fn a_leader_reads_the_scorecard_and_downloads_the_bulletin(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    // Department B gets six cases and hands two back; department A closes five.
    let mut returned = Vec::new();
    for i in 0..6 {
        let id = app.new_case(&office.clerk.token, json!({"title": format!("道路破损 {i}")})).await["id"]
            .as_i64()
            .unwrap();
        app.act(&office.clerk.token, id, "assign", json!({"department_id": office.dept_b})).await.expect(200);
        if i < 2 {
            let body = json!({"reason": "属于其他单位职责", "reason_code": "not_our_duty"});
            app.act(&office.other_handler.token, id, "return", body).await.expect(200);
            returned.push(id);
        } else {
            app.act(&office.other_handler.token, id, "accept", json!({})).await.expect(200);
        }
    }
    for _ in 0..5 {
        app.case_in(&office, "closed").await;
    }
    let today = casedesk::domain::time::office_date(casedesk::domain::time::now_utc());
    let period = format!("from={}&to={}", today, today + chrono::Duration::days(1));

    browser.sign_in("leader", PASSWORD).await;
    browser.goto(&format!("/console/scorecard?{period}")).await;
    assert!(browser.text("h1").await.contains("考核与通报"));
    assert!(browser.text("[data-formula]").await.contains("按时签收率×15"), "the formula is on the page");
    let b_row = format!("tr[data-department-id=\"{}\"]", office.dept_b);
    let returns = browser
        .js(&format!("return document.querySelector('{b_row} td[data-figure=returns]').dataset.value;"))
        .await;
    assert_eq!(returns, json!("2"));
    let kept = browser
        .js(&format!("return document.querySelector('{b_row} td[data-figure=return_rate]').dataset.value;"))
        .await;
    assert_eq!(kept, json!("66.67"), "4 of 6 assignments kept");
    browser.assert_accessible("the scorecard").await;
    browser.screenshot(&shot(app, "scorecard")).await;
    browser.viewport(PHONE).await;
    browser.screenshot(&shot(app, "scorecard-375x667")).await;
    browser.viewport(DESKTOP).await;

    let xlsx = browser
        .js("return [...document.querySelectorAll('a[download]')].map(a => a.getAttribute('href')).find(h => h.includes('format=xlsx'));")
        .await;
    let xlsx = xlsx.as_str().expect("a workbook download").to_owned();

    browser.click(&format!("{b_row} td[data-figure=returns] a")).await;
    assert!(browser.path().await.starts_with("/console/cases"), "{}", browser.path().await);
    let listed: Vec<i64> = browser
        .js("return [...document.querySelectorAll('tr[data-case-id]')].map(r => Number(r.dataset.caseId));")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let mut listed = listed;
    listed.sort_unstable();
    assert_eq!(listed, returned, "the 退单 number lists exactly the cases B handed back");
    browser.assert_accessible("the cases behind a 退单 number").await;

    let session = browser.session_cookie().await.expect("a session");
    let workbook = raw_client()
        .get(format!("{}{xlsx}", app.base))
        .header("Cookie", format!("casedesk_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(workbook.status(), 200);
    let bytes = workbook.bytes().await.unwrap();
    let book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("a real workbook");
    assert_eq!(
        book.sheet_names(),
        ["总体情况", "考核得分", "红黑榜", "超期与签收超时", "差评整改", "口径说明"]
    );
}
