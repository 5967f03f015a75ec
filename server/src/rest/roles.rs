//! Roles: `/authorization/roles`, `/authorization/organizations/{id}/roles` and
//! `/organizations/{id}/roles`.

use super::organizations::organization_id;
use super::{ApiCaller, ApiResult, Dir};
use app::model::Role;
use axum::Json;
use axum::extract::Path;
use serde::Serialize;

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .get("/organizations/{id}/roles", organization_roles)
        .get("/authorization/organizations/{id}/roles", organization_roles)
        .get("/authorization/roles", environment_roles)
}

/// A role list, which WorkOS sends without pagination.
#[derive(Serialize)]
#[serde(tag = "object", rename = "list")]
struct RoleList {
    data: Vec<Role>,
}

async fn organization_roles(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<RoleList>> {
    let admin = caller.admin()?;
    let id = organization_id(&id)?;
    // Answer "not found" for organizations that do not exist, not an empty list.
    directory.get_organization(&admin, &id).await?;
    Ok(Json(RoleList { data: directory.list_roles(&admin, Some(&id)).await? }))
}

async fn environment_roles(directory: Dir, caller: ApiCaller) -> ApiResult<Json<RoleList>> {
    let roles = directory.list_roles(&caller.admin()?, None).await?;
    Ok(Json(RoleList { data: roles }))
}
