//! IPv6 clients behind a trusted proxy are counted per /64 (issue 21): a
//! subscriber holds a whole /64 and can pick any of its 2^64 addresses, so
//! counting full addresses limited nothing. Another /64 is another client.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests_with;
use crate::helpers::{Resp, TestApp, ADMIN_PASSWORD};

/// The test client connects from loopback, which is the trusted proxy here.
fn behind_a_proxy(settings: &mut casedesk::config::Settings) {
    settings.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
}

/// A request as the proxy forwards it for `client`.
async fn from(
    app: &TestApp,
    client: &str,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Resp {
    let mut request = app.request(method, path, None).header("x-forwarded-for", client);
    if let Some(body) = body {
        request = request.json(&body);
    }
    app.send(request).await
}

async fn login_from(app: &TestApp, client: &str, password: &str) -> Resp {
    from(
        app,
        client,
        Method::POST,
        "/api/v1/auth/login",
        Some(json!({"username": "admin", "password": password})),
    )
    .await
}

/// 25 wrong admin passwords from 2001:db8:bb::1…25 are five free guesses
/// and then refusals, and the right password from the same /64 waits too;
/// the owner in another /64 signs in at once.
async fn password_guesses_from_one_64_are_one_client(app: &TestApp) {
    let mut statuses = Vec::new();
    for i in 1..=25 {
        statuses.push(login_from(app, &format!("2001:db8:bb::{i:x}"), &format!("guess-{i}")).await.status);
    }
    assert_eq!(&statuses[..5], &[401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let right = login_from(app, "2001:db8:bb:0:ffff::99", ADMIN_PASSWORD).await;
    assert_eq!((right.status, right.code()), (429, "rate_limited"), "{}", right.text);
    login_from(app, "2001:db8:cc::1", ADMIN_PASSWORD).await.expect(200);
}

/// Twenty-one usernames sprayed from as many addresses of one /64: the
/// twenty-first is refused, as from one address.
async fn a_username_spray_from_one_64_meets_the_address_budget(app: &TestApp) {
    let mut statuses = Vec::new();
    for i in 1..=22 {
        let guess = json!({"username": format!("user-{i:02}"), "password": "Password123"});
        let client = format!("2001:db8:bb::{:x}", 0x100 + i);
        statuses.push(from(app, &client, Method::POST, "/api/v1/auth/login", Some(guess)).await.status);
    }
    assert_eq!(&statuses[..20], &[401; 20], "{statuses:?}");
    assert_eq!(&statuses[20..], &[429, 429], "{statuses:?}");
}

fn letter(i: usize) -> serde_json::Value {
    json!({"title": format!("来信{i}"), "content": "小区路灯不亮。"})
}

/// Letters and query-code guesses are counted per /64 as well.
async fn letters_and_lookups_from_one_64_share_their_limits(app: &TestApp) {
    let mut letters = Vec::new();
    for i in 1..=6 {
        let client = format!("2001:db8:bb::{:x}", 0x200 + i);
        letters.push(from(app, &client, Method::POST, "/api/v1/public/cases", Some(letter(i))).await.status);
    }
    assert_eq!(letters, [201, 201, 201, 201, 201, 429]);
    from(app, "2001:db8:cc::1", Method::POST, "/api/v1/public/cases", Some(letter(7))).await.expect(201);
    let mut lookups = Vec::new();
    for i in 1..=31 {
        let client = format!("2001:db8:dd::{:x}", i);
        let path = format!("/api/v1/public/cases/MB2026{i:06}?code=WRONGCODE2");
        lookups.push(from(app, &client, Method::GET, &path, None).await.status);
    }
    assert_eq!(&lookups[..30], &[404; 30], "{lookups:?}");
    assert_eq!(lookups[30], 429, "the 31st guess from the /64 is refused: {lookups:?}");
}

backend_tests_with!(
    behind_a_proxy;
    password_guesses_from_one_64_are_one_client,
    a_username_spray_from_one_64_meets_the_address_budget,
    letters_and_lookups_from_one_64_share_their_limits,
);
