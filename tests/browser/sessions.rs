//! Signing in and out through the pages: each role's home, the session
//! cookie and its end (logout, revocation, password change), and a tampered
//! CSRF token. (The CSRF refusals over HTTP and the idle timeout are in
//! `tests/api/site_pages.rs`.)

use serde_json::json;

use crate::harness::{Browser, DESKTOP, PHONE, ZOOMED};
use crate::helpers::{Backend, Office, TestApp, PASSWORD};
use crate::pages::with_cookie;

crate::browser_tests!(
    a_clerk_signs_in_through_the_form_and_lands_on_the_dashboard,
    a_handler_lands_on_the_case_list,
    a_wrong_password_gives_the_form_again,
    logout_ends_the_session_and_the_old_cookie_no_longer_works,
    a_tampered_sign_in_token_gives_the_refusal_page,
    a_revoked_or_deactivated_session_goes_back_to_login,
    the_password_page_changes_it_and_ends_the_old_session,
);

fn shot(app: &TestApp, name: &str, size: (u32, u32)) -> String {
    let backend = if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    format!("{backend}-{name}-{}x{}", size.0, size.1)
}

async fn a_clerk_signs_in_through_the_form_and_lands_on_the_dashboard(app: &TestApp, browser: &Browser) {
    let _office = app.office().await;
    browser.goto("/console/dashboard").await;
    assert_eq!(browser.path().await, "/login", "without a session the console asks to sign in");
    browser.sign_in("clerk", PASSWORD).await;
    assert_eq!(browser.path().await, "/console/dashboard");
    assert_eq!(browser.text("h1").await, "首页/统计");
    assert_eq!(browser.text(".whoami").await, "clerk（登记交办员）");
    let nav = browser.text(".console-nav").await;
    for entry in ["首页/统计", "案件", "登记", "修改密码", "退出"] {
        assert!(nav.contains(entry), "{entry} in {nav}");
    }
    assert!(!nav.contains("管理"), "only admins administer: {nav}");
    let cookie = browser.client.get_named_cookie("casedesk_session").await.expect("session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(format!("{:?}", cookie.same_site()), "Some(Strict)");
    assert_eq!(cookie.path(), Some("/"));
    for size in [DESKTOP, ZOOMED, PHONE] {
        browser.viewport(size).await;
        let width = browser.js("return [window.innerWidth, document.documentElement.scrollWidth];").await;
        assert!(width[1].as_u64() <= width[0].as_u64(), "no sideways scrolling at {size:?}: {width}");
        browser.assert_accessible("the dashboard").await;
        browser.screenshot(&shot(app, "dashboard-clerk", size)).await;
    }
    browser.viewport(DESKTOP).await;
    browser.goto("/console/").await;
    assert_eq!(browser.path().await, "/console/dashboard");
    browser.goto("/login").await;
    assert_eq!(browser.path().await, "/console/dashboard", "signed in already: on to the home page");

    browser.client.delete_all_cookies().await.unwrap();
    browser.sign_in("admin", crate::helpers::ADMIN_PASSWORD).await;
    assert_eq!(browser.path().await, "/console/dashboard");
    assert!(browser.text(".console-nav").await.contains("管理"));
    assert_eq!(browser.text(".whoami").await, "系统管理员（系统管理员）");
}

async fn a_handler_lands_on_the_case_list(app: &TestApp, browser: &Browser) {
    let _office = app.office().await;
    browser.sign_in("handler-a", PASSWORD).await;
    assert_eq!(browser.path().await, "/console/cases");
    assert_eq!(browser.text("h1").await, "案件");
    assert_eq!(browser.text(".whoami").await, "handler-a（承办单位人员）");
    let nav = browser.text(".console-nav").await;
    assert!(!nav.contains("登记") && !nav.contains("管理"), "{nav}");
    browser.assert_accessible("the case list").await;
    browser.screenshot(&shot(app, "cases-handler", DESKTOP)).await;
    browser.client.delete_all_cookies().await.unwrap();
    browser.sign_in("leader", PASSWORD).await;
    assert_eq!(browser.path().await, "/console/dashboard");
}

async fn a_wrong_password_gives_the_form_again(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    browser.sign_in("clerk", "not-the-password").await;
    assert_eq!(browser.path().await, "/login");
    assert!(browser.text("#login-error").await.contains("用户名或密码不正确"));
    assert_eq!(browser.js("return document.querySelector('#username').value;").await, "clerk");
    browser.assert_accessible("the sign-in page with an error").await;
    browser.screenshot(&shot(app, "login-error", DESKTOP)).await;
    assert!(browser.session_cookie().await.is_none());
    browser.sign_in("nobody-with-this-name", "whatever-password").await;
    assert!(browser.text("#login-error").await.contains("用户名或密码不正确"));
    // An inactive account is refused the same way.
    app.patch(
        &format!("/api/v1/users/{}", office.clerk.id),
        Some(&office.admin.token),
        json!({"active": false}),
    )
    .await
    .expect(200);
    browser.sign_in("clerk", PASSWORD).await;
    assert!(browser.text("#login-error").await.contains("用户名或密码不正确"));
    assert!(browser.session_cookie().await.is_none());
    // The throttle of the API holds on the page: it is the same code.
    for _ in 0..5 {
        browser.sign_in("leader", "wrong-password").await;
    }
    browser.sign_in("leader", PASSWORD).await;
    assert!(browser.text("#login-error").await.contains("次数过多"), "throttled like the API");
    let api = app.post("/api/v1/auth/login", None, json!({"username": "leader", "password": PASSWORD})).await;
    assert_eq!(api.status, 429, "one count for page and API");
}

async fn logout_ends_the_session_and_the_old_cookie_no_longer_works(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    browser.sign_in("clerk", PASSWORD).await;
    let cookie = browser.session_cookie().await.expect("signed in");
    assert_eq!(with_cookie(app, "/console/dashboard", &cookie).await, Ok(200));
    browser.click(".logout-form button").await;
    assert_eq!(browser.path().await, "/login");
    assert!(browser.session_cookie().await.is_none(), "the cookie is removed");
    assert_eq!(with_cookie(app, "/console/dashboard", &cookie).await, Err("/login".into()), "and dead");
    let me = app.get("/api/v1/auth/me", Some(&office.clerk.token)).await;
    assert_eq!(me.status, 401, "logout ends the account's API tokens too, as the API's logout does");
    browser.goto("/console/dashboard").await;
    assert_eq!(browser.path().await, "/login");
}

async fn a_tampered_sign_in_token_gives_the_refusal_page(app: &TestApp, browser: &Browser) {
    let _office = app.office().await;
    // Every refusal over HTTP, and the logout form's: `tests/api/site_pages.rs`.
    // In the browser: a tampered token gives the refusal page and no session.
    browser.goto("/login").await;
    browser.fill("#username", "clerk").await;
    browser.fill("#password", PASSWORD).await;
    browser.js("document.querySelector('input[name=csrf_token]').value = 'forged';").await;
    browser.click("form.form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "表单已失效");
    assert!(browser.session_cookie().await.is_none());
    browser.assert_accessible("the refusal page").await;
    browser.screenshot(&shot(app, "csrf-refused", DESKTOP)).await;
}

async fn a_revoked_or_deactivated_session_goes_back_to_login(app: &TestApp, browser: &Browser) {
    let office: Office = app.office().await;
    browser.sign_in("clerk", PASSWORD).await;
    assert_eq!(browser.path().await, "/console/dashboard");
    // Revoked elsewhere: the API's logout ends the page's session at once.
    app.send(app.request(reqwest::Method::POST, "/api/v1/auth/logout", Some(&office.clerk.token)))
        .await
        .expect(204);
    browser.goto("/console/cases").await;
    assert_eq!(browser.path().await, "/login");

    // The idle timeout and the renewal, over HTTP: `tests/api/site_pages.rs`.
    // Deactivated: the session ends too.
    browser.client.delete_all_cookies().await.unwrap();
    browser.sign_in("leader", PASSWORD).await;
    assert_eq!(browser.path().await, "/console/dashboard");
    app.patch(
        &format!("/api/v1/users/{}", office.leader.id),
        Some(&office.admin.token),
        json!({"active": false}),
    )
    .await
    .expect(200);
    browser.goto("/console/dashboard").await;
    assert_eq!(browser.path().await, "/login");
}

async fn the_password_page_changes_it_and_ends_the_old_session(app: &TestApp, browser: &Browser) {
    let office = app.office().await;
    browser.sign_in("clerk", PASSWORD).await;
    let old = browser.session_cookie().await.expect("signed in");
    browser.goto("/console/password").await;
    browser.assert_accessible("the password page").await;

    browser.fill("#current_password", "not-my-password").await;
    browser.fill("#new_password", "a-new-password-1").await;
    browser.fill("#new_password_again", "a-new-password-1").await;
    browser.click("form.form button[type=submit]").await;
    assert!(browser.text("#current_password-error").await.contains("当前密码不正确"));
    browser.assert_accessible("the password page with an error").await;
    browser.screenshot(&shot(app, "password-error", DESKTOP)).await;

    browser.fill("#current_password", PASSWORD).await;
    browser.fill("#new_password", "short").await;
    browser.fill("#new_password_again", "short").await;
    browser.click("form.form button[type=submit]").await;
    assert!(browser.text("#new_password-error").await.contains("8 至 128"));

    browser.fill("#current_password", PASSWORD).await;
    browser.fill("#new_password", "a-new-password-1").await;
    browser.fill("#new_password_again", "a-new-password-2").await;
    browser.click("form.form button[type=submit]").await;
    assert!(browser.text("#new_password_again-error").await.contains("不一致"));
    assert_eq!(with_cookie(app, "/console/dashboard", &old).await, Ok(200), "nothing changed yet");

    browser.fill("#current_password", PASSWORD).await;
    browser.fill("#new_password", "a-new-password-1").await;
    browser.fill("#new_password_again", "a-new-password-1").await;
    browser.click("form.form button[type=submit]").await;
    assert!(browser.text(".notice--ok").await.contains("密码已修改"));
    browser.screenshot(&shot(app, "password-changed", DESKTOP)).await;
    assert_eq!(
        with_cookie(app, "/console/dashboard", &old).await,
        Err("/login".into()),
        "the old session ended"
    );
    assert_eq!(app.get("/api/v1/auth/me", Some(&office.clerk.token)).await.status, 401, "and the API token");
    browser.goto("/console/dashboard").await;
    assert_eq!(browser.path().await, "/console/dashboard", "this browser goes on with a new session");
    app.login("clerk", "a-new-password-1").await;
}
