//! Invitations: the invite form and the list of invitations with resend and revoke.

use crate::error::AppError;
use crate::format;
use crate::layout::{Gate, WithViewer};
use crate::model::*;
use crate::ui::{DataTable, EmptyState, ErrorBanner, FieldError, InvitationBadge, LoadError, Loading, NewerOlder};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// One page of the current organization's invitations, newest first.
#[server(prefix = "/api", endpoint = "invitations", input = Json)]
pub async fn list_invitations(page: Page) -> Result<List<Invitation>, AppError> {
    use crate::directory::InvitationQuery;
    let caller = caller().await?;
    let admin = caller.admin()?;
    let organization_id = admin.organization().cloned();
    directory().list_invitations(&admin, InvitationQuery { organization_id, email: None, page }).await
}

/// Invites an email address into the current organization.
///
/// `expires_in_days` arrives as text so that a non-number gets a field error, not a
/// failed request.
#[server(prefix = "/api", endpoint = "invite")]
pub async fn invite(email: String, role_slug: String, expires_in_days: String) -> Result<Invitation, AppError> {
    use crate::directory::NewInvitation;
    let caller = caller().await?;
    let admin = caller.admin()?;
    let organization_id = admin.organization().cloned().ok_or_else(|| AppError::not_found("Organization"))?;
    let expires_in_days = match expires_in_days.trim() {
        "" => None,
        days => Some(days.parse::<i64>().map_err(|_| {
            AppError::invalid("expires_in_days", "expires_in_days_invalid", "Enter a whole number of days.")
        })?),
    };
    let role_slug = Some(role_slug).filter(|slug| !slug.trim().is_empty());
    let inviter_user_id = caller.user_id().cloned();
    directory()
        .send_invitation(
            &admin,
            NewInvitation {
                email,
                organization_id: Some(organization_id),
                role_slug,
                expires_in_days,
                inviter_user_id,
            },
        )
        .await
}

/// Renews or withdraws a pending invitation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationChange {
    Resend,
    Revoke,
}

/// Resends or revokes an invitation of the current organization.
#[server(prefix = "/api", endpoint = "change-invitation")]
pub async fn change_invitation(invitation_id: String, change: InvitationChange) -> Result<Invitation, AppError> {
    use crate::ids::InvitationId;
    let caller = caller().await?;
    let admin = caller.admin()?;
    let id = InvitationId::parse(&invitation_id).ok_or_else(|| AppError::not_found("Invitation"))?;
    match change {
        InvitationChange::Resend => directory().resend_invitation(&admin, &id).await,
        InvitationChange::Revoke => directory().revoke_invitation(&admin, &id).await,
    }
}

/// A one-button form that resends or revokes an invitation.
#[component]
fn InvitationButton(
    id: String,
    email: String,
    change: ServerAction<ChangeInvitation>,
    change_name: &'static str,
    label: &'static str,
    class: &'static str,
) -> impl IntoView {
    view! {
        <ActionForm action=change attr:class="inline-form">
            <input type="hidden" name="invitation_id" value=id/>
            <input type="hidden" name="change" value=change_name/>
            <button type="submit" class=format!("button small {class}") aria-label=format!("{label} invitation for {email}")>{label}</button>
        </ActionForm>
    }
}

/// The link that accepts an invitation, to copy and send by hand until email delivery exists.
#[component]
fn ShareLink(email: String, url: String) -> impl IntoView {
    let input_id = format!("link-{}", email.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    view! {
        <details class="confirm">
            <summary class="button small" aria-label=format!("Share the invitation link for {email}…")>"Link…"</summary>
            <div class="confirm-panel share-panel">
                <label for=input_id.clone()>{format!("Send this link to {email}:")}</label>
                <input id=input_id type="text" class="share-link" value=url readonly/>
            </div>
        </details>
    }
}

/// The invitations page.
#[component]
pub fn InvitationsPage() -> impl IntoView {
    let invite = ServerAction::<Invite>::new();
    let change = ServerAction::<ChangeInvitation>::new();
    let params = use_query_map();
    let page = Memo::new(move |_| {
        let params = params.read();
        Page { limit: 25, after: params.get("after"), before: params.get("before"), order: Order::Desc }
    });
    let invitations = Resource::new(
        move || (page.get(), invite.version().get(), change.version().get()),
        |(page, _, _)| list_invitations(page),
    );
    let roles = Resource::new(|| (), |_| crate::roles::assignable_roles());
    let change_error = Signal::derive(move || change.value().get().and_then(Result::err));

    let content = move |viewer: Viewer| {
        let may_manage_owners = viewer.may_manage_owners;
        view! {
            <div class="page-head">
                <div>
                    <h1>"Invitations"</h1>
                    <p class="muted">"Invite people by email and keep track of who has not joined yet."</p>
                </div>
            </div>
            <InviteForm invite roles may_manage_owners/>
            <section class="section" aria-labelledby="invitations-heading">
                <h2 id="invitations-heading">"Sent invitations"</h2>
                <ErrorBanner error=change_error/>
                <Transition fallback=|| view! { <Loading what="invitations"/> }>
                    {move || Suspend::new(async move {
                        match invitations.await {
                            Ok(list) => view! { <InvitationsTable list change/> }.into_any(),
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        }
        .into_any()
    };
    view! {
        <Title text="Invitations"/>
        <WithViewer gate=Gate::Admin render=content/>
    }
}

#[component]
fn InviteForm(
    invite: ServerAction<Invite>,
    roles: Resource<Result<Vec<Role>, AppError>>,
    /// Offer the `owner` role.
    may_manage_owners: bool,
) -> impl IntoView {
    let error = move || invite.value().get().and_then(Result::err);
    // Every conflict of an invitation is about its email, so it is shown there.
    let email_error = Signal::derive(move || {
        error().and_then(|e| match e {
            AppError::Conflict { message, .. } => Some(message),
            other => other.field_message("email").map(str::to_owned),
        })
    });
    let role_error = Signal::derive(move || error().and_then(|e| e.field_message("role_slug").map(str::to_owned)));
    let days_error =
        Signal::derive(move || error().and_then(|e| e.field_message("expires_in_days").map(str::to_owned)));
    let other_error =
        Signal::derive(move || error().filter(|e| !e.is_validation() && !matches!(e, AppError::Conflict { .. })));
    let sent = move || invite.value().get().and_then(Result::ok);
    view! {
        <section class="card" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite someone"</h2>
            <ErrorBanner error=other_error/>
            {move || sent().map(|invitation| view! {
                <p class="alert alert-success" role="status">{format!("Invitation sent to {}.", invitation.email)}</p>
            })}
            <ActionForm action=invite attr:novalidate=true attr:class="invite-form">
                <div class="field grow">
                    <label for="invite-email">"Email"</label>
                    <input
                        id="invite-email"
                        type="email"
                        name="email"
                        autocomplete="off"
                        placeholder="name@company.com"
                        aria-invalid=move || email_error.get().is_some().to_string()
                        aria-describedby="invite-email-error"
                    />
                    <FieldError id="invite-email-error" message=email_error/>
                </div>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role_slug" aria-describedby="invite-role-error">
                        <Suspense fallback=|| view! { <option value="member">"Member"</option> }>
                            {move || Suspend::new(async move {
                                roles
                                    .await
                                    .unwrap_or_default()
                                    .into_iter()
                                    .filter(|role| role.is_assignable(may_manage_owners))
                                    .map(|role| {
                                        let selected = role.slug == roles::MEMBER;
                                        view! { <option value=role.slug selected=selected>{role.name}</option> }
                                    })
                                    .collect_view()
                            })}
                        </Suspense>
                    </select>
                    <FieldError id="invite-role-error" message=role_error/>
                </div>
                <div class="field">
                    <label for="invite-days">"Expires after (days)"</label>
                    <input
                        id="invite-days"
                        type="number"
                        name="expires_in_days"
                        min="1"
                        max="30"
                        value="7"
                        inputmode="numeric"
                        aria-invalid=move || days_error.get().is_some().to_string()
                        aria-describedby="invite-days-error"
                    />
                    <FieldError id="invite-days-error" message=days_error/>
                </div>
                <button type="submit" class="button primary" disabled=move || invite.pending().get()>
                    {move || if invite.pending().get() { "Sending…" } else { "Send invitation" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn InvitationsTable(list: List<Invitation>, change: ServerAction<ChangeInvitation>) -> impl IntoView {
    if list.data.is_empty() {
        return view! {
            <EmptyState title="No invitations yet">
                <p>"Invitations you send appear here until they are accepted."</p>
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <DataTable caption="Invitations" columns=&["Email", "Role", "State", "Expires", "Sent"] actions=true>
            {list.data.into_iter().map(|invitation| view! { <InvitationRow invitation change/> }).collect_view()}
        </DataTable>
        <NewerOlder path="/invitations" metadata=list.list_metadata/>
    }
    .into_any()
}

#[component]
fn InvitationRow(invitation: Invitation, change: ServerAction<ChangeInvitation>) -> impl IntoView {
    let id = invitation.id.to_string();
    let email = invitation.email.clone();
    let resendable = matches!(invitation.state, InvitationState::Pending | InvitationState::Expired);
    let revocable = invitation.state == InvitationState::Pending;
    view! {
        <tr data-invitation=invitation.id.to_string()>
            <th scope="row">{invitation.email.clone()}</th>
            <td>{invitation.role_slug.clone().unwrap_or_else(|| roles::MEMBER.into())}</td>
            <td><InvitationBadge state=invitation.state/></td>
            <td>{format::date_time(&invitation.expires_at)}</td>
            <td>{format::date(&invitation.created_at)}</td>
            <td class="actions">
                {revocable.then(|| view! { <ShareLink email=email.clone() url=invitation.accept_invitation_url.clone()/> })}
                {resendable.then(|| view! { <InvitationButton id=id.clone() email=email.clone() change change_name="resend" label="Resend" class=""/> })}
                {revocable.then(|| view! { <InvitationButton id=id.clone() email=email.clone() change change_name="revoke" label="Revoke" class="danger"/> })}
            </td>
        </tr>
    }
}
