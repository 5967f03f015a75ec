//! Authentication factors: `/user_management/users/{id}/auth_factors` (the user-management
//! module's `enrollAuthFactor` / `listAuthFactors`) and the standalone MFA API under
//! `/auth/factors…` and `/auth/challenges…` (the `mfa` module).

use super::request::{Body, Query, path_id, required};
use super::users::user_id;
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::directory::NewTotpFactor;
use app::error::AppError;
use app::ids::{AuthenticationChallengeId, AuthenticationFactorId};
use app::model::{AuthenticationFactor, ChallengeVerification, List};
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

/// The body of both enrollments. Only `totp` is enrolled; `sms` and `generic_otp` are refused
/// on `type`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EnrollFactor {
    #[serde(rename = "type")]
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

async fn list_user_factors(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    query: Query,
) -> ApiResult<Json<List<AuthenticationFactor>>> {
    let user = user_id(&id)?;
    Ok(Json(directory.list_user_factors(&caller.admin()?, &user, query.page()?).await?))
}

async fn enroll_factor(directory: Dir, caller: ApiCaller, Body(body): Body<EnrollFactor>) -> ApiResult<Response> {
    let factor = body.totp()?;
    Ok(created(directory.enroll_factor(&caller.admin()?, factor).await?))
}

async fn get_factor(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AuthenticationFactor>> {
    Ok(Json(directory.get_factor(&caller.admin()?, &factor_id(&id)?).await?))
}

async fn delete_factor(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_factor(&caller.admin()?, &factor_id(&id)?).await?;
    Ok(no_content())
}

/// The body (`{}`, or `sms_template` for SMS factors, which Roster does not enroll) is not read.
async fn challenge_factor(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(created(directory.challenge_factor(&caller.admin()?, &factor_id(&id)?).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VerifyChallenge {
    code: Option<String>,
}

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
