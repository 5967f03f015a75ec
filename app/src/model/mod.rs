//! The typed models shared by the server and the browser.
//!
//! Their serde form is the WorkOS wire shape (snake_case fields, an `object` tag, `null`
//! rather than a missing field), so the REST API, the dashboard and a remote client all
//! share one set of types. What only the dashboard shows is in `dashboard.rs`.

mod authorization;
mod bulk;
mod dashboard;
mod factors;
mod settings;
mod sign_in;
mod widgets;

pub use authorization::*;
pub use bulk::*;
pub use dashboard::*;
pub use factors::*;
pub use settings::*;
pub use sign_in::*;
pub use widgets::*;

use crate::ids::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Free-form string metadata attached to users and organizations.
pub type Metadata = BTreeMap<String, String>;

/// A person who can sign in.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "user")]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub email_verified: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub profile_picture_url: Option<String>,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub last_sign_in_at: Option<String>,
    pub locale: Option<String>,
    pub external_id: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = BTreeMap<String, String>))]
    pub metadata: Metadata,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

impl User {
    /// The name to show for this user: their full name, else their email.
    pub fn display_name(&self) -> String {
        let full = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if full.is_empty() { self.email.clone() } else { full }
    }
}

/// A customer organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "organization")]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub allow_profiles_outside_organization: bool,
    pub domains: Vec<OrganizationDomain>,
    pub stripe_customer_id: Option<String>,
    pub external_id: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = BTreeMap<String, String>))]
    pub metadata: Metadata,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// A domain claimed by an organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "organization_domain")]
pub struct OrganizationDomain {
    pub id: OrganizationDomainId,
    pub domain: String,
    pub organization_id: OrganizationId,
    pub state: DomainState,
    pub verification_strategy: DomainVerificationStrategy,
    /// What a TXT record at the domain must say (`verification_token=<token>`) to verify it over DNS.
    pub verification_token: Option<String>,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// Whether a domain's ownership has been proven.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainState {
    Verified,
    Pending,
    Failed,
}

/// How a domain's ownership is proven.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainVerificationStrategy {
    Dns,
    Manual,
}

/// Where a membership stands.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    /// A full member.
    Active,
    /// A former member, kept with their roles so they can be reactivated.
    Inactive,
    /// Invited but not yet joined.
    Pending,
}

impl MembershipStatus {
    /// Every status, in the order the dashboard lists them.
    pub const ALL: [Self; 3] = [Self::Active, Self::Inactive, Self::Pending];

    /// The wire name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Pending => "pending",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Deactivated",
            Self::Pending => "Pending",
        }
    }
}

/// A role as it appears inside a membership: only its slug.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleRef {
    pub slug: String,
}

/// A user's membership of an organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "organization_membership")]
pub struct OrganizationMembership {
    pub id: MembershipId,
    pub user_id: UserId,
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub status: MembershipStatus,
    /// The primary role: the first of `roles`.
    pub role: RoleRef,
    pub roles: Vec<RoleRef>,
    pub directory_managed: bool,
    pub custom_attributes: BTreeMap<String, serde_json::Value>,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

impl OrganizationMembership {
    /// True when one of the member's roles has this slug.
    pub fn has_role(&self, slug: &str) -> bool {
        self.roles.iter().any(|role| role.slug == slug)
    }
}

/// Where an invitation stands.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

impl InvitationState {
    /// The wire name of the state.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Accepted, Self::Expired, Self::Revoked].into_iter().find(|state| state.as_str() == raw)
    }
}

/// An invitation for an email address to join an organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "invitation")]
pub struct Invitation {
    pub id: InvitationId,
    pub email: String,
    pub state: InvitationState,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub accepted_at: Option<String>,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub revoked_at: Option<String>,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub expires_at: String,
    pub organization_id: Option<OrganizationId>,
    pub inviter_user_id: Option<UserId>,
    pub accepted_user_id: Option<UserId>,
    pub role_slug: Option<String>,
    pub token: String,
    pub accept_invitation_url: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// Whether a role is defined for the whole environment or for one organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleType {
    EnvironmentRole,
    OrganizationRole,
}

/// A named set of permissions.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "role")]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    pub resource_type_slug: String,
    #[serde(rename = "type")]
    pub role_type: RoleType,
    /// Lower comes first in lists and menus.
    #[serde(default)]
    pub priority: i64,
    /// New members get this role unless another is asked for.
    #[serde(default)]
    pub is_default: bool,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// How a session was started.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    Password,
    MagicCode,
    Unknown,
}

impl AuthMethod {
    /// The wire name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::MagicCode => "magic_code",
            Self::Unknown => "unknown",
        }
    }

    /// Reads a stored name; anything unknown is `Unknown`.
    pub fn parse(stored: &str) -> Self {
        [Self::Password, Self::MagicCode].into_iter().find(|method| method.as_str() == stored).unwrap_or(Self::Unknown)
    }

    /// The `authentication_method` of an authentication response.
    pub fn response_name(self) -> &'static str {
        match self {
            Self::Password => "Password",
            Self::MagicCode => "MagicAuth",
            Self::Unknown => "Unknown",
        }
    }
}

/// Where a session stands.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Expired,
    Revoked,
}

/// A signed-in session of a user.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "session")]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub organization_id: Option<OrganizationId>,
    pub auth_method: AuthMethod,
    pub status: SessionStatus,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub expires_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub ended_at: Option<String>,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// A recorded state change, such as `user.created`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "event")]
pub struct Event {
    pub id: EventId,
    pub event: String,
    pub data: serde_json::Value,
    pub created_at: String,
}

/// A pending check that a user owns their email address.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "email_verification")]
pub struct EmailVerification {
    pub id: EmailVerificationId,
    pub user_id: UserId,
    pub email: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub expires_at: String,
    pub code: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// A password reset link sent to a user.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "password_reset")]
pub struct PasswordReset {
    pub id: PasswordResetId,
    pub user_id: UserId,
    pub email: String,
    pub password_reset_token: String,
    pub password_reset_url: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub expires_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
}

/// A one-time sign-in code sent to a user.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "magic_auth")]
pub struct MagicAuth {
    pub id: MagicAuthId,
    pub user_id: UserId,
    pub email: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub expires_at: String,
    pub code: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// What owns an API key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ApiKeyOwner {
    /// The whole environment.
    Environment { id: String },
    /// One organization.
    Organization { id: OrganizationId },
}

/// An API key, without its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "api_key")]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub client_id: String,
    pub obfuscated_value: String,
    pub owner: ApiKeyOwner,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A new API key with its secret, shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The `sk_…` secret; only its hash is stored.
    pub value: String,
}

/// The answer to a successful `POST /user_management/authenticate`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthenticationResponse {
    pub user: User,
    pub organization_id: Option<OrganizationId>,
    pub access_token: String,
    pub refresh_token: String,
    pub authentication_method: String,
}

/// The cursors of a page: the IDs to pass as `before` / `after` for the neighbouring pages.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMetadata {
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A page of a list, in the WorkOS envelope.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "list")]
pub struct List<T> {
    pub data: Vec<T>,
    pub list_metadata: ListMetadata,
}

impl<T> Default for List<T> {
    /// An empty list: no items, no neighbouring pages.
    fn default() -> Self {
        Self { data: Vec::new(), list_metadata: ListMetadata::default() }
    }
}

impl<T> List<T> {
    /// Converts every item, keeping the cursors.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> List<U> {
        List { data: self.data.into_iter().map(f).collect(), list_metadata: self.list_metadata }
    }
}

/// The direction of a list.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    Asc,
    /// Newest first, the WorkOS default.
    #[default]
    Desc,
}

/// Which page of a list to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub limit: u32,
    /// Return the items just before this cursor.
    pub before: Option<String>,
    /// Return the items just after this cursor.
    pub after: Option<String>,
    pub order: Order,
}

impl Page {
    /// The page size when none is asked for.
    pub const DEFAULT_LIMIT: u32 = 10;
    /// The largest page anyone may ask for.
    pub const MAX_LIMIT: u32 = 100;

    /// The answer to a page size out of range, or one that is no number at all.
    pub fn limit_error() -> crate::error::AppError {
        crate::error::AppError::invalid(
            "limit",
            "limit_invalid",
            format!("limit must be a whole number from 1 to {}.", Self::MAX_LIMIT),
        )
    }

    /// The page, if its size is within 1 to [`Page::MAX_LIMIT`].
    pub fn checked(self) -> Result<Self, crate::error::AppError> {
        if (1..=Self::MAX_LIMIT).contains(&self.limit) { Ok(self) } else { Err(Self::limit_error()) }
    }
}

impl Default for Page {
    fn default() -> Self {
        Self { limit: Self::DEFAULT_LIMIT, before: None, after: None, order: Order::Desc }
    }
}

/// The roles every environment starts with, highest first.
pub mod roles {
    /// Full control, including over other owners.
    pub const OWNER: &str = "owner";
    /// Manages members and invitations.
    pub const ADMIN: &str = "admin";
    /// An ordinary member.
    pub const MEMBER: &str = "member";

    /// True when a member with this role may manage the organization.
    pub fn grants_admin(slug: &str) -> bool {
        slug == OWNER || slug == ADMIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_carry_the_workos_envelope() {
        let list: List<u8> = List { data: vec![1], list_metadata: ListMetadata::default() };
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            serde_json::json!({"object": "list", "data": [1], "list_metadata": {"before": null, "after": null}})
        );
    }

    #[test]
    fn memberships_serialize_their_object_tag_and_role() {
        let membership = OrganizationMembership {
            id: MembershipId::parse("om_01H5JQDV7R7ATEYZDEG0W5PRYS").unwrap(),
            user_id: UserId::parse("user_01H5JQDV7R7ATEYZDEG0W5PRYS").unwrap(),
            organization_id: OrganizationId::parse("org_01H5JQDV7R7ATEYZDEG0W5PRYS").unwrap(),
            organization_name: "Acme".into(),
            status: MembershipStatus::Inactive,
            role: RoleRef { slug: "admin".into() },
            roles: vec![RoleRef { slug: "admin".into() }],
            directory_managed: false,
            custom_attributes: BTreeMap::new(),
            created_at: "2023-07-18T02:07:19.911Z".into(),
            updated_at: "2023-07-18T02:07:19.911Z".into(),
        };
        let json = serde_json::to_value(&membership).unwrap();
        assert_eq!(json["object"], "organization_membership");
        assert_eq!(json["status"], "inactive");
        assert_eq!(json["role"], serde_json::json!({"slug": "admin"}));
        let back: OrganizationMembership = serde_json::from_value(json).unwrap();
        assert_eq!(back, membership);
    }

    #[test]
    fn display_name_falls_back_to_email() {
        let mut user = User {
            id: UserId::parse("user_01H5JQDV7R7ATEYZDEG0W5PRYS").unwrap(),
            email: "ada@example.com".into(),
            email_verified: true,
            first_name: Some("Ada".into()),
            last_name: None,
            profile_picture_url: None,
            last_sign_in_at: None,
            locale: None,
            external_id: None,
            metadata: Metadata::new(),
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert_eq!(user.display_name(), "Ada");
        user.first_name = None;
        assert_eq!(user.display_name(), "ada@example.com");
    }
}
