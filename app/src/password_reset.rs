//! Forgot password, then reset: `/forgot-password` asks for a link by email, and
//! `/reset-password?token=…` (the link the email carries) sets a new password.
//!
//! Both are public by design: asking for a link tells nothing about whether the email has an
//! account (the link goes to the mailbox, never to the asker), and the token is the only proof
//! the reset needs. The limits are the core's (per email and per address).

use crate::error::AppError;
use crate::ui::{AuthCard, ErrorBanner, InputField, Loading, form_errors};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
use crate::door::directory;

/// Where a reset form is sent after success: the confirmation, with no token in its address.
pub const RESET_DONE_PATH: &str = "/reset-password?done=1";
/// Where the request form is sent after it was answered.
pub const REQUEST_SENT_PATH: &str = "/forgot-password?sent=1";

/// Sends a reset link to the email's account, if it has one; the answer is the same either way.
#[server(prefix = "/api", endpoint = "forgot-password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    if email.trim().is_empty() {
        return Err(AppError::invalid("email", "email_required", "Enter your email address."));
    }
    let (ip_address, _) = crate::door::client_details();
    directory().request_password_reset(&email, ip_address.as_deref()).await?;
    leptos_axum::redirect(REQUEST_SENT_PATH);
    Ok(())
}

/// The email whose password a live reset link resets.
#[server(prefix = "/api", endpoint = "reset-password-preview")]
pub async fn preview_reset_link(token: String) -> Result<String, AppError> {
    let (ip_address, _) = crate::door::client_details();
    directory().preview_password_reset(&token, ip_address.as_deref()).await
}

/// Sets a new password with the token of a reset link; every session of the user ends.
#[server(prefix = "/api", endpoint = "reset-password")]
pub async fn reset_password(token: String, new_password: String, confirm_password: String) -> Result<(), AppError> {
    if confirm_password != new_password {
        return Err(AppError::invalid(
            "confirm_password",
            "password_mismatch",
            "The two passwords are not the same. Type the new password twice.",
        ));
    }
    let (ip_address, _) = crate::door::client_details();
    directory().reset_password_with_token(&token, &new_password, ip_address.as_deref()).await?;
    leptos_axum::redirect(RESET_DONE_PATH);
    Ok(())
}

/// `/forgot-password`: the form that asks for a reset link, then the answer it always gets.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let sent = move || query.with(|q| q.get("sent").is_some());
    view! {
        <Title text="Reset your password"/>
        <AuthCard>
            {move || if sent() { view! { <RequestSent/> }.into_any() } else { view! { <RequestForm/> }.into_any() }}
        </AuthCard>
    }
}

#[component]
fn RequestForm() -> impl IntoView {
    let request = ServerAction::<ForgotPassword>::new();
    let (field, page_error) = form_errors(move || request.value().get().and_then(Result::err));
    view! {
        <h1>"Reset your password"</h1>
        <p class="muted">"Enter the email you sign in with. We will send a link to choose a new password."</p>
        <ErrorBanner error=page_error/>
        <ActionForm action=request attr:novalidate=true attr:class="stack">
            <InputField
                id="forgot-email"
                label="Email"
                name="email"
                kind="email"
                autocomplete="username"
                required=true
                error=field("email")
            />
            <button type="submit" class="button primary" disabled=move || request.pending().get()>
                {move || if request.pending().get() { "Sending…" } else { "Send reset link" }}
            </button>
        </ActionForm>
        <p class="auth-links">
            <a href="/login">"Back to sign in"</a>
        </p>
    }
}

#[component]
fn RequestSent() -> impl IntoView {
    view! {
        <h1>"Check your email"</h1>
        <p class="alert alert-success" role="status">
            "If an account exists for that address, we sent a link to reset its password."
        </p>
        <p class="muted">"The link works once, for 30 minutes. Nothing arrived? Check your spam folder, or ask again."</p>
        <a class="button" href="/login">"Back to sign in"</a>
        <p class="auth-links">
            <a href="/forgot-password">"Ask for another link"</a>
        </p>
    }
}

/// `/reset-password?token=…`: the reset link's page; `?done=1` is the confirmation after it.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let done = move || query.with(|q| q.get("done").is_some());
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let preview = Resource::new(token, |token| async move {
        if token.trim().is_empty() {
            return Err(AppError::invalid("token", "password_reset_token_invalid", "The reset link is incomplete."));
        }
        preview_reset_link(token).await
    });
    view! {
        <Title text="Choose a new password"/>
        <AuthCard>
            {move || {
                if done() {
                    return view! { <ResetDone/> }.into_any();
                }
                view! {
                    <Suspense fallback=|| view! { <Loading what="your reset link"/> }>
                        {move || Suspend::new(async move {
                            match preview.await {
                                Ok(email) => view! { <ResetForm token=token() email/> }.into_any(),
                                Err(AppError::RateLimited { .. }) => view! {
                                    <h1>"Too many attempts"</h1>
                                    <p class="alert alert-error" role="alert">
                                        "Too many reset links were tried from here. Wait a minute and open the link again."
                                    </p>
                                }
                                .into_any(),
                                Err(_) => view! { <DeadLink/> }.into_any(),
                            }
                        })}
                    </Suspense>
                }
                .into_any()
            }}
        </AuthCard>
    }
}

/// The one answer to a link that is wrong, used, replaced by a newer one, or expired.
#[component]
fn DeadLink() -> impl IntoView {
    view! {
        <h1>"This link does not work"</h1>
        <p class="alert alert-error" role="alert">
            "This password reset link is wrong, already used or expired. Ask for a new one."
        </p>
        <a class="button primary" href="/forgot-password">"Ask for a new link"</a>
        <p class="auth-links">
            <a href="/login">"Back to sign in"</a>
        </p>
    }
}

#[component]
fn ResetForm(token: String, email: String) -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let error = move || reset.value().get().and_then(Result::err);
    let (field, page_error) = form_errors(error);
    let dead = field("token");
    view! {
        <h1>"Choose a new password"</h1>
        <p class="muted">"Use at least 8 characters. Signing in elsewhere with the old password stops working."</p>
        <ErrorBanner error=page_error/>
        {move || {
            dead.get()
                .map(|_| {
                    view! {
                        <p class="alert alert-error" role="alert">
                            "This password reset link is wrong, already used or expired. "
                            <a href="/forgot-password">"Ask for a new one."</a>
                        </p>
                    }
                })
        }}
        <ActionForm action=reset attr:novalidate=true attr:class="stack">
            <input type="hidden" name="token" value=token/>
            <div class="field">
                <label for="reset-email">"Email"</label>
                <input id="reset-email" type="email" name="email" autocomplete="username" value=email readonly/>
            </div>
            <InputField
                id="reset-new-password"
                label="New password"
                name="new_password"
                kind="password"
                autocomplete="new-password"
                required=true
                error=field("new_password")
            />
            <InputField
                id="reset-confirm-password"
                label="Type it again"
                name="confirm_password"
                kind="password"
                autocomplete="new-password"
                required=true
                error=field("confirm_password")
            />
            <button type="submit" class="button primary" disabled=move || reset.pending().get()>
                {move || if reset.pending().get() { "Saving…" } else { "Set new password" }}
            </button>
        </ActionForm>
    }
}

#[component]
fn ResetDone() -> impl IntoView {
    view! {
        <h1>"Your password was changed"</h1>
        <p class="alert alert-success" role="status">
            "Sign in with your new password. Every session that was open with the old one has ended."
        </p>
        <a class="button primary" href="/login">"Sign in"</a>
    }
}
