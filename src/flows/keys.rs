//! Signing keys for the command line and the admin API: list, rotate, retire,
//! and reload this node's key ring.
//!
//! Keys are files (see [`crate::tokens::keys`]), so a change cannot share a
//! database transaction with its audit event. Instead the audit event is written
//! first in an open transaction, the file change follows, and the commit comes
//! last; if the commit fails the file change is undone, so a key change is never
//! left unaudited. Other nodes pick the change up at their next reload (30 s).

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::domain::audit::{Actor, AuditEvent};
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::state::AppState;
use crate::store::{self, Store, StoreError};
use crate::tokens::keys::{self, KeyError, KeyRing, SigningKey};

/// Where a key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// The newest key of its algorithm: it signs, and is published.
    Active,
    /// Published so that tokens it signed keep verifying, but no longer signs.
    Published,
    /// Moved to `retired/`: neither signs nor is published.
    Retired,
}

/// The public facts of one key (never the key itself).
#[derive(Debug, Clone)]
pub struct KeyInfo {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlg,
    /// When it was generated.
    pub created: OffsetDateTime,
    /// Active, published or retired.
    pub state: KeyState,
    /// Its file (for operators at the command line).
    pub path: PathBuf,
}

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// No published key has this id.
    #[error("no published key has kid {0}")]
    UnknownKid(String),
    /// The key signs for its algorithm; rotate first.
    #[error("{0} is the active {1} key; rotate {1} first")]
    Active(String, SigningAlg),
    /// The keys directory failed.
    #[error(transparent)]
    Keys(KeyError),
    /// The audit trail failed (the key change was undone).
    #[error("{}", .0.0)]
    Store(#[from] super::Internal),
    /// The blocking file task did not finish.
    #[error("key task failed: {0}")]
    Task(String),
}

impl From<StoreError> for KeysError {
    fn from(error: StoreError) -> Self {
        Self::Store(super::Internal(error))
    }
}

impl From<KeyError> for KeysError {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::UnknownKid(kid) => KeysError::UnknownKid(kid),
            KeyError::Active(kid, alg) => KeysError::Active(kid, alg),
            other => KeysError::Keys(other),
        }
    }
}

/// Runs file work off the async runtime (RSA generation takes a while).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, KeyError> + Send + 'static,
) -> Result<T, KeysError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| KeysError::Task(e.to_string()))?.map_err(KeysError::from)
}

fn info(key: &SigningKey, state: KeyState) -> KeyInfo {
    let nanos = i128::from(key.created_ms) * 1_000_000;
    KeyInfo {
        kid: key.kid.clone(),
        alg: key.alg,
        created: OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        state,
        path: key.path.clone(),
    }
}

/// Every key of `dir`: the published ones newest first (the active one of each
/// algorithm marked), then the retired ones when `with_retired`.
pub async fn list(dir: &Path, with_retired: bool) -> Result<Vec<KeyInfo>, KeysError> {
    let dir = dir.to_path_buf();
    let (ring, retired) = blocking(move || {
        let retired = if with_retired { keys::retired(&dir)? } else { Vec::new() };
        Ok((KeyRing::load(&dir)?, retired))
    })
    .await?;
    let published = ring.keys().iter().map(|key| {
        let active = ring.active(key.alg).is_some_and(|a| a.kid == key.kid);
        info(key, if active { KeyState::Active } else { KeyState::Published })
    });
    Ok(published.chain(retired.iter().map(|key| info(key, KeyState::Retired))).collect())
}

/// Who records a key change. The command line may run without a database: with
/// `store` `None` the change is made unaudited (the caller says so).
#[derive(Debug, Clone, Copy)]
pub struct Recorder<'a> {
    /// The audit trail, when reachable.
    pub store: Option<&'a Store>,
    /// The clock.
    pub clock: &'a Clock,
    /// Who asks.
    pub actor: &'a Actor,
}

impl Recorder<'_> {
    /// Writes `event` in a transaction around `change`; undoes the change with
    /// `undo` if the transaction cannot commit.
    async fn around<T: Clone + Send + 'static>(
        &self,
        event: AuditEvent,
        change: impl FnOnce() -> Result<T, KeyError> + Send + 'static,
        undo: impl FnOnce(T) -> Result<(), KeyError> + Send + 'static,
    ) -> Result<T, KeysError> {
        let Some(store) = self.store else {
            return blocking(change).await;
        };
        let now = self.clock.now();
        let tx = store.begin().await?;
        store::audit::record(tx.conn(), &event, now).await?;
        let done = blocking(change).await?;
        if let Err(error) = tx.commit().await {
            let undone = done.clone();
            if let Err(undo_error) = blocking(move || undo(undone)).await {
                tracing::error!(%undo_error, action = event.action, "a key change could neither be audited nor undone");
            }
            return Err(error.into());
        }
        Ok(done)
    }
}

/// Generates a new active key for `alg`; audited as `key.rotated`. The old key
/// stays published so tokens it signed keep verifying.
pub async fn rotate(dir: &Path, recorder: Recorder<'_>, alg: SigningAlg) -> Result<KeyInfo, KeysError> {
    let new = blocking(move || keys::create(alg)).await?;
    let event = recorder
        .actor
        .event("key.rotated", Some(new.kid().to_string()))
        .with_details(serde_json::json!({ "alg": alg.as_str() }));
    let dir = dir.to_path_buf();
    let key = recorder.around(event, move || new.install(&dir), |key: SigningKey| keys::discard(&key)).await?;
    Ok(info(&key, KeyState::Active))
}

/// Stops publishing key `kid` (moves it to `retired/`); audited as `key.retired`.
/// The active key of an algorithm cannot be retired.
pub async fn retire(dir: &Path, recorder: Recorder<'_>, kid: &str) -> Result<PathBuf, KeysError> {
    let event = recorder.actor.event("key.retired", Some(kid.to_string()));
    let (from, undo_dir, kid) = (dir.to_path_buf(), dir.to_path_buf(), kid.to_string());
    recorder
        .around(event, move || keys::retire(&from, &kid), move |moved: PathBuf| keys::unretire(&undo_dir, &moved))
        .await
}

/// Re-reads this node's keys directory and installs the ring when its keys
/// changed; answers whether they did. An empty directory keeps the loaded keys
/// (a missing mount must not stop signing).
pub async fn reload(state: &AppState) -> Result<bool, KeysError> {
    let dir = state.settings.keys_dir.clone();
    let ring = blocking(move || KeyRing::load(&dir)).await?;
    if ring.keys().is_empty() {
        tracing::warn!("keys directory is empty; keeping the loaded keys");
        return Ok(false);
    }
    let kids = |ring: &KeyRing| ring.keys().iter().map(|k| k.kid.clone()).collect::<Vec<_>>();
    if kids(&state.keys()) == kids(&ring) {
        return Ok(false);
    }
    tracing::info!(keys = ring.keys().len(), "signing keys changed on disk; reloaded");
    state.replace_keys(ring);
    Ok(true)
}

/// [`rotate`] for a running node, for `alg` or (when `None`) every algorithm:
/// audited with `actor`, and this node signs with the new keys at once.
pub async fn rotate_here(state: &AppState, actor: &Actor, alg: Option<SigningAlg>) -> Result<Vec<KeyInfo>, KeysError> {
    let recorder = Recorder { store: Some(&state.store), clock: &state.clock, actor };
    let mut rotated = Vec::new();
    for alg in alg.map_or_else(|| SigningAlg::ALL.to_vec(), |alg| vec![alg]) {
        rotated.push(rotate(&state.settings.keys_dir, recorder, alg).await?);
    }
    reload(state).await?;
    Ok(rotated)
}

/// [`retire`] for a running node: audited with `actor`, and this node stops
/// publishing the key at once.
pub async fn retire_here(state: &AppState, actor: &Actor, kid: &str) -> Result<(), KeysError> {
    let recorder = Recorder { store: Some(&state.store), clock: &state.clock, actor };
    retire(&state.settings.keys_dir, recorder, kid).await?;
    reload(state).await?;
    Ok(())
}
