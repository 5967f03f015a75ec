//! `/authorization/…` as WorkOS's `authorization` module calls it: environment and
//! organization roles, their permissions, the permissions catalog, the roles a membership
//! holds (role assignments) and `check`; and the older `/organizations/{id}/roles`.

use super::openapi::ApiErrors;
use super::organizations::organization_id;
use super::request::{Body, PageParams, Query, path_id, present, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::ids::{MembershipId, OrganizationId, RoleAssignmentId};
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
        .get("/organizations/{id}/roles", legacy_organization_roles)
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

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    legacy_organization_roles,
    environment_roles,
    create_environment_role,
    get_environment_role,
    update_environment_role,
    delete_environment_role,
    set_environment_role_permissions,
    add_environment_role_permission,
    remove_environment_role_permission,
    organization_roles,
    create_organization_role,
    get_organization_role,
    update_organization_role,
    delete_organization_role,
    set_organization_role_permissions,
    add_organization_role_permission,
    remove_organization_role_permission,
    list_permissions,
    create_permission,
    get_permission,
    update_permission,
    delete_permission,
    check,
    list_role_assignments,
    assign_role,
    remove_role,
    remove_role_assignment,
))]
pub(super) struct Doc;

/// A role list, which WorkOS sends without pagination.
#[derive(Serialize, utoipa::ToSchema)]
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

#[derive(Deserialize, utoipa::ToSchema)]
struct CreateRoleBody {
    /// Lower-case letters, digits, `-`, `_` and `:`; made from the name when left out.
    slug: Option<String>,
    #[schema(value_type = String, required = true)]
    name: Option<String>,
    description: Option<String>,
    /// Roster's roles are all on organizations; anything else is refused.
    #[schema(pattern = "^organization$")]
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

#[derive(Deserialize, utoipa::ToSchema)]
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

#[derive(Deserialize, utoipa::ToSchema)]
struct SetPermissionsBody {
    /// The permission slugs the role will have, replacing its own.
    #[schema(value_type = Vec<String>, required = true)]
    permissions: Option<Vec<String>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AddPermissionBody {
    /// The permission's slug.
    #[schema(value_type = String, required = true)]
    slug: Option<String>,
}

/// Lists the roles an organization's members may hold: the environment's and its own.
#[utoipa::path(
    get,
    path = "/authorization/organizations/{id}/roles",
    tag = "authorization",
    operation_id = "listOrganizationRoles",
    params(("id" = OrganizationId, Path, description = "The organization's ID.")),
    responses((status = 200, description = "The roles.", body = RoleList), ApiErrors)
)]
async fn organization_roles(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<RoleList>> {
    let admin = caller.admin()?;
    let id = organization_id(&id)?;
    // Answer "not found" for organizations that do not exist, not an empty list.
    directory.get_organization(&admin, &id).await?;
    Ok(Json(RoleList { data: directory.list_roles(&admin, Some(&id)).await? }))
}

/// The older path of the organization role list (`organizations.listOrganizationRoles`).
#[utoipa::path(
    get,
    path = "/organizations/{id}/roles",
    tag = "authorization",
    operation_id = "listOrganizationRolesLegacy",
    params(("id" = OrganizationId, Path, description = "The organization's ID.")),
    responses((status = 200, description = "The roles.", body = RoleList), ApiErrors)
)]
async fn legacy_organization_roles(directory: Dir, caller: ApiCaller, id: Path<String>) -> ApiResult<Json<RoleList>> {
    organization_roles(directory, caller, id).await
}

/// Lists the environment's roles.
#[utoipa::path(
    get,
    path = "/authorization/roles",
    tag = "authorization",
    operation_id = "listEnvironmentRoles",
    responses((status = 200, description = "The roles.", body = RoleList), ApiErrors)
)]
async fn environment_roles(directory: Dir, caller: ApiCaller) -> ApiResult<Json<RoleList>> {
    let roles = directory.list_scope_roles(&caller.admin()?, &RoleScope::Environment).await?;
    Ok(Json(RoleList { data: roles }))
}

/// Creates an environment role.
#[utoipa::path(
    post,
    path = "/authorization/roles",
    tag = "authorization",
    operation_id = "createEnvironmentRole",
    request_body = Option<CreateRoleBody>,
    responses((status = 201, description = "The new role.", body = Role), ApiErrors)
)]
async fn create_environment_role(
    directory: Dir,
    caller: ApiCaller,
    Body(body): Body<CreateRoleBody>,
) -> ApiResult<Response> {
    let admin = caller.admin()?;
    Ok(created(directory.create_role(&admin, &RoleScope::Environment, body.into_new_role()?).await?))
}

/// Reads an environment role.
#[utoipa::path(
    get,
    path = "/authorization/roles/{slug}",
    tag = "authorization",
    operation_id = "getEnvironmentRole",
    params(("slug" = String, Path, description = "The role's slug.")),
    responses((status = 200, description = "The role.", body = Role), ApiErrors)
)]
async fn get_environment_role(directory: Dir, caller: ApiCaller, Path(slug): Path<String>) -> ApiResult<Json<Role>> {
    Ok(Json(directory.get_role(&caller.admin()?, &RoleScope::Environment, &slug).await?))
}

/// Changes an environment role.
#[utoipa::path(
    patch,
    path = "/authorization/roles/{slug}",
    tag = "authorization",
    operation_id = "updateEnvironmentRole",
    params(("slug" = String, Path, description = "The role's slug.")),
    request_body = Option<UpdateRoleBody>,
    responses((status = 200, description = "The role.", body = Role), ApiErrors)
)]
async fn update_environment_role(
    directory: Dir,
    caller: ApiCaller,
    Path(slug): Path<String>,
    Body(body): Body<UpdateRoleBody>,
) -> ApiResult<Json<Role>> {
    Ok(Json(directory.update_role(&caller.admin()?, &RoleScope::Environment, &slug, body.into()).await?))
}

/// Deletes an environment role no member holds.
#[utoipa::path(
    delete,
    path = "/authorization/roles/{slug}",
    tag = "authorization",
    operation_id = "deleteEnvironmentRole",
    params(("slug" = String, Path, description = "The role's slug.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
async fn delete_environment_role(directory: Dir, caller: ApiCaller, Path(slug): Path<String>) -> ApiResult<Response> {
    directory.delete_role(&caller.admin()?, &RoleScope::Environment, &slug).await?;
    Ok(no_content())
}

/// Replaces an environment role's permissions.
#[utoipa::path(
    put,
    path = "/authorization/roles/{slug}/permissions",
    tag = "authorization",
    operation_id = "setEnvironmentRolePermissions",
    params(("slug" = String, Path, description = "The role's slug.")),
    request_body = Option<SetPermissionsBody>,
    responses((status = 200, description = "The role.", body = Role), ApiErrors)
)]
async fn set_environment_role_permissions(
    directory: Dir,
    caller: ApiCaller,
    Path(slug): Path<String>,
    Body(body): Body<SetPermissionsBody>,
) -> ApiResult<Json<Role>> {
    let permissions = required(body.permissions, "permissions")?;
    Ok(Json(directory.set_role_permissions(&caller.admin()?, &RoleScope::Environment, &slug, permissions).await?))
}

/// Adds a permission to an environment role.
#[utoipa::path(
    post,
    path = "/authorization/roles/{slug}/permissions",
    tag = "authorization",
    operation_id = "addEnvironmentRolePermission",
    params(("slug" = String, Path, description = "The role's slug.")),
    request_body = Option<AddPermissionBody>,
    responses((status = 201, description = "The role.", body = Role), ApiErrors)
)]
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

/// Takes a permission from an environment role.
#[utoipa::path(
    delete,
    path = "/authorization/roles/{slug}/permissions/{permission}",
    tag = "authorization",
    operation_id = "removeEnvironmentRolePermission",
    params(("slug" = String, Path, description = "The role's slug."), ("permission" = String, Path, description = "The permission's slug.")),
    responses((status = 204, description = "Removed."), ApiErrors)
)]
async fn remove_environment_role_permission(
    directory: Dir,
    caller: ApiCaller,
    Path((slug, permission)): Path<(String, String)>,
) -> ApiResult<Response> {
    directory.remove_role_permission(&caller.admin()?, &RoleScope::Environment, &slug, &permission).await?;
    Ok(no_content())
}

/// Creates a role of one organization.
#[utoipa::path(
    post,
    path = "/authorization/organizations/{id}/roles",
    tag = "authorization",
    operation_id = "createOrganizationRole",
    params(("id" = OrganizationId, Path, description = "The organization's ID.")),
    request_body = Option<CreateRoleBody>,
    responses((status = 201, description = "The new role.", body = Role), ApiErrors)
)]
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

/// Reads a role of one organization.
#[utoipa::path(
    get,
    path = "/authorization/organizations/{id}/roles/{slug}",
    tag = "authorization",
    operation_id = "getOrganizationRole",
    params(("id" = OrganizationId, Path, description = "The organization's ID."), ("slug" = String, Path, description = "The role's slug.")),
    responses((status = 200, description = "The role.", body = Role), ApiErrors)
)]
async fn get_organization_role(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug)): Path<(String, String)>,
) -> ApiResult<Json<Role>> {
    Ok(Json(directory.get_role(&caller.admin()?, &organization_scope(&id)?, &slug).await?))
}

/// Changes a role of one organization.
#[utoipa::path(
    patch,
    path = "/authorization/organizations/{id}/roles/{slug}",
    tag = "authorization",
    operation_id = "updateOrganizationRole",
    params(("id" = OrganizationId, Path, description = "The organization's ID."), ("slug" = String, Path, description = "The role's slug.")),
    request_body = Option<UpdateRoleBody>,
    responses((status = 200, description = "The role.", body = Role), ApiErrors)
)]
async fn update_organization_role(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug)): Path<(String, String)>,
    Body(body): Body<UpdateRoleBody>,
) -> ApiResult<Json<Role>> {
    Ok(Json(directory.update_role(&caller.admin()?, &organization_scope(&id)?, &slug, body.into()).await?))
}

/// Deletes a role of one organization that no member holds.
#[utoipa::path(
    delete,
    path = "/authorization/organizations/{id}/roles/{slug}",
    tag = "authorization",
    operation_id = "deleteOrganizationRole",
    params(("id" = OrganizationId, Path, description = "The organization's ID."), ("slug" = String, Path, description = "The role's slug.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
async fn delete_organization_role(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug)): Path<(String, String)>,
) -> ApiResult<Response> {
    directory.delete_role(&caller.admin()?, &organization_scope(&id)?, &slug).await?;
    Ok(no_content())
}

/// Replaces the permissions of an organization's role.
#[utoipa::path(
    put,
    path = "/authorization/organizations/{id}/roles/{slug}/permissions",
    tag = "authorization",
    operation_id = "setOrganizationRolePermissions",
    params(("id" = OrganizationId, Path, description = "The organization's ID."), ("slug" = String, Path, description = "The role's slug.")),
    request_body = Option<SetPermissionsBody>,
    responses((status = 200, description = "The role.", body = Role), ApiErrors)
)]
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

/// Adds a permission to an organization's role.
#[utoipa::path(
    post,
    path = "/authorization/organizations/{id}/roles/{slug}/permissions",
    tag = "authorization",
    operation_id = "addOrganizationRolePermission",
    params(("id" = OrganizationId, Path, description = "The organization's ID."), ("slug" = String, Path, description = "The role's slug.")),
    request_body = Option<AddPermissionBody>,
    responses((status = 201, description = "The role.", body = Role), ApiErrors)
)]
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

/// Takes a permission from an organization's role.
#[utoipa::path(
    delete,
    path = "/authorization/organizations/{id}/roles/{slug}/permissions/{permission}",
    tag = "authorization",
    operation_id = "removeOrganizationRolePermission",
    params(("id" = OrganizationId, Path, description = "The organization's ID."), ("slug" = String, Path, description = "The role's slug."), ("permission" = String, Path, description = "The permission's slug.")),
    responses((status = 204, description = "Removed."), ApiErrors)
)]
async fn remove_organization_role_permission(
    directory: Dir,
    caller: ApiCaller,
    Path((id, slug, permission)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    directory.remove_role_permission(&caller.admin()?, &organization_scope(&id)?, &slug, &permission).await?;
    Ok(no_content())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CreatePermissionBody {
    #[schema(value_type = String, required = true)]
    slug: Option<String>,
    #[schema(value_type = String, required = true)]
    name: Option<String>,
    description: Option<String>,
    /// Permissions are all on organizations; anything else is refused.
    #[schema(pattern = "^organization$")]
    resource_type_slug: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct UpdatePermissionBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
}

/// Lists the permissions catalog.
#[utoipa::path(
    get,
    path = "/authorization/permissions",
    tag = "authorization",
    operation_id = "listPermissions",
    params(PageParams),
    responses((status = 200, description = "A page of permissions.", body = List<Permission>), ApiErrors)
)]
async fn list_permissions(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<Permission>>> {
    Ok(Json(directory.list_permissions(&caller.admin()?, query.page()?).await?))
}

/// Adds a permission to the catalog.
#[utoipa::path(
    post,
    path = "/authorization/permissions",
    tag = "authorization",
    operation_id = "createPermission",
    request_body = Option<CreatePermissionBody>,
    responses((status = 201, description = "The new permission.", body = Permission), ApiErrors)
)]
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

/// Reads a permission.
#[utoipa::path(
    get,
    path = "/authorization/permissions/{slug}",
    tag = "authorization",
    operation_id = "getPermission",
    params(("slug" = String, Path, description = "The permission's slug.")),
    responses((status = 200, description = "The permission.", body = Permission), ApiErrors)
)]
async fn get_permission(directory: Dir, caller: ApiCaller, Path(slug): Path<String>) -> ApiResult<Json<Permission>> {
    Ok(Json(directory.get_permission(&caller.admin()?, &slug).await?))
}

/// Changes a permission.
#[utoipa::path(
    patch,
    path = "/authorization/permissions/{slug}",
    tag = "authorization",
    operation_id = "updatePermission",
    params(("slug" = String, Path, description = "The permission's slug.")),
    request_body = Option<UpdatePermissionBody>,
    responses((status = 200, description = "The permission.", body = Permission), ApiErrors)
)]
async fn update_permission(
    directory: Dir,
    caller: ApiCaller,
    Path(slug): Path<String>,
    Body(body): Body<UpdatePermissionBody>,
) -> ApiResult<Json<Permission>> {
    let update = PermissionUpdate { name: body.name, description: body.description };
    Ok(Json(directory.update_permission(&caller.admin()?, &slug, update).await?))
}

/// Deletes a permission that is not built in.
#[utoipa::path(
    delete,
    path = "/authorization/permissions/{slug}",
    tag = "authorization",
    operation_id = "deletePermission",
    params(("slug" = String, Path, description = "The permission's slug.")),
    responses((status = 204, description = "Deleted."), ApiErrors)
)]
async fn delete_permission(directory: Dir, caller: ApiCaller, Path(slug): Path<String>) -> ApiResult<Response> {
    directory.delete_permission(&caller.admin()?, &slug).await?;
    Ok(no_content())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CheckBody {
    #[schema(value_type = String, required = true)]
    permission_slug: Option<String>,
    #[serde(flatten)]
    resource: ResourceRef,
}

#[derive(Serialize, utoipa::ToSchema)]
struct CheckAnswer {
    authorized: bool,
}

/// Tells whether a membership's roles grant a permission on a resource.
#[utoipa::path(
    post,
    path = "/authorization/organization_memberships/{id}/check",
    tag = "authorization",
    operation_id = "checkPermission",
    params(("id" = MembershipId, Path, description = "The membership's ID.")),
    request_body = Option<CheckBody>,
    responses((status = 200, description = "The answer.", body = CheckAnswer), ApiErrors)
)]
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

#[derive(Deserialize, utoipa::ToSchema)]
struct AssignmentBody {
    #[schema(value_type = String, required = true)]
    role_slug: Option<String>,
    #[serde(flatten)]
    resource: ResourceRef,
}

/// Lists the roles a membership holds.
#[utoipa::path(
    get,
    path = "/authorization/organization_memberships/{id}/role_assignments",
    tag = "authorization",
    operation_id = "listRoleAssignments",
    params(("id" = MembershipId, Path, description = "The membership's ID."), PageParams),
    responses((status = 200, description = "A page of role assignments.", body = List<RoleAssignment>), ApiErrors)
)]
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

/// Gives a membership one more role.
#[utoipa::path(
    post,
    path = "/authorization/organization_memberships/{id}/role_assignments",
    tag = "authorization",
    operation_id = "assignRole",
    params(("id" = MembershipId, Path, description = "The membership's ID.")),
    request_body = Option<AssignmentBody>,
    responses((status = 201, description = "The new assignment.", body = RoleAssignment), ApiErrors)
)]
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

/// Takes a role, named in the body, from a membership.
#[utoipa::path(
    delete,
    path = "/authorization/organization_memberships/{id}/role_assignments",
    tag = "authorization",
    operation_id = "removeRole",
    params(("id" = MembershipId, Path, description = "The membership's ID.")),
    request_body = Option<AssignmentBody>,
    responses((status = 204, description = "Removed."), ApiErrors)
)]
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

/// Takes a role from a membership by the assignment's ID.
#[utoipa::path(
    delete,
    path = "/authorization/organization_memberships/{id}/role_assignments/{assignment}",
    tag = "authorization",
    operation_id = "removeRoleAssignment",
    params(("id" = MembershipId, Path, description = "The membership's ID."), ("assignment" = RoleAssignmentId, Path, description = "The assignment's ID.")),
    responses((status = 204, description = "Removed."), ApiErrors)
)]
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
