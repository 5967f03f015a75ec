//! Bulk actions on the users table.
//!
//! A bulk action is the member calls of [`Memberships`] and [`Invitations`] applied row by row,
//! each under its own rules and in its own transaction, so a bulk action can do nothing that
//! the row's own buttons could not. What this file adds: resolving the selection (ticked rows,
//! or everything a filter matches, read on the server), the cap, and the report that says
//! for each row what was done or why it was refused.

use super::Core;
use crate::store::directory as db;
use crate::store::{commit, now_ms};
use app::directory::{Actor, Admin, BulkActions, InvitationQuery, Invitations, Memberships, Roles, Users};
use app::error::AppError;
use app::ids::{BulkReportId, MembershipId, OrganizationId};
use app::model::*;
use async_trait::async_trait;

/// How long a kept report can be read back.
const REPORT_LIFETIME_MS: i64 = 3_600_000;

/// A selected row, once resolved: the member, or the ID asked for when the grant does not
/// show who it is.
enum Target {
    Member(Box<Member>),
    Unknown(String),
}

impl Core {
    /// Every member of the organization the filter matches, walking its pages on the server;
    /// refused as a whole when there are more than [`MAX_BULK_ROWS`].
    async fn matching_members(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        filter: MemberFilter,
    ) -> Result<Vec<Member>, AppError> {
        let mut members = Vec::new();
        let mut after = None;
        loop {
            let page = Page { limit: Page::MAX_LIMIT, after, ..Page::default() };
            let list = self.list_members(admin, organization, filter.clone(), page).await?;
            members.extend(list.data);
            if members.len() > MAX_BULK_ROWS {
                return Err(too_many("selection"));
            }
            match list.list_metadata.after {
                Some(cursor) => after = Some(cursor),
                None => return Ok(members),
            }
        }
    }

    /// The ticked rows, each read through the grant. A row out of reach, gone, or of another
    /// organization is kept as its ID, to be refused in the report.
    async fn selected_members(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        ids: Vec<MembershipId>,
    ) -> Result<Vec<Target>, AppError> {
        let mut unique: Vec<MembershipId> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(&id) {
                unique.push(id);
            }
        }
        if unique.is_empty() {
            return Err(AppError::invalid("membership_ids", "selection_empty", "Select at least one member."));
        }
        if unique.len() > MAX_BULK_ROWS {
            return Err(too_many("membership_ids"));
        }
        let mut memberships = Vec::with_capacity(unique.len());
        for id in unique {
            match self.get_membership(admin, &id).await {
                Ok(membership) if &membership.organization_id == organization => memberships.push(Ok(membership)),
                Ok(_) | Err(AppError::NotFound(_)) => memberships.push(Err(id.to_string())),
                Err(error) => return Err(error),
            }
        }
        let user_ids: Vec<_> = memberships.iter().flatten().map(|m| m.user_id.clone()).collect();
        let users = self.users_by_id(admin, &user_ids).await?;
        Ok(memberships
            .into_iter()
            .map(|found| match found {
                Ok(membership) => match users.iter().find(|user| user.id == membership.user_id) {
                    Some(user) => Target::Member(Box::new(Member { user: user.clone(), membership })),
                    None => Target::Unknown(membership.id.to_string()),
                },
                Err(id) => Target::Unknown(id),
            })
            .collect())
    }

    /// Applies the action to one member and says how it went.
    async fn apply(&self, admin: &Admin, member: &Member, action: &BulkAction, role_name: &str) -> BulkRow {
        let Member { user, membership } = member;
        let name = user.display_name();
        let row = |outcome, message: String| BulkRow {
            membership_id: membership.id.to_string(),
            name: name.clone(),
            outcome,
            message,
        };
        // Acting on yourself in bulk would end the very grant the rest of the rows run under.
        if matches!(admin.actor(), Actor::User(me) if *me == user.id) {
            return row(
                BulkOutcome::Refused,
                "You can't include yourself in a bulk action; change your own membership from its row.".into(),
            );
        }
        let id = &membership.id;
        let result = match action {
            BulkAction::SetRole { role } => self.set_membership_roles(admin, id, vec![role.clone()]).await.map(|_| {
                if membership.roles.len() == 1 && membership.has_role(role) {
                    (BulkOutcome::Unchanged, format!("Already had the {role_name} role."))
                } else {
                    (BulkOutcome::Done, format!("Now has the {role_name} role."))
                }
            }),
            BulkAction::Deactivate => self.deactivate_membership(admin, id).await.map(|_| {
                if membership.status == MembershipStatus::Inactive {
                    (BulkOutcome::Unchanged, "Was already deactivated.".into())
                } else {
                    (BulkOutcome::Done, "Deactivated.".into())
                }
            }),
            BulkAction::Reactivate => self.reactivate_membership(admin, id).await.map(|_| {
                if membership.status == MembershipStatus::Active {
                    (BulkOutcome::Unchanged, "Was already active.".into())
                } else {
                    (BulkOutcome::Done, "Reactivated.".into())
                }
            }),
            BulkAction::Remove => self
                .delete_membership(admin, id)
                .await
                .map(|()| (BulkOutcome::Done, format!("Removed from {}.", membership.organization_name))),
            BulkAction::ResendInvitation => self.resend_for(admin, member).await,
        };
        match result {
            Ok((outcome, message)) => row(outcome, message),
            Err(AppError::NotFound(_)) => {
                row(BulkOutcome::Refused, "Is no longer a member of this organization.".into())
            }
            Err(error) => row(BulkOutcome::Refused, error.to_string()),
        }
    }

    /// Resends a pending member's open invitation: the newest one for their email in the
    /// organization, pending or expired.
    async fn resend_for(&self, admin: &Admin, member: &Member) -> Result<(BulkOutcome, String), AppError> {
        let Member { user, membership } = member;
        if membership.status != MembershipStatus::Pending {
            return Err(AppError::conflict(
                app::error::Conflict::InvitationNotPending,
                "Has already joined, so there is no invitation to resend.",
            ));
        }
        let query = InvitationQuery {
            organization_id: Some(membership.organization_id.clone()),
            email: Some(user.email.clone()),
            page: Page { limit: Page::MAX_LIMIT, ..Page::default() },
        };
        let open = self
            .list_invitations(admin, query)
            .await?
            .data
            .into_iter()
            .find(|invitation| matches!(invitation.state, InvitationState::Pending | InvitationState::Expired));
        let Some(invitation) = open else {
            return Err(AppError::conflict(
                app::error::Conflict::InvitationNotPending,
                "Has no open invitation; invite them again from the Invitations page.",
            ));
        };
        let resent = self.resend_invitation(admin, &invitation.id).await?;
        Ok((
            BulkOutcome::Done,
            format!(
                "Invitation sent again to {}; it expires {}.",
                resent.email,
                app::format::date_time(&resent.expires_at)
            ),
        ))
    }
}

/// The refusal of a selection over the cap.
fn too_many(field: &str) -> AppError {
    AppError::invalid(
        field,
        "selection_too_large",
        format!(
            "A bulk action takes at most {MAX_BULK_ROWS} members, and this selection has more. Narrow the search \
             (a role, a status or a few more letters) and apply it to each part."
        ),
    )
}

#[async_trait]
impl BulkActions for Core {
    async fn bulk_members(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        selection: BulkSelection,
        action: BulkAction,
    ) -> Result<BulkReport, AppError> {
        admin.require_reach(organization, "Organization")?;
        let mut role_name = String::new();
        let action = match action {
            BulkAction::SetRole { role } => {
                let role = role.trim().to_owned();
                if role.is_empty() {
                    return Err(AppError::invalid("role", "role_required", "Choose a role."));
                }
                let known = self.list_roles(admin, Some(organization)).await?;
                let Some(found) = known.iter().find(|known| known.slug == role) else {
                    return Err(AppError::invalid("role", "role_not_found", format!("There is no role {role:?}.")));
                };
                role_name = found.name.clone();
                BulkAction::SetRole { role }
            }
            other => other,
        };
        let targets = match selection {
            BulkSelection::Rows(ids) => self.selected_members(admin, organization, ids).await?,
            BulkSelection::Matching(filter) => self
                .matching_members(admin, organization, filter)
                .await?
                .into_iter()
                .map(|member| Target::Member(Box::new(member)))
                .collect(),
        };
        let mut rows = Vec::with_capacity(targets.len());
        for target in targets {
            rows.push(match target {
                Target::Member(member) => self.apply(admin, &member, &action, &role_name).await,
                Target::Unknown(id) => BulkRow {
                    name: id.clone(),
                    membership_id: id,
                    outcome: BulkOutcome::Refused,
                    message: "Not found in this organization.".into(),
                },
            });
        }
        Ok(BulkReport { action, rows })
    }

    async fn keep_bulk_report(
        &self,
        admin: &Admin,
        organization: &OrganizationId,
        report: &BulkReport,
    ) -> Result<BulkReportId, AppError> {
        admin.require_reach(organization, "Organization")?;
        let data = serde_json::to_string(report).map_err(|error| {
            tracing::error!(%error, "a bulk report did not serialize");
            AppError::Internal
        })?;
        let id = BulkReportId::generate();
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        db::insert_bulk_report(&mut tx, &id, organization, &data, now, now - REPORT_LIFETIME_MS).await?;
        commit(tx).await?;
        Ok(id)
    }

    async fn bulk_report(&self, admin: &Admin, id: &BulkReportId) -> Result<BulkReport, AppError> {
        let mut conn = self.store.read().await?;
        let row = db::find_bulk_report(&mut conn, id).await?.ok_or_else(|| AppError::not_found("Report"))?;
        admin.require_reach(&OrganizationId::from_trusted(row.organization_id), "Report")?;
        if row.created_at < now_ms() - REPORT_LIFETIME_MS {
            return Err(AppError::not_found("Report"));
        }
        serde_json::from_str(&row.data).map_err(|error| {
            tracing::error!(%error, "a kept bulk report did not deserialize");
            AppError::Internal
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::Fixture;
    use app::directory::*;
    use app::model::*;

    fn outcomes(report: &BulkReport) -> Vec<(String, BulkOutcome)> {
        report.rows.iter().map(|row| (row.name.clone(), row.outcome)).collect()
    }

    #[tokio::test]
    async fn each_row_runs_under_its_own_rules_and_is_reported() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (_, owner) = fx.member(&acme, "olga@acme.test", roles::OWNER).await;
        let (_, ada) = fx.member(&acme, "ada@acme.test", roles::MEMBER).await;
        let (_, bob) = fx.member(&acme, "bob@acme.test", roles::MEMBER).await;
        fx.core.deactivate_membership(&fx.system(), &bob.id).await.unwrap();
        let selection = BulkSelection::Rows(vec![owner.id.clone(), ada.id.clone(), bob.id.clone(), ada.id.clone()]);
        let report = fx.core.bulk_members(&fx.system(), &acme.id, selection, BulkAction::Deactivate).await.unwrap();
        assert_eq!(
            outcomes(&report),
            [
                ("olga@acme.test".into(), BulkOutcome::Refused),
                ("ada@acme.test".into(), BulkOutcome::Done),
                ("bob@acme.test".into(), BulkOutcome::Unchanged),
            ]
        );
        assert!(report.rows[0].message.contains("last owner"), "{}", report.rows[0].message);
        let ada = fx.core.get_membership(&fx.system(), &ada.id).await.unwrap();
        assert_eq!(ada.status, MembershipStatus::Inactive);
    }

    #[tokio::test]
    async fn an_empty_or_oversized_selection_is_a_field_error() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let empty = fx.core.bulk_members(&fx.system(), &acme.id, BulkSelection::Rows(vec![]), BulkAction::Remove).await;
        assert!(empty.unwrap_err().field_message("membership_ids").is_some());
        let many = (0..=MAX_BULK_ROWS).map(|_| app::ids::MembershipId::generate()).collect();
        let over = fx.core.bulk_members(&fx.system(), &acme.id, BulkSelection::Rows(many), BulkAction::Remove).await;
        assert!(over.unwrap_err().field_message("membership_ids").is_some());
        let unknown_role = BulkAction::SetRole { role: "wizard".into() };
        let error = fx
            .core
            .bulk_members(&fx.system(), &acme.id, BulkSelection::Matching(MemberFilter::default()), unknown_role)
            .await
            .unwrap_err();
        assert!(error.field_message("role").is_some());
    }

    #[tokio::test]
    async fn everything_matching_a_huge_search_is_refused_before_anything_changes() {
        let fx = Fixture::new().await;
        let seeded = crate::seed::seed_bulk(&fx.core, 2_200, 2, |_| {}).await.unwrap();
        let (largest, size) = seeded.organizations[0].clone();
        assert!(size > MAX_BULK_ROWS, "{size}");
        let inactive = || async {
            let filter = MemberFilter { status: Some(MembershipStatus::Inactive), ..Default::default() };
            let page = Page { limit: Page::MAX_LIMIT, ..Page::default() };
            fx.core.list_members(&fx.system(), &largest, filter, page).await.unwrap().data.len()
        };
        let before = inactive().await;
        let everyone = BulkSelection::Matching(MemberFilter::default());
        let error = fx.core.bulk_members(&fx.system(), &largest, everyone, BulkAction::Deactivate).await.unwrap_err();
        let message = error.field_message("selection").expect("a refusal naming the selection");
        assert!(message.contains("at most 1000 members"), "{message}");
        assert_eq!(inactive().await, before, "nothing was deactivated");
    }

    #[tokio::test]
    async fn kept_reports_are_read_back_only_within_their_organization() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let report = BulkReport { action: BulkAction::Remove, rows: vec![] };
        let id = fx.core.keep_bulk_report(&fx.admin_of(&acme).await, &acme.id, &report).await.unwrap();
        assert_eq!(fx.core.bulk_report(&fx.admin_of(&acme).await, &id).await.unwrap(), report);
        let foreign = fx.core.bulk_report(&fx.admin_of(&globex).await, &id).await;
        assert!(matches!(foreign, Err(app::error::AppError::NotFound(_))));
        assert!(fx.core.keep_bulk_report(&fx.admin_of(&globex).await, &acme.id, &report).await.is_err());
    }
}
