//! Users: their rows, credentials, search keys, and the row locks that serialize changes.

use super::*;

/// The user columns, read from the alias `u`.
pub(super) const USER_COLUMNS: &str = "u.id, u.email, u.email_verified, u.first_name, u.last_name, \
    u.profile_picture_url, u.locale, u.external_id, u.metadata, u.last_sign_in_at, \
    u.created_at, u.updated_at";

from_row! {
    #[derive(Debug)]
    /// A stored user.
    pub struct UserRow {
        pub id: String,
        pub email: String,
        pub email_verified: i64,
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub profile_picture_url: Option<String>,
        pub locale: Option<String>,
        pub external_id: Option<String>,
        pub metadata: String,
        pub last_sign_in_at: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId::from_trusted(row.id),
            email: row.email,
            email_verified: row.email_verified != 0,
            first_name: row.first_name,
            last_name: row.last_name,
            profile_picture_url: row.profile_picture_url,
            last_sign_in_at: row.last_sign_in_at.map(iso),
            locale: row.locale,
            external_id: row.external_id,
            metadata: serde_json::from_str(&row.metadata).unwrap_or_default(),
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        }
    }
}

/// A user as written to the store.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub email_verified: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub external_id: Option<String>,
    pub metadata: Metadata,
    pub password_hash: Option<String>,
    pub is_platform_admin: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The lower-cased search keys of a name: the full name and the last name.
pub fn name_keys(first: Option<&str>, last: Option<&str>) -> (String, String) {
    let full = [first, last].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    (full.to_lowercase(), last.unwrap_or_default().to_lowercase())
}

/// Records the algorithm of an imported password hash.
pub async fn set_password_hash_type(conn: &mut Connection, id: &UserId, hash_type: &str) -> Result<(), StoreError> {
    db::query("UPDATE users SET password_hash_type = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(hash_type)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts a user.
pub async fn insert_user(conn: &mut Connection, user: &UserRecord) -> Result<(), StoreError> {
    let (name_key, last_name_key) = name_keys(user.first_name.as_deref(), user.last_name.as_deref());
    db::query(
        "INSERT INTO users (id, email, email_verified, first_name, last_name, name_key, last_name_key, \
         locale, external_id, metadata, password_hash, is_platform_admin, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(user.id.as_str())
    .bind(&user.email)
    .bind(i64::from(user.email_verified))
    .bind(user.first_name.as_deref())
    .bind(user.last_name.as_deref())
    .bind(name_key)
    .bind(last_name_key)
    .bind(user.locale.as_deref())
    .bind(user.external_id.as_deref())
    .bind(serde_json::to_string(&user.metadata).unwrap_or_else(|_| "{}".into()))
    .bind(user.password_hash.as_deref())
    .bind(i64::from(user.is_platform_admin))
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A user with one membership, for bulk loading.
#[derive(Debug, Clone)]
pub struct SeedMember {
    pub user: UserRecord,
    pub last_sign_in_at: Option<i64>,
    pub membership_id: MembershipId,
    pub organization_id: OrganizationId,
    pub status: MembershipStatus,
    pub role: &'static str,
}

/// Loads users with their memberships in three multi-row statements, for seeding large
/// installs (both engines take far fewer round trips than one statement a row).
pub async fn insert_seed_members(conn: &mut Connection, members: &[SeedMember]) -> Result<(), StoreError> {
    if members.is_empty() {
        return Ok(());
    }
    let mut users = SqlBuilder::new(
        "INSERT INTO users (id, email, email_verified, first_name, last_name, name_key, last_name_key, \
         metadata, is_platform_admin, last_sign_in_at, created_at, updated_at) VALUES ",
    );
    let mut memberships = SqlBuilder::new(
        "INSERT INTO memberships (id, organization_id, user_id, status, created_at, updated_at, \
         user_email, user_name_key, user_last_name_key, user_last_sign_in_at) VALUES ",
    );
    let mut roles =
        SqlBuilder::new("INSERT INTO membership_roles (membership_id, role_slug, position, organization_id) VALUES ");
    for (index, member) in members.iter().enumerate() {
        let separator = if index == 0 { "(" } else { ", (" };
        let user = &member.user;
        let (name_key, last_name_key) = name_keys(user.first_name.as_deref(), user.last_name.as_deref());
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        users
            .push(separator)
            .bind(user.id.as_str())
            .push(", ")
            .bind(user.email.as_str())
            .push(", ")
            .bind(i64::from(user.email_verified));
        users.push(", ").bind(text(&user.first_name)).push(", ").bind(text(&user.last_name));
        users.push(", ").bind(name_key.as_str()).push(", ").bind(last_name_key.as_str()).push(", '{}', 0, ");
        match member.last_sign_in_at {
            Some(at) => users.bind(at),
            None => users.push("NULL"),
        };
        users.push(", ").bind(user.created_at).push(", ").bind(user.updated_at).push(")");

        memberships
            .push(separator)
            .bind(member.membership_id.as_str())
            .push(", ")
            .bind(member.organization_id.as_str());
        memberships.push(", ").bind(user.id.as_str()).push(", ").bind(member.status.as_str());
        memberships.push(", ").bind(user.created_at).push(", ").bind(user.created_at);
        memberships.push(", ").bind(user.email.as_str()).push(", ").bind(name_key).push(", ").bind(last_name_key);
        memberships.push(", ").bind(member.last_sign_in_at.unwrap_or(0)).push(")");

        roles.push(separator).bind(member.membership_id.as_str()).push(", ").bind(member.role).push(", 0, ");
        roles.bind(member.organization_id.as_str()).push(")");
    }
    users.query().execute(&mut *conn).await?;
    memberships.query().execute(&mut *conn).await?;
    roles.query().execute(&mut *conn).await?;
    Ok(())
}

/// Overwrites a user's profile fields (not the password).
pub async fn update_user(conn: &mut Connection, user: &User, updated_at: i64) -> Result<(), StoreError> {
    let (name_key, last_name_key) = name_keys(user.first_name.as_deref(), user.last_name.as_deref());
    db::query(
        "UPDATE users SET email = $2, email_verified = $3, first_name = $4, last_name = $5, \
         name_key = $6, last_name_key = $7, locale = $8, external_id = $9, metadata = $10, \
         updated_at = $11, profile_picture_url = $12 WHERE id = $1",
    )
    .bind(user.id.as_str())
    .bind(&user.email)
    .bind(i64::from(user.email_verified))
    .bind(user.first_name.as_deref())
    .bind(user.last_name.as_deref())
    .bind(name_key)
    .bind(last_name_key)
    .bind(user.locale.as_deref())
    .bind(user.external_id.as_deref())
    .bind(serde_json::to_string(&user.metadata).unwrap_or_else(|_| "{}".into()))
    .bind(updated_at)
    .bind(user.profile_picture_url.as_deref())
    .execute(&mut *conn)
    .await?;
    copy_user_keys(conn, &user.id).await
}

/// Copies a user's search and sort keys onto their memberships, which the users table
/// filters and orders by within one organization.
pub(super) async fn copy_user_keys(conn: &mut Connection, user: &UserId) -> Result<(), StoreError> {
    db::query(
        "UPDATE memberships SET user_email = u.email, user_name_key = u.name_key, \
         user_last_name_key = u.last_name_key, user_last_sign_in_at = COALESCE(u.last_sign_in_at, 0) \
         FROM users u WHERE u.id = $1 AND memberships.user_id = u.id",
    )
    .bind(user.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a user's password hash.
pub async fn set_password_hash(conn: &mut Connection, id: &UserId, hash: &str, now: i64) -> Result<(), StoreError> {
    // A hash set here is Roster's own until an import names its type afterwards.
    db::query("UPDATE users SET password_hash = $2, password_hash_type = NULL, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a user's password hash with its rehash, unless the hash changed since it was
/// read (a password set in between stays).
pub async fn replace_password_hash(
    conn: &mut Connection,
    id: &UserId,
    old: &str,
    new: &str,
    now: i64,
) -> Result<(), StoreError> {
    db::query(
        "UPDATE users SET password_hash = $3, password_hash_type = NULL, updated_at = $4 \
         WHERE id = $1 AND password_hash = $2",
    )
    .bind(id.as_str())
    .bind(old)
    .bind(new)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads users by ID, optionally only members of an organization.
pub async fn users_by_id(
    conn: &mut Connection,
    ids: &[UserId],
    organization: Option<&OrganizationId>,
) -> Result<Vec<User>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = SqlBuilder::new(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id IN "));
    sql.bind_list(ids.iter().map(UserId::as_str));
    if let Some(organization) = organization {
        sql.push(" AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.organization_id = ")
            .bind(organization.as_str())
            .push(")");
    }
    let rows: Vec<UserRow> = sql.query().try_map(|mut row| UserRow::from_row(&mut row)).fetch_all(conn).await?;
    Ok(rows.into_iter().map(User::from).collect())
}

/// Reads a user by the ID an application gave it.
pub async fn find_user_by_external_id(conn: &mut Connection, external_id: &str) -> Result<Option<User>, StoreError> {
    Ok(fetch_optional_by::<UserRow>(
        conn,
        &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.external_id = $1"),
        external_id,
    )
    .await?
    .map(User::from))
}

/// Reads a user by ID.
pub async fn find_user(conn: &mut Connection, id: &UserId) -> Result<Option<User>, StoreError> {
    Ok(fetch_optional_by::<UserRow>(conn, &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"), id.as_str())
        .await?
        .map(User::from))
}

from_row! {
    #[derive(Debug)]
    /// What sign-in needs to know about a user.
    pub struct Credentials {
        pub id: String,
        pub password_hash: Option<String>,
        pub is_platform_admin: i64,
    }
}

/// Reads the credentials of the user with this (normalized) email.
pub async fn find_credentials_by_email(conn: &mut Connection, email: &str) -> Result<Option<Credentials>, StoreError> {
    fetch_optional_by(conn, "SELECT id, password_hash, is_platform_admin FROM users WHERE email = $1", email).await
}

/// True when the user may manage every organization.
pub async fn is_platform_admin(conn: &mut Connection, id: &UserId) -> Result<bool, StoreError> {
    let flag: Option<i64> = db::query_scalar("SELECT is_platform_admin FROM users WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(flag.unwrap_or(0) != 0)
}

/// Where a user stands: the organizations they have a membership of (in any status), and
/// whether they manage the platform.
pub async fn user_standing(conn: &mut Connection, id: &UserId) -> Result<UserStanding, StoreError> {
    let organizations: Vec<String> =
        db::query_scalar("SELECT organization_id FROM memberships WHERE user_id = $1 ORDER BY organization_id")
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await?;
    Ok(UserStanding {
        organizations: organizations.into_iter().map(OrganizationId::from_trusted).collect(),
        is_platform_admin: is_platform_admin(conn, id).await?,
    })
}

/// Records a successful sign-in.
pub async fn touch_last_sign_in(conn: &mut Connection, id: &UserId, now: i64) -> Result<(), StoreError> {
    db::query("UPDATE users SET last_sign_in_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    copy_user_keys(conn, id).await
}

/// Deletes a user; memberships and sessions go with them.
pub async fn delete_user(conn: &mut Connection, id: &UserId) -> Result<u64, StoreError> {
    Ok(db::query("DELETE FROM users WHERE id = $1").bind(id.as_str()).execute(conn).await?.rows_affected())
}

/// Lists users, optionally only those with an email or a membership of an organization.
pub async fn list_users(
    conn: &mut Connection,
    email: Option<&str>,
    organization: Option<&OrganizationId>,
    page: &Page,
) -> Result<List<User>, StoreError> {
    // With an organization, walk its memberships in user order (the unique index on
    // organization and user), so a small organization never scans every user.
    let (mut sql, order_column) = match organization {
        Some(organization) => {
            let mut sql = SqlBuilder::new(&format!(
                "SELECT {USER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = "
            ));
            // One plan serves every organization, small or large: the range of its
            // memberships in the (organization, user) index.
            sql.bind_keeping_plan(organization.as_str());
            (sql, "m.user_id")
        }
        None => (SqlBuilder::new(&format!("SELECT {USER_COLUMNS} FROM users u WHERE 1 = 1")), "u.id"),
    };
    if let Some(email) = email {
        sql.push(" AND u.email = ").bind(email);
    }
    sql.push_keyset(order_column, page);
    let rows: Vec<UserRow> = sql.query().try_map(|mut row| UserRow::from_row(&mut row)).fetch_all(conn).await?;
    Ok(finish_page(rows, page, |row| row.id.clone()).map(User::from))
}

/// Locks a row for the rest of the transaction, so that a check and the write it guards
/// cannot be overtaken by another writer (SQLite's `BEGIN IMMEDIATE` already serializes
/// writers; PostgreSQL needs the row lock). Returns whether the row exists.
pub async fn lock_row(conn: &mut Connection, table: Lockable, id: &str) -> Result<bool, StoreError> {
    let sql = format!("UPDATE {} SET updated_at = updated_at WHERE id = $1", table.table());
    let done = db::query(&sql).bind(id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Tables whose rows serialize changes.
#[derive(Clone, Copy, Debug)]
pub enum Lockable {
    Users,
    Organizations,
}

impl Lockable {
    fn table(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Organizations => "organizations",
        }
    }
}

/// The user's password hash, if they have a password.
pub async fn password_hash_of(conn: &mut Connection, id: &UserId) -> Result<Option<String>, StoreError> {
    let hash: Option<Option<String>> = db::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(hash.flatten())
}
