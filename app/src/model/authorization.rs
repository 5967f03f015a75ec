//! Roles and permissions as WorkOS's `authorization` module shapes them, and the requests that
//! change them.

use crate::ids::*;
use serde::{Deserialize, Serialize};

/// The resource type of every role and permission: roles are held in an organization.
pub const ORGANIZATION_RESOURCE: &str = "organization";

/// An entry of the permissions catalog, which roles are made of.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "permission")]
pub struct Permission {
    pub id: PermissionId,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub resource_type_slug: String,
    /// Built in: the security rules rely on it, so it can't be deleted.
    pub system: bool,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// What a role is given on. Roster gives roles on organizations only, so this is always the
/// membership's organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedResource {
    pub id: String,
    pub external_id: String,
    pub resource_type_slug: String,
}

/// How a role came to be held: given directly (Roster has no group assignments).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSource {
    #[serde(rename = "type")]
    pub source_type: String,
    pub group_role_assignment_id: Option<String>,
}

/// One role held by one membership.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "object", rename = "role_assignment")]
pub struct RoleAssignment {
    pub id: RoleAssignmentId,
    pub organization_membership_id: MembershipId,
    pub role: super::RoleRef,
    pub resource: AssignedResource,
    pub source: AssignmentSource,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub updated_at: String,
}

/// Where a role is defined: for the whole environment, or for one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleScope {
    Environment,
    Organization(OrganizationId),
}

impl RoleScope {
    /// The organization of an organization role.
    pub fn organization(&self) -> Option<&OrganizationId> {
        match self {
            RoleScope::Environment => None,
            RoleScope::Organization(organization) => Some(organization),
        }
    }
}

/// A request to create a role.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewRole {
    /// Lower-case letters, digits, `-`, `_` and `:`; organization roles get one from the name
    /// when it is missing.
    pub slug: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    /// Lower comes first; `None` puts the role after the others.
    pub priority: Option<i64>,
    /// Makes it the default role of new members in its scope.
    pub is_default: bool,
}

/// Changes to a role; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleUpdate {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub priority: Option<i64>,
    /// `Some(true)` makes it the default of its scope; an organization role's `Some(false)`
    /// hands the default back to the environment's.
    pub is_default: Option<bool>,
    /// Replaces the role's permissions, in the same change.
    pub permissions: Option<Vec<String>>,
}

/// A request to add a permission to the catalog.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewPermission {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

/// Changes to a permission; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PermissionUpdate {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

/// How roles are given out in this environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSettings {
    /// A membership may hold several roles (WorkOS's `multipleRolesEnabled`).
    pub multiple_roles_enabled: bool,
}

/// The resource a role assignment or a check names: WorkOS's `resource_id`, or
/// `resource_external_id` with `resource_type_slug`. Roster's only resource is the
/// membership's organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    pub resource_id: Option<String>,
    pub resource_external_id: Option<String>,
    pub resource_type_slug: Option<String>,
}
