//! TOTP authentication factors over HTTP: enrollment through user management and the
//! standalone MFA API, the ±1 step window, replays, challenges verified once, the attempt
//! limit, reach across organizations, and the user detail page's reset.

use crate::helpers::*;
use app::directory::*;
use app::model::*;
use reqwest::Method;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Builder, Secret};

/// The code of a base32 secret at `offset` steps from the step of `now` (Unix seconds).
pub(crate) fn code_at(secret: &str, now: u64, offset: i64) -> String {
    let key = Secret::try_from_base32(secret).expect("a base32 secret").as_bytes().to_vec();
    let totp = Builder::new().with_algorithm(Algorithm::SHA1).with_secret(key).build().expect("a TOTP");
    let step = (now / 30) as i64 + offset;
    totp.generate(step as u64 * 30).to_string()
}

/// The current Unix time, waited out of the last seconds of a step so that the server checks
/// codes in the same step as the test computed them.
pub(crate) async fn settled_now() -> u64 {
    loop {
        let now = chrono::Utc::now().timestamp() as u64;
        if now % 30 < 26 {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Acme with Bob, a member of Acme only, and keys of Acme, Globex and the environment.
struct Setup {
    app: TestApp,
    acme: Organization,
    globex: Organization,
    bob: User,
    acme_key: Api,
    globex_key: Api,
    env_key: Api,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    let globex = app.organization("Globex").await;
    let membership = app.member(&acme, "bob@acme.test", roles::MEMBER).await;
    let bob = app.core.get_user(&system(), &membership.user_id).await.unwrap();
    let acme_key = app.api_key(Some(&acme)).await;
    let globex_key = app.api_key(Some(&globex)).await;
    let env_key = app.api_key(None).await;
    Setup { app, acme, globex, bob, acme_key, globex_key, env_key }
}

/// Enrolls a TOTP factor for Bob with the Acme key; returns the factor ID, its secret and the
/// first challenge's ID.
async fn enroll_bob(s: &Setup) -> (String, String, String) {
    let path = format!("/user_management/users/{}/auth_factors", s.bob.id);
    let (status, body) = s.acme_key.send(Method::POST, &path, json!({ "type": "totp" })).await;
    assert_eq!(status, 201, "{body}");
    let factor = &body["authentication_factor"];
    (
        factor["id"].as_str().unwrap().to_owned(),
        factor["totp"]["secret"].as_str().unwrap().to_owned(),
        body["authentication_challenge"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn challenge(api: &Api, factor: &str) -> String {
    let (status, body) = api.send(Method::POST, &format!("/auth/factors/{factor}/challenge"), json!({})).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn verify(api: &Api, challenge: &str, code: &str) -> (u16, Value) {
    api.send(Method::POST, &format!("/auth/challenges/{challenge}/verify"), json!({ "code": code })).await
}

#[tokio::test]
async fn enrolling_answers_the_secret_once_and_lists_the_factor_without_it() {
    let s = setup().await;
    let path = format!("/user_management/users/{}/auth_factors", s.bob.id);
    let (status, body) = s
        .acme_key
        .send(Method::POST, &path, json!({ "type": "totp", "totp_issuer": "Foo Corp", "totp_user": "bob" }))
        .await;
    assert_eq!(status, 201, "{body}");
    let factor = &body["authentication_factor"];
    assert_eq!(factor["object"], "authentication_factor");
    assert_eq!(factor["type"], "totp");
    assert_eq!(factor["user_id"], s.bob.id.as_str());
    assert_eq!(factor["totp"]["issuer"], "Foo Corp");
    assert_eq!(factor["totp"]["user"], "bob");
    let secret = factor["totp"]["secret"].as_str().unwrap();
    assert_eq!(Secret::try_from_base32(secret).unwrap().as_bytes().len(), 20);
    let uri = factor["totp"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Foo%20Corp:bob?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(factor["totp"]["qr_code"].as_str().unwrap().starts_with("data:image/png;base64,iVBOR"));
    let challenge = &body["authentication_challenge"];
    assert_eq!(challenge["object"], "authentication_challenge");
    assert_eq!(challenge["authentication_factor_id"], factor["id"]);
    assert!(challenge["expires_at"].is_string());

    // The user's email is the default account name.
    let (_, second) = s.acme_key.send(Method::POST, &path, json!({ "type": "totp" })).await;
    assert_eq!(second["authentication_factor"]["totp"]["user"], "bob@acme.test");

    let (status, list) = s.acme_key.get(&path).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(list["data"][0]["id"], second["authentication_factor"]["id"], "newest first");
    for listed in list["data"].as_array().unwrap() {
        assert!(listed["totp"].get("secret").is_none() && listed["totp"].get("qr_code").is_none(), "{listed}");
    }
    let (status, one) = s.acme_key.get(&format!("/auth/factors/{}", factor["id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert!(one["totp"].get("secret").is_none() && one["totp"].get("uri").is_none(), "{one}");
}

#[tokio::test]
async fn enrollment_fields_are_checked_and_named() {
    let s = setup().await;
    let path = format!("/user_management/users/{}/auth_factors", s.bob.id);
    let cases = [
        (json!({ "type": "sms" }), "type"),
        (json!({}), "type"),
        (json!({ "type": "totp", "totp_issuer": "a:b" }), "totp_issuer"),
        (json!({ "type": "totp", "totp_secret": "ABC" }), "totp_secret"),
        (json!({ "type": "totp", "totp_secret": "not base32!" }), "totp_secret"),
    ];
    for (body, field) in cases {
        let (status, answer) = s.acme_key.send(Method::POST, &path, body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{body}: {answer}");
    }
    let (status, answer) = s.acme_key.send(Method::POST, "/auth/factors/enroll", json!({ "type": "totp" })).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = answer["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["totp_issuer", "totp_user"]);
    // A chosen secret is used.
    let secret = "NAGCCFS3EYRB422HNAKAKY3XDUORMSRF";
    let (status, answer) = s.acme_key.send(Method::POST, &path, json!({ "type": "totp", "totp_secret": secret })).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["authentication_factor"]["totp"]["secret"], secret);
}

#[tokio::test]
async fn a_code_verifies_once_and_is_not_accepted_again_in_its_window() {
    let s = setup().await;
    let (factor, secret, first) = enroll_bob(&s).await;
    let now = settled_now().await;
    let code = code_at(&secret, now, 0);
    let (status, body) = verify(&s.acme_key, &first, &code).await;
    assert_eq!((status, &body["valid"]), (200, &json!(true)), "{body}");
    assert_eq!(body["challenge"]["id"], first.as_str());

    // The same challenge cannot be verified twice.
    let (status, body) = verify(&s.acme_key, &first, &code).await;
    assert_eq!(status, 400, "{body}");

    // The same code on a new challenge is a replay; so is the previous step's code.
    let second = challenge(&s.acme_key, &factor).await;
    let (status, body) = verify(&s.acme_key, &second, &code).await;
    assert_eq!((status, &body["valid"]), (200, &json!(false)), "{body}");
    let (_, body) = verify(&s.acme_key, &second, &code_at(&secret, now, -1)).await;
    assert_eq!(body["valid"], false, "an older step after a newer one is refused");
    // The next step's code is still good, once.
    let (_, body) = verify(&s.acme_key, &second, &code_at(&secret, now, 1)).await;
    assert_eq!(body["valid"], true, "{body}");
}

#[tokio::test]
async fn one_step_of_skew_is_accepted_and_two_are_not() {
    let s = setup().await;
    for (offset, valid) in [(-1, true), (1, true), (-2, false), (2, false)] {
        let (_, secret, challenge) = enroll_bob(&s).await;
        let now = settled_now().await;
        let (status, body) = verify(&s.acme_key, &challenge, &code_at(&secret, now, offset)).await;
        assert_eq!((status, body["valid"].as_bool()), (200, Some(valid)), "offset {offset}: {body}");
    }
}

#[tokio::test]
async fn parallel_verifications_of_one_code_accept_it_once() {
    let s = setup().await;
    let (factor, secret, first) = enroll_bob(&s).await;
    let second = challenge(&s.acme_key, &factor).await;
    let now = settled_now().await;
    let code = code_at(&secret, now, 0);
    let (a, b) = tokio::join!(verify(&s.acme_key, &first, &code), verify(&s.acme_key, &second, &code));
    let accepted = [&a, &b].iter().filter(|(status, body)| *status == 200 && body["valid"] == true).count();
    assert_eq!(accepted, 1, "{a:?} {b:?}");
}

#[tokio::test]
async fn wrong_codes_spend_a_challenge_and_then_the_factor_s_attempts() {
    let s = setup().await;
    let (factor, _, first) = enroll_bob(&s).await;
    for _ in 0..5 {
        let (status, body) = verify(&s.acme_key, &first, "000000x").await;
        assert_eq!((status, &body["valid"]), (200, &json!(false)));
    }
    let (status, _) = verify(&s.acme_key, &first, "123456").await;
    assert_eq!(status, 400, "five wrong codes spend a challenge");
    let second = challenge(&s.acme_key, &factor).await;
    for _ in 0..5 {
        verify(&s.acme_key, &second, "000000x").await;
    }
    let third = challenge(&s.acme_key, &factor).await;
    let (status, body) = verify(&s.acme_key, &third, "000000x").await;
    assert_eq!(status, 429, "ten guesses a minute per factor: {body}");
    assert_eq!(body["code"], "rate_limit_exceeded");
}

#[tokio::test]
async fn an_expired_challenge_is_refused() {
    let s = setup().await;
    let (_, secret, first) = enroll_bob(&s).await;
    let mut conn = s.app.core.store().read().await.unwrap();
    server::store::db::query("UPDATE auth_challenges SET expires_at = 1 WHERE id = $1")
        .bind(&first)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let now = settled_now().await;
    let (status, body) = verify(&s.acme_key, &first, &code_at(&secret, now, 0)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("expired"), "{body}");
}

#[tokio::test]
async fn another_organization_s_key_reaches_no_factor() {
    let s = setup().await;
    let (factor, secret, first) = enroll_bob(&s).await;
    let enroll = format!("/user_management/users/{}/auth_factors", s.bob.id);
    assert_eq!(s.globex_key.send(Method::POST, &enroll, json!({ "type": "totp" })).await.0, 404);
    assert_eq!(s.globex_key.get(&enroll).await.0, 404);
    assert_eq!(s.globex_key.get(&format!("/auth/factors/{factor}")).await.0, 404);
    let path = format!("/auth/factors/{factor}/challenge");
    assert_eq!(s.globex_key.send(Method::POST, &path, json!({})).await.0, 404);
    let now = settled_now().await;
    assert_eq!(verify(&s.globex_key, &first, &code_at(&secret, now, 0)).await.0, 404);
    assert_eq!(s.globex_key.send(Method::DELETE, &format!("/auth/factors/{factor}"), json!({})).await.0, 404);

    // A factor enrolled through the MFA API by Acme's key is Acme's.
    let labels = json!({ "type": "totp", "totp_issuer": "Acme", "totp_user": "kiosk" });
    let (status, app_factor) = s.acme_key.send(Method::POST, "/auth/factors/enroll", labels).await;
    assert_eq!(status, 201, "{app_factor}");
    assert_eq!(app_factor["user_id"], Value::Null);
    let path = format!("/auth/factors/{}", app_factor["id"].as_str().unwrap());
    assert_eq!(s.globex_key.get(&path).await.0, 404);
    assert_eq!(s.acme_key.get(&path).await.0, 200);
    assert_eq!(s.env_key.get(&path).await.0, 200);
}

#[tokio::test]
async fn a_shared_user_s_factors_are_changed_only_with_environment_reach() {
    let s = setup().await;
    let (factor, _, _) = enroll_bob(&s).await;
    let membership = NewMembership {
        organization_id: s.globex.id.clone(),
        user_id: s.bob.id.clone(),
        role_slugs: vec![roles::MEMBER.into()],
        status: MembershipStatus::Active,
    };
    s.app.core.create_membership(&system(), membership).await.unwrap();
    let enroll = format!("/user_management/users/{}/auth_factors", s.bob.id);
    assert_eq!(s.acme_key.send(Method::POST, &enroll, json!({ "type": "totp" })).await.0, 403);
    assert_eq!(s.acme_key.send(Method::DELETE, &format!("/auth/factors/{factor}"), json!({})).await.0, 403);
    // Reading and challenging need only to see him.
    assert_eq!(s.acme_key.get(&enroll).await.0, 200);
    challenge(&s.acme_key, &factor).await;
    assert_eq!(s.env_key.send(Method::DELETE, &format!("/auth/factors/{factor}"), json!({})).await.0, 204);
    assert_eq!(s.env_key.get(&format!("/auth/factors/{factor}")).await.0, 404);
}

#[tokio::test]
async fn deleting_a_factor_ends_its_challenges() {
    let s = setup().await;
    let (factor, secret, first) = enroll_bob(&s).await;
    let (status, _) = s.acme_key.send(Method::DELETE, &format!("/auth/factors/{factor}"), json!({})).await;
    assert_eq!(status, 204);
    let now = settled_now().await;
    assert_eq!(verify(&s.acme_key, &first, &code_at(&secret, now, 0)).await.0, 404);
    let (_, list) = s.acme_key.get(&format!("/user_management/users/{}/auth_factors", s.bob.id)).await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn admins_reset_a_user_s_factors_from_the_user_detail_page() {
    let s = setup().await;
    enroll_bob(&s).await;
    enroll_bob(&s).await;
    s.app.member(&s.acme, "admin@acme.test", roles::ADMIN).await;
    s.app.member(&s.acme, "member@acme.test", roles::MEMBER).await;
    let member = s.app.signed_in("member@acme.test").await;
    let response = member.form("/api/reset-user-factors", &[("user_id", s.bob.id.as_str())]).await;
    assert_eq!(response.status(), 403);
    let admin = s.app.signed_in("admin@acme.test").await;
    let response = admin.form("/api/reset-user-factors", &[("user_id", s.bob.id.as_str())]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(body(response).await, json!("Reset two-factor authentication: removed 2 factors of bob@acme.test."));
    let factors = s.app.core.list_user_factors(&system(), &s.bob.id, Page::default()).await.unwrap();
    assert!(factors.data.is_empty());
    let response = admin.form("/api/reset-user-factors", &[("user_id", s.bob.id.as_str())]).await;
    assert_eq!(body(response).await, json!("bob@acme.test has no two-factor authentication to reset."));
    let page = admin.get(&format!("/users/{}", s.bob.id)).await.text().await.unwrap();
    assert!(page.contains("Reset two-factor authentication"), "the action is on the page");
}
