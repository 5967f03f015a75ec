//! `GET /user_management/authorize`: where `getAuthorizationUrl` and authkit-js send the
//! browser. A request the environment does not allow (an unknown client, a redirect URI off the
//! allow-list) gets an error page, never a redirect; an allowed one starts a hosted sign-in
//! flow, bound to this browser by an httpOnly cookie, and goes to its first page.

use super::Dir;
use super::logout::page;
use app::door::{BROWSER_COOKIE, CookieSettings, cookie_from, cookie_header, new_browser_secret};
use app::error::AppError;
use app::model::AuthorizeRequest;
use axum::Extension;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(super) fn routes() -> super::Routes {
    super::Routes::default().get("/user_management/authorize", authorize)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(authorize))]
pub(super) struct Doc;

/// Starts a hosted sign-in for an application and sends the browser to its first page. A
/// browser navigation, so it answers with a redirect or an error page, not JSON.
#[utoipa::path(
    get,
    path = "/user_management/authorize",
    tag = "authentication",
    operation_id = "authorize",
    security(()),
    params(AuthorizeRequest),
    responses(
        (status = 302, description = "To the hosted sign-in page (sets the browser cookie that binds the flow).",
            headers(("Location" = String, description = "The hosted page."))),
        (status = 400, description = "An unknown client, a redirect URI off the allow-list, or a malformed link.",
            content_type = "text/html", body = String),
        (status = 429, description = "Too many calls.", content_type = "text/html", body = String),
        (status = 500, description = "Something failed on the server.", content_type = "text/html", body = String),
    )
)]
async fn authorize(
    directory: Dir,
    cookies: Option<Extension<CookieSettings>>,
    headers: HeaderMap,
    query: Result<Query<AuthorizeRequest>, QueryRejection>,
) -> Response {
    let invalid = |message: &str| page(StatusCode::BAD_REQUEST, "This sign-in link is not valid", message);
    let Ok(Query(request)) = query else {
        return invalid("The sign-in link is malformed.");
    };
    let existing = cookie_from(&headers, BROWSER_COOKIE);
    let browser = existing.clone().unwrap_or_else(new_browser_secret);
    match directory.authorize(request, &browser).await {
        Ok(path) => {
            let mut response = StatusCode::FOUND.into_response();
            let headers = response.headers_mut();
            if let Ok(location) = HeaderValue::from_str(&path) {
                headers.insert(header::LOCATION, location);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            let secure = cookies.is_some_and(|Extension(settings)| settings.secure);
            if existing.is_none()
                && let Some(cookie) = cookie_header(BROWSER_COOKIE, Some(&browser), secure)
            {
                headers.insert(header::SET_COOKIE, cookie);
            }
            response
        }
        // The messages are Roster's own sentences; nothing from the request is echoed.
        Err(AppError::BadRequest(message)) => invalid(&message),
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            page(status, "Cannot sign in", "Something went wrong. Please try again.")
        }
    }
}
