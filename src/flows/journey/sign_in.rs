//! Step 4 of the seed: "Login" + "Hasło" → "WYŚLIJ KOD". A wrong login and a wrong
//! password get the same answer in the same time (a dummy argon2 verification runs
//! for unknown logins); a right pair opens a login transaction and mails a code.

use super::Origin;
use crate::domain::audit::AuditEvent;
use crate::domain::{lockout, login_number, one_time_code};
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::metrics::{self, SignIn as Outcome};
use crate::state::AppState;
use crate::store::{self, login_transactions::NewLogin};
use crate::tokens::opaque;

/// How long a sign-in may take from password to finish.
const TRANSACTION_TTL: time::Duration = time::Duration::minutes(30);

/// The answer to a sign-in form.
#[derive(Debug)]
pub enum SignIn {
    /// Too many attempts from this client.
    TooMany,
    /// Wrong login or password (also: locked, disabled or not yet activated) — one message for all.
    Refused,
    /// The code is on its way; the handle goes into the browser's cookie.
    CodeSent {
        /// Login transaction handle.
        handle: String,
    },
}

/// Checks login and password; on success mails a code.
pub async fn submit(
    state: &AppState,
    login: &str,
    password: &str,
    request_handle: Option<&str>,
    origin: &Origin,
    lang: Lang,
) -> Result<SignIn, Internal> {
    if super::address_blocked(state, "signin", origin).await? {
        metrics::sign_in(Outcome::RateLimited);
        return Ok(SignIn::TooMany);
    }
    let login = login.trim();
    let conn = state.store.conn();
    let user = if login_number::is_well_formed(login) { store::users::find_by_login(conn, login).await? } else { None };
    let credentials = match &user {
        Some(user) => store::users::credentials(conn, user.id).await?,
        None => None,
    };
    // Always one argon2 verification, against a dummy hash when there is no account.
    let stored = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let password_ok = state.hasher.verify(password.chars().take(1024).collect(), stored).await;
    let now = state.clock.now();
    let (Some(user), Some(credentials)) = (user, credentials) else {
        super::address_failed(state, "signin", origin).await?;
        metrics::sign_in(Outcome::BadCredentials);
        return Ok(SignIn::Refused);
    };
    // The person sees one answer for all of these; operators' metrics tell them apart.
    let locked = credentials.admin_locked || credentials.locked_until.is_some_and(|until| until > now);
    if locked || !user.can_sign_in() {
        super::address_failed(state, "signin", origin).await?;
        metrics::sign_in(if locked { Outcome::Locked } else { Outcome::NotAllowed });
        return Ok(SignIn::Refused);
    }
    if !password_ok {
        super::address_failed(state, "signin", origin).await?;
        count_failure(state, &user, lang).await?;
        metrics::sign_in(Outcome::BadCredentials);
        return Ok(SignIn::Refused);
    }
    let handle = opaque::random_token();
    let code = one_time_code::generate();
    let code_ttl = time::Duration::try_from(state.settings.login_code_ttl).unwrap_or(time::Duration::minutes(10));
    let parked = match request_handle.filter(|h| h.len() == 43) {
        Some(h) => store::authorization_requests::find_by_handle_hash(conn, &opaque::hash(h)).await?.map(|r| r.id),
        None => None,
    };
    let tx = state.store.begin().await?;
    store::login_transactions::insert(
        tx.conn(),
        NewLogin {
            handle_hash: &opaque::hash(&handle),
            user_id: user.id,
            authorization_request_id: parked,
            code_hash: &opaque::hash(&code),
            code_expires_at: now + code_ttl,
            expires_at: now + TRANSACTION_TTL,
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
        },
        now,
    )
    .await?;
    let minutes = u64::try_from(code_ttl.whole_minutes()).unwrap_or(10);
    let message = Message::OneTimeCode { code, minutes };
    mail::queue(tx.conn(), &user, &message, lang, &state.settings.mail_from, now).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    metrics::sign_in(Outcome::CodeSent);
    Ok(SignIn::CodeSent { handle })
}

/// Counts a failed password or code; the fifth in a row locks the account for a
/// while and tells its owner by mail. Returns true when this failure locked it.
pub(crate) async fn count_failure(
    state: &AppState,
    user: &crate::domain::user::User,
    lang: Lang,
) -> Result<bool, Internal> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let failures = store::users::count_failure(tx.conn(), user.id).await?;
    let locked = failures >= lockout::THRESHOLD;
    if locked {
        let lockouts = store::users::credentials(tx.conn(), user.id).await?.map(|c| c.lockouts).unwrap_or(0);
        let length = lockout::duration(lockouts);
        store::users::lock(tx.conn(), user.id, now + length, now).await?;
        let minutes = u64::try_from(length.whole_minutes()).unwrap_or(5);
        let message = Message::AccountLocked { minutes };
        mail::queue(tx.conn(), user, &message, lang, &state.settings.mail_from, now).await?;
        let mut event = AuditEvent::new("system", "user.locked", None);
        event.subject_user_id = Some(user.id);
        event.details = serde_json::json!({"minutes": minutes});
        store::audit::record(tx.conn(), &event, now).await?;
    }
    tx.commit().await?;
    if locked {
        state.mail_queued.notify_one();
    }
    Ok(locked)
}
