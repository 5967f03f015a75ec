//! API keys, for platform admins: create (the secret is shown once), list and revoke.

use crate::error::AppError;
use crate::format;
use crate::layout::{Gate, WithViewer};
use crate::model::*;
use crate::ui::{DataTable, ErrorBanner, FieldError, LoadError, Loading};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// Every API key, newest first.
#[server(prefix = "/api", endpoint = "api-keys", input = Json)]
pub async fn list_api_keys() -> Result<Vec<ApiKey>, AppError> {
    directory().list_api_keys(&caller().await?.environment_admin()?).await
}

/// Creates an environment API key; the answer holds its secret, which is not kept.
#[server(prefix = "/api", endpoint = "create-api-key")]
pub async fn create_api_key(name: String) -> Result<CreatedApiKey, AppError> {
    use crate::directory::NewApiKey;
    let admin = caller().await?.environment_admin()?;
    directory().create_api_key(&admin, NewApiKey { name, ..Default::default() }).await
}

/// Revokes an API key at once.
#[server(prefix = "/api", endpoint = "revoke-api-key")]
pub async fn revoke_api_key(api_key_id: String) -> Result<(), AppError> {
    use crate::ids::ApiKeyId;
    let admin = caller().await?.environment_admin()?;
    let id = ApiKeyId::parse(&api_key_id).ok_or_else(|| AppError::not_found("API key"))?;
    directory().revoke_api_key(&admin, &id).await
}

/// The API keys page.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_keys());
    let create_error = move || create.value().get().and_then(Result::err);
    let name_error = Signal::derive(move || create_error().and_then(|e| e.field_message("name").map(str::to_owned)));
    let other_error = Signal::derive(move || {
        create_error().filter(|e| !e.is_validation()).or_else(|| revoke.value().get().and_then(Result::err))
    });

    let gate = Gate::PlatformAdmin { why: "API keys reach every organization, so only platform admins manage them." };
    let content = move |_: Viewer| {
        view! {
            <div class="page-head">
                <div>
                    <h1>"API keys"</h1>
                    <p class="muted">"Applications use these with the WorkOS SDKs. A key reaches every organization."</p>
                </div>
            </div>
            <section class="card" aria-labelledby="new-key-heading">
                <h2 id="new-key-heading">"Create a key"</h2>
                <ErrorBanner error=other_error/>
                {move || create.value().get().and_then(Result::ok).map(|created| view! {
                    <div class="alert alert-success" role="status">
                        <p>"Copy this secret now; it will not be shown again."</p>
                        <p><code class="secret">{created.value}</code></p>
                        <p>"Client ID: " <code>{created.key.client_id}</code></p>
                    </div>
                })}
                <ActionForm action=create attr:novalidate=true attr:class="invite-form">
                    <div class="field grow">
                        <label for="key-name">"Name"</label>
                        <input
                            id="key-name"
                            name="name"
                            placeholder="Billing service"
                            aria-invalid=move || name_error.get().is_some().to_string()
                            aria-describedby="key-name-error"
                        />
                        <FieldError id="key-name-error" message=name_error/>
                    </div>
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create key" }}
                    </button>
                </ActionForm>
            </section>
            <section class="section" aria-labelledby="keys-heading">
                <h2 id="keys-heading">"Keys"</h2>
                <Transition fallback=|| view! { <Loading what="API keys"/> }>
                    {move || Suspend::new(async move {
                        match keys.await {
                            Ok(keys) if keys.is_empty() => view! { <p class="muted">"No API keys yet."</p> }.into_any(),
                            Ok(keys) => view! { <KeysTable keys revoke/> }.into_any(),
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        }
        .into_any()
    };
    view! {
        <Title text="API keys"/>
        <WithViewer gate render=content/>
    }
}

#[component]
fn KeysTable(keys: Vec<ApiKey>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    view! {
        <DataTable caption="API keys" columns=&["Name", "Secret", "Client ID", "Last used", "Created"] actions=true>
            {keys
                .into_iter()
                .map(|key| {
                    let revoked = key.revoked_at.is_some();
                    let name = key.name.clone();
                    view! {
                        <tr>
                            <th scope="row">{key.name.clone()}</th>
                            <td><code>{key.obfuscated_value.clone()}</code></td>
                            <td><code>{key.client_id.clone()}</code></td>
                            <td>{key.last_used_at.as_deref().map(format::date_time).unwrap_or_else(|| "Never".into())}</td>
                            <td>{format::date(&key.created_at)}</td>
                            <td class="actions">
                                {if revoked {
                                    view! { <span class="badge status-inactive">"Revoked"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=revoke attr:class="inline-form">
                                            <input type="hidden" name="api_key_id" value=key.id.to_string()/>
                                            <button type="submit" class="button small danger" aria-label=format!("Revoke {name}")>"Revoke"</button>
                                        </ActionForm>
                                    }
                                    .into_any()
                                }}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
}
