//! Sessions: `GET /user_management/users/{id}/sessions` and `POST /user_management/sessions/revoke`.

use super::request::{Body, Query, path_id, required};
use super::users::user_id;
use super::{ApiCaller, ApiResult, Dir};
use app::ids::SessionId;
use app::model::{List, Session};
use axum::Json;
use axum::extract::Path;
use serde::Deserialize;

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .get("/user_management/users/{id}/sessions", list)
        .post("/user_management/sessions/revoke", revoke)
}

async fn list(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    query: Query,
) -> ApiResult<Json<List<Session>>> {
    Ok(Json(directory.list_sessions(&caller.admin()?, &user_id(&id)?, query.page()?).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokeSession {
    session_id: Option<String>,
}

async fn revoke(
    directory: Dir,
    caller: ApiCaller,
    Body(body): Body<RevokeSession>,
) -> ApiResult<Json<serde_json::Value>> {
    let raw = required(body.session_id, "session_id")?;
    let id = path_id(&raw, SessionId::parse, "Session")?;
    directory.revoke_session(&caller.admin()?, &id).await?;
    Ok(Json(serde_json::json!({})))
}
