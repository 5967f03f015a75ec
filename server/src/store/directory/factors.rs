//! Authentication factors and their challenges.

use super::*;

from_row! {
    #[derive(Debug, Clone)]
    /// A stored factor, secret included: only the core reads the secret, to check codes and to
    /// answer the enrollment.
    pub struct FactorRow {
        pub id: String,
        pub user_id: Option<String>,
        pub organization_id: Option<String>,
        pub kind: String,
        pub issuer: String,
        pub account: String,
        pub secret: String,
        pub last_used_step: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

const FACTOR_COLUMNS: &str =
    "id, user_id, organization_id, kind, issuer, account, secret, last_used_step, created_at, updated_at";

impl FactorRow {
    /// The wire form, without the secret.
    pub fn into_factor(self) -> AuthenticationFactor {
        AuthenticationFactor {
            id: AuthenticationFactorId::from_trusted(self.id),
            kind: FactorType::Totp,
            totp: TotpFactor { issuer: self.issuer, user: self.account, qr_code: None, secret: None, uri: None },
            user_id: self.user_id.map(UserId::from_trusted),
            created_at: iso(self.created_at),
            updated_at: iso(self.updated_at),
        }
    }
}

from_row! {
    #[derive(Debug, Clone)]
    /// A stored challenge.
    pub struct ChallengeRow {
        pub id: String,
        pub factor_id: String,
        pub expires_at: i64,
        pub verified_at: Option<i64>,
        pub failed_attempts: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

const CHALLENGE_COLUMNS: &str = "id, factor_id, expires_at, verified_at, failed_attempts, created_at, updated_at";

impl ChallengeRow {
    /// The wire form.
    pub fn into_challenge(self) -> AuthenticationChallenge {
        AuthenticationChallenge {
            id: AuthenticationChallengeId::from_trusted(self.id),
            authentication_factor_id: AuthenticationFactorId::from_trusted(self.factor_id),
            expires_at: iso(self.expires_at),
            created_at: iso(self.created_at),
            updated_at: iso(self.updated_at),
        }
    }
}

/// Stores a factor.
pub async fn insert_factor(conn: &mut Connection, row: &FactorRow) -> Result<(), StoreError> {
    db::query(&format!("INSERT INTO auth_factors ({FACTOR_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(&row.id)
        .bind(row.user_id.as_deref())
        .bind(row.organization_id.as_deref())
        .bind(&row.kind)
        .bind(&row.issuer)
        .bind(&row.account)
        .bind(&row.secret)
        .bind(row.last_used_step)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reads a factor by ID.
pub async fn find_factor(conn: &mut Connection, id: &AuthenticationFactorId) -> Result<Option<FactorRow>, StoreError> {
    fetch_optional_by(conn, &format!("SELECT {FACTOR_COLUMNS} FROM auth_factors WHERE id = $1"), id.as_str()).await
}

/// Lists a user's factors.
pub async fn list_factors_of(conn: &mut Connection, user: &UserId, page: &Page) -> Result<List<FactorRow>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {FACTOR_COLUMNS} FROM auth_factors WHERE user_id = "));
    sql.bind(user.as_str());
    sql.push_keyset("id", page);
    let rows: Vec<FactorRow> = sql.query().try_map(|mut row| FactorRow::from_row(&mut row)).fetch_all(conn).await?;
    Ok(finish_page(rows, page, |row| row.id.clone()))
}

/// Every factor of a user, oldest first.
pub async fn all_factors_of(conn: &mut Connection, user: &UserId) -> Result<Vec<FactorRow>, StoreError> {
    db::query_as(&format!("SELECT {FACTOR_COLUMNS} FROM auth_factors WHERE user_id = $1 ORDER BY id"))
        .bind(user.as_str())
        .fetch_all(conn)
        .await
        .map_err(StoreError::from)
}

/// Deletes a factor; its challenges go with it (`ON DELETE CASCADE`).
pub async fn delete_factor(conn: &mut Connection, id: &str) -> Result<(), StoreError> {
    db::query("DELETE FROM auth_factors WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// Records that a code of time step `step` was accepted, unless a code of this step or a later
/// one already was: one conditional update, so two requests with one code cannot both pass.
pub async fn use_factor_step(
    conn: &mut Connection,
    id: &AuthenticationFactorId,
    step: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let done = db::query(
        "UPDATE auth_factors SET last_used_step = $2, updated_at = $3 \
         WHERE id = $1 AND (last_used_step IS NULL OR last_used_step < $2)",
    )
    .bind(id.as_str())
    .bind(step)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores a challenge.
pub async fn insert_challenge(conn: &mut Connection, row: &ChallengeRow) -> Result<(), StoreError> {
    db::query(&format!("INSERT INTO auth_challenges ({CHALLENGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(&row.id)
        .bind(&row.factor_id)
        .bind(row.expires_at)
        .bind(row.verified_at)
        .bind(row.failed_attempts)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reads a challenge by ID.
pub async fn find_challenge(
    conn: &mut Connection,
    id: &AuthenticationChallengeId,
) -> Result<Option<ChallengeRow>, StoreError> {
    fetch_optional_by(conn, &format!("SELECT {CHALLENGE_COLUMNS} FROM auth_challenges WHERE id = $1"), id.as_str())
        .await
}

/// Marks a challenge verified; false when it already was, or expired, or another request
/// verified it first.
pub async fn verify_challenge(
    conn: &mut Connection,
    id: &AuthenticationChallengeId,
    now: i64,
) -> Result<bool, StoreError> {
    let done = db::query(
        "UPDATE auth_challenges SET verified_at = $2, updated_at = $2 \
         WHERE id = $1 AND verified_at IS NULL AND expires_at > $2",
    )
    .bind(id.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong code against a challenge.
pub async fn count_challenge_failure(
    conn: &mut Connection,
    id: &AuthenticationChallengeId,
    now: i64,
) -> Result<(), StoreError> {
    db::query("UPDATE auth_challenges SET failed_attempts = failed_attempts + 1, updated_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
