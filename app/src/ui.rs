//! Small building blocks shared by the dashboard's pages.

use crate::error::AppError;
use crate::model::{InvitationState, ListMetadata, MembershipStatus};
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

/// Links to the newer and older pages of a newest-first list at `path`.
#[component]
pub fn NewerOlder(path: &'static str, metadata: ListMetadata) -> impl IntoView {
    let previous = metadata.before.map(|before| format!("{path}?before={before}"));
    let next = metadata.after.map(|after| format!("{path}?after={after}"));
    view! { <Pager previous next/> }
}

/// Links to a list's neighbouring pages, named `label` for screen readers; a side without a
/// page shows disabled, and a list that fits on one page shows none.
#[component]
pub fn Pager(
    #[prop(default = "Pages")] label: &'static str,
    previous: Option<String>,
    next: Option<String>,
) -> impl IntoView {
    let link = |href: Option<String>, rel: &'static str, text: &'static str| match href {
        Some(href) => view! { <a class="button" href=href rel=rel>{text}</a> }.into_any(),
        None => view! { <span class="button" aria-disabled="true">{text}</span> }.into_any(),
    };
    (previous.is_some() || next.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label=label>
                {link(previous, "prev", "← Previous")}
                {link(next, "next", "Next →")}
            </nav>
        }
    })
}

/// A labelled input, holding `value` when given, with its error under it; the error's
/// element is `{id}-error`.
#[component]
pub fn InputField(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] value: Option<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type=kind
                name=name
                value=value
                autocomplete=autocomplete
                required=required
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
            />
            <FieldError id=error_id message=error/>
        </div>
    }
}

/// A list that failed to load, in place of the list.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    view! { <div class="alert alert-error" role="alert">{error.to_string()}</div> }
}

/// A table of records in a card: `columns` head it, and `actions` adds an unlabelled last
/// column (named for screen readers) for each row's buttons. `lead`, when given, heads a first
/// column before them, such as a select-all checkbox.
#[component]
pub fn DataTable(
    caption: &'static str,
    columns: &'static [&'static str],
    #[prop(optional)] actions: bool,
    #[prop(optional, into)] lead: Option<ViewFn>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-card">
            <div class="table-scroll">
                <table class="data">
                    <caption class="sr-only">{caption}</caption>
                    <thead>
                        <tr>
                            {lead.map(|lead| view! { <th scope="col" class="select-cell">{lead.run()}</th> })}
                            {columns.iter().map(|column| view! { <th scope="col">{*column}</th> }).collect_view()}
                            {actions.then(|| view! { <th scope="col"><span class="sr-only">"Actions"</span></th> })}
                        </tr>
                    </thead>
                    <tbody>{children()}</tbody>
                </table>
            </div>
        </div>
    }
}

/// A centred message for empty lists and closed doors; `page` makes its title the page's
/// main heading.
#[component]
pub fn EmptyState(#[prop(into)] title: String, #[prop(optional)] page: bool, children: Children) -> impl IntoView {
    let heading = if page { view! { <h1>{title}</h1> }.into_any() } else { view! { <h2>{title}</h2> }.into_any() };
    view! {
        <div class="empty-state">
            {heading}
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

/// The centred card of the pages people see before they are signed in.
#[component]
pub fn AuthCard(children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand brand-large" aria-hidden="true">
                    <span class="brand-mark">"R"</span>
                    "Roster"
                </p>
                {children()}
            </div>
        </main>
    }
}

/// The "Per page" choice of a list's filter form (`limit`), with the current size selected.
#[component]
pub fn PageSizeField(id: &'static str, #[prop(into)] current: Signal<u32>) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Per page"</label>
            <select id=id name="limit">
                {crate::links::PAGE_SIZES
                    .into_iter()
                    .map(|size| {
                        let selected = move || current.get() == size;
                        view! { <option value=size.to_string() selected=selected>{size.to_string()}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// A form's primary submit button, disabled and relabelled while its action runs.
#[component]
pub fn SubmitButton(#[prop(into)] pending: Signal<bool>, idle: &'static str, busy: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class="button primary" disabled=move || pending.get()>
            {move || if pending.get() { busy } else { idle }}
        </button>
    }
}

/// From a form's failed answer: the error of each field by name, and the error that belongs
/// to no field.
pub fn form_errors(
    error: impl Fn() -> Option<AppError> + Copy + Send + Sync + 'static,
) -> (impl Fn(&'static str) -> Signal<Option<String>> + Copy, Signal<Option<AppError>>) {
    let field = move |name: &'static str| {
        Signal::derive(move || error().and_then(|e| e.field_message(name).map(str::to_owned)))
    };
    (field, Signal::derive(move || error().filter(|e| !e.is_validation())))
}
