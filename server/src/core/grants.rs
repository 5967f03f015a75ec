//! Application sign-in: `POST /user_management/authenticate` with the password, magic-auth
//! and refresh-token grants, the tokens they issue, and the JWKS that verifies them.

use super::attempts::{AttemptPolicy, MAGIC_AUTH_LIMIT, PasswordAttempt};
use super::codes::MAX_CODE_FAILURES;
use super::step_up::{Audience, Pending, Proven, StepAnswer};
use super::tokens::{AccessClaims, SigningKey};
use super::{Core, record, secret_hash, validate};
use crate::ops::metrics::{self, Outcome};
use crate::store::api::{self, CodePurpose};
use crate::store::directory::{self as db, SessionRow};
use crate::store::{Connection, commit, iso, now_ms};
use app::directory::{Admin, Authentication, ClientContext, Grant, Jwks};
use app::error::AppError;
use app::ids::*;
use app::model::*;
use async_trait::async_trait;
use rand::distributions::{Alphanumeric, DistString};
use std::sync::Arc;

/// The roles and permissions an access token carries for its organization.
struct OrganizationGrant {
    organization: OrganizationId,
    roles: Vec<String>,
    permissions: Vec<String>,
}

/// A sign-in whose rows are written but whose access token is not signed yet.
///
/// It is signed after its transaction commits: the RSA signature takes about a millisecond,
/// most of a sign-in's transaction, and SQLite's one writer would otherwise wait it out.
pub(crate) struct Unsigned {
    user: User,
    organization_id: Option<OrganizationId>,
    claims: AccessClaims,
    refresh_token: String,
    authentication_method: String,
}

impl Unsigned {
    /// Signs the access token: the response the client gets.
    pub(crate) async fn sign(self, key: &Arc<SigningKey>) -> Result<AuthenticationResponse, AppError> {
        Ok(AuthenticationResponse {
            access_token: key.sign(self.claims).await?,
            user: self.user,
            organization_id: self.organization_id,
            refresh_token: self.refresh_token,
            authentication_method: self.authentication_method,
        })
    }
}

impl Core {
    /// What an access token grants in one organization.
    async fn grant_of(
        conn: &mut Connection,
        membership: &OrganizationMembership,
    ) -> Result<OrganizationGrant, AppError> {
        let roles: Vec<String> = membership.roles.iter().map(|r| r.slug.clone()).collect();
        // The same union that `check` answers from.
        let permissions = Self::permissions_of(conn, membership).await?;
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

    /// Issues a refresh token for a session, and the claims of its access token (signed by
    /// [`Unsigned::sign`] once the transaction has committed).
    async fn issue_tokens(
        &self,
        conn: &mut Connection,
        session: &SessionRow,
        grant: Option<&OrganizationGrant>,
    ) -> Result<(AccessClaims, String), AppError> {
        let refresh_token = Alphanumeric.sample_string(&mut rand::thread_rng(), 43);
        let session_id = SessionId::from_trusted(session.id.clone());
        let now = now_ms();
        let expires_at = self.refresh_token_end(conn, now, session.expires_at).await?;
        api::insert_refresh_token(conn, &secret_hash(&refresh_token), &session_id, expires_at, now).await?;
        let claims = self.access_claims(
            &session.user_id,
            &session.id,
            session.created_at,
            grant.map(|grant| grant.organization.as_str()),
            grant.map(|grant| grant.roles.clone()).unwrap_or_default(),
            grant.map(|grant| grant.permissions.clone()).unwrap_or_default(),
        );
        Ok((claims, refresh_token))
    }

    async fn password_grant(
        &self,
        admin: &Admin,
        email: &str,
        password: String,
        invitation_token: Option<String>,
        client: ClientContext,
    ) -> Result<AuthenticationResponse, AppError> {
        self.require_method(&mut *self.store.read().await?, AuthMethod::Password).await?;
        let attempt = PasswordAttempt {
            email,
            password,
            policy: AttemptPolicy::Every,
            client_address: client.ip_address.as_deref(),
            grant: Some(admin),
        };
        let verified = self.check_password(attempt).await?;
        let proven = Proven::first_factor(verified.id, AuthMethod::Password, invitation_token, Audience::of(admin));
        self.sign_in_proven(admin, proven, client, None).await
    }

    /// Signs in with the code of a magic auth, which proves the email is the user's; the code
    /// works once, and attempts count against a per-email limit like passwords.
    async fn magic_auth_grant(
        &self,
        admin: &Admin,
        email: &str,
        code: &str,
        invitation_token: Option<String>,
        client: ClientContext,
    ) -> Result<AuthenticationResponse, AppError> {
        self.require_method(&mut *self.store.read().await?, AuthMethod::MagicCode).await?;
        let user = self.redeem_magic_code(Some(admin), email, code).await?;
        let proven = Proven::first_factor(user, AuthMethod::MagicCode, invitation_token, Audience::of(admin));
        self.sign_in_proven(admin, proven, client, None).await
    }

    /// Spends a magic code of this email's user (one the grant sees, when there is one) and
    /// marks their email verified; returns the user.
    pub(crate) async fn redeem_magic_code(
        &self,
        admin: Option<&Admin>,
        email: &str,
        code: &str,
    ) -> Result<UserId, AppError> {
        let invalid = || AppError::InvalidGrant("The code is wrong or has expired.".into());
        let email = validate::email("email", email).unwrap_or_default();
        let now = now_ms();
        let user = {
            let mut conn = self.store.read().await?;
            let found = db::find_credentials_by_email(&mut conn, &email).await?.map(|c| UserId::from_trusted(c.id));
            let Some(user) = found else { return Err(invalid()) };
            // Users out of the grant's reach neither sign in nor spend their attempts.
            if let Some(admin) = admin
                && !admin.sees_user(&Self::standing_for(&mut conn, admin, &user).await?)
            {
                return Err(invalid());
            }
            MAGIC_AUTH_LIMIT.reserve(&mut conn, &email, now).await?;
            user
        };
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
            api::count_code_failure(&mut tx, CodePurpose::MagicAuth, user.as_str(), now).await?;
            record(&mut tx, "authentication.magic_auth_failed", None, &serde_json::json!({ "email": email })).await?;
            commit(tx).await?;
            return Err(invalid());
        };
        // Two requests racing with one code: only the first consumes it.
        if !api::consume_code(&mut tx, &code.id, now).await? {
            return Err(invalid());
        }
        Self::mark_email_verified(&mut tx, &user, now).await?;
        commit(tx).await?;
        Ok(user)
    }

    /// Finishes an application sign-in whose user is proven: a session with its tokens, or the
    /// step it still needs (a 403 with the pending token). `spent` is the pending sign-in this
    /// one continues, spent in the same transaction.
    pub(crate) async fn sign_in_proven(
        &self,
        admin: &Admin,
        proven: Proven,
        client: ClientContext,
        spent: Option<&Pending>,
    ) -> Result<AuthenticationResponse, AppError> {
        let key = self.signing_key().await?;
        let mut tx = self.store.begin().await?;
        if let Some(pending) = spent {
            Self::spend_pending(&mut tx, pending).await?;
        }
        if let Some(next) = self.next_step(&mut tx, &proven).await? {
            let step = self.pend(&mut tx, &proven, next).await?;
            commit(tx).await?;
            return Err(AppError::StepUp(Box::new(step)));
        }
        let signed_in = self.start_session(&mut tx, admin, &proven, client).await?;
        commit(tx).await?;
        signed_in.sign(&key).await
    }

    /// Records that a user proved they own their email, once; returns the user as it is now.
    pub(crate) async fn mark_email_verified(tx: &mut Connection, user: &UserId, now: i64) -> Result<User, AppError> {
        let mut found = db::find_user(tx, user).await?.ok_or(AppError::Internal)?;
        if found.email_verified {
            return Ok(found);
        }
        found.email_verified = true;
        db::update_user(tx, &found, now).await?;
        let updated = db::find_user(tx, user).await?.ok_or(AppError::Internal)?;
        record(tx, "user.updated", None, &updated).await?;
        Ok(updated)
    }

    /// Starts a session for a user whose identity was just proven (every step done),
    /// accepting the invitation they brought, and issues its tokens (the access token unsigned).
    pub(crate) async fn start_session(
        &self,
        tx: &mut Connection,
        admin: &Admin,
        proven: &Proven,
        client: ClientContext,
    ) -> Result<Unsigned, AppError> {
        let user = &proven.user;
        let found = db::find_user(tx, user).await?.ok_or(AppError::InvalidCredentials)?;
        let invited_to = match &proven.invitation_token {
            Some(token) => {
                let invitation = Self::invitation_for_sign_in(tx, admin, token, &found.email).await?;
                self.accept_in(tx, invitation, user.clone()).await?.organization_id
            }
            None => None,
        };
        let memberships = db::active_memberships_of(tx, user).await?;
        let not_a_member = || AppError::InvalidGrant("The user is not an active member of that organization.".into());
        // The session belongs to the organization the user was just invited to, if any, else
        // the one chosen. Else an organization key signs users in to its organization only,
        // and an environment key picks the user's organization when there is exactly one.
        let membership = match (invited_to.as_ref().or(proven.organization.as_ref()), admin.organization()) {
            (Some(wanted), own) => {
                if own.is_some_and(|own| own != wanted) {
                    return Err(not_a_member());
                }
                Some(memberships.iter().find(|m| &m.organization_id == wanted).ok_or_else(not_a_member)?)
            }
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
        let method = proven.method;
        let client = (client.ip_address, client.user_agent);
        let (session, _) = self.open_session(tx, user, organization.as_ref(), method, client).await?;
        let now = session.created_at;
        let (claims, refresh_token) = self.issue_tokens(tx, &session, grant.as_ref()).await?;
        let event = match method {
            AuthMethod::MagicCode => "authentication.magic_auth_succeeded",
            AuthMethod::Password | AuthMethod::Unknown => "authentication.password_succeeded",
        };
        record(tx, event, organization.as_ref(), &serde_json::json!({ "user_id": user })).await?;
        let user = User { last_sign_in_at: Some(iso(now)), ..found };
        Ok(Unsigned {
            user,
            organization_id: organization,
            claims,
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
        let hash = secret_hash(refresh_token);
        let key = self.signing_key().await?;
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let token = api::find_refresh_token(&mut tx, &hash).await?.ok_or_else(invalid)?;
        if token.used_at.is_some() {
            // A spent token presented again means it leaked: whoever holds the live one may be
            // the thief, so the whole session ends.
            let session = SessionId::from_trusted(token.session_id.clone());
            db::end_session(&mut tx, &session, now).await?;
            record(
                &mut tx,
                "session.revoked",
                None,
                &serde_json::json!({ "id": session, "reason": "refresh_token_reused" }),
            )
            .await?;
            commit(tx).await?;
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
        if !api::use_refresh_token(&mut tx, &hash, now).await? {
            // Another request spent it in the meantime; the next reuse ends the session.
            return Err(invalid());
        }
        let session_id = SessionId::from_trusted(session.id.clone());
        db::touch_session(&mut tx, &session.id, now, now - super::user_detail::LAST_ACTIVE_INTERVAL_MS).await?;
        if let Some(organization) = &organization {
            db::set_session_organization(&mut tx, &session_id, organization, now).await?;
        }
        let user = db::find_user(&mut tx, &user_id).await?.ok_or_else(invalid)?;
        let (claims, refresh_token) = self.issue_tokens(&mut tx, &session, grant.as_ref()).await?;
        commit(tx).await?;
        Unsigned {
            user,
            organization_id: organization,
            claims,
            refresh_token,
            authentication_method: AuthMethod::parse(&session.auth_method).response_name().into(),
        }
        .sign(&key)
        .await
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
        let method = grant_method(&grant);
        let result = self.grant(admin, grant, client).await;
        metrics::sign_in(method, Outcome::of(&result));
        result
    }

    async fn jwks(&self) -> Result<Jwks, AppError> {
        Ok(serde_json::json!({ "keys": [self.signing_key().await?.jwk()] }))
    }
}

/// How a grant proves the user, as the sign-in metrics name it.
fn grant_method(grant: &Grant) -> &'static str {
    match grant {
        Grant::Password { .. } => "password",
        Grant::RefreshToken { .. } => "refresh_token",
        Grant::MagicAuth { .. } => "magic_auth",
        Grant::AuthorizationCode { .. } => "authorization_code",
        Grant::Totp { .. } => "totp",
        Grant::EmailVerification { .. } => "email_verification",
        Grant::OrganizationSelection { .. } => "organization_selection",
    }
}

impl Core {
    /// Answers one grant of `POST /user_management/authenticate`.
    async fn grant(
        &self,
        admin: &Admin,
        grant: Grant,
        client: ClientContext,
    ) -> Result<AuthenticationResponse, AppError> {
        match grant {
            Grant::Password { email, password, invitation_token } => {
                self.password_grant(admin, &email, password, invitation_token, client).await
            }
            Grant::RefreshToken { refresh_token, organization_id } => {
                self.refresh_grant(admin, &refresh_token, organization_id).await
            }
            Grant::MagicAuth { email, code, invitation_token } => {
                self.magic_auth_grant(admin, &email, &code, invitation_token, client).await
            }
            Grant::AuthorizationCode { code, code_verifier, confidential } => {
                self.code_grant(admin, &code, code_verifier.as_deref(), confidential, client).await
            }
            Grant::Totp { pending_authentication_token, authentication_challenge_id, code } => {
                let answer = StepAnswer::Totp { challenge: &authentication_challenge_id, code: &code };
                self.continue_grant(admin, &pending_authentication_token, answer, client).await
            }
            Grant::EmailVerification { pending_authentication_token, code } => {
                let answer = StepAnswer::EmailCode(&code);
                self.continue_grant(admin, &pending_authentication_token, answer, client).await
            }
            Grant::OrganizationSelection { pending_authentication_token, organization_id } => {
                let answer = StepAnswer::Organization(&organization_id);
                self.continue_grant(admin, &pending_authentication_token, answer, client).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::{Fixture, magic, password};
    use app::directory::*;
    use app::error::AppError;
    use app::model::{AuthMethod, InvitationState, Page, roles};

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
    async fn an_organization_grant_cannot_spend_the_attempts_of_users_it_does_not_see() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (outsider, _) = fx.member(&globex, "hank@globex.test", roles::MEMBER).await;
        let key = fx.key_of(&acme);
        for _ in 0..crate::core::attempts::PASSWORD_LIMIT.attempts + 3 {
            let refused =
                fx.core.authenticate(&key, password(&outsider.email, "guess"), ClientContext::default()).await;
            assert_eq!(refused.unwrap_err(), AppError::InvalidCredentials);
        }
        let own = fx.key_of(&globex);
        fx.core.authenticate(&own, password(&outsider.email, "correct horse"), ClientContext::default()).await.unwrap();
    }
}
