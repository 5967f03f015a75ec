//! The log: plain text for people, or JSON lines (`ROSTER_LOG_FORMAT=json`) for a collector.
//!
//! Every request is traced in a `request` span carrying its request ID (the `X-Request-Id`
//! answered to the client), method and path, so each line logged while handling it names the
//! request. What is never logged: request and response bodies, headers (keys, cookies), query
//! strings (reset and invitation links carry their tokens there), and the path of a route
//! whose path carries a secret (its template is logged instead).

use axum::extract::{MatchedPath, Request};
use tower_http::request_id::RequestId;
use tracing_subscriber::EnvFilter;

/// The variable that picks the format.
pub const FORMAT_VARIABLE: &str = "ROSTER_LOG_FORMAT";

/// The filter when `RUST_LOG` is unset.
const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line, with the fields of the current span (the request).
    Json,
}

impl LogFormat {
    /// Reads `ROSTER_LOG_FORMAT`: `text` (or unset) or `json`.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var(FORMAT_VARIABLE) {
            Err(std::env::VarError::NotPresent) => Ok(Self::Text),
            Ok(value) => Self::parse(&value),
            Err(std::env::VarError::NotUnicode(_)) => anyhow::bail!("{FORMAT_VARIABLE} must be text or json"),
        }
    }

    fn parse(value: &str) -> anyhow::Result<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => anyhow::bail!("{FORMAT_VARIABLE} must be text or json, not {other:?}"),
        }
    }
}

/// Installs the process's subscriber: `RUST_LOG` filters (default `info,sqlx=warn`), in the
/// format `ROSTER_LOG_FORMAT` names.
pub fn init() -> anyhow::Result<()> {
    let format = LogFormat::from_env()?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        // The fields of the innermost span under "span", and of every span around the line
        // (the request's ID, method and path among them) under "spans".
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(true).init(),
    }
    Ok(())
}

/// The span each request is traced in: its ID, method and [`loggable_path`].
pub fn request_span(request: &Request) -> tracing::Span {
    let request_id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
    tracing::info_span!(
        "request",
        request_id = request_id.unwrap_or_default(),
        method = %request.method(),
        path = %loggable_path(request),
    )
}

/// The path of a request as logs may show it: never the query, and for a route whose path
/// carries a secret (`/user_management/invitations/by_token/{token}`), the route's template.
/// Formatted only when a log line is written.
pub fn loggable_path(request: &Request) -> LoggablePath {
    LoggablePath { route: request.extensions().get::<MatchedPath>().cloned(), uri: request.uri().clone() }
}

/// A request's path, as [`loggable_path`] shows it; holding it costs two reference counts.
#[derive(Clone, Debug)]
pub struct LoggablePath {
    route: Option<MatchedPath>,
    uri: axum::http::Uri,
}

impl std::fmt::Display for LoggablePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.route {
            Some(route) if carries_secret(route.as_str()) => f.write_str(route.as_str()),
            _ => f.write_str(self.uri.path()),
        }
    }
}

/// True for a route template with a parameter that is a secret.
fn carries_secret(template: &str) -> bool {
    template.split('/').any(|segment| {
        let name = segment.trim_start_matches('{').trim_start_matches('*').trim_end_matches('}');
        segment.starts_with('{') && ["token", "code", "secret"].iter().any(|secret| name.contains(secret))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[test]
    fn formats_read_from_their_names() {
        assert_eq!(LogFormat::parse("json").unwrap(), LogFormat::Json);
        assert_eq!(LogFormat::parse(" JSON ").unwrap(), LogFormat::Json);
        assert_eq!(LogFormat::parse("text").unwrap(), LogFormat::Text);
        assert!(LogFormat::parse("xml").unwrap_err().to_string().contains("ROSTER_LOG_FORMAT"));
    }

    #[tokio::test]
    async fn secret_paths_are_logged_as_their_template_and_queries_never() {
        use tower::ServiceExt;
        let echo = || axum::routing::get(|request: Request| async move { loggable_path(&request).to_string() });
        let app = axum::Router::new()
            .route("/user_management/invitations/by_token/{token}", echo())
            .route("/user_management/users/{id}", echo())
            .fallback(|request: Request| async move { loggable_path(&request).to_string() });
        let logged = |path: &'static str| {
            let app = app.clone();
            async move {
                let response = app.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
                let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
                String::from_utf8(body.to_vec()).unwrap()
            }
        };
        assert_eq!(
            logged("/user_management/invitations/by_token/Secret123?x=1").await,
            "/user_management/invitations/by_token/{token}"
        );
        assert_eq!(logged("/user_management/users/user_01?token=abc").await, "/user_management/users/user_01");
        assert_eq!(logged("/reset-password?token=abc").await, "/reset-password");
    }

    #[test]
    fn templates_with_a_secret_parameter_are_recognised() {
        assert!(carries_secret("/user_management/invitations/by_token/{token}"));
        assert!(carries_secret("/x/{code}"));
        assert!(!carries_secret("/user_management/users/{id}"));
        assert!(!carries_secret("/token/{id}"));
    }
}
