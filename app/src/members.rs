//! The users table: an organization's members, with search, filters, paging, the role
//! editor and the row actions.

use crate::error::AppError;
use crate::format;
use crate::layout::{Gate, WithViewer};
use crate::links::{href, page_from, param, push_page};
use crate::model::*;
use crate::ui::{DataTable, EmptyState, ErrorBanner, LoadError, Loading, PageSizeField, Pager, StatusBadge};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// The page sizes the table offers.
pub use crate::links::PAGE_SIZES;

/// One page of the current organization's members.
#[server(prefix = "/api", endpoint = "members", input = Json)]
pub async fn list_members(filter: MemberFilter, page: Page) -> Result<List<Member>, AppError> {
    let caller = caller().await?;
    let admin = caller.admin()?;
    let organization = admin.organization().cloned().ok_or_else(|| AppError::not_found("Organization"))?;
    directory().list_members(&admin, &organization, filter, page).await
}

/// A change to one member, chosen by the row's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberChange {
    /// Give the member the role in `role`.
    SetRole,
    Deactivate,
    Reactivate,
    /// Remove the member from the organization.
    Remove,
}

/// Applies a change to a member of the current organization; returns what was done.
#[server(prefix = "/api", endpoint = "change-member")]
pub async fn change_member(membership_id: String, change: MemberChange, role: String) -> Result<String, AppError> {
    use crate::ids::MembershipId;
    let caller = caller().await?;
    let admin = caller.admin()?;
    let id = MembershipId::parse(&membership_id).ok_or_else(|| AppError::not_found("Membership"))?;
    let directory = directory();
    let membership = directory.get_membership(&admin, &id).await?;
    let user = directory.get_user(&admin, &membership.user_id).await?;
    let name = user.display_name();
    Ok(match change {
        MemberChange::SetRole => {
            if role.trim().is_empty() {
                return Err(AppError::invalid("role", "role_required", "Choose a role."));
            }
            let updated = directory.set_membership_roles(&admin, &id, vec![role]).await?;
            format!("{name} now has the {} role.", updated.role.slug)
        }
        MemberChange::Deactivate => {
            directory.deactivate_membership(&admin, &id).await?;
            format!("{name} was deactivated.")
        }
        MemberChange::Reactivate => {
            directory.reactivate_membership(&admin, &id).await?;
            format!("{name} was reactivated.")
        }
        MemberChange::Remove => {
            directory.delete_membership(&admin, &id).await?;
            format!("{name} was removed from {}.", membership.organization_name)
        }
    })
}

/// The table's state, as kept in the URL query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableQuery {
    pub filter: MemberFilter,
    pub page: Page,
}

/// The orders the table offers: URL value, label, what it sorts by and in which direction.
pub const SORTS: [(&str, &str, MemberSort, Order); 6] = [
    ("newest", "Newest first", MemberSort::Created, Order::Desc),
    ("oldest", "Oldest first", MemberSort::Created, Order::Asc),
    ("email", "Email A–Z", MemberSort::Email, Order::Asc),
    ("email_desc", "Email Z–A", MemberSort::Email, Order::Desc),
    ("recent_sign_in", "Signed in most recently", MemberSort::LastSignIn, Order::Desc),
    ("oldest_sign_in", "Signed in least recently", MemberSort::LastSignIn, Order::Asc),
];

impl TableQuery {
    /// Reads the table state from the query, ignoring values it does not understand.
    pub fn from_params(params: &ParamsMap) -> Self {
        let text = |key: &str| param(params, key);
        let (_, _, sort, order) =
            text("sort").and_then(|v| SORTS.into_iter().find(|(value, ..)| *value == v)).unwrap_or(SORTS[0]);
        let search_match =
            if text("match").as_deref() == Some("contains") { SearchMatch::Contains } else { SearchMatch::Prefix };
        Self {
            filter: MemberFilter {
                search: text("q"),
                search_match,
                role: text("role"),
                status: text("status").and_then(|v| MembershipStatus::parse(&v)),
                sort,
            },
            page: page_from(params, PAGE_SIZES[0], order),
        }
    }

    /// The link to this state.
    pub fn href(&self) -> String {
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        if let Some(search) = &self.filter.search {
            pairs.push(("q", search.clone()));
        }
        if self.filter.search_match == SearchMatch::Contains {
            pairs.push(("match", "contains".to_owned()));
        }
        if let Some(role) = &self.filter.role {
            pairs.push(("role", role.clone()));
        }
        if let Some(status) = self.filter.status {
            pairs.push(("status", status.as_str().to_owned()));
        }
        if let Some((value, ..)) = self.sort_option().filter(|(value, ..)| *value != SORTS[0].0) {
            pairs.push(("sort", value.to_owned()));
        }
        push_page(&mut pairs, &self.page, PAGE_SIZES[0]);
        href("/users", &pairs)
    }

    /// The same filters at another cursor.
    fn at(&self, after: Option<String>, before: Option<String>) -> Self {
        Self { filter: self.filter.clone(), page: Page { after, before, ..self.page.clone() } }
    }

    /// The entry of [`SORTS`] this state is ordered by.
    fn sort_option(&self) -> Option<(&'static str, &'static str, MemberSort, Order)> {
        SORTS.into_iter().find(|(_, _, sort, order)| *sort == self.filter.sort && *order == self.page.order)
    }

    /// True when a search or filter narrows the table.
    pub fn is_filtered(&self) -> bool {
        self.filter.search.is_some() || self.filter.role.is_some() || self.filter.status.is_some()
    }
}

/// The users page: admins see the table, members a polite refusal.
#[component]
pub fn UsersPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| TableQuery::from_params(&params.read()));
    let change = ServerAction::<ChangeMember>::new();
    let bulk = ServerAction::<crate::bulk::BulkMembers>::new();
    let bulk_done = crate::bulk::successes(bulk);
    let members = Resource::new(
        move || (query.get(), change.version().get(), bulk_done.get()),
        |(query, ..)| list_members(query.filter, query.page),
    );
    let roles = Resource::new(|| (), |_| crate::roles::assignable_roles());
    let (pending, set_pending) = signal(false);
    let outcome = move || change.value().get();
    let error = Signal::derive(move || outcome().and_then(Result::err));

    let page = move |viewer: Viewer| {
        let organization = viewer.organization.clone().map(|o| o.name).unwrap_or_default();
        view! {
            <div class="page-head">
                <div>
                    <h1>"Users"</h1>
                    <p class="muted">{format!("Everyone in {organization}, with their roles and status.")}</p>
                </div>
                <a class="button primary" href="/invitations">"Invite people"</a>
            </div>
            <Filters query roles/>
            <ErrorBanner error/>
            <crate::bulk::BulkReportPanel action=bulk/>
            {move || outcome().and_then(Result::ok).map(|message| view! { <p class="alert alert-success" role="status">{message}</p> })}
            <div class="table-region" class:is-pending=pending aria-busy=move || pending.get().to_string()>
                <Transition fallback=|| view! { <Loading what="members"/> } set_pending>
                    {move || { let viewer = viewer.clone(); Suspend::new(async move {
                        let roles = roles.await.unwrap_or_default();
                        match members.await {
                            Ok(list) => {
                                let may_manage_owners = viewer.may_manage_owners;
                                let roles: Vec<Role> =
                                    roles.into_iter().filter(|role| role.is_assignable(may_manage_owners)).collect();
                                view! { <MembersTable list roles may_manage_owners query=query.get_untracked() change bulk/> }.into_any()
                            }
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })}}
                </Transition>
            </div>
        }
        .into_any()
    };
    view! {
        <Title text="Users"/>
        <WithViewer gate=Gate::Admin render=page/>
    }
}

/// The search box and filters; a plain GET form, so it works before the app loads too.
#[component]
fn Filters(query: Memo<TableQuery>, roles: Resource<Result<Vec<Role>, AppError>>) -> impl IntoView {
    let role_options = move || {
        let chosen = query.get().filter.role;
        Suspend::new(async move {
            roles
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|role| {
                    let selected = chosen.as_deref() == Some(role.slug.as_str());
                    view! { <option value=role.slug selected=selected>{role.name}</option> }
                })
                .collect_view()
        })
    };
    view! {
        <Form action="/users" attr:class="filters" attr:role="search">
            <div class="field grow">
                <label for="member-search">"Search"</label>
                <input
                    id="member-search"
                    type="search"
                    name="q"
                    placeholder="Name or email"
                    prop:value=move || query.get().filter.search.unwrap_or_default()
                />
            </div>
            <div class="field">
                <label for="member-match">"Match"</label>
                <select id="member-match" name="match">
                    <option value="prefix" selected=move || query.get().filter.search_match == SearchMatch::Prefix>"Starts with"</option>
                    <option value="contains" selected=move || query.get().filter.search_match == SearchMatch::Contains>"Contains"</option>
                </select>
            </div>
            <div class="field">
                <label for="member-role">"Role"</label>
                <select id="member-role" name="role">
                    <option value="">"All roles"</option>
                    <Suspense fallback=|| ()>{role_options}</Suspense>
                </select>
            </div>
            <div class="field">
                <label for="member-status">"Status"</label>
                <select id="member-status" name="status">
                    <option value="">"Any status"</option>
                    {MembershipStatus::ALL
                        .into_iter()
                        .map(|status| {
                            let selected = move || query.get().filter.status == Some(status);
                            view! { <option value=status.as_str() selected=selected>{status.label()}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="member-sort">"Sort"</label>
                <select id="member-sort" name="sort">
                    {SORTS
                        .into_iter()
                        .map(|(value, label, ..)| {
                            let selected = move || query.get().sort_option().map(|(v, ..)| v) == Some(value);
                            view! { <option value=value selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <PageSizeField id="member-limit" current=Signal::derive(move || query.get().page.limit)/>
            <button type="submit" class="button">"Apply"</button>
        </Form>
    }
}

#[component]
fn MembersTable(
    list: List<Member>,
    /// The roles the viewer may hand out.
    roles: Vec<Role>,
    /// The viewer may act on owners.
    may_manage_owners: bool,
    query: TableQuery,
    change: ServerAction<ChangeMember>,
    bulk: ServerAction<crate::bulk::BulkMembers>,
) -> impl IntoView {
    if list.data.is_empty() {
        let filtered = query.is_filtered();
        return view! {
            <EmptyState title=if filtered { "No members match" } else { "No members yet" }>
                {if filtered {
                    view! { <p>"Try another search or filter." " " <a href="/users">"Clear filters"</a></p> }.into_any()
                } else {
                    view! { <p>"Invite people to get started." " " <a href="/invitations">"Invite people"</a></p> }.into_any()
                }}
            </EmptyState>
        }
        .into_any();
    }
    let previous = list.list_metadata.before.clone().map(|before| query.at(None, Some(before)).href());
    let next = list.list_metadata.after.clone().map(|after| query.at(Some(after), None).href());
    let selection = crate::bulk::Selection::new(list.data.iter().map(|m| m.membership.id.to_string()).collect());
    view! {
        <crate::bulk::BulkBar action=bulk selection roles=roles.clone() query/>
        <DataTable
            caption="Members"
            columns=&["Name", "Email", "Role", "Status", "Last sign-in", "Created"]
            actions=true
            lead=move || view! { <crate::bulk::SelectAll selection/> }
        >
            {list
                .data
                .into_iter()
                .map(|member| view! { <MemberRow member roles=roles.clone() may_manage_owners change selection/> })
                .collect_view()}
        </DataTable>
        <Pager previous next/>
    }
    .into_any()
}

/// Hidden fields naming the member and a change that needs no role.
#[component]
fn ChangeFields(membership_id: String, change: &'static str) -> impl IntoView {
    view! {
        <input type="hidden" name="membership_id" value=membership_id/>
        <input type="hidden" name="change" value=change/>
        <input type="hidden" name="role" value=""/>
    }
}

#[component]
fn MemberRow(
    member: Member,
    roles: Vec<Role>,
    may_manage_owners: bool,
    change: ServerAction<ChangeMember>,
    /// The bulk form's ticked rows, which this row's checkbox joins.
    selection: crate::bulk::Selection,
) -> impl IntoView {
    let Member { user, membership } = member;
    let name = user.display_name();
    let id = membership.id.to_string();
    // Only owners act on owners; anyone else sees the role, and why they cannot change it.
    let locked = membership.has_role(roles::OWNER) && !may_manage_owners;
    let toggle = match membership.status {
        MembershipStatus::Active => Some(("deactivate", "Deactivate")),
        MembershipStatus::Inactive => Some(("reactivate", "Reactivate")),
        // A pending member has not joined yet; their invitation is what to act on.
        MembershipStatus::Pending => None,
    }
    .map(|(change_name, label)| {
        let (id, name) = (id.clone(), name.clone());
        view! {
            <ActionForm action=change attr:class="inline-form">
                <ChangeFields membership_id=id change=change_name/>
                <button type="submit" class="button small" aria-label=format!("{label} {name}")>{label}</button>
            </ActionForm>
        }
    });
    let (role, actions) = if locked {
        (
            view! { "Owner" }.into_any(),
            view! { <span class="muted">"Only owners can change an owner."</span> }.into_any(),
        )
    } else {
        (
            view! { <RoleEditor id=id.clone() name=name.clone() current=membership.role.slug.clone() roles change/> }
                .into_any(),
            view! {
                {toggle}
                <RemoveMember id=id.clone() name=name.clone() change/>
            }
            .into_any(),
        )
    };
    view! {
        <tr data-membership=id.clone()>
            <crate::bulk::RowCheckbox selection id=id.clone() name=name.clone()/>
            <th scope="row" class="name-cell">
                <span class="avatar" aria-hidden="true">{initials(&name)}</span>
                <a href=format!("/users/{}", user.id)>{name.clone()}</a>
            </th>
            <td>{user.email.clone()}</td>
            <td>{role}</td>
            <td><StatusBadge status=membership.status/></td>
            <td>{user.last_sign_in_at.as_deref().map(format::date_time).unwrap_or_else(|| "Never".into())}</td>
            <td>{format::date(&membership.created_at)}</td>
            <td class="actions">{actions}</td>
        </tr>
    }
}

/// The role picker of one member.
#[component]
fn RoleEditor(
    id: String,
    name: String,
    current: String,
    roles: Vec<Role>,
    change: ServerAction<ChangeMember>,
) -> impl IntoView {
    let select_id = format!("role-{id}");
    view! {
        <ActionForm action=change attr:class="inline-form">
            <input type="hidden" name="membership_id" value=id/>
            <input type="hidden" name="change" value="set_role"/>
            <label class="sr-only" for=select_id.clone()>{format!("Role of {name}")}</label>
            <select id=select_id name="role">
                {roles
                    .into_iter()
                    .map(|role| {
                        let selected = current == role.slug;
                        view! { <option value=role.slug selected=selected>{role.name}</option> }
                    })
                    .collect_view()}
            </select>
            <button type="submit" class="button small" aria-label=format!("Save role of {name}")>"Save"</button>
        </ActionForm>
    }
}

/// Removal behind a confirmation that works with or without the app loaded.
#[component]
fn RemoveMember(id: String, name: String, change: ServerAction<ChangeMember>) -> impl IntoView {
    view! {
        <details class="confirm">
            <summary class="button small danger" aria-label=format!("Remove {name}…")>"Remove…"</summary>
            <div class="confirm-panel">
                <p>{format!("Remove {name} from the organization? They lose access at once.")}</p>
                <ActionForm action=change>
                    <ChangeFields membership_id=id change="remove"/>
                    <button type="submit" class="button small danger">{format!("Remove {name}")}</button>
                </ActionForm>
            </div>
        </details>
    }
}

/// Up to two initials for an avatar.
fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|word| word.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_state_round_trips_through_the_url() {
        let query = TableQuery {
            filter: MemberFilter {
                search: Some("ada l".into()),
                search_match: SearchMatch::Contains,
                role: Some("admin".into()),
                status: Some(MembershipStatus::Inactive),
                sort: MemberSort::Email,
            },
            page: Page {
                limit: 25,
                after: Some("om_01H5JQDV7R7ATEYZDEG0W5PRYS~ada@x.test".into()),
                before: None,
                order: Order::Asc,
            },
        };
        let href = query.href();
        assert_eq!(
            href,
            "/users?q=ada%20l&match=contains&role=admin&status=inactive&sort=email&limit=25&after=om_01H5JQDV7R7ATEYZDEG0W5PRYS~ada%40x.test"
        );
        let params = ParamsMap::from_iter(href.split_once('?').unwrap().1.split('&').map(|pair| {
            let (key, value) = pair.split_once('=').unwrap();
            (key.to_owned(), percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned())
        }));
        assert_eq!(TableQuery::from_params(&params), query);
    }

    #[test]
    fn odd_page_sizes_fall_back_to_ten() {
        let params = ParamsMap::from_iter([("limit".to_owned(), "7".to_owned())]);
        assert_eq!(TableQuery::from_params(&params).page.limit, 10);
    }

    #[test]
    fn initials_take_two_words() {
        assert_eq!(initials("ada king lovelace"), "AK");
        assert_eq!(initials("x@y.z"), "X");
    }
}
