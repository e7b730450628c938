//! Client authentication at the token, introspection and revocation endpoints
//! (RFC 6749 §2.3.1, OIDC Core §9): `client_secret_basic`, `client_secret_post`,
//! and `none` for public clients.

use subtle::{Choice, ConstantTimeEq};
use time::OffsetDateTime;

use super::Internal;
use crate::domain::client::{Client, ClientKind, check_id};
use crate::domain::oauth::error::{ErrorCode, OAuthError};
use crate::domain::secret::ClientSecret;
use crate::state::AppState;
use crate::tokens::opaque;

/// Credentials as presented, before checking. Its `Debug` shows the client id
/// only: the secret is a [`ClientSecret`].
#[derive(Debug, Default, Clone)]
pub struct Presented {
    /// From the `Authorization: Basic` header (already form-decoded).
    pub basic: Option<(String, ClientSecret)>,
    /// `client_id` form field.
    pub form_id: Option<String>,
    /// `client_secret` form field.
    pub form_secret: Option<ClientSecret>,
}

/// A failed authentication (an `invalid_client` answer names Basic whichever
/// method the client tried, so which one it was is not carried).
#[derive(Debug)]
pub struct AuthFailure {
    /// The OAuth error.
    pub error: OAuthError,
}

/// Identifies and authenticates the client; `allow_public` admits public clients
/// (they prove themselves with PKCE at the token endpoint).
pub async fn authenticate(
    state: &AppState,
    presented: &Presented,
    allow_public: bool,
) -> Result<Result<Client, AuthFailure>, Internal> {
    let fail = |code, description: &str| Ok(Err(AuthFailure { error: OAuthError::new(code, description) }));
    let (client_id, secret) = match (&presented.basic, &presented.form_id, &presented.form_secret) {
        (Some(_), _, Some(_)) => {
            return fail(ErrorCode::InvalidRequest, "use one client authentication method, not two");
        }
        (Some((id, secret)), form_id, None) => {
            if form_id.as_ref().is_some_and(|f| f != id) {
                return fail(ErrorCode::InvalidRequest, "client_id does not match the authenticated client");
            }
            (id.as_str(), Some(secret.expose()))
        }
        (None, Some(id), secret) => (id.as_str(), secret.as_ref().map(ClientSecret::expose)),
        (None, None, _) => {
            return fail(ErrorCode::InvalidClient, "client authentication is required");
        }
    };
    // No client has an id that breaks the registration rules: such an id (of
    // any length) is refused before any lookup and never reaches the cache.
    if check_id(client_id).is_err() {
        return fail(ErrorCode::InvalidClient, "unknown client or bad credentials");
    }
    let client = state.clients.get(&state.store, client_id).await?;
    // Hash even when the client is unknown, so timing does not reveal which ids exist.
    let presented_hash = secret.map(opaque::hash).unwrap_or_default();
    let Some(client) = client else {
        return fail(ErrorCode::InvalidClient, "unknown client or bad credentials");
    };
    match (client.kind, secret) {
        (ClientKind::Public, None) if allow_public => Ok(Ok(client)),
        (ClientKind::Public, _) => fail(ErrorCode::InvalidClient, "public clients cannot authenticate here"),
        (ClientKind::Confidential, Some(_)) if secret_matches(&client, &presented_hash, state.clock.now()) => {
            Ok(Ok(client))
        }
        _ => fail(ErrorCode::InvalidClient, "unknown client or bad credentials"),
    }
}

/// Compares the presented secret's hash with the current one and, until its
/// grace ends, with the one a rotation replaced. Both comparisons always run and
/// are constant time, so timing tells nothing about which secret matched.
fn secret_matches(client: &Client, presented_hash: &str, now: OffsetDateTime) -> bool {
    let presented = presented_hash.as_bytes();
    let against = |stored: Option<&str>| match stored {
        Some(stored) => presented.ct_eq(stored.as_bytes()),
        None => Choice::from(0),
    };
    let current = against(client.secret_hash.as_deref());
    let previous = against(client.previous_secret.as_ref().filter(|p| p.is_valid_at(now)).map(|p| p.hash.as_str()));
    bool::from(current | previous)
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::domain::client::PreviousSecret;
    use crate::domain::signing_alg::SigningAlg;

    fn rotated_client(now: OffsetDateTime) -> Client {
        Client {
            id: "c".into(),
            name: "C".into(),
            kind: ClientKind::Confidential,
            first_party: true,
            require_pkce: false,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec!["client_credentials".into()],
            scopes: vec![],
            id_token_alg: SigningAlg::Rs256,
            backchannel_logout_uri: None,
            secret_hash: Some(opaque::hash("new")),
            previous_secret: Some(PreviousSecret { hash: opaque::hash("old"), expires_at: now + Duration::hours(1) }),
        }
    }

    #[test]
    fn the_current_secret_matches() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert!(secret_matches(&rotated_client(now), &opaque::hash("new"), now));
    }

    #[test]
    fn the_previous_secret_matches_until_its_grace_ends() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let client = rotated_client(now);
        assert!(secret_matches(&client, &opaque::hash("old"), now + Duration::minutes(59)));
        assert!(!secret_matches(&client, &opaque::hash("old"), now + Duration::hours(1)));
    }

    #[test]
    fn presented_credentials_never_format_the_secret() {
        let presented = Presented {
            basic: Some(("rp".into(), ClientSecret::new("basic-S3cret"))),
            form_id: Some("rp".into()),
            form_secret: Some(ClientSecret::new("form-S3cret")),
        };
        let shown = format!("{presented:?} {presented:#?}");
        assert!(!shown.contains("S3cret"), "{shown}");
        assert!(shown.contains("rp"), "{shown}");
    }

    #[test]
    fn another_secret_never_matches() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert!(!secret_matches(&rotated_client(now), &opaque::hash("guess"), now));
        assert!(!secret_matches(&rotated_client(now), "", now));
    }
}
