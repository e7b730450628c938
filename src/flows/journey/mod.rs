//! The first-login journey of `shared/seed/first-login-en.md`, as a state machine:
//!
//! ```text
//! imported ──invite──▶ invited ──activate (set password)──▶ active ──▶ login mail
//!
//! sign-in:  /login (login + password) ──▶ code mailed ──▶ /login/code
//!              │ wrong ×5 (any mix) ──▶ account locked for a while, mail sent
//!              ▼
//!           code right ──terms newer than the user's acceptance?──▶ /terms ──▶ finish
//!              │ no                                                  │ declined: signed out,
//!              ▼                                                     ▼ client gets access_denied
//!           finish: session (amr pwd+otp) ──▶ back to the relying party, or "Gotowe!"
//! ```
//!
//! Every step persists its state (login transactions, tokens, terms acceptances)
//! in the database, so any node can serve the next request.

pub mod activate;
pub mod campaign;
pub mod finish;
pub mod invite;
pub mod one_time_code;
pub mod reminders;
pub mod request_link;
pub mod sign_in;
pub mod terms;

use crate::state::AppState;
use crate::store;

/// Where the request comes from (rate limits, audit, terms acceptance).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// Client address.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
}

/// Failed sign-in or code attempts one client address may make per window. Only
/// failures count: on launch day a whole customer office may sign in from one address.
pub(crate) const FAILURES_PER_ADDRESS: i32 = 50;
/// The window of [`FAILURES_PER_ADDRESS`], in seconds.
pub(crate) const FAILURE_WINDOW_SECS: i64 = 300;

/// Whether the client address is over its failure budget (nothing is counted).
pub(crate) async fn address_blocked(state: &AppState, kind: &str, origin: &Origin) -> Result<bool, super::Internal> {
    let bucket = format!("{kind}:ip:{}", origin.ip.as_deref().unwrap_or("unknown"));
    let window = time::Duration::seconds(FAILURE_WINDOW_SECS);
    Ok(store::rate_limits::exceeded(state.store.conn(), &bucket, window, FAILURES_PER_ADDRESS, state.clock.now())
        .await?)
}

/// Counts a failure of the client address.
pub(crate) async fn address_failed(state: &AppState, kind: &str, origin: &Origin) -> Result<(), super::Internal> {
    let bucket = format!("{kind}:ip:{}", origin.ip.as_deref().unwrap_or("unknown"));
    within_limit(state, &bucket, FAILURE_WINDOW_SECS, FAILURES_PER_ADDRESS).await.map(|_| ())
}

/// Counts a hit on a rate-limit bucket; true while within the limit.
pub(crate) async fn within_limit(
    state: &AppState,
    bucket: &str,
    window_secs: i64,
    limit: i32,
) -> Result<bool, super::Internal> {
    let now = state.clock.now();
    Ok(store::rate_limits::hit(state.store.conn(), bucket, time::Duration::seconds(window_secs), limit, now).await?)
}
