//! `GET /user_management/sessions/logout`: the browser navigation `getLogoutUrl` builds.
//!
//! It needs no API key, as in WorkOS: the browser of the person signing out opens it. So
//! anyone who knows a session's ID can end that session (a page elsewhere could link to it,
//! CSRF-style). That is what WorkOS does too; the harm is limited to signing someone out, the
//! session ID is not a credential (it is only in the access token's `sid`), and nothing else
//! can be done through this route. It never redirects anywhere but an allowed URL, so it
//! cannot serve as an open redirect, and an unknown session is answered like a live one.

use super::Dir;
use app::error::AppError;
use app::model::LogoutTarget;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

pub(super) fn routes() -> super::Routes {
    super::Routes::default().get("/user_management/sessions/logout", logout)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(logout))]
pub(super) struct Doc;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
struct LogoutQuery {
    /// The session to end (the `sid` of its access token).
    session_id: Option<String>,
    /// Where to send the browser afterwards: one of the environment's allowed logout URLs.
    return_to: Option<String>,
}

/// Ends a session and sends the browser back to the application (or shows that it is signed
/// out). A browser navigation, so it answers with pages and redirects, not JSON.
#[utoipa::path(
    get,
    path = "/user_management/sessions/logout",
    tag = "sessions",
    operation_id = "logout",
    security(()),
    params(LogoutQuery),
    responses(
        (status = 200, description = "The signed-out page.", content_type = "text/html", body = String),
        (status = 302, description = "Signed out; back to `return_to` or the default logout URL.",
            headers(("Location" = String, description = "Where the browser goes."))),
        (status = 400, description = "No session_id, or a return_to the environment does not allow.",
            content_type = "text/html", body = String),
        (status = 429, description = "Too many calls.", content_type = "text/html", body = String),
        (status = 500, description = "Something failed on the server.", content_type = "text/html", body = String),
    )
)]
async fn logout(directory: Dir, query: Result<Query<LogoutQuery>, QueryRejection>) -> Response {
    // A query that cannot be read is treated as one without a session ID.
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let Some(session_id) = query.session_id.filter(|id| !id.trim().is_empty()) else {
        return page(StatusCode::BAD_REQUEST, "Cannot sign out", "The link has no session_id.");
    };
    match directory.logout(session_id.trim(), query.return_to.as_deref()).await {
        Ok(LogoutTarget::Redirect(url)) => match HeaderValue::from_str(&url) {
            Ok(location) => {
                let mut response = StatusCode::FOUND.into_response();
                response.headers_mut().insert(header::LOCATION, location);
                response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Err(_) => page(StatusCode::BAD_REQUEST, "Cannot sign out", "The return address cannot be used."),
        },
        Ok(LogoutTarget::SignedOutPage) => {
            page(StatusCode::OK, "Signed out", "You are signed out. You can close this tab.")
        }
        Err(AppError::Validation(_)) => page(
            StatusCode::BAD_REQUEST,
            "Cannot sign out",
            "The app asked to send you to an address this environment does not allow, so you were not signed out.",
        ),
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            page(status, "Cannot sign out", "Something went wrong. Please try again.")
        }
    }
}

/// A small page for the browser; the texts are fixed, so nothing from the request is echoed.
pub(super) fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1><p>{message}</p></main></body></html>"
    );
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
