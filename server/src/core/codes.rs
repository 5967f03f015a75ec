//! One-time codes: email verification, password reset and magic auth. A new code replaces
//! the earlier ones of its kind; five wrong guesses kill a code; each works once.

use super::attempts::{ADDRESS_LIMIT, MAGIC_AUTH_ISSUE_LIMIT, RESET_REQUEST_ADDRESS_LIMIT, RESET_REQUEST_LIMIT};
use super::{Core, emails, password, record, validate};
use crate::store::api::{self, CodePurpose, CodeRow};
use crate::store::directory as db;
use crate::store::{Connection, commit, iso, now_ms};
use app::directory::{Admin, Codes};
use app::error::AppError;
use app::ids::*;
use app::model::*;
use async_trait::async_trait;
use rand::Rng;
use rand::distributions::{Alphanumeric, DistString};

/// Wrong guesses after which a one-time code is dead.
pub const MAX_CODE_FAILURES: i64 = 5;

const EMAIL_VERIFICATION_MS: i64 = 24 * 3600 * 1000;
const PASSWORD_RESET_MS: i64 = 30 * 60 * 1000;
const MAGIC_AUTH_MS: i64 = 10 * 60 * 1000;

/// How long asking for a reset link takes at least, whether the email has an account or not,
/// so that the time of the answer does not tell either.
pub const RESET_REQUEST_FLOOR: std::time::Duration = std::time::Duration::from_millis(300);

/// The one answer to a reset token that is unknown, used, replaced or expired.
fn dead_reset_link() -> AppError {
    AppError::invalid("token", "password_reset_token_invalid", "The reset link is wrong, used or expired.")
}

pub(crate) fn six_digits() -> String {
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

impl Core {
    /// Creates a one-time code for a user and queues the message that carries it.
    async fn issue_code(
        &self,
        purpose: CodePurpose,
        user: &User,
        secret: String,
        lifetime_ms: i64,
        message: api::NewMessage,
    ) -> Result<CodeRow, AppError> {
        let mut tx = self.store.begin().await?;
        let row = Self::issue_code_in(&mut tx, purpose, user, secret, lifetime_ms, message).await?;
        commit(tx).await?;
        Ok(row)
    }

    /// Emails a new email-verification code, in the caller's transaction (a sign-in that
    /// stops to ask for it).
    pub(crate) async fn issue_email_verification_in(tx: &mut Connection, user: &User) -> Result<CodeRow, AppError> {
        let code = six_digits();
        let message = emails::email_verification(&user.email, &code);
        Self::issue_code_in(tx, CodePurpose::EmailVerification, user, code, EMAIL_VERIFICATION_MS, message).await
    }

    pub(crate) async fn issue_code_in(
        tx: &mut Connection,
        purpose: CodePurpose,
        user: &User,
        secret: String,
        lifetime_ms: i64,
        message: api::NewMessage,
    ) -> Result<CodeRow, AppError> {
        let now = now_ms();
        let id = match purpose {
            CodePurpose::EmailVerification | CodePurpose::ElevatedAccess | CodePurpose::EmailChange => {
                EmailVerificationId::generate().to_string()
            }
            CodePurpose::PasswordReset => PasswordResetId::generate().to_string(),
            CodePurpose::MagicAuth => MagicAuthId::generate().to_string(),
            CodePurpose::TotpEnrollment => AuthenticationChallengeId::generate().to_string(),
        };
        let row = CodeRow {
            id,
            user_id: user.id.to_string(),
            email: user.email.clone(),
            secret,
            consumed_at: None,
            expires_at: now + lifetime_ms,
            created_at: now,
            updated_at: now,
        };
        // A new code replaces the ones sent before: only the latest message works.
        api::consume_codes_of(tx, purpose, &row.user_id, now).await?;
        api::insert_code(tx, purpose, &row).await?;
        api::queue_message(tx, &message, now).await?;
        let event = match purpose {
            CodePurpose::EmailVerification | CodePurpose::ElevatedAccess | CodePurpose::EmailChange => {
                "email_verification.created"
            }
            CodePurpose::PasswordReset => "password_reset.created",
            CodePurpose::MagicAuth => "magic_auth.created",
            CodePurpose::TotpEnrollment => "authentication_factor.enrollment_started",
        };
        record(tx, event, None, &serde_json::json!({ "id": row.id, "user_id": row.user_id, "email": row.email }))
            .await?;
        Ok(row)
    }

    /// Uses up a user's live code of a purpose (the one with this ID, when given). `None` for a
    /// wrong, spent or expired code: six digits are guessable, so the failure is counted
    /// against the user's live codes of the purpose (five kill them) and the caller commits
    /// it before answering.
    pub(crate) async fn take_code(
        tx: &mut Connection,
        purpose: CodePurpose,
        user: &UserId,
        id: Option<&str>,
        code: &str,
    ) -> Result<Option<CodeRow>, AppError> {
        let now = now_ms();
        let found = api::find_live_code(tx, purpose, code.trim(), Some(user.as_str()), MAX_CODE_FAILURES, now)
            .await?
            .filter(|row| id.is_none_or(|id| id == row.id));
        match found {
            Some(row) if api::consume_code(tx, &row.id, now).await? => Ok(Some(row)),
            _ => {
                api::count_code_failure(tx, purpose, user.as_str(), now).await?;
                Ok(None)
            }
        }
    }

    /// The user with this email, if the grant may issue them codes.
    async fn user_for_codes(&self, admin: &Admin, email: &str) -> Result<User, AppError> {
        let email = validate::email("email", email)?;
        let mut conn = self.store.read().await?;
        let credentials =
            db::find_credentials_by_email(&mut conn, &email).await?.ok_or_else(|| AppError::not_found("User"))?;
        Self::user_for_credentials(&mut conn, admin, &UserId::from_trusted(credentials.id)).await
    }

    /// Reads a code: it carries a secret, so only a grant that may manage its user's
    /// credentials sees it.
    async fn readable_code(
        &self,
        admin: &Admin,
        purpose: CodePurpose,
        id: &str,
        what: &str,
    ) -> Result<CodeRow, AppError> {
        let mut conn = self.store.read().await?;
        let row = api::find_code(&mut conn, purpose, id).await?.ok_or_else(|| AppError::not_found(what))?;
        Self::user_for_credentials(&mut conn, admin, &UserId::from_trusted(row.user_id.clone()))
            .await
            .map_err(|error| error.not_found_as(what))?;
        Ok(row)
    }

    /// Creates a reset link for a user and queues the email that carries it.
    async fn issue_password_reset(&self, user: &User) -> Result<PasswordReset, AppError> {
        let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 40);
        let url = format!("{}/reset-password?token={token}", self.settings.public_url.trim_end_matches('/'));
        let message = emails::password_reset(&user.email, &url);
        let row = self.issue_code(CodePurpose::PasswordReset, user, token, PASSWORD_RESET_MS, message).await?;
        Ok(self.password_reset(row))
    }

    /// Sends a reset link when the email has an account, within the limits per email (counted
    /// for unknown emails too, so the limit tells nothing) and per address.
    async fn send_reset_if_account(&self, email: &str, ip_address: Option<&str>) -> Result<(), AppError> {
        let email = validate::email("email", email)?;
        let now = now_ms();
        let user = {
            let mut conn = self.store.read().await?;
            if let Some(address) = ip_address {
                RESET_REQUEST_ADDRESS_LIMIT.reserve(&mut conn, address, now).await?;
            }
            RESET_REQUEST_LIMIT.reserve(&mut conn, &email, now).await?;
            match db::find_credentials_by_email(&mut conn, &email).await? {
                Some(credentials) => db::find_user(&mut conn, &UserId::from_trusted(credentials.id)).await?,
                None => None,
            }
        };
        if let Some(user) = user {
            self.issue_password_reset(&user).await?;
        }
        Ok(())
    }

    /// Sets a new password with a reset token: `admin`, when an application asks, must manage
    /// the user's credentials; without one the token is the only proof. With a client address,
    /// a wrong token spends one of its failed attempts.
    async fn reset_with_token(
        &self,
        admin: Option<&Admin>,
        token: &str,
        new_password: &str,
        ip_address: Option<&str>,
    ) -> Result<User, AppError> {
        validate::password("new_password", new_password)?;
        let slot = match ip_address {
            Some(address) => Some(ADDRESS_LIMIT.reserve(&mut *self.store.read().await?, address, now_ms()).await?),
            None => None,
        };
        let hash = password::hash(new_password.to_owned()).await?;
        let mut tx = self.store.begin().await?;
        let now = now_ms();
        let row = api::find_live_code(&mut tx, CodePurpose::PasswordReset, token.trim(), None, MAX_CODE_FAILURES, now)
            .await?
            .ok_or_else(dead_reset_link)?;
        let user_id = UserId::from_trusted(row.user_id.clone());
        if let Some(admin) = admin {
            Self::user_for_credentials(&mut tx, admin, &user_id).await?;
        }
        if !api::consume_code(&mut tx, &row.id, now).await? {
            return Err(dead_reset_link());
        }
        db::set_password_hash(&mut tx, &user_id, &hash, now).await?;
        // A new password ends every session that the old one started.
        db::end_sessions_of(&mut tx, &user_id, now).await?;
        let user = db::find_user(&mut tx, &user_id).await?.ok_or(AppError::Internal)?;
        record(&mut tx, "password_reset.succeeded", None, &serde_json::json!({ "user_id": user_id })).await?;
        commit(tx).await?;
        if let Some(slot) = slot {
            slot.release(&mut *self.store.read().await?).await?;
        }
        Ok(user)
    }

    fn password_reset(&self, row: CodeRow) -> PasswordReset {
        PasswordReset {
            password_reset_url: format!(
                "{}/reset-password?token={}",
                self.settings.public_url.trim_end_matches('/'),
                row.secret
            ),
            id: PasswordResetId::from_trusted(row.id),
            user_id: UserId::from_trusted(row.user_id),
            email: row.email,
            password_reset_token: row.secret,
            expires_at: iso(row.expires_at),
            created_at: iso(row.created_at),
        }
    }
}

fn magic_auth(row: CodeRow) -> MagicAuth {
    MagicAuth {
        id: MagicAuthId::from_trusted(row.id),
        user_id: UserId::from_trusted(row.user_id),
        email: row.email,
        expires_at: iso(row.expires_at),
        code: row.secret,
        created_at: iso(row.created_at),
        updated_at: iso(row.updated_at),
    }
}

#[async_trait]
impl Codes for Core {
    async fn send_email_verification(&self, admin: &Admin, user: &UserId) -> Result<User, AppError> {
        let user = {
            let mut conn = self.store.read().await?;
            Self::user_for_credentials(&mut conn, admin, user).await?
        };
        let mut tx = self.store.begin().await?;
        Self::issue_email_verification_in(&mut tx, &user).await?;
        commit(tx).await?;
        Ok(user)
    }

    async fn verify_email(&self, admin: &Admin, user: &UserId, code: &str) -> Result<User, AppError> {
        let mut tx = self.store.begin().await?;
        Self::user_for_credentials(&mut tx, admin, user).await?;
        let now = now_ms();
        if Self::take_code(&mut tx, CodePurpose::EmailVerification, user, None, code).await?.is_none() {
            commit(tx).await?;
            return Err(AppError::invalid(
                "code",
                "email_verification_code_invalid",
                "The code is wrong or has expired.",
            ));
        }
        let updated = Self::mark_email_verified(&mut tx, user, now).await?;
        record(&mut tx, "authentication.email_verification_succeeded", None, &serde_json::json!({ "user_id": user }))
            .await?;
        commit(tx).await?;
        Ok(updated)
    }

    async fn get_email_verification(
        &self,
        admin: &Admin,
        id: &EmailVerificationId,
    ) -> Result<EmailVerification, AppError> {
        let row = self.readable_code(admin, CodePurpose::EmailVerification, id.as_str(), "Email verification").await?;
        Ok(EmailVerification {
            id: EmailVerificationId::from_trusted(row.id),
            user_id: UserId::from_trusted(row.user_id),
            email: row.email,
            expires_at: iso(row.expires_at),
            code: row.secret,
            created_at: iso(row.created_at),
            updated_at: iso(row.updated_at),
        })
    }

    async fn create_password_reset(&self, admin: &Admin, email: &str) -> Result<PasswordReset, AppError> {
        let user = self.user_for_codes(admin, email).await?;
        self.issue_password_reset(&user).await
    }

    async fn reset_password(&self, admin: &Admin, token: &str, new_password: &str) -> Result<User, AppError> {
        self.reset_with_token(Some(admin), token, new_password, None).await
    }

    async fn get_password_reset(&self, admin: &Admin, id: &PasswordResetId) -> Result<PasswordReset, AppError> {
        let row = self.readable_code(admin, CodePurpose::PasswordReset, id.as_str(), "Password reset").await?;
        Ok(self.password_reset(row))
    }

    async fn request_password_reset(&self, email: &str, ip_address: Option<&str>) -> Result<(), AppError> {
        let started = tokio::time::Instant::now();
        let outcome = self.send_reset_if_account(email, ip_address).await;
        tokio::time::sleep_until(started + RESET_REQUEST_FLOOR).await;
        outcome
    }

    async fn preview_password_reset(&self, token: &str, ip_address: Option<&str>) -> Result<String, AppError> {
        let now = now_ms();
        let mut conn = self.store.read().await?;
        let slot = match ip_address {
            Some(address) => Some(ADDRESS_LIMIT.reserve(&mut conn, address, now).await?),
            None => None,
        };
        let row =
            api::find_live_code(&mut conn, CodePurpose::PasswordReset, token.trim(), None, MAX_CODE_FAILURES, now)
                .await?
                .ok_or_else(dead_reset_link)?;
        if let Some(slot) = slot {
            slot.release(&mut conn).await?;
        }
        Ok(row.email)
    }

    async fn reset_password_with_token(
        &self,
        token: &str,
        new_password: &str,
        ip_address: Option<&str>,
    ) -> Result<User, AppError> {
        self.reset_with_token(None, token, new_password, ip_address).await
    }

    async fn create_magic_auth(&self, admin: &Admin, email: &str) -> Result<MagicAuth, AppError> {
        self.require_method(&mut *self.store.read().await?, AuthMethod::MagicCode).await?;
        let user = self.user_for_codes(admin, email).await?;
        MAGIC_AUTH_ISSUE_LIMIT.reserve(&mut *self.store.read().await?, &user.email, now_ms()).await?;
        let code = six_digits();
        let message = emails::magic_auth(&user.email, &code);
        let row = self.issue_code(CodePurpose::MagicAuth, &user, code, MAGIC_AUTH_MS, message).await?;
        Ok(magic_auth(row))
    }

    async fn get_magic_auth(&self, admin: &Admin, id: &MagicAuthId) -> Result<MagicAuth, AppError> {
        self.readable_code(admin, CodePurpose::MagicAuth, id.as_str(), "Magic auth").await.map(magic_auth)
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testing::{Fixture, magic, other_than, password};
    use app::directory::*;
    use app::error::AppError;

    #[tokio::test]
    async fn email_verification_codes_are_checked() {
        let fx = Fixture::new().await;
        let user = fx.user("ada@acme.test").await;
        let admin = fx.system();
        fx.core.send_email_verification(&admin, &user.id).await.unwrap();
        let mut conn = fx.core.store().read().await.unwrap();
        let code: String =
            crate::store::db::query_scalar("SELECT secret FROM one_time_codes WHERE purpose = 'email_verification'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        let (_, body) = crate::store::api::latest_message_to(&mut conn, "ada@acme.test").await.unwrap().unwrap();
        assert!(body.contains(&code));
        drop(conn);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert!(fx.core.verify_email(&admin, &user.id, wrong).await.unwrap_err().field_message("code").is_some());
        assert!(fx.core.verify_email(&admin, &user.id, &code).await.unwrap().email_verified);
    }

    #[tokio::test]
    async fn password_resets_set_a_new_password_once() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        let admin = fx.system();
        let reset = fx.core.create_password_reset(&admin, "ada@acme.test").await.unwrap();
        fx.core.reset_password(&admin, &reset.password_reset_token, "a brand new secret").await.unwrap();
        assert!(fx.core.reset_password(&admin, &reset.password_reset_token, "another secret").await.is_err());
        fx.core
            .authenticate(&admin, password("ada@acme.test", "a brand new secret"), ClientContext::default())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_reset_link_alone_sets_a_new_password_once_and_ends_every_session() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        let login = || PasswordLogin {
            email: "ada@acme.test".into(),
            password: "correct horse".into(),
            ip_address: None,
            user_agent: None,
        };
        let session = fx.core.sign_in(login()).await.unwrap();
        fx.core.request_password_reset("nobody@acme.test", Some("192.0.2.1")).await.unwrap();
        fx.core.request_password_reset("ada@acme.test", Some("192.0.2.1")).await.unwrap();
        let mut conn = fx.core.store().read().await.unwrap();
        let token: String =
            crate::store::db::query_scalar("SELECT secret FROM one_time_codes WHERE purpose = 'password_reset'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        let messages: i64 =
            crate::store::db::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(messages, 1, "a message only to the account's address");
        drop(conn);

        assert_eq!(fx.core.preview_password_reset(&token, None).await.unwrap(), "ada@acme.test");
        fx.core.reset_password_with_token(&token, "a brand new secret", Some("192.0.2.1")).await.unwrap();
        assert_eq!(fx.core.resolve_session(&session.token).await.unwrap_err(), AppError::Unauthenticated);
        let again = fx.core.reset_password_with_token(&token, "another secret", None).await.unwrap_err();
        assert!(again.field_message("token").is_some(), "{again:?}");
        assert!(fx.core.sign_in(login()).await.is_err());
    }

    #[tokio::test]
    async fn a_new_magic_code_replaces_the_earlier_ones() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        let admin = fx.system();
        let first = fx.core.create_magic_auth(&admin, "ada@acme.test").await.unwrap();
        let second = fx.core.create_magic_auth(&admin, "ada@acme.test").await.unwrap();
        let stale = fx.core.authenticate(&admin, magic("ada@acme.test", &first.code), ClientContext::default()).await;
        assert!(first.code == second.code || matches!(stale, Err(AppError::InvalidGrant(_))), "{stale:?}");
        fx.core.authenticate(&admin, magic("ada@acme.test", &second.code), ClientContext::default()).await.unwrap();
    }

    #[tokio::test]
    async fn issuing_magic_codes_is_limited_per_email() {
        let fx = Fixture::new().await;
        fx.user("ada@acme.test").await;
        for _ in 0..super::MAGIC_AUTH_ISSUE_LIMIT.attempts {
            fx.core.create_magic_auth(&fx.system(), "ada@acme.test").await.unwrap();
        }
        let limited = fx.core.create_magic_auth(&fx.system(), "ada@acme.test").await.unwrap_err();
        assert!(matches!(limited, AppError::RateLimited { .. }), "{limited:?}");
    }

    #[tokio::test]
    async fn codes_are_dead_after_five_wrong_tries() {
        let fx = Fixture::new().await;
        let user = fx.user("ada@acme.test").await;
        let admin = fx.system();
        let sign_in = fx.core.create_magic_auth(&admin, "ada@acme.test").await.unwrap();
        for _ in 0..super::MAX_CODE_FAILURES {
            let wrong = magic("ada@acme.test", &other_than(&sign_in.code));
            assert!(fx.core.authenticate(&admin, wrong, ClientContext::default()).await.is_err());
        }
        let right = magic("ada@acme.test", &sign_in.code);
        assert!(matches!(
            fx.core.authenticate(&admin, right, ClientContext::default()).await,
            Err(AppError::InvalidGrant(_))
        ));

        fx.core.send_email_verification(&admin, &user.id).await.unwrap();
        let mut conn = fx.core.store().read().await.unwrap();
        let (_, body) = crate::store::api::latest_message_to(&mut conn, "ada@acme.test").await.unwrap().unwrap();
        drop(conn);
        let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
        for _ in 0..super::MAX_CODE_FAILURES {
            assert!(fx.core.verify_email(&admin, &user.id, &other_than(&code)).await.is_err());
        }
        let error = fx.core.verify_email(&admin, &user.id, &code).await.unwrap_err();
        assert!(error.field_message("code").is_some(), "{error:?}");
    }
}
