//! Checking a presented access token: signature, expiry, revocation list and
//! grant (shared by userinfo, introspection and the admin API).

use uuid::Uuid;

use super::Internal;
use crate::state::AppState;
use crate::store;
use crate::tokens::access_token::{self, AccessClaims};

/// Verifies `token`; `None` when it is not (or no longer) valid.
pub async fn check(state: &AppState, token: &str) -> Result<Option<AccessClaims>, Internal> {
    let Ok(claims) =
        access_token::verify(&state.keys(), &state.settings.issuer, token, state.clock.now().unix_timestamp())
    else {
        return Ok(None);
    };
    let conn = state.store.conn();
    let live = match claims.gid.as_deref() {
        Some(gid) => match Uuid::parse_str(gid) {
            Ok(gid) => store::grants::live_for_token(conn, gid, &claims.jti).await?,
            Err(_) => false,
        },
        None => !store::revoked_access_tokens::contains(conn, &claims.jti).await?,
    };
    if !live {
        return Ok(None);
    }
    Ok(Some(claims))
}
