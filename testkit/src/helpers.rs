//! Spawning the real service on port 0 against a fresh database, and talking
//! to it over HTTP. Each test gets its own database: a temporary SQLite file,
//! or a fresh schema in the PostgreSQL database named by `CASEDESK_TEST_PG_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`). A PostgreSQL test that
//! cannot connect fails; it is never skipped. Every response is checked
//! against `api-spec/openapi.yaml` ([`crate::openapi`]).

use actix_web::dev::ServerHandle;
use actix_web::web;
use casedesk::app::Application;
use casedesk::config::Settings;
use casedesk::db::scratch::Scratch;
use casedesk::db::DbConnection;
use casedesk::state::AppState;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

/// Password of the bootstrap `admin` account in tests.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// Password of every other account tests create.
pub const PASSWORD: &str = "password-for-tests";
/// Bearer token of `/metrics` in tests.
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";
/// JWT secret of test services.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh schema on the test PostgreSQL server.
    Postgres,
}

/// The PostgreSQL server tests use.
pub fn pg_base_url() -> String {
    std::env::var("CASEDESK_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database of its own for one test, removed when dropped: the same
/// scratch databases `casedesk bench` uses.
pub struct TestDb {
    /// Held for its `Drop`, which removes the database.
    _scratch: Scratch,
}

impl TestDb {
    /// Creates an empty database; returns it and its `DATABASE_URL`. A
    /// PostgreSQL test that cannot reach the server fails here, loudly.
    pub fn create(backend: Backend) -> (TestDb, String) {
        let backend = match backend {
            Backend::Sqlite => casedesk::db::Backend::Sqlite,
            Backend::Postgres => casedesk::db::Backend::Postgres,
        };
        let scratch = Scratch::create(backend, &pg_base_url(), "t")
            .unwrap_or_else(|e| panic!("tests need a scratch database (set CASEDESK_TEST_PG_URL): {e}"));
        let url = scratch.url.clone();
        (TestDb { _scratch: scratch }, url)
    }
}

/// Settings of a test service on `url`.
pub fn test_settings(url: &str) -> Settings {
    Settings {
        database_url: url.to_owned(),
        listen: "127.0.0.1:0".into(),
        jwt_secret: Some(JWT_SECRET.into()),
        admin_password: Some(ADMIN_PASSWORD.into()),
        metrics_token: Some(METRICS_TOKEN.into()),
        workers: Some(2),
        db_pool_size: 8,
        // Tests that need the deadline scan run it themselves, at a chosen time.
        background_tasks: false,
        ..Settings::default()
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Resp {
    /// The `code` of a problem+json body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Panics with the body unless the status is `expected`.
    #[track_caller]
    pub fn expect(self, expected: u16) -> Resp {
        assert_eq!(self.status, expected, "unexpected status; body: {}", self.text);
        self
    }
}

/// A running service and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// HTTP client with keep-alive.
    pub client: reqwest::Client,
    /// The service's state (database access for assertions).
    pub state: web::Data<AppState>,
    /// The backend under test.
    pub backend: Backend,
    /// The test database's `DATABASE_URL`.
    pub database_url: String,
    /// The port of `CASEDESK_METRICS_LISTEN`, when the settings ask for one.
    pub metrics_port: Option<u16>,
    handle: ServerHandle,
    db: Option<TestDb>,
}

impl TestApp {
    /// Starts the service on a fresh database.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// Starts the service on a fresh database with adjusted settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let (db, url) = TestDb::create(backend);
        let mut settings = test_settings(&url);
        let database_url = url.clone();
        adjust(&mut settings);
        let app = Application::build(settings).await.expect("service starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        let handle = app.handle();
        let metrics_port = app.metrics_port();
        actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            base,
            client: reqwest::Client::new(),
            state,
            backend,
            database_url,
            metrics_port,
            handle,
            db: Some(db),
        }
    }

    /// Stops the server, closes its connections and removes the database.
    pub async fn shutdown(mut self) {
        self.handle.stop(true).await;
        let db = self.db.take();
        drop(self);
        drop(db);
    }

    /// Runs a closure on a pooled connection (assertions on stored rows).
    pub async fn with_conn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> T + Send + 'static,
    ) -> T {
        let pool = self.state.db.pool().clone();
        web::block(move || work(&mut pool.get().expect("connection"))).await.expect("blocking task")
    }

    /// How many cases wait in the text index's queue.
    pub async fn queued_for_index(&self) -> i64 {
        self.with_conn(|conn| casedesk::db::search::queue_length(conn).expect("queue length")).await
    }

    /// Runs the text indexer over the whole queue, as the service's
    /// background task would (tests run without it); returns the cases it
    /// indexed.
    pub async fn index_queued(&self) -> usize {
        let db = self.state.db.clone();
        web::block(move || casedesk::indexer::drain(&db)).await.expect("blocking task").expect("indexing")
    }

    /// The stored rollups and a recount from the cases, over all time, both
    /// as text per group of `grouping` (all-zero groups left out), to compare.
    pub async fn rollups_and_recount(
        &self,
        grouping: casedesk::db::rollups::Grouping,
    ) -> (std::collections::BTreeMap<String, String>, std::collections::BTreeMap<String, String>) {
        use casedesk::db::rollups;
        use casedesk::domain::figures::{Counts, Scope};
        self.with_conn(move |conn| {
            let everything = Scope {
                from: chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
                to: chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
                channel: None,
                department: None,
            };
            let far = casedesk::domain::time::start_of_office_day(everything.to);
            // A group may come in several rows (the recount reads the cases
            // and the assignments apart): add them up.
            let keyed = |rows: Vec<rollups::SumRow>| {
                let mut summed: std::collections::BTreeMap<String, Counts> =
                    std::collections::BTreeMap::new();
                for row in rows {
                    *summed.entry(row.grp.clone()).or_default() += row.counts();
                }
                summed
                    .into_iter()
                    .map(|(grp, counts)| (grp, format!("{counts:?}")))
                    .filter(|(_, c)| c != &format!("{:?}", Counts::default()))
                    .collect()
            };
            (
                keyed(rollups::sums(conn, &everything, grouping).unwrap()),
                keyed(rollups::recount(conn, &everything, grouping, far).unwrap()),
            )
        })
        .await
    }

    /// Sends a prepared request and reads the response whole, checking it
    /// against the OpenAPI document.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Resp {
        self.send_via(&self.client, request).await
    }

    /// [`TestApp::send`] over `client`'s connections (see [`TestApp::client_from`]).
    pub async fn send_via(&self, client: &reqwest::Client, request: reqwest::RequestBuilder) -> Resp {
        let request = request.build().expect("request builds");
        let method = request.method().to_string();
        let path = request.url().path().to_owned();
        let query: Vec<(String, String)> = request.url().query_pairs().into_owned().collect();
        let request_type =
            request.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let request_body = request.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec).unwrap_or_default();
        let response = client.execute(request).await.expect("the service answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        if let Err(problem) = crate::openapi::validate_response(&method, &path, status, content_type, &bytes)
        {
            panic!("response does not match api-spec/openapi.yaml: {problem}");
        }
        // Tests send bad input on purpose; a request the service accepted
        // must be one the spec allows.
        if (200..300).contains(&status) {
            if let Err(problem) = crate::openapi::validate_request(
                &method,
                &path,
                &query,
                request_type.as_deref(),
                &request_body,
            ) {
                panic!("an accepted request does not match api-spec/openapi.yaml: {problem}");
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    /// A client whose connections come from `address` (a loopback address
    /// such as 127.0.0.2), to tell clients apart by address.
    pub fn client_from(&self, address: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(address.parse::<std::net::IpAddr>().ok())
            .build()
            .expect("client")
    }

    /// A request with an optional bearer token.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    /// `GET`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(self.request(Method::GET, path, token)).await
    }

    /// `POST` with a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(self.request(Method::POST, path, token).json(&body)).await
    }

    /// `PATCH` with a JSON body.
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(self.request(Method::PATCH, path, token).json(&body)).await
    }

    /// Logs in; returns the token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let resp =
            self.post("/api/v1/auth/login", None, json!({"username": username, "password": password})).await;
        assert_eq!(resp.status, 200, "login of {username} failed: {}", resp.text);
        resp.body["token"].as_str().expect("token").to_owned()
    }

    /// The bootstrap admin's token.
    pub async fn admin(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Creates a department; returns its id.
    pub async fn department(&self, admin: &str, code: &str) -> i64 {
        let body = json!({"name": format!("{code}局"), "code": code, "email": format!("{}@county.gov.cn", code.to_lowercase())});
        self.post("/api/v1/departments", Some(admin), body).await.expect(201).body["id"].as_i64().unwrap()
    }

    /// Creates an account and logs it in.
    pub async fn staff(&self, admin: &str, username: &str, role: &str, department_id: Option<i64>) -> Staff {
        let body = json!({
            "username": username,
            "password": PASSWORD,
            "display_name": username,
            "role": role,
            "department_id": department_id,
        });
        let id = self.post("/api/v1/users", Some(admin), body).await.expect(201).body["id"].as_i64().unwrap();
        Staff { id, token: self.login(username, PASSWORD).await }
    }

    /// An office with two departments and one account of each role.
    pub async fn office(&self) -> Office {
        let admin_token = self.admin().await;
        let dept_a = self.department(&admin_token, "EDU").await;
        let dept_b = self.department(&admin_token, "HOUSING").await;
        Office {
            clerk: self.staff(&admin_token, "clerk", "clerk", None).await,
            leader: self.staff(&admin_token, "leader", "leader", None).await,
            handler: self.staff(&admin_token, "handler-a", "handler", Some(dept_a)).await,
            other_handler: self.staff(&admin_token, "handler-b", "handler", Some(dept_b)).await,
            admin: Staff { id: 1, token: admin_token },
            dept_a,
            dept_b,
        }
    }

    /// Registers a case through the API; `extra` fields override the defaults.
    pub async fn new_case(&self, token: &str, extra: Value) -> Value {
        let mut body = json!({
            "channel": "mailbox",
            "title": "关于小区停车难的问题",
            "content": "我们小区停车位严重不足，希望有关部门协调解决。",
            "citizen": {"name": "王芳", "phone": "13812345678", "email": "wangfang@example.cn"},
        });
        if let (Some(base), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                base.insert(k.clone(), v.clone());
            }
        }
        self.post("/api/v1/cases", Some(token), body).await.expect(201).body
    }

    /// Takes an action; returns the response.
    pub async fn act(&self, token: &str, case_id: i64, action: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/cases/{case_id}/{action}"), Some(token), body).await
    }

    /// A new case driven to `state` through the API by the office's staff
    /// (department A handles it). Returns its id.
    pub async fn case_in(&self, office: &Office, state: &str) -> i64 {
        let id = self.new_case(&office.clerk.token, json!({})).await["id"].as_i64().unwrap();
        let clerk = office.clerk.token.as_str();
        let handler = office.handler.token.as_str();
        let steps: &[(&str, &str, Value)] = match state {
            "registered" => &[],
            "invalid" => &[("clerk", "invalidate", json!({"reason": "重复来信"}))],
            "assigned" => &[("clerk", "assign", json!({"department_id": office.dept_a}))],
            "processing" => &[
                ("clerk", "assign", json!({"department_id": office.dept_a})),
                ("handler", "accept", json!({})),
            ],
            "reviewing" => &[
                ("clerk", "assign", json!({"department_id": office.dept_a})),
                ("handler", "accept", json!({})),
                ("handler", "reply", json!({"reply": "已协调新增停车位。"})),
            ],
            "closed" => &[
                ("clerk", "assign", json!({"department_id": office.dept_a})),
                ("handler", "accept", json!({})),
                ("handler", "reply", json!({"reply": "已协调新增停车位。"})),
                ("clerk", "approve", json!({})),
            ],
            other => panic!("no recipe for state {other}"),
        };
        for (who, action, body) in steps {
            let token = if *who == "clerk" { clerk } else { handler };
            self.act(token, id, action, body.clone()).await.expect(200);
        }
        id
    }

    /// A case as the admin sees it.
    pub async fn case(&self, office: &Office, id: i64) -> Value {
        self.get(&format!("/api/v1/cases/{id}"), Some(&office.admin.token)).await.expect(200).body
    }

    /// A case's audit trail.
    pub async fn events(&self, office: &Office, id: i64) -> Vec<Value> {
        let resp =
            self.get(&format!("/api/v1/cases/{id}/events"), Some(&office.admin.token)).await.expect(200);
        resp.body["items"].as_array().unwrap().clone()
    }
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Account id.
    pub id: i64,
    /// Bearer token.
    pub token: String,
}

/// Accounts and departments of a small office.
pub struct Office {
    /// The bootstrap admin.
    pub admin: Staff,
    /// A clerk.
    pub clerk: Staff,
    /// A leader.
    pub leader: Staff,
    /// A handler of department A.
    pub handler: Staff,
    /// A handler of department B.
    pub other_handler: Staff,
    /// Department A.
    pub dept_a: i64,
    /// Department B.
    pub dept_b: i64,
}

impl Office {
    /// The token of a role's account (handlers: department A's).
    pub fn token(&self, role: &str) -> &str {
        match role {
            "admin" => &self.admin.token,
            "clerk" => &self.clerk.token,
            "leader" => &self.leader.token,
            "handler" => &self.handler.token,
            other => panic!("no account for {other}"),
        }
    }
}

/// Declares async test functions `async fn name(app: &TestApp)` as tests on
/// both backends: `area::sqlite::name` and `area::postgres::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                    super::$name(&app).await;
                    app.shutdown().await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await;
                    super::$name(&app).await;
                    app.shutdown().await;
                }
            )*
        }
    };
}

/// [`backend_tests!`] for tests that need other settings: `adjust` is a
/// `fn(&mut Settings)` applied before each service starts.
#[macro_export]
macro_rules! backend_tests_with {
    ($adjust:ident; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Sqlite, super::$adjust).await;
                    super::$name(&app).await;
                    app.shutdown().await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Postgres, super::$adjust).await;
                    super::$name(&app).await;
                    app.shutdown().await;
                }
            )*
        }
    };
}

/// The moment to load the demo county at for tests of its 2023–2024 history:
/// the evening of 2 January 2025, when hardly anything had happened since
/// (the cases of the years after would only add loading time).
pub fn demo_history_only() -> chrono::NaiveDateTime {
    casedesk::demo::earliest() + chrono::Duration::hours(24 + 18)
}
