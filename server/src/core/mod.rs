//! The core: every business rule of the directory, implemented once over the [`Store`].
//!
//! Every change runs in one transaction together with the event that records it.

mod api_keys;
mod attempts;
mod authorization;
mod bulk;
pub(crate) mod codes;
mod domains;
pub mod emails;
pub(crate) mod events;
pub(crate) mod factors;
mod grants;
mod hosted;
mod invitations;
mod memberships;
mod organizations;
mod outbox;
pub mod password;
mod sessions;
pub mod settings;
mod step_up;
pub mod tokens;
mod user_detail;
mod users;
pub mod validate;
pub mod widgets;

#[cfg(test)]
pub(crate) mod testing;

/// The limits and the answer floor of forgotten passwords, which the HTTP tests exercise.
pub use attempts::{ADDRESS_LIMIT, Limit, RESET_REQUEST_ADDRESS_LIMIT, RESET_REQUEST_LIMIT};
pub use codes::RESET_REQUEST_FLOOR;

use crate::store::directory::{self as db, RoleRecord};
use crate::store::{Connection, Store, commit, now_ms};
use app::error::AppError;
use app::ids::OrganizationId;
use app::model::roles;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Settings the rules depend on.
#[derive(Clone, Debug)]
pub struct CoreSettings {
    /// Where people reach the dashboard, for links such as invitation URLs.
    pub public_url: String,
    /// Environment settings the configuration sets in place of the stored ones.
    pub environment: settings::EnvironmentOverrides,
    /// The DNS server that domain verification asks; the system's resolvers when `None`.
    pub dns_server: Option<std::net::SocketAddr>,
    /// Email is delivered over SMTP; without it the outbox page is where admins read messages.
    pub email_delivery: bool,
}

impl Default for CoreSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            environment: settings::EnvironmentOverrides::default(),
            dns_server: None,
            email_delivery: false,
        }
    }
}

/// The directory's implementation.
#[derive(Clone)]
pub struct Core {
    store: Store,
    settings: CoreSettings,
    /// Loaded on first use and shared by clones.
    signing_key: Arc<tokio::sync::OnceCell<Arc<tokens::SigningKey>>>,
    /// API keys verified in the last moments, shared by clones.
    verified_keys: Arc<api_keys::VerifiedKeys>,
    /// Asked by domain verification.
    dns: Arc<hickory_resolver::TokioResolver>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("store", &self.store).field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// The permission that lets a role's members manage users through widgets.
const USERS_TABLE_SCOPE: &str = app::access::USERS_TABLE_SCOPE;

/// The roles every environment starts with.
pub const BUILT_IN_ROLES: [RoleRecord; 3] = [
    RoleRecord {
        slug: roles::OWNER,
        name: "Owner",
        description: "Full control of the organization, including its owners.",
        permissions: &[
            "members:read",
            "members:manage",
            "invitations:manage",
            "roles:manage",
            "organization:manage",
            USERS_TABLE_SCOPE,
        ],
        priority: 0,
    },
    RoleRecord {
        slug: roles::ADMIN,
        name: "Admin",
        description: "Manages members and invitations.",
        permissions: &["members:read", "members:manage", "invitations:manage", USERS_TABLE_SCOPE],
        priority: 1,
    },
    RoleRecord {
        slug: roles::MEMBER,
        name: "Member",
        description: "An ordinary member.",
        permissions: &["members:read"],
        priority: 2,
    },
];

impl Core {
    /// Builds the core over a store, making sure the built-in roles exist.
    pub async fn new(store: Store, settings: CoreSettings) -> Result<Self, AppError> {
        let mut tx = store.begin().await?;
        for role in &BUILT_IN_ROLES {
            db::ensure_environment_role(&mut tx, role, now_ms()).await?;
        }
        db::ensure_environment_default(&mut tx, roles::MEMBER).await?;
        Self::describe_built_in_permissions(&mut tx).await?;
        commit(tx).await?;
        let dns = Arc::new(domains::resolver(settings.dns_server));
        Ok(Self { store, settings, signing_key: Arc::default(), verified_keys: Arc::default(), dns })
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The settings the rules use.
    pub fn settings(&self) -> &CoreSettings {
        &self.settings
    }

    /// Checks that every slug names a role usable in the organization, and that several are
    /// asked for only where a membership may hold several; returns them deduplicated. None
    /// means the organization's default role.
    async fn checked_roles(
        conn: &mut Connection,
        field: &str,
        organization: &OrganizationId,
        slugs: Vec<String>,
    ) -> Result<Vec<String>, AppError> {
        let mut chosen: Vec<String> = Vec::new();
        for slug in slugs.into_iter().map(|slug| slug.trim().to_owned()).filter(|slug| !slug.is_empty()) {
            if !chosen.contains(&slug) {
                chosen.push(slug);
            }
        }
        if chosen.is_empty() {
            return Ok(vec![db::default_role_slug(conn, organization).await?]);
        }
        if chosen.len() > 1 && !Self::multiple_roles_enabled(conn).await? {
            return Err(AppError::invalid(
                field,
                "multiple_roles_disabled",
                "Each member holds one role here; choose one (a platform admin can allow several on the Roles page).",
            ));
        }
        let known = db::list_roles(conn, Some(organization)).await?;
        if let Some(unknown) = chosen.iter().find(|slug| !known.iter().any(|role| &role.slug == *slug)) {
            return Err(AppError::invalid(field, "role_not_found", format!("There is no role {unknown:?}.")));
        }
        Ok(chosen)
    }
}

/// The stored form of a secret (a session cookie, a refresh token, an API key): its SHA-256, so
/// a copy of the store holds nothing that signs anyone in.
pub(crate) fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Records an event in the transaction of the change it describes.
pub(crate) async fn record(
    conn: &mut Connection,
    event: &str,
    organization: Option<&OrganizationId>,
    data: &impl Serialize,
) -> Result<(), AppError> {
    // Without an actor: the change's cause is not known here (sign-ins, seeding, codes).
    events::record_change(conn, events::Change::default(), event, organization, data).await
}
