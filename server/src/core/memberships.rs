//! Memberships: who belongs to which organization, with which roles.
//!
//! The rules: an organization always keeps an active owner; pending memberships are neither
//! deactivated nor reactivated; deactivation keeps the roles for a later reactivation.

use super::events::{Change, record_change};
use super::{Core, record};
use crate::store::directory::{self as db, Lockable};
use crate::store::{Connection, commit, now_ms};
use app::directory::{Admin, MembershipQuery, Memberships, NewMembership, Visible};
use app::error::{AppError, Conflict};
use app::ids::{MembershipId, OrganizationId};
use app::model::*;
use async_trait::async_trait;

impl Core {
    /// Fails when the change would leave the membership's organization without an active owner.
    pub(crate) async fn ensure_keeps_an_owner(
        conn: &mut Connection,
        membership: &OrganizationMembership,
        change: &str,
    ) -> Result<(), AppError> {
        let is_active_owner = membership.status == MembershipStatus::Active && membership.has_role(roles::OWNER);
        if !is_active_owner {
            return Ok(());
        }
        // Counting owners means nothing unless no one else can change them meanwhile.
        db::lock_row(conn, Lockable::Organizations, membership.organization_id.as_str()).await?;
        if db::count_active_owners(conn, &membership.organization_id).await? <= 1 {
            return Err(AppError::conflict(
                Conflict::LastOwner,
                format!(
                    "You can't {change} the last owner of {}. Make someone else an owner first.",
                    membership.organization_name
                ),
            ));
        }
        Ok(())
    }

    /// Locks the membership's organization and reads the membership, if the grant reaches it.
    async fn lock_membership(
        conn: &mut Connection,
        admin: &Admin,
        id: &MembershipId,
    ) -> Result<OrganizationMembership, AppError> {
        let found = db::find_membership(conn, id).await?.ok_or_else(|| AppError::not_found("Membership"))?;
        admin.require_reach(&found.organization_id, "Membership")?;
        db::lock_row(conn, Lockable::Organizations, found.organization_id.as_str()).await?;
        // Re-read under the lock: another writer may have changed it in between.
        let membership = db::find_membership(conn, id).await?.ok_or_else(|| AppError::not_found("Membership"))?;
        // An owner's membership is changed only by those who may make owners.
        if membership.has_role(roles::OWNER) {
            admin.require_owner_rights()?;
        }
        Ok(membership)
    }

    /// Makes an inactive or pending membership active again, with `roles` when some are given
    /// and with the roles it had otherwise; shared by re-adding a member and by accepting an
    /// invitation.
    pub(crate) async fn restore_membership(
        conn: &mut Connection,
        existing: &OrganizationMembership,
        roles: &[String],
    ) -> Result<OrganizationMembership, AppError> {
        let now = now_ms();
        db::set_membership_status(conn, &existing.id, MembershipStatus::Active, now).await?;
        if !roles.is_empty() {
            db::replace_roles(conn, &existing.id, roles, now).await?;
        }
        let restored = db::find_membership(conn, &existing.id).await?.ok_or(AppError::Internal)?;
        record(conn, "organization_membership.updated", Some(&restored.organization_id), &restored).await?;
        Ok(restored)
    }

    /// Adds a membership inside a transaction; shared by `create_membership` and seeding.
    pub(crate) async fn insert_membership(
        conn: &mut Connection,
        membership: NewMembership,
    ) -> Result<OrganizationMembership, AppError> {
        let organization = &membership.organization_id;
        if !db::lock_row(conn, Lockable::Organizations, organization.as_str()).await? {
            return Err(AppError::invalid(
                "organization_id",
                "organization_not_found",
                "There is no such organization.",
            ));
        }
        if db::find_user(conn, &membership.user_id).await?.is_none() {
            return Err(AppError::invalid("user_id", "user_not_found", "There is no such user."));
        }
        let asked_for_roles = membership.role_slugs.iter().any(|slug| !slug.trim().is_empty());
        let roles = Self::checked_roles(conn, "role_slugs", organization, membership.role_slugs).await?;
        if let Some(existing) = db::find_membership_of(conn, organization, &membership.user_id).await? {
            // Re-adding a deactivated member reactivates them, as WorkOS does.
            if existing.status == MembershipStatus::Inactive {
                let roles = if asked_for_roles { roles.as_slice() } else { &[] };
                return Self::restore_membership(conn, &existing, roles).await;
            }
            return Err(AppError::conflict(
                Conflict::MembershipAlreadyExists,
                "This user is already a member of the organization.",
            ));
        }
        let id = MembershipId::generate();
        db::insert_membership(conn, &id, organization, &membership.user_id, membership.status, &roles, now_ms())
            .await
            .map_err(|error| {
                error.duplicate_as(|| {
                    AppError::conflict(
                        Conflict::MembershipAlreadyExists,
                        "This user is already a member of the organization.",
                    )
                })
            })?;
        let created = db::find_membership(conn, &id).await?.ok_or(AppError::Internal)?;
        record(conn, "organization_membership.created", Some(organization), &created).await?;
        Ok(created)
    }

    async fn change_status(
        &self,
        admin: &Admin,
        id: &MembershipId,
        to: MembershipStatus,
    ) -> Result<OrganizationMembership, AppError> {
        let mut tx = self.store.begin().await?;
        let membership = Self::lock_membership(&mut tx, admin, id).await?;
        if membership.status == MembershipStatus::Pending {
            return Err(AppError::conflict(
                Conflict::MembershipPending,
                "This person has not joined yet; revoke their invitation instead.",
            ));
        }
        if membership.status == to {
            return Ok(membership);
        }
        if to == MembershipStatus::Inactive {
            Self::ensure_keeps_an_owner(&mut tx, &membership, "deactivate").await?;
        }
        db::set_membership_status(&mut tx, id, to, now_ms()).await?;
        let updated = db::find_membership(&mut tx, id).await?.ok_or(AppError::Internal)?;
        let change = Change::by(admin).before(&membership);
        record_change(&mut tx, change, "organization_membership.updated", Some(&updated.organization_id), &updated)
            .await?;
        commit(tx).await?;
        Ok(updated)
    }
}

#[async_trait]
impl Memberships for Core {
    async fn create_membership(
        &self,
        admin: &Admin,
        membership: NewMembership,
    ) -> Result<OrganizationMembership, AppError> {
        admin.require_reach(&membership.organization_id, "Organization")?;
        if membership.role_slugs.iter().any(|slug| slug.trim() == roles::OWNER) {
            admin.require_owner_rights()?;
        }
        let mut tx = self.store.begin().await?;
        // An organization's grant adds only people it already sees; anyone else joins by
        // accepting an invitation themselves, so no tenant can pull in another's user.
        // (Someone who does not exist is out of sight too, and gets the same answer.)
        if !admin.sees_user(&Self::standing_for(&mut tx, admin, &membership.user_id).await?) {
            return Err(AppError::invalid("user_id", "user_not_found", "There is no such user."));
        }
        let created = Self::insert_membership(&mut tx, membership).await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn get_membership(&self, admin: &Admin, id: &MembershipId) -> Result<OrganizationMembership, AppError> {
        let mut conn = self.store.read().await?;
        let membership = db::find_membership(&mut conn, id).await?.ok_or_else(|| AppError::not_found("Membership"))?;
        admin.require_reach(&membership.organization_id, "Membership")?;
        Ok(membership)
    }

    async fn list_memberships(
        &self,
        admin: &Admin,
        query: MembershipQuery,
    ) -> Result<List<OrganizationMembership>, AppError> {
        let visible = admin.visible(query.organization_id);
        if visible == Visible::Nothing {
            return Ok(List::default());
        }
        let page = query.page.checked()?;
        let mut conn = self.store.read().await?;
        Ok(db::list_memberships(&mut conn, visible.organization(), query.user_id.as_ref(), &query.statuses, &page)
            .await?)
    }

    async fn list_members(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        filter: MemberFilter,
        page: Page,
    ) -> Result<List<Member>, AppError> {
        admin.require_reach(organization, "Organization")?;
        let page = page.checked()?;
        let search_chars = filter.search.as_deref().map(|s| s.trim().chars().count()).unwrap_or(0);
        if filter.search_match == SearchMatch::Contains && (1..3).contains(&search_chars) {
            return Err(AppError::invalid(
                "search",
                "search_too_short",
                "Type at least three characters to search within names and emails.",
            ));
        }
        let mut conn = self.store.read().await?;
        Ok(db::list_members(&mut conn, self.store.backend(), organization, &filter, &page).await?)
    }

    async fn set_membership_roles(
        &self,
        admin: &Admin,
        id: &MembershipId,
        role_slugs: Vec<String>,
    ) -> Result<OrganizationMembership, AppError> {
        let mut tx = self.store.begin().await?;
        let membership = Self::lock_membership(&mut tx, admin, id).await?;
        let roles = Self::checked_roles(&mut tx, "role_slugs", &membership.organization_id, role_slugs).await?;
        if roles.iter().any(|slug| slug == roles::OWNER) {
            admin.require_owner_rights()?;
        } else {
            Self::ensure_keeps_an_owner(&mut tx, &membership, "demote").await?;
        }
        db::replace_roles(&mut tx, id, &roles, now_ms()).await?;
        let updated = db::find_membership(&mut tx, id).await?.ok_or(AppError::Internal)?;
        let change = Change::by(admin).before(&membership);
        record_change(&mut tx, change, "organization_membership.updated", Some(&updated.organization_id), &updated)
            .await?;
        commit(tx).await?;
        Ok(updated)
    }

    async fn deactivate_membership(
        &self,
        admin: &Admin,
        id: &MembershipId,
    ) -> Result<OrganizationMembership, AppError> {
        self.change_status(admin, id, MembershipStatus::Inactive).await
    }

    async fn reactivate_membership(
        &self,
        admin: &Admin,
        id: &MembershipId,
    ) -> Result<OrganizationMembership, AppError> {
        self.change_status(admin, id, MembershipStatus::Active).await
    }

    async fn delete_membership(&self, admin: &Admin, id: &MembershipId) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        let membership = Self::lock_membership(&mut tx, admin, id).await?;
        Self::ensure_keeps_an_owner(&mut tx, &membership, "remove").await?;
        db::delete_membership(&mut tx, id).await?;
        let organization = Some(&membership.organization_id);
        record_change(&mut tx, Change::by(admin), "organization_membership.deleted", organization, &membership).await?;
        commit(tx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::error::{AppError, Conflict};
    use app::model::*;

    fn is_last_owner(result: Result<impl std::fmt::Debug, AppError>) -> bool {
        matches!(result, Err(AppError::Conflict { code: Conflict::LastOwner, .. }))
    }

    #[tokio::test]
    async fn the_last_owner_cannot_be_removed_demoted_or_deactivated() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (_, owner) = fx.member(&acme, "olga@acme.test", roles::OWNER).await;
        let admin = fx.system();
        assert!(is_last_owner(fx.core.delete_membership(&admin, &owner.id).await));
        assert!(is_last_owner(fx.core.set_membership_roles(&admin, &owner.id, vec!["member".into()]).await));
        assert!(is_last_owner(fx.core.deactivate_membership(&admin, &owner.id).await));
        let unchanged = fx.core.get_membership(&admin, &owner.id).await.unwrap();
        assert_eq!(unchanged.status, MembershipStatus::Active);
        assert!(unchanged.has_role(roles::OWNER));
    }

    #[tokio::test]
    async fn an_owner_can_be_demoted_when_another_owner_remains() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (_, first) = fx.member(&acme, "olga@acme.test", roles::OWNER).await;
        fx.member(&acme, "otto@acme.test", roles::OWNER).await;
        let demoted = fx.core.set_membership_roles(&fx.system(), &first.id, vec!["admin".into()]).await.unwrap();
        assert_eq!(demoted.role.slug, "admin");
    }

    #[tokio::test]
    async fn a_deactivated_owner_does_not_count_as_the_remaining_owner() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (_, first) = fx.member(&acme, "olga@acme.test", roles::OWNER).await;
        let (_, second) = fx.member(&acme, "otto@acme.test", roles::OWNER).await;
        fx.core.deactivate_membership(&fx.system(), &second.id).await.unwrap();
        assert!(is_last_owner(fx.core.delete_membership(&fx.system(), &first.id).await));
    }

    #[tokio::test]
    async fn pending_memberships_cannot_be_deactivated_or_reactivated() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let user = fx.user("pat@acme.test").await;
        let pending = fx
            .core
            .create_membership(
                &fx.system(),
                NewMembership {
                    organization_id: acme.id.clone(),
                    user_id: user.id,
                    role_slugs: vec![],
                    status: MembershipStatus::Pending,
                },
            )
            .await
            .unwrap();
        for result in [
            fx.core.deactivate_membership(&fx.system(), &pending.id).await,
            fx.core.reactivate_membership(&fx.system(), &pending.id).await,
        ] {
            assert!(matches!(result, Err(AppError::Conflict { code: Conflict::MembershipPending, .. })));
        }
    }

    #[tokio::test]
    async fn reactivation_restores_the_roles() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        fx.member(&acme, "olga@acme.test", roles::OWNER).await;
        let (_, member) = fx.member(&acme, "ada@acme.test", roles::ADMIN).await;
        let admin = fx.system();
        fx.core.set_membership_roles(&admin, &member.id, vec!["admin".into(), "member".into()]).await.unwrap();
        let inactive = fx.core.deactivate_membership(&admin, &member.id).await.unwrap();
        assert_eq!(inactive.status, MembershipStatus::Inactive);
        let active = fx.core.reactivate_membership(&admin, &member.id).await.unwrap();
        assert_eq!(active.status, MembershipStatus::Active);
        assert_eq!(active.roles, vec![RoleRef { slug: "admin".into() }, RoleRef { slug: "member".into() }]);
        let events = fx.events().await;
        assert_eq!(events.iter().filter(|e| *e == "organization_membership.updated").count(), 3);
    }

    #[tokio::test]
    async fn unknown_roles_are_a_field_error() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (_, member) = fx.member(&acme, "ada@acme.test", roles::MEMBER).await;
        let error = fx.core.set_membership_roles(&fx.system(), &member.id, vec!["wizard".into()]).await.unwrap_err();
        assert!(error.field_message("role_slugs").is_some());
    }

    #[tokio::test]
    async fn admins_cannot_touch_another_organizations_memberships() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        fx.member(&globex, "gina@globex.test", roles::OWNER).await;
        let (_, theirs) = fx.member(&globex, "hank@globex.test", roles::MEMBER).await;
        let admin = fx.admin_of(&acme).await;
        assert!(matches!(fx.core.get_membership(&admin, &theirs.id).await, Err(AppError::NotFound(_))));
        assert!(matches!(fx.core.deactivate_membership(&admin, &theirs.id).await, Err(AppError::NotFound(_))));
        assert!(matches!(fx.core.delete_membership(&admin, &theirs.id).await, Err(AppError::NotFound(_))));
        assert!(matches!(
            fx.core.set_membership_roles(&admin, &theirs.id, vec!["admin".into()]).await,
            Err(AppError::NotFound(_))
        ));
        assert!(fx.core.list_members(&admin, &globex.id, MemberFilter::default(), Page::default()).await.is_err());
        let still = fx.core.get_membership(&fx.system(), &theirs.id).await.unwrap();
        assert_eq!(still.status, MembershipStatus::Active);
    }

    #[tokio::test]
    async fn members_are_searched_by_prefix_and_paged_by_cursor() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        for name in ["alice", "alina", "bob", "carol", "dave"] {
            fx.member(&acme, &format!("{name}@acme.test"), roles::MEMBER).await;
        }
        let admin = fx.system();
        let search = MemberFilter { search: Some("ALI".into()), ..Default::default() };
        let found = fx.core.list_members(&admin, &acme.id, search, Page::default()).await.unwrap();
        assert_eq!(found.data.len(), 2);

        let first = fx
            .core
            .list_members(&admin, &acme.id, MemberFilter::default(), Page { limit: 2, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(first.data[0].user.email, "dave@acme.test");
        let second = fx
            .core
            .list_members(
                &admin,
                &acme.id,
                MemberFilter::default(),
                Page { limit: 2, after: first.list_metadata.after.clone(), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(
            second.data.iter().map(|m| m.user.email.as_str()).collect::<Vec<_>>(),
            ["bob@acme.test", "alina@acme.test"]
        );
        let back = fx
            .core
            .list_members(
                &admin,
                &acme.id,
                MemberFilter::default(),
                Page { limit: 2, before: second.list_metadata.before.clone(), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(back.data, first.data);
        assert_eq!(back.list_metadata.before, None);
    }

    async fn walk(fx: &Fixture, organization: &Organization, filter: MemberFilter, order: Order) -> Vec<String> {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = Page { limit: 2, after, before: None, order };
            let list = fx.core.list_members(&fx.system(), &organization.id, filter.clone(), page).await.unwrap();
            seen.extend(list.data.iter().map(|m| m.user.email.clone()));
            match list.list_metadata.after {
                Some(cursor) => after = Some(cursor),
                None => return seen,
            }
        }
    }

    #[tokio::test]
    async fn sorted_lists_page_through_ties_without_gaps_or_repeats() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        for name in ["gus", "ada", "fay", "bob", "eve", "cal", "dee"] {
            fx.member(&acme, &format!("{name}@acme.test"), roles::MEMBER).await;
        }
        for name in ["eve", "bob"] {
            let login = PasswordLogin {
                email: format!("{name}@acme.test"),
                password: "correct horse".into(),
                ip_address: None,
                user_agent: None,
            };
            fx.core.sign_in(login).await.unwrap();
        }
        let by_email = MemberFilter { sort: MemberSort::Email, ..Default::default() };
        let ascending = walk(&fx, &acme, by_email.clone(), Order::Asc).await;
        let mut expected: Vec<String> =
            ["ada", "bob", "cal", "dee", "eve", "fay", "gus"].iter().map(|n| format!("{n}@acme.test")).collect();
        assert_eq!(ascending, expected);
        expected.reverse();
        assert_eq!(walk(&fx, &acme, by_email, Order::Desc).await, expected);

        // Five members never signed in: they tie, and the membership ID breaks the tie.
        let by_sign_in = MemberFilter { sort: MemberSort::LastSignIn, ..Default::default() };
        let recent_first = walk(&fx, &acme, by_sign_in.clone(), Order::Desc).await;
        assert_eq!(&recent_first[..2], ["bob@acme.test", "eve@acme.test"]);
        assert_eq!(recent_first.len(), 7);
        let mut unique = recent_first.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 7, "no member seen twice: {recent_first:?}");
        let oldest_first = walk(&fx, &acme, by_sign_in, Order::Asc).await;
        assert_eq!(oldest_first.iter().rev().cloned().collect::<Vec<_>>(), recent_first);
    }

    #[tokio::test]
    async fn contains_search_finds_text_anywhere_in_names_and_emails() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        for email in ["ada.lovelace@acme.test", "grace.hopper@acme.test", "alan.turing@acme.test"] {
            fx.member(&acme, email, roles::MEMBER).await;
        }
        let contains = |text: &str| MemberFilter {
            search: Some(text.into()),
            search_match: SearchMatch::Contains,
            ..Default::default()
        };
        let found = fx.core.list_members(&fx.system(), &acme.id, contains("LACE"), Page::default()).await.unwrap();
        assert_eq!(found.data.iter().map(|m| m.user.email.as_str()).collect::<Vec<_>>(), ["ada.lovelace@acme.test"]);
        let prefix = MemberFilter { search: Some("lace".into()), ..Default::default() };
        assert!(fx.core.list_members(&fx.system(), &acme.id, prefix, Page::default()).await.unwrap().data.is_empty());
        let odd = fx.core.list_members(&fx.system(), &acme.id, contains("a\"%_'"), Page::default()).await.unwrap();
        assert!(odd.data.is_empty(), "quotes and wildcards are plain text");
        let short = fx.core.list_members(&fx.system(), &acme.id, contains("la"), Page::default()).await.unwrap_err();
        assert!(short.field_message("search").is_some());
    }

    fn is_forbidden<T: std::fmt::Debug>(result: Result<T, AppError>) -> bool {
        matches!(result, Err(AppError::Forbidden(_)))
    }

    #[tokio::test]
    async fn admins_can_neither_grant_nor_touch_the_owner_role() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (_, owner) = fx.member(&acme, "olga@acme.test", roles::OWNER).await;
        let (_, member) = fx.member(&acme, "ada@acme.test", roles::MEMBER).await;
        let admin = fx.admin_of(&acme).await;
        let own = fx
            .core
            .list_memberships(&admin, MembershipQuery { statuses: vec![], ..Default::default() })
            .await
            .unwrap()
            .data
            .into_iter()
            .find(|m| m.has_role(roles::ADMIN))
            .unwrap();
        assert!(is_forbidden(fx.core.set_membership_roles(&admin, &own.id, vec![roles::OWNER.into()]).await));
        assert!(is_forbidden(fx.core.set_membership_roles(&admin, &member.id, vec![roles::OWNER.into()]).await));
        assert!(is_forbidden(fx.core.set_membership_roles(&admin, &owner.id, vec![roles::MEMBER.into()]).await));
        assert!(is_forbidden(fx.core.deactivate_membership(&admin, &owner.id).await));
        assert!(is_forbidden(fx.core.delete_membership(&admin, &owner.id).await));
        let outsider = fx.user("newcomer@acme.test").await;
        let as_owner = NewMembership {
            organization_id: acme.id.clone(),
            user_id: outsider.id,
            role_slugs: vec![roles::OWNER.into()],
            status: MembershipStatus::Active,
        };
        assert!(is_forbidden(fx.core.create_membership(&admin, as_owner).await));
        // Admins still manage members and admins.
        fx.core.set_membership_roles(&admin, &member.id, vec![roles::ADMIN.into()]).await.unwrap();
        // Owners manage owners.
        let owner_grant = fx.owner_of(&acme).await;
        fx.core.set_membership_roles(&owner_grant, &member.id, vec![roles::OWNER.into()]).await.unwrap();
        fx.core.set_membership_roles(&owner_grant, &owner.id, vec![roles::MEMBER.into()]).await.unwrap();
    }

    #[tokio::test]
    async fn organization_grants_add_only_users_they_already_see() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (outsider, _) = fx.member(&globex, "hank@globex.test", roles::MEMBER).await;
        let loner = fx.user("loner@example.com").await;
        for user in [&outsider, &loner] {
            let pull_in = NewMembership {
                organization_id: acme.id.clone(),
                user_id: user.id.clone(),
                role_slugs: vec![],
                status: MembershipStatus::Active,
            };
            let error = fx.core.create_membership(&fx.key_of(&acme), pull_in.clone()).await.unwrap_err();
            assert!(error.field_message("user_id").is_some(), "{error:?}");
            fx.core.create_membership(&fx.system(), pull_in).await.unwrap();
        }
    }
}
