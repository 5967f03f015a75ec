//! What every server function does at the door: find the directory, identify the caller
//! from the session cookie, and answer errors with the right status.

use crate::directory::{Caller, SharedDirectory};
use crate::error::AppError;
use cookie::{Cookie, SameSite};
use http::request::Parts;
use http::{HeaderValue, header};
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
#[derive(Clone, Copy, Debug)]
pub struct ClientAddress(pub std::net::IpAddr);

/// The directory the server provided.
pub fn directory() -> SharedDirectory {
    expect_context::<SharedDirectory>()
}

fn request_parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// The name of the cookie that binds hosted sign-in flows to the browser that started them.
pub const BROWSER_COOKIE: &str = "roster_browser";

/// The value of a cookie of the request.
pub fn cookie_from(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> Option<String> {
    cookie_from(&request_parts()?.headers, SESSION_COOKIE)
}

/// A `Set-Cookie` value for the dashboard's cookies: httpOnly, `SameSite=Lax`, the whole site.
pub fn cookie_header(name: &str, value: Option<&str>, secure: bool) -> Option<HeaderValue> {
    let mut cookie = Cookie::build((name.to_owned(), value.unwrap_or_default().to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build();
    if value.is_none() {
        cookie.make_removal();
    }
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// The secret that binds hosted sign-in flows to this browser, if it has one.
pub fn browser_cookie() -> Option<String> {
    cookie_from(&request_parts()?.headers, BROWSER_COOKIE)
}

/// Sets the browser's binding secret on the response.
pub fn set_browser_cookie(secret: &str) {
    let settings = use_context::<CookieSettings>().unwrap_or_default();
    if let (Some(response), Some(value)) =
        (use_context::<ResponseOptions>(), cookie_header(BROWSER_COOKIE, Some(secret), settings.secure))
    {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// A new random browser secret.
pub fn new_browser_secret() -> String {
    ulid::Ulid::new().to_string() + &ulid::Ulid::new().to_string()
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
    let ip = parts.extensions.get::<ClientAddress>().map(|address| address.0.to_string());
    (ip, header("user-agent"))
}

/// Sets (or, with `None`, clears) the session cookie on the response.
pub fn set_session_cookie(token: Option<&str>) {
    let settings = use_context::<CookieSettings>().unwrap_or_default();
    if let (Some(response), Some(value)) =
        (use_context::<ResponseOptions>(), cookie_header(SESSION_COOKIE, token, settings.secure))
    {
        response.append_header(header::SET_COOKIE, value);
    }
}
