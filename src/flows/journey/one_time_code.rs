//! Step 4a of the seed: "Kod autoryzacyjny" → "ZALOGUJ SIĘ". At most five wrong
//! codes per sign-in (then it ends); codes expire; a code can be re-sent a few
//! times, not too often.

use super::Origin;
use crate::domain::one_time_code::{self, MAX_ATTEMPTS, MAX_RESENDS, RESEND_INTERVAL_SECS};
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::mail::{self, Message};
use crate::metrics::{self, SignIn};
use crate::state::AppState;
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
    /// Right: the terms come next.
    Terms,
    /// Right: the sign-in is complete.
    Complete(super::finish::Finished),
}

/// The sign-in in progress for a browser handle, at `step`.
pub async fn current(state: &AppState, handle: Option<&str>, step: &str) -> Result<Option<LoginRow>, Internal> {
    let Some(handle) = handle.filter(|h| h.len() == 43) else { return Ok(None) };
    let row = store::login_transactions::find(state.store.conn(), &opaque::hash(handle)).await?;
    let now = state.clock.now();
    Ok(row.filter(|r| r.ended_at.is_none() && r.expires_at > now && r.step == step))
}

/// Checks a typed code.
pub async fn submit(
    state: &AppState,
    handle: Option<&str>,
    typed: &str,
    origin: &Origin,
    lang: Lang,
) -> Result<CodeCheck, Internal> {
    let check = check(state, handle, typed, origin, lang).await?;
    metrics::sign_in(match &check {
        CodeCheck::NoTransaction => SignIn::NoTransaction,
        CodeCheck::TooMany => SignIn::RateLimited,
        CodeCheck::Wrong { .. } => SignIn::CodeWrong,
        CodeCheck::Ended => SignIn::CodeAttemptsExhausted,
        CodeCheck::Expired => SignIn::CodeExpired,
        // The terms step counts its own outcome; success is counted by `finish`.
        CodeCheck::Terms | CodeCheck::Complete(_) => return Ok(check),
    });
    Ok(check)
}

async fn check(
    state: &AppState,
    handle: Option<&str>,
    typed: &str,
    origin: &Origin,
    lang: Lang,
) -> Result<CodeCheck, Internal> {
    if super::address_blocked(state, "code", origin).await? {
        return Ok(CodeCheck::TooMany);
    }
    let Some(row) = current(state, handle, "code").await? else { return Ok(CodeCheck::NoTransaction) };
    let now = state.clock.now();
    if row.code_expires_at.is_none_or(|at| at <= now) {
        return Ok(CodeCheck::Expired);
    }
    let right = match (one_time_code::normalise(typed), &row.code_hash) {
        (Some(code), Some(stored)) => opaque::matches(&code, stored),
        _ => false,
    };
    if !right {
        super::address_failed(state, "code", origin).await?;
        return wrong(state, &row, lang).await;
    }
    let needs_terms = match store::terms::current(state.store.conn(), now).await? {
        Some(terms) => !store::terms::accepted(state.store.conn(), row.user_id, terms.id).await?,
        None => false,
    };
    if needs_terms {
        let tx = state.store.begin().await?;
        let moved = store::login_transactions::advance(tx.conn(), row.id, "code", "terms").await?;
        tx.commit().await?;
        return Ok(if moved { CodeCheck::Terms } else { CodeCheck::NoTransaction });
    }
    match super::finish::complete(state, &row, "code", origin).await? {
        Some(finished) => Ok(CodeCheck::Complete(finished)),
        None => Ok(CodeCheck::NoTransaction),
    }
}

async fn wrong(state: &AppState, row: &LoginRow, lang: Lang) -> Result<CodeCheck, Internal> {
    let tx = state.store.begin().await?;
    let counted = store::login_transactions::count_wrong_code(tx.conn(), row).await?;
    let attempts = row.code_attempts + 1;
    let ended = attempts >= MAX_ATTEMPTS;
    if ended {
        store::login_transactions::end(tx.conn(), row.id, state.clock.now()).await?;
    }
    tx.commit().await?;
    if !counted {
        return Ok(CodeCheck::NoTransaction);
    }
    let user = store::users::find(state.store.conn(), row.user_id).await?;
    let locked = match &user {
        Some(user) => super::sign_in::count_failure(state, user, lang).await?,
        None => false,
    };
    if locked && !ended {
        store::login_transactions::end(state.store.conn(), row.id, state.clock.now()).await?;
        return Ok(CodeCheck::Ended);
    }
    Ok(if ended { CodeCheck::Ended } else { CodeCheck::Wrong { left: MAX_ATTEMPTS - attempts } })
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
}

/// Mails a new code for the sign-in in progress.
pub async fn resend(state: &AppState, handle: Option<&str>, lang: Lang) -> Result<Resend, Internal> {
    let Some(row) = current(state, handle, "code").await? else { return Ok(Resend::NoTransaction) };
    let now = state.clock.now();
    if row.codes_sent > MAX_RESENDS {
        return Ok(Resend::LimitReached);
    }
    if let Some(sent) = row.code_sent_at {
        let wait = RESEND_INTERVAL_SECS - (now - sent).whole_seconds();
        if wait > 0 {
            return Ok(Resend::TooSoon(wait));
        }
    }
    let Some(user) = store::users::find(state.store.conn(), row.user_id).await? else {
        return Ok(Resend::NoTransaction);
    };
    let code = one_time_code::generate();
    let ttl = time::Duration::try_from(state.settings.login_code_ttl).unwrap_or(time::Duration::minutes(10));
    let tx = state.store.begin().await?;
    store::login_transactions::replace_code(tx.conn(), row.id, &opaque::hash(&code), now + ttl, now).await?;
    let message = Message::OneTimeCode { code, minutes: u64::try_from(ttl.whole_minutes()).unwrap_or(10) };
    mail::queue(tx.conn(), &user, &message, lang, &state.settings.mail_from, now).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(Resend::Sent)
}
