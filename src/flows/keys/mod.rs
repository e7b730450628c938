//! Signing keys for the command line, the admin API and every node: list,
//! rotate, retire, export, and the reload of this node's ring.
//!
//! Keys live in the database, their private parts sealed with the
//! key-encryption key (see [`crate::tokens::keys`]), so a change and its audit
//! event share one transaction, and every change of the key set happens under
//! the key-set lock, so nodes never race each other into two key sets. Every
//! node reloads the keys every 30 s ([`reload`]); a rotated key signs only
//! after `key_publish_ahead`, by which time every node publishes it.

mod schedule;
mod start;

use std::cmp::Reverse;

use time::OffsetDateTime;

use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::state::AppState;
use crate::store::signing_keys::{self as stored_keys, StoredKey};
use crate::store::{self, Store, StoreError};
use crate::tokens::keys::{self, KeyEncryptionKey, KeyError, KeyRing, SigningKey};

pub use schedule::maintain;
pub use start::{OpenedKeys, load_kek, open_key_set};

/// How long a back-channel logout token lives (see `tokens::id_token::logout_token`).
const LOGOUT_TOKEN_LIFETIME: time::Duration = time::Duration::seconds(120);

/// Where a key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// The newest key of its algorithm whose time has come: it signs, and is published.
    Active,
    /// Published already, so that relying parties learn it; signs from `signs_from`.
    Next,
    /// Published so that tokens it signed keep verifying, but no longer signs.
    Published,
    /// Neither signs nor is published.
    Retired,
}

/// The public facts of one key (never the key itself).
#[derive(Debug, Clone)]
pub struct KeyInfo {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlg,
    /// When it was generated (or imported).
    pub created: OffsetDateTime,
    /// When it signs from.
    pub signs_from: OffsetDateTime,
    /// When it leaves the JWK set by itself (once replaced), or left it.
    pub retires: Option<OffsetDateTime>,
    /// Active, next, published or retired.
    pub state: KeyState,
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
    /// The key is about to sign for its algorithm.
    #[error("{0} is the next {1} key (published, about to sign); it cannot be retired")]
    Next(String, SigningAlg),
    /// The configured key-encryption key does not open the stored keys.
    #[error(
        "the key-encryption key from {source_name} does not open the signing keys in the database (key {kid}): \
         start with the key they were sealed with (KUKE_ID_KEY_ENCRYPTION_KEY, or the key-encryption-key file \
         in the keys folder); no new keys were made"
    )]
    WrongKek {
        /// Where the KEK came from.
        source_name: String,
        /// The first key it did not open.
        kid: String,
    },
    /// The database holds keys but no key-encryption key is configured.
    #[error(
        "the database holds signing keys but there is no key-encryption key: set KUKE_ID_KEY_ENCRYPTION_KEY \
         or restore the file {file}; no new keys were made"
    )]
    MissingKek {
        /// The file that was looked for.
        file: std::path::PathBuf,
    },
    /// The database holds no keys, and this command may not create them.
    #[error("no signing keys in the database: start the server or run `kuke-id migrate` first")]
    NoKeys,
    /// Key material or the keys folder failed.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The database failed (nothing was changed).
    #[error("{}", .0.0)]
    Store(#[from] super::Internal),
    /// The blocking key task did not finish.
    #[error("key task failed: {0}")]
    Task(String),
}

impl From<StoreError> for KeysError {
    fn from(error: StoreError) -> Self {
        Self::Store(super::Internal(error))
    }
}

/// Runs key work off the async runtime (RSA generation takes a while).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, KeyError> + Send + 'static,
) -> Result<T, KeysError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| KeysError::Task(e.to_string()))?.map_err(KeysError::from)
}

/// What changing keys needs: the database, the time, the settings and the KEK.
#[derive(Debug, Clone, Copy)]
pub struct KeyAccess<'a> {
    /// The database.
    pub store: &'a Store,
    /// The clock.
    pub clock: &'a Clock,
    /// Publish-ahead and token lifetimes.
    pub settings: &'a Settings,
    /// Seals new keys, opens stored ones.
    pub kek: &'a KeyEncryptionKey,
}

/// How long after a key stops signing the last token it signed may still be
/// verified: the longest token lifetime. Refresh tokens are opaque, so they do not count.
pub fn longest_token_lifetime(settings: &Settings) -> time::Duration {
    let longest = settings.access_token_ttl.max(settings.id_token_ttl);
    time::Duration::try_from(longest).unwrap_or(time::Duration::DAY).max(LOGOUT_TOKEN_LIFETIME)
}

/// The state of each of `rows` at `now`, in the same order.
fn states(rows: &[StoredKey], now: OffsetDateTime) -> Vec<KeyState> {
    let retired = |row: &StoredKey| row.retired_at.is_some() || row.retire_after.is_some_and(|at| at <= now);
    let signing = |alg: SigningAlg| {
        rows.iter()
            .filter(|row| row.alg == alg && !retired(row) && row.signs_from <= now)
            .max_by_key(|row| (row.signs_from, row.created_at, Reverse(row.kid.clone())))
            .map(|row| row.kid.clone())
    };
    let active: Vec<Option<String>> = SigningAlg::ALL.iter().map(|alg| signing(*alg)).collect();
    rows.iter()
        .map(|row| {
            if retired(row) {
                KeyState::Retired
            } else if row.signs_from > now {
                KeyState::Next
            } else if active.iter().flatten().any(|kid| *kid == row.kid) {
                KeyState::Active
            } else {
                KeyState::Published
            }
        })
        .collect()
}

fn info(row: &StoredKey, state: KeyState) -> KeyInfo {
    KeyInfo {
        kid: row.kid.clone(),
        alg: row.alg,
        created: row.created_at,
        signs_from: row.signs_from,
        retires: row.retired_at.or(row.retire_after),
        state,
    }
}

/// Every key: the published ones newest first (the active one of each
/// algorithm marked, and the next ones), then the retired ones when `with_retired`.
pub async fn list(store: &Store, clock: &Clock, with_retired: bool) -> Result<Vec<KeyInfo>, KeysError> {
    let rows = stored_keys::all(store.conn()).await?;
    let mut listed: Vec<KeyInfo> =
        rows.iter().zip(states(&rows, clock.now())).map(|(row, state)| info(row, state)).collect();
    listed.retain(|key| with_retired || key.state != KeyState::Retired);
    listed.sort_by_key(|key| (key.state == KeyState::Retired, Reverse(key.signs_from), Reverse(key.created)));
    Ok(listed)
}

/// Generates a new key for `alg`, published at once and signing after the
/// publish-ahead time; the keys it replaces are scheduled to retire once the
/// tokens they signed have expired. Audited as `key.rotated`.
pub async fn rotate(access: KeyAccess<'_>, actor: &Actor, alg: SigningAlg) -> Result<KeyInfo, KeysError> {
    let now = access.clock.now();
    let ahead = time::Duration::try_from(access.settings.key_publish_ahead).unwrap_or(time::Duration::ZERO);
    let signs_from = now + ahead;
    let key = blocking(move || keys::create(alg, now, signs_from)).await?;
    let row = keys::seal(access.kek, &key)?;
    let event = actor
        .event("key.rotated", Some(key.kid.clone()))
        .with_details(serde_json::json!({ "alg": alg.as_str(), "signs_from": signs_from.unix_timestamp() }));
    let tx = access.store.begin().await?;
    stored_keys::lock_key_set(tx.conn(), now).await?;
    stored_keys::insert(tx.conn(), &row).await?;
    let retire_after = signs_from + longest_token_lifetime(access.settings);
    stored_keys::schedule_retirement(tx.conn(), alg, &key.kid, retire_after).await?;
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    Ok(info(&row, if signs_from <= now { KeyState::Active } else { KeyState::Next }))
}

/// Stops publishing key `kid` at once; audited as `key.retired`. The key that
/// signs for its algorithm, and the next one, cannot be retired.
pub async fn retire(store: &Store, clock: &Clock, actor: &Actor, kid: &str) -> Result<(), KeysError> {
    let now = clock.now();
    let tx = store.begin().await?;
    stored_keys::lock_key_set(tx.conn(), now).await?;
    let rows = stored_keys::all(tx.conn()).await?;
    let states = states(&rows, now);
    let found = rows.iter().zip(states).find(|(row, state)| row.kid == kid && *state != KeyState::Retired);
    match found {
        None => return Err(KeysError::UnknownKid(kid.to_string())),
        Some((row, KeyState::Active)) => return Err(KeysError::Active(kid.to_string(), row.alg)),
        Some((row, KeyState::Next)) => return Err(KeysError::Next(kid.to_string(), row.alg)),
        Some(_) => {}
    }
    stored_keys::retire(tx.conn(), kid, now).await?;
    store::audit::record(tx.conn(), &actor.event("key.retired", Some(kid.to_string())), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The private keys, for a backup (`kuke-id keys export`): the published ones,
/// and the retired ones too when `with_retired`. Audited as `key.exported`.
pub async fn export(
    access: KeyAccess<'_>,
    actor: &Actor,
    with_retired: bool,
) -> Result<Vec<(KeyInfo, SigningKey)>, KeysError> {
    let now = access.clock.now();
    let rows = stored_keys::all(access.store.conn()).await?;
    let mut exported = Vec::new();
    for (row, state) in rows.iter().zip(states(&rows, now)) {
        if state == KeyState::Retired && !with_retired {
            continue;
        }
        let key = keys::open(access.kek, row).map_err(|error| wrong_kek(access.kek, error))?;
        exported.push((info(row, state), key));
    }
    let kids: Vec<&str> = exported.iter().map(|(info, _)| info.kid.as_str()).collect();
    let event = actor.event("key.exported", None).with_details(serde_json::json!({ "kids": kids }));
    store::audit::record(access.store.conn(), &event, now).await?;
    Ok(exported)
}

/// A stored key that does not open means the KEK is not the one that sealed it.
fn wrong_kek(kek: &KeyEncryptionKey, error: KeyError) -> KeysError {
    match error {
        KeyError::Sealed(kid) => KeysError::WrongKek { source_name: kek.source.clone(), kid },
        other => KeysError::Keys(other),
    }
}

/// Opens the keys of `rows` that are not retired.
fn open_published(kek: &KeyEncryptionKey, rows: &[StoredKey]) -> Result<Vec<SigningKey>, KeysError> {
    let published = rows.iter().filter(|row| row.retired_at.is_none());
    published.map(|row| keys::open(kek, row).map_err(|error| wrong_kek(kek, error))).collect()
}

/// Re-reads the keys from the database and installs them when they changed;
/// answers whether they did. Every node runs it every 30 s; a notification of
/// a change may run it sooner.
pub async fn reload(state: &AppState) -> Result<bool, KeysError> {
    let Some(kek) = state.key_encryption_key.clone() else { return Ok(false) };
    let rows = stored_keys::all(state.store.conn()).await?;
    let now = state.clock.now();
    let current = state.keys();
    let unchanged = {
        let facts = |row: &StoredKey| (row.kid.clone(), row.signs_from, row.retire_after);
        let stored: Vec<_> = rows.iter().filter(|row| row.retired_at.is_none()).map(facts).collect();
        let mut loaded: Vec<_> =
            current.all_keys().iter().map(|k| (k.kid.clone(), k.signs_from, k.retire_after)).collect();
        let mut stored = stored;
        stored.sort();
        loaded.sort();
        stored == loaded
    };
    if unchanged {
        return Ok(false);
    }
    let ring = KeyRing::new(open_published(&kek, &rows)?, now);
    if ring.keys().is_empty() {
        tracing::warn!("the database holds no published signing key; keeping the loaded keys");
        return Ok(false);
    }
    tracing::info!(keys = ring.keys().len(), "signing keys changed in the database; reloaded");
    state.replace_keys(ring);
    Ok(true)
}

fn access(state: &AppState) -> Result<KeyAccess<'_>, KeysError> {
    let kek = state.key_encryption_key.as_deref().ok_or(KeysError::NoKeys)?;
    Ok(KeyAccess { store: &state.store, clock: &state.clock, settings: &state.settings, kek })
}

/// [`rotate`] for a running node, for `alg` or (when `None`) every algorithm:
/// audited with `actor`; this node publishes the new keys at once.
pub async fn rotate_here(state: &AppState, actor: &Actor, alg: Option<SigningAlg>) -> Result<Vec<KeyInfo>, KeysError> {
    let access = access(state)?;
    let mut rotated = Vec::new();
    for alg in alg.map_or_else(|| SigningAlg::ALL.to_vec(), |alg| vec![alg]) {
        rotated.push(rotate(access, actor, alg).await?);
    }
    reload(state).await?;
    Ok(rotated)
}

/// [`retire`] for a running node: audited with `actor`, and this node stops
/// publishing the key at once.
pub async fn retire_here(state: &AppState, actor: &Actor, kid: &str) -> Result<(), KeysError> {
    retire(&state.store, &state.clock, actor, kid).await?;
    reload(state).await?;
    Ok(())
}
