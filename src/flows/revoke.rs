//! Token revocation (RFC 7009). A refresh token revokes its whole grant (and so the
//! access tokens issued from it); an access token goes on the revocation list.
//! Unknown tokens and other clients' tokens are answered like successes (§2.2).

use super::Internal;
use crate::domain::audit::AuditEvent;
use crate::domain::client::Client;
use crate::state::AppState;
use crate::store;
use crate::tokens::{access_token, opaque};

/// Revokes `token` if it belongs to `client`.
pub async fn revoke(state: &AppState, client: &Client, token: &str) -> Result<(), Internal> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    if let Some(row) = store::refresh_tokens::find_by_hash(tx.conn(), &opaque::hash(token)).await? {
        if let Some(grant) = store::grants::find(tx.conn(), row.grant_id).await?
            && grant.client_id == client.id
        {
            store::grants::revoke(tx.conn(), grant.id, now).await?;
            let mut event =
                AuditEvent::new(format!("client:{}", client.id), "token.revoked", Some(grant.id.to_string()));
            event.subject_user_id = grant.user_id;
            store::audit::record(tx.conn(), &event, now).await?;
        }
    } else if let Ok(claims) =
        access_token::verify(&state.keys(), &state.settings.issuer, token, state.clock.now().unix_timestamp())
        && claims.client_id == client.id
    {
        let expires = time::OffsetDateTime::from_unix_timestamp(claims.exp).unwrap_or(now);
        store::revoked_access_tokens::insert(tx.conn(), &claims.jti, expires).await?;
    }
    tx.commit().await?;
    Ok(())
}
