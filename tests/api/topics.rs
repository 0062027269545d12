//! 热点 (issue 24): `/stats/topics` counts the words of the titles and the
//! categories of the cases received in the period, with the change on the
//! period before and the rising ones; kept in the case's transaction so that
//! a case made invalid, merged or moved to another department moves its
//! topics, equal to a rebuild from the cases; bad input is 4xx.

use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Office, TestApp};

const PERIOD: &str = "from=2026-10-01&to=2026-11-01";

async fn letter(app: &TestApp, office: &Office, title: &str, category: &str, received_at: &str) -> i64 {
    let body = json!({"title": title, "category": category, "received_at": received_at});
    app.new_case(&office.clerk.token, body).await["id"].as_i64().unwrap()
}

fn find<'a>(list: &'a Value, term: &str) -> Option<&'a Value> {
    list.as_array().unwrap().iter().find(|t| t["term"] == term)
}

async fn topics(app: &TestApp, token: &str, query: &str) -> Value {
    app.get(&format!("/api/v1/stats/topics?{query}"), Some(token)).await.expect(200).body
}

async fn counts_words_categories_change_and_rising(app: &TestApp) {
    let office = app.office().await;
    // 13 in the period's last week (one made invalid below), none before: rising.
    let mut lamps = Vec::new();
    for _ in 0..13 {
        lamps.push(
            letter(app, &office, "关于人民路路灯不亮的问题", "市政设施", "2026-10-27T09:00:00+08:00").await,
        );
    }
    // 4 in the weeks before the last, 2 in the period before.
    for _ in 0..4 {
        letter(app, &office, "广场舞噪音扰民", "环境保护", "2026-10-05T09:00:00+08:00").await;
    }
    for _ in 0..2 {
        letter(app, &office, "广场舞噪音扰民", "环境保护", "2026-09-15T09:00:00+08:00").await;
    }
    // Outside both periods: counts nowhere.
    letter(app, &office, "广场舞噪音扰民", "环境保护", "2026-11-02T09:00:00+08:00").await;
    app.act(&office.clerk.token, lamps[12], "invalidate", json!({"reason": "重复录入"})).await.expect(200);
    for &id in &lamps[..3] {
        app.act(&office.clerk.token, id, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    }

    let all = topics(app, &office.leader.token, PERIOD).await;
    assert_eq!(all["period"], json!({"from": "2026-10-01", "to": "2026-11-01"}));
    assert_eq!(all["previous_period"], json!({"from": "2026-08-31", "to": "2026-10-01"}));
    assert_eq!(all["last_week"], json!({"from": "2026-10-25", "to": "2026-11-01"}));
    let lamp = find(&all["terms"], "路灯").expect("路灯 is a topic");
    assert_eq!((lamp["cases"].as_i64(), lamp["previous"].as_i64()), (Some(12), Some(0)), "{lamp}");
    assert_eq!(lamp["change_rate"], Value::Null);
    assert_eq!((lamp["last_week"].as_i64(), lamp["rising"].as_bool()), (Some(12), Some(true)));
    let noise = find(&all["terms"], "噪音").expect("噪音 is a topic");
    assert_eq!((noise["cases"].as_i64(), noise["previous"].as_i64()), (Some(4), Some(2)), "{noise}");
    assert_eq!((noise["change"].as_i64(), noise["change_rate"].as_f64()), (Some(2), Some(1.0)));
    assert_eq!((noise["weeks_before"].as_i64(), noise["rising"].as_bool()), (Some(4), Some(false)));
    for stop in ["关于", "问题", "的", "人"] {
        assert!(find(&all["terms"], stop).is_none(), "{stop} is not a topic: {}", all["terms"]);
    }
    let civic = find(&all["categories"], "市政设施").expect("a category");
    assert_eq!((civic["kind"].as_str(), civic["cases"].as_i64()), (Some("category"), Some(12)));
    assert_eq!(find(&all["categories"], "环境保护").unwrap()["cases"], 4);
    assert_eq!(all["categories"][0]["term"], "市政设施", "most cases first");
    let rising: Vec<&str> =
        all["rising"].as_array().unwrap().iter().map(|t| t["term"].as_str().unwrap()).collect();
    assert!(rising.contains(&"路灯") && rising.contains(&"市政设施"), "{rising:?}");
    assert!(!rising.contains(&"噪音"), "{rising:?}");

    // The category's link lists exactly its cases.
    let listed = app
        .get(
            "/api/v1/cases?category=%E5%B8%82%E6%94%BF%E8%AE%BE%E6%96%BD&received_from=2026-10-01&received_to=2026-11-01&state=registered,assigned&limit=100",
            Some(&office.clerk.token),
        )
        .await
        .expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 12);

    // A department's topics are the cases it holds; a handler gets their own.
    let dept = topics(app, &office.leader.token, &format!("{PERIOD}&department_id={}", office.dept_a)).await;
    assert_eq!(find(&dept["terms"], "路灯").unwrap()["cases"], 3);
    assert!(find(&dept["terms"], "噪音").is_none());
    let own = topics(app, &office.handler.token, PERIOD).await;
    assert_eq!(own["scope"]["department_id"], office.dept_a);
    assert_eq!(find(&own["terms"], "路灯").unwrap()["cases"], 3);
    let other = format!("/api/v1/stats/topics?{PERIOD}&department_id={}", office.dept_a);
    app.get(&other, Some(&office.other_handler.token)).await.expect(403);

    // Counted from the index's queue above (registered one by one, and
    // made invalid or assigned while queued); the indexer counts them as
    // they are now, once.
    assert!(app.queued_for_index().await > 0);
    app.index_queued().await;
    assert_eq!(topics(app, &office.leader.token, PERIOD).await, all, "indexing changes nothing");
    // Kept in step: the counts equal a rebuild from the cases.
    app.with_conn(|conn| casedesk::db::topics::rebuild(conn).expect("rebuild")).await;
    assert_eq!(topics(app, &office.leader.token, PERIOD).await, all, "a rebuild changes nothing");
}

async fn merging_and_unmerging_moves_the_topics_back_and_forth(app: &TestApp) {
    let office = app.office().await;
    let parent = letter(app, &office, "自来水停水", "供水", "2026-10-10T09:00:00+08:00").await;
    let child = letter(app, &office, "自来水停水", "供水", "2026-10-11T09:00:00+08:00").await;
    // Counted by the indexer: the merge moves the stored counts.
    app.index_queued().await;
    let before = topics(app, &office.clerk.token, PERIOD).await;
    assert_eq!(find(&before["terms"], "自来水").unwrap()["cases"], 2);
    app.act(&office.clerk.token, child, "merge", json!({"into": parent})).await.expect(200);
    let merged = topics(app, &office.clerk.token, PERIOD).await;
    assert_eq!(find(&merged["terms"], "自来水").unwrap()["cases"], 1, "a merged case is not received");
    app.act(&office.clerk.token, child, "unmerge", json!({"reason": "并非同一诉求"})).await.expect(200);
    assert_eq!(topics(app, &office.clerk.token, PERIOD).await, before);
}

/// Indexes `cases` queued cases from a thread of its own, `batch` at a time
/// with `pause` between batches; returns how many it indexed.
fn index_in_background(app: &TestApp, cases: usize, batch: i64, pause: Duration) -> JoinHandle<usize> {
    let db = app.state.db.clone();
    std::thread::spawn(move || {
        let mut indexed = 0;
        while indexed < cases {
            indexed += db
                .write_blocking(|conn| Ok(casedesk::db::search::index_queued(conn, batch)?))
                .expect("a batch");
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        indexed
    })
}

async fn the_counts_stay_exact_while_the_indexer_races_changes_of_queued_cases(app: &TestApp) {
    let office = app.office().await;
    let mut ids = Vec::new();
    for _ in 0..24 {
        ids.push(letter(app, &office, "自来水停水", "供水", "2026-10-10T09:00:00+08:00").await);
    }
    // Small batches from a thread of its own, while the clerk invalidates and
    // assigns the cases in the queue's order, so that on PostgreSQL a change
    // and the batch that takes its case meet.
    let indexer = index_in_background(app, 24, 2, Duration::from_millis(5));
    for (n, &id) in ids.iter().enumerate() {
        let (action, body) = match n % 3 {
            0 => ("invalidate", json!({"reason": "重复录入"})),
            _ => ("assign", json!({"department_id": office.dept_a})),
        };
        app.act(&office.clerk.token, id, action, body).await.expect(200);
    }
    assert_eq!(indexer.join().expect("indexer"), 24);
    let counted = topics(app, &office.leader.token, PERIOD).await;
    assert_eq!(find(&counted["terms"], "自来水").unwrap()["cases"], 16, "{counted}");
    let dept = topics(app, &office.leader.token, &format!("{PERIOD}&department_id={}", office.dept_a)).await;
    assert_eq!(find(&dept["terms"], "自来水").unwrap()["cases"], 16);
    app.with_conn(|conn| casedesk::db::topics::rebuild(conn).expect("rebuild")).await;
    assert_eq!(topics(app, &office.leader.token, PERIOD).await, counted, "equal to a rebuild");
}

async fn a_read_while_the_indexer_moves_cases_counts_each_once(app: &TestApp) {
    let office = app.office().await;
    for _ in 0..40 {
        letter(app, &office, "自来水停水", "供水", "2026-10-10T09:00:00+08:00").await;
    }
    let indexer = index_in_background(app, 40, 1, Duration::ZERO);
    // Each read adds the stored counts and the queue in one snapshot.
    let mut reads = 0;
    while !indexer.is_finished() || reads == 0 {
        let counted = topics(app, &office.leader.token, PERIOD).await;
        assert_eq!(find(&counted["terms"], "自来水").unwrap()["cases"], 40, "read {reads}: {counted}");
        reads += 1;
    }
    indexer.join().expect("indexer");
    assert_eq!(app.queued_for_index().await, 0);
}

async fn bad_queries_are_refused(app: &TestApp) {
    let office = app.office().await;
    let leader = office.leader.token.as_str();
    let problem = |query: &'static str, status: u16| async move {
        app.get(&format!("/api/v1/stats/topics?{query}"), Some(leader)).await.expect(status)
    };
    problem("from=2026-11-01&to=2026-10-01", 422).await;
    problem("to=2026-10-01", 422).await;
    problem("from=2026-10-01&to=not-a-day", 422).await;
    problem("from=2000-01-01&to=2026-10-01", 422).await;
    problem("from=2026-10-01&to=2026-11-01&department_id=abc", 422).await;
    problem("from=2026-10-01&to=2026-11-01&as_of=2026-10-01", 400).await;
    app.get("/api/v1/stats/topics?from=2026-10-01&to=2026-11-01", None).await.expect(401);
    // A channel no case came through: nothing, not an error.
    let none = topics(app, leader, "from=2026-10-01&to=2026-11-01&channel=nowhere").await;
    assert_eq!((none["terms"].as_array().unwrap().len(), none["rising"].as_array().unwrap().len()), (0, 0));
}

backend_tests!(
    counts_words_categories_change_and_rising,
    merging_and_unmerging_moves_the_topics_back_and_forth,
    the_counts_stay_exact_while_the_indexer_races_changes_of_queued_cases,
    a_read_while_the_indexer_moves_cases_counts_each_once,
    bad_queries_are_refused,
);
