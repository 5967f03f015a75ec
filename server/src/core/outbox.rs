//! The outbox: every email Roster sends, written in the transaction of its cause. With SMTP
//! configured the mail sender (`crate::mail`) delivers it and records how that went; without,
//! platform admins read (and forward) messages here.

use super::{Core, record};
use crate::store::api;
use crate::store::{commit, now_ms};
use app::directory::{Admin, Outbox};
use app::error::AppError;
use app::ids::MessageId;
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

    async fn email_delivery(&self, admin: &Admin) -> Result<bool, AppError> {
        admin.require_environment()?;
        Ok(self.settings.email_delivery)
    }

    async fn send_message_again(&self, admin: &Admin, id: &MessageId) -> Result<OutboxMessage, AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        if !api::requeue_message(&mut tx, id.as_str(), now_ms()).await? {
            return Err(AppError::not_found("Message"));
        }
        let message = api::find_message(&mut tx, id.as_str()).await?.ok_or_else(|| AppError::not_found("Message"))?;
        let data = serde_json::json!({ "id": message.id, "recipient": message.recipient, "subject": message.subject });
        record(&mut tx, "email.sent_again", None, &data).await?;
        commit(tx).await?;
        Ok(message)
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

    #[tokio::test]
    async fn a_message_is_written_only_with_its_cause_and_sent_again_with_an_event() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        fx.member(&acme, "ada@acme.test", "member").await;
        let invite = |email: &str| NewInvitation {
            email: email.into(),
            organization_id: Some(acme.id.clone()),
            role_slug: None,
            expires_in_days: None,
            inviter_user_id: None,
        };
        fx.core.send_invitation(&fx.system(), invite("new@acme.test")).await.unwrap();
        // Refused changes leave no message behind.
        assert!(fx.core.send_invitation(&fx.system(), invite("new@acme.test")).await.is_err());
        assert!(fx.core.send_invitation(&fx.system(), invite("ada@acme.test")).await.is_err());
        assert!(fx.core.create_password_reset(&fx.system(), "nobody@acme.test").await.is_err());
        let all = fx.core.list_outbox(&fx.system(), Page::default()).await.unwrap().data;
        assert_eq!(all.iter().map(|m| m.recipient.as_str()).collect::<Vec<_>>(), ["new@acme.test"]);
        assert_eq!((all[0].delivery, all[0].attempts), (app::model::DeliveryState::Queued, 0));

        let id = app::ids::MessageId::parse(&all[0].id).unwrap();
        let acme_admin = fx.admin_of(&acme).await;
        assert!(fx.core.send_message_again(&acme_admin, &id).await.is_err(), "platform admins only");
        fx.core.send_message_again(&fx.system(), &id).await.unwrap();
        assert!(fx.events().await.contains(&"email.sent_again".to_owned()));
    }
}
