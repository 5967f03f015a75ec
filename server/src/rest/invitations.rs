//! `/user_management/invitations…`.

use super::openapi::{ApiErrors, BlankOrOrganizationId};
use super::request::{Body, PageParams, Query, path_id, required};
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

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, send, by_token, get_one, accept, revoke, resend))]
pub(super) struct Doc;

fn invitation_id(raw: &str) -> ApiResult<InvitationId> {
    path_id(raw, InvitationId::parse, "Invitation")
}

/// Lists invitations, optionally of one organization or for one email.
#[utoipa::path(get, path = "/user_management/invitations", tag = "invitations", operation_id = "listInvitations",
    params(
        ("organization_id" = inline(Option<BlankOrOrganizationId>), Query, description = "Only invitations into this organization."),
        ("email" = Option<String>, Query, description = "Only invitations for this email."),
        PageParams,
    ),
    responses((status = 200, description = "A page of invitations.", body = List<Invitation>), ApiErrors))]
async fn list(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<Invitation>>> {
    let admin = caller.admin()?;
    let invitations = InvitationQuery {
        organization_id: query.id("organization_id", OrganizationId::parse)?,
        email: query.get("email"),
        page: query.page()?,
    };
    Ok(Json(directory.list_invitations(&admin, invitations).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct SendInvitation {
    #[schema(value_type = String, required = true)]
    email: Option<String>,
    #[schema(value_type = Option<OrganizationId>)]
    organization_id: Option<String>,
    /// From 1 to 30 (7 when left out).
    expires_in_days: Option<i64>,
    #[schema(value_type = Option<UserId>)]
    inviter_user_id: Option<String>,
    role_slug: Option<String>,
}

/// Invites an email address, into an organization or the environment, and emails the link.
#[utoipa::path(post, path = "/user_management/invitations", tag = "invitations", operation_id = "sendInvitation",
    request_body = Option<SendInvitation>,
    responses((status = 201, description = "The new invitation.", body = Invitation), ApiErrors))]
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

/// Reads an invitation.
#[utoipa::path(get, path = "/user_management/invitations/{id}", tag = "invitations", operation_id = "getInvitation",
    params(("id" = InvitationId, Path, description = "The invitation's ID.")), responses((status = 200, description = "The invitation.", body = Invitation), ApiErrors))]
async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.get_invitation(&caller.admin()?, &invitation_id(&id)?).await?))
}

/// Finds an invitation by the token of its link.
#[utoipa::path(get, path = "/user_management/invitations/by_token/{token}", tag = "invitations",
    operation_id = "findInvitationByToken",
    params(("token" = String, Path, description = "The invitation's token.")),
    responses((status = 200, description = "The invitation.", body = Invitation), ApiErrors))]
async fn by_token(directory: Dir, caller: ApiCaller, Path(token): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.find_invitation_by_token(&caller.admin()?, &token).await?))
}

/// Accepts a pending invitation on the invitee's behalf.
#[utoipa::path(post, path = "/user_management/invitations/{id}/accept", tag = "invitations", operation_id = "acceptInvitation",
    params(("id" = InvitationId, Path, description = "The invitation's ID.")), responses((status = 200, description = "The accepted invitation.", body = Invitation), ApiErrors))]
async fn accept(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.accept_invitation(&caller.admin()?, &invitation_id(&id)?).await?))
}

/// Revokes a pending invitation.
#[utoipa::path(post, path = "/user_management/invitations/{id}/revoke", tag = "invitations", operation_id = "revokeInvitation",
    params(("id" = InvitationId, Path, description = "The invitation's ID.")), responses((status = 200, description = "The revoked invitation.", body = Invitation), ApiErrors))]
async fn revoke(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.revoke_invitation(&caller.admin()?, &invitation_id(&id)?).await?))
}

/// Sends a pending invitation's email again.
#[utoipa::path(post, path = "/user_management/invitations/{id}/resend", tag = "invitations", operation_id = "resendInvitation",
    params(("id" = InvitationId, Path, description = "The invitation's ID.")), responses((status = 200, description = "The invitation.", body = Invitation), ApiErrors))]
async fn resend(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Invitation>> {
    Ok(Json(directory.resend_invitation(&caller.admin()?, &invitation_id(&id)?).await?))
}
