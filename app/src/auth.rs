//! Signing in and out, the signed-in viewer, and the organization being worked on.

use crate::error::AppError;
use crate::model::Viewer;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

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
