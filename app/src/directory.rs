//! The `Directory`: every user-management call, with its business rules behind it.
//!
//! Both doors (the dashboard's server functions and the REST API) call this trait and nothing
//! else. Calls that change or read an organization's data take an [`Admin`]: a proof, obtained
//! only from [`Caller::admin`], of what the caller may touch. IDs in requests never widen it.

use crate::error::AppError;
use crate::ids::*;
use crate::model::*;
use async_trait::async_trait;
use std::sync::Arc;

/// Who is making a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Caller {
    actor: Actor,
    kind: CallerKind,
}

/// The party a change is attributed to in events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in dashboard user.
    User(UserId),
    /// An application holding an API key.
    ApiKey(ApiKeyId),
    /// Roster itself: the command line and first-start seeding.
    System,
}

#[derive(Clone, Debug, PartialEq)]
enum CallerKind {
    Session(SessionContext),
    ApiKey { scope: Scope },
    System,
}

/// What a dashboard session knows about its user.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionContext {
    pub session_id: SessionId,
    pub user_id: UserId,
    /// The organization the dashboard is working on.
    pub organization_id: Option<OrganizationId>,
    /// The user's roles there, from an active membership.
    pub roles: Vec<String>,
    /// Manages every organization.
    pub is_platform_admin: bool,
}

/// The organizations a grant reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every organization, as WorkOS's environment API keys do.
    Environment,
    /// One organization only.
    Organization(OrganizationId),
}

impl Caller {
    /// A caller signed in through a dashboard session. Only the session store creates these.
    pub fn from_session(context: SessionContext) -> Self {
        Self { actor: Actor::User(context.user_id.clone()), kind: CallerKind::Session(context) }
    }

    /// A caller holding a verified API key. Only the key store creates these.
    pub fn from_api_key(key: ApiKeyId, scope: Scope) -> Self {
        Self { actor: Actor::ApiKey(key), kind: CallerKind::ApiKey { scope } }
    }

    /// Roster acting on its own behalf, from the command line or at first start.
    pub fn system() -> Self {
        Self { actor: Actor::System, kind: CallerKind::System }
    }

    /// Who changes are attributed to.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The dashboard session behind this caller, if any.
    pub fn session(&self) -> Option<&SessionContext> {
        match &self.kind {
            CallerKind::Session(context) => Some(context),
            _ => None,
        }
    }

    /// The signed-in user, if the caller is a person.
    pub fn user_id(&self) -> Option<&UserId> {
        self.session().map(|context| &context.user_id)
    }

    /// Checks that the caller may manage organizations and returns what they may touch.
    ///
    /// A dashboard user is an admin of the organization their session is working on when
    /// their active membership there has the `owner` or `admin` role, or when they are a
    /// platform admin. The grant never reaches past that one organization.
    pub fn admin(&self) -> Result<Admin, AppError> {
        let scope = match &self.kind {
            CallerKind::System => Scope::Environment,
            CallerKind::ApiKey { scope } => scope.clone(),
            CallerKind::Session(context) => {
                let Some(organization) = &context.organization_id else {
                    return Err(AppError::Forbidden("You are not a member of any organization yet.".into()));
                };
                let may_manage =
                    context.is_platform_admin || context.roles.iter().any(|role| roles::grants_admin(role));
                if !may_manage {
                    return Err(AppError::Forbidden("You need the admin role in this organization to do that.".into()));
                }
                Scope::Organization(organization.clone())
            }
        };
        Ok(Admin { scope, actor: self.actor.clone() })
    }
}

/// Proof that the caller passed an admin check, and the reach of that check.
///
/// Only [`Caller::admin`] creates one, so holding an `Admin` means the check was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Admin {
    scope: Scope,
    actor: Actor,
}

impl Admin {
    /// The organizations this grant reaches.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Who the changes are attributed to.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// True when the grant reaches this organization.
    pub fn reaches(&self, organization: &OrganizationId) -> bool {
        match &self.scope {
            Scope::Environment => true,
            Scope::Organization(own) => own == organization,
        }
    }

    /// The one organization this grant is limited to, if it is limited.
    pub fn organization(&self) -> Option<&OrganizationId> {
        match &self.scope {
            Scope::Environment => None,
            Scope::Organization(own) => Some(own),
        }
    }

    /// Fails unless the grant reaches every organization.
    pub fn require_environment(&self) -> Result<(), AppError> {
        match self.scope {
            Scope::Environment => Ok(()),
            Scope::Organization(_) => {
                Err(AppError::Forbidden("This call needs access to the whole environment.".into()))
            }
        }
    }
}

/// A request to create a user.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewUser {
    pub email: String,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email_verified: bool,
    pub external_id: Option<String>,
    pub metadata: Metadata,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserUpdate {
    pub email: Option<String>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub email_verified: Option<bool>,
    pub password: Option<String>,
    pub external_id: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    /// Keys to set; a `None` value removes the key.
    pub metadata: Option<std::collections::BTreeMap<String, Option<String>>>,
}

/// The filters of a users list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserQuery {
    pub email: Option<String>,
    pub organization_id: Option<OrganizationId>,
    pub page: Page,
}

/// A request to create an organization.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewOrganization {
    pub name: String,
    pub domains: Vec<(String, DomainState)>,
    pub external_id: Option<String>,
    pub metadata: Metadata,
}

/// The filters of an organizations list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrganizationQuery {
    pub domains: Vec<String>,
    pub page: Page,
}

/// A request to add a user to an organization.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMembership {
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    /// Role slugs, primary first; empty means the default `member` role.
    pub role_slugs: Vec<String>,
    pub status: MembershipStatus,
}

/// The filters of a memberships list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MembershipQuery {
    pub organization_id: Option<OrganizationId>,
    pub user_id: Option<UserId>,
    /// Empty means every status.
    pub statuses: Vec<MembershipStatus>,
    pub page: Page,
}

/// A request to invite someone into an organization.
#[derive(Clone, Debug, PartialEq)]
pub struct NewInvitation {
    pub email: String,
    pub organization_id: OrganizationId,
    pub role_slug: Option<String>,
    /// 1–30; `None` means the default of 7.
    pub expires_in_days: Option<i64>,
    pub inviter_user_id: Option<UserId>,
}

/// The filters of an invitations list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InvitationQuery {
    pub organization_id: Option<OrganizationId>,
    pub email: Option<String>,
    pub page: Page,
}

/// A sign-in attempt with email and password.
#[derive(Clone, Debug, PartialEq)]
pub struct PasswordLogin {
    pub email: String,
    pub password: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// A started dashboard session.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedIn {
    /// The secret for the session cookie; only its hash is stored.
    pub token: String,
    pub session: Session,
}

/// Users: create, read, update, delete.
#[async_trait]
pub trait Users: Send + Sync {
    /// Lists users, newest first unless asked otherwise.
    async fn list_users(&self, admin: &Admin, query: UserQuery) -> Result<List<User>, AppError>;
    /// Reads one user.
    async fn get_user(&self, admin: &Admin, id: &UserId) -> Result<User, AppError>;
    /// Creates a user; needs environment access.
    async fn create_user(&self, admin: &Admin, user: NewUser) -> Result<User, AppError>;
    /// Changes a user.
    async fn update_user(&self, admin: &Admin, id: &UserId, update: UserUpdate) -> Result<User, AppError>;
    /// Deletes a user and their memberships; needs environment access.
    async fn delete_user(&self, admin: &Admin, id: &UserId) -> Result<(), AppError>;
}

/// Organizations: create and read.
#[async_trait]
pub trait Organizations: Send + Sync {
    /// Creates an organization; needs environment access.
    async fn create_organization(&self, admin: &Admin, organization: NewOrganization)
    -> Result<Organization, AppError>;
    /// Reads one organization.
    async fn get_organization(&self, admin: &Admin, id: &OrganizationId) -> Result<Organization, AppError>;
    /// Lists the organizations the grant reaches.
    async fn list_organizations(&self, admin: &Admin, query: OrganizationQuery)
    -> Result<List<Organization>, AppError>;
}

/// Memberships: who belongs where, with which roles.
#[async_trait]
pub trait Memberships: Send + Sync {
    /// Adds a user to an organization.
    async fn create_membership(
        &self,
        admin: &Admin,
        membership: NewMembership,
    ) -> Result<OrganizationMembership, AppError>;
    /// Reads one membership.
    async fn get_membership(&self, admin: &Admin, id: &MembershipId) -> Result<OrganizationMembership, AppError>;
    /// Lists memberships.
    async fn list_memberships(
        &self,
        admin: &Admin,
        query: MembershipQuery,
    ) -> Result<List<OrganizationMembership>, AppError>;
    /// Lists an organization's members with their users: the users table.
    async fn list_members(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        filter: MemberFilter,
        page: Page,
    ) -> Result<List<Member>, AppError>;
    /// Replaces a member's roles (primary first).
    async fn set_membership_roles(
        &self,
        admin: &Admin,
        id: &MembershipId,
        role_slugs: Vec<String>,
    ) -> Result<OrganizationMembership, AppError>;
    /// Suspends an active member, keeping their roles.
    async fn deactivate_membership(&self, admin: &Admin, id: &MembershipId)
    -> Result<OrganizationMembership, AppError>;
    /// Restores a deactivated member with the roles they had.
    async fn reactivate_membership(&self, admin: &Admin, id: &MembershipId)
    -> Result<OrganizationMembership, AppError>;
    /// Removes a member from the organization.
    async fn delete_membership(&self, admin: &Admin, id: &MembershipId) -> Result<(), AppError>;
}

/// Invitations: ask someone to join an organization.
#[async_trait]
pub trait Invitations: Send + Sync {
    /// Sends an invitation.
    async fn send_invitation(&self, admin: &Admin, invitation: NewInvitation) -> Result<Invitation, AppError>;
    /// Lists invitations, newest first unless asked otherwise.
    async fn list_invitations(&self, admin: &Admin, query: InvitationQuery) -> Result<List<Invitation>, AppError>;
    /// Reads one invitation.
    async fn get_invitation(&self, admin: &Admin, id: &InvitationId) -> Result<Invitation, AppError>;
    /// Issues a new token and expiry for a pending invitation.
    async fn resend_invitation(&self, admin: &Admin, id: &InvitationId) -> Result<Invitation, AppError>;
    /// Withdraws a pending invitation.
    async fn revoke_invitation(&self, admin: &Admin, id: &InvitationId) -> Result<Invitation, AppError>;
}

/// Roles and what they permit.
#[async_trait]
pub trait Roles: Send + Sync {
    /// The roles that can be given in an organization (environment roles included).
    async fn list_roles(&self, admin: &Admin, organization: Option<&OrganizationId>) -> Result<Vec<Role>, AppError>;
}

/// Dashboard sign-in sessions.
#[async_trait]
pub trait Sessions: Send + Sync {
    /// Checks an email and password and starts a session.
    async fn sign_in(&self, login: PasswordLogin) -> Result<SignedIn, AppError>;
    /// Resolves a session cookie to its caller; fails for unknown, ended or expired sessions.
    async fn resolve_session(&self, token: &str) -> Result<Caller, AppError>;
    /// Ends the caller's session.
    async fn sign_out(&self, caller: &Caller) -> Result<(), AppError>;
    /// Describes the signed-in user and what they may do.
    async fn viewer(&self, caller: &Caller) -> Result<Viewer, AppError>;
    /// Every membership of the signed-in user, in any status.
    async fn own_memberships(&self, caller: &Caller) -> Result<Vec<OrganizationMembership>, AppError>;
    /// Points the session at another organization the user may work on.
    async fn switch_organization(&self, caller: &Caller, organization: &OrganizationId) -> Result<(), AppError>;
}

/// Every user-management call. Implemented by the server's core; held as [`SharedDirectory`].
pub trait Directory: Users + Organizations + Memberships + Invitations + Roles + Sessions {}

impl<T: Users + Organizations + Memberships + Invitations + Roles + Sessions> Directory for T {}

/// The form in which server functions and handlers receive the directory.
pub type SharedDirectory = Arc<dyn Directory>;

#[cfg(test)]
mod tests {
    use super::*;

    fn session(roles: &[&str], platform: bool) -> Caller {
        Caller::from_session(SessionContext {
            session_id: SessionId::generate(),
            user_id: UserId::generate(),
            organization_id: Some(OrganizationId::generate()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            is_platform_admin: platform,
        })
    }

    #[test]
    fn members_get_no_admin_grant() {
        assert!(matches!(session(&["member"], false).admin(), Err(AppError::Forbidden(_))));
    }

    #[test]
    fn admins_are_limited_to_their_session_organization() {
        let caller = session(&["admin"], false);
        let admin = caller.admin().unwrap();
        let own = caller.session().unwrap().organization_id.clone().unwrap();
        assert!(admin.reaches(&own));
        assert!(!admin.reaches(&OrganizationId::generate()));
        assert!(admin.require_environment().is_err());
    }

    #[test]
    fn platform_admins_are_still_scoped_to_the_active_organization() {
        let admin = session(&[], true).admin().unwrap();
        assert!(!admin.reaches(&OrganizationId::generate()));
    }
}
