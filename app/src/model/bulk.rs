//! Bulk actions on the users table: which members, what to do to them, and the report of
//! what was done to each and what was refused, and why.

use super::*;

/// The most members one bulk action takes; a larger selection is refused as a whole, before
/// anything is changed, with a message that says so.
pub const MAX_BULK_ROWS: usize = 1000;

/// What to do to every selected member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BulkAction {
    /// Give each member this one role (a slug).
    SetRole {
        role: String,
    },
    Deactivate,
    Reactivate,
    /// Remove each member from the organization.
    Remove,
    /// Send each pending member's open invitation again, with a new link and expiry.
    ResendInvitation,
}

impl BulkAction {
    /// What the action does, as a heading for its report.
    pub fn label(&self) -> String {
        match self {
            Self::SetRole { role } => format!("Change role to {role}"),
            Self::Deactivate => "Deactivate".into(),
            Self::Reactivate => "Reactivate".into(),
            Self::Remove => "Remove".into(),
            Self::ResendInvitation => "Resend invitation".into(),
        }
    }
}

/// Which members a bulk action takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BulkSelection {
    /// These memberships, as ticked in the table. Each is checked against the grant.
    Rows(Vec<MembershipId>),
    /// Every member of the organization the filter matches, on every page, resolved on the
    /// server when the action runs.
    Matching(MemberFilter),
}

/// How one row of a bulk action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    /// The change was made.
    Done,
    /// The member was already as asked; nothing needed doing.
    Unchanged,
    /// The change was refused; the row's message says why.
    Refused,
}

impl BulkOutcome {
    /// The word shown for the outcome.
    pub fn label(self) -> &'static str {
        match self {
            Self::Done => "Done",
            Self::Unchanged => "Unchanged",
            Self::Refused => "Refused",
        }
    }

    /// The wire name, also used as a CSS class suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Unchanged => "unchanged",
            Self::Refused => "refused",
        }
    }
}

/// What a bulk action did to one selected row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRow {
    /// The membership asked for, as it was asked for.
    pub membership_id: String,
    /// Who the row is; the membership ID itself when the caller may not see who it is.
    pub name: String,
    pub outcome: BulkOutcome,
    /// A sentence: what was done, or why it was refused.
    pub message: String,
}

/// The report of one bulk action: every selected row, in the order they were taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReport {
    pub action: BulkAction,
    pub rows: Vec<BulkRow>,
}

impl BulkReport {
    /// How many rows ended with `outcome`.
    pub fn count(&self, outcome: BulkOutcome) -> usize {
        self.rows.iter().filter(|row| row.outcome == outcome).count()
    }

    /// One line that sums the report up, such as "3 done, 1 refused".
    pub fn summary(&self) -> String {
        let parts: Vec<String> = [BulkOutcome::Done, BulkOutcome::Unchanged, BulkOutcome::Refused]
            .into_iter()
            .map(|outcome| (outcome, self.count(outcome)))
            .filter(|(_, count)| *count > 0)
            .map(|(outcome, count)| format!("{count} {}", outcome.label().to_lowercase()))
            .collect();
        if parts.is_empty() { "Nothing to do".into() } else { parts.join(", ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(outcome: BulkOutcome) -> BulkRow {
        BulkRow { membership_id: "om_1".into(), name: "Ada".into(), outcome, message: String::new() }
    }

    #[test]
    fn the_summary_counts_each_outcome_that_occurs() {
        let report = BulkReport {
            action: BulkAction::Remove,
            rows: vec![row(BulkOutcome::Done), row(BulkOutcome::Refused), row(BulkOutcome::Done)],
        };
        assert_eq!(report.summary(), "2 done, 1 refused");
        assert_eq!(BulkReport { action: BulkAction::Remove, rows: vec![] }.summary(), "Nothing to do");
    }

    #[test]
    fn actions_travel_as_tagged_json() {
        let action = BulkAction::SetRole { role: "admin".into() };
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json, serde_json::json!({ "kind": "set_role", "role": "admin" }));
        assert_eq!(serde_json::from_value::<BulkAction>(json).unwrap(), action);
    }
}
