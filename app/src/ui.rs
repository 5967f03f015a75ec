//! Small building blocks shared by the dashboard's pages.

use crate::error::AppError;
use crate::model::{InvitationState, MembershipStatus};
use leptos::prelude::*;

/// A coloured label for a membership status.
#[component]
pub fn StatusBadge(status: MembershipStatus) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str())>{status.label()}</span> }
}

/// A coloured label for an invitation state.
#[component]
pub fn InvitationBadge(state: InvitationState) -> impl IntoView {
    let label = match state {
        InvitationState::Pending => "Pending",
        InvitationState::Accepted => "Accepted",
        InvitationState::Expired => "Expired",
        InvitationState::Revoked => "Revoked",
    };
    view! { <span class=format!("badge invitation-{}", state.as_str())>{label}</span> }
}

/// An error for the whole page or form, announced to screen readers.
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|error| {
            view! {
                <div class="alert alert-error" role="alert">
                    <strong>"Not done. "</strong>
                    {error.to_string()}
                </div>
            }
        })
    }
}

/// The error of one form field, placed under it and tied to it with `aria-describedby`.
#[component]
pub fn FieldError(#[prop(into)] id: String, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="field-error" aria-live="polite">
            {move || message.get()}
        </p>
    }
}

/// A centred message for empty lists and closed doors.
#[component]
pub fn EmptyState(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>{title}</h2>
            {children()}
        </div>
    }
}

/// A loading indicator that says what is loading.
#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! {
        <p class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            {format!("Loading {what}…")}
        </p>
    }
}
