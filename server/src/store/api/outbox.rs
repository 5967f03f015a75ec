//! The outbox: every email Roster sends, written in the transaction of its cause, and the
//! delivery state its senders keep on it.
//!
//! A sender claims due messages by moving them to `sending` with a lease; each later write of
//! the sender names the attempt it made (`attempts`), so a sender whose lease was taken over
//! after it stalled cannot overwrite the newer attempt's result.

use super::*;
use crate::store::Backend;
use app::model::DeliveryState;

/// An email to queue: its recipient, subject, and text and HTML parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// The recipient's email address.
    pub recipient: String,
    /// One line: line breaks would end the header.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part, with everything people typed escaped.
    pub html: String,
}

/// A message a sender has claimed for one attempt.
#[derive(Clone, Debug)]
pub struct ClaimedMessage {
    /// The message's ID (`message_…`).
    pub id: String,
    /// The recipient's email address.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// Messages written before email delivery existed have no HTML part.
    pub html: Option<String>,
    /// The attempt this claim is, counted from 1; it identifies the claim.
    pub attempt: i64,
}

/// The columns an [`OutboxMessage`] is read from.
const COLUMNS: &str = "id, recipient, subject, body, created_at, state, attempts, last_attempt_at, next_attempt_at, \
                       last_error, sent_at";

/// Queues a message for delivery now.
pub async fn queue_message(conn: &mut Connection, message: &NewMessage, now: i64) -> Result<(), StoreError> {
    db::query(
        "INSERT INTO outbox (id, recipient, subject, body, html_body, created_at, state, attempts, queued_at, \
         next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $6, $6)",
    )
    .bind(app::ids::MessageId::generate().to_string())
    .bind(&message.recipient)
    .bind(&message.subject)
    .bind(&message.text)
    .bind(&message.html)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

fn outbox_message(row: &db::Row) -> Result<OutboxMessage, db::Error> {
    let delivery = DeliveryState::parse(&row.try_get::<String>("state")?);
    let attempts: i64 = row.try_get("attempts")?;
    let next_attempt_at: i64 = row.try_get("next_attempt_at")?;
    Ok(OutboxMessage {
        id: row.try_get("id")?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        created_at: iso(row.try_get("created_at")?),
        delivery,
        attempts,
        last_attempt_at: row.try_get::<Option<i64>>("last_attempt_at")?.map(iso),
        // Only a retry has a time of its own; a fresh message goes as soon as a sender looks.
        next_attempt_at: (delivery == DeliveryState::Queued && attempts > 0).then(|| iso(next_attempt_at)),
        last_error: row.try_get("last_error")?,
        sent_at: row.try_get::<Option<i64>>("sent_at")?.map(iso),
    })
}

/// A page of the outbox, newest first by default.
pub async fn list_outbox(conn: &mut Connection, page: &Page) -> Result<List<OutboxMessage>, StoreError> {
    let mut sql = SqlBuilder::new(&format!("SELECT {COLUMNS} FROM outbox WHERE 1 = 1"));
    sql.push_keyset("id", page);
    let rows = sql.query().fetch_all(conn).await?;
    let messages = rows.iter().map(outbox_message).collect::<Result<Vec<_>, db::Error>>()?;
    Ok(finish_page(messages, page, |message| message.id.clone()))
}

/// One message.
pub async fn find_message(conn: &mut Connection, id: &str) -> Result<Option<OutboxMessage>, StoreError> {
    let row = db::query(&format!("SELECT {COLUMNS} FROM outbox WHERE id = $1")).bind(id).fetch_optional(conn).await?;
    Ok(row.as_ref().map(outbox_message).transpose()?)
}

/// Puts a message back in line, due now, with its retries renewed. False when there is no
/// such message.
pub async fn requeue_message(conn: &mut Connection, id: &str, now: i64) -> Result<bool, StoreError> {
    let done = db::query(
        "UPDATE outbox SET state = 'queued', attempts = 0, queued_at = $2, next_attempt_at = $2, lease_until = NULL, \
         last_error = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether any message waits for delivery or is being delivered: when none does, a sender
/// need not take the write lock to claim.
pub async fn has_undelivered_messages(conn: &mut Connection) -> Result<bool, StoreError> {
    let row =
        db::query("SELECT id FROM outbox WHERE state IN ('queued', 'sending') LIMIT 1").fetch_optional(conn).await?;
    Ok(row.is_some())
}

/// How many messages wait in the outbox, by state (`queued`, `sending`), for the metrics.
pub async fn count_undelivered_messages(conn: &mut Connection) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = db::query_as(
        "SELECT state, COUNT(*) FROM outbox WHERE state IN ('queued', 'sending') GROUP BY state ORDER BY state",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Marks failed the queued messages put in line before `cutoff`: sent this late, a code or
/// link would arrive stale. Returns how many.
pub async fn fail_stale_messages(
    conn: &mut Connection,
    cutoff: i64,
    reason: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let done = db::query(
        "UPDATE outbox SET state = 'failed', last_error = $2, lease_until = NULL, last_attempt_at = $3 \
         WHERE state = 'queued' AND queued_at < $1",
    )
    .bind(cutoff)
    .bind(reason)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Claims up to `limit` due messages for one attempt each, leased until `lease_until`: the
/// queued ones whose time has come, and those whose sender's lease ran out (it stopped or
/// stalled mid-attempt). On PostgreSQL, rows another sender is claiming are skipped
/// (`FOR UPDATE SKIP LOCKED`), so replicas never claim the same message; on SQLite the
/// caller's write transaction keeps other senders out.
pub async fn claim_due_messages(
    conn: &mut Connection,
    backend: Backend,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<ClaimedMessage>, StoreError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_until = $2, last_attempt_at = $1 \
         WHERE id IN (SELECT id FROM outbox \
           WHERE (state = 'queued' AND next_attempt_at <= $1) OR (state = 'sending' AND lease_until <= $1) \
           ORDER BY next_attempt_at, id LIMIT $3{lock}) \
         RETURNING id, recipient, subject, body, html_body, attempts"
    );
    let rows = db::query(&sql).bind(now).bind(lease_until).bind(limit).fetch_all(conn).await?;
    let mut claimed = rows
        .iter()
        .map(|row| {
            Ok(ClaimedMessage {
                id: row.try_get("id")?,
                recipient: row.try_get("recipient")?,
                subject: row.try_get("subject")?,
                text: row.try_get("body")?,
                html: row.try_get("html_body")?,
                attempt: row.try_get("attempts")?,
            })
        })
        .collect::<Result<Vec<_>, db::Error>>()?;
    claimed.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(claimed)
}

/// Renews a claim's lease just before its attempt, so a batch that takes long cannot outlast
/// the lease of a message still waiting in it; false when the claim is no longer this
/// sender's (its lease ran out and another sender took it, or it was sent again).
pub async fn renew_lease(
    conn: &mut Connection,
    message: &ClaimedMessage,
    lease_until: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let done = db::query(
        "UPDATE outbox SET lease_until = $3, last_attempt_at = $4 \
         WHERE id = $1 AND attempts = $2 AND state = 'sending'",
    )
    .bind(&message.id)
    .bind(message.attempt)
    .bind(lease_until)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// The mail server accepted the message.
    Sent,
    /// It failed; try again at this time.
    RetryAt { at: i64, reason: String },
    /// It failed for good.
    Failed { reason: String },
}

/// Records how an attempt ended, if the claim is still this sender's; false when the message
/// was claimed again or sent again in the meantime (then that newer state stands).
pub async fn record_attempt(
    conn: &mut Connection,
    message: &ClaimedMessage,
    result: &AttemptResult,
    now: i64,
) -> Result<bool, StoreError> {
    let query = match result {
        AttemptResult::Sent => db::query(
            "UPDATE outbox SET state = 'sent', sent_at = $3, lease_until = NULL, last_error = NULL \
             WHERE id = $1 AND attempts = $2 AND state = 'sending'",
        )
        .bind(&message.id)
        .bind(message.attempt)
        .bind(now),
        AttemptResult::RetryAt { at, reason } => db::query(
            "UPDATE outbox SET state = 'queued', next_attempt_at = $3, last_error = $4, lease_until = NULL \
             WHERE id = $1 AND attempts = $2 AND state = 'sending'",
        )
        .bind(&message.id)
        .bind(message.attempt)
        .bind(*at)
        .bind(reason.as_str()),
        AttemptResult::Failed { reason } => db::query(
            "UPDATE outbox SET state = 'failed', last_error = $3, lease_until = NULL \
             WHERE id = $1 AND attempts = $2 AND state = 'sending'",
        )
        .bind(&message.id)
        .bind(message.attempt)
        .bind(reason.as_str()),
    };
    Ok(query.execute(conn).await?.rows_affected() == 1)
}

/// The newest message to a recipient, for tests: its subject and text part.
pub async fn latest_message_to(conn: &mut Connection, recipient: &str) -> Result<Option<(String, String)>, StoreError> {
    let row = db::query("SELECT subject, body FROM outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1")
        .bind(recipient)
        .fetch_optional(conn)
        .await?;
    row.map(|row| Ok((row.try_get("subject")?, row.try_get("body")?))).transpose()
}

/// Messages per delivery state, for tests and the sender's log.
pub async fn count_by_state(conn: &mut Connection, state: DeliveryState) -> Result<i64, StoreError> {
    let row =
        db::query("SELECT COUNT(*) AS n FROM outbox WHERE state = $1").bind(state.as_str()).fetch_one(conn).await?;
    Ok(row.try_get("n")?)
}
