//! Step 2 of the seed: "Ustawienie hasła". The link's token is checked, the
//! password rules applied, and on success — in one transaction — the password
//! hash is stored, the token spent, the account activated and the login mail queued.

use super::{Origin, Surface};
use crate::domain::audit::AuditEvent;
use crate::domain::password::{self, Rule};
use crate::domain::secret::Password;
use crate::domain::user::User;
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::state::AppState;
use crate::store::{self, activation_tokens::TokenRow};
use crate::tokens::opaque;

/// Why a link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// No such link.
    Unknown,
    /// Older than its lifetime.
    Expired,
    /// Already used, or replaced by a newer link.
    Used,
    /// This client address guessed too many links: every link gets this neutral
    /// answer until its window ends.
    Throttled,
}

/// A usable link and its account.
pub struct ValidLink {
    token: TokenRow,
    /// The account.
    pub user: User,
}

/// Checks a link from the mail. Every look-up takes a slot of the client address's
/// link budget first; a valid link gives it back, so only guesses (unknown, used or
/// expired tokens) use it up. Over the budget, every link — valid or not — gets the
/// same neutral answer until the window ends; other addresses are not affected.
pub async fn check(state: &AppState, token: &str, origin: &Origin) -> Result<Result<ValidLink, LinkProblem>, Internal> {
    if !super::reserve_address(state, Surface::Link, origin).await? {
        return Ok(Err(LinkProblem::Throttled));
    }
    let checked = look_up(state, token).await?;
    if checked.is_ok() {
        super::release_address(state, Surface::Link, origin).await?;
    }
    Ok(checked)
}

async fn look_up(state: &AppState, token: &str) -> Result<Result<ValidLink, LinkProblem>, Internal> {
    if token.len() != 43 {
        return Ok(Err(LinkProblem::Unknown));
    }
    let conn = state.store.conn();
    let Some(row) = store::activation_tokens::find(conn, &opaque::hash(token)).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if row.used_at.is_some() || row.voided_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if row.expires_at <= state.clock.now() {
        return Ok(Err(LinkProblem::Expired));
    }
    match store::users::find(conn, row.user_id).await? {
        Some(user) if !user.disabled => Ok(Ok(ValidLink { token: row, user })),
        _ => Ok(Err(LinkProblem::Unknown)),
    }
}

/// The outcome of submitting a new password.
pub enum SetPassword {
    /// The link cannot be used.
    Link(LinkProblem),
    /// Rules broken; nothing stored.
    Refused(Vec<Rule>),
    /// Password set, login mail queued.
    Done,
}

/// Sets the password through a link. The link is spent in the same transaction
/// that stores the password: a crash at any point (or a database that goes away)
/// leaves both done or neither, never a spent link without its password. Of any
/// number of racing submissions exactly one sets its password (the conditional
/// spend decides); the others are told the link was used.
pub async fn set_password(
    state: &AppState,
    token: &str,
    new: &Password,
    repeated: &Password,
    origin: &Origin,
    lang: Lang,
) -> Result<SetPassword, Internal> {
    let link = match check(state, token, origin).await? {
        Ok(link) => link,
        Err(problem) => return Ok(SetPassword::Link(problem)),
    };
    let user = &link.user;
    let broken =
        password::check(new.expose(), repeated.expose(), &password::Context { login: &user.login, email: &user.email });
    if !broken.is_empty() {
        return Ok(SetPassword::Refused(broken));
    }
    let Ok(hash) = state.hasher.hash(new.expose().to_string()).await else {
        return Err(Internal(store::StoreError::Corrupt("password hashing failed".into())));
    };
    if !store_password(state, &link, &hash, lang).await? {
        // Spent by a concurrent submission, or voided by a newer link in between.
        return Ok(SetPassword::Link(LinkProblem::Used));
    }
    state.mail_queued.notify_one();
    Ok(SetPassword::Done)
}

/// Spends the link and stores its password: account activated, other links of
/// the account voided, everything begun under the old password ended (sessions
/// with back-channel logout, grants, sign-ins in progress), login mail queued,
/// audited — one transaction. False (nothing written) when the link was spent,
/// voided or expired meanwhile.
async fn store_password(state: &AppState, link: &ValidLink, hash: &str, lang: Lang) -> Result<bool, Internal> {
    let user = &link.user;
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    if !store::activation_tokens::consume(tx.conn(), link.token.id, now).await? {
        return Ok(false);
    }
    let actor = crate::domain::audit::Actor::named(format!("user:{}", user.id));
    crate::flows::logout::cut_off(state, &tx, user.id, &actor, now).await?;
    // A reminder may have sent a second link to the same account: it dies with this one.
    store::activation_tokens::void_all(tx.conn(), user.id, now).await?;
    store::users::set_password(tx.conn(), user.id, hash, now).await?;
    let sign_in_url = crate::domain::endpoints::url(&state.settings.issuer, crate::domain::endpoints::SIGN_IN);
    let message = Message::LoginNumber { login: user.login.clone(), sign_in_url };
    mail::queue(tx.conn(), user, &message, lang, &crate::flows::mail_sender(state), now).await?;
    let mut event = AuditEvent::new(format!("user:{}", user.id), "user.password_set", None);
    event.subject_user_id = Some(user.id);
    event.details = serde_json::json!({"purpose": link.token.purpose});
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    Ok(true)
}
