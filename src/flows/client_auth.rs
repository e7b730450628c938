//! Client authentication at the token, introspection and revocation endpoints
//! (RFC 6749 §2.3.1, OIDC Core §9): `client_secret_basic`, `client_secret_post`,
//! and `none` for public clients.

use subtle::ConstantTimeEq;

use super::Internal;
use crate::domain::client::{Client, ClientKind};
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::state::AppState;
use crate::tokens::opaque;

/// Credentials as presented, before checking.
#[derive(Debug, Default, Clone)]
pub struct Presented {
    /// From the `Authorization: Basic` header (already form-decoded).
    pub basic: Option<(String, String)>,
    /// `client_id` form field.
    pub form_id: Option<String>,
    /// `client_secret` form field.
    pub form_secret: Option<String>,
}

/// A failed authentication, and whether the client used Basic (the response
/// then carries `WWW-Authenticate: Basic`, RFC 6749 §5.2).
#[derive(Debug)]
pub struct AuthFailure {
    /// The OAuth error.
    pub error: OAuthError,
    /// Basic was used.
    pub basic: bool,
}

/// Identifies and authenticates the client; `allow_public` admits public clients
/// (they prove themselves with PKCE at the token endpoint).
pub async fn authenticate(
    state: &AppState,
    presented: &Presented,
    allow_public: bool,
) -> Result<Result<Client, AuthFailure>, Internal> {
    let basic = presented.basic.is_some();
    let fail = |code, description: &str| Ok(Err(AuthFailure { error: OAuthError::new(code, description), basic }));
    let (client_id, secret) = match (&presented.basic, &presented.form_id, &presented.form_secret) {
        (Some(_), _, Some(_)) => {
            return fail(ErrorCode::InvalidRequest, "use one client authentication method, not two");
        }
        (Some((id, secret)), form_id, None) => {
            if form_id.as_ref().is_some_and(|f| f != id) {
                return fail(ErrorCode::InvalidRequest, "client_id does not match the authenticated client");
            }
            (id.as_str(), Some(secret.as_str()))
        }
        (None, Some(id), secret) => (id.as_str(), secret.as_deref()),
        (None, None, _) => {
            return fail(ErrorCode::InvalidClient, "client authentication is required");
        }
    };
    let client = state.clients.get(&state.store, client_id).await?;
    // Hash even when the client is unknown, so timing does not reveal which ids exist.
    let presented_hash = secret.map(opaque::hash).unwrap_or_default();
    let Some(client) = client else {
        return fail(ErrorCode::InvalidClient, "unknown client or bad credentials");
    };
    match (client.kind, &client.secret_hash, secret) {
        (ClientKind::Public, _, None) if allow_public => Ok(Ok(client)),
        (ClientKind::Public, _, _) => fail(ErrorCode::InvalidClient, "public clients cannot authenticate here"),
        (ClientKind::Confidential, Some(stored), Some(_))
            if bool::from(presented_hash.as_bytes().ct_eq(stored.as_bytes())) =>
        {
            Ok(Ok(client))
        }
        _ => fail(ErrorCode::InvalidClient, "unknown client or bad credentials"),
    }
}
