//! The SQL of the directory: users, organizations, memberships, invitations, roles,
//! sessions and events. Rules live in `core`; this module only reads and writes rows.

use super::Backend;
use super::sql::{SqlBuilder, Value, finish_page};
use super::{Connection, fetch_optional_by, internal, iso};
use app::directory::UserStanding;
use app::error::AppError;
use app::ids::*;
use app::model::*;
use sqlx::{FromRow, Row};
use std::collections::HashMap;

/// The user columns, read from the alias `u`.
const USER_COLUMNS: &str = "u.id, u.email, u.email_verified, u.first_name, u.last_name, \
    u.profile_picture_url, u.locale, u.external_id, u.metadata, u.last_sign_in_at, \
    u.created_at, u.updated_at";

/// A stored user.
#[derive(Debug, FromRow)]
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
pub async fn set_password_hash_type(conn: &mut Connection, id: &UserId, hash_type: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash_type = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(hash_type)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts a user.
pub async fn insert_user(conn: &mut Connection, user: &UserRecord) -> Result<(), sqlx::Error> {
    let (name_key, last_name_key) = name_keys(user.first_name.as_deref(), user.last_name.as_deref());
    sqlx::query(
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
pub async fn insert_seed_members(conn: &mut Connection, members: &[SeedMember]) -> Result<(), sqlx::Error> {
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
pub async fn update_user(conn: &mut Connection, user: &User, updated_at: i64) -> Result<(), sqlx::Error> {
    let (name_key, last_name_key) = name_keys(user.first_name.as_deref(), user.last_name.as_deref());
    sqlx::query(
        "UPDATE users SET email = $2, email_verified = $3, first_name = $4, last_name = $5, \
         name_key = $6, last_name_key = $7, locale = $8, external_id = $9, metadata = $10, \
         updated_at = $11 WHERE id = $1",
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
    .execute(&mut *conn)
    .await?;
    copy_user_keys(conn, &user.id).await
}

/// Copies a user's search and sort keys onto their memberships, which the users table
/// filters and orders by within one organization.
async fn copy_user_keys(conn: &mut Connection, user: &UserId) -> Result<(), sqlx::Error> {
    sqlx::query(
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
pub async fn set_password_hash(conn: &mut Connection, id: &UserId, hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(hash)
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
) -> Result<Vec<User>, AppError> {
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
    let rows: Vec<UserRow> =
        sql.query().try_map(|row| UserRow::from_row(&row)).fetch_all(conn).await.map_err(internal)?;
    Ok(rows.into_iter().map(User::from).collect())
}

/// Reads a user by the ID an application gave it.
pub async fn find_user_by_external_id(conn: &mut Connection, external_id: &str) -> Result<Option<User>, AppError> {
    Ok(fetch_optional_by::<UserRow>(
        conn,
        &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.external_id = $1"),
        external_id,
    )
    .await?
    .map(User::from))
}

/// Reads a user by ID.
pub async fn find_user(conn: &mut Connection, id: &UserId) -> Result<Option<User>, AppError> {
    Ok(fetch_optional_by::<UserRow>(conn, &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"), id.as_str())
        .await?
        .map(User::from))
}

/// What sign-in needs to know about a user.
#[derive(Debug, FromRow)]
pub struct Credentials {
    pub id: String,
    pub password_hash: Option<String>,
    pub is_platform_admin: i64,
}

/// Reads the credentials of the user with this (normalized) email.
pub async fn find_credentials_by_email(conn: &mut Connection, email: &str) -> Result<Option<Credentials>, AppError> {
    fetch_optional_by(conn, "SELECT id, password_hash, is_platform_admin FROM users WHERE email = $1", email).await
}

/// True when the user may manage every organization.
pub async fn is_platform_admin(conn: &mut Connection, id: &UserId) -> Result<bool, AppError> {
    let flag: Option<i64> = sqlx::query_scalar("SELECT is_platform_admin FROM users WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
        .map_err(internal)?;
    Ok(flag.unwrap_or(0) != 0)
}

/// Where a user stands: the organizations they have a membership of (in any status), and
/// whether they manage the platform.
pub async fn user_standing(conn: &mut Connection, id: &UserId) -> Result<UserStanding, AppError> {
    let organizations: Vec<String> =
        sqlx::query_scalar("SELECT organization_id FROM memberships WHERE user_id = $1 ORDER BY organization_id")
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
    Ok(UserStanding {
        organizations: organizations.into_iter().map(OrganizationId::from_trusted).collect(),
        is_platform_admin: is_platform_admin(conn, id).await?,
    })
}

/// Records a successful sign-in.
pub async fn touch_last_sign_in(conn: &mut Connection, id: &UserId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_sign_in_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    copy_user_keys(conn, id).await
}

/// Deletes a user; memberships and sessions go with them.
pub async fn delete_user(conn: &mut Connection, id: &UserId) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM users WHERE id = $1").bind(id.as_str()).execute(conn).await?.rows_affected())
}

/// Lists users, optionally only those with an email or a membership of an organization.
pub async fn list_users(
    conn: &mut Connection,
    email: Option<&str>,
    organization: Option<&OrganizationId>,
    page: &Page,
) -> Result<List<User>, AppError> {
    // With an organization, walk its memberships in user order (the unique index on
    // organization and user), so a small organization never scans every user.
    let (mut sql, order_column) = match organization {
        Some(organization) => {
            let mut sql = SqlBuilder::new(&format!(
                "SELECT {USER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = "
            ));
            sql.bind(organization.as_str());
            (sql, "m.user_id")
        }
        None => (SqlBuilder::new(&format!("SELECT {USER_COLUMNS} FROM users u WHERE 1 = 1")), "u.id"),
    };
    if let Some(email) = email {
        sql.push(" AND u.email = ").bind(email);
    }
    sql.push_keyset(order_column, page);
    let rows: Vec<UserRow> =
        sql.query().try_map(|row| UserRow::from_row(&row)).fetch_all(conn).await.map_err(internal)?;
    Ok(finish_page(rows, page, |row| row.id.clone()).map(User::from))
}

/// Locks a row for the rest of the transaction, so that a check and the write it guards
/// cannot be overtaken by another writer (SQLite's `BEGIN IMMEDIATE` already serializes
/// writers; PostgreSQL needs the row lock). Returns whether the row exists.
pub async fn lock_row(conn: &mut Connection, table: Lockable, id: &str) -> Result<bool, AppError> {
    let sql = format!("UPDATE {} SET updated_at = updated_at WHERE id = $1", table.table());
    let done = sqlx::query(&sql).bind(id).execute(conn).await.map_err(internal)?;
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

// ---------------------------------------------------------------------------------------
// Organizations

#[derive(Debug, FromRow)]
struct OrganizationRow {
    id: String,
    name: String,
    allow_profiles_outside_organization: i64,
    stripe_customer_id: Option<String>,
    external_id: Option<String>,
    metadata: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, FromRow)]
struct DomainRow {
    id: String,
    organization_id: String,
    domain: String,
    state: String,
    verification_strategy: String,
    created_at: i64,
    updated_at: i64,
}

impl From<DomainRow> for OrganizationDomain {
    fn from(row: DomainRow) -> Self {
        OrganizationDomain {
            id: OrganizationDomainId::from_trusted(row.id),
            domain: row.domain,
            organization_id: OrganizationId::from_trusted(row.organization_id),
            state: match row.state.as_str() {
                "verified" => DomainState::Verified,
                "failed" => DomainState::Failed,
                _ => DomainState::Pending,
            },
            verification_strategy: match row.verification_strategy.as_str() {
                "dns" => DomainVerificationStrategy::Dns,
                _ => DomainVerificationStrategy::Manual,
            },
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        }
    }
}

const ORGANIZATION_COLUMNS: &str = "o.id, o.name, o.allow_profiles_outside_organization, \
    o.stripe_customer_id, o.external_id, o.metadata, o.created_at, o.updated_at";

/// Inserts an organization with its domains.
pub async fn insert_organization(
    conn: &mut Connection,
    organization: &Organization,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO organizations (id, name, external_id, metadata, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(organization.id.as_str())
    .bind(&organization.name)
    .bind(organization.external_id.as_deref())
    .bind(serde_json::to_string(&organization.metadata).unwrap_or_else(|_| "{}".into()))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    insert_domains(conn, organization, now).await
}

async fn insert_domains(conn: &mut Connection, organization: &Organization, now: i64) -> Result<(), sqlx::Error> {
    for domain in &organization.domains {
        sqlx::query(
            "INSERT INTO organization_domains (id, organization_id, domain, state, verification_strategy, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(domain.id.as_str())
        .bind(organization.id.as_str())
        .bind(&domain.domain)
        .bind(serde_json::to_value(domain.state).ok().and_then(|v| v.as_str().map(str::to_owned)))
        .bind(serde_json::to_value(domain.verification_strategy).ok().and_then(|v| v.as_str().map(str::to_owned)))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn attach_domains(conn: &mut Connection, rows: Vec<OrganizationRow>) -> Result<Vec<Organization>, AppError> {
    let mut domains: HashMap<String, Vec<OrganizationDomain>> = HashMap::new();
    if !rows.is_empty() {
        let mut sql = SqlBuilder::new(
            "SELECT id, organization_id, domain, state, verification_strategy, created_at, updated_at \
             FROM organization_domains WHERE organization_id IN ",
        );
        sql.bind_list(rows.iter().map(|row| row.id.as_str())).push(" ORDER BY id");
        let found: Vec<DomainRow> =
            sql.query().try_map(|row| DomainRow::from_row(&row)).fetch_all(conn).await.map_err(internal)?;
        for domain in found {
            domains.entry(domain.organization_id.clone()).or_default().push(domain.into());
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| Organization {
            domains: domains.remove(&row.id).unwrap_or_default(),
            id: OrganizationId::from_trusted(row.id),
            name: row.name,
            allow_profiles_outside_organization: row.allow_profiles_outside_organization != 0,
            stripe_customer_id: row.stripe_customer_id,
            external_id: row.external_id,
            metadata: serde_json::from_str(&row.metadata).unwrap_or_default(),
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        })
        .collect())
}

/// Reads an organization with its domains.
pub async fn find_organization(conn: &mut Connection, id: &OrganizationId) -> Result<Option<Organization>, AppError> {
    let row: Option<OrganizationRow> =
        sqlx::query_as(&format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations o WHERE o.id = $1"))
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
    match row {
        Some(row) => Ok(attach_domains(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Reads an organization by the ID an application gave it.
pub async fn find_organization_by_external_id(
    conn: &mut Connection,
    external_id: &str,
) -> Result<Option<Organization>, AppError> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM organizations WHERE external_id = $1")
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
    match id {
        Some(id) => find_organization(conn, &OrganizationId::from_trusted(id)).await,
        None => Ok(None),
    }
}

/// Overwrites an organization's fields and, when given, its domains.
pub async fn update_organization(
    conn: &mut Connection,
    organization: &Organization,
    replace_domains: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE organizations SET name = $2, external_id = $3, stripe_customer_id = $4, metadata = $5, updated_at = $6 WHERE id = $1",
    )
    .bind(organization.id.as_str())
    .bind(&organization.name)
    .bind(organization.external_id.as_deref())
    .bind(organization.stripe_customer_id.as_deref())
    .bind(serde_json::to_string(&organization.metadata).unwrap_or_else(|_| "{}".into()))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if replace_domains {
        sqlx::query("DELETE FROM organization_domains WHERE organization_id = $1")
            .bind(organization.id.as_str())
            .execute(&mut *conn)
            .await?;
        insert_domains(conn, organization, now).await?;
    }
    Ok(())
}

/// Deletes an organization; memberships, domains and invitations go with it.
pub async fn delete_organization(conn: &mut Connection, id: &OrganizationId) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM organizations WHERE id = $1").bind(id.as_str()).execute(conn).await?.rows_affected())
}

/// Lists organizations, optionally only one, or those claiming one of `domains`.
pub async fn list_organizations(
    conn: &mut Connection,
    only: Option<&OrganizationId>,
    domains: &[String],
    page: &Page,
) -> Result<List<Organization>, AppError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations o WHERE 1 = 1"));
    if let Some(only) = only {
        sql.push(" AND o.id = ").bind(only.as_str());
    }
    if !domains.is_empty() {
        sql.push(" AND EXISTS (SELECT 1 FROM organization_domains d WHERE d.organization_id = o.id AND d.domain IN ")
            .bind_list(domains.iter().map(String::as_str))
            .push(")");
    }
    sql.push_keyset("o.id", page);
    let rows: Vec<OrganizationRow> =
        sql.query().try_map(|row| OrganizationRow::from_row(&row)).fetch_all(&mut *conn).await.map_err(internal)?;
    let list = finish_page(rows, page, |row| row.id.clone());
    let data = attach_domains(conn, list.data).await?;
    Ok(List { data, list_metadata: list.list_metadata })
}

/// Names of organizations, for menus: either these IDs or, with `None`, all of them.
pub async fn organization_summaries(
    conn: &mut Connection,
    ids: Option<&[OrganizationId]>,
) -> Result<Vec<OrganizationSummary>, AppError> {
    let mut sql = SqlBuilder::new("SELECT id, name FROM organizations");
    match ids {
        Some([]) => return Ok(Vec::new()),
        Some(ids) => {
            sql.push(" WHERE id IN ").bind_list(ids.iter().map(OrganizationId::as_str));
        }
        None => {}
    }
    sql.push(" ORDER BY name, id LIMIT 500");
    let rows = sql.query().fetch_all(conn).await.map_err(internal)?;
    rows.into_iter()
        .map(|row| {
            Ok(OrganizationSummary {
                id: OrganizationId::from_trusted(row.try_get("id").map_err(internal)?),
                name: row.try_get("name").map_err(internal)?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Memberships

const MEMBERSHIP_COLUMNS: &str = "m.id AS membership_id, m.user_id, m.organization_id, \
    o.name AS organization_name, m.status, m.created_at AS membership_created_at, \
    m.updated_at AS membership_updated_at";

#[derive(Debug, FromRow)]
struct MembershipRow {
    membership_id: String,
    user_id: String,
    organization_id: String,
    organization_name: String,
    status: String,
    membership_created_at: i64,
    membership_updated_at: i64,
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
            role: roles.first().cloned().unwrap_or_else(|| RoleRef { slug: roles::MEMBER.into() }),
            roles,
            directory_managed: false,
            custom_attributes: Default::default(),
            created_at: iso(self.membership_created_at),
            updated_at: iso(self.membership_updated_at),
        }
    }
}

/// The role slugs of each membership, primary first.
async fn roles_of(conn: &mut Connection, ids: &[&str]) -> Result<HashMap<String, Vec<String>>, AppError> {
    let mut roles: HashMap<String, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(roles);
    }
    let mut sql = SqlBuilder::new("SELECT membership_id, role_slug FROM membership_roles WHERE membership_id IN ");
    sql.bind_list(ids.iter().copied()).push(" ORDER BY membership_id, position");
    for row in sql.query().fetch_all(conn).await.map_err(internal)? {
        let id: String = row.try_get("membership_id").map_err(internal)?;
        roles.entry(id).or_default().push(row.try_get("role_slug").map_err(internal)?);
    }
    Ok(roles)
}

async fn with_roles(conn: &mut Connection, rows: Vec<MembershipRow>) -> Result<Vec<OrganizationMembership>, AppError> {
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

/// Inserts a membership with its roles.
pub async fn insert_membership(
    conn: &mut Connection,
    id: &MembershipId,
    organization: &OrganizationId,
    user: &UserId,
    status: MembershipStatus,
    role_slugs: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    // The membership carries its user's search and sort keys (see `copy_user_keys`).
    sqlx::query(
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

async fn write_roles(conn: &mut Connection, id: &MembershipId, role_slugs: &[String]) -> Result<(), sqlx::Error> {
    for (position, slug) in role_slugs.iter().enumerate() {
        // The organization is copied from the membership, for the role filter's index.
        sqlx::query(
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
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM membership_roles WHERE membership_id = $1").bind(id.as_str()).execute(&mut *conn).await?;
    write_roles(conn, id, role_slugs).await?;
    touch_membership(conn, id, now).await
}

async fn touch_membership(conn: &mut Connection, id: &MembershipId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE memberships SET updated_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets a membership's status.
pub async fn set_membership_status(
    conn: &mut Connection,
    id: &MembershipId,
    status: MembershipStatus,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE memberships SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(status.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a membership.
pub async fn delete_membership(conn: &mut Connection, id: &MembershipId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM memberships WHERE id = $1").bind(id.as_str()).execute(conn).await?;
    Ok(())
}

/// Reads a membership with its roles.
pub async fn find_membership(
    conn: &mut Connection,
    id: &MembershipId,
) -> Result<Option<OrganizationMembership>, AppError> {
    let row: Option<MembershipRow> = sqlx::query_as(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE m.id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    match row {
        Some(row) => Ok(with_roles(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Reads a user's membership of an organization.
pub async fn find_membership_of(
    conn: &mut Connection,
    organization: &OrganizationId,
    user: &UserId,
) -> Result<Option<OrganizationMembership>, AppError> {
    let row: Option<MembershipRow> = sqlx::query_as(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         WHERE m.organization_id = $1 AND m.user_id = $2"
    ))
    .bind(organization.as_str())
    .bind(user.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(internal)?;
    match row {
        Some(row) => Ok(with_roles(conn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Reads the active membership of the user with this email in an organization, if any.
pub async fn find_active_membership_by_email(
    conn: &mut Connection,
    organization: &OrganizationId,
    email: &str,
) -> Result<bool, AppError> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.organization_id = $1 AND u.email = $2 AND m.status = 'active'",
    )
    .bind(organization.as_str())
    .bind(email)
    .fetch_optional(conn)
    .await
    .map_err(internal)?;
    Ok(found.is_some())
}

/// Counts an organization's active owners.
pub async fn count_active_owners(conn: &mut Connection, organization: &OrganizationId) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships m JOIN membership_roles r ON r.membership_id = m.id \
         WHERE m.organization_id = $1 AND m.status = 'active' AND r.role_slug = $2",
    )
    .bind(organization.as_str())
    .bind(roles::OWNER)
    .fetch_one(conn)
    .await
    .map_err(internal)
}

/// Lists memberships by organization and/or user and status.
pub async fn list_memberships(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
    user: Option<&UserId>,
    statuses: &[MembershipStatus],
    page: &Page,
) -> Result<List<OrganizationMembership>, AppError> {
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
        sql.query().try_map(|row| MembershipRow::from_row(&row)).fetch_all(&mut *conn).await.map_err(internal)?;
    let list = finish_page(rows, page, |row| row.membership_id.clone());
    let data = with_roles(conn, list.data).await?;
    Ok(List { data, list_metadata: list.list_metadata })
}

/// The organizations where a user has an active membership, with their roles there.
pub async fn active_memberships_of(
    conn: &mut Connection,
    user: &UserId,
) -> Result<Vec<OrganizationMembership>, AppError> {
    let rows: Vec<MembershipRow> = sqlx::query_as(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         WHERE m.user_id = $1 AND m.status = 'active' ORDER BY o.name, m.id"
    ))
    .bind(user.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
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
) -> Result<List<Member>, AppError> {
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
        .try_map(|row| Ok((MembershipRow::from_row(&row)?, UserRow::from_row(&row)?)))
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?;
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
struct SortCursor;

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
            MemberSort::Email => Value::Text(value.to_owned()),
            MemberSort::LastSignIn => Value::Int(value.parse().ok()?),
        };
        Some((id.to_owned(), value))
    }
}

// ---------------------------------------------------------------------------------------
// Invitations

/// A stored invitation; its state is resolved against the clock by the core.
#[derive(Debug, Clone, FromRow)]
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

const INVITATION_COLUMNS: &str = "id, organization_id, email, state, role_slug, token, inviter_user_id, \
    accepted_user_id, accepted_at, revoked_at, expires_at, created_at, updated_at";

/// Inserts an invitation.
pub async fn insert_invitation(conn: &mut Connection, row: &InvitationRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
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
pub async fn update_invitation(conn: &mut Connection, row: &InvitationRow) -> Result<(), sqlx::Error> {
    sqlx::query(
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
pub async fn find_invitation_by_token(conn: &mut Connection, token: &str) -> Result<Option<InvitationRow>, AppError> {
    fetch_optional_by(conn, &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE token = $1"), token).await
}

/// Reads an invitation.
pub async fn find_invitation(conn: &mut Connection, id: &InvitationId) -> Result<Option<InvitationRow>, AppError> {
    fetch_optional_by(conn, &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = $1"), id.as_str()).await
}

/// True when this email already has an unexpired pending invitation to the organization.
pub async fn has_pending_invitation(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
    email: &str,
    now: i64,
) -> Result<bool, AppError> {
    let mut sql = SqlBuilder::new("SELECT id FROM invitations WHERE email = ");
    sql.bind(email).push(" AND state = 'pending' AND expires_at > ").bind(now);
    match organization {
        Some(organization) => sql.push(" AND organization_id = ").bind(organization.as_str()),
        None => sql.push(" AND organization_id IS NULL"),
    };
    let found = sql.query().fetch_optional(conn).await.map_err(internal)?;
    Ok(found.is_some())
}

/// Lists invitations by organization and/or email.
pub async fn list_invitations(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
    email: Option<&str>,
    page: &Page,
) -> Result<List<InvitationRow>, AppError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE 1 = 1"));
    if let Some(organization) = organization {
        sql.push(" AND organization_id = ").bind(organization.as_str());
    }
    if let Some(email) = email {
        sql.push(" AND email = ").bind(email);
    }
    sql.push_keyset("id", page);
    let rows: Vec<InvitationRow> =
        sql.query().try_map(|row| InvitationRow::from_row(&row)).fetch_all(conn).await.map_err(internal)?;
    Ok(finish_page(rows, page, |row| row.id.clone()))
}

// ---------------------------------------------------------------------------------------
// Roles

#[derive(Debug, FromRow)]
struct RoleRow {
    id: String,
    slug: String,
    organization_id: Option<String>,
    name: String,
    description: Option<String>,
    permissions: String,
    created_at: i64,
    updated_at: i64,
}

/// A role to store.
#[derive(Debug, Clone)]
pub struct RoleRecord {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: &'static [&'static str],
    pub priority: i64,
}

/// Inserts an environment role unless one with its slug exists.
pub async fn ensure_environment_role(conn: &mut Connection, role: &RoleRecord, now: i64) -> Result<(), sqlx::Error> {
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM roles WHERE slug = $1 AND organization_id IS NULL")
        .bind(role.slug)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        sqlx::query(
            "INSERT INTO roles (id, slug, organization_id, name, description, permissions, priority, created_at, updated_at) \
             VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $7)",
        )
        .bind(RoleId::generate().as_str())
        .bind(role.slug)
        .bind(role.name)
        .bind(role.description)
        .bind(serde_json::to_string(role.permissions).unwrap_or_else(|_| "[]".into()))
        .bind(role.priority)
        .bind(now)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// The roles available in an organization (or the environment's alone), by priority.
pub async fn list_roles(conn: &mut Connection, organization: Option<&OrganizationId>) -> Result<Vec<Role>, AppError> {
    let mut sql = SqlBuilder::new(
        "SELECT id, slug, organization_id, name, description, permissions, created_at, updated_at \
         FROM roles WHERE organization_id IS NULL",
    );
    if let Some(organization) = organization {
        sql.push(" OR organization_id = ").bind(organization.as_str());
    }
    sql.push(" ORDER BY priority, slug");
    let rows: Vec<RoleRow> =
        sql.query().try_map(|row| RoleRow::from_row(&row)).fetch_all(conn).await.map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|row| Role {
            id: RoleId::from_trusted(row.id),
            name: row.name,
            slug: row.slug,
            description: row.description,
            permissions: serde_json::from_str(&row.permissions).unwrap_or_default(),
            resource_type_slug: "organization".into(),
            role_type: if row.organization_id.is_some() {
                RoleType::OrganizationRole
            } else {
                RoleType::EnvironmentRole
            },
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// Sessions

/// A stored session.
#[derive(Debug, Clone, FromRow)]
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

const SESSION_COLUMNS: &str =
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

/// Inserts a session under the hash of its token.
pub async fn insert_session(conn: &mut Connection, row: &SessionRow, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO sessions ({SESSION_COLUMNS}, token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
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
) -> Result<Option<SessionRow>, AppError> {
    fetch_optional_by(conn, &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"), token_hash).await
}

/// Reads a session by ID.
pub async fn find_session(conn: &mut Connection, id: &SessionId) -> Result<Option<SessionRow>, AppError> {
    fetch_optional_by(conn, &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"), id.as_str()).await
}

/// Lists a user's sessions, optionally only those opened in one organization.
pub async fn list_sessions(
    conn: &mut Connection,
    user: &UserId,
    organization: Option<&OrganizationId>,
    page: &Page,
) -> Result<List<SessionRow>, AppError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = "));
    sql.bind(user.as_str());
    if let Some(organization) = organization {
        sql.push(" AND organization_id = ").bind(organization.as_str());
    }
    sql.push_keyset("id", page);
    let rows: Vec<SessionRow> =
        sql.query().try_map(|row| SessionRow::from_row(&row)).fetch_all(conn).await.map_err(internal)?;
    Ok(finish_page(rows, page, |row| row.id.clone()))
}

/// Ends every live session of a user.
pub async fn end_sessions_of(conn: &mut Connection, user: &UserId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET ended_at = $2, updated_at = $2 WHERE user_id = $1 AND ended_at IS NULL")
        .bind(user.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends a session.
pub async fn end_session(conn: &mut Connection, id: &SessionId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET ended_at = $2, updated_at = $2 WHERE id = $1 AND ended_at IS NULL")
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
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET organization_id = $2, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(organization.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Events and settings

/// Records a state change.
pub async fn insert_event(
    conn: &mut Connection,
    event: &str,
    organization: Option<&OrganizationId>,
    data: &serde_json::Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO events (id, event, organization_id, data, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(EventId::generate().as_str())
        .bind(event)
        .bind(organization.map(OrganizationId::as_str))
        .bind(data.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The names of the events recorded, oldest first (for tests and the audit log).
pub async fn event_names(conn: &mut Connection) -> Result<Vec<String>, AppError> {
    sqlx::query_scalar("SELECT event FROM events ORDER BY id").fetch_all(conn).await.map_err(internal)
}

/// Reads an install-wide setting.
pub async fn setting(conn: &mut Connection, key: &str) -> Result<Option<String>, AppError> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await
        .map_err(internal)
}

/// Writes a setting unless it is already set.
pub async fn insert_setting_if_absent(conn: &mut Connection, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes an install-wide setting.
pub async fn put_setting(conn: &mut Connection, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}
