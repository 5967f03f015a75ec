//! Prometheus metrics, off unless `--metrics-addr` (`ROSTER_METRICS_ADDR`) is set: then a
//! recorder collects them and a listener of its own, apart from the public one, serves
//! `GET /metrics` in the Prometheus text format.
//!
//! Code records through the `metrics` facade (the helpers below name every metric once); with
//! no recorder installed each call does nothing. Gauges that describe state (the outbox, the
//! store's connections) are sampled when Prometheus scrapes.

use crate::store::{Store, api};
use app::error::AppError;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Requests answered, by method, route template and status.
pub const HTTP_REQUESTS: &str = "roster_http_requests_total";
/// Time to answer a request (to its response head), by method and route template.
pub const HTTP_DURATION: &str = "roster_http_request_duration_seconds";
/// Sign-in attempts, by method and outcome.
pub const SIGN_INS: &str = "roster_sign_ins_total";
/// Attempts refused by a rate limit, by limit.
pub const RATE_LIMITED: &str = "roster_rate_limited_total";
/// Messages waiting in the outbox, by state.
pub const OUTBOX_MESSAGES: &str = "roster_outbox_messages";
/// Emails the SMTP server accepted.
pub const EMAILS_SENT: &str = "roster_emails_sent_total";
/// Failed email deliveries, by kind (`retry`: tried again later; `permanent`: given up).
pub const EMAIL_FAILURES: &str = "roster_email_send_failures_total";
/// The store's connections, by state (`idle`, `in_use`).
pub const STORE_CONNECTIONS: &str = "roster_store_connections";
/// The most connections the store's pool opens.
pub const STORE_CONNECTIONS_MAX: &str = "roster_store_connections_max";
/// Always 1, labelled with the version.
pub const BUILD_INFO: &str = "roster_build_info";

/// The route label of requests no route matched (unknown addresses).
pub const UNMATCHED_ROUTE: &str = "unmatched";
/// The route label of the dashboard's static files (`/pkg/…`), which no route names.
pub const STATIC_ROUTE: &str = "/pkg/{file}";

/// Latency buckets, in seconds: from a cached page to a password hash waiting its turn.
const DURATION_BUCKETS: [f64; 14] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// How long a scrape waits for the store's gauges before rendering without fresh ones.
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(2);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle) and sets the
/// build info. Until this runs, recording does nothing.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let builder =
        PrometheusBuilder::new().set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &DURATION_BUCKETS)?;
    let handle = HANDLE.get_or_init(|| {
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed already; /metrics will be empty");
        }
        describe();
        metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    });
    Ok(handle.clone())
}

/// The `# HELP` lines.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by method, route template and status.");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "Time to answer an HTTP request, by method and route template.");
    describe_counter!(SIGN_INS, "Sign-in attempts, by method and outcome (success, step_up, failure).");
    describe_counter!(RATE_LIMITED, "Attempts refused by a rate limit, by limit.");
    describe_gauge!(OUTBOX_MESSAGES, "Emails waiting in the outbox, by state (queued, sending).");
    describe_counter!(EMAILS_SENT, "Emails the SMTP server accepted.");
    describe_counter!(EMAIL_FAILURES, "Failed email deliveries, by kind (retry, permanent).");
    describe_gauge!(STORE_CONNECTIONS, "Database connections open, by state (idle, in_use).");
    describe_gauge!(STORE_CONNECTIONS_MAX, "The most database connections the pool opens.");
    describe_gauge!(BUILD_INFO, "Always 1; the version label says which build runs.");
}

/// Counts and times every request, labelled with its route template (never the address
/// itself, whose IDs would make a series per user).
pub async fn track_http(request: Request, next: Next) -> Response {
    let timing = HttpTiming::start(&request);
    let response = next.run(request).await;
    timing.finish(&response);
    response
}

/// One request's metrics, from its start to its response.
pub struct HttpTiming {
    method: &'static str,
    route: String,
    started: Instant,
}

impl HttpTiming {
    /// Starts timing `request`.
    pub fn start(request: &Request) -> Self {
        Self { method: method_label(request.method()), route: route_label(request), started: Instant::now() }
    }

    /// Records the duration and the count under the response's status.
    pub fn finish(self, response: &Response) {
        let status = response.status().as_u16().to_string();
        metrics::histogram!(HTTP_DURATION, "method" => self.method, "route" => self.route.clone())
            .record(self.started.elapsed().as_secs_f64());
        metrics::counter!(HTTP_REQUESTS, "method" => self.method, "route" => self.route, "status" => status)
            .increment(1);
    }
}

/// The route template a request matched, or a fixed label.
fn route_label(request: &Request) -> String {
    match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None if request.uri().path().starts_with("/pkg/") => STATIC_ROUTE.to_owned(),
        None => UNMATCHED_ROUTE.to_owned(),
    }
}

/// The method, with anything unusual folded into one label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// How a sign-in attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Signed in.
    Success,
    /// The first steps were right; another is needed (a second factor, a verified email, an
    /// organization).
    StepUp,
    /// Refused: wrong credentials, a spent code, a rate limit, a bad request.
    Failure,
}

impl Outcome {
    /// The outcome of a sign-in call that answers the step-up error for a further step.
    pub fn of<T>(result: &Result<T, AppError>) -> Self {
        match result {
            Ok(_) => Self::Success,
            Err(AppError::StepUp(_)) => Self::StepUp,
            Err(_) => Self::Failure,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::StepUp => "step_up",
            Self::Failure => "failure",
        }
    }
}

/// Counts a sign-in attempt. `method` is how the user proved themselves in this step:
/// `password`, `magic_auth`, `refresh_token`, `authorization_code`, `totp`,
/// `email_verification`, `organization_selection` or `sign_up`.
pub fn sign_in(method: &'static str, outcome: Outcome) {
    metrics::counter!(SIGN_INS, "method" => method, "outcome" => outcome.label()).increment(1);
}

/// Counts an attempt refused by the rate limit `limit`.
pub fn rate_limited(limit: &'static str) {
    metrics::counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

/// Counts an email the SMTP server accepted.
pub fn email_sent() {
    metrics::counter!(EMAILS_SENT).increment(1);
}

/// Counts a failed delivery; `permanent` when the message is given up.
pub fn email_failed(permanent: bool) {
    metrics::counter!(EMAIL_FAILURES, "kind" => if permanent { "permanent" } else { "retry" }).increment(1);
}

/// What the metrics listener serves from.
#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    store: Store,
}

/// The metrics listener's routes: `GET /metrics` only.
pub fn router(handle: PrometheusHandle, store: Store) -> Router {
    Router::new().route("/metrics", get(render)).with_state(Scrape { handle, store })
}

/// Serves [`router`] on `addr` until `stop` completes. Binds before returning, so a bad
/// address fails the start.
pub async fn serve(
    addr: SocketAddr,
    handle: PrometheusHandle,
    store: Store,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use anyhow::Context;
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listening for metrics on {addr}"))?;
    tracing::info!("metrics at http://{addr}/metrics");
    // Histograms are kept in buckets that upkeep folds in; rendering does it too, but a server
    // nobody scrapes for a while should not hold its samples.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(5));
        loop {
            ticks.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = router(handle, store);
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
            tracing::error!(%error, "the metrics listener failed");
        }
    }))
}

/// Samples the gauges, then renders every metric in the Prometheus text format.
async fn render(State(scrape): State<Scrape>) -> Response {
    sample_store(&scrape.store).await;
    let mut response = scrape.handle.render().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Sets the store's gauges: its pool now, and the outbox (one grouped count).
async fn sample_store(store: &Store) {
    let (max, open, idle) = store.connection_counts();
    metrics::gauge!(STORE_CONNECTIONS, "state" => "idle").set(idle as f64);
    metrics::gauge!(STORE_CONNECTIONS, "state" => "in_use").set(open.saturating_sub(idle) as f64);
    metrics::gauge!(STORE_CONNECTIONS_MAX).set(max as f64);
    let counted = tokio::time::timeout(SAMPLE_TIMEOUT, async {
        let mut conn = store.read().await?;
        api::count_undelivered_messages(&mut conn).await
    })
    .await;
    match counted {
        Ok(Ok(counts)) => {
            for state in ["queued", "sending"] {
                let count = counts.iter().find(|(name, _)| name == state).map_or(0, |(_, count)| *count);
                metrics::gauge!(OUTBOX_MESSAGES, "state" => state).set(count as f64);
            }
        }
        Ok(Err(error)) => tracing::warn!(%error, "the outbox could not be counted for the metrics"),
        Err(_) => tracing::warn!("the outbox could not be counted in time for the metrics"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    #[tokio::test]
    async fn requests_are_labelled_by_route_template_and_unknown_ones_alike() {
        let handle = install().unwrap();
        let app = Router::new()
            .route("/metrics_test/things/{id}", get(|| async { "thing" }))
            .layer(axum::middleware::from_fn(track_http));
        for path in ["/metrics_test/things/a1", "/metrics_test/things/b2", "/metrics_test/no/such/thing"] {
            app.clone().oneshot(http::Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        }
        let text = handle.render();
        let template = r#"roster_http_requests_total{method="GET",route="/metrics_test/things/{id}",status="200"} 2"#;
        assert!(text.contains(template), "{text}");
        assert!(!text.contains("things/a1"), "{text}");
        assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
        assert!(text.contains(r#"roster_http_request_duration_seconds_bucket{method="GET",route="/metrics_test/things/{id}",le="0.001"}"#), "{text}");
        assert!(text.contains(&format!(r#"roster_build_info{{version="{}"}} 1"#, env!("CARGO_PKG_VERSION"))), "{text}");
    }

    #[test]
    fn outcomes_read_the_step_up_error() {
        assert_eq!(Outcome::of::<()>(&Ok(())), Outcome::Success);
        assert_eq!(Outcome::of::<()>(&Err(AppError::InvalidCredentials)), Outcome::Failure);
    }
}
