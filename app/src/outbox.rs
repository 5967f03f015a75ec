//! The outbox, for platform admins: the emails Roster would send (invitations, codes and
//! links), readable here until email delivery exists.

use crate::error::AppError;
use crate::format;
use crate::layout::{Gate, WithViewer};
use crate::model::*;
use crate::ui::{DataTable, EmptyState, LoadError, Loading, NewerOlder};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// A page of queued messages, newest first.
#[server(prefix = "/api", endpoint = "outbox", input = Json)]
pub async fn list_outbox(page: Page) -> Result<List<OutboxMessage>, AppError> {
    let admin = caller().await?.environment_admin()?;
    directory().list_outbox(&admin, page).await
}

/// The outbox page.
#[component]
pub fn OutboxPage() -> impl IntoView {
    let params = use_query_map();
    let page = Memo::new(move |_| {
        let params = params.read();
        Page { limit: 25, after: params.get("after"), before: params.get("before"), order: Order::Desc }
    });
    let messages = Resource::new(move || page.get(), list_outbox);
    let gate = Gate::PlatformAdmin {
        why: "The outbox holds messages to people in every organization, so only platform admins read it.",
    };
    let content = move |_: Viewer| {
        view! {
            <div class="page-head">
                <div>
                    <h1>"Outbox"</h1>
                    <p class="muted">
                        "The emails Roster would send: invitations, sign-in codes and reset links. "
                        "Until email delivery is set up, forward them from here."
                    </p>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading what="the outbox"/> }>
                {move || Suspend::new(async move {
                    match messages.await {
                        Ok(list) => view! { <Messages list/> }.into_any(),
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
fn Messages(list: List<OutboxMessage>) -> impl IntoView {
    if list.data.is_empty() {
        return view! {
            <EmptyState title="The outbox is empty">
                <p>"Invitations, sign-in codes and password reset links appear here when they are sent."</p>
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <DataTable caption="Queued messages" columns=&["To", "Subject", "Message", "Queued"]>
            {list
                .data
                .into_iter()
                .map(|message| view! {
                    <tr>
                        <th scope="row">{message.recipient}</th>
                        <td>{message.subject}</td>
                        <td class="message-body">{message.body}</td>
                        <td>{format::date_time(&message.created_at)}</td>
                    </tr>
                })
                .collect_view()}
        </DataTable>
        <NewerOlder path="/outbox" metadata=list.list_metadata/>
    }
    .into_any()
}
