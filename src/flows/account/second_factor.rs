//! The second step of a sign-in when the account has an authenticator app: a
//! six-digit app code (RFC 6238, one step of drift either way) or one of the
//! account's recovery codes. The caller has already taken the attempt slot; this
//! only decides whether the typed value is right, and spends what it accepts:
//! an app code's time step is recorded in one conditional statement, so the same
//! code (or an older one) is never accepted again for the account.

use crate::domain::audit::AuditEvent;
use crate::domain::totp::{self, TotpSecret};
use crate::flows::Internal;
use crate::state::AppState;
use crate::store::{self, authenticators::AuthenticatorRow};
use crate::tokens::{keys, opaque};

/// Which code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// A current app code.
    AppCode,
    /// A recovery code (now spent).
    RecoveryCode,
}

/// Checks `typed` against the account's app and recovery codes; `None` when wrong
/// (including a replayed app code).
pub async fn check(state: &AppState, app: &AuthenticatorRow, typed: &str) -> Result<Option<Accepted>, Internal> {
    let conn = state.store.conn();
    let now = state.clock.now();
    if crate::domain::one_time_code::normalise(typed).is_some() {
        let secret = open(state, app)?;
        let unix = u64::try_from(now.unix_timestamp()).unwrap_or(0);
        let Some(step) = totp::verify(&secret, typed, unix) else { return Ok(None) };
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        return Ok(store::authenticators::accept_step(conn, app.id, step).await?.then_some(Accepted::AppCode));
    }
    let Some(code) = totp::normalise_recovery_code(typed) else { return Ok(None) };
    let tx = state.store.begin().await?;
    if !store::recovery_codes::spend(tx.conn(), app.user_id, &opaque::hash(&code), now).await? {
        return Ok(None);
    }
    let left = store::recovery_codes::remaining(tx.conn(), app.user_id).await?;
    let mut event = AuditEvent::new(format!("user:{}", app.user_id), "recovery_code.used", None);
    event.subject_user_id = Some(app.user_id);
    event.details = serde_json::json!({ "left": left });
    store::audit::record(tx.conn(), &event, now).await?;
    tx.commit().await?;
    Ok(Some(Accepted::RecoveryCode))
}

/// Opens the sealed secret of an authenticator.
pub(crate) fn open(state: &AppState, app: &AuthenticatorRow) -> Result<TotpSecret, Internal> {
    let kek = state.key_encryption_key.as_deref().ok_or_else(|| super::corrupt("no key-encryption key"))?;
    keys::open_bytes(kek, &app.user_id.to_string(), &app.sealed_secret)
        .and_then(TotpSecret::from_bytes)
        .ok_or_else(|| super::corrupt("an authenticator secret does not open"))
}
