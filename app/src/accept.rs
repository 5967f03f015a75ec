//! The page an invitation link opens: who invited you where, then accept by signing in with
//! the account the invited email has, or by creating one.

use crate::auth::SessionState;
use crate::error::AppError;
use crate::format;
use crate::model::{InvitationPreview, InvitationState};
use crate::ui::{AuthCard, ErrorBanner, InputField, Loading, form_errors};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
use crate::door::directory;

/// What an invitation link leads to; the token is the only credential it needs.
#[server(prefix = "/api", endpoint = "invitation-preview")]
pub async fn preview_invitation_link(invitation_token: String) -> Result<InvitationPreview, AppError> {
    directory().preview_invitation(&invitation_token).await
}

/// Accepts an invitation with the password of the invited email's account, signs in and
/// opens the dashboard.
#[server(prefix = "/api", endpoint = "accept-invitation")]
pub async fn accept_as_member(invitation_token: String, password: String) -> Result<(), AppError> {
    use crate::directory::Invitee;
    if password.is_empty() {
        return Err(AppError::invalid("password", "password_required", "Enter your password."));
    }
    accept(invitation_token, Invitee::ExistingAccount { password }).await
}

/// Accepts an invitation by creating an account for the invited email, signs in and opens
/// the dashboard.
#[server(prefix = "/api", endpoint = "accept-invitation-new")]
pub async fn accept_as_new_user(
    invitation_token: String,
    first_name: String,
    last_name: String,
    password: String,
) -> Result<(), AppError> {
    use crate::directory::Invitee;
    let optional = |name: String| Some(name.trim().to_owned()).filter(|name| !name.is_empty());
    let invitee = Invitee::NewAccount { first_name: optional(first_name), last_name: optional(last_name), password };
    accept(invitation_token, invitee).await
}

#[cfg(feature = "ssr")]
async fn accept(token: String, invitee: crate::directory::Invitee) -> Result<(), AppError> {
    use crate::directory::LinkAcceptance;
    let (ip_address, user_agent) = crate::door::client_details();
    let signed_in =
        directory().accept_invitation_link(LinkAcceptance { token, invitee, ip_address, user_agent }).await?;
    crate::door::set_session_cookie(Some(&signed_in.token));
    leptos_axum::redirect("/");
    Ok(())
}

/// The invitation link's page, `/invitations/accept?invitation_token=…`.
#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("invitation_token").unwrap_or_default());
    let preview = Resource::new(token, preview_invitation_link);
    view! {
        <Title text="Accept your invitation"/>
        <AuthCard>
            <Suspense fallback=|| view! { <Loading what="your invitation"/> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok(preview) => view! { <Invitation preview token=token()/> }.into_any(),
                        Err(_) => view! {
                            <h1>"This link does not work"</h1>
                            <p class="muted">
                                "The invitation was not found. Ask whoever invited you to send a new one."
                            </p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
fn Invitation(preview: InvitationPreview, token: String) -> impl IntoView {
    let destination = preview.organization_name.clone().unwrap_or_else(|| "Roster".into());
    let summary = match (&preview.role_name, &preview.organization_name) {
        (Some(role), Some(organization)) => format!("{} is invited to {organization} as {role}.", preview.email),
        _ => format!("{} is invited to create an account.", preview.email),
    };
    if preview.state != InvitationState::Pending {
        let why = match preview.state {
            InvitationState::Accepted => "This invitation has already been accepted.",
            InvitationState::Expired => "This invitation has expired. Ask whoever invited you to resend it.",
            _ => "This invitation was withdrawn.",
        };
        return view! {
            <h1>{format!("Join {destination}")}</h1>
            <p class="muted">{summary}</p>
            <p class="alert alert-error" role="alert">{why}</p>
            <a class="button" href="/login">"Go to sign in"</a>
        }
        .into_any();
    }
    let expiry = format!("The invitation expires {}.", format::date_time(&preview.expires_at));
    view! {
        <h1>{format!("Join {destination}")}</h1>
        <p class="muted">{summary} " " {expiry}</p>
        {if preview.has_account {
            view! { <ExistingAccountForm token email=preview.email/> }.into_any()
        } else {
            view! { <NewAccountForm token email=preview.email/> }.into_any()
        }}
    }
    .into_any()
}

/// The invited email, shown read-only: the invitation decides it.
#[component]
fn InvitedEmail(email: String) -> impl IntoView {
    view! {
        <div class="field">
            <label for="accept-email">"Email"</label>
            <input id="accept-email" type="email" name="email" autocomplete="username" value=email readonly/>
        </div>
    }
}

/// The password field of both ways to accept.
#[component]
fn PasswordField(autocomplete: &'static str, label: &'static str, error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <InputField id="accept-password" label name="password" kind="password" autocomplete required=true error/>
    }
}

#[component]
fn ExistingAccountForm(token: String, email: String) -> impl IntoView {
    let accept = ServerAction::<AcceptAsMember>::new();
    expect_context::<SessionState>().reload_after(accept);
    let (field, page_error) = form_errors(move || accept.value().get().and_then(Result::err));
    view! {
        <p>"Sign in to accept."</p>
        <ErrorBanner error=page_error/>
        <ActionForm action=accept attr:novalidate=true attr:class="stack">
            <input type="hidden" name="invitation_token" value=token/>
            <InvitedEmail email/>
            <PasswordField autocomplete="current-password" label="Password" error=field("password")/>
            <button type="submit" class="button primary" disabled=move || accept.pending().get()>
                {move || if accept.pending().get() { "Joining…" } else { "Sign in and accept" }}
            </button>
        </ActionForm>
    }
}

#[component]
fn NewAccountForm(token: String, email: String) -> impl IntoView {
    let accept = ServerAction::<AcceptAsNewUser>::new();
    expect_context::<SessionState>().reload_after(accept);
    let (field, page_error) = form_errors(move || accept.value().get().and_then(Result::err));
    view! {
        <p>"Create your account to accept."</p>
        <ErrorBanner error=page_error/>
        <ActionForm action=accept attr:novalidate=true attr:class="stack">
            <input type="hidden" name="invitation_token" value=token/>
            <InvitedEmail email/>
            <InputField
                id="accept-first-name"
                label="First name"
                name="first_name"
                autocomplete="given-name"
                error=field("first_name")
            />
            <InputField
                id="accept-last-name"
                label="Last name"
                name="last_name"
                autocomplete="family-name"
                error=field("last_name")
            />
            <PasswordField autocomplete="new-password" label="Choose a password" error=field("password")/>
            <button type="submit" class="button primary" disabled=move || accept.pending().get()>
                {move || if accept.pending().get() { "Joining…" } else { "Create account and accept" }}
            </button>
        </ActionForm>
    }
}
