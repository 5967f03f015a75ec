//! Widget tokens: `POST /widgets/token` (the Node SDK's `widgets.getToken`).

use super::openapi::ApiErrors;
use super::request::{Body, path_id, required};
use super::{ApiCaller, ApiResult, Dir};
use app::directory::WidgetTokenRequest;
use app::ids::{OrganizationId, UserId};
use axum::Json;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> super::Routes {
    super::Routes::default().post("/widgets/token", token)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(token))]
pub(super) struct Doc;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct TokenRequest {
    /// The user the widgets act for.
    #[schema(value_type = UserId, required = true)]
    user_id: Option<String>,
    /// The organization of the users table and the organization switcher; without it the
    /// token serves the user's own profile, sessions and security only.
    #[schema(value_type = Option<OrganizationId>)]
    organization_id: Option<String>,
    /// Scopes the user's roles in the organization must grant, such as
    /// `widgets:users-table:manage`.
    scopes: Vec<String>,
}

/// A widget token.
#[derive(Serialize, utoipa::ToSchema)]
struct Token {
    /// An RS256 JWT valid for one hour, carrying `sub`, `org_id`, `sid` and `permissions`.
    token: String,
}

/// Issues a widget token for a user: an active member of the organization whose roles grant
/// the scopes. Revoking the user's sessions revokes it.
#[utoipa::path(
    post,
    path = "/widgets/token",
    tag = "widgets",
    operation_id = "getWidgetToken",
    request_body = Option<TokenRequest>,
    responses((status = 200, description = "The token.", body = Token), ApiErrors)
)]
async fn token(directory: Dir, caller: ApiCaller, Body(body): Body<TokenRequest>) -> ApiResult<Json<Token>> {
    let admin = caller.admin()?;
    let user_id = path_id(&required(body.user_id, "user_id")?, UserId::parse, "User")?;
    let organization_id = match body.organization_id {
        Some(raw) => Some(path_id(&raw, OrganizationId::parse, "Organization")?),
        None => None,
    };
    let request = WidgetTokenRequest { user_id, organization_id, scopes: body.scopes };
    Ok(Json(Token { token: directory.issue_widget_token(&admin, request).await? }))
}
