//! Rotating a confidential client's secret, with a grace for the one it replaces.

use time::{Duration, OffsetDateTime};

use super::{ADMIN_CLIENT_NEEDS_ADMIN, ClientError, may_hold};
use crate::domain::audit::Actor;
use crate::domain::client::{self, ClientKind, PreviousSecret};
use crate::domain::clock::Clock;
use crate::state::client_cache::ClientCache;
use crate::store::{self, Store};
use crate::tokens::opaque;

/// A new secret, shown once.
pub struct Rotated {
    /// The plain new secret.
    pub secret: String,
    /// Until when the replaced secret is still accepted (`None`: not at all).
    pub previous_valid_until: Option<OffsetDateTime>,
}

impl std::fmt::Debug for Rotated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rotated").field("previous_valid_until", &self.previous_valid_until).finish_non_exhaustive()
    }
}

/// Gives a confidential client a new secret; the one it replaces stays valid for
/// `grace` so the relying party can deploy the new one without an outage (zero:
/// refused at once). Only one previous secret is kept: rotating again within the
/// grace ends the older one. Audited as `client.secret_rotated`.
pub async fn rotate_secret(
    store: &Store,
    clock: &Clock,
    cache: &ClientCache,
    actor: &Actor,
    id: &str,
    grace: Duration,
) -> Result<Rotated, ClientError> {
    client::check_secret_grace(grace)?;
    let secret = opaque::random_token();
    let now = clock.now();
    let tx = store.begin().await?;
    // Locked: of two concurrent rotations the second sees the first's secret and
    // keeps it as the previous one, so no printed secret is silently dead.
    let client =
        store::clients::find_for_update(tx.conn(), id).await?.ok_or_else(|| ClientError::NotFound(id.into()))?;
    if client.kind == ClientKind::Public {
        return Err(ClientError::Public(id.into()));
    }
    if !may_hold(actor, &client.scopes) {
        return Err(ClientError::Forbidden(ADMIN_CLIENT_NEEDS_ADMIN));
    }
    let previous =
        client.secret_hash.filter(|_| grace.is_positive()).map(|hash| PreviousSecret { hash, expires_at: now + grace });
    store::clients::set_secrets(tx.conn(), id, &opaque::hash(&secret), previous.as_ref(), now).await?;
    let event = actor
        .event("client.secret_rotated", Some(id.to_string()))
        .with_details(serde_json::json!({ "grace_seconds": grace.whole_seconds() }));
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    cache.forget(id);
    Ok(Rotated { secret, previous_valid_until: previous.map(|p| p.expires_at) })
}
