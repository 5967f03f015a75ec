//! The shapes only the dashboard uses: the signed-in viewer, the users table, the invitation
//! link's preview and the outbox. They are not part of the WorkOS wire contract.

use super::*;

/// A message in the outbox: an email Roster sends (invitations, codes and links), with how
/// its delivery went. Without SMTP configured, messages stay queued here for an admin to
/// forward.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    /// The text part.
    pub body: String,
    pub created_at: String,
    pub delivery: DeliveryState,
    /// Delivery attempts since the message was queued (or sent again).
    pub attempts: i64,
    pub last_attempt_at: Option<String>,
    /// When a queued message is tried next.
    pub next_attempt_at: Option<String>,
    /// Why the last attempt failed, as the mail server or the connection said.
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

/// Where a message's delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its (next) attempt.
    Queued,
    /// A sender is delivering it now.
    Sending,
    /// The mail server accepted it.
    Sent,
    /// Refused for good, or out of retries.
    Failed,
}

impl DeliveryState {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }

    /// Reads the stored spelling; anything unknown reads as queued.
    pub fn parse(raw: &str) -> Self {
        match raw {
            "sending" => DeliveryState::Sending,
            "sent" => DeliveryState::Sent,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Queued,
        }
    }
}

/// A page of the outbox, and whether email delivery (SMTP) is configured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OutboxList {
    /// Messages are delivered by SMTP; otherwise the outbox is where admins read them.
    pub email_delivery: bool,
    pub messages: List<OutboxMessage>,
}

/// What the holder of an invitation link sees before accepting it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub email: String,
    /// The organization to join; `None` for an invitation to sign up.
    pub organization_name: Option<String>,
    pub role_name: Option<String>,
    pub state: InvitationState,
    pub expires_at: String,
    /// Whether the invited email already has an account, which then signs in to accept.
    pub has_account: bool,
}

/// A member of an organization as the users table shows them: the user and their membership.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub user: User,
    pub membership: OrganizationMembership,
}

/// The filters and order of the users table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberFilter {
    /// Case-insensitive text to look for in the email, the full name or the last name.
    pub search: Option<String>,
    /// How `search` matches.
    pub search_match: SearchMatch,
    pub role: Option<String>,
    pub status: Option<MembershipStatus>,
    /// What the list is ordered by; the direction is the page's `order`.
    pub sort: MemberSort,
}

/// How a search matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMatch {
    /// The email, full name or last name starts with the text.
    #[default]
    Prefix,
    /// The email or full name contains the text (three characters or more).
    Contains,
}

/// What the users table is ordered by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberSort {
    /// When the membership was created.
    #[default]
    Created,
    Email,
    /// The user's last sign-in; never signed in counts as earliest.
    LastSignIn,
}

impl MemberSort {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Email => "email",
            Self::LastSignIn => "last_sign_in",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Created, Self::Email, Self::LastSignIn].into_iter().find(|sort| sort.as_str() == raw)
    }
}

/// A short reference to an organization, for menus.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationSummary {
    pub id: OrganizationId,
    pub name: String,
}

/// Who is signed in to the dashboard, and what they may do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub user: User,
    /// The organization the dashboard is working on.
    pub organization: Option<OrganizationSummary>,
    /// The viewer's roles in that organization.
    pub roles: Vec<String>,
    /// May manage the current organization.
    pub is_admin: bool,
    /// May manage every organization.
    pub is_platform_admin: bool,
    /// May grant, change and remove the `owner` role.
    pub may_manage_owners: bool,
    /// The organizations the viewer can switch to.
    pub organizations: Vec<OrganizationSummary>,
}

impl Role {
    /// True for roles a viewer may hand out: those who may not manage owners hand out every
    /// role but `owner` ([`Viewer::may_manage_owners`]).
    pub fn is_assignable(&self, may_manage_owners: bool) -> bool {
        may_manage_owners || self.slug != roles::OWNER
    }
}
