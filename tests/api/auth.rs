//! Logging in and out, throttling, revocation, and tokens that must not work.

use base64::Engine;
use casedesk::auth::token::TokenKeys;
use casedesk::domain::ids::UserId;
use chrono::{Duration, Utc};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{TestApp, ADMIN_PASSWORD, JWT_SECRET, PASSWORD};

async fn login_returns_a_token_for_the_account(app: &TestApp) {
    let resp = app
        .post("/api/v1/auth/login", None, json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .await
        .expect(200);
    assert_eq!(resp.body["user"]["role"], "admin");
    assert!(resp.body["expires_at"].as_str().unwrap().ends_with("+08:00"));
    let token = resp.body["token"].as_str().unwrap();
    let me = app.get("/api/v1/auth/me", Some(token)).await.expect(200);
    assert_eq!(me.body["username"], "admin");
    assert!(me.body.get("password_hash").is_none());
    let wrong =
        app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": "nope-nope"})).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.code(), "unauthenticated");
    let unknown =
        app.post("/api/v1/auth/login", None, json!({"username": "ghost", "password": "nope-nope"})).await;
    assert_eq!(unknown.body["detail"], wrong.body["detail"], "unknown users look like wrong passwords");
}

async fn five_failures_from_one_address_hold_it_back_even_with_the_right_password(app: &TestApp) {
    let admin = app.admin().await;
    app.staff(&admin, "clerk", "clerk", None).await;
    for attempt in 1..=5 {
        let resp = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"username": "admin", "password": format!("guess-{attempt}")}),
            )
            .await;
        assert_eq!(resp.status, 401, "attempt {attempt}");
    }
    let blocked =
        app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    assert_eq!(blocked.status, 429, "{}", blocked.text);
    assert_eq!(blocked.code(), "rate_limited");
    let retry_after: i64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    // Throttling is per username and address: another account still logs
    // in, and tokens already issued keep working.
    app.login("clerk", PASSWORD).await;
    app.get("/api/v1/auth/me", Some(&admin)).await.expect(200);
}

async fn parallel_guesses_cannot_slip_past_the_limit(app: &TestApp) {
    let guesses = (0..24).map(|i| {
        app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": format!("guess-{i}")}))
    });
    let statuses: Vec<u16> = futures_util::future::join_all(guesses).await.iter().map(|r| r.status).collect();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (statuses.len() - refused, refused),
        (5, 19),
        "five guesses are checked, the rest throttled: {statuses:?}"
    );
    let recorded: i64 = app
        .with_conn(|conn| {
            use casedesk::db::schema::login_failures::dsl::*;
            use diesel::prelude::*;
            login_failures.filter(username.eq("admin")).count().get_result(conn).unwrap()
        })
        .await;
    assert_eq!(recorded, 5);
}

async fn the_window_passes_and_success_clears_failures(app: &TestApp) {
    let admin = app.admin().await;
    app.staff(&admin, "clerk", "clerk", None).await;
    for attempt in 1..=4 {
        let resp = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"username": "clerk", "password": format!("guess-{attempt}")}),
            )
            .await;
        assert_eq!(resp.status, 401);
    }
    // A success clears the count: four more failures do not lock the account.
    app.login("clerk", PASSWORD).await;
    for attempt in 1..=4 {
        app.post(
            "/api/v1/auth/login",
            None,
            json!({"username": "clerk", "password": format!("again-{attempt}")}),
        )
        .await
        .expect(401);
    }
    app.login("clerk", PASSWORD).await;
    // Failures older than the window no longer count.
    for attempt in 1..=5 {
        app.post(
            "/api/v1/auth/login",
            None,
            json!({"username": "clerk", "password": format!("x-{attempt}")}),
        )
        .await
        .expect(401);
    }
    app.post("/api/v1/auth/login", None, json!({"username": "clerk", "password": PASSWORD}))
        .await
        .expect(429);
    app.with_conn(|conn| {
        use casedesk::db::schema::login_failures::dsl::*;
        use diesel::prelude::*;
        let long_ago = casedesk::domain::time::now_utc() - Duration::minutes(16);
        diesel::update(login_failures).set(at.eq(long_ago)).execute(conn).unwrap();
    })
    .await;
    app.login("clerk", PASSWORD).await;
}

async fn logout_revokes_every_earlier_token(app: &TestApp) {
    let first = app.admin().await;
    let second = app.admin().await;
    app.send(app.request(reqwest::Method::POST, "/api/v1/auth/logout", Some(&first))).await.expect(204);
    for token in [&first, &second] {
        let resp = app.get("/api/v1/auth/me", Some(token)).await;
        assert_eq!(resp.status, 401);
        assert_eq!(resp.code(), "unauthenticated");
    }
    let fresh = app.admin().await;
    app.get("/api/v1/auth/me", Some(&fresh)).await.expect(200);
}

async fn password_change_revokes_tokens_and_needs_the_current_password(app: &TestApp) {
    let admin = app.admin().await;
    let clerk = app.staff(&admin, "clerk", "clerk", None).await;
    let wrong = app
        .post(
            "/api/v1/auth/password",
            Some(&clerk.token),
            json!({"current_password": "not-it-at-all", "new_password": "a-new-password"}),
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.body["errors"][0]["field"], "current_password");
    let short = app
        .post(
            "/api/v1/auth/password",
            Some(&clerk.token),
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(short.status, 422);
    let changed = app
        .post(
            "/api/v1/auth/password",
            Some(&clerk.token),
            json!({"current_password": PASSWORD, "new_password": "a-new-password"}),
        )
        .await
        .expect(200);
    assert_eq!(app.get("/api/v1/auth/me", Some(&clerk.token)).await.status, 401, "old token revoked");
    let new_token = changed.body["token"].as_str().unwrap();
    app.get("/api/v1/auth/me", Some(new_token)).await.expect(200);
    app.login("clerk", "a-new-password").await;
    app.post("/api/v1/auth/login", None, json!({"username": "clerk", "password": PASSWORD}))
        .await
        .expect(401);
}

async fn deactivated_accounts_lose_access_at_once(app: &TestApp) {
    let admin = app.admin().await;
    let clerk = app.staff(&admin, "clerk", "clerk", None).await;
    app.patch(&format!("/api/v1/users/{}", clerk.id), Some(&admin), json!({"active": false}))
        .await
        .expect(200);
    assert_eq!(app.get("/api/v1/auth/me", Some(&clerk.token)).await.status, 401);
    app.post("/api/v1/auth/login", None, json!({"username": "clerk", "password": PASSWORD}))
        .await
        .expect(401);
    let me = app.get("/api/v1/auth/me", Some(&admin)).await.expect(200);
    let last_admin =
        app.patch(&format!("/api/v1/users/{}", me.body["id"]), Some(&admin), json!({"role": "clerk"})).await;
    assert_eq!(last_admin.status, 409, "the last admin cannot be demoted: {}", last_admin.text);
    app.get("/api/v1/auth/me", Some(&admin)).await.expect(200);
}

async fn forged_expired_and_unsigned_tokens_are_refused(app: &TestApp) {
    let admin = app.admin().await;
    let keys = TokenKeys::new(JWT_SECRET.as_bytes(), 8);
    let (expired, _) = keys.issue(UserId(1), 0, Utc::now() - Duration::hours(9)).unwrap();
    let (foreign, _) =
        TokenKeys::new(b"another-secret-another-secret-another", 8).issue(UserId(1), 0, Utc::now()).unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = admin.split('.').nth(1).unwrap();
    let unsigned = format!("{}.{claims}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#));
    let hs512 = format!(
        "{}.{claims}.{}",
        b64.encode(r#"{"alg":"HS512","typ":"JWT"}"#),
        admin.split('.').nth(2).unwrap()
    );
    let tampered = {
        let mut parts: Vec<String> = admin.split('.').map(str::to_owned).collect();
        let mut body: serde_json::Value = serde_json::from_slice(&b64.decode(&parts[1]).unwrap()).unwrap();
        body["sub"] = json!("2");
        parts[1] = b64.encode(body.to_string());
        parts.join(".")
    };
    let (unknown_user, _) = keys.issue(UserId(424242), 0, Utc::now()).unwrap();
    for (what, token) in [
        ("expired", expired.as_str()),
        ("foreign key", foreign.as_str()),
        ("alg none", unsigned.as_str()),
        ("alg swapped", hs512.as_str()),
        ("tampered", tampered.as_str()),
        ("unknown user", unknown_user.as_str()),
        ("garbage", "not.a.token"),
    ] {
        let resp = app.get("/api/v1/cases", Some(token)).await;
        assert_eq!(resp.status, 401, "{what}: {}", resp.text);
        assert_eq!(resp.code(), "unauthenticated", "{what}");
    }
    for header in ["Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer    "] {
        let resp = app
            .send(app.request(reqwest::Method::GET, "/api/v1/cases", None).header("Authorization", header))
            .await;
        assert_eq!(resp.status, 401, "{header}");
    }
}

/// An attacker guessing from one address slows only their own guesses: the
/// account's owner at another address logs in at once.
async fn guesses_from_one_address_do_not_lock_out_the_owner_at_another(app: &TestApp) {
    let attacker = app.client_from("127.0.0.2");
    for attempt in 1..=8 {
        let guess = json!({"username": "admin", "password": format!("guess-{attempt}")});
        app.send_via(&attacker, app.request(reqwest::Method::POST, "/api/v1/auth/login", None).json(&guess))
            .await;
    }
    let right = json!({"username": "admin", "password": ADMIN_PASSWORD});
    let held_back = app
        .send_via(&attacker, app.request(reqwest::Method::POST, "/api/v1/auth/login", None).json(&right))
        .await;
    assert_eq!((held_back.status, held_back.code()), (429, "rate_limited"), "{}", held_back.text);
    app.login("admin", ADMIN_PASSWORD).await;
}

/// One address may not try many usernames (password spraying): after 20
/// failures across usernames within the window, it is refused for all.
async fn one_address_cannot_spray_many_usernames(app: &TestApp) {
    let admin = app.admin().await;
    for i in 0..21 {
        app.staff(&admin, &format!("user-{i:02}"), "clerk", None).await;
    }
    let sprayer = app.client_from("127.0.0.3");
    let mut statuses = Vec::new();
    for i in 0..21 {
        let guess = json!({"username": format!("user-{i:02}"), "password": "Password123"});
        let resp = app
            .send_via(&sprayer, app.request(reqwest::Method::POST, "/api/v1/auth/login", None).json(&guess))
            .await;
        statuses.push(resp.status);
    }
    assert_eq!(&statuses[..20], &[401; 20], "twenty checks: {statuses:?}");
    assert_eq!(statuses[20], 429, "the twenty-first is refused: {statuses:?}");
    app.login("user-20", PASSWORD).await;
}

/// Guessing the current password with a stolen token is throttled like a login.
async fn password_changes_are_throttled_like_logins(app: &TestApp) {
    let admin = app.admin().await;
    let clerk = app.staff(&admin, "clerk", "clerk", None).await;
    let guess =
        |i: usize| json!({"current_password": format!("guess-{i}-guess"), "new_password": "a-new-password"});
    for i in 0..5 {
        app.post("/api/v1/auth/password", Some(&clerk.token), guess(i)).await.expect(422);
    }
    let held_back = app.post("/api/v1/auth/password", Some(&clerk.token), guess(5)).await;
    assert_eq!((held_back.status, held_back.code()), (429, "rate_limited"), "{}", held_back.text);
    assert!(held_back.header("retry-after").is_some());
}

/// A name no account could have ("No Such!User") is throttled like any
/// other: each try still costs a password hash, so it must not be free.
async fn impossible_usernames_are_throttled_like_real_ones(app: &TestApp) {
    let guesser = app.client_from("127.0.0.5");
    let mut statuses = Vec::new();
    for attempt in 0..6 {
        let guess = json!({"username": "No Such!User", "password": format!("guess-{attempt}")});
        let resp = app
            .send_via(&guesser, app.request(reqwest::Method::POST, "/api/v1/auth/login", None).json(&guess))
            .await;
        statuses.push(resp.status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    let sprayer = app.client_from("127.0.0.6");
    let mut statuses = Vec::new();
    for i in 0..21 {
        let guess = json!({"username": format!("Nobody {i} {}", "x".repeat(100)), "password": "Password123"});
        let resp = app
            .send_via(&sprayer, app.request(reqwest::Method::POST, "/api/v1/auth/login", None).json(&guess))
            .await;
        statuses.push(resp.status);
    }
    assert_eq!(statuses[20], 429, "impossible names count against the address too: {statuses:?}");
    let stored: Vec<String> = app
        .with_conn(|conn| {
            use casedesk::db::schema::login_failures::dsl::*;
            use diesel::prelude::*;
            login_failures.select(username).load(conn).unwrap()
        })
        .await;
    assert!(stored.iter().all(|name| name.chars().count() <= 64), "long guesses are not stored whole");
}

/// Guesses at one account from many addresses (each below its own limits)
/// meet the per-account cap: after 50 failures within the hour, a sign-in
/// from an address the account never used waits, even with the right
/// password; from an address where it signed in before, the owner gets in.
async fn an_account_guessed_from_many_addresses_slows_down_except_where_it_signed_in(app: &TestApp) {
    async fn login(
        app: &TestApp,
        client: &reqwest::Client,
        body: &serde_json::Value,
    ) -> crate::helpers::Resp {
        app.send_via(client, app.request(reqwest::Method::POST, "/api/v1/auth/login", None).json(body)).await
    }
    let owner = app.client_from("127.0.3.1");
    let right = json!({"username": "admin", "password": ADMIN_PASSWORD});
    login(app, &owner, &right).await.expect(200);
    for i in 1..=50 {
        let attacker = app.client_from(&format!("127.0.4.{i}"));
        let guess = json!({"username": "admin", "password": format!("guess-{i}")});
        let resp = login(app, &attacker, &guess).await;
        assert_eq!(resp.status, 401, "guess {i} is the first from its address");
    }
    let stranger = app.client_from("127.0.5.1");
    let held_back = login(app, &stranger, &right).await;
    assert_eq!((held_back.status, held_back.code()), (429, "rate_limited"), "{}", held_back.text);
    assert!(held_back.header("retry-after").is_some());
    assert!(held_back.body["detail"].as_str().unwrap().contains("signed in before"));
    login(app, &owner, &right).await.expect(200);
    let another = app.client_from("127.0.4.51");
    let guess = json!({"username": "admin", "password": "guess-51"});
    assert_eq!(login(app, &another, &guess).await.status, 429, "the guesses slow down too");
}

backend_tests!(
    impossible_usernames_are_throttled_like_real_ones,
    an_account_guessed_from_many_addresses_slows_down_except_where_it_signed_in,
    guesses_from_one_address_do_not_lock_out_the_owner_at_another,
    one_address_cannot_spray_many_usernames,
    password_changes_are_throttled_like_logins,
    parallel_guesses_cannot_slip_past_the_limit,
    login_returns_a_token_for_the_account,
    five_failures_from_one_address_hold_it_back_even_with_the_right_password,
    the_window_passes_and_success_clears_failures,
    logout_revokes_every_earlier_token,
    password_change_revokes_tokens_and_needs_the_current_password,
    deactivated_accounts_lose_access_at_once,
    forged_expired_and_unsigned_tokens_are_refused,
);
