//! One-time codes (email verification, password reset, magic auth).

use super::*;

/// What a one-time code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodePurpose {
    EmailVerification,
    PasswordReset,
    MagicAuth,
    /// A code that proves, once more, that a signed-in person reads their email, before a
    /// widget changes their credentials.
    ElevatedAccess,
    /// A code sent to a new address a person wants to use; the row's email is that address.
    EmailChange,
    /// A TOTP key being enrolled from a widget; the row's secret is the key, its ID the
    /// challenge that confirms it.
    TotpEnrollment,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::EmailVerification => "email_verification",
            Self::PasswordReset => "password_reset",
            Self::MagicAuth => "magic_auth",
            Self::ElevatedAccess => "elevated_access",
            Self::EmailChange => "email_change",
            Self::TotpEnrollment => "totp_enrollment",
        }
    }
}

from_row! {
    #[derive(Debug, Clone)]
    /// A stored one-time code.
    pub struct CodeRow {
        pub id: String,
        pub user_id: String,
        pub email: String,
        pub secret: String,
        pub consumed_at: Option<i64>,
        pub expires_at: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub(super) const CODE_COLUMNS: &str = "id, user_id, email, secret, consumed_at, expires_at, created_at, updated_at";

/// Stores a one-time code.
pub async fn insert_code(conn: &mut Connection, purpose: CodePurpose, row: &CodeRow) -> Result<(), StoreError> {
    db::query(&format!(
        "INSERT INTO one_time_codes ({CODE_COLUMNS}, purpose) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.email)
    .bind(&row.secret)
    .bind(row.consumed_at)
    .bind(row.expires_at)
    .bind(row.created_at)
    .bind(row.updated_at)
    .bind(purpose.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads a code by ID.
pub async fn find_code(conn: &mut Connection, purpose: CodePurpose, id: &str) -> Result<Option<CodeRow>, StoreError> {
    db::query_as(&format!("SELECT {CODE_COLUMNS} FROM one_time_codes WHERE purpose = $1 AND id = $2"))
        .bind(purpose.as_str())
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(StoreError::from)
}

/// Reads the live code with this secret (for a user, when given).
pub async fn find_live_code(
    conn: &mut Connection,
    purpose: CodePurpose,
    secret: &str,
    user: Option<&str>,
    max_failures: i64,
    now: i64,
) -> Result<Option<CodeRow>, StoreError> {
    let mut sql = format!(
        "SELECT {CODE_COLUMNS} FROM one_time_codes WHERE purpose = $1 AND secret = $2 AND consumed_at IS NULL \
         AND expires_at > $3 AND failed_attempts < $4"
    );
    if user.is_some() {
        sql.push_str(" AND user_id = $5");
    }
    let query = db::query_as(&sql).bind(purpose.as_str()).bind(secret).bind(now).bind(max_failures);
    let query = match user {
        Some(user) => query.bind(user),
        None => query,
    };
    query.fetch_optional(conn).await.map_err(StoreError::from)
}

/// Counts a wrong guess against a user's live codes of one purpose.
pub async fn count_code_failure(
    conn: &mut Connection,
    purpose: CodePurpose,
    user: &str,
    now: i64,
) -> Result<(), StoreError> {
    db::query(
        "UPDATE one_time_codes SET failed_attempts = failed_attempts + 1, updated_at = $3 \
         WHERE purpose = $1 AND user_id = $2 AND consumed_at IS NULL AND expires_at > $3",
    )
    .bind(purpose.as_str())
    .bind(user)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a user's live codes of one purpose, when a newer one replaces them.
pub async fn consume_codes_of(
    conn: &mut Connection,
    purpose: CodePurpose,
    user: &str,
    now: i64,
) -> Result<(), StoreError> {
    db::query(
        "UPDATE one_time_codes SET consumed_at = $3, updated_at = $3 \
         WHERE purpose = $1 AND user_id = $2 AND consumed_at IS NULL",
    )
    .bind(purpose.as_str())
    .bind(user)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a code used; false when another request used it first.
pub async fn consume_code(conn: &mut Connection, id: &str, now: i64) -> Result<bool, StoreError> {
    let done =
        db::query("UPDATE one_time_codes SET consumed_at = $2, updated_at = $2 WHERE id = $1 AND consumed_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
