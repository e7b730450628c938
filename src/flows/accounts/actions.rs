//! Actions on one account: lock, disable, reset, resend the activation link and
//! delete. Cutting an account off revokes its grants in the same transaction and
//! then ends its sessions.

use uuid::Uuid;

use super::{AccountError, audit, guard, revoke_grants};
use crate::domain::audit::Actor;
use crate::domain::user::Status;
use crate::flows::journey::invite::{self, Purpose};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::{self, users::Switch};

/// Locks (until unlocked) or unlocks an account. Unlocking also lifts a lock
/// after failed attempts.
pub async fn set_locked(state: &AppState, actor: &Actor, id: Uuid, locked: bool) -> Result<(), AccountError> {
    switch(state, actor, id, Switch::Locked, locked, if locked { "user.locked_by_admin" } else { "user.unlocked" })
        .await
}

/// Disables or enables an account.
pub async fn set_disabled(state: &AppState, actor: &Actor, id: Uuid, disabled: bool) -> Result<(), AccountError> {
    switch(state, actor, id, Switch::Disabled, disabled, if disabled { "user.disabled" } else { "user.enabled" }).await
}

async fn switch(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    which: Switch,
    on: bool,
    action: &'static str,
) -> Result<(), AccountError> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    if store::users::set_switch(tx.conn(), id, which, on, now).await? {
        if on {
            revoke_grants(&tx, id, now).await?;
            // A sign-in already past its password must not finish either.
            store::login_transactions::end_all_for_user(tx.conn(), id, now).await?;
        }
        audit(&tx, actor, action, id, serde_json::json!({}), now).await?;
    }
    tx.commit().await?;
    if on {
        crate::flows::logout::end_all_sessions(state, id, actor).await?;
    }
    Ok(())
}

/// Resets an account: every session and token revoked, the password forgotten,
/// and a fresh activation link mailed (earlier links void).
pub async fn reset(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AccountError> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    if row.disabled {
        return Err(AccountError::WrongState("the account is disabled; enable it first"));
    }
    revoke_grants(&tx, id, now).await?;
    store::users::clear_password(tx.conn(), id, now).await?;
    let user = store::users::find(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    invite::issue_link(state, &tx, &user, Purpose::Activation, actor, Lang::Pl).await?;
    audit(&tx, actor, "user.reset", id, serde_json::json!({}), now).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    crate::flows::logout::end_all_sessions(state, id, actor).await?;
    Ok(())
}

/// Sends a new activation link to an account that has not set its password yet
/// (earlier links become void).
pub async fn resend_activation(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AccountError> {
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    if row.status == Status::Active.as_str() {
        return Err(AccountError::WrongState("the account is already active; reset it instead"));
    }
    if row.disabled {
        return Err(AccountError::WrongState("the account is disabled; enable it first"));
    }
    let user = store::users::find(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    invite::issue_link(state, &tx, &user, Purpose::Activation, actor, Lang::Pl).await?;
    tx.commit().await?;
    state.mail_queued.notify_one();
    Ok(())
}

/// Deletes an account: its personal data is anonymised, its links, grants and
/// sessions end; the row and the audit trail stay (events name the id only).
pub async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), AccountError> {
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = store::users::row(tx.conn(), id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    revoke_grants(&tx, id, now).await?;
    store::activation_tokens::void_all(tx.conn(), id, now).await?;
    store::mail_outbox::erase_unsent_for(tx.conn(), id, now).await?;
    store::sessions::erase_origin(tx.conn(), id).await?;
    store::terms::erase_origin(tx.conn(), id).await?;
    store::email_changes::erase_for_user(tx.conn(), id).await?;
    store::authenticators::remove_all(tx.conn(), id).await?;
    store::recovery_codes::remove_all(tx.conn(), id).await?;
    store::users::anonymize(tx.conn(), id, now).await?;
    audit(&tx, actor, "user.deleted", id, serde_json::json!({}), now).await?;
    tx.commit().await?;
    crate::flows::logout::end_all_sessions(state, id, actor).await?;
    Ok(())
}
