//! The public pages: landing and sign-in, in both layouts and at both sizes,
//! accessible; the 404 page. (Their headers, the stylesheet's caching and the
//! refusals' media types are checked over HTTP in `tests/api/site_pages.rs`.)

use crate::harness::{Browser, DESKTOP, PHONE};
use crate::helpers::TestApp;

crate::browser_tests!(landing_and_login_pass_axe_in_both_layouts, an_unknown_page_is_a_page_that_passes_axe);

fn shot(app: &TestApp, name: &str, size: (u32, u32)) -> String {
    format!(
        "{}-{name}-{}x{}",
        if app.backend == crate::helpers::Backend::Sqlite { "sqlite" } else { "postgres" },
        size.0,
        size.1
    )
}

async fn body_font_px(browser: &Browser) -> f64 {
    let size = browser.js("return getComputedStyle(document.body).fontSize;").await;
    size.as_str().unwrap_or("0px").trim_end_matches("px").parse().unwrap_or(0.0)
}

async fn landing_and_login_pass_axe_in_both_layouts(app: &TestApp, browser: &Browser) {
    for size in [DESKTOP, PHONE] {
        browser.viewport(size).await;
        browser.goto("/").await;
        assert_eq!(browser.js("return document.documentElement.lang;").await, "zh-CN");
        assert!(browser.text("h1").await.contains("案件办理系统"));
        let width = browser.js("return [window.innerWidth, document.documentElement.scrollWidth];").await;
        assert!(width[1].as_u64() <= width[0].as_u64(), "no sideways scrolling at {size:?}: {width}");
        browser.assert_accessible("the landing page").await;
        browser.screenshot(&shot(app, "landing", size)).await;
        browser.goto("/login").await;
        browser.assert_accessible("the sign-in page").await;
        browser.screenshot(&shot(app, "login", size)).await;
    }
    let standard = body_font_px(browser).await;

    // The 长辈版 switch is a link on every page; it comes back to the same page.
    browser.click("a.layout-switch").await;
    assert_eq!(browser.path().await, "/login");
    assert_eq!(browser.js("return document.body.classList.contains('large');").await, true);
    let large = body_font_px(browser).await;
    assert!(large >= 20.0 && large > standard, "large type is {large}px (standard {standard}px)");
    for size in [PHONE, DESKTOP] {
        browser.viewport(size).await;
        browser.goto("/login").await;
        browser.assert_accessible("the sign-in page, 长辈版").await;
        browser.screenshot(&shot(app, "login-large", size)).await;
        browser.goto("/").await;
        assert_eq!(
            browser.js("return document.body.classList.contains('large');").await,
            true,
            "kept in a cookie"
        );
        browser.assert_accessible("the landing page, 长辈版").await;
        browser.screenshot(&shot(app, "landing-large", size)).await;
    }
    browser.click("a.layout-switch").await;
    assert_eq!(browser.js("return document.body.classList.contains('large');").await, false);
}

async fn an_unknown_page_is_a_page_that_passes_axe(_app: &TestApp, browser: &Browser) {
    browser.goto("/console/no-such-page").await;
    assert_eq!(browser.text("h1").await, "页面不存在");
    browser.assert_accessible("the 404 page").await;
}
