//! Roles and permissions: the permissions catalog, environment and organization roles, the
//! roles a membership holds, and permission checks.
//!
//! The rules:
//! - the catalog and the environment's roles and settings are changed only with environment
//!   access (a platform admin, an environment key); an organization's roles by its owners and
//!   its own keys, and by platform admins;
//! - a role's permissions come from the catalog; deleting a permission takes it from its roles;
//! - the built-in roles keep the permissions they were built with, and built-in permissions
//!   stay in the catalog, because the security rules and issued tokens rely on them;
//! - a role held by members is not deleted (409, saying how many hold it), nor is a default;
//! - each scope has at most one default role (the environment always has one);
//! - tokens and checks grant the union of the permissions of an active member's roles.

use super::{BUILT_IN_ROLES, Core, record};
use crate::store::directory::{self as db, AssignmentKey, Lockable, RoleInsert};
use crate::store::{Connection, commit, now_ms};
use app::directory::{Admin, Memberships, Roles};
use app::error::{AppError, Conflict};
use app::ids::*;
use app::model::*;
use async_trait::async_trait;

/// The names and descriptions of the permissions the built-in roles hold.
const BUILT_IN_PERMISSIONS: [(&str, &str, &str); 6] = [
    ("members:read", "Read members", "See the organization's members and their roles."),
    ("members:manage", "Manage members", "Change members' roles, deactivate, reactivate and remove them."),
    ("invitations:manage", "Manage invitations", "Invite people, resend and revoke invitations."),
    ("roles:manage", "Manage roles", "Change the organization's roles."),
    ("organization:manage", "Manage the organization", "Change the organization's name, domains and settings."),
    (
        app::access::USERS_TABLE_SCOPE,
        "Manage users in widgets",
        "Get widget tokens for the users table: invite, change roles and remove members from an application.",
    ),
];

/// The setting that says whether a membership may hold several roles; absent means yes.
const MULTIPLE_ROLES_SETTING: &str = "roles.multiple_roles_enabled";

/// The longest slug, name and description accepted.
const MAX_SLUG_CHARS: usize = 64;
const MAX_NAME_CHARS: usize = 100;
const MAX_DESCRIPTION_CHARS: usize = 500;
/// Priorities run from 0 (first) to this.
const MAX_PRIORITY: i64 = 1_000_000;

/// Checks a slug: 1 to 64 lower-case letters, digits, `-`, `_`, `.` or `:`, starting with a
/// letter or digit, so it is safe as a path segment (the SDKs do not percent-encode it).
fn checked_slug(field: &str, raw: &str) -> Result<String, AppError> {
    let slug = raw.trim();
    if slug.is_empty() {
        return Err(AppError::invalid(field, &format!("{field}_required"), "Enter a slug."));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | ':' | '.');
    let starts_well = slug.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if slug.chars().count() > MAX_SLUG_CHARS || !slug.chars().all(allowed) || !starts_well {
        return Err(AppError::invalid(
            field,
            &format!("{field}_invalid"),
            format!(
                "Use up to {MAX_SLUG_CHARS} lower-case letters, digits, and - _ : . (starting with a letter or digit)."
            ),
        ));
    }
    Ok(slug.to_owned())
}

/// Checks a description: blank means none.
fn checked_description(raw: Option<String>) -> Result<Option<String>, AppError> {
    let Some(description) = raw.map(|raw| raw.trim().to_owned()).filter(|raw| !raw.is_empty()) else {
        return Ok(None);
    };
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::invalid(
            "description",
            "description_too_long",
            format!("Use at most {MAX_DESCRIPTION_CHARS} characters."),
        ));
    }
    if description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid("description", "description_invalid", "Remove the control characters."));
    }
    Ok(Some(description))
}

fn checked_priority(priority: i64) -> Result<i64, AppError> {
    if (0..=MAX_PRIORITY).contains(&priority) {
        Ok(priority)
    } else {
        Err(AppError::invalid("priority", "priority_invalid", format!("Use a number from 0 to {MAX_PRIORITY}.")))
    }
}

/// A slug made from a name, for organization roles created without one.
fn slug_from_name(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(MAX_SLUG_CHARS - 4).collect();
    if slug.is_empty() { "role".into() } else { slug }
}

/// The permissions a built-in role keeps, if the role is built in.
fn built_in_permissions(scope: &RoleScope, slug: &str) -> Option<&'static [&'static str]> {
    match scope {
        RoleScope::Environment => BUILT_IN_ROLES.iter().find(|role| role.slug == slug).map(|role| role.permissions),
        RoleScope::Organization(_) => None,
    }
}

/// True when a new role of `scope` can't take `slug`: a role of the scope has it, or (since a
/// membership names its roles by slug) an environment role and an organization role would share it.
async fn slug_taken(conn: &mut Connection, scope: &RoleScope, slug: &str) -> Result<bool, AppError> {
    let in_scope = db::find_role(conn, scope.organization(), slug).await?.is_some();
    let elsewhere = match scope {
        RoleScope::Environment => db::organization_role_slug_exists(conn, slug).await?,
        RoleScope::Organization(_) => db::find_role(conn, None, slug).await?.is_some(),
    };
    Ok(in_scope || elsewhere)
}

/// The event names of a scope's role changes, as WorkOS names them.
fn role_event(scope: &RoleScope, change: &str) -> String {
    match scope {
        RoleScope::Environment => format!("role.{change}"),
        RoleScope::Organization(_) => format!("organization_role.{change}"),
    }
}

/// Checks that a role or check names the membership's own organization, the only resource
/// Roster gives roles on. Naming none means the organization too.
fn check_resource(resource: &ResourceRef, organization: &OrganizationId) -> Result<(), AppError> {
    let matches = match (&resource.resource_id, &resource.resource_external_id) {
        (Some(id), _) => id == organization.as_str(),
        (None, Some(external)) => {
            external == organization.as_str()
                && resource.resource_type_slug.as_deref().is_none_or(|kind| kind == ORGANIZATION_RESOURCE)
        }
        (None, None) => true,
    };
    if matches { Ok(()) } else { Err(AppError::not_found("Resource")) }
}

impl Core {
    /// Names the built-in permissions, unless someone has renamed them since.
    pub(crate) async fn describe_built_in_permissions(conn: &mut Connection) -> Result<(), AppError> {
        for (slug, name, description) in BUILT_IN_PERMISSIONS {
            db::name_unnamed_permission(conn, slug, name, description).await?;
        }
        Ok(())
    }

    /// True when a membership may hold several roles.
    pub(crate) async fn multiple_roles_enabled(conn: &mut Connection) -> Result<bool, AppError> {
        Ok(db::setting(conn, MULTIPLE_ROLES_SETTING).await?.is_none_or(|value| value != "false"))
    }

    /// Checks that the grant may read a scope's roles, and that its organization exists.
    async fn require_scope_read(conn: &mut Connection, admin: &Admin, scope: &RoleScope) -> Result<(), AppError> {
        if let RoleScope::Organization(organization) = scope {
            admin.require_reach(organization, "Organization")?;
            db::find_organization(conn, organization).await?.ok_or_else(|| AppError::not_found("Organization"))?;
        }
        Ok(())
    }

    /// Checks that the grant may change a scope's roles, and locks the scope against other
    /// changes to its roles.
    async fn require_scope_write(conn: &mut Connection, admin: &Admin, scope: &RoleScope) -> Result<(), AppError> {
        match scope {
            RoleScope::Environment => {
                admin.require_environment()?;
                admin.require_owner_rights()?;
                db::lock_environment_roles(conn).await?;
                Ok(())
            }
            RoleScope::Organization(organization) => {
                Self::require_scope_read(conn, admin, scope).await?;
                if admin.require_owner_rights().is_err() {
                    return Err(AppError::Forbidden("Only the organization's owners can change its roles.".into()));
                }
                db::lock_row(conn, Lockable::Organizations, organization.as_str()).await?;
                Ok(())
            }
        }
    }

    /// Reads a role of exactly this scope, or fails with "not found".
    async fn scope_role(conn: &mut Connection, scope: &RoleScope, slug: &str) -> Result<Role, AppError> {
        db::find_role(conn, scope.organization(), slug).await?.ok_or_else(|| AppError::not_found("Role"))
    }

    /// Checks that every permission is in the catalog; returns them deduplicated and sorted.
    async fn checked_permissions(conn: &mut Connection, permissions: Vec<String>) -> Result<Vec<String>, AppError> {
        let mut slugs: Vec<String> =
            permissions.into_iter().map(|slug| slug.trim().to_owned()).filter(|slug| !slug.is_empty()).collect();
        slugs.sort();
        slugs.dedup();
        let known = db::known_permissions(conn, &slugs).await?;
        if let Some(unknown) = slugs.iter().find(|slug| !known.contains(slug)) {
            return Err(AppError::invalid(
                "permissions",
                "permission_not_found",
                format!("There is no permission {unknown:?}."),
            ));
        }
        Ok(slugs)
    }

    /// Gives a role exactly these permissions, refusing to take from a built-in role what it
    /// must keep, and records the change.
    async fn write_role_permissions(
        &self,
        admin: &Admin,
        scope: &RoleScope,
        slug: &str,
        permissions: Vec<String>,
    ) -> Result<Role, AppError> {
        let mut tx = self.store.begin().await?;
        Self::require_scope_write(&mut tx, admin, scope).await?;
        let role = Self::scope_role(&mut tx, scope, slug).await?;
        Self::replace_permissions(&mut tx, scope, &role, permissions).await?;
        let updated = Self::scope_role(&mut tx, scope, slug).await?;
        record(&mut tx, &role_event(scope, "updated"), scope.organization(), &updated).await?;
        commit(tx).await?;
        Ok(updated)
    }

    /// Gives a role exactly these catalog permissions, keeping those a built-in role needs.
    async fn replace_permissions(
        conn: &mut Connection,
        scope: &RoleScope,
        role: &Role,
        permissions: Vec<String>,
    ) -> Result<(), AppError> {
        let permissions = Self::checked_permissions(conn, permissions).await?;
        if let Some(kept) = built_in_permissions(scope, &role.slug) {
            let missing: Vec<&str> =
                kept.iter().copied().filter(|kept| !permissions.iter().any(|held| held == kept)).collect();
            if !missing.is_empty() {
                return Err(AppError::conflict(
                    Conflict::BuiltIn,
                    format!(
                        "The {} role keeps {}: the security rules rely on it.",
                        role.slug,
                        missing.iter().map(|slug| format!("{slug:?}")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        db::replace_role_permissions(conn, &role.id, &permissions, now_ms()).await?;
        Ok(())
    }

    /// Reads a membership the grant reaches.
    async fn reached_membership(
        &self,
        admin: &Admin,
        id: &MembershipId,
    ) -> Result<(crate::store::db::PoolConnection, OrganizationMembership), AppError> {
        let mut conn = self.store.read().await?;
        let membership = db::find_membership(&mut conn, id).await?.ok_or_else(|| AppError::not_found("Membership"))?;
        admin.require_reach(&membership.organization_id, "Membership")?;
        Ok((conn, membership))
    }
}

#[async_trait]
impl Roles for Core {
    async fn list_roles(&self, admin: &Admin, organization: Option<&OrganizationId>) -> Result<Vec<Role>, AppError> {
        if let Some(organization) = organization {
            admin.require_reach(organization, "Organization")?;
        }
        let mut conn = self.store.read().await?;
        Ok(db::list_roles(&mut conn, organization).await?)
    }

    async fn list_scope_roles(&self, admin: &Admin, scope: &RoleScope) -> Result<Vec<Role>, AppError> {
        let mut conn = self.store.read().await?;
        Self::require_scope_read(&mut conn, admin, scope).await?;
        Ok(db::list_scope_roles(&mut conn, scope.organization()).await?)
    }

    async fn get_role(&self, admin: &Admin, scope: &RoleScope, slug: &str) -> Result<Role, AppError> {
        let mut conn = self.store.read().await?;
        Self::require_scope_read(&mut conn, admin, scope).await?;
        if let Some(role) = db::find_role(&mut conn, scope.organization(), slug).await? {
            return Ok(role);
        }
        // An organization's roles include the environment's.
        match scope {
            RoleScope::Organization(_) => {
                db::find_role(&mut conn, None, slug).await?.ok_or_else(|| AppError::not_found("Role"))
            }
            RoleScope::Environment => Err(AppError::not_found("Role")),
        }
    }

    async fn create_role(&self, admin: &Admin, scope: &RoleScope, role: NewRole) -> Result<Role, AppError> {
        let mut errors = app::error::FieldErrors::default();
        let slug = match (&role.slug, scope) {
            (Some(slug), _) if !slug.trim().is_empty() => errors.check(checked_slug("slug", slug)),
            (_, RoleScope::Organization(_)) => None,
            (_, RoleScope::Environment) => errors.check(checked_slug("slug", "")),
        };
        let name = errors.check(super::validate::required_name("name", &role.name, MAX_NAME_CHARS));
        let description = errors.check(checked_description(role.description));
        let priority = match role.priority {
            Some(priority) => errors.check(checked_priority(priority)).map(Some),
            None => Some(None),
        };
        errors.finish()?;
        let (Some(name), Some(description), Some(priority)) = (name, description, priority) else {
            return Err(AppError::Internal);
        };
        let mut tx = self.store.begin().await?;
        Self::require_scope_write(&mut tx, admin, scope).await?;
        let permissions = Self::checked_permissions(&mut tx, role.permissions).await?;
        let slug = match slug {
            Some(slug) => {
                if slug_taken(&mut tx, scope, &slug).await? {
                    return Err(AppError::conflict(
                        Conflict::SlugAlreadyExists,
                        format!("A role with the slug {slug:?} exists already."),
                    ));
                }
                slug
            }
            None => {
                let base = slug_from_name(&name);
                let mut candidate = base.clone();
                let mut n = 2;
                while slug_taken(&mut tx, scope, &candidate).await? {
                    candidate = format!("{base}-{n}");
                    n += 1;
                }
                candidate
            }
        };
        let priority = match priority {
            Some(priority) => priority,
            None => db::next_priority(&mut tx, scope.organization()).await?,
        };
        let now = now_ms();
        let insert = RoleInsert {
            organization: scope.organization(),
            slug: &slug,
            name: &name,
            description: description.as_deref(),
            priority,
        };
        let id = db::insert_role(&mut tx, &insert, now).await?;
        db::replace_role_permissions(&mut tx, &id, &permissions, now).await?;
        if role.is_default {
            db::set_default_role(&mut tx, scope.organization(), Some(&id), now).await?;
        }
        let created = Self::scope_role(&mut tx, scope, &slug).await?;
        record(&mut tx, &role_event(scope, "created"), scope.organization(), &created).await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn update_role(
        &self,
        admin: &Admin,
        scope: &RoleScope,
        slug: &str,
        update: RoleUpdate,
    ) -> Result<Role, AppError> {
        let mut errors = app::error::FieldErrors::default();
        let name = match &update.name {
            Some(name) => errors.check(super::validate::required_name("name", name, MAX_NAME_CHARS)).map(Some),
            None => Some(None),
        };
        let description = match update.description {
            Some(description) => errors.check(checked_description(description)).map(Some),
            None => Some(None),
        };
        let priority = match update.priority {
            Some(priority) => errors.check(checked_priority(priority)).map(Some),
            None => Some(None),
        };
        errors.finish()?;
        let (Some(name), Some(description), Some(priority)) = (name, description, priority) else {
            return Err(AppError::Internal);
        };
        let mut tx = self.store.begin().await?;
        Self::require_scope_write(&mut tx, admin, scope).await?;
        let role = Self::scope_role(&mut tx, scope, slug).await?;
        let now = now_ms();
        db::update_role(
            &mut tx,
            &role.id,
            name.as_deref().unwrap_or(&role.name),
            description.unwrap_or(role.description.clone()).as_deref(),
            priority.unwrap_or(role.priority),
            now,
        )
        .await?;
        if let Some(permissions) = update.permissions {
            Self::replace_permissions(&mut tx, scope, &role, permissions).await?;
        }
        match update.is_default {
            Some(true) if !role.is_default => {
                db::set_default_role(&mut tx, scope.organization(), Some(&role.id), now).await?;
            }
            Some(false) if role.is_default => {
                if *scope == RoleScope::Environment {
                    return Err(AppError::invalid(
                        "is_default",
                        "default_required",
                        "The environment always has a default role: make another role the default instead.",
                    ));
                }
                db::set_default_role(&mut tx, scope.organization(), None, now).await?;
            }
            _ => {}
        }
        let updated = Self::scope_role(&mut tx, scope, slug).await?;
        record(&mut tx, &role_event(scope, "updated"), scope.organization(), &updated).await?;
        commit(tx).await?;
        Ok(updated)
    }

    async fn delete_role(&self, admin: &Admin, scope: &RoleScope, slug: &str) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        Self::require_scope_write(&mut tx, admin, scope).await?;
        let role = Self::scope_role(&mut tx, scope, slug).await?;
        if built_in_permissions(scope, slug).is_some() {
            return Err(AppError::conflict(
                Conflict::BuiltIn,
                format!("The {slug} role is built in: the security rules rely on it."),
            ));
        }
        if role.is_default {
            return Err(AppError::conflict(
                Conflict::RoleInUse,
                format!("The {} role is the default for new members; make another role the default first.", role.name),
            ));
        }
        let holders = db::count_role_holders(&mut tx, scope.organization(), slug).await?;
        if holders > 0 {
            let members =
                if holders == 1 { "1 member holds it".to_owned() } else { format!("{holders} members hold it") };
            return Err(AppError::conflict(
                Conflict::RoleInUse,
                format!("The {} role can't be deleted: {members}. Give them another role first.", role.name),
            ));
        }
        db::delete_role(&mut tx, &role.id).await?;
        record(&mut tx, &role_event(scope, "deleted"), scope.organization(), &role).await?;
        commit(tx).await?;
        Ok(())
    }

    async fn set_role_permissions(
        &self,
        admin: &Admin,
        scope: &RoleScope,
        slug: &str,
        permissions: Vec<String>,
    ) -> Result<Role, AppError> {
        self.write_role_permissions(admin, scope, slug, permissions).await
    }

    async fn add_role_permission(
        &self,
        admin: &Admin,
        scope: &RoleScope,
        slug: &str,
        permission: &str,
    ) -> Result<Role, AppError> {
        let mut conn = self.store.read().await?;
        Self::require_scope_read(&mut conn, admin, scope).await?;
        let mut permissions = Self::scope_role(&mut conn, scope, slug).await?.permissions;
        drop(conn);
        let permission = permission.trim();
        if permission.is_empty() {
            return Err(AppError::invalid("slug", "slug_required", "Name the permission to add."));
        }
        permissions.push(permission.to_owned());
        self.write_role_permissions(admin, scope, slug, permissions).await
    }

    async fn remove_role_permission(
        &self,
        admin: &Admin,
        scope: &RoleScope,
        slug: &str,
        permission: &str,
    ) -> Result<Role, AppError> {
        let mut conn = self.store.read().await?;
        Self::require_scope_read(&mut conn, admin, scope).await?;
        let role = Self::scope_role(&mut conn, scope, slug).await?;
        drop(conn);
        if !role.permissions.iter().any(|held| held == permission) {
            return Err(AppError::not_found("Permission"));
        }
        let permissions = role.permissions.into_iter().filter(|held| held != permission).collect();
        self.write_role_permissions(admin, scope, slug, permissions).await
    }

    async fn list_permissions(&self, _admin: &Admin, page: Page) -> Result<List<Permission>, AppError> {
        let page = page.checked()?;
        let mut conn = self.store.read().await?;
        Ok(db::list_permissions(&mut conn, &page).await?)
    }

    async fn get_permission(&self, _admin: &Admin, slug: &str) -> Result<Permission, AppError> {
        let mut conn = self.store.read().await?;
        db::find_permission(&mut conn, slug).await?.ok_or_else(|| AppError::not_found("Permission"))
    }

    async fn create_permission(&self, admin: &Admin, permission: NewPermission) -> Result<Permission, AppError> {
        admin.require_environment()?;
        let mut errors = app::error::FieldErrors::default();
        let slug = errors.check(checked_slug("slug", &permission.slug));
        let name = errors.check(super::validate::required_name("name", &permission.name, MAX_NAME_CHARS));
        let description = errors.check(checked_description(permission.description));
        errors.finish()?;
        let (Some(slug), Some(name), Some(description)) = (slug, name, description) else {
            return Err(AppError::Internal);
        };
        let mut tx = self.store.begin().await?;
        if db::find_permission(&mut tx, &slug).await?.is_some() {
            return Err(AppError::conflict(
                Conflict::SlugAlreadyExists,
                format!("A permission with the slug {slug:?} exists already."),
            ));
        }
        db::insert_permission(&mut tx, &slug, &name, description.as_deref(), now_ms()).await.map_err(|error| {
            match error {
                crate::store::StoreError::Duplicate => AppError::conflict(
                    Conflict::SlugAlreadyExists,
                    format!("A permission with the slug {slug:?} exists already."),
                ),
                other => other.into(),
            }
        })?;
        let created = db::find_permission(&mut tx, &slug).await?.ok_or(AppError::Internal)?;
        record(&mut tx, "permission.created", None, &created).await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn update_permission(
        &self,
        admin: &Admin,
        slug: &str,
        update: PermissionUpdate,
    ) -> Result<Permission, AppError> {
        admin.require_environment()?;
        let mut errors = app::error::FieldErrors::default();
        let name = match &update.name {
            Some(name) => errors.check(super::validate::required_name("name", name, MAX_NAME_CHARS)).map(Some),
            None => Some(None),
        };
        let description = match update.description {
            Some(description) => errors.check(checked_description(description)).map(Some),
            None => Some(None),
        };
        errors.finish()?;
        let (Some(name), Some(description)) = (name, description) else {
            return Err(AppError::Internal);
        };
        let mut tx = self.store.begin().await?;
        let permission = db::find_permission(&mut tx, slug).await?.ok_or_else(|| AppError::not_found("Permission"))?;
        db::update_permission(
            &mut tx,
            slug,
            name.as_deref().unwrap_or(&permission.name),
            description.unwrap_or(permission.description).as_deref(),
            now_ms(),
        )
        .await?;
        let updated = db::find_permission(&mut tx, slug).await?.ok_or(AppError::Internal)?;
        record(&mut tx, "permission.updated", None, &updated).await?;
        commit(tx).await?;
        Ok(updated)
    }

    async fn delete_permission(&self, admin: &Admin, slug: &str) -> Result<(), AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        let permission = db::find_permission(&mut tx, slug).await?.ok_or_else(|| AppError::not_found("Permission"))?;
        if permission.system {
            return Err(AppError::conflict(
                Conflict::BuiltIn,
                format!("The {slug} permission is built in: the security rules rely on it."),
            ));
        }
        let roles = db::roles_using_permission(&mut tx, slug, None).await?;
        db::delete_permission(&mut tx, slug, now_ms()).await?;
        let removed_from: Vec<&str> = roles.iter().map(|role| role.slug.as_str()).collect();
        record(
            &mut tx,
            "permission.deleted",
            None,
            &serde_json::json!({ "permission": permission, "removed_from_roles": removed_from }),
        )
        .await?;
        commit(tx).await?;
        Ok(())
    }

    async fn roles_using_permission(&self, admin: &Admin, slug: &str) -> Result<Vec<Role>, AppError> {
        let mut conn = self.store.read().await?;
        db::find_permission(&mut conn, slug).await?.ok_or_else(|| AppError::not_found("Permission"))?;
        let roles = db::roles_using_permission(&mut conn, slug, admin.organization()).await?;
        Ok(roles)
    }

    async fn role_settings(&self, _admin: &Admin) -> Result<RoleSettings, AppError> {
        let mut conn = self.store.read().await?;
        Ok(RoleSettings { multiple_roles_enabled: Self::multiple_roles_enabled(&mut conn).await? })
    }

    async fn update_role_settings(&self, admin: &Admin, settings: RoleSettings) -> Result<RoleSettings, AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        let value = if settings.multiple_roles_enabled { "true" } else { "false" };
        db::put_setting(&mut tx, MULTIPLE_ROLES_SETTING, value).await?;
        record(&mut tx, "authorization.settings_updated", None, &settings).await?;
        commit(tx).await?;
        Ok(settings)
    }

    async fn list_role_assignments(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        page: Page,
    ) -> Result<List<RoleAssignment>, AppError> {
        let page = page.checked()?;
        let (mut conn, membership) = self.reached_membership(admin, membership).await?;
        Ok(db::list_role_assignments(&mut conn, &membership.id, &page).await?)
    }

    async fn assign_role(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        role_slug: &str,
        resource: &ResourceRef,
    ) -> Result<RoleAssignment, AppError> {
        let (conn, found) = self.reached_membership(admin, membership).await?;
        drop(conn);
        check_resource(resource, &found.organization_id)?;
        let role_slug = role_slug.trim();
        if role_slug.is_empty() {
            return Err(AppError::invalid("role_slug", "role_slug_required", "Name the role to assign."));
        }
        if found.has_role(role_slug) {
            return Err(AppError::conflict(
                Conflict::MembershipAlreadyExists,
                format!("The membership holds the {role_slug} role already."),
            ));
        }
        let mut roles: Vec<String> = found.roles.iter().map(|role| role.slug.clone()).collect();
        roles.push(role_slug.to_owned());
        self.set_membership_roles(admin, membership, roles).await.map_err(|error| match error {
            AppError::Validation(mut errors) => {
                for error in &mut errors {
                    error.field = "role_slug".into();
                }
                AppError::Validation(errors)
            }
            other => other,
        })?;
        let mut conn = self.store.read().await?;
        db::find_role_assignment(&mut conn, membership, AssignmentKey::Slug(role_slug)).await?.ok_or(AppError::Internal)
    }

    async fn remove_role(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        role_slug: &str,
        resource: &ResourceRef,
    ) -> Result<(), AppError> {
        let (conn, found) = self.reached_membership(admin, membership).await?;
        drop(conn);
        check_resource(resource, &found.organization_id)?;
        if !found.has_role(role_slug) {
            return Err(AppError::not_found("Role assignment"));
        }
        self.unassign(admin, &found, role_slug).await
    }

    async fn remove_role_assignment(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        assignment: &RoleAssignmentId,
    ) -> Result<(), AppError> {
        let (mut conn, found) = self.reached_membership(admin, membership).await?;
        let assignment = db::find_role_assignment(&mut conn, membership, AssignmentKey::Id(assignment))
            .await?
            .ok_or_else(|| AppError::not_found("Role assignment"))?;
        drop(conn);
        self.unassign(admin, &found, &assignment.role.slug).await
    }

    async fn check_permission(
        &self,
        admin: &Admin,
        membership: &MembershipId,
        permission: &str,
        resource: &ResourceRef,
    ) -> Result<bool, AppError> {
        if permission.trim().is_empty() {
            return Err(AppError::invalid(
                "permission_slug",
                "permission_slug_required",
                "Name the permission to check.",
            ));
        }
        let (mut conn, found) = self.reached_membership(admin, membership).await?;
        check_resource(resource, &found.organization_id)?;
        db::find_permission(&mut conn, permission).await?.ok_or_else(|| AppError::not_found("Permission"))?;
        if found.status != MembershipStatus::Active {
            return Ok(false);
        }
        Ok(Self::permissions_of(&mut conn, &found).await?.iter().any(|held| held == permission))
    }
}

impl Core {
    /// The union of the permissions of a membership's roles, sorted: what access tokens carry
    /// and what checks answer from.
    pub(crate) async fn permissions_of(
        conn: &mut Connection,
        membership: &OrganizationMembership,
    ) -> Result<Vec<String>, AppError> {
        let mut permissions: Vec<String> = db::list_roles(conn, Some(&membership.organization_id))
            .await?
            .into_iter()
            .filter(|role| membership.has_role(&role.slug))
            .flat_map(|role| role.permissions)
            .collect();
        permissions.sort();
        permissions.dedup();
        Ok(permissions)
    }

    /// Takes one role from a membership, which keeps at least one.
    async fn unassign(&self, admin: &Admin, membership: &OrganizationMembership, slug: &str) -> Result<(), AppError> {
        let remaining: Vec<String> =
            membership.roles.iter().map(|role| role.slug.clone()).filter(|held| held != slug).collect();
        if remaining.is_empty() {
            return Err(AppError::invalid(
                "role_slug",
                "last_role",
                "A membership keeps at least one role: assign another role first.",
            ));
        }
        self.set_membership_roles(admin, &membership.id, remaining).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_path_safe() {
        assert!(checked_slug("slug", "documents:read").is_ok());
        assert!(checked_slug("slug", "billing-admin").is_ok());
        assert!(checked_slug("slug", "Billing").is_err());
        assert!(checked_slug("slug", "a/b").is_err());
        assert!(checked_slug("slug", ":a").is_err());
        assert!(checked_slug("slug", "").is_err());
    }

    #[test]
    fn names_become_slugs() {
        assert_eq!(slug_from_name("Billing Admin"), "billing-admin");
        assert_eq!(slug_from_name("  ??  "), "role");
        assert_eq!(slug_from_name("Ops / On-call!"), "ops-on-call");
    }

    #[test]
    fn only_the_organization_is_a_resource() {
        let org = OrganizationId::generate();
        assert!(check_resource(&ResourceRef::default(), &org).is_ok());
        let by_id = ResourceRef { resource_id: Some(org.to_string()), ..Default::default() };
        assert!(check_resource(&by_id, &org).is_ok());
        let other = ResourceRef { resource_id: Some("authz_resource_x".into()), ..Default::default() };
        assert!(matches!(check_resource(&other, &org), Err(AppError::NotFound(_))));
        let typed = ResourceRef {
            resource_external_id: Some(org.to_string()),
            resource_type_slug: Some("document".into()),
            ..Default::default()
        };
        assert!(check_resource(&typed, &org).is_err());
    }
}
