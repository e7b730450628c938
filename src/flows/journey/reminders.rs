//! Reminders before an activation link expires: once per link, a configurable
//! time before its end (`activation_reminder_hours`). Only the hash of a link is
//! stored, so the reminder carries a second link to the same account with the
//! same end; setting the password through either voids the other. Every node runs
//! this; the conditional claim of a link keeps two nodes from both reminding.

use super::invite::link_url;
use crate::domain::audit::Actor;
use crate::domain::user::Status;
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::state::AppState;
use crate::store;
use crate::tokens::opaque;

/// Links reminded per round, so one round stays short.
const ROUND: u64 = 500;

/// Queues the reminders that are due; returns how many.
pub async fn send_due(state: &AppState) -> Result<usize, Internal> {
    let Some(before) = state.settings.activation_reminder else { return Ok(0) };
    let before = time::Duration::try_from(before).unwrap_or(time::Duration::hours(24));
    let now = state.clock.now();
    let due = store::activation_tokens::due_for_reminder(state.store.conn(), now, before, ROUND).await?;
    let mut sent = 0;
    for link in due {
        let tx = state.store.begin().await?;
        if !store::activation_tokens::claim_reminder(tx.conn(), link.id, now).await? {
            continue;
        }
        let Some(user) = store::users::find(tx.conn(), link.user_id).await? else { continue };
        if user.status != Status::Invited || user.disabled {
            tx.commit().await?;
            continue;
        }
        let token = opaque::random_token();
        store::activation_tokens::add_reminder_link(tx.conn(), &link, &opaque::hash(&token), now).await?;
        // Rounded up: "expires in 24 h" for a link with 23 h 59 min left.
        let hours = u64::try_from((link.expires_at - now).whole_seconds()).unwrap_or(0).div_ceil(3600).max(1);
        let message = Message::ActivationReminder { link: link_url(state, &token), hours };
        mail::queue(tx.conn(), &user, &message, Lang::Pl, &crate::flows::mail_sender(state), now).await?;
        let mut event = Actor::named("system").event("user.reminded", None);
        event.subject_user_id = Some(user.id);
        store::audit::record(tx.conn(), &event, now).await?;
        tx.commit().await?;
        sent += 1;
    }
    if sent > 0 {
        state.mail_queued.notify_one();
    }
    Ok(sent)
}
