//! The outbox, for platform admins: every email Roster sends (invitations, codes and links)
//! with how its delivery went, and "Send again". Without SMTP configured, this is where the
//! messages are read and forwarded by hand.

use crate::error::AppError;
use crate::format;
use crate::layout::{Gate, WithViewer};
use crate::model::*;
use crate::ui::{DataTable, EmptyState, ErrorBanner, LoadError, Loading, NewerOlder};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// A page of messages, newest first, and whether SMTP delivers them.
#[server(prefix = "/api", endpoint = "outbox", input = Json)]
pub async fn list_outbox(page: Page) -> Result<OutboxList, AppError> {
    let admin = caller().await?.environment_admin()?;
    let directory = directory();
    Ok(OutboxList {
        email_delivery: directory.email_delivery(&admin).await?,
        messages: directory.list_outbox(&admin, page).await?,
    })
}

/// Puts a message back in line to be delivered now.
#[server(prefix = "/api", endpoint = "send-message-again")]
pub async fn send_message_again(message_id: String) -> Result<OutboxMessage, AppError> {
    use crate::ids::MessageId;
    let admin = caller().await?.environment_admin()?;
    let id = MessageId::parse(&message_id).ok_or_else(|| AppError::not_found("Message"))?;
    directory().send_message_again(&admin, &id).await
}

/// The outbox page.
#[component]
pub fn OutboxPage() -> impl IntoView {
    let params = use_query_map();
    let page = Memo::new(move |_| {
        let params = params.read();
        Page { limit: 25, after: params.get("after"), before: params.get("before"), order: Order::Desc }
    });
    let again = ServerAction::<SendMessageAgain>::new();
    let messages = Resource::new(move || (page.get(), again.version().get()), |(page, _)| list_outbox(page));
    let again_error = Signal::derive(move || again.value().get().and_then(Result::err));
    let gate = Gate::PlatformAdmin {
        why: "The outbox holds messages to people in every organization, so only platform admins read it.",
    };
    let content = move |_: Viewer| {
        view! {
            <div class="page-head">
                <div>
                    <h1>"Outbox"</h1>
                    <p class="muted">
                        "Every email Roster sends: invitations, sign-in codes and reset links, with how their delivery went."
                    </p>
                </div>
            </div>
            <ErrorBanner error=again_error/>
            <Transition fallback=|| view! { <Loading what="the outbox"/> }>
                {move || Suspend::new(async move {
                    match messages.await {
                        Ok(list) => view! { <Messages list again/> }.into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Transition>
        }
        .into_any()
    };
    view! {
        <Title text="Outbox"/>
        <WithViewer gate render=content/>
    }
}

#[component]
fn Messages(list: OutboxList, again: ServerAction<SendMessageAgain>) -> impl IntoView {
    let delivery = list.email_delivery;
    let note = (!delivery).then(|| {
        view! {
            <div class="alert alert-info" role="note">
                "Email delivery is not set up (no ROSTER_SMTP_URL), so nothing is sent: forward these messages by hand."
            </div>
        }
    });
    if list.messages.data.is_empty() {
        return view! {
            {note}
            <EmptyState title="The outbox is empty">
                <p>"Invitations, sign-in codes and password reset links appear here when they are sent."</p>
            </EmptyState>
        }
        .into_any();
    }
    view! {
        {note}
        <DataTable caption="Messages" columns=&["To", "Subject", "Message", "Queued", "Delivery", "Actions"]>
            {list
                .messages
                .data
                .into_iter()
                .map(|message| view! { <MessageRow message delivery again/> })
                .collect_view()}
        </DataTable>
        <NewerOlder path="/outbox" metadata=list.messages.list_metadata/>
    }
    .into_any()
}

#[component]
fn MessageRow(message: OutboxMessage, delivery: bool, again: ServerAction<SendMessageAgain>) -> impl IntoView {
    let id = message.id.clone();
    let recipient = message.recipient.clone();
    // Without SMTP nothing would send it; while a sender holds it, it is on its way already.
    let may_send_again = delivery && message.delivery != DeliveryState::Sending;
    let row_id = message.id.clone();
    let subject = message.subject.clone();
    let body = message.body.clone();
    let queued = format::date_time(&message.created_at);
    let state = message.delivery.as_str();
    view! {
        <tr data-message=row_id data-delivery=state>
            <th scope="row">{recipient.clone()}</th>
            <td>{subject}</td>
            <td>
                <details class="message-text">
                    <summary>"Read the message"</summary>
                    <div class="message-body">{body}</div>
                </details>
            </td>
            <td>{queued}</td>
            <td class="delivery"><Delivery message/></td>
            <td class="actions">
                {may_send_again.then(|| view! {
                    <ActionForm action=again attr:class="inline-form">
                        <input type="hidden" name="message_id" value=id/>
                        <button
                            type="submit"
                            class="button small"
                            aria-label=format!("Send the message to {recipient} again")
                            disabled=move || again.pending().get()
                        >
                            "Send again"
                        </button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

/// A message's delivery state, its attempts and the reason of the last failure.
#[component]
fn Delivery(message: OutboxMessage) -> impl IntoView {
    let label = match message.delivery {
        DeliveryState::Queued if message.attempts > 0 => "Retrying",
        DeliveryState::Queued => "Queued",
        DeliveryState::Sending => "Sending",
        DeliveryState::Sent => "Sent",
        DeliveryState::Failed => "Failed",
    };
    let attempts = match message.attempts {
        0 => None,
        1 => Some("1 attempt".to_owned()),
        n => Some(format!("{n} attempts")),
    };
    let when = match (&message.sent_at, &message.next_attempt_at) {
        (Some(sent), _) => Some(format!("sent {}", format::date_time(sent))),
        (None, Some(next)) => Some(format!("next try {}", format::date_time(next))),
        _ => None,
    };
    let detail = [attempts, when].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    view! {
        <span class=format!("badge delivery-{}", message.delivery.as_str())>{label}</span>
        {(!detail.is_empty()).then(|| view! { <span class="delivery-detail">{detail}</span> })}
        {message.last_error.map(|reason| view! { <span class="delivery-detail delivery-reason">{reason}</span> })}
    }
}
