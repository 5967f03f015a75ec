//! The third door: the private API that the official `@workos-inc/widgets` components call
//! (`/_widgets/…`, shapes from the package's `api/endpoint.d.ts`; see the README, "Widgets").
//!
//! Every call carries a widget token (`Authorization: Bearer …`) from `POST /widgets/token`.
//! The caller is the token's user: member management takes the grant of [`Caller::admin`]
//! (the users-table scope, re-checked against their roles at every call) and goes through
//! the same directory calls as the REST API and the dashboard; the profile, session and
//! password calls take their [`Caller::account`]. Nothing in a request names the user or the
//! organization.
//!
//! Widgets run on the application's origin, so these routes answer CORS for the
//! environment's allowed origins. Token problems answer 403 (the widgets then fetch a new
//! token and retry once); everything else answers its own status with `{"message": …}`, and
//! every success has a JSON body, because the widgets parse every answer.

use app::directory::{Account, Caller, NewInvitation, ProfileUpdate, SharedDirectory};
use app::error::{AppError, Conflict};
use app::ids::*;
use app::model::*;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, MethodRouter};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::cors::CorsLayer;

/// Every widget route, registered once: the router serves them and [`route_table`] lists them
/// for the authorization matrix.
fn routes() -> Vec<(Method, &'static str, MethodRouter<SharedDirectory>)> {
    vec![
        (Method::GET, "/_widgets/UserManagement/members", routing::get(members)),
        (Method::POST, "/_widgets/UserManagement/members/{id}", routing::post(update_member)),
        (Method::DELETE, "/_widgets/UserManagement/members/{id}", routing::delete(remove_member)),
        (Method::POST, "/_widgets/UserManagement/invite-user", routing::post(invite)),
        (Method::POST, "/_widgets/UserManagement/invites/{id}/resend", routing::post(resend_invite)),
        (Method::DELETE, "/_widgets/UserManagement/invites/{id}", routing::delete(revoke_invite)),
        (Method::GET, "/_widgets/UserManagement/roles", routing::get(roles)),
        (Method::GET, "/_widgets/UserManagement/roles-and-config", routing::get(roles_and_config)),
        (Method::GET, "/_widgets/UserManagement/organizations", routing::get(organizations)),
        (Method::GET, "/_widgets/UserProfile/me", routing::get(me)),
        (Method::POST, "/_widgets/UserProfile/me", routing::post(update_me)),
        (Method::GET, "/_widgets/UserProfile/sessions", routing::get(sessions)),
        (Method::DELETE, "/_widgets/UserProfile/sessions/revoke/{id}", routing::delete(revoke_session)),
        (Method::DELETE, "/_widgets/UserProfile/sessions/revoke-all", routing::delete(revoke_other_sessions)),
        (Method::GET, "/_widgets/UserProfile/authentication-information", routing::get(authentication_information)),
        (Method::POST, "/_widgets/UserProfile/update-password", routing::post(update_password)),
        (Method::POST, "/_widgets/UserProfile/send-verification", routing::post(send_verification)),
        (Method::POST, "/_widgets/UserProfile/verify", routing::post(verify)),
        (Method::POST, "/_widgets/UserProfile/create-password", routing::post(create_password)),
        (Method::POST, "/_widgets/UserProfile/create-totp-factor", routing::post(create_totp_factor)),
        (Method::POST, "/_widgets/UserProfile/verify-totp-factor", routing::post(verify_totp_factor)),
        (Method::DELETE, "/_widgets/UserProfile/totp-factors", routing::delete(reset_totp_factors)),
        (Method::POST, "/_widgets/UserProfile/send-email-change", routing::post(send_email_change)),
        (Method::POST, "/_widgets/UserProfile/verify-email-change", routing::post(verify_email_change)),
        (Method::GET, "/_widgets/settings", routing::get(settings)),
    ]
}

/// The method and path template of every widget route.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes().into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// The widget routes, with their CORS.
pub fn router(directory: SharedDirectory) -> Router {
    let mut router: Router<SharedDirectory> = Router::new();
    for (_, path, route) in routes() {
        // Several methods share a path: axum merges method routers registered on one path.
        router = router.route(path, route);
    }
    // Unknown `/_widgets/` paths get the JSON 404 of `rest::json_not_found`.
    router
        .layer(axum::extract::DefaultBodyLimit::max(crate::web::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(widget_cors_layer(directory.clone()), widget_cors))
        .with_state(directory)
}

/// The stylesheet that themes the embedded users table (`/embed/users`): the dashboard's CSS
/// variables, set from the query (`accent` a hex colour, `radius` in pixels, `font` a font
/// list). Anything else, or a value out of shape, is left at the default: nothing from the
/// query reaches the stylesheet unchecked.
pub async fn embed_theme(Query(theme): Query<EmbedTheme>) -> Response {
    let mut rules = Vec::new();
    if let Some((accent, luminance)) = theme.accent.as_deref().and_then(|accent| Some((accent, luminance(accent)?))) {
        // Text on the accent is dark or light, whichever reads on it, in both schemes.
        let on_accent = if luminance > 0.35 { "#10122a" } else { "#ffffff" };
        rules.push(format!(
            "--accent: {accent}; --accent-strong: {accent}; --focus: {accent}; --on-accent: {on_accent};"
        ));
    }
    if let Some(radius) = theme.radius.as_deref().and_then(|radius| radius.parse::<u8>().ok()).filter(|r| *r <= 32) {
        rules.push(format!("--radius: {radius}px;"));
    }
    let font_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | ',' | '-' | '\'' | '"');
    if let Some(font) = theme.font.as_deref().filter(|font| font.len() <= 100 && font.chars().all(font_chars)) {
        rules.push(format!("--font: {font};"));
    }
    // Twice `:root`, to outrank the dashboard's own declarations whatever their order.
    let css = format!(":root:root {{ {} }}\n", rules.join(" "));
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], css)
        .into_response()
}

/// The query of [`embed_theme`].
#[derive(Deserialize)]
pub struct EmbedTheme {
    accent: Option<String>,
    radius: Option<String>,
    font: Option<String>,
}

/// The relative luminance (WCAG) of a `#rgb` or `#rrggbb` colour; `None` for anything else.
fn luminance(value: &str) -> Option<f64> {
    let hex = value.strip_prefix('#').filter(|hex| hex.chars().all(|c| c.is_ascii_hexdigit()))?;
    let channel = |digits: &str| u8::from_str_radix(digits, 16).ok().map(f64::from);
    let (r, g, b) = match hex.len() {
        3 => {
            let short = |i: usize| channel(&hex[i..=i].repeat(2));
            (short(0)?, short(1)?, short(2)?)
        }
        6 => (channel(&hex[0..2])?, channel(&hex[2..4])?, channel(&hex[4..6])?),
        _ => return None,
    };
    let linear = |c: f64| {
        let c = c / 255.0;
        if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    Some(0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b))
}

#[cfg(test)]
mod tests {
    use super::luminance;

    #[test]
    fn colours_are_read_in_both_hex_forms_and_nothing_else_is() {
        assert_eq!(luminance("#fff"), Some(1.0));
        assert_eq!(luminance("#000000"), Some(0.0));
        assert!(luminance("#663399").unwrap() < 0.35);
        for refused in ["663399", "#66339", "#gggggg", "red", "#fff;}", ""] {
            assert_eq!(luminance(refused), None, "{refused}");
        }
    }
}

/// Lets the applications of the environment's allowed origins frame the embedded users table
/// (`/embed/…`, whose `response` this is): its `frame-ancestors` names them instead of
/// `'none'`, and it drops `X-Frame-Options: DENY`. Every other page stays unframeable.
pub async fn allow_embedding(directory: &SharedDirectory, response: &mut Response) {
    let origins = directory.embedding_origins().await.unwrap_or_default();
    let headers = response.headers_mut();
    if origins.is_empty() {
        return;
    }
    headers.remove(header::X_FRAME_OPTIONS);
    let policy = headers.get(header::CONTENT_SECURITY_POLICY).and_then(|value| value.to_str().ok());
    let framed = policy
        .map(|policy| policy.replace("frame-ancestors 'none'", &format!("frame-ancestors {}", origins.join(" "))));
    if let Some(value) = framed.and_then(|policy| HeaderValue::from_str(&policy).ok()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The headers the widgets send.
const ALLOWED_HEADERS: [&str; 5] =
    ["authorization", "content-type", "workos-widgets-version", "workos-widgets-type", "x-elevated-access-token"];

/// CORS for the widgets: an origin is allowed when the environment's settings list it (read
/// per request). No cookies are involved, so no credentials are allowed.
fn widget_cors_layer(directory: SharedDirectory) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(crate::web::origin_allowed_by_settings(directory))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers(ALLOWED_HEADERS.map(HeaderName::from_static))
        .max_age(std::time::Duration::from_secs(600))
}

/// Applies `cors` (built once, at start-up) to a widget call.
async fn widget_cors(
    State(cors): State<CorsLayer>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    crate::web::with_cors(&cors, request, next).await
}

/// A call holding a valid widget token.
pub struct WidgetCaller(pub Caller);

impl FromRequestParts<SharedDirectory> for WidgetCaller {
    type Rejection = WidgetError;

    async fn from_request_parts(parts: &mut Parts, directory: &SharedDirectory) -> Result<Self, Self::Rejection> {
        let token = crate::rest::bearer(parts)
            .ok_or_else(|| WidgetError(AppError::Forbidden("No widget token was sent.".into())))?;
        directory.resolve_widget_token(token).await.map(WidgetCaller).map_err(WidgetError)
    }
}

/// An error in the widgets' shape: a status and `{"message": …}`.
#[derive(Debug)]
pub struct WidgetError(pub AppError);

impl From<AppError> for WidgetError {
    fn from(error: AppError) -> Self {
        Self(error)
    }
}

impl IntoResponse for WidgetError {
    fn into_response(self) -> Response {
        let error = self.0;
        let (status, message) = match &error {
            // The widgets fetch a new token on 403 and retry once.
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, error.to_string()),
            // Only missing elevated access is unauthenticated here: not a 403, which would
            // send the widget after a new token instead of asking for the emailed code.
            AppError::Unauthenticated => {
                (StatusCode::UNAUTHORIZED, "Confirm it's you first: enter the code sent to your email.".into())
            }
            // One sentence for the dialog: the first field's.
            AppError::Validation(errors) => (
                StatusCode::BAD_REQUEST,
                errors.first().map(|e| e.message.clone()).unwrap_or_else(|| error.to_string()),
            ),
            // Sign-in errors are not the widgets' business; anything else keeps its status.
            AppError::InvalidCredentials | AppError::InvalidGrant(_) | AppError::StepUp(_) => {
                (StatusCode::BAD_REQUEST, error.to_string())
            }
            _ => (
                StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                error.to_string(),
            ),
        };
        let mut response = (status, axum::Json(json!({ "message": message }))).into_response();
        if let AppError::RateLimited { retry_after_seconds } = error
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

type WidgetResult<T> = Result<T, WidgetError>;
type Dir = State<SharedDirectory>;

/// A JSON object body (an empty one reads as `{}`), refused in the widgets' error shape.
struct Json<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = WidgetError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match crate::rest::request::Body::<T>::from_request(request, state).await {
            Ok(crate::rest::request::Body(body)) => Ok(Json(body)),
            Err(crate::rest::ApiError(error)) => Err(WidgetError(error)),
        }
    }
}

/// `{"id": …, "success": true}`, what the users table's changes answer.
fn done(id: impl std::fmt::Display) -> axum::Json<Value> {
    axum::Json(json!({ "id": id.to_string(), "success": true }))
}

/// A path ID that does not parse is a missing row.
fn parsed<T>(raw: &str, parse: fn(&str) -> Option<T>, what: &str) -> WidgetResult<T> {
    parse(raw).ok_or_else(|| WidgetError(AppError::not_found(what)))
}

#[derive(Deserialize)]
struct MembersQuery {
    limit: Option<String>,
    after: Option<String>,
    before: Option<String>,
    search: Option<String>,
    role: Option<String>,
}

async fn members(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Query(query): Query<MembersQuery>,
) -> WidgetResult<axum::Json<WidgetMembers>> {
    let admin = caller.admin()?;
    let viewer = caller.user_id().ok_or(AppError::Internal)?;
    // The widget sends the limit as a string; a bad one is a bad request, not a failure.
    let limit = match query.limit.as_deref().map(str::parse::<u32>) {
        None => None,
        Some(Ok(limit)) if (1..=Page::MAX_LIMIT).contains(&limit) => Some(limit),
        Some(_) => {
            return Err(AppError::invalid("limit", "limit_invalid", format!("Use 1 to {}.", Page::MAX_LIMIT)).into());
        }
    };
    let query =
        WidgetMemberQuery { limit, after: query.after, before: query.before, search: query.search, role: query.role };
    Ok(axum::Json(directory.widget_members(&admin, viewer, query).await?))
}

#[derive(Deserialize)]
struct RolesBody {
    #[serde(default)]
    roles: Vec<String>,
}

async fn update_member(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Path(id): Path<String>,
    Json(body): Json<RolesBody>,
) -> WidgetResult<axum::Json<Value>> {
    let admin = caller.admin()?;
    let user = parsed(&id, UserId::parse, "Member")?;
    if body.roles.is_empty() {
        return Err(AppError::invalid("roles", "roles_required", "Choose a role.").into());
    }
    let membership = directory.widget_membership(&admin, &user).await?;
    directory.set_membership_roles(&admin, &membership.id, body.roles).await?;
    Ok(done(user))
}

async fn remove_member(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Path(id): Path<String>,
) -> WidgetResult<axum::Json<Value>> {
    let admin = caller.admin()?;
    let user = parsed(&id, UserId::parse, "Member")?;
    let membership = directory.widget_membership(&admin, &user).await?;
    directory.delete_membership(&admin, &membership.id).await?;
    Ok(done(user))
}

#[derive(Deserialize)]
struct InviteBody {
    email: String,
    #[serde(default)]
    roles: Vec<String>,
}

/// The invite dialog shows these exact messages next to the field they concern
/// (`lib/invite-user-dialog.js`); anything else it shows as a generic failure.
fn invite_error(error: AppError) -> WidgetError {
    let message = match &error {
        AppError::Conflict { code: Conflict::AlreadyAMember, .. } => Some("User already exists"),
        AppError::Conflict { code: Conflict::InvitationAlreadyPending, .. } => Some("User already invited"),
        AppError::Validation(errors) => errors.iter().find_map(|e| match e.field.as_str() {
            "email" => Some("Invalid email"),
            "role_slug" => Some("Invalid role"),
            _ => None,
        }),
        _ => None,
    };
    match message {
        Some(message) => WidgetError(AppError::BadRequest(message.into())),
        None => WidgetError(error),
    }
}

async fn invite(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Json(body): Json<InviteBody>,
) -> WidgetResult<axum::Json<Value>> {
    let admin = caller.admin()?;
    if body.roles.len() > 1 {
        return Err(WidgetError(AppError::BadRequest("Invalid role".into())));
    }
    let invitation = NewInvitation {
        email: body.email,
        organization_id: admin.organization().cloned(),
        role_slug: body.roles.into_iter().next(),
        expires_in_days: None,
        inviter_user_id: caller.user_id().cloned(),
    };
    directory.send_invitation(&admin, invitation).await.map_err(invite_error)?;
    Ok(axum::Json(json!({ "success": true })))
}

async fn resend_invite(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Path(id): Path<String>,
) -> WidgetResult<axum::Json<Value>> {
    let admin = caller.admin()?;
    let invitation = parsed(&id, InvitationId::parse, "Invitation")?;
    directory.resend_invitation(&admin, &invitation).await?;
    Ok(done(invitation))
}

async fn revoke_invite(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Path(id): Path<String>,
) -> WidgetResult<axum::Json<Value>> {
    let admin = caller.admin()?;
    let invitation = parsed(&id, InvitationId::parse, "Invitation")?;
    directory.revoke_invitation(&admin, &invitation).await?;
    Ok(done(invitation))
}

async fn roles(State(directory): Dir, WidgetCaller(caller): WidgetCaller) -> WidgetResult<axum::Json<Vec<WidgetRole>>> {
    let admin = caller.admin()?;
    Ok(axum::Json(directory.widget_roles(&admin).await?.roles))
}

async fn roles_and_config(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
) -> WidgetResult<axum::Json<WidgetRolesAndConfig>> {
    let admin = caller.admin()?;
    Ok(axum::Json(directory.widget_roles(&admin).await?))
}

async fn organizations(State(directory): Dir, WidgetCaller(caller): WidgetCaller) -> WidgetResult<axum::Json<Value>> {
    let current = caller.widget().and_then(|widget| widget.organization_id.clone());
    // A token that may not act on its user's account (asked for by a key of one of their
    // organizations) does not learn their other organizations either.
    let everywhere = caller.account().is_ok();
    let data: Vec<WidgetOrganization> = directory
        .own_memberships(&caller)
        .await?
        .into_iter()
        .filter(|membership| membership.status == MembershipStatus::Active)
        .filter(|membership| everywhere || current.as_ref() == Some(&membership.organization_id))
        .map(|membership| WidgetOrganization {
            current: current.as_ref() == Some(&membership.organization_id),
            id: membership.organization_id,
            name: membership.organization_name,
            favicon: None,
        })
        .collect();
    Ok(axum::Json(json!({ "data": data })))
}

fn me_of(user: User) -> WidgetMe {
    WidgetMe {
        id: user.id,
        email: user.email,
        first_name: user.first_name,
        last_name: user.last_name,
        locale: user.locale,
        profile_picture_url: user.profile_picture_url,
        oauth_profiles: Default::default(),
    }
}

async fn me(State(directory): Dir, WidgetCaller(caller): WidgetCaller) -> WidgetResult<axum::Json<WidgetMe>> {
    let account = caller.account()?;
    Ok(axum::Json(me_of(directory.own_user(&account).await?)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MeBody {
    first_name: Option<String>,
    last_name: Option<String>,
    locale: Option<String>,
}

async fn update_me(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Json(body): Json<MeBody>,
) -> WidgetResult<axum::Json<WidgetMe>> {
    let account = caller.account()?;
    let update = ProfileUpdate { first_name: body.first_name, last_name: body.last_name, locale: body.locale };
    Ok(axum::Json(me_of(directory.update_own_profile(&account, update).await?)))
}

fn widget_session(session: Session) -> WidgetSession {
    WidgetSession {
        userland_user_id: session.user_id,
        ip_address: session.ip_address,
        user_agent: session.user_agent,
        organization_id: session.organization_id,
        state: WidgetSessionState { tag: "active".into(), expires_at: Some(session.expires_at) },
        current_location: None,
        used_sso_auth: false,
        used_password_auth: session.auth_method == AuthMethod::Password,
        used_passkey_auth: false,
        used_apple_oauth: false,
        used_bitbucket_oauth: false,
        used_github_oauth: false,
        used_gitlab_oauth: false,
        used_google_oauth: false,
        used_linkedin_oauth: false,
        used_impersonation: false,
        used_microsoft_oauth: false,
        used_slack_oauth: false,
        used_xero_oauth: false,
        used_magic_auth: session.auth_method == AuthMethod::MagicCode,
        impersonator_user_id: None,
        impersonator_email: None,
        impersonation_reason: None,
        last_activity_at: Some(session.updated_at.clone()),
        created_at: session.created_at,
        updated_at: session.updated_at,
        id: session.id,
    }
}

async fn sessions(State(directory): Dir, WidgetCaller(caller): WidgetCaller) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    let data: Vec<WidgetSession> =
        directory.own_live_sessions(&account).await?.into_iter().map(widget_session).collect();
    Ok(axum::Json(json!({ "data": data })))
}

async fn revoke_session(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Path(id): Path<String>,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    let session = parsed(&id, SessionId::parse, "Session")?;
    directory.end_own_session(&account, &session).await?;
    Ok(axum::Json(json!({ "success": true })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RevokeAllBody {
    current_session_id: Option<String>,
}

async fn revoke_other_sessions(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Json(body): Json<RevokeAllBody>,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    // The session to keep: the one the widget names, else the token's own.
    let keep = body.current_session_id.and_then(|id| SessionId::parse(&id)).or_else(|| account.session_id().cloned());
    directory.end_other_sessions(&account, keep.as_ref()).await?;
    Ok(axum::Json(json!({ "success": true })))
}

async fn authentication_information(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    let methods = directory.own_sign_in_methods(&account).await?;
    let method = |provider: &str, is_set_up: bool, current: Option<bool>| WidgetMethod {
        provider: provider.into(),
        is_set_up,
        last_used: None,
        is_current_session: current,
    };
    let information = WidgetAuthenticationInformation {
        verification_methods: WidgetVerificationMethods {
            mfa: method("MFA", methods.factors, None),
            password: method("Password", methods.password, Some(false)),
        },
        password_settings: WidgetPasswordSettings {
            is_password_number_required: false,
            is_password_pwned_required: false,
            is_password_symbol_required: false,
            is_password_uppercase_required: false,
            password_minimum_length: crate::core::validate::MIN_PASSWORD_CHARS as u32,
            password_minimum_strength: 0,
        },
    };
    Ok(axum::Json(json!({ "data": information })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn update_password(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Json(body): Json<PasswordBody>,
) -> WidgetResult<Response> {
    let account = caller.account()?;
    let changed = directory.change_own_password(&account, &body.current_password, &body.new_password).await;
    match changed {
        // The dialog shows this exact message under the current password's field.
        Err(AppError::Validation(errors)) if errors.iter().any(|e| e.field == "current_password") => {
            Err(WidgetError(AppError::BadRequest("Invalid credentials".into())))
        }
        changed => password_answer(changed, "new_password"),
    }
}

/// `201 {success}` for a password set, or the error: a password that breaks a rule answers
/// `password_strength_error` with `errors[]`, which the widget lists rule by rule (it does
/// when every entry has a `code` and a `message`).
fn password_answer(result: Result<(), AppError>, field: &str) -> WidgetResult<Response> {
    match result {
        Ok(()) => Ok((StatusCode::CREATED, axum::Json(json!({ "success": true }))).into_response()),
        Err(AppError::Validation(errors))
            if errors.iter().any(|e| e.field == field && e.code.starts_with("password_")) =>
        {
            let rules: Vec<Value> = errors
                .iter()
                .filter(|e| e.field == field)
                .map(|e| match e.code.as_str() {
                    "password_too_short" => json!({
                        "code": e.code, "message": e.message,
                        "minimum_length": crate::core::validate::MIN_PASSWORD_CHARS,
                    }),
                    _ => json!({ "code": e.code, "message": e.message }),
                })
                .collect();
            let body = json!({
                "code": "password_strength_error",
                "message": "The password does not meet the rules.",
                "errors": rules,
            });
            Ok((StatusCode::BAD_REQUEST, axum::Json(body)).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// Fails (401) unless the request carries elevated access of this account.
async fn require_elevation(directory: &SharedDirectory, account: &Account, headers: &HeaderMap) -> WidgetResult<()> {
    let token = headers.get("x-elevated-access-token").and_then(|value| value.to_str().ok());
    if directory.is_elevated(account, token).await? { Ok(()) } else { Err(WidgetError(AppError::Unauthenticated)) }
}

async fn send_verification(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    let challenge = directory.start_elevation(&account).await?;
    Ok(axum::Json(json!({ "authenticationChallenge": challenge, "type": "EmailVerification" })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeBody {
    code: String,
    #[serde(default)]
    authentication_challenge_id: Option<String>,
}

async fn verify(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Json(body): Json<CodeBody>,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    let challenge = body.authentication_challenge_id.unwrap_or_default();
    let access = directory.finish_elevation(&account, &challenge, &body.code).await?;
    Ok(axum::Json(json!({ "elevatedAccessToken": access.token, "expiresAt": access.expires_at })))
}

#[derive(Deserialize)]
struct NewPasswordBody {
    password: String,
}

async fn create_password(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    headers: HeaderMap,
    Json(body): Json<NewPasswordBody>,
) -> WidgetResult<Response> {
    let account = caller.account()?;
    require_elevation(&directory, &account, &headers).await?;
    password_answer(directory.create_own_password(&account, &body.password).await, "password")
}

async fn create_totp_factor(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    headers: HeaderMap,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    require_elevation(&directory, &account, &headers).await?;
    let offer = directory.start_own_factor(&account).await?;
    // `CreateTotpFactorResponse`: camelCase outside, the REST API's snake_case inside.
    Ok(axum::Json(json!({
        "authenticationFactor": {
            "object": "authentication_factor",
            "id": offer.factor_id,
            "type": "totp",
            "user_id": offer.user_id,
            "totp": {
                "issuer": offer.issuer,
                "user": offer.account,
                "secret": offer.secret,
                "qr_code": offer.qr_code,
                "uri": offer.uri,
            },
            "created_at": offer.created_at,
            "updated_at": offer.created_at,
        },
        "authenticationChallenge": {
            "object": "authentication_challenge",
            "id": offer.challenge_id,
            "expires_at": offer.expires_at,
            "code": null,
            "authentication_factor_id": offer.factor_id,
            "created_at": offer.created_at,
            "updated_at": offer.created_at,
        },
    })))
}

async fn verify_totp_factor(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    Json(body): Json<CodeBody>,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    let challenge = body.authentication_challenge_id.unwrap_or_default();
    match directory.confirm_own_factor(&account, &challenge, &body.code).await {
        Ok(()) => Ok(axum::Json(json!({ "success": true }))),
        // The dialog matches this exact message ("Invalid passcode, please try again").
        Err(AppError::Validation(errors)) if errors.iter().any(|e| e.code == "invalid_passcode") => {
            Err(WidgetError(AppError::BadRequest("Invalid passcode".into())))
        }
        Err(error) => Err(error.into()),
    }
}

async fn reset_totp_factors(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    headers: HeaderMap,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    require_elevation(&directory, &account, &headers).await?;
    directory.reset_own_factors(&account).await?;
    Ok(axum::Json(json!({ "success": true })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailChangeBody {
    new_email: String,
}

async fn send_email_change(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    headers: HeaderMap,
    Json(body): Json<EmailChangeBody>,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    require_elevation(&directory, &account, &headers).await?;
    let expires_at = directory.start_email_change(&account, &body.new_email).await?;
    Ok(axum::Json(json!({ "expiresAt": expires_at })))
}

async fn verify_email_change(
    State(directory): Dir,
    WidgetCaller(caller): WidgetCaller,
    headers: HeaderMap,
    Json(body): Json<CodeBody>,
) -> WidgetResult<axum::Json<Value>> {
    let account = caller.account()?;
    require_elevation(&directory, &account, &headers).await?;
    // The widget replaces its elevated access with the one this answers.
    let (user, access) = directory.finish_email_change(&account, &body.code).await?;
    Ok(axum::Json(json!({ "user": me_of(user), "elevatedAccessToken": access.token, "expiresAt": access.expires_at })))
}

async fn settings(State(directory): Dir, WidgetCaller(_caller): WidgetCaller) -> axum::Json<Value> {
    axum::Json(json!({
        "object": "settings",
        "authkitOrigin": directory.public_origin(),
        "teamName": "Roster",
        "logoDarkIconPath": null,
        "logoDarkPath": null,
        "logoLightIconPath": null,
        "logoLightPath": null,
    }))
}
