//! `/user_management/users…`: users and their identities (their sessions are in `sessions.rs`,
//! their email verification in `codes.rs`).

use super::request::{Body, Query, path_id, present, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::directory::{ImportedPasswordHash, NewUser, UserQuery, UserUpdate};
use app::error::AppError;
use app::ids::UserId;
use app::model::{List, Metadata, User};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;
use std::collections::BTreeMap;

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .get("/user_management/users", list)
        .post("/user_management/users", create)
        .get("/user_management/users/external_id/{external_id}", get_by_external_id)
        .get("/user_management/users/{id}", get_one)
        .put("/user_management/users/{id}", update)
        .delete("/user_management/users/{id}", delete)
        .get("/user_management/users/{id}/identities", identities)
}

/// Parses a user ID from a path.
pub(super) fn user_id(raw: &str) -> ApiResult<UserId> {
    path_id(raw, UserId::parse, "User")
}

async fn list(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<User>>> {
    let admin = caller.admin()?;
    let organization_id = query.id("organization_id", app::ids::OrganizationId::parse)?;
    let users = UserQuery { email: query.get("email"), organization_id, page: query.page()? };
    Ok(Json(directory.list_users(&admin, users).await?))
}

async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<User>> {
    Ok(Json(directory.get_user(&caller.admin()?, &user_id(&id)?).await?))
}

async fn get_by_external_id(
    directory: Dir,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(directory.get_user_by_external_id(&caller.admin()?, &external_id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateUser {
    email: Option<String>,
    password: Option<String>,
    password_hash: Option<String>,
    password_hash_type: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email_verified: Option<bool>,
    external_id: Option<String>,
    metadata: Option<Metadata>,
}

async fn create(directory: Dir, caller: ApiCaller, Body(body): Body<CreateUser>) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let user = NewUser {
        email: required(body.email, "email")?,
        password: body.password,
        first_name: body.first_name,
        last_name: body.last_name,
        email_verified: body.email_verified.unwrap_or(false),
        external_id: body.external_id,
        metadata: body.metadata.unwrap_or_default(),
    };
    let created_user = match imported_hash(body.password_hash, body.password_hash_type)? {
        None => directory.create_user(&admin, user).await?,
        Some(_) if user.password.is_some() => {
            return Err(AppError::invalid(
                "password",
                "password_and_hash",
                "Send a password or a password_hash, not both.",
            )
            .into());
        }
        Some(hash) => directory.import_user(&admin, user, hash).await?,
    };
    Ok(created(created_user))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateUser {
    email: Option<String>,
    email_verified: Option<bool>,
    #[serde(deserialize_with = "present")]
    first_name: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    last_name: Option<Option<String>>,
    password: Option<String>,
    password_hash: Option<String>,
    password_hash_type: Option<String>,
    #[serde(deserialize_with = "present")]
    external_id: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    locale: Option<Option<String>>,
    metadata: Option<BTreeMap<String, Option<String>>>,
}

async fn update(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<UpdateUser>,
) -> ApiResult<Json<User>> {
    let password_hash = imported_hash(body.password_hash, body.password_hash_type)?;
    let update = UserUpdate {
        email: body.email,
        first_name: body.first_name,
        last_name: body.last_name,
        email_verified: body.email_verified,
        password: body.password,
        password_hash,
        external_id: body.external_id,
        locale: body.locale,
        // WorkOS's update has no picture; only the dashboard sets it.
        profile_picture_url: None,
        metadata: body.metadata,
    };
    Ok(Json(directory.update_user(&caller.admin()?, &user_id(&id)?, update).await?))
}

async fn delete(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_user(&caller.admin()?, &user_id(&id)?).await?;
    Ok(no_content())
}

/// Roster has no social sign-in yet, so every user's identities are an empty list.
async fn identities(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<serde_json::Value>>> {
    directory.get_user(&caller.admin()?, &user_id(&id)?).await?;
    Ok(Json(Vec::new()))
}

/// A password hash from another system: both fields or neither.
fn imported_hash(hash: Option<String>, hash_type: Option<String>) -> ApiResult<Option<ImportedPasswordHash>> {
    match (hash, hash_type) {
        (Some(hash), Some(hash_type)) => Ok(Some(ImportedPasswordHash { hash, hash_type })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(AppError::invalid(
            "password_hash_type",
            "password_hash_type_required",
            "password_hash_type is required with password_hash.",
        )
        .into()),
        (None, Some(_)) => Err(AppError::invalid(
            "password_hash",
            "password_hash_required",
            "password_hash is required with password_hash_type.",
        )
        .into()),
    }
}
