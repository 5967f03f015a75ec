//! A bare axum "hello world": the baseline the REST load benchmark compares Roster with.

#[tokio::main]
async fn main() {
    let addr = std::env::var("HELLO_ADDR").unwrap_or_else(|_| "127.0.0.1:3900".into());
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
