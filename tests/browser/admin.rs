//! Administration in a real browser: an admin creates a department and a
//! handler who can then sign in, changes a channel's time limit, enters 2027
//! on the calendar page and retries a failed mail — each change checked
//! through the API, the pages' other client; axe on every admin page. (The
//! refusals — other roles get 403, a form without its token changes nothing,
//! bad input comes back with field errors — are in `tests/api/console_pages.rs`.)

use diesel::RunQueryDsl;
use serde_json::Value;

use crate::harness::{choose, Browser, DESKTOP, ZOOMED};
use crate::helpers::{Backend, TestApp, ADMIN_PASSWORD};
use crate::pages::page;

crate::browser_tests!(
    an_admin_creates_a_department_and_a_handler_who_can_sign_in,
    an_admin_changes_a_time_limit_and_retries_a_failed_mail,
    an_admin_enters_2027_on_the_calendar_page,
);

fn shot(app: &TestApp, name: &str) -> String {
    let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    format!("{backend}-{name}")
}

/// The page fits 1024 px without sideways scrolling.
async fn assert_fits(browser: &Browser, what: &str) {
    let overflow = browser
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        .await
        .as_i64()
        .unwrap();
    assert!(overflow <= 0, "{what} scrolls sideways by {overflow} px");
}

async fn an_admin_creates_a_department_and_a_handler_who_can_sign_in(app: &TestApp, browser: &Browser) {
    let admin = app.admin().await;
    browser.viewport(DESKTOP).await;
    browser.sign_in("admin", ADMIN_PASSWORD).await;
    browser.goto("/console/admin/").await;
    assert_eq!(browser.text("h1").await, "系统管理");
    browser.assert_accessible("the admin index").await;

    // A department through the form.
    browser.goto("/console/admin/departments").await;
    browser.assert_accessible("the departments page").await;
    browser.fill("#name", "县交通运输局").await;
    browser.fill("#code", "traffic").await;
    browser.fill("#email", "jtj@county.gov.cn").await;
    browser.click("form[data-form=create-department] button[type=submit]").await;
    assert!(browser.text(".notice--ok").await.contains("承办单位已新增"));
    let listed = app.get("/api/v1/departments", Some(&admin)).await.expect(200);
    let created = listed.body["items"].as_array().unwrap().iter().find(|d| d["code"] == "TRAFFIC").cloned();
    let created = created.expect("the API lists the new department, its code upper-cased as the API does");
    assert_eq!(
        (created["name"].as_str(), created["email"].as_str()),
        (Some("县交通运输局"), Some("jtj@county.gov.cn"))
    );
    let department_id = created["id"].as_i64().unwrap();

    // Renamed on its own page.
    browser.goto(&format!("/console/admin/departments/{department_id}")).await;
    browser.assert_accessible("a department's page").await;
    browser.fill("#name", "县交通运输局（县公路事业发展中心）").await;
    browser.click("form[data-form=edit-department] button[type=submit]").await;
    let renamed = app.get("/api/v1/departments", Some(&admin)).await.expect(200);
    assert!(renamed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == "县交通运输局（县公路事业发展中心）"));

    // A handler of that department through the users page.
    browser.goto("/console/admin/users").await;
    browser.assert_accessible("the users page").await;
    browser.fill("#username", "zhang.wei").await;
    browser.fill("#display_name", "张伟").await;
    choose(browser, "#role", "handler").await;
    choose(browser, "#department_id", &department_id.to_string()).await;
    browser.fill("#email", "zhangwei@county.gov.cn").await;
    browser.fill("#password", "initial-password-1").await;
    browser.click("form[data-form=create-user] button[type=submit]").await;
    assert!(browser.text(".notice--ok").await.contains("账号已创建"));
    let users = app.get("/api/v1/users", Some(&admin)).await.expect(200);
    let user = users.body["items"].as_array().unwrap().iter().find(|u| u["username"] == "zhang.wei").cloned();
    let user = user.expect("the API lists the new account");
    assert_eq!(
        (user["role"].as_str(), user["department_id"].as_i64()),
        (Some("handler"), Some(department_id))
    );
    browser.screenshot(&shot(app, "admin-users")).await;
    assert_fits(browser, "the users page").await;

    // Its password reset on its page; the handler signs in with the new one.
    let user_id = user["id"].as_i64().unwrap();
    browser.goto(&format!("/console/admin/users/{user_id}")).await;
    browser.assert_accessible("a user's page").await;
    browser.fill("#password", "reset-password-2").await;
    browser.click("form[data-form=reset-password] button[type=submit]").await;
    assert!(browser.text(".notice--ok").await.contains("密码已重置"));
    browser.client.delete_all_cookies().await.unwrap();
    browser.sign_in("zhang.wei", "reset-password-2").await;
    assert_eq!(browser.path().await, "/console/cases", "the handler's home");
    assert!(browser.text(".site-header").await.contains("张伟"));

    // Deactivated by the admin: the handler's session ends at once.
    let handler_session = browser.session_cookie().await.expect("a session");
    browser.client.delete_all_cookies().await.unwrap();
    browser.sign_in("admin", ADMIN_PASSWORD).await;
    browser.goto(&format!("/console/admin/users/{user_id}")).await;
    browser.click("form[data-form=active] button[type=submit]").await;
    assert_eq!(browser.text("[data-active]").await, "已停用");
    let (status, _) = page(app, "/console/cases", &handler_session).await;
    assert_eq!(status, 303, "a deactivated account's session is over");
}

async fn an_admin_changes_a_time_limit_and_retries_a_failed_mail(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    browser.viewport(DESKTOP).await;
    browser.sign_in("admin", ADMIN_PASSWORD).await;

    browser.goto("/console/admin/channels").await;
    browser.assert_accessible("the channels page").await;
    assert_fits(browser, "the channels page").await;
    browser.click("tr[data-channel=minhu] a").await;
    browser.assert_accessible("a channel's page").await;
    browser.fill("#time_limit", "10").await;
    choose(browser, "#time_limit_unit", "calendar_day").await;
    browser.fill("#extension_limit", "5").await;
    browser.click("form[data-form=channel] button[type=submit]").await;
    assert!(browser.text(".notice--ok").await.contains("办理时限已保存"));
    let channels = app.get("/api/v1/channels", Some(&office.admin.token)).await.expect(200);
    let minhu =
        channels.body["items"].as_array().unwrap().iter().find(|c| c["code"] == "minhu").cloned().unwrap();
    assert_eq!(
        (&minhu["time_limit"], &minhu["time_limit_unit"], &minhu["extension_limit"]),
        (&Value::from(10), &Value::from("calendar_day"), &Value::from(5))
    );

    // The channel's categories: one a line, as intake and the mailbox offer them.
    browser.fill("#categories", "教育\n住房\n教育\n").await;
    browser.click("form[data-form=categories] button[type=submit]").await;
    assert!(browser.text("#categories-error").await.contains("已经录入"), "a name twice is refused");
    browser.fill("#categories", "教育\n住房\n\n其他").await;
    browser.click("form[data-form=categories] button[type=submit]").await;
    assert!(browser.text(".notice--ok").await.contains("类别已保存"));
    browser.assert_accessible("a channel's page with its categories").await;
    browser.screenshot(&shot(app, "admin-channel-categories")).await;
    let categories =
        app.get("/api/v1/channels/minhu/categories", Some(&office.clerk.token)).await.expect(200);
    assert_eq!(categories.body, serde_json::json!({"categories": ["教育", "住房", "其他"]}));

    // A mail to department A (assigned a case) that failed for a day.
    let id = app.case_in(&office, "assigned").await;
    assert!(id > 0);
    let failed = app
        .with_conn(|conn| {
            diesel::sql_query(
                "UPDATE outbox SET state = 'failed', attempts = 12, last_error = 'connection refused'",
            )
            .execute(conn)
            .unwrap()
        })
        .await;
    assert!(failed >= 1, "a mail to fail");
    browser.goto("/console/admin/outbox").await;
    browser.assert_accessible("the outbox page").await;
    assert_fits(browser, "the outbox page").await;
    browser.screenshot(&shot(app, "admin-outbox")).await;
    let message = browser
        .js("return Number(document.querySelector('table[data-failed] tr[data-message]').dataset.message);")
        .await
        .as_i64()
        .unwrap();
    browser.click(&format!("tr[data-message='{message}'] button[type=submit]")).await;
    assert!(browser.text(".notice--ok").await.contains("重新排队"));
    let pending = app.get("/api/v1/outbox?state=pending", Some(&office.admin.token)).await.expect(200);
    let retried = pending.body["items"].as_array().unwrap().iter().find(|m| m["id"] == message).cloned();
    assert_eq!(retried.expect("queued again")["attempts"], 0, "a fresh day of attempts");
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

async fn an_admin_enters_2027_on_the_calendar_page(app: &TestApp, browser: &Browser) {
    let admin = app.admin().await;
    browser.viewport(DESKTOP).await;
    browser.sign_in("admin", ADMIN_PASSWORD).await;
    browser.goto("/console/admin/calendar/2027").await;
    assert_eq!(browser.text("h1").await, "2027 年节假日安排");
    assert_eq!(browser.js("return document.querySelectorAll('table.month').length;").await, 12);
    // Monday first: 1 February 2027 is a Monday, the first cell of its first week.
    let first = browser
        .js("return document.querySelector('table.month[data-month=\"2\"] tbody tr td').dataset.date;")
        .await;
    assert_eq!(first, "2027-02-01");
    browser.assert_accessible("the calendar page, empty year").await;
    browser.screenshot(&shot(app, "admin-calendar-top")).await;

    // 国庆节 (a Friday) as a holiday, and Sunday 26 September as a make-up working day.
    for (date, is_workday, note) in
        [("2027-10-01", "false", "国庆节"), ("2027-09-26", "true", "国庆节调休上班")]
    {
        choose(browser, "#date", date).await;
        choose(browser, "#is_workday", is_workday).await;
        browser.fill("#note", note).await;
        browser.click("form[data-form=add-day] button[type=submit]").await;
        assert!(browser.text(".notice--ok").await.contains("已添加"), "{date} added");
    }
    assert_eq!(
        calendar_2027(app, &admin).await,
        [
            ("2027-09-26".to_owned(), true, "国庆节调休上班".to_owned()),
            ("2027-10-01".to_owned(), false, "国庆节".to_owned())
        ]
    );
    // Marked in text, not by colour alone.
    assert_eq!(browser.text("td[data-date='2027-10-01'] .mark").await, "休");
    assert_eq!(browser.text("td[data-date='2027-09-26'] .mark").await, "班");
    browser.assert_accessible("the calendar page with entries").await;
    assert_fits(browser, "the calendar page").await;
    browser.js("document.querySelector('table.month[data-month=\"9\"]').scrollIntoView(); return 1;").await;
    browser.screenshot(&shot(app, "admin-calendar")).await;

    // A weekday cannot be a make-up working day; a bad date is refused: nothing changes.
    choose(browser, "#date", "2027-10-08").await;
    choose(browser, "#is_workday", "true").await;
    browser.fill("#note", "国庆节调休上班").await;
    browser.click("form[data-form=add-day] button[type=submit]").await;
    assert!(browser.text("#is_workday-error").await.contains("只有周六或周日"), "the error beside the type");
    browser.js("document.querySelector('#add').scrollIntoView(); return 1;").await;
    browser.screenshot(&shot(app, "admin-calendar-refused")).await;
    assert_eq!(calendar_2027(app, &admin).await.len(), 2);

    // At 200% zoom the months stack; nothing scrolls sideways.
    browser.viewport(ZOOMED).await;
    assert_fits(browser, "the calendar page at 200% zoom").await;
    browser.viewport(DESKTOP).await;

    // Removed by its button.
    browser.click("tr[data-entry='2027-09-26'] button[type=submit]").await;
    assert!(browser.text(".notice--ok").await.contains("已删除"));
    assert_eq!(calendar_2027(app, &admin).await, [("2027-10-01".to_owned(), false, "国庆节".to_owned())]);
}
