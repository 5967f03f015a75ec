//! `/organization_domains…`: claim, read, verify and release an organization's domain.

use super::openapi::ApiErrors;
use super::organizations::organization_id;
use super::request::{Body, path_id, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::ids::{OrganizationDomainId, OrganizationId};
use app::model::OrganizationDomain;
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

pub(super) fn routes() -> super::Routes {
    super::Routes::default()
        .post("/organization_domains", create)
        .get("/organization_domains/{id}", get_one)
        .post("/organization_domains/{id}/verify", verify)
        .delete("/organization_domains/{id}", delete)
}

/// The operations of this module, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, get_one, verify, delete))]
pub(super) struct Doc;

fn domain_id(raw: &str) -> ApiResult<OrganizationDomainId> {
    path_id(raw, OrganizationDomainId::parse, "Organization domain")
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct CreateDomain {
    #[schema(value_type = String, required = true)]
    domain: Option<String>,
    #[schema(value_type = OrganizationId, required = true)]
    organization_id: Option<String>,
}

/// Claims a domain for an organization, pending verification.
#[utoipa::path(post, path = "/organization_domains", tag = "organization_domains", operation_id = "createOrganizationDomain",
    request_body = Option<CreateDomain>,
    responses((status = 201, description = "The claimed domain.", body = OrganizationDomain), ApiErrors))]
async fn create(directory: Dir, caller: ApiCaller, Body(body): Body<CreateDomain>) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let domain = required(body.domain, "domain")?;
    let organization = organization_id(&required(body.organization_id, "organization_id")?)?;
    Ok(created(directory.create_domain(&admin, &organization, &domain).await?))
}

/// Reads a domain.
#[utoipa::path(get, path = "/organization_domains/{id}", tag = "organization_domains", operation_id = "getOrganizationDomain",
    params(("id" = OrganizationDomainId, Path, description = "The domain's ID.")), responses((status = 200, description = "The domain.", body = OrganizationDomain), ApiErrors))]
async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<OrganizationDomain>> {
    Ok(Json(directory.get_domain(&caller.admin()?, &domain_id(&id)?).await?))
}

/// Checks the domain's DNS TXT record and marks it verified or failed.
#[utoipa::path(post, path = "/organization_domains/{id}/verify", tag = "organization_domains", operation_id = "verifyOrganizationDomain",
    params(("id" = OrganizationDomainId, Path, description = "The domain's ID.")), responses((status = 200, description = "The domain, verified or failed.", body = OrganizationDomain), ApiErrors))]
async fn verify(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<OrganizationDomain>> {
    Ok(Json(directory.verify_domain(&caller.admin()?, &domain_id(&id)?).await?))
}

/// Releases a domain.
#[utoipa::path(delete, path = "/organization_domains/{id}", tag = "organization_domains", operation_id = "deleteOrganizationDomain",
    params(("id" = OrganizationDomainId, Path, description = "The domain's ID.")), responses((status = 204, description = "Deleted."), ApiErrors))]
async fn delete(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_domain(&caller.admin()?, &domain_id(&id)?).await?;
    Ok(no_content())
}
