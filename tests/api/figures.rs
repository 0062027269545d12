//! Figures and the annual report over HTTP: a dataset of known composition,
//! every figure checked; the rollups equal a recount after a random
//! workload; the report's wording and workbook.

use std::collections::BTreeMap;

use casedesk::db::rollups::{self, Grouping};
use casedesk::domain::calendar::{parse_csv, Calendar};
use casedesk::domain::figures::Scope;
use casedesk::domain::time;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp};

const SCHEDULE: &str = include_str!("../../migrations/seed/cn-holidays.csv");

fn today() -> NaiveDate {
    time::office_date(time::now_utc())
}

fn at(day: NaiveDate) -> String {
    format!("{day}T10:00:00+08:00")
}

fn instant(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap()
}

/// Half-up hundredths of n/d, the service's rounding.
fn hundredths(n: i128, d: i128) -> f64 {
    (((2 * n * 100 + d) / (2 * d)) as f64) / 100.0
}

struct Dataset {
    closed: Vec<Value>,
    from: NaiveDate,
    to: NaiveDate,
}

/// Takes a case through to closure.
async fn close(app: &TestApp, office: &Office, id: i64, department: i64) {
    app.act(&office.clerk.token, id, "assign", json!({"department_id": department})).await.expect(200);
    let handler =
        if department == office.dept_a { &office.handler.token } else { &office.other_handler.token };
    app.act(handler, id, "accept", json!({})).await.expect(200);
    app.act(handler, id, "reply", json!({"reply": "已办理。"})).await.expect(200);
    app.act(&office.clerk.token, id, "approve", json!({})).await.expect(200);
}

async fn citizen_rates(app: &TestApp, case: &Value, rating: &str) {
    let path = format!(
        "/api/v1/public/cases/{}/rating?code={}",
        case["tracking_no"].as_str().unwrap(),
        case["query_code"].as_str().unwrap()
    );
    app.post(&path, None, json!({"rating": rating})).await.expect(200);
}

async fn load_dataset(app: &TestApp, office: &Office) -> Dataset {
    let t = today();
    let new = |channel: &str, days_ago: i64| {
        let body = json!({"channel": channel, "received_at": at(t - Duration::days(days_ago))});
        app.new_case(&office.clerk.token, body)
    };
    let c1 = new("mailbox", 40).await;
    let c2 = new("mailbox", 30).await;
    let c3 = new("mailbox", 1).await;
    let c4 = new("mailbox", 60).await;
    let c5 = new("mailbox", 5).await;
    let c6 = new("minhu", 10).await;
    let c7 = new("suggestion", 50).await;
    let c8 = app
        .new_case(
            &office.clerk.token,
            json!({"received_at": at((t - Duration::days(40)) - Duration::days(365))}),
        )
        .await;
    let id = |c: &Value| c["id"].as_i64().unwrap();
    close(app, office, id(&c1), office.dept_a).await;
    citizen_rates(app, &c1, "satisfied").await;
    close(app, office, id(&c2), office.dept_a).await;
    app.act(&office.clerk.token, id(&c2), "rate", json!({"rating": "unsatisfied"})).await.expect(200);
    app.act(&office.leader.token, id(&c2), "reopen", json!({"reason": "回访不满意"})).await.expect(200);
    app.act(&office.handler.token, id(&c2), "reply", json!({"reply": "已重新办理。"})).await.expect(200);
    app.act(&office.clerk.token, id(&c2), "approve", json!({})).await.expect(200);
    citizen_rates(app, &c2, "basically_satisfied").await;
    close(app, office, id(&c3), office.dept_a).await;
    app.act(&office.clerk.token, id(&c4), "assign", json!({"department_id": office.dept_a}))
        .await
        .expect(200);
    app.act(&office.clerk.token, id(&c5), "invalidate", json!({"reason": "重复"})).await.expect(200);
    close(app, office, id(&c6), office.dept_b).await;
    app.act(&office.clerk.token, id(&c6), "rate", json!({"rating": "unsatisfied"})).await.expect(200);
    close(app, office, id(&c7), office.dept_a).await;
    app.act(
        &office.clerk.token,
        id(&c7),
        "rate",
        json!({"rating": "satisfied", "result_rating": "unsatisfied"}),
    )
    .await
    .expect(200);
    close(app, office, id(&c8), office.dept_a).await;
    citizen_rates(app, &c8, "satisfied").await;
    let mut closed = Vec::new();
    for c in [&c1, &c2, &c3, &c6, &c7] {
        closed.push(app.case(office, id(c)).await);
    }
    Dataset { closed, from: t - Duration::days(70), to: t + Duration::days(1) }
}

fn handling(closed: &[Value]) -> (i64, i64, i64) {
    let calendar = Calendar::new(parse_csv(SCHEDULE).unwrap().into_iter().map(|(d, w, _)| (d, w)));
    let mut seconds = 0;
    let mut workdays = 0;
    let mut on_time = 0;
    for case in closed {
        let (received, closed_at, due) =
            (instant(&case["received_at"]), instant(&case["closed_at"]), instant(&case["due_at"]));
        seconds += (closed_at - received).num_seconds();
        workdays += calendar.workdays_between(received.date_naive(), closed_at.date_naive());
        on_time += i64::from(closed_at <= due);
    }
    (seconds, workdays, on_time)
}

async fn every_figure_of_a_known_dataset(app: &TestApp) {
    let office = app.office().await;
    let data = load_dataset(app, &office).await;
    let query = format!("from={}&to={}", data.from, data.to);
    let summary =
        app.get(&format!("/api/v1/stats/summary?{query}"), Some(&office.leader.token)).await.expect(200);
    let f = &summary.body["figures"];
    let (seconds, workdays, on_time) = handling(&data.closed);
    assert_eq!(f["received"], 6, "c5 is invalid, c8 is last year's: {f}");
    assert_eq!(f["closed"], 5);
    assert_eq!(f["completion_rate"], 83.33);
    assert_eq!(f["avg_handling_days"], hundredths(seconds.into(), 5 * 86_400));
    assert_eq!(f["avg_handling_workdays"], hundredths(workdays.into(), 5));
    assert_eq!(f["on_time_rate"], hundredths((on_time * 100).into(), 5));
    assert_eq!(f["overdue_open"], 1, "c4 is past its due date");
    assert_eq!(
        (
            f["rated"].as_i64(),
            f["satisfied"].as_i64(),
            f["basically_satisfied"].as_i64(),
            f["unsatisfied"].as_i64()
        ),
        (Some(4), Some(2), Some(1), Some(1))
    );
    assert_eq!(f["satisfaction_rate"], 75.0);
    assert_eq!(f["composite_satisfaction"], 70.0, "(2 + 0.8) / 4");
    assert_eq!(f["reopen_rate"], 20.0);
    assert_eq!(f["work_satisfaction_rate"], Value::Null, "mixed channels");
    // The year before is counted as of the same moment: c8, closed now, counts.
    let p = &summary.body["previous"];
    assert_eq!(
        (p["received"].as_i64(), p["closed"].as_i64(), p["satisfaction_rate"].as_f64()),
        (Some(1), Some(1), Some(100.0))
    );
    assert_eq!(summary.body["change"]["received"], 5);
    assert_eq!(summary.body["change"]["satisfaction_rate"], -25.0);
    assert!(summary.body["handling_time_change"].as_str().is_some());
    assert_eq!(summary.body["definition"]["composite_weights"]["basically_satisfied"], 0.8);

    // The same figures from a recount, as of a moment before anything closed.
    let earlier = time::to_office(time::now_utc() - Duration::minutes(10)).to_rfc3339().replace('+', "%2B");
    let before = app
        .get(&format!("/api/v1/stats/summary?{query}&as_of={earlier}"), Some(&office.clerk.token))
        .await
        .expect(200);
    assert_eq!(before.body["figures"]["received"], 6);
    assert_eq!(before.body["figures"]["closed"], 0);
    assert_eq!(before.body["figures"]["completion_rate"], 0.0);
    assert_eq!(before.body["figures"]["satisfaction_rate"], Value::Null, "nothing rated then");

    let by_channel =
        app.get(&format!("/api/v1/stats/by-channel?{query}"), Some(&office.clerk.token)).await.expect(200);
    let channels: BTreeMap<String, Value> = by_channel.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["channel"].as_str().unwrap().to_owned(), i["figures"].clone()))
        .collect();
    assert_eq!(channels.len(), 5, "every channel, with or without cases");
    assert_eq!(
        (channels["mailbox"]["received"].as_i64(), channels["mailbox"]["closed"].as_i64()),
        (Some(4), Some(3))
    );
    assert_eq!(channels["mailbox"]["completion_rate"], 75.0);
    assert_eq!(channels["minhu"]["satisfaction_rate"], 0.0);
    assert_eq!(channels["gov_web"]["completion_rate"], Value::Null, "a rate over zero cases is null");
    assert_eq!(channels["suggestion"]["work_satisfaction_rate"], 100.0);
    assert_eq!(channels["suggestion"]["result_satisfaction_rate"], 0.0);

    let by_department =
        app.get(&format!("/api/v1/stats/by-department?{query}"), Some(&office.admin.token)).await.expect(200);
    let departments: BTreeMap<i64, i64> = by_department.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["figures"]["received"].as_i64() != Some(0))
        .map(|i| (i["department_id"].as_i64().unwrap(), i["figures"]["received"].as_i64().unwrap()))
        .collect();
    assert_eq!(departments, BTreeMap::from([(office.dept_a, 5), (office.dept_b, 1)]));

    let trend = app
        .get(&format!("/api/v1/stats/trend?{query}&interval=month"), Some(&office.leader.token))
        .await
        .expect(200);
    let monthly: i64 = trend.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["figures"]["received"].as_i64().unwrap())
        .sum();
    assert_eq!(monthly, 6, "the months add up");
    assert!(trend.body["items"].as_array().unwrap().len() >= 3);

    // A handler sees their own department.
    let own =
        app.get(&format!("/api/v1/stats/summary?{query}"), Some(&office.handler.token)).await.expect(200);
    assert_eq!(own.body["figures"]["received"], 5);
    assert_eq!(own.body["scope"]["department_id"], office.dept_a);
    let other = app
        .get(
            &format!("/api/v1/stats/summary?{query}&department_id={}", office.dept_b),
            Some(&office.handler.token),
        )
        .await;
    assert_eq!(other.status, 403);
    let scoped = app
        .get(
            &format!("/api/v1/stats/summary?{query}&channel=mailbox&department_id={}", office.dept_a),
            Some(&office.clerk.token),
        )
        .await
        .expect(200);
    assert_eq!(scoped.body["figures"]["received"], 4);

    for bad in [
        "from=2024-01-01",
        "from=2024-01-01&to=2023-01-01",
        "from=2024-13-01&to=2025-01-01",
        "from=2000-01-01&to=2020-01-01",
        "from=2024-01-01&to=2025-01-01&as_of=soon",
        "from=2024-01-01&to=2025-01-01&interval=week",
    ] {
        assert_eq!(
            app.get(&format!("/api/v1/stats/summary?{bad}"), Some(&office.clerk.token)).await.status,
            422,
            "{bad}"
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/stats/trend?{query}&interval=week"), Some(&office.clerk.token))
            .await
            .status,
        422
    );
}

async fn the_annual_report_states_the_figures_in_the_offices_words(app: &TestApp) {
    let office = app.office().await;
    let mut closed = Vec::new();
    for (channel, received) in [
        ("mailbox", "2024-03-04"),
        ("mailbox", "2024-09-27"),
        ("gov_web", "2024-05-06"),
        ("minhu", "2024-06-03"),
        ("mailbox", "2023-03-06"),
    ] {
        let case = app.new_case(&office.clerk.token, json!({"channel": channel, "received_at": at(NaiveDate::parse_from_str(received, "%Y-%m-%d").unwrap())})).await;
        let id = case["id"].as_i64().unwrap();
        close(app, &office, id, office.dept_a).await;
        app.act(&office.clerk.token, id, "rate", json!({"rating": "satisfied"})).await.expect(200);
        closed.push(app.case(&office, id).await);
    }
    app.new_case(
        &office.clerk.token,
        json!({"channel": "minhu", "received_at": at(NaiveDate::from_ymd_opt(2024, 12, 30).unwrap())}),
    )
    .await;
    let (mailbox_seconds, _, _) = handling(&closed[..2]);
    let (last_year_seconds, _, _) = handling(&closed[4..]);
    let avg = |s: i64, n: i128| ((2 * i128::from(s) * 100 + n * 86_400) / (2 * n * 86_400)) as i64;
    let change = avg(mailbox_seconds, 2) - avg(last_year_seconds, 1);
    let tenths = if change >= 0 { (change + 5) / 10 } else { -((-change + 5) / 10) };
    let days = format!("{}.{}", tenths.abs() / 10, tenths.abs() % 10);
    let days = days.trim_end_matches(".0");
    let wording = match tenths {
        t if t < 0 => format!("缩短{days}天"),
        t if t > 0 => format!("延长{days}天"),
        _ => "持平".to_owned(),
    };

    let text =
        app.get("/api/v1/reports/annual?year=2024&format=text", Some(&office.leader.token)).await.expect(200);
    assert!(text.header("content-type").unwrap().starts_with("text/plain"));
    let lines: Vec<&str> = text.text.lines().collect();
    // Both closures left a phone, but no callback was made yet: the
    // office's sentences stand alone (a channel that made callbacks adds
    // one on them, see after_closure.rs and the demo's report below).
    assert_eq!(lines[0], format!("公开信箱群众来信2件，已全部办结，平均办结时间{wording}，群众满意率100%。"));
    assert_eq!(lines[1], "“民呼我为”累计办理事项2件，办结1件，办结率50%，办结事项群众综合满意率100%。");
    assert_eq!(lines[2], "接到中国政府网网民留言转办1件，已全部办结。");
    assert_eq!(lines[3], "", "channels without cases are left out");
    assert!(lines[4].starts_with("口径说明："), "the definition in force follows");

    let as_json =
        app.get("/api/v1/reports/annual?year=2024&format=json", Some(&office.clerk.token)).await.expect(200);
    assert_eq!(as_json.body["paragraphs"].as_array().unwrap().len(), 3);
    assert_eq!(as_json.body["paragraphs"][1]["figures"]["completion_rate"], 50.0);

    let xlsx = app
        .send(app.request(
            reqwest::Method::GET,
            "/api/v1/reports/annual?year=2024&format=xlsx",
            Some(&office.admin.token),
        ))
        .await
        .expect(200);
    let bytes = app
        .client
        .get(format!("{}/api/v1/reports/annual?year=2024&format=xlsx", app.base))
        .bearer_auth(&office.admin.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(xlsx.header("content-disposition").unwrap().contains("casedesk-2024.xlsx"));
    use calamine::{DataType, Reader};
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(workbook.sheet_names()[0], "汇总");
    assert!(workbook.sheet_names().iter().any(|n| n == "公开信箱按单位"));
    assert!(workbook.sheet_names().iter().any(|n| n == "民呼我为按月"));
    let summary = workbook.worksheet_range("汇总").unwrap();
    assert_eq!(summary.get_value((0, 1)).unwrap().to_string(), "受理件数");
    assert_eq!(summary.get_value((1, 0)).unwrap().to_string(), "公开信箱");
    assert_eq!(summary.get_value((1, 1)).unwrap().as_f64(), Some(2.0));
    assert_eq!(summary.get_value((2, 3)).unwrap().as_f64(), Some(50.0), "民呼我为 办结率");

    assert_eq!(app.get("/api/v1/reports/annual?year=2024", Some(&office.handler.token)).await.status, 403);
    assert_eq!(app.get("/api/v1/reports/annual?year=24", Some(&office.clerk.token)).await.status, 422);
    assert_eq!(
        app.get("/api/v1/reports/annual?year=2024&format=pdf", Some(&office.clerk.token)).await.status,
        422
    );
    let empty = app.get("/api/v1/reports/annual?year=2019", Some(&office.clerk.token)).await.expect(200);
    assert!(empty.text.starts_with("2019年无受理事项。"));
}

/// Random lifecycle traffic through the API, then the maintained rollups
/// must equal a recount from the cases, row by row.
async fn rollups_equal_a_recount_after_a_random_workload(app: &TestApp) {
    let office = app.office().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let channels = ["mailbox", "minhu", "gov_web", "disclosure", "suggestion"];
    let mut ids = Vec::new();
    for _ in 0..40 {
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(rng.random_range(0..700));
        let channel = channels[rng.random_range(0..channels.len())];
        // Some just after midnight and before it in Beijing, when the UTC
        // date is the day before: the rollups' day must be Beijing's.
        let clock = ["00:20", "07:59", "10:00", "23:40"][rng.random_range(0..4)];
        let received_at = format!("{}T{clock}:00+08:00", day.min(today() - Duration::days(1)));
        let case =
            app.new_case(&office.clerk.token, json!({"channel": channel, "received_at": received_at})).await;
        ids.push((case["id"].as_i64().unwrap(), channel));
    }
    for _ in 0..300 {
        let (id, channel) = ids[rng.random_range(0..ids.len())];
        let state = app.case(&office, id).await["state"].as_str().unwrap().to_owned();
        let department = if rng.random_bool(0.5) { office.dept_a } else { office.dept_b };
        let current = app.case(&office, id).await["department_id"].as_i64();
        let handler =
            if current == Some(office.dept_a) { &office.handler.token } else { &office.other_handler.token };
        let rating = ["satisfied", "basically_satisfied", "unsatisfied"][rng.random_range(0..3)];
        let rate_body = if channel == "suggestion" {
            json!({"rating": rating, "result_rating": rating})
        } else {
            json!({"rating": rating})
        };
        let (token, action, body) = match (state.as_str(), rng.random_range(0..3)) {
            ("registered", 0) => (&office.clerk.token, "invalidate", json!({"reason": "无效"})),
            ("registered", _) | ("assigned", 2) | ("processing", 2) => {
                (&office.clerk.token, "assign", json!({"department_id": department}))
            }
            ("assigned", 0) => (handler, "return", json!({"reason": "非本单位职责"})),
            ("assigned", _) => (handler, "accept", json!({})),
            ("processing", _) => (handler, "reply", json!({"reply": "答复"})),
            ("reviewing", 0) => (&office.clerk.token, "reject-reply", json!({"reason": "答复不完整"})),
            ("reviewing", _) => (&office.clerk.token, "approve", json!({})),
            ("closed", 0) => (&office.leader.token, "reopen", json!({"reason": "重办"})),
            ("closed", _) => (&office.clerk.token, "rate", rate_body),
            _ => continue,
        };
        let resp = app.act(token, id, action, body).await;
        assert!(resp.status == 200 || resp.status == 422, "{action} in {state}: {}", resp.text);
    }
    let (maintained, recounted) = app.rollups_and_recount(Grouping::Key).await;
    assert!(!maintained.is_empty());
    assert_eq!(maintained, recounted);

    // Periods that start and end inside months, and whole ones, read the
    // monthly and the daily sums together: every grouping must still equal
    // the recount.
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let periods = [
        (day(2024, 1, 1), day(2025, 1, 1)),
        (day(2024, 1, 15), day(2025, 11, 20)),
        (day(2024, 2, 1), day(2025, 3, 1)),
        (day(2024, 3, 10), day(2024, 3, 25)),
        (day(2024, 5, 31), day(2024, 7, 2)),
        (day(2000, 1, 1), day(2100, 1, 1)),
    ];
    let (dept_a, dept_b) = (office.dept_a, office.dept_b);
    let compared = app
        .with_conn(move |conn| {
            let far = time::start_of_office_day(day(2100, 1, 1));
            let folded = |rows: Vec<rollups::SumRow>| -> BTreeMap<String, String> {
                let mut groups: BTreeMap<String, casedesk::domain::figures::Counts> = BTreeMap::new();
                for row in rows {
                    *groups.entry(row.grp.clone()).or_default() += row.counts();
                }
                groups
                    .into_iter()
                    .filter(|(_, c)| *c != casedesk::domain::figures::Counts::default())
                    .map(|(g, c)| (g, format!("{c:?}")))
                    .collect()
            };
            let mut compared = 0;
            for (from, to) in periods {
                for (channel, department) in [
                    (None, None),
                    (Some("minhu"), None),
                    (None, Some(dept_a)),
                    (Some("mailbox"), Some(dept_b)),
                ] {
                    let scope = Scope { from, to, channel: channel.map(str::to_owned), department };
                    for grouping in
                        [Grouping::Total, Grouping::Channel, Grouping::Department, Grouping::Month]
                    {
                        let maintained = folded(rollups::sums(conn, &scope, grouping).unwrap());
                        let recounted = folded(rollups::recount(conn, &scope, grouping, far).unwrap());
                        assert_eq!(maintained, recounted, "{scope:?} {grouping:?}");
                        compared += usize::from(!maintained.is_empty());
                    }
                }
            }
            compared
        })
        .await;
    assert!(compared > 40, "most comparisons had cases to count ({compared})");
}

/// Channel names are an admin's free text up to 50 characters: long ones
/// alike in their first 31, or one starting with an apostrophe, still make
/// a workbook with a valid, distinct sheet per breakdown.
async fn any_channel_names_make_a_valid_report_workbook(app: &TestApp) {
    use calamine::Reader;
    let office = app.office().await;
    let long = "县人民政府办公室公开信箱群众来信来访网上留言与诉求统一受理登记办理和回访";
    assert_eq!(long.chars().count(), 36);
    for (code, name) in [
        ("mailbox", format!("{long}（一号渠道）")),
        ("minhu", format!("{long}（二号渠道）")),
        ("gov_web", "'引号开头".to_owned()),
    ] {
        app.patch(&format!("/api/v1/channels/{code}"), Some(&office.admin.token), json!({"name": name}))
            .await
            .expect(200);
        app.new_case(
            &office.clerk.token,
            json!({"channel": code, "received_at": "2025-03-05T09:00:00+08:00"}),
        )
        .await;
    }
    let resp = app
        .client
        .get(format!("{}/api/v1/reports/annual?year=2025&format=xlsx", app.base))
        .bearer_auth(&office.clerk.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    let bytes = resp.bytes().await.unwrap().to_vec();
    let book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), 7, "汇总 and two sheets per channel: {names:?}");
    let distinct: std::collections::HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    assert_eq!(distinct.len(), names.len(), "{names:?}");
    assert!(names.iter().all(|n| n.encode_utf16().count() <= 31 && !n.starts_with('\'')), "{names:?}");
    assert!(names.iter().filter(|n| n.ends_with("按月")).count() == 3, "{names:?}");
}

backend_tests!(
    any_channel_names_make_a_valid_report_workbook,
    every_figure_of_a_known_dataset,
    the_annual_report_states_the_figures_in_the_offices_words,
    rollups_equal_a_recount_after_a_random_workload,
);

/// `casedesk demo` then `casedesk report --year 2024` print the figures of the
/// office's 2024 report.
#[test]
fn the_demo_county_reproduces_the_2024_report() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_casedesk"))
            .env("DATABASE_URL", &url)
            .env("CASEDESK_ADMIN_PASSWORD", "demo-admin-password")
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
    };
    // As of 2 January 2025: the history, and hardly anything since (tests/api/demo.rs loads it as of now).
    let (loaded, progress) = run(&["demo", "--today", "2025-01-02"]);
    assert!(loaded.contains("zhangli") && loaded.contains("clerk"), "{loaded}");
    assert!(loaded.contains("wangjun") && loaded.contains("leader"));
    assert!(loaded.contains("edu-handler"));
    assert!(loaded.contains("Open the console at http://127.0.0.1:8080/login"), "{loaded}");
    assert!(progress.contains("2023–2024: 8786/8786"), "progress is shown: {progress}");
    let (report, _) = run(&["report", "--year", "2024"]);
    // Each channel's sentence is the office's, followed (where the
    // demo's closures had callbacks) by the one on 回访率 and 解决率.
    let lines: Vec<&str> = report.lines().collect();
    let office: [&str; 5] = [
            "公开信箱群众来信225件，已办结223件，平均办结时间缩短4.3天，群众满意率99.4%。",
            "“民呼我为”累计办理事项3878件，办结3836件，办结率98.92%，办结事项群众综合满意率90.47%。",
            "接到中国政府网网民留言转办20件，已全部办结。",
            "接收政府信息公开申请11件，已全部办结。",
            "办理人大代表建议218件、政协委员提案218件，已全部办结，代表委员对办理工作满意率100%、对办理结果满意率100%。",
    ];
    for (line, sentence) in lines.iter().zip(office) {
        assert!(line.starts_with(sentence), "{line}");
    }
    assert!(lines[0].contains("。办结后回访群众") && lines[0].contains("问题解决率"), "{}", lines[0]);
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_casedesk"))
        .env("DATABASE_URL", &url)
        .arg("demo")
        .output()
        .unwrap();
    assert!(!again.status.success(), "the demo refuses a database that has data");
}
