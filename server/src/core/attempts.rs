//! Attempt limits: fixed-window buckets in the store, reserved before the work they guard,
//! and the password check that runs within them.

use super::{Core, password, record, validate};
use crate::store::api;
use crate::store::directory as db;
use crate::store::{Connection, commit, now_ms};
use app::directory::Admin;
use app::error::AppError;
use app::ids::UserId;

/// A limit on attempts within a fixed window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// What the bucket is for, as its key's prefix.
    pub name: &'static str,
    pub attempts: i64,
    pub window_ms: i64,
}

/// Password sign-ins per email.
pub const PASSWORD_LIMIT: Limit = Limit { name: "password", attempts: 10, window_ms: 60_000 };
/// Failed sign-ins per client address, against password spraying across many emails.
pub const ADDRESS_LIMIT: Limit = Limit { name: "address", attempts: 30, window_ms: 60_000 };
/// Magic-auth code sign-ins per email.
pub const MAGIC_AUTH_LIMIT: Limit = Limit { name: "magic_auth", attempts: 10, window_ms: 60_000 };
/// Magic-auth codes issued per email.
pub const MAGIC_AUTH_ISSUE_LIMIT: Limit = Limit { name: "magic_auth_issue", attempts: 5, window_ms: 10 * 60_000 };
/// Codes a person has emailed from a widget (elevated access, email change), per user.
pub const WIDGET_CODE_LIMIT: Limit = Limit { name: "widget_code", attempts: 5, window_ms: 10 * 60_000 };
/// TOTP codes checked per authentication factor: six digits fall to guessing otherwise.
pub const TOTP_LIMIT: Limit = Limit { name: "totp", attempts: 10, window_ms: 60_000 };
/// Password reset links asked for per email, whether or not it has an account (so the limit
/// tells nothing), against flooding a mailbox.
pub const RESET_REQUEST_LIMIT: Limit = Limit { name: "reset_request", attempts: 5, window_ms: 10 * 60_000 };
/// Password reset links asked for per client address, across all emails.
pub const RESET_REQUEST_ADDRESS_LIMIT: Limit =
    Limit { name: "reset_request_address", attempts: 20, window_ms: 10 * 60_000 };

/// Which password attempts count against the per-email limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttemptPolicy {
    /// Every attempt, as the REST API promises.
    Every,
    /// Only wrong passwords: people signing in to the dashboard again and again are fine.
    FailuresOnly,
}

/// A password to check, and what it is checked for.
pub(crate) struct PasswordAttempt<'a> {
    pub email: &'a str,
    pub password: String,
    pub policy: AttemptPolicy,
    /// Where the attempt comes from, for the per-address limit.
    pub client_address: Option<&'a str>,
    /// The grant of the application asking, if any: an organization's grant cannot sign in,
    /// nor use up the attempts of, users it does not see.
    pub grant: Option<&'a Admin>,
}

/// A user whose password was just checked.
pub(crate) struct VerifiedUser {
    pub id: UserId,
    pub is_platform_admin: bool,
}

/// A slot taken from a rate-limit bucket, to give back if the attempt turns out not to count.
pub(crate) struct Reservation {
    bucket: String,
}

impl Limit {
    fn bucket(&self, key: &str) -> String {
        format!("{}:{key}", self.name)
    }

    /// Takes one of the window's slots for `key`, or refuses the attempt once they are spent.
    /// The count is one atomic upsert, so parallel attempts cannot all pass a check first.
    pub(crate) async fn reserve(&self, conn: &mut Connection, key: &str, now: i64) -> Result<Reservation, AppError> {
        let bucket = self.bucket(key);
        let (attempts, window_start) = api::count_attempt(conn, &bucket, now, self.window_ms).await?;
        if attempts > self.attempts {
            crate::ops::metrics::rate_limited(self.name);
            let retry_after_seconds = ((window_start + self.window_ms - now + 999) / 1000).max(1) as u64;
            return Err(AppError::RateLimited { retry_after_seconds });
        }
        Ok(Reservation { bucket })
    }
}

impl Reservation {
    /// Gives the slot back: the attempt succeeded, and only failures count.
    pub(crate) async fn release(self, conn: &mut Connection) -> Result<(), AppError> {
        Ok(api::release_attempt(conn, &self.bucket).await?)
    }
}

impl Core {
    /// Checks an email and password within the attempt limits kept in the store (so every
    /// replica counts the same attempts). Each attempt reserves its slots before the hash is
    /// verified. A stale hash is replaced on success.
    pub(crate) async fn check_password(&self, attempt: PasswordAttempt<'_>) -> Result<VerifiedUser, AppError> {
        // A malformed email fails like a wrong one, after the same work.
        let email = validate::email("email", attempt.email).unwrap_or_default();
        let now = now_ms();
        let mut conn = self.store.read().await?;
        let mut credentials = db::find_credentials_by_email(&mut conn, &email).await?;
        // A user out of the grant's reach is, to that grant, no user at all: it neither signs
        // them in nor spends their attempts.
        let mut counts_for_email = true;
        if let (Some(grant), Some(found)) = (attempt.grant, &credentials)
            && !grant.sees_user(&Self::standing_for(&mut conn, grant, &UserId::from_trusted(found.id.clone())).await?)
        {
            credentials = None;
            counts_for_email = false;
        }
        let address = match attempt.client_address {
            Some(address) => Some(ADDRESS_LIMIT.reserve(&mut conn, address, now).await?),
            None => None,
        };
        let email_slot = match counts_for_email {
            true => match PASSWORD_LIMIT.reserve(&mut conn, &email, now).await {
                Ok(slot) => Some(slot),
                Err(refused) => {
                    // Refused before any guess was evaluated: not a failure of this address.
                    if let Some(address) = address {
                        address.release(&mut conn).await?;
                    }
                    return Err(refused);
                }
            },
            false => None,
        };
        drop(conn);

        let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
        if !password::verify(attempt.password.clone(), hash.clone()).await {
            let mut tx = self.store.begin().await?;
            record(&mut tx, "authentication.password_failed", None, &serde_json::json!({ "email": email })).await?;
            commit(tx).await?;
            return Err(AppError::InvalidCredentials);
        }
        let credentials = credentials.ok_or(AppError::InvalidCredentials)?;
        let id = UserId::from_trusted(credentials.id);
        let mut conn = self.store.read().await?;
        if let Some(address) = address {
            address.release(&mut conn).await?;
        }
        if let (Some(slot), AttemptPolicy::FailuresOnly) = (email_slot, attempt.policy) {
            slot.release(&mut conn).await?;
        }
        drop(conn);
        // Every password sign-in passes here: a hash of another algorithm (an imported one) or
        // older parameters becomes today's Argon2id, once.
        if let Some(old) = hash.as_deref().filter(|hash| !password::is_current(hash)) {
            let fresh = password::hash(attempt.password).await?;
            let mut tx = self.store.begin().await?;
            db::replace_password_hash(&mut tx, &id, old, &fresh, now_ms()).await?;
            commit(tx).await?;
        }
        Ok(VerifiedUser { id, is_platform_admin: credentials.is_platform_admin != 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::Fixture;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_attempts_never_take_more_slots_than_a_limit_has() {
        let fx = Fixture::new().await;
        for limit in [
            PASSWORD_LIMIT,
            ADDRESS_LIMIT,
            MAGIC_AUTH_LIMIT,
            MAGIC_AUTH_ISSUE_LIMIT,
            TOTP_LIMIT,
            RESET_REQUEST_LIMIT,
            RESET_REQUEST_ADDRESS_LIMIT,
            WIDGET_CODE_LIMIT,
        ] {
            let mut attempts = tokio::task::JoinSet::new();
            for _ in 0..limit.attempts * 2 {
                let store = fx.core.store().clone();
                attempts.spawn(async move {
                    let mut conn = store.read().await?;
                    limit.reserve(&mut conn, "someone@example.com", now_ms()).await.map(drop)
                });
            }
            let results = attempts.join_all().await;
            let taken = results.iter().filter(|result| result.is_ok()).count();
            let refused = results.iter().filter(|result| matches!(result, Err(AppError::RateLimited { .. }))).count();
            assert_eq!((taken, refused), (limit.attempts as usize, limit.attempts as usize), "{}", limit.name);
        }
    }

    #[tokio::test]
    async fn a_released_slot_can_be_taken_again() {
        let fx = Fixture::new().await;
        let mut conn = fx.core.store().read().await.unwrap();
        for _ in 0..PASSWORD_LIMIT.attempts * 3 {
            let slot = PASSWORD_LIMIT.reserve(&mut conn, "ada@example.com", now_ms()).await.unwrap();
            slot.release(&mut conn).await.unwrap();
        }
    }
}
