//! `/user_management/users…`: users and their identities (their sessions are in `sessions.rs`,
//! their email verification in `codes.rs`).

use super::openapi::{ApiErrors, BlankOrOrganizationId};
use super::request::{Body, PageParams, Query, path_id, present, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::directory::{ImportedPasswordHash, NewUser, UserQuery, UserUpdate};
use app::error::AppError;
use app::ids::{OrganizationId, UserId};
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

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get_by_external_id, get_one, update, delete, identities))]
pub(super) struct Doc;

/// Parses a user ID from a path.
pub(super) fn user_id(raw: &str) -> ApiResult<UserId> {
    path_id(raw, UserId::parse, "User")
}

/// Lists users, newest first, optionally of one organization or with one email.
#[utoipa::path(get, path = "/user_management/users", tag = "users", operation_id = "listUsers",
    params(
        ("email" = Option<String>, Query, description = "Only the user with this email."),
        ("organization_id" = inline(Option<BlankOrOrganizationId>), Query, description = "Only members of this organization."),
        PageParams,
    ),
    responses((status = 200, description = "A page of users.", body = List<User>), ApiErrors))]
async fn list(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<User>>> {
    let admin = caller.admin()?;
    let organization_id = query.id("organization_id", OrganizationId::parse)?;
    let users = UserQuery { email: query.get("email"), organization_id, page: query.page()? };
    Ok(Json(directory.list_users(&admin, users).await?))
}

/// Reads a user.
#[utoipa::path(get, path = "/user_management/users/{id}", tag = "users", operation_id = "getUser",
    params(("id" = UserId, Path, description = "The user's ID.")), responses((status = 200, description = "The user.", body = User), ApiErrors))]
async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<User>> {
    Ok(Json(directory.get_user(&caller.admin()?, &user_id(&id)?).await?))
}

/// Reads a user by the ID another system gave them.
#[utoipa::path(get, path = "/user_management/users/external_id/{external_id}", tag = "users",
    operation_id = "getUserByExternalId",
    params(("external_id" = String, Path, description = "The user's external ID.")),
    responses((status = 200, description = "The user.", body = User), ApiErrors))]
async fn get_by_external_id(
    directory: Dir,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(directory.get_user_by_external_id(&caller.admin()?, &external_id).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct CreateUser {
    #[schema(value_type = String, required = true)]
    email: Option<String>,
    password: Option<String>,
    password_hash: Option<String>,
    password_hash_type: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email_verified: Option<bool>,
    external_id: Option<String>,
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>)]
    metadata: Option<Metadata>,
}

/// Creates a user, with a password, a password hash from another system, or neither.
#[utoipa::path(post, path = "/user_management/users", tag = "users", operation_id = "createUser",
    request_body = Option<CreateUser>,
    responses((status = 201, description = "The new user.", body = User), ApiErrors))]
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

#[derive(Deserialize, Default, utoipa::ToSchema)]
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
    /// Keys set to `null` are removed; keys left out stay.
    metadata: Option<BTreeMap<String, Option<String>>>,
}

/// Changes a user; fields left out stay as they are, `null` clears a nullable one.
#[utoipa::path(put, path = "/user_management/users/{id}", tag = "users", operation_id = "updateUser",
    params(("id" = UserId, Path, description = "The user's ID.")), request_body = Option<UpdateUser>,
    responses((status = 200, description = "The changed user.", body = User), ApiErrors))]
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

/// Deletes a user, with their memberships and sessions.
#[utoipa::path(delete, path = "/user_management/users/{id}", tag = "users", operation_id = "deleteUser",
    params(("id" = UserId, Path, description = "The user's ID.")), responses((status = 204, description = "Deleted."), ApiErrors))]
async fn delete(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_user(&caller.admin()?, &user_id(&id)?).await?;
    Ok(no_content())
}

/// Roster has no social sign-in yet, so every user's identities are an empty list.
#[utoipa::path(get, path = "/user_management/users/{id}/identities", tag = "users",
    operation_id = "getUserIdentities", params(("id" = UserId, Path, description = "The user's ID.")),
    responses((status = 200, description = "The user's identities at social providers: always none.",
        body = Vec<Object>), ApiErrors))]
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
