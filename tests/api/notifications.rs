//! Mail through the outbox, delivered to a real SMTP server on loopback over
//! TCP: departments hear of assignments, citizens get their receipt and the
//! reply; mail survives an SMTP outage; two senders on one PostgreSQL
//! database deliver every message exactly once; a rolled-back change sends
//! nothing.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use casedesk::config::Settings;
use casedesk::db::Db;
use casedesk::domain::actions::{ActionBody, AssignBody};
use casedesk::domain::calendar::Clock;
use casedesk::domain::ids::{CaseId, DepartmentId, UserId};
use casedesk::domain::lifecycle::Actor;
use casedesk::domain::notice::Notice;
use casedesk::domain::role::Role;
use casedesk::domain::time;
use casedesk::error::AppError;
use casedesk::notify::{self, Mailer};
use casedesk::service::access::Caller;
use casedesk::service::cases;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

/// One delivered mail, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Envelope recipients.
    pub to: Vec<String>,
    /// Decoded subject.
    pub subject: String,
    /// Decoded plain-text body.
    pub text: String,
    /// Message-ID header.
    pub message_id: String,
    /// Attached files: name and decoded bytes.
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// Every part of a message, nested multiparts opened.
fn leaves<'a>(part: &'a mailparse::ParsedMail<'a>, found: &mut Vec<&'a mailparse::ParsedMail<'a>>) {
    if part.subparts.is_empty() {
        found.push(part);
    }
    for sub in &part.subparts {
        leaves(sub, found);
    }
}

#[derive(Clone, Default)]
struct Inbox {
    delivered: Arc<Mutex<Vec<Mail>>>,
    to: Vec<String>,
    data: Vec<u8>,
    /// How long the server takes to accept each message.
    delay: std::time::Duration,
}

impl mailin_embedded::Handler for Inbox {
    fn data_start(&mut self, _: &str, _: &str, _: bool, to: &[String]) -> mailin_embedded::Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        std::thread::sleep(self.delay);
        let parsed = mailparse::parse_mail(&self.data).expect("a well-formed message");
        use mailparse::MailHeaderMap;
        let mut parts = Vec::new();
        leaves(&parsed, &mut parts);
        let text = parts
            .iter()
            .find(|p| p.ctype.mimetype == "text/plain")
            .map(|p| p.get_body().expect("decodable body"))
            .unwrap_or_default();
        let attachments = parts
            .iter()
            .filter_map(|p| {
                let name = p.get_content_disposition().params.get("filename").cloned()?;
                Some((name, p.get_body_raw().expect("decodable attachment")))
            })
            .collect();
        self.delivered.lock().unwrap().push(Mail {
            to: self.to.clone(),
            subject: parsed.headers.get_first_value("Subject").unwrap_or_default(),
            text,
            message_id: parsed.headers.get_first_value("Message-ID").unwrap_or_default(),
            attachments,
        });
        mailin_embedded::response::OK
    }
}

/// A real SMTP server on a loopback port, in a thread of its own.
pub struct SmtpServer {
    delivered: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpServer {
    /// Starts a server on `listener`.
    pub fn start(listener: TcpListener) -> SmtpServer {
        SmtpServer::start_slow(listener, std::time::Duration::ZERO)
    }

    /// Starts a server on `listener` that takes `delay` to accept each message.
    pub fn start_slow(listener: TcpListener, delay: std::time::Duration) -> SmtpServer {
        let inbox = Inbox { delay, ..Inbox::default() };
        let delivered = inbox.delivered.clone();
        let mut server = mailin_embedded::Server::new(inbox);
        server.with_name("smtp.test").with_tcp_listener(listener);
        std::thread::spawn(move || {
            // serve() only returns on a start-up error; the test then fails on its first send.
            let _ = server.serve();
        });
        SmtpServer { delivered }
    }

    /// Every mail received so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.delivered.lock().unwrap().clone()
    }
}

/// A registered case whose citizen left no email: only departments get mail about it.
async fn case_without_email(app: &TestApp, office: &crate::helpers::Office) -> i64 {
    app.new_case(&office.clerk.token, json!({"citizen": {"name": "匿名"}})).await["id"].as_i64().unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) fn smtp_settings(app: &TestApp, port: u16) -> Settings {
    let mut settings = crate::helpers::test_settings(&app.database_url);
    settings.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    settings.public_url = "https://xf.county.gov.cn".into();
    settings.mail_retry_base_secs = 30;
    settings
}

pub(crate) async fn deliver(
    app: &TestApp,
    settings: &Settings,
    now: chrono::NaiveDateTime,
) -> notify::Delivery {
    let mailer = Mailer::from_settings(settings).unwrap();
    notify::deliver_due(&app.state.db, &mailer, settings, None, now).await.unwrap()
}

async fn departments_and_citizens_get_their_mail(app: &TestApp) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let smtp = SmtpServer::start(listener);
    let settings = smtp_settings(app, port);
    let office = app.office().await;
    let case = app
        .new_case(&office.clerk.token, json!({"citizen": {"name": "王芳", "email": "wangfang@example.cn"}}))
        .await;
    let (id, tracking_no, code) = (
        case["id"].as_i64().unwrap(),
        case["tracking_no"].as_str().unwrap().to_owned(),
        case["query_code"].as_str().unwrap().to_owned(),
    );
    app.act(
        &office.clerk.token,
        id,
        "assign",
        json!({"department_id": office.dept_a, "note": "请于本周内答复"}),
    )
    .await
    .expect(200);
    let delivery = deliver(app, &settings, time::now_utc()).await;
    assert_eq!(delivery.sent, 2, "the receipt and the assignment");
    let mails = smtp.mails();
    let receipt = mails.iter().find(|m| m.to == ["wangfang@example.cn"]).expect("the citizen's receipt");
    assert_eq!(receipt.subject, format!("【来信已收到】{tracking_no}"));
    assert!(receipt.text.contains(&code), "the receipt carries the query code");
    let assignment = mails.iter().find(|m| m.to == ["edu@county.gov.cn"]).expect("the department's mail");
    assert!(assignment.subject.contains(&tracking_no));
    assert!(assignment.text.contains("请于本周内答复"));
    assert!(assignment.text.contains(&format!("https://xf.county.gov.cn/api/v1/cases/{id}")));
    assert!(
        !assignment.text.contains("13812345678") && !assignment.text.contains("wangfang"),
        "no personal data for the department"
    );
    assert!(!assignment.text.contains(&code));

    // Once sent, the query code is no longer stored in clear anywhere.
    let stored: Vec<String> = app
        .with_conn(|conn| {
            use casedesk::db::schema::outbox::dsl::*;
            use diesel::prelude::*;
            outbox.select(payload).load(conn).unwrap()
        })
        .await;
    assert!(stored.iter().all(|p| !p.contains(&code)));

    app.act(&office.handler.token, id, "accept", json!({})).await.expect(200);
    app.act(&office.handler.token, id, "reply", json!({"reply": "已在小区东侧增设停车位60个。"}))
        .await
        .expect(200);
    app.act(&office.clerk.token, id, "approve", json!({})).await.expect(200);
    assert_eq!(deliver(app, &settings, time::now_utc()).await.sent, 1);
    let closing = smtp.mails().into_iter().find(|m| m.subject.starts_with("【已办结】")).expect("the reply");
    assert_eq!(closing.to, ["wangfang@example.cn"]);
    assert!(closing.text.contains("已在小区东侧增设停车位60个。"));
    assert!(closing
        .text
        .contains(&format!("https://xf.county.gov.cn/mailbox/lookup?tracking_no={tracking_no}")));
    assert_eq!(deliver(app, &settings, time::now_utc()).await, notify::Delivery::default(), "nothing twice");
    assert_eq!(smtp.mails().len(), 3);

    let listed = app.get("/api/v1/outbox?state=sent", Some(&office.admin.token)).await.expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3);
    assert!(!listed.text.contains(&code));
    let metrics = app.get("/metrics", Some(crate::helpers::METRICS_TOKEN)).await.expect(200);
    assert!(metrics.text.contains("casedesk_outbox_messages{state=\"sent\"} 3"), "{}", metrics.text);
}

async fn mail_waits_out_an_smtp_outage(app: &TestApp) {
    let port = free_port();
    let settings = smtp_settings(app, port);
    let office = app.office().await;
    let id = case_without_email(app, &office).await;
    app.act(&office.clerk.token, id, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    let now = time::now_utc();
    let down = deliver(app, &settings, now).await;
    assert_eq!((down.sent, down.retrying), (0, 1), "nothing listens on port {port}");
    let pending = app.get("/api/v1/outbox?state=pending", Some(&office.admin.token)).await.expect(200);
    assert_eq!(pending.body["items"][0]["attempts"], 1);
    assert!(pending.body["items"][0]["last_error"].is_string());

    let smtp = SmtpServer::start(TcpListener::bind(("127.0.0.1", port)).unwrap());
    assert_eq!(
        deliver(app, &settings, now + chrono::Duration::seconds(10)).await,
        notify::Delivery::default(),
        "backing off"
    );
    let back = deliver(app, &settings, now + chrono::Duration::seconds(31)).await;
    assert_eq!(back.sent, 1);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["edu@county.gov.cn"]);
}

async fn mail_that_keeps_failing_for_a_day_fails_and_can_be_retried(app: &TestApp) {
    let port = free_port();
    let settings = smtp_settings(app, port);
    let office = app.office().await;
    let id = case_without_email(app, &office).await;
    app.act(&office.clerk.token, id, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    let start = time::now_utc();
    let mut at = start;
    let mut attempts = 0;
    loop {
        let d = deliver(app, &settings, at).await;
        attempts += d.retrying + d.failed;
        if d.failed == 1 {
            break;
        }
        at += chrono::Duration::hours(1);
        assert!(at < start + chrono::Duration::hours(26), "gives up within a day");
    }
    assert!(attempts >= 10, "backed off and retried: {attempts}");
    let failed = app.get("/api/v1/outbox?state=failed", Some(&office.admin.token)).await.expect(200);
    let message = failed.body["items"][0]["id"].as_i64().unwrap();
    let by_clerk =
        app.post(&format!("/api/v1/outbox/{message}/retry"), Some(&office.clerk.token), json!({})).await;
    assert_eq!(by_clerk.status, 403);
    let retried = app
        .post(&format!("/api/v1/outbox/{message}/retry"), Some(&office.admin.token), json!({}))
        .await
        .expect(200);
    assert_eq!(retried.body["state"], "pending");
    assert_eq!(retried.body["attempts"], 0);
    let again =
        app.post(&format!("/api/v1/outbox/{message}/retry"), Some(&office.admin.token), json!({})).await;
    assert_eq!((again.status, again.code()), (409, "conflict"));
    let smtp = SmtpServer::start(TcpListener::bind(("127.0.0.1", port)).unwrap());
    assert_eq!(deliver(app, &settings, time::now_utc()).await.sent, 1);
    assert_eq!(smtp.mails().len(), 1);
}

async fn a_rolled_back_change_sends_nothing(app: &TestApp) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let smtp = SmtpServer::start(listener);
    let settings = smtp_settings(app, port);
    let office = app.office().await;
    let id = case_without_email(app, &office).await;
    let dept = office.dept_a;
    let clerk = office.clerk.id;
    let db = app.state.db.clone();
    let outcome = app
        .state
        .db
        .write(move |conn| {
            let calendar = db.calendar(conn)?;
            let acting = Caller {
                actor: Actor::Staff(Role::Clerk),
                user_id: Some(UserId(clerk)),
                department_id: None,
            };
            let assign = AssignBody { department_id: Some(DepartmentId(dept)), note: None };
            let clock = Clock { calendar: &calendar, now: time::now_utc() };
            cases::act_in(conn, CaseId(id), &acting, ActionBody::Assign(assign).into(), None, clock)?;
            Err::<(), _>(AppError::Conflict("a later step failed".into()))
        })
        .await;
    assert!(outcome.is_err());
    assert_eq!(deliver(app, &settings, time::now_utc()).await, notify::Delivery::default());
    assert!(smtp.mails().is_empty());
    assert_eq!(app.case(&office, id).await["state"], "registered");
}

async fn bad_addresses_are_refused_at_input(app: &TestApp) {
    let office = app.office().await;
    for email in ["edu@county.gov.cn\r\nBcc: all@evil.example", "not an address", "a@b"] {
        let department = app
            .post(
                "/api/v1/departments",
                Some(&office.admin.token),
                json!({"name": "某局", "code": "X1", "email": email}),
            )
            .await;
        assert_eq!(department.status, 422, "{email:?}");
        let patched = app
            .patch(
                &format!("/api/v1/departments/{}", office.dept_a),
                Some(&office.admin.token),
                json!({"email": email}),
            )
            .await;
        assert_eq!(patched.status, 422, "{email:?}");
        let case = app
            .post(
                "/api/v1/cases",
                Some(&office.clerk.token),
                json!({"channel": "mailbox", "title": "t", "content": "c", "citizen": {"email": email}}),
            )
            .await;
        assert_eq!(case.status, 422, "{email:?}");
        let letter = app
            .post(
                "/api/v1/public/cases",
                None,
                json!({"title": "t", "content": "c", "citizen": {"email": email}}),
            )
            .await;
        assert_eq!(letter.status, 422, "{email:?}");
    }
    let outbox = app.get("/api/v1/outbox", Some(&office.admin.token)).await.expect(200);
    assert_eq!(outbox.body["items"], json!([]));
}

async fn without_smtp_mail_is_written_as_eml_files(app: &TestApp) {
    let office = app.office().await;
    let id = case_without_email(app, &office).await;
    app.act(&office.clerk.token, id, "assign", json!({"department_id": office.dept_a})).await.expect(200);
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::helpers::test_settings(&app.database_url);
    let mailer = Mailer::Files(dir.path().to_path_buf());
    let delivery =
        notify::deliver_due(&app.state.db, &mailer, &settings, None, time::now_utc()).await.unwrap();
    assert_eq!(delivery.sent, 1);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read(&files[0]).unwrap();
    let parsed = mailparse::parse_mail(&raw).unwrap();
    use mailparse::MailHeaderMap;
    assert!(parsed.headers.get_first_value("Subject").unwrap().starts_with("【交办】"));
}

/// One mailbox gets three receipts a day however its address is spelt, and
/// what the letter's writer typed is never the mail's subject, and in the
/// body only as a marked quote with nothing a mail program would link.
async fn receipts_are_capped_per_mailbox_and_quote_the_title_inertly(app: &TestApp) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let smtp = SmtpServer::start(listener);
    let settings = smtp_settings(app, port);
    let phishing = "您的社保账户已冻结，请立即访问 http://evil.example/unlock 解冻";
    let spellings = [
        "victim@example.cn",
        "Victim@example.cn",
        "VICTIM@EXAMPLE.CN",
        "victim@EXAMPLE.CN",
        "victim+2@example.cn",
        "ViCtIm+x@Example.Cn",
    ];
    let mut mailed = Vec::new();
    for (i, email) in spellings.iter().enumerate() {
        // Each from an address of its own: the letters' own limit is not what stops them.
        let client = app.client_from(&format!("127.0.6.{}", i + 1));
        let letter = json!({"title": phishing, "content": "详见标题。", "citizen": {"email": email}});
        let request = app.request(reqwest::Method::POST, "/api/v1/public/cases", None).json(&letter);
        let receipt = app.send_via(&client, request).await.expect(201);
        mailed.push(receipt.body["receipt_mailed"].as_bool().unwrap());
    }
    assert_eq!(mailed, [true, true, true, false, false, false]);
    assert_eq!(deliver(app, &settings, time::now_utc()).await.sent, 3);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 3, "three mails reach the one mailbox");
    for mail in &mails {
        assert!(mail.subject.starts_with("【来信已收到】MB"), "{}", mail.subject);
        assert!(!mail.subject.contains("社保") && !mail.subject.contains("evil"), "{}", mail.subject);
        assert!(
            mail.text.contains("来信标题（来信人所写，原文照录）：「您的社保账户已冻结，请立即访问 http[:]//evil[.]example/unlock 解冻」"),
            "{}",
            mail.text
        );
        assert!(!mail.text.contains("http://evil") && !mail.text.contains("evil.example"), "{}", mail.text);
    }
    let subjects: Vec<String> = app
        .with_conn(|conn| {
            use casedesk::db::schema::outbox::dsl::*;
            use diesel::prelude::*;
            outbox.select(subject).load(conn).unwrap()
        })
        .await;
    assert!(subjects.iter().all(|s| !s.contains("evil")), "stored subjects: {subjects:?}");
}

backend_tests!(
    receipts_are_capped_per_mailbox_and_quote_the_title_inertly,
    departments_and_citizens_get_their_mail,
    mail_waits_out_an_smtp_outage,
    mail_that_keeps_failing_for_a_day_fails_and_can_be_retried,
    a_rolled_back_change_sends_nothing,
    bad_addresses_are_refused_at_input,
    without_smtp_mail_is_written_as_eml_files,
    an_overtaken_sender_cannot_record_over_the_new_claim,
);

/// Two service instances' senders on one PostgreSQL database deliver each of
/// 500 messages exactly once.
#[test]
fn two_senders_on_postgres_deliver_each_message_once() {
    let system = actix_web::rt::System::new();
    let (app, case_id) = system.block_on(async {
        let app = TestApp::spawn(Backend::Postgres).await;
        let office = app.office().await;
        let id = case_without_email(&app, &office).await;
        (app, id)
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let smtp = SmtpServer::start(listener);
    let now = time::now_utc();
    app.state
        .db
        .write_blocking(|conn| {
            for i in 0..500 {
                casedesk::db::outbox::insert(
                    conn,
                    &casedesk::db::models::NewMessage {
                        kind: Notice::Assigned,
                        recipient: format!("handler{i}@county.gov.cn"),
                        subject: format!("【交办】MB2024{i:06} 测试"),
                        case_id: Some(CaseId(case_id)),
                        payload: json!({"case_id": case_id, "tracking_no": format!("MB2024{i:06}"), "title": "测试"}).to_string(),
                        next_attempt_at: now,
                        created_at: now,
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    let settings = smtp_settings(&app, port);
    let start_together = Arc::new(std::sync::Barrier::new(2));
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (url, settings, start) = (app.database_url.clone(), settings.clone(), start_together.clone());
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let db = Db::connect(&url, 4).unwrap();
                    let mailer = Mailer::from_settings(&settings).unwrap();
                    start.wait();
                    let mut sent = 0;
                    loop {
                        let d = notify::deliver_due(&db, &mailer, &settings, None, time::now_utc())
                            .await
                            .unwrap();
                        sent += d.sent;
                        if d.sent + d.retrying + d.failed == 0 {
                            break sent;
                        }
                    }
                })
            })
        })
        .collect();
    let per_sender: Vec<usize> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    assert_eq!(per_sender.iter().sum::<usize>(), 500, "{per_sender:?}");
    assert!(per_sender.iter().all(|n| *n > 0), "both senders worked at once: {per_sender:?}");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 500);
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 500, "no message twice");
    system.block_on(app.shutdown());
}

/// Writes `n` assignment messages to one case, due now.
fn queue_messages(db: &Db, case_id: i64, n: usize) {
    let now = time::now_utc();
    db.write_blocking(|conn| {
        for i in 0..n {
            casedesk::db::outbox::insert(
                conn,
                &casedesk::db::models::NewMessage {
                    kind: Notice::Assigned,
                    recipient: format!("handler{i}@county.gov.cn"),
                    subject: format!("【交办】MB2024{i:06} 测试"),
                    case_id: Some(CaseId(case_id)),
                    payload:
                        json!({"case_id": case_id, "tracking_no": format!("MB2024{i:06}"), "title": "测试"})
                            .to_string(),
                    next_attempt_at: now,
                    created_at: now,
                },
            )?;
        }
        Ok(())
    })
    .unwrap();
}

/// An SMTP server so slow that one sender's batch outlasts its claim: the
/// other sender takes over what was left, and still no message goes out twice.
#[test]
fn a_slow_smtp_server_never_gets_a_message_twice() {
    let system = actix_web::rt::System::new();
    let (app, case_id) = system.block_on(async {
        let app = TestApp::spawn(Backend::Postgres).await;
        let office = app.office().await;
        let id = case_without_email(&app, &office).await;
        (app, id)
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let smtp = SmtpServer::start_slow(listener, std::time::Duration::from_millis(250));
    queue_messages(&app.state.db, case_id, 20);
    let settings = smtp_settings(&app, port);
    // 20 messages at a quarter of a second each: one sender alone would need
    // five seconds, longer than its four-second claim.
    let lease = chrono::Duration::seconds(4);
    let start_together = Arc::new(std::sync::Barrier::new(2));
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (url, settings, start) = (app.database_url.clone(), settings.clone(), start_together.clone());
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let db = Db::connect(&url, 2).unwrap();
                    let mailer = Mailer::from_settings(&settings).unwrap();
                    start.wait();
                    let (mut sent, mut released) = (0, 0);
                    let started = std::time::Instant::now();
                    while started.elapsed() < std::time::Duration::from_secs(30) {
                        let d =
                            notify::deliver_due_within(&db, &mailer, &settings, None, time::now_utc(), lease)
                                .await
                                .unwrap();
                        sent += d.sent;
                        released += d.released;
                        let pending = db
                            .read(|conn| {
                                Ok(casedesk::db::outbox::list(
                                    conn,
                                    Some(casedesk::domain::notice::MessageState::Pending),
                                    None,
                                    1,
                                )?
                                .0
                                .len())
                            })
                            .await
                            .unwrap();
                        if pending == 0 {
                            break;
                        }
                        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    (sent, released)
                })
            })
        })
        .collect();
    let outcomes: Vec<(usize, usize)> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    let mails = smtp.mails();
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((mails.len(), ids.len()), (20, 20), "every message once: {outcomes:?}");
    assert_eq!(outcomes.iter().map(|o| o.0).sum::<usize>(), 20);
    assert!(
        outcomes.iter().map(|o| o.1).sum::<usize>() > 0,
        "a sender gave back what it could not send in time"
    );
    let attempts: Vec<i32> = app
        .state
        .db
        .write_blocking(|conn| {
            use casedesk::db::schema::outbox::dsl::*;
            use diesel::prelude::*;
            Ok(outbox.filter(state.eq("sent")).select(attempts).load(conn)?)
        })
        .unwrap();
    assert_eq!(attempts, vec![1; 20], "each recorded as sent once");
    system.block_on(app.shutdown());
}

async fn an_overtaken_sender_cannot_record_over_the_new_claim(app: &TestApp) {
    use casedesk::db::outbox;
    let office = app.office().await;
    let case_id = case_without_email(app, &office).await;
    queue_messages(&app.state.db, case_id, 1);
    let t0 = time::now_utc();
    let first_lease = t0 + notify::LEASE;
    let db = app.state.db.clone();
    let claimed = db.write(move |conn| Ok(outbox::claim(conn, t0, first_lease, 10)?)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let id = claimed[0].id;
    let held = db.write(move |conn| Ok(outbox::claim(conn, t0, t0 + notify::LEASE, 10)?)).await.unwrap();
    assert!(held.is_empty(), "a claimed message is not claimed again while its lease holds");
    let later = first_lease + chrono::Duration::seconds(1);
    let second_lease = later + notify::LEASE;
    let retaken = db.write(move |conn| Ok(outbox::claim(conn, later, second_lease, 10)?)).await.unwrap();
    assert_eq!(
        retaken.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![id],
        "a lapsed claim can be taken over"
    );
    let late = db
        .write(move |conn| Ok(outbox::mark_attempt_failed(conn, id, first_lease, "timeout", Some(later))?))
        .await
        .unwrap();
    assert!(!late, "the first sender's result is not recorded over the second claim");
    let stale_sent =
        db.write(move |conn| Ok(outbox::mark_sent(conn, id, first_lease, later, "{}")?)).await.unwrap();
    assert!(!stale_sent);
    let sent =
        db.write(move |conn| Ok(outbox::mark_sent(conn, id, second_lease, later, "{}")?)).await.unwrap();
    assert!(sent);
    let row = db.read(move |conn| Ok(outbox::find(conn, id)?)).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts, row.last_error), ("sent", 1, None));
}
