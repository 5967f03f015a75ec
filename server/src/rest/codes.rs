//! One-time codes: `/user_management/users/{id}/email_verification/…`,
//! `/user_management/email_verification/{id}`, `/user_management/password_reset…` and
//! `/user_management/magic_auth…`.

use super::request::{Body, path_id, required};
use super::users::user_id;
use super::{ApiCaller, ApiResult, Dir, created};
use app::ids::{EmailVerificationId, MagicAuthId, PasswordResetId};
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
