//! Hearing what other nodes changed: on PostgreSQL every node listens for the
//! announcements of [`crate::store::changes`] and drops what it kept in memory
//! about the changed thing (a client registration, the key ring), so a change
//! made on one node holds on all of them within moments. The periodic reloads
//! stay as the fallback for an announcement missed while the connection was down.

use crate::domain::change::Change;
use crate::state::AppState;
use crate::store::changes::{self, Heard};

/// Starts listening, before the node serves: a registration it reads for a
/// request is then never one whose change it could have missed, and the keys
/// are read once more, for a change announced while it was starting. `None`
/// on SQLite (one node), and also when the database does not answer yet; then
/// [`follow`] keeps trying.
pub async fn start(state: &AppState) -> Option<changes::Listener> {
    match changes::listen(&state.store).await {
        Ok(Some(listener)) => {
            apply(state, Heard::MaybeMissed).await;
            Some(listener)
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "cannot listen for other nodes' changes yet; trying again");
            None
        }
    }
}

/// Follows the announcements until the task is stopped. Without a `listener`
/// from [`start`] it keeps trying to listen, and [`start`] then forgets what
/// the node kept in memory while it served without hearing.
pub async fn follow(state: AppState, listener: Option<changes::Listener>) {
    let mut listener = match listener {
        Some(listener) => listener,
        None if crate::store::is_sqlite(state.store.conn()) => return,
        None => loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            if let Some(listener) = start(&state).await {
                break listener;
            }
        },
    };
    loop {
        apply(&state, listener.next().await).await;
    }
}

/// Acts on one announcement.
pub async fn apply(state: &AppState, heard: Heard) {
    match heard {
        Heard::Change(Change::Client(id)) => state.clients.forget(&id),
        Heard::Change(Change::Keys) => reload_keys(state).await,
        Heard::MaybeMissed => {
            state.clients.forget_all();
            reload_keys(state).await;
        }
    }
}

async fn reload_keys(state: &AppState) {
    if let Err(error) = crate::flows::keys::reload(state).await {
        tracing::warn!(%error, "cannot reload signing keys; keeping the loaded ones");
    }
}
