//! Dashboard sessions: sign-in, the session cookie, the organization being worked on.
//!
//! Sessions are rows in the store, so they survive restarts, are shared by replicas, and can
//! be listed and revoked. The cookie carries a random token; only its SHA-256 is stored.

use super::authentication::AttemptPolicy;
use super::{Core, record};
use crate::store::directory::{self as db, SessionRow};
use crate::store::{Connection, internal, now_ms};
use app::directory::{Caller, PasswordLogin, SessionContext, Sessions, SignedIn};
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

#[async_trait]
impl Sessions for Core {
    async fn sign_in(&self, login: PasswordLogin) -> Result<SignedIn, AppError> {
        let verified = self.check_password(&login.email, login.password, AttemptPolicy::FailuresOnly).await?;
        let user_id = verified.id;

        let mut tx = self.store.begin().await?;
        let (organization, _) = working_organization(&mut tx, &user_id, None, verified.is_platform_admin).await?;
        let now = now_ms();
        let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 43);
        let row = SessionRow {
            id: SessionId::generate().to_string(),
            user_id: user_id.to_string(),
            organization_id: organization.as_ref().map(ToString::to_string),
            auth_method: "password".into(),
            ip_address: login.ip_address,
            user_agent: login.user_agent,
            expires_at: now + self.settings.session_lifetime.as_millis() as i64,
            ended_at: None,
            created_at: now,
            updated_at: now,
        };
        db::insert_session(&mut tx, &row, &token_hash(&token)).await.map_err(internal)?;
        db::touch_last_sign_in(&mut tx, &user_id, now).await.map_err(internal)?;
        let session = row.into_session(now);
        record(&mut tx, "session.created", organization.as_ref(), &session).await?;
        tx.commit().await.map_err(internal)?;
        Ok(SignedIn { token, session })
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
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::error::AppError;
    use app::model::roles;

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
}
