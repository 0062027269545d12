//! Browser tests of the pages: a real headless Chromium (Debian's `chromium`
//! and `chromium-driver`) over WebDriver, against the real service on port 0
//! and a fresh database. The service is spawned by the tests' shared helper
//! (`casedesk_testkit`, as the API tests spawn it). axe-core runs inside the
//! pages; screenshots are written to `target/screenshots/`.
//!
//! Each test runs on SQLite and then on PostgreSQL, within one test named
//! `<area>::in_chromium::<test>`: the names hold no backend, so that
//! `cargo test sqlite` (the SQLite half of the API tests, which needs nothing
//! installed) does not start a browser. What the pages answer over plain HTTP
//! — forms, CSRF, refusals, headers — is tested without Chromium, on both
//! backends, in `tests/api/site_pages.rs`, `console_pages.rs` and
//! `mailbox_pages.rs`.

use casedesk_testkit::{helpers, pages};

mod admin;
mod after_closure;
mod console;
mod harness;
mod mailbox;
mod merges;
mod public;
mod scorecard;
mod sessions;

/// Declares `async fn name(app: &TestApp, browser: &Browser)` as tests that
/// run on both backends in turn, each with a service and a browser session of
/// its own that are closed however the test ends.
#[macro_export]
macro_rules! browser_tests {
    ($($name:ident),* $(,)?) => {
        mod in_chromium {
            $(
                #[actix_web::test]
                async fn $name() {
                    use futures_util::FutureExt;
                    for backend in [$crate::helpers::Backend::Sqlite, $crate::helpers::Backend::Postgres] {
                        // Printed before the run, so a failure's captured output names the backend.
                        println!("{} on {backend:?}", stringify!($name));
                        let app = $crate::helpers::TestApp::spawn(backend).await;
                        let browser = $crate::harness::Browser::open(&app.base).await;
                        let outcome =
                            std::panic::AssertUnwindSafe(super::$name(&app, &browser)).catch_unwind().await;
                        browser.close().await;
                        app.shutdown().await;
                        if let Err(panic) = outcome {
                            std::panic::resume_unwind(panic);
                        }
                    }
                }
            )*
        }
    };
}
