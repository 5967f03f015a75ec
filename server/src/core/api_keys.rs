//! API keys: `sk_…` secrets for applications, stored as hashes and shown once.

use super::{Core, record, secret_hash, validate};
use crate::store::api::{self, ApiKeyRow};
use crate::store::directory as db;
use crate::store::{commit, now_ms};
use app::directory::{Admin, ApiKeys, Caller, NewApiKey, Scope};
use app::error::AppError;
use app::ids::{ApiKeyId, OrganizationId};
use app::model::{ApiKey, CreatedApiKey};
use async_trait::async_trait;
use rand::distributions::{Alphanumeric, DistString};
use std::time::{Duration, Instant};

/// How long a verified key is trusted without asking the store again. A key revoked on this
/// replica stops working at once; on the others, within this time.
pub const VERIFIED_KEY_TTL: Duration = Duration::from_secs(2);

/// Recently verified API keys, by secret hash.
///
/// Nearly every API call presents the same few keys, and looking each one up again would
/// cost a store query per call.
pub(crate) struct VerifiedKeys {
    callers: quick_cache::sync::Cache<String, (Caller, Instant)>,
}

impl Default for VerifiedKeys {
    fn default() -> Self {
        Self { callers: quick_cache::sync::Cache::new(1024) }
    }
}

impl VerifiedKeys {
    fn get(&self, secret_hash: &str) -> Option<Caller> {
        let (caller, verified_at) = self.callers.get(secret_hash)?;
        (verified_at.elapsed() < VERIFIED_KEY_TTL).then_some(caller)
    }

    fn remember(&self, secret_hash: String, caller: Caller) {
        self.callers.insert(secret_hash, (caller, Instant::now()));
    }

    fn forget_all(&self) {
        self.callers.clear();
    }
}

/// A new client ID, `client_<ULID>`.
pub fn new_client_id() -> String {
    format!("client_{}", app::ids::new_ulid())
}

/// The caller a live key acts as.
fn key_caller(row: api::ApiKeyRow) -> Caller {
    let scope = match row.organization_id {
        Some(organization) => Scope::Organization(OrganizationId::from_trusted(organization)),
        None => Scope::Environment,
    };
    Caller::from_api_key(ApiKeyId::from_trusted(row.id), row.client_id, scope)
}

#[async_trait]
impl ApiKeys for Core {
    async fn create_api_key(&self, admin: &Admin, key: NewApiKey) -> Result<CreatedApiKey, AppError> {
        admin.require_environment()?;
        let name = validate::required_name("name", &key.name, 100)?;
        let client_id = match key.client_id.map(|id| id.trim().to_owned()).filter(|id| !id.is_empty()) {
            Some(id) if id.starts_with("client_") && id.len() <= 64 => id,
            Some(_) => {
                return Err(AppError::invalid("client_id", "client_id_invalid", "Client IDs look like client_…"));
            }
            None => new_client_id(),
        };
        let secret = match key.secret {
            Some(secret)
                if secret.starts_with("sk_") && secret.len() >= 32 && secret.chars().all(|c| c.is_ascii_graphic()) =>
            {
                secret
            }
            Some(_) => {
                return Err(AppError::invalid(
                    "secret",
                    "secret_invalid",
                    "Secrets start with sk_ and have at least 32 characters.",
                ));
            }
            None => format!("sk_{}", Alphanumeric.sample_string(&mut rand::thread_rng(), 40)),
        };
        let now = now_ms();
        let row = ApiKeyRow {
            id: ApiKeyId::generate().to_string(),
            client_id,
            name,
            obfuscated_value: format!("sk_…{}", &secret[secret.len() - 4..]),
            organization_id: key.organization_id.as_ref().map(ToString::to_string),
            last_used_at: None,
            revoked_at: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        if let Some(organization) = &key.organization_id
            && db::find_organization(&mut tx, organization).await?.is_none()
        {
            return Err(AppError::invalid(
                "organization_id",
                "organization_not_found",
                "There is no such organization.",
            ));
        }
        api::insert_api_key(&mut tx, &row, &secret_hash(&secret)).await?;
        let created: ApiKey = row.into();
        record(&mut tx, "api_key.created", key.organization_id.as_ref(), &created).await?;
        commit(tx).await?;
        Ok(CreatedApiKey { key: created, value: secret })
    }

    async fn list_api_keys(&self, admin: &Admin) -> Result<Vec<ApiKey>, AppError> {
        admin.require_environment()?;
        let mut conn = self.store.read().await?;
        Ok(api::list_api_keys(&mut conn).await?.into_iter().map(ApiKey::from).collect())
    }

    async fn revoke_api_key(&self, admin: &Admin, id: &ApiKeyId) -> Result<(), AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        if !api::revoke_api_key(&mut tx, id, now_ms()).await? {
            return Err(AppError::not_found("API key"));
        }
        record(&mut tx, "api_key.revoked", None, &serde_json::json!({ "object": "api_key", "id": id })).await?;
        commit(tx).await?;
        self.verified_keys.forget_all();
        Ok(())
    }

    async fn authenticate_api_key(&self, secret: &str) -> Result<Caller, AppError> {
        if !secret.starts_with("sk_") {
            return Err(AppError::Unauthenticated);
        }
        let hash = secret_hash(secret);
        if let Some(caller) = self.verified_keys.get(&hash) {
            return Ok(caller);
        }
        let mut conn = self.store.read().await?;
        let row = api::find_api_key_by_hash(&mut conn, &hash).await?.ok_or(AppError::Unauthenticated)?;
        if row.revoked_at.is_some() {
            return Err(AppError::Unauthenticated);
        }
        // Record use at most once a minute: a write on every call would serialize all
        // API traffic behind SQLite's single writer.
        let now = now_ms();
        if row.last_used_at.is_none_or(|last| last < now - 60_000)
            && let Err(error) = api::touch_api_key(&mut conn, &row.id, now).await
        {
            // Bookkeeping only: a busy store must not fail the call.
            tracing::debug!(%error, "could not record API key use");
        }
        let caller = key_caller(row);
        self.verified_keys.remember(hash, caller.clone());
        Ok(caller)
    }

    async fn client_caller(&self, client_id: &str) -> Result<Caller, AppError> {
        let mut conn = self.store.read().await?;
        let row = api::find_live_api_key_of_client(&mut conn, client_id.trim()).await?;
        row.map(key_caller).ok_or_else(|| AppError::InvalidGrant("The client_id is not known.".into()))
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::error::AppError;

    async fn backend_key(fx: &Fixture) -> app::model::CreatedApiKey {
        let key = NewApiKey { name: "backend".into(), ..Default::default() };
        fx.core.create_api_key(&fx.system(), key).await.unwrap()
    }

    #[tokio::test]
    async fn keys_authenticate_until_revoked_and_are_stored_hashed() {
        let fx = Fixture::new().await;
        let created = backend_key(&fx).await;
        assert!(created.value.starts_with("sk_"));
        assert!(created.key.client_id.starts_with("client_"));
        let caller = fx.core.authenticate_api_key(&created.value).await.unwrap();
        assert!(caller.admin().unwrap().require_environment().is_ok());
        let mut conn = fx.core.store().read().await.unwrap();
        let stored: String =
            crate::store::db::query_scalar("SELECT secret_hash FROM api_keys").fetch_one(&mut *conn).await.unwrap();
        assert_ne!(stored, created.value);
        drop(conn);
        fx.core.revoke_api_key(&fx.system(), &created.key.id).await.unwrap();
        assert_eq!(fx.core.authenticate_api_key(&created.value).await.unwrap_err(), AppError::Unauthenticated);
        assert_eq!(fx.core.authenticate_api_key("sk_unknown").await.unwrap_err(), AppError::Unauthenticated);
    }

    #[tokio::test]
    async fn a_key_revoked_by_another_replica_stops_working_within_the_cache_lifetime() {
        let fx = Fixture::new().await;
        let created = backend_key(&fx).await;
        fx.core.authenticate_api_key(&created.value).await.unwrap();
        let other_replica = crate::core::Core::new(fx.core.store().clone(), fx.core.settings().clone()).await.unwrap();
        other_replica.revoke_api_key(&fx.system(), &created.key.id).await.unwrap();
        assert_eq!(other_replica.authenticate_api_key(&created.value).await.unwrap_err(), AppError::Unauthenticated);
        tokio::time::sleep(super::VERIFIED_KEY_TTL + std::time::Duration::from_millis(100)).await;
        assert_eq!(fx.core.authenticate_api_key(&created.value).await.unwrap_err(), AppError::Unauthenticated);
    }

    #[tokio::test]
    async fn organization_keys_reach_one_organization() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let key = NewApiKey { name: "acme app".into(), organization_id: Some(acme.id.clone()), ..Default::default() };
        let created = fx.core.create_api_key(&fx.system(), key).await.unwrap();
        let admin = fx.core.authenticate_api_key(&created.value).await.unwrap().admin().unwrap();
        assert_eq!(admin.organization(), Some(&acme.id));
    }
}
