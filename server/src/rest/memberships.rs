//! `/user_management/organization_memberships…`.

use super::openapi::{ApiErrors, BlankOrMembershipStatus, BlankOrOrganizationId, BlankOrUserId};
use super::request::{Body, PageParams, Query, path_id, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::directory::{Admin, MembershipQuery, NewMembership, SharedDirectory};
use app::error::AppError;
use app::ids::{MembershipId, OrganizationId, UserId};
use app::model::{List, MembershipStatus, OrganizationMembership, User};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .get("/user_management/organization_memberships", list)
        .post("/user_management/organization_memberships", create)
        .get("/user_management/organization_memberships/{id}", get_one)
        .put("/user_management/organization_memberships/{id}", update)
        .delete("/user_management/organization_memberships/{id}", delete)
        .put("/user_management/organization_memberships/{id}/deactivate", deactivate)
        .put("/user_management/organization_memberships/{id}/reactivate", reactivate)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get_one, update, delete, deactivate, reactivate))]
pub(super) struct Doc;

/// A membership with its user embedded, as WorkOS answers (newer SDKs require the user; older
/// ones ignore it).
#[derive(Serialize, utoipa::ToSchema)]
struct MembershipWithUser {
    #[serde(flatten)]
    membership: OrganizationMembership,
    /// `null` only if the user vanished while the page was read.
    user: Option<User>,
}

/// A membership with its user, read for a single answer.
async fn with_user(
    directory: &SharedDirectory,
    admin: &Admin,
    membership: OrganizationMembership,
) -> ApiResult<Json<MembershipWithUser>> {
    let user = directory.get_user(admin, &membership.user_id).await?;
    Ok(Json(MembershipWithUser { membership, user: Some(user) }))
}

fn membership_id(raw: &str) -> ApiResult<MembershipId> {
    path_id(raw, MembershipId::parse, "Membership")
}

/// `role_slugs` wins over `role_slug`; neither means the default role.
fn role_slugs(role_slug: Option<String>, role_slugs: Option<Vec<String>>) -> Vec<String> {
    role_slugs.unwrap_or_else(|| role_slug.into_iter().collect())
}

/// Lists memberships of a user, of an organization, or of both; only active ones unless
/// `statuses` asks for others.
#[utoipa::path(get, path = "/user_management/organization_memberships", tag = "organization_memberships",
    operation_id = "listOrganizationMemberships",
    params(
        ("organization_id" = inline(Option<BlankOrOrganizationId>), Query, description = "The organization (this or user_id is required)."),
        ("user_id" = inline(Option<BlankOrUserId>), Query, description = "The user (this or organization_id is required)."),
        ("statuses" = inline(Option<Vec<BlankOrMembershipStatus>>), Query, description = "The statuses to list (repeated or comma-joined); `active` when left out."),
        PageParams,
    ),
    responses((status = 200, description = "A page of memberships.", body = List<MembershipWithUser>), ApiErrors))]
async fn list(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<MembershipWithUser>>> {
    let admin = caller.admin()?;
    let organization_id = query.id("organization_id", OrganizationId::parse)?;
    let user_id = query.id("user_id", UserId::parse)?;
    if organization_id.is_none() && user_id.is_none() {
        return Err(AppError::invalid(
            "organization_id",
            "user_id_or_organization_id_required",
            "Filter by user_id, organization_id or both.",
        )
        .into());
    }
    let mut statuses = Vec::new();
    for raw in query.list("statuses") {
        let status = MembershipStatus::parse(&raw).ok_or_else(|| {
            AppError::invalid(
                "statuses",
                "statuses_invalid",
                format!("{raw:?} is not a status; use active, inactive or pending."),
            )
        })?;
        statuses.push(status);
    }
    // As on WorkOS, only active memberships unless other statuses are asked for.
    if statuses.is_empty() {
        statuses.push(MembershipStatus::Active);
    }
    let memberships = MembershipQuery { organization_id, user_id, statuses, page: query.page()? };
    let list = directory.list_memberships(&admin, memberships).await?;
    // Each membership carries its user, read in one query for the page.
    let ids: Vec<UserId> = list.data.iter().map(|m| m.user_id.clone()).collect();
    let users: std::collections::HashMap<UserId, User> =
        directory.users_by_id(&admin, &ids).await?.into_iter().map(|u| (u.id.clone(), u)).collect();
    let list = list.map(|membership| {
        let user = users.get(&membership.user_id).cloned();
        MembershipWithUser { membership, user }
    });
    Ok(Json(list))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct CreateMembership {
    #[schema(value_type = OrganizationId, required = true)]
    organization_id: Option<String>,
    #[schema(value_type = UserId, required = true)]
    user_id: Option<String>,
    /// One role; `role_slugs` wins when both are sent.
    role_slug: Option<String>,
    role_slugs: Option<Vec<String>>,
}

/// Adds a user to an organization with the given roles (the default role when none).
#[utoipa::path(post, path = "/user_management/organization_memberships", tag = "organization_memberships",
    operation_id = "createOrganizationMembership", request_body = Option<CreateMembership>,
    responses((status = 201, description = "The new membership.", body = MembershipWithUser), ApiErrors))]
async fn create(directory: Dir, caller: ApiCaller, Body(body): Body<CreateMembership>) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let organization = required(body.organization_id, "organization_id")?;
    let user = required(body.user_id, "user_id")?;
    let membership = NewMembership {
        organization_id: OrganizationId::parse(&organization).ok_or_else(|| {
            AppError::invalid("organization_id", "organization_not_found", "There is no such organization.")
        })?,
        user_id: UserId::parse(&user)
            .ok_or_else(|| AppError::invalid("user_id", "user_not_found", "There is no such user."))?,
        role_slugs: role_slugs(body.role_slug, body.role_slugs),
        status: MembershipStatus::Active,
    };
    let created_membership = directory.create_membership(&admin, membership).await?;
    let Json(body) = with_user(&directory, &admin, created_membership).await?;
    Ok(created(body))
}

/// Reads a membership.
#[utoipa::path(get, path = "/user_management/organization_memberships/{id}", tag = "organization_memberships",
    operation_id = "getOrganizationMembership", params(("id" = MembershipId, Path, description = "The membership's ID.")),
    responses((status = 200, description = "The membership.", body = MembershipWithUser), ApiErrors))]
async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<MembershipWithUser>> {
    let admin = caller.admin()?;
    let membership = directory.get_membership(&admin, &membership_id(&id)?).await?;
    with_user(&directory, &admin, membership).await
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct UpdateMembership {
    role_slug: Option<String>,
    role_slugs: Option<Vec<String>>,
}

/// Replaces a membership's roles.
#[utoipa::path(put, path = "/user_management/organization_memberships/{id}", tag = "organization_memberships",
    operation_id = "updateOrganizationMembership", params(("id" = MembershipId, Path, description = "The membership's ID.")), request_body = Option<UpdateMembership>,
    responses((status = 200, description = "The changed membership.", body = MembershipWithUser), ApiErrors))]
async fn update(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<UpdateMembership>,
) -> ApiResult<Json<MembershipWithUser>> {
    let admin = caller.admin()?;
    let id = membership_id(&id)?;
    let membership = if body.role_slug.is_none() && body.role_slugs.is_none() {
        directory.get_membership(&admin, &id).await?
    } else {
        directory.set_membership_roles(&admin, &id, role_slugs(body.role_slug, body.role_slugs)).await?
    };
    with_user(&directory, &admin, membership).await
}

/// Removes a user from an organization.
#[utoipa::path(delete, path = "/user_management/organization_memberships/{id}", tag = "organization_memberships",
    operation_id = "deleteOrganizationMembership", params(("id" = MembershipId, Path, description = "The membership's ID.")),
    responses((status = 204, description = "Deleted."), ApiErrors))]
async fn delete(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_membership(&caller.admin()?, &membership_id(&id)?).await?;
    Ok(no_content())
}

/// Deactivates a membership, keeping its roles.
#[utoipa::path(put, path = "/user_management/organization_memberships/{id}/deactivate", tag = "organization_memberships",
    operation_id = "deactivateOrganizationMembership", params(("id" = MembershipId, Path, description = "The membership's ID.")),
    responses((status = 200, description = "The deactivated membership.", body = MembershipWithUser), ApiErrors))]
async fn deactivate(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<MembershipWithUser>> {
    let admin = caller.admin()?;
    let membership = directory.deactivate_membership(&admin, &membership_id(&id)?).await?;
    with_user(&directory, &admin, membership).await
}

/// Reactivates a deactivated membership.
#[utoipa::path(put, path = "/user_management/organization_memberships/{id}/reactivate", tag = "organization_memberships",
    operation_id = "reactivateOrganizationMembership", params(("id" = MembershipId, Path, description = "The membership's ID.")),
    responses((status = 200, description = "The reactivated membership.", body = MembershipWithUser), ApiErrors))]
async fn reactivate(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<MembershipWithUser>> {
    let admin = caller.admin()?;
    let membership = directory.reactivate_membership(&admin, &membership_id(&id)?).await?;
    with_user(&directory, &admin, membership).await
}
