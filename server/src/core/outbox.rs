//! The outbox: the emails Roster would send, kept in the store until email delivery exists,
//! so that platform admins can read (and forward) them.

use super::Core;
use crate::store::api;
use app::directory::{Admin, Outbox};
use app::error::AppError;
use app::model::{List, OutboxMessage, Page};
use async_trait::async_trait;

#[async_trait]
impl Outbox for Core {
    async fn list_outbox(&self, admin: &Admin, page: Page) -> Result<List<OutboxMessage>, AppError> {
        admin.require_environment()?;
        let page = page.checked()?;
        let mut conn = self.store.read().await?;
        Ok(api::list_outbox(&mut conn, &page).await?)
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::model::Page;

    #[tokio::test]
    async fn invitations_and_codes_wait_in_the_outbox_for_environment_admins_only() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let invitation = NewInvitation {
            email: "new@acme.test".into(),
            organization_id: Some(acme.id.clone()),
            role_slug: None,
            expires_in_days: None,
            inviter_user_id: None,
        };
        let sent = fx.core.send_invitation(&fx.system(), invitation).await.unwrap();
        fx.user("ada@acme.test").await;
        fx.core.create_magic_auth(&fx.system(), "ada@acme.test").await.unwrap();

        let page = Page { limit: 1, ..Page::default() };
        let newest = fx.core.list_outbox(&fx.system(), page.clone()).await.unwrap();
        assert_eq!(newest.data[0].recipient, "ada@acme.test");
        let after = newest.list_metadata.after.clone().expect("an older message");
        let older = fx.core.list_outbox(&fx.system(), Page { after: Some(after), ..page.clone() }).await.unwrap();
        let invitation_message = &older.data[0];
        assert_eq!(invitation_message.recipient, "new@acme.test");
        assert!(invitation_message.subject.contains("Acme"), "{invitation_message:?}");
        assert!(invitation_message.body.contains(&sent.accept_invitation_url), "{invitation_message:?}");

        let acme_admin = fx.admin_of(&acme).await;
        assert!(fx.core.list_outbox(&acme_admin, page).await.is_err(), "the outbox spans every organization");
    }
}
