//! Roles and permissions: the `/roles` page (the permissions catalog, the environment's roles
//! and the current organization's roles) and the roles the other pages offer.
//!
//! Platform admins change the catalog, the environment's roles and whether a member may hold
//! several roles; an organization's owners change its roles; its admins read them.

use crate::error::AppError;
use crate::layout::{Gate, WithViewer};
use crate::model::*;
use crate::ui::{DataTable, EmptyState, ErrorBanner, FieldError, LoadError, Loading, NewerOlder, form_errors};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// The roles that can be given in the current organization.
#[server(prefix = "/api", endpoint = "roles", input = Json)]
pub async fn assignable_roles() -> Result<Vec<Role>, AppError> {
    let caller = caller().await?;
    let admin = caller.admin()?;
    directory().list_roles(&admin, admin.organization()).await
}

/// A permission with the names of the roles that use it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PermissionUsage {
    pub permission: Permission,
    pub roles: Vec<String>,
}

/// Everything the roles page shows, and what the viewer may change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RolesPageData {
    pub permissions: List<PermissionUsage>,
    /// The whole catalog's slugs and names, for the roles' checkboxes.
    pub catalog: Vec<(String, String)>,
    pub environment_roles: Vec<Role>,
    pub organization_roles: Vec<Role>,
    pub settings: RoleSettings,
    /// A platform admin: changes the catalog, the environment's roles and the settings.
    pub may_edit_environment: bool,
    /// An owner of the current organization (or a platform admin): changes its roles.
    pub may_edit_organization: bool,
}

/// The roles page's data: a page of the catalog, the roles of the environment and of the
/// current organization.
#[server(prefix = "/api", endpoint = "roles-overview", input = Json)]
pub async fn roles_overview(page: Page) -> Result<RolesPageData, AppError> {
    use crate::directory::Authority;
    let caller = caller().await?;
    let admin = caller.admin()?;
    let directory = directory();
    let listed = directory.list_permissions(&admin, page).await?;
    let mut usages = Vec::with_capacity(listed.data.len());
    for permission in listed.data {
        let roles = directory.roles_using_permission(&admin, &permission.slug).await?;
        usages.push(PermissionUsage { permission, roles: roles.into_iter().map(|role| role.name).collect() });
    }
    let mut catalog = Vec::new();
    let mut catalog_page = Page { limit: Page::MAX_LIMIT, order: Order::Asc, ..Page::default() };
    loop {
        let batch = directory.list_permissions(&admin, catalog_page.clone()).await?;
        catalog.extend(batch.data.into_iter().map(|permission| (permission.slug, permission.name)));
        match batch.list_metadata.after {
            Some(after) => catalog_page.after = Some(after),
            None => break,
        }
    }
    let environment_roles = directory.list_scope_roles(&admin, &RoleScope::Environment).await?;
    let organization_roles = match admin.organization() {
        Some(organization) => {
            directory.list_scope_roles(&admin, &RoleScope::Organization(organization.clone())).await?
        }
        None => Vec::new(),
    };
    Ok(RolesPageData {
        permissions: List { data: usages, list_metadata: listed.list_metadata },
        catalog,
        environment_roles,
        organization_roles,
        settings: directory.role_settings(&admin).await?,
        may_edit_environment: caller.environment_admin().is_ok(),
        may_edit_organization: admin.authority() >= Authority::Owner,
    })
}

/// Adds a permission to the catalog (no `original_slug`) or renames one.
#[server(prefix = "/api", endpoint = "save-permission")]
pub async fn save_permission(
    #[server(default)] original_slug: String,
    #[server(default)] slug: String,
    name: String,
    #[server(default)] description: String,
) -> Result<String, AppError> {
    let admin = caller().await?.environment_admin()?;
    let directory = directory();
    if original_slug.is_empty() {
        let created = directory.create_permission(&admin, NewPermission { slug, name, description: Some(description) });
        Ok(format!("Added the permission {}.", created.await?.slug))
    } else {
        let update = PermissionUpdate { name: Some(name), description: Some(Some(description)) };
        Ok(format!("Saved the permission {}.", directory.update_permission(&admin, &original_slug, update).await?.slug))
    }
}

/// Deletes a permission; when roles use it, only once the caller confirms taking it from them.
#[server(prefix = "/api", endpoint = "delete-permission")]
pub async fn delete_permission(slug: String, #[server(default)] confirm: Option<String>) -> Result<String, AppError> {
    let admin = caller().await?.environment_admin()?;
    let directory = directory();
    let roles = directory.roles_using_permission(&admin, &slug).await?;
    if !roles.is_empty() && confirm.as_deref() != Some("yes") {
        let names: Vec<String> = roles.iter().map(|role| role.name.clone()).collect();
        return Err(AppError::invalid(
            "confirm",
            "confirm_required",
            format!("Used by {}. Tick the box to take it from them too.", names.join(", ")),
        ));
    }
    directory.delete_permission(&admin, &slug).await?;
    Ok(format!("Deleted the permission {slug}."))
}

/// The grant and scope a role form acts in: the environment (platform admins), or the current
/// organization, never one named by the request.
#[cfg(feature = "ssr")]
async fn role_scope(scope: &str) -> Result<(crate::directory::Admin, RoleScope), AppError> {
    let caller = caller().await?;
    if scope == "environment" {
        return Ok((caller.environment_admin()?, RoleScope::Environment));
    }
    let admin = caller.admin()?;
    let organization = admin.organization().cloned().ok_or_else(|| AppError::not_found("Organization"))?;
    Ok((admin, RoleScope::Organization(organization)))
}

/// Creates a role (no `original_slug`) or changes one, with its permissions.
#[server(prefix = "/api", endpoint = "save-role")]
#[allow(clippy::too_many_arguments)]
pub async fn save_role(
    scope: String,
    #[server(default)] original_slug: String,
    #[server(default)] slug: String,
    name: String,
    #[server(default)] description: String,
    #[server(default)] priority: String,
    #[server(default)] is_default: Option<String>,
    #[server(default)] permissions: Vec<String>,
) -> Result<String, AppError> {
    let (admin, scope) = role_scope(&scope).await?;
    let directory = directory();
    let priority = match priority.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| AppError::invalid("priority", "priority_invalid", "Enter a whole number, such as 3."))?,
        ),
    };
    let is_default = is_default.is_some();
    if original_slug.is_empty() {
        let role =
            NewRole { slug: Some(slug), name, description: Some(description), permissions, priority, is_default };
        Ok(format!("Created the role {}.", directory.create_role(&admin, &scope, role).await?.name))
    } else {
        let update = RoleUpdate {
            name: Some(name),
            description: Some(Some(description)),
            priority,
            is_default: Some(is_default),
            permissions: Some(permissions),
        };
        let saved = directory.update_role(&admin, &scope, &original_slug, update).await?;
        Ok(format!("Saved the role {}.", saved.name))
    }
}

/// Deletes a role no member holds.
#[server(prefix = "/api", endpoint = "delete-role")]
pub async fn delete_role(scope: String, slug: String) -> Result<String, AppError> {
    let (admin, scope) = role_scope(&scope).await?;
    directory().delete_role(&admin, &scope, &slug).await?;
    Ok(format!("Deleted the role {slug}."))
}

/// Lets members hold several roles, or one.
#[server(prefix = "/api", endpoint = "save-role-settings")]
pub async fn save_role_settings(#[server(default)] multiple_roles_enabled: Option<String>) -> Result<String, AppError> {
    let admin = caller().await?.environment_admin()?;
    let settings = RoleSettings { multiple_roles_enabled: multiple_roles_enabled.is_some() };
    let saved = directory().update_role_settings(&admin, settings).await?;
    Ok(if saved.multiple_roles_enabled {
        "Members may hold several roles.".into()
    } else {
        "Each member holds one role.".into()
    })
}

/// Counts changes made on the page, so its data reloads after each.
#[derive(Clone, Copy)]
struct Changes(RwSignal<usize>);

/// Bumps [`Changes`] whenever the action succeeds.
fn reload_after<A>(action: ServerAction<A>)
where
    A: leptos::server_fn::ServerFn<Output = String, Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Send + Sync + 'static,
{
    let changes = expect_context::<Changes>();
    Effect::new(move |_| {
        if action.value().get().is_some_and(|result| result.is_ok()) {
            changes.0.update(|n| *n += 1);
        }
    });
}

/// The roles page.
#[component]
pub fn RolesPage() -> impl IntoView {
    let changes = Changes(RwSignal::new(0));
    provide_context(changes);
    let query = use_query_map();
    let page = move || {
        let query = query.read();
        Page { after: query.get("after"), before: query.get("before"), ..Page::default() }
    };
    let overview = Resource::new(move || (page(), changes.0.get()), |(page, _)| roles_overview(page));
    let content = move |viewer: Viewer| {
        let organization = viewer.organization.clone().map(|o| o.name).unwrap_or_default();
        view! {
            <div class="page-head">
                <div>
                    <h1>"Roles"</h1>
                    <p class="muted">
                        "A role is a set of permissions. Access tokens carry the permissions of every role a member holds."
                    </p>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading what="roles"/> }>
                {move || {
                    let organization = organization.clone();
                    Suspend::new(async move {
                        match overview.await {
                            Ok(overview) => view! { <Overview overview organization/> }.into_any(),
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })
                }}
            </Transition>
        }
        .into_any()
    };
    view! {
        <Title text="Roles"/>
        <WithViewer gate=Gate::Admin render=content/>
    }
}

#[component]
fn Overview(overview: RolesPageData, organization: String) -> impl IntoView {
    let RolesPageData {
        permissions,
        catalog,
        environment_roles,
        organization_roles,
        settings,
        may_edit_environment,
        may_edit_organization,
    } = overview;
    let org_heading = format!("Roles of {organization}");
    let org_note = if may_edit_organization {
        "Only this organization can give these roles. Its owners change them."
    } else {
        "Only this organization can give these roles. Its owners change them; you can read them."
    };
    view! {
        {may_edit_environment.then(|| view! { <SettingsForm settings/> })}
        <section class="section" aria-labelledby="permissions-heading">
            <h2 id="permissions-heading">"Permissions"</h2>
            <p class="muted">"The catalog roles are made of. Built-in permissions can't be deleted."</p>
            {may_edit_environment.then(|| view! { <NewPermissionForm/> })}
            <PermissionsTable permissions editable=may_edit_environment/>
        </section>
        <RolesSection
            id="environment-roles"
            heading="Environment roles".to_owned()
            note="Every organization can give these roles. Platform admins change them."
            scope="environment"
            roles=environment_roles
            catalog=catalog.clone()
            editable=may_edit_environment
        />
        <RolesSection
            id="organization-roles"
            heading=org_heading
            note=org_note
            scope="organization"
            roles=organization_roles
            catalog
            editable=may_edit_organization
        />
    }
}

#[component]
fn SettingsForm(settings: RoleSettings) -> impl IntoView {
    let save = ServerAction::<SaveRoleSettings>::new();
    reload_after(save);
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <section class="card" aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <ErrorBanner error/>
            <ActionForm action=save attr:class="inline-form">
                <label class="checkbox">
                    <input type="checkbox" name="multiple_roles_enabled" value="on" checked=settings.multiple_roles_enabled/>
                    "Members may hold several roles"
                </label>
                <button type="submit" class="button" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
            </ActionForm>
            <Saved action=save/>
        </section>
    }
}

/// The success message of a form's last submission.
#[component]
fn Saved<A>(action: ServerAction<A>) -> impl IntoView
where
    A: leptos::server_fn::ServerFn<Output = String, Error = AppError> + Clone + Send + Sync + 'static,
{
    view! {
        {move || action.value().get().and_then(Result::ok).map(|message| view! {
            <p class="alert alert-success" role="status">{message}</p>
        })}
    }
}

#[component]
fn NewPermissionForm() -> impl IntoView {
    let save = ServerAction::<SavePermission>::new();
    reload_after(save);
    let (field, other) = form_errors(move || save.value().get().and_then(Result::err));
    let (slug_error, name_error, description_error) = (field("slug"), field("name"), field("description"));
    view! {
        <div class="card stack">
            <h3>"Add a permission"</h3>
            <ErrorBanner error=other/>
            <ActionForm action=save attr:novalidate=true attr:class="invite-form">
                <div class="field">
                    <label for="new-permission-slug">"Slug"</label>
                    <input id="new-permission-slug" name="slug" placeholder="invoices:read" autocomplete="off"
                        aria-invalid=move || slug_error.get().is_some().to_string()
                        aria-describedby="new-permission-slug-error"/>
                    <FieldError id="new-permission-slug-error" message=slug_error/>
                </div>
                <div class="field">
                    <label for="new-permission-name">"Name"</label>
                    <input id="new-permission-name" name="name" placeholder="Read invoices" autocomplete="off"
                        aria-invalid=move || name_error.get().is_some().to_string()
                        aria-describedby="new-permission-name-error"/>
                    <FieldError id="new-permission-name-error" message=name_error/>
                </div>
                <div class="field grow">
                    <label for="new-permission-description">"Description"</label>
                    <input id="new-permission-description" name="description" autocomplete="off"
                        aria-invalid=move || description_error.get().is_some().to_string()
                        aria-describedby="new-permission-description-error"/>
                    <FieldError id="new-permission-description-error" message=description_error/>
                </div>
                <button type="submit" class="button primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Adding…" } else { "Add permission" }}
                </button>
            </ActionForm>
            <Saved action=save/>
        </div>
    }
}

#[component]
fn PermissionsTable(permissions: List<PermissionUsage>, editable: bool) -> impl IntoView {
    if permissions.data.is_empty() {
        return view! {
            <EmptyState title="No permissions yet">
                <p class="muted">"Add one above, then give it to roles."</p>
            </EmptyState>
        }
        .into_any();
    }
    let metadata = permissions.list_metadata.clone();
    view! {
        <DataTable caption="Permissions" columns=&["Slug", "Name", "Description", "Used by"] actions=editable>
            {permissions
                .data
                .into_iter()
                .map(|usage| view! { <PermissionRow usage editable/> })
                .collect_view()}
        </DataTable>
        <NewerOlder path="/roles" metadata/>
    }
    .into_any()
}

#[component]
fn PermissionRow(usage: PermissionUsage, editable: bool) -> impl IntoView {
    let PermissionUsage { permission, roles } = usage;
    let used_by = if roles.is_empty() { "No role".to_owned() } else { roles.join(", ") };
    let slug = permission.slug.clone();
    view! {
        <tr data-permission=slug.clone()>
            <th scope="row">
                <code>{slug.clone()}</code>
                {permission.system.then(|| view! { " " <span class="badge">"Built in"</span> })}
            </th>
            <td>{permission.name.clone()}</td>
            <td>{permission.description.clone().unwrap_or_default()}</td>
            <td>{used_by}</td>
            {editable.then(|| view! {
                <td class="actions">
                    <EditPermissionForm permission=permission.clone()/>
                    {(!permission.system).then(|| view! { <DeletePermissionForm slug=slug.clone() roles=roles.clone()/> })}
                </td>
            })}
        </tr>
    }
}

#[component]
fn EditPermissionForm(permission: Permission) -> impl IntoView {
    let save = ServerAction::<SavePermission>::new();
    reload_after(save);
    let (field, other) = form_errors(move || save.value().get().and_then(Result::err));
    let name_error = field("name");
    let description_error = field("description");
    let slug = permission.slug.clone();
    let prefix = format!("permission-{}", permission.slug);
    let id = move |what: &str| format!("{prefix}-{what}");
    view! {
        <details class="confirm">
            <summary class="button small" aria-label=format!("Edit {slug}")>"Edit"</summary>
            <div class="confirm-panel">
                <ErrorBanner error=other/>
                <ActionForm action=save attr:novalidate=true attr:class="stack">
                    <input type="hidden" name="original_slug" value=slug.clone()/>
                    <div class="field">
                        <label for=id("name")>"Name"</label>
                        <input id=id("name") name="name" value=permission.name.clone() autocomplete="off"
                            aria-invalid=move || name_error.get().is_some().to_string()
                            aria-describedby=id("name-error")/>
                        <FieldError id=id("name-error") message=name_error/>
                    </div>
                    <div class="field">
                        <label for=id("description")>"Description"</label>
                        <input id=id("description") name="description"
                            value=permission.description.clone().unwrap_or_default() autocomplete="off"
                            aria-invalid=move || description_error.get().is_some().to_string()
                            aria-describedby=id("description-error")/>
                        <FieldError id=id("description-error") message=description_error/>
                    </div>
                    <button type="submit" class="button small primary" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                </ActionForm>
            </div>
        </details>
    }
}

#[component]
fn DeletePermissionForm(slug: String, roles: Vec<String>) -> impl IntoView {
    let delete = ServerAction::<DeletePermission>::new();
    reload_after(delete);
    let (field, other) = form_errors(move || delete.value().get().and_then(Result::err));
    let confirm_error = field("confirm");
    let confirm_id = format!("permission-{slug}-confirm");
    view! {
        <details class="confirm">
            <summary class="button small danger" aria-label=format!("Delete {slug}")>"Delete"</summary>
            <div class="confirm-panel">
                <ErrorBanner error=other/>
                <ActionForm action=delete>
                    <input type="hidden" name="slug" value=slug.clone()/>
                    {if roles.is_empty() {
                        view! { <p>{format!("Delete {slug}? No role uses it.")}</p> }.into_any()
                    } else {
                        view! {
                            <p>{format!("{slug} is used by {}. Deleting it takes it from them.", roles.join(", "))}</p>
                            <label class="checkbox" for=confirm_id.clone()>
                                <input id=confirm_id.clone() type="checkbox" name="confirm" value="yes"
                                    aria-describedby=format!("{confirm_id}-error")/>
                                {format!("Also take it from {}", roles.join(", "))}
                            </label>
                            <FieldError id=format!("{confirm_id}-error") message=confirm_error/>
                        }
                        .into_any()
                    }}
                    <button type="submit" class="button small danger" disabled=move || delete.pending().get()>
                        {move || if delete.pending().get() { "Deleting…" } else { "Delete permission" }}
                    </button>
                </ActionForm>
            </div>
        </details>
    }
}

#[component]
fn RolesSection(
    id: &'static str,
    heading: String,
    note: &'static str,
    scope: &'static str,
    roles: Vec<Role>,
    catalog: Vec<(String, String)>,
    editable: bool,
) -> impl IntoView {
    let heading_id = format!("{id}-heading");
    let labelled_by = heading_id.clone();
    let empty = roles.is_empty();
    view! {
        <section class="section" aria-labelledby=labelled_by id=id>
            <h2 id=heading_id>{heading}</h2>
            <p class="muted">{note}</p>
            {editable.then(|| view! {
                <details class="card role-new">
                    <summary class="button primary">"New role"</summary>
                    <RoleForm scope role=None catalog=catalog.clone()/>
                </details>
            })}
            {empty.then(|| view! {
                <EmptyState title="No roles here yet">
                    <p class="muted">"The environment's roles apply until one is added."</p>
                </EmptyState>
            })}
            <ul class="role-list">
                {roles
                    .into_iter()
                    .map(|role| view! { <RoleCard scope role catalog=catalog.clone() editable/> })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn RoleCard(scope: &'static str, role: Role, catalog: Vec<(String, String)>, editable: bool) -> impl IntoView {
    let permissions =
        if role.permissions.is_empty() { "No permissions".to_owned() } else { role.permissions.join(", ") };
    view! {
        <li class="card role-card" data-role=role.slug.clone()>
            <div class="role-head">
                <h3>{role.name.clone()}</h3>
                <code>{role.slug.clone()}</code>
                {role.is_default.then(|| view! { <span class="badge status-active">"Default"</span> })}
                <span class="muted">{format!("Priority {}", role.priority)}</span>
            </div>
            {role.description.clone().map(|description| view! { <p>{description}</p> })}
            <p><span class="muted">"Permissions: "</span>{permissions}</p>
            {editable.then(|| view! {
                <div class="role-actions">
                    <details class="role-edit">
                        <summary class="button small" aria-label=format!("Edit {}", role.name)>"Edit"</summary>
                        <RoleForm scope role=Some(role.clone()) catalog/>
                    </details>
                    <DeleteRoleForm scope slug=role.slug.clone() name=role.name.clone()/>
                </div>
            })}
        </li>
    }
}

#[component]
fn RoleForm(scope: &'static str, role: Option<Role>, catalog: Vec<(String, String)>) -> impl IntoView {
    let save = ServerAction::<SaveRole>::new();
    reload_after(save);
    let (field, other) = form_errors(move || save.value().get().and_then(Result::err));
    let errors = ["slug", "name", "description", "priority", "is_default", "permissions"].map(field);
    let [slug_error, name_error, description_error, priority_error, default_error, permissions_error] = errors;
    let key = role.as_ref().map(|role| role.slug.clone()).unwrap_or_else(|| "new".into());
    let prefix = format!("{scope}-role-{key}");
    let id = move |what: &str| format!("{prefix}-{what}");
    let held = role.as_ref().map(|role| role.permissions.clone()).unwrap_or_default();
    let existing = role.is_some();
    view! {
        <div class="role-form">
            <ErrorBanner error=other/>
            <ActionForm action=save attr:novalidate=true attr:class="stack">
                <input type="hidden" name="scope" value=scope/>
                <input type="hidden" name="original_slug" value=role.as_ref().map(|r| r.slug.clone()).unwrap_or_default()/>
                <div class="form-row">
                    <div class="field">
                        <label for=id("slug")>"Slug"</label>
                        <input id=id("slug") name="slug" autocomplete="off" readonly=existing
                            value=role.as_ref().map(|r| r.slug.clone()).unwrap_or_default()
                            placeholder="billing-admin"
                            aria-invalid=move || slug_error.get().is_some().to_string()
                            aria-describedby=id("slug-error")/>
                        <FieldError id=id("slug-error") message=slug_error/>
                    </div>
                    <div class="field">
                        <label for=id("name")>"Name"</label>
                        <input id=id("name") name="name" autocomplete="off"
                            value=role.as_ref().map(|r| r.name.clone()).unwrap_or_default()
                            aria-invalid=move || name_error.get().is_some().to_string()
                            aria-describedby=id("name-error")/>
                        <FieldError id=id("name-error") message=name_error/>
                    </div>
                    <div class="field">
                        <label for=id("priority")>"Priority"</label>
                        <input id=id("priority") name="priority" inputmode="numeric" autocomplete="off"
                            value=role.as_ref().map(|r| r.priority.to_string()).unwrap_or_default()
                            aria-invalid=move || priority_error.get().is_some().to_string()
                            aria-describedby=id("priority-error")/>
                        <FieldError id=id("priority-error") message=priority_error/>
                    </div>
                </div>
                <div class="field">
                    <label for=id("description")>"Description"</label>
                    <input id=id("description") name="description" autocomplete="off"
                        value=role.as_ref().and_then(|r| r.description.clone()).unwrap_or_default()
                        aria-invalid=move || description_error.get().is_some().to_string()
                        aria-describedby=id("description-error")/>
                    <FieldError id=id("description-error") message=description_error/>
                </div>
                <fieldset class="permission-choices" aria-describedby=id("permissions-error")>
                    <legend>"Permissions"</legend>
                    {if catalog.is_empty() {
                        view! { <p class="muted">"The catalog is empty."</p> }.into_any()
                    } else {
                        catalog
                            .iter()
                            .enumerate()
                            .map(|(index, (slug, name))| {
                                let checked = held.contains(slug);
                                view! {
                                    <label class="checkbox">
                                        <input type="checkbox" name=format!("permissions[{index}]") value=slug.clone() checked=checked/>
                                        <span>{name.clone()} <code>{slug.clone()}</code></span>
                                    </label>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </fieldset>
                <FieldError id=id("permissions-error") message=permissions_error/>
                <label class="checkbox">
                    <input type="checkbox" name="is_default" value="on"
                        checked=role.as_ref().is_some_and(|r| r.is_default)
                        aria-describedby=id("is_default-error")/>
                    "Default role for new members"
                </label>
                <FieldError id=id("is_default-error") message=default_error/>
                <div>
                    <button type="submit" class="button primary" disabled=move || save.pending().get()>
                        {move || match (save.pending().get(), existing) {
                            (true, _) => "Saving…",
                            (false, true) => "Save role",
                            (false, false) => "Create role",
                        }}
                    </button>
                </div>
            </ActionForm>
            <Saved action=save/>
        </div>
    }
}

#[component]
fn DeleteRoleForm(scope: &'static str, slug: String, name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteRole>::new();
    reload_after(delete);
    let error = Signal::derive(move || delete.value().get().and_then(Result::err));
    view! {
        <details class="confirm">
            <summary class="button small danger" aria-label=format!("Delete {name}")>"Delete"</summary>
            <div class="confirm-panel">
                <ErrorBanner error/>
                <ActionForm action=delete>
                    <input type="hidden" name="scope" value=scope/>
                    <input type="hidden" name="slug" value=slug/>
                    <p>{format!("Delete the {name} role? Roles still held by members can't be deleted.")}</p>
                    <button type="submit" class="button small danger" disabled=move || delete.pending().get()>
                        {move || if delete.pending().get() { "Deleting…" } else { "Delete role" }}
                    </button>
                </ActionForm>
            </div>
        </details>
    }
}
