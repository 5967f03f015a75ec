//! Roles and their permissions.

use super::*;

#[derive(Debug, FromRow)]
pub(super) struct RoleRow {
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
pub async fn ensure_environment_role(conn: &mut Connection, role: &RoleRecord, now: i64) -> Result<(), StoreError> {
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
pub async fn list_roles(conn: &mut Connection, organization: Option<&OrganizationId>) -> Result<Vec<Role>, StoreError> {
    let mut sql = SqlBuilder::new(
        "SELECT id, slug, organization_id, name, description, permissions, created_at, updated_at \
         FROM roles WHERE organization_id IS NULL",
    );
    if let Some(organization) = organization {
        sql.push(" OR organization_id = ").bind(organization.as_str());
    }
    sql.push(" ORDER BY priority, slug");
    let rows: Vec<RoleRow> = sql.query().try_map(|row| RoleRow::from_row(&row)).fetch_all(conn).await?;
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
