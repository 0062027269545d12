//! The pages as a browser asks for them, without a browser: a client that
//! neither follows redirects nor keeps cookies (so a test sees exactly what
//! the service answers), signing in through the form, pages asked for with a
//! session cookie, forms posted by hand with their CSRF token. What a page
//! test checks over HTTP alone — forms, CSRF, refusals, headers — needs no
//! Chromium; `tests/browser/` drives one for the rest.

use crate::helpers::TestApp;

/// A client that neither follows redirects nor keeps cookies, to see exactly
/// what the service answers.
pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The CSRF token of the first form of a page's HTML.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let at = html.find(marker).expect("a form with a token") + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// The value of the cookie `name` a response sets, if it sets one.
pub fn cookie_set(resp: &reqwest::Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(prefix.as_str()))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// The value of the first `data-NAME="…"` attribute in a page's HTML.
pub fn data_attribute(html: &str, name: &str) -> Option<String> {
    let marker = format!("data-{name}=\"");
    let at = html.find(&marker)? + marker.len();
    html[at..].split('"').next().map(str::to_owned)
}

/// Signs in through the sign-in form as a browser does (its nonce cookie and
/// the form's token); returns the session cookie's value.
pub async fn sign_in(app: &TestApp, username: &str, password: &str) -> String {
    let client = raw_client();
    let url = format!("{}/login", app.base);
    let form = client.get(&url).send().await.unwrap();
    let nonce = cookie_set(&form, "casedesk_csrf").expect("the sign-in form sets its nonce cookie");
    let token = csrf_of(&form.text().await.unwrap());
    let signed_in = client
        .post(&url)
        .header("Cookie", format!("casedesk_csrf={nonce}"))
        .form(&[("username", username), ("password", password), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303, "{username} signs in through the form");
    cookie_set(&signed_in, "casedesk_session").expect("a session cookie")
}

/// Signs out through the console's logout form.
pub async fn sign_out(app: &TestApp, session: &str) {
    let (_, html) = page(app, "/console/cases", session).await;
    let (status, _) = post_form(app, "/logout", session, &[("csrf_token", &csrf_of(&html))]).await;
    assert_eq!(status, 303, "the logout form signs out");
}

/// A page asked for with a session cookie and nothing else: status and HTML.
pub async fn page(app: &TestApp, path: &str, session: &str) -> (u16, String) {
    let resp = raw_client()
        .get(format!("{}{path}", app.base))
        .header("Cookie", format!("casedesk_session={session}"))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Where a page sends a request with this session cookie: `Ok(status)` when it
/// answers itself, `Err(location)` when it redirects.
pub async fn with_cookie(app: &TestApp, path: &str, session: &str) -> Result<u16, String> {
    let resp = raw_client()
        .get(format!("{}{path}", app.base))
        .header("Cookie", format!("casedesk_session={session}"))
        .send()
        .await
        .unwrap();
    match resp.headers().get("location") {
        Some(location) => Err(location.to_str().unwrap().to_owned()),
        None => Ok(resp.status().as_u16()),
    }
}

/// A form posted by hand with a session cookie: status and HTML.
pub async fn post_form(app: &TestApp, path: &str, session: &str, form: &[(&str, &str)]) -> (u16, String) {
    let resp = raw_client()
        .post(format!("{}{path}", app.base))
        .header("Cookie", format!("casedesk_session={session}"))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// A client of the public mailbox's forms, as a citizen's browser is to the
/// service: the CSRF nonce cookie and the form token a page gives, for
/// posting what a page cannot, from an address of its own.
pub struct FormClient {
    /// Its connections come from the address it was made for.
    pub client: reqwest::Client,
    base: String,
    /// `casedesk_csrf=…`, as the form page set it.
    pub cookie: String,
    /// The forms' `csrf_token`.
    pub token: String,
}

impl FormClient {
    /// Reads the look-up form's page from `from` (a loopback address such as
    /// 127.0.0.2, so that limits per address can be told apart).
    pub async fn new(app: &TestApp, from: &str) -> FormClient {
        let client = app.client_from(from);
        let page = client.get(format!("{}/mailbox/lookup", app.base)).send().await.unwrap();
        let cookie = cookie_set(&page, "casedesk_csrf").expect("the form page sets the nonce");
        let token = csrf_of(&page.text().await.unwrap());
        FormClient { client, base: app.base.clone(), cookie: format!("casedesk_csrf={cookie}"), token }
    }

    /// Posts `fields` (and the token) to `path`; returns status, `Retry-After` and the page.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &self.token));
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let retry = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert!(
            resp.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/html"),
            "pages answer with pages"
        );
        (status, retry, resp.text().await.unwrap())
    }
}
