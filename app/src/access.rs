//! Access control: who is calling ([`Caller`]) and what they may touch ([`Admin`]).
//!
//! Every decision about reach is made here, once, so the two doors and every core call agree:
//!
//! - an [`Admin`] grant is obtained only from [`Caller::admin`] or [`Caller::environment_admin`];
//! - its scope says which organizations it reaches: all of them, or one;
//! - its authority says whether it may manage owners and the credentials of people it can see.
//!
//! Organization-scoped grants (organization API keys, organization admins and owners) read
//! the users of their organization, but change a user's credentials or email, issue codes for
//! them, or end their sessions only when every membership of that user is in the grant's
//! organization and the user is not a platform admin. A user shared with another tenant is that
//! tenant's user too; neither may take the account over.

use crate::error::AppError;
use crate::ids::*;
use crate::model::roles;

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
    ApiKey { client_id: String, scope: Scope },
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

/// How much a grant may do inside its scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Authority {
    /// Manages members and admins, but not owners.
    Admin,
    /// Also grants and removes the `owner` role: owners, and organization API keys (an
    /// application's backend acts for the organization that issued its key).
    Owner,
    /// Roster itself, environment API keys and platform admins.
    Platform,
}

impl Caller {
    /// A caller signed in through a dashboard session. Only the session store creates these.
    pub fn from_session(context: SessionContext) -> Self {
        Self { actor: Actor::User(context.user_id.clone()), kind: CallerKind::Session(context) }
    }

    /// A caller holding a verified API key. Only the key store creates these.
    pub fn from_api_key(key: ApiKeyId, client_id: String, scope: Scope) -> Self {
        Self { actor: Actor::ApiKey(key), kind: CallerKind::ApiKey { client_id, scope } }
    }

    /// Roster acting on its own behalf. Only the command line, first-start seeding and
    /// start-up may use it; `clippy.toml` refuses it anywhere else.
    pub fn system() -> Self {
        Self { actor: Actor::System, kind: CallerKind::System }
    }

    /// The client ID of the caller's API key, if any.
    pub fn client_id(&self) -> Option<&str> {
        match &self.kind {
            CallerKind::ApiKey { client_id, .. } => Some(client_id),
            _ => None,
        }
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

    /// The API key behind this caller, if any.
    pub fn api_key(&self) -> Option<&ApiKeyId> {
        match &self.actor {
            Actor::ApiKey(id) => Some(id),
            _ => None,
        }
    }

    /// Checks that the caller may manage the whole environment: Roster itself, an
    /// environment API key, or a platform admin's dashboard session.
    pub fn environment_admin(&self) -> Result<Admin, AppError> {
        let allowed = match &self.kind {
            CallerKind::System => true,
            CallerKind::ApiKey { scope, .. } => *scope == Scope::Environment,
            CallerKind::Session(context) => context.is_platform_admin,
        };
        if allowed {
            Ok(Admin { scope: Scope::Environment, authority: Authority::Platform, actor: self.actor.clone() })
        } else {
            Err(AppError::Forbidden("Only platform admins can do that.".into()))
        }
    }

    /// Checks that the caller may manage organizations and returns what they may touch.
    ///
    /// A dashboard user is an admin of the organization their session is working on when
    /// their active membership there has the `owner` or `admin` role, or when they are a
    /// platform admin. The grant never reaches past that one organization.
    pub fn admin(&self) -> Result<Admin, AppError> {
        let (scope, authority) = match &self.kind {
            CallerKind::System => (Scope::Environment, Authority::Platform),
            CallerKind::ApiKey { scope: Scope::Environment, .. } => (Scope::Environment, Authority::Platform),
            CallerKind::ApiKey { scope, .. } => (scope.clone(), Authority::Owner),
            CallerKind::Session(context) => {
                let Some(organization) = &context.organization_id else {
                    return Err(AppError::Forbidden("You are not a member of any organization yet.".into()));
                };
                let has = |role: &str| context.roles.iter().any(|held| held == role);
                let authority = if context.is_platform_admin {
                    Authority::Platform
                } else if has(roles::OWNER) {
                    Authority::Owner
                } else if context.roles.iter().any(|role| roles::grants_admin(role)) {
                    Authority::Admin
                } else {
                    return Err(AppError::Forbidden("You need the admin role in this organization to do that.".into()));
                };
                (Scope::Organization(organization.clone()), authority)
            }
        };
        Ok(Admin { scope, authority, actor: self.actor.clone() })
    }
}

/// Proof that the caller passed an admin check, and the reach of that check.
///
/// Only [`Caller::admin`] and [`Caller::environment_admin`] create one, so holding an
/// `Admin` means the check was made. Every question of reach is one of its methods.
#[derive(Clone, Debug, PartialEq)]
pub struct Admin {
    scope: Scope,
    authority: Authority,
    actor: Actor,
}

/// Where a user stands in the directory: what decides which grants may act on them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserStanding {
    /// Every organization the user has a membership of, in any status.
    pub organizations: Vec<OrganizationId>,
    /// The user manages the whole platform.
    pub is_platform_admin: bool,
}

/// The organizations a list may show, once the grant has narrowed the filter asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visible {
    /// Nothing: the filter names an organization out of reach, whose list is empty.
    Nothing,
    /// Every organization.
    All,
    /// This organization only.
    Only(OrganizationId),
}

impl Visible {
    /// The organization to filter on, if any; `None` for [`Visible::All`].
    pub fn organization(&self) -> Option<&OrganizationId> {
        match self {
            Visible::Only(organization) => Some(organization),
            Visible::All | Visible::Nothing => None,
        }
    }
}

impl Admin {
    /// The organizations this grant reaches.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// What this grant may do inside its scope.
    pub fn authority(&self) -> Authority {
        self.authority
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

    /// Fails with "not found" when the grant does not reach the organization, so that other
    /// organizations' objects are indistinguishable from missing ones; `what` names the object.
    pub fn require_reach(&self, organization: &OrganizationId, what: &str) -> Result<(), AppError> {
        if self.reaches(organization) { Ok(()) } else { Err(AppError::not_found(what)) }
    }

    /// Like [`Admin::require_reach`] for objects that may belong to no organization (an
    /// invitation to sign up): those are for environment grants only.
    pub fn require_reach_of(&self, organization: Option<&OrganizationId>, what: &str) -> Result<(), AppError> {
        match organization {
            Some(organization) => self.require_reach(organization, what),
            None if self.organization().is_some() => Err(AppError::not_found(what)),
            None => Ok(()),
        }
    }

    /// Narrows a list's organization filter to the grant.
    pub fn visible(&self, asked: Option<OrganizationId>) -> Visible {
        match (self.organization(), asked) {
            (Some(own), Some(asked)) if own != &asked => Visible::Nothing,
            (Some(own), _) => Visible::Only(own.clone()),
            (None, Some(asked)) => Visible::Only(asked),
            (None, None) => Visible::All,
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

    /// True when the grant may see this user: environment grants see everyone, organization
    /// grants see the users with a membership (in any status) of their organization.
    pub fn sees_user(&self, user: &UserStanding) -> bool {
        match &self.scope {
            Scope::Environment => true,
            Scope::Organization(own) => user.organizations.contains(own),
        }
    }

    /// Fails with "not found" unless the grant sees this user; `what` names the object asked for.
    pub fn require_user(&self, user: &UserStanding, what: &str) -> Result<(), AppError> {
        if self.sees_user(user) { Ok(()) } else { Err(AppError::not_found(what)) }
    }

    /// Checks that the grant may act on the user's credentials: change their password or
    /// email, issue them codes, or end their sessions.
    ///
    /// A user the grant cannot see is "not found"; a user it sees but shares with another
    /// organization (or a platform admin) is forbidden to organization-scoped grants below
    /// platform authority.
    pub fn require_credentials(&self, user: &UserStanding) -> Result<(), AppError> {
        self.require_user(user, "User")?;
        let Scope::Organization(own) = &self.scope else { return Ok(()) };
        if self.authority == Authority::Platform {
            return Ok(());
        }
        if user.is_platform_admin {
            return Err(AppError::Forbidden(
                "This user is a platform admin; only another platform admin can change their credentials.".into(),
            ));
        }
        if user.organizations.iter().any(|organization| organization != own) {
            return Err(AppError::Forbidden(
                "This user also belongs to another organization, so only they (or a platform admin) can change \
                 their credentials, email or sessions."
                    .into(),
            ));
        }
        Ok(())
    }

    /// The answer to a value (an email, an external ID, a domain) that something else already
    /// has: environment grants get `conflict`; organization grants get a validation error on
    /// `field`, naming it as `what`, that does not tell whether another tenant has the value.
    pub fn collision(&self, conflict: AppError, field: &str, what: &str) -> AppError {
        match self.scope {
            Scope::Environment => conflict,
            Scope::Organization(_) => AppError::invalid(field, "unavailable", format!("This {what} can't be used.")),
        }
    }

    /// Fails unless the grant may grant, remove or act on the `owner` role.
    pub fn require_owner_rights(&self) -> Result<(), AppError> {
        if self.authority >= Authority::Owner {
            Ok(())
        } else {
            Err(AppError::Forbidden("Only owners can grant, change or remove the owner role.".into()))
        }
    }
}

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

    fn standing(organizations: &[&OrganizationId], is_platform_admin: bool) -> UserStanding {
        UserStanding { organizations: organizations.iter().map(|o| (*o).clone()).collect(), is_platform_admin }
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
        assert_eq!(admin.visible(Some(OrganizationId::generate())), Visible::Nothing);
        assert_eq!(admin.visible(None), Visible::Only(own));
    }

    #[test]
    fn platform_admins_are_still_scoped_to_the_active_organization() {
        let admin = session(&[], true).admin().unwrap();
        assert!(!admin.reaches(&OrganizationId::generate()));
    }

    #[test]
    fn only_owners_and_above_have_owner_rights() {
        assert!(session(&["admin"], false).admin().unwrap().require_owner_rights().is_err());
        assert!(session(&["owner"], false).admin().unwrap().require_owner_rights().is_ok());
        assert!(session(&["member"], true).admin().unwrap().require_owner_rights().is_ok());
        let key = Caller::from_api_key(
            ApiKeyId::generate(),
            "client".into(),
            Scope::Organization(OrganizationId::generate()),
        );
        assert!(key.admin().unwrap().require_owner_rights().is_ok());
    }

    #[test]
    fn organization_grants_manage_credentials_only_of_users_wholly_inside_their_organization() {
        let caller = session(&["owner"], false);
        let admin = caller.admin().unwrap();
        let own = caller.session().unwrap().organization_id.clone().unwrap();
        let other = OrganizationId::generate();
        assert!(admin.require_credentials(&standing(&[&own], false)).is_ok());
        assert!(matches!(admin.require_credentials(&standing(&[&own, &other], false)), Err(AppError::Forbidden(_))));
        assert!(matches!(admin.require_credentials(&standing(&[&own], true)), Err(AppError::Forbidden(_))));
        assert!(matches!(admin.require_credentials(&standing(&[&other], false)), Err(AppError::NotFound(_))));
        // Users without any membership belong to no organization, so to no organization grant.
        assert!(matches!(admin.require_credentials(&standing(&[], false)), Err(AppError::NotFound(_))));
        let environment = Caller::from_api_key(ApiKeyId::generate(), "client".into(), Scope::Environment);
        assert!(environment.admin().unwrap().require_credentials(&standing(&[&own, &other], true)).is_ok());
    }
}
