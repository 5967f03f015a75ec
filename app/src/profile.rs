//! The signed-in user's own profile: the one page every member can see.

use crate::error::AppError;
use crate::format;
use crate::model::*;
use crate::ui::{LoadError, Loading, StatusBadge};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::door::{caller, directory};

/// The viewer's own memberships, across organizations.
#[server(prefix = "/api", endpoint = "my-memberships", input = Json)]
pub async fn my_memberships() -> Result<Vec<OrganizationMembership>, AppError> {
    let caller = caller().await?;
    directory().own_memberships(&caller).await
}

/// The profile page. The viewer and their memberships load in one `Suspense`: a `Suspense`
/// nested in another's `Suspend` could leave the server's render waiting for good.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let session = expect_context::<crate::auth::SessionState>();
    let memberships = Resource::new(|| (), |_| my_memberships());
    view! {
        <Title text="Your profile"/>
        <Suspense fallback=|| view! { <Loading what="your profile"/> }>
            {move || Suspend::new(async move {
                match (session.viewer.await, memberships.await) {
                    (Ok(Some(viewer)), memberships) => view! { <Profile viewer memberships/> }.into_any(),
                    // The layout sends everyone else to the sign-in page.
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Profile(viewer: Viewer, memberships: Result<Vec<OrganizationMembership>, AppError>) -> impl IntoView {
    let user = viewer.user.clone();
    view! {
        <div class="page-head">
            <div>
                <h1>"Your profile"</h1>
                <p class="muted">"How you appear to the organizations you belong to."</p>
            </div>
        </div>
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">{user.display_name()}</h2>
            <dl class="facts">
                <dt>"Email"</dt>
                <dd>{user.email.clone()} {if user.email_verified { " (verified)" } else { " (not verified)" }}</dd>
                <dt>"Last sign-in"</dt>
                <dd>{user.last_sign_in_at.as_deref().map(format::date_time).unwrap_or_else(|| "Never".into())}</dd>
                <dt>"Member since"</dt>
                <dd>{format::date(&user.created_at)}</dd>
                <dt>"Your roles here"</dt>
                <dd>{if viewer.roles.is_empty() { "None".to_owned() } else { viewer.roles.join(", ") }}</dd>
            </dl>
        </section>
        <section class="section" aria-labelledby="memberships-heading">
            <h2 id="memberships-heading">"Organizations"</h2>
            {match memberships {
                Ok(list) if list.is_empty() => view! { <p class="muted">"You are not a member of any organization yet."</p> }.into_any(),
                Ok(list) => view! {
                    <div class="table-card">
                        <table class="data">
                            <caption class="sr-only">"Your organizations"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Organization"</th>
                                    <th scope="col">"Roles"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Joined"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|m| view! {
                                    <tr>
                                        <th scope="row">{m.organization_name.clone()}</th>
                                        <td>{m.roles.iter().map(|r| r.slug.clone()).collect::<Vec<_>>().join(", ")}</td>
                                        <td><StatusBadge status=m.status/></td>
                                        <td>{format::date(&m.created_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
                Err(error) => view! { <LoadError error/> }.into_any(),
            }}
        </section>
    }
}
