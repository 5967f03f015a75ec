//! The user detail page's calls: a user's sessions with how they were opened and when they
//! were last used, ending them all, setting a password, and the user's activity as sentences.

use super::events::{Change, Names, describe};
use super::{Core, validate};
use crate::store::directory::{self as db, Lockable};
use crate::store::{commit, iso, now_ms};
use app::directory::{ActivityEntry, Admin, Authority, SessionDetail, SessionKind, UserDetails, UserUpdate, Users};
use app::error::AppError;
use app::ids::{EventId, OrganizationId, UserId};
use app::model::{List, Page, User};
use async_trait::async_trait;

/// How long a session's "last active" time may lag: it is written at most once per interval,
/// so a busy session does not write on every request.
pub(crate) const LAST_ACTIVE_INTERVAL_MS: i64 = 60_000;

#[async_trait]
impl UserDetails for Core {
    async fn user_sessions(&self, admin: &Admin, user: &UserId, page: Page) -> Result<List<SessionDetail>, AppError> {
        let page = page.checked()?;
        let mut conn = self.store.read().await?;
        Self::reachable_user(&mut conn, admin, user).await?;
        // An organization's grant sees the sessions opened in that organization only.
        let rows = db::list_session_details(&mut conn, user, admin.visible(None).organization(), &page).await?;
        let ids: Vec<OrganizationId> = rows
            .data
            .iter()
            .filter_map(|row| row.session.organization_id.clone().map(OrganizationId::from_trusted))
            .collect();
        let names = db::organization_summaries(&mut conn, Some(&ids)).await?;
        let now = now_ms();
        Ok(rows.map(|row| {
            let session = row.session.into_session(now);
            let organization_name = session
                .organization_id
                .as_ref()
                .and_then(|id| names.iter().find(|summary| &summary.id == id))
                .map(|summary| summary.name.clone());
            SessionDetail {
                kind: if row.kind == "dashboard" { SessionKind::Dashboard } else { SessionKind::Api },
                last_active_at: row.last_active_at.map(iso),
                organization_name,
                session,
            }
        }))
    }

    async fn revoke_user_sessions(&self, admin: &Admin, user: &UserId) -> Result<u64, AppError> {
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, user.as_str()).await?;
        Self::user_for_credentials(&mut tx, admin, user).await?;
        let now = now_ms();
        let live = db::live_sessions_of(&mut tx, user, admin.visible(None).organization()).await?;
        for session in &live {
            let id = app::ids::SessionId::from_trusted(session.id.clone());
            Self::end_session_recorded(&mut tx, &id, Change::by(admin), now).await?;
        }
        commit(tx).await?;
        Ok(live.len() as u64)
    }

    async fn set_user_password(&self, admin: &Admin, user: &UserId, password: &str) -> Result<User, AppError> {
        // Choosing someone's password for them is for platform admins: everyone else sends a
        // reset link, so the person sets it themselves.
        if admin.authority() != Authority::Platform {
            return Err(AppError::Forbidden(
                "Only platform admins can set a password; send a reset link instead.".into(),
            ));
        }
        validate::password("password", password)?;
        let update = UserUpdate { password: Some(password.to_owned()), ..Default::default() };
        self.update_user(admin, user, update).await
    }

    async fn user_activity(&self, admin: &Admin, user: &UserId, page: Page) -> Result<List<ActivityEntry>, AppError> {
        let page = page.checked()?;
        let mut conn = self.store.read().await?;
        Self::reachable_user(&mut conn, admin, user).await?;
        // An organization's grant reads its own organization's events about the user, never
        // what happened to them elsewhere.
        let rows = db::list_user_events(&mut conn, user, admin.visible(None).organization(), &page).await?;
        let names = Names::of(&mut conn, &rows.data, user.as_str()).await?;
        Ok(rows.map(|row| ActivityEntry {
            text: describe(&row, &names, user.as_str()),
            id: EventId::from_trusted(row.id),
            event: row.event,
            organization_name: row.organization_id.and_then(|id| names.organizations.get(&id).cloned()),
            created_at: iso(row.created_at),
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::error::AppError;
    use app::model::{Page, roles};

    fn login(email: &str) -> PasswordLogin {
        PasswordLogin {
            email: email.into(),
            password: "correct horse".into(),
            ip_address: Some("203.0.113.7".into()),
            user_agent: Some("Firefox".into()),
        }
    }

    #[tokio::test]
    async fn dashboard_sessions_are_told_apart_and_all_of_them_end_at_once() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (user, _) = fx.member(&acme, "ada@acme.test", roles::ADMIN).await;
        let first = fx.core.sign_in(login("ada@acme.test")).await.unwrap();
        fx.core.sign_in(login("ada@acme.test")).await.unwrap();
        fx.core.resolve_session(&first.token).await.unwrap();
        let sessions = fx.core.user_sessions(&fx.system(), &user.id, Page::default()).await.unwrap();
        assert_eq!(sessions.data.len(), 2);
        assert!(sessions.data.iter().all(|s| s.kind == SessionKind::Dashboard));
        assert_eq!(sessions.data[0].organization_name.as_deref(), Some("Acme"));
        assert_eq!(sessions.data[0].session.ip_address.as_deref(), Some("203.0.113.7"));
        let used = sessions.data.iter().find(|s| s.session.id == first.session.id).unwrap();
        assert!(used.last_active_at.is_some(), "resolving a session records its use");
        assert_eq!(fx.core.revoke_user_sessions(&fx.key_of(&acme), &user.id).await.unwrap(), 2);
        assert_eq!(fx.core.resolve_session(&first.token).await.unwrap_err(), AppError::Unauthenticated);
    }

    #[tokio::test]
    async fn only_platform_authority_sets_a_password() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (user, _) = fx.member(&acme, "bob@acme.test", roles::MEMBER).await;
        for grant in [fx.owner_of(&acme).await, fx.key_of(&acme)] {
            let refused = fx.core.set_user_password(&grant, &user.id, "a new password").await;
            assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
        }
        let short = fx.core.set_user_password(&fx.system(), &user.id, "short").await.unwrap_err();
        assert!(short.field_message("password").is_some());
        fx.core.set_user_password(&fx.system(), &user.id, "a new password").await.unwrap();
    }

    #[tokio::test]
    async fn activity_names_the_actor_and_organization_grants_see_only_their_own() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (bob, membership) = fx.member(&acme, "bob@acme.test", roles::MEMBER).await;
        let globex_membership = fx.join(&globex, &bob, roles::MEMBER).await;
        let acme_owner = fx.owner_of(&acme).await;
        fx.core.set_membership_roles(&acme_owner, &membership.id, vec![roles::ADMIN.into()]).await.unwrap();
        fx.core.deactivate_membership(&fx.system(), &globex_membership.id).await.unwrap();
        let seen = fx.core.user_activity(&acme_owner, &bob.id, Page::default()).await.unwrap();
        let texts: Vec<&str> = seen.data.iter().map(|entry| entry.text.as_str()).collect();
        assert!(texts[0].ends_with("changed bob@acme.test's role in Acme to admin"), "{texts:?}");
        assert!(!texts.iter().any(|text| text.contains("Globex")), "{texts:?}");
        let everything = fx.core.user_activity(&fx.system(), &bob.id, Page::default()).await.unwrap();
        assert_eq!(everything.data[0].text, "Roster deactivated bob@acme.test in Globex");
        // An organization that does not see the user gets "not found".
        let (_, _) = fx.member(&globex, "hank@globex.test", roles::MEMBER).await;
        let stranger = fx.organization("Initech").await;
        let refused = fx.core.user_activity(&fx.key_of(&stranger), &bob.id, Page::default()).await;
        assert!(matches!(refused, Err(AppError::NotFound(_))));
    }
}
