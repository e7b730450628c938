//! Token introspection (RFC 7662). Policy: a client learns about its own tokens
//! only; anything else — unknown, expired, revoked, another client's — is
//! `{"active": false}`, so introspection cannot probe other clients' tokens.

use serde_json::{Value, json};

use super::Internal;
use crate::domain::client::Client;
use crate::state::AppState;
use crate::store;
use crate::tokens::opaque;

/// The introspection answer for `token`, as seen by `client`.
pub async fn introspect(state: &AppState, client: &Client, token: &str) -> Result<Value, Internal> {
    let inactive = json!({"active": false});
    if let Some(claims) = super::access::check(state, token).await? {
        if claims.client_id != client.id {
            return Ok(inactive);
        }
        return Ok(json!({
            "active": true,
            "token_type": "Bearer",
            "scope": claims.scope,
            "client_id": claims.client_id,
            "sub": claims.sub,
            "aud": claims.aud,
            "iss": claims.iss,
            "exp": claims.exp,
            "iat": claims.iat,
            "jti": claims.jti,
        }));
    }
    let conn = state.store.conn();
    let Some(row) = store::refresh_tokens::find_by_hash(conn, &opaque::hash(token)).await? else {
        return Ok(inactive);
    };
    let now = state.clock.now();
    if row.rotated_at.is_some() || row.revoked_at.is_some() || row.expires_at <= now {
        return Ok(inactive);
    }
    let Some(grant) = store::grants::find(conn, row.grant_id).await? else {
        return Ok(inactive);
    };
    if grant.client_id != client.id || grant.revoked_at.is_some() {
        return Ok(inactive);
    }
    Ok(json!({
        "active": true,
        "token_type": "refresh_token",
        "scope": grant.scope,
        "client_id": grant.client_id,
        "sub": grant.user_id.map(|u| u.to_string()),
        "iss": state.settings.issuer,
        "exp": row.expires_at.unix_timestamp(),
        "iat": row.created_at.unix_timestamp(),
    }))
}
