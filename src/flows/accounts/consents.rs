//! What an account has allowed third-party clients, and taking it back: the
//! next authorization asks again, and the tokens already issued under the
//! consent (refresh tokens included) stop working.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{AccountError, guard};
use crate::domain::audit::Actor;
use crate::flows::Internal;
use crate::state::AppState;
use crate::store;

/// One standing consent.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    /// The client it was given to.
    pub client_id: String,
    /// The scopes allowed, space-separated.
    pub scope: String,
    /// First given.
    #[serde(with = "time::serde::rfc3339")]
    pub granted_at: OffsetDateTime,
    /// Last widened or confirmed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The standing consents of an account; `None` for an unknown account.
pub async fn consents(state: &AppState, id: Uuid) -> Result<Option<Vec<ConsentView>>, Internal> {
    let conn = state.store.conn();
    if store::users::row(conn, id).await?.is_none() {
        return Ok(None);
    }
    let rows = store::consents::for_user(conn, id).await?;
    Ok(Some(
        rows.into_iter()
            .map(|c| ConsentView {
                client_id: c.client_id,
                scope: c.scope,
                granted_at: c.created_at,
                updated_at: c.updated_at,
            })
            .collect(),
    ))
}

/// Withdraws the account's consent for `client_id` and revokes the grants
/// (and so the tokens) the client holds for it; audited as
/// `user.consent_revoked`. False when there was no standing consent.
pub async fn revoke_consent(
    state: &AppState,
    actor: &Actor,
    user_id: Uuid,
    client_id: &str,
) -> Result<bool, AccountError> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), user_id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    if !store::consents::revoke(tx.conn(), user_id, client_id, now).await? {
        return Ok(false);
    }
    for grant in store::grants::for_user(tx.conn(), user_id).await? {
        if grant.client_id == client_id {
            store::grants::revoke(tx.conn(), grant.id, now).await?;
        }
    }
    let mut event = actor.event("user.consent_revoked", Some(client_id.to_string()));
    event.subject_user_id = Some(user_id);
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    Ok(true)
}
