//! Everything the console shows about one person: the account's state, its open
//! sessions, its recent audit events and the mails sent to it (kind and time
//! only: never a link or a code).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::audit::{AuditFilter, AuditRecord};
use crate::flows::Internal;
use crate::flows::accounts::{self, AccountDetails, SessionView};
use crate::state::AppState;
use crate::store;

/// How many audit events and mails the page lists.
const RECENT: u64 = 20;

/// One mail sent (or waiting to be sent) to a person.
#[derive(Debug, Clone)]
pub struct MailSent {
    /// The message kind (`activation`, `login_number`, `one_time_code`, …).
    pub kind: String,
    /// When it was queued.
    pub queued_at: OffsetDateTime,
    /// When the mail server took it, if it has.
    pub sent_at: Option<OffsetDateTime>,
}

/// A person's page.
#[derive(Debug, Clone)]
pub struct PersonView {
    /// The account's state.
    pub details: AccountDetails,
    /// Open browser sessions.
    pub sessions: Vec<SessionView>,
    /// Newest audit events about the person.
    pub events: Vec<AuditRecord>,
    /// Newest mails to the person.
    pub mails: Vec<MailSent>,
}

/// The page of the person with `id`; `None` when there is no such account.
pub async fn person(state: &AppState, id: Uuid) -> Result<Option<PersonView>, Internal> {
    let Some(details) = accounts::details(state, id).await? else { return Ok(None) };
    let sessions = accounts::sessions(state, id).await?.unwrap_or_default();
    let filter = AuditFilter { subject_user_id: Some(id), ..AuditFilter::default() };
    let (events, _) = store::audit::search(state.store.conn(), &filter, 0, RECENT).await?;
    let mails = store::mail_outbox::kinds_for_user(state.store.conn(), id, RECENT)
        .await?
        .into_iter()
        .map(|(kind, queued_at, sent_at)| MailSent { kind, queued_at, sent_at })
        .collect();
    Ok(Some(PersonView { details, sessions, events, mails }))
}

/// The organisations a person may be moved to, by name (the edit form's list).
pub async fn organizations(state: &AppState) -> Result<Vec<(Uuid, String)>, Internal> {
    let (found, _) = crate::flows::organizations::search(&state.store, None, 0, 1000).await?;
    let mut all: Vec<(Uuid, String)> = found.into_iter().map(|(org, _)| (org.id, org.name)).collect();
    all.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(all)
}
