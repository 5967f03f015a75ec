//! API keys, stored as hashes.

use super::*;

from_row! {
    #[derive(Debug, Clone)]
    /// A stored API key.
    pub struct ApiKeyRow {
        pub id: String,
        pub client_id: String,
        pub name: String,
        pub obfuscated_value: String,
        pub organization_id: Option<String>,
        pub last_used_at: Option<i64>,
        pub revoked_at: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> Self {
        ApiKey {
            owner: match row.organization_id {
                Some(id) => ApiKeyOwner::Organization { id: OrganizationId::from_trusted(id) },
                None => ApiKeyOwner::Environment { id: "environment".into() },
            },
            id: ApiKeyId::from_trusted(row.id),
            name: row.name,
            client_id: row.client_id,
            obfuscated_value: row.obfuscated_value,
            last_used_at: row.last_used_at.map(iso),
            revoked_at: row.revoked_at.map(iso),
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        }
    }
}

pub(super) const API_KEY_COLUMNS: &str =
    "id, client_id, name, obfuscated_value, organization_id, last_used_at, revoked_at, created_at, updated_at";

/// Inserts an API key under the hash of its secret.
pub async fn insert_api_key(conn: &mut Connection, row: &ApiKeyRow, secret_hash: &str) -> Result<(), StoreError> {
    db::query(&format!(
        "INSERT INTO api_keys ({API_KEY_COLUMNS}, secret_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&row.id)
    .bind(&row.client_id)
    .bind(&row.name)
    .bind(&row.obfuscated_value)
    .bind(row.organization_id.as_deref())
    .bind(row.last_used_at)
    .bind(row.revoked_at)
    .bind(row.created_at)
    .bind(row.updated_at)
    .bind(secret_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every API key, newest first.
pub async fn list_api_keys(conn: &mut Connection) -> Result<Vec<ApiKeyRow>, StoreError> {
    db::query_as(&format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY id DESC"))
        .fetch_all(conn)
        .await
        .map_err(StoreError::from)
}

/// A live (unrevoked) key filed under this client ID.
pub async fn find_live_api_key_of_client(
    conn: &mut Connection,
    client_id: &str,
) -> Result<Option<ApiKeyRow>, StoreError> {
    fetch_optional_by(
        conn,
        &format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE client_id = $1 AND revoked_at IS NULL ORDER BY id LIMIT 1"
        ),
        client_id,
    )
    .await
}

/// The key with this secret hash.
pub async fn find_api_key_by_hash(conn: &mut Connection, secret_hash: &str) -> Result<Option<ApiKeyRow>, StoreError> {
    fetch_optional_by(conn, &format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1"), secret_hash)
        .await
}

/// Marks a key revoked; returns whether it existed.
pub async fn revoke_api_key(conn: &mut Connection, id: &ApiKeyId, now: i64) -> Result<bool, StoreError> {
    let done = db::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2), updated_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that a key was used, at most once a minute so reads stay cheap.
pub async fn touch_api_key(conn: &mut Connection, id: &str, now: i64) -> Result<(), StoreError> {
    db::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(id)
        .bind(now)
        .bind(now - 60_000)
        .execute(conn)
        .await?;
    Ok(())
}
