//! Dashboard sessions: sign-in, the session cookie, the organization being worked on.
//!
//! Sessions are rows in the store, so they survive restarts, are shared by replicas, and can
//! be listed and revoked. The cookie carries a random token; only its SHA-256 is stored.

use super::authentication::{AttemptPolicy, PasswordAttempt};
use super::{Core, record};
use crate::store::directory::{self as db, SessionRow};
use crate::store::{Connection, internal, now_ms};
use app::directory::{Caller, Invitee, LinkAcceptance, NewUser, PasswordLogin, SessionContext, Sessions, SignedIn};
use app::error::AppError;
use app::ids::{OrganizationId, SessionId, UserId};
use app::model::*;
use async_trait::async_trait;
use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};

/// The stored form of a session token.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The organization a user works on: the one asked for when they may, else their first.
async fn working_organization(
    conn: &mut Connection,
    user: &UserId,
    wanted: Option<OrganizationId>,
    is_platform_admin: bool,
) -> Result<(Option<OrganizationId>, Vec<String>), AppError> {
    let memberships = db::active_memberships_of(conn, user).await?;
    let roles_in = |organization: &OrganizationId| {
        memberships
            .iter()
            .find(|m| &m.organization_id == organization)
            .map(|m| m.roles.iter().map(|r| r.slug.clone()).collect::<Vec<_>>())
    };
    if let Some(wanted) = wanted {
        if let Some(roles) = roles_in(&wanted) {
            return Ok((Some(wanted), roles));
        }
        if is_platform_admin && db::find_organization(conn, &wanted).await?.is_some() {
            return Ok((Some(wanted), Vec::new()));
        }
    }
    if let Some(first) = memberships.first() {
        return Ok((Some(first.organization_id.clone()), first.roles.iter().map(|r| r.slug.clone()).collect()));
    }
    if is_platform_admin {
        let any = db::organization_summaries(conn, None).await?.into_iter().next();
        return Ok((any.map(|summary| summary.id), Vec::new()));
    }
    Ok((None, Vec::new()))
}

/// Who accepts an invitation from its link.
enum Joining {
    /// The account the invited email already has, its password checked.
    Existing(UserId),
    /// The account to create for the invited email.
    New(NewUser),
}

impl Core {
    /// Starts a dashboard session in `organization` and returns its cookie token.
    async fn open_session(
        &self,
        tx: &mut Connection,
        user: &UserId,
        organization: Option<OrganizationId>,
        (ip_address, user_agent): (Option<String>, Option<String>),
    ) -> Result<SignedIn, AppError> {
        let now = now_ms();
        let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 43);
        let row = SessionRow {
            id: SessionId::generate().to_string(),
            user_id: user.to_string(),
            organization_id: organization.as_ref().map(ToString::to_string),
            auth_method: AuthMethod::Password.as_str().into(),
            ip_address,
            user_agent,
            expires_at: now + self.settings.session_lifetime.as_millis() as i64,
            ended_at: None,
            created_at: now,
            updated_at: now,
        };
        db::insert_session(tx, &row, &token_hash(&token)).await.map_err(internal)?;
        db::touch_last_sign_in(tx, user, now).await.map_err(internal)?;
        let session = row.into_session(now);
        record(tx, "session.created", organization.as_ref(), &session).await?;
        Ok(SignedIn { token, session })
    }
}

#[async_trait]
impl Sessions for Core {
    async fn sign_in(&self, login: PasswordLogin) -> Result<SignedIn, AppError> {
        let verified = self
            .check_password(PasswordAttempt {
                email: &login.email,
                password: login.password,
                policy: AttemptPolicy::FailuresOnly,
                client_address: login.ip_address.as_deref(),
                grant: None,
            })
            .await?;
        let mut tx = self.store.begin().await?;
        let (organization, _) = working_organization(&mut tx, &verified.id, None, verified.is_platform_admin).await?;
        let client = (login.ip_address, login.user_agent);
        let signed_in = self.open_session(&mut tx, &verified.id, organization, client).await?;
        tx.commit().await.map_err(internal)?;
        Ok(signed_in)
    }

    async fn resolve_session(&self, token: &str) -> Result<Caller, AppError> {
        let mut conn = self.store.read().await?;
        let row =
            db::find_session_by_token_hash(&mut conn, &token_hash(token)).await?.ok_or(AppError::Unauthenticated)?;
        if row.ended_at.is_some() || row.expires_at <= now_ms() {
            return Err(AppError::Unauthenticated);
        }
        let user_id = UserId::from_trusted(row.user_id);
        let is_platform_admin = db::is_platform_admin(&mut conn, &user_id).await?;
        let wanted = row.organization_id.map(OrganizationId::from_trusted);
        let (organization_id, roles) = working_organization(&mut conn, &user_id, wanted, is_platform_admin).await?;
        Ok(Caller::from_session(SessionContext {
            session_id: SessionId::from_trusted(row.id),
            user_id,
            organization_id,
            roles,
            is_platform_admin,
        }))
    }

    async fn sign_out(&self, caller: &Caller) -> Result<(), AppError> {
        let context = caller.session().ok_or(AppError::Unauthenticated)?;
        let mut tx = self.store.begin().await?;
        let now = now_ms();
        db::end_session(&mut tx, &context.session_id, now).await.map_err(internal)?;
        record(
            &mut tx,
            "session.revoked",
            context.organization_id.as_ref(),
            &serde_json::json!({
                "object": "session", "id": context.session_id, "user_id": context.user_id,
            }),
        )
        .await?;
        tx.commit().await.map_err(internal)
    }

    async fn viewer(&self, caller: &Caller) -> Result<Viewer, AppError> {
        let context = caller.session().ok_or(AppError::Unauthenticated)?;
        let mut conn = self.store.read().await?;
        let user = db::find_user(&mut conn, &context.user_id).await?.ok_or(AppError::Unauthenticated)?;
        let organizations = if context.is_platform_admin {
            db::organization_summaries(&mut conn, None).await?
        } else {
            let ids: Vec<OrganizationId> = db::active_memberships_of(&mut conn, &context.user_id)
                .await?
                .into_iter()
                .map(|m| m.organization_id)
                .collect();
            db::organization_summaries(&mut conn, Some(&ids)).await?
        };
        let organization = context
            .organization_id
            .as_ref()
            .and_then(|id| organizations.iter().find(|summary| &summary.id == id).cloned());
        Ok(Viewer {
            user,
            organization,
            roles: context.roles.clone(),
            is_admin: caller.admin().is_ok(),
            may_manage_owners: caller.admin().is_ok_and(|admin| admin.require_owner_rights().is_ok()),
            is_platform_admin: context.is_platform_admin,
            organizations,
        })
    }

    async fn own_memberships(&self, caller: &Caller) -> Result<Vec<OrganizationMembership>, AppError> {
        let context = caller.session().ok_or(AppError::Unauthenticated)?;
        let mut conn = self.store.read().await?;
        let page = Page { limit: Page::MAX_LIMIT, ..Page::default() };
        Ok(db::list_memberships(&mut conn, None, Some(&context.user_id), &[], &page).await?.data)
    }

    async fn switch_organization(&self, caller: &Caller, organization: &OrganizationId) -> Result<(), AppError> {
        let context = caller.session().ok_or(AppError::Unauthenticated)?;
        let mut tx = self.store.begin().await?;
        let (granted, _) =
            working_organization(&mut tx, &context.user_id, Some(organization.clone()), context.is_platform_admin)
                .await?;
        if granted.as_ref() != Some(organization) {
            return Err(AppError::not_found("Organization"));
        }
        db::set_session_organization(&mut tx, &context.session_id, organization, now_ms()).await.map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    async fn preview_invitation(&self, token: &str) -> Result<InvitationPreview, AppError> {
        let mut conn = self.store.read().await?;
        let row = db::find_invitation_by_token(&mut conn, token.trim())
            .await?
            .ok_or_else(|| AppError::not_found("Invitation"))?;
        let invitation = self.invitation(row, now_ms());
        let (organization_name, role_name) = match &invitation.organization_id {
            Some(organization) => {
                let name = db::find_organization(&mut conn, organization).await?.map(|found| found.name);
                let role = invitation.role_slug.as_deref().unwrap_or(roles::MEMBER);
                let roles = db::list_roles(&mut conn, Some(organization)).await?;
                (name, roles.into_iter().find(|r| r.slug == role).map(|r| r.name))
            }
            None => (None, None),
        };
        let has_account = db::find_credentials_by_email(&mut conn, &invitation.email).await?.is_some();
        Ok(InvitationPreview {
            email: invitation.email,
            organization_name,
            role_name,
            state: invitation.state,
            expires_at: invitation.expires_at,
            has_account,
        })
    }

    async fn accept_invitation_link(&self, acceptance: LinkAcceptance) -> Result<SignedIn, AppError> {
        let LinkAcceptance { token, invitee, ip_address, user_agent } = acceptance;
        let email = {
            let mut conn = self.store.read().await?;
            let row = db::find_invitation_by_token(&mut conn, token.trim())
                .await?
                .ok_or_else(|| AppError::not_found("Invitation"))?;
            Self::require_pending_invitation(&row, "accepted")?;
            row.email
        };
        // The invited email's password proves an existing account (checked before the
        // transaction: hashing takes long); a new account is only made for an email that has none.
        let joining = match invitee {
            Invitee::ExistingAccount { password } => {
                let attempt = PasswordAttempt {
                    email: &email,
                    password,
                    policy: AttemptPolicy::FailuresOnly,
                    client_address: ip_address.as_deref(),
                    grant: None,
                };
                Joining::Existing(self.check_password(attempt).await?.id)
            }
            // Holding the link proves nothing about the mailbox (whoever sent the invitation
            // holds it too), so the email stays unverified until a code sent there comes back.
            Invitee::NewAccount { first_name, last_name, password } => Joining::New(NewUser {
                email: email.clone(),
                password: Some(password),
                first_name,
                last_name,
                email_verified: false,
                ..Default::default()
            }),
        };
        let mut tx = self.store.begin().await?;
        let row = Self::invitation_for_link(&mut tx, token.trim()).await?;
        let user = match joining {
            Joining::Existing(user) => user,
            Joining::New(new_user) => {
                if db::find_credentials_by_email(&mut tx, &email).await?.is_some() {
                    return Err(AppError::conflict(
                        "already_a_user",
                        format!("There is already an account for {email}: sign in with it to accept."),
                    ));
                }
                Self::insert_new_user(&mut tx, new_user, false).await?.id
            }
        };
        let accepted = self.accept_in(&mut tx, row, user.clone()).await?;
        let client = (ip_address, user_agent);
        let signed_in = self.open_session(&mut tx, &user, accepted.organization_id, client).await?;
        tx.commit().await.map_err(internal)?;
        Ok(signed_in)
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::error::AppError;
    use app::model::{InvitationState, roles};

    fn login(email: &str, password: &str) -> PasswordLogin {
        PasswordLogin { email: email.into(), password: password.into(), ip_address: None, user_agent: None }
    }

    #[tokio::test]
    async fn wrong_email_and_wrong_password_fail_alike() {
        let fx = Fixture::new().await;
        fx.user("ada@example.com").await;
        let wrong_password = fx.core.sign_in(login("ada@example.com", "nope nope")).await.unwrap_err();
        let wrong_email = fx.core.sign_in(login("bob@example.com", "correct horse")).await.unwrap_err();
        let malformed = fx.core.sign_in(login("bob", "correct horse")).await.unwrap_err();
        assert_eq!(wrong_password, AppError::InvalidCredentials);
        assert_eq!(wrong_email, wrong_password);
        assert_eq!(malformed, wrong_password);
    }

    #[tokio::test]
    async fn sessions_resolve_until_signed_out() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (user, _) = fx.member(&acme, "ada@acme.test", roles::ADMIN).await;
        let signed_in = fx.core.sign_in(login("ada@acme.test", "correct horse")).await.unwrap();
        let caller = fx.core.resolve_session(&signed_in.token).await.unwrap();
        assert_eq!(caller.user_id(), Some(&user.id));
        assert_eq!(caller.admin().unwrap().organization(), Some(&acme.id));
        fx.core.sign_out(&caller).await.unwrap();
        assert_eq!(fx.core.resolve_session(&signed_in.token).await.unwrap_err(), AppError::Unauthenticated);
        let viewer_user = fx.core.get_user(&fx.system(), &user.id).await.unwrap();
        assert!(viewer_user.last_sign_in_at.is_some());
    }

    #[tokio::test]
    async fn switching_is_limited_to_the_users_organizations() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (user, _) = fx.member(&acme, "ada@acme.test", roles::ADMIN).await;
        let signed_in = fx.core.sign_in(login("ada@acme.test", "correct horse")).await.unwrap();
        let caller = fx.core.resolve_session(&signed_in.token).await.unwrap();
        assert!(matches!(fx.core.switch_organization(&caller, &globex.id).await, Err(AppError::NotFound(_))));
        fx.core
            .create_membership(
                &fx.system(),
                NewMembership {
                    organization_id: globex.id.clone(),
                    user_id: user.id,
                    role_slugs: vec![],
                    status: app::model::MembershipStatus::Active,
                },
            )
            .await
            .unwrap();
        fx.core.switch_organization(&caller, &globex.id).await.unwrap();
        let caller = fx.core.resolve_session(&signed_in.token).await.unwrap();
        assert_eq!(caller.session().unwrap().organization_id, Some(globex.id.clone()));
        assert!(caller.admin().is_err(), "a plain member of Globex is not its admin");
        let viewer = fx.core.viewer(&caller).await.unwrap();
        assert_eq!(viewer.organizations.len(), 2);
    }

    fn link(token: &str, invitee: Invitee) -> LinkAcceptance {
        LinkAcceptance { token: token.into(), invitee, ip_address: None, user_agent: None }
    }

    async fn invite(fx: &Fixture, organization: &app::model::Organization, email: &str) -> app::model::Invitation {
        let invitation = NewInvitation {
            email: email.into(),
            organization_id: Some(organization.id.clone()),
            role_slug: Some(roles::ADMIN.into()),
            expires_in_days: None,
            inviter_user_id: None,
        };
        fx.core.send_invitation(&fx.system(), invitation).await.unwrap()
    }

    #[tokio::test]
    async fn a_new_person_accepts_from_the_link_and_is_signed_in_to_the_organization() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let sent = invite(&fx, &acme, "new@acme.test").await;
        let preview = fx.core.preview_invitation(&sent.token).await.unwrap();
        assert_eq!(preview.organization_name.as_deref(), Some("Acme"));
        assert_eq!(preview.role_name.as_deref(), Some("Admin"));
        assert!(!preview.has_account);

        let new_account = |password: &str| Invitee::NewAccount {
            first_name: Some("Nia".into()),
            last_name: None,
            password: password.into(),
        };
        let short = fx.core.accept_invitation_link(link(&sent.token, new_account("short"))).await.unwrap_err();
        assert!(short.field_message("password").is_some(), "{short:?}");
        let signed_in =
            fx.core.accept_invitation_link(link(&sent.token, new_account("a long enough secret"))).await.unwrap();
        let caller = fx.core.resolve_session(&signed_in.token).await.unwrap();
        let context = caller.session().unwrap();
        assert_eq!(context.organization_id, Some(acme.id.clone()));
        assert_eq!(context.roles, vec![roles::ADMIN.to_owned()]);
        assert_eq!(fx.core.get_invitation(&fx.system(), &sent.id).await.unwrap().state, InvitationState::Accepted);
        let user = fx.core.get_user(&fx.system(), &context.user_id).await.unwrap();
        // The link can be opened by whoever sent the invitation; only a code proves the mailbox.
        assert!(!user.email_verified);
        assert_eq!(user.first_name.as_deref(), Some("Nia"));

        let again = fx.core.accept_invitation_link(link(&sent.token, new_account("a long enough secret"))).await;
        assert!(matches!(again, Err(AppError::Conflict { .. })), "{again:?}");
    }

    #[tokio::test]
    async fn an_existing_account_accepts_with_its_password() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        fx.user("ada@acme.test").await;
        let sent = invite(&fx, &acme, "ada@acme.test").await;
        assert!(fx.core.preview_invitation(&sent.token).await.unwrap().has_account);

        let as_new = Invitee::NewAccount { first_name: None, last_name: None, password: "a long enough secret".into() };
        let taken = fx.core.accept_invitation_link(link(&sent.token, as_new)).await.unwrap_err();
        assert!(matches!(taken, AppError::Conflict { .. }), "{taken:?}");
        let wrong = Invitee::ExistingAccount { password: "wrong horse".into() };
        let refused = fx.core.accept_invitation_link(link(&sent.token, wrong)).await.unwrap_err();
        assert_eq!(refused, AppError::InvalidCredentials);
        assert_eq!(fx.core.get_invitation(&fx.system(), &sent.id).await.unwrap().state, InvitationState::Pending);

        let right = Invitee::ExistingAccount { password: "correct horse".into() };
        let signed_in = fx.core.accept_invitation_link(link(&sent.token, right)).await.unwrap();
        let caller = fx.core.resolve_session(&signed_in.token).await.unwrap();
        assert_eq!(caller.session().unwrap().organization_id, Some(acme.id));
    }

    #[tokio::test]
    async fn revoked_and_unknown_links_accept_nothing() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let sent = invite(&fx, &acme, "new@acme.test").await;
        fx.core.revoke_invitation(&fx.system(), &sent.id).await.unwrap();
        let preview = fx.core.preview_invitation(&sent.token).await.unwrap();
        assert_eq!(preview.state, InvitationState::Revoked);
        let invitee =
            || Invitee::NewAccount { first_name: None, last_name: None, password: "a long enough secret".into() };
        let revoked = fx.core.accept_invitation_link(link(&sent.token, invitee())).await;
        assert!(matches!(revoked, Err(AppError::Conflict { .. })), "{revoked:?}");
        assert!(matches!(fx.core.preview_invitation("nope").await, Err(AppError::NotFound(_))));
        assert!(matches!(fx.core.accept_invitation_link(link("nope", invitee())).await, Err(AppError::NotFound(_))));
        let query = UserQuery { email: Some("new@acme.test".into()), ..Default::default() };
        assert!(fx.core.list_users(&fx.system(), query).await.unwrap().data.is_empty(), "no account was made");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_dashboard_guesses_cannot_exceed_the_limit() {
        let fx = Fixture::new().await;
        fx.user("ada@example.com").await;
        let mut guesses = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let core = fx.core.clone();
            guesses.spawn(async move { core.sign_in(login("ada@example.com", "wrong guess")).await });
        }
        let results = guesses.join_all().await;
        let evaluated = results.iter().filter(|result| **result == Err(AppError::InvalidCredentials)).count();
        let limited = results.iter().filter(|result| matches!(result, Err(AppError::RateLimited { .. }))).count();
        assert_eq!(evaluated, crate::core::authentication::PASSWORD_LIMIT.attempts as usize);
        assert_eq!(limited, 40 - evaluated);
    }

    #[tokio::test]
    async fn dashboard_successes_give_their_slot_back() {
        let fx = Fixture::new().await;
        fx.user("ada@example.com").await;
        for _ in 0..15 {
            fx.core.sign_in(login("ada@example.com", "correct horse")).await.unwrap();
        }
    }

    #[tokio::test]
    async fn one_address_cannot_spray_guesses_across_many_emails() {
        let fx = Fixture::new().await;
        let from = |email: String| PasswordLogin {
            email,
            password: "Winter2026!".into(),
            ip_address: Some("198.51.100.9".into()),
            user_agent: None,
        };
        let limit = crate::core::authentication::ADDRESS_LIMIT.attempts;
        for n in 0..limit {
            let refused = fx.core.sign_in(from(format!("user{n}@example.com"))).await.unwrap_err();
            assert_eq!(refused, AppError::InvalidCredentials);
        }
        let limited = fx.core.sign_in(from("one-more@example.com".into())).await.unwrap_err();
        assert!(matches!(limited, AppError::RateLimited { .. }), "{limited:?}");
        // Another address is not affected.
        let elsewhere = PasswordLogin { ip_address: Some("203.0.113.1".into()), ..from("user0@example.com".into()) };
        assert_eq!(fx.core.sign_in(elsewhere).await.unwrap_err(), AppError::InvalidCredentials);
    }
}
