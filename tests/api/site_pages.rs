//! The pages over plain HTTP, as a browser's requests reach them, on both
//! backends and without a browser: the public pages' headers and the
//! stylesheet's caching, unknown pages as pages beside the API's problem+json,
//! the CSRF refusals of the sign-in and logout forms, and a session's idle
//! timeout. What needs a browser (layout, axe, the forms as typed) is in
//! `tests/browser/`.

use chrono::{Duration, Utc};

use crate::backend_tests;
use crate::helpers::{Office, TestApp, PASSWORD};
use crate::pages::{raw_client, sign_in, with_cookie};

backend_tests!(
    pages_carry_security_headers_and_the_stylesheet_is_immutable,
    unknown_pages_are_pages_and_the_api_keeps_problem_json,
    login_without_or_with_a_wrong_csrf_token_is_refused,
    an_idle_session_ends_and_a_request_renews_it,
);

async fn pages_carry_security_headers_and_the_stylesheet_is_immutable(app: &TestApp) {
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

async fn unknown_pages_are_pages_and_the_api_keeps_problem_json(app: &TestApp) {
    // In a browser, the 404 page passes axe: `tests/browser/public.rs`.
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

async fn login_without_or_with_a_wrong_csrf_token_is_refused(app: &TestApp) {
    let _office = app.office().await;
    let client = raw_client();
    let url = format!("{}/login", app.base);
    let form = client.get(&url).send().await.unwrap();
    let nonce = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("casedesk_csrf="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("the form sets its nonce cookie");
    let html = form.text().await.unwrap();
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let post = |fields: Vec<(&'static str, String)>, cookie: Option<String>| {
        let mut request = client.post(&url).form(&fields);
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        request.send()
    };
    let login = || vec![("username", "clerk".to_owned()), ("password", PASSWORD.to_owned())];
    // One hex digit changed, whatever the token holds (a token without an
    // `a` made `replace('a', "b")` change nothing, one run in sixty).
    let altered = |t: &str| {
        let first = if t.starts_with('0') { "1" } else { "0" };
        format!("{first}{}", &t[1..])
    };
    let cookie = Some(format!("casedesk_csrf={nonce}"));
    let with = |t: &str| {
        let mut fields = login();
        fields.push(("csrf_token", t.to_owned()));
        fields
    };
    let cases = [
        ("no token", login(), cookie.clone()),
        ("a wrong token", with("0".repeat(64).as_str()), cookie.clone()),
        ("another form's token", with(&altered(&token)), cookie.clone()),
        ("the token without its cookie", with(&token), None),
        ("the token with another nonce", with(&token), Some(format!("casedesk_csrf={}", "f".repeat(32)))),
    ];
    for (what, fields, cookie) in cases {
        // Six refusals: were they counted as failed logins, the throttle would now refuse.
        let resp = post(fields, cookie).await.unwrap();
        assert_eq!(resp.status(), 403, "{what}");
        assert!(
            !resp
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|v| v.to_str().unwrap().starts_with("casedesk_session")),
            "{what}: no session"
        );
        assert!(resp.text().await.unwrap().contains("表单已失效"), "{what}: a page saying why");
    }
    let ok = post(with(&token), cookie.clone()).await.unwrap();
    assert_eq!(ok.status(), 303, "the right token signs in, and nothing before was counted");
    assert_eq!(ok.headers().get("location").unwrap(), "/console/");

    // In a browser, a tampered token gives the refusal page: `tests/browser/sessions.rs`.
    // Logout needs the session's token too.
    let session = sign_in(app, "clerk", PASSWORD).await;
    let forged = client
        .post(format!("{}/logout", app.base))
        .header("Cookie", format!("casedesk_session={session}"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(with_cookie(app, "/console/dashboard", &session).await, Ok(200), "still signed in");
}

async fn an_idle_session_ends_and_a_request_renews_it(app: &TestApp) {
    let office: Office = app.office().await;
    // Revoked and deactivated sessions, in a browser: `tests/browser/sessions.rs`.
    // Idle longer than CASEDESK_SESSION_IDLE_MINUTES: a session last renewed 31 minutes ago.
    let clerk = casedesk::domain::ids::UserId(office.clerk.id);
    let epoch =
        app.with_conn(move |conn| casedesk::db::users::find(conn, clerk).unwrap().unwrap().token_epoch).await;
    let idle = app
        .state
        .tokens
        .issue_session(clerk, epoch, Utc::now() - Duration::minutes(31), Duration::minutes(30))
        .unwrap();
    assert_eq!(with_cookie(app, "/console/dashboard", &idle).await, Err("/login".into()));
    let fresh = app
        .state
        .tokens
        .issue_session(clerk, epoch, Utc::now() - Duration::minutes(29), Duration::minutes(30))
        .unwrap();
    assert_eq!(with_cookie(app, "/console/dashboard", &fresh).await, Ok(200), "29 minutes idle is fine");
    // A request renews the idle deadline (the cookie comes back with a later one).
    let renewed = raw_client()
        .get(format!("{}/console/dashboard", app.base))
        .header("Cookie", format!("casedesk_session={fresh}"))
        .send()
        .await
        .unwrap();
    let set = renewed.headers().get("set-cookie").expect("renewed").to_str().unwrap().to_owned();
    assert!(
        set.starts_with("casedesk_session=") && set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let renewed_token = set.trim_start_matches("casedesk_session=").split(';').next().unwrap();
    let claims = app.state.tokens.verify(renewed_token).unwrap();
    assert!(claims.idle_until.unwrap() >= (Utc::now() + Duration::minutes(29)).timestamp());
}
