//! Sessions: dashboard and application sign-ins.

use super::*;

from_row! {
    #[derive(Debug, Clone)]
    /// A stored session.
    pub struct SessionRow {
        pub id: String,
        pub user_id: String,
        pub organization_id: Option<String>,
        pub auth_method: String,
        pub ip_address: Option<String>,
        pub user_agent: Option<String>,
        pub expires_at: i64,
        pub ended_at: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub(super) const SESSION_COLUMNS: &str =
    "id, user_id, organization_id, auth_method, ip_address, user_agent, expires_at, ended_at, created_at, updated_at";

impl SessionRow {
    /// The wire form, with its status resolved against `now`.
    pub fn into_session(self, now: i64) -> Session {
        let status = match self.ended_at {
            Some(_) => SessionStatus::Revoked,
            None if self.expires_at <= now => SessionStatus::Expired,
            None => SessionStatus::Active,
        };
        Session {
            id: SessionId::from_trusted(self.id),
            user_id: UserId::from_trusted(self.user_id),
            ip_address: self.ip_address,
            user_agent: self.user_agent,
            organization_id: self.organization_id.map(OrganizationId::from_trusted),
            auth_method: AuthMethod::parse(&self.auth_method),
            status,
            expires_at: iso(self.expires_at),
            ended_at: self.ended_at.map(iso),
            created_at: iso(self.created_at),
            updated_at: iso(self.updated_at),
        }
    }
}

/// Inserts a session under the hash of its token; signing in is its first use.
pub async fn insert_session(conn: &mut Connection, row: &SessionRow, token_hash: &str) -> Result<(), StoreError> {
    db::query(&format!(
        "INSERT INTO sessions ({SESSION_COLUMNS}, token_hash, last_active_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9)"
    ))
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(row.organization_id.as_deref())
    .bind(&row.auth_method)
    .bind(row.ip_address.as_deref())
    .bind(row.user_agent.as_deref())
    .bind(row.expires_at)
    .bind(row.ended_at)
    .bind(row.created_at)
    .bind(row.updated_at)
    .bind(token_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads the session with this token hash.
pub async fn find_session_by_token_hash(
    conn: &mut Connection,
    token_hash: &str,
) -> Result<Option<SessionRow>, StoreError> {
    fetch_optional_by(conn, &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"), token_hash).await
}

/// Reads a session by ID.
pub async fn find_session(conn: &mut Connection, id: &SessionId) -> Result<Option<SessionRow>, StoreError> {
    fetch_optional_by(conn, &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"), id.as_str()).await
}

/// Lists a user's sessions, optionally only those opened in one organization.
pub async fn list_sessions(
    conn: &mut Connection,
    user: &UserId,
    organization: Option<&OrganizationId>,
    page: &Page,
) -> Result<List<SessionRow>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = "));
    sql.bind(user.as_str());
    if let Some(organization) = organization {
        sql.push(" AND organization_id = ").bind(organization.as_str());
    }
    sql.push_keyset("id", page);
    let rows: Vec<SessionRow> = sql.query().try_map(|mut row| SessionRow::from_row(&mut row)).fetch_all(conn).await?;
    Ok(finish_page(rows, page, |row| row.id.clone()))
}

/// Ends every live session of a user.
pub async fn end_sessions_of(conn: &mut Connection, user: &UserId, now: i64) -> Result<(), StoreError> {
    db::query("UPDATE sessions SET ended_at = $2, updated_at = $2 WHERE user_id = $1 AND ended_at IS NULL")
        .bind(user.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends a session.
pub async fn end_session(conn: &mut Connection, id: &SessionId, now: i64) -> Result<(), StoreError> {
    db::query("UPDATE sessions SET ended_at = $2, updated_at = $2 WHERE id = $1 AND ended_at IS NULL")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Points a session at an organization.
pub async fn set_session_organization(
    conn: &mut Connection,
    id: &SessionId,
    organization: &OrganizationId,
    now: i64,
) -> Result<(), StoreError> {
    db::query("UPDATE sessions SET organization_id = $2, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(organization.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// True when a session of the user ended after `since` (ms): what revokes the widget tokens
/// issued outside any session.
pub async fn sessions_ended_since(conn: &mut Connection, user: &UserId, since: i64) -> Result<bool, StoreError> {
    let found: Option<i64> = db::query_scalar("SELECT 1 FROM sessions WHERE user_id = $1 AND ended_at > $2 LIMIT 1")
        .bind(user.as_str())
        .bind(since)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// The user's live session used most recently, if any.
pub async fn latest_live_session_of(
    conn: &mut Connection,
    user: &UserId,
    now: i64,
) -> Result<Option<String>, StoreError> {
    Ok(db::query_scalar(
        "SELECT id FROM sessions WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2 \
         ORDER BY COALESCE(last_active_at, created_at) DESC, id DESC LIMIT 1",
    )
    .bind(user.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await?)
}
