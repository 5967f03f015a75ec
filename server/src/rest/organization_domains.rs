//! `/organization_domains…`: claim, read, verify and release an organization's domain.

use super::organizations::organization_id;
use super::request::{Body, path_id, required};
use super::{ApiCaller, ApiResult, Dir, created, no_content};
use app::ids::OrganizationDomainId;
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

fn domain_id(raw: &str) -> ApiResult<OrganizationDomainId> {
    path_id(raw, OrganizationDomainId::parse, "Organization domain")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateDomain {
    domain: Option<String>,
    organization_id: Option<String>,
}

async fn create(directory: Dir, caller: ApiCaller, Body(body): Body<CreateDomain>) -> ApiResult<Response> {
    let admin = caller.admin()?;
    let domain = required(body.domain, "domain")?;
    let organization = organization_id(&required(body.organization_id, "organization_id")?)?;
    Ok(created(directory.create_domain(&admin, &organization, &domain).await?))
}

async fn get_one(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<OrganizationDomain>> {
    Ok(Json(directory.get_domain(&caller.admin()?, &domain_id(&id)?).await?))
}

async fn verify(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Json<OrganizationDomain>> {
    Ok(Json(directory.verify_domain(&caller.admin()?, &domain_id(&id)?).await?))
}

async fn delete(directory: Dir, caller: ApiCaller, Path(id): Path<String>) -> ApiResult<Response> {
    directory.delete_domain(&caller.admin()?, &domain_id(&id)?).await?;
    Ok(no_content())
}
