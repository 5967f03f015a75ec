//! What every server function does at the door: find the directory, identify the caller
//! from the session cookie, and answer errors with the right status.

use crate::directory::{Caller, SharedDirectory};
use crate::error::AppError;
use cookie::{Cookie, SameSite};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// The name of the dashboard's session cookie.
pub const SESSION_COOKIE: &str = "roster_session";

/// How the dashboard's cookies are set, from the server's configuration.
#[derive(Clone, Copy, Debug, Default)]
pub struct CookieSettings {
    /// Mark cookies `Secure` because the dashboard is served over https.
    pub secure: bool,
}

/// The client's IP address, as the server determined it (its peer, or the address a trusted
/// proxy forwarded). The server puts it in the request's extensions.
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

/// The directory the server provided.
pub fn directory() -> SharedDirectory {
    expect_context::<SharedDirectory>()
}

fn request_parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> Option<String> {
    let parts = request_parts()?;
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

/// The caller behind the session cookie; `Unauthenticated` without a live session.
pub async fn caller() -> Result<Caller, AppError> {
    let token = session_token().ok_or(AppError::Unauthenticated)?;
    directory().resolve_session(&token).await
}

/// The client's address and user agent, for the session record.
pub fn client_details() -> (Option<String>, Option<String>) {
    let Some(parts) = request_parts() else {
        return (None, None);
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let ip = parts.extensions.get::<ClientAddress>().map(|address| address.0.clone());
    (ip, header("user-agent"))
}

/// Sets (or, with `None`, clears) the session cookie on the response.
pub fn set_session_cookie(token: Option<&str>) {
    let settings = use_context::<CookieSettings>().unwrap_or_default();
    let mut cookie = Cookie::build((SESSION_COOKIE, token.unwrap_or_default().to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.secure)
        .build();
    if token.is_none() {
        cookie.make_removal();
    }
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&cookie.to_string()))
    {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// True when the request came from a plain HTML form rather than the hydrated app.
fn from_plain_form() -> bool {
    request_parts()
        .and_then(|parts| {
            parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Gives an error its HTTP status before it leaves a server function.
///
/// A plain form post is answered with a redirect back to the page, which shows the error, so
/// its status is left alone.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        if !from_plain_form() {
            if let (Some(response), Ok(status)) =
                (use_context::<ResponseOptions>(), StatusCode::from_u16(error.status_code()))
            {
                response.set_status(status);
            }
        }
    }
    result
}
