//! Step 4a of the seed: "Kod autoryzacyjny" → "ZALOGUJ SIĘ". At most five wrong
//! codes per sign-in (then it ends); codes expire; a code can be re-sent a few
//! times, not too often.
//!
//! With an authenticator app the same step asks for "Kod z aplikacji": an app
//! code or a recovery code ([`crate::flows::account::second_factor`]), under the
//! very same attempt slots and lockout. No code is mailed unless the person asks
//! for one ("send the code by e-mail instead", when the operator allows it).

use super::next::{self, Moved, Owed};
use super::{Origin, Surface};
use crate::domain::journey::JourneyStep;
use crate::domain::one_time_code::{self, MAX_ATTEMPTS, MAX_RESENDS, RESEND_INTERVAL_SECS};
use crate::domain::secret::OneTimeCode;
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::metrics::SignIn;
use crate::state::AppState;
use crate::store::authenticators::AuthenticatorRow;
use crate::store::{self, login_transactions::LoginRow};
use crate::tokens::opaque;

/// The answer to a submitted code.
#[derive(Debug)]
pub enum CodeCheck {
    /// No sign-in in progress in this browser (or it ended or expired).
    NoTransaction,
    /// Too many attempts from this client.
    TooMany,
    /// Wrong; `left` more tries.
    Wrong {
        /// Attempts left.
        left: i32,
    },
    /// Too many wrong codes: the sign-in ended, start again.
    Ended,
    /// The code expired: ask for a new one.
    Expired,
    /// Right: the sign-in moved on to this step.
    Step(JourneyStep),
    /// Right: the sign-in is complete.
    Complete(super::finish::Finished),
}

/// What the code page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSource {
    /// The code mailed at sign-in.
    Mail,
    /// The authenticator app (or a recovery code); `fallback`: a code may be
    /// mailed instead.
    App {
        /// The e-mail fallback is allowed.
        fallback: bool,
        /// A code was mailed on request, and is accepted too.
        mailed: bool,
    },
}

/// What the code page of the sign-in in progress asks for; `None` when there is
/// no sign-in waiting for a code.
pub async fn source(state: &AppState, handle: Option<&str>) -> Result<Option<CodeSource>, Internal> {
    let Some((row, app)) = at_code(state, handle).await? else { return Ok(None) };
    Ok(Some(match app {
        Some(_) => CodeSource::App { fallback: state.settings.totp_email_fallback, mailed: row.codes_sent > 0 },
        None => CodeSource::Mail,
    }))
}

/// The sign-in in progress for a browser handle, at `step`.
pub async fn current(state: &AppState, handle: Option<&str>, step: JourneyStep) -> Result<Option<LoginRow>, Internal> {
    let Some(handle) = handle.filter(|h| h.len() == 43) else { return Ok(None) };
    let row = store::login_transactions::find(state.store.conn(), &opaque::hash(handle)).await?;
    Ok(row.filter(|r| is_at(r, step, state.clock.now())))
}

/// The sign-in in progress for a browser handle at the code step, with the
/// account's authenticator app if it has one (read in the same query).
async fn at_code(
    state: &AppState,
    handle: Option<&str>,
) -> Result<Option<(LoginRow, Option<AuthenticatorRow>)>, Internal> {
    let Some(handle) = handle.filter(|h| h.len() == 43) else { return Ok(None) };
    let found = store::login_transactions::find_with_app(state.store.conn(), &opaque::hash(handle)).await?;
    Ok(found.filter(|(row, _)| is_at(row, JourneyStep::Code, state.clock.now())))
}

/// Whether a sign-in is open (not ended, not expired) and waits at `step`.
fn is_at(row: &LoginRow, step: JourneyStep, now: time::OffsetDateTime) -> bool {
    row.ended_at.is_none() && row.expires_at > now && row.step == step.as_str()
}

/// Checks a typed code.
pub async fn submit(
    state: &AppState,
    handle: Option<&str>,
    typed: &OneTimeCode,
    origin: &Origin,
    lang: Lang,
) -> Result<CodeCheck, Internal> {
    let check = check(state, handle, typed, origin, lang).await?;
    state.metrics.sign_in(match &check {
        CodeCheck::NoTransaction => SignIn::NoTransaction,
        CodeCheck::TooMany => SignIn::RateLimited,
        CodeCheck::Wrong { .. } => SignIn::CodeWrong,
        CodeCheck::Ended => SignIn::CodeAttemptsExhausted,
        CodeCheck::Expired => SignIn::CodeExpired,
        // The terms step counts its own outcome; success is counted by `finish`.
        CodeCheck::Step(_) | CodeCheck::Complete(_) => return Ok(check),
    });
    Ok(check)
}

async fn check(
    state: &AppState,
    handle: Option<&str>,
    typed: &OneTimeCode,
    origin: &Origin,
    lang: Lang,
) -> Result<CodeCheck, Internal> {
    if !super::reserve_address(state, Surface::Code, origin).await? {
        return Ok(CodeCheck::TooMany);
    }
    let Some((row, app)) = at_code(state, handle).await? else { return Ok(CodeCheck::NoTransaction) };
    let now = state.clock.now();
    // An app code does not expire with the mailed one: only a mailed code can.
    if app.is_none() && row.code_expires_at.is_none_or(|at| at <= now) {
        super::release_address(state, Surface::Code, origin).await?;
        return Ok(CodeCheck::Expired);
    }
    // The attempt is counted before the code is compared, so parallel guesses share
    // the transaction's attempts instead of each seeing the same count.
    let conn = state.store.conn();
    let Some(row) = store::login_transactions::reserve_code_attempt(conn, row.id, MAX_ATTEMPTS, now).await? else {
        // Nothing was counted: the sign-in is over, or its account is locked — a
        // lock applies to every step, not only to the password, and ends it.
        if store::users::credentials(conn, row.user_id).await?.is_none_or(|c| c.locked_at(now)) {
            store::login_transactions::end(conn, row.id, now).await?;
        }
        return Ok(CodeCheck::Ended);
    };
    let mailed_valid = row.code_expires_at.is_some_and(|at| at > now);
    let mut right = match (one_time_code::normalise(typed.expose()), &row.code_hash) {
        (Some(code), Some(stored)) if mailed_valid => opaque::matches(&code, stored),
        _ => false,
    };
    if !right && let Some(app) = &app {
        right = crate::flows::account::second_factor::check(state, app, typed.expose()).await?.is_some();
    }
    if !right {
        return wrong(state, &row, lang).await;
    }
    super::release_address(state, Surface::Code, origin).await?;
    let needs_terms = store::terms::owed(conn, row.user_id, now).await?;
    Ok(match next::move_on(state, &row, JourneyStep::Code, Owed { terms: needs_terms }, origin).await? {
        Moved::Step(step) => CodeCheck::Step(step),
        Moved::Finished(finished) => CodeCheck::Complete(finished),
        Moved::Gone => CodeCheck::NoTransaction,
    })
}

/// A wrong code: it counts against the account too (across its sign-ins), and the
/// last attempt of the transaction ends it. `row` already carries this attempt.
async fn wrong(state: &AppState, row: &LoginRow, lang: Lang) -> Result<CodeCheck, Internal> {
    let conn = state.store.conn();
    store::users::count_failure(conn, row.user_id).await?;
    if let Some(user) = store::users::find(conn, row.user_id).await?
        && super::lockout::lock_if_exhausted(state, &user, lang).await?
    {
        // The lock ended this transaction with every other one of the account.
        return Ok(CodeCheck::Ended);
    }
    if row.code_attempts >= MAX_ATTEMPTS {
        store::login_transactions::end(conn, row.id, state.clock.now()).await?;
        return Ok(CodeCheck::Ended);
    }
    Ok(CodeCheck::Wrong { left: MAX_ATTEMPTS - row.code_attempts })
}

/// The answer to "send the code again".
#[derive(Debug, PartialEq, Eq)]
pub enum Resend {
    /// No sign-in in progress.
    NoTransaction,
    /// Asked too soon; wait this many seconds.
    TooSoon(i64),
    /// No more codes for this sign-in: start again.
    LimitReached,
    /// A new code is on its way (the old one no longer works).
    Sent,
    /// The account uses an authenticator app and the operator turned the e-mail
    /// fallback off.
    NotOffered,
}

/// Mails a new code for the sign-in in progress. The limits (how many codes, how
/// often) are checked and the new code stored in one conditional statement, in the
/// same transaction as the mail, so racing resends mail one code.
pub async fn resend(state: &AppState, handle: Option<&str>, lang: Lang) -> Result<Resend, Internal> {
    let Some(row) = current(state, handle, JourneyStep::Code).await? else { return Ok(Resend::NoTransaction) };
    let Some(user) = store::users::find(state.store.conn(), row.user_id).await? else {
        return Ok(Resend::NoTransaction);
    };
    if !state.settings.totp_email_fallback
        && store::authenticators::active(state.store.conn(), user.id).await?.is_some()
    {
        return Ok(Resend::NotOffered);
    }
    let now = state.clock.now();
    let code = one_time_code::generate();
    let ttl = time::Duration::try_from(state.settings.login_code_ttl).unwrap_or(time::Duration::minutes(10));
    let limits = (MAX_RESENDS + 1, time::Duration::seconds(RESEND_INTERVAL_SECS));
    let tx = state.store.begin().await?;
    if !store::login_transactions::resend_code(tx.conn(), row.id, &opaque::hash(&code), now + ttl, limits, now).await? {
        drop(tx);
        return refused_resend(state, handle).await;
    }
    let message = Message::OneTimeCode { code, minutes: u64::try_from(ttl.whole_minutes()).unwrap_or(10) };
    mail::queue(tx.conn(), &user, &message, lang, &crate::flows::mail_sender(state), now).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(Resend::Sent)
}

/// Why a resend was refused, read after the fact (for the message only).
async fn refused_resend(state: &AppState, handle: Option<&str>) -> Result<Resend, Internal> {
    let Some(row) = current(state, handle, JourneyStep::Code).await? else { return Ok(Resend::NoTransaction) };
    if row.codes_sent > MAX_RESENDS {
        return Ok(Resend::LimitReached);
    }
    let elapsed = row.code_sent_at.map(|sent| (state.clock.now() - sent).whole_seconds()).unwrap_or(0);
    Ok(Resend::TooSoon((RESEND_INTERVAL_SECS - elapsed).max(1)))
}
