//! Fixed-window attempt counters.

use super::*;

/// Counts an attempt in a fixed window; returns the attempts so far and the window's start.
pub async fn count_attempt(
    conn: &mut Connection,
    bucket: &str,
    now: i64,
    window_ms: i64,
) -> Result<(i64, i64), StoreError> {
    let row = db::query(
        "INSERT INTO rate_limits (bucket, window_start, attempts) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
           attempts = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.attempts + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         RETURNING attempts, window_start",
    )
    .bind(bucket)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(conn)
    .await?;
    Ok((row.try_get("attempts")?, row.try_get("window_start")?))
}

/// Gives back an attempt taken from a bucket, when it turned out not to count (a success).
pub async fn release_attempt(conn: &mut Connection, bucket: &str) -> Result<(), StoreError> {
    db::query("UPDATE rate_limits SET attempts = attempts - 1 WHERE bucket = $1 AND attempts > 0")
        .bind(bucket)
        .execute(conn)
        .await?;
    Ok(())
}
