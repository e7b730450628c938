//! The delivery worker: claims due mails from the outbox (on any node), sends them
//! through SMTP, and marks each sent once. Failures are retried with exponential
//! back-off up to a cap; an SMTP outage delays mail, it never drops it. Without SMTP
//! (the embedded default) mails go to the development mailbox (`/dev/mail`).

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::Notify;

use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::store::mail_outbox::{self, MailRow};
use crate::store::{Store, StoreError};

/// Attempts before a mail is given up (about a day of back-off).
pub const MAX_ATTEMPTS: i32 = 12;
/// How long a claimed mail is reserved for the claiming worker.
const LEASE: time::Duration = time::Duration::minutes(2);

/// Why a delivery round stopped: the outbox could not be read or updated (a
/// failed send is not an error of the round; it is recorded and retried).
#[derive(Debug, thiserror::Error)]
#[error("internal error: {0}")]
pub struct DeliveryError(#[from] pub StoreError);

/// What the worker needs from a running node: the outbox's database, the clock
/// and the signal flows give when they queue a mail.
#[derive(Clone)]
pub struct Outbox {
    /// The database holding the outbox.
    pub store: Store,
    /// The clock deliveries are timed by.
    pub clock: Clock,
    /// Notified when a flow has queued mail.
    pub queued: Arc<Notify>,
    /// Counts deliveries and failures.
    pub metrics: Arc<crate::metrics::Registry>,
}

/// Where mail goes.
#[derive(Clone)]
pub enum Transport {
    /// A real SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Kept in the database for `/dev/mail`.
    DevMailbox,
}

impl Transport {
    /// The transport the settings ask for.
    pub fn from_url(smtp_url: Option<&str>) -> Result<Self, String> {
        match smtp_url {
            None => Ok(Transport::DevMailbox),
            Some(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("KUKE_ID_SMTP_URL: {e}"))?;
                Ok(Transport::Smtp(builder.timeout(Some(Duration::from_secs(20))).build()))
            }
        }
    }
}

/// Mails handed to the relay at once. Each mail waits for the relay's answer,
/// and lettre writes the end-of-data marker apart from the body, which Nagle's
/// algorithm holds back until the relay acknowledges the body (a delayed ACK,
/// up to 40 ms): one mail at a time would cap a node at a few dozen a second.
/// lettre's pool keeps up to ten connections, so eight fit.
const PARALLEL_SENDS: usize = 8;

/// Delivers the mails that are due: how many were sent, and whether the batch was full.
pub async fn deliver_due(outbox: &Outbox, transport: &Transport, from: &Mailbox) -> Result<Round, DeliveryError> {
    let Outbox { store, clock, metrics, .. } = outbox;
    let now = clock.now();
    let claimed = mail_outbox::claim_due(store.conn(), now, BATCH, LEASE).await?;
    let full = claimed.len() == usize::try_from(BATCH).unwrap_or(usize::MAX);
    let mut due = claimed.into_iter().peekable();
    let mut sent = 0;
    while due.peek().is_some() {
        let mut sends = tokio::task::JoinSet::new();
        for row in due.by_ref().take(PARALLEL_SENDS) {
            let (transport, from) = (transport.clone(), from.clone());
            sends.spawn(async move {
                let result = send(&transport, &from, &row).await;
                (row, result)
            });
        }
        // A send that panicked leaves its row claimed; the lease lapses and it is tried again.
        while let Some(joined) = sends.join_next().await {
            let Ok((row, result)) = joined else { continue };
            match result {
                Ok(()) => {
                    let keep_body = matches!(transport, Transport::DevMailbox);
                    if mail_outbox::mark_sent(store.conn(), row.id, clock.now(), keep_body).await? {
                        metrics.mail_sent(&row.kind);
                        sent += 1;
                    }
                }
                Err(Failure { message, permanent }) => {
                    let now = clock.now();
                    let retry = (!permanent && row.attempts + 1 < MAX_ATTEMPTS).then(|| now + backoff(row.attempts));
                    tracing::warn!(mail = %row.id, kind = %row.kind, attempts = row.attempts + 1, permanent, error = %message, "mail delivery failed");
                    mail_outbox::attempt_failed(store.conn(), &row, &message, retry, now).await?;
                    metrics.mail_failed(&row.kind, retry.is_none());
                }
            }
        }
    }
    Ok(Round { sent, full })
}

/// How many mails a round claims at most.
const BATCH: u64 = 50;

/// What one delivery round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Mails handed to the transport and marked sent.
    pub sent: usize,
    /// The round claimed a whole batch: more may be due at once.
    pub full: bool,
}

struct Failure {
    message: String,
    permanent: bool,
}

async fn send(transport: &Transport, from: &Mailbox, row: &MailRow) -> Result<(), Failure> {
    let Transport::Smtp(smtp) = transport else { return Ok(()) };
    let to: Mailbox =
        row.recipient.parse().map_err(|e| Failure { message: format!("bad recipient: {e}"), permanent: true })?;
    let message = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .multipart(MultiPart::alternative_plain_html(row.body_text.clone(), row.body_html.clone()))
        .map_err(|e| Failure { message: format!("cannot build the message: {e}"), permanent: true })?;
    smtp.send(message).await.map(|_| ()).map_err(|e| Failure { permanent: e.is_permanent(), message: e.to_string() })
}

/// 30 s, 1 min, 2 min … capped at 2 h.
pub fn backoff(attempts: i32) -> time::Duration {
    let exponent = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    time::Duration::seconds(30i64.saturating_mul(2i64.saturating_pow(exponent)).min(2 * 3600))
}

/// The worker loop: every second, or at once when a flow queued a mail. The
/// transport and sender come from `settings`.
pub async fn run(outbox: Outbox, settings: Arc<Settings>) {
    let transport = match Transport::from_url(settings.smtp_url.as_ref().map(|url| url.expose())) {
        Ok(transport) => transport,
        Err(error) => {
            tracing::error!(%error, "mail delivery disabled");
            return;
        }
    };
    let from: Mailbox = match settings.mail_from.parse() {
        Ok(from) => from,
        Err(error) => {
            tracing::error!(%error, "KUKE_ID_MAIL_FROM is not a mailbox; mail delivery disabled");
            return;
        }
    };
    let mut moves = outbox.clock.advanced();
    loop {
        // A round that claimed less than a batch took every mail due: the next
        // waits for a flow's signal (a mail queued meanwhile has left one), the
        // clock or the tick, instead of asking the database again at once.
        match deliver_due(&outbox, &transport, &from).await {
            Ok(Round { full: true, .. }) => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "mail delivery round failed"),
        }
        tokio::select! {
            () = outbox.queued.notified() => {}
            () = moves.next() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), time::Duration::seconds(30));
        assert_eq!(backoff(1), time::Duration::seconds(60));
        assert_eq!(backoff(20), time::Duration::hours(2));
    }
}
