//! Sign-in for applications: `POST /user_management/authenticate`, the JWKS, session
//! revocation, email verification, password reset and magic auth.

use super::request::{Body, path_id, required};
use super::users::user_id;
use super::{ApiCaller, ApiError, ApiResult, Dir, created};
use app::directory::{ClientContext, Grant};
use app::error::AppError;
use app::ids::{EmailVerificationId, MagicAuthId, OrganizationId, PasswordResetId, SessionId};
use app::model::{AuthenticationResponse, EmailVerification, MagicAuth, PasswordReset, User};
use axum::Json;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .post("/user_management/authenticate", authenticate)
        .get("/sso/jwks/{client_id}", jwks)
        .post("/user_management/sessions/revoke", revoke_session)
        .post("/user_management/users/{id}/email_verification/send", send_verification)
        .post("/user_management/users/{id}/email_verification/confirm", verify_email)
        .get("/user_management/email_verification/{id}", get_email_verification)
        .post("/user_management/password_reset", create_password_reset)
        .post("/user_management/password_reset/confirm", reset_password)
        .get("/user_management/password_reset/{id}", get_password_reset)
        .post("/user_management/magic_auth", create_magic_auth)
        .get("/user_management/magic_auth/{id}", get_magic_auth)
}

/// The grant type of `authenticateWithMagicAuth`.
const MAGIC_AUTH_GRANT: &str = "urn:workos:oauth:grant-type:magic-auth:code";

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuthenticateRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    email: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
    code: Option<String>,
    invitation_token: Option<String>,
    organization_id: Option<String>,
    ip_address: Option<String>,
    user_agent: Option<String>,
}

/// The SDKs put the API key in `client_secret` as well as in the `Authorization` header.
async fn authenticate(
    directory: Dir,
    headers: HeaderMap,
    Body(body): Body<AuthenticateRequest>,
) -> ApiResult<Json<AuthenticationResponse>> {
    let header_secret = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_owned);
    let secret = body.client_secret.clone().or(header_secret).ok_or(ApiError(AppError::Unauthenticated))?;
    let caller = directory.authenticate_api_key(&secret).await?;
    if let (Some(asked), Some(own)) = (body.client_id.as_deref(), caller.client_id())
        && asked != own
    {
        return Err(
            AppError::invalid("client_id", "client_id_mismatch", "client_id does not belong to this API key.").into()
        );
    }
    let admin = caller.admin()?;
    let grant = match body.grant_type.as_deref() {
        Some("password") => Grant::Password {
            email: required(body.email, "email")?,
            password: required(body.password, "password")?,
            invitation_token: body.invitation_token,
        },
        Some("refresh_token") => Grant::RefreshToken {
            refresh_token: required(body.refresh_token, "refresh_token")?,
            organization_id: match body.organization_id {
                Some(raw) => Some(OrganizationId::parse(&raw).ok_or_else(|| {
                    AppError::InvalidGrant("The user is not an active member of that organization.".into())
                })?),
                None => None,
            },
        },
        Some(MAGIC_AUTH_GRANT) => Grant::MagicAuth {
            email: required(body.email, "email")?,
            code: required(body.code, "code")?,
            invitation_token: body.invitation_token,
        },
        Some(other) => {
            return Err(AppError::invalid(
                "grant_type",
                "unsupported_grant_type",
                format!("The grant type {other:?} is not supported."),
            )
            .into());
        }
        None => required(None, "grant_type")?,
    };
    let client = ClientContext { client_id: body.client_id, ip_address: body.ip_address, user_agent: body.user_agent };
    Ok(Json(directory.authenticate(&admin, grant, client).await?))
}

/// Public: the SDKs fetch it without credentials to verify access tokens.
async fn jwks(directory: Dir, Path(_client_id): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(directory.jwks().await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokeSession {
    session_id: Option<String>,
}

async fn revoke_session(
    directory: Dir,
    caller: ApiCaller,
    Body(body): Body<RevokeSession>,
) -> ApiResult<Json<serde_json::Value>> {
    let raw = required(body.session_id, "session_id")?;
    let id = path_id(&raw, SessionId::parse, "Session")?;
    directory.revoke_session(&caller.admin()?, &id).await?;
    Ok(Json(serde_json::json!({})))
}

/// Answers that wrap a user, as `{"user": …}`.
#[derive(Serialize)]
struct UserEnvelope {
    user: User,
}

async fn send_verification(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<UserEnvelope>> {
    let user = directory.send_email_verification(&caller.admin()?, &user_id(&id)?).await?;
    Ok(Json(UserEnvelope { user }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VerifyEmail {
    code: Option<String>,
}

async fn verify_email(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<VerifyEmail>,
) -> ApiResult<Json<UserEnvelope>> {
    let code = required(body.code, "code")?;
    let user = directory.verify_email(&caller.admin()?, &user_id(&id)?, &code).await?;
    Ok(Json(UserEnvelope { user }))
}

async fn get_email_verification(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<EmailVerification>> {
    let id = path_id(&id, EmailVerificationId::parse, "Email verification")?;
    Ok(Json(directory.get_email_verification(&caller.admin()?, &id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailOnly {
    email: Option<String>,
}

async fn create_password_reset(directory: Dir, caller: ApiCaller, Body(body): Body<EmailOnly>) -> ApiResult<Response> {
    let email = required(body.email, "email")?;
    Ok(created(directory.create_password_reset(&caller.admin()?, &email).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetPassword {
    token: Option<String>,
    new_password: Option<String>,
}

async fn reset_password(
    directory: Dir,
    caller: ApiCaller,
    Body(body): Body<ResetPassword>,
) -> ApiResult<Json<UserEnvelope>> {
    let token = required(body.token, "token")?;
    let new_password = required(body.new_password, "new_password")?;
    let user = directory.reset_password(&caller.admin()?, &token, &new_password).await?;
    Ok(Json(UserEnvelope { user }))
}

async fn get_password_reset(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<PasswordReset>> {
    let id = path_id(&id, PasswordResetId::parse, "Password reset")?;
    Ok(Json(directory.get_password_reset(&caller.admin()?, &id).await?))
}

async fn create_magic_auth(directory: Dir, caller: ApiCaller, Body(body): Body<EmailOnly>) -> ApiResult<Response> {
    let email = required(body.email, "email")?;
    Ok(created(directory.create_magic_auth(&caller.admin()?, &email).await?))
}

async fn get_magic_auth(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<MagicAuth>> {
    let id = path_id(&id, MagicAuthId::parse, "Magic auth")?;
    Ok(Json(directory.get_magic_auth(&caller.admin()?, &id).await?))
}
