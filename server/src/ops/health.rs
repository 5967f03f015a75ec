//! `GET /healthz` (the process answers) and `GET /readyz` (it can serve: the store answers and
//! its migrations are those this build carries, and it is not shutting down).
//!
//! Neither needs a key, and their bodies say no more than a status word: no version, no
//! error, nothing an outsider could use. The cause of a failed readiness check is logged.

use crate::store::Store;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long the readiness check waits for the store before it answers 503: well below the
/// timeouts of the probes that ask (Kubernetes' default is one second more than this).
const STORE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether this process still takes new work; shared by the shutdown and `/readyz`.
#[derive(Clone, Debug, Default)]
pub struct Readiness {
    draining: Arc<AtomicBool>,
}

impl Readiness {
    /// From now on `/readyz` answers 503: the process is shutting down.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// True once shutting down.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

#[derive(Clone)]
struct HealthState {
    store: Store,
    readiness: Readiness,
}

/// The routes [`router`] serves, for the authorization matrix.
pub fn route_table() -> Vec<(axum::http::Method, &'static str)> {
    vec![(axum::http::Method::GET, "/healthz"), (axum::http::Method::GET, "/readyz")]
}

/// The two routes, over `store`.
pub fn router(store: Store, readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(HealthState { store, readiness })
}

/// A status word as JSON, never cached.
fn status(code: StatusCode, word: &'static str) -> Response {
    let mut response = (code, axum::Json(serde_json::json!({ "status": word }))).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The process is up and answers HTTP; nothing else is checked, so a busy or unreachable
/// store never gets a live process restarted.
async fn healthz() -> Response {
    status(StatusCode::OK, "ok")
}

/// Ready: not shutting down, the store answers a query within [`STORE_CHECK_TIMEOUT`], and
/// every migration this build carries is applied.
async fn readyz(State(state): State<HealthState>) -> Response {
    if state.readiness.is_draining() {
        return status(StatusCode::SERVICE_UNAVAILABLE, "draining");
    }
    match tokio::time::timeout(STORE_CHECK_TIMEOUT, state.store.migrations_current()).await {
        Ok(Ok(true)) => status(StatusCode::OK, "ok"),
        Ok(Ok(false)) => {
            tracing::warn!("not ready: the database lacks migrations this build carries (run `roster migrate`)");
            status(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the database did not answer");
            status(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        Err(_) => {
            tracing::warn!(timeout = ?STORE_CHECK_TIMEOUT, "not ready: the database did not answer in time");
            status(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    async fn get(app: &Router, path: &str) -> (StatusCode, String, serde_json::Value) {
        let request = http::Request::get(path).body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let cache = response.headers()[header::CACHE_CONTROL].to_str().unwrap().to_owned();
        let code = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
        (code, cache, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn ready_until_draining_and_live_throughout() {
        let database = crate::store::ScratchDatabase::new().await.unwrap();
        let store = Store::open(&database.url).await.unwrap();
        let readiness = Readiness::default();
        let app = router(store, readiness.clone());
        assert_eq!(
            get(&app, "/healthz").await,
            (StatusCode::OK, "no-store".into(), serde_json::json!({"status": "ok"}))
        );
        assert_eq!(
            get(&app, "/readyz").await,
            (StatusCode::OK, "no-store".into(), serde_json::json!({"status": "ok"}))
        );
        readiness.start_draining();
        let draining = serde_json::json!({"status": "draining"});
        assert_eq!(get(&app, "/readyz").await, (StatusCode::SERVICE_UNAVAILABLE, "no-store".into(), draining));
        assert_eq!(get(&app, "/healthz").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn not_ready_while_a_migration_is_missing() {
        let database = crate::store::ScratchDatabase::new().await.unwrap();
        let store = Store::open(&database.url).await.unwrap();
        crate::store::db::query(
            "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
        )
        .execute(&mut *store.read().await.unwrap())
        .await
        .unwrap();
        let app = router(store, Readiness::default());
        let unavailable = serde_json::json!({"status": "unavailable"});
        assert_eq!(get(&app, "/readyz").await, (StatusCode::SERVICE_UNAVAILABLE, "no-store".into(), unavailable));
    }
}
