//! Sessions: `GET /user_management/users/{id}/sessions` and `POST /user_management/sessions/revoke`.

use super::openapi::ApiErrors;
use super::request::{Body, PageParams, Query, path_id, required};
use super::users::user_id;
use super::{ApiCaller, ApiResult, Dir};
use app::ids::{SessionId, UserId};
use app::model::{List, Session};
use axum::Json;
use axum::extract::Path;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .get("/user_management/users/{id}/sessions", list)
        .post("/user_management/sessions/revoke", revoke)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, revoke))]
pub(super) struct Doc;

/// Lists a user's sessions, newest first.
#[utoipa::path(
    get,
    path = "/user_management/users/{id}/sessions",
    tag = "sessions",
    operation_id = "listSessions",
    params(("id" = UserId, Path, description = "The user's ID."), PageParams),
    responses((status = 200, description = "A page of sessions.", body = List<Session>), ApiErrors)
)]
async fn list(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    query: Query,
) -> ApiResult<Json<List<Session>>> {
    Ok(Json(directory.list_sessions(&caller.admin()?, &user_id(&id)?, query.page()?).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct RevokeSession {
    #[schema(value_type = SessionId, required = true)]
    session_id: Option<String>,
}

/// The empty object a revocation answers.
#[derive(Serialize, utoipa::ToSchema)]
struct Revoked {}

/// Ends a session: its refresh token stops working.
#[utoipa::path(
    post,
    path = "/user_management/sessions/revoke",
    tag = "sessions",
    operation_id = "revokeSession",
    request_body = Option<RevokeSession>,
    responses((status = 200, description = "Revoked.", body = Revoked), ApiErrors)
)]
async fn revoke(directory: Dir, caller: ApiCaller, Body(body): Body<RevokeSession>) -> ApiResult<Json<Revoked>> {
    let raw = required(body.session_id, "session_id")?;
    let id = path_id(&raw, SessionId::parse, "Session")?;
    directory.revoke_session(&caller.admin()?, &id).await?;
    Ok(Json(Revoked {}))
}
