//! HTTP wiring: the dashboard (pages and server functions) and the middleware around it.

use crate::core::Core;
use app::directory::SharedDirectory;
use app::door::{ClientAddress, CookieSettings};
use app::error::AppError;
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// How the HTTP layer behaves.
#[derive(Clone, Debug, Default)]
pub struct WebSettings {
    /// The origin people use to reach the dashboard (`https://roster.example.com`), if known.
    /// State-changing calls are accepted from it and from the request's own host.
    pub public_origin: Option<String>,
    /// Mark cookies `Secure`: the dashboard is served over https.
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For`, set by a trusted reverse proxy.
    pub trust_forwarded_for: bool,
}

/// Builds the whole application: dashboard pages, server functions and middleware.
pub fn router(core: Arc<Core>, leptos_options: LeptosOptions, settings: WebSettings) -> Router {
    let store = core.store().clone();
    let directory: SharedDirectory = core;
    let rest = crate::rest::router(directory.clone(), store);
    let cookie_settings = CookieSettings { secure: settings.secure_cookies };
    let routes = generate_route_list(app::App);
    let shell_options = leptos_options.clone();
    let settings = Arc::new(settings);
    Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || {
                provide_context(directory.clone());
                provide_context(cookie_settings);
            },
            move || app::shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(leptos_options)
        .merge(rest)
        .layer(middleware::from_fn(crate::rest::json_not_found))
        .layer(middleware::from_fn(status_from_error))
        .layer(middleware::from_fn_with_state(settings.clone(), refuse_cross_origin))
        .layer(middleware::from_fn_with_state(settings, record_client_address))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(UlidRequestId))
}

/// Request IDs are ULIDs, like every other ID here.
#[derive(Clone, Copy, Debug)]
struct UlidRequestId;

impl MakeRequestId for UlidRequestId {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&ulid::Ulid::new().to_string()).ok().map(RequestId::new)
    }
}

/// True for the methods that change state.
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// True when the request's `Origin` (or, failing that, `Sec-Fetch-Site`) shows it came from
/// a page of another site.
fn is_cross_origin(headers: &HeaderMap, settings: &WebSettings) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("invalid")) {
        // Privacy-sensitive contexts send the literal "null"; never trust it.
        Some("null") => true,
        Some(origin) => {
            let origin_host = origin.split_once("://").map(|(_, rest)| rest);
            let same_host = origin_host.is_some() && origin_host == host;
            let configured = settings.public_origin.as_deref() == Some(origin.trim_end_matches('/'));
            !(same_host || configured)
        }
        None => headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site"),
    }
}

/// Refuses state-changing calls from other sites, so a page elsewhere cannot act with a
/// signed-in admin's cookie. The REST API (bearer keys, no cookies) is not affected.
async fn refuse_cross_origin(
    axum::extract::State(settings): axum::extract::State<Arc<WebSettings>>,
    request: Request,
    next: Next,
) -> Response {
    let guarded = changes_state(request.method()) && request.uri().path().starts_with("/api/");
    if guarded && is_cross_origin(request.headers(), &settings) {
        tracing::warn!(path = %request.uri().path(), origin = ?request.headers().get(header::ORIGIN), "refused a cross-origin call");
        let error = AppError::Forbidden("Cross-origin requests are not allowed.".into());
        let body = serde_json::to_string(&error).unwrap_or_default();
        return (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    next.run(request).await
}

/// Gives every failed server-function call the status of its [`AppError`].
///
/// Server functions answer errors with 500 unless told otherwise, and some errors (a missing
/// or malformed argument) happen before the function body runs; reading the status off the
/// error itself covers them all in one place.
async fn status_from_error(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Puts the client's address where server functions find it.
async fn record_client_address(
    axum::extract::State(settings): axum::extract::State<Arc<WebSettings>>,
    mut request: Request,
    next: Next,
) -> Response {
    let forwarded = settings
        .trust_forwarded_for
        .then(|| request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|list| list.split(',').next())
        .map(|ip| ip.trim().to_owned());
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip().to_string());
    if let Some(address) = forwarded.or(peer) {
        request.extensions_mut().insert(ClientAddress(address));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn same_host_origins_pass_and_others_do_not() {
        let settings = WebSettings::default();
        assert!(!is_cross_origin(
            &headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]),
            &settings
        ));
        assert!(is_cross_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.test")]), &settings));
        assert!(is_cross_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]), &settings));
        assert!(is_cross_origin(&headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")]), &settings));
        assert!(!is_cross_origin(&headers(&[("host", "127.0.0.1:3000")]), &settings));
    }

    #[test]
    fn the_configured_public_origin_passes_behind_a_proxy() {
        let settings = WebSettings { public_origin: Some("https://roster.example.com".into()), ..Default::default() };
        let behind_proxy = headers(&[("host", "10.0.0.5:3000"), ("origin", "https://roster.example.com")]);
        assert!(!is_cross_origin(&behind_proxy, &settings));
    }
}
