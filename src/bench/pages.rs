//! The pages phase of `casedesk bench stats`: the console's pages over the
//! loaded cases, as a browser asks for them (a session cookie from the
//! sign-in form), timed on the client; on one machine, with keep-alive, that
//! is the server's time plus a loopback round trip.

use std::time::Instant;

use serde_json::{json, Map, Value};

use super::round;
use crate::progress::Progress;

/// The pages timed, with the key they are reported under.
const PAGES: [(&str, &str); 4] = [
    ("dashboard", "/console/dashboard?from=2024-01-01&to=2025-01-01"),
    ("case_list", "/console/cases"),
    ("case_queue", "/console/cases?queue=overdue"),
    ("case_page", "/console/cases/1"),
];

fn cookie_value(headers: &actix_web::http::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(actix_web::http::header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// Signs in through the form, as a browser does: the form's nonce cookie and
/// token, then the session cookie.
pub(super) async fn sign_in(base: &str, username: &str, password: &str) -> Result<String, String> {
    // The session cookie comes with the redirect: do not follow it.
    let client = awc::Client::builder().disable_redirects().finish();
    let mut form = client.get(format!("{base}/login")).send().await.map_err(|e| e.to_string())?;
    let nonce =
        cookie_value(form.headers(), "casedesk_csrf").ok_or("the sign-in form sets no nonce cookie")?;
    let html = form.body().await.map_err(|e| e.to_string())?;
    let html = String::from_utf8_lossy(&html);
    let marker = "name=\"csrf_token\" value=\"";
    let at = html.find(marker).ok_or("the sign-in form has no token")? + marker.len();
    let token = html[at..].split('"').next().unwrap_or_default().to_owned();
    let signed_in = client
        .post(format!("{base}/login"))
        .insert_header(("Cookie", format!("casedesk_csrf={nonce}")))
        .send_form(&[("csrf_token", token.as_str()), ("username", username), ("password", password)])
        .await
        .map_err(|e| e.to_string())?;
    cookie_value(signed_in.headers(), "casedesk_session")
        .ok_or_else(|| format!("sign-in failed: {}", signed_in.status()))
}

async fn get(client: &awc::Client, url: &str, session: &str) -> Result<actix_web::web::Bytes, String> {
    let mut response = client
        .get(url)
        .insert_header(("Cookie", format!("casedesk_session={session}")))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.body().limit(8 * 1024 * 1024).await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("{url}: {status}"));
    }
    Ok(body)
}

/// Times each page `repeat` times (median and maximum, ms) and weighs the
/// dashboard with its stylesheet.
pub(super) async fn measure(base: &str, session: &str, repeat: usize) -> Result<Map<String, Value>, String> {
    let client = super::http::client();
    let mut report = Map::new();
    for (key, path) in PAGES {
        let url = format!("{base}{path}");
        let progress = Progress::counted(
            format!("GET {}", path.split('?').next().unwrap_or(path)),
            repeat as u64,
            "calls",
        );
        let mut samples = Vec::with_capacity(repeat);
        for i in 0..repeat {
            let started = Instant::now();
            get(&client, &url, session).await?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            progress.set(i as u64 + 1);
        }
        progress.finish();
        samples.sort_by(f64::total_cmp);
        report.insert(format!("{key}_ms"), json!(round(samples[samples.len() / 2])));
        report.insert(format!("{key}_max_ms"), json!(round(samples[samples.len() - 1])));
    }
    let html = get(&client, &format!("{base}{}", PAGES[0].1), session).await?;
    let text = String::from_utf8_lossy(&html);
    let css_path = text
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("the dashboard links no stylesheet")?;
    let css = get(&client, &format!("{base}{css_path}"), session).await?;
    report.insert("dashboard_kb".into(), json!(round((html.len() + css.len()) as f64 / 1024.0)));
    Ok(report)
}
