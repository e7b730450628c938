//! Sending an activation (or password-reset) link: a new 256-bit token, only its
//! hash stored, earlier links voided, the mail queued in the same transaction.

use uuid::Uuid;

use crate::domain::audit::Actor;
use crate::domain::endpoints;
use crate::domain::user::{Status, User};
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::state::AppState;
use crate::store::{self, Tx};
use crate::tokens::opaque;

/// Activation for a first password, reset for an account that has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// First password.
    Activation,
    /// Forgotten password.
    Reset,
}

/// Issues a link for `user` and queues its mail in `tx`; marks an imported account invited.
pub async fn issue_link(
    state: &AppState,
    tx: &Tx,
    user: &User,
    purpose: Purpose,
    actor: &Actor,
    lang: Lang,
) -> Result<(), Internal> {
    let now = state.clock.now();
    issue_link_at(state, tx, user, purpose, actor, lang, now).await
}

/// [`issue_link`] for a mail sent at `send_at` (a paced campaign): the link's
/// lifetime starts when its mail goes out, not when it was queued.
pub async fn issue_link_at(
    state: &AppState,
    tx: &Tx,
    user: &User,
    purpose: Purpose,
    actor: &Actor,
    lang: Lang,
    send_at: time::OffsetDateTime,
) -> Result<(), Internal> {
    let now = state.clock.now();
    // Two invitations of one account at once (a campaign and a resend, two nodes)
    // run one after the other: the second voids the first's link, never two live ones.
    store::users::lock_row(tx.conn(), user.id).await?;
    let token = opaque::random_token();
    let ttl = time::Duration::try_from(state.settings.activation_link_ttl).unwrap_or(time::Duration::hours(72));
    let kind = match purpose {
        Purpose::Activation => "activation",
        Purpose::Reset => "reset",
    };
    store::activation_tokens::issue(tx.conn(), user.id, &opaque::hash(&token), kind, now, send_at + ttl).await?;
    let link = link_url(state, &token);
    let hours = u64::try_from(ttl.whole_hours()).unwrap_or(72);
    let message = match purpose {
        Purpose::Activation => Message::Activation { link, hours },
        Purpose::Reset => Message::PasswordReset { link, hours },
    };
    mail::queue_at(tx.conn(), user, &message, lang, &crate::flows::mail_sender(state), now, send_at).await?;
    store::users::mark_invited(tx.conn(), user.id, now).await?;
    let mut event =
        actor.event(if purpose == Purpose::Activation { "user.invited" } else { "user.reset_link_sent" }, None);
    event.subject_user_id = Some(user.id);
    store::audit::record(tx.conn(), &event, now).await?;
    Ok(())
}

/// The address of an activation (or reset) link.
pub fn link_url(state: &AppState, token: &str) -> String {
    format!("{}?token={token}", endpoints::url(&state.settings.issuer, endpoints::ACTIVATE))
}

/// Sends an activation link to one account (admin action, demo, tests).
pub async fn send_activation(state: &AppState, user_id: Uuid, actor: &Actor) -> Result<bool, Internal> {
    let tx = state.store.begin().await?;
    let Some(user) = store::users::find(tx.conn(), user_id).await? else { return Ok(false) };
    let purpose = if user.status == Status::Active { Purpose::Reset } else { Purpose::Activation };
    issue_link(state, &tx, &user, purpose, actor, Lang::Pl).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(true)
}
