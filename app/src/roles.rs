//! Roles as the dashboard offers them: the roles of the current organization.

use crate::error::AppError;
use crate::model::Role;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// The roles that can be given in the current organization.
#[server(prefix = "/api", endpoint = "roles", input = Json)]
pub async fn assignable_roles() -> Result<Vec<Role>, AppError> {
    let caller = caller().await?;
    let admin = caller.admin()?;
    directory().list_roles(&admin, admin.organization()).await
}
