//! `casedesk bench` end to end, in a test binary of its own: cargo runs test
//! binaries one after another, so the benchmarks' load does not share the
//! machine with the API suite (whose timing-sensitive tests, such as the
//! SQLite log staying small under writers, it would disturb).

use std::process::Command;

/// The PostgreSQL server the suite uses (as in `tests/api/helpers.rs`).
fn pg_base_url() -> String {
    std::env::var("CASEDESK_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Runs `casedesk bench …` against a scratch database of `backend` and
/// returns the JSON object it prints, and its progress (standard error, a pipe here).
fn bench_json(backend: &str, args: &[&str]) -> (serde_json::Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_casedesk"))
        .env_remove("DATABASE_URL")
        .arg("bench")
        .args(args)
        .args(["--backend", backend, "--pg-url", &pg_base_url(), "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "bench failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("one JSON object on stdout ({e}): {stdout}"));
    assert_eq!(report["backend"], backend);
    let progress = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!progress.contains(['\r', '\x1b']), "no redrawn lines in a pipe: {progress:?}");
    (report, progress)
}

/// Progress in a pipe is one line as each phase ends, with its count.
fn assert_phase_lines(progress: &str, phases: &[&str]) {
    for phase in phases {
        assert_eq!(
            progress.lines().filter(|line| line.starts_with(phase)).count(),
            1,
            "one line for {phase}: {progress}"
        );
    }
}

/// The benchmarks run end to end and print every figure the closing notes
/// quote, measured rather than written in.
fn benchmarks_print_measured_figures(backend: &str) {
    let (api, progress) =
        bench_json(backend, &["api", "--duration", "1", "--concurrency", "2", "--pool-size", "4"]);
    assert_eq!(api["concurrency"], 2);
    assert_eq!(api["errors"], 0, "{api}");
    for key in [
        "intake_rps",
        "limit_rps",
        "intake_ratio",
        "get_rps",
        "list_rps",
        "workflow_rps",
        "server_peak_rss_mb",
    ] {
        assert!(api[key].as_f64().is_some_and(|v| v > 0.0), "{key} measured: {api}");
    }
    assert_phase_lines(
        &progress,
        &[
            "intake, direct to the database: ",
            "intake over HTTP: ",
            "one case by id: ",
            "list page of 50: ",
            "workflow (assign, accept, reply, approve): ",
        ],
    );
    let p50 = api["intake_p50_ms"].as_f64().unwrap();
    assert!(api["intake_p99_ms"].as_f64().is_some_and(|p99| p99 >= p50), "{api}");

    // bench stats itself refuses to report unless the summary counts every loaded case.
    let (stats, progress) =
        bench_json(backend, &["stats", "--cases", "3000", "--repeat", "3", "--intake-rate", "5"]);
    assert_eq!(stats["cases"], 3000);
    for key in [
        "summary_ms",
        "by_channel_ms",
        "by_department_ms",
        "trend_ms",
        "dashboard_ms",
        "case_list_ms",
        "case_queue_ms",
        "case_page_ms",
        "dashboard_kb",
    ] {
        assert!(stats[key].as_f64().is_some_and(|v| v > 0.0), "{key} measured: {stats}");
    }
    assert_phase_lines(
        &progress,
        &[
            "loading cases: 3000/3000 in ",
            "GET /api/v1/stats/summary: 3/3 calls in ",
            "GET /console/dashboard: 3/3 calls in ",
        ],
    );
}

#[test]
fn benchmarks_print_measured_figures_on_sqlite() {
    benchmarks_print_measured_figures("sqlite");
}

#[test]
fn benchmarks_print_measured_figures_on_postgres() {
    benchmarks_print_measured_figures("postgres");
}
