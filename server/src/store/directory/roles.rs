//! Roles, the permissions catalog, the permissions of each role (`role_permissions`) and the
//! roles memberships hold as assignments (`membership_roles`).
//!
//! A role's scope is its `organization_id`: `NULL` for the environment's roles. Membership
//! roles and role permissions name roles and permissions by slug, which never changes.

use super::*;

const ROLE_COLUMNS: &str = "id, slug, organization_id, name, description, priority, is_default, created_at, updated_at";

from_row! {
    #[derive(Debug)]
    pub(super) struct RoleRow {
        id: String,
        slug: String,
        organization_id: Option<String>,
        name: String,
        description: Option<String>,
        priority: i64,
        is_default: i64,
        created_at: i64,
        updated_at: i64,
    }
}

impl RoleRow {
    fn into_role(self, permissions: Vec<String>) -> Role {
        Role {
            id: RoleId::from_trusted(self.id),
            name: self.name,
            slug: self.slug,
            description: self.description,
            permissions,
            resource_type_slug: ORGANIZATION_RESOURCE.into(),
            role_type: if self.organization_id.is_some() {
                RoleType::OrganizationRole
            } else {
                RoleType::EnvironmentRole
            },
            priority: self.priority,
            is_default: self.is_default != 0,
            created_at: iso(self.created_at),
            updated_at: iso(self.updated_at),
        }
    }
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

/// A role to insert.
#[derive(Debug, Clone)]
pub struct RoleInsert<'a> {
    pub organization: Option<&'a OrganizationId>,
    pub slug: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub priority: i64,
}

/// Appends the condition that picks a scope's roles: the environment's or one organization's.
fn push_scope(sql: &mut SqlBuilder, organization: Option<&OrganizationId>) {
    match organization {
        Some(organization) => {
            sql.push(" organization_id = ").bind(organization.as_str());
        }
        None => {
            sql.push(" organization_id IS NULL");
        }
    }
}

/// Reads roles with their permissions.
async fn roles_with_permissions(conn: &mut Connection, rows: Vec<RoleRow>) -> Result<Vec<Role>, StoreError> {
    let mut permissions: HashMap<String, Vec<String>> = HashMap::new();
    if !rows.is_empty() {
        let mut sql = SqlBuilder::new("SELECT role_id, permission_slug FROM role_permissions WHERE role_id IN ");
        sql.bind_list(rows.iter().map(|row| row.id.as_str())).push(" ORDER BY permission_slug");
        for row in sql.query().fetch_all(&mut *conn).await? {
            let id: String = row.try_get("role_id")?;
            permissions.entry(id).or_default().push(row.try_get("permission_slug")?);
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let held = permissions.remove(&row.id).unwrap_or_default();
            row.into_role(held)
        })
        .collect())
}

async fn fetch_roles(conn: &mut Connection, sql: &SqlBuilder) -> Result<Vec<Role>, StoreError> {
    let rows: Vec<RoleRow> = sql.query().try_map(|mut row| RoleRow::from_row(&mut row)).fetch_all(&mut *conn).await?;
    roles_with_permissions(conn, rows).await
}

/// Inserts an environment role unless one with its slug exists, and gives it its built-in
/// permissions (which it keeps: the core refuses to take them away).
pub async fn ensure_environment_role(conn: &mut Connection, role: &RoleRecord, now: i64) -> Result<(), StoreError> {
    let exists: Option<String> = db::query_scalar("SELECT id FROM roles WHERE slug = $1 AND organization_id IS NULL")
        .bind(role.slug)
        .fetch_optional(&mut *conn)
        .await?;
    let id = match exists {
        Some(id) => id,
        None => {
            let id = RoleId::generate().to_string();
            db::query(
                "INSERT INTO roles (id, slug, organization_id, name, description, priority, is_default, created_at, \
                 updated_at) VALUES ($1, $2, NULL, $3, $4, $5, 0, $6, $6)",
            )
            .bind(&id)
            .bind(role.slug)
            .bind(role.name)
            .bind(role.description)
            .bind(role.priority)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            id
        }
    };
    for permission in role.permissions {
        ensure_system_permission(conn, permission, now).await?;
        db::query(
            "INSERT INTO role_permissions (role_id, permission_slug) VALUES ($1, $2) \
             ON CONFLICT (role_id, permission_slug) DO NOTHING",
        )
        .bind(&id)
        .bind(*permission)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Adds a built-in permission to the catalog, or marks an existing one as built in.
async fn ensure_system_permission(conn: &mut Connection, slug: &str, now: i64) -> Result<(), StoreError> {
    db::query(
        "INSERT INTO permissions (id, slug, name, description, resource_type_slug, system, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, 'organization', 1, $4, $4) ON CONFLICT (slug) DO UPDATE SET system = 1",
    )
    .bind(PermissionId::generate().as_str())
    .bind(slug)
    .bind(slug)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives a permission a name and description while its name is still its slug.
pub async fn name_unnamed_permission(
    conn: &mut Connection,
    slug: &str,
    name: &str,
    description: &str,
) -> Result<(), StoreError> {
    db::query("UPDATE permissions SET name = $1, description = $2 WHERE slug = $3 AND name = slug")
        .bind(name)
        .bind(description)
        .bind(slug)
        .execute(conn)
        .await?;
    Ok(())
}

/// Locks the environment's default role, so changes to the environment's roles (which may
/// move the default) happen one at a time.
pub async fn lock_environment_roles(conn: &mut Connection) -> Result<(), StoreError> {
    db::query("UPDATE roles SET updated_at = updated_at WHERE organization_id IS NULL AND is_default = 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes `slug` the environment's default role when the environment has none.
pub async fn ensure_environment_default(conn: &mut Connection, slug: &str) -> Result<(), StoreError> {
    let has: Option<String> = db::query_scalar("SELECT id FROM roles WHERE organization_id IS NULL AND is_default = 1")
        .fetch_optional(&mut *conn)
        .await?;
    if has.is_none() {
        db::query("UPDATE roles SET is_default = 1 WHERE organization_id IS NULL AND slug = $1")
            .bind(slug)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The roles available in an organization (or the environment's alone), by priority.
pub async fn list_roles(conn: &mut Connection, organization: Option<&OrganizationId>) -> Result<Vec<Role>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE organization_id IS NULL"));
    if let Some(organization) = organization {
        sql.push(" OR organization_id = ").bind(organization.as_str());
    }
    sql.push(" ORDER BY priority, slug");
    fetch_roles(conn, &sql).await
}

/// The roles of one scope only, by priority.
pub async fn list_scope_roles(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
) -> Result<Vec<Role>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE"));
    push_scope(&mut sql, organization);
    sql.push(" ORDER BY priority, slug");
    fetch_roles(conn, &sql).await
}

/// One role of a scope, by slug.
pub async fn find_role(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
    slug: &str,
) -> Result<Option<Role>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE"));
    push_scope(&mut sql, organization);
    sql.push(" AND slug = ").bind(slug);
    Ok(fetch_roles(conn, &sql).await?.pop())
}

/// True when some organization has a role with this slug.
pub async fn organization_role_slug_exists(conn: &mut Connection, slug: &str) -> Result<bool, StoreError> {
    let found: Option<String> =
        db::query_scalar("SELECT id FROM roles WHERE organization_id IS NOT NULL AND slug = $1 LIMIT 1")
            .bind(slug)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// The priority after the last role a scope lists: an organization lists the environment's
/// roles too.
pub async fn next_priority(conn: &mut Connection, organization: Option<&OrganizationId>) -> Result<i64, StoreError> {
    let mut sql =
        SqlBuilder::new("SELECT COALESCE(MAX(priority), -1) + 1 AS next FROM roles WHERE organization_id IS NULL");
    if let Some(organization) = organization {
        sql.push(" OR organization_id = ").bind(organization.as_str());
    }
    let row = sql.query().fetch_one(conn).await?;
    Ok(row.try_get("next")?)
}

/// Inserts a role without permissions.
pub async fn insert_role(conn: &mut Connection, role: &RoleInsert<'_>, now: i64) -> Result<RoleId, StoreError> {
    let id = RoleId::generate();
    db::query(
        "INSERT INTO roles (id, slug, organization_id, name, description, priority, is_default, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
    )
    .bind(id.as_str())
    .bind(role.slug)
    .bind(role.organization.map(OrganizationId::as_str))
    .bind(role.name)
    .bind(role.description)
    .bind(role.priority)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Writes a role's name, description and priority.
pub async fn update_role(
    conn: &mut Connection,
    id: &RoleId,
    name: &str,
    description: Option<&str>,
    priority: i64,
    now: i64,
) -> Result<(), StoreError> {
    db::query("UPDATE roles SET name = $1, description = $2, priority = $3, updated_at = $4 WHERE id = $5")
        .bind(name)
        .bind(description)
        .bind(priority)
        .bind(now)
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes one role the default of its scope (or, with `None`, leaves the scope without one).
pub async fn set_default_role(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
    role: Option<&RoleId>,
    now: i64,
) -> Result<(), StoreError> {
    let mut sql = SqlBuilder::new("UPDATE roles SET is_default = 0, updated_at = ");
    sql.bind(now).push(" WHERE is_default = 1 AND");
    push_scope(&mut sql, organization);
    sql.query().execute(&mut *conn).await?;
    if let Some(role) = role {
        db::query("UPDATE roles SET is_default = 1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(role.as_str())
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Deletes a role and its permissions.
pub async fn delete_role(conn: &mut Connection, id: &RoleId) -> Result<(), StoreError> {
    db::query("DELETE FROM role_permissions WHERE role_id = $1").bind(id.as_str()).execute(&mut *conn).await?;
    db::query("DELETE FROM roles WHERE id = $1").bind(id.as_str()).execute(conn).await?;
    Ok(())
}

/// How many memberships hold a role: in its organization for an organization role, anywhere
/// for an environment role.
pub async fn count_role_holders(
    conn: &mut Connection,
    organization: Option<&OrganizationId>,
    slug: &str,
) -> Result<i64, StoreError> {
    let mut sql = SqlBuilder::new("SELECT COUNT(*) AS holders FROM membership_roles WHERE role_slug = ");
    sql.bind(slug);
    if let Some(organization) = organization {
        sql.push(" AND organization_id = ").bind(organization.as_str());
    }
    let row = sql.query().fetch_one(conn).await?;
    Ok(row.try_get("holders")?)
}

/// Replaces a role's permissions.
pub async fn replace_role_permissions(
    conn: &mut Connection,
    role: &RoleId,
    permissions: &[String],
    now: i64,
) -> Result<(), StoreError> {
    db::query("DELETE FROM role_permissions WHERE role_id = $1").bind(role.as_str()).execute(&mut *conn).await?;
    for permission in permissions {
        db::query("INSERT INTO role_permissions (role_id, permission_slug) VALUES ($1, $2)")
            .bind(role.as_str())
            .bind(permission)
            .execute(&mut *conn)
            .await?;
    }
    db::query("UPDATE roles SET updated_at = $1 WHERE id = $2").bind(now).bind(role.as_str()).execute(conn).await?;
    Ok(())
}

from_row! {
    #[derive(Debug)]
    struct PermissionRow {
        id: String,
        slug: String,
        name: String,
        description: Option<String>,
        resource_type_slug: String,
        system: i64,
        created_at: i64,
        updated_at: i64,
    }
}

impl From<PermissionRow> for Permission {
    fn from(row: PermissionRow) -> Self {
        Permission {
            id: PermissionId::from_trusted(row.id),
            slug: row.slug,
            name: row.name,
            description: row.description,
            resource_type_slug: row.resource_type_slug,
            system: row.system != 0,
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        }
    }
}

const PERMISSION_COLUMNS: &str = "id, slug, name, description, resource_type_slug, system, created_at, updated_at";

/// A page of the permissions catalog, in ID (creation) order.
pub async fn list_permissions(conn: &mut Connection, page: &Page) -> Result<List<Permission>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {PERMISSION_COLUMNS} FROM permissions WHERE 1 = 1"));
    sql.push_keyset("id", page);
    let rows: Vec<PermissionRow> =
        sql.query().try_map(|mut row| PermissionRow::from_row(&mut row)).fetch_all(conn).await?;
    let list = finish_page(rows, page, |row| row.id.clone());
    Ok(List { data: list.data.into_iter().map(Permission::from).collect(), list_metadata: list.list_metadata })
}

/// The slugs of the catalog among `slugs`.
pub async fn known_permissions(conn: &mut Connection, slugs: &[String]) -> Result<Vec<String>, StoreError> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = SqlBuilder::new("SELECT slug FROM permissions WHERE slug IN ");
    sql.bind_list(slugs.iter().map(String::as_str));
    let rows = sql.query().fetch_all(conn).await?;
    rows.into_iter().map(|row| row.try_get("slug").map_err(StoreError::from)).collect()
}

/// One permission, by slug.
pub async fn find_permission(conn: &mut Connection, slug: &str) -> Result<Option<Permission>, StoreError> {
    let row: Option<PermissionRow> =
        fetch_optional_by(conn, &format!("SELECT {PERMISSION_COLUMNS} FROM permissions WHERE slug = $1"), slug).await?;
    Ok(row.map(Permission::from))
}

/// Adds a permission to the catalog.
pub async fn insert_permission(
    conn: &mut Connection,
    slug: &str,
    name: &str,
    description: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    db::query(
        "INSERT INTO permissions (id, slug, name, description, resource_type_slug, system, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'organization', 0, $5, $5)",
    )
    .bind(PermissionId::generate().as_str())
    .bind(slug)
    .bind(name)
    .bind(description)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a permission's name and description.
pub async fn update_permission(
    conn: &mut Connection,
    slug: &str,
    name: &str,
    description: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    db::query("UPDATE permissions SET name = $1, description = $2, updated_at = $3 WHERE slug = $4")
        .bind(name)
        .bind(description)
        .bind(now)
        .bind(slug)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a permission and takes it from every role.
pub async fn delete_permission(conn: &mut Connection, slug: &str, now: i64) -> Result<(), StoreError> {
    db::query(
        "UPDATE roles SET updated_at = $1 WHERE id IN (SELECT role_id FROM role_permissions WHERE permission_slug = $2)",
    )
    .bind(now)
    .bind(slug)
    .execute(&mut *conn)
    .await?;
    db::query("DELETE FROM role_permissions WHERE permission_slug = $1").bind(slug).execute(&mut *conn).await?;
    db::query("DELETE FROM permissions WHERE slug = $1").bind(slug).execute(conn).await?;
    Ok(())
}

/// The roles that have a permission: the environment's, and those of one organization or
/// (with `None`) of every organization.
pub async fn roles_using_permission(
    conn: &mut Connection,
    slug: &str,
    organization: Option<&OrganizationId>,
) -> Result<Vec<Role>, StoreError> {
    let mut sql = SqlBuilder::new(&format!(
        "SELECT {ROLE_COLUMNS} FROM roles WHERE id IN (SELECT role_id FROM role_permissions WHERE permission_slug = "
    ));
    sql.bind(slug).push(")");
    if let Some(organization) = organization {
        sql.push(" AND (organization_id IS NULL OR organization_id = ").bind(organization.as_str()).push(")");
    }
    sql.push(" ORDER BY organization_id, priority, slug");
    fetch_roles(conn, &sql).await
}

/// The role new members of an organization get: the organization's default role, else the
/// environment's.
pub async fn default_role_slug(conn: &mut Connection, organization: &OrganizationId) -> Result<String, StoreError> {
    let slug: Option<String> = db::query_scalar(
        "SELECT slug FROM roles WHERE is_default = 1 AND (organization_id = $1 OR organization_id IS NULL) \
         ORDER BY organization_id IS NULL, priority LIMIT 1",
    )
    .bind(organization.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(slug.unwrap_or_else(|| app::model::roles::MEMBER.into()))
}

from_row! {
    #[derive(Debug)]
    struct AssignmentRow {
        id: String,
        membership_id: String,
        role_slug: String,
        organization_id: String,
        created_at: i64,
    }
}

impl From<AssignmentRow> for RoleAssignment {
    fn from(row: AssignmentRow) -> Self {
        RoleAssignment {
            id: RoleAssignmentId::from_trusted(row.id),
            organization_membership_id: MembershipId::from_trusted(row.membership_id),
            role: RoleRef { slug: row.role_slug },
            resource: AssignedResource {
                id: row.organization_id.clone(),
                external_id: row.organization_id,
                resource_type_slug: ORGANIZATION_RESOURCE.into(),
            },
            source: AssignmentSource { source_type: "direct".into(), group_role_assignment_id: None },
            created_at: iso(row.created_at),
            updated_at: iso(row.created_at),
        }
    }
}

const ASSIGNMENT_COLUMNS: &str = "id, membership_id, role_slug, organization_id, created_at";

/// A page of the roles a membership holds, in ID order.
pub async fn list_role_assignments(
    conn: &mut Connection,
    membership: &MembershipId,
    page: &Page,
) -> Result<List<RoleAssignment>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {ASSIGNMENT_COLUMNS} FROM membership_roles WHERE membership_id = "));
    sql.bind(membership.as_str());
    sql.push_keyset("id", page);
    let rows: Vec<AssignmentRow> =
        sql.query().try_map(|mut row| AssignmentRow::from_row(&mut row)).fetch_all(conn).await?;
    let list = finish_page(rows, page, |row| row.id.clone());
    Ok(List { data: list.data.into_iter().map(RoleAssignment::from).collect(), list_metadata: list.list_metadata })
}

/// The assignment of a role to a membership, by role slug or by assignment ID.
pub async fn find_role_assignment(
    conn: &mut Connection,
    membership: &MembershipId,
    by: AssignmentKey<'_>,
) -> Result<Option<RoleAssignment>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {ASSIGNMENT_COLUMNS} FROM membership_roles WHERE membership_id = "));
    sql.bind(membership.as_str());
    match by {
        AssignmentKey::Slug(slug) => sql.push(" AND role_slug = ").bind(slug),
        AssignmentKey::Id(id) => sql.push(" AND id = ").bind(id.as_str()),
    };
    let row: Option<AssignmentRow> =
        sql.query().try_map(|mut row| AssignmentRow::from_row(&mut row)).fetch_optional(conn).await?;
    Ok(row.map(RoleAssignment::from))
}

/// How a role assignment is looked up.
#[derive(Clone, Copy, Debug)]
pub enum AssignmentKey<'a> {
    Slug(&'a str),
    Id(&'a RoleAssignmentId),
}
