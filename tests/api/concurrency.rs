//! Many clients at once: tracking numbers stay gap-free and unique, and one
//! case can be approved only once.

use std::collections::BTreeMap;

use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;

async fn concurrent_intake_numbers_without_gaps_or_duplicates(app: &TestApp) {
    let office = app.office().await;
    let channels = ["mailbox", "minhu"];
    let requests = (0..60).map(|i| {
        let body = json!({
            "channel": channels[i % 2],
            "title": format!("并发登记 {i}"),
            "content": "内容",
            "received_at": "2024-05-06T09:00:00+08:00",
        });
        app.post("/api/v1/cases", Some(&office.clerk.token), body)
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut numbers: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for resp in &responses {
        assert_eq!(resp.status, 201, "{}", resp.text);
        let tracking = resp.body["tracking_no"].as_str().unwrap();
        numbers.entry(tracking[..6].to_owned()).or_default().push(tracking[6..].parse().unwrap());
    }
    for (prefix, mut seqs) in numbers {
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=30).collect::<Vec<u32>>(), "{prefix}: gap-free and unique");
    }
}

async fn concurrent_approvals_close_a_case_once(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "reviewing").await;
    let approvals = (0..10).map(|_| app.act(&office.clerk.token, id, "approve", json!({})));
    let responses = futures_util::future::join_all(approvals).await;
    let winners = responses.iter().filter(|r| r.status == 200).count();
    assert_eq!(winners, 1, "exactly one approval wins");
    for loser in responses.iter().filter(|r| r.status != 200) {
        assert_eq!(loser.status, 409, "{}", loser.text);
        assert_eq!(loser.code(), "invalid_transition");
        assert_eq!(loser.body["state"], "closed");
    }
    let approve_events =
        app.events(&office, id).await.into_iter().filter(|e| e["action"] == "approve").count();
    assert_eq!(approve_events, 1);
    assert_eq!(app.case(&office, id).await["version"], 5);
}

async fn concurrent_actions_with_if_match_let_one_through(app: &TestApp) {
    let office = app.office().await;
    let id = app.case_in(&office, "registered").await;
    let supervisions = (0..6).map(|i| {
        app.send(
            app.request(
                reqwest::Method::POST,
                &format!("/api/v1/cases/{id}/supervise"),
                Some(&office.leader.token),
            )
            .header("If-Match", "1")
            .json(&json!({"note": format!("督办 {i}")})),
        )
    });
    let responses = futures_util::future::join_all(supervisions).await;
    assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1);
    assert!(responses.iter().filter(|r| r.status != 200).all(|r| r.code() == "version_conflict"));
    let supervise_events =
        app.events(&office, id).await.into_iter().filter(|e| e["action"] == "supervise").count();
    assert_eq!(supervise_events, 1);
}

/// Concurrent intakes of one external reference, each under an
/// `Idempotency-Key` of its own: one is registered, and every other is told
/// the case is a `duplicate` — not a `conflict` over idempotency keys, which
/// they did not share.
async fn concurrent_intakes_of_one_external_reference_are_duplicates(app: &TestApp) {
    let office = app.office().await;
    let requests = (0..12).map(|i| {
        let body = json!({
            "channel": "minhu",
            "external_ref": "MH-PLATFORM-77",
            "title": "同一平台件",
            "content": "内容",
        });
        app.send(
            app.request(reqwest::Method::POST, "/api/v1/cases", Some(&office.clerk.token))
                .header("Idempotency-Key", format!("key-{i}"))
                .json(&body),
        )
    });
    let responses = futures_util::future::join_all(requests).await;
    assert_eq!(responses.iter().filter(|r| r.status == 201).count(), 1, "one case is registered");
    for refused in responses.iter().filter(|r| r.status != 201) {
        assert_eq!((refused.status, refused.code()), (409, "duplicate"), "{}", refused.text);
    }
}

backend_tests!(
    concurrent_intakes_of_one_external_reference_are_duplicates,
    concurrent_intake_numbers_without_gaps_or_duplicates,
    concurrent_approvals_close_a_case_once,
    concurrent_actions_with_if_match_let_one_through,
);
