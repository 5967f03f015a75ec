//! Memberships and their roles, and the users-table query.

use super::*;

pub(super) const MEMBERSHIP_COLUMNS: &str = "m.id AS membership_id, m.user_id, m.organization_id, \
    o.name AS organization_name, m.status, m.created_at AS membership_created_at, \
    m.updated_at AS membership_updated_at";

from_row! {
    #[derive(Debug)]
    pub(super) struct MembershipRow {
        membership_id: String,
        user_id: String,
        organization_id: String,
        organization_name: String,
        status: String,
        membership_created_at: i64,
        membership_updated_at: i64,
    }
}

impl MembershipRow {
    fn into_membership(self, roles: Vec<String>) -> OrganizationMembership {
        let roles: Vec<RoleRef> = roles.into_iter().map(|slug| RoleRef { slug }).collect();
        OrganizationMembership {
            id: MembershipId::from_trusted(self.membership_id),
            user_id: UserId::from_trusted(self.user_id),
            organization_id: OrganizationId::from_trusted(self.organization_id),
            organization_name: self.organization_name,
            status: MembershipStatus::parse(&self.status).unwrap_or(MembershipStatus::Inactive),
            role: roles.first().cloned().unwrap_or_else(|| RoleRef { slug: app::model::roles::MEMBER.into() }),
            roles,
            directory_managed: false,
            custom_attributes: Default::default(),
            created_at: iso(self.membership_created_at),
            updated_at: iso(self.membership_updated_at),
        }
    }
}

/// The role slugs of each membership, primary first.
pub(super) async fn roles_of(conn: &mut Connection, ids: &[&str]) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let mut roles: HashMap<String, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(roles);
    }
    let mut sql = SqlBuilder::new("SELECT membership_id, role_slug FROM membership_roles WHERE membership_id IN ");
    sql.bind_list(ids.iter().copied()).push(" ORDER BY membership_id, position");
    for row in sql.query().fetch_all(conn).await? {
        let id: String = row.try_get("membership_id")?;
        roles.entry(id).or_default().push(row.try_get("role_slug")?);
    }
    Ok(roles)
}

pub(super) async fn with_roles(
    conn: &mut Connection,
    rows: Vec<MembershipRow>,
) -> Result<Vec<OrganizationMembership>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|row| row.membership_id.as_str()).collect();
    let mut roles = roles_of(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let slugs = roles.remove(&row.membership_id).unwrap_or_default();
            row.into_membership(slugs)
        })
        .collect())
}

/// A membership read alone, with its roles.
async fn with_roles_of_one(
    conn: &mut Connection,
    row: Option<MembershipRow>,
) -> Result<Option<OrganizationMembership>, StoreError> {
    match row {
        Some(row) => Ok(with_roles(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Inserts a membership with its roles.
pub async fn insert_membership(
    conn: &mut Connection,
    id: &MembershipId,
    organization: &OrganizationId,
    user: &UserId,
    status: MembershipStatus,
    role_slugs: &[String],
    now: i64,
) -> Result<(), StoreError> {
    // The membership carries its user's search and sort keys (see `copy_user_keys`).
    db::query(
        "INSERT INTO memberships (id, organization_id, user_id, status, created_at, updated_at, \
         user_email, user_name_key, user_last_name_key, user_last_sign_in_at) \
         SELECT $1, $2, $3, $4, $5, $5, email, name_key, last_name_key, COALESCE(last_sign_in_at, 0) \
         FROM users WHERE id = $3",
    )
    .bind(id.as_str())
    .bind(organization.as_str())
    .bind(user.as_str())
    .bind(status.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    write_roles(conn, id, role_slugs).await
}

pub(super) async fn write_roles(
    conn: &mut Connection,
    id: &MembershipId,
    role_slugs: &[String],
) -> Result<(), StoreError> {
    for (position, slug) in role_slugs.iter().enumerate() {
        // The organization is copied from the membership, for the role filter's index.
        db::query(
            "INSERT INTO membership_roles (membership_id, role_slug, position, organization_id) \
             SELECT $1, $2, $3, organization_id FROM memberships WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(slug)
        .bind(position as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replaces a membership's roles.
pub async fn replace_roles(
    conn: &mut Connection,
    id: &MembershipId,
    role_slugs: &[String],
    now: i64,
) -> Result<(), StoreError> {
    db::query("DELETE FROM membership_roles WHERE membership_id = $1").bind(id.as_str()).execute(&mut *conn).await?;
    write_roles(conn, id, role_slugs).await?;
    touch_membership(conn, id, now).await
}

pub(super) async fn touch_membership(conn: &mut Connection, id: &MembershipId, now: i64) -> Result<(), StoreError> {
    db::query("UPDATE memberships SET updated_at = $2 WHERE id = $1").bind(id.as_str()).bind(now).execute(conn).await?;
    Ok(())
}

/// Sets a membership's status.
pub async fn set_membership_status(
    conn: &mut Connection,
    id: &MembershipId,
    status: MembershipStatus,
    now: i64,
) -> Result<(), StoreError> {
    db::query("UPDATE memberships SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(status.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a membership.
pub async fn delete_membership(conn: &mut Connection, id: &MembershipId) -> Result<(), StoreError> {
    db::query("DELETE FROM memberships WHERE id = $1").bind(id.as_str()).execute(conn).await?;
    Ok(())
}

/// Reads a membership with its roles.
pub async fn find_membership(
    conn: &mut Connection,
    id: &MembershipId,
) -> Result<Option<OrganizationMembership>, StoreError> {
    let row: Option<MembershipRow> = db::query_as(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE m.id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    with_roles_of_one(conn, row).await
}

/// Reads a user's membership of an organization.
pub async fn find_membership_of(
    conn: &mut Connection,
    organization: &OrganizationId,
    user: &UserId,
) -> Result<Option<OrganizationMembership>, StoreError> {
    let row: Option<MembershipRow> = db::query_as(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         WHERE m.organization_id = $1 AND m.user_id = $2"
    ))
    .bind(organization.as_str())
    .bind(user.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    with_roles_of_one(conn, row).await
}

/// Reads the active membership of the user with this email in an organization, if any.
pub async fn find_active_membership_by_email(
    conn: &mut Connection,
    organization: &OrganizationId,
    email: &str,
) -> Result<bool, StoreError> {
    let found: Option<String> = db::query_scalar(
        "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.organization_id = $1 AND u.email = $2 AND m.status = 'active'",
    )
    .bind(organization.as_str())
    .bind(email)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Counts an organization's active owners.
pub async fn count_active_owners(conn: &mut Connection, organization: &OrganizationId) -> Result<i64, StoreError> {
    db::query_scalar(
        "SELECT COUNT(*) FROM memberships m JOIN membership_roles r ON r.membership_id = m.id \
         WHERE m.organization_id = $1 AND m.status = 'active' AND r.role_slug = $2",
    )
    .bind(organization.as_str())
    .bind(app::model::roles::OWNER)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from)
}

/// Lists memberships by organization and/or user and status.
pub async fn list_memberships(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
    user: Option<&UserId>,
    statuses: &[MembershipStatus],
    page: &Page,
) -> Result<List<OrganizationMembership>, StoreError> {
    let mut sql = SqlBuilder::new(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE 1 = 1"
    ));
    if let Some(organization) = organization {
        sql.push(" AND m.organization_id = ").bind(organization.as_str());
    }
    if let Some(user) = user {
        sql.push(" AND m.user_id = ").bind(user.as_str());
    }
    if !statuses.is_empty() {
        sql.push(" AND m.status IN ").bind_list(statuses.iter().map(|s| s.as_str()));
    }
    sql.push_keyset("m.id", page);
    let rows: Vec<MembershipRow> =
        sql.query().try_map(|mut row| MembershipRow::from_row(&mut row)).fetch_all(&mut *conn).await?;
    let list = finish_page(rows, page, |row| row.membership_id.clone());
    let data = with_roles(conn, list.data).await?;
    Ok(List { data, list_metadata: list.list_metadata })
}

/// The organizations where a user has an active membership, with their roles there.
pub async fn active_memberships_of(
    conn: &mut Connection,
    user: &UserId,
) -> Result<Vec<OrganizationMembership>, StoreError> {
    let rows: Vec<MembershipRow> = db::query_as(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         WHERE m.user_id = $1 AND m.status = 'active' ORDER BY o.name, m.id"
    ))
    .bind(user.as_str())
    .fetch_all(&mut *conn)
    .await?;
    with_roles(conn, rows).await
}

/// The users-table query: an organization's members with their users, filtered, ordered and
/// paged.
///
/// Every filter and order uses the keys copied onto the membership, so each variant is a range
/// of one index within the organization; the user row is only read for the page's members.
pub async fn list_members(
    conn: &mut Connection,
    backend: Backend,
    organization: &OrganizationId,
    filter: &MemberFilter,
    page: &Page,
) -> Result<List<Member>, StoreError> {
    let mut sql = SqlBuilder::new(&format!(
        "SELECT {MEMBERSHIP_COLUMNS}, {USER_COLUMNS} FROM memberships m \
         JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id \
         WHERE m.organization_id = "
    ));
    sql.bind(organization.as_str());
    if let Some(status) = filter.status {
        sql.push(" AND m.status = ").bind(status.as_str());
    }
    if let Some(role) = &filter.role {
        sql.push(" AND m.id IN (SELECT r.membership_id FROM membership_roles r WHERE r.organization_id = ")
            .bind(organization.as_str())
            .push(" AND r.role_slug = ")
            .bind(role.as_str())
            .push(")");
    }
    if let Some(search) = filter.search.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()) {
        match filter.search_match {
            SearchMatch::Prefix => {
                // A range scan is a prefix match that every engine answers from an index.
                let upper = format!("{search}{}", char::MAX);
                sql.push(" AND (");
                for (index, column) in
                    ["m.user_email", "m.user_name_key", "m.user_last_name_key"].into_iter().enumerate()
                {
                    if index > 0 {
                        sql.push(" OR ");
                    }
                    sql.push(&format!("({column} >= "))
                        .bind(search.as_str())
                        .push(&format!(" AND {column} < "))
                        .bind(upper.as_str())
                        .push(")");
                }
                sql.push(")");
            }
            SearchMatch::Contains => {
                sql.push(" AND ");
                backend.push_contains(&mut sql, &search);
            }
        }
    }
    let sort_key = match filter.sort {
        MemberSort::Created => None,
        MemberSort::Email => Some("m.user_email"),
        MemberSort::LastSignIn => Some("m.user_last_sign_in_at"),
    };
    let cursor = |raw: &Option<String>| raw.as_deref().and_then(|raw| SortCursor::parse(raw, filter.sort));
    match sort_key {
        None => sql.push_keyset("m.id", page),
        Some(column) => sql.push_sorted_keyset(column, "m.id", cursor(&page.after).or(cursor(&page.before)), page),
    };
    let rows = sql
        .query()
        .try_map(|mut row| Ok((MembershipRow::from_row(&mut row)?, UserRow::from_row(&mut row)?)))
        .fetch_all(&mut *conn)
        .await?;
    let list = finish_page(rows, page, |(membership, user)| SortCursor::of(filter.sort, membership, user));
    let ids: Vec<&str> = list.data.iter().map(|(m, _)| m.membership_id.as_str()).collect();
    let mut roles = roles_of(conn, &ids).await?;
    Ok(list.map(|(membership, user)| {
        let slugs = roles.remove(&membership.membership_id).unwrap_or_default();
        Member { membership: membership.into_membership(slugs), user: user.into() }
    }))
}

/// A position in a list ordered by something other than creation: the sort value and the
/// membership ID that breaks ties, as `om_…~value` (IDs never contain `~`).
pub(super) struct SortCursor;

impl SortCursor {
    fn of(sort: MemberSort, membership: &MembershipRow, user: &UserRow) -> String {
        match sort {
            MemberSort::Created => membership.membership_id.clone(),
            MemberSort::Email => format!("{}~{}", membership.membership_id, user.email),
            MemberSort::LastSignIn => format!("{}~{}", membership.membership_id, user.last_sign_in_at.unwrap_or(0)),
        }
    }

    fn parse(raw: &str, sort: MemberSort) -> Option<(String, Value)> {
        let (id, value) = raw.split_once('~')?;
        let value = match sort {
            MemberSort::Created => return None,
            MemberSort::Email => Value::from(value),
            MemberSort::LastSignIn => Value::from(value.parse::<i64>().ok()?),
        };
        Some((id.to_owned(), value))
    }
}
