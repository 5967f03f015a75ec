//! Application sign-in over the REST API: the password and refresh-token grants, sessions,
//! and the one-time codes of email verification, password reset and magic auth.

use super::tokens::SigningKey;
use super::{Core, checked_page, password, record, validate};
use crate::store::api::{self, CodePurpose, CodeRow};
use crate::store::directory::{self as db, SessionRow};
use crate::store::{Connection, internal, iso, now_ms};
use app::directory::{Admin, Authentication, ClientContext, Grant, Jwks};
use app::error::AppError;
use app::ids::*;
use app::model::*;
use async_trait::async_trait;
use rand::Rng;
use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};

/// A limit on attempts within a fixed window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// What the bucket is for, as its key's prefix.
    pub name: &'static str,
    pub attempts: i64,
    pub window_ms: i64,
}

/// Password sign-ins per email.
pub const PASSWORD_LIMIT: Limit = Limit { name: "password", attempts: 10, window_ms: 60_000 };
/// Failed sign-ins per client address, against password spraying across many emails.
pub const ADDRESS_LIMIT: Limit = Limit { name: "address", attempts: 30, window_ms: 60_000 };
/// Magic-auth code sign-ins per email.
pub const MAGIC_AUTH_LIMIT: Limit = Limit { name: "magic_auth", attempts: 10, window_ms: 60_000 };
/// Magic-auth codes issued per email.
pub const MAGIC_AUTH_ISSUE_LIMIT: Limit = Limit { name: "magic_auth_issue", attempts: 5, window_ms: 10 * 60_000 };
/// Wrong guesses after which a one-time code is dead.
pub const MAX_CODE_FAILURES: i64 = 5;

const EMAIL_VERIFICATION_MS: i64 = 24 * 3600 * 1000;
const PASSWORD_RESET_MS: i64 = 30 * 60 * 1000;
const MAGIC_AUTH_MS: i64 = 10 * 60 * 1000;

/// Which password attempts count against the per-email limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttemptPolicy {
    /// Every attempt, as the REST API promises.
    Every,
    /// Only wrong passwords: people signing in to the dashboard again and again are fine.
    FailuresOnly,
}

/// A password to check, and what it is checked for.
pub(crate) struct PasswordAttempt<'a> {
    pub email: &'a str,
    pub password: String,
    pub policy: AttemptPolicy,
    /// Where the attempt comes from, for the per-address limit.
    pub client_address: Option<&'a str>,
    /// The grant of the application asking, if any: an organization's grant cannot sign in,
    /// nor use up the attempts of, users it does not see.
    pub grant: Option<&'a Admin>,
}

/// A user whose identity was just proven, and how.
struct SignIn<'a> {
    user: &'a UserId,
    method: AuthMethod,
    /// An invitation to accept while signing in.
    invitation_token: Option<&'a str>,
    client: ClientContext,
}

/// The roles and permissions an access token carries for its organization.
struct OrganizationGrant {
    organization: OrganizationId,
    roles: Vec<String>,
    permissions: Vec<String>,
}

/// A user whose password was just checked.
pub(crate) struct VerifiedUser {
    pub id: UserId,
    pub is_platform_admin: bool,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn six_digits() -> String {
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

/// A slot taken from a rate-limit bucket, to give back if the attempt turns out not to count.
pub(crate) struct Reservation {
    bucket: String,
}

impl Limit {
    fn bucket(&self, key: &str) -> String {
        format!("{}:{key}", self.name)
    }

    /// Takes one of the window's slots for `key`, or refuses the attempt once they are spent.
    /// The count is one atomic upsert, so parallel attempts cannot all pass a check first.
    pub(crate) async fn reserve(&self, conn: &mut Connection, key: &str, now: i64) -> Result<Reservation, AppError> {
        let bucket = self.bucket(key);
        let (attempts, window_start) = api::count_attempt(conn, &bucket, now, self.window_ms).await?;
        if attempts > self.attempts {
            let retry_after_seconds = ((window_start + self.window_ms - now + 999) / 1000).max(1) as u64;
            return Err(AppError::RateLimited { retry_after_seconds });
        }
        Ok(Reservation { bucket })
    }
}

impl Reservation {
    /// Gives the slot back: the attempt succeeded, and only failures count.
    pub(crate) async fn release(self, conn: &mut Connection) -> Result<(), AppError> {
        api::release_attempt(conn, &self.bucket).await
    }
}

impl Core {
    /// Checks an email and password within the attempt limits kept in the store (so every
    /// replica counts the same attempts). Each attempt reserves its slots before the hash is
    /// verified. A stale hash is replaced on success.
    pub(crate) async fn check_password(&self, attempt: PasswordAttempt<'_>) -> Result<VerifiedUser, AppError> {
        // A malformed email fails like a wrong one, after the same work.
        let email = validate::email("email", attempt.email).unwrap_or_default();
        let now = now_ms();
        let mut conn = self.store.read().await?;
        let mut credentials = db::find_credentials_by_email(&mut conn, &email).await?;
        // A user out of the grant's reach is, to that grant, no user at all: it neither signs
        // them in nor spends their attempts.
        let mut counts_for_email = true;
        if let (Some(grant), Some(found)) = (attempt.grant, &credentials)
            && !grant.sees_user(&db::user_standing(&mut conn, &UserId::from_trusted(found.id.clone())).await?)
        {
            credentials = None;
            counts_for_email = false;
        }
        let address = match attempt.client_address {
            Some(address) => Some(ADDRESS_LIMIT.reserve(&mut conn, address, now).await?),
            None => None,
        };
        let email_slot = match counts_for_email {
            true => match PASSWORD_LIMIT.reserve(&mut conn, &email, now).await {
                Ok(slot) => Some(slot),
                Err(refused) => {
                    // Refused before any guess was evaluated: not a failure of this address.
                    if let Some(address) = address {
                        address.release(&mut conn).await?;
                    }
                    return Err(refused);
                }
            },
            false => None,
        };
        drop(conn);

        let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
        if !password::verify(attempt.password.clone(), hash.clone()).await {
            let mut tx = self.store.begin().await?;
            record(&mut tx, "authentication.password_failed", None, &serde_json::json!({ "email": email })).await?;
            tx.commit().await.map_err(internal)?;
            return Err(AppError::InvalidCredentials);
        }
        let credentials = credentials.ok_or(AppError::InvalidCredentials)?;
        let id = UserId::from_trusted(credentials.id);
        let mut conn = self.store.read().await?;
        if let Some(address) = address {
            address.release(&mut conn).await?;
        }
        if let (Some(slot), AttemptPolicy::FailuresOnly) = (email_slot, attempt.policy) {
            slot.release(&mut conn).await?;
        }
        drop(conn);
        if hash.as_deref().is_some_and(|hash| !password::is_current(hash)) {
            let fresh = password::hash(attempt.password).await?;
            let mut tx = self.store.begin().await?;
            db::set_password_hash(&mut tx, &id, &fresh, now_ms()).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
        }
        Ok(VerifiedUser { id, is_platform_admin: credentials.is_platform_admin != 0 })
    }

    /// What an access token grants in one organization.
    async fn grant_of(
        conn: &mut Connection,
        membership: &OrganizationMembership,
    ) -> Result<OrganizationGrant, AppError> {
        let roles: Vec<String> = membership.roles.iter().map(|r| r.slug.clone()).collect();
        let mut permissions: Vec<String> = db::list_roles(conn, Some(&membership.organization_id))
            .await?
            .into_iter()
            .filter(|role| roles.contains(&role.slug))
            .flat_map(|role| role.permissions)
            .collect();
        permissions.sort();
        permissions.dedup();
        Ok(OrganizationGrant { organization: membership.organization_id.clone(), roles, permissions })
    }

    /// What an access token grants a user in an organization, from an active membership.
    async fn grant_in(
        conn: &mut Connection,
        user: &UserId,
        organization: &OrganizationId,
    ) -> Result<Option<OrganizationGrant>, AppError> {
        match db::find_membership_of(conn, organization, user).await? {
            Some(membership) if membership.status == MembershipStatus::Active => {
                Self::grant_of(conn, &membership).await.map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Issues a refresh token and an access token for a session.
    ///
    /// The signing key is loaded by the caller before its transaction: loading it may write.
    async fn issue_tokens(
        &self,
        key: &SigningKey,
        conn: &mut Connection,
        session: &SessionRow,
        grant: Option<&OrganizationGrant>,
    ) -> Result<(String, String), AppError> {
        let refresh_token = Alphanumeric.sample_string(&mut rand::thread_rng(), 43);
        let session_id = SessionId::from_trusted(session.id.clone());
        api::insert_refresh_token(conn, &token_hash(&refresh_token), &session_id, session.expires_at, now_ms())
            .await
            .map_err(internal)?;
        let claims = self.access_claims(
            &session.user_id,
            &session.id,
            session.created_at,
            grant.map(|grant| grant.organization.as_str()),
            grant.map(|grant| grant.roles.clone()).unwrap_or_default(),
            grant.map(|grant| grant.permissions.clone()).unwrap_or_default(),
        );
        let access_token = key.sign(&claims)?;
        Ok((access_token, refresh_token))
    }

    async fn password_grant(
        &self,
        admin: &Admin,
        email: &str,
        password: String,
        invitation_token: Option<&str>,
        client: ClientContext,
    ) -> Result<AuthenticationResponse, AppError> {
        let attempt = PasswordAttempt {
            email,
            password,
            policy: AttemptPolicy::Every,
            client_address: client.ip_address.as_deref(),
            grant: Some(admin),
        };
        let verified = self.check_password(attempt).await?;
        let key = self.signing_key().await?;
        let mut tx = self.store.begin().await?;
        let sign_in = SignIn { user: &verified.id, method: AuthMethod::Password, invitation_token, client };
        let signed_in = self.start_session(&mut tx, &key, admin, sign_in).await?;
        tx.commit().await.map_err(internal)?;
        Ok(signed_in)
    }

    /// Signs in with the code of a magic auth, which proves the email is the user's; the code
    /// works once, and attempts count against a per-email limit like passwords.
    async fn magic_auth_grant(
        &self,
        admin: &Admin,
        email: &str,
        code: &str,
        invitation_token: Option<&str>,
        client: ClientContext,
    ) -> Result<AuthenticationResponse, AppError> {
        let invalid = || AppError::InvalidGrant("The code is wrong or has expired.".into());
        let email = validate::email("email", email).unwrap_or_default();
        let now = now_ms();
        let user = {
            let mut conn = self.store.read().await?;
            let found = db::find_credentials_by_email(&mut conn, &email).await?.map(|c| UserId::from_trusted(c.id));
            let Some(user) = found else { return Err(invalid()) };
            // Users out of the grant's reach neither sign in nor spend their attempts.
            if !admin.sees_user(&db::user_standing(&mut conn, &user).await?) {
                return Err(invalid());
            }
            MAGIC_AUTH_LIMIT.reserve(&mut conn, &email, now).await?;
            user
        };
        let key = self.signing_key().await?;
        let mut tx = self.store.begin().await?;
        let code = api::find_live_code(
            &mut tx,
            CodePurpose::MagicAuth,
            code.trim(),
            Some(user.as_str()),
            MAX_CODE_FAILURES,
            now,
        )
        .await?;
        let Some(code) = code else {
            api::count_code_failure(&mut tx, CodePurpose::MagicAuth, user.as_str(), now).await.map_err(internal)?;
            record(&mut tx, "authentication.magic_auth_failed", None, &serde_json::json!({ "email": email })).await?;
            tx.commit().await.map_err(internal)?;
            return Err(invalid());
        };
        // Two requests racing with one code: only the first consumes it.
        if !api::consume_code(&mut tx, &code.id, now).await.map_err(internal)? {
            return Err(invalid());
        }
        Self::mark_email_verified(&mut tx, &user, now).await?;
        let sign_in = SignIn { user: &user, method: AuthMethod::MagicCode, invitation_token, client };
        let signed_in = self.start_session(&mut tx, &key, admin, sign_in).await?;
        tx.commit().await.map_err(internal)?;
        Ok(signed_in)
    }

    /// Records that a user proved they own their email, once; returns the user as it is now.
    async fn mark_email_verified(tx: &mut Connection, user: &UserId, now: i64) -> Result<User, AppError> {
        let mut found = db::find_user(tx, user).await?.ok_or(AppError::Internal)?;
        if found.email_verified {
            return Ok(found);
        }
        found.email_verified = true;
        db::update_user(tx, &found, now).await.map_err(internal)?;
        let updated = db::find_user(tx, user).await?.ok_or(AppError::Internal)?;
        record(tx, "user.updated", None, &updated).await?;
        Ok(updated)
    }

    /// Starts a session for a user whose identity was just proven, accepting the invitation
    /// they brought, and issues its tokens.
    async fn start_session(
        &self,
        tx: &mut Connection,
        key: &SigningKey,
        admin: &Admin,
        sign_in: SignIn<'_>,
    ) -> Result<AuthenticationResponse, AppError> {
        let SignIn { user, method, invitation_token, client } = sign_in;
        let found = db::find_user(tx, user).await?.ok_or(AppError::InvalidCredentials)?;
        let invited_to = match invitation_token {
            Some(token) => {
                let invitation = Self::invitation_for_sign_in(tx, admin, token, &found.email).await?;
                self.accept_in(tx, invitation, user.clone()).await?.organization_id
            }
            None => None,
        };
        let memberships = db::active_memberships_of(tx, user).await?;
        // The session belongs to the organization the user was just invited to, if any. Else
        // an organization key signs users in to its organization only, and an environment
        // key picks the user's organization when there is exactly one.
        let membership = match (&invited_to, admin.organization()) {
            (Some(invited_to), _) => memberships.iter().find(|m| &m.organization_id == invited_to),
            (None, Some(own)) => {
                Some(memberships.iter().find(|m| &m.organization_id == own).ok_or(AppError::InvalidCredentials)?)
            }
            (None, None) if memberships.len() == 1 => memberships.first(),
            (None, None) => None,
        };
        let grant = match membership {
            Some(membership) => Some(Self::grant_of(tx, membership).await?),
            None => None,
        };
        let organization = grant.as_ref().map(|grant| grant.organization.clone());
        let now = now_ms();
        let session = SessionRow {
            id: SessionId::generate().to_string(),
            user_id: user.to_string(),
            organization_id: organization.as_ref().map(ToString::to_string),
            auth_method: method.as_str().into(),
            ip_address: client.ip_address,
            user_agent: client.user_agent,
            expires_at: now + self.settings.session_lifetime.as_millis() as i64,
            ended_at: None,
            created_at: now,
            updated_at: now,
        };
        // API sessions have no cookie; a random hash keeps the column unique.
        let unused_cookie = token_hash(&Alphanumeric.sample_string(&mut rand::thread_rng(), 43));
        db::insert_session(tx, &session, &unused_cookie).await.map_err(internal)?;
        db::touch_last_sign_in(tx, user, now).await.map_err(internal)?;
        let (access_token, refresh_token) = self.issue_tokens(key, tx, &session, grant.as_ref()).await?;
        record(tx, "session.created", organization.as_ref(), &session.clone().into_session(now)).await?;
        let event = match method {
            AuthMethod::MagicCode => "authentication.magic_auth_succeeded",
            AuthMethod::Password | AuthMethod::Unknown => "authentication.password_succeeded",
        };
        record(tx, event, organization.as_ref(), &serde_json::json!({ "user_id": user })).await?;
        let user = User { last_sign_in_at: Some(iso(now)), ..found };
        Ok(AuthenticationResponse {
            user,
            organization_id: organization,
            access_token,
            refresh_token,
            authentication_method: method.response_name().into(),
        })
    }

    async fn refresh_grant(
        &self,
        admin: &Admin,
        refresh_token: &str,
        wanted: Option<OrganizationId>,
    ) -> Result<AuthenticationResponse, AppError> {
        let invalid = || AppError::InvalidGrant("The refresh token is invalid, expired or revoked.".into());
        let hash = token_hash(refresh_token);
        let key = self.signing_key().await?;
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let token = api::find_refresh_token(&mut tx, &hash).await?.ok_or_else(invalid)?;
        if token.used_at.is_some() {
            // A spent token presented again means it leaked: whoever holds the live one may be
            // the thief, so the whole session ends.
            let session = SessionId::from_trusted(token.session_id.clone());
            db::end_session(&mut tx, &session, now).await.map_err(internal)?;
            record(
                &mut tx,
                "session.revoked",
                None,
                &serde_json::json!({ "id": session, "reason": "refresh_token_reused" }),
            )
            .await?;
            tx.commit().await.map_err(internal)?;
            return Err(invalid());
        }
        if token.expires_at <= now {
            return Err(invalid());
        }
        let session =
            db::find_session(&mut tx, &SessionId::from_trusted(token.session_id.clone())).await?.ok_or_else(invalid)?;
        if session.ended_at.is_some() || session.expires_at <= now {
            return Err(invalid());
        }
        let user_id = UserId::from_trusted(session.user_id.clone());
        let grant = match wanted.or_else(|| session.organization_id.clone().map(OrganizationId::from_trusted)) {
            Some(organization) => {
                let grant = if admin.reaches(&organization) {
                    Self::grant_in(&mut tx, &user_id, &organization).await?
                } else {
                    None
                };
                Some(grant.ok_or_else(|| {
                    AppError::InvalidGrant("The user is not an active member of that organization.".into())
                })?)
            }
            None => None,
        };
        let organization = grant.as_ref().map(|grant| grant.organization.clone());
        if !api::use_refresh_token(&mut tx, &hash, now).await.map_err(internal)? {
            // Another request spent it in the meantime; the next reuse ends the session.
            return Err(invalid());
        }
        let session_id = SessionId::from_trusted(session.id.clone());
        if let Some(organization) = &organization {
            db::set_session_organization(&mut tx, &session_id, organization, now).await.map_err(internal)?;
        }
        let user = db::find_user(&mut tx, &user_id).await?.ok_or_else(invalid)?;
        let (access_token, refresh_token) = self.issue_tokens(&key, &mut tx, &session, grant.as_ref()).await?;
        tx.commit().await.map_err(internal)?;
        Ok(AuthenticationResponse {
            user,
            organization_id: organization,
            access_token,
            refresh_token,
            authentication_method: AuthMethod::parse(&session.auth_method).response_name().into(),
        })
    }

    /// Creates a one-time code for a user and queues the message that carries it.
    async fn issue_code(
        &self,
        purpose: CodePurpose,
        user: &User,
        secret: String,
        lifetime_ms: i64,
        message: (&str, String),
    ) -> Result<CodeRow, AppError> {
        let now = now_ms();
        let id = match purpose {
            CodePurpose::EmailVerification => EmailVerificationId::generate().to_string(),
            CodePurpose::PasswordReset => PasswordResetId::generate().to_string(),
            CodePurpose::MagicAuth => MagicAuthId::generate().to_string(),
        };
        let row = CodeRow {
            id,
            user_id: user.id.to_string(),
            email: user.email.clone(),
            secret,
            consumed_at: None,
            expires_at: now + lifetime_ms,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        // A new code replaces the ones sent before: only the latest message works.
        api::consume_codes_of(&mut tx, purpose, &row.user_id, now).await.map_err(internal)?;
        api::insert_code(&mut tx, purpose, &row).await.map_err(internal)?;
        api::queue_message(&mut tx, &user.email, message.0, &message.1, now).await.map_err(internal)?;
        let event = match purpose {
            CodePurpose::EmailVerification => "email_verification.created",
            CodePurpose::PasswordReset => "password_reset.created",
            CodePurpose::MagicAuth => "magic_auth.created",
        };
        record(&mut tx, event, None, &serde_json::json!({ "id": row.id, "user_id": row.user_id, "email": row.email }))
            .await?;
        tx.commit().await.map_err(internal)?;
        Ok(row)
    }

    /// The user with this email, if the grant may issue them codes.
    async fn user_for_codes(&self, admin: &Admin, email: &str) -> Result<User, AppError> {
        let email = validate::email("email", email)?;
        let mut conn = self.store.read().await?;
        let credentials =
            db::find_credentials_by_email(&mut conn, &email).await?.ok_or_else(|| AppError::not_found("User"))?;
        Self::user_for_credentials(&mut conn, admin, &UserId::from_trusted(credentials.id)).await
    }

    /// Reads a code: it carries a secret, so only a grant that may manage its user's
    /// credentials sees it.
    async fn readable_code(
        &self,
        admin: &Admin,
        purpose: CodePurpose,
        id: &str,
        what: &str,
    ) -> Result<CodeRow, AppError> {
        let mut conn = self.store.read().await?;
        let row = api::find_code(&mut conn, purpose, id).await?.ok_or_else(|| AppError::not_found(what))?;
        Self::user_for_credentials(&mut conn, admin, &UserId::from_trusted(row.user_id.clone())).await.map_err(
            |error| match error {
                AppError::NotFound(_) => AppError::not_found(what),
                other => other,
            },
        )?;
        Ok(row)
    }

    fn password_reset(&self, row: CodeRow) -> PasswordReset {
        PasswordReset {
            password_reset_url: format!(
                "{}/reset-password?token={}",
                self.settings.public_url.trim_end_matches('/'),
                row.secret
            ),
            id: PasswordResetId::from_trusted(row.id),
            user_id: UserId::from_trusted(row.user_id),
            email: row.email,
            password_reset_token: row.secret,
            expires_at: iso(row.expires_at),
            created_at: iso(row.created_at),
        }
    }
}

fn magic_auth(row: CodeRow) -> MagicAuth {
    MagicAuth {
        id: MagicAuthId::from_trusted(row.id),
        user_id: UserId::from_trusted(row.user_id),
        email: row.email,
        expires_at: iso(row.expires_at),
        code: row.secret,
        created_at: iso(row.created_at),
        updated_at: iso(row.updated_at),
    }
}

#[async_trait]
impl Authentication for Core {
    async fn authenticate(
        &self,
        admin: &Admin,
        grant: Grant,
        client: ClientContext,
    ) -> Result<AuthenticationResponse, AppError> {
        match grant {
            Grant::Password { email, password, invitation_token } => {
                self.password_grant(admin, &email, password, invitation_token.as_deref(), client).await
            }
            Grant::RefreshToken { refresh_token, organization_id } => {
                self.refresh_grant(admin, &refresh_token, organization_id).await
            }
            Grant::MagicAuth { email, code, invitation_token } => {
                self.magic_auth_grant(admin, &email, &code, invitation_token.as_deref(), client).await
            }
        }
    }

    async fn jwks(&self) -> Result<Jwks, AppError> {
        Ok(serde_json::json!({ "keys": [self.signing_key().await?.jwk()] }))
    }

    async fn list_sessions(&self, admin: &Admin, user: &UserId, page: Page) -> Result<List<Session>, AppError> {
        let page = checked_page(page)?;
        let mut conn = self.store.read().await?;
        Self::reachable_user(&mut conn, admin, user).await?;
        // An organization's grant sees the sessions opened in that organization only.
        let rows = db::list_sessions(&mut conn, user, admin.visible(None).organization(), &page).await?;
        let now = now_ms();
        Ok(rows.map(|row| row.into_session(now)))
    }

    async fn revoke_session(&self, admin: &Admin, id: &SessionId) -> Result<(), AppError> {
        let not_found = || AppError::not_found("Session");
        let mut tx = self.store.begin().await?;
        let session = db::find_session(&mut tx, id).await?.ok_or_else(not_found)?;
        let organization = session.organization_id.clone().map(OrganizationId::from_trusted);
        admin.require_reach_of(organization.as_ref(), "Session")?;
        Self::user_for_credentials(&mut tx, admin, &UserId::from_trusted(session.user_id.clone())).await.map_err(
            |error| match error {
                AppError::NotFound(_) => not_found(),
                other => other,
            },
        )?;
        let now = now_ms();
        db::end_session(&mut tx, id, now).await.map_err(internal)?;
        let ended = db::find_session(&mut tx, id).await?.ok_or(AppError::Internal)?;
        record(&mut tx, "session.revoked", organization.as_ref(), &ended.into_session(now)).await?;
        tx.commit().await.map_err(internal)
    }

    async fn send_email_verification(&self, admin: &Admin, user: &UserId) -> Result<User, AppError> {
        let user = {
            let mut conn = self.store.read().await?;
            Self::user_for_credentials(&mut conn, admin, user).await?
        };
        let code = six_digits();
        let message = ("Verify your email", format!("Your verification code is {code}. It expires in 24 hours."));
        self.issue_code(CodePurpose::EmailVerification, &user, code, EMAIL_VERIFICATION_MS, message).await?;
        Ok(user)
    }

    async fn verify_email(&self, admin: &Admin, user: &UserId, code: &str) -> Result<User, AppError> {
        let mut tx = self.store.begin().await?;
        Self::user_for_credentials(&mut tx, admin, user).await?;
        let now = now_ms();
        let purpose = CodePurpose::EmailVerification;
        let found =
            api::find_live_code(&mut tx, purpose, code.trim(), Some(user.as_str()), MAX_CODE_FAILURES, now).await?;
        let consumed = match &found {
            Some(row) => api::consume_code(&mut tx, &row.id, now).await.map_err(internal)?,
            None => false,
        };
        if !consumed {
            // Six digits are guessable; five wrong tries kill the code.
            api::count_code_failure(&mut tx, purpose, user.as_str(), now).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            return Err(AppError::invalid(
                "code",
                "email_verification_code_invalid",
                "The code is wrong or has expired.",
            ));
        }
        let updated = Self::mark_email_verified(&mut tx, user, now).await?;
        record(&mut tx, "authentication.email_verification_succeeded", None, &serde_json::json!({ "user_id": user }))
            .await?;
        tx.commit().await.map_err(internal)?;
        Ok(updated)
    }

    async fn get_email_verification(
        &self,
        admin: &Admin,
        id: &EmailVerificationId,
    ) -> Result<EmailVerification, AppError> {
        let row = self.readable_code(admin, CodePurpose::EmailVerification, id.as_str(), "Email verification").await?;
        Ok(EmailVerification {
            id: EmailVerificationId::from_trusted(row.id),
            user_id: UserId::from_trusted(row.user_id),
            email: row.email,
            expires_at: iso(row.expires_at),
            code: row.secret,
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        })
    }

    async fn create_password_reset(&self, admin: &Admin, email: &str) -> Result<PasswordReset, AppError> {
        let user = self.user_for_codes(admin, email).await?;
        let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 40);
        let url = format!("{}/reset-password?token={token}", self.settings.public_url.trim_end_matches('/'));
        let message =
            ("Reset your password", format!("Choose a new password at {url}. The link expires in 30 minutes."));
        let row = self.issue_code(CodePurpose::PasswordReset, &user, token, PASSWORD_RESET_MS, message).await?;
        Ok(self.password_reset(row))
    }

    async fn reset_password(&self, admin: &Admin, token: &str, new_password: &str) -> Result<User, AppError> {
        validate::password("new_password", new_password)?;
        let hash = password::hash(new_password.to_owned()).await?;
        let mut tx = self.store.begin().await?;
        let now = now_ms();
        let invalid =
            || AppError::invalid("token", "password_reset_token_invalid", "The reset link is wrong or has expired.");
        let row = api::find_live_code(&mut tx, CodePurpose::PasswordReset, token.trim(), None, MAX_CODE_FAILURES, now)
            .await?
            .ok_or_else(invalid)?;
        let user_id = UserId::from_trusted(row.user_id.clone());
        Self::user_for_credentials(&mut tx, admin, &user_id).await?;
        if !api::consume_code(&mut tx, &row.id, now).await.map_err(internal)? {
            return Err(invalid());
        }
        db::set_password_hash(&mut tx, &user_id, &hash, now).await.map_err(internal)?;
        // A new password ends every session that the old one started.
        db::end_sessions_of(&mut tx, &user_id, now).await.map_err(internal)?;
        let user = db::find_user(&mut tx, &user_id).await?.ok_or(AppError::Internal)?;
        record(&mut tx, "password_reset.succeeded", None, &serde_json::json!({ "user_id": user_id })).await?;
        tx.commit().await.map_err(internal)?;
        Ok(user)
    }

    async fn get_password_reset(&self, admin: &Admin, id: &PasswordResetId) -> Result<PasswordReset, AppError> {
        let row = self.readable_code(admin, CodePurpose::PasswordReset, id.as_str(), "Password reset").await?;
        Ok(self.password_reset(row))
    }

    async fn create_magic_auth(&self, admin: &Admin, email: &str) -> Result<MagicAuth, AppError> {
        let user = self.user_for_codes(admin, email).await?;
        MAGIC_AUTH_ISSUE_LIMIT.reserve(&mut *self.store.read().await?, &user.email, now_ms()).await?;
        let code = six_digits();
        let message = ("Your sign-in code", format!("Your sign-in code is {code}. It expires in 10 minutes."));
        let row = self.issue_code(CodePurpose::MagicAuth, &user, code, MAGIC_AUTH_MS, message).await?;
        Ok(magic_auth(row))
    }

    async fn get_magic_auth(&self, admin: &Admin, id: &MagicAuthId) -> Result<MagicAuth, AppError> {
        self.readable_code(admin, CodePurpose::MagicAuth, id.as_str(), "Magic auth").await.map(magic_auth)
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::error::AppError;
    use app::model::{AuthMethod, InvitationState, Page, roles};

    fn password(email: &str, password: &str) -> Grant {
        Grant::Password { email: email.into(), password: password.into(), invitation_token: None }
    }

    #[tokio::test]
    async fn password_then_refresh_then_revoke() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        fx.member(&acme, "ada@acme.test", roles::ADMIN).await;
        let admin = fx.system();
        let signed_in = fx
            .core
            .authenticate(&admin, password("ada@acme.test", "correct horse"), ClientContext::default())
            .await
            .unwrap();
        assert_eq!(signed_in.organization_id, Some(acme.id.clone()));
        let refreshed = fx
            .core
            .authenticate(
                &admin,
                Grant::RefreshToken {
                    refresh_token: signed_in.refresh_token.clone(),
                    organization_id: Some(acme.id.clone()),
                },
                ClientContext::default(),
            )
            .await
            .unwrap();
        // A refresh token works once.
        let reused = fx
            .core
            .authenticate(
                &admin,
                Grant::RefreshToken { refresh_token: signed_in.refresh_token, organization_id: None },
                ClientContext::default(),
            )
            .await;
        assert!(matches!(reused, Err(AppError::InvalidGrant(_))));
        let sessions = fx.core.list_sessions(&admin, &signed_in.user.id, Default::default()).await.unwrap();
        fx.core.revoke_session(&admin, &sessions.data[0].id).await.unwrap();
        let after_revoke = fx
            .core
            .authenticate(
                &admin,
                Grant::RefreshToken { refresh_token: refreshed.refresh_token, organization_id: None },
                ClientContext::default(),
            )
            .await;
        assert!(matches!(after_revoke, Err(AppError::InvalidGrant(_))));
    }

    #[tokio::test]
    async fn refresh_into_an_organization_needs_a_membership() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        fx.member(&acme, "ada@acme.test", roles::MEMBER).await;
        let admin = fx.system();
        let signed_in = fx
            .core
            .authenticate(&admin, password("ada@acme.test", "correct horse"), ClientContext::default())
            .await
            .unwrap();
        let refresh = Grant::RefreshToken { refresh_token: signed_in.refresh_token, organization_id: Some(globex.id) };
        assert!(matches!(
            fx.core.authenticate(&admin, refresh, ClientContext::default()).await,
            Err(AppError::InvalidGrant(_))
        ));
    }

    #[tokio::test]
    async fn the_eleventh_attempt_in_a_minute_is_rate_limited() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        let admin = fx.system();
        for _ in 0..10 {
            let result = fx
                .core
                .authenticate(&admin, password("ada@acme.test", "wrong password"), ClientContext::default())
                .await;
            assert_eq!(result.unwrap_err(), AppError::InvalidCredentials);
        }
        let limited =
            fx.core.authenticate(&admin, password("ada@acme.test", "correct horse"), ClientContext::default()).await;
        assert!(
            matches!(limited, Err(AppError::RateLimited { retry_after_seconds }) if (1..=60).contains(&retry_after_seconds))
        );
    }

    #[tokio::test]
    async fn email_verification_codes_are_checked() {
        let fx = Fixture::new().await;
        let user = fx.user("ada@acme.test").await;
        let admin = fx.system();
        fx.core.send_email_verification(&admin, &user.id).await.unwrap();
        let mut conn = fx.core.store().read().await.unwrap();
        let code: String = sqlx::query_scalar("SELECT secret FROM one_time_codes WHERE purpose = 'email_verification'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let (_, body) = crate::store::api::latest_message_to(&mut conn, "ada@acme.test").await.unwrap().unwrap();
        assert!(body.contains(&code));
        drop(conn);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert!(fx.core.verify_email(&admin, &user.id, wrong).await.unwrap_err().field_message("code").is_some());
        assert!(fx.core.verify_email(&admin, &user.id, &code).await.unwrap().email_verified);
    }

    #[tokio::test]
    async fn password_resets_set_a_new_password_once() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        let admin = fx.system();
        let reset = fx.core.create_password_reset(&admin, "ada@acme.test").await.unwrap();
        fx.core.reset_password(&admin, &reset.password_reset_token, "a brand new secret").await.unwrap();
        assert!(fx.core.reset_password(&admin, &reset.password_reset_token, "another secret").await.is_err());
        fx.core
            .authenticate(&admin, password("ada@acme.test", "a brand new secret"), ClientContext::default())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_magic_auth_code_signs_in_once_and_verifies_the_email() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (user, _) = fx.member(&acme, "ada@acme.test", roles::MEMBER).await;
        assert!(!user.email_verified);
        let admin = fx.system();
        let magic = fx.core.create_magic_auth(&admin, "ada@acme.test").await.unwrap();
        let magic_auth =
            |code: &str| Grant::MagicAuth { email: "ada@acme.test".into(), code: code.into(), invitation_token: None };
        let wrong = if magic.code == "000000" { "111111" } else { "000000" };
        let refused = fx.core.authenticate(&admin, magic_auth(wrong), ClientContext::default()).await.unwrap_err();
        assert!(matches!(refused, AppError::InvalidGrant(_)), "{refused:?}");

        let signed_in = fx.core.authenticate(&admin, magic_auth(&magic.code), ClientContext::default()).await.unwrap();
        assert_eq!(signed_in.authentication_method, "MagicAuth");
        assert_eq!(signed_in.organization_id, Some(acme.id.clone()));
        assert!(signed_in.user.email_verified);
        let sessions = fx.core.list_sessions(&admin, &user.id, Page::default()).await.unwrap();
        assert_eq!(sessions.data[0].auth_method, AuthMethod::MagicCode);
        let again = fx.core.authenticate(&admin, magic_auth(&magic.code), ClientContext::default()).await;
        assert!(matches!(again, Err(AppError::InvalidGrant(_))), "a code works once");
        let refreshed = fx
            .core
            .authenticate(
                &admin,
                Grant::RefreshToken { refresh_token: signed_in.refresh_token, organization_id: None },
                ClientContext::default(),
            )
            .await
            .unwrap();
        assert_eq!(refreshed.authentication_method, "MagicAuth");
    }

    #[tokio::test]
    async fn magic_auth_attempts_are_limited_per_email() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        let admin = fx.system();
        let guess =
            || Grant::MagicAuth { email: "ada@acme.test".into(), code: "123456".into(), invitation_token: None };
        for _ in 0..super::MAGIC_AUTH_LIMIT.attempts {
            let refused = fx.core.authenticate(&admin, guess(), ClientContext::default()).await.unwrap_err();
            assert!(matches!(refused, AppError::InvalidGrant(_)), "{refused:?}");
        }
        let limited = fx.core.authenticate(&admin, guess(), ClientContext::default()).await.unwrap_err();
        assert!(matches!(limited, AppError::RateLimited { .. }), "{limited:?}");
    }

    #[tokio::test]
    async fn signing_in_with_an_invitation_token_accepts_it_and_opens_its_organization() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        fx.member(&globex, "ada@acme.test", roles::MEMBER).await;
        let admin = fx.system();
        let invitation = NewInvitation {
            email: "ada@acme.test".into(),
            organization_id: Some(acme.id.clone()),
            role_slug: Some(roles::ADMIN.into()),
            expires_in_days: None,
            inviter_user_id: None,
        };
        let sent = fx.core.send_invitation(&admin, invitation.clone()).await.unwrap();
        let for_someone_else = NewInvitation { email: "bob@acme.test".into(), ..invitation };
        let not_hers = fx.core.send_invitation(&admin, for_someone_else).await.unwrap();
        let with_token = |token: &str| Grant::Password {
            email: "ada@acme.test".into(),
            password: "correct horse".into(),
            invitation_token: Some(token.into()),
        };

        let refused = fx.core.authenticate(&admin, with_token(&not_hers.token), ClientContext::default()).await;
        assert!(refused.unwrap_err().field_message("invitation_token").is_some());
        let unknown = fx.core.authenticate(&admin, with_token("no-such-token"), ClientContext::default()).await;
        assert!(unknown.unwrap_err().field_message("invitation_token").is_some());

        let signed_in = fx.core.authenticate(&admin, with_token(&sent.token), ClientContext::default()).await.unwrap();
        assert_eq!(signed_in.organization_id, Some(acme.id.clone()), "the session opens the new organization");
        let accepted = fx.core.get_invitation(&admin, &sent.id).await.unwrap();
        assert_eq!(accepted.state, InvitationState::Accepted);
        assert_eq!(accepted.accepted_user_id, Some(signed_in.user.id.clone()));
        let query = MembershipQuery { organization_id: Some(acme.id), ..Default::default() };
        let memberships = fx.core.list_memberships(&admin, query).await.unwrap().data;
        assert_eq!(memberships.len(), 1);
        assert_eq!(memberships[0].role.slug, roles::ADMIN);
        let again = fx.core.authenticate(&admin, with_token(&sent.token), ClientContext::default()).await;
        assert!(matches!(again, Err(AppError::Conflict { .. })), "an invitation is accepted once");
    }

    fn magic(email: &str, code: &str) -> Grant {
        Grant::MagicAuth { email: email.into(), code: code.into(), invitation_token: None }
    }

    /// A six-digit code other than `code`.
    fn other_than(code: &str) -> String {
        format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
    }

    #[tokio::test]
    async fn a_new_magic_code_replaces_the_earlier_ones() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        let admin = fx.system();
        let first = fx.core.create_magic_auth(&admin, "ada@acme.test").await.unwrap();
        let second = fx.core.create_magic_auth(&admin, "ada@acme.test").await.unwrap();
        let stale = fx.core.authenticate(&admin, magic("ada@acme.test", &first.code), ClientContext::default()).await;
        assert!(first.code == second.code || matches!(stale, Err(AppError::InvalidGrant(_))), "{stale:?}");
        fx.core.authenticate(&admin, magic("ada@acme.test", &second.code), ClientContext::default()).await.unwrap();
    }

    #[tokio::test]
    async fn issuing_magic_codes_is_limited_per_email() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        for _ in 0..super::MAGIC_AUTH_ISSUE_LIMIT.attempts {
            fx.core.create_magic_auth(&fx.system(), "ada@acme.test").await.unwrap();
        }
        let limited = fx.core.create_magic_auth(&fx.system(), "ada@acme.test").await.unwrap_err();
        assert!(matches!(limited, AppError::RateLimited { .. }), "{limited:?}");
    }

    #[tokio::test]
    async fn codes_are_dead_after_five_wrong_tries() {
        let fx = Fixture::new().await;
        let user = fx.user("ada@acme.test").await;
        let admin = fx.system();
        let sign_in = fx.core.create_magic_auth(&admin, "ada@acme.test").await.unwrap();
        for _ in 0..super::MAX_CODE_FAILURES {
            let wrong = magic("ada@acme.test", &other_than(&sign_in.code));
            assert!(fx.core.authenticate(&admin, wrong, ClientContext::default()).await.is_err());
        }
        let right = magic("ada@acme.test", &sign_in.code);
        assert!(matches!(
            fx.core.authenticate(&admin, right, ClientContext::default()).await,
            Err(AppError::InvalidGrant(_))
        ));

        fx.core.send_email_verification(&admin, &user.id).await.unwrap();
        let mut conn = fx.core.store().read().await.unwrap();
        let (_, body) = crate::store::api::latest_message_to(&mut conn, "ada@acme.test").await.unwrap().unwrap();
        drop(conn);
        let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
        for _ in 0..super::MAX_CODE_FAILURES {
            assert!(fx.core.verify_email(&admin, &user.id, &other_than(&code)).await.is_err());
        }
        let error = fx.core.verify_email(&admin, &user.id, &code).await.unwrap_err();
        assert!(error.field_message("code").is_some(), "{error:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_code_redeemed_twice_at_once_signs_in_once() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        let code = fx.core.create_magic_auth(&fx.system(), "ada@acme.test").await.unwrap().code;
        let mut redemptions = tokio::task::JoinSet::new();
        for _ in 0..2 {
            let (core, admin, code) = (fx.core.clone(), fx.system(), code.clone());
            redemptions.spawn(async move {
                core.authenticate(&admin, magic("ada@acme.test", &code), ClientContext::default()).await
            });
        }
        let results = redemptions.join_all().await;
        assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1, "{results:?}");
    }

    #[tokio::test]
    async fn reusing_a_spent_refresh_token_ends_the_session() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        fx.member(&acme, "ada@acme.test", roles::MEMBER).await;
        let admin = fx.system();
        let client = ClientContext::default;
        let first = fx.core.authenticate(&admin, password("ada@acme.test", "correct horse"), client()).await.unwrap();
        let refresh = |token: &str| Grant::RefreshToken { refresh_token: token.into(), organization_id: None };
        let second = fx.core.authenticate(&admin, refresh(&first.refresh_token), client()).await.unwrap();
        // A thief replays the spent token: the session ends, for the thief and the user alike.
        assert!(fx.core.authenticate(&admin, refresh(&first.refresh_token), client()).await.is_err());
        assert!(matches!(
            fx.core.authenticate(&admin, refresh(&second.refresh_token), client()).await,
            Err(AppError::InvalidGrant(_))
        ));
    }

    #[tokio::test]
    async fn organization_grants_see_and_end_only_their_own_organizations_sessions() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (shared, _) = fx.member(&acme, "sam@shared.test", roles::MEMBER).await;
        fx.join(&globex, &shared, roles::MEMBER).await;
        let (globex_key, acme_key) = (fx.key_of(&globex), fx.key_of(&acme));
        let signed_in =
            fx.core.authenticate(&globex_key, password(&shared.email, "correct horse"), ClientContext::default()).await;
        let in_globex = signed_in.unwrap();
        assert_eq!(in_globex.organization_id, Some(globex.id.clone()));
        let seen = fx.core.list_sessions(&acme_key, &shared.id, Page::default()).await.unwrap();
        assert!(seen.data.is_empty(), "{seen:?}");
        let all = fx.core.list_sessions(&fx.system(), &shared.id, Page::default()).await.unwrap();
        let session = &all.data[0].id;
        assert!(matches!(fx.core.revoke_session(&acme_key, session).await, Err(AppError::NotFound(_))));
        // Even its own organization's grant may not end a shared user's sessions.
        assert!(matches!(fx.core.revoke_session(&globex_key, session).await, Err(AppError::Forbidden(_))));
    }

    #[tokio::test]
    async fn an_organization_grant_cannot_spend_the_attempts_of_users_it_does_not_see() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (outsider, _) = fx.member(&globex, "hank@globex.test", roles::MEMBER).await;
        let key = fx.key_of(&acme);
        for _ in 0..super::PASSWORD_LIMIT.attempts + 3 {
            let refused =
                fx.core.authenticate(&key, password(&outsider.email, "guess"), ClientContext::default()).await;
            assert_eq!(refused.unwrap_err(), AppError::InvalidCredentials);
        }
        let own = fx.key_of(&globex);
        fx.core.authenticate(&own, password(&outsider.email, "correct horse"), ClientContext::default()).await.unwrap();
    }
}
