//! `/user_management/invitations…`.

use super::request::{Body, Query, path_id, required};
use super::{ApiCaller, ApiResult, Dir, created};
use app::directory::{InvitationQuery, NewInvitation};
use app::error::AppError;
use app::ids::{InvitationId, OrganizationId, UserId};
use app::model::{Invitation, List};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .get("/user_management/invitations", list)
        .post("/user_management/invitations", send)
        .get("/user_management/invitations/by_token/{token}", by_token)
        .get("/user_management/invitations/{id}", get_one)
        .post("/user_management/invitations/{id}/accept", accept)
        .post("/user_management/invitations/{id}/revoke", revoke)
        .post("/user_management/invitations/{id}/resend", resend)
}

fn invitation_id(raw: &str) -> ApiResult<InvitationId> {
    path_id(raw, InvitationId::parse, "Invitation")
}

async fn list(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<Invitation>>> {
    let admin = caller.admin()?;
    let invitations = InvitationQuery {
        organization_id: query.id("organization_id", OrganizationId::parse)?,
        email: query.get("email"),
        page: query.page()?,
    };
    Ok(Json(directory.list_invitations(&admin, invitations).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SendInvitation {
    email: Option<String>,
    organization_id: Option<String>,
    expires_in_days: Option<i64>,
    inviter_user_id: Option<String>,
    role_slug: Option<String>,
}

async fn send(directory: Dir, caller: ApiCaller, Body(body): Body<SendInvitation>) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let organization = match body.organization_id {
        Some(raw) => Some(OrganizationId::parse(&raw).ok_or_else(|| {
            AppError::invalid("organization_id", "organization_not_found", "There is no such organization.")
        })?),
        None => None,
    };
    let inviter_user_id = match body.inviter_user_id {
        Some(raw) => Some(
            UserId::parse(&raw)
                .ok_or_else(|| AppError::invalid("inviter_user_id", "user_not_found", "There is no such user."))?,
        ),
        None => None,
    };
    let invitation = NewInvitation {
        email: required(body.email, "email")?,
        organization_id: organization,
        role_slug: body.role_slug,
        expires_in_days: body.expires_in_days,
        inviter_user_id,
    };
    Ok(created(directory.send_invitation(&admin, invitation).await?))
}

async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.get_invitation(&caller.admin()?, &invitation_id(&id)?).await?))
}

async fn by_token(directory: Dir, caller: ApiCaller, Path(token): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.find_invitation_by_token(&caller.admin()?, &token).await?))
}

async fn accept(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.accept_invitation(&caller.admin()?, &invitation_id(&id)?).await?))
}

async fn revoke(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.revoke_invitation(&caller.admin()?, &invitation_id(&id)?).await?))
}

async fn resend(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.resend_invitation(&caller.admin()?, &invitation_id(&id)?).await?))
}
