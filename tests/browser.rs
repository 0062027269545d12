//! Browser tests of the pages: a real headless Chromium (Debian's `chromium`
//! and `chromium-driver`) over WebDriver, against the real service on port 0
//! and a fresh database, on SQLite and on PostgreSQL
//! (`browser::sqlite::<test>` and `browser::postgres::<test>`). The service
//! is spawned by the API tests' own helper. axe-core runs inside the pages;
//! screenshots are written to `target/screenshots/`.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "api/openapi.rs"]
#[allow(dead_code)]
mod openapi;

#[path = "browser/admin.rs"]
mod admin;
#[path = "browser/after_closure.rs"]
mod after_closure;
#[path = "browser/console.rs"]
mod console;
#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/mailbox.rs"]
mod mailbox;
#[path = "browser/pages.rs"]
mod pages;
#[path = "browser/sessions.rs"]
mod sessions;

/// Declares `async fn name(app: &TestApp, browser: &Browser)` as tests on
/// both backends, each with a browser session of its own that is closed
/// however the test ends.
#[macro_export]
macro_rules! browser_tests {
    ($($name:ident),* $(,)?) => {
        $crate::browser_tests!(@backend sqlite, Sqlite, $($name),*);
        $crate::browser_tests!(@backend postgres, Postgres, $($name),*);
    };
    (@backend $module:ident, $backend:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[actix_web::test]
                async fn $name() {
                    use futures_util::FutureExt;
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::$backend).await;
                    let browser = $crate::harness::Browser::open(&app.base).await;
                    let outcome = std::panic::AssertUnwindSafe(super::$name(&app, &browser)).catch_unwind().await;
                    browser.close().await;
                    app.shutdown().await;
                    if let Err(panic) = outcome {
                        std::panic::resume_unwind(panic);
                    }
                }
            )*
        }
    };
}
