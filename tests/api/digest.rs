//! The leaders' digest (issue 23): an account's `digest` setting, and one
//! mail per subscribed account and period — at Monday 08:00 Asia/Shanghai
//! for the week before, on the 1st for the month before — with the headline
//! figures, the risk board and the 运行通报 workbook, never twice (a restart,
//! two instances), through a real SMTP server.

use std::net::TcpListener;

use calamine::Reader;
use casedesk::db::Db;
use casedesk::digest;
use casedesk::domain::time;
use chrono::NaiveDateTime;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::notifications::{deliver, smtp_settings, SmtpServer};

fn at(instant: &str) -> NaiveDateTime {
    time::parse_instant(instant).unwrap()
}

async fn run(app: &TestApp, settings: &casedesk::config::Settings, now: &str) -> usize {
    let (db, settings, now) = (app.state.db.clone(), settings.clone(), at(now));
    actix_web::web::block(move || digest::run(&db, now, &settings)).await.unwrap().unwrap()
}

async fn subscribe(app: &TestApp, admin: &str, user: i64, email: &str, digest: &str) {
    let changed = app
        .patch(&format!("/api/v1/users/{user}"), Some(admin), json!({"email": email, "digest": digest}))
        .await
        .expect(200);
    assert_eq!(changed.body["digest"], digest);
}

async fn each_subscriber_gets_one_digest_per_period(app: &TestApp) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let smtp = SmtpServer::start(listener);
    let settings = smtp_settings(app, port);
    let office = app.office().await;
    let admin = office.admin.token.clone();
    subscribe(app, &admin, office.leader.id, "leader@county.gov.cn", "weekly").await;
    subscribe(app, &admin, office.clerk.id, "clerk@county.gov.cn", "monthly").await;
    // The handler keeps the default and gets nothing; a made-up value changes nothing.
    let refused = app
        .patch(&format!("/api/v1/users/{}", office.handler.id), Some(&admin), json!({"digest": "daily"}))
        .await;
    assert_eq!((refused.status, refused.code()), (422, "validation_failed"));
    assert_eq!(refused.body["errors"][0]["field"], "digest");
    let users = app.get("/api/v1/users", Some(&admin)).await.expect(200);
    let handler =
        users.body["items"].as_array().unwrap().iter().find(|u| u["id"] == office.handler.id).unwrap();
    assert_eq!(handler["digest"], "none");
    app.new_case(&office.clerk.token, json!({"received_at": "2026-11-25T10:00:00+08:00"})).await;

    // Monday 30 November 2026, 08:00 in Beijing: the leader's weekly digest.
    assert_eq!(run(app, &settings, "2026-11-30T07:59:59+08:00").await, 0, "not before eight");
    assert_eq!(run(app, &settings, "2026-11-30T08:00:00+08:00").await, 1);
    assert_eq!(run(app, &settings, "2026-11-30T08:30:00+08:00").await, 0, "once");
    let restarted = Db::connect(&app.database_url, 2).unwrap();
    let (again_settings, now) = (settings.clone(), at("2026-11-30T09:00:00+08:00"));
    let again =
        actix_web::web::block(move || digest::run(&restarted, now, &again_settings)).await.unwrap().unwrap();
    assert_eq!(again, 0, "a restarted service writes nothing again");

    assert_eq!(deliver(app, &settings, time::now_utc()).await.sent, 2, "the case's receipt and the digest");
    let mails = smtp.mails();
    let mail = mails.iter().find(|m| m.to == ["leader@county.gov.cn"]).expect("the leader's digest");
    assert_eq!(mail.subject, "【运行周报】2026-11-23至2026-11-29");
    assert!(mail.text.contains("受理1件"), "{}", mail.text);
    assert!(mail.text.contains("按时签收率"), "{}", mail.text);
    assert!(mail.text.contains("风险看板"), "{}", mail.text);
    let (name, bytes) = mail.attachments.first().expect("the bulletin attached");
    assert_eq!(name, "运行通报_2026-11-23_2026-11-29.xlsx");
    let book = calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).expect("a real workbook");
    assert_eq!(book.sheet_names()[0], "总体情况");
    assert!(mails.iter().all(|m| m.to != ["clerk@county.gov.cn"]), "the clerk's is monthly");

    // Tuesday 1 December, 08:00: the clerk's monthly digest of November, the leader nothing new.
    assert_eq!(run(app, &settings, "2026-12-01T08:00:00+08:00").await, 1);
    assert_eq!(deliver(app, &settings, time::now_utc()).await.sent, 1);
    let monthly = smtp.mails().into_iter().find(|m| m.to == ["clerk@county.gov.cn"]).expect("the clerk's");
    assert_eq!(monthly.subject, "【运行月报】2026-11-01至2026-11-30");
    // Once sent, the workbook is no longer kept in the outbox.
    let kept: Vec<String> = app
        .with_conn(|conn| {
            use casedesk::db::schema::outbox::dsl::*;
            use diesel::prelude::*;
            outbox.filter(kind.eq("digest")).select(payload).load(conn).unwrap()
        })
        .await;
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|p| !p.contains("base64")), "{kept:?}");
}

backend_tests!(each_subscriber_gets_one_digest_per_period);

/// Two instances' digest runs against one PostgreSQL database write each
/// subscriber's digest once.
#[test]
fn two_instances_on_postgres_write_each_digest_once() {
    let system = actix_web::rt::System::new();
    let (app, settings) = system.block_on(async {
        let app = TestApp::spawn(Backend::Postgres).await;
        let office = app.office().await;
        let admin = office.admin.token.clone();
        for (i, id) in
            [office.leader.id, office.clerk.id, office.handler.id, office.other_handler.id].iter().enumerate()
        {
            subscribe(&app, &admin, *id, &format!("staff{i}@county.gov.cn"), "weekly").await;
        }
        let settings = crate::helpers::test_settings(&app.database_url);
        (app, settings)
    });
    let now = at("2026-11-30T08:01:00+08:00");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let instances: Vec<_> = (0..2)
        .map(|_| {
            let (url, barrier, settings) = (app.database_url.clone(), barrier.clone(), settings.clone());
            std::thread::spawn(move || {
                let db = Db::connect(&url, 2).unwrap();
                barrier.wait();
                (0..3).map(|_| digest::run(&db, now, &settings).unwrap()).sum::<usize>()
            })
        })
        .collect();
    let written: usize = instances.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(written, 4);
    let mails: i64 = system.block_on(app.with_conn(|conn| {
        use casedesk::db::schema::outbox::dsl::*;
        use diesel::prelude::*;
        outbox.filter(kind.eq("digest")).count().get_result(conn).unwrap()
    }));
    assert_eq!(mails, 4);
    system.block_on(app.shutdown());
}
