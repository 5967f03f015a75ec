//! Forgot password, then reset, through the dashboard's public server functions
//! (`app/src/password_reset.rs`): one answer for every email, links that work once, limits.

use crate::helpers::*;
use server::core::RESET_REQUEST_FLOOR;
use std::time::Instant;

const NEW_PASSWORD: &str = "a brand new secret";

/// The token of the newest reset link mailed to `email`, read from the outbox.
async fn mailed_token(app: &TestApp, email: &str) -> String {
    let mut conn = app.core.store().read().await.unwrap();
    let (_, body) = server::store::api::latest_message_to(&mut conn, email).await.unwrap().expect("a message");
    let start = body.find("token=").expect("a reset link") + "token=".len();
    body[start..].chars().take_while(char::is_ascii_alphanumeric).collect()
}

async fn messages_to(app: &TestApp, email: &str) -> i64 {
    let mut conn = app.core.store().read().await.unwrap();
    server::store::db::query_scalar("SELECT COUNT(*) FROM outbox WHERE recipient = $1")
        .bind(email)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

async fn ask_for_link(app: &TestApp, email: &str) -> (u16, serde_json::Value) {
    answer(app.client().form("/api/forgot-password", &[("email", email)]).await).await
}

async fn reset(app: &TestApp, token: &str, password: &str, again: &str) -> (u16, serde_json::Value) {
    let fields = [("token", token), ("new_password", password), ("confirm_password", again)];
    answer(app.client().form("/api/reset-password", &fields).await).await
}

/// The signed-in viewer of a client: null once its session has ended.
async fn viewer(client: &Client) -> serde_json::Value {
    answer(client.json("/api/viewer", serde_json::json!({})).await).await.1
}

async fn preview(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    answer(app.client().form("/api/reset-password-preview", &[("token", token)]).await).await
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", "admin").await;
    let signed_in = app.signed_in("ada@acme.test").await;
    assert!(viewer(&signed_in).await.is_object());

    assert_eq!(ask_for_link(&app, "Ada@Acme.test").await.0, 200);
    let token = mailed_token(&app, "ada@acme.test").await;
    assert_eq!(token.len(), 40);
    assert_eq!(preview(&app, &token).await, (200, serde_json::json!("ada@acme.test")));

    // Errors name their field and spend nothing.
    let (status, differ) = reset(&app, &token, NEW_PASSWORD, "something else").await;
    assert_eq!(status, 422);
    assert!(differ.to_string().contains("confirm_password"), "{differ}");
    let (status, short) = reset(&app, &token, "short", "short").await;
    assert_eq!(status, 422);
    assert!(short.to_string().contains("new_password"), "{short}");

    assert_eq!(reset(&app, &token, NEW_PASSWORD, NEW_PASSWORD).await.0, 200);
    assert!(viewer(&signed_in).await.is_null(), "the session open before the reset has ended");
    let login = |password: &'static str| {
        let client = app.client();
        async move { client.form("/api/login", &[("email", "ada@acme.test"), ("password", password)]).await.status() }
    };
    assert_eq!(login(PASSWORD).await, 400, "the old password is wrong now");
    assert_eq!(login(NEW_PASSWORD).await, 200);

    // The link is dead now.
    let (status, used) = reset(&app, &token, "yet another secret", "yet another secret").await;
    assert_eq!(status, 422);
    assert!(used.to_string().contains("password_reset_token_invalid"), "{used}");
    assert_eq!(preview(&app, &token).await.0, 422);
    assert_eq!(login(NEW_PASSWORD).await, 200);
}

#[tokio::test]
async fn unknown_replaced_and_expired_links_get_one_answer() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", "member").await;
    ask_for_link(&app, "ada@acme.test").await;
    let replaced = mailed_token(&app, "ada@acme.test").await;
    ask_for_link(&app, "ada@acme.test").await;
    let expired = mailed_token(&app, "ada@acme.test").await;
    {
        let mut conn = app.core.store().read().await.unwrap();
        server::store::db::query("UPDATE one_time_codes SET expires_at = 1 WHERE secret = $1")
            .bind(&expired)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    let unknown = "x".repeat(40);
    let mut answers = Vec::new();
    for token in [replaced.as_str(), expired.as_str(), unknown.as_str(), ""] {
        answers.push(preview(&app, token).await);
        answers.push(reset(&app, token, NEW_PASSWORD, NEW_PASSWORD).await);
    }
    assert_eq!(answers[0].0, 422);
    assert!(answers[0].1.to_string().contains("password_reset_token_invalid"), "{:?}", answers[0]);
    assert!(answers.iter().all(|answer| answer == &answers[0]), "{answers:?}");
}

#[tokio::test]
async fn asking_for_a_link_answers_alike_for_known_and_unknown_emails() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", "member").await;
    let started = Instant::now();
    let known = ask_for_link(&app, "ada@acme.test").await;
    let known_took = started.elapsed();
    let started = Instant::now();
    let unknown = ask_for_link(&app, "nobody@acme.test").await;
    let unknown_took = started.elapsed();
    assert_eq!(known, unknown);
    assert_eq!(known.0, 200);
    assert!(known_took >= RESET_REQUEST_FLOOR && unknown_took >= RESET_REQUEST_FLOOR);
    assert_eq!(messages_to(&app, "ada@acme.test").await, 1);
    assert_eq!(messages_to(&app, "nobody@acme.test").await, 0);

    // A malformed address is the asker's mistake, named as such; an empty one too.
    let (status, malformed) = ask_for_link(&app, "not an email").await;
    assert_eq!(status, 422);
    assert!(malformed.to_string().contains("email"), "{malformed}");
    assert_eq!(ask_for_link(&app, " ").await.0, 422);
}

#[tokio::test]
async fn plain_forms_land_on_the_answer_and_the_confirmation() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", "member").await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let post = |path: &str, referer: &str, fields: Vec<(&str, String)>| {
        http.post(format!("{}{path}", app.base))
            .header("Accept", "text/html")
            .header("Origin", &app.base)
            .header("Referer", format!("{}{referer}", app.base))
            .form(&fields)
            .send()
    };
    let asked =
        post("/api/forgot-password", "/forgot-password", vec![("email", "ada@acme.test".into())]).await.unwrap();
    assert!(asked.status().is_redirection());
    assert_eq!(asked.headers()["location"], app::password_reset::REQUEST_SENT_PATH);
    let token = mailed_token(&app, "ada@acme.test").await;

    let page = |path: String| {
        let request = http.get(format!("{}{path}", app.base)).send();
        async move { request.await.unwrap().text().await.unwrap() }
    };
    assert!(page(format!("/reset-password?token={token}")).await.contains("Choose a new password"));
    assert!(page("/reset-password?token=nope".into()).await.contains("This link does not work"));
    assert!(page("/forgot-password?sent=1".into()).await.contains("If an account exists for that address"));
    assert!(page("/login".into()).await.contains("href=\"/forgot-password\""));

    let referer = format!("/reset-password?token={token}");
    let fields = |again: &str| {
        vec![("token", token.clone()), ("new_password", NEW_PASSWORD.into()), ("confirm_password", again.into())]
    };
    let refused = post("/api/reset-password", &referer, fields("typo")).await.unwrap();
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("/reset-password") && location.contains("__err="), "{location}");
    let done = post("/api/reset-password", &referer, fields(NEW_PASSWORD)).await.unwrap();
    assert!(done.status().is_redirection());
    assert_eq!(done.headers()["location"], app::password_reset::RESET_DONE_PATH);
    assert!(page(app::password_reset::RESET_DONE_PATH.into()).await.contains("Your password was changed"));
}

#[tokio::test]
async fn asking_for_links_is_limited_per_email_and_per_address() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", "member").await;
    let limit = server::core::RESET_REQUEST_LIMIT.attempts;
    for email in ["ada@acme.test", "nobody@acme.test"] {
        for _ in 0..limit {
            assert_eq!(ask_for_link(&app, email).await.0, 200);
        }
        // Known or not, the same limit and the same answer.
        assert_eq!(ask_for_link(&app, email).await.0, 429, "{email}");
    }
    assert_eq!(messages_to(&app, "ada@acme.test").await, limit);

    let per_address = server::core::RESET_REQUEST_ADDRESS_LIMIT.attempts;
    let mut n = 0;
    // Every request so far took a slot of this address, the refused ones too.
    let mut taken = 2 * (limit + 1);
    while taken < per_address {
        assert_eq!(ask_for_link(&app, &format!("someone{n}@example.test")).await.0, 200);
        n += 1;
        taken += 1;
    }
    assert_eq!(ask_for_link(&app, "someone-else@example.test").await.0, 429);
}

#[tokio::test]
async fn guessing_reset_tokens_is_limited_per_address() {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "ada@acme.test", "member").await;
    ask_for_link(&app, "ada@acme.test").await;
    let token = mailed_token(&app, "ada@acme.test").await;
    // A right token gives its slot back.
    for _ in 0..3 {
        assert_eq!(preview(&app, &token).await.0, 200);
    }
    let attempts = server::core::ADDRESS_LIMIT.attempts;
    for n in 0..attempts {
        assert_eq!(preview(&app, &format!("guess{n}")).await.0, 422);
    }
    assert_eq!(preview(&app, "one more guess").await.0, 429);
    assert_eq!(reset(&app, &token, NEW_PASSWORD, NEW_PASSWORD).await.0, 429);
    assert_eq!(preview(&app, &token).await.0, 429, "even the right token waits for the window");
}
