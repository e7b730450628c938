//! "Send me a new link" (expired or used activation link) and "forgot password":
//! one mechanism, one answer whether the address is known or not, rate-limited
//! per address and per client.

use super::Origin;
use super::invite::{self, Purpose};
use crate::domain::audit::Actor;
use crate::domain::user::Status;
use crate::flows::Internal;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store;
use crate::tokens::opaque;

/// The answer: always the same page, unless the caller is over its limit.
#[derive(Debug, PartialEq, Eq)]
pub enum Requested {
    /// "If the address is ours, a link is on its way."
    Accepted,
    /// Too many requests from this client: try later.
    TooMany,
}

/// Sends a fresh link to `email` if it belongs to an account that may sign in.
pub async fn request(state: &AppState, email: &str, origin: &Origin, lang: Lang) -> Result<Requested, Internal> {
    let ip = origin.ip.as_deref().unwrap_or("unknown");
    if !super::within_limit(state, &format!("link:ip:{ip}"), 3600, 10).await? {
        return Ok(Requested::TooMany);
    }
    let email = email.trim().to_lowercase();
    // Per address, silently: the answer must not reveal that the address exists.
    let address_ok = super::within_limit(state, &format!("link:email:{}", opaque::hash(&email)), 3600, 3).await?;
    if !address_ok || email.is_empty() || email.len() > 320 {
        return Ok(Requested::Accepted);
    }
    let tx = state.store.begin().await?;
    if let Some(user) = store::users::find_by_email(tx.conn(), &email).await?.filter(|u| !u.disabled) {
        let purpose = if user.status == Status::Active { Purpose::Reset } else { Purpose::Activation };
        let mut actor = Actor::named("self-service");
        actor.ip = origin.ip.clone();
        invite::issue_link(state, &tx, &user, purpose, &actor, lang).await?;
    }
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(Requested::Accepted)
}
