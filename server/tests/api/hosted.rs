//! The hosted sign-in over HTTP: `/user_management/authorize`, the pages' server functions,
//! and the `authorization_code` grant, with the negative paths the SDKs and authkit-js meet.

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

const CALLBACK: &str = "http://127.0.0.1:9/callback";

/// Acme with a member, an environment key, and the callback on the allow-list.
async fn setup(app: &TestApp) -> (Api, Organization) {
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", roles::MEMBER).await;
    let update = SettingsUpdate { redirect_uris: Some(vec![CALLBACK.into()]), ..Default::default() };
    app.core.update_environment_settings(&system(), update).await.expect("settings");
    (app.api_key(None).await, acme)
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Opens the authorize URL as the browser would; returns the hosted page it redirects to.
async fn authorize(client: &Client, query: &str) -> reqwest::Response {
    client.get(&format!("/user_management/authorize?{query}")).await
}

fn query(api: &Api, extra: &str) -> String {
    format!(
        "client_id={}&redirect_uri={}&response_type=code&provider=authkit&state=s%20t{extra}",
        api.client_id,
        urlencode(CALLBACK)
    )
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The flow ID of a hosted page's address.
fn flow_of(path: &str) -> String {
    path.split("flow=").nth(1).expect("a flow").to_owned()
}

/// Signs in on the hosted page; returns where the browser goes next.
async fn password(client: &Client, flow: &str, email: &str) -> String {
    let response = client.form("/api/login", &[("flow", flow), ("email", email), ("password", PASSWORD)]).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    location(&response)
}

/// Walks a fresh browser through authorize and the password page; returns the code.
async fn code_for(app: &TestApp, api: &Api, extra: &str, email: &str) -> String {
    let browser = app.client();
    let page = location(&authorize(&browser, &query(api, extra)).await);
    let back = password(&browser, &flow_of(&page), email).await;
    assert!(back.starts_with(&format!("{CALLBACK}?code=")), "{back}");
    assert!(back.ends_with("&state=s+t"), "the state comes back verbatim: {back}");
    let url = url::Url::parse(&back).unwrap();
    url.query_pairs().find(|(key, _)| key == "code").unwrap().1.into_owned()
}

async fn exchange(api: &Api, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = api.http.post(format!("{}/user_management/authenticate", api.base)).json(&body).send().await;
    answer(response.expect("exchange")).await
}

fn pkce(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[tokio::test]
async fn a_code_works_once_for_its_own_client_with_its_secret_and_not_after_it_expires() {
    let app = spawn_app().await;
    let (api, acme) = setup(&app).await;
    let code = code_for(&app, &api, "", "ada@acme.test").await;
    let grant = |code: &str, api: &Api| {
        json!({ "grant_type": "authorization_code", "client_id": api.client_id, "client_secret": api.secret, "code": code })
    };
    let (status, signed_in) = exchange(&api, grant(&code, &api)).await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(signed_in["user"]["email"], "ada@acme.test");
    assert_eq!(signed_in["organization_id"], acme.id.to_string());
    assert_eq!(signed_in["authentication_method"], "Password");

    let (status, again) = exchange(&api, grant(&code, &api)).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")), "a code works once");

    let other = app.api_key(None).await;
    let code = code_for(&app, &api, "", "ada@acme.test").await;
    let (status, foreign) = exchange(&other, grant(&code, &other)).await;
    assert_eq!((status, foreign["error"].as_str()), (400, Some("invalid_grant")), "another client: {foreign}");

    let code = code_for(&app, &api, "", "ada@acme.test").await;
    sqlx::query("UPDATE authorization_codes SET expires_at = 0").execute(app.core.store().pool()).await.unwrap();
    let (status, expired) = exchange(&api, grant(&code, &api)).await;
    assert_eq!((status, expired["error"].as_str()), (400, Some("invalid_grant")), "an expired code: {expired}");
}

#[tokio::test]
async fn a_pkce_code_needs_its_verifier_and_no_secret() {
    let app = spawn_app().await;
    let (api, _) = setup(&app).await;
    let verifier = "a-verifier-of-forty-three-characters-or-more-0123456789";
    let extra = format!("&code_challenge={}&code_challenge_method=S256", pkce(verifier));
    let public = |code: &str, verifier: &str| {
        json!({ "grant_type": "authorization_code", "client_id": api.client_id, "code": code, "code_verifier": verifier })
    };
    let code = code_for(&app, &api, &extra, "ada@acme.test").await;
    let (status, mismatch) = exchange(&api, public(&code, "another-verifier-of-forty-three-characters-0000")).await;
    assert_eq!((status, mismatch["error"].as_str()), (400, Some("invalid_grant")), "{mismatch}");
    // The wrong verifier spent nothing: the right one still works, without any secret.
    let (status, signed_in) = exchange(&api, public(&code, verifier)).await;
    assert_eq!(status, 200, "{signed_in}");
    // A browser app refreshes with its client ID alone.
    let refresh = json!({ "grant_type": "refresh_token", "client_id": api.client_id, "refresh_token": signed_in["refresh_token"] });
    let (status, refreshed) = exchange(&api, refresh).await;
    assert_eq!(status, 200, "{refreshed}");

    // A code issued without a challenge needs the secret.
    let code = code_for(&app, &api, "", "ada@acme.test").await;
    let (status, refused) = exchange(&api, public(&code, verifier)).await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")), "{refused}");
    let unknown = json!({ "grant_type": "authorization_code", "client_id": "client_nobody", "code": code, "code_verifier": verifier });
    assert_eq!(exchange(&api, unknown).await.0, 400);
}

#[tokio::test]
async fn a_foreign_redirect_uri_or_unknown_client_gets_an_error_page_never_a_redirect() {
    let app = spawn_app().await;
    let (api, _) = setup(&app).await;
    let browser = app.client();
    let ok = authorize(&browser, &query(&api, "")).await;
    assert_eq!(ok.status(), 302);
    assert!(location(&ok).starts_with("/sign-in?flow="));
    let cookie = ok.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("roster_browser=") && cookie.contains("HttpOnly"), "{cookie}");

    let foreign = format!(
        "client_id={}&redirect_uri={}&response_type=code&provider=authkit",
        api.client_id,
        urlencode("https://evil.example.com/callback")
    );
    let unknown_client = query(&api, "").replace(&api.client_id, "client_nobody");
    for query in [foreign, unknown_client, query(&api, "").replace("response_type=code", "response_type=token")] {
        let response = authorize(&browser, &query).await;
        assert_eq!(response.status(), 400, "{query}");
        assert!(response.headers().get("location").is_none());
        assert!(response.text().await.unwrap().contains("This sign-in link is not valid"));
    }
    let sign_up = authorize(&browser, &query(&api, "&screen_hint=sign-up")).await;
    assert!(location(&sign_up).starts_with("/sign-in?flow="), "sign-up is off by default");
}

#[tokio::test]
async fn a_flow_belongs_to_the_browser_that_started_it() {
    let app = spawn_app().await;
    let (api, _) = setup(&app).await;
    let browser = app.client();
    let flow = flow_of(&location(&authorize(&browser, &query(&api, "")).await));
    let thief = app.client();
    let stolen = thief.form("/api/login", &[("flow", &flow), ("email", "ada@acme.test"), ("password", PASSWORD)]).await;
    assert_eq!(stolen.status(), 400);
    assert!(password(&browser, &flow, "ada@acme.test").await.starts_with(CALLBACK));
    // A finished flow cannot be used again.
    let again = browser.form("/api/login", &[("flow", &flow), ("email", "ada@acme.test"), ("password", PASSWORD)]).await;
    assert_eq!(again.status(), 400);
}

/// The current TOTP code of a base32 secret.
fn totp_now(secret: &str) -> String {
    let key = totp_rs::Secret::try_from_base32(secret).unwrap().as_bytes().to_vec();
    let totp = totp_rs::Builder::new().with_algorithm(totp_rs::Algorithm::SHA1).with_secret(key).build().unwrap();
    totp.generate_current().to_string()
}

#[tokio::test]
async fn mfa_then_organization_selection_on_the_hosted_pages_and_no_code_twice() {
    let app = spawn_app().await;
    let (api, acme) = setup(&app).await;
    let globex = app.organization("Globex").await;
    let by_email = UserQuery { email: Some("ada@acme.test".into()), ..Default::default() };
    let ada = app.core.list_users(&system(), by_email).await.unwrap().data.remove(0);
    let membership = NewMembership {
        organization_id: globex.id.clone(),
        user_id: ada.id.clone(),
        role_slugs: vec![],
        status: MembershipStatus::Active,
    };
    app.core.create_membership(&system(), membership).await.unwrap();
    let enrolled = app.core.enroll_user_factor(&system(), &ada.id, NewTotpFactor::default()).await.unwrap();
    let secret = enrolled.authentication_factor.totp.secret.unwrap();

    let browser = app.client();
    let flow = flow_of(&location(&authorize(&browser, &query(&api, "")).await));
    let next = password(&browser, &flow, "ada@acme.test").await;
    assert_eq!(next, format!("/mfa/challenge?flow={flow}"));
    let wrong = browser.form("/api/totp-code", &[("flow", &flow), ("code", "000000")]).await;
    assert_eq!(wrong.status(), 422, "a wrong code names the field and keeps the flow");
    let code = totp_now(&secret);
    let answered = browser.form("/api/totp-code", &[("flow", &flow), ("code", &code)]).await;
    assert_eq!(location(&answered), format!("/choose-organization?flow={flow}"));
    let chosen =
        browser.form("/api/choose-organization", &[("flow", &flow), ("organization_id", globex.id.as_str())]).await;
    let back = location(&chosen);
    assert!(back.starts_with(CALLBACK), "{back}");
    let code_param = url::Url::parse(&back).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let grant = json!({ "grant_type": "authorization_code", "client_id": api.client_id, "client_secret": api.secret, "code": code_param });
    let (status, signed_in) = exchange(&api, grant).await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(signed_in["organization_id"], globex.id.to_string());
    assert_ne!(signed_in["organization_id"], acme.id.to_string());

    // The same TOTP code is refused in another sign-in: a code is not accepted twice.
    let browser = app.client();
    let flow = flow_of(&location(&authorize(&browser, &query(&api, "")).await));
    password(&browser, &flow, "ada@acme.test").await;
    let replayed = browser.form("/api/totp-code", &[("flow", &flow), ("code", &code)]).await;
    assert_eq!(replayed.status(), 422);
}

#[tokio::test]
async fn the_dashboard_asks_admins_with_a_factor_for_a_code() {
    let app = spawn_app().await;
    let (_, acme) = setup(&app).await;
    let admin = app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    let enrolled = app.core.enroll_user_factor(&system(), &admin.user_id, NewTotpFactor::default()).await.unwrap();
    let secret = enrolled.authentication_factor.totp.secret.unwrap();
    let browser = app.client();
    let response = browser.form("/api/login", &[("email", "admin@acme.test"), ("password", PASSWORD)]).await;
    let next = location(&response);
    assert!(next.starts_with("/mfa/challenge?flow="), "{next}");
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(cookies.iter().all(|cookie| !cookie.starts_with("roster_session=")), "no session before the code");
    let (flow, code) = (flow_of(&next), totp_now(&secret));
    let answered = browser.form("/api/totp-code", &[("flow", &flow), ("code", &code)]).await;
    assert_eq!(location(&answered), "/");
    assert_eq!(browser.json("/api/viewer", json!({})).await.status(), 200);
    let viewer: serde_json::Value = browser.json("/api/viewer", json!({})).await.json().await.unwrap();
    assert_eq!(viewer["user"]["email"], "admin@acme.test", "{viewer}");
}
