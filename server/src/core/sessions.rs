//! Dashboard sessions: sign-in, the session cookie, the organization being worked on.
//!
//! Sessions are rows in the store, so they survive restarts, are shared by replicas, and can
//! be listed and revoked. The cookie carries a random token; only its SHA-256 is stored.

use super::{Core, record, secret_hash};
use crate::store::directory::{self as db, SessionRow};
use crate::store::{Connection, commit, now_ms};
use app::directory::{Admin, Caller, ClientContext, PasswordLogin, SessionContext, Sessions, SignedIn};
use app::error::AppError;
use app::ids::{OrganizationId, SessionId, UserId};
use app::model::*;
use async_trait::async_trait;
use rand::distributions::{Alphanumeric, DistString};

/// The organization a user works on: the one asked for when they may, else their first.
pub(crate) async fn working_organization(
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

impl Core {
    /// Opens a session for a user whose identity was just proven, in `organization`, and
    /// records it. Dashboard sessions hand its token to the cookie; application sessions
    /// (which have refresh tokens instead) drop it.
    pub(crate) async fn open_session(
        &self,
        tx: &mut Connection,
        user: &UserId,
        organization: Option<&OrganizationId>,
        method: AuthMethod,
        (ip_address, user_agent): (Option<String>, Option<String>),
    ) -> Result<(SessionRow, String), AppError> {
        let now = now_ms();
        let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 43);
        let row = SessionRow {
            id: SessionId::generate().to_string(),
            user_id: user.to_string(),
            organization_id: organization.map(ToString::to_string),
            auth_method: method.as_str().into(),
            ip_address,
            user_agent,
            expires_at: self.session_end(tx, now).await?,
            ended_at: None,
            created_at: now,
            updated_at: now,
        };
        db::insert_session(tx, &row, &secret_hash(&token)).await?;
        db::touch_last_sign_in(tx, user, now).await?;
        record(tx, "session.created", organization, &row.clone().into_session(now)).await?;
        Ok((row, token))
    }

    /// Opens a dashboard session: the cookie's token and the session.
    pub(crate) async fn open_dashboard_session(
        &self,
        tx: &mut Connection,
        user: &UserId,
        organization: Option<OrganizationId>,
        method: AuthMethod,
        client: (Option<String>, Option<String>),
    ) -> Result<SignedIn, AppError> {
        let (row, token) = self.open_session(tx, user, organization.as_ref(), method, client).await?;
        db::mark_dashboard_session(tx, &row.id).await?;
        Ok(SignedIn { token, session: row.into_session(now_ms()) })
    }
}

#[async_trait]
impl Sessions for Core {
    async fn sign_in(&self, login: PasswordLogin) -> Result<SignedIn, AppError> {
        let client = ClientContext { client_id: None, ip_address: login.ip_address, user_agent: login.user_agent };
        let result = self.dashboard_password(&login.email, login.password, client).await;
        crate::ops::metrics::sign_in("password", crate::ops::metrics::Outcome::of(&result));
        result
    }

    async fn resolve_session(&self, token: &str) -> Result<Caller, AppError> {
        let mut conn = self.store.read().await?;
        let row =
            db::find_session_by_token_hash(&mut conn, &secret_hash(token)).await?.ok_or(AppError::Unauthenticated)?;
        let now = now_ms();
        if row.ended_at.is_some() || row.expires_at <= now {
            return Err(AppError::Unauthenticated);
        }
        // For the user detail page's "last active"; written once a minute at most.
        db::touch_session(&mut conn, &row.id, now, now - super::user_detail::LAST_ACTIVE_INTERVAL_MS).await?;
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
        db::end_session(&mut tx, &context.session_id, now).await?;
        record(
            &mut tx,
            "session.revoked",
            context.organization_id.as_ref(),
            &serde_json::json!({
                "object": "session", "id": context.session_id, "user_id": context.user_id,
            }),
        )
        .await?;
        Ok(commit(tx).await?)
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
        // Dashboard sessions and widget tokens alike: both are a person.
        let user = caller.user_id().ok_or(AppError::Unauthenticated)?;
        let mut conn = self.store.read().await?;
        let page = Page { limit: Page::MAX_LIMIT, ..Page::default() };
        Ok(db::list_memberships(&mut conn, None, Some(user), &[], &page).await?.data)
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
        db::set_session_organization(&mut tx, &context.session_id, organization, now_ms()).await?;
        Ok(commit(tx).await?)
    }

    async fn list_sessions(&self, admin: &Admin, user: &UserId, page: Page) -> Result<List<Session>, AppError> {
        let page = page.checked()?;
        let mut conn = self.store.read().await?;
        Self::reachable_user(&mut conn, admin, user).await?;
        // An organization's grant sees the sessions opened in that organization only.
        let rows = db::list_sessions(&mut conn, user, admin.visible(None).organization(), &page).await?;
        let now = now_ms();
        Ok(rows.map(|row| row.into_session(now)))
    }

    async fn revoke_session(&self, admin: &Admin, id: &SessionId) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        let session = db::find_session(&mut tx, id).await?.ok_or_else(|| AppError::not_found("Session"))?;
        let organization = session.organization_id.clone().map(OrganizationId::from_trusted);
        admin.require_reach_of(organization.as_ref(), "Session")?;
        Self::user_for_credentials(&mut tx, admin, &UserId::from_trusted(session.user_id.clone()))
            .await
            .map_err(|error| error.not_found_as("Session"))?;
        Self::end_session_recorded(&mut tx, id, super::events::Change::by(admin), now_ms()).await?;
        Ok(commit(tx).await?)
    }
}

impl Core {
    /// Ends a session and records `session.revoked` with the session as it now is, in its
    /// organization, attributed to `change`.
    pub(crate) async fn end_session_recorded(
        conn: &mut Connection,
        id: &SessionId,
        change: super::events::Change,
        now: i64,
    ) -> Result<(), AppError> {
        db::end_session(conn, id, now).await?;
        let ended = db::find_session(conn, id).await?.ok_or(AppError::Internal)?;
        let organization = ended.organization_id.clone().map(OrganizationId::from_trusted);
        super::events::record_change(conn, change, "session.revoked", organization.as_ref(), &ended.into_session(now))
            .await
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::{Fixture, password};
    use app::directory::*;
    use app::error::AppError;
    use app::model::{Page, roles};

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
        assert_eq!(evaluated, crate::core::attempts::PASSWORD_LIMIT.attempts as usize);
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
        let limit = crate::core::attempts::ADDRESS_LIMIT.attempts;
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
}
