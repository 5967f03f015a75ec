//! Organizations: create and read.

use super::{Core, record, validate};
use crate::store::directory::{self as db, Lockable};
use crate::store::{Connection, commit, iso, now_ms};
use app::directory::{Admin, NewOrganization, OrganizationQuery, OrganizationUpdate, Organizations};
use app::error::{AppError, Conflict, FieldErrors};
use app::ids::{OrganizationDomainId, OrganizationId};
use app::model::*;
use async_trait::async_trait;

/// The domains an organization claims, as new rows.
fn new_domains(
    organization: &OrganizationId,
    domains: Vec<(String, DomainState)>,
    now: i64,
) -> Vec<OrganizationDomain> {
    domains
        .into_iter()
        .map(|(domain, state)| OrganizationDomain {
            id: OrganizationDomainId::generate(),
            domain,
            organization_id: organization.clone(),
            state,
            verification_strategy: DomainVerificationStrategy::Manual,
            verification_token: None,
            created_at: iso(now),
            updated_at: iso(now),
        })
        .collect()
}

/// The longest organization name.
const MAX_ORGANIZATION_NAME_CHARS: usize = 200;

/// Checks a domain name such as `acme.com`; `field` names it in the error.
pub(crate) fn domain(field: &str, raw: &str) -> Result<String, AppError> {
    let domain = raw.trim().trim_end_matches('.').to_lowercase();
    let valid = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if valid {
        Ok(domain)
    } else {
        Err(AppError::invalid(field, "domain_invalid", format!("{raw:?} is not a valid domain.")))
    }
}

impl Core {
    /// Creates an organization inside a transaction; shared by `create_organization` and seeding.
    pub(crate) async fn insert_new_organization(
        conn: &mut Connection,
        organization: NewOrganization,
    ) -> Result<Organization, AppError> {
        let mut errors = FieldErrors::default();
        let name = errors.check(validate::required_name("name", &organization.name, MAX_ORGANIZATION_NAME_CHARS));
        let external_id = errors.check(validate::external_id("external_id", organization.external_id)).flatten();
        errors.check(validate::metadata("metadata", &organization.metadata));
        let domains: Vec<(String, DomainState)> = organization
            .domains
            .iter()
            .filter_map(|(raw, state)| errors.check(domain("domain_data", raw)).map(|domain| (domain, *state)))
            .collect();
        errors.finish()?;
        let Some(name) = name else { unreachable!("the name was checked") };

        let now = now_ms();
        let id = OrganizationId::generate();
        let stamp = iso(now);
        let organization = Organization {
            domains: new_domains(&id, domains, now),
            id,
            name,
            allow_profiles_outside_organization: false,
            stripe_customer_id: None,
            external_id,
            metadata: organization.metadata,
            created_at: stamp.clone(),
            updated_at: stamp,
        };
        db::insert_organization(conn, &organization, now).await.map_err(|error| {
            error.duplicate_as(|| {
                AppError::conflict(
                    Conflict::OrganizationAlreadyExists,
                    "An organization with this external ID already exists.",
                )
            })
        })?;
        record(conn, "organization.created", Some(&organization.id), &organization).await?;
        Ok(organization)
    }
}

#[async_trait]
impl Organizations for Core {
    async fn create_organization(
        &self,
        admin: &Admin,
        organization: NewOrganization,
    ) -> Result<Organization, AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        let organization = Self::insert_new_organization(&mut tx, organization).await?;
        commit(tx).await?;
        Ok(organization)
    }

    async fn get_organization(&self, admin: &Admin, id: &OrganizationId) -> Result<Organization, AppError> {
        admin.require_reach(id, "Organization")?;
        let mut conn = self.store.read().await?;
        db::find_organization(&mut conn, id).await?.ok_or_else(|| AppError::not_found("Organization"))
    }

    async fn get_organization_by_external_id(
        &self,
        admin: &Admin,
        external_id: &str,
    ) -> Result<Organization, AppError> {
        let mut conn = self.store.read().await?;
        let organization = db::find_organization_by_external_id(&mut conn, external_id)
            .await?
            .ok_or_else(|| AppError::not_found("Organization"))?;
        admin.require_reach(&organization.id, "Organization")?;
        Ok(organization)
    }

    async fn update_organization(
        &self,
        admin: &Admin,
        id: &OrganizationId,
        update: OrganizationUpdate,
    ) -> Result<Organization, AppError> {
        admin.require_reach(id, "Organization")?;
        let mut errors = FieldErrors::default();
        let name = update
            .name
            .and_then(|name| errors.check(validate::required_name("name", &name, MAX_ORGANIZATION_NAME_CHARS)));
        let external_id = update.external_id.map(|id| errors.check(validate::external_id("external_id", id)).flatten());
        if let Some(metadata) = &update.metadata {
            errors.check(validate::metadata("metadata", metadata));
        }
        let domains: Option<Vec<(String, DomainState)>> = update.domains.map(|domains| {
            domains
                .iter()
                .filter_map(|(raw, state)| errors.check(domain("domain_data", raw)).map(|domain| (domain, *state)))
                .collect()
        });
        errors.finish()?;

        let mut tx = self.store.begin().await?;
        if !db::lock_row(&mut tx, Lockable::Organizations, id.as_str()).await? {
            return Err(AppError::not_found("Organization"));
        }
        let mut organization =
            db::find_organization(&mut tx, id).await?.ok_or_else(|| AppError::not_found("Organization"))?;
        let now = now_ms();
        if let Some(name) = name {
            organization.name = name;
        }
        if let Some(external_id) = external_id {
            organization.external_id = external_id;
        }
        if let Some(stripe_customer_id) = update.stripe_customer_id {
            organization.stripe_customer_id = stripe_customer_id;
        }
        if let Some(metadata) = update.metadata {
            organization.metadata = metadata;
        }
        let replace_domains = domains.is_some();
        if let Some(domains) = domains {
            organization.domains = new_domains(id, domains, now);
        }
        db::update_organization(&mut tx, &organization, replace_domains, now).await.map_err(|error| {
            error.duplicate_as(|| {
                let conflict = AppError::conflict(
                    Conflict::OrganizationAlreadyExists,
                    "An organization with this external ID already exists.",
                );
                admin.collision(conflict, "external_id", "external ID")
            })
        })?;
        let updated = db::find_organization(&mut tx, id).await?.ok_or(AppError::Internal)?;
        record(&mut tx, "organization.updated", Some(id), &updated).await?;
        commit(tx).await?;
        Ok(updated)
    }

    async fn delete_organization(&self, admin: &Admin, id: &OrganizationId) -> Result<(), AppError> {
        admin.require_environment()?;
        let mut tx = self.store.begin().await?;
        let organization =
            db::find_organization(&mut tx, id).await?.ok_or_else(|| AppError::not_found("Organization"))?;
        db::delete_organization(&mut tx, id).await?;
        record(&mut tx, "organization.deleted", Some(id), &organization).await?;
        Ok(commit(tx).await?)
    }

    async fn list_organizations(
        &self,
        admin: &Admin,
        query: OrganizationQuery,
    ) -> Result<List<Organization>, AppError> {
        let domains: Vec<String> =
            query.domains.iter().map(|d| d.trim().to_lowercase()).filter(|d| !d.is_empty()).collect();
        let page = query.page.checked()?;
        let mut conn = self.store.read().await?;
        Ok(db::list_organizations(&mut conn, admin.visible(None).organization(), &domains, &page).await?)
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::model::*;

    #[tokio::test]
    async fn organizations_keep_their_domains_and_can_be_found_by_them() {
        let fx = Fixture::new().await;
        let created = fx
            .core
            .create_organization(
                &fx.system(),
                NewOrganization {
                    name: "Acme".into(),
                    domains: vec![("Acme.com".into(), DomainState::Verified)],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(created.domains[0].domain, "acme.com");
        fx.organization("Globex").await;
        let found = fx
            .core
            .list_organizations(
                &fx.system(),
                OrganizationQuery { domains: vec!["acme.com".into()], page: Page::default() },
            )
            .await
            .unwrap();
        assert_eq!(found.data, vec![created]);
    }

    #[tokio::test]
    async fn organization_admins_see_only_their_own_organization() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        fx.organization("Globex").await;
        let admin = fx.admin_of(&acme).await;
        let listed = fx.core.list_organizations(&admin, OrganizationQuery::default()).await.unwrap();
        assert_eq!(listed.data.iter().map(|o| &o.id).collect::<Vec<_>>(), vec![&acme.id]);
    }
}
