//! Signing in through several steps. Once a user proved a first factor (password, magic code),
//! the environment may want more before a session starts: a verified email, a second factor,
//! a choice of organization. Each is asked for with a pending token that continues the sign-in
//! once, within ten minutes; the REST API answers with the WorkOS step-up errors, the hosted
//! pages show the step's page. The rules are here, once, for both.

use super::{Core, secret_hash};
use crate::store::api::{self, PendingRow};
use crate::store::directory as db;
use crate::store::{Connection, commit, now_ms};
use app::directory::{Admin, AuthFactors, ClientContext, Codes};
use app::error::AppError;
use app::ids::*;
use app::model::*;
use base64::Engine;
use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};

/// How long a pending sign-in can be continued.
const PENDING_LIFETIME_MS: i64 = 10 * 60_000;
/// How long an authorization code can be exchanged.
pub(crate) const AUTHORIZATION_CODE_LIFETIME_MS: i64 = 10 * 60_000;

/// Who may continue a pending sign-in: the dashboard, or an application through a grant of
/// the whole environment or of one organization (the grant that started it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Audience {
    Dashboard,
    Environment,
    Organization(OrganizationId),
}

impl Audience {
    /// The audience of an application grant.
    pub(crate) fn of(admin: &Admin) -> Self {
        match admin.organization() {
            Some(organization) => Self::Organization(organization.clone()),
            None => Self::Environment,
        }
    }

    fn stored(&self) -> String {
        match self {
            Self::Dashboard => "dashboard".into(),
            Self::Environment => "environment".into(),
            Self::Organization(organization) => organization.to_string(),
        }
    }

    fn parse(stored: &str) -> Self {
        match stored {
            "dashboard" => Self::Dashboard,
            "environment" => Self::Environment,
            organization => Self::Organization(OrganizationId::from_trusted(organization.to_owned())),
        }
    }
}

/// A sign-in whose user proved who they are, on its way to a session.
#[derive(Clone, Debug)]
pub(crate) struct Proven {
    pub user: UserId,
    pub method: AuthMethod,
    /// An invitation to accept when the session starts.
    pub invitation_token: Option<String>,
    /// The organization asked for (by the app, or chosen on the way).
    pub organization: Option<OrganizationId>,
    pub mfa_verified: bool,
    pub audience: Audience,
}

impl Proven {
    /// A sign-in that just proved its first factor.
    pub(crate) fn first_factor(
        user: UserId,
        method: AuthMethod,
        invitation_token: Option<String>,
        audience: Audience,
    ) -> Self {
        Self { user, method, invitation_token, organization: None, mfa_verified: false, audience }
    }
}

/// A pending sign-in, read back from its token.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    id: String,
    pub proven: Proven,
    pub next: NextStep,
}

/// What continues a pending sign-in through the REST API.
pub(crate) enum StepAnswer<'a> {
    Totp { challenge: &'a str, code: &'a str },
    EmailCode(&'a str),
    Organization(&'a str),
}

/// The one answer to a pending token that is unknown, used, expired or another audience's.
fn dead_pending_token() -> AppError {
    AppError::InvalidGrant("The pending authentication token is invalid, expired or used.".into())
}

/// The PKCE challenge (S256) of a verifier: base64url of its SHA-256, without padding.
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Core {
    /// The step a proven sign-in still needs, if any; asking for email verification sends
    /// its code.
    pub(crate) async fn next_step(&self, tx: &mut Connection, proven: &Proven) -> Result<Option<NextStep>, AppError> {
        let settings = self.environment(tx).await?;
        let user = db::find_user(tx, &proven.user).await?.ok_or(AppError::InvalidCredentials)?;
        let dashboard = proven.audience == Audience::Dashboard;
        if !dashboard && settings.email_verification_required && !user.email_verified {
            let code = Self::issue_email_verification_in(tx, &user).await?;
            let email_verification_id = EmailVerificationId::from_trusted(code.id);
            return Ok(Some(NextStep::EmailVerification { email_verification_id }));
        }
        if !proven.mfa_verified {
            let factors = db::all_factors_of(tx, &proven.user).await?;
            // The dashboard always asks users who enrolled a factor.
            let asks_enrolled = dashboard || settings.mfa != MfaPolicy::Off;
            if asks_enrolled && !factors.is_empty() {
                let factors = factors
                    .into_iter()
                    .map(|factor| FactorChoice {
                        id: AuthenticationFactorId::from_trusted(factor.id),
                        kind: factor.kind,
                    })
                    .collect();
                return Ok(Some(NextStep::MfaChallenge { factors }));
            }
            let required = match dashboard {
                true => settings.platform_admin_mfa_required && db::is_platform_admin(tx, &proven.user).await?,
                false => settings.mfa == MfaPolicy::Required,
            };
            if required {
                return Ok(Some(NextStep::MfaEnrollment));
            }
        }
        // An environment grant signs a member of several organizations in to one they pick;
        // an organization grant signs them in to its own.
        if proven.audience == Audience::Environment
            && proven.invitation_token.is_none()
            && proven.organization.is_none()
        {
            let memberships = db::active_memberships_of(tx, &proven.user).await?;
            if memberships.len() > 1 {
                let mut organizations = Vec::with_capacity(memberships.len());
                for membership in &memberships {
                    if let Some(organization) = db::find_organization(tx, &membership.organization_id).await? {
                        organizations.push(OrganizationChoice { id: organization.id, name: organization.name });
                    }
                }
                return Ok(Some(NextStep::OrganizationSelection { organizations }));
            }
        }
        Ok(None)
    }

    /// Keeps a sign-in that needs `next`; the answer carries its pending token.
    pub(crate) async fn pend(&self, tx: &mut Connection, proven: &Proven, next: NextStep) -> Result<StepUp, AppError> {
        let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 43);
        let now = now_ms();
        let row = PendingRow {
            id: Alphanumeric.sample_string(&mut rand::thread_rng(), 26),
            user_id: proven.user.to_string(),
            audience: proven.audience.stored(),
            method: proven.method.as_str().into(),
            invitation_token: proven.invitation_token.clone(),
            organization_id: proven.organization.as_ref().map(ToString::to_string),
            mfa_verified: i64::from(proven.mfa_verified),
            next_step: serde_json::to_string(&next).map_err(|_| AppError::Internal)?,
            expires_at: now + PENDING_LIFETIME_MS,
            used_at: None,
            created_at: now,
        };
        api::insert_pending(tx, &row, &secret_hash(&token)).await?;
        let user = db::find_user(tx, &proven.user).await?.ok_or(AppError::Internal)?;
        Ok(StepUp { pending_authentication_token: token, user, next })
    }

    /// Reads a live pending sign-in of this audience, without spending it.
    pub(crate) async fn pending(conn: &mut Connection, token: &str, audience: &Audience) -> Result<Pending, AppError> {
        let row = api::find_pending(conn, &secret_hash(token.trim())).await?.ok_or_else(dead_pending_token)?;
        if row.used_at.is_some() || row.expires_at <= now_ms() || Audience::parse(&row.audience) != *audience {
            return Err(dead_pending_token());
        }
        let next = serde_json::from_str(&row.next_step).map_err(|error| {
            tracing::error!(%error, "a stored pending step does not read");
            AppError::Internal
        })?;
        let proven = Proven {
            user: UserId::from_trusted(row.user_id),
            method: AuthMethod::parse(&row.method),
            invitation_token: row.invitation_token,
            organization: row.organization_id.map(OrganizationId::from_trusted),
            mfa_verified: row.mfa_verified != 0,
            audience: Audience::parse(&row.audience),
        };
        Ok(Pending { id: row.id, proven, next })
    }

    /// Spends a pending sign-in; refused when another request spent it first.
    pub(crate) async fn spend_pending(tx: &mut Connection, pending: &Pending) -> Result<(), AppError> {
        match api::use_pending(tx, &pending.id, now_ms()).await? {
            true => Ok(()),
            false => Err(dead_pending_token()),
        }
    }

    /// Continues a pending sign-in with the answer to its step. A wrong answer leaves the
    /// token usable, so the user can try again (within the step's own guess limits).
    pub(crate) async fn continue_grant(
        &self,
        admin: &Admin,
        token: &str,
        answer: StepAnswer<'_>,
        client: ClientContext,
    ) -> Result<AuthenticationResponse, AppError> {
        let pending = Self::pending(&mut *self.store.read().await?, token, &Audience::of(admin)).await?;
        let mut proven = pending.proven.clone();
        match (answer, &pending.next) {
            (StepAnswer::Totp { challenge, code }, NextStep::MfaChallenge { .. } | NextStep::MfaEnrollment) => {
                let wrong = || AppError::InvalidGrant("The TOTP code is wrong, expired or was used already.".into());
                let challenge = AuthenticationChallengeId::parse(challenge).ok_or_else(wrong)?;
                self.require_challenge_of(&challenge, &proven.user).await.map_err(|_| wrong())?;
                let verification =
                    self.verify_challenge(admin, &challenge, code).await.map_err(|error| match error {
                        AppError::RateLimited { .. } => error,
                        _ => wrong(),
                    })?;
                if !verification.valid {
                    return Err(wrong());
                }
                proven.mfa_verified = true;
            }
            (StepAnswer::EmailCode(code), NextStep::EmailVerification { .. }) => {
                self.verify_email(admin, &proven.user, code).await.map_err(|error| match error {
                    AppError::Validation(_) => AppError::InvalidGrant("The code is wrong or has expired.".into()),
                    other => other,
                })?;
            }
            (StepAnswer::Organization(wanted), NextStep::OrganizationSelection { organizations }) => {
                let chosen =
                    organizations.iter().find(|choice| choice.id.as_str() == wanted.trim()).ok_or_else(|| {
                        AppError::InvalidGrant("The user is not an active member of that organization.".into())
                    })?;
                proven.organization = Some(chosen.id.clone());
            }
            _ => {
                return Err(AppError::InvalidGrant(format!(
                    "This pending authentication token is waiting for another step ({}).",
                    pending.next.code()
                )));
            }
        }
        self.sign_in_proven(admin, proven, client, Some(&pending)).await
    }

    /// Refuses a challenge that is not of one of this user's factors.
    async fn require_challenge_of(&self, challenge: &AuthenticationChallengeId, user: &UserId) -> Result<(), AppError> {
        let mut conn = self.store.read().await?;
        let found = db::find_challenge(&mut conn, challenge).await?.ok_or_else(|| AppError::not_found("Challenge"))?;
        let factor = AuthenticationFactorId::from_trusted(found.factor_id);
        let owner = db::find_factor(&mut conn, &factor).await?.and_then(|factor| factor.user_id);
        match owner {
            Some(owner) if owner == user.as_str() => Ok(()),
            _ => Err(AppError::not_found("Challenge")),
        }
    }

    /// Exchanges an authorization code from the hosted pages for a session: once, by the
    /// client it was issued to, before it expires, with the PKCE verifier when it was issued
    /// with a challenge and with the client's secret otherwise.
    pub(crate) async fn code_grant(
        &self,
        admin: &Admin,
        code: &str,
        verifier: Option<&str>,
        confidential: bool,
        client: ClientContext,
    ) -> Result<AuthenticationResponse, AppError> {
        let invalid = |why: &str| AppError::InvalidGrant(why.to_owned());
        let dead = || invalid("The code is invalid, expired or was used already.");
        let hash = secret_hash(code.trim());
        let key = self.signing_key().await?;
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let row = api::find_authorization_code(&mut tx, &hash).await?.ok_or_else(dead)?;
        if row.used_at.is_some() || row.expires_at <= now {
            return Err(dead());
        }
        if client.client_id.as_deref() != Some(row.client_id.as_str()) {
            return Err(invalid("The code was issued to another client."));
        }
        match (&row.code_challenge, verifier.map(str::trim)) {
            (Some(challenge), Some(verifier))
                if (43..=128).contains(&verifier.len()) && pkce_challenge(verifier) == *challenge => {}
            (Some(_), _) => return Err(invalid("The code_verifier does not match the code_challenge.")),
            (None, _) if confidential => {}
            (None, _) => return Err(invalid("This code was issued without a code_challenge: send the client_secret.")),
        }
        if !api::use_authorization_code(&mut tx, &hash, now).await? {
            return Err(dead());
        }
        let proven = Proven {
            user: UserId::from_trusted(row.user_id),
            method: AuthMethod::parse(&row.method),
            invitation_token: row.invitation_token,
            organization: row.organization_id.map(OrganizationId::from_trusted),
            mfa_verified: true,
            audience: Audience::of(admin),
        };
        let signed_in = self.start_session(&mut tx, admin, &proven, client).await?;
        commit(tx).await?;
        signed_in.sign(&key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_base64url_of_sha256() {
        // Computed independently: base64.urlsafe_b64encode(hashlib.sha256(verifier)) in Python.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU-p1r_wW1gFWFOEjXk"),
            "BVssKVe4sicHqgUSz4e9s_AGurvRGP_YowgjD7kExac"
        );
    }

    #[test]
    fn audiences_read_back_as_stored() {
        let organization = OrganizationId::generate();
        for audience in [Audience::Dashboard, Audience::Environment, Audience::Organization(organization)] {
            assert_eq!(Audience::parse(&audience.stored()), audience);
        }
    }
}
