//! `/user_management/organization_memberships…`.

use super::request::{Body, Query, path_id, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::directory::{MembershipQuery, NewMembership};
use app::error::AppError;
use app::ids::{MembershipId, OrganizationId, UserId};
use app::model::{List, MembershipStatus, OrganizationMembership};
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<super::RestState> {
    Router::new()
        .route("/user_management/organization_memberships", get(list).post(create))
        .route("/user_management/organization_memberships/{id}", get(get_one).put(update).delete(delete))
        .route("/user_management/organization_memberships/{id}/deactivate", put(deactivate))
        .route("/user_management/organization_memberships/{id}/reactivate", put(reactivate))
}

fn membership_id(raw: &str) -> ApiResult<MembershipId> {
    path_id(raw, MembershipId::parse, "Membership")
}

/// `role_slugs` wins over `role_slug`; neither means the default role.
fn role_slugs(role_slug: Option<String>, role_slugs: Option<Vec<String>>) -> Vec<String> {
    role_slugs.unwrap_or_else(|| role_slug.into_iter().collect())
}

async fn list(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<OrganizationMembership>>> {
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
    Ok(Json(directory.list_memberships(&admin, memberships).await?))
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
    Ok(created(directory.create_membership(&admin, membership).await?))
}

async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<OrganizationMembership>> {
    Ok(Json(directory.get_membership(&caller.admin()?, &membership_id(&id)?).await?))
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
) -> ApiResult<Json<OrganizationMembership>> {
    let admin = caller.admin()?;
    let id = membership_id(&id)?;
    if body.role_slug.is_none() && body.role_slugs.is_none() {
        return Ok(Json(directory.get_membership(&admin, &id).await?));
    }
    Ok(Json(directory.set_membership_roles(&admin, &id, role_slugs(body.role_slug, body.role_slugs)).await?))
}

async fn delete(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_membership(&caller.admin()?, &membership_id(&id)?).await?;
    Ok(no_content())
}

async fn deactivate(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<OrganizationMembership>> {
    Ok(Json(directory.deactivate_membership(&caller.admin()?, &membership_id(&id)?).await?))
}

async fn reactivate(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<OrganizationMembership>> {
    Ok(Json(directory.reactivate_membership(&caller.admin()?, &membership_id(&id)?).await?))
}
