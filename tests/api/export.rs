//! `GET /api/v1/cases/export`: the list's cases as CSV or xlsx.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Office, Resp, TestApp};

async fn export(app: &TestApp, token: &str, query: &str) -> Resp {
    app.send(app.request(Method::GET, &format!("/api/v1/cases/export{query}"), Some(token))).await
}

/// The CSV's records, header first, after checking the BOM.
fn csv_records(resp: &Resp) -> Vec<Vec<String>> {
    assert!(resp.text.starts_with('\u{feff}'), "UTF-8 with BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(resp.text.trim_start_matches('\u{feff}').as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

fn column(records: &[Vec<String>], header: &str) -> Vec<String> {
    let at = records[0].iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header}"));
    records[1..].iter().map(|r| r[at].clone()).collect()
}

/// Three cases: one registered, one closed by department A, one with an
/// external reference, all of the mailbox channel.
async fn three_cases(app: &TestApp, office: &Office) -> (i64, i64, i64) {
    let open = app.new_case(&office.clerk.token, json!({"received_at": "2024-03-05T09:00:00+08:00"})).await;
    let closed = app.case_in(office, "closed").await;
    let other = app
        .new_case(&office.clerk.token, json!({"external_ref": "MH-77", "citizen": {"name": "李雷"}}))
        .await;
    (open["id"].as_i64().unwrap(), closed, other["id"].as_i64().unwrap())
}

async fn csv_holds_what_the_list_shows_masked(app: &TestApp) {
    let office = app.office().await;
    let (_, closed, _) = three_cases(app, &office).await;
    let resp = export(app, &office.clerk.token, "").await.expect(200);
    assert!(resp.header("content-type").unwrap().starts_with("text/csv"));
    assert!(resp
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment; filename=\"casedesk-cases-"));
    let records = csv_records(&resp);
    let mut expected_headers =
        vec!["编号", "渠道", "外部编号", "标题", "内容", "类别", "姓名", "电话", "邮箱", "地址"];
    expected_headers.extend(["是否公开", "收到时间", "承办单位", "状态", "签收时间", "答复内容", "答复时间"]);
    expected_headers.extend([
        "办结时间",
        "满意度",
        "办理工作满意度",
        "办理结果满意度",
        "评价时间",
        "备注",
        "重办次数",
    ]);
    expected_headers.extend(["是否解决", "回访结果", "回访时间", "核减", "并入", "截止时间", "是否超期"]);
    assert_eq!(records[0], expected_headers);
    let list = app.get("/api/v1/cases", Some(&office.clerk.token)).await.expect(200);
    let listed: Vec<&str> =
        list.body["items"].as_array().unwrap().iter().map(|c| c["tracking_no"].as_str().unwrap()).collect();
    assert_eq!(column(&records, "编号"), listed, "the list's cases, in its order");
    assert_eq!(column(&records, "电话")[2], "138****5678", "masked as in the list, even for a clerk");
    assert_eq!(column(&records, "邮箱")[2], "w***@example.cn");
    assert_eq!(column(&records, "收到时间")[2], "2024-03-05 09:00:00", "Beijing time");
    assert_eq!(column(&records, "截止时间")[2], "2024-03-26 23:59:59");
    assert_eq!(column(&records, "是否超期")[2], "是", "an open case of 2024 is past due");
    assert_eq!(column(&records, "渠道")[0], "公开信箱");
    assert_eq!(column(&records, "外部编号")[0], "MH-77");
    let closed_case = app.case(&office, closed).await;
    let at = listed.iter().position(|t| *t == closed_case["tracking_no"]).unwrap();
    assert_eq!(column(&records, "状态")[at], "已办结");
    assert_eq!(column(&records, "承办单位")[at], "EDU局");
    assert_eq!(column(&records, "答复内容")[at], "已协调新增停车位。");
    assert!(!column(&records, "签收时间")[at].is_empty(), "the accept event's time");
    assert!(!column(&records, "办结时间")[at].is_empty());
    assert_eq!(column(&records, "是否超期")[at], "否");
    assert_eq!(column(&records, "回访结果")[at], "待回访", "a closure with a phone is called back");
    assert_eq!(
        (column(&records, "回访时间")[at].as_str(), column(&records, "是否解决")[at].as_str()),
        ("", "")
    );

    // The list's filters and a handler's scope apply.
    let closed_only = csv_records(&export(app, &office.leader.token, "?state=closed").await.expect(200));
    assert_eq!(column(&closed_only, "编号"), [closed_case["tracking_no"].as_str().unwrap()]);
    let handler = csv_records(&export(app, &office.handler.token, "").await.expect(200));
    assert_eq!(
        column(&handler, "编号"),
        [closed_case["tracking_no"].as_str().unwrap()],
        "own department only"
    );
    let other_handler = csv_records(&export(app, &office.other_handler.token, "").await.expect(200));
    assert_eq!(other_handler.len(), 1, "the header alone");
    let searched = csv_records(
        &export(app, &office.clerk.token, "?q=%E5%81%9C%E8%BD%A6&channel=minhu").await.expect(200),
    );
    assert_eq!(searched.len(), 1);
}

async fn xlsx_has_the_same_rows_with_date_cells(app: &TestApp) {
    let office = app.office().await;
    three_cases(app, &office).await;
    let resp = app
        .send(app.request(
            Method::GET,
            "/api/v1/cases/export?format=xlsx&channel=mailbox",
            Some(&office.clerk.token),
        ))
        .await
        .expect(200);
    assert_eq!(
        resp.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let bytes = app
        .client
        .get(format!("{}/api/v1/cases/export?format=xlsx", app.base))
        .bearer_auth(&office.clerk.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("案件").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 4, "header and three cases");
    assert_eq!(rows[0][0], Data::String("编号".into()));
    assert_eq!(rows[3][7], Data::String("138****5678".into()));
    // 2024-03-05 09:00 Beijing time is Excel's day 45356 and 9/24 of a day.
    match &rows[3][11] {
        Data::DateTime(at) => assert!((at.as_f64() - 45356.375).abs() < 1e-9, "{at:?}"),
        other => panic!("收到时间 is not a date cell: {other:?}"),
    }
}

async fn exports_page_through_every_case(app: &TestApp) {
    let office = app.office().await;
    // More than one page (1000), loaded straight into the table.
    app.with_conn(|conn| {
        use casedesk::db::models::NewCaseRow;
        use casedesk::domain::lifecycle::CaseState;
        let received = casedesk::domain::time::parse_instant("2024-05-01T10:00:00+08:00").unwrap();
        let rows: Vec<NewCaseRow> = (1..=1005)
            .map(|i| NewCaseRow {
                tracking_no: format!("MH2024{i:06}"),
                channel: "minhu".into(),
                external_ref: Some(format!("X{i}")),
                title: format!("第{i}件"),
                content: "内容".into(),
                category: None,
                citizen_name: None,
                citizen_phone: None,
                citizen_email: None,
                citizen_address: None,
                is_public: false,
                query_code_hash: "x".into(),
                received_at: received,
                due_at: None,
                state: CaseState::Registered,
                created_by: None,
                created_at: received,
                updated_at: received,
                time_limit: None,
                time_limit_unit: None,
                extension_limit: None,
                extension_unit: None,
                department_id: None,
                reply: None,
                replied_at: None,
                closed_at: None,
                rating: None,
                result_rating: None,
                rating_source: None,
                rated_at: None,
                handling_seconds: None,
                handling_workdays: None,
                resolved: None,
                callback_state: None,
                callback_due_at: None,
                callback_at: None,
                rectification_state: None,
                rectification_due_at: None,
                rating_excluded_at: None,
            })
            .collect();
        casedesk::db::cases::insert_many(conn, &rows).unwrap();
    })
    .await;
    let records = csv_records(&export(app, &office.clerk.token, "?channel=minhu").await.expect(200));
    let refs = column(&records, "外部编号");
    assert_eq!(refs.len(), 1005);
    assert_eq!(refs[0], "X1005", "newest first");
    assert_eq!(refs[1004], "X1");
    let unique: std::collections::HashSet<_> = refs.iter().collect();
    assert_eq!(unique.len(), 1005, "no case twice across the page boundary");
}

async fn bad_requests_are_problems(app: &TestApp) {
    let office = app.office().await;
    assert_eq!(export(app, &office.clerk.token, "?format=pdf").await.expect(422).code(), "validation_failed");
    assert_eq!(export(app, &office.clerk.token, "?limit=5").await.expect(400).code(), "bad_request");
    assert_eq!(export(app, &office.clerk.token, "?state=done").await.expect(422).code(), "validation_failed");
    assert_eq!(export(app, &office.clerk.token, "?colour=red").await.expect(400).code(), "bad_request");
    let anonymous = app.get("/api/v1/cases/export", None).await.expect(401);
    assert_eq!(anonymous.code(), "unauthenticated");
}

/// Titles, letters and addresses a spreadsheet would run as formulas.
const FORMULAS: [&str; 6] = [
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example/unlock\",\"点此解冻\")",
    "+86 热线打不通",
    "-3号楼漏水",
    "@所有人 请注意",
    "'=本来就有引号",
];

/// Every cell of a CSV export that a spreadsheet would take for a formula
/// starts with `'` (OWASP), the workbook keeps them as inline text, and the
/// CSV imports back to exactly what was written.
async fn formula_cells_are_text_in_csv_and_import_back_unchanged(app: &TestApp) {
    let office = app.office().await;
    let mut originals = Vec::new();
    for (i, formula) in FORMULAS.iter().enumerate() {
        let case = app
            .new_case(
                &office.clerk.token,
                json!({"title": formula, "content": format!("{formula} 第{i}封"), "citizen": {"address": formula}}),
            )
            .await;
        originals.push((case["tracking_no"].as_str().unwrap().to_owned(), formula.to_string()));
    }
    let resp = export(app, &office.clerk.token, "").await.expect(200);
    let records = csv_records(&resp);
    let numbers = column(&records, "编号");
    for column_name in ["标题", "地址"] {
        let cells = column(&records, column_name);
        for (number, formula) in &originals {
            let at = numbers.iter().position(|n| n == number).unwrap();
            assert_eq!(cells[at], format!("'{formula}"), "{column_name} of {number}");
        }
    }
    for cell in records.iter().flatten() {
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula in the export: {cell}");
    }

    // The workbook: inline strings, no formula anywhere.
    let bytes = app
        .client
        .get(format!("{}/api/v1/cases/export?format=xlsx", app.base))
        .bearer_auth(&office.clerk.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut sheet)
        .unwrap();
    assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "no formula cells");
    assert!(sheet.contains(r#"t="inlineStr"><is><t>=cmd|' /C calc'!A0</t>"#), "the title as inline text");

    // Importing the CSV export gives the same text back (the export's 编号
    // stands in for the blank 外部编号, so these are new cases).
    let imported = app
        .send(
            app.request(Method::POST, "/api/v1/imports", Some(&office.clerk.token))
                .header("content-type", "text/csv")
                .body(resp.text.clone().into_bytes()),
        )
        .await
        .expect(201);
    assert_eq!(imported.body["counts"]["new"], FORMULAS.len() as i64, "{}", imported.text);
    let list = app.get("/api/v1/cases?limit=500", Some(&office.admin.token)).await.expect(200);
    let items = list.body["items"].as_array().unwrap().clone();
    for (number, formula) in &originals {
        let copy = items.iter().find(|c| c["external_ref"] == number.as_str()).expect("imported");
        let full = app.case(&office, copy["id"].as_i64().unwrap()).await;
        assert_eq!(full["title"], formula.as_str());
        assert_eq!(full["citizen"]["address"], formula.as_str());
        assert!(full["content"].as_str().unwrap().starts_with(formula));
    }

    // The refused-rows file is neutralised too, and imports back as it was.
    let bad = format!(
        "\u{feff}渠道,外部编号,标题,内容,收到时间\nmailbox,R-1,\"{}\",,2024-03-05\n",
        FORMULAS[1].replace('"', "\"\"")
    );
    let record = app
        .send(
            app.request(Method::POST, "/api/v1/imports", Some(&office.clerk.token))
                .header("content-type", "text/csv")
                .body(bad.into_bytes()),
        )
        .await
        .expect(201);
    let refused_url = record.body["refused_rows_url"].as_str().unwrap().to_owned();
    let refused = app.get(&refused_url, Some(&office.clerk.token)).await.expect(200);
    let refused_records = csv_records(&refused);
    assert_eq!(column(&refused_records, "标题"), [format!("'{}", FORMULAS[1])]);
    let again = app
        .send(
            app.request(Method::POST, "/api/v1/imports?dry_run=true", Some(&office.clerk.token))
                .header("content-type", "text/csv")
                .body(refused.text.into_bytes()),
        )
        .await
        .expect(201);
    let id = again.body["id"].as_i64().unwrap();
    let cells = app.with_conn(move |conn| casedesk::db::transfer::refusals(conn, id).unwrap()).await;
    let title: Vec<String> = serde_json::from_str(&cells[0].cells).unwrap();
    assert_eq!(title[2], FORMULAS[1], "the prefix is gone again on import");
}

backend_tests!(
    formula_cells_are_text_in_csv_and_import_back_unchanged,
    csv_holds_what_the_list_shows_masked,
    xlsx_has_the_same_rows_with_date_cells,
    exports_page_through_every_case,
    bad_requests_are_problems,
);
