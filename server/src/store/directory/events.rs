//! Events, and the settings kept in the store.

use super::*;

// Events are written by `insert_event_row` (activity.rs), with their actor and subject.

/// The names of the events recorded, oldest first (for tests and the audit log).
pub async fn event_names(conn: &mut Connection) -> Result<Vec<String>, StoreError> {
    db::query_scalar("SELECT event FROM events ORDER BY id").fetch_all(conn).await.map_err(StoreError::from)
}

/// Reads an install-wide setting.
pub async fn setting(conn: &mut Connection, key: &str) -> Result<Option<String>, StoreError> {
    db::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await
        .map_err(StoreError::from)
}

/// Writes a setting unless it is already set.
pub async fn insert_setting_if_absent(conn: &mut Connection, key: &str, value: &str) -> Result<(), StoreError> {
    db::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes an install-wide setting.
pub async fn put_setting(conn: &mut Connection, key: &str, value: &str) -> Result<(), StoreError> {
    db::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}
