//! `casedesk bench transfer`: the `import` and `export` phases of issue 15.
//!
//! - import: N rows of closed, rated cases of 2023 written to a CSV file
//!   and imported through `transfer::import` (the command line's path), in
//!   rows per second.
//! - export: the database then holds M loaded cases plus the imported ones;
//!   the real service streams them as CSV over HTTP, in rows per second,
//!   with the growth of the process's resident memory during it (the
//!   client reads and drops the chunks, so the growth is the service's).

use std::io::Write;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};

use super::{http, load, peak_rss_mb, reset_peak_rss, round, BenchBackend};
use crate::db::Db;
use crate::progress::Progress;
use crate::transfer::{import, read};

/// Options of `casedesk bench transfer`.
#[derive(Debug, Clone)]
pub struct TransferOptions {
    pub backend: BenchBackend,
    /// PostgreSQL server for `--backend postgres`.
    pub pg_url: String,
    /// Rows to import.
    pub rows: usize,
    /// Cases loaded before the export (besides the imported ones).
    pub cases: usize,
    /// Print one JSON object instead of the table.
    pub json: bool,
}

/// `casedesk bench transfer`.
pub fn transfer(options: TransferOptions) -> Result<(), String> {
    super::run_in_scratch(
        options.backend,
        &options.pg_url,
        options.json,
        |url| {
            let options = &options;
            async move { run(&url, options).await }
        },
        print_table,
    )
}

/// This process's resident memory now, in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// A CSV file of `n` closed and rated cases received in 2023, in the
/// departments the loader creates. The loader numbers its cases of 2024
/// itself, past the tracking counters; in 2023 the import's numbers cannot
/// meet them.
fn write_rows(path: &std::path::Path, n: usize) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut out = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let header = [
        "渠道",
        "外部编号",
        "标题",
        "内容",
        "姓名",
        "电话",
        "收到时间",
        "承办单位",
        "状态",
        "签收时间",
        "答复内容",
        "答复时间",
        "办结时间",
        "满意度",
    ];
    out.write_record(header).map_err(|e| e.to_string())?;
    for i in 0..n {
        let day = 1 + (i % 28);
        let month = 1 + (i / 28) % 12;
        let channel = ["公开信箱", "民呼我为", "中国政府网网民留言"][i % 3];
        let rating = ["满意", "满意", "基本满意", "不满意"][i % 4];
        let record = [
            channel.to_owned(),
            format!("BENCH-{i:07}"),
            "关于小区停车难的问题".to_owned(),
            "我们小区停车位严重不足，希望有关部门协调解决。".to_owned(),
            "王芳".to_owned(),
            format!("138{:08}", i % 100_000_000),
            format!("2023-{month:02}-{day:02} 09:00"),
            format!("承办单位{:02}", i % 50),
            "已办结".to_owned(),
            format!("2023-{month:02}-{day:02} 15:00"),
            "已协调解决。".to_owned(),
            format!("2023-{month:02}-{day:02} 17:00"),
            format!("2023-{month:02}-{day:02} 18:00"),
            rating.to_owned(),
        ];
        out.write_record(&record).map_err(|e| e.to_string())?;
    }
    out.into_inner().map_err(|e| e.to_string())?.flush().map_err(|e| e.to_string())
}

async fn run(url: &str, o: &TransferOptions) -> Result<Value, String> {
    let db = actix_web::web::block({
        let url = url.to_owned();
        move || Db::connect(&url, 4)
    })
    .await
    .map_err(|e| e.to_string())??;
    let (cases, rows) = (o.cases, o.rows);
    let loader = db.clone();
    actix_web::web::block(move || load::bulk_load(&loader, cases))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;

    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("import.csv");
    write_rows(&path, rows)?;
    let importer = db.clone();
    let (record, import_s) = actix_web::web::block(move || {
        let source = read::from_path(&path, None, None).map_err(|e| e.to_string())?;
        let progress = Progress::counted("import", rows as u64, "rows");
        let started = Instant::now();
        let options = import::ImportOptions { file_name: "bench.csv".into(), dry_run: false, actor: None };
        let record = import::run(&importer, source, options, |c| progress.set(c.rows as u64))
            .map_err(|e| e.to_string())?;
        progress.finish();
        Ok::<_, String>((record, started.elapsed().as_secs_f64()))
    })
    .await
    .map_err(|e| e.to_string())??;
    if record.rows_new as usize != rows {
        return Err(format!(
            "the import made {} cases of {rows} rows ({} refused)",
            record.rows_new, record.rows_refused
        ));
    }

    let service = http::start(url, 8).await?;
    let client = awc::Client::builder().timeout(Duration::from_secs(3600)).finish();
    let before_mb = rss_mb();
    reset_peak_rss();
    let progress = Progress::counted("export", (cases + rows) as u64, "rows");
    let started = Instant::now();
    let mut response = client
        .get(format!("{}/api/v1/cases/export?format=csv", service.base))
        .bearer_auth(&service.admin)
        .send()
        .await
        .map_err(|e| format!("export: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("export answered {}", response.status()));
    }
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = response.next().await {
        let chunk = chunk.map_err(|e| format!("export: {e}"))?;
        bytes += chunk.len();
        // Rows hold no line breaks here, so lines are rows (and the header).
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        progress.set(lines.saturating_sub(1) as u64);
    }
    let export_s = started.elapsed().as_secs_f64();
    progress.finish();
    let peak_mb = peak_rss_mb();
    service.handle.stop(true).await;
    let exported = lines.saturating_sub(1);
    if exported != cases + rows {
        return Err(format!("the export holds {exported} rows, the database {}", cases + rows));
    }
    Ok(json!({
        "backend": o.backend.backend().name(),
        "import_rows": rows,
        "import_s": round(import_s),
        "import_rows_per_s": round(rows as f64 / import_s),
        "export_rows": exported,
        "export_mb": round(bytes as f64 / 1e6),
        "export_s": round(export_s),
        "export_rows_per_s": round(exported as f64 / export_s),
        "export_rss_before_mb": round(before_mb),
        "export_rss_growth_mb": round((peak_mb - before_mb).max(0.0)),
    }))
}

fn print_table(r: &Value) {
    println!("casedesk bench transfer ({})", r["backend"].as_str().unwrap_or(""));
    println!("| phase | rows | seconds | rows/s | memory |");
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| import (CSV, closed and rated) | {} | {} | {} | |",
        r["import_rows"], r["import_s"], r["import_rows_per_s"]
    );
    println!(
        "| export (CSV over HTTP, {} MB) | {} | {} | {} | resident +{} MB (from {} MB) |",
        r["export_mb"],
        r["export_rows"],
        r["export_s"],
        r["export_rows_per_s"],
        r["export_rss_growth_mb"],
        r["export_rss_before_mb"]
    );
}
