//! Adding an authenticator app (a new secret, shown only while the setup lasts,
//! confirmed with a current code before it counts), removing it from the account
//! page, and the help desk's reset (admin API, `kuke-id users reset-totp`). The
//! secret is sealed under the key-encryption key with the owner's id as
//! associated data; ten recovery codes come with every confirmed app, stored as
//! hashes and shown once.

use uuid::Uuid;

use super::second_factor;
use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::totp::{self, TotpSecret};
use crate::domain::user::User;
use crate::flows::Internal;
use crate::flows::accounts::AccountError;
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::state::AppState;
use crate::store::{self, Tx};
use crate::tokens::{keys, opaque};

/// A setup in progress, as the setup page shows it (the only place the secret
/// is ever shown).
#[derive(Debug, Clone)]
pub struct Setup {
    /// The shared secret.
    pub secret: TotpSecret,
    /// What the QR code carries.
    pub otpauth_url: String,
}

/// Starts a new setup (a previous unfinished one is dropped). The account's
/// current app, if any, keeps working until the new one is confirmed.
pub async fn begin(state: &AppState, user: &User) -> Result<Setup, Internal> {
    let secret = TotpSecret::generate();
    let kek = state.key_encryption_key.as_deref().ok_or_else(|| super::corrupt("no key-encryption key"))?;
    let sealed = keys::seal_bytes(kek, &user.id.to_string(), secret.expose())
        .ok_or_else(|| super::corrupt("sealing an authenticator secret failed"))?;
    store::authenticators::start_setup(state.store.conn(), user.id, sealed, state.clock.now()).await?;
    setup_view(user, secret)
}

/// The setup in progress, if any (a reload of the setup page shows it again).
pub async fn pending(state: &AppState, user: &User) -> Result<Option<Setup>, Internal> {
    let Some(row) = store::authenticators::pending(state.store.conn(), user.id).await? else { return Ok(None) };
    let secret = second_factor::open(state, &row)?;
    setup_view(user, secret).map(Some)
}

fn setup_view(user: &User, secret: TotpSecret) -> Result<Setup, Internal> {
    let otpauth_url = secret.otpauth_url(&user.login).ok_or_else(|| super::corrupt("no otpauth URL"))?;
    Ok(Setup { secret, otpauth_url })
}

/// The answer to a confirmation code.
#[derive(Debug)]
pub enum Confirmed {
    /// No setup in progress.
    NoSetup,
    /// The code does not match the new secret now.
    Wrong,
    /// The app counts from now on; these recovery codes are shown once.
    Done {
        /// The new recovery codes, in the form to type.
        recovery_codes: Vec<String>,
    },
}

/// Confirms the setup with a current code from the app. The step it matched is
/// the first accepted one, so the same code cannot then sign in. A replaced app
/// and its recovery codes go in the same transaction; the owner is mailed.
pub async fn confirm(
    state: &AppState,
    user: &User,
    actor: &Actor,
    typed: &str,
    lang: Lang,
) -> Result<Confirmed, Internal> {
    let Some(row) = store::authenticators::pending(state.store.conn(), user.id).await? else {
        return Ok(Confirmed::NoSetup);
    };
    let secret = second_factor::open(state, &row)?;
    let now = state.clock.now();
    let unix = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let Some(step) = totp::verify(&secret, typed, unix) else { return Ok(Confirmed::Wrong) };
    let recovery_codes: Vec<String> = (0..totp::RECOVERY_CODES).map(|_| totp::generate_recovery_code()).collect();
    let hashes: Vec<String> = recovery_codes
        .iter()
        .filter_map(|code| totp::normalise_recovery_code(code))
        .map(|plain| opaque::hash(&plain))
        .collect();
    let tx = state.store.begin().await?;
    let replaced = store::authenticators::active(tx.conn(), user.id).await?.is_some();
    if !store::authenticators::confirm(tx.conn(), row.id, user.id, i64::try_from(step).unwrap_or(i64::MAX), now).await?
    {
        return Ok(Confirmed::NoSetup);
    }
    store::recovery_codes::replace(tx.conn(), user.id, &hashes, now).await?;
    let mut event = actor.event("authenticator.added", None);
    event.subject_user_id = Some(user.id);
    event.details = serde_json::json!({ "replaced": replaced });
    store::audit::record(tx.conn(), &event, now).await?;
    mail::queue(tx.conn(), user, &Message::TotpAdded, lang, &crate::flows::mail_sender(state), now).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(Confirmed::Done { recovery_codes })
}

/// New recovery codes for an account with an app (the old ones stop working);
/// `None` when the account has no app.
pub async fn renew_recovery_codes(
    state: &AppState,
    user: &User,
    actor: &Actor,
) -> Result<Option<Vec<String>>, Internal> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    if store::authenticators::active(tx.conn(), user.id).await?.is_none() {
        return Ok(None);
    }
    let codes: Vec<String> = (0..totp::RECOVERY_CODES).map(|_| totp::generate_recovery_code()).collect();
    let hashes: Vec<String> =
        codes.iter().filter_map(|c| totp::normalise_recovery_code(c)).map(|plain| opaque::hash(&plain)).collect();
    store::recovery_codes::replace(tx.conn(), user.id, &hashes, now).await?;
    let mut event = actor.event("recovery_codes.renewed", None);
    event.subject_user_id = Some(user.id);
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// The owner removes their app (and its recovery codes): sign-ins mail the code
/// again. False when there was none.
pub async fn remove(state: &AppState, user: &User, actor: &Actor, lang: Lang) -> Result<bool, Internal> {
    let tx = state.store.begin().await?;
    let removed = remove_in(state, &tx, user, actor, "authenticator.removed", &Message::TotpRemoved, lang).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(removed)
}

/// The help desk removes an account's app (admin API, CLI): audited, owner
/// mailed. False when the account had none.
pub async fn reset(state: &AppState, actor: &Actor, user_id: Uuid) -> Result<bool, AccountError> {
    let row = store::users::row(state.store.conn(), user_id).await?.ok_or(AccountError::NotFound)?;
    crate::flows::accounts::guard(actor, &row)?;
    let user = store::users::find(state.store.conn(), user_id).await?.ok_or(AccountError::NotFound)?;
    let tx = state.store.begin().await?;
    let removed =
        remove_in(state, &tx, &user, actor, "authenticator.reset", &Message::TotpReset, Lang::default()).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(removed)
}

async fn remove_in(
    state: &AppState,
    tx: &Tx,
    user: &User,
    actor: &Actor,
    action: &'static str,
    message: &Message,
    lang: Lang,
) -> Result<bool, Internal> {
    let now = state.clock.now();
    let had = store::authenticators::remove_all(tx.conn(), user.id).await?;
    store::recovery_codes::remove_all(tx.conn(), user.id).await?;
    if had {
        let mut event: AuditEvent = actor.event(action, None);
        event.subject_user_id = Some(user.id);
        store::audit::record(tx.conn(), &event, now).await?;
        mail::queue(tx.conn(), user, message, lang, &crate::flows::mail_sender(state), now).await?;
    }
    Ok(had)
}
