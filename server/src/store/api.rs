//! The SQL behind the REST API: API keys, refresh tokens, idempotent replays, rate limits,
//! one-time codes and the outbox.

use super::sql::{SqlBuilder, finish_page};
use super::{Connection, fetch_optional_by, internal, iso};
use app::error::AppError;
use app::ids::{ApiKeyId, OrganizationId, SessionId};
use app::model::{ApiKey, ApiKeyOwner, List, OutboxMessage, Page};
use sqlx::{FromRow, Row};

/// A stored API key.
#[derive(Debug, Clone, FromRow)]
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

const API_KEY_COLUMNS: &str =
    "id, client_id, name, obfuscated_value, organization_id, last_used_at, revoked_at, created_at, updated_at";

/// Inserts an API key under the hash of its secret.
pub async fn insert_api_key(conn: &mut Connection, row: &ApiKeyRow, secret_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
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
pub async fn list_api_keys(conn: &mut Connection) -> Result<Vec<ApiKeyRow>, AppError> {
    sqlx::query_as(&format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY id DESC"))
        .fetch_all(conn)
        .await
        .map_err(internal)
}

/// The key with this secret hash.
pub async fn find_api_key_by_hash(conn: &mut Connection, secret_hash: &str) -> Result<Option<ApiKeyRow>, AppError> {
    fetch_optional_by(conn, &format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1"), secret_hash)
        .await
}

/// Marks a key revoked; returns whether it existed.
pub async fn revoke_api_key(conn: &mut Connection, id: &ApiKeyId, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2), updated_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that a key was used, at most once a minute so reads stay cheap.
pub async fn touch_api_key(conn: &mut Connection, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(id)
        .bind(now)
        .bind(now - 60_000)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Refresh tokens

/// A refresh token's session, if the token is known.
#[derive(Debug, Clone, FromRow)]
pub struct RefreshTokenRow {
    pub session_id: String,
    pub used_at: Option<i64>,
    pub expires_at: i64,
}

/// Stores a refresh token's hash for a session.
pub async fn insert_refresh_token(
    conn: &mut Connection,
    token_hash: &str,
    session: &SessionId,
    expires_at: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(session.as_str())
        .bind(expires_at)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reads a refresh token.
pub async fn find_refresh_token(conn: &mut Connection, token_hash: &str) -> Result<Option<RefreshTokenRow>, AppError> {
    fetch_optional_by(
        conn,
        "SELECT session_id, used_at, expires_at FROM refresh_tokens WHERE token_hash = $1",
        token_hash,
    )
    .await
}

/// Marks a refresh token used; false when another request used it first.
pub async fn use_refresh_token(conn: &mut Connection, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL")
        .bind(token_hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------
// Idempotent replays

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
) -> Result<IdempotencyClaim, AppError> {
    // Answers are kept for a day: a retry comes within minutes, and an answer can carry
    // secrets (invitation tokens) that should not outlive their use.
    sqlx::query("DELETE FROM idempotent_responses WHERE created_at <= $1")
        .bind(now - IDEMPOTENCY_TTL_MS)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    let inserted = sqlx::query(
        "INSERT INTO idempotent_responses (api_key_id, idempotency_key, request_fingerprint, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (api_key_id, idempotency_key) DO NOTHING",
    )
    .bind(api_key)
    .bind(key)
    .bind(fingerprint)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    if inserted.rows_affected() == 1 {
        return Ok(IdempotencyClaim::Claimed);
    }
    let row = sqlx::query("SELECT request_fingerprint, status, body FROM idempotent_responses WHERE api_key_id = $1 AND idempotency_key = $2")
        .bind(api_key)
        .bind(key)
        .fetch_one(conn)
        .await
        .map_err(internal)?;
    let stored_fingerprint: String = row.try_get("request_fingerprint").map_err(internal)?;
    let status: Option<i64> = row.try_get("status").map_err(internal)?;
    let body: Option<String> = row.try_get("body").map_err(internal)?;
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
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE idempotent_responses SET status = $3, body = $4 WHERE api_key_id = $1 AND idempotency_key = $2",
    )
    .bind(api_key)
    .bind(key)
    .bind(i64::from(status))
    .bind(body)
    .execute(conn)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Releases a claim whose request failed on the server, so a retry can run it again.
pub async fn release_idempotency_key(conn: &mut Connection, api_key: &str, key: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM idempotent_responses WHERE api_key_id = $1 AND idempotency_key = $2 AND status IS NULL")
        .bind(api_key)
        .bind(key)
        .execute(conn)
        .await
        .map_err(internal)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Rate limits

/// Counts an attempt in a fixed window; returns the attempts so far and the window's start.
pub async fn count_attempt(
    conn: &mut Connection,
    bucket: &str,
    now: i64,
    window_ms: i64,
) -> Result<(i64, i64), AppError> {
    let row = sqlx::query(
        "INSERT INTO rate_limits (bucket, window_start, attempts) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
           attempts = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.attempts + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         RETURNING attempts, window_start",
    )
    .bind(bucket)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(conn)
    .await
    .map_err(internal)?;
    Ok((row.try_get("attempts").map_err(internal)?, row.try_get("window_start").map_err(internal)?))
}

/// Gives back an attempt taken from a bucket, when it turned out not to count (a success).
pub async fn release_attempt(conn: &mut Connection, bucket: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE rate_limits SET attempts = attempts - 1 WHERE bucket = $1 AND attempts > 0")
        .bind(bucket)
        .execute(conn)
        .await
        .map_err(internal)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// One-time codes and the outbox

/// What a one-time code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodePurpose {
    EmailVerification,
    PasswordReset,
    MagicAuth,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::EmailVerification => "email_verification",
            Self::PasswordReset => "password_reset",
            Self::MagicAuth => "magic_auth",
        }
    }
}

/// A stored one-time code.
#[derive(Debug, Clone, FromRow)]
pub struct CodeRow {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub secret: String,
    pub consumed_at: Option<i64>,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const CODE_COLUMNS: &str = "id, user_id, email, secret, consumed_at, expires_at, created_at, updated_at";

/// Stores a one-time code.
pub async fn insert_code(conn: &mut Connection, purpose: CodePurpose, row: &CodeRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO one_time_codes ({CODE_COLUMNS}, purpose) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.email)
    .bind(&row.secret)
    .bind(row.consumed_at)
    .bind(row.expires_at)
    .bind(row.created_at)
    .bind(row.updated_at)
    .bind(purpose.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads a code by ID.
pub async fn find_code(conn: &mut Connection, purpose: CodePurpose, id: &str) -> Result<Option<CodeRow>, AppError> {
    sqlx::query_as(&format!("SELECT {CODE_COLUMNS} FROM one_time_codes WHERE purpose = $1 AND id = $2"))
        .bind(purpose.as_str())
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(internal)
}

/// Reads the live code with this secret (for a user, when given).
pub async fn find_live_code(
    conn: &mut Connection,
    purpose: CodePurpose,
    secret: &str,
    user: Option<&str>,
    max_failures: i64,
    now: i64,
) -> Result<Option<CodeRow>, AppError> {
    let mut sql = format!(
        "SELECT {CODE_COLUMNS} FROM one_time_codes WHERE purpose = $1 AND secret = $2 AND consumed_at IS NULL \
         AND expires_at > $3 AND failed_attempts < $4"
    );
    if user.is_some() {
        sql.push_str(" AND user_id = $5");
    }
    let query = sqlx::query_as(&sql).bind(purpose.as_str()).bind(secret).bind(now).bind(max_failures);
    let query = match user {
        Some(user) => query.bind(user),
        None => query,
    };
    query.fetch_optional(conn).await.map_err(internal)
}

/// Counts a wrong guess against a user's live codes of one purpose.
pub async fn count_code_failure(
    conn: &mut Connection,
    purpose: CodePurpose,
    user: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE one_time_codes SET failed_attempts = failed_attempts + 1, updated_at = $3 \
         WHERE purpose = $1 AND user_id = $2 AND consumed_at IS NULL AND expires_at > $3",
    )
    .bind(purpose.as_str())
    .bind(user)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a user's live codes of one purpose, when a newer one replaces them.
pub async fn consume_codes_of(
    conn: &mut Connection,
    purpose: CodePurpose,
    user: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE one_time_codes SET consumed_at = $3, updated_at = $3 \
         WHERE purpose = $1 AND user_id = $2 AND consumed_at IS NULL",
    )
    .bind(purpose.as_str())
    .bind(user)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a code used; false when another request used it first.
pub async fn consume_code(conn: &mut Connection, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE one_time_codes SET consumed_at = $2, updated_at = $2 WHERE id = $1 AND consumed_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues a message for delivery.
pub async fn queue_message(
    conn: &mut Connection,
    recipient: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO outbox (id, recipient, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(format!("message_{}", app::ids::new_ulid()))
        .bind(recipient)
        .bind(subject)
        .bind(body)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// A page of the outbox, newest first by default.
pub async fn list_outbox(conn: &mut Connection, page: &Page) -> Result<List<OutboxMessage>, AppError> {
    let mut sql = SqlBuilder::new("SELECT id, recipient, subject, body, created_at FROM outbox WHERE 1 = 1");
    sql.push_keyset("id", page);
    let rows = sql.query().fetch_all(conn).await.map_err(internal)?;
    let messages = rows
        .iter()
        .map(|row| {
            Ok(OutboxMessage {
                id: row.try_get("id")?,
                recipient: row.try_get("recipient")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                created_at: iso(row.try_get("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(internal)?;
    Ok(finish_page(messages, page, |message| message.id.clone()))
}

/// The newest message to a recipient, for tests.
pub async fn latest_message_to(conn: &mut Connection, recipient: &str) -> Result<Option<(String, String)>, AppError> {
    let row = sqlx::query("SELECT subject, body FROM outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1")
        .bind(recipient)
        .fetch_optional(conn)
        .await
        .map_err(internal)?;
    row.map(|row| Ok((row.try_get("subject").map_err(internal)?, row.try_get("body").map_err(internal)?))).transpose()
}
