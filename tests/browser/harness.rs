//! A real headless Chromium driven over WebDriver (fantoccini), against the
//! real service that `helpers` spawns. One `chromedriver` serves this test
//! binary (started on a free port on first use, stopped when the binary
//! exits); every test gets a browser session of its own with a fresh profile.
//! axe-core (the npm package) is installed under the target directory when
//! absent and run inside the page; screenshots go to `target/screenshots/`.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// Width and height of the staff console's smallest supported screen.
pub const DESKTOP: (u32, u32) = (1024, 768);
/// A small phone.
pub const PHONE: (u32, u32) = (375, 667);
/// 1024×768 at 200 % zoom: what the page's layout sees.
pub const ZOOMED: (u32, u32) = (512, 384);

/// The build's target directory (`target/` or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target/tmp has a parent").to_path_buf()
}

static DRIVER: Mutex<Option<Child>> = Mutex::new(None);

/// Stops this binary's chromedriver (every browser session is closed by then).
extern "C" fn stop_driver() {
    let Ok(mut driver) = DRIVER.try_lock() else { return };
    if let Some(mut child) = driver.take() {
        // SAFETY: kill(2) on the chromedriver this process started and has not reaped.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = child.wait();
    }
}

/// The WebDriver URL of this binary's chromedriver, started on first use.
fn driver_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program} (apt-get install chromium chromium-driver; .ci/run does): {e}")
            });
        *DRIVER.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
        // SAFETY: registers a plain function to run at process exit.
        unsafe {
            libc::atexit(stop_driver);
        }
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        format!("http://127.0.0.1:{port}")
    })
}

/// A browser session.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    /// The service's base URL.
    pub base: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A fresh headless Chromium at the desktop size.
    pub async fn open(base: &str) -> Browser {
        let url = driver_url();
        let profile = tempfile::tempdir().expect("profile directory");
        let mut chrome = json!({
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--lang=zh-CN",
                format!("--user-data-dir={}", profile.path().display()),
                format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
            ],
        });
        // Debian's /usr/bin/chromium is a wrapper script; drive the browser itself.
        let binary = std::env::var("CHROMIUM").ok().or_else(|| {
            Path::new("/usr/lib/chromium/chromium").exists().then(|| "/usr/lib/chromium/chromium".to_owned())
        });
        if let Some(binary) = binary {
            chrome["binary"] = json!(binary);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), chrome);
        // chromedriver is on loopback: plain HTTP, no TLS stack needed.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(url)
            .await
            .expect("a Chromium session (is chromium installed?)");
        let browser = Browser { client, base: base.to_owned(), _profile: profile };
        browser.viewport(DESKTOP).await;
        browser
    }

    /// Ends the session (the browser exits).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    /// Sets the viewport (the page's inner size) to `width`×`height`.
    pub async fn viewport(&self, (width, height): (u32, u32)) {
        // The window's frame takes some room even when headless on some
        // versions: measure it and add it.
        self.client.set_window_size(width, height).await.expect("resize");
        let inner = self.js("return [window.innerWidth, window.innerHeight];").await;
        let (iw, ih) = (inner[0].as_u64().unwrap_or(0) as u32, inner[1].as_u64().unwrap_or(0) as u32);
        if (iw, ih) != (width, height) && iw > 0 {
            self.client
                .set_window_size(width + (width - iw.min(width)), height + (height - ih.min(height)))
                .await
                .expect("resize");
        }
    }

    /// Opens a path of the service.
    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.expect("navigation");
    }

    /// The path of the page shown.
    pub async fn path(&self) -> String {
        self.client.current_url().await.expect("current url").path().to_owned()
    }

    /// Runs a script in the page; returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("script runs")
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// Types into the field `css`.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("typing");
    }

    /// Clicks `css` and waits for the page it leads to.
    pub async fn click(&self, css: &str) {
        let before = self.client.find(Locator::Css("html")).await.expect("a page is shown");
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .expect("click");
        // The old page's elements still answer until the next page replaces
        // it: wait for that, or a check may read the page that was left.
        let deadline = Instant::now() + Duration::from_secs(15);
        while before.tag_name().await.is_ok() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.client.wait().for_element(Locator::Css("body")).await.expect("the next page loads");
    }

    /// Signs in through the form.
    pub async fn sign_in(&self, username: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("form.form button[type=submit]").await;
    }

    /// The value of the session cookie, if the browser has one.
    pub async fn session_cookie(&self) -> Option<String> {
        self.client.get_named_cookie("casedesk_session").await.ok().map(|c| c.value().to_owned())
    }

    /// Runs axe-core on the page; panics listing every serious or critical violation.
    pub async fn assert_accessible(&self, what: &str) {
        self.js(axe_source()).await;
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']})
              .then(r => done(JSON.stringify(r.violations)))
              .catch(e => done('axe failed: ' + e));";
        let result = self.client.execute_async(script, vec![]).await.expect("axe runs");
        let text = result.as_str().unwrap_or_default();
        let violations: Vec<Value> =
            serde_json::from_str(text).unwrap_or_else(|_| panic!("axe on {what}: {text}"));
        let bad: Vec<String> = violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                let targets: Vec<String> =
                    v["nodes"].as_array().into_iter().flatten().map(|n| n["target"].to_string()).collect();
                format!("{} ({}): {} at {}", v["id"], v["impact"], v["help"], targets.join(", "))
            })
            .collect();
        assert!(bad.is_empty(), "axe-core on {what}:\n{}", bad.join("\n"));
    }

    /// Writes a PNG of the viewport to `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }
}

/// Sets a field by script (a `<select>` or a date picker), as a keyboard user would pick it.
pub async fn choose(browser: &Browser, css: &str, value: &str) {
    let script = format!("const e = document.querySelector({css:?}); e.value = {value:?}; return e.value;");
    assert_eq!(browser.js(&script).await, value, "{css} takes {value}");
}

/// axe-core's script, installed from the npm registry into
/// `target/axe/` on first use when it is not there yet.
fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    static INSTALL: Mutex<()> = Mutex::new(());
    SOURCE.get_or_init(|| {
        let _one_at_a_time = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
        let prefix = target_dir().join("axe");
        let script = prefix.join("node_modules/axe-core/axe.min.js");
        if !script.exists() {
            std::fs::create_dir_all(&prefix).expect("axe directory");
            let status = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg("axe-core@4")
                .status()
                .expect("npm runs (apt-get install npm)");
            assert!(status.success(), "npm install axe-core@4 failed");
        }
        std::fs::read_to_string(&script).expect("axe.min.js")
    })
}
