//! Bulk actions on the users table: tick rows (or take everything the search matches), pick an
//! action, apply it in one request, and read what was done to each row and what was refused.
//!
//! The form is a plain form (`id="bulk-form"`) above the table; the rows' checkboxes join it
//! through their `form` attribute, so it works before the app has loaded as well as after.

use crate::error::AppError;
use crate::members::TableQuery;
use crate::model::*;
use crate::ui::DataTable;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// The `id` of the bulk form, which the rows' checkboxes name in their `form` attribute.
pub const FORM_ID: &str = "bulk-form";

/// The query parameter that names a kept report, after a form posted without JavaScript.
pub const REPORT_PARAM: &str = "bulk_report";

/// Applies one action to the selected members of the current organization, in one request,
/// and reports each row.
///
/// `action` is `set_role:<slug>`, `deactivate`, `reactivate`, `remove` or `resend_invitation`.
/// `scope` is `selected` (the ticked `membership_ids`, plus `page_ids` when `whole_page` was
/// ticked) or `matching` (everything `filter` matches, resolved on the server).
#[server(prefix = "/api", endpoint = "bulk-members")]
pub async fn bulk_members(
    #[server(default)] action: String,
    #[server(default)] scope: String,
    #[server(default)] membership_ids: Vec<crate::ids::MembershipId>,
    #[server(default)] whole_page: bool,
    #[server(default)] confirm: bool,
    #[server(default)] page_ids: Vec<crate::ids::MembershipId>,
    #[server(default)] filter: MemberFilter,
) -> Result<BulkReport, AppError> {
    let admin = caller().await?.admin()?;
    let organization = admin.organization().cloned().ok_or_else(|| AppError::not_found("Organization"))?;
    let action = parse_action(&action)?;
    // Removing cannot be undone from here (the roles go with the membership): one more tick.
    if action == BulkAction::Remove && !confirm {
        return Err(AppError::invalid(
            "confirm",
            "confirmation_required",
            "Removing takes people out of the organization at once. Tick “Yes, remove them” and run it again.",
        ));
    }
    let selection = match scope.as_str() {
        "matching" => BulkSelection::Matching(filter),
        "selected" | "" => {
            let mut ids = membership_ids;
            if whole_page {
                ids.extend(page_ids);
            }
            BulkSelection::Rows(ids)
        }
        _ => return Err(AppError::invalid("scope", "scope_invalid", "Choose which members to apply the action to.")),
    };
    let directory = directory();
    let report = directory.bulk_members(&admin, &organization, selection, action).await?;
    // A plain form post is sent back to the table; the report waits there under its ID.
    if let Some(back) = plain_form_referer() {
        let id = directory.keep_bulk_report(&admin, &organization, &report).await?;
        leptos_axum::redirect(&with_report(&back, id.as_str()));
    }
    Ok(report)
}

/// Reads the kept report of a bulk action that was posted without JavaScript.
#[server(prefix = "/api", endpoint = "bulk-report")]
pub async fn kept_bulk_report(report_id: String) -> Result<BulkReport, AppError> {
    use crate::ids::BulkReportId;
    let admin = caller().await?.admin()?;
    let id = BulkReportId::parse(&report_id).ok_or_else(|| AppError::not_found("Report"))?;
    directory().bulk_report(&admin, &id).await
}

/// Counts the bulk actions that succeeded: the table reloads after each one, and keeps its
/// ticked rows after a refused request.
pub fn successes(action: ServerAction<BulkMembers>) -> Signal<u32> {
    let count = RwSignal::new(0u32);
    Effect::new(move |_| {
        if action.value().with(|value| matches!(value, Some(Ok(_)))) {
            count.update(|n| *n += 1);
        }
    });
    count.into()
}

/// Reads the action field.
pub fn parse_action(raw: &str) -> Result<BulkAction, AppError> {
    Ok(match raw.trim() {
        "deactivate" => BulkAction::Deactivate,
        "reactivate" => BulkAction::Reactivate,
        "remove" => BulkAction::Remove,
        "resend_invitation" => BulkAction::ResendInvitation,
        other => match other.strip_prefix("set_role:") {
            Some(role) => BulkAction::SetRole { role: role.to_owned() },
            None => return Err(AppError::invalid("action", "action_required", "Choose an action.")),
        },
    })
}

/// The page a plain HTML form was posted from, when the request is one (the app asks for
/// JSON instead).
#[cfg(feature = "ssr")]
fn plain_form_referer() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let header = |name: http::header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if !header(http::header::ACCEPT).is_some_and(|accept| accept.contains("text/html")) {
        return None;
    }
    Some(header(http::header::REFERER).unwrap_or("/users").to_owned())
}

/// The users table at the referer's query (or its first page), with the report's ID added and
/// any earlier report or error removed. Only ever a path on this site.
pub fn with_report(referer: &str, id: &str) -> String {
    let after_host = match referer.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|slash| &rest[slash..]).unwrap_or("/"),
        None => referer,
    };
    let (path, query) = after_host.split_once('?').unwrap_or((after_host, ""));
    let kept: Vec<&str> = if path == "/users" {
        query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let key = pair.split('=').next().unwrap_or_default();
                key != REPORT_PARAM && key != "__err" && key != "__path"
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut pairs = kept.join("&");
    if !pairs.is_empty() {
        pairs.push('&');
    }
    format!("/users?{pairs}{REPORT_PARAM}={id}")
}

/// Which rows of the current page are ticked; the checkboxes and the select-all box share it.
#[derive(Clone, Copy)]
pub struct Selection {
    chosen: RwSignal<Vec<String>>,
    page: StoredValue<Vec<String>>,
}

impl Selection {
    /// A selection over the membership IDs of one page, none ticked.
    pub fn new(page: Vec<String>) -> Self {
        Self { chosen: RwSignal::new(Vec::new()), page: StoredValue::new(page) }
    }

    fn has(&self, id: &str) -> bool {
        self.chosen.with(|chosen| chosen.iter().any(|c| c == id))
    }

    fn set(&self, id: &str, on: bool) {
        self.chosen.update(|chosen| {
            chosen.retain(|c| c != id);
            if on {
                chosen.push(id.to_owned());
            }
        });
    }

    fn count(&self) -> usize {
        self.chosen.with(Vec::len)
    }

    fn all(&self) -> bool {
        let total = self.page.with_value(Vec::len);
        total > 0 && self.count() == total
    }
}

/// The checkbox of one row, joined to the bulk form.
#[component]
pub fn RowCheckbox(selection: Selection, id: String, name: String) -> impl IntoView {
    let checkbox_id = format!("select-{id}");
    let value = id.clone();
    let (for_checked, for_change) = (id.clone(), id);
    view! {
        <td class="select-cell">
            <input
                type="checkbox"
                id=checkbox_id
                name="membership_ids[]"
                value=value
                form=FORM_ID
                aria-label=format!("Select {name}")
                prop:checked=move || selection.has(&for_checked)
                on:change=move |ev| selection.set(&for_change, event_target_checked(&ev))
            />
        </td>
    }
}

/// The select-all box of the table's head. With the app loaded it ticks every row; before,
/// it is a form field of its own that takes the page's rows.
#[component]
pub fn SelectAll(selection: Selection) -> impl IntoView {
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        selection.chosen.set(if on { selection.page.get_value() } else { Vec::new() });
    };
    let partly = move || selection.count() != 0 && !selection.all();
    view! {
        <input
            type="checkbox"
            id="select-all"
            name="whole_page"
            value="true"
            form=FORM_ID
            aria-label="Select every member on this page"
            prop:checked=move || selection.all()
            prop:indeterminate=partly
            on:change=toggle
        />
    }
}

/// The bulk form above the table: which members, which action, and the button.
#[component]
pub fn BulkBar(
    action: ServerAction<BulkMembers>,
    selection: Selection,
    /// The roles the viewer may hand out.
    roles: Vec<Role>,
    query: TableQuery,
) -> impl IntoView {
    let error = move || action.value().get().and_then(Result::err);
    let field = move |name: &'static str| move || error().and_then(|e| e.field_message(name).map(str::to_owned));
    let other = move || error().filter(|e| !e.is_validation()).map(|e| e.to_string());
    let selection_error = move || field("membership_ids")().or_else(field("selection")).or_else(field("scope"));
    // The removal's confirmation shows once "Remove" is chosen (with the app loaded), or when
    // the server asked for it (before it has loaded).
    let chosen = RwSignal::new(String::new());
    let confirming = move || chosen.get() == "remove" || field("confirm")().is_some();
    let filter = query.filter.clone();
    // Labels avoid the words of the filters' labels ("Search", "Match", "Role"…), which tests
    // and assistive technology find fields by.
    let matching_label =
        if query.is_filtered() { "Everyone the filters find, on every page" } else { "Everyone, on every page" };
    let hidden = |name: &'static str, value: Option<String>| {
        value.map(|value| view! { <input type="hidden" name=name value=value/> })
    };
    view! {
        <ActionForm action attr:id=FORM_ID attr:class="bulk-bar" attr:aria-label="Bulk actions">
            {selection.page.get_value().into_iter().map(|id| view! { <input type="hidden" name="page_ids[]" value=id/> }).collect_view()}
            {hidden("filter[search]", filter.search.clone())}
            {hidden("filter[search_match]", Some(filter.search_match).filter(|m| *m == SearchMatch::Contains).map(|_| "contains".to_owned()))}
            {hidden("filter[role]", filter.role.clone())}
            {hidden("filter[status]", filter.status.map(|status| status.as_str().to_owned()))}
            {hidden("filter[sort]", Some(filter.sort.as_str().to_owned()))}
            <fieldset class="bulk-scope" aria-describedby="bulk-selection-error">
                <legend>"Apply to"</legend>
                <label class="choice">
                    <input type="radio" name="scope" value="selected" checked=true/>
                    {move || match selection.count() {
                        0 => "The ticked rows".to_owned(),
                        1 => "The ticked row (1)".to_owned(),
                        n => format!("The ticked rows ({n})"),
                    }}
                </label>
                <label class="choice">
                    <input type="radio" name="scope" value="matching"/>
                    {matching_label}
                </label>
                <p id="bulk-selection-error" class="field-error" aria-live="polite">{selection_error}</p>
            </fieldset>
            <div class="field">
                <label for="bulk-action">"Action"</label>
                <select
                    id="bulk-action"
                    name="action"
                    aria-invalid=move || field("action")().or_else(field("role")).is_some().to_string()
                    aria-describedby="bulk-action-error"
                    prop:value=move || chosen.get()
                    on:change=move |ev| chosen.set(event_target_value(&ev))
                >
                    <option value="">"Choose an action…"</option>
                    <optgroup label="Change role to">
                        {roles
                            .into_iter()
                            .map(|role| view! { <option value=format!("set_role:{}", role.slug)>{role.name}</option> })
                            .collect_view()}
                    </optgroup>
                    <option value="deactivate">"Deactivate"</option>
                    <option value="reactivate">"Reactivate"</option>
                    <option value="remove">"Remove from the organization"</option>
                    <option value="resend_invitation">"Resend invitation (pending members)"</option>
                </select>
                <p id="bulk-action-error" class="field-error" aria-live="polite">
                    {move || field("action")().or_else(field("role"))}
                </p>
            </div>
            {move || confirming().then(|| view! {
                <div class="field bulk-confirm">
                    <label class="choice">
                        <input type="checkbox" name="confirm" value="true" aria-describedby="bulk-confirm-error"/>
                        "Yes, remove them"
                    </label>
                    <p id="bulk-confirm-error" class="field-error" aria-live="polite">{move || field("confirm")()}</p>
                </div>
            })}
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Running…" } else { "Run action" }}
            </button>
            {move || other().map(|message| view! { <p class="alert alert-error bulk-error" role="alert">{message}</p> })}
        </ActionForm>
    }
}

/// What the last bulk action did, row by row: from the action's answer, or, after a form
/// posted without JavaScript, from the report kept under the URL's `bulk_report`.
#[component]
pub fn BulkReportPanel(action: ServerAction<BulkMembers>) -> impl IntoView {
    let params = use_query_map();
    let kept_id = Memo::new(move |_| params.read().get(REPORT_PARAM));
    let kept = Resource::new(
        move || kept_id.get(),
        |id| async move {
            match id {
                Some(id) => kept_bulk_report(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let dismiss_href = Memo::new(move |_| TableQuery::from_params(&params.read()).href());
    let show = move |report: BulkReport| {
        view! { <ReportCard report dismiss_href=dismiss_href.get_untracked() action/> }.into_any()
    };
    view! {
        <div class="bulk-report-region" aria-live="polite">
            {move || {
                action.pending().get().then(|| view! {
                    <p class="loading" role="status">
                        <span class="spinner" aria-hidden="true"></span>
                        "Applying the bulk action…"
                    </p>
                })
            }}
            {move || match action.value().get() {
                Some(Ok(report)) if !action.pending().get() => show(report),
                Some(_) => ().into_any(),
                None => view! {
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match kept.await {
                                Ok(Some(report)) => show(report),
                                Ok(None) => ().into_any(),
                                Err(error) => view! {
                                    <p class="alert alert-error" role="alert">
                                        {format!("The report of the bulk action can't be shown: {error}")}
                                    </p>
                                }
                                .into_any(),
                            }
                        })}
                    </Transition>
                }
                .into_any(),
            }}
        </div>
    }
}

/// One report: its summary, then each row with its outcome and reason.
#[component]
fn ReportCard(report: BulkReport, dismiss_href: String, action: ServerAction<BulkMembers>) -> impl IntoView {
    let refused = report.count(BulkOutcome::Refused);
    let tone = if refused > 0 { "bulk-report has-refusals" } else { "bulk-report" };
    view! {
        <section class=format!("card {tone}") aria-labelledby="bulk-report-heading">
            <div class="bulk-report-head">
                <h2 id="bulk-report-heading">{format!("{}: {}", report.action.label(), report.summary())}</h2>
                <a class="button small ghost" href=dismiss_href on:click=move |_| action.value().set(None)>"Dismiss"</a>
            </div>
            {(refused > 0).then(|| view! {
                <p class="muted">"Refused rows were left as they were; the reason is next to each."</p>
            })}
            <DataTable caption="What the bulk action did to each member" columns=&["Member", "Result", "Details"]>
                {report
                    .rows
                    .into_iter()
                    .map(|row| {
                        view! {
                            <tr data-outcome=row.outcome.as_str()>
                                <th scope="row">{row.name}</th>
                                <td><span class=format!("badge bulk-{}", row.outcome.as_str())>{row.outcome.label()}</span></td>
                                <td>{row.message}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </DataTable>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_read_from_the_select() {
        assert_eq!(parse_action("set_role:admin").unwrap(), BulkAction::SetRole { role: "admin".into() });
        assert_eq!(parse_action("resend_invitation").unwrap(), BulkAction::ResendInvitation);
        assert!(parse_action("").unwrap_err().field_message("action").is_some());
        assert!(parse_action("explode").unwrap_err().field_message("action").is_some());
    }

    #[test]
    fn plain_posts_go_back_to_the_table_with_the_report() {
        assert_eq!(
            with_report("http://127.0.0.1:3000/users?q=ol&bulk_report=old&__err=x&__path=y", "bulk_report_1"),
            "/users?q=ol&bulk_report=bulk_report_1"
        );
        assert_eq!(with_report("http://evil.test/elsewhere?q=1", "r"), "/users?bulk_report=r");
        assert_eq!(with_report("/users", "r"), "/users?bulk_report=r");
    }
}
