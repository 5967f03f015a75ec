//! The WorkOS-compatible REST API, mounted at the host root.
//!
//! Handlers are thin: authenticate the API key, parse the request, call the [`Directory`],
//! and shape the answer (or the error) the way the official SDKs expect. No business rule
//! lives here.
//!
//! [`Directory`]: app::directory::Directory

mod auth_factors;
mod authenticate;
mod authorization;
mod authorize;
mod codes;
mod idempotency;
mod invitations;
mod logout;
mod memberships;
mod openapi;
mod organization_domains;
mod organizations;
pub(crate) mod request;
mod sessions;
mod users;
mod widgets;

use app::directory::{Admin, Caller, SharedDirectory};
use app::error::AppError;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};
use serde::Serialize;
use std::sync::Arc;

pub use openapi::document as openapi_document;

/// What every REST handler and middleware can reach. Cloned for every request (axum hands
/// each handler its own copy), so it is one reference count.
#[derive(Clone)]
pub struct RestState(Arc<RestShared>);

/// What [`RestState`] shares.
pub struct RestShared {
    pub directory: SharedDirectory,
    /// For transport concerns that need shared state, such as idempotent replays.
    pub store: crate::store::Store,
    /// CORS for the browser routes, built once.
    browser_cors: tower_http::cors::CorsLayer,
}

impl std::ops::Deref for RestState {
    type Target = RestShared;

    fn deref(&self) -> &RestShared {
        &self.0
    }
}

impl FromRef<RestState> for SharedDirectory {
    fn from_ref(state: &RestState) -> Self {
        state.directory.clone()
    }
}

/// Every REST route, registered once: the router serves them and [`route_table`] lists them.
fn routes() -> Routes {
    Routes::default()
        .merge(users::routes())
        .merge(memberships::routes())
        .merge(invitations::routes())
        .merge(organizations::routes())
        .merge(organization_domains::routes())
        .merge(authorization::routes())
        .merge(authenticate::routes())
        .merge(sessions::routes())
        .merge(codes::routes())
        .merge(auth_factors::routes())
        .merge(logout::routes())
        .merge(authorize::routes())
        .merge(widgets::routes())
        .merge(openapi::routes())
}

/// The method and path template of every REST route, as the router registered them; the
/// authorization matrix test checks that each one has its row.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes().table
}

/// REST routes being registered, remembering each method and path.
#[derive(Default)]
pub(crate) struct Routes {
    router: Router<RestState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<RestState>) -> Self {
        self.table.push((method, path));
        self.router = self.router.route(path, route);
        self
    }

    fn merge(mut self, other: Routes) -> Self {
        self.table.extend(other.table);
        self.router = self.router.merge(other.router);
        self
    }

    /// Registers a GET route.
    pub(crate) fn get<H: Handler<T, RestState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::GET, path, routing::get(handler))
    }

    /// Registers a POST route.
    pub(crate) fn post<H: Handler<T, RestState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::POST, path, routing::post(handler))
    }

    /// Registers a PUT route.
    pub(crate) fn put<H: Handler<T, RestState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::PUT, path, routing::put(handler))
    }

    /// Registers a PATCH route.
    pub(crate) fn patch<H: Handler<T, RestState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::PATCH, path, routing::patch(handler))
    }

    /// Registers a DELETE route.
    pub(crate) fn delete<H: Handler<T, RestState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::DELETE, path, routing::delete(handler))
    }
}

/// The REST routes.
pub fn router(directory: SharedDirectory, store: crate::store::Store) -> Router {
    let cors = browser_cors_layer(directory.clone());
    let state = RestState(Arc::new(RestShared { directory, store, browser_cors: cors }));
    routes()
        .router
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(crate::web::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), every_api_request))
        .with_state(state)
}

/// True for the routes a browser client calls itself: signing in, the keys that verify its
/// tokens, and logout. Only these answer CORS; never the dashboard's server functions.
fn is_browser_route(path: &str) -> bool {
    path == "/user_management/authenticate"
        || path == "/user_management/sessions/logout"
        || path.strip_prefix("/sso/jwks/").is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// CORS for the browser routes: an origin is allowed when the environment's settings list it
/// (read per request, so a change applies at once on every replica).
fn browser_cors_layer(directory: SharedDirectory) -> tower_http::cors::CorsLayer {
    tower_http::cors::CorsLayer::new()
        .allow_origin(crate::web::origin_allowed_by_settings(directory))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        // authkit-js sends its code exchange with credentials outside development; the origins
        // are an explicit allow-list, never a wildcard, so this is allowed and safe.
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(600))
}

/// The API's own steps, in one middleware (as two layers, each would clone the routes' boxed
/// service and box a future on every request): CORS for the browser routes, with the layer
/// built once at start-up, and `Idempotency-Key` replays for the others. No browser route is
/// replayable: sign-in's answer carries tokens, and the others are reads.
async fn every_api_request(
    State(state): State<RestState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if is_browser_route(request.uri().path()) {
        return crate::web::with_cors(&state.browser_cors, request, next).await;
    }
    idempotency::remember_responses(&state, request, next).await
}

/// The path prefixes of the API.
const API_PREFIXES: [&str; 8] = [
    "/user_management/",
    "/organizations",
    "/organization_domains",
    "/authorization/",
    "/sso/",
    "/auth/",
    "/widgets/",
    "/_widgets/",
];

/// True for a path of the API.
pub fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
}

/// Answers an unknown API path (a 404 that is not already JSON) with a JSON 404, as the SDKs
/// parse every error body as JSON, rather than the dashboard's "page not found".
pub fn json_not_found(response: Response) -> Response {
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == StatusCode::NOT_FOUND && !is_json {
        return ApiError(AppError::NotFound("The requested path".into())).into_response();
    }
    response
}

async fn method_not_allowed() -> Response {
    let body =
        serde_json::json!({ "code": "method_not_allowed", "message": "This method is not allowed on this path." });
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

/// An API call authenticated with an `sk_…` key.
pub struct ApiCaller(pub Caller);

impl ApiCaller {
    /// The admin grant of the key: its organization, or the whole environment.
    pub fn admin(&self) -> Result<Admin, ApiError> {
        self.0.admin().map_err(ApiError)
    }
}

/// The bearer secret of a request, if any.
pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

impl<S> FromRequestParts<S> for ApiCaller
where
    S: Send + Sync,
    SharedDirectory: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let secret = bearer(parts).ok_or(ApiError(AppError::Unauthenticated))?;
        let directory = SharedDirectory::from_ref(state);
        directory.authenticate_api_key(secret).await.map(ApiCaller).map_err(ApiError)
    }
}

/// An error in the shape the WorkOS SDKs turn into their exception classes.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        Self(error)
    }
}

/// The body of most errors: a machine-readable code and a sentence for people.
#[derive(Serialize, utoipa::ToSchema)]
struct ErrorBody {
    /// What went wrong, e.g. `entity_not_found`, `unauthorized` or a conflict's own code.
    code: String,
    message: String,
}

/// The body of a 422: every field that is missing or invalid.
#[derive(Serialize, utoipa::ToSchema)]
struct ValidationErrorBody {
    /// Always `invalid_request_parameters`.
    #[schema(pattern = "^invalid_request_parameters$")]
    code: &'static str,
    message: String,
    errors: Vec<FieldErrorBody>,
}

/// One field's problem.
#[derive(Serialize, utoipa::ToSchema)]
struct FieldErrorBody {
    /// The field's name (a dotted path inside the body when nested).
    field: String,
    /// E.g. `email_required`, `email_invalid`.
    code: String,
    message: String,
}

/// The OAuth form of a refused grant, which the SDKs turn into their OAuth exception.
#[derive(Serialize, utoipa::ToSchema)]
struct OAuthErrorBody {
    /// Always `invalid_grant`.
    #[schema(pattern = "^invalid_grant$")]
    error: &'static str,
    error_description: String,
}

/// The 403 of a sign-in that needs one more step, in the shape of the WorkOS authentication
/// errors. The SDKs keep the whole body (`rawData`); it never has an `errors` array.
#[derive(Serialize, utoipa::ToSchema)]
struct StepUpErrorBody {
    code: StepUpCode,
    message: String,
    /// Continues the sign-in (once, within ten minutes).
    pending_authentication_token: String,
    user: app::model::User,
    /// With `email_verification_required`: where the code went.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// With `email_verification_required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verification_id: Option<app::ids::EmailVerificationId>,
    /// With `mfa_challenge`: the factors a challenge may be answered with.
    #[serde(skip_serializing_if = "Option::is_none")]
    authentication_factors: Option<Vec<app::model::FactorChoice>>,
    /// With `organization_selection_required`: the organizations to choose from.
    #[serde(skip_serializing_if = "Option::is_none")]
    organizations: Option<Vec<app::model::OrganizationChoice>>,
}

/// The step a sign-in still needs.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum StepUpCode {
    EmailVerificationRequired,
    MfaEnrollment,
    MfaChallenge,
    OrganizationSelectionRequired,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = &self.0;
        let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let plain = |code: &str| serde_json::to_value(ErrorBody { code: code.to_owned(), message: error.to_string() });
        let body = match error {
            AppError::Unauthenticated => plain("unauthorized"),
            AppError::InvalidCredentials => plain("invalid_credentials"),
            AppError::Forbidden(_) => plain("forbidden"),
            AppError::NotFound(_) => plain("entity_not_found"),
            AppError::Conflict { code, .. } => plain(code.code()),
            AppError::BadRequest(_) => plain("bad_request"),
            AppError::TooLarge { .. } => plain("request_too_large"),
            AppError::RateLimited { .. } => plain("rate_limit_exceeded"),
            AppError::Internal | AppError::Transport(_) => plain("server_error"),
            AppError::Validation(errors) => serde_json::to_value(ValidationErrorBody {
                code: "invalid_request_parameters",
                message: error.to_string(),
                errors: errors
                    .iter()
                    .map(|e| FieldErrorBody {
                        field: e.field.clone(),
                        code: e.code.clone(),
                        message: e.message.clone(),
                    })
                    .collect(),
            }),
            AppError::StepUp(step) => serde_json::to_value(step_up_body(step)),
            // OAuth errors have their own form, which the SDKs map to OauthException and
            // which session refresh reads as `invalid_grant`.
            AppError::InvalidGrant(description) => {
                serde_json::to_value(OAuthErrorBody { error: "invalid_grant", error_description: description.clone() })
            }
        }
        .unwrap_or_default();
        let mut response = (status, axum::Json(body)).into_response();
        if let AppError::RateLimited { retry_after_seconds } = error
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// The body of a step-up error.
fn step_up_body(step: &app::model::StepUp) -> StepUpErrorBody {
    use app::model::NextStep;
    let mut body = StepUpErrorBody {
        code: StepUpCode::MfaEnrollment,
        message: step.next.message().to_owned(),
        pending_authentication_token: step.pending_authentication_token.clone(),
        user: step.user.clone(),
        email: None,
        email_verification_id: None,
        authentication_factors: None,
        organizations: None,
    };
    match &step.next {
        NextStep::EmailVerification { email_verification_id } => {
            body.code = StepUpCode::EmailVerificationRequired;
            body.email = Some(step.user.email.clone());
            body.email_verification_id = Some(email_verification_id.clone());
        }
        NextStep::MfaEnrollment => {}
        NextStep::MfaChallenge { factors } => {
            body.code = StepUpCode::MfaChallenge;
            body.authentication_factors = Some(factors.clone());
        }
        NextStep::OrganizationSelection { organizations } => {
            body.code = StepUpCode::OrganizationSelectionRequired;
            body.organizations = Some(organizations.clone());
        }
    }
    body
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// `201 Created` with a JSON body.
pub fn created<T: Serialize>(value: T) -> Response {
    (StatusCode::CREATED, axum::Json(value)).into_response()
}

/// `204 No Content`.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The directory, for handlers.
pub type Dir = State<SharedDirectory>;

#[cfg(test)]
mod tests {
    use super::*;

    /// [`every_api_request`] answers the browser routes through CORS alone, which is right only
    /// while none of them could be replayed.
    #[test]
    fn no_browser_route_is_replayable() {
        let browser_routes: Vec<_> = routes().table.into_iter().filter(|(_, path)| is_browser_route(path)).collect();
        assert!(browser_routes.len() >= 3, "{browser_routes:?}");
        for (method, path) in browser_routes {
            assert!(method != Method::POST || idempotency::carries_secrets(path), "{method} {path}");
        }
    }
}
