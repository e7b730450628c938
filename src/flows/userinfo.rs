//! UserInfo (OIDC Core §5.3): the claims the access token's scope releases.

use serde_json::{Map, Value};

use super::Internal;
use crate::domain::oauth::scope;
use crate::domain::user::{self, User};
use crate::state::AppState;
use crate::store;

/// Why no claims are returned (RFC 6750 §3.1).
#[derive(Debug)]
pub enum UserinfoError {
    /// Expired, revoked, forged or malformed.
    InvalidToken,
    /// Not an `openid` user token.
    InsufficientScope,
    /// Server failure.
    Internal(Internal),
}

impl From<Internal> for UserinfoError {
    fn from(error: Internal) -> Self {
        UserinfoError::Internal(error)
    }
}

/// The claims for a bearer token.
pub async fn claims(state: &AppState, token: &str) -> Result<Map<String, Value>, UserinfoError> {
    let claims = super::access::check(state, token).await?.ok_or(UserinfoError::InvalidToken)?;
    if claims.gid.is_none() || !scope::contains(&claims.scope, "openid") {
        return Err(UserinfoError::InsufficientScope);
    }
    let Ok(id) = uuid::Uuid::parse_str(&claims.sub) else {
        return Err(UserinfoError::InvalidToken);
    };
    let user = store::users::find(state.store.conn(), id)
        .await
        .map_err(Internal)?
        .filter(User::can_sign_in)
        .ok_or(UserinfoError::InvalidToken)?;
    Ok(user::claims_for(&user, &claims.scope))
}
