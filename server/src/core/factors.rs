//! Authentication factors: TOTP apps (RFC 6238: HMAC-SHA1, six digits, 30-second steps,
//! one step of clock skew either way), their challenges, and resetting a user's factors.
//!
//! The TOTP arithmetic is `totp-rs`'s. What it leaves to its callers is done here: a time step
//! is accepted once per factor (the last accepted step is stored and moved forward by one
//! conditional update), a challenge is verified once before it expires, and guesses are
//! limited per factor and per challenge.

use super::Core;
use super::attempts::TOTP_LIMIT;
use super::events::{Change, record_change};
use crate::store::directory::{self as db, ChallengeRow, FactorRow, Lockable};
use crate::store::{Connection, commit, now_ms};
use app::directory::{Admin, AuthFactors, NewTotpFactor};
use app::error::{AppError, FieldErrors};
use app::ids::{AuthenticationChallengeId, AuthenticationFactorId, OrganizationId, UserId};
use app::model::{
    AuthenticationChallenge, AuthenticationFactor, ChallengeVerification, EnrolledFactor, List, Page, User,
};
use async_trait::async_trait;
use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seconds per TOTP time step.
const STEP_SECONDS: u64 = 30;
/// Steps of clock skew accepted either way.
const SKEW_STEPS: u16 = 1;
/// How long a challenge can be verified.
const CHALLENGE_LIFETIME_MS: i64 = 10 * 60_000;
/// Wrong codes after which a challenge is spent.
const MAX_CHALLENGE_FAILURES: i64 = 5;
/// Random key length: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
/// The issuer authenticator apps show when the caller names none.
pub(crate) const DEFAULT_ISSUER: &str = "Roster";
/// The longest issuer or account name accepted.
const MAX_LABEL_CHARS: usize = 100;

/// The TOTP of a key, with its labels.
fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> Result<Totp, totp_rs::TotpError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .with_issuer(Some(issuer))
        .with_account_name(account)
        .build()
}

/// The TOTP of a stored factor.
fn stored_totp(row: &FactorRow) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(&row.secret).map_err(|_| AppError::Internal)?;
    totp(secret.as_bytes().to_vec(), &row.issuer, &row.account).map_err(|error| {
        tracing::error!(%error, factor = %row.id, "a stored TOTP factor does not build");
        AppError::Internal
    })
}

/// Checks an issuer or account name: authenticator apps show it, and the `otpauth://` label
/// separates the two with a colon, so neither may hold one.
fn label(errors: &mut FieldErrors, field: &str, value: Option<String>) -> Option<String> {
    let value = value.map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())?;
    if value.contains(':') {
        errors.add(field, &format!("{field}_invalid"), format!("{field} can't contain a colon."));
    } else if value.chars().count() > MAX_LABEL_CHARS {
        errors.add(field, &format!("{field}_invalid"), format!("{field} is longer than {MAX_LABEL_CHARS} characters."));
    }
    Some(value)
}

/// The key of a new factor: the one asked for, if it is base32 of at least 128 bits, or a
/// random one.
fn new_secret(errors: &mut FieldErrors, asked: Option<String>) -> Vec<u8> {
    match asked.map(|raw| raw.trim().replace(' ', "").to_ascii_uppercase()).filter(|raw| !raw.is_empty()) {
        Some(raw) => match Secret::try_from_base32(raw.trim_end_matches('=')) {
            Ok(secret) if secret.as_bytes().len() >= 16 => secret.as_bytes().to_vec(),
            _ => {
                errors.add(
                    "totp_secret",
                    "totp_secret_invalid",
                    "totp_secret must be base32 of at least 128 bits (26 characters).",
                );
                Vec::new()
            }
        },
        None => {
            let mut bytes = vec![0u8; SECRET_BYTES];
            rand::thread_rng().fill_bytes(&mut bytes);
            bytes
        }
    }
}

/// The current Unix time in seconds.
fn unix_seconds(now_ms: i64) -> u64 {
    u64::try_from(now_ms / 1000).unwrap_or_default()
}

impl Core {
    /// Creates a factor (and, for a user's factor, its first challenge) in one transaction;
    /// the answer holds the secret, its URI and QR code, which are not shown again.
    async fn create_factor(
        &self,
        conn: &mut Connection,
        admin: &Admin,
        user: Option<&User>,
        issuer: String,
        account: String,
        secret: Vec<u8>,
    ) -> Result<AuthenticationFactor, AppError> {
        let totp = totp(secret, &issuer, &account).map_err(|error| {
            AppError::invalid("totp_issuer", "totp_issuer_invalid", format!("The factor could not be built: {error}"))
        })?;
        let uri = totp.to_url().map_err(|_| AppError::Internal)?;
        let qr_code = totp.to_qr_base64().map_err(|_| AppError::Internal)?;
        let now = now_ms();
        let row = FactorRow {
            id: AuthenticationFactorId::generate().to_string(),
            user_id: user.map(|user| user.id.to_string()),
            // A factor without a user is the enrolling grant's: its organization's, if any.
            organization_id: match user {
                Some(_) => None,
                None => admin.organization().map(ToString::to_string),
            },
            kind: "totp".into(),
            issuer,
            account,
            secret: totp.secret().to_base32(),
            last_used_step: None,
            created_at: now,
            updated_at: now,
        };
        db::insert_factor(conn, &row).await?;
        let mut factor = row.into_factor();
        record_change(conn, Change::by(admin), "authentication_factor.created", admin.organization(), &factor).await?;
        factor.totp.secret = Some(totp.secret().to_base32());
        factor.totp.uri = Some(uri);
        factor.totp.qr_code = Some(format!("data:image/png;base64,{qr_code}"));
        Ok(factor)
    }

    /// Starts a challenge of a factor.
    async fn insert_challenge(
        conn: &mut Connection,
        factor: &AuthenticationFactorId,
    ) -> Result<AuthenticationChallenge, AppError> {
        let now = now_ms();
        let row = ChallengeRow {
            id: AuthenticationChallengeId::generate().to_string(),
            factor_id: factor.to_string(),
            expires_at: now + CHALLENGE_LIFETIME_MS,
            verified_at: None,
            failed_attempts: 0,
            created_at: now,
            updated_at: now,
        };
        db::insert_challenge(conn, &row).await?;
        Ok(row.into_challenge())
    }

    /// Reads a factor the grant reaches. A user's factor is reached through its user: seeing
    /// them (`credentials: false`) or changing their credentials (`credentials: true`); a
    /// factor without a user through the organization that enrolled it.
    async fn reachable_factor(
        conn: &mut Connection,
        admin: &Admin,
        id: &AuthenticationFactorId,
        credentials: bool,
    ) -> Result<FactorRow, AppError> {
        let what = "Authentication factor";
        let row = db::find_factor(conn, id).await?.ok_or_else(|| AppError::not_found(what))?;
        match &row.user_id {
            Some(user) => {
                let user = UserId::from_trusted(user.clone());
                let found = match credentials {
                    true => Self::user_for_credentials(conn, admin, &user).await,
                    false => Self::reachable_user(conn, admin, &user).await,
                };
                // Another tenant's user's factor is not found, like the user.
                found.map_err(|error| match error {
                    AppError::NotFound(_) => AppError::not_found(what),
                    other => other,
                })?;
            }
            None => {
                let organization = row.organization_id.clone().map(OrganizationId::from_trusted);
                admin.require_reach_of(organization.as_ref(), what)?;
            }
        }
        Ok(row)
    }
}

/// A TOTP key shown for enrollment on the hosted pages: its base32 secret, URI and QR code.
pub(crate) struct EnrollmentKey {
    pub secret: String,
    pub uri: String,
    pub qr_code: String,
}

impl EnrollmentKey {
    /// A new random key.
    pub(crate) fn generate() -> Result<String, AppError> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::thread_rng().fill_bytes(&mut bytes);
        let totp = totp(bytes, DEFAULT_ISSUER, "enrollment").map_err(|_| AppError::Internal)?;
        Ok(totp.secret().to_base32())
    }

    /// The key with this base32 secret, labelled for this account.
    pub(crate) fn of(secret: &str, account: &str) -> Result<Self, AppError> {
        let totp = enrollment_totp(secret, account)?;
        let uri = totp.to_url().map_err(|_| AppError::Internal)?;
        let qr_code = totp.to_qr_base64().map_err(|_| AppError::Internal)?;
        Ok(Self { secret: secret.to_owned(), uri, qr_code: format!("data:image/png;base64,{qr_code}") })
    }
}

/// The TOTP of a key shown for enrollment.
fn enrollment_totp(secret: &str, account: &str) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(secret).map_err(|_| AppError::Internal)?;
    totp(secret.as_bytes().to_vec(), DEFAULT_ISSUER, account).map_err(|_| AppError::Internal)
}

impl Core {
    /// Checks a code from any of the user's factors (the hosted challenge page asks for "the
    /// code from your app" without naming one); the step it proves is spent.
    pub(crate) async fn check_user_totp(&self, user: &UserId, code: &str) -> Result<bool, AppError> {
        let now = now_ms();
        let mut conn = self.store.read().await?;
        let slot = TOTP_LIMIT.reserve(&mut conn, user.as_str(), now).await?;
        let factors = db::all_factors_of(&mut conn, user).await?;
        drop(conn);
        let mut tx = self.store.begin().await?;
        for factor in &factors {
            if let Some(step) = stored_totp(factor)?.check(code.trim(), unix_seconds(now)) {
                let id = AuthenticationFactorId::from_trusted(factor.id.clone());
                if db::use_factor_step(&mut tx, &id, i64::try_from(step).unwrap_or(i64::MAX), now).await? {
                    commit(tx).await?;
                    slot.release(&mut *self.store.read().await?).await?;
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Enrolls the key shown on the hosted enrollment page once a code from it is right: the
    /// factor is created only then, so an abandoned enrollment leaves nothing to be asked for.
    pub(crate) async fn confirm_enrollment(
        &self,
        tx: &mut Connection,
        user: &User,
        secret: &str,
        code: &str,
        id: AuthenticationFactorId,
    ) -> Result<bool, AppError> {
        let now = now_ms();
        let totp = enrollment_totp(secret, &user.email)?;
        let Some(step) = totp.check(code.trim(), unix_seconds(now)) else { return Ok(false) };
        let row = FactorRow {
            id: id.to_string(),
            user_id: Some(user.id.to_string()),
            organization_id: None,
            kind: "totp".into(),
            issuer: DEFAULT_ISSUER.into(),
            account: user.email.clone(),
            secret: totp.secret().to_base32(),
            last_used_step: Some(i64::try_from(step).unwrap_or(i64::MAX)),
            created_at: now,
            updated_at: now,
        };
        db::insert_factor(tx, &row).await?;
        record_change(tx, Change::by_user(&user.id), "authentication_factor.created", None, &row.into_factor()).await?;
        Ok(true)
    }
}

#[async_trait]
impl AuthFactors for Core {
    async fn enroll_user_factor(
        &self,
        admin: &Admin,
        user: &UserId,
        factor: NewTotpFactor,
    ) -> Result<EnrolledFactor, AppError> {
        let mut errors = FieldErrors::default();
        let issuer = label(&mut errors, "totp_issuer", factor.issuer);
        let account = label(&mut errors, "totp_user", factor.user);
        let secret = new_secret(&mut errors, factor.secret);
        errors.finish()?;
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, user.as_str()).await?;
        let found = Self::user_for_credentials(&mut tx, admin, user).await?;
        let issuer = issuer.unwrap_or_else(|| DEFAULT_ISSUER.to_owned());
        let account = account.unwrap_or_else(|| found.email.clone());
        let factor = self.create_factor(&mut tx, admin, Some(&found), issuer, account, secret).await?;
        let challenge = Self::insert_challenge(&mut tx, &factor.id).await?;
        commit(tx).await?;
        Ok(EnrolledFactor { authentication_factor: factor, authentication_challenge: challenge })
    }

    async fn list_user_factors(
        &self,
        admin: &Admin,
        user: &UserId,
        page: Page,
    ) -> Result<List<AuthenticationFactor>, AppError> {
        let page = page.checked()?;
        let mut conn = self.store.read().await?;
        Self::reachable_user(&mut conn, admin, user).await?;
        Ok(db::list_factors_of(&mut conn, user, &page).await?.map(FactorRow::into_factor))
    }

    async fn enroll_factor(&self, admin: &Admin, factor: NewTotpFactor) -> Result<AuthenticationFactor, AppError> {
        let mut errors = FieldErrors::default();
        let issuer = label(&mut errors, "totp_issuer", factor.issuer);
        let account = label(&mut errors, "totp_user", factor.user);
        if issuer.is_none() {
            errors.add("totp_issuer", "totp_issuer_required", "totp_issuer is required.");
        }
        if account.is_none() {
            errors.add("totp_user", "totp_user_required", "totp_user is required.");
        }
        let secret = new_secret(&mut errors, factor.secret);
        errors.finish()?;
        let (Some(issuer), Some(account)) = (issuer, account) else { return Err(AppError::Internal) };
        let mut tx = self.store.begin().await?;
        let factor = self.create_factor(&mut tx, admin, None, issuer, account, secret).await?;
        commit(tx).await?;
        Ok(factor)
    }

    async fn get_factor(&self, admin: &Admin, id: &AuthenticationFactorId) -> Result<AuthenticationFactor, AppError> {
        let mut conn = self.store.read().await?;
        Ok(Self::reachable_factor(&mut conn, admin, id, false).await?.into_factor())
    }

    async fn delete_factor(&self, admin: &Admin, id: &AuthenticationFactorId) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        let row = Self::reachable_factor(&mut tx, admin, id, true).await?;
        db::delete_factor(&mut tx, &row.id).await?;
        let factor = row.into_factor();
        record_change(&mut tx, Change::by(admin), "authentication_factor.deleted", admin.organization(), &factor)
            .await?;
        commit(tx).await?;
        Ok(())
    }

    async fn challenge_factor(
        &self,
        admin: &Admin,
        id: &AuthenticationFactorId,
    ) -> Result<AuthenticationChallenge, AppError> {
        let mut tx = self.store.begin().await?;
        let row = Self::reachable_factor(&mut tx, admin, id, false).await?;
        let challenge = Self::insert_challenge(&mut tx, &AuthenticationFactorId::from_trusted(row.id)).await?;
        commit(tx).await?;
        Ok(challenge)
    }

    async fn verify_challenge(
        &self,
        admin: &Admin,
        id: &AuthenticationChallengeId,
        code: &str,
    ) -> Result<ChallengeVerification, AppError> {
        let what = "Authentication challenge";
        let now = now_ms();
        let mut conn = self.store.read().await?;
        let challenge = db::find_challenge(&mut conn, id).await?.ok_or_else(|| AppError::not_found(what))?;
        let factor_id = AuthenticationFactorId::from_trusted(challenge.factor_id.clone());
        let factor =
            Self::reachable_factor(&mut conn, admin, &factor_id, false).await.map_err(|error| match error {
                AppError::NotFound(_) => AppError::not_found(what),
                other => other,
            })?;
        if challenge.verified_at.is_some() {
            return Err(AppError::BadRequest("This authentication challenge has already been verified.".into()));
        }
        if challenge.expires_at <= now || challenge.failed_attempts >= MAX_CHALLENGE_FAILURES {
            return Err(AppError::BadRequest("This authentication challenge has expired; start a new one.".into()));
        }
        // Reserved before the code is checked, so parallel guesses cannot all slip through.
        let slot = TOTP_LIMIT.reserve(&mut conn, factor_id.as_str(), now).await?;
        drop(conn);

        let totp = stored_totp(&factor)?;
        let step = totp.check(code.trim(), unix_seconds(now));
        let mut tx = self.store.begin().await?;
        let accepted = match step {
            // A step at or before the last accepted one is a replay.
            Some(step) => {
                db::use_factor_step(&mut tx, &factor_id, i64::try_from(step).unwrap_or(i64::MAX), now).await?
            }
            None => false,
        };
        let organization = admin.organization();
        let data = serde_json::json!({
            "authentication_factor_id": factor_id,
            "authentication_challenge_id": id,
            "user_id": factor.user_id,
        });
        if !accepted {
            db::count_challenge_failure(&mut tx, id, now).await?;
            record_change(&mut tx, Change::by(admin), "authentication.mfa_failed", organization, &data).await?;
            let challenge = db::find_challenge(&mut tx, id).await?.ok_or(AppError::Internal)?;
            commit(tx).await?;
            return Ok(ChallengeVerification { challenge: challenge.into_challenge(), valid: false });
        }
        if !db::verify_challenge(&mut tx, id, now).await? {
            // Another request verified it first (its transaction rolls this one's step back).
            return Err(AppError::BadRequest("This authentication challenge has already been verified.".into()));
        }
        record_change(&mut tx, Change::by(admin), "authentication.mfa_succeeded", organization, &data).await?;
        let challenge = db::find_challenge(&mut tx, id).await?.ok_or(AppError::Internal)?;
        commit(tx).await?;
        // Only failed guesses count against the factor.
        let mut conn = self.store.read().await?;
        slot.release(&mut conn).await?;
        Ok(ChallengeVerification { challenge: challenge.into_challenge(), valid: true })
    }

    async fn reset_user_factors(&self, admin: &Admin, user: &UserId) -> Result<u64, AppError> {
        let mut tx = self.store.begin().await?;
        db::lock_row(&mut tx, Lockable::Users, user.as_str()).await?;
        Self::user_for_credentials(&mut tx, admin, user).await?;
        let deleted = Self::delete_factors_of(&mut tx, user, || Change::by(admin), admin.organization()).await?;
        commit(tx).await?;
        Ok(deleted)
    }
}

impl Core {
    /// Deletes every factor of a user, recording each deletion attributed to `change` in
    /// `organization`; returns how many there were.
    pub(crate) async fn delete_factors_of(
        conn: &mut Connection,
        user: &UserId,
        change: impl Fn() -> Change,
        organization: Option<&OrganizationId>,
    ) -> Result<u64, AppError> {
        let factors = db::all_factors_of(conn, user).await?;
        for row in &factors {
            db::delete_factor(conn, &row.id).await?;
            let deleted = row.clone().into_factor();
            record_change(conn, change(), "authentication_factor.deleted", organization, &deleted).await?;
        }
        Ok(factors.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::Fixture;
    use app::model::roles;

    /// RFC 6238 appendix B's SHA-1 key, `12345678901234567890`.
    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_follow_rfc_6238_with_six_digits_and_one_step_of_skew() {
        let totp = totp(RFC_KEY.to_vec(), "Roster", "ada@example.com").unwrap();
        // The appendix's eight-digit values, cut to the six digits WorkOS uses.
        for (time, code) in [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924")] {
            assert_eq!(totp.generate(time).to_string(), code, "at {time}");
            assert_eq!(totp.check(code, time), Some(time / 30));
        }
        assert_eq!(totp.check("287082", 59 + 30), Some(1), "one step late is accepted, as its own step");
        assert_eq!(totp.check("287082", 59 + 60), None, "two steps late is not");
        assert_eq!(totp.check("287082", 0), Some(1), "one step early is accepted");
        assert!(totp.to_url().unwrap().starts_with("otpauth://totp/Roster:ada%40example.com?secret="));
    }

    #[test]
    fn labels_and_secrets_are_checked() {
        let mut errors = FieldErrors::default();
        assert_eq!(label(&mut errors, "totp_issuer", Some("  Acme ".into())), Some("Acme".into()));
        assert_eq!(label(&mut errors, "totp_issuer", Some("   ".into())), None);
        assert!(errors.finish().is_ok());
        let mut errors = FieldErrors::default();
        label(&mut errors, "totp_user", Some("a:b".into()));
        assert!(errors.finish().unwrap_err().field_message("totp_user").is_some());

        let mut errors = FieldErrors::default();
        assert_eq!(new_secret(&mut errors, None).len(), SECRET_BYTES);
        assert_ne!(new_secret(&mut errors, None), new_secret(&mut errors, None));
        let spaced = "nagc cfs3 eyrb 422h naka kky3 xduo rmsr f===".to_owned();
        assert_eq!(new_secret(&mut errors, Some(spaced)).len(), 20, "lower case, spaces and padding are read");
        assert!(errors.finish().is_ok());
        let mut errors = FieldErrors::default();
        new_secret(&mut errors, Some("NAGCCFS3EYRB422HNAKA".into()));
        assert!(errors.finish().unwrap_err().field_message("totp_secret").is_some(), "100 bits are too few");
    }

    #[tokio::test]
    async fn a_step_is_accepted_once_per_factor() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (user, _) = fx.member(&acme, "ada@acme.test", roles::MEMBER).await;
        let enrolled = fx.core.enroll_user_factor(&fx.system(), &user.id, NewTotpFactor::default()).await.unwrap();
        let factor = enrolled.authentication_factor;
        let secret = factor.totp.secret.clone().unwrap();
        let totp = totp(Secret::try_from_base32(&secret).unwrap().as_bytes().to_vec(), "Roster", "ada").unwrap();
        let code = totp.generate(unix_seconds(now_ms())).to_string();
        let first = fx.core.verify_challenge(&fx.system(), &enrolled.authentication_challenge.id, &code).await.unwrap();
        let second = fx.core.challenge_factor(&fx.system(), &factor.id).await.unwrap();
        let replay = fx.core.verify_challenge(&fx.system(), &second.id, &code).await.unwrap();
        // A step boundary between the two calls cannot make the replay pass: the step it
        // matches is the one already used.
        assert!(first.valid);
        assert!(!replay.valid);
        let again = fx.core.verify_challenge(&fx.system(), &enrolled.authentication_challenge.id, &code).await;
        assert!(matches!(again, Err(AppError::BadRequest(_))), "{again:?}");
        let events = fx.events().await;
        assert!(events.contains(&"authentication.mfa_succeeded".to_owned()), "{events:?}");
        assert!(events.contains(&"authentication.mfa_failed".to_owned()), "{events:?}");
    }

    #[tokio::test]
    async fn a_deleted_user_takes_their_factors_and_challenges_along() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let (ada, _) = fx.member(&acme, "ada@acme.test", roles::MEMBER).await;
        let enrolled = fx.core.enroll_user_factor(&fx.system(), &ada.id, NewTotpFactor::default()).await.unwrap();
        app::directory::Users::delete_user(&fx.core, &fx.system(), &ada.id).await.unwrap();
        let factor = fx.core.get_factor(&fx.system(), &enrolled.authentication_factor.id).await;
        assert!(matches!(factor, Err(AppError::NotFound(_))), "{factor:?}");
        let challenge = enrolled.authentication_challenge.id;
        let verified = fx.core.verify_challenge(&fx.system(), &challenge, "123456").await;
        assert!(matches!(verified, Err(AppError::NotFound(_))), "{verified:?}");
    }

    #[tokio::test]
    async fn reach_follows_the_user_or_the_enrolling_organization() {
        let fx = Fixture::new().await;
        let acme = fx.organization("Acme").await;
        let globex = fx.organization("Globex").await;
        let (ada, _) = fx.member(&acme, "ada@acme.test", roles::MEMBER).await;
        let acme_owner = fx.owner_of(&acme).await;
        let enrolled = fx.core.enroll_user_factor(&acme_owner, &ada.id, NewTotpFactor::default()).await.unwrap();
        let factor = enrolled.authentication_factor.id;
        let globex_key = fx.key_of(&globex);
        assert!(matches!(fx.core.get_factor(&globex_key, &factor).await, Err(AppError::NotFound(_))));
        assert!(matches!(fx.core.reset_user_factors(&globex_key, &ada.id).await, Err(AppError::NotFound(_))));

        // Shared with Globex, Ada's factors are no longer Acme's alone to change.
        fx.join(&globex, &ada, roles::MEMBER).await;
        assert!(fx.core.get_factor(&acme_owner, &factor).await.is_ok());
        assert!(matches!(fx.core.delete_factor(&acme_owner, &factor).await, Err(AppError::Forbidden(_))));
        assert!(matches!(fx.core.reset_user_factors(&acme_owner, &ada.id).await, Err(AppError::Forbidden(_))));
        assert_eq!(fx.core.reset_user_factors(&fx.system(), &ada.id).await.unwrap(), 1);
        assert!(matches!(fx.core.get_factor(&fx.system(), &factor).await, Err(AppError::NotFound(_))));

        let labels = NewTotpFactor { issuer: Some("Acme".into()), user: Some("kiosk".into()), secret: None };
        let kiosk = fx.core.enroll_factor(&fx.key_of(&acme), labels).await.unwrap();
        assert_eq!(kiosk.user_id, None);
        assert!(fx.core.challenge_factor(&fx.key_of(&acme), &kiosk.id).await.is_ok());
        assert!(matches!(fx.core.challenge_factor(&globex_key, &kiosk.id).await, Err(AppError::NotFound(_))));
        assert!(fx.core.delete_factor(&fx.system(), &kiosk.id).await.is_ok());
    }
}
