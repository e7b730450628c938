//! The open browser sessions of an account, and ending them (with back-channel
//! logout).

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{AccountError, guard};
use crate::domain::audit::Actor;
use crate::flows::Internal;
use crate::state::AppState;
use crate::store;

/// One open browser session, as an administrator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// Session id (`sid`).
    pub id: Uuid,
    /// Started.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last used.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// Absolute end.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Authentication methods.
    pub amr: serde_json::Value,
    /// Address at sign-in.
    pub ip: Option<String>,
    /// Browser at sign-in.
    pub user_agent: Option<String>,
}

/// The open, unexpired sessions of an account; `None` for an unknown account.
pub async fn sessions(state: &AppState, id: Uuid) -> Result<Option<Vec<SessionView>>, Internal> {
    let conn = state.store.conn();
    if store::users::row(conn, id).await?.is_none() {
        return Ok(None);
    }
    let now = state.clock.now();
    let rows = store::sessions::open_rows_for_user(conn, id).await?;
    Ok(Some(
        rows.into_iter()
            .filter(|s| s.expires_at > now)
            .map(|s| SessionView {
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                amr: serde_json::from_str(&s.amr).unwrap_or_default(),
                ip: s.ip,
                user_agent: s.user_agent,
            })
            .collect(),
    ))
}

/// Ends one session of an account; false when it is not an open session of it.
pub async fn end_session(
    state: &AppState,
    actor: &Actor,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<bool, AccountError> {
    let row = store::users::row(state.store.conn(), user_id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    let Some(session) = store::sessions::find(state.store.conn(), session_id).await? else { return Ok(false) };
    if session.user_id != user_id || session.ended_at.is_some() {
        return Ok(false);
    }
    crate::flows::logout::end_session(state, &session, actor).await?;
    Ok(true)
}

/// Ends every session of an account (with back-channel logout).
pub async fn end_all_sessions(state: &AppState, actor: &Actor, user_id: Uuid) -> Result<(), AccountError> {
    let row = store::users::row(state.store.conn(), user_id).await?.ok_or(AccountError::NotFound)?;
    guard(actor, &row)?;
    crate::flows::logout::end_all_sessions(state, user_id, actor).await?;
    Ok(())
}
