//! The frame around every signed-in page: header, navigation, organization switcher.

use crate::auth::{Logout, SessionState, SwitchOrganization};
use crate::error::AppError;
use crate::model::Viewer;
use crate::organizations::OrganizationPicker;
use crate::ui::{EmptyState, LoadError, Loading};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;

/// Lays out signed-in pages; sends everyone else to the sign-in page.
///
/// The page itself renders outside the viewer's `Suspense`: resources must be created by a
/// component that outlives the request's rendering, and a `Suspend` body does not.
#[component]
pub fn Layout() -> impl IntoView {
    let session = expect_context::<SessionState>();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <Suspense fallback=|| view! { <header class="topbar"><span class="brand">"Roster"</span></header> }>
            {move || Suspend::new(async move {
                match session.viewer.await {
                    Ok(Some(viewer)) => view! { <TopBar viewer/> }.into_any(),
                    Ok(None) | Err(AppError::Unauthenticated) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
        <main id="main" class="content" tabindex="-1">
            <Outlet/>
        </main>
    }
}

/// Who may see a page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gate {
    /// Anyone signed in.
    #[default]
    SignedIn,
    /// Admins and owners of the current organization, and platform admins.
    Admin,
    /// Platform admins only; `why` tells everyone else the reason.
    PlatformAdmin { why: &'static str },
}

/// Renders `render` with the signed-in viewer once known; viewers the `gate` keeps out get a
/// polite refusal that says why instead.
#[component]
pub fn WithViewer<F>(#[prop(optional)] gate: Gate, render: F) -> impl IntoView
where
    F: Fn(Viewer) -> AnyView + Clone + Send + Sync + 'static,
{
    let session = expect_context::<SessionState>();
    view! {
        <Suspense fallback=|| view! { <Loading what="the page"/> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match session.viewer.await {
                        Ok(Some(viewer)) => match gate {
                            Gate::Admin if !viewer.is_admin => view! { <NeedsAdmin viewer/> }.into_any(),
                            Gate::PlatformAdmin { why } if !viewer.is_platform_admin => {
                                view! { <NeedsPlatformAdmin why/> }.into_any()
                            }
                            _ => render(viewer),
                        },
                        // The layout redirects to the sign-in page.
                        _ => ().into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn TopBar(viewer: Viewer) -> impl IntoView {
    let session = expect_context::<SessionState>();
    let logout = ServerAction::<Logout>::new();
    session.reload_after(logout);
    let is_admin = viewer.is_admin;
    let is_platform_admin = viewer.is_platform_admin;
    let location = use_location();
    let current = move |path: &'static str| {
        if location.pathname.get().starts_with(path) { "page" } else { "false" }
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"R"</span>
                "Roster"
            </a>
            <nav aria-label="Main">
                <ul class="nav">
                    <Show when=move || is_admin>
                        <li><A href="/users" attr:aria-current=move || current("/users")>"Users"</A></li>
                        <li><A href="/invitations" attr:aria-current=move || current("/invitations")>"Invitations"</A></li>
                        <li><A href="/roles" attr:aria-current=move || current("/roles")>"Roles"</A></li>
                    </Show>
                    <Show when=move || is_platform_admin>
                        <li><A href="/orgs" attr:aria-current=move || current("/orgs")>"Organizations"</A></li>
                        <li><A href="/api-keys" attr:aria-current=move || current("/api-keys")>"API keys"</A></li>
                        <li><A href="/outbox" attr:aria-current=move || current("/outbox")>"Outbox"</A></li>
                        <li><A href="/settings" attr:aria-current=move || current("/settings")>"Settings"</A></li>
                    </Show>
                    <li><A href="/profile" attr:aria-current=move || current("/profile")>"Profile"</A></li>
                </ul>
            </nav>
            <div class="topbar-end">
                <OrganizationSwitcher viewer=viewer.clone()/>
                <span class="whoami" title=viewer.user.email.clone()>{viewer.user.display_name()}</span>
                <ActionForm action=logout>
                    <button type="submit" class="button ghost">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
    }
}

/// Shows the organization being worked on and, for people in several, a way to switch.
#[component]
fn OrganizationSwitcher(viewer: Viewer) -> impl IntoView {
    let session = expect_context::<SessionState>();
    let switch = ServerAction::<SwitchOrganization>::new();
    session.reload_after(switch);
    let current = viewer.organization.clone();
    match (current, viewer.organizations.len()) {
        (None, _) => view! { <span class="org-name muted">"No organization"</span> }.into_any(),
        (Some(organization), 0 | 1) => view! { <span class="org-name">{organization.name}</span> }.into_any(),
        (Some(organization), count) if count > crate::organizations::SWITCHER_LIST_LIMIT => {
            view! { <OrganizationPicker current=organization known=viewer.organizations.clone() switch/> }.into_any()
        }
        (Some(organization), _) => view! {
            <ActionForm action=switch attr:class="org-switcher">
                <label for="organization-switcher" class="sr-only">"Organization"</label>
                <select id="organization-switcher" name="organization_id">
                    {viewer
                        .organizations
                        .into_iter()
                        .map(|option| {
                            let selected = option.id == organization.id;
                            view! { <option value=option.id.to_string() selected=selected>{option.name}</option> }
                        })
                        .collect_view()}
                </select>
                <button type="submit" class="button ghost small">"Switch"</button>
            </ActionForm>
        }
        .into_any(),
    }
}

/// `/`: admins land on the users table, everyone else on their profile.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <WithViewer render=|viewer: Viewer| {
            let path = if viewer.is_admin { "/users" } else { "/profile" };
            view! { <Redirect path=path/> }.into_any()
        }/>
    }
}

/// What a member without admin rights sees on an admin page.
#[component]
fn NeedsAdmin(viewer: Viewer) -> impl IntoView {
    let organization = viewer.organization.map(|o| o.name).unwrap_or_else(|| "this organization".into());
    view! {
        <Title text="Admin role needed"/>
        <EmptyState title="You need the admin role" page=true>
            <p>
                {format!("Only owners and admins of {organization} can manage its members and invitations. ")}
                "Ask one of them if you need access."
            </p>
            <p><a class="button" href="/profile">"Go to your profile"</a></p>
        </EmptyState>
    }
}

/// What someone who is no platform admin sees on a page that spans every organization.
#[component]
fn NeedsPlatformAdmin(why: &'static str) -> impl IntoView {
    view! {
        <EmptyState title="You need to be a platform admin" page=true>
            <p>{why}</p>
            <p><a class="button" href="/profile">"Go to your profile"</a></p>
        </EmptyState>
    }
}

/// Pages nobody has written.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main class="content" id="main">
            <EmptyState title="Page not found" page=true>
                <p>"There is nothing at this address."</p>
                <p><a class="button" href="/">"Go to the dashboard"</a></p>
            </EmptyState>
        </main>
    }
}
