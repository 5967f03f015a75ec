//! Signing in and out, the signed-in viewer, and the organization being worked on.

use crate::error::AppError;
use crate::model::Viewer;
use crate::ui::{AuthCard, ErrorBanner, InputField, form_errors};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// Signs in with email and password and sets the session cookie.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::directory::PasswordLogin;
    let mut errors = crate::error::FieldErrors::default();
    if email.trim().is_empty() {
        errors.add("email", "email_required", "Enter your email address.");
    }
    if password.is_empty() {
        errors.add("password", "password_required", "Enter your password.");
    }
    errors.finish()?;
    let (ip_address, user_agent) = crate::door::client_details();
    let signed_in = directory().sign_in(PasswordLogin { email, password, ip_address, user_agent }).await?;
    crate::door::set_session_cookie(Some(&signed_in.token));
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the session and clears the cookie.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    if let Ok(caller) = caller().await {
        directory().sign_out(&caller).await?;
    }
    crate::door::set_session_cookie(None);
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in viewer, or `None` without a live session.
#[server(prefix = "/api", endpoint = "viewer")]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    match caller().await {
        Ok(caller) => directory().viewer(&caller).await.map(Some),
        Err(AppError::Unauthenticated) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Points the session at another organization the viewer may work on.
#[server(prefix = "/api", endpoint = "switch-organization")]
pub async fn switch_organization(organization_id: String) -> Result<(), AppError> {
    use crate::ids::OrganizationId;
    let caller = caller().await?;
    let organization = OrganizationId::parse(&organization_id).ok_or_else(|| AppError::not_found("Organization"))?;
    directory().switch_organization(&caller, &organization).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The signed-in viewer, shared through context, and a way to reload it after the session
/// changed (sign-in, sign-out, another organization).
///
/// The actions that change the session live in the route components that show their forms:
/// only there do they see the errors a plain (no-JavaScript) form post brings back.
#[derive(Clone, Copy)]
pub struct SessionState {
    generation: RwSignal<u64>,
    pub viewer: Resource<Result<Option<Viewer>, AppError>>,
}

impl SessionState {
    /// Creates the session state and provides it to the app.
    pub fn provide() -> Self {
        let generation = RwSignal::new(0);
        let viewer = Resource::new(move || generation.get(), |_| current_viewer());
        let state = Self { generation, viewer };
        provide_context(state);
        state
    }

    /// Reloads the viewer whenever `action` succeeds.
    pub fn reload_after<S>(self, action: ServerAction<S>)
    where
        S: leptos::server_fn::ServerFn<Output = ()> + Clone + Send + Sync + 'static,
        S::Error: Send + Sync + 'static,
    {
        Effect::new(move |_| {
            if action.value().with(|value| matches!(value, Some(Ok(())))) {
                self.generation.update(|n| *n += 1);
            }
        });
    }
}

/// The sign-in page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = expect_context::<SessionState>();
    let login = ServerAction::<Login>::new();
    session.reload_after(login);
    let (field, page_error) = form_errors(move || login.value().get().and_then(Result::err));
    let already_signed_in = move || matches!(session.viewer.get(), Some(Ok(Some(_))));

    view! {
        <Title text="Sign in"/>
        <Suspense fallback=|| ()>
            <Show when=already_signed_in>
                <Redirect path="/"/>
            </Show>
        </Suspense>
        <AuthCard>
            <h1>"Sign in"</h1>
            <p class="muted">"Manage your organization's people, roles and invitations."</p>
            <ErrorBanner error=page_error/>
            <ActionForm action=login attr:novalidate=true attr:class="stack">
                <InputField
                    id="login-email"
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="username"
                    required=true
                    error=field("email")
                />
                <InputField
                    id="login-password"
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=field("password")
                />
                <button type="submit" class="button primary" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="auth-links">
                <a href="/forgot-password">"Forgot password?"</a>
            </p>
        </AuthCard>
    }
}
