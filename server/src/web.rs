//! HTTP wiring: the dashboard (pages and server functions) and the middleware around it.

use crate::core::Core;
use app::directory::SharedDirectory;
use app::door::{ClientAddress, CookieSettings};
use app::error::AppError;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use leptos::nonce::Nonce;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;
use std::task::Poll;
use tower::Layer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// The largest body a request may send: 1 MiB, for server functions and the REST API alike.
/// Their forms and JSON take a few kilobytes; the limit keeps anyone from making the server
/// hold more.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// How the HTTP layer behaves.
#[derive(Clone, Debug, Default)]
pub struct WebSettings {
    /// The origin people use to reach the dashboard (`https://roster.example.com`), if known.
    /// State-changing calls are accepted from it and from the request's own host.
    pub public_origin: Option<String>,
    /// The dashboard is served over https: cookies are `Secure`, and browsers are told to use
    /// nothing but https for it (`Strict-Transport-Security`).
    pub https: bool,
    /// Take the client address from `X-Forwarded-For`, set by a trusted reverse proxy.
    pub trust_forwarded_for: bool,
    /// Whether the process takes new work, which `/readyz` answers.
    pub readiness: crate::ops::Readiness,
}

/// Builds the whole application: dashboard pages, server functions and middleware.
pub fn router(core: Arc<Core>, leptos_options: LeptosOptions, settings: WebSettings) -> Router {
    let store = core.store().clone();
    let directory: SharedDirectory = core;
    let health = crate::ops::health::router(store.clone(), settings.readiness.clone());
    let rest = crate::rest::router(directory.clone(), store);
    let widgets = crate::widgets::router(directory.clone());
    let embedding = directory.clone();
    let cookie_settings = CookieSettings { secure: settings.https };
    // Pages, server functions and the fallback (assets and unknown addresses) render the same
    // app, so they all need the same context.
    let context = move || {
        provide_context(directory.clone());
        provide_context(cookie_settings);
        provide_request_nonce();
    };
    let routes = generate_route_list(app::App);
    let shell_options = leptos_options.clone();
    // Files (the WebAssembly, scripts, styles) are served before the app renders its 404:
    // leptos_axum's own file lookup answers in a reactive owner that can inherit the response
    // options of a page rendered earlier on the same thread, and so serve a file with that
    // page's 404 status.
    let not_found = leptos_axum::file_and_error_handler_with_context(context.clone(), app::shell)
        .with_state(leptos_options.clone());
    let files = ServeDir::new(&*leptos_options.site_root)
        .precompressed_br()
        .precompressed_gzip()
        .call_fallback_on_method_not_allowed(true)
        .fallback(not_found);
    let files =
        middleware::from_fn_with_state(Arc::new(SiteCaching::new(&leptos_options)), cache_site_files).layer(files);
    let dashboard = Router::new()
        .leptos_routes_with_context(&leptos_options, routes, context, move || app::shell(shell_options.clone()))
        .fallback_service(files)
        .with_state(leptos_options)
        .layer(middleware::from_fn(read_body_within_limit))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let app = dashboard
        .merge(rest)
        .merge(widgets)
        .merge(health)
        .route("/embed/theme.css", axum::routing::get(crate::widgets::embed_theme))
        .layer(axum::Extension(cookie_settings));
    with_middleware(app, settings, Some(embedding))
}

/// Turns on `hash_files` when the build next to this binary content-hashed the site's files
/// (`make release` does), unless `LEPTOS_HASH_FILES` says otherwise.
///
/// With hashing, Leptos links the files under the names `hash.txt` (written by cargo-leptos
/// beside the binary) gives them, and they may be cached for good (see [`SiteCaching`]).
/// Detecting it spares a deployment one more variable that, forgotten, would link files that
/// do not exist. The hashed WebAssembly named there must be in the site, so a `hash.txt` left
/// over from an earlier build never points the pages at missing files.
pub fn detect_hashed_site(mut options: LeptosOptions) -> LeptosOptions {
    if std::env::var_os("LEPTOS_HASH_FILES").is_some() {
        return options;
    }
    let Some(binary_dir) = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)) else {
        return options;
    };
    let Ok(hashes) = std::fs::read_to_string(binary_dir.join(&*options.hash_file)) else {
        return options;
    };
    let wasm_hash = hashes.lines().find_map(|line| line.trim().strip_prefix("wasm:")).map(str::trim);
    if let Some(hash) = wasm_hash {
        let wasm = Path::new(&*options.site_root)
            .join(&*options.site_pkg_dir)
            .join(format!("{}.{hash}.wasm", options.output_name));
        options.hash_files = wasm.is_file();
    }
    options
}

/// How long browsers and proxies may keep the site's files (the WebAssembly, scripts, styles
/// and the assets of `public/`).
#[derive(Clone, Debug)]
struct SiteCaching {
    /// `/pkg/`: the files cargo-leptos builds.
    pkg_prefix: String,
    /// Their names carry a hash of their content (`hash_files`), so a name never changes
    /// meaning and they may be kept for a year. Without it (development builds) a rebuild
    /// reuses the names, and they are checked again on every use.
    immutable: bool,
}

impl SiteCaching {
    fn new(options: &LeptosOptions) -> Self {
        Self { pkg_prefix: format!("/{}/", options.site_pkg_dir.trim_matches('/')), immutable: options.hash_files }
    }

    /// The `Cache-Control` of a file at `path`. wasm-bindgen's `snippets/` keep their names
    /// whatever their content, so they are never kept for good.
    fn cache_control(&self, path: &str) -> &'static str {
        let hashed = path.strip_prefix(&self.pkg_prefix).is_some_and(|name| !name.starts_with("snippets/"));
        if self.immutable && hashed { "public, max-age=31536000, immutable" } else { "no-cache" }
    }
}

/// Adds to each file served from the site its caching policy (see [`SiteCaching`]), and
/// `Vary: Accept-Encoding`: the same address answers with the precompressed brotli or gzip
/// copy, or the plain file, depending on what the client accepts. Errors (a missing file's
/// 404 page) are left alone.
async fn cache_site_files(State(caching): State<Arc<SiteCaching>>, request: Request, next: Next) -> Response {
    let cache_control = caching.cache_control(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Wraps `routes` in the middleware every response passes through: request IDs, tracing,
/// then [`every_request`]. With `embedding`, the embedded users table may be framed by the
/// origins its settings allow (see [`crate::widgets::allow_embedding`]).
fn with_middleware(routes: Router, settings: WebSettings, embedding: Option<SharedDirectory>) -> Router {
    let every = Arc::new(EveryRequest { security: SecurityHeaders::new(&settings), settings, embedding });
    routes
        .layer(middleware::from_fn_with_state(every, every_request))
        .layer(TraceLayer::new_for_http().make_span_with(crate::ops::logging::request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(UlidRequestId))
}

/// What [`every_request`] needs, fixed at start-up.
struct EveryRequest {
    security: SecurityHeaders,
    settings: WebSettings,
    embedding: Option<SharedDirectory>,
}

/// The steps every request passes through, in one middleware: as layers of their own, each
/// would clone the route's boxed service and box a future on every request. From the outside
/// in: metrics, the embedding policy, security headers (and the page's nonce), the panic
/// catcher, the client's address, the cross-origin check, the statuses of server-function
/// errors and the JSON 404 of unknown API paths.
async fn every_request(State(every): State<Arc<EveryRequest>>, mut request: Request, next: Next) -> Response {
    let timing = crate::ops::metrics::HttpTiming::start(&request);
    let embedded = request.uri().path().starts_with("/embed/");
    let is_api = crate::rest::is_api_path(request.uri().path());
    // Only pages carry scripts; the API never answers one. Leptos's `nonce` feature, which
    // provides this, is turned on by leptos_axum.
    let nonce = (!is_api).then(Nonce::new);
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(nonce.clone());
    }
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    if let Some(address) = client_address(request.headers(), peer, every.settings.trust_forwarded_for) {
        request.extensions_mut().insert(ClientAddress(address));
    }
    let mut response = match refuse_cross_origin(&every.settings, &request) {
        Some(refusal) => refusal,
        None => {
            let is_server_fn = request.uri().path().starts_with(app::SERVER_FN_PREFIX);
            let response = catch_panics(request, next).await;
            let response = if is_server_fn { status_from_error(response).await } else { response };
            if is_api { crate::rest::json_not_found(response) } else { response }
        }
    };
    every.security.apply(response.headers_mut(), nonce.as_deref());
    if embedded && let Some(directory) = &every.embedding {
        crate::widgets::allow_embedding(directory, &mut response).await;
    }
    timing.finish(&response);
    response
}

/// Allows an origin when the environment's settings list it, read per request so that a change
/// applies at once on every replica.
pub(crate) fn origin_allowed_by_settings(directory: SharedDirectory) -> tower_http::cors::AllowOrigin {
    tower_http::cors::AllowOrigin::async_predicate(move |origin: HeaderValue, _: &Parts| {
        let directory = directory.clone();
        async move {
            match origin.to_str() {
                Ok(origin) => directory.allows_cors_origin(origin).await.unwrap_or(false),
                Err(_) => false,
            }
        }
    })
}

/// Answers `request` through `cors` (a layer built once) around the rest of the stack.
pub(crate) async fn with_cors(cors: &tower_http::cors::CorsLayer, request: Request, next: Next) -> Response {
    use tower::ServiceExt;
    match cors.layer(next).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// Request IDs are ULIDs, like every other ID here.
#[derive(Clone, Copy, Debug)]
struct UlidRequestId;

impl MakeRequestId for UlidRequestId {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&ulid::Ulid::new().to_string()).ok().map(RequestId::new)
    }
}

/// An error answered to a server-function call: the [`AppError`] as JSON, which the
/// dashboard reads, with `status`.
fn server_fn_error(status: StatusCode, error: &AppError) -> Response {
    let body = serde_json::to_string(error).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The security headers, fixed at start-up; each response adds its own nonce.
#[derive(Clone, Debug)]
struct SecurityHeaders {
    /// Send `Strict-Transport-Security`: the dashboard is served over https.
    https: bool,
    /// Where pages may connect: their own origin, and under `cargo leptos watch` (which sets
    /// `LEPTOS_WATCH`, the variable Leptos's `AutoReload` checks before adding its script)
    /// the live-reload websocket on another port.
    connect_src: &'static str,
}

impl SecurityHeaders {
    fn new(settings: &WebSettings) -> Self {
        let live_reload = std::env::var_os("LEPTOS_WATCH").is_some();
        Self { https: settings.https, connect_src: if live_reload { "'self' ws: wss:" } else { "'self'" } }
    }

    /// The policy of a page whose scripts carry `nonce`. Only those scripts run (and the
    /// WebAssembly they load); styles, images and connections stay on this origin; no other
    /// site may frame the page or receive its forms. A page without a nonce runs no inline
    /// script at all.
    fn content_security_policy(&self, nonce: Option<&str>) -> String {
        let nonce = nonce.map(|nonce| format!(" 'nonce-{nonce}'")).unwrap_or_default();
        format!(
            "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src {}; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'self'; object-src 'none'",
            self.connect_src
        )
    }

    /// Adds the headers to a response; pages (HTML) also get the policy naming `nonce`, which
    /// only requests that may be answered with a page have.
    fn apply(&self, headers: &mut HeaderMap, nonce: Option<&str>) {
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        // Not `no-referrer`: under it browsers send form posts with `Origin: null`, which the
        // cross-origin check refuses, and without the `Referer` that a form posted before the
        // app has loaded is sent back to. `same-origin` still keeps every address (invitation
        // links carry their token) from other sites.
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        if self.https {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000; includeSubDomains"),
            );
        }
        let is_page = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        if is_page && let Ok(policy) = HeaderValue::from_str(&self.content_security_policy(nonce)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
}

/// Makes the request's nonce (see [`every_request`]) the one Leptos puts on its
/// scripts. leptos_axum provides a fresh nonce of its own before this context runs, which the
/// `Content-Security-Policy` header could not name.
fn provide_request_nonce() {
    if let Some(nonce) = use_context::<Parts>().and_then(|parts| parts.extensions.get::<Nonce>().cloned()) {
        provide_context(nonce);
    }
}

/// Answers a request whose handling panicked with a 500 naming the request, and logs the
/// panic with that ID. Without it the connection is dropped and the client gets an empty reply.
///
/// tower-http's `CatchPanicLayer` does the catching too, but its handler never sees the
/// request, so its answer could not name it.
async fn catch_panics(request: Request, next: Next) -> Response {
    // Reference counts, not copies: they are read only if the request panics.
    let request_id = request.extensions().get::<RequestId>().cloned();
    let path = crate::ops::logging::loggable_path(&request);
    let mut handling = std::pin::pin!(next.run(request));
    // A panic unwinds out of the `poll` that hit it; the future is never polled again.
    let outcome =
        std::future::poll_fn(|cx| match std::panic::catch_unwind(AssertUnwindSafe(|| handling.as_mut().poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(panic) => Poll::Ready(Err(panic)),
        })
        .await;
    match outcome {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            let request_id = request_id.as_ref().and_then(|id| id.header_value().to_str().ok()).unwrap_or_default();
            tracing::error!(request_id, %path, panic = message, "a request panicked");
            let body = serde_json::json!({
                "code": "server_error",
                "message": AppError::Internal.to_string(),
                "request_id": request_id,
            });
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
        }
    }
}

/// Reads the body of a dashboard request (a server-function call) before it is handled, and
/// answers 413 past [`BODY_LIMIT`].
///
/// Server functions read their whole body, however large, before looking at it. Reading it
/// here first, within the limit, holds chunked bodies (which announce no length) to it too.
async fn read_body_within_limit(request: Request, next: Next) -> Response {
    let too_large =
        || server_fn_error(StatusCode::PAYLOAD_TOO_LARGE, &AppError::TooLarge { limit_kib: BODY_LIMIT as u64 / 1024 });
    let announced = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // Refused before a byte of it is read.
    if announced.is_some_and(|length| length > BODY_LIMIT as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    // The extractor applies the `DefaultBodyLimit` set around these routes.
    match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        Err(rejection) => rejection.into_response(),
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
fn refuse_cross_origin(settings: &WebSettings, request: &Request) -> Option<Response> {
    let guarded = changes_state(request.method()) && request.uri().path().starts_with(app::SERVER_FN_PREFIX);
    if !guarded || !is_cross_origin(request.headers(), settings) {
        return None;
    }
    tracing::warn!(path = %request.uri().path(), origin = ?request.headers().get(header::ORIGIN), "refused a cross-origin call");
    let error = AppError::Forbidden("Cross-origin requests are not allowed.".into());
    Some(server_fn_error(StatusCode::FORBIDDEN, &error))
}

/// Gives every failed server-function call the status of its [`AppError`].
///
/// Server functions answer errors with 500 unless told otherwise, and some errors (a missing
/// or malformed argument) happen before the function body runs; reading the status off the
/// error itself covers them all in one place.
async fn status_from_error(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
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

/// The client's address: with `trust_forwarded_for`, the last `X-Forwarded-For` entry, which
/// our own proxy appended (the entries before it are whatever the client sent); otherwise, or
/// when that entry is empty or no address, the peer's.
fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, trust_forwarded_for: bool) -> Option<IpAddr> {
    let forwarded = trust_forwarded_for
        .then(|| headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok())
        .flatten()
        .and_then(|list| list.rsplit(',').next())
        .and_then(|entry| forwarded_ip(entry.trim()));
    forwarded.or(peer)
}

/// An `X-Forwarded-For` entry's address: a bare one, or one with a port (`192.0.2.1:443`,
/// `[2001:db8::1]:443`), which some proxies write.
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    entry.parse().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|address| address.ip()))
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

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_entry_the_proxy_appended() {
        let peer = Some(IpAddr::from([10, 0, 0, 1]));
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.66, 198.51.100.7")]);
        let client = |headers: &HeaderMap| client_address(headers, peer, true).map(|ip| ip.to_string());
        assert_eq!(client(&spoofed).as_deref(), Some("198.51.100.7"));
        let mut two_lines = headers(&[("x-forwarded-for", "203.0.113.66")]);
        two_lines.append("x-forwarded-for", HeaderValue::from_static("198.51.100.7"));
        assert_eq!(client(&two_lines).as_deref(), Some("198.51.100.7"));
        let with_ports = headers(&[("x-forwarded-for", "198.51.100.7:443, [2001:db8::1]:443")]);
        assert_eq!(client(&with_ports).as_deref(), Some("2001:db8::1"));
        for not_an_address in ["203.0.113.66, ", "unknown", "198.51.100.7; drop"] {
            let forwarded = headers(&[("x-forwarded-for", not_an_address)]);
            assert_eq!(client(&forwarded).as_deref(), Some("10.0.0.1"), "{not_an_address}");
        }
        assert_eq!(client(&HeaderMap::new()).as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn without_a_trusted_proxy_forwarded_addresses_are_ignored() {
        let forwarded = headers(&[("x-forwarded-for", "198.51.100.7")]);
        let peer = IpAddr::from([10, 0, 0, 1]);
        assert_eq!(client_address(&forwarded, Some(peer), false), Some(peer));
    }

    #[test]
    fn strict_transport_security_is_sent_only_over_https() {
        let mut over_https = HeaderMap::new();
        SecurityHeaders::new(&WebSettings { https: true, ..Default::default() }).apply(&mut over_https, Some("n"));
        assert_eq!(over_https["strict-transport-security"], "max-age=31536000; includeSubDomains");
        let mut over_http = HeaderMap::new();
        SecurityHeaders::new(&WebSettings::default()).apply(&mut over_http, Some("n"));
        assert!(!over_http.contains_key("strict-transport-security"));
        for headers in [&over_https, &over_http] {
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(headers["referrer-policy"], "same-origin");
            assert_eq!(headers["x-frame-options"], "DENY");
        }
    }

    #[test]
    fn pages_get_a_content_security_policy_naming_their_nonce() {
        let security = SecurityHeaders::new(&WebSettings::default());
        let mut page = headers(&[("content-type", "text/html; charset=utf-8")]);
        security.apply(&mut page, Some("abc123"));
        let policy = page["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let mut json = headers(&[("content-type", "application/json")]);
        security.apply(&mut json, Some("abc123"));
        assert!(!json.contains_key("content-security-policy"));
        let mut page_without_nonce = headers(&[("content-type", "text/html")]);
        security.apply(&mut page_without_nonce, None);
        let policy = page_without_nonce["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval';"), "no inline script may run: {policy}");
    }

    #[test]
    fn only_hashed_files_under_pkg_are_cached_for_good() {
        let hashed = LeptosOptions::builder().output_name("roster").hash_files(true).build();
        let caching = SiteCaching::new(&hashed);
        assert_eq!(caching.cache_control("/pkg/roster.Xy3.wasm"), "public, max-age=31536000, immutable");
        assert_eq!(caching.cache_control("/pkg/snippets/frontend-1/inline0.js"), "no-cache");
        assert_eq!(caching.cache_control("/favicon.ico"), "no-cache");
        assert_eq!(caching.cache_control("/pkgx/roster.js"), "no-cache");
        let fixed_names = LeptosOptions::builder().output_name("roster").build();
        assert_eq!(SiteCaching::new(&fixed_names).cache_control("/pkg/roster.wasm"), "no-cache");
    }

    async fn buggy_handler() -> &'static str {
        panic!("a bug")
    }

    #[tokio::test]
    async fn a_panic_is_answered_with_a_500_naming_the_request() {
        use tower::ServiceExt;
        let panicking = Router::new().route("/boom", axum::routing::get(buggy_handler));
        let request = http::Request::get("/boom").body(Body::empty()).unwrap();
        let response = with_middleware(panicking, WebSettings::default(), None).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "server_error");
        assert_eq!(body["request_id"], request_id.as_str());
    }
}
