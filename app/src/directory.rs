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

pub use crate::access::*;
pub use crate::user_detail::{ActivityEntry, SessionDetail, SessionKind};

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
    /// A password hash from another system, instead of `password`.
    pub password_hash: Option<ImportedPasswordHash>,
    pub external_id: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    /// An `http(s)` URL of the user's picture; `Some(None)` clears it.
    pub profile_picture_url: Option<Option<String>>,
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

/// A request to invite someone into an organization, or, without one, to sign up.
#[derive(Clone, Debug, PartialEq)]
pub struct NewInvitation {
    pub email: String,
    pub organization_id: Option<OrganizationId>,
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

/// A password hash imported from another system.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedPasswordHash {
    pub hash: String,
    /// `bcrypt` or `argon2`.
    pub hash_type: String,
}

/// Changes to an organization; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrganizationUpdate {
    pub name: Option<String>,
    pub domains: Option<Vec<(String, DomainState)>>,
    pub external_id: Option<Option<String>>,
    pub stripe_customer_id: Option<Option<String>>,
    pub metadata: Option<Metadata>,
}

/// A request to create an API key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewApiKey {
    pub name: String,
    /// Limit the key to one organization; `None` reaches the whole environment.
    pub organization_id: Option<OrganizationId>,
    /// The client ID to file the key under; a new one when `None`.
    pub client_id: Option<String>,
    /// The secret to use (`sk_…`, at least 32 characters); a random one when `None`.
    pub secret: Option<String>,
}

/// A grant of `POST /user_management/authenticate`.
#[derive(Clone, Debug, PartialEq)]
pub enum Grant {
    /// Email and password; with an invitation's token, signing in also accepts it.
    Password { email: String, password: String, invitation_token: Option<String> },
    /// A refresh token, optionally switching the session to another organization.
    RefreshToken { refresh_token: String, organization_id: Option<OrganizationId> },
    /// Email and the one-time code of a magic auth; with an invitation's token, signing in
    /// also accepts it.
    MagicAuth { email: String, code: String, invitation_token: Option<String> },
    /// The code the hosted pages sent back to the application. A code issued with a PKCE
    /// challenge needs its verifier; one without needs the client's API key (`confidential`).
    AuthorizationCode { code: String, code_verifier: Option<String>, confidential: bool },
    /// A TOTP code answering a challenge, continuing a pending sign-in.
    Totp { pending_authentication_token: String, authentication_challenge_id: String, code: String },
    /// The code emailed for verification, continuing a pending sign-in.
    EmailVerification { pending_authentication_token: String, code: String },
    /// The organization picked, continuing a pending sign-in.
    OrganizationSelection { pending_authentication_token: String, organization_id: String },
}

/// Where an authentication request comes from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientContext {
    pub client_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// The public keys that verify access tokens, as a JWKS document.
pub type Jwks = serde_json::Value;

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
    /// Reads several users at once, skipping those out of reach.
    async fn users_by_id(&self, admin: &Admin, ids: &[UserId]) -> Result<Vec<User>, AppError>;
    /// Reads a user by the ID an application gave it.
    async fn get_user_by_external_id(&self, admin: &Admin, external_id: &str) -> Result<User, AppError>;
    /// Creates a user with a password hash from another system; needs environment access.
    async fn import_user(&self, admin: &Admin, user: NewUser, hash: ImportedPasswordHash) -> Result<User, AppError>;
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
    /// Reads an organization by the ID an application gave it.
    async fn get_organization_by_external_id(&self, admin: &Admin, external_id: &str)
    -> Result<Organization, AppError>;
    /// Changes an organization.
    async fn update_organization(
        &self,
        admin: &Admin,
        id: &OrganizationId,
        update: OrganizationUpdate,
    ) -> Result<Organization, AppError>;
    /// Deletes an organization with its memberships and invitations; needs environment access.
    async fn delete_organization(&self, admin: &Admin, id: &OrganizationId) -> Result<(), AppError>;
    /// The organizations page: organizations whose name or a domain starts with the search,
    /// newest first, with their member counts; needs environment access.
    async fn list_organization_overviews(
        &self,
        admin: &Admin,
        query: crate::organizations::OrganizationSearch,
    ) -> Result<List<crate::organizations::OrganizationOverview>, AppError>;
    /// One organization with its member and invitation counts; needs environment access.
    async fn get_organization_overview(
        &self,
        admin: &Admin,
        id: &OrganizationId,
    ) -> Result<crate::organizations::OrganizationOverview, AppError>;
    /// The organizations the signed-in caller may switch to whose name starts with `search`,
    /// by name, at most `limit`: the organization switcher's search.
    async fn switchable_organizations(
        &self,
        caller: &Caller,
        search: &str,
        limit: u32,
    ) -> Result<Vec<OrganizationSummary>, AppError>;
}

/// Organization domains: claim a domain for an organization, prove it over DNS, release it.
#[async_trait]
pub trait OrganizationDomains: Send + Sync {
    /// Claims a domain for an organization, pending its verification over DNS.
    async fn create_domain(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        domain: &str,
    ) -> Result<OrganizationDomain, AppError>;
    /// Reads one domain.
    async fn get_domain(&self, admin: &Admin, id: &OrganizationDomainId) -> Result<OrganizationDomain, AppError>;
    /// Looks for the domain's TXT record and marks it verified when the record is there.
    async fn verify_domain(&self, admin: &Admin, id: &OrganizationDomainId) -> Result<OrganizationDomain, AppError>;
    /// Releases a domain.
    async fn delete_domain(&self, admin: &Admin, id: &OrganizationDomainId) -> Result<(), AppError>;
    /// Marks a domain verified without DNS, on a platform admin's word (the manual strategy);
    /// needs environment access.
    async fn mark_domain_verified(
        &self,
        admin: &Admin,
        id: &OrganizationDomainId,
    ) -> Result<OrganizationDomain, AppError>;
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
    /// Reads an invitation by its token.
    async fn find_invitation_by_token(&self, admin: &Admin, token: &str) -> Result<Invitation, AppError>;
    /// Accepts a pending invitation: its email joins the organization with the invited role.
    async fn accept_invitation(&self, admin: &Admin, id: &InvitationId) -> Result<Invitation, AppError>;
    /// What the holder of an invitation link sees before accepting it.
    async fn preview_invitation(&self, token: &str) -> Result<InvitationPreview, AppError>;
    /// Accepts an invitation from its link and starts a session for the invitee.
    async fn accept_invitation_link(&self, acceptance: LinkAcceptance) -> Result<SignedIn, AppError>;
}

/// Roles and what they permit: the permissions catalog, environment and organization roles,
/// the roles a membership holds, and checks against them.
#[async_trait]
pub trait Roles: Send + Sync {
    /// The roles that can be given in an organization (environment roles included).
    async fn list_roles(&self, admin: &Admin, organization: Option<&OrganizationId>) -> Result<Vec<Role>, AppError>;
    /// The roles defined in one scope only, by priority.
    async fn list_scope_roles(&self, admin: &Admin, scope: &RoleScope) -> Result<Vec<Role>, AppError>;
    /// Reads one role; an organization scope also finds the environment's roles.
    async fn get_role(&self, admin: &Admin, scope: &RoleScope, slug: &str) -> Result<Role, AppError>;
    /// Creates a role: environment roles need environment access, organization roles owner rights.
    async fn create_role(&self, admin: &Admin, scope: &RoleScope, role: NewRole) -> Result<Role, AppError>;
    /// Changes a role's name, description, priority or default standing.
    async fn update_role(
        &self,
        admin: &Admin,
        scope: &RoleScope,
        slug: &str,
        update: RoleUpdate,
    ) -> Result<Role, AppError>;
    /// Deletes a role no member holds.
    async fn delete_role(&self, admin: &Admin, scope: &RoleScope, slug: &str) -> Result<(), AppError>;
    /// Replaces a role's permissions.
    async fn set_role_permissions(
        &self,
        admin: &Admin,
        scope: &RoleScope,
        slug: &str,
        permissions: Vec<String>,
    ) -> Result<Role, AppError>;
    /// Adds one permission to a role.
    async fn add_role_permission(
        &self,
        admin: &Admin,
        scope: &RoleScope,
        slug: &str,
        permission: &str,
    ) -> Result<Role, AppError>;
    /// Takes one permission from a role.
    async fn remove_role_permission(
        &self,
        admin: &Admin,
        scope: &RoleScope,
        slug: &str,
        permission: &str,
    ) -> Result<Role, AppError>;
    /// Lists the permissions catalog.
    async fn list_permissions(&self, admin: &Admin, page: Page) -> Result<List<Permission>, AppError>;
    /// Reads one permission.
    async fn get_permission(&self, admin: &Admin, slug: &str) -> Result<Permission, AppError>;
    /// Adds a permission to the catalog; needs environment access.
    async fn create_permission(&self, admin: &Admin, permission: NewPermission) -> Result<Permission, AppError>;
    /// Changes a permission's name or description; needs environment access.
    async fn update_permission(
        &self,
        admin: &Admin,
        slug: &str,
        update: PermissionUpdate,
    ) -> Result<Permission, AppError>;
    /// Deletes a permission, taking it from every role that has it; needs environment access.
    async fn delete_permission(&self, admin: &Admin, slug: &str) -> Result<(), AppError>;
    /// The roles that have a permission, in every organization the grant reaches.
    async fn roles_using_permission(&self, admin: &Admin, slug: &str) -> Result<Vec<Role>, AppError>;
    /// How roles are given out.
    async fn role_settings(&self, admin: &Admin) -> Result<RoleSettings, AppError>;
    /// Changes how roles are given out; needs environment access.
    async fn update_role_settings(&self, admin: &Admin, settings: RoleSettings) -> Result<RoleSettings, AppError>;
    /// The roles a membership holds, as assignments.
    async fn list_role_assignments(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        page: Page,
    ) -> Result<List<RoleAssignment>, AppError>;
    /// Gives a membership one more role.
    async fn assign_role(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        role_slug: &str,
        resource: &ResourceRef,
    ) -> Result<RoleAssignment, AppError>;
    /// Takes a role from a membership, by slug.
    async fn remove_role(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        role_slug: &str,
        resource: &ResourceRef,
    ) -> Result<(), AppError>;
    /// Takes a role from a membership, by assignment.
    async fn remove_role_assignment(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        assignment: &RoleAssignmentId,
    ) -> Result<(), AppError>;
    /// Whether an active membership's roles grant a permission.
    async fn check_permission(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        permission: &str,
        resource: &ResourceRef,
    ) -> Result<bool, AppError>;
}

/// Sessions: dashboard sign-in and the session cookie, the organization being worked on, and
/// the listing and ending of any user's sessions.
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
    /// Lists a user's sessions, newest first.
    async fn list_sessions(&self, admin: &Admin, user: &UserId, page: Page) -> Result<List<Session>, AppError>;
    /// Ends a session; its refresh tokens stop working.
    async fn revoke_session(&self, admin: &Admin, id: &SessionId) -> Result<(), AppError>;
}

/// What the user detail page reads and does beyond the other traits: a user's sessions as
/// the dashboard lists them, ending them all, setting a password, and their activity.
#[async_trait]
pub trait UserDetails: Send + Sync {
    /// Lists a user's sessions, newest first, with how each was opened and when it was last used.
    async fn user_sessions(&self, admin: &Admin, user: &UserId, page: Page) -> Result<List<SessionDetail>, AppError>;
    /// Ends every live session of a user that the grant sees; returns how many ended.
    async fn revoke_user_sessions(&self, admin: &Admin, user: &UserId) -> Result<u64, AppError>;
    /// Sets a user's password directly; platform admins only. Their sessions end.
    async fn set_user_password(&self, admin: &Admin, user: &UserId, password: &str) -> Result<User, AppError>;
    /// The events about a user, newest first, as sentences; organization grants see their
    /// organization's events only.
    async fn user_activity(&self, admin: &Admin, user: &UserId, page: Page) -> Result<List<ActivityEntry>, AppError>;
}

/// A TOTP factor to enroll. The issuer and account name are what authenticator apps show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewTotpFactor {
    /// Defaults to "Roster" for a user's factor; required by the standalone MFA API.
    pub issuer: Option<String>,
    /// Defaults to the user's email for a user's factor; required by the standalone MFA API.
    pub user: Option<String>,
    /// A base32 key of at least 128 bits to use instead of a random one.
    pub secret: Option<String>,
}

/// Authentication factors (TOTP apps): enrollment for users and through the standalone MFA
/// API, challenges and their verification, and resetting a user's factors.
///
/// Reading a user's factors and challenging them needs to see the user; enrolling, deleting
/// and resetting change their credentials, so they follow [`Admin::require_credentials`].
/// A factor without a user reaches the grants of the organization whose grant enrolled it.
#[async_trait]
pub trait AuthFactors: Send + Sync {
    /// Enrolls a TOTP factor for a user; the answer holds its secret and a first challenge.
    async fn enroll_user_factor(
        &self,
        admin: &Admin,
        user: &UserId,
        factor: NewTotpFactor,
    ) -> Result<EnrolledFactor, AppError>;
    /// Lists a user's factors, newest first, without secrets.
    async fn list_user_factors(
        &self,
        admin: &Admin,
        user: &UserId,
        page: Page,
    ) -> Result<List<AuthenticationFactor>, AppError>;
    /// Enrolls a TOTP factor that belongs to no user (the standalone MFA API).
    async fn enroll_factor(&self, admin: &Admin, factor: NewTotpFactor) -> Result<AuthenticationFactor, AppError>;
    /// Reads one factor, without its secret.
    async fn get_factor(&self, admin: &Admin, id: &AuthenticationFactorId) -> Result<AuthenticationFactor, AppError>;
    /// Deletes a factor with its challenges.
    async fn delete_factor(&self, admin: &Admin, id: &AuthenticationFactorId) -> Result<(), AppError>;
    /// Starts a challenge of a factor.
    async fn challenge_factor(
        &self,
        admin: &Admin,
        id: &AuthenticationFactorId,
    ) -> Result<AuthenticationChallenge, AppError>;
    /// Checks a code against a challenge: a wrong or replayed code is `valid: false`; an
    /// expired or already verified challenge is refused.
    async fn verify_challenge(
        &self,
        admin: &Admin,
        id: &AuthenticationChallengeId,
        code: &str,
    ) -> Result<ChallengeVerification, AppError>;
    /// Deletes every factor of a user, so they enroll again; returns how many were deleted.
    async fn reset_user_factors(&self, admin: &Admin, user: &UserId) -> Result<u64, AppError>;
}

/// How the holder of an invitation link proves who they are.
#[derive(Clone, Debug, PartialEq)]
pub enum Invitee {
    /// The invited email already has an account: its password.
    ExistingAccount { password: String },
    /// The invited email is new: the account to create for it.
    NewAccount { first_name: Option<String>, last_name: Option<String>, password: String },
}

/// An invitation accepted from its link.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkAcceptance {
    pub token: String,
    pub invitee: Invitee,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// API keys: the credentials of applications.
#[async_trait]
pub trait ApiKeys: Send + Sync {
    /// Creates a key; the secret is in the answer and nowhere else.
    async fn create_api_key(&self, admin: &Admin, key: NewApiKey) -> Result<CreatedApiKey, AppError>;
    /// Lists keys, newest first.
    async fn list_api_keys(&self, admin: &Admin) -> Result<Vec<ApiKey>, AppError>;
    /// Revokes a key at once.
    async fn revoke_api_key(&self, admin: &Admin, id: &ApiKeyId) -> Result<(), AppError>;
    /// Resolves a presented secret to its caller; fails for unknown and revoked keys.
    async fn authenticate_api_key(&self, secret: &str) -> Result<Caller, AppError>;
    /// The caller a public client (one that holds no secret, such as a browser app using
    /// PKCE) acts as: the grant of its client ID's live API key. Unknown IDs are refused.
    async fn client_caller(&self, client_id: &str) -> Result<Caller, AppError>;
}

/// Application sign-in: the grants of `POST /user_management/authenticate` and the keys
/// that verify the tokens they issue.
#[async_trait]
pub trait Authentication: Send + Sync {
    /// Runs a grant and issues an access token and a refresh token.
    async fn authenticate(
        &self,
        admin: &Admin,
        grant: Grant,
        client: ClientContext,
    ) -> Result<AuthenticationResponse, AppError>;
    /// The JWKS that verifies access tokens.
    async fn jwks(&self) -> Result<Jwks, AppError>;
}

/// One-time codes: email verification, password reset and magic auth.
#[async_trait]
pub trait Codes: Send + Sync {
    /// Sends a verification code to the user's email.
    async fn send_email_verification(&self, admin: &Admin, user: &UserId) -> Result<User, AppError>;
    /// Checks a verification code and marks the email verified.
    async fn verify_email(&self, admin: &Admin, user: &UserId, code: &str) -> Result<User, AppError>;
    /// Reads an email verification.
    async fn get_email_verification(
        &self,
        admin: &Admin,
        id: &EmailVerificationId,
    ) -> Result<EmailVerification, AppError>;
    /// Sends a password reset link.
    async fn create_password_reset(&self, admin: &Admin, email: &str) -> Result<PasswordReset, AppError>;
    /// Sets a new password with a reset token.
    async fn reset_password(&self, admin: &Admin, token: &str, new_password: &str) -> Result<User, AppError>;
    /// Reads a password reset.
    async fn get_password_reset(&self, admin: &Admin, id: &PasswordResetId) -> Result<PasswordReset, AppError>;
    /// Sends a reset link to an email's account, if it has one, for whoever asks: public by
    /// design, since the link goes to the mailbox, never to the asker. The answer is the same
    /// (and takes as long) whether or not the account exists; limited per email and per address.
    async fn request_password_reset(&self, email: &str, ip_address: Option<&str>) -> Result<(), AppError>;
    /// The email whose password a live reset token resets: public, the token is the proof.
    /// Wrong tokens count against the client address's limit of failed attempts.
    async fn preview_password_reset(&self, token: &str, ip_address: Option<&str>) -> Result<String, AppError>;
    /// Sets a new password with a reset token alone (public, the token is the proof) and ends
    /// every session of the user. Wrong tokens count as in [`Codes::preview_password_reset`].
    async fn reset_password_with_token(
        &self,
        token: &str,
        new_password: &str,
        ip_address: Option<&str>,
    ) -> Result<User, AppError>;
    /// Sends a magic-auth code.
    async fn create_magic_auth(&self, admin: &Admin, email: &str) -> Result<MagicAuth, AppError>;
    /// Reads a magic-auth code.
    async fn get_magic_auth(&self, admin: &Admin, id: &MagicAuthId) -> Result<MagicAuth, AppError>;
}

/// The outbox: every message Roster emails, with its delivery state, for platform admins.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Lists messages, newest first.
    async fn list_outbox(&self, admin: &Admin, page: Page) -> Result<List<OutboxMessage>, AppError>;
    /// Whether messages are delivered over SMTP (otherwise admins forward them by hand).
    async fn email_delivery(&self, admin: &Admin) -> Result<bool, AppError>;
    /// Puts a message back in line for delivery now, with fresh retries.
    async fn send_message_again(&self, admin: &Admin, id: &MessageId) -> Result<OutboxMessage, AppError>;
}

/// Bulk actions on the users table: one request, the member calls applied row by row under
/// their own rules, and a report of what was done and what was refused, and why.
#[async_trait]
pub trait BulkActions: Send + Sync {
    /// Applies `action` to the selected members of `organization`. Rows the grant may not
    /// touch (or that are not in the organization) are refused in the report, never skipped;
    /// a selection larger than [`MAX_BULK_ROWS`] is refused before anything changes.
    async fn bulk_members(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        selection: BulkSelection,
        action: BulkAction,
    ) -> Result<BulkReport, AppError>;
    /// Keeps a report for an hour, for the page a form posted without JavaScript returns to.
    async fn keep_bulk_report(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        report: &BulkReport,
    ) -> Result<BulkReportId, AppError>;
    /// Reads a kept report of an organization the grant reaches.
    async fn bulk_report(&self, admin: &Admin, id: &BulkReportId) -> Result<BulkReport, AppError>;
}

/// The environment's settings, and what they decide for callers without a grant: logout and
/// which browser origins may call the sign-in API.
#[async_trait]
pub trait Environment: Send + Sync {
    /// The settings as they apply now (environment grants only).
    async fn environment_settings(&self, admin: &Admin) -> Result<EnvironmentSettings, AppError>;
    /// Changes the settings (environment grants only); fields set by configuration are refused.
    async fn update_environment_settings(
        &self,
        admin: &Admin,
        update: SettingsUpdate,
    ) -> Result<EnvironmentSettings, AppError>;
    /// Ends a session by its ID (a browser's logout: no grant, as in WorkOS) and says where to
    /// send the browser. A `return_to` that is not allowed is refused before anything happens;
    /// an unknown or ended session is not told apart from a live one.
    async fn logout(&self, session_id: &str, return_to: Option<&str>) -> Result<LogoutTarget, AppError>;
    /// True when a browser page of `origin` may call the sign-in API.
    async fn allows_cors_origin(&self, origin: &str) -> Result<bool, AppError>;
}

/// The hosted sign-in pages: `/user_management/authorize` starts a flow, the pages show it and
/// take what people type. A flow is bound to the browser that started it (`browser` is the
/// secret of its httpOnly cookie); `flow: None` is the dashboard's own sign-in.
#[async_trait]
pub trait HostedSignIn: Send + Sync {
    /// Checks an application's authorization request and starts its flow; returns the path
    /// of the first hosted page.
    async fn authorize(&self, request: AuthorizeRequest, browser: &str) -> Result<String, AppError>;
    /// The flow as its pages show it.
    async fn hosted_flow(&self, flow: Option<&str>, browser: &str) -> Result<HostedFlow, AppError>;
    /// Takes what a person typed on a hosted page, and says where to go next.
    async fn hosted_step(
        &self,
        flow: Option<&str>,
        browser: &str,
        input: HostedInput,
        client: ClientContext,
    ) -> Result<HostedNext, AppError>;
    /// Emails a sign-in code to this address, if it has an account (the answer does not say).
    async fn hosted_send_magic_code(&self, flow: Option<&str>, browser: &str, email: &str) -> Result<(), AppError>;
    /// Sends the flow's email verification code again.
    async fn hosted_resend_email_code(&self, flow: &str, browser: &str) -> Result<(), AppError>;
}

/// A request for a widget token (`POST /widgets/token`).
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetTokenRequest {
    pub user_id: UserId,
    /// Without it the token serves only the user's own account (profile, sessions, security).
    pub organization_id: Option<OrganizationId>,
    /// Scopes from [`WIDGET_SCOPES`] that the user's roles there must grant.
    pub scopes: Vec<String>,
}

/// Changes a person makes to their own profile; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileUpdate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// A language tag such as `en`; empty clears it.
    pub locale: Option<String>,
}

/// How a person can sign in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignInMethods {
    pub password: bool,
    /// At least one authenticator app (TOTP factor) is enrolled.
    pub factors: bool,
}

/// Widget tokens and the users table of WorkOS Widgets. Member management goes through the
/// same calls as the other doors (with the grant of [`Caller::admin`] on a widget caller);
/// these are what only the widgets need.
#[async_trait]
pub trait Widgets: Send + Sync {
    /// Issues a one-hour widget token for an active member whose roles grant the scopes.
    async fn issue_widget_token(&self, admin: &Admin, request: WidgetTokenRequest) -> Result<String, AppError>;
    /// Resolves a widget token to its caller; fails (forbidden) for a bad, expired or revoked
    /// token, and once its user is no longer an active member of its organization.
    async fn resolve_widget_token(&self, token: &str) -> Result<Caller, AppError>;
    /// A page of the users table: open invitations on the first page, then active members.
    async fn widget_members(
        &self,
        admin: &Admin,
        viewer: &UserId,
        query: WidgetMemberQuery,
    ) -> Result<WidgetMembers, AppError>;
    /// The roles members may be given, and whether a member may hold several.
    async fn widget_roles(&self, admin: &Admin) -> Result<WidgetRolesAndConfig, AppError>;
    /// A user's membership of the grant's organization (the widgets name members by user).
    async fn widget_membership(&self, admin: &Admin, user: &UserId) -> Result<OrganizationMembership, AppError>;
    /// The address Roster is reached at (the widgets' `authkitOrigin`).
    fn public_origin(&self) -> String;
    /// The origins that may frame the embedded users table: the environment's allowed
    /// browser origins.
    async fn embedding_origins(&self) -> Result<Vec<String>, AppError>;
}

/// Proof, for ten minutes, that a person just read a code sent to their email: what a widget
/// needs before it changes their credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElevatedAccess {
    pub token: String,
    pub expires_at: String,
}

/// A TOTP key offered to a person, enrolled once they confirm a code from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingFactor {
    /// The factor's ID once confirmed.
    pub factor_id: AuthenticationFactorId,
    /// What the confirming code is checked against.
    pub challenge_id: AuthenticationChallengeId,
    pub user_id: UserId,
    pub issuer: String,
    /// The account name authenticator apps show: the email.
    pub account: String,
    /// The base32 key, its `otpauth://` URI and a QR code of it as a data URI.
    pub secret: String,
    pub uri: String,
    pub qr_code: String,
    pub created_at: String,
    pub expires_at: String,
}

/// What a person does to their own account, proven by an [`Account`] from [`Caller::account`].
#[async_trait]
pub trait OwnAccount: Send + Sync {
    /// The person's own user.
    async fn own_user(&self, account: &Account) -> Result<User, AppError>;
    /// Changes their name or locale.
    async fn update_own_profile(&self, account: &Account, update: ProfileUpdate) -> Result<User, AppError>;
    /// Their live sessions.
    async fn own_live_sessions(&self, account: &Account) -> Result<Vec<Session>, AppError>;
    /// Ends one of their sessions.
    async fn end_own_session(&self, account: &Account, id: &SessionId) -> Result<(), AppError>;
    /// Ends every live session but `keep`; returns how many ended.
    async fn end_other_sessions(&self, account: &Account, keep: Option<&SessionId>) -> Result<u64, AppError>;
    /// Changes their password, given the current one; their other sessions end.
    async fn change_own_password(&self, account: &Account, current: &str, new: &str) -> Result<(), AppError>;
    /// How they can sign in.
    async fn own_sign_in_methods(&self, account: &Account) -> Result<SignInMethods, AppError>;
    /// Emails them a code that proves they read their email; returns the code's ID.
    async fn start_elevation(&self, account: &Account) -> Result<EmailVerificationId, AppError>;
    /// Checks that code and grants elevated access.
    async fn finish_elevation(
        &self,
        account: &Account,
        challenge: &str,
        code: &str,
    ) -> Result<ElevatedAccess, AppError>;
    /// True when the token is elevated access of this account, unexpired.
    async fn is_elevated(&self, account: &Account, token: Option<&str>) -> Result<bool, AppError>;
    /// Sets a first password (an account without one: signed in by codes only).
    async fn create_own_password(&self, account: &Account, password: &str) -> Result<(), AppError>;
    /// Offers a new TOTP key, valid ten minutes until confirmed.
    async fn start_own_factor(&self, account: &Account) -> Result<PendingFactor, AppError>;
    /// Enrolls the offered key when the code from it is right.
    async fn confirm_own_factor(&self, account: &Account, challenge: &str, code: &str) -> Result<(), AppError>;
    /// Removes every TOTP factor; returns how many.
    async fn reset_own_factors(&self, account: &Account) -> Result<u64, AppError>;
    /// Emails a code to a new address; returns when it expires.
    async fn start_email_change(&self, account: &Account, new_email: &str) -> Result<String, AppError>;
    /// Moves the account to the address the code was sent to, verified; with fresh elevated
    /// access (the code proved it again).
    async fn finish_email_change(&self, account: &Account, code: &str) -> Result<(User, ElevatedAccess), AppError>;
}

/// Every user-management call. Implemented by the server's core; held as [`SharedDirectory`].
pub trait Directory:
    Users
    + Organizations
    + OrganizationDomains
    + Memberships
    + Invitations
    + Roles
    + Sessions
    + ApiKeys
    + Authentication
    + Codes
    + Outbox
    + UserDetails
    + BulkActions
    + AuthFactors
    + Environment
    + HostedSignIn
    + Widgets
    + OwnAccount
{
}

impl<T> Directory for T where
    T: Users
        + Organizations
        + OrganizationDomains
        + Memberships
        + Invitations
        + Roles
        + Sessions
        + ApiKeys
        + Authentication
        + Codes
        + Outbox
        + UserDetails
        + BulkActions
        + AuthFactors
        + Environment
        + HostedSignIn
        + Widgets
        + OwnAccount
{
}

/// The form in which server functions and handlers receive the directory.
pub type SharedDirectory = Arc<dyn Directory>;
