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
//! in the database, so any node can serve the next request. What follows a
//! finished step is decided in one place, [`next`]; the steps only report.

pub mod activate;
pub mod campaign;
pub mod confirm_email;
pub mod finish;
pub mod invite;
pub(crate) mod lockout;
pub mod next;
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

/// A guessing surface whose failures are budgeted per client address. Only
/// failures use the budget: on launch day a whole customer office may sign in from
/// one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    /// Login + password.
    SignIn,
    /// The e-mailed code.
    Code,
    /// Activation and reset links.
    Link,
}

impl Surface {
    fn bucket(self, origin: &Origin) -> String {
        let kind = match self {
            Surface::SignIn => "signin",
            Surface::Code => "code",
            Surface::Link => "link-use",
        };
        format!("{kind}:ip:{}", origin.ip.as_deref().unwrap_or("unknown"))
    }
}

/// Takes a slot of the client address's failure budget before an attempt is
/// verified; false when the address is over budget and the attempt must not be
/// verified at all.
pub(crate) async fn reserve_address(
    state: &AppState,
    surface: Surface,
    origin: &Origin,
) -> Result<bool, super::Internal> {
    let limits = &state.settings.limits;
    let bucket = surface.bucket(origin);
    let now = state.clock.now();
    Ok(store::rate_limits::hit(state.store.conn(), &bucket, limits.address_window, limits.address_failures, now)
        .await?)
}

/// Gives the slot taken by [`reserve_address`] back: the attempt did not fail.
pub(crate) async fn release_address(
    state: &AppState,
    surface: Surface,
    origin: &Origin,
) -> Result<(), super::Internal> {
    release_address_on(state.store.conn(), state, surface, origin).await
}

/// [`release_address`] on `conn`, e.g. in the transaction that records the step.
pub(crate) async fn release_address_on(
    conn: &impl store::Connection,
    state: &AppState,
    surface: Surface,
    origin: &Origin,
) -> Result<(), super::Internal> {
    let bucket = surface.bucket(origin);
    let now = state.clock.now();
    Ok(store::rate_limits::give_back(conn, &bucket, state.settings.limits.address_window, now).await?)
}

/// Counts a hit on a rate-limit bucket; true while within the limit.
pub(crate) async fn within_limit(
    state: &AppState,
    bucket: &str,
    window_secs: i64,
    limit: i32,
) -> Result<bool, super::Internal> {
    within_limit_on(state.store.conn(), state, bucket, window_secs, limit).await
}

/// [`within_limit`] on `conn`, e.g. in the transaction that records the step.
pub(crate) async fn within_limit_on(
    conn: &impl store::Connection,
    state: &AppState,
    bucket: &str,
    window_secs: i64,
    limit: i32,
) -> Result<bool, super::Internal> {
    let now = state.clock.now();
    Ok(store::rate_limits::hit(conn, bucket, time::Duration::seconds(window_secs), limit, now).await?)
}
