//! The private API of WorkOS Widgets (`/_widgets/…`), in the shapes of `@workos-inc/widgets`
//! 1.18.0 (`dist/esm/api/endpoint.d.ts`): camelCase fields, unlike the REST API.

use crate::ids::*;
use serde::{Deserialize, Serialize};

/// Where a row of the users table stands (`MemberStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WidgetMemberStatus {
    Active,
    Invited,
    InviteExpired,
    InviteRevoked,
    NoInvite,
}

/// What the row's menu offers; the widget shows exactly these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WidgetMemberAction {
    EditRole,
    ResendInvite,
    RevokeInvite,
    RevokeMembership,
}

/// A role as a row shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetRoleRef {
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
}

/// A row of the users table: a member (`id` is the user's) or an invitation (`id` is the
/// invitation's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetMember {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub profile_picture_url: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub created_at: String,
    pub last_activity_at: Option<String>,
    pub status: WidgetMemberStatus,
    pub actions: Vec<WidgetMemberAction>,
    /// `true` on the caller's own row (the widget then hides its menu), else `null`.
    pub is_logged_in_user: Option<bool>,
    pub roles: Vec<WidgetRoleRef>,
}

/// The cursors of a users-table page, named as the widget uses them: its "Next" button sends
/// `before` and its "Previous" button sends `after`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetListMetadata {
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A page of the users table (`MembersResponse`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidgetMembers {
    pub data: Vec<WidgetMember>,
    pub list_metadata: WidgetListMetadata,
}

/// Which page of the users table to show, and its filters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetMemberQuery {
    /// Rows per page, at most 100.
    pub limit: Option<u32>,
    /// The widget's "Previous" cursor.
    pub after: Option<String>,
    /// The widget's "Next" cursor.
    pub before: Option<String>,
    pub search: Option<String>,
    pub role: Option<String>,
}

/// A role members may be given (`MemberRole`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetRole {
    pub name: String,
    pub slug: String,
    /// The role new members get unless another is chosen.
    pub default: bool,
    pub description: Option<String>,
}

/// `RolesAndConfigResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetRolesAndConfig {
    pub roles: Vec<WidgetRole>,
    pub multiple_roles_enabled: bool,
}

/// An organization the token's user belongs to (`OrganizationInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetOrganization {
    pub id: OrganizationId,
    pub name: String,
    /// The token's organization.
    pub current: bool,
    pub favicon: Option<String>,
}

/// The token's user as the profile widget shows them (`Me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetMe {
    pub id: UserId,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub profile_picture_url: Option<String>,
    /// Roster links no social accounts: always an empty object.
    pub oauth_profiles: serde_json::Map<String, serde_json::Value>,
}

/// A live session of the token's user (`ActiveSession`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSession {
    pub id: SessionId,
    pub userland_user_id: UserId,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub organization_id: Option<OrganizationId>,
    pub state: WidgetSessionState,
    pub current_location: Option<serde_json::Value>,
    pub used_sso_auth: bool,
    pub used_password_auth: bool,
    pub used_passkey_auth: bool,
    pub used_apple_oauth: bool,
    pub used_bitbucket_oauth: bool,
    pub used_github_oauth: bool,
    #[serde(rename = "usedGitLabOauth")]
    pub used_gitlab_oauth: bool,
    pub used_google_oauth: bool,
    #[serde(rename = "usedLinkedInOauth")]
    pub used_linkedin_oauth: bool,
    pub used_impersonation: bool,
    pub used_microsoft_oauth: bool,
    pub used_slack_oauth: bool,
    pub used_xero_oauth: bool,
    pub used_magic_auth: bool,
    pub impersonator_user_id: Option<UserId>,
    pub impersonator_email: Option<String>,
    pub impersonation_reason: Option<String>,
    pub last_activity_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `ActiveSession.state`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSessionState {
    /// Always `active`: only live sessions are listed.
    pub tag: String,
    pub expires_at: Option<String>,
}

/// How the token's user can sign in (`AuthenticationInformationResponse.data`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetAuthenticationInformation {
    pub verification_methods: WidgetVerificationMethods,
    pub password_settings: WidgetPasswordSettings,
}

/// The sign-in methods; the security widget shows a card for each one present.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WidgetVerificationMethods {
    pub mfa: WidgetMethod,
    pub password: WidgetMethod,
}

/// One sign-in method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetMethod {
    /// `MFA` or `Password`.
    pub provider: String,
    pub is_set_up: bool,
    pub last_used: Option<String>,
    /// For the password: whether the current session signed in with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_current_session: Option<bool>,
}

/// The password rules, as the security widget's dialogs describe them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetPasswordSettings {
    pub is_password_number_required: bool,
    pub is_password_pwned_required: bool,
    pub is_password_symbol_required: bool,
    pub is_password_uppercase_required: bool,
    pub password_minimum_length: u32,
    pub password_minimum_strength: u32,
}
