//! Environment settings: validation, configuration locks, and their enforcement (CORS, sign-in
//! methods, lifetimes), and logout.

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use reqwest::Method;
use serde_json::json;
use server::core::settings::EnvironmentOverrides;
use server::core::{Core, CoreSettings};
use server::store::{ScratchDatabase, Store};

const APP_ORIGIN: &str = "https://app.example.com";
const SIGNED_OUT: &str = "https://app.example.com/signed-out";
const DEFAULT_LOGOUT: &str = "https://app.example.com/bye";

async fn set(app: &TestApp, update: SettingsUpdate) -> EnvironmentSettings {
    app.core.update_environment_settings(&system(), update).await.expect("settings saved")
}

/// A user of Acme signed in over REST: the response, and the session it opened.
async fn sign_in(app: &TestApp, api: &Api, email: &str) -> (serde_json::Value, String) {
    let body = json!({ "grant_type": "password", "client_id": api.client_id, "client_secret": api.secret, "email": email, "password": PASSWORD });
    let (status, answer) = api.send(Method::POST, "/user_management/authenticate", body).await;
    assert_eq!(status, 200, "{answer}");
    let user = answer["user"]["id"].as_str().unwrap().to_owned();
    let mut conn = app.core.store().read().await.unwrap();
    let session: String = server::store::db::query_scalar(
        "SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(&user)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    (answer, session)
}

async fn refresh(api: &Api, token: &str) -> (u16, serde_json::Value) {
    let body = json!({ "grant_type": "refresh_token", "client_id": api.client_id, "client_secret": api.secret, "refresh_token": token });
    api.send(Method::POST, "/user_management/authenticate", body).await
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn settings_are_validated_and_name_the_bad_line() {
    let app = spawn_app().await;
    let bad = SettingsUpdate {
        redirect_uris: Some(vec!["https://ok.example.com/cb".into(), "http://evil.example.com/cb".into()]),
        cors_origins: Some(vec!["https://app.example.com/path".into()]),
        default_logout_url: Some("not a url".into()),
        session_lifetime_minutes: Some(1),
        refresh_token_lifetime_minutes: Some(999_999),
        ..SettingsUpdate::default()
    };
    let error = app.core.update_environment_settings(&system(), bad).await.unwrap_err();
    assert!(error.field_message("redirect_uris").unwrap().starts_with("Line 2 (“http://evil.example.com/cb”)"));
    assert!(error.field_message("cors_origins").unwrap().contains("Line 1"));
    for field in ["default_logout_url", "session_lifetime_minutes", "refresh_token_lifetime_minutes"] {
        assert!(error.field_message(field).is_some(), "{field}");
    }
    // Nothing was stored.
    assert_eq!(app.core.environment_settings(&system()).await.unwrap(), EnvironmentSettings::default());

    let saved = set(
        &app,
        SettingsUpdate {
            redirect_uris: Some(vec!["https://OK.example.com/cb".into(), "".into(), "http://localhost:5173/cb".into()]),
            cors_origins: Some(vec!["https://app.example.com/".into()]),
            session_lifetime_minutes: Some(60),
            ..SettingsUpdate::default()
        },
    )
    .await;
    assert_eq!(saved.redirect_uris, ["https://ok.example.com/cb", "http://localhost:5173/cb"]);
    assert_eq!(saved.cors_origins, [APP_ORIGIN]);
    assert_eq!(saved.session_lifetime_minutes, 60);
    assert!(saved.password_enabled, "fields not in the update keep their values");

    // Only environment grants read or change them.
    let acme = app.organization("Acme").await;
    let owner = Caller::from_api_key(app::ids::ApiKeyId::generate(), "client_x".into(), Scope::Organization(acme.id))
        .admin()
        .unwrap();
    assert!(matches!(app.core.environment_settings(&owner).await, Err(app::error::AppError::Forbidden(_))));
}

#[tokio::test]
async fn configuration_overrides_and_locks_its_fields() {
    let database = ScratchDatabase::new().await.unwrap();
    let store = Store::open(&database.url).await.unwrap();
    let environment = EnvironmentOverrides {
        cors_origins: Some(vec!["https://config.example.com".into()]),
        password_enabled: Some(false),
        ..EnvironmentOverrides::default()
    }
    .checked()
    .unwrap();
    let core = Core::new(store, CoreSettings { environment, ..CoreSettings::default() }).await.unwrap();
    let settings = core.environment_settings(&system()).await.unwrap();
    assert_eq!(settings.cors_origins, ["https://config.example.com"]);
    assert!(!settings.password_enabled);
    assert_eq!(settings.locked, [SettingsField::CorsOrigins, SettingsField::PasswordEnabled]);

    let change = SettingsUpdate { password_enabled: Some(true), ..SettingsUpdate::default() };
    let error = core.update_environment_settings(&system(), change).await.unwrap_err();
    assert!(error.field_message("password_enabled").unwrap().contains("ROSTER_PASSWORD_SIGN_IN"));
    // The same value, or other fields, are fine.
    let change =
        SettingsUpdate { password_enabled: Some(false), magic_code_enabled: Some(false), ..SettingsUpdate::default() };
    assert!(!core.update_environment_settings(&system(), change).await.unwrap().magic_code_enabled);

    let bad = EnvironmentOverrides { redirect_uris: Some(vec!["ftp://x".into()]), ..EnvironmentOverrides::default() };
    assert!(bad.checked().unwrap_err().starts_with("ROSTER_REDIRECT_URIS: Line 1"));
}

#[tokio::test]
async fn cors_answers_only_allowed_origins_on_the_browser_routes() {
    let app = spawn_app().await;
    set(&app, SettingsUpdate { cors_origins: Some(vec![APP_ORIGIN.into()]), ..SettingsUpdate::default() }).await;
    let preflight = |path: &str, origin: &str| {
        browser()
            .request(Method::OPTIONS, format!("{}{path}", app.base))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let allow = |response: &reqwest::Response| {
        response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned())
    };
    for path in ["/user_management/authenticate", "/sso/jwks/client_123", "/user_management/sessions/logout"] {
        let allowed = preflight(path, APP_ORIGIN).await.unwrap();
        assert!(allowed.status().is_success(), "{path}");
        assert_eq!(allow(&allowed).as_deref(), Some(APP_ORIGIN), "{path}");
        let refused = preflight(path, "https://evil.example.com").await.unwrap();
        assert_eq!(allow(&refused), None, "{path}");
    }
    // A simple GET carries the header too.
    let jwks =
        browser().get(format!("{}/sso/jwks/client_123", app.base)).header("Origin", APP_ORIGIN).send().await.unwrap();
    assert_eq!(jwks.status(), 200);
    assert_eq!(allow(&jwks).as_deref(), Some(APP_ORIGIN));
    // Other API routes and the dashboard's server functions never answer CORS.
    for path in ["/user_management/users", "/api/login"] {
        let response = preflight(path, APP_ORIGIN).await.unwrap();
        assert_eq!(allow(&response), None, "{path}");
    }
}

#[tokio::test]
async fn a_disabled_method_is_refused() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", "member").await;
    let boss = app.member(&acme, "boss@acme.test", "owner").await;
    let api = app.api_key(None).await;
    set(
        &app,
        SettingsUpdate { password_enabled: Some(false), magic_code_enabled: Some(false), ..SettingsUpdate::default() },
    )
    .await;

    let body = json!({ "grant_type": "password", "client_id": api.client_id, "client_secret": api.secret, "email": "ada@acme.test", "password": PASSWORD });
    let (status, answer) = api.send(Method::POST, "/user_management/authenticate", body).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["message"], "Password sign-in is not enabled in this environment.");
    let (status, answer) =
        api.send(Method::POST, "/user_management/magic_auth", json!({ "email": "ada@acme.test" })).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["message"], "Magic code sign-in is not enabled in this environment.");
    let body = json!({ "grant_type": "urn:workos:oauth:grant-type:magic-auth:code", "client_id": api.client_id, "client_secret": api.secret, "email": "ada@acme.test", "code": "123456" });
    assert_eq!(api.send(Method::POST, "/user_management/authenticate", body).await.0, 403);

    // The dashboard refuses everyone's password but a platform admin's.
    let response = app.client().form("/api/login", &[("email", "ada@acme.test"), ("password", PASSWORD)]).await;
    assert_eq!(response.status(), 403);
    let mut conn = app.core.store().read().await.unwrap();
    server::store::db::query("UPDATE users SET is_platform_admin = 1 WHERE id = $1")
        .bind(boss.user_id.as_str())
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    app.signed_in("boss@acme.test").await;
}

#[tokio::test]
async fn lifetimes_apply_to_new_sessions_and_refresh_tokens() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", "member").await;
    let api = app.api_key(None).await;
    set(
        &app,
        SettingsUpdate {
            session_lifetime_minutes: Some(120),
            refresh_token_lifetime_minutes: Some(15),
            ..SettingsUpdate::default()
        },
    )
    .await;
    let (_, session) = sign_in(&app, &api, "ada@acme.test").await;
    let mut conn = app.core.store().read().await.unwrap();
    let (created, expires): (i64, i64) =
        server::store::db::query_as("SELECT created_at, expires_at FROM sessions WHERE id = $1")
            .bind(&session)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(expires - created, 120 * 60_000);
    let token_expires: i64 =
        server::store::db::query_scalar("SELECT expires_at FROM refresh_tokens WHERE session_id = $1")
            .bind(&session)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert!((token_expires - created - 15 * 60_000).abs() < 5_000, "{}", token_expires - created);

    // A refresh token never outlives its session.
    drop(conn);
    set(&app, SettingsUpdate { refresh_token_lifetime_minutes: Some(600), ..SettingsUpdate::default() }).await;
    let (_, session) = sign_in(&app, &api, "ada@acme.test").await;
    let mut conn = app.core.store().read().await.unwrap();
    let (expires, token_expires): (i64, i64) = server::store::db::query_as(
        "SELECT s.expires_at, t.expires_at FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id WHERE s.id = $1",
    )
    .bind(&session)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(token_expires, expires);
    drop(conn);

    // Dashboard sessions take the session lifetime too.
    app.signed_in("ada@acme.test").await;
    let mut conn = app.core.store().read().await.unwrap();
    let (created, expires): (i64, i64) = server::store::db::query_as(
        "SELECT created_at, expires_at FROM sessions WHERE kind = 'dashboard' ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(expires - created, 120 * 60_000);
}

#[tokio::test]
async fn logout_ends_the_session_and_redirects_only_to_allowed_urls() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", "member").await;
    let api = app.api_key(None).await;
    set(
        &app,
        SettingsUpdate {
            redirect_uris: Some(vec![SIGNED_OUT.into()]),
            default_logout_url: Some(DEFAULT_LOGOUT.into()),
            ..SettingsUpdate::default()
        },
    )
    .await;
    let logout = |query: String| browser().get(format!("{}/user_management/sessions/logout?{query}", app.base)).send();
    let location =
        |response: &reqwest::Response| response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());

    // A foreign return_to is refused with a page, and the session lives on.
    let (signed_in, session) = sign_in(&app, &api, "ada@acme.test").await;
    let refused = logout(format!("session_id={session}&return_to=https%3A%2F%2Fevil.example.com%2F")).await.unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(location(&refused), None);
    assert!(refused.text().await.unwrap().contains("not signed out"));
    let (status, refreshed) = refresh(&api, signed_in["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{refreshed}");

    // An allowed return_to: the session ends, its refresh token stops working.
    let allowed = logout(format!("session_id={session}&return_to={}", urlencode(SIGNED_OUT))).await.unwrap();
    assert_eq!(allowed.status(), 302);
    assert_eq!(location(&allowed).as_deref(), Some(SIGNED_OUT));
    let (status, answer) = refresh(&api, refreshed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"], "invalid_grant");

    // Without return_to: the default logout URL. An unknown or ended session is answered alike.
    for id in [session.as_str(), "session_01H5JQDV7R7ATEYZDEG0W5PRYS", "nonsense"] {
        let response = logout(format!("session_id={id}")).await.unwrap();
        assert_eq!(response.status(), 302, "{id}");
        assert_eq!(location(&response).as_deref(), Some(DEFAULT_LOGOUT), "{id}");
    }
    // The default logout URL is itself an allowed return_to.
    let response = logout(format!("session_id={session}&return_to={}", urlencode(DEFAULT_LOGOUT))).await.unwrap();
    assert_eq!(location(&response).as_deref(), Some(DEFAULT_LOGOUT));

    // With neither, a page says the user is signed out.
    set(&app, SettingsUpdate { default_logout_url: Some(String::new()), ..SettingsUpdate::default() }).await;
    let (_, session) = sign_in(&app, &api, "ada@acme.test").await;
    let page = logout(format!("session_id={session}")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("You are signed out"));
    let mut conn = app.core.store().read().await.unwrap();
    let ended: Option<i64> = server::store::db::query_scalar("SELECT ended_at FROM sessions WHERE id = $1")
        .bind(&session)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(ended.is_some());
    // Without a session ID the link is refused.
    assert_eq!(logout(String::new()).await.unwrap().status(), 400);
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
