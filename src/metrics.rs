//! Prometheus metrics: requests by route template and status, their
//! latencies, and database pool usage.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::db::Pool;
use crate::domain::notice::MessageState;

/// The service's metrics, registered in their own registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    mail_sent: IntCounter,
    mail_failures: IntCounter,
    outbox: IntGaugeVec,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("casedesk_http_requests_total", "HTTP requests by method, route template and status"),
            &["method", "route", "status"],
        )
        .expect("metric definition is valid");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "casedesk_http_request_duration_seconds",
                "HTTP request latency by method, route template and status",
            )
            .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            &["method", "route", "status"],
        )
        .expect("metric definition is valid");
        let pool_connections =
            IntGauge::new("casedesk_db_pool_connections", "Open database connections").expect("valid");
        let pool_idle =
            IntGauge::new("casedesk_db_pool_idle_connections", "Idle database connections").expect("valid");
        let pool_max = IntGauge::new("casedesk_db_pool_max_connections", "Largest pool size").expect("valid");
        let mail_sent =
            IntCounter::new("casedesk_mail_sent_total", "Mail delivered by this instance").expect("valid");
        let mail_failures =
            IntCounter::new("casedesk_mail_failures_total", "Failed mail delivery attempts of this instance")
                .expect("valid");
        let outbox =
            IntGaugeVec::new(Opts::new("casedesk_outbox_messages", "Outbox messages by state"), &["state"])
                .expect("valid");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_idle.clone()),
            Box::new(pool_max.clone()),
            Box::new(mail_sent.clone()),
            Box::new(mail_failures.clone()),
            Box::new(outbox.clone()),
        ] {
            registry.register(collector).expect("metric names are unique");
        }
        Metrics {
            registry,
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
            mail_sent,
            mail_failures,
            outbox,
        }
    }

    /// The label of a request method: the standard ones by name, anything
    /// else as `OTHER`, so that invented methods cannot grow the metrics.
    pub fn method_label(method: &actix_web::http::Method) -> &'static str {
        use actix_web::http::Method;
        const KNOWN: [(Method, &str); 9] = [
            (Method::GET, "GET"),
            (Method::POST, "POST"),
            (Method::PUT, "PUT"),
            (Method::PATCH, "PATCH"),
            (Method::DELETE, "DELETE"),
            (Method::HEAD, "HEAD"),
            (Method::OPTIONS, "OPTIONS"),
            (Method::CONNECT, "CONNECT"),
            (Method::TRACE, "TRACE"),
        ];
        KNOWN.iter().find(|(known, _)| known == method).map_or("OTHER", |(_, label)| label)
    }

    /// Records one finished request. `route` is the matched template
    /// (`/api/v1/cases/{id}`), never the raw path, to bound label cardinality.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        self.requests.with_label_values(&[method, route, &status]).inc();
        self.latency.with_label_values(&[method, route, &status]).observe(elapsed.as_secs_f64());
    }

    /// Counts a delivered mail.
    pub fn mail_sent(&self) {
        self.mail_sent.inc();
    }

    /// Counts a failed delivery attempt.
    pub fn mail_failed(&self) {
        self.mail_failures.inc();
    }

    /// The Prometheus text exposition, with pool gauges read now and the
    /// outbox's depth per state as counted by the caller.
    pub fn render(&self, pool: &Pool, outbox: &[(MessageState, i64)]) -> String {
        for state in MessageState::ALL {
            let count = outbox.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
            self.outbox.with_label_values(&[state.as_str()]).set(count);
        }
        let state = pool.state();
        self.pool_connections.set(i64::from(state.connections));
        self.pool_idle.set(i64::from(state.idle_connections));
        self.pool_max.set(i64::from(pool.max_size()));
        let mut buffer = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Method;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(Metrics::method_label(&Method::GET), "GET");
        assert_eq!(Metrics::method_label(&Method::from_bytes(b"FROB").unwrap()), "OTHER");
        let metrics = Metrics::new();
        for i in 0..50 {
            let method = Method::from_bytes(format!("X{i}").as_bytes()).unwrap();
            metrics.observe(Metrics::method_label(&method), "unmatched", 404, Duration::from_millis(1));
        }
        let families = metrics.registry.gather();
        let requests = families.iter().find(|f| f.name() == "casedesk_http_requests_total").unwrap();
        assert_eq!(requests.get_metric().len(), 1, "fifty invented methods, one series");
    }
}
