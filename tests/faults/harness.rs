//! What every fault test needs: a scratch database, the real binary as a
//! child process that can be killed and started again on the same port, an
//! HTTP client, and the checks of what the database holds afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use casedesk::db::rollups::{self, Grouping};
use casedesk::db::{ConnectionManager, DbConnection};
use casedesk::domain::figures::Scope;
use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};

/// Password of the bootstrap `admin`.
pub const ADMIN_PASSWORD: &str = "admin-password-for-fault-tests";
/// JWT secret shared by every instance, so a token outlives a restart.
pub const JWT_SECRET: &str = "fault-test-secret-fault-test-secret-0123";
/// The channels intake spreads its cases over.
pub const CHANNELS: [&str; 5] = ["mailbox", "minhu", "gov_web", "disclosure", "suggestion"];

/// The fault tests kill services, cut connections and fill disks; one at a
/// time keeps each within its time budget on a two-core machine.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs a test's body on a runtime of its own, one test at a time.
pub fn serially(test: impl std::future::Future<Output = ()>) {
    let _turn = SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(test);
}

/// The PostgreSQL server the suite uses (as in `tests/api/helpers.rs`).
pub fn pg_base_url() -> String {
    std::env::var("CASEDESK_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A scratch database: a SQLite file in a temporary folder, or a schema of
/// its own on the test PostgreSQL server (dropped afterwards). A PostgreSQL
/// test that cannot reach the server fails here; it is never skipped.
pub struct ScratchDb {
    /// Holds the SQLite file and the services' working folders.
    pub dir: tempfile::TempDir,
    /// The PostgreSQL schema, if any.
    pub schema: Option<String>,
    /// `DATABASE_URL` of the database itself.
    pub url: String,
}

impl ScratchDb {
    /// A SQLite file.
    pub fn sqlite() -> ScratchDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("casedesk.db").display());
        ScratchDb { dir, schema: None, url }
    }

    /// A PostgreSQL schema; `host_port` replaces the server's address in the
    /// URL the service is given (for a proxy in between).
    pub fn postgres() -> ScratchDb {
        let base = pg_base_url();
        let schema = format!(
            "faults_{}_{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
        );
        let mut conn = PgConnection::establish(&base).unwrap_or_else(|e| {
            panic!("the fault tests need PostgreSQL at {base} (CASEDESK_TEST_PG_URL): {e}")
        });
        conn.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create the test schema");
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
        ScratchDb { dir: tempfile::tempdir().expect("temporary directory"), schema: Some(schema), url }
    }

    /// A connection of the test's own, for the checks.
    pub fn connect(&self) -> DbConnection {
        ConnectionManager::new(&self.url).unwrap().establish().expect("the test connects to its database")
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema {
            if let Ok(mut conn) = PgConnection::establish(&pg_base_url()) {
                let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `casedesk serve` as a child process.
pub struct Service {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The listening port, kept across restarts.
    pub port: u16,
    child: Option<Child>,
    database_url: String,
    workdir: PathBuf,
    env: Vec<(String, String)>,
    /// Ignore SIGXFSZ in the child, so a file-size limit makes writes fail
    /// with EFBIG instead of killing the process.
    pub ignore_sigxfsz: bool,
    /// Log file (none when the child's file writes are limited).
    pub log: Option<PathBuf>,
}

impl Service {
    /// A service on `database_url`, working (mail files, logs) in `workdir`.
    pub fn new(database_url: &str, workdir: &Path, env: &[(&str, &str)]) -> Service {
        std::fs::create_dir_all(workdir).unwrap();
        let port = free_port();
        Service {
            base: format!("http://127.0.0.1:{port}"),
            port,
            child: None,
            database_url: database_url.to_owned(),
            workdir: workdir.to_owned(),
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ignore_sigxfsz: false,
            log: Some(workdir.join("casedesk.log")),
        }
    }

    /// Starts the process (without waiting for it to answer).
    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "already running");
        let binary = env!("CARGO_BIN_EXE_casedesk");
        let mut command = if self.ignore_sigxfsz {
            // An ignored signal stays ignored across exec.
            let mut sh = Command::new("sh");
            sh.args(["-c", "trap '' XFSZ; exec \"$0\" serve", binary]);
            sh
        } else {
            let mut direct = Command::new(binary);
            direct.arg("serve");
            direct
        };
        command
            .current_dir(&self.workdir)
            .env_remove("CASEDESK_SMTP_URL")
            .env("DATABASE_URL", &self.database_url)
            .env("CASEDESK_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("CASEDESK_JWT_SECRET", JWT_SECRET)
            .env("CASEDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("CASEDESK_WORKERS", "2")
            .env("CASEDESK_DB_POOL_SIZE", "8")
            .env("CASEDESK_BACKGROUND_TASKS", "false")
            .env("CASEDESK_LOG", "warn")
            .stdin(Stdio::null());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        match &self.log {
            Some(path) => {
                let file = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
                command.stdout(file.try_clone().unwrap()).stderr(file);
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        self.child = Some(command.spawn().expect("casedesk starts"));
    }

    /// Starts the process and waits until `/healthz` answers.
    pub async fn start(&mut self) {
        self.spawn();
        self.wait_healthy().await;
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Waits (at most 30 s) for `/healthz`.
    pub async fn wait_healthy(&mut self) {
        let client = client(Duration::from_secs(2));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(resp) = client.get(format!("{}/healthz", self.base)).send().await {
                if resp.status() == 200 {
                    return;
                }
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("casedesk exited with {status} at start; log: {}", self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "casedesk did not answer within 30 s; log: {}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How the process ended, if it has.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().unwrap())
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().unwrap();
        }
    }

    /// The end of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        let Some(path) = &self.log else { return "(not kept)".into() };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// An HTTP client with a whole-request timeout.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

/// Logs in (retrying while the service settles); returns the token.
pub async fn login(base: &str, username: &str, password: &str) -> String {
    let client = client(Duration::from_secs(10));
    for _ in 0..50 {
        if let Ok(resp) = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
        {
            if resp.status() == 200 {
                let body: Value = resp.json().await.unwrap();
                return body["token"].as_str().unwrap().to_owned();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{username} cannot log in at {base}");
}

/// The body of the `n`th intake request of a run: the channels and two years
/// in turn, so several (channel, year) counters are taken concurrently. The
/// key is in the title, so the checks can tell a doubled case.
pub fn intake_body(key: &str, n: usize, content_chars: usize) -> Value {
    let year = if n % 2 == 0 { 2025 } else { 2024 };
    json!({
        "channel": CHANNELS[n % CHANNELS.len()],
        "title": format!("故障测试 {key}"),
        "content": "群众反映情况。".repeat(content_chars.div_ceil(7).max(1)),
        "received_at": format!("{year}-0{}-1{}T09:30:00+08:00", 1 + n % 9, n % 10),
        "citizen": {"name": "王芳", "phone": "13812345678"},
    })
}

/// What one intake request ended as.
#[derive(Debug, Default)]
pub struct Acknowledged {
    /// Key → tracking number of its first 201.
    pub first: BTreeMap<String, String>,
    /// Key → when its first 201 was read (the case was committed before).
    pub when: BTreeMap<String, Instant>,
    /// Keys whose later 201 (a retry) named another number.
    pub mismatched: Vec<String>,
    /// Retries that were answered with the stored response.
    pub replayed: usize,
}

impl Acknowledged {
    /// The requests whose first 201 had been read before `instant`.
    pub fn before(&self, instant: Instant) -> Acknowledged {
        let keys: Vec<&String> = self.when.iter().filter(|(_, at)| **at < instant).map(|(k, _)| k).collect();
        Acknowledged {
            first: keys.iter().map(|k| ((*k).clone(), self.first[*k].clone())).collect(),
            when: keys.iter().map(|k| ((*k).clone(), self.when[*k])).collect(),
            mismatched: Vec::new(),
            replayed: 0,
        }
    }
}

/// Runs `casedesk ARGS` to its end on `database_url`, in `workdir`.
pub fn casedesk(args: &[&str], database_url: &str, workdir: &Path) -> std::process::Output {
    std::fs::create_dir_all(workdir).unwrap();
    Command::new(env!("CARGO_BIN_EXE_casedesk"))
        .args(args)
        .current_dir(workdir)
        .env("DATABASE_URL", database_url)
        .env("CASEDESK_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("casedesk runs")
}

#[derive(QueryableByName)]
struct TrackingRow {
    #[diesel(sql_type = Text)]
    tracking_no: String,
    #[diesel(sql_type = Text)]
    title: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Counts a query's single `n`.
pub fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap_or_else(|e| panic!("{sql}: {e}")).n
}

/// What the intake checks found.
#[derive(Debug, Default, Clone, Copy)]
pub struct IntakeCheck {
    /// Distinct requests acknowledged with a 201.
    pub acknowledged: usize,
    /// Of those, found in the database under the acknowledged number.
    pub found: usize,
    /// Cases beyond one per request (same key twice) or not acknowledged at all.
    pub duplicates: usize,
    /// Numbers missing in the sequence of a (channel, year).
    pub gaps: usize,
    /// Cases without exactly one `register` event.
    pub without_event: usize,
    /// Rollup rows that differ from the recount.
    pub rollup_mismatches: usize,
    /// (channel, year) sequences checked.
    pub sequences: usize,
}

impl std::fmt::Display for IntakeCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cases acknowledged {}, found {}, duplicates {}, gaps {} (in {} channel-year sequences), \
             without their register event {}, rollup rows differing from a recount {}",
            self.acknowledged,
            self.found,
            self.duplicates,
            self.gaps,
            self.sequences,
            self.without_event,
            self.rollup_mismatches
        )
    }
}

/// Checks the database against what the clients were told: every
/// acknowledged case exists once under its number, numbers are gap-free per
/// channel and year, every case has its `register` event, and the rollups
/// equal a recount.
pub fn check_intake(conn: &mut DbConnection, acked: &Acknowledged) -> IntakeCheck {
    check_cases(conn, acked, acked)
}

/// [`check_intake`] on a copy taken while intake went on: every case
/// acknowledged before the copy began (`before`) must be in it; later ones
/// may be, but only cases some client was told of (`all`), each once.
pub fn check_snapshot(conn: &mut DbConnection, before: &Acknowledged, all: &Acknowledged) -> IntakeCheck {
    check_cases(conn, before, all)
}

fn check_cases(conn: &mut DbConnection, acked: &Acknowledged, known: &Acknowledged) -> IntakeCheck {
    let rows: Vec<TrackingRow> =
        diesel::sql_query("SELECT tracking_no, title FROM cases").load(conn).unwrap();
    let mut check = IntakeCheck { acknowledged: acked.first.len(), ..IntakeCheck::default() };
    let by_number: BTreeMap<&str, &str> =
        rows.iter().map(|r| (r.tracking_no.as_str(), r.title.as_str())).collect();
    for (key, number) in &acked.first {
        if by_number.get(number.as_str()).is_some_and(|title| title.ends_with(&format!(" {key}"))) {
            check.found += 1;
        }
    }
    let mut per_title: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        *per_title.entry(row.title.as_str()).or_default() += 1;
    }
    let acked_titles: BTreeSet<String> = known.first.keys().map(|k| format!("故障测试 {k}")).collect();
    check.duplicates = per_title
        .iter()
        .filter(|(title, _)| title.starts_with("故障测试 "))
        .map(|(title, n)| if acked_titles.contains(*title) { n - 1 } else { *n })
        .sum();
    // {prefix}{year}{6 digits}: a sequence per prefix and year.
    let mut sequences: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for row in &rows {
        let (series, sequence) = row.tracking_no.split_at(row.tracking_no.len() - 6);
        sequences.entry(series.to_owned()).or_default().push(sequence.parse().unwrap());
    }
    check.sequences = sequences.len();
    for numbers in sequences.values_mut() {
        numbers.sort_unstable();
        let highest = *numbers.last().unwrap() as usize;
        let distinct: BTreeSet<u32> = numbers.iter().copied().collect();
        check.gaps += highest - distinct.len();
    }
    check.without_event = count(
        conn,
        "SELECT COUNT(*) AS n FROM cases c WHERE (SELECT COUNT(*) FROM case_events e \
         WHERE e.case_id = c.id AND e.action = 'register') <> 1",
    ) as usize;
    check.rollup_mismatches = rollup_mismatches(conn);
    check
}

/// Rollup rows (per day, channel and department) that differ from a recount
/// from the cases.
pub fn rollup_mismatches(conn: &mut DbConnection) -> usize {
    let everything = Scope {
        from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
        channel: None,
        department: None,
    };
    let far = casedesk::domain::time::start_of_office_day(everything.to);
    let zero = format!("{:?}", casedesk::domain::figures::Counts::default());
    // A group may come in several rows (the recount reads the cases and the
    // assignments apart): add them up.
    let by_key = |rows: Vec<rollups::SumRow>| -> BTreeMap<String, String> {
        let mut summed: BTreeMap<String, casedesk::domain::figures::Counts> = BTreeMap::new();
        for row in rows {
            *summed.entry(row.grp.clone()).or_default() += row.counts();
        }
        summed.into_iter().map(|(grp, c)| (grp, format!("{c:?}"))).filter(|(_, c)| c != &zero).collect()
    };
    let maintained = by_key(rollups::sums(conn, &everything, Grouping::Key).unwrap());
    let recounted = by_key(rollups::recount(conn, &everything, Grouping::Key, far).unwrap());
    assert!(!recounted.is_empty(), "there are cases to count");
    let keys: BTreeSet<&String> = maintained.keys().chain(recounted.keys()).collect();
    keys.into_iter().filter(|k| maintained.get(*k) != recounted.get(*k)).count()
}

/// Panics unless the check found everything in order.
#[track_caller]
pub fn assert_intake_sound(check: &IntakeCheck, acked: &Acknowledged) {
    assert!(check.acknowledged > 0, "nothing was acknowledged");
    assert_eq!(check.found, check.acknowledged, "acknowledged cases missing: {check}");
    assert_eq!(check.duplicates, 0, "{check}");
    assert_eq!(check.gaps, 0, "{check}");
    assert_eq!(check.without_event, 0, "{check}");
    assert_eq!(check.rollup_mismatches, 0, "{check}");
    assert!(acked.mismatched.is_empty(), "retries answered with another number: {:?}", acked.mismatched);
}
