//! Organizations, for platform admins (`/orgs`; `/organizations` is the REST API's path): the
//! list with search, paging and member counts; create and edit (name, external ID, metadata);
//! delete behind a typed confirmation; and each organization's domains, verified over DNS or
//! by hand.

use crate::error::AppError;
use crate::format;
use crate::layout::{Gate, WithViewer};
use crate::links::{href, page_from, param, push_page};
use crate::metadata::{MetadataEditor, MetadataRow};
use crate::model::*;
use crate::ui::{
    DataTable, EmptyState, ErrorBanner, FieldError, LoadError, Loading, PageSizeField, Pager, form_errors,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// The filters of the organizations page's list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationSearch {
    /// Text the name or one of the domains starts with (case-insensitive).
    pub search: Option<String>,
    pub page: Page,
}

/// An organization as the organizations page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganizationOverview {
    pub organization: Organization,
    /// Memberships in any status.
    pub member_count: u64,
    /// Invitations in any state.
    pub invitation_count: u64,
}

/// What to do with one domain, chosen by the row's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainChange {
    /// Look for the TXT record now.
    Check,
    /// Mark it verified without DNS (the manual strategy).
    MarkVerified,
    /// Release it.
    Remove,
}

/// The list's page size unless the URL asks for another.
const DEFAULT_PAGE_SIZE: u32 = 25;

/// How many organizations the switcher lists before it offers a search.
pub const SWITCHER_LIST_LIMIT: usize = 10;

/// One page of organizations, for platform admins.
#[server(prefix = "/api", endpoint = "orgs", input = Json)]
pub async fn list_orgs(query: OrganizationSearch) -> Result<List<OrganizationOverview>, AppError> {
    let admin = caller().await?.environment_admin()?;
    directory().list_organization_overviews(&admin, query).await
}

/// One organization with its counts, for platform admins.
#[server(prefix = "/api", endpoint = "org", input = Json)]
pub async fn get_org(organization_id: String) -> Result<OrganizationOverview, AppError> {
    let admin = caller().await?.environment_admin()?;
    directory().get_organization_overview(&admin, &parse_organization(&organization_id)?).await
}

/// Creates an organization and opens its page.
#[server(prefix = "/api", endpoint = "create-org")]
pub async fn create_org(
    name: String,
    external_id: String,
    metadata: Option<Vec<MetadataRow>>,
) -> Result<Organization, AppError> {
    use crate::directory::NewOrganization;
    let admin = caller().await?.environment_admin()?;
    let metadata = crate::metadata::metadata_from_rows(metadata.unwrap_or_default())?;
    let created = directory()
        .create_organization(
            &admin,
            NewOrganization { name, external_id: Some(external_id), metadata, ..Default::default() },
        )
        .await
        .map_err(external_id_taken)?;
    leptos_axum::redirect(&format!("/orgs/{}", created.id));
    Ok(created)
}

/// Changes an organization's name, external ID and metadata (the metadata is replaced).
#[server(prefix = "/api", endpoint = "update-org")]
pub async fn update_org(
    organization_id: String,
    name: String,
    external_id: String,
    metadata: Option<Vec<MetadataRow>>,
) -> Result<Organization, AppError> {
    use crate::directory::OrganizationUpdate;
    let admin = caller().await?.environment_admin()?;
    let id = parse_organization(&organization_id)?;
    let metadata = crate::metadata::metadata_from_rows(metadata.unwrap_or_default())?;
    let update = OrganizationUpdate {
        name: Some(name),
        external_id: Some(Some(external_id)),
        metadata: Some(metadata),
        ..Default::default()
    };
    directory().update_organization(&admin, &id, update).await.map_err(external_id_taken)
}

/// Deletes an organization with its memberships and invitations, once `confirm_name` repeats
/// its name; then back to the list.
#[server(prefix = "/api", endpoint = "delete-org")]
pub async fn delete_org(organization_id: String, confirm_name: String) -> Result<(), AppError> {
    let admin = caller().await?.environment_admin()?;
    let id = parse_organization(&organization_id)?;
    let directory = directory();
    let organization = directory.get_organization(&admin, &id).await?;
    if confirm_name.trim() != organization.name {
        return Err(AppError::invalid(
            "confirm_name",
            "confirmation_mismatch",
            format!("Type {:?} exactly to delete this organization.", organization.name),
        ));
    }
    directory.delete_organization(&admin, &id).await?;
    leptos_axum::redirect("/orgs");
    Ok(())
}

/// Claims a domain for an organization, pending its verification.
#[server(prefix = "/api", endpoint = "add-org-domain")]
pub async fn add_org_domain(organization_id: String, domain: String) -> Result<OrganizationDomain, AppError> {
    let admin = caller().await?.environment_admin()?;
    let id = parse_organization(&organization_id)?;
    directory().create_domain(&admin, &id, &domain).await
}

/// Checks, marks verified or releases a domain; returns what happened, for people.
#[server(prefix = "/api", endpoint = "change-org-domain")]
pub async fn change_org_domain(domain_id: String, change: DomainChange) -> Result<String, AppError> {
    use crate::ids::OrganizationDomainId;
    let admin = caller().await?.environment_admin()?;
    let id = OrganizationDomainId::parse(&domain_id).ok_or_else(|| AppError::not_found("Organization domain"))?;
    let directory = directory();
    Ok(match change {
        DomainChange::Check => {
            let checked = directory.verify_domain(&admin, &id).await?;
            match checked.state {
                DomainState::Verified => format!("{} is verified.", checked.domain),
                DomainState::Pending => {
                    format!(
                        "No verification record found at {} yet. DNS changes can take a while to appear.",
                        checked.domain
                    )
                }
                DomainState::Failed => {
                    format!("{} failed: its record did not appear within 30 days.", checked.domain)
                }
            }
        }
        DomainChange::MarkVerified => {
            let verified = directory.mark_domain_verified(&admin, &id).await?;
            format!("{} was marked verified.", verified.domain)
        }
        DomainChange::Remove => {
            let domain = directory.get_domain(&admin, &id).await?;
            directory.delete_domain(&admin, &id).await?;
            format!("{} was removed.", domain.domain)
        }
    })
}

/// The organizations the signed-in viewer may switch to whose name starts with `search`.
#[server(prefix = "/api", endpoint = "switchable-orgs", input = Json)]
pub async fn switchable_orgs(search: String) -> Result<Vec<OrganizationSummary>, AppError> {
    let caller = caller().await?;
    directory().switchable_organizations(&caller, &search, 20).await
}

#[cfg(feature = "ssr")]
fn parse_organization(raw: &str) -> Result<crate::ids::OrganizationId, AppError> {
    crate::ids::OrganizationId::parse(raw).ok_or_else(|| AppError::not_found("Organization"))
}

/// A taken external ID belongs next to its field on the form.
#[cfg(feature = "ssr")]
fn external_id_taken(error: AppError) -> AppError {
    match error {
        AppError::Conflict { code: crate::error::Conflict::OrganizationAlreadyExists, message } => {
            AppError::invalid("external_id", "external_id_taken", message)
        }
        other => other,
    }
}

/// The list's state, as kept in the URL query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub search: Option<String>,
    pub page: Page,
}

impl ListQuery {
    /// Reads the list state from the query, ignoring values it does not understand.
    pub fn from_params(params: &ParamsMap) -> Self {
        Self { search: param(params, "q"), page: page_from(params, DEFAULT_PAGE_SIZE, Order::Desc) }
    }

    /// The link to this state.
    pub fn href(&self) -> String {
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        pairs.extend(self.search.clone().map(|search| ("q", search)));
        push_page(&mut pairs, &self.page, DEFAULT_PAGE_SIZE);
        href("/orgs", &pairs)
    }

    fn at(&self, after: Option<String>, before: Option<String>) -> Self {
        Self { search: self.search.clone(), page: Page { after, before, ..self.page.clone() } }
    }
}

const GATE: Gate =
    Gate::PlatformAdmin { why: "Organizations span the whole platform, so only platform admins manage them." };

/// `/orgs`: every organization, with search and paging.
#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| ListQuery::from_params(&params.read()));
    let list = Resource::new(
        move || query.get(),
        |query| list_orgs(OrganizationSearch { search: query.search, page: query.page }),
    );
    let (pending, set_pending) = signal(false);
    let content = move |_: Viewer| {
        view! {
            <div class="page-head">
                <div>
                    <h1>"Organizations"</h1>
                    <p class="muted">"Every organization on this Roster, with its domains and members."</p>
                </div>
                <a class="button primary" href="/orgs/new">"New organization"</a>
            </div>
            <Form action="/orgs" attr:class="filters" attr:role="search">
                <div class="field grow">
                    <label for="org-search">"Search"</label>
                    <input
                        id="org-search"
                        type="search"
                        name="q"
                        placeholder="Name or domain"
                        prop:value=move || query.get().search.unwrap_or_default()
                    />
                </div>
                <PageSizeField id="org-limit" current=Signal::derive(move || query.get().page.limit)/>
                <button type="submit" class="button">"Search"</button>
            </Form>
            <div class="table-region" class:is-pending=pending aria-busy=move || pending.get().to_string()>
                <Transition fallback=|| view! { <Loading what="organizations"/> } set_pending>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(list) => view! { <OrganizationsTable list query=query.get_untracked()/> }.into_any(),
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        }
        .into_any()
    };
    view! {
        <Title text="Organizations"/>
        <WithViewer gate=GATE render=content/>
    }
}

#[component]
fn OrganizationsTable(list: List<OrganizationOverview>, query: ListQuery) -> impl IntoView {
    if list.data.is_empty() {
        return match query.search.clone() {
            Some(search) => view! {
                <EmptyState title="No organizations match">
                    <p>{format!("No organization's name or domain starts with {search:?}.")} " " <a href="/orgs">"Clear the search"</a></p>
                </EmptyState>
            }
            .into_any(),
            None => view! {
                <EmptyState title="No organizations yet">
                    <p>"Create the first one to invite people into it." " " <a href="/orgs/new">"New organization"</a></p>
                </EmptyState>
            }
            .into_any(),
        };
    }
    let previous = list.list_metadata.before.clone().map(|before| query.at(None, Some(before)).href());
    let next = list.list_metadata.after.clone().map(|after| query.at(Some(after), None).href());
    view! {
        <DataTable caption="Organizations" columns=&["Name", "Domains", "Members", "External ID", "Created"]>
            {list
                .data
                .into_iter()
                .map(|overview| {
                    let OrganizationOverview { organization, member_count, .. } = overview;
                    let domains = organization.domains.clone();
                    view! {
                        <tr data-organization=organization.id.to_string()>
                            <th scope="row"><a href=format!("/orgs/{}", organization.id)>{organization.name.clone()}</a></th>
                            <td>
                                {if domains.is_empty() {
                                    view! { <span class="muted">"None"</span> }.into_any()
                                } else {
                                    view! {
                                        <ul class="domain-chips">
                                            {domains
                                                .into_iter()
                                                .map(|domain| view! { <li>{domain.domain.clone()} " " <DomainBadge state=domain.state/></li> })
                                                .collect_view()}
                                        </ul>
                                    }
                                    .into_any()
                                }}
                            </td>
                            <td class="numeric">{member_count.to_string()}</td>
                            <td>{organization.external_id.clone().map(|id| view! { <code>{id}</code> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</td>
                            <td>{format::date(&organization.created_at)}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
        <Pager previous next/>
    }
    .into_any()
}

/// A coloured label for a domain's state.
#[component]
pub fn DomainBadge(state: DomainState) -> impl IntoView {
    let (class, label) = match state {
        DomainState::Verified => ("domain-verified", "Verified"),
        DomainState::Pending => ("domain-pending", "Pending"),
        DomainState::Failed => ("domain-failed", "Failed"),
    };
    view! { <span class=format!("badge {class}")>{label}</span> }
}

/// `/orgs/new`: the form that creates an organization.
#[component]
pub fn NewOrganizationPage() -> impl IntoView {
    let create = ServerAction::<CreateOrg>::new();
    let (field, other) = form_errors(move || create.value().get().and_then(Result::err));
    let content = move |_: Viewer| {
        view! {
            <div class="page-head">
                <div>
                    <p class="breadcrumbs"><a href="/orgs">"Organizations"</a></p>
                    <h1>"New organization"</h1>
                </div>
            </div>
            <section class="card" aria-labelledby="new-org-heading">
                <h2 id="new-org-heading" class="sr-only">"Details"</h2>
                <ErrorBanner error=other/>
                <ActionForm action=create attr:novalidate=true attr:class="stack">
                    <OrganizationFields name=String::new() external_id=String::new() metadata=Metadata::new() field/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" disabled=move || create.pending().get()>
                            {move || if create.pending().get() { "Creating…" } else { "Create organization" }}
                        </button>
                        <a class="button ghost" href="/orgs">"Cancel"</a>
                    </div>
                </ActionForm>
            </section>
        }
        .into_any()
    };
    view! {
        <Title text="New organization"/>
        <WithViewer gate=GATE render=content/>
    }
}

/// The name, external ID and metadata fields of the create and edit forms.
#[component]
fn OrganizationFields(
    name: String,
    external_id: String,
    metadata: Metadata,
    field: impl Fn(&'static str) -> Signal<Option<String>> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name_error = field("name");
    let external_id_error = field("external_id");
    view! {
        <div class="field">
            <label for="org-name">"Name"</label>
            <input
                id="org-name"
                name="name"
                value=name
                required=true
                autocomplete="organization"
                aria-invalid=move || name_error.get().is_some().to_string()
                aria-describedby="org-name-error"
            />
            <FieldError id="org-name-error" message=name_error/>
        </div>
        <div class="field">
            <label for="org-external-id">"External ID " <span class="muted">"(optional)"</span></label>
            <input
                id="org-external-id"
                name="external_id"
                value=external_id
                autocomplete="off"
                aria-invalid=move || external_id_error.get().is_some().to_string()
                aria-describedby="org-external-id-hint org-external-id-error"
            />
            <p id="org-external-id-hint" class="hint muted">"Your application's own ID for it, unique among organizations."</p>
            <FieldError id="org-external-id-error" message=external_id_error/>
        </div>
        <MetadataEditor metadata error=field("metadata")/>
    }
}

/// `/orgs/{id}`: one organization: edit it, manage its domains, delete it.
#[component]
pub fn OrganizationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let update = ServerAction::<UpdateOrg>::new();
    let add_domain = ServerAction::<AddOrgDomain>::new();
    let change_domain = ServerAction::<ChangeOrgDomain>::new();
    let delete = ServerAction::<DeleteOrg>::new();
    let overview = Resource::new(
        move || (id.get(), update.version().get(), add_domain.version().get(), change_domain.version().get()),
        |(id, ..)| get_org(id),
    );
    let content = move |_: Viewer| {
        view! {
            <Transition fallback=|| view! { <Loading what="the organization"/> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <OrganizationDetail overview update add_domain change_domain delete/> }.into_any(),
                        Err(error) => view! {
                            <div class="page-head"><div>
                                <p class="breadcrumbs"><a href="/orgs">"Organizations"</a></p>
                                <h1>"Organization"</h1>
                            </div></div>
                            <LoadError error/>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        }
        .into_any()
    };
    view! {
        <Title text="Organization"/>
        <WithViewer gate=GATE render=content/>
    }
}

#[component]
fn OrganizationDetail(
    overview: OrganizationOverview,
    update: ServerAction<UpdateOrg>,
    add_domain: ServerAction<AddOrgDomain>,
    change_domain: ServerAction<ChangeOrgDomain>,
    delete: ServerAction<DeleteOrg>,
) -> impl IntoView {
    let OrganizationOverview { organization, member_count, invitation_count } = overview;
    let id = organization.id.to_string();
    let (field, other) = form_errors(move || update.value().get().and_then(Result::err));
    let saved = move || update.value().get().and_then(Result::ok);
    let members = plural(member_count, "member", "members");
    let invitations = plural(invitation_count, "invitation", "invitations");
    let (name, domains) = (organization.name.clone(), organization.domains.clone());
    let (domains_id, delete_id) = (id.clone(), id.clone());
    view! {
        <Title text=organization.name.clone()/>
        <div class="page-head">
            <div>
                <p class="breadcrumbs"><a href="/orgs">"Organizations"</a></p>
                <h1>{organization.name.clone()}</h1>
                <p class="muted">
                    {format!("{members} · {invitations} · created {}", format::date(&organization.created_at))}
                    " · " <code>{id.clone()}</code>
                </p>
            </div>
        </div>
        <section class="card" aria-labelledby="org-details-heading">
            <h2 id="org-details-heading">"Details"</h2>
            <ErrorBanner error=other/>
            {move || saved().map(|saved| view! { <p class="alert alert-success" role="status">{format!("Saved {}.", saved.name)}</p> })}
            <ActionForm action=update attr:novalidate=true attr:class="stack">
                <input type="hidden" name="organization_id" value=id.clone()/>
                <OrganizationFields
                    name=organization.name.clone()
                    external_id=organization.external_id.clone().unwrap_or_default()
                    metadata=organization.metadata.clone()
                    field
                />
                <div class="form-actions">
                    <button type="submit" class="button primary" disabled=move || update.pending().get()>
                        {move || if update.pending().get() { "Saving…" } else { "Save changes" }}
                    </button>
                </div>
            </ActionForm>
        </section>
        <Domains organization_id=domains_id domains add_domain change_domain/>
        <DeleteOrganization id=delete_id name member_count invitation_count delete/>
    }
}

/// "1 member", "3 members".
fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

#[component]
fn Domains(
    organization_id: String,
    domains: Vec<OrganizationDomain>,
    add_domain: ServerAction<AddOrgDomain>,
    change_domain: ServerAction<ChangeOrgDomain>,
) -> impl IntoView {
    let (field, other) = form_errors(move || add_domain.value().get().and_then(Result::err));
    let domain_error = field("domain");
    let change_error = Signal::derive(move || change_domain.value().get().and_then(Result::err));
    let changed = move || change_domain.value().get().and_then(Result::ok);
    // The list is drawn again after a domain is added; the typed name has done its job then.
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if add_domain.value().with(|added| matches!(added, Some(Ok(_))))
            && let Some(input) = input.get()
        {
            input.set_value("");
        }
    });
    view! {
        <section class="card" aria-labelledby="domains-heading">
            <h2 id="domains-heading">"Domains"</h2>
            <p class="muted">
                "A verified domain proves the organization owns it. Verify over DNS by publishing a TXT record, "
                "or, if you know the organization owns it, mark it verified yourself."
            </p>
            <ErrorBanner error=other/>
            <ErrorBanner error=change_error/>
            {move || changed().map(|message| view! { <p class="alert alert-success" role="status">{message}</p> })}
            {if domains.is_empty() {
                view! { <p class="muted empty-inline">"No domains yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="domain-list">
                        {domains.into_iter().map(|domain| view! { <DomainItem domain change_domain/> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <ActionForm action=add_domain attr:novalidate=true attr:class="invite-form">
                <input type="hidden" name="organization_id" value=organization_id/>
                <div class="field grow">
                    <label for="new-domain">"Add a domain"</label>
                    <input
                        id="new-domain"
                        node_ref=input
                        name="domain"
                        placeholder="example.com"
                        autocomplete="off"
                        aria-invalid=move || domain_error.get().is_some().to_string()
                        aria-describedby="new-domain-error"
                    />
                    <FieldError id="new-domain-error" message=domain_error/>
                </div>
                <button type="submit" class="button" disabled=move || add_domain.pending().get()>
                    {move || if add_domain.pending().get() { "Adding…" } else { "Add domain" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// Hidden fields naming a domain and what to do with it.
#[component]
fn DomainChangeFields(domain_id: String, change: &'static str) -> impl IntoView {
    view! {
        <input type="hidden" name="domain_id" value=domain_id/>
        <input type="hidden" name="change" value=change/>
    }
}

#[component]
fn DomainItem(domain: OrganizationDomain, change_domain: ServerAction<ChangeOrgDomain>) -> impl IntoView {
    let id = domain.id.to_string();
    let name = domain.domain.clone();
    let unverified = domain.state != DomainState::Verified;
    let record_name = name.clone();
    let record = (unverified && domain.verification_strategy == DomainVerificationStrategy::Dns)
        .then(|| domain.verification_token.clone())
        .flatten()
        .map(move |token| {
            view! {
                <dl class="dns-record">
                    <div><dt>"Type"</dt><dd><code>"TXT"</code></dd></div>
                    <div><dt>"Name"</dt><dd><code>{record_name}</code></dd></div>
                    <div><dt>"Value"</dt><dd><code class="secret">{format!("verification_token={token}")}</code></dd></div>
                </dl>
            }
        });
    let how = match (domain.state, domain.verification_strategy) {
        (DomainState::Verified, DomainVerificationStrategy::Manual) => "Marked verified, without DNS.",
        (DomainState::Verified, DomainVerificationStrategy::Dns) => "Verified over DNS.",
        (DomainState::Pending, _) => "Publish this record, then check it. Claims fail after 30 days without it.",
        (DomainState::Failed, _) => "The record did not appear within 30 days. Checking again starts a new 30 days.",
    };
    let button = |change: &'static str, label: &'static str, class: &'static str, id: String, name: String| {
        view! {
            <ActionForm action=change_domain attr:class="inline-form">
                <DomainChangeFields domain_id=id change/>
                <button
                    type="submit"
                    class=format!("button small {class}")
                    aria-label=format!("{label} {name}")
                    disabled=move || change_domain.pending().get()
                >
                    {label}
                </button>
            </ActionForm>
        }
    };
    let check = unverified.then(|| button("check", "Check now", "", id.clone(), name.clone()));
    let mark = unverified.then(|| button("mark_verified", "Mark verified", "", id.clone(), name.clone()));
    let remove_label = format!("Remove {name}…");
    let remove_question = format!("Release {name}? A verified domain stops proving this organization owns it.");
    let remove_button = format!("Remove {name}");
    let data_domain = name.clone();
    view! {
        <li class="domain-item" data-domain=data_domain>
            <div class="domain-head">
                <strong>{name}</strong>
                <DomainBadge state=domain.state/>
                <span class="muted">{how}</span>
            </div>
            {record}
            <div class="domain-actions">
                {check}
                {mark}
                <details class="confirm">
                    <summary class="button small danger" aria-label=remove_label>"Remove…"</summary>
                    <div class="confirm-panel">
                        <p>{remove_question}</p>
                        <ActionForm action=change_domain>
                            <DomainChangeFields domain_id=id change="remove"/>
                            <button type="submit" class="button small danger">{remove_button}</button>
                        </ActionForm>
                    </div>
                </details>
            </div>
        </li>
    }
}

/// Deletion, once the organization's name is typed; says what goes with it.
#[component]
fn DeleteOrganization(
    id: String,
    name: String,
    member_count: u64,
    invitation_count: u64,
    delete: ServerAction<DeleteOrg>,
) -> impl IntoView {
    let (field, other) = form_errors(move || delete.value().get().and_then(Result::err));
    let confirm_error = field("confirm_name");
    let consequence = format!(
        "Deleting {name} removes its {} and {}, and every domain it claims. This cannot be undone.",
        plural(member_count, "membership", "memberships"),
        plural(invitation_count, "invitation", "invitations"),
    );
    view! {
        <section class="card danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete this organization"</h2>
            <p>{consequence}</p>
            <ErrorBanner error=other/>
            <ActionForm action=delete attr:novalidate=true attr:class="invite-form">
                <input type="hidden" name="organization_id" value=id/>
                <div class="field grow">
                    <label for="confirm-name">{format!("Type {name} to confirm")}</label>
                    <input
                        id="confirm-name"
                        name="confirm_name"
                        autocomplete="off"
                        aria-invalid=move || confirm_error.get().is_some().to_string()
                        aria-describedby="confirm-name-error"
                    />
                    <FieldError id="confirm-name-error" message=confirm_error/>
                </div>
                // Never disabled for a mismatch: before the app loads nothing could enable it
                // again, and the server checks the typed name either way.
                <button type="submit" class="button danger" disabled=move || delete.pending().get()>
                    {move || if delete.pending().get() { "Deleting…" } else { "Delete this organization" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// The organization switcher for people who reach more than [`SWITCHER_LIST_LIMIT`]
/// organizations: a disclosure with a search box over every organization they may work on.
///
/// As the viewer types, the server is asked (so organizations past the viewer's first few
/// hundred are found too); before the app has loaded, the search is a plain GET form (`org_q`)
/// that filters the organizations the page already knows.
#[component]
pub fn OrganizationPicker(
    current: OrganizationSummary,
    /// Every organization the viewer may switch to, as the viewer holds them (by name).
    known: Vec<OrganizationSummary>,
    switch: ServerAction<crate::auth::SwitchOrganization>,
) -> impl IntoView {
    let params = use_query_map();
    let initial = params.read_untracked().get("org_q").unwrap_or_default();
    let open = !initial.trim().is_empty();
    let needle = initial.trim().to_lowercase();
    let first: Vec<OrganizationSummary> =
        known.into_iter().filter(|o| o.name.to_lowercase().starts_with(&needle)).take(20).collect();
    let (search, set_search) = signal(initial.clone());
    let (found, set_found) = signal(first);
    let on_input = move |ev| {
        let asked = event_target_value(&ev);
        set_search.set(asked.clone());
        leptos::task::spawn_local(async move {
            // Answers may arrive out of order; only the latest search's answer is shown.
            if let Ok(list) = switchable_orgs(asked.clone()).await
                && search.get_untracked() == asked
            {
                set_found.set(list);
            }
        });
    };
    let current_id = current.id.clone();
    view! {
        <details class="org-picker" open=open>
            <summary class="button ghost small">
                <span class="sr-only">"Organization: "</span>
                {current.name.clone()}
                <span aria-hidden="true">" ▾"</span>
            </summary>
            <div class="org-picker-panel">
                <form method="get" role="search" aria-label="Switch organization" on:submit=|ev| ev.prevent_default()>
                    <label for="org-picker-search">"Find an organization"</label>
                    <div class="org-picker-search">
                        <input
                            id="org-picker-search"
                            type="search"
                            name="org_q"
                            value=initial
                            placeholder="Name starts with…"
                            autocomplete="off"
                            on:input=on_input
                        />
                        <button type="submit" class="button small">"Search"</button>
                    </div>
                </form>
                <ActionForm action=switch>
                    {move || {
                        let list = found.get();
                        if list.is_empty() {
                            return view! { <p class="muted">"No organization's name starts with that."</p> }.into_any();
                        }
                        let current_id = current_id.clone();
                        view! {
                            <ul class="org-picker-list" aria-label="Organizations">
                                {list
                                    .into_iter()
                                    .map(|option| {
                                        let is_current = option.id == current_id;
                                        view! {
                                            <li>
                                                <button
                                                    type="submit"
                                                    name="organization_id"
                                                    value=option.id.to_string()
                                                    class="org-picker-option"
                                                    aria-current=is_current.then_some("true")
                                                >
                                                    {option.name}
                                                </button>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                        .into_any()
                    }}
                </ActionForm>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_state_round_trips_through_the_url() {
        let query = ListQuery {
            search: Some("acme co".into()),
            page: Page {
                limit: 50,
                after: Some("org_01H5JQDV7R7ATEYZDEG0W5PRYS".into()),
                before: None,
                order: Order::Desc,
            },
        };
        let href = query.href();
        assert_eq!(href, "/orgs?q=acme%20co&limit=50&after=org_01H5JQDV7R7ATEYZDEG0W5PRYS");
        let params = ParamsMap::from_iter(href.split_once('?').unwrap().1.split('&').map(|pair| {
            let (key, value) = pair.split_once('=').unwrap();
            (key.to_owned(), percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned())
        }));
        assert_eq!(ListQuery::from_params(&params), query);
    }
}
