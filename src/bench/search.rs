//! The text phase of `bench stats` (issue 24): the case list's search for a
//! rare word, a common word, a name and a tracking number, similar cases and
//! the routing suggestion over the loaded cases, timed over HTTP while intake
//! goes on, and the text index's size on disk.

use std::time::Instant;

use serde_json::{json, Map, Value};

use super::http;
use super::load::RARE_WORD;
use crate::db::{self, Db};
use crate::progress::Progress;

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    (samples[index] * 10.0).round() / 10.0
}

async fn timed(
    client: &awc::Client,
    label: &str,
    urls: &[String],
    admin: &str,
    timings: &mut Map<String, Value>,
) -> Result<Vec<Value>, String> {
    let progress = Progress::counted(label.to_owned(), urls.len() as u64, "calls");
    let mut samples = Vec::with_capacity(urls.len());
    let mut bodies = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let started = Instant::now();
        let body = http::call(client, "GET", url, admin, None).await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        if i == 0 {
            bodies.push(body);
        }
        progress.set(i as u64 + 1);
    }
    progress.finish();
    let key = label.replace([' ', '/'], "_");
    timings.insert(format!("{key}_p50_ms"), json!(percentile(&mut samples, 0.5)));
    timings.insert(format!("{key}_p99_ms"), json!(percentile(&mut samples, 0.99)));
    Ok(bodies)
}

/// Times the text features `calls` times each over `cases` loaded cases.
pub(super) async fn measure(
    base: &str,
    admin: &str,
    db: &Db,
    cases: usize,
    calls: usize,
) -> Result<Map<String, Value>, String> {
    let client = http::client();
    let mut timings = Map::new();
    let some_case =
        http::call(&client, "GET", &format!("{base}/api/v1/cases/{}", cases / 2), admin, None).await?;
    let tracking_no = some_case["tracking_no"].as_str().unwrap_or_default().to_owned();
    let encode = |q: &str| form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>();
    for (label, q) in [
        ("search rare word", RARE_WORD),
        ("search common word", "路灯"),
        ("search name", "王建国"),
        ("search tracking number", tracking_no.as_str()),
    ] {
        let urls = vec![format!("{base}/api/v1/cases?q={}", encode(q)); calls];
        let first = timed(&client, label, &urls, admin, &mut timings).await?;
        let found = first.first().map_or(0, |b| b["items"].as_array().map_or(0, Vec::len));
        if found == 0 {
            return Err(format!("the search for {q} found nothing"));
        }
        let key = label.replace(' ', "_");
        timings.insert(format!("{key}_total"), first[0]["total"].clone());
    }
    // Cases spread over the year, not the same one again (no cache helps).
    let ids: Vec<usize> = (0..calls).map(|i| 1 + (i * 7_919) % cases).collect();
    let urls: Vec<String> = ids.iter().map(|id| format!("{base}/api/v1/cases/{id}/similar")).collect();
    timed(&client, "similar", &urls, admin, &mut timings).await?;
    let urls: Vec<String> = ids.iter().map(|id| format!("{base}/api/v1/cases/{id}/routing")).collect();
    timed(&client, "routing", &urls, admin, &mut timings).await?;
    let (bytes, rows) =
        db.write_blocking(|conn| Ok(db::search::index_size(conn)?)).map_err(|e| e.to_string())?;
    timings.insert("index_rows".into(), json!(rows));
    timings.insert("index_mb".into(), json!((bytes as f64 / 1_048_576.0 * 10.0).round() / 10.0));
    timings.insert(
        "index_mb_per_million".into(),
        json!((bytes as f64 / 1_048_576.0 / cases as f64 * 1_000_000.0).round()),
    );
    Ok(timings)
}
