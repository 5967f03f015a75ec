//! `roster export`: the directory as JSON Lines, read in pages by ID so a large store streams.

use super::*;
use crate::store::sql::SqlBuilder;
use crate::store::{Connection, Store, iso};
use db::Row;
use std::collections::HashMap;
use std::io::Write;

/// Rows read per query.
const PAGE: i64 = 5_000;

/// Reads a table page by page in ID order; `columns` must include `id`.
async fn pages(
    conn: &mut Connection,
    table: &str,
    columns: &str,
    condition: &str,
    mut each: impl FnMut(Vec<Row>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut after = String::new();
    loop {
        let mut sql = SqlBuilder::new(&format!("SELECT {columns} FROM {table} WHERE id > "));
        sql.bind(after.clone()).push(condition).push(" ORDER BY id LIMIT ").bind(PAGE);
        let rows = sql.query().fetch_all(&mut *conn).await?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = last.try_get("id")?;
        let full = rows.len() as i64 == PAGE;
        each(rows)?;
        if !full {
            return Ok(());
        }
    }
}

fn write_line(out: &mut impl Write, line: &Line) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn time(row: &Row, column: &str) -> anyhow::Result<Option<String>> {
    Ok(row.try_get::<Option<i64>>(column)?.map(iso))
}

fn metadata(row: &Row) -> anyhow::Result<Metadata> {
    Ok(serde_json::from_str(&row.try_get::<String>("metadata")?).unwrap_or_default())
}

/// Writes every permission, organization, role, user, membership and pending invitation;
/// answers how many lines were written. `progress` is told of each line.
pub async fn export(store: &Store, out: &mut impl Write, mut progress: impl FnMut(u64)) -> anyhow::Result<u64> {
    // One read transaction, so the file is one consistent moment of the store.
    let mut tx = store.begin_snapshot().await?;
    let conn: &mut Connection = &mut tx;
    let mut written = 0u64;
    let mut emit = |out: &mut dyn FnMut(&Line) -> anyhow::Result<()>, line: Line| -> anyhow::Result<()> {
        out(&line)?;
        written += 1;
        progress(written);
        Ok(())
    };
    let mut sink = |line: &Line| write_line(out, line);

    pages(conn, "permissions", "id, slug, name, description, created_at, updated_at", "", |rows| {
        for row in rows {
            let line = Line::Permission(PermissionLine {
                id: Some(row.try_get("id")?),
                slug: row.try_get("slug")?,
                name: row.try_get("name")?,
                description: row.try_get("description")?,
                created_at: time(&row, "created_at")?,
                updated_at: time(&row, "updated_at")?,
            });
            emit(&mut sink, line)?;
        }
        Ok(())
    })
    .await?;

    let mut domains: HashMap<String, Vec<DomainLine>> = HashMap::new();
    for row in
        db::query("SELECT organization_id, domain, state, verification_strategy FROM organization_domains ORDER BY id")
            .fetch_all(&mut *conn)
            .await?
    {
        let text = |column: &str| -> anyhow::Result<serde_json::Value> {
            Ok(serde_json::Value::String(row.try_get::<String>(column)?))
        };
        domains.entry(row.try_get("organization_id")?).or_default().push(DomainLine {
            domain: row.try_get("domain")?,
            state: serde_json::from_value(text("state")?)?,
            verification_strategy: serde_json::from_value(text("verification_strategy")?)?,
        });
    }
    pages(
        conn,
        "organizations",
        "id, name, external_id, metadata, allow_profiles_outside_organization, created_at, updated_at",
        "",
        |rows| {
            for row in rows {
                let id: String = row.try_get("id")?;
                let line = Line::Organization(OrganizationLine {
                    domains: domains.remove(&id).unwrap_or_default(),
                    id,
                    name: row.try_get("name")?,
                    external_id: row.try_get("external_id")?,
                    metadata: metadata(&row)?,
                    allow_profiles_outside_organization: row.try_get::<i64>("allow_profiles_outside_organization")?
                        != 0,
                    created_at: time(&row, "created_at")?,
                    updated_at: time(&row, "updated_at")?,
                });
                emit(&mut sink, line)?;
            }
            Ok(())
        },
    )
    .await?;

    let mut permissions: HashMap<String, Vec<String>> = HashMap::new();
    for row in db::query("SELECT role_id, permission_slug FROM role_permissions ORDER BY permission_slug")
        .fetch_all(&mut *conn)
        .await?
    {
        permissions.entry(row.try_get("role_id")?).or_default().push(row.try_get("permission_slug")?);
    }
    pages(
        conn,
        "roles",
        "id, organization_id, slug, name, description, priority, is_default, created_at, updated_at",
        "",
        |rows| {
            for row in rows {
                let id: String = row.try_get("id")?;
                let line = Line::Role(RoleLine {
                    permissions: permissions.remove(&id).unwrap_or_default(),
                    id: Some(id),
                    organization_id: row.try_get("organization_id")?,
                    slug: row.try_get("slug")?,
                    name: row.try_get("name")?,
                    description: row.try_get("description")?,
                    priority: Some(row.try_get("priority")?),
                    is_default: row.try_get::<i64>("is_default")? != 0,
                    created_at: time(&row, "created_at")?,
                    updated_at: time(&row, "updated_at")?,
                });
                emit(&mut sink, line)?;
            }
            Ok(())
        },
    )
    .await?;

    pages(
        conn,
        "users",
        "id, email, email_verified, first_name, last_name, locale, profile_picture_url, external_id, metadata, \
         is_platform_admin, password_hash, password_hash_type, last_sign_in_at, created_at, updated_at",
        "",
        |rows| {
            for row in rows {
                let password_hash: Option<String> = row.try_get("password_hash")?;
                // Roster's own hashes carry no type: they are Argon2id.
                let password_hash_type = row.try_get::<Option<String>>("password_hash_type")?.or_else(|| {
                    password_hash
                        .as_deref()
                        .and_then(crate::core::password::foreign::HashType::of)
                        .map(|kind| kind.name().to_owned())
                });
                let line = Line::User(UserLine {
                    id: row.try_get("id")?,
                    email: row.try_get("email")?,
                    email_verified: row.try_get::<i64>("email_verified")? != 0,
                    first_name: row.try_get("first_name")?,
                    last_name: row.try_get("last_name")?,
                    locale: row.try_get("locale")?,
                    profile_picture_url: row.try_get("profile_picture_url")?,
                    external_id: row.try_get("external_id")?,
                    metadata: metadata(&row)?,
                    is_platform_admin: row.try_get::<i64>("is_platform_admin")? != 0,
                    password_hash,
                    password_hash_type,
                    last_sign_in_at: time(&row, "last_sign_in_at")?,
                    created_at: time(&row, "created_at")?,
                    updated_at: time(&row, "updated_at")?,
                });
                emit(&mut sink, line)?;
            }
            Ok(())
        },
    )
    .await?;

    // Memberships page by ID too; their roles are read for each page.
    let mut after = String::new();
    loop {
        let mut sql = SqlBuilder::new(
            "SELECT id, organization_id, user_id, status, created_at, updated_at FROM memberships WHERE id > ",
        );
        sql.bind(after.clone()).push(" ORDER BY id LIMIT ").bind(PAGE);
        let rows = sql.query().fetch_all(&mut *conn).await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("id")?;
        let mut roles: HashMap<String, Vec<String>> = HashMap::new();
        let mut sql = SqlBuilder::new("SELECT membership_id, role_slug FROM membership_roles WHERE membership_id IN ");
        let ids: Vec<String> = rows.iter().map(|row| row.try_get("id")).collect::<Result<_, _>>()?;
        sql.bind_list(ids.iter().map(String::as_str)).push(" ORDER BY membership_id, position");
        for row in sql.query().fetch_all(&mut *conn).await? {
            roles.entry(row.try_get("membership_id")?).or_default().push(row.try_get("role_slug")?);
        }
        let full = rows.len() as i64 == PAGE;
        for row in rows {
            let id: String = row.try_get("id")?;
            let status: String = row.try_get("status")?;
            let line = Line::Membership(MembershipLine {
                roles: roles.remove(&id).unwrap_or_default(),
                id,
                organization_id: row.try_get("organization_id")?,
                user_id: row.try_get("user_id")?,
                status: serde_json::from_value(serde_json::Value::String(status))?,
                created_at: time(&row, "created_at")?,
                updated_at: time(&row, "updated_at")?,
            });
            emit(&mut sink, line)?;
        }
        if !full {
            break;
        }
    }

    let now = crate::store::now_ms();
    // A number from the clock, written into the SQL (the paging binds the only parameters).
    let pending = format!(" AND state = 'pending' AND expires_at > {now}");
    pages(
        conn,
        "invitations",
        "id, organization_id, email, role_slug, token, inviter_user_id, expires_at, created_at, updated_at",
        &pending,
        |rows| {
            for row in rows {
                let line = Line::Invitation(InvitationLine {
                    id: row.try_get("id")?,
                    organization_id: row.try_get("organization_id")?,
                    email: row.try_get("email")?,
                    role_slug: row.try_get("role_slug")?,
                    token: row.try_get("token")?,
                    inviter_user_id: row.try_get("inviter_user_id")?,
                    expires_at: iso(row.try_get("expires_at")?),
                    created_at: time(&row, "created_at")?,
                    updated_at: time(&row, "updated_at")?,
                });
                emit(&mut sink, line)?;
            }
            Ok(())
        },
    )
    .await?;
    drop(tx);
    out.flush()?;
    Ok(written)
}
