//! The citizens' pages of the public mailbox, in a real browser on a phone:
//! write a letter, read the receipt, look it up, read the reply, rate it
//! once; 长辈版; axe on every page in both layouts; bad input on every form;
//! the honeypot. (What no page sends, and the limits as pages, are checked over
//! HTTP in `tests/api/mailbox_pages.rs`.)

use fantoccini::Locator;
use serde_json::{json, Value};

use crate::harness::{Browser, PHONE};
use crate::helpers::{Office, TestApp};
use crate::pages::FormClient;

crate::browser_tests!(
    a_citizen_writes_looks_up_reads_the_reply_and_rates_once,
    every_citizen_page_in_large_type_passes_axe,
    bad_input_comes_back_with_errors_and_registers_nothing,
    the_honeypot_registers_nothing,
);

fn shot(app: &TestApp, name: &str) -> String {
    let backend = if app.backend == crate::helpers::Backend::Sqlite { "sqlite" } else { "postgres" };
    format!("{backend}-mailbox-{name}-{}x{}", PHONE.0, PHONE.1)
}

/// Cases registered so far, as the clerk lists them.
async fn registered(app: &TestApp, office: &Office) -> usize {
    let list = app.get("/api/v1/cases?limit=500", Some(&office.clerk.token)).await.expect(200);
    list.body["items"].as_array().unwrap().len()
}

async fn attribute(browser: &Browser, css: &str, name: &str) -> String {
    let element = browser.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
    element.attr(name).await.expect("attribute").unwrap_or_else(|| panic!("{css} has no {name}"))
}

async fn exists(browser: &Browser, css: &str) -> bool {
    !browser.client.find_all(Locator::Css(css)).await.expect("query").is_empty()
}

async fn no_sideways_scrolling(browser: &Browser, what: &str) {
    let width = browser.js("return [window.innerWidth, document.documentElement.scrollWidth];").await;
    assert!(width[1].as_u64() <= width[0].as_u64(), "{what} scrolls sideways: {width}");
}

/// Sets a field's value by script: what typing cannot produce (control
/// characters, more than `maxlength`), or a field people never see.
async fn set_value(browser: &Browser, css: &str, value: &str) {
    browser
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); e.removeAttribute('maxlength'); e.value = arguments[1];",
            vec![json!(css), json!(value)],
        )
        .await
        .expect("script runs");
}

async fn value_of(browser: &Browser, css: &str) -> String {
    browser
        .client
        .execute("return document.querySelector(arguments[0]).value;", vec![json!(css)])
        .await
        .expect("script runs")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Writes a letter through the form; returns the tracking number and code.
async fn write_letter(browser: &Browser, title: &str, email: Option<&str>) -> (String, String) {
    browser.goto("/mailbox").await;
    browser.fill("#title", title).await;
    browser.fill("#content", "新城小区门口的路灯坏了一个多月，晚上出行很不方便。\n希望尽快修好。").await;
    browser.client.find(Locator::Css("#category option[value='市容']")).await.unwrap().click().await.unwrap();
    browser.fill("#name", "王小明").await;
    browser.fill("#phone", "139 0000 1111").await;
    if let Some(email) = email {
        browser.fill("#email", email).await;
    }
    browser.fill("#address", "城关镇新城小区3栋").await;
    browser.client.find(Locator::Css("#is_public")).await.unwrap().click().await.unwrap();
    browser.click("form.letter-form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "来信已收到");
    let tracking = attribute(browser, "[data-tracking-no]", "data-tracking-no").await;
    let code = attribute(browser, "[data-query-code]", "data-query-code").await;
    assert_eq!(browser.text("[data-tracking-no]").await, tracking, "shown as it is");
    assert_eq!(browser.text("[data-query-code]").await, code);
    (tracking, code)
}

/// The case id of a tracking number, as the clerk finds it.
async fn case_id(app: &TestApp, office: &Office, tracking: &str) -> i64 {
    let list = app.get(&format!("/api/v1/cases?q={tracking}"), Some(&office.clerk.token)).await.expect(200);
    list.body["items"][0]["id"].as_i64().expect("the letter is registered")
}

/// The clerk routes the letter, the department answers, the clerk approves.
async fn close(app: &TestApp, office: &Office, id: i64, reply: &str) {
    app.act(&office.clerk.token, id, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    app.act(&office.handler.token, id, "accept", json!({})).await.expect(200);
    app.act(&office.handler.token, id, "reply", json!({"reply": reply})).await.expect(200);
    app.act(&office.clerk.token, id, "approve", json!({})).await.expect(200);
}

/// Looks a letter up through the form.
async fn look_up(browser: &Browser, tracking: &str, code: &str) {
    browser.goto(&format!("/mailbox/lookup?tracking_no={tracking}")).await;
    browser.fill("#code", code).await;
    browser.click("main form button[type=submit]").await;
}

async fn a_citizen_writes_looks_up_reads_the_reply_and_rates_once(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    browser.viewport(PHONE).await;
    browser.goto("/").await;
    browser.click("a[href='/mailbox']").await;
    assert_eq!(browser.path().await, "/mailbox");
    assert_eq!(browser.js("return document.documentElement.lang;").await, "zh-CN");
    assert!(browser.text("main").await.contains("个人信息说明"), "the privacy notice");
    no_sideways_scrolling(browser, "the letter form").await;
    browser.assert_accessible("the letter form").await;
    browser.screenshot(&shot(app, "form")).await;

    let (tracking, code) = write_letter(browser, "新城小区路灯不亮", Some("xiaoming@example.cn")).await;
    assert!(tracking.starts_with("MB") && code.len() == 10, "{tracking} {code}");
    let receipt = browser.text("main").await;
    assert!(receipt.contains("抄在纸上") && receipt.contains("x***@example.cn"), "{receipt}");
    no_sideways_scrolling(browser, "the receipt").await;
    tracking_number_on_one_line(browser, "the receipt").await;
    browser.assert_accessible("the receipt").await;
    browser.screenshot(&shot(app, "receipt")).await;

    let id = case_id(app, &office, &tracking).await;
    let case = app.case(&office, id).await;
    assert_eq!(case["citizen"]["phone"], "13900001111");
    assert_eq!(case["category"], "市容");
    assert_eq!(case["is_public"], true);
    assert_eq!(app.events(&office, id).await[0]["details"]["source"], "citizen");

    // Before closure: the state in words, no rating form.
    browser.click("a.button[href^='/mailbox/lookup']").await;
    assert_eq!(value_of(browser, "#tracking_no").await, tracking, "the number is filled in");
    assert_eq!(value_of(browser, "#code").await, "", "the code never is");
    browser.assert_accessible("the look-up form").await;
    browser.screenshot(&shot(app, "lookup")).await;
    browser.fill("#code", &code.to_lowercase()).await;
    browser.click("main form button[type=submit]").await;
    assert_eq!(browser.text("[data-state]").await, "已登记");
    assert!(!exists(browser, "form[action='/mailbox/rating']").await);

    close(app, &office, id, "已安排维修，路灯于本周恢复照明。").await;
    look_up(browser, &tracking, &code).await;
    assert_eq!(browser.text("[data-state]").await, "已办结");
    assert_eq!(browser.text("[data-reply]").await, "已安排维修，路灯于本周恢复照明。");
    let page = browser.js("return document.documentElement.outerHTML;").await.as_str().unwrap().to_owned();
    for personal in ["王小明", "13900001111", "xiaoming", "新城小区3栋", "路灯坏了"] {
        assert!(!page.contains(personal), "the look-up shows {personal}");
    }
    assert!(page.contains("北京时间"));
    no_sideways_scrolling(browser, "the case").await;
    browser.assert_accessible("the closed case with its rating form").await;
    browser.screenshot(&shot(app, "closed")).await;
    browser.js("document.querySelector('.rating').scrollIntoView();").await;
    browser.screenshot(&shot(app, "rating")).await;

    browser.client.find(Locator::Css("#rating-basically_satisfied")).await.unwrap().click().await.unwrap();
    browser.fill("#comment", "修得及时，希望以后多巡查。").await;
    browser.click("form[action='/mailbox/rating'] button[type=submit]").await;
    assert!(browser.text("main").await.contains("谢谢您的评价"));
    assert_eq!(browser.text("[data-rated] strong").await, "基本满意");
    assert!(!exists(browser, "form[action='/mailbox/rating']").await, "rated once, no form");
    browser.assert_accessible("the rated case").await;
    let rated = app.case(&office, id).await;
    assert_eq!(
        (rated["rating"].as_str(), rated["rating_source"].as_str()),
        (Some("basically_satisfied"), Some("citizen"))
    );
    assert_eq!(rated["rating_comment"], "修得及时，希望以后多巡查。");

    // The 长辈版 switch on a page that answered a POST comes back to the
    // look-up with the number filled in (a GET of /mailbox/rating is nothing).
    browser.click("a.layout-switch").await;
    assert_eq!(browser.path().await, "/mailbox/lookup");
    assert_eq!(value_of(browser, "#tracking_no").await, tracking);
    assert_eq!(browser.js("return document.body.classList.contains('large');").await, true);
    browser.click("a.layout-switch").await;
    assert_eq!(browser.js("return document.body.classList.contains('large');").await, false);

    // A second rating posted anyway (an old tab, a double click) changes nothing.
    let forms = FormClient::new(app, "127.0.0.1").await;
    let (status, _, html) = forms
        .post("/mailbox/rating", &[("tracking_no", &tracking), ("code", &code), ("rating", "unsatisfied")])
        .await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("已经评价过"));
    assert_eq!(app.case(&office, id).await["rating"], "basically_satisfied");
    let ratings = app.events(&office, id).await.into_iter().filter(|e| e["action"] == "rate").count();
    assert_eq!(ratings, 1);

    // The clerk publishes it: the published letters show it, masked.
    app.act(&office.clerk.token, id, "publish", json!({})).await.expect(200);
    browser.click("a[href='/mailbox/letters']").await;
    assert_eq!(browser.text(&format!("[data-letter='{tracking}'] h2")).await, "新城小区路灯不亮");
    assert_eq!(browser.text("[data-writer]").await, "王**");
    let listed = browser.text("main").await;
    assert!(!listed.contains("王小明") && !listed.contains("13900001111") && !listed.contains("xiaoming"));
    no_sideways_scrolling(browser, "the published letters").await;
    browser.assert_accessible("the published letters").await;
    browser.screenshot(&shot(app, "letters")).await;
}

async fn every_citizen_page_in_large_type_passes_axe(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    browser.viewport(PHONE).await;
    browser.goto("/mailbox").await;
    browser.click("a.layout-switch").await;
    assert_eq!(browser.path().await, "/mailbox", "the switch comes back to the page");
    let font: f64 = browser
        .js("return parseFloat(getComputedStyle(document.body).fontSize);")
        .await
        .as_f64()
        .unwrap_or(0.0);
    assert!(font >= 20.0, "large type is {font}px");
    let input_height = browser
        .js("return document.querySelector('#title').getBoundingClientRect().height;")
        .await
        .as_f64()
        .unwrap();
    assert!(input_height >= 48.0, "big touch targets: {input_height}px");
    let columns =
        browser.js("return getComputedStyle(document.querySelector('.mailbox-nav ul')).flexDirection;").await;
    assert_eq!(columns, "column", "one column");
    no_sideways_scrolling(browser, "the large letter form").await;
    browser.assert_accessible("the letter form, 长辈版").await;
    browser.screenshot(&shot(app, "form-large")).await;
    browser.js("document.querySelector('#is_public').scrollIntoView();").await;
    browser.screenshot(&shot(app, "form-large-consent")).await;

    let (tracking, code) = write_letter(browser, "建议增设公交站点", None).await;
    assert!(browser.text("main").await.contains("没有填写电子邮箱"));
    no_sideways_scrolling(browser, "the large receipt").await;
    tracking_number_on_one_line(browser, "the large receipt").await;
    browser.js("document.querySelector('.receipt').scrollIntoView();").await;
    browser.assert_accessible("the receipt, 长辈版").await;
    browser.screenshot(&shot(app, "receipt-large")).await;

    let id = case_id(app, &office, &tracking).await;
    close(app, &office, id, "已规划在新城路口增设公交站点。").await;
    app.act(&office.clerk.token, id, "publish", json!({})).await.expect(200);
    browser.goto("/mailbox/lookup").await;
    browser.assert_accessible("the look-up form, 长辈版").await;
    look_up(browser, &tracking, &code).await;
    assert_eq!(browser.text("[data-state]").await, "已办结");
    no_sideways_scrolling(browser, "the large case").await;
    browser.assert_accessible("the closed case, 长辈版").await;
    browser.screenshot(&shot(app, "closed-large")).await;
    browser.js("document.querySelector('.rating').scrollIntoView();").await;
    browser.screenshot(&shot(app, "rating-large")).await;
    browser.goto("/mailbox/letters").await;
    assert!(exists(browser, &format!("[data-letter='{tracking}']")).await);
    browser.assert_accessible("the published letters, 长辈版").await;
    browser.screenshot(&shot(app, "letters-large")).await;
    assert_eq!(
        browser.js("return document.body.classList.contains('large');").await,
        true,
        "kept in a cookie"
    );
}

async fn bad_input_comes_back_with_errors_and_registers_nothing(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    browser.viewport(PHONE).await;

    // Empty.
    browser.goto("/mailbox").await;
    browser.click("form.letter-form button[type=submit]").await;
    assert!(exists(browser, "#error-summary").await);
    assert!(browser.text(".field--error #title-error").await.contains("请填写标题"));
    assert!(browser.text("#content-error").await.contains("请填写来信内容"));
    assert_eq!(attribute(browser, "#title", "aria-invalid").await, "true");
    browser.assert_accessible("the letter form with errors").await;
    browser.screenshot(&shot(app, "form-errors")).await;

    // Too long, control characters, a wrong phone and an IP-literal address:
    // every message beside its field, everything typed kept.
    let long_title = "长".repeat(201);
    set_value(browser, "#title", &long_title).await;
    set_value(browser, "#content", "第一行\u{1}第二行").await;
    browser.fill("#name", "李四").await;
    browser.fill("#phone", "12345").await;
    browser.fill("#email", "a@[127.0.0.1]").await;
    browser.fill("#address", "城南新区").await;
    browser.click("form.letter-form button[type=submit]").await;
    assert!(browser.text("#title-error").await.contains("现在是 201 个字"));
    assert!(browser.text("#content-error").await.contains("控制字符"));
    assert!(browser.text("#phone-error").await.contains("手机号码"));
    assert!(browser.text("#email-error").await.contains("电子邮箱"));
    assert!(!exists(browser, "#name-error").await && !exists(browser, "#address-error").await);
    assert_eq!(value_of(browser, "#title").await, long_title, "the text typed is kept");
    assert_eq!(value_of(browser, "#content").await, "第一行\u{1}第二行");
    assert_eq!(value_of(browser, "#name").await, "李四");
    assert_eq!(value_of(browser, "#email").await, "a@[127.0.0.1]");
    // A category the list does not offer.
    browser
        .js("const o = document.createElement('option'); o.value = '不存在'; o.selected = true; document.querySelector('#category').append(o);")
        .await;
    set_value(browser, "#title", "标题").await;
    set_value(browser, "#content", "内容").await;
    browser.fill("#phone", "").await;
    browser.fill("#email", "").await;
    browser.click("form.letter-form button[type=submit]").await;
    assert!(browser.text("#category-error").await.contains("请从列表中选择"));
    assert_eq!(registered(app, &office).await, 0, "nothing registered");

    // The look-up: empty, a wrong code, an unknown number, junk.
    let (tracking, code) = write_letter(browser, "路面塌陷", None).await;
    browser.goto("/mailbox/lookup").await;
    browser.click("main form button[type=submit]").await;
    assert!(browser.text("#tracking_no-error").await.contains("请填写受理编号"));
    assert!(browser.text("#code-error").await.contains("请填写查询码"));
    browser.assert_accessible("the look-up form with errors").await;
    look_up(browser, &tracking, "WRONGCODE2").await;
    let wrong = browser.text("#lookup-error").await;
    assert!(wrong.contains("没有找到"), "{wrong}");
    assert_eq!(value_of(browser, "#tracking_no").await, tracking, "the number typed is kept");
    assert_eq!(value_of(browser, "#code").await, "", "the code is not");
    look_up(browser, "MB2099999999", &code).await;
    assert_eq!(browser.text("#lookup-error").await, wrong, "an unknown number reads the same");
    browser.goto("/mailbox/lookup").await;
    set_value(browser, "#tracking_no", "MB\u{7}1").await;
    set_value(browser, "#code", &"X".repeat(41)).await;
    browser.click("main form button[type=submit]").await;
    assert!(exists(browser, "#tracking_no-error").await && exists(browser, "#code-error").await);

    // The rating: nothing chosen, a comment too long — on a closed letter.
    let id = case_id(app, &office, &tracking).await;
    close(app, &office, id, "已修复。").await;
    look_up(browser, &tracking, &code).await;
    browser.click("form[action='/mailbox/rating'] button[type=submit]").await;
    assert!(browser.text("#rating-error").await.contains("请选择"));
    browser.client.find(Locator::Css("#rating-unsatisfied")).await.unwrap().click().await.unwrap();
    let long_comment = "慢".repeat(2001);
    set_value(browser, "#comment", &long_comment).await;
    browser.click("form[action='/mailbox/rating'] button[type=submit]").await;
    assert!(browser.text("#comment-error").await.contains("最多 2000 个字"));
    assert_eq!(value_of(browser, "#comment").await, long_comment, "the comment is kept");
    assert_eq!(attribute(browser, "#rating-unsatisfied", "checked").await, "true", "the choice is kept");
    browser.assert_accessible("the rating form with errors").await;
    assert_eq!(app.case(&office, id).await["rating"], Value::Null, "nothing rated");
    browser.goto("/mailbox/letters?q=%01").await;
    assert!(exists(browser, "#q-error").await);
    // What no page sends, over HTTP: `tests/api/mailbox_pages.rs`.
}

async fn the_honeypot_registers_nothing(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    browser.viewport(PHONE).await;
    browser.goto("/mailbox").await;
    let shown = browser.js("return document.querySelector('#website').offsetParent !== null;").await;
    assert_eq!(shown, false, "people never see the field");
    browser.fill("#title", "优惠信息").await;
    browser.fill("#content", "点击链接领取。").await;
    set_value(browser, "#website", "http://spam.example").await;
    browser.click("form.letter-form button[type=submit]").await;
    assert!(browser.text("#form-notice").await.contains("没有登记"));
    assert_eq!(value_of(browser, "#title").await, "优惠信息", "a person caught by mistake loses nothing");
    assert_eq!(value_of(browser, "#website").await, "", "and can send it again");
    assert_eq!(registered(app, &office).await, 0);
    browser.click("form.letter-form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "来信已收到");
    assert_eq!(registered(app, &office).await, 1);
}

/// A tracking number broken over lines misleads whoever copies it down (a
/// stylesheet rule of another page once squeezed it into a 5em column).
async fn tracking_number_on_one_line(browser: &Browser, what: &str) {
    let lines = browser
        .js("const e = document.querySelector('[data-tracking-no]'); return Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight));")
        .await;
    assert_eq!(lines, 1, "the tracking number stays on one line on {what}");
}
