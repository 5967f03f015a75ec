//! Organizations: create and read.

use super::{Core, record, validate};
use crate::store::directory::{self as db, Counted, Lockable};
use crate::store::{Connection, commit, iso, now_ms};
use app::directory::{Admin, Caller, NewOrganization, OrganizationQuery, OrganizationUpdate, Organizations};
use app::error::{AppError, Conflict, FieldErrors};
use app::ids::{OrganizationDomainId, OrganizationId};
use app::model::*;
use app::organizations::{OrganizationOverview, OrganizationSearch};
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
        // Locked, so no membership or invitation joins between the count and the delete.
        if !db::lock_row(&mut tx, Lockable::Organizations, id.as_str()).await? {
            return Err(AppError::not_found("Organization"));
        }
        let organization =
            db::find_organization(&mut tx, id).await?.ok_or_else(|| AppError::not_found("Organization"))?;
        let ids = std::slice::from_ref(id);
        let memberships = db::counts_by_organization(&mut tx, Counted::Memberships, ids).await?;
        let invitations = db::counts_by_organization(&mut tx, Counted::Invitations, ids).await?;
        // The memberships, domains and invitations go with the row (ON DELETE CASCADE). One
        // event says what went with it: an event per membership would be a million rows for
        // a million-member organization.
        db::delete_organization(&mut tx, id).await?;
        let mut data = serde_json::to_value(&organization).map_err(|_| AppError::Internal)?;
        if let Some(fields) = data.as_object_mut() {
            fields.insert("memberships_removed".into(), memberships.get(id).copied().unwrap_or(0).into());
            fields.insert("invitations_removed".into(), invitations.get(id).copied().unwrap_or(0).into());
        }
        record(&mut tx, "organization.deleted", Some(id), &data).await?;
        Ok(commit(tx).await?)
    }

    async fn list_organization_overviews(
        &self,
        admin: &Admin,
        query: OrganizationSearch,
    ) -> Result<List<OrganizationOverview>, AppError> {
        admin.require_environment()?;
        let page = query.page.checked()?;
        let search = query.search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
        let mut conn = self.store.read().await?;
        let list = db::search_organizations(&mut conn, search.as_deref(), &page).await?;
        let ids: Vec<OrganizationId> = list.data.iter().map(|o| o.id.clone()).collect();
        let members = db::counts_by_organization(&mut conn, Counted::Memberships, &ids).await?;
        let invitations = db::counts_by_organization(&mut conn, Counted::Invitations, &ids).await?;
        Ok(List {
            data: list
                .data
                .into_iter()
                .map(|organization| OrganizationOverview {
                    member_count: members.get(&organization.id).copied().unwrap_or(0),
                    invitation_count: invitations.get(&organization.id).copied().unwrap_or(0),
                    organization,
                })
                .collect(),
            list_metadata: list.list_metadata,
        })
    }

    async fn get_organization_overview(
        &self,
        admin: &Admin,
        id: &OrganizationId,
    ) -> Result<OrganizationOverview, AppError> {
        admin.require_environment()?;
        let mut conn = self.store.read().await?;
        let organization =
            db::find_organization(&mut conn, id).await?.ok_or_else(|| AppError::not_found("Organization"))?;
        let ids = std::slice::from_ref(id);
        let members = db::counts_by_organization(&mut conn, Counted::Memberships, ids).await?;
        let invitations = db::counts_by_organization(&mut conn, Counted::Invitations, ids).await?;
        Ok(OrganizationOverview {
            member_count: members.get(id).copied().unwrap_or(0),
            invitation_count: invitations.get(id).copied().unwrap_or(0),
            organization,
        })
    }

    async fn switchable_organizations(
        &self,
        caller: &Caller,
        search: &str,
        limit: u32,
    ) -> Result<Vec<OrganizationSummary>, AppError> {
        let context = caller.session().ok_or(AppError::Unauthenticated)?;
        let limit = i64::from(limit.clamp(1, Page::MAX_LIMIT));
        let search = search.trim().to_lowercase();
        let mut conn = self.store.read().await?;
        // Platform admins may work on any organization; everyone else on those they are an
        // active member of, as `switch_organization` decides.
        if context.is_platform_admin {
            return Ok(db::organization_summaries_named(&mut conn, &search, None, limit).await?);
        }
        let ids: Vec<OrganizationId> = db::active_memberships_of(&mut conn, &context.user_id)
            .await?
            .into_iter()
            .map(|m| m.organization_id)
            .collect();
        Ok(db::organization_summaries_named(&mut conn, &search, Some(&ids), limit).await?)
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

    #[tokio::test]
    async fn the_page_searches_names_and_domains_by_prefix_and_counts_members() {
        use app::organizations::OrganizationSearch;
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme Corporation").await;
        let globex = fx.organization("Globex").await;
        fx.member(&acme, "ada@acme.test", "owner").await;
        fx.member(&acme, "bob@acme.test", "member").await;
        fx.core.create_domain(&fx.system(), &globex.id, "globex-mail.example").await.unwrap();
        let search = |text: &str| OrganizationSearch { search: Some(text.into()), ..Default::default() };
        let names = |list: app::model::List<app::organizations::OrganizationOverview>| {
            list.data.into_iter().map(|o| (o.organization.name, o.member_count)).collect::<Vec<_>>()
        };
        let found = fx.core.list_organization_overviews(&fx.system(), search("ACME c")).await.unwrap();
        assert_eq!(names(found), vec![("Acme Corporation".to_owned(), 2)]);
        let found = fx.core.list_organization_overviews(&fx.system(), search("globex-m")).await.unwrap();
        assert_eq!(names(found), vec![("Globex".to_owned(), 0)]);
        let found = fx.core.list_organization_overviews(&fx.system(), search("corporation")).await.unwrap();
        assert!(found.data.is_empty(), "the name matches from its start");
        let renamed = OrganizationUpdate { name: Some("Zeta".into()), ..Default::default() };
        fx.core.update_organization(&fx.system(), &acme.id, renamed).await.unwrap();
        let found = fx.core.list_organization_overviews(&fx.system(), search("zet")).await.unwrap();
        assert_eq!(names(found), vec![("Zeta".to_owned(), 2)], "the search key follows the name");
        let owner = fx.owner_of(&globex).await;
        assert!(fx.core.list_organization_overviews(&owner, OrganizationSearch::default()).await.is_err());
        assert!(fx.core.get_organization_overview(&owner, &globex.id).await.is_err());
    }

    #[tokio::test]
    async fn deleting_records_what_went_with_the_organization() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        fx.member(&acme, "ada@acme.test", "owner").await;
        let invitation = NewInvitation {
            email: "new@acme.test".into(),
            organization_id: Some(acme.id.clone()),
            role_slug: None,
            expires_in_days: None,
            inviter_user_id: None,
        };
        fx.core.send_invitation(&fx.system(), invitation).await.unwrap();
        let owner = fx.owner_of(&acme).await;
        assert!(fx.core.delete_organization(&owner, &acme.id).await.is_err(), "owners cannot delete it");
        let before = fx.core.get_organization_overview(&fx.system(), &acme.id).await.unwrap();
        assert_eq!((before.member_count, before.invitation_count), (2, 1), "Ada and the owner who tried");
        fx.core.delete_organization(&fx.system(), &acme.id).await.unwrap();
        let mut conn = fx.core.store().read().await.unwrap();
        let data: String = crate::store::db::query_scalar(
            "SELECT data FROM events WHERE event = 'organization.deleted' ORDER BY id DESC",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let data: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(data["id"], acme.id.as_str());
        assert_eq!((data["memberships_removed"].as_u64(), data["invitations_removed"].as_u64()), (Some(2), Some(1)));
    }
}
