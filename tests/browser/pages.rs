//! The public pages: landing and sign-in, in both layouts and at both sizes,
//! accessible; their headers; the hashed, cached stylesheet; refusals as pages.

use crate::harness::{Browser, DESKTOP, PHONE};
use crate::helpers::TestApp;

crate::browser_tests!(
    landing_and_login_pass_axe_in_both_layouts,
    pages_carry_security_headers_and_the_stylesheet_is_immutable,
    unknown_pages_are_pages_and_the_api_keeps_problem_json,
);

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

async fn pages_carry_security_headers_and_the_stylesheet_is_immutable(app: &TestApp, _browser: &Browser) {
    for path in ["/", "/login"] {
        let resp = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let h = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(h("content-type").starts_with("text/html"), "{path}");
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("referrer-policy"), "same-origin");
        assert_eq!(h("cache-control"), "no-store");
        let csp = h("content-security-policy");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let html = resp.text().await.unwrap();
        assert!(!html.contains("http://") && !html.contains("https://"), "{path} loads nothing from outside");
        let href = html.split("rel=\"stylesheet\" href=\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
        assert!(href.starts_with("/assets/casedesk.") && href.ends_with(".css"), "{href}");
        let css = app.client.get(format!("{}{href}", app.base)).send().await.unwrap();
        assert_eq!(css.status(), 200);
        assert_eq!(
            css.headers().get("cache-control").unwrap().to_str().unwrap(),
            "public, max-age=31536000, immutable"
        );
        assert!(css.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/css"));
    }
    let stale = app.client.get(format!("{}/assets/casedesk.00000000.css", app.base)).send().await.unwrap();
    assert_eq!(stale.status(), 404, "an old name is not served the new file");
}

async fn unknown_pages_are_pages_and_the_api_keeps_problem_json(app: &TestApp, browser: &Browser) {
    browser.goto("/console/no-such-page").await;
    assert_eq!(browser.text("h1").await, "页面不存在");
    browser.assert_accessible("the 404 page").await;
    let page = app
        .client
        .get(format!("{}/no-such-page", app.base))
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
    let api = app.get("/api/v1/no-such-thing", None).await;
    assert_eq!((api.status, api.code()), (404, "not_found"));
    let api_from_browser = app
        .client
        .get(format!("{}/api/v1/cases", app.base))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(api_from_browser.status(), 401);
    assert!(api_from_browser
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
}
