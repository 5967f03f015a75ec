//! Pending authentications, hosted sign-in flows and authorization codes.

use super::*;

/// Deletes a table's rows that expired: each is short-lived (minutes), and nothing reads it
/// after it expires. `table` is one of this file's own names, never input.
async fn forget_expired(conn: &mut Connection, table: &str, now: i64) -> Result<(), StoreError> {
    db::query(&format!("DELETE FROM {table} WHERE expires_at <= $1")).bind(now).execute(&mut *conn).await?;
    Ok(())
}

from_row! {
    #[derive(Debug, Clone)]
    /// A sign-in waiting for its next step.
    pub struct PendingRow {
        pub id: String,
        pub user_id: String,
        pub audience: String,
        pub method: String,
        pub invitation_token: Option<String>,
        pub organization_id: Option<String>,
        pub mfa_verified: i64,
        pub next_step: String,
        pub expires_at: i64,
        pub used_at: Option<i64>,
        pub created_at: i64,
    }
}

const PENDING_COLUMNS: &str = "id, user_id, audience, method, invitation_token, organization_id, mfa_verified, \
                               next_step, expires_at, used_at, created_at";

/// Stores a pending authentication under the hash of its token, forgetting expired ones.
pub async fn insert_pending(conn: &mut Connection, row: &PendingRow, token_hash: &str) -> Result<(), StoreError> {
    forget_expired(conn, "pending_authentications", row.created_at).await?;
    db::query(&format!(
        "INSERT INTO pending_authentications ({PENDING_COLUMNS}, token_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.audience)
    .bind(&row.method)
    .bind(&row.invitation_token)
    .bind(&row.organization_id)
    .bind(row.mfa_verified)
    .bind(&row.next_step)
    .bind(row.expires_at)
    .bind(row.used_at)
    .bind(row.created_at)
    .bind(token_hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reads a pending authentication by the hash of its token.
pub async fn find_pending(conn: &mut Connection, token_hash: &str) -> Result<Option<PendingRow>, StoreError> {
    fetch_optional_by(
        conn,
        &format!("SELECT {PENDING_COLUMNS} FROM pending_authentications WHERE token_hash = $1"),
        token_hash,
    )
    .await
}

/// Spends a pending authentication; false when another request spent it first.
pub async fn use_pending(conn: &mut Connection, id: &str, now: i64) -> Result<bool, StoreError> {
    spend_once(conn, "UPDATE pending_authentications SET used_at = $2 WHERE id = $1 AND used_at IS NULL", id, now).await
}

/// Runs a conditional update that marks one row used; true when this call was the one.
async fn spend_once(conn: &mut Connection, sql: &str, key: &str, now: i64) -> Result<bool, StoreError> {
    let done = db::query(sql).bind(key).bind(now).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

from_row! {
    #[derive(Debug, Clone)]
    /// A browser's way through the hosted pages.
    pub struct FlowRow {
        pub id: String,
        pub browser_hash: String,
        pub client_id: Option<String>,
        pub redirect_uri: Option<String>,
        pub state: Option<String>,
        pub code_challenge: Option<String>,
        pub login_hint: Option<String>,
        pub organization_id: Option<String>,
        pub invitation_token: Option<String>,
        pub pending_token: Option<String>,
        pub enrollment_secret: Option<String>,
        pub expires_at: i64,
        pub completed_at: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

const FLOW_COLUMNS: &str = "id, browser_hash, client_id, redirect_uri, state, code_challenge, login_hint, \
                            organization_id, invitation_token, pending_token, enrollment_secret, expires_at, \
                            completed_at, created_at, updated_at";

/// Stores a new flow, forgetting expired ones.
pub async fn insert_flow(conn: &mut Connection, row: &FlowRow) -> Result<(), StoreError> {
    forget_expired(conn, "sign_in_flows", row.created_at).await?;
    db::query(&format!(
        "INSERT INTO sign_in_flows ({FLOW_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    ))
    .bind(&row.id)
    .bind(&row.browser_hash)
    .bind(&row.client_id)
    .bind(&row.redirect_uri)
    .bind(&row.state)
    .bind(&row.code_challenge)
    .bind(&row.login_hint)
    .bind(&row.organization_id)
    .bind(&row.invitation_token)
    .bind(&row.pending_token)
    .bind(&row.enrollment_secret)
    .bind(row.expires_at)
    .bind(row.completed_at)
    .bind(row.created_at)
    .bind(row.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reads a flow.
pub async fn find_flow(conn: &mut Connection, id: &str) -> Result<Option<FlowRow>, StoreError> {
    fetch_optional_by(conn, &format!("SELECT {FLOW_COLUMNS} FROM sign_in_flows WHERE id = $1"), id).await
}

/// Points a flow at its next step (a new pending token, no enrollment key yet).
pub async fn set_flow_pending(conn: &mut Connection, id: &str, token: &str, now: i64) -> Result<(), StoreError> {
    db::query(
        "UPDATE sign_in_flows SET pending_token = $2, enrollment_secret = NULL, login_hint = NULL, updated_at = $3 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(token)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps the TOTP key a flow shows for enrollment, unless one is kept already; returns the kept one.
pub async fn keep_enrollment_secret(
    conn: &mut Connection,
    id: &str,
    secret: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    db::query(
        "UPDATE sign_in_flows SET enrollment_secret = $2, updated_at = $3 WHERE id = $1 AND enrollment_secret IS NULL",
    )
    .bind(id)
    .bind(secret)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(find_flow(conn, id).await?.and_then(|flow| flow.enrollment_secret))
}

/// Ends a flow; false when it ended already.
pub async fn complete_flow(conn: &mut Connection, id: &str, now: i64) -> Result<bool, StoreError> {
    let sql = "UPDATE sign_in_flows SET completed_at = $2, pending_token = NULL, enrollment_secret = NULL, \
               updated_at = $2 WHERE id = $1 AND completed_at IS NULL";
    spend_once(conn, sql, id, now).await
}

from_row! {
    #[derive(Debug, Clone)]
    /// An authorization code, stored under its hash.
    pub struct AuthorizationCodeRow {
        pub client_id: String,
        pub redirect_uri: String,
        pub code_challenge: Option<String>,
        pub user_id: String,
        pub method: String,
        pub organization_id: Option<String>,
        pub invitation_token: Option<String>,
        pub expires_at: i64,
        pub used_at: Option<i64>,
        pub created_at: i64,
    }
}

const AUTHORIZATION_CODE_COLUMNS: &str = "client_id, redirect_uri, code_challenge, user_id, method, organization_id, \
                                          invitation_token, expires_at, used_at, created_at";

/// Stores an authorization code, forgetting expired ones.
pub async fn insert_authorization_code(
    conn: &mut Connection,
    code_hash: &str,
    row: &AuthorizationCodeRow,
) -> Result<(), StoreError> {
    forget_expired(conn, "authorization_codes", row.created_at).await?;
    db::query(&format!(
        "INSERT INTO authorization_codes ({AUTHORIZATION_CODE_COLUMNS}, code_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&row.client_id)
    .bind(&row.redirect_uri)
    .bind(&row.code_challenge)
    .bind(&row.user_id)
    .bind(&row.method)
    .bind(&row.organization_id)
    .bind(&row.invitation_token)
    .bind(row.expires_at)
    .bind(row.used_at)
    .bind(row.created_at)
    .bind(code_hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reads an authorization code by its hash.
pub async fn find_authorization_code(
    conn: &mut Connection,
    code_hash: &str,
) -> Result<Option<AuthorizationCodeRow>, StoreError> {
    fetch_optional_by(
        conn,
        &format!("SELECT {AUTHORIZATION_CODE_COLUMNS} FROM authorization_codes WHERE code_hash = $1"),
        code_hash,
    )
    .await
}

/// Spends an authorization code; false when it was spent already.
pub async fn use_authorization_code(conn: &mut Connection, code_hash: &str, now: i64) -> Result<bool, StoreError> {
    let sql = "UPDATE authorization_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL";
    spend_once(conn, sql, code_hash, now).await
}
