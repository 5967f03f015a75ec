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
    Widget(WidgetContext),
    System,
}

/// The scope of a widget token that lets its user manage the organization's members.
pub const USERS_TABLE_SCOPE: &str = "widgets:users-table:manage";

/// Every scope a widget token may ask for (the WorkOS SDK's `WidgetScope`).
pub const WIDGET_SCOPES: [&str; 6] = [
    USERS_TABLE_SCOPE,
    "widgets:sso:manage",
    "widgets:domain-verification:manage",
    "widgets:api-keys:manage",
    "widgets:dsync:manage",
    "widgets:audit-log-streaming:manage",
];

/// What a widget token grants, as checked against the store at the call: one user, acting on
/// themselves, and in one organization with the scopes the token carries that the user's
/// roles there still grant.
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetContext {
    pub user_id: UserId,
    /// The session the token was issued within, if the user had one.
    pub session_id: Option<SessionId>,
    /// The organization of the token, where the user is an active member.
    pub organization_id: Option<OrganizationId>,
    /// The user's roles there.
    pub roles: Vec<String>,
    /// The token's scopes that the roles still grant.
    pub scopes: Vec<String>,
    /// The token may act on its user's own account: the key that asked for it could change
    /// that user's credentials itself.
    pub account: bool,
}

/// Proof that the caller acts on their own account (a person in a dashboard session or
/// through a widget): only [`Caller::account`] creates one.
#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    user_id: UserId,
    session_id: Option<SessionId>,
}

impl Account {
    /// The user whose account this is.
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }

    /// The session the caller uses, if any: "every other session" keeps it.
    pub fn session_id(&self) -> Option<&SessionId> {
        self.session_id.as_ref()
    }
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

    /// A caller holding a widget token. Only the widget token check creates these.
    pub fn from_widget(context: WidgetContext) -> Self {
        Self { actor: Actor::User(context.user_id.clone()), kind: CallerKind::Widget(context) }
    }

    /// The widget token behind this caller, if any.
    pub fn widget(&self) -> Option<&WidgetContext> {
        match &self.kind {
            CallerKind::Widget(context) => Some(context),
            _ => None,
        }
    }

    /// Checks that the caller is a person acting on their own account.
    pub fn account(&self) -> Result<Account, AppError> {
        match &self.kind {
            CallerKind::Session(context) => {
                Ok(Account { user_id: context.user_id.clone(), session_id: Some(context.session_id.clone()) })
            }
            CallerKind::Widget(context) if context.account => {
                Ok(Account { user_id: context.user_id.clone(), session_id: context.session_id.clone() })
            }
            CallerKind::Widget(_) => Err(AppError::Forbidden(
                "This widget token was issued for the users table only: the key that asked for it cannot act on \
                 this user's account."
                    .into(),
            )),
            CallerKind::ApiKey { .. } | CallerKind::System => {
                Err(AppError::Forbidden("Only a signed-in person can do that to their own account.".into()))
            }
        }
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
        match &self.kind {
            CallerKind::Session(context) => Some(&context.user_id),
            CallerKind::Widget(context) => Some(&context.user_id),
            CallerKind::ApiKey { .. } | CallerKind::System => None,
        }
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
            // A widget never reaches past its organization, whoever its user is.
            CallerKind::Widget(_) => false,
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
            // A widget manages members only with the users-table scope, which a role grants
            // (`owner` and `admin` by default); owners keep their owner rights there.
            CallerKind::Widget(context) => {
                let organization = context
                    .organization_id
                    .as_ref()
                    .filter(|_| context.scopes.iter().any(|scope| scope == USERS_TABLE_SCOPE));
                let Some(organization) = organization else {
                    return Err(AppError::Forbidden("This widget token does not allow managing users.".into()));
                };
                let authority = if context.roles.iter().any(|role| role == roles::OWNER) {
                    Authority::Owner
                } else {
                    Authority::Admin
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

    fn widget(roles: &[&str], scopes: &[&str]) -> Caller {
        Caller::from_widget(WidgetContext {
            user_id: UserId::generate(),
            session_id: None,
            organization_id: Some(OrganizationId::generate()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            account: true,
        })
    }

    #[test]
    fn widgets_manage_members_of_their_organization_only_with_the_users_table_scope() {
        assert!(matches!(widget(&["admin"], &[]).admin(), Err(AppError::Forbidden(_))));
        let caller = widget(&["admin"], &[USERS_TABLE_SCOPE]);
        let admin = caller.admin().unwrap();
        assert!(admin.reaches(caller.widget().unwrap().organization_id.as_ref().unwrap()));
        assert!(!admin.reaches(&OrganizationId::generate()));
        assert!(admin.require_owner_rights().is_err());
        assert!(widget(&["owner"], &[USERS_TABLE_SCOPE]).admin().unwrap().require_owner_rights().is_ok());
        assert!(caller.environment_admin().is_err());
        assert_eq!(caller.account().unwrap().user_id(), caller.user_id().unwrap());
    }

    #[test]
    fn api_keys_have_no_account_of_their_own() {
        let key = Caller::from_api_key(ApiKeyId::generate(), "client".into(), Scope::Environment);
        assert!(matches!(key.account(), Err(AppError::Forbidden(_))));
        assert!(session(&["member"], false).account().is_ok());
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
