//! `/organizations…` (their role lists are in `authorization.rs`).

use super::request::{Body, Query, path_id, present, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::directory::{NewOrganization, OrganizationQuery, OrganizationUpdate};
use app::ids::OrganizationId;
use app::model::{DomainState, List, Metadata, Organization};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .get("/organizations", list)
        .post("/organizations", create)
        .get("/organizations/external_id/{external_id}", get_by_external_id)
        .get("/organizations/{id}", get_one)
        .put("/organizations/{id}", update)
        .delete("/organizations/{id}", delete)
}

/// Parses an organization ID from a path.
pub(super) fn organization_id(raw: &str) -> ApiResult<OrganizationId> {
    path_id(raw, OrganizationId::parse, "Organization")
}

#[derive(Deserialize)]
struct DomainData {
    domain: String,
    #[serde(default = "pending")]
    state: DomainState,
}

fn pending() -> DomainState {
    DomainState::Pending
}

fn domains(data: Vec<DomainData>) -> Vec<(String, DomainState)> {
    data.into_iter().map(|d| (d.domain, d.state)).collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateOrganization {
    name: Option<String>,
    domain_data: Option<Vec<DomainData>>,
    /// Older SDKs send plain domains.
    domains: Option<Vec<String>>,
    external_id: Option<String>,
    metadata: Option<Metadata>,
}

async fn create(directory: Dir, caller: ApiCaller, Body(body): Body<CreateOrganization>) -> ApiResult<Response> {
    let mut all_domains = domains(body.domain_data.unwrap_or_default());
    all_domains.extend(body.domains.unwrap_or_default().into_iter().map(|d| (d, DomainState::Pending)));
    let organization = NewOrganization {
        name: required(body.name, "name")?,
        domains: all_domains,
        external_id: body.external_id,
        metadata: body.metadata.unwrap_or_default(),
    };
    Ok(created(directory.create_organization(&caller.admin()?, organization).await?))
}

async fn list(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<Organization>>> {
    let organizations = OrganizationQuery { domains: query.list("domains"), page: query.page()? };
    Ok(Json(directory.list_organizations(&caller.admin()?, organizations).await?))
}

async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Organization>> {
    Ok(Json(directory.get_organization(&caller.admin()?, &organization_id(&id)?).await?))
}

async fn get_by_external_id(
    directory: Dir,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Json<Organization>> {
    Ok(Json(directory.get_organization_by_external_id(&caller.admin()?, &external_id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateOrganization {
    name: Option<String>,
    domain_data: Option<Vec<DomainData>>,
    #[serde(deserialize_with = "present")]
    external_id: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    stripe_customer_id: Option<Option<String>>,
    metadata: Option<Metadata>,
}

async fn update(
    directory: Dir,
    caller: ApiCaller,
    Path(id): Path<String>,
    Body(body): Body<UpdateOrganization>,
) -> ApiResult<Json<Organization>> {
    let update = OrganizationUpdate {
        name: body.name,
        domains: body.domain_data.map(domains),
        external_id: body.external_id,
        stripe_customer_id: body.stripe_customer_id,
        metadata: body.metadata,
    };
    Ok(Json(directory.update_organization(&caller.admin()?, &organization_id(&id)?, update).await?))
}

async fn delete(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_organization(&caller.admin()?, &organization_id(&id)?).await?;
    Ok(no_content())
}
