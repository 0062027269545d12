//! The demo county loaded as of now, as `casedesk demo` loads it (issue 25):
//! every queue of the workbench has work (the office's and each department's),
//! the dashboard's default view (this year) shows figures beside last year's,
//! 信件选登 lists letters, and the 2024 report still states the office's own
//! figures.

use std::time::Instant;

use actix_web::web;
use chrono::Datelike;

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::pages::{data_attribute, page, sign_in};

/// The 2024 report as the office wrote it (DESIGN.md), as the demo reproduces it.
const REPORT_2024: &str = "公开信箱群众来信225件，已办结223件，平均办结时间缩短4.3天，群众满意率99.4%。
“民呼我为”累计办理事项3878件，办结3836件，办结率98.92%，办结事项群众综合满意率90.47%。
接到中国政府网网民留言转办20件，已全部办结。
接收政府信息公开申请11件，已全部办结。
办理人大代表建议218件、政协委员提案218件，已全部办结，代表委员对办理工作满意率100%、对办理结果满意率100%。";

/// A dashboard tile's `data-value` (the figure over every case of the view).
fn tile(html: &str, figure: &str) -> f64 {
    let marker = format!("data-figure=\"{figure}\" data-value=\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no tile {figure}")) + marker.len();
    let (value, rest) = html[at..].split_once('"').unwrap();
    assert!(rest.starts_with(" data-scope=\"all\""), "{figure} is a tile of the whole view");
    value.parse().unwrap_or_else(|_| panic!("{figure} is {value}"))
}

/// The number of cases a queue of the case list holds for a session.
async fn queue(app: &TestApp, session: &str, queue: &str) -> i64 {
    let (status, html) = page(app, &format!("/console/cases?queue={queue}"), session).await;
    assert_eq!(status, 200, "queue {queue}");
    data_attribute(&html, "total").expect("the list's total").parse().unwrap()
}

async fn the_demo_county_has_work_in_every_queue_and_this_years_figures(app: &TestApp) {
    let db = app.state.db.clone();
    let now = casedesk::domain::time::now_utc();
    let started = Instant::now();
    let demo = web::block(move || casedesk::demo::load(&db, now)).await.unwrap().expect("the demo loads");
    println!(
        "demo on {:?}: {} cases ({} since 2025) in {:.1} s",
        app.backend,
        demo.cases,
        demo.recent,
        started.elapsed().as_secs_f64()
    );
    let login = |role: &str| demo.logins.iter().find(|l| l.role.as_str() == role).expect("a demo account");

    // The office's queues, as the clerk works them.
    let clerk = login("clerk");
    let session = sign_in(app, &clerk.username, &clerk.password).await;
    for name in ["registered", "reviewing", "extension", "overdue", "callback", "rectification"] {
        assert!(queue(app, &session, name).await > 0, "the office's queue {name} is empty");
    }
    // Every department's queues, as its handler works them.
    for handler in demo.logins.iter().filter(|l| l.role.as_str() == "handler") {
        let session = sign_in(app, &handler.username, &handler.password).await;
        for name in ["assigned", "processing", "due_soon", "rejected"] {
            assert!(queue(app, &session, name).await > 0, "{}: queue {name} is empty", handler.username);
        }
    }

    // The leader's dashboard, its default view: this year, beside last year.
    let leader = login("leader");
    let session = sign_in(app, &leader.username, &leader.password).await;
    assert!(queue(app, &session, "appeal").await > 0, "the leaders' queue appeal (待复核) is empty");
    let (status, html) = page(app, "/console/dashboard", &session).await;
    assert_eq!(status, 200);
    for figure in ["received", "closed", "completion_rate", "avg_handling_days", "satisfaction_rate"] {
        assert!(tile(&html, figure) > 0.0, "this year's {figure} on the dashboard is 0");
    }
    let token = app.login(&leader.username, &leader.password).await;
    let year = casedesk::domain::time::office_date(now).year();
    let summary = app
        .get(&format!("/api/v1/stats/summary?from={year}-01-01&to={}-01-01", year + 1), Some(&token))
        .await
        .expect(200)
        .body;
    for figure in ["received", "closed", "rated", "satisfied"] {
        assert!(
            summary["figures"][figure].as_i64() > Some(0),
            "this year's {figure}: {}",
            summary["figures"]
        );
        assert!(
            summary["previous"][figure].as_i64() > Some(0),
            "last year's {figure}: {}",
            summary["previous"]
        );
    }
    assert_eq!(
        tile(&html, "received"),
        summary["figures"]["received"].as_f64().unwrap(),
        "the tile is the API's"
    );

    // 信件选登 lists letters the citizens agreed to publish.
    let (status, letters) = page(app, "/mailbox/letters", "").await;
    assert_eq!(status, 200);
    assert!(letters.matches("data-letter=").count() > 0, "no published letters");

    // The 2024 report is the office's own.
    let report = app.get("/api/v1/reports/annual?year=2024&format=text", Some(&token)).await.expect(200);
    // Each line starts with the office's own sentence; the one on callbacks may follow.
    let lines: Vec<&str> = report.text.lines().collect();
    for (line, sentence) in lines.iter().zip(REPORT_2024.lines()) {
        assert!(line.starts_with(sentence), "the 2024 report changed:\n{}", report.text);
    }
    assert_eq!(lines.len().min(5), REPORT_2024.lines().count(), "{}", report.text);
}

backend_tests!(the_demo_county_has_work_in_every_queue_and_this_years_figures);
