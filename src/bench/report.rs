//! The tables `casedesk bench` prints without `--json`.

use serde_json::Value;

use super::{ApiOptions, StatsOptions};

/// Prints the figures of `bench api` as a table.
pub(super) fn print_api_table(r: &Value, o: &ApiOptions) {
    println!(
        "casedesk bench api — {}, {} clients, {:.0} s per phase (client and server on this machine)",
        r["backend"].as_str().unwrap_or(""),
        o.concurrency,
        o.duration.as_secs_f64()
    );
    println!("{:<34} {:>10} {:>9} {:>9} {:>9}", "phase", "per second", "p50 ms", "p99 ms", "max ms");
    for (label, key) in [
        ("intake (POST /cases)", "intake"),
        ("one case by id", "get"),
        ("list page of 50", "list"),
        ("workflow (4 requests)", "workflow"),
    ] {
        let f = |suffix: &str| r[format!("{key}_{suffix}")].as_f64().unwrap_or(0.0);
        println!(
            "{:<34} {:>10.0} {:>9.2} {:>9.2} {:>9.2}",
            label,
            f("rps"),
            f("p50_ms"),
            f("p99_ms"),
            f("max_ms")
        );
    }
    let f = |key: &str| r[key].as_f64().unwrap_or(0.0);
    println!(
        "{:<34} {:>10.0} {:>9} {:>9.2}",
        "intake, direct to the database",
        f("limit_rps"),
        "",
        f("limit_p99_ms")
    );
    println!("intake over HTTP / database limit: {}", r["intake_ratio"]);
    println!(
        "peak resident memory: service {} MB, load generator (a process of its own) {} MB",
        r["server_peak_rss_mb"], r["client_peak_rss_mb"]
    );
    println!("errors: {}", r["errors"]);
}

/// Prints the figures of `bench stats` as a table.
pub(super) fn print_stats_table(report: &Value, options: &StatsOptions) {
    println!(
        "casedesk bench stats — {}, {} cases received in 2024, median of {} calls each, intake going on at {}/s",
        report["backend"].as_str().unwrap_or(""),
        report["cases"],
        options.repeat,
        options.intake_rate
    );
    println!("{:<40} {:>10} {:>10}", "endpoint", "median ms", "max ms");
    for (label, key) in [
        ("GET /stats/summary", "summary"),
        ("GET /stats/by-channel", "by_channel"),
        ("GET /stats/by-department", "by_department"),
        ("GET /stats/trend?interval=month", "trend"),
        ("GET /stats/scorecard (a year)", "scorecard"),
        ("GET /stats/topics (a year)", "topics"),
        ("page /console/dashboard (a year)", "dashboard"),
        ("page /console/cases", "case_list"),
        ("page /console/cases?queue=overdue", "case_queue"),
        ("page /console/cases/1", "case_page"),
    ] {
        let f = |suffix: &str| report[format!("{key}_{suffix}")].as_f64().unwrap_or(0.0);
        println!("{:<40} {:>10.2} {:>10.2}", label, f("ms"), f("max_ms"));
    }
    println!("dashboard HTML and stylesheet: {} KB", report["dashboard_kb"]);
    println!("{:<40} {:>10} {:>10}", "text (issue 24)", "p50 ms", "p99 ms");
    for (label, key) in [
        ("GET /cases?q= a rare word", "search_rare_word"),
        ("GET /cases?q= a common word", "search_common_word"),
        ("GET /cases?q= a name", "search_name"),
        ("GET /cases?q= a tracking number", "search_tracking_number"),
        ("GET /cases/{id}/similar", "similar"),
        ("GET /cases/{id}/routing", "routing"),
    ] {
        let f = |suffix: &str| report[format!("{key}_{suffix}")].as_f64().unwrap_or(0.0);
        println!("{:<40} {:>10.1} {:>10.1}", label, f("p50_ms"), f("p99_ms"));
    }
    println!(
        "text index: {} rows, {} MB ({} MB per million cases), filled at start in {} s",
        report["index_rows"], report["index_mb"], report["index_mb_per_million"], report["index_build_s"]
    );
    println!("load: {} s; intake during the measurement: {} cases/s", report["load_s"], report["intake_rps"]);
}
