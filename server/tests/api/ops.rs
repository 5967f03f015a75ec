//! Operations: `/healthz` and `/readyz` over HTTP, and what `/metrics` reports after real
//! requests (route templates, sign-ins, rate-limit refusals, the store and the outbox).

use crate::helpers::*;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test]
async fn health_and_readiness_answer_without_a_key_and_say_nothing_more() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    for path in ["/healthz", "/readyz"] {
        let response = http.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert!(response.headers().contains_key("x-request-id"), "{path}");
        assert_eq!(response.json::<serde_json::Value>().await.unwrap(), json!({ "status": "ok" }), "{path}");
    }
    let head = http.head(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(head.status(), 200);
}

/// The metrics page as the metrics listener renders it.
async fn scrape(app: &TestApp) -> String {
    let handle = server::ops::metrics::install().unwrap();
    let metrics = server::ops::metrics::router(handle, app.core.store().clone());
    let response = metrics.oneshot(http::Request::get("/metrics").body(axum::body::Body::empty()).unwrap()).await;
    let response = response.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let body = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn metrics_report_routes_by_template_sign_ins_refusals_and_the_store() {
    server::ops::metrics::install().unwrap();
    let app = spawn_app().await;
    let api = app.api_key(None).await;
    let email = "metrics@example.test";
    let (status, user) = api
        .send(reqwest::Method::POST, "/user_management/users", json!({ "email": email, "password": PASSWORD }))
        .await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(api.get(&format!("/user_management/users/{id}")).await.0, 200);

    let sign_in = |password: &'static str| {
        let body = json!({
            "client_id": api.client_id, "client_secret": api.secret,
            "grant_type": "password", "email": email, "password": password,
        });
        let request = reqwest::Client::new().post(format!("{}/user_management/authenticate", app.base)).json(&body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(sign_in(PASSWORD).await, 200);
    let mut statuses = Vec::new();
    // Ten attempts a minute per email: the eleventh is refused.
    for _ in 0..11 {
        statuses.push(sign_in("wrong password").await);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");

    let text = scrape(&app).await;
    let has = |needle: &str| assert!(text.contains(needle), "no {needle} in\n{text}");
    has(r#"roster_http_requests_total{method="GET",route="/user_management/users/{id}",status="200"}"#);
    has(r#"roster_http_requests_total{method="POST",route="/user_management/authenticate",status="429"}"#);
    has(
        r#"roster_http_request_duration_seconds_bucket{method="POST",route="/user_management/authenticate",le="+Inf"}"#,
    );
    has(r#"roster_sign_ins_total{method="password",outcome="success"}"#);
    has(r#"roster_sign_ins_total{method="password",outcome="failure"}"#);
    has(r#"roster_rate_limited_total{limit="password"}"#);
    has(r#"roster_store_connections{state="idle"}"#);
    has(r#"roster_store_connections{state="in_use"}"#);
    has("roster_store_connections_max ");
    has(r#"roster_outbox_messages{state="queued"}"#);
    has(&format!(r#"roster_build_info{{version="{}"}} 1"#, env!("CARGO_PKG_VERSION")));
    assert!(!text.contains(&id), "a raw path with an ID became a label:\n{text}");
    assert!(!text.contains(email), "{text}");
}
