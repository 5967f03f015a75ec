//! Email delivery over SMTP: the background sender that empties the outbox.
//!
//! Messages are written to the outbox in the transaction of their cause (an invitation, a
//! code); this sender claims the due ones, delivers each with lettre, and records the result.
//! A failed attempt is retried with exponential backoff, up to a limit, unless the server
//! refused the message for good (a 5xx reply); then the message is marked failed with the
//! reason. A claim is a lease: a message whose sender stopped mid-attempt is claimed again
//! once the lease has run out, so nothing is lost across a restart; on PostgreSQL claims skip
//! rows another replica is claiming, so each message is sent by one replica.

use crate::ops::metrics;
use crate::ops::shutdown::Stop;
use crate::store::api::{self, AttemptResult, ClaimedMessage};
use crate::store::{Store, StoreError, commit, now_ms};
use anyhow::Context;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Where and as whom to send.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// `smtp://[user:password@]host[:port]` (STARTTLS when the server offers it is not tried:
    /// add `?tls=required` for STARTTLS), or `smtps://…` for implicit TLS (port 465 by default).
    pub url: String,
    /// The `From` of every message, e.g. `Roster <no-reply@example.com>`.
    pub from: Mailbox,
    /// PEM certificates to trust besides the public roots, for a relay with a private CA.
    pub extra_roots_pem: Option<Vec<u8>>,
}

impl SmtpSettings {
    /// Reads the settings from their configured strings, with errors that name them.
    pub fn parse(url: &str, from: &str, ca_file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let from = from.parse::<Mailbox>().with_context(|| format!("ROSTER_EMAIL_FROM {from:?} is not a mailbox"))?;
        let extra_roots_pem = match ca_file {
            Some(path) => Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?),
            None => None,
        };
        let settings = Self { url: url.to_owned(), from, extra_roots_pem };
        settings.transport().context("ROSTER_SMTP_URL")?;
        Ok(settings)
    }

    /// The SMTP transport: lettre's own reading of the URL, with the extra roots trusted.
    pub fn transport(&self) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.url)?;
        if let Some(pem) = &self.extra_roots_pem {
            let url = url::Url::parse(&self.url)?;
            let host = url.host_str().context("the URL names no host")?.to_owned();
            let tls = TlsParameters::builder(host).add_root_certificate(Certificate::from_pem(pem)?).build_rustls()?;
            let mode = url.query_pairs().find(|(key, _)| key == "tls").map(|(_, value)| value.into_owned());
            builder = match (url.scheme(), mode.as_deref()) {
                ("smtps", _) => builder.tls(Tls::Wrapper(tls)),
                ("smtp", Some("required")) => builder.tls(Tls::Required(tls)),
                ("smtp", Some("opportunistic")) => builder.tls(Tls::Opportunistic(tls)),
                _ => builder,
            };
        }
        // An attempt ends well within its lease, so no other sender takes it over meanwhile.
        Ok(builder.timeout(Some(SMTP_TIMEOUT)).build())
    }
}

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How the sender paces itself.
#[derive(Clone, Debug)]
pub struct SenderSettings {
    /// How often to look for due messages.
    pub poll_interval: Duration,
    /// How long a claim lasts; longer than an attempt can take.
    pub lease: Duration,
    /// Attempts before a message is marked failed.
    pub max_attempts: i64,
    /// The wait after the first failed attempt; it doubles after each further one.
    pub first_retry: Duration,
    /// The longest wait between attempts.
    pub max_retry: Duration,
    /// A message still waiting this long after it was queued is not sent late but marked failed.
    pub max_age: Duration,
    /// Messages claimed at once.
    pub batch: i64,
}

impl Default for SenderSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(2),
            lease: Duration::from_secs(120),
            max_attempts: 8,
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(3600),
            max_age: Duration::from_secs(24 * 3600),
            batch: 20,
        }
    }
}

impl SenderSettings {
    /// The wait after failed attempt number `attempt` (from 1): `first_retry`, doubled per
    /// further attempt, at most `max_retry`.
    pub fn backoff(&self, attempt: i64) -> Duration {
        let doublings = u32::try_from((attempt - 1).clamp(0, 30)).unwrap_or(30);
        self.first_retry.saturating_mul(2u32.saturating_pow(doublings)).min(self.max_retry)
    }
}

/// The background sender.
#[derive(Clone)]
pub struct Sender {
    store: Store,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    settings: SenderSettings,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("from", &self.from).field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// What one round of the sender did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Messages the server accepted.
    pub sent: usize,
    /// Messages that failed this time and wait for a retry.
    pub retrying: usize,
    /// Messages that failed for good.
    pub failed: usize,
}

impl Sender {
    /// A sender over `store` with the SMTP `smtp` settings.
    pub fn new(store: Store, smtp: &SmtpSettings, settings: SenderSettings) -> anyhow::Result<Self> {
        Ok(Self { store, transport: smtp.transport()?, from: smtp.from.clone(), settings })
    }

    /// Delivers due messages until the task is dropped; a failing database is logged and
    /// tried again at the next poll.
    pub async fn run(self) {
        self.run_until(Stop::never()).await;
    }

    /// Delivers due messages until `stop`: then the round under way (the messages claimed)
    /// is finished, no new one starts, and this returns.
    pub async fn run_until(self, stop: Stop) {
        tracing::info!(from = %self.from, "email delivery over SMTP started");
        let mut ticks = tokio::time::interval(self.settings.poll_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.clone().stopping() => break,
            }
            // A full batch suggests more are due: keep going without waiting for the tick.
            while !stop.is_stopping() {
                match self.deliver_due().await {
                    Ok(round) if round.sent + round.retrying + round.failed >= self.batch_size() => continue,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::error!(%error, "email delivery could not reach the database");
                        break;
                    }
                }
            }
            if stop.is_stopping() {
                break;
            }
        }
        tracing::info!("email delivery stopped");
    }

    fn batch_size(&self) -> usize {
        usize::try_from(self.settings.batch).unwrap_or(1)
    }

    /// Starts [`Sender::run`] on the runtime.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    /// Starts [`Sender::run_until`] on the runtime.
    pub fn spawn_until(self, stop: Stop) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run_until(stop))
    }

    /// Claims the due messages: messages left waiting past the maximum age are marked failed
    /// first, in the same transaction.
    pub async fn claim(&self) -> Result<Vec<ClaimedMessage>, StoreError> {
        if !api::has_undelivered_messages(&mut *self.store.read().await?).await? {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let cutoff = now - millis(self.settings.max_age);
        let stale = api::fail_stale_messages(&mut tx, cutoff, STALE_REASON, now).await?;
        if stale > 0 {
            tracing::warn!(stale, "queued emails too old to send were marked failed");
        }
        let lease_until = now + millis(self.settings.lease);
        let claimed =
            api::claim_due_messages(&mut tx, self.store.backend(), now, lease_until, self.settings.batch).await?;
        commit(tx).await?;
        Ok(claimed)
    }

    /// One round: claims the due messages, delivers each and records how it went.
    pub async fn deliver_due(&self) -> Result<Round, StoreError> {
        let claimed = self.claim().await?;
        let mut round = Round::default();
        for message in claimed {
            let now = now_ms();
            let lease_until = now + millis(self.settings.lease);
            if !api::renew_lease(&mut *self.store.read().await?, &message, lease_until, now).await? {
                continue;
            }
            let result = self.attempt(&message).await;
            match &result {
                AttemptResult::Sent => {
                    metrics::email_sent();
                    round.sent += 1;
                }
                AttemptResult::RetryAt { reason, .. } => {
                    tracing::warn!(id = %message.id, attempt = message.attempt, %reason, "email not delivered; will retry");
                    metrics::email_failed(false);
                    round.retrying += 1;
                }
                AttemptResult::Failed { reason } => {
                    tracing::warn!(id = %message.id, attempt = message.attempt, %reason, "email delivery failed");
                    metrics::email_failed(true);
                    round.failed += 1;
                }
            }
            let mut conn = self.store.read().await?;
            if !api::record_attempt(&mut conn, &message, &result, now_ms()).await? {
                tracing::info!(id = %message.id, "email was sent again or claimed anew meanwhile; its newer state stands");
            }
        }
        Ok(round)
    }

    /// Delivers one message and says how it went.
    async fn attempt(&self, message: &ClaimedMessage) -> AttemptResult {
        let email = match self.build(message) {
            Ok(email) => email,
            Err(reason) => return AttemptResult::Failed { reason },
        };
        match self.transport.send(email).await {
            Ok(_) => AttemptResult::Sent,
            // The server refused this message for good: trying again would be refused again.
            Err(error) if error.is_permanent() => AttemptResult::Failed { reason: error.to_string() },
            Err(error) if message.attempt >= self.settings.max_attempts => {
                AttemptResult::Failed { reason: format!("{error} (gave up after {} attempts)", message.attempt) }
            }
            Err(error) => AttemptResult::RetryAt {
                at: now_ms() + millis(self.settings.backoff(message.attempt)),
                reason: error.to_string(),
            },
        }
    }

    /// The email: typed headers (lettre encodes them; no header is assembled from strings)
    /// and a multipart/alternative body with the text and HTML parts.
    fn build(&self, message: &ClaimedMessage) -> Result<Message, String> {
        let to = message
            .recipient
            .parse::<lettre::Address>()
            .map(|address| Mailbox::new(None, address))
            .map_err(|error| format!("the recipient {:?} is not an email address: {error}", message.recipient))?;
        // The same ID on every attempt, so a server or client can tell a retry from a new message.
        let message_id = format!("<{}@{}>", message.id, self.from.email.domain());
        let builder = Message::builder()
            .message_id(Some(message_id))
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.as_str());
        let body = match &message.html {
            Some(html) => MultiPart::alternative_plain_html(message.text.clone(), html.clone()),
            None => MultiPart::alternative().singlepart(SinglePart::plain(message.text.clone())),
        };
        builder.multipart(body).map_err(|error| format!("the message could not be built: {error}"))
    }
}

/// The reason given for a message that waited too long to be sent.
pub const STALE_REASON: &str = "Not sent: it waited too long in the queue, and a late code or link would mislead. \
                                Send it again to deliver it now.";

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_the_cap() {
        let settings = SenderSettings::default();
        assert_eq!(settings.backoff(1), Duration::from_secs(30));
        assert_eq!(settings.backoff(2), Duration::from_secs(60));
        assert_eq!(settings.backoff(4), Duration::from_secs(240));
        assert_eq!(settings.backoff(9), Duration::from_secs(3600));
        assert_eq!(settings.backoff(1000), Duration::from_secs(3600));
    }

    #[tokio::test]
    async fn settings_name_what_is_wrong() {
        let error = SmtpSettings::parse("smtp://127.0.0.1:2525", "not a mailbox", None).unwrap_err();
        assert!(format!("{error:#}").contains("ROSTER_EMAIL_FROM"), "{error:#}");
        let error = SmtpSettings::parse("ftp://x", "Roster <a@b.test>", None).unwrap_err();
        assert!(format!("{error:#}").contains("ROSTER_SMTP_URL"), "{error:#}");
        for url in ["smtp://u:p@127.0.0.1:2525", "smtp://h.test?tls=required", "smtps://u:p@h.test"] {
            SmtpSettings::parse(url, "Roster <a@b.test>", None).unwrap();
        }
    }
}
