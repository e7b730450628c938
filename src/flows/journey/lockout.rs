//! Locking an account whose attempts are used up: one winner among racing
//! requests locks it, ends its sign-ins in progress and mails the owner once.

use crate::domain::audit::AuditEvent;
use crate::domain::user::User;
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::state::AppState;
use crate::store;

/// Locks `user` when its failures reached the threshold and no lock is in force.
/// The sign-ins the account has in progress end with the lock, so a code already
/// mailed cannot finish one. Returns true when this call locked the account.
pub(crate) async fn lock_if_exhausted(state: &AppState, user: &User, lang: Lang) -> Result<bool, Internal> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let Some(length) = store::users::lock_if_exhausted(tx.conn(), user.id, &state.settings.limits, now).await? else {
        return Ok(false);
    };
    store::login_transactions::end_all_for_user(tx.conn(), user.id, now).await?;
    // Round up: a lock of a few seconds (tests, strict settings) still reads "1 minute".
    let minutes = u64::try_from((length.whole_seconds() + 59) / 60).unwrap_or(1).max(1);
    let message = Message::AccountLocked { minutes };
    mail::queue(tx.conn(), user, &message, lang, &crate::flows::mail_sender(state), now).await?;
    let mut event = AuditEvent::new("system", "user.locked", None);
    event.subject_user_id = Some(user.id);
    event.details = serde_json::json!({"minutes": minutes, "seconds": length.whole_seconds()});
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(true)
}
