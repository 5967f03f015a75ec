//! `/embed/users?token=…`: Roster's own users table for apps that do not use React, framed by
//! the app with a widget token from `POST /widgets/token`.
//!
//! It calls the same `/_widgets/…` API as the official widgets, from the browser (gloo-net),
//! with the token as its bearer: a server function would need the token back on every call
//! anyway, and this way the embed can do exactly what the widgets can, no more. The app themes
//! it through the dashboard's CSS variables (`--accent`, `--radius`, `--font`, …), which
//! `/embed/theme.css` sets from the page's query (`accent`, `radius`, `font`).

use crate::error::AppError;
use crate::model::*;
use crate::ui::{DataTable, EmptyState, ErrorBanner, LoadError, Loading};
use leptos::prelude::*;
use leptos_meta::{Link, Title};
use leptos_router::hooks::use_query_map;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Calls the widgets' API with the token; errors carry the API's own message.
#[cfg(feature = "hydrate")]
async fn call<T: DeserializeOwned>(method: &str, path: &str, token: &str, body: Option<Value>) -> Result<T, AppError> {
    use gloo_net::http::RequestBuilder;
    let unreachable = |_| AppError::Transport("Roster could not be reached.".into());
    let request = RequestBuilder::new(path).method(method.parse().map_err(|_| AppError::Internal)?);
    let request = request.header("Authorization", &format!("Bearer {token}"));
    let response = match body {
        Some(body) => request.json(&body).map_err(|_| AppError::Internal)?.send().await,
        None => request.send().await,
    }
    .map_err(unreachable)?;
    if response.ok() {
        return response.json::<T>().await.map_err(|_| AppError::Internal);
    }
    let message = response
        .json::<Value>()
        .await
        .ok()
        .and_then(|body| body["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| response.status_text());
    Err(match response.status() {
        403 => AppError::Forbidden(format!("{message} Reload the page to get a new token.")),
        _ => AppError::BadRequest(message),
    })
}

/// On the server nothing calls the API: the table loads once the page runs in the browser.
#[cfg(not(feature = "hydrate"))]
async fn call<T: DeserializeOwned>(
    _method: &str,
    _path: &str,
    _token: &str,
    _body: Option<Value>,
) -> Result<T, AppError> {
    Err(AppError::Internal)
}

/// Percent-encodes a query value.
fn encoded(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Which page of the table: the widgets' cursors (`before` is the next page, `after` the
/// previous one).
#[derive(Clone, Debug, Default, PartialEq)]
struct Cursor {
    before: Option<String>,
    after: Option<String>,
}

/// The members table of the token's organization.
#[component]
pub fn EmbedUsersPage() -> impl IntoView {
    let query = use_query_map();
    let token = Memo::new(move |_| query.read().get("token").unwrap_or_default());
    // The theme's values, passed on to the stylesheet that sets them.
    let theme = move || {
        let query = query.read();
        let pairs: Vec<String> = ["accent", "radius", "font"]
            .into_iter()
            .filter_map(|key| query.get(key).map(|value| format!("{key}={}", encoded(&value))))
            .collect();
        format!("/embed/theme.css?{}", pairs.join("&"))
    };
    view! {
        <Title text="Members"/>
        <Link rel="stylesheet" href=theme()/>
        <main class="embed" id="main">
            {move || {
                if token.get().is_empty() {
                    view! {
                        <EmptyState title="No access" page=true>
                            <p>"This page shows an organization's members to whoever holds a widget token: open it with one."</p>
                        </EmptyState>
                    }
                        .into_any()
                } else {
                    view! { <MembersTable token=token.get()/> }.into_any()
                }
            }}
        </main>
    }
}

#[component]
fn MembersTable(token: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let (search, set_search) = signal(String::new());
    let (cursor, set_cursor) = signal(Cursor::default());
    // Bumped after each change, to read the table again.
    let (version, set_version) = signal(0u32);
    let (error, set_error) = signal(None::<AppError>);
    let (notice, set_notice) = signal(None::<String>);
    let members = LocalResource::new(move || {
        let (search, cursor) = (search.get(), cursor.get());
        version.track();
        async move {
            let mut path = "/_widgets/UserManagement/members?limit=10".to_owned();
            if !search.is_empty() {
                path.push_str(&format!("&search={}", encoded(&search)));
            }
            if let Some(before) = cursor.before {
                path.push_str(&format!("&before={}", encoded(&before)));
            }
            if let Some(after) = cursor.after {
                path.push_str(&format!("&after={}", encoded(&after)));
            }
            call::<WidgetMembers>("GET", &path, &token.get_value(), None).await
        }
    });
    let roles = LocalResource::new(move || async move {
        call::<WidgetRolesAndConfig>("GET", "/_widgets/UserManagement/roles-and-config", &token.get_value(), None).await
    });
    let role_options =
        Signal::derive(move || roles.get().and_then(Result::ok).map(|config| config.roles).unwrap_or_default());
    // One change at a time; its outcome is announced, and the table read again.
    let change =
        Action::new_local(move |(method, path, body, done): &(&'static str, String, Option<Value>, String)| {
            let (method, path, body, done) = (*method, path.clone(), body.clone(), done.clone());
            async move {
                let result = call::<Value>(method, &path, &token.get_value(), body).await;
                match result {
                    Ok(_) => {
                        set_error.set(None);
                        set_notice.set(Some(done));
                        set_version.update(|v| *v += 1);
                    }
                    Err(failure) => {
                        set_notice.set(None);
                        set_error.set(Some(failure));
                    }
                }
            }
        });
    let busy = change.pending();

    view! {
        <div class="page-head">
            <h1>"Members"</h1>
        </div>
        <ErrorBanner error=error/>
        <p class="sr-only" role="status">{move || notice.get()}</p>
        {move || notice.get().map(|text| view! { <div class="alert alert-success">{text}</div> })}
        <InviteForm roles=role_options busy=busy.into() on_invite=move |email: String, role: String| {
            let body = json!({ "email": email.clone(), "roles": [role] });
            change.dispatch(("POST", "/_widgets/UserManagement/invite-user".into(), Some(body), format!("Invited {email}.")));
        }/>
        <form class="filters" role="search" on:submit=move |event| {
            event.prevent_default();
        }>
            <div class="field grow">
                <label for="embed-search">"Search members"</label>
                <input id="embed-search" type="search" placeholder="Name or email" prop:value=search on:input=move |event| {
                    set_cursor.set(Cursor::default());
                    set_search.set(event_target_value(&event));
                }/>
            </div>
        </form>
        <Suspense fallback=|| view! { <Loading what="members"/> }>
            {move || members.get().map(|page| match page {
                Err(failure) => view! { <LoadError error=failure/> }.into_any(),
                Ok(page) if page.data.is_empty() => view! {
                    <EmptyState title="No members found">
                        <p>{if search.get().is_empty() { "Invite someone to get started." } else { "No member matches this search." }}</p>
                    </EmptyState>
                }.into_any(),
                Ok(page) => {
                    let WidgetListMetadata { before, after } = page.list_metadata;
                    view! {
                        <DataTable caption="Members and invitations" columns=&["Name", "Status", "Role"] actions=true>
                            {page.data.into_iter().map(|member| view! {
                                <MemberRow member=member roles=role_options busy=busy.into() on_change=move |request| { change.dispatch(request); }/>
                            }).collect_view()}
                        </DataTable>
                        <nav class="pager" aria-label="Pages">
                            {after.map(|after| view! {
                                <button type="button" class="button" on:click=move |_| set_cursor.set(Cursor { before: None, after: Some(after.clone()) })>"Previous"</button>
                            })}
                            {before.map(|before| view! {
                                <button type="button" class="button" on:click=move |_| set_cursor.set(Cursor { before: Some(before.clone()), after: None })>"Next"</button>
                            })}
                        </nav>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// The invite form: an email and one of the organization's roles.
#[component]
fn InviteForm(
    roles: Signal<Vec<WidgetRole>>,
    busy: Signal<bool>,
    on_invite: impl Fn(String, String) + Send + Sync + 'static,
) -> impl IntoView {
    let (email, set_email) = signal(String::new());
    let (role, set_role) = signal(String::new());
    let chosen = move || {
        let role = role.get();
        if !role.is_empty() {
            return role;
        }
        let roles = roles.get();
        roles.iter().find(|r| r.default).or(roles.first()).map(|r| r.slug.clone()).unwrap_or_default()
    };
    view! {
        <form class="card invite-form" aria-label="Invite someone" on:submit=move |event| {
            event.prevent_default();
            on_invite(email.get().trim().to_owned(), chosen());
            set_email.set(String::new());
        }>
            <div class="field">
                <label for="embed-invite-email">"Email"</label>
                <input id="embed-invite-email" type="email" required autocomplete="off" prop:value=email
                    on:input=move |event| set_email.set(event_target_value(&event))/>
            </div>
            <div class="field">
                <label for="embed-invite-role">"Role"</label>
                <select id="embed-invite-role" prop:value=chosen on:change=move |event| set_role.set(event_target_value(&event))>
                    {move || roles.get().into_iter().map(|r| view! { <option value=r.slug.clone()>{r.name}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button primary" disabled=busy>
                {move || if busy.get() { "Working…" } else { "Invite" }}
            </button>
        </form>
    }
}

/// A change a row asks for: method, path, body and what to announce once done.
type Change = (&'static str, String, Option<Value>, String);

#[component]
fn MemberRow(
    member: WidgetMember,
    roles: Signal<Vec<WidgetRole>>,
    busy: Signal<bool>,
    on_change: impl Fn(Change) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let name =
        [member.first_name.clone(), member.last_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let who = if name.is_empty() { member.email.clone() } else { name.clone() };
    let status = match member.status {
        WidgetMemberStatus::Active => ("Active", "badge status-active"),
        WidgetMemberStatus::Invited => ("Invited", "badge invitation-pending"),
        WidgetMemberStatus::InviteExpired => ("Invite expired", "badge invitation-expired"),
        WidgetMemberStatus::InviteRevoked => ("Invite revoked", "badge invitation-revoked"),
        WidgetMemberStatus::NoInvite => ("No invite", "badge"),
    };
    let current_role = member.roles.first().map(|r| r.slug.clone()).unwrap_or_default();
    let role_names = member.roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>().join(", ");
    let id = member.id.clone();
    let can = |action: WidgetMemberAction| member.actions.contains(&action);
    let role_cell = if can(WidgetMemberAction::EditRole) {
        let (id, who, on_change) = (id.clone(), who.clone(), on_change.clone());
        let select_id = format!("role-{id}");
        view! {
            <label class="sr-only" for=select_id.clone()>{format!("Role of {who}")}</label>
            <select id=select_id disabled=busy on:change=move |event| {
                let slug = event_target_value(&event);
                let path = format!("/_widgets/UserManagement/members/{id}");
                on_change(("POST", path, Some(json!({ "roles": [slug.clone()] })), format!("{who} is now {slug}.")));
            }>
                // Marked `selected` on the option: the options arrive after the select exists.
                {move || {
                    let current = current_role.clone();
                    roles
                        .get()
                        .into_iter()
                        .map(|r| {
                            let selected = r.slug == current;
                            view! { <option value=r.slug.clone() selected=selected>{r.name}</option> }
                        })
                        .collect_view()
                }}
            </select>
        }
        .into_any()
    } else {
        view! { <span>{role_names}</span> }.into_any()
    };
    let button = |label: &'static str, method: &'static str, path: String, done: String, danger: bool| {
        let on_change = on_change.clone();
        let class = if danger { "button small danger" } else { "button small" };
        let aria = format!("{label}: {who}");
        view! {
            <button type="button" class=class aria-label=aria disabled=busy on:click=move |_| {
                on_change((method, path.clone(), None, done.clone()));
            }>{label}</button>
        }
    };
    let mut buttons = Vec::new();
    if can(WidgetMemberAction::ResendInvite) {
        let path = format!("/_widgets/UserManagement/invites/{id}/resend");
        buttons.push(button("Resend", "POST", path, format!("Sent the invitation to {} again.", member.email), false));
    }
    if can(WidgetMemberAction::RevokeInvite) {
        let path = format!("/_widgets/UserManagement/invites/{id}");
        buttons.push(button("Revoke", "DELETE", path, format!("Revoked the invitation of {}.", member.email), true));
    }
    if can(WidgetMemberAction::RevokeMembership) {
        let path = format!("/_widgets/UserManagement/members/{id}");
        buttons.push(button("Remove", "DELETE", path, format!("Removed {who}."), true));
    }
    let you = member.is_logged_in_user == Some(true);
    view! {
        <tr>
            <td>
                <div>{who.clone()}{you.then(|| view! { " " <span class="badge">"You"</span> })}</div>
                {(!name.is_empty()).then(|| view! { <div class="muted">{member.email.clone()}</div> })}
            </td>
            <td><span class=status.1>{status.0}</span></td>
            <td>{role_cell}</td>
            <td class="actions">{buttons}</td>
        </tr>
    }
}
