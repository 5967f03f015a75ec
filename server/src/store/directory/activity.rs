//! What the user detail page reads beyond the other tables' files: events with who caused
//! them and whom they are about, the names those events mention, and sessions with how they
//! were opened and when they were last used.

use super::*;

from_row! {
    #[derive(Debug, Clone)]
    /// A recorded event with everything the activity feed needs.
    pub struct EventRow {
        pub id: String,
        pub event: String,
        pub organization_id: Option<String>,
        /// A user ID, an API key ID, `system`, or none for events recorded without an actor.
        pub actor_id: Option<String>,
        /// The user the event is about.
        pub user_id: Option<String>,
        /// The object as it was before the change, as JSON.
        pub previous: Option<String>,
        pub data: String,
        pub created_at: i64,
    }
}

const EVENT_COLUMNS: &str = "id, event, organization_id, actor_id, user_id, previous, data, created_at";

/// Records a state change with its actor, subject and previous state.
pub async fn insert_event_row(conn: &mut Connection, row: &EventRow) -> Result<(), StoreError> {
    db::query(&format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
        .bind(&row.id)
        .bind(&row.event)
        .bind(row.organization_id.as_deref())
        .bind(row.actor_id.as_deref())
        .bind(row.user_id.as_deref())
        .bind(row.previous.as_deref())
        .bind(&row.data)
        .bind(row.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The events about a user, keyset-paged on their IDs (which grow with time); with an
/// organization, only that organization's events.
pub async fn list_user_events(
    conn: &mut Connection,
    user: &UserId,
    organization: Option<&OrganizationId>,
    page: &Page,
) -> Result<List<EventRow>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE user_id = "));
    sql.bind(user.as_str());
    if let Some(organization) = organization {
        sql.push(" AND organization_id = ").bind(organization.as_str());
    }
    sql.push_keyset("id", page);
    let rows: Vec<EventRow> = sql.query().try_map(|mut row| EventRow::from_row(&mut row)).fetch_all(conn).await?;
    Ok(finish_page(rows, page, |row| row.id.clone()))
}

/// The names to show for these users (their full name, else their email), by ID; users that
/// no longer exist are missing.
pub async fn user_names(conn: &mut Connection, ids: &[String]) -> Result<HashMap<String, String>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = SqlBuilder::new(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id IN "));
    sql.bind_list(ids.iter().map(String::as_str));
    let rows: Vec<UserRow> = sql.query().try_map(|mut row| UserRow::from_row(&mut row)).fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let user = User::from(row);
            (user.id.to_string(), user.display_name())
        })
        .collect())
}

/// The names of these API keys, by ID, revoked ones included.
pub async fn api_key_names(conn: &mut Connection, ids: &[String]) -> Result<HashMap<String, String>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = SqlBuilder::new("SELECT id, name FROM api_keys WHERE id IN ");
    sql.bind_list(ids.iter().map(String::as_str));
    let rows = sql.query().fetch_all(conn).await?;
    rows.into_iter()
        .map(|row| Ok((row.try_get::<String>("id")?, row.try_get::<String>("name")?)))
        .collect::<Result<_, db::Error>>()
        .map_err(StoreError::from)
}

/// A session with what only the dashboard shows about it.
#[derive(Debug, Clone)]
pub struct SessionDetailRow {
    pub session: SessionRow,
    /// `dashboard` or `api`.
    pub kind: String,
    pub last_active_at: Option<i64>,
}

/// Lists a user's sessions, newest first, optionally only those opened in one organization.
pub async fn list_session_details(
    conn: &mut Connection,
    user: &UserId,
    organization: Option<&OrganizationId>,
    page: &Page,
) -> Result<List<SessionDetailRow>, StoreError> {
    let mut sql =
        SqlBuilder::new(&format!("SELECT {SESSION_COLUMNS}, kind, last_active_at FROM sessions WHERE user_id = "));
    sql.bind(user.as_str());
    if let Some(organization) = organization {
        sql.push(" AND organization_id = ").bind(organization.as_str());
    }
    sql.push_keyset("id", page);
    let rows: Vec<SessionDetailRow> = sql
        .query()
        .try_map(|mut row| {
            Ok(SessionDetailRow {
                session: SessionRow::from_row(&mut row)?,
                kind: row.try_get("kind")?,
                last_active_at: row.try_get("last_active_at")?,
            })
        })
        .fetch_all(conn)
        .await?;
    Ok(finish_page(rows, page, |row| row.session.id.clone()))
}

/// The live sessions of a user, optionally only those opened in one organization.
pub async fn live_sessions_of(
    conn: &mut Connection,
    user: &UserId,
    organization: Option<&OrganizationId>,
) -> Result<Vec<SessionRow>, StoreError> {
    let mut sql =
        SqlBuilder::new(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE ended_at IS NULL AND user_id = "));
    sql.bind(user.as_str());
    if let Some(organization) = organization {
        sql.push(" AND organization_id = ").bind(organization.as_str());
    }
    sql.push(" ORDER BY id");
    Ok(sql.query().try_map(|mut row| SessionRow::from_row(&mut row)).fetch_all(conn).await?)
}

/// Marks a session as opened on the dashboard (sessions are application sessions otherwise).
pub async fn mark_dashboard_session(conn: &mut Connection, id: &str) -> Result<(), StoreError> {
    db::query("UPDATE sessions SET kind = 'dashboard' WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// Records that a session was used at `now`, unless that was already recorded after
/// `fresh_after`: a write per session per interval, not per request. It reads first, because
/// on SQLite even an UPDATE that matches nothing takes the database's write lock.
pub async fn touch_session(conn: &mut Connection, id: &str, now: i64, fresh_after: i64) -> Result<(), StoreError> {
    let last: Option<Option<i64>> = db::query_scalar("SELECT last_active_at FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let up_to_date = match last {
        // No such session: nothing to record.
        None => true,
        Some(Some(at)) => at >= fresh_after,
        Some(None) => false,
    };
    if up_to_date {
        return Ok(());
    }
    db::query(
        "UPDATE sessions SET last_active_at = $2 WHERE id = $1 AND (last_active_at IS NULL OR last_active_at < $3)",
    )
    .bind(id)
    .bind(now)
    .bind(fresh_after)
    .execute(conn)
    .await?;
    Ok(())
}
