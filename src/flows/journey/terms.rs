//! Step 4b of the seed: the "regulamin" with the "oświadczenie" checkbox and
//! "ZAPISZ". Shown on the first sign-in and whenever a newer version is in force.
//! Declining ends the sign-in: no session, no tokens.

use super::Origin;
use crate::domain::audit::AuditEvent;
use crate::flows::Internal;
use crate::state::AppState;
use crate::store::{self, terms::TermsRow};

/// The terms a browser must accept now.
pub async fn pending(state: &AppState, handle: Option<&str>) -> Result<Option<TermsRow>, Internal> {
    if super::one_time_code::current(state, handle, "terms").await?.is_none() {
        return Ok(None);
    }
    Ok(store::terms::current(state.store.conn(), state.clock.now()).await?)
}

/// The user's answer.
#[derive(Debug)]
pub enum TermsAnswer {
    /// No sign-in waiting for terms.
    NoTransaction,
    /// "Accept" without ticking the statement.
    NotTicked,
    /// Accepted: signed in.
    Complete(super::finish::Finished),
    /// Declined: signed out; the relying party (if any) is told `access_denied`.
    Declined(Option<uuid::Uuid>),
}

/// Records acceptance (with version, time, address and user agent) or declines.
pub async fn answer(
    state: &AppState,
    handle: Option<&str>,
    accept: bool,
    ticked: bool,
    origin: &Origin,
) -> Result<TermsAnswer, Internal> {
    let Some(row) = super::one_time_code::current(state, handle, "terms").await? else {
        return Ok(TermsAnswer::NoTransaction);
    };
    let now = state.clock.now();
    if !accept {
        let tx = state.store.begin().await?;
        store::login_transactions::end(tx.conn(), row.id, now).await?;
        let mut event = AuditEvent::new(format!("user:{}", row.user_id), "terms.declined", None);
        event.subject_user_id = Some(row.user_id);
        event.ip = origin.ip.clone();
        store::audit::record(tx.conn(), &event, now).await?;
        tx.commit().await?;
        crate::metrics::sign_in(crate::metrics::SignIn::TermsDeclined);
        return Ok(TermsAnswer::Declined(row.authorization_request_id));
    }
    if !ticked {
        return Ok(TermsAnswer::NotTicked);
    }
    let Some(terms) = store::terms::current(state.store.conn(), now).await? else {
        return Ok(match super::finish::complete(state, &row, "terms", origin).await? {
            Some(done) => TermsAnswer::Complete(done),
            None => TermsAnswer::NoTransaction,
        });
    };
    let tx = state.store.begin().await?;
    if !store::terms::accepted(tx.conn(), row.user_id, terms.id).await? {
        store::terms::accept(tx.conn(), row.user_id, terms.id, origin.ip.clone(), origin.user_agent.clone(), now)
            .await?;
        let mut event = AuditEvent::new(format!("user:{}", row.user_id), "terms.accepted", Some(terms.version.clone()));
        event.subject_user_id = Some(row.user_id);
        event.ip = origin.ip.clone();
        store::audit::record(tx.conn(), &event, now).await?;
    }
    tx.commit().await?;
    Ok(match super::finish::complete(state, &row, "terms", origin).await? {
        Some(done) => TermsAnswer::Complete(done),
        None => TermsAnswer::NoTransaction,
    })
}
