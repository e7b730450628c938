//! Confirming a new e-mail address. An administrator's change of an active
//! account's address only takes effect here, when the person holding the new
//! mailbox follows the link (the old address was told of the change): a scope
//! that can edit accounts cannot quietly redirect someone's sign-in mail.

use super::{Origin, Surface};
use crate::domain::audit::Actor;
use crate::flows::Internal;
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::tokens::opaque;

/// How a confirmation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The account uses the new address from now on.
    Confirmed,
    /// Unknown, used, replaced or expired link — or the address was taken meanwhile.
    Invalid,
    /// This client address guessed too many links.
    Throttled,
}

/// Spends a confirmation link: the address changes, audited, in one transaction.
pub async fn confirm(state: &AppState, token: &str, origin: &Origin) -> Result<Confirmation, Internal> {
    if !super::reserve_address(state, Surface::Link, origin).await? {
        return Ok(Confirmation::Throttled);
    }
    if token.len() != 43 {
        return Ok(Confirmation::Invalid);
    }
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let Some(change) = store::email_changes::confirm(tx.conn(), &opaque::hash(token), now).await? else {
        return Ok(Confirmation::Invalid);
    };
    match store::users::set_email(tx.conn(), change.user_id, &change.new_email, now).await {
        Ok(true) => {}
        // Gone, or another account took the address since: nothing changes.
        Ok(false) | Err(StoreError::Conflict(_)) => return Ok(Confirmation::Invalid),
        Err(other) => return Err(other.into()),
    }
    let mut event = Actor::named(format!("user:{}", change.user_id)).event("user.email_changed", None);
    event.subject_user_id = Some(change.user_id);
    event.ip = origin.ip.clone();
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    super::release_address(state, Surface::Link, origin).await?;
    Ok(Confirmation::Confirmed)
}
