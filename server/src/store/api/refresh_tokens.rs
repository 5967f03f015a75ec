//! Refresh tokens, single-use and stored as hashes.

use super::*;

from_row! {
    #[derive(Debug, Clone)]
    /// A refresh token's session, if the token is known.
    pub struct RefreshTokenRow {
        pub session_id: String,
        pub used_at: Option<i64>,
        pub expires_at: i64,
    }
}

/// Stores a refresh token's hash for a session.
pub async fn insert_refresh_token(
    conn: &mut Connection,
    token_hash: &str,
    session: &SessionId,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    db::query("INSERT INTO refresh_tokens (token_hash, session_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(session.as_str())
        .bind(expires_at)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reads a refresh token.
pub async fn find_refresh_token(
    conn: &mut Connection,
    token_hash: &str,
) -> Result<Option<RefreshTokenRow>, StoreError> {
    fetch_optional_by(
        conn,
        "SELECT session_id, used_at, expires_at FROM refresh_tokens WHERE token_hash = $1",
        token_hash,
    )
    .await
}

/// Marks a refresh token used; false when another request used it first.
pub async fn use_refresh_token(conn: &mut Connection, token_hash: &str, now: i64) -> Result<bool, StoreError> {
    let done = db::query("UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL")
        .bind(token_hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
