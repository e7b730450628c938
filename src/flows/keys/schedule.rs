//! What every node does with the keys every 30 s: retire keys whose tokens have
//! all expired, rotate when `key_rotation` says so, and reload. Each change is
//! made under the key-set lock after checking again that it is still due, so
//! that one node makes it and the others find it done.

use super::{KeysError, blocking, longest_token_lifetime, reload};
use crate::domain::audit::Actor;
use crate::domain::signing_alg::SigningAlg;
use crate::state::AppState;
use crate::store;
use crate::store::signing_keys::{self as stored_keys, StoredKey};
use crate::tokens::keys;

/// Retires expired keys, rotates due ones and reloads the ring.
pub async fn maintain(state: &AppState) -> Result<(), KeysError> {
    retire_expired(state).await?;
    if let Some(period) = state.settings.key_rotation {
        rotate_when_due(state, time::Duration::try_from(period).unwrap_or(time::Duration::WEEK)).await?;
    }
    reload(state).await?;
    Ok(())
}

/// Marks keys past their `retire_after` as retired (they already left every
/// node's JWK set at that time); audited as `key.retired` by `system`.
async fn retire_expired(state: &AppState) -> Result<(), KeysError> {
    let now = state.clock.now();
    if stored_keys::due_for_retirement(state.store.conn(), now).await?.is_empty() {
        return Ok(());
    }
    let tx = state.store.begin().await?;
    stored_keys::lock_key_set(tx.conn(), now).await?;
    for kid in stored_keys::due_for_retirement(tx.conn(), now).await? {
        if stored_keys::retire(tx.conn(), &kid, now).await? {
            let event = Actor::named("system")
                .event("key.retired", Some(kid.clone()))
                .with_details(serde_json::json!({ "reason": "every token it signed has expired" }));
            store::audit::record(tx.conn(), &event, now).await?;
            tracing::info!(%kid, "retired a replaced signing key: every token it signed has expired");
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The algorithms whose newest key is older than `period`.
fn due(rows: &[StoredKey], period: time::Duration, now: time::OffsetDateTime) -> Vec<SigningAlg> {
    let newest = |alg: SigningAlg| {
        rows.iter().filter(|row| row.alg == alg && row.retired_at.is_none()).map(|row| row.created_at).max()
    };
    SigningAlg::ALL.into_iter().filter(|alg| newest(*alg).is_some_and(|created| created + period <= now)).collect()
}

/// Rotates every algorithm whose newest key is older than `period`.
async fn rotate_when_due(state: &AppState, period: time::Duration) -> Result<(), KeysError> {
    let Some(kek) = state.key_encryption_key.clone() else { return Ok(()) };
    let now = state.clock.now();
    let due_now = due(&stored_keys::all(state.store.conn()).await?, period, now);
    if due_now.is_empty() {
        return Ok(());
    }
    let ahead = time::Duration::try_from(state.settings.key_publish_ahead).unwrap_or(time::Duration::ZERO);
    let signs_from = now + ahead;
    let mut fresh = Vec::new();
    for alg in due_now {
        fresh.push(blocking(move || keys::create(alg, now, signs_from)).await?);
    }
    let tx = state.store.begin().await?;
    stored_keys::lock_key_set(tx.conn(), now).await?;
    // Another node may have rotated while these keys were generated.
    let still_due = due(&stored_keys::all(tx.conn()).await?, period, now);
    for key in fresh.into_iter().filter(|key| still_due.contains(&key.alg)) {
        stored_keys::insert(tx.conn(), &keys::seal(&kek, &key)?).await?;
        let retire_after = signs_from + longest_token_lifetime(&state.settings);
        stored_keys::schedule_retirement(tx.conn(), key.alg, &key.kid, retire_after).await?;
        let event = Actor::named("system").event("key.rotated", Some(key.kid.clone())).with_details(
            serde_json::json!({ "alg": key.alg.as_str(), "signs_from": signs_from.unix_timestamp(), "automatic": true }),
        );
        store::audit::record(tx.conn(), &event, now).await?;
        tracing::info!(kid = %key.kid, alg = %key.alg, "rotated a signing key automatically (KUKE_ID_KEY_ROTATION_DAYS)");
    }
    tx.commit().await?;
    Ok(())
}
