//! `spawn_app`: the whole router on a random port over a fresh database, plus clients.

use app::directory::*;
use app::model::*;
use leptos::config::LeptosOptions;
use server::core::{Core, CoreSettings};
use server::store::{ScratchDatabase, Store};
use server::web::{WebSettings, router};
use std::net::SocketAddr;
use std::sync::Arc;

/// A password every fixture user has.
pub const PASSWORD: &str = "correct horse battery";

/// A running server and direct access to its core.
pub struct TestApp {
    pub base: String,
    pub core: Core,
    /// The DNS server that domain verification asks.
    pub dns: crate::dns::DnsZone,
    _database: ScratchDatabase,
    _turn: std::sync::MutexGuard<'static, ()>,
}

/// Test servers take turns. Two of them rendering pages at the same time in one test process
/// (each on its own test's runtime) have been seen to leave a server-side render waiting for
/// good, rarely and only under load; `roster serve` runs one server and has not shown it. Until
/// the cause is found, each test holds its turn for as long as its server lives.
static SERVER_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Starts the server on 127.0.0.1 with a fresh database file.
pub async fn spawn_app() -> TestApp {
    spawn_app_serving("target/site", false).await
}

/// Starts the server like [`spawn_app`], serving the site's files from `site_root`, with
/// content-hashed names (`make release`) if `hash_files`.
pub async fn spawn_app_serving(site_root: &str, hash_files: bool) -> TestApp {
    // A test that failed while holding its turn poisons nothing the next one needs.
    let turn = SERVER_TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let database = ScratchDatabase::new().await.expect("a scratch database");
    let store = Store::open(&database.url).await.expect("store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let base = format!("http://{addr}");
    let dns = crate::dns::DnsZone::start().await;
    let settings = CoreSettings { public_url: base.clone(), dns_server: dns.address, ..Default::default() };
    let core = Core::new(store, settings).await.expect("core");
    let options = LeptosOptions::builder()
        .output_name("roster")
        .site_root(site_root)
        .hash_files(hash_files)
        .site_addr(addr)
        .build();
    let app = router(Arc::new(core.clone()), options, WebSettings::default());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve");
    });
    TestApp { base, core, dns, _database: database, _turn: turn }
}

/// An environment-wide grant for fixtures.
pub fn system() -> Admin {
    Caller::system().admin().expect("system admin")
}

impl TestApp {
    /// Creates an organization.
    pub async fn organization(&self, name: &str) -> Organization {
        self.core
            .create_organization(&system(), NewOrganization { name: name.into(), ..Default::default() })
            .await
            .expect("organization")
    }

    /// Creates a user with [`PASSWORD`] and an active membership with `role`.
    pub async fn member(&self, organization: &Organization, email: &str, role: &str) -> OrganizationMembership {
        let user = self
            .core
            .create_user(
                &system(),
                NewUser { email: email.into(), password: Some(PASSWORD.into()), ..Default::default() },
            )
            .await
            .expect("user");
        let membership = NewMembership {
            organization_id: organization.id.clone(),
            user_id: user.id,
            role_slugs: vec![role.into()],
            status: MembershipStatus::Active,
        };
        self.core.create_membership(&system(), membership).await.expect("membership")
    }

    /// Sends an invitation directly through the core.
    pub async fn invitation(&self, organization: &Organization, email: &str) -> Invitation {
        let invitation = NewInvitation {
            email: email.into(),
            organization_id: Some(organization.id.clone()),
            role_slug: None,
            expires_in_days: None,
            inviter_user_id: None,
        };
        self.core.send_invitation(&system(), invitation).await.expect("invitation")
    }

    /// Creates an API key, for the whole environment or one organization.
    pub async fn api_key(&self, organization: Option<&Organization>) -> Api {
        let key = NewApiKey {
            name: "tests".into(),
            organization_id: organization.map(|o| o.id.clone()),
            ..Default::default()
        };
        let created = self.core.create_api_key(&system(), key).await.expect("API key");
        Api {
            http: reqwest::Client::new(),
            base: self.base.clone(),
            secret: created.value,
            client_id: created.key.client_id,
        }
    }

    /// Makes the user with this email a platform admin, as the bootstrap admin is.
    pub async fn make_platform_admin(&self, email: &str) {
        server::store::db::query("UPDATE users SET is_platform_admin = 1 WHERE email = $1")
            .bind(email)
            .execute(&mut *self.core.store().read().await.unwrap())
            .await
            .expect("a platform admin");
    }

    /// The newest one-time code (email verification, magic auth) sent for a purpose.
    pub async fn newest_code(&self, purpose: &str) -> String {
        server::store::db::query_scalar(
            "SELECT secret FROM one_time_codes WHERE purpose = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(purpose)
        .fetch_one(&mut *self.core.store().read().await.unwrap())
        .await
        .expect("a code")
    }

    /// A client with a cookie jar that is not signed in.
    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: self.base.clone(),
            origin: self.base.clone(),
        }
    }

    /// A client signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> Client {
        let client = self.client();
        let response = client.form("/api/login", &[("email", email), ("password", PASSWORD)]).await;
        assert_eq!(response.status(), 200, "signing in as {email}");
        client
    }
}

/// A browser-like client: sends the page's `Origin` and asks for JSON, as the hydrated app does.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub origin: String,
}

impl Client {
    /// POSTs a URL-encoded form to a server function.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("Origin", &self.origin)
            .header("Accept", "application/json")
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// POSTs a JSON body to a server function.
    pub async fn json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("Origin", &self.origin)
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// The same client pretending to be a page of another site.
    pub fn with_origin(&self, origin: &str) -> Client {
        Client { http: self.http.clone(), base: self.base.clone(), origin: origin.into() }
    }
}

/// The JSON body of a response.
pub async fn body(response: reqwest::Response) -> serde_json::Value {
    response.json().await.expect("a JSON body")
}

/// A REST client holding an API key.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub secret: String,
    pub client_id: String,
}

impl Api {
    /// A request with the key's bearer token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.secret)
    }

    /// GET, answered with status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        answer(
            self.request(reqwest::Method::GET, path)
                .header("Content-Type", "application/json")
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    /// A request with a JSON body, answered with status and JSON body (null when empty).
    pub async fn send(&self, method: reqwest::Method, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        answer(self.request(method, path).json(&body).send().await.expect("request")).await
    }
}

/// Status and JSON body (null for an empty body) of a response.
pub async fn answer(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    let body =
        if bytes.is_empty() { serde_json::Value::Null } else { serde_json::from_slice(&bytes).expect("a JSON body") };
    (status, body)
}

impl Client {
    /// GETs a path, as a browser opening it would.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).header("Accept", "text/html").send().await.expect("request")
    }
}
