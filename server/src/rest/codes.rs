//! One-time codes: `/user_management/users/{id}/email_verification/…`,
//! `/user_management/email_verification/{id}`, `/user_management/password_reset…` and
//! `/user_management/magic_auth…`.

use super::openapi::ApiErrors;
use super::request::{Body, path_id, required};
use super::users::user_id;
use super::{ApiCaller, ApiResult, Dir, created};
use app::ids::{EmailVerificationId, MagicAuthId, PasswordResetId, UserId};
use app::model::{EmailVerification, MagicAuth, PasswordReset, User};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .post("/user_management/users/{id}/email_verification/send", send_verification)
        .post("/user_management/users/{id}/email_verification/confirm", verify_email)
        .get("/user_management/email_verification/{id}", get_email_verification)
        .post("/user_management/password_reset", create_password_reset)
        .post("/user_management/password_reset/confirm", reset_password)
        .get("/user_management/password_reset/{id}", get_password_reset)
        .post("/user_management/magic_auth", create_magic_auth)
        .get("/user_management/magic_auth/{id}", get_magic_auth)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    send_verification,
    verify_email,
    get_email_verification,
    create_password_reset,
    reset_password,
    get_password_reset,
    create_magic_auth,
    get_magic_auth,
))]
pub(super) struct Doc;

/// Answers that wrap a user, as `{"user": …}`.
#[derive(Serialize, utoipa::ToSchema)]
struct UserEnvelope {
    user: User,
}

/// Emails the user a code that proves their address.
#[utoipa::path(
    post,
    path = "/user_management/users/{id}/email_verification/send",
    tag = "codes",
    operation_id = "sendVerificationEmail",
    params(("id" = UserId, Path, description = "The user's ID.")),
    responses((status = 200, description = "The user.", body = UserEnvelope), ApiErrors)
)]
async fn send_verification(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<UserEnvelope>> {
    let user = directory.send_email_verification(&caller.admin()?, &user_id(&id)?).await?;
    Ok(Json(UserEnvelope { user }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct VerifyEmail {
    #[schema(value_type = String, required = true)]
    code: Option<String>,
}

/// Marks the user's email verified with the code they received.
#[utoipa::path(
    post,
    path = "/user_management/users/{id}/email_verification/confirm",
    tag = "codes",
    operation_id = "verifyEmail",
    params(("id" = UserId, Path, description = "The user's ID.")),
    request_body = Option<VerifyEmail>,
    responses((status = 200, description = "The verified user.", body = UserEnvelope), ApiErrors)
)]
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

/// Reads an email verification.
#[utoipa::path(
    get,
    path = "/user_management/email_verification/{id}",
    tag = "codes",
    operation_id = "getEmailVerification",
    params(("id" = EmailVerificationId, Path, description = "The email verification's ID.")),
    responses((status = 200, description = "The email verification.", body = EmailVerification), ApiErrors)
)]
async fn get_email_verification(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<EmailVerification>> {
    let id = path_id(&id, EmailVerificationId::parse, "Email verification")?;
    Ok(Json(directory.get_email_verification(&caller.admin()?, &id).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct EmailOnly {
    #[schema(value_type = String, required = true)]
    email: Option<String>,
}

/// Creates a password reset for the user with this email and emails the link.
#[utoipa::path(
    post,
    path = "/user_management/password_reset",
    tag = "codes",
    operation_id = "createPasswordReset",
    request_body = Option<EmailOnly>,
    responses((status = 201, description = "The password reset, with its token.", body = PasswordReset), ApiErrors)
)]
async fn create_password_reset(directory: Dir, caller: ApiCaller, Body(body): Body<EmailOnly>) -> ApiResult<Response> {
    let email = required(body.email, "email")?;
    Ok(created(directory.create_password_reset(&caller.admin()?, &email).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct ResetPassword {
    #[schema(value_type = String, required = true)]
    token: Option<String>,
    #[schema(value_type = String, required = true)]
    new_password: Option<String>,
}

/// Sets a new password with a reset token.
#[utoipa::path(
    post,
    path = "/user_management/password_reset/confirm",
    tag = "codes",
    operation_id = "resetPassword",
    request_body = Option<ResetPassword>,
    responses((status = 200, description = "The user.", body = UserEnvelope), ApiErrors)
)]
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

/// Reads a password reset.
#[utoipa::path(
    get,
    path = "/user_management/password_reset/{id}",
    tag = "codes",
    operation_id = "getPasswordReset",
    params(("id" = PasswordResetId, Path, description = "The password reset's ID.")),
    responses((status = 200, description = "The password reset.", body = PasswordReset), ApiErrors)
)]
async fn get_password_reset(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<PasswordReset>> {
    let id = path_id(&id, PasswordResetId::parse, "Password reset")?;
    Ok(Json(directory.get_password_reset(&caller.admin()?, &id).await?))
}

/// Emails a one-time sign-in code to this address.
#[utoipa::path(
    post,
    path = "/user_management/magic_auth",
    tag = "codes",
    operation_id = "createMagicAuth",
    request_body = Option<EmailOnly>,
    responses((status = 201, description = "The magic auth, with its code.", body = MagicAuth), ApiErrors)
)]
async fn create_magic_auth(directory: Dir, caller: ApiCaller, Body(body): Body<EmailOnly>) -> ApiResult<Response> {
    let email = required(body.email, "email")?;
    Ok(created(directory.create_magic_auth(&caller.admin()?, &email).await?))
}

/// Reads a magic auth.
#[utoipa::path(
    get,
    path = "/user_management/magic_auth/{id}",
    tag = "codes",
    operation_id = "getMagicAuth",
    params(("id" = MagicAuthId, Path, description = "The magic auth's ID.")),
    responses((status = 200, description = "The magic auth.", body = MagicAuth), ApiErrors)
)]
async fn get_magic_auth(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<MagicAuth>> {
    let id = path_id(&id, MagicAuthId::parse, "Magic auth")?;
    Ok(Json(directory.get_magic_auth(&caller.admin()?, &id).await?))
}
