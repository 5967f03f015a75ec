//! The HTTP hardening around every response: security headers, the pages' Content Security
//! Policy, unknown addresses, and the server functions' body limit.

use crate::helpers::*;
use app::model::roles;
use serde_json::json;
use server::web::BODY_LIMIT;
use std::collections::HashSet;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A test app with one organization admin, `admin@acme.test`.
async fn app_with_an_admin() -> TestApp {
    let app = spawn_app().await;
    let acme = app.organization("Acme").await;
    app.member(&acme, "admin@acme.test", roles::ADMIN).await;
    app
}

/// Checks the headers every response carries over plain http.
fn assert_hardened(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("referrer-policy", "same-origin"), ("x-frame-options", "DENY")]
    {
        assert_eq!(headers.get(name).and_then(|v| v.to_str().ok()), Some(value), "{name} on {what}");
    }
    assert!(!headers.contains_key("strict-transport-security"), "no HSTS over plain http, on {what}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let client = app.client();
    assert_hardened(&client.get("/login").await, "a page");
    assert_hardened(&client.get("/nope").await, "a missing page");
    let server_fn = client.json("/api/viewer", json!({})).await;
    assert_hardened(&server_fn, "a server function");
    assert!(!server_fn.headers().contains_key("content-security-policy"), "only pages need a policy");
    let rest = reqwest::get(format!("{}/user_management/users", app.base)).await.expect("request");
    assert_eq!(rest.status(), 401);
    assert_hardened(&rest, "a REST error");
}

/// The `nonce` attribute of each `<script>` tag in `html`.
fn script_nonces(html: &str) -> Vec<Option<&str>> {
    html.split("<script")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            tag.split_once("nonce=\"").and_then(|(_, rest)| rest.split('"').next())
        })
        .collect()
}

#[tokio::test]
async fn every_page_has_a_policy_naming_the_nonce_on_each_of_its_scripts() {
    let app = app_with_an_admin().await;
    let signed_out = app.client();
    let signed_in = app.signed_in("admin@acme.test").await;
    let mut nonces = HashSet::new();
    for (client, path) in [
        (&signed_out, "/login"),
        (&signed_out, "/nope"),
        (&signed_in, "/users"),
        (&signed_in, "/profile"),
        (&signed_in, "/nope"),
    ] {
        let response = client.get(path).await;
        let policy = response.headers().get("content-security-policy").expect("a policy").to_str().unwrap().to_owned();
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{path}: {policy}");
        let nonce =
            policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce").to_owned();
        let html = response.text().await.expect("a page");
        let scripts = script_nonces(&html);
        assert!(!scripts.is_empty(), "{path} has scripts");
        assert!(
            scripts.iter().all(|script| *script == Some(nonce.as_str())),
            "{path}: {scripts:?}, policy nonce {nonce}"
        );
        assert!(nonces.insert(nonce), "every response gets a fresh nonce");
    }
}

#[tokio::test]
async fn unknown_addresses_answer_404_signed_in_or_not() {
    let app = app_with_an_admin().await;
    let signed_out = app.client();
    let signed_in = app.signed_in("admin@acme.test").await;
    for (who, client) in [("signed out", &signed_out), ("signed in", &signed_in)] {
        for path in ["/users/nope/more", "/nope", "/pkg/missing.js", "/api/nothing"] {
            let response = client.get(path).await;
            assert_eq!(response.status(), 404, "GET {path}, {who}");
            assert!(!response.bytes().await.expect("a body").is_empty(), "GET {path}, {who}: an empty reply");
        }
        let response = client.json("/api/nothing", json!({})).await;
        assert_eq!(response.status(), 404, "POST /api/nothing, {who}");
    }

    // The app's router takes `/users/` for `/users` (the server's routes do not): the page is
    // rendered with a 404, and a signed-out visitor is sent to sign in, as `/users` would.
    let response = signed_in.get("/users/").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.expect("a page").contains("<table"), "the users page");
    let response = signed_out.get("/users/").await;
    assert_eq!((response.status().as_u16(), response.headers()["location"].to_str().ok()), (302, Some("/login")));

    // `/users/{id}` is a user's page: an ID that names nobody is a 404 page for the signed in.
    let response = signed_in.get("/users/nope").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.expect("a page").contains("User not found"));
    let response = signed_out.get("/users/nope").await;
    assert_eq!((response.status().as_u16(), response.headers()["location"].to_str().ok()), (302, Some("/login")));
}

#[tokio::test]
async fn a_server_function_call_over_one_mebibyte_is_refused_with_413() {
    let app = app_with_an_admin().await;
    let huge = "x".repeat(4 * 1024 * 1024);
    let response = app.client().form("/api/login", &[("email", "admin@acme.test"), ("password", &huge)]).await;
    assert_eq!(response.status(), 413);
    let error: app::error::AppError = serde_json::from_value(body(response).await).expect("an AppError");
    assert_eq!(error, app::error::AppError::TooLarge { limit_kib: 1024 }, "the error says why");

    // Just under the limit, the call reaches the server function, which refuses the password.
    let large = "x".repeat(BODY_LIMIT - 1024);
    let response = app.client().form("/api/login", &[("email", "admin@acme.test"), ("password", &large)]).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_rest_call_over_one_mebibyte_is_refused_with_413() {
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let huge = serde_json::json!({ "email": "ada@example.com", "first_name": "x".repeat(2 * BODY_LIMIT) });
    for idempotency_key in [None, Some("retry-1")] {
        let mut request = api.request(reqwest::Method::POST, "/user_management/users").json(&huge);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let (status, body) = answer(request.send().await.expect("request")).await;
        assert_eq!((status, body["code"].as_str()), (413, Some("request_too_large")), "{idempotency_key:?}");
    }
}

/// POSTs a chunked body of `size` bytes (which announces no length) to the sign-in server
/// function over a raw connection, and returns the answer's status.
async fn post_chunked(app: &TestApp, size: usize) -> u16 {
    let address = app.base.trim_start_matches("http://");
    let mut request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {address}\r\nOrigin: {}\r\nAccept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.base
    )
    .into_bytes();
    let chunk = [b'x'; 64 * 1024];
    let mut left = size;
    while left > 0 {
        let length = left.min(chunk.len());
        request.extend(format!("{length:x}\r\n").bytes());
        request.extend(&chunk[..length]);
        request.extend(b"\r\n");
        left -= length;
    }
    request.extend(b"0\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    // The server may answer, and close, before it has read the whole body.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer.split(' ').nth(1).and_then(|status| status.parse().ok()).unwrap_or_else(|| panic!("no status in {answer:?}"))
}

#[tokio::test]
async fn a_chunked_body_is_held_to_the_same_limit() {
    let app = spawn_app().await;
    assert_eq!(post_chunked(&app, BODY_LIMIT + 1).await, 413);
    // Within the limit the server function reads it, and finds no email or password in it.
    assert_eq!(post_chunked(&app, 1000).await, 400);
}
