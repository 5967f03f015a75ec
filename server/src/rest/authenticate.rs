//! `/user_management/authenticate` (every grant) and `/sso/jwks/{client_id}`.

use super::openapi::{ApiErrors, AuthenticateErrors};
use super::request::{Body, required};
use super::{ApiError, ApiResult, Dir};
use app::directory::{ClientContext, Grant};
use app::error::AppError;
use app::ids::OrganizationId;
use app::model::AuthenticationResponse;
use axum::Json;
use axum::extract::Path;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> super::Routes {
    super::Routes::default().post("/user_management/authenticate", authenticate).get("/sso/jwks/{client_id}", jwks)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(authenticate, jwks))]
pub(super) struct Doc;

/// The grant types `grant_type` takes, for the OpenAPI document (the handler matches the
/// strings, and answers any other with a field error).
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "only described")]
enum GrantType {
    #[schema(rename = "password")]
    Password,
    #[schema(rename = "refresh_token")]
    RefreshToken,
    #[schema(rename = "authorization_code")]
    AuthorizationCode,
    #[schema(rename = "urn:workos:oauth:grant-type:magic-auth:code")]
    MagicAuth,
    #[schema(rename = "urn:workos:oauth:grant-type:mfa-totp")]
    MfaTotp,
    #[schema(rename = "urn:workos:oauth:grant-type:email-verification:code")]
    EmailVerification,
    #[schema(rename = "urn:workos:oauth:grant-type:organization-selection")]
    OrganizationSelection,
}

/// The grant type of `authenticateWithMagicAuth`.
const MAGIC_AUTH_GRANT: &str = "urn:workos:oauth:grant-type:magic-auth:code";
/// The grant type of `authenticateWithTotp`.
const MFA_TOTP_GRANT: &str = "urn:workos:oauth:grant-type:mfa-totp";
/// The grant type of `authenticateWithEmailVerification`.
const EMAIL_VERIFICATION_GRANT: &str = "urn:workos:oauth:grant-type:email-verification:code";
/// The grant type of `authenticateWithOrganizationSelection`.
const ORGANIZATION_SELECTION_GRANT: &str = "urn:workos:oauth:grant-type:organization-selection";

/// Every grant in one body; which fields a grant needs depends on `grant_type`.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct AuthenticateRequest {
    #[schema(value_type = GrantType, required = true)]
    grant_type: Option<String>,
    client_id: Option<String>,
    /// The API key, when not sent in the `Authorization` header; browser apps send neither and
    /// use only the public grants (`refresh_token`, `authorization_code` with `code_verifier`).
    client_secret: Option<String>,
    email: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
    code: Option<String>,
    code_verifier: Option<String>,
    pending_authentication_token: Option<String>,
    authentication_challenge_id: Option<String>,
    invitation_token: Option<String>,
    organization_id: Option<String>,
    ip_address: Option<String>,
    user_agent: Option<String>,
}

/// Signs a user in with a grant, or continues a sign-in that needed another step.
#[utoipa::path(
    post,
    path = "/user_management/authenticate",
    tag = "authentication",
    operation_id = "authenticate",
    security((), ("api_key" = [])),
    request_body = Option<AuthenticateRequest>,
    responses((status = 200, description = "The user and their tokens.", body = AuthenticationResponse), AuthenticateErrors)
)]
/// The SDKs put the API key in `client_secret` as well as in the `Authorization` header.
/// Browser apps (authkit-js) hold no secret: they exchange codes with a PKCE verifier and
/// refresh with the refresh token, naming only their `client_id`.
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
    let secret = body.client_secret.clone().or(header_secret);
    let public_grant = matches!(body.grant_type.as_deref(), Some("refresh_token"))
        || (body.grant_type.as_deref() == Some("authorization_code") && body.code_verifier.is_some());
    let caller = match (&secret, body.client_id.as_deref()) {
        (Some(secret), _) => directory.authenticate_api_key(secret).await?,
        (None, Some(client_id)) if public_grant => directory.client_caller(client_id).await?,
        (None, _) => return Err(ApiError(AppError::Unauthenticated)),
    };
    if let (Some(asked), Some(own)) = (body.client_id.as_deref(), caller.client_id())
        && asked != own
    {
        return Err(
            AppError::invalid("client_id", "client_id_mismatch", "client_id does not belong to this API key.").into()
        );
    }
    let client_id = body.client_id.clone().or_else(|| caller.client_id().map(str::to_owned));
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
        Some("authorization_code") => Grant::AuthorizationCode {
            code: required(body.code, "code")?,
            code_verifier: body.code_verifier,
            confidential: secret.is_some(),
        },
        Some(MFA_TOTP_GRANT) => Grant::Totp {
            pending_authentication_token: required(body.pending_authentication_token, "pending_authentication_token")?,
            authentication_challenge_id: required(body.authentication_challenge_id, "authentication_challenge_id")?,
            code: required(body.code, "code")?,
        },
        Some(EMAIL_VERIFICATION_GRANT) => Grant::EmailVerification {
            pending_authentication_token: required(body.pending_authentication_token, "pending_authentication_token")?,
            code: required(body.code, "code")?,
        },
        Some(ORGANIZATION_SELECTION_GRANT) => Grant::OrganizationSelection {
            pending_authentication_token: required(body.pending_authentication_token, "pending_authentication_token")?,
            organization_id: required(body.organization_id, "organization_id")?,
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
    let client = ClientContext { client_id, ip_address: body.ip_address, user_agent: body.user_agent };
    Ok(Json(directory.authenticate(&admin, grant, client).await?))
}

/// The keys that verify access tokens.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
struct Jwks {
    keys: Vec<Jwk>,
}

/// An RSA public key (RFC 7517).
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
struct Jwk {
    kty: String,
    #[serde(rename = "use")]
    key_use: String,
    alg: String,
    kid: String,
    n: String,
    e: String,
}

/// Public: the SDKs fetch it without credentials to verify access tokens.
#[utoipa::path(
    get,
    path = "/sso/jwks/{client_id}",
    tag = "authentication",
    operation_id = "getJwks",
    security(()),
    params(("client_id" = String, Path, description = "The application's client ID (any: one key set serves all).")),
    responses((status = 200, description = "The key set.", body = Jwks), ApiErrors)
)]
async fn jwks(directory: Dir, Path(_client_id): Path<String>) -> ApiResult<Json<Jwks>> {
    let keys = directory.jwks().await?;
    serde_json::from_value(keys).map(Json).map_err(|_| ApiError(AppError::Internal))
}
