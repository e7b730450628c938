//! The end of the journey: "user U is authenticated in browser S at time T with
//! methods pwd + otp" — a session, then back to the relying party or "Gotowe!".

use super::Origin;
use crate::domain::session::ACR_TWO_FACTOR;
use crate::flows::Internal;
use crate::flows::session::{self, ClientInfo};
use crate::state::AppState;
use crate::store::{self, login_transactions::LoginRow};
use crate::tokens::opaque;

/// A completed sign-in.
#[derive(Debug)]
pub struct Finished {
    /// The session cookie value to set.
    pub cookie: String,
    /// The authorization request to continue, if the user came from a relying party.
    pub authorization_request_id: Option<uuid::Uuid>,
}

/// Ends the login transaction (once: a replayed final step gets `None`) and
/// starts the session.
pub async fn complete(state: &AppState, row: &LoginRow, origin: &Origin) -> Result<Option<Finished>, Internal> {
    let now = state.clock.now();
    // Ending the sign-in, recording it on the account and starting the session
    // are one commit.
    let tx = state.store.begin().await?;
    if !store::login_transactions::end(tx.conn(), row.id, now).await? {
        return Ok(None);
    }
    // A lock that came while the code or the terms were pending ends the sign-in here.
    if !store::users::signed_in(tx.conn(), row.user_id, now).await? {
        tx.commit().await?;
        return Ok(None);
    }
    let amr = vec!["pwd".to_string(), "otp".to_string()];
    let client = ClientInfo { ip: origin.ip.clone(), user_agent: origin.user_agent.clone() };
    let established = session::establish_in(state, &tx, row.user_id, &amr, Some(ACR_TWO_FACTOR), None, client).await?;
    tx.commit().await?;
    state.metrics.sign_in(crate::metrics::SignIn::Success);
    Ok(Some(Finished { cookie: established.cookie, authorization_request_id: row.authorization_request_id }))
}

/// Ends the session a browser had before it signed in again (back-channel logout
/// and grants included). Nothing happens for an unknown or ended session.
pub async fn end_previous(state: &AppState, cookie: &str) -> Result<(), Internal> {
    if cookie.len() != 43 {
        return Ok(());
    }
    let Some(old) = store::sessions::find_by_cookie_hash(state.store.conn(), &opaque::hash(cookie)).await? else {
        return Ok(());
    };
    if old.ended_at.is_some() {
        return Ok(());
    }
    let actor = crate::domain::audit::Actor::named(format!("user:{}", old.user_id));
    crate::flows::logout::end_session(state, &old, &actor).await
}
