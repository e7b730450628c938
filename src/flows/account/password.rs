//! Changing the password from the account page: the current password (checked
//! like a sign-in, under the same attempt limits and lockout), the new one twice
//! under the rules of "Ustawienie hasła". The change ends every other session of
//! the account (with back-channel logout), every grant (refresh tokens die) and
//! every sign-in in progress, mails the owner and is audited — one transaction.

use super::actor;
use crate::domain::password::{self, Rule};
use crate::domain::secret::Password;
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::flows::Internal;
use crate::flows::journey::{self, Origin, Surface};
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::state::AppState;
use crate::store;

/// The outcome of a password change.
#[derive(Debug)]
pub enum Change {
    /// New password stored; everything else signed out.
    Done,
    /// The current password is wrong (or the account is locked): nothing changed.
    WrongCurrent,
    /// The new password breaks these rules: nothing changed.
    Refused(Vec<Rule>),
    /// Too many failures from this client address.
    TooMany,
}

/// Changes the password of the signed-in person; `session` stays signed in.
pub async fn change(
    state: &AppState,
    session: &Session,
    user: &User,
    passwords: (&Password, &Password, &Password),
    origin: &Origin,
    lang: Lang,
) -> Result<Change, Internal> {
    let (current, new, repeated) = passwords;
    let broken =
        password::check(new.expose(), repeated.expose(), &password::Context { login: &user.login, email: &user.email });
    if !broken.is_empty() {
        return Ok(Change::Refused(broken));
    }
    if !journey::reserve_address(state, Surface::SignIn, origin).await? {
        return Ok(Change::TooMany);
    }
    let conn = state.store.conn();
    let now = state.clock.now();
    // The slot is taken before the current password is verified, as at sign-in:
    // a stolen session cannot guess the password faster than the sign-in page can.
    let reserved = store::users::reserve_attempt(conn, user.id, state.settings.limits.threshold, now).await?;
    let stored = reserved.as_ref().and_then(|r| r.password_hash.clone());
    let right = state.hasher.verify(current.expose().chars().take(1024).collect(), stored).await;
    if reserved.is_none() || !right {
        journey::lockout::lock_if_exhausted(state, user, lang).await?;
        return Ok(Change::WrongCurrent);
    }
    journey::release_address(state, Surface::SignIn, origin).await?;
    let Ok(hash) = state.hasher.hash(new.expose().to_string()).await else {
        return Err(Internal(store::StoreError::Corrupt("password hashing failed".into())));
    };
    let actor = actor(user, origin);
    let tx = state.store.begin().await?;
    store::users::set_password(tx.conn(), user.id, &hash, now).await?;
    for other in store::sessions::open_for_user(tx.conn(), user.id).await? {
        if other.id != session.id {
            crate::flows::logout::end_session_in(state, &tx, &other, &actor, now).await?;
        }
    }
    for grant in store::grants::for_user(tx.conn(), user.id).await? {
        store::grants::revoke(tx.conn(), grant.id, now).await?;
    }
    store::login_transactions::end_all_for_user(tx.conn(), user.id, now).await?;
    let mut event = actor.event("user.password_changed", None);
    event.subject_user_id = Some(user.id);
    store::audit::record(tx.conn(), &event, now).await?;
    mail::queue(tx.conn(), user, &Message::AccountPasswordChanged, lang, &crate::flows::mail_sender(state), now)
        .await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(Change::Done)
}
