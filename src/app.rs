//! Building and running the service: `Application::build(settings)` connects
//! the database, applies migrations, bootstraps the first admin, binds the
//! listener (port 0 works: tests read the port back) and returns a server that
//! runs until stopped. SIGTERM and SIGINT stop it gracefully: it stops
//! accepting, lets in-flight requests finish (up to 30 s), then exits.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, App, HttpMessage, HttpServer};
use tracing_actix_web::{RequestId, TracingLogger};

use crate::auth::cache::UserCache;
use crate::auth::token::TokenKeys;
use crate::client::ClientRules;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::request_log::RedactedRootSpan;
use crate::service::accounts::bootstrap_admin;
use crate::state::AppState;
use crate::{api, deadlines, indexer, maintenance, notify};

/// A built, bound, not yet running service.
pub struct Application {
    port: u16,
    server: Server,
    metrics_server: Option<(ServerHandle, u16)>,
    state: web::Data<AppState>,
}

/// Why the service could not start; the message says what to fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

impl Application {
    /// Connects, migrates, bootstraps and binds, per `settings`.
    pub async fn build(settings: Settings) -> Result<Application, StartError> {
        let key = settings.jwt_key().map_err(|e| StartError(e.0))?;
        let url = settings.database_url.clone();
        let pool_size = settings.db_pool_size;
        let db = web::block(move || Db::connect(&url, pool_size))
            .await
            .map_err(|e| StartError(e.to_string()))?
            .map_err(StartError)?;
        let admin_password = settings.admin_password.clone();
        let bootstrap_db = db.clone();
        web::block(move || {
            prepare_database(&bootstrap_db)
                .map_err(|e| StartError(format!("cannot prepare the database: {e}")))?;
            bootstrap_admin(&bootstrap_db, admin_password.as_deref()).map_err(|e| StartError(e.to_string()))
        })
        .await
        .map_err(|e| StartError(e.to_string()))??;

        let listener = TcpListener::bind(&settings.listen)
            .map_err(|e| StartError(format!("CASEDESK_LISTEN: cannot listen on {}: {e}", settings.listen)))?;
        let port = listener.local_addr().map_err(|e| StartError(e.to_string()))?.port();
        let state = web::Data::new(AppState {
            db,
            tokens: TokenKeys::new(&key, settings.token_ttl_hours),
            metrics: Metrics::new(),
            users: UserCache::default(),
            settings: Arc::new(settings),
        });
        let workers = state.settings.workers;
        let worker_count =
            workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let pool_threads = (state.settings.db_pool_size as usize / worker_count.max(1)).max(2);
        let app_state = state.clone();
        let client_rules = web::Data::new(ClientRules {
            trusted_proxies: state.settings.trusted_proxies.clone(),
            ipv6_prefix: state.settings.ipv6_prefix,
        });
        let mut server = HttpServer::new(move || {
            let metrics = app_state.metrics.clone();
            App::new()
                .app_data(app_state.clone())
                .app_data(client_rules.clone())
                // The router tries routes in order, and the pages' dynamic
                // routes each cost a regex match: the API, which takes the
                // traffic, goes first (one case by id was 7 % slower behind them).
                .configure(api::configure)
                .configure(crate::web::configure)
                .wrap(actix_web::middleware::from_fn(crate::api::authenticate))
                .wrap(actix_web::middleware::from_fn(crate::web::page_middleware))
                .wrap(actix_web::middleware::from_fn(api::refuse_nul_in_url))
                .wrap(api::problem_json_errors())
                .wrap_fn(move |req, srv| {
                    let started = Instant::now();
                    let method = Metrics::method_label(req.method());
                    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                    let metrics = metrics.clone();
                    let response = srv.call(req);
                    async move {
                        let mut response = response.await?;
                        let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
                        metrics.observe(method, &route, response.status().as_u16(), started.elapsed());
                        let headers = response.headers_mut();
                        if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                            headers.insert(HeaderName::from_static("x-request-id"), value);
                        }
                        secure_headers(headers);
                        Ok(response)
                    }
                })
                .wrap(TracingLogger::<RedactedRootSpan>::new())
        })
        .shutdown_timeout(30)
        // Blocking work needs a pooled connection; threads beyond the pool's
        // size (shared by the workers) would only wait for one, and each keeps
        // its own memory.
        .worker_max_blocking_threads(pool_threads);
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener).map_err(|e| StartError(format!("cannot serve: {e}")))?.run();
        let metrics_server = match &state.settings.metrics_listen {
            Some(address) => Some(metrics_server(address, state.clone())?),
            None => None,
        };
        if state.settings.background_tasks {
            indexer::spawn(state.db.clone());
            maintenance::spawn(state.db.clone());
            deadlines::spawn(state.db.clone());
            crate::digest::spawn(state.db.clone(), state.settings.clone());
            let mailer = notify::Mailer::from_settings(&state.settings).map_err(StartError)?;
            notify::spawn(state.db.clone(), mailer, state.settings.clone(), state.metrics.clone());
        }
        Ok(Application { port, server, metrics_server, state })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `CASEDESK_METRICS_LISTEN`, when set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    /// The shared state (tests reach the database through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped by a signal or the handle.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some((metrics, _)) = self.metrics_server {
            metrics.stop(true).await;
        }
        result
    }
}

/// Brings a database's rows up to this version, after its migrations: earlier
/// cases get their handling times, rollups and due dates, and letters
/// published earlier their masked copies. Idempotent; the
/// service runs it at every start and `casedesk migrate` runs it too. Returns
/// how many cases were given a due date.
pub fn prepare_database(db: &Db) -> Result<usize, AppError> {
    // Figures first: the deadline backfill moves rollup sums it expects to exist.
    db.write_blocking(|conn| Ok(db::rollups::backfill(conn)?))?;
    let backfilled = db.write_blocking(deadlines::backfill)?;
    if backfilled > 0 {
        tracing::info!(backfilled, "gave earlier cases their due dates");
    }
    backfill_text_index(db)?;
    let counted = db.write_blocking(|conn| Ok(db::topics::backfill(conn)?))?;
    if counted > 0 {
        tracing::info!(counted, "counted the topics of earlier cases");
    }
    indexer::drain(db)?;
    let letters = db.write_blocking(|conn| Ok(db::letters::backfill(conn)?))?;
    if letters > 0 {
        tracing::info!(letters, "masked the published copies of letters published earlier");
    }
    Ok(backfilled)
}

/// Indexes the text of cases stored before the text index existed, a batch
/// per transaction (intake goes on between them; a restart resumes), with
/// progress on standard error when there is any.
fn backfill_text_index(db: &Db) -> Result<(), AppError> {
    let (done, upto) = db.write_blocking(|conn| Ok(db::search::backfill_progress(conn)?))?;
    if done >= upto {
        return Ok(());
    }
    let progress =
        crate::progress::Progress::counted("indexing the letters' text", (upto - done) as u64, "ids");
    loop {
        let indexed = db.write_blocking(|conn| Ok(db::search::backfill_batch(conn)?))?;
        let (now_done, _) = db.write_blocking(|conn| Ok(db::search::backfill_progress(conn)?))?;
        progress.set(now_done.saturating_sub(done) as u64);
        if indexed == 0 {
            break;
        }
    }
    progress.finish();
    Ok(())
}

/// The `/metrics` page alone, on an address of its own; returns it running
/// and its port.
fn metrics_server(address: &str, state: web::Data<AppState>) -> Result<(ServerHandle, u16), StartError> {
    let listener = TcpListener::bind(address)
        .map_err(|e| StartError(format!("CASEDESK_METRICS_LISTEN: cannot listen on {address}: {e}")))?;
    let port = listener.local_addr().map_err(|e| StartError(e.to_string()))?.port();
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).route("/metrics", web::get().to(api::metrics_page))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .map_err(|e| StartError(format!("cannot serve metrics: {e}")))?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok((handle, port))
}

/// Headers every response carries unless it set its own: no type sniffing,
/// no referrer beyond this site, and — as almost every answer carries a
/// token or personal data — nothing kept in shared or browser caches.
/// Assets with a content hash in their name set a long cache lifetime
/// themselves.
fn secure_headers(headers: &mut actix_web::http::header::HeaderMap) {
    use actix_web::http::header;
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}
