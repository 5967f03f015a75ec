//! Invitations: asking someone to join an organization, or (without one) to sign up.
//!
//! The rules: one open invitation per email and organization; inviting an active member is a
//! conflict, and so is inviting an existing user to sign up; invitations last 1–30 days (7 by
//! default) and show as `expired` after that; resend issues a new token and expiry and revoke
//! withdraws, both only while pending. Accepting from the link (its preview, an existing
//! account's password or a new account, then a dashboard session) is here too.
//!
//! Over 600 lines: about half of the file is the tests of these rules.

use super::attempts::{AttemptPolicy, PasswordAttempt};
use super::{Core, emails, record, validate};
use crate::store::api;
use crate::store::directory::{self as db, InvitationRow, Lockable};
use crate::store::{Connection, commit, iso, now_ms};
use app::directory::{
    Admin, InvitationQuery, Invitations, Invitee, LinkAcceptance, NewInvitation, NewMembership, NewUser, SignedIn,
    Visible,
};
use app::error::{AppError, Conflict, FieldErrors};
use app::ids::{InvitationId, OrganizationId, UserId};
use app::model::*;
use async_trait::async_trait;
use rand::distributions::{Alphanumeric, DistString};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// The state of a stored invitation at `now`: a pending one past its expiry is expired.
pub(crate) fn state_at(row: &InvitationRow, now: i64) -> InvitationState {
    match InvitationState::parse(&row.state) {
        Some(InvitationState::Pending) if row.expires_at <= now => InvitationState::Expired,
        Some(state) => state,
        None => InvitationState::Revoked,
    }
}

fn new_token() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
}

/// Fails with "not found" unless the grant reaches the invitation's organization; invitations
/// without one are for environment grants only.
fn invitation_in_reach(admin: &Admin, row: &InvitationRow) -> Result<(), AppError> {
    let organization = row.organization_id.clone().map(OrganizationId::from_trusted);
    admin.require_reach_of(organization.as_ref(), "Invitation")
}

/// Refuses a change that only a pending invitation allows; `done` says what the change would do.
fn require_pending(row: &InvitationRow, now: i64, done: &str) -> Result<(), AppError> {
    match state_at(row, now) {
        InvitationState::Pending => Ok(()),
        state => Err(AppError::conflict(
            Conflict::InvitationNotPending,
            format!("This invitation is {}; only pending invitations can be {done}.", state.as_str()),
        )),
    }
}

/// An invitation as an event carries it: without its secret token and link.
fn event_data(invitation: &Invitation) -> serde_json::Value {
    let mut data = serde_json::to_value(invitation).unwrap_or_default();
    if let Some(object) = data.as_object_mut() {
        object.remove("token");
        object.remove("accept_invitation_url");
    }
    data
}

/// Who accepts an invitation from its link.
enum Joining {
    /// The account the invited email already has, its password checked.
    Existing(UserId),
    /// The account to create for the invited email.
    New(NewUser),
}

impl Core {
    pub(crate) fn invitation(&self, row: InvitationRow, now: i64) -> Invitation {
        let state = state_at(&row, now);
        Invitation {
            accept_invitation_url: format!(
                "{}/invitations/accept?invitation_token={}",
                self.settings.public_url.trim_end_matches('/'),
                row.token
            ),
            id: InvitationId::from_trusted(row.id),
            email: row.email,
            state,
            accepted_at: row.accepted_at.map(iso),
            revoked_at: row.revoked_at.map(iso),
            expires_at: iso(row.expires_at),
            organization_id: row.organization_id.map(OrganizationId::from_trusted),
            inviter_user_id: row.inviter_user_id.map(UserId::from_trusted),
            accepted_user_id: row.accepted_user_id.map(UserId::from_trusted),
            role_slug: row.role_slug,
            token: row.token,
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        }
    }

    /// Reads an invitation the grant reaches, locking its organization for a change.
    async fn invitation_for_change(
        conn: &mut Connection,
        admin: &Admin,
        id: &InvitationId,
    ) -> Result<InvitationRow, AppError> {
        let row = db::find_invitation(conn, id).await?.ok_or_else(|| AppError::not_found("Invitation"))?;
        invitation_in_reach(admin, &row)?;
        if row.role_slug.as_deref() == Some(roles::OWNER) {
            admin.require_owner_rights()?;
        }
        Self::locked(conn, row).await
    }

    /// Locks an invitation's organization for a change, and reads the invitation again under
    /// that lock.
    async fn locked(conn: &mut Connection, row: InvitationRow) -> Result<InvitationRow, AppError> {
        if let Some(organization) = &row.organization_id {
            db::lock_row(conn, Lockable::Organizations, organization).await?;
        }
        let id = InvitationId::from_trusted(row.id);
        db::find_invitation(conn, &id).await?.ok_or_else(|| AppError::not_found("Invitation"))
    }

    /// Writes a changed invitation with its event and commits.
    async fn save_invitation(
        &self,
        mut tx: crate::store::db::Transaction,
        row: InvitationRow,
        now: i64,
        event: &str,
    ) -> Result<Invitation, AppError> {
        let saved = self.write_invitation(&mut tx, row, now, event).await?;
        commit(tx).await?;
        Ok(saved)
    }

    /// Writes a changed invitation with its event.
    async fn write_invitation(
        &self,
        conn: &mut Connection,
        row: InvitationRow,
        now: i64,
        event: &str,
    ) -> Result<Invitation, AppError> {
        db::update_invitation(conn, &row).await?;
        let organization = row.organization_id.clone().map(OrganizationId::from_trusted);
        let saved = self.invitation(row, now);
        record(conn, event, organization.as_ref(), &event_data(&saved)).await?;
        Ok(saved)
    }

    /// Accepts a pending invitation inside a transaction as `user`: they become an active
    /// member of the invitation's organization with its role.
    pub(crate) async fn accept_in(
        &self,
        tx: &mut Connection,
        mut row: InvitationRow,
        user: UserId,
    ) -> Result<Invitation, AppError> {
        let now = now_ms();
        require_pending(&row, now, "accepted")?;
        if let Some(organization) = row.organization_id.clone().map(OrganizationId::from_trusted) {
            let roles: Vec<String> = row.role_slug.clone().into_iter().collect();
            match db::find_membership_of(tx, &organization, &user).await? {
                Some(existing) if existing.status != MembershipStatus::Active => {
                    Self::restore_membership(tx, &existing, &roles).await?;
                }
                Some(_) => {}
                None => {
                    let membership = NewMembership {
                        organization_id: organization,
                        user_id: user.clone(),
                        role_slugs: roles,
                        status: MembershipStatus::Active,
                    };
                    Self::insert_membership(tx, membership).await?;
                }
            }
        }
        row.state = InvitationState::Accepted.as_str().into();
        row.accepted_at = Some(now);
        row.accepted_user_id = Some(user.to_string());
        row.updated_at = now;
        self.write_invitation(tx, row, now, "invitation.accepted").await
    }

    /// Queues the email that carries an invitation's link, naming the organization and the
    /// inviter.
    async fn queue_invitation_email(conn: &mut Connection, invitation: &Invitation, now: i64) -> Result<(), AppError> {
        let organization = match &invitation.organization_id {
            Some(organization) => db::find_organization(conn, organization).await?.map(|found| found.name),
            None => None,
        };
        let inviter = match &invitation.inviter_user_id {
            Some(inviter) => db::find_user(conn, inviter).await?.map(|user| {
                let name = [user.first_name, user.last_name].into_iter().flatten().collect::<Vec<_>>().join(" ");
                if name.trim().is_empty() { user.email } else { name.trim().to_owned() }
            }),
            None => None,
        };
        let expires = app::format::date_time(&invitation.expires_at);
        let message = emails::invitation(&emails::InvitationEmail {
            recipient: &invitation.email,
            organization: organization.as_deref(),
            inviter: inviter.as_deref(),
            url: &invitation.accept_invitation_url,
            expires: &expires,
        });
        Ok(api::queue_message(conn, &message, now).await?)
    }

    /// Refuses a change that only a pending invitation allows.
    pub(crate) fn require_pending_invitation(row: &InvitationRow, done: &str) -> Result<(), AppError> {
        require_pending(row, now_ms(), done)
    }

    /// Reads the invitation with this token for its link's holder, locking its organization
    /// for the acceptance that follows.
    pub(crate) async fn invitation_for_link(conn: &mut Connection, token: &str) -> Result<InvitationRow, AppError> {
        let not_found = || AppError::not_found("Invitation");
        let row = db::find_invitation_by_token(conn, token).await?.ok_or_else(not_found)?;
        let row = Self::locked(conn, row).await?;
        // A resend in the meantime replaced the token this link carries.
        if row.token != token {
            return Err(not_found());
        }
        Ok(row)
    }

    /// Reads the invitation with this token for a user signing in with it, locking its
    /// organization for the acceptance that follows.
    pub(crate) async fn invitation_for_sign_in(
        conn: &mut Connection,
        admin: &Admin,
        token: &str,
        email: &str,
    ) -> Result<InvitationRow, AppError> {
        let not_found =
            || AppError::invalid("invitation_token", "invitation_not_found", "There is no invitation with this token.");
        let row = db::find_invitation_by_token(conn, token).await?.ok_or_else(not_found)?;
        invitation_in_reach(admin, &row).map_err(|_| not_found())?;
        if row.email != email {
            return Err(AppError::invalid(
                "invitation_token",
                "invitation_email_mismatch",
                "This invitation is for another email address.",
            ));
        }
        Self::locked(conn, row).await
    }

    /// Checks that an invitation's named inviter may invite there: an active member of the
    /// organization or a platform admin (for invitations to sign up, any user).
    async fn check_inviter(
        conn: &mut Connection,
        inviter: &UserId,
        organization: Option<&OrganizationId>,
    ) -> Result<(), AppError> {
        let invalid = || AppError::invalid("inviter_user_id", "inviter_not_a_member", "The inviter must be a member.");
        db::find_user(conn, inviter).await?.ok_or_else(invalid)?;
        let Some(organization) = organization else { return Ok(()) };
        let is_member = db::find_membership_of(conn, organization, inviter)
            .await?
            .is_some_and(|membership| membership.status == MembershipStatus::Active);
        if is_member || db::is_platform_admin(conn, inviter).await? { Ok(()) } else { Err(invalid()) }
    }

    /// Sends an invitation inside a transaction; shared by `send_invitation` and seeding.
    pub(crate) async fn insert_invitation(
        &self,
        conn: &mut Connection,
        invitation: NewInvitation,
    ) -> Result<Invitation, AppError> {
        let organization = invitation.organization_id;
        let mut errors = FieldErrors::default();
        let email = errors.check(validate::email("email", &invitation.email));
        let days = errors.check(validate::invitation_days("expires_in_days", invitation.expires_in_days));
        if organization.is_none() && invitation.role_slug.is_some() {
            errors.add("role_slug", "role_needs_organization", "Roles apply to invitations into an organization.");
        }
        errors.finish()?;
        let (Some(email), Some(days)) = (email, days) else { unreachable!("every field was checked") };

        let now = now_ms();
        let role = match &organization {
            Some(organization) => {
                if !db::lock_row(conn, Lockable::Organizations, organization.as_str()).await? {
                    return Err(AppError::invalid(
                        "organization_id",
                        "organization_not_found",
                        "There is no such organization.",
                    ));
                }
                let role =
                    Self::checked_roles(conn, "role_slug", organization, invitation.role_slug.into_iter().collect())
                        .await?;
                if db::find_active_membership_by_email(conn, organization, &email).await? {
                    return Err(AppError::conflict(
                        Conflict::AlreadyAMember,
                        format!("{email} is already a member of this organization."),
                    ));
                }
                role
            }
            None => {
                if db::find_credentials_by_email(conn, &email).await?.is_some() {
                    return Err(AppError::conflict(Conflict::AlreadyAUser, format!("{email} already has an account.")));
                }
                Vec::new()
            }
        };
        if let Some(inviter) = &invitation.inviter_user_id {
            Self::check_inviter(conn, inviter, organization.as_ref()).await?;
        }
        if db::has_pending_invitation(conn, organization.as_ref(), &email, now).await? {
            return Err(AppError::conflict(
                Conflict::InvitationAlreadyPending,
                format!("{email} already has a pending invitation. Resend it instead."),
            ));
        }
        let row = InvitationRow {
            id: InvitationId::generate().to_string(),
            organization_id: organization.as_ref().map(ToString::to_string),
            email,
            state: InvitationState::Pending.as_str().into(),
            role_slug: role.into_iter().next(),
            token: new_token(),
            inviter_user_id: invitation.inviter_user_id.map(|id| id.to_string()),
            accepted_user_id: None,
            accepted_at: None,
            revoked_at: None,
            expires_at: now + days * DAY_MS,
            created_at: now,
            updated_at: now,
        };
        db::insert_invitation(conn, &row).await?;
        let created = self.invitation(row, now);
        record(conn, "invitation.created", organization.as_ref(), &event_data(&created)).await?;
        Self::queue_invitation_email(conn, &created, now).await?;
        Ok(created)
    }
}

#[async_trait]
impl Invitations for Core {
    async fn send_invitation(&self, admin: &Admin, mut invitation: NewInvitation) -> Result<Invitation, AppError> {
        // Without an organization an environment grant invites someone to sign up; an
        // organization's grant invites into its own organization.
        if invitation.organization_id.is_none() {
            invitation.organization_id = admin.organization().cloned();
        }
        if let Some(organization) = &invitation.organization_id {
            admin.require_reach(organization, "Organization")?;
        }
        if invitation.role_slug.as_deref().map(str::trim) == Some(roles::OWNER) {
            admin.require_owner_rights()?;
        }
        let mut tx = self.store.begin().await?;
        let created = self.insert_invitation(&mut tx, invitation).await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn list_invitations(&self, admin: &Admin, query: InvitationQuery) -> Result<List<Invitation>, AppError> {
        let visible = admin.visible(query.organization_id);
        if visible == Visible::Nothing {
            return Ok(List::default());
        }
        let page = query.page.checked()?;
        let email = query.email.map(|email| email.trim().to_lowercase());
        let mut conn = self.store.read().await?;
        let rows = db::list_invitations(&mut conn, visible.organization(), email.as_deref(), &page).await?;
        let now = now_ms();
        Ok(rows.map(|row| self.invitation(row, now)))
    }

    async fn get_invitation(&self, admin: &Admin, id: &InvitationId) -> Result<Invitation, AppError> {
        let mut conn = self.store.read().await?;
        let row = db::find_invitation(&mut conn, id).await?.ok_or_else(|| AppError::not_found("Invitation"))?;
        invitation_in_reach(admin, &row)?;
        Ok(self.invitation(row, now_ms()))
    }

    async fn find_invitation_by_token(&self, admin: &Admin, token: &str) -> Result<Invitation, AppError> {
        let mut conn = self.store.read().await?;
        let row =
            db::find_invitation_by_token(&mut conn, token).await?.ok_or_else(|| AppError::not_found("Invitation"))?;
        invitation_in_reach(admin, &row)?;
        Ok(self.invitation(row, now_ms()))
    }

    async fn accept_invitation(&self, admin: &Admin, id: &InvitationId) -> Result<Invitation, AppError> {
        let mut tx = self.store.begin().await?;
        let row = Self::invitation_for_change(&mut tx, admin, id).await?;
        require_pending(&row, now_ms(), "accepted")?;
        let user = match db::find_credentials_by_email(&mut tx, &row.email).await? {
            // An account the grant does not already see joins only by its owner accepting
            // from the link: otherwise any tenant could pull in (and then manage) anyone.
            Some(existing) => {
                let user = UserId::from_trusted(existing.id);
                if !admin.sees_user(&Self::standing_for(&mut tx, admin, &user).await?) {
                    return Err(AppError::Forbidden(
                        "This email already has an account; its owner accepts the invitation from its link.".into(),
                    ));
                }
                user
            }
            // Not verified: accepting through the API proves nothing about the mailbox.
            None => {
                let new_user = NewUser { email: row.email.clone(), email_verified: false, ..Default::default() };
                Self::insert_new_user(&mut tx, new_user, false).await?.id
            }
        };
        let accepted = self.accept_in(&mut tx, row, user).await?;
        commit(tx).await?;
        Ok(accepted)
    }

    async fn resend_invitation(&self, admin: &Admin, id: &InvitationId) -> Result<Invitation, AppError> {
        let mut tx = self.store.begin().await?;
        let mut row = Self::invitation_for_change(&mut tx, admin, id).await?;
        let now = now_ms();
        match state_at(&row, now) {
            // An expired invitation is still the open one for its email; resending renews it.
            InvitationState::Pending | InvitationState::Expired => {}
            state => {
                return Err(AppError::conflict(
                    Conflict::InvitationNotPending,
                    format!("This invitation was {}; only pending invitations can be resent.", state.as_str()),
                ));
            }
        }
        // An expired invitation may have been replaced by a newer one in the meantime; renewing
        // it as well would leave two open invitations for one email.
        let organization = row.organization_id.clone().map(OrganizationId::from_trusted);
        if state_at(&row, now) == InvitationState::Expired
            && db::has_pending_invitation(&mut tx, organization.as_ref(), &row.email, now).await?
        {
            return Err(AppError::conflict(
                Conflict::InvitationAlreadyPending,
                format!("{} already has a newer pending invitation.", row.email),
            ));
        }
        // The new expiry keeps the lifetime the invitation was sent with.
        let lifetime_days =
            ((row.expires_at - row.updated_at + DAY_MS / 2) / DAY_MS).clamp(1, validate::MAX_INVITATION_DAYS);
        row.token = new_token();
        row.expires_at = now + lifetime_days * DAY_MS;
        row.updated_at = now;
        let resent = self.write_invitation(&mut tx, row, now, "invitation.resent").await?;
        Self::queue_invitation_email(&mut tx, &resent, now).await?;
        commit(tx).await?;
        Ok(resent)
    }

    async fn revoke_invitation(&self, admin: &Admin, id: &InvitationId) -> Result<Invitation, AppError> {
        let mut tx = self.store.begin().await?;
        let mut row = Self::invitation_for_change(&mut tx, admin, id).await?;
        let now = now_ms();
        require_pending(&row, now, "revoked")?;
        row.state = InvitationState::Revoked.as_str().into();
        row.revoked_at = Some(now);
        row.updated_at = now;
        self.save_invitation(tx, row, now, "invitation.revoked").await
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
            // Both ways in prove the invitee with a password (or set one), so they are closed
            // where the environment has turned password sign-in off.
            self.require_method(&mut conn, AuthMethod::Password).await?;
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
                        Conflict::AlreadyAUser,
                        format!("There is already an account for {email}: sign in with it to accept."),
                    ));
                }
                Self::insert_new_user(&mut tx, new_user, false).await?.id
            }
        };
        let accepted = self.accept_in(&mut tx, row, user.clone()).await?;
        let client = (ip_address, user_agent);
        let signed_in =
            self.open_dashboard_session(&mut tx, &user, accepted.organization_id, AuthMethod::Password, client).await?;
        commit(tx).await?;
        Ok(signed_in)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::Fixture;
    use app::directory::{Environment, MembershipQuery, Memberships, Sessions, UserQuery, Users};

    fn invite(organization: &Organization, email: &str, days: Option<i64>) -> NewInvitation {
        NewInvitation {
            email: email.into(),
            organization_id: Some(organization.id.clone()),
            role_slug: Some("member".into()),
            expires_in_days: days,
            inviter_user_id: None,
        }
    }

    #[tokio::test]
    async fn invitations_default_to_seven_days_and_record_an_event_without_the_token() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let sent = fx.core.send_invitation(&fx.system(), invite(&acme, "new@acme.test", None)).await.unwrap();
        assert_eq!(sent.state, InvitationState::Pending);
        let created = chrono::DateTime::parse_from_rfc3339(&sent.created_at).unwrap();
        let expires = chrono::DateTime::parse_from_rfc3339(&sent.expires_at).unwrap();
        assert_eq!((expires - created).num_days(), 7);
        let mut conn = fx.core.store().read().await.unwrap();
        let data: String = crate::store::db::query_scalar("SELECT data FROM events WHERE event = 'invitation.created'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert!(!data.contains(&sent.token));
    }

    #[tokio::test]
    async fn expiry_outside_one_to_thirty_days_is_a_field_error() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        for days in [0, 31] {
            let error =
                fx.core.send_invitation(&fx.system(), invite(&acme, "new@acme.test", Some(days))).await.unwrap_err();
            assert!(error.field_message("expires_in_days").is_some());
        }
    }

    #[tokio::test]
    async fn inviting_an_active_member_is_a_conflict() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        fx.member(&acme, "ada@acme.test", "member").await;
        let error = fx.core.send_invitation(&fx.system(), invite(&acme, "ADA@acme.test", None)).await.unwrap_err();
        assert!(matches!(error, AppError::Conflict { code: Conflict::AlreadyAMember, .. }));
    }

    #[tokio::test]
    async fn resend_issues_a_new_token_and_expiry() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let sent = fx.core.send_invitation(&fx.system(), invite(&acme, "new@acme.test", Some(3))).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let resent = fx.core.resend_invitation(&fx.system(), &sent.id).await.unwrap();
        assert_ne!(resent.token, sent.token);
        assert!(resent.expires_at > sent.expires_at);
        assert_eq!(resent.state, InvitationState::Pending);
    }

    #[tokio::test]
    async fn only_pending_invitations_can_be_revoked_or_resent() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let sent = fx.core.send_invitation(&fx.system(), invite(&acme, "new@acme.test", None)).await.unwrap();
        let revoked = fx.core.revoke_invitation(&fx.system(), &sent.id).await.unwrap();
        assert_eq!(revoked.state, InvitationState::Revoked);
        assert!(matches!(fx.core.revoke_invitation(&fx.system(), &sent.id).await, Err(AppError::Conflict { .. })));
        assert!(matches!(fx.core.resend_invitation(&fx.system(), &sent.id).await, Err(AppError::Conflict { .. })));
        // Once revoked, the email can be invited again.
        fx.core.send_invitation(&fx.system(), invite(&acme, "new@acme.test", None)).await.unwrap();
    }

    #[test]
    fn a_pending_invitation_past_its_expiry_shows_as_expired() {
        let row = InvitationRow {
            id: "invitation_x".into(),
            organization_id: None,
            email: "a@b.test".into(),
            state: "pending".into(),
            role_slug: None,
            token: "t".into(),
            inviter_user_id: None,
            accepted_user_id: None,
            accepted_at: None,
            revoked_at: None,
            expires_at: 1_000,
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(state_at(&row, 999), InvitationState::Pending);
        assert_eq!(state_at(&row, 1_000), InvitationState::Expired);
        assert_eq!(state_at(&InvitationRow { state: "revoked".into(), ..row }, 0), InvitationState::Revoked);
    }

    #[tokio::test]
    async fn an_invitation_without_an_organization_invites_a_new_user_to_sign_up() {
        let fx = Fixture::new().await;
        let sign_up = |email: &str| NewInvitation {
            email: email.into(),
            organization_id: None,
            role_slug: None,
            expires_in_days: None,
            inviter_user_id: None,
        };
        let sent = fx.core.send_invitation(&fx.system(), sign_up("newcomer@example.test")).await.unwrap();
        assert_eq!(sent.organization_id, None);
        assert_eq!(sent.state, InvitationState::Pending);
        assert!(matches!(
            fx.core.send_invitation(&fx.system(), sign_up("newcomer@example.test")).await,
            Err(AppError::Conflict { code: Conflict::InvitationAlreadyPending, .. })
        ));
        fx.user("existing@example.test").await;
        assert!(matches!(
            fx.core.send_invitation(&fx.system(), sign_up("existing@example.test")).await,
            Err(AppError::Conflict { code: Conflict::AlreadyAUser, .. })
        ));
        let with_role = NewInvitation { role_slug: Some("admin".into()), ..sign_up("someone@example.test") };
        let error = fx.core.send_invitation(&fx.system(), with_role).await.unwrap_err();
        assert!(error.field_message("role_slug").is_some(), "{error:?}");

        // An organization's grant does not reach such invitations; its own invitations without
        // an organization go to its organization.
        let acme = fx.organization("Acme").await;
        let acme_admin = fx.admin_of(&acme).await;
        let into_acme = fx.core.send_invitation(&acme_admin, sign_up("other@example.test")).await.unwrap();
        assert_eq!(into_acme.organization_id, Some(acme.id.clone()));
        assert!(fx.core.get_invitation(&acme_admin, &sent.id).await.is_err());

        let accepted = fx.core.accept_invitation(&fx.system(), &sent.id).await.unwrap();
        assert_eq!(accepted.state, InvitationState::Accepted);
        let user = accepted.accepted_user_id.expect("the new user");
        let query = MembershipQuery { user_id: Some(user), ..Default::default() };
        assert!(fx.core.list_memberships(&fx.system(), query).await.unwrap().data.is_empty());
    }

    #[tokio::test]
    async fn expired_invitations_cannot_be_revoked_but_can_be_renewed() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let sent = fx.core.send_invitation(&fx.system(), invite(&acme, "late@acme.test", Some(1))).await.unwrap();
        let mut conn = fx.core.store().read().await.unwrap();
        crate::store::db::query("UPDATE invitations SET expires_at = 1").execute(&mut *conn).await.unwrap();
        drop(conn);
        let expired = fx.core.get_invitation(&fx.system(), &sent.id).await.unwrap();
        assert_eq!(expired.state, InvitationState::Expired);
        assert!(matches!(fx.core.revoke_invitation(&fx.system(), &sent.id).await, Err(AppError::Conflict { .. })));
        let renewed = fx.core.resend_invitation(&fx.system(), &sent.id).await.unwrap();
        assert_eq!(renewed.state, InvitationState::Pending);
    }

    #[tokio::test]
    async fn admins_cannot_invite_owners_nor_change_owner_invitations() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let admin = fx.admin_of(&acme).await;
        let as_owner = NewInvitation { role_slug: Some(roles::OWNER.into()), ..invite(&acme, "boss@acme.test", None) };
        assert!(matches!(fx.core.send_invitation(&admin, as_owner.clone()).await, Err(AppError::Forbidden(_))));
        let sent = fx.core.send_invitation(&fx.owner_of(&acme).await, as_owner).await.unwrap();
        assert!(matches!(fx.core.revoke_invitation(&admin, &sent.id).await, Err(AppError::Forbidden(_))));
        assert!(matches!(fx.core.resend_invitation(&admin, &sent.id).await, Err(AppError::Forbidden(_))));
    }

    #[tokio::test]
    async fn accepting_through_the_api_never_pulls_in_an_outside_account_nor_verifies_an_email() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (outsider, _) = fx.member(&globex, "hank@globex.test", "member").await;
        let key = fx.key_of(&acme);
        let sent = fx.core.send_invitation(&key, invite(&acme, &outsider.email, None)).await.unwrap();
        assert!(matches!(fx.core.accept_invitation(&key, &sent.id).await, Err(AppError::Forbidden(_))));
        let query = MembershipQuery { user_id: Some(outsider.id.clone()), ..Default::default() };
        assert_eq!(fx.core.list_memberships(&fx.system(), query).await.unwrap().data.len(), 1);

        let fresh = fx.core.send_invitation(&key, invite(&acme, "new@acme.test", None)).await.unwrap();
        let accepted = fx.core.accept_invitation(&key, &fresh.id).await.unwrap();
        let created = fx.core.get_user(&key, &accepted.accepted_user_id.unwrap()).await.unwrap();
        assert!(!created.email_verified);
    }

    #[tokio::test]
    async fn the_named_inviter_must_be_a_member() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (stranger, _) = fx.member(&globex, "hank@globex.test", "member").await;
        let (colleague, _) = fx.member(&acme, "ada@acme.test", "member").await;
        let by = |inviter: &User, email: &str| NewInvitation {
            inviter_user_id: Some(inviter.id.clone()),
            ..invite(&acme, email, None)
        };
        let error = fx.core.send_invitation(&fx.system(), by(&stranger, "one@acme.test")).await.unwrap_err();
        assert!(error.field_message("inviter_user_id").is_some(), "{error:?}");
        fx.core.send_invitation(&fx.system(), by(&colleague, "two@acme.test")).await.unwrap();
    }

    #[tokio::test]
    async fn an_expired_invitation_replaced_by_a_newer_one_is_not_renewed() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let old = fx.core.send_invitation(&fx.system(), invite(&acme, "late@acme.test", Some(1))).await.unwrap();
        let mut conn = fx.core.store().read().await.unwrap();
        crate::store::db::query("UPDATE invitations SET expires_at = 1").execute(&mut *conn).await.unwrap();
        drop(conn);
        fx.core.send_invitation(&fx.system(), invite(&acme, "late@acme.test", None)).await.unwrap();
        let refused = fx.core.resend_invitation(&fx.system(), &old.id).await.unwrap_err();
        assert!(matches!(refused, AppError::Conflict { code: Conflict::InvitationAlreadyPending, .. }));
    }

    fn link(token: &str, invitee: Invitee) -> LinkAcceptance {
        LinkAcceptance { token: token.into(), invitee, ip_address: None, user_agent: None }
    }

    async fn invite_as_admin(
        fx: &Fixture,
        organization: &app::model::Organization,
        email: &str,
    ) -> app::model::Invitation {
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
        let sent = invite_as_admin(&fx, &acme, "new@acme.test").await;
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
        let sent = invite_as_admin(&fx, &acme, "ada@acme.test").await;
        assert!(fx.core.preview_invitation(&sent.token).await.unwrap().has_account);

        let as_new = Invitee::NewAccount { first_name: None, last_name: None, password: "a long enough secret".into() };
        let taken = fx.core.accept_invitation_link(link(&sent.token, as_new)).await.unwrap_err();
        assert!(matches!(taken, AppError::Conflict { .. }), "{taken:?}");
        let wrong = Invitee::ExistingAccount { password: "wrong horse".into() };
        let refused = fx.core.accept_invitation_link(link(&sent.token, wrong)).await.unwrap_err();
        assert_eq!(refused, AppError::InvalidCredentials);
        assert_eq!(fx.core.get_invitation(&fx.system(), &sent.id).await.unwrap().state, InvitationState::Pending);

        let passwords_off = SettingsUpdate { password_enabled: Some(false), ..Default::default() };
        fx.core.update_environment_settings(&fx.system(), passwords_off).await.unwrap();
        let right = || Invitee::ExistingAccount { password: "correct horse".into() };
        let closed = fx.core.accept_invitation_link(link(&sent.token, right())).await.unwrap_err();
        assert!(matches!(closed, AppError::Forbidden(_)), "{closed:?}");
        let passwords_on = SettingsUpdate { password_enabled: Some(true), ..Default::default() };
        fx.core.update_environment_settings(&fx.system(), passwords_on).await.unwrap();
        let signed_in = fx.core.accept_invitation_link(link(&sent.token, right())).await.unwrap();
        let caller = fx.core.resolve_session(&signed_in.token).await.unwrap();
        assert_eq!(caller.session().unwrap().organization_id, Some(acme.id));
    }

    #[tokio::test]
    async fn revoked_and_unknown_links_accept_nothing() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let sent = invite_as_admin(&fx, &acme, "new@acme.test").await;
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
    async fn parallel_guesses_at_an_existing_accounts_password_through_a_link_cannot_exceed_the_limit() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        fx.user("ada@example.com").await;
        let sent = fx.core.send_invitation(&fx.system(), invite(&acme, "ada@example.com", None)).await.unwrap();
        let mut guesses = tokio::task::JoinSet::new();
        for _ in 0..30 {
            let (core, token) = (fx.core.clone(), sent.token.clone());
            guesses.spawn(async move {
                let wrong = Invitee::ExistingAccount { password: "wrong guess".into() };
                core.accept_invitation_link(link(&token, wrong)).await
            });
        }
        let results = guesses.join_all().await;
        let evaluated = results.iter().filter(|result| matches!(result, Err(AppError::InvalidCredentials))).count();
        let limited = results.iter().filter(|result| matches!(result, Err(AppError::RateLimited { .. }))).count();
        assert_eq!((evaluated, limited), (10, 20), "{results:?}");
    }
}
