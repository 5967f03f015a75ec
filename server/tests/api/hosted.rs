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
    let grant = |code: &str, api: &Api| json!({ "grant_type": "authorization_code", "client_id": api.client_id, "client_secret": api.secret, "code": code });
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
    server::store::db::query("UPDATE authorization_codes SET expires_at = 0")
        .execute(&mut *app.core.store().read().await.unwrap())
        .await
        .unwrap();
    let (status, expired) = exchange(&api, grant(&code, &api)).await;
    assert_eq!((status, expired["error"].as_str()), (400, Some("invalid_grant")), "an expired code: {expired}");
}

#[tokio::test]
async fn a_pkce_code_needs_its_verifier_and_no_secret() {
    let app = spawn_app().await;
    let (api, _) = setup(&app).await;
    let verifier = "a-verifier-of-forty-three-characters-or-more-0123456789";
    let extra = format!("&code_challenge={}&code_challenge_method=S256", pkce(verifier));
    let public = |code: &str, verifier: &str| json!({ "grant_type": "authorization_code", "client_id": api.client_id, "code": code, "code_verifier": verifier });
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
    let again =
        browser.form("/api/login", &[("flow", &flow), ("email", "ada@acme.test"), ("password", PASSWORD)]).await;
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
    let cookies: Vec<_> =
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(cookies.iter().all(|cookie| !cookie.starts_with("roster_session=")), "no session before the code");
    let (flow, code) = (flow_of(&next), totp_now(&secret));
    let answered = browser.form("/api/totp-code", &[("flow", &flow), ("code", &code)]).await;
    assert_eq!(location(&answered), "/");
    assert_eq!(browser.json("/api/viewer", json!({})).await.status(), 200);
    let viewer: serde_json::Value = browser.json("/api/viewer", json!({})).await.json().await.unwrap();
    assert_eq!(viewer["user"]["email"], "admin@acme.test", "{viewer}");
}

/// Turns settings on for one test.
async fn set(app: &TestApp, update: SettingsUpdate) {
    app.core.update_environment_settings(&system(), update).await.expect("settings");
}

/// The code of the callback URL the browser was sent to.
fn code_in(back: &str) -> String {
    assert!(back.starts_with(CALLBACK), "{back}");
    url::Url::parse(back).unwrap().query_pairs().find(|(key, _)| key == "code").unwrap().1.into_owned()
}

#[tokio::test]
async fn sign_up_then_email_verification_on_the_hosted_pages() {
    let app = spawn_app().await;
    let (api, _) = setup(&app).await;
    let browser = app.client();
    let closed = location(&authorize(&browser, &query(&api, "&screen_hint=sign-up")).await);
    let refused = browser
        .form(
            "/api/sign-up",
            &[
                ("flow", &flow_of(&closed)),
                ("first_name", "Bo"),
                ("last_name", "Li"),
                ("email", "bo@new.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status(), 403, "sign-up is off by default");

    set(
        &app,
        SettingsUpdate { sign_up_enabled: Some(true), email_verification_required: Some(true), ..Default::default() },
    )
    .await;
    let page = location(&authorize(&browser, &query(&api, "&screen_hint=sign-up")).await);
    assert!(page.starts_with("/sign-up?flow="), "{page}");
    let flow = flow_of(&page);
    let taken = browser
        .form(
            "/api/sign-up",
            &[
                ("flow", &flow),
                ("first_name", ""),
                ("last_name", ""),
                ("email", "ada@acme.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(taken.status(), 422, "an email with an account names the field");
    let signed_up = browser
        .form(
            "/api/sign-up",
            &[
                ("flow", &flow),
                ("first_name", "Bo"),
                ("last_name", "Li"),
                ("email", "bo@new.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&signed_up), format!("/verify-email?flow={flow}"));
    let wrong = browser.form("/api/verify-email-code", &[("flow", &flow), ("code", "not-it")]).await;
    assert_eq!(wrong.status(), 422);
    let code = app.newest_code("email_verification").await;
    let verified = browser.form("/api/verify-email-code", &[("flow", &flow), ("code", &code)]).await;
    let grant = json!({ "grant_type": "authorization_code", "client_id": api.client_id, "client_secret": api.secret, "code": code_in(&location(&verified)) });
    let (status, signed_in) = exchange(&api, grant).await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(signed_in["user"]["email"], "bo@new.test");
    assert_eq!(signed_in["user"]["first_name"], "Bo");
    assert_eq!(signed_in["user"]["email_verified"], true);
}

#[tokio::test]
async fn the_rest_api_asks_for_email_verification_with_a_pending_token() {
    let app = spawn_app().await;
    let (api, _) = setup(&app).await;
    set(&app, SettingsUpdate { email_verification_required: Some(true), ..Default::default() }).await;
    let sign_in = json!({ "grant_type": "password", "client_id": api.client_id, "client_secret": api.secret, "email": "ada@acme.test", "password": PASSWORD });
    let (status, step) = exchange(&api, sign_in).await;
    assert_eq!(status, 403, "{step}");
    assert_eq!(step["code"], "email_verification_required");
    assert_eq!(step["email"], "ada@acme.test");
    assert!(step["email_verification_id"].as_str().unwrap().starts_with("email_verification_"));
    assert!(step.get("errors").is_none(), "the SDKs keep the body only without errors[]");
    let token = step["pending_authentication_token"].as_str().unwrap();
    let grant = |code: &str| json!({ "grant_type": "urn:workos:oauth:grant-type:email-verification:code", "client_id": api.client_id, "client_secret": api.secret, "pending_authentication_token": token, "code": code });
    let (status, wrong) = exchange(&api, grant("000000x")).await;
    assert_eq!((status, wrong["error"].as_str()), (400, Some("invalid_grant")));
    let code = app.newest_code("email_verification").await;
    let (status, signed_in) = exchange(&api, grant(&code)).await;
    assert_eq!(status, 200, "{signed_in}");
    let (status, again) = exchange(&api, grant(&code)).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")), "a pending token works once");
    // Verified now, the next sign-in needs no step; an organization key cannot continue an
    // environment key's pending sign-in.
    let acme_key =
        app.api_key(Some(&app.core.list_organizations(&system(), Default::default()).await.unwrap().data[0])).await;
    let (_, step) = exchange(&api, sign_in_as(&api)).await;
    assert!(step["access_token"].is_string(), "{step}");
    app.core.enroll_user_factor(&system(), &signed_in_user(&signed_in), NewTotpFactor::default()).await.unwrap();
    let (_, step) = exchange(&api, sign_in_as(&api)).await;
    let token = step["pending_authentication_token"].as_str().unwrap();
    let select = json!({ "grant_type": "urn:workos:oauth:grant-type:mfa-totp", "client_secret": acme_key.secret, "pending_authentication_token": token, "authentication_challenge_id": "auth_challenge_01", "code": "123456" });
    let (status, refused) = exchange(&acme_key, select).await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")), "{refused}");
}

fn sign_in_as(api: &Api) -> serde_json::Value {
    json!({ "grant_type": "password", "client_secret": api.secret, "email": "ada@acme.test", "password": PASSWORD })
}

fn signed_in_user(answer: &serde_json::Value) -> app::ids::UserId {
    app::ids::UserId::parse(answer["user"]["id"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn a_magic_code_signs_in_on_the_hosted_pages_and_the_dashboard() {
    let app = spawn_app().await;
    let (api, acme) = setup(&app).await;
    let browser = app.client();
    let flow = flow_of(&location(&authorize(&browser, &query(&api, "")).await));
    let sent = browser.form("/api/send-sign-in-code", &[("flow", &flow), ("email", "ada@acme.test")]).await;
    assert_eq!(location(&sent), format!("/magic-code?email=ada%40acme.test&flow={flow}"));
    let nobody = browser.form("/api/send-sign-in-code", &[("flow", &flow), ("email", "nobody@acme.test")]).await;
    assert_eq!(location(&nobody), format!("/magic-code?email=nobody%40acme.test&flow={flow}"), "the same answer");
    let code = app.newest_code("magic_auth").await;
    let wrong = browser
        .form("/api/sign-in-with-code", &[("flow", &flow), ("email", "ada@acme.test"), ("code", "000000x")])
        .await;
    assert_eq!(wrong.status(), 422);
    let signed_in =
        browser.form("/api/sign-in-with-code", &[("flow", &flow), ("email", "ada@acme.test"), ("code", &code)]).await;
    let grant = json!({ "grant_type": "authorization_code", "client_id": api.client_id, "client_secret": api.secret, "code": code_in(&location(&signed_in)) });
    let (status, answer) = exchange(&api, grant).await;
    assert_eq!((status, answer["authentication_method"].as_str()), (200, Some("MagicAuth")), "{answer}");

    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    let dashboard = app.client();
    dashboard.form("/api/send-sign-in-code", &[("email", "admin@acme.test")]).await;
    let code = app.newest_code("magic_auth").await;
    let entered = dashboard.form("/api/sign-in-with-code", &[("email", "admin@acme.test"), ("code", &code)]).await;
    assert_eq!(location(&entered), "/");
    let viewer: serde_json::Value = dashboard.json("/api/viewer", json!({})).await.json().await.unwrap();
    assert_eq!(viewer["user"]["email"], "admin@acme.test", "{viewer}");
}

#[tokio::test]
async fn required_mfa_enrolls_an_authenticator_app_on_the_hosted_page() {
    let app = spawn_app().await;
    let (api, _) = setup(&app).await;
    set(&app, SettingsUpdate { mfa: Some(MfaPolicy::Required), ..Default::default() }).await;
    let browser = app.client();
    let flow = flow_of(&location(&authorize(&browser, &query(&api, "")).await));
    assert_eq!(password(&browser, &flow, "ada@acme.test").await, format!("/mfa/enroll?flow={flow}"));
    let shown: serde_json::Value = browser.form("/api/hosted-flow", &[("flow", &flow)]).await.json().await.unwrap();
    let secret = shown["stage"]["EnrollTotp"]["secret"].as_str().expect("a key to enroll").to_owned();
    assert!(shown["stage"]["EnrollTotp"]["qr_code"].as_str().unwrap().starts_with("data:image/png;base64,"));
    let again: serde_json::Value = browser.form("/api/hosted-flow", &[("flow", &flow)]).await.json().await.unwrap();
    assert_eq!(again["stage"]["EnrollTotp"]["secret"], secret.as_str(), "a reload shows the same key");
    let by_email = UserQuery { email: Some("ada@acme.test".into()), ..Default::default() };
    let ada = app.core.list_users(&system(), by_email).await.unwrap().data.remove(0);
    let factors = async || app.core.list_user_factors(&system(), &ada.id, Page::default()).await.unwrap().data;
    assert!(factors().await.is_empty(), "no factor before a code confirms the key");
    let code = totp_now(&secret);
    let enrolled = browser.form("/api/totp-code", &[("flow", &flow), ("code", &code)]).await;
    code_in(&location(&enrolled));
    assert_eq!(factors().await.len(), 1);
}

#[tokio::test]
async fn platform_admins_can_be_required_to_enroll_for_the_dashboard() {
    let app = spawn_app().await;
    let (_, acme) = setup(&app).await;
    app.member(&acme, "root@acme.test", roles::MEMBER).await;
    app.make_platform_admin("root@acme.test").await;
    set(&app, SettingsUpdate { platform_admin_mfa_required: Some(true), ..Default::default() }).await;
    let browser = app.client();
    let response = browser.form("/api/login", &[("email", "root@acme.test"), ("password", PASSWORD)]).await;
    assert!(location(&response).starts_with("/mfa/enroll?flow="), "{}", location(&response));
    // Members who are not platform admins are not asked.
    assert_eq!(
        location(&app.client().form("/api/login", &[("email", "ada@acme.test"), ("password", PASSWORD)]).await),
        "/"
    );
}

#[tokio::test]
async fn an_invitation_in_the_authorize_request_is_accepted_when_the_sign_in_ends() {
    let app = spawn_app().await;
    let (api, _) = setup(&app).await;
    let globex = app.organization("Globex").await;
    let invitation = app.invitation(&globex, "ada@acme.test").await;
    let code = code_for(&app, &api, &format!("&invitation_token={}", invitation.token), "ada@acme.test").await;
    let grant = json!({ "grant_type": "authorization_code", "client_id": api.client_id, "client_secret": api.secret, "code": code });
    let (status, signed_in) = exchange(&api, grant).await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(signed_in["organization_id"], globex.id.to_string(), "the session opens the invited organization");
    let accepted = app.core.get_invitation(&system(), &invitation.id).await.unwrap();
    assert_eq!(accepted.state, InvitationState::Accepted);
}
