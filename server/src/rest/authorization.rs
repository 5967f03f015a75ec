//! `/authorization/…` as WorkOS's `authorization` module calls it: environment and
//! organization roles, their permissions, the permissions catalog, the roles a membership
//! holds (role assignments) and `check`; and the older `/organizations/{id}/roles`.

use super::organizations::organization_id;
use super::request::{Body, Query, path_id, present, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::ids::{MembershipId, RoleAssignmentId};
use app::model::*;
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> super::Routes {
    const ENVIRONMENT_ROLE: &str = "/authorization/roles/{slug}";
    const ORGANIZATION_ROLES: &str = "/authorization/organizations/{id}/roles";
    const ORGANIZATION_ROLE: &str = "/authorization/organizations/{id}/roles/{slug}";
    const PERMISSION: &str = "/authorization/permissions/{slug}";
    const ASSIGNMENTS: &str = "/authorization/organization_memberships/{id}/role_assignments";
    super::Routes::default()
        .get("/organizations/{id}/roles", organization_roles)
        .get("/authorization/roles", environment_roles)
        .post("/authorization/roles", create_environment_role)
        .get(ENVIRONMENT_ROLE, get_environment_role)
        .patch(ENVIRONMENT_ROLE, update_environment_role)
        .delete(ENVIRONMENT_ROLE, delete_environment_role)
        .put("/authorization/roles/{slug}/permissions", set_environment_role_permissions)
        .post("/authorization/roles/{slug}/permissions", add_environment_role_permission)
        .delete("/authorization/roles/{slug}/permissions/{permission}", remove_environment_role_permission)
        .get(ORGANIZATION_ROLES, organization_roles)
        .post(ORGANIZATION_ROLES, create_organization_role)
        .get(ORGANIZATION_ROLE, get_organization_role)
        .patch(ORGANIZATION_ROLE, update_organization_role)
        .delete(ORGANIZATION_ROLE, delete_organization_role)
        .put("/authorization/organizations/{id}/roles/{slug}/permissions", set_organization_role_permissions)
        .post("/authorization/organizations/{id}/roles/{slug}/permissions", add_organization_role_permission)
        .delete(
            "/authorization/organizations/{id}/roles/{slug}/permissions/{permission}",
            remove_organization_role_permission,
        )
        .get("/authorization/permissions", list_permissions)
        .post("/authorization/permissions", create_permission)
        .get(PERMISSION, get_permission)
        .patch(PERMISSION, update_permission)
        .delete(PERMISSION, delete_permission)
        .post("/authorization/organization_memberships/{id}/check", check)
        .get(ASSIGNMENTS, list_role_assignments)
        .post(ASSIGNMENTS, assign_role)
        .delete(ASSIGNMENTS, remove_role)
        .delete("/authorization/organization_memberships/{id}/role_assignments/{assignment}", remove_role_assignment)
}

/// A role list, which WorkOS sends without pagination.
#[derive(Serialize)]
#[serde(tag = "object", rename = "list")]
struct RoleList {
    data: Vec<Role>,
}

fn membership_id(raw: &str) -> ApiResult<MembershipId> {
    path_id(raw, MembershipId::parse, "Membership")
}

fn organization_scope(raw: &str) -> ApiResult<RoleScope> {
    Ok(RoleScope::Organization(organization_id(raw)?))
}

#[derive(Deserialize)]
struct CreateRoleBody {
    slug: Option<String>,
    name: Option<String>,
    description: Option<String>,
    /// Roster's roles are all on organizations; anything else is refused.
    resource_type_slug: Option<String>,
    #[serde(default)]
    permissions: Vec<String>,
    priority: Option<i64>,
}

impl CreateRoleBody {
    fn into_new_role(self) -> ApiResult<NewRole> {
        check_resource_type(self.resource_type_slug.as_deref())?;
        Ok(NewRole {
            slug: self.slug,
            name: required(self.name, "name")?,
            description: self.description,
            permissions: self.permissions,
            priority: self.priority,
            is_default: false,
        })
    }
}

fn check_resource_type(kind: Option<&str>) -> ApiResult<()> {
    match kind {
        None => Ok(()),
        Some(kind) if kind == ORGANIZATION_RESOURCE => Ok(()),
        Some(kind) => Err(app::error::AppError::invalid(
            "resource_type_slug",
            "resource_type_slug_invalid",
            format!("{kind:?} is not a resource type here; roles and permissions are on \"organization\"."),
        )
        .into()),
    }
}

#[derive(Deserialize)]
struct UpdateRoleBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    priority: Option<i64>,
}

impl From<UpdateRoleBody> for RoleUpdate {
    fn from(body: UpdateRoleBody) -> Self {
        RoleUpdate {
            name: body.name,
            description: body.description,
            priority: body.priority,
            is_default: None,
            permissions: None,
        }
    }
}

#[derive(Deserialize)]
struct SetPermissionsBody {
    permissions: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct AddPermissionBody {
    slug: Option<String>,
}

async fn organization_roles(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<RoleList>> {
    let admin = caller.admin()?;
    let id = organization_id(&id)?;
    // Answer "not found" for organizations that do not exist, not an empty list.
    directory.get_organization(&admin, &id).await?;
    Ok(Json(RoleList { data: directory.list_roles(&admin, Some(&id)).await? }))
}

async fn environment_roles(directory: Dir, caller: ApiCaller) -> ApiResult<Json<RoleList>> {
    let roles = directory.list_scope_roles(&caller.admin()?, &RoleScope::Environment).await?;
    Ok(Json(RoleList { data: roles }))
}

async fn create_environment_role(
    directory: Dir,
    caller: ApiCaller,
    Body(body): Body<CreateRoleBody>,
) -> ApiResult<Response> {
    let admin = caller.admin()?;
    Ok(created(directory.create_role(&admin, &RoleScope::Environment, body.into_new_role()?).await?))
}

async fn get_environment_role(directory: Dir, caller: ApiCaller, Path(slug): Path<String>) -> ApiResult<Json<Role>> {
    Ok(Json(directory.get_role(&caller.admin()?, &RoleScope::Environment, &slug).await?))
}

async fn update_environment_role(
    directory: Dir,
    caller: ApiCaller,
    Path(slug): Path<String>,
    Body(body): Body<UpdateRoleBody>,
) -> ApiResult<Json<Role>> {
    Ok(Json(directory.update_role(&caller.admin()?, &RoleScope::Environment, &slug, body.into()).await?))
}

async fn delete_environment_role(directory: Dir, caller: ApiCaller, Path(slug): Path<String>) -> ApiResult<Response> {
    directory.delete_role(&caller.admin()?, &RoleScope::Environment, &slug).await?;
    Ok(no_content())
}

async fn set_environment_role_permissions(
    directory: Dir,
    caller: ApiCaller,
    Path(slug): Path<String>,
    Body(body): Body<SetPermissionsBody>,
) -> ApiResult<Json<Role>> {
    let permissions = required(body.permissions, "permissions")?;
    Ok(Json(directory.set_role_permissions(&caller.admin()?, &RoleScope::Environment, &slug, permissions).await?))
}

async fn add_environment_role_permission(
    directory: Dir,
    caller: ApiCaller,
    Path(slug): Path<String>,
    Body(body): Body<AddPermissionBody>,
) -> ApiResult<Response> {
    let permission = required(body.slug, "slug")?;
    let role = directory.add_role_permission(&caller.admin()?, &RoleScope::Environment, &slug, &permission).await?;
    Ok(created(role))
}

async fn remove_environment_role_permission(
    directory: Dir,
    caller: ApiCaller,
    Path((slug, permission)): Path<(String, String)>,
) -> ApiResult<Response> {
    directory.remove_role_permission(&caller.admin()?, &RoleScope::Environment, &slug, &permission).await?;
    Ok(no_content())
}

async fn create_organization_role(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<CreateRoleBody>,
) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let scope = organization_scope(&id)?;
    Ok(created(directory.create_role(&admin, &scope, body.into_new_role()?).await?))
}

async fn get_organization_role(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug)): Path<(String, String)>,
) -> ApiResult<Json<Role>> {
    Ok(Json(directory.get_role(&caller.admin()?, &organization_scope(&id)?, &slug).await?))
}

async fn update_organization_role(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug)): Path<(String, String)>,
    Body(body): Body<UpdateRoleBody>,
) -> ApiResult<Json<Role>> {
    Ok(Json(directory.update_role(&caller.admin()?, &organization_scope(&id)?, &slug, body.into()).await?))
}

async fn delete_organization_role(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug)): Path<(String, String)>,
) -> ApiResult<Response> {
    directory.delete_role(&caller.admin()?, &organization_scope(&id)?, &slug).await?;
    Ok(no_content())
}

async fn set_organization_role_permissions(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug)): Path<(String, String)>,
    Body(body): Body<SetPermissionsBody>,
) -> ApiResult<Json<Role>> {
    let admin = caller.admin()?;
    let scope = organization_scope(&id)?;
    let permissions = required(body.permissions, "permissions")?;
    Ok(Json(directory.set_role_permissions(&admin, &scope, &slug, permissions).await?))
}

async fn add_organization_role_permission(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug)): Path<(String, String)>,
    Body(body): Body<AddPermissionBody>,
) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let scope = organization_scope(&id)?;
    let permission = required(body.slug, "slug")?;
    Ok(created(directory.add_role_permission(&admin, &scope, &slug, &permission).await?))
}

async fn remove_organization_role_permission(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug, permission)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    directory.remove_role_permission(&caller.admin()?, &organization_scope(&id)?, &slug, &permission).await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct CreatePermissionBody {
    slug: Option<String>,
    name: Option<String>,
    description: Option<String>,
    resource_type_slug: Option<String>,
}

#[derive(Deserialize)]
struct UpdatePermissionBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
}

async fn list_permissions(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<Permission>>> {
    Ok(Json(directory.list_permissions(&caller.admin()?, query.page()?).await?))
}

async fn create_permission(
    directory: Dir,
    caller: ApiCaller,
    Body(body): Body<CreatePermissionBody>,
) -> ApiResult<Response> {
    let admin = caller.admin()?;
    check_resource_type(body.resource_type_slug.as_deref())?;
    let permission = NewPermission {
        slug: required(body.slug, "slug")?,
        name: required(body.name, "name")?,
        description: body.description,
    };
    Ok(created(directory.create_permission(&admin, permission).await?))
}

async fn get_permission(directory: Dir, caller: ApiCaller, Path(slug): Path<String>) -> ApiResult<Json<Permission>> {
    Ok(Json(directory.get_permission(&caller.admin()?, &slug).await?))
}

async fn update_permission(
    directory: Dir,
    caller: ApiCaller,
    Path(slug): Path<String>,
    Body(body): Body<UpdatePermissionBody>,
) -> ApiResult<Json<Permission>> {
    let update = PermissionUpdate { name: body.name, description: body.description };
    Ok(Json(directory.update_permission(&caller.admin()?, &slug, update).await?))
}

async fn delete_permission(directory: Dir, caller: ApiCaller, Path(slug): Path<String>) -> ApiResult<Response> {
    directory.delete_permission(&caller.admin()?, &slug).await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct CheckBody {
    permission_slug: Option<String>,
    #[serde(flatten)]
    resource: ResourceRef,
}

#[derive(Serialize)]
struct CheckAnswer {
    authorized: bool,
}

async fn check(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<CheckBody>,
) -> ApiResult<Json<CheckAnswer>> {
    let admin = caller.admin()?;
    let membership = membership_id(&id)?;
    let permission = required(body.permission_slug, "permission_slug")?;
    let authorized = directory.check_permission(&admin, &membership, &permission, &body.resource).await?;
    Ok(Json(CheckAnswer { authorized }))
}

#[derive(Deserialize)]
struct AssignmentBody {
    role_slug: Option<String>,
    #[serde(flatten)]
    resource: ResourceRef,
}

async fn list_role_assignments(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    query: Query,
) -> ApiResult<Json<List<RoleAssignment>>> {
    let admin = caller.admin()?;
    let membership = membership_id(&id)?;
    Ok(Json(directory.list_role_assignments(&admin, &membership, query.page()?).await?))
}

async fn assign_role(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<AssignmentBody>,
) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let membership = membership_id(&id)?;
    let role = required(body.role_slug, "role_slug")?;
    Ok(created(directory.assign_role(&admin, &membership, &role, &body.resource).await?))
}

async fn remove_role(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<AssignmentBody>,
) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let membership = membership_id(&id)?;
    let role = required(body.role_slug, "role_slug")?;
    directory.remove_role(&admin, &membership, &role, &body.resource).await?;
    Ok(no_content())
}

async fn remove_role_assignment(
    directory: Dir,
    caller: ApiCaller,
    Path((id, assignment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let membership = membership_id(&id)?;
    let assignment = path_id(&assignment, RoleAssignmentId::parse, "Role assignment")?;
    directory.remove_role_assignment(&admin, &membership, &assignment).await?;
    Ok(no_content())
}
