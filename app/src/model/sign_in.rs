//! Signing in through several steps: the WorkOS step-up errors an application receives when a
//! first factor is not enough, and the hosted sign-in pages that walk a browser through them.

use crate::ids::{AuthenticationFactorId, EmailVerificationId, OrganizationId};
use crate::model::User;
use serde::{Deserialize, Serialize};

/// A factor a user may answer a challenge with, as step-up errors list them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorChoice {
    pub id: AuthenticationFactorId,
    #[serde(rename = "type")]
    pub kind: String,
}

/// An organization a user may finish signing in to.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationChoice {
    pub id: OrganizationId,
    pub name: String,
}

/// What a sign-in still needs after its first factor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NextStep {
    /// The user proves their email with the code just sent to it.
    EmailVerification { email_verification_id: EmailVerificationId },
    /// The user enrolls a TOTP factor, then answers its challenge.
    MfaEnrollment,
    /// The user answers a challenge of one of these factors.
    MfaChallenge { factors: Vec<FactorChoice> },
    /// The user picks which of their organizations to sign in to.
    OrganizationSelection { organizations: Vec<OrganizationChoice> },
}

impl NextStep {
    /// The WorkOS error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmailVerification { .. } => "email_verification_required",
            Self::MfaEnrollment => "mfa_enrollment",
            Self::MfaChallenge { .. } => "mfa_challenge",
            Self::OrganizationSelection { .. } => "organization_selection_required",
        }
    }

    /// The hosted page that asks for this step.
    pub fn hosted_page(&self) -> &'static str {
        match self {
            Self::EmailVerification { .. } => "/verify-email",
            Self::MfaEnrollment => "/mfa/enroll",
            Self::MfaChallenge { .. } => "/mfa/challenge",
            Self::OrganizationSelection { .. } => "/choose-organization",
        }
    }

    /// The WorkOS error message.
    pub fn message(&self) -> &'static str {
        match self {
            Self::EmailVerification { .. } => "Email ownership must be verified before authentication.",
            Self::MfaEnrollment => "The user must enroll in MFA to finish authenticating.",
            Self::MfaChallenge { .. } => "The user must complete an MFA challenge to finish authenticating.",
            Self::OrganizationSelection { .. } => {
                "The user must choose an organization to finish their authentication."
            }
        }
    }
}

/// A sign-in that proved its first factor and needs one more step: the pending token
/// continues it (once, within ten minutes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepUp {
    pub pending_authentication_token: String,
    pub user: User,
    pub next: NextStep,
}

/// A sign-in through the hosted pages, as they show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostedFlow {
    /// `None` for the dashboard's own sign-in.
    pub id: Option<String>,
    /// Where the flow stands.
    pub stage: HostedStage,
    /// The email to pre-fill.
    pub login_hint: Option<String>,
    pub password_enabled: bool,
    pub magic_code_enabled: bool,
    pub sign_up_enabled: bool,
    /// The organization an invitation brought the person to, when there is one.
    pub invited_to: Option<String>,
}

/// The page a hosted sign-in is on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostedStage {
    /// Nobody proved who they are yet.
    SignIn,
    /// A code went to this email.
    VerifyEmail { email: String },
    /// A TOTP key to add to an authenticator app, not yet confirmed.
    EnrollTotp { secret: String, uri: String, qr_code: String },
    /// A code from the user's authenticator app is needed.
    ChallengeTotp,
    /// The user picks one of these organizations.
    ChooseOrganization { organizations: Vec<OrganizationChoice> },
}

impl HostedStage {
    /// The hosted page that shows this stage.
    pub fn page(&self) -> &'static str {
        match self {
            Self::SignIn => "/sign-in",
            Self::VerifyEmail { .. } => "/verify-email",
            Self::EnrollTotp { .. } => "/mfa/enroll",
            Self::ChallengeTotp => "/mfa/challenge",
            Self::ChooseOrganization { .. } => "/choose-organization",
        }
    }
}

/// What a person typed on a hosted page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostedInput {
    Password { email: String, password: String },
    SignUp { email: String, password: String, first_name: String, last_name: String },
    MagicCode { email: String, code: String },
    EmailCode { code: String },
    Totp { code: String },
    Organization { organization_id: String },
}

/// Where a hosted page sends the browser next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostedNext {
    /// To another hosted page (a path with its `flow`).
    Page(String),
    /// Back to the application, with the authorization code.
    App(String),
    /// Into the dashboard: the new session's cookie token.
    Dashboard(String),
}

/// The query of `GET /user_management/authorize`, as the SDKs and authkit-js send it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(default)]
pub struct AuthorizeRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub provider: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub screen_hint: Option<String>,
    pub login_hint: Option<String>,
    pub organization_id: Option<String>,
    pub domain_hint: Option<String>,
    pub invitation_token: Option<String>,
    pub connection_id: Option<String>,
}
