//! Organization domains: an organization claims a domain, proves it with a DNS TXT record at
//! the domain (`verification_token=<token>`), and may release it. A domain verified by one
//! organization cannot be claimed by another; public email providers cannot be claimed at all.
//!
//! A pending domain whose record has not appeared within 30 days is `failed`; verifying a failed
//! domain starts a new 30-day window (or verifies it, if the record is there by then).

use super::organizations::domain as checked_domain;
use super::{Core, record};
use crate::store::directory::{self as db, Lockable};
use crate::store::{commit, iso, now_ms};
use app::directory::{Admin, OrganizationDomains};
use app::error::{AppError, Conflict};
use app::ids::{OrganizationDomainId, OrganizationId};
use app::model::{DomainState, DomainVerificationStrategy, OrganizationDomain};
use async_trait::async_trait;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use rand::distributions::{Alphanumeric, DistString};

/// Domains of public email providers: they belong to no one organization.
const PUBLIC_EMAIL_DOMAINS: [&str; 14] = [
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "yandex.com",
];

/// How long a claim waits for its record before it fails.
const VERIFICATION_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

/// The resolver that domain verification asks: the configured DNS server, or the system's.
pub(crate) fn resolver(server: Option<std::net::SocketAddr>) -> TokioResolver {
    let mut builder = match server {
        Some(server) => {
            let servers = NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true);
            TokioResolver::builder_with_config(
                ResolverConfig::from_parts(None, vec![], servers),
                TokioConnectionProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio().unwrap_or_else(|error| {
            tracing::warn!(%error, "no system DNS configuration; domain verification asks the default resolvers");
            TokioResolver::builder_with_config(ResolverConfig::default(), TokioConnectionProvider::default())
        }),
    };
    // Someone is waiting on the answer: a server that does not answer means "not yet".
    builder.options_mut().timeout = std::time::Duration::from_secs(3);
    builder.options_mut().attempts = 1;
    // Every check asks again: an operator publishes the record and verifies right away.
    builder.options_mut().cache_size = 0;
    builder.build()
}

impl Core {
    /// Reads a domain the grant reaches; others are "not found".
    async fn reachable_domain(&self, admin: &Admin, id: &OrganizationDomainId) -> Result<OrganizationDomain, AppError> {
        let mut conn = self.store.read().await?;
        let found = db::find_domain(&mut conn, id).await?.ok_or_else(|| AppError::not_found("Organization domain"))?;
        admin.require_reach(&found.organization_id, "Organization domain")?;
        Ok(found)
    }

    /// True when a TXT record at the domain carries its token. Lookup failures (no record,
    /// no answer, a timeout) leave the domain pending; they are the usual state of a record
    /// not yet published.
    async fn txt_record_present(&self, domain: &OrganizationDomain) -> bool {
        let Some(token) = &domain.verification_token else { return false };
        let expected = format!("verification_token={token}");
        match self.dns.txt_lookup(format!("{}.", domain.domain)).await {
            Ok(records) => records.iter().any(|txt| {
                let text: Vec<u8> = txt.iter().flat_map(|part| part.iter().copied()).collect();
                String::from_utf8_lossy(&text).trim() == expected
            }),
            Err(error) => {
                tracing::info!(%error, domain = %domain.domain, "no verification record found yet");
                false
            }
        }
    }
}

#[async_trait]
impl OrganizationDomains for Core {
    async fn create_domain(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        domain: &str,
    ) -> Result<OrganizationDomain, AppError> {
        admin.require_reach(organization, "Organization")?;
        let domain = checked_domain("domain", domain)?;
        if PUBLIC_EMAIL_DOMAINS.contains(&domain.as_str()) {
            return Err(AppError::invalid(
                "domain",
                "domain_public",
                format!("{domain} is a public email provider; claim your organization's own domain."),
            ));
        }
        let mut tx = self.store.begin().await?;
        if !db::lock_row(&mut tx, Lockable::Organizations, organization.as_str()).await? {
            return Err(AppError::invalid(
                "organization_id",
                "organization_not_found",
                "There is no such organization.",
            ));
        }
        if db::organization_claims_domain(&mut tx, &domain, organization).await? {
            return Err(AppError::conflict(
                Conflict::DomainAlreadyClaimed,
                format!("This organization already claims {domain}."),
            ));
        }
        if db::domain_verified_elsewhere(&mut tx, &domain, organization).await? {
            let conflict = AppError::conflict(
                Conflict::DomainAlreadyClaimed,
                format!("Another organization has verified {domain}."),
            );
            return Err(admin.collision(conflict, "domain", "domain"));
        }
        let now = now_ms();
        let created = OrganizationDomain {
            id: OrganizationDomainId::generate(),
            domain,
            organization_id: organization.clone(),
            state: DomainState::Pending,
            verification_strategy: DomainVerificationStrategy::Dns,
            verification_token: Some(Alphanumeric.sample_string(&mut rand::thread_rng(), 32)),
            created_at: iso(now),
            updated_at: iso(now),
        };
        db::insert_domain(&mut tx, &created, now).await?;
        record(&mut tx, "organization_domain.created", Some(organization), &created).await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn get_domain(&self, admin: &Admin, id: &OrganizationDomainId) -> Result<OrganizationDomain, AppError> {
        self.reachable_domain(admin, id).await
    }

    async fn verify_domain(&self, admin: &Admin, id: &OrganizationDomainId) -> Result<OrganizationDomain, AppError> {
        let found = self.reachable_domain(admin, id).await?;
        if found.state == DomainState::Verified {
            return Ok(found);
        }
        let present = self.txt_record_present(&found).await;
        let now = now_ms();
        let window_started =
            chrono::DateTime::parse_from_rfc3339(&found.updated_at).map(|at| at.timestamp_millis()).unwrap_or(now);
        let next = match (present, found.state) {
            (true, _) => DomainState::Verified,
            // A failed claim is tried again: its window starts over.
            (false, DomainState::Failed) => DomainState::Pending,
            (false, _) if now - window_started > VERIFICATION_WINDOW_MS => DomainState::Failed,
            (false, _) => return Ok(found),
        };
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Organizations, found.organization_id.as_str()).await?;
        // Another organization may have verified it while the lookup ran.
        if next == DomainState::Verified
            && db::domain_verified_elsewhere(&mut tx, &found.domain, &found.organization_id).await?
        {
            return Err(AppError::conflict(
                Conflict::DomainAlreadyClaimed,
                format!("Another organization has verified {} in the meantime.", found.domain),
            ));
        }
        db::set_domain_state(&mut tx, id, next, now).await?;
        let changed = db::find_domain(&mut tx, id).await?.ok_or(AppError::Internal)?;
        let organization = Some(&changed.organization_id);
        match next {
            DomainState::Verified => record(&mut tx, "organization_domain.verified", organization, &changed).await?,
            DomainState::Failed => {
                let reason = "The TXT record was not found within 30 days.";
                let data = serde_json::json!({ "reason": reason, "organization_domain": changed });
                record(&mut tx, "organization_domain.verification_failed", organization, &data).await?
            }
            DomainState::Pending => record(&mut tx, "organization_domain.updated", organization, &changed).await?,
        }
        commit(tx).await?;
        Ok(changed)
    }

    async fn mark_domain_verified(
        &self,
        admin: &Admin,
        id: &OrganizationDomainId,
    ) -> Result<OrganizationDomain, AppError> {
        // Only someone trusted with every organization vouches for a domain without a proof.
        admin.require_environment()?;
        let found = self.reachable_domain(admin, id).await?;
        if found.state == DomainState::Verified {
            return Ok(found);
        }
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Organizations, found.organization_id.as_str()).await?;
        if db::domain_verified_elsewhere(&mut tx, &found.domain, &found.organization_id).await? {
            return Err(AppError::conflict(
                Conflict::DomainAlreadyClaimed,
                format!("Another organization has verified {}.", found.domain),
            ));
        }
        db::set_domain_verified_manually(&mut tx, id, now_ms()).await?;
        let changed = db::find_domain(&mut tx, id).await?.ok_or_else(|| AppError::not_found("Organization domain"))?;
        record(&mut tx, "organization_domain.verified", Some(&changed.organization_id), &changed).await?;
        commit(tx).await?;
        Ok(changed)
    }

    async fn delete_domain(&self, admin: &Admin, id: &OrganizationDomainId) -> Result<(), AppError> {
        let found = self.reachable_domain(admin, id).await?;
        let mut tx = self.store.begin().await?;
        db::delete_domain(&mut tx, id).await?;
        record(&mut tx, "organization_domain.deleted", Some(&found.organization_id), &found).await?;
        commit(tx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::model::{DomainState, DomainVerificationStrategy};

    #[tokio::test]
    async fn only_environment_grants_mark_a_domain_verified_and_it_is_recorded() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let claimed = fx.core.create_domain(&fx.system(), &acme.id, "acme.example").await.unwrap();
        let owner = fx.owner_of(&acme).await;
        assert!(matches!(
            fx.core.mark_domain_verified(&owner, &claimed.id).await,
            Err(app::error::AppError::Forbidden(_))
        ));
        assert!(fx.core.mark_domain_verified(&fx.key_of(&acme), &claimed.id).await.is_err());
        let verified = fx.core.mark_domain_verified(&fx.system(), &claimed.id).await.unwrap();
        assert_eq!(
            (verified.state, verified.verification_strategy),
            (DomainState::Verified, DomainVerificationStrategy::Manual)
        );
        assert!(fx.events().await.contains(&"organization_domain.verified".to_owned()));
        // Marking it again changes nothing.
        assert_eq!(fx.core.mark_domain_verified(&fx.system(), &claimed.id).await.unwrap(), verified);
    }

    #[tokio::test]
    async fn a_domain_verified_elsewhere_cannot_be_marked_verified() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let mine = fx.core.create_domain(&fx.system(), &acme.id, "shared.example").await.unwrap();
        let theirs = fx.core.create_domain(&fx.system(), &globex.id, "shared.example").await.unwrap();
        fx.core.mark_domain_verified(&fx.system(), &theirs.id).await.unwrap();
        let refused = fx.core.mark_domain_verified(&fx.system(), &mine.id).await.unwrap_err();
        assert_eq!(refused.status_code(), 409);
    }
}
