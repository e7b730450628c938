//! "Moje konto": what a signed-in person does to their own account — change the
//! password, add, replace or remove an authenticator app, renew recovery codes,
//! see and end their sessions. Every change is audited with the person as actor,
//! and the sensitive ones need a fresh sign-in ([`is_fresh`]), not just a session.
//!
//! - [`authenticator`]: setting up, confirming, removing and resetting the app.
//! - [`second_factor`]: checking an app code or a recovery code at sign-in.
//! - [`password`]: changing the password with the current one.
//! - [`sessions`]: the person's own browser sessions.

pub mod authenticator;
pub mod password;
pub mod second_factor;
pub mod sessions;

use time::{Duration, OffsetDateTime};

use crate::domain::audit::Actor;
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::flows::Internal;
use crate::flows::journey::Origin;
use crate::state::AppState;
use crate::store;

/// How long after signing in a sensitive change is allowed without signing in
/// again (like `max_age` for relying parties).
pub const REAUTH_WINDOW: Duration = Duration::minutes(5);

/// Whether the session's sign-in is recent enough for a sensitive change.
pub fn is_fresh(session: &Session, now: OffsetDateTime) -> bool {
    now - session.auth_time <= REAUTH_WINDOW
}

/// The person as the actor of their own change.
pub fn actor(user: &User, origin: &Origin) -> Actor {
    let mut actor = Actor::named(format!("user:{}", user.id));
    actor.ip = origin.ip.clone();
    actor
}

/// What the overview page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// An authenticator app is in use.
    pub authenticator: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: u64,
    /// Open sessions.
    pub sessions: usize,
}

/// The overview of an account.
pub async fn overview(state: &AppState, user: &User) -> Result<Overview, Internal> {
    let conn = state.store.conn();
    let authenticator = store::authenticators::active(conn, user.id).await?.is_some();
    let recovery_codes_left = store::recovery_codes::remaining(conn, user.id).await?;
    let sessions = sessions::list(state, user, None).await?.len();
    Ok(Overview { authenticator, recovery_codes_left, sessions })
}

/// A store failure as an internal error (the KEK missing or a sealed value that
/// does not open is as unrecoverable for the request as a database failure).
fn corrupt(what: &str) -> Internal {
    Internal(store::StoreError::Corrupt(what.to_string()))
}
