//! Invitations.

use super::*;

from_row! {
    #[derive(Debug, Clone)]
    /// A stored invitation; its state is resolved against the clock by the core.
    pub struct InvitationRow {
        pub id: String,
        pub organization_id: Option<String>,
        pub email: String,
        pub state: String,
        pub role_slug: Option<String>,
        pub token: String,
        pub inviter_user_id: Option<String>,
        pub accepted_user_id: Option<String>,
        pub accepted_at: Option<i64>,
        pub revoked_at: Option<i64>,
        pub expires_at: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub(super) const INVITATION_COLUMNS: &str = "id, organization_id, email, state, role_slug, token, inviter_user_id, \
    accepted_user_id, accepted_at, revoked_at, expires_at, created_at, updated_at";

/// Inserts an invitation.
pub async fn insert_invitation(conn: &mut Connection, row: &InvitationRow) -> Result<(), StoreError> {
    db::query(&format!(
        "INSERT INTO invitations ({INVITATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&row.id)
    .bind(row.organization_id.as_deref())
    .bind(&row.email)
    .bind(&row.state)
    .bind(row.role_slug.as_deref())
    .bind(&row.token)
    .bind(row.inviter_user_id.as_deref())
    .bind(row.accepted_user_id.as_deref())
    .bind(row.accepted_at)
    .bind(row.revoked_at)
    .bind(row.expires_at)
    .bind(row.created_at)
    .bind(row.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Overwrites an invitation's mutable fields.
pub async fn update_invitation(conn: &mut Connection, row: &InvitationRow) -> Result<(), StoreError> {
    db::query(
        "UPDATE invitations SET state = $2, token = $3, accepted_user_id = $4, accepted_at = $5, \
         revoked_at = $6, expires_at = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(&row.id)
    .bind(&row.state)
    .bind(&row.token)
    .bind(row.accepted_user_id.as_deref())
    .bind(row.accepted_at)
    .bind(row.revoked_at)
    .bind(row.expires_at)
    .bind(row.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads an invitation by its token.
pub async fn find_invitation_by_token(conn: &mut Connection, token: &str) -> Result<Option<InvitationRow>, StoreError> {
    fetch_optional_by(conn, &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE token = $1"), token).await
}

/// Reads an invitation.
pub async fn find_invitation(conn: &mut Connection, id: &InvitationId) -> Result<Option<InvitationRow>, StoreError> {
    fetch_optional_by(conn, &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = $1"), id.as_str()).await
}

/// True when this email already has an unexpired pending invitation to the organization.
pub async fn has_pending_invitation(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
    email: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let mut sql = SqlBuilder::new("SELECT id FROM invitations WHERE email = ");
    sql.bind(email).push(" AND state = 'pending' AND expires_at > ").bind(now);
    match organization {
        Some(organization) => sql.push(" AND organization_id = ").bind(organization.as_str()),
        None => sql.push(" AND organization_id IS NULL"),
    };
    let found = sql.query().fetch_optional(conn).await?;
    Ok(found.is_some())
}

/// Lists invitations by organization and/or email.
pub async fn list_invitations(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
    email: Option<&str>,
    page: &Page,
) -> Result<List<InvitationRow>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE 1 = 1"));
    if let Some(organization) = organization {
        sql.push(" AND organization_id = ").bind(organization.as_str());
    }
    if let Some(email) = email {
        sql.push(" AND email = ").bind(email);
    }
    sql.push_keyset("id", page);
    let rows: Vec<InvitationRow> =
        sql.query().try_map(|mut row| InvitationRow::from_row(&mut row)).fetch_all(conn).await?;
    Ok(finish_page(rows, page, |row| row.id.clone()))
}
