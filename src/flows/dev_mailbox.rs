//! The development mailbox (`/dev/mail`): the newest queued mails, readable only
//! in demo mode and only when no SMTP server is configured, so real mail never
//! shows up on a web page.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::flows::Internal;
use crate::state::AppState;
use crate::store::{self, mail_outbox::MailRow};

/// How many of the newest mails the mailbox lists.
const SHOWN: u64 = 50;

/// One mail as the development mailbox shows it.
#[derive(Debug, Clone)]
pub struct DevMail {
    /// Outbox id: the address of its own page.
    pub id: Uuid,
    /// Subject line.
    pub subject: String,
    /// Recipient address.
    pub recipient: String,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// The plain-text part.
    pub body_text: String,
    /// The HTML part, as a mail client would get it.
    pub body_html: String,
}

impl From<MailRow> for DevMail {
    fn from(row: MailRow) -> Self {
        Self {
            id: row.id,
            subject: row.subject,
            recipient: row.recipient,
            created_at: row.created_at,
            body_text: row.body_text,
            body_html: row.body_html,
        }
    }
}

/// Whether the mailbox may be shown at all.
fn open(state: &AppState) -> bool {
    state.demo_mode && state.settings.smtp_url.is_none()
}

/// The newest mails, newest first; `None` when the mailbox is closed.
pub async fn recent(state: &AppState) -> Result<Option<Vec<DevMail>>, Internal> {
    if !open(state) {
        return Ok(None);
    }
    let rows = store::mail_outbox::recent(state.store.conn(), SHOWN).await?;
    Ok(Some(rows.into_iter().map(DevMail::from).collect()))
}

/// One mail; `None` when the mailbox is closed or there is no such mail.
pub async fn one(state: &AppState, id: Uuid) -> Result<Option<DevMail>, Internal> {
    if !open(state) {
        return Ok(None);
    }
    Ok(store::mail_outbox::find(state.store.conn(), id).await?.map(DevMail::from))
}
