//! Roster's shared crate: the wire models, the `Directory` contract, the server functions
//! and the dashboard's components.

pub mod accept;
pub mod api_keys;
pub mod auth;
pub mod bulk;
pub mod embed;
pub mod error;
pub mod format;
pub mod hosted;
pub mod ids;
pub mod invitations;
pub mod layout;
pub mod links;
pub mod members;
pub mod metadata;
pub mod model;
pub mod organizations;
pub mod outbox;
pub mod password_reset;
pub mod profile;
pub mod roles;
pub mod settings;
pub mod ui;
pub mod user_detail;

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod directory;
#[cfg(feature = "ssr")]
pub mod door;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Link, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// Where every server function is mounted (`#[server(prefix = "/api")]` takes only a
/// literal); the server's cross-origin check and error statuses key on it, and a test checks
/// that every registered server function is under it.
pub const SERVER_FN_PREFIX: &str = "/api/";

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                // In the shell, which only the server renders: with hashed file names
                // (`make release`) it reads the stylesheet's name beside the binary.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The dashboard.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    auth::SessionState::provide();
    // Effects run only in the browser, so this marks the moment the page became interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Link rel="icon" href="/favicon.ico"/>
        <Title formatter=|title: String| if title.is_empty() { "Roster".to_owned() } else { format!("{title} · Roster") }/>
        <Router>
            <Routes fallback=|| view! { <layout::NotFound/> }>
                <Route path=path!("/login") view=hosted::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-in") view=hosted::SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-up") view=hosted::SignUpPage ssr=SsrMode::Async/>
                <Route path=path!("/magic-code") view=hosted::MagicCodePage ssr=SsrMode::Async/>
                <Route path=path!("/verify-email") view=hosted::VerifyEmailPage ssr=SsrMode::Async/>
                <Route path=path!("/mfa/enroll") view=hosted::EnrollTotpPage ssr=SsrMode::Async/>
                <Route path=path!("/mfa/challenge") view=hosted::ChallengeTotpPage ssr=SsrMode::Async/>
                <Route path=path!("/choose-organization") view=hosted::ChooseOrganizationPage ssr=SsrMode::Async/>
                <Route path=path!("/invitations/accept") view=accept::AcceptInvitationPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=password_reset::ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password") view=password_reset::ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/embed/users") view=embed::EmbedUsersPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=layout::Layout ssr=SsrMode::Async>
                    <Route path=path!("") view=layout::Home ssr=SsrMode::Async/>
                    <Route path=path!("users") view=members::UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("users/:id") view=user_detail::UserDetailPage ssr=SsrMode::Async/>
                    <Route path=path!("invitations") view=invitations::InvitationsPage ssr=SsrMode::Async/>
                    <Route path=path!("roles") view=roles::RolesPage ssr=SsrMode::Async/>
                    <Route path=path!("profile") view=profile::ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("api-keys") view=api_keys::ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=path!("outbox") view=outbox::OutboxPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=settings::SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("orgs") view=organizations::OrganizationsPage ssr=SsrMode::Async/>
                    <Route path=path!("orgs/new") view=organizations::NewOrganizationPage ssr=SsrMode::Async/>
                    <Route path=path!("orgs/:id") view=organizations::OrganizationPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
