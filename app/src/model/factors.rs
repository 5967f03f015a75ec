//! Authentication factors (TOTP apps) and their challenges, in the WorkOS wire shape that
//! `userManagement.enrollAuthFactor` / `listAuthFactors` and the `mfa` module read.

use crate::ids::*;
use serde::{Deserialize, Serialize};

/// The kinds of authentication factor Roster enrolls.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorType {
    /// A time-based one-time password app (RFC 6238).
    Totp,
}

/// A second factor a user (or an application, through the standalone MFA API) proves
/// possession of.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "authentication_factor")]
pub struct AuthenticationFactor {
    pub id: AuthenticationFactorId,
    #[serde(rename = "type")]
    pub kind: FactorType,
    pub totp: TotpFactor,
    /// The user the factor belongs to; `None` for factors enrolled through the standalone
    /// MFA API, which belong to the application.
    pub user_id: Option<UserId>,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// A TOTP factor's details. The secret, its URI and QR code are sent once, in the answer to
/// the enrollment, and never again.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TotpFactor {
    pub issuer: String,
    pub user: String,
    /// The `otpauth://` URI as a QR code, as a `data:image/png;base64,…` URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    /// The shared key, base32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The `otpauth://totp/…` URI authenticator apps read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

/// A request to prove a factor: verified once, with a code, before it expires.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "authentication_challenge")]
pub struct AuthenticationChallenge {
    pub id: AuthenticationChallengeId,
    pub authentication_factor_id: AuthenticationFactorId,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub expires_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// The answer to enrolling a user's factor: the factor with its secret, and a first challenge.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrolledFactor {
    pub authentication_factor: AuthenticationFactor,
    pub authentication_challenge: AuthenticationChallenge,
}

/// The answer to verifying a challenge: a wrong code is `valid: false`, not an error.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChallengeVerification {
    pub challenge: AuthenticationChallenge,
    pub valid: bool,
}
