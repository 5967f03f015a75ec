//! `/organizations…` (their role lists are in `authorization.rs`).

use super::openapi::ApiErrors;
use super::request::{Body, PageParams, Query, path_id, present, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::directory::{NewOrganization, OrganizationQuery, OrganizationUpdate};
use app::ids::OrganizationId;
use app::model::{DomainState, List, Metadata, Organization};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .get("/organizations", list)
        .post("/organizations", create)
        .get("/organizations/external_id/{external_id}", get_by_external_id)
        .get("/organizations/{id}", get_one)
        .put("/organizations/{id}", update)
        .delete("/organizations/{id}", delete)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get_by_external_id, get_one, update, delete))]
pub(super) struct Doc;

/// Parses an organization ID from a path.
pub(super) fn organization_id(raw: &str) -> ApiResult<OrganizationId> {
    path_id(raw, OrganizationId::parse, "Organization")
}

/// A domain to claim, and whether it is already verified.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
struct DomainData {
    domain: String,
    /// `pending` when left out.
    #[serde(default = "pending")]
    #[schema(required = false)]
    state: DomainState,
}

fn pending() -> DomainState {
    DomainState::Pending
}

fn domains(data: Vec<DomainData>) -> Vec<(String, DomainState)> {
    data.into_iter().map(|d| (d.domain, d.state)).collect()
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct CreateOrganization {
    #[schema(value_type = String, required = true)]
    name: Option<String>,
    domain_data: Option<Vec<DomainData>>,
    /// Older SDKs send plain domains.
    domains: Option<Vec<String>>,
    external_id: Option<String>,
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>)]
    metadata: Option<Metadata>,
}

/// Creates an organization, optionally claiming domains.
#[utoipa::path(post, path = "/organizations", tag = "organizations", operation_id = "createOrganization",
    request_body = Option<CreateOrganization>,
    responses((status = 201, description = "The new organization.", body = Organization), ApiErrors))]
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

/// Lists organizations, optionally those claiming some domains.
#[utoipa::path(get, path = "/organizations", tag = "organizations", operation_id = "listOrganizations",
    params(
        ("domains" = Option<Vec<String>>, Query, description = "Only organizations claiming one of these domains (repeated or comma-joined)."),
        PageParams,
    ),
    responses((status = 200, description = "A page of organizations.", body = List<Organization>), ApiErrors))]
async fn list(directory: Dir, caller: ApiCaller, query: Query) -> ApiResult<Json<List<Organization>>> {
    let organizations = OrganizationQuery { domains: query.list("domains"), page: query.page()? };
    Ok(Json(directory.list_organizations(&caller.admin()?, organizations).await?))
}

/// Reads an organization.
#[utoipa::path(get, path = "/organizations/{id}", tag = "organizations", operation_id = "getOrganization",
    params(("id" = OrganizationId, Path, description = "The organization's ID.")), responses((status = 200, description = "The organization.", body = Organization), ApiErrors))]
async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<Organization>> {
    Ok(Json(directory.get_organization(&caller.admin()?, &organization_id(&id)?).await?))
}

/// Reads an organization by the ID another system gave it.
#[utoipa::path(get, path = "/organizations/external_id/{external_id}", tag = "organizations",
    operation_id = "getOrganizationByExternalId",
    params(("external_id" = String, Path, description = "The organization's external ID.")),
    responses((status = 200, description = "The organization.", body = Organization), ApiErrors))]
async fn get_by_external_id(
    directory: Dir,
    caller: ApiCaller,
    Path(external_id): Path<String>,
) -> ApiResult<Json<Organization>> {
    Ok(Json(directory.get_organization_by_external_id(&caller.admin()?, &external_id).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct UpdateOrganization {
    name: Option<String>,
    domain_data: Option<Vec<DomainData>>,
    #[serde(deserialize_with = "present")]
    external_id: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    stripe_customer_id: Option<Option<String>>,
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>)]
    metadata: Option<Metadata>,
}

/// Changes an organization; fields left out stay as they are, `null` clears a nullable one.
#[utoipa::path(put, path = "/organizations/{id}", tag = "organizations", operation_id = "updateOrganization",
    params(("id" = OrganizationId, Path, description = "The organization's ID.")), request_body = Option<UpdateOrganization>,
    responses((status = 200, description = "The changed organization.", body = Organization), ApiErrors))]
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

/// Deletes an organization with its memberships, invitations, roles and domains.
#[utoipa::path(delete, path = "/organizations/{id}", tag = "organizations", operation_id = "deleteOrganization",
    params(("id" = OrganizationId, Path, description = "The organization's ID.")), responses((status = 204, description = "Deleted."), ApiErrors))]
async fn delete(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_organization(&caller.admin()?, &organization_id(&id)?).await?;
    Ok(no_content())
}
