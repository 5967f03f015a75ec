//! Idempotent replays of POST answers.

use super::*;

/// How long an idempotent answer is replayed.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;

/// What is known about an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use: the caller runs the request and records the answer.
    Claimed,
    /// Answered before: replay this.
    Answered { status: u16, body: String },
    /// Another request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Claims an idempotency key for a request, or finds its earlier answer.
pub async fn claim_idempotency_key(
    conn: &mut Connection,
    api_key: &str,
    key: &str,
    fingerprint: &str,
    now: i64,
) -> Result<IdempotencyClaim, StoreError> {
    // Answers are kept for a day: a retry comes within minutes, and an answer can carry
    // secrets (invitation tokens) that should not outlive their use.
    db::query("DELETE FROM idempotent_responses WHERE created_at <= $1")
        .bind(now - IDEMPOTENCY_TTL_MS)
        .execute(&mut *conn)
        .await?;
    let inserted = db::query(
        "INSERT INTO idempotent_responses (api_key_id, idempotency_key, request_fingerprint, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (api_key_id, idempotency_key) DO NOTHING",
    )
    .bind(api_key)
    .bind(key)
    .bind(fingerprint)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(IdempotencyClaim::Claimed);
    }
    let row = db::query("SELECT request_fingerprint, status, body FROM idempotent_responses WHERE api_key_id = $1 AND idempotency_key = $2")
        .bind(api_key)
        .bind(key)
        .fetch_one(conn)
        .await?;
    let stored_fingerprint: String = row.try_get("request_fingerprint")?;
    let status: Option<i64> = row.try_get("status")?;
    let body: Option<String> = row.try_get("body")?;
    Ok(match (stored_fingerprint == fingerprint, status, body) {
        (false, _, _) => IdempotencyClaim::Mismatch,
        (true, Some(status), Some(body)) => IdempotencyClaim::Answered { status: status as u16, body },
        _ => IdempotencyClaim::InProgress,
    })
}

/// Records the answer to a claimed key.
pub async fn record_idempotent_answer(
    conn: &mut Connection,
    api_key: &str,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), StoreError> {
    db::query("UPDATE idempotent_responses SET status = $3, body = $4 WHERE api_key_id = $1 AND idempotency_key = $2")
        .bind(api_key)
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .execute(conn)
        .await?;
    Ok(())
}

/// Releases a claim whose request failed on the server, so a retry can run it again.
pub async fn release_idempotency_key(conn: &mut Connection, api_key: &str, key: &str) -> Result<(), StoreError> {
    db::query("DELETE FROM idempotent_responses WHERE api_key_id = $1 AND idempotency_key = $2 AND status IS NULL")
        .bind(api_key)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
