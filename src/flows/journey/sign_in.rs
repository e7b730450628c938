//! Step 4 of the seed: "Login" + "Hasło" → "WYŚLIJ KOD". A wrong login and a wrong
//! password get the same answer in the same time (a dummy argon2 verification runs
//! for unknown logins); a right pair opens a login transaction and mails a code —
//! or, when the account has an authenticator app, waits for the app's code.

use super::{Origin, Surface};
use crate::domain::journey::JourneyStep;
use crate::domain::secret::Password;
use crate::domain::user::User;
use crate::domain::{login_number, one_time_code};
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::metrics::SignIn as Outcome;
use crate::state::AppState;
use crate::store::{self, login_transactions::NewLogin};
use crate::tokens::opaque;

/// How long a sign-in may take from password to finish.
const TRANSACTION_TTL: time::Duration = time::Duration::minutes(30);

/// Sign-ins (each with its own code attempts) one account may start per window.
const SIGN_INS_PER_ACCOUNT: i32 = 10;
/// The window of [`SIGN_INS_PER_ACCOUNT`], in seconds.
const SIGN_INS_WINDOW_SECS: i64 = 900;

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
        /// The step the sign-in now waits at.
        step: JourneyStep,
    },
}

/// Checks login and password; on success mails a code.
///
/// The order is what makes the limits hold under parallel requests: the client
/// address's failure budget and the account's attempt slot are both taken *before*
/// the password is verified, each in one conditional statement, and given back only
/// when the password was right. No database transaction is open across the hash;
/// what a right password changes is one transaction.
pub async fn submit(
    state: &AppState,
    login: &str,
    password: &Password,
    request_handle: Option<&str>,
    origin: &Origin,
    lang: Lang,
) -> Result<SignIn, Internal> {
    if !super::reserve_address(state, Surface::SignIn, origin).await? {
        state.metrics.sign_in(Outcome::RateLimited);
        return Ok(SignIn::TooMany);
    }
    let login = login.trim();
    let conn = state.store.conn();
    let now = state.clock.now();
    let threshold = state.settings.limits.threshold;
    let well_formed = login_number::is_well_formed(login);
    // The usual case, an account that may take an attempt, is read and reserved in
    // one statement; only when that finds nothing is the account read to tell why.
    let reserved =
        if well_formed { store::users::reserve_attempt_by_login(conn, login, threshold, now).await? } else { None };
    let account = match &reserved {
        Some((user, _)) => Some(user.clone()),
        None if well_formed => store::users::find_by_login(conn, login).await?,
        None => None,
    };
    let (user, slot, stored) = match reserved {
        Some((user, reserved)) => (Some(user), Some(reserved.slot), reserved.password_hash),
        None => (None, None, None),
    };
    // Always one argon2 verification, against a dummy hash when nothing may be
    // verified (no account, not allowed, locked, out of attempts): one answer, one timing.
    let password_ok = state.hasher.verify(password.expose().chars().take(1024).collect(), stored).await;
    let (Some(user), Some(slot)) = (user, slot) else {
        return refused(state, account.as_ref(), lang).await;
    };
    if !password_ok {
        // The failure keeps its slot; the last one locks.
        super::lockout::lock_if_exhausted(state, &user, lang).await?;
        state.metrics.sign_in(Outcome::BadCredentials);
        return Ok(SignIn::Refused);
    }
    let handle = opaque::random_token();
    let code = one_time_code::generate();
    let code_hash = opaque::hash(&code);
    let code_ttl = time::Duration::try_from(state.settings.login_code_ttl).unwrap_or(time::Duration::minutes(10));
    let step = super::next::after_password();
    let tx = state.store.begin().await?;
    // A right password gives its slots back — except the account's last one, which
    // it holds until the sign-in completes: otherwise a burst of guesses racing a
    // right password would win the returned slot again.
    if slot < threshold {
        store::users::give_back_attempt(tx.conn(), user.id, now).await?;
    }
    super::release_address_on(tx.conn(), state, Surface::SignIn, origin).await?;
    // Each sign-in brings its own code attempts: only so many may start per account.
    // Only someone who knows the password can reach this limit, so saying so reveals nothing.
    let bucket = format!("sign-ins:user:{}", user.id);
    if !super::within_limit_on(tx.conn(), state, &bucket, SIGN_INS_WINDOW_SECS, SIGN_INS_PER_ACCOUNT).await? {
        // The slots given back stay given back.
        tx.commit().await?;
        state.metrics.sign_in(Outcome::RateLimited);
        return Ok(SignIn::TooMany);
    }
    // With an authenticator app the code comes from the app: none is mailed (the
    // person may still ask for one by e-mail when the fallback is allowed).
    let app = store::authenticators::active(tx.conn(), user.id).await?.is_some();
    let parked = match request_handle.filter(|h| h.len() == 43) {
        Some(h) => store::authorization_requests::find_by_handle_hash(tx.conn(), &opaque::hash(h)).await?.map(|r| r.id),
        None => None,
    };
    store::login_transactions::insert(
        tx.conn(),
        NewLogin {
            step,
            handle_hash: &opaque::hash(&handle),
            user_id: user.id,
            authorization_request_id: parked,
            code_hash: (!app).then_some(code_hash.as_str()),
            code_expires_at: (!app).then_some(now + code_ttl),
            expires_at: now + TRANSACTION_TTL,
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
        },
        now,
    )
    .await?;
    if !app {
        let minutes = u64::try_from(code_ttl.whole_minutes()).unwrap_or(10);
        let message = Message::OneTimeCode { code, minutes };
        mail::queue(tx.conn(), &user, &message, lang, &crate::flows::mail_sender(state), now).await?;
    }
    tx.commit().await?;
    state.mail_queued.notify_one();
    state.metrics.sign_in(Outcome::CodeSent);
    Ok(SignIn::CodeSent { handle, step })
}

/// Nothing was verified: no such account, one that may not sign in, or one that is
/// locked or out of attempts. An account out of attempts but not yet locked (its
/// last slot taken by a racing request) is locked now.
async fn refused(state: &AppState, user: Option<&User>, lang: Lang) -> Result<SignIn, Internal> {
    let outcome = match user {
        Some(user) if user.can_sign_in() => {
            super::lockout::lock_if_exhausted(state, user, lang).await?;
            Outcome::Locked
        }
        Some(_) => Outcome::NotAllowed,
        None => Outcome::BadCredentials,
    };
    state.metrics.sign_in(outcome);
    Ok(SignIn::Refused)
}
