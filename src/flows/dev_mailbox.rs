//! The development mailbox (`/dev/mail`): the newest queued mails, readable only
//! in demo mode and only when no SMTP server is configured, so real mail never
//! shows up on a web page.

use time::OffsetDateTime;

use crate::flows::Internal;
use crate::state::AppState;
use crate::store;

/// How many of the newest mails the mailbox shows.
const SHOWN: u64 = 50;

/// One mail as the development mailbox shows it.
#[derive(Debug, Clone)]
pub struct DevMail {
    /// Subject line.
    pub subject: String,
    /// Recipient address.
    pub recipient: String,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// The plain-text part.
    pub body_text: String,
}

/// The newest mails, newest first; `None` when the mailbox is closed.
pub async fn recent(state: &AppState) -> Result<Option<Vec<DevMail>>, Internal> {
    if !state.demo_mode || state.settings.smtp_url.is_some() {
        return Ok(None);
    }
    let rows = store::mail_outbox::recent(state.store.conn(), SHOWN).await?;
    Ok(Some(
        rows.into_iter()
            .map(|m| DevMail {
                subject: m.subject,
                recipient: m.recipient,
                created_at: m.created_at,
                body_text: m.body_text,
            })
            .collect(),
    ))
}
