//! Widget tokens (`POST /widgets/token`) and what WorkOS Widgets read through them: the users
//! table of the token's organization, the user's organizations, and their own account.
//!
//! A widget token is an RS256 JWT signed with the access-token key, but with its own audience,
//! so neither kind passes for the other. Every call re-reads the store: the user must still be
//! an active member, the scopes must still be granted by their roles, and the session the
//! token was issued in must still be live, so revoking a user's sessions revokes their tokens.

use super::attempts::{AttemptPolicy, PasswordAttempt, WIDGET_CODE_LIMIT};
use super::events::{Change, record_change};
use super::factors::{DEFAULT_ISSUER, EnrollmentKey};
use super::{Core, validate};
use crate::core::password;
use crate::store::api::{self, CodePurpose, CodeRow};
use crate::store::directory::{self as db, Lockable};
use crate::store::{Connection, commit, iso, now_ms};
use app::directory::*;
use app::error::{AppError, Conflict, FieldErrors};
use app::ids::*;
use app::model::*;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// How long a widget token is valid.
pub const WIDGET_TOKEN_SECONDS: i64 = 60 * 60;
/// The audience of widget tokens; access tokens have none.
const WIDGET_AUDIENCE: &str = "roster:widgets";
/// Invitation rows shown at the top of the users table's first page, at most.
const INVITATION_ROWS: u32 = 100;
/// The audience of elevated-access tokens.
const ELEVATED_AUDIENCE: &str = "roster:widgets-elevated";
/// How long elevated access, and the codes that lead to it, last.
const ELEVATION_MS: i64 = 10 * 60_000;

/// The claims of an elevated-access token: this user read a code sent to their email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ElevatedClaims {
    aud: String,
    sub: String,
    iat: i64,
    exp: i64,
    jti: String,
}

/// The claims of a widget token. The widgets read `permissions`, `exp` and `sid`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    pub permissions: Vec<String>,
    /// True when the token may act on its user's own account (profile, sessions, password):
    /// only if the key that asked for it may change that user's credentials itself.
    pub account: bool,
    pub iat: i64,
    /// `iat` in milliseconds: a session that ends in the same second, after the token was
    /// issued, still revokes it.
    pub iat_ms: i64,
    pub exp: i64,
    pub jti: String,
}

impl Core {
    /// The scopes asked for, checked against the SDK's list and against what the user's
    /// membership grants.
    async fn granted_scopes(
        conn: &mut Connection,
        membership: Option<&OrganizationMembership>,
        asked: Vec<String>,
    ) -> Result<Vec<String>, AppError> {
        let mut scopes: Vec<String> = Vec::new();
        for scope in asked.into_iter().map(|scope| scope.trim().to_owned()) {
            if !WIDGET_SCOPES.contains(&scope.as_str()) {
                return Err(AppError::invalid("scopes", "scope_invalid", format!("There is no scope {scope:?}.")));
            }
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Ok(scopes);
        }
        let Some(membership) = membership else {
            return Err(AppError::invalid("scopes", "organization_required", "Scopes need an organization_id."));
        };
        let held = Self::permissions_of(conn, membership).await?;
        if let Some(missing) = scopes.iter().find(|scope| !held.contains(scope)) {
            return Err(AppError::Forbidden(format!(
                "The user's roles in this organization do not grant {missing}; give one of their roles that permission."
            )));
        }
        Ok(scopes)
    }

    /// What a verified token grants now, or why it no longer grants anything.
    async fn widget_context(&self, conn: &mut Connection, claims: WidgetClaims) -> Result<WidgetContext, AppError> {
        let expired = || AppError::Forbidden("This widget token is no longer valid.".into());
        let user = UserId::parse(&claims.sub).ok_or_else(expired)?;
        db::find_user(conn, &user).await?.ok_or_else(expired)?;
        let now = now_ms();
        let session = match &claims.sid {
            Some(sid) => {
                let session = SessionId::parse(sid).ok_or_else(expired)?;
                let row = db::find_session(conn, &session).await?.ok_or_else(expired)?;
                if row.user_id != user.as_str() || row.ended_at.is_some() || row.expires_at <= now {
                    return Err(expired());
                }
                Some(session)
            }
            None => {
                // Issued outside any session: revoked when any session of the user ends after it.
                if db::sessions_ended_since(conn, &user, claims.iat_ms).await? {
                    return Err(expired());
                }
                None
            }
        };
        let (organization, roles, scopes) = match &claims.org_id {
            Some(org) => {
                let organization = OrganizationId::parse(org).ok_or_else(expired)?;
                let membership = db::find_membership_of(conn, &organization, &user)
                    .await?
                    .filter(|membership| membership.status == MembershipStatus::Active)
                    .ok_or_else(expired)?;
                let held = Self::permissions_of(conn, &membership).await?;
                let scopes = claims.permissions.into_iter().filter(|scope| held.contains(scope)).collect();
                let roles = membership.roles.iter().map(|role| role.slug.clone()).collect();
                (Some(organization), roles, scopes)
            }
            None => (None, Vec::new(), Vec::new()),
        };
        Ok(WidgetContext {
            user_id: user,
            session_id: session,
            organization_id: organization,
            roles,
            scopes,
            account: claims.account,
        })
    }

    /// Ends every live session of the account's user but `keep`, each recorded as the user's
    /// own doing; returns how many ended.
    async fn end_sessions_but(
        conn: &mut Connection,
        account: &Account,
        keep: Option<&SessionId>,
        now: i64,
    ) -> Result<u64, AppError> {
        let mut ended = 0;
        for row in db::live_sessions_of(conn, account.user_id(), None).await? {
            if keep.is_some_and(|keep| keep.as_str() == row.id) {
                continue;
            }
            let by_user = Change::by_user(account.user_id());
            Self::end_session_recorded(conn, &SessionId::from_trusted(row.id), by_user, now).await?;
            ended += 1;
        }
        Ok(ended)
    }

    /// The user of an account, as stored.
    async fn account_user(conn: &mut Connection, account: &Account) -> Result<User, AppError> {
        db::find_user(conn, account.user_id()).await?.ok_or_else(|| AppError::not_found("User"))
    }
}

/// The row of a member, with the actions the grant may take on it; `roles` names the
/// organization's roles.
fn member_row(member: Member, admin: &Admin, viewer: &UserId, roles: &[WidgetRoleRef]) -> WidgetMember {
    let Member { user, membership } = member;
    let is_viewer = &user.id == viewer;
    // Owners are out of reach of grants without owner rights: offer them nothing.
    let reachable = !membership.has_role(roles::OWNER) || admin.require_owner_rights().is_ok();
    let actions = if is_viewer || !reachable {
        Vec::new()
    } else {
        vec![WidgetMemberAction::EditRole, WidgetMemberAction::RevokeMembership]
    };
    WidgetMember {
        id: user.id.to_string(),
        email: user.email,
        email_verified: user.email_verified,
        profile_picture_url: user.profile_picture_url,
        first_name: user.first_name,
        last_name: user.last_name,
        created_at: membership.created_at,
        last_activity_at: user.last_sign_in_at,
        status: WidgetMemberStatus::Active,
        actions,
        is_logged_in_user: is_viewer.then_some(true),
        roles: membership
            .roles
            .into_iter()
            .map(|held| {
                roles.iter().find(|role| role.slug == held.slug).cloned().unwrap_or(WidgetRoleRef {
                    name: held.slug.clone(),
                    slug: held.slug,
                    description: None,
                })
            })
            .collect(),
    }
}

/// The answer to a wrong, spent or expired emailed code.
fn wrong_code() -> AppError {
    AppError::invalid("code", "code_invalid", "The code is wrong or has expired.")
}

/// A locale tag such as `en` or `pt-BR`; empty clears it.
fn checked_locale(raw: String) -> Result<Option<String>, AppError> {
    let locale = raw.trim();
    if locale.is_empty() {
        return Ok(None);
    }
    let well_formed = locale.len() <= 35 && locale.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !well_formed {
        return Err(AppError::invalid("locale", "locale_invalid", "Use a language tag such as en or pt-BR."));
    }
    Ok(Some(locale.to_owned()))
}

/// The row of an open invitation.
fn invitation_row(invitation: Invitation, role: Option<WidgetRoleRef>) -> WidgetMember {
    let status = match invitation.state {
        InvitationState::Expired => WidgetMemberStatus::InviteExpired,
        InvitationState::Revoked => WidgetMemberStatus::InviteRevoked,
        _ => WidgetMemberStatus::Invited,
    };
    let actions = match status {
        WidgetMemberStatus::Invited => vec![WidgetMemberAction::ResendInvite, WidgetMemberAction::RevokeInvite],
        _ => vec![WidgetMemberAction::ResendInvite],
    };
    WidgetMember {
        id: invitation.id.to_string(),
        email: invitation.email,
        email_verified: false,
        profile_picture_url: None,
        first_name: None,
        last_name: None,
        created_at: invitation.created_at,
        last_activity_at: None,
        status,
        actions,
        is_logged_in_user: None,
        roles: role.into_iter().collect(),
    }
}

#[async_trait]
impl Widgets for Core {
    async fn issue_widget_token(&self, admin: &Admin, request: WidgetTokenRequest) -> Result<String, AppError> {
        let key = self.signing_key().await?;
        let mut conn = self.store.read().await?;
        let user = db::find_user(&mut conn, &request.user_id).await?.ok_or_else(|| AppError::not_found("User"))?;
        let standing = db::user_standing(&mut conn, &user.id).await?;
        admin.require_user(&standing, "User")?;
        let membership = match &request.organization_id {
            Some(organization) => {
                admin.require_reach(organization, "Organization")?;
                let membership = db::find_membership_of(&mut conn, organization, &user.id)
                    .await?
                    .filter(|membership| membership.status == MembershipStatus::Active)
                    .ok_or_else(|| {
                        AppError::invalid(
                            "user_id",
                            "not_an_active_member",
                            "The user is not an active member of this organization.",
                        )
                    })?;
                Some(membership)
            }
            None => None,
        };
        let permissions = Self::granted_scopes(&mut conn, membership.as_ref(), request.scopes).await?;
        // The token belongs to the user's most recently used live session, when they have one:
        // the person the application is serving.
        let issued_ms = now_ms();
        let session = db::latest_live_session_of(&mut conn, &user.id, issued_ms).await?;
        let now = issued_ms / 1000;
        let claims = WidgetClaims {
            iss: self.settings.public_url.trim_end_matches('/').to_owned(),
            aud: WIDGET_AUDIENCE.to_owned(),
            sub: user.id.to_string(),
            sid: session,
            org_id: request.organization_id.map(|id| id.to_string()),
            permissions,
            account: admin.require_credentials(&standing).is_ok(),
            iat: now,
            iat_ms: issued_ms,
            exp: now + WIDGET_TOKEN_SECONDS,
            jti: app::ids::new_ulid(),
        };
        key.sign(claims).await
    }

    async fn resolve_widget_token(&self, token: &str) -> Result<Caller, AppError> {
        let key = self.signing_key().await?;
        let claims: WidgetClaims = key
            .verify(token, WIDGET_AUDIENCE)
            .ok_or_else(|| AppError::Forbidden("This widget token is not valid.".into()))?;
        let mut conn = self.store.read().await?;
        self.widget_context(&mut conn, claims).await.map(Caller::from_widget)
    }

    async fn widget_members(
        &self,
        admin: &Admin,
        viewer: &UserId,
        query: WidgetMemberQuery,
    ) -> Result<WidgetMembers, AppError> {
        let organization = admin.organization().cloned().ok_or(AppError::Internal)?;
        let search = query.search.filter(|text| !text.trim().is_empty());
        let role = query.role.filter(|slug| !slug.trim().is_empty());
        // The widget's "Next" sends `before` and its "Previous" `after`: the reverse of the
        // REST meaning, so they are swapped here and in the answer.
        let page = Page {
            limit: query.limit.unwrap_or(Page::DEFAULT_LIMIT),
            before: query.after.clone(),
            after: query.before.clone(),
            order: Order::Asc,
        };
        let filter = MemberFilter {
            search: search.clone(),
            role: role.clone(),
            status: Some(MembershipStatus::Active),
            ..Default::default()
        };
        let members = self.list_members(admin, &organization, filter, page).await?;
        let roles: Vec<WidgetRoleRef> = self
            .list_roles(admin, Some(&organization))
            .await?
            .into_iter()
            .map(|role| WidgetRoleRef { name: role.name, slug: role.slug, description: role.description })
            .collect();
        let mut rows = Vec::new();
        // The first page of members, however it was reached ("Previous" always sends a cursor),
        // starts with the open invitations.
        if members.list_metadata.before.is_none() {
            let invitations = self
                .list_invitations(
                    admin,
                    InvitationQuery {
                        organization_id: Some(organization.clone()),
                        email: None,
                        page: Page { limit: INVITATION_ROWS, order: Order::Desc, ..Default::default() },
                    },
                )
                .await?;
            let needle = search.as_deref().map(str::to_lowercase);
            for invitation in invitations.data {
                let open = matches!(invitation.state, InvitationState::Pending | InvitationState::Expired);
                let found = needle.as_deref().is_none_or(|needle| invitation.email.contains(needle));
                let role_matches = role.as_deref().is_none_or(|slug| invitation.role_slug.as_deref() == Some(slug));
                if open && found && role_matches {
                    let role = invitation.role_slug.as_deref().and_then(|slug| roles.iter().find(|r| r.slug == slug));
                    rows.push(invitation_row(invitation, role.cloned()));
                }
            }
        }
        rows.extend(members.data.into_iter().map(|member| member_row(member, admin, viewer, &roles)));
        Ok(WidgetMembers {
            data: rows,
            list_metadata: WidgetListMetadata {
                before: members.list_metadata.after,
                after: members.list_metadata.before,
            },
        })
    }

    async fn widget_roles(&self, admin: &Admin) -> Result<WidgetRolesAndConfig, AppError> {
        let organization = admin.organization().cloned().ok_or(AppError::Internal)?;
        let roles = self.list_roles(admin, Some(&organization)).await?;
        let mut conn = self.store.read().await?;
        let default = db::default_role_slug(&mut conn, &organization).await?;
        let multiple_roles_enabled = Self::multiple_roles_enabled(&mut conn).await?;
        let roles = roles
            .into_iter()
            .map(|role| WidgetRole {
                default: role.slug == default,
                name: role.name,
                slug: role.slug,
                description: role.description,
            })
            .collect();
        Ok(WidgetRolesAndConfig { roles, multiple_roles_enabled })
    }

    fn public_origin(&self) -> String {
        self.settings.public_url.trim_end_matches('/').to_owned()
    }

    async fn embedding_origins(&self) -> Result<Vec<String>, AppError> {
        let mut conn = self.store.read().await?;
        Ok(self.environment(&mut conn).await?.cors_origins)
    }

    async fn widget_membership(&self, admin: &Admin, user: &UserId) -> Result<OrganizationMembership, AppError> {
        let organization = admin.organization().cloned().ok_or(AppError::Internal)?;
        let mut conn = self.store.read().await?;
        db::find_membership_of(&mut conn, &organization, user).await?.ok_or_else(|| AppError::not_found("Member"))
    }
}

#[async_trait]
impl OwnAccount for Core {
    async fn own_user(&self, account: &Account) -> Result<User, AppError> {
        let mut conn = self.store.read().await?;
        Self::account_user(&mut conn, account).await
    }

    async fn update_own_profile(&self, account: &Account, update: ProfileUpdate) -> Result<User, AppError> {
        let mut errors = FieldErrors::default();
        let first_name = update.first_name.map(|name| errors.check(validate::name("first_name", Some(name))));
        let last_name = update.last_name.map(|name| errors.check(validate::name("last_name", Some(name))));
        let locale = update.locale.map(|locale| errors.check(checked_locale(locale)));
        errors.finish()?;
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, account.user_id().as_str()).await?;
        let mut user = Self::account_user(&mut tx, account).await?;
        let before = user.clone();
        if let Some(Some(first_name)) = first_name {
            user.first_name = first_name;
        }
        if let Some(Some(last_name)) = last_name {
            user.last_name = last_name;
        }
        if let Some(Some(locale)) = locale {
            user.locale = locale;
        }
        if user == before {
            return Ok(user);
        }
        let now = now_ms();
        db::update_user(&mut tx, &user, now).await?;
        let updated = Self::account_user(&mut tx, account).await?;
        record_change(&mut tx, Change::by_user(account.user_id()).before(&before), "user.updated", None, &updated)
            .await?;
        commit(tx).await?;
        Ok(updated)
    }

    async fn own_live_sessions(&self, account: &Account) -> Result<Vec<Session>, AppError> {
        let mut conn = self.store.read().await?;
        let now = now_ms();
        let rows = db::live_sessions_of(&mut conn, account.user_id(), None).await?;
        Ok(rows.into_iter().filter(|row| row.expires_at > now).map(|row| row.into_session(now)).collect())
    }

    async fn end_own_session(&self, account: &Account, id: &SessionId) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        let row = db::find_session(&mut tx, id)
            .await?
            .filter(|row| row.user_id == account.user_id().as_str() && row.ended_at.is_none())
            .ok_or_else(|| AppError::not_found("Session"))?;
        let by_user = Change::by_user(account.user_id());
        Self::end_session_recorded(&mut tx, &SessionId::from_trusted(row.id), by_user, now_ms()).await?;
        Ok(commit(tx).await?)
    }

    async fn end_other_sessions(&self, account: &Account, keep: Option<&SessionId>) -> Result<u64, AppError> {
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, account.user_id().as_str()).await?;
        let ended = Self::end_sessions_but(&mut tx, account, keep, now_ms()).await?;
        commit(tx).await?;
        Ok(ended)
    }

    async fn change_own_password(&self, account: &Account, current: &str, new: &str) -> Result<(), AppError> {
        validate::password("new_password", new)?;
        let incorrect = || AppError::invalid("current_password", "incorrect", "The current password is not correct.");
        let user = {
            let mut conn = self.store.read().await?;
            if db::password_hash_of(&mut conn, account.user_id()).await?.is_none() {
                return Err(AppError::invalid("current_password", "no_password", "This account has no password yet."));
            }
            Self::account_user(&mut conn, account).await?
        };
        // The current password is checked as a sign-in's is: within the account's attempt
        // limit, every attempt counted, a wrong one recorded.
        let attempt = PasswordAttempt {
            email: &user.email,
            password: current.to_owned(),
            policy: AttemptPolicy::Every,
            client_address: None,
            grant: None,
        };
        match self.check_password(attempt).await {
            Ok(verified) if &verified.id == account.user_id() => {}
            Ok(_) | Err(AppError::InvalidCredentials) => return Err(incorrect()),
            Err(other) => return Err(other),
        }
        let hash = password::hash(new.to_owned()).await?;
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, account.user_id().as_str()).await?;
        let now = now_ms();
        db::set_password_hash(&mut tx, account.user_id(), &hash, now).await?;
        // Whoever knew the old password is signed out everywhere but here.
        Self::end_sessions_but(&mut tx, account, account.session_id(), now).await?;
        let user = Self::account_user(&mut tx, account).await?;
        record_change(&mut tx, Change::by_user(account.user_id()), "user.updated", None, &user).await?;
        Ok(commit(tx).await?)
    }

    async fn own_sign_in_methods(&self, account: &Account) -> Result<SignInMethods, AppError> {
        let mut conn = self.store.read().await?;
        let password = db::password_hash_of(&mut conn, account.user_id()).await?.is_some();
        let factors = !db::all_factors_of(&mut conn, account.user_id()).await?.is_empty();
        Ok(SignInMethods { password, factors })
    }

    async fn start_elevation(&self, account: &Account) -> Result<EmailVerificationId, AppError> {
        WIDGET_CODE_LIMIT.reserve(&mut *self.store.read().await?, account.user_id().as_str(), now_ms()).await?;
        let mut tx = self.store.begin().await?;
        let user = Self::account_user(&mut tx, account).await?;
        let code = super::codes::six_digits();
        let message = super::emails::email_verification(&user.email, &code);
        let row = Self::issue_code_in(&mut tx, CodePurpose::ElevatedAccess, &user, code, ELEVATION_MS, message).await?;
        commit(tx).await?;
        Ok(EmailVerificationId::from_trusted(row.id))
    }

    async fn finish_elevation(
        &self,
        account: &Account,
        challenge: &str,
        code: &str,
    ) -> Result<ElevatedAccess, AppError> {
        let mut tx = self.store.begin().await?;
        let taken =
            Self::take_code(&mut tx, CodePurpose::ElevatedAccess, account.user_id(), Some(challenge), code).await?;
        // A wrong code's failure is counted: committed either way.
        commit(tx).await?;
        taken.ok_or_else(wrong_code)?;
        self.elevated_access(account).await
    }

    async fn is_elevated(&self, account: &Account, token: Option<&str>) -> Result<bool, AppError> {
        let Some(token) = token else { return Ok(false) };
        let key = self.signing_key().await?;
        let claims: Option<ElevatedClaims> = key.verify(token, ELEVATED_AUDIENCE);
        Ok(claims.is_some_and(|claims| claims.sub == account.user_id().as_str()))
    }

    async fn create_own_password(&self, account: &Account, new: &str) -> Result<(), AppError> {
        validate::password("password", new)?;
        let hash = password::hash(new.to_owned()).await?;
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, account.user_id().as_str()).await?;
        if db::password_hash_of(&mut tx, account.user_id()).await?.is_some() {
            return Err(AppError::invalid(
                "password",
                "password_exists",
                "This account already has a password; change it instead.",
            ));
        }
        db::set_password_hash(&mut tx, account.user_id(), &hash, now_ms()).await?;
        let user = Self::account_user(&mut tx, account).await?;
        record_change(&mut tx, Change::by_user(account.user_id()), "user.updated", None, &user).await?;
        Ok(commit(tx).await?)
    }

    async fn start_own_factor(&self, account: &Account) -> Result<PendingFactor, AppError> {
        let mut tx = self.store.begin().await?;
        let user = Self::account_user(&mut tx, account).await?;
        let secret = EnrollmentKey::generate()?;
        let key = EnrollmentKey::of(&secret, &user.email)?;
        let now = now_ms();
        // The challenge and the factor it will create share their ULID.
        let ulid = app::ids::new_ulid();
        let challenge =
            AuthenticationChallengeId::from_trusted(format!("{}_{ulid}", AuthenticationChallengeId::PREFIX));
        let row = CodeRow {
            id: challenge.to_string(),
            user_id: user.id.to_string(),
            email: user.email.clone(),
            secret: key.secret.clone(),
            consumed_at: None,
            expires_at: now + ELEVATION_MS,
            created_at: now,
            updated_at: now,
        };
        // One offer at a time: a new one replaces the earlier ones.
        api::consume_codes_of(&mut tx, CodePurpose::TotpEnrollment, &row.user_id, now).await?;
        api::insert_code(&mut tx, CodePurpose::TotpEnrollment, &row).await?;
        commit(tx).await?;
        Ok(PendingFactor {
            factor_id: AuthenticationFactorId::from_trusted(format!("{}_{ulid}", AuthenticationFactorId::PREFIX)),
            challenge_id: challenge,
            user_id: user.id,
            issuer: DEFAULT_ISSUER.to_owned(),
            account: user.email,
            secret: key.secret,
            uri: key.uri,
            qr_code: key.qr_code,
            created_at: iso(now),
            expires_at: iso(row.expires_at),
        })
    }

    async fn confirm_own_factor(&self, account: &Account, challenge: &str, code: &str) -> Result<(), AppError> {
        let invalid = || AppError::invalid("code", "invalid_passcode", "Invalid passcode");
        let challenge = AuthenticationChallengeId::parse(challenge).ok_or_else(invalid)?;
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let user = Self::account_user(&mut tx, account).await?;
        let offer = api::find_code(&mut tx, CodePurpose::TotpEnrollment, challenge.as_str())
            .await?
            .filter(|row| row.user_id == user.id.as_str() && row.consumed_at.is_none() && row.expires_at > now)
            .ok_or_else(|| AppError::invalid("code", "challenge_expired", "This setup has expired; start again."))?;
        let factor = challenge.as_str().replacen(AuthenticationChallengeId::PREFIX, AuthenticationFactorId::PREFIX, 1);
        let factor = AuthenticationFactorId::from_trusted(factor);
        if !self.confirm_enrollment(&mut tx, &user, &offer.secret, code, factor).await? {
            // Five wrong codes spend the offer, as they spend any code.
            api::count_code_failure(&mut tx, CodePurpose::TotpEnrollment, user.id.as_str(), now).await?;
            commit(tx).await?;
            return Err(invalid());
        }
        if !api::consume_code(&mut tx, &offer.id, now).await? {
            return Err(invalid());
        }
        Ok(commit(tx).await?)
    }

    async fn reset_own_factors(&self, account: &Account) -> Result<u64, AppError> {
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, account.user_id().as_str()).await?;
        let deleted =
            Self::delete_factors_of(&mut tx, account.user_id(), || Change::by_user(account.user_id()), None).await?;
        commit(tx).await?;
        Ok(deleted)
    }

    async fn start_email_change(&self, account: &Account, new_email: &str) -> Result<String, AppError> {
        let email = validate::email("new_email", new_email)?;
        WIDGET_CODE_LIMIT.reserve(&mut *self.store.read().await?, account.user_id().as_str(), now_ms()).await?;
        let mut tx = self.store.begin().await?;
        let user = Self::account_user(&mut tx, account).await?;
        if email == user.email {
            return Err(AppError::invalid("new_email", "same_email", "This is already your email."));
        }
        if db::find_credentials_by_email(&mut tx, &email).await?.is_some() {
            return Err(AppError::conflict(Conflict::UserAlreadyExists, "This email is already in use."));
        }
        let code = super::codes::six_digits();
        let message = super::emails::email_change(&email, &code);
        // The code goes to the new address, which the row keeps.
        let target = User { email, ..user };
        let row = Self::issue_code_in(&mut tx, CodePurpose::EmailChange, &target, code, ELEVATION_MS, message).await?;
        commit(tx).await?;
        Ok(iso(row.expires_at))
    }

    async fn finish_email_change(&self, account: &Account, code: &str) -> Result<(User, ElevatedAccess), AppError> {
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, account.user_id().as_str()).await?;
        let Some(row) = Self::take_code(&mut tx, CodePurpose::EmailChange, account.user_id(), None, code).await? else {
            commit(tx).await?;
            return Err(wrong_code());
        };
        if db::find_credentials_by_email(&mut tx, &row.email).await?.is_some() {
            return Err(AppError::conflict(Conflict::UserAlreadyExists, "This email is already in use."));
        }
        let mut user = Self::account_user(&mut tx, account).await?;
        let before = user.clone();
        user.email = row.email;
        // Reading the code proved the new address is theirs.
        user.email_verified = true;
        db::update_user(&mut tx, &user, now_ms()).await?;
        let updated = Self::account_user(&mut tx, account).await?;
        record_change(&mut tx, Change::by_user(account.user_id()).before(&before), "user.updated", None, &updated)
            .await?;
        commit(tx).await?;
        Ok((updated, self.elevated_access(account).await?))
    }
}

impl Core {
    /// Signs ten minutes of elevated access for an account.
    async fn elevated_access(&self, account: &Account) -> Result<ElevatedAccess, AppError> {
        let key = self.signing_key().await?;
        let now = now_ms();
        let expires_ms = now + ELEVATION_MS;
        let claims = ElevatedClaims {
            aud: ELEVATED_AUDIENCE.to_owned(),
            sub: account.user_id().to_string(),
            iat: now / 1000,
            exp: expires_ms / 1000,
            jti: app::ids::new_ulid(),
        };
        Ok(ElevatedAccess { token: key.sign(claims).await?, expires_at: iso(expires_ms) })
    }
}
