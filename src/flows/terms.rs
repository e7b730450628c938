//! Publishing and listing terms versions (CLI and admin API).

use time::OffsetDateTime;

use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::store::{self, Store, StoreError, terms::NewTerms};

/// Why a version cannot be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Empty title, version or body, or a too long version label.
    #[error("{0}")]
    Invalid(&'static str),
    /// The version label is taken.
    #[error("terms version '{0}' already exists")]
    Taken(String),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

/// Publishes a version; it applies from `effective_at` (now when `None`), and
/// every user is asked to accept it at their next sign-in from then on.
pub async fn publish(
    store: &Store,
    clock: &Clock,
    actor: &Actor,
    version: &str,
    title: &str,
    body: &str,
    effective_at: Option<OffsetDateTime>,
) -> Result<(), PublishError> {
    let (version, title, body) = (version.trim(), title.trim(), body.trim());
    if version.is_empty() || version.len() > 64 {
        return Err(PublishError::Invalid("version must be 1 to 64 characters"));
    }
    if title.is_empty() || body.is_empty() {
        return Err(PublishError::Invalid("title and body must not be empty"));
    }
    let now = clock.now();
    let tx = store.begin().await.map_err(PublishError::Store)?;
    let terms = NewTerms { version, title, body, effective_at: effective_at.unwrap_or(now) };
    store::terms::publish(tx.conn(), terms, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => PublishError::Taken(version.to_string()),
        other => PublishError::Store(other),
    })?;
    store::audit::record(tx.conn(), &actor.event("terms.published", Some(version.to_string())), now)
        .await
        .map_err(PublishError::Store)?;
    tx.commit().await.map_err(PublishError::Store)?;
    Ok(())
}
