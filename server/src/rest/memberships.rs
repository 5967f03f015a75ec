//! `/user_management/organization_memberships…`.

use super::request::{Body, Query, path_id, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::directory::{Admin, MembershipQuery, NewMembership, SharedDirectory};
use app::error::AppError;
use app::ids::{MembershipId, OrganizationId, UserId};
use app::model::{List, MembershipStatus, OrganizationMembership, User};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

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

/// A membership as WorkOS answers for a single one: with its user embedded (newer SDKs
/// require it; older ones ignore it).
async fn with_user(
    directory: &SharedDirectory,
    admin: &Admin,
    membership: OrganizationMembership,
) -> ApiResult<Json<serde_json::Value>> {
    let user = directory.get_user(admin, &membership.user_id).await?;
    Ok(Json(embed_user(&membership, Some(&user))))
}

fn embed_user(membership: &OrganizationMembership, user: Option<&User>) -> serde_json::Value {
    let mut value = serde_json::to_value(membership).unwrap_or_default();
    value["user"] = serde_json::to_value(user).unwrap_or_default();
    value
}

fn membership_id(raw: &str) -> ApiResult<MembershipId> {
    path_id(raw, MembershipId::parse, "Membership")
}

/// `role_slugs` wins over `role_slug`; neither means the default role.
fn role_slugs(role_slug: Option<String>, role_slugs: Option<Vec<String>>) -> Vec<String> {
    role_slugs.unwrap_or_else(|| role_slug.into_iter().collect())
}

async fn list(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<serde_json::Value>>> {
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
    let list = list.map(|membership| embed_user(&membership, users.get(&membership.user_id)));
    Ok(Json(list))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateMembership {
    organization_id: Option<String>,
    user_id: Option<String>,
    role_slug: Option<String>,
    role_slugs: Option<Vec<String>>,
}

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

async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    let admin = caller.admin()?;
    let membership = directory.get_membership(&admin, &membership_id(&id)?).await?;
    with_user(&directory, &admin, membership).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateMembership {
    role_slug: Option<String>,
    role_slugs: Option<Vec<String>>,
}

async fn update(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<UpdateMembership>,
) -> ApiResult<Json<serde_json::Value>> {
    let admin = caller.admin()?;
    let id = membership_id(&id)?;
    let membership = if body.role_slug.is_none() && body.role_slugs.is_none() {
        directory.get_membership(&admin, &id).await?
    } else {
        directory.set_membership_roles(&admin, &id, role_slugs(body.role_slug, body.role_slugs)).await?
    };
    with_user(&directory, &admin, membership).await
}

async fn delete(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_membership(&caller.admin()?, &membership_id(&id)?).await?;
    Ok(no_content())
}

async fn deactivate(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    let admin = caller.admin()?;
    let membership = directory.deactivate_membership(&admin, &membership_id(&id)?).await?;
    with_user(&directory, &admin, membership).await
}

async fn reactivate(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    let admin = caller.admin()?;
    let membership = directory.reactivate_membership(&admin, &membership_id(&id)?).await?;
    with_user(&directory, &admin, membership).await
}
