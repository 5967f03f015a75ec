//! The user detail page (`/users/{id}`): a user's profile with its editor, their memberships
//! with roles per organization, their sessions, the admin actions on them, and their activity.
//!
//! Organization admins and owners work on the organization of their session: they see the
//! user's membership there and that organization's sessions and events only. Platform admins
//! see everything about the user, across organizations.

use crate::error::AppError;
use crate::format;
use crate::ids::*;
use crate::layout::{Gate, WithViewer};
use crate::links::{href, param};
use crate::metadata::{MetadataEditor, MetadataRow};
use crate::model::*;
use crate::ui::{EmptyState, ErrorBanner, FieldError, InputField, LoadError, Loading, Pager, StatusBadge, form_errors};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// How a session was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// Signing in to this dashboard.
    Dashboard,
    /// An application's sign-in through the REST API.
    Api,
}

impl SessionKind {
    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dashboard => "Dashboard",
            Self::Api => "API",
        }
    }
}

/// A session as the user detail page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionDetail {
    pub session: Session,
    pub kind: SessionKind,
    /// When the session was last used; `None` until it is.
    pub last_active_at: Option<String>,
    pub organization_name: Option<String>,
}

/// One line of a user's activity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub id: EventId,
    /// The event's name, such as `organization_membership.updated`.
    pub event: String,
    /// What happened, with names: "Ada Lovelace changed Bob's role in Acme to admin".
    pub text: String,
    pub organization_name: Option<String>,
    pub created_at: String,
}

/// One of the user's memberships, with the roles the viewer may give there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembershipDetail {
    pub membership: OrganizationMembership,
    /// The roles the viewer may assign in this membership's organization.
    pub roles: Vec<Role>,
    /// The membership holds `owner` and the viewer may not act on owners.
    pub locked: bool,
}

/// Everything the page shows about a user besides the paged lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserOverview {
    pub user: User,
    pub memberships: Vec<MembershipDetail>,
    /// The viewer is a platform admin: may set passwords and delete users.
    pub is_platform_admin: bool,
}

/// The grant this page works with: platform admins reach every organization the user is in;
/// everyone else is an admin of their session's organization.
#[cfg(feature = "ssr")]
async fn page_admin() -> Result<crate::directory::Admin, AppError> {
    let caller = caller().await?;
    if caller.session().is_some_and(|session| session.is_platform_admin) {
        caller.environment_admin()
    } else {
        caller.admin()
    }
}

#[cfg(feature = "ssr")]
fn user_id(raw: &str) -> Result<UserId, AppError> {
    UserId::parse(raw.trim()).ok_or_else(|| AppError::not_found("User"))
}

/// The user, with their memberships as the viewer may see and change them.
#[server(prefix = "/api", endpoint = "user-detail")]
pub async fn user_detail(user_id: String) -> Result<UserOverview, AppError> {
    use crate::directory::MembershipQuery;
    let admin = page_admin().await?;
    let id = self::user_id(&user_id)?;
    let directory = directory();
    let user = directory.get_user(&admin, &id).await?;
    let query = MembershipQuery {
        user_id: Some(id),
        page: Page { limit: Page::MAX_LIMIT, ..Page::default() },
        ..MembershipQuery::default()
    };
    let may_manage_owners = admin.require_owner_rights().is_ok();
    let mut memberships = Vec::new();
    for membership in directory.list_memberships(&admin, query).await?.data {
        let roles = directory
            .list_roles(&admin, Some(&membership.organization_id))
            .await?
            .into_iter()
            .filter(|role| role.is_assignable(may_manage_owners))
            .collect();
        let locked = membership.has_role(roles::OWNER) && !may_manage_owners;
        memberships.push(MembershipDetail { membership, roles, locked });
    }
    let is_platform_admin = admin.authority() == crate::directory::Authority::Platform;
    Ok(UserOverview { user, memberships, is_platform_admin })
}

/// A page of the user's sessions, newest first.
#[server(prefix = "/api", endpoint = "user-sessions")]
pub async fn user_sessions(
    user_id: String,
    after: Option<String>,
    before: Option<String>,
) -> Result<List<SessionDetail>, AppError> {
    let admin = page_admin().await?;
    let page = Page { limit: 10, after, before, order: Order::Desc };
    directory().user_sessions(&admin, &self::user_id(&user_id)?, page).await
}

/// A page of the user's activity, newest first.
#[server(prefix = "/api", endpoint = "user-activity")]
pub async fn user_activity(
    user_id: String,
    after: Option<String>,
    before: Option<String>,
) -> Result<List<ActivityEntry>, AppError> {
    let admin = page_admin().await?;
    let page = Page { limit: 20, after, before, order: Order::Desc };
    directory().user_activity(&admin, &self::user_id(&user_id)?, page).await
}

/// Saves the profile form. Only fields that differ from the stored user are sent, so an admin
/// who may not change someone's email can still rename them.
#[server(prefix = "/api", endpoint = "update-profile")]
pub async fn update_profile(
    user_id: String,
    email: String,
    first_name: String,
    last_name: String,
    profile_picture_url: String,
    external_id: String,
    metadata: Option<Vec<MetadataRow>>,
) -> Result<String, AppError> {
    use crate::directory::UserUpdate;
    use std::collections::BTreeMap;
    let admin = page_admin().await?;
    let id = self::user_id(&user_id)?;
    let directory = directory();
    let user = directory.get_user(&admin, &id).await?;
    let text = |raw: String| Some(raw.trim().to_owned()).filter(|value| !value.is_empty());
    let changed = |new: Option<String>, old: &Option<String>| (new != *old).then_some(new);
    let wanted = crate::metadata::metadata_from_rows(metadata.unwrap_or_default())?;
    let mut patch: BTreeMap<String, Option<String>> =
        user.metadata.keys().filter(|key| !wanted.contains_key(*key)).map(|key| (key.clone(), None)).collect();
    for (key, value) in wanted {
        if user.metadata.get(&key) != Some(&value) {
            patch.insert(key, Some(value));
        }
    }
    let email = email.trim().to_owned();
    let update = UserUpdate {
        email: (!email.eq_ignore_ascii_case(&user.email)).then_some(email),
        first_name: changed(text(first_name), &user.first_name),
        last_name: changed(text(last_name), &user.last_name),
        profile_picture_url: changed(text(profile_picture_url), &user.profile_picture_url),
        external_id: changed(text(external_id), &user.external_id),
        metadata: (!patch.is_empty()).then_some(patch),
        ..UserUpdate::default()
    };
    if update == UserUpdate::default() {
        return Ok("Nothing to save: the profile is unchanged.".into());
    }
    let saved = directory.update_user(&admin, &id, update).await?;
    Ok(format!("Saved {}'s profile.", saved.display_name()))
}

/// Replaces the roles of one of the user's memberships.
#[server(prefix = "/api", endpoint = "set-membership-roles")]
pub async fn set_membership_roles(
    user_id: String,
    membership_id: String,
    roles: Option<Vec<String>>,
) -> Result<String, AppError> {
    let admin = page_admin().await?;
    let directory = directory();
    let membership = own_membership(&admin, &user_id, &membership_id).await?;
    let roles = roles.unwrap_or_default();
    if roles.iter().all(|role| role.trim().is_empty()) {
        return Err(AppError::invalid("role_slugs", "role_required", "Choose at least one role."));
    }
    let updated = directory.set_membership_roles(&admin, &membership.id, roles).await?;
    let slugs: Vec<&str> = updated.roles.iter().map(|role| role.slug.as_str()).collect();
    Ok(format!("Roles in {} are now: {}.", updated.organization_name, slugs.join(", ")))
}

/// Reads a membership of this user that the grant reaches.
#[cfg(feature = "ssr")]
async fn own_membership(
    admin: &crate::directory::Admin,
    user_id: &str,
    membership_id: &str,
) -> Result<OrganizationMembership, AppError> {
    let user = self::user_id(user_id)?;
    let id = MembershipId::parse(membership_id.trim()).ok_or_else(|| AppError::not_found("Membership"))?;
    let membership = directory().get_membership(admin, &id).await?;
    // A membership of someone else is not this page's to change.
    if membership.user_id != user {
        return Err(AppError::not_found("Membership"));
    }
    Ok(membership)
}

/// A change to one of the user's memberships.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipChange {
    Deactivate,
    Reactivate,
    /// Remove the user from the membership's organization.
    Remove,
}

/// Deactivates, reactivates or removes one of the user's memberships.
#[server(prefix = "/api", endpoint = "change-user-membership")]
pub async fn change_user_membership(
    user_id: String,
    membership_id: String,
    change: MembershipChange,
) -> Result<String, AppError> {
    let admin = page_admin().await?;
    let directory = directory();
    let membership = own_membership(&admin, &user_id, &membership_id).await?;
    let organization = &membership.organization_name;
    Ok(match change {
        MembershipChange::Deactivate => {
            directory.deactivate_membership(&admin, &membership.id).await?;
            format!("Deactivated in {organization}.")
        }
        MembershipChange::Reactivate => {
            directory.reactivate_membership(&admin, &membership.id).await?;
            format!("Reactivated in {organization}.")
        }
        MembershipChange::Remove => {
            directory.delete_membership(&admin, &membership.id).await?;
            format!("Removed from {organization}.")
        }
    })
}

/// What the account actions send or end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountAction {
    /// Email a link to choose a new password.
    PasswordReset,
    /// Email a code that proves the address.
    EmailVerification,
    /// End every session of the user.
    RevokeAllSessions,
}

/// Sends a reset link or a verification code, or ends every session.
#[server(prefix = "/api", endpoint = "user-account-action")]
pub async fn user_account_action(user_id: String, action: AccountAction) -> Result<String, AppError> {
    let admin = page_admin().await?;
    let id = self::user_id(&user_id)?;
    let directory = directory();
    let user = directory.get_user(&admin, &id).await?;
    Ok(match action {
        AccountAction::PasswordReset => {
            directory.create_password_reset(&admin, &user.email).await?;
            format!("A password reset link is on its way to {}.", user.email)
        }
        AccountAction::EmailVerification => {
            directory.send_email_verification(&admin, &id).await?;
            format!("An email verification code is on its way to {}.", user.email)
        }
        AccountAction::RevokeAllSessions => match directory.revoke_user_sessions(&admin, &id).await? {
            0 => "There were no live sessions to end.".to_owned(),
            1 => "Ended 1 session.".to_owned(),
            n => format!("Ended {n} sessions."),
        },
    })
}

/// Deletes every two-factor authentication factor of the user (a lost phone), so they enroll
/// again; organization admins may for users wholly inside their organization.
#[server(prefix = "/api", endpoint = "reset-user-factors")]
pub async fn reset_user_factors(user_id: String) -> Result<String, AppError> {
    let admin = page_admin().await?;
    let id = self::user_id(&user_id)?;
    let directory = directory();
    let user = directory.get_user(&admin, &id).await?;
    Ok(match directory.reset_user_factors(&admin, &id).await? {
        0 => format!("{} has no two-factor authentication to reset.", user.display_name()),
        1 => format!("Reset two-factor authentication: removed 1 factor of {}.", user.display_name()),
        n => format!("Reset two-factor authentication: removed {n} factors of {}.", user.display_name()),
    })
}

/// Ends one of the user's sessions.
#[server(prefix = "/api", endpoint = "revoke-user-session")]
pub async fn revoke_user_session(user_id: String, session_id: String) -> Result<String, AppError> {
    let admin = page_admin().await?;
    let user = self::user_id(&user_id)?;
    let id = SessionId::parse(session_id.trim()).ok_or_else(|| AppError::not_found("Session"))?;
    let directory = directory();
    // Only the sessions this page lists: the user's, as the grant sees them.
    let mut page = Page { limit: Page::MAX_LIMIT, ..Page::default() };
    loop {
        let listed = directory.user_sessions(&admin, &user, page.clone()).await?;
        if listed.data.iter().any(|detail| detail.session.id == id) {
            break;
        }
        match listed.list_metadata.after {
            Some(after) => page.after = Some(after),
            None => return Err(AppError::not_found("Session")),
        }
    }
    directory.revoke_session(&admin, &id).await?;
    Ok("The session was ended.".into())
}

/// Sets the user's password; platform admins only.
#[server(prefix = "/api", endpoint = "set-user-password")]
pub async fn set_user_password(user_id: String, password: String) -> Result<String, AppError> {
    let admin = page_admin().await?;
    let user = directory().set_user_password(&admin, &self::user_id(&user_id)?, &password).await?;
    Ok(format!("{}'s password was set, and their sessions ended.", user.display_name()))
}

/// Deletes the user after the viewer typed their email; platform admins only.
#[server(prefix = "/api", endpoint = "delete-user")]
pub async fn delete_user(user_id: String, confirm_email: String) -> Result<(), AppError> {
    let admin = page_admin().await?;
    admin.require_environment()?;
    let id = self::user_id(&user_id)?;
    let directory = directory();
    let user = directory.get_user(&admin, &id).await?;
    if !confirm_email.trim().eq_ignore_ascii_case(&user.email) {
        return Err(AppError::invalid(
            "confirm_email",
            "confirmation_mismatch",
            format!("Type {} to confirm.", user.email),
        ));
    }
    directory.delete_user(&admin, &id).await?;
    leptos_axum::redirect("/users?deleted=1");
    Ok(())
}

/// The page's list positions, kept in the URL so reloads and shared links show the same pages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cursors {
    pub sessions_after: Option<String>,
    pub sessions_before: Option<String>,
    pub activity_after: Option<String>,
    pub activity_before: Option<String>,
}

impl Cursors {
    /// Reads the positions from the query, ignoring empty values.
    pub fn from_params(params: &leptos_router::params::ParamsMap) -> Self {
        let text = |key: &str| param(params, key);
        Self {
            sessions_after: text("sessions_after"),
            sessions_before: text("sessions_before"),
            activity_after: text("activity_after"),
            activity_before: text("activity_before"),
        }
    }

    /// The link to the user's page at these positions.
    pub fn href(&self, user_id: &str) -> String {
        let pairs: Vec<(&str, String)> = [
            ("sessions_after", &self.sessions_after),
            ("sessions_before", &self.sessions_before),
            ("activity_after", &self.activity_after),
            ("activity_before", &self.activity_before),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.clone().map(|value| (key, value)))
        .collect();
        href(&format!("/users/{user_id}"), &pairs)
    }
}

/// What the page's forms share: a count that reloads the page's data after a change, and the
/// last change's confirmation.
#[derive(Clone, Copy)]
struct PageState {
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<String>>,
}

/// Shows an action's confirmation at the top of the page and reloads the data once it succeeds.
fn announce_success(result: impl Fn() -> Option<Result<String, AppError>> + Send + Sync + 'static) {
    let state = expect_context::<PageState>();
    Effect::new(move |_| {
        if let Some(Ok(message)) = result() {
            state.notice.set(Some(message));
            state.refresh.update(|n| *n += 1);
        }
    });
}

/// The user detail page.
#[component]
pub fn UserDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let cursors = Memo::new(move |_| Cursors::from_params(&query.read()));
    let state = PageState { refresh: RwSignal::new(0), notice: RwSignal::new(None) };
    provide_context(state);
    let detail = Resource::new(move || (id.get(), state.refresh.get()), |(id, _)| user_detail(id));
    let sessions = Resource::new(
        move || (id.get(), cursors.get(), state.refresh.get()),
        |(id, cursors, _)| user_sessions(id, cursors.sessions_after, cursors.sessions_before),
    );
    let activity = Resource::new(
        move || (id.get(), cursors.get(), state.refresh.get()),
        |(id, cursors, _)| user_activity(id, cursors.activity_after, cursors.activity_before),
    );
    let content = move |_viewer: Viewer| {
        view! {
            <Transition fallback=|| view! { <Loading what="the user"/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <Detail detail sessions activity cursors/> }.into_any(),
                        Err(AppError::NotFound(_)) => {
                            #[cfg(feature = "ssr")]
                            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                                response.set_status(http::StatusCode::NOT_FOUND);
                            }
                            view! {
                            <Title text="User not found"/>
                            <EmptyState title="User not found" page=true>
                                <p>"There is no such user in this organization."</p>
                                <p><a class="button" href="/users">"Back to users"</a></p>
                            </EmptyState>
                            }
                            .into_any()
                        }
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Transition>
        }
        .into_any()
    };
    view! {
        <Title text="User"/>
        <WithViewer gate=Gate::Admin render=content/>
    }
}

#[component]
fn Detail(
    detail: UserOverview,
    sessions: Resource<Result<List<SessionDetail>, AppError>>,
    activity: Resource<Result<List<ActivityEntry>, AppError>>,
    cursors: Memo<Cursors>,
) -> impl IntoView {
    let UserOverview { user, memberships, is_platform_admin } = detail;
    let state = expect_context::<PageState>();
    let name = user.display_name();
    let id = user.id.to_string();
    let picture = user.profile_picture_url.clone();
    view! {
        <Title text=name.clone()/>
        <p class="breadcrumb"><a href="/users">"← Users"</a></p>
        <div class="page-head user-head">
            {match picture {
                Some(url) => view! { <img class="avatar avatar-large" src=url alt=""/> }.into_any(),
                None => view! { <span class="avatar avatar-large" aria-hidden="true">{initials(&name)}</span> }.into_any(),
            }}
            <div class="grow">
                <h1>{name.clone()}</h1>
                <p class="muted">
                    {user.email.clone()} " · "
                    {if user.email_verified { "email verified" } else { "email not verified" }}
                </p>
            </div>
        </div>
        {move || state.notice.get().map(|message| view! { <p class="alert alert-success" role="status">{message}</p> })}
        <ProfileForm user=user.clone()/>
        <MembershipsSection user_id=id.clone() name=name.clone() memberships/>
        <SessionsSection user_id=id.clone() sessions cursors/>
        <AccountActions user is_platform_admin/>
        <ActivitySection user_id=id activity cursors/>
    }
}

/// The profile editor: every field of the user, and their metadata as key/value rows.
#[component]
fn ProfileForm(user: User) -> impl IntoView {
    let save = ServerAction::<UpdateProfile>::new();
    announce_success(move || save.value().get());
    let (field, other) = form_errors(move || save.value().get().and_then(Result::err));
    let facts = [
        ("Email verified", if user.email_verified { "Yes".to_owned() } else { "No".to_owned() }),
        ("Created", format::date_time(&user.created_at)),
        ("Updated", format::date_time(&user.updated_at)),
        ("Last sign-in", user.last_sign_in_at.as_deref().map(format::date_time).unwrap_or_else(|| "Never".into())),
    ];
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <ErrorBanner error=other/>
            <ActionForm action=save attr:novalidate=true attr:class="stack">
                <input type="hidden" name="user_id" value=user.id.to_string()/>
                <div class="form-grid">
                    <InputField id="profile-email" label="Email" name="email" kind="email" value=user.email.clone() error=field("email")/>
                    <InputField id="profile-first-name" label="First name" name="first_name" value=user.first_name.clone().unwrap_or_default() error=field("first_name")/>
                    <InputField id="profile-last-name" label="Last name" name="last_name" value=user.last_name.clone().unwrap_or_default() error=field("last_name")/>
                    <InputField id="profile-picture" label="Profile picture URL" name="profile_picture_url" kind="url" value=user.profile_picture_url.clone().unwrap_or_default() error=field("profile_picture_url")/>
                    <InputField id="profile-external-id" label="External ID" name="external_id" value=user.external_id.clone().unwrap_or_default() error=field("external_id")/>
                </div>
                <MetadataEditor metadata=user.metadata.clone() error=field("metadata") id="profile-metadata"/>
                <dl class="facts">
                    {facts.into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
                </dl>
                <div>
                    <button type="submit" class="button primary" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save profile" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn MembershipsSection(user_id: String, name: String, memberships: Vec<MembershipDetail>) -> impl IntoView {
    let body = if memberships.is_empty() {
        view! {
            <EmptyState title="No memberships">
                <p>{format!("{name} belongs to no organization you manage.")}</p>
            </EmptyState>
        }
        .into_any()
    } else {
        view! {
            <crate::ui::DataTable caption="Memberships" columns=&["Organization", "Roles", "Status", "Joined"] actions=true>
                {memberships
                    .into_iter()
                    .map(|detail| view! { <MembershipRow user_id=user_id.clone() detail/> })
                    .collect_view()}
            </crate::ui::DataTable>
        }
        .into_any()
    };
    view! {
        <section class="section" aria-labelledby="memberships-heading">
            <h2 id="memberships-heading">"Memberships"</h2>
            {body}
        </section>
    }
}

#[component]
fn MembershipRow(user_id: String, detail: MembershipDetail) -> impl IntoView {
    let MembershipDetail { membership, roles, locked } = detail;
    let set_roles = ServerAction::<SetMembershipRoles>::new();
    let change = ServerAction::<ChangeUserMembership>::new();
    announce_success(move || set_roles.value().get());
    announce_success(move || change.value().get());
    let roles_error = Signal::derive(move || {
        set_roles
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.field_message("role_slugs").map(str::to_owned).unwrap_or_else(|| e.to_string()))
    });
    let change_error = move || change.value().get().and_then(Result::err).map(|e| e.to_string());
    let id = membership.id.to_string();
    let organization = membership.organization_name.clone();
    let error_id = format!("roles-{id}-error");
    let held: Vec<String> = membership.roles.iter().map(|role| role.slug.clone()).collect();
    let roles_cell = if locked {
        view! {
            <span>{held.join(", ")}</span>
            <p class="muted">"Only owners can change an owner."</p>
        }
        .into_any()
    } else {
        let (organization, user_id, id, error_id) =
            (organization.clone(), user_id.clone(), id.clone(), error_id.clone());
        view! {
            <ActionForm action=set_roles attr:class="roles-form">
                <input type="hidden" name="user_id" value=user_id.clone()/>
                <input type="hidden" name="membership_id" value=id.clone()/>
                <fieldset class="role-options" aria-describedby=error_id.clone()>
                    <legend class="sr-only">{format!("Roles in {organization}")}</legend>
                    {roles
                        .into_iter()
                        .map(|role| {
                            let checked = held.contains(&role.slug);
                            view! {
                                <label class="check">
                                    <input type="checkbox" name="roles[]" value=role.slug checked=checked/>
                                    {role.name}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button type="submit" class="button small" aria-label=format!("Save roles in {organization}")>"Save roles"</button>
                <FieldError id=error_id message=roles_error/>
            </ActionForm>
        }
        .into_any()
    };
    let toggle = match membership.status {
        MembershipStatus::Active => Some(("deactivate", "Deactivate")),
        MembershipStatus::Inactive => Some(("reactivate", "Reactivate")),
        // Pending members have not joined; their invitation is what to act on.
        MembershipStatus::Pending => None,
    };
    let actions = if locked {
        ().into_any()
    } else {
        let fields = {
            let (user_id, id) = (user_id.clone(), id.clone());
            move |change_name: &'static str| {
                view! {
                    <input type="hidden" name="user_id" value=user_id.clone()/>
                    <input type="hidden" name="membership_id" value=id.clone()/>
                    <input type="hidden" name="change" value=change_name/>
                }
            }
        };
        let toggle_fields = fields.clone();
        let toggle_organization = organization.clone();
        view! {
            {toggle.map(move |(change_name, label)| view! {
                <ActionForm action=change attr:class="inline-form">
                    {toggle_fields(change_name)}
                    <button type="submit" class="button small" aria-label=format!("{label} in {toggle_organization}")>{label}</button>
                </ActionForm>
            })}
            <details class="confirm">
                <summary class="button small danger" aria-label=format!("Remove from {organization}…")>"Remove…"</summary>
                <div class="confirm-panel">
                    <p>{format!("Remove this user from {organization}? They lose access to it at once.")}</p>
                    <ActionForm action=change>
                        {fields("remove")}
                        <button type="submit" class="button small danger">{format!("Remove from {organization}")}</button>
                    </ActionForm>
                </div>
            </details>
            {move || change_error().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
        }
        .into_any()
    };
    view! {
        <tr data-membership=id.clone()>
            <th scope="row">{membership.organization_name.clone()}</th>
            <td>{roles_cell}</td>
            <td><StatusBadge status=membership.status/></td>
            <td>{format::date(&membership.created_at)}</td>
            <td class="actions">{actions}</td>
        </tr>
    }
}

#[component]
fn SessionsSection(
    user_id: String,
    sessions: Resource<Result<List<SessionDetail>, AppError>>,
    cursors: Memo<Cursors>,
) -> impl IntoView {
    let end_all = ServerAction::<UserAccountAction>::new();
    announce_success(move || end_all.value().get());
    let end_all_error = Signal::derive(move || end_all.value().get().and_then(Result::err));
    let list_user = user_id.clone();
    view! {
        <section class="section" aria-labelledby="sessions-heading">
            <div class="section-head">
                <h2 id="sessions-heading">"Sessions"</h2>
                <ActionForm action=end_all attr:class="inline-form">
                    <input type="hidden" name="user_id" value=user_id.clone()/>
                    <input type="hidden" name="action" value="revoke_all_sessions"/>
                    <button type="submit" class="button small danger">"End all sessions"</button>
                </ActionForm>
            </div>
            <ErrorBanner error=end_all_error/>
            <Transition fallback=|| view! { <Loading what="sessions"/> }>
                {move || {
                    let user_id = list_user.clone();
                    Suspend::new(async move {
                        match sessions.await {
                            Ok(list) if list.data.is_empty() => view! {
                                <EmptyState title="No sessions">
                                    <p>"Sessions appear here once this user signs in."</p>
                                </EmptyState>
                            }
                            .into_any(),
                            Ok(list) => {
                                let here = cursors.get_untracked();
                                let newer = list.list_metadata.before.clone().map(|before| {
                                    Cursors { sessions_before: Some(before), sessions_after: None, ..here.clone() }.href(&user_id)
                                });
                                let older = list.list_metadata.after.clone().map(|after| {
                                    Cursors { sessions_after: Some(after), sessions_before: None, ..here.clone() }.href(&user_id)
                                });
                                view! {
                                    <crate::ui::DataTable
                                        caption="Sessions"
                                        columns=&["Started", "Last active", "IP address", "User agent", "Organization", "Via", "Status"]
                                        actions=true
                                    >
                                        {list.data.into_iter().map(|detail| view! { <SessionRow user_id=user_id.clone() detail/> }).collect_view()}
                                    </crate::ui::DataTable>
                                    <Pager label="Session pages" previous=newer next=older/>
                                }
                                .into_any()
                            }
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn SessionRow(user_id: String, detail: SessionDetail) -> impl IntoView {
    let revoke = ServerAction::<RevokeUserSession>::new();
    announce_success(move || revoke.value().get());
    let error = move || revoke.value().get().and_then(Result::err).map(|e| e.to_string());
    let SessionDetail { session, kind, last_active_at, organization_name } = detail;
    let (status, live) = match session.status {
        SessionStatus::Active => ("Active", true),
        SessionStatus::Expired => ("Expired", false),
        SessionStatus::Revoked => ("Ended", false),
    };
    let started = format::date_time(&session.created_at);
    let session_id = session.id.to_string();
    let row_id = session_id.clone();
    view! {
        <tr data-session=row_id>
            <th scope="row">{started.clone()}</th>
            <td>{last_active_at.as_deref().map(format::date_time).unwrap_or_else(|| "—".into())}</td>
            <td>{session.ip_address.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="user-agent">{session.user_agent.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{organization_name.unwrap_or_else(|| "—".into())}</td>
            <td>{kind.label()}</td>
            <td><span class=format!("badge session-{}", status.to_lowercase())>{status}</span></td>
            <td class="actions">
                {live.then(|| view! {
                    <ActionForm action=revoke attr:class="inline-form">
                        <input type="hidden" name="user_id" value=user_id.clone()/>
                        <input type="hidden" name="session_id" value=session_id/>
                        <button type="submit" class="button small" aria-label=format!("End the session started {started}")>"End"</button>
                    </ActionForm>
                })}
                {move || error().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            </td>
        </tr>
    }
}

/// Reset link, verification code, and for platform admins a new password and deletion.
#[component]
fn AccountActions(user: User, is_platform_admin: bool) -> impl IntoView {
    let send = ServerAction::<UserAccountAction>::new();
    announce_success(move || send.value().get());
    let send_error = Signal::derive(move || send.value().get().and_then(Result::err));
    let reset = ServerAction::<ResetUserFactors>::new();
    announce_success(move || reset.value().get());
    let reset_error = Signal::derive(move || reset.value().get().and_then(Result::err));
    let id = user.id.to_string();
    let reset_id = id.clone();
    let button = {
        let id = id.clone();
        move |action: &'static str, label: &'static str| {
            let id = id.clone();
            view! {
                <ActionForm action=send attr:class="inline-form">
                    <input type="hidden" name="user_id" value=id/>
                    <input type="hidden" name="action" value=action/>
                    <button type="submit" class="button">{label}</button>
                </ActionForm>
            }
        }
    };
    view! {
        <section class="card section" aria-labelledby="actions-heading">
            <h2 id="actions-heading">"Account"</h2>
            <ErrorBanner error=send_error/>
            <ErrorBanner error=reset_error/>
            <div class="button-row">
                {button("password_reset", "Send password reset link")}
                {button("email_verification", "Send email verification")}
                <ActionForm action=reset attr:class="inline-form">
                    <input type="hidden" name="user_id" value=reset_id/>
                    <button type="submit" class="button">"Reset two-factor authentication"</button>
                </ActionForm>
            </div>
            {if is_platform_admin {
                view! {
                    <SetPassword user_id=id.clone()/>
                    <DeleteUserForm user_id=id.clone() email=user.email.clone()/>
                }
                .into_any()
            } else {
                view! { <p class="muted">"Only platform admins can set a password or delete a user."</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn SetPassword(user_id: String) -> impl IntoView {
    let set = ServerAction::<SetUserPassword>::new();
    announce_success(move || set.value().get());
    let (field, other) = form_errors(move || set.value().get().and_then(Result::err));
    view! {
        <ActionForm action=set attr:novalidate=true attr:class="invite-form">
            <input type="hidden" name="user_id" value=user_id/>
            <div class="field grow">
                <label for="new-password">"Set a password"</label>
                <input
                    id="new-password"
                    type="password"
                    name="password"
                    autocomplete="new-password"
                    aria-invalid=move || field("password").get().is_some().to_string()
                    aria-describedby="new-password-hint new-password-error"
                />
                <p id="new-password-hint" class="muted">"At least 8 characters. Their sessions end."</p>
                <FieldError id="new-password-error" message=field("password")/>
            </div>
            <button type="submit" class="button">"Set password"</button>
        </ActionForm>
        <ErrorBanner error=other/>
    }
}

#[component]
fn DeleteUserForm(user_id: String, email: String) -> impl IntoView {
    let delete = ServerAction::<DeleteUser>::new();
    let (field, other) = form_errors(move || delete.value().get().and_then(Result::err));
    view! {
        <details class="confirm">
            <summary class="button danger">"Delete user…"</summary>
            <div class="confirm-panel">
                <p>{format!("Delete {email}, with every membership and session? This cannot be undone.")}</p>
                <ActionForm action=delete attr:novalidate=true>
                    <input type="hidden" name="user_id" value=user_id/>
                    <div class="field">
                        <label for="confirm-email">{format!("Type {email} to confirm")}</label>
                        <input
                            id="confirm-email"
                            type="text"
                            name="confirm_email"
                            autocomplete="off"
                            aria-invalid=move || field("confirm_email").get().is_some().to_string()
                            aria-describedby="confirm-email-error"
                        />
                        <FieldError id="confirm-email-error" message=field("confirm_email")/>
                    </div>
                    <button type="submit" class="button danger">"Delete this user"</button>
                </ActionForm>
                <ErrorBanner error=other/>
            </div>
        </details>
    }
}

#[component]
fn ActivitySection(
    user_id: String,
    activity: Resource<Result<List<ActivityEntry>, AppError>>,
    cursors: Memo<Cursors>,
) -> impl IntoView {
    view! {
        <section class="section" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Activity"</h2>
            <Transition fallback=|| view! { <Loading what="activity"/> }>
                {move || {
                    let user_id = user_id.clone();
                    Suspend::new(async move {
                        match activity.await {
                            Ok(list) if list.data.is_empty() => view! {
                                <EmptyState title="No activity yet">
                                    <p>"Changes to this user and their sign-ins appear here."</p>
                                </EmptyState>
                            }
                            .into_any(),
                            Ok(list) => {
                                let here = cursors.get_untracked();
                                let newer = list.list_metadata.before.clone().map(|before| {
                                    Cursors { activity_before: Some(before), activity_after: None, ..here.clone() }.href(&user_id)
                                });
                                let older = list.list_metadata.after.clone().map(|after| {
                                    Cursors { activity_after: Some(after), activity_before: None, ..here.clone() }.href(&user_id)
                                });
                                view! {
                                    <ol class="activity card">
                                        {list
                                            .data
                                            .into_iter()
                                            .map(|entry| view! {
                                                <li data-event=entry.event.clone()>
                                                    <span class="activity-text">{entry.text}</span>
                                                    <time class="muted" datetime=entry.created_at.clone()>{format::date_time(&entry.created_at)}</time>
                                                </li>
                                            })
                                            .collect_view()}
                                    </ol>
                                    <Pager label="Activity pages" previous=newer next=older/>
                                }
                                .into_any()
                            }
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// Up to two initials for an avatar.
fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|word| word.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_positions_round_trip_through_the_url() {
        let cursors = Cursors {
            sessions_after: Some("session_01H5JQDV7R7ATEYZDEG0W5PRYS".into()),
            activity_before: Some("event_01H5JQDV7R7ATEYZDEG0W5PRYS".into()),
            ..Cursors::default()
        };
        let href = cursors.href("user_1");
        assert_eq!(
            href,
            "/users/user_1?sessions_after=session_01H5JQDV7R7ATEYZDEG0W5PRYS&activity_before=event_01H5JQDV7R7ATEYZDEG0W5PRYS"
        );
        let params =
            leptos_router::params::ParamsMap::from_iter(href.split_once('?').unwrap().1.split('&').map(|pair| {
                let (key, value) = pair.split_once('=').unwrap();
                (key.to_owned(), value.to_owned())
            }));
        assert_eq!(Cursors::from_params(&params), cursors);
        let odd = Cursors { activity_after: Some("x&y=z".into()), ..Cursors::default() };
        assert_eq!(odd.href("user_1"), "/users/user_1?activity_after=x%26y%3Dz");
    }
}
