//! `POST /api/v1/imports`: cases with their history from xlsx and CSV files.

use casedesk::db::rollups::Grouping;
use casedesk::domain::time;
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, Resp, TestApp};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn import(app: &TestApp, token: &str, bytes: Vec<u8>, content_type: &str, query: &str) -> Resp {
    let request = app
        .request(Method::POST, &format!("/api/v1/imports{query}"), Some(token))
        .header("content-type", content_type);
    app.send(request.body(bytes)).await
}

fn counts(resp: &Resp) -> (i64, i64, i64, i64, i64) {
    let c = &resp.body["counts"];
    let n = |k: &str| c[k].as_i64().unwrap();
    (n("rows"), n("new"), n("updated"), n("unchanged"), n("refused"))
}

/// A CSV file (UTF-8 with BOM) of `header` and `rows`.
fn csv(header: &[&str], rows: &[Vec<&str>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    format!("\u{feff}{}", String::from_utf8(writer.into_inner().unwrap()).unwrap())
}

const HEADER: [&str; 14] = [
    "渠道",
    "外部编号",
    "标题",
    "内容",
    "电话",
    "邮箱",
    "收到时间",
    "承办单位",
    "状态",
    "签收时间",
    "答复内容",
    "答复时间",
    "办结时间",
    "满意度",
];

async fn case_by_ref(app: &TestApp, office: &Office, external_ref: &str) -> Value {
    let list = app.get("/api/v1/cases?limit=500", Some(&office.admin.token)).await.expect(200);
    let id = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["external_ref"] == external_ref)
        .unwrap_or_else(|| panic!("no case {external_ref}"))["id"]
        .as_i64()
        .unwrap();
    app.case(office, id).await
}

async fn outbox_size(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        use casedesk::db::schema::outbox;
        use diesel::prelude::*;
        outbox::table.count().get_result::<i64>(conn).unwrap()
    })
    .await
}

/// Rollups must equal a recount from the cases, row by row: per key from
/// the daily sums, per month from the monthly ones (an import adds to both).
async fn assert_rollups_match(app: &TestApp) {
    for grouping in [Grouping::Key, Grouping::Month] {
        let (maintained, recounted) = app.rollups_and_recount(grouping).await;
        assert!(!maintained.is_empty());
        assert_eq!(maintained, recounted);
    }
}

async fn template_files_of_every_kind_import(app: &TestApp) {
    let office = app.office().await;
    let template = app
        .with_conn(|conn| {
            let channels = casedesk::db::channels::list(conn).unwrap();
            let departments = casedesk::db::departments::list(conn).unwrap();
            casedesk::transfer::template::workbook(&channels, &departments).unwrap()
        })
        .await;
    let resp = import(app, &office.clerk.token, template, XLSX, "?file_name=template.xlsx").await.expect(201);
    assert_eq!(counts(&resp), (1, 1, 0, 0, 0), "the template's sample row: {}", resp.text);
    assert_eq!(resp.body["format"], "xlsx");
    assert_eq!(resp.body["state"], "finished");
    assert_eq!(resp.body["created_by"], office.clerk.id);
    assert_eq!(resp.header("location"), Some(format!("/api/v1/imports/{}", resp.body["id"]).as_str()));
    let sample = case_by_ref(app, &office, "GX-2024-000123").await;
    assert_eq!(sample["state"], "closed");
    assert_eq!(sample["received_at"], "2024-03-05T09:30:00+08:00", "the row's own time");
    assert_eq!(sample["closed_at"], "2024-03-18T00:00:00+08:00");
    assert_eq!(sample["tracking_no"], "MB2024000001", "a number of its year of receipt");
    assert_eq!(sample["due_at"], "2024-03-26T23:59:59+08:00", "15 working days from receipt");
    assert_eq!(sample["rating"], "satisfied");
    assert_eq!(sample["department_id"], office.dept_a, "the template names the first department");

    let rows = vec![vec![
        "民呼我为",
        "MH-1",
        "路灯不亮",
        "幸福路路灯坏了",
        "13812345678",
        "",
        "2024-05-06 08:00",
        "HOUSING",
        "",
        "",
        "",
        "",
        "",
        "",
    ]];
    let utf8 = csv(&HEADER, &rows);
    let resp = import(app, &office.clerk.token, utf8.clone().into_bytes(), "text/csv", "").await.expect(201);
    assert_eq!(counts(&resp), (1, 1, 0, 0, 0));
    let without_bom = utf8.trim_start_matches('\u{feff}').replace("MH-1", "MH-2");
    let resp = import(app, &office.clerk.token, without_bom.into_bytes(), "text/csv", "").await.expect(201);
    assert_eq!(counts(&resp), (1, 1, 0, 0, 0));
    let third = utf8.trim_start_matches('\u{feff}').replace("MH-1", "MH-3");
    let gbk = encoding_rs::GB18030.encode(&third).0.into_owned();
    let resp = import(app, &office.admin.token, gbk, "text/csv", "").await.expect(201);
    assert_eq!(counts(&resp), (1, 1, 0, 0, 0), "GB18030 is detected");
    let gbk_case = case_by_ref(app, &office, "MH-3").await;
    assert_eq!(gbk_case["title"], "路灯不亮");
    assert_eq!(gbk_case["state"], "assigned", "a department without later times");
    assert_eq!(gbk_case["department_id"], office.dept_b);
    let events = app.events(&office, gbk_case["id"].as_i64().unwrap()).await;
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["register", "assign"]);
    assert_eq!(events[0]["at"], "2024-05-06T08:00:00+08:00");
    assert_eq!(events[0]["details"]["import_id"], resp.body["id"]);
    assert_eq!(outbox_size(app).await, 0, "an import mails nobody");
    assert_rollups_match(app).await;
}

async fn the_same_file_twice_changes_nothing(app: &TestApp) {
    let office = app.office().await;
    let rows = vec![
        vec![
            "mailbox",
            "A1",
            "t1",
            "c1",
            "",
            "a@example.cn",
            "2024-01-05",
            "EDU",
            "已办结",
            "2024-01-06",
            "答复",
            "2024-01-10",
            "2024-01-11",
            "满意",
        ],
        vec![
            "mailbox",
            "A2",
            "t2",
            "c2",
            "",
            "",
            "2024-01-05",
            "EDU",
            "办理中",
            "2024-01-06",
            "",
            "",
            "",
            "",
        ],
        vec!["gov_web", "A1", "t3", "c3", "", "", "2024-02-05", "", "", "", "", "", "", ""],
    ];
    let file = csv(&HEADER, &rows).into_bytes();
    let first = import(app, &office.clerk.token, file.clone(), "text/csv", "").await.expect(201);
    assert_eq!(counts(&first), (3, 3, 0, 0, 0), "the same 外部编号 in two channels is two cases");
    let before = app.get("/api/v1/cases", Some(&office.admin.token)).await.expect(200).body;
    let second = import(app, &office.clerk.token, file, "text/csv", "").await.expect(201);
    assert_eq!(counts(&second), (3, 0, 0, 3, 0));
    let after = app.get("/api/v1/cases", Some(&office.admin.token)).await.expect(200).body;
    assert_eq!(before, after, "no case changed, not even its version");
    let record = app.get(&format!("/api/v1/imports/{}", second.body["id"]), Some(&office.clerk.token)).await;
    assert_eq!(counts(&record.expect(200)), (3, 0, 0, 3, 0));
    assert_eq!(outbox_size(app).await, 0);
}

async fn bad_rows_are_refused_with_their_reasons(app: &TestApp) {
    let office = app.office().await;
    let row = |ext: &'static str,
               channel: &'static str,
               received: &'static str,
               state: &'static str,
               closed: &'static str| {
        vec![channel, ext, "标题", "内容", "", "", received, "EDU", state, "", "", "", closed, ""]
    };
    let mut bad_phone = row("B5", "mailbox", "2024-01-05", "", "");
    bad_phone[4] = "12345";
    let mut no_title = row("B7", "mailbox", "2024-01-05", "", "");
    no_title[2] = "";
    let rows = vec![
        row("G1", "mailbox", "2024-01-05", "", ""),
        row("B1", "传真", "2024-01-05", "", ""),
        row("B2", "mailbox", "2024-13-05", "", ""),
        row("B3", "mailbox", "2024-01-05", "已办结", ""),
        row("B4", "mailbox", "2024-01-05", "已办结", "2024-01-01"),
        bad_phone,
        row("B6", "mailbox", "2099-01-05", "", ""),
        no_title,
        row("G2", "minhu", "2024-01-05", "办理中", ""),
    ];
    let file = csv(&HEADER, &rows).into_bytes();
    let resp = import(app, &office.clerk.token, file, "text/csv", "").await.expect(201);
    assert_eq!(counts(&resp), (9, 2, 0, 0, 7), "{}", resp.text);
    let url = resp.body["refused_rows_url"].as_str().unwrap().to_owned();
    let refused = app.get(&url, Some(&office.clerk.token)).await.expect(200);
    assert!(refused.text.starts_with('\u{feff}'));
    let mut reader = csv::Reader::from_reader(refused.text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header.last().map(String::as_str), Some("错误原因"));
    assert_eq!(&header[..HEADER.len()], HEADER, "the file's own columns first");
    let reasons: Vec<(String, String)> =
        reader.records().map(|r| r.unwrap()).map(|r| (r[1].to_owned(), r[HEADER.len()].to_owned())).collect();
    let expected = [
        ("B1", "渠道: 未知的渠道 '传真'"),
        ("B2", "收到时间: '2024-13-05' 不是日期"),
        ("B3", "办结时间: 已办结的案件须有办结时间"),
        ("B4", "办结时间: 早于收到时间"),
        ("B5", "电话: '12345' 不是"),
        ("B6", "收到时间: 不能晚于现在"),
        ("B7", "标题: 不能为空"),
    ];
    assert_eq!(reasons.len(), expected.len());
    for ((ext, reason), (want_ext, want_start)) in reasons.iter().zip(expected) {
        assert_eq!(ext, want_ext);
        assert!(reason.starts_with(want_start), "{ext}: {reason}");
    }
    // The good rows went in; fixing a refused row and importing again adds it.
    case_by_ref(app, &office, "G1").await;
    case_by_ref(app, &office, "G2").await;
    let fixed = refused.text.replace("传真", "mailbox");
    let again = import(app, &office.clerk.token, fixed.into_bytes(), "text/csv", "").await.expect(201);
    assert_eq!(counts(&again).1, 1, "B1 now goes in: {}", again.text);
    assert_eq!(counts(&again).4, 6);
}

async fn a_row_that_moves_a_case_forward_updates_it(app: &TestApp) {
    let office = app.office().await;
    let open = vec![vec![
        "mailbox",
        "F1",
        "t",
        "c",
        "",
        "",
        "2024-01-05 09:00",
        "EDU",
        "办理中",
        "2024-01-06",
        "",
        "",
        "",
        "",
    ]];
    let first =
        import(app, &office.clerk.token, csv(&HEADER, &open).into_bytes(), "text/csv", "").await.expect(201);
    assert_eq!(counts(&first), (1, 1, 0, 0, 0));
    let case = case_by_ref(app, &office, "F1").await;
    assert_eq!(case["state"], "processing");
    let closed = vec![vec![
        "mailbox",
        "F1",
        "t",
        "c",
        "",
        "",
        "2024-01-05 09:00",
        "EDU",
        "已办结",
        "2024-01-06",
        "已解决",
        "2024-01-10",
        "2024-01-12 10:00",
        "不满意",
    ]];
    let dry =
        import(app, &office.clerk.token, csv(&HEADER, &closed).into_bytes(), "text/csv", "?dry_run=true")
            .await;
    assert_eq!(counts(&dry.expect(201)), (1, 0, 1, 0, 0), "counted as an update");
    assert_eq!(case_by_ref(app, &office, "F1").await["state"], "processing", "a dry run writes no case");
    let second = import(app, &office.clerk.token, csv(&HEADER, &closed).into_bytes(), "text/csv", "").await;
    assert_eq!(counts(&second.expect(201)), (1, 0, 1, 0, 0));
    let updated = case_by_ref(app, &office, "F1").await;
    assert_eq!(updated["state"], "closed");
    assert_eq!(updated["reply"], "已解决");
    assert_eq!(updated["closed_at"], "2024-01-12T10:00:00+08:00");
    assert_eq!(updated["rating"], "unsatisfied");
    assert_eq!(updated["version"], case["version"].as_i64().unwrap() + 1);
    let actions: Vec<String> = app
        .events(&office, updated["id"].as_i64().unwrap())
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["register", "assign", "accept", "reply", "approve", "rate"]);
    // The earlier row again does not move it back.
    let third = import(app, &office.clerk.token, csv(&HEADER, &open).into_bytes(), "text/csv", "").await;
    assert_eq!(counts(&third.expect(201)), (1, 0, 0, 1, 0));
    assert_eq!(case_by_ref(app, &office, "F1").await["state"], "closed");
    assert_rollups_match(app).await;
}

async fn the_figures_of_an_imported_year_are_those_computed_by_hand(app: &TestApp) {
    let office = app.office().await;
    // Four mailbox letters of 2023, all closed and rated, one still open, and
    // one closed suggestion rated in two dimensions. Receipt and closure
    // days are Mondays to Fridays without holidays in between.
    let header = [
        "渠道",
        "外部编号",
        "标题",
        "内容",
        "收到时间",
        "承办单位",
        "办结时间",
        "满意度",
        "办理工作满意度",
        "办理结果满意度",
        "邮箱",
    ];
    let rows = vec![
        // 2 days 0 h; 2 working days.
        vec![
            "公开信箱",
            "Y1",
            "t",
            "c",
            "2023-03-06 09:00",
            "EDU",
            "2023-03-08 09:00",
            "满意",
            "",
            "",
            "a@example.cn",
        ],
        // 1 day 12 h; 1 working day.
        vec!["公开信箱", "Y2", "t", "c", "2023-03-07 08:00", "EDU", "2023-03-08 20:00", "满意", "", "", ""],
        // 4 days; 4 working days.
        vec![
            "公开信箱",
            "Y3",
            "t",
            "c",
            "2023-04-03 10:00",
            "HOUSING",
            "2023-04-07 10:00",
            "基本满意",
            "",
            "",
            "",
        ],
        // 0.5 days; 0 working days.
        vec!["公开信箱", "Y4", "t", "c", "2023-05-08 08:00", "EDU", "2023-05-08 20:00", "不满意", "", "", ""],
        vec!["公开信箱", "Y5", "t", "c", "2023-06-05 08:00", "EDU", "", "", "", "", ""],
        vec![
            "suggestion",
            "Y6",
            "t",
            "c",
            "2023-03-06 09:00",
            "EDU",
            "2023-05-06 09:00",
            "",
            "满意",
            "不满意",
            "",
        ],
    ];
    let resp =
        import(app, &office.clerk.token, csv(&header, &rows).into_bytes(), "text/csv", "").await.expect(201);
    assert_eq!(counts(&resp), (6, 6, 0, 0, 0), "{}", resp.text);
    let summary = app
        .get(
            "/api/v1/stats/summary?from=2023-01-01&to=2024-01-01&channel=mailbox",
            Some(&office.leader.token),
        )
        .await
        .expect(200);
    let f = &summary.body["figures"];
    assert_eq!(f["received"], 5);
    assert_eq!(f["closed"], 4);
    assert_eq!(f["completion_rate"], 80.0);
    // (2 + 1.5 + 4 + 0.5) / 4 = 2 days; (2 + 1 + 4 + 0) / 4 = 1.75 working days.
    assert_eq!(f["avg_handling_days"], 2.0);
    assert_eq!(f["avg_handling_workdays"], 1.75);
    assert_eq!(f["on_time_rate"], 100.0);
    assert_eq!(
        (f["rated"].as_i64(), f["satisfied"].as_i64(), f["basically_satisfied"].as_i64()),
        (Some(4), Some(2), Some(1))
    );
    assert_eq!(f["satisfaction_rate"], 75.0);
    // (2 × 1 + 1 × 0.8 + 1 × 0) / 4 = 70%.
    assert_eq!(f["composite_satisfaction"], 70.0);
    assert_eq!(f["overdue_open"], 1, "Y5 is still open, long past due");
    let by_channel = app
        .get("/api/v1/stats/by-channel?from=2023-01-01&to=2024-01-01", Some(&office.leader.token))
        .await
        .expect(200);
    let suggestion = by_channel.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "suggestion")
        .unwrap()
        .clone();
    assert_eq!(suggestion["figures"]["work_satisfaction_rate"], 100.0);
    assert_eq!(suggestion["figures"]["result_satisfaction_rate"], 0.0);
    assert_rollups_match(app).await;
    assert_eq!(outbox_size(app).await, 0, "no mail, not even to the citizen who left an address");
    // The deadline scan records nothing about what came in overdue.
    let scanned = app.state.db.write(|conn| casedesk::deadlines::scan(conn, time::now_utc())).await.unwrap();
    assert_eq!(scanned, casedesk::deadlines::ScanOutcome::default());
    assert_eq!(outbox_size(app).await, 0);
}

async fn bad_files_are_refused_whole(app: &TestApp) {
    let office = app.office().await;
    let token = office.clerk.token.as_str();
    let pdf = b"%PDF-1.7\n\x00\x01\x02binary".to_vec();
    let resp = import(app, token, pdf, "application/octet-stream", "").await.expect(422);
    assert_eq!(resp.body["errors"][0]["field"], "file");
    assert!(resp.body["errors"][0]["message"].as_str().unwrap().contains("not a spreadsheet"));
    let empty = import(app, token, Vec::new(), "text/csv", "").await.expect(422);
    assert!(empty.body["errors"][0]["message"].as_str().unwrap().contains("empty"), "{}", empty.text);
    let unknown = csv(&["渠道", "外部编号", "标题", "内容", "收到时间", "联系人"], &[]);
    let resp = import(app, token, unknown.into_bytes(), "text/csv", "").await.expect(422);
    assert!(resp.body["errors"][0]["message"].as_str().unwrap().contains("'联系人'"), "{}", resp.text);
    let missing = csv(&["渠道", "外部编号", "标题", "内容"], &[vec!["mailbox", "1", "t", "c"]]);
    let resp = import(app, token, missing.into_bytes(), "text/csv", "").await.expect(422);
    assert!(resp.body["errors"][0]["message"].as_str().unwrap().contains("收到时间"));
    let broken_xlsx = b"PK\x03\x04not really a zip".to_vec();
    import(app, token, broken_xlsx, XLSX, "").await.expect(422);
    let too_big = vec![b'a'; 20 * 1024 * 1024 + 1];
    let resp = import(app, token, too_big, "text/csv", "").await.expect(413);
    assert_eq!(resp.code(), "payload_too_large");
    let resp = import(app, token, b"{}".to_vec(), "application/json", "").await.expect(415);
    assert_eq!(resp.code(), "unsupported_media_type");
    let resp = import(app, &office.leader.token, b"x".to_vec(), "text/csv", "").await.expect(403);
    assert_eq!(resp.code(), "forbidden");
    import(app, token, b"x".to_vec(), "text/csv", "?dry_run=maybe").await.expect(422);
    app.get("/api/v1/imports/999", Some(token)).await.expect(404);
    let cases = app.get("/api/v1/cases", Some(&office.admin.token)).await.expect(200);
    assert_eq!(cases.body["items"].as_array().unwrap().len(), 0, "nothing imported");
}

/// The demo county exported and imported into a fresh database (with the
/// same departments) gives every figure of both years again.
async fn the_demo_county_round_trips(app: &TestApp) {
    use actix_web::web;
    use casedesk::transfer::export::{write_all, ExportFormat};
    use casedesk::transfer::{import, read};
    let db = app.state.db.clone();
    web::block(move || casedesk::demo::load(&db, crate::helpers::demo_history_only()))
        .await
        .unwrap()
        .unwrap();
    let db = app.state.db.clone();
    let file = web::block(move || {
        let mut out = Vec::new();
        write_all(&db, Default::default(), ExportFormat::Csv, true, &mut out).map(|n| (n, out))
    })
    .await
    .unwrap()
    .unwrap();
    let other = TestApp::spawn(app.backend).await;
    let departments = app.with_conn(|conn| casedesk::db::departments::list(conn).unwrap()).await;
    other
        .with_conn(move |conn| {
            for d in departments {
                let new = casedesk::db::models::NewDepartment {
                    name: d.name,
                    code: d.code,
                    email: d.email,
                    active: d.active,
                    created_at: d.created_at,
                    updated_at: d.updated_at,
                };
                casedesk::db::departments::insert(conn, &new).unwrap();
            }
        })
        .await;
    let (exported, bytes) = file;
    let db = other.state.db.clone();
    let record = web::block(move || {
        let rows = read::from_bytes(bytes, None, None).unwrap();
        let options = import::ImportOptions { file_name: "demo.csv".into(), dry_run: false, actor: None };
        import::run(&db, rows, options, |_| {}).map_err(|e| e.to_string())
    })
    .await
    .unwrap()
    .unwrap();
    let id = record.id;
    let refusals = other.with_conn(move |conn| casedesk::db::transfer::refusals(conn, id).unwrap()).await;
    let reasons: Vec<&str> = refusals.iter().take(3).map(|r| r.reason.as_str()).collect();
    assert_eq!(
        (record.rows_total as u64, record.rows_new as u64, record.rows_refused),
        (exported, exported, 0),
        "{reasons:?}"
    );
    let (here, there) = (app.admin().await, other.admin().await);
    for year in [2023, 2024] {
        for (path, part) in [("summary", "figures"), ("summary", "previous"), ("by-channel", "items")] {
            let query = format!("/api/v1/stats/{path}?from={year}-01-01&to={}-01-01", year + 1);
            let mut original = app.get(&query, Some(&here)).await.expect(200).body;
            let mut imported = other.get(&query, Some(&there)).await.expect(200).body;
            // A workbook carries cases, not their history of assignments:
            // the 签收 and 退单 figures, counted per assignment, stay behind.
            for figures in [&mut original, &mut imported] {
                without_assignment_figures(figures);
            }
            assert_eq!(original[part], imported[part], "{query} {part}");
        }
    }
    assert_eq!(outbox_size(&other).await, 0);
    other.shutdown().await;
}

/// 并入 (issue 24): an export names each merged case's parent by its 编号;
/// imported elsewhere (the 编号 standing in for the blank 外部编号), the
/// merged case is under the parent's copy again, though the export lists
/// it first; a merged row without a parent it can find is refused.
async fn merged_cases_export_with_their_parent_and_import_back(app: &TestApp) {
    let office = app.office().await;
    let parent = app.new_case(&office.clerk.token, json!({"title": "自来水停水"})).await;
    let child = app.new_case(&office.clerk.token, json!({"title": "自来水又停水了"})).await;
    let (parent_no, child_no) =
        (parent["tracking_no"].as_str().unwrap(), child["tracking_no"].as_str().unwrap());
    let child_id = child["id"].as_i64().unwrap();
    app.act(&office.clerk.token, child_id, "merge", json!({"into": parent["id"]})).await.expect(200);
    let export = app
        .send(app.request(Method::GET, "/api/v1/cases/export", Some(&office.clerk.token)))
        .await
        .expect(200);
    let mut reader = csv::Reader::from_reader(export.text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records[0][at("编号")], *child_no, "the export lists the newest first");
    assert_eq!((&records[0][at("状态")], &records[0][at("并入")]), ("已并入", parent_no));
    assert_eq!(&records[1][at("并入")], "");

    let other = TestApp::spawn(app.backend).await;
    let there = other.office().await;
    let resp = import(&other, &there.clerk.token, export.text.clone().into_bytes(), "text/csv", "")
        .await
        .expect(201);
    assert_eq!(counts(&resp), (2, 2, 0, 0, 0), "{}", resp.text);
    let copy_parent = case_by_ref(&other, &there, parent_no).await;
    let copy_child = case_by_ref(&other, &there, child_no).await;
    assert_eq!(
        (copy_child["state"].as_str(), &copy_child["merged_into"]),
        (Some("merged"), &copy_parent["id"])
    );
    let events = other.events(&there, copy_child["id"].as_i64().unwrap()).await;
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["register", "merge"]);
    let today = time::office_date(time::now_utc());
    let period = format!("from={today}&to={}", today + chrono::Duration::days(1));
    let summary =
        other.get(&format!("/api/v1/stats/summary?{period}"), Some(&there.leader.token)).await.expect(200);
    assert_eq!(
        (&summary.body["figures"]["received"], &summary.body["figures"]["merged"]),
        (&json!(1), &json!(1))
    );
    // The same file again changes nothing.
    let again =
        import(&other, &there.clerk.token, export.text.into_bytes(), "text/csv", "").await.expect(201);
    assert_eq!(counts(&again), (2, 0, 0, 2, 0), "{}", again.text);
    other.shutdown().await;

    let header = ["渠道", "外部编号", "标题", "内容", "收到时间", "状态", "并入"];
    let rows = vec![
        vec!["mailbox", "M1", "标题", "内容", "2024-01-05", "已并入", "NO-SUCH-CASE"],
        vec!["mailbox", "M2", "标题", "内容", "2024-01-05", "已并入", ""],
        vec!["mailbox", "M3", "标题", "内容", "2024-01-05", "已登记", parent_no],
        vec!["mailbox", "M4", "标题", "内容", "2024-01-05", "已并入", child_no],
    ];
    let resp =
        import(app, &office.clerk.token, csv(&header, &rows).into_bytes(), "text/csv", "").await.expect(201);
    assert_eq!(counts(&resp), (4, 0, 0, 0, 4), "{}", resp.text);
    let url = resp.body["refused_rows_url"].as_str().unwrap().to_owned();
    let refused = app.get(&url, Some(&office.clerk.token)).await.expect(200);
    let mut reader = csv::Reader::from_reader(refused.text.trim_start_matches('\u{feff}').as_bytes());
    let reasons: Vec<(String, String)> =
        reader.records().map(Result::unwrap).map(|r| (r[1].to_owned(), r[header.len()].to_owned())).collect();
    let expected = [
        ("M2", "并入: 已并入的案件须填写并入"),
        ("M3", "并入: 只有状态为已并入的案件可以填写并入"),
        ("M4", "并入: 不能并入已并入的案件"),
        ("M1", "并入: 找不到编号或外部编号为 NO-SUCH-CASE 的案件"),
    ];
    assert_eq!(reasons.len(), expected.len(), "{reasons:?}");
    for (ext, start) in expected {
        let reason = &reasons.iter().find(|(e, _)| e == ext).unwrap_or_else(|| panic!("{ext} refused")).1;
        assert!(reason.starts_with(start), "{ext}: {reason}");
    }
}

backend_tests!(
    merged_cases_export_with_their_parent_and_import_back,
    the_demo_county_round_trips,
    template_files_of_every_kind_import,
    the_same_file_twice_changes_nothing,
    bad_rows_are_refused_with_their_reasons,
    a_row_that_moves_a_case_forward_updates_it,
    the_figures_of_an_imported_year_are_those_computed_by_hand,
    bad_files_are_refused_whole,
);

/// Takes the figures counted per assignment out of a statistics body.
fn without_assignment_figures(body: &mut Value) {
    const PER_ASSIGNMENT: [&str; 5] =
        ["assignments", "accepted_on_time", "accepted_on_time_rate", "returns", "return_rate"];
    let strip = |figures: &mut Value| {
        if let Some(map) = figures.as_object_mut() {
            for name in PER_ASSIGNMENT {
                map.remove(name);
            }
        }
    };
    for part in ["figures", "previous", "change"] {
        strip(&mut body[part]);
    }
    if let Some(items) = body["items"].as_array_mut() {
        for item in items {
            for part in ["figures", "previous", "change"] {
                strip(&mut item[part]);
            }
        }
    }
}
