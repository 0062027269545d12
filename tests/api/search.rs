//! The case list's `q` through the text index (issue 24): words of the
//! title and letter, the citizen's name, the tracking number and the external
//! reference, normalised alike; a handler's search stays in their
//! department; bad searches are 422 and change nothing.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp};
use crate::pages::{page, sign_in};

fn ids(body: &Value) -> Vec<i64> {
    body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

async fn search(app: &TestApp, token: &str, q: &str) -> Value {
    let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
    app.get(&format!("/api/v1/cases?q={q}"), Some(token)).await.expect(200).body
}

async fn letter(app: &TestApp, office: &Office, title: &str, content: &str, name: &str) -> i64 {
    let body = json!({"title": title, "content": content, "citizen": {"name": name, "phone": "13900001111"}});
    app.new_case(&office.clerk.token, body).await["id"].as_i64().unwrap()
}

async fn finds_words_names_numbers_and_references(app: &TestApp) {
    let office = app.office().await;
    let lamp =
        letter(app, &office, "路灯不亮", "人民路东段的路灯坏了三个月，晚上出行不便。", "欧阳娜娜").await;
    let school = letter(app, &office, "幼儿园收费", "城南幼儿园今年收费上涨太多。", "司马光").await;
    let imported = app
        .new_case(
            &office.clerk.token,
            json!({"channel": "minhu", "external_ref": "WX-2026-0042", "title": "噪音扰民", "content": "广场舞音响太大声。"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    // Registered one by one, the letters wait in the index's queue; the
    // answers are the same from the queue and, once the indexer has run,
    // from the index.
    assert_eq!(app.queued_for_index().await, 3);
    for indexed in [false, true] {
        if indexed {
            assert_eq!(app.index_queued().await, 3);
            assert_eq!(app.queued_for_index().await, 0);
        }
        finds_each_field(app, &office, [lamp, school, imported]).await;
    }
}

async fn finds_each_field(app: &TestApp, office: &Office, [lamp, school, imported]: [i64; 3]) {
    let clerk = office.clerk.token.as_str();
    assert_eq!(ids(&search(app, clerk, "出行不便").await), vec![lamp], "a word of the letter");
    assert_eq!(ids(&search(app, clerk, "欧阳娜娜").await), vec![lamp], "the citizen's name");
    assert_eq!(ids(&search(app, clerk, "幼儿园").await), vec![school], "a word of the title");
    assert_eq!(ids(&search(app, clerk, "wx-2026-0042").await), vec![imported], "an external reference");
    assert_eq!(ids(&search(app, clerk, "ＷＸ２０２６").await), vec![imported], "full-width forms fold");
    let tracking = app.case(office, school).await["tracking_no"].as_str().unwrap().to_owned();
    assert_eq!(ids(&search(app, clerk, &tracking.to_lowercase()).await), vec![school], "a tracking number");
    // Every bigram is in the lamp letter (路灯, 灯坏), but not the phrase.
    assert_eq!(ids(&search(app, clerk, "路灯坏灯").await), Vec::<i64>::new(), "bigrams only narrow");
    assert_eq!(ids(&search(app, clerk, "月晚上").await), vec![lamp], "punctuation is not searched for");
    let found = search(app, clerk, "路灯").await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["total_capped"], false);
    let unfiltered = app.get("/api/v1/cases", Some(clerk)).await.expect(200).body;
    assert!(unfiltered.get("total").is_none(), "a list without a search is as it was");
    // The other filters still apply to what the index found.
    let minhu = app.get("/api/v1/cases?q=%E8%B7%AF%E7%81%AF&channel=minhu", Some(clerk)).await.expect(200);
    assert_eq!(ids(&minhu.body), Vec::<i64>::new());
}

async fn a_handler_finds_only_their_departments_cases(app: &TestApp) {
    let office = app.office().await;
    let mine = letter(app, &office, "道路破损", "文化路路面坑洼积水。", "王伟").await;
    let theirs = letter(app, &office, "道路破损严重", "人民路路面坑洼。", "王伟").await;
    app.act(&office.clerk.token, mine, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    app.act(&office.clerk.token, theirs, "assign", json!({"department_id": office.dept_b})).await.expect(200);
    // These two from the index, the three below from the queue: one search over both.
    app.index_queued().await;
    assert_eq!(ids(&search(app, &office.clerk.token, "坑洼").await), vec![theirs, mine]);
    assert_eq!(ids(&search(app, &office.handler.token, "坑洼").await), vec![mine]);
    assert_eq!(ids(&search(app, &office.other_handler.token, "王伟").await), vec![theirs]);
    let masked = search(app, &office.handler.token, "王伟").await;
    assert_eq!(masked["items"][0]["citizen"]["phone"], "139****1111", "masking is unchanged");
    // Paging through a search by cursor gives every match once.
    for n in 0..3 {
        letter(app, &office, &format!("坑洼第{n}处"), "路面坑洼。", "李强").await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/api/v1/cases?q=%E5%9D%91%E6%B4%BC&limit=2&cursor={c}"),
            None => "/api/v1/cases?q=%E5%9D%91%E6%B4%BC&limit=2".into(),
        };
        let body = app.get(&query, Some(&office.clerk.token)).await.expect(200).body;
        assert_eq!(body["total"], 5, "the total is of every page");
        seen.extend(ids(&body));
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(app.queued_for_index().await, 3);
    assert_eq!(seen.len(), 5);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats: {seen:?}");
    // The console's search box is the same search.
    let handler = sign_in(app, "handler-a", crate::helpers::PASSWORD).await;
    let (status, html) = page(app, "/console/cases?q=%E5%9D%91%E6%B4%BC", &handler).await;
    assert_eq!(status, 200);
    assert!(html.contains("文化路") || html.contains("道路破损"), "{html}");
    assert!(!html.contains("道路破损严重"), "another department's case is not listed");
}

async fn bad_searches_are_refused_with_a_stable_code(app: &TestApp) {
    let office = app.office().await;
    let id = letter(app, &office, "路灯不亮", "100%的路灯_坏了\\。", "王伟").await;
    let before = app.case(&office, id).await;
    let clerk = office.clerk.token.as_str();
    let long = "路".repeat(500);
    for q in ["王", "%", "_", "\\", "%_\\", "。", long.as_str()] {
        let encoded: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let resp = app.get(&format!("/api/v1/cases?q={encoded}"), Some(clerk)).await;
        assert_eq!(resp.status, 422, "{q}: {:?}", resp.body);
        assert_eq!(resp.code(), "validation_failed");
        assert_eq!(resp.body["errors"][0]["field"], "q");
    }
    // Metacharacters beside letters are not wildcards, nor errors.
    assert_eq!(ids(&search(app, clerk, "100%").await), vec![id]);
    assert_eq!(ids(&search(app, clerk, "' OR 1=1 --").await), Vec::<i64>::new());
    assert_eq!(ids(&search(app, clerk, "路灯_坏").await), vec![id], "punctuation is not searched for");
    // A blank search is no search, as a form's empty box.
    assert_eq!(app.get("/api/v1/cases?q=", Some(clerk)).await.expect(200).body["items"][0]["id"], id);
    // NUL is refused before any handler (400); bytes that are not UTF-8 (an
    // unpaired surrogate, as CESU-8) read as U+FFFD, which is not a letter:
    // alone it is too short a search, beside letters it is left out.
    let resp = app.get("/api/v1/cases?q=%00", Some(clerk)).await;
    assert_eq!((resp.status, resp.code()), (400, "bad_request"));
    let resp = app.get("/api/v1/cases?q=%ED%A0%80", Some(clerk)).await;
    assert_eq!((resp.status, resp.code()), (422, "validation_failed"));
    let resp = app.get("/api/v1/cases?q=%E8%B7%AF%ED%B0%80%E7%81%AF", Some(clerk)).await.expect(200);
    assert_eq!(ids(&resp.body), vec![id], "路\u{FFFD}灯 searches 路灯");
    assert_eq!(app.case(&office, id).await, before, "nothing changed");
}

async fn the_services_indexer_empties_the_queue(app: &TestApp) {
    let office = app.office().await;
    let id = letter(app, &office, "井盖缺失", "建设路口的井盖丢了，很危险。", "刘洋").await;
    assert_eq!(app.queued_for_index().await, 1);
    // The background task the service starts (the tests' services run none).
    casedesk::indexer::spawn(app.state.db.clone());
    let started = std::time::Instant::now();
    while app.queued_for_index().await > 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the queue was not indexed");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let terms: i64 = app
        .with_conn(move |conn| {
            use casedesk::db::schema::case_terms;
            use diesel::prelude::*;
            case_terms::table.filter(case_terms::case_id.eq(id)).count().get_result(conn).expect("count")
        })
        .await;
    assert!(terms > 20, "the letter's bigrams are indexed: {terms}");
    assert_eq!(ids(&search(app, &office.clerk.token, "井盖").await), vec![id]);
}

backend_tests!(
    the_services_indexer_empties_the_queue,
    finds_words_names_numbers_and_references,
    a_handler_finds_only_their_departments_cases,
    bad_searches_are_refused_with_a_stable_code,
);
