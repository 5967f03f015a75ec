//! Authentication factors: `/user_management/users/{id}/auth_factors` (the user-management
//! module's `enrollAuthFactor` / `listAuthFactors`) and the standalone MFA API under
//! `/auth/factors…` and `/auth/challenges…` (the `mfa` module).

use super::openapi::ApiErrors;
use super::request::{Body, PageParams, Query, path_id, required};
use super::users::user_id;
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::directory::NewTotpFactor;
use app::error::AppError;
use app::ids::{AuthenticationChallengeId, AuthenticationFactorId, UserId};
use app::model::{
    AuthenticationChallenge, AuthenticationFactor, ChallengeVerification, EnrolledFactor, FactorType, List,
};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .post("/user_management/users/{id}/auth_factors", enroll_user_factor)
        .get("/user_management/users/{id}/auth_factors", list_user_factors)
        .post("/auth/factors/enroll", enroll_factor)
        .get("/auth/factors/{id}", get_factor)
        .delete("/auth/factors/{id}", delete_factor)
        .post("/auth/factors/{id}/challenge", challenge_factor)
        .post("/auth/challenges/{id}/verify", verify_challenge)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    enroll_user_factor,
    list_user_factors,
    enroll_factor,
    get_factor,
    delete_factor,
    challenge_factor,
    verify_challenge
))]
pub(super) struct Doc;

/// The body of both enrollments. Only `totp` is enrolled; `sms` and `generic_otp` are refused
/// on `type`.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct EnrollFactor {
    #[serde(rename = "type")]
    #[schema(value_type = FactorType, required = true)]
    kind: Option<String>,
    totp_issuer: Option<String>,
    totp_user: Option<String>,
    totp_secret: Option<String>,
}

impl EnrollFactor {
    /// The TOTP factor asked for.
    fn totp(self) -> ApiResult<NewTotpFactor> {
        match required(self.kind, "type")?.as_str() {
            "totp" => Ok(NewTotpFactor { issuer: self.totp_issuer, user: self.totp_user, secret: self.totp_secret }),
            other => Err(AppError::invalid(
                "type",
                "type_invalid",
                format!("Authentication factors of type {other:?} are not supported; use \"totp\"."),
            )
            .into()),
        }
    }
}

fn factor_id(raw: &str) -> ApiResult<AuthenticationFactorId> {
    path_id(raw, AuthenticationFactorId::parse, "Authentication factor")
}

/// Enrolls a TOTP factor for a user; the answer is the only one with its secret.
#[utoipa::path(
    post,
    path = "/user_management/users/{id}/auth_factors",
    tag = "authentication_factors",
    operation_id = "enrollUserAuthFactor",
    params(("id" = UserId, Path, description = "The user's ID.")),
    request_body = Option<EnrollFactor>,
    responses((status = 201, description = "The factor, with its secret, and a first challenge.", body = EnrolledFactor), ApiErrors)
)]
async fn enroll_user_factor(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<EnrollFactor>,
) -> ApiResult<Response> {
    let user = user_id(&id)?;
    let factor = body.totp()?;
    Ok(created(directory.enroll_user_factor(&caller.admin()?, &user, factor).await?))
}

/// Lists a user's factors.
#[utoipa::path(
    get,
    path = "/user_management/users/{id}/auth_factors",
    tag = "authentication_factors",
    operation_id = "listUserAuthFactors",
    params(("id" = UserId, Path, description = "The user's ID."), PageParams),
    responses((status = 200, description = "A page of factors.", body = List<AuthenticationFactor>), ApiErrors)
)]
async fn list_user_factors(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    query: Query,
) -> ApiResult<Json<List<AuthenticationFactor>>> {
    let user = user_id(&id)?;
    Ok(Json(directory.list_user_factors(&caller.admin()?, &user, query.page()?).await?))
}

/// Enrolls a TOTP factor that belongs to the application (the standalone MFA API).
#[utoipa::path(
    post,
    path = "/auth/factors/enroll",
    tag = "authentication_factors",
    operation_id = "enrollFactor",
    request_body = Option<EnrollFactor>,
    responses((status = 201, description = "The factor, with its secret.", body = AuthenticationFactor), ApiErrors)
)]
async fn enroll_factor(directory: Dir, caller: ApiCaller, Body(body): Body<EnrollFactor>) -> ApiResult<Response> {
    let factor = body.totp()?;
    Ok(created(directory.enroll_factor(&caller.admin()?, factor).await?))
}

/// Reads a factor (without its secret).
#[utoipa::path(
    get,
    path = "/auth/factors/{id}",
    tag = "authentication_factors",
    operation_id = "getFactor",
    params(("id" = AuthenticationFactorId, Path, description = "The factor's ID.")),
    responses((status = 200, description = "The factor.", body = AuthenticationFactor), ApiErrors)
)]
async fn get_factor(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AuthenticationFactor>> {
    Ok(Json(directory.get_factor(&caller.admin()?, &factor_id(&id)?).await?))
}

/// Deletes a factor.
#[utoipa::path(
    delete,
    path = "/auth/factors/{id}",
    tag = "authentication_factors",
    operation_id = "deleteFactor",
    params(("id" = AuthenticationFactorId, Path, description = "The factor's ID.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
async fn delete_factor(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_factor(&caller.admin()?, &factor_id(&id)?).await?;
    Ok(no_content())
}

/// The body (`{}`, or `sms_template` for SMS factors, which Roster does not enroll) is not read.
/// Starts a challenge of a factor; the body is not read.
#[utoipa::path(
    post,
    path = "/auth/factors/{id}/challenge",
    tag = "authentication_factors",
    operation_id = "challengeFactor",
    params(("id" = AuthenticationFactorId, Path, description = "The factor's ID.")),
    responses((status = 201, description = "The challenge.", body = AuthenticationChallenge), ApiErrors)
)]
async fn challenge_factor(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(created(directory.challenge_factor(&caller.admin()?, &factor_id(&id)?).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct VerifyChallenge {
    #[schema(value_type = String, required = true)]
    code: Option<String>,
}

/// Verifies a challenge with a code; a wrong code is `valid: false`, not an error.
#[utoipa::path(
    post,
    path = "/auth/challenges/{id}/verify",
    tag = "authentication_factors",
    operation_id = "verifyChallenge",
    params(("id" = AuthenticationChallengeId, Path, description = "The challenge's ID.")),
    request_body = Option<VerifyChallenge>,
    responses((status = 200, description = "Whether the code was right.", body = ChallengeVerification), ApiErrors)
)]
async fn verify_challenge(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<VerifyChallenge>,
) -> ApiResult<Json<ChallengeVerification>> {
    let id = path_id(&id, AuthenticationChallengeId::parse, "Authentication challenge")?;
    let code = required(body.code, "code")?;
    Ok(Json(directory.verify_challenge(&caller.admin()?, &id, &code).await?))
}
